//! What a person does to a running deployment: stop it
//! (`StopDeployment`), or continue a blue/green one that waits
//! (`ContinueDeployment`), either to reroute traffic or to terminate the
//! original instances now.

use crate::localcloud::clock::Timestamp;
use crate::localcloud::cloudwatch::StateValue;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, Diagnostics, ErrorInformation, EventStatus, Phase, RollbackRequest, TargetStatus,
};
use crate::localcloud::world::World;

use super::advance::refresh_next_due;
use super::agent;
use super::blue_green::{begin_reroute, terminate_originals};
use super::common::{ALARM_ACTIVE, CREATOR_ROLLBACK, EngineSettings, group_of, with_deployment};
use super::ending::{Ending, finish, roll_back};
use super::local;
use super::shifting;

/// Cuts short the work in flight on a deployment that is being stopped at
/// `at`: the running events fail, the rest are skipped.
fn cut_short(deployment: &mut Deployment, at: Timestamp) {
    for index in std::mem::take(&mut deployment.in_flight) {
        let target = &mut deployment.targets[index];
        let Some(attempt) = target.attempt.take() else {
            continue;
        };
        if attempt.local {
            local::forget(&deployment.deployment_id, &target.target_id);
        }
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
    stop_with(world, deployment_id, now, rollback, &Ending::Stopped(None));
    refresh_next_due(world);
}

/// Stops running deployment `deployment_id` at `now` as `ending` says.
fn stop_with(
    world: &mut World,
    deployment_id: &str,
    now: Timestamp,
    rollback: RollbackRequest,
    ending: &Ending,
) {
    let mut rollbacks = Vec::new();
    with_deployment(world, deployment_id, |world, deployment| {
        deployment.rollback_request = rollback;
        let installing = deployment.phase == Phase::Installing;
        cut_short(deployment, now);
        if installing && let Some(rollout) = deployment.rollout.as_mut() {
            rollout.stop();
        }
        finish(world, deployment, now, ending, &mut rollbacks);
    });
    for due in rollbacks {
        roll_back(world, &due);
    }
}

/// Why the alarms of a running deployment's group stop it, if they do: an
/// alarm in `ALARM`, or one CloudWatch cannot tell about (it does not
/// exist) unless the group ignores poll failures. `None` when alarm
/// monitoring is off or every alarm is quiet.
fn alarm_stop(world: &World, deployment: &Deployment) -> Option<ErrorInformation> {
    let config = &group_of(world, deployment)?.alarm_configuration;
    if config.enabled != Some(true) {
        return None;
    }
    let names: Vec<&str> = config
        .alarms
        .iter()
        .flatten()
        .filter_map(|alarm| alarm.name.as_deref())
        .collect();
    let active: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| world.cloudwatch.alarm_state(name) == Some(StateValue::Alarm))
        .collect();
    if !active.is_empty() {
        return Some(ErrorInformation {
            code: ALARM_ACTIVE.to_owned(),
            message: format!(
                "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <{}>",
                active.join(", ")
            ),
        });
    }
    if config.ignore_poll_alarm_failure == Some(true) {
        return None;
    }
    let unread: Vec<&str> = names
        .into_iter()
        .filter(|name| world.cloudwatch.alarm_state(name).is_none())
        .collect();
    (!unread.is_empty()).then(|| ErrorInformation {
        code: ALARM_ACTIVE.to_owned(),
        message: format!(
            "The deployment was stopped because the state of the alarms <{}> could not be retrieved from Amazon CloudWatch (no such alarm). Create the alarms, remove them from the deployment group, or set ignorePollAlarmFailure to go on without them.",
            unread.join(", ")
        ),
    })
}

/// Stops every running deployment whose group's alarms say so (see
/// [`alarm_stop`]), as CodeDeploy's alarm monitoring does; automatic
/// rollbacks are left to run. A deployment is
/// stopped at the time it was last brought up to, since the alarm went off
/// after that (the server brings deployments up to the time of every
/// request, `SetAlarmState`'s included). Returns whether any was stopped.
pub fn stop_on_alarms(world: &mut World, now: Timestamp) -> bool {
    let due: Vec<(String, ErrorInformation)> = world
        .codedeploy
        .deployments
        .active
        .iter()
        .filter_map(|id| world.codedeploy.deployments.by_id.get(id))
        // A rollback is what the alarm asked for: it runs whatever the
        // alarms say, or it could never repair what set them off.
        .filter(|deployment| {
            deployment.phase != Phase::Finished && deployment.creator != CREATOR_ROLLBACK
        })
        .filter_map(|deployment| {
            alarm_stop(world, deployment).map(|error| (deployment.deployment_id.clone(), error))
        })
        .collect();
    if due.is_empty() {
        return false;
    }
    let at = world
        .codedeploy
        .deployments
        .advanced_to
        .map_or(now, |advanced| advanced.min(now));
    for (deployment_id, error) in due {
        stop_with(
            world,
            &deployment_id,
            at,
            RollbackRequest::AsConfigured,
            &Ending::Stopped(Some(error)),
        );
    }
    refresh_next_due(world);
    true
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
            if deployment.shift.is_some() {
                shifting::continue_ready(deployment, now);
            } else {
                begin_reroute(world, deployment, now, *settings);
            }
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
            if deployment.shift.is_some() {
                shifting::remove_original(world, deployment, now);
            } else {
                terminate_originals(world, deployment, now);
            }
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
