//! A deployment's targets: `ListDeploymentTargets`,
//! `BatchGetDeploymentTargets` and `GetDeploymentTarget`, and the older
//! instance operations `ListDeploymentInstances`,
//! `BatchGetDeploymentInstances` and `GetDeploymentInstance`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{Answer, Context, batch, found_and_missing, list_required, page_answer};
use super::deployment_state::{
    Deployment, DeploymentStatus, Diagnostics, InstanceLabel, ShiftKind, TargetRecord, TargetStatus,
};
use super::deployments::{deployment, required_deployment_id};
use super::state::CodeDeployState;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{input, output};
use crate::localcloud::protocol::paging::{self, PAGE_SIZE};

/// The most targets `BatchGetDeploymentTargets` takes at once.
pub const TARGET_BATCH_LIMIT: usize = 25;
/// The most instances `BatchGetDeploymentInstances` takes at once.
pub const INSTANCE_BATCH_LIMIT: usize = 25;

/// `LifecycleEvent` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LifecycleEventInfo<'a> {
    lifecycle_event_name: &'static str,
    diagnostics: Option<&'a Diagnostics>,
    start_time: Option<Timestamp>,
    end_time: Option<Timestamp>,
    status: &'static str,
}

/// The lifecycle events of `target` as the API returns them.
fn lifecycle_events(target: &TargetRecord) -> Vec<LifecycleEventInfo<'_>> {
    target
        .events
        .iter()
        .map(|record| LifecycleEventInfo {
            lifecycle_event_name: record.event.name(),
            diagnostics: record.diagnostics.as_ref(),
            start_time: record.start_time,
            end_time: record.end_time,
            status: record.status.as_str(),
        })
        .collect()
}

/// What every kind of deployment target has, as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetBase<'a> {
    deployment_id: &'a str,
    target_id: &'a str,
    target_arn: &'a str,
    status: &'static str,
    last_updated_at: Timestamp,
    lifecycle_events: Vec<LifecycleEventInfo<'a>>,
}

impl<'a> TargetBase<'a> {
    /// What `target` of `deployment` has of every kind.
    fn of(deployment: &'a Deployment, target: &'a TargetRecord) -> Self {
        Self {
            deployment_id: &deployment.deployment_id,
            target_id: &target.target_id,
            target_arn: &target.target_arn,
            status: target.status.as_str(),
            last_updated_at: target.last_updated_at,
            lifecycle_events: lifecycle_events(target),
        }
    }
}

/// `InstanceTarget` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceTarget<'a> {
    #[serde(flatten)]
    base: TargetBase<'a>,
    instance_label: Option<&'static str>,
}

/// `LambdaFunctionInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaFunctionInfo<'a> {
    function_name: &'a str,
    function_alias: &'a str,
    current_version: &'a str,
    target_version: &'a str,
    target_version_weight: f64,
}

/// `LambdaTarget` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaTarget<'a> {
    #[serde(flatten)]
    base: TargetBase<'a>,
    lambda_function_info: LambdaFunctionInfo<'a>,
}

/// `ECSTaskSet` as the API returns it (`identifer` is the API's spelling).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EcsTaskSet<'a> {
    identifer: &'a str,
    desired_count: i64,
    pending_count: i64,
    running_count: i64,
    status: &'a str,
    traffic_weight: f64,
    target_group: NamedGroup<'a>,
    task_set_label: &'static str,
}

/// `TargetGroupInfo`.
#[derive(Debug, Serialize)]
struct NamedGroup<'a> {
    name: &'a str,
}

/// `ECSTarget` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EcsTarget<'a> {
    #[serde(flatten)]
    base: TargetBase<'a>,
    task_sets_info: Vec<EcsTaskSet<'a>>,
}

/// `DeploymentTarget` as the API returns it: an instance, a Lambda
/// function's alias or an ECS service.
#[derive(Debug, Serialize)]
#[allow(clippy::struct_field_names)] // The API's member names.
#[serde(rename_all = "camelCase")]
struct DeploymentTarget<'a> {
    deployment_target_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_target: Option<InstanceTarget<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lambda_target: Option<LambdaTarget<'a>>,
    #[serde(rename = "ecsTarget", skip_serializing_if = "Option::is_none")]
    ecs_target: Option<EcsTarget<'a>>,
}

