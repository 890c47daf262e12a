//! Deployments on the local cloud, end to end through the AWS SDK: the
//! worked examples of the CodeDeploy user guide's "Instance health" and
//! "Working with deployment configurations" pages, stop, continue,
//! automatic rollback, blue/green, bad input, paging, faults and restarts.
//!
//! Every test runs on a manual clock with one-second lifecycle events, and
//! checks what the local cloud did against the domain planner
//! ([`deploydesk::domain::simulate`]) as well as against the guide.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_codedeploy::types::{
    AutoRollbackConfiguration, AutoRollbackEvent, BlueGreenDeploymentConfiguration,
    BlueInstanceTerminationOption, DeploymentInfo, DeploymentOption, DeploymentReadyAction,
    DeploymentReadyOption, DeploymentStatus, DeploymentStyle, DeploymentTargetType, DeploymentType,
    DeploymentWaitType, ErrorCode, GreenFleetProvisioningAction, GreenFleetProvisioningOption,
    InstanceAction, InstanceTarget, LoadBalancerInfo, MinimumHealthyHostsType, TagFilter,
    TagFilterType, TargetFilterName, TargetGroupInfo, TargetInstances, TimeRange,
};
use deploy_support::{
    Checks, Cloud, EVENT_MS, SIMULATE, error_code, first_event_start, github, millis, tag_filter,
    target_status,
};
use deploydesk::domain::{
    AttemptResult, FailureReason, Health, InstanceHealth, MinimumHealthyHosts, RevisionHealth,
    RolloutOutcome, Simulation, TargetProgress, simulate,
};
use deploydesk::localcloud::ec2::InstanceState;
use deploydesk::localcloud::{FaultSpec, LocalCloudOptions, Timestamp};

const APP: &str = "shop";
const GROUP: &str = "web";
/// One in-place instance without a load balancer, deployed to for the first
/// time: six one-second events, since `ApplicationStop` has no installed
/// revision to stop and so nothing to run.
const INSTANCE_MS: i64 = 6 * EVENT_MS;
/// The same instance deployed to again: `ApplicationStop` runs the stop
/// script of the revision it installed before, seven events in all.
const REDEPLOY_MS: i64 = 7 * EVENT_MS;
const HEALTHY_CURRENT: Health = Health::new(InstanceHealth::Healthy, RevisionHealth::Current);

/// A local cloud with `count` instances tagged `Role=web` and the group
/// `shop/web` selecting them with deployment configuration `config`.
async fn fleet(count: usize, config: &str) -> (Cloud, Vec<String>) {
    let cloud = Cloud::start().await;
    let ids = cloud.launch(count, &[("Role", "web")]);
    cloud.group(APP, GROUP, "Role", "web", config).await;
    (cloud, ids)
}

/// Like [`fleet`], with a custom configuration created first.
async fn fleet_with_config(
    count: usize,
    name: &str,
    kind: MinimumHealthyHostsType,
    value: i32,
) -> (Cloud, Vec<String>) {
    let cloud = Cloud::start().await;
    cloud.config(name, kind, value).await;
    let ids = cloud.launch(count, &[("Role", "web")]);
    cloud.group(APP, GROUP, "Role", "web", name).await;
    (cloud, ids)
}

/// The waves a deployment ran, read from when each target's first event
/// started: the target ids of each wave, sorted, in the order they ran.
fn waves(targets: &[InstanceTarget]) -> Vec<Vec<String>> {
    let mut by_start: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for target in targets {
        if let Some(start) = target
            .lifecycle_events()
            .first()
            .and_then(|event| event.start_time())
        {
            by_start
                .entry(millis(start))
                .or_default()
                .push(target.target_id().unwrap().to_owned());
        }
    }
    by_start
        .into_values()
        .map(|mut wave| {
            wave.sort();
            wave
        })
        .collect()
}

/// Checks that what the local cloud did is what the domain planner
/// predicts for the same healths (in target id order), minimum and failing
/// instances: the waves, every target's status, and the outcome.
fn assert_as_planned(
    targets: &[InstanceTarget],
    info: &DeploymentInfo,
    healths: &[Health],
    minimum: MinimumHealthyHosts,
    failing: &[&str],
) -> Simulation {
    let ids: Vec<&str> = targets.iter().map(|t| t.target_id().unwrap()).collect();
    let results: Vec<AttemptResult> = ids
        .iter()
        .map(|id| {
            if failing.contains(id) {
                AttemptResult::Failed
            } else {
                AttemptResult::Succeeded
            }
        })
        .collect();
    let simulation = simulate(healths, minimum, &results).unwrap();
    let planned: Vec<Vec<String>> = simulation
        .waves
        .iter()
        .map(|wave| {
            let mut wave: Vec<String> = wave.iter().map(|&i| ids[i].to_owned()).collect();
            wave.sort();
            wave
        })
        .collect();
    assert_eq!(waves(targets), planned, "the waves are the planner's");
    for (target, progress) in targets.iter().zip(&simulation.progress) {
        let expected = match progress {
            TargetProgress::Done {
                result: AttemptResult::Succeeded,
                ..
            } => "Succeeded",
            TargetProgress::Done { .. } => "Failed",
            TargetProgress::Skipped => "Skipped",
            other => panic!("the planner left {other:?}"),
        };
        assert_eq!(target_status(target), expected, "{target:?}");
    }
    match &simulation.outcome {
        RolloutOutcome::Succeeded => {
            assert_eq!(
                info.status(),
                Some(&DeploymentStatus::Succeeded),
                "{info:?}"
            );
            assert!(info.error_information().is_none());
        }
        RolloutOutcome::Failed(reason) => {
            assert_eq!(info.status(), Some(&DeploymentStatus::Failed), "{info:?}");
            let code = info.error_information().and_then(|e| e.code()).unwrap();
            assert_eq!(code.as_str(), reason.error_code());
        }
        RolloutOutcome::Stopped => panic!("nothing was stopped"),
    }
    simulation
}

/// Runs a deployment of `revision` to its end and returns it with its targets.
async fn run(cloud: &Cloud, revision: &str) -> (DeploymentInfo, Vec<InstanceTarget>) {
    let id = cloud.deploy(APP, GROUP, revision).await;
    let info = cloud.run_to_end(&id, 200).await;
    let targets = cloud.targets(&id).await;
    (info, targets)
}

// --- "Instance health": a deployment group of ten instances.

