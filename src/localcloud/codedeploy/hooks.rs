//! `PutLifecycleEventHookExecutionStatus`: a Lambda or ECS deployment's
//! hook function (or whoever acts for it) reports how its lifecycle event
//! went, with the deployment id and the execution id CodeDeploy passed it.

use serde::Deserialize;
use serde_json::Value;

use super::common::{Answer, Context};
use super::deployment_state::{EventStatus, HookAnswer};
use super::deployments::{deployment, required_deployment_id};
use crate::localcloud::engine;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::input;
use crate::localcloud::world::World;

/// `PutLifecycleEventHookExecutionStatusInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutStatusInput {
    deployment_id: Option<String>,
    lifecycle_event_hook_execution_id: Option<String>,
    status: Option<String>,
}

/// Records the status a hook function reports for its execution; the
/// deployment moves on from it at once.
pub fn put_status(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: PutStatusInput = input(body)?;
    let deployment_id = required_deployment_id(request.deployment_id)?;
    engine::advance(world, context.now, &context.engine);
    let status = match request.status.as_deref() {
        Some(text) => EventStatus::parse(text)
            .filter(|status| matches!(status, EventStatus::Succeeded | EventStatus::Failed))
            .ok_or_else(|| {
                ApiError::new(
                    "InvalidLifecycleEventHookExecutionStatusException",
                    format!(
                        "\"{text}\" cannot be reported for a hook execution; report Succeeded or Failed."
                    ),
                )
            })?,
        None => {
            return Err(ApiError::new(
                "InvalidLifecycleEventHookExecutionStatusException",
                "A status is required: Succeeded or Failed.",
            ));
        }
    };
    let execution_id = request
        .lifecycle_event_hook_execution_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                "InvalidLifecycleEventHookExecutionIdException",
                "A lifecycleEventHookExecutionId is required: the id CodeDeploy passed to the hook function.",
            )
        })?;
    let found = deployment(&world.codedeploy, &deployment_id)?;
    let Some(shift) = found.shift.as_ref() else {
        return Err(ApiError::new(
            "UnsupportedActionForDeploymentTypeException",
            format!(
                "The deployment {deployment_id} deploys to EC2/on-premises instances, whose hooks are scripts the agent runs; only Lambda and ECS deployments have hook executions to report."
            ),
        ));
    };
    let Some(execution) = shift
        .executions
        .iter()
        .find(|execution| execution.id == execution_id)
    else {
        return Err(ApiError::new(
            "InvalidLifecycleEventHookExecutionIdException",
            format!(
                "The lifecycle event hook execution id {execution_id} was not issued for deployment {deployment_id}; report the id CodeDeploy passed to the hook function in its event."
            ),
        ));
    };
    if !execution.open {
        return Err(ApiError::new(
            "LifecycleEventAlreadyCompletedException",
            format!(
                "The {} lifecycle event of deployment {deployment_id} has already completed; its hook execution {execution_id} takes no status now.",
                execution.event
            ),
        ));
    }
    let now = context.now;
    if let Some(execution) = world
        .codedeploy
        .deployments
        .by_id
        .get_mut(&deployment_id)
        .and_then(|deployment| deployment.shift.as_mut())
        .and_then(|shift| {
            shift
                .executions
                .iter_mut()
                .find(|execution| execution.id == execution_id)
        })
    {
        execution.answer = Some(HookAnswer { at: now, status });
    }
    let deployments = &mut world.codedeploy.deployments;
    deployments.next_due = Some(deployments.next_due.map_or(now, |due| due.min(now)));
    engine::advance(world, now, &context.engine);
    Ok(serde_json::json!({ "lifecycleEventHookExecutionId": execution_id }))
}
