//! How a deployment ends: the targets not reached are skipped, instance
//! and revision health and the deployment group are updated as the rollout
//! says, and an automatic rollback is created if the deployment's rollback
//! configuration asks for one.

use crate::domain::health::{AttemptResult, Health};
use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::rollout::TargetProgress;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, ErrorInformation, EventStatus, InstanceLabel, LastDeploymentInfo,
    Phase, RollbackInfo, RollbackRequest, Shift, TargetStatus,
};
use crate::localcloud::codedeploy::shapes::DeploymentStyle;
use crate::localcloud::codedeploy::state::DeploymentGroup;
use crate::localcloud::world::World;

use super::common::{ALARM_ACTIVE, CREATOR_ROLLBACK, EngineSettings, group_mut, record_attempted};
use super::create::{NewDeployment, create};
use super::triggers::{self, TriggerEvent};

/// What a deployment that ended asks to be done once it is back in the world.
#[derive(Debug, Clone)]
pub(super) struct RollbackDue {
    /// The deployment that ended.
    deployment_id: String,
    /// When it ended.
    at: Timestamp,
}

/// What moving a deployment on needs besides the deployment itself, which
/// is taken out of the world for the while: the world, how the engine paces
/// deployments, and the rollbacks that fell due, which are created once
/// every deployment has moved.
pub(super) struct Moving<'a> {
    /// The world, without the deployment being moved on.
    pub(super) world: &'a mut World,
    /// How the engine paces deployments.
    pub(super) settings: EngineSettings,
    /// The rollbacks that fell due.
    pub(super) rollbacks: &'a mut Vec<RollbackDue>,
}

impl Moving<'_> {
    /// Ends `deployment` at `at` as [`finish`] does.
    pub(super) fn finish(&mut self, deployment: &mut Deployment, at: Timestamp, ending: &Ending) {
        finish(self.world, deployment, at, ending, self.rollbacks);
    }
}

/// How a deployment ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ending {
    /// It succeeded.
    Succeeded,
    /// It failed.
    Failed(ErrorInformation),
    /// It was stopped: by a person (`None`) or for the given reason.
    Stopped(Option<ErrorInformation>),
}

/// The health of every instance the rollout covers after the deployment
/// ended, by the rollout's rules, with the replacement instances that failed
/// rerouting counted as failed.
fn health_after(deployment: &Deployment, success: bool) -> Vec<Health> {
    let Some(rollout) = &deployment.rollout else {
        return Vec::new();
    };
    let rerouting_failed: Vec<bool> = deployment
        .rollout_targets
        .iter()
        .map(|&index| failed_rerouting(deployment, index))
        .collect();
    rollout.health_after_deployment(success, &rerouting_failed)
}

/// Whether target `index` failed while traffic was being rerouted.
pub(super) fn failed_rerouting(deployment: &Deployment, index: usize) -> bool {
    let target = &deployment.targets[index];
    if target.status != TargetStatus::Failed {
        return false;
    }
    match target.label {
        Some(InstanceLabel::Blue) => true,
        Some(InstanceLabel::Green) => target
            .rollout_index
            .and_then(|rollout_index| {
                deployment
                    .rollout
                    .as_ref()
                    .and_then(|rollout| rollout.progress().get(rollout_index).copied())
            })
            .and_then(TargetProgress::attempt)
            .is_some_and(AttemptResult::is_success),
        None => false,
    }
}

