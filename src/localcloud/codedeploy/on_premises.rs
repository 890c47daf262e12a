//! `RegisterOnPremisesInstance`, `DeregisterOnPremisesInstance`,
//! `GetOnPremisesInstance`, `BatchGetOnPremisesInstances`,
//! `ListOnPremisesInstances`, `AddTagsToOnPremisesInstances` and
//! `RemoveTagsFromOnPremisesInstances`.
//!
//! A deregistered instance stays known (with its deregistration time) and
//! is listed as `Deregistered`, as in CodeDeploy; its name stays taken.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{
    Answer, Context, batch_names, checked_tags, list_page, merge_tags, one_of, required_name,
    required_names, tag_key, tag_value,
};
use super::shapes::{Tag, TagFilter};
use super::state::{CodeDeployState, OnPremisesInstance};
use crate::domain::names::{self, NameKind};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input, output};

/// The most instances `BatchGetOnPremisesInstances` takes at once.
pub const BATCH_LIMIT: usize = 25;
/// The most instances one tagging call may name.
pub const MAX_INSTANCES_PER_CALL: usize = 100;
/// The most tags an on-premises instance can carry.
pub const MAX_TAGS_PER_INSTANCE: usize = 10;

/// `InstanceInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceInfo<'a> {
    instance_name: &'a str,
    iam_session_arn: Option<&'a str>,
    iam_user_arn: Option<&'a str>,
    instance_arn: &'a str,
    register_time: Timestamp,
    deregister_time: Option<Timestamp>,
    tags: &'a [Tag],
}

impl<'a> InstanceInfo<'a> {
    /// The API's view of `instance`.
    fn of(instance: &'a OnPremisesInstance) -> Self {
        Self {
            instance_name: &instance.name,
            iam_session_arn: instance.iam_session_arn.as_deref(),
            iam_user_arn: instance.iam_user_arn.as_deref(),
            instance_arn: &instance.instance_arn,
            register_time: instance.register_time,
            deregister_time: instance.deregister_time,
            tags: &instance.tags,
        }
    }
}

/// `RegisterOnPremisesInstanceInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterInput {
    instance_name: Option<String>,
    iam_session_arn: Option<String>,
    iam_user_arn: Option<String>,
}

/// Checks that `arn` is an ARN of the IAM (or STS) kind expected.
fn check_iam_arn(
    arn: &str,
    service: &str,
    resource: &str,
    code: &'static str,
) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == service
        && parts[5].starts_with(resource)
        && parts[5].len() > resource.len();
    if valid {
        Ok(())
    } else {
        Err(ApiError::new(
            code,
            format!(
                "\"{arn}\" is not a valid ARN here; give one like arn:aws:{service}::000000000000:{resource}name."
            ),
        ))
    }
}

