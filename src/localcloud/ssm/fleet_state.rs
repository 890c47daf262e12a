//! Systems Manager's view of the fleet, and what it does on the clock.
//!
//! An EC2 instance is managed (`Online`) while it is running and the role
//! of its instance profile allows `ssm:UpdateInstanceInformation` (as
//! `AmazonSSMManagedInstanceCore` does): its SSM Agent then registers. A
//! registered instance that stops, or whose role stops allowing it, shows
//! `ConnectionLost`; a terminated one is forgotten. [`settle`] keeps the
//! registrations up to date, moves invocations along (`Pending`, `InProgress`,
//! then `Success` or `Failed`; `Delayed` while the instance cannot be reached,
//! until the delivery timeout), and runs associations when they are due
//! (and, once they have run, on each instance of their targets that
//! registers later).
//!
//! Each instance has a CodeDeploy agent ([`agent_of`]): the one Systems
//! Manager last left there, or, on an instance it never touched, the one
//! its `deploydesk:simulate` tag says (none with `no-agent`, else the
//! default version, running). The deployment engine reads it.

use std::collections::BTreeMap;

use super::document_state::{self, DEFAULT_AGENT_VERSION};
use super::state::{Association, CodeDeployAgent, Invocation, InvocationStatus, Overview, Target};
use crate::domain::policy::allows_action;
use crate::domain::simulate::{SIMULATE_TAG, SimulatedBehaviour};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::ec2::{Ec2Instance, InstanceState};
use crate::localcloud::world::World;

/// How long a command takes to reach an instance.
pub const DELIVERY_MILLIS: i64 = 1000;
/// The action an instance's role must allow for its SSM Agent to register.
pub const REGISTER_ACTION: &str = "ssm:UpdateInstanceInformation";
/// The target key that names instances by id.
pub const INSTANCE_IDS_KEY: &str = "InstanceIds";
/// The version of the SSM Agent every managed instance runs.
pub const SSM_AGENT_VERSION: &str = "3.3.1142.0";

/// The CodeDeploy agent of EC2 instance `instance_id`, or `None` for an
/// instance EC2 does not have.
pub fn agent_of(world: &World, instance_id: &str) -> Option<CodeDeployAgent> {
    let instance = world.ec2.instances.get(instance_id)?;
    if let Some(agent) = world.ssm.agents.get(instance_id) {
        return Some(agent.clone());
    }
    let simulated = instance
        .tags
        .get(SIMULATE_TAG)
        .and_then(|value| SimulatedBehaviour::parse(value).ok())
        .unwrap_or_default();
    Some(if simulated.no_agent {
        CodeDeployAgent::NotInstalled
    } else {
        CodeDeployAgent::Running {
            version: DEFAULT_AGENT_VERSION.to_owned(),
        }
    })
}

/// The name of the role that lets `instance`'s SSM Agent register, or
/// `None` when it has no instance profile, its profile has no role the
/// local IAM knows, or the role does not allow [`REGISTER_ACTION`].
pub fn ssm_role(world: &World, instance: &Ec2Instance) -> Option<String> {
    let role = world.instance_role(instance)?;
    let policies = world.role_policies(&role.arn())?;
    allows_action(&policies, REGISTER_ACTION).then(|| role.name.clone())
}

/// Whether instance `instance_id` is registered and online now.
pub fn is_online(world: &World, instance_id: &str) -> bool {
    world
        .ssm
        .nodes
        .get(instance_id)
        .is_some_and(|node| node.online)
}

/// The registered instances `targets` name, in instance id order: by id
/// (`InstanceIds`) or by tag (`tag:<key>` with its values). Instances that
/// are not registered are left out.
pub fn registered_targets(world: &World, targets: &[Target]) -> Vec<String> {
    let mut found: Vec<String> = world
        .ssm
        .nodes
        .keys()
        .filter(|instance_id| {
            let instance = world.ec2.instances.get(instance_id.as_str());
            targets.iter().any(|target| {
                if target.key == INSTANCE_IDS_KEY {
                    return target.values.contains(instance_id);
                }
                let Some(key) = target.key.strip_prefix("tag:") else {
                    return false;
                };
                instance
                    .and_then(|instance| instance.tags.get(key))
                    .is_some_and(|value| target.values.contains(value))
            })
        })
        .cloned()
        .collect();
    found.dedup();
    found
}

