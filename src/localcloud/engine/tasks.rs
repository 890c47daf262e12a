//! What an ECS blue/green deployment does to the service and its load
//! balancer: the replacement task set behind the target group that does not
//! serve production traffic, the test listeners sent to it, the production
//! listeners' weights moved by the schedule, the replacement made primary
//! and the original removed. What the deployment last saw of both task sets
//! is kept in its [`EcsShift`] for `BatchGetDeploymentTargets`.
//!
//! A Lambda deployment has none of this: every function here leaves it
//! alone.

use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Diagnostics, EcsShift, ErrorInformation, Shift, ShiftKind, TaskSetInfo,
};
use crate::localcloud::ecs::state::{LoadBalancer, TaskSet};
use crate::localcloud::ecs::task_set_state::{NewTaskSet, PRIMARY};
use crate::localcloud::world::World;

/// How an event that ended went: `None` for success.
type Outcome = Option<Diagnostics>;

/// How often the engine looks at a replacement whose tasks are starting.
const POLL_MILLIS: i64 = 1000;

/// The failure of an ECS step, as the event's diagnostics.
fn failed(message: impl Into<String>) -> Diagnostics {
    Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: message.into(),
        log_tail: String::new(),
    }
}

/// The ARN of the target group named `name`.
fn target_group_arn(world: &World, name: &str) -> Option<String> {
    world
        .elbv2
        .target_groups
        .values()
        .find(|group| group.name == name)
        .map(|group| group.arn.clone())
}

/// The name of the target group `arn`.
fn target_group_name(world: &World, arn: &str) -> Option<String> {
    world
        .elbv2
        .target_groups
        .get(arn)
        .map(|group| group.name.clone())
}

/// What the deployment shows of `task_set` at `now`.
fn snapshot(
    world: &World,
    task_set: &TaskSet,
    service_desired: i64,
    traffic_weight: f64,
    now: Timestamp,
) -> TaskSetInfo {
    let counts = task_set.counts(service_desired, now);
    TaskSetInfo {
        id: task_set.id.clone(),
        desired: counts.computed_desired,
        pending: counts.pending,
        running: counts.running,
        status: task_set.status.clone(),
        traffic_weight,
        target_group: task_set
            .load_balancers
            .first()
            .and_then(|balancer| target_group_name(world, &balancer.target_group_arn))
            .unwrap_or_default(),
    }
}

/// Brings what the deployment shows of both task sets up to `now`.
fn refresh(world: &World, ecs: &mut EcsShift, now: Timestamp) {
    let Some(service) = world.ecs.service(&ecs.cluster, &ecs.service) else {
        return;
    };
    for info in [ecs.blue.as_mut(), ecs.green.as_mut()]
        .into_iter()
        .flatten()
    {
        if let Some(task_set) = service.task_set(&info.id) {
            *info = snapshot(
                world,
                task_set,
                service.desired_count,
                info.traffic_weight,
                now,
            );
        }
    }
}

