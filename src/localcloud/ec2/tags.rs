//! `CreateTags`, `DeleteTags` and `DescribeTags` for instances, and the
//! tag rules that `RunInstances` shares.
//!
//! EC2's rules: a key has 1 to 128 characters and does not start with
//! `aws:`, a value has at most 256, a resource has at most 50 tags. Tags
//! changed here are the tags CodeDeploy deployment groups select instances
//! by, so the next deployment sees them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{Context, check_instance_ids};
use super::state::{Ec2State, is_instance_id};
use super::xml::{Items, Return};
use super::{filters, paging};
use crate::domain::names::{MAX_TAGS_PER_RESOURCE, TagError, TagPart, validate_ec2_tag};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::{Params, invalid_value, missing};
use crate::localcloud::protocol::xml::xml_allows;

/// The most resource ids one `CreateTags` or `DeleteTags` request takes.
pub const MAX_RESOURCE_IDS: usize = 1000;
/// The most tags one resource may have.
pub const MAX_TAGS: usize = MAX_TAGS_PER_RESOURCE;

/// A tag as a request gives it: a key and, perhaps, a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTag {
    /// The key.
    pub key: String,
    /// The value, if the request gave one.
    pub value: Option<String>,
}

/// Reads the tags `name.N.Key` / `name.N.Value` of `params`, checking each
/// key and value against EC2's rules. `name` is the tags' full parameter
/// name, for messages.
pub fn read(params: &Params, list: &str, name: &str) -> Result<Vec<RequestTag>, ApiError> {
    params
        .members(list)?
        .into_iter()
        .enumerate()
        .map(|(position, tag)| {
            let key_name = format!("{name}.{}.Key", position + 1);
            let value_name = format!("{name}.{}.Value", position + 1);
            let key = tag.get("Key").ok_or_else(|| missing(&key_name))?;
            let value = tag.get("Value");
            if let Err(problem) = validate_ec2_tag(key, value.unwrap_or_default()) {
                let (param, text) = match problem {
                    TagError::TooLong {
                        part: TagPart::Value,
                        ..
                    } => (&value_name, value.unwrap_or_default()),
                    _ => (&key_name, key),
                };
                return Err(invalid_value(param, text, &problem.to_string()));
            }
            // EC2 allows any character, but XML carries no control characters.
            for (param, text) in [(&key_name, Some(key)), (&value_name, value)] {
                if let Some(text) = text.filter(|text| !text.chars().all(xml_allows)) {
                    return Err(invalid_value(
                        param,
                        text,
                        "A tag key or value may not hold control characters.",
                    ));
                }
            }
            Ok(RequestTag {
                key: key.to_owned(),
                value: value.map(str::to_owned),
            })
        })
        .collect()
}

/// The tags to set, by key: each key once, an absent value empty.
pub fn to_set(tags: Vec<RequestTag>, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut set = BTreeMap::new();
    for tag in tags {
        if set
            .insert(tag.key.clone(), tag.value.unwrap_or_default())
            .is_some()
        {
            return Err(invalid_value(
                name,
                &tag.key,
                "The same tag key was given twice; give each key once.",
            ));
        }
    }
    Ok(set)
}

/// The error for a resource that would carry more than [`MAX_TAGS`] tags.
pub fn too_many(resource_id: &str, count: usize) -> ApiError {
    ApiError::new(
        "TagLimitExceeded",
        format!(
            "The resource {resource_id} would have {count} tags, but a resource may have at most {MAX_TAGS}; delete some tags first."
        ),
    )
}

/// Reads `ResourceId.N`: one to [`MAX_RESOURCE_IDS`], each an instance that exists. The
/// local cloud has no other taggable EC2 resources.
fn resource_ids(ec2: &Ec2State, params: &Params) -> Result<Vec<String>, ApiError> {
    let resource_ids = params.list("ResourceId")?;
    if resource_ids.is_empty() {
        return Err(missing("ResourceId"));
    }
    if resource_ids.len() > MAX_RESOURCE_IDS {
        return Err(invalid_value(
            "ResourceId",
            &resource_ids.len().to_string(),
            &format!(
                "A request takes up to {MAX_RESOURCE_IDS} resource IDs; break it into batches of {MAX_RESOURCE_IDS}."
            ),
        ));
    }
    if let Some(other) = resource_ids.iter().find(|id| !is_instance_id(id)) {
        return Err(ApiError::new(
            "InvalidID",
            format!(
                "The ID '{other}' is not valid; the local cloud's EC2 tags instances only (ids like i-0123456789abcdef0)."
            ),
        ));
    }
    check_instance_ids(ec2, &resource_ids)?;
    Ok(resource_ids)
}

