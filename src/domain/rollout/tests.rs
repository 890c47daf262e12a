//! One test per worked example of the CodeDeploy user guide pages "Instance
//! health" and "Working with deployment configurations", plus the edges the
//! model has to get right.

use super::*;
use crate::domain::config::DeploymentConfig;
use crate::domain::health::{InstanceHealth, RevisionHealth};

const HEALTHY_CURRENT: Health = Health::new(InstanceHealth::Healthy, RevisionHealth::Current);
const HEALTHY_OLD: Health = Health::new(InstanceHealth::Healthy, RevisionHealth::Old);
const S: AttemptResult = AttemptResult::Succeeded;
const F: AttemptResult = AttemptResult::Failed;

fn healthy_fleet(count: usize) -> Vec<Health> {
    vec![HEALTHY_CURRENT; count]
}

fn wave_sizes(simulation: &Simulation) -> Vec<usize> {
    simulation.waves.iter().map(Vec::len).collect()
}

/// Results where the instances at the given positions of the scheduling order fail.
fn failing_at(count: usize, positions: &[usize]) -> Vec<AttemptResult> {
    (0..count)
        .map(|index| if positions.contains(&index) { F } else { S })
        .collect()
}

fn host_count(count: i64) -> MinimumHealthyHosts {
    MinimumHealthyHosts::host_count(count).unwrap()
}

fn percent(value: i64) -> MinimumHealthyHosts {
    MinimumHealthyHosts::fleet_percent(value).unwrap()
}

// --- "Instance health": the examples assume a deployment group of 10 instances.

#[test]
fn ten_hosts_min_95_percent_fails_before_deploying_to_any() {
    let simulation = plan(&healthy_fleet(10), percent(95)).unwrap();
    assert_eq!(simulation.minimum, 10);
    assert_eq!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::MinimumUnreachableAtStart {
            minimum: 10,
            total: 10
        })
    );
    assert!(simulation.waves.is_empty());
    assert!(
        simulation
            .progress
            .iter()
            .all(|progress| *progress == TargetProgress::Skipped)
    );
    assert_eq!(
        FailureReason::MinimumUnreachableAtStart {
            minimum: 10,
            total: 10
        }
        .error_code(),
        "HEALTH_CONSTRAINTS_INVALID"
    );
}

#[test]
fn ten_hosts_min_nine_deploys_one_at_a_time() {
    let simulation = plan(&healthy_fleet(10), host_count(9)).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![1; 10]);
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    assert_eq!(simulation.succeeded, 10);
}

#[test]
fn ten_hosts_min_nine_fails_at_once_when_any_but_the_last_fails() {
    for failing in 0..9 {
        let simulation = simulate(
            &healthy_fleet(10),
            host_count(9),
            &failing_at(10, &[failing]),
        )
        .unwrap();
        assert_eq!(
            simulation.outcome,
            RolloutOutcome::Failed(FailureReason::HealthyCountReachedMinimum {
                healthy: 9,
                minimum: 9,
                failed: 1,
                after_wave: failing + 1,
            }),
            "instance {failing} failing"
        );
        assert_eq!(simulation.waves.len(), failing + 1);
        // Nothing after the failure is attempted.
        assert!(
            simulation.progress[failing + 1..]
                .iter()
                .all(|progress| *progress == TargetProgress::Skipped)
        );
    }
}

#[test]
fn ten_hosts_min_nine_still_succeeds_when_only_the_last_fails() {
    let simulation = simulate(&healthy_fleet(10), host_count(9), &failing_at(10, &[9])).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    assert_eq!(simulation.succeeded, 9);
    assert_eq!(simulation.failed, 1);
}

#[test]
fn ten_hosts_min_eight_deploys_two_at_a_time() {
    let simulation = plan(&healthy_fleet(10), host_count(8)).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![2; 5]);
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn ten_hosts_min_eight_fails_when_two_fail() {
    let simulation = simulate(&healthy_fleet(10), host_count(8), &failing_at(10, &[0, 1])).unwrap();
    assert_eq!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::HealthyCountReachedMinimum {
            healthy: 8,
            minimum: 8,
            failed: 2,
            after_wave: 1,
        })
    );
    // Failures in different waves count up the same way.
    let simulation = simulate(&healthy_fleet(10), host_count(8), &failing_at(10, &[1, 4])).unwrap();
    assert!(matches!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::HealthyCountReachedMinimum { failed: 2, .. })
    ));
    assert_eq!(
        simulation.outcome.clone().error_code_for_test(),
        "HEALTH_CONSTRAINTS"
    );
}

