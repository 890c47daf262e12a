//! Scale-out of an Auto Scaling group that a CodeDeploy deployment group
//! names, driven by the AWS CLI as a person at a terminal would: the group
//! gets CodeDeploy's launch hook, a deployment succeeds, the group scales
//! out, and the new instance is held until an automatic deployment
//! (`autoscaling`) of the last successful revision has succeeded on it.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it this test
//! says it was skipped and passes, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case it fails so that CI cannot skip it silently.

use crate::support;

use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use serde_json::Value;
use support::{aws_cli, aws_cli_available, start};
use tokio::process::Command;

/// Runs `aws SERVICE ARGS` against the local cloud and returns its JSON
/// output (`Null` when it prints none), failing the test if it fails.
async fn aws(service: &str, endpoint: &str, args: &[&str]) -> Value {
    let output = Command::from(aws_cli(service, endpoint, args))
        .output()
        .await
        .expect("the AWS CLI runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "aws {service} {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).expect("the CLI prints JSON")
    }
}

/// The instances of Auto Scaling group `name` with their lifecycle states.
async fn instances(endpoint: &str, name: &str) -> Vec<(String, String)> {
    let described = aws(
        "autoscaling",
        endpoint,
        &[
            "describe-auto-scaling-groups",
            "--auto-scaling-group-names",
            name,
        ],
    )
    .await;
    let mut instances: Vec<(String, String)> = described["AutoScalingGroups"][0]["Instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|instance| {
            (
                instance["InstanceId"].as_str().expect("an id").to_owned(),
                instance["LifecycleState"]
                    .as_str()
                    .expect("a state")
                    .to_owned(),
            )
        })
        .collect();
    instances.sort();
    instances
}

/// The deployment `id` as `aws deploy get-deployment` prints it.
async fn deployment(endpoint: &str, id: &str) -> Value {
    aws(
        "deploy",
        endpoint,
        &["get-deployment", "--deployment-id", id],
    )
    .await["deploymentInfo"]
        .clone()
}

#[tokio::test]
async fn a_scale_out_is_deployed_to_before_the_instance_serves_with_the_cli() {
    if !aws_cli_available("a_scale_out_is_deployed_to_before_the_instance_serves_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    // The instances need a profile for their agent to be reached.
    let profile = support::instance_profile(&cloud).await;
    let data = format!(
        r#"{{"ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.small", "IamInstanceProfile": {{"Name": "{profile}"}}}}"#
    );
    aws(
        "ec2",
        &endpoint,
        &[
            "create-launch-template",
            "--launch-template-name",
            "cli-web",
            "--launch-template-data",
            &data,
        ],
    )
    .await;
    aws(
        "autoscaling",
        &endpoint,
        &[
            "create-auto-scaling-group",
            "--auto-scaling-group-name",
            "cli-asg",
            "--launch-template",
            "LaunchTemplateName=cli-web,Version=$Latest",
            "--min-size",
            "0",
            "--max-size",
            "3",
            "--desired-capacity",
            "1",
            "--availability-zones",
            "us-east-1a",
        ],
    )
    .await;
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    let first = instances(&endpoint, "cli-asg").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1, "InService");

    aws(
        "deploy",
        &endpoint,
        &["create-application", "--application-name", "cli-shop"],
    )
    .await;
    aws(
        "deploy",
        &endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "cli-shop",
            "--deployment-group-name",
            "cli-web",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
            "--auto-scaling-groups",
            "cli-asg",
        ],
    )
    .await;
    let group = aws(
        "deploy",
        &endpoint,
        &[
            "get-deployment-group",
            "--application-name",
            "cli-shop",
            "--deployment-group-name",
            "cli-web",
        ],
    )
    .await;
    let hook = group["deploymentGroupInfo"]["autoScalingGroups"][0]["hook"]
        .as_str()
        .expect("the hook is reported")
        .to_owned();
    assert!(hook.starts_with("CodeDeploy-managed-automatic-launch-deployment-hook-cli-web-"));
    let hooks = aws(
        "autoscaling",
        &endpoint,
        &[
            "describe-lifecycle-hooks",
            "--auto-scaling-group-name",
            "cli-asg",
        ],
    )
    .await;
    assert_eq!(
        hooks["LifecycleHooks"][0]["LifecycleHookName"],
        hook.as_str()
    );

    let created = aws(
        "deploy",
        &endpoint,
        &[
            "create-deployment",
            "--application-name",
            "cli-shop",
            "--deployment-group-name",
            "cli-web",
            "--github-location",
            "repository=deploydesk/sample-app,commitId=v1",
        ],
    )
    .await;
    let first_id = created["deploymentId"].as_str().expect("an id").to_owned();
    clock.advance_millis(60_000);
    assert_eq!(
        deployment(&endpoint, &first_id).await["status"],
        "Succeeded"
    );

    aws(
        "autoscaling",
        &endpoint,
        &[
            "set-desired-capacity",
            "--auto-scaling-group-name",
            "cli-asg",
            "--desired-capacity",
            "2",
        ],
    )
    .await;
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    let held = instances(&endpoint, "cli-asg").await;
    let (new, state) = held
        .iter()
        .find(|(id, _)| *id != first[0].0)
        .cloned()
        .expect("a new instance");
    assert_eq!(state, "Pending:Wait");
    let listed = aws(
        "deploy",
        &endpoint,
        &[
            "list-deployments",
            "--application-name",
            "cli-shop",
            "--deployment-group-name",
            "cli-web",
        ],
    )
    .await;
    let ids: Vec<String> = listed["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .map(|id| id.as_str().expect("an id").to_owned())
        .filter(|id| *id != first_id)
        .collect();
    assert_eq!(ids.len(), 1, "{listed}");
    let automatic = deployment(&endpoint, &ids[0]).await;
    assert_eq!(automatic["creator"], "autoscaling");
    assert_eq!(automatic["revision"]["gitHubLocation"]["commitId"], "v1");
    let targets = aws(
        "deploy",
        &endpoint,
        &["list-deployment-targets", "--deployment-id", &ids[0]],
    )
    .await;
    assert_eq!(targets["targetIds"], serde_json::json!([new.clone()]));

    clock.advance_millis(60_000);
    assert_eq!(deployment(&endpoint, &ids[0]).await["status"], "Succeeded");
    assert!(
        instances(&endpoint, "cli-asg")
            .await
            .contains(&(new, "InService".to_owned()))
    );
}
