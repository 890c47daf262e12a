//! What the local cloud remembers about deployments: each deployment with
//! its targets, their lifecycle events, the rollout that schedules them and
//! the phase the deployment is in. It is saved with the world, so a
//! deployment that is running when the local cloud stops goes on when it
//! starts again.
//!
//! Enumerations travel with the API's spelling (`InProgress`, `Blue`, ...),
//! and the structures that the API returns as they are (`ErrorInformation`,
//! `RollbackInfo`, `Diagnostics`, `TargetInstances`) use its member names.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::shapes::{
    AutoRollbackConfiguration, BlueGreenDeploymentConfiguration, DeploymentStyle, Ec2TagSet,
    LoadBalancerInfo, RevisionLocation, TagFilter,
};
use crate::domain::health::{AttemptResult, Health};
use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::rollout::Rollout;
use crate::domain::traffic::TrafficRouting;
use crate::domain::{ComputePlatform, MinimumHealthyHosts};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::Table;

/// Every deployment, and which are still running.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deployments {
    /// Deployments by id.
    pub by_id: Table<String, Deployment>,
    /// The ids of deployments that have not finished.
    pub active: BTreeSet<String>,
    /// A counter that orders deployments by creation.
    pub sequence: u64,
    /// The time up to which the engine has advanced the deployments.
    pub advanced_to: Option<Timestamp>,
    /// When the engine next has something to do; `None` when nothing runs.
    pub next_due: Option<Timestamp>,
    /// The ids of the deployments to new Auto Scaling instances whose
    /// lifecycle action is still to be completed.
    pub holding: BTreeSet<String>,
    /// The ids of the deployments during which instances were scaled out,
    /// whose follow-up deployment to those instances is still to be made.
    pub outdated: BTreeSet<String>,
}

/// Defines an enumeration whose values travel as their own names.
macro_rules! api_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the API's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The value as the API spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                }
            }

            /// The value the API spells `text`, if there is one.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }

            /// Every value as the API spells it, for error messages.
            pub fn names() -> String {
                Self::ALL
                    .iter()
                    .map(|value| value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    };
}

api_enum!(
    /// A deployment's status.
    DeploymentStatus {
        /// Created and about to start.
        Created,
        /// Waiting for another deployment (not used by the local cloud).
        Queued,
        /// Running.
        InProgress,
        /// Blue/green: the new revision runs on the replacement instances
        /// while traffic has not been rerouted (not used on EC2).
        Baking,
        /// Finished and succeeded.
        Succeeded,
        /// Finished and failed.
        Failed,
        /// Stopped by a person or by a timeout.
        Stopped,
        /// Blue/green: waiting for `ContinueDeployment` to reroute traffic.
        Ready,
    }
);

impl DeploymentStatus {
    /// Whether the deployment has ended.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Stopped)
    }
}

api_enum!(
    /// A deployment target's (instance's) status.
    TargetStatus {
        /// Waiting for its turn.
        Pending,
        /// Being deployed to.
        InProgress,
        /// Deployed to.
        Succeeded,
        /// Its deployment failed.
        Failed,
        /// Not deployed to because the deployment ended first.
        Skipped,
        /// Not known.
        Unknown,
        /// Blue/green replacement with the revision installed, waiting for traffic.
        Ready,
    }
);

api_enum!(
    /// A lifecycle event's status.
    EventStatus {
        /// Not started.
        Pending,
        /// Running.
        InProgress,
        /// Finished well.
        Succeeded,
        /// Finished badly.
        Failed,
        /// Not run.
        Skipped,
        /// Not known.
        Unknown,
    }
);

api_enum!(
    /// Which environment of a blue/green deployment an instance is in.
    InstanceLabel {
        /// The original environment.
        Blue,
        /// The replacement environment.
        Green,
    }
);

/// Where a target instance lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetKind {
    /// An EC2 instance of the local cloud's registry.
    Ec2,
    /// A registered on-premises instance.
    OnPremises,
    /// An AWS Lambda function's alias.
    Lambda,
    /// An Amazon ECS service.
    Ecs,
}

