//! Instance profiles: `CreateInstanceProfile`, `GetInstanceProfile`,
//! `ListInstanceProfiles`, `DeleteInstanceProfile`,
//! `AddRoleToInstanceProfile`, `RemoveRoleFromInstanceProfile` and
//! `ListInstanceProfilesForRole`. A profile holds at most one role.

use serde::Serialize;

use super::common::{
    Answer, Context, Members, TagXml, already_exists, check_name, delete_conflict, limit_exceeded,
    no_such_entity, page, path_param, path_prefix, required, tags_param, tags_xml,
};
use super::roles::{RoleXml, role_param};
use super::state::{IamState, InstanceProfile, random_id};
use crate::domain::iam_names::IamNameKind;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// An instance profile as IAM's responses show it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProfileXml {
    path: String,
    instance_profile_name: String,
    instance_profile_id: String,
    arn: String,
    create_date: String,
    roles: Members<RoleXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Members<TagXml>>,
}

impl ProfileXml {
    fn new(iam: &IamState, profile: &InstanceProfile, with_tags: bool) -> Self {
        Self {
            path: profile.path.clone(),
            instance_profile_name: profile.name.clone(),
            instance_profile_id: profile.profile_id.clone(),
            arn: profile.arn(),
            create_date: profile.created.to_iso8601(),
            roles: profile
                .roles
                .iter()
                .filter_map(|key| iam.roles.get(key))
                .map(|role| RoleXml::new(role, false))
                .collect(),
            tags: if with_tags {
                tags_xml(&profile.tags)
            } else {
                None
            },
        }
    }
}

/// The result of `CreateInstanceProfile` and `GetInstanceProfile`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProfileResult {
    instance_profile: ProfileXml,
}

/// The result of `ListInstanceProfiles` and `ListInstanceProfilesForRole`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListProfilesResult {
    instance_profiles: Members<ProfileXml>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// The profile named by `InstanceProfileName`, which must exist.
fn profile_param<'a>(iam: &'a IamState, params: &Params) -> Result<&'a InstanceProfile, ApiError> {
    let name = required(params, "InstanceProfileName")?;
    check_name("InstanceProfileName", IamNameKind::InstanceProfile, name)?;
    iam.instance_profiles
        .get(&name.to_lowercase())
        .ok_or_else(|| {
            no_such_entity(format!(
                "Instance Profile {name} cannot be found. Check the name, or list profiles with ListInstanceProfiles."
            ))
        })
}

/// `CreateInstanceProfile`.
pub fn create(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let name = required(params, "InstanceProfileName")?;
    check_name("InstanceProfileName", IamNameKind::InstanceProfile, name)?;
    let path = path_param(params)?;
    let tags = tags_param(params)?;
    if let Some(existing) = iam.instance_profiles.get(&name.to_lowercase()) {
        return Err(already_exists(format!(
            "Instance Profile {} already exists. Choose another name, or use the existing profile.",
            existing.name
        )));
    }
    let profile = InstanceProfile {
        name: name.to_owned(),
        path,
        profile_id: random_id("AIPA"),
        created: context.now,
        roles: Vec::new(),
        tags,
    };
    let result = ProfileResult {
        instance_profile: ProfileXml::new(iam, &profile, true),
    };
    iam.instance_profiles.insert(name.to_lowercase(), profile);
    context.respond(&result)
}

/// `GetInstanceProfile`.
pub fn get(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let profile = profile_param(iam, params)?;
    context.respond(&ProfileResult {
        instance_profile: ProfileXml::new(iam, profile, true),
    })
}

/// Answers a list of profiles, paged.
fn answer_list(
    iam: &IamState,
    context: &Context,
    params: &Params,
    scope: &str,
    profiles: Vec<&InstanceProfile>,
) -> Answer {
    let keyed: Vec<(String, &InstanceProfile)> = profiles
        .into_iter()
        .map(|profile| (profile.name.to_lowercase(), profile))
        .collect();
    let (profiles, marker) = page(scope, keyed, params)?;
    context.respond(&ListProfilesResult {
        instance_profiles: profiles
            .into_iter()
            .map(|profile| ProfileXml::new(iam, profile, false))
            .collect(),
        is_truncated: marker.is_some(),
        marker,
    })
}

/// `ListInstanceProfiles`, by `PathPrefix`.
pub fn list(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let prefix = path_prefix(params)?;
    let profiles = iam
        .instance_profiles
        .values()
        .filter(|profile| profile.path.starts_with(&prefix))
        .collect();
    answer_list(
        iam,
        context,
        params,
        &format!("ListInstanceProfiles{prefix}"),
        profiles,
    )
}

/// `ListInstanceProfilesForRole`.
pub fn list_for_role(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let key = role_param(iam, params)?.name.to_lowercase();
    let profiles = iam
        .instance_profiles
        .values()
        .filter(|profile| profile.roles.contains(&key))
        .collect();
    answer_list(
        iam,
        context,
        params,
        &format!("ListInstanceProfilesForRole/{key}"),
        profiles,
    )
}

/// `DeleteInstanceProfile`: refused while it holds a role.
pub fn delete(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let profile = profile_param(iam, params)?;
    if !profile.roles.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first. Use RemoveRoleFromInstanceProfile.",
        ));
    }
    let key = profile.name.to_lowercase();
    iam.instance_profiles.remove(&key);
    Ok(context.respond_empty())
}

/// `AddRoleToInstanceProfile`: a profile holds at most one role.
pub fn add_role(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let profile = profile_param(iam, params)?;
    let profile_key = profile.name.to_lowercase();
    let role_key = role_param(iam, params)?.name.to_lowercase();
    if !profile.roles.is_empty() {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1. Instance profile {} already has a role; remove it with RemoveRoleFromInstanceProfile first.",
            profile.name
        )));
    }
    if let Some(profile) = iam.instance_profiles.get_mut(&profile_key) {
        profile.roles.push(role_key);
    }
    Ok(context.respond_empty())
}

/// `RemoveRoleFromInstanceProfile`.
pub fn remove_role(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let profile = profile_param(iam, params)?;
    let profile_key = profile.name.to_lowercase();
    let role = role_param(iam, params)?;
    let role_key = role.name.to_lowercase();
    if !profile.roles.contains(&role_key) {
        return Err(no_such_entity(format!(
            "Role {} is not in instance profile {}. See its role with GetInstanceProfile.",
            role.name, profile.name
        )));
    }
    if let Some(profile) = iam.instance_profiles.get_mut(&profile_key) {
        profile.roles.retain(|known| *known != role_key);
    }
    Ok(context.respond_empty())
}
