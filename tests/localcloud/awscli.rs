//! The local cloud driven by the AWS CLI, as a person at a terminal would:
//! CodeDeploy, EC2 and S3.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

use crate::support;

use serde_json::Value;
use support::{Run, aws as aws_service, aws_cli, aws_cli_available, start};
use tokio::process::Command;

/// Runs `aws deploy ARGS` against the local cloud with made-up credentials
/// and no config files.
async fn aws(endpoint: &str, args: &[&str]) -> Run {
    aws_service("deploy", endpoint, args).await
}

#[tokio::test]
async fn applications_and_groups_with_the_cli() {
    if !aws_cli_available("applications_and_groups_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();

    let created = aws(
        &endpoint,
        &["create-application", "--application-name", "web"],
    )
    .await;
    assert!(created.success, "{created:?}");
    assert!(created.json()["applicationId"].is_string(), "{created:?}");

    let listed = aws(&endpoint, &["list-applications"]).await;
    assert!(listed.success, "{listed:?}");
    assert_eq!(listed.json()["applications"], serde_json::json!(["web"]));

    let group = aws(
        &endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "web",
            "--deployment-group-name",
            "prod",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
            "--deployment-config-name",
            "CodeDeployDefault.HalfAtATime",
            "--ec2-tag-filters",
            "Key=Name,Value=web,Type=KEY_AND_VALUE",
        ],
    )
    .await;
    assert!(group.success, "{group:?}");

    let got = aws(
        &endpoint,
        &[
            "get-deployment-group",
            "--application-name",
            "web",
            "--deployment-group-name",
            "prod",
        ],
    )
    .await;
    assert!(got.success, "{got:?}");
    let info = &got.json()["deploymentGroupInfo"];
    assert_eq!(
        info["deploymentConfigName"],
        "CodeDeployDefault.HalfAtATime"
    );
    assert_eq!(
        info["ec2TagFilters"],
        serde_json::json!([{"Key": "Name", "Value": "web", "Type": "KEY_AND_VALUE"}])
    );

    let app = aws(&endpoint, &["get-application", "--application-name", "web"]).await;
    assert!(app.success, "{app:?}");
    assert_eq!(app.json()["application"]["computePlatform"], "Server");
    cloud.shutdown().await;
}