/// `ErrorInformation`: why a deployment failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInformation {
    /// The error code, e.g. `HEALTH_CONSTRAINTS`.
    pub code: String,
    /// What happened.
    pub message: String,
}

/// `RollbackInfo`: how a deployment and its rollback are linked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackInfo {
    /// The deployment that rolls this one back.
    pub rollback_deployment_id: Option<String>,
    /// The deployment this one rolls back.
    pub rollback_triggering_deployment_id: Option<String>,
    /// What happened about the rollback.
    pub rollback_message: Option<String>,
}

/// `Diagnostics`: why a lifecycle event failed, as the agent reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    /// `ScriptFailed`, `ScriptTimedOut`, `UnknownError`, ...
    pub error_code: String,
    /// The script that ran, e.g. `scripts/after_install.sh`; empty when
    /// no script was involved.
    pub script_name: String,
    /// What happened.
    pub message: String,
    /// The last 4 KB of the script's log.
    pub log_tail: String,
}

/// `TargetInstances`: the replacement instances of a blue/green deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetInstances {
    /// EC2 tag filters; any may match.
    pub tag_filters: Option<Vec<TagFilter>>,
    /// Auto Scaling groups (the local cloud has none).
    pub auto_scaling_groups: Option<Vec<String>>,
    /// EC2 tag groups; an instance must match every group.
    pub ec2_tag_set: Option<Ec2TagSet>,
}

/// How one lifecycle event is going to go, decided when the deployment
/// reaches the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPlan {
    /// When it starts.
    pub start: Timestamp,
    /// When it ends.
    pub end: Timestamp,
    /// How it ends: `None` for success, or the diagnostics of its failure.
    pub failure: Option<Diagnostics>,
    /// Whether it is skipped instead of run (after an earlier failure).
    pub skipped: bool,
    /// The diagnostics of a success, for events that ran AppSpec scripts.
    #[serde(default)]
    pub success: Option<Diagnostics>,
}

/// One lifecycle event of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The event.
    pub event: LifecycleEvent,
    /// Its status.
    pub status: EventStatus,
    /// When it started, once it has.
    pub start_time: Option<Timestamp>,
    /// When it ended, once it has.
    pub end_time: Option<Timestamp>,
    /// Why it failed, once it has.
    pub diagnostics: Option<Diagnostics>,
    /// How it is going to go, once the deployment has reached the instance.
    pub plan: Option<EventPlan>,
}

impl EventRecord {
    /// An event that has not been planned.
    pub fn pending(event: LifecycleEvent) -> Self {
        Self {
            event,
            status: EventStatus::Pending,
            start_time: None,
            end_time: None,
            diagnostics: None,
            plan: None,
        }
    }
}

/// Why an instance's attempt failed, for the deployment's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureCause {
    /// A script failed or timed out, or an agent step failed.
    Event,
    /// No agent answered.
    NoAgent,
    /// The instance was stopped.
    InstanceStopped,
    /// A load balancer or target group the deployment names does not
    /// exist.
    LoadBalancer,
}

/// A piece of work planned on one target: its install events, or its
/// traffic events in a blue/green reroute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptPlan {
    /// When the first event starts.
    pub start: Timestamp,
    /// When the last event ends (or the failing one).
    pub finish: Timestamp,
    /// The result, as the rollout counts it.
    pub result: AttemptResult,
    /// Why it failed, if it did.
    pub cause: Option<FailureCause>,
    /// The target's status once the work is done.
    pub status_after: TargetStatus,
    /// Whether the work runs for real on a local instance: it then
    /// finishes when the run has ended, not at `finish`.
    #[serde(default)]
    pub local: bool,
}

