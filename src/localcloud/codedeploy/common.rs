//! What the operations of CodeDeploy share: the request's context, the
//! name and tag rules worded as CodeDeploy's exceptions, and looking up an
//! application.

use super::errors::no_such_application;
use super::shapes::Tag;
use super::state::{self, CodeDeployState};
use crate::domain::ComputePlatform;
use crate::domain::names::{self, NameError, NameKind, TagError};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::engine::EngineSettings;
use crate::localcloud::protocol::ApiError;

/// What an operation knows about the request besides its input.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
    /// How the deployment engine paces deployments.
    pub engine: EngineSettings,
}

impl Context {
    /// The ARN of a CodeDeploy resource in this request's region, e.g.
    /// `application:my-app`.
    pub fn arn(&self, resource: &str) -> String {
        format!(
            "arn:aws:codedeploy:{}:{}:{resource}",
            self.region, ACCOUNT_ID
        )
    }
}

/// The exceptions CodeDeploy uses for a missing and for a malformed name.
fn name_exceptions(kind: NameKind) -> (&'static str, &'static str) {
    match kind {
        NameKind::Application => (
            "ApplicationNameRequiredException",
            "InvalidApplicationNameException",
        ),
        NameKind::DeploymentGroup => (
            "DeploymentGroupNameRequiredException",
            "InvalidDeploymentGroupNameException",
        ),
        NameKind::DeploymentConfig => (
            "DeploymentConfigNameRequiredException",
            "InvalidDeploymentConfigNameException",
        ),
        NameKind::OnPremisesInstance => (
            "InstanceNameRequiredException",
            "InvalidInstanceNameException",
        ),
    }
}

/// Maps a name rule failure to CodeDeploy's exception.
pub fn name_error(kind: NameKind, error: &NameError) -> ApiError {
    let (required, invalid) = name_exceptions(kind);
    match error {
        NameError::Empty { .. } => ApiError::new(required, error.to_string()),
        _ => ApiError::new(invalid, error.to_string()),
    }
}

/// Checks that a name was given and follows the rules for its kind.
pub fn required_name(kind: NameKind, name: Option<String>) -> Result<String, ApiError> {
    let (required, _) = name_exceptions(kind);
    let name = name.ok_or_else(|| {
        ApiError::new(
            required,
            format!("The {kind} name is required; add it to the request."),
        )
    })?;
    names::validate_name(kind, &name).map_err(|error| name_error(kind, &error))?;
    Ok(name)
}

/// Checks a list of names of one kind: present, within `limit`, each valid.
pub fn required_names(
    kind: NameKind,
    names: Option<Vec<String>>,
    limit: usize,
) -> Result<Vec<String>, ApiError> {
    let (required, _) = name_exceptions(kind);
    let names = names.ok_or_else(|| {
        ApiError::new(
            required,
            format!("A list of {kind} names is required; add it to the request."),
        )
    })?;
    if names.len() > limit {
        return Err(ApiError::new(
            "BatchLimitExceededException",
            format!(
                "{} {kind} names were given but at most {limit} may be asked for at once; split the request.",
                names.len()
            ),
        ));
    }
    for name in &names {
        names::validate_name(kind, name).map_err(|error| name_error(kind, &error))?;
    }
    Ok(names)
}

/// Checks a list of tags to put on a resource and returns them with every
/// value present. Failures use the exception `code` of the operation.
pub fn checked_tags(
    tags: Vec<Tag>,
    limit: usize,
    code: &'static str,
) -> Result<Vec<Tag>, ApiError> {
    let tags: Vec<Tag> = tags
        .into_iter()
        .map(|tag| Tag {
            key: Some(tag.key.unwrap_or_default()),
            value: Some(tag.value.unwrap_or_default()),
        })
        .collect();
    names::validate_tags(tags.iter().map(|tag| (tag_key(tag), tag_value(tag))), limit)
        .map_err(|error| ApiError::new(code, error.to_string()))?;
    Ok(tags)
}

/// A tag's key, empty if absent.
pub fn tag_key(tag: &Tag) -> &str {
    tag.key.as_deref().unwrap_or_default()
}

/// A tag's value, empty if absent.
pub fn tag_value(tag: &Tag) -> &str {
    tag.value.as_deref().unwrap_or_default()
}

/// Sets `new` tags on `existing`: a tag with a key already present replaces
/// its value. Fails with `code` if the result would carry more than `limit`.
pub fn merge_tags(
    existing: &mut Vec<Tag>,
    new: Vec<Tag>,
    limit: usize,
    code: &'static str,
) -> Result<(), ApiError> {
    let mut merged = existing.clone();
    for tag in new {
        match merged.iter_mut().find(|old| old.key == tag.key) {
            Some(old) => old.value = tag.value,
            None => merged.push(tag),
        }
    }
    if merged.len() > limit {
        let error = TagError::TooMany {
            count: merged.len(),
            limit,
        };
        return Err(ApiError::new(code, error.to_string()));
    }
    *existing = merged;
    Ok(())
}

/// The application `name`, or `ApplicationDoesNotExistException`.
pub fn application<'a>(
    state: &'a CodeDeployState,
    name: &str,
) -> Result<&'a state::Application, ApiError> {
    state
        .applications
        .get(name)
        .ok_or_else(|| no_such_application(name))
}

/// The application `name` for changing, or `ApplicationDoesNotExistException`.
pub fn application_mut<'a>(
    state: &'a mut CodeDeployState,
    name: &str,
) -> Result<&'a mut state::Application, ApiError> {
    state
        .applications
        .get_mut(name)
        .ok_or_else(|| no_such_application(name))
}

/// Checks an enumerated value against the values the API allows.
pub fn one_of(
    value: &str,
    allowed: &[&str],
    what: &str,
    code: &'static str,
) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::new(
            code,
            format!(
                "\"{value}\" is not a valid {what}; use one of {}.",
                allowed.join(", ")
            ),
        ))
    }
}

/// Checks a compute platform by its API name, defaulting to `Server` when
/// absent, and returns the name as stored.
pub fn compute_platform(platform: Option<&str>) -> Result<String, ApiError> {
    ComputePlatform::parse_or_default(platform)
        .map(|platform| platform.as_str().to_owned())
        .map_err(|error| {
            ApiError::new(
                "InvalidComputePlatformException",
                format!("The computePlatform is invalid. {error}"),
            )
        })
}
