//! The local cloud under bad and unusual requests, sent as raw HTTP so that
//! nothing in a client library smooths them over.

use crate::support;

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use support::start;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A response as read off the wire.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("the body is not JSON ({error}): {}", self.body))
    }

    /// Checks that this is a CodeDeploy error of the given type.
    fn assert_json_error(&self, exception: &str) {
        assert_eq!(self.status, 400, "{self:?}");
        assert_eq!(self.header("x-amzn-errortype"), Some(exception), "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/x-amz-json-1.1"),
            "{self:?}"
        );
        let body = self.json();
        assert_eq!(body["__type"], exception, "{self:?}");
        let message = body["message"].as_str().expect("the error has a message");
        assert!(!message.is_empty(), "{self:?}");
    }
}

/// Sends `request` on a new connection and reads the whole response.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    parse(&support::send_raw(addr, request).await)
}

/// Reads an HTTP/1.1 response (with a `Content-Length` or until close).
fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response: {text:?}"));
    let mut lines = head.lines();
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A CodeDeploy request as the SDK would send it, signed for eu-west-1.
fn codedeploy_request(operation: &str, body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CodeDeploy_20141006.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/eu-west-1/codedeploy/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=deadbeef\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn call(addr: SocketAddr, operation: &str, body: &str) -> Reply {
    exchange(addr, &codedeploy_request(operation, body)).await
}

#[tokio::test]
async fn unknown_operations_and_services_get_json_errors() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    let reply = call(addr, "DeleteEverything", "{}").await;
    reply.assert_json_error("UnknownOperationException");
    assert_eq!(
        reply.json()["message"],
        "The local cloud does not implement CodeDeploy operation DeleteEverything yet."
    );
    assert!(reply.header("x-amzn-requestid").is_some());

    let other_service = exchange(
        addr,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .await;
    other_service.assert_json_error("UnknownOperationException");
    assert!(other_service.body.contains("DynamoDB_20120810"));

    let wrong_method = exchange(
        addr,
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: CodeDeploy_20141006.ListApplications\r\nConnection: close\r\n\r\n",
    )
    .await;
    wrong_method.assert_json_error("UnknownOperationException");
    assert!(wrong_method.body.contains("POST"));
    cloud.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_are_serialization_errors() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    for body in [
        "{\"applicationName\": ",
        "not json at all",
        "[\"web\"]",
        "{\"applicationName\": 5}",
        "{\"applicationName\": \"web\", \"tags\": {\"Key\": \"x\"}}",
    ] {
        let reply = call(addr, "CreateApplication", body).await;
        reply.assert_json_error("SerializationException");
    }
    // The server is unharmed and an empty body counts as `{}`.
    let listed = call(addr, "ListApplications", "").await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.json(), serde_json::json!({ "applications": [] }));
    cloud.shutdown().await;
}

