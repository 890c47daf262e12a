//! Lambda and ECS deployments: traffic that shifts by the configuration's
//! schedule, and hooks that are Lambda functions.
//!
//! Such a deployment has one target (the function's alias, or the ECS
//! service) whose lifecycle events run one after the other (see
//! [`Shift`]):
//!
//! - a hooked event invokes its Lambda function with a fresh execution id
//!   and waits until someone reports its status with
//!   `PutLifecycleEventHookExecutionStatus`, the function's
//!   `deploydesk:simulate` tag answers for it, or the hour (of configured
//!   minutes) runs out; an event without a hook succeeds at once;
//! - `Install` (ECS) starts the replacement task set and ends when its
//!   tasks are running; `AllowTestTraffic` sends the test listeners'
//!   traffic to it;
//! - `AllowTraffic` moves production traffic step by step as the
//!   configuration's schedule says (see
//!   [`TrafficRouting::schedule`]): the alias's
//!   `AdditionalVersionWeights`, or the production listeners' weights.
//!
//! An ECS deployment may wait in `Ready` for `ContinueDeployment` before
//! `BeforeAllowTraffic`, and keeps the original task set for the
//! termination wait after success. A failed or stopped deployment leaves
//! traffic where it was; its rollback (see [`reversed`]) moves it back at
//! once and removes the replacement.
//!
//! [`TrafficRouting::schedule`]: crate::domain::traffic::TrafficRouting::schedule

use std::collections::BTreeMap;

use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::simulate::{HookSimulation, SIMULATE_TAG};
use crate::domain::traffic::TrafficRouting;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, Diagnostics, ErrorInformation, EventStatus, HookAnswer,
    HookExecution, Phase, Shift, ShiftKind, TargetStatus,
};
use crate::localcloud::world::World;

use super::common::EngineSettings;
use super::ending::{Ending, Moving};
use super::tasks;

/// A hook function's hour to report, in configured minutes.
pub const HOOK_TIMEOUT_MINUTES: i64 = 60;

/// `errorInformation.code` of a deployment whose hook failed.
pub const HOOK_EXECUTION_FAILURE: &str = "HOOK_EXECUTION_FAILURE";

/// How an event that ended went: `None` for success.
type Outcome = Option<Diagnostics>;

/// Starts a created Lambda or ECS deployment at `at`, or fails it at
/// once when what it names does not fit (see [`check`]).
pub(super) fn begin(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    deployment.status = DeploymentStatus::InProgress;
    deployment.start_time = Some(at);
    deployment.phase = Phase::Shifting;
    if let Some(shift) = deployment.shift.as_mut() {
        shift.cursor = at;
        shift.next_at = Some(at);
    }
    for target in &mut deployment.targets {
        target.status = TargetStatus::InProgress;
        target.last_updated_at = at;
    }
    let checked = match deployment.shift.as_mut() {
        Some(shift) => check(moving.world, shift, at),
        None => Ok(()),
    };
    if let Err(error) = checked {
        moving.finish(deployment, at, &Ending::Failed(error));
    }
}

