//! Running the setup wizards' plans: each step first looks at what exists,
//! so that running a plan again reuses what an earlier run made, and a
//! resource that exists but differs is reported instead of overwritten.

use super::codedeploy;
use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use super::{demo, ec2, groups, iam, s3, ssm};
use crate::domain::iam_names::parse_instance_profile_arn;
use crate::domain::policy::PolicyDocument;
use crate::domain::setup::{
    AGENT_INSTALL_DOCUMENT, AGENT_PACKAGE, SetupPlan, SetupStep, documents_equivalent,
};
use crate::settings::BackendChoice;

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
    /// Step `0`, a Systems Manager command, has these results so far, one
    /// per instance.
    Instances(usize, Vec<InstanceResult>),
    /// Step `0` finished.
    Finished(usize, Result<StepOutcome, CloudError>),
}

/// Where one instance of a Systems Manager command step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceResult {
    /// The instance.
    pub instance_id: String,
    /// Systems Manager's status (`Pending`, `InProgress`, `Success`, ...).
    pub status: String,
    /// Why it did not succeed, in words, once it ended.
    pub failure: Option<String>,
}

/// How long a Systems Manager command step waits for its instances.
const COMMAND_LIMIT: std::time::Duration = std::time::Duration::from_mins(3);

/// Runs a step that sends a Systems Manager command, reporting each
/// instance's result as it comes in. Succeeds when every instance's does.
async fn run_command(
    session: &Session,
    step: &SetupStep,
    mut report: impl FnMut(Vec<InstanceResult>),
) -> Result<StepOutcome, CloudError> {
    let Some((document, parameters, comment)) = step.command() else {
        return Err(CloudError::Other(format!(
            "{} is not a Systems Manager command.",
            step.summary()
        )));
    };
    let parameters: Vec<(&str, Vec<String>)> = parameters
        .as_object()
        .map(|object| {
            object
                .iter()
                .map(|(name, values)| {
                    let values = values
                        .as_array()
                        .map(|values| {
                            values
                                .iter()
                                .filter_map(|value| value.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.as_str(), values)
                })
                .collect()
        })
        .unwrap_or_default();
    let instance_ids = step.instance_ids();
    let commands = ssm::send_command(session, document, &parameters, instance_ids, comment).await?;
    let results = |invocations: &[ssm::Invocation]| -> Vec<InstanceResult> {
        instance_ids
            .iter()
            .map(|id| {
                let invocation = invocations
                    .iter()
                    .find(|invocation| &invocation.instance_id == id);
                InstanceResult {
                    instance_id: id.clone(),
                    status: invocation
                        .map_or_else(|| "Pending".to_owned(), |found| found.status.clone()),
                    failure: invocation.and_then(ssm::Invocation::failure),
                }
            })
            .collect()
    };
    let last = ssm::wait_for(
        session,
        &commands,
        instance_ids.len(),
        COMMAND_LIMIT,
        |reading| {
            report(results(reading));
        },
    )
    .await?;
    let last = results(&last);
    let failed: Vec<String> = last
        .iter()
        .filter(|result| result.status != "Success")
        .map(|result| {
            format!(
                "{}: {}",
                result.instance_id,
                result.failure.clone().unwrap_or_else(|| format!(
                    "still {} after {} s.",
                    result.status,
                    COMMAND_LIMIT.as_secs()
                ))
            )
        })
        .collect();
    if failed.is_empty() {
        Ok(StepOutcome::Created)
    } else {
        Err(CloudError::Other(format!(
            "{} of {} instances did not succeed. {}",
            failed.len(),
            last.len(),
            failed.join(" ")
        )))
    }
}

/// Whether two lists of targets select the same instances: the same keys
/// with the same values, in any order.
fn same_targets(left: &[(String, Vec<String>)], right: &[(String, Vec<String>)]) -> bool {
    let normal = |targets: &[(String, Vec<String>)]| {
        let mut targets: Vec<(String, Vec<String>)> = targets
            .iter()
            .map(|(key, values)| {
                let mut values = values.clone();
                values.sort();
                (key.clone(), values)
            })
            .collect();
        targets.sort();
        targets
    };
    normal(left) == normal(right)
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
        } else if step.command().is_some() {
            run_command(session, step, |results| {
                report(Progress::Instances(index, results));
            })
            .await
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
    let mut trusted: Vec<TrustedRole> = iam::list_roles(session)
        .await?
        .into_iter()
        .filter(|role| role.trusts(service))
        .map(|role| TrustedRole {
            name: role.name,
            arn: role.arn,
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
    /// Its tags, `Name` among them.
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The account's EC2 instances in the session's region, with the instance
/// profile each has now, for the instance profile wizard. Terminated
/// instances are left out.
pub async fn instance_choices(session: &Session) -> Result<Vec<InstanceChoice>, CloudError> {
    let mut choices: Vec<InstanceChoice> = ec2::list_instances(session, None)
        .await?
        .into_iter()
        .filter(ec2::Ec2InstanceSummary::is_live)
        .map(|instance| InstanceChoice {
            id: instance.instance_id,
            name: instance.name,
            state: instance.state,
            profile_arn: instance.instance_profile_arn,
            tags: instance.tags,
        })
        .collect();
    choices.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(choices)
}

/// The buckets the instance profile wizard offers, with the one it starts
/// from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BucketChoices {
    /// The account's buckets, by name.
    pub buckets: Vec<String>,
    /// The bucket to fill in before the person chooses: the demo's bucket
    /// in the demo account (where the demo and uploads put revisions, even
    /// before it exists), else the account's only bucket, if it has one.
    pub suggested: Option<String>,
}

/// The account's buckets and the one to suggest for revisions.
pub async fn bucket_choices(session: &Session) -> Result<BucketChoices, CloudError> {
    let mut buckets: Vec<String> = s3::list_buckets(session)
        .await?
        .into_iter()
        .map(|bucket| bucket.name)
        .collect();
    buckets.sort();
    let suggested = if *session.backend() == BackendChoice::Demo {
        Some(demo::BUCKET.to_owned())
    } else if let [only] = buckets.as_slice() {
        Some(only.clone())
    } else {
        None
    };
    Ok(BucketChoices { buckets, suggested })
}

/// What the account already has of what each setup wizard makes, for the
/// Setup page's cards. Each is looked up on its own, so one that cannot
/// be read (say, IAM is denied) leaves the others.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupStatus {
    /// A role CodeDeploy may assume.
    pub service_role: Result<bool, CloudError>,
    /// An instance profile holding a role EC2 instances may assume.
    pub instance_profile: Result<bool, CloudError>,
    /// A live EC2 instance with a tag besides `Name`, which a deployment
    /// group can choose it by.
    pub tagged_instances: Result<bool, CloudError>,
    /// A deployment group, in any application.
    pub deployment_group: Result<bool, CloudError>,
}

/// Looks up what the account already has of what the wizards make.
pub async fn setup_status(session: &Session) -> SetupStatus {
    let roles_and_profiles = async {
        let roles = iam::list_roles(session).await?;
        let profiles = iam::list_instance_profiles(session).await;
        Ok::<_, CloudError>((roles, profiles))
    };
    let (roles_and_profiles, tagged_instances, deployment_group) = tokio::join!(
        roles_and_profiles,
        has_tagged_instances(session),
        has_deployment_group(session),
    );
    let (service_role, instance_profile) = match roles_and_profiles {
        Ok((roles, profiles)) => {
            let service_role = roles
                .iter()
                .any(|role| role.trusts(crate::domain::setup::CODEDEPLOY_PRINCIPAL));
            let instance_profile = profiles.map(|profiles| {
                profiles.iter().any(|profile| {
                    profile.role_names.iter().any(|name| {
                        roles.iter().any(|role| {
                            role.name == *name && role.trusts(crate::domain::setup::EC2_PRINCIPAL)
                        })
                    })
                })
            });
            (Ok(service_role), instance_profile)
        }
        Err(error) => (Err(error.clone()), Err(error)),
    };
    SetupStatus {
        service_role,
        instance_profile,
        tagged_instances,
        deployment_group,
    }
}

/// Whether a live instance carries a tag besides `Name`.
async fn has_tagged_instances(session: &Session) -> Result<bool, CloudError> {
    Ok(ec2::list_instances(session, None)
        .await?
        .iter()
        .filter(|instance| instance.is_live())
        .any(|instance| instance.tags.keys().any(|key| key != "Name")))
}

/// Whether any application has a deployment group; stops at the first.
async fn has_deployment_group(session: &Session) -> Result<bool, CloudError> {
    for application in codedeploy::list_applications(session).await? {
        if !codedeploy::list_deployment_group_names(session, &application.name)
            .await?
            .is_empty()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Decodes a policy document as IAM returns it (URL-encoded JSON).
pub fn decode_policy(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(&iam::decode_document(text)).ok()
}

/// A policy document from the plan as IAM's typed document.
fn typed(document: &serde_json::Value) -> Result<PolicyDocument, CloudError> {
    serde_json::from_value(document.clone()).map_err(|error| {
        CloudError::Other(format!(
            "DeployDesk made a policy document it cannot send ({error}); please report this as a bug."
        ))
    })
}

/// Runs one step: looks first, then makes the change only if it is missing.
pub async fn run_step(session: &Session, step: &SetupStep) -> Result<StepOutcome, CloudError> {
    match step {
        SetupStep::CreateRole {
            role,
            trust_policy,
            description,
        } => {
            if let Some(found) = iam::get_role(session, role).await? {
                let current = serde_json::from_str(&found.trust_policy_json).ok();
                return Ok(match current {
                    Some(current) if documents_equivalent(&current, trust_policy) => {
                        StepOutcome::Reused
                    }
                    _ => StepOutcome::Differs(format!(
                        "The role {role} already exists with a different trust policy, so it may not let the right service assume it. Update its trust policy to the one shown, or choose another role name."
                    )),
                });
            }
            let new_role = iam::NewRole {
                name: role.clone(),
                path: None,
                trust_policy: typed(trust_policy)?,
                description: Some(description.clone()),
                tags: Vec::new(),
            };
            iam::create_role(session, &new_role).await?;
            Ok(StepOutcome::Created)
        }
        SetupStep::AttachRolePolicy { role, policy_arn } => {
            let attached = iam::list_attached_policies(session, role).await?;
            if attached.iter().any(|policy| policy.arn == *policy_arn) {
                return Ok(StepOutcome::Reused);
            }
            iam::attach_policy(session, role, policy_arn).await?;
            Ok(StepOutcome::Created)
        }
        SetupStep::PutRolePolicy {
            role,
            policy_name,
            document,
        } => {
            if let Some(current) = iam::get_inline_policy(session, role, policy_name).await? {
                let current: Option<serde_json::Value> = serde_json::from_str(&current).ok();
                if current.is_some_and(|current| documents_equivalent(&current, document)) {
                    return Ok(StepOutcome::Reused);
                }
                return Ok(StepOutcome::Differs(format!(
                    "The role {role} already has an inline policy {policy_name} that differs from the one shown. Replace it with the one shown, or cancel and check who uses it."
                )));
            }
            iam::put_inline_policy(session, role, policy_name, &typed(document)?).await?;
            Ok(StepOutcome::Created)
        }
        SetupStep::CreateInstanceProfile { profile } => {
            if iam::get_instance_profile(session, profile).await?.is_some() {
                return Ok(StepOutcome::Reused);
            }
            iam::create_instance_profile(session, profile).await?;
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
            iam::add_role_to_profile(session, profile, role).await?;
            Ok(StepOutcome::Created)
        }
        SetupStep::AssociateInstanceProfile {
            instance_id,
            profile,
        } => {
            let current =
                ec2::list_profile_associations(session, std::slice::from_ref(instance_id))
                    .await?
                    .into_iter()
                    .find(|association| {
                        matches!(association.state.as_str(), "associated" | "associating")
                    });
            match current {
                Some(association) if arn_names_profile(&association.profile_arn, profile) => {
                    Ok(StepOutcome::Reused)
                }
                Some(association) => Ok(StepOutcome::Differs(format!(
                    "The instance {instance_id} already has the instance profile {}. Replacing it changes what that instance may do; detach it first in the EC2 console or with `aws ec2 disassociate-iam-instance-profile`, or leave this instance out.",
                    association.profile_arn
                ))),
                None => {
                    let profile = ec2::InstanceProfile::Name(profile.clone());
                    ec2::associate_instance_profile(session, instance_id, &profile).await?;
                    Ok(StepOutcome::Created)
                }
            }
        }
        SetupStep::InstallAgent { .. } | SetupStep::StartAgent { .. } => {
            run_command(session, step, |_| {}).await
        }
        SetupStep::CreateAgentAssociation {
            name,
            targets,
            schedule,
        } => match ssm::find_association(session, name).await? {
            Some(found)
                if found.document == AGENT_INSTALL_DOCUMENT
                    && found.schedule == *schedule
                    && same_targets(&found.targets, targets) =>
            {
                Ok(StepOutcome::Reused)
            }
            Some(found) => Ok(StepOutcome::Differs(format!(
                "Systems Manager already has an association named {name}, of {} on {} every {}. Delete it in the Systems Manager console (State Manager) or with `aws ssm delete-association`, or leave the agent option off.",
                found.document,
                found
                    .targets
                    .iter()
                    .map(|(key, values)| format!("{key}={}", values.join(",")))
                    .collect::<Vec<_>>()
                    .join(" and "),
                found.schedule
            ))),
            None => {
                ssm::create_association(
                    session,
                    name,
                    AGENT_INSTALL_DOCUMENT,
                    targets,
                    schedule,
                    &[
                        ("action", vec!["Install".to_owned()]),
                        ("name", vec![AGENT_PACKAGE.to_owned()]),
                    ],
                )
                .await?;
                Ok(StepOutcome::Created)
            }
        },
        SetupStep::CreateApplication {
            application,
            platform,
        } => match groups::application_platform(session, application).await? {
            Some(existing) if existing == platform.as_str() => Ok(StepOutcome::Reused),
            Some(existing) => Ok(StepOutcome::Differs(format!(
                "The application {application} already exists for the {existing} compute platform, not {}. Choose another application name.",
                platform.as_str()
            ))),
            None => {
                codedeploy::create_application(session, application, *platform).await?;
                Ok(StepOutcome::Created)
            }
        },
        SetupStep::CreateDeploymentConfig { name, minimum } => {
            match groups::config_minimum(session, name).await? {
                Some(current) if current == *minimum => Ok(StepOutcome::Reused),
                Some(_) => Ok(StepOutcome::Differs(format!(
                    "The deployment configuration {name} already exists with another minimum, and configurations cannot be changed. Choose another name for yours."
                ))),
                None => {
                    groups::create_deployment_config(session, name, *minimum).await?;
                    Ok(StepOutcome::Created)
                }
            }
        }
        SetupStep::CreateDeploymentGroup { spec, .. } => {
            match groups::deployment_group_spec(session, &spec.application, &spec.group).await? {
                Some(current) if groups::same_group(&current, spec) => Ok(StepOutcome::Reused),
                Some(_) => Ok(StepOutcome::Differs(format!(
                    "The deployment group {} already exists in {} with other settings. Update it to match what is shown, or choose another group name.",
                    spec.group, spec.application
                ))),
                None => {
                    groups::create_deployment_group(session, spec).await?;
                    Ok(StepOutcome::Created)
                }
            }
        }
        SetupStep::UpdateDeploymentGroup { current, spec, .. } => {
            groups::update_deployment_group(session, current, spec).await?;
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
        } => iam::update_trust_policy(session, role, &typed(trust_policy)?).await,
        SetupStep::PutRolePolicy {
            role,
            policy_name,
            document,
        } => iam::put_inline_policy(session, role, policy_name, &typed(document)?).await,
        SetupStep::AddRoleToInstanceProfile { profile, role } => {
            for other in profile_roles(session, profile).await? {
                iam::remove_role_from_profile(session, profile, &other).await?;
            }
            iam::add_role_to_profile(session, profile, role).await
        }
        SetupStep::CreateDeploymentGroup { spec, .. } => {
            groups::update_deployment_group(session, &spec.group, spec).await
        }
        SetupStep::AttachRolePolicy { .. }
        | SetupStep::CreateInstanceProfile { .. }
        | SetupStep::AssociateInstanceProfile { .. }
        | SetupStep::InstallAgent { .. }
        | SetupStep::StartAgent { .. }
        | SetupStep::CreateAgentAssociation { .. }
        | SetupStep::CreateApplication { .. }
        | SetupStep::CreateDeploymentConfig { .. }
        | SetupStep::UpdateDeploymentGroup { .. } => Err(CloudError::Other(format!(
            "DeployDesk does not change this on its own: {}.",
            step.summary()
        ))),
    }
}

/// The names of the roles an instance profile holds.
async fn profile_roles(session: &Session, profile: &str) -> Result<Vec<String>, CloudError> {
    Ok(iam::get_instance_profile(session, profile)
        .await?
        .map(|profile| profile.role_names)
        .unwrap_or_default())
}

/// Whether an instance profile ARN (`arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME`)
/// names the profile `name`.
fn arn_names_profile(arn: &str, name: &str) -> bool {
    parse_instance_profile_arn(arn).is_ok_and(|arn| arn.name == name)
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
