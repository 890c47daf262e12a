//! UI tests of the deployment group wizard for Lambda and ECS applications
//! on the demo account's embedded local cloud: the wizard reads the
//! application's platform, picks what the group needs from the account,
//! shows the exact AWS CLI command, creates the group (and finds it
//! already there on a second run), and a deployment the SDK then makes to
//! the group runs to the end.

use crate::traffic_support;
use crate::ui_support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_codedeploy::types::{
    self as cd, AppSpecContent, DeploymentStatus, RevisionLocation, RevisionLocationType,
};
use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentController, DeploymentControllerType, LoadBalancer, PortMapping,
};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use deploydesk::domain::ComputePlatform;
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::LocalCloudOptions;
use deploydesk::settings::{BackendChoice, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{app_harness, call, click, dismiss_tour, has_text, run_until, settle};

const CODEDEPLOY_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
use traffic_support::SERVICE_ROLE;

/// The app on the demo account, whose configured minutes last 20 ms, on
/// the Setup page, with a CodeDeploy service role made.
fn harness() -> Harness<'static, App> {
    let local_cloud = Arc::new(EmbeddedLocalCloud::with_options(LocalCloudOptions {
        event_duration: Duration::from_millis(50),
        minute: Duration::from_millis(20),
        ..LocalCloudOptions::default()
    }));
    let mut harness = app_harness(
        AppOptions {
            settings_path: None,
            backend_override: Some(BackendChoice::Demo),
            local_cloud: Some(local_cloud),
        },
        egui::vec2(1280.0, 1600.0),
    );
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    dismiss_tour(&mut harness);
    let iam = harness.state().session().expect("connected").iam.clone();
    call(&harness, async move {
        iam.create_role()
            .role_name("CodeDeployServiceRole")
            .assume_role_policy_document(CODEDEPLOY_TRUST)
            .send()
            .await
            .expect("the service role");
    });
    harness.get_by_role_and_label(Role::Button, "Setup").click();
    run_until(&mut harness, "the Setup page", |h| {
        h.state().page() == Page::Setup
    });
    harness
}

/// Makes application `name` for `platform`.
fn application(harness: &Harness<'_, App>, name: &str, platform: cd::ComputePlatform) {
    let codedeploy = harness
        .state()
        .session()
        .expect("connected")
        .codedeploy
        .clone();
    call(harness, async move {
        codedeploy
            .create_application()
            .application_name(name)
            .compute_platform(platform)
            .send()
            .await
            .expect("the application");
    });
}

/// Types `text` into the text field labelled `label`.
fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness
        .query_all_by_label(label)
        .find(|node| node.accesskit_node().role() == Role::TextInput)
        .unwrap_or_else(|| panic!("a text field labelled {label}"))
        .set_text_value_accesskit(text);
    settle(harness);
}

/// Clicks the radio button labelled `label` once it is shown.
fn pick(harness: &mut Harness<'static, App>, label: &str) {
    run_until(harness, label, |h| {
        h.query_by_role_and_label(Role::RadioButton, label)
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::RadioButton, label)
        .click();
    settle(harness);
}

/// Opens the wizard, picks `application`, names the group `group` with
/// the service role and goes on to the type step.
fn to_the_type_step(harness: &mut Harness<'static, App>, application: &str, group: &str) {
    click(harness, "Start: Deployment group");
    pick(harness, application);
    click(harness, "Next");
    type_into(harness, "Deployment group name", group);
    type_into(harness, "Service role ARN", SERVICE_ROLE);
    click(harness, "Next");
}

/// The review's AWS CLI text, after opening every command.
fn review_cli(harness: &mut Harness<'static, App>) -> String {
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    harness
        .get_by_label("All calls as AWS CLI commands")
        .click();
    settle(harness);
    harness
        .query_all_by_label_contains("aws deploy create-deployment-group")
        .find_map(|node| {
            let node = node.accesskit_node();
            node.value().or_else(|| node.label())
        })
        .expect("the command is shown")
}

/// Creates the group (and a new application: `calls` 2) from the review,
/// then once more to see each call's resource reused.
fn create_twice(harness: &mut Harness<'static, App>, group: &str, calls: usize) {
    click(harness, "Create");
    let done = format!("Done: the deployment group {group} is ready");
    run_until(harness, "the group", |h| {
        has_text(h, &done) || has_text(h, "(failed)")
    });
    assert!(has_text(harness, &done), "the group was made");
    click(harness, "Back to the review");
    click(harness, "Create");
    run_until(harness, "the second run", |h| has_text(h, &done));
    assert_eq!(
        harness
            .query_all_by_label_contains("(already there)")
            .count(),
        calls,
        "the same group is found already there"
    );
}

/// Deploys `appspec` to `group` of `application` and waits for the end
/// (or for `Ready`); returns the status reached.
fn deploy(
    harness: &mut Harness<'static, App>,
    application: &str,
    group: &str,
    appspec: String,
) -> DeploymentStatus {
    let codedeploy = harness
        .state()
        .session()
        .expect("connected")
        .codedeploy
        .clone();
    let client = codedeploy.clone();
    let deployment_id = call(harness, async move {
        client
            .create_deployment()
            .application_name(application)
            .deployment_group_name(group)
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::AppSpecContent)
                    .app_spec_content(AppSpecContent::builder().content(appspec).build())
                    .build(),
            )
            .send()
            .await
            .expect("the deployment starts")
            .deployment_id()
            .expect("an id")
            .to_owned()
    });
    let status = |h: &Harness<'_, App>| {
        let codedeploy = codedeploy.clone();
        let deployment_id = deployment_id.clone();
        call(h, async move {
            codedeploy
                .get_deployment()
                .deployment_id(deployment_id)
                .send()
                .await
                .expect("the deployment is read")
                .deployment_info()
                .and_then(|info| info.status().cloned())
                .expect("a status")
        })
    };
    run_until(harness, "the deployment's end", |h| {
        matches!(
            status(h),
            DeploymentStatus::Succeeded
                | DeploymentStatus::Failed
                | DeploymentStatus::Stopped
                | DeploymentStatus::Ready
        )
    });
    status(harness)
}

