//! CodeDeploy and the Auto Scaling groups its deployment groups name, as
//! the user guide's "Integrating CodeDeploy with Amazon EC2 Auto Scaling"
//! describes it.
//!
//! - When a deployment group comes to name an Auto Scaling group,
//!   CodeDeploy installs its launch hook there ([`sync_hooks`]):
//!   `CodeDeploy-managed-automatic-launch-deployment-hook-<group>-<uuid>`,
//!   on `autoscaling:EC2_INSTANCE_LAUNCHING`, with a heartbeat timeout of
//!   600 seconds and `ABANDON` as its default result. The hook is removed
//!   when the group stops naming the Auto Scaling group or is deleted.
//! - A deployment goes to the `InService` instances of the group's Auto
//!   Scaling groups besides those its tags select (see
//!   [`select`](super::select)).
//! - Scale-out ([`serve_launches`], run after every advance): an instance
//!   held at CodeDeploy's hook (`Pending:Wait`) gets a deployment of the
//!   group's last successful revision to it alone, created by
//!   `autoscaling` at the time the instance began to wait. While it runs,
//!   CodeDeploy records a heartbeat every five minutes; when it ends, the
//!   lifecycle action is completed at the time it ended, with `CONTINUE`
//!   if it succeeded and `ABANDON` otherwise (Auto Scaling then terminates
//!   the instance and launches a replacement). Without a successful
//!   revision yet, the action is continued at once, with no deployment.
//!   The deployment installs on one instance that serves no traffic yet,
//!   so it keeps no other instance healthy (its minimum is zero hosts);
//!   it names the configuration of the deployment that made its revision
//!   the group's.
//! - Scale-out during a deployment: the new instance gets the last
//!   successful revision, not the one being deployed. When the running
//!   deployment succeeds, and once the launches it saw have ended,
//!   CodeDeploy starts a follow-on deployment of its revision to those
//!   instances (creator `CodeDeployAutoUpdate`), linked to it through
//!   `relatedDeployments`, unless the group's `outdatedInstancesStrategy`
//!   is `IGNORE`. A deployment that fails or is stopped starts none.
//!
//! The engine acts at the times things happened, not when it noticed
//! them, so moving the clock in one step or in many gives the same
//! history, as long as no step is longer than the hook's heartbeat
//! timeout (Auto Scaling would time the action out first).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::MinimumHealthyHosts;
use crate::domain::policy::{CODEDEPLOY_AUTOSCALING_ACTIONS, missing_actions};
use crate::localcloud::autoscaling::{ActionResult, LAUNCHING, LifecycleHook, OpenAction};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, LaunchHold, RelatedDeployments, RollbackRequest,
};
use crate::localcloud::codedeploy::shapes::{DeploymentStyle, RevisionLocation};
use crate::localcloud::codedeploy::state::DeploymentGroup;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::world::World;

use super::advance::advance;
use super::common::{EngineSettings, role_policies};
use super::create::{NewDeployment, create};

/// The creator of the deployments Auto Scaling's launches start.
pub const CREATOR_AUTOSCALING: &str = "autoscaling";

/// The creator of the follow-on deployments that update instances scaled
/// out during a deployment.
pub const CREATOR_AUTO_UPDATE: &str = "CodeDeployAutoUpdate";

pub use super::common::LAUNCH_HOOK_PREFIX;

/// The heartbeat timeout of CodeDeploy's launch hook, in seconds.
pub const LAUNCH_HOOK_HEARTBEAT_SECS: i64 = 600;

/// How often CodeDeploy records a heartbeat while it deploys to a held
/// instance: every five minutes.
pub const HEARTBEAT_EVERY_MILLIS: i64 = 300_000;

/// The most rounds one [`serve_launches`] takes, so that a launch that
/// keeps failing at once cannot hold the world's lock for long.
const MAX_ROUNDS: usize = 16;

