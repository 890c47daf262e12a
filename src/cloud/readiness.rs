//! Reading whether instances are ready to be deployed to: their state and
//! instance profile from EC2, what the profile's role may read from IAM,
//! whether Systems Manager manages them, and — on the ones it manages — the
//! CodeDeploy agent, asked with a status command. The verdicts are
//! `domain::readiness`'s.
//!
//! Every step is batched, so the requests grow with the fleet divided by
//! the batch sizes (200 for EC2, 50 for Systems Manager), plus one or two
//! per distinct instance profile.

use std::collections::HashMap;
use std::time::Duration;

use super::error::CloudResult;
use super::preflight::profile_access;
use super::session::Session;
use super::{ec2, ssm};
use crate::domain::preflight::{ProfileReadAccess, may_read_object, readable_buckets};
use crate::domain::readiness::{
    AgentStatus, BucketAccess, InstanceFacts, Readiness, SsmStatus, agent_unknown_reason, assess,
};

/// How long the agent check may take before its unfinished instances are
/// reported as unknown.
pub const AGENT_CHECK_LIMIT: Duration = Duration::from_mins(1);

/// The revision a deployment would download, to check the instances may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionObject {
    /// Its bucket.
    pub bucket: String,
    /// Its key.
    pub key: String,
}

/// The readiness of `instance_ids`, in that order (instances EC2 does not
/// know are left out). `revision` is the S3 object a deployment would
/// download, if it is one.
pub async fn check(
    session: &Session,
    instance_ids: &[String],
    revision: Option<&RevisionObject>,
) -> CloudResult<Vec<Readiness>> {
    let instances = ec2::describe_instances_by_id(session, instance_ids).await?;
    let live: Vec<ec2::Ec2InstanceSummary> = instances
        .into_iter()
        .filter(ec2::Ec2InstanceSummary::is_live)
        .collect();

    // What each instance profile lets its role read.
    let mut profiles: HashMap<String, Option<ProfileReadAccess>> = HashMap::new();
    for instance in &live {
        if let Some(name) = instance
            .instance_profile_arn
            .as_deref()
            .and_then(profile_name)
            && !profiles.contains_key(&name)
        {
            let access = profile_access(session, &name).await;
            profiles.insert(name, access);
        }
    }

    let ids: Vec<String> = live
        .iter()
        .map(|instance| instance.instance_id.clone())
        .collect();
    let managed = ssm::managed_instances(session, &ids).await;
    let ssm_of = |id: &str| match &managed {
        Ok(found) => found.get(id).cloned().unwrap_or(SsmStatus::NotManaged),
        Err(error) => SsmStatus::Unknown(error.to_string()),
    };

    // The agent, asked of every running instance Systems Manager manages.
    let online: Vec<String> = live
        .iter()
        .filter(|instance| instance.state == "running")
        .filter(|instance| ssm_of(&instance.instance_id) == SsmStatus::Online)
        .map(|instance| instance.instance_id.clone())
        .collect();
    let agents = agent_check(session, &online).await;

    let mut found: Vec<Readiness> = live
        .into_iter()
        .map(|instance| {
            let profile = instance
                .instance_profile_arn
                .as_deref()
                .and_then(profile_name);
            let bucket = match (
                revision,
                profile.as_ref().and_then(|name| profiles.get(name)),
            ) {
                (Some(object), Some(Some(access))) if !access.unknown => {
                    if may_read_object(&access.policies, &object.bucket, &object.key) {
                        BucketAccess::Allowed
                    } else {
                        BucketAccess::Refused {
                            bucket: object.bucket.clone(),
                            readable: readable_buckets(&access.policies),
                        }
                    }
                }
                _ => BucketAccess::Unknown,
            };
            let ssm = ssm_of(&instance.instance_id);
            let agent = match &agents {
                Ok(agents) => agents.get(&instance.instance_id).cloned(),
                Err(error) => Some(AgentStatus::Unknown(format!(
                    "The agent could not be checked: {error}"
                ))),
            }
            .or_else(|| {
                (instance.state == "pending").then(|| {
                    AgentStatus::Unknown(
                        "The instance is still starting: check again once it runs.".to_owned(),
                    )
                })
            })
            .or_else(|| agent_unknown_reason(&ssm, profile.is_some()).map(AgentStatus::Unknown))
            .unwrap_or_else(|| AgentStatus::Unknown("The agent was not checked.".to_owned()));
            assess(InstanceFacts {
                stopped: matches!(instance.state.as_str(), "stopped" | "stopping"),
                name: instance.name,
                id: instance.instance_id,
                profile,
                bucket,
                ssm,
                agent,
            })
        })
        .collect();
    let order: HashMap<&str, usize> = instance_ids
        .iter()
        .enumerate()
        .map(|(index, id)| (id.as_str(), index))
        .collect();
    found.sort_by_key(|readiness| order.get(readiness.facts.id.as_str()).copied());
    Ok(found)
}

/// The CodeDeploy agent of each of `instance_ids`, asked through Systems
/// Manager with a status command.
async fn agent_check(
    session: &Session,
    instance_ids: &[String],
) -> CloudResult<HashMap<String, AgentStatus>> {
    if instance_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let commands: Vec<String> = ssm::AGENT_CHECK
        .iter()
        .map(|&line| line.to_owned())
        .collect();
    let command_ids = ssm::send_command(
        session,
        crate::domain::setup::AGENT_SHELL_DOCUMENT,
        &[("commands", commands)],
        instance_ids,
        "DeployDesk: is the CodeDeploy agent installed and running?",
    )
    .await?;
    let results = ssm::wait_for(
        session,
        &command_ids,
        instance_ids.len(),
        AGENT_CHECK_LIMIT,
        |_| {},
    )
    .await?;
    Ok(results
        .iter()
        .map(|invocation| {
            (
                invocation.instance_id.clone(),
                ssm::agent_from_output(invocation),
            )
        })
        .collect())
}

/// The name of the instance profile with the ARN `arn`.
pub fn profile_name(arn: &str) -> Option<String> {
    let (_, path_and_name) = arn.split_once(":instance-profile/")?;
    path_and_name.rsplit('/').next().map(str::to_owned)
}
