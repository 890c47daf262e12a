//! Targets: `RegisterTargets`, `DeregisterTargets` and
//! `DescribeTargetHealth`. Targets are EC2 instances of the local cloud,
//! so these operations read EC2's part of the world too.

use serde::Serialize;

use super::common::{Answer, Context, Members, port_param, required};
use super::state::{Target, TargetGroup, TargetHealth, liveness_in};
use super::target_groups::group_param;
use crate::localcloud::ec2::is_instance_id;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;
use crate::localcloud::world::World;

use super::state::Liveness;

/// A target as the request names it: an instance id and maybe a port.
#[derive(Debug, Clone)]
struct Named {
    id: String,
    port: Option<u16>,
}

/// The targets of `Targets.member.N`.
fn targets_param(params: &Params, required_list: bool) -> Result<Vec<Named>, ApiError> {
    let members = params.nested("Targets").members("member")?;
    if members.is_empty() && required_list {
        return Err(super::common::missing("Targets"));
    }
    members
        .iter()
        .map(|member| {
            Ok(Named {
                id: required(member, "Id")?.to_owned(),
                port: port_param(member, "Port")?,
            })
        })
        .collect()
}

/// The error for targets that cannot be used.
fn invalid_target(message: String) -> ApiError {
    ApiError::new("InvalidTarget", message)
}

/// `RegisterTargets`: each target must be an EC2 instance that is not
/// terminated. Nothing is registered unless all can be.
pub fn register(world: &mut World, context: &Context, params: &Params) -> Answer {
    let group = group_param(&world.elbv2, params, "TargetGroupArn")?;
    let arn = group.arn.clone();
    let targets = targets_param(params, true)?;
    let mut checked: Vec<(Named, Liveness)> = Vec::with_capacity(targets.len());
    for target in targets {
        let liveness = liveness_in(&world.ec2, &target.id);
        if !is_instance_id(&target.id) || !world.ec2.instances.contains_key(&target.id) {
            return Err(invalid_target(format!(
                "The following targets are not valid instances: '{}'. Register the ids of EC2 instances of this account, such as i-0123456789abcdef0.",
                target.id
            )));
        }
        if liveness == Liveness::Terminated {
            return Err(invalid_target(format!(
                "The following targets are not in a running state and cannot be registered: '{}'. Register running instances.",
                target.id
            )));
        }
        checked.push((target, liveness));
    }
    for (target, liveness) in checked {
        world
            .elbv2
            .register_instance(&arn, &target.id, target.port, context.now, liveness)
            .map_err(|error| invalid_target(error.to_string()))?;
    }
    Ok(context.respond_empty())
}

/// `DeregisterTargets`: each target must be registered (and not already
/// draining); they drain for the group's deregistration delay.
pub fn deregister(world: &mut World, context: &Context, params: &Params) -> Answer {
    let group = group_param(&world.elbv2, params, "TargetGroupArn")?;
    let arn = group.arn.clone();
    let targets = targets_param(params, true)?;
    for target in &targets {
        let registered = group.targets.iter().any(|known| {
            known.id == target.id
                && target.port.is_none_or(|port| known.port == port)
                && known.draining_until.is_none()
        });
        if !registered {
            return Err(invalid_target(format!(
                "The target '{}' is not registered with the target group {}; check its registrations with DescribeTargetHealth.",
                target.id, group.name
            )));
        }
    }
    for target in targets {
        world
            .elbv2
            .deregister_instance(&arn, &target.id, target.port, context.now)
            .map_err(|error| invalid_target(error.to_string()))?;
    }
    Ok(context.respond_empty())
}

/// A target's health as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescriptionXml {
    target: TargetXml,
    health_check_port: String,
    target_health: HealthXml,
}

/// A target.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetXml {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
}

/// A health state with its reason.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct HealthXml {
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

/// The result of `DescribeTargetHealth`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct HealthResult {
    target_health_descriptions: Members<DescriptionXml>,
}

/// The description of the target `id` on `port` with `health`.
fn description(group: &TargetGroup, id: &str, port: u16, health: &TargetHealth) -> DescriptionXml {
    DescriptionXml {
        target: TargetXml {
            id: id.to_owned(),
            port: Some(port),
        },
        health_check_port: if group.health_check.port == "traffic-port" {
            port.to_string()
        } else {
            group.health_check.port.clone()
        },
        target_health: HealthXml {
            state: health.state.name().to_owned(),
            reason: health.reason.clone(),
            description: health.description.clone(),
        },
    }
}

/// `DescribeTargetHealth`: every registered target, or the targets named,
/// those not registered as `unused` (`Target.NotRegistered`).
pub fn describe_health(world: &World, context: &Context, params: &Params) -> Answer {
    let group = group_param(&world.elbv2, params, "TargetGroupArn")?;
    let named = targets_param(params, false)?;
    let descriptions: Vec<DescriptionXml> = if named.is_empty() {
        group
            .targets
            .iter()
            .map(|target| description(group, &target.id, target.port, &target.health))
            .collect()
    } else {
        let mut found = Vec::new();
        for wanted in &named {
            let registered: Vec<&Target> = group
                .targets
                .iter()
                .filter(|target| {
                    target.id == wanted.id && wanted.port.is_none_or(|port| target.port == port)
                })
                .collect();
            if registered.is_empty() {
                found.push(description(
                    group,
                    &wanted.id,
                    wanted.port.unwrap_or(group.port),
                    &TargetHealth::not_registered(),
                ));
            }
            for target in registered {
                found.push(description(group, &target.id, target.port, &target.health));
            }
        }
        found
    };
    context.respond(&HealthResult {
        target_health_descriptions: descriptions.into_iter().collect(),
    })
}
