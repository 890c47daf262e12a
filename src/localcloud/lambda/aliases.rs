//! `CreateAlias`, `GetAlias`, `UpdateAlias`, `ListAliases` and
//! `DeleteAlias`. An alias points at a published version (or `$LATEST`)
//! and may send a share of the invocations to one other published version
//! through `RoutingConfig.AdditionalVersionWeights`: that share is what a
//! CodeDeploy Lambda deployment moves.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::common::{
    Request, conflict, function, function_mut, invalid, json, no_content, not_found, page,
    precondition_failed, revision_id,
};
use super::functions::Answer;
use super::state::{Alias, LATEST, LambdaFunction};
use crate::localcloud::protocol::ApiError;

/// An alias as Lambda returns it.
pub fn alias_json(function: &LambdaFunction, alias: &Alias, region: &str) -> Value {
    let mut body = json!({
        "AliasArn": format!("{}:{}", function.arn(region), alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    });
    if !alias.additional_version_weights.is_empty() {
        body["RoutingConfig"] = json!({
            "AdditionalVersionWeights": alias.additional_version_weights,
        });
    }
    body
}

/// The alias name the path names.
fn alias_name(request: &Request) -> Result<String, ApiError> {
    request
        .segments
        .get(2)
        .cloned()
        .ok_or_else(|| invalid("The request needs an alias name."))
}

/// Checks an alias name: letters, digits, `-` and `_`, not only digits,
/// at most 128 characters.
fn check_alias_name(name: &str) -> Result<(), ApiError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && !name.chars().all(|c| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )))
    }
}

/// The routing weights of the body's `RoutingConfig`, checked against
/// `function` and the alias's main version `main`: at most one other
/// published version, with a weight from 0 to 1.
fn weights(
    request: &Request,
    function: &LambdaFunction,
    main: &str,
) -> Result<Option<BTreeMap<String, f64>>, ApiError> {
    let Some(routing) = request.body.get("RoutingConfig").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(map) = routing
        .get("AdditionalVersionWeights")
        .and_then(Value::as_object)
    else {
        return Ok(Some(BTreeMap::new()));
    };
    if map.len() > 1 {
        return Err(invalid(
            "Number of items in AdditionalVersionWeights cannot be greater than 1",
        ));
    }
    let mut weights = BTreeMap::new();
    for (version, weight) in map {
        let weight = weight
            .as_f64()
            .filter(|weight| (0.0..=1.0).contains(weight))
            .ok_or_else(|| {
                invalid(format!(
                    "Invalid weight for version {version}: the weight must be between 0.0 and 1.0."
                ))
            })?;
        if version == LATEST || main == LATEST {
            return Err(invalid(
                "$LATEST is not supported for an alias pointing to more than 1 version",
            ));
        }
        if version == main {
            return Err(invalid(format!(
                "Invalid function version {version}. Function version {version} is already included in routing configuration."
            )));
        }
        if function.version(version).is_none() {
            return Err(not_found(format!(
                "Function not found: {}:{version}",
                function.arn(&request.region)
            )));
        }
        weights.insert(version.clone(), weight);
    }
    Ok(Some(weights))
}

/// Checks that `version` is a version of `function`.
fn check_version(
    request: &Request,
    function: &LambdaFunction,
    version: &str,
) -> Result<(), ApiError> {
    if function.version(version).is_some() {
        Ok(())
    } else {
        Err(not_found(format!(
            "Function not found: {}:{version}",
            function.arn(&request.region)
        )))
    }
}