/// Brings Systems Manager up to `now`: registrations, invocations and
/// associations. Returns whether anything changed.
pub fn settle(world: &mut World, now: Timestamp) -> bool {
    let (registered, newcomers) = register(world, now);
    let adopted = apply_associations_to(world, &newcomers);
    let invoked = advance_invocations(world, now);
    let associated = run_associations(world, now);
    registered || adopted || invoked || associated
}

/// Registers the instances whose agent can reach Systems Manager, marks
/// the others `ConnectionLost`, and forgets terminated ones. Returns
/// whether anything changed, and the instances registered for the first
/// time.
fn register(world: &mut World, now: Timestamp) -> (bool, Vec<String>) {
    let mut changed = false;
    let mut newcomers = Vec::new();
    let mut roles: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut updates = Vec::new();
    for instance in world.ec2.instances.values() {
        let node = world.ssm.nodes.get(&instance.instance_id);
        if !instance.state.exists() {
            if node.is_some() {
                updates.push((instance.instance_id.clone(), None));
            }
            continue;
        }
        let running = instance.state == InstanceState::Running;
        let role = if running {
            let key = instance
                .iam_instance_profile
                .as_ref()
                .map(|profile| profile.arn.clone())
                .unwrap_or_default();
            roles
                .entry(key)
                .or_insert_with(|| ssm_role(world, instance))
                .clone()
        } else {
            None
        };
        match (node, role) {
            (None, None) => {}
            (Some(node), None) if !node.online => {}
            (Some(node), Some(role)) if node.online && node.iam_role == role => {}
            (node, role) => {
                if node.is_none() {
                    newcomers.push(instance.instance_id.clone());
                }
                let mut record = node.cloned().unwrap_or_else(|| super::state::ManagedNode {
                    instance_id: instance.instance_id.clone(),
                    registered: now,
                    online: false,
                    last_ping: now,
                    iam_role: String::new(),
                });
                record.online = role.is_some();
                record.last_ping = now;
                if let Some(role) = role {
                    record.iam_role = role;
                }
                updates.push((instance.instance_id.clone(), Some(record)));
            }
        }
    }
    for (instance_id, record) in updates {
        changed = true;
        match record {
            Some(record) => {
                world.ssm.nodes.insert(instance_id, record);
            }
            None => {
                world.ssm.nodes.remove(&instance_id);
            }
        }
    }
    (changed, newcomers)
}

/// Moves every unfinished invocation on to `now`, applying what finished
/// invocations did to their instances' agents in the order they finished.
fn advance_invocations(world: &mut World, now: Timestamp) -> bool {
    let open: Vec<String> = world
        .ssm
        .commands
        .iter()
        .filter(|(_, command)| {
            command
                .invocations
                .iter()
                .any(|invocation| !invocation.status.is_terminal())
        })
        .map(|(id, _)| id.clone())
        .collect();
    let mut finishing: Vec<(Timestamp, String, usize)> = Vec::new();
    let mut changed = false;
    for command_id in open {
        let Some(command) = world.ssm.commands.get(&command_id) else {
            continue;
        };
        let Ok(action) = document_state::action(&command.document_name, &command.parameters) else {
            continue;
        };
        let delivery = command.requested.plus_millis(DELIVERY_MILLIS);
        let deadline = command
            .requested
            .plus_millis(command.timeout_seconds.saturating_mul(1000));
        let mut invocations = command.invocations.clone();
        for (index, invocation) in invocations.iter_mut().enumerate() {
            if invocation.status.is_terminal() {
                continue;
            }
            if matches!(
                invocation.status,
                InvocationStatus::Pending | InvocationStatus::Delayed
            ) && now >= delivery
            {
                deliver(world, invocation, delivery, deadline, now);
            }
            if invocation.status == InvocationStatus::InProgress {
                let end = invocation
                    .started
                    .unwrap_or(delivery)
                    .plus_millis(document_state::duration_millis(&action));
                if now >= end {
                    finishing.push((end, command_id.clone(), index));
                }
            }
        }
        if let Some(command) = world.ssm.commands.get(&command_id)
            && command.invocations != invocations
        {
            changed = true;
            if let Some(command) = world.ssm.commands.get_mut(&command_id) {
                command.invocations = invocations;
            }
        }
    }
    finishing.sort();
    for (end, command_id, index) in finishing {
        changed = true;
        finish(world, &command_id, index, end);
    }
    changed
}