impl<'a> DeploymentTarget<'a> {
    /// The API's view of `target` of `deployment`.
    fn of(deployment: &'a Deployment, target: &'a TargetRecord) -> Self {
        let none = Self {
            deployment_target_type: "InstanceTarget",
            instance_target: None,
            lambda_target: None,
            ecs_target: None,
        };
        match deployment.shift.as_ref() {
            Some(shift) => match &shift.kind {
                ShiftKind::Lambda(lambda) => Self {
                    deployment_target_type: "LambdaTarget",
                    lambda_target: Some(LambdaTarget {
                        base: TargetBase::of(deployment, target),
                        lambda_function_info: LambdaFunctionInfo {
                            function_name: &lambda.function,
                            function_alias: &lambda.alias,
                            current_version: &lambda.current_version,
                            target_version: &lambda.target_version,
                            target_version_weight: shift.weight / 100.0,
                        },
                    }),
                    ..none
                },
                ShiftKind::Ecs(ecs) => Self {
                    deployment_target_type: "ECSTarget",
                    ecs_target: Some(EcsTarget {
                        base: TargetBase::of(deployment, target),
                        task_sets_info: [("Blue", &ecs.blue), ("Green", &ecs.green)]
                            .into_iter()
                            .filter_map(|(label, set)| {
                                set.as_ref().map(|set| EcsTaskSet {
                                    identifer: &set.id,
                                    desired_count: set.desired,
                                    pending_count: set.pending,
                                    running_count: set.running,
                                    status: &set.status,
                                    traffic_weight: set.traffic_weight,
                                    target_group: NamedGroup {
                                        name: &set.target_group,
                                    },
                                    task_set_label: label,
                                })
                            })
                            .collect(),
                    }),
                    ..none
                },
            },
            None => Self {
                instance_target: Some(InstanceTarget {
                    base: TargetBase::of(deployment, target),
                    instance_label: target.label.map(InstanceLabel::as_str),
                }),
                ..none
            },
        }
    }
}

/// `InstanceSummary` as the API returns it: the instance is named by ARN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceSummary<'a> {
    deployment_id: &'a str,
    instance_id: &'a str,
    status: &'static str,
    last_updated_at: Timestamp,
    lifecycle_events: Vec<LifecycleEventInfo<'a>>,
    instance_type: Option<&'static str>,
}

impl<'a> InstanceSummary<'a> {
    /// The API's view of `target` of `deployment`.
    fn of(deployment: &'a Deployment, target: &'a TargetRecord) -> Self {
        Self {
            deployment_id: &deployment.deployment_id,
            instance_id: &target.target_arn,
            status: target.status.as_str(),
            last_updated_at: target.last_updated_at,
            lifecycle_events: lifecycle_events(target),
            instance_type: target.label.map(InstanceLabel::as_str),
        }
    }
}

/// The started deployment `deployment_id`, checked as the target and
/// instance operations check it.
fn started(
    state: &CodeDeployState,
    deployment_id: Option<String>,
) -> Result<&Deployment, ApiError> {
    let deployment_id = required_deployment_id(deployment_id)?;
    let found = deployment(state, &deployment_id)?;
    if found.status == DeploymentStatus::Created {
        return Err(ApiError::new(
            "DeploymentNotStartedException",
            format!(
                "The deployment {deployment_id} has not started; its targets are known once it has."
            ),
        ));
    }
    Ok(found)
}

/// Reads target statuses for a filter.
fn statuses(values: &[String]) -> Result<Vec<TargetStatus>, ApiError> {
    values
        .iter()
        .map(|value| {
            TargetStatus::parse(value).ok_or_else(|| {
                ApiError::new(
                    "InvalidInstanceStatusException",
                    format!(
                        "\"{value}\" is not a target status; use one of {}.",
                        TargetStatus::names()
                    ),
                )
            })
        })
        .collect()
}

