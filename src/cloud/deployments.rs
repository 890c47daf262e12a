//! Deployment operations: listing, reading, reading targets, stopping,
//! continuing and redeploying, as small async functions returning our own
//! types.

use std::time::{Duration, SystemTime};

use aws_sdk_codedeploy::types as cd;

use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use super::to_system_time;
use crate::domain::ComputePlatform;

/// The most ids `BatchGetDeployments` and `BatchGetDeploymentTargets` take.
pub const TARGET_BATCH_LIMIT: usize = 25;

/// A deployment's status as AWS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentStatus {
    /// Created, not yet queued.
    Created,
    /// Waiting for another deployment of the group.
    Queued,
    /// Running.
    InProgress,
    /// Blue/green: waiting for traffic to be rerouted.
    Ready,
    /// Finished successfully.
    Succeeded,
    /// Finished with a failure.
    Failed,
    /// Stopped by someone.
    Stopped,
    /// Blue/green: rerouting traffic was started by hand (AWS's Baking).
    Baking,
    /// A status this version does not know.
    Unknown,
}

impl DeploymentStatus {
    fn from_sdk(status: Option<&cd::DeploymentStatus>) -> Self {
        match status {
            Some(cd::DeploymentStatus::Created) => Self::Created,
            Some(cd::DeploymentStatus::Queued) => Self::Queued,
            Some(cd::DeploymentStatus::InProgress) => Self::InProgress,
            Some(cd::DeploymentStatus::Ready) => Self::Ready,
            Some(cd::DeploymentStatus::Succeeded) => Self::Succeeded,
            Some(cd::DeploymentStatus::Failed) => Self::Failed,
            Some(cd::DeploymentStatus::Stopped) => Self::Stopped,
            Some(cd::DeploymentStatus::Baking) => Self::Baking,
            _ => Self::Unknown,
        }
    }

    /// The status as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "Created",
            Self::Queued => "Queued",
            Self::InProgress => "InProgress",
            Self::Ready => "Ready",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
            Self::Baking => "Baking",
            Self::Unknown => "Unknown",
        }
    }

    /// Whether the deployment has ended.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Stopped)
    }
}

/// The counts of a deployment's targets by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Overview {
    /// Waiting.
    pub pending: i64,
    /// Being deployed to.
    pub in_progress: i64,
    /// Done.
    pub succeeded: i64,
    /// Failed.
    pub failed: i64,
    /// Not attempted.
    pub skipped: i64,
    /// Blue/green replacement instances ready for traffic.
    pub ready: i64,
}

impl Overview {
    /// All targets counted.
    pub fn total(&self) -> i64 {
        self.pending + self.in_progress + self.succeeded + self.failed + self.skipped + self.ready
    }
}

/// Where a revision lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revision {
    /// A bundle in S3.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The bundle type (`zip`, `tar`, `tgz`).
        bundle_type: Option<String>,
        /// The object version.
        version: Option<String>,
        /// The object's `ETag`.
        etag: Option<String>,
    },
    /// A commit on GitHub.
    GitHub {
        /// `owner/repository`.
        repository: String,
        /// The full commit id.
        commit_id: String,
    },
    /// A Lambda or ECS deployment's AppSpec, given inline
    /// (`AppSpecContent`).
    AppSpec {
        /// The AppSpec's text, YAML or JSON.
        content: String,
    },
    /// Something else (an AppSpec string, ...).
    Other(String),
}

impl Revision {
    /// A short description, e.g. `s3://bucket/key`.
    pub fn describe(&self) -> String {
        match self {
            Self::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
            Self::GitHub {
                repository,
                commit_id,
            } => format!(
                "{repository}@{}",
                commit_id.chars().take(10).collect::<String>()
            ),
            Self::AppSpec { .. } => "AppSpec (inline)".to_owned(),
            Self::Other(kind) => kind.clone(),
        }
    }

