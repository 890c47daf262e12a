//! UI tests of the setup wizards in demo mode: the real app drives the real
//! local cloud through the SDK, and each test then checks through the
//! client side that what exists is exactly what the review page showed.

use crate::ui_support;

use std::sync::Arc;

use deploydesk::cloud::setup::decode_policy;
use deploydesk::domain::ComputePlatform;
use deploydesk::domain::policy;
use deploydesk::domain::setup::{self, InstanceProfileOptions, SetupPlan, documents_equivalent};
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::iam::state::FLEET_ROLE;
use deploydesk::localcloud::{FaultSpec, LocalCloudOptions};
use deploydesk::settings::{BackendChoice, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{
    app_harness, auto_scaling_fleet, call, click, dismiss_tour, has_text, run_until, settle,
    text_of,
};

/// The account of the local cloud.
const ACCOUNT: &str = "000000000000";
/// The region of the demo session.
const REGION: &str = "us-east-1";

struct Demo {
    harness: Harness<'static, App>,
    cloud: Arc<EmbeddedLocalCloud>,
}

/// The app in demo mode on the Setup page, with a fleet of three.
fn demo() -> Demo {
    let cloud = Arc::new(EmbeddedLocalCloud::with_options(LocalCloudOptions {
        fleet: 3,
        ..LocalCloudOptions::default()
    }));
    let host: Arc<dyn deploydesk::cloud::LocalCloudHost> = cloud.clone();
    let options = AppOptions {
        settings_path: None,
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(host),
    };
    let mut harness = app_harness(options, egui::vec2(1280.0, 1600.0));
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    dismiss_tour(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Setup").click();
    run_until(&mut harness, "the Setup page", |h| {
        h.state().page() == Page::Setup
    });
    Demo { harness, cloud }
}

/// The role's trust policy and attached policy ARNs, read through the SDK.
fn role_state(harness: &Harness<'_, App>, role: &str) -> (serde_json::Value, Vec<String>) {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        let found = session
            .iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .expect("the role exists");
        let trust = found
            .role()
            .and_then(|role| role.assume_role_policy_document())
            .and_then(decode_policy)
            .expect("the role has a trust policy");
        let attached = session
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .expect("its policies can be listed")
            .attached_policies()
            .iter()
            .filter_map(|policy| policy.policy_arn().map(str::to_owned))
            .collect();
        (trust, attached)
    })
}

/// Whether a trust policy lets `service` assume the role.
fn trusts(trust: &serde_json::Value, service: &str) -> bool {
    policy::parse(&trust.to_string(), policy::PolicyKind::Trust)
        .is_ok_and(|document| policy::allows_service(&document, service))
}

/// The names of the roles IAM lists, but the demo fleet's own role.
fn role_names(harness: &Harness<'_, App>) -> Vec<String> {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        session
            .iam
            .list_roles()
            .send()
            .await
            .expect("roles can be listed")
            .roles()
            .iter()
            .map(|role| role.role_name().to_owned())
            .filter(|name| name != FLEET_ROLE)
            .collect()
    })
}

/// Goes through the service role wizard with the defaults, up to the
/// review page.
fn service_role_to_review(demo: &mut Demo) {
    let harness = &mut demo.harness;
    click(harness, "Start: Service role");
    run_until(harness, "the roles CodeDeploy can assume", |h| {
        has_text(h, "No role in this account trusts CodeDeploy yet.")
            || has_text(h, "Use this role")
    });
    click(harness, "Next");
    assert_eq!(
        harness.get_by_label("Role name").value().as_deref(),
        Some("CodeDeployServiceRole")
    );
    click(harness, "Next");
    run_until(harness, "the review page", |h| {
        has_text(h, "What will be made")
    });
}

/// Opens the review page's block of every AWS CLI command.
fn show_all_commands(harness: &mut Harness<'static, App>) {
    harness
        .get_by_label("All calls as AWS CLI commands")
        .click();
    settle(harness);
}

#[test]
fn service_role_wizard_creates_exactly_what_it_shows_and_reuses_it_on_a_second_run() {
    let mut demo = demo();
    service_role_to_review(&mut demo);
    let harness = &mut demo.harness;
    // The review page shows the exact CLI commands.
    show_all_commands(harness);
    let plan = SetupPlan::service_role(
        "CodeDeployServiceRole",
        ComputePlatform::Server,
        ACCOUNT,
        REGION,
        true,
        false,
    );
    assert!(has_text(
        harness,
        "aws iam attach-role-policy --role-name CodeDeployServiceRole"
    ));
    click(harness, "Create");
    run_until(harness, "the role to be made", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    let (trust, attached) = role_state(harness, "CodeDeployServiceRole");
    assert!(
        documents_equivalent(&trust, plan.steps[0].document().expect("a trust policy")),
        "{trust}"
    );
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
        ACCOUNT
    );
    assert_eq!(attached, [ComputePlatform::Server.managed_policy_arn()]);

    // Running it again with the same inputs reuses everything.
    click(harness, "Back to the review");
    click(harness, "Create");
    run_until(harness, "the second run", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    assert_eq!(
        harness
            .query_all_by_label_contains("(already there)")
            .count(),
        2
    );
    assert_eq!(role_names(harness), ["CodeDeployServiceRole"]);
    let (_, attached) = role_state(harness, "CodeDeployServiceRole");
    assert_eq!(attached.len(), 1);
}

#[test]
fn service_role_wizard_adds_the_launch_permissions_a_copied_auto_scaling_group_needs() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Start: Service role");
    run_until(harness, "the roles CodeDeploy can assume", |h| {
        has_text(h, "No role in this account trusts CodeDeploy yet.")
    });
    pointer_click(harness, Role::Button, "Next");
    pointer_click(
        harness,
        Role::CheckBox,
        "Blue/green deployments may copy Auto Scaling groups that use launch templates",
    );
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the review page", |h| {
        has_text(h, "What will be made")
    });
    assert!(has_text(
        harness,
        "It may also launch and tag instances and pass their role (ec2:RunInstances, ec2:CreateTags, iam:PassRole): what CodeDeploy needs to copy an Auto Scaling group that launches from a launch template, for blue/green deployments."
    ));
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the role to be made", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    let session = harness.state().session().expect("connected");
    let document = call(harness, async {
        session
            .iam
            .get_role_policy()
            .role_name("CodeDeployServiceRole")
            .policy_name(setup::LAUNCH_TEMPLATE_POLICY_NAME)
            .send()
            .await
            .expect("the inline policy is there")
            .policy_document()
            .to_owned()
    });
    let document = decode_policy(&document).expect("a policy document");
    assert!(documents_equivalent(
        &document,
        &setup::launch_template_policy()
    ));
}

