//! UI tests of the Applications page in demo mode: the real app, the real
//! local cloud, the real SDK in between.

use crate::ui_support;

use std::path::Path;
use std::sync::Arc;

use deploydesk::cloud::codedeploy;
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::settings::BackendChoice;
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{app_harness, run_until, settle};

fn demo_harness(dir: &Path) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(dir.join("settings.json")),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::new(Some(
            dir.join("localcloud").join("state.json"),
        )))),
    };
    app_harness(options, egui::vec2(1280.0, 800.0))
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
    settle(&mut harness);
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
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the new application", |h| {
        has_application(h, "billing")
    });

    harness
        .get_by_role_and_label(Role::Button, "Delete application…")
        .click();
    settle(&mut harness);
    // Cancel keeps it.
    harness
        .get_by_role_and_label(Role::Button, "Cancel")
        .click();
    settle(&mut harness);
    assert_eq!(
        remote_application_names(&harness),
        vec!["billing".to_owned()]
    );

    harness
        .get_by_role_and_label(Role::Button, "Delete application…")
        .click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Delete")
        .click();
    run_until(&mut harness, "the list without it", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    assert!(remote_application_names(&harness).is_empty());
}

#[test]
fn in_a_narrow_window_the_delete_button_covers_neither_name_nor_platform() {
    let dir = tempfile::tempdir().unwrap();
    let options = AppOptions {
        settings_path: Some(dir.path().join("settings.json")),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::new(Some(
            dir.path().join("localcloud").join("state.json"),
        )))),
    };
    let mut harness = app_harness(options, egui::vec2(800.0, 600.0));
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    let name = "checkout-service-eu";
    harness
        .get_by_label("Application name")
        .set_text_value_accesskit(name);
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the new application's details", |h| {
        h.query_by_role_and_label(Role::Button, "Delete application…")
            .is_some()
            && h.query_by_role_and_label(Role::Label, "EC2/On-premises")
                .is_some()
    });
    let delete = harness
        .get_by_role_and_label(Role::Button, "Delete application…")
        .rect();
    let heading = harness.get_by_role_and_label(Role::Label, name).rect();
    let platform = harness
        .get_by_role_and_label(Role::Label, "EC2/On-premises")
        .rect();
    assert!(!delete.intersects(heading), "{delete:?} covers {heading:?}");
    assert!(
        !delete.intersects(platform),
        "{delete:?} covers {platform:?}"
    );
    assert!(
        heading.width() > 100.0,
        "the name keeps room to be read: {heading:?}"
    );
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
    settle(&mut harness);
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
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Create application")
        .click();
    run_until(&mut harness, "the first shop", |h| {
        has_application(h, "shop")
    });
    harness
        .get_by_label("Application name")
        .set_text_value_accesskit("shop");
    settle(&mut harness);
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
        settle(&mut harness);
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

/// Creates an application with a tagged deployment group through the app's
/// own session, as another client of the same account would.
fn create_group_remotely(harness: &Harness<'_, App>) {
    use aws_sdk_codedeploy::types::{Ec2TagFilter, Ec2TagFilterType};
    let app = harness.state();
    let session = app.session().expect("connected");
    app.runtime().block_on(async {
        session
            .codedeploy
            .create_application()
            .application_name("store")
            .send()
            .await
            .expect("application created");
        session
            .codedeploy
            .create_deployment_group()
            .application_name("store")
            .deployment_group_name("store-prod")
            .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
            .deployment_config_name("CodeDeployDefault.HalfAtATime")
            .ec2_tag_filters(
                Ec2TagFilter::builder()
                    .key("Environment")
                    .value("production")
                    .r#type(Ec2TagFilterType::KeyAndValue)
                    .build(),
            )
            .send()
            .await
            .expect("group created");
    });
}

#[test]
fn deployment_groups_show_their_configuration_and_targets() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    create_group_remotely(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    run_until(&mut harness, "the group", |h| has_label(h, "store-prod"));
    harness.get_by_label("CodeDeployDefault.HalfAtATime");
    harness.get_by_label("EC2: Environment = production");
    harness.get_by_label("never deployed");
}

#[test]
fn a_group_shows_its_alarms_live_state_and_its_triggers() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    use aws_sdk_codedeploy::types::{Alarm, AlarmConfiguration, TriggerConfig, TriggerEventType};
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    create_group_remotely(&harness);
    let set_state = |harness: &Harness<'_, App>, state: StateValue| {
        let app = harness.state();
        let session = app.session().expect("connected");
        app.runtime().block_on(async {
            session
                .cloudwatch
                .set_alarm_state()
                .alarm_name("store-5xx")
                .state_value(state)
                .state_reason("five hundreds")
                .send()
                .await
                .expect("state set");
        });
    };
    {
        let app = harness.state();
        let session = app.session().expect("connected");
        app.runtime().block_on(async {
            session
                .cloudwatch
                .put_metric_alarm()
                .alarm_name("store-5xx")
                .namespace("AWS/ApplicationELB")
                .metric_name("HTTPCode_Target_5XX_Count")
                .statistic(Statistic::Sum)
                .period(60)
                .evaluation_periods(1)
                .threshold(5.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .send()
                .await
                .expect("alarm created");
            session
                .codedeploy
                .update_deployment_group()
                .application_name("store")
                .current_deployment_group_name("store-prod")
                .alarm_configuration(
                    AlarmConfiguration::builder()
                        .enabled(true)
                        .alarms(Alarm::builder().name("store-5xx").build())
                        .alarms(Alarm::builder().name("gone").build())
                        .build(),
                )
                .trigger_configurations(
                    TriggerConfig::builder()
                        .trigger_name("ops")
                        .trigger_target_arn("arn:aws:sns:us-east-1:000000000000:deployments")
                        .trigger_events(TriggerEventType::DeploymentFailure)
                        .build(),
                )
                .send()
                .await
                .expect("group updated");
        });
    }
    set_state(&harness, StateValue::Ok);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    run_until(&mut harness, "the alarm's state", |h| {
        has_label(h, "store-5xx (OK)")
    });
    harness.get_by_label("gone (no such alarm)");
    harness.get_by_label("ops: DeploymentFailure to deployments");

    // The state is read again with the page.
    set_state(&harness, StateValue::Alarm);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    run_until(&mut harness, "the alarm going off", |h| {
        has_label(h, "store-5xx (in ALARM)")
    });
}