    pub(crate) fn from_sdk(location: &cd::RevisionLocation) -> Self {
        if let Some(s3) = location.s3_location() {
            return Self::S3 {
                bucket: s3.bucket().unwrap_or_default().to_owned(),
                key: s3.key().unwrap_or_default().to_owned(),
                bundle_type: s3.bundle_type().map(|kind| kind.as_str().to_owned()),
                version: s3.version().map(str::to_owned),
                etag: s3.e_tag().map(str::to_owned),
            };
        }
        if let Some(github) = location.git_hub_location() {
            return Self::GitHub {
                repository: github.repository().unwrap_or_default().to_owned(),
                commit_id: github.commit_id().unwrap_or_default().to_owned(),
            };
        }
        if let Some(content) = location
            .app_spec_content()
            .and_then(cd::AppSpecContent::content)
        {
            return Self::AppSpec {
                content: content.to_owned(),
            };
        }
        Self::Other(
            location
                .revision_type()
                .map_or_else(|| "unknown".to_owned(), |kind| kind.as_str().to_owned()),
        )
    }

    pub(crate) fn to_sdk(&self) -> Option<cd::RevisionLocation> {
        match self {
            Self::S3 {
                bucket,
                key,
                bundle_type,
                version,
                etag,
            } => {
                let mut s3 = cd::S3Location::builder().bucket(bucket).key(key);
                if let Some(bundle_type) = bundle_type {
                    s3 = s3.bundle_type(cd::BundleType::from(bundle_type.as_str()));
                }
                if let Some(version) = version {
                    s3 = s3.version(version);
                }
                if let Some(etag) = etag {
                    s3 = s3.e_tag(etag);
                }
                Some(
                    cd::RevisionLocation::builder()
                        .revision_type(cd::RevisionLocationType::S3)
                        .s3_location(s3.build())
                        .build(),
                )
            }
            Self::GitHub {
                repository,
                commit_id,
            } => Some(
                cd::RevisionLocation::builder()
                    .revision_type(cd::RevisionLocationType::GitHub)
                    .git_hub_location(
                        cd::GitHubLocation::builder()
                            .repository(repository)
                            .commit_id(commit_id)
                            .build(),
                    )
                    .build(),
            ),
            Self::AppSpec { content } => {
                use sha2::Digest as _;
                let sha256 = hex::encode(sha2::Sha256::digest(content.as_bytes()));
                Some(
                    cd::RevisionLocation::builder()
                        .revision_type(cd::RevisionLocationType::AppSpecContent)
                        .app_spec_content(
                            cd::AppSpecContent::builder()
                                .content(content)
                                .sha256(sha256)
                                .build(),
                        )
                        .build(),
                )
            }
            Self::Other(_) => None,
        }
    }
}

/// A deployment as the deployments list and the rollout header show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The deployment id.
    pub id: String,
    /// The application.
    pub application: String,
    /// The deployment group.
    pub group: String,
    /// The deployment configuration.
    pub config: String,
    /// The status.
    pub status: DeploymentStatus,
    /// The revision deployed.
    pub revision: Option<Revision>,
    /// Who or what started it (`user`, `autoscaling`, `codeDeployRollback`, ...).
    pub creator: String,
    /// The description given when it was created.
    pub description: Option<String>,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// When it started.
    pub started: Option<SystemTime>,
    /// When it ended.
    pub completed: Option<SystemTime>,
    /// The counts of its targets.
    pub overview: Overview,
    /// On failure: AWS's error code and message.
    pub error: Option<(String, String)>,
    /// Whether it is a blue/green deployment.
    pub blue_green: bool,
    /// For blue/green: what happens to the original instances after the
    /// reroute.
    pub termination: Option<BlueTermination>,
    /// The load balancers its traffic goes through, in words
    /// ("target group web-tg", "load balancer web-elb"); empty without
    /// traffic control.
    pub load_balancers: Vec<String>,
    /// How it is linked to a rollback (CodeDeploy's `rollbackInfo`): the
    /// deployment that rolled it back, or the one it rolls back.
    pub rollback: Option<RollbackInfo>,
    /// Server, Lambda or ECS.
    pub platform: ComputePlatform,
}

