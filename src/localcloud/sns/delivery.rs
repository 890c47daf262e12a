//! Sending SNS's deliveries: the background task that takes the queued
//! confirmations and notifications out of SNS's [`Outbox`](super::Outbox)
//! and POSTs them to their HTTP endpoints, as SNS's HTTP delivery does.
//!
//! The task sleeps until a delivery is queued (and looks every 50 ms while
//! some wait for a retry), takes what is due (with the world's lock held
//! only for that), and sends each delivery in a task of its own, so a slow
//! endpoint holds up nothing else and no request ever waits for a
//! delivery. A delivery that fails (no answer
//! within 15 seconds, a refused connection, or a status other than 2xx)
//! goes back in the outbox to be tried again 20 seconds later by the local
//! cloud's clock, three times at most, as SNS's default HTTP delivery
//! policy does (a test moves the clock to see the retries).
//!
//! The documents are SNS's: a `SubscriptionConfirmation` with its `Token`
//! and a `SubscribeURL` that points back at the local cloud (a GET of it
//! confirms the subscription), and a `Notification` with the message, its
//! subject and attributes and an `UnsubscribeURL`, with the headers
//! `x-amz-sns-message-type`, `x-amz-sns-message-id` and
//! `x-amz-sns-topic-arn`. They are not signed: the local cloud has no AWS
//! certificate to sign with, so the documents carry `SignatureVersion` but
//! no `Signature` and no `SigningCertURL`, and a subscriber that verifies
//! signatures must skip that for the local cloud.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Request, header};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Map, Value, json};

use super::common::VERSION;
use super::state::{Delivery, DeliveryKind};
use crate::localcloud::dispatch::Shared;

