//! CodeDeploy blue/green deployments to Amazon ECS in the local cloud,
//! driven by the AWS SDK for Rust on a manual clock: the replacement task
//! set starting behind the second target group, test traffic through the
//! test listener, the wait for `ContinueDeployment`, production traffic
//! moved by a canary through the listener's weights, the original task set
//! removed after the termination wait; a failing hook rolled back; and
//! CodeDeploy's errors for services and `AppSpec` files that do not fit.

#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use std::fmt::Write as _;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::types::{
    AppSpecContent, AutoRollbackConfiguration, AutoRollbackEvent, BlueGreenDeploymentConfiguration,
    BlueInstanceTerminationOption, ComputePlatform, DeploymentOption, DeploymentReadyAction,
    DeploymentReadyOption, DeploymentStatus, DeploymentStyle, DeploymentTargetType, DeploymentType,
    EcsService, EcsTarget, InstanceAction, LoadBalancerInfo, RevisionLocation,
    RevisionLocationType, TargetGroupInfo, TargetGroupPairInfo, TrafficRoute,
};
use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentController, DeploymentControllerType, LoadBalancer, PortMapping,
};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use deploy_support::{Cloud, EVENT_MS, error_code};
use deploydesk::localcloud::LocalCloudOptions;
use deploydesk::localcloud::ecs::TASK_START_MS;

const APP: &str = "shop";
const GROUP: &str = "web-bg";
const MINUTE_MS: i64 = 60_000;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A local cloud with an ECS service behind a load balancer with two
/// target groups, a production listener and a test listener.
struct Fixture {
    cloud: Cloud,
    ecs: aws_sdk_ecs::Client,
    elbv2: aws_sdk_elasticloadbalancingv2::Client,
    lambda: aws_sdk_lambda::Client,
    blue: String,
    green: String,
    prod: String,
    test: String,
}

