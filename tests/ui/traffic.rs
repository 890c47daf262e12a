//! UI tests of a Lambda canary in the rollout view, on the demo account's
//! embedded local cloud: the traffic moving to the new version step by
//! step, the `AfterAllowTraffic` hook failing with its reason, the
//! rollback deployment moving the traffic back, and the finished view
//! painting nothing more.

use crate::traffic_support;
use crate::ui_support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_codedeploy::types as cd;
use deploydesk::cloud::deployments::Traffic;
use deploydesk::cloud::{demo_services, ecs};
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::LocalCloudOptions;
use deploydesk::settings::BackendChoice;
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::NodeT;
use egui_kittest::kittest::Queryable;
use ui_support::{
    app_harness, call, choose, click, dismiss_tour, has_text, run_until, wait_for_choice,
};

const CODEDEPLOY_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const APPSPEC: &str = "version: 0.0
Resources:
  - orders:
      Type: AWS::Lambda::Function
      Properties:
        Name: orders
        Alias: live
        CurrentVersion: \"1\"
        TargetVersion: \"2\"
Hooks:
  - AfterAllowTraffic: checkOrders
";

/// The app on a demo account whose configured minutes last `minute`, with
/// the welcome panel dismissed.
fn harness(minute: Duration) -> Harness<'static, App> {
    let mut harness = welcome(minute);
    dismiss_tour(&mut harness);
    harness
}

/// The app on a demo account whose configured minutes last `minute`, on
/// its welcome panel.
fn welcome(minute: Duration) -> Harness<'static, App> {
    let local_cloud = Arc::new(
        EmbeddedLocalCloud::with_options(LocalCloudOptions {
            event_duration: Duration::from_millis(100),
            minute,
            fleet: 1,
            ..LocalCloudOptions::default()
        })
        .with_demo_services(),
    );
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
    harness
}

/// Sets up function `orders` (versions 1 and 2, alias `live` at 1), the
/// hook `checkOrders` that reports `Failed`, a Lambda application and group
/// that rolls back failures, and starts a canary; returns its id.
fn start_canary(harness: &Harness<'_, App>) -> String {
    set_up_orders(harness);
    let codedeploy = harness
        .state()
        .session()
        .expect("connected")
        .codedeploy
        .clone();
    harness.state().runtime().block_on(async move {
        codedeploy
            .create_deployment()
            .application_name("orders")
            .deployment_group_name("live")
            .deployment_config_name("CodeDeployDefault.LambdaCanary10Percent5Minutes")
            .revision(
                cd::RevisionLocation::builder()
                    .revision_type(cd::RevisionLocationType::AppSpecContent)
                    .app_spec_content(cd::AppSpecContent::builder().content(APPSPEC).build())
                    .build(),
            )
            .send()
            .await
            .expect("deployment")
            .deployment_id()
            .expect("an id")
            .to_owned()
    })
}

/// Sets up function `orders` (versions 1 and 2, alias `live` at 1), the
/// hook `checkOrders` that reports `Failed`, and a Lambda application and
/// group that rolls back failures.
fn set_up_orders(harness: &Harness<'_, App>) {
    let session = harness.state().session().expect("connected").clone();
    call(harness, async move {
        traffic_support::orders_function(&session, Some("Failed")).await;
        traffic_support::orders_group(&session, true).await;
    });
}

