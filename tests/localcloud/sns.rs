//! SNS in the local cloud, driven by the AWS SDK for Rust: topics, paging,
//! and HTTP subscriptions on loopback, with a small HTTP server in the test
//! as the subscriber that receives the confirmation and the notifications.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_sns::Client;
use aws_sdk_sns::config::Region;
use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesError;
use aws_sdk_sns::types::{MessageAttributeValue, Tag};
use deploydesk::localcloud::LocalCloud;
use serde_json::Value;
use support::subscriber::Subscriber;
use support::{START, eventually, start};

/// An SNS client for the local cloud, signing for `us-east-1`, that does
/// not retry.
async fn sns(cloud: &LocalCloud) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(cloud.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

#[tokio::test]
async fn topics_are_created_once_listed_in_pages_changed_and_deleted() {
    let (cloud, _clock) = start().await;
    let client = sns(&cloud).await;
    let arn = client
        .create_topic()
        .name("deploys")
        .attributes("DisplayName", "Deploys")
        .tags(
            Tag::builder()
                .key("team")
                .value("web")
                .build()
                .expect("a tag"),
        )
        .send()
        .await
        .expect("created")
        .topic_arn()
        .expect("an ARN")
        .to_owned();
    assert_eq!(arn, "arn:aws:sns:us-east-1:000000000000:deploys");

    // CreateTopic is idempotent by name, unless the attributes differ.
    let again = client
        .create_topic()
        .name("deploys")
        .attributes("DisplayName", "Deploys")
        .send()
        .await
        .expect("the same topic");
    assert_eq!(again.topic_arn(), Some(arn.as_str()));
    let error = client
        .create_topic()
        .name("deploys")
        .attributes("DisplayName", "Other")
        .send()
        .await
        .expect_err("different attributes");
    assert_eq!(error.code(), Some("InvalidParameter"), "{error:?}");

    let attributes = client
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
    assert_eq!(
        attributes.get("Owner").map(String::as_str),
        Some("000000000000")
    );
    assert_eq!(
        attributes.get("SubscriptionsPending").map(String::as_str),
        Some("0")
    );
    assert!(
        attributes
            .get("Policy")
            .is_some_and(|policy| policy.contains("SNS:Publish"))
    );
    assert!(attributes.contains_key("EffectiveDeliveryPolicy"));

    client
        .set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DisplayName")
        .attribute_value("Deployments")
        .send()
        .await
        .expect("set");
    let shown = client
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .expect("attributes");
    assert_eq!(
        shown
            .attributes()
            .and_then(|map| map.get("DisplayName"))
            .map(String::as_str),
        Some("Deployments")
    );
    for (name, value) in [
        ("Owner", "me"),
        ("Policy", "not json"),
        ("DisplayName", &"d".repeat(101)),
    ] {
        let error = client
            .set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .expect_err(name);
        assert_eq!(error.code(), Some("InvalidParameter"), "{name}: {error:?}");
    }

    // 105 more topics make two pages.
    for index in 0..105 {
        client
            .create_topic()
            .name(format!("t-{index:03}"))
            .send()
            .await
            .expect("created");
    }
    let first = client.list_topics().send().await.expect("a page");
    assert_eq!(first.topics().len(), 100);
    assert!(first.next_token().is_some());
    let mut pages = client.list_topics().into_paginator().items().send();
    let mut count = 0;
    while let Some(topic) = pages.next().await {
        topic.expect("a topic");
        count += 1;
    }
    assert_eq!(count, 106);
    let error = client
        .list_topics()
        .next_token("made-up")
        .send()
        .await
        .expect_err("a made-up token");
    assert_eq!(error.code(), Some("InvalidParameter"), "{error:?}");

    client
        .delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .expect("deleted");
    client
        .delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .expect("deleting it again is not an error");
    let error = client
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .expect_err("gone");
    assert!(
        error
            .as_service_error()
            .is_some_and(GetTopicAttributesError::is_not_found_exception),
        "{error:?}"
    );
    for bad in ["", "with space", "dot.ted", "fifo.fifo"] {
        let error = client.create_topic().name(bad).send().await.expect_err(bad);
        assert_eq!(error.code(), Some("InvalidParameter"), "{bad:?}: {error:?}");
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn http_subscribers_confirm_and_receive_notifications_with_snss_json_and_headers() {
    let (cloud, _clock) = start().await;
    let client = sns(&cloud).await;
    let topic = client
        .create_topic()
        .name("deploys")
        .send()
        .await
        .expect("created")
        .topic_arn()
        .expect("an ARN")
        .to_owned();

    let mut first = Subscriber::start(0).await;
    let subscribed = client
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&first.url)
        .send()
        .await
        .expect("subscribed");
    assert_eq!(subscribed.subscription_arn(), Some("pending confirmation"));

    let confirmation = first.next().await;
    assert_eq!(
        confirmation.header("x-amz-sns-message-type"),
        "SubscriptionConfirmation"
    );
    assert_eq!(confirmation.header("x-amz-sns-topic-arn"), topic);
    assert!(!confirmation.header("x-amz-sns-message-id").is_empty());
    let document = confirmation.json();
    assert_eq!(document["Type"], "SubscriptionConfirmation");
    assert_eq!(document["TopicArn"], topic.as_str());
    assert_eq!(
        document["MessageId"],
        confirmation.header("x-amz-sns-message-id")
    );
    assert_eq!(document["Timestamp"], START.to_iso8601());
    assert_eq!(document["SignatureVersion"], "1");
    assert!(
        document["Message"]
            .as_str()
            .is_some_and(|message| message.contains("You have chosen to subscribe to the topic"))
    );
    let subscribe_url = document["SubscribeURL"].as_str().expect("a SubscribeURL");
    assert!(
        subscribe_url.starts_with(&format!(
            "{}/?Action=ConfirmSubscription",
            cloud.endpoint_url()
        )),
        "{subscribe_url}"
    );
    let token = document["Token"].as_str().expect("a token").to_owned();

    // Pending: listed as such, and a message published now does not reach it.
    let listed = client
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .expect("listed");
    assert_eq!(
        listed.subscriptions()[0].subscription_arn(),
        Some("PendingConfirmation")
    );
    client
        .publish()
        .topic_arn(&topic)
        .message("before confirming")
        .send()
        .await
        .expect("published");

    let error = client
        .confirm_subscription()
        .topic_arn(&topic)
        .token("not-the-token")
        .send()
        .await
        .expect_err("a wrong token");
    assert_eq!(error.code(), Some("InvalidParameter"), "{error:?}");
    let first_arn = client
        .confirm_subscription()
        .topic_arn(&topic)
        .token(&token)
        .send()
        .await
        .expect("confirmed")
        .subscription_arn()
        .expect("an ARN")
        .to_owned();
    assert!(first_arn.starts_with(&format!("{topic}:")), "{first_arn}");

    // A second subscriber confirms by visiting the SubscribeURL.
    let mut second = Subscriber::start(0).await;
    client
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&second.url)
        .send()
        .await
        .expect("subscribed");
    let url = second.next().await.json()["SubscribeURL"]
        .as_str()
        .expect("a SubscribeURL")
        .to_owned();
    let path = url.trim_start_matches(&cloud.endpoint_url());
    let (status, answer) = support::exchange(
        cloud.local_addr(),
        &support::request(&format!("GET {path} HTTP/1.1"), b""),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains("<ConfirmSubscriptionResult><SubscriptionArn>"),
        "{answer}"
    );

    let attributes = client
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .expect("attributes");
    assert_eq!(
        attributes
            .attributes()
            .and_then(|map| map.get("SubscriptionsConfirmed"))
            .map(String::as_str),
        Some("2")
    );

    let published = client
        .publish()
        .topic_arn(&topic)
        .subject("Deployment d-1 succeeded")
        .message("{\"deploymentId\": \"d-1\"}")
        .message_attributes(
            "event",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("DeploymentSuccess")
                .build()
                .expect("an attribute"),
        )
        .send()
        .await
        .expect("published");
    let message_id = published.message_id().expect("a message id").to_owned();
    for (subscriber, arn) in [(&mut first, Some(first_arn.as_str())), (&mut second, None)] {
        let notification = subscriber.next().await;
        assert_eq!(
            notification.header("x-amz-sns-message-type"),
            "Notification"
        );
        assert_eq!(notification.header("x-amz-sns-message-id"), message_id);
        assert_eq!(notification.header("x-amz-sns-topic-arn"), topic);
        if let Some(arn) = arn {
            assert_eq!(notification.header("x-amz-sns-subscription-arn"), arn);
        }
        let document = notification.json();
        assert_eq!(document["Type"], "Notification");
        assert_eq!(document["MessageId"], message_id.as_str());
        assert_eq!(document["TopicArn"], topic.as_str());
        assert_eq!(document["Subject"], "Deployment d-1 succeeded");
        assert_eq!(document["Message"], "{\"deploymentId\": \"d-1\"}");
        assert_eq!(document["Timestamp"], START.to_iso8601());
        assert_eq!(
            document["MessageAttributes"]["event"],
            serde_json::json!({"Type": "String", "Value": "DeploymentSuccess"})
        );
        assert!(
            document["UnsubscribeURL"]
                .as_str()
                .is_some_and(|url| url.contains("Action=Unsubscribe")),
            "{document}"
        );
    }
    // The message published before the first confirmed never arrives.
    first.nothing_more().await;

    // Unsubscribed, the second gets nothing more.
    let second_arn = client
        .list_subscriptions()
        .send()
        .await
        .expect("listed")
        .subscriptions()
        .iter()
        .filter_map(|subscription| subscription.subscription_arn())
        .find(|arn| *arn != first_arn)
        .expect("the second subscription")
        .to_owned();
    client
        .unsubscribe()
        .subscription_arn(&second_arn)
        .send()
        .await
        .expect("unsubscribed");
    client
        .publish()
        .topic_arn(&topic)
        .message("only the first")
        .send()
        .await
        .expect("published");
    assert_eq!(first.next().await.json()["Message"], "only the first");
    second.nothing_more().await;
    cloud.shutdown().await;
}

#[tokio::test]
async fn failed_deliveries_are_retried_on_the_clock() {
    let (cloud, clock) = start().await;
    let client = sns(&cloud).await;
    let topic = client
        .create_topic()
        .name("flaky")
        .send()
        .await
        .expect("created")
        .topic_arn()
        .expect("an ARN")
        .to_owned();
    // The endpoint refuses the first confirmation.
    let mut subscriber = Subscriber::start(1).await;
    client
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&subscriber.url)
        .send()
        .await
        .expect("subscribed");
    let hits = Arc::clone(&subscriber.hits);
    eventually("the first attempt reached the endpoint", || {
        hits.load(Ordering::SeqCst) == 1
    })
    .await;
    eventually("the failed confirmation waits for its retry", || {
        cloud.snapshot().sns.outbox.len() == 1
    })
    .await;
    // Not before the retry delay of 20 seconds has passed on the clock.
    subscriber.nothing_more().await;
    clock.advance_millis(20_000);
    let confirmation = subscriber.next().await;
    assert_eq!(confirmation.json()["Type"], "SubscriptionConfirmation");
    assert_eq!(subscriber.hits.load(Ordering::SeqCst), 2);

    // An endpoint that never answers well is given up after three retries.
    let dead = Subscriber::start(usize::MAX).await;
    let dead_hits = Arc::clone(&dead.hits);
    client
        .subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&dead.url)
        .send()
        .await
        .expect("subscribed");
    for attempt in 1..=4 {
        eventually(&format!("attempt {attempt} reached the endpoint"), || {
            dead_hits.load(Ordering::SeqCst) == attempt
        })
        .await;
        if attempt < 4 {
            eventually("the failed delivery waits for its retry", || {
                cloud.snapshot().sns.outbox.len() == 1
            })
            .await;
            clock.advance_millis(20_000);
        }
    }
    // After the third retry it is dropped, and nothing more is sent.
    clock.advance_millis(20_000);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(cloud.snapshot().sns.outbox.is_empty());
    assert_eq!(
        dead_hits.load(Ordering::SeqCst),
        4,
        "one try and three retries"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn bad_subscriptions_and_messages_are_refused_and_change_nothing() {
    let (cloud, _clock) = start().await;
    let client = sns(&cloud).await;
    let topic = client
        .create_topic()
        .name("t")
        .send()
        .await
        .expect("created")
        .topic_arn()
        .expect("an ARN")
        .to_owned();
    let before = cloud.snapshot().sns;

    for (protocol, endpoint, says) in [
        ("http", "http://example.com/sns", "loopback"),
        ("http", "http://192.168.1.10:8080/", "loopback"),
        ("https", "https://127.0.0.1:8443/", "plain HTTP"),
        ("email", "ops@example.com", "only to http"),
        ("carrier-pigeon", "http://127.0.0.1/", "does not support"),
        ("http", "not a url", "is not a URL"),
    ] {
        let error = client
            .subscribe()
            .topic_arn(&topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await
            .expect_err(endpoint);
        assert_eq!(
            error.code(),
            Some("InvalidParameter"),
            "{endpoint}: {error:?}"
        );
        assert!(
            error
                .message()
                .is_some_and(|message| message.contains(says)),
            "{endpoint}: {error:?}"
        );
    }
    let error = client
        .subscribe()
        .topic_arn("arn:aws:sns:us-east-1:000000000000:missing")
        .protocol("http")
        .endpoint("http://127.0.0.1:9/")
        .send()
        .await
        .expect_err("no such topic");
    assert_eq!(error.code(), Some("NotFound"), "{error:?}");

    let publish = || client.publish().topic_arn(&topic).message("m");
    let cases = [
        (
            "bad subject",
            publish().subject("two\nlines"),
            "InvalidParameter",
        ),
        (
            "no message",
            client.publish().topic_arn(&topic).message(""),
            "InvalidParameter",
        ),
        (
            "missing topic",
            client
                .publish()
                .topic_arn("arn:aws:sns:us-east-1:000000000000:missing")
                .message("m"),
            "NotFound",
        ),
        (
            "not an ARN",
            client.publish().topic_arn("t").message("m"),
            "InvalidParameter",
        ),
        (
            "group id",
            publish().message_group_id("g"),
            "InvalidParameter",
        ),
        (
            "bad structure",
            publish().message_structure("json"),
            "InvalidParameter",
        ),
        (
            "bad number",
            publish().message_attributes(
                "n",
                MessageAttributeValue::builder()
                    .data_type("Number")
                    .string_value("many")
                    .build()
                    .expect("an attribute"),
            ),
            "InvalidParameter",
        ),
        (
            "too long",
            client
                .publish()
                .topic_arn(&topic)
                .message("x".repeat(262_145)),
            "InvalidParameter",
        ),
    ];
    for (what, request, code) in cases {
        let error = request.send().await.expect_err(what);
        assert_eq!(error.code(), Some(code), "{what}: {error:?}");
    }
    let error = client
        .unsubscribe()
        .subscription_arn("nonsense")
        .send()
        .await
        .expect_err("not a subscription ARN");
    assert_eq!(error.code(), Some("InvalidParameter"), "{error:?}");
    assert_eq!(cloud.snapshot().sns, before, "nothing changed");
    cloud.shutdown().await;
}

/// Runs `aws sns ARGS` against `endpoint`; returns whether it succeeded,
/// its standard output and its standard error.
async fn aws_sns(endpoint: &str, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::from(support::aws_cli("sns", endpoint, args))
        .output()
        .await
        .expect("the AWS CLI runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn topics_subscriptions_and_publishing_with_the_cli() {
    if !support::aws_cli_available("topics_subscriptions_and_publishing_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let (ok, out, err) = aws_sns(&endpoint, &["create-topic", "--name", "deploys"]).await;
    assert!(ok, "{out}{err}");
    let topic = serde_json::from_str::<Value>(&out).expect("JSON")["TopicArn"]
        .as_str()
        .expect("a TopicArn")
        .to_owned();

    let mut subscriber = Subscriber::start(0).await;
    let (ok, out, err) = aws_sns(
        &endpoint,
        &[
            "subscribe",
            "--topic-arn",
            &topic,
            "--protocol",
            "http",
            "--notification-endpoint",
            &subscriber.url,
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("pending confirmation"), "{out}");
    let token = subscriber.next().await.json()["Token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let (ok, out, err) = aws_sns(
        &endpoint,
        &[
            "confirm-subscription",
            "--topic-arn",
            &topic,
            "--token",
            &token,
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    let (ok, out, err) = aws_sns(
        &endpoint,
        &[
            "publish",
            "--topic-arn",
            &topic,
            "--subject",
            "From the CLI",
            "--message",
            "hello",
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    let message_id = serde_json::from_str::<Value>(&out).expect("JSON")["MessageId"].clone();
    let notification = subscriber.next().await.json();
    assert_eq!(notification["MessageId"], message_id);
    assert_eq!(notification["Subject"], "From the CLI");
    assert_eq!(notification["Message"], "hello");

    let (ok, out, err) = aws_sns(
        &endpoint,
        &["list-subscriptions-by-topic", "--topic-arn", &topic],
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(out.contains(&subscriber.url), "{out}");
    let (ok, out, err) = aws_sns(
        &endpoint,
        &[
            "subscribe",
            "--topic-arn",
            &topic,
            "--protocol",
            "http",
            "--notification-endpoint",
            "http://example.com/hook",
        ],
    )
    .await;
    assert!(!ok, "{out}");
    assert!(
        err.contains("(InvalidParameter)") && err.contains("loopback"),
        "{err}"
    );
    cloud.shutdown().await;
}