/// The launch hook CodeDeploy installs for deployment group `group_name`.
pub fn launch_hook(group_name: &str) -> LifecycleHook {
    LifecycleHook {
        name: format!("{LAUNCH_HOOK_PREFIX}-{group_name}-{}", uuid::Uuid::new_v4()),
        transition: LAUNCHING.to_owned(),
        heartbeat_timeout: LAUNCH_HOOK_HEARTBEAT_SECS,
        default_result: ActionResult::Abandon,
        notification_target_arn: None,
        role_arn: None,
        notification_metadata: None,
    }
}

/// Checks that every Auto Scaling group in `names` exists (and is not
/// being deleted), as CodeDeploy checks them when a deployment group
/// names them.
pub fn check_groups(world: &World, names: &[String]) -> Result<(), ApiError> {
    let missing = names.iter().find(|name| {
        world
            .autoscaling
            .groups
            .get(*name)
            .is_none_or(|group| group.deleting)
    });
    match missing {
        Some(name) => Err(ApiError::new(
            "InvalidAutoScalingGroupException",
            format!(
                "No Auto Scaling group named \"{name}\" exists; create it first or correct the name in autoScalingGroups."
            ),
        )),
        None => Ok(()),
    }
}

/// Checks that the service role `role_arn` lets CodeDeploy act on Auto
/// Scaling groups: its policies allow every action of
/// [`CODEDEPLOY_AUTOSCALING_ACTIONS`]. A role the local IAM does not have
/// is taken on trust, as the local cloud takes every service role that is
/// not there.
pub fn check_role(world: &World, role_arn: &str) -> Result<(), ApiError> {
    let Some(policies) = role_policies(world, role_arn) else {
        return Ok(());
    };
    if missing_actions(&policies, &CODEDEPLOY_AUTOSCALING_ACTIONS).is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        "InvalidRoleException",
        format!(
            "The IAM role {role_arn} does not give you permission to perform operations in the following AWS service: AmazonAutoScaling. Contact your AWS administrator if you need help. If you are an AWS administrator, you can grant permissions to your users or groups by creating IAM policies."
        ),
    ))
}

/// Makes the launch hooks of deployment group `group` match the Auto
/// Scaling groups it names, at `now`: removes the hooks of groups it no
/// longer names, and installs one in each group that has none (or lost
/// it). Returns the hooks that could not be removed, by group name.
pub fn sync_hooks(
    world: &mut World,
    group: &mut DeploymentGroup,
    now: Timestamp,
) -> Vec<(String, String)> {
    let wanted: BTreeSet<String> = group.auto_scaling_groups.iter().cloned().collect();
    let mut not_cleaned_up = Vec::new();
    let installed = std::mem::take(&mut group.auto_scaling_hooks);
    for (name, hook) in installed {
        if !wanted.contains(&name) {
            if !world.autoscaling.remove_hook(&name, &hook, now) {
                not_cleaned_up.push((name, hook));
            }
            continue;
        }
        let still_there = world
            .autoscaling
            .groups
            .get(&name)
            .is_some_and(|known| known.hooks.contains_key(&hook));
        if still_there {
            group.auto_scaling_hooks.insert(name, hook);
        }
    }
    for name in wanted {
        if group.auto_scaling_hooks.contains_key(&name) {
            continue;
        }
        let hook = launch_hook(&group.name);
        let hook_name = hook.name.clone();
        if world.autoscaling.put_hook(&name, hook).is_ok() {
            group.auto_scaling_hooks.insert(name, hook_name);
        }
    }
    not_cleaned_up
}

/// Removes every launch hook deployment group `group` installed, at `now`,
/// as deleting the group does. Returns the hooks that could not be
/// removed, by group name.
pub fn remove_hooks(
    world: &mut World,
    group: &mut DeploymentGroup,
    now: Timestamp,
) -> Vec<(String, String)> {
    group.auto_scaling_groups.clear();
    sync_hooks(world, group, now)
}

