//! The Applications page's live section on the demo account: an ECS
//! group's service, task sets and listeners, and a Lambda group's alias
//! with its versions' weights, read again while a deployment runs and not
//! otherwise. Also what a read again costs, counted on a local cloud of
//! its own: run with `--nocapture` to see the figures.
//!
//!     cargo test --test ui applications_traffic:: -- --nocapture

use crate::traffic_support;
use crate::ui_support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_codedeploy::types as cd;
use deploydesk::cloud::Session;
use deploydesk::cloud::live_targets::{self, LambdaLive, ListenerRole, LiveTargets};
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};
use deploydesk::settings::{BackendChoice, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_support::{app_harness, dismiss_tour, has_text, run_until};

const ECS_APPSPEC: &str = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: web:2\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n";

/// The live section's words while a deployment runs.
const LIVE: &str = "live: read again every";

/// The app on a demo account whose configured minutes last `minute`, past
/// its welcome panel and connected.
fn harness(minute: Duration) -> Harness<'static, App> {
    let local_cloud = Arc::new(EmbeddedLocalCloud::with_options(LocalCloudOptions {
        event_duration: Duration::from_millis(100),
        minute,
        ..LocalCloudOptions::default()
    }));
    let mut harness = app_harness(
        AppOptions {
            settings_path: None,
            backend_override: Some(BackendChoice::Demo),
            local_cloud: Some(local_cloud),
        },
        egui::vec2(1280.0, 860.0),
    );
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    dismiss_tour(&mut harness);
    harness
}

/// The app's session.
fn session(harness: &Harness<'_, App>) -> Session {
    (*harness.state().session().expect("connected")).clone()
}

/// Shows the page `label` by its navigation button.
fn go_to(harness: &mut Harness<'static, App>, label: &str, page: Page) {
    harness.get_by_role_and_label(Role::Button, label).click();
    run_until(harness, label, |h| h.state().page() == page);
}

/// An ECS service `web` of two tasks in cluster `shop`, behind the target
/// group `web-blue` of a load balancer with a production listener (80) and
/// a test listener (8080), both forwarding to `web-blue`; a second target
/// group `web-green`; task definition `web` revisions 1 and 2; an ECS
/// application `shop` with a blue/green group `web` that waits for
/// Continue after the test traffic reaches the replacement. Returns the
/// ARN of the test listener.
async fn set_up_shop(session: &Session) -> String {
    use aws_sdk_ecs::types::{
        ContainerDefinition, DeploymentController, DeploymentControllerType, LoadBalancer,
        PortMapping,
    };
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
    let mut groups = Vec::new();
    for name in ["web-blue", "web-green"] {
        let created = session
            .elbv2
            .create_target_group()
            .name(name)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id("vpc-0a1b2c3d")
            .send()
            .await
            .expect("target group");
        groups.push(
            created.target_groups()[0]
                .target_group_arn()
                .expect("an ARN")
                .to_owned(),
        );
    }
    let balancer = session
        .elbv2
        .create_load_balancer()
        .name("web")
        .subnets("subnet-0a1b2c3d")
        .subnets("subnet-1a2b3c4d")
        .send()
        .await
        .expect("load balancer")
        .load_balancers()[0]
        .load_balancer_arn()
        .expect("an ARN")
        .to_owned();
    let mut listeners = Vec::new();
    for port in [80, 8080] {
        let created = session
            .elbv2
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(port)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&groups[0])
                    .build(),
            )
            .send()
            .await
            .expect("listener");
        listeners.push(
            created.listeners()[0]
                .listener_arn()
                .expect("an ARN")
                .to_owned(),
        );
    }
    session
        .ecs
        .create_cluster()
        .cluster_name("shop")
        .send()
        .await
        .expect("cluster");
    for _ in 0..2 {
        session
            .ecs
            .register_task_definition()
            .family("web")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("app")
                    .image("nginx")
                    .memory(512)
                    .port_mappings(PortMapping::builder().container_port(80).build())
                    .build(),
            )
            .send()
            .await
            .expect("task definition");
    }
    session
        .ecs
        .create_service()
        .cluster("shop")
        .service_name("web")
        .task_definition("web:1")
        .desired_count(2)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::CodeDeploy)
                .build()
                .expect("a controller"),
        )
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(&groups[0])
                .container_name("app")
                .container_port(80)
                .build(),
        )
        .send()
        .await
        .expect("service");
    traffic_support::ecs_group(
        session,
        &traffic_support::EcsGroup {
            application: "shop",
            group: "web",
            cluster: "shop",
            service: "web",
            target_groups: ["web-blue", "web-green"],
            production: &listeners[0],
            test: &listeners[1],
        },
    )
    .await;
    listeners.swap_remove(1)
}