#[test]
fn ten_hosts_min_eight_after_one_failure_continues_one_at_a_time() {
    let simulation = simulate(&healthy_fleet(10), host_count(8), &failing_at(10, &[0])).unwrap();
    // One failure leaves nine healthy: only one more may be offline at a time.
    assert_eq!(wave_sizes(&simulation), vec![2, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn ten_hosts_min_eight_still_succeeds_when_the_last_is_the_second_to_fail() {
    let simulation = simulate(&healthy_fleet(10), host_count(8), &failing_at(10, &[0, 9])).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    assert_eq!(simulation.succeeded, 8);
}

#[test]
fn ten_hosts_min_zero_deploys_to_all_at_once() {
    let simulation = plan(&healthy_fleet(10), host_count(0)).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![10]);
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn ten_hosts_min_zero_succeeds_if_one_instance_succeeds() {
    let all_but_one: Vec<usize> = (0..9).collect();
    let simulation = simulate(
        &healthy_fleet(10),
        host_count(0),
        &failing_at(10, &all_but_one),
    )
    .unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    assert_eq!(simulation.succeeded, 1);
}

#[test]
fn ten_hosts_min_zero_fails_if_no_instance_succeeds() {
    let simulation = simulate(&healthy_fleet(10), host_count(0), &[F; 10]).unwrap();
    assert_eq!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::NoInstanceSucceeded { failed: 10 })
    );
}

#[test]
fn ten_hosts_min_85_percent_fails_on_a_single_failure() {
    // The guide's introduction: 85% of 10 is rounded up to 9.
    let simulation = simulate(&healthy_fleet(10), percent(85), &failing_at(10, &[3])).unwrap();
    assert_eq!(simulation.minimum, 9);
    assert!(matches!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::HealthyCountReachedMinimum { .. })
    ));
}

// --- "Working with deployment configurations": nine instances.

#[test]
fn nine_hosts_all_at_once_deploys_to_all_nine_together() {
    let config = DeploymentConfig::all_at_once();
    let simulation = plan(&healthy_fleet(9), config.minimum_healthy_hosts).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![9]);
    assert_eq!(simulation.successes_needed, 1);
}

#[test]
fn nine_hosts_all_at_once_fails_only_if_all_nine_fail() {
    let minimum = DeploymentConfig::all_at_once().minimum_healthy_hosts;
    let eight_fail: Vec<usize> = (0..8).collect();
    let simulation = simulate(&healthy_fleet(9), minimum, &failing_at(9, &eight_fail)).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    let simulation = simulate(&healthy_fleet(9), minimum, &[F; 9]).unwrap();
    assert_eq!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::NoInstanceSucceeded { failed: 9 })
    );
}

#[test]
fn nine_hosts_half_at_a_time_deploys_four_at_a_time_and_needs_five() {
    let minimum = DeploymentConfig::half_at_a_time().minimum_healthy_hosts;
    let simulation = plan(&healthy_fleet(9), minimum).unwrap();
    assert_eq!(simulation.minimum, 5);
    assert_eq!(wave_sizes(&simulation), vec![4, 4, 1]);
    assert_eq!(simulation.successes_needed, 5);
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn nine_hosts_half_at_a_time_fails_when_five_cannot_succeed() {
    let minimum = DeploymentConfig::half_at_a_time().minimum_healthy_hosts;
    // The whole first wave fails: five healthy are left, the minimum.
    let simulation = simulate(&healthy_fleet(9), minimum, &failing_at(9, &[0, 1, 2, 3])).unwrap();
    assert!(matches!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::HealthyCountReachedMinimum {
            healthy: 5,
            minimum: 5,
            ..
        })
    ));
    // Three failures still leave room to reach five successes.
    let simulation = simulate(&healthy_fleet(9), minimum, &failing_at(9, &[0, 1, 2])).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    assert_eq!(simulation.succeeded, 6);
}