/// One target (instance) of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRecord {
    /// The instance id, or the on-premises instance's name.
    pub target_id: String,
    /// The instance's ARN.
    pub target_arn: String,
    /// EC2 or on-premises.
    pub kind: TargetKind,
    /// `Blue` or `Green` in a blue/green deployment.
    pub label: Option<InstanceLabel>,
    /// Its status.
    pub status: TargetStatus,
    /// When its status or an event last changed.
    pub last_updated_at: Timestamp,
    /// Its lifecycle events, in order.
    pub events: Vec<EventRecord>,
    /// Its place in the rollout, for the instances the rollout schedules.
    pub rollout_index: Option<usize>,
    /// The work planned on it that has not been seen through yet.
    pub attempt: Option<AttemptPlan>,
    /// Why its attempt failed, once it has.
    pub failure_cause: Option<FailureCause>,
}

/// Where a deployment is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Created; starts at the given time.
    Created {
        /// When it starts.
        start_at: Timestamp,
    },
    /// Blue/green: started, waiting for the instances of the Auto Scaling
    /// group copied for the replacement fleet to be in service.
    Provisioning {
        /// When to look at the copy's instances next.
        poll_at: Timestamp,
    },
    /// Installing the revision, wave by wave.
    Installing,
    /// Blue/green: installed, waiting for `ContinueDeployment`.
    Ready {
        /// When the wait runs out and the deployment is stopped.
        deadline: Timestamp,
    },
    /// Blue/green: traffic is being rerouted.
    Rerouting,
    /// Blue/green: waiting to terminate the original instances.
    Terminating {
        /// When they are terminated.
        at: Timestamp,
    },
    /// Lambda or ECS: moving through the lifecycle events of its one
    /// target (see [`Shift`]).
    Shifting,
    /// Ended.
    Finished,
}

/// A rollback that a finished deployment asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RollbackRequest {
    /// Roll back if the effective automatic rollback configuration says so
    /// for this ending.
    AsConfigured,
    /// Roll back (`StopDeployment` with `autoRollbackEnabled` true).
    Always,
    /// Do not roll back (`StopDeployment` with `autoRollbackEnabled` false).
    Never,
}

/// A deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Its id, `d-` and nine letters or digits.
    pub deployment_id: String,
    /// Its place in creation order.
    pub sequence: u64,
    /// The region it was created in, for ARNs.
    pub region: String,
    /// The application.
    pub application_name: String,
    /// The deployment group's name when the deployment was created.
    pub deployment_group_name: String,
    /// The deployment group's id, which survives a rename.
    pub deployment_group_id: String,
    /// The deployment configuration.
    pub deployment_config_name: String,
    /// The configuration's minimum healthy hosts.
    pub minimum_healthy_hosts: MinimumHealthyHosts,
    /// The revision deployed.
    pub revision: RevisionLocation,
    /// The group's revision before this deployment.
    pub previous_revision: Option<RevisionLocation>,
    /// Its status.
    pub status: DeploymentStatus,
    /// Why it failed, if it did.
    pub error_information: Option<ErrorInformation>,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it started.
    pub start_time: Option<Timestamp>,
    /// When it ended.
    pub complete_time: Option<Timestamp>,
    /// Its description.
    pub description: Option<String>,
    /// `user`, `codeDeployRollback`, `autoscaling` or `CodeDeployAutoUpdate`.
    pub creator: String,
    /// Whether failures of `ApplicationStop`, `BeforeBlockTraffic` and
    /// `AfterBlockTraffic` are ignored.
    pub ignore_application_stop_failures: bool,
    /// Whether only outdated instances are deployed to (stored, not acted on).
    pub update_outdated_instances_only: bool,
    /// `DISALLOW`, `OVERWRITE` or `RETAIN`.
    pub file_exists_behavior: Option<String>,
    /// The automatic rollback configuration in force: the deployment's own
    /// or its group's.
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    /// How it is linked to a rollback.
    pub rollback_info: Option<RollbackInfo>,
    /// In-place or blue/green.
    pub deployment_style: DeploymentStyle,
    /// Blue/green: the replacement instances asked for.
    pub target_instances: Option<TargetInstances>,
    /// Blue/green options.
    pub blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    /// The group's load balancers.
    pub load_balancer_info: Option<LoadBalancerInfo>,
    /// Whether the wait before terminating the original instances started.
    pub instance_termination_wait_time_started: bool,
    /// Its targets, in target id order (blue/green: original and replacement).
    pub targets: Vec<TargetRecord>,
    /// The rollout over the instances it installs on: every target in
    /// place, the replacement instances in blue/green. `None` when there
    /// are no instances.
    pub rollout: Option<Rollout>,
    /// For each rollout index, the target's index in `targets`.
    pub rollout_targets: Vec<usize>,
    /// For each rollout index, the instance's health when the deployment
    /// was created.
    pub initial_health: Vec<Health>,
    /// The targets with work in progress.
    pub in_flight: Vec<usize>,
    /// Where it is in its life.
    pub phase: Phase,
    /// Whether to roll back when it ends badly.
    pub rollback_request: RollbackRequest,
    /// What its revision's bundle makes the instances do.
    #[serde(default)]
    pub content: RevisionContent,
    /// For a deployment Auto Scaling's launch hook asked for: the launch
    /// it holds.
    #[serde(default)]
    pub launch: Option<LaunchHold>,
    /// The instances scaled out while it ran, which got an older revision
    /// (or none) and are brought up to date after it succeeds.
    #[serde(default)]
    pub outdated_instances: Vec<String>,
    /// How it is linked to its `auto-update outdated instances`
    /// deployments.
    #[serde(default)]
    pub related_deployments: Option<RelatedDeployments>,
    /// Blue/green with `COPY_AUTO_SCALING_GROUP`: the Auto Scaling group
    /// copied for the replacement fleet, and the group it copies.
    #[serde(default)]
    pub copied_fleet: Option<CopiedFleet>,
    /// A Lambda or ECS deployment: what its traffic moves between and how
    /// far it has come.
    #[serde(default)]
    pub shift: Option<Shift>,
}

