//! Policies: managed policies (AWS's and the account's own) and their
//! attachment to roles, and inline role policies.

use serde::Serialize;

use super::common::{
    Answer, Context, Members, TagXml, already_exists, check_name, delete_conflict, document_param,
    encode_document, invalid_input, limit_exceeded, malformed_policy, no_such_entity, page,
    path_param, path_prefix, required, tags_param, tags_xml, validation,
};
use super::roles::role_param;
use super::state::{IamState, ManagedPolicy, PolicyView, aws_policies, random_id};
use crate::domain::iam_names::IamNameKind;
use crate::domain::policy::{PolicyKind, parse};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// How many managed policies a role may have attached (IAM's default quota).
pub const MAX_ATTACHED: usize = 10;
/// How many characters (not counting white space) a role's inline policies
/// may hold together (IAM's quota).
pub const MAX_INLINE_CHARS: usize = 10_240;

/// A policy as attachment lists show it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicyXml {
    policy_name: String,
    policy_arn: String,
}

/// The result of `ListAttachedRolePolicies`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListAttachedResult {
    attached_policies: Members<AttachedPolicyXml>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// A managed policy as `GetPolicy`, `CreatePolicy` and `ListPolicies` show it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyXml {
    policy_name: String,
    policy_id: String,
    arn: String,
    path: String,
    default_version_id: String,
    attachment_count: usize,
    permissions_boundary_usage_count: usize,
    is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    create_date: String,
    update_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Members<TagXml>>,
}

impl PolicyXml {
    fn new(iam: &IamState, view: &PolicyView, with_description: bool) -> Self {
        let arn = view.arn();
        let attachment_count = iam.attachment_count(&arn);
        match view {
            PolicyView::Aws(policy) => Self {
                policy_name: policy.policy_name.clone(),
                policy_id: policy.policy_id(),
                arn,
                path: policy.path.clone(),
                default_version_id: policy.default_version_id.clone(),
                attachment_count,
                permissions_boundary_usage_count: 0,
                is_attachable: true,
                description: with_description.then(|| policy.description.clone()),
                create_date: policy.create_date.clone(),
                update_date: policy.update_date.clone(),
                tags: None,
            },
            PolicyView::Local(policy) => Self {
                policy_name: policy.name.clone(),
                policy_id: policy.policy_id.clone(),
                arn,
                path: policy.path.clone(),
                default_version_id: "v1".to_owned(),
                attachment_count,
                permissions_boundary_usage_count: 0,
                is_attachable: true,
                description: policy.description.clone().filter(|_| with_description),
                create_date: policy.created.to_iso8601(),
                update_date: policy.created.to_iso8601(),
                tags: tags_xml(&policy.tags),
            },
        }
    }
}

/// The result of `GetPolicy` and `CreatePolicy`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyResult {
    policy: PolicyXml,
}

/// The result of `ListPolicies`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListPoliciesResult {
    policies: Members<PolicyXml>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// A policy version.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersionXml {
    document: String,
    version_id: String,
    is_default_version: bool,
    create_date: String,
}

/// The result of `GetPolicyVersion`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersionResult {
    policy_version: PolicyVersionXml,
}

/// The result of `GetRolePolicy`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RolePolicyResult {
    role_name: String,
    policy_name: String,
    policy_document: String,
}

/// The result of `ListRolePolicies`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListRolePoliciesResult {
    policy_names: Members<String>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// The `PolicyArn` parameter: an IAM policy ARN, 20 to 2048 characters.
fn policy_arn(params: &Params) -> Result<&str, ApiError> {
    let arn = required(params, "PolicyArn")?;
    if !(20..=2048).contains(&arn.chars().count()) {
        return Err(validation(
            "PolicyArn",
            arn,
            "Member must have length between 20 and 2048.",
        ));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = matches!(
        parts[..],
        ["arn", partition, "iam", "", _, resource]
            if partition.starts_with("aws") && resource.starts_with("policy/")
    );
    if well_formed {
        Ok(arn)
    } else {
        Err(invalid_input(format!(
            "ARN {arn} is not valid; a policy ARN looks like arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole."
        )))
    }
}

/// The error for a managed policy that does not exist.
fn no_such_policy(arn: &str) -> ApiError {
    no_such_entity(format!(
        "Policy {arn} does not exist or is not attachable. Check the ARN, or list policies with ListPolicies."
    ))
}

/// `AttachRolePolicy`. Attaching a policy that is already attached
/// changes nothing, as in IAM.
pub fn attach(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    let key = role.name.to_lowercase();
    let arn = policy_arn(params)?;
    if iam.managed_policy(arn).is_none() {
        return Err(no_such_policy(arn));
    }
    if !role.attached_policies.iter().any(|known| known == arn) {
        if role.attached_policies.len() >= MAX_ATTACHED {
            return Err(limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED}. Detach a policy from role {} first.",
                role.name
            )));
        }
        if let Some(role) = iam.roles.get_mut(&key) {
            role.attached_policies.push(arn.to_owned());
        }
    }
    Ok(context.respond_empty())
}

