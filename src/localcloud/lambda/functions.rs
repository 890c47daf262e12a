//! `CreateFunction`, `GetFunction`, `GetFunctionConfiguration`,
//! `ListFunctions`, `DeleteFunction`, `UpdateFunctionCode`,
//! `PublishVersion`, `ListVersionsByFunction`, and the tags:
//! `TagResource`, `UntagResource` and `ListTags`.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::common::{
    Request, conflict, function, function_mut, invalid, json, lambda_time, no_content, not_found,
    page, parse_function_name, precondition_failed, revision_id,
};
use super::state::{FunctionVersion, LATEST, LambdaFunction, LambdaState, function_arn};
use crate::domain::iam_names::parse_role_arn;
use crate::domain::policy::{PolicyKind, allows_service, parse};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::world::World;

/// What a Lambda operation answers.
pub type Answer = Result<Response, ApiError>;

/// The principal a function's execution role must trust.
const LAMBDA_PRINCIPAL: &str = "lambda.amazonaws.com";

/// The most a function may run, in seconds.
const MAX_TIMEOUT: i64 = 900;

/// A function version's configuration, as Lambda returns it. `qualified`
/// puts the version in the ARN (as published versions and listings have).
pub fn configuration(
    function: &LambdaFunction,
    version: &FunctionVersion,
    region: &str,
    qualified: bool,
) -> Value {
    let arn = function.arn(region);
    json!({
        "FunctionName": function.name,
        "FunctionArn": if qualified { format!("{arn}:{}", version.version) } else { arn },
        "Runtime": version.runtime,
        "Role": version.role,
        "Handler": version.handler,
        "CodeSize": version.code_size,
        "Description": version.description,
        "Timeout": version.timeout,
        "MemorySize": version.memory_size,
        "LastModified": lambda_time(version.last_modified),
        "CodeSha256": version.code_sha256,
        "Version": version.version,
        "RevisionId": version.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
    })
}

/// The code's size and base64 SHA-256, from the request's `Code.ZipFile`
/// (or, for `UpdateFunctionCode`, its `ZipFile`).
fn code_of(code: Option<&Value>) -> Result<(i64, String), ApiError> {
    let Some(code) = code else {
        return Err(invalid(
            "The function needs Code: a ZipFile with its deployment package.",
        ));
    };
    if code.get("S3Bucket").is_some() || code.get("ImageUri").is_some() {
        return Err(invalid(
            "The local cloud takes a function's code as a ZipFile only; upload the package in the request.",
        ));
    }
    let zip = code.get("ZipFile").and_then(Value::as_str).ok_or_else(|| {
        invalid("The function needs Code: a ZipFile with its deployment package.")
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(zip)
        .map_err(|_| {
            invalid(
                "Could not unzip uploaded file. Please check your file, then try to upload again.",
            )
        })?;
    if bytes.is_empty() {
        return Err(invalid("Uploaded file must be a non-empty zip"));
    }
    let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    Ok((i64::try_from(bytes.len()).unwrap_or(i64::MAX), sha))
}

/// Checks that `role` is a role Lambda may assume: an IAM role ARN whose
/// role exists and trusts Lambda.
fn check_role(world: &World, role: &str) -> Result<(), ApiError> {
    let cannot = || invalid("The role defined for the function cannot be assumed by Lambda.");
    let arn = parse_role_arn(role).map_err(|_| {
        invalid(format!(
            "1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{{12}}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
        ))
    })?;
    let role = world.iam.role(arn.name).ok_or_else(cannot)?;
    let trust = parse(&role.assume_role_policy, PolicyKind::Trust).map_err(|_| cannot())?;
    if allows_service(&trust, LAMBDA_PRINCIPAL) {
        Ok(())
    } else {
        Err(cannot())
    }
}

/// An optional whole-number member `name` of the body, within `range`.
fn number(
    request: &Request,
    name: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    match request.body.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value
            .as_i64()
            .filter(|value| range.contains(value))
            .ok_or_else(|| {
                invalid(format!(
                    "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member must have value between {} and {}",
                    name[..1].to_lowercase() + &name[1..],
                    range.start(),
                    range.end()
                ))
            }),
    }
}

/// The string map member `name` of the body (`Tags`).
fn string_map(request: &Request, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
    match request.body.get(name) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| {
                value
                    .as_str()
                    .map(|value| (key.clone(), value.to_owned()))
                    .ok_or_else(|| invalid(format!("The tag {key} needs a string value.")))
            })
            .collect(),
        Some(_) => Err(invalid(format!("{name} must be a map of strings."))),
    }
}