/// Opens the Deploy dialog from the Deployments page and chooses
/// `application` and its only group, `group`.
fn open_deploy_dialog(harness: &mut Harness<'static, App>, application: &str, group: &str) {
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(harness, "the Deployments page", |h| {
        h.state().page() == deploydesk::settings::Page::Deployments
    });
    click(harness, "Deploy…");
    run_until(harness, "the applications", |h| {
        h.query_all_by_label("Application")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(harness, "Application", application);
    wait_for_choice(harness, "Deployment group", group);
}

/// The share of traffic on the new version the rollout view shows.
fn replacement_percent(harness: &Harness<'_, App>) -> Option<i64> {
    let view = harness.state().rollout_view()?;
    view.targets()
        .iter()
        .find_map(|target| target.traffic.as_ref())
        .map(|traffic: &Traffic| traffic.replacement_percent().round() as i64)
}

#[test]
fn a_canary_moves_traffic_fails_its_hook_and_its_rollback_moves_it_back() {
    let mut harness = harness(Duration::from_secs(2));
    let id = start_canary(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the deployment in the list", |h| {
        h.query_by_label(&id).is_some()
    });
    harness.get_by_label(&id).click();

    // The canary: a tenth of the traffic on version 2, as the chart and
    // its words say.
    run_until(&mut harness, "the canary's 10 %", |h| {
        replacement_percent(h) == Some(10)
    });
    run_until(&mut harness, "the summary of the canary", |h| {
        has_text(h, "10 % on version 2, 90 % on version 1")
    });
    assert!(has_text(
        &harness,
        "Traffic chart: 10 % on version 2 after 1 of 2 steps"
    ));

    // Then everything, and the hook fails: its reason is shown.
    run_until(&mut harness, "the failed hook", |h| {
        has_text(h, "AfterAllowTraffic failed:")
    });
    assert!(has_text(&harness, "hook function checkOrders"));
    assert_eq!(replacement_percent(&harness), Some(100));
    // The header says what failed and where the traffic was left.
    run_until(&mut harness, "the failure in words", |h| {
        has_text(
            h,
            "AfterAllowTraffic failed. 100 % of the traffic was on version 2 and 0 % on version 1.",
        )
    });

    // The rollback moves the traffic back to version 1.
    run_until(&mut harness, "the rollback's id", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.rolled_back_by().is_some())
    });
    let rollback = harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .and_then(|deployment| deployment.rolled_back_by())
        .expect("a rollback")
        .to_owned();
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the rollback in the list", |h| {
        h.query_by_label(&rollback).is_some()
    });
    harness.get_by_label(&rollback).click();
    run_until(&mut harness, "the traffic back on version 1", |h| {
        has_text(h, "100 % on version 1, 0 % on version 2")
    });
    run_until(&mut harness, "the rollback to succeed", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
    });
    // A finished traffic view asks for no more frames: `run` fails if
    // repaints keep coming.
    harness.run();
}

#[test]
fn show_me_a_canary_runs_from_the_welcome_panel_and_is_rolled_back() {
    let mut harness = welcome(Duration::from_millis(600));
    harness
        .get_by_role_and_label(Role::Button, "Show me a canary")
        .click();
    run_until(&mut harness, "the canary's 10 %", |h| {
        replacement_percent(h) == Some(10)
    });
    assert!(has_text(&harness, "demo-orders:live"));
    run_until(&mut harness, "the failed hook", |h| {
        has_text(h, "AfterAllowTraffic failed:")
    });
    assert!(has_text(&harness, "hook function demo-orders-check"));
    run_until(&mut harness, "the scenario's end", |h| {
        has_text(h, "is open in the rollout view.")
    });
    run_until(&mut harness, "the rollback's id", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.rolled_back_by().is_some())
    });
}

