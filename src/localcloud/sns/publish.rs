//! `Publish`: a message to a topic, delivered to every confirmed
//! subscription.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::common::{Answer, Context, invalid_parameter, missing, topic_arn_param};
use super::state::{MessageAttribute, SnsState};
use super::topics::no_such_topic;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The largest message, attributes included, in bytes (256 KiB).
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 100;
/// The most attributes a message may have.
pub const MAX_ATTRIBUTES: usize = 10;

/// The result of `Publish`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PublishResult {
    message_id: String,
}

/// Checks a subject: printable ASCII without line breaks, at most 100
/// characters, starting with a letter, digit or punctuation mark.
fn check_subject(subject: &str) -> Result<(), ApiError> {
    let printable = subject
        .chars()
        .all(|c| c.is_ascii() && !c.is_ascii_control());
    let starts_well = subject
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
    if subject.chars().count() > MAX_SUBJECT || !printable || !starts_well {
        return Err(invalid_parameter(
            "Subject",
            "Subject must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less than 100 characters long.",
        ));
    }
    Ok(())
}

/// Checks an attribute name: letters, digits, `_`, `-` and `.`, at most
/// 256 characters, no `..`, no `.` at either end, and not `AWS.` or
/// `Amazon.` at the start.
fn check_attribute_name(name: &str) -> Result<(), ApiError> {
    let well_formed = !name.is_empty()
        && name.chars().count() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.contains("..")
        && !name.starts_with('.')
        && !name.ends_with('.');
    let reserved = name.to_ascii_lowercase().starts_with("aws.")
        || name.to_ascii_lowercase().starts_with("amazon.");
    if !well_formed || reserved {
        return Err(invalid_parameter(
            "MessageAttributes",
            &format!(
                "The message attribute name {name:?} is invalid: use up to 256 letters, digits, _, - and . (not at either end, never two in a row), not starting with AWS. or Amazon."
            ),
        ));
    }
    Ok(())
}

/// The message attributes given as `MessageAttributes.entry.N.Name` and
/// `MessageAttributes.entry.N.Value.{DataType,StringValue,BinaryValue}`.
fn attributes_param(params: &Params) -> Result<BTreeMap<String, MessageAttribute>, ApiError> {
    let entries = params.nested("MessageAttributes").members("entry")?;
    if entries.len() > MAX_ATTRIBUTES {
        return Err(invalid_parameter(
            "MessageAttributes",
            &format!(
                "A message may have at most {MAX_ATTRIBUTES} attributes; {} were given.",
                entries.len()
            ),
        ));
    }
    let mut attributes = BTreeMap::new();
    for entry in entries {
        let name = entry
            .get("Name")
            .ok_or_else(|| missing("MessageAttributes.entry.N.Name"))?;
        check_attribute_name(name)?;
        let value = entry.nested("Value");
        let data_type = value
            .get("DataType")
            .filter(|data_type| !data_type.is_empty())
            .ok_or_else(|| {
                invalid_parameter(
                    "MessageAttributes",
                    &format!("The message attribute '{name}' must contain non-empty message attribute type."),
                )
            })?;
        let base = data_type.split('.').next().unwrap_or_default();
        let text = match base {
            "String" | "Number" => value.get("StringValue").ok_or_else(|| {
                invalid_parameter(
                    "MessageAttributes",
                    &format!("The message attribute '{name}' with type '{data_type}' must contain a StringValue."),
                )
            })?,
            "Binary" => value.get("BinaryValue").ok_or_else(|| {
                invalid_parameter(
                    "MessageAttributes",
                    &format!("The message attribute '{name}' with type 'Binary' must contain a BinaryValue."),
                )
            })?,
            _ => {
                return Err(invalid_parameter(
                    "MessageAttributes",
                    &format!(
                        "The message attribute '{name}' has an invalid message attribute type {data_type}; the types are String, String.Array, Number and Binary."
                    ),
                ));
            }
        };
        if base == "Number" && text.trim().parse::<f64>().is_err() {
            return Err(invalid_parameter(
                "MessageAttributes",
                &format!("Could not cast message attribute '{name}' value to number."),
            ));
        }
        if data_type == "String.Array"
            && !serde_json::from_str::<serde_json::Value>(text).is_ok_and(|value| value.is_array())
        {
            return Err(invalid_parameter(
                "MessageAttributes",
                &format!(
                    "The message attribute '{name}' of type String.Array must be a JSON array, such as [\"a\", 1]."
                ),
            ));
        }
        if base == "Binary" && STANDARD.decode(text).is_err() {
            return Err(invalid_parameter(
                "MessageAttributes",
                &format!("The message attribute '{name}' of type Binary must be base64."),
            ));
        }
        attributes.insert(
            name.to_owned(),
            MessageAttribute {
                data_type: data_type.to_owned(),
                value: text.to_owned(),
            },
        );
    }
    Ok(attributes)
}