/// Ends a deployment at `at`: targets that were not reached are skipped,
/// health and the group are updated, and a rollback is asked for if due.
pub(super) fn finish(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    ending: &Ending,
    rollbacks: &mut Vec<RollbackDue>,
) {
    let success = *ending == Ending::Succeeded;
    deployment.status = match ending {
        Ending::Succeeded => DeploymentStatus::Succeeded,
        Ending::Failed(_) => DeploymentStatus::Failed,
        Ending::Stopped(_) => DeploymentStatus::Stopped,
    };
    deployment.error_information = match ending {
        Ending::Failed(error) | Ending::Stopped(Some(error)) => Some(error.clone()),
        Ending::Succeeded | Ending::Stopped(None) => None,
    };
    deployment.start_time.get_or_insert(at);
    deployment.complete_time = Some(at);
    deployment.phase = Phase::Finished;
    // A local instance still running for a deployment that ended stops.
    for index in std::mem::take(&mut deployment.in_flight) {
        let target = &deployment.targets[index];
        if target.attempt.as_ref().is_some_and(|attempt| attempt.local) {
            super::local::forget(&deployment.deployment_id, &target.target_id);
        }
    }
    if let Some(shift) = deployment.shift.as_mut() {
        shift.close_executions();
    }
    for target in &mut deployment.targets {
        let status = match target.status {
            TargetStatus::Pending => TargetStatus::Skipped,
            // Installed, but the deployment ended before traffic came.
            TargetStatus::Ready => TargetStatus::Succeeded,
            TargetStatus::InProgress => TargetStatus::Failed,
            other => other,
        };
        let mut touched = status != target.status;
        target.status = status;
        target.attempt = None;
        for record in &mut target.events {
            if matches!(
                record.status,
                EventStatus::Pending | EventStatus::InProgress
            ) {
                record.status = EventStatus::Skipped;
                record.plan = None;
                touched = true;
            }
        }
        if touched {
            target.last_updated_at = target.last_updated_at.max(at);
        }
    }
    let healths = health_after(deployment, success);
    let info = LastDeploymentInfo::of(deployment);
    let targets: Vec<String> = deployment
        .rollout_targets
        .iter()
        .map(|&index| deployment.targets[index].target_id.clone())
        .collect();
    // The agent records an install as its last successful one once the
    // `Install` event has succeeded, whatever happens after.
    let installed: Vec<String> = deployment
        .targets
        .iter()
        .filter(|target| {
            target.events.iter().any(|record| {
                record.event == LifecycleEvent::Install && record.status == EventStatus::Succeeded
            })
        })
        .map(|target| target.target_id.clone())
        .collect();
    if let Some(group) = group_mut(world, deployment) {
        for (target_id, health) in targets.into_iter().zip(healths) {
            group.instance_health.insert(target_id, health);
        }
        for target_id in installed {
            group
                .last_installs
                .insert(target_id, deployment.deployment_id.clone());
        }
        // A launch deployment installs the group's revision as it was when
        // the instance launched; it does not make that revision the group's.
        if success && deployment.launch.is_none() {
            group.target_revision = Some(deployment.revision.clone());
            group.last_successful_deployment = Some(info.clone());
        }
    }
    record_attempted(world, deployment);
    world
        .codedeploy
        .deployments
        .active
        .remove(&deployment.deployment_id);
    if let Some(event) = triggers::of_ending(deployment.status) {
        triggers::notify(world, deployment, event, None, at);
    }
    if wants_rollback(deployment, ending) {
        rollbacks.push(RollbackDue {
            deployment_id: deployment.deployment_id.clone(),
            at,
        });
    }
}

/// Whether an ending deployment is to be rolled back.
fn wants_rollback(deployment: &Deployment, ending: &Ending) -> bool {
    if deployment.creator == CREATOR_ROLLBACK {
        return false;
    }
    let configured = |event: &str| {
        deployment
            .auto_rollback_configuration
            .as_ref()
            .is_some_and(|config| {
                config.enabled == Some(true)
                    && config
                        .events
                        .as_ref()
                        .is_some_and(|events| events.iter().any(|e| e == event))
            })
    };
    match (ending, deployment.rollback_request) {
        // A success, a stop that says no, and a stop for a timeout (not on
        // request) are not rolled back.
        (Ending::Stopped(Some(error)), RollbackRequest::AsConfigured)
            if error.code == ALARM_ACTIVE =>
        {
            configured("DEPLOYMENT_STOP_ON_ALARM")
        }
        (Ending::Succeeded, _)
        | (_, RollbackRequest::Never)
        | (Ending::Stopped(Some(_)), RollbackRequest::AsConfigured) => false,
        (_, RollbackRequest::Always) => true,
        (Ending::Failed(_), RollbackRequest::AsConfigured) => configured("DEPLOYMENT_FAILURE"),
        (Ending::Stopped(None), RollbackRequest::AsConfigured) => {
            configured("DEPLOYMENT_STOP_ON_REQUEST")
        }
    }
}