/// Registers an on-premises instance with exactly one IAM identity.
pub fn register(state: &mut CodeDeployState, context: &Context, body: &Value) -> Answer {
    let request: RegisterInput = input(body)?;
    let name = required_name(NameKind::OnPremisesInstance, request.instance_name)?;
    let session = request.iam_session_arn.filter(|arn| !arn.is_empty());
    let user = request.iam_user_arn.filter(|arn| !arn.is_empty());
    match (&session, &user) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                "MultipleIamArnsProvidedException",
                "Give either iamSessionArn or iamUserArn, not both.",
            ));
        }
        (None, None) => {
            return Err(ApiError::new(
                "IamArnRequiredException",
                "An on-premises instance needs an IAM identity: give iamSessionArn or iamUserArn.",
            ));
        }
        (Some(arn), None) => {
            check_iam_arn(arn, "sts", "assumed-role/", "InvalidIamSessionArnException")?;
        }
        (None, Some(arn)) => check_iam_arn(arn, "iam", "user/", "InvalidIamUserArnException")?,
    }
    if state.on_premises_instances.contains_key(&name) {
        return Err(ApiError::new(
            "InstanceNameAlreadyRegisteredException",
            format!(
                "An on-premises instance named \"{name}\" is already registered (names stay taken after deregistration); choose another name."
            ),
        ));
    }
    for other in state.on_premises_instances.values() {
        if let Some(arn) = &session
            && other.iam_session_arn.as_ref() == Some(arn)
        {
            return Err(ApiError::new(
                "IamSessionArnAlreadyRegisteredException",
                format!(
                    "The IAM session {arn} is already registered for instance \"{}\"; each instance needs its own.",
                    other.name
                ),
            ));
        }
        if let Some(arn) = &user
            && other.iam_user_arn.as_ref() == Some(arn)
        {
            return Err(ApiError::new(
                "IamUserArnAlreadyRegisteredException",
                format!(
                    "The IAM user {arn} is already registered for instance \"{}\"; each instance needs its own.",
                    other.name
                ),
            ));
        }
    }
    let instance_arn = context.arn(&format!("instance/{name}"));
    state.on_premises_instances.insert(
        name.clone(),
        OnPremisesInstance {
            name,
            iam_session_arn: session,
            iam_user_arn: user,
            instance_arn,
            register_time: context.now,
            deregister_time: None,
            tags: Vec::new(),
        },
    );
    Ok(empty())
}

/// An input with only an instance name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameInput {
    instance_name: Option<String>,
}

/// The error for an instance that is not registered.
fn not_registered(name: &str) -> ApiError {
    ApiError::new(
        "InstanceNotRegisteredException",
        format!(
            "No on-premises instance named \"{name}\" is registered; register it with RegisterOnPremisesInstance."
        ),
    )
}

/// Deregisters an instance. It stays listed as deregistered.
pub fn deregister(state: &mut CodeDeployState, context: &Context, body: &Value) -> Answer {
    let request: NameInput = input(body)?;
    let name = required_name(NameKind::OnPremisesInstance, request.instance_name)?;
    if let Some(instance) = state.on_premises_instances.get_mut(&name)
        && instance.deregister_time.is_none()
    {
        instance.deregister_time = Some(context.now);
    }
    Ok(empty())
}

/// Returns one instance.
pub fn get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NameInput = input(body)?;
    let name = required_name(NameKind::OnPremisesInstance, request.instance_name)?;
    let instance = state
        .on_premises_instances
        .get(&name)
        .ok_or_else(|| not_registered(&name))?;
    output(&serde_json::json!({ "instanceInfo": InstanceInfo::of(instance) }))
}

/// Returns several instances; names that are not known are left out.
pub fn batch_get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let names = batch_names(
        body,
        "instanceNames",
        NameKind::OnPremisesInstance,
        BATCH_LIMIT,
    )?;
    let infos: Vec<InstanceInfo<'_>> = names
        .iter()
        .filter_map(|name| state.on_premises_instances.get(name))
        .map(InstanceInfo::of)
        .collect();
    output(&serde_json::json!({ "instanceInfos": infos }))
}

/// `ListOnPremisesInstancesInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    registration_status: Option<String>,
    tag_filters: Option<Vec<TagFilter>>,
    next_token: Option<String>,
}

