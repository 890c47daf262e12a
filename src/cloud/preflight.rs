//! Gathering what the Deploy dialog's pre-flight plan needs: the instances
//! the group matches now (from its tags and EC2, and the in-service
//! instances of its Auto Scaling groups), which of them are stopped,
//! which failed or succeeded in the group's recent deployments, the
//! minimum of the configuration the deployment will use, and what the
//! instances' profiles let them read from S3.

use std::collections::BTreeSet;

use super::autoscaling::{self, AutoScalingGroupSummary};
use super::cloudwatch::{self, AlarmStatus};
use super::deployments::{self, DeploymentFilter, DeploymentStatus, TargetStatus};
use super::error::CloudError;
use super::readiness::profile_name;
use super::session::Session;
use super::{ec2, groups, iam};
use crate::domain::config::MinimumHealthyHosts;
use crate::domain::group_spec::environment_matches;
use crate::domain::policy::{self, PolicyKind};
use crate::domain::preflight::{PreflightInstance, ProfileReadAccess, readable_buckets};
use crate::domain::setup::{REVISION_POLICY_NAME, SSM_CORE_POLICY_ARN};

/// The most recent deployments of the group read for health.
const HISTORY: usize = 10;

/// What the pre-flight plan is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightData {
    /// The EC2 instances the group matches now, sorted by id.
    pub instances: Vec<PreflightInstance>,
    /// Whether the group also selects on-premises instances, which are not
    /// in the estimate.
    pub has_on_premises: bool,
    /// The configuration the deployment will use.
    pub config_name: String,
    /// Its minimum healthy hosts, when it could be read.
    pub minimum: Option<MinimumHealthyHosts>,
    /// What the instances' profiles let them read from S3: the profiles of
    /// the matched instances or, when none has one, the profiles the
    /// instance profile wizard (or the demo) made.
    pub read_access: Vec<ProfileReadAccess>,
    /// The alarms the group watches and their state now; `Err` with the
    /// reason when CloudWatch could not be asked.
    pub alarms: Result<Vec<AlarmStatus>, String>,
    /// The Auto Scaling groups the group names, with their instances now;
    /// `Err` with the reason when Auto Scaling could not be asked.
    pub auto_scaling: Result<Vec<AutoScalingGroupSummary>, String>,
}

/// Reads what the pre-flight plan of a deployment to `group` of
/// `application` needs, with `config_override` instead of the group's
/// configuration when given.
pub async fn gather(
    session: &Session,
    application: &str,
    group: &str,
    config_override: Option<&str>,
) -> Result<PreflightData, CloudError> {
    let spec = groups::deployment_group_spec(session, application, group)
        .await?
        .ok_or_else(|| CloudError::NotFound {
            code: "DeploymentGroupDoesNotExistException".to_owned(),
            message: format!("The deployment group {group} of {application} does not exist."),
        })?;
    let config_name = config_override.map_or_else(|| spec.config.name().to_owned(), str::to_owned);
    let minimum = groups::config_minimum(session, &config_name).await?;
    let auto_scaling = if spec.auto_scaling_groups.is_empty() {
        Ok(Vec::new())
    } else {
        autoscaling::list_groups(session, Some(&spec.auto_scaling_groups))
            .await
            .map_err(|error| error.to_string())
    };
    // CodeDeploy deploys to the in-service instances of the Auto Scaling
    // groups beside the tagged ones.
    let in_service: BTreeSet<&str> = auto_scaling
        .iter()
        .flatten()
        .flat_map(|group| &group.instances)
        .filter(|member| member.in_service())
        .map(|member| member.instance_id.as_str())
        .collect();
    let matched: Vec<ec2::Ec2InstanceSummary> =
        if spec.ec2_tag_groups.is_empty() && in_service.is_empty() {
            Vec::new()
        } else {
            ec2::list_instances(session, None)
                .await?
                .into_iter()
                .filter(ec2::Ec2InstanceSummary::is_live)
                .filter(|instance| {
                    let tags: Vec<(String, String)> = instance
                        .tags
                        .iter()
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect();
                    in_service.contains(instance.instance_id.as_str())
                        || environment_matches(&spec.ec2_tag_groups, &tags)
                })
                .collect()
        };
    let mut profile_names: Vec<String> = matched
        .iter()
        .filter_map(|instance| instance.instance_profile_arn.as_deref())
        .filter_map(profile_name)
        .collect();
    profile_names.sort();
    profile_names.dedup();
    let read_access = read_access(session, profile_names).await;
    let (failed, succeeded) = recent_results(session, application, group).await?;
    let mut instances: Vec<PreflightInstance> = matched
        .into_iter()
        .map(|instance| PreflightInstance {
            stopped: matches!(instance.state.as_str(), "stopped" | "stopping"),
            last_failed: failed.contains(&instance.instance_id),
            last_succeeded: succeeded.contains(&instance.instance_id),
            readiness: None,
            name: instance.name,
            id: instance.instance_id,
        })
        .collect();
    instances.sort_by(|a, b| a.id.cmp(&b.id));
    let alarms = if spec.alarms.is_empty() {
        Ok(Vec::new())
    } else {
        cloudwatch::alarm_states(session, &spec.alarms)
            .await
            .map_err(|error| error.to_string())
    };
    Ok(PreflightData {
        instances,
        has_on_premises: !spec.on_premises_tag_groups.is_empty(),
        config_name,
        minimum,
        read_access,
        alarms,
        auto_scaling,
    })
}

