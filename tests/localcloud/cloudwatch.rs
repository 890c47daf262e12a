//! CloudWatch alarms in the local cloud, driven by the AWS SDK for Rust
//! over Smithy RPC v2 CBOR: every operation, its errors, paging, and the
//! raw protocol on the wire.

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::Region;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::operation::delete_alarms::DeleteAlarmsError;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsError;
use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::operation::set_alarm_state::SetAlarmStateError;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic, Tag};
use deploydesk::localcloud::LocalCloud;
use support::{START, start, start_with_state};

/// A CloudWatch client for the local cloud, signing for `us-east-1`, that
/// does not retry, so an error reaches the test as sent.
async fn cloudwatch(cloud: &LocalCloud) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(cloud.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

/// `PutMetricAlarm` for a CPU alarm named `name` on one instance, with
/// every member a valid alarm needs.
fn cpu_alarm(client: &Client, name: &str) -> PutMetricAlarmFluentBuilder {
    client
        .put_metric_alarm()
        .alarm_name(name)
        .alarm_description("CPU above 80% for two minutes")
        .metric_name("CPUUtilization")
        .namespace("AWS/EC2")
        .statistic(Statistic::Average)
        .dimensions(
            Dimension::builder()
                .name("InstanceId")
                .value("i-0123456789abcdef0")
                .build(),
        )
        .period(60)
        .evaluation_periods(2)
        .threshold(80.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:000000000000:ops")
}

/// The alarm named `name`, as `DescribeAlarms` shows it.
async fn describe(client: &Client, name: &str) -> Option<aws_sdk_cloudwatch::types::MetricAlarm> {
    client
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .expect("DescribeAlarms answers")
        .metric_alarms()
        .first()
        .cloned()
}

#[tokio::test]
async fn an_alarm_is_created_described_set_replaced_and_deleted() {
    let (cloud, clock) = start().await;
    let client = cloudwatch(&cloud).await;

    cpu_alarm(&client, "high-cpu")
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .expect("the alarm is created");
    let alarm = describe(&client, "high-cpu")
        .await
        .expect("the alarm is there");
    assert_eq!(alarm.alarm_name(), Some("high-cpu"));
    assert_eq!(
        alarm.alarm_arn(),
        Some("arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-cpu")
    );
    assert_eq!(alarm.state_value(), Some(&StateValue::InsufficientData));
    assert_eq!(
        alarm.state_reason(),
        Some("Unchecked: Initial alarm creation")
    );
    assert_eq!(alarm.metric_name(), Some("CPUUtilization"));
    assert_eq!(alarm.namespace(), Some("AWS/EC2"));
    assert_eq!(alarm.statistic(), Some(&Statistic::Average));
    assert_eq!(alarm.period(), Some(60));
    assert_eq!(alarm.evaluation_periods(), Some(2));
    assert_eq!(alarm.threshold(), Some(80.0));
    assert_eq!(
        alarm.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    assert_eq!(alarm.actions_enabled(), Some(true));
    assert_eq!(
        alarm.alarm_actions(),
        ["arn:aws:sns:us-east-1:000000000000:ops"]
    );
    assert_eq!(alarm.dimensions()[0].name(), Some("InstanceId"));
    let start_secs = START.as_millis() / 1000;
    assert_eq!(
        alarm.state_updated_timestamp().map(DateTime::secs),
        Some(start_secs)
    );
    assert_eq!(
        alarm
            .alarm_configuration_updated_timestamp()
            .map(DateTime::secs),
        Some(start_secs)
    );

    // SetAlarmState moves it to ALARM, with the reason given.
    clock.advance_millis(30_000);
    client
        .set_alarm_state()
        .alarm_name("high-cpu")
        .state_value(StateValue::Alarm)
        .state_reason("Testing the rollback")
        .state_reason_data(r#"{"by": "test"}"#)
        .send()
        .await
        .expect("the state is set");
    let alarm = describe(&client, "high-cpu").await.expect("still there");
    assert_eq!(alarm.state_value(), Some(&StateValue::Alarm));
    assert_eq!(alarm.state_reason(), Some("Testing the rollback"));
    assert_eq!(alarm.state_reason_data(), Some(r#"{"by": "test"}"#));
    assert_eq!(
        alarm.state_transitioned_timestamp().map(DateTime::secs),
        Some(start_secs + 30)
    );
    assert_eq!(
        cloud.snapshot().cloudwatch.alarm_state("high-cpu"),
        Some(deploydesk::localcloud::cloudwatch::StateValue::Alarm)
    );

    // Setting the same state again updates it but is no transition.
    clock.advance_millis(30_000);
    client
        .set_alarm_state()
        .alarm_name("high-cpu")
        .state_value(StateValue::Alarm)
        .state_reason("Still failing")
        .send()
        .await
        .expect("the state is set again");
    let alarm = describe(&client, "high-cpu").await.expect("still there");
    assert_eq!(
        alarm.state_updated_timestamp().map(DateTime::secs),
        Some(start_secs + 60)
    );
    assert_eq!(
        alarm.state_transitioned_timestamp().map(DateTime::secs),
        Some(start_secs + 30)
    );

    // Putting the alarm again replaces its configuration and keeps its
    // state.
    cpu_alarm(&client, "high-cpu")
        .threshold(95.5)
        .actions_enabled(false)
        .send()
        .await
        .expect("the alarm is replaced");
    let alarm = describe(&client, "high-cpu").await.expect("still there");
    assert_eq!(alarm.threshold(), Some(95.5));
    assert_eq!(alarm.actions_enabled(), Some(false));
    assert_eq!(alarm.state_value(), Some(&StateValue::Alarm));
    assert_eq!(
        alarm
            .alarm_configuration_updated_timestamp()
            .map(DateTime::secs),
        Some(start_secs + 60)
    );

    client
        .delete_alarms()
        .alarm_names("high-cpu")
        .send()
        .await
        .expect("the alarm is deleted");
    assert!(describe(&client, "high-cpu").await.is_none());
    assert_eq!(cloud.snapshot().cloudwatch.alarm_state("high-cpu"), None);
    cloud.shutdown().await;
}

#[tokio::test]
async fn describe_alarms_filters_by_name_prefix_and_state_and_pages() {
    let (cloud, _clock) = start().await;
    let client = cloudwatch(&cloud).await;
    for index in 0..7 {
        cpu_alarm(&client, &format!("web-{index}"))
            .send()
            .await
            .expect("created");
    }
    cpu_alarm(&client, "db-0").send().await.expect("created");
    client
        .set_alarm_state()
        .alarm_name("web-3")
        .state_value(StateValue::Ok)
        .state_reason("fine")
        .send()
        .await
        .expect("set");

    let names = |output: &aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput| {
        output
            .metric_alarms()
            .iter()
            .filter_map(|alarm| alarm.alarm_name().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let prefixed = client
        .describe_alarms()
        .alarm_name_prefix("web-")
        .max_records(3)
        .send()
        .await
        .expect("a page");
    assert_eq!(names(&prefixed), ["web-0", "web-1", "web-2"]);
    let token = prefixed.next_token().expect("more pages").to_owned();

    // The paginator follows NextToken to the end.
    let mut all = Vec::new();
    let mut pages = client
        .describe_alarms()
        .alarm_name_prefix("web-")
        .max_records(3)
        .into_paginator()
        .send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        all.extend(names(&page.expect("a page")));
        count += 1;
    }
    assert_eq!(count, 3);
    assert_eq!(all.len(), 7);

    let by_state = client
        .describe_alarms()
        .state_value(StateValue::Ok)
        .send()
        .await
        .expect("filtered");
    assert_eq!(names(&by_state), ["web-3"]);
    let by_names = client
        .describe_alarms()
        .alarm_names("db-0")
        .alarm_names("web-6")
        .alarm_names("nothing")
        .send()
        .await
        .expect("by names");
    assert_eq!(names(&by_names), ["db-0", "web-6"]);
    let by_action = client
        .describe_alarms()
        .action_prefix("arn:aws:sns:us-east-1:000000000000:ops")
        .send()
        .await
        .expect("by action");
    assert_eq!(names(&by_action).len(), 8);

    // A token of another list, or made up, is refused.
    let error = client
        .describe_alarms()
        .alarm_name_prefix("db-")
        .next_token(token)
        .send()
        .await
        .expect_err("the token belongs to another list");
    assert!(
        error
            .as_service_error()
            .is_some_and(DescribeAlarmsError::is_invalid_next_token),
        "{error:?}"
    );
    let error = client
        .describe_alarms()
        .alarm_names("web-0")
        .alarm_name_prefix("web")
        .send()
        .await
        .expect_err("names and a prefix together");
    assert_eq!(
        error.code(),
        Some("InvalidParameterCombination"),
        "{error:?}"
    );
    let error = client
        .describe_alarms()
        .max_records(101)
        .send()
        .await
        .expect_err("too many records");
    assert_eq!(error.code(), Some("ValidationError"), "{error:?}");
    cloud.shutdown().await;
}

#[tokio::test]
async fn bad_alarms_are_refused_with_awss_codes_and_change_nothing() {
    let (cloud, _clock) = start().await;
    let client = cloudwatch(&cloud).await;
    cpu_alarm(&client, "kept").send().await.expect("created");
    let before = cloud.snapshot().cloudwatch;

    let cases: Vec<(&str, PutMetricAlarmFluentBuilder, &str)> = vec![
        (
            "no name",
            cpu_alarm(&client, "x").set_alarm_name(None),
            "ValidationError",
        ),
        (
            "long name",
            cpu_alarm(&client, &"a".repeat(256)),
            "ValidationError",
        ),
        (
            "no metric",
            cpu_alarm(&client, "x").set_metric_name(None),
            "ValidationError",
        ),
        (
            "colon namespace",
            cpu_alarm(&client, "x").namespace(":bad"),
            "ValidationError",
        ),
        (
            "two statistics",
            cpu_alarm(&client, "x").extended_statistic("p99"),
            "InvalidParameterCombination",
        ),
        (
            "no statistic",
            cpu_alarm(&client, "x").set_statistic(None),
            "MissingParameter",
        ),
        (
            "bad percentile",
            cpu_alarm(&client, "x")
                .set_statistic(None)
                .extended_statistic("p101"),
            "InvalidParameterValue",
        ),
        (
            "odd period",
            cpu_alarm(&client, "x").period(45),
            "InvalidParameterValue",
        ),
        (
            "zero periods",
            cpu_alarm(&client, "x").evaluation_periods(0),
            "ValidationError",
        ),
        (
            "over a day",
            cpu_alarm(&client, "x").period(300).evaluation_periods(289),
            "InvalidParameterValue",
        ),
        (
            "datapoints beyond periods",
            cpu_alarm(&client, "x").datapoints_to_alarm(3),
            "InvalidParameterValue",
        ),
        (
            "no threshold",
            cpu_alarm(&client, "x").set_threshold(None),
            "ValidationError",
        ),
        (
            "no operator",
            cpu_alarm(&client, "x").set_comparison_operator(None),
            "ValidationError",
        ),
        (
            "band operator",
            cpu_alarm(&client, "x")
                .comparison_operator(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold),
            "InvalidParameterCombination",
        ),
        (
            "missing data",
            cpu_alarm(&client, "x").treat_missing_data("sometimes"),
            "InvalidParameterValue",
        ),
        (
            "bad action",
            cpu_alarm(&client, "x").ok_actions("not-an-arn"),
            "InvalidParameterValue",
        ),
        (
            "six actions",
            (0..5).fold(cpu_alarm(&client, "x"), |put, index| {
                put.alarm_actions(format!("arn:aws:sns:us-east-1:000000000000:t{index}"))
            }),
            "ValidationError",
        ),
        (
            "twice the dimension",
            cpu_alarm(&client, "x")
                .dimensions(Dimension::builder().name("InstanceId").value("i-2").build()),
            "InvalidParameterValue",
        ),
        (
            "reserved tag",
            cpu_alarm(&client, "x").tags(Tag::builder().key("aws:x").value("y").build()),
            "InvalidParameterValue",
        ),
    ];
    for (what, put, code) in cases {
        let error = put.send().await.expect_err(what);
        assert_eq!(error.code(), Some(code), "{what}: {error:?}");
        let message = error.message().unwrap_or_default();
        assert!(
            message.len() > 20,
            "{what}: the message says what to change: {message}"
        );
    }

    let error = client
        .set_alarm_state()
        .alarm_name("ghost")
        .state_value(StateValue::Alarm)
        .state_reason("r")
        .send()
        .await
        .expect_err("no such alarm");
    assert!(
        error
            .as_service_error()
            .is_some_and(SetAlarmStateError::is_resource_not_found),
        "{error:?}"
    );
    assert!(error.message().is_some_and(|m| m.contains("ghost")));
    let error = client
        .set_alarm_state()
        .alarm_name("kept")
        .state_value(StateValue::Alarm)
        .state_reason("r")
        .state_reason_data("{not json")
        .send()
        .await
        .expect_err("reason data that is not JSON");
    assert!(
        error
            .as_service_error()
            .is_some_and(SetAlarmStateError::is_invalid_format_fault),
        "{error:?}"
    );
    let error = client
        .delete_alarms()
        .alarm_names("kept")
        .alarm_names("ghost")
        .send()
        .await
        .expect_err("one alarm does not exist");
    assert!(
        error
            .as_service_error()
            .is_some_and(DeleteAlarmsError::is_resource_not_found),
        "{error:?}"
    );
    assert_eq!(cloud.snapshot().cloudwatch, before, "nothing changed");
    cloud.shutdown().await;
}

#[tokio::test]
async fn the_protocol_on_the_wire_and_alarms_surviving_a_restart() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.json");
    let (cloud, _clock) = start_with_state(Some(path.clone())).await;
    let addr = cloud.local_addr();
    let client = cloudwatch(&cloud).await;
    cpu_alarm(&client, "durable").send().await.expect("created");

    let post = |operation: &str, body: &[u8]| {
        support::request(
            &format!(
                "POST /service/GraniteServiceVersion20100801/operation/{operation} HTTP/1.1\r\nsmithy-protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\nAccept: application/cbor"
            ),
            body,
        )
    };
    // An empty map, then not CBOR at all, then an unknown operation.
    let (status, text) = support::exchange(addr, &post("DescribeAlarms", &[0xa0])).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("content-type: application/cbor"), "{text}");
    assert!(text.contains("smithy-protocol: rpc-v2-cbor"), "{text}");
    assert!(text.contains("durable"), "{text}");
    let (status, text) = support::exchange(addr, &post("DescribeAlarms", b"{\"json\": 1}")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("SerializationException"), "{text}");
    let (status, text) = support::exchange(addr, &post("PutDashboard", &[0xa0])).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("UnknownOperationException"), "{text}");
    assert!(text.contains("PutMetricAlarm"), "{text}");
    // An error names its shape in __type and its query code in a header.
    let (status, text) = support::exchange(
        addr,
        &post(
            "SetAlarmState",
            // {"AlarmName": "x", "StateValue": "OK", "StateReason": ""}
            &[
                0xa3, 0x69, b'A', b'l', b'a', b'r', b'm', b'N', b'a', b'm', b'e', 0x61, b'x', 0x6a,
                b'S', b't', b'a', b't', b'e', b'V', b'a', b'l', b'u', b'e', 0x62, b'O', b'K', 0x6b,
                b'S', b't', b'a', b't', b'e', b'R', b'e', b'a', b's', b'o', b'n', 0x60,
            ],
        ),
    )
    .await;
    assert_eq!(status, 404, "{text}");
    assert!(
        text.contains("x-amzn-query-error: ResourceNotFound;Sender"),
        "{text}"
    );
    assert!(
        text.contains("com.amazonaws.cloudwatch#ResourceNotFound"),
        "{text}"
    );
    let get = support::request(
        "GET /service/GraniteServiceVersion20100801/operation/DescribeAlarms HTTP/1.1\r\nsmithy-protocol: rpc-v2-cbor",
        b"",
    );
    let (status, text) = support::exchange(addr, &get).await;
    assert_eq!(status, 405, "{text}");
    let elsewhere = support::request(
        "POST /service/NoSuchService/operation/Anything HTTP/1.1\r\nsmithy-protocol: rpc-v2-cbor",
        &[0xa0],
    );
    let (status, text) = support::exchange(addr, &elsewhere).await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("NoSuchService"), "{text}");

    // Injected faults reach the SDK in CloudWatch's words.
    cloud.set_faults("cloudwatch=throttle:1".parse().expect("a fault spec"));
    let error = client
        .describe_alarms()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(error.code(), Some("Throttling"), "{error:?}");
    cloud.set_faults(
        "cloudwatch:DescribeAlarms=deny"
            .parse()
            .expect("a fault spec"),
    );
    let error = client.describe_alarms().send().await.expect_err("denied");
    assert_eq!(error.code(), Some("AccessDenied"), "{error:?}");
    assert!(
        error
            .message()
            .is_some_and(|message| message.contains("cloudwatch:DescribeAlarms")),
        "{error:?}"
    );
    cloud.set_faults(deploydesk::localcloud::FaultSpec::default());

    cloud.shutdown().await;
    let (cloud, _clock) = start_with_state(Some(path)).await;
    let client = cloudwatch(&cloud).await;
    assert!(
        describe(&client, "durable").await.is_some(),
        "the alarm survived"
    );
    cloud.shutdown().await;
}

/// Runs `aws cloudwatch ARGS` against `endpoint`; returns whether it
/// succeeded, its standard output and its standard error.
async fn aws_cloudwatch(endpoint: &str, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::from(support::aws_cli("cloudwatch", endpoint, args))
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
async fn alarms_with_the_cli() {
    if !support::aws_cli_available("alarms_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let (ok, out, err) = aws_cloudwatch(
        &endpoint,
        &[
            "put-metric-alarm",
            "--alarm-name",
            "high-cpu",
            "--metric-name",
            "CPUUtilization",
            "--namespace",
            "AWS/EC2",
            "--statistic",
            "Average",
            "--period",
            "60",
            "--evaluation-periods",
            "2",
            "--threshold",
            "80",
            "--comparison-operator",
            "GreaterThanThreshold",
            "--dimensions",
            "Name=InstanceId,Value=i-0123456789abcdef0",
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    let (ok, out, err) =
        aws_cloudwatch(&endpoint, &["describe-alarms", "--alarm-names", "high-cpu"]).await;
    assert!(ok, "{out}{err}");
    let described: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let alarm = &described["MetricAlarms"][0];
    assert_eq!(alarm["StateValue"], "INSUFFICIENT_DATA", "{out}");
    assert_eq!(alarm["Threshold"], 80.0, "{out}");
    // The CLI v1 shows timestamps as they came: epoch seconds.
    assert_eq!(
        alarm["StateUpdatedTimestamp"].as_f64(),
        Some(START.as_secs_f64()),
        "{out}"
    );

    let (ok, out, err) = aws_cloudwatch(
        &endpoint,
        &[
            "set-alarm-state",
            "--alarm-name",
            "high-cpu",
            "--state-value",
            "ALARM",
            "--state-reason",
            "Testing from the CLI",
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    let (ok, out, err) =
        aws_cloudwatch(&endpoint, &["describe-alarms", "--state-value", "ALARM"]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("Testing from the CLI"), "{out}");

    let (ok, out, err) = aws_cloudwatch(
        &endpoint,
        &[
            "set-alarm-state",
            "--alarm-name",
            "ghost",
            "--state-value",
            "OK",
            "--state-reason",
            "r",
        ],
    )
    .await;
    assert!(!ok, "{out}");
    assert!(err.contains("(ResourceNotFound)"), "{err}");
    assert!(err.contains("Alarm ghost not found"), "{err}");

    let (ok, out, err) =
        aws_cloudwatch(&endpoint, &["delete-alarms", "--alarm-names", "high-cpu"]).await;
    assert!(ok, "{out}{err}");
    let (ok, out, _) = aws_cloudwatch(&endpoint, &["describe-alarms"]).await;
    assert!(ok);
    assert!(!out.contains("high-cpu"), "{out}");
    cloud.shutdown().await;
}
