//! What SNS remembers: topics and their subscriptions, and the deliveries
//! waiting to be sent.
//!
//! The seam for the deployment engine is [`SnsState::publish`]: it
//! publishes a message to a topic as `Publish` does, queueing one
//! notification for every confirmed subscription; the delivery task sends
//! them. Queued deliveries live in memory only: a restart of the local
//! cloud drops the ones not yet sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// How long the delivery task waits before trying a failed delivery again,
/// as SNS's default HTTP delivery policy does (`minDelayTarget` and
/// `maxDelayTarget` of 20 seconds).
pub const RETRY_DELAY_MILLIS: i64 = 20_000;
/// How many times a failed delivery is tried again (the default policy's
/// `numRetries`).
pub const MAX_RETRIES: u32 = 3;

/// SNS's topics, subscriptions and queued deliveries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnsState {
    /// Topics by ARN.
    pub topics: Table<String, Topic>,
    /// Subscriptions by ARN.
    pub subscriptions: Table<String, Subscription>,
    /// The deliveries waiting to be sent (not kept on disk).
    #[serde(skip)]
    pub outbox: Outbox,
}

impl SnsState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.topics.take_changes("sns.topics", changes);
        self.subscriptions
            .take_changes("sns.subscriptions", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "sns.topics" => self.topics.apply(change),
            "sns.subscriptions" => self.subscriptions.apply(change),
            _ => Err(change.unknown()),
        }
    }

    /// Publishes `message` (with `subject` and `attributes`) to the topic
    /// `topic_arn` at `now`, as `Publish` does: one notification is queued
    /// for every confirmed subscription of the topic. Returns the message
    /// id, or `None` if there is no such topic. This is how the engine
    /// publishes CodeDeploy's trigger messages.
    pub fn publish(
        &mut self,
        topic_arn: &str,
        subject: Option<&str>,
        message: &str,
        attributes: &BTreeMap<String, MessageAttribute>,
        now: Timestamp,
    ) -> Option<String> {
        if !self.topics.contains_key(topic_arn) {
            return None;
        }
        let message_id = uuid::Uuid::new_v4().to_string();
        for subscription in self.subscriptions.values() {
            if subscription.topic_arn != topic_arn || !subscription.confirmed {
                continue;
            }
            self.outbox.queue(Delivery {
                message_id: message_id.clone(),
                subscription_arn: subscription.arn.clone(),
                topic_arn: topic_arn.to_owned(),
                endpoint: subscription.endpoint.clone(),
                kind: DeliveryKind::Notification {
                    subject: subject.map(str::to_owned),
                    message: message.to_owned(),
                    attributes: attributes.clone(),
                    raw: subscription.raw_message_delivery(),
                },
                published: now,
                due: now,
                attempt: 0,
            });
        }
        Some(message_id)
    }

    /// The subscriptions of the topic `topic_arn`, confirmed or not.
    pub fn subscriptions_of<'a>(
        &'a self,
        topic_arn: &'a str,
    ) -> impl Iterator<Item = &'a Subscription> + 'a {
        self.subscriptions
            .values()
            .filter(move |subscription| subscription.topic_arn == topic_arn)
    }
}

/// A topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    /// The name.
    pub name: String,
    /// The ARN, `arn:aws:sns:REGION:ACCOUNT:NAME`.
    pub arn: String,
    /// The attributes set on it (`DisplayName`, `Policy`,
    /// `DeliveryPolicy`, ...), by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// When it was created.
    pub created: Timestamp,
}

/// A subscription of an HTTP endpoint to a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// The ARN, the topic's ARN and an id.
    pub arn: String,
    /// The topic's ARN.
    pub topic_arn: String,
    /// The protocol, `http`.
    pub protocol: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The token the confirmation carries, which `ConfirmSubscription`
    /// must give back.
    pub token: String,
    /// Whether the endpoint confirmed it; until then it is pending and
    /// gets no notifications.
    pub confirmed: bool,
    /// The attributes set on it (`RawMessageDelivery`, ...), by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// When it was made.
    pub created: Timestamp,
}

impl Subscription {
    /// Whether notifications go out as the bare message rather than SNS's
    /// JSON document.
    pub fn raw_message_delivery(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }
}

/// A message attribute of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageAttribute {
    /// The data type: `String`, `String.Array`, `Number` or `Binary`,
    /// with an optional custom suffix (`Number.float`).
    pub data_type: String,
    /// The value: the text, or the bytes in base64 for `Binary`.
    pub value: String,
}

/// What a delivery carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The confirmation of a new subscription.
    Confirmation {
        /// The token to confirm with.
        token: String,
    },
    /// A published message.
    Notification {
        /// The subject, if any.
        subject: Option<String>,
        /// The message.
        message: String,
        /// Its attributes.
        attributes: BTreeMap<String, MessageAttribute>,
        /// Whether it goes out as the bare message.
        raw: bool,
    },
}

