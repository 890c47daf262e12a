//! The guided demo in demo mode: on first launch one click on "Show me a
//! rollout" sets the account up and opens a running deployment with one
//! failing instance; the tour can be skipped, and resetting the demo account
//! offers it again.

mod ui_support;

use std::sync::Arc;
use std::time::Duration;

use deploydesk::embedded::{DEMO_FLEET, EmbeddedLocalCloud};
use deploydesk::localcloud::LocalCloudOptions;
use deploydesk::settings::{BackendChoice, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_support::{app_harness, has_text, run_until, settle};

fn first_launch() -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: None,
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::with_options(
            LocalCloudOptions {
                fleet: DEMO_FLEET,
                event_duration: Duration::from_millis(150),
                ..LocalCloudOptions::default()
            },
        ))),
    };
    let mut harness = app_harness(options, egui::vec2(1400.0, 900.0));
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    harness
}

fn click(harness: &mut Harness<'static, App>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    settle(harness);
}

#[test]
fn one_click_shows_a_running_rollout_with_a_failing_instance() {
    let mut harness = first_launch();
    assert!(has_text(&harness, "Welcome to DeployDesk"));
    click(&mut harness, "Show me a rollout");
    run_until(&mut harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    assert_eq!(harness.state().page(), Page::Deployments);
    assert!(has_text(&harness, "The waves"), "the tour starts");
    // The deployment runs, and exactly one instance fails.
    run_until(&mut harness, "the failing instance", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.overview.failed == 1)
    });
    let deployment = harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .cloned()
        .expect("a deployment");
    assert_eq!(deployment.application, "demo-shop");
    assert_eq!(
        deployment.overview.total(),
        5,
        "the production half of the fleet"
    );

    // The tour walks on, and can be skipped.
    click(&mut harness, "Next");
    assert!(has_text(&harness, "The failing instance"));
    click(&mut harness, "Skip the tour");
    assert!(!has_text(&harness, "The failing instance"));
    assert!(!has_text(&harness, "Welcome to DeployDesk"));

    // Resetting the demo account offers it again.
    click(&mut harness, "Reset demo account…");
    click(&mut harness, "Reset");
    run_until(&mut harness, "the welcome again", |h| {
        has_text(h, "Welcome to DeployDesk") && h.state().session().is_some()
    });
}

#[test]
fn the_welcome_can_be_dismissed() {
    let mut harness = first_launch();
    click(&mut harness, "Not now");
    assert!(!has_text(&harness, "Welcome to DeployDesk"));
    assert!(harness.state().rollout_view().is_none());
}
