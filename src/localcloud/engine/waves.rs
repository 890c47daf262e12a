//! The rollout's waves: starting a deployment, starting each wave when the
//! previous one has ended, playing the planned lifecycle events out on the
//! clock, and going on once the rollout has an outcome.
//!
//! When a wave starts, the engine reads how each of its instances behaves
//! (see [`agent`](super::agent)) and plans every lifecycle event: when it
//! starts, when it ends and how. The rollout alone decides the waves and
//! the outcome, so the GUI's planner, which drives the same rollout,
//! predicts exactly what happens here.

use crate::domain::rollout::{FailureCode, FailureReason, Rollout, RolloutOutcome};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, ErrorInformation, EventStatus, FailureCause, InstanceLabel,
    Phase, TargetRecord, TargetStatus,
};

use super::agent::{AttemptSpec, Contents, behaviour_of, plan_attempt_with};
use super::blue_green::{begin_reroute, ready_wait_minutes};
use super::common::{
    AGENT_ISSUE_MESSAGE, HEALTH_CONSTRAINTS_MESSAGE, NO_INSTANCES_MESSAGE, install_end,
    installed_content, record_attempted,
};
use super::ending::{Ending, Moving};
use super::green_fleet::begin_copy;
use super::local;
use super::traffic::load_balancer_error;

/// Applies to the targets in flight everything planned up to `time`, and
/// reports finished attempts to the rollout when `count_in_rollout`.
pub(super) fn play_out(
    deployment: &mut Deployment,
    time: Timestamp,
    count_in_rollout: bool,
) -> bool {
    let mut changed = false;
    let in_flight = std::mem::take(&mut deployment.in_flight);
    for index in in_flight {
        let target = &mut deployment.targets[index];
        if target.attempt.as_ref().is_some_and(|attempt| attempt.local) {
            changed |= local::apply(&deployment.deployment_id, target, time);
        }
        changed |= apply_events(target, time);
        let Some(attempt) = target.attempt.clone() else {
            continue;
        };
        if time < attempt.start {
            deployment.in_flight.push(index);
            continue;
        }
        if time < attempt.finish {
            if target.status != TargetStatus::InProgress {
                target.status = TargetStatus::InProgress;
                target.last_updated_at = target.last_updated_at.max(attempt.start);
                changed = true;
            }
            deployment.in_flight.push(index);
            continue;
        }
        target.status = attempt.status_after;
        target.failure_cause = attempt.cause;
        target.attempt = None;
        target.last_updated_at = target.last_updated_at.max(attempt.finish);
        changed = true;
        if count_in_rollout
            && let (Some(rollout), Some(rollout_index)) =
                (deployment.rollout.as_mut(), target.rollout_index)
            && let Err(error) = rollout.complete(rollout_index, attempt.result)
        {
            tracing::warn!(
                "deployment {}: the rollout refused a result: {error}",
                deployment.deployment_id
            );
        }
    }
    changed
}

/// Applies the planned events of `target` whose times have come.
fn apply_events(target: &mut TargetRecord, time: Timestamp) -> bool {
    let mut latest: Option<Timestamp> = None;
    for record in &mut target.events {
        let Some(plan) = &record.plan else {
            continue;
        };
        if plan.skipped {
            if record.status == EventStatus::Pending && time >= plan.start {
                record.status = EventStatus::Skipped;
                latest = latest.max(Some(plan.start));
            }
            continue;
        }
        if record.status == EventStatus::Pending && time >= plan.start {
            record.status = EventStatus::InProgress;
            record.start_time = Some(plan.start);
            latest = latest.max(Some(plan.start));
        }
        if record.status == EventStatus::InProgress && time >= plan.end {
            record.status = if plan.failure.is_some() {
                EventStatus::Failed
            } else {
                EventStatus::Succeeded
            };
            record.end_time = Some(plan.end);
            record.diagnostics = plan.failure.clone().or_else(|| plan.success.clone());
            latest = latest.max(Some(plan.end));
        }
    }
    if let Some(latest) = latest {
        target.last_updated_at = target.last_updated_at.max(latest);
        true
    } else {
        false
    }
}

/// Starts a created deployment at `at`: a blue/green deployment that
/// copies its group's Auto Scaling group first waits for the copy (see
/// [`green_fleet`](super::green_fleet)).
pub(super) fn start(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    deployment.status = DeploymentStatus::InProgress;
    deployment.start_time = Some(at);
    record_attempted(moving.world, deployment);
    match begin_copy(moving.world, deployment, at) {
        Ok(true) => deployment.phase = Phase::Provisioning { poll_at: at },
        Ok(false) => install(moving, deployment, at),
        Err(error) => moving.finish(deployment, at, &Ending::Failed(error)),
    }
}

