//! The demo account's Lambda function and ECS service: there from the
//! account's first start, made again after a reset, and seeding twice
//! changes nothing.

use aws_sdk_ecs::types::DeploymentControllerType;
use deploydesk::cloud::demo_services::{
    self, BALANCER, BLUE, CLUSTER, CONTAINER, PRODUCTION_PORT, SERVICE, TASK_FAMILY, TEST_PORT,
};
use deploydesk::cloud::local::LocalCloudHost as _;
use deploydesk::cloud::session::Session;
use deploydesk::cloud::{demo_canary, ecs};
use deploydesk::embedded::EmbeddedLocalCloud;

/// Asserts the demo's function and service are there as made.
async fn assert_seeded(session: &Session) {
    let alias = session
        .lambda
        .get_alias()
        .function_name(demo_canary::FUNCTION)
        .name(demo_canary::ALIAS)
        .send()
        .await
        .expect("the alias");
    assert_eq!(alias.function_version(), Some("1"));

    let services = session
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .services(SERVICE)
        .send()
        .await
        .expect("the service");
    let service = &services.services()[0];
    assert_eq!(service.status(), Some("ACTIVE"));
    assert_eq!(
        service
            .deployment_controller()
            .map(aws_sdk_ecs::types::DeploymentController::r#type),
        Some(&DeploymentControllerType::CodeDeploy)
    );
    let primary = service
        .task_sets()
        .iter()
        .find(|set| set.status() == Some("PRIMARY"))
        .expect("its first task set");
    assert!(
        primary
            .task_definition()
            .is_some_and(|arn| arn.ends_with(&format!("{TASK_FAMILY}:1"))),
        "{primary:?}"
    );
    let balancer = &service.load_balancers()[0];
    assert_eq!(balancer.container_name(), Some(CONTAINER));

    // Revision 2 is there to deploy, with the container and its port.
    let revisions = ecs::list_task_definition_revisions(session, TASK_FAMILY)
        .await
        .expect("the revisions");
    assert_eq!(revisions.len(), 2, "{revisions:?}");
    assert_eq!(
        ecs::container_ports(session, &revisions[0])
            .await
            .expect("the ports"),
        [(CONTAINER.to_owned(), demo_services::CONTAINER_PORT)]
    );

    // Production and test listeners both forward to the blue group.
    let listeners = ecs::listeners_for(session, &[BLUE.to_owned()])
        .await
        .expect("the listeners");
    let ports: Vec<Option<i32>> = listeners.iter().map(|listener| listener.port).collect();
    assert_eq!(ports, [Some(PRODUCTION_PORT), Some(TEST_PORT)]);
    assert!(
        listeners
            .iter()
            .all(|listener| listener.forwards_to == [BLUE.to_owned()])
    );
    assert!(
        deploydesk::cloud::load_balancers::load_balancer_arn(session, BALANCER)
            .await
            .expect("the load balancers")
            .is_some()
    );
}

#[tokio::test]
async fn the_demo_account_has_a_lambda_function_and_an_ecs_service_after_starts_and_resets() {
    let cloud = EmbeddedLocalCloud::new(None);
    let url = cloud.endpoint().await.expect("started");
    assert!(cloud.take_notices().is_empty());
    let session = Session::local(&url).await;
    assert_seeded(&session).await;

    // Seeding again makes nothing more.
    demo_services::seed(&session).await.expect("seeded again");
    assert_seeded(&session).await;

    // A reset empties the account and the demo's services come back.
    session
        .ecs
        .delete_service()
        .cluster(CLUSTER)
        .service(SERVICE)
        .force(true)
        .send()
        .await
        .expect("deleted");
    cloud.reset().await.expect("reset");
    assert_seeded(&session).await;
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_local_cloud_without_the_demo_services_has_none() {
    let cloud = EmbeddedLocalCloud::with_options(deploydesk::localcloud::LocalCloudOptions {
        fleet: 3,
        ..Default::default()
    });
    let url = cloud.endpoint().await.expect("started");
    let session = Session::local(&url).await;
    assert!(
        ecs::cluster_names(&session)
            .await
            .expect("the clusters")
            .is_empty()
    );
    cloud.shutdown().await;
}
