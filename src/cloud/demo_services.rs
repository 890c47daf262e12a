//! The demo account's services that shift traffic, there from its first
//! launch so that the Lambda and ECS pages have something to show:
//!
//! - the Lambda function `demo-orders` with versions 1 and 2 and its alias
//!   `live` at version 1 (with the hook function "Show me a canary" uses);
//! - the ECS service `demo-web` in the cluster `demo`, deployed by
//!   CodeDeploy, running revision 1 of the task definition `demo-web`
//!   (revision 2 is registered, ready to deploy) behind the target group
//!   `demo-web-blue`, with `demo-web-green` beside it and the load balancer
//!   `demo-web` forwarding production traffic on port 80 and test traffic
//!   on port 8080.
//!
//! Everything is made through the same calls a person's tools would make,
//! and only what is missing is made, so seeding again is safe.

use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentController, DeploymentControllerType, LoadBalancer, PortMapping,
};

use super::demo::DemoError;
use super::demo_scenarios::{SUBNETS, VPC_ID};
use super::error::sdk_error as error;
use super::load_balancers::{self, NewTargetGroup};
use super::session::Session;

/// The cluster of the demo's ECS service.
pub const CLUSTER: &str = "demo";
/// The ECS service.
pub const SERVICE: &str = "demo-web";
/// Its task definition family.
pub const TASK_FAMILY: &str = "demo-web";
/// The container that serves traffic.
pub const CONTAINER: &str = "web";
/// The port it serves on.
pub const CONTAINER_PORT: i32 = 80;
/// The target group serving production first.
pub const BLUE: &str = "demo-web-blue";
/// The target group a replacement task set starts behind.
pub const GREEN: &str = "demo-web-green";
/// The load balancer in front of both.
pub const BALANCER: &str = "demo-web";
/// The production listener's port.
pub const PRODUCTION_PORT: i32 = 80;
/// The test listener's port.
pub const TEST_PORT: i32 = 8080;
/// How many tasks the service runs.
pub const DESIRED_TASKS: i32 = 2;

/// The images of the task definition's revisions 1 and 2.
const IMAGES: [&str; 2] = [
    "public.ecr.aws/nginx/nginx:1.26",
    "public.ecr.aws/nginx/nginx:1.27",
];

/// Makes the Lambda function and the ECS service, unless they exist.
pub async fn seed(session: &Session) -> Result<(), DemoError> {
    super::demo_canary::functions(session).await?;
    ecs_service(session).await
}

/// The ECS service behind its load balancer, unless it exists.
async fn ecs_service(session: &Session) -> Result<(), DemoError> {
    let ecs = &session.ecs;
    let existing = ecs
        .describe_services()
        .cluster(CLUSTER)
        .services(SERVICE)
        .send()
        .await;
    if existing.is_ok_and(|output| {
        output
            .services()
            .iter()
            .any(|service| service.status() == Some("ACTIVE"))
    }) {
        return Ok(());
    }
    let mut arns = Vec::new();
    for name in [BLUE, GREEN] {
        let arn = match load_balancers::target_group_arn(session, name).await? {
            Some(arn) => arn,
            None => {
                load_balancers::create_target_group(
                    session,
                    &NewTargetGroup {
                        name: name.to_owned(),
                        port: CONTAINER_PORT,
                        vpc_id: VPC_ID.to_owned(),
                        health_check_interval_seconds: 5,
                        healthy_threshold: 2,
                        deregistration_delay_seconds: 0,
                    },
                )
                .await?
            }
        };
        arns.push(arn);
    }
    let blue = &arns[0];
    let balancer = if let Some(arn) = load_balancers::load_balancer_arn(session, BALANCER).await? {
        arn
    } else {
        let subnets: Vec<String> = SUBNETS.iter().map(|&subnet| subnet.to_owned()).collect();
        load_balancers::create_load_balancer(session, BALANCER, &subnets).await?
    };
    for port in [PRODUCTION_PORT, TEST_PORT] {
        load_balancers::forward_to(session, &balancer, port, blue).await?;
    }
    let clusters = ecs
        .describe_clusters()
        .clusters(CLUSTER)
        .send()
        .await
        .map_err(error(session, "DescribeClusters"))?;
    if !clusters
        .clusters()
        .iter()
        .any(|cluster| cluster.status() == Some("ACTIVE"))
    {
        ecs.create_cluster()
            .cluster_name(CLUSTER)
            .send()
            .await
            .map_err(error(session, "CreateCluster"))?;
    }
    let revisions = super::ecs::list_task_definition_revisions(session, TASK_FAMILY).await?;
    for image in IMAGES.iter().skip(revisions.len()) {
        ecs.register_task_definition()
            .family(TASK_FAMILY)
            .container_definitions(
                ContainerDefinition::builder()
                    .name(CONTAINER)
                    .image(*image)
                    .memory(512)
                    .essential(true)
                    .port_mappings(
                        PortMapping::builder()
                            .container_port(CONTAINER_PORT)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(error(session, "RegisterTaskDefinition"))?;
    }
    let controller = DeploymentController::builder()
        .r#type(DeploymentControllerType::CodeDeploy)
        .build()
        .map_err(|problem| DemoError::Scenario(problem.to_string()))?;
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name(SERVICE)
        .task_definition(format!("{TASK_FAMILY}:1"))
        .desired_count(DESIRED_TASKS)
        .deployment_controller(controller)
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(blue)
                .container_name(CONTAINER)
                .container_port(CONTAINER_PORT)
                .build(),
        )
        .send()
        .await
        .map_err(error(session, "CreateService"))?;
    Ok(())
}
