//! Elastic Load Balancing (v2 and classic) in the local cloud, driven by
//! the AWS CLI as a person at a terminal would: both APIs sign for the same
//! name, so these calls also show that the server tells them apart.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

use crate::support;

use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use serde_json::Value;
use support::{aws, aws_cli_available, start};

/// Launches one instance with the CLI and returns its id.
async fn launch(endpoint: &str) -> String {
    let run = aws(
        "ec2",
        endpoint,
        &[
            "run-instances",
            "--image-id",
            "ami-0abcdef1234567890",
            "--count",
            "1",
        ],
    )
    .await;
    assert!(run.success, "{run:?}");
    run.json()["Instances"][0]["InstanceId"]
        .as_str()
        .expect("an instance id")
        .to_owned()
}

#[tokio::test]
async fn elbv2_load_balancer_target_group_listener_and_targets_with_the_cli() {
    if !aws_cli_available("elbv2_load_balancer_target_group_listener_and_targets_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let instance = launch(&endpoint).await;
    clock.advance_millis(STATE_TRANSITION_MILLIS);

    let balancer = aws(
        "elbv2",
        &endpoint,
        &[
            "create-load-balancer",
            "--name",
            "web",
            "--subnets",
            "subnet-0a1b2c3d",
            "subnet-1a2b3c4d",
        ],
    )
    .await;
    assert!(balancer.success, "{balancer:?}");
    let balancer_arn = balancer.json()["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .expect("an ARN")
        .to_owned();
    let group = aws(
        "elbv2",
        &endpoint,
        &[
            "create-target-group",
            "--name",
            "web",
            "--protocol",
            "HTTP",
            "--port",
            "80",
            "--vpc-id",
            "vpc-0a1b2c3d",
            "--health-check-interval-seconds",
            "10",
            "--healthy-threshold-count",
            "2",
        ],
    )
    .await;
    assert!(group.success, "{group:?}");
    let group_arn = group.json()["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .expect("an ARN")
        .to_owned();
    let listener = aws(
        "elbv2",
        &endpoint,
        &[
            "create-listener",
            "--load-balancer-arn",
            &balancer_arn,
            "--protocol",
            "HTTP",
            "--port",
            "80",
            "--default-actions",
            &format!("Type=forward,TargetGroupArn={group_arn}"),
        ],
    )
    .await;
    assert!(listener.success, "{listener:?}");
    assert_eq!(
        listener.json()["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"][0]["Weight"],
        1
    );
    let registered = aws(
        "elbv2",
        &endpoint,
        &[
            "register-targets",
            "--target-group-arn",
            &group_arn,
            "--targets",
            &format!("Id={instance}"),
        ],
    )
    .await;
    assert!(registered.success, "{registered:?}");

    let health = |json: &Value| {
        json["TargetHealthDescriptions"][0]["TargetHealth"]["State"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let describe = ["describe-target-health", "--target-group-arn", &group_arn];
    let initial = aws("elbv2", &endpoint, &describe).await;
    assert!(initial.success, "{initial:?}");
    assert_eq!(health(&initial.json()), "initial");
    assert_eq!(
        initial.json()["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Elb.RegistrationInProgress"
    );
    clock.advance_millis(20_000);
    let healthy = aws("elbv2", &endpoint, &describe).await;
    assert_eq!(health(&healthy.json()), "healthy", "{healthy:?}");

    let groups = aws(
        "elbv2",
        &endpoint,
        &[
            "describe-target-groups",
            "--load-balancer-arn",
            &balancer_arn,
        ],
    )
    .await;
    assert!(groups.success, "{groups:?}");
    assert_eq!(
        groups.json()["TargetGroups"][0]["TargetGroupArn"],
        group_arn.as_str()
    );

    let in_use = aws(
        "elbv2",
        &endpoint,
        &["delete-target-group", "--target-group-arn", &group_arn],
    )
    .await;
    assert!(!in_use.success, "{in_use:?}");
    assert!(in_use.stderr.contains("(ResourceInUse)"), "{in_use:?}");
    let missing = aws(
        "elbv2",
        &endpoint,
        &["describe-target-groups", "--names", "ghost"],
    )
    .await;
    assert!(!missing.success, "{missing:?}");
    assert!(
        missing.stderr.contains("(TargetGroupNotFound)"),
        "{missing:?}"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn classic_load_balancer_and_instance_health_with_the_cli() {
    if !aws_cli_available("classic_load_balancer_and_instance_health_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let instance = launch(&endpoint).await;
    clock.advance_millis(STATE_TRANSITION_MILLIS);

    let created = aws(
        "elb",
        &endpoint,
        &[
            "create-load-balancer",
            "--load-balancer-name",
            "classic",
            "--listeners",
            "Protocol=HTTP,LoadBalancerPort=80,InstancePort=8080",
            "--availability-zones",
            "us-east-1a",
        ],
    )
    .await;
    assert!(created.success, "{created:?}");
    assert!(
        created.json()["DNSName"]
            .as_str()
            .is_some_and(|name| name.starts_with("classic-")),
        "{created:?}"
    );
    let registered = aws(
        "elb",
        &endpoint,
        &[
            "register-instances-with-load-balancer",
            "--load-balancer-name",
            "classic",
            "--instances",
            &instance,
        ],
    )
    .await;
    assert!(registered.success, "{registered:?}");
    assert_eq!(
        registered.json()["Instances"][0]["InstanceId"],
        instance.as_str()
    );

    let describe = [
        "describe-instance-health",
        "--load-balancer-name",
        "classic",
    ];
    let waiting = aws("elb", &endpoint, &describe).await;
    assert!(waiting.success, "{waiting:?}");
    assert_eq!(waiting.json()["InstanceStates"][0]["State"], "OutOfService");
    assert_eq!(waiting.json()["InstanceStates"][0]["ReasonCode"], "ELB");
    // The default health check: 10 passes, 30 seconds apart.
    clock.advance_millis(300_000);
    let in_service = aws("elb", &endpoint, &describe).await;
    assert_eq!(in_service.json()["InstanceStates"][0]["State"], "InService");

    let described = aws("elb", &endpoint, &["describe-load-balancers"]).await;
    assert!(described.success, "{described:?}");
    assert_eq!(
        described.json()["LoadBalancerDescriptions"][0]["Instances"][0]["InstanceId"],
        instance.as_str()
    );
    let missing = aws(
        "elb",
        &endpoint,
        &["describe-load-balancers", "--load-balancer-names", "ghost"],
    )
    .await;
    assert!(!missing.success, "{missing:?}");
    assert!(
        missing.stderr.contains("(LoadBalancerNotFound)"),
        "{missing:?}"
    );
    cloud.shutdown().await;
}