/// What a blue/green deployment does with its original instances once
/// traffic is rerouted, as its configuration says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlueTermination {
    /// Whether they are terminated (rather than kept).
    pub terminate: bool,
    /// How long after the reroute, in minutes.
    pub wait_minutes: u32,
    /// Whether that wait has begun: traffic is rerouted.
    pub wait_started: bool,
}

/// How a deployment and its rollback are linked, as CodeDeploy's
/// `rollbackInfo` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollbackInfo {
    /// The deployment that rolls this one back.
    pub rolled_back_by: Option<String>,
    /// The deployment this one rolls back.
    pub rolls_back: Option<String>,
    /// What CodeDeploy says about the rollback, e.g. why there was none.
    pub message: Option<String>,
}

impl Deployment {
    /// The deployment that rolls this one back, if one was started.
    pub fn rolled_back_by(&self) -> Option<&str> {
        self.rollback.as_ref()?.rolled_back_by.as_deref()
    }

    /// The deployment this one rolls back, if it is a rollback.
    pub fn rolls_back(&self) -> Option<&str> {
        self.rollback.as_ref()?.rolls_back.as_deref()
    }

    /// How long it ran, or has been running as of `now`.
    pub fn duration(&self, now: SystemTime) -> Option<Duration> {
        let start = self.started.or(self.created)?;
        self.completed.unwrap_or(now).duration_since(start).ok()
    }

    pub(crate) fn from_sdk(info: &cd::DeploymentInfo) -> Self {
        let overview = info
            .deployment_overview()
            .map_or_else(Overview::default, |overview| Overview {
                pending: overview.pending(),
                in_progress: overview.in_progress(),
                succeeded: overview.succeeded(),
                failed: overview.failed(),
                skipped: overview.skipped(),
                ready: overview.ready(),
            });
        let rollback = info.rollback_info().map(|rollback| {
            let text =
                |value: Option<&str>| value.filter(|value| !value.is_empty()).map(str::to_owned);
            RollbackInfo {
                rolled_back_by: text(rollback.rollback_deployment_id()),
                rolls_back: text(rollback.rollback_triggering_deployment_id()),
                message: text(rollback.rollback_message()),
            }
        });
        Self {
            id: info.deployment_id().unwrap_or_default().to_owned(),
            application: info.application_name().unwrap_or_default().to_owned(),
            group: info.deployment_group_name().unwrap_or_default().to_owned(),
            config: info.deployment_config_name().unwrap_or_default().to_owned(),
            status: DeploymentStatus::from_sdk(info.status()),
            revision: info.revision().map(Revision::from_sdk),
            creator: info
                .creator()
                .map_or_else(|| "user".to_owned(), |creator| creator.as_str().to_owned()),
            description: info.description().map(str::to_owned),
            created: to_system_time(info.create_time()),
            started: to_system_time(info.start_time()),
            completed: to_system_time(info.complete_time()),
            overview,
            error: info.error_information().map(|error| {
                (
                    error
                        .code()
                        .map(|code| code.as_str().to_owned())
                        .unwrap_or_default(),
                    error.message().unwrap_or_default().to_owned(),
                )
            }),
            blue_green: info
                .deployment_style()
                .and_then(cd::DeploymentStyle::deployment_type)
                == Some(&cd::DeploymentType::BlueGreen),
            termination: info
                .blue_green_deployment_configuration()
                .and_then(cd::BlueGreenDeploymentConfiguration::terminate_blue_instances_on_deployment_success)
                .map(|option| BlueTermination {
                    terminate: option.action() == Some(&cd::InstanceAction::Terminate),
                    wait_minutes: u32::try_from(option.termination_wait_time_in_minutes())
                        .unwrap_or(0),
                    wait_started: info.instance_termination_wait_time_started(),
                }),
            load_balancers: if info
                .deployment_style()
                .and_then(cd::DeploymentStyle::deployment_option)
                == Some(&cd::DeploymentOption::WithTrafficControl)
            {
                load_balancer_words(info.load_balancer_info())
            } else {
                Vec::new()
            },
            rollback,
            platform: match info.compute_platform() {
                Some(cd::ComputePlatform::Lambda) => ComputePlatform::Lambda,
                Some(cd::ComputePlatform::Ecs) => ComputePlatform::Ecs,
                _ => ComputePlatform::Server,
            },
        }
    }
}