/// Checks, when a deployment starts, that what it names is there and fits,
/// as CodeDeploy does: the function, its alias pointing at the AppSpec's
/// `CurrentVersion` alone, and both versions; or the ECS service, task
/// definition, container, target groups and listeners.
fn check(world: &World, shift: &mut Shift, now: Timestamp) -> Result<(), ErrorInformation> {
    let lambda = match &mut shift.kind {
        ShiftKind::Lambda(lambda) => lambda,
        ShiftKind::Ecs(ecs) => return tasks::check(world, ecs, shift.rollback, now),
    };
    let config = |message: String| ErrorInformation {
        code: "INVALID_LAMBDA_CONFIGURATION".to_owned(),
        message,
    };
    let Some(function) = world.lambda.functions.get(&lambda.function) else {
        return Err(ErrorInformation {
            code: "INVALID_LAMBDA_FUNCTION".to_owned(),
            message: format!(
                "The deployment failed because the Lambda function {} does not exist. Create it, or name an existing function in the AppSpec.",
                lambda.function
            ),
        });
    };
    for (role, version) in [
        ("CurrentVersion", &lambda.current_version),
        ("TargetVersion", &lambda.target_version),
    ] {
        if function.version(version).is_none() {
            return Err(config(format!(
                "The deployment failed because version {version} (the AppSpec's {role}) of the Lambda function {} does not exist. Publish it with PublishVersion, or name a published version.",
                lambda.function
            )));
        }
    }
    let Some(alias) = function.aliases.get(&lambda.alias) else {
        return Err(config(format!(
            "The deployment failed because the Lambda function {} has no alias {}. Create the alias pointing at version {}.",
            lambda.function, lambda.alias, lambda.current_version
        )));
    };
    if shift.rollback {
        return Ok(());
    }
    if alias.function_version != lambda.current_version
        || !alias.additional_version_weights.is_empty()
    {
        let weighted = if alias.additional_version_weights.is_empty() {
            String::new()
        } else {
            " with a share of its traffic going to another version".to_owned()
        };
        return Err(config(format!(
            "The deployment failed because the alias {} of the Lambda function {} points at version {}{weighted}, not at the AppSpec's CurrentVersion {} alone. Set CurrentVersion to the version the alias points at, or update the alias first.",
            lambda.alias, lambda.function, alias.function_version, lambda.current_version
        )));
    }
    Ok(())
}

/// Moves a shifting deployment on as far as `now` allows. Returns whether
/// anything changed.
pub(super) fn step(moving: &mut Moving<'_>, deployment: &mut Deployment, now: Timestamp) -> bool {
    let mut changed = false;
    while let Some(shift) = deployment.shift.as_ref() {
        let index = shift.step;
        let cursor = shift.cursor;
        let Some(record) = deployment.targets.first().and_then(|t| t.events.get(index)) else {
            succeed(moving, deployment, cursor);
            changed = true;
            break;
        };
        let event = record.event;
        match record.status {
            EventStatus::Pending => {
                if cursor > now {
                    set_next(deployment, cursor);
                    break;
                }
                if event == LifecycleEvent::BeforeAllowTraffic && wait_ready(moving, deployment) {
                    changed = true;
                    break;
                }
                start_event(moving, deployment, index, cursor);
            }
            EventStatus::InProgress => match poll_event(moving, deployment, index, now) {
                Some((end, outcome)) => end_event(deployment, index, end, outcome),
                None => break,
            },
            EventStatus::Succeeded | EventStatus::Skipped | EventStatus::Unknown => {
                let ended = record.end_time.unwrap_or(cursor);
                if let Some(shift) = deployment.shift.as_mut() {
                    shift.step += 1;
                    shift.cursor = ended.max(cursor);
                }
            }
            EventStatus::Failed => {
                let at = record.end_time.unwrap_or(cursor);
                let error = failure_of(deployment, index);
                moving.finish(deployment, at, &Ending::Failed(error));
                changed = true;
                break;
            }
        }
        changed = true;
    }
    changed
}

/// When deployment `deployment` next needs the engine, if it is shifting.
pub(super) fn next_due(deployment: &Deployment) -> Option<Timestamp> {
    deployment.shift.as_ref().and_then(|shift| shift.next_at)
}

/// Notes when the engine must next look at `deployment`.
fn set_next(deployment: &mut Deployment, at: Timestamp) {
    if let Some(shift) = deployment.shift.as_mut() {
        shift.next_at = Some(at);
    }
}

/// The error of a deployment whose event `index` failed.
fn failure_of(deployment: &Deployment, index: usize) -> ErrorInformation {
    let record = &deployment.targets[0].events[index];
    let reason = record
        .diagnostics
        .as_ref()
        .map(|diagnostics| diagnostics.message.clone())
        .unwrap_or_default();
    let hooked = deployment
        .shift
        .as_ref()
        .and_then(|shift| shift.hook(record.event))
        .is_some();
    if hooked {
        ErrorInformation {
            code: HOOK_EXECUTION_FAILURE.to_owned(),
            message: format!(
                "The deployment failed because the {} lifecycle event hook failed. {reason}",
                record.event
            ),
        }
    } else {
        let code = match deployment.shift.as_ref().map(|shift| &shift.kind) {
            Some(ShiftKind::Ecs(_)) => "ECS_UPDATE_ERROR",
            _ => "INVALID_LAMBDA_CONFIGURATION",
        };
        ErrorInformation {
            code: code.to_owned(),
            message: format!(
                "The deployment failed in its {} lifecycle event. {reason}",
                record.event
            ),
        }
    }
}

