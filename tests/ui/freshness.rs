//! UI tests that pages list what the app itself made without a click on
//! Refresh: the guided demo's application and deployment, a redeploy, and
//! a rollback started by "Stop and roll back", linked both ways; and that
//! relative times move on their own while they are on screen, and only then.

use crate::ui_support;

use std::time::Duration;

use deploydesk::embedded::DEMO_FLEET;
use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    click, connected_app, demo_options, dismiss_tour, has_text, run_until, settle, text_of,
    web_production_group,
};

/// Clicks the navigation's button for `page` with the pointer.
fn show_page(harness: &mut Harness<'static, App>, title: &str) {
    harness.get_by_role_and_label(Role::Button, title).click();
    settle(harness);
}

/// The ids of the deployments the Deployments list shows, as links.
fn listed_deployments(harness: &Harness<'_, App>) -> Vec<String> {
    let mut ids: Vec<String> = harness
        .query_all_by_role(Role::Link)
        .filter_map(|node| node.accesskit_node().label())
        .filter(|label| label.starts_with("d-"))
        .collect();
    ids.sort();
    ids
}

/// The ids of every deployment in the account, read outside the app.
fn account_deployments(harness: &Harness<'_, App>) -> Vec<String> {
    let session = harness.state().session().expect("connected");
    let mut ids = ui_support::call(harness, async {
        session
            .codedeploy
            .list_deployments()
            .send()
            .await
            .expect("deployments are listed")
            .deployments()
            .to_vec()
    });
    ids.sort();
    ids
}