/// Delivers a pending invocation at `delivery` if its instance is online;
/// otherwise it waits (`Delayed`) until `deadline`, or is `Undeliverable`
/// once the instance is gone.
fn deliver(
    world: &World,
    invocation: &mut Invocation,
    delivery: Timestamp,
    deadline: Timestamp,
    now: Timestamp,
) {
    let registered = world.ssm.nodes.get(&invocation.instance_id);
    match registered {
        Some(node) if node.online => {
            // A delayed command reaches the instance once it is back.
            let started = if invocation.status == InvocationStatus::Delayed {
                now
            } else {
                delivery
            };
            invocation.status = InvocationStatus::InProgress;
            invocation.started = Some(started);
        }
        Some(_) if now >= deadline => {
            invocation.status = InvocationStatus::DeliveryTimedOut;
            invocation.finished = Some(deadline);
            invocation.error_output = format!(
                "The command was not delivered to {} before its delivery timeout: the instance's SSM Agent has not reached Systems Manager (ConnectionLost). Start the instance or give its instance profile a role with AmazonSSMManagedInstanceCore, then send the command again.\n",
                invocation.instance_id
            );
        }
        Some(_) => invocation.status = InvocationStatus::Delayed,
        None => {
            invocation.status = InvocationStatus::Undeliverable;
            invocation.finished = Some(delivery.max(now.min(deadline)));
            invocation.error_output = format!(
                "The command could not be delivered: {} is no longer a managed instance (it was terminated or deregistered).\n",
                invocation.instance_id
            );
        }
    }
}

/// Ends invocation `index` of command `command_id` at `end`: runs its
/// document on the instance and records the outcome.
fn finish(world: &mut World, command_id: &str, index: usize, end: Timestamp) {
    let Some(command) = world.ssm.commands.get(command_id) else {
        return;
    };
    let Ok(action) = document_state::action(&command.document_name, &command.parameters) else {
        return;
    };
    let Some(instance_id) = command
        .invocations
        .get(index)
        .map(|invocation| invocation.instance_id.clone())
    else {
        return;
    };
    let update = if is_online(world, &instance_id) {
        agent_of(world, &instance_id)
            .map(|agent| document_state::run(&action, &instance_id, &agent))
    } else {
        None
    };
    if let Some(outcome) = &update {
        world
            .ssm
            .agents
            .insert(instance_id.clone(), outcome.agent.clone());
    }
    let Some(invocation) = world
        .ssm
        .commands
        .get_mut(command_id)
        .and_then(|command| command.invocations.get_mut(index))
    else {
        return;
    };
    invocation.finished = Some(end);
    if let Some(outcome) = update {
        invocation.status = if outcome.response_code == 0 {
            InvocationStatus::Success
        } else {
            InvocationStatus::Failed
        };
        invocation.response_code = outcome.response_code;
        invocation.output = outcome.output;
        invocation.error_output = outcome.error_output;
    } else {
        invocation.status = InvocationStatus::Failed;
        invocation.response_code = 1;
        invocation.error_output = format!(
            "{instance_id} stopped or lost its connection to Systems Manager while the command ran.\n"
        );
    }
}