impl Fixture {
    async fn start() -> Self {
        let cloud = Cloud::start_with(LocalCloudOptions {
            event_duration: Duration::from_millis(EVENT_MS as u64),
            ..LocalCloudOptions::default()
        })
        .await;
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(cloud.local.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(&config);
        let lambda = aws_sdk_lambda::Client::new(&config);
        aws_sdk_iam::Client::new(&config)
            .create_role()
            .role_name("hooks")
            .assume_role_policy_document(LAMBDA_TRUST)
            .send()
            .await
            .unwrap();
        let group = |name: &'static str| {
            let elbv2 = elbv2.clone();
            async move {
                elbv2
                    .create_target_group()
                    .name(name)
                    .protocol(ProtocolEnum::Http)
                    .port(80)
                    .vpc_id("vpc-0a1b2c3d")
                    .send()
                    .await
                    .unwrap()
                    .target_groups()[0]
                    .target_group_arn()
                    .unwrap()
                    .to_owned()
            }
        };
        let blue = group("web-blue").await;
        let green = group("web-green").await;
        let balancer = elbv2
            .create_load_balancer()
            .name("web")
            .subnets("subnet-0a1b2c3d")
            .subnets("subnet-1a2b3c4d")
            .send()
            .await
            .unwrap()
            .load_balancers()[0]
            .load_balancer_arn()
            .unwrap()
            .to_owned();
        let listener = |port: i32| {
            let elbv2 = elbv2.clone();
            let balancer = balancer.clone();
            let blue = blue.clone();
            async move {
                elbv2
                    .create_listener()
                    .load_balancer_arn(balancer)
                    .protocol(ProtocolEnum::Http)
                    .port(port)
                    .default_actions(
                        Action::builder()
                            .r#type(ActionTypeEnum::Forward)
                            .target_group_arn(blue)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap()
                    .listeners()[0]
                    .listener_arn()
                    .unwrap()
                    .to_owned()
            }
        };
        let prod = listener(80).await;
        let test = listener(8080).await;
        let fixture = Self {
            cloud,
            ecs,
            elbv2,
            lambda,
            blue,
            green,
            prod,
            test,
        };
        fixture
            .ecs
            .create_cluster()
            .cluster_name("shop")
            .send()
            .await
            .unwrap();
        fixture.register("app", 80).await;
        fixture.register("app", 80).await;
        fixture
            .service("web", DeploymentControllerType::CodeDeploy)
            .await;
        fixture.cloud.advance(TASK_START_MS);
        fixture
    }

    /// Registers the next revision of family `web` with container `name`
    /// on `port`.
    async fn register(&self, name: &str, port: i32) {
        self.ecs
            .register_task_definition()
            .family("web")
            .container_definitions(
                ContainerDefinition::builder()
                    .name(name)
                    .image("nginx")
                    .memory(512)
                    .essential(true)
                    .port_mappings(PortMapping::builder().container_port(port).build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// Creates service `name` of two tasks of `web:1` behind the blue
    /// target group, with the deployment controller `controller`.
    async fn service(&self, name: &str, controller: DeploymentControllerType) {
        self.ecs
            .create_service()
            .cluster("shop")
            .service_name(name)
            .task_definition("web:1")
            .desired_count(2)
            .deployment_controller(
                DeploymentController::builder()
                    .r#type(controller)
                    .build()
                    .unwrap(),
            )
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(&self.blue)
                    .container_name("app")
                    .container_port(80)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// Creates hook function `name` answering as `simulate` says.
    async fn hook(&self, name: &str, simulate: &str) {
        self.lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role("arn:aws:iam::000000000000:role/hooks")
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(name.as_bytes()))
                    .build(),
            )
            .tags("deploydesk:simulate", simulate)
            .send()
            .await
            .unwrap();
    }

    /// The ECS application and its blue/green group for service `service`:
    /// waiting `ready_wait` minutes for Continue when given, keeping the
    /// original task set `termination_wait` minutes, rolling back failures.
    async fn group(&self, service: &str, ready_wait: Option<i32>, termination_wait: i32) {
        let client = &self.cloud.client;
        if client
            .get_application()
            .application_name(APP)
            .send()
            .await
            .is_err()
        {
            client
                .create_application()
                .application_name(APP)
                .compute_platform(ComputePlatform::Ecs)
                .send()
                .await
                .unwrap();
        }
        let ready = match ready_wait {
            Some(minutes) => DeploymentReadyOption::builder()
                .action_on_timeout(DeploymentReadyAction::StopDeployment)
                .wait_time_in_minutes(minutes)
                .build(),
            None => DeploymentReadyOption::builder()
                .action_on_timeout(DeploymentReadyAction::ContinueDeployment)
                .build(),
        };
        self.try_group(service)
            .blue_green_deployment_configuration(
                BlueGreenDeploymentConfiguration::builder()
                    .deployment_ready_option(ready)
                    .terminate_blue_instances_on_deployment_success(
                        BlueInstanceTerminationOption::builder()
                            .action(InstanceAction::Terminate)
                            .termination_wait_time_in_minutes(termination_wait)
                            .build(),
                    )
                    .build(),
            )
            .auto_rollback_configuration(
                AutoRollbackConfiguration::builder()
                    .enabled(true)
                    .events(AutoRollbackEvent::DeploymentFailure)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// A `CreateDeploymentGroup` request for service `service` with the
    /// target group pair and both listeners.
    fn try_group(
        &self,
        service: &str,
    ) -> aws_sdk_codedeploy::operation::create_deployment_group::builders::CreateDeploymentGroupFluentBuilder
    {
        self.cloud
            .client
            .create_deployment_group()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .service_role_arn(deploy_support::ROLE)
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::BlueGreen)
                    .deployment_option(DeploymentOption::WithTrafficControl)
                    .build(),
            )
            .ecs_services(
                EcsService::builder()
                    .cluster_name("shop")
                    .service_name(service)
                    .build(),
            )
            .load_balancer_info(
                LoadBalancerInfo::builder()
                    .target_group_pair_info_list(
                        TargetGroupPairInfo::builder()
                            .target_groups(TargetGroupInfo::builder().name("web-blue").build())
                            .target_groups(TargetGroupInfo::builder().name("web-green").build())
                            .prod_traffic_route(
                                TrafficRoute::builder().listener_arns(&self.prod).build(),
                            )
                            .test_traffic_route(
                                TrafficRoute::builder().listener_arns(&self.test).build(),
                            )
                            .build(),
                    )
                    .build(),
            )
    }

    /// Deploys the AppSpec for `web:2`, container `container` on `port`,
    /// with `hooks`, by configuration `config`.
    async fn deploy(
        &self,
        container: &str,
        port: u16,
        hooks: &[(&str, &str)],
        config: &str,
    ) -> String {
        self.try_deploy(container, port, hooks, config)
            .await
            .unwrap()
    }

    async fn try_deploy(
        &self,
        container: &str,
        port: u16,
        hooks: &[(&str, &str)],
        config: &str,
    ) -> Result<
        String,
        aws_sdk_codedeploy::error::SdkError<
            aws_sdk_codedeploy::operation::create_deployment::CreateDeploymentError,
        >,
    > {
        let mut appspec = format!(
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: web:2\n        LoadBalancerInfo:\n          ContainerName: {container}\n          ContainerPort: {port}\n"
        );
        if !hooks.is_empty() {
            appspec.push_str("Hooks:\n");
            for (event, function) in hooks {
                let _ = writeln!(appspec, "  - {event}: {function}");
            }
        }
        self.cloud
            .client
            .create_deployment()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .deployment_config_name(config)
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::AppSpecContent)
                    .app_spec_content(AppSpecContent::builder().content(appspec).build())
                    .build(),
            )
            .send()
            .await
            .map(|output| output.deployment_id().unwrap().to_owned())
    }

    /// The deployment's one ECS target.
    async fn target(&self, deployment_id: &str) -> EcsTarget {
        let ids = deploy_support::target_ids(&self.cloud.client, deployment_id).await;
        assert_eq!(ids, ["shop:web"]);
        let output = self
            .cloud
            .client
            .batch_get_deployment_targets()
            .deployment_id(deployment_id)
            .target_ids("shop:web")
            .send()
            .await
            .unwrap();
        let target = &output.deployment_targets()[0];
        assert_eq!(
            target.deployment_target_type(),
            Some(&DeploymentTargetType::EcsTarget)
        );
        target.ecs_target().unwrap().clone()
    }

    /// Each lifecycle event's name and status.
    async fn events(&self, deployment_id: &str) -> Vec<(String, String)> {
        deploy_support::event_statuses(self.target(deployment_id).await.lifecycle_events())
    }

    /// The target groups listener `arn` forwards to, with their weights,
    /// named `blue` and `green`.
    async fn forwards(&self, arn: &str) -> Vec<(&'static str, i32)> {
        let listeners = self
            .elbv2
            .describe_listeners()
            .listener_arns(arn)
            .send()
            .await
            .unwrap();
        let action = &listeners.listeners()[0].default_actions()[0];
        let mut groups: Vec<(&'static str, i32)> = match action.forward_config() {
            Some(config) => config
                .target_groups()
                .iter()
                .map(|group| {
                    (
                        self.label(group.target_group_arn().unwrap()),
                        group.weight().unwrap_or(1),
                    )
                })
                .collect(),
            None => vec![(self.label(action.target_group_arn().unwrap()), 1)],
        };
        groups.sort_unstable();
        groups
    }

    fn label(&self, arn: &str) -> &'static str {
        if arn == self.blue {
            "blue"
        } else if arn == self.green {
            "green"
        } else {
            "other"
        }
    }

