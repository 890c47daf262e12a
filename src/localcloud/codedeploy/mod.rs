//! The CodeDeploy service of the local cloud (`awsJson1_1`, target prefix
//! `CodeDeploy_20141006`).
//!
//! Each family of operations lives in its own file, which reads its input,
//! checks it and applies it to the [`CodeDeployState`]. This file only maps
//! an operation's name to its function and holds the helpers they share.
//! Operations that only read are given the state read-only; the world is
//! saved after each operation that writes and succeeds.

pub mod applications;
pub mod deployment_configs;
pub mod deployment_groups;
pub mod deployment_state;
pub mod deployments;
pub mod on_premises;
pub mod revisions;
pub mod shapes;
pub mod state;
pub mod tags;
pub mod targets;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use state::CodeDeployState;

use super::api_error::ApiError;
use super::clock::Timestamp;
use super::engine::EngineSettings;
use super::world::{SharedWorld, World};
use crate::domain::ComputePlatform;
use crate::domain::names::{self, NameError, NameKind, TagError};
use shapes::Tag;

/// The `X-Amz-Target` prefix of CodeDeploy requests.
pub const TARGET_PREFIX: &str = "CodeDeploy_20141006";

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
            self.region,
            super::ACCOUNT_ID
        )
    }
}

/// An operation that only reads the state.
type ReadOperation = fn(&CodeDeployState, &Context, Value) -> Result<Value, ApiError>;
/// An operation that reads CodeDeploy's and other services' state
/// (revisions read the local S3's objects).
type ReadWorldOperation = fn(&World, &Context, Value) -> Result<Value, ApiError>;
/// An operation that may change the state.
type WriteOperation = fn(&mut CodeDeployState, &Context, Value) -> Result<Value, ApiError>;
/// An operation that may change CodeDeploy's and other services' state
/// (deployments read and change EC2 instances).
type WorldOperation = fn(&mut World, &Context, Value) -> Result<Value, ApiError>;

/// An operation, by how it touches the state.
enum Operation {
    /// Reads only.
    Read(ReadOperation),
    /// Reads only, beyond CodeDeploy's own state.
    ReadWorld(ReadWorldOperation),
    /// May write.
    Write(WriteOperation),
    /// May write, beyond CodeDeploy's own state.
    WriteWorld(WorldOperation),
}

/// The function that implements `name`, if the local cloud has it.
fn operation(name: &str) -> Option<Operation> {
    use Operation::{Read, ReadWorld, Write, WriteWorld};
    Some(match name {
        "CreateApplication" => Write(applications::create),
        "GetApplication" => Read(applications::get),
        "BatchGetApplications" => Read(applications::batch_get),
        "ListApplications" => Read(applications::list),
        "UpdateApplication" => Write(applications::update),
        "DeleteApplication" => Write(applications::delete),
        "CreateDeploymentGroup" => Write(deployment_groups::create),
        "GetDeploymentGroup" => Read(deployment_groups::get),
        "BatchGetDeploymentGroups" => Read(deployment_groups::batch_get),
        "ListDeploymentGroups" => Read(deployment_groups::list),
        "UpdateDeploymentGroup" => Write(deployment_groups::update),
        "DeleteDeploymentGroup" => Write(deployment_groups::delete),
        "CreateDeploymentConfig" => Write(deployment_configs::create),
        "GetDeploymentConfig" => Read(deployment_configs::get),
        "ListDeploymentConfigs" => Read(deployment_configs::list),
        "DeleteDeploymentConfig" => Write(deployment_configs::delete),
        "RegisterApplicationRevision" => Write(revisions::register),
        "GetApplicationRevision" => ReadWorld(revisions::get),
        "BatchGetApplicationRevisions" => ReadWorld(revisions::batch_get),
        "ListApplicationRevisions" => ReadWorld(revisions::list),
        "RegisterOnPremisesInstance" => Write(on_premises::register),
        "DeregisterOnPremisesInstance" => Write(on_premises::deregister),
        "GetOnPremisesInstance" => Read(on_premises::get),
        "BatchGetOnPremisesInstances" => Read(on_premises::batch_get),
        "ListOnPremisesInstances" => Read(on_premises::list),
        "AddTagsToOnPremisesInstances" => Write(on_premises::add_tags),
        "RemoveTagsFromOnPremisesInstances" => Write(on_premises::remove_tags),
        "CreateDeployment" => WriteWorld(deployments::create),
        "GetDeployment" => Read(deployments::get),
        "BatchGetDeployments" => Read(deployments::batch_get),
        "ListDeployments" => Read(deployments::list),
        "StopDeployment" => WriteWorld(deployments::stop),
        "ContinueDeployment" => WriteWorld(deployments::continue_deployment),
        "ListDeploymentTargets" => Read(targets::list_targets),
        "BatchGetDeploymentTargets" => Read(targets::batch_get_targets),
        "GetDeploymentTarget" => Read(targets::get_target),
        "ListDeploymentInstances" => Read(targets::list_instances),
        "BatchGetDeploymentInstances" => Read(targets::batch_get_instances),
        "GetDeploymentInstance" => Read(targets::get_instance),
        "TagResource" => Write(tags::tag_resource),
        "UntagResource" => Write(tags::untag_resource),
        "ListTagsForResource" => Read(tags::list_tags_for_resource),
        _ => return None,
    })
}

/// Runs the CodeDeploy operation `name` with the raw request `body`.
pub fn handle(
    world: &SharedWorld,
    context: &Context,
    name: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let Some(operation) = operation(name) else {
        let message = if name.is_empty() {
            "The X-Amz-Target header names no operation; send CodeDeploy_20141006.<Operation>."
                .to_owned()
        } else {
            format!("The local cloud does not implement CodeDeploy operation {name} yet.")
        };
        return Err(ApiError::new("UnknownOperationException", message));
    };
    let input = parse_body(body)?;
    match operation {
        Operation::Read(run) => world.read(|world| run(&world.codedeploy, context, input)),
        Operation::ReadWorld(run) => world.read(|world| run(world, context, input)),
        Operation::Write(run) => world.write(|world| run(&mut world.codedeploy, context, input)),
        Operation::WriteWorld(run) => world.write(|world| run(world, context, input)),
    }
}

/// Reads a request body as a JSON object; an empty body counts as `{}`.
fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::serialization(format!(
            "The request body is not valid JSON ({error}); send a JSON object with the operation's members."
        ))
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::serialization(
            "The request body must be a JSON object with the operation's members.",
        ))
    }
}

/// Reads an operation's input from the request's JSON object. A member of
/// the wrong type is a `SerializationException`, as in CodeDeploy.
pub fn input<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|error| {
        ApiError::serialization(format!(
            "The request does not match the operation's input ({error}); check the member names and types."
        ))
    })
}

/// Turns an operation's output into JSON.
pub fn output<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| {
        ApiError::internal(format!(
            "The local cloud could not encode its answer ({error})."
        ))
    })
}

/// The empty output of operations that return nothing.
pub fn empty() -> Value {
    Value::Object(serde_json::Map::new())
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

/// The error for an application that does not exist.
pub fn no_such_application(name: &str) -> ApiError {
    ApiError::new(
        "ApplicationDoesNotExistException",
        format!(
            "No application named \"{name}\" exists in this account; check the name, or create it with CreateApplication."
        ),
    )
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
