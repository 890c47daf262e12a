//! UI tests of a live rollout in demo mode: deployments really run on the
//! embedded local cloud and the app watches them through the SDK.

use crate::traffic_support;
use crate::ui_support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_codedeploy::types as cd;
use deploydesk::cloud::deployments::TargetStatus;
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::LocalCloudOptions;
use deploydesk::settings::{BackendChoice, Page};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_support::{app_harness, click_tile, dismiss_tour, run_until, settle};

fn demo_harness(dir: &Path, event_duration: Duration) -> Harness<'static, App> {
    demo_harness_on(dir, demo_cloud(event_duration))
}

/// The embedded local cloud of a demo harness: six instances, events of
/// `event_duration`.
fn demo_cloud(event_duration: Duration) -> Arc<EmbeddedLocalCloud> {
    Arc::new(EmbeddedLocalCloud::with_options(LocalCloudOptions {
        event_duration,
        fleet: 6,
        ..LocalCloudOptions::default()
    }))
}

fn demo_harness_on(dir: &Path, local_cloud: Arc<EmbeddedLocalCloud>) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(dir.join("settings.json")),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(local_cloud),
    };
    app_harness(options, egui::vec2(1400.0, 900.0))
}

/// Creates the target group `web-tg` in the local cloud `host`, behind an
/// application load balancer, with the quickest health checks AWS allows
/// (healthy after two checks five seconds apart) and no draining.
fn web_target_group(harness: &Harness<'_, App>, host: &EmbeddedLocalCloud) {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ProtocolEnum, TargetGroupAttribute,
    };
    use deploydesk::cloud::local::LocalCloudHost as _;
    harness.state().runtime().block_on(async {
        let endpoint = host.endpoint().await.expect("the local cloud runs");
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await;
        let client = aws_sdk_elasticloadbalancingv2::Client::new(&config);
        let group = client
            .create_target_group()
            .name("web-tg")
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id("vpc-0a1b2c3d")
            .health_check_interval_seconds(5)
            .health_check_timeout_seconds(2)
            .healthy_threshold_count(2)
            .send()
            .await
            .expect("the target group is created")
            .target_groups()[0]
            .target_group_arn()
            .expect("an ARN")
            .to_owned();
        client
            .modify_target_group_attributes()
            .target_group_arn(&group)
            .attributes(
                TargetGroupAttribute::builder()
                    .key("deregistration_delay.timeout_seconds")
                    .value("0")
                    .build(),
            )
            .send()
            .await
            .expect("no draining");
        let balancer = client
            .create_load_balancer()
            .name("web")
            .subnets("subnet-0a1b2c3d")
            .subnets("subnet-1a2b3c4d")
            .send()
            .await
            .expect("the load balancer is created")
            .load_balancers()[0]
            .load_balancer_arn()
            .expect("an ARN")
            .to_owned();
        client
            .create_listener()
            .load_balancer_arn(balancer)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(group)
                    .build(),
            )
            .send()
            .await
            .expect("the listener is created");
    });
}

fn connected(harness: &mut Harness<'static, App>) {
    run_until(harness, "the connection", |h| h.state().session().is_some());
    dismiss_tour(harness);
}

/// Runs `work` with the app's own SDK session, as another client of the
/// same account would.
fn with_session<R>(
    harness: &Harness<'_, App>,
    work: impl AsyncFnOnce(&aws_sdk_codedeploy::Client) -> R,
) -> R {
    let app = harness.state();
    let session = app.session().expect("connected");
    app.runtime().block_on(work(&session.codedeploy))
}

fn tag(key: &str, value: &str) -> cd::Tag {
    cd::Tag::builder().key(key).value(value).build()
}

fn onprem_filter(key: &str, value: &str) -> cd::TagFilter {
    cd::TagFilter::builder()
        .key(key)
        .value(value)
        .r#type(cd::TagFilterType::KeyAndValue)
        .build()
}

/// An application with a group over on-premises instances tagged
/// `Role=web`, the given ones misbehaving as their simulate tag says.
async fn setup_onprem_group(
    client: &aws_sdk_codedeploy::Client,
    instances: &[(&str, Option<&str>)],
    config: &str,
) {
    client
        .create_application()
        .application_name("shop")
        .send()
        .await
        .expect("application");
    for (name, simulate) in instances {
        client
            .register_on_premises_instance()
            .instance_name(*name)
            .iam_user_arn(format!("arn:aws:iam::000000000000:user/{name}"))
            .send()
            .await
            .expect("instance registered");
        let mut tags = client
            .add_tags_to_on_premises_instances()
            .instance_names(*name)
            .tags(tag("Role", "web"))
            .tags(tag("Name", &format!("shop-{name}")));
        if let Some(simulate) = simulate {
            tags = tags.tags(tag("deploydesk:simulate", simulate));
        }
        tags.send().await.expect("tags added");
    }
    client
        .create_deployment_group()
        .application_name("shop")
        .deployment_group_name("web")
        .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
        .deployment_config_name(config)
        .on_premises_instance_tag_filters(onprem_filter("Role", "web"))
        .send()
        .await
        .expect("group created");
}