/// A Lambda or ECS deployment's own state. Its one target's lifecycle
/// events run in order; `step` is the event running or next to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    /// How production traffic moves, from the deployment configuration.
    pub routing: TrafficRouting,
    /// What moves: an alias's versions or an ECS service's task sets.
    pub kind: ShiftKind,
    /// The Lambda function each hooked event invokes.
    pub hooks: Vec<(LifecycleEvent, String)>,
    /// A rollback: traffic moves back at once and no hooks run.
    pub rollback: bool,
    /// The index in the target's events of the event running or next.
    pub step: usize,
    /// When the event at `step` started, or the one before it ended.
    pub cursor: Timestamp,
    /// When `AllowTraffic` started, which the schedule counts from.
    pub traffic_started: Option<Timestamp>,
    /// The share of production traffic, in percent, on the new version or
    /// the replacement task set.
    pub weight: f64,
    /// Every hook execution issued, the open one last.
    pub executions: Vec<HookExecution>,
    /// ECS: `ContinueDeployment` has let traffic be rerouted.
    pub continued: bool,
    /// When the engine next needs to look at the deployment.
    pub next_at: Option<Timestamp>,
}

impl Shift {
    /// The hook function of `event`, if the AppSpec names one.
    pub fn hook(&self, event: LifecycleEvent) -> Option<&str> {
        self.hooks
            .iter()
            .find(|(hooked, _)| *hooked == event)
            .map(|(_, function)| function.as_str())
    }

    /// Closes every hook execution, as its deployment has ended: a status
    /// reported for one now is refused.
    pub fn close_executions(&mut self) {
        for execution in &mut self.executions {
            execution.open = false;
        }
        self.next_at = None;
    }

