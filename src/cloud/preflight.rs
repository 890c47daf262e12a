//! Gathering what the Deploy dialog's pre-flight plan needs: the instances
//! the group matches now (from its tags and EC2), which of them are stopped,
//! which failed or succeeded in the group's recent deployments, and the
//! minimum of the configuration the deployment will use.

use std::collections::BTreeSet;

use super::deployments::{self, DeploymentFilter, DeploymentStatus, TargetStatus};
use super::error::CloudError;
use super::session::Session;
use super::{ec2, groups};
use crate::domain::config::MinimumHealthyHosts;
use crate::domain::group_spec::environment_matches;
use crate::domain::preflight::PreflightInstance;

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
    let matched: Vec<ec2::Ec2InstanceSummary> = if spec.ec2_tag_groups.is_empty() {
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
                environment_matches(&spec.ec2_tag_groups, &tags)
            })
            .collect()
    };
    let (failed, succeeded) = recent_results(session, application, group).await?;
    let mut instances: Vec<PreflightInstance> = matched
        .into_iter()
        .map(|instance| PreflightInstance {
            stopped: matches!(instance.state.as_str(), "stopped" | "stopping"),
            last_failed: failed.contains(&instance.instance_id),
            last_succeeded: succeeded.contains(&instance.instance_id),
            name: instance.name,
            id: instance.instance_id,
        })
        .collect();
    instances.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(PreflightData {
        instances,
        has_on_premises: !spec.on_premises_tag_groups.is_empty(),
        config_name,
        minimum,
    })
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
