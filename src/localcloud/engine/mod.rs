//! The deployment engine: it runs CodeDeploy deployments in the local cloud.
//!
//! A deployment is created with its targets chosen (see [`select`]) and a
//! [`Rollout`] over the instances it installs on, in target id order with
//! the health the deployment group keeps for each. From then on the rollout
//! alone decides the waves and the outcome, so the GUI's planner, which
//! drives the same rollout, predicts exactly what happens here.
//!
//! Each wave starts when the previous one has ended. When a wave starts,
//! the engine reads how each of its instances behaves (see [`agent`]) and
//! plans every lifecycle event: when it starts, when it ends and how. The
//! plans are then played out on the local cloud's clock: [`advance`] brings
//! every running deployment up to a given time, applying the events whose
//! times have come, reporting finished instances to the rollout and starting
//! the next wave at the time the last one ended. Because everything is
//! decided by timestamps, advancing in many small steps or in one big step
//! gives the same result, which is what lets tests drive the engine with a
//! manual clock.
//!
//! Who calls [`advance`]: the server before every request (so a client
//! always sees the deployment as of its request's time), a background task
//! on a timer (so deployments move on with nobody asking), and
//! [`LocalCloud::tick`](crate::localcloud::LocalCloud::tick).
//!
//! Blue/green deployments install on the replacement (Green) instances with
//! the rollout, optionally wait in status `Ready` for `ContinueDeployment`,
//! reroute traffic (Green `AllowTraffic` events, then Blue `BlockTraffic`
//! events), then keep or terminate the original instances. When a
//! deployment ends, instance and revision health and the group's revision
//! are updated as the rollout says, and an automatic rollback is created if
//! the deployment's rollback configuration asks for one.

pub mod agent;
pub mod bundle;
pub mod select;

use std::time::Duration;

use crate::domain::MinimumHealthyHosts;
use crate::domain::health::{AttemptResult, Health};
use crate::domain::lifecycle::{InstanceRole, LifecycleEvent, events_for};
use crate::domain::rollout::{FailureCode, FailureReason, Rollout, RolloutOutcome, TargetProgress};
use crate::domain::simulate::SIMULATE_TAG;
use crate::localcloud::api_error::ApiError;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_groups::no_such_group;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, Deployments, Diagnostics, ErrorInformation, EventRecord,
    EventStatus, FailureCause, InstanceLabel, LastDeploymentInfo, Phase, RollbackInfo,
    RollbackRequest, TargetInstances, TargetRecord, TargetStatus,
};
use crate::localcloud::codedeploy::revisions::same_revision;
use crate::localcloud::codedeploy::shapes::{
    AutoRollbackConfiguration, BlueGreenDeploymentConfiguration, DeploymentStyle, LoadBalancerInfo,
    RevisionLocation,
};
use crate::localcloud::codedeploy::state::{DeploymentGroup, Revision};
use crate::localcloud::world::World;
use agent::{AttemptSpec, Behaviour, behaviour_of, plan_attempt_with};
use select::Candidate;

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
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            event_duration: DEFAULT_EVENT_DURATION,
        }
    }
}

impl EngineSettings {
    /// One event's duration in whole milliseconds.
    fn event_millis(self) -> i64 {
        i64::try_from(self.event_duration.as_millis()).unwrap_or(i64::MAX / 16)
    }
}

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
    /// `user` or `codeDeployRollback`.
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
}

/// The group of deployment `deployment`, found by id so a rename does not
/// lose it.
fn group_mut<'a>(world: &'a mut World, deployment: &Deployment) -> Option<&'a mut DeploymentGroup> {
    world
        .codedeploy
        .applications
        .get_mut(&deployment.application_name)?
        .deployment_groups
        .values_mut()
        .find(|group| group.id == deployment.deployment_group_id)
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

/// The index of the first traffic-allowing event of a replacement
/// instance, which runs only when traffic is rerouted; the number of events
/// for any other target.
fn install_end(target: &TargetRecord) -> usize {
    if target.label != Some(InstanceLabel::Green) {
        return target.events.len();
    }
    target
        .events
        .iter()
        .position(|record| record.event == LifecycleEvent::BeforeAllowTraffic)
        .unwrap_or(target.events.len())
}