/// Publishes `function`'s `$LATEST` as a new version, unless the last
/// published version has the same code and configuration (Lambda then
/// returns that one). Returns the version's number.
fn publish(function: &mut LambdaFunction, description: Option<&str>, request: &Request) -> u64 {
    if let Some((number, last)) = function.versions.iter().next_back()
        && last.code_sha256 == function.latest.code_sha256
        && last.runtime == function.latest.runtime
        && last.handler == function.latest.handler
        && last.role == function.latest.role
        && last.timeout == function.latest.timeout
        && last.memory_size == function.latest.memory_size
    {
        return *number;
    }
    let number = function.next_version;
    function.next_version += 1;
    let mut version = function.latest.clone();
    version.version = number.to_string();
    version.revision_id = revision_id();
    version.last_modified = request.now;
    if let Some(description) = description {
        description.clone_into(&mut version.description);
    }
    function.versions.insert(number, version);
    number
}

/// `CreateFunction`.
pub fn create(request: &Request) -> Answer {
    let name = request
        .text("FunctionName")
        .ok_or_else(|| invalid("The function needs a FunctionName."))?;
    let (name, qualifier) = parse_function_name(name)?;
    if qualifier.is_some() {
        return Err(invalid("A new function's name cannot have a qualifier."));
    }
    let role = request
        .text("Role")
        .ok_or_else(|| invalid("The function needs a Role: the ARN of its execution role."))?
        .to_owned();
    let (runtime, handler) = (request.text("Runtime"), request.text("Handler"));
    if runtime.is_none() || handler.is_none() {
        return Err(invalid(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
        ));
    }
    let (code_size, code_sha256) = code_of(request.body.get("Code"))?;
    let timeout = number(request, "Timeout", 3, 1..=MAX_TIMEOUT)?;
    let memory_size = number(request, "MemorySize", 128, 128..=10_240)?;
    let tags = string_map(request, "Tags")?;
    let publish_now = request.body.get("Publish").and_then(Value::as_bool) == Some(true);
    let latest = FunctionVersion {
        version: LATEST.to_owned(),
        runtime: runtime.map(str::to_owned),
        role: role.clone(),
        handler: handler.map(str::to_owned),
        description: request.text("Description").unwrap_or_default().to_owned(),
        timeout,
        memory_size,
        code_size,
        code_sha256,
        last_modified: request.now,
        revision_id: revision_id(),
    };
    let region = request.region.clone();
    let body = request.shared.world.write(|world| {
        if world.lambda.functions.contains_key(&name) {
            return Err(conflict(format!("Function already exist: {name}")));
        }
        check_role(world, &role)?;
        let mut function = LambdaFunction {
            name: name.clone(),
            latest,
            versions: BTreeMap::new(),
            next_version: 1,
            aliases: BTreeMap::new(),
            tags,
        };
        let shown = if publish_now {
            let number = publish(&mut function, None, request);
            let version = function
                .versions
                .get(&number)
                .cloned()
                .unwrap_or_else(|| function.latest.clone());
            configuration(&function, &version, &region, true)
        } else {
            configuration(&function, &function.latest, &region, false)
        };
        world.lambda.functions.insert(name.clone(), function);
        Ok(shown)
    })?;
    Ok(json(StatusCode::CREATED, &body))
}

