//! UI tests of the Deploy dialog in demo mode: choosing a group and a
//! revision, reading the pre-flight plan (stopped instances marked, a plain
//! warning when the rollout cannot succeed), deploying, and landing in the
//! rollout view.

use crate::ui_support;

use std::time::Duration;

use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    call, choose, click, connected_app, demo_options, has_text, limited_instance_profile,
    run_until, settle, wait_for_choice, web_production_group,
};

/// The app in demo mode, with a fleet of four (two staging, two production)
/// and fast lifecycle events.
fn demo() -> Harness<'static, App> {
    connected_app(
        demo_options(4, Duration::from_millis(20)),
        egui::vec2(1280.0, 1400.0),
    )
}

/// Makes the application `web` with a group `production` over the
/// production instances (which have the demo fleet's instance profile),
/// and stops them.
/// Returns their ids.
fn set_up(harness: &Harness<'_, App>) -> Vec<String> {
    let production = web_production_group(harness, None);
    let session = harness.state().session().expect("connected");
    call(harness, async {
        session
            .ec2
            .stop_instances()
            .set_instance_ids(Some(production.clone()))
            .send()
            .await
            .expect("the instances stop");
    });
    production
}

/// Starts the instances `ids` again, once they have finished stopping.
fn start(harness: &Harness<'_, App>, ids: &[String]) {
    let app = harness.state();
    let session = app.session().expect("connected");
    app.runtime().block_on(async {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let started = session
                .ec2
                .start_instances()
                .set_instance_ids(Some(ids.to_vec()))
                .send()
                .await;
            match started {
                Ok(_) => return,
                Err(error) if std::time::Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("the instances do not start: {error:?}"),
            }
        }
    });
}

/// Makes a second group, `staging`, in the application `web`, so that the
/// dialog has a group to choose rather than choosing the only one itself.
fn add_staging_group(harness: &Harness<'_, App>) {
    ui_support::web_group(harness, "staging", ("Environment", "staging"), None);
}

/// The combo box labelled `label`.
fn combo<'h>(harness: &'h Harness<'static, App>, label: &'h str) -> egui_kittest::Node<'h> {
    harness
        .query_all_by_label(label)
        .find(|node| node.accesskit_node().role() == Role::ComboBox)
        .unwrap_or_else(|| panic!("a combo box labelled {label}"))
}

/// How a test clicks with the pointer.
#[derive(Debug, Clone, Copy)]
enum Clicks {
    /// kittest's `click()`: moved there, pressed and released, each in a
    /// frame of its own.
    Slow,
    /// Moved there, then pressed and released within one frame, as a real
    /// mouse click often arrives when the app is not repainting all the
    /// time.
    Quick,
}