#[tokio::test]
async fn ten_instances_with_a_95_percent_minimum_fail_before_any_is_attempted() {
    let (cloud, _) =
        fleet_with_config(10, "Min95", MinimumHealthyHostsType::FleetPercent, 95).await;
    cloud.make_healthy(APP, GROUP).await;
    let (info, targets) = run(&cloud, "v1").await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let error = info.error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::HealthConstraintsInvalid));
    assert!(error.message().unwrap().contains("10 of 10"), "{error:?}");
    assert_eq!(info.deployment_overview().unwrap().skipped(), 10);
    assert!(targets.iter().all(|t| target_status(t) == "Skipped"));
    assert!(
        targets
            .iter()
            .all(|t| first_event_start(t, cloud.now()).is_none())
    );
    assert_as_planned(
        &targets,
        &info,
        &[HEALTHY_CURRENT; 10],
        MinimumHealthyHosts::FleetPercent(95),
        &[],
    );
}

#[tokio::test]
async fn a_minimum_above_the_fleet_size_is_unreachable() {
    let (cloud, _) = fleet_with_config(4, "Min20", MinimumHealthyHostsType::HostCount, 20).await;
    let (info, _) = run(&cloud, "v1").await;
    let error = info.error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::HealthConstraintsInvalid));
    assert!(error.message().unwrap().contains("Min20"), "{error:?}");
}

#[tokio::test]
async fn ten_instances_with_a_minimum_of_nine_deploy_one_at_a_time() {
    // None: all succeed. 0..=8: a failure before the last fails the
    // deployment at once. 9: the last may fail.
    for failing in [None, Some(0), Some(4), Some(8), Some(9)] {
        let (cloud, ids) =
            fleet_with_config(10, "Min9", MinimumHealthyHostsType::HostCount, 9).await;
        cloud.make_healthy(APP, GROUP).await;
        if let Some(index) = failing {
            cloud.tag(&ids[index], SIMULATE, Some("fail:AfterInstall"));
        }
        let start = cloud.now();
        let (info, targets) = run(&cloud, "v1").await;
        let failing_ids: Vec<&str> = failing.iter().map(|&i| ids[i].as_str()).collect();
        assert_as_planned(
            &targets,
            &info,
            &[HEALTHY_CURRENT; 10],
            MinimumHealthyHosts::HostCount(9),
            &failing_ids,
        );
        // One instance a wave, in id order, each wave seven events long
        // (the warm-up installed a revision, which ApplicationStop stops).
        let attempted = failing.map_or(10, |index| index + 1);
        for (index, target) in targets.iter().enumerate() {
            let expected =
                (index < attempted).then_some(i64::try_from(index).unwrap() * REDEPLOY_MS);
            assert_eq!(
                first_event_start(target, start),
                expected,
                "{failing:?} #{index}"
            );
        }
        let expected = if failing.is_none_or(|index| index == 9) {
            DeploymentStatus::Succeeded
        } else {
            DeploymentStatus::Failed
        };
        assert_eq!(info.status(), Some(&expected), "{failing:?}");
        if expected == DeploymentStatus::Failed {
            let code = info.error_information().unwrap().code().unwrap();
            assert_eq!(code, &ErrorCode::HealthConstraints);
        }
    }
}

#[tokio::test]
async fn ten_instances_with_a_minimum_of_eight_deploy_two_at_a_time() {
    let cases: [(&[usize], DeploymentStatus); 4] = [
        (&[], DeploymentStatus::Succeeded),
        (&[2, 5], DeploymentStatus::Failed),
        (&[0, 1], DeploymentStatus::Failed),
        // The last instance is the second to fail: enough have succeeded.
        (&[3, 9], DeploymentStatus::Succeeded),
    ];
    for (failing, expected) in cases {
        let (cloud, ids) =
            fleet_with_config(10, "Min8", MinimumHealthyHostsType::HostCount, 8).await;
        cloud.make_healthy(APP, GROUP).await;
        for &index in failing {
            cloud.tag(&ids[index], SIMULATE, Some("fail:ApplicationStart"));
        }
        let (info, targets) = run(&cloud, "v1").await;
        let failing_ids: Vec<&str> = failing.iter().map(|&i| ids[i].as_str()).collect();
        assert_as_planned(
            &targets,
            &info,
            &[HEALTHY_CURRENT; 10],
            MinimumHealthyHosts::HostCount(8),
            &failing_ids,
        );
        assert_eq!(info.status(), Some(&expected), "{failing:?}");
        if failing.is_empty() {
            let sizes: Vec<usize> = waves(&targets).iter().map(Vec::len).collect();
            assert_eq!(sizes, [2, 2, 2, 2, 2]);
        }
    }
}

#[tokio::test]
async fn ten_instances_with_a_minimum_of_zero_deploy_all_at_once_and_fail_only_if_none_succeeds() {
    for failing_count in [0, 9, 10] {
        let (cloud, ids) =
            fleet_with_config(10, "Min0", MinimumHealthyHostsType::HostCount, 0).await;
        cloud.make_healthy(APP, GROUP).await;
        for id in ids.iter().take(failing_count) {
            cloud.tag(id, SIMULATE, Some("fail:ValidateService"));
        }
        let (info, targets) = run(&cloud, "v1").await;
        assert_eq!(waves(&targets).len(), 1, "one wave of all ten");
        let failing_ids: Vec<&str> = ids.iter().take(failing_count).map(String::as_str).collect();
        let simulation = assert_as_planned(
            &targets,
            &info,
            &[HEALTHY_CURRENT; 10],
            MinimumHealthyHosts::HostCount(0),
            &failing_ids,
        );
        let expected = if failing_count == 10 {
            assert_eq!(
                simulation.outcome,
                RolloutOutcome::Failed(FailureReason::NoInstanceSucceeded { failed: 10 })
            );
            DeploymentStatus::Failed
        } else {
            DeploymentStatus::Succeeded
        };
        assert_eq!(info.status(), Some(&expected), "{failing_count} failing");
    }
}

// --- "Working with deployment configurations": nine instances.

