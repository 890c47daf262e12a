//! Creating a deployment: its targets chosen (see [`select`]), a [`Rollout`]
//! over the instances it installs on, in target id order with the health
//! the deployment group keeps for each, the content of its revision read
//! (see [`bundle`]), and the revision's use recorded.

use std::collections::BTreeMap;

use crate::domain::MinimumHealthyHosts;
use crate::domain::health::Health;
use crate::domain::lifecycle::{
    ECS_EVENTS, InstanceRole, LAMBDA_EVENTS, LifecycleEvent, events_for,
};
use crate::domain::rollout::Rollout;
use crate::domain::simulate::SIMULATE_TAG;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, Deployments, EventRecord, InstanceLabel, LastDeploymentInfo,
    Phase, RollbackInfo, RollbackRequest, Shift, ShiftKind, TargetInstances, TargetKind,
    TargetRecord, TargetStatus,
};
use crate::localcloud::codedeploy::errors::no_such_group;
use crate::localcloud::codedeploy::shapes::{
    AutoRollbackConfiguration, BlueGreenDeploymentConfiguration, DeploymentStyle, LoadBalancerInfo,
    RevisionLocation,
};
use crate::localcloud::codedeploy::state::Revision;
use crate::localcloud::ec2::LaunchSpec;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::world::World;

use super::bundle;
use super::common::group_mut;
use super::select::{self, Candidate};

/// Everything a new deployment is made of, checked by the caller.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    /// The application.
    pub application_name: String,
    /// The deployment group.
    pub deployment_group_name: String,
    /// The deployment configuration's name.
    pub deployment_config_name: String,
    /// Its minimum healthy hosts.
    pub minimum_healthy_hosts: MinimumHealthyHosts,
    /// The revision to deploy.
    pub revision: RevisionLocation,
    /// A description.
    pub description: Option<String>,
    /// `user`, `codeDeployRollback`, `autoscaling` or `CodeDeployAutoUpdate`.
    pub creator: String,
    /// Whether stop and block-traffic script failures are ignored.
    pub ignore_application_stop_failures: bool,
    /// Whether only outdated instances are deployed to (stored only).
    pub update_outdated_instances_only: bool,
    /// What to do with files already in place (stored only).
    pub file_exists_behavior: Option<String>,
    /// The automatic rollback configuration in force.
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    /// In-place or blue/green.
    pub deployment_style: DeploymentStyle,
    /// Blue/green: which instances replace the originals.
    pub target_instances: Option<TargetInstances>,
    /// Blue/green options.
    pub blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    /// The group's load balancers.
    pub load_balancer_info: Option<LoadBalancerInfo>,
    /// The region, for ARNs.
    pub region: String,
    /// Whether a stop rolls back.
    pub rollback_request: RollbackRequest,
    /// How it is linked to the deployment it rolls back.
    pub rollback_info: Option<RollbackInfo>,
    /// The EC2 instances it goes to instead of the group's, for the
    /// deployments Auto Scaling's launches start (see
    /// [`autoscaling`](super::autoscaling)).
    pub only_instances: Option<Vec<String>>,
    /// A Lambda or ECS deployment: what its traffic moves between. Its one
    /// target is the alias or the service, with the events of its
    /// platform.
    pub shift: Option<Shift>,
}

/// Makes a deployment id that is not taken: `d-` and nine capital letters
/// or digits.
fn new_deployment_id(deployments: &Deployments) -> String {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    loop {
        let id: String = (0..9)
            .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
            .collect();
        let id = format!("d-{id}");
        if !deployments.by_id.contains_key(&id) {
            return id;
        }
    }
}

/// Whether `id` has the form of a deployment id.
pub fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

/// A target record for `candidate` with the events of `role`.
pub(super) fn target_record(
    candidate: Candidate,
    label: Option<InstanceLabel>,
    events: Vec<LifecycleEvent>,
    now: Timestamp,
) -> TargetRecord {
    TargetRecord {
        target_id: candidate.target_id,
        target_arn: candidate.target_arn,
        kind: candidate.kind,
        label,
        status: TargetStatus::Pending,
        last_updated_at: now,
        events: events.into_iter().map(EventRecord::pending).collect(),
        rollout_index: None,
        attempt: None,
        failure_cause: None,
    }
}

/// Numbers the targets the rollout installs on (all but a blue/green
/// deployment's originals) in target order, and starts the rollout over
/// the health `health_by_target` keeps for each. Returns, by rollout
/// index, each one's index in `targets` and its health, and the rollout
/// (`None` when there is nothing to install on).
pub(super) fn plan_rollout(
    targets: &mut [TargetRecord],
    health_by_target: &BTreeMap<String, Health>,
    minimum: MinimumHealthyHosts,
) -> (Vec<usize>, Vec<Health>, Option<Rollout>) {
    let mut rollout_targets = Vec::new();
    let mut initial_health = Vec::new();
    for (index, target) in targets.iter_mut().enumerate() {
        target.rollout_index = None;
        if target.label != Some(InstanceLabel::Blue) {
            target.rollout_index = Some(rollout_targets.len());
            rollout_targets.push(index);
            initial_health.push(
                health_by_target
                    .get(&target.target_id)
                    .copied()
                    .unwrap_or(Health::NEW),
            );
        }
    }
    let rollout = Rollout::start(&initial_health, minimum).ok();
    (rollout_targets, initial_health, rollout)
}