/// The target groups and classic load balancers of `info`, in words.
pub fn load_balancer_words(info: Option<&cd::LoadBalancerInfo>) -> Vec<String> {
    let Some(info) = info else {
        return Vec::new();
    };
    let target_groups = info
        .target_group_info_list()
        .iter()
        .filter_map(|group| group.name().map(|name| format!("target group {name}")));
    let classic = info
        .elb_info_list()
        .iter()
        .filter_map(|elb| elb.name().map(|name| format!("load balancer {name}")));
    target_groups.chain(classic).collect()
}

/// A target's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetStatus {
    /// Waiting.
    Pending,
    /// Being deployed to.
    InProgress,
    /// Blue/green replacement ready for traffic.
    Ready,
    /// Done.
    Succeeded,
    /// Failed.
    Failed,
    /// Not attempted.
    Skipped,
    /// Unknown.
    Unknown,
}

impl TargetStatus {
    fn from_sdk(status: Option<&cd::TargetStatus>) -> Self {
        match status {
            Some(cd::TargetStatus::Pending) => Self::Pending,
            Some(cd::TargetStatus::InProgress) => Self::InProgress,
            Some(cd::TargetStatus::Ready) => Self::Ready,
            Some(cd::TargetStatus::Succeeded) => Self::Succeeded,
            Some(cd::TargetStatus::Failed) => Self::Failed,
            Some(cd::TargetStatus::Skipped) => Self::Skipped,
            _ => Self::Unknown,
        }
    }

    /// Whether the target will not change any more.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Skipped)
    }

    /// The status as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in progress",
            Self::Ready => "ready",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Unknown => "unknown",
        }
    }
}

/// What went wrong in a lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics {
    /// AWS's error code (`ScriptFailed`, `ScriptTimedOut`, ...).
    pub error_code: String,
    /// The script that failed.
    pub script_name: String,
    /// The message.
    pub message: String,
    /// The last lines of the script's log.
    pub log_tail: String,
}

/// One lifecycle event of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    /// The event's name.
    pub name: String,
    /// Its status (`Pending`, `InProgress`, `Succeeded`, `Failed`, `Skipped`, `Unknown`).
    pub status: String,
    /// When it started.
    pub started: Option<SystemTime>,
    /// When it ended.
    pub ended: Option<SystemTime>,
    /// Diagnostics of a failed event.
    pub diagnostics: Option<Diagnostics>,
}

/// A deployment target as the live view shows it: an instance, or the
/// alias or service of a Lambda or ECS deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target id (the instance id or on-premises name; `function:alias`
    /// or `cluster:service`).
    pub id: String,
    /// Its status.
    pub status: TargetStatus,
    /// `Blue` or `Green` in a blue/green deployment.
    pub label: Option<String>,
    /// When it last changed.
    pub last_updated: Option<SystemTime>,
    /// Its lifecycle events.
    pub events: Vec<EventInfo>,
    /// Where a Lambda or ECS target's traffic goes; `None` for instances.
    pub traffic: Option<Traffic>,
}

/// Where the traffic of a Lambda or ECS deployment's target goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Traffic {
    /// A Lambda function's alias moving between two versions.
    Lambda {
        /// The function.
        function: String,
        /// The alias.
        alias: String,
        /// The version it pointed at.
        current_version: String,
        /// The version it moves to.
        target_version: String,
        /// The share of invocations on the target version, in percent.
        target_percent: f64,
    },
    /// An ECS service's original (Blue) and replacement (Green) task sets.
    Ecs {
        /// The task sets, Blue first.
        task_sets: Vec<TaskSetView>,
    },
}

/// One task set of an ECS deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSetView {
    /// `Blue` (original) or `Green` (replacement).
    pub label: String,
    /// Its id.
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
    pub traffic_percent: f64,
    /// Its target group.
    pub target_group: String,
}