#[test]
fn a_canary_deployed_from_the_dialog_with_a_built_appspec_shows_its_schedule_and_runs() {
    let mut harness = harness(Duration::from_secs(2));
    set_up_orders(&harness);
    open_deploy_dialog(&mut harness, "orders", "live");
    run_until(&mut harness, "the functions", |h| {
        h.query_all_by_label("Function")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(&mut harness, "Function", "orders");
    // The alias and its version come with the function; the newest other
    // version is the target.
    wait_for_choice(&mut harness, "Alias", "live");
    wait_for_choice(&mut harness, "Current version", "1");
    wait_for_choice(&mut harness, "Target version", "2");
    choose(&mut harness, "BeforeAllowTraffic hook", "checkOrders");
    choose(
        &mut harness,
        "Deployment configuration",
        "LambdaCanary10Percent5Minutes",
    );
    let yaml = harness
        .query_all_by_label("AppSpec YAML")
        .find(|node| node.accesskit_node().role() != Role::Label)
        .and_then(|node| node.accesskit_node().value())
        .unwrap_or_default();
    assert!(yaml.contains("Alias: live"), "{yaml}");
    assert!(yaml.contains("TargetVersion: \"2\""), "{yaml}");
    assert!(yaml.contains("BeforeAllowTraffic: checkOrders"), "{yaml}");
    assert!(has_text(&harness, "The AppSpec is valid."));
    // The pre-flight plan: the schedule with the hook placed on it.
    assert!(has_text(
        &harness,
        "Traffic: 10 % for 5 minutes, then 100 %"
    ));
    assert!(has_text(&harness, "BeforeAllowTraffic hook: checkOrders"));
    assert!(has_text(&harness, "Minute 5: 100 % on the new version"));
    click(&mut harness, "Deploy now");
    // checkOrders reports Failed: the canary never starts.
    run_until(&mut harness, "the failed hook", |h| {
        has_text(h, "BeforeAllowTraffic failed:")
    });
    assert_eq!(replacement_percent(&harness), Some(0));
}

/// Makes the ECS application `shop` with a blue/green group `web` over the
/// demo account's service (`demo-web` in cluster `demo`, behind
/// `demo-web-blue` and `demo-web-green`, production listener on port 80
/// and test listener on 8080), which waits for Continue and removes the
/// original task set a configured minute after success.
fn demo_web_group(harness: &Harness<'_, App>) {
    let session = harness.state().session().expect("connected").clone();
    call(harness, async move {
        session
            .iam
            .create_role()
            .role_name("CodeDeployServiceRole")
            .assume_role_policy_document(CODEDEPLOY_TRUST)
            .send()
            .await
            .expect("the service role");
        let listeners = ecs::listeners_for(&session, &[demo_services::BLUE.to_owned()])
            .await
            .expect("the listeners");
        let listener = |port: i32| {
            listeners
                .iter()
                .find(|listener| listener.port == Some(port))
                .map(|listener| listener.arn.clone())
                .expect("a listener on the port")
        };
        traffic_support::ecs_group(
            &session,
            &traffic_support::EcsGroup {
                application: "shop",
                group: "web",
                cluster: demo_services::CLUSTER,
                service: demo_services::SERVICE,
                target_groups: [demo_services::BLUE, demo_services::GREEN],
                production: &listener(demo_services::PRODUCTION_PORT),
                test: &listener(demo_services::TEST_PORT),
            },
        )
        .await;
    });
}

/// Starts a deployment of revision 2 of the demo's task definition to the
/// group `web` of `shop` (see [`demo_web_group`]), ten percent a minute,
/// and returns its id.
fn start_ecs_blue_green(harness: &Harness<'_, App>) -> String {
    demo_web_group(harness);
    let session = harness.state().session().expect("connected").clone();
    harness.state().runtime().block_on(async move {
        let appspec = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: demo-web:2\n        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: 80\n";
        session
            .codedeploy
            .create_deployment()
            .application_name("shop")
            .deployment_group_name("web")
            .deployment_config_name("CodeDeployDefault.ECSLinear10PercentEvery1Minutes")
            .revision(traffic_support::appspec(appspec))
            .send()
            .await
            .expect("deployment")
            .deployment_id()
            .expect("an id")
            .to_owned()
    })
}

#[test]
fn an_ecs_blue_green_waits_in_ready_and_continue_shifts_its_traffic() {
    let mut harness = harness(Duration::from_millis(500));
    let id = start_ecs_blue_green(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the deployment in the list", |h| {
        h.query_by_label(&id).is_some()
    });
    harness.get_by_label(&id).click();
    // The replacement task set runs and takes test traffic; production
    // stays on the original until Continue.
    run_until(&mut harness, "the wait for Continue", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Ready")
    });
    run_until(&mut harness, "both task sets running", |h| {
        has_text(h, "Green (replacement)") && has_text(h, "2 of 2")
    });
    assert!(has_text(
        &harness,
        "0 % on the replacement task set, 100 % on the original task set"
    ));
    click(&mut harness, "Continue");
    click(&mut harness, "Shift traffic");
    run_until(&mut harness, "traffic moving", |h| {
        replacement_percent(h).is_some_and(|percent| percent >= 10)
    });
    run_until(&mut harness, "the deployment to succeed", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
    });
    assert_eq!(replacement_percent(&harness), Some(100));
}

