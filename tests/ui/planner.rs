//! UI tests: the real app, driven through its accessible labels.

use std::path::Path;

use deploydesk::settings::{self, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn app_harness(settings_path: &Path) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(settings_path.to_path_buf()),
        backend_override: None,
        local_cloud: None,
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(cc, options))
}

fn set_field(harness: &mut Harness<'_, App>, label: &str, value: &str) {
    harness.get_by_label(label).set_text_value_accesskit(value);
    harness.run();
}

fn open_planner(harness: &mut Harness<'_, App>) {
    harness
        .get_by_role_and_label(Role::Button, "Rollout planner")
        .click();
    harness.run();
    assert_eq!(harness.state().page(), Page::RolloutPlanner);
}

#[test]
fn planner_predicts_waves_and_result_as_the_configuration_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_harness(&dir.path().join("settings.json"));
    harness.run();
    // The top bar says which backend is active.
    harness.get_by_label("Demo — local cloud");
    open_planner(&mut harness);

    // The default: OneAtATime over ten healthy instances.
    harness.get_by_label("10 waves: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1");
    harness.get_by_label("Succeeds");

    // A custom minimum of 8 healthy hosts deploys two at a time.
    harness.get_by_label("Custom").click();
    harness.run();
    harness.get_by_label("Host count").click();
    harness.run();
    set_field(&mut harness, "Minimum healthy hosts", "8");
    harness.get_by_label("5 waves: 2, 2, 2, 2, 2");
    harness.get_by_label("Up to 2 instances at a time; at least 8 must succeed.");

    // Two failures in the first wave leave 8 healthy: the deployment stops.
    set_field(&mut harness, "Failing", "1-2");
    harness.get_by_label("Fails");
    harness.get_by_label("HEALTH_CONSTRAINTS");
    harness.get_by_label(
        "Fails: 2 instances failed; 8 healthy are left and the minimum is 8: stopped after wave 1.",
    );

    // A minimum of 95% of ten fails before it starts.
    set_field(&mut harness, "Failing", "");
    harness.get_by_label("Fleet percent").click();
    harness.run();
    set_field(&mut harness, "Minimum healthy percent", "95");
    harness.get_by_label("Fails");
    harness.get_by_label("HEALTH_CONSTRAINTS_INVALID");
    harness.get_by_label("10 instances, minimum 95%: 10 must stay healthy.");
    harness.get_by_label("none");

    // HalfAtATime over nine: four, four, one.
    harness.get_by_label("HalfAtATime").click();
    harness.run();
    set_field(&mut harness, "Healthy, current revision", "9");
    harness.get_by_label("3 waves: 4, 4, 1");
    harness.get_by_label("Succeeds");
}

#[test]
fn planner_explains_bad_input_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_harness(&dir.path().join("settings.json"));
    harness.run();
    open_planner(&mut harness);

    harness.get_by_label("Custom").click();
    harness.run();
    harness.get_by_label("Fleet percent").click();
    harness.run();
    set_field(&mut harness, "Minimum healthy percent", "100");
    harness.get_by_label_contains("must be between 0 and 99");
    harness.get_by_label("Fix the inputs on the left to see the plan.");

    set_field(&mut harness, "Minimum healthy percent", "50");
    set_field(&mut harness, "Healthy, current revision", "-3");
    harness.get_by_label_contains("cannot be negative");

    set_field(&mut harness, "Healthy, current revision", "0");
    harness.get_by_label_contains("The fleet is empty");

    set_field(&mut harness, "Healthy, current revision", "ten");
    harness.get_by_label_contains("is not a whole number");

    set_field(&mut harness, "Healthy, current revision", "4");
    set_field(&mut harness, "Failing", "9");
    harness.get_by_label_contains("There is no instance 9");

    // Everything typed is still there, and a fix brings the plan back.
    set_field(&mut harness, "Failing", "4");
    harness.get_by_label("Succeeds");
    assert_eq!(
        harness.get_by_label("Failing").value().as_deref(),
        Some("4")
    );
}