#[test]
fn an_iam_fault_midway_is_reported_and_retry_completes_the_setup() {
    let mut demo = demo();
    service_role_to_review(&mut demo);
    let faults = FaultSpec::parse("iam:AttachRolePolicy=error:1.0").expect("a valid spec");
    assert!(call(&demo.harness, demo.cloud.set_faults(faults)));
    let harness = &mut demo.harness;
    click(harness, "Create");
    run_until(harness, "the failure", |h| has_text(h, "Stopped:"));
    // The wizard says what was already made: the role, without its policy.
    assert!(has_text(
        harness,
        "Already in place: Create the role CodeDeployServiceRole"
    ));
    let (_, attached) = role_state(harness, "CodeDeployServiceRole");
    assert!(attached.is_empty());

    assert!(call(
        &demo.harness,
        demo.cloud.set_faults(FaultSpec::default())
    ));
    let harness = &mut demo.harness;
    click(harness, "Retry");
    run_until(harness, "the completed setup", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    let (_, attached) = role_state(harness, "CodeDeployServiceRole");
    assert_eq!(attached, [ComputePlatform::Server.managed_policy_arn()]);
    assert_eq!(role_names(harness), ["CodeDeployServiceRole"]);
}

#[test]
fn a_role_that_exists_with_another_trust_policy_is_fixed_only_when_asked() {
    let mut demo = demo();
    // A role of that name that trusts EC2, not CodeDeploy.
    {
        let session = demo.harness.state().session().expect("connected");
        call(&demo.harness, async {
            session
                .iam
                .create_role()
                .role_name("CodeDeployServiceRole")
                .assume_role_policy_document(setup::instance_role_trust_policy().to_string())
                .send()
                .await
                .expect("the role is made")
        });
    }
    service_role_to_review(&mut demo);
    let harness = &mut demo.harness;
    click(harness, "Create");
    run_until(harness, "the difference", |h| {
        has_text(h, "(exists but differs)")
    });
    let (trust, _) = role_state(harness, "CodeDeployServiceRole");
    assert!(
        trusts(&trust, setup::EC2_PRINCIPAL),
        "not overwritten: {trust}"
    );

    click(harness, "Fix: Create the role CodeDeployServiceRole");
    run_until(harness, "the fixed setup", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    let (trust, attached) = role_state(harness, "CodeDeployServiceRole");
    assert!(trusts(&trust, setup::CODEDEPLOY_PRINCIPAL), "{trust}");
    assert_eq!(attached, [ComputePlatform::Server.managed_policy_arn()]);
}

#[test]
fn an_invalid_role_name_is_refused_before_any_call() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    click(harness, "Start: Service role");
    click(harness, "Next");
    harness
        .get_by_label("Role name")
        .set_text_value_accesskit("my role");
    settle(harness);
    assert!(has_text(
        harness,
        "The role name contains the character ' '; use only letters, digits and + = , . @ _ -"
    ));
    // Next shows the errors and stays on the same step.
    click(harness, "Next");
    assert!(harness.query_by_label("Role name").is_some());
    harness
        .get_by_label("Role name")
        .set_text_value_accesskit(&"r".repeat(65));
    settle(harness);
    assert!(has_text(
        harness,
        "The role name is 65 characters long; shorten it to at most 64 characters."
    ));
    assert!(role_names(harness).is_empty());
}

#[test]
fn instance_profile_wizard_makes_the_role_profile_and_association() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    // The fleet's instances have a profile already: one launched without.
    let session = harness.state().session().expect("connected");
    let instance = call(harness, async {
        session
            .ec2
            .run_instances()
            .image_id("ami-0abcdef1234567890")
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .expect("the instance launches")
            .instances()[0]
            .instance_id()
            .expect("an id")
            .to_owned()
    });
    click(harness, "Start: Instance profile");
    click(harness, "Next");
    // A bad bucket name is refused at the field.
    let field = "Revision buckets (one per line)";
    harness
        .get_by_label(field)
        .set_text_value_accesskit("Bad_Bucket");
    settle(harness);
    assert!(has_text(
        harness,
        "use only lowercase letters, digits, dots and hyphens"
    ));
    harness
        .get_by_label(field)
        .set_text_value_accesskit("demo-revisions");
    settle(harness);
    click(harness, "Next");
    run_until(harness, "the instances", |h| {
        h.query_all_by_role(Role::CheckBox).any(|node| {
            node.accesskit_node()
                .label()
                .is_some_and(|label| label == instance)
        })
    });
    harness
        .get_by_role_and_label(Role::CheckBox, &instance)
        .click();
    settle(harness);
    click(harness, "Next");
    run_until(harness, "the review page", |h| {
        has_text(h, "What will be made")
    });
    click(harness, "Create");
    run_until(harness, "the run to end", |h| {
        has_text(h, "Done: instances launched with the instance profile")
            || has_text(h, "Stopped:")
            || has_text(h, "(exists but differs)")
    });
    let stopped: Vec<String> = harness
        .query_all_by_label_contains("Stopped:")
        .chain(harness.query_all_by_label_contains("differs"))
        .filter_map(|node| text_of(&node))
        .collect();
    assert!(stopped.is_empty(), "{stopped:?}");

    let plan = SetupPlan::instance_profile(&InstanceProfileOptions {
        role: "CodeDeployInstanceRole".to_owned(),
        profile: "CodeDeployInstanceProfile".to_owned(),
        buckets: vec!["demo-revisions".to_owned()],
        agent_region: Some(REGION.to_owned()),
        ssm: true,
        instances: vec![instance.clone()],
    });
    let session = harness.state().session().expect("connected");
    let (trust, attached) = role_state(harness, "CodeDeployInstanceRole");
    assert!(documents_equivalent(
        &trust,
        &setup::instance_role_trust_policy()
    ));
    assert_eq!(attached, [setup::SSM_CORE_POLICY_ARN]);
    let (inline, profile_roles, associated) = call(harness, async {
        let inline = session
            .iam
            .get_role_policy()
            .role_name("CodeDeployInstanceRole")
            .policy_name(setup::REVISION_POLICY_NAME)
            .send()
            .await
            .expect("the inline policy exists");
        let profile = session
            .iam
            .get_instance_profile()
            .instance_profile_name("CodeDeployInstanceProfile")
            .send()
            .await
            .expect("the profile exists");
        let associations = session
            .ec2
            .describe_iam_instance_profile_associations()
            .send()
            .await
            .expect("associations can be listed");
        (
            decode_policy(inline.policy_document()).expect("a JSON document"),
            profile
                .instance_profile()
                .map(|profile| {
                    profile
                        .roles()
                        .iter()
                        .map(|role| role.role_name().to_owned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
            // The instances with the new profile (the fleet has its own).
            associations
                .iam_instance_profile_associations()
                .iter()
                .filter(|association| {
                    association
                        .iam_instance_profile()
                        .and_then(|profile| profile.arn())
                        .is_some_and(|arn| arn.ends_with("/CodeDeployInstanceProfile"))
                })
                .filter_map(|association| association.instance_id().map(str::to_owned))
                .collect::<Vec<_>>(),
        )
    });
    assert!(documents_equivalent(
        &inline,
        plan.steps[1].document().expect("a policy")
    ));
    assert_eq!(profile_roles, ["CodeDeployInstanceRole"]);
    assert_eq!(associated, [instance]);

    // The same inputs again: every step finds its resource and reuses it.
    click(harness, "Back to the review");
    click(harness, "Create");
    run_until(harness, "the second run", |h| {
        has_text(h, "Done: instances launched with the instance profile")
    });
    assert_eq!(
        harness
            .query_all_by_label_contains("(already there)")
            .count(),
        plan.steps.len()
    );
}

/// Types `text` into the text field labelled `label` (the first, if several).
fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness
        .query_all_by_label(label)
        .find(|node| node.accesskit_node().role() == Role::TextInput)
        .unwrap_or_else(|| panic!("a text field labelled {label}"))
        .set_text_value_accesskit(text);
    settle(harness);
}

/// The instance ids a deployment to `group` of `application` targets, as
/// the local cloud chose them.
fn deployment_targets(harness: &Harness<'_, App>, application: &str, group: &str) -> Vec<String> {
    let session = harness.state().session().expect("connected");
    call(harness, async {
        let created = session
            .codedeploy
            .create_deployment()
            .application_name(application)
            .deployment_group_name(group)
            .revision(
                aws_sdk_codedeploy::types::RevisionLocation::builder()
                    .revision_type(aws_sdk_codedeploy::types::RevisionLocationType::GitHub)
                    .git_hub_location(
                        aws_sdk_codedeploy::types::GitHubLocation::builder()
                            .repository("example/web")
                            .commit_id("0123456789abcdef0123456789abcdef01234567")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("a deployment starts");
        let mut ids = session
            .codedeploy
            .list_deployment_targets()
            .deployment_id(created.deployment_id().expect("an id"))
            .send()
            .await
            .expect("its targets are listed")
            .target_ids()
            .to_vec();
        ids.sort();
        ids
    })
}

#[test]
fn deployment_group_wizard_matches_the_targets_a_deployment_gets() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    click(harness, "Start: Deployment group");
    run_until(harness, "the applications", |h| {
        has_text(h, "No application yet")
    });
    harness
        .get_by_role_and_label(Role::RadioButton, "A new application")
        .click();
    settle(harness);
    type_into(harness, "New application name", "web-shop");
    click(harness, "Next");
    type_into(harness, "Deployment group name", "production");
    // No role yet: make one with the service role wizard and come back.
    click(harness, "Create a service role…");
    run_until(harness, "the service role wizard", |h| {
        has_text(h, "Create a CodeDeploy service role")
    });
    click(harness, "Next");
    click(harness, "Next");
    run_until(harness, "its review", |h| has_text(h, "What will be made"));
    click(harness, "Create");
    run_until(harness, "the role", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    click(harness, "Close");
    run_until(harness, "the group wizard again", |h| {
        has_text(h, "Create a deployment group")
    });
    assert_eq!(
        harness.get_by_label("Service role ARN").value().as_deref(),
        Some("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
    );
    assert_eq!(
        harness
            .get_by_label("Deployment group name")
            .value()
            .as_deref(),
        Some("production"),
        "nothing typed is lost"
    );
    click(harness, "Next");
    click(harness, "Next");
    // The environment: production instances of the demo fleet.
    run_until(harness, "the instances", |h| has_text(h, "instances match"));
    assert!(has_text(harness, "0 of 3 instances match"));
    type_into(harness, "Key", "Environment");
    type_into(harness, "Value", "production");
    assert!(
        has_text(harness, "2 of 3 instances match"),
        "the live count follows the tags"
    );
    // A second tag group narrows it: a tag from every group is needed.
    click(harness, "Add a tag group");
    let keys: Vec<_> = harness.query_all_by_label("Key").collect();
    assert_eq!(keys.len(), 2);
    keys[1].set_text_value_accesskit("Fleet");
    settle(harness);
    assert!(has_text(harness, "2 of 3 instances match"));
    let values: Vec<_> = harness.query_all_by_label("Value").collect();
    values[1].set_text_value_accesskit("elsewhere");
    settle(harness);
    assert!(has_text(harness, "0 of 3 instances match"));
    let values: Vec<_> = harness.query_all_by_label("Value").collect();
    values[1].set_text_value_accesskit("demo");
    settle(harness);
    assert!(has_text(harness, "2 of 3 instances match"));
    let matched: Vec<String> = harness
        .query_all_by_label_contains("  demo-")
        .filter_map(|node| text_of(&node))
        .filter_map(|label| label.split_whitespace().next().map(str::to_owned))
        .collect();
    click(harness, "Next");
    // The planner's preview for the matched fleet.
    assert!(has_text(
        harness,
        "How a first deployment to the 2 matched instances goes"
    ));
    click(harness, "Next");
    click(harness, "Next");
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    show_all_commands(harness);
    assert!(has_text(
        harness,
        "aws deploy create-deployment-group --cli-input-json"
    ));
    click(harness, "Create");
    run_until(harness, "the group", |h| {
        has_text(h, "Done: the deployment group production is ready")
    });
    // Exactly what the review showed exists.
    let session = harness.state().session().expect("connected");
    let spec = call(
        harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "web-shop", "production"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert_eq!(spec.ec2_tag_groups.len(), 2);
    assert_eq!(spec.config.name(), "CodeDeployDefault.OneAtATime");

    // Running it again creates nothing twice.
    click(harness, "Back to the review");
    click(harness, "Create");
    run_until(harness, "the second run", |h| {
        has_text(h, "Done: the deployment group production is ready")
    });
    assert_eq!(
        harness
            .query_all_by_label_contains("(already there)")
            .count(),
        2
    );

    // The live match is exactly the local cloud's choice of targets.
    let mut matched = matched;
    matched.sort();
    assert_eq!(matched.len(), 2);
    assert_eq!(
        deployment_targets(harness, "web-shop", "production"),
        matched
    );
}

#[test]
fn deployment_group_wizard_edits_an_existing_group() {
    let mut demo = demo();
    {
        let session = demo.harness.state().session().expect("connected");
        call(&demo.harness, async {
            session
                .codedeploy
                .create_application()
                .application_name("api")
                .send()
                .await
                .expect("the application is made");
            session
                .codedeploy
                .create_deployment_group()
                .application_name("api")
                .deployment_group_name("staging")
                .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
                .ec2_tag_filters(
                    aws_sdk_codedeploy::types::Ec2TagFilter::builder()
                        .key("Environment")
                        .value("staging")
                        .r#type(aws_sdk_codedeploy::types::Ec2TagFilterType::KeyAndValue)
                        .build(),
                )
                .send()
                .await
                .expect("the group is made");
        });
    }
    let harness = &mut demo.harness;
    click(harness, "Start: Deployment group");
    run_until(harness, "the applications", |h| {
        h.query_by_role_and_label(Role::RadioButton, "api")
            .is_some()
    });
    harness
        .get_by_role_and_label(Role::RadioButton, "api")
        .click();
    run_until(harness, "its groups", |h| has_text(h, "Edit staging"));
    click(harness, "Edit staging");
    run_until(harness, "the loaded group", |h| {
        has_text(h, "Edit the deployment group staging")
    });
    assert_eq!(
        harness
            .get_by_label("Deployment group name")
            .value()
            .as_deref(),
        Some("staging")
    );
    click(harness, "Next");
    click(harness, "Next");
    click(harness, "Next");
    harness
        .get_by_role_and_label(
            Role::RadioButton,
            "CodeDeployDefault.HalfAtATime: up to half of the instances at a time",
        )
        .click();
    settle(harness);
    click(harness, "Next");
    click(harness, "Next");
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    show_all_commands(harness);
    assert!(has_text(
        harness,
        "aws deploy update-deployment-group --cli-input-json"
    ));
    click(harness, "Update");
    run_until(harness, "the update", |h| {
        has_text(h, "Done: the deployment group staging is ready") || has_text(h, "(failed)")
    });
    let stopped: Vec<String> = harness
        .query_all_by_label_contains("Nothing was created")
        .filter_map(|node| text_of(&node))
        .collect();
    assert!(stopped.is_empty(), "{stopped:?}");
    let session = harness.state().session().expect("connected");
    let spec = call(
        harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "api", "staging"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert_eq!(spec.config.name(), "CodeDeployDefault.HalfAtATime");
    assert_eq!(spec.ec2_tag_groups[0][0].value, "staging");
}

/// Clicks the node with the pointer (moves onto it, presses, releases).
fn pointer_click(harness: &mut Harness<'static, App>, role: Role, label: &str) {
    harness.get_by_role_and_label(role, label).click();
    settle(harness);
}

/// Where the Next button is: its centre.
fn next_place(harness: &Harness<'_, App>) -> egui::Pos2 {
    harness
        .get_by_role_and_label(Role::Button, "Next")
        .rect()
        .center()
}

/// Fails unless the Next button is where it was, give or take the point
/// it grows by while the pointer is on it.
fn assert_next_stays(harness: &Harness<'_, App>, before: egui::Pos2) {
    let now = next_place(harness);
    assert!(
        (now - before).length() <= 2.0,
        "Next moved from {before:?} to {now:?}"
    );
}

/// Starts the deployment group wizard with the pointer and fills in a new
/// application `web-shop` and a group `production` with the usual service
/// role, up to the Type step.
fn to_the_type_step(harness: &mut Harness<'static, App>) {
    pointer_click(harness, Role::Button, "Start: Deployment group");
    run_until(harness, "the applications", |h| {
        has_text(h, "No application yet")
    });
    pointer_click(harness, Role::RadioButton, "A new application");
    type_into(harness, "New application name", "web-shop");
    pointer_click(harness, Role::Button, "Next");
    type_into(harness, "Deployment group name", "production");
    type_into(
        harness,
        "Service role ARN",
        "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
    );
    pointer_click(harness, Role::Button, "Next");
}

#[test]
fn empty_tag_keys_are_refused_at_the_row_only_after_next_or_typing() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Start: Deployment group");
    run_until(harness, "the applications", |h| {
        has_text(h, "No application yet")
    });
    // Nothing is said before anything is typed, and a step without a name
    // field never speaks of an empty name.
    assert!(!has_text(harness, "Choose an application"));
    let before = next_place(harness);
    pointer_click(harness, Role::Button, "Next");
    assert!(has_text(
        harness,
        "Choose an application, or choose \"A new application\" and name it."
    ));
    assert!(!has_text(harness, "name is empty"));
    assert_next_stays(harness, before);
    pointer_click(harness, Role::RadioButton, "A new application");
    assert!(
        !has_text(harness, "Choose an application"),
        "the choice is made"
    );
    type_into(harness, "New application name", "web-shop");
    pointer_click(harness, Role::Button, "Next");
    type_into(harness, "Deployment group name", "production");
    type_into(
        harness,
        "Service role ARN",
        "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
    );
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the instances", |h| has_text(h, "instances match"));

    // One empty row: no error until Next is pressed, then at the row.
    assert!(!has_text(harness, "This row is empty"));
    let before = next_place(harness);
    pointer_click(harness, Role::Button, "Next");
    assert!(has_text(
        harness,
        "This row is empty: type a key (e.g. Environment), or remove the row."
    ));
    assert!(harness.query_by_label("Key").is_some(), "still on the step");
    assert_next_stays(harness, before);

    // A value without its key is refused at the row too.
    type_into(harness, "Value", "production");
    assert!(has_text(
        harness,
        "Type the key that goes with the value \"production\" (e.g. Environment)."
    ));
    pointer_click(harness, Role::Button, "Next");
    assert!(harness.query_by_label("Key").is_some(), "still on the step");
    type_into(harness, "Key", "Environment");
    assert!(!has_text(harness, "Type the key that goes with"));

    // A second, empty row in the same group is refused as well (Next was
    // pressed on this step, so its error shows at once).
    pointer_click(harness, Role::Button, "Add a tag to group 1");
    assert!(has_text(harness, "This row is empty"));
    pointer_click(harness, Role::Button, "Next");
    assert_eq!(
        harness.query_all_by_label("Key").count(),
        2,
        "still on the step"
    );
    pointer_click(harness, Role::Button, "Remove group 1 tag 2");
    assert_eq!(harness.query_all_by_label("Key").count(), 1);
    pointer_click(harness, Role::Button, "Next");
    assert!(
        has_text(harness, "A predefined configuration"),
        "on to the configuration"
    );
}

#[test]
fn the_role_just_made_is_preselected_in_the_deployment_group_wizard() {
    let mut demo = demo();
    service_role_to_review(&mut demo);
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the role", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    pointer_click(harness, Role::Button, "Close");
    // Another role CodeDeploy trusts exists too: the one just made is the
    // one chosen, not merely the only one.
    {
        let session = harness.state().session().expect("connected");
        call(harness, async {
            session
                .iam
                .create_role()
                .role_name("OlderDeployRole")
                .assume_role_policy_document(
                    setup::service_role_trust_policy(ACCOUNT, REGION, false).to_string(),
                )
                .send()
                .await
                .expect("the role is made")
        });
    }
    pointer_click(harness, Role::Button, "Start: Deployment group");
    run_until(harness, "the applications", |h| {
        has_text(h, "No application yet")
    });
    pointer_click(harness, Role::RadioButton, "A new application");
    type_into(harness, "New application name", "web-shop");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the roles", |h| {
        h.query_by_role_and_label(Role::RadioButton, "OlderDeployRole")
            .is_some()
    });
    assert_eq!(
        harness.get_by_label("Service role ARN").value().as_deref(),
        Some("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
    );
    let chosen = harness.get_by_role_and_label(Role::RadioButton, "CodeDeployServiceRole");
    assert_eq!(
        chosen.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
}

#[test]
fn the_instance_profile_wizard_starts_from_the_demo_bucket() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Start: Instance profile");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the suggested bucket", |h| {
        h.get_by_label("Revision buckets (one per line)")
            .value()
            .as_deref()
            == Some(deploydesk::cloud::demo::BUCKET)
    });
    // No error is shown for a filled-in, valid suggestion.
    assert!(!has_text(harness, "Name at least one bucket"));
}

#[test]
fn the_review_says_in_words_what_is_made_and_names_each_call() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    to_the_type_step(harness);
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the instances", |h| has_text(h, "instances match"));
    type_into(harness, "Key", "Environment");
    type_into(harness, "Value", "production");
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    // The settings, in words, above the calls.
    for line in [
        "Create the application web-shop",
        "Create the deployment group production in web-shop",
        "Service role: CodeDeployServiceRole.",
        "Deploys to EC2 instances tagged Environment=production.",
        "Rolls back when a deployment fails.",
    ] {
        assert!(has_text(harness, line), "{line}");
    }
    assert!(!has_text(harness, "Policy document"));
    // Each call is named by its API call; its input is collapsed.
    assert!(has_text(harness, "2. CreateDeploymentGroup request"));
    assert!(
        harness
            .query_by_label("Copy the CreateDeploymentGroup call as an AWS CLI command")
            .is_none()
    );
    harness
        .get_by_label("2. CreateDeploymentGroup request")
        .click();
    settle(harness);
    let copy = harness.get_by_role_and_label(
        Role::Button,
        "Copy the CreateDeploymentGroup call as an AWS CLI command",
    );
    assert!(copy.rect().width() > 0.0);
    assert!(has_text(harness, "\"deploymentGroupName\": \"production\""));
}

#[test]
fn finish_screens_lead_on_to_the_next_wizard_and_to_deploy() {
    let mut demo = demo();
    service_role_to_review(&mut demo);
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the role", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    pointer_click(harness, Role::Button, "Next: create an instance profile");
    assert!(has_text(
        harness,
        "Create an instance profile for CodeDeploy"
    ));
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the suggested bucket", |h| {
        h.get_by_label("Revision buckets (one per line)")
            .value()
            .is_some_and(|value| !value.is_empty())
    });
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the profile", |h| {
        has_text(h, "Done: instances launched with the instance profile")
    });
    pointer_click(harness, Role::Button, "Next: tag instances");
    run_until(harness, "the instances", |h| has_text(h, "Showing 3 of 3"));
    pointer_click(harness, Role::Button, "Next: create a deployment group");
    run_until(harness, "the group wizard", |h| {
        has_text(h, "Create a deployment group")
    });
    pointer_click(harness, Role::RadioButton, "A new application");
    type_into(harness, "New application name", "web-shop");
    pointer_click(harness, Role::Button, "Next");
    type_into(harness, "Deployment group name", "production");
    assert_eq!(
        harness.get_by_label("Service role ARN").value().as_deref(),
        Some("arn:aws:iam::000000000000:role/CodeDeployServiceRole"),
        "the role made at the start is chosen"
    );
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the instances", |h| has_text(h, "instances match"));
    type_into(harness, "Key", "Environment");
    type_into(harness, "Value", "production");
    for _ in 0..3 {
        pointer_click(harness, Role::Button, "Next");
    }
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the group", |h| {
        has_text(h, "Done: the deployment group production is ready")
    });
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Deploy to production")
            .is_some()
    );
    pointer_click(harness, Role::Button, "Deploy to production");
    // The Deploy dialog opens with the new group's application chosen.
    ui_support::wait_for_choice(harness, "Application", "web-shop");
}

