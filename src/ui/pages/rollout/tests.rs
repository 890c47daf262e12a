//! The rollout view's tests: rows, watching and the failure explained.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::header::{explain_failure, originals_terminated_at};
use super::rows::{Grouping, RowFilter, build_rows};
use super::*;
use crate::cloud::deployments::{EventInfo, TargetStatus};
use crate::cloud::watcher::WatchState;
use egui_kittest::kittest::Queryable as _;

fn filter(grouping: Grouping, only_failed: bool, search: &str) -> RowFilter<'_> {
    static NO_TAGS: std::sync::LazyLock<HashMap<String, InstanceInfo>> =
        std::sync::LazyLock::new(HashMap::new);
    RowFilter {
        grouping,
        only_failed,
        search,
        tag_key: "Environment",
        instances: &NO_TAGS,
    }
}

#[test]
fn rows_by_tag_use_the_tag_value_and_search_finds_names() {
    let targets = vec![
        target("i-1", TargetStatus::Succeeded, Some(1)),
        target("i-2", TargetStatus::Succeeded, Some(1)),
        target("i-3", TargetStatus::Failed, Some(1)),
    ];
    let info = |id: &str, name: &str, environment: Option<&str>| {
        let mut tags = std::collections::BTreeMap::new();
        tags.insert("Name".to_owned(), name.to_owned());
        if let Some(environment) = environment {
            tags.insert("Environment".to_owned(), environment.to_owned());
        }
        let info = InstanceInfo {
            id: id.to_owned(),
            tags,
            state: None,
        };
        (id.to_owned(), info)
    };
    let instances: HashMap<String, InstanceInfo> = [
        info("i-1", "web-001", Some("production")),
        info("i-2", "web-002", Some("staging")),
        info("i-3", "web-003", None),
    ]
    .into_iter()
    .collect();
    let by_tag = RowFilter {
        grouping: Grouping::Tag,
        only_failed: false,
        search: "",
        tag_key: "Environment",
        instances: &instances,
    };
    let labels: Vec<String> = build_rows(&targets, &by_tag)
        .into_iter()
        .map(|row| row.label)
        .collect();
    assert_eq!(
        labels,
        ["no Environment (1)", "production (1)", "staging (1)"]
    );
    let by_name = RowFilter {
        grouping: Grouping::None,
        search: "WEB-002",
        ..by_tag
    };
    assert_eq!(build_rows(&targets, &by_name)[0].items, vec![1]);
}

fn target(id: &str, status: TargetStatus, started: Option<u64>) -> Target {
    Target {
        id: id.to_owned(),
        status,
        label: None,
        last_updated: None,
        // A target that has finished ran its event for a second.
        events: started
            .map(|seconds| EventInfo {
                name: "ApplicationStop".to_owned(),
                status: "Succeeded".to_owned(),
                started: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)),
                ended: status
                    .is_finished()
                    .then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds + 1)),
                diagnostics: None,
            })
            .into_iter()
            .collect(),
        traffic: None,
    }
}

#[test]
fn an_error_while_watching_keeps_what_is_on_screen() {
    let mut view = RolloutView::new("d-1");
    view.apply(WatchUpdate {
        deployment: None,
        target_ids: Some(vec!["i-1".to_owned(), "i-2".to_owned()]),
        targets: vec![target("i-1", TargetStatus::Succeeded, Some(1))],
        state: WatchState::Watching {
            next_in: Duration::from_secs(1),
        },
        requests: 3,
        refreshes: 1,
    });
    view.apply(WatchUpdate {
        deployment: None,
        target_ids: None,
        targets: Vec::new(),
        state: WatchState::Failing {
            message: "Could not reach AWS.".to_owned(),
            retry_in: Duration::from_secs(5),
        },
        requests: 4,
        refreshes: 2,
    });
    assert_eq!(view.targets().len(), 2);
    assert_eq!(view.targets()[0].status, TargetStatus::Succeeded);
    assert!(matches!(view.state, Some(WatchState::Failing { .. })));
}

#[test]
fn rows_by_status_put_failures_first() {
    let targets = vec![
        target("i-1", TargetStatus::Succeeded, Some(1)),
        target("i-2", TargetStatus::Failed, Some(2)),
        target("i-3", TargetStatus::Pending, None),
    ];
    let rows = build_rows(&targets, &filter(Grouping::Status, false, ""));
    let labels: Vec<&str> = rows.iter().map(|row| row.label.as_str()).collect();
    assert_eq!(labels, ["Failed (1)", "Pending (1)", "Succeeded (1)"]);
}

