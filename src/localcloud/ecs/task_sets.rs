//! `CreateTaskSet`, `DescribeTaskSets`, `UpdateTaskSet`,
//! `UpdateServicePrimaryTaskSet` and `DeleteTaskSet`, on services under the
//! `CODE_DEPLOY` (or `EXTERNAL`) controller; the work is done by the model
//! in [`task_set_state`](super::task_set_state), which the deployment
//! engine calls too.

use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{
    Answer, Context, LoadBalancerInput, check_launch_type, cluster, failure, load_balancers,
    required,
};
use super::state::{EcsState, TaskSet, service_name};
use super::task_set_state::{DRAINING, NewTaskSet, invalid_parameter, service_not_found};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::input;
use crate::localcloud::world::World;

/// `TaskSet` as the API returns it, with its tasks at `now` for a service
/// that wants `service_desired`.
pub fn description(task_set: &TaskSet, service_desired: i64, now: Timestamp) -> Value {
    let counts = task_set.counts(service_desired, now);
    json!({
        "id": task_set.id,
        "taskSetArn": task_set.arn,
        "serviceArn": task_set.service_arn,
        "clusterArn": task_set.cluster_arn,
        "startedBy": task_set.started_by,
        "externalId": task_set.external_id,
        "status": task_set.status,
        "taskDefinition": task_set.task_definition,
        "computedDesiredCount": counts.computed_desired,
        "pendingCount": counts.pending,
        "runningCount": counts.running,
        "createdAt": task_set.created,
        "updatedAt": task_set.updated,
        "launchType": task_set.launch_type,
        "networkConfiguration": task_set.network_configuration,
        "loadBalancers": task_set.load_balancers,
        "serviceRegistries": [],
        "scale": { "value": task_set.scale_percent, "unit": "PERCENT" },
        "stabilityStatus": counts.stability_status(),
        "stabilityStatusAt": counts.steady_since.unwrap_or(task_set.tasks.changed),
        "tags": [],
    })
}

/// `Scale`.
#[derive(Debug, Deserialize)]
struct ScaleInput {
    value: Option<f64>,
    unit: Option<String>,
}

/// The percentage a `Scale` gives (`default` when absent).
fn scale_percent(scale: Option<ScaleInput>, default: Option<f64>) -> Result<f64, ApiError> {
    let Some(scale) = scale else {
        return default.ok_or_else(|| invalid_parameter("scale can not be blank."));
    };
    if let Some(unit) = scale.unit.as_deref()
        && unit != "PERCENT"
    {
        return Err(invalid_parameter(format!(
            "The scale unit \"{unit}\" is not valid; use PERCENT."
        )));
    }
    scale.value.ok_or_else(|| {
        invalid_parameter("The scale's value can not be blank; give a percentage from 0 to 100.")
    })
}

/// `CreateTaskSetRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    service: Option<String>,
    cluster: Option<String>,
    task_definition: Option<String>,
    external_id: Option<String>,
    network_configuration: Option<Value>,
    load_balancers: Option<Vec<LoadBalancerInput>>,
    launch_type: Option<String>,
    scale: Option<ScaleInput>,
}

/// The value of the required member `member`, as a name or ARN.
fn member(value: Option<&String>, member: &str) -> Result<String, ApiError> {
    required(value.map(String::as_str), member).map(str::to_owned)
}

/// Creates a task set; it is `ACTIVE` (the service's first is `PRIMARY`).
pub fn create(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let cluster_reference = member(request.cluster.as_ref(), "cluster")?;
    let service = member(request.service.as_ref(), "service")?;
    let task_definition = member(request.task_definition.as_ref(), "taskDefinition")?;
    check_launch_type(request.launch_type.as_deref())?;
    let scale_percent = scale_percent(request.scale, Some(100.0))?;
    let balancers = load_balancers(&world.elbv2, request.load_balancers)?;
    let new = NewTaskSet {
        task_definition_arn: task_definition,
        external_id: request.external_id,
        load_balancers: balancers,
        scale_percent,
        launch_type: request.launch_type,
    };
    let id = world.ecs.create_task_set_checked(
        &cluster_reference,
        &service,
        new,
        request.network_configuration,
        context.now,
    )?;
    let found = world
        .ecs
        .service(&cluster_reference, &service)
        .ok_or_else(service_not_found)?;
    let task_set = found
        .task_set(&id)
        .ok_or_else(|| ApiError::internal("The task set just created is missing."))?;
    Ok(json!({ "taskSet": description(task_set, found.desired_count, context.now) }))
}