    /// The shift of the rollback of a deployment that shifted as this one:
    /// traffic moves back to where it was, at once and without hooks, and
    /// the replacement is removed.
    #[must_use]
    pub fn reversed(&self) -> Self {
        let kind = match &self.kind {
            ShiftKind::Lambda(lambda) => ShiftKind::Lambda(LambdaShift {
                function: lambda.function.clone(),
                alias: lambda.alias.clone(),
                current_version: lambda.target_version.clone(),
                target_version: lambda.current_version.clone(),
            }),
            ShiftKind::Ecs(ecs) => ShiftKind::Ecs(Box::new(EcsShift {
                blue: ecs.green.clone(),
                green: ecs.blue.clone(),
                blue_target_group: ecs.green_target_group.clone(),
                green_target_group: ecs.blue_target_group.clone(),
                ready_wait_minutes: None,
                termination_wait_minutes: 0,
                ..ecs.as_ref().clone()
            })),
        };
        Self {
            routing: TrafficRouting::AllAtOnce,
            kind,
            hooks: Vec::new(),
            rollback: true,
            step: 0,
            cursor: self.cursor,
            traffic_started: None,
            weight: 100.0 - self.weight,
            executions: Vec::new(),
            continued: true,
            next_at: None,
        }
    }

    /// Every time it keeps, to move after a restart.
    pub fn times_mut(&mut self) -> Vec<&mut Timestamp> {
        let mut times = vec![&mut self.cursor];
        times.extend(self.traffic_started.as_mut());
        times.extend(self.next_at.as_mut());
        for execution in &mut self.executions {
            times.push(&mut execution.issued);
            times.push(&mut execution.deadline);
            times.extend(execution.answer.as_mut().map(|answer| &mut answer.at));
        }
        times
    }
}

/// What a Lambda or ECS deployment moves traffic between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShiftKind {
    /// A Lambda function's alias, from one version to another.
    Lambda(LambdaShift),
    /// An ECS service, from its task set to a replacement.
    Ecs(Box<EcsShift>),
}

/// `LambdaFunctionInfo`: the alias a Lambda deployment moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LambdaShift {
    /// The function's name.
    pub function: String,
    /// The alias.
    pub alias: String,
    /// The version it pointed at.
    pub current_version: String,
    /// The version it moves to.
    pub target_version: String,
}

/// The service an ECS deployment moves, and its two task sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsShift {
    /// The cluster's name.
    pub cluster: String,
    /// The service's name.
    pub service: String,
    /// The replacement's task definition ARN.
    pub task_definition: String,
    /// The container that takes the load balancer's traffic.
    pub container_name: String,
    /// Its port.
    pub container_port: u16,
    /// The name of the original task set's target group.
    pub blue_target_group: String,
    /// The name of the replacement's target group.
    pub green_target_group: String,
    /// The production listeners' ARNs.
    pub prod_listeners: Vec<String>,
    /// The test listeners' ARNs.
    pub test_listeners: Vec<String>,
    /// Minutes to wait in `Ready` for `ContinueDeployment`, when the
    /// deployment waits.
    pub ready_wait_minutes: Option<i64>,
    /// Minutes to keep the original task set after success.
    pub termination_wait_minutes: i64,
    /// The original task set.
    pub blue: Option<TaskSetInfo>,
    /// The replacement task set, once created.
    pub green: Option<TaskSetInfo>,
}

/// `ECSTaskSet`: one task set of an ECS deployment, as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSetInfo {
    /// Its id, `ecs-svc/...`.
    pub id: String,
    /// Tasks it should run.
    pub desired: i64,
    /// Tasks starting.
    pub pending: i64,
    /// Tasks running.
    pub running: i64,
    /// `PRIMARY`, `ACTIVE` or `DRAINING`.
    pub status: String,
    /// Its share of production traffic, in percent.
    pub traffic_weight: f64,
    /// Its target group's name.
    pub target_group: String,
}

/// One invocation of a hook function, waiting for
/// `PutLifecycleEventHookExecutionStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookExecution {
    /// The id passed to the function.
    pub id: String,
    /// The event it is for.
    pub event: LifecycleEvent,
    /// The function.
    pub function: String,
    /// When it was invoked.
    pub issued: Timestamp,
    /// When the wait runs out.
    pub deadline: Timestamp,
    /// The status reported and when, once one is.
    pub answer: Option<HookAnswer>,
    /// Whether its event is still waiting for it.
    pub open: bool,
}

/// A status reported for a hook execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookAnswer {
    /// When it counts.
    pub at: Timestamp,
    /// `Succeeded` or `Failed`.
    pub status: EventStatus,
}