#[tokio::test]
async fn missing_required_members_name_what_is_missing() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    call(addr, "CreateApplication", r#"{"applicationName": "web"}"#).await;
    for (operation, body, exception) in [
        (
            "CreateApplication",
            "{}",
            "ApplicationNameRequiredException",
        ),
        (
            "CreateApplication",
            r#"{"applicationName": ""}"#,
            "ApplicationNameRequiredException",
        ),
        ("GetApplication", "{}", "ApplicationNameRequiredException"),
        (
            "GetDeploymentGroup",
            r#"{"applicationName": "web"}"#,
            "DeploymentGroupNameRequiredException",
        ),
        (
            "CreateDeploymentGroup",
            r#"{"applicationName": "web", "deploymentGroupName": "prod"}"#,
            "RoleRequiredException",
        ),
        (
            "CreateDeploymentConfig",
            "{}",
            "DeploymentConfigNameRequiredException",
        ),
        (
            "RegisterApplicationRevision",
            r#"{"applicationName": "web"}"#,
            "RevisionRequiredException",
        ),
        (
            "RegisterOnPremisesInstance",
            "{}",
            "InstanceNameRequiredException",
        ),
        ("TagResource", "{}", "ResourceArnRequiredException"),
        (
            "UntagResource",
            r#"{"ResourceArn": "arn:aws:codedeploy:eu-west-1:000000000000:application:web"}"#,
            "TagRequiredException",
        ),
        (
            "BatchGetApplications",
            "{}",
            "ApplicationNameRequiredException",
        ),
    ] {
        let reply = call(addr, operation, body).await;
        reply.assert_json_error(exception);
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn names_that_break_the_rules_and_duplicates_are_refused() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    let long = "a".repeat(101);
    for (operation, body, exception) in [
        (
            "CreateApplication",
            r#"{"applicationName": "my app"}"#.to_owned(),
            "InvalidApplicationNameException",
        ),
        (
            "CreateApplication",
            format!(r#"{{"applicationName": "{long}"}}"#),
            "InvalidApplicationNameException",
        ),
        (
            "GetApplication",
            r#"{"applicationName": "semi;colon"}"#.to_owned(),
            "InvalidApplicationNameException",
        ),
        (
            "CreateDeploymentConfig",
            r#"{"deploymentConfigName": "bad name", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}}"#.to_owned(),
            "InvalidDeploymentConfigNameException",
        ),
        (
            "RegisterOnPremisesInstance",
            r#"{"instanceName": "rack 1", "iamUserArn": "arn:aws:iam::000000000000:user/r"}"#.to_owned(),
            "InvalidInstanceNameException",
        ),
        (
            "CreateApplication",
            r#"{"applicationName": "tagged", "tags": [{"Key": "k", "Value": "no;semicolons"}]}"#.to_owned(),
            "InvalidTagsToAddException",
        ),
    ] {
        let reply = call(addr, operation, &body).await;
        reply.assert_json_error(exception);
    }
    let first = call(addr, "CreateApplication", r#"{"applicationName": "web"}"#).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(first.json()["applicationId"].is_string());
    let again = call(addr, "CreateApplication", r#"{"applicationName": "web"}"#).await;
    again.assert_json_error("ApplicationAlreadyExistsException");
    let group = call(
        addr,
        "CreateDeploymentGroup",
        r#"{"applicationName": "web", "deploymentGroupName": "a/b", "serviceRoleArn": "arn:aws:iam::000000000000:role/R"}"#,
    )
    .await;
    group.assert_json_error("InvalidDeploymentGroupNameException");
    cloud.shutdown().await;
}

#[tokio::test]
async fn timestamps_are_epoch_seconds_and_absent_members_are_left_out() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    call(addr, "CreateApplication", r#"{"applicationName": "web"}"#).await;
    let reply = call(addr, "GetApplication", r#"{"applicationName": "web"}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    let application = &reply.json()["application"];
    assert_eq!(
        application["createTime"].as_f64(),
        Some(support::START.as_secs_f64())
    );
    assert_eq!(application["computePlatform"], "Server");
    assert!(
        application.get("gitHubAccountName").is_none(),
        "{application}"
    );
    let listed = call(addr, "ListApplications", "{}").await.json();
    assert!(listed.get("nextToken").is_none(), "{listed}");
    cloud.shutdown().await;
}

#[tokio::test]
async fn other_protocols_get_errors_in_their_own_format() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    let ec2_body = "Action=DescribeVpcs&Version=2016-11-15";
    let ec2 = exchange(
        addr,
        format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ec2_body}",
            ec2_body.len()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(ec2.status, 400, "{ec2:?}");
    assert!(
        ec2.body
            .contains("<Response><Errors><Error><Code>InvalidAction</Code>"),
        "{ec2:?}"
    );
    assert!(ec2.body.contains("DescribeVpcs"), "{ec2:?}");

    let iam = exchange(
        addr,
        b"GET /?Action=ListEverything&Version=2010-05-08 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(iam.status, 400, "{iam:?}");
    assert!(
        iam.body
            .contains("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>"),
        "{iam:?}"
    );

    let s3 = exchange(
        addr,
        b"PUT /bundles/web.zip HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\nzip",
    )
    .await;
    assert_eq!(s3.status, 404, "{s3:?}");
    assert!(
        s3.body.contains("<Error><Code>NoSuchBucket</Code>"),
        "{s3:?}"
    );
    assert!(
        s3.body.contains("<Resource>/bundles/web.zip</Resource>"),
        "{s3:?}"
    );

    for reply in [&ec2, &iam, &s3] {
        assert!(!reply.body.to_lowercase().contains("<html"), "{reply:?}");
        assert!(
            reply
                .header("content-type")
                .is_some_and(|kind| kind.contains("xml")),
            "{reply:?}"
        );
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn garbage_and_half_sent_requests_do_not_stop_other_clients() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();

    // Bytes that are not HTTP at all: the connection is refused or answered
    // with an error, and the server carries on.
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    garbage
        .write_all(b"\x00\x01\x02 NOT HTTP \xff\xfe\r\n\r\n")
        .await
        .unwrap();
    let mut ignored = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut ignored))
        .await
        .expect("the server closes a connection that is not HTTP")
        .ok();

    // A client that sends half a request and then waits forever.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: CodeDeploy_20141006.CreateApplication\r\nContent-Length: 1000\r\n\r\n{\"applicationName\": \"half",
        )
        .await
        .unwrap();

    // Other clients are served meanwhile, over raw HTTP and the SDK.
    let created = call(
        addr,
        "CreateApplication",
        r#"{"applicationName": "served"}"#,
    )
    .await;
    assert_eq!(created.status, 200, "{created:?}");
    let client = support::codedeploy(&cloud, "us-east-1").await;
    let names = client.list_applications().send().await.unwrap();
    assert_eq!(names.applications(), ["served"]);

    // Shutting down does not wait forever for the stalled client.
    tokio::time::timeout(Duration::from_secs(10), cloud.shutdown())
        .await
        .expect("shutdown finishes even with a stalled client");
    drop(stalled);
}

/// An EC2 query request with `form` as its POST body, signed for
/// eu-west-1.
fn ec2_request(form: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20240501/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

/// Checks that `reply` is an EC2 error with `code`, in EC2's format.
fn assert_ec2_error(reply: &Reply, code: &str) {
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(
        reply.body.contains(&format!(
            "<Response><Errors><Error><Code>{code}</Code><Message>"
        )),
        "{reply:?}"
    );
    let request_id = reply.header("x-amzn-requestid").expect("a request id");
    assert!(
        reply
            .body
            .contains(&format!("<RequestID>{request_id}</RequestID></Response>")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn ec2_answers_get_and_post_queries_in_its_xml() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    let regions = exchange(
        addr,
        b"GET /?Action=DescribeRegions&Version=2016-11-15&RegionName.1=eu-west-1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(regions.status, 200, "{regions:?}");
    assert!(
        regions
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("text/xml")),
        "{regions:?}"
    );
    let request_id = regions.header("x-amzn-requestid").expect("a request id");
    assert!(
        regions.body.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeRegionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{request_id}</requestId><regionInfo><item><regionName>eu-west-1</regionName>"
        )),
        "{regions:?}"
    );

    let form = "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=1\
                &TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name\
                &TagSpecification.1.Tag.1.Value=web+%26+%3Cdb%3E";
    let launched = exchange(addr, &ec2_request(form)).await;
    assert_eq!(launched.status, 200, "{launched:?}");
    assert!(
        launched
            .body
            .contains("<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"),
        "{launched:?}"
    );
    assert!(
        launched.body.contains(
            "<tagSet><item><key>Name</key><value>web &amp; &lt;db&gt;</value></item></tagSet>"
        ),
        "{launched:?}"
    );
    assert!(
        launched
            .body
            .contains("<instanceState><code>0</code><name>pending</name></instanceState>"),
        "{launched:?}"
    );
    assert!(
        launched
            .body
            .contains("<launchTime>2024-05-01T12:00:00.000Z</launchTime>"),
        "{launched:?}"
    );
    assert!(
        launched
            .body
            .contains("<placement><availabilityZone>eu-west-1a</availabilityZone>"),
        "{launched:?}"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn malformed_ec2_forms_get_ec2_errors_and_the_server_keeps_serving() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();
    for (form, code) in [
        ("Action=DescribeInstances", "MissingParameter"),
        (
            "Action=DescribeInstances&Version=2099-01-01",
            "NoSuchVersion",
        ),
        ("Action=DescribeVpcs&Version=2016-11-15", "InvalidAction"),
        ("Action=&Version=2016-11-15", "InvalidAction"),
        (
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.0=i-12345678",
            "UnknownParameter",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.one=i-12345678",
            "UnknownParameter",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-12345678&InstanceId.1=i-87654321",
            "InvalidParameter",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=%ff%fe",
            "InvalidInstanceID.Malformed",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&MaxResults=lots",
            "InvalidParameterValue",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Value.1=x",
            "MissingParameter",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag-key",
            "InvalidParameterValue",
        ),
        (
            "Action=DescribeInstances&Version=2016-11-15&DryRun=maybe",
            "InvalidParameterValue",
        ),
        (
            "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MaxCount=1",
            "MissingParameter",
        ),
        (
            "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=99999999999999999999",
            "InvalidParameterValue",
        ),
        (
            "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=1&TagSpecification.1.Tag.1.Key=a",
            "MissingParameter",
        ),
        (
            "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=1&TagSpecification.1.ResourceType=planet",
            "InvalidParameterValue",
        ),
        (
            "Action=StopInstances&Version=2016-11-15",
            "MissingParameter",
        ),
        (
            "Action=CreateTags&Version=2016-11-15&Tag.1.Key=a",
            "MissingParameter",
        ),
    ] {
        let reply = exchange(addr, &ec2_request(form)).await;
        assert_ec2_error(&reply, code);
    }
    // The same through a GET query string, unsigned.
    let reply = exchange(
        addr,
        b"GET /?Action=TerminateInstances&Version=2016-11-15&InstanceId.1=nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_ec2_error(&reply, "InvalidInstanceID.Malformed");

    // Nothing was launched, and the server still answers.
    let described = exchange(
        addr,
        &ec2_request("Action=DescribeInstances&Version=2016-11-15"),
    )
    .await;
    assert_eq!(described.status, 200, "{described:?}");
    assert!(
        described.body.contains("<reservationSet/>"),
        "{described:?}"
    );
    assert!(cloud.snapshot().ec2.instances.is_empty());
    cloud.shutdown().await;
}

#[tokio::test]
async fn the_sso_portal_trades_a_token_for_role_credentials() {
    let (cloud, _clock) = start().await;
    let reply = exchange(
        cloud.local_addr(),
        b"GET /federation/credentials?account_id=111122223333&role_name=Deployer HTTP/1.1\r\nHost: x\r\nx-amz-sso_bearer_token: token-from-sso-login\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let credentials = &reply.json()["roleCredentials"];
    let key = credentials["accessKeyId"].as_str().expect("a key id");
    assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
    assert!(credentials["secretAccessKey"].as_str().is_some());
    assert!(credentials["sessionToken"].as_str().is_some());
    assert!(credentials["expiration"].as_u64().expect("an expiry") > 1_700_000_000_000);

    let refused = exchange(
        cloud.local_addr(),
        b"GET /federation/credentials?account_id=111122223333&role_name=Deployer HTTP/1.1\r\nHost: x\r\nx-amz-sso_bearer_token: \r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(
        refused.header("x-amzn-errortype"),
        Some("UnauthorizedException")
    );

    let incomplete = exchange(
        cloud.local_addr(),
        b"GET /federation/credentials?role_name=Deployer HTTP/1.1\r\nHost: x\r\nx-amz-sso_bearer_token: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(incomplete.status, 400, "{incomplete:?}");
    assert_eq!(
        incomplete.header("x-amzn-errortype"),
        Some("InvalidRequestException")
    );
}
