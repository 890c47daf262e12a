//! Helpers shared by the local cloud's integration tests: starting the
//! cloud on a free loopback port and pointing clients at it.

#![allow(dead_code)]

pub mod serve;
pub mod subscriber;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::config::Region;
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions, ManualClock, Timestamp};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The time the manual clock of a test starts at: 2024-05-01 12:00:00 UTC.
pub const START: Timestamp = Timestamp::from_secs(1_714_564_800);

/// A local cloud in memory on any free port, with a manual clock.
pub async fn start() -> (LocalCloud, Arc<ManualClock>) {
    start_with_state(None).await
}

/// A local cloud on any free port with a manual clock and the given state file.
pub async fn start_with_state(state_path: Option<PathBuf>) -> (LocalCloud, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let cloud = LocalCloud::start_with_clock(
        LocalCloudOptions {
            port: 0,
            state_path,
            ..LocalCloudOptions::default()
        },
        clock.clone(),
    )
    .await
    .expect("the local cloud starts");
    (cloud, clock)
}

/// An SDK client for the local cloud, signing for `region` with made-up keys.
pub async fn codedeploy(cloud: &LocalCloud, region: &str) -> aws_sdk_codedeploy::Client {
    codedeploy_at(&cloud.endpoint_url(), region).await
}

/// An SDK client for the endpoint `url`, signing for `region` with made-up keys.
pub async fn codedeploy_at(url: &str, region: &str) -> aws_sdk_codedeploy::Client {
    aws_sdk_codedeploy::Client::new(&config_at(url, region, RetryConfig::standard()).await)
}

/// An EC2 SDK client for the local cloud, signing for `region` with made-up
/// keys and without retries, so that an error reaches the test as sent.
pub async fn ec2(cloud: &LocalCloud, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(
        &config_at(&cloud.endpoint_url(), region, RetryConfig::disabled()).await,
    )
}

/// Creates Auto Scaling group `name` of `desired` instances (at most five,
/// in `us-east-1a`) through the SDK, from a launch template of its own
/// whose instances are tagged `Role=web` and with `tags`.
pub async fn auto_scaling_group(
    cloud: &LocalCloud,
    name: &str,
    desired: i32,
    tags: &[(&str, &str)],
) {
    use aws_sdk_ec2::types::{
        LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType, Tag,
    };
    let config = config_at(&cloud.endpoint_url(), "us-east-1", RetryConfig::disabled()).await;
    let template = format!("{name}-template");
    let mut tagged = LaunchTemplateTagSpecificationRequest::builder()
        .resource_type(ResourceType::Instance)
        .tags(Tag::builder().key("Role").value("web").build());
    for (key, value) in tags {
        tagged = tagged.tags(Tag::builder().key(*key).value(*value).build());
    }
    let profile = instance_profile(cloud).await;
    aws_sdk_ec2::Client::new(&config)
        .create_launch_template()
        .launch_template_name(&template)
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id("ami-0abcdef1234567890")
                .iam_instance_profile(
                    aws_sdk_ec2::types::LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                        .name(profile)
                        .build(),
                )
                .tag_specifications(tagged.build())
                .build(),
        )
        .send()
        .await
        .expect("the launch template is created");
    aws_sdk_autoscaling::Client::new(&config)
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(&template)
                .version("$Latest")
                .build(),
        )
        .min_size(0)
        .max_size(5)
        .desired_capacity(desired)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("the Auto Scaling group is created");
}

/// The instance profile `WebInstanceProfile`, made through IAM unless it
/// exists: its role lets Systems Manager manage the instances and lets them
/// read any bucket, so the CodeDeploy agent of an instance launched with it
/// can be reached. Returns its name.
pub async fn instance_profile(cloud: &LocalCloud) -> &'static str {
    const ROLE: &str = "WebInstanceRole";
    const PROFILE: &str = "WebInstanceProfile";
    let config = config_at(&cloud.endpoint_url(), "us-east-1", RetryConfig::disabled()).await;
    let iam = aws_sdk_iam::Client::new(&config);
    if iam
        .get_instance_profile()
        .instance_profile_name(PROFILE)
        .send()
        .await
        .is_ok()
    {
        return PROFILE;
    }
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name(ROLE)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("the role is created");
    for policy in [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    ] {
        iam.attach_role_policy()
            .role_name(ROLE)
            .policy_arn(policy)
            .send()
            .await
            .expect("the policy is attached");
    }
    iam.create_instance_profile()
        .instance_profile_name(PROFILE)
        .send()
        .await
        .expect("the instance profile is created");
    iam.add_role_to_instance_profile()
        .instance_profile_name(PROFILE)
        .role_name(ROLE)
        .send()
        .await
        .expect("the role is added to the instance profile");
    PROFILE
}

