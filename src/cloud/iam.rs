//! IAM operations as small async functions that return our own types: the
//! roles, policies and instance profiles a CodeDeploy setup needs.
//!
//! Policy documents travel percent-encoded in IAM's responses; these
//! functions decode them, and read trust policies as typed
//! [`PolicyDocument`]s so a wizard can ask
//! [`allows_service`](crate::domain::policy::allows_service).

use std::time::SystemTime;

use aws_sdk_iam::types as iam;

use super::error::{CloudError, CloudResult, sdk_error};
use super::session::Session;
use super::to_system_time;
use crate::domain::policy::{PolicyDocument, PolicyKind, parse};

/// A role.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// The name.
    pub name: String,
    /// The ARN, which deployment groups take as their service role.
    pub arn: String,
    /// The path, `/` or `/a/b/`.
    pub path: String,
    /// The id.
    pub role_id: String,
    /// The description, if any.
    pub description: Option<String>,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// The trust policy as JSON text (decoded).
    pub trust_policy_json: String,
    /// The trust policy, typed; `None` if it could not be read.
    pub trust_policy: Option<PolicyDocument>,
}

impl Role {
    /// Whether the role's trust policy lets `service` (for example
    /// `codedeploy.amazonaws.com`) assume it.
    pub fn trusts(&self, service: &str) -> bool {
        self.trust_policy
            .as_ref()
            .is_some_and(|document| crate::domain::policy::allows_service(document, service))
    }

    fn from_sdk(role: &iam::Role) -> Self {
        let trust_policy_json = role
            .assume_role_policy_document()
            .map(decode_document)
            .unwrap_or_default();
        let trust_policy = parse(&trust_policy_json, PolicyKind::Trust).ok();
        Self {
            name: role.role_name().to_owned(),
            arn: role.arn().to_owned(),
            path: role.path().to_owned(),
            role_id: role.role_id().to_owned(),
            description: role.description().map(str::to_owned),
            created: to_system_time(Some(role.create_date())),
            trust_policy_json,
            trust_policy,
        }
    }
}

/// What to create a role with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRole {
    /// The name.
    pub name: String,
    /// The path; `None` for `/`.
    pub path: Option<String>,
    /// The trust policy.
    pub trust_policy: PolicyDocument,
    /// The description, if any.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

impl NewRole {
    /// A role named `name` that the service `service` may assume, e.g.
    /// `NewRole::for_service("CodeDeployServiceRole", "codedeploy.amazonaws.com")`.
    pub fn for_service(name: &str, service: &str) -> Self {
        Self {
            name: name.to_owned(),
            path: None,
            trust_policy: PolicyDocument::trust_for_service(service),
            description: None,
            tags: Vec::new(),
        }
    }
}

/// A managed policy attached to a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// The policy's name.
    pub name: String,
    /// The policy's ARN.
    pub arn: String,
}

/// An instance profile.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceProfile {
    /// The name.
    pub name: String,
    /// The ARN, which instances are launched with.
    pub arn: String,
    /// The id.
    pub profile_id: String,
    /// The path.
    pub path: String,
    /// The names of its roles (at most one).
    pub role_names: Vec<String>,
    /// When it was created.
    pub created: Option<SystemTime>,
}

impl InstanceProfile {
    fn from_sdk(profile: &iam::InstanceProfile) -> Self {
        Self {
            name: profile.instance_profile_name().to_owned(),
            arn: profile.arn().to_owned(),
            profile_id: profile.instance_profile_id().to_owned(),
            path: profile.path().to_owned(),
            role_names: profile
                .roles()
                .iter()
                .map(|role| role.role_name().to_owned())
                .collect(),
            created: to_system_time(Some(profile.create_date())),
        }
    }
}

/// Decodes a policy document as IAM returns it (percent-encoded JSON). A
/// document that is not encoded comes back unchanged.
pub fn decode_document(encoded: &str) -> String {
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned()
}

/// Maps SDK errors of `operation` to [`CloudError`], treating IAM's
/// validation codes as invalid input.
fn error<E, R>(
    session: &Session,
    operation: &str,
) -> impl FnOnce(aws_sdk_iam::error::SdkError<E, R>) -> CloudError + use<E, R>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let convert = sdk_error(session, operation);
    move |sdk| match convert(sdk) {
        CloudError::Service { code, message, .. }
            if matches!(
                code.as_str(),
                "ValidationError" | "MalformedPolicyDocument" | "InvalidInput"
            ) =>
        {
            CloudError::Invalid { code, message }
        }
        other => other,
    }
}

