//! `TagResource`, `UntagResource` and `ListTagsForResource` on clusters,
//! services and task definitions, named by ARN.

use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{Answer, Context, TagInput, tags, tags_json};
use super::state::{EcsState, Tags, cluster_name};
use super::task_set_state::invalid_parameter;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input};

/// `ResourceNotFoundException` for `arn`.
fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        "ResourceNotFoundException",
        format!(
            "The specified resource {arn} wasn't found; tag a cluster, service or task definition by its ARN."
        ),
    )
}

/// A resource that takes tags.
enum Resource {
    /// A cluster, by name.
    Cluster(String),
    /// A service, by cluster and name.
    Service(String, String),
    /// A task definition, by family and revision.
    TaskDefinition(String, u32),
}

/// The resource `arn` names, if it exists (deleted clusters and services
/// do not take tags).
fn locate(state: &EcsState, arn: &str) -> Result<Resource, ApiError> {
    if arn.contains(":cluster/") {
        return state
            .cluster(cluster_name(arn))
            .filter(|cluster| cluster.arn == arn)
            .map(|cluster| Resource::Cluster(cluster.name.clone()))
            .ok_or_else(|| not_found(arn));
    }
    if let Some((_, rest)) = arn.split_once(":service/") {
        let (cluster, _) = rest.split_once('/').ok_or_else(|| not_found(arn))?;
        return state
            .service(cluster, arn)
            .filter(|service| service.arn == arn && !service.is_deleted())
            .map(|service| Resource::Service(service.cluster.clone(), service.name.clone()))
            .ok_or_else(|| not_found(arn));
    }
    if arn.contains(":task-definition/") {
        return state
            .task_definition(arn)
            .filter(|definition| definition.arn == arn)
            .map(|definition| {
                Resource::TaskDefinition(definition.family.clone(), definition.revision)
            })
            .ok_or_else(|| not_found(arn));
    }
    Err(invalid_parameter(format!(
        "The ARN {arn} is not the ARN of a cluster, service or task definition."
    )))
}

/// The tags of the resource `arn`.
fn tags_of<'a>(state: &'a EcsState, arn: &str) -> Result<&'a Tags, ApiError> {
    let tags = match locate(state, arn)? {
        Resource::Cluster(name) => state.clusters.get(&name).map(|cluster| &cluster.tags),
        Resource::Service(cluster, name) => {
            state.service(&cluster, &name).map(|service| &service.tags)
        }
        Resource::TaskDefinition(family, revision) => state
            .task_definitions
            .get(&family)
            .and_then(|record| record.revisions.get(&revision))
            .map(|definition| &definition.tags),
    };
    tags.ok_or_else(|| not_found(arn))
}

/// Replaces the tags of the resource `arn` with `tags`.
fn set_tags(state: &mut EcsState, arn: &str, tags: Tags) -> Result<(), ApiError> {
    match locate(state, arn)? {
        Resource::Cluster(name) => {
            if let Some(mut cluster) = state.clusters.get(&name).cloned() {
                cluster.tags = tags;
                state.clusters.insert(name, cluster);
            }
        }
        Resource::Service(cluster, name) => {
            if let Some(mut service) = state.service(&cluster, &name).cloned() {
                service.tags = tags;
                state.put_service(service);
            }
        }
        Resource::TaskDefinition(family, revision) => {
            if let Some(mut record) = state.task_definitions.get(&family).cloned()
                && let Some(definition) = record.revisions.get_mut(&revision)
            {
                definition.tags = tags;
                state.task_definitions.insert(family, record);
            }
        }
    }
    Ok(())
}

/// `TagResourceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagInputRequest {
    resource_arn: Option<String>,
    tags: Option<Vec<TagInput>>,
}

/// Adds or replaces tags; a resource keeps at most 50.
pub fn tag(state: &mut EcsState, _context: &Context, body: &Value) -> Answer {
    let request: TagInputRequest = input(body)?;
    let arn = request.resource_arn.unwrap_or_default();
    let added = tags(request.tags)?;
    let mut merged = tags_of(state, &arn)?.clone();
    merged.extend(added);
    if merged.len() > 50 {
        return Err(invalid_parameter(
            "A resource takes at most 50 tags; remove some first.",
        ));
    }
    set_tags(state, &arn, merged)?;
    Ok(empty())
}

/// `UntagResourceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UntagInput {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

/// Removes tags by key.
pub fn untag(state: &mut EcsState, _context: &Context, body: &Value) -> Answer {
    let request: UntagInput = input(body)?;
    let arn = request.resource_arn.unwrap_or_default();
    let keys = request.tag_keys.unwrap_or_default();
    let mut kept = tags_of(state, &arn)?.clone();
    kept.retain(|key, _| !keys.contains(key));
    set_tags(state, &arn, kept)?;
    Ok(empty())
}

/// `ListTagsForResourceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    resource_arn: Option<String>,
}

/// Lists a resource's tags.
pub fn list(state: &EcsState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let arn = request.resource_arn.unwrap_or_default();
    Ok(json!({ "tags": tags_json(tags_of(state, &arn)?) }))
}
