//! `StartInstances`, `StopInstances` and `TerminateInstances`: state
//! changes with the previous and current state of each instance.
//!
//! As in EC2, each change goes through a transitional state (`pending`,
//! `stopping`, `shutting-down`) that ends after a short while on the local
//! cloud's clock; asking for the state an instance is already in or going
//! to changes nothing; and an instance that cannot make the change (a
//! pending instance cannot be stopped, a terminated one cannot be started)
//! fails the whole request with `IncorrectInstanceState` before anything
//! changes. A stopped or stopping instance fails the CodeDeploy deployments
//! that reach it, as an instance without a running agent does.

use serde::Serialize;

use super::common::{Context, known_instance_ids};
use super::state::{Ec2State, InstanceState};
use super::xml::{Items, StateXml};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// A change of state that can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Start a stopped instance.
    Start,
    /// Stop a running instance.
    Stop,
    /// Terminate an instance.
    Terminate,
}

impl Change {
    /// The verb for messages.
    fn verb(self) -> &'static str {
        match self {
            Self::Start => "started",
            Self::Stop => "stopped",
            Self::Terminate => "terminated",
        }
    }

    /// The state an instance in `current` goes to, or `None` if it cannot
    /// make this change.
    fn next(self, current: InstanceState) -> Option<InstanceState> {
        use InstanceState::{Pending, Running, ShuttingDown, Stopped, Stopping, Terminated};
        match (self, current) {
            (Self::Start, Stopped) => Some(Pending),
            (Self::Start, Pending | Running)
            | (Self::Stop, Stopping | Stopped)
            | (Self::Terminate, ShuttingDown | Terminated) => Some(current),
            (Self::Stop, Running) => Some(Stopping),
            (Self::Terminate, Pending | Running | Stopping | Stopped) => Some(ShuttingDown),
            (Self::Start, Stopping | ShuttingDown | Terminated)
            | (Self::Stop, Pending | ShuttingDown | Terminated) => None,
        }
    }
}

/// One instance's change, as the response lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StateChangeXml {
    /// The instance.
    instance_id: String,
    /// Its state now.
    current_state: StateXml,
    /// Its state before the request.
    previous_state: StateXml,
}

/// The output of the three operations.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StateChangesXml {
    /// The instances, in the order the request named them.
    instances_set: Items<StateChangeXml>,
}

/// Applies `change` to the instances `InstanceId.N`.
fn apply(
    ec2: &mut Ec2State,
    context: &Context,
    params: &Params,
    change: Change,
) -> Result<String, ApiError> {
    let instance_ids = known_instance_ids(ec2, params)?;
    // Work out every change before making any, so that a refusal leaves
    // every instance as it was.
    let mut changes = Vec::with_capacity(instance_ids.len());
    for instance_id in &instance_ids {
        let Some(instance) = ec2.instances.get(instance_id) else {
            continue;
        };
        let previous = instance.state;
        let next = change.next(previous).ok_or_else(|| {
            ApiError::new(
                "IncorrectInstanceState",
                format!(
                    "The instance '{instance_id}' is not in a state from which it can be {} (it is {}); wait until it is {}.",
                    change.verb(),
                    previous.name(),
                    if change == Change::Start { "stopped" } else { "running" }
                ),
            )
        })?;
        changes.push((instance_id, previous, next));
    }
    for (instance_id, _, next) in &changes {
        ec2.set_state(instance_id, *next, context.now);
    }
    context.respond(&StateChangesXml {
        instances_set: changes
            .into_iter()
            .map(|(instance_id, previous, next)| StateChangeXml {
                instance_id: instance_id.clone(),
                current_state: next.into(),
                previous_state: previous.into(),
            })
            .collect(),
    })
}

/// `StartInstances`: stopped instances become pending, then running.
pub fn start(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    apply(ec2, context, params, Change::Start)
}

/// `StopInstances`: running instances become stopping, then stopped.
pub fn stop(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    apply(ec2, context, params, Change::Stop)
}

/// `TerminateInstances`: instances become shutting-down, then terminated,
/// and stay listed as terminated.
pub fn terminate(
    ec2: &mut Ec2State,
    context: &Context,
    params: &Params,
) -> Result<String, ApiError> {
    apply(ec2, context, params, Change::Terminate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstanceState::{Pending, Running, ShuttingDown, Stopped, Stopping, Terminated};

    #[test]
    fn changes_follow_ec2s_state_machine() {
        assert_eq!(Change::Start.next(Stopped), Some(Pending));
        assert_eq!(Change::Start.next(Running), Some(Running));
        assert_eq!(Change::Start.next(Stopping), None);
        assert_eq!(Change::Start.next(Terminated), None);
        assert_eq!(Change::Stop.next(Running), Some(Stopping));
        assert_eq!(Change::Stop.next(Stopped), Some(Stopped));
        assert_eq!(Change::Stop.next(Pending), None);
        assert_eq!(Change::Stop.next(ShuttingDown), None);
        for state in InstanceState::ALL {
            let next = Change::Terminate.next(state);
            if state.exists() {
                assert_eq!(next, Some(ShuttingDown), "{state:?}");
            } else {
                assert_eq!(next, Some(state), "{state:?}");
            }
        }
    }
}
