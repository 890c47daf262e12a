//! `CreateService`, `DescribeServices`, `ListServices`, `UpdateService` and
//! `DeleteService`. A service under the `CODE_DEPLOY` controller gets its
//! first task set from ECS itself, and CodeDeploy changes its task
//! definition through task sets; one under the `ECS` controller keeps
//! deployments, the newest `PRIMARY`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::clusters::is_resource_name;
use super::common::{
    Answer, Context, LoadBalancerInput, TagInput, check_launch_type, cluster, failure,
    load_balancers, load_balancers_json, page, required, tags, tags_json,
};
use super::state::{
    CONTROLLER_CODE_DEPLOY, CONTROLLER_ECS, CONTROLLER_EXTERNAL, EcsService, EcsState, INACTIVE,
    service_arn, service_name,
};
use super::task_definitions::named;
use super::task_set_state::{NewTaskSet, check_containers, invalid_parameter, service_not_found};
use super::task_sets;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::input;
use crate::localcloud::world::World;

/// A deployment as the API returns it, with its counts at `now`.
fn deployments_json(service: &EcsService, now: Timestamp) -> Value {
    Value::Array(
        service
            .deployments_at(now)
            .into_iter()
            .map(|(deployment, counts)| {
                let (rollout_state, reason) = if counts.steady_since.is_some() {
                    (
                        "COMPLETED",
                        format!("ECS deployment {} completed.", deployment.id),
                    )
                } else {
                    (
                        "IN_PROGRESS",
                        format!("ECS deployment {} in progress.", deployment.id),
                    )
                };
                json!({
                    "id": deployment.id,
                    "status": deployment.status,
                    "taskDefinition": deployment.task_definition,
                    "desiredCount": counts.computed_desired,
                    "pendingCount": counts.pending,
                    "runningCount": counts.running,
                    "failedTasks": 0,
                    "createdAt": deployment.created,
                    "updatedAt": deployment.updated,
                    "launchType": deployment.launch_type,
                    "networkConfiguration": deployment.network_configuration,
                    "rolloutState": rollout_state,
                    "rolloutStateReason": reason,
                })
            })
            .collect(),
    )
}

/// `Service` as the API returns it, with its tasks at `now`.
pub fn description(service: &EcsService, now: Timestamp) -> Value {
    let (pending, running) = service.task_counts(now);
    let mut answer = json!({
        "serviceArn": service.arn,
        "serviceName": service.name,
        "clusterArn": service.cluster_arn,
        "loadBalancers": load_balancers_json(&service.load_balancers),
        "serviceRegistries": [],
        "status": service.status(now),
        "desiredCount": service.desired_count,
        "runningCount": running,
        "pendingCount": pending,
        "launchType": service.launch_type,
        "taskDefinition": service.task_definition,
        "deploymentConfiguration": { "maximumPercent": 200, "minimumHealthyPercent": 100 },
        "deployments": deployments_json(service, now),
        "events": [],
        "createdAt": service.created,
        "placementConstraints": [],
        "placementStrategy": [],
        "networkConfiguration": service.network_configuration,
        "schedulingStrategy": "REPLICA",
        "deploymentController": { "type": service.deployment_controller },
        "enableECSManagedTags": false,
        "propagateTags": "NONE",
        "enableExecuteCommand": false,
    });
    if service.has_task_sets() {
        answer["taskSets"] = Value::Array(
            service
                .task_sets
                .iter()
                .map(|task_set| task_sets::description(task_set, service.desired_count, now))
                .collect(),
        );
    }
    answer
}

