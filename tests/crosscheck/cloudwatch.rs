//! CloudWatch alarms, checked against both backends.
//!
//! The AWS SDK for Rust speaks Smithy RPC v2 CBOR to CloudWatch, which
//! moto 5.2.1 does not understand (it serves CloudWatch's JSON and query
//! flavours only), so the SDK test runs on the local cloud alone and says
//! so on moto. The same operations in CloudWatch's `awsJson1_0` flavour,
//! which the AWS CLI v1 sends and both backends serve, are checked on both.

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::crosscheck;

/// What a JSON call answered: its status, its error code (from the
/// `x-amzn-query-error` header, or else `__type`) and its body.
struct Answer {
    status: u16,
    code: Option<String>,
    body: Value,
}

/// Calls CloudWatch's `operation` in the `awsJson1_0` flavour at
/// `endpoint` with `input`, as the AWS CLI v1 does.
async fn call(endpoint: &str, operation: &str, input: &Value) -> Answer {
    let address = endpoint.trim_start_matches("http://");
    let body = input.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: GraniteServiceVersion20100801.{operation}\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-query-mode: true\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("reads");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status");
    let body: Value = if body.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(body).unwrap_or_else(|error| panic!("JSON ({error}): {body}"))
    };
    let header_code = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("x-amzn-query-error").then(|| {
            value
                .trim()
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    });
    let code = header_code.or_else(|| {
        body["__type"]
            .as_str()
            .map(|kind| kind.rsplit('#').next().unwrap_or(kind).to_owned())
    });
    Answer { status, code, body }
}

/// The input of `PutMetricAlarm` for a CPU alarm named `name`.
fn cpu_alarm(name: &str) -> Value {
    json!({
        "AlarmName": name,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/EC2",
        "Statistic": "Average",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
        "Period": 60,
        "EvaluationPeriods": 2,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold"
    })
}

crosscheck!(
    alarms_in_the_json_flavour,
    |clients: crate::Clients| async move {
        let endpoint = clients.endpoint.clone();
        let name = clients.unique("cpu");
        let put = call(&endpoint, "PutMetricAlarm", &cpu_alarm(&name)).await;
        assert_eq!(put.status, 200, "{}", put.body);

        let described = call(&endpoint, "DescribeAlarms", &json!({"AlarmNames": [name]})).await;
        assert_eq!(described.status, 200, "{}", described.body);
        let alarm = &described.body["MetricAlarms"][0];
        assert_eq!(alarm["AlarmName"], name.as_str());
        assert_eq!(alarm["MetricName"], "CPUUtilization");
        assert_eq!(alarm["Threshold"], 80.0);
        assert_eq!(alarm["Period"], 60);
        assert_eq!(alarm["Dimensions"][0]["Name"], "InstanceId");
        assert!(alarm["StateUpdatedTimestamp"].is_number(), "{alarm}");
        assert!(
            alarm["AlarmArn"]
                .as_str()
                .is_some_and(|arn| arn.ends_with(&format!(":alarm:{name}"))),
            "{alarm}"
        );
        if !clients
            .moto_differs("moto starts a new alarm in OK; AWS starts it in INSUFFICIENT_DATA")
        {
            assert_eq!(alarm["StateValue"], "INSUFFICIENT_DATA");
        }

        let set = call(
            &endpoint,
            "SetAlarmState",
            &json!({"AlarmName": name, "StateValue": "ALARM", "StateReason": "testing"}),
        )
        .await;
        assert_eq!(set.status, 200, "{}", set.body);
        let in_alarm = call(
            &endpoint,
            "DescribeAlarms",
            &json!({"AlarmNamePrefix": name, "StateValue": "ALARM"}),
        )
        .await;
        assert_eq!(in_alarm.body["MetricAlarms"][0]["StateReason"], "testing");

        let missing = call(
            &endpoint,
            "SetAlarmState",
            &json!({"AlarmName": clients.unique("ghost"), "StateValue": "OK", "StateReason": "r"}),
        )
        .await;
        assert_eq!(missing.status, 404, "{}", missing.body);
        assert_eq!(missing.code.as_deref(), Some("ResourceNotFound"));

        let mut odd = cpu_alarm(&clients.unique("odd"));
        odd["Period"] = json!(45);
        let bad_period = call(&endpoint, "PutMetricAlarm", &odd).await;
        if !clients
            .moto_differs("moto accepts any period; AWS takes 10, 20, 30 or a multiple of 60")
        {
            assert_eq!(bad_period.status, 400, "{}", bad_period.body);
            assert_eq!(bad_period.code.as_deref(), Some("InvalidParameterValue"));
        }

        let deleted = call(&endpoint, "DeleteAlarms", &json!({"AlarmNames": [name]})).await;
        assert_eq!(deleted.status, 200, "{}", deleted.body);
        let gone = call(&endpoint, "DescribeAlarms", &json!({"AlarmNames": [name]})).await;
        assert_eq!(gone.body["MetricAlarms"], json!([]));
        let again = call(&endpoint, "DeleteAlarms", &json!({"AlarmNames": [name]})).await;
        if !clients.moto_differs(
            "moto deletes alarms that do not exist without a word; AWS documents ResourceNotFound",
        ) {
            assert_eq!(
                again.code.as_deref(),
                Some("ResourceNotFound"),
                "{}",
                again.body
            );
        }
        clients.finish().await;
    }
);

crosscheck!(alarms_with_the_sdk, |clients: crate::Clients| async move {
    if clients.moto_differs(
            "moto 5.2.1 does not understand Smithy RPC v2 CBOR, which the AWS SDK for Rust sends to CloudWatch (the JSON test covers moto)",
        ) {
            return;
        }
    let cloudwatch = &clients.cloudwatch;
    let name = clients.unique("sdk");
    cloudwatch
        .put_metric_alarm()
        .alarm_name(&name)
        .metric_name("Errors")
        .namespace("DeployDesk")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await
        .expect("created");
    cloudwatch
        .set_alarm_state()
        .alarm_name(&name)
        .state_value(StateValue::Alarm)
        .state_reason("testing")
        .send()
        .await
        .expect("set");
    let described = cloudwatch
        .describe_alarms()
        .alarm_names(&name)
        .send()
        .await
        .expect("described");
    assert_eq!(
        described.metric_alarms()[0].state_value(),
        Some(&StateValue::Alarm)
    );
    let error = cloudwatch
        .set_alarm_state()
        .alarm_name(clients.unique("ghost"))
        .state_value(StateValue::Ok)
        .state_reason("r")
        .send()
        .await
        .expect_err("no such alarm");
    assert_eq!(error.code(), Some("ResourceNotFound"));
    cloudwatch
        .delete_alarms()
        .alarm_names(&name)
        .send()
        .await
        .expect("deleted");
    clients.finish().await;
});