/// Starts installing at `at`, or goes on at once when the rollout has
/// nothing to do.
pub(super) fn install(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    let outcome = deployment
        .rollout
        .as_ref()
        .map(|rollout| rollout.outcome().cloned());
    match outcome {
        None => {
            let error = ErrorInformation {
                code: FailureReason::NoInstances.error_code().to_owned(),
                message: NO_INSTANCES_MESSAGE.to_owned(),
            };
            moving.finish(deployment, at, &Ending::Failed(error));
        }
        Some(None) => {
            deployment.phase = Phase::Installing;
            next_wave(moving, deployment, at);
        }
        Some(Some(_)) => install_done(moving, deployment, at),
    }
}

/// Starts the rollout's next wave at `at`, or goes on when it has ended.
pub(super) fn next_wave(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    let wave = deployment
        .rollout
        .as_mut()
        .map(Rollout::next_wave)
        .unwrap_or_default();
    if wave.is_empty() {
        install_done(moving, deployment, at);
        return;
    }
    for rollout_index in wave {
        let index = deployment.rollout_targets[rollout_index];
        let behaviour = behaviour_of(
            moving.world,
            &deployment.targets[index],
            deployment.bundle(),
        );
        let installed = installed_content(
            moving.world,
            deployment,
            &deployment.targets[index].target_id,
        );
        let status_on_success = if deployment.targets[index].label == Some(InstanceLabel::Green) {
            TargetStatus::Ready
        } else {
            TargetStatus::Succeeded
        };
        if behaviour.simulated.is_local() {
            local::begin(
                moving.world,
                deployment,
                index,
                at,
                moving.settings.local,
                status_on_success,
            );
            deployment.in_flight.push(index);
            continue;
        }
        let target = &mut deployment.targets[index];
        let spec = AttemptSpec {
            first: 0,
            end: install_end(target),
            start: at,
            event_millis: moving.settings.event_millis(),
            ignore_stop_failures: deployment.ignore_application_stop_failures,
            status_on_success,
        };
        let contents = Contents {
            new: &deployment.content,
            installed,
        };
        plan_attempt_with(target, spec, behaviour, contents);
        deployment.in_flight.push(index);
    }
}

/// The deployment's error for a failed rollout. A deployment whose failed
/// instances all failed for lack of an agent failed because of the agent.
fn rollout_error(deployment: &Deployment, reason: &FailureReason) -> ErrorInformation {
    let code = reason.code();
    if code == FailureCode::HealthConstraints {
        if let Some(error) = load_balancer_error(deployment) {
            return error;
        }
        let causes: Vec<FailureCause> = deployment
            .targets
            .iter()
            .filter_map(|target| target.failure_cause)
            .collect();
        if !causes.is_empty() && causes.iter().all(|cause| *cause == FailureCause::NoAgent) {
            return ErrorInformation {
                code: FailureCode::AgentIssue.as_str().to_owned(),
                message: AGENT_ISSUE_MESSAGE.to_owned(),
            };
        }
        return ErrorInformation {
            code: code.as_str().to_owned(),
            message: format!("{HEALTH_CONSTRAINTS_MESSAGE} {reason}"),
        };
    }
    let message = match reason {
        FailureReason::MinimumUnreachableAtStart { .. } => format!(
            "The deployment failed because the deployment configuration {} requires more healthy instances than it can keep: {reason} Lower its minimum healthy hosts, or add instances to the deployment group.",
            deployment.deployment_config_name
        ),
        FailureReason::NoInstances => NO_INSTANCES_MESSAGE.to_owned(),
        _ => format!("{HEALTH_CONSTRAINTS_MESSAGE} {reason}"),
    };
    ErrorInformation {
        code: code.as_str().to_owned(),
        message,
    }
}

/// Goes on once the rollout has ended.
fn install_done(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    let outcome = deployment
        .rollout
        .as_ref()
        .and_then(|rollout| rollout.outcome().cloned());
    match outcome {
        Some(RolloutOutcome::Succeeded) if deployment.is_blue_green() => {
            let ready = deployment
                .blue_green_deployment_configuration
                .as_ref()
                .and_then(|config| config.deployment_ready_option.as_ref());
            let waits = ready.and_then(|ready| ready.action_on_timeout.as_deref())
                == Some("STOP_DEPLOYMENT");
            if waits {
                let minutes = ready_wait_minutes(deployment);
                deployment.status = DeploymentStatus::Ready;
                deployment.phase = Phase::Ready {
                    deadline: at.plus_millis(minutes.saturating_mul(60_000)),
                };
                record_attempted(moving.world, deployment);
            } else {
                begin_reroute(moving.world, deployment, at, moving.settings);
            }
        }
        Some(RolloutOutcome::Succeeded) => {
            moving.finish(deployment, at, &Ending::Succeeded);
        }
        Some(RolloutOutcome::Failed(reason)) => {
            let error = rollout_error(deployment, &reason);
            moving.finish(deployment, at, &Ending::Failed(error));
        }
        Some(RolloutOutcome::Stopped) => {
            moving.finish(deployment, at, &Ending::Stopped(None));
        }
        None => {
            let error = ErrorInformation {
                code: "INTERNAL_ERROR".to_owned(),
                message: "The rollout ended without an outcome; please report this as a bug."
                    .to_owned(),
            };
            moving.finish(deployment, at, &Ending::Failed(error));
        }
    }
}