/// `CreateTags`: sets tags on instances, replacing the values of keys they
/// already have.
pub fn create(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let resource_ids = resource_ids(ec2, params)?;
    let tags = read(params, "Tag", "Tag")?;
    if tags.is_empty() {
        return Err(missing("Tag"));
    }
    let tags = to_set(tags, "Tag")?;
    // Check every resource before changing any.
    for instance in resource_ids.iter().filter_map(|id| ec2.instances.get(id)) {
        let existing = &instance.tags;
        let count = existing.len()
            + tags
                .keys()
                .filter(|key| !existing.contains_key(*key))
                .count();
        if count > MAX_TAGS {
            return Err(too_many(&instance.instance_id, count));
        }
    }
    for resource_id in &resource_ids {
        if let Some(instance) = ec2.instances.get_mut(resource_id) {
            instance.tags.extend(tags.clone());
        }
    }
    context.respond(&Return { value: true })
}

/// `DeleteTags`: removes tags from instances. A tag given with a value is
/// removed only where it has that value (an empty value only where it is
/// empty); a tag given without one is removed whatever its value; no tags
/// at all removes every tag.
pub fn delete(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let resource_ids = resource_ids(ec2, params)?;
    let tags = read(params, "Tag", "Tag")?;
    for resource_id in &resource_ids {
        let Some(instance) = ec2.instances.get_mut(resource_id) else {
            continue;
        };
        if tags.is_empty() {
            instance.tags.clear();
        }
        for tag in &tags {
            let matches = match &tag.value {
                None => true,
                Some(value) => instance.tags.get(&tag.key) == Some(value),
            };
            if matches {
                instance.tags.remove(&tag.key);
            }
        }
    }
    context.respond(&Return { value: true })
}

/// The filters `DescribeTags` takes.
const DESCRIBE_FILTERS: [&str; 4] = ["resource-id", "resource-type", "key", "value"];

/// A tag as `DescribeTags` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TagDescriptionXml {
    /// The resource's id.
    resource_id: String,
    /// The resource's type, always `instance`.
    resource_type: &'static str,
    /// The key.
    key: String,
    /// The value.
    value: String,
}

/// `DescribeTags`'s output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTagsXml {
    /// The tags on this page.
    tag_set: Items<TagDescriptionXml>,
    /// The token for the next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// `DescribeTags`: the tags of every instance, filtered by `resource-id`,
/// `resource-type`, `key` and `value`, in pages.
pub fn describe(ec2: &Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let max_results = paging::max_results(params)?;
    let filters = filters::read(params, |name| DESCRIBE_FILTERS.contains(&name))?;
    let tags: Vec<(String, TagDescriptionXml)> = ec2
        .instances
        .values()
        .flat_map(|instance| {
            instance.tags.iter().map(|(key, value)| TagDescriptionXml {
                resource_id: instance.instance_id.clone(),
                resource_type: "instance",
                key: key.clone(),
                value: value.clone(),
            })
        })
        .filter(|tag| {
            filters.iter().all(|filter| {
                let candidate = match filter.name.as_str() {
                    "resource-id" => &tag.resource_id,
                    "resource-type" => tag.resource_type,
                    "key" => &tag.key,
                    _ => &tag.value,
                };
                filter.matches_any([candidate])
            })
        })
        // Instance ids have no NUL, so this key sorts by instance, then key.
        .map(|tag| (format!("{}\0{}", tag.resource_id, tag.key), tag))
        .collect();
    let page = paging::page("DescribeTags", tags, params, max_results)?;
    context.respond(&DescribeTagsXml {
        tag_set: page.items.into_iter().collect(),
        next_token: page.next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::{MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH};

    #[test]
    fn tag_rules_are_ec2s() {
        let long_key = "k".repeat(MAX_TAG_KEY_LENGTH + 1);
        let long_value = "v".repeat(MAX_TAG_VALUE_LENGTH + 1);
        for (key, value) in [
            ("", "x"),
            (long_key.as_str(), "x"),
            ("aws:cloudformation", "x"),
            ("AWS:reserved", "x"),
            ("ok", long_value.as_str()),
            ("bell\u{7}", "x"),
            ("ok", "nul\u{0}"),
        ] {
            let params = Params::from_pairs([("Tag.1.Key", key), ("Tag.1.Value", value)]);
            let error = read(&params, "Tag", "Tag").unwrap_err();
            assert_eq!(error.code, "InvalidParameterValue", "{key}={value}");
        }
        let params = Params::from_pairs([
            ("Tag.1.Key", "Name"),
            ("Tag.2.Key", "Env"),
            ("Tag.2.Value", ""),
        ]);
        let tags = read(&params, "Tag", "Tag").unwrap();
        assert_eq!(tags[0].value, None);
        assert_eq!(tags[1].value.as_deref(), Some(""));
        let set = to_set(tags, "Tag").unwrap();
        assert_eq!(set["Name"], "");
        let twice = Params::from_pairs([("Tag.1.Key", "a"), ("Tag.2.Key", "a")]);
        let error = to_set(read(&twice, "Tag", "Tag").unwrap(), "Tag").unwrap_err();
        assert_eq!(error.code, "InvalidParameterValue");
        let keyless = Params::from_pairs([("Tag.1.Value", "x")]);
        assert_eq!(
            read(&keyless, "Tag", "Tag").unwrap_err().code,
            "MissingParameter"
        );
    }
}
