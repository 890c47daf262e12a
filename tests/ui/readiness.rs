//! UI tests of the Deploy dialog's readiness check on the demo account:
//! an instance without a CodeDeploy agent makes the plan predict failure
//! until the agent is installed through Systems Manager from the dialog;
//! an instance without an instance profile is reported with the fix, and
//! the instance profile wizard opened from it attaches the profile.

use crate::ui_support;

use std::time::Duration;

use aws_sdk_codedeploy::types as cd;
use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    call, choose, click, click_tile, connected_app, has_text, run_until, settle, wait_for_choice,
    web_application,
};

fn demo() -> Harness<'static, App> {
    use deploydesk::embedded::{DEMO_FLEET, EmbeddedLocalCloud};
    use deploydesk::localcloud::LocalCloudOptions;
    use deploydesk::ui::AppOptions;
    // The demo account's fleet, with its two instances that are not ready:
    // demo-004 has no CodeDeploy agent, demo-005 no instance profile.
    let options = AppOptions {
        settings_path: None,
        backend_override: Some(deploydesk::settings::BackendChoice::Demo),
        local_cloud: Some(std::sync::Arc::new(EmbeddedLocalCloud::with_options(
            LocalCloudOptions {
                fleet: DEMO_FLEET,
                fleet_gaps: true,
                event_duration: Duration::from_millis(20),
                ..LocalCloudOptions::default()
            },
        ))),
    };
    connected_app(options, egui::vec2(1280.0, 1400.0))
}

/// The demo fleet's instance without a CodeDeploy agent.
const NO_AGENT: &str = "demo-004";
/// The demo fleet's instance without an instance profile.
const NO_PROFILE: &str = "demo-005";

/// Tags the demo fleet's instance named `name` `Role=canary`. Returns its
/// id.
fn canary(harness: &Harness<'_, App>, name: &str) -> String {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        let id = deploydesk::cloud::ec2::list_instances(&session, None)
            .await
            .expect("the instances are listed")
            .into_iter()
            .find(|instance| instance.name.as_deref() == Some(name))
            .expect("the demo fleet has it")
            .instance_id;
        deploydesk::cloud::ec2::create_tags(
            &session,
            std::slice::from_ref(&id),
            &[("Role".to_owned(), "canary".to_owned())],
        )
        .await
        .expect("the instance is tagged");
        id
    })
}

/// Makes the deployment group `canary` of the application `web`, over the
/// instances tagged `Role=canary`.
fn canary_group(harness: &Harness<'_, App>) {
    web_application(harness);
    ui_support::web_group(harness, "canary", ("Role", "canary"), None);
}

/// Scrolls the button `label` into view and clicks it with the pointer, as
/// a person would.
fn press(harness: &mut Harness<'static, App>, label: &str) {
    harness
        .get_by_role_and_label(Role::Button, label)
        .scroll_to_me();
    settle(harness);
    click(harness, label);
}

/// Opens the Deploy dialog on the group `canary` of `web`, with a GitHub
/// revision, and waits for the readiness check.
fn open_deploy(harness: &mut Harness<'static, App>) {
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(harness, "the Deployments page", |h| {
        h.state().page() == Page::Deployments
    });
    click(harness, "Deploy…");
    run_until(harness, "the applications", |h| {
        h.query_all_by_label("Application").next().is_some()
    });
    choose(harness, "Application", "web");
    wait_for_choice(harness, "Deployment group", "canary");
    harness
        .get_by_role_and_label(Role::RadioButton, "GitHub commit")
        .click();
    settle(harness);
    for (label, text) in [
        ("Repository (owner/name)", "example/web"),
        ("Commit id", "0123456789abcdef0123456789abcdef01234567"),
    ] {
        harness.get_by_label(label).set_text_value_accesskit(text);
        settle(harness);
    }
}

#[test]
fn an_instance_without_an_agent_is_fixed_from_the_deploy_dialog_and_then_deployed_to() {
    let mut harness = demo();
    let instance = canary(&harness, NO_AGENT);
    canary_group(&harness);
    open_deploy(&mut harness);
    run_until(&mut harness, "the readiness check", |h| {
        has_text(h, "1 of 1 instance has no CodeDeploy agent")
    });
    // The plan counts the instance as failing, and says why.
    run_until(&mut harness, "the plan with the readiness", |h| {
        has_text(
            h,
            "1 of 1 instance has no CodeDeploy agent: with OneAtATime this deployment will fail",
        )
    });
    assert!(has_text(
        &harness,
        &format!("{NO_AGENT}: It has no CodeDeploy agent.")
    ));

    // The fix is previewed like a wizard's call, then run.
    press(&mut harness, "Install the agent on 1 instance…");
    assert!(has_text(
        &harness,
        &format!("Install the CodeDeploy agent on {instance} through Systems Manager")
    ));
    assert!(has_text(&harness, "1. SendCommand request"));
    press(&mut harness, "Run it");
    run_until(&mut harness, "the agent installed", |h| {
        has_text(h, "1 of 1 instances done")
    });
    // Checked again by itself: the plan now predicts success.
    run_until(&mut harness, "the instance ready", |h| {
        has_text(h, "The instance is ready")
    });
    run_until(&mut harness, "the plan predicting success", |h| {
        has_text(h, "Predicted: the deployment succeeds.")
    });
    click(&mut harness, "Close");

    click(&mut harness, "Deploy now");
    run_until(&mut harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    run_until(&mut harness, "the deployment to succeed", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
    });
}