/// Waits until the service `web` runs its two tasks.
async fn tasks_running(session: &Session) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let described = session
            .ecs
            .describe_services()
            .cluster("shop")
            .services("web")
            .send()
            .await
            .expect("the service");
        if described.services()[0].running_count() == 2 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the tasks never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts a deployment of `web:2` to the group `web` of `shop`, shifting
/// a tenth of production traffic a minute once continued; returns its id.
async fn deploy_shop(session: &Session) -> String {
    session
        .codedeploy
        .create_deployment()
        .application_name("shop")
        .deployment_group_name("web")
        .deployment_config_name("CodeDeployDefault.ECSLinear10PercentEvery1Minutes")
        .revision(traffic_support::appspec(ECS_APPSPEC))
        .send()
        .await
        .expect("deployment")
        .deployment_id()
        .expect("an id")
        .to_owned()
}

/// Function `orders` with versions 1 and 2 and alias `live` at 1, and a
/// Lambda application `orders` with a group `live` never deployed.
async fn set_up_orders(session: &Session) {
    traffic_support::orders_function(session, None).await;
    traffic_support::orders_group(session, false).await;
}

/// Starts a canary of `orders:live` from version 1 to 2: a tenth for five
/// minutes, then everything. Returns its id.
async fn deploy_orders(session: &Session) -> String {
    session
        .codedeploy
        .create_deployment()
        .application_name("orders")
        .deployment_group_name("live")
        .deployment_config_name("CodeDeployDefault.LambdaCanary10Percent5Minutes")
        .revision(traffic_support::appspec(traffic_support::ORDERS_APPSPEC))
        .send()
        .await
        .expect("deployment")
        .deployment_id()
        .expect("an id")
        .to_owned()
}

#[test]
fn an_ecs_group_shows_its_service_and_listeners_and_follows_its_deployment_live() {
    let mut harness = harness(Duration::from_millis(500));
    let session = session(&harness);
    harness.state().runtime().block_on(async {
        set_up_shop(&session).await;
        tasks_running(&session).await;
    });
    go_to(&mut harness, "Deployments", Page::Deployments);
    go_to(&mut harness, "Applications", Page::Applications);
    // The one application is selected by itself; its group's service,
    // counts and listeners show, both listeners on the blue target group.
    run_until(&mut harness, "the service's counts", |h| {
        has_text(h, "Service shop/web") && has_text(h, "2 desired, 2 running, 0 pending")
    });
    assert!(has_text(&harness, "Production :80"));
    assert!(has_text(&harness, "Test :8080"));
    assert_eq!(harness.query_all_by_label("web-blue 100 %").count(), 2);
    assert!(has_text(&harness, "Primary"));
    assert!(!has_text(&harness, LIVE), "nothing runs: nothing is live");

    // A deployment starts elsewhere; the page, shown again, follows it
    // while it runs: the replacement task set on web:2 behind the green
    // target group, which the test listener alone forwards to.
    let deployment_id = harness.state().runtime().block_on(deploy_shop(&session));
    go_to(&mut harness, "Deployments", Page::Deployments);
    go_to(&mut harness, "Applications", Page::Applications);
    run_until(&mut harness, "the wait for Continue", |h| {
        has_text(h, "Ready to reroute")
            && has_text(h, "web-green 100 %")
            && h.query_all_by_label("web:2").next().is_some()
    });
    assert!(has_text(&harness, LIVE));
    assert!(has_text(&harness, &deployment_id));
    assert_eq!(
        harness.query_all_by_label("web-blue 100 %").count(),
        1,
        "production stays on the original"
    );
    assert!(has_text(&harness, "Active"), "the replacement task set");

    // Continued from elsewhere: production moves to green and the page
    // follows without Refresh, until the deployment has succeeded.
    let codedeploy = session.codedeploy.clone();
    let continued = deployment_id.clone();
    harness.state().runtime().block_on(async move {
        codedeploy
            .continue_deployment()
            .deployment_id(continued)
            .deployment_wait_type(cd::DeploymentWaitType::ReadyWait)
            .send()
            .await
            .expect("continue");
    });
    run_until(&mut harness, "production on the green target group", |h| {
        h.query_all_by_label("web-green 100 %").count() == 2
    });
    run_until(&mut harness, "the deployment to succeed", |h| {
        has_text(h, "Succeeded") && !has_text(h, LIVE)
    });
    assert_eq!(harness.query_all_by_label("web-blue 100 %").count(), 0);
}

