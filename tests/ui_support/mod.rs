//! Helpers shared by the UI tests: building the real app in a harness and
//! stepping frames while background work runs.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use deploydesk::ui::{App, AppOptions};
use egui_kittest::Harness;

/// The real app with `options` in a harness of the given size.
pub fn app_harness(options: AppOptions, size: egui::Vec2) -> Harness<'static, App> {
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| App::new(cc, options))
}

/// The app on the demo account, on a local cloud in memory with `fleet`
/// instances whose lifecycle events take `event_duration`, keeping no
/// settings.
pub fn demo_options(fleet: usize, event_duration: Duration) -> AppOptions {
    use deploydesk::embedded::EmbeddedLocalCloud;
    use deploydesk::localcloud::LocalCloudOptions;
    AppOptions {
        settings_path: None,
        backend_override: Some(deploydesk::settings::BackendChoice::Demo),
        local_cloud: Some(std::sync::Arc::new(EmbeddedLocalCloud::with_options(
            LocalCloudOptions {
                fleet,
                event_duration,
                ..LocalCloudOptions::default()
            },
        ))),
    }
}

/// The app with `options` in a harness of the given size, once connected.
pub fn connected_app(options: AppOptions, size: egui::Vec2) -> Harness<'static, App> {
    let mut harness = app_harness(options, size);
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    harness
}

/// Clicks the button labelled `label` and lets the UI settle.
pub fn click(harness: &mut Harness<'static, App>, label: &str) {
    use egui_kittest::kittest::Queryable;
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, label)
        .click();
    settle(harness);
}

/// Runs frames until the UI settles, or a few frames while background work
/// keeps a spinner going.
pub fn settle(harness: &mut Harness<'_, App>) {
    // A spinner for work still running is fine here; waiting for results
    // is what `run_until` is for.
    let _ = harness.try_run();
}

/// Steps frames until `condition` holds, failing after a timeout.
pub fn run_until(
    harness: &mut Harness<'_, App>,
    what: &str,
    condition: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if condition(harness) {
            // Let the frame settle; background work may still be running.
            harness.step();
            return;
        }
        if Instant::now() >= deadline {
            // What was on screen, to tell why.
            use egui_kittest::kittest::Queryable;
            let shown: Vec<String> = harness
                .query_all_by_label_contains("")
                .filter_map(|node| text_of(&node))
                .filter(|text| !text.trim().is_empty())
                .collect();
            panic!("timed out waiting for {what}; on screen: {shown:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether some node's label or text contains `text`.
pub fn has_text(harness: &Harness<'_, App>, text: &str) -> bool {
    use egui_kittest::kittest::Queryable;
    harness.query_all_by_label_contains(text).next().is_some()
}

/// The text a node shows: its label, or for plain text its value.
pub fn text_of(node: &egui_kittest::Node<'_>) -> Option<String> {
    use egui_kittest::kittest::NodeT;
    let node = node.accesskit_node();
    node.label().or_else(|| node.value())
}

/// Opens the combo box labelled `label` and picks `option`.
pub fn choose(harness: &mut Harness<'static, App>, label: &str, option: &str) {
    use egui::accesskit::Role;
    use egui_kittest::kittest::{NodeT, Queryable};
    harness
        .query_all_by_label(label)
        .find(|node| node.accesskit_node().role() == Role::ComboBox)
        .unwrap_or_else(|| panic!("a combo box labelled {label}"))
        .click();
    settle(harness);
    harness
        .query_all_by_label(option)
        .find(|node| node.accesskit_node().role() != Role::ComboBox)
        .unwrap_or_else(|| panic!("an option {option}"))
        .click();
    settle(harness);
}

/// Waits until the combo box labelled `label` shows `value`, as when the
/// app chose the only option by itself.
pub fn wait_for_choice(harness: &mut Harness<'static, App>, label: &str, value: &str) {
    use egui::accesskit::Role;
    use egui_kittest::kittest::{NodeT, Queryable};
    run_until(harness, &format!("{label} to show {value}"), |harness| {
        harness.query_all_by_label(label).any(|node| {
            let node = node.accesskit_node();
            node.role() == Role::ComboBox && node.value().as_deref() == Some(value)
        })
    });
}

/// Runs an async client call on the app's runtime.
pub fn call<T>(harness: &Harness<'_, App>, future: impl Future<Output = T>) -> T {
    harness.state().runtime().block_on(future)
}

/// Makes the application `web` through the app's session.
pub fn web_application(harness: &Harness<'_, App>) {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        session
            .codedeploy
            .create_application()
            .application_name("web")
            .send()
            .await
            .expect("the application is made");
    });
}

/// Makes the deployment group `group` of the application `web` (which
/// must exist) over the EC2 instances tagged `key=value`, with the
/// configuration `config` (the group's default when `None`).
pub fn web_group(
    harness: &Harness<'_, App>,
    group: &str,
    (key, value): (&str, &str),
    config: Option<&str>,
) {
    use aws_sdk_codedeploy::types as cd;
    let session = harness.state().session().expect("connected");
    call(harness, async {
        session
            .codedeploy
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name(group)
            .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
            .set_deployment_config_name(config.map(str::to_owned))
            .ec2_tag_filters(
                cd::Ec2TagFilter::builder()
                    .key(key)
                    .value(value)
                    .r#type(cd::Ec2TagFilterType::KeyAndValue)
                    .build(),
            )
            .send()
            .await
            .expect("the group is made");
    });
}

/// Makes the application `web` with a deployment group `production` over
/// the demo fleet's production instances, with the configuration `config`
/// (the group's default when `None`). Returns those instances' ids, sorted.
pub fn web_production_group(harness: &Harness<'_, App>, config: Option<&str>) -> Vec<String> {
    web_application(harness);
    web_group(harness, "production", ("Environment", "production"), config);
    let session = harness.state().session().expect("connected");
    call(harness, async {
        let mut production: Vec<String> = deploydesk::cloud::ec2::list_instances(&session, None)
            .await
            .expect("instances are listed")
            .into_iter()
            .filter(|instance| {
                instance.tags.get("Environment").map(String::as_str) == Some("production")
            })
            .map(|instance| instance.instance_id)
            .collect();
        production.sort();
        production
    })
}

/// Closes the guided demo's welcome panel if it is offered, for tests about
/// other pages that want the whole window.
pub fn dismiss_tour(harness: &mut Harness<'static, App>) {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    if let Some(button) = harness.query_by_role_and_label(Role::Button, "Not now") {
        button.click();
        settle(harness);
    }
}