/// Serves Auto Scaling's launches at `now`: completes the lifecycle actions
/// of launch deployments that ended, starts deployments for instances newly
/// held at CodeDeploy's hooks, records heartbeats, and starts the
/// follow-on deployments that are due; then lets Auto Scaling and the
/// deployments catch up, until nothing more happens. Returns whether
/// anything changed.
pub fn serve_launches(world: &mut World, now: Timestamp, settings: &EngineSettings) -> bool {
    let mut changed = sync_moved_hooks(world, now);
    for _ in 0..MAX_ROUNDS {
        let completed = complete_launches(world);
        let started = start_launches(world);
        let followed = start_follow_ups(world);
        changed |= record_heartbeats(world, now);
        if !(completed || started || followed) {
            break;
        }
        changed = true;
        world.autoscaling.settle(&mut world.ec2, now);
        advance(world, now, settings);
    }
    changed
}

/// Moves CodeDeploy's launch hooks after the engine itself changed which
/// Auto Scaling groups a deployment group names (a blue/green deployment
/// that copied the group hands the copy over): every group whose hooks
/// are not the ones it names has them synced at `now`. Returns whether any
/// moved.
fn sync_moved_hooks(world: &mut World, now: Timestamp) -> bool {
    let moved: Vec<(String, String)> = world
        .codedeploy
        .applications
        .values()
        .flat_map(|application| {
            application
                .deployment_groups
                .values()
                .filter(|group| {
                    let stale = group
                        .auto_scaling_hooks
                        .keys()
                        .any(|name| !group.auto_scaling_groups.contains(name));
                    let missing = group.auto_scaling_groups.iter().any(|name| {
                        !group.auto_scaling_hooks.contains_key(name)
                            && world.autoscaling.groups.contains_key(name)
                    });
                    stale || missing
                })
                .map(|group| (application.name.clone(), group.name.clone()))
        })
        .collect();
    for (application, name) in &moved {
        let Some(mut group) = world
            .codedeploy
            .applications
            .get(application)
            .and_then(|known| known.deployment_groups.get(name))
            .cloned()
        else {
            continue;
        };
        sync_hooks(world, &mut group, now);
        if let Some(known) = world.codedeploy.applications.get_mut(application) {
            known.deployment_groups.insert(name.clone(), group);
        }
    }
    !moved.is_empty()
}

/// The deployment ids of `set`, to go through while the world changes.
fn listed(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().cloned().collect()
}

/// Completes the lifecycle action of every launch deployment that ended,
/// at the time it ended. Returns whether any ended.
fn complete_launches(world: &mut World) -> bool {
    let mut changed = false;
    for deployment_id in listed(&world.codedeploy.deployments.holding) {
        let deployments = &world.codedeploy.deployments;
        let ended = deployments
            .by_id
            .get(&deployment_id)
            .and_then(|deployment| {
                let launch = deployment.launch.as_ref()?;
                let at = deployment.complete_time?;
                deployment.status.is_finished().then(|| {
                    let result = if deployment.status == DeploymentStatus::Succeeded {
                        ActionResult::Continue
                    } else {
                        ActionResult::Abandon
                    };
                    (launch.token.clone(), result, at)
                })
            });
        let gone = !deployments.by_id.contains_key(&deployment_id);
        if let Some((token, result, at)) = ended {
            // The action may be gone already: timed out, or its hook removed.
            let _ = world.autoscaling.complete_action(&token, result, at);
        } else if !gone {
            continue;
        }
        world.codedeploy.deployments.holding.remove(&deployment_id);
        changed = true;
    }
    changed
}

/// The deployment group whose hook an action of Auto Scaling group
/// `group` at hook `hook` is: its application's and its own name.
fn hook_owners(world: &World) -> BTreeMap<(String, String), (String, String)> {
    let mut owners = BTreeMap::new();
    for application in world.codedeploy.applications.values() {
        for group in application.deployment_groups.values() {
            for (name, hook) in &group.auto_scaling_hooks {
                owners.insert(
                    (name.clone(), hook.clone()),
                    (application.name.clone(), group.name.clone()),
                );
            }
        }
    }
    owners
}

