//! Blue/green replacement fleets copied from the deployment group's Auto
//! Scaling group (`GreenFleetProvisioningOption` `COPY_AUTO_SCALING_GROUP`).
//!
//! When the deployment starts, [`begin_copy`] copies the group's Auto
//! Scaling group as AWS names copies, `CodeDeploy_<deployment
//! group>_<deployment id>`, with its settings, hooks and desired capacity;
//! the copy launches its instances on the clock. The deployment waits in
//! [`Phase::Provisioning`](crate::localcloud::codedeploy::deployment_state::Phase)
//! until [`provisioned`] finds them all `InService`, and installs on them
//! from the time the last one got there. Once traffic is rerouted to them,
//! [`take_over`] makes the copy the deployment group's Auto Scaling group
//! in place of the original, whose instances are no longer the group's;
//! when the original instances are terminated, [`delete_original`]
//! deletes the original Auto Scaling group with them.

use crate::domain::lifecycle::{InstanceRole, events_for};
use crate::domain::policy::{LAUNCH_TEMPLATE_ACTIONS, missing_actions};
use crate::localcloud::autoscaling::LifecycleState;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    CopiedFleet, Deployment, ErrorInformation, InstanceLabel, TargetKind,
};
use crate::localcloud::world::World;

use super::common::{LAUNCH_HOOK_PREFIX, group_mut, group_of, role_policies};
use super::create::{plan_rollout, target_record};
use super::select::{Candidate, ec2_arn};

/// How often a deployment looks at the instances of its copied group
/// while it waits for them.
pub const POLL_MILLIS: i64 = 1000;

/// How long a deployment waits for its copied group's instances to be in
/// service before it fails, in minutes: as long as CodeDeploy lets a
/// lifecycle event run.
pub const PROVISIONING_MINUTES: i64 = 60;

/// When a deployment waiting for its copied group's instances gives up:
/// [`PROVISIONING_MINUTES`] after the copy was made (or, for a copy that is
/// gone, after the deployment was created).
pub(super) fn provisioning_deadline(world: &World, deployment: &Deployment) -> Option<Timestamp> {
    let fleet = deployment.copied_fleet.as_ref()?;
    let since = world
        .autoscaling
        .groups
        .get(&fleet.copy)
        .map_or(deployment.create_time, |group| group.created);
    Some(since.plus_millis(PROVISIONING_MINUTES * 60_000))
}

/// Why a deployment whose copied group's instances are not all in service
/// by its deadline fails.
pub(super) fn provisioning_timed_out(world: &World, deployment: &Deployment) -> ErrorInformation {
    let (copy, desired, in_service) = deployment.copied_fleet.as_ref().map_or_else(
        || (String::new(), 0, 0),
        |fleet| {
            let desired = world
                .autoscaling
                .groups
                .get(&fleet.copy)
                .map_or(0, |group| group.desired_capacity);
            let in_service = world
                .autoscaling
                .group_instances(&fleet.copy)
                .iter()
                .filter(|instance| instance.state == LifecycleState::InService)
                .count();
            (fleet.copy.clone(), desired, in_service)
        },
    );
    ErrorInformation {
        code: "TIMEOUT".to_owned(),
        message: format!(
            "The replacement Auto Scaling group {copy} had {in_service} of its {desired} instances InService after {PROVISIONING_MINUTES} minutes, so the deployment failed. Check the group's activity and lifecycle hooks (an instance waiting in Pending:Wait holds it back), then deploy again."
        ),
    }
}

/// The name AWS gives the Auto Scaling group copied for deployment
/// `deployment_id` of deployment group `group`.
pub fn copy_name(group: &str, deployment_id: &str) -> String {
    format!("CodeDeploy_{group}_{deployment_id}")
}

/// Whether `deployment` provisions its replacement fleet by copying an
/// Auto Scaling group.
fn copies_group(deployment: &Deployment) -> bool {
    deployment
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|config| config.green_fleet_provisioning_option.as_ref())
        .and_then(|option| option.action.as_deref())
        == Some("COPY_AUTO_SCALING_GROUP")
}

