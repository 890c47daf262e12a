//! ECS, checked against both backends through the SDK: task definition
//! revisions, a `CODE_DEPLOY` service moved to a second task set (what a
//! CodeDeploy blue/green deployment does), an `ECS` service's deployment,
//! and errors. The services have no load balancer here: the load balancer
//! checks, which moto does not make, are in `tests/localcloud/ecs.rs`.
//!
//! Where moto (5.x) departs from AWS, the check runs on the local cloud
//! only and says why. moto:
//! - makes no first task set for a `CODE_DEPLOY` service (AWS's ECS makes
//!   one, `PRIMARY`, from the service's task definition);
//! - does not move tasks on a clock: a task set has no computed desired,
//!   pending or running count and is always `STEADY_STATE` (it starts the
//!   service's desired count times the scale, rounded down, as tasks), so
//!   counts are checked on the local cloud only;
//! - accepts task sets on a service under the `ECS` controller, a task
//!   definition update of a `CODE_DEPLOY` service, and deleting a cluster
//!   that still has services, which AWS refuses;
//! - names a missing service in `failures` by the short ARN without its
//!   cluster;
//! - fails `CreateTaskSet` with a server error when a container has no
//!   memory of its own, so the containers here have one.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, DeploymentController, DeploymentControllerType, LaunchType,
    NetworkMode, PortMapping, Scale, ScaleUnit,
};

use crate::Clients;
use crate::crosscheck;

/// The error code of a refused call.
fn code<E: ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or("none").to_owned()
}

/// Registers the next revision of `family`, one Fargate container `web` of
/// `image` on port 80; returns its ARN.
async fn register(clients: &Clients, family: &str, image: &str) -> String {
    clients
        .ecs
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
                // moto's CreateTaskSet fails (HTTP 500) when a container
                // has no memory of its own, though AWS takes the task's.
                .memory(512)
                .port_mappings(PortMapping::builder().container_port(80).build())
                .build(),
        )
        .send()
        .await
        .expect("registered")
        .task_definition()
        .expect("a task definition")
        .task_definition_arn()
        .expect("an ARN")
        .to_owned()
}

/// Creates a cluster named after `prefix`; returns its name.
async fn cluster(clients: &Clients, prefix: &str) -> String {
    let name = clients.unique(prefix);
    clients
        .ecs
        .create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .expect("the cluster is created");
    name
}

/// Creates service `web` of `cluster` running two tasks of `family:1` on
/// Fargate under `controller`.
async fn service(
    clients: &Clients,
    cluster: &str,
    family: &str,
    controller: DeploymentControllerType,
) {
    clients
        .ecs
        .create_service()
        .cluster(cluster)
        .service_name("web")
        .task_definition(format!("{family}:1"))
        .desired_count(2)
        .launch_type(LaunchType::Fargate)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(controller)
                .build()
                .expect("a controller"),
        )
        .send()
        .await
        .expect("the service is created");
}

/// A scale of `percent` %.
fn percent(percent: f64) -> Scale {
    Scale::builder()
        .value(percent)
        .unit(ScaleUnit::Percent)
        .build()
}

