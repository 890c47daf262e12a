//! UI tests of the Revisions page in demo mode: the sample application
//! picked by path, linted, uploaded and registered, then deployed through
//! the Deploy dialog's pre-flight plan into a rollout that succeeds; and
//! bad bundles refused before anything is uploaded.

use crate::ui_support;

use std::time::Duration;

use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    choose, connected_app, demo_options, has_text, limited_instance_profile, run_until, settle,
    wait_for_choice, web_production_group,
};

fn demo() -> Harness<'static, App> {
    connected_app(
        demo_options(4, Duration::from_millis(20)),
        egui::vec2(1400.0, 1400.0),
    )
}

/// Clicks the button labelled `label` with the pointer.
fn click(harness: &mut Harness<'static, App>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    settle(harness);
}

/// Opens the Revisions page with the application `web` chosen.
fn open_revisions(harness: &mut Harness<'static, App>) {
    harness
        .get_by_role_and_label(Role::Button, "Revisions")
        .click();
    run_until(harness, "the Revisions page", |h| {
        h.state().page() == Page::Revisions
    });
    run_until(harness, "the applications", |h| {
        h.query_all_by_label("Application")
            .any(|node| node.accesskit_node().role() == Role::ComboBox)
    });
    choose(harness, "Application", "web");
    run_until(harness, "the revisions", |h| {
        has_text(h, "No revisions registered yet")
    });
}

fn check_path(harness: &mut Harness<'static, App>, path: &str) {
    harness
        .get_by_label("Bundle path")
        .set_text_value_accesskit(path);
    settle(harness);
    click(harness, "Check");
}

#[test]
fn the_sample_application_goes_from_a_folder_to_a_successful_rollout() {
    let mut harness = demo();
    web_production_group(&harness, Some("CodeDeployDefault.AllAtOnce"));
    open_revisions(&mut harness);
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample-app");
    check_path(&mut harness, sample);
    run_until(&mut harness, "the lint", |h| {
        has_text(h, "AppSpec checked: no problems found.")
    });
    assert!(has_text(&harness, "Files (6)"));
    click(&mut harness, "Upload and register");
    run_until(&mut harness, "the registration", |h| {
        has_text(
            h,
            "Registered s3://deploydesk-demo-revisions/deploydesk/web/web-",
        )
    });
    // The list shows it, with its ETag from the upload.
    run_until(&mut harness, "the registered revision", |h| {
        has_text(h, "s3://deploydesk-demo-revisions/deploydesk/web/")
            && !has_text(h, "No revisions registered yet")
    });

    click(&mut harness, "Deploy it…");
    // The application's only group is chosen by itself.
    wait_for_choice(&mut harness, "Deployment group", "production");
    run_until(&mut harness, "the pre-flight plan", |h| {
        has_text(h, "Predicted: the deployment succeeds.")
    });
    click(&mut harness, "Deploy now");
    run_until(&mut harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    run_until(&mut harness, "the deployment to end", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
    });

    // Back on the Revisions page, the list says the revision was used.
    harness
        .get_by_role_and_label(Role::Button, "Revisions")
        .click();
    run_until(&mut harness, "the revision's last use", |h| {
        h.state().page() == Page::Revisions
            && has_text(h, "s3://deploydesk-demo-revisions/deploydesk/web/")
            && h.query_all_by_label("never").next().is_none()
    });

    // Checking another bundle forgets what belonged to the last one.
    assert!(has_text(&harness, "Registered s3://"));
    let other = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(other.path().join("index.html"), "<p>hello</p>").expect("a file");
    check_path(&mut harness, &other.path().display().to_string());
    assert!(!has_text(&harness, "Registered s3://"));
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Deploy it…")
            .is_none()
    );
}

#[test]
fn bad_bundles_are_refused_before_any_upload() {
    let mut harness = demo();
    web_production_group(&harness, Some("CodeDeployDefault.AllAtOnce"));
    open_revisions(&mut harness);
    let dir = tempfile::tempdir().expect("a temporary directory");

    // A path that does not exist.
    let missing = dir.path().join("nowhere");
    check_path(&mut harness, &missing.display().to_string());
    run_until(&mut harness, "the message", |h| has_text(h, "nowhere"));
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Upload and register")
            .is_none()
    );

    // A folder without an AppSpec.
    std::fs::write(dir.path().join("index.html"), "<p>hello</p>").expect("a file");
    check_path(&mut harness, &dir.path().display().to_string());
    run_until(&mut harness, "the missing AppSpec", |h| {
        has_text(h, "appspec")
    });
    click(&mut harness, "Upload and register");
    assert!(!has_text(&harness, "Registered s3://"));

    // An AppSpec whose hook script is missing is an error at its line.
    std::fs::write(
        dir.path().join("appspec.yml"),
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: scripts/missing.sh\n",
    )
    .expect("an appspec");
    check_path(&mut harness, &dir.path().display().to_string());
    run_until(&mut harness, "the lint", |h| has_text(h, "line 5"));
    // The reason the upload waits points at the errors where they are.
    let finding = harness.get_by_label_contains("line 5").rect();
    let reason = harness
        .get_by_label("Fix the AppSpec's errors above before uploading.")
        .rect();
    assert!(
        finding.bottom() <= reason.top(),
        "{finding:?} above {reason:?}"
    );
    click(&mut harness, "Upload and register");
    assert!(!has_text(&harness, "Registered s3://"));

    // A misspelt lifecycle event is offered the one meant.
    std::fs::create_dir_all(dir.path().join("scripts")).expect("a folder");
    std::fs::write(dir.path().join("scripts/missing.sh"), "#!/bin/sh\n").expect("a script");
    std::fs::write(
        dir.path().join("appspec.yml"),
        "version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: scripts/missing.sh\n",
    )
    .expect("an appspec");
    check_path(&mut harness, &dir.path().display().to_string());
    run_until(&mut harness, "the suggestion", |h| {
        has_text(h, "Did you mean AfterInstall?")
    });
    // Nothing reached S3.
    let app = harness.state();
    let session = app.session().expect("connected");
    let buckets = app
        .runtime()
        .block_on(deploydesk::cloud::s3::list_buckets(&session))
        .expect("buckets are listed");
    assert!(buckets.is_empty(), "{buckets:?}");
}

