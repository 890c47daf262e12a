//! The guided demo in demo mode: on first launch one click on "Show me a
//! rollout" sets the account up and opens a running deployment with one
//! failing instance; the tour can be skipped, and resetting the demo account
//! offers it again. The rollout is paced to the tour, the tour frames what
//! it talks about, its buttons stay in place, and in a narrow window it
//! leaves the width to the instance panel.

use crate::ui_support;

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

/// Steps frames until `condition` holds, failing after two minutes: the
/// scenarios wait for instances to launch and pass their health checks.
fn run_until_long(
    harness: &mut Harness<'static, App>,
    what: &str,
    condition: impl Fn(&Harness<'static, App>) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_mins(2);
    while !condition(harness) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
}

/// The deployment the rollout view shows, once it is loaded.
fn shown_deployment(
    harness: &Harness<'_, App>,
) -> Option<deploydesk::cloud::deployments::Deployment> {
    harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .cloned()
}

/// Starts the demo and walks its tour to the end, where the further
/// scenarios are offered.
fn through_the_tour(harness: &mut Harness<'static, App>) {
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Scale out")
            .is_none(),
        "the scenarios are offered only after the demo's rollout"
    );
    start_demo(harness);
    for _ in 0..3 {
        click(harness, "Next");
    }
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Alarm stop and rollback")
            .is_none()
    );
    click(harness, "Finish the tour");
    assert!(has_text(harness, "More scenarios"));
    assert!(has_text(
        harness,
        "Auto Scaling's launch starts a deployment"
    ));
}

/// Reads a deployment through the harness's session.
fn deployment_now(
    harness: &Harness<'static, App>,
    id: &str,
) -> deploydesk::cloud::deployments::Deployment {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        deploydesk::cloud::deployments::get_deployment(&session, id)
            .await
            .expect("the deployment is read")
    })
}

/// The target ids of a deployment, sorted.
fn target_ids(harness: &Harness<'static, App>, id: &str) -> Vec<String> {
    let session = harness.state().session().expect("connected");
    let mut ids = call(harness, async {
        deploydesk::cloud::deployments::list_target_ids(&session, id)
            .await
            .expect("the targets are listed")
    });
    ids.sort();
    ids
}

/// The S3 key of a deployment's revision.
fn revision_key(deployment: &deploydesk::cloud::deployments::Deployment) -> String {
    match &deployment.revision {
        Some(deploydesk::cloud::deployments::Revision::S3 { key, .. }) => key.clone(),
        other => panic!("an S3 revision, not {other:?}"),
    }
}

#[test]
fn scaling_out_opens_the_deployment_auto_scaling_started_for_the_new_instance() {
    use deploydesk::cloud::demo_scenarios::{AUTO_SCALING_GROUP, FLEET_GROUP};
    let mut harness = first_launch();
    through_the_tour(&mut harness);
    click(&mut harness, "Scale out");
    assert!(
        has_text(&harness, "web-asg's desired capacity raised by one"),
        "the scenario's checklist is shown"
    );
    run_until_long(&mut harness, "the automatic deployment", |h| {
        shown_deployment(h).is_some_and(|deployment| deployment.group == FLEET_GROUP)
    });
    let automatic = shown_deployment(&harness).expect("a deployment");
    assert_eq!(automatic.creator, "autoscaling");
    assert!(has_text(&harness, "started by Auto Scaling"));
    assert!(has_text(&harness, "target group web-tg"), "traffic control");

    // It deploys to the one instance the scale-out launched: in the Auto
    // Scaling group, and not one the sample was deployed to before.
    let session = harness.state().session().expect("connected");
    let (group, earlier) = call(&harness, async {
        let group = deploydesk::cloud::autoscaling::list_groups(
            &session,
            Some(&[AUTO_SCALING_GROUP.to_owned()]),
        )
        .await
        .expect("the group is read")
        .remove(0);
        let earlier = deploydesk::cloud::deployments::list_deployments(
            &session,
            &deploydesk::cloud::deployments::DeploymentFilter {
                application: Some("demo-shop".to_owned()),
                group: Some(FLEET_GROUP.to_owned()),
                statuses: vec![DeploymentStatus::Succeeded],
                limit: 10,
            },
        )
        .await
        .expect("the deployments are listed");
        (group, earlier)
    });
    assert_eq!(group.desired_capacity, 3);
    assert_eq!(group.instances.len(), 3, "{group:?}");
    assert_eq!(earlier.len(), 1, "the sample was deployed once");
    assert_eq!(earlier[0].creator, "user");
    let before = target_ids(&harness, &earlier[0].id);
    assert_eq!(before.len(), 2);
    let targets = target_ids(&harness, &automatic.id);
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert!(!before.contains(&targets[0]));
    assert!(
        group
            .instances
            .iter()
            .any(|member| member.instance_id == targets[0])
    );
    assert!(has_text(&harness, "Done:"), "the panel says it is done");
}

#[test]
fn an_alarm_stops_a_rollout_and_its_rollback_restores_the_sample() {
    use deploydesk::cloud::demo::SAMPLE_KEY;
    use deploydesk::cloud::demo_scenarios::{FLEET_GROUP, SECOND_KEY};
    let mut harness = first_launch();
    through_the_tour(&mut harness);
    click(&mut harness, "Alarm stop and rollback");
    run_until_long(&mut harness, "the stopped deployment", |h| {
        shown_deployment(h).is_some_and(|deployment| deployment.group == FLEET_GROUP)
    });
    let stopped = shown_deployment(&harness).expect("a deployment");
    assert_eq!(stopped.status, DeploymentStatus::Stopped);
    assert_eq!(
        stopped.error.as_ref().map(|(code, _)| code.as_str()),
        Some("ALARM_ACTIVE")
    );
    assert_eq!(revision_key(&stopped), SECOND_KEY);
    assert!(has_text(&harness, "Stopped by the alarm web-5xx"));
    let rollback_id = stopped
        .rolled_back_by()
        .expect("the stop on alarm is rolled back")
        .to_owned();
    assert!(has_text(&harness, "rolled back by"));

    // The rollback deploys the revision before the stopped one, and links
    // back to it.
    let rollback = deployment_now(&harness, &rollback_id);
    assert_eq!(rollback.creator, "codeDeployRollback");
    assert_eq!(rollback.rolls_back(), Some(stopped.id.as_str()));
    assert_eq!(revision_key(&rollback), SAMPLE_KEY);

    // The alarm went into ALARM through CloudWatch and is quiet again, so
    // later deployments of the group are not stopped.
    let session = harness.state().session().expect("connected");
    let alarms = call(&harness, async {
        deploydesk::cloud::cloudwatch::alarm_states(&session, &["web-5xx".to_owned()])
            .await
            .expect("the alarm is read")
    });
    assert_eq!(
        alarms[0].state,
        Some(deploydesk::cloud::cloudwatch::AlarmStateValue::Ok),
        "{alarms:?}"
    );

    // The link in the header opens it.
    harness
        .get_by_role_and_label(Role::Link, &rollback_id)
        .click();
    run_until(&mut harness, "the rollback in the rollout view", |h| {
        shown_deployment(h).is_some_and(|deployment| deployment.id == rollback_id)
    });
    assert!(has_text(&harness, "rollback of"));
    assert!(has_text(&harness, "started by CodeDeploy to roll back"));
}