/// The buckets the instance profiles made for revisions (by the instance
/// profile wizard, or the demo) let instances read, for the upload's
/// default bucket. Empty when there are none or they cannot be read.
pub async fn revision_buckets(session: &Session) -> Vec<String> {
    let mut buckets: Vec<String> = read_access(session, Vec::new())
        .await
        .iter()
        .flat_map(|access| readable_buckets(&access.policies))
        .filter(|bucket| !bucket.contains(['*', '?']))
        .collect();
    buckets.sort();
    buckets.dedup();
    buckets
}

/// The most instance profiles looked through for the wizard's ones.
const PROFILES_LOOKED_AT: usize = 20;

/// What the profiles `names` let their instances read. With no names (no
/// instance of the group has a profile yet), the profiles made for
/// revisions — whose role has the instance profile wizard's policy — as
/// the ones the instances are meant to get. A profile whose policies
/// cannot all be read is marked unknown rather than failing the plan.
async fn read_access(session: &Session, names: Vec<String>) -> Vec<ProfileReadAccess> {
    let mut access = Vec::new();
    if names.is_empty() {
        let Ok(profiles) = iam::list_instance_profiles(session).await else {
            return access;
        };
        for profile in profiles.into_iter().take(PROFILES_LOOKED_AT) {
            let mut made_for_revisions = false;
            for role in &profile.role_names {
                made_for_revisions |= matches!(
                    iam::get_inline_policy(session, role, REVISION_POLICY_NAME).await,
                    Ok(Some(_))
                );
            }
            if made_for_revisions && let Some(found) = profile_access(session, &profile.name).await
            {
                access.push(found);
            }
        }
    } else {
        for name in &names {
            if let Some(found) = profile_access(session, name).await {
                access.push(found);
            }
        }
    }
    access
}

/// What the profile `name` lets its instances read, or `None` when it
/// does not exist.
pub(crate) async fn profile_access(session: &Session, name: &str) -> Option<ProfileReadAccess> {
    let unknown = || ProfileReadAccess {
        profile: name.to_owned(),
        policies: Vec::new(),
        unknown: true,
    };
    let profile = match iam::get_instance_profile(session, name).await {
        Ok(Some(profile)) => profile,
        Ok(None) => return None,
        Err(_) => return Some(unknown()),
    };
    let mut access = ProfileReadAccess {
        profile: profile.name.clone(),
        policies: Vec::new(),
        unknown: false,
    };
    for role in &profile.role_names {
        let (Ok(inline), Ok(attached)) = (
            iam::list_inline_policies(session, role).await,
            iam::list_attached_policies(session, role).await,
        ) else {
            return Some(unknown());
        };
        access.unknown |= attached
            .iter()
            .any(|policy| policy.arn != SSM_CORE_POLICY_ARN);
        for policy_name in inline {
            match iam::get_inline_policy(session, role, &policy_name).await {
                Ok(Some(text)) => match policy::parse(&text, PolicyKind::Identity) {
                    Ok(document) => access.policies.push(document),
                    Err(_) => access.unknown = true,
                },
                Ok(None) => {}
                Err(_) => return Some(unknown()),
            }
        }
    }
    Some(access)
}

/// The instances that failed in the group's most recent finished
/// deployment, and those that succeeded in its most recent successful one.
async fn recent_results(
    session: &Session,
    application: &str,
    group: &str,
) -> Result<(BTreeSet<String>, BTreeSet<String>), CloudError> {
    let recent = deployments::list_deployments(
        session,
        &DeploymentFilter {
            application: Some(application.to_owned()),
            group: Some(group.to_owned()),
            statuses: Vec::new(),
            limit: HISTORY,
        },
    )
    .await?;
    let finished = recent.iter().find(|deployment| {
        matches!(
            deployment.status,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
    });
    let successful = recent
        .iter()
        .find(|deployment| deployment.status == DeploymentStatus::Succeeded);
    let mut failed = BTreeSet::new();
    if let Some(deployment) = finished {
        failed = targets_with(session, &deployment.id, TargetStatus::Failed).await?;
    }
    let mut succeeded = BTreeSet::new();
    if let Some(deployment) = successful {
        succeeded = targets_with(session, &deployment.id, TargetStatus::Succeeded).await?;
    }
    Ok((failed, succeeded))
}

/// The ids of a deployment's targets with `status`.
async fn targets_with(
    session: &Session,
    deployment_id: &str,
    status: TargetStatus,
) -> Result<BTreeSet<String>, CloudError> {
    let ids = deployments::list_target_ids(session, deployment_id).await?;
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(25) {
        for target in deployments::get_targets(session, deployment_id, chunk).await? {
            if target.status == status {
                found.insert(target.id);
            }
        }
    }
    Ok(found)
}