#[test]
fn nine_hosts_one_at_a_time_deploys_one_at_a_time() {
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    let simulation = plan(&healthy_fleet(9), minimum).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![1; 9]);
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn nine_hosts_one_at_a_time_fails_if_any_of_the_first_eight_fails() {
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    for failing in 0..8 {
        let simulation = simulate(&healthy_fleet(9), minimum, &failing_at(9, &[failing])).unwrap();
        assert!(
            matches!(simulation.outcome, RolloutOutcome::Failed(_)),
            "instance {failing} failing"
        );
    }
}

#[test]
fn nine_hosts_one_at_a_time_succeeds_when_only_the_last_fails() {
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    let simulation = simulate(&healthy_fleet(9), minimum, &failing_at(9, &[8])).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn single_instance_one_at_a_time_must_succeed() {
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    let simulation = simulate(&healthy_fleet(1), minimum, &[F]).unwrap();
    assert_eq!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::NoInstanceSucceeded { failed: 1 })
    );
    let simulation = simulate(&healthy_fleet(1), minimum, &[S]).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
}

#[test]
fn nine_hosts_host_count_six_deploys_three_at_a_time_and_needs_six() {
    // The API reference's MinimumHealthyHosts example.
    let simulation = plan(&healthy_fleet(9), host_count(6)).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![3, 3, 3]);
    assert_eq!(simulation.successes_needed, 6);
}

#[test]
fn nine_hosts_fleet_percent_forty_deploys_five_at_a_time_and_needs_four() {
    let simulation = plan(&healthy_fleet(9), percent(40)).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![5, 4]);
    assert_eq!(simulation.successes_needed, 4);
}

// --- Scheduling order and the "starts below the minimum" exception.

#[test]
fn unhealthy_instances_are_deployed_first_then_unknown_old_current() {
    let fleet = vec![
        HEALTHY_CURRENT,
        HEALTHY_OLD,
        Health::new(InstanceHealth::Healthy, RevisionHealth::Unknown),
        Health::NEW,
    ];
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    let simulation = plan(&fleet, minimum).unwrap();
    assert_eq!(simulation.waves, vec![vec![3], vec![2], vec![1], vec![0]]);
}

#[test]
fn group_starting_below_the_minimum_deploys_unhealthy_instances_without_reducing_healthy() {
    // Ten instances, only two healthy, a minimum of 5: the two healthy ones
    // may not be taken offline until enough unhealthy ones have succeeded.
    let mut fleet = vec![Health::NEW; 8];
    fleet.extend([HEALTHY_CURRENT; 2]);
    let simulation = plan(&fleet, host_count(5)).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    // Waves hold at most n - m = 5; the unhealthy eight go first.
    assert_eq!(wave_sizes(&simulation), vec![5, 5]);
    assert!(simulation.waves[0].iter().all(|&index| index < 8));
}

#[test]
fn group_below_minimum_never_takes_its_healthy_instances_offline() {
    // Two healthy of ten with a minimum of 5, and every unhealthy one fails:
    // the healthy two are never touched.
    let mut fleet = vec![Health::NEW; 8];
    fleet.extend([HEALTHY_CURRENT; 2]);
    let results = failing_at(10, &[0, 1, 2, 3, 4, 5, 6, 7]);
    let simulation = simulate(&fleet, host_count(5), &results).unwrap();
    assert!(matches!(simulation.outcome, RolloutOutcome::Failed(_)));
    assert_eq!(simulation.progress[8], TargetProgress::Skipped);
    assert_eq!(simulation.progress[9], TargetProgress::Skipped);
    assert_eq!(simulation.health_after[8], HEALTHY_CURRENT);
}

#[test]
fn first_deployment_to_a_new_fleet_goes_one_at_a_time_with_one_at_a_time() {
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    let simulation = plan(&[Health::NEW; 5], minimum).unwrap();
    assert_eq!(wave_sizes(&simulation), vec![1; 5]);
}

#[test]
fn new_fleet_fails_as_soon_as_the_needed_successes_cannot_be_reached() {
    // Five new instances, minimum 4: two failures leave at most three successes.
    let simulation = simulate(&[Health::NEW; 5], host_count(4), &failing_at(5, &[0, 1])).unwrap();
    assert_eq!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::TooFewCanSucceed {
            succeeded: 0,
            remaining: 3,
            needed: 4,
            failed: 2,
            after_wave: 2,
        })
    );
}

