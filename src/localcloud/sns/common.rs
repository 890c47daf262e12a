//! What the operations of SNS share: the request's context and SNS's XML
//! envelope, reading parameters (ARNs, attribute maps, tags, paging) with
//! SNS's errors, and SNS's XML lists and maps.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;

use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::page_or;
use crate::localcloud::protocol::query::{Params, aws_query_empty_response, aws_query_response};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2010-03-31";

/// The XML namespace of SNS's responses.
pub const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// How many items a page of SNS's lists holds.
pub const PAGE_SIZE: usize = 100;

/// What an operation answers: its XML response, or SNS's error.
pub type Answer = Result<String, ApiError>;

/// What an operation knows about the request besides its parameters.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The action, e.g. `CreateTopic`.
    pub action: String,
}

impl Context {
    /// The response to this request with the result `result`, written as
    /// `<ActionResult>`.
    pub fn respond<T: Serialize>(&self, result: &T) -> Answer {
        aws_query_response(&self.action, NAMESPACE, &self.request_id, result)
    }

    /// The response to an action that returns nothing but its request id.
    pub fn respond_empty(&self) -> String {
        aws_query_empty_response(&self.action, NAMESPACE, &self.request_id)
    }

    /// The ARN of the topic `name` in this request's region.
    pub fn topic_arn(&self, name: &str) -> String {
        format!("arn:aws:sns:{}:{ACCOUNT_ID}:{name}", self.region)
    }
}

/// SNS's error for a parameter it cannot use, in SNS's words: `Invalid
/// parameter: NAME Reason: REASON`.
pub fn invalid_parameter(name: &str, reason: &str) -> ApiError {
    ApiError::new(
        "InvalidParameter",
        format!("Invalid parameter: {name} Reason: {reason}"),
    )
}

/// SNS's error for a required parameter that was not given.
pub fn missing(name: &str) -> ApiError {
    ApiError::new(
        "InvalidParameter",
        format!(
            "Invalid parameter: {name} Reason: The parameter is required; add {name} to the request."
        ),
    )
}

/// SNS's error for a topic or subscription that does not exist.
pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::NOT_FOUND, "NotFound", message)
}

/// The value of `name`, which must be given and not empty.
pub fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| missing(name))
}

/// Checks a topic name: 1 to 256 letters, digits, hyphens and
/// underscores (and `.fifo` at the end of a FIFO topic's name).
pub fn check_topic_name(name: &str) -> Result<(), ApiError> {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    if name.is_empty()
        || name.chars().count() > 256
        || base.is_empty()
        || !base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid_parameter(
            "Topic Name",
            "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
        ));
    }
    Ok(())
}

/// The topic ARN in parameter `name`, checked for SNS's form
/// `arn:aws:sns:REGION:ACCOUNT:NAME`.
pub fn topic_arn_param<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    let arn = required(params, name)?;
    let parts: Vec<&str> = arn.split(':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && check_topic_name(parts[5]).is_ok();
    if well_formed {
        Ok(arn)
    } else {
        Err(invalid_parameter(
            name,
            &format!(
                "{arn} is not a topic ARN; a topic ARN looks like arn:aws:sns:us-east-1:{ACCOUNT_ID}:my-topic (CreateTopic and ListTopics return them)."
            ),
        ))
    }
}

/// The map `name` given as `name.entry.N.key` / `name.entry.N.value`.
pub fn map_param(params: &Params, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut map = BTreeMap::new();
    for entry in params.nested(name).members("entry")? {
        let key = entry
            .get("key")
            .filter(|key| !key.is_empty())
            .ok_or_else(|| missing(&format!("{name}.entry.N.key")))?;
        let value = entry.get("value").unwrap_or_default();
        if map.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(invalid_parameter(
                name,
                &format!("The attribute {key} is given twice; give each attribute once."),
            ));
        }
    }
    Ok(map)
}