/// Lists instance names in name order, optionally only those with a
/// registration status, and only those matching any of the tag filters.
pub fn list(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    if let Some(status) = &request.registration_status {
        one_of(
            status,
            &["Registered", "Deregistered"],
            "registration status",
            "InvalidRegistrationStatusException",
        )?;
    }
    let filters = request.tag_filters.unwrap_or_default();
    let filter_types = filters
        .iter()
        .map(|filter| {
            names::validate_tag_filter(
                filter.key.as_deref(),
                filter.value.as_deref(),
                filter.filter_type.as_deref(),
            )
            .map_err(|error| ApiError::new("InvalidTagFilterException", error.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let matches_filters = |instance: &OnPremisesInstance| {
        filters.is_empty()
            || filters.iter().zip(&filter_types).any(|(filter, kind)| {
                instance.tags.iter().any(|tag| {
                    kind.matches(
                        filter.key.as_deref().unwrap_or_default(),
                        filter.value.as_deref().unwrap_or_default(),
                        tag_key(tag),
                        tag_value(tag),
                    )
                })
            })
    };
    let names = state
        .on_premises_instances
        .values()
        .filter(|instance| match request.registration_status.as_deref() {
            Some("Registered") => instance.deregister_time.is_none(),
            Some("Deregistered") => instance.deregister_time.is_some(),
            _ => true,
        })
        .filter(|instance| matches_filters(instance))
        .map(|instance| (instance.name.clone(), instance.name.clone()))
        .collect();
    let scope = format!(
        "ListOnPremisesInstances/{}",
        request.registration_status.as_deref().unwrap_or_default()
    );
    list_page(
        &scope,
        names,
        request.next_token.as_deref(),
        "instanceNames",
    )
}

/// The input of both tagging operations.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagsInput {
    tags: Option<Vec<Tag>>,
    instance_names: Option<Vec<String>>,
}

/// Checks a tagging request: tags given and valid, instances given, known
/// and not too many.
fn checked_tagging(
    state: &CodeDeployState,
    request: TagsInput,
) -> Result<(Vec<Tag>, Vec<String>), ApiError> {
    let names = required_names(
        NameKind::OnPremisesInstance,
        request.instance_names,
        usize::MAX,
    )?;
    if names.is_empty() {
        return Err(ApiError::new(
            "InstanceNameRequiredException",
            "Name at least one on-premises instance in instanceNames.",
        ));
    }
    if names.len() > MAX_INSTANCES_PER_CALL {
        return Err(ApiError::new(
            "InstanceLimitExceededException",
            format!(
                "{} instances were named but one call may tag at most {MAX_INSTANCES_PER_CALL}; split the request.",
                names.len()
            ),
        ));
    }
    let tags = request.tags.unwrap_or_default();
    if tags.is_empty() {
        return Err(ApiError::new(
            "TagRequiredException",
            "Give at least one tag in tags.",
        ));
    }
    let tags = checked_tags(tags, usize::MAX, "InvalidTagException")?;
    if let Some(unknown) = names
        .iter()
        .find(|name| !state.on_premises_instances.contains_key(*name))
    {
        return Err(not_registered(unknown));
    }
    Ok((tags, names))
}

/// Adds tags to instances; a tag whose key an instance already has replaces
/// its value.
pub fn add_tags(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let (tags, names) = checked_tagging(state, input(body)?)?;
    // Check every instance before changing any, so a failure changes nothing.
    let mut updated = Vec::with_capacity(names.len());
    for name in &names {
        if let Some(instance) = state.on_premises_instances.get(name) {
            let mut instance_tags = instance.tags.clone();
            merge_tags(
                &mut instance_tags,
                tags.clone(),
                MAX_TAGS_PER_INSTANCE,
                "TagLimitExceededException",
            )?;
            updated.push((name, instance_tags));
        }
    }
    for (name, instance_tags) in updated {
        if let Some(instance) = state.on_premises_instances.get_mut(name) {
            instance.tags = instance_tags;
        }
    }
    Ok(empty())
}

/// Removes tags from instances. A tag is removed where key and value both
/// match; a tag given without a value removes the key whatever its value.
pub fn remove_tags(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: TagsInput = input(body)?;
    let values_given: Vec<bool> = request
        .tags
        .iter()
        .flatten()
        .map(|tag| tag.value.is_some())
        .collect();
    let (tags, names) = checked_tagging(state, request)?;
    for name in &names {
        if let Some(instance) = state.on_premises_instances.get_mut(name) {
            instance.tags.retain(|existing| {
                !tags
                    .iter()
                    .zip(&values_given)
                    .any(|(removed, value_given)| {
                        removed.key == existing.key
                            && (!value_given || removed.value == existing.value)
                    })
            });
        }
    }
    Ok(empty())
}