/// `DetachRolePolicy`.
pub fn detach(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    let key = role.name.to_lowercase();
    let arn = policy_arn(params)?;
    let Some(position) = role.attached_policies.iter().position(|known| known == arn) else {
        return Err(no_such_entity(format!(
            "Policy {arn} was not found attached to role {}. List its policies with ListAttachedRolePolicies.",
            role.name
        )));
    };
    if let Some(role) = iam.roles.get_mut(&key) {
        role.attached_policies.remove(position);
    }
    Ok(context.respond_empty())
}

/// `ListAttachedRolePolicies`.
pub fn list_attached(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    let prefix = path_prefix(params)?;
    let attached: Vec<(String, AttachedPolicyXml)> = role
        .attached_policies
        .iter()
        .filter_map(|arn| iam.managed_policy(arn))
        .filter(|view| match view {
            PolicyView::Aws(policy) => policy.path.starts_with(&prefix),
            PolicyView::Local(policy) => policy.path.starts_with(&prefix),
        })
        .map(|view| {
            (
                view.arn(),
                AttachedPolicyXml {
                    policy_name: view.name().to_owned(),
                    policy_arn: view.arn(),
                },
            )
        })
        .collect();
    let scope = format!("ListAttachedRolePolicies/{}", role.name.to_lowercase());
    let (attached, marker) = page(&scope, attached, params)?;
    context.respond(&ListAttachedResult {
        attached_policies: attached.into_iter().collect(),
        is_truncated: marker.is_some(),
        marker,
    })
}

/// `CreatePolicy`: a customer managed policy with one version.
pub fn create(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let name = required(params, "PolicyName")?;
    check_name("PolicyName", IamNameKind::Policy, name)?;
    let path = path_param(params)?;
    let document = document_param(params, "PolicyDocument")?;
    parse(document, PolicyKind::Identity).map_err(|error| malformed_policy(&error))?;
    let description = params.get("Description").map(str::to_owned);
    if description
        .as_ref()
        .is_some_and(|text| text.chars().count() > 1000)
    {
        return Err(validation(
            "Description",
            "(description)",
            "Member must have length less than or equal to 1000.",
        ));
    }
    let tags = tags_param(params)?;
    if let Some(existing) = iam.policies.get(&name.to_lowercase()) {
        return Err(already_exists(format!(
            "A policy called {} already exists. Duplicate names are not allowed.",
            existing.name
        )));
    }
    let policy = ManagedPolicy {
        name: name.to_owned(),
        path,
        policy_id: random_id("ANPA"),
        description,
        created: context.now,
        document: document.to_owned(),
        tags,
    };
    iam.policies.insert(name.to_lowercase(), policy.clone());
    let result = PolicyResult {
        policy: PolicyXml::new(iam, &PolicyView::Local(policy), false),
    };
    context.respond(&result)
}

/// `GetPolicy`.
pub fn get(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let arn = policy_arn(params)?;
    let view = iam.managed_policy(arn).ok_or_else(|| no_such_policy(arn))?;
    context.respond(&PolicyResult {
        policy: PolicyXml::new(iam, &view, true),
    })
}

/// `GetPolicyVersion`: only the default version exists.
pub fn get_version(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let arn = policy_arn(params)?;
    let version_id = required(params, "VersionId")?;
    let view = iam.managed_policy(arn).ok_or_else(|| no_such_policy(arn))?;
    let (document, default_version, created) = match &view {
        PolicyView::Aws(policy) => (
            policy.document.clone(),
            policy.default_version_id.clone(),
            policy.update_date.clone(),
        ),
        PolicyView::Local(policy) => (
            policy.document.clone(),
            "v1".to_owned(),
            policy.created.to_iso8601(),
        ),
    };
    if version_id != default_version {
        return Err(no_such_entity(format!(
            "Policy {arn} version {version_id} does not exist or is not attachable. Its default version is {default_version}."
        )));
    }
    context.respond(&PolicyVersionResult {
        policy_version: PolicyVersionXml {
            document: encode_document(&document),
            version_id: default_version,
            is_default_version: true,
            create_date: created,
        },
    })
}

