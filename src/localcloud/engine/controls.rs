//! What a person does to a running deployment: stop it
//! (`StopDeployment`), or continue a blue/green one that waits
//! (`ContinueDeployment`), either to reroute traffic or to terminate the
//! original instances now.

use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, Diagnostics, EventStatus, Phase, RollbackRequest, TargetStatus,
};
use crate::localcloud::world::World;

use super::advance::refresh_next_due;
use super::agent;
use super::blue_green::{begin_reroute, terminate_originals};
use super::common::{EngineSettings, with_deployment};
use super::ending::{Ending, finish, roll_back};

/// Cuts short the work in flight on a deployment that is being stopped at
/// `at`: the running events fail, the rest are skipped.
fn cut_short(deployment: &mut Deployment, at: Timestamp) {
    for index in std::mem::take(&mut deployment.in_flight) {
        let target = &mut deployment.targets[index];
        let Some(attempt) = target.attempt.take() else {
            continue;
        };
        if at < attempt.start {
            for record in &mut target.events {
                if record.status == EventStatus::Pending {
                    record.plan = None;
                }
            }
            continue;
        }
        for record in &mut target.events {
            match record.status {
                EventStatus::InProgress => {
                    record.status = EventStatus::Failed;
                    record.end_time = Some(at);
                    record.diagnostics = Some(Diagnostics {
                        error_code: "UnknownError".to_owned(),
                        script_name: if record.event.is_scriptable() {
                            agent::script_name(record.event)
                        } else {
                            String::new()
                        },
                        message:
                            "The deployment was stopped while this lifecycle event was running."
                                .to_owned(),
                        log_tail: String::new(),
                    });
                }
                EventStatus::Pending => {
                    record.status = EventStatus::Skipped;
                    record.plan = None;
                }
                _ => {}
            }
        }
        target.status = TargetStatus::Failed;
        target.last_updated_at = target.last_updated_at.max(at);
    }
}

/// Stops running deployment `deployment_id` at `now`, rolling it back as
/// `rollback` says. The caller has checked that it is running and advanced
/// the world to `now`.
pub fn stop(world: &mut World, deployment_id: &str, now: Timestamp, rollback: RollbackRequest) {
    let mut rollbacks = Vec::new();
    with_deployment(world, deployment_id, |world, deployment| {
        deployment.rollback_request = rollback;
        let installing = deployment.phase == Phase::Installing;
        cut_short(deployment, now);
        if installing && let Some(rollout) = deployment.rollout.as_mut() {
            rollout.stop();
        }
        finish(
            world,
            deployment,
            now,
            &Ending::Stopped(None),
            &mut rollbacks,
        );
    });
    for due in rollbacks {
        roll_back(world, &due);
    }
    refresh_next_due(world);
}

/// Reroutes traffic of a blue/green deployment waiting in `Ready`, now.
/// Returns whether it was waiting.
pub fn continue_ready(
    world: &mut World,
    deployment_id: &str,
    now: Timestamp,
    settings: &EngineSettings,
) -> bool {
    let continued = with_deployment(world, deployment_id, |world, deployment| {
        if matches!(deployment.phase, Phase::Ready { .. }) {
            begin_reroute(world, deployment, now, *settings);
            true
        } else {
            false
        }
    })
    .unwrap_or(false);
    refresh_next_due(world);
    continued
}

/// Ends the wait before terminating a blue/green deployment's original
/// instances: they are terminated now. Returns whether it was waiting.
pub fn end_termination_wait(world: &mut World, deployment_id: &str, now: Timestamp) -> bool {
    let mut rollbacks = Vec::new();
    let ended = with_deployment(world, deployment_id, |world, deployment| {
        if matches!(deployment.phase, Phase::Terminating { .. }) {
            terminate_originals(world, deployment, now);
            finish(world, deployment, now, &Ending::Succeeded, &mut rollbacks);
            true
        } else {
            false
        }
    })
    .unwrap_or(false);
    refresh_next_due(world);
    ended
}
