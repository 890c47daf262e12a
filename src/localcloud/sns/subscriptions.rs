//! Subscriptions: `Subscribe`, `ConfirmSubscription`, `Unsubscribe`,
//! `ListSubscriptions` and `ListSubscriptionsByTopic`.
//!
//! The local cloud delivers to `http` endpoints on this machine's loopback
//! interface only, so that it never sends anything to another machine. A
//! new subscription is pending until the endpoint confirms it, with the
//! token of the `SubscriptionConfirmation` it is sent, by
//! `ConfirmSubscription` or a GET of the confirmation's `SubscribeURL`.

use std::net::IpAddr;

use axum::http::Uri;
use serde::Serialize;

use super::common::{
    Answer, Context, Members, invalid_parameter, map_param, page, required, topic_arn_param,
};
use super::state::{Delivery, DeliveryKind, SnsState, Subscription};
use super::topics::{no_such_topic, topic_param};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// What `Subscribe` answers for a subscription that is not confirmed yet,
/// unless `ReturnSubscriptionArn` is set.
pub const PENDING_CONFIRMATION: &str = "pending confirmation";
/// What the lists show as the ARN of a subscription that is not confirmed.
pub const PENDING_IN_LISTS: &str = "PendingConfirmation";

/// The protocols SNS has, which the local cloud names in its refusals.
const OTHER_PROTOCOLS: &[&str] = &[
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

/// The subscription attributes `Subscribe` accepts.
const SUBSCRIPTION_ATTRIBUTES: &[&str] = &["RawMessageDelivery", "DeliveryPolicy"];

/// The result of `Subscribe` and `ConfirmSubscription`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SubscriptionArnResult {
    subscription_arn: String,
}

/// A subscription in the lists.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SubscriptionXml {
    subscription_arn: String,
    owner: String,
    protocol: String,
    endpoint: String,
    topic_arn: String,
}

impl SubscriptionXml {
    /// `subscription` as the lists show it.
    fn new(subscription: &Subscription) -> Self {
        Self {
            subscription_arn: if subscription.confirmed {
                subscription.arn.clone()
            } else {
                PENDING_IN_LISTS.to_owned()
            },
            owner: ACCOUNT_ID.to_owned(),
            protocol: subscription.protocol.clone(),
            endpoint: subscription.endpoint.clone(),
            topic_arn: subscription.topic_arn.clone(),
        }
    }
}

/// The result of the two lists.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListSubscriptionsResult {
    subscriptions: Members<SubscriptionXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Checks that `protocol` is one the local cloud delivers to.
fn check_protocol(protocol: &str) -> Result<(), ApiError> {
    match protocol {
        "http" => Ok(()),
        "https" => Err(invalid_parameter(
            "Protocol",
            "The local cloud delivers to loopback endpoints over plain HTTP only (it has no certificate to offer a TLS endpoint); subscribe with protocol http and an http:// endpoint.",
        )),
        other if OTHER_PROTOCOLS.contains(&other) => Err(invalid_parameter(
            "Protocol",
            &format!(
                "The local cloud delivers only to http endpoints on this machine, not by {other}; subscribe with protocol http and an endpoint such as http://127.0.0.1:8080/notifications."
            ),
        )),
        other => Err(invalid_parameter(
            "Protocol",
            &format!("Amazon SNS does not support this protocol string: {other}; use http."),
        )),
    }
}

/// Checks that `endpoint` is an `http://` URL on the loopback interface.
fn check_endpoint(endpoint: &str) -> Result<(), ApiError> {
    let refuse = |why: &str| invalid_parameter("Endpoint", why);
    let uri: Uri = endpoint.parse().map_err(|_| {
        refuse(&format!(
            "{endpoint} is not a URL; give one such as http://127.0.0.1:8080/notifications."
        ))
    })?;
    if uri.scheme_str() != Some("http") {
        return Err(refuse(&format!(
            "{endpoint} must start with http:// to match the protocol http."
        )));
    }
    let host = uri
        .host()
        .ok_or_else(|| refuse(&format!("{endpoint} names no host.")))?;
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(refuse(&format!(
            "The local cloud delivers only to endpoints on this machine's loopback interface (127.0.0.1, ::1 or localhost), so that it never sends to another machine; {host} is not one of them."
        )))
    }
}