    /// The service's task sets: status, task definition, running count.
    async fn task_sets(&self) -> Vec<(String, String, i32)> {
        let described = self
            .ecs
            .describe_task_sets()
            .cluster("shop")
            .service("web")
            .send()
            .await
            .unwrap();
        let mut sets: Vec<(String, String, i32)> = described
            .task_sets()
            .iter()
            .map(|set| {
                (
                    set.status().unwrap().to_owned(),
                    set.task_definition()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_owned(),
                    set.running_count(),
                )
            })
            .collect();
        sets.sort();
        sets
    }
}

fn pair(event: &str, status: &str) -> (String, String) {
    (event.to_owned(), status.to_owned())
}

#[tokio::test]
async fn a_blue_green_canary_tests_waits_for_continue_shifts_and_removes_the_original() {
    let fixture = Fixture::start().await;
    fixture.hook("smokeTest", "Succeeded").await;
    fixture.group("web", Some(30), 5).await;
    let id = fixture
        .deploy(
            "app",
            80,
            &[("AfterAllowTestTraffic", "smokeTest")],
            "CodeDeployDefault.ECSCanary10Percent5Minutes",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    let events = fixture.events(&id).await;
    assert_eq!(events[0], pair("BeforeInstall", "Succeeded"));
    assert_eq!(events[1], pair("Install", "InProgress"));
    // The replacement runs web:2; its tasks are starting.
    assert_eq!(
        fixture.task_sets().await,
        [
            ("ACTIVE".to_owned(), "web:2".to_owned(), 0),
            ("PRIMARY".to_owned(), "web:1".to_owned(), 2)
        ]
    );
    let target = fixture.target(&id).await;
    let green = target
        .task_sets_info()
        .iter()
        .find(|set| {
            set.task_set_label()
                .map(aws_sdk_codedeploy::types::TargetLabel::as_str)
                == Some("Green")
        })
        .unwrap();
    assert_eq!((green.desired_count(), green.pending_count()), (2, 2));
    assert_eq!(green.target_group().unwrap().name(), Some("web-green"));

    // Once its tasks run: test traffic goes to it and the hook passes; the
    // deployment then waits for Continue, production still on blue.
    cloud.advance(TASK_START_MS);
    cloud.advance(EVENT_MS);
    assert_eq!(fixture.forwards(&fixture.test).await, [("green", 1)]);
    assert_eq!(fixture.forwards(&fixture.prod).await, [("blue", 1)]);
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Ready);
    // The group's last attempted deployment says so too, as it moves.
    let group = cloud
        .client
        .get_deployment_group()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .send()
        .await
        .unwrap();
    let attempted = group
        .deployment_group_info()
        .and_then(|info| info.last_attempted_deployment())
        .unwrap();
    assert_eq!(attempted.deployment_id(), Some(id.as_str()));
    assert_eq!(attempted.status(), Some(&DeploymentStatus::Ready));
    assert_eq!(
        &fixture.events(&id).await[..6],
        [
            pair("BeforeInstall", "Succeeded"),
            pair("Install", "Succeeded"),
            pair("AfterInstall", "Succeeded"),
            pair("AllowTestTraffic", "Succeeded"),
            pair("AfterAllowTestTraffic", "Succeeded"),
            pair("BeforeAllowTraffic", "Pending"),
        ]
    );

    cloud.advance(10 * MINUTE_MS);
    cloud
        .client
        .continue_deployment()
        .deployment_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fixture.forwards(&fixture.prod).await,
        [("blue", 90), ("green", 10)]
    );
    let target = fixture.target(&id).await;
    let weights: Vec<(String, i64)> = target
        .task_sets_info()
        .iter()
        .map(|set| {
            (
                set.task_set_label().unwrap().as_str().to_owned(),
                set.traffic_weight().round() as i64,
            )
        })
        .collect();
    assert_eq!(weights, [("Blue".to_owned(), 90), ("Green".to_owned(), 10)]);

    cloud.advance(5 * MINUTE_MS);
    assert_eq!(fixture.forwards(&fixture.prod).await, [("green", 1)]);
    // Green is primary; blue stays for the termination wait.
    assert_eq!(
        fixture.task_sets().await,
        [
            ("ACTIVE".to_owned(), "web:1".to_owned(), 2),
            ("PRIMARY".to_owned(), "web:2".to_owned(), 2)
        ]
    );
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::InProgress));
    assert!(info.instance_termination_wait_time_started());

    cloud.advance(5 * MINUTE_MS);
    assert_eq!(
        fixture.task_sets().await,
        [("PRIMARY".to_owned(), "web:2".to_owned(), 2)]
    );
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(info.compute_platform(), Some(&ComputePlatform::Ecs));
    let service = fixture
        .ecs
        .describe_services()
        .cluster("shop")
        .services("web")
        .send()
        .await
        .unwrap();
    assert!(
        service.services()[0]
            .task_definition()
            .unwrap()
            .ends_with("web:2")
    );

    // The next deployment goes the other way: behind web-blue.
    let next = fixture
        .deploy("app", 80, &[], "CodeDeployDefault.ECSAllAtOnce")
        .await;
    cloud.advance(1);
    let target = fixture.target(&next).await;
    let green = target
        .task_sets_info()
        .iter()
        .find(|set| {
            set.task_set_label()
                .map(aws_sdk_codedeploy::types::TargetLabel::as_str)
                == Some("Green")
        })
        .unwrap();
    assert_eq!(green.target_group().unwrap().name(), Some("web-blue"));
}

