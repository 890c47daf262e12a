//! `CreateDeployment`, `GetDeployment`, `BatchGetDeployments`,
//! `ListDeployments`, `StopDeployment` and `ContinueDeployment`.
//!
//! The operations check their input and hand the work to the deployment
//! engine ([`crate::localcloud::engine`]), which picks the targets and runs
//! the deployment on the local cloud's clock. Each operation sees the
//! deployments as of its request's time: the server advances the engine
//! before it runs an operation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{
    Answer, Context, application, batch, list_page, list_required, one_of, required_name,
};
use super::deployment_configs::server_minimum;
use super::deployment_groups::{check_filters, check_rollback, check_tag_set};
use super::deployment_state::{
    Deployment, DeploymentStatus, ErrorInformation, RelatedDeployments, RollbackInfo,
    RollbackRequest, TargetInstances, TargetStatus,
};
use super::errors::no_such_group;
use super::revisions::check_location;
use super::shapes::{
    AlarmConfiguration, AutoRollbackConfiguration, BlueGreenDeploymentConfiguration,
    DeploymentStyle, LoadBalancerInfo, RevisionLocation,
};
use super::state::CodeDeployState;
use super::traffic_deployments;
use crate::domain::names::NameKind;
use crate::domain::{ComputePlatform, MinimumHealthyHosts};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::engine::{self, CREATOR_USER, NewDeployment, is_deployment_id};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input, output};
use crate::localcloud::world::World;

/// The most deployments `BatchGetDeployments` takes at once.
pub const BATCH_LIMIT: usize = 25;
/// How `fileExistsBehavior` may be set.
const FILE_EXISTS_BEHAVIORS: [&str; 3] = ["DISALLOW", "OVERWRITE", "RETAIN"];

/// `DeploymentOverview`: how many targets are in each status.
#[derive(Debug, Serialize)]
struct Overview {
    #[serde(rename = "Pending")]
    pending: usize,
    #[serde(rename = "InProgress")]
    in_progress: usize,
    #[serde(rename = "Succeeded")]
    succeeded: usize,
    #[serde(rename = "Failed")]
    failed: usize,
    #[serde(rename = "Skipped")]
    skipped: usize,
    #[serde(rename = "Ready")]
    ready: usize,
}

impl Overview {
    /// Counts the targets of `deployment`.
    fn of(deployment: &Deployment) -> Self {
        let mut overview = Self {
            pending: 0,
            in_progress: 0,
            succeeded: 0,
            failed: 0,
            skipped: 0,
            ready: 0,
        };
        for target in &deployment.targets {
            match target.status {
                TargetStatus::Pending | TargetStatus::Unknown => overview.pending += 1,
                TargetStatus::InProgress => overview.in_progress += 1,
                TargetStatus::Succeeded => overview.succeeded += 1,
                TargetStatus::Failed => overview.failed += 1,
                TargetStatus::Skipped => overview.skipped += 1,
                TargetStatus::Ready => overview.ready += 1,
            }
        }
        overview
    }
}

/// `DeploymentInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentInfo<'a> {
    application_name: &'a str,
    deployment_group_name: &'a str,
    deployment_config_name: &'a str,
    deployment_id: &'a str,
    previous_revision: Option<&'a RevisionLocation>,
    revision: &'a RevisionLocation,
    status: &'static str,
    error_information: Option<&'a ErrorInformation>,
    create_time: Timestamp,
    start_time: Option<Timestamp>,
    complete_time: Option<Timestamp>,
    deployment_overview: Overview,
    description: Option<&'a str>,
    creator: &'a str,
    ignore_application_stop_failures: bool,
    auto_rollback_configuration: Option<&'a AutoRollbackConfiguration>,
    update_outdated_instances_only: bool,
    rollback_info: Option<&'a RollbackInfo>,
    deployment_style: &'a DeploymentStyle,
    target_instances: Option<&'a TargetInstances>,
    instance_termination_wait_time_started: bool,
    blue_green_deployment_configuration: Option<&'a BlueGreenDeploymentConfiguration>,
    load_balancer_info: Option<&'a LoadBalancerInfo>,
    file_exists_behavior: Option<&'a str>,
    compute_platform: &'static str,
    related_deployments: Option<&'a RelatedDeployments>,
}