/// The message an HTTP subscriber gets: the message itself, or with
/// `MessageStructure=json` the member for `http` (else `default`) of the
/// JSON object given.
fn message_for_http(message: &str, structure: Option<&str>) -> Result<String, ApiError> {
    match structure {
        None => Ok(message.to_owned()),
        Some("json") => {
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(message)
                .map_err(|_| {
                    invalid_parameter(
                        "Message",
                        "With MessageStructure json, Message must be a JSON object with a default member, such as {\"default\": \"text\"}.",
                    )
                })?;
            let Some(serde_json::Value::String(default)) = object.get("default") else {
                return Err(invalid_parameter(
                    "Message",
                    "Message Structure - No default entry in JSON message body; add a default member with the text for every protocol.",
                ));
            };
            Ok(match object.get("http") {
                Some(serde_json::Value::String(http)) => http.clone(),
                _ => default.clone(),
            })
        }
        Some(other) => Err(invalid_parameter(
            "MessageStructure",
            &format!("MessageStructure must be json if given, not {other}."),
        )),
    }
}

/// `Publish`: queues a notification to every confirmed subscription of the
/// topic, and answers with the message's id.
pub fn publish(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    if params.get("PhoneNumber").is_some() {
        return Err(invalid_parameter(
            "PhoneNumber",
            "The local cloud does not send text messages; publish to a topic with TopicArn.",
        ));
    }
    let name = match (params.get("TopicArn"), params.get("TargetArn")) {
        (Some(_), Some(_)) => {
            return Err(invalid_parameter(
                "TopicArn or TargetArn",
                "Only one of TopicArn and TargetArn may be given.",
            ));
        }
        (_, Some(_)) => "TargetArn",
        _ => "TopicArn",
    };
    let topic_arn = topic_arn_param(params, name)?.to_owned();
    let message = params.get("Message").ok_or_else(|| missing("Message"))?;
    if message.is_empty() {
        return Err(invalid_parameter(
            "Message",
            "Empty message; give the text to publish.",
        ));
    }
    let subject = params.get("Subject").map(str::to_owned);
    if let Some(subject) = &subject {
        check_subject(subject)?;
    }
    for fifo_only in ["MessageGroupId", "MessageDeduplicationId"] {
        if params.get(fifo_only).is_some() {
            return Err(invalid_parameter(
                fifo_only,
                &format!(
                    "The request includes {fifo_only} parameter that is not valid for this topic type (standard topics); leave it out."
                ),
            ));
        }
    }
    let attributes = attributes_param(params)?;
    let size = message.len()
        + attributes
            .iter()
            .map(|(name, attribute)| name.len() + attribute.data_type.len() + attribute.value.len())
            .sum::<usize>();
    if size > MAX_MESSAGE_BYTES {
        return Err(invalid_parameter(
            "Message",
            &format!(
                "Message too long: it is {size} bytes with its attributes, and a message may be at most {MAX_MESSAGE_BYTES} bytes."
            ),
        ));
    }
    let message = message_for_http(message, params.get("MessageStructure"))?;
    let message_id = sns
        .publish(
            &topic_arn,
            subject.as_deref(),
            &message,
            &attributes,
            context.now,
        )
        .ok_or_else(|| no_such_topic(&topic_arn))?;
    context.respond(&PublishResult { message_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_attribute_names_follow_snss_rules() {
        assert!(check_subject("Deployment d-1 succeeded").is_ok());
        for bad in [
            "two\nlines",
            " leading space",
            "caf\u{e9}",
            &"s".repeat(101),
        ] {
            assert!(check_subject(bad).is_err(), "{bad}");
        }
        assert!(check_attribute_name("event.type").is_ok());
        for bad in ["", ".x", "x.", "a..b", "AWS.x", "amazon.y", "sp ace"] {
            assert!(check_attribute_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_structured_messages_pick_the_http_or_default_member() {
        assert_eq!(
            message_for_http(r#"{"default": "d", "http": "h"}"#, Some("json")).unwrap(),
            "h"
        );
        assert_eq!(
            message_for_http(r#"{"default": "d"}"#, Some("json")).unwrap(),
            "d"
        );
        assert!(message_for_http(r#"{"http": "h"}"#, Some("json")).is_err());
        assert!(message_for_http("plain", Some("json")).is_err());
        assert!(message_for_http("plain", Some("xml")).is_err());
        assert_eq!(message_for_http("plain", None).unwrap(), "plain");
    }
}