#[test]
fn an_ecs_blue_green_deployed_from_the_dialog_with_a_built_appspec_reaches_ready_and_continue_finishes_it()
 {
    let mut harness = harness(Duration::from_millis(500));
    demo_web_group(&harness);
    open_deploy_dialog(&mut harness, "shop", "web");
    // The picks start from the group's service: the family it runs, its
    // newest revision, and the container its load balancer serves.
    wait_for_choice(&mut harness, "Task definition", demo_services::TASK_FAMILY);
    wait_for_choice(&mut harness, "Revision", "revision 2");
    wait_for_choice(&mut harness, "Container and port", "web port 80");
    assert!(has_text(
        &harness,
        "Deploys to the service demo-web in demo, running demo-web:1."
    ));
    choose(&mut harness, "Deployment configuration", "ECSAllAtOnce");
    let yaml = harness
        .query_all_by_label("AppSpec YAML")
        .find(|node| node.accesskit_node().role() != Role::Label)
        .and_then(|node| node.accesskit_node().value())
        .unwrap_or_default();
    assert!(yaml.contains("task-definition/demo-web:2\""), "{yaml}");
    assert!(yaml.contains("ContainerName: \"web\""), "{yaml}");
    assert!(yaml.contains("ContainerPort: 80"), "{yaml}");
    assert!(has_text(&harness, "The AppSpec is valid."));
    click(&mut harness, "Deploy now");
    // The rollout view opens on the new deployment, which waits in Ready
    // with the replacement task set taking the test traffic.
    run_until(&mut harness, "the wait for Continue", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Ready")
    });
    run_until(&mut harness, "the replacement running", |h| {
        has_text(h, "Green (replacement)") && has_text(h, "2 of 2")
    });
    assert_eq!(replacement_percent(&harness), Some(0));
    click(&mut harness, "Continue");
    click(&mut harness, "Shift traffic");
    run_until(&mut harness, "the deployment to succeed", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
    });
    assert_eq!(replacement_percent(&harness), Some(100));
    // The service now runs the revision deployed.
    let session = harness.state().session().expect("connected").clone();
    let running = call(&harness, async move {
        ecs::deploy_choices(&session, "shop", "web")
            .await
            .expect("the choices")
            .running
    });
    assert!(
        running.is_some_and(|arn| arn.ends_with("demo-web:2")),
        "the service runs revision 2"
    );
}

#[test]
fn a_registered_appspec_in_s3_is_read_checked_and_deployed_from_the_dialog() {
    let mut harness = harness(Duration::from_millis(200));
    set_up_orders(&harness);
    let session = harness.state().session().expect("connected").clone();
    call(&harness, async move {
        session
            .s3
            .create_bucket()
            .bucket("orders-releases")
            .send()
            .await
            .expect("the bucket");
        session
            .s3
            .put_object()
            .bucket("orders-releases")
            .key("orders/appspec-2.yaml")
            .body(APPSPEC.as_bytes().to_vec().into())
            .send()
            .await
            .expect("the AppSpec file");
        session
            .codedeploy
            .register_application_revision()
            .application_name("orders")
            .revision(
                cd::RevisionLocation::builder()
                    .revision_type(cd::RevisionLocationType::S3)
                    .s3_location(
                        cd::S3Location::builder()
                            .bucket("orders-releases")
                            .key("orders/appspec-2.yaml")
                            .bundle_type(cd::BundleType::Yaml)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("registered");
    });
    open_deploy_dialog(&mut harness, "orders", "live");
    harness
        .get_by_role_and_label(Role::RadioButton, "A registered revision")
        .click();
    // The newest registered revision is picked and its AppSpec read.
    wait_for_choice(
        &mut harness,
        "Revision",
        "s3://orders-releases/orders/appspec-2.yaml",
    );
    run_until(&mut harness, "its AppSpec", |h| {
        h.query_all_by_label("Its AppSpec")
            .filter_map(|node| node.accesskit_node().value())
            .any(|text| text.contains("TargetVersion: \"2\""))
    });
    assert!(has_text(&harness, "The AppSpec is valid."));
    // The pre-flight timeline places the hook the file names.
    assert!(has_text(&harness, "AfterAllowTraffic hook: checkOrders"));
    choose(&mut harness, "Deployment configuration", "LambdaAllAtOnce");
    click(&mut harness, "Deploy now");
    // checkOrders reports Failed after the traffic moved: the deployment
    // fails, which shows the revision from S3 was the one deployed.
    run_until(&mut harness, "the failed hook", |h| {
        has_text(h, "AfterAllowTraffic failed:")
    });
    let deployment = harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .expect("the deployment")
        .clone();
    assert!(
        format!("{:?}", deployment.revision).contains("orders/appspec-2.yaml"),
        "{:?}",
        deployment.revision
    );
}
