//! The local cloud's ECS driven by the official SDK on a manual clock:
//! clusters, task definition revisions, a `CODE_DEPLOY` service behind an
//! Elastic Load Balancing v2 load balancer whose first task set ECS makes
//! itself and whose tasks go from pending to running as the clock moves, a
//! second task set created, scaled, made primary while the first is
//! deleted — what a blue/green deployment does —, an `ECS` service's
//! deployments, tags, state kept across a restart, and ECS's errors.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    AwsVpcConfiguration, Compatibility, ContainerDefinition, DeploymentController,
    DeploymentControllerType, LaunchType, LoadBalancer, NetworkConfiguration, NetworkMode,
    PortMapping, Scale, ScaleUnit, SortOrder, StabilityStatus, Tag, TaskDefinitionFamilyStatus,
    TaskDefinitionStatus, TaskSet, TransportProtocol,
};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use deploydesk::localcloud::ecs::TASK_START_MS;
use deploydesk::localcloud::{LocalCloud, ManualClock};
use support::START;

/// The cluster of the tests.
const CLUSTER: &str = "web";
/// The service of the tests.
const SERVICE: &str = "web";

/// The local cloud with SDK clients for ECS and Elastic Load Balancing v2.
struct Fixture {
    cloud: LocalCloud,
    clock: Arc<ManualClock>,
    ecs: aws_sdk_ecs::Client,
    elbv2: aws_sdk_elasticloadbalancingv2::Client,
}

/// The load balancer of a blue/green service: its blue target group, which
/// the production listener forwards to, and its green one, behind the test
/// listener.
struct Balancer {
    blue: String,
    green: String,
}

impl Fixture {
    async fn start() -> Self {
        let (cloud, clock) = support::start().await;
        Self::with(cloud, clock).await
    }