impl Traffic {
    /// The share of production traffic on the new version or replacement
    /// task set, in percent.
    pub fn replacement_percent(&self) -> f64 {
        match self {
            Self::Lambda { target_percent, .. } => *target_percent,
            Self::Ecs { task_sets } => task_sets
                .iter()
                .find(|set| set.label == "Green")
                .map_or(0.0, |set| set.traffic_percent),
        }
    }

    /// What the original and the replacement are called: versions of an
    /// alias, or task sets.
    pub fn names(&self) -> (String, String) {
        match self {
            Self::Lambda {
                current_version,
                target_version,
                ..
            } => (
                format!("version {current_version}"),
                format!("version {target_version}"),
            ),
            Self::Ecs { .. } => (
                "original task set".to_owned(),
                "replacement task set".to_owned(),
            ),
        }
    }

    /// The names as a sentence says them: "version 2", "the replacement
    /// task set".
    pub fn spoken_names(&self) -> (String, String) {
        let (original, replacement) = self.names();
        match self {
            Self::Lambda { .. } => (original, replacement),
            Self::Ecs { .. } => (format!("the {original}"), format!("the {replacement}")),
        }
    }
}

impl Target {
    /// The event running now, or the first that failed.
    pub fn current_event(&self) -> Option<&EventInfo> {
        self.events
            .iter()
            .find(|event| event.status == "InProgress" || event.status == "Failed")
    }

    /// How far through its lifecycle the target is, 0–1.
    pub fn progress(&self) -> f32 {
        if self.events.is_empty() {
            return 0.0;
        }
        let done = self
            .events
            .iter()
            .filter(|event| event.status == "Succeeded" || event.status == "Skipped")
            .count();
        done as f32 / self.events.len() as f32
    }