crosscheck!(
    a_code_deploy_service_moves_to_a_second_task_set,
    |clients: Clients| async move {
        let family = clients.unique("web");
        let first = register(&clients, &family, "nginx:1.25").await;
        let second = register(&clients, &family, "nginx:1.27").await;
        assert!(
            first.ends_with(&format!("task-definition/{family}:1")),
            "{first}"
        );
        assert!(
            second.ends_with(&format!("task-definition/{family}:2")),
            "{second}"
        );
        let cluster = cluster(&clients, "blue-green").await;
        service(
            &clients,
            &cluster,
            &family,
            DeploymentControllerType::CodeDeploy,
        )
        .await;
        let describe = || {
            clients
                .ecs
                .describe_services()
                .cluster(&cluster)
                .services("web")
                .send()
        };
        let described = describe().await.expect("described");
        let created = &described.services()[0];
        assert_eq!(created.task_definition(), Some(first.as_str()));
        if !clients.moto_differs("moto makes no first task set for a CODE_DEPLOY service") {
            let [original] = created.task_sets() else {
                panic!("one task set: {:?}", created.task_sets());
            };
            assert_eq!(original.status(), Some("PRIMARY"));
            assert_eq!(original.task_definition(), Some(first.as_str()));
            assert_eq!(original.computed_desired_count(), 2);
            assert_eq!(original.pending_count(), 2);
        }

        let replacement = clients
            .ecs
            .create_task_set()
            .cluster(&cluster)
            .service("web")
            .task_definition(format!("{family}:2"))
            .external_id("d-EXAMPLE1")
            .launch_type(LaunchType::Fargate)
            .scale(percent(0.0))
            .send()
            .await
            .expect("the task set is created")
            .task_set()
            .expect("a task set")
            .clone();
        assert_eq!(replacement.status(), Some("ACTIVE"));
        assert_eq!(replacement.task_definition(), Some(second.as_str()));
        assert_eq!(replacement.external_id(), Some("d-EXAMPLE1"));
        let replacement_arn = replacement.task_set_arn().expect("an ARN").to_owned();
        assert!(
            replacement_arn.contains(&format!(":task-set/{cluster}/web/ecs-svc/")),
            "{replacement_arn}"
        );

        let scaled = clients
            .ecs
            .update_task_set()
            .cluster(&cluster)
            .service("web")
            .task_set(&replacement_arn)
            .scale(percent(50.0))
            .send()
            .await
            .expect("scaled");
        let scaled = scaled.task_set().expect("a task set");
        assert_eq!(scaled.scale().map(Scale::value), Some(50.0));
        if !clients.moto_differs("moto reports no task counts for a task set") {
            assert_eq!(scaled.computed_desired_count(), 1);
            assert_eq!(scaled.pending_count(), 1);
        }

        let primary = clients
            .ecs
            .update_service_primary_task_set()
            .cluster(&cluster)
            .service("web")
            .primary_task_set(&replacement_arn)
            .send()
            .await
            .expect("made primary");
        assert_eq!(
            primary.task_set().expect("a task set").status(),
            Some("PRIMARY")
        );
        let described = describe().await.expect("described");
        let service = &described.services()[0];
        assert_eq!(service.task_definition(), Some(second.as_str()));
        for task_set in service.task_sets() {
            let expected = if task_set.task_set_arn() == Some(replacement_arn.as_str()) {
                "PRIMARY"
            } else {
                "ACTIVE"
            };
            assert_eq!(task_set.status(), Some(expected));
        }

        // The others go, forced, and the replacement stays.
        for task_set in service.task_sets() {
            let arn = task_set.task_set_arn().expect("an ARN");
            if arn != replacement_arn {
                clients
                    .ecs
                    .delete_task_set()
                    .cluster(&cluster)
                    .service("web")
                    .task_set(arn)
                    .force(true)
                    .send()
                    .await
                    .expect("deleted");
            }
        }
        let left = clients
            .ecs
            .describe_task_sets()
            .cluster(&cluster)
            .service("web")
            .send()
            .await
            .expect("described");
        let left: Vec<&str> = left
            .task_sets()
            .iter()
            .filter_map(|task_set| task_set.task_set_arn())
            .collect();
        assert_eq!(left, [replacement_arn.as_str()]);
        clients.finish().await;
    }
);

