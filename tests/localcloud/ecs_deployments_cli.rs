//! A CodeDeploy blue/green deployment to Amazon ECS driven by the AWS CLI,
//! as a person at a terminal runs one: target groups and listeners, a
//! `CODE_DEPLOY` service, an ECS application and group, a deployment with an
//! inline AppSpec that waits in `Ready` with test traffic on the
//! replacement, `aws deploy continue-deployment`, and the original task set
//! gone after the termination wait.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

#![allow(clippy::unwrap_used)]

use crate::support;

use deploydesk::localcloud::ecs::TASK_START_MS;
use support::{aws_cli_available, aws_ok as ok, start};

const APPSPEC: &str = "version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: web:2
        LoadBalancerInfo:
          ContainerName: app
          ContainerPort: 80
";

/// The target group ARNs listener `arn` forwards to.
async fn forwards(endpoint: &str, arn: &str) -> Vec<String> {
    let described = ok(
        "elbv2",
        endpoint,
        &["describe-listeners", "--listener-arns", arn],
    )
    .await;
    let action = &described["Listeners"][0]["DefaultActions"][0];
    let mut groups: Vec<String> = match action["ForwardConfig"]["TargetGroups"].as_array() {
        Some(groups) => groups
            .iter()
            .filter(|group| group["Weight"].as_i64().unwrap_or(1) > 0)
            .map(|group| group["TargetGroupArn"].as_str().unwrap().to_owned())
            .collect(),
        None => vec![action["TargetGroupArn"].as_str().unwrap().to_owned()],
    };
    groups.sort();
    groups
}

#[tokio::test]
async fn an_ecs_blue_green_deployment_waits_for_continue_with_the_cli() {
    if !aws_cli_available("an_ecs_blue_green_deployment_waits_for_continue_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let endpoint = endpoint.as_str();
    let advance = |millis: i64| {
        clock.advance_millis(millis);
        cloud.tick();
    };
    let mut groups = Vec::new();
    for name in ["web-blue", "web-green"] {
        let created = ok(
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
        groups.push(
            created["TargetGroups"][0]["TargetGroupArn"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (blue, green) = (groups[0].clone(), groups[1].clone());
    let balancer = ok(
        "elbv2",
        endpoint,
        &[
            "create-load-balancer",
            "--name",
            "web",
            "--subnets",
            "subnet-0a1b2c3d",
            "subnet-1a2b3c4d",
        ],
    )
    .await["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut listeners = Vec::new();
    for port in ["80", "8080"] {
        let created = ok(
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
                &format!("Type=forward,TargetGroupArn={blue}"),
            ],
        )
        .await;
        listeners.push(
            created["Listeners"][0]["ListenerArn"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (prod, test) = (listeners[0].clone(), listeners[1].clone());

    ok(
        "ecs",
        endpoint,
        &["create-cluster", "--cluster-name", "shop"],
    )
    .await;
    let containers = r#"[{"name":"app","image":"nginx","memory":512,"essential":true,"portMappings":[{"containerPort":80}]}]"#;
    for _ in 0..2 {
        ok(
            "ecs",
            endpoint,
            &[
                "register-task-definition",
                "--family",
                "web",
                "--container-definitions",
                containers,
            ],
        )
        .await;
    }
    ok(
        "ecs",
        endpoint,
        &[
            "create-service",
            "--cluster",
            "shop",
            "--service-name",
            "web",
            "--task-definition",
            "web:1",
            "--desired-count",
            "2",
            "--deployment-controller",
            "type=CODE_DEPLOY",
            "--load-balancers",
            &format!("targetGroupArn={blue},containerName=app,containerPort=80"),
        ],
    )
    .await;
    advance(TASK_START_MS);

    ok(
        "deploy",
        endpoint,
        &[
            "create-application",
            "--application-name",
            "shop",
            "--compute-platform",
            "ECS",
        ],
    )
    .await;
    let balancer_info = serde_json::json!({
        "targetGroupPairInfoList": [{
            "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
            "prodTrafficRoute": {"listenerArns": [prod]},
            "testTrafficRoute": {"listenerArns": [test]},
        }]
    })
    .to_string();
    let blue_green = serde_json::json!({
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 1},
    })
    .to_string();
    ok(
        "deploy",
        endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "shop",
            "--deployment-group-name",
            "web",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
            "--deployment-config-name",
            "CodeDeployDefault.ECSAllAtOnce",
            "--deployment-style",
            "deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL",
            "--ecs-services",
            "serviceName=web,clusterName=shop",
            "--load-balancer-info",
            &balancer_info,
            "--blue-green-deployment-configuration",
            &blue_green,
        ],
    )
    .await;
    let revision = serde_json::json!({
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": APPSPEC},
    })
    .to_string();
    let id = ok(
        "deploy",
        endpoint,
        &[
            "create-deployment",
            "--application-name",
            "shop",
            "--deployment-group-name",
            "web",
            "--revision",
            &revision,
        ],
    )
    .await["deploymentId"]
        .as_str()
        .unwrap()
        .to_owned();
    advance(1);
    advance(TASK_START_MS);

    let deployment = ok(
        "deploy",
        endpoint,
        &["get-deployment", "--deployment-id", &id],
    )
    .await;
    assert_eq!(deployment["deploymentInfo"]["status"], "Ready");
    assert_eq!(deployment["deploymentInfo"]["computePlatform"], "ECS");
    assert_eq!(
        forwards(endpoint, &test).await,
        std::slice::from_ref(&green)
    );
    assert_eq!(forwards(endpoint, &prod).await, std::slice::from_ref(&blue));
    let target = ok(
        "deploy",
        endpoint,
        &[
            "get-deployment-target",
            "--deployment-id",
            &id,
            "--target-id",
            "shop:web",
        ],
    )
    .await;
    let sets = target["deploymentTarget"]["ecsTarget"]["taskSetsInfo"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[1]["taskSetLabel"], "Green");
    assert_eq!(sets[1]["runningCount"], 2);

    ok(
        "deploy",
        endpoint,
        &["continue-deployment", "--deployment-id", &id],
    )
    .await;
    assert_eq!(
        forwards(endpoint, &prod).await,
        std::slice::from_ref(&green)
    );
    let sets = ok(
        "ecs",
        endpoint,
        &[
            "describe-task-sets",
            "--cluster",
            "shop",
            "--service",
            "web",
        ],
    )
    .await;
    assert_eq!(sets["taskSets"].as_array().unwrap().len(), 2);

    advance(60_000);
    let sets = ok(
        "ecs",
        endpoint,
        &[
            "describe-task-sets",
            "--cluster",
            "shop",
            "--service",
            "web",
        ],
    )
    .await;
    let sets = sets["taskSets"].as_array().unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["status"], "PRIMARY");
    assert!(
        sets[0]["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("web:2")
    );
    let deployment = ok(
        "deploy",
        endpoint,
        &["get-deployment", "--deployment-id", &id],
    )
    .await;
    assert_eq!(deployment["deploymentInfo"]["status"], "Succeeded");
}