#[test]
fn the_upload_goes_by_default_to_the_bucket_the_instance_profile_reads() {
    let mut harness = demo();
    web_production_group(&harness, None);
    limited_instance_profile(&harness, "WebInstanceProfile", "team-revisions");
    open_revisions(&mut harness);
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample-app");
    check_path(&mut harness, sample);
    run_until(&mut harness, "the bucket the profile reads", |h| {
        h.query_by_label("Bucket")
            .is_some_and(|field| field.value().as_deref() == Some("team-revisions"))
    });
}

/// Checks, uploads and registers the bundle at `path`, and waits until the
/// list shows it.
fn upload(harness: &mut Harness<'static, App>, path: &str) {
    check_path(harness, path);
    run_until(harness, "the lint", |h| {
        has_text(h, "Upload and register")
            && h.query_by_role_and_label(Role::Button, "Upload and register")
                .is_some()
    });
    click(harness, "Upload and register");
    run_until(harness, "the registration", |h| {
        has_text(
            h,
            "Registered s3://deploydesk-demo-revisions/deploydesk/web/",
        )
    });
}

/// Whether the log tail on screen holds `text`.
fn log_tail_has(harness: &Harness<'_, App>, text: &str) -> bool {
    harness
        .query_all_by_label("Log tail")
        .filter_map(|node| node.accesskit_node().value())
        .any(|log| log.contains(text))
}

/// Waits for the deployment in the rollout view to end with `status`, and
/// opens its one instance.
fn tried(harness: &mut Harness<'static, App>, status: &str) {
    run_until(harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    run_until(harness, "the deployment to end", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == status)
    });
    ui_support::click_tile(harness, "Deployment targets", 0);
}

#[test]
fn try_on_this_machine_runs_the_hooks_for_real_and_shows_their_output() {
    let mut harness = demo();
    ui_support::web_application(&harness);
    open_revisions(&mut harness);
    upload(
        &mut harness,
        concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample-app"),
    );
    run_until(&mut harness, "the revision's Try button", |h| {
        h.query_by_role_and_label(Role::Button, "Try on this machine")
            .is_some()
    });
    click(&mut harness, "Try on this machine");
    // The sample deploys to the local instance: its ValidateService hook
    // really found the page Install put in place.
    tried(&mut harness, "Succeeded");
    harness.get_by_label("ValidateService log").click();
    settle(&mut harness);
    run_until(&mut harness, "the hook's real output", |h| {
        log_tail_has(h, "The page is in place.")
    });

    // A bundle whose hook fails shows the hook's real output.
    let broken = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(broken.path().join("scripts")).expect("a folder");
    std::fs::write(
        broken.path().join("appspec.yml"),
        "version: 0.0\nos: linux\nfiles:\n  - source: /index.html\n    destination: /var/www/html\nhooks:\n  AfterInstall:\n    - location: scripts/check.sh\n      timeout: 30\n",
    )
    .expect("the AppSpec");
    std::fs::write(broken.path().join("index.html"), "<p>broken</p>").expect("a page");
    let script = broken.path().join("scripts/check.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"the configuration file is missing\" >&2\nexit 3\n",
    )
    .expect("the script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("executable");
    harness
        .get_by_role_and_label(Role::Button, "Revisions")
        .click();
    run_until(&mut harness, "the Revisions page", |h| {
        h.state().page() == Page::Revisions
    });
    upload(&mut harness, &broken.path().display().to_string());
    // The newest registration is listed first.
    run_until(&mut harness, "both revisions", |h| {
        h.query_all_by_role_and_label(Role::Button, "Try on this machine")
            .count()
            == 2
    });
    harness
        .query_all_by_role_and_label(Role::Button, "Try on this machine")
        .next()
        .expect("the newest revision's button")
        .click();
    settle(&mut harness);
    tried(&mut harness, "Failed");
    if !log_tail_has(&harness, "the configuration file is missing") {
        harness.get_by_label("AfterInstall log").click();
        settle(&mut harness);
    }
    run_until(&mut harness, "the failed hook's real output", |h| {
        log_tail_has(h, "the configuration file is missing")
    });
}
