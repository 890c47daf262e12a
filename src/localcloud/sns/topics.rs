//! Topics: `CreateTopic`, `DeleteTopic`, `ListTopics`,
//! `GetTopicAttributes` and `SetTopicAttributes`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{
    Answer, Context, Entries, Members, check_topic_name, invalid_parameter, map_param, not_found,
    page, required, tags_param, topic_arn_param,
};
use super::state::{SnsState, Topic};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The attributes `CreateTopic` and `SetTopicAttributes` accept.
const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "SignatureVersion",
    "TracingConfig",
    "KmsMasterKeyId",
    "ArchivePolicy",
    "DataProtectionPolicy",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
];

/// The delivery policy every topic has unless one is set: SNS's default
/// HTTP policy, three retries 20 seconds apart.
pub const DEFAULT_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// The result of `CreateTopic`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateTopicResult {
    topic_arn: String,
}

/// A topic in `ListTopics`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TopicXml {
    topic_arn: String,
}

/// The result of `ListTopics`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListTopicsResult {
    topics: Members<TopicXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// The result of `GetTopicAttributes`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetTopicAttributesResult {
    attributes: Entries,
}

/// The error for a topic that does not exist.
pub fn no_such_topic(arn: &str) -> ApiError {
    not_found(format!(
        "Topic does not exist: {arn}. Check the ARN, or list topics with ListTopics."
    ))
}

/// The topic whose ARN is in parameter `name`, which must exist.
pub fn topic_param<'a>(
    sns: &'a SnsState,
    params: &Params,
    name: &str,
) -> Result<&'a Topic, ApiError> {
    let arn = topic_arn_param(params, name)?;
    sns.topics.get(arn).ok_or_else(|| no_such_topic(arn))
}

/// Checks the value of the topic attribute `name`.
fn check_attribute(name: &str, value: &str) -> Result<(), ApiError> {
    let json = |what: &str| {
        serde_json::from_str::<serde_json::Value>(value)
            .ok()
            .filter(serde_json::Value::is_object)
            .map(|_| ())
            .ok_or_else(|| {
                invalid_parameter(
                    &format!("Attributes {name}"),
                    &format!("{what} must be a JSON object."),
                )
            })
    };
    match name {
        "DisplayName" if value.chars().count() > 100 => Err(invalid_parameter(
            "DisplayName",
            "DisplayName must be at most 100 characters long.",
        )),
        "Policy" | "DataProtectionPolicy" | "ArchivePolicy" => json("The policy"),
        "DeliveryPolicy" => json("The delivery policy"),
        "SignatureVersion" if !matches!(value, "1" | "2") => Err(invalid_parameter(
            "SignatureVersion",
            "SignatureVersion must be 1 or 2.",
        )),
        "TracingConfig" if !matches!(value, "PassThrough" | "Active") => Err(invalid_parameter(
            "TracingConfig",
            "TracingConfig must be PassThrough or Active.",
        )),
        _ => Ok(()),
    }
}

/// The attributes given to `CreateTopic`, checked.
fn create_attributes(params: &Params) -> Result<BTreeMap<String, String>, ApiError> {
    let mut attributes = map_param(params, "Attributes")?;
    if let Some(fifo) = attributes.remove("FifoTopic") {
        if fifo.eq_ignore_ascii_case("true") {
            return Err(invalid_parameter(
                "Attributes FifoTopic",
                "The local cloud has standard topics only; leave FifoTopic out (or set it to false) and give a name without .fifo.",
            ));
        }
        if !fifo.eq_ignore_ascii_case("false") {
            return Err(invalid_parameter(
                "Attributes FifoTopic",
                "FifoTopic must be true or false.",
            ));
        }
    }
    for (name, value) in &attributes {
        if !SETTABLE.contains(&name.as_str()) {
            return Err(invalid_parameter(
                "Attributes",
                &format!(
                    "Unknown attribute {name}; a topic's attributes are {}.",
                    SETTABLE.join(", ")
                ),
            ));
        }
        check_attribute(name, value)?;
    }
    Ok(attributes)
}