/// Creates a deployment that starts at `now` and returns its id. The
/// caller has checked the request; this picks the targets, sets up the
/// rollout, and records the revision's use.
pub fn create(world: &mut World, new: NewDeployment, now: Timestamp) -> Result<String, ApiError> {
    let group = world
        .codedeploy
        .applications
        .get(&new.application_name)
        .and_then(|application| {
            application
                .deployment_groups
                .get(&new.deployment_group_name)
        })
        .ok_or_else(|| no_such_group(&new.application_name, &new.deployment_group_name))?;
    let group_id = group.id.clone();
    let previous_revision = group.target_revision.clone();
    let health_by_target = group.instance_health.clone();
    let originals = match (&new.shift, &new.only_instances) {
        (Some(_), _) => Vec::new(),
        (None, Some(ids)) => select::ec2_candidates(&world.ec2, ids, &new.region),
        (None, None) => select::group_instances(world, group, &new.region),
    };
    // A group with an Auto Scaling group has it copied when the deployment
    // starts (see `green_fleet`).
    let copies_instances = group.auto_scaling_groups.is_empty();
    let blue_green = new.deployment_style.deployment_type.as_deref() == Some("BLUE_GREEN");
    let load_balanced = new.deployment_style.deployment_option.as_deref()
        == Some("WITH_TRAFFIC_CONTROL")
        && new.load_balancer_info.is_some();

    let mut targets: Vec<TargetRecord> = if let Some(shift) = &new.shift {
        vec![shift_target(shift, &new.region, now)]
    } else if blue_green {
        let replacements = replacement_instances(world, &new, &originals, copies_instances, now);
        let blue = originals.into_iter().map(|candidate| {
            target_record(
                candidate,
                Some(InstanceLabel::Blue),
                events_for(InstanceRole::Original, true),
                now,
            )
        });
        let green = replacements.into_iter().map(|candidate| {
            target_record(
                candidate,
                Some(InstanceLabel::Green),
                events_for(InstanceRole::Replacement, true),
                now,
            )
        });
        blue.chain(green).collect()
    } else {
        originals
            .into_iter()
            .map(|candidate| {
                target_record(
                    candidate,
                    None,
                    events_for(InstanceRole::InPlace, load_balanced),
                    now,
                )
            })
            .collect()
    };
    targets.sort_by(|left, right| left.target_id.cmp(&right.target_id));

    let (rollout_targets, initial_health, rollout) =
        plan_rollout(&mut targets, &health_by_target, new.minimum_healthy_hosts);

    let deployment_id = new_deployment_id(&world.codedeploy.deployments);
    let content = bundle::revision_content(world, &new.revision, &group_id, &deployment_id);
    let deployments = &mut world.codedeploy.deployments;
    deployments.sequence += 1;
    let deployment = Deployment {
        deployment_id: deployment_id.clone(),
        sequence: deployments.sequence,
        region: new.region,
        application_name: new.application_name,
        deployment_group_name: new.deployment_group_name,
        deployment_group_id: group_id,
        deployment_config_name: new.deployment_config_name,
        minimum_healthy_hosts: new.minimum_healthy_hosts,
        revision: new.revision,
        previous_revision,
        status: DeploymentStatus::Created,
        error_information: None,
        create_time: now,
        start_time: None,
        complete_time: None,
        description: new.description,
        creator: new.creator,
        ignore_application_stop_failures: new.ignore_application_stop_failures,
        update_outdated_instances_only: new.update_outdated_instances_only,
        file_exists_behavior: new.file_exists_behavior,
        auto_rollback_configuration: new.auto_rollback_configuration,
        rollback_info: new.rollback_info,
        deployment_style: new.deployment_style,
        target_instances: new.target_instances,
        blue_green_deployment_configuration: new.blue_green_deployment_configuration,
        load_balancer_info: new.load_balancer_info,
        instance_termination_wait_time_started: false,
        targets,
        rollout,
        rollout_targets,
        initial_health,
        in_flight: Vec::new(),
        phase: Phase::Created { start_at: now },
        rollback_request: new.rollback_request,
        content,
        launch: None,
        outdated_instances: Vec::new(),
        related_deployments: None,
        copied_fleet: None,
        shift: new.shift,
    };
    record_revision_use(world, &deployment, now);
    if let Some(group) = group_mut(world, &deployment) {
        group.last_attempted_deployment = Some(LastDeploymentInfo::of(&deployment));
    }
    let deployments = &mut world.codedeploy.deployments;
    deployments.active.insert(deployment_id.clone());
    deployments.by_id.insert(deployment_id.clone(), deployment);
    deployments.next_due = Some(deployments.next_due.map_or(now, |due| due.min(now)));
    Ok(deployment_id)
}