#[test]
fn the_instance_picker_shows_tags_and_selects_all_or_none() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Start: Instance profile");
    pointer_click(harness, Role::Button, "Next");
    harness
        .get_by_label("Revision buckets (one per line)")
        .set_text_value_accesskit("demo-revisions");
    settle(harness);
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the instances", |h| has_text(h, "0 of 3 chosen"));
    // Each row shows the instance's tags.
    assert!(has_text(harness, "Environment=production, Fleet=demo"));
    assert!(has_text(harness, "Environment=staging, Fleet=demo"));
    let ticked = |harness: &Harness<'_, App>| {
        harness
            .query_all_by_role(Role::CheckBox)
            .filter(|node| {
                node.accesskit_node()
                    .label()
                    .is_some_and(|label| label.starts_with("i-"))
            })
            .filter(|node| node.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True))
            .count()
    };
    pointer_click(harness, Role::Button, "Select all");
    assert!(has_text(harness, "3 of 3 chosen"));
    assert_eq!(ticked(harness), 3);
    pointer_click(harness, Role::Button, "Select none");
    assert!(has_text(harness, "0 of 3 chosen"));
    assert_eq!(ticked(harness), 0);
}

#[test]
fn the_cards_are_in_setup_order_and_say_what_the_account_has() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    run_until(harness, "the account looked at", |h| {
        has_text(h, "Service role: not done yet")
    });
    // The demo fleet is tagged and comes with its instance profile;
    // nothing else is set up yet.
    assert!(has_text(harness, "Instance profile: done"));
    assert!(has_text(harness, "Tag instances: done"));
    assert!(has_text(harness, "Deployment group: not done yet"));
    // In the order one sets up in, top to bottom.
    let tops: Vec<f32> = [
        "Start: Service role",
        "Start: Instance profile",
        "Start: Tag instances",
        "Start: Deployment group",
    ]
    .iter()
    .map(|label| {
        harness
            .get_by_role_and_label(Role::Button, label)
            .rect()
            .top()
    })
    .collect();
    assert!(tops.windows(2).all(|pair| pair[0] < pair[1]), "{tops:?}");

    // Making the role turns its card to done when the cards show again.
    service_role_to_review(&mut demo);
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the role", |h| {
        has_text(h, "Done: the role CodeDeployServiceRole is ready")
    });
    pointer_click(harness, Role::Button, "Close");
    run_until(harness, "the cards looked at again", |h| {
        has_text(h, "Service role: done")
    });
    assert!(has_text(harness, "Deployment group: not done yet"));
}