#[test]
fn a_lambda_group_shows_where_its_function_comes_from_then_its_alias_weights_while_a_canary_runs() {
    let mut harness = harness(Duration::from_secs(2));
    let session = session(&harness);
    harness.state().runtime().block_on(set_up_orders(&session));
    go_to(&mut harness, "Deployments", Page::Deployments);
    go_to(&mut harness, "Applications", Page::Applications);
    run_until(&mut harness, "the group never deployed", |h| {
        has_text(h, "Not deployed yet. A Lambda group names no function")
    });

    harness.state().runtime().block_on(deploy_orders(&session));
    go_to(&mut harness, "Deployments", Page::Deployments);
    go_to(&mut harness, "Applications", Page::Applications);
    run_until(&mut harness, "the canary's weights", |h| {
        has_text(h, "version 1 90 %, version 2 10 %")
    });
    assert!(has_text(&harness, LIVE));
    // Then everything moves to version 2, and the page stops reading.
    run_until(&mut harness, "the alias on version 2", |h| {
        has_text(h, "version 2 100 %") && !has_text(h, LIVE)
    });
    assert!(!has_text(&harness, "version 1 90 %"));
}

/// Requests received by `service:Operation`.
fn count(counts: &std::collections::BTreeMap<String, u64>, operation: &str) -> u64 {
    counts.get(operation).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_again_costs_four_requests_for_a_running_ecs_group_and_one_once_it_ended() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(50),
        minute: Duration::from_millis(300),
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let test_listener = set_up_shop(&session).await;
    let deployment_id = deploy_shop(&session).await;
    let groups = ["web".to_owned()];
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let ready = loop {
        let read = live_targets::read(&session, "shop", &groups, &[])
            .await
            .expect("read");
        if read[0]
            .last_attempted
            .as_ref()
            .is_some_and(|last| last.status == "Ready")
        {
            break read;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never Ready: {read:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let LiveTargets::Ecs(services) = &ready[0].targets else {
        panic!("an ECS group: {ready:?}");
    };
    let service = services[0].state.as_ref().expect("the service");
    assert_eq!(service.task_sets.len(), 2, "{service:?}");
    assert!(service.task_sets[0].is_primary());
    assert_eq!(service.task_sets[0].task_definition, "web:1");
    assert_eq!(service.task_sets[1].task_definition, "web:2");
    assert_eq!(service.task_sets[1].target_groups, ["web-green"]);
    let listeners = services[0].listeners.as_ref().expect("the listeners");
    let by_role = |role| {
        listeners
            .iter()
            .find(|listener| listener.role == role)
            .map(live_targets::ListenerState::forwards_text)
    };
    assert_eq!(
        by_role(ListenerRole::Production).as_deref(),
        Some("web-blue 100 %")
    );
    assert_eq!(
        by_role(ListenerRole::Test).as_deref(),
        Some("web-green 100 %")
    );

    // A read again of the running group: the group, its deployment's
    // status, its service and its listeners, one request each.
    cloud.reset_request_counts();
    let again = live_targets::read(&session, "shop", &groups, &ready)
        .await
        .expect("read again");
    let counts = cloud.request_counts();
    let total: u64 = counts.values().sum();
    println!("read again of a running ECS group: {total} requests: {counts:?}");
    assert_eq!(count(&counts, "codedeploy:BatchGetDeploymentGroups"), 1);
    assert_eq!(count(&counts, "ecs:DescribeServices"), 1);
    assert_eq!(count(&counts, "codedeploy:BatchGetDeployments"), 1);
    assert_eq!(total, 4, "{counts:?}");
    assert_eq!(again, ready);

    // Stopped, it ends: read once more, then a read again costs only the
    // group.
    session
        .codedeploy
        .stop_deployment()
        .deployment_id(&deployment_id)
        .send()
        .await
        .expect("stop");
    let ended = live_targets::read(&session, "shop", &groups, &again)
        .await
        .expect("read");
    assert!(!ended[0].is_running(), "{ended:?}");
    cloud.reset_request_counts();
    let idle = live_targets::read(&session, "shop", &groups, &ended)
        .await
        .expect("read again");
    let counts = cloud.request_counts();
    println!("read again of an ended ECS group: {counts:?}");
    assert_eq!(counts.values().sum::<u64>(), 1, "{counts:?}");
    assert_eq!(idle, ended);

    // The test listener goes: the listeners say so and what to do, and
    // the service still shows; then the service goes too, and says so.
    session
        .elbv2
        .delete_listener()
        .listener_arn(&test_listener)
        .send()
        .await
        .expect("listener deleted");
    let listener_gone = live_targets::read(&session, "shop", &groups, &[])
        .await
        .expect("the group is still read");
    let LiveTargets::Ecs(services) = &listener_gone[0].targets else {
        panic!("an ECS group: {listener_gone:?}");
    };
    let listener_error = services[0]
        .listeners
        .as_ref()
        .expect_err("a listener is gone");
    assert!(
        listener_error.contains("Give the group its production and test listeners again"),
        "{listener_error}"
    );
    assert!(services[0].state.is_ok(), "{:?}", services[0].state);
    session
        .ecs
        .delete_service()
        .cluster("shop")
        .service("web")
        .force(true)
        .send()
        .await
        .expect("service deleted");
    let gone = live_targets::read(&session, "shop", &groups, &[])
        .await
        .expect("the group is still read");
    let LiveTargets::Ecs(services) = &gone[0].targets else {
        panic!("an ECS group: {gone:?}");
    };
    let service_error = services[0].state.as_ref().expect_err("the service is gone");
    assert!(service_error.contains("Create it again"), "{service_error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_again_of_a_running_lambda_group_costs_three_requests_once_its_alias_is_known() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(50),
        minute: Duration::from_secs(2),
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    set_up_orders(&session).await;
    let groups = ["live".to_owned()];
    let never = live_targets::read(&session, "orders", &groups, &[])
        .await
        .expect("read");
    assert_eq!(
        never[0].targets,
        LiveTargets::Lambda(LambdaLive::NeverDeployed)
    );

    deploy_orders(&session).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let shifting = loop {
        let read = live_targets::read(&session, "orders", &groups, &[])
            .await
            .expect("read");
        if let LiveTargets::Lambda(LambdaLive::Alias {
            state: Ok(state), ..
        }) = &read[0].targets
            && state.weights.len() == 2
        {
            assert_eq!(state.weights_text(), "version 1 90 %, version 2 10 %");
            break read;
        }
        assert!(std::time::Instant::now() < deadline, "never shifting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    cloud.reset_request_counts();
    live_targets::read(&session, "orders", &groups, &shifting)
        .await
        .expect("read again");
    let counts = cloud.request_counts();
    println!("read again of a running Lambda group: {counts:?}");
    assert_eq!(count(&counts, "lambda:GetAlias"), 1, "{counts:?}");
    assert_eq!(counts.values().sum::<u64>(), 3, "{counts:?}");
}
