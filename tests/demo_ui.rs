//! The guided demo in demo mode: on first launch one click on "Show me a
//! rollout" sets the account up and opens a running deployment with one
//! failing instance; the tour can be skipped, and resetting the demo account
//! offers it again.

mod ui_support;

use std::time::Duration;

use deploydesk::embedded::DEMO_FLEET;
use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui_kittest::Harness;
use ui_support::{click, connected_app, demo_options, has_text, run_until};

fn first_launch() -> Harness<'static, App> {
    connected_app(
        demo_options(DEMO_FLEET, Duration::from_millis(150)),
        egui::vec2(1400.0, 900.0),
    )
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
