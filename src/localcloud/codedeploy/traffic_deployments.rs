//! `CreateDeployment` for the Lambda and ECS compute platforms: the
//! revision's AppSpec (inline `AppSpecContent`, or a YAML or JSON file in
//! S3) read and checked, and what the deployment's traffic moves between
//! worked out from it and the deployment group. The engine then checks the
//! function, alias, service and task definition when the deployment starts
//! and fails it with CodeDeploy's error codes if they do not fit.

use sha2::{Digest, Sha256};

use super::deployment_configs::traffic_routing;
use super::deployment_state::{EcsShift, LambdaShift, Shift, ShiftKind};
use super::shapes::RevisionLocation;
use super::state::DeploymentGroup;
use crate::domain::ComputePlatform;
use crate::domain::appspec::shifting::{parse_ecs, parse_lambda};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::engine::shifting::function_name;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::world::World;

/// `InvalidRevisionException`.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidRevisionException", message)
}

/// The text of a Lambda or ECS revision's AppSpec.
pub fn appspec_text(world: &World, revision: &RevisionLocation) -> Result<String, ApiError> {
    let inline = match revision.revision_type.as_deref() {
        Some("AppSpecContent") => revision.app_spec_content.as_ref(),
        Some("String") => revision.string.as_ref(),
        Some("S3") => {
            let s3 = revision.s3_location.clone().unwrap_or_default();
            let bucket = s3.bucket.unwrap_or_default();
            let key = s3.key.unwrap_or_default();
            let Some(object) = world.s3.object(&bucket, &key) else {
                return Err(invalid(format!(
                    "The AppSpec file s3://{bucket}/{key} does not exist; upload it (bundle type YAML or JSON) or give the AppSpec inline as AppSpecContent."
                )));
            };
            return object.text.clone().ok_or_else(|| {
                invalid(format!(
                    "s3://{bucket}/{key} is not an AppSpec file: a Lambda or ECS revision is the AppSpec itself, a YAML or JSON text file of at most 64 KB, not an archive."
                ))
            });
        }
        _ => {
            return Err(invalid(
                "A Lambda or ECS deployment's revision is its AppSpec: give revisionType AppSpecContent with the text, or S3 with a YAML or JSON AppSpec file.",
            ));
        }
    };
    let content = inline
        .and_then(|inline| inline.content.clone())
        .filter(|content| !content.trim().is_empty())
        .ok_or_else(|| {
            invalid("The revision's appSpecContent needs its content: the AppSpec as YAML or JSON.")
        })?;
    if let Some(expected) = inline.and_then(|inline| inline.sha256.as_deref()) {
        let actual = hex::encode(Sha256::digest(content.as_bytes()));
        if !expected.eq_ignore_ascii_case(&actual) {
            return Err(invalid(format!(
                "The appSpecContent's sha256 {expected} is not the SHA-256 of its content ({actual}); send the content's hash, or leave sha256 out."
            )));
        }
    }
    Ok(content)
}

/// What a deployment of `revision` to `group` (of `platform`, Lambda or
/// ECS) with configuration `config_name` moves.
pub fn shift_for(
    world: &World,
    group: &DeploymentGroup,
    platform: ComputePlatform,
    revision: &RevisionLocation,
    config_name: &str,
    now: Timestamp,
) -> Result<Shift, ApiError> {
    let routing = traffic_routing(&world.codedeploy, config_name, platform)?;
    let text = appspec_text(world, revision)?;
    let (kind, hooks) = if platform == ComputePlatform::Ecs {
        let spec = parse_ecs(&text).map_err(invalid)?;
        (
            ShiftKind::Ecs(Box::new(ecs_shift(group, &spec)?)),
            spec.hooks,
        )
    } else {
        let spec = parse_lambda(&text).map_err(invalid)?;
        let kind = ShiftKind::Lambda(LambdaShift {
            function: function_name(&spec.function).to_owned(),
            alias: spec.alias,
            current_version: spec.current_version,
            target_version: spec.target_version,
        });
        (kind, spec.hooks)
    };
    Ok(Shift {
        routing,
        kind,
        hooks,
        rollback: false,
        step: 0,
        cursor: now,
        traffic_started: None,
        weight: 0.0,
        executions: Vec::new(),
        continued: false,
        next_at: None,
    })
}

/// The `InvalidECSServiceException` of an ECS group without its service.
fn invalid_service(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidECSServiceException", message)
}

/// The service, target groups, listeners and waits of an ECS deployment to
/// `group` of the AppSpec `spec`.
fn ecs_shift(
    group: &DeploymentGroup,
    spec: &crate::domain::appspec::shifting::EcsAppSpec,
) -> Result<EcsShift, ApiError> {
    let service = group.ecs_services.first().ok_or_else(|| {
        invalid_service(
            "The deployment group names no ECS service; update it with ecsServices (serviceName and clusterName).",
        )
    })?;
    let pair = group
        .load_balancer_info
        .as_ref()
        .and_then(|info| info.target_group_pair_info_list.as_ref())
        .and_then(|pairs| pairs.first())
        .ok_or_else(|| {
            ApiError::new(
                "InvalidTargetGroupPairException",
                "The deployment group has no target group pair; an ECS blue/green deployment needs loadBalancerInfo.targetGroupPairInfoList with two target groups and a production listener.",
            )
        })?;
    let names: Vec<String> = pair
        .target_groups
        .iter()
        .flatten()
        .filter_map(|group| group.name.clone())
        .collect();
    let [blue, green] = names.as_slice() else {
        return Err(ApiError::new(
            "InvalidTargetGroupPairException",
            "The deployment group's target group pair needs exactly two target groups.",
        ));
    };
    let listeners = |route: Option<&super::shapes::TrafficRoute>| {
        route
            .and_then(|route| route.listener_arns.clone())
            .unwrap_or_default()
    };
    let blue_green = group.blue_green_deployment_configuration.as_ref();
    let ready_wait_minutes = blue_green
        .and_then(|config| config.deployment_ready_option.as_ref())
        .filter(|option| option.action_on_timeout.as_deref() == Some("STOP_DEPLOYMENT"))
        .map(|option| option.wait_time_in_minutes.unwrap_or(0));
    let termination_wait_minutes = blue_green
        .and_then(|config| {
            config
                .terminate_blue_instances_on_deployment_success
                .as_ref()
        })
        .and_then(|option| option.termination_wait_time_in_minutes)
        .unwrap_or(0);
    Ok(EcsShift {
        cluster: service.cluster_name.clone().unwrap_or_default(),
        service: service.service_name.clone().unwrap_or_default(),
        task_definition: spec.task_definition.clone(),
        container_name: spec.container_name.clone(),
        container_port: spec.container_port,
        blue_target_group: blue.clone(),
        green_target_group: green.clone(),
        prod_listeners: listeners(pair.prod_traffic_route.as_ref()),
        test_listeners: listeners(pair.test_traffic_route.as_ref()),
        ready_wait_minutes,
        termination_wait_minutes,
        blue: None,
        green: None,
    })
}