/// The one target of a Lambda or ECS deployment: the function's alias
/// (`function:alias`) or the service (`cluster:service`), with its
/// platform's events.
fn shift_target(shift: &Shift, region: &str, now: Timestamp) -> TargetRecord {
    let (target_id, target_arn, kind, events) = match &shift.kind {
        ShiftKind::Lambda(lambda) => (
            format!("{}:{}", lambda.function, lambda.alias),
            format!(
                "{}:{}",
                crate::localcloud::lambda::state::function_arn(region, &lambda.function),
                lambda.alias
            ),
            TargetKind::Lambda,
            LAMBDA_EVENTS.to_vec(),
        ),
        ShiftKind::Ecs(ecs) => (
            format!("{}:{}", ecs.cluster, ecs.service),
            format!(
                "arn:aws:ecs:{region}:{}:service/{}/{}",
                crate::localcloud::account::ACCOUNT_ID,
                ecs.cluster,
                ecs.service
            ),
            TargetKind::Ecs,
            ECS_EVENTS.to_vec(),
        ),
    };
    target_record(
        Candidate {
            target_id,
            target_arn,
            kind,
        },
        None,
        events,
        now,
    )
}

/// The replacement instances of a blue/green deployment: those its
/// `targetInstances` select, or when the group provisions its green fleet
/// by copying, copies of the EC2 originals launched now if
/// `copies_instances` (none otherwise: the engine copies the group's Auto
/// Scaling group when the deployment starts).
fn replacement_instances(
    world: &mut World,
    new: &NewDeployment,
    originals: &[Candidate],
    copies_instances: bool,
    now: Timestamp,
) -> Vec<Candidate> {
    let copy = new
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|config| config.green_fleet_provisioning_option.as_ref())
        .and_then(|option| option.action.as_deref())
        == Some("COPY_AUTO_SCALING_GROUP");
    let mut replacements = if copy && !copies_instances {
        Vec::new()
    } else if copy {
        let mut copies = Vec::new();
        for original in originals {
            let Some(instance) = world.ec2.instances.get(&original.target_id) else {
                continue;
            };
            // A copy is launched as its original was, with its image, type
            // and instance profile, but none of its simulated trouble.
            let mut tags = instance.tags.clone();
            tags.remove(SIMULATE_TAG);
            let spec = LaunchSpec {
                image_id: instance.image_id.clone(),
                instance_type: instance.instance_type.clone(),
                tags,
                iam_instance_profile_arn: instance
                    .iam_instance_profile
                    .as_ref()
                    .map(|profile| profile.arn.clone()),
                ..LaunchSpec::default()
            };
            let (_, mut launched) = world.ec2.run(&spec, 1, now);
            let instance_id = launched.pop().unwrap_or_default();
            copies.push(Candidate {
                target_arn: select::ec2_arn(&new.region, &instance_id),
                target_id: instance_id,
                kind: original.kind,
            });
        }
        copies
    } else {
        let target_instances = new.target_instances.clone().unwrap_or_default();
        select::ec2_instances(
            &world.ec2,
            target_instances.tag_filters.as_deref().unwrap_or_default(),
            target_instances.ec2_tag_set.as_ref(),
            &new.region,
        )
    };
    replacements.retain(|candidate| {
        !originals
            .iter()
            .any(|original| original.target_id == candidate.target_id)
    });
    select::sort_and_dedup(&mut replacements);
    replacements
}

/// Records that `deployment` uses its revision: registered with the
/// application if it was not, first and last used times, and the group.
fn record_revision_use(world: &mut World, deployment: &Deployment, now: Timestamp) {
    let sequence = world.codedeploy.revision_sequence + 1;
    let Some(application) = world
        .codedeploy
        .applications
        .get_mut(&deployment.application_name)
    else {
        return;
    };
    let group_name = deployment.deployment_group_name.clone();
    let existing = application
        .revisions
        .iter_mut()
        .find(|revision| revision.location.is_same_revision(&deployment.revision));
    if let Some(revision) = existing {
        revision.first_used_time.get_or_insert(now);
        revision.last_used_time = Some(now);
        if !revision.deployment_groups.contains(&group_name) {
            revision.deployment_groups.push(group_name);
        }
    } else {
        application.revisions.push(Revision {
            location: deployment.revision.clone(),
            description: None,
            register_time: now,
            first_used_time: Some(now),
            last_used_time: Some(now),
            deployment_groups: vec![group_name],
            sequence,
        });
        world.codedeploy.revision_sequence = sequence;
    }
}