/// Makes the instance profile `profile` the way the instance profile
/// wizard does, limited to reading revisions from `bucket`.
pub fn limited_instance_profile(harness: &Harness<'_, App>, profile: &str, bucket: &str) {
    use deploydesk::domain::setup::{InstanceProfileOptions, SetupPlan};
    let plan = SetupPlan::instance_profile(&InstanceProfileOptions {
        role: format!("{profile}Role"),
        profile: profile.to_owned(),
        buckets: vec![bucket.to_owned()],
        agent_region: None,
        ssm: false,
        instances: Vec::new(),
    });
    run_setup_plan(harness, &plan);
}

/// Runs a setup plan as a wizard would, failing on a step that fails.
pub fn run_setup_plan(harness: &Harness<'_, App>, plan: &deploydesk::domain::setup::SetupPlan) {
    let session = harness.state().session().expect("connected");
    let mut failed = Vec::new();
    harness
        .state()
        .runtime()
        .block_on(deploydesk::cloud::setup::run_plan(
            &session,
            plan,
            0,
            false,
            |progress| {
                if let deploydesk::cloud::setup::Progress::Finished(index, Err(error)) = progress {
                    failed.push(format!("step {index}: {error}"));
                }
            },
        ));
    assert!(failed.is_empty(), "{failed:?}");
}

/// Clicks, with the pointer, tile `position` of the first row of the
/// rollout view's grid whose label starts with `grid`.
pub fn click_tile(harness: &mut Harness<'static, App>, grid: &str, position: usize) {
    use egui_kittest::kittest::Queryable;
    let tile = harness.state().rollout_view().expect("open").tile_size();
    let grid = harness.get_by_label_contains(grid).rect();
    let at = grid.min
        + egui::vec2(
            deploydesk::ui::widgets::tiles::LABEL_WIDTH
                + position as f32 * tile.step().x
                + tile.size.x / 2.0,
            tile.size.y / 2.0,
        );
    harness.hover_at(at);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    settle(harness);
}

/// Makes a launch template and the Auto Scaling group `name` of two
/// instances from it, a target group `tg`, the alarm `alarm` in state OK
/// and the service role `CodeDeployServiceRole` (with the AWS managed
/// policy, which allows what CodeDeploy does to Auto Scaling groups), and
/// waits until both instances are in service.
pub fn auto_scaling_fleet(harness: &Harness<'_, App>, name: &str, tg: &str, alarm: &str) {
    use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    use aws_sdk_ec2::types::{InstanceType, RequestLaunchTemplateData};
    use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
    let session = harness.state().session().expect("connected");
    call(harness, async {
        session
            .iam
            .create_role()
            .role_name("CodeDeployServiceRole")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .expect("the service role is made");
        session
            .iam
            .attach_role_policy()
            .role_name("CodeDeployServiceRole")
            .policy_arn("arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")
            .send()
            .await
            .expect("the managed policy is attached");
        session
            .ec2
            .create_launch_template()
            .launch_template_name(format!("{name}-template"))
            .launch_template_data(
                RequestLaunchTemplateData::builder()
                    .image_id("ami-0abcdef1234567890")
                    .instance_type(InstanceType::T3Micro)
                    .build(),
            )
            .send()
            .await
            .expect("the launch template is made");
        session
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name(format!("{name}-template"))
                    .version("$Latest")
                    .build(),
            )
            .min_size(0)
            .max_size(4)
            .desired_capacity(2)
            .availability_zones("us-east-1a")
            .send()
            .await
            .expect("the Auto Scaling group is made");
        session
            .elbv2
            .create_target_group()
            .name(tg)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id("vpc-0a1b2c3d")
            .send()
            .await
            .expect("the target group is made");
        session
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(alarm)
            .namespace("AWS/ApplicationELB")
            .metric_name("HTTPCode_Target_5XX_Count")
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(5.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("the alarm is made");
        session
            .cloudwatch
            .set_alarm_state()
            .alarm_name(alarm)
            .state_value(StateValue::Ok)
            .state_reason("quiet")
            .send()
            .await
            .expect("its state is set");
        for _ in 0..200 {
            let groups = session
                .autoscaling
                .describe_auto_scaling_groups()
                .auto_scaling_group_names(name)
                .send()
                .await
                .expect("the group is described");
            let in_service = groups.auto_scaling_groups()[0]
                .instances()
                .iter()
                .filter(|instance| {
                    instance.lifecycle_state()
                        == Some(&aws_sdk_autoscaling::types::LifecycleState::InService)
                })
                .count();
            if in_service == 2 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the Auto Scaling group's instances never came in service");
    });
}