#[tokio::test]
async fn nine_instances_under_the_predefined_configurations() {
    for (config, sizes) in [
        ("CodeDeployDefault.OneAtATime", vec![1; 9]),
        ("CodeDeployDefault.HalfAtATime", vec![4, 4, 1]),
        ("CodeDeployDefault.AllAtOnce", vec![9]),
    ] {
        let (cloud, _) = fleet(9, config).await;
        let start = cloud.now();
        let (info, targets) = run(&cloud, "v1").await;
        assert_eq!(
            info.status(),
            Some(&DeploymentStatus::Succeeded),
            "{config}"
        );
        let waves = waves(&targets);
        assert_eq!(
            waves.iter().map(Vec::len).collect::<Vec<_>>(),
            sizes,
            "{config}"
        );
        let elapsed = millis(info.complete_time().unwrap()) - start.as_millis();
        assert_eq!(
            elapsed,
            i64::try_from(sizes.len()).unwrap() * INSTANCE_MS,
            "{config}"
        );
        let minimum = match config {
            "CodeDeployDefault.OneAtATime" => MinimumHealthyHosts::OneAtATime,
            "CodeDeployDefault.HalfAtATime" => MinimumHealthyHosts::FleetPercent(50),
            _ => MinimumHealthyHosts::HostCount(0),
        };
        assert_as_planned(&targets, &info, &[Health::NEW; 9], minimum, &[]);
    }
}

#[tokio::test]
async fn the_next_deployment_starts_with_the_instance_that_failed() {
    let (cloud, ids) = fleet(5, "CodeDeployDefault.OneAtATime").await;
    cloud.make_healthy(APP, GROUP).await;
    let warm_up = cloud.deployment_group().await;
    cloud.tag(&ids[3], SIMULATE, Some("fail:AfterInstall"));
    let (failed, targets) = run(&cloud, "v1").await;
    let first = assert_as_planned(
        &targets,
        &failed,
        &[HEALTHY_CURRENT; 5],
        MinimumHealthyHosts::OneAtATime,
        &[ids[3].as_str()],
    );
    assert_eq!(failed.status(), Some(&DeploymentStatus::Failed));

    // A failed deployment leaves the group's revision as it was.
    let group = cloud.deployment_group().await;
    let commit = |info: &aws_sdk_codedeploy::types::DeploymentGroupInfo| {
        info.target_revision()
            .and_then(|r| r.git_hub_location())
            .and_then(|g| g.commit_id())
            .map(str::to_owned)
    };
    assert_eq!(commit(&group).as_deref(), Some("warm-up"));
    assert_eq!(
        group.last_successful_deployment().unwrap().deployment_id(),
        warm_up
            .last_successful_deployment()
            .unwrap()
            .deployment_id()
    );
    let attempted = group.last_attempted_deployment().unwrap();
    assert_eq!(attempted.deployment_id(), failed.deployment_id());
    assert_eq!(attempted.status(), Some(&DeploymentStatus::Failed));

    // The failed instance is unhealthy now, so it goes first.
    cloud.tag(&ids[3], SIMULATE, None);
    let start = cloud.now();
    let (fixed, targets) = run(&cloud, "v2").await;
    assert_eq!(first_event_start(&targets[3], start), Some(0));
    assert_as_planned(
        &targets,
        &fixed,
        &first.health_after,
        MinimumHealthyHosts::OneAtATime,
        &[],
    );
    let order: Vec<String> = waves(&targets).into_iter().flatten().collect();
    // Unhealthy first, then old revisions, then the current one (skipped before).
    assert_eq!(order, [3, 0, 1, 2, 4].map(|i| ids[i].clone()));

    let group = cloud.deployment_group().await;
    assert_eq!(commit(&group).as_deref(), Some("v2"));
    assert_eq!(
        group.last_successful_deployment().unwrap().deployment_id(),
        fixed.deployment_id()
    );
    assert_eq!(
        fixed
            .previous_revision()
            .and_then(|r| r.git_hub_location())
            .and_then(|g| g.commit_id()),
        Some("warm-up")
    );
}

impl Cloud {
    /// The test group as `GetDeploymentGroup` returns it.
    async fn deployment_group(&self) -> aws_sdk_codedeploy::types::DeploymentGroupInfo {
        self.client
            .get_deployment_group()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .send()
            .await
            .unwrap()
            .deployment_group_info()
            .unwrap()
            .clone()
    }
}

// --- Stop, rollback, continue.

#[tokio::test]
async fn stopping_a_deployment_fails_the_running_instance_and_skips_the_rest() {
    let (cloud, ids) = fleet(3, "CodeDeployDefault.OneAtATime").await;
    let id = cloud.deploy(APP, GROUP, "v1").await;
    // The second instance is in its fourth event: its ApplicationStop had
    // nothing to stop, and it is half way through Install.
    cloud.advance(INSTANCE_MS + 2 * EVENT_MS + 500);
    let stop_time = cloud.now();
    let stopped = cloud
        .client
        .stop_deployment()
        .deployment_id(&id)
        .auto_rollback_enabled(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stopped
            .status()
            .map(aws_sdk_codedeploy::types::StopStatus::as_str),
        Some("Succeeded")
    );
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Stopped));
    assert!(info.rollback_info().is_none());
    assert_eq!(millis(info.complete_time().unwrap()), stop_time.as_millis());
    let targets = cloud.targets(&id).await;
    let statuses: Vec<&str> = targets.iter().map(target_status).collect();
    assert_eq!(statuses, ["Succeeded", "Failed", "Skipped"]);
    let events = targets[1].lifecycle_events();
    let event_statuses: Vec<&str> = events
        .iter()
        .map(|e| e.status().unwrap().as_str())
        .collect();
    assert_eq!(
        event_statuses,
        [
            "Succeeded",
            "Succeeded",
            "Succeeded",
            "Failed",
            "Skipped",
            "Skipped",
            "Skipped"
        ]
    );
    assert_eq!(millis(events[3].end_time().unwrap()), stop_time.as_millis());
    assert_eq!(targets[1].target_id(), Some(ids[1].as_str()));

    // Time moving on changes nothing, and a second stop is refused.
    cloud.advance(60_000);
    assert_eq!(cloud.targets(&id).await, targets);
    let again = cloud
        .client
        .stop_deployment()
        .deployment_id(&id)
        .send()
        .await;
    assert_eq!(error_code(again), "DeploymentAlreadyCompletedException");
}