impl<'a> DeploymentInfo<'a> {
    /// The API's view of `deployment`.
    fn of(deployment: &'a Deployment) -> Self {
        Self {
            application_name: &deployment.application_name,
            deployment_group_name: &deployment.deployment_group_name,
            deployment_config_name: &deployment.deployment_config_name,
            deployment_id: &deployment.deployment_id,
            previous_revision: deployment.previous_revision.as_ref(),
            revision: &deployment.revision,
            status: deployment.status.as_str(),
            error_information: deployment.error_information.as_ref(),
            create_time: deployment.create_time,
            start_time: deployment.start_time,
            complete_time: deployment.complete_time,
            deployment_overview: Overview::of(deployment),
            description: deployment.description.as_deref(),
            creator: &deployment.creator,
            ignore_application_stop_failures: deployment.ignore_application_stop_failures,
            auto_rollback_configuration: deployment.auto_rollback_configuration.as_ref(),
            update_outdated_instances_only: deployment.update_outdated_instances_only,
            rollback_info: deployment.rollback_info.as_ref(),
            deployment_style: &deployment.deployment_style,
            target_instances: deployment.target_instances.as_ref(),
            instance_termination_wait_time_started: deployment
                .instance_termination_wait_time_started,
            blue_green_deployment_configuration: deployment
                .blue_green_deployment_configuration
                .as_ref(),
            load_balancer_info: deployment.load_balancer_info.as_ref(),
            file_exists_behavior: deployment.file_exists_behavior.as_deref(),
            compute_platform: deployment.compute_platform().as_str(),
            related_deployments: deployment.related_deployments.as_ref(),
        }
    }
}

/// Checks a deployment id: present and of the form `d-XXXXXXXXX`.
pub fn required_deployment_id(deployment_id: Option<String>) -> Result<String, ApiError> {
    let deployment_id = deployment_id.ok_or_else(|| {
        ApiError::new(
            "DeploymentIdRequiredException",
            "A deploymentId is required; add it to the request.",
        )
    })?;
    if is_deployment_id(&deployment_id) {
        Ok(deployment_id)
    } else {
        Err(invalid_deployment_id(&deployment_id))
    }
}

/// The error for a malformed deployment id.
fn invalid_deployment_id(deployment_id: &str) -> ApiError {
    ApiError::new(
        "InvalidDeploymentIdException",
        format!(
            "Specified DeploymentId is not in the valid format: \"{deployment_id}\"; deployment ids are d- followed by nine capital letters or digits."
        ),
    )
}

/// Deployment `deployment_id`, or `DeploymentDoesNotExistException`.
pub fn deployment<'a>(
    state: &'a CodeDeployState,
    deployment_id: &str,
) -> Result<&'a Deployment, ApiError> {
    state.deployments.by_id.get(deployment_id).ok_or_else(|| {
        ApiError::new(
            "DeploymentDoesNotExistException",
            format!(
                "The deployment {deployment_id} could not be found; check the id, or list deployments with ListDeployments."
            ),
        )
    })
}

/// `CreateDeploymentInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
    revision: Option<RevisionLocation>,
    deployment_config_name: Option<String>,
    description: Option<String>,
    ignore_application_stop_failures: Option<bool>,
    target_instances: Option<TargetInstances>,
    auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    update_outdated_instances_only: Option<bool>,
    file_exists_behavior: Option<String>,
    #[allow(dead_code)]
    override_alarm_configuration: Option<AlarmConfiguration>,
}

/// The error for bad `targetInstances`.
fn invalid_target_instances(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidTargetInstancesException", message)
}