async fn start_deployment(client: &aws_sdk_codedeploy::Client) -> String {
    client
        .create_deployment()
        .application_name("shop")
        .deployment_group_name("web")
        .revision(traffic_support::github_revision())
        .send()
        .await
        .expect("deployment created")
        .deployment_id()
        .expect("an id")
        .to_owned()
}

fn open_deployment(harness: &mut Harness<'_, App>, deployment_id: &str) {
    harness
        .get_by_role_and_label(Role::Button, "Deployments")
        .click();
    run_until(harness, "the deployment in the list", |h| {
        h.query_by_label(deployment_id).is_some()
    });
    harness.get_by_label(deployment_id).click();
    run_until(harness, "the rollout view", |h| {
        h.state()
            .rollout_view()
            .is_some_and(|view| view.deployment().is_some())
    });
}

fn statuses(harness: &Harness<'_, App>) -> Vec<TargetStatus> {
    harness
        .state()
        .rollout_view()
        .map(|view| view.targets().iter().map(|target| target.status).collect())
        .unwrap_or_default()
}

fn deployment_status(harness: &Harness<'_, App>) -> Option<&'static str> {
    harness
        .state()
        .rollout_view()
        .and_then(|view| view.deployment())
        .map(|deployment| deployment.status.as_str())
}

#[test]
fn tiles_go_from_pending_to_succeeded_and_an_idle_window_stops_repainting() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path(), Duration::from_millis(60));
    connected(&mut harness);
    with_session(&harness, async |client| {
        setup_onprem_group(
            client,
            &[("web-1", None), ("web-2", None), ("web-3", None)],
            "CodeDeployDefault.OneAtATime",
        )
        .await;
    });
    let deployment_id = with_session(&harness, async |client| start_deployment(client).await);
    open_deployment(&mut harness, &deployment_id);

    run_until(&mut harness, "pending tiles", |h| {
        let statuses = statuses(h);
        statuses.len() == 3 && statuses.contains(&TargetStatus::Pending)
    });
    run_until(&mut harness, "all tiles succeeded", |h| {
        let statuses = statuses(h);
        statuses.len() == 3
            && statuses
                .iter()
                .all(|status| *status == TargetStatus::Succeeded)
    });
    run_until(&mut harness, "the deployment succeeded", |h| {
        deployment_status(h) == Some("Succeeded")
    });
    harness.get_by_label_contains("3 of 3 done: 3 succeeded");

    // Once nothing changes, the window stops asking for frames: `run`
    // fails if repaints keep coming.
    harness.run();
    assert_eq!(harness.state().page(), Page::Deployments);

    // Redeploy asks first, then opens the new deployment of the same revision.
    harness
        .get_by_role_and_label(Role::Button, "Redeploy")
        .click();
    settle(&mut harness);
    let confirm = harness
        .query_all_by_role_and_label(Role::Button, "Redeploy")
        .last()
        .expect("the dialog's Redeploy button");
    confirm.click();
    run_until(&mut harness, "the new deployment to succeed", |h| {
        h.state().rollout_view().is_some_and(|view| {
            view.deployment_id() != deployment_id
                && view
                    .deployment()
                    .is_some_and(|deployment| deployment.status.as_str() == "Succeeded")
        })
    });
}

#[test]
fn a_failed_target_opens_its_timeline_with_the_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path(), Duration::from_millis(20));
    connected(&mut harness);
    with_session(&harness, async |client| {
        setup_onprem_group(
            client,
            &[
                ("web-1", None),
                ("web-2", Some("fail:AfterInstall")),
                ("web-3", None),
            ],
            "CodeDeployDefault.AllAtOnce",
        )
        .await;
    });
    let deployment_id = with_session(&harness, async |client| start_deployment(client).await);
    open_deployment(&mut harness, &deployment_id);
    run_until(&mut harness, "the deployment to end", |h| {
        deployment_status(h).is_some_and(|status| status == "Succeeded" || status == "Failed")
    });

    // Failed tiles come first; the arrow keys select one and open its timeline.
    // Tags are read for the tiles: find an instance by its Name tag.
    run_until(&mut harness, "the tags", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.instance("web-2"))
            .is_some_and(|instance| instance.name() == Some("shop-web-2"))
    });
    harness
        .get_by_label("Find")
        .set_text_value_accesskit("shop-web-3");
    settle(&mut harness);
    harness.get_by_label("Deployment targets (1 shown)");
    harness.get_by_label("Find").set_text_value_accesskit("");
    settle(&mut harness);
    harness.get_by_label("Deployment targets (3 shown)").focus();
    settle(&mut harness);
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    harness.get_by_label("web-2");
    harness.get_by_label("ScriptFailed");
    harness.get_by_label("scripts/after_install.sh");
    let log = harness.get_by_label("Log tail").value().unwrap_or_default();
    assert!(log.contains("after_install.sh"), "log tail: {log}");
}