/// `CreateTopic`: creates the topic, or returns the ARN of the topic of
/// that name if it exists with the same attributes and tags.
pub fn create(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    let name = required(params, "Name")?;
    check_topic_name(name)?;
    let attributes = create_attributes(params)?;
    if name.strip_suffix(".fifo").is_some() {
        return Err(invalid_parameter(
            "Topic Name",
            "The local cloud has standard topics only, whose names do not end with .fifo; choose another name.",
        ));
    }
    let tags = tags_param(params)?;
    let arn = context.topic_arn(name);
    if let Some(existing) = sns.topics.get(&arn) {
        if attributes
            .iter()
            .any(|(key, value)| existing.attributes.get(key) != Some(value))
        {
            return Err(invalid_parameter(
                "Attributes",
                "Topic already exists with different attributes; change them with SetTopicAttributes, or give the same ones.",
            ));
        }
        if !tags.is_empty() && tags != existing.tags {
            return Err(invalid_parameter(
                "Tags",
                "Topic already exists with different tags; give the same tags, or none.",
            ));
        }
    } else {
        sns.topics.insert(
            arn.clone(),
            Topic {
                name: name.to_owned(),
                arn: arn.clone(),
                attributes,
                tags,
                created: context.now,
            },
        );
    }
    context.respond(&CreateTopicResult { topic_arn: arn })
}

/// `DeleteTopic`: deletes the topic and its subscriptions. As in AWS,
/// deleting a topic that does not exist is not an error.
pub fn delete(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    let arn = topic_arn_param(params, "TopicArn")?.to_owned();
    if sns.topics.remove(&arn).is_some() {
        let gone: Vec<String> = sns
            .subscriptions_of(&arn)
            .map(|subscription| subscription.arn.clone())
            .collect();
        for subscription in gone {
            sns.subscriptions.remove(&subscription);
            sns.outbox.forget_subscription(&subscription);
        }
    }
    Ok(context.respond_empty())
}

/// `ListTopics`, 100 to a page.
pub fn list(sns: &SnsState, context: &Context, params: &Params) -> Answer {
    let topics: Vec<(String, &Topic)> = sns
        .topics
        .iter()
        .filter(|(arn, _)| arn.split(':').nth(3) == Some(context.region.as_str()))
        .map(|(arn, topic)| (arn.clone(), topic))
        .collect();
    let (topics, next_token) = page("ListTopics", topics, params)?;
    context.respond(&ListTopicsResult {
        topics: topics
            .into_iter()
            .map(|topic| TopicXml {
                topic_arn: topic.arn.clone(),
            })
            .collect(),
        next_token,
    })
}

/// The policy a topic has unless one is set: the topic's owner may do
/// everything with it.
fn default_policy(arn: &str) -> String {
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT_ID}}
        }]
    })
    .to_string()
}

/// `GetTopicAttributes`: the attributes set, and those SNS keeps itself
/// (owner, policy, subscription counts, effective delivery policy).
pub fn get_attributes(sns: &SnsState, context: &Context, params: &Params) -> Answer {
    let topic = topic_param(sns, params, "TopicArn")?;
    let (confirmed, pending) =
        sns.subscriptions_of(&topic.arn)
            .fold((0, 0), |(confirmed, pending), subscription| {
                if subscription.confirmed {
                    (confirmed + 1, pending)
                } else {
                    (confirmed, pending + 1)
                }
            });
    let mut attributes: BTreeMap<String, String> = BTreeMap::from([
        ("TopicArn".to_owned(), topic.arn.clone()),
        ("Owner".to_owned(), ACCOUNT_ID.to_owned()),
        ("Policy".to_owned(), default_policy(&topic.arn)),
        ("DisplayName".to_owned(), String::new()),
        ("SubscriptionsConfirmed".to_owned(), confirmed.to_string()),
        ("SubscriptionsPending".to_owned(), pending.to_string()),
        ("SubscriptionsDeleted".to_owned(), "0".to_owned()),
        (
            "EffectiveDeliveryPolicy".to_owned(),
            DEFAULT_DELIVERY_POLICY.to_owned(),
        ),
    ]);
    attributes.extend(topic.attributes.clone());
    if let Some(policy) = topic.attributes.get("DeliveryPolicy") {
        attributes.insert("EffectiveDeliveryPolicy".to_owned(), policy.clone());
    }
    context.respond(&GetTopicAttributesResult {
        attributes: attributes.into_iter().collect(),
    })
}

/// `SetTopicAttributes`: sets one attribute.
pub fn set_attributes(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    let arn = topic_param(sns, params, "TopicArn")?.arn.clone();
    let name = required(params, "AttributeName")?;
    if !SETTABLE.contains(&name) {
        return Err(invalid_parameter(
            "AttributeName",
            &format!(
                "{name} cannot be set; the attributes that can are {}.",
                SETTABLE.join(", ")
            ),
        ));
    }
    let value = params.get("AttributeValue").unwrap_or_default();
    check_attribute(name, value)?;
    if let Some(topic) = sns.topics.get_mut(&arn) {
        topic.attributes.insert(name.to_owned(), value.to_owned());
    }
    Ok(context.respond_empty())
}
