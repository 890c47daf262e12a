//! UI tests of the Tag instances page in demo mode: the real app lists the
//! demo fleet from the local cloud, the test filters, selects and tags
//! instances by clicking, and then checks through the client side that
//! exactly the chosen instances carry the tag, and that a deployment group
//! selecting that tag deploys to them.

use crate::ui_support;

use std::sync::Arc;

use aws_sdk_codedeploy::types::{
    Ec2TagFilter, Ec2TagFilterType, GitHubLocation, RevisionLocation, RevisionLocationType,
};
use deploydesk::cloud::Session;
use deploydesk::cloud::ec2::{self, Ec2InstanceSummary};
use deploydesk::domain::tags::{TagFilter, TagSelection};
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::{FaultSpec, LocalCloudOptions};
use deploydesk::settings::{BackendChoice, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::{Role, Toggled};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{app_harness, call, dismiss_tour, has_text, run_until, settle};

/// The size of the demo fleet: five staging instances, five production.
const FLEET: usize = 10;

struct Demo {
    harness: Harness<'static, App>,
    cloud: Arc<EmbeddedLocalCloud>,
}

/// The app in demo mode on the Tag instances page, with the fleet listed.
fn demo() -> Demo {
    demo_of(FLEET)
}

/// The app in demo mode on the Tag instances page, with a fleet of `fleet`
/// instances listed.
fn demo_of(fleet: usize) -> Demo {
    let cloud = Arc::new(EmbeddedLocalCloud::with_options(LocalCloudOptions {
        fleet,
        ..LocalCloudOptions::default()
    }));
    let host: Arc<dyn deploydesk::cloud::LocalCloudHost> = cloud.clone();
    let options = AppOptions {
        settings_path: None,
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(host),
    };
    let mut harness = app_harness(options, egui::vec2(1400.0, 1000.0));
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    dismiss_tour(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Setup").click();
    run_until(&mut harness, "the Setup page", |h| {
        h.state().page() == Page::Setup
    });
    click(&mut harness, "Start: Tag instances");
    let listed = format!("Showing {fleet} of {fleet}");
    run_until(&mut harness, "the instances", |h| has_text(h, &listed));
    Demo { harness, cloud }
}

fn click(harness: &mut Harness<'static, App>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    settle(harness);
}

fn type_into(harness: &mut Harness<'static, App>, field: &str, text: &str) {
    harness.get_by_label(field).set_text_value_accesskit(text);
    settle(harness);
}

/// The instance ids of the rows shown (each row's checkbox is labelled
/// with its instance id).
fn row_ids(harness: &Harness<'_, App>) -> Vec<String> {
    harness
        .query_all_by_role(Role::CheckBox)
        .filter_map(|node| node.accesskit_node().label())
        .filter(|label| label.starts_with("i-"))
        .collect()
}

/// The rows whose checkbox is ticked.
fn ticked_ids(harness: &Harness<'_, App>) -> Vec<String> {
    harness
        .query_all_by_role(Role::CheckBox)
        .filter(|node| node.accesskit_node().toggled() == Some(Toggled::True))
        .filter_map(|node| node.accesskit_node().label())
        .filter(|label| label.starts_with("i-"))
        .collect()
}

fn session(harness: &Harness<'_, App>) -> Arc<Session> {
    harness.state().session().expect("connected")
}

/// Every instance, read through the client side.
fn instances(harness: &Harness<'_, App>) -> Vec<Ec2InstanceSummary> {
    let session = session(harness);
    call(harness, ec2::list_instances(&session, None)).expect("instances can be listed")
}

/// The ids of the instances carrying `key`=`value`, in id order.
fn tagged(harness: &Harness<'_, App>, key: &str, value: &str) -> Vec<String> {
    let mut ids: Vec<String> = instances(harness)
        .into_iter()
        .filter(|instance| instance.tags.get(key).map(String::as_str) == Some(value))
        .map(|instance| instance.instance_id)
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Creates a deployment group selecting `key`=`value`, deploys a GitHub
/// revision to it and returns the deployment's target instance ids.
fn deployment_targets(harness: &Harness<'_, App>, key: &str, value: &str) -> Vec<String> {
    let session = session(harness);
    call(harness, async {
        let codedeploy = &session.codedeploy;
        codedeploy
            .create_application()
            .application_name("tagged-app")
            .send()
            .await
            .expect("the application is created");
        codedeploy
            .create_deployment_group()
            .application_name("tagged-app")
            .deployment_group_name("tagged-group")
            .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
            .ec2_tag_filters(
                Ec2TagFilter::builder()
                    .key(key)
                    .value(value)
                    .r#type(Ec2TagFilterType::KeyAndValue)
                    .build(),
            )
            .send()
            .await
            .expect("the deployment group is created");
        let deployment_id = codedeploy
            .create_deployment()
            .application_name("tagged-app")
            .deployment_group_name("tagged-group")
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::GitHub)
                    .git_hub_location(
                        GitHubLocation::builder()
                            .repository("deploydesk/sample-app")
                            .commit_id("0123456789abcdef0123456789abcdef01234567")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("the deployment is created")
            .deployment_id()
            .expect("an id")
            .to_owned();
        let targets = codedeploy
            .list_deployment_targets()
            .deployment_id(deployment_id)
            .send()
            .await
            .expect("the targets can be listed");
        let mut ids = targets.target_ids().to_vec();
        ids.sort();
        ids
    })
}

#[test]
fn filtered_rows_are_tagged_in_bulk_and_join_a_deployment_group_then_lose_the_tag() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    assert!(has_text(harness, "0 of 10 selected"));

    // The tag filter shows the staging half of the fleet.
    type_into(harness, "Tag filter", "Environment=staging");
    let staging = sorted(row_ids(harness));
    assert_eq!(staging.len(), 5, "{staging:?}");
    let expected_staging: Vec<String> = instances(harness)
        .into_iter()
        .filter(|instance| {
            instance.is_selected_by(&TagSelection::AnyOf(vec![TagFilter::key_and_value(
                "Environment",
                "staging",
            )]))
        })
        .map(|instance| instance.instance_id)
        .collect();
    assert_eq!(staging, sorted(expected_staging));

    // Select all five, then leave one out.
    click(harness, "Select all visible");
    assert!(has_text(harness, "5 of 10 selected"));
    let left_out = staging[2].clone();
    harness
        .get_by_role_and_label(Role::CheckBox, &left_out)
        .click();
    settle(harness);
    assert!(has_text(harness, "4 of 10 selected"));
    let chosen: Vec<String> = staging
        .iter()
        .filter(|id| **id != left_out)
        .cloned()
        .collect();
    assert_eq!(sorted(ticked_ids(harness)), chosen);

    // The selection survives clearing the filter.
    type_into(harness, "Tag filter", "");
    assert_eq!(row_ids(harness).len(), FLEET);
    assert_eq!(sorted(ticked_ids(harness)), chosen);

    type_into(harness, "Tag key", "Role");
    type_into(harness, "Tag value", "web");
    assert!(has_text(harness, "Will change 4 instances."));
    click(harness, "Add tag");
    run_until(harness, "the tagging", |h| {
        has_text(h, "Tagged 4 instances with Role=web.")
    });
    assert_eq!(tagged(harness, "Role", "web"), chosen);
    // The table reloads and shows the new tag.
    run_until(harness, "the reload", |h| has_text(h, "Role=web"));
    assert_eq!(
        harness.query_all_by_label_contains("Role=web").count(),
        // The four rows, plus the outcome line.
        5
    );

    // A deployment group selecting Role=web deploys to exactly those four.
    assert_eq!(deployment_targets(harness, "Role", "web"), chosen);

    // Remove it again, only where the value is web, after confirming.
    type_into(harness, "Key to remove", "Role");
    harness
        .get_by_role_and_label(Role::CheckBox, "Only where the value is")
        .click();
    settle(harness);
    type_into(harness, "Value to remove", "web");
    assert!(has_text(harness, "Will change 4 instances."));
    click(harness, "Remove tag");
    assert!(has_text(
        harness,
        "Remove the tag Role=web from 4 instances?"
    ));
    // Nothing is removed before the confirmation.
    assert_eq!(tagged(harness, "Role", "web"), chosen);
    click(harness, "Confirm removal");
    run_until(harness, "the removal", |h| {
        has_text(h, "Removed the tag Role=web from 4 instances.")
    });
    assert!(tagged(harness, "Role", "web").is_empty());
    // The other tags are untouched.
    assert_eq!(tagged(harness, "Environment", "staging"), staging);
}

#[test]
fn a_bad_tag_key_is_refused_at_the_field_and_nothing_is_called() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    click(harness, "Select all visible");
    assert!(has_text(harness, "10 of 10 selected"));
    type_into(harness, "Tag key", "aws:x");
    assert!(has_text(
        harness,
        "The tag key \"aws:x\" starts with \"aws:\", which is reserved for AWS; choose another key."
    ));
    // The button is disabled: clicking it runs nothing.
    click(harness, "Add tag");
    settle(harness);
    assert!(!has_text(harness, "Tagging"));
    assert!(!has_text(harness, "Tagged"));

    let long = "k".repeat(129);
    type_into(harness, "Tag key", &long);
    assert!(has_text(
        harness,
        "is 129 characters long; the limit is 128."
    ));
    click(harness, "Add tag");
    settle(harness);
    assert!(!has_text(harness, "Tagged"));
    type_into(harness, "Tag value", "a|b");
    assert!(has_text(harness, "contains the character '|'"));
    click(harness, "Add tag");
    settle(harness);
    assert!(!has_text(harness, "Tagged"));

    // No instance gained a tag.
    for instance in instances(harness) {
        let keys: Vec<&str> = instance.tags.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["Environment", "Fleet", "Name"],
            "{}",
            instance.instance_id
        );
    }
    // What was typed is still there.
    assert_eq!(
        harness.get_by_label("Tag key").value().as_deref(),
        Some(long.as_str())
    );
}

