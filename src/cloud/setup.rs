//! Running the setup wizards' plans: each step first looks at what exists,
//! so that running a plan again reuses what an earlier run made, and a
//! resource that exists but differs is reported instead of overwritten.

use aws_sdk_iam::error::ProvideErrorMetadata;

use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use crate::domain::setup::{SetupPlan, SetupStep, documents_equivalent};

/// What running one step found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step made its change.
    Created,
    /// What the step makes was already there, exactly; nothing changed.
    Reused,
    /// Something with that name exists but differs from what the step would
    /// make; the text says how. Nothing was changed: [`fix_step`] makes it
    /// match, once the person agrees.
    Differs(String),
}

/// How a run of a plan is getting on, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Step `0` started.
    Started(usize),
    /// Step `0` finished.
    Finished(usize, Result<StepOutcome, CloudError>),
}

/// Runs `plan`'s steps from `from` on, reporting each to `report`, and
/// stops at the first step that fails or finds something that differs.
/// With `fix_first`, step `from` is first made to match the plan (the
/// person agreed to that).
pub async fn run_plan(
    session: &Session,
    plan: &SetupPlan,
    from: usize,
    fix_first: bool,
    mut report: impl FnMut(Progress),
) {
    for (index, step) in plan.steps.iter().enumerate().skip(from) {
        report(Progress::Started(index));
        let result = if fix_first && index == from {
            match fix_step(session, step).await {
                Ok(()) => run_step(session, step).await,
                Err(error) => Err(error),
            }
        } else {
            run_step(session, step).await
        };
        let go_on = matches!(result, Ok(StepOutcome::Created | StepOutcome::Reused));
        report(Progress::Finished(index, result));
        if !go_on {
            return;
        }
    }
}

/// The account the session is in, from STS.
pub async fn account_id(session: &Session) -> Result<String, CloudError> {
    let identity = session
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(error(session, "GetCallerIdentity"))?;
    identity
        .account()
        .map(str::to_owned)
        .ok_or_else(|| CloudError::Other("STS did not say which account this is.".to_owned()))
}

/// A role that an AWS service may assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRole {
    /// The role's name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
}

/// The account's roles whose trust policy lets `service` (such as
/// `codedeploy.amazonaws.com`) assume them, by name.
pub async fn roles_trusting(
    session: &Session,
    service: &str,
) -> Result<Vec<TrustedRole>, CloudError> {
    let roles = session
        .iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(error(session, "ListRoles"))?;
    let mut trusted: Vec<TrustedRole> = roles
        .iter()
        .filter(|role| {
            role.assume_role_policy_document()
                .and_then(decode_policy)
                .is_some_and(|policy| crate::domain::setup::trusts_service(&policy, service))
        })
        .map(|role| TrustedRole {
            name: role.role_name().to_owned(),
            arn: role.arn().to_owned(),
        })
        .collect();
    trusted.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(trusted)
}

/// An EC2 instance the instance profile wizard may give its profile to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceChoice {
    /// The instance id.
    pub id: String,
    /// Its Name tag.
    pub name: Option<String>,
    /// Its state, e.g. `running`.
    pub state: String,
    /// The ARN of the instance profile it has now.
    pub profile_arn: Option<String>,
}

/// The account's EC2 instances in the session's region, with the instance
/// profile each has now, for the instance profile wizard. Terminated
/// instances are left out.
pub async fn instance_choices(session: &Session) -> Result<Vec<InstanceChoice>, CloudError> {
    let reservations = session
        .ec2
        .describe_instances()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(error(session, "DescribeInstances"))?;
    let mut choices: Vec<InstanceChoice> = reservations
        .iter()
        .flat_map(aws_sdk_ec2::types::Reservation::instances)
        .filter_map(|instance| {
            let state = instance
                .state()
                .and_then(|state| state.name())
                .map_or_else(|| "unknown".to_owned(), |name| name.as_str().to_owned());
            if state == "terminated" || state == "shutting-down" {
                return None;
            }
            Some(InstanceChoice {
                id: instance.instance_id()?.to_owned(),
                name: instance
                    .tags()
                    .iter()
                    .find(|tag| tag.key() == Some("Name"))
                    .and_then(|tag| tag.value())
                    .map(str::to_owned),
                state,
                profile_arn: instance
                    .iam_instance_profile()
                    .and_then(|profile| profile.arn())
                    .map(str::to_owned),
            })
        })
        .collect();
    choices.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(choices)
}

/// Decodes a policy document as IAM returns it (URL-encoded JSON).
pub fn decode_policy(text: &str) -> Option<serde_json::Value> {
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()?;
    serde_json::from_str(&decoded)
        .ok()
        .or_else(|| serde_json::from_str(text).ok())
}

