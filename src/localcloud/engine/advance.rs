//! Moving deployments on along the clock: [`advance`] brings every running
//! deployment up to a given time, one step of its phase at a time, and
//! keeps the time of the next change so that it is cheap when nothing is
//! due; [`resume`] picks up after a restart.

use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, ErrorInformation, EventStatus, Phase, TargetRecord, TargetStatus,
};
use crate::localcloud::world::World;

use super::blue_green::{ready_wait_minutes, rerouted, terminate_originals};
use super::common::{EngineSettings, keep_attempted_current, with_deployment};
use super::ending::{Ending, Moving, roll_back};
use super::green_fleet::{POLL_MILLIS, provisioned, provisioning_deadline, provisioning_timed_out};
use super::shifting;
use super::traffic::start_due;
use super::triggers::{TriggerEvent, notify};
use super::waves::{install, next_wave, play_out, start};

/// Brings every running deployment up to `now`. Returns whether anything
/// changed. Cheap when nothing is due: the time of the next change is kept.
pub fn advance(world: &mut World, now: Timestamp, settings: &EngineSettings) -> bool {
    let deployments = &mut world.codedeploy.deployments;
    deployments.advanced_to = Some(deployments.advanced_to.map_or(now, |to| to.max(now)));
    match deployments.next_due {
        Some(due) if now >= due => {}
        _ => return false,
    }
    let mut changed = false;
    loop {
        let ids: Vec<String> = world
            .codedeploy
            .deployments
            .active
            .iter()
            .cloned()
            .collect();
        let mut round = false;
        let mut rollbacks = Vec::new();
        for id in ids {
            match with_deployment(world, &id, |world, deployment| {
                let mut moving = Moving {
                    world,
                    settings: *settings,
                    rollbacks: &mut rollbacks,
                };
                step(&mut moving, deployment, now)
            }) {
                Some(stepped) => round |= stepped,
                None => {
                    world.codedeploy.deployments.active.remove(&id);
                }
            }
        }
        for due in rollbacks {
            roll_back(world, &due);
            round = true;
        }
        changed |= round;
        if !round {
            break;
        }
    }
    refresh_next_due(world);
    changed
}

/// Works out when the engine next has something to do.
pub(super) fn refresh_next_due(world: &mut World) {
    let deployments = &mut world.codedeploy.deployments;
    deployments.next_due = deployments
        .active
        .iter()
        .filter_map(|id| deployments.by_id.get(id))
        .filter_map(next_due)
        .min();
}

/// When deployment `deployment` next changes, if it is running.
fn next_due(deployment: &Deployment) -> Option<Timestamp> {
    match &deployment.phase {
        Phase::Created { start_at } => Some(*start_at),
        Phase::Ready { deadline } => Some(*deadline),
        Phase::Terminating { at } => Some(*at),
        Phase::Provisioning { poll_at } => Some(*poll_at),
        Phase::Finished => None,
        Phase::Shifting => shifting::next_due(deployment),
        Phase::Installing | Phase::Rerouting => Some(
            deployment
                .in_flight
                .iter()
                .filter_map(|&index| deployment.targets.get(index).and_then(next_boundary))
                .min()
                // Nothing in flight: the next step is due at once.
                .unwrap_or(Timestamp::from_millis(i64::MIN)),
        ),
    }
}

/// The next time something planned on `target` happens.
fn next_boundary(target: &TargetRecord) -> Option<Timestamp> {
    let attempt = target.attempt.as_ref()?;
    if attempt.local {
        // A local instance's run reports when it can: look at every advance.
        return Some(Timestamp::from_millis(i64::MIN));
    }
    let mut next = attempt.finish;
    if target.status != TargetStatus::InProgress {
        next = next.min(attempt.start);
    }
    for record in &target.events {
        match (&record.plan, record.status) {
            (Some(plan), EventStatus::Pending) => next = next.min(plan.start),
            (Some(plan), EventStatus::InProgress) => next = next.min(plan.end),
            _ => {}
        }
    }
    Some(next)
}

/// Advances one deployment as far as `now` allows, and publishes what its
/// group's triggers are set on: its start, its instances starting,
/// succeeding, failing or getting ready, and a blue/green deployment
/// getting ready.
fn step(moving: &mut Moving<'_>, deployment: &mut Deployment, now: Timestamp) -> bool {
    let phase = deployment.phase.clone();
    let statuses: Vec<TargetStatus> = deployment.targets.iter().map(|t| t.status).collect();
    let changed = step_phases(moving, deployment, now);
    if !changed {
        return false;
    }
    if let Phase::Created { start_at } = phase
        && deployment.phase != phase
    {
        notify(
            moving.world,
            deployment,
            TriggerEvent::DeploymentStart,
            None,
            start_at,
        );
    }
    for (index, before) in statuses.into_iter().enumerate() {
        let target = &deployment.targets[index];
        if target.status == before {
            continue;
        }
        // An instance that went from pending to done in one step started
        // first.
        if before == TargetStatus::Pending && target.status != TargetStatus::InProgress {
            notify(
                moving.world,
                deployment,
                TriggerEvent::InstanceStart,
                Some(target),
                now,
            );
        }
        if let Some(event) = TriggerEvent::of_instance(target.status) {
            notify(moving.world, deployment, event, Some(target), now);
        }
    }
    if matches!(deployment.phase, Phase::Ready { .. }) && !matches!(phase, Phase::Ready { .. }) {
        notify(
            moving.world,
            deployment,
            TriggerEvent::DeploymentReady,
            None,
            now,
        );
    }
    keep_attempted_current(moving.world, deployment);
    true
}