#[test]
fn an_error_from_aws_is_shown_and_nothing_typed_is_lost() {
    let mut demo = demo();
    let faults = FaultSpec::parse("ec2:CreateTags=error:1.0").expect("a valid spec");
    assert!(call(&demo.harness, demo.cloud.set_faults(faults)));
    let harness = &mut demo.harness;
    let first = row_ids(harness)[0].clone();
    harness
        .get_by_role_and_label(Role::CheckBox, &first)
        .click();
    settle(harness);
    type_into(harness, "Tag key", "Team");
    type_into(harness, "Tag value", "payments");
    click(harness, "Add tag");
    run_until(harness, "the failure", |h| {
        has_text(h, "Nothing was changed.")
    });
    assert!(tagged(harness, "Team", "payments").is_empty());
    assert_eq!(
        harness.get_by_label("Tag key").value().as_deref(),
        Some("Team")
    );
    assert_eq!(
        harness.get_by_label("Tag value").value().as_deref(),
        Some("payments")
    );
    assert_eq!(ticked_ids(harness), std::slice::from_ref(&first));

    // Once AWS accepts calls again, the same click goes through.
    assert!(call(
        &demo.harness,
        demo.cloud.set_faults(FaultSpec::default())
    ));
    let harness = &mut demo.harness;
    click(harness, "Add tag");
    run_until(harness, "the tagging", |h| {
        has_text(h, "Tagged 1 instance with Team=payments.")
    });
    assert_eq!(tagged(harness, "Team", "payments"), [first]);
}

