//! Blue/green deployments after the rollout: waiting in status `Ready`
//! for `ContinueDeployment`, rerouting traffic (the replacement instances'
//! `AllowTraffic` events, then the originals' `BlockTraffic` events), and
//! keeping or terminating the original instances.

use crate::domain::rollout::FailureCode;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, ErrorInformation, InstanceLabel, Phase, TargetRecord,
    TargetStatus,
};
use crate::localcloud::world::World;

use super::agent::{AttemptSpec, Behaviour, Contents, behaviour_of, plan_attempt_with};
use super::common::{
    EngineSettings, HEALTH_CONSTRAINTS_MESSAGE, group_mut, install_end, installed_content,
    record_attempted,
};
use super::ending::{Ending, Moving, failed_rerouting};
use super::green_fleet::{delete_original, take_over};
use super::traffic::load_balancer_error;

/// The minutes a blue/green deployment waits in `Ready`.
pub(super) fn ready_wait_minutes(deployment: &Deployment) -> i64 {
    deployment
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|config| config.deployment_ready_option.as_ref())
        .and_then(|ready| ready.wait_time_in_minutes)
        .unwrap_or(0)
        .max(0)
}

/// Starts rerouting traffic at `at`: the ready replacement instances run
/// their traffic-allowing events; the original instances block their
/// traffic once the replacements are done (see [`rerouted`]).
pub(super) fn begin_reroute(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    settings: EngineSettings,
) {
    deployment.status = DeploymentStatus::InProgress;
    deployment.phase = Phase::Rerouting;
    record_attempted(world, deployment);
    plan_reroute(world, deployment, InstanceLabel::Green, at, settings);
}

/// Plans the traffic events of the instances labelled `label` that take
/// part in the reroute (ready replacements, or originals still pending)
/// from `at`, and puts them in flight.
fn plan_reroute(
    world: &World,
    deployment: &mut Deployment,
    label: InstanceLabel,
    at: Timestamp,
    settings: EngineSettings,
) {
    let mut planned = Vec::new();
    for index in 0..deployment.targets.len() {
        let target = &deployment.targets[index];
        let takes_part = match label {
            InstanceLabel::Green => target.status == TargetStatus::Ready,
            InstanceLabel::Blue => target.status == TargetStatus::Pending,
        };
        if target.label != Some(label) || !takes_part {
            continue;
        }
        let behaviour: Behaviour = behaviour_of(world, target, deployment.bundle());
        let installed = installed_content(world, deployment, &target.target_id);
        let target = &mut deployment.targets[index];
        let spec = AttemptSpec {
            first: if label == InstanceLabel::Green {
                install_end(target)
            } else {
                0
            },
            end: target.events.len(),
            start: at,
            event_millis: settings.event_millis(),
            ignore_stop_failures: deployment.ignore_application_stop_failures,
            status_on_success: TargetStatus::Succeeded,
        };
        let contents = Contents {
            new: &deployment.content,
            installed,
        };
        plan_attempt_with(target, spec, behaviour, contents);
        planned.push(index);
    }
    deployment.in_flight = planned;
}

/// Goes on once the instances in flight of a reroute are done at `at`:
/// once every replacement instance allows traffic, the original instances
/// block theirs, as AWS reroutes; then the deployment waits to terminate
/// the originals, or ends.
pub(super) fn rerouted(moving: &mut Moving<'_>, deployment: &mut Deployment, at: Timestamp) {
    let failed: Vec<String> = (0..deployment.targets.len())
        .filter(|&index| failed_rerouting(deployment, index))
        .map(|index| deployment.targets[index].target_id.clone())
        .collect();
    if !failed.is_empty() {
        let error = load_balancer_error(deployment).unwrap_or_else(|| ErrorInformation {
            code: FailureCode::HealthConstraints.as_str().to_owned(),
            message: format!(
                "{HEALTH_CONSTRAINTS_MESSAGE} Traffic could not be rerouted on {}.",
                failed.join(", ")
            ),
        });
        moving.finish(deployment, at, &Ending::Failed(error));
        return;
    }
    let originals_waiting = deployment.targets.iter().any(|target| {
        target.label == Some(InstanceLabel::Blue) && target.status == TargetStatus::Pending
    });
    if originals_waiting {
        plan_reroute(
            moving.world,
            deployment,
            InstanceLabel::Blue,
            at,
            moving.settings,
        );
        return;
    }
    take_over(moving.world, deployment);
    let termination = deployment
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|config| {
            config
                .terminate_blue_instances_on_deployment_success
                .as_ref()
        });
    if termination.and_then(|option| option.action.as_deref()) == Some("TERMINATE") {
        let minutes = termination
            .and_then(|option| option.termination_wait_time_in_minutes)
            .unwrap_or(0)
            .max(0);
        deployment.instance_termination_wait_time_started = true;
        deployment.phase = Phase::Terminating {
            at: at.plus_millis(minutes.saturating_mul(60_000)),
        };
    } else {
        moving.finish(deployment, at, &Ending::Succeeded);
    }
}

/// Terminates the original EC2 instances of a blue/green deployment (and
/// the Auto Scaling group it copied, see [`delete_original`]) and forgets
/// their health.
pub(super) fn terminate_originals(world: &mut World, deployment: &Deployment, at: Timestamp) {
    let originals: Vec<&TargetRecord> = deployment
        .targets
        .iter()
        .filter(|target| target.label == Some(InstanceLabel::Blue))
        .collect();
    // A copied Auto Scaling group's original goes with its instances.
    let terminated_by_group = delete_original(world, deployment, at);
    for target in &originals {
        if !terminated_by_group.contains(&target.target_id) {
            world.ec2.terminate(&target.target_id, at);
        }
    }
    if let Some(group) = group_mut(world, deployment) {
        for target in originals {
            group.instance_health.remove(&target.target_id);
            group.last_installs.remove(&target.target_id);
        }
    }
}