/// Reads blue/green labels for a filter on `deployment`.
fn labels(deployment: &Deployment, values: &[String]) -> Result<Vec<InstanceLabel>, ApiError> {
    if !values.is_empty() && !deployment.is_blue_green() {
        return Err(ApiError::new(
            "InvalidDeploymentInstanceTypeException",
            format!(
                "The deployment {} deploys in place; filtering by Blue or Green is for blue/green deployments only.",
                deployment.deployment_id
            ),
        ));
    }
    values
        .iter()
        .map(|value| {
            InstanceLabel::parse(value).ok_or_else(|| {
                ApiError::new(
                    "InvalidInstanceTypeException",
                    format!(
                        "\"{value}\" is not an instance type; use Blue for the original environment or Green for the replacement environment."
                    ),
                )
            })
        })
        .collect()
}

/// One page of the ids of `deployment`'s targets that pass the filters.
fn target_page(
    operation: &str,
    deployment: &Deployment,
    statuses: &[TargetStatus],
    labels: &[InstanceLabel],
    next_token: Option<&str>,
) -> Result<paging::Page<String>, ApiError> {
    let ids = deployment
        .targets
        .iter()
        .filter(|target| statuses.is_empty() || statuses.contains(&target.status))
        .filter(|target| {
            labels.is_empty() || target.label.is_some_and(|label| labels.contains(&label))
        })
        .map(|target| (target.target_id.clone(), target.target_id.clone()))
        .collect();
    let mut status_names: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
    status_names.sort_unstable();
    let mut label_names: Vec<&str> = labels.iter().map(|label| label.as_str()).collect();
    label_names.sort_unstable();
    let scope = format!(
        "{operation}/{}/{}/{}",
        deployment.deployment_id,
        status_names.join(","),
        label_names.join(",")
    );
    paging::page(&scope, ids, next_token, PAGE_SIZE)
}

/// `ListDeploymentTargetsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTargetsInput {
    deployment_id: Option<String>,
    next_token: Option<String>,
    target_filters: Option<BTreeMap<String, Vec<String>>>,
}

/// Lists a deployment's target ids in id order, filtered by `TargetStatus`
/// and `ServerInstanceLabel`.
pub fn list_targets(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: ListTargetsInput = input(body)?;
    let found = started(state, request.deployment_id)?;
    let filters = request.target_filters.unwrap_or_default();
    if let Some(name) = filters
        .keys()
        .find(|name| !matches!(name.as_str(), "TargetStatus" | "ServerInstanceLabel"))
    {
        return Err(ApiError::new(
            "InvalidTargetFilterNameException",
            format!("\"{name}\" is not a target filter; use TargetStatus or ServerInstanceLabel."),
        ));
    }
    let wanted_statuses = statuses(filters.get("TargetStatus").map_or(&[], Vec::as_slice))?;
    let wanted_labels = labels(
        found,
        filters
            .get("ServerInstanceLabel")
            .map_or(&[], Vec::as_slice),
    )?;
    let page = target_page(
        "ListDeploymentTargets",
        found,
        &wanted_statuses,
        &wanted_labels,
        request.next_token.as_deref(),
    )?;
    page_answer("targetIds", &page)
}

/// The target `target_id` of `deployment`, or the API's error.
fn target<'a>(deployment: &'a Deployment, target_id: &str) -> Result<&'a TargetRecord, ApiError> {
    if target_id.is_empty() {
        return Err(ApiError::new(
            "InvalidDeploymentTargetIdException",
            "A target id is empty; give the instance id or on-premises instance name.",
        ));
    }
    deployment.target(target_id).ok_or_else(|| {
        ApiError::new(
            "DeploymentTargetDoesNotExistException",
            format!(
                "The target {target_id} does not belong to deployment {}; list its targets with ListDeploymentTargets.",
                deployment.deployment_id
            ),
        )
    })
}

/// `BatchGetDeploymentTargetsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetTargetsInput {
    deployment_id: Option<String>,
    target_ids: Option<Vec<String>>,
}

