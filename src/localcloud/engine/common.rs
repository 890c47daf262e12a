//! What the parts of the engine share: its pace and its messages, and
//! finding and updating a deployment's group.

use std::time::Duration;

use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::policy::PolicyDocument;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, InstanceLabel, LastDeploymentInfo, RevisionContent, TargetRecord,
};
use crate::localcloud::codedeploy::state::DeploymentGroup;
use crate::localcloud::world::World;

use super::local::LocalFoldersId;

/// The time one lifecycle event takes by default: a ten-instance
/// one-at-a-time rollout of seven events per instance lasts about a minute.
pub const DEFAULT_EVENT_DURATION: Duration = Duration::from_millis(850);

/// The creator of deployments a person asked for.
pub const CREATOR_USER: &str = "user";

/// The creator of automatic rollback deployments.
pub const CREATOR_ROLLBACK: &str = "codeDeployRollback";

/// `errorInformation.message` for a deployment with no instances.
pub const NO_INSTANCES_MESSAGE: &str = "The deployment failed because no instances were found for your deployment group. Check your deployment group settings to make sure the tags for your EC2 instances or Auto Scaling groups correctly identify the instances for your deployment, and that the instances are running.";

/// `errorInformation.message` for a deployment that failed on its instances.
pub const HEALTH_CONSTRAINTS_MESSAGE: &str = "The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.";

/// `errorInformation.message` for a deployment that failed for lack of agents.
pub const AGENT_ISSUE_MESSAGE: &str = "The deployment failed because of a problem with the CodeDeploy agent. Make sure the agent is installed and running on all instances in this deployment group.";

/// How the engine paces deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSettings {
    /// How long one lifecycle event takes (five times as long on an
    /// instance tagged `deploydesk:simulate=slow`).
    pub event_duration: Duration,
    /// How long one minute of a deployment configuration or a wait lasts
    /// on the local cloud's clock: a Lambda or ECS deployment's traffic
    /// steps, its hooks' hour and the ECS waits. A minute by default;
    /// shorter for demonstrations, while every API answer keeps the
    /// configured minutes.
    pub minute: Duration,
    /// The folders of the local instances, whose lifecycle runs for real
    /// (see [`local`](super::local)); `None` where there are none.
    pub local: Option<LocalFoldersId>,
}

/// A configured minute, by default.
pub const DEFAULT_MINUTE: Duration = Duration::from_mins(1);

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            event_duration: DEFAULT_EVENT_DURATION,
            minute: DEFAULT_MINUTE,
            local: None,
        }
    }
}

impl EngineSettings {
    /// One event's duration in whole milliseconds.
    pub(super) fn event_millis(self) -> i64 {
        i64::try_from(self.event_duration.as_millis()).unwrap_or(i64::MAX / 16)
    }

    /// `minutes` configured minutes in milliseconds of the local cloud's
    /// clock.
    pub(super) fn minutes_millis(self, minutes: i64) -> i64 {
        let minute = i64::try_from(self.minute.as_millis()).unwrap_or(i64::MAX / 16);
        minute.saturating_mul(minutes)
    }
}

/// The group of deployment `deployment`, found by id so a rename does not
/// lose it.
pub(super) fn group_mut<'a>(
    world: &'a mut World,
    deployment: &Deployment,
) -> Option<&'a mut DeploymentGroup> {
    world
        .codedeploy
        .applications
        .get_mut(&deployment.application_name)?
        .deployment_groups
        .values_mut()
        .find(|group| group.id == deployment.deployment_group_id)
}

/// What the revision `target_id` last installed in `deployment`'s group
/// makes it do: its `ApplicationStop` scripts are the ones the agent runs
/// to stop the application, as the agent runs them from its last
/// successful install. `None` when the instance has never installed a
/// revision of the group (its `ApplicationStop` then has nothing to run).
pub(super) fn installed_content<'a>(
    world: &'a World,
    deployment: &Deployment,
    target_id: &str,
) -> Option<&'a RevisionContent> {
    let deployment_id = group_of(world, deployment)?.last_installs.get(target_id)?;
    world
        .codedeploy
        .deployments
        .by_id
        .get(deployment_id)
        .map(|installed| &installed.content)
}

/// The error code of a deployment stopped because an alarm of its group
/// went off (or could not be read).
pub const ALARM_ACTIVE: &str = "ALARM_ACTIVE";

/// The group of deployment `deployment`, found by id (see [`group_mut`]).
pub(super) fn group_of<'a>(
    world: &'a World,
    deployment: &Deployment,
) -> Option<&'a DeploymentGroup> {
    world
        .codedeploy
        .applications
        .get(&deployment.application_name)?
        .deployment_groups
        .values()
        .find(|group| group.id == deployment.deployment_group_id)
}

/// Runs `change` on deployment `deployment_id`, taken out of the world
/// for the while so both can be changed.
pub(super) fn with_deployment<R>(
    world: &mut World,
    deployment_id: &str,
    change: impl FnOnce(&mut World, &mut Deployment) -> R,
) -> Option<R> {
    let mut deployment = world.codedeploy.deployments.by_id.remove(deployment_id)?;
    let result = change(world, &mut deployment);
    world
        .codedeploy
        .deployments
        .by_id
        .insert(deployment_id.to_owned(), deployment);
    Some(result)
}

/// The index of the first traffic-allowing event of a replacement
/// instance, which runs only when traffic is rerouted; the number of events
/// for any other target.
pub(super) fn install_end(target: &TargetRecord) -> usize {
    if target.label != Some(InstanceLabel::Green) {
        return target.events.len();
    }
    target
        .events
        .iter()
        .position(|record| record.event == LifecycleEvent::BeforeAllowTraffic)
        .unwrap_or(target.events.len())
}

/// Records the deployment as the group's last attempted one.
pub(super) fn record_attempted(world: &mut World, deployment: &Deployment) {
    if let Some(group) = group_mut(world, deployment) {
        let newer = group
            .last_attempted_deployment
            .as_ref()
            .is_some_and(|last| {
                last.deployment_id != deployment.deployment_id
                    && last.create_time > deployment.create_time
            });
        if !newer {
            group.last_attempted_deployment = Some(LastDeploymentInfo::of(deployment));
        }
    }
}

/// Keeps the group's record of its last attempted deployment at that
/// deployment's status as it moves (`InProgress`, `Ready`, `Baking`), as
/// CodeDeploy's `lastAttemptedDeployment` does. Nothing is written when
/// the record is already current or is of another deployment.
pub(super) fn keep_attempted_current(world: &mut World, deployment: &Deployment) {
    let stale = world
        .codedeploy
        .applications
        .get(&deployment.application_name)
        .and_then(|application| {
            application
                .deployment_groups
                .values()
                .find(|group| group.id == deployment.deployment_group_id)
        })
        .and_then(|group| group.last_attempted_deployment.as_ref())
        .is_some_and(|last| {
            last.deployment_id == deployment.deployment_id && last.status != deployment.status
        });
    if stale {
        record_attempted(world, deployment);
    }
}

/// How the name of CodeDeploy's launch hook begins.
pub const LAUNCH_HOOK_PREFIX: &str = "CodeDeploy-managed-automatic-launch-deployment-hook";

/// The identity policies of the role `role_arn` (attached and inline, the
/// ones that parse), or `None` for a role the local IAM does not have,
/// which the local cloud takes on trust.
pub fn role_policies(world: &World, role_arn: &str) -> Option<Vec<PolicyDocument>> {
    world.role_policies(role_arn)
}