/// Checks the replacement instances of a deployment to a group of `style`.
fn check_target_instances(
    target_instances: Option<&TargetInstances>,
    style: &DeploymentStyle,
    blue_green: Option<&BlueGreenDeploymentConfiguration>,
) -> Result<(), ApiError> {
    let is_blue_green = style.deployment_type.as_deref() == Some("BLUE_GREEN");
    let copies = blue_green
        .and_then(|config| config.green_fleet_provisioning_option.as_ref())
        .and_then(|option| option.action.as_deref())
        == Some("COPY_AUTO_SCALING_GROUP");
    let Some(target_instances) = target_instances else {
        if is_blue_green && !copies {
            return Err(invalid_target_instances(
                "A blue/green deployment to a group that discovers existing instances needs targetInstances: tag filters or a tag set that select the replacement instances.",
            ));
        }
        return Ok(());
    };
    if !is_blue_green {
        return Err(invalid_target_instances(
            "targetInstances is only for blue/green deployments; this deployment group deploys in place, so leave it out.",
        ));
    }
    if target_instances
        .auto_scaling_groups
        .as_ref()
        .is_some_and(|groups| !groups.is_empty())
    {
        return Err(invalid_target_instances(
            "The local cloud does not take a blue/green deployment's replacement instances from Auto Scaling groups yet; select them with tagFilters or ec2TagSet.",
        ));
    }
    let filters = target_instances.tag_filters.as_deref().unwrap_or_default();
    let set = target_instances
        .ec2_tag_set
        .as_ref()
        .and_then(|set| set.ec2_tag_set_list.as_deref())
        .unwrap_or_default();
    if !filters.is_empty() && !set.is_empty() {
        return Err(invalid_target_instances(
            "targetInstances takes either tagFilters or ec2TagSet, not both.",
        ));
    }
    if filters.is_empty() && set.is_empty() && !copies {
        return Err(invalid_target_instances(
            "targetInstances selects no instances; give tagFilters or an ec2TagSet.",
        ));
    }
    check_filters(filters, "InvalidTargetInstancesException")?;
    check_tag_set(set, "InvalidTargetInstancesException")?;
    Ok(())
}

/// Creates a deployment and starts it.
pub fn create(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let group_name = required_name(NameKind::DeploymentGroup, request.deployment_group_name)?;
    let state = &world.codedeploy;
    let found = application(state, &application_name)?;
    let platform = ComputePlatform::parse(&found.compute_platform).unwrap_or_default();
    let group = found
        .deployment_groups
        .get(&group_name)
        .ok_or_else(|| no_such_group(&application_name, &group_name))?;
    let revision = match request.revision {
        // A Lambda or ECS revision is read as an AppSpec below.
        Some(revision) if platform != ComputePlatform::Server => revision,
        Some(revision) => check_location(Some(revision))?,
        None => group.target_revision.clone().ok_or_else(|| {
            ApiError::new(
                "RevisionRequiredException",
                "A revision is required: give its revisionType and its s3Location or gitHubLocation. (The deployment group has no revision of its own to use.)",
            )
        })?,
    };
    let config_name = match request.deployment_config_name {
        Some(name) => required_name(NameKind::DeploymentConfig, Some(name))?,
        None => group.deployment_config_name.clone(),
    };
    let (minimum, shift) = if platform == ComputePlatform::Server {
        (server_minimum(state, &config_name)?, None)
    } else {
        if request.target_instances.is_some() {
            return Err(ApiError::new(
                "InvalidTargetInstancesException",
                format!(
                    "targetInstances is for EC2/on-premises blue/green deployments; a {} deployment moves traffic, so leave it out.",
                    platform.as_str()
                ),
            ));
        }
        let shift = traffic_deployments::shift_for(
            world,
            group,
            platform,
            &revision,
            &config_name,
            context.now,
        )?;
        (MinimumHealthyHosts::HostCount(0), Some(shift))
    };
    if let Some(behavior) = &request.file_exists_behavior {
        one_of(
            behavior,
            &FILE_EXISTS_BEHAVIORS,
            "file exists behavior",
            "InvalidFileExistsBehaviorException",
        )?;
    }
    if let Some(rollback) = &request.auto_rollback_configuration {
        check_rollback(rollback)?;
    }
    if shift.is_none() {
        check_target_instances(
            request.target_instances.as_ref(),
            &group.deployment_style,
            group.blue_green_deployment_configuration.as_ref(),
        )?;
    }
    if let Some(active) = state.deployments.active.iter().find(|id| {
        state
            .deployments
            .by_id
            .get(*id)
            .is_some_and(|deployment| deployment.deployment_group_id == group.id)
    }) {
        return Err(ApiError::new(
            "DeploymentLimitExceededException",
            format!(
                "The deployment group \"{group_name}\" already has an active deployment, {active}; wait for it to finish or stop it with StopDeployment, then deploy again."
            ),
        ));
    }
    let new = NewDeployment {
        shift,
        application_name,
        deployment_group_name: group_name,
        deployment_config_name: config_name,
        minimum_healthy_hosts: minimum,
        revision,
        description: request.description,
        creator: CREATOR_USER.to_owned(),
        ignore_application_stop_failures: request.ignore_application_stop_failures == Some(true),
        update_outdated_instances_only: request.update_outdated_instances_only == Some(true),
        file_exists_behavior: request.file_exists_behavior,
        auto_rollback_configuration: request
            .auto_rollback_configuration
            .or_else(|| group.auto_rollback_configuration.clone()),
        deployment_style: group.deployment_style.clone(),
        target_instances: request.target_instances,
        blue_green_deployment_configuration: group.blue_green_deployment_configuration.clone(),
        load_balancer_info: group.load_balancer_info.clone(),
        region: context.region.clone(),
        rollback_request: RollbackRequest::AsConfigured,
        rollback_info: None,
        only_instances: None,
    };
    let deployment_id = engine::create(world, new, context.now)?;
    Ok(serde_json::json!({ "deploymentId": deployment_id }))
}