/// Turns a `NotFound` error into `None`.
fn found<T>(result: Result<T, CloudError>) -> Result<Option<T>, CloudError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(CloudError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Lists every role (all pages), with its decoded trust policy, sorted by
/// name.
pub async fn list_roles(session: &Session) -> CloudResult<Vec<Role>> {
    list_roles_under(session, "/").await
}

/// Lists every role whose path starts with `path_prefix`.
pub async fn list_roles_under(session: &Session, path_prefix: &str) -> CloudResult<Vec<Role>> {
    let request = session.iam.list_roles().path_prefix(path_prefix);
    let pages = request.into_paginator().items().send().try_collect().await;
    let mut roles: Vec<Role> = pages
        .map_err(error(session, "ListRoles"))?
        .iter()
        .map(Role::from_sdk)
        .collect();
    roles.sort_by_key(|role| role.name.to_lowercase());
    Ok(roles)
}

/// The role named `name`, or `None` if there is none.
pub async fn get_role(session: &Session, name: &str) -> CloudResult<Option<Role>> {
    let output = session.iam.get_role().role_name(name).send().await;
    let output = found(output.map_err(error(session, "GetRole")))?;
    Ok(output.and_then(|output| output.role().map(Role::from_sdk)))
}

/// Creates a role and returns it.
pub async fn create_role(session: &Session, role: &NewRole) -> CloudResult<Role> {
    let mut request = session
        .iam
        .create_role()
        .role_name(&role.name)
        .assume_role_policy_document(role.trust_policy.to_json())
        .set_path(role.path.clone())
        .set_description(role.description.clone());
    for (key, value) in &role.tags {
        let tag = iam::Tag::builder().key(key).value(value).build();
        request = request.tags(tag.map_err(|problem| CloudError::Other(problem.to_string()))?);
    }
    let output = request.send().await.map_err(error(session, "CreateRole"))?;
    output
        .role()
        .map(Role::from_sdk)
        .ok_or_else(|| CloudError::Other("CreateRole returned no role".to_owned()))
}

/// Replaces the trust policy of the role `name`.
pub async fn update_trust_policy(
    session: &Session,
    name: &str,
    trust_policy: &PolicyDocument,
) -> CloudResult<()> {
    let request = session.iam.update_assume_role_policy().role_name(name);
    let request = request.policy_document(trust_policy.to_json()).send();
    request
        .await
        .map_err(error(session, "UpdateAssumeRolePolicy"))?;
    Ok(())
}

/// Deletes the role `name` (it must have no policies and be in no profile).
pub async fn delete_role(session: &Session, name: &str) -> CloudResult<()> {
    let request = session.iam.delete_role().role_name(name);
    request.send().await.map_err(error(session, "DeleteRole"))?;
    Ok(())
}

/// Attaches the managed policy `policy_arn` to the role `role_name`, or
/// detaches it when `attached` is false.
async fn set_attached(
    session: &Session,
    role_name: &str,
    policy_arn: &str,
    attached: bool,
) -> CloudResult<()> {
    if attached {
        let request = session.iam.attach_role_policy().role_name(role_name);
        let request = request.policy_arn(policy_arn).send();
        request.await.map_err(error(session, "AttachRolePolicy"))?;
    } else {
        let request = session.iam.detach_role_policy().role_name(role_name);
        let request = request.policy_arn(policy_arn).send();
        request.await.map_err(error(session, "DetachRolePolicy"))?;
    }
    Ok(())
}

/// Attaches the managed policy `policy_arn` to the role `role_name`.
pub async fn attach_policy(
    session: &Session,
    role_name: &str,
    policy_arn: &str,
) -> CloudResult<()> {
    set_attached(session, role_name, policy_arn, true).await
}

/// Detaches the managed policy `policy_arn` from the role `role_name`.
pub async fn detach_policy(
    session: &Session,
    role_name: &str,
    policy_arn: &str,
) -> CloudResult<()> {
    set_attached(session, role_name, policy_arn, false).await
}

/// Every managed policy attached to the role `role_name` (all pages).
pub async fn list_attached_policies(
    session: &Session,
    role_name: &str,
) -> CloudResult<Vec<AttachedPolicy>> {
    let request = session
        .iam
        .list_attached_role_policies()
        .role_name(role_name);
    let pages = request.into_paginator().items().send().try_collect().await;
    let policies = pages.map_err(error(session, "ListAttachedRolePolicies"))?;
    Ok(policies
        .iter()
        .map(|policy| AttachedPolicy {
            name: policy.policy_name().unwrap_or_default().to_owned(),
            arn: policy.policy_arn().unwrap_or_default().to_owned(),
        })
        .collect())
}

/// Adds or replaces the inline policy `policy_name` of the role `role_name`.
pub async fn put_inline_policy(
    session: &Session,
    role_name: &str,
    policy_name: &str,
    document: &PolicyDocument,
) -> CloudResult<()> {
    let request = session.iam.put_role_policy().role_name(role_name);
    let request = request
        .policy_name(policy_name)
        .policy_document(document.to_json());
    request
        .send()
        .await
        .map_err(error(session, "PutRolePolicy"))?;
    Ok(())
}

/// The inline policy `policy_name` of the role `role_name` as JSON text,
/// or `None` if the role has no such policy.
pub async fn get_inline_policy(
    session: &Session,
    role_name: &str,
    policy_name: &str,
) -> CloudResult<Option<String>> {
    let request = session.iam.get_role_policy().role_name(role_name);
    let output = request.policy_name(policy_name).send().await;
    let output = found(output.map_err(error(session, "GetRolePolicy")))?;
    Ok(output.map(|output| decode_document(output.policy_document())))
}

/// The names of the inline policies of the role `role_name` (all pages).
pub async fn list_inline_policies(session: &Session, role_name: &str) -> CloudResult<Vec<String>> {
    let request = session.iam.list_role_policies().role_name(role_name);
    let pages = request.into_paginator().items().send().try_collect().await;
    pages.map_err(error(session, "ListRolePolicies"))
}

/// Deletes the inline policy `policy_name` of the role `role_name`.
pub async fn delete_inline_policy(
    session: &Session,
    role_name: &str,
    policy_name: &str,
) -> CloudResult<()> {
    let request = session.iam.delete_role_policy().role_name(role_name);
    let request = request.policy_name(policy_name).send();
    request.await.map_err(error(session, "DeleteRolePolicy"))?;
    Ok(())
}

/// Creates the instance profile `name` and returns it.
pub async fn create_instance_profile(
    session: &Session,
    name: &str,
) -> CloudResult<InstanceProfile> {
    let request = session
        .iam
        .create_instance_profile()
        .instance_profile_name(name);
    let output = request
        .send()
        .await
        .map_err(error(session, "CreateInstanceProfile"))?;
    output
        .instance_profile()
        .map(InstanceProfile::from_sdk)
        .ok_or_else(|| CloudError::Other("CreateInstanceProfile returned no profile".to_owned()))
}

/// The instance profile `name`, or `None` if there is none.
pub async fn get_instance_profile(
    session: &Session,
    name: &str,
) -> CloudResult<Option<InstanceProfile>> {
    let request = session
        .iam
        .get_instance_profile()
        .instance_profile_name(name);
    let output = found(
        request
            .send()
            .await
            .map_err(error(session, "GetInstanceProfile")),
    )?;
    Ok(output.and_then(|output| output.instance_profile().map(InstanceProfile::from_sdk)))
}

/// Every instance profile (all pages), sorted by name.
pub async fn list_instance_profiles(session: &Session) -> CloudResult<Vec<InstanceProfile>> {
    let request = session.iam.list_instance_profiles();
    let pages = request.into_paginator().items().send().try_collect().await;
    let pages = pages.map_err(error(session, "ListInstanceProfiles"))?;
    let mut profiles: Vec<InstanceProfile> = pages.iter().map(InstanceProfile::from_sdk).collect();
    profiles.sort_by_key(|profile| profile.name.to_lowercase());
    Ok(profiles)
}

/// Puts the role `role_name` into the instance profile `profile_name`, or
/// takes it out when `member` is false.
async fn set_member(
    session: &Session,
    profile_name: &str,
    role_name: &str,
    member: bool,
) -> CloudResult<()> {
    if member {
        let request = session
            .iam
            .add_role_to_instance_profile()
            .role_name(role_name);
        let request = request.instance_profile_name(profile_name).send();
        request
            .await
            .map_err(error(session, "AddRoleToInstanceProfile"))?;
    } else {
        let request = session
            .iam
            .remove_role_from_instance_profile()
            .role_name(role_name);
        let request = request.instance_profile_name(profile_name).send();
        request
            .await
            .map_err(error(session, "RemoveRoleFromInstanceProfile"))?;
    }
    Ok(())
}

/// Puts the role `role_name` into the instance profile `profile_name`.
pub async fn add_role_to_profile(
    session: &Session,
    profile_name: &str,
    role_name: &str,
) -> CloudResult<()> {
    set_member(session, profile_name, role_name, true).await
}

/// Takes the role `role_name` out of the instance profile `profile_name`.
pub async fn remove_role_from_profile(
    session: &Session,
    profile_name: &str,
    role_name: &str,
) -> CloudResult<()> {
    set_member(session, profile_name, role_name, false).await
}

/// Deletes the instance profile `name` (it must hold no role).
pub async fn delete_instance_profile(session: &Session, name: &str) -> CloudResult<()> {
    let request = session
        .iam
        .delete_instance_profile()
        .instance_profile_name(name);
    request
        .send()
        .await
        .map_err(error(session, "DeleteInstanceProfile"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded_and_plain_ones_left_alone() {
        assert_eq!(
            decode_document("%7B%22A%22%3A%20%22b%20c%2Fd%22%7D"),
            "{\"A\": \"b c/d\"}"
        );
        assert_eq!(decode_document("{\"A\": 1}"), "{\"A\": 1}");
    }
}