/// `DeploymentController`.
#[derive(Debug, Deserialize)]
struct ControllerInput {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `CreateServiceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    cluster: Option<String>,
    service_name: Option<String>,
    task_definition: Option<String>,
    load_balancers: Option<Vec<LoadBalancerInput>>,
    desired_count: Option<i64>,
    launch_type: Option<String>,
    deployment_controller: Option<ControllerInput>,
    network_configuration: Option<Value>,
    tags: Option<Vec<TagInput>>,
}

/// Creates a service; under `CODE_DEPLOY` with its first task set, under
/// `ECS` with its first deployment.
pub fn create(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let state = &world.ecs;
    let found_cluster = cluster(state, request.cluster.as_deref())?.clone();
    let name = required(request.service_name.as_deref(), "serviceName")?.to_owned();
    if !is_resource_name(&name) {
        return Err(invalid_parameter(format!(
            "The service name \"{name}\" is not valid; use up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens."
        )));
    }
    if state
        .service(&found_cluster.name, &name)
        .is_some_and(|existing| existing.status(context.now) != INACTIVE)
    {
        return Err(invalid_parameter("Creation of service was not idempotent."));
    }
    let controller = request
        .deployment_controller
        .and_then(|controller| controller.kind)
        .unwrap_or_else(|| CONTROLLER_ECS.to_owned());
    match controller.as_str() {
        CONTROLLER_ECS | CONTROLLER_CODE_DEPLOY => {}
        CONTROLLER_EXTERNAL => {
            return Err(invalid_parameter(
                "The local cloud's ECS does not support the EXTERNAL deployment controller; use ECS or CODE_DEPLOY.",
            ));
        }
        other => {
            return Err(invalid_parameter(format!(
                "The deployment controller type \"{other}\" is not valid; use ECS or CODE_DEPLOY."
            )));
        }
    }
    // The only scheduling strategy the local cloud has is REPLICA, for
    // which ECS requires the desired count.
    let desired_count = request.desired_count.ok_or_else(|| {
        invalid_parameter(
            "desiredCount is required for a service with the REPLICA scheduling strategy; give the number of tasks to keep running.",
        )
    })?;
    if desired_count < 0 {
        return Err(invalid_parameter(format!(
            "desiredCount must be 0 or more, not {desired_count}."
        )));
    }
    check_launch_type(request.launch_type.as_deref())?;
    let definition = named(state, request.task_definition.as_deref())?.clone();
    if request.launch_type.as_deref() == Some("FARGATE")
        && !definition
            .requires_compatibilities
            .iter()
            .any(|required| required == "FARGATE")
    {
        return Err(invalid_parameter(
            "Task definition does not support launch_type FARGATE.",
        ));
    }
    let balancers = load_balancers(&world.elbv2, request.load_balancers)?;
    check_containers(&definition, &balancers)?;
    let tags = tags(request.tags)?;
    let mut service = EcsService {
        arn: service_arn(&context.region, &found_cluster.name, &name),
        name,
        cluster: found_cluster.name.clone(),
        cluster_arn: found_cluster.arn.clone(),
        desired_count,
        deployment_controller: controller,
        task_definition: definition.arn.clone(),
        load_balancers: balancers.clone(),
        network_configuration: request.network_configuration,
        launch_type: request.launch_type,
        created: context.now,
        deleted: None,
        task_sets: Vec::new(),
        deployments: Vec::new(),
        tags,
    };
    if service.has_task_sets() {
        let first = NewTaskSet {
            task_definition_arn: definition.arn.clone(),
            external_id: None,
            load_balancers: balancers,
            scale_percent: 100.0,
            launch_type: None,
        };
        service.add_task_set(first, None, context.now);
    } else {
        service.deploy(definition.arn.clone(), context.now);
    }
    let answer = json!({ "service": description(&service, context.now) });
    world.ecs.put_service(service);
    Ok(answer)
}

/// `DescribeServicesRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    cluster: Option<String>,
    services: Option<Vec<String>>,
    include: Option<Vec<String>>,
}

/// Describes up to 10 services of a cluster by name or ARN; the missing
/// ones are failures.
pub fn describe(state: &EcsState, context: &Context, body: &Value) -> Answer {
    let request: DescribeInput = input(body)?;
    let found_cluster = cluster(state, request.cluster.as_deref())?;
    let asked = request.services.unwrap_or_default();
    if asked.is_empty() || asked.len() > 10 {
        return Err(invalid_parameter(format!(
            "Give 1 to 10 services to describe, not {}.",
            asked.len()
        )));
    }
    let with_tags = request
        .include
        .unwrap_or_default()
        .iter()
        .any(|include| include == "TAGS");
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for reference in &asked {
        match state.service(&found_cluster.name, reference) {
            Some(service) => {
                let mut answer = description(service, context.now);
                if with_tags {
                    answer["tags"] = tags_json(&service.tags);
                }
                services.push(answer);
            }
            None if reference.starts_with("arn:") => failures.push(failure(reference, "MISSING")),
            None => failures.push(failure(
                &service_arn(
                    &context.region,
                    &found_cluster.name,
                    service_name(reference),
                ),
                "MISSING",
            )),
        }
    }
    Ok(json!({ "services": services, "failures": failures }))
}