/// Checks, when an ECS deployment starts at `now`, what it names: the
/// service under the `CODE_DEPLOY` controller with a primary task set, the
/// AppSpec's task definition with its container and port, the two target
/// groups and the listeners. Picks the original (blue) target group: the
/// one the primary task set is behind.
pub(super) fn check(
    world: &World,
    ecs: &mut EcsShift,
    rollback: bool,
    now: Timestamp,
) -> Result<(), ErrorInformation> {
    let error = |code: &str, message: String| ErrorInformation {
        code: code.to_owned(),
        message,
    };
    let service = world.ecs.service(&ecs.cluster, &ecs.service).ok_or_else(|| {
        error(
            "INVALID_ECS_SERVICE",
            format!(
                "The deployment failed because the ECS service {} does not exist in the cluster {}. Create it with the CODE_DEPLOY deployment controller, or fix the deployment group's ecsServices.",
                ecs.service, ecs.cluster
            ),
        )
    })?;
    if service.deployment_controller != "CODE_DEPLOY" {
        return Err(error(
            "INVALID_ECS_SERVICE",
            format!(
                "The deployment failed because the ECS service {} uses the {} deployment controller; CodeDeploy deploys only to services created with the CODE_DEPLOY deployment controller.",
                ecs.service, service.deployment_controller
            ),
        ));
    }
    if rollback {
        // A rollback moves traffic back to what is already there.
        return Ok(());
    }
    let definition = world
        .ecs
        .task_definition(&ecs.task_definition)
        .filter(|definition| definition.status == "ACTIVE")
        .ok_or_else(|| {
            error(
                "ECS_UPDATE_ERROR",
                format!(
                    "The deployment failed because the task definition {} in the AppSpec does not exist or is not active. Register it, or name an active revision.",
                    ecs.task_definition
                ),
            )
        })?;
    let container = definition.container(&ecs.container_name).ok_or_else(|| {
        error(
            "ECS_UPDATE_ERROR",
            format!(
                "The deployment failed because the container {} does not exist in the task definition {}. Use a container name of the task definition in the AppSpec's LoadBalancerInfo.",
                ecs.container_name, definition.arn
            ),
        )
    })?;
    if !container
        .port_mappings
        .iter()
        .any(|mapping| mapping.container_port == i32::from(ecs.container_port))
    {
        return Err(error(
            "ECS_UPDATE_ERROR",
            format!(
                "The deployment failed because the container {} did not have a container port {} defined in the task definition {}.",
                ecs.container_name, ecs.container_port, definition.arn
            ),
        ));
    }
    ecs.task_definition.clone_from(&definition.arn);
    let primary = service
        .task_sets
        .iter()
        .find(|task_set| task_set.status == PRIMARY)
        .ok_or_else(|| {
            error(
                "ECS_UPDATE_ERROR",
                format!(
                    "The deployment failed because the ECS service {} has no primary task set to replace.",
                    ecs.service
                ),
            )
        })?;
    for name in [&ecs.blue_target_group, &ecs.green_target_group] {
        if target_group_arn(world, name).is_none() {
            return Err(error(
                "ELASTIC_LOAD_BALANCING_INVALID",
                format!(
                    "The deployment failed because the target group {name} of the deployment group does not exist."
                ),
            ));
        }
    }
    if ecs.prod_listeners.is_empty() {
        return Err(error(
            "ELASTIC_LOAD_BALANCING_INVALID",
            "The deployment failed because the deployment group names no production listener."
                .to_owned(),
        ));
    }
    if let Some(missing) = ecs
        .prod_listeners
        .iter()
        .chain(&ecs.test_listeners)
        .find(|arn| !world.elbv2.listeners.contains_key(*arn))
    {
        return Err(error(
            "ELASTIC_LOAD_BALANCING_INVALID",
            format!("The deployment failed because the listener {missing} does not exist."),
        ));
    }
    // The replacement goes behind whichever group of the pair does not
    // serve the primary task set, as deployments alternate between them.
    let serving = snapshot(world, primary, service.desired_count, 100.0, now);
    if serving.target_group == ecs.green_target_group {
        std::mem::swap(&mut ecs.blue_target_group, &mut ecs.green_target_group);
    }
    ecs.blue = Some(serving);
    Ok(())
}

/// The ECS part of a shift, if it is an ECS deployment's.
fn ecs_of(shift: &mut Shift) -> Option<&mut EcsShift> {
    match &mut shift.kind {
        ShiftKind::Ecs(ecs) => Some(ecs),
        ShiftKind::Lambda(_) => None,
    }
}

/// Starts the replacement task set of deployment `deployment_id` at `at`,
/// behind the replacement target group (a rollback's replacement, the
/// original task set, is there already).
pub(super) fn start_replacement(
    world: &mut World,
    shift: &mut Shift,
    deployment_id: &str,
    at: Timestamp,
) -> Result<(), Diagnostics> {
    let Some(ecs) = ecs_of(shift) else {
        return Ok(());
    };
    if let Some(green) = &ecs.green
        && world
            .ecs
            .service(&ecs.cluster, &ecs.service)
            .is_some_and(|service| service.task_set(&green.id).is_some())
    {
        return Ok(());
    }
    let green_arn = target_group_arn(world, &ecs.green_target_group).ok_or_else(|| {
        failed(format!(
            "The target group {} no longer exists.",
            ecs.green_target_group
        ))
    })?;
    let new = NewTaskSet {
        task_definition_arn: ecs.task_definition.clone(),
        external_id: Some(deployment_id.to_owned()),
        load_balancers: vec![LoadBalancer {
            target_group_arn: green_arn,
            container_name: ecs.container_name.clone(),
            container_port: i32::from(ecs.container_port),
        }],
        scale_percent: 100.0,
        launch_type: None,
    };
    let id = world
        .ecs
        .create_task_set(&ecs.cluster, &ecs.service, new, at)
        .map_err(|message| {
            failed(format!(
                "ECS could not create the replacement task set: {message}"
            ))
        })?;
    ecs.green = Some(TaskSetInfo {
        id,
        desired: 0,
        pending: 0,
        running: 0,
        status: "ACTIVE".to_owned(),
        traffic_weight: 0.0,
        target_group: ecs.green_target_group.clone(),
    });
    refresh(world, ecs, at);
    Ok(())
}