    pub(crate) fn from_sdk(target: &cd::DeploymentTarget) -> Option<Self> {
        if let Some(instance) = target.instance_target() {
            return Some(Self {
                id: instance.target_id().unwrap_or_default().to_owned(),
                status: TargetStatus::from_sdk(instance.status()),
                label: instance
                    .instance_label()
                    .map(|label| label.as_str().to_owned()),
                last_updated: to_system_time(instance.last_updated_at()),
                events: events_from_sdk(instance.lifecycle_events()),
                traffic: None,
            });
        }
        if let Some(lambda) = target.lambda_target() {
            let info = lambda.lambda_function_info();
            let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
            return Some(Self {
                id: text(lambda.target_id()),
                status: TargetStatus::from_sdk(lambda.status()),
                label: None,
                last_updated: to_system_time(lambda.last_updated_at()),
                events: events_from_sdk(lambda.lifecycle_events()),
                traffic: Some(Traffic::Lambda {
                    function: text(info.and_then(cd::LambdaFunctionInfo::function_name)),
                    alias: text(info.and_then(cd::LambdaFunctionInfo::function_alias)),
                    current_version: text(info.and_then(cd::LambdaFunctionInfo::current_version)),
                    target_version: text(info.and_then(cd::LambdaFunctionInfo::target_version)),
                    target_percent: info.map_or(0.0, |info| info.target_version_weight() * 100.0),
                }),
            });
        }
        let ecs = target.ecs_target()?;
        Some(Self {
            id: ecs.target_id().unwrap_or_default().to_owned(),
            status: TargetStatus::from_sdk(ecs.status()),
            label: None,
            last_updated: to_system_time(ecs.last_updated_at()),
            events: events_from_sdk(ecs.lifecycle_events()),
            traffic: Some(Traffic::Ecs {
                task_sets: ecs
                    .task_sets_info()
                    .iter()
                    .map(|set| TaskSetView {
                        label: set
                            .task_set_label()
                            .map(|label| label.as_str().to_owned())
                            .unwrap_or_default(),
                        id: set.identifer().unwrap_or_default().to_owned(),
                        desired: set.desired_count(),
                        pending: set.pending_count(),
                        running: set.running_count(),
                        status: set.status().unwrap_or_default().to_owned(),
                        traffic_percent: set.traffic_weight(),
                        target_group: set
                            .target_group()
                            .and_then(cd::TargetGroupInfo::name)
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect(),
            }),
        })
    }
}

/// Lifecycle events as the SDK returns them, as the live view shows them.
fn events_from_sdk(events: &[cd::LifecycleEvent]) -> Vec<EventInfo> {
    events
        .iter()
        .map(|event| EventInfo {
            name: event.lifecycle_event_name().unwrap_or_default().to_owned(),
            status: event
                .status()
                .map_or_else(|| "Unknown".to_owned(), |status| status.as_str().to_owned()),
            started: to_system_time(event.start_time()),
            ended: to_system_time(event.end_time()),
            diagnostics: event.diagnostics().map(|diagnostics| Diagnostics {
                error_code: diagnostics
                    .error_code()
                    .map(|code| code.as_str().to_owned())
                    .unwrap_or_default(),
                script_name: diagnostics.script_name().unwrap_or_default().to_owned(),
                message: diagnostics.message().unwrap_or_default().to_owned(),
                log_tail: diagnostics.log_tail().unwrap_or_default().to_owned(),
            }),
        })
        .collect()
}

/// Which deployments to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentFilter {
    /// Only this application's (and, with `group`, this group's).
    pub application: Option<String>,
    /// Only this group's; needs `application`.
    pub group: Option<String>,
    /// Only these statuses; all when empty.
    pub statuses: Vec<DeploymentStatus>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Lists recent deployments, newest first, with their details.
pub async fn list_deployments(
    session: &Session,
    filter: &DeploymentFilter,
) -> Result<Vec<Deployment>, CloudError> {
    let limit = if filter.limit == 0 { 100 } else { filter.limit };
    // AWS lists an application's deployments only group by group.
    let scopes: Vec<Option<(String, String)>> = match (&filter.application, &filter.group) {
        (None, _) => vec![None],
        (Some(application), Some(group)) => vec![Some((application.clone(), group.clone()))],
        (Some(application), None) => {
            super::codedeploy::list_deployment_group_names(session, application)
                .await?
                .into_iter()
                .map(|group| Some((application.clone(), group)))
                .collect()
        }
    };
    let mut ids = Vec::new();
    for scope in scopes {
        let mut request = session.codedeploy.list_deployments();
        if let Some((application, group)) = scope {
            request = request
                .application_name(application)
                .deployment_group_name(group);
        }
        for status in &filter.statuses {
            request = request.include_only_statuses(cd::DeploymentStatus::from(status.as_str()));
        }
        let mut pages = request.into_paginator().send();
        let mut found = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(error(session, "ListDeployments"))?;
            found += page.deployments().len();
            ids.extend(page.deployments().iter().cloned());
            if found >= limit {
                break;
            }
        }
    }
    let mut deployments = get_deployments(session, &ids).await?;
    deployments.sort_by_key(|deployment| std::cmp::Reverse(deployment.created));
    deployments.truncate(limit);
    Ok(deployments)
}

/// Reads deployments by id, 25 a call.
pub async fn get_deployments(
    session: &Session,
    ids: &[String],
) -> Result<Vec<Deployment>, CloudError> {
    let mut deployments = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(TARGET_BATCH_LIMIT) {
        let output = session
            .codedeploy
            .batch_get_deployments()
            .set_deployment_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(error(session, "BatchGetDeployments"))?;
        deployments.extend(output.deployments_info().iter().map(Deployment::from_sdk));
    }
    Ok(deployments)
}

/// Reads one deployment.
pub async fn get_deployment(session: &Session, id: &str) -> Result<Deployment, CloudError> {
    let output = session
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(error(session, "GetDeployment"))?;
    output
        .deployment_info()
        .map(Deployment::from_sdk)
        .ok_or_else(|| CloudError::Other(format!("GetDeployment returned nothing for {id}.")))
}

/// Lists the ids of a deployment's targets (all pages).
pub async fn list_target_ids(session: &Session, id: &str) -> Result<Vec<String>, CloudError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = session
            .codedeploy
            .list_deployment_targets()
            .deployment_id(id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(error(session, "ListDeploymentTargets"))?;
        ids.extend(output.target_ids().iter().cloned());
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(ids)
}

/// Reads up to 25 targets of a deployment.
pub async fn get_targets(
    session: &Session,
    id: &str,
    target_ids: &[String],
) -> Result<Vec<Target>, CloudError> {
    let output = session
        .codedeploy
        .batch_get_deployment_targets()
        .deployment_id(id)
        .set_target_ids(Some(target_ids.to_vec()))
        .send()
        .await
        .map_err(error(session, "BatchGetDeploymentTargets"))?;
    Ok(output
        .deployment_targets()
        .iter()
        .filter_map(Target::from_sdk)
        .collect())
}

/// Stops a deployment, rolling it back when `roll_back` is set.
pub async fn stop_deployment(
    session: &Session,
    id: &str,
    roll_back: bool,
) -> Result<(), CloudError> {
    session
        .codedeploy
        .stop_deployment()
        .deployment_id(id)
        .auto_rollback_enabled(roll_back)
        .send()
        .await
        .map_err(error(session, "StopDeployment"))?;
    Ok(())
}

/// Continues a blue/green deployment that is ready to reroute traffic.
pub async fn continue_deployment(session: &Session, id: &str) -> Result<(), CloudError> {
    session
        .codedeploy
        .continue_deployment()
        .deployment_id(id)
        .deployment_wait_type(cd::DeploymentWaitType::ReadyWait)
        .send()
        .await
        .map_err(error(session, "ContinueDeployment"))?;
    Ok(())
}

/// What to start a deployment with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewDeployment {
    /// The application.
    pub application: String,
    /// The deployment group.
    pub group: String,
    /// The revision to deploy.
    pub revision: Option<Revision>,
    /// A configuration instead of the group's, if any.
    pub config_override: Option<String>,
    /// A description.
    pub description: String,
    /// Whether a failing `ApplicationStop` script is ignored.
    pub ignore_application_stop_failures: bool,
    /// What happens to files already on the instance that the revision
    /// also has: `DISALLOW` (fail, the default), `OVERWRITE` or `RETAIN`.
    pub file_exists_behavior: Option<String>,
    /// Deploy only to instances that do not run the group's revision.
    pub update_outdated_instances_only: bool,
}

