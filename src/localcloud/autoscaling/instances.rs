//! A group's instances: `DescribeAutoScalingInstances` and
//! `TerminateInstanceInAutoScalingGroup`.

use serde::Serialize;

use super::activities::ActivityXml;
use super::common::{
    Answer, Context, Members, bool_param, constraint, member_list, page, required, validation,
};
use super::groups::TemplateXml;
use super::state::{AutoScalingState, GroupInstance, LifecycleState};
use crate::localcloud::ec2::Ec2State;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The most instance ids `DescribeAutoScalingInstances` takes.
pub const MAX_INSTANCE_IDS: usize = 50;

/// An instance as `DescribeAutoScalingInstances` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceDetailsXml {
    instance_id: String,
    instance_type: String,
    auto_scaling_group_name: String,
    availability_zone: String,
    lifecycle_state: &'static str,
    health_status: &'static str,
    launch_template: TemplateXml,
    protected_from_scale_in: bool,
}

/// The result of `DescribeAutoScalingInstances`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeInstancesResult {
    auto_scaling_instances: Members<InstanceDetailsXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Checks an instance id given in `param`: 1 to 19 characters.
fn check_instance_id(param: &str, instance_id: &str) -> Result<(), ApiError> {
    if instance_id.is_empty() || instance_id.chars().count() > 19 {
        return Err(constraint(
            param,
            instance_id,
            "Member must have length between 1 and 19 (an id such as i-0123456789abcdef0).",
        ));
    }
    Ok(())
}

/// `DescribeAutoScalingInstances`: the instances named (all if none), in
/// pages of `MaxRecords` (at most 50).
pub fn describe(
    autoscaling: &AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let ids = member_list(params, "InstanceIds")?;
    if ids.len() > MAX_INSTANCE_IDS {
        return Err(validation(format!(
            "The number of instance ids that may be passed in is limited to {MAX_INSTANCE_IDS}; ask in batches."
        )));
    }
    for id in &ids {
        check_instance_id("InstanceIds.member", id)?;
    }
    let instances: Vec<(String, &GroupInstance)> = autoscaling
        .instances
        .values()
        .filter(|instance| ids.is_empty() || ids.contains(&instance.instance_id))
        .map(|instance| (instance.instance_id.clone(), instance))
        .collect();
    let (instances, next_token) = page("DescribeAutoScalingInstances", instances, params, 50, 50)?;
    context.respond(&DescribeInstancesResult {
        auto_scaling_instances: instances
            .into_iter()
            .map(|instance| InstanceDetailsXml {
                instance_id: instance.instance_id.clone(),
                instance_type: instance.instance_type.clone(),
                auto_scaling_group_name: instance.group.clone(),
                availability_zone: instance.availability_zone.clone(),
                lifecycle_state: instance.state.name(),
                health_status: "HEALTHY",
                launch_template: TemplateXml::from(&instance.launch_template),
                protected_from_scale_in: instance.protected_from_scale_in,
            })
            .collect(),
        next_token,
    })
}

/// The result of `TerminateInstanceInAutoScalingGroup`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TerminateResult {
    activity: ActivityXml,
}

/// `TerminateInstanceInAutoScalingGroup`: terminates an instance of a
/// group, lowering the desired capacity (`ShouldDecrementDesiredCapacity`)
/// or letting the group launch a replacement.
pub fn terminate(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let instance_id = required(params, "InstanceId")?;
    check_instance_id("InstanceId", instance_id)?;
    let decrement = bool_param(params, "ShouldDecrementDesiredCapacity")?
        .ok_or_else(|| super::common::missing("ShouldDecrementDesiredCapacity"))?;
    let instance = autoscaling.instances.get(instance_id).ok_or_else(|| {
        validation(format!(
            "Instance Id not found - No managed instance found for instance ID: {instance_id}. List a group's instances with DescribeAutoScalingInstances."
        ))
    })?;
    if !instance.state.counts() {
        return Err(validation(format!(
            "The instance {instance_id} is already being terminated ({}).",
            instance.state.name()
        )));
    }
    let group_name = instance.group.clone();
    let group = autoscaling
        .groups
        .get(&group_name)
        .ok_or_else(|| super::common::no_such_group(&group_name))?;
    let previous = group.desired_capacity;
    if decrement && previous <= group.min_size {
        return Err(validation(format!(
            "Currently, desiredSize equals minSize ({}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
            group.min_size
        )));
    }
    let cause = if decrement {
        if let Some(group) = autoscaling.groups.get_mut(&group_name) {
            group.desired_capacity = previous - 1;
        }
        format!(
            "instance {instance_id} was taken out of service in response to a user request, shrinking the capacity from {previous} to {}.",
            previous - 1
        )
    } else {
        format!("instance {instance_id} was taken out of service in response to a user request.")
    };
    autoscaling.set_state(instance_id, LifecycleState::Terminating, context.now);
    autoscaling
        .actions
        .retain(|_, action| action.instance_id != instance_id);
    let activity_id = autoscaling
        .start_activity_on(instance_id, "Terminating", &cause, context.now)
        .unwrap_or_default();
    let activity = autoscaling
        .activities
        .get(&activity_id)
        .ok_or_else(|| validation("The termination could not be recorded; try again."))?;
    context.respond(&TerminateResult {
        activity: ActivityXml::new(activity, autoscaling),
    })
}