#[tokio::test]
async fn stopping_with_rollback_redeploys_the_last_successful_revision() {
    let (cloud, _) = fleet(3, "CodeDeployDefault.AllAtOnce").await;
    cloud.make_healthy(APP, GROUP).await;
    let id = cloud.deploy(APP, GROUP, "v1").await;
    cloud.advance(2 * EVENT_MS);
    cloud
        .client
        .stop_deployment()
        .deployment_id(&id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .unwrap();
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Stopped));
    let rollback_id = info
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("a rollback deployment was created")
        .to_owned();
    let rollback = cloud.run_to_end(&rollback_id, 100).await;
    assert_eq!(rollback.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(
        rollback
            .creator()
            .map(aws_sdk_codedeploy::types::DeploymentCreator::as_str),
        Some("codeDeployRollback")
    );
    assert_eq!(
        rollback
            .rollback_info()
            .and_then(|r| r.rollback_triggering_deployment_id()),
        Some(id.as_str())
    );
    let commit = rollback
        .revision()
        .and_then(|r| r.git_hub_location())
        .and_then(|g| g.commit_id());
    assert_eq!(commit, Some("warm-up"));
    assert_eq!(
        cloud
            .deployment_group()
            .await
            .last_successful_deployment()
            .unwrap()
            .deployment_id(),
        Some(rollback_id.as_str())
    );
}

#[tokio::test]
async fn a_failed_deployment_rolls_back_when_the_group_says_so() {
    let cloud = Cloud::start().await;
    let ids = cloud.launch(2, &[("Role", "web")]);
    cloud
        .new_group(APP, GROUP)
        .await
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .ec2_tag_filters(tag_filter("Role", "web"))
        .auto_rollback_configuration(
            AutoRollbackConfiguration::builder()
                .enabled(true)
                .events(AutoRollbackEvent::DeploymentFailure)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for id in &ids {
        cloud.tag(id, SIMULATE, Some("fail:BeforeInstall"));
    }
    // Nothing has succeeded yet, so there is nothing to roll back to.
    let (first, _) = run(&cloud, "v1").await;
    assert_eq!(first.status(), Some(&DeploymentStatus::Failed));
    let rollback = first.rollback_info().expect("rollbackInfo says why not");
    assert!(rollback.rollback_deployment_id().is_none());
    assert!(
        rollback
            .rollback_message()
            .unwrap()
            .contains("no last successful revision"),
        "{rollback:?}"
    );

    for id in &ids {
        cloud.tag(id, SIMULATE, None);
    }
    let (good, _) = run(&cloud, "v2").await;
    assert_eq!(good.status(), Some(&DeploymentStatus::Succeeded));
    for id in &ids {
        cloud.tag(id, SIMULATE, Some("fail:BeforeInstall"));
    }
    let (bad, _) = run(&cloud, "v3").await;
    assert_eq!(bad.status(), Some(&DeploymentStatus::Failed));
    let rollback_id = bad
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("the failure was rolled back")
        .to_owned();
    let rollback = cloud.run_to_end(&rollback_id, 100).await;
    assert_eq!(
        rollback
            .creator()
            .map(aws_sdk_codedeploy::types::DeploymentCreator::as_str),
        Some("codeDeployRollback")
    );
    let commit = rollback
        .revision()
        .and_then(|r| r.git_hub_location())
        .and_then(|g| g.commit_id());
    assert_eq!(commit, Some("v2"));
    assert_eq!(
        rollback
            .rollback_info()
            .and_then(|r| r.rollback_triggering_deployment_id()),
        bad.deployment_id()
    );
    // The instances still fail, so the rollback fails; a rollback is not
    // rolled back in turn.
    assert_eq!(rollback.status(), Some(&DeploymentStatus::Failed));
    assert!(
        rollback
            .rollback_info()
            .and_then(|r| r.rollback_deployment_id())
            .is_none()
    );
    assert_eq!(
        cloud
            .client
            .list_deployments()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .send()
            .await
            .unwrap()
            .deployments()
            .len(),
        4
    );
}

/// A deployment style of `kind` behind a load balancer.
fn with_traffic_control(kind: DeploymentType) -> DeploymentStyle {
    DeploymentStyle::builder()
        .deployment_type(kind)
        .deployment_option(DeploymentOption::WithTrafficControl)
        .build()
}

/// The health checks of `web-tg`: every 5 seconds, healthy after 2
/// passes; deregistered targets drain for 30 seconds.
const WEB_TG_CHECKS: Checks = Checks {
    interval_seconds: 5,
    healthy_threshold: 2,
    drain_seconds: 30,
};
/// How long an instance registered with `web-tg` takes to turn healthy.
const WEB_TG_HEALTHY_MS: i64 = 10_000;

/// A load balancer's target group, `web-tg`.
fn web_load_balancer() -> LoadBalancerInfo {
    LoadBalancerInfo::builder()
        .target_group_info_list(TargetGroupInfo::builder().name("web-tg").build())
        .build()
}

/// A blue/green group: originals tagged `Role=blue`, a load balancer, and
/// the given ready and termination options.
async fn blue_green_group(
    cloud: &Cloud,
    ready: DeploymentReadyOption,
    termination: BlueInstanceTerminationOption,
    provisioning: GreenFleetProvisioningAction,
) {
    cloud.target_group("web-tg", WEB_TG_CHECKS).await;
    cloud
        .new_group(APP, GROUP)
        .await
        .deployment_config_name("CodeDeployDefault.HalfAtATime")
        .ec2_tag_filters(tag_filter("Role", "blue"))
        .deployment_style(with_traffic_control(DeploymentType::BlueGreen))
        .load_balancer_info(web_load_balancer())
        .blue_green_deployment_configuration(
            BlueGreenDeploymentConfiguration::builder()
                .deployment_ready_option(ready)
                .terminate_blue_instances_on_deployment_success(termination)
                .green_fleet_provisioning_option(
                    GreenFleetProvisioningOption::builder()
                        .action(provisioning)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// Deploys to the blue/green group with replacement instances tagged `Role=green`.
async fn deploy_blue_green(cloud: &Cloud, revision: &str) -> String {
    cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(github(revision))
        .target_instances(
            TargetInstances::builder()
                .tag_filters(tag_filter("Role", "green"))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn blue_green_waits_ready_then_reroutes_and_terminates_the_originals() {
    let cloud = Cloud::start().await;
    let blue = cloud.launch(2, &[("Role", "blue")]);
    let green = cloud.launch(4, &[("Role", "green")]);
    blue_green_group(
        &cloud,
        DeploymentReadyOption::builder()
            .action_on_timeout(DeploymentReadyAction::StopDeployment)
            .wait_time_in_minutes(30)
            .build(),
        BlueInstanceTerminationOption::builder()
            .action(InstanceAction::Terminate)
            .termination_wait_time_in_minutes(5)
            .build(),
        GreenFleetProvisioningAction::DiscoverExisting,
    )
    .await;
    let id = deploy_blue_green(&cloud, "v1").await;
    let start = cloud.now();

    // Half at a time over the four replacement instances: two waves.
    cloud.advance(2 * INSTANCE_MS);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Ready));
    let overview = info.deployment_overview().unwrap();
    assert_eq!((overview.ready(), overview.pending()), (4, 2));
    let targets = cloud.targets(&id).await;
    let green_waves = waves(&targets);
    assert_eq!(green_waves.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    for target in &targets {
        let id = target.target_id().unwrap().to_owned();
        let label = target.instance_label().unwrap().as_str();
        if green.contains(&id) {
            assert_eq!((label, target_status(target)), ("Green", "Ready"));
            assert_eq!(target.lifecycle_events().len(), 10);
        } else {
            assert!(blue.contains(&id));
            assert_eq!((label, target_status(target)), ("Blue", "Pending"));
            let names: Vec<&str> = target
                .lifecycle_events()
                .iter()
                .map(|e| e.lifecycle_event_name().unwrap())
                .collect();
            assert_eq!(
                names,
                ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
            );
        }
    }
    let not_waiting = cloud
        .client
        .continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::TerminationWait)
        .send()
        .await;
    assert_eq!(
        error_code(not_waiting),
        "DeploymentIsNotInReadyStateException"
    );

    // Nothing moves while it waits.
    cloud.advance(10 * 60_000);
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Ready);
    let reroute = cloud.now();
    cloud
        .client
        .continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::ReadyWait)
        .send()
        .await
        .unwrap();
    // Green instances allow traffic (until the target group counts them
    // healthy), then blue ones block it (they were never registered, so
    // there is nothing to drain).
    cloud.advance(2 * EVENT_MS + WEB_TG_HEALTHY_MS);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::InProgress));
    assert!(info.instance_termination_wait_time_started());
    let targets = cloud.targets(&id).await;
    for target in &targets {
        assert_eq!(target_status(target), "Succeeded", "{target:?}");
        let events = target.lifecycle_events();
        let first_traffic = events
            .iter()
            .find(|e| e.lifecycle_event_name().unwrap().contains("Traffic"))
            .unwrap();
        let offset = millis(first_traffic.start_time().unwrap()) - reroute.as_millis();
        if target.instance_label().unwrap().as_str() == "Green" {
            assert_eq!(
                first_traffic.lifecycle_event_name(),
                Some("BeforeAllowTraffic")
            );
            assert_eq!(offset, 0);
        } else {
            assert_eq!(
                first_traffic.lifecycle_event_name(),
                Some("BeforeBlockTraffic")
            );
            assert_eq!(offset, 2 * EVENT_MS + WEB_TG_HEALTHY_MS);
        }
    }
    assert_eq!(millis(info.create_time().unwrap()), start.as_millis());

    // Skip the rest of the five-minute wait: the originals are terminated.
    cloud
        .client
        .continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::TerminationWait)
        .send()
        .await
        .unwrap();
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Succeeded);
    let world = cloud.local.snapshot();
    for id in &blue {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Terminated);
    }
    for id in &green {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Running);
    }
    // The next deployment's originals are what the group's tags select.
    let again = cloud
        .client
        .continue_deployment()
        .deployment_id(&id)
        .send()
        .await;
    assert_eq!(error_code(again), "DeploymentAlreadyCompletedException");
}

