//! UI tests of the Deploy dialog's readiness check on the demo account:
//! an instance without a CodeDeploy agent makes the plan predict failure
//! until the agent is installed through Systems Manager from the dialog;
//! an instance without an instance profile is reported with the fix, and
//! the instance profile wizard opened from it attaches the profile.

mod ui_support;

use std::time::Duration;

use aws_sdk_codedeploy::types as cd;
use deploydesk::settings::Page;
use deploydesk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    call, choose, click, click_tile, connected_app, demo_options, fleet_profile, has_text,
    run_until, settle, wait_for_choice, web_application,
};

fn demo() -> Harness<'static, App> {
    connected_app(
        demo_options(2, Duration::from_millis(20)),
        egui::vec2(1280.0, 1400.0),
    )
}

/// Launches one instance tagged `Role=canary` (and `simulate`, when
/// given), with the instance profile `profile` if given. Returns its id.
fn canary(harness: &Harness<'_, App>, simulate: Option<&str>, profile: Option<&str>) -> String {
    use aws_sdk_ec2::types::{
        IamInstanceProfileSpecification, InstanceType, ResourceType, Tag, TagSpecification,
    };
    let session = harness.state().session().expect("connected");
    call(harness, async {
        let mut tags = TagSpecification::builder()
            .resource_type(ResourceType::Instance)
            .tags(Tag::builder().key("Role").value("canary").build())
            .tags(Tag::builder().key("Name").value("canary-1").build());
        if let Some(simulate) = simulate {
            tags = tags.tags(
                Tag::builder()
                    .key("deploydesk:simulate")
                    .value(simulate)
                    .build(),
            );
        }
        let launched = session
            .ec2
            .run_instances()
            .image_id("ami-0abcdef1234567890")
            .instance_type(InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .tag_specifications(tags.build())
            .set_iam_instance_profile(profile.map(|name| {
                IamInstanceProfileSpecification::builder()
                    .name(name)
                    .build()
            }))
            .send()
            .await
            .expect("the instance launches");
        let id = launched.instances()[0]
            .instance_id()
            .expect("an id")
            .to_owned();
        // Systems Manager sees it once it runs.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let described = session
                .ec2
                .describe_instances()
                .instance_ids(&id)
                .send()
                .await
                .expect("the instance is described");
            let running = described.reservations()[0].instances()[0]
                .state()
                .and_then(|state| state.name())
                == Some(&aws_sdk_ec2::types::InstanceStateName::Running);
            if running {
                return id;
            }
            assert!(std::time::Instant::now() < deadline, "{id} never ran");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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
    fleet_profile(&harness, &[]);
    let instance = canary(&harness, Some("no-agent"), Some("FleetProfile"));
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
    assert!(has_text(&harness, "canary-1: It has no CodeDeploy agent."));

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
    let instance = canary(&harness, None, None);
    canary_group(&harness);
    open_deploy(&mut harness);
    run_until(&mut harness, "the readiness check", |h| {
        has_text(h, "1 of 1 instance has no instance profile")
    });
    assert!(has_text(
        &harness,
        "canary-1: It has no instance profile, so the CodeDeploy agent has no credentials"
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
    fleet_profile(&harness, &[]);
    canary(&harness, Some("no-agent"), Some("FleetProfile"));
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
    fleet_profile(&harness, &[]);
    let instance = canary(&harness, Some("no-agent"), Some("FleetProfile"));
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
