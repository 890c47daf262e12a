//! What the operations of ECS share: the request's context, the cluster a
//! request names, load balancers and tags as the API takes and returns
//! them, paging with `maxResults` and `nextToken`, and ECS's error words.

use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{Cluster, DEFAULT_CLUSTER, EcsState, LoadBalancer, Tags};
use super::task_set_state::invalid_parameter;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::elbv2::Elbv2State;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::{self, Page};

/// What an operation answers: its output as JSON, or ECS's error.
pub type Answer = Result<Value, ApiError>;

/// What an operation knows about the request besides its input.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
}

/// The launch types a service or task set takes.
const LAUNCH_TYPES: [&str; 3] = ["EC2", "FARGATE", "EXTERNAL"];

/// `ClusterNotFoundException`.
pub fn cluster_not_found() -> ApiError {
    ApiError::new("ClusterNotFoundException", "Cluster not found.")
}

/// The cluster a request names (`default` when it names none), or
/// `ClusterNotFoundException`.
pub fn cluster<'a>(state: &'a EcsState, cluster: Option<&str>) -> Result<&'a Cluster, ApiError> {
    state
        .cluster(cluster.unwrap_or(DEFAULT_CLUSTER))
        .ok_or_else(cluster_not_found)
}

/// The name or ARN a required member holds, or a `InvalidParameterException`
/// naming it.
pub fn required<'a>(value: Option<&'a str>, member: &str) -> Result<&'a str, ApiError> {
    value
        .filter(|value| !value.is_empty())
        .ok_or_else(|| invalid_parameter(format!("{member} can not be blank.")))
}

/// A load balancer as the client sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerInput {
    target_group_arn: Option<String>,
    load_balancer_name: Option<String>,
    container_name: Option<String>,
    container_port: Option<i32>,
}

/// Checks the load balancers of a service or task set against Elastic
/// Load Balancing v2: each names a container and port and a target group
/// that exists and that a listener forwards to.
pub fn load_balancers(
    elbv2: &Elbv2State,
    input: Option<Vec<LoadBalancerInput>>,
) -> Result<Vec<LoadBalancer>, ApiError> {
    input
        .unwrap_or_default()
        .into_iter()
        .map(|given| {
            let container_name = given
                .container_name
                .filter(|name| !name.is_empty())
                .ok_or_else(|| invalid_parameter("Container Name can not be blank."))?;
            let container_port = given.container_port.ok_or_else(|| {
                invalid_parameter(format!(
                    "Container Port can not be blank; give the port of {container_name} that receives the load balancer's traffic."
                ))
            })?;
            let target_group_arn = match (given.target_group_arn, given.load_balancer_name) {
                (Some(arn), None) => arn,
                (None, Some(name)) => {
                    return Err(invalid_parameter(format!(
                        "The local cloud's ECS registers tasks with Elastic Load Balancing v2 target groups only; give the targetGroupArn of a target group instead of the classic load balancer {name}."
                    )));
                }
                _ => {
                    return Err(invalid_parameter(
                        "Give a load balancer's targetGroupArn (and no loadBalancerName).",
                    ));
                }
            };
            let group = elbv2.target_groups.get(&target_group_arn).ok_or_else(|| {
                invalid_parameter(format!(
                    "The target group with targetGroupArn {target_group_arn} does not exist; create it with Elastic Load Balancing v2 first."
                ))
            })?;
            if group.in_use_since.is_none() {
                return Err(invalid_parameter(format!(
                    "The target group with targetGroupArn {target_group_arn} does not have an associated load balancer."
                )));
            }
            Ok(LoadBalancer {
                target_group_arn,
                container_name,
                container_port,
            })
        })
        .collect()
}

/// A tag as the API takes and returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct TagInput {
    key: Option<String>,
    value: Option<String>,
}

/// The tags given, checked: each with a key of 1 to 128 characters and a
/// value of at most 256, at most 50 in all.
pub fn tags(input: Option<Vec<TagInput>>) -> Result<Tags, ApiError> {
    let input = input.unwrap_or_default();
    if input.len() > 50 {
        return Err(invalid_parameter(format!(
            "{} tags were given; a resource takes at most 50.",
            input.len()
        )));
    }
    input
        .into_iter()
        .map(|tag| {
            let key = tag.key.unwrap_or_default();
            let value = tag.value.unwrap_or_default();
            if key.is_empty() || key.chars().count() > 128 {
                return Err(invalid_parameter(format!(
                    "The tag key \"{key}\" must be 1 to 128 characters long."
                )));
            }
            if value.chars().count() > 256 {
                return Err(invalid_parameter(format!(
                    "The value of tag {key} is longer than 256 characters."
                )));
            }
            Ok((key, value))
        })
        .collect()
}

/// Tags as the API returns them: `[{"key": ..., "value": ...}]`.
pub fn tags_json(tags: &Tags) -> Value {
    Value::Array(
        tags.iter()
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect(),
    )
}

/// Load balancers as the API returns them.
pub fn load_balancers_json(load_balancers: &[LoadBalancer]) -> Value {
    json!(load_balancers)
}

/// The page size `max_results` asks for: 1 to 100, 100 when absent.
pub fn page_size(max_results: Option<i64>) -> Result<usize, ApiError> {
    match max_results {
        None => Ok(100),
        Some(size @ 1..=100) => Ok(usize::try_from(size).unwrap_or(100)),
        Some(size) => Err(invalid_parameter(format!(
            "maxResults must be between 1 and 100, not {size}."
        ))),
    }
}

/// Cuts the page `next_token` asks for out of `items`, each with a sort
/// key unique in the list `scope`.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    max_results: Option<i64>,
) -> Result<Page<T>, ApiError> {
    let size = page_size(max_results)?;
    paging::page_or(scope, items, next_token, size, |_| {
        invalid_parameter("Invalid nextToken; call the operation again without it to start over.")
    })
}

/// A failure of a describe operation: the ARN asked for and why.
pub fn failure(arn: &str, reason: &str) -> Value {
    json!({ "arn": arn, "reason": reason })
}

/// Checks a launch type, if one is given.
pub fn check_launch_type(launch_type: Option<&str>) -> Result<(), ApiError> {
    match launch_type {
        Some(given) if !LAUNCH_TYPES.contains(&given) => Err(invalid_parameter(format!(
            "The launch type \"{given}\" is not valid; use EC2, FARGATE or EXTERNAL."
        ))),
        _ => Ok(()),
    }
}