#[test]
fn the_state_filter_shows_only_instances_in_that_state() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    let stopped = row_ids(harness)[3].clone();
    let session = session(harness);
    call(
        harness,
        ec2::stop_instances(&session, std::slice::from_ref(&stopped)),
    )
    .expect("the instance stops");
    click(harness, "Refresh");
    run_until(harness, "the stopping instance", |h| {
        h.query_all_by_role(Role::Button).any(|node| {
            let label = node.accesskit_node().label();
            label.as_deref() == Some("stopping") || label.as_deref() == Some("stopped")
        })
    });
    let state = if harness
        .query_by_role_and_label(Role::Button, "stopped")
        .is_some()
    {
        "stopped"
    } else {
        "stopping"
    };
    click(harness, state);
    assert_eq!(row_ids(harness), std::slice::from_ref(&stopped));
    click(harness, "running");
    let running = row_ids(harness);
    assert_eq!(running.len(), FLEET - 1);
    assert!(!running.contains(&stopped));
    // Select all visible selects only the running ones.
    click(harness, "Select all visible");
    assert!(has_text(harness, "9 of 10 selected"));
    click(harness, "All states");
    assert_eq!(row_ids(harness).len(), FLEET);
    assert!(!ticked_ids(harness).contains(&stopped));
    click(harness, "Clear selection");
    assert!(has_text(harness, "0 of 10 selected"));
}

