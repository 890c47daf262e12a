//! Roles: `CreateRole`, `GetRole`, `ListRoles`, `DeleteRole` and
//! `UpdateAssumeRolePolicy`.

use serde::Serialize;

use super::common::{
    Answer, Context, Members, TagXml, already_exists, check_name, delete_conflict, document_param,
    encode_document, malformed_policy, no_such_entity, page, path_param, path_prefix, required,
    tags_param, tags_xml, validation,
};
use super::state::{IamState, Role, random_id};
use crate::domain::iam_names::IamNameKind;
use crate::domain::policy::{PolicyKind, parse};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The session duration a role gets when none is given, in seconds.
pub const DEFAULT_SESSION: u32 = 3600;
/// The longest session a role may allow, in seconds.
pub const MAX_SESSION: u32 = 43_200;

/// A role as IAM's responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleXml {
    /// The path.
    pub path: String,
    /// The name.
    pub role_name: String,
    /// The id.
    pub role_id: String,
    /// The ARN.
    pub arn: String,
    /// When it was created.
    pub create_date: String,
    /// The trust policy, percent-encoded.
    pub assume_role_policy_document: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The longest session.
    pub max_session_duration: u32,
    /// The tags (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Members<TagXml>>,
}

impl RoleXml {
    /// `role` as a response shows it; `with_tags` for the operations that
    /// return tags (all but the lists).
    pub fn new(role: &Role, with_tags: bool) -> Self {
        Self {
            path: role.path.clone(),
            role_name: role.name.clone(),
            role_id: role.role_id.clone(),
            arn: role.arn(),
            create_date: role.created.to_iso8601(),
            assume_role_policy_document: encode_document(&role.assume_role_policy),
            description: role.description.clone(),
            max_session_duration: role.max_session_duration,
            tags: if with_tags {
                tags_xml(&role.tags)
            } else {
                None
            },
        }
    }
}

/// The result of `CreateRole` and `GetRole`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleResult {
    role: RoleXml,
}

/// The result of `ListRoles`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListRolesResult {
    roles: Members<RoleXml>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// The error for a role that does not exist.
pub fn no_such_role(name: &str) -> ApiError {
    no_such_entity(format!(
        "The role with name {name} cannot be found. Check the name, or list roles with ListRoles."
    ))
}

/// The role named by the `RoleName` parameter, which must exist.
pub fn role_param<'a>(iam: &'a IamState, params: &Params) -> Result<&'a Role, ApiError> {
    let name = required(params, "RoleName")?;
    check_name("RoleName", IamNameKind::Role, name)?;
    iam.role(name).ok_or_else(|| no_such_role(name))
}

/// The trust policy document parameter `name`, checked.
fn trust_policy(params: &Params, name: &str) -> Answer {
    let document = document_param(params, name)?;
    parse(document, PolicyKind::Trust).map_err(|error| malformed_policy(&error))?;
    Ok(document.to_owned())
}

/// `CreateRole`.
pub fn create(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let name = required(params, "RoleName")?;
    check_name("RoleName", IamNameKind::Role, name)?;
    let path = path_param(params)?;
    let assume_role_policy = trust_policy(params, "AssumeRolePolicyDocument")?;
    let description = params.get("Description").map(str::to_owned);
    if let Some(description) = &description
        && (description.chars().count() > 1000
            || description
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')))
    {
        return Err(validation(
            "Description",
            description,
            "Member must have length less than or equal to 1000 and hold no control characters.",
        ));
    }
    let max_session_duration = match params.get("MaxSessionDuration") {
        None => DEFAULT_SESSION,
        Some(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|seconds| (DEFAULT_SESSION..=MAX_SESSION).contains(seconds))
            .ok_or_else(|| {
                validation(
                    "MaxSessionDuration",
                    text,
                    "Member must have value between 3600 and 43200 (one to twelve hours, in seconds).",
                )
            })?,
    };
    let tags = tags_param(params)?;
    if let Some(existing) = iam.role(name) {
        return Err(already_exists(format!(
            "Role with name {} already exists. Choose another name, or use the existing role.",
            existing.name
        )));
    }
    let role = Role {
        name: name.to_owned(),
        path,
        role_id: random_id("AROA"),
        created: context.now,
        assume_role_policy,
        description,
        max_session_duration,
        tags,
        attached_policies: Vec::new(),
        inline_policies: std::collections::BTreeMap::new(),
    };
    let result = RoleResult {
        role: RoleXml::new(&role, true),
    };
    iam.roles.insert(name.to_lowercase(), role);
    context.respond(&result)
}

/// `GetRole`.
pub fn get(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    context.respond(&RoleResult {
        role: RoleXml::new(role, true),
    })
}

/// `ListRoles`, by `PathPrefix`, paged with `Marker` and `MaxItems`.
pub fn list(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let prefix = path_prefix(params)?;
    let roles: Vec<(String, &Role)> = iam
        .roles
        .iter()
        .filter(|(_, role)| role.path.starts_with(&prefix))
        .map(|(key, role)| (key.clone(), role))
        .collect();
    let (roles, marker) = page(&format!("ListRoles{prefix}"), roles, params)?;
    context.respond(&ListRolesResult {
        roles: roles
            .into_iter()
            .map(|role| RoleXml::new(role, false))
            .collect(),
        is_truncated: marker.is_some(),
        marker,
    })
}

/// `DeleteRole`: refused while the role has policies or is in a profile.
pub fn delete(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    let key = role.name.to_lowercase();
    if !role.attached_policies.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must detach all policies first. Detach them with DetachRolePolicy.",
        ));
    }
    if !role.inline_policies.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must delete policies first. Delete the inline policies with DeleteRolePolicy.",
        ));
    }
    if iam
        .instance_profiles
        .values()
        .any(|profile| profile.roles.contains(&key))
    {
        return Err(delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first. Use RemoveRoleFromInstanceProfile.",
        ));
    }
    iam.roles.remove(&key);
    Ok(context.respond_empty())
}

/// `UpdateAssumeRolePolicy`: replaces a role's trust policy.
pub fn update_assume_role_policy(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let key = role_param(iam, params)?.name.to_lowercase();
    let document = trust_policy(params, "PolicyDocument")?;
    if let Some(role) = iam.roles.get_mut(&key) {
        role.assume_role_policy = document;
    }
    Ok(context.respond_empty())
}