/// `ListPolicies`, by `Scope` (`All`, `AWS`, `Local`), `OnlyAttached` and
/// `PathPrefix`, paged.
pub fn list(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let scope = params.get("Scope").unwrap_or("All");
    let (aws, local) = match scope {
        "All" => (true, true),
        "AWS" => (true, false),
        "Local" => (false, true),
        other => {
            return Err(validation(
                "Scope",
                other,
                "Member must satisfy enum value set: [All, AWS, Local]",
            ));
        }
    };
    let only_attached = match params.get("OnlyAttached") {
        None => false,
        Some(flag) if flag.eq_ignore_ascii_case("true") => true,
        Some(flag) if flag.eq_ignore_ascii_case("false") => false,
        Some(flag) => {
            return Err(validation(
                "OnlyAttached",
                flag,
                "Member must be true or false.",
            ));
        }
    };
    let prefix = path_prefix(params)?;
    let mut views: Vec<PolicyView> = Vec::new();
    if aws {
        views.extend(aws_policies().iter().map(PolicyView::Aws));
    }
    if local {
        views.extend(iam.policies.values().cloned().map(PolicyView::Local));
    }
    let policies: Vec<(String, PolicyXml)> = views
        .iter()
        .map(|view| PolicyXml::new(iam, view, false))
        .filter(|policy| policy.path.starts_with(&prefix))
        .filter(|policy| !only_attached || policy.attachment_count > 0)
        .map(|policy| {
            (
                policy.policy_name.to_lowercase() + "\u{0}" + &policy.arn,
                policy,
            )
        })
        .collect();
    let (policies, marker) = page(&format!("ListPolicies/{scope}{prefix}"), policies, params)?;
    context.respond(&ListPoliciesResult {
        policies: policies.into_iter().collect(),
        is_truncated: marker.is_some(),
        marker,
    })
}

/// `DeletePolicy`: refused while the policy is attached.
pub fn delete(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let arn = policy_arn(params)?;
    match iam.managed_policy(arn) {
        Some(PolicyView::Local(policy)) => {
            if iam.attachment_count(arn) > 0 {
                return Err(delete_conflict(
                    "Cannot delete a policy attached to entities. Detach it from every role first.",
                ));
            }
            iam.policies.remove(&policy.name.to_lowercase());
            Ok(context.respond_empty())
        }
        Some(PolicyView::Aws(_)) => Err(invalid_input(format!(
            "Policy {arn} is managed by AWS and cannot be deleted."
        ))),
        None => Err(no_such_policy(arn)),
    }
}

/// The number of characters of `document` that count towards IAM's size
/// quotas: everything but white space.
fn counted_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// `PutRolePolicy`: adds or replaces an inline policy.
pub fn put_inline(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    let key = role.name.to_lowercase();
    let policy_name = required(params, "PolicyName")?;
    check_name("PolicyName", IamNameKind::Policy, policy_name)?;
    let document = document_param(params, "PolicyDocument")?;
    parse(document, PolicyKind::Identity).map_err(|error| malformed_policy(&error))?;
    let others: usize = role
        .inline_policies
        .iter()
        .filter(|(name, _)| *name != policy_name)
        .map(|(_, text)| counted_size(text))
        .sum();
    if others + counted_size(document) > MAX_INLINE_CHARS {
        return Err(limit_exceeded(format!(
            "Maximum policy size of {MAX_INLINE_CHARS} bytes exceeded for role {}. Use a managed policy for large documents.",
            role.name
        )));
    }
    if let Some(role) = iam.roles.get_mut(&key) {
        role.inline_policies
            .insert(policy_name.to_owned(), document.to_owned());
    }
    Ok(context.respond_empty())
}

/// The inline policy named by `PolicyName` of the role in `RoleName`.
fn inline_param<'a>(
    iam: &'a IamState,
    params: &'a Params,
) -> Result<(String, &'a str, &'a str), ApiError> {
    let role = role_param(iam, params)?;
    let policy_name = required(params, "PolicyName")?;
    check_name("PolicyName", IamNameKind::Policy, policy_name)?;
    let document = role.inline_policies.get(policy_name).ok_or_else(|| {
        no_such_entity(format!(
            "The role policy with name {policy_name} cannot be found. List the role's inline policies with ListRolePolicies."
        ))
    })?;
    Ok((role.name.clone(), policy_name, document))
}

/// `GetRolePolicy`.
pub fn get_inline(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let (role_name, policy_name, document) = inline_param(iam, params)?;
    context.respond(&RolePolicyResult {
        role_name,
        policy_name: policy_name.to_owned(),
        policy_document: encode_document(document),
    })
}

/// `ListRolePolicies`.
pub fn list_inline(iam: &IamState, context: &Context, params: &Params) -> Answer {
    let role = role_param(iam, params)?;
    let names: Vec<(String, String)> = role
        .inline_policies
        .keys()
        .map(|name| (name.clone(), name.clone()))
        .collect();
    let scope = format!("ListRolePolicies/{}", role.name.to_lowercase());
    let (names, marker) = page(&scope, names, params)?;
    context.respond(&ListRolePoliciesResult {
        policy_names: names.into_iter().collect(),
        is_truncated: marker.is_some(),
        marker,
    })
}

/// `DeleteRolePolicy`.
pub fn delete_inline(iam: &mut IamState, context: &Context, params: &Params) -> Answer {
    let (role_name, policy_name, _) = inline_param(iam, params)?;
    let policy_name = policy_name.to_owned();
    if let Some(role) = iam.roles.get_mut(&role_name.to_lowercase()) {
        role.inline_policies.remove(&policy_name);
    }
    Ok(context.respond_empty())
}