/// `DescribeTaskSetsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    cluster: Option<String>,
    service: Option<String>,
    task_sets: Option<Vec<String>>,
}

/// Describes a service's task sets, all or by id or ARN; the missing ones
/// are failures.
pub fn describe(state: &EcsState, context: &Context, body: &Value) -> Answer {
    let request: DescribeInput = input(body)?;
    let cluster_reference = member(request.cluster.as_ref(), "cluster")?;
    let found_cluster = cluster(state, Some(&cluster_reference))?;
    let service_reference = member(request.service.as_ref(), "service")?;
    let service = state
        .service(&found_cluster.name, service_name(&service_reference))
        .filter(|service| !service.is_deleted())
        .ok_or_else(service_not_found)?;
    let mut task_sets = Vec::new();
    let mut failures = Vec::new();
    match request.task_sets.filter(|asked| !asked.is_empty()) {
        None => task_sets.extend(
            service
                .task_sets
                .iter()
                .map(|task_set| description(task_set, service.desired_count, context.now)),
        ),
        Some(asked) => {
            for reference in &asked {
                match service.task_set(reference) {
                    Some(task_set) => {
                        task_sets.push(description(task_set, service.desired_count, context.now));
                    }
                    None => failures.push(failure(reference, "MISSING")),
                }
            }
        }
    }
    Ok(json!({ "taskSets": task_sets, "failures": failures }))
}

/// `UpdateTaskSetRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    cluster: Option<String>,
    service: Option<String>,
    task_set: Option<String>,
    scale: Option<ScaleInput>,
}

/// Scales a task set: its tasks start or stop to match at once.
pub fn update(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: UpdateInput = input(body)?;
    let cluster_reference = member(request.cluster.as_ref(), "cluster")?;
    let service = member(request.service.as_ref(), "service")?;
    let task_set = member(request.task_set.as_ref(), "taskSet")?;
    let scale_percent = scale_percent(request.scale, None)?;
    let updated = state.scale_task_set(
        &cluster_reference,
        &service,
        &task_set,
        scale_percent,
        context.now,
    )?;
    let desired = desired_count(state, &cluster_reference, &service);
    Ok(json!({ "taskSet": description(&updated, desired, context.now) }))
}

/// The desired count of the service a request names (0 if it is gone).
fn desired_count(state: &EcsState, cluster: &str, service: &str) -> i64 {
    state
        .service(cluster, service)
        .map_or(0, |service| service.desired_count)
}

/// `UpdateServicePrimaryTaskSetRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrimaryInput {
    cluster: Option<String>,
    service: Option<String>,
    primary_task_set: Option<String>,
}

/// Makes a task set the service's `PRIMARY` one.
pub fn update_primary(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: PrimaryInput = input(body)?;
    let cluster_reference = member(request.cluster.as_ref(), "cluster")?;
    let service = member(request.service.as_ref(), "service")?;
    let task_set = member(request.primary_task_set.as_ref(), "primaryTaskSet")?;
    let primary =
        state.set_primary_task_set_checked(&cluster_reference, &service, &task_set, context.now)?;
    let desired = desired_count(state, &cluster_reference, &service);
    Ok(json!({ "taskSet": description(&primary, desired, context.now) }))
}

/// `DeleteTaskSetRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    cluster: Option<String>,
    service: Option<String>,
    task_set: Option<String>,
    #[serde(default)]
    force: bool,
}

/// Deletes a task set scaled to no tasks (any, with `force`); it is
/// answered `DRAINING` and its tasks stop.
pub fn delete(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: DeleteInput = input(body)?;
    let cluster_reference = member(request.cluster.as_ref(), "cluster")?;
    let service = member(request.service.as_ref(), "service")?;
    let task_set = member(request.task_set.as_ref(), "taskSet")?;
    let desired = desired_count(state, &cluster_reference, &service);
    let mut deleted =
        state.delete_task_set_checked(&cluster_reference, &service, &task_set, request.force)?;
    DRAINING.clone_into(&mut deleted.status);
    deleted.updated = context.now;
    Ok(json!({ "taskSet": description(&deleted, desired, context.now) }))
}