/// The status of the deployment in the rollout view, as AWS spells it.
fn rollout_status(harness: &Harness<'_, App>) -> Option<&'static str> {
    harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .map(|deployment| deployment.status.as_str())
}

#[test]
fn after_the_guided_demo_the_pages_list_what_it_made_without_a_click() {
    let mut harness = connected_app(
        demo_options(DEMO_FLEET, Duration::from_millis(150)),
        egui::vec2(1400.0, 900.0),
    );
    // The Applications page was read before the demo: it had nothing.
    run_until(&mut harness, "the empty list", |h| {
        has_text(h, "No applications yet")
    });
    click(&mut harness, "Show me a rollout");
    run_until(&mut harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    assert_eq!(harness.state().page(), Page::Deployments);

    show_page(&mut harness, "Applications");
    run_until(&mut harness, "the demo's application listed", |h| {
        h.query_all_by_role(Role::Button).any(|node| {
            node.accesskit_node()
                .label()
                .is_some_and(|label| label.starts_with("demo-shop"))
        })
    });
    assert!(!has_text(&harness, "No applications yet"));
    // Its group is listed with the deployment the demo started.
    run_until(&mut harness, "the demo's group", |h| {
        has_text(h, "production")
    });

    // The Deployments page, back on its list, lists every deployment.
    show_page(&mut harness, "Deployments");
    click(&mut harness, "All deployments");
    let expected = account_deployments(&harness);
    assert!(!expected.is_empty());
    run_until(&mut harness, "every deployment listed", |h| {
        listed_deployments(h) == expected
    });
}

#[test]
fn a_redeploy_is_listed_and_relative_times_move_while_shown() {
    let mut harness = connected_app(
        demo_options(DEMO_FLEET, Duration::from_millis(30)),
        egui::vec2(1280.0, 800.0),
    );
    dismiss_tour(&mut harness);
    web_production_group(&harness, Some("CodeDeployDefault.AllAtOnce"));
    let first = start_web_deployment(&harness);
    show_page(&mut harness, "Deployments");
    run_until(&mut harness, "the deployment listed", |h| {
        listed_deployments(h) == [first.clone()]
    });
    harness.get_by_label(&first).click();
    run_until(&mut harness, "the deployment succeeded", |h| {
        rollout_status(h) == Some("Succeeded")
    });

    // A redeploy from the rollout view is in the list when it shows again.
    click(&mut harness, "Redeploy");
    harness
        .query_all_by_role_and_label(Role::Button, "Redeploy")
        .last()
        .expect("the dialog's Redeploy button")
        .click();
    run_until(&mut harness, "the redeploy", |h| {
        h.state()
            .rollout_view()
            .is_some_and(|view| view.deployment_id() != first)
    });
    let second = harness
        .state()
        .rollout_view()
        .expect("open")
        .deployment_id()
        .to_owned();
    run_until(&mut harness, "the redeploy succeeded", |h| {
        rollout_status(h) == Some("Succeeded")
    });
    click(&mut harness, "All deployments");
    let mut both = vec![first, second];
    both.sort();
    run_until(&mut harness, "both deployments listed", |h| {
        listed_deployments(h) == both
    });

    // "… s ago" asks for a frame when it next changes, at most a second
    // away, and moves without any input.
    harness.run();
    let delay = harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert!(
        delay <= Duration::from_secs(1),
        "a relative time on screen asks to be redrawn within a second, not {delay:?}"
    );
    let ago = |h: &Harness<'_, App>| -> Vec<String> {
        h.query_all_by_label_contains(" s ago")
            .chain(h.query_all_by_label_contains("just now"))
            .filter_map(|node| text_of(&node))
            .collect()
    };
    let before = ago(&harness);
    assert!(!before.is_empty(), "relative times are shown");
    run_until(&mut harness, "the relative times to move", |h| {
        let now = ago(h);
        !now.is_empty() && now != before
    });

    // A page without relative times asks for no timed frames.
    show_page(&mut harness, "Rollout planner");
    harness.run();
    let delay = harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert!(
        delay > Duration::from_secs(5),
        "no frames are asked for without a relative time on screen: {delay:?}"
    );
}

/// Starts a deployment of a GitHub revision to `web`/`production` outside
/// the app, as another client of the account would.
fn start_web_deployment(harness: &Harness<'_, App>) -> String {
    use aws_sdk_codedeploy::types as cd;
    let session = harness.state().session().expect("connected");
    ui_support::call(harness, async {
        session
            .codedeploy
            .create_deployment()
            .application_name("web")
            .deployment_group_name("production")
            .revision(
                cd::RevisionLocation::builder()
                    .revision_type(cd::RevisionLocationType::GitHub)
                    .git_hub_location(
                        cd::GitHubLocation::builder()
                            .repository("example/shop")
                            .commit_id("0123456789abcdef0123456789abcdef01234567")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("deployment created")
            .deployment_id()
            .expect("an id")
            .to_owned()
    })
}

#[test]
fn a_rollback_appears_at_once_and_is_linked_both_ways() {
    // Slow enough events that the second deployment can be stopped while
    // it runs; the first one succeeds so there is a revision to go back to.
    let mut harness = connected_app(
        demo_options(DEMO_FLEET, Duration::from_millis(300)),
        egui::vec2(1280.0, 800.0),
    );
    dismiss_tour(&mut harness);
    web_production_group(&harness, Some("CodeDeployDefault.OneAtATime"));
    let first = start_web_deployment(&harness);
    show_page(&mut harness, "Deployments");
    run_until(&mut harness, "the first deployment listed", |h| {
        h.query_by_label(&first).is_some()
    });
    harness.get_by_label(&first).click();
    run_until(&mut harness, "the first deployment succeeded", |h| {
        rollout_status(h) == Some("Succeeded")
    });
    // Another client starts the second one; the list, shown again, reads it.
    let second = start_web_deployment(&harness);
    click(&mut harness, "All deployments");
    run_until(&mut harness, "the second deployment listed", |h| {
        h.query_by_label(&second).is_some()
    });
    harness.get_by_label(&second).click();
    run_until(&mut harness, "the second deployment running", |h| {
        rollout_status(h) == Some("InProgress")
    });
    click(&mut harness, "Stop and roll back");
    harness
        .query_all_by_role_and_label(Role::Button, "Stop and roll back")
        .last()
        .expect("the dialog's button")
        .click();
    run_until(&mut harness, "the stop", |h| {
        rollout_status(h) == Some("Stopped")
    });
    let rollback = harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .and_then(|deployment| deployment.rolled_back_by())
        .expect("a rollback started")
        .to_owned();
    // The notice says what happened, in words.
    run_until(&mut harness, "the notice", |h| {
        h.state().notice().is_some_and(|notice| {
            notice.contains(&format!("{second} stopped; rolling back with {rollback}"))
        })
    });

    // "rolled back by d-…" is a link to the rollback, which is marked as
    // one and links back.
    harness.get_by_role_and_label(Role::Link, &rollback).click();
    run_until(&mut harness, "the rollback's view", |h| {
        h.state().rollout_view().is_some_and(|view| {
            view.deployment_id() == rollback
                && view
                    .deployment()
                    .is_some_and(|deployment| deployment.rolls_back() == Some(second.as_str()))
        })
    });
    assert!(has_text(&harness, "rollback of"));
    harness.get_by_label("Rollback");
    harness.get_by_role_and_label(Role::Link, &second).click();
    run_until(&mut harness, "back to the stopped deployment", |h| {
        h.state()
            .rollout_view()
            .is_some_and(|view| view.deployment_id() == second && view.deployment().is_some())
    });

    // The list shows the rollback without a click on Refresh.
    click(&mut harness, "All deployments");
    run_until(&mut harness, "the rollback listed", |h| {
        h.query_by_label(&rollback).is_some()
    });
    assert!(listed_deployments(&harness).contains(&rollback));
}