#[test]
fn reset_demo_account_starts_afresh_after_asking() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    create_group_remotely(&harness);
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    run_until(&mut harness, "the application", |h| {
        has_application(h, "store")
    });

    harness
        .get_by_role_and_label(Role::Button, "Reset demo account…")
        .click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Reset").click();
    run_until(&mut harness, "the empty list again", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    assert!(remote_application_names(&harness).is_empty());
}

/// A local cloud that fails to start the first time it is asked.
struct FlakyLocalCloud {
    inner: EmbeddedLocalCloud,
    failed_once: std::sync::atomic::AtomicBool,
    /// Whether the first start panics, as a bug would, rather than fail.
    panics: bool,
}

impl deploydesk::cloud::LocalCloudHost for FlakyLocalCloud {
    fn endpoint(
        &self,
    ) -> deploydesk::cloud::local::BoxFuture<'_, Result<String, deploydesk::cloud::CloudError>>
    {
        if !self
            .failed_once
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let panics = self.panics;
            return Box::pin(async move {
                assert!(!panics, "the local cloud's start is broken");
                Err(deploydesk::cloud::CloudError::LocalCloud(
                    "port 4599 is in use".to_owned(),
                ))
            });
        }
        self.inner.endpoint()
    }

    fn reset(
        &self,
    ) -> deploydesk::cloud::local::BoxFuture<'_, Result<(), deploydesk::cloud::CloudError>> {
        self.inner.reset()
    }

    fn shutdown(&self) -> deploydesk::cloud::local::BoxFuture<'_, ()> {
        self.inner.shutdown()
    }

    fn take_notices(&self) -> Vec<String> {
        self.inner.take_notices()
    }
}

/// The app on a local cloud whose first start fails, or panics.
fn flaky_harness(dir: &Path, panics: bool) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(dir.join("settings.json")),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(FlakyLocalCloud {
            inner: EmbeddedLocalCloud::new(None),
            failed_once: std::sync::atomic::AtomicBool::new(false),
            panics,
        })),
    };
    app_harness(options, egui::vec2(1280.0, 800.0))
}

#[test]
fn a_failed_connection_shows_its_message_and_retry_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = flaky_harness(dir.path(), false);
    run_until(&mut harness, "the error", |h| {
        h.query_by_label_contains("port 4599 is in use").is_some()
    });
    assert!(harness.query_all_by_label("Not connected").count() >= 1);
    harness.get_by_role_and_label(Role::Button, "Retry").click();
    run_until(&mut harness, "the list after retrying", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
}

#[test]
fn a_connection_check_that_panics_is_reported_and_leaves_nothing_busy() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = flaky_harness(dir.path(), true);
    run_until(&mut harness, "the report", |h| {
        h.query_by_label_contains("An internal error stopped connecting to")
            .is_some()
            && !h.state().is_busy()
    });
    assert!(
        harness
            .query_by_label_contains(
                "the local cloud's start is broken. Please report it; the rest of the app keeps working."
            )
            .is_some()
    );
    assert!(harness.state().session().is_none());
    // The app keeps working: Retry connects.
    harness.get_by_role_and_label(Role::Button, "Retry").click();
    run_until(&mut harness, "the list after retrying", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    assert!(harness.state().session().is_some());
}

#[test]
fn a_group_shows_its_auto_scaling_groups_and_load_balancer() {
    use aws_sdk_codedeploy::types::{
        DeploymentOption, DeploymentStyle, DeploymentType, LoadBalancerInfo, TargetGroupInfo,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the empty list", |h| {
        has_label(h, "No applications yet. Create one above.")
    });
    ui_support::auto_scaling_fleet(&harness, "store-asg", "store-tg", "store-5xx");
    {
        let app = harness.state();
        let session = app.session().expect("connected");
        app.runtime().block_on(async {
            session
                .codedeploy
                .create_application()
                .application_name("store")
                .send()
                .await
                .expect("application created");
            session
                .codedeploy
                .create_deployment_group()
                .application_name("store")
                .deployment_group_name("store-prod")
                .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
                .auto_scaling_groups("store-asg")
                .deployment_style(
                    DeploymentStyle::builder()
                        .deployment_type(DeploymentType::InPlace)
                        .deployment_option(DeploymentOption::WithTrafficControl)
                        .build(),
                )
                .load_balancer_info(
                    LoadBalancerInfo::builder()
                        .target_group_info_list(TargetGroupInfo::builder().name("store-tg").build())
                        .build(),
                )
                .send()
                .await
                .expect("group created");
        });
    }
    harness
        .get_by_role_and_label(Role::Button, "Refresh")
        .click();
    run_until(&mut harness, "the group", |h| has_label(h, "store-prod"));
    harness.get_by_label("Auto Scaling: store-asg");
    harness.get_by_label("In-place, through target group store-tg");
}