/// An input naming one deployment.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentInput {
    deployment_id: Option<String>,
}

/// Returns one deployment.
pub fn get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: DeploymentInput = input(body)?;
    let deployment_id = required_deployment_id(request.deployment_id)?;
    let found = deployment(state, &deployment_id)?;
    output(&serde_json::json!({ "deploymentInfo": DeploymentInfo::of(found) }))
}

/// `BatchGetDeploymentsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetInput {
    deployment_ids: Option<Vec<String>>,
}

/// Returns up to 25 deployments; ids that match none are left out.
pub fn batch_get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: BatchGetInput = input(body)?;
    let ids = batch(
        request.deployment_ids,
        || list_required("DeploymentIdRequiredException", "deploymentIds"),
        "deployment ids",
        BATCH_LIMIT,
        "BatchLimitExceededException",
    )?;
    if let Some(bad) = ids.iter().find(|id| !is_deployment_id(id)) {
        return Err(invalid_deployment_id(bad));
    }
    let infos: Vec<DeploymentInfo<'_>> = ids
        .iter()
        .filter_map(|id| state.deployments.by_id.get(id))
        .map(DeploymentInfo::of)
        .collect();
    output(&serde_json::json!({ "deploymentsInfo": infos }))
}

/// `TimeRange`.
#[derive(Debug, Default, Deserialize)]
struct TimeRange {
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

/// `ListDeploymentsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
    external_id: Option<String>,
    include_only_statuses: Option<Vec<String>>,
    create_time_range: Option<TimeRange>,
    next_token: Option<String>,
}