/// `ListServicesRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    cluster: Option<String>,
    launch_type: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// Lists the ARNs of a cluster's services that are not deleted.
pub fn list(state: &EcsState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let found_cluster = cluster(state, request.cluster.as_deref())?;
    let items = state
        .services
        .values()
        .filter(|service| service.cluster == found_cluster.name && !service.is_deleted())
        .filter(|service| {
            request
                .launch_type
                .as_ref()
                .is_none_or(|launch_type| service.launch_type.as_ref() == Some(launch_type))
        })
        .map(|service| (service.arn.clone(), service.arn.clone()))
        .collect();
    let page = page(
        &format!("ListServices/{}", found_cluster.name),
        items,
        request.next_token.as_deref(),
        request.max_results,
    )?;
    Ok(json!({ "serviceArns": page.items, "nextToken": page.next_token }))
}

/// The active service a request names, or ECS's error.
fn active_service(
    state: &EcsState,
    cluster_reference: Option<&str>,
    service: Option<&str>,
) -> Result<EcsService, ApiError> {
    let found_cluster = cluster(state, cluster_reference)?;
    let service = required(service, "service")?;
    let found = state
        .service(&found_cluster.name, service)
        .ok_or_else(service_not_found)?;
    if found.is_deleted() {
        return Err(ApiError::new(
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    Ok(found.clone())
}

/// `UpdateServiceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    cluster: Option<String>,
    service: Option<String>,
    desired_count: Option<i64>,
    task_definition: Option<String>,
    #[serde(default)]
    force_new_deployment: bool,
}

/// Changes a service's desired count and, under the `ECS` controller, its
/// task definition (a new deployment). A `CODE_DEPLOY` service's task
/// definition changes only through CodeDeploy.
pub fn update(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: UpdateInput = input(body)?;
    let mut service = active_service(
        state,
        request.cluster.as_deref(),
        request.service.as_deref(),
    )?;
    if let Some(desired_count) = request.desired_count
        && desired_count < 0
    {
        return Err(invalid_parameter(format!(
            "desiredCount must be 0 or more, not {desired_count}."
        )));
    }
    let definition = match request.task_definition.as_deref() {
        Some(_) if service.deployment_controller == CONTROLLER_CODE_DEPLOY => {
            return Err(invalid_parameter(
                "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.",
            ));
        }
        Some(reference) => Some(named(state, Some(reference))?.clone()),
        None => None,
    };
    if let Some(definition) = &definition {
        check_containers(definition, &service.load_balancers)?;
    }
    if let Some(desired_count) = request.desired_count {
        service.set_desired_count(desired_count, context.now);
    }
    if !service.has_task_sets() {
        match definition {
            Some(definition) if definition.arn != service.task_definition => {
                service.deploy(definition.arn, context.now);
            }
            _ if request.force_new_deployment => {
                let current = service.task_definition.clone();
                service.deploy(current, context.now);
            }
            _ => {}
        }
    }
    let answer = json!({ "service": description(&service, context.now) });
    state.put_service(service);
    Ok(answer)
}

/// `DeleteServiceRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteInput {
    cluster: Option<String>,
    service: Option<String>,
    #[serde(default)]
    force: bool,
}

/// Deletes a service: refused while it wants tasks, unless `force`; its
/// tasks stop and it is `DRAINING`, then `INACTIVE`.
pub fn delete(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: DeleteInput = input(body)?;
    let mut service = active_service(
        state,
        request.cluster.as_deref(),
        request.service.as_deref(),
    )?;
    if service.desired_count > 0 && !request.force {
        return Err(invalid_parameter(
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    service.set_desired_count(0, context.now);
    service.deleted = Some(context.now);
    service.task_sets.clear();
    let answer = json!({ "service": description(&service, context.now) });
    state.put_service(service);
    Ok(answer)
}