#[tokio::test]
async fn a_failing_after_allow_traffic_hook_moves_traffic_back_to_the_original_task_set() {
    let fixture = Fixture::start().await;
    fixture.hook("checkAfter", "Failed").await;
    fixture.group("web", None, 60).await;
    let id = fixture
        .deploy(
            "app",
            80,
            &[("AfterAllowTraffic", "checkAfter")],
            "CodeDeployDefault.ECSAllAtOnce",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    cloud.advance(TASK_START_MS);
    assert_eq!(fixture.forwards(&fixture.prod).await, [("green", 1)]);
    cloud.advance(EVENT_MS);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    assert_eq!(
        info.error_information().unwrap().code().unwrap().as_str(),
        "HOOK_EXECUTION_FAILURE"
    );
    let rollback = info
        .rollback_info()
        .unwrap()
        .rollback_deployment_id()
        .unwrap()
        .to_owned();
    cloud.advance(1);
    assert_eq!(cloud.status(&rollback).await, DeploymentStatus::Succeeded);
    assert_eq!(fixture.forwards(&fixture.prod).await, [("blue", 1)]);
    assert_eq!(fixture.forwards(&fixture.test).await, [("blue", 1)]);
    assert_eq!(
        fixture.task_sets().await,
        [("PRIMARY".to_owned(), "web:1".to_owned(), 2)]
    );
}

#[tokio::test]
async fn ecs_groups_and_deployments_that_do_not_fit_are_refused_or_failed() {
    let fixture = Fixture::start().await;
    let cloud = &fixture.cloud;
    fixture
        .service("rolling", DeploymentControllerType::Ecs)
        .await;
    cloud
        .client
        .create_application()
        .application_name(APP)
        .compute_platform(ComputePlatform::Ecs)
        .send()
        .await
        .unwrap();
    // A service not under CodeDeploy's controller, one that is missing,
    // and EC2 settings in an ECS group are refused.
    assert_eq!(
        error_code(fixture.try_group("rolling").send().await),
        "InvalidECSServiceException"
    );
    assert_eq!(
        error_code(fixture.try_group("missing").send().await),
        "InvalidECSServiceException"
    );
    assert_eq!(
        error_code(
            fixture
                .try_group("web")
                .ec2_tag_filters(deploy_support::tag_filter("Role", "web"))
                .send()
                .await
        ),
        "InvalidEC2TagException"
    );
    fixture.try_group("web").send().await.unwrap();

    // A container or port the task definition does not have fails the
    // deployment when it starts, as ECS refuses the task set.
    for (container, port, words) in [("db", 80, "container db"), ("app", 8443, "port 8443")] {
        let id = fixture
            .deploy(container, port, &[], "CodeDeployDefault.ECSAllAtOnce")
            .await;
        cloud.advance(1);
        let info = cloud.deployment(&id).await;
        assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
        let error = info.error_information().unwrap();
        assert_eq!(error.code().unwrap().as_str(), "ECS_UPDATE_ERROR");
        assert!(error.message().unwrap().contains(words), "{error:?}");
    }
    assert_eq!(
        fixture.task_sets().await,
        [("PRIMARY".to_owned(), "web:1".to_owned(), 2)]
    );

    // One active deployment per group; a Lambda configuration is refused.
    fixture
        .deploy(
            "app",
            80,
            &[],
            "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        )
        .await;
    let second = fixture
        .try_deploy("app", 80, &[], "CodeDeployDefault.ECSAllAtOnce")
        .await;
    assert_eq!(error_code(second), "DeploymentLimitExceededException");
    cloud.advance(12 * MINUTE_MS);
    let lambda_config = fixture
        .try_deploy("app", 80, &[], "CodeDeployDefault.LambdaAllAtOnce")
        .await;
    assert_eq!(
        error_code(lambda_config),
        "InvalidDeploymentConfigNameException"
    );
}
