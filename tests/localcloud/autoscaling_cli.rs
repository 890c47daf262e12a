//! The local cloud's Auto Scaling and launch templates driven by the AWS
//! CLI, as a person at a terminal would: a template, a group launched from
//! it, a scale-out held by a lifecycle hook and completed, and errors as
//! the CLI shows them.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

use crate::support;

use deploydesk::localcloud::autoscaling::PROCEED_MILLIS;
use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use serde_json::Value;
use support::{aws, aws_cli_available, start};

/// The lifecycle states of group `name`'s instances, sorted.
async fn states(endpoint: &str, name: &str) -> Vec<String> {
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
    assert!(described.success, "{described:?}");
    let mut states: Vec<String> = described.json()["AutoScalingGroups"][0]["Instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|instance| {
            instance["LifecycleState"]
                .as_str()
                .expect("a state")
                .to_owned()
        })
        .collect();
    states.sort();
    states
}

#[tokio::test]
async fn a_group_scales_out_through_a_launch_hook_with_the_cli() {
    if !aws_cli_available("a_group_scales_out_through_a_launch_hook_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();

    let template = aws(
        "ec2",
        &endpoint,
        &[
            "create-launch-template",
            "--launch-template-name",
            "cli-web",
            "--launch-template-data",
            r#"{"ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.small", "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "web"}]}]}"#,
        ],
    )
    .await;
    assert!(template.success, "{template:?}");
    assert_eq!(
        template.json()["LaunchTemplate"]["LaunchTemplateName"],
        "cli-web"
    );
    let versions = aws(
        "ec2",
        &endpoint,
        &[
            "describe-launch-template-versions",
            "--launch-template-name",
            "cli-web",
            "--versions",
            "$Latest",
        ],
    )
    .await;
    assert!(versions.success, "{versions:?}");
    assert_eq!(
        versions.json()["LaunchTemplateVersions"][0]["LaunchTemplateData"]["InstanceType"],
        "t3.small"
    );

    let created = aws(
        "autoscaling",
        &endpoint,
        &[
            "create-auto-scaling-group",
            "--auto-scaling-group-name",
            "cli-group",
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
            "--tags",
            "Key=Team,Value=blue,PropagateAtLaunch=true",
        ],
    )
    .await;
    assert!(created.success, "{created:?}");
    let hook = aws(
        "autoscaling",
        &endpoint,
        &[
            "put-lifecycle-hook",
            "--auto-scaling-group-name",
            "cli-group",
            "--lifecycle-hook-name",
            "deploy",
            "--lifecycle-transition",
            "autoscaling:EC2_INSTANCE_LAUNCHING",
            "--heartbeat-timeout",
            "300",
        ],
    )
    .await;
    assert!(hook.success, "{hook:?}");
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    assert_eq!(states(&endpoint, "cli-group").await, ["Pending:Wait"]);

    let instances = aws(
        "autoscaling",
        &endpoint,
        &["describe-auto-scaling-instances"],
    )
    .await;
    assert!(instances.success, "{instances:?}");
    let instance_id = instances.json()["AutoScalingInstances"][0]["InstanceId"]
        .as_str()
        .expect("an instance id")
        .to_owned();
    let ec2 = aws(
        "ec2",
        &endpoint,
        &["describe-instances", "--instance-ids", &instance_id],
    )
    .await;
    assert!(ec2.success, "{ec2:?}");
    let tags = ec2.json()["Reservations"][0]["Instances"][0]["Tags"].clone();
    let tag = |key: &str| {
        tags.as_array()
            .unwrap()
            .iter()
            .find(|tag| tag["Key"] == key)
            .map(|tag| tag["Value"].clone())
    };
    assert_eq!(tag("Team"), Some(Value::from("blue")));
    assert_eq!(tag("Role"), Some(Value::from("web")));
    assert_eq!(
        tag("aws:autoscaling:groupName"),
        Some(Value::from("cli-group"))
    );

    let completed = aws(
        "autoscaling",
        &endpoint,
        &[
            "complete-lifecycle-action",
            "--auto-scaling-group-name",
            "cli-group",
            "--lifecycle-hook-name",
            "deploy",
            "--instance-id",
            &instance_id,
            "--lifecycle-action-result",
            "CONTINUE",
        ],
    )
    .await;
    assert!(completed.success, "{completed:?}");
    clock.advance_millis(PROCEED_MILLIS);
    assert_eq!(states(&endpoint, "cli-group").await, ["InService"]);

    let activities = aws(
        "autoscaling",
        &endpoint,
        &[
            "describe-scaling-activities",
            "--auto-scaling-group-name",
            "cli-group",
        ],
    )
    .await;
    assert!(activities.success, "{activities:?}");
    assert_eq!(
        activities.json()["Activities"][0]["StatusCode"],
        "Successful"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn the_cli_shows_auto_scalings_errors() {
    if !aws_cli_available("the_cli_shows_auto_scalings_errors") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let missing = aws(
        "autoscaling",
        &endpoint,
        &[
            "create-auto-scaling-group",
            "--auto-scaling-group-name",
            "orphan",
            "--launch-template",
            "LaunchTemplateName=ghost",
            "--min-size",
            "1",
            "--max-size",
            "2",
            "--availability-zones",
            "us-east-1a",
        ],
    )
    .await;
    assert!(!missing.success);
    assert!(
        missing.stderr.contains("(ValidationError)")
            && missing
                .stderr
                .contains("with template name ghost, does not exist"),
        "{missing:?}"
    );
    let desired = aws(
        "autoscaling",
        &endpoint,
        &[
            "set-desired-capacity",
            "--auto-scaling-group-name",
            "orphan",
            "--desired-capacity",
            "1",
        ],
    )
    .await;
    assert!(!desired.success);
    assert!(desired.stderr.contains("(ValidationError)"), "{desired:?}");
    assert!(desired.stderr.contains("not found"), "{desired:?}");
    let listed = aws("autoscaling", &endpoint, &["describe-auto-scaling-groups"]).await;
    assert!(listed.success, "{listed:?}");
    assert_eq!(listed.json()["AutoScalingGroups"], serde_json::json!([]));
    cloud.shutdown().await;
}