/// Starts event `index` at `at`.
fn start_event(moving: &mut Moving<'_>, deployment: &mut Deployment, index: usize, at: Timestamp) {
    let event = deployment.targets[0].events[index].event;
    {
        let target = &mut deployment.targets[0];
        let record = &mut target.events[index];
        record.status = EventStatus::InProgress;
        record.start_time = Some(at);
        target.last_updated_at = target.last_updated_at.max(at);
    }
    let settings = moving.settings;
    let Some(shift) = deployment.shift.as_mut() else {
        return;
    };
    shift.next_at = Some(at);
    let rollback = shift.rollback;
    let started = match event {
        LifecycleEvent::AllowTraffic => {
            shift.traffic_started = Some(at);
            Ok(())
        }
        LifecycleEvent::Install => {
            tasks::start_replacement(moving.world, shift, &deployment.deployment_id, at)
        }
        LifecycleEvent::AllowTestTraffic => tasks::allow_test_traffic(moving.world, shift),
        _ => match shift.hook(event).map(str::to_owned) {
            Some(function) if !rollback => {
                invoke_hook(moving.world, shift, event, &function, at, settings)
            }
            _ => Ok(()),
        },
    };
    if let Err(diagnostics) = started {
        end_event(deployment, index, at, Some(diagnostics));
        return;
    }
    let invoked = deployment.shift.as_ref().and_then(|shift| {
        shift
            .executions
            .last()
            .filter(|execution| execution.open && execution.event == event)
            .map(|execution| invocation(&deployment.deployment_id, execution))
    });
    if let Some(diagnostics) = invoked {
        deployment.targets[0].events[index].diagnostics = Some(diagnostics);
    }
}

/// What a running hook event shows: the function invoked and, as its log
/// tail, the event CodeDeploy passed it, with the ids that
/// `PutLifecycleEventHookExecutionStatus` takes.
fn invocation(deployment_id: &str, execution: &HookExecution) -> Diagnostics {
    let payload = serde_json::json!({
        "DeploymentId": deployment_id,
        "LifecycleEventHookExecutionId": execution.id,
    });
    Diagnostics {
        error_code: "Success".to_owned(),
        script_name: execution.function.clone(),
        message: format!(
            "CodeDeploy invoked the hook function {} and waits for it to report its status with PutLifecycleEventHookExecutionStatus.",
            execution.function
        ),
        log_tail: payload.to_string(),
    }
}

/// Invokes the hook `function` of `event` at `at`: a new execution that
/// its simulate tag may answer.
fn invoke_hook(
    world: &World,
    shift: &mut Shift,
    event: LifecycleEvent,
    function: &str,
    at: Timestamp,
    settings: EngineSettings,
) -> Result<(), Diagnostics> {
    let name = function_name(function);
    let Some(found) = world.lambda.functions.get(name) else {
        return Err(Diagnostics {
            error_code: "UnknownError".to_owned(),
            script_name: function.to_owned(),
            message: format!(
                "The {event} hook could not invoke the Lambda function {function}: Function not found. Create the function, or name an existing one in the AppSpec's Hooks."
            ),
            log_tail: String::new(),
        });
    };
    let answer = match HookSimulation::of_tag(found.tags.get(SIMULATE_TAG).map(String::as_str)) {
        HookSimulation::Succeeds => Some(EventStatus::Succeeded),
        HookSimulation::Fails => Some(EventStatus::Failed),
        HookSimulation::Silent => None,
    };
    shift.executions.push(HookExecution {
        id: uuid::Uuid::new_v4().to_string(),
        event,
        function: function.to_owned(),
        issued: at,
        deadline: at.plus_millis(settings.minutes_millis(HOOK_TIMEOUT_MINUTES)),
        answer: answer.map(|status| HookAnswer {
            at: at.plus_millis(settings.event_millis()),
            status,
        }),
        open: true,
    });
    Ok(())
}

/// The function name of `function`, a name or an ARN (with or without a
/// qualifier).
pub fn function_name(function: &str) -> &str {
    let rest = function
        .split_once(":function:")
        .map_or(function, |(_, rest)| rest);
    rest.split(':').next().unwrap_or(rest)
}