/// Starts a deployment for every instance newly held at one of
/// CodeDeploy's launch hooks, or continues its launch when its group has
/// no successful revision yet. Returns whether any was served.
fn start_launches(world: &mut World) -> bool {
    let deployments = &world.codedeploy.deployments;
    let served: BTreeSet<String> = deployments
        .holding
        .iter()
        .filter_map(|id| deployments.by_id.get(id))
        .filter_map(|deployment| deployment.launch.as_ref())
        .map(|launch| launch.token.clone())
        .collect();
    let owners = hook_owners(world);
    let waiting: Vec<(OpenAction, (String, String))> = world
        .autoscaling
        .open_actions()
        .into_iter()
        .filter(|action| action.transition == LAUNCHING && !served.contains(&action.token))
        .filter_map(|action| {
            let owner = owners.get(&(action.group.clone(), action.hook.clone()))?;
            Some((action, owner.clone()))
        })
        .collect();
    let changed = !waiting.is_empty();
    for (action, (application_name, group_name)) in waiting {
        serve_launch(world, &action, &application_name, &group_name);
    }
    changed
}

/// Serves one launch held at the hook of `group_name` of
/// `application_name`: a deployment of the group's last successful
/// revision to the instance, or, without one, the launch continued.
fn serve_launch(world: &mut World, action: &OpenAction, application_name: &str, group_name: &str) {
    let Some(group) = world
        .codedeploy
        .applications
        .get(application_name)
        .and_then(|application| application.deployment_groups.get(group_name))
    else {
        return;
    };
    let revision = group.target_revision.clone();
    let group_id = group.id.clone();
    note_outdated(world, &group_id, &action.instance_id, revision.as_ref());
    let Some(revision) = revision else {
        // The action was just read from the table.
        let _ =
            world
                .autoscaling
                .complete_action(&action.token, ActionResult::Continue, action.since);
        return;
    };
    let new = launch_deployment(world, action, application_name, group_name, revision);
    match create(world, new, action.since) {
        Ok(deployment_id) => {
            let deployments = &mut world.codedeploy.deployments;
            if let Some(deployment) = deployments.by_id.get_mut(&deployment_id) {
                deployment.launch = Some(LaunchHold {
                    group: action.group.clone(),
                    instance_id: action.instance_id.clone(),
                    token: action.token.clone(),
                    since: action.since,
                });
            }
            deployments.holding.insert(deployment_id);
        }
        Err(_) => {
            let _ = world.autoscaling.complete_action(
                &action.token,
                ActionResult::Abandon,
                action.since,
            );
        }
    }
}

/// The deployment of `revision` to the instance `action` holds, for group
/// `group_name` of `application_name`.
fn launch_deployment(
    world: &World,
    action: &OpenAction,
    application_name: &str,
    group_name: &str,
    revision: RevisionLocation,
) -> NewDeployment {
    let group = world
        .codedeploy
        .applications
        .get(application_name)
        .and_then(|application| application.deployment_groups.get(group_name));
    let last = group
        .and_then(|group| group.last_successful_deployment.as_ref())
        .and_then(|last| world.codedeploy.deployments.by_id.get(&last.deployment_id));
    let region = world
        .autoscaling
        .groups
        .get(&action.group)
        .map_or_else(|| "us-east-1".to_owned(), |known| known.region.clone());
    NewDeployment {
        application_name: application_name.to_owned(),
        deployment_group_name: group_name.to_owned(),
        deployment_config_name: last.map_or_else(
            || group.map_or_else(String::new, |group| group.deployment_config_name.clone()),
            |last| last.deployment_config_name.clone(),
        ),
        minimum_healthy_hosts: MinimumHealthyHosts::HostCount(0),
        revision,
        description: None,
        creator: CREATOR_AUTOSCALING.to_owned(),
        ignore_application_stop_failures: false,
        update_outdated_instances_only: false,
        file_exists_behavior: last.and_then(|last| last.file_exists_behavior.clone()),
        auto_rollback_configuration: None,
        deployment_style: in_place(group.map(|group| &group.deployment_style)),
        target_instances: None,
        blue_green_deployment_configuration: None,
        load_balancer_info: group.and_then(|group| group.load_balancer_info.clone()),
        region,
        rollback_request: RollbackRequest::Never,
        rollback_info: None,
        only_instances: Some(vec![action.instance_id.clone()]),
        shift: None,
    }
}