/// The function the request's path names, and the version its qualifier
/// (or the `Qualifier` query parameter) names, `$LATEST` by default.
fn named_version(
    state: &LambdaState,
    request: &Request,
) -> Result<(LambdaFunction, FunctionVersion, bool), ApiError> {
    let (name, qualifier) = request.function()?;
    let function = function(state, &name, &request.region)?;
    let qualifier = qualifier.or_else(|| request.query("Qualifier").map(str::to_owned));
    let Some(qualifier) = qualifier else {
        return Ok((function.clone(), function.latest.clone(), false));
    };
    let version_name = function
        .aliases
        .get(&qualifier)
        .map_or(qualifier.clone(), |alias| alias.function_version.clone());
    let version = function.version(&version_name).cloned().ok_or_else(|| {
        not_found(format!(
            "Function not found: {}:{qualifier}",
            function.arn(&request.region)
        ))
    })?;
    Ok((function.clone(), version, true))
}

/// `GetFunction`.
pub fn get(request: &Request) -> Answer {
    let (function, version, qualified) = request
        .shared
        .world
        .read(|world| named_version(&world.lambda, request))?;
    let mut body = Map::new();
    body.insert(
        "Configuration".to_owned(),
        configuration(&function, &version, &request.region, qualified),
    );
    body.insert(
        "Code".to_owned(),
        json!({ "RepositoryType": "S3", "Location": "" }),
    );
    if !function.tags.is_empty() {
        body.insert("Tags".to_owned(), json!(function.tags));
    }
    Ok(json(StatusCode::OK, &Value::Object(body)))
}

/// `GetFunctionConfiguration`.
pub fn get_configuration(request: &Request) -> Answer {
    let (function, version, qualified) = request
        .shared
        .world
        .read(|world| named_version(&world.lambda, request))?;
    Ok(json(
        StatusCode::OK,
        &configuration(&function, &version, &request.region, qualified),
    ))
}

/// `ListFunctions`: each function's `$LATEST`, by name.
pub fn list(request: &Request) -> Answer {
    let all: Vec<Value> = request.shared.world.read(|world| {
        world
            .lambda
            .functions
            .values()
            .map(|function| configuration(function, &function.latest, &request.region, false))
            .collect()
    });
    let (shown, next) = page(&all, request.query("Marker"), request.query("MaxItems"))?;
    Ok(json(
        StatusCode::OK,
        &json!({ "Functions": shown, "NextMarker": next }),
    ))
}

/// `DeleteFunction`: the whole function, or one published version.
pub fn delete(request: &Request) -> Answer {
    let (name, qualifier) = request.function()?;
    let qualifier = qualifier.or_else(|| request.query("Qualifier").map(str::to_owned));
    request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        match qualifier.as_deref() {
            None => {
                world.lambda.functions.remove(&name);
                Ok(())
            }
            Some(LATEST) => Err(invalid(
                "$LATEST version cannot be deleted without deleting the function.",
            )),
            Some(qualifier) => {
                let number = qualifier
                    .parse::<u64>()
                    .ok()
                    .filter(|number| function.versions.contains_key(number));
                let Some(number) = number else {
                    return Err(not_found(format!(
                        "Function not found: {}:{qualifier}",
                        function_arn(&request.region, &name)
                    )));
                };
                if let Some(alias) = function.aliases.values().find(|alias| {
                    alias.function_version == qualifier
                        || alias.additional_version_weights.contains_key(qualifier)
                }) {
                    return Err(conflict(format!(
                        "Unable to delete version because the following aliases reference it: [{}]",
                        alias.name
                    )));
                }
                function.versions.remove(&number);
                Ok(())
            }
        }
    })?;
    Ok(no_content())
}

