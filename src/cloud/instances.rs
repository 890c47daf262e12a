//! What the rollout view shows about a deployment's instances besides their
//! deployment status: their tags (`Name`, `Environment`, ...) and state.

use std::collections::{BTreeMap, HashMap};

use super::error::{CloudError, sdk_error};
use super::session::Session;

/// How many instance ids one `DescribeInstances` call asks for.
const EC2_CHUNK: usize = 200;
/// How many names one `BatchGetOnPremisesInstances` call takes.
const ONPREM_CHUNK: usize = 25;

/// An instance's tags and state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceInfo {
    /// The instance id (EC2) or name (on-premises).
    pub id: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// The EC2 state (`running`, `stopped`, ...); `None` on premises.
    pub state: Option<String>,
}

impl InstanceInfo {
    /// The `Name` tag, if any.
    pub fn name(&self) -> Option<&str> {
        self.tags.get("Name").map(String::as_str)
    }
}

/// Reads the tags of deployment targets: EC2 instances (ids starting `i-`)
/// with `DescribeInstances`, on-premises instances with
/// `BatchGetOnPremisesInstances`. What could be read is returned even when a
/// part failed; the first failure comes along to be shown.
pub async fn describe_targets(
    session: &Session,
    ids: &[String],
) -> (HashMap<String, InstanceInfo>, Option<CloudError>) {
    let (ec2_ids, onprem_names): (Vec<&String>, Vec<&String>) =
        ids.iter().partition(|id| id.starts_with("i-"));
    let mut found = HashMap::with_capacity(ids.len());
    let mut first_error = None;
    for chunk in ec2_ids.chunks(EC2_CHUNK) {
        match describe_ec2(session, chunk).await {
            Ok(infos) => found.extend(infos.into_iter().map(|info| (info.id.clone(), info))),
            Err(error) => {
                first_error.get_or_insert(error);
                break;
            }
        }
    }
    for chunk in onprem_names.chunks(ONPREM_CHUNK) {
        match describe_onprem(session, chunk).await {
            Ok(infos) => found.extend(infos.into_iter().map(|info| (info.id.clone(), info))),
            Err(error) => {
                first_error.get_or_insert(error);
                break;
            }
        }
    }
    (found, first_error)
}

async fn describe_ec2(session: &Session, ids: &[&String]) -> Result<Vec<InstanceInfo>, CloudError> {
    let ids: Vec<String> = ids.iter().map(|id| (*id).clone()).collect();
    Ok(super::ec2::describe_instances_by_id(session, &ids)
        .await?
        .into_iter()
        .map(|instance| InstanceInfo {
            id: instance.instance_id,
            tags: instance.tags,
            state: Some(instance.state).filter(|state| !state.is_empty()),
        })
        .collect())
}

async fn describe_onprem(
    session: &Session,
    names: &[&String],
) -> Result<Vec<InstanceInfo>, CloudError> {
    let output = session
        .codedeploy
        .batch_get_on_premises_instances()
        .set_instance_names(Some(names.iter().map(|name| (*name).clone()).collect()))
        .send()
        .await
        .map_err(sdk_error(session, "BatchGetOnPremisesInstances"))?;
    Ok(output
        .instance_infos()
        .iter()
        .map(|info| InstanceInfo {
            id: info.instance_name().unwrap_or_default().to_owned(),
            tags: info
                .tags()
                .iter()
                .filter_map(|tag| {
                    Some((
                        tag.key()?.to_owned(),
                        tag.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            state: None,
        })
        .collect())
}
