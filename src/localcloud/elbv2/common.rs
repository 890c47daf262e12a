//! What the operations of Elastic Load Balancing share, v2 and classic: the
//! request's context and the `awsQuery` envelope, reading parameters
//! (names, ports, ARNs, tags, paging) with AWS's validation messages, the
//! errors, and the XML lists.

use serde::Serialize;

use crate::domain::elb_names::{ElbNameKind, validate_elb_name};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::page_or;
use crate::localcloud::protocol::query::{Params, aws_query_response};

/// What an operation answers: its XML response, or the service's error.
pub type Answer = Result<String, ApiError>;

/// The most tags a load balancer or target group may have.
pub const MAX_TAGS: usize = 50;

/// What an operation knows about the request besides its parameters.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the request was signed for.
    pub region: String,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The action, e.g. `CreateLoadBalancer`.
    pub action: String,
    /// The XML namespace of the service's responses.
    pub namespace: &'static str,
}

impl Context {
    /// The response to this request with the result `result`, written as
    /// `<ActionResult>`.
    pub fn respond<T: Serialize>(&self, result: &T) -> Answer {
        aws_query_response(&self.action, self.namespace, &self.request_id, result)
    }

    /// The response to an action that returns nothing but its request id:
    /// an empty `<ActionResult/>`, as Elastic Load Balancing sends (the
    /// AWS CLI fails on an answer without it).
    pub fn respond_empty(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{namespace}\"><{action}Result/><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>",
            action = self.action,
            namespace = self.namespace,
            request_id = self.request_id
        )
    }

    /// The start of this region's Elastic Load Balancing ARNs:
    /// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:`.
    pub fn arn_prefix(&self) -> String {
        format!("arn:aws:elasticloadbalancing:{}:{ACCOUNT_ID}:", self.region)
    }
}

/// The `ValidationError` for a parameter that breaks a constraint, in
/// AWS's words, followed by what to do.
pub fn validation(name: &str, value: &str, constraint: &str) -> ApiError {
    ApiError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
            lower_first(name)
        ),
    )
}

/// A `ValidationError` with the message `message`.
pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("ValidationError", message)
}

/// The error for a required parameter that was not given.
pub fn missing(name: &str) -> ApiError {
    invalid(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null; add the parameter {name}.",
        lower_first(name)
    ))
}

/// `name` with its first letter in lower case, as AWS names members in
/// validation messages (`loadBalancerName`).
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// The value of `name`, which must be given (`ValidationError` otherwise).
pub fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| missing(name))
}

/// The name in parameter `param`, checked as a name of `kind`.
pub fn name_param<'a>(
    params: &'a Params,
    param: &str,
    kind: ElbNameKind,
) -> Result<&'a str, ApiError> {
    let name = required(params, param)?;
    validate_elb_name(kind, name).map_err(|error| invalid(error.to_string()))?;
    Ok(name)
}

/// The whole number `name` between `min` and `max`, if given.
pub fn ranged(params: &Params, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    match text.trim().parse::<i64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(Some(value)),
        _ => Err(validation(
            name,
            text,
            &format!("Member must have value between {min} and {max}."),
        )),
    }
}

/// The port `name` (1 to 65535), if given.
pub fn port_param(params: &Params, name: &str) -> Result<Option<u16>, ApiError> {
    Ok(ranged(params, name, 1, 65_535)?.and_then(|port| u16::try_from(port).ok()))
}

/// The boolean `name`, if given.
pub fn bool_param(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(text) => Err(validation(name, text, "Member must be true or false.")),
    }
}

/// The strings of the list `name.member.N`, in order.
pub fn member_list(params: &Params, name: &str) -> Result<Vec<String>, ApiError> {
    params.nested(name).list("member")
}

/// `PageSize` (1 to 400, 400 when absent) and `Marker`: one page of
/// `items`, each with a unique sort key, and the marker for the next.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    params: &Params,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = ranged(params, "PageSize", 1, 400)?.unwrap_or(400);
    let size = usize::try_from(size).unwrap_or(400);
    let page = page_or(scope, items, params.get("Marker"), size, |marker| {
        validation(
            "Marker",
            marker,
            "The marker was not returned by this list; call the operation again without a Marker to start from the first page.",
        )
    })?;
    Ok((page.items, page.next_token))
}