/// `UpdateFunctionCode`: new code for `$LATEST`, published as a version
/// too when `Publish` is set.
pub fn update_code(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let (code_size, code_sha256) = code_of(Some(&request.body))?;
    let publish_now = request.body.get("Publish").and_then(Value::as_bool) == Some(true);
    let expected = request.text("RevisionId").map(str::to_owned);
    let body = request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        if expected
            .as_ref()
            .is_some_and(|id| *id != function.latest.revision_id)
        {
            return Err(precondition_failed());
        }
        function.latest.code_size = code_size;
        function.latest.code_sha256 = code_sha256;
        function.latest.last_modified = request.now;
        function.latest.revision_id = revision_id();
        if publish_now {
            let number = publish(function, None, request);
            let version = function
                .versions
                .get(&number)
                .cloned()
                .unwrap_or_else(|| function.latest.clone());
            Ok(configuration(function, &version, &request.region, true))
        } else {
            Ok(configuration(
                function,
                &function.latest,
                &request.region,
                false,
            ))
        }
    })?;
    Ok(json(StatusCode::OK, &body))
}

/// `PublishVersion`.
pub fn publish_version(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let expected_sha = request.text("CodeSha256").map(str::to_owned);
    let expected_revision = request.text("RevisionId").map(str::to_owned);
    let description = request.text("Description").map(str::to_owned);
    let body = request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        if expected_revision.as_ref().is_some_and(|id| *id != function.latest.revision_id) {
            return Err(precondition_failed());
        }
        if let Some(sha) = expected_sha
            && sha != function.latest.code_sha256
        {
            return Err(invalid(format!(
                "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again with the CodeSHA256 in $LATEST.",
                function.latest.code_sha256
            )));
        }
        let number = publish(function, description.as_deref(), request);
        let version = function.versions.get(&number).cloned().unwrap_or_else(|| function.latest.clone());
        Ok(configuration(function, &version, &request.region, true))
    })?;
    Ok(json(StatusCode::CREATED, &body))
}

/// `ListVersionsByFunction`: `$LATEST`, then the published versions in
/// order.
pub fn list_versions(request: &Request) -> Answer {
    let (name, _) = request.function()?;
    let all: Vec<Value> = request.shared.world.read(|world| {
        let function = function(&world.lambda, &name, &request.region)?;
        Ok::<_, ApiError>(
            std::iter::once(&function.latest)
                .chain(function.versions.values())
                .map(|version| configuration(function, version, &request.region, true))
                .collect(),
        )
    })?;
    let (shown, next) = page(&all, request.query("Marker"), request.query("MaxItems"))?;
    Ok(json(
        StatusCode::OK,
        &json!({ "Versions": shown, "NextMarker": next }),
    ))
}

/// The function a tagging request's ARN names.
fn tagged_function(request: &Request) -> Result<String, ApiError> {
    let arn = request.segments.join("/");
    if !arn.starts_with("arn:") {
        return Err(invalid(format!(
            "1 validation error detected: Value '{arn}' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{{2}}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{{1}}:\\d{{12}}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?)"
        )));
    }
    let (name, _) = parse_function_name(&arn)?;
    Ok(name)
}

/// `TagResource`.
pub fn tag(request: &Request) -> Answer {
    let name = tagged_function(request)?;
    let tags = string_map(request, "Tags")?;
    request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        function.tags.extend(tags);
        Ok::<_, ApiError>(())
    })?;
    Ok(no_content())
}

/// `UntagResource`.
pub fn untag(request: &Request) -> Answer {
    let name = tagged_function(request)?;
    let keys = request.query_all("tagKeys");
    request.shared.world.write(|world| {
        let function = function_mut(&mut world.lambda, &name, &request.region)?;
        for key in &keys {
            function.tags.remove(key);
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(no_content())
}

/// `ListTags`.
pub fn list_tags(request: &Request) -> Answer {
    let name = tagged_function(request)?;
    let tags = request.shared.world.read(|world| {
        function(&world.lambda, &name, &request.region).map(|function| function.tags.clone())
    })?;
    Ok(json(StatusCode::OK, &json!({ "Tags": tags })))
}
