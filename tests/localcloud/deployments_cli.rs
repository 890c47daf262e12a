//! `deploydesk serve` running deployments for the AWS CLI: a demo fleet, a
//! short event time, `aws deploy create-deployment`, `aws deploy wait
//! deployment-successful`, and the targets read back with
//! `list-deployment-targets` and `batch-get-deployment-targets`. Also the
//! serve options for the engine, the fleet and faults.
//!
//! The AWS CLI must be on PATH (`pip install awscli`). Without it the CLI
//! test says it was skipped and passes, unless `DEPLOYDESK_REQUIRE_AWSCLI=1`
//! is set, in which case it fails so that CI cannot skip it silently.

use crate::support;

use std::process::Command;

use serde_json::Value;
use support::serve::{DEPLOYDESK, Serve};
use support::{aws_cli_available, aws_deploy};

/// Runs `aws deploy ARGS` against `endpoint` with made-up credentials and
/// no config files; returns its JSON output (or `Null` when it prints
/// none), failing the test if the command fails.
fn aws(endpoint: &str, args: &[&str]) -> Value {
    let output = aws_deploy(endpoint, args)
        .output()
        .expect("the AWS CLI runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "aws deploy {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).expect("the CLI prints JSON")
    }
}

#[test]
fn a_deployment_created_and_awaited_with_the_cli_succeeds() {
    if !aws_cli_available("a_deployment_created_and_awaited_with_the_cli_succeeds") {
        return;
    }
    let serve = Serve::start(&["--event-ms", "10", "--fleet", "4"]);
    let endpoint = serve.endpoint.as_str();
    aws(
        endpoint,
        &["create-application", "--application-name", "shop"],
    );
    aws(
        endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "shop",
            "--deployment-group-name",
            "production",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
            "--deployment-config-name",
            "CodeDeployDefault.AllAtOnce",
            "--ec2-tag-filters",
            "Key=Environment,Value=production,Type=KEY_AND_VALUE",
        ],
    );
    let created = aws(
        endpoint,
        &[
            "create-deployment",
            "--application-name",
            "shop",
            "--deployment-group-name",
            "production",
            "--github-location",
            "repository=deploydesk/sample-app,commitId=0123456789abcdef0123456789abcdef01234567",
            "--description",
            "from the CLI",
        ],
    );
    let deployment_id = created["deploymentId"].as_str().expect("an id").to_owned();
    aws(
        endpoint,
        &[
            "wait",
            "deployment-successful",
            "--deployment-id",
            &deployment_id,
        ],
    );

    let info = aws(
        endpoint,
        &["get-deployment", "--deployment-id", &deployment_id],
    );
    let info = &info["deploymentInfo"];
    assert_eq!(info["status"], "Succeeded");
    assert_eq!(info["description"], "from the CLI");
    assert_eq!(info["deploymentOverview"]["Succeeded"], 2);

    let listed = aws(
        endpoint,
        &["list-deployment-targets", "--deployment-id", &deployment_id],
    );
    let target_ids: Vec<String> = listed["targetIds"]
        .as_array()
        .expect("a list of target ids")
        .iter()
        .map(|id| id.as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(target_ids.len(), 2, "half of the four-instance demo fleet");
    let mut args = vec![
        "batch-get-deployment-targets",
        "--deployment-id",
        &deployment_id,
        "--target-ids",
    ];
    args.extend(target_ids.iter().map(String::as_str));
    let targets = aws(endpoint, &args);
    let targets = targets["deploymentTargets"].as_array().expect("targets");
    assert_eq!(targets.len(), 2);
    for target in targets {
        assert_eq!(target["deploymentTargetType"], "InstanceTarget");
        let instance = &target["instanceTarget"];
        assert_eq!(instance["status"], "Succeeded");
        let events = instance["lifecycleEvents"].as_array().expect("events");
        assert_eq!(events.len(), 7);
        assert!(events.iter().all(|event| event["status"] == "Succeeded"));
        assert_eq!(events[0]["lifecycleEventName"], "ApplicationStop");
    }
}

#[test]
fn serve_help_documents_the_fault_spec_and_bad_specs_are_refused() {
    let help = Command::new(DEPLOYDESK)
        .args(["serve", "--help"])
        .output()
        .expect("deploydesk runs");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "--event-ms <MS>",
        "--minute-ms <MS>",
        "--fleet <N>",
        "--faults <SPEC>",
        "throttle:RATE",
        "error:RATE",
        "latency:DURATION",
        "deny",
        "codedeploy:BatchGetDeploymentTargets=throttle:0.3,latency:200ms;codedeploy=error:0.05",
    ] {
        assert!(
            help.contains(expected),
            "the help lacks {expected:?}:\n{help}"
        );
    }

    let refused = Command::new(DEPLOYDESK)
        .args(["serve", "--faults", "codedeploy=throttle:2"])
        .output()
        .expect("deploydesk runs");
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("from 0 to 1"), "{message}");
}

#[test]
fn serve_injects_faults_into_requests() {
    use std::io::{Read, Write};

    let serve = Serve::start(&["--faults", "codedeploy:ListApplications=throttle:1"]);
    let address = serve.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("serve accepts connections");
    let body = "{}";
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: CodeDeploy_20141006.ListApplications\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    let body: Value = serde_json::from_str(body).expect("a JSON error");
    assert_eq!(body["__type"], "ThrottlingException");
}
