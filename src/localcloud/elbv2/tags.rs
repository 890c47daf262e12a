//! Tags of load balancers and target groups: `AddTags`, `DescribeTags`
//! and `RemoveTags`, each over up to 20 resources named by ARN.

use serde::Serialize;

use super::common::{
    Answer, Context, Members, TagXml, invalid, member_list, merge_tags, missing, tags_param,
    tags_xml,
};
use super::state::Elbv2State;
use super::{load_balancers, target_groups};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The most resources one tag operation may name.
const MAX_RESOURCES: usize = 20;

/// The tags of the resource `arn`, which must exist.
fn tags_of<'a>(state: &'a Elbv2State, arn: &str) -> Result<&'a [(String, String)], ApiError> {
    if arn.contains(":targetgroup/") {
        target_groups::check_arn("ResourceArns", arn)?;
        state
            .target_groups
            .get(arn)
            .map(|group| group.tags.as_slice())
            .ok_or_else(|| target_groups::not_found(arn))
    } else {
        load_balancers::check_arn("ResourceArns", arn)?;
        state
            .load_balancers
            .get(arn)
            .map(|balancer| balancer.tags.as_slice())
            .ok_or_else(|| load_balancers::not_found(arn))
    }
}

/// Replaces the tags of the resource `arn`, which exists.
fn set_tags(state: &mut Elbv2State, arn: &str, tags: Vec<(String, String)>) {
    if let Some(group) = state.target_groups.get_mut(arn) {
        group.tags = tags;
    } else if let Some(balancer) = state.load_balancers.get_mut(arn) {
        balancer.tags = tags;
    }
}

/// The `ResourceArns` of the request: 1 to 20.
fn resources_param(params: &Params) -> Result<Vec<String>, ApiError> {
    let arns = member_list(params, "ResourceArns")?;
    if arns.is_empty() {
        return Err(missing("ResourceArns"));
    }
    if arns.len() > MAX_RESOURCES {
        return Err(invalid(format!(
            "At most {MAX_RESOURCES} resources can be named at once; this request names {}. Split it.",
            arns.len()
        )));
    }
    Ok(arns)
}

/// `AddTags`: adds or overwrites tags on every resource named.
pub fn add(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let arns = resources_param(params)?;
    let added = tags_param(params)?;
    if added.is_empty() {
        return Err(missing("Tags"));
    }
    let mut changed = Vec::with_capacity(arns.len());
    for arn in &arns {
        changed.push((arn.clone(), merge_tags(tags_of(state, arn)?, &added)?));
    }
    for (arn, tags) in changed {
        set_tags(state, &arn, tags);
    }
    Ok(context.respond_empty())
}

/// `RemoveTags`: removes the keys named from every resource named.
pub fn remove(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let arns = resources_param(params)?;
    let keys = member_list(params, "TagKeys")?;
    if keys.is_empty() {
        return Err(missing("TagKeys"));
    }
    let mut changed = Vec::with_capacity(arns.len());
    for arn in &arns {
        let tags: Vec<(String, String)> = tags_of(state, arn)?
            .iter()
            .filter(|(key, _)| !keys.contains(key))
            .cloned()
            .collect();
        changed.push((arn.clone(), tags));
    }
    for (arn, tags) in changed {
        set_tags(state, &arn, tags);
    }
    Ok(context.respond_empty())
}

/// One resource's tags.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagDescriptionXml {
    resource_arn: String,
    tags: Members<TagXml>,
}

/// The result of `DescribeTags`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTagsResult {
    tag_descriptions: Members<TagDescriptionXml>,
}

/// `DescribeTags`: the tags of every resource named.
pub fn describe(state: &Elbv2State, context: &Context, params: &Params) -> Answer {
    let arns = resources_param(params)?;
    let mut descriptions = Vec::with_capacity(arns.len());
    for arn in arns {
        let tags = tags_xml(tags_of(state, &arn)?);
        descriptions.push(TagDescriptionXml {
            resource_arn: arn,
            tags,
        });
    }
    context.respond(&DescribeTagsResult {
        tag_descriptions: descriptions.into_iter().collect(),
    })
}