/// Applies the associations that have already run to the instances in
/// `newcomers` they target, as State Manager does when a new instance
/// matching an association's targets comes online. Returns whether any
/// applied.
fn apply_associations_to(world: &mut World, newcomers: &[String]) -> bool {
    if newcomers.is_empty() {
        return false;
    }
    let applied: Vec<Association> = world
        .ssm
        .associations
        .values()
        .filter(|association| association.last_run.is_some())
        .cloned()
        .collect();
    let mut changed = false;
    for association in applied {
        let Ok(action) =
            document_state::action(&association.document_name, &association.parameters)
        else {
            continue;
        };
        let targets = registered_targets(world, &association.targets);
        for instance_id in newcomers.iter().filter(|id| targets.contains(id)) {
            let Some(agent) = agent_of(world, instance_id) else {
                continue;
            };
            let outcome = document_state::run(&action, instance_id, &agent);
            let status = if outcome.response_code == 0 {
                "Success"
            } else {
                "Failed"
            };
            world.ssm.agents.insert(instance_id.clone(), outcome.agent);
            if let Some(stored) = world.ssm.associations.get_mut(&association.association_id) {
                *stored.overview.counts.entry(status.to_owned()).or_default() += 1;
            }
            changed = true;
        }
    }
    changed
}

/// Runs the associations that are due by `now`.
fn run_associations(world: &mut World, now: Timestamp) -> bool {
    let due: Vec<(Timestamp, String)> = world
        .ssm
        .associations
        .values()
        .filter_map(|association| {
            association
                .next_run
                .filter(|next| *next <= now)
                .map(|next| (next, association.association_id.clone()))
        })
        .collect();
    let ran = !due.is_empty();
    for (at, association_id) in due {
        run_association(world, &association_id, at, now);
    }
    ran
}

/// Applies association `association_id` to its online targets at `at`,
/// and schedules its next run after `now`.
fn run_association(world: &mut World, association_id: &str, at: Timestamp, now: Timestamp) {
    let Some(association) = world.ssm.associations.get(association_id).cloned() else {
        return;
    };
    let Ok(action) = document_state::action(&association.document_name, &association.parameters)
    else {
        return;
    };
    let mut counts: BTreeMap<String, i32> = BTreeMap::new();
    for instance_id in registered_targets(world, &association.targets) {
        if !is_online(world, &instance_id) {
            *counts.entry("Pending".to_owned()).or_default() += 1;
            continue;
        }
        let Some(agent) = agent_of(world, &instance_id) else {
            continue;
        };
        let outcome = document_state::run(&action, &instance_id, &agent);
        let status = if outcome.response_code == 0 {
            "Success"
        } else {
            "Failed"
        };
        *counts.entry(status.to_owned()).or_default() += 1;
        world.ssm.agents.insert(instance_id, outcome.agent);
    }
    let status = if counts.contains_key("Failed") {
        "Failed"
    } else if counts.contains_key("Pending") {
        "Pending"
    } else {
        "Success"
    };
    let next_run = next_run(&association, at, now);
    if let Some(stored) = world.ssm.associations.get_mut(association_id) {
        stored.last_run = Some(at);
        if status == "Success" {
            stored.last_success = Some(at);
        }
        stored.next_run = next_run;
        stored.overview = Overview {
            status: status.to_owned(),
            detailed_status: status.to_owned(),
            counts,
        };
    }
}

/// When `association`, which ran at `at`, runs next: its schedule's first
/// time after `now` (runs missed while nobody asked are not made up), or
/// never without a schedule.
fn next_run(association: &Association, at: Timestamp, now: Timestamp) -> Option<Timestamp> {
    let schedule = super::schedule_state::Schedule::parse(association.schedule.as_deref()?).ok()?;
    let next = schedule.next_after(at)?;
    if next > now {
        Some(next)
    } else {
        schedule.next_after(now)
    }
}

/// The first time an association created at `now` runs: as soon as a
/// package install would have finished on its targets.
pub fn first_run(now: Timestamp) -> Timestamp {
    now.plus_millis(DELIVERY_MILLIS + document_state::PACKAGE_MILLIS)
}