#[test]
fn last_page_is_remembered_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    {
        let mut harness = app_harness(&path);
        harness.run();
        open_planner(&mut harness);
    }
    // Dropping the app flushes the settings writer.
    assert_eq!(settings::load(&path).0.last_page, Page::RolloutPlanner);
    let mut harness = app_harness(&path);
    harness.run();
    assert_eq!(harness.state().page(), Page::RolloutPlanner);
    harness.get_by_label("Deployment configuration");
}

#[test]
fn damaged_settings_start_with_defaults_and_say_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, "{{{ not settings").unwrap();
    let mut harness = app_harness(&path);
    harness.run();
    harness.get_by_label_contains("was damaged");
    harness
        .get_by_role_and_label(Role::Button, "Dismiss")
        .click();
    harness.run();
    assert!(harness.query_by_label_contains("was damaged").is_none());
    assert!(harness.state().notice().is_none());
}

/// Clicks with the pointer at `pos`.
fn click_at(harness: &mut Harness<'_, App>, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
    }
    harness.run();
}

#[test]
fn clicking_a_tile_that_is_not_attempted_changes_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_harness(&dir.path().join("settings.json"));
    harness.run();
    open_planner(&mut harness);
    // A minimum of 95% of ten fails before it starts: no instance is
    // attempted, so every tile is one that is not attempted.
    harness.get_by_label("Custom").click();
    harness.run();
    harness.get_by_label("Fleet percent").click();
    harness.run();
    set_field(&mut harness, "Minimum healthy percent", "95");
    harness.get_by_label("HEALTH_CONSTRAINTS_INVALID");

    // Click with the pointer over the grid until a tile is hit.
    let grid = harness.get_by_label("Planned waves").rect();
    let mut hit = false;
    'scan: for row in 0..12 {
        let y = grid.top() + 4.0 + row as f32 * 6.0;
        let mut x = grid.left() + 4.0;
        while x < grid.right() - 4.0 {
            click_at(&mut harness, egui::pos2(x, y));
            if harness
                .query_by_label_contains("is not attempted")
                .is_some()
            {
                hit = true;
                break 'scan;
            }
            x += 6.0;
        }
    }
    assert!(hit, "a click on a tile says what it did");
    harness.get_by_label_contains("cannot be made to fail. Nothing was changed.");
    // Nothing was added to the failing or stopped lists.
    assert_eq!(harness.get_by_label("Failing").value().as_deref(), Some(""));
    assert_eq!(harness.get_by_label("Stopped").value().as_deref(), Some(""));
    harness.get_by_label("HEALTH_CONSTRAINTS_INVALID");
}

#[test]
fn clicking_an_attempted_tile_makes_it_fail_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_harness(&dir.path().join("settings.json"));
    harness.run();
    open_planner(&mut harness);
    let grid = harness.get_by_label("Planned waves").rect();
    let mut hit = false;
    'scan: for row in 0..12 {
        let y = grid.top() + 4.0 + row as f32 * 6.0;
        let mut x = grid.left() + 4.0;
        while x < grid.right() - 4.0 {
            click_at(&mut harness, egui::pos2(x, y));
            if harness.query_by_label_contains("now fails").is_some() {
                hit = true;
                break 'scan;
            }
            x += 6.0;
        }
    }
    assert!(hit, "a click on a tile says what it did");
    // The first tile in reading order is instance 1.
    harness.get_by_label("Instance 1 now fails.");
    assert_eq!(
        harness.get_by_label("Failing").value().as_deref(),
        Some("1")
    );
}