/// Copies the deployment group's Auto Scaling group at `at` for a
/// deployment that provisions its replacements that way. Returns whether
/// it did (the deployment then waits for the copy's instances); `false`
/// for any other deployment, and for a group that names no Auto Scaling
/// group (whose replacements are copies of its EC2 instances, made when
/// the deployment was created).
pub(super) fn begin_copy(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
) -> Result<bool, ErrorInformation> {
    if !deployment.is_blue_green() || !copies_group(deployment) {
        return Ok(false);
    }
    let Some(source) = group_of(world, deployment)
        .and_then(|group| group.auto_scaling_groups.first())
        .cloned()
    else {
        return Ok(false);
    };
    let copy = copy_name(&deployment.deployment_group_name, &deployment.deployment_id);
    // The copy launches from the group's launch template, which the
    // service role must be allowed to do beyond the AWS managed policy.
    let role_arn = group_of(world, deployment)
        .map(|group| group.service_role_arn.clone())
        .unwrap_or_default();
    if let Some(policies) = role_policies(world, &role_arn) {
        let missing = missing_actions(&policies, &LAUNCH_TEMPLATE_ACTIONS);
        if !missing.is_empty() {
            return Err(ErrorInformation {
                code: "IAM_ROLE_PERMISSIONS".to_owned(),
                message: format!(
                    "The IAM role {role_arn} does not give CodeDeploy permission to launch the copy of the Auto Scaling group {source} from its launch template: it also needs {}. Add them to the role (the service role wizard's launch template option does) and deploy again.",
                    missing.join(", ")
                ),
            });
        }
    }
    world
        .autoscaling
        .copy_group(&source, &copy, at)
        .map_err(|error| ErrorInformation {
            code: "AUTO_SCALING_CONFIGURATION".to_owned(),
            message: format!(
                "The Auto Scaling group {source} could not be copied for the replacement instances: {error} Name an Auto Scaling group that exists in the deployment group."
            ),
        })?;
    // CodeDeploy's own launch hook is the original's: the copy gets its
    // own once the deployment group names it, so its first instances do
    // not wait for a launch deployment.
    if let Some(copied) = world.autoscaling.groups.get_mut(&copy) {
        copied
            .hooks
            .retain(|name, _| !name.starts_with(LAUNCH_HOOK_PREFIX));
    }
    deployment.copied_fleet = Some(CopiedFleet { source, copy });
    Ok(true)
}

/// When every instance the copied group wants is `InService`, makes them
/// the deployment's replacement (Green) targets, sets up the rollout over
/// them, and returns the time the last one got there; `None` while the
/// deployment has to wait. A copy that is gone gives no replacements.
pub(super) fn provisioned(world: &World, deployment: &mut Deployment) -> Option<Timestamp> {
    let fleet = deployment.copied_fleet.clone()?;
    let (created, desired) = world
        .autoscaling
        .groups
        .get(&fleet.copy)
        .map_or((deployment.create_time, 0), |group| {
            (group.created, group.desired_capacity)
        });
    let in_service: Vec<(String, Timestamp)> = world
        .autoscaling
        .group_instances(&fleet.copy)
        .iter()
        .filter(|instance| instance.state == LifecycleState::InService)
        .map(|instance| (instance.instance_id.clone(), instance.since))
        .collect();
    if i64::try_from(in_service.len()).unwrap_or(i64::MAX) < desired {
        return None;
    }
    let ready_at = in_service
        .iter()
        .map(|(_, since)| *since)
        .fold(created, Timestamp::max);
    for (instance_id, _) in in_service {
        let candidate = Candidate {
            target_arn: ec2_arn(&deployment.region, &instance_id),
            target_id: instance_id,
            kind: TargetKind::Ec2,
        };
        deployment.targets.push(target_record(
            candidate,
            Some(InstanceLabel::Green),
            events_for(InstanceRole::Replacement, true),
            ready_at,
        ));
    }
    deployment
        .targets
        .sort_by(|left, right| left.target_id.cmp(&right.target_id));
    let health = group_of(world, deployment)
        .map(|group| group.instance_health.clone())
        .unwrap_or_default();
    let (rollout_targets, initial_health, rollout) = plan_rollout(
        &mut deployment.targets,
        &health,
        deployment.minimum_healthy_hosts,
    );
    deployment.rollout_targets = rollout_targets;
    deployment.initial_health = initial_health;
    deployment.rollout = rollout;
    Some(ready_at)
}

/// Makes the copied group the deployment group's Auto Scaling group in
/// place of the original, once traffic is rerouted to its instances.
pub(super) fn take_over(world: &mut World, deployment: &Deployment) {
    let Some(fleet) = &deployment.copied_fleet else {
        return;
    };
    if let Some(group) = group_mut(world, deployment) {
        let groups = &mut group.auto_scaling_groups;
        match groups.iter().position(|name| *name == fleet.source) {
            Some(index) => fleet.copy.clone_into(&mut groups[index]),
            None => groups.push(fleet.copy.clone()),
        }
        groups.dedup();
    }
}

/// Deletes the original Auto Scaling group of a deployment that copied it,
/// at `at`, with its instances, as terminating the original instances
/// does. Returns the ids of the instances the group terminates itself.
pub(super) fn delete_original(
    world: &mut World,
    deployment: &Deployment,
    at: Timestamp,
) -> Vec<String> {
    let Some(fleet) = &deployment.copied_fleet else {
        return Vec::new();
    };
    let members: Vec<String> = world
        .autoscaling
        .group_instances(&fleet.source)
        .iter()
        .map(|instance| instance.instance_id.clone())
        .collect();
    world.autoscaling.delete_group(&fleet.source, at);
    members
}