#[tokio::test]
async fn blue_green_that_is_not_continued_in_time_is_stopped() {
    let cloud = Cloud::start().await;
    cloud.launch(1, &[("Role", "blue")]);
    cloud.launch(2, &[("Role", "green")]);
    blue_green_group(
        &cloud,
        DeploymentReadyOption::builder()
            .action_on_timeout(DeploymentReadyAction::StopDeployment)
            .wait_time_in_minutes(15)
            .build(),
        BlueInstanceTerminationOption::builder()
            .action(InstanceAction::KeepAlive)
            .build(),
        GreenFleetProvisioningAction::DiscoverExisting,
    )
    .await;
    let id = deploy_blue_green(&cloud, "v1").await;
    cloud.advance(2 * INSTANCE_MS);
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Ready);
    cloud.advance(15 * 60_000);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Stopped));
    assert_eq!(
        info.error_information().and_then(|e| e.code()),
        Some(&ErrorCode::Timeout)
    );
}

#[tokio::test]
async fn blue_green_copying_the_fleet_reroutes_at_once_and_keeps_the_originals() {
    let cloud = Cloud::start().await;
    let blue = cloud.launch(2, &[("Role", "blue"), ("Tier", "front")]);
    blue_green_group(
        &cloud,
        DeploymentReadyOption::builder()
            .action_on_timeout(DeploymentReadyAction::ContinueDeployment)
            .build(),
        BlueInstanceTerminationOption::builder()
            .action(InstanceAction::KeepAlive)
            .build(),
        GreenFleetProvisioningAction::CopyAutoScalingGroup,
    )
    .await;
    let id = cloud.deploy(APP, GROUP, "v1").await;
    let info = cloud.run_to_end(&id, 100).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert!(!info.instance_termination_wait_time_started());
    let targets = cloud.targets(&id).await;
    let greens: Vec<&InstanceTarget> = targets
        .iter()
        .filter(|t| {
            t.instance_label()
                .map(aws_sdk_codedeploy::types::TargetLabel::as_str)
                == Some("Green")
        })
        .collect();
    assert_eq!(greens.len(), 2);
    let world = cloud.local.snapshot();
    for green in greens {
        let instance = &world.ec2.instances[green.target_id().unwrap()];
        assert!(!blue.contains(&instance.instance_id));
        assert_eq!(instance.tags["Tier"], "front");
        assert_eq!(instance.state, InstanceState::Running);
    }
    for id in &blue {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Running);
    }
    // In-place deployments cannot be continued; blue/green ones need
    // their replacement instances.
    let missing = cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(github("v2"))
        .target_instances(
            TargetInstances::builder()
                .auto_scaling_groups("asg")
                .build(),
        )
        .send()
        .await;
    assert_eq!(error_code(missing), "InvalidTargetInstancesException");
}