#[test]
fn planner_shows_a_lambda_canary_schedule_and_what_a_failure_at_each_step_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_harness(&dir.path().join("settings.json"));
    harness.run();
    open_planner(&mut harness);
    harness.get_by_label("AWS Lambda").click();
    harness.run();
    harness
        .get_by_label("LambdaCanary10Percent5Minutes")
        .click();
    harness.run();

    harness.get_by_label("CodeDeployDefault.LambdaCanary10Percent5Minutes");
    harness.get_by_label("10 % for 5 minutes, then 100 %");
    harness.get_by_label("5 minutes from the first shift to 100 %");
    harness.get_by_label("Traffic schedule chart: 2 steps to 100 % on the new version");

    // Before any traffic moves, each of the two steps, and after.
    harness
        .get_by_label_contains("A BeforeAllowTraffic hook failure comes before any traffic moves.");
    harness.get_by_label("Minute 0: 10 % on the new version, 90 % on the original version");
    harness.get_by_label(
        "A failure during AllowTraffic at this step (an alarm, or the deployment stopped) \
         leaves 10 % on the new version. The automatic rollback moves all traffic back to \
         the original version at once.",
    );
    harness.get_by_label("Minute 5: 100 % on the new version, 0 % on the original version");
    harness.get_by_label(
        "A failure during AllowTraffic at this step (an alarm, or the deployment stopped) \
         leaves all traffic on the new version. The automatic rollback moves all traffic \
         back to the original version at once.",
    );
    harness.get_by_label_contains(
        "An AfterAllowTraffic hook failure happens with 100 % on the new version.",
    );

    // Without automatic rollback the traffic stays where it was.
    harness.get_by_label("Automatic rollback").click();
    harness.run();
    harness.get_by_label_contains(
        "Without automatic rollback the traffic stays where it was (10 % on the new version, \
         90 % on the original version)",
    );
    assert!(
        harness
            .query_by_label_contains("The automatic rollback moves")
            .is_none()
    );

    // ECS: the replacement task set takes test traffic before production shifts.
    harness.get_by_label("Amazon ECS").click();
    harness.run();
    harness.get_by_label("CodeDeployDefault.ECSAllAtOnce");
    harness.get_by_label_contains("starts and takes test traffic");
    harness
        .get_by_label("Minute 0: 100 % on the replacement task set, 0 % on the original task set");

    // Back on EC2/on-premises the waves are as they were.
    harness.get_by_label("EC2/On-premises").click();
    harness.run();
    harness.get_by_label("10 waves: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1");
}

#[test]
fn planner_shows_a_custom_linear_schedule_and_explains_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_harness(&dir.path().join("settings.json"));
    harness.run();
    open_planner(&mut harness);
    harness.get_by_label("AWS Lambda").click();
    harness.run();
    harness.get_by_label("Custom").click();
    harness.run();
    harness.get_by_label("TimeBasedLinear").click();
    harness.run();
    set_field(&mut harness, "Percentage", "30");
    set_field(&mut harness, "Interval (minutes)", "10");

    harness.get_by_label("A custom TimeBasedLinear configuration");
    harness.get_by_label("30 % more every 10 minutes, 100 % after 30 minutes");
    for (minute, weight) in [(0, 30), (10, 60), (20, 90), (30, 100)] {
        harness.get_by_label(&format!(
            "Minute {minute}: {weight} % on the new version, {} % on the original version",
            100 - weight
        ));
    }
    harness.get_by_label_contains("leaves 90 % on the new version.");

    for bad in ["0", "120"] {
        set_field(&mut harness, "Percentage", bad);
        harness.get_by_label(&format!(
            "The percentage must be between 1 and 99 (got {bad})."
        ));
        harness.get_by_label("Fix the inputs on the left to see the schedule.");
        assert!(harness.query_by_label_contains("Minute 0:").is_none());
        assert_eq!(
            harness.get_by_label("Percentage").value().as_deref(),
            Some(bad)
        );
    }
    set_field(&mut harness, "Interval (minutes)", "soon");
    harness.get_by_label_contains("is not a whole number");
    assert_eq!(
        harness
            .get_by_label("Interval (minutes)")
            .value()
            .as_deref(),
        Some("soon")
    );

    // A fix brings the schedule back.
    set_field(&mut harness, "Percentage", "50");
    set_field(&mut harness, "Interval (minutes)", "2");
    harness.get_by_label("50 % more every 2 minutes, 100 % after 2 minutes");
    harness.get_by_label("Minute 2: 100 % on the new version, 0 % on the original version");
}