#[test]
fn rows_by_wave_start_a_wave_once_the_one_before_has_ended() {
    let targets = vec![
        target("i-1", TargetStatus::Succeeded, Some(10)),
        target("i-2", TargetStatus::Succeeded, Some(10)),
        target("i-3", TargetStatus::InProgress, Some(20)),
        target("i-4", TargetStatus::Pending, None),
    ];
    let rows = build_rows(&targets, &filter(Grouping::Wave, false, ""));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].items, vec![0, 1]);
    assert_eq!(rows[1].label, "Wave 2");
    assert_eq!(rows[2].label, "Not started");
}

#[test]
fn only_failed_and_search_filter_tiles() {
    let mut targets = vec![
        target("i-aaa", TargetStatus::Succeeded, Some(1)),
        target("i-bbb", TargetStatus::Failed, Some(1)),
    ];
    targets[1].label = Some("Green".to_owned());
    let rows = build_rows(&targets, &filter(Grouping::None, true, ""));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].items, vec![1]);
    assert_eq!(rows[0].label, "Replacement (Green) · All");
    let rows = build_rows(&targets, &filter(Grouping::None, false, "AAA"));
    assert_eq!(rows[0].items, vec![0]);
}

/// A deployment of ten instances that failed after one success and one
/// failure.
fn failed_deployment() -> Deployment {
    Deployment {
        id: "d-1".to_owned(),
        application: "a".to_owned(),
        group: "g".to_owned(),
        config: "CodeDeployDefault.OneAtATime".to_owned(),
        status: DeploymentStatus::Failed,
        revision: None,
        creator: "user".to_owned(),
        description: None,
        created: None,
        started: None,
        completed: None,
        overview: crate::cloud::deployments::Overview {
            succeeded: 1,
            failed: 1,
            skipped: 8,
            ..Default::default()
        },
        error: Some((
            "HEALTH_CONSTRAINTS".to_owned(),
            "too many failed".to_owned(),
        )),
        blue_green: false,
        load_balancers: Vec::new(),
        termination: None,
        rollback: None,
        platform: crate::domain::ComputePlatform::Server,
    }
}

#[test]
fn failure_is_explained_with_numbers() {
    let deployment = failed_deployment();
    let targets = vec![
        target("i-1", TargetStatus::Succeeded, Some(1)),
        target("i-2", TargetStatus::Failed, Some(2)),
    ];
    assert_eq!(
        explain_failure(&deployment, Some(MinimumHealthyHosts::OneAtATime), &targets),
        "1 of 10 instances failed; this config needs 9 healthy: stopped after wave 2."
    );
}

#[test]
fn the_originals_of_a_rerouted_blue_green_deployment_are_terminated_after_the_wait() {
    let mut deployment = failed_deployment();
    deployment.status = DeploymentStatus::InProgress;
    deployment.error = None;
    deployment.blue_green = true;
    deployment.termination = Some(crate::cloud::deployments::BlueTermination {
        terminate: true,
        wait_minutes: 5,
        wait_started: true,
    });
    let blocked = |id: &str, ended: u64| {
        let mut original = target(id, TargetStatus::Succeeded, Some(ended - 1));
        original.label = Some("Blue".to_owned());
        original.events[0].name = "BlockTraffic".to_owned();
        original
    };
    let mut replacement = target("i-green", TargetStatus::Succeeded, Some(900));
    replacement.label = Some("Green".to_owned());
    replacement.events[0].name = "BlockTraffic".to_owned();
    let targets = vec![blocked("i-1", 100), blocked("i-2", 160), replacement];
    assert_eq!(
        originals_terminated_at(&deployment, &targets),
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(160 + 300)),
        "the wait runs from the last original's BlockTraffic"
    );
    let mut kept = deployment.clone();
    kept.termination = Some(crate::cloud::deployments::BlueTermination {
        terminate: false,
        wait_minutes: 5,
        wait_started: true,
    });
    assert_eq!(originals_terminated_at(&kept, &targets), None);
    let mut before = deployment.clone();
    before.termination = Some(crate::cloud::deployments::BlueTermination {
        terminate: true,
        wait_minutes: 5,
        wait_started: false,
    });
    assert_eq!(originals_terminated_at(&before, &targets), None);
}

