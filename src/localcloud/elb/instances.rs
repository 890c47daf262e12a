//! Instances of classic load balancers: `RegisterInstancesWithLoadBalancer`,
//! `DeregisterInstancesFromLoadBalancer` and `DescribeInstanceHealth`.
//! Instances are EC2 instances of the local cloud, so these operations
//! read EC2's part of the world too.

use serde::Serialize;

use super::load_balancers::{InstanceXml, balancer_param};
use super::state::{InstanceHealth, instance_health};
use crate::localcloud::elbv2::common::{Answer, Context, Members, missing, required};
use crate::localcloud::elbv2::{Liveness, liveness_in};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;
use crate::localcloud::world::World;

/// The instance ids of `Instances.member.N.InstanceId`.
fn instances_param(params: &Params) -> Result<Vec<String>, ApiError> {
    params
        .nested("Instances")
        .members("member")?
        .iter()
        .map(|member| required(member, "InstanceId").map(str::to_owned))
        .collect()
}

/// The error for an instance that cannot be used.
fn invalid_instance(message: String) -> ApiError {
    ApiError::new("InvalidInstance", message)
}

/// The result of registering and deregistering: the instances registered
/// afterwards.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstancesResult {
    instances: Members<InstanceXml>,
}

/// The instances registered with the load balancer `name`.
fn registered(world: &World, name: &str) -> Members<InstanceXml> {
    world
        .elb
        .load_balancers
        .get(name)
        .map_or(Members { member: Vec::new() }, |balancer| {
            balancer
                .instances
                .iter()
                .map(|member| InstanceXml {
                    instance_id: member.instance_id.clone(),
                })
                .collect()
        })
}

/// `RegisterInstancesWithLoadBalancer`: each instance must exist in EC2
/// and not be terminated; nothing is registered unless all can be.
pub fn register(world: &mut World, context: &Context, params: &Params) -> Answer {
    let name = balancer_param(&world.elb, params)?.name.clone();
    let ids = instances_param(params)?;
    if ids.is_empty() {
        return Err(missing("Instances"));
    }
    for id in &ids {
        if liveness_in(&world.ec2, id) == Liveness::Terminated {
            return Err(invalid_instance(format!(
                "EC2 instance {id} is not valid: it does not exist or is terminated. Register the ids of running EC2 instances."
            )));
        }
    }
    for id in &ids {
        world
            .elb
            .register_instance(&name, id, context.now)
            .map_err(|error| invalid_instance(error.to_string()))?;
    }
    context.respond(&InstancesResult {
        instances: registered(world, &name),
    })
}

/// `DeregisterInstancesFromLoadBalancer`: each instance must be
/// registered; with connection draining on, they drain for its timeout.
pub fn deregister(world: &mut World, context: &Context, params: &Params) -> Answer {
    let balancer = balancer_param(&world.elb, params)?;
    let name = balancer.name.clone();
    let ids = instances_param(params)?;
    if ids.is_empty() {
        return Err(missing("Instances"));
    }
    for id in &ids {
        if !balancer
            .instances
            .iter()
            .any(|member| member.instance_id == *id)
        {
            return Err(invalid_instance(format!(
                "The instance {id} is not registered with the load balancer {name}; check its instances with DescribeInstanceHealth."
            )));
        }
    }
    for id in &ids {
        world
            .elb
            .deregister_instance(&name, id, context.now)
            .map_err(|error| invalid_instance(error.to_string()))?;
    }
    context.respond(&InstancesResult {
        instances: registered(world, &name),
    })
}

/// An instance's health as the response shows it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceStateXml {
    instance_id: String,
    state: String,
    reason_code: String,
    description: String,
}

/// The result of `DescribeInstanceHealth`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct HealthResult {
    instance_states: Members<InstanceStateXml>,
}

/// `DescribeInstanceHealth`: every registered instance, or the instances
/// named (which must exist in EC2).
pub fn describe_health(world: &World, context: &Context, params: &Params) -> Answer {
    let balancer = balancer_param(&world.elb, params)?;
    let named = instances_param(params)?;
    let ids: Vec<String> = if named.is_empty() {
        balancer
            .instances
            .iter()
            .map(|member| member.instance_id.clone())
            .collect()
    } else {
        if let Some(unknown) = named
            .iter()
            .find(|id| !world.ec2.instances.contains_key(*id))
        {
            return Err(invalid_instance(format!(
                "Could not find EC2 instance {unknown}; check the id with DescribeInstances."
            )));
        }
        named
    };
    let states = ids
        .into_iter()
        .map(|id| {
            let liveness = liveness_in(&world.ec2, &id);
            let health: InstanceHealth = match balancer
                .instances
                .iter()
                .find(|member| member.instance_id == id)
            {
                Some(member) => instance_health(balancer, member, liveness, context.now),
                None if balancer
                    .draining
                    .iter()
                    .any(|(draining, _)| *draining == id) =>
                {
                    InstanceHealth::deregistering()
                }
                None => InstanceHealth::not_registered(),
            };
            InstanceStateXml {
                instance_id: id,
                state: health.state.to_owned(),
                reason_code: health.reason_code.to_owned(),
                description: health.description.to_owned(),
            }
        })
        .collect();
    context.respond(&HealthResult {
        instance_states: states,
    })
}