/// Sees whether running event `index` has ended by `now`: when and how,
/// or `None` while it runs on (with the time to look again noted).
fn poll_event(
    moving: &mut Moving<'_>,
    deployment: &mut Deployment,
    index: usize,
    now: Timestamp,
) -> Option<(Timestamp, Outcome)> {
    let event = deployment.targets[0].events[index].event;
    let settings = moving.settings;
    let shift = deployment.shift.as_mut()?;
    match event {
        LifecycleEvent::AllowTraffic => shift_traffic(moving.world, shift, now, settings),
        LifecycleEvent::Install => tasks::replacement_ready(moving.world, shift, now),
        LifecycleEvent::AllowTestTraffic => Some((shift.cursor, None)),
        _ => poll_hook(shift, event, now),
    }
}

/// How the open execution of `event`'s hook has gone by `now`.
fn poll_hook(
    shift: &mut Shift,
    event: LifecycleEvent,
    now: Timestamp,
) -> Option<(Timestamp, Outcome)> {
    let Some(execution) = shift
        .executions
        .iter_mut()
        .rev()
        .find(|execution| execution.open && execution.event == event)
    else {
        // No hook: nothing to wait for.
        return Some((shift.cursor, None));
    };
    let ends = match execution.answer {
        Some(answer) if answer.at <= now && answer.at <= execution.deadline => Some((
            answer.at,
            (answer.status != EventStatus::Succeeded).then(|| Diagnostics {
                error_code: "ScriptFailed".to_owned(),
                script_name: execution.function.clone(),
                message: format!(
                    "The Lambda function {} reported {} for execution {}.",
                    execution.function,
                    answer.status.as_str(),
                    execution.id
                ),
                log_tail: String::new(),
            }),
        )),
        _ if now >= execution.deadline => Some((
            execution.deadline,
            Some(Diagnostics {
                error_code: "ScriptTimedOut".to_owned(),
                script_name: execution.function.clone(),
                message: format!(
                    "The Lambda function {} did not report the status of execution {} with PutLifecycleEventHookExecutionStatus within {HOOK_TIMEOUT_MINUTES} minutes.",
                    execution.function, execution.id
                ),
                log_tail: String::new(),
            }),
        )),
        _ => None,
    };
    if let Some(ended) = ends {
        execution.open = false;
        return Some(ended);
    }
    let next = execution.answer.map_or(execution.deadline, |answer| {
        answer.at.min(execution.deadline)
    });
    shift.next_at = Some(next);
    None
}

/// Applies the schedule's steps that are due by `now`, each at its own
/// time; ends `AllowTraffic` at the last one.
fn shift_traffic(
    world: &mut World,
    shift: &mut Shift,
    now: Timestamp,
    settings: EngineSettings,
) -> Option<(Timestamp, Outcome)> {
    let started = shift.traffic_started.unwrap_or(shift.cursor);
    let routing = if shift.rollback {
        TrafficRouting::AllAtOnce
    } else {
        shift.routing
    };
    let schedule = routing.schedule();
    for step in &schedule {
        let at = started.plus_millis(settings.minutes_millis(i64::from(step.at_minutes)));
        if at > now {
            shift.next_at = Some(at);
            return None;
        }
        let weight = f64::from(step.weight);
        if weight > shift.weight {
            if let Err(diagnostics) = route(world, shift, weight) {
                return Some((at, Some(diagnostics)));
            }
            shift.weight = weight;
        }
        if step.weight >= 100 {
            if let Err(diagnostics) = tasks::make_replacement_primary(world, shift, at) {
                return Some((at, Some(diagnostics)));
            }
            return Some((at, None));
        }
    }
    Some((started, None))
}