/// A new confirmation token: 64 hexadecimal digits.
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// `Subscribe`: subscribes an HTTP endpoint on loopback to a topic and
/// queues the `SubscriptionConfirmation` to it. Subscribing the same
/// endpoint again returns the existing subscription.
pub fn subscribe(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    let topic_arn = topic_param(sns, params, "TopicArn")?.arn.clone();
    let protocol = required(params, "Protocol")?;
    check_protocol(protocol)?;
    let endpoint = required(params, "Endpoint")?;
    check_endpoint(endpoint)?;
    let attributes = map_param(params, "Attributes")?;
    for (name, value) in &attributes {
        match name.as_str() {
            "RawMessageDelivery"
                if !matches!(value.to_ascii_lowercase().as_str(), "true" | "false") =>
            {
                return Err(invalid_parameter(
                    "Attributes",
                    "RawMessageDelivery must be true or false.",
                ));
            }
            "DeliveryPolicy"
                if !serde_json::from_str::<serde_json::Value>(value)
                    .is_ok_and(|policy| policy.is_object()) =>
            {
                return Err(invalid_parameter(
                    "Attributes",
                    "DeliveryPolicy must be a JSON object.",
                ));
            }
            known if SUBSCRIPTION_ATTRIBUTES.contains(&known) => {}
            other => {
                return Err(invalid_parameter(
                    "Attributes",
                    &format!(
                        "The local cloud does not apply the subscription attribute {other}; it accepts {}.",
                        SUBSCRIPTION_ATTRIBUTES.join(" and ")
                    ),
                ));
            }
        }
    }
    let return_arn = params.flag("ReturnSubscriptionArn")?;
    let existing = sns.subscriptions.values().find(|subscription| {
        subscription.topic_arn == topic_arn
            && subscription.protocol == protocol
            && subscription.endpoint == endpoint
    });
    let subscription = if let Some(existing) = existing {
        if !attributes.is_empty() && attributes != existing.attributes {
            return Err(invalid_parameter(
                "Attributes",
                "Subscription already exists with different attributes; give the same ones, or none.",
            ));
        }
        existing.clone()
    } else {
        let subscription = Subscription {
            arn: format!("{topic_arn}:{}", uuid::Uuid::new_v4()),
            topic_arn: topic_arn.clone(),
            protocol: protocol.to_owned(),
            endpoint: endpoint.to_owned(),
            token: new_token(),
            confirmed: false,
            attributes,
            created: context.now,
        };
        sns.outbox.queue(Delivery {
            message_id: uuid::Uuid::new_v4().to_string(),
            subscription_arn: subscription.arn.clone(),
            topic_arn,
            endpoint: subscription.endpoint.clone(),
            kind: DeliveryKind::Confirmation {
                token: subscription.token.clone(),
            },
            published: context.now,
            due: context.now,
            attempt: 0,
        });
        sns.subscriptions
            .insert(subscription.arn.clone(), subscription.clone());
        subscription
    };
    context.respond(&SubscriptionArnResult {
        subscription_arn: if subscription.confirmed || return_arn {
            subscription.arn
        } else {
            PENDING_CONFIRMATION.to_owned()
        },
    })
}

