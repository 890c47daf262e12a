//! UI tests of the Deploy dialog in demo mode: choosing a group and a
//! revision, reading the pre-flight plan (stopped instances marked, a plain
//! warning when the rollout cannot succeed), deploying, and landing in the
//! rollout view.

mod ui_support;

use std::time::Duration;

use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    call, choose, click, connected_app, demo_options, has_text, run_until, settle, wait_for_choice,
    web_production_group,
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
/// production instances, and stops them. Returns their ids.
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
    harness
        .get_by_role_and_label(Role::Button, "Refresh the plan")
        .click_accesskit();
    settle(&mut harness);
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
