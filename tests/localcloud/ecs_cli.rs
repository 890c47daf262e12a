//! The local cloud's ECS driven by the AWS CLI, as a person at a terminal
//! would prepare an ECS service for a CodeDeploy blue/green deployment: a
//! cluster, two task definition revisions, a load balancer with a blue and
//! a green target group, a `CODE_DEPLOY` service whose first task set ECS
//! makes, a second task set scaled up and made primary, the first deleted,
//! and an error as the CLI shows it.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::support;

use deploydesk::localcloud::ecs::TASK_START_MS;
use serde_json::Value;
use support::{aws, aws_cli_available, aws_ok as ok, start};

/// The container definitions of revision `image` of family `web`.
fn containers(image: &str) -> String {
    format!(
        r#"[{{"name":"web","image":"{image}","essential":true,"portMappings":[{{"containerPort":80,"protocol":"tcp"}}]}}]"#
    )
}

/// The ARN a CLI answer holds at `pointer`.
fn text(answer: &Value, pointer: &str) -> String {
    answer
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {answer}"))
        .to_owned()
}

#[tokio::test]
async fn a_code_deploy_service_changes_task_sets_with_the_cli() {
    if !aws_cli_available("a_code_deploy_service_changes_task_sets_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let endpoint = endpoint.as_str();
    ok(
        "ecs",
        endpoint,
        &["create-cluster", "--cluster-name", "web"],
    )
    .await;
    for image in ["nginx:1.25", "nginx:1.27"] {
        ok(
            "ecs",
            endpoint,
            &[
                "register-task-definition",
                "--family",
                "web",
                "--network-mode",
                "awsvpc",
                "--requires-compatibilities",
                "FARGATE",
                "--cpu",
                "256",
                "--memory",
                "512",
                "--container-definitions",
                &containers(image),
            ],
        )
        .await;
    }
    let balancer = ok(
        "elbv2",
        endpoint,
        &[
            "create-load-balancer",
            "--name",
            "web-alb",
            "--subnets",
            "subnet-0a1b2c3d",
            "subnet-1a2b3c4d",
        ],
    )
    .await;
    let balancer = text(&balancer, "/LoadBalancers/0/LoadBalancerArn");
    let mut groups = Vec::new();
    for (name, port) in [("web-blue", "80"), ("web-green", "8080")] {
        let group = ok(
            "elbv2",
            endpoint,
            &[
                "create-target-group",
                "--name",
                name,
                "--protocol",
                "HTTP",
                "--port",
                "80",
                "--vpc-id",
                "vpc-0a1b2c3d",
            ],
        )
        .await;
        let group = text(&group, "/TargetGroups/0/TargetGroupArn");
        ok(
            "elbv2",
            endpoint,
            &[
                "create-listener",
                "--load-balancer-arn",
                &balancer,
                "--protocol",
                "HTTP",
                "--port",
                port,
                "--default-actions",
                &format!("Type=forward,TargetGroupArn={group}"),
            ],
        )
        .await;
        groups.push(group);
    }
    let network = "awsvpcConfiguration={subnets=[subnet-0a1b2c3d,subnet-1a2b3c4d]}";
    let service = ok(
        "ecs",
        endpoint,
        &[
            "create-service",
            "--cluster",
            "web",
            "--service-name",
            "web",
            "--task-definition",
            "web:1",
            "--desired-count",
            "2",
            "--launch-type",
            "FARGATE",
            "--deployment-controller",
            "type=CODE_DEPLOY",
            "--network-configuration",
            network,
            "--load-balancers",
            &format!(
                "targetGroupArn={},containerName=web,containerPort=80",
                groups[0]
            ),
        ],
    )
    .await;
    assert_eq!(service["service"]["taskSets"][0]["status"], "PRIMARY");
    assert_eq!(service["service"]["taskSets"][0]["pendingCount"], 2);
    let original = text(&service, "/service/taskSets/0/id");
    clock.advance_millis(TASK_START_MS);

    let created = ok(
        "ecs",
        endpoint,
        &[
            "create-task-set",
            "--cluster",
            "web",
            "--service",
            "web",
            "--task-definition",
            "web:2",
            "--external-id",
            "d-EXAMPLE1",
            "--network-configuration",
            network,
            "--load-balancers",
            &format!(
                "targetGroupArn={},containerName=web,containerPort=80",
                groups[1]
            ),
            "--scale",
            "value=100,unit=PERCENT",
        ],
    )
    .await;
    let replacement = text(&created, "/taskSet/id");
    assert_eq!(created["taskSet"]["status"], "ACTIVE");
    assert_eq!(created["taskSet"]["stabilityStatus"], "STABILIZING");
    clock.advance_millis(TASK_START_MS);
    ok(
        "ecs",
        endpoint,
        &[
            "update-service-primary-task-set",
            "--cluster",
            "web",
            "--service",
            "web",
            "--primary-task-set",
            &replacement,
        ],
    )
    .await;
    ok(
        "ecs",
        endpoint,
        &[
            "delete-task-set",
            "--cluster",
            "web",
            "--service",
            "web",
            "--task-set",
            &original,
            "--force",
        ],
    )
    .await;
    let described = ok(
        "ecs",
        endpoint,
        &["describe-services", "--cluster", "web", "--services", "web"],
    )
    .await;
    let service = &described["services"][0];
    assert!(
        service["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("task-definition/web:2")
    );
    let task_sets = service["taskSets"].as_array().unwrap();
    assert_eq!(task_sets.len(), 1);
    assert_eq!(task_sets[0]["id"], replacement.as_str());
    assert_eq!(task_sets[0]["status"], "PRIMARY");
    assert_eq!(task_sets[0]["runningCount"], 2);
    assert_eq!(task_sets[0]["stabilityStatus"], "STEADY_STATE");
    assert_eq!(service["runningCount"], 2);

    let refused = aws(
        "ecs",
        endpoint,
        &[
            "update-service",
            "--cluster",
            "web",
            "--service",
            "web",
            "--task-definition",
            "web:1",
        ],
    )
    .await;
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("InvalidParameterException")
            && refused.stderr.contains("Use AWS CodeDeploy"),
        "{refused:?}"
    );
}