#[tokio::test]
async fn cli_errors_carry_the_exception_names() {
    if !aws_cli_available("cli_errors_carry_the_exception_names") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();

    let missing = aws(
        &endpoint,
        &["get-application", "--application-name", "ghost"],
    )
    .await;
    assert!(!missing.success, "{missing:?}");
    assert!(
        missing.stderr.contains("ApplicationDoesNotExistException"),
        "{missing:?}"
    );

    let hundred = aws(
        &endpoint,
        &[
            "create-deployment-config",
            "--deployment-config-name",
            "All.Healthy",
            "--minimum-healthy-hosts",
            "type=FLEET_PERCENT,value=100",
        ],
    )
    .await;
    assert!(!hundred.success, "{hundred:?}");
    assert!(
        hundred
            .stderr
            .contains("InvalidMinimumHealthyHostValueException"),
        "{hundred:?}"
    );
    assert!(hundred.stderr.contains("between 0 and 99"), "{hundred:?}");

    let bad_name = aws(
        &endpoint,
        &["create-application", "--application-name", "my app"],
    )
    .await;
    assert!(!bad_name.success, "{bad_name:?}");
    assert!(
        bad_name.stderr.contains("InvalidApplicationNameException"),
        "{bad_name:?}"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn deployment_configs_with_the_cli() {
    if !aws_cli_available("deployment_configs_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();

    let created = aws(
        &endpoint,
        &[
            "create-deployment-config",
            "--deployment-config-name",
            "Mostly.Healthy",
            "--minimum-healthy-hosts",
            "type=FLEET_PERCENT,value=75",
        ],
    )
    .await;
    assert!(created.success, "{created:?}");

    let listed = aws(&endpoint, &["list-deployment-configs"]).await;
    assert!(listed.success, "{listed:?}");
    let names = listed.json()["deploymentConfigsList"].clone();
    let names: Vec<&str> = names
        .as_array()
        .expect("a list of names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(names.contains(&"Mostly.Healthy"), "{names:?}");
    assert!(names.contains(&"CodeDeployDefault.OneAtATime"), "{names:?}");

    let one = aws(
        &endpoint,
        &[
            "get-deployment-config",
            "--deployment-config-name",
            "CodeDeployDefault.OneAtATime",
        ],
    )
    .await;
    assert!(one.success, "{one:?}");
    assert_eq!(
        one.json()["deploymentConfigInfo"]["minimumHealthyHosts"],
        serde_json::json!({"type": "MOST_CONCURRENCY", "value": 1})
    );
    cloud.shutdown().await;
}

/// The instance ids in `describe-instances` output.
fn described_ids(described: &Value) -> Vec<String> {
    let mut ids: Vec<String> = described["Reservations"]
        .as_array()
        .expect("a list of reservations")
        .iter()
        .flat_map(|reservation| {
            reservation["Instances"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|instance| instance["InstanceId"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn ec2_instances_with_the_cli() {
    if !aws_cli_available("ec2_instances_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let ec2 = |args: &'static [&'static str]| aws_service("ec2", &endpoint, args);

    let launched = ec2(&[
        "run-instances",
        "--image-id",
        "ami-0abcdef1234567890",
        "--count",
        "2",
        "--instance-type",
        "t3.micro",
        "--tag-specifications",
        "ResourceType=instance,Tags=[{Key=Environment,Value=production},{Key=Name,Value=web}]",
    ])
    .await;
    assert!(launched.success, "{launched:?}");
    let launched = launched.json();
    assert!(
        launched["ReservationId"]
            .as_str()
            .is_some_and(|id| id.starts_with("r-"))
    );
    let instances = launched["Instances"]
        .as_array()
        .expect("a list of instances");
    assert_eq!(instances.len(), 2, "{launched}");
    assert_eq!(instances[0]["State"]["Name"], "pending");
    assert_eq!(instances[0]["InstanceType"], "t3.micro");
    let mut production: Vec<String> = instances
        .iter()
        .map(|instance| instance["InstanceId"].as_str().expect("an id").to_owned())
        .collect();
    production.sort();
    let staging = ec2(&[
        "run-instances",
        "--image-id",
        "ami-0abcdef1234567890",
        "--count",
        "1",
        "--tag-specifications",
        "ResourceType=instance,Tags=[{Key=Environment,Value=staging}]",
    ])
    .await;
    assert!(staging.success, "{staging:?}");
    let staging_id = staging.json()["Instances"][0]["InstanceId"]
        .as_str()
        .expect("an id")
        .to_owned();
    clock.advance_millis(deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS);

    let found = ec2(&[
        "describe-instances",
        "--filters",
        "Name=tag:Environment,Values=production",
    ])
    .await;
    assert!(found.success, "{found:?}");
    assert_eq!(described_ids(&found.json()), production);

    let tagged = aws_service(
        "ec2",
        &endpoint,
        &[
            "create-tags",
            "--resources",
            &staging_id,
            "--tags",
            "Key=Environment,Value=production",
        ],
    )
    .await;
    assert!(tagged.success, "{tagged:?}");
    let found = ec2(&[
        "describe-instances",
        "--filters",
        "Name=tag:Environment,Values=production",
        "Name=instance-state-name,Values=running",
    ])
    .await;
    assert!(found.success, "{found:?}");
    let mut all = production.clone();
    all.push(staging_id.clone());
    all.sort();
    assert_eq!(described_ids(&found.json()), all);

    let stopped = aws_service(
        "ec2",
        &endpoint,
        &["stop-instances", "--instance-ids", &production[0]],
    )
    .await;
    assert!(stopped.success, "{stopped:?}");
    let change = &stopped.json()["StoppingInstances"][0];
    assert_eq!(change["InstanceId"], production[0].as_str());
    assert_eq!(change["PreviousState"]["Name"], "running");
    assert_eq!(change["CurrentState"]["Name"], "stopping");
    assert_eq!(change["CurrentState"]["Code"], 64);

    let missing = ec2(&["stop-instances", "--instance-ids", "i-0000000000000dead"]).await;
    assert!(!missing.success, "{missing:?}");
    assert!(
        missing.stderr.contains("InvalidInstanceID.NotFound"),
        "{missing:?}"
    );
    cloud.shutdown().await;
}

/// Runs `aws SERVICE ARGS` with `AWS_ENDPOINT_URL` set too, so that commands
/// that make clients of other services (`aws deploy push` uploads with an
/// S3 client) reach the local cloud, with path-style S3 addressing.
async fn aws_everywhere(
    service: &str,
    endpoint: &str,
    config: &std::path::Path,
    args: &[&str],
) -> Run {
    let mut command = aws_cli(service, endpoint, args);
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_CONFIG_FILE", config);
    let output = Command::from(command)
        .output()
        .await
        .expect("the AWS CLI runs");
    Run {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]

async fn push_the_sample_app_and_deploy_it_with_the_cli() {
    if !aws_cli_available("push_the_sample_app_and_deploy_it_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let config_dir = tempfile::tempdir().expect("a temporary directory");
    let config = config_dir.path().join("config");
    std::fs::write(&config, "[default]\ns3 =\n  addressing_style = path\n")
        .expect("the CLI config is written");
    let now = {
        use deploydesk::localcloud::Clock as _;
        clock.now()
    };
    let tags =
        std::collections::BTreeMap::from([("Environment".to_owned(), "production".to_owned())]);
    cloud.with_world(|world| world.launch_ready(tags, now));

    let app = aws(
        &endpoint,
        &["create-application", "--application-name", "web"],
    )
    .await;
    assert!(app.success, "{app:?}");
    let group = aws(
        &endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "web",
            "--deployment-group-name",
            "production",
            "--deployment-config-name",
            "CodeDeployDefault.AllAtOnce",
            "--ec2-tag-filters",
            "Key=Environment,Value=production,Type=KEY_AND_VALUE",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
        ],
    )
    .await;
    assert!(group.success, "{group:?}");
    let bucket = aws_everywhere("s3", &endpoint, &config, &["mb", "s3://bundles"]).await;
    assert!(bucket.success, "{bucket:?}");

    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample-app");
    let pushed = aws_everywhere(
        "deploy",
        &endpoint,
        &config,
        &[
            "push",
            "--application-name",
            "web",
            "--s3-location",
            "s3://bundles/sample.zip",
            "--source",
            source,
        ],
    )
    .await;
    assert!(pushed.success, "{pushed:?}");
    assert!(
        pushed
            .stdout
            .contains("bucket=bundles,key=sample.zip,bundleType=zip"),
        "{pushed:?}"
    );

    let created = aws(
        &endpoint,
        &[
            "create-deployment",
            "--application-name",
            "web",
            "--deployment-group-name",
            "production",
            "--s3-location",
            "bucket=bundles,key=sample.zip,bundleType=zip",
        ],
    )
    .await;
    assert!(created.success, "{created:?}");
    let deployment_id = created.json()["deploymentId"]
        .as_str()
        .expect("a deployment id")
        .to_owned();
    // The engine plays deployments out by timestamps, so one long step
    // ends it as surely as many short ones.
    clock.advance_millis(120_000);
    cloud.tick();
    let got = aws(
        &endpoint,
        &["get-deployment", "--deployment-id", &deployment_id],
    )
    .await;
    assert!(got.success, "{got:?}");
    assert_eq!(
        got.json()["deploymentInfo"]["status"],
        "Succeeded",
        "{got:?}"
    );

    let revisions = aws(
        &endpoint,
        &["list-application-revisions", "--application-name", "web"],
    )
    .await;
    assert!(revisions.success, "{revisions:?}");
    let listed = &revisions.json()["revisions"][0]["s3Location"];
    assert_eq!(listed["key"], "sample.zip", "{revisions:?}");
    assert!(listed["eTag"].is_string(), "{revisions:?}");
}

#[tokio::test]
async fn iam_role_setup_with_the_cli() {
    if !aws_cli_available("iam_role_setup_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let directory = tempfile::tempdir().expect("a temporary directory");
    let trust_path = directory.path().join("trust.json");
    let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
    std::fs::write(&trust_path, trust).expect("the trust policy is written");
    let trust_arg = format!("file://{}", trust_path.display());

    let created = aws_service(
        "iam",
        &endpoint,
        &[
            "create-role",
            "--role-name",
            "CodeDeployServiceRole",
            "--assume-role-policy-document",
            &trust_arg,
        ],
    )
    .await;
    assert!(created.success, "{created:?}");
    assert_eq!(
        created.json()["Role"]["Arn"],
        "arn:aws:iam::000000000000:role/CodeDeployServiceRole"
    );

    let attached = aws_service(
        "iam",
        &endpoint,
        &[
            "attach-role-policy",
            "--role-name",
            "CodeDeployServiceRole",
            "--policy-arn",
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole",
        ],
    )
    .await;
    assert!(attached.success, "{attached:?}");

    // The CLI decodes the URL-encoded document and prints it as JSON.
    let got = aws_service(
        "iam",
        &endpoint,
        &["get-role", "--role-name", "CodeDeployServiceRole"],
    )
    .await;
    assert!(got.success, "{got:?}");
    let expected: Value = serde_json::from_str(trust).expect("the trust policy is JSON");
    assert_eq!(got.json()["Role"]["AssumeRolePolicyDocument"], expected);

    let listed = aws_service(
        "iam",
        &endpoint,
        &[
            "list-attached-role-policies",
            "--role-name",
            "CodeDeployServiceRole",
        ],
    )
    .await;
    assert!(listed.success, "{listed:?}");
    assert_eq!(
        listed.json()["AttachedPolicies"],
        serde_json::json!([{
            "PolicyName": "AWSCodeDeployRole",
            "PolicyArn": "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
        }])
    );

    let missing = aws_service("iam", &endpoint, &["get-role", "--role-name", "ghost"]).await;
    assert!(!missing.success, "{missing:?}");
    assert!(missing.stderr.contains("NoSuchEntity"), "{missing:?}");
    cloud.shutdown().await;
}

#[tokio::test]
async fn s3_copies_up_and_down_with_the_cli() {
    if !aws_cli_available("s3_copies_up_and_down_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let s3 = |args: Vec<String>| {
        let endpoint = endpoint.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            aws_service("s3", &endpoint, &args).await
        }
    };
    let made = s3(vec!["mb".into(), "s3://cli-bundles".into()]).await;
    assert!(made.success, "{made:?}");

    // 50 MB: the CLI sends it in parts of 8 MB.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let upload = dir.path().join("bundle.bin");
    let body: Vec<u8> = (0..50_000_000_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&upload, &body).expect("the file is written");
    let up = s3(vec![
        "cp".into(),
        upload.display().to_string(),
        "s3://cli-bundles/releases/bundle.bin".into(),
    ])
    .await;
    assert!(up.success, "{up:?}");
    let object = cloud
        .snapshot()
        .s3
        .object("cli-bundles", "releases/bundle.bin")
        .cloned()
        .expect("the object is stored");
    assert_eq!(object.size, 50_000_000);
    assert!(
        object.etag.ends_with("-6\""),
        "uploaded in parts: {object:?}"
    );

    let download = dir.path().join("back.bin");
    let down = s3(vec![
        "cp".into(),
        "s3://cli-bundles/releases/bundle.bin".into(),
        download.display().to_string(),
    ])
    .await;
    assert!(down.success, "{down:?}");
    let back = std::fs::read(&download).expect("the download is read");
    assert!(
        back == body,
        "the downloaded bytes differ from the uploaded ones"
    );

    let listed = s3(vec!["ls".into(), "s3://cli-bundles/releases/".into()]).await;
    assert!(listed.success, "{listed:?}");
    assert!(
        listed.stdout.contains("50000000 bundle.bin"),
        "{}",
        listed.stdout
    );
    let buckets = s3(vec!["ls".into()]).await;
    assert!(buckets.stdout.contains("cli-bundles"), "{buckets:?}");
    let missing = s3(vec!["ls".into(), "s3://no-such-bucket-here".into()]).await;
    assert!(!missing.success);
    assert!(missing.stderr.contains("NoSuchBucket"), "{missing:?}");
    cloud.shutdown().await;
}
