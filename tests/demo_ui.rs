//! The guided demo in demo mode: on first launch one click on "Show me a
//! rollout" sets the account up and opens a running deployment with one
//! failing instance; the tour can be skipped, and resetting the demo account
//! offers it again. The rollout is paced to the tour, the tour frames what
//! it talks about, its buttons stay in place, and in a narrow window it
//! leaves the width to the instance panel.

mod ui_support;

use std::time::Duration;

use deploydesk::cloud::demo::{SIMULATE_TAG, SLOW};
use deploydesk::cloud::deployments::DeploymentStatus;
use deploydesk::embedded::DEMO_FLEET;
use deploydesk::settings::Page;
use deploydesk::ui::App;
use deploydesk::ui::widgets::spotlight;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_support::{call, click, connected_app, demo_options, has_text, run_until, settle};

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
    // The first step lets the rollout run at full speed.
    click(&mut harness, "Next");
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

/// The simulate tags of the demo's production instances, by instance.
fn simulate_tags(harness: &Harness<'static, App>) -> Vec<Option<String>> {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        deploydesk::cloud::ec2::list_instances(&session, None)
            .await
            .expect("instances are listed")
            .into_iter()
            .filter(|instance| {
                instance.tags.get("Environment").map(String::as_str) == Some("production")
            })
            .map(|instance| instance.tags.get(SIMULATE_TAG).cloned())
            .collect()
    })
}

/// Whether a simulate tag value slows its instance down.
fn is_slow(value: Option<&String>) -> bool {
    value.is_some_and(|value| value.split(',').any(|directive| directive.trim() == SLOW))
}

/// The demo deployment's status as the local cloud has it now.
fn status_now(harness: &Harness<'static, App>) -> DeploymentStatus {
    let session = harness.state().session().expect("connected");
    let id = harness
        .state()
        .rollout_view()
        .expect("the rollout view")
        .deployment_id()
        .to_owned();
    call(harness, async {
        deploydesk::cloud::deployments::get_deployment(&session, &id)
            .await
            .expect("the deployment is read")
            .status
    })
}

/// The Next button's place on screen.
fn next_rect(harness: &Harness<'static, App>) -> egui::Rect {
    harness.get_by_role_and_label(Role::Button, "Next").rect()
}

/// Starts the demo and waits for the tour's first step over its rollout.
fn start_demo(harness: &mut Harness<'static, App>) {
    click(harness, "Show me a rollout");
    run_until(harness, "the rollout view", |h| {
        h.state()
            .rollout_view()
            .is_some_and(|view| view.deployment().is_some())
    });
}

#[test]
fn the_tour_is_read_while_the_rollout_runs_and_frames_what_it_talks_about() {
    let mut harness = first_launch();
    start_demo(&mut harness);
    assert!(has_text(&harness, "The waves"));
    assert!(
        !status_now(&harness).is_finished(),
        "the rollout still runs while the first step is read"
    );
    // Every production instance but the failing one runs slowly while the
    // first step is open.
    let tags = simulate_tags(&harness);
    assert_eq!(tags.len(), 5);
    assert_eq!(
        tags.iter().filter(|tag| is_slow(tag.as_ref())).count(),
        4,
        "{tags:?}"
    );
    assert!(has_text(&harness, "run slowly while this step is open"));

    // The step about the waves frames the "Wave" grouping.
    let (spot, framed) = spotlight::framed(&harness.ctx).expect("something is framed");
    assert_eq!(spot, spotlight::WAVE_GROUPING);
    let wave = harness.get_by_label("By wave").rect();
    assert!(framed.contains(wave.center()), "{framed:?} around {wave:?}");

    // Next stays where it was from step to step, and the last step's
    // Finish takes its place.
    let first = next_rect(&harness);
    click(&mut harness, "Next");
    assert!(has_text(&harness, "The failing instance"));
    assert_eq!(next_rect(&harness), first);
    assert_eq!(
        spotlight::framed(&harness.ctx).map(|(spot, _)| spot),
        Some(spotlight::TILE_GRID)
    );
    assert!(
        !status_now(&harness).is_finished(),
        "the second step is read while the rollout runs"
    );
    click(&mut harness, "Next");
    assert!(has_text(&harness, "Its log tail"));
    assert_eq!(next_rect(&harness), first);
    click(&mut harness, "Next");
    assert!(has_text(&harness, "The health rules"));
    assert_eq!(
        harness
            .get_by_role_and_label(Role::Button, "Finish the tour")
            .rect(),
        first
    );
    assert_eq!(
        spotlight::framed(&harness.ctx).map(|(spot, _)| spot),
        Some(spotlight::ROLLOUT_HEADER)
    );

    // Moving on let the instances run at full speed; the failing one still
    // fails.
    run_until(&mut harness, "the instances at full speed", |h| {
        !h.state().is_busy()
    });
    let tags = simulate_tags(&harness);
    assert!(tags.iter().all(|tag| !is_slow(tag.as_ref())), "{tags:?}");
    assert_eq!(
        tags.iter()
            .filter(|tag| tag.as_deref() == Some("fail:AfterInstall"))
            .count(),
        1,
        "{tags:?}"
    );
    click(&mut harness, "Finish the tour");
    assert!(!has_text(&harness, "The health rules"));
}

/// Clicks with the pointer at `pos`.
fn click_at(harness: &mut Harness<'static, App>, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
    }
    settle(harness);
}

#[test]
fn at_800x600_the_failed_tile_opens_its_panel_with_the_tour_open() {
    let mut harness = connected_app(
        demo_options(DEMO_FLEET, Duration::from_millis(150)),
        egui::vec2(800.0, 600.0),
    );
    start_demo(&mut harness);
    click(&mut harness, "Next");
    run_until(&mut harness, "the failing instance", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.overview.failed == 1)
    });
    settle(&mut harness);
    assert!(
        has_text(&harness, "The failing instance"),
        "the tour is open"
    );

    // Failed tiles come first: the first tile in reading order is the
    // failed one. Click with the pointer until a tile is hit.
    let grid = harness.get_by_label_contains("Deployment targets (").rect();
    let mut opened = false;
    'scan: for row in 0..12 {
        let y = grid.top() + 4.0 + row as f32 * 6.0;
        let mut x = grid.left() + 4.0;
        while x < grid.right() - 4.0 {
            click_at(&mut harness, egui::pos2(x, y));
            if has_text(&harness, "Log tail") {
                opened = true;
                break 'scan;
            }
            x += 6.0;
        }
    }
    assert!(opened, "a click on the failed tile opens its panel");
    harness.get_by_label("ScriptFailed");
    let log = harness.get_by_label("Log tail").rect();
    assert!(
        log.right() <= 800.0 && log.width() > 100.0,
        "the instance panel is on screen: {log:?}"
    );
    assert!(
        has_text(&harness, "The failing instance"),
        "the tour is still there"
    );
}