/// Lists deployment ids, newest first, filtered as asked.
pub fn list(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let group = match (request.application_name, request.deployment_group_name) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(ApiError::new(
                "ApplicationNameRequiredException",
                "A deploymentGroupName filter needs an applicationName too.",
            ));
        }
        (Some(_), None) => {
            return Err(ApiError::new(
                "DeploymentGroupNameRequiredException",
                "An applicationName filter needs a deploymentGroupName too; give both, or neither to list every deployment.",
            ));
        }
        (Some(application_name), Some(group_name)) => {
            let application_name = required_name(NameKind::Application, Some(application_name))?;
            let group_name = required_name(NameKind::DeploymentGroup, Some(group_name))?;
            let group = application(state, &application_name)?
                .deployment_groups
                .get(&group_name)
                .ok_or_else(|| no_such_group(&application_name, &group_name))?;
            Some((application_name, group_name, group.id.clone()))
        }
    };
    let statuses = request
        .include_only_statuses
        .unwrap_or_default()
        .iter()
        .map(|status| {
            DeploymentStatus::parse(status).ok_or_else(|| {
                ApiError::new(
                    "InvalidDeploymentStatusException",
                    format!(
                        "\"{status}\" is not a deployment status; use one of {}.",
                        DeploymentStatus::names()
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let range = request.create_time_range.unwrap_or_default();
    if let (Some(start), Some(end)) = (range.start, range.end)
        && start > end
    {
        return Err(ApiError::new(
            "InvalidTimeRangeException",
            "The createTimeRange starts after it ends; give a start before the end.",
        ));
    }
    let matching = state
        .deployments
        .by_id
        .values()
        .filter(|deployment| {
            group
                .as_ref()
                .is_none_or(|(application_name, _, group_id)| {
                    deployment.application_name == *application_name
                        && deployment.deployment_group_id == *group_id
                })
        })
        .filter(|deployment| statuses.is_empty() || statuses.contains(&deployment.status))
        .filter(|deployment| {
            range
                .start
                .is_none_or(|start| deployment.create_time >= start)
        })
        .filter(|deployment| range.end.is_none_or(|end| deployment.create_time <= end))
        // No deployment of the local cloud has an external id.
        .filter(|_| request.external_id.is_none())
        .map(|deployment| {
            // Newest first: the key counts down from the latest creation.
            let time = u64::try_from(deployment.create_time.as_millis()).unwrap_or(0);
            let key = format!(
                "{:020}.{:020}",
                u64::MAX - time,
                u64::MAX - deployment.sequence
            );
            (key, deployment.deployment_id.clone())
        })
        .collect();
    let mut status_names: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
    status_names.sort_unstable();
    let scope = format!(
        "ListDeployments/{}/{}/{}/{}",
        group
            .as_ref()
            .map(|(application, group, _)| format!("{application}/{group}"))
            .unwrap_or_default(),
        status_names.join(","),
        range.start.map(Timestamp::as_millis).unwrap_or_default(),
        range.end.map(Timestamp::as_millis).unwrap_or_default(),
    );
    list_page(
        &scope,
        matching,
        request.next_token.as_deref(),
        "deployments",
    )
}

/// The error for an action on a deployment that has ended.
fn already_completed(deployment: &Deployment) -> ApiError {
    ApiError::new(
        "DeploymentAlreadyCompletedException",
        format!(
            "The deployment {} has already completed (status {}); there is nothing to stop or continue.",
            deployment.deployment_id,
            deployment.status.as_str()
        ),
    )
}

/// `StopDeploymentInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopInput {
    deployment_id: Option<String>,
    auto_rollback_enabled: Option<bool>,
}

/// Stops a running deployment, rolling it back if asked.
pub fn stop(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: StopInput = input(body)?;
    let deployment_id = required_deployment_id(request.deployment_id)?;
    engine::advance(world, context.now, &context.engine);
    let found = deployment(&world.codedeploy, &deployment_id)?;
    if found.status.is_finished() {
        return Err(already_completed(found));
    }
    let rollback = match request.auto_rollback_enabled {
        Some(true) => RollbackRequest::Always,
        Some(false) => RollbackRequest::Never,
        None => RollbackRequest::AsConfigured,
    };
    engine::stop(world, &deployment_id, context.now, rollback);
    Ok(serde_json::json!({
        "status": "Succeeded",
        "statusMessage": format!("Deployment {deployment_id} was stopped."),
    }))
}

/// `ContinueDeploymentInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContinueInput {
    deployment_id: Option<String>,
    deployment_wait_type: Option<String>,
}

/// Continues a blue/green deployment: reroutes traffic of one waiting in
/// `Ready` (`READY_WAIT`), or terminates the original instances of one
/// waiting to (`TERMINATION_WAIT`).
pub fn continue_deployment(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: ContinueInput = input(body)?;
    let deployment_id = required_deployment_id(request.deployment_id)?;
    engine::advance(world, context.now, &context.engine);
    let wait_type = request
        .deployment_wait_type
        .unwrap_or_else(|| "READY_WAIT".to_owned());
    one_of(
        &wait_type,
        &["READY_WAIT", "TERMINATION_WAIT"],
        "deployment wait type",
        "InvalidDeploymentWaitTypeException",
    )?;
    let found = deployment(&world.codedeploy, &deployment_id)?;
    if found.status.is_finished() {
        return Err(already_completed(found));
    }
    if !found.is_blue_green() {
        return Err(ApiError::new(
            "UnsupportedActionForDeploymentTypeException",
            format!(
                "The deployment {deployment_id} is an in-place deployment; only blue/green deployments can be continued."
            ),
        ));
    }
    let continued = if wait_type == "READY_WAIT" {
        engine::continue_ready(world, &deployment_id, context.now, &context.engine)
    } else {
        engine::end_termination_wait(world, &deployment_id, context.now)
    };
    if continued {
        Ok(empty())
    } else if wait_type == "READY_WAIT" {
        Err(ApiError::new(
            "DeploymentIsNotInReadyStateException",
            format!(
                "The deployment {deployment_id} does not have a status of Ready and can't continue yet; continue it once its replacement instances are ready."
            ),
        ))
    } else {
        Err(ApiError::new(
            "DeploymentIsNotInReadyStateException",
            format!(
                "The deployment {deployment_id} is not waiting to terminate its original instances; use TERMINATION_WAIT only during that wait."
            ),
        ))
    }
}