#[test]
fn a_stopped_instance_counts_as_a_failed_one() {
    let results = {
        let mut results = vec![S; 10];
        results[0] = AttemptResult::InstanceStopped;
        results
    };
    let simulation = simulate(&healthy_fleet(10), host_count(9), &results).unwrap();
    assert!(matches!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::HealthyCountReachedMinimum { failed: 1, .. })
    ));
}

// --- Health after the deployment.

#[test]
fn health_after_success_makes_every_succeeded_instance_healthy_and_current() {
    let fleet = vec![Health::NEW, HEALTHY_OLD, HEALTHY_CURRENT];
    let simulation = plan(&fleet, host_count(0)).unwrap();
    assert!(simulation.group_revision_updated);
    assert_eq!(simulation.health_after, vec![HEALTHY_CURRENT; 3]);
}

#[test]
fn health_after_success_with_a_failed_last_instance_marks_it_unhealthy_and_unknown() {
    let minimum = DeploymentConfig::one_at_a_time().minimum_healthy_hosts;
    let simulation = simulate(&healthy_fleet(3), minimum, &[S, S, F]).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    assert_eq!(simulation.health_after[..2], [HEALTHY_CURRENT; 2]);
    assert_eq!(simulation.health_after[2], Health::NEW);
}

#[test]
fn health_after_failure_sets_attempted_instances_and_keeps_the_rest() {
    // Ten healthy, min 9, the third fails: two succeeded, one failed, seven untouched.
    let simulation = simulate(&healthy_fleet(10), host_count(9), &failing_at(10, &[2])).unwrap();
    assert!(!simulation.group_revision_updated);
    assert_eq!(simulation.health_after[0], HEALTHY_OLD);
    assert_eq!(simulation.health_after[1], HEALTHY_OLD);
    assert_eq!(simulation.health_after[2], Health::NEW);
    assert!(
        simulation.health_after[3..]
            .iter()
            .all(|&health| health == HEALTHY_CURRENT)
    );
}

#[test]
fn health_after_failure_orders_the_next_deployment_failed_instance_first() {
    let first = simulate(&healthy_fleet(10), host_count(9), &failing_at(10, &[2])).unwrap();
    let next = plan(&first.health_after, host_count(9)).unwrap();
    assert_eq!(next.waves[0], vec![2]);
}

#[test]
fn health_after_stop_sets_attempted_instances_and_keeps_the_rest() {
    let mut rollout = Rollout::start(&healthy_fleet(4), host_count(2)).unwrap();
    let first_wave = rollout.next_wave();
    assert_eq!(first_wave, vec![0, 1]);
    rollout.complete(0, S).unwrap();
    rollout.stop();
    assert_eq!(rollout.outcome(), Some(&RolloutOutcome::Stopped));
    let health = rollout.health_after().unwrap();
    assert_eq!(health[0], HEALTHY_OLD);
    assert_eq!(health[1], Health::NEW, "interrupted in progress");
    assert_eq!(health[2..], [HEALTHY_CURRENT; 2]);
    assert_eq!(rollout.progress()[3], TargetProgress::Skipped);
}

// --- Blue/green: the deployment can end otherwise than its rollout.

#[test]
fn blue_green_health_after_a_clean_success_is_the_rollouts_own() {
    let simulation = simulate(&healthy_fleet(3), host_count(0), &[S, S, S]).unwrap();
    let mut rollout = Rollout::start(&healthy_fleet(3), host_count(0)).unwrap();
    for instance in rollout.next_wave() {
        rollout.complete(instance, S).unwrap();
    }
    assert_eq!(
        rollout.health_after_deployment(true, &[false; 3]),
        simulation.health_after
    );
    assert_eq!(
        rollout.health_after_deployment(true, &[]),
        simulation.health_after
    );
}