/// The launch of an instance into an Auto Scaling group, held at
/// CodeDeploy's lifecycle hook while a deployment installs on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchHold {
    /// The Auto Scaling group.
    pub group: String,
    /// The instance.
    pub instance_id: String,
    /// The lifecycle action's token.
    pub token: String,
    /// When the action began.
    pub since: Timestamp,
}

/// `RelatedDeployments`: a deployment and the `auto-update outdated
/// instances` deployments it started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedDeployments {
    /// The deployment that started this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_update_outdated_instances_root_deployment_id: Option<String>,
    /// The deployments this one started.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub auto_update_outdated_instances_deployment_ids: Vec<String>,
}

/// The Auto Scaling group a blue/green deployment copied for its
/// replacement fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopiedFleet {
    /// The deployment group's Auto Scaling group that was copied.
    pub source: String,
    /// The copy, `CodeDeploy_<deployment group>_<deployment id>`.
    pub copy: String,
}

/// What a deployment's revision makes its instances do, worked out from
/// the bundle in the local S3 when the deployment is created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RevisionContent {
    /// Not looked into (a GitHub revision): every scriptable event runs
    /// the sample application's script for it.
    #[default]
    Unchecked,
    /// The bundle cannot be downloaded or unpacked: `DownloadBundle` fails
    /// on every instance with this message.
    DownloadFails(String),
    /// The bundle has no valid AppSpec: `BeforeInstall`, the first event
    /// that reads it, fails on every instance with this message.
    AppSpecFails(String),
    /// The scripts of each event that has a hook; the other events finish
    /// at once.
    Hooks(BTreeMap<LifecycleEvent, Vec<HookRun>>),
}

/// One AppSpec hook script, as a deployment runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRun {
    /// Its location in the revision.
    pub location: String,
    /// Its timeout in seconds.
    pub timeout_seconds: u32,
    /// The agent's message when the bundle has no file at its location.
    pub missing: Option<String>,
}

impl Deployment {
    /// The bucket and key of the revision's bundle, when it is in S3.
    pub fn bundle(&self) -> Option<(&str, &str)> {
        let location = self.revision.s3_location.as_ref()?;
        Some((location.bucket.as_deref()?, location.key.as_deref()?))
    }

    /// The compute platform: Lambda or ECS for a deployment that shifts
    /// traffic, Server otherwise.
    pub fn compute_platform(&self) -> ComputePlatform {
        match self.shift.as_ref().map(|shift| &shift.kind) {
            Some(ShiftKind::Lambda(_)) => ComputePlatform::Lambda,
            Some(ShiftKind::Ecs(_)) => ComputePlatform::Ecs,
            None => ComputePlatform::Server,
        }
    }

    /// Whether this is a blue/green deployment.
    pub fn is_blue_green(&self) -> bool {
        self.deployment_style.deployment_type.as_deref() == Some("BLUE_GREEN")
    }

    /// The number of targets in each status.
    pub fn count(&self, status: TargetStatus) -> usize {
        self.targets
            .iter()
            .filter(|target| target.status == status)
            .count()
    }

    /// The target `target_id`, if the deployment has it.
    pub fn target(&self, target_id: &str) -> Option<&TargetRecord> {
        self.targets
            .binary_search_by(|target| target.target_id.as_str().cmp(target_id))
            .ok()
            .and_then(|index| self.targets.get(index))
    }
}

/// `LastDeploymentInfo`: a group's last attempted or successful deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastDeploymentInfo {
    /// The deployment's id.
    pub deployment_id: String,
    /// Its status when this was recorded.
    pub status: DeploymentStatus,
    /// When it ended, if it has.
    pub end_time: Option<Timestamp>,
    /// When it was created.
    pub create_time: Timestamp,
}

impl LastDeploymentInfo {
    /// The record of `deployment` as it stands.
    pub fn of(deployment: &Deployment) -> Self {
        Self {
            deployment_id: deployment.deployment_id.clone(),
            status: deployment.status,
            end_time: deployment.complete_time,
            create_time: deployment.create_time,
        }
    }
}
