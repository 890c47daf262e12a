//! `CreateCluster`, `DescribeClusters`, `ListClusters` and `DeleteCluster`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{Answer, Context, TagInput, cluster, failure, page, tags, tags_json};
use super::state::{
    ACTIVE, Cluster, DEFAULT_CLUSTER, EcsState, INACTIVE, cluster_arn, cluster_name,
};
use super::task_set_state::invalid_parameter;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::input;

/// Whether `name` is a valid cluster, service or task definition family
/// name: 1 to 255 letters,
/// digits, `-` and `_`.
pub fn is_resource_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// `Cluster` as the API returns it, with its services' tasks at `now`.
pub fn description(state: &EcsState, cluster: &Cluster, now: Timestamp) -> Value {
    let services = state
        .services
        .values()
        .filter(|service| service.cluster == cluster.name && !service.is_deleted());
    let (mut pending, mut running, mut active) = (0, 0, 0);
    for service in services {
        let (service_pending, service_running) = service.task_counts(now);
        pending += service_pending;
        running += service_running;
        active += 1;
    }
    json!({
        "clusterArn": cluster.arn,
        "clusterName": cluster.name,
        "status": cluster.status,
        "registeredContainerInstancesCount": 0,
        "runningTasksCount": running,
        "pendingTasksCount": pending,
        "activeServicesCount": active,
        "statistics": [],
        "tags": tags_json(&cluster.tags),
        "settings": [{ "name": "containerInsights", "value": "disabled" }],
        "capacityProviders": [],
        "defaultCapacityProviderStrategy": [],
    })
}

/// `CreateClusterRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    cluster_name: Option<String>,
    tags: Option<Vec<TagInput>>,
}

/// Creates a cluster (`default` when unnamed); creating one that exists
/// answers it as it is.
pub fn create(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let name = request
        .cluster_name
        .unwrap_or_else(|| DEFAULT_CLUSTER.to_owned());
    if !is_resource_name(&name) {
        return Err(invalid_parameter(format!(
            "The cluster name \"{name}\" is not valid; use up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens."
        )));
    }
    let tags = tags(request.tags)?;
    if let Some(existing) = state.cluster(&name) {
        return Ok(json!({ "cluster": description(state, existing, context.now) }));
    }
    let cluster = Cluster {
        arn: cluster_arn(&context.region, &name),
        name: name.clone(),
        status: ACTIVE.to_owned(),
        created: context.now,
        tags,
    };
    state.clusters.insert(name, cluster.clone());
    Ok(json!({ "cluster": description(state, &cluster, context.now) }))
}

/// `DescribeClustersRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    clusters: Option<Vec<String>>,
}

/// Describes clusters by name or ARN (the `default` one when none is
/// named), deleted ones as `INACTIVE`; the missing ones are failures.
pub fn describe(state: &EcsState, context: &Context, body: &Value) -> Answer {
    let request: DescribeInput = input(body)?;
    let asked = request
        .clusters
        .filter(|clusters| !clusters.is_empty())
        .unwrap_or_else(|| vec![DEFAULT_CLUSTER.to_owned()]);
    if asked.len() > 100 {
        return Err(invalid_parameter(
            "At most 100 clusters can be described at a time.",
        ));
    }
    let mut clusters = Vec::new();
    let mut failures = Vec::new();
    for reference in &asked {
        let name = cluster_name(reference);
        match state.clusters.get(name) {
            Some(found) => clusters.push(description(state, found, context.now)),
            None if reference.starts_with("arn:") => failures.push(failure(reference, "MISSING")),
            None => failures.push(failure(&cluster_arn(&context.region, name), "MISSING")),
        }
    }
    Ok(json!({ "clusters": clusters, "failures": failures }))
}

/// `ListClustersRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// Lists the active clusters' ARNs.
pub fn list(state: &EcsState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let items = state
        .clusters
        .values()
        .filter(|cluster| cluster.status == ACTIVE)
        .map(|cluster| (cluster.arn.clone(), cluster.arn.clone()))
        .collect();
    let page = page(
        "ListClusters",
        items,
        request.next_token.as_deref(),
        request.max_results,
    )?;
    Ok(json!({ "clusterArns": page.items, "nextToken": page.next_token }))
}

/// `DeleteClusterRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    cluster: Option<String>,
}

/// Deletes a cluster, which stays `INACTIVE`; refused while it has active
/// or draining services.
pub fn delete(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: DeleteInput = input(body)?;
    let reference = request
        .cluster
        .filter(|cluster| !cluster.is_empty())
        .ok_or_else(|| invalid_parameter("cluster can not be blank."))?;
    let mut found = cluster(state, Some(&reference))?.clone();
    let busy = state
        .services
        .values()
        .any(|service| service.cluster == found.name && service.status(context.now) != INACTIVE);
    if busy {
        return Err(ApiError::new(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    INACTIVE.clone_into(&mut found.status);
    let answer = json!({ "cluster": description(state, &found, context.now) });
    state.clusters.insert(found.name.clone(), found);
    Ok(answer)
}