/// The SDK configuration for the endpoint `url`, signing for `region` with
/// made-up keys and retrying as `retry` says.
pub async fn config_at(url: &str, region: &str, retry: RetryConfig) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(retry)
        .load()
        .await
}

/// The names `ListApplications` returns on its first page.
pub async fn application_names(client: &aws_sdk_codedeploy::Client) -> Vec<String> {
    client
        .list_applications()
        .send()
        .await
        .expect("the applications can be listed")
        .applications()
        .to_vec()
}

/// Waits until `condition` holds, checking every few milliseconds, and fails
/// the test if it does not hold within five seconds.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Whether the AWS CLI can be used. Without it the calling test should say
/// it was skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is set: then
/// this panics, so that CI cannot skip the CLI tests silently.
pub fn aws_cli_available(test: &str) -> bool {
    let found = std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var("DEPLOYDESK_REQUIRE_AWSCLI").as_deref() != Ok("1"),
            "The AWS CLI is not on PATH but DEPLOYDESK_REQUIRE_AWSCLI=1 requires it; install it with `pip install awscli`."
        );
        println!(
            "skipped {test}: the AWS CLI is not on PATH (install it with `pip install awscli`)"
        );
    }
    found
}

/// The command `aws deploy ARGS` against `endpoint`, printing JSON, with
/// made-up credentials, no config files and no retries.
pub fn aws_deploy(endpoint: &str, args: &[&str]) -> std::process::Command {
    aws_cli("deploy", endpoint, args)
}

/// The command `aws SERVICE ARGS` (`deploy`, `ec2`, ...) against
/// `endpoint`, printing JSON, with made-up credentials, no config files and
/// no retries.
pub fn aws_cli(service: &str, endpoint: &str, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new("aws");
    command
        .arg(service)
        .args(args)
        .args(["--endpoint-url", endpoint, "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    command
}

/// What one AWS CLI run gave.
#[derive(Debug)]
pub struct Run {
    /// Whether the CLI exited zero.
    pub success: bool,
    /// What it printed.
    pub stdout: String,
    /// What it printed on standard error.
    pub stderr: String,
}

impl Run {
    /// What it printed, as JSON; fails the test if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("the CLI printed no JSON ({error}): {self:?}"))
    }
}

/// Runs `aws SERVICE ARGS` against `endpoint` as [`aws_cli`] sets it up.
pub async fn aws(service: &str, endpoint: &str, args: &[&str]) -> Run {
    let output = tokio::process::Command::from(aws_cli(service, endpoint, args))
        .output()
        .await
        .expect("the AWS CLI runs");
    Run {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `aws SERVICE ARGS` and returns what it printed as JSON (`Null`
/// when it printed nothing), failing the test if the CLI failed.
pub async fn aws_ok(service: &str, endpoint: &str, args: &[&str]) -> serde_json::Value {
    let run = aws(service, endpoint, args).await;
    assert!(run.success, "aws {service} {args:?}: {run:?}");
    if run.stdout.trim().is_empty() {
        serde_json::Value::Null
    } else {
        run.json()
    }
}

/// A zip holding `index.py` with `body`: a Lambda function's package.
pub fn zip_package(body: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("index.py", zip::write::SimpleFileOptions::default())
        .expect("a zip entry starts");
    writer
        .write_all(body.as_bytes())
        .expect("the entry is written");
    writer.finish().expect("the zip is finished").into_inner()
}

/// Sends `request` on a new connection and returns the whole response,
/// failing the test if the server does not answer within five seconds.
pub async fn send_raw(addr: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    stream.write_all(request).await.expect("sends");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .expect("the server answers within five seconds")
        .expect("reads");
    raw
}

/// Sends `request` on a new connection and returns the status and the
/// whole response text.
pub async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    let raw = send_raw(addr, request).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    (status, text)
}

/// A request with the given head lines and body, closing the connection.
pub fn request(head: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "{head}\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