#[test]
fn tag_row_buttons_are_short_on_screen_with_their_long_names_kept() {
    let mut demo = demo();
    let harness = &mut demo.harness;
    pointer_click(harness, Role::Button, "Start: Deployment group");
    run_until(harness, "the applications", |h| {
        has_text(h, "No application yet")
    });
    pointer_click(harness, Role::RadioButton, "A new application");
    type_into(harness, "New application name", "web-shop");
    pointer_click(harness, Role::Button, "Next");
    // The step done is marked with a tick, not "(done)".
    assert!(!has_text(harness, "(done)"));
    assert!(has_text(harness, "Application: done"));
    type_into(harness, "Deployment group name", "production");
    type_into(
        harness,
        "Service role ARN",
        "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
    );
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the tag suggestions", |h| {
        h.query_by_role_and_label(Role::Button, "Existing tags for group 1 tag 1")
            .is_some()
    });
    // The long names stay for screen readers; on screen each is an icon.
    for name in ["Existing tags for group 1 tag 1", "Remove group 1 tag 1"] {
        let width = harness
            .get_by_role_and_label(Role::Button, name)
            .rect()
            .width();
        assert!(width < 40.0, "{name} is {width} points wide");
    }
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Add a tag to group 1")
            .is_some()
    );
    // The icon opens the account's tags; picking one fills the row.
    pointer_click(harness, Role::Button, "Existing tags for group 1 tag 1");
    pointer_click(harness, Role::Button, "Environment=production");
    assert_eq!(
        harness.get_by_label("Key").value().as_deref(),
        Some("Environment")
    );
    assert_eq!(
        harness.get_by_label("Value").value().as_deref(),
        Some("production")
    );
    assert!(has_text(harness, "2 of 3 instances match"));
}