/// One message to send to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message's id (the same for every subscriber of a publish).
    pub message_id: String,
    /// The subscription it is for.
    pub subscription_arn: String,
    /// The topic.
    pub topic_arn: String,
    /// Where it goes.
    pub endpoint: String,
    /// What it carries.
    pub kind: DeliveryKind,
    /// When it was published (the message's `Timestamp`).
    pub published: Timestamp,
    /// When it is to be sent next.
    pub due: Timestamp,
    /// How many times it was tried and failed.
    pub attempt: u32,
}

/// The deliveries waiting to be sent, in the order they were queued, and
/// the signal that wakes the delivery task when one is queued (so that it
/// sleeps while there is nothing to send).
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    /// The deliveries.
    waiting: Vec<Delivery>,
    /// Woken when a delivery is queued; copies of the state share it.
    wake: Arc<Notify>,
}

impl PartialEq for Outbox {
    fn eq(&self, other: &Self) -> bool {
        self.waiting == other.waiting
    }
}

impl Eq for Outbox {}

impl Outbox {
    /// Queues `delivery` and wakes the delivery task.
    pub fn queue(&mut self, delivery: Delivery) {
        self.waiting.push(delivery);
        self.wake.notify_one();
    }

    /// What wakes the delivery task when a delivery is queued.
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Takes out the deliveries due by `now`, in the order queued.
    pub fn take_due(&mut self, now: Timestamp) -> Vec<Delivery> {
        let (due, later): (Vec<Delivery>, Vec<Delivery>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|delivery| delivery.due <= now);
        self.waiting = later;
        due
    }

    /// Queues `delivery`, which failed at `now`, to be tried again after
    /// the retry delay; returns `false` (and drops it) once it has been
    /// tried again as often as the delivery policy allows.
    pub fn retry(&mut self, mut delivery: Delivery, now: Timestamp) -> bool {
        if delivery.attempt >= MAX_RETRIES {
            return false;
        }
        delivery.attempt += 1;
        delivery.due = now.plus_millis(RETRY_DELAY_MILLIS);
        self.waiting.push(delivery);
        // The task then watches the clock for it.
        self.wake.notify_one();
        true
    }

    /// How many deliveries are waiting.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether no delivery is waiting.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Drops the deliveries of the subscription `subscription_arn`, which
    /// was deleted.
    pub fn forget_subscription(&mut self, subscription_arn: &str) {
        self.waiting
            .retain(|delivery| delivery.subscription_arn != subscription_arn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A confirmed subscription of `topic` to `endpoint`.
    fn subscription(topic: &str, arn: &str, confirmed: bool) -> Subscription {
        Subscription {
            arn: arn.to_owned(),
            topic_arn: topic.to_owned(),
            protocol: "http".to_owned(),
            endpoint: "http://127.0.0.1:9/".to_owned(),
            token: "t".to_owned(),
            confirmed,
            attributes: BTreeMap::new(),
            created: Timestamp::from_secs(0),
        }
    }

    #[test]
    fn publishing_queues_one_notification_per_confirmed_subscription() {
        let mut sns = SnsState::default();
        let topic = "arn:aws:sns:us-east-1:000000000000:t";
        sns.topics.insert(
            topic.to_owned(),
            Topic {
                name: "t".to_owned(),
                arn: topic.to_owned(),
                attributes: BTreeMap::new(),
                tags: Vec::new(),
                created: Timestamp::from_secs(0),
            },
        );
        for (arn, confirmed) in [("a", true), ("b", false), ("c", true)] {
            sns.subscriptions
                .insert(arn.to_owned(), subscription(topic, arn, confirmed));
        }
        let now = Timestamp::from_secs(100);
        let id = sns
            .publish(topic, None, "hello", &BTreeMap::new(), now)
            .expect("the topic exists");
        assert!(
            sns.publish(
                "arn:aws:sns:us-east-1:000000000000:none",
                None,
                "x",
                &BTreeMap::new(),
                now
            )
            .is_none()
        );
        let due = sns.outbox.take_due(now);
        let to: Vec<&str> = due.iter().map(|d| d.subscription_arn.as_str()).collect();
        assert_eq!(to, ["a", "c"]);
        assert!(due.iter().all(|d| d.message_id == id));
        assert!(sns.outbox.is_empty());
    }

    #[test]
    fn failed_deliveries_are_retried_after_the_delay_a_bounded_number_of_times() {
        let mut outbox = Outbox::default();
        let now = Timestamp::from_secs(0);
        let mut delivery = Delivery {
            message_id: "m".to_owned(),
            subscription_arn: "s".to_owned(),
            topic_arn: "t".to_owned(),
            endpoint: "http://127.0.0.1:9/".to_owned(),
            kind: DeliveryKind::Confirmation {
                token: "x".to_owned(),
            },
            published: now,
            due: now,
            attempt: 0,
        };
        let mut tries = 1;
        let mut at = now;
        while outbox.retry(delivery.clone(), at) {
            assert!(
                outbox
                    .take_due(at.plus_millis(RETRY_DELAY_MILLIS - 1))
                    .is_empty()
            );
            at = at.plus_millis(RETRY_DELAY_MILLIS);
            delivery = outbox.take_due(at).pop().expect("due again");
            tries += 1;
        }
        assert_eq!(tries, 1 + MAX_RETRIES);
        assert!(outbox.is_empty());
    }
}
