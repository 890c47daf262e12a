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

/// The tags of the resource `arn`, to change with `change`, which answers
/// what the operation returns.
fn with_tags<R>(
    state: &mut EcsState,
    arn: &str,
    change: impl FnOnce(&mut Tags) -> R,
) -> Result<R, ApiError> {
    if arn.contains(":cluster/") {
        let name = cluster_name(arn).to_owned();
        let mut cluster = state
            .cluster(&name)
            .filter(|cluster| cluster.arn == arn)
            .cloned()
            .ok_or_else(|| not_found(arn))?;
        let answer = change(&mut cluster.tags);
        state.clusters.insert(name, cluster);
        return Ok(answer);
    }
    if let Some((_, rest)) = arn.split_once(":service/") {
        let (cluster, _) = rest.split_once('/').ok_or_else(|| not_found(arn))?;
        let mut service = state
            .service(cluster, arn)
            .filter(|service| service.arn == arn && !service.is_deleted())
            .cloned()
            .ok_or_else(|| not_found(arn))?;
        let answer = change(&mut service.tags);
        state.put_service(service);
        return Ok(answer);
    }
    if arn.contains(":task-definition/") {
        let definition = state
            .task_definition(arn)
            .filter(|definition| definition.arn == arn)
            .ok_or_else(|| not_found(arn))?;
        let mut record = state
            .task_definitions
            .get(&definition.family)
            .cloned()
            .ok_or_else(|| not_found(arn))?;
        let revision = definition.revision;
        let Some(found) = record.revisions.get_mut(&revision) else {
            return Err(not_found(arn));
        };
        let answer = change(&mut found.tags);
        state.task_definitions.insert(record.family.clone(), record);
        return Ok(answer);
    }
    Err(invalid_parameter(format!(
        "The ARN {arn} is not the ARN of a cluster, service or task definition."
    )))
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
    let fits = with_tags(state, &arn, |tags| {
        let mut merged = tags.clone();
        merged.extend(added);
        let fits = merged.len() <= 50;
        if fits {
            *tags = merged;
        }
        fits
    })?;
    if !fits {
        return Err(invalid_parameter(
            "A resource takes at most 50 tags; remove some first.",
        ));
    }
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
    with_tags(state, &arn, |tags| {
        tags.retain(|key, _| !keys.contains(key));
    })?;
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
    // Reading goes through the same lookup as changing, on a copy.
    let mut copy = state.clone();
    let tags = with_tags(&mut copy, &arn, |tags| tags.clone())?;
    Ok(json!({ "tags": tags_json(&tags) }))
}