#[test]
fn deployment_group_wizard_picks_alarms_and_a_topic_from_the_account() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    let mut demo = demo();
    let topic_arn = {
        let session = demo.harness.state().session().expect("connected");
        call(&demo.harness, async {
            for (alarm, state) in [
                ("web-5xx", StateValue::Alarm),
                ("web-latency", StateValue::Ok),
            ] {
                session
                    .cloudwatch
                    .put_metric_alarm()
                    .alarm_name(alarm)
                    .namespace("AWS/ApplicationELB")
                    .metric_name("HTTPCode_Target_5XX_Count")
                    .statistic(Statistic::Sum)
                    .period(60)
                    .evaluation_periods(1)
                    .threshold(5.0)
                    .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                    .send()
                    .await
                    .expect("the alarm is made");
                session
                    .cloudwatch
                    .set_alarm_state()
                    .alarm_name(alarm)
                    .state_value(state)
                    .state_reason("set by the test")
                    .send()
                    .await
                    .expect("its state is set");
            }
            session
                .sns
                .create_topic()
                .name("deployments")
                .send()
                .await
                .expect("the topic is made")
                .topic_arn()
                .expect("an ARN")
                .to_owned()
        })
    };
    let harness = &mut demo.harness;
    to_the_type_step(harness);
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the instances", |h| has_text(h, "instances match"));
    type_into(harness, "Key", "Environment");
    type_into(harness, "Value", "production");
    pointer_click(harness, Role::Button, "Next");
    pointer_click(harness, Role::Button, "Next");
    // The options: the account's alarms with their state, to tick.
    run_until(harness, "the account's alarms", |h| {
        has_text(h, "web-latency (OK)")
    });
    assert!(!has_text(harness, "in ALARM now"));
    pointer_click(harness, Role::CheckBox, "web-5xx (ALARM)");
    assert!(
        has_text(harness, "in ALARM now: a deployment would stop at once"),
        "an alarm already going off is called out when ticked"
    );
    assert_eq!(
        harness
            .get_by_label("Alarms that stop a deployment (one per line)")
            .value()
            .as_deref(),
        Some("web-5xx"),
        "the tick writes the name where it can still be edited"
    );
    // A trigger sends to a topic picked from the account's.
    pointer_click(harness, Role::Button, "Add a trigger");
    type_into(harness, "Trigger 1 name", "notify-team");
    pointer_click(harness, Role::ComboBox, "Trigger 1 SNS topic");
    harness.get_by_label("deployments").click();
    settle(harness);
    pointer_click(harness, Role::CheckBox, "DeploymentSuccess");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the group", |h| {
        has_text(h, "Done: the deployment group production is ready") || has_text(h, "(failed)")
    });
    let session = harness.state().session().expect("connected");
    let spec = call(
        harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "web-shop", "production"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert_eq!(spec.alarms, ["web-5xx"]);
    assert_eq!(spec.triggers.len(), 1);
    assert_eq!(spec.triggers[0].name, "notify-team");
    assert_eq!(spec.triggers[0].topic_arn, topic_arn);
    let mut events = spec.triggers[0].events.clone();
    events.sort();
    assert_eq!(events, ["DeploymentFailure", "DeploymentSuccess"]);
}