/// When the replacement's tasks are all running, if they are by `now`;
/// otherwise notes when to look again.
pub(super) fn replacement_ready(
    world: &mut World,
    shift: &mut Shift,
    now: Timestamp,
) -> Option<(Timestamp, Outcome)> {
    let cursor = shift.cursor;
    let Some(ecs) = ecs_of(shift) else {
        return Some((cursor, None));
    };
    refresh(world, ecs, now);
    let steady = world
        .ecs
        .service(&ecs.cluster, &ecs.service)
        .and_then(|service| {
            let green = ecs.green.as_ref()?;
            let task_set = service.task_set(&green.id)?;
            Some(task_set.counts(service.desired_count, now).steady_since)
        });
    match steady {
        None => Some((
            now,
            Some(failed(
                "The replacement task set or its service no longer exists.",
            )),
        )),
        Some(Some(since)) => Some((since.max(cursor).min(now), None)),
        Some(None) => {
            shift.next_at = Some(now.plus_millis(POLL_MILLIS));
            None
        }
    }
}

/// Sends the test listeners' traffic to the replacement.
pub(super) fn allow_test_traffic(world: &mut World, shift: &mut Shift) -> Result<(), Diagnostics> {
    let Some(ecs) = ecs_of(shift) else {
        return Ok(());
    };
    let Some(green) = target_group_arn(world, &ecs.green_target_group) else {
        return Err(failed(format!(
            "The target group {} no longer exists.",
            ecs.green_target_group
        )));
    };
    for listener in &ecs.test_listeners {
        world
            .elbv2
            .route_listener(listener, &[(green.clone(), 1)])
            .map_err(|error| failed(error.to_string()))?;
    }
    Ok(())
}

/// Sends `weight` percent of production traffic to the replacement and the
/// rest to the original, on every production listener.
pub(super) fn route_production(
    world: &mut World,
    shift: &mut Shift,
    weight: f64,
) -> Result<(), Diagnostics> {
    let Some(ecs) = ecs_of(shift) else {
        return Ok(());
    };
    let (Some(blue), Some(green)) = (
        target_group_arn(world, &ecs.blue_target_group),
        target_group_arn(world, &ecs.green_target_group),
    ) else {
        return Err(failed(
            "A target group of the deployment group no longer exists.",
        ));
    };
    let to_green = weight.round().clamp(0.0, 100.0) as u32;
    let weights = if to_green >= 100 {
        vec![(green, 1)]
    } else {
        vec![(blue, 100 - to_green), (green, to_green)]
    };
    for listener in &ecs.prod_listeners {
        world
            .elbv2
            .route_listener(listener, &weights)
            .map_err(|error| failed(error.to_string()))?;
    }
    if let Some(info) = ecs.blue.as_mut() {
        info.traffic_weight = 100.0 - weight;
    }
    if let Some(info) = ecs.green.as_mut() {
        info.traffic_weight = weight;
    }
    Ok(())
}

/// Makes the replacement the service's primary task set at `at`.
pub(super) fn make_replacement_primary(
    world: &mut World,
    shift: &mut Shift,
    at: Timestamp,
) -> Result<(), Diagnostics> {
    let Some(ecs) = ecs_of(shift) else {
        return Ok(());
    };
    let Some(green) = ecs.green.as_ref().map(|green| green.id.clone()) else {
        return Ok(());
    };
    world
        .ecs
        .set_primary_task_set(&ecs.cluster, &ecs.service, &green, at)
        .map_err(|message| {
            failed(format!(
                "ECS could not make the replacement primary: {message}"
            ))
        })?;
    refresh(world, ecs, at);
    Ok(())
}

/// Removes the original task set at `at`; what the deployment shows of it
/// keeps its last counts at zero.
pub(super) fn remove_original(world: &mut World, shift: &mut Shift, at: Timestamp) {
    let Some(ecs) = ecs_of(shift) else {
        return;
    };
    refresh(world, ecs, at);
    if let Some(blue) = ecs.blue.as_mut() {
        // A task set already gone needs nothing more.
        let _ = world
            .ecs
            .delete_task_set(&ecs.cluster, &ecs.service, &blue.id, at);
        blue.desired = 0;
        blue.pending = 0;
        blue.running = 0;
        "DRAINING".clone_into(&mut blue.status);
    }
}