/// Returns up to 25 targets of a deployment with their lifecycle events.
pub fn batch_get_targets(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: BatchGetTargetsInput = input(body)?;
    let target_ids = batch(
        request.target_ids,
        || list_required("DeploymentTargetIdRequiredException", "targetIds"),
        "target ids",
        TARGET_BATCH_LIMIT,
        "DeploymentTargetListSizeExceededException",
    )?;
    let found = started(state, request.deployment_id)?;
    let targets = target_ids
        .iter()
        .map(|target_id| target(found, target_id).map(|target| DeploymentTarget::of(found, target)))
        .collect::<Result<Vec<_>, _>>()?;
    output(&serde_json::json!({ "deploymentTargets": targets }))
}

/// `GetDeploymentTargetInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetTargetInput {
    deployment_id: Option<String>,
    target_id: Option<String>,
}

/// Returns one target of a deployment.
pub fn get_target(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: GetTargetInput = input(body)?;
    let target_id = request.target_id.ok_or_else(|| {
        ApiError::new(
            "DeploymentTargetIdRequiredException",
            "A targetId is required; add it to the request.",
        )
    })?;
    let found = started(state, request.deployment_id)?;
    let target = target(found, &target_id)?;
    output(&serde_json::json!({ "deploymentTarget": DeploymentTarget::of(found, target) }))
}

/// `ListDeploymentInstancesInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInstancesInput {
    deployment_id: Option<String>,
    next_token: Option<String>,
    instance_status_filter: Option<Vec<String>>,
    instance_type_filter: Option<Vec<String>>,
}

/// Lists a deployment's instance ids, filtered by status and blue/green type.
pub fn list_instances(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: ListInstancesInput = input(body)?;
    let found = started(state, request.deployment_id)?;
    let wanted_statuses = statuses(
        request
            .instance_status_filter
            .as_deref()
            .unwrap_or_default(),
    )?;
    let wanted_labels = labels(
        found,
        request.instance_type_filter.as_deref().unwrap_or_default(),
    )?;
    let page = target_page(
        "ListDeploymentInstances",
        found,
        &wanted_statuses,
        &wanted_labels,
        request.next_token.as_deref(),
    )?;
    page_answer("instancesList", &page)
}

/// The error for an instance that is not part of a deployment.
fn no_such_instance(deployment: &Deployment, instance_id: &str) -> ApiError {
    ApiError::new(
        "InstanceDoesNotExistException",
        format!(
            "The instance {instance_id} is not part of deployment {}; list its instances with ListDeploymentInstances.",
            deployment.deployment_id
        ),
    )
}

/// The error for a missing instance id.
fn instance_id_required() -> ApiError {
    ApiError::new(
        "InstanceIdRequiredException",
        "An instance id is required; add it to the request.",
    )
}

/// `BatchGetDeploymentInstancesInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetInstancesInput {
    deployment_id: Option<String>,
    instance_ids: Option<Vec<String>>,
}

/// Returns up to 25 instances of a deployment; ids that are not part of it
/// are named in `errorMessage`.
pub fn batch_get_instances(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: BatchGetInstancesInput = input(body)?;
    let instance_ids = batch(
        request.instance_ids,
        instance_id_required,
        "instance ids",
        INSTANCE_BATCH_LIMIT,
        "BatchLimitExceededException",
    )?;
    let found = started(state, request.deployment_id)?;
    let (summaries, missing) = found_and_missing(&instance_ids, |instance_id| {
        found
            .target(instance_id)
            .map(|target| InstanceSummary::of(found, target))
    });
    let error_message = (!missing.is_empty()).then(|| {
        format!(
            "These instances are not part of deployment {}: {}.",
            found.deployment_id,
            missing.join(", ")
        )
    });
    output(&serde_json::json!({
        "instancesSummary": summaries,
        "errorMessage": error_message,
    }))
}

/// `GetDeploymentInstanceInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetInstanceInput {
    deployment_id: Option<String>,
    instance_id: Option<String>,
}

/// Returns one instance of a deployment.
pub fn get_instance(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: GetInstanceInput = input(body)?;
    let instance_id = request
        .instance_id
        .filter(|id| !id.is_empty())
        .ok_or_else(instance_id_required)?;
    let found = started(state, request.deployment_id)?;
    let target = found
        .target(&instance_id)
        .ok_or_else(|| no_such_instance(found, &instance_id))?;
    output(&serde_json::json!({ "instanceSummary": InstanceSummary::of(found, target) }))
}