/// An in-place style with `style`'s traffic option.
fn in_place(style: Option<&DeploymentStyle>) -> DeploymentStyle {
    DeploymentStyle {
        deployment_type: Some("IN_PLACE".to_owned()),
        deployment_option: style
            .and_then(|style| style.deployment_option.clone())
            .or_else(|| Some("WITHOUT_TRAFFIC_CONTROL".to_owned())),
    }
}

/// Notes instance `instance_id`, scaled out into group `group_id` with
/// `revision` (or none), on the group's running deployments that deploy
/// another revision: it is outdated once they succeed.
fn note_outdated(
    world: &mut World,
    group_id: &str,
    instance_id: &str,
    revision: Option<&RevisionLocation>,
) {
    let deployments = &mut world.codedeploy.deployments;
    let running: Vec<String> = deployments
        .active
        .iter()
        .filter(|id| {
            deployments.by_id.get(*id).is_some_and(|deployment| {
                deployment.deployment_group_id == group_id
                    && deployment.launch.is_none()
                    && revision
                        .is_none_or(|revision| !deployment.revision.is_same_revision(revision))
            })
        })
        .cloned()
        .collect();
    for deployment_id in running {
        if let Some(deployment) = deployments.by_id.get_mut(&deployment_id) {
            if !deployment
                .outdated_instances
                .iter()
                .any(|id| id == instance_id)
            {
                deployment.outdated_instances.push(instance_id.to_owned());
            }
            deployments.outdated.insert(deployment_id);
        }
    }
}

/// Records a heartbeat every five minutes for each instance held while a
/// deployment installs on it. Returns whether any was recorded.
fn record_heartbeats(world: &mut World, now: Timestamp) -> bool {
    let deployments = &world.codedeploy.deployments;
    let beats: Vec<(String, Timestamp)> = deployments
        .holding
        .iter()
        .filter_map(|id| deployments.by_id.get(id))
        .filter_map(|deployment| deployment.launch.as_ref())
        .filter_map(|launch| {
            let beats = (now.as_millis() - launch.since.as_millis()) / HEARTBEAT_EVERY_MILLIS;
            (beats > 0).then(|| {
                (
                    launch.token.clone(),
                    launch.since.plus_millis(beats * HEARTBEAT_EVERY_MILLIS),
                )
            })
        })
        .collect();
    let mut changed = false;
    for (token, at) in beats {
        let before = world
            .autoscaling
            .actions
            .get(&token)
            .map(|action| action.heartbeat_deadline);
        world.autoscaling.record_heartbeat(&token, at);
        let after = world
            .autoscaling
            .actions
            .get(&token)
            .map(|action| action.heartbeat_deadline);
        changed |= before != after;
    }
    changed
}

/// Starts the follow-on deployment of every deployment that succeeded
/// while instances were scaled out, once their launches have ended.
/// Returns whether any deployment was done with.
fn start_follow_ups(world: &mut World) -> bool {
    let mut changed = false;
    for root_id in listed(&world.codedeploy.deployments.outdated) {
        let Some(root) = world.codedeploy.deployments.by_id.get(&root_id) else {
            world.codedeploy.deployments.outdated.remove(&root_id);
            changed = true;
            continue;
        };
        if !root.status.is_finished() || launches_running(world, root) {
            continue;
        }
        let root = root.clone();
        world.codedeploy.deployments.outdated.remove(&root_id);
        changed = true;
        if root.status == DeploymentStatus::Succeeded {
            follow_up(world, &root);
        }
    }
    changed
}