/// `CreateAlias`.
pub fn create(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let alias = request
        .text("Name")
        .ok_or_else(|| invalid("The alias needs a Name."))?
        .to_owned();
    check_alias_name(&alias)?;
    let version = request
        .text("FunctionVersion")
        .ok_or_else(|| invalid("The alias needs a FunctionVersion."))?
        .to_owned();
    let body = request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        if function.aliases.contains_key(&alias) {
            return Err(conflict(format!(
                "Alias already exists: {}:{alias}",
                function.arn(&request.region)
            )));
        }
        check_version(request, function, &version)?;
        let weights = weights(request, function, &version)?.unwrap_or_default();
        let created = Alias {
            name: alias.clone(),
            function_version: version,
            description: request.text("Description").unwrap_or_default().to_owned(),
            additional_version_weights: weights,
            revision_id: revision_id(),
        };
        let body = alias_json(function, &created, &request.region);
        function.aliases.insert(alias.clone(), created);
        Ok(body)
    })?;
    Ok(json(StatusCode::CREATED, &body))
}

/// The error for an alias that does not exist.
fn alias_not_found(request: &Request, function: &LambdaFunction, alias: &str) -> ApiError {
    not_found(format!(
        "Cannot find alias arn: {}:{alias}",
        function.arn(&request.region)
    ))
}

/// `GetAlias`.
pub fn get(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let alias = alias_name(request)?;
    let body = request.shared.world.read(|world| {
        let function = function(&world.lambda, &name, &request.region)?;
        let found = function
            .aliases
            .get(&alias)
            .ok_or_else(|| alias_not_found(request, function, &alias))?;
        Ok::<_, ApiError>(alias_json(function, found, &request.region))
    })?;
    Ok(json(StatusCode::OK, &body))
}

/// `UpdateAlias`: a new version, description or routing; a routing of no
/// weights ends the split.
pub fn update(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let alias = alias_name(request)?;
    let expected = request.text("RevisionId").map(str::to_owned);
    let body = request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        let current = function
            .aliases
            .get(&alias)
            .cloned()
            .ok_or_else(|| alias_not_found(request, function, &alias))?;
        if expected.as_ref().is_some_and(|id| *id != current.revision_id) {
            return Err(precondition_failed());
        }
        let version = request
            .text("FunctionVersion")
            .map_or(current.function_version.clone(), str::to_owned);
        check_version(request, function, &version)?;
        let weights = match weights(request, function, &version)? {
            Some(weights) => weights,
            // Keeping the old split would leave it naming the new main
            // version, which Lambda refuses.
            None if current.additional_version_weights.contains_key(&version) => {
                return Err(invalid(format!(
                    "Invalid function version {version}. Function version {version} is already included in routing configuration."
                )));
            }
            None => current.additional_version_weights.clone(),
        };
        let updated = Alias {
            name: alias.clone(),
            function_version: version,
            description: request
                .text("Description")
                .map_or(current.description.clone(), str::to_owned),
            additional_version_weights: weights,
            revision_id: revision_id(),
        };
        let body = alias_json(function, &updated, &request.region);
        function.aliases.insert(alias.clone(), updated);
        Ok(body)
    })?;
    Ok(json(StatusCode::OK, &body))
}

/// `ListAliases`, by name; `FunctionVersion` keeps those that send it
/// traffic.
pub fn list(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let version = request.query("FunctionVersion").map(str::to_owned);
    let all: Vec<Value> = request.shared.world.read(|world| {
        let function = function(&world.lambda, &name, &request.region)?;
        Ok::<_, ApiError>(
            function
                .aliases
                .values()
                .filter(|alias| {
                    version.as_ref().is_none_or(|version| {
                        alias.function_version == *version
                            || alias.additional_version_weights.contains_key(version)
                    })
                })
                .map(|alias| alias_json(function, alias, &request.region))
                .collect(),
        )
    })?;
    let (shown, next) = page(&all, request.query("Marker"), request.query("MaxItems"))?;
    Ok(json(
        StatusCode::OK,
        &json!({ "Aliases": shown, "NextMarker": next }),
    ))
}

/// `DeleteAlias`: deleting one that is not there succeeds, as in Lambda.
pub fn delete(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let alias = alias_name(request)?;
    request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        function.aliases.remove(&alias);
        Ok::<_, ApiError>(())
    })?;
    Ok(no_content())
}