#[test]
fn blue_green_failed_rerouting_takes_the_failed_deployment_rules() {
    let mut rollout = Rollout::start(&healthy_fleet(3), host_count(0)).unwrap();
    for instance in rollout.next_wave() {
        rollout.complete(instance, S).unwrap();
    }
    assert_eq!(rollout.outcome(), Some(&RolloutOutcome::Succeeded));
    // Every replacement installed, but traffic never reached the second.
    let health = rollout.health_after_deployment(false, &[false, true, false]);
    assert_eq!(
        health[0], HEALTHY_OLD,
        "installed, but the group keeps its revision"
    );
    assert_eq!(health[1], Health::NEW, "rerouting failed: a failed attempt");
    assert_eq!(health[2], HEALTHY_OLD);
}

#[test]
fn blue_green_success_with_a_failed_rerouting_marks_only_that_instance() {
    let mut rollout = Rollout::start(&healthy_fleet(3), host_count(0)).unwrap();
    for instance in rollout.next_wave() {
        rollout.complete(instance, S).unwrap();
    }
    let health = rollout.health_after_deployment(true, &[true, false, false]);
    assert_eq!(health[0], Health::NEW);
    assert_eq!(health[1..], [HEALTHY_CURRENT; 2]);
}

// --- Bad input is an error, never a panic.

#[test]
fn empty_fleet_is_an_error() {
    assert_eq!(plan(&[], host_count(0)), Err(PlanError::NoInstances));
    assert_eq!(FailureReason::NoInstances.error_code(), "NO_INSTANCES");
}

#[test]
fn mismatched_results_are_an_error() {
    assert_eq!(
        simulate(&healthy_fleet(2), host_count(0), &[S]),
        Err(PlanError::ResultCountMismatch {
            instances: 2,
            results: 1
        })
    );
}

#[test]
fn reporting_for_an_instance_not_in_progress_is_an_error() {
    let mut rollout = Rollout::start(&healthy_fleet(3), host_count(2)).unwrap();
    assert_eq!(rollout.complete(0, S), Err(RolloutError::NotInProgress(0)));
    assert_eq!(
        rollout.complete(7, S),
        Err(RolloutError::UnknownInstance(7))
    );
    let wave = rollout.next_wave();
    assert_eq!(wave.len(), 1);
    assert!(
        rollout.next_wave().is_empty(),
        "no second wave while one runs"
    );
}

#[test]
fn host_count_larger_than_the_fleet_fails_at_start() {
    let simulation = plan(&healthy_fleet(3), host_count(12)).unwrap();
    assert!(matches!(
        simulation.outcome,
        RolloutOutcome::Failed(FailureReason::MinimumUnreachableAtStart {
            minimum: 12,
            total: 3
        })
    ));
}

// --- The plain-words explanation.

#[test]
fn explanation_of_an_unreachable_minimum_says_it_fails_before_it_starts() {
    let simulation = plan(&healthy_fleet(10), percent(95)).unwrap();
    let lines = explain(percent(95), &simulation);
    assert_eq!(lines[0], "10 instances, minimum 95%: 10 must stay healthy.");
    assert!(lines[1].contains("fails before it starts"), "{lines:?}");
}

#[test]
fn explanation_of_a_failed_rollout_gives_the_numbers() {
    let simulation = simulate(&healthy_fleet(10), host_count(8), &failing_at(10, &[0, 1])).unwrap();
    let lines = explain(host_count(8), &simulation);
    assert_eq!(
        lines[1],
        "Up to 2 instances at a time; at least 8 must succeed."
    );
    assert_eq!(
        lines[2],
        "Fails: 2 instances failed; 8 healthy are left and the minimum is 8: stopped after wave 1."
    );
}

#[test]
fn explanation_of_a_success_with_failures_says_the_minimum_held() {
    // HalfAtATime over 10: three of the first wave of five fail, which
    // leaves 7 healthy, above the 5 the fleet must keep.
    let simulation =
        simulate(&healthy_fleet(10), percent(50), &failing_at(10, &[1, 2, 4])).unwrap();
    assert_eq!(simulation.outcome, RolloutOutcome::Succeeded);
    let lines = explain(percent(50), &simulation);
    assert_eq!(
        lines[2],
        "Succeeds: 7 of 10 succeeded in 4 waves — enough for the 5 needed, and the 3 failures never took the fleet below 5 healthy."
    );
}

impl RolloutOutcome {
    fn error_code_for_test(self) -> &'static str {
        match self {
            Self::Failed(reason) => reason.error_code(),
            _ => "",
        }
    }
}
