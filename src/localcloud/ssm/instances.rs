//! `DescribeInstanceInformation`: the instances Systems Manager manages,
//! `Online` or `ConnectionLost`, filtered and paged.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::{Answer, Context, page, page_size};
use super::fleet_state::{INSTANCE_IDS_KEY, SSM_AGENT_VERSION};
use super::state::ManagedNode;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::ec2::{Ec2Instance, is_instance_id};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{input, output};
use crate::localcloud::world::World;

/// The keys `InstanceInformationFilterList` takes.
const LEGACY_KEYS: [&str; 8] = [
    "InstanceIds",
    "AgentVersion",
    "PingStatus",
    "PlatformTypes",
    "ActivationIds",
    "IamRole",
    "ResourceType",
    "AssociationStatus",
];

/// The most values one filter takes.
const MAX_FILTER_VALUES: usize = 100;

/// `DescribeInstanceInformationRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeInput {
    instance_information_filter_list: Option<Vec<LegacyFilter>>,
    filters: Option<Vec<Filter>>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `InstanceInformationFilter`, whose members are spelled in lower case.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyFilter {
    key: Option<String>,
    value_set: Option<Vec<String>>,
}

/// `InstanceInformationStringFilter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Filter {
    key: Option<String>,
    values: Option<Vec<String>>,
}

/// `InstanceInformation` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceInformation {
    instance_id: String,
    ping_status: &'static str,
    last_ping_date_time: Timestamp,
    agent_version: &'static str,
    is_latest_version: bool,
    platform_type: &'static str,
    platform_name: &'static str,
    platform_version: &'static str,
    resource_type: &'static str,
    iam_role: String,
    #[serde(rename = "IPAddress")]
    ip_address: String,
    computer_name: String,
    source_id: String,
    source_type: &'static str,
}

/// One instance as the filters see it.
struct Row<'a> {
    node: &'a ManagedNode,
    instance: &'a Ec2Instance,
}

impl Row<'_> {
    /// `Online` or `ConnectionLost`.
    fn ping_status(&self) -> &'static str {
        if self.node.online {
            "Online"
        } else {
            "ConnectionLost"
        }
    }

    /// The values of this instance that filter key `key` compares, or
    /// `None` for a key no instance has a value for.
    fn values(&self, key: &str) -> Option<Vec<String>> {
        let one = |value: &str| Some(vec![value.to_owned()]);
        match key {
            "InstanceIds" => one(&self.node.instance_id),
            "PingStatus" => one(self.ping_status()),
            "ResourceType" => one("EC2Instance"),
            "PlatformTypes" => one("Linux"),
            "AgentVersion" => one(SSM_AGENT_VERSION),
            "IamRole" => one(&self.node.iam_role),
            "AssociationStatus" => one("Success"),
            "ActivationIds" => Some(Vec::new()),
            "tag-key" => Some(self.instance.tags.keys().cloned().collect()),
            _ => key
                .strip_prefix("tag:")
                .map(|tag| self.instance.tags.get(tag).cloned().into_iter().collect()),
        }
    }

    /// The instance as the API shows it at `now`.
    fn information(&self, context: &Context) -> InstanceInformation {
        InstanceInformation {
            instance_id: self.node.instance_id.clone(),
            ping_status: self.ping_status(),
            last_ping_date_time: if self.node.online {
                context.now
            } else {
                self.node.last_ping
            },
            agent_version: SSM_AGENT_VERSION,
            is_latest_version: true,
            platform_type: "Linux",
            platform_name: "Amazon Linux",
            platform_version: "2023",
            resource_type: "EC2Instance",
            iam_role: self.node.iam_role.clone(),
            ip_address: self.instance.private_ip_address(),
            computer_name: self.instance.private_dns_name(&context.region),
            source_id: self.node.instance_id.clone(),
            source_type: "AWS::EC2::Instance",
        }
    }
}

/// `InvalidInstanceInformationFilterValue`.
fn invalid_value(key: &str, value: &str, allowed: &str) -> ApiError {
    ApiError::new(
        "InvalidInstanceInformationFilterValue",
        format!("\"{value}\" is not a valid value of filter {key}; use {allowed}."),
    )
}

/// Checks one filter's key and values.
fn checked(key: &str, values: &[String], legacy: bool) -> Result<(), ApiError> {
    let tag =
        !legacy && (key == "tag-key" || key.strip_prefix("tag:").is_some_and(|k| !k.is_empty()));
    if !LEGACY_KEYS.contains(&key) && !tag {
        let keys = if legacy {
            LEGACY_KEYS.join(", ")
        } else {
            format!("{}, tag-key or tag:<key>", LEGACY_KEYS.join(", "))
        };
        return Err(ApiError::new(
            "InvalidFilterKey",
            format!("\"{key}\" is not a filter key of DescribeInstanceInformation; use {keys}."),
        ));
    }
    if values.is_empty() || values.len() > MAX_FILTER_VALUES {
        return Err(ApiError::new(
            "InvalidInstanceInformationFilterValue",
            format!(
                "The filter {key} has {} values; give 1 to {MAX_FILTER_VALUES}.",
                values.len()
            ),
        ));
    }
    let allowed: &[&str] = match key {
        "PingStatus" => &["Online", "ConnectionLost", "Inactive"],
        "ResourceType" => &["EC2Instance", "ManagedInstance"],
        "PlatformTypes" => &["Windows", "Linux", "MacOS"],
        _ => &[],
    };
    for value in values {
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            return Err(invalid_value(key, value, &allowed.join(", ")));
        }
        if key == INSTANCE_IDS_KEY && !is_instance_id(value) {
            return Err(ApiError::new(
                "InvalidInstanceId",
                format!(
                    "\"{value}\" is not an instance id; instance ids look like i-0123456789abcdef0."
                ),
            ));
        }
    }
    Ok(())
}

/// Describes the managed instances that every filter matches.
pub fn describe(world: &World, context: &Context, body: &serde_json::Value) -> Answer {
    let request: DescribeInput = input(body)?;
    let size = page_size(request.max_results, 5, 50, 10)?;
    let mut filters: Vec<(String, Vec<String>)> = Vec::new();
    if request.filters.is_some() && request.instance_information_filter_list.is_some() {
        return Err(ApiError::validation(
            "Give either Filters or InstanceInformationFilterList, not both; Filters takes every key the other does.",
        ));
    }
    for filter in request.instance_information_filter_list.unwrap_or_default() {
        let key = filter.key.unwrap_or_default();
        let values = filter.value_set.unwrap_or_default();
        checked(&key, &values, true)?;
        filters.push((key, values));
    }
    for filter in request.filters.unwrap_or_default() {
        let key = filter.key.unwrap_or_default();
        let values = filter.values.unwrap_or_default();
        checked(&key, &values, false)?;
        filters.push((key, values));
    }
    let rows: Vec<(String, InstanceInformation)> = world
        .ssm
        .nodes
        .values()
        .filter_map(|node| {
            let instance = world.ec2.instances.get(&node.instance_id)?;
            let row = Row { node, instance };
            filters
                .iter()
                .all(|(key, wanted)| {
                    row.values(key)
                        .is_some_and(|values| values.iter().any(|value| wanted.contains(value)))
                })
                .then(|| (node.instance_id.clone(), row.information(context)))
        })
        .collect();
    let page = page(
        "DescribeInstanceInformation",
        rows,
        request.next_token.as_deref(),
        size,
    )?;
    Ok(json!({
        "InstanceInformationList": output(&page.items)?,
        "NextToken": page.next_token,
    }))
}