    async fn with(cloud: LocalCloud, clock: Arc<ManualClock>) -> Self {
        let config =
            support::config_at(&cloud.endpoint_url(), "us-east-1", RetryConfig::disabled()).await;
        Self {
            ecs: aws_sdk_ecs::Client::new(&config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            cloud,
            clock,
        }
    }

    /// Moves the clock on by `seconds`.
    fn wait(&self, seconds: i64) {
        self.clock.advance_millis(seconds * 1000);
    }

    /// Creates cluster `name`.
    async fn cluster(&self, name: &str) -> String {
        self.ecs
            .create_cluster()
            .cluster_name(name)
            .send()
            .await
            .unwrap()
            .cluster()
            .unwrap()
            .cluster_arn()
            .unwrap()
            .to_owned()
    }

    /// Registers the next revision of family `family`: one Fargate
    /// container `web` running `image` on port 80; returns its ARN.
    async fn register(&self, family: &str, image: &str) -> String {
        self.ecs
            .register_task_definition()
            .family(family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image(image)
                    .essential(true)
                    .port_mappings(
                        PortMapping::builder()
                            .container_port(80)
                            .protocol(TransportProtocol::Tcp)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .task_definition_arn()
            .unwrap()
            .to_owned()
    }

    /// Creates target group `name` for IP targets on port 80.
    async fn target_group(&self, name: &str) -> String {
        self.elbv2
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

    /// Adds a listener on `port` of `balancer` forwarding to `group`.
    async fn listener(&self, balancer: &str, port: i32, group: &str) {
        self.elbv2
            .create_listener()
            .load_balancer_arn(balancer)
            .protocol(ProtocolEnum::Http)
            .port(port)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(group)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// An application load balancer with a production listener (80) to a
    /// blue target group and a test listener (8080) to a green one.
    async fn balancer(&self) -> Balancer {
        let balancer = self
            .elbv2
            .create_load_balancer()
            .name("web-alb")
            .subnets("subnet-0a1b2c3d")
            .subnets("subnet-1a2b3c4d")
            .send()
            .await
            .unwrap()
            .load_balancers()[0]
            .load_balancer_arn()
            .unwrap()
            .to_owned();
        let blue = self.target_group("web-blue").await;
        let green = self.target_group("web-green").await;
        self.listener(&balancer, 80, &blue).await;
        self.listener(&balancer, 8080, &green).await;
        Balancer { blue, green }
    }

    /// `CreateService` of `web` in cluster `web` running `web:1` three
    /// times on Fargate under `controller`, behind `group` if given.
    fn create_service(
        &self,
        controller: DeploymentControllerType,
        group: Option<&str>,
    ) -> aws_sdk_ecs::operation::create_service::builders::CreateServiceFluentBuilder {
        let request = self
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(SERVICE)
            .task_definition("web:1")
            .desired_count(3)
            .launch_type(LaunchType::Fargate)
            .deployment_controller(
                DeploymentController::builder()
                    .r#type(controller)
                    .build()
                    .unwrap(),
            )
            .network_configuration(network());
        match group {
            Some(group) => request.load_balancers(load_balancer(group, "web", 80)),
            None => request,
        }
    }

    /// The task sets of service `web`, all or those `ids` names.
    async fn task_sets(&self, ids: &[&str]) -> Vec<TaskSet> {
        let mut request = self
            .ecs
            .describe_task_sets()
            .cluster(CLUSTER)
            .service(SERVICE);
        for id in ids {
            request = request.task_sets(*id);
        }
        request.send().await.unwrap().task_sets().to_vec()
    }

    /// The `(pendingCount, runningCount)` of service `web`.
    async fn service_counts(&self) -> (i32, i32) {
        let service = self.service().await;
        (service.pending_count(), service.running_count())
    }

    /// The service `web`.
    async fn service(&self) -> aws_sdk_ecs::types::Service {
        self.ecs
            .describe_services()
            .cluster(CLUSTER)
            .services(SERVICE)
            .send()
            .await
            .unwrap()
            .services()[0]
            .clone()
    }
}

/// A network configuration in two subnets.
fn network() -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-0a1b2c3d")
                .subnets("subnet-1a2b3c4d")
                .build()
                .unwrap(),
        )
        .build()
}

/// The load balancer `group` sending to port `port` of container `container`.
fn load_balancer(group: &str, container: &str, port: i32) -> LoadBalancer {
    LoadBalancer::builder()
        .target_group_arn(group)
        .container_name(container)
        .container_port(port)
        .build()
}

/// A scale of `percent` %.
fn percent(percent: f64) -> Scale {
    Scale::builder()
        .value(percent)
        .unit(ScaleUnit::Percent)
        .build()
}

/// The code and message of a failed call.
fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let error = result.expect_err("the call fails");
    (
        error.code().unwrap_or_default().to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

/// A task set's `(computedDesiredCount, pendingCount, runningCount)`.
fn counts(task_set: &TaskSet) -> (i32, i32, i32) {
    (
        task_set.computed_desired_count(),
        task_set.pending_count(),
        task_set.running_count(),
    )
}

/// The seconds a task takes to start.
const START_SECONDS: i64 = TASK_START_MS / 1000;

#[tokio::test]
async fn a_code_deploy_service_moves_from_its_first_task_set_to_a_second() {
    let fixture = Fixture::start().await;
    let cluster_arn = fixture.cluster(CLUSTER).await;
    let first = fixture.register("web", "nginx:1.25").await;
    let second = fixture.register("web", "nginx:1.27").await;
    assert!(first.ends_with(":task-definition/web:1"), "{first}");
    assert!(second.ends_with(":task-definition/web:2"), "{second}");
    let balancer = fixture.balancer().await;

    // ECS makes the service's first task set itself: PRIMARY, the whole
    // desired count, with the service's task definition and load balancer.
    let created = fixture
        .create_service(DeploymentControllerType::CodeDeploy, Some(&balancer.blue))
        .send()
        .await
        .unwrap();
    let service = created.service().unwrap();
    assert_eq!(
        service.service_arn(),
        Some(format!("arn:aws:ecs:us-east-1:000000000000:service/{CLUSTER}/{SERVICE}").as_str())
    );
    assert_eq!(service.cluster_arn(), Some(cluster_arn.as_str()));
    assert_eq!(service.status(), Some("ACTIVE"));
    assert_eq!(service.task_definition(), Some(first.as_str()));
    assert_eq!(
        service.deployment_controller().unwrap().r#type(),
        &DeploymentControllerType::CodeDeploy
    );
    assert!(service.deployments().is_empty());
    let [original] = service.task_sets() else {
        panic!("one task set: {:?}", service.task_sets());
    };
    assert_eq!(original.status(), Some("PRIMARY"));
    assert_eq!(original.task_definition(), Some(first.as_str()));
    assert!((original.scale().unwrap().value() - 100.0).abs() < 1e-9);
    assert_eq!(
        original.load_balancers()[0].target_group_arn(),
        Some(balancer.blue.as_str())
    );
    let original_id = original.id().unwrap().to_owned();
    assert!(original_id.starts_with("ecs-svc/"), "{original_id}");
    assert!(
        original
            .task_set_arn()
            .unwrap()
            .ends_with(&format!(":task-set/{CLUSTER}/{SERVICE}/{original_id}"))
    );
    assert_eq!(counts(original), (3, 3, 0));
    assert_eq!(
        original.stability_status(),
        Some(&StabilityStatus::Stabilizing)
    );
    assert_eq!((service.pending_count(), service.running_count()), (3, 0));

    // The tasks run once they have started.
    fixture.wait(START_SECONDS - 1);
    assert_eq!(counts(&fixture.task_sets(&[]).await[0]), (3, 3, 0));
    fixture.wait(1);
    let [original] = fixture.task_sets(&[]).await.try_into().unwrap();
    assert_eq!(counts(&original), (3, 0, 3));
    assert_eq!(
        original.stability_status(),
        Some(&StabilityStatus::SteadyState)
    );
    assert_eq!(
        original.stability_status_at().unwrap().secs(),
        START.as_millis() / 1000 + START_SECONDS
    );
    assert_eq!(fixture.service_counts().await, (0, 3));
    let clusters = fixture
        .ecs
        .describe_clusters()
        .clusters(CLUSTER)
        .send()
        .await
        .unwrap();
    let cluster = &clusters.clusters()[0];
    assert_eq!(cluster.running_tasks_count(), 3);
    assert_eq!(cluster.active_services_count(), 1);

    // A replacement task set, as a deployment creates it: no tasks yet.
    let replacement = fixture
        .ecs
        .create_task_set()
        .cluster(CLUSTER)
        .service(SERVICE)
        .task_definition("web:2")
        .external_id("d-EXAMPLE1")
        .load_balancers(load_balancer(&balancer.green, "web", 80))
        .network_configuration(network())
        .scale(percent(0.0))
        .send()
        .await
        .unwrap()
        .task_set()
        .unwrap()
        .clone();
    assert_eq!(replacement.status(), Some("ACTIVE"));
    assert_eq!(replacement.task_definition(), Some(second.as_str()));
    assert_eq!(replacement.external_id(), Some("d-EXAMPLE1"));
    assert_eq!(counts(&replacement), (0, 0, 0));
    assert_eq!(
        replacement.stability_status(),
        Some(&StabilityStatus::SteadyState)
    );
    let replacement_id = replacement.id().unwrap().to_owned();

    // Scaled to the whole service, it starts all its tasks.
    let scaled = fixture
        .ecs
        .update_task_set()
        .cluster(CLUSTER)
        .service(SERVICE)
        .task_set(&replacement_id)
        .scale(percent(100.0))
        .send()
        .await
        .unwrap();
    assert_eq!(counts(scaled.task_set().unwrap()), (3, 3, 0));
    assert_eq!(fixture.service_counts().await, (3, 3));
    fixture.wait(START_SECONDS);
    let [both] = fixture
        .task_sets(&[&replacement_id])
        .await
        .try_into()
        .unwrap();
    assert_eq!(counts(&both), (3, 0, 3));

    // It becomes the primary, and the service's task definition follows.
    let primary = fixture
        .ecs
        .update_service_primary_task_set()
        .cluster(CLUSTER)
        .service(SERVICE)
        .primary_task_set(replacement.task_set_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(primary.task_set().unwrap().status(), Some("PRIMARY"));
    let described = fixture.service().await;
    assert_eq!(described.task_definition(), Some(second.as_str()));
    let statuses: Vec<(String, String)> = described
        .task_sets()
        .iter()
        .map(|task_set| {
            (
                task_set.id().unwrap().to_owned(),
                task_set.status().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (original_id.clone(), "ACTIVE".to_owned()),
            (replacement_id.clone(), "PRIMARY".to_owned())
        ]
    );

    // The original still has tasks, so it goes only when forced.
    let (code, message) = error_of(
        fixture
            .ecs
            .delete_task_set()
            .cluster(CLUSTER)
            .service(SERVICE)
            .task_set(&original_id)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("scaled above 0"), "{message}");
    let deleted = fixture
        .ecs
        .delete_task_set()
        .cluster(CLUSTER)
        .service(SERVICE)
        .task_set(&original_id)
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.task_set().unwrap().status(), Some("DRAINING"));
    let remaining = fixture.task_sets(&[]).await;
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0].id(), Some(replacement_id.as_str()));
    assert_eq!(fixture.service_counts().await, (0, 3));

    // A task set asked for by an id the service no longer has is a failure.
    let asked = fixture
        .ecs
        .describe_task_sets()
        .cluster(CLUSTER)
        .service(SERVICE)
        .task_sets(&original_id)
        .send()
        .await
        .unwrap();
    assert!(asked.task_sets().is_empty());
    assert_eq!(asked.failures()[0].reason(), Some("MISSING"));
    assert_eq!(asked.failures()[0].arn(), Some(original_id.as_str()));

    // More desired tasks start in the primary task set.
    let updated = fixture
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service(SERVICE)
        .desired_count(4)
        .send()
        .await
        .unwrap();
    let service = updated.service().unwrap();
    assert_eq!((service.pending_count(), service.running_count()), (1, 3));
    assert_eq!(counts(&service.task_sets()[0]), (4, 1, 3));
}

#[tokio::test]
async fn task_definitions_count_revisions_and_are_named_by_family_revision_or_arn() {
    let fixture = Fixture::start().await;
    let first = fixture.register("web", "nginx:1.25").await;
    let second = fixture.register("web", "nginx:1.27").await;
    let api = fixture.register("api", "httpd:2").await;
    let describe = |reference: &str| {
        fixture
            .ecs
            .describe_task_definition()
            .task_definition(reference)
            .send()
    };

    let latest = describe("web").await.unwrap();
    let latest = latest.task_definition().unwrap();
    assert_eq!(latest.revision(), 2);
    assert_eq!(latest.status(), Some(&TaskDefinitionStatus::Active));
    assert_eq!(latest.network_mode(), Some(&NetworkMode::Awsvpc));
    assert_eq!(latest.cpu(), Some("256"));
    let container = &latest.container_definitions()[0];
    assert_eq!(container.image(), Some("nginx:1.27"));
    // In awsvpc mode the host port is the container port.
    assert_eq!(container.port_mappings()[0].host_port(), Some(80));
    assert_eq!(
        describe(&first)
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .revision(),
        1
    );
    assert_eq!(
        describe("web:1")
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .task_definition_arn(),
        Some(first.as_str())
    );

    // Deregistered, a revision stays describable but the family's latest
    // active one is the one before.
    let deregistered = fixture
        .ecs
        .deregister_task_definition()
        .task_definition("web:2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deregistered.task_definition().unwrap().status(),
        Some(&TaskDefinitionStatus::Inactive)
    );
    assert_eq!(
        describe("web")
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .revision(),
        1
    );
    assert_eq!(
        describe(&second)
            .await
            .unwrap()
            .task_definition()
            .unwrap()
            .status(),
        Some(&TaskDefinitionStatus::Inactive)
    );
    // A new revision numbers on from the last one.
    let third = fixture.register("web", "nginx:1.28").await;
    assert!(third.ends_with("web:3"), "{third}");

    let list = |status: TaskDefinitionStatus, sort: SortOrder| {
        fixture
            .ecs
            .list_task_definitions()
            .status(status)
            .sort(sort)
            .into_paginator()
            .page_size(1)
            .items()
            .send()
            .collect::<Result<Vec<String>, _>>()
    };
    assert_eq!(
        list(TaskDefinitionStatus::Active, SortOrder::Asc)
            .await
            .unwrap(),
        [api.clone(), first.clone(), third.clone()]
    );
    assert_eq!(
        list(TaskDefinitionStatus::Active, SortOrder::Desc)
            .await
            .unwrap(),
        [third.clone(), first.clone(), api.clone()]
    );
    assert_eq!(
        list(TaskDefinitionStatus::Inactive, SortOrder::Asc)
            .await
            .unwrap(),
        std::slice::from_ref(&second)
    );
    let web_only = fixture
        .ecs
        .list_task_definitions()
        .family_prefix("web")
        .send()
        .await
        .unwrap();
    assert_eq!(web_only.task_definition_arns(), [first.clone(), third]);

    // Families: by prefix and by whether they have an active revision.
    let families = |prefix: Option<&str>, status: Option<TaskDefinitionFamilyStatus>| {
        fixture
            .ecs
            .list_task_definition_families()
            .set_family_prefix(prefix.map(str::to_owned))
            .set_status(status)
            .send()
    };
    assert_eq!(
        families(None, None).await.unwrap().families(),
        ["api", "web"]
    );
    assert_eq!(
        families(Some("w"), Some(TaskDefinitionFamilyStatus::Active))
            .await
            .unwrap()
            .families(),
        ["web"]
    );
    assert!(
        families(None, Some(TaskDefinitionFamilyStatus::Inactive))
            .await
            .unwrap()
            .families()
            .is_empty()
    );

    // ECS's errors.
    let (code, message) = error_of(describe("nope").await);
    assert_eq!(code, "ClientException");
    assert_eq!(message, "Unable to describe task definition.");
    let (code, _) = error_of(describe("web:9").await);
    assert_eq!(code, "ClientException");
    let (code, message) = error_of(
        fixture
            .ecs
            .deregister_task_definition()
            .task_definition("web")
            .send()
            .await,
    );
    assert_eq!(code, "ClientException");
    assert!(message.contains("Revision is missing"), "{message}");
    let (code, message) = error_of(
        fixture
            .ecs
            .register_task_definition()
            .family("web")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image("nginx")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ClientException");
    assert!(
        message.contains("'memory' or 'memoryReservation'"),
        "{message}"
    );
    let (code, message) = error_of(
        fixture
            .ecs
            .register_task_definition()
            .family("web")
            .network_mode(NetworkMode::Awsvpc)
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image("nginx")
                    .port_mappings(
                        PortMapping::builder()
                            .container_port(80)
                            .host_port(8080)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ClientException");
    assert!(message.contains("must match"), "{message}");
}

#[tokio::test]
async fn an_ecs_controller_service_rolls_deployments_and_has_no_task_sets() {
    let fixture = Fixture::start().await;
    fixture.cluster(CLUSTER).await;
    fixture.register("web", "nginx:1.25").await;
    let second = fixture.register("web", "nginx:1.27").await;
    let created = fixture
        .create_service(DeploymentControllerType::Ecs, None)
        .send()
        .await
        .unwrap();
    let service = created.service().unwrap();
    assert!(service.task_sets().is_empty());
    let [deployment] = service.deployments() else {
        panic!("one deployment: {:?}", service.deployments());
    };
    assert_eq!(deployment.status(), Some("PRIMARY"));
    assert_eq!(
        (deployment.desired_count(), deployment.pending_count()),
        (3, 3)
    );
    fixture.wait(START_SECONDS);

    // Task sets are for services whose deployments are driven from outside.
    let (code, message) = error_of(
        fixture
            .ecs
            .create_task_set()
            .cluster(CLUSTER)
            .service(SERVICE)
            .task_definition("web:2")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Amazon ECS only supports task set management on services configured to use external deployment controllers."
    );

    // A new task definition is a new primary deployment; the old one keeps
    // its tasks until the new one's run.
    let updated = fixture
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service(SERVICE)
        .task_definition("web:2")
        .send()
        .await
        .unwrap();
    let service = updated.service().unwrap();
    assert_eq!(service.task_definition(), Some(second.as_str()));
    let shown: Vec<(&str, i32, i32)> = service
        .deployments()
        .iter()
        .map(|deployment| {
            (
                deployment.status().unwrap(),
                deployment.pending_count(),
                deployment.running_count(),
            )
        })
        .collect();
    assert_eq!(shown, [("PRIMARY", 3, 0), ("ACTIVE", 0, 3)]);
    assert_eq!((service.pending_count(), service.running_count()), (3, 3));
    fixture.wait(START_SECONDS);
    let service = fixture.service().await;
    let [deployment] = service.deployments() else {
        panic!("one deployment: {:?}", service.deployments());
    };
    assert_eq!(deployment.task_definition(), Some(second.as_str()));
    assert_eq!(deployment.running_count(), 3);
    assert_eq!(
        deployment.rollout_state(),
        Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed)
    );
}

#[tokio::test]
async fn bad_services_are_refused_with_ecs_errors() {
    let fixture = Fixture::start().await;
    fixture.register("web", "nginx:1.25").await;
    fixture.register("web", "nginx:1.27").await;
    let balancer = fixture.balancer().await;
    let (code, message) = error_of(
        fixture
            .create_service(DeploymentControllerType::CodeDeploy, Some(&balancer.blue))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ClusterNotFoundException", "Cluster not found.")
    );
    fixture.cluster(CLUSTER).await;

    let refused = |reference: &'static str, group: String, container: &'static str, port: i32| {
        fixture
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name("refused")
            .task_definition(reference)
            .desired_count(1)
            .deployment_controller(
                DeploymentController::builder()
                    .r#type(DeploymentControllerType::CodeDeploy)
                    .build()
                    .unwrap(),
            )
            .load_balancers(load_balancer(&group, container, port))
            .send()
    };
    let (code, message) = error_of(refused("nope:1", balancer.blue.clone(), "web", 80).await);
    assert_eq!(code, "ClientException");
    assert_eq!(message, "Unable to describe task definition.");
    let (code, message) = error_of(refused("web:1", balancer.blue.clone(), "app", 80).await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "The container app does not exist in the task definition."
    );
    let (code, message) = error_of(refused("web:1", balancer.blue.clone(), "web", 8080).await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "The container web did not have a container port 8080 defined."
    );
    let missing = balancer.blue.replace("web-blue", "web-gone");
    let (code, message) = error_of(refused("web:1", missing, "web", 80).await);
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("does not exist"), "{message}");
    let unused = fixture.target_group("web-unused").await;
    let (code, message) = error_of(refused("web:1", unused, "web", 80).await);
    assert_eq!(code, "InvalidParameterException");
    assert!(
        message.ends_with("does not have an associated load balancer."),
        "{message}"
    );
    let (code, message) = error_of(
        fixture
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name("refused")
            .task_definition("web:1")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert!(message.starts_with("desiredCount is required"), "{message}");
    // Nothing was half made.
    let listed = fixture
        .ecs
        .list_services()
        .cluster(CLUSTER)
        .send()
        .await
        .unwrap();
    assert!(listed.service_arns().is_empty());

    fixture
        .create_service(DeploymentControllerType::CodeDeploy, Some(&balancer.blue))
        .send()
        .await
        .unwrap();
    let (code, message) = error_of(
        fixture
            .create_service(DeploymentControllerType::CodeDeploy, Some(&balancer.blue))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(message, "Creation of service was not idempotent.");
    // A CODE_DEPLOY service's task definition changes through CodeDeploy.
    let (code, message) = error_of(
        fixture
            .ecs
            .update_service()
            .cluster(CLUSTER)
            .service(SERVICE)
            .task_definition("web:2")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."
    );
    let (code, message) = error_of(
        fixture
            .ecs
            .update_service()
            .cluster(CLUSTER)
            .service("nope")
            .desired_count(1)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ServiceNotFoundException", "Service not found.")
    );
    let described = fixture
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .services("nope")
        .send()
        .await
        .unwrap();
    assert!(described.services().is_empty());
    assert_eq!(described.failures()[0].reason(), Some("MISSING"));
    assert_eq!(
        described.failures()[0].arn(),
        Some("arn:aws:ecs:us-east-1:000000000000:service/web/nope")
    );
    let (code, _) = error_of(
        fixture
            .ecs
            .describe_task_sets()
            .cluster(CLUSTER)
            .service("nope")
            .send()
            .await,
    );
    assert_eq!(code, "ServiceNotFoundException");
    let (code, message) = error_of(
        fixture
            .ecs
            .create_task_set()
            .cluster(CLUSTER)
            .service(SERVICE)
            .task_definition("web:2")
            .load_balancers(load_balancer(&balancer.green, "web", 81))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "The container web did not have a container port 81 defined."
    );
    assert_eq!(fixture.task_sets(&[]).await.len(), 1);
}

#[tokio::test]
async fn clusters_and_services_are_deleted_in_order_and_drain() {
    let fixture = Fixture::start().await;
    // An unnamed cluster is the default one.
    let created = fixture.ecs.create_cluster().send().await.unwrap();
    assert_eq!(created.cluster().unwrap().cluster_name(), Some("default"));
    fixture.cluster(CLUSTER).await;
    fixture.register("web", "nginx:1.25").await;
    let described = fixture
        .ecs
        .describe_clusters()
        .clusters(CLUSTER)
        .clusters("arn:aws:ecs:us-east-1:000000000000:cluster/nope")
        .send()
        .await
        .unwrap();
    assert_eq!(described.clusters().len(), 1);
    assert_eq!(described.failures()[0].reason(), Some("MISSING"));
    fixture
        .create_service(DeploymentControllerType::Ecs, None)
        .send()
        .await
        .unwrap();

    let delete_cluster = || fixture.ecs.delete_cluster().cluster(CLUSTER).send();
    let (code, message) = error_of(delete_cluster().await);
    assert_eq!(code, "ClusterContainsServicesException");
    assert_eq!(
        message,
        "The Cluster cannot be deleted while Services are active."
    );
    let delete_service = |force: bool| {
        fixture
            .ecs
            .delete_service()
            .cluster(CLUSTER)
            .service(SERVICE)
            .force(force)
            .send()
    };
    let (code, message) = error_of(delete_service(false).await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "The service cannot be stopped while it is scaled above 0."
    );
    let deleted = delete_service(true).await.unwrap();
    assert_eq!(deleted.service().unwrap().status(), Some("DRAINING"));
    assert_eq!(deleted.service().unwrap().desired_count(), 0);
    // While it drains, the cluster still may not go.
    let (code, _) = error_of(delete_cluster().await);
    assert_eq!(code, "ClusterContainsServicesException");
    fixture.wait(START_SECONDS);
    assert_eq!(fixture.service().await.status(), Some("INACTIVE"));
    let deleted = delete_cluster().await.unwrap();
    assert_eq!(deleted.cluster().unwrap().status(), Some("INACTIVE"));
    let listed = fixture.ecs.list_clusters().send().await.unwrap();
    assert_eq!(
        listed.cluster_arns(),
        ["arn:aws:ecs:us-east-1:000000000000:cluster/default"]
    );
    let (code, _) = error_of(fixture.ecs.list_services().cluster(CLUSTER).send().await);
    assert_eq!(code, "ClusterNotFoundException");
}

#[tokio::test]
async fn tags_and_state_outlive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (cloud, clock) = support::start_with_state(Some(state.clone())).await;
    let fixture = Fixture::with(cloud, clock).await;
    let cluster_arn = fixture.cluster(CLUSTER).await;
    let definition = fixture.register("web", "nginx:1.25").await;
    let balancer = fixture.balancer().await;
    let service_arn = fixture
        .create_service(DeploymentControllerType::CodeDeploy, Some(&balancer.blue))
        .send()
        .await
        .unwrap()
        .service()
        .unwrap()
        .service_arn()
        .unwrap()
        .to_owned();
    for arn in [&cluster_arn, &definition, &service_arn] {
        fixture
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key("team").value("web").build())
            .tags(Tag::builder().key("stage").value("prod").build())
            .send()
            .await
            .unwrap();
    }
    fixture
        .ecs
        .untag_resource()
        .resource_arn(&service_arn)
        .tag_keys("stage")
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        fixture
            .ecs
            .list_tags_for_resource()
            .resource_arn(service_arn.replace("/web/web", "/web/nope"))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    fixture.wait(START_SECONDS);
    fixture.cloud.shutdown().await;

    let (cloud, clock) = support::start_with_state(Some(state)).await;
    clock.set(START.plus_millis(TASK_START_MS));
    let fixture = Fixture::with(cloud, clock).await;
    let tags = |arn: String| {
        let ecs = fixture.ecs.clone();
        async move {
            let listed = ecs
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .unwrap();
            let mut tags: Vec<(String, String)> = listed
                .tags()
                .iter()
                .map(|tag| {
                    (
                        tag.key().unwrap().to_owned(),
                        tag.value().unwrap().to_owned(),
                    )
                })
                .collect();
            tags.sort();
            tags
        }
    };
    let both = vec![
        ("stage".to_owned(), "prod".to_owned()),
        ("team".to_owned(), "web".to_owned()),
    ];
    assert_eq!(tags(cluster_arn).await, both);
    assert_eq!(tags(definition).await, both);
    assert_eq!(
        tags(service_arn).await,
        [("team".to_owned(), "web".to_owned())]
    );
    let [task_set] = fixture.task_sets(&[]).await.try_into().unwrap();
    assert_eq!(counts(&task_set), (3, 0, 3));
    assert_eq!(task_set.status(), Some("PRIMARY"));
}