/// Whether an SDK error says the resource does not exist.
fn is_missing<E: ProvideErrorMetadata>(error: &aws_sdk_iam::error::SdkError<E>) -> bool {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| code == "NoSuchEntity")
}

/// Runs one step: looks first, then makes the change only if it is missing.
pub async fn run_step(session: &Session, step: &SetupStep) -> Result<StepOutcome, CloudError> {
    match step {
        SetupStep::CreateRole {
            role,
            trust_policy,
            description,
        } => {
            match session.iam.get_role().role_name(role).send().await {
                Ok(found) => {
                    let current = found
                        .role()
                        .and_then(|role| role.assume_role_policy_document())
                        .and_then(decode_policy);
                    return Ok(match current {
                        Some(current) if documents_equivalent(&current, trust_policy) => {
                            StepOutcome::Reused
                        }
                        _ => StepOutcome::Differs(format!(
                            "The role {role} already exists with a different trust policy, so it may not let the right service assume it. Update its trust policy to the one shown, or choose another role name."
                        )),
                    });
                }
                Err(sdk) if is_missing(&sdk) => {}
                Err(sdk) => return Err(error(session, "GetRole")(sdk)),
            }
            session
                .iam
                .create_role()
                .role_name(role)
                .description(description)
                .assume_role_policy_document(trust_policy.to_string())
                .send()
                .await
                .map_err(error(session, "CreateRole"))?;
            Ok(StepOutcome::Created)
        }
        SetupStep::AttachRolePolicy { role, policy_arn } => {
            let attached = session
                .iam
                .list_attached_role_policies()
                .role_name(role)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(error(session, "ListAttachedRolePolicies"))?;
            if attached
                .iter()
                .any(|policy| policy.policy_arn() == Some(policy_arn.as_str()))
            {
                return Ok(StepOutcome::Reused);
            }
            session
                .iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send()
                .await
                .map_err(error(session, "AttachRolePolicy"))?;
            Ok(StepOutcome::Created)
        }
        SetupStep::PutRolePolicy {
            role,
            policy_name,
            document,
        } => {
            match session
                .iam
                .get_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await
            {
                Ok(found) => {
                    let current = decode_policy(found.policy_document());
                    if current.is_some_and(|current| documents_equivalent(&current, document)) {
                        return Ok(StepOutcome::Reused);
                    }
                    return Ok(StepOutcome::Differs(format!(
                        "The role {role} already has an inline policy {policy_name} that differs from the one shown. Replace it with the one shown, or cancel and check who uses it."
                    )));
                }
                Err(sdk) if is_missing(&sdk) => {}
                Err(sdk) => return Err(error(session, "GetRolePolicy")(sdk)),
            }
            put_role_policy(session, role, policy_name, document).await?;
            Ok(StepOutcome::Created)
        }
        SetupStep::CreateInstanceProfile { profile } => {
            match session
                .iam
                .get_instance_profile()
                .instance_profile_name(profile)
                .send()
                .await
            {
                Ok(_) => return Ok(StepOutcome::Reused),
                Err(sdk) if is_missing(&sdk) => {}
                Err(sdk) => return Err(error(session, "GetInstanceProfile")(sdk)),
            }
            session
                .iam
                .create_instance_profile()
                .instance_profile_name(profile)
                .send()
                .await
                .map_err(error(session, "CreateInstanceProfile"))?;
            Ok(StepOutcome::Created)
        }
        SetupStep::AddRoleToInstanceProfile { profile, role } => {
            let roles = profile_roles(session, profile).await?;
            if roles.iter().any(|name| name == role) {
                return Ok(StepOutcome::Reused);
            }
            if let Some(other) = roles.first() {
                return Ok(StepOutcome::Differs(format!(
                    "The instance profile {profile} already holds the role {other}, and a profile holds only one role. Replace {other} with {role}, or choose another profile name."
                )));
            }
            add_role(session, profile, role).await?;
            Ok(StepOutcome::Created)
        }
        SetupStep::AssociateInstanceProfile {
            instance_id,
            profile,
        } => {
            match current_profile(session, instance_id).await? {
                Some(arn) if arn_names_profile(&arn, profile) => return Ok(StepOutcome::Reused),
                Some(arn) => {
                    return Ok(StepOutcome::Differs(format!(
                        "The instance {instance_id} already has the instance profile {arn}. Replacing it changes what that instance may do; detach it first in the EC2 console or with `aws ec2 disassociate-iam-instance-profile`, or leave this instance out."
                    )));
                }
                None => {}
            }
            session
                .ec2
                .associate_iam_instance_profile()
                .instance_id(instance_id)
                .iam_instance_profile(
                    aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                        .name(profile)
                        .build(),
                )
                .send()
                .await
                .map_err(error(session, "AssociateIamInstanceProfile"))?;
            Ok(StepOutcome::Created)
        }
    }
}