#[test]
fn stopping_a_running_deployment_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path(), Duration::from_millis(400));
    connected(&mut harness);
    with_session(&harness, async |client| {
        setup_onprem_group(
            client,
            &[
                ("web-1", None),
                ("web-2", None),
                ("web-3", None),
                ("web-4", None),
            ],
            "CodeDeployDefault.OneAtATime",
        )
        .await;
    });
    let deployment_id = with_session(&harness, async |client| start_deployment(client).await);
    open_deployment(&mut harness, &deployment_id);
    run_until(&mut harness, "the deployment running", |h| {
        deployment_status(h) == Some("InProgress")
    });

    harness.get_by_role_and_label(Role::Button, "Stop").click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Stop deployment")
        .click();
    run_until(&mut harness, "the deployment stopped", |h| {
        deployment_status(h) == Some("Stopped")
    });
    assert!(statuses(&harness).contains(&TargetStatus::Skipped));

    // The instance that was being deployed to reads as stopped, not as a
    // failure with an empty log to copy.
    run_until(&mut harness, "the stopped instance's events", |h| {
        h.state().rollout_view().is_some_and(|view| {
            view.targets()
                .iter()
                .any(|target| target.status == TargetStatus::Failed && !target.events.is_empty())
        })
    });
    click_first_row_tile(&mut harness, 0);
    let stopped = harness
        .state()
        .rollout_view()
        .and_then(|view| view.selected_target())
        .expect("the stopped instance's panel")
        .clone();
    assert_eq!(
        stopped.status,
        TargetStatus::Failed,
        "AWS counts it as failed"
    );
    harness.get_by_label("Stopped while it was being deployed to");
    assert!(
        harness
            .query_all_by_label_contains("was stopped")
            .next()
            .is_some()
    );
    assert!(harness.query_by_label("UnknownError").is_none());
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Copy log")
            .is_none()
    );
}

#[test]
fn a_ready_blue_green_deployment_continues_after_asking() {
    let dir = tempfile::tempdir().unwrap();
    let host = demo_cloud(Duration::from_millis(20));
    let mut harness = demo_harness_on(dir.path(), host.clone());
    connected(&mut harness);
    // Rerouting registers the replacements with the group's target group.
    web_target_group(&harness, &host);
    // The demo fleet splits between staging (the blue originals here) and
    // production (the green replacements).
    let deployment_id = with_session(&harness, async |client| {
        traffic_support::ec2_blue_green_deployment(client, "CodeDeployDefault.AllAtOnce").await
    });
    open_deployment(&mut harness, &deployment_id);
    run_until(&mut harness, "the deployment ready", |h| {
        deployment_status(h) == Some("Ready")
    });
    // The header names the target group traffic is rerouted through.
    harness.get_by_label("traffic through target group web-tg");
    // The replacements are Green and ready; the originals are Blue.
    {
        let view = harness.state().rollout_view().expect("open");
        let ready: Vec<_> = view
            .targets()
            .iter()
            .filter(|target| target.status == TargetStatus::Ready)
            .collect();
        assert!(!ready.is_empty());
        assert!(
            ready
                .iter()
                .all(|target| target.label.as_deref() == Some("Green"))
        );
        assert!(
            view.targets()
                .iter()
                .any(|target| target.label.as_deref() == Some("Blue"))
        );
    }

    // EC2 tags come from DescribeInstances: the demo fleet's Name tags.
    run_until(&mut harness, "the EC2 tags", |h| {
        h.state().rollout_view().is_some_and(|view| {
            view.targets().iter().all(|target| {
                view.instance(&target.id)
                    .and_then(|instance| instance.name())
                    .is_some_and(|name| name.starts_with("demo-"))
            })
        })
    });
    harness
        .get_by_role_and_label(Role::Button, "By tag")
        .click();
    settle(&mut harness);
    // The fleets side by side: the originals on the left, the
    // replacements on the right, the reroute step between them waiting.
    let original = harness
        .get_by_label("Original (Blue) instances (3 shown)")
        .rect();
    let replacement = harness
        .get_by_label("Replacement (Green) instances (3 shown)")
        .rect();
    assert!(
        original.max.x < replacement.min.x && (original.min.y - replacement.min.y).abs() < 1.0,
        "side by side: {original:?} and {replacement:?}"
    );
    harness.get_by_label("Reroute: waiting for you");
    harness.get_by_label("serving traffic");
    harness.get_by_label("installed; not serving yet");
    harness
        .get_by_label("Find")
        .set_text_value_accesskit("demo-001");
    settle(&mut harness);
    harness.get_by_label("Original (Blue) instances (1 shown)");
    harness.get_by_label("No instance matches the search.");
    harness.get_by_label("Find").set_text_value_accesskit("");
    settle(&mut harness);

    // A replacement's tile opens its lifecycle events, clicked with the
    // pointer.
    click_tile(&mut harness, "Replacement (Green) instances", 0);
    let selected = harness
        .state()
        .rollout_view()
        .and_then(|view| view.selected_target())
        .expect("a target chosen")
        .clone();
    assert_eq!(selected.label.as_deref(), Some("Green"));
    harness.get_by_role_and_label(Role::Button, "Close").click();
    settle(&mut harness);

    harness
        .get_by_role_and_label(Role::Button, "Continue")
        .click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Reroute traffic")
        .click();
    run_until(&mut harness, "the deployment succeeded", |h| {
        deployment_status(h) == Some("Succeeded")
    });
    settle(&mut harness);
    harness.get_by_label("Reroute: done");
    harness.get_by_label("serving traffic");
    harness.get_by_label("out of traffic; kept running");
}