/// A target record for `candidate` with the events of `role`.
fn target_record(
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
    let originals = select::group_instances(world, group, &new.region);
    let blue_green = new.deployment_style.deployment_type.as_deref() == Some("BLUE_GREEN");
    let load_balanced = new.deployment_style.deployment_option.as_deref()
        == Some("WITH_TRAFFIC_CONTROL")
        && new.load_balancer_info.is_some();

    let mut targets: Vec<TargetRecord> = if blue_green {
        let replacements = replacement_instances(world, &new, &originals, now);
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

    let mut rollout_targets = Vec::new();
    let mut initial_health = Vec::new();
    for (index, target) in targets.iter_mut().enumerate() {
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
    let rollout = Rollout::start(&initial_health, new.minimum_healthy_hosts).ok();

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

/// The replacement instances of a blue/green deployment: those its
/// `targetInstances` select, or copies of the EC2 originals launched now
/// when the group provisions its green fleet by copying.
fn replacement_instances(
    world: &mut World,
    new: &NewDeployment,
    originals: &[Candidate],
    now: Timestamp,
) -> Vec<Candidate> {
    let copy = new
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|config| config.green_fleet_provisioning_option.as_ref())
        .and_then(|option| option.action.as_deref())
        == Some("COPY_AUTO_SCALING_GROUP");
    let mut replacements = if copy {
        let mut copies = Vec::new();
        for original in originals {
            let Some(instance) = world.ec2.instances.get(&original.target_id) else {
                continue;
            };
            let mut tags = instance.tags.clone();
            tags.remove(SIMULATE_TAG);
            let instance_id = world.ec2.launch(tags, now);
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
        .find(|revision| same_revision(&revision.location, &deployment.revision));
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

/// What a deployment that ended asks to be done once it is back in the world.
#[derive(Debug, Clone)]
struct RollbackDue {
    /// The deployment that ended.
    deployment_id: String,
    /// When it ended.
    at: Timestamp,
}

/// Runs `change` on deployment `deployment_id`, taken out of the world
/// for the while so both can be changed.
fn with_deployment<R>(
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

/// Brings every running deployment up to `now`. Returns whether anything
/// changed. Cheap when nothing is due: the time of the next change is kept.
pub fn advance(world: &mut World, now: Timestamp, settings: &EngineSettings) -> bool {
    let deployments = &mut world.codedeploy.deployments;
    deployments.advanced_to = Some(deployments.advanced_to.map_or(now, |to| to.max(now)));
    match deployments.next_due {
        Some(due) if now >= due => {}
        _ => return false,
    }
    let mut changed = false;
    loop {
        let ids: Vec<String> = world
            .codedeploy
            .deployments
            .active
            .iter()
            .cloned()
            .collect();
        let mut round = false;
        let mut rollbacks = Vec::new();
        for id in ids {
            match with_deployment(world, &id, |world, deployment| {
                step(world, deployment, now, *settings, &mut rollbacks)
            }) {
                Some(stepped) => round |= stepped,
                None => {
                    world.codedeploy.deployments.active.remove(&id);
                }
            }
        }
        for due in rollbacks {
            roll_back(world, &due);
            round = true;
        }
        changed |= round;
        if !round {
            break;
        }
    }
    refresh_next_due(world);
    changed
}

/// Works out when the engine next has something to do.
fn refresh_next_due(world: &mut World) {
    let deployments = &mut world.codedeploy.deployments;
    deployments.next_due = deployments
        .active
        .iter()
        .filter_map(|id| deployments.by_id.get(id))
        .filter_map(next_due)
        .min();
}

/// When deployment `deployment` next changes, if it is running.
fn next_due(deployment: &Deployment) -> Option<Timestamp> {
    match &deployment.phase {
        Phase::Created { start_at } => Some(*start_at),
        Phase::Ready { deadline } => Some(*deadline),
        Phase::Terminating { at } => Some(*at),
        Phase::Finished => None,
        Phase::Installing | Phase::Rerouting => Some(
            deployment
                .in_flight
                .iter()
                .filter_map(|&index| deployment.targets.get(index).and_then(next_boundary))
                .min()
                // Nothing in flight: the next step is due at once.
                .unwrap_or(Timestamp::from_millis(i64::MIN)),
        ),
    }
}

/// The next time something planned on `target` happens.
fn next_boundary(target: &TargetRecord) -> Option<Timestamp> {
    let attempt = target.attempt.as_ref()?;
    let mut next = attempt.finish;
    if target.status != TargetStatus::InProgress {
        next = next.min(attempt.start);
    }
    for record in &target.events {
        match (&record.plan, record.status) {
            (Some(plan), EventStatus::Pending) => next = next.min(plan.start),
            (Some(plan), EventStatus::InProgress) => next = next.min(plan.end),
            _ => {}
        }
    }
    Some(next)
}

/// Advances one deployment as far as `now` allows.
fn step(
    world: &mut World,
    deployment: &mut Deployment,
    now: Timestamp,
    settings: EngineSettings,
    rollbacks: &mut Vec<RollbackDue>,
) -> bool {
    let mut changed = false;
    loop {
        match deployment.phase.clone() {
            Phase::Created { start_at } => {
                if now < start_at {
                    break;
                }
                start(world, deployment, start_at, settings, rollbacks);
            }
            Phase::Installing | Phase::Rerouting => {
                let installing = deployment.phase == Phase::Installing;
                let work_ends = deployment
                    .in_flight
                    .iter()
                    .filter_map(|&index| deployment.targets[index].attempt.as_ref())
                    .map(|attempt| attempt.finish)
                    .max();
                changed |= play_out(deployment, now, installing);
                if !deployment.in_flight.is_empty() {
                    break;
                }
                let at = work_ends.unwrap_or(now);
                if installing {
                    next_wave(world, deployment, at, settings, rollbacks);
                } else {
                    rerouted(world, deployment, at, rollbacks);
                }
            }
            Phase::Ready { deadline } => {
                if now < deadline {
                    break;
                }
                let minutes = ready_wait_minutes(deployment);
                let error = ErrorInformation {
                    code: "TIMEOUT".to_owned(),
                    message: format!(
                        "Traffic was not rerouted within the {minutes}-minute wait, so the deployment was stopped. Continue a Ready deployment with ContinueDeployment before its wait ends."
                    ),
                };
                finish(
                    world,
                    deployment,
                    deadline,
                    &Ending::Stopped(Some(error)),
                    rollbacks,
                );
            }
            Phase::Terminating { at } => {
                if now < at {
                    break;
                }
                terminate_originals(world, deployment, at);
                finish(world, deployment, at, &Ending::Succeeded, rollbacks);
            }
            Phase::Finished => break,
        }
        changed = true;
    }
    changed
}

/// Applies to the targets in flight everything planned up to `time`, and
/// reports finished attempts to the rollout when `count_in_rollout`.
fn play_out(deployment: &mut Deployment, time: Timestamp, count_in_rollout: bool) -> bool {
    let mut changed = false;
    let in_flight = std::mem::take(&mut deployment.in_flight);
    for index in in_flight {
        let target = &mut deployment.targets[index];
        changed |= apply_events(target, time);
        let Some(attempt) = target.attempt.clone() else {
            continue;
        };
        if time < attempt.start {
            deployment.in_flight.push(index);
            continue;
        }
        if time < attempt.finish {
            if target.status != TargetStatus::InProgress {
                target.status = TargetStatus::InProgress;
                target.last_updated_at = target.last_updated_at.max(attempt.start);
                changed = true;
            }
            deployment.in_flight.push(index);
            continue;
        }
        target.status = attempt.status_after;
        target.failure_cause = attempt.cause;
        target.attempt = None;
        target.last_updated_at = target.last_updated_at.max(attempt.finish);
        changed = true;
        if count_in_rollout
            && let (Some(rollout), Some(rollout_index)) =
                (deployment.rollout.as_mut(), target.rollout_index)
            && let Err(error) = rollout.complete(rollout_index, attempt.result)
        {
            tracing::warn!(
                "deployment {}: the rollout refused a result: {error}",
                deployment.deployment_id
            );
        }
    }
    changed
}

/// Applies the planned events of `target` whose times have come.
fn apply_events(target: &mut TargetRecord, time: Timestamp) -> bool {
    let mut latest: Option<Timestamp> = None;
    for record in &mut target.events {
        let Some(plan) = &record.plan else {
            continue;
        };
        if plan.skipped {
            if record.status == EventStatus::Pending && time >= plan.start {
                record.status = EventStatus::Skipped;
                latest = latest.max(Some(plan.start));
            }
            continue;
        }
        if record.status == EventStatus::Pending && time >= plan.start {
            record.status = EventStatus::InProgress;
            record.start_time = Some(plan.start);
            latest = latest.max(Some(plan.start));
        }
        if record.status == EventStatus::InProgress && time >= plan.end {
            record.status = if plan.failure.is_some() {
                EventStatus::Failed
            } else {
                EventStatus::Succeeded
            };
            record.end_time = Some(plan.end);
            record.diagnostics = plan.failure.clone().or_else(|| plan.success.clone());
            latest = latest.max(Some(plan.end));
        }
    }
    if let Some(latest) = latest {
        target.last_updated_at = target.last_updated_at.max(latest);
        true
    } else {
        false
    }
}

/// Starts a created deployment at `at`.
fn start(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    settings: EngineSettings,
    rollbacks: &mut Vec<RollbackDue>,
) {
    deployment.status = DeploymentStatus::InProgress;
    deployment.start_time = Some(at);
    record_attempted(world, deployment);
    let outcome = deployment
        .rollout
        .as_ref()
        .map(|rollout| rollout.outcome().cloned());
    match outcome {
        None => {
            let error = ErrorInformation {
                code: FailureReason::NoInstances.error_code().to_owned(),
                message: NO_INSTANCES_MESSAGE.to_owned(),
            };
            finish(world, deployment, at, &Ending::Failed(error), rollbacks);
        }
        Some(None) => {
            deployment.phase = Phase::Installing;
            next_wave(world, deployment, at, settings, rollbacks);
        }
        Some(Some(_)) => install_done(world, deployment, at, settings, rollbacks),
    }
}

/// Starts the rollout's next wave at `at`, or goes on when it has ended.
fn next_wave(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    settings: EngineSettings,
    rollbacks: &mut Vec<RollbackDue>,
) {
    let wave = deployment
        .rollout
        .as_mut()
        .map(Rollout::next_wave)
        .unwrap_or_default();
    if wave.is_empty() {
        install_done(world, deployment, at, settings, rollbacks);
        return;
    }
    for rollout_index in wave {
        let index = deployment.rollout_targets[rollout_index];
        let behaviour = behaviour_of(world, &deployment.targets[index]);
        let target = &mut deployment.targets[index];
        let spec = AttemptSpec {
            first: 0,
            end: install_end(target),
            start: at,
            event_millis: settings.event_millis(),
            ignore_stop_failures: deployment.ignore_application_stop_failures,
            status_on_success: if target.label == Some(InstanceLabel::Green) {
                TargetStatus::Ready
            } else {
                TargetStatus::Succeeded
            },
        };
        plan_attempt_with(target, spec, behaviour, &deployment.content);
        deployment.in_flight.push(index);
    }
}

/// The deployment's error for a failed rollout. A deployment whose failed
/// instances all failed for lack of an agent failed because of the agent.
fn rollout_error(deployment: &Deployment, reason: &FailureReason) -> ErrorInformation {
    let code = reason.code();
    if code == FailureCode::HealthConstraints {
        let causes: Vec<FailureCause> = deployment
            .targets
            .iter()
            .filter_map(|target| target.failure_cause)
            .collect();
        if !causes.is_empty() && causes.iter().all(|cause| *cause == FailureCause::NoAgent) {
            return ErrorInformation {
                code: FailureCode::AgentIssue.as_str().to_owned(),
                message: AGENT_ISSUE_MESSAGE.to_owned(),
            };
        }
        return ErrorInformation {
            code: code.as_str().to_owned(),
            message: format!("{HEALTH_CONSTRAINTS_MESSAGE} {reason}"),
        };
    }
    let message = match reason {
        FailureReason::MinimumUnreachableAtStart { .. } => format!(
            "The deployment failed because the deployment configuration {} requires more healthy instances than it can keep: {reason} Lower its minimum healthy hosts, or add instances to the deployment group.",
            deployment.deployment_config_name
        ),
        FailureReason::NoInstances => NO_INSTANCES_MESSAGE.to_owned(),
        _ => format!("{HEALTH_CONSTRAINTS_MESSAGE} {reason}"),
    };
    ErrorInformation {
        code: code.as_str().to_owned(),
        message,
    }
}

/// Goes on once the rollout has ended.
fn install_done(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    settings: EngineSettings,
    rollbacks: &mut Vec<RollbackDue>,
) {
    let outcome = deployment
        .rollout
        .as_ref()
        .and_then(|rollout| rollout.outcome().cloned());
    match outcome {
        Some(RolloutOutcome::Succeeded) if deployment.is_blue_green() => {
            let ready = deployment
                .blue_green_deployment_configuration
                .as_ref()
                .and_then(|config| config.deployment_ready_option.as_ref());
            let waits = ready.and_then(|ready| ready.action_on_timeout.as_deref())
                == Some("STOP_DEPLOYMENT");
            if waits {
                let minutes = ready_wait_minutes(deployment);
                deployment.status = DeploymentStatus::Ready;
                deployment.phase = Phase::Ready {
                    deadline: at.plus_millis(minutes.saturating_mul(60_000)),
                };
                record_attempted(world, deployment);
            } else {
                begin_reroute(world, deployment, at, settings);
            }
        }
        Some(RolloutOutcome::Succeeded) => {
            finish(world, deployment, at, &Ending::Succeeded, rollbacks);
        }
        Some(RolloutOutcome::Failed(reason)) => {
            let error = rollout_error(deployment, &reason);
            finish(world, deployment, at, &Ending::Failed(error), rollbacks);
        }
        Some(RolloutOutcome::Stopped) => {
            finish(world, deployment, at, &Ending::Stopped(None), rollbacks);
        }
        None => {
            let error = ErrorInformation {
                code: "INTERNAL_ERROR".to_owned(),
                message: "The rollout ended without an outcome; please report this as a bug."
                    .to_owned(),
            };
            finish(world, deployment, at, &Ending::Failed(error), rollbacks);
        }
    }
}

/// The minutes a blue/green deployment waits in `Ready`.
fn ready_wait_minutes(deployment: &Deployment) -> i64 {
    deployment
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|config| config.deployment_ready_option.as_ref())
        .and_then(|ready| ready.wait_time_in_minutes)
        .unwrap_or(0)
        .max(0)
}

/// Starts rerouting traffic at `at`: the ready replacement instances run
/// their traffic-allowing events, then the original instances their
/// traffic-blocking events.
fn begin_reroute(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    settings: EngineSettings,
) {
    deployment.status = DeploymentStatus::InProgress;
    deployment.phase = Phase::Rerouting;
    record_attempted(world, deployment);
    let mut greens_end = at;
    let mut planned = Vec::new();
    for label in [InstanceLabel::Green, InstanceLabel::Blue] {
        for index in 0..deployment.targets.len() {
            let target = &deployment.targets[index];
            let takes_part = match label {
                InstanceLabel::Green => target.status == TargetStatus::Ready,
                InstanceLabel::Blue => target.status == TargetStatus::Pending,
            };
            if target.label != Some(label) || !takes_part {
                continue;
            }
            let behaviour: Behaviour = behaviour_of(world, target);
            let target = &mut deployment.targets[index];
            let spec = AttemptSpec {
                first: if label == InstanceLabel::Green {
                    install_end(target)
                } else {
                    0
                },
                end: target.events.len(),
                start: if label == InstanceLabel::Green {
                    at
                } else {
                    greens_end
                },
                event_millis: settings.event_millis(),
                ignore_stop_failures: deployment.ignore_application_stop_failures,
                status_on_success: TargetStatus::Succeeded,
            };
            plan_attempt_with(target, spec, behaviour, &deployment.content);
            planned.push(index);
        }
        greens_end = planned
            .iter()
            .filter_map(|&index| deployment.targets[index].attempt.as_ref())
            .map(|attempt| attempt.finish)
            .max()
            .unwrap_or(at);
    }
    deployment.in_flight = planned;
}

/// Whether target `index` failed while traffic was being rerouted.
fn failed_rerouting(deployment: &Deployment, index: usize) -> bool {
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

/// Goes on once traffic has been rerouted at `at`.
fn rerouted(
    world: &mut World,
    deployment: &mut Deployment,
    at: Timestamp,
    rollbacks: &mut Vec<RollbackDue>,
) {
    let failed: Vec<String> = (0..deployment.targets.len())
        .filter(|&index| failed_rerouting(deployment, index))
        .map(|index| deployment.targets[index].target_id.clone())
        .collect();
    if !failed.is_empty() {
        let error = ErrorInformation {
            code: FailureCode::HealthConstraints.as_str().to_owned(),
            message: format!(
                "{HEALTH_CONSTRAINTS_MESSAGE} Traffic could not be rerouted on {}.",
                failed.join(", ")
            ),
        };
        finish(world, deployment, at, &Ending::Failed(error), rollbacks);
        return;
    }
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
        finish(world, deployment, at, &Ending::Succeeded, rollbacks);
    }
}

/// Terminates the original EC2 instances of a blue/green deployment and
/// forgets their health.
fn terminate_originals(world: &mut World, deployment: &Deployment, at: Timestamp) {
    let originals: Vec<&TargetRecord> = deployment
        .targets
        .iter()
        .filter(|target| target.label == Some(InstanceLabel::Blue))
        .collect();
    for target in &originals {
        world.ec2.terminate(&target.target_id, at);
    }
    if let Some(group) = group_mut(world, deployment) {
        for target in originals {
            group.instance_health.remove(&target.target_id);
        }
    }
}

/// How a deployment ends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ending {
    /// It succeeded.
    Succeeded,
    /// It failed.
    Failed(ErrorInformation),
    /// It was stopped: by a person (`None`) or for the given reason.
    Stopped(Option<ErrorInformation>),
}

/// Records the deployment as the group's last attempted one.
fn record_attempted(world: &mut World, deployment: &Deployment) {
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

/// The health of every instance the rollout covers after the deployment
/// ended, by the rollout's rules. A blue/green deployment that ended badly
/// after its rollout succeeded takes the rules of a failed deployment, with
/// instances that failed rerouting counted as failed.
fn health_after(deployment: &Deployment, success: bool) -> Vec<Health> {
    let Some(rollout) = &deployment.rollout else {
        return Vec::new();
    };
    let rerouting_failed: Vec<bool> = deployment
        .rollout_targets
        .iter()
        .map(|&index| failed_rerouting(deployment, index))
        .collect();
    let agrees = rollout
        .outcome()
        .is_some_and(|outcome| outcome.is_success() == success);
    if agrees
        && !rerouting_failed.contains(&true)
        && let Some(healths) = rollout.health_after()
    {
        return healths;
    }
    deployment
        .initial_health
        .iter()
        .zip(rollout.progress())
        .zip(rerouting_failed)
        .map(|((health, progress), rerouting_failed)| {
            let attempt = if rerouting_failed {
                Some(AttemptResult::Failed)
            } else {
                progress.attempt()
            };
            if success {
                health.after_successful_deployment(attempt)
            } else {
                health.after_unsuccessful_deployment(attempt)
            }
        })
        .collect()
}

/// Ends a deployment at `at`: targets that were not reached are skipped,
/// health and the group are updated, and a rollback is asked for if due.
fn finish(
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
    deployment.in_flight.clear();
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
    if let Some(group) = group_mut(world, deployment) {
        for (target_id, health) in targets.into_iter().zip(healths) {
            group.instance_health.insert(target_id, health);
        }
        if success {
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
fn roll_back(world: &mut World, due: &RollbackDue) {
    let Some(failed) = world.codedeploy.deployments.by_id.get(&due.deployment_id) else {
        return;
    };
    let failed_id = failed.deployment_id.clone();
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
            rollback_message: Some(format!(
                "Rolled back by deployment {rollback_id}, which redeploys the last successful revision."
            )),
        },
        Err(message) => RollbackInfo {
            rollback_deployment_id: None,
            rollback_triggering_deployment_id: None,
            rollback_message: Some(message),
        },
    };
    if let Some(failed) = world.codedeploy.deployments.by_id.get_mut(&failed_id) {
        failed.rollback_info = Some(info);
    }
}

/// Cuts short the work in flight on a deployment that is being stopped at
/// `at`: the running events fail, the rest are skipped.
fn cut_short(deployment: &mut Deployment, at: Timestamp) {
    for index in std::mem::take(&mut deployment.in_flight) {
        let target = &mut deployment.targets[index];
        let Some(attempt) = target.attempt.take() else {
            continue;
        };
        if at < attempt.start {
            for record in &mut target.events {
                if record.status == EventStatus::Pending {
                    record.plan = None;
                }
            }
            continue;
        }
        for record in &mut target.events {
            match record.status {
                EventStatus::InProgress => {
                    record.status = EventStatus::Failed;
                    record.end_time = Some(at);
                    record.diagnostics = Some(Diagnostics {
                        error_code: "UnknownError".to_owned(),
                        script_name: if record.event.is_scriptable() {
                            agent::script_name(record.event)
                        } else {
                            String::new()
                        },
                        message:
                            "The deployment was stopped while this lifecycle event was running."
                                .to_owned(),
                        log_tail: String::new(),
                    });
                }
                EventStatus::Pending => {
                    record.status = EventStatus::Skipped;
                    record.plan = None;
                }
                _ => {}
            }
        }
        target.status = TargetStatus::Failed;
        target.last_updated_at = target.last_updated_at.max(at);
    }
}

/// Stops running deployment `deployment_id` at `now`, rolling it back as
/// `rollback` says. The caller has checked that it is running and advanced
/// the world to `now`.
pub fn stop(world: &mut World, deployment_id: &str, now: Timestamp, rollback: RollbackRequest) {
    let mut rollbacks = Vec::new();
    with_deployment(world, deployment_id, |world, deployment| {
        deployment.rollback_request = rollback;
        let installing = deployment.phase == Phase::Installing;
        cut_short(deployment, now);
        if installing && let Some(rollout) = deployment.rollout.as_mut() {
            rollout.stop();
        }
        finish(
            world,
            deployment,
            now,
            &Ending::Stopped(None),
            &mut rollbacks,
        );
    });
    for due in rollbacks {
        roll_back(world, &due);
    }
    refresh_next_due(world);
}

/// Reroutes traffic of a blue/green deployment waiting in `Ready`, now.
/// Returns whether it was waiting.
pub fn continue_ready(
    world: &mut World,
    deployment_id: &str,
    now: Timestamp,
    settings: &EngineSettings,
) -> bool {
    let continued = with_deployment(world, deployment_id, |world, deployment| {
        if matches!(deployment.phase, Phase::Ready { .. }) {
            begin_reroute(world, deployment, now, *settings);
            true
        } else {
            false
        }
    })
    .unwrap_or(false);
    refresh_next_due(world);
    continued
}

/// Ends the wait before terminating a blue/green deployment's original
/// instances: they are terminated now. Returns whether it was waiting.
pub fn end_termination_wait(world: &mut World, deployment_id: &str, now: Timestamp) -> bool {
    let mut rollbacks = Vec::new();
    let ended = with_deployment(world, deployment_id, |world, deployment| {
        if matches!(deployment.phase, Phase::Terminating { .. }) {
            terminate_originals(world, deployment, now);
            finish(world, deployment, now, &Ending::Succeeded, &mut rollbacks);
            true
        } else {
            false
        }
    })
    .unwrap_or(false);
    refresh_next_due(world);
    ended
}

/// Picks up after a restart at `now`: every running deployment's future is
/// moved later by the time the local cloud was not running, so it resumes
/// where it was instead of jumping ahead. Returns whether anything moved.
pub fn resume(world: &mut World, now: Timestamp) -> bool {
    let deployments = &mut world.codedeploy.deployments;
    let Some(before) = deployments.advanced_to else {
        return false;
    };
    let delta = now.as_millis().saturating_sub(before.as_millis());
    if delta <= 0 || deployments.active.is_empty() {
        return false;
    }
    let shift = |time: &mut Timestamp| {
        if *time > before {
            *time = time.plus_millis(delta);
        }
    };
    let active: Vec<String> = deployments.active.iter().cloned().collect();
    for id in active {
        let Some(deployment) = deployments.by_id.get_mut(&id) else {
            continue;
        };
        match &mut deployment.phase {
            Phase::Created { start_at } => shift(start_at),
            Phase::Ready { deadline } => shift(deadline),
            Phase::Terminating { at } => shift(at),
            Phase::Installing | Phase::Rerouting | Phase::Finished => {}
        }
        for target in &mut deployment.targets {
            if let Some(attempt) = &mut target.attempt {
                shift(&mut attempt.start);
                shift(&mut attempt.finish);
            }
            for plan in target
                .events
                .iter_mut()
                .filter_map(|record| record.plan.as_mut())
            {
                shift(&mut plan.start);
                shift(&mut plan.end);
            }
        }
    }
    deployments.advanced_to = Some(now);
    refresh_next_due(world);
    true
}

/// Prepares a world just read from disk to run at `now`: see [`resume`].
/// The time of the next change is worked out afresh either way.
pub fn prepare_loaded(world: &mut World, now: Timestamp) {
    if !resume(world, now) {
        refresh_next_due(world);
    }
}