#[tokio::test]
async fn load_balanced_in_place_moves_traffic_and_the_revision_records_its_use() {
    let cloud = Cloud::start().await;
    cloud.launch(2, &[("Role", "web")]);
    cloud.target_group("web-tg", WEB_TG_CHECKS).await;
    cloud
        .new_group(APP, GROUP)
        .await
        .ec2_tag_filters(tag_filter("Role", "web"))
        .deployment_style(with_traffic_control(DeploymentType::InPlace))
        .load_balancer_info(web_load_balancer())
        .send()
        .await
        .unwrap();
    let (info, targets) = run(&cloud, "v1").await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    for target in &targets {
        let names: Vec<&str> = target
            .lifecycle_events()
            .iter()
            .map(|e| e.lifecycle_event_name().unwrap())
            .collect();
        assert_eq!(names.len(), 13);
        assert_eq!(names.first(), Some(&"BeforeBlockTraffic"));
        assert_eq!(names.last(), Some(&"AfterAllowTraffic"));
    }
    // One at a time (the group's default), thirteen events each, of which
    // the three that stop the installed revision have nothing to run on a
    // first deployment, `BlockTraffic` has no registration to undo, and
    // `AllowTraffic` lasts until the target group counts the instance
    // healthy.
    let created = millis(info.create_time().unwrap());
    assert_eq!(
        millis(info.complete_time().unwrap()) - created,
        2 * (8 * EVENT_MS + WEB_TG_HEALTHY_MS)
    );

    let revision = cloud
        .client
        .get_application_revision()
        .application_name(APP)
        .revision(github("v1"))
        .send()
        .await
        .unwrap();
    let revision = revision.revision_info().unwrap();
    assert_eq!(millis(revision.first_used_time().unwrap()), created);
    assert_eq!(millis(revision.last_used_time().unwrap()), created);
    assert_eq!(revision.deployment_groups(), [GROUP.to_owned()]);
}

// --- What the agent reports.

#[tokio::test]
async fn failing_instances_report_diagnostics_like_a_real_agent() {
    let (cloud, ids) = fleet(4, "CodeDeployDefault.AllAtOnce").await;
    cloud.tag(&ids[0], SIMULATE, Some("fail:AfterInstall"));
    cloud.tag(&ids[1], SIMULATE, Some("timeout:ValidateService"));
    cloud.tag(&ids[2], SIMULATE, Some("slow"));
    cloud.local.with_world(|world| {
        world
            .ec2
            .set_state(&ids[3], InstanceState::Stopped, Timestamp::from_secs(0));
    });
    let start = cloud.now();
    let (info, targets) = run(&cloud, "v1").await;
    // The slow instance succeeds, so the deployment does.
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let statuses: Vec<&str> = targets.iter().map(target_status).collect();
    assert_eq!(statuses, ["Failed", "Failed", "Succeeded", "Failed"]);

    let failed = &targets[0].lifecycle_events()[4];
    assert_eq!(failed.lifecycle_event_name(), Some("AfterInstall"));
    let diagnostics = failed.diagnostics().unwrap();
    assert_eq!(
        diagnostics
            .error_code()
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("ScriptFailed")
    );
    assert_eq!(diagnostics.script_name(), Some("scripts/after_install.sh"));
    assert!(
        diagnostics
            .message()
            .unwrap()
            .contains("failed with exit code 1")
    );
    let log = diagnostics.log_tail().unwrap();
    assert!(
        log.contains("LifecycleEvent - AfterInstall") && log.contains("[stderr]"),
        "{log}"
    );
    let later: Vec<&str> = targets[0].lifecycle_events()[5..]
        .iter()
        .map(|e| e.status().unwrap().as_str())
        .collect();
    assert_eq!(later, ["Skipped", "Skipped"]);

    let timed_out = targets[1].lifecycle_events()[6].diagnostics().unwrap();
    assert_eq!(
        timed_out
            .error_code()
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("ScriptTimedOut")
    );
    assert!(timed_out.log_tail().unwrap().len() <= 4096);
    assert!(timed_out.message().unwrap().contains("failed to complete"));

    let slow_end = targets[2].lifecycle_events()[6].end_time().unwrap();
    assert_eq!(millis(slow_end) - start.as_millis(), 5 * INSTANCE_MS);

    let stopped = targets[3].lifecycle_events()[0].diagnostics().unwrap();
    assert!(
        stopped.message().unwrap().contains("is stopped"),
        "{stopped:?}"
    );
}

#[tokio::test]
async fn instances_without_an_agent_fail_with_agent_issue() {
    let (cloud, ids) = fleet(2, "CodeDeployDefault.AllAtOnce").await;
    for id in &ids {
        cloud.tag(id, SIMULATE, Some("no-agent"));
    }
    let (info, targets) = run(&cloud, "v1").await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    assert_eq!(
        info.error_information().and_then(|e| e.code()),
        Some(&ErrorCode::AgentIssue)
    );
    let first = &targets[0].lifecycle_events()[0];
    assert_eq!(first.lifecycle_event_name(), Some("ApplicationStop"));
    assert_eq!(
        first.diagnostics().and_then(|d| d.message()),
        Some(
            "CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy agent logs on your host and make sure the agent is running and can connect to the CodeDeploy server."
        )
    );
}

// --- Bad input.