/// How often the task looks for due deliveries while some wait for a
/// retry.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How long the task sleeps when nothing waits, unless woken by a new
/// delivery.
pub const IDLE_WAIT: Duration = Duration::from_secs(1);
/// How long an endpoint has to answer a delivery, as in SNS.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// The client deliveries are sent with.
type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Sends SNS's deliveries until aborted; `cloud` is the local cloud's own
/// URL (`http://127.0.0.1:PORT`), which confirmation and unsubscribe links
/// point at.
pub async fn deliver_forever(shared: Arc<Shared>, cloud: String) {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    loop {
        let now = shared.clock.now();
        let mut due = Vec::new();
        let mut waker = None;
        let mut waiting = false;
        // The outbox is not kept on disk, so taking from it saves nothing.
        shared.world.update(|world| {
            due = world.sns.outbox.take_due(now);
            waiting = !world.sns.outbox.is_empty();
            waker = Some(world.sns.outbox.waker());
            false
        });
        for delivery in due {
            let client = client.clone();
            let shared = Arc::clone(&shared);
            let cloud = cloud.clone();
            tokio::spawn(async move {
                if let Err(problem) = send(&client, &delivery, &cloud).await {
                    requeue(&shared, delivery, &problem);
                }
            });
        }
        // Deliveries waiting for a retry are due by the local cloud's
        // clock, which a test may move at any moment: look again soon.
        // With nothing waiting, sleep until something is queued (or a
        // while, in case the world was replaced by a reset).
        let pause = if waiting { POLL_INTERVAL } else { IDLE_WAIT };
        if let Some(waker) = waker {
            tokio::select! {
                () = waker.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// Puts a failed delivery back in the outbox to be tried again, unless its
/// subscription is gone or it was tried as often as the policy allows.
fn requeue(shared: &Shared, delivery: Delivery, problem: &str) {
    let now = shared.clock.now();
    let endpoint = delivery.endpoint.clone();
    let attempt = delivery.attempt;
    let mut again = false;
    shared.world.update(|world| {
        if world
            .sns
            .subscriptions
            .contains_key(&delivery.subscription_arn)
        {
            again = world.sns.outbox.retry(delivery, now);
        }
        false
    });
    if again {
        tracing::info!(
            "SNS delivery to {endpoint} failed ({problem}); it will be tried again (retry {})",
            attempt + 1
        );
    } else {
        tracing::warn!("SNS delivery to {endpoint} failed ({problem}); giving up on it");
    }
}

/// Sends one delivery; an error says why it did not arrive.
async fn send(client: &HttpClient, delivery: &Delivery, cloud: &str) -> Result<(), String> {
    let (message_type, body) = document(delivery, cloud);
    let mut request = Request::post(&delivery.endpoint)
        .header(header::CONTENT_TYPE, "text/plain; charset=UTF-8")
        .header(
            header::USER_AGENT,
            "Amazon Simple Notification Service Agent",
        )
        .header("x-amz-sns-message-type", message_type)
        .header("x-amz-sns-message-id", &delivery.message_id)
        .header("x-amz-sns-topic-arn", &delivery.topic_arn);
    if let DeliveryKind::Notification { raw, .. } = &delivery.kind {
        request = request.header("x-amz-sns-subscription-arn", &delivery.subscription_arn);
        if *raw {
            request = request.header("x-amz-sns-rawdelivery", "true");
        }
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|error| format!("the request could not be made: {error}"))?;
    let response = tokio::time::timeout(DELIVERY_TIMEOUT, client.request(request))
        .await
        .map_err(|_| format!("no answer within {} seconds", DELIVERY_TIMEOUT.as_secs()))?
        .map_err(|error| error.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the endpoint answered {}", response.status()))
    }
}

/// The link to the local cloud's `action` with `params`.
fn link(cloud: &str, action: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("Action", action);
    for (name, value) in params {
        query.append_pair(name, value);
    }
    query.append_pair("Version", VERSION);
    format!("{cloud}/?{}", query.finish())
}

/// The message type and body of `delivery`, as SNS writes them; `cloud` is
/// the local cloud's URL.
pub fn document(delivery: &Delivery, cloud: &str) -> (&'static str, String) {
    let timestamp = delivery.published.to_iso8601();
    match &delivery.kind {
        DeliveryKind::Confirmation { token } => {
            let body = json!({
                "Type": "SubscriptionConfirmation",
                "MessageId": delivery.message_id,
                "Token": token,
                "TopicArn": delivery.topic_arn,
                "Message": format!(
                    "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
                    delivery.topic_arn
                ),
                "SubscribeURL": link(cloud, "ConfirmSubscription", &[("TopicArn", &delivery.topic_arn), ("Token", token)]),
                "Timestamp": timestamp,
                "SignatureVersion": "1",
            });
            ("SubscriptionConfirmation", body.to_string())
        }
        DeliveryKind::Notification {
            subject,
            message,
            attributes,
            raw,
        } => {
            if *raw {
                return ("Notification", message.clone());
            }
            let mut body = Map::new();
            body.insert("Type".to_owned(), json!("Notification"));
            body.insert("MessageId".to_owned(), json!(delivery.message_id));
            body.insert("TopicArn".to_owned(), json!(delivery.topic_arn));
            if let Some(subject) = subject {
                body.insert("Subject".to_owned(), json!(subject));
            }
            body.insert("Message".to_owned(), json!(message));
            body.insert("Timestamp".to_owned(), json!(timestamp));
            body.insert("SignatureVersion".to_owned(), json!("1"));
            body.insert(
                "UnsubscribeURL".to_owned(),
                json!(link(
                    cloud,
                    "Unsubscribe",
                    &[("SubscriptionArn", &delivery.subscription_arn)]
                )),
            );
            if !attributes.is_empty() {
                let attributes: Map<String, Value> = attributes
                    .iter()
                    .map(|(name, attribute)| {
                        (
                            name.clone(),
                            json!({"Type": attribute.data_type, "Value": attribute.value}),
                        )
                    })
                    .collect();
                body.insert("MessageAttributes".to_owned(), Value::Object(attributes));
            }
            ("Notification", Value::Object(body).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::localcloud::clock::Timestamp;
    use crate::localcloud::sns::MessageAttribute;

    /// A delivery of `kind` to a subscriber of topic `t`.
    fn delivery(kind: DeliveryKind) -> Delivery {
        Delivery {
            message_id: "m-1".to_owned(),
            subscription_arn: "arn:aws:sns:us-east-1:000000000000:t:s-1".to_owned(),
            topic_arn: "arn:aws:sns:us-east-1:000000000000:t".to_owned(),
            endpoint: "http://127.0.0.1:9/".to_owned(),
            kind,
            published: Timestamp::from_secs(1_700_000_000),
            due: Timestamp::from_secs(1_700_000_000),
            attempt: 0,
        }
    }

    #[test]
    fn confirmations_link_back_to_the_local_cloud_with_their_token() {
        let (kind, body) = document(
            &delivery(DeliveryKind::Confirmation {
                token: "abc".to_owned(),
            }),
            "http://127.0.0.1:4566",
        );
        assert_eq!(kind, "SubscriptionConfirmation");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["Type"], "SubscriptionConfirmation");
        assert_eq!(body["Token"], "abc");
        assert_eq!(body["Timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(
            body["SubscribeURL"],
            "http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Token=abc&Version=2010-03-31"
        );
        assert!(body.get("Signature").is_none());
    }

    #[test]
    fn notifications_carry_subject_attributes_and_an_unsubscribe_link() {
        let attributes = BTreeMap::from([(
            "event".to_owned(),
            MessageAttribute {
                data_type: "String".to_owned(),
                value: "DeploymentSuccess".to_owned(),
            },
        )]);
        let kind = DeliveryKind::Notification {
            subject: Some("Done".to_owned()),
            message: "hello".to_owned(),
            attributes,
            raw: false,
        };
        let (_, body) = document(&delivery(kind.clone()), "http://127.0.0.1:4566");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["Subject"], "Done");
        assert_eq!(body["Message"], "hello");
        assert_eq!(
            body["MessageAttributes"]["event"],
            json!({"Type": "String", "Value": "DeploymentSuccess"})
        );
        assert!(
            body["UnsubscribeURL"]
                .as_str()
                .unwrap()
                .contains("Action=Unsubscribe&SubscriptionArn=")
        );
        let DeliveryKind::Notification {
            subject,
            message,
            attributes,
            ..
        } = kind
        else {
            unreachable!()
        };
        let raw = DeliveryKind::Notification {
            subject,
            message,
            attributes,
            raw: true,
        };
        assert_eq!(document(&delivery(raw), "x").1, "hello");
    }
}