/// Moves the pointer to the middle of `rect`, then presses and releases
/// it within one frame.
fn quick_click(harness: &mut Harness<'static, App>, rect: egui::Rect) {
    let pos = rect.center();
    harness.hover_at(pos);
    harness.step();
    for pressed in [true, false] {
        harness.input_mut().events.push(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.step();
}

/// Clicks `node` with the pointer, the `clicks` way, and lets the UI settle.
fn click_node(
    harness: &mut Harness<'static, App>,
    find: impl Fn(&Harness<'static, App>) -> egui::Rect,
    node_click: impl Fn(&Harness<'static, App>),
    clicks: Clicks,
) {
    match clicks {
        Clicks::Slow => node_click(harness),
        Clicks::Quick => {
            let rect = find(harness);
            quick_click(harness, rect);
        }
    }
    settle(harness);
}

/// Opens the combo box labelled `label` with a pointer click, checks that
/// its list opened, clicks `option` in it with the pointer, and checks that
/// the combo box then shows `shown` and that the list closed.
fn pick(
    harness: &mut Harness<'static, App>,
    label: &str,
    option: &str,
    shown: &str,
    clicks: Clicks,
) {
    click_node(
        harness,
        |h| combo(h, label).rect(),
        |h| combo(h, label).click(),
        clicks,
    );
    assert!(
        harness.query_all_by_role(Role::ListBox).next().is_some(),
        "the list of {label} opens"
    );
    let option_node = |h: &Harness<'static, App>| {
        h.query_all_by_label(option)
            .find(|node| node.accesskit_node().role() != Role::ComboBox)
            .unwrap_or_else(|| panic!("an option {option} of {label}"))
            .rect()
    };
    click_node(
        harness,
        option_node,
        |h| {
            h.query_all_by_label(option)
                .find(|node| node.accesskit_node().role() != Role::ComboBox)
                .unwrap_or_else(|| panic!("an option {option} of {label}"))
                .click();
        },
        clicks,
    );
    assert_eq!(
        combo(harness, label).accesskit_node().value().as_deref(),
        Some(shown),
        "{label} shows the option clicked ({clicks:?} clicks)"
    );
    assert!(
        harness.query_all_by_role(Role::ListBox).next().is_none(),
        "the list of {label} closes after a choice"
    );
}

fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness.get_by_label(label).set_text_value_accesskit(text);
    settle(harness);
}

#[test]
fn the_pre_flight_plan_warns_then_a_deployment_lands_in_the_rollout_view() {
    let mut harness = demo();
    let stopped = set_up(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the Deployments page", |h| {
        h.state().page() == Page::Deployments
    });
    click(&mut harness, "Deploy…");
    let deploy_now =
        |h: &Harness<'static, App>| h.get_by_role_and_label(Role::Button, "Deploy now").rect();
    let before_the_plan = deploy_now(&harness);
    run_until(&mut harness, "the applications", |h| {
        h.query_all_by_label("Application")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(&mut harness, "Application", "web");
    // The application's only group is chosen by itself.
    wait_for_choice(&mut harness, "Deployment group", "production");
    run_until(&mut harness, "the pre-flight plan", |h| {
        has_text(h, "of 2 instances must succeed")
    });
    // The plan draws its waves with the Rollout planner's widget, and the
    // dialog kept its place while the plan arrived.
    assert!(
        harness
            .query_by_role_and_label(Role::Grid, "Planned waves")
            .is_some()
    );
    assert_eq!(
        deploy_now(&harness),
        before_the_plan,
        "Deploy now stays put"
    );
    // The stopped instances are marked, and the deployment cannot succeed.
    assert!(has_text(&harness, &format!("{}  demo-", stopped[0])));
    assert_eq!(harness.query_all_by_label_contains("(stopped)").count(), 2);
    assert!(has_text(
        &harness,
        "2 of 2 instances are stopped; CodeDeployDefault.OneAtATime needs all but one: this deployment will fail"
    ));

    // With the instances started again, the plan read afresh predicts
    // success.
    start(&harness, &stopped);
    click(&mut harness, "Refresh the plan");
    run_until(&mut harness, "the new plan", |h| {
        has_text(h, "Predicted: the deployment succeeds.")
    });

    harness
        .get_by_role_and_label(Role::RadioButton, "GitHub commit")
        .click();
    settle(&mut harness);
    type_into(&mut harness, "Repository (owner/name)", "example/web");
    type_into(
        &mut harness,
        "Commit id",
        "0123456789abcdef0123456789abcdef01234567",
    );
    click(&mut harness, "Deploy now");
    run_until(&mut harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    assert_eq!(harness.state().page(), Page::Deployments);
    run_until(&mut harness, "the deployment to end", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
    });

    // Ctrl+D on the rollout view deploys the same again: its application,
    // group and revision are chosen.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::D);
    settle(&mut harness);
    wait_for_choice(&mut harness, "Application", "web");
    wait_for_choice(&mut harness, "Deployment group", "production");
    assert_eq!(
        harness
            .get_by_label("Repository (owner/name)")
            .value()
            .as_deref(),
        Some("example/web")
    );
    assert_eq!(
        harness.get_by_label("Commit id").value().as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    run_until(&mut harness, "the plan of the deployment again", |h| {
        has_text(h, "Predicted: the deployment succeeds.")
    });
}

#[test]
fn a_bad_revision_keeps_deploy_disabled_with_the_reason() {
    let mut harness = demo();
    set_up(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the Deployments page", |h| {
        h.state().page() == Page::Deployments
    });
    click(&mut harness, "Deploy…");
    run_until(&mut harness, "the applications", |h| {
        h.query_all_by_label("Application")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(&mut harness, "Application", "web");
    // The application's only group is chosen by itself.
    wait_for_choice(&mut harness, "Deployment group", "production");
    type_into(&mut harness, "Bucket", "Bad_Bucket");
    type_into(&mut harness, "Key", "web.zip");
    assert!(has_text(&harness, "use only lowercase letters"));
    // Deploy now stays disabled: clicking it starts nothing.
    click(&mut harness, "Deploy now");
    assert!(has_text(&harness, "Pre-flight plan"));
    assert!(harness.state().rollout_view().is_none());
}

#[test]
fn every_dropdown_of_the_deploy_dialog_opens_again_after_the_dialog_is_reopened() {
    let mut harness = demo();
    web_production_group(&harness, None);
    add_staging_group(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the Deployments page", |h| {
        h.state().page() == Page::Deployments
    });
    let rounds = [
        (
            "staging",
            "tar",
            "HalfAtATime",
            "Replace them",
            Clicks::Slow,
        ),
        ("production", "tgz", "AllAtOnce", "Keep them", Clicks::Quick),
        ("staging", "tar", "OneAtATime", "Replace them", Clicks::Slow),
        (
            "production",
            "tgz",
            "HalfAtATime",
            "Keep them",
            Clicks::Quick,
        ),
    ];
    for (round, (group, bundle_type, config, files, clicks)) in rounds.into_iter().enumerate() {
        // Opened by the page's button, clicked with the pointer.
        click(&mut harness, "Deploy…");
        run_until(&mut harness, "the applications", |h| {
            h.query_all_by_label("Application")
                .any(|node| node.accesskit_node().role() == Role::ComboBox)
        });
        // Plain words on screen; CodeDeploy's value is in the tooltip.
        let files_shown = |h: &Harness<'static, App>| {
            combo(h, "Files that already exist on an instance")
                .accesskit_node()
                .value()
        };
        assert_eq!(
            files_shown(&harness).as_deref(),
            Some("Fail the deployment")
        );
        assert!(!has_text(&harness, "DISALLOW"));
        pick(&mut harness, "Application", "web", "web", clicks);
        run_until(&mut harness, "the groups", |h| {
            h.query_all_by_label("Deployment group")
                .any(|node| node.accesskit_node().role() == Role::ComboBox)
        });
        pick(&mut harness, "Deployment group", group, group, clicks);
        pick(
            &mut harness,
            "Bundle type",
            bundle_type,
            bundle_type,
            clicks,
        );
        pick(
            &mut harness,
            "Deployment configuration",
            config,
            config,
            clicks,
        );
        pick(
            &mut harness,
            "Files that already exist on an instance",
            files,
            files,
            clicks,
        );
        // Closed a different way each time: Cancel, Escape, a click beside
        // the dialog, Cancel again.
        match round % 3 {
            0 => click(&mut harness, "Cancel"),
            1 => {
                harness.key_press(egui::Key::Escape);
                settle(&mut harness);
            }
            _ => {
                harness.hover_at(egui::pos2(4.0, 1390.0));
                harness.event(egui::Event::PointerButton {
                    pos: egui::pos2(4.0, 1390.0),
                    button: egui::PointerButton::Primary,
                    pressed: true,
                    modifiers: egui::Modifiers::NONE,
                });
                harness.event(egui::Event::PointerButton {
                    pos: egui::pos2(4.0, 1390.0),
                    button: egui::PointerButton::Primary,
                    pressed: false,
                    modifiers: egui::Modifiers::NONE,
                });
                settle(&mut harness);
            }
        }
        assert!(
            !has_text(&harness, "Pre-flight plan"),
            "the dialog closes in round {round}"
        );
    }
}

#[test]
fn the_plan_warns_when_the_instances_may_not_read_the_bucket() {
    // No demo fleet: two production instances with a profile of their own.
    let mut harness = connected_app(
        demo_options(0, Duration::from_millis(20)),
        egui::vec2(1280.0, 1400.0),
    );
    limited_instance_profile(&harness, "WebInstanceProfile", "team-revisions");
    let session = harness.state().session().expect("connected");
    call(&harness, async {
        use aws_sdk_ec2::types::{
            IamInstanceProfileSpecification, ResourceType, Tag, TagSpecification,
        };
        session
            .ec2
            .run_instances()
            .image_id("ami-0abcdef1234567890")
            .min_count(2)
            .max_count(2)
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name("WebInstanceProfile")
                    .build(),
            )
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(
                        Tag::builder()
                            .key("Environment")
                            .value("production")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("the instances launch");
    });
    web_production_group(&harness, None);
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the Deployments page", |h| {
        h.state().page() == Page::Deployments
    });
    click(&mut harness, "Deploy…");
    run_until(&mut harness, "the applications", |h| {
        h.query_all_by_label("Application")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(&mut harness, "Application", "web");
    wait_for_choice(&mut harness, "Deployment group", "production");
    type_into(&mut harness, "Bucket", "other-revisions");
    type_into(&mut harness, "Key", "web/web-1.zip");
    run_until(&mut harness, "the bucket warning", |h| {
        has_text(
            h,
            "the instance profile WebInstanceProfile lets them read only from team-revisions",
        )
    });
    type_into(&mut harness, "Bucket", "team-revisions");
    assert!(!has_text(&harness, "may not be able to download"));
}

#[test]
fn the_pre_flight_plan_counts_auto_scaling_instances_and_warns_of_a_scale_out() {
    let mut harness = demo();
    ui_support::auto_scaling_fleet(&harness, "web-asg", "web-tg", "web-5xx");
    let session = harness.state().session().expect("connected");
    call(&harness, async {
        session
            .codedeploy
            .create_application()
            .application_name("web")
            .send()
            .await
            .expect("the application is made");
        session
            .codedeploy
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("production")
            .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
            .auto_scaling_groups("web-asg")
            .send()
            .await
            .expect("the group is made");
    });
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the Deployments page", |h| {
        h.state().page() == Page::Deployments
    });
    click(&mut harness, "Deploy…");
    run_until(&mut harness, "the applications", |h| {
        h.query_all_by_label("Application")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(&mut harness, "Application", "web");
    wait_for_choice(&mut harness, "Deployment group", "production");
    run_until(&mut harness, "the pre-flight plan", |h| {
        has_text(h, "of 2 instances must succeed")
    });
    assert!(has_text(
        &harness,
        "Auto Scaling group web-asg: 2 instances, 2 in service."
    ));
    assert!(!has_text(&harness, "is scaling out"));

    // A launch hook holds a third instance on its way in service.
    call(&harness, async {
        session
            .autoscaling
            .put_lifecycle_hook()
            .auto_scaling_group_name("web-asg")
            .lifecycle_hook_name("warm-up")
            .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
            .heartbeat_timeout(7200)
            .send()
            .await
            .expect("the hook is put");
        session
            .autoscaling
            .set_desired_capacity()
            .auto_scaling_group_name("web-asg")
            .desired_capacity(3)
            .send()
            .await
            .expect("the group scales out");
    });
    click(&mut harness, "Refresh the plan");
    run_until(&mut harness, "the scale-out", |h| {
        has_text(
            h,
            "The Auto Scaling group web-asg is scaling out (3 instances, 2 in service)",
        )
    });
    assert!(
        has_text(&harness, "of 2 instances must succeed"),
        "the instance on its way in service is not deployed to"
    );
}