#[test]
fn thousands_of_instances_lay_out_only_the_rows_on_screen_and_tag_in_batches() {
    const LARGE: usize = 2500;
    let mut demo = demo_of(LARGE);
    let harness = &mut demo.harness;
    // Only the rows in view are laid out (and so reach AccessKit).
    let shown = row_ids(harness).len();
    assert!((10..100).contains(&shown), "{shown} rows laid out");
    click(harness, "Select all visible");
    assert!(has_text(harness, "2500 of 2500 selected"));
    type_into(harness, "Tag key", "Wave");
    type_into(harness, "Tag value", "one");
    assert!(has_text(harness, "Will change 2500 instances."));
    click(harness, "Add tag");
    // CreateTags takes 1000 resources a call: three calls.
    run_until(harness, "the tagging", |h| {
        has_text(h, "Tagged 2500 instances with Wave=one.")
    });
    assert_eq!(tagged(harness, "Wave", "one").len(), LARGE);
    // The tag filter narrows thousands of rows to the matching ones.
    type_into(harness, "Tag filter", "Environment=production");
    assert!(has_text(harness, "Showing 1250 of 2500"));
}

#[test]
fn a_tag_without_a_key_is_refused_at_the_key_field() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    click(harness, "Select all visible");
    // Nothing is said before anything is typed.
    assert!(!has_text(harness, "type a tag key"));
    // Add with nothing typed: refused at the key field, nothing called.
    click(harness, "Add tag");
    assert!(has_text(
        harness,
        "Nothing is typed here: type a tag key (e.g. Environment)."
    ));
    assert!(!has_text(harness, "Tagging"));
    // A value alone is refused at the key.
    type_into(harness, "Tag value", "web");
    assert!(has_text(
        harness,
        "Type the key that goes with the value \"web\" (e.g. Environment)."
    ));
    click(harness, "Add tag");
    settle(harness);
    assert!(!has_text(harness, "Tagged"));
    for instance in instances(harness) {
        assert!(
            !instance.tags.values().any(|value| value == "web"),
            "{}",
            instance.instance_id
        );
    }
    // Typing the key makes it go through.
    type_into(harness, "Tag key", "Role");
    assert!(!has_text(harness, "Type the key that goes with"));
    click(harness, "Add tag");
    run_until(harness, "the tagging", |h| {
        has_text(h, "Tagged 10 instances with Role=web.")
    });
}

#[test]
fn typing_a_value_alone_keeps_the_focus_while_the_key_error_appears() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    click(harness, "Select all visible");
    let before = harness
        .get_by_role_and_label(Role::Button, "Add tag")
        .rect();
    // Click into the value field with the pointer and type, a key at a time.
    harness.get_by_label("Tag value").click();
    settle(harness);
    harness.get_by_label("Tag value").type_text("w");
    settle(harness);
    assert!(has_text(
        harness,
        "Type the key that goes with the value \"w\""
    ));
    harness.get_by_label("Tag value").type_text("eb");
    settle(harness);
    assert_eq!(
        harness.get_by_label("Tag value").value().as_deref(),
        Some("web"),
        "the field kept the focus when the error line appeared"
    );
    // The space for the error line was kept: Add tag did not move.
    let after = harness
        .get_by_role_and_label(Role::Button, "Add tag")
        .rect();
    assert!(
        (after.center() - before.center()).length() <= 2.0,
        "Add tag moved from {before:?} to {after:?}"
    );
}