/// The most tags a topic may have.
pub const MAX_TAGS: usize = 50;

/// Tags given as `Tags.member.N.Key` / `Tags.member.N.Value`, checked.
pub fn tags_param(params: &Params) -> Result<Vec<(String, String)>, ApiError> {
    let members = params.nested("Tags").members("member")?;
    if members.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TagLimitExceeded",
            format!(
                "Could not complete request: tag quota of per resource exceeded; give at most {MAX_TAGS} tags."
            ),
        ));
    }
    let mut tags: Vec<(String, String)> = Vec::with_capacity(members.len());
    for member in members {
        let key = member
            .get("Key")
            .ok_or_else(|| missing("Tags.member.N.Key"))?;
        let value = member
            .get("Value")
            .ok_or_else(|| missing("Tags.member.N.Value"))?;
        let key_length = key.chars().count();
        if key_length == 0 || key_length > 128 {
            return Err(invalid_parameter(
                "Tags",
                &format!("The tag key {key:?} must have 1 to 128 characters."),
            ));
        }
        if value.chars().count() > 256 {
            return Err(invalid_parameter(
                "Tags",
                &format!("The value of tag {key} must have at most 256 characters."),
            ));
        }
        if key.starts_with("aws:") {
            return Err(invalid_parameter(
                "Tags",
                &format!(
                    "The tag key {key} starts with aws:, which is reserved for AWS; choose another key."
                ),
            ));
        }
        if tags.iter().any(|(known, _)| known == key) {
            return Err(invalid_parameter(
                "Tags",
                &format!("Duplicated keys are not allowed: {key} is given twice."),
            ));
        }
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(tags)
}

/// One page of `items` (each with a unique sort key) for the request's
/// `NextToken`: the items and the token for the next page.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    params: &Params,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let page = page_or(scope, items, params.get("NextToken"), PAGE_SIZE, |_| {
        invalid_parameter(
            "NextToken",
            "The token was not returned by this list; call the operation again without a NextToken to start from the first page.",
        )
    })?;
    Ok((page.items, page.next_token))
}

/// A list as SNS writes one: each item in a `<member>`.
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

/// A map as SNS writes one: `<entry><key>..</key><value>..</value></entry>`.
#[derive(Debug, Serialize)]
pub struct Entries {
    /// The entries.
    pub entry: Vec<Entry>,
}

/// One entry of a map.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

impl FromIterator<(String, String)> for Entries {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self {
            entry: iter
                .into_iter()
                .map(|(key, value)| Entry { key, value })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_and_arns_are_checked() {
        for good in ["a", "deploy-events_1", "orders.fifo", &"a".repeat(256)] {
            assert!(check_topic_name(good).is_ok(), "{good}");
        }
        for bad in ["", "has space", "dot.ted", ".fifo", &"a".repeat(257)] {
            assert_eq!(
                check_topic_name(bad).unwrap_err().code,
                "InvalidParameter",
                "{bad}"
            );
        }
        let arn = |value: &str| Params::from_pairs([("TopicArn", value)]);
        assert!(topic_arn_param(&arn("arn:aws:sns:us-east-1:000000000000:t"), "TopicArn").is_ok());
        for bad in [
            "t",
            "arn:aws:sqs:us-east-1:000000000000:t",
            "arn:aws:sns:us-east-1:0:t",
        ] {
            let error = topic_arn_param(&arn(bad), "TopicArn").unwrap_err();
            assert!(error.message.contains("TopicArn"), "{}", error.message);
        }
    }

    #[test]
    fn attribute_maps_are_read_from_entries() {
        let params = Params::from_pairs([
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "Deploys"),
            ("Attributes.entry.2.key", "Policy"),
            ("Attributes.entry.2.value", "{}"),
        ]);
        let map = map_param(&params, "Attributes").unwrap();
        assert_eq!(map.get("DisplayName").map(String::as_str), Some("Deploys"));
        assert_eq!(map.len(), 2);
    }
}