#[test]
fn a_stop_on_alarm_names_the_alarm() {
    let mut deployment = failed_deployment();
    deployment.status = DeploymentStatus::Stopped;
    deployment.error = Some((
        "ALARM_ACTIVE".to_owned(),
        "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <web-5xx>".to_owned(),
    ));
    assert_eq!(
        explain_failure(&deployment, Some(MinimumHealthyHosts::OneAtATime), &[]),
        "Stopped by the alarm web-5xx: it went into ALARM, so CodeDeploy stopped the deployment where it was."
    );
    deployment.error = Some((
        "ALARM_ACTIVE".to_owned(),
        "Activated alarms: <web-5xx, web-latency>".to_owned(),
    ));
    assert!(
        explain_failure(&deployment, None, &[])
            .starts_with("Stopped by the alarms web-5xx, web-latency:")
    );
    deployment.error = Some((
        "ALARM_ACTIVE".to_owned(),
        "The deployment was stopped because the state of the alarms <gone> could not be retrieved from Amazon CloudWatch (no such alarm).".to_owned(),
    ));
    assert!(
        explain_failure(&deployment, None, &[])
            .starts_with("Stopped because CloudWatch could not tell the state of gone")
    );
}

#[test]
fn a_configuration_that_cannot_be_read_is_said_in_the_header() {
    let mut view = RolloutView::new("d-1");
    view.apply(WatchUpdate {
        deployment: Some(failed_deployment()),
        target_ids: None,
        targets: Vec::new(),
        state: WatchState::Finished,
        requests: 1,
        refreshes: 1,
    });
    view.config_loaded(Err("Permission denied: not allowed.".to_owned()));
    let mut harness = egui_kittest::Harness::new_ui_state(
        |ui, view: &mut RolloutView| {
            // The app installs the icon font when it starts.
            crate::ui::widgets::button::install_icons(ui.ctx());
            view.ui(ui);
        },
        view,
    );
    harness.run();
    let said = "The minimum healthy hosts of CodeDeployDefault.OneAtATime could not be read: Permission denied: not allowed.";
    assert!(harness.query_by_label_contains(said).is_some());
    // Without the minimum, the failure is explained without it.
    assert!(
        harness
            .query_by_label_contains("1 of 10 instances failed: stopped after wave")
            .is_none()
    );
    assert!(
        harness
            .query_by_label_contains("1 of 10 instances failed.")
            .is_some()
    );

    harness
        .state_mut()
        .config_loaded(Ok(Some(MinimumHealthyHosts::OneAtATime)));
    harness.run();
    assert!(harness.query_by_label_contains(said).is_none());
    assert!(
        harness
            .query_by_label_contains("1 of 10 instances failed; this config needs 9 healthy.")
            .is_some()
    );
}

/// A target of fleet `label` whose events have these statuses.
fn fleet_target(id: &str, label: &str, status: TargetStatus, events: &[(&str, &str)]) -> Target {
    Target {
        id: id.to_owned(),
        status,
        label: Some(label.to_owned()),
        last_updated: None,
        events: events
            .iter()
            .map(|(name, status)| EventInfo {
                name: (*name).to_owned(),
                status: (*status).to_owned(),
                started: None,
                ended: None,
                diagnostics: None,
            })
            .collect(),
        traffic: None,
    }
}

fn blue_green(status: DeploymentStatus) -> Deployment {
    let mut deployment = failed_deployment();
    deployment.status = status;
    deployment.error = None;
    deployment.blue_green = true;
    deployment
}