/// Clicks, with the pointer, tile `position` of the first row of the grid
/// (the failed ones when grouped by status).
fn click_first_row_tile(harness: &mut Harness<'static, App>, position: usize) {
    click_tile(harness, "Deployment targets", position);
}

#[test]
fn five_instances_are_cards_and_a_success_with_a_failure_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path(), Duration::from_millis(20));
    connected(&mut harness);
    with_session(&harness, async |client| {
        setup_onprem_group(
            client,
            &[
                ("web-1", None),
                ("web-2", None),
                ("web-3", Some("fail:AfterInstall")),
                ("web-4", None),
                ("web-5", None),
            ],
            "CodeDeployDefault.HalfAtATime",
        )
        .await;
    });
    let deployment_id = with_session(&harness, async |client| start_deployment(client).await);
    open_deployment(&mut harness, &deployment_id);
    run_until(&mut harness, "the deployment succeeded", |h| {
        deployment_status(h) == Some("Succeeded")
    });
    // The header says why a deployment with a failed instance succeeded.
    run_until(&mut harness, "the explanation", |h| {
        h.query_by_label_contains("1 of 5 failed; HalfAtATime needs 3 healthy: succeeded")
            .is_some()
    });
    // Five instances get cards, not small squares.
    let tile = harness.state().rollout_view().expect("open").tile_size();
    assert!(
        tile.captions && tile.size.x >= 100.0,
        "five instances are drawn as cards: {tile:?}"
    );
}

#[test]
fn at_800_by_600_a_clicked_tile_shows_its_instance_panel() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path(), Duration::from_millis(20));
    harness.set_size(egui::vec2(800.0, 600.0));
    connected(&mut harness);
    with_session(&harness, async |client| {
        setup_onprem_group(
            client,
            &[
                ("web-1", Some("fail:AfterInstall")),
                ("web-2", None),
                ("web-3", None),
            ],
            "CodeDeployDefault.AllAtOnce",
        )
        .await;
    });
    let deployment_id = with_session(&harness, async |client| start_deployment(client).await);
    open_deployment(&mut harness, &deployment_id);
    run_until(&mut harness, "the deployment to end", |h| {
        deployment_status(h).is_some_and(|status| status == "Succeeded" || status == "Failed")
    });
    // The failed tile comes first; a pointer click opens its panel, in
    // view.
    click_first_row_tile(&mut harness, 0);
    assert_eq!(
        harness
            .state()
            .rollout_view()
            .and_then(|view| view.selected_target())
            .map(|target| target.id.as_str()),
        Some("web-1")
    );
    let heading = harness.get_by_label("web-1").rect();
    assert!(
        heading.max.x <= 800.0 && heading.min.x >= 0.0 && heading.max.y <= 600.0,
        "the instance panel is on screen: {heading:?}"
    );
    harness.get_by_label("ScriptFailed");
    // Close goes back to the grid.
    harness.get_by_role_and_label(Role::Button, "Close").click();
    settle(&mut harness);
    assert!(
        harness
            .state()
            .rollout_view()
            .is_some_and(|view| view.selected_target().is_none())
    );
}