/// Creates the rollback of a deployment that ended badly: a deployment of
/// the group's last successful revision, in place, to the group's
/// instances. Without such a revision, the deployment's `rollbackInfo`
/// says so.
pub(super) fn roll_back(world: &mut World, due: &RollbackDue) {
    let Some(failed) = world.codedeploy.deployments.by_id.get(&due.deployment_id) else {
        return;
    };
    let failed_id = failed.deployment_id.clone();
    let shifted = failed.shift.is_some();
    let group = world
        .codedeploy
        .applications
        .get(&failed.application_name)
        .and_then(|application| {
            application
                .deployment_groups
                .values()
                .find(|group| group.id == failed.deployment_group_id)
        });
    let outcome: Result<String, String> = match group {
        None => Err(
            "The deployment was not rolled back: its deployment group no longer exists."
                .to_owned(),
        ),
        Some(group) if failed.shift.is_some() => {
            let new = shifting_rollback(failed, group);
            create(world, new, due.at)
                .map_err(|error| format!("The deployment was not rolled back: {}", error.message))
        }
        Some(group) => match &group.target_revision {
            None => Err("The deployment was not rolled back: the deployment group has no last successful revision to roll back to.".to_owned()),
            Some(revision) => {
                let new = NewDeployment {
                    application_name: failed.application_name.clone(),
                    deployment_group_name: group.name.clone(),
                    deployment_config_name: failed.deployment_config_name.clone(),
                    minimum_healthy_hosts: failed.minimum_healthy_hosts,
                    revision: revision.clone(),
                    description: Some(format!("Automatic rollback of {failed_id}")),
                    creator: CREATOR_ROLLBACK.to_owned(),
                    ignore_application_stop_failures: failed.ignore_application_stop_failures,
                    update_outdated_instances_only: false,
                    file_exists_behavior: failed.file_exists_behavior.clone(),
                    auto_rollback_configuration: failed.auto_rollback_configuration.clone(),
                    deployment_style: DeploymentStyle {
                        deployment_type: Some("IN_PLACE".to_owned()),
                        deployment_option: group.deployment_style.deployment_option.clone(),
                    },
                    target_instances: None,
                    blue_green_deployment_configuration: None,
                    load_balancer_info: group.load_balancer_info.clone(),
                    region: failed.region.clone(),
                    rollback_request: RollbackRequest::Never,
                    rollback_info: Some(RollbackInfo {
                        rollback_deployment_id: None,
                        rollback_triggering_deployment_id: Some(failed_id.clone()),
                        rollback_message: Some(format!(
                            "Rolls back deployment {failed_id} by redeploying the deployment group's last successful revision."
                        )),
                    }),
                    only_instances: None,
                    shift: None,
                };
                create(world, new, due.at).map_err(|error| {
                    format!("The deployment was not rolled back: {}", error.message)
                })
            }
        },
    };
    let info = match outcome {
        Ok(rollback_id) => RollbackInfo {
            rollback_deployment_id: Some(rollback_id.clone()),
            rollback_triggering_deployment_id: None,
            rollback_message: Some(if shifted {
                format!(
                    "Rolled back by deployment {rollback_id}, which moves traffic back to the original version."
                )
            } else {
                format!(
                    "Rolled back by deployment {rollback_id}, which redeploys the last successful revision."
                )
            }),
        },
        Err(message) => RollbackInfo {
            rollback_deployment_id: None,
            rollback_triggering_deployment_id: None,
            rollback_message: Some(message),
        },
    };
    let rolled_back = info.rollback_deployment_id.is_some();
    let Some(failed) = world.codedeploy.deployments.by_id.get_mut(&failed_id) else {
        return;
    };
    failed.rollback_info = Some(info);
    if rolled_back {
        let failed = failed.clone();
        triggers::notify(
            world,
            &failed,
            TriggerEvent::DeploymentRollback,
            None,
            due.at,
        );
    }
}

/// The rollback of a Lambda or ECS deployment that ended badly: a
/// deployment that moves traffic back to the original version or task set
/// at once and removes the replacement (see [`Shift::reversed`]). It
/// names the group's last successful revision, or the failed one's when
/// the group has none.
fn shifting_rollback(failed: &Deployment, group: &DeploymentGroup) -> NewDeployment {
    let failed_id = &failed.deployment_id;
    NewDeployment {
        application_name: failed.application_name.clone(),
        deployment_group_name: group.name.clone(),
        deployment_config_name: failed.deployment_config_name.clone(),
        minimum_healthy_hosts: failed.minimum_healthy_hosts,
        revision: group
            .target_revision
            .clone()
            .unwrap_or_else(|| failed.revision.clone()),
        description: Some(format!("Automatic rollback of {failed_id}")),
        creator: CREATOR_ROLLBACK.to_owned(),
        ignore_application_stop_failures: false,
        update_outdated_instances_only: false,
        file_exists_behavior: None,
        auto_rollback_configuration: failed.auto_rollback_configuration.clone(),
        deployment_style: failed.deployment_style.clone(),
        target_instances: None,
        blue_green_deployment_configuration: failed.blue_green_deployment_configuration.clone(),
        load_balancer_info: failed.load_balancer_info.clone(),
        region: failed.region.clone(),
        rollback_request: RollbackRequest::Never,
        rollback_info: Some(RollbackInfo {
            rollback_deployment_id: None,
            rollback_triggering_deployment_id: Some(failed_id.clone()),
            rollback_message: Some(format!(
                "Rolls back deployment {failed_id} by moving traffic back to the original version."
            )),
        }),
        only_instances: None,
        shift: failed.shift.as_ref().map(Shift::reversed),
    }
}