#[test]
fn the_reroute_step_follows_the_traffic_events() {
    use super::fleets::{Reroute, original_traffic, replacement_traffic, reroute};
    let now = SystemTime::now();
    let installing = vec![
        fleet_target(
            "i-1",
            "Blue",
            TargetStatus::Pending,
            &[("BlockTraffic", "Pending")],
        ),
        fleet_target(
            "i-2",
            "Green",
            TargetStatus::InProgress,
            &[("Install", "InProgress"), ("AllowTraffic", "Pending")],
        ),
    ];
    let running = blue_green(DeploymentStatus::InProgress);
    assert_eq!(reroute(&running, &installing), Reroute::NotYet);
    assert_eq!(
        original_traffic(&running, &installing, now),
        ("serving traffic".to_owned(), false)
    );
    assert_eq!(
        replacement_traffic(&running, &installing),
        "being installed"
    );

    let ready = blue_green(DeploymentStatus::Ready);
    let mut installed = installing.clone();
    installed[1] = fleet_target(
        "i-2",
        "Green",
        TargetStatus::Ready,
        &[("Install", "Succeeded"), ("AllowTraffic", "Pending")],
    );
    assert_eq!(reroute(&ready, &installed), Reroute::WaitingForYou);
    assert_eq!(
        replacement_traffic(&ready, &installed),
        "installed; not serving yet"
    );

    let mut moving = installed.clone();
    moving[1].events[1].status = "InProgress".to_owned();
    assert_eq!(reroute(&running, &moving), Reroute::InProgress);
    assert_eq!(replacement_traffic(&running, &moving), "taking traffic");

    let mut draining = moving.clone();
    draining[1].events[1].status = "Succeeded".to_owned();
    draining[0].events[0].status = "InProgress".to_owned();
    assert_eq!(reroute(&running, &draining), Reroute::InProgress);
    assert_eq!(
        original_traffic(&running, &draining, now).0,
        "draining traffic"
    );
    assert_eq!(replacement_traffic(&running, &draining), "serving traffic");

    let mut rerouted = draining.clone();
    rerouted[0].events[0].status = "Succeeded".to_owned();
    rerouted[0].events[0].ended = Some(now);
    let mut waiting = running.clone();
    waiting.termination = Some(crate::cloud::deployments::BlueTermination {
        terminate: true,
        wait_minutes: 60,
        wait_started: true,
    });
    assert_eq!(reroute(&waiting, &rerouted), Reroute::Done);
    let (said, warn) = original_traffic(&waiting, &rerouted, now);
    assert!(warn);
    assert_eq!(said, "out of traffic; terminated in 1 h 0 min");
    let mut kept = waiting.clone();
    kept.status = DeploymentStatus::Succeeded;
    kept.completed = Some(now);
    kept.termination = Some(crate::cloud::deployments::BlueTermination {
        terminate: false,
        wait_minutes: 0,
        wait_started: true,
    });
    assert_eq!(
        original_traffic(&kept, &rerouted, now).0,
        "out of traffic; kept running"
    );

    // Stopped before the reroute: the originals still serve.
    let stopped = blue_green(DeploymentStatus::Stopped);
    assert_eq!(reroute(&stopped, &installed), Reroute::NotDone);
    assert_eq!(
        original_traffic(&stopped, &installed, now).0,
        "serving traffic"
    );
    assert_eq!(replacement_traffic(&stopped, &installed), "not serving");
}

/// The view of blue/green deployment `deployment` with `targets`, drawn
/// `width` wide.
fn fleets_harness(
    deployment: Deployment,
    targets: Vec<Target>,
    width: f32,
) -> egui_kittest::Harness<'static, RolloutView> {
    let mut view = RolloutView::new("d-1");
    view.apply(WatchUpdate {
        deployment: Some(deployment),
        target_ids: None,
        targets,
        state: WatchState::Finished,
        requests: 1,
        refreshes: 1,
    });
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(width, 600.0))
        .build_ui_state(
            |ui, view: &mut RolloutView| {
                crate::ui::widgets::button::install_icons(ui.ctx());
                view.ui(ui);
            },
            view,
        );
    harness.run();
    harness
}

#[test]
fn the_fleets_stand_side_by_side_when_there_is_room_and_stack_when_not() {
    let targets = vec![
        fleet_target(
            "i-1",
            "Blue",
            TargetStatus::Succeeded,
            &[("BlockTraffic", "Succeeded")],
        ),
        fleet_target(
            "i-2",
            "Blue",
            TargetStatus::Succeeded,
            &[("BlockTraffic", "Succeeded")],
        ),
        fleet_target(
            "i-3",
            "Green",
            TargetStatus::Succeeded,
            &[("AllowTraffic", "Succeeded")],
        ),
    ];
    let deployment = blue_green(DeploymentStatus::Succeeded);
    let wide = fleets_harness(deployment.clone(), targets.clone(), 1000.0);
    let original = wide
        .get_by_label("Original (Blue) instances (2 shown)")
        .rect();
    let replacement = wide
        .get_by_label("Replacement (Green) instances (1 shown)")
        .rect();
    assert!(
        original.max.x < replacement.min.x,
        "{original:?} {replacement:?}"
    );
    wide.get_by_label("Reroute: done");
    assert!(wide.query_by_label_contains("Deployment targets").is_none());

    // In a narrow window the original fleet is above the replacement.
    let narrow = fleets_harness(deployment, targets, 480.0);
    let original = narrow
        .get_by_label("Original (Blue) instances (2 shown)")
        .rect();
    let replacement = narrow
        .get_by_label("Replacement (Green) instances (1 shown)")
        .rect();
    assert!(
        original.max.y < replacement.min.y,
        "{original:?} {replacement:?}"
    );
    narrow.get_by_label("Reroute: done");
}