#[test]
fn an_instance_without_a_profile_gets_one_from_the_wizard_the_dialog_opens() {
    let mut harness = demo();
    let instance = canary(&harness, NO_PROFILE);
    canary_group(&harness);
    open_deploy(&mut harness);
    run_until(&mut harness, "the readiness check", |h| {
        has_text(h, "1 of 1 instance has no instance profile")
    });
    assert!(has_text(
        &harness,
        &format!(
            "{NO_PROFILE}: It has no instance profile, so the CodeDeploy agent has no credentials"
        )
    ));
    press(&mut harness, "Attach an instance profile to 1 instance…");
    // The instance profile wizard, with the instance chosen.
    run_until(&mut harness, "the instance profile wizard", |h| {
        h.state().page() == Page::Setup && has_text(h, "Create an instance profile for CodeDeploy")
    });
    // The wizard's own names; the revisions' bucket on its second page.
    click(&mut harness, "Next");
    harness
        .get_by_label("Revision buckets (one per line)")
        .set_text_value_accesskit("deploydesk-demo-revisions");
    settle(&mut harness);
    click(&mut harness, "Next");
    run_until(&mut harness, "the instance chosen", |h| {
        h.query_by_role_and_label(Role::CheckBox, &instance)
            .is_some_and(|node| {
                node.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
            })
    });
    click(&mut harness, "Next");
    run_until(&mut harness, "the review page", |h| {
        has_text(h, "What will be made")
    });
    click(&mut harness, "Create");
    run_until(&mut harness, "the profile attached", |h| {
        has_text(h, "Done: instances launched with the instance profile")
    });
    let associated = call(&harness, async {
        let session = harness.state().session().expect("connected");
        session
            .ec2
            .describe_iam_instance_profile_associations()
            .send()
            .await
            .expect("associations")
            .iam_instance_profile_associations()
            .iter()
            .filter(|association| {
                // The rest of the fleet has the fleet's own profile.
                association
                    .iam_instance_profile()
                    .and_then(|profile| profile.arn())
                    .is_some_and(|arn| !arn.ends_with("/DemoFleetProfile"))
            })
            .filter_map(|association| association.instance_id().map(str::to_owned))
            .collect::<Vec<_>>()
    });
    assert_eq!(associated, std::slice::from_ref(&instance));
    click(&mut harness, "Close");
    // The Deploy dialog comes back, with what was typed, and checks again.
    run_until(&mut harness, "the Deploy dialog again", |h| {
        h.query_by_role_and_label(Role::Button, "Deploy now")
            .is_some()
    });
    assert_eq!(
        harness
            .get_by_label("Commit id")
            .accesskit_node()
            .value()
            .as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    run_until(&mut harness, "the instance ready", |h| {
        has_text(h, "The instance is ready")
    });
}

#[test]
fn a_failure_for_want_of_an_agent_leads_from_the_rollout_view_to_the_fix() {
    let mut harness = demo();
    canary(&harness, NO_AGENT);
    canary_group(&harness);
    let session = harness.state().session().expect("connected");
    let deployment_id = call(&harness, async {
        session
            .codedeploy
            .create_deployment()
            .application_name("web")
            .deployment_group_name("canary")
            .revision(
                cd::RevisionLocation::builder()
                    .revision_type(cd::RevisionLocationType::GitHub)
                    .git_hub_location(
                        cd::GitHubLocation::builder()
                            .repository("example/web")
                            .commit_id("0123456789abcdef0123456789abcdef01234567")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("the deployment starts")
            .deployment_id()
            .expect("an id")
            .to_owned()
    });
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(&mut harness, "the deployment in the list", |h| {
        h.query_by_label(&deployment_id).is_some()
    });
    harness.get_by_label(&deployment_id).click();
    run_until(&mut harness, "the deployment to fail", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some_and(|deployment| deployment.status.as_str() == "Failed")
    });
    // The failed instance's tile, clicked with the pointer.
    click_tile(&mut harness, "Deployment targets", 0);
    assert!(has_text(
        &harness,
        "No CodeDeploy agent answered on this instance"
    ));
    press(&mut harness, "Check readiness and install the agent…");
    // The Deploy dialog for the same group, whose check offers the fix.
    wait_for_choice(&mut harness, "Deployment group", "canary");
    run_until(&mut harness, "the readiness check", |h| {
        h.query_by_role_and_label(Role::Button, "Install the agent on 1 instance…")
            .is_some()
    });
}

#[test]
fn tag_instances_checks_the_selected_instances_and_installs_the_agent() {
    let mut harness = demo();
    let instance = canary(&harness, NO_AGENT);
    harness.get_by_role_and_label(Role::Button, "Setup").click();
    run_until(&mut harness, "the Setup page", |h| {
        h.state().page() == Page::Setup
    });
    click(&mut harness, "Start: Tag instances");
    run_until(&mut harness, "the instances", |h| {
        h.query_by_role_and_label(Role::CheckBox, &instance)
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::CheckBox, &instance)
        .click();
    settle(&mut harness);
    press(
        &mut harness,
        "Check whether the selected instances are ready to deploy to",
    );
    run_until(&mut harness, "the readiness check", |h| {
        has_text(h, "1 of 1 instance has no CodeDeploy agent")
    });
    press(&mut harness, "Install the agent on 1 instance…");
    press(&mut harness, "Run it");
    run_until(&mut harness, "the agent installed", |h| {
        has_text(h, "1 of 1 instances done")
    });
    run_until(&mut harness, "the instance ready", |h| {
        has_text(h, "The instance is ready")
    });
}
