//! UI tests of the Applications page in demo mode: the real app, the real
//! local cloud, the real SDK in between.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deploydesk::cloud::codedeploy;
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::settings::BackendChoice;
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

fn demo_harness(dir: &Path) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(dir.join("settings.json")),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::new(Some(
            dir.join("localcloud").join("state.json"),
        )))),
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| App::new(cc, options))
}

/// Steps frames until `condition` holds, failing after a timeout.
fn run_until(
    harness: &mut Harness<'_, App>,
    what: &str,
    condition: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        harness.step();
        if condition(harness) {
            // Let the frame settle; background work may still be running.
            harness.step();
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the application list shows a button for `name`.
fn has_application(harness: &Harness<'_, App>, name: &str) -> bool {
    harness.query_all_by_role(Role::Button).any(|node| {
        node.accesskit_node()
            .label()
            .is_some_and(|label| label == name || label.starts_with(&format!("{name} ")))
    })
}

fn has_label(harness: &Harness<'_, App>, label: &str) -> bool {
    harness.query_by_label(label).is_some()
}

fn remote_application_names(harness: &Harness<'_, App>) -> Vec<String> {
    let app = harness.state();
    let session = app.session().expect("connected");
    app.runtime()
        .block_on(codedeploy::list_applications(&session))
        .expect("the local cloud answers")
        .into_iter()
        .map(|application| application.name)
        .collect()
}

#[test]
fn creating_an_application_in_demo_mode_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });

    harness
        .get_by_label("Application name")
        .set_text_value_accesskit("web-shop");
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the new application", |h| {
        has_application(h, "web-shop")
    });
    // The form is cleared and the application really exists on the other side.
    assert_eq!(
        harness.get_by_label("Application name").value().as_deref(),
        Some("")
    );
    assert_eq!(
        remote_application_names(&harness),
        vec!["web-shop".to_owned()]
    );
    run_until(&mut harness, "its (empty) deployment groups", |h| {
        h.query_by_label_contains("No deployment groups yet")
            .is_some()
    });
}

#[test]
fn deleting_an_application_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    harness
        .get_by_label("Application name")
        .set_text_value_accesskit("billing");
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the new application", |h| {
        has_application(h, "billing")
    });

    harness
        .get_by_role_and_label(Role::Button, "Delete application…")
        .click();
    harness.run();
    // Cancel keeps it.
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    harness.run();
    assert_eq!(
        remote_application_names(&harness),
        vec!["billing".to_owned()]
    );

    harness
        .get_by_role_and_label(Role::Button, "Delete application…")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Delete")
        .click();
    run_until(&mut harness, "the list without it", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    assert!(remote_application_names(&harness).is_empty());
}

#[test]
fn invalid_and_duplicate_names_are_explained_and_keep_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });

    // A name that breaks CodeDeploy's rules is refused before any call.
    let too_long = "x".repeat(101);
    harness
        .get_by_label("Application name")
        .set_text_value_accesskit(&too_long);
    harness.run();
    assert!(harness.query_by_label_contains("100").is_some());
    assert!(
        harness
            .get_by_role_and_label(Role::Button, "Create application")
            .accesskit_node()
            .is_disabled()
    );

    // A duplicate is refused by the local cloud; the message says so and
    // the typed name stays.
    harness
        .get_by_label("Application name")
        .set_text_value_accesskit("shop");
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the first shop", |h| {
        has_application(h, "shop")
    });
    harness
        .get_by_label("Application name")
        .set_text_value_accesskit("shop");
    harness.run();
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the duplicate error", |h| {
        h.query_by_label_contains("already exists").is_some()
    });
    assert_eq!(
        harness.get_by_label("Application name").value().as_deref(),
        Some("shop")
    );
}

#[test]
fn demo_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut harness = demo_harness(dir.path());
        run_until(&mut harness, "the empty list", |h| {
            has_label(h, "No applications yet. Create one above.")
        });
        harness
            .get_by_label("Application name")
            .set_text_value_accesskit("kept");
        harness.run();
        harness
            .get_by_role_and_label(Role::Button, "Create application")
            .click();
        run_until(&mut harness, "the new application", |h| {
            has_application(h, "kept")
        });
    }
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the saved application", |h| {
        has_application(h, "kept")
    });
}