/// Moves one deployment's phases on as far as `now` allows.
fn step_phases(moving: &mut Moving<'_>, deployment: &mut Deployment, now: Timestamp) -> bool {
    let mut changed = false;
    loop {
        match deployment.phase.clone() {
            Phase::Created { start_at } => {
                if now < start_at {
                    break;
                }
                if deployment.shift.is_some() {
                    shifting::begin(moving, deployment, start_at);
                } else {
                    start(moving, deployment, start_at);
                }
            }
            Phase::Provisioning { poll_at } => {
                if now < poll_at {
                    break;
                }
                let Some(ready_at) = provisioned(moving.world, deployment) else {
                    if let Some(deadline) = provisioning_deadline(moving.world, deployment)
                        && now >= deadline
                    {
                        let error = provisioning_timed_out(moving.world, deployment);
                        moving.finish(deployment, deadline, &Ending::Failed(error));
                        changed = true;
                        break;
                    }
                    deployment.phase = Phase::Provisioning {
                        poll_at: now.plus_millis(POLL_MILLIS),
                    };
                    break;
                };
                install(moving, deployment, ready_at);
            }
            Phase::Installing | Phase::Rerouting => {
                let installing = deployment.phase == Phase::Installing;
                // Traffic events act on the load balancers first: that
                // can move when the work ends.
                changed |= start_due(moving.world, deployment, now);
                let work_ends = deployment
                    .in_flight
                    .iter()
                    .filter_map(|&index| deployment.targets[index].attempt.as_ref())
                    .map(|attempt| if attempt.local { now } else { attempt.finish })
                    .max();
                changed |= play_out(deployment, now, installing);
                if !deployment.in_flight.is_empty() {
                    break;
                }
                let at = work_ends.unwrap_or(now);
                if installing {
                    next_wave(moving, deployment, at);
                } else {
                    rerouted(moving, deployment, at);
                }
            }
            Phase::Ready { deadline } => {
                if now < deadline {
                    break;
                }
                let minutes = ready_wait_minutes(deployment);
                let error = ErrorInformation {
                    code: "TIMEOUT".to_owned(),
                    message: format!(
                        "Traffic was not rerouted within the {minutes}-minute wait, so the deployment was stopped. Continue a Ready deployment with ContinueDeployment before its wait ends."
                    ),
                };
                let ending = Ending::Stopped(Some(error));
                moving.finish(deployment, deadline, &ending);
            }
            Phase::Terminating { at } => {
                if now < at {
                    break;
                }
                if deployment.shift.is_some() {
                    shifting::remove_original(moving.world, deployment, at);
                } else {
                    terminate_originals(moving.world, deployment, at);
                }
                moving.finish(deployment, at, &Ending::Succeeded);
            }
            Phase::Shifting => {
                if !shifting::step(moving, deployment, now) {
                    break;
                }
                if deployment.phase == Phase::Shifting {
                    changed = true;
                    break;
                }
            }
            Phase::Finished => break,
        }
        changed = true;
    }
    changed
}

/// Picks up after a restart at `now`: every running deployment's future is
/// moved later by the time the local cloud was not running, so it resumes
/// where it was instead of jumping ahead. Returns whether anything moved.
pub fn resume(world: &mut World, now: Timestamp) -> bool {
    let deployments = &mut world.codedeploy.deployments;
    let Some(before) = deployments.advanced_to else {
        return false;
    };
    let delta = now.as_millis().saturating_sub(before.as_millis());
    if delta <= 0 || deployments.active.is_empty() {
        return false;
    }
    let shift = |time: &mut Timestamp| {
        if *time > before {
            *time = time.plus_millis(delta);
        }
    };
    let active: Vec<String> = deployments.active.iter().cloned().collect();
    for id in active {
        let Some(deployment) = deployments.by_id.get_mut(&id) else {
            continue;
        };
        match &mut deployment.phase {
            Phase::Created { start_at } => shift(start_at),
            Phase::Ready { deadline } => shift(deadline),
            Phase::Terminating { at } => shift(at),
            Phase::Provisioning { poll_at } => shift(poll_at),
            Phase::Installing | Phase::Rerouting | Phase::Shifting | Phase::Finished => {}
        }
        if let Some(state) = deployment.shift.as_mut() {
            for time in state.times_mut() {
                shift(time);
            }
        }
        for target in &mut deployment.targets {
            if let Some(attempt) = &mut target.attempt {
                shift(&mut attempt.start);
                shift(&mut attempt.finish);
            }
            for plan in target
                .events
                .iter_mut()
                .filter_map(|record| record.plan.as_mut())
            {
                shift(&mut plan.start);
                shift(&mut plan.end);
            }
        }
    }
    deployments.advanced_to = Some(now);
    refresh_next_due(world);
    true
}

/// Prepares a world just read from disk to run at `now`: see [`resume`].
/// The time of the next change is worked out afresh either way.
pub fn prepare_loaded(world: &mut World, now: Timestamp) {
    if !resume(world, now) {
        refresh_next_due(world);
    }
}