/// Sends `weight` percent of production traffic to the new version or task
/// set.
fn route(world: &mut World, shift: &mut Shift, weight: f64) -> Result<(), Diagnostics> {
    match &shift.kind {
        ShiftKind::Lambda(lambda) => {
            let (version, weights) = if weight >= 100.0 {
                (lambda.target_version.clone(), BTreeMap::new())
            } else {
                (
                    lambda.current_version.clone(),
                    BTreeMap::from([(lambda.target_version.clone(), weight / 100.0)]),
                )
            };
            if world
                .lambda
                .route_alias(&lambda.function, &lambda.alias, &version, weights)
            {
                Ok(())
            } else {
                Err(Diagnostics {
                    error_code: "UnknownError".to_owned(),
                    script_name: String::new(),
                    message: format!(
                        "The alias {} of the Lambda function {} no longer exists, so its traffic cannot move.",
                        lambda.alias, lambda.function
                    ),
                    log_tail: String::new(),
                })
            }
        }
        ShiftKind::Ecs(_) => tasks::route_production(world, shift, weight),
    }
}

/// Ends event `index` at `end` as `outcome` says.
fn end_event(deployment: &mut Deployment, index: usize, end: Timestamp, outcome: Outcome) {
    let target = &mut deployment.targets[0];
    let record = &mut target.events[index];
    let failed = outcome.is_some();
    record.status = if failed {
        EventStatus::Failed
    } else {
        EventStatus::Succeeded
    };
    record.end_time = Some(end);
    if let Some(mut failure) = outcome {
        if let Some(invoked) = record.diagnostics.take() {
            failure.log_tail = invoked.log_tail;
        }
        record.diagnostics = Some(failure);
    } else if record.diagnostics.is_none() {
        record.diagnostics = None;
    } else if let Some(diagnostics) = record.diagnostics.as_mut() {
        diagnostics.message = format!(
            "The hook function {} reported Succeeded.",
            diagnostics.script_name
        );
    }
    target.last_updated_at = target.last_updated_at.max(end);
    if let Some(shift) = deployment.shift.as_mut() {
        shift.next_at = Some(end);
    }
}

/// Every event has succeeded at `at`: an ECS deployment waits to remove
/// the original task set, the rest succeed now.
fn succeed(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    if let Some(target) = deployment.targets.first_mut() {
        target.status = TargetStatus::Succeeded;
        target.last_updated_at = target.last_updated_at.max(at);
    }
    let wait = match deployment.shift.as_ref().map(|shift| &shift.kind) {
        Some(ShiftKind::Ecs(ecs)) if !deployment.shift.as_ref().is_some_and(|s| s.rollback) => {
            Some(ecs.termination_wait_minutes)
        }
        _ => None,
    };
    match wait {
        Some(minutes) if minutes > 0 => {
            deployment.instance_termination_wait_time_started = true;
            deployment.phase = Phase::Terminating {
                at: at.plus_millis(moving.settings.minutes_millis(minutes)),
            };
        }
        _ => {
            remove_original(moving.world, deployment, at);
            moving.finish(deployment, at, &Ending::Succeeded);
        }
    }
}

/// Removes what the deployment replaced, at `at`: the original task set
/// of an ECS service. A Lambda alias has nothing to remove.
pub(super) fn remove_original(world: &mut World, deployment: &mut Deployment, at: Timestamp) {
    if let Some(shift) = deployment.shift.as_mut() {
        tasks::remove_original(world, shift, at);
    }
}

/// Whether an ECS deployment is to wait in `Ready` before
/// `BeforeAllowTraffic`; if so, it now does.
fn wait_ready(moving: &mut Moving<'_>, deployment: &mut Deployment) -> bool {
    let Some(shift) = deployment.shift.as_ref() else {
        return false;
    };
    let ShiftKind::Ecs(ecs) = &shift.kind else {
        return false;
    };
    let Some(minutes) = ecs.ready_wait_minutes else {
        return false;
    };
    if shift.continued || shift.rollback {
        return false;
    }
    let deadline = shift
        .cursor
        .plus_millis(moving.settings.minutes_millis(minutes));
    deployment.status = DeploymentStatus::Ready;
    deployment.phase = Phase::Ready { deadline };
    true
}

/// Lets a shifting deployment waiting in `Ready` go on at `now`.
pub(super) fn continue_ready(deployment: &mut Deployment, now: Timestamp) {
    deployment.status = DeploymentStatus::InProgress;
    deployment.phase = Phase::Shifting;
    if let Some(shift) = deployment.shift.as_mut() {
        shift.continued = true;
        shift.cursor = shift.cursor.max(now);
        shift.next_at = Some(now);
    }
}