#[test]
fn the_lambda_wizard_creates_a_group_the_local_cloud_deploys_to() {
    let mut harness = harness();
    let session = harness.state().session().expect("connected").clone();
    call(&harness, async move {
        traffic_support::orders_function(&session, None).await;
    });
    // The application is made by the wizard, for Lambda; the steps are a
    // Lambda group's, with no environment of instances.
    click(&mut harness, "Start: Deployment group");
    pick(&mut harness, "A new application");
    type_into(&mut harness, "New application name", "orders");
    pick(&mut harness, "AWS Lambda");
    assert!(has_text(&harness, "3 Traffic"));
    assert!(!has_text(&harness, "4 Environment"));
    assert!(has_text(&harness, "7 Create"));
    click(&mut harness, "Next");
    type_into(&mut harness, "Deployment group name", "orders-live");
    type_into(&mut harness, "Service role ARN", SERVICE_ROLE);
    click(&mut harness, "Next");
    assert!(has_text(&harness, "function alias's traffic"));
    click(&mut harness, "Next");
    // The configuration step offers Lambda's, with the first chosen.
    run_until(&mut harness, "Lambda's configurations", |h| {
        has_text(h, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    });
    assert!(!has_text(&harness, "CodeDeployDefault.OneAtATime"));
    assert!(!has_text(&harness, "CodeDeployDefault.ECSAllAtOnce"));
    click(&mut harness, "Next");
    click(&mut harness, "Next");
    let cli = review_cli(&mut harness);
    for expected in [
        r#""deploymentConfigName":"CodeDeployDefault.LambdaAllAtOnce""#,
        r#""deploymentType":"BLUE_GREEN""#,
        r#""deploymentOption":"WITH_TRAFFIC_CONTROL""#,
    ] {
        assert!(cli.contains(expected), "{expected} not in {cli}");
    }
    assert!(!cli.contains("ec2TagSet"), "{cli}");
    assert!(
        has_text(
            &harness,
            "aws deploy create-application --application-name orders --compute-platform Lambda"
        ) || harness
            .query_all_by_label_contains("--compute-platform Lambda")
            .next()
            .is_some(),
        "the new application's command"
    );
    create_twice(&mut harness, "orders-live", 2);
    let session = harness.state().session().expect("connected");
    let spec = call(
        &harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "orders", "orders-live"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert_eq!(spec.platform, ComputePlatform::Lambda);
    assert_eq!(spec.config.name(), "CodeDeployDefault.LambdaAllAtOnce");
    call(
        &harness,
        deploydesk::cloud::groups::update_deployment_group(&session, "orders-live", &spec),
    )
    .expect("the group is updated");

    let appspec = "version: 0.0\nResources:\n  - orders:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: orders\n        Alias: live\n        CurrentVersion: \"1\"\n        TargetVersion: \"2\"\n".to_owned();
    assert_eq!(
        deploy(&mut harness, "orders", "orders-live", appspec),
        DeploymentStatus::Succeeded
    );
}

#[test]
fn the_ecs_wizard_picks_the_service_target_groups_and_listeners_and_the_group_deploys() {
    let mut harness = harness();
    let session = harness.state().session().expect("connected");
    let (ecs, elbv2) = (session.ecs.clone(), session.elbv2.clone());
    call(&harness, async move {
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
                    .expect("a target group")
                    .target_groups()[0]
                    .target_group_arn()
                    .expect("its ARN")
                    .to_owned()
            }
        };
        let blue = group("web-blue").await;
        group("web-green").await;
        let balancer = elbv2
            .create_load_balancer()
            .name("web")
            .subnets("subnet-0a1b2c3d")
            .subnets("subnet-1a2b3c4d")
            .send()
            .await
            .expect("the load balancer")
            .load_balancers()[0]
            .load_balancer_arn()
            .expect("its ARN")
            .to_owned();
        for port in [80, 8080] {
            elbv2
                .create_listener()
                .load_balancer_arn(&balancer)
                .protocol(ProtocolEnum::Http)
                .port(port)
                .default_actions(
                    Action::builder()
                        .r#type(ActionTypeEnum::Forward)
                        .target_group_arn(&blue)
                        .build(),
                )
                .send()
                .await
                .expect("a listener");
        }
        ecs.create_cluster()
            .cluster_name("shop")
            .send()
            .await
            .expect("the cluster");
        for _ in 0..2 {
            ecs.register_task_definition()
                .family("web")
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("app")
                        .image("nginx")
                        .memory(512)
                        .essential(true)
                        .port_mappings(PortMapping::builder().container_port(80).build())
                        .build(),
                )
                .send()
                .await
                .expect("a task definition");
        }
        for (name, controller) in [
            ("web", DeploymentControllerType::CodeDeploy),
            ("worker", DeploymentControllerType::Ecs),
        ] {
            ecs.create_service()
                .cluster("shop")
                .service_name(name)
                .task_definition("web:1")
                .desired_count(2)
                .deployment_controller(
                    DeploymentController::builder()
                        .r#type(controller)
                        .build()
                        .expect("a controller"),
                )
                .load_balancers(
                    LoadBalancer::builder()
                        .target_group_arn(&blue)
                        .container_name("app")
                        .container_port(80)
                        .build(),
                )
                .send()
                .await
                .expect("a service");
        }
    });
    application(&harness, "shop", cd::ComputePlatform::Ecs);
    to_the_type_step(&mut harness, "shop (ECS)", "web-bg");
    pick(&mut harness, "Cluster shop");
    pick(&mut harness, "Service web (serves web-blue)");
    // A service ECS deploys by itself is named, with why it is not offered.
    assert!(has_text(&harness, "Not offered: worker"));
    assert!(
        harness
            .query_by_role_and_label(Role::RadioButton, "Service worker (serves web-blue)")
            .is_none()
    );
    // Next with no second target group keeps what was picked and says why.
    click(&mut harness, "Next");
    assert!(has_text(&harness, "Choose two target groups"));
    pick(&mut harness, "Second target group web-green");
    pick(&mut harness, "Production: port 80 forwards to web-blue");
    pick(&mut harness, "Test: port 8080 forwards to web-blue");
    pick(
        &mut harness,
        "Reroute traffic immediately once the replacement task set is ready",
    );
    click(&mut harness, "Next");
    run_until(&mut harness, "ECS's configurations", |h| {
        has_text(h, "CodeDeployDefault.ECSCanary10Percent5Minutes")
    });
    assert!(!has_text(&harness, "CodeDeployDefault.LambdaAllAtOnce"));
    click(&mut harness, "Next");
    click(&mut harness, "Next");
    let cli = review_cli(&mut harness);
    assert!(
        cli.contains(r#""ecsServices":[{"clusterName":"shop","serviceName":"web"}]"#)
            || cli.contains(r#""ecsServices":[{"serviceName":"web","clusterName":"shop"}]"#),
        "{cli}"
    );
    assert!(
        cli.contains(r#""targetGroups":[{"name":"web-blue"},{"name":"web-green"}]"#),
        "{cli}"
    );
    assert!(
        cli.contains("prodTrafficRoute") && cli.contains("testTrafficRoute"),
        "{cli}"
    );
    assert!(has_text(
        &harness,
        "Deploys to the ECS service web in the cluster shop."
    ));
    create_twice(&mut harness, "web-bg", 1);
    let session = harness.state().session().expect("connected");
    let spec = call(
        &harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "shop", "web-bg"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert_eq!(spec.platform, ComputePlatform::Ecs);
    assert_eq!(spec.ecs.service, "web");
    assert_eq!(spec.ecs.target_groups, ["web-blue", "web-green"]);
    assert!(spec.ecs.production_listener.contains("listener/"));
    assert!(!spec.ecs.test_listener.is_empty());
    // Updating the group with what was read back keeps it as it is.
    call(
        &harness,
        deploydesk::cloud::groups::update_deployment_group(&session, "web-bg", &spec),
    )
    .expect("the group is updated");
    let again = call(
        &harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "shop", "web-bg"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert!(
        deploydesk::cloud::groups::same_group(&again, &spec),
        "{again:?}"
    );

    let appspec = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: web:2\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n".to_owned();
    let status = deploy(&mut harness, "shop", "web-bg", appspec);
    assert!(
        matches!(
            status,
            DeploymentStatus::Succeeded | DeploymentStatus::Ready
        ),
        "{status:?}"
    );
}