/// Starts a deployment and returns its id.
pub async fn create_deployment(
    session: &Session,
    new: &NewDeployment,
) -> Result<String, CloudError> {
    let revision = new
        .revision
        .as_ref()
        .and_then(Revision::to_sdk)
        .ok_or_else(|| CloudError::Other("Choose a revision to deploy.".to_owned()))?;
    let output = session
        .codedeploy
        .create_deployment()
        .application_name(&new.application)
        .deployment_group_name(&new.group)
        .revision(revision)
        .set_deployment_config_name(new.config_override.clone())
        .set_description(
            (!new.description.trim().is_empty()).then(|| new.description.trim().to_owned()),
        )
        .ignore_application_stop_failures(new.ignore_application_stop_failures)
        .set_file_exists_behavior(
            new.file_exists_behavior
                .as_deref()
                .map(cd::FileExistsBehavior::from),
        )
        .update_outdated_instances_only(new.update_outdated_instances_only)
        .send()
        .await
        .map_err(error(session, "CreateDeployment"))?;
    Ok(output.deployment_id().unwrap_or_default().to_owned())
}

/// Starts a new deployment of the same revision to the same group and
/// returns its id.
pub async fn redeploy(session: &Session, deployment: &Deployment) -> Result<String, CloudError> {
    let revision = deployment
        .revision
        .as_ref()
        .and_then(Revision::to_sdk)
        .ok_or_else(|| {
            CloudError::Other(
                "This deployment's revision cannot be deployed again from here.".to_owned(),
            )
        })?;
    let output = session
        .codedeploy
        .create_deployment()
        .application_name(&deployment.application)
        .deployment_group_name(&deployment.group)
        .revision(revision)
        .description(format!("Redeploy of {}", deployment.id))
        .send()
        .await
        .map_err(error(session, "CreateDeployment"))?;
    Ok(output.deployment_id().unwrap_or_default().to_owned())
}