/// Tags given as `Tags.member.N.Key` / `.Value`: keys of 1 to 128
/// characters not starting with `aws:`, values of up to 256, no key twice.
pub fn tags_param(params: &Params) -> Result<Vec<(String, String)>, ApiError> {
    let members = params.nested("Tags").members("member")?;
    let mut tags: Vec<(String, String)> = Vec::with_capacity(members.len());
    for member in members {
        let key = member
            .get("Key")
            .ok_or_else(|| missing("Tags.member.N.Key"))?;
        let value = member.get("Value").unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(validation(
                "Tags.member.Key",
                key,
                "Member must have length between 1 and 128.",
            ));
        }
        if value.chars().count() > 256 {
            return Err(validation(
                "Tags.member.Value",
                value,
                "Member must have length less than or equal to 256.",
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(format!(
                "Tag key '{key}' starts with 'aws:', which is reserved for AWS's own tags; choose another key."
            )));
        }
        if tags.iter().any(|(known, _)| known == key) {
            return Err(ApiError::new(
                "DuplicateTagKeys",
                format!("Tag key '{key}' is given more than once; give each key once."),
            ));
        }
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(tags)
}

/// `tags` with `added` put in: a key already there takes the new value.
/// Refused with `TooManyTags` past [`MAX_TAGS`].
pub fn merge_tags(
    tags: &[(String, String)],
    added: &[(String, String)],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut merged = tags.to_vec();
    for (key, value) in added {
        match merged.iter_mut().find(|(known, _)| known == key) {
            Some(tag) => tag.1.clone_from(value),
            None => merged.push((key.clone(), value.clone())),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TooManyTags",
            format!(
                "A resource may have at most {MAX_TAGS} tags; this would give it {}. Remove some with RemoveTags first.",
                merged.len()
            ),
        ));
    }
    Ok(merged)
}

/// A list as the query protocols write one: each item in a `<member>`.
#[derive(Debug, Serialize)]
pub struct Members<T> {
    /// The items.
    pub member: Vec<T>,
}

impl<T> FromIterator<T> for Members<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            member: iter.into_iter().collect(),
        }
    }
}

/// A tag as Elastic Load Balancing writes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagXml {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Tags as a `<Tags>` list.
pub fn tags_xml(tags: &[(String, String)]) -> Members<TagXml> {
    tags.iter()
        .map(|(key, value)| TagXml {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

/// Sixteen hexadecimal digits, as the ids in Elastic Load Balancing's ARNs.
pub fn random_hex_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The Availability Zone of `region` the subnet `subnet` is in: the local
/// cloud has no subnets of its own, so a subnet's zone is worked out from
/// its id, the same every time.
pub fn zone_of_subnet(region: &str, subnet: &str) -> String {
    let sum: u32 = subnet.bytes().map(u32::from).sum();
    let letter = char::from(b'a' + u8::try_from(sum % 3).unwrap_or(0));
    format!("{region}{letter}")
}

/// Whether `id` looks like `PREFIX-` and 8 or 17 hexadecimal digits, as
/// EC2's ids of subnets, VPCs and security groups do.
pub fn is_ec2_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_checked_and_merged() {
        let params = Params::from_pairs([
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "web"),
            ("Tags.member.2.Key", "empty"),
        ]);
        let tags = tags_param(&params).unwrap();
        assert_eq!(
            tags,
            vec![
                ("team".to_owned(), "web".to_owned()),
                ("empty".to_owned(), String::new())
            ]
        );
        let twice = Params::from_pairs([("Tags.member.1.Key", "a"), ("Tags.member.2.Key", "a")]);
        assert_eq!(tags_param(&twice).unwrap_err().code, "DuplicateTagKeys");
        let reserved = Params::from_pairs([("Tags.member.1.Key", "aws:x")]);
        assert_eq!(tags_param(&reserved).unwrap_err().code, "ValidationError");
        let merged = merge_tags(&tags, &[("team".to_owned(), "api".to_owned())]).unwrap();
        assert_eq!(merged[0].1, "api");
        let many: Vec<(String, String)> = (0..51).map(|i| (i.to_string(), String::new())).collect();
        assert_eq!(merge_tags(&[], &many).unwrap_err().code, "TooManyTags");
    }

    #[test]
    fn ec2_ids_and_zones() {
        assert!(is_ec2_id("subnet-0123abcd", "subnet"));
        assert!(is_ec2_id("vpc-0123456789abcdef0", "vpc"));
        assert!(!is_ec2_id("subnet-xyz", "subnet"));
        assert!(!is_ec2_id("vpc-0123abcd", "subnet"));
        assert_eq!(
            zone_of_subnet("eu-west-1", "subnet-0123abcd"),
            zone_of_subnet("eu-west-1", "subnet-0123abcd")
        );
        assert!(zone_of_subnet("eu-west-1", "subnet-1").starts_with("eu-west-1"));
    }
}
