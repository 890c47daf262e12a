//! SNS, checked against both backends through the SDK: topics, and an HTTP
//! subscriber on loopback that receives what is published.

use std::time::Duration;

use aws_sdk_sns::error::ProvideErrorMetadata;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::crosscheck;

/// Starts an HTTP subscriber on a loopback port; returns its URL and what
/// it receives (headers and body of each POST).
async fn subscriber() -> (String, mpsc::UnboundedReceiver<(HeaderMap, String)>) {
    let (sender, received) = mpsc::unbounded_channel();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        let sender = sender.clone();
        async move {
            let _ = sender.send((headers, body));
            StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/events"), received)
}

/// The next document the subscriber received, within five seconds.
async fn next(received: &mut mpsc::UnboundedReceiver<(HeaderMap, String)>) -> (HeaderMap, Value) {
    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("a delivery within five seconds")
        .expect("the subscriber runs");
    let document =
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("JSON ({error}): {body}"));
    (headers, document)
}

crosscheck!(
    topics_are_created_once_described_and_deleted,
    |clients: crate::Clients| async move {
        let sns = &clients.sns;
        let name = clients.unique("deploys");
        let arn = sns
            .create_topic()
            .name(&name)
            .attributes("DisplayName", "Deploys")
            .send()
            .await
            .expect("created")
            .topic_arn()
            .expect("an ARN")
            .to_owned();
        assert!(arn.starts_with("arn:aws:sns:us-east-1:"), "{arn}");
        assert!(arn.ends_with(&format!(":{name}")), "{arn}");
        let again = sns
            .create_topic()
            .name(&name)
            .send()
            .await
            .expect("the same topic");
        assert_eq!(again.topic_arn(), Some(arn.as_str()));

        let attributes = sns
            .get_topic_attributes()
            .topic_arn(&arn)
            .send()
            .await
            .expect("attributes");
        let attributes = attributes.attributes().expect("a map");
        assert_eq!(
            attributes.get("DisplayName").map(String::as_str),
            Some("Deploys")
        );
        assert_eq!(attributes.get("TopicArn"), Some(&arn));
        assert!(attributes.contains_key("Policy"));

        sns.set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name("DisplayName")
            .attribute_value("Deployments")
            .send()
            .await
            .expect("set");
        let mut found = false;
        let mut pages = sns.list_topics().into_paginator().items().send();
        while let Some(topic) = pages.next().await {
            found |= topic.expect("a topic").topic_arn() == Some(arn.as_str());
        }
        assert!(found, "ListTopics lists {arn}");

        let error = sns
            .create_topic()
            .name("not a name")
            .send()
            .await
            .expect_err("a bad name");
        assert_eq!(error.code(), Some("InvalidParameter"));
        sns.delete_topic()
            .topic_arn(&arn)
            .send()
            .await
            .expect("deleted");
        let error = sns
            .get_topic_attributes()
            .topic_arn(&arn)
            .send()
            .await
            .expect_err("gone");
        assert_eq!(error.code(), Some("NotFound"), "{error:?}");
        let error = sns
            .publish()
            .topic_arn(&arn)
            .message("nobody")
            .send()
            .await
            .expect_err("no such topic");
        assert_eq!(error.code(), Some("NotFound"), "{error:?}");
        clients.finish().await;
    }
);

crosscheck!(
    an_http_subscriber_on_loopback_receives_what_is_published,
    |clients: crate::Clients| async move {
        let sns = &clients.sns;
        let topic = sns
            .create_topic()
            .name(clients.unique("events"))
            .send()
            .await
            .expect("created")
            .topic_arn()
            .expect("an ARN")
            .to_owned();
        let (url, mut received) = subscriber().await;
        let subscribed = sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("http")
            .endpoint(&url)
            .send()
            .await
            .expect("subscribed");
        if !clients.moto_differs(
            "moto confirms HTTP subscriptions at once and sends no SubscriptionConfirmation; AWS sends one and keeps the subscription pending until it is confirmed",
        ) {
            assert_eq!(subscribed.subscription_arn(), Some("pending confirmation"));
            let (headers, confirmation) = next(&mut received).await;
            assert_eq!(
                headers.get("x-amz-sns-message-type").and_then(|v| v.to_str().ok()),
                Some("SubscriptionConfirmation")
            );
            assert_eq!(confirmation["Type"], "SubscriptionConfirmation");
            sns.confirm_subscription()
                .topic_arn(&topic)
                .token(confirmation["Token"].as_str().expect("a token"))
                .send()
                .await
                .expect("confirmed");
        }
        let listed = sns
            .list_subscriptions_by_topic()
            .topic_arn(&topic)
            .send()
            .await
            .expect("listed");
        let subscription = &listed.subscriptions()[0];
        assert_eq!(subscription.endpoint(), Some(url.as_str()));
        assert_eq!(subscription.protocol(), Some("http"));
        assert!(
            subscription
                .subscription_arn()
                .is_some_and(|arn| arn.starts_with(&format!("{topic}:"))),
            "{subscription:?}"
        );

        let published = sns
            .publish()
            .topic_arn(&topic)
            .subject("Deployment succeeded")
            .message("d-123 succeeded")
            .send()
            .await
            .expect("published");
        let (headers, notification) = next(&mut received).await;
        assert_eq!(notification["Type"], "Notification");
        assert_eq!(notification["TopicArn"], topic.as_str());
        assert_eq!(notification["Message"], "d-123 succeeded");
        assert_eq!(notification["Subject"], "Deployment succeeded");
        assert_eq!(notification["MessageId"].as_str(), published.message_id());
        assert!(notification["Timestamp"].is_string());
        if !clients.moto_differs("moto sends notifications without SNS's x-amz-sns-* headers") {
            assert_eq!(
                headers
                    .get("x-amz-sns-topic-arn")
                    .and_then(|v| v.to_str().ok()),
                Some(topic.as_str())
            );
        }
        sns.delete_topic()
            .topic_arn(&topic)
            .send()
            .await
            .expect("deleted");
        clients.finish().await;
    }
);