/// `ConfirmSubscription`: confirms the subscription the token was sent
/// for, which then gets the topic's notifications.
pub fn confirm(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    let topic_arn = topic_arn_param(params, "TopicArn")?.to_owned();
    let token = required(params, "Token")?;
    if !sns.topics.contains_key(&topic_arn) {
        return Err(no_such_topic(&topic_arn));
    }
    let Some(arn) = sns
        .subscriptions_of(&topic_arn)
        .find(|subscription| subscription.token == token)
        .map(|subscription| subscription.arn.clone())
    else {
        return Err(invalid_parameter(
            "Token",
            "Invalid token: it is not the token of a subscription to this topic; use the Token of the SubscriptionConfirmation the endpoint received.",
        ));
    };
    if let Some(subscription) = sns.subscriptions.get_mut(&arn) {
        subscription.confirmed = true;
    }
    context.respond(&SubscriptionArnResult {
        subscription_arn: arn,
    })
}

/// `Unsubscribe`: deletes a subscription; as in AWS, one that is already
/// gone is not an error.
pub fn unsubscribe(sns: &mut SnsState, context: &Context, params: &Params) -> Answer {
    let arn = required(params, "SubscriptionArn")?;
    let well_formed = arn.rsplit_once(':').is_some_and(|(topic, id)| {
        !id.is_empty()
            && topic_arn_param(&Params::from_pairs([("TopicArn", topic)]), "TopicArn").is_ok()
    });
    if !well_formed {
        return Err(invalid_parameter(
            "SubscriptionArn",
            &format!(
                "{arn} is not a subscription ARN; it is the topic's ARN followed by :id, as Subscribe and ListSubscriptions return it."
            ),
        ));
    }
    sns.subscriptions.remove(arn);
    sns.outbox.forget_subscription(arn);
    Ok(context.respond_empty())
}

/// `ListSubscriptions`, 100 to a page.
pub fn list(sns: &SnsState, context: &Context, params: &Params) -> Answer {
    let subscriptions: Vec<(String, &Subscription)> = sns
        .subscriptions
        .iter()
        .filter(|(arn, _)| arn.split(':').nth(3) == Some(context.region.as_str()))
        .map(|(arn, subscription)| (arn.clone(), subscription))
        .collect();
    let (subscriptions, next_token) = page("ListSubscriptions", subscriptions, params)?;
    context.respond(&ListSubscriptionsResult {
        subscriptions: subscriptions
            .into_iter()
            .map(SubscriptionXml::new)
            .collect(),
        next_token,
    })
}

/// `ListSubscriptionsByTopic`, 100 to a page.
pub fn list_by_topic(sns: &SnsState, context: &Context, params: &Params) -> Answer {
    let topic = topic_param(sns, params, "TopicArn")?;
    let subscriptions: Vec<(String, &Subscription)> = sns
        .subscriptions_of(&topic.arn)
        .map(|subscription| (subscription.arn.clone(), subscription))
        .collect();
    let (subscriptions, next_token) = page(
        &format!("ListSubscriptionsByTopic/{}", topic.arn),
        subscriptions,
        params,
    )?;
    context.respond(&ListSubscriptionsResult {
        subscriptions: subscriptions
            .into_iter()
            .map(SubscriptionXml::new)
            .collect(),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_endpoints_on_loopback_are_accepted() {
        for good in [
            "http://127.0.0.1:8080/sns",
            "http://localhost/",
            "http://127.1.2.3:1/",
            "http://[::1]:9000/x",
        ] {
            assert!(check_endpoint(good).is_ok(), "{good}");
        }
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "https://127.0.0.1/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            let error = check_endpoint(bad).unwrap_err();
            assert_eq!(error.code, "InvalidParameter", "{bad}");
        }
        assert!(
            check_endpoint("http://example.com/")
                .unwrap_err()
                .message
                .contains("loopback")
        );
        assert!(check_protocol("http").is_ok());
        assert!(
            check_protocol("https")
                .unwrap_err()
                .message
                .contains("plain HTTP")
        );
        assert!(
            check_protocol("sqs")
                .unwrap_err()
                .message
                .contains("only to http")
        );
    }
}