/// Whether a launch deployment of an instance `root` saw scaled out is
/// still running.
fn launches_running(world: &World, root: &Deployment) -> bool {
    let deployments = &world.codedeploy.deployments;
    deployments
        .holding
        .iter()
        .filter_map(|id| deployments.by_id.get(id))
        .filter_map(|deployment| deployment.launch.as_ref())
        .any(|launch| root.outdated_instances.contains(&launch.instance_id))
}

/// When the launches of the instances `root` saw scaled out ended: the
/// latest end of their deployments, or `root`'s own end.
fn launches_ended(world: &World, root: &Deployment) -> Option<Timestamp> {
    let ended = world
        .codedeploy
        .deployments
        .by_id
        .values()
        .filter(|deployment| {
            deployment.deployment_group_id == root.deployment_group_id
                && deployment.create_time >= root.create_time
                && deployment
                    .launch
                    .as_ref()
                    .is_some_and(|launch| root.outdated_instances.contains(&launch.instance_id))
        })
        .filter_map(|deployment| deployment.complete_time)
        .max();
    match (root.complete_time, ended) {
        (Some(root_end), Some(ended)) => Some(root_end.max(ended)),
        (root_end, ended) => root_end.or(ended),
    }
}

/// Starts the follow-on deployment of `root`'s revision to the instances
/// scaled out while it ran, unless its group ignores outdated instances.
fn follow_up(world: &mut World, root: &Deployment) {
    let Some(group) = world
        .codedeploy
        .applications
        .get(&root.application_name)
        .and_then(|application| {
            application
                .deployment_groups
                .values()
                .find(|group| group.id == root.deployment_group_id)
        })
    else {
        return;
    };
    if group.outdated_instances_strategy == "IGNORE" {
        return;
    }
    let Some(at) = launches_ended(world, root) else {
        return;
    };
    let still_there: Vec<String> = root
        .outdated_instances
        .iter()
        .filter(|id| {
            world
                .ec2
                .instances
                .get(*id)
                .is_some_and(|instance| instance.state.exists())
        })
        .cloned()
        .collect();
    if still_there.is_empty() {
        return;
    }
    let new = NewDeployment {
        application_name: root.application_name.clone(),
        deployment_group_name: group.name.clone(),
        deployment_config_name: root.deployment_config_name.clone(),
        minimum_healthy_hosts: root.minimum_healthy_hosts,
        revision: root.revision.clone(),
        description: None,
        creator: CREATOR_AUTO_UPDATE.to_owned(),
        ignore_application_stop_failures: root.ignore_application_stop_failures,
        update_outdated_instances_only: true,
        file_exists_behavior: root.file_exists_behavior.clone(),
        auto_rollback_configuration: None,
        deployment_style: in_place(Some(&root.deployment_style)),
        target_instances: None,
        blue_green_deployment_configuration: None,
        load_balancer_info: root.load_balancer_info.clone(),
        region: root.region.clone(),
        rollback_request: RollbackRequest::Never,
        rollback_info: None,
        only_instances: Some(still_there),
        shift: None,
    };
    let Ok(follow_up_id) = create(world, new, at) else {
        return;
    };
    let deployments = &mut world.codedeploy.deployments;
    if let Some(follow_up) = deployments.by_id.get_mut(&follow_up_id) {
        follow_up.related_deployments = Some(RelatedDeployments {
            auto_update_outdated_instances_root_deployment_id: Some(root.deployment_id.clone()),
            auto_update_outdated_instances_deployment_ids: Vec::new(),
        });
    }
    if let Some(root) = deployments.by_id.get_mut(&root.deployment_id) {
        root.related_deployments
            .get_or_insert_with(RelatedDeployments::default)
            .auto_update_outdated_instances_deployment_ids
            .push(follow_up_id);
    }
}