crosscheck!(
    an_ecs_service_has_a_primary_deployment_and_refuses_what_aws_refuses,
    |clients: Clients| async move {
        let family = clients.unique("api");
        let first = register(&clients, &family, "httpd:2.4").await;
        let cluster = cluster(&clients, "rolling").await;
        service(&clients, &cluster, &family, DeploymentControllerType::Ecs).await;
        let described = clients
            .ecs
            .describe_services()
            .cluster(&cluster)
            .services("web")
            .services("nope")
            .send()
            .await
            .expect("described");
        let service = &described.services()[0];
        let deployments = service.deployments();
        assert_eq!(deployments.len(), 1);
        assert_eq!(deployments[0].status(), Some("PRIMARY"));
        assert_eq!(deployments[0].task_definition(), Some(first.as_str()));
        assert_eq!(described.failures()[0].reason(), Some("MISSING"));
        if !clients.moto_differs("moto names a missing service without its cluster") {
            assert!(
                described.failures()[0]
                    .arn()
                    .is_some_and(|arn| arn.ends_with(&format!(":service/{cluster}/nope"))),
                "{:?}",
                described.failures()
            );
        }

        let missing = clients
            .ecs
            .describe_task_definition()
            .task_definition(format!("{family}-gone"))
            .send()
            .await
            .expect_err("no such task definition");
        assert_eq!(code(&missing), "ClientException");
        assert_eq!(
            missing.message(),
            Some("Unable to describe task definition.")
        );
        let missing = clients
            .ecs
            .update_service()
            .cluster(&cluster)
            .service("nope")
            .desired_count(1)
            .send()
            .await
            .expect_err("no such service");
        assert_eq!(code(&missing), "ServiceNotFoundException");
        let missing = clients
            .ecs
            .list_services()
            .cluster(clients.unique("gone"))
            .send()
            .await
            .expect_err("no such cluster");
        assert_eq!(code(&missing), "ClusterNotFoundException");

        if !clients.moto_differs("moto manages task sets on services of any controller") {
            let refused = clients
                .ecs
                .create_task_set()
                .cluster(&cluster)
                .service("web")
                .task_definition(&first)
                .send()
                .await
                .expect_err("no task sets under the ECS controller");
            assert_eq!(code(&refused), "InvalidParameterException");
        }
        if !clients.moto_differs("moto deletes a cluster that still has services") {
            let refused = clients
                .ecs
                .delete_cluster()
                .cluster(&cluster)
                .send()
                .await
                .expect_err("the cluster has a service");
            assert_eq!(code(&refused), "ClusterContainsServicesException");
        }

        // The family is listed by its prefix.
        let families = clients
            .ecs
            .list_task_definition_families()
            .family_prefix(&family)
            .send()
            .await
            .expect("the families");
        assert_eq!(families.families(), std::slice::from_ref(&family));

        // Deregistered, a revision leaves the family's active list.
        clients
            .ecs
            .deregister_task_definition()
            .task_definition(&first)
            .send()
            .await
            .expect("deregistered");
        let active = clients
            .ecs
            .list_task_definitions()
            .family_prefix(&family)
            .send()
            .await
            .expect("listed");
        assert!(active.task_definition_arns().is_empty());
        clients.finish().await;
    }
);

crosscheck!(
    a_code_deploy_service_takes_no_task_definition_update,
    |clients: Clients| async move {
        let family = clients.unique("site");
        register(&clients, &family, "nginx:1.25").await;
        register(&clients, &family, "nginx:1.27").await;
        let cluster = cluster(&clients, "guarded").await;
        service(
            &clients,
            &cluster,
            &family,
            DeploymentControllerType::CodeDeploy,
        )
        .await;
        let update = clients
            .ecs
            .update_service()
            .cluster(&cluster)
            .service("web")
            .task_definition(format!("{family}:2"))
            .send()
            .await;
        if !clients.moto_differs("moto updates a CODE_DEPLOY service's task definition") {
            let refused = update.expect_err("CodeDeploy changes the task definition");
            assert_eq!(code(&refused), "InvalidParameterException");
            assert!(
                refused
                    .message()
                    .is_some_and(|message| message.contains("Use AWS CodeDeploy")),
                "{refused:?}"
            );
        }
        clients.finish().await;
    }
);