#[test]
fn deployment_group_wizard_makes_an_auto_scaling_group_behind_a_target_group_picked_from_lists() {
    let mut demo = demo();
    auto_scaling_fleet(&demo.harness, "web-asg", "web-tg", "web-5xx");
    let harness = &mut demo.harness;
    to_the_type_step(harness);
    // The load balancer: the account's target groups to tick.
    pointer_click(
        harness,
        Role::CheckBox,
        "Take each instance out of its load balancer while it is updated",
    );
    run_until(harness, "the target groups", |h| {
        h.query_by_role_and_label(Role::CheckBox, "web-tg")
            .is_some()
    });
    assert!(has_text(
        harness,
        "The account has no classic load balancers in this region."
    ));
    pointer_click(harness, Role::CheckBox, "web-tg");
    assert_eq!(
        harness
            .get_by_label("Target groups (one per line)")
            .value()
            .as_deref(),
        Some("web-tg")
    );
    pointer_click(harness, Role::Button, "Next");
    // The environment: no tags, the Auto Scaling group with its size.
    run_until(harness, "the Auto Scaling groups", |h| {
        has_text(h, "instances match")
            && h.query_by_role_and_label(Role::CheckBox, "web-asg (2 instances, 2 in service)")
                .is_some()
    });
    assert!(has_text(harness, "0 of 5 instances match"));
    pointer_click(
        harness,
        Role::CheckBox,
        "web-asg (2 instances, 2 in service)",
    );
    assert!(
        has_text(harness, "2 of 5 instances match"),
        "the live match counts the group's in-service instances"
    );
    // The agent installed and kept updated, as the CodeDeploy console offers.
    pointer_click(
        harness,
        Role::CheckBox,
        "Install the CodeDeploy agent through Systems Manager, and keep it updated every 14 days",
    );
    pointer_click(harness, Role::Button, "Next");
    assert!(
        has_text(
            harness,
            "How a first deployment to the 2 matched instances goes"
        ),
        "the blank tag row is no slip when an Auto Scaling group chooses the instances"
    );
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the alarms", |h| has_text(h, "web-5xx (OK)"));
    pointer_click(harness, Role::CheckBox, "web-5xx (OK)");
    pointer_click(harness, Role::Button, "Next");
    run_until(harness, "the review", |h| has_text(h, "What will be made"));
    assert!(has_text(
        harness,
        "Deploys to the instances of the Auto Scaling group web-asg, and to each new one they launch."
    ));
    assert!(has_text(
        harness,
        "Traffic goes through the target groups web-tg."
    ));
    assert!(has_text(
        harness,
        "Have Systems Manager install the CodeDeploy agent and keep it updated (CodeDeployAgent-web-shop-production)"
    ));
    assert!(has_text(harness, "CreateAssociation request"));
    pointer_click(harness, Role::Button, "Create");
    run_until(harness, "the group", |h| {
        has_text(h, "Done: the deployment group production is ready") || has_text(h, "(failed)")
    });
    let session = harness.state().session().expect("connected");
    let spec = call(
        harness,
        deploydesk::cloud::groups::deployment_group_spec(&session, "web-shop", "production"),
    )
    .expect("the group can be read")
    .expect("the group exists");
    assert_eq!(spec.auto_scaling_groups, ["web-asg"]);
    assert!(spec.ec2_tag_groups.is_empty());
    assert!(spec.traffic_control);
    assert_eq!(spec.target_groups, ["web-tg"]);
    assert_eq!(spec.alarms, ["web-5xx"]);
    let associations = call(harness, async {
        session
            .ssm
            .list_associations()
            .send()
            .await
            .expect("associations are listed")
    });
    let association = associations
        .associations()
        .iter()
        .find(|association| {
            association.association_name() == Some("CodeDeployAgent-web-shop-production")
        })
        .expect("the agent association");
    assert_eq!(association.name(), Some("AWS-ConfigureAWSPackage"));
    assert_eq!(association.schedule_expression(), Some("rate(14 days)"));
    let targets: Vec<(&str, Vec<String>)> = association
        .targets()
        .iter()
        .map(|target| (target.key().unwrap_or_default(), target.values().to_vec()))
        .collect();
    assert_eq!(
        targets,
        [("tag:aws:autoscaling:groupName", vec!["web-asg".to_owned()])]
    );
}