/// Makes a step whose resource exists but differs match the plan, after the
/// person agreed: the role's trust policy is updated, the inline policy
/// replaced, or the profile's role swapped. Instances keep their profile:
/// replacing it is left to the person.
pub async fn fix_step(session: &Session, step: &SetupStep) -> Result<(), CloudError> {
    match step {
        SetupStep::CreateRole {
            role, trust_policy, ..
        } => {
            session
                .iam
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(trust_policy.to_string())
                .send()
                .await
                .map_err(error(session, "UpdateAssumeRolePolicy"))?;
            Ok(())
        }
        SetupStep::PutRolePolicy {
            role,
            policy_name,
            document,
        } => put_role_policy(session, role, policy_name, document).await,
        SetupStep::AddRoleToInstanceProfile { profile, role } => {
            for other in profile_roles(session, profile).await? {
                session
                    .iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(profile)
                    .role_name(other)
                    .send()
                    .await
                    .map_err(error(session, "RemoveRoleFromInstanceProfile"))?;
            }
            add_role(session, profile, role).await
        }
        SetupStep::AttachRolePolicy { .. }
        | SetupStep::CreateInstanceProfile { .. }
        | SetupStep::AssociateInstanceProfile { .. } => Err(CloudError::Other(format!(
            "DeployDesk does not change this on its own: {}.",
            step.summary()
        ))),
    }
}

async fn put_role_policy(
    session: &Session,
    role: &str,
    policy_name: &str,
    document: &serde_json::Value,
) -> Result<(), CloudError> {
    session
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .policy_document(document.to_string())
        .send()
        .await
        .map_err(error(session, "PutRolePolicy"))?;
    Ok(())
}

async fn add_role(session: &Session, profile: &str, role: &str) -> Result<(), CloudError> {
    session
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await
        .map_err(error(session, "AddRoleToInstanceProfile"))?;
    Ok(())
}

/// The names of the roles an instance profile holds.
async fn profile_roles(session: &Session, profile: &str) -> Result<Vec<String>, CloudError> {
    let found = session
        .iam
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .map_err(error(session, "GetInstanceProfile"))?;
    Ok(found
        .instance_profile()
        .map(|profile| {
            profile
                .roles()
                .iter()
                .map(|role| role.role_name().to_owned())
                .collect()
        })
        .unwrap_or_default())
}

/// The ARN of the instance profile an instance has now, if any.
async fn current_profile(
    session: &Session,
    instance_id: &str,
) -> Result<Option<String>, CloudError> {
    let found = session
        .ec2
        .describe_iam_instance_profile_associations()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .send()
        .await
        .map_err(error(session, "DescribeIamInstanceProfileAssociations"))?;
    Ok(found
        .iam_instance_profile_associations()
        .iter()
        .filter(|association| {
            matches!(
                association.state(),
                Some(
                    aws_sdk_ec2::types::IamInstanceProfileAssociationState::Associated
                        | aws_sdk_ec2::types::IamInstanceProfileAssociationState::Associating
                )
            )
        })
        .find_map(|association| {
            association
                .iam_instance_profile()
                .and_then(|profile| profile.arn())
                .map(str::to_owned)
        }))
}

/// Whether an instance profile ARN (`arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME`)
/// names the profile `name`.
fn arn_names_profile(arn: &str, name: &str) -> bool {
    arn.rsplit('/').next() == Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_decoded_as_iam_returns_them() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_policy(encoded),
            Some(serde_json::json!({"Version": "2012-10-17", "Statement": []}))
        );
        assert_eq!(
            decode_policy(r#"{"Version":"2012-10-17"}"#),
            Some(serde_json::json!({"Version": "2012-10-17"}))
        );
        assert_eq!(decode_policy("%7Bnot json"), None);
    }

    #[test]
    fn profile_arns_are_matched_by_name() {
        assert!(arn_names_profile(
            "arn:aws:iam::000000000000:instance-profile/CodeDeploy",
            "CodeDeploy"
        ));
        assert!(arn_names_profile(
            "arn:aws:iam::000000000000:instance-profile/team/CodeDeploy",
            "CodeDeploy"
        ));
        assert!(!arn_names_profile(
            "arn:aws:iam::000000000000:instance-profile/CodeDeploy2",
            "CodeDeploy"
        ));
    }
}