#[tokio::test]
#[allow(deprecated)] // BatchGetDeploymentInstances is deprecated but still served.
async fn bad_deployment_requests_get_the_aws_errors() {
    let (cloud, _) = fleet(2, "CodeDeployDefault.OneAtATime").await;
    let client = &cloud.client;

    let missing_group = client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name("nope")
        .revision(github("v1"))
        .send()
        .await;
    assert_eq!(
        error_code(missing_group),
        "DeploymentGroupDoesNotExistException"
    );
    let missing_app = client
        .create_deployment()
        .application_name("nope")
        .deployment_group_name(GROUP)
        .revision(github("v1"))
        .send()
        .await;
    assert_eq!(error_code(missing_app), "ApplicationDoesNotExistException");
    let no_revision = client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .send()
        .await;
    assert_eq!(error_code(no_revision), "RevisionRequiredException");
    let bad_config = client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(github("v1"))
        .deployment_config_name("NoSuchConfig")
        .send()
        .await;
    assert_eq!(
        error_code(bad_config),
        "DeploymentConfigDoesNotExistException"
    );
    let in_place_targets = client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(github("v1"))
        .target_instances(
            TargetInstances::builder()
                .tag_filters(tag_filter("A", "b"))
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        error_code(in_place_targets),
        "InvalidTargetInstancesException"
    );

    let id = cloud.deploy(APP, GROUP, "v1").await;
    assert!(id.starts_with("d-") && id.len() == 11, "{id}");
    assert!(
        id[2..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    let second = client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(github("v2"))
        .send()
        .await;
    assert_eq!(error_code(second), "DeploymentLimitExceededException");
    let in_place = client.continue_deployment().deployment_id(&id).send().await;
    assert_eq!(
        error_code(in_place),
        "UnsupportedActionForDeploymentTypeException"
    );

    let ids: Vec<String> = (0..26).map(|_| id.clone()).collect();
    let too_many = client
        .batch_get_deployments()
        .set_deployment_ids(Some(ids.clone()))
        .send()
        .await;
    assert_eq!(error_code(too_many), "BatchLimitExceededException");
    let too_many_targets = client
        .batch_get_deployment_targets()
        .deployment_id(&id)
        .set_target_ids(Some(ids.clone()))
        .send()
        .await;
    assert_eq!(
        error_code(too_many_targets),
        "DeploymentTargetListSizeExceededException"
    );
    let too_many_instances = client
        .batch_get_deployment_instances()
        .deployment_id(&id)
        .set_instance_ids(Some(ids))
        .send()
        .await;
    assert_eq!(
        error_code(too_many_instances),
        "BatchLimitExceededException"
    );
    let unknown_target = client
        .batch_get_deployment_targets()
        .deployment_id(&id)
        .target_ids("i-00000000000000000")
        .send()
        .await;
    assert_eq!(
        error_code(unknown_target),
        "DeploymentTargetDoesNotExistException"
    );
    let malformed = client.get_deployment().deployment_id("x-1").send().await;
    assert_eq!(error_code(malformed), "InvalidDeploymentIdException");
    let unknown = client
        .get_deployment()
        .deployment_id("d-AAAAAAAAA")
        .send()
        .await;
    assert_eq!(error_code(unknown), "DeploymentDoesNotExistException");
    let bad_filter = client
        .list_deployment_targets()
        .deployment_id(&id)
        .target_filters(TargetFilterName::TargetStatus, vec!["Sleeping".to_owned()])
        .send()
        .await;
    assert_eq!(error_code(bad_filter), "InvalidInstanceStatusException");
    let label_in_place = client
        .list_deployment_targets()
        .deployment_id(&id)
        .target_filters(
            TargetFilterName::ServerInstanceLabel,
            vec!["Blue".to_owned()],
        )
        .send()
        .await;
    assert_eq!(
        error_code(label_in_place),
        "InvalidDeploymentInstanceTypeException"
    );
    let half_filter = client.list_deployments().application_name(APP).send().await;
    assert_eq!(
        error_code(half_filter),
        "DeploymentGroupNameRequiredException"
    );

    let info = cloud.run_to_end(&id, 100).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let finished = client.stop_deployment().deployment_id(&id).send().await;
    assert_eq!(error_code(finished), "DeploymentAlreadyCompletedException");
}

#[tokio::test]
async fn a_group_that_selects_no_instances_fails_with_no_instances() {
    let cloud = Cloud::start().await;
    cloud.launch(3, &[("Role", "db")]);
    cloud
        .group(APP, GROUP, "Role", "web", "CodeDeployDefault.OneAtATime")
        .await;
    let (info, targets) = run(&cloud, "v1").await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let error = info.error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::NoInstances));
    assert!(error.message().unwrap().contains("no instances were found"));
    assert!(targets.is_empty());
}

// --- Lists, paging and the older instance operations.

#[tokio::test]
async fn deployments_are_listed_newest_first_with_filters_and_pages() {
    let cloud = Cloud::start().await;
    cloud.launch(1, &[("Role", "web")]);
    cloud
        .group(APP, GROUP, "Role", "web", "CodeDeployDefault.OneAtATime")
        .await;
    cloud
        .group(APP, "empty", "Role", "none", "CodeDeployDefault.OneAtATime")
        .await;
    let mut created = Vec::new();
    for index in 0..103 {
        created.push(cloud.deploy(APP, "empty", &format!("c{index}")).await);
        cloud.advance(1000);
    }
    let succeeded = cloud.deploy(APP, GROUP, "v1").await;
    cloud.run_to_end(&succeeded, 100).await;

    let mut listed = Vec::new();
    let mut pages = cloud
        .client
        .list_deployments()
        .application_name(APP)
        .deployment_group_name("empty")
        .into_paginator()
        .send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        listed.extend(page.unwrap().deployments().to_vec());
        page_count += 1;
    }
    assert_eq!(page_count, 2);
    created.reverse();
    assert_eq!(listed, created, "newest first, every one once");

    let all = cloud.client.list_deployments().send().await.unwrap();
    assert_eq!(all.deployments().first(), Some(&succeeded));
    let only_succeeded = cloud
        .client
        .list_deployments()
        .include_only_statuses(DeploymentStatus::Succeeded)
        .send()
        .await
        .unwrap();
    assert_eq!(
        only_succeeded.deployments(),
        std::slice::from_ref(&succeeded)
    );
    let earliest = aws_smithy_types::DateTime::from_secs(deploy_support::START.as_millis() / 1000);
    let first_two = cloud
        .client
        .list_deployments()
        .create_time_range(
            TimeRange::builder()
                .start(earliest)
                .end(aws_smithy_types::DateTime::from_secs(
                    deploy_support::START.as_millis() / 1000 + 1,
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        first_two.deployments(),
        [created[101].clone(), created[102].clone()]
    );
    let batch = cloud
        .client
        .batch_get_deployments()
        .deployment_ids(&succeeded)
        .deployment_ids(&created[0])
        .deployment_ids("d-ZZZZZZZZZ")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.deployments_info().len(), 2);
}

#[tokio::test]
#[allow(deprecated)] // The instance operations are deprecated but still served.
async fn targets_are_paged_and_filtered_and_the_instance_operations_agree() {
    let (cloud, ids) = fleet(120, "CodeDeployDefault.AllAtOnce").await;
    cloud.tag(&ids[7], SIMULATE, Some("fail:BeforeInstall"));
    let id = cloud.deploy(APP, GROUP, "v1").await;
    let info = cloud.run_to_end(&id, 100).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let targets = cloud.targets(&id).await;
    assert_eq!(targets.len(), 120);
    let listed: Vec<String> = targets
        .iter()
        .map(|t| t.target_id().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ids);
    let first_page = cloud
        .client
        .list_deployment_targets()
        .deployment_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(first_page.target_ids().len(), 100);
    assert!(first_page.next_token().is_some());

    let failed = cloud
        .client
        .list_deployment_targets()
        .deployment_id(&id)
        .target_filters(TargetFilterName::TargetStatus, vec!["Failed".to_owned()])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.target_ids(), [ids[7].clone()]);

    let one = cloud
        .client
        .get_deployment_target()
        .deployment_id(&id)
        .target_id(&ids[7])
        .send()
        .await
        .unwrap();
    let target = one.deployment_target().unwrap();
    assert_eq!(
        target.deployment_target_type(),
        Some(&DeploymentTargetType::InstanceTarget)
    );
    let instance = target.instance_target().unwrap();
    assert_eq!(target_status(instance), "Failed");
    assert_eq!(
        instance.target_arn(),
        Some(format!("arn:aws:ec2:us-east-1:000000000000:instance/{}", ids[7]).as_str())
    );

    let instances = cloud
        .client
        .list_deployment_instances()
        .deployment_id(&id)
        .instance_status_filter(aws_sdk_codedeploy::types::InstanceStatus::Failed)
        .send()
        .await
        .unwrap();
    assert_eq!(instances.instances_list(), [ids[7].clone()]);
    let summaries = cloud
        .client
        .batch_get_deployment_instances()
        .deployment_id(&id)
        .instance_ids(&ids[7])
        .instance_ids("i-0000000000000000f")
        .send()
        .await
        .unwrap();
    assert_eq!(summaries.instances_summary().len(), 1);
    assert!(
        summaries
            .error_message()
            .unwrap()
            .contains("i-0000000000000000f")
    );
    let summary = cloud
        .client
        .get_deployment_instance()
        .deployment_id(&id)
        .instance_id(&ids[0])
        .send()
        .await
        .unwrap();
    let summary = summary.instance_summary().unwrap();
    assert_eq!(
        summary
            .status()
            .map(aws_sdk_codedeploy::types::InstanceStatus::as_str),
        Some("Succeeded")
    );
    assert!(summary.instance_id().unwrap().ends_with(&ids[0]));
    assert_eq!(summary.lifecycle_events().len(), 7);
}

#[tokio::test]
async fn on_premises_instances_are_deployed_to_by_their_tags() {
    let cloud = Cloud::start().await;
    for name in ["rack-1", "rack-2", "lab-1"] {
        cloud
            .client
            .register_on_premises_instance()
            .instance_name(name)
            .iam_user_arn(format!("arn:aws:iam::000000000000:user/{name}"))
            .send()
            .await
            .unwrap();
        let site = if name.starts_with("rack") {
            "dc"
        } else {
            "lab"
        };
        cloud
            .client
            .add_tags_to_on_premises_instances()
            .instance_names(name)
            .tags(
                aws_sdk_codedeploy::types::Tag::builder()
                    .key("Site")
                    .value(site)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    cloud
        .new_group(APP, GROUP)
        .await
        .on_premises_instance_tag_filters(
            TagFilter::builder()
                .key("Site")
                .value("dc")
                .r#type(TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (info, targets) = run(&cloud, "v1").await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let ids: Vec<&str> = targets.iter().map(|t| t.target_id().unwrap()).collect();
    assert_eq!(ids, ["rack-1", "rack-2"]);
    assert!(
        targets[0]
            .target_arn()
            .unwrap()
            .contains(":instance/rack-1")
    );
}

// --- Time, restarts, the fleet and faults.

#[tokio::test]
async fn a_running_deployment_survives_a_restart_and_resumes_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let cloud = Cloud::start_with_state(path.clone(), deploy_support::START).await;
    let ids = cloud.launch(3, &[("Role", "web")]);
    cloud
        .group(APP, GROUP, "Role", "web", "CodeDeployDefault.OneAtATime")
        .await;
    let id = cloud.deploy(APP, GROUP, "v1").await;
    cloud.advance(INSTANCE_MS + 3 * EVENT_MS);
    let before = cloud.targets(&id).await;
    let stopped_at = cloud.now();
    cloud.local.shutdown().await;

    // Ten minutes later the local cloud starts again: the deployment goes
    // on from where it stood, ten minutes later.
    let pause = 10 * 60_000;
    let cloud = Cloud::start_with_state(path, stopped_at.plus_millis(pause)).await;
    assert_eq!(cloud.status(&id).await, DeploymentStatus::InProgress);
    assert_eq!(cloud.targets(&id).await, before);
    let info = cloud.run_to_end(&id, 100).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let targets = cloud.targets(&id).await;
    let start = millis(info.create_time().unwrap());
    let starts: Vec<i64> = targets
        .iter()
        .map(|t| millis(t.lifecycle_events()[0].start_time().unwrap()) - start)
        .collect();
    assert_eq!(starts, [0, INSTANCE_MS, 2 * INSTANCE_MS + pause]);
    assert_eq!(targets.len(), ids.len());
}

#[tokio::test]
async fn a_fleet_is_seeded_and_split_between_environments() {
    let cloud = Cloud::start_with(LocalCloudOptions {
        fleet: 6,
        event_duration: Duration::from_millis(EVENT_MS as u64),
        ..LocalCloudOptions::default()
    })
    .await;
    let world = cloud.local.snapshot();
    assert_eq!(world.ec2.instances.len(), 6);
    cloud
        .group(
            APP,
            GROUP,
            "Environment",
            "staging",
            "CodeDeployDefault.AllAtOnce",
        )
        .await;
    let (info, targets) = run(&cloud, "v1").await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let mut names: Vec<String> = targets
        .iter()
        .map(|t| world.ec2.instances[t.target_id().unwrap()].tags["Name"].clone())
        .collect();
    names.sort();
    assert_eq!(names, ["demo-001", "demo-002", "demo-003"]);
}

#[tokio::test]
async fn faults_throttle_and_fail_requests_and_every_request_is_counted() {
    let cloud = Cloud::start_with(LocalCloudOptions {
        faults: FaultSpec::parse(
            "codedeploy:GetDeployment=throttle:1;codedeploy:ListDeployments=error:1;codedeploy=latency:1ms",
        )
        .unwrap(),
        ..LocalCloudOptions::default()
    })
    .await;
    cloud.local.reset_request_counts();
    let throttled = cloud
        .client
        .get_deployment()
        .deployment_id("d-AAAAAAAAA")
        .send()
        .await;
    let error = throttled.unwrap_err();
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 400);
    assert_eq!(error_code(Err::<(), _>(error)), "ThrottlingException");
    let failed = cloud.client.list_deployments().send().await.unwrap_err();
    assert_eq!(failed.raw_response().unwrap().status().as_u16(), 500);
    cloud.client.list_applications().send().await.unwrap();
    cloud.client.list_applications().send().await.unwrap();
    let counts = cloud.local.request_counts();
    assert_eq!(counts.get("codedeploy:GetDeployment"), Some(&1));
    assert_eq!(counts.get("codedeploy:ListDeployments"), Some(&1));
    assert_eq!(counts.get("codedeploy:ListApplications"), Some(&2));
}
