//! Groups: `CreateAutoScalingGroup`, `DescribeAutoScalingGroups`,
//! `UpdateAutoScalingGroup`, `SetDesiredCapacity` and
//! `DeleteAutoScalingGroup`.
//!
//! These change what a group wants; the clock launches and terminates its
//! instances (see [`super::state`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{
    Answer, Context, Members, activity_in_progress, already_exists, being_deleted, bool_param,
    check_new_group_name, constraint, group_param, int_at_least, limit_exceeded, member_list,
    member_structs, page, required, resource_in_use, validation,
};
use super::hooks::{MAX_HOOKS, read_hook};
use super::state::{
    AutoScalingState, Group, GroupInstance, GroupTag, LifecycleHook, TemplateRef, new_uuid,
};
use crate::domain::names::{MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::ec2::launch_template_state::{
    DEFAULT, FindTemplate, LaunchTemplateError, TemplateName,
};
use crate::localcloud::ec2::{Ec2State, is_resource_id};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The most groups the account may have.
pub const MAX_GROUPS: usize = 500;
/// The most tags a group may have.
pub const MAX_TAGS: usize = 50;
/// The largest group.
pub const MAX_SIZE: i64 = 1000;
/// The cooldown of a group that names none, in seconds.
pub const DEFAULT_COOLDOWN: i64 = 300;
/// The health check types a group may use.
const HEALTH_CHECK_TYPES: [&str; 4] = ["EC2", "ELB", "VPC_LATTICE", "EBS"];
/// The termination policies AWS knows.
const TERMINATION_POLICIES: [&str; 6] = [
    "Default",
    "OldestInstance",
    "NewestInstance",
    "OldestLaunchConfiguration",
    "ClosestToNextInstanceHour",
    "OldestLaunchTemplate",
];

/// A launch template as a group or an instance shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateXml {
    /// The template's id.
    pub launch_template_id: String,
    /// The template's name.
    pub launch_template_name: String,
    /// The version as given.
    pub version: String,
}

impl From<&TemplateRef> for TemplateXml {
    fn from(reference: &TemplateRef) -> Self {
        Self {
            launch_template_id: reference.id.clone(),
            launch_template_name: reference.name.clone(),
            version: reference.version.clone(),
        }
    }
}

/// An instance as a group shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceXml {
    instance_id: String,
    instance_type: String,
    availability_zone: String,
    lifecycle_state: &'static str,
    health_status: &'static str,
    launch_template: TemplateXml,
    protected_from_scale_in: bool,
}

impl From<&GroupInstance> for InstanceXml {
    fn from(instance: &GroupInstance) -> Self {
        Self {
            instance_id: instance.instance_id.clone(),
            instance_type: instance.instance_type.clone(),
            availability_zone: instance.availability_zone.clone(),
            lifecycle_state: instance.state.name(),
            health_status: "Healthy",
            launch_template: TemplateXml::from(&instance.launch_template),
            protected_from_scale_in: instance.protected_from_scale_in,
        }
    }
}

/// A group's tag as AWS shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagXml {
    resource_id: String,
    resource_type: &'static str,
    key: String,
    value: String,
    propagate_at_launch: bool,
}

/// A group as `DescribeAutoScalingGroups` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupXml {
    auto_scaling_group_name: String,
    #[serde(rename = "AutoScalingGroupARN")]
    auto_scaling_group_arn: String,
    launch_template: TemplateXml,
    min_size: i64,
    max_size: i64,
    desired_capacity: i64,
    default_cooldown: i64,
    availability_zones: Members<String>,
    load_balancer_names: Members<String>,
    #[serde(rename = "TargetGroupARNs")]
    target_group_arns: Members<String>,
    health_check_type: String,
    health_check_grace_period: i64,
    instances: Members<InstanceXml>,
    created_time: String,
    suspended_processes: Members<String>,
    #[serde(rename = "VPCZoneIdentifier", skip_serializing_if = "Option::is_none")]
    vpc_zone_identifier: Option<String>,
    enabled_metrics: Members<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    tags: Members<TagXml>,
    termination_policies: Members<String>,
    new_instances_protected_from_scale_in: bool,
    #[serde(rename = "ServiceLinkedRoleARN")]
    service_linked_role_arn: String,
    capacity_rebalance: bool,
}

impl GroupXml {
    /// `group`, with its instances from `autoscaling`.
    fn new(group: &Group, autoscaling: &AutoScalingState) -> Self {
        Self {
            auto_scaling_group_name: group.name.clone(),
            auto_scaling_group_arn: group.arn(),
            launch_template: TemplateXml::from(&group.launch_template),
            min_size: group.min_size,
            max_size: group.max_size,
            desired_capacity: group.desired_capacity,
            default_cooldown: group.default_cooldown,
            availability_zones: group.availability_zones.iter().cloned().collect(),
            load_balancer_names: group.load_balancer_names.iter().cloned().collect(),
            target_group_arns: group.target_group_arns.iter().cloned().collect(),
            health_check_type: group.health_check_type.clone(),
            health_check_grace_period: group.health_check_grace_period,
            instances: autoscaling
                .group_instances(&group.name)
                .into_iter()
                .map(InstanceXml::from)
                .collect(),
            created_time: group.created.to_iso8601(),
            suspended_processes: Members { member: Vec::new() },
            vpc_zone_identifier: group.vpc_zone_identifier.clone(),
            enabled_metrics: Members { member: Vec::new() },
            status: group.deleting.then_some("Delete in progress"),
            tags: group
                .tags
                .iter()
                .map(|tag| TagXml {
                    resource_id: group.name.clone(),
                    resource_type: "auto-scaling-group",
                    key: tag.key.clone(),
                    value: tag.value.clone(),
                    propagate_at_launch: tag.propagate_at_launch,
                })
                .collect(),
            termination_policies: group.termination_policies.iter().cloned().collect(),
            new_instances_protected_from_scale_in: group.new_instances_protected_from_scale_in,
            service_linked_role_arn: format!(
                "arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
            ),
            capacity_rebalance: false,
        }
    }
}

/// The result of `DescribeAutoScalingGroups`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeGroupsResult {
    auto_scaling_groups: Members<GroupXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// AWS's error for a launch template a group cannot use.
fn template_error(error: &LaunchTemplateError) -> ApiError {
    validation(format!(
        "You must use a valid fully-formed launch template. {error} Create it with CreateLaunchTemplate, or name one that exists."
    ))
}

/// The launch template of `LaunchTemplate.*`, which must exist in EC2, as
/// the group will name it; `None` when the request names none.
fn template_param(params: &Params, ec2: &Ec2State) -> Result<Option<TemplateRef>, ApiError> {
    if !params.has("LaunchTemplate") {
        return Ok(None);
    }
    let spec = params.nested("LaunchTemplate");
    let id = spec.get("LaunchTemplateId").filter(|id| !id.is_empty());
    let name = spec
        .get("LaunchTemplateName")
        .filter(|name| !name.is_empty());
    let named = match (id, name) {
        (Some(_), Some(_)) => {
            return Err(validation(
                "You must specify either a launch template ID or a launch template name in the request, but not both.",
            ));
        }
        (None, None) => {
            return Err(validation(
                "You must specify either a launch template ID or a launch template name in the request (LaunchTemplate.LaunchTemplateId or LaunchTemplate.LaunchTemplateName).",
            ));
        }
        (Some(id), None) => TemplateName::Id(id),
        (None, Some(name)) => TemplateName::Name(name),
    };
    let version = spec.get("Version").filter(|version| !version.is_empty());
    if version.is_some_and(|version| version.chars().count() > 255) {
        return Err(constraint(
            "LaunchTemplate.Version",
            version.unwrap_or_default(),
            "Member must have length less than or equal to 255.",
        ));
    }
    let (template, _) = ec2
        .launch_templates
        .resolve(&named, version)
        .map_err(|error| template_error(&error))?;
    Ok(Some(TemplateRef {
        id: template.id.clone(),
        name: template.name.clone(),
        version: version.unwrap_or(DEFAULT).to_owned(),
    }))
}

/// A group's placement: its zones, and its subnets as given.
type Placement = (Vec<String>, Option<String>);

/// The zones of `AvailabilityZones.member.N` and the subnets of
/// `VPCZoneIdentifier`, checked; `None` when the request gives neither.
/// Subnets are spread over the region's zones in the order given, as the
/// local cloud has no subnets of its own.
fn placement_param(params: &Params, region: &str) -> Result<Option<Placement>, ApiError> {
    let zones = member_list(params, "AvailabilityZones")?;
    let subnets_text = params
        .get("VPCZoneIdentifier")
        .filter(|text| !text.is_empty());
    if zones.is_empty() && subnets_text.is_none() {
        return Ok(None);
    }
    for zone in &zones {
        let suffix = zone.strip_prefix(region).unwrap_or_default();
        if suffix.len() != 1 || !suffix.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(validation(format!(
                "The availability zone {zone} is not in the region {region}; use zones such as {region}a and {region}b."
            )));
        }
    }
    let mut unique_zones: Vec<String> = Vec::new();
    for zone in zones {
        if !unique_zones.contains(&zone) {
            unique_zones.push(zone);
        }
    }
    if let Some(text) = subnets_text {
        if text.chars().count() > 5000 {
            return Err(constraint(
                "VPCZoneIdentifier",
                text,
                "Member must have length less than or equal to 5000.",
            ));
        }
        let subnets: Vec<&str> = text.split(',').map(str::trim).collect();
        if let Some(bad) = subnets
            .iter()
            .find(|subnet| !is_resource_id(subnet, "subnet-"))
        {
            return Err(validation(format!(
                "The subnet ID '{bad}' does not exist; give subnet ids (subnet- and 8 or 17 hexadecimal digits) separated by commas."
            )));
        }
        if unique_zones.is_empty() {
            for position in 0..subnets.len() {
                let letter = char::from(b'a' + u8::try_from(position % 6).unwrap_or(0));
                let zone = format!("{region}{letter}");
                if !unique_zones.contains(&zone) {
                    unique_zones.push(zone);
                }
            }
        }
    }
    Ok(Some((unique_zones, subnets_text.map(str::to_owned))))
}

/// Checks sizes: each from 0, the maximum at most [`MAX_SIZE`], the minimum
/// at most the maximum, and the desired capacity between them.
fn check_sizes(min: i64, max: i64, desired: i64) -> Result<(), ApiError> {
    if max > MAX_SIZE {
        return Err(validation(format!(
            "Max bound, {max}, must be less than or equal to {MAX_SIZE}; give a smaller MaxSize."
        )));
    }
    if max < min {
        return Err(validation(format!(
            "Max bound, {max}, must be greater than or equal to min bound, {min}"
        )));
    }
    if desired < min || desired > max {
        return Err(validation(format!(
            "Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}"
        )));
    }
    Ok(())
}

/// Reads `HealthCheckType`, if given.
fn health_check_type(params: &Params) -> Result<Option<String>, ApiError> {
    let Some(text) = params.get("HealthCheckType") else {
        return Ok(None);
    };
    if text
        .split(',')
        .all(|kind| HEALTH_CHECK_TYPES.contains(&kind.trim()))
    {
        Ok(Some(text.to_owned()))
    } else {
        Err(validation(format!(
            "Health check type {text} is not valid; use EC2 or ELB (or VPC_LATTICE, EBS)."
        )))
    }
}

/// Reads `TerminationPolicies.member.N`, if given.
fn termination_policies(params: &Params) -> Result<Option<Vec<String>>, ApiError> {
    if !params.has("TerminationPolicies") {
        return Ok(None);
    }
    let policies = member_list(params, "TerminationPolicies")?;
    if let Some(bad) = policies.iter().find(|policy| {
        !TERMINATION_POLICIES.contains(&policy.as_str()) && !policy.starts_with("arn:")
    }) {
        return Err(validation(format!(
            "Termination policy {bad} is not valid; use one of {}.",
            TERMINATION_POLICIES.join(", ")
        )));
    }
    Ok(Some(policies))
}

/// Reads `Tags.member.N` for group `group`: at most [`MAX_TAGS`], keys of 1
/// to 128 characters not starting with `aws:` and given once, values of up
/// to 256.
fn tags_param(params: &Params, group: &str) -> Result<Vec<GroupTag>, ApiError> {
    let members = member_structs(params, "Tags")?;
    if members.len() > MAX_TAGS {
        return Err(limit_exceeded(format!(
            "The quota of {MAX_TAGS} tags per Auto Scaling group was exceeded ({} given); give fewer tags.",
            members.len()
        )));
    }
    let mut tags: Vec<GroupTag> = Vec::with_capacity(members.len());
    for member in members {
        let key = required(&member, "Key")?;
        let value = member.get("Value").unwrap_or_default();
        if key.chars().count() > MAX_TAG_KEY_LENGTH {
            return Err(constraint(
                "Tags.member.Key",
                key,
                &format!("Member must have length between 1 and {MAX_TAG_KEY_LENGTH}."),
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_LENGTH {
            return Err(constraint(
                "Tags.member.Value",
                value,
                &format!("Member must have length less than or equal to {MAX_TAG_VALUE_LENGTH}."),
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(validation(format!(
                "Tag keys starting with 'aws:' are reserved for internal use ({key}); choose another key."
            )));
        }
        if let Some(resource_type) = member.get("ResourceType")
            && resource_type != "auto-scaling-group"
        {
            return Err(validation(format!(
                "Tag resource type {resource_type} is not valid; use auto-scaling-group."
            )));
        }
        if let Some(resource_id) = member.get("ResourceId")
            && resource_id != group
        {
            return Err(validation(format!(
                "Tag resource id {resource_id} does not name the group {group}; leave it out or give the group's name."
            )));
        }
        if tags.iter().any(|tag| tag.key == key) {
            return Err(validation(format!(
                "Duplicate tag key {key}; give each key once."
            )));
        }
        tags.push(GroupTag {
            key: key.to_owned(),
            value: value.to_owned(),
            propagate_at_launch: bool_param(&member, "PropagateAtLaunch")?.unwrap_or(false),
        });
    }
    Ok(tags)
}

/// Reads `LifecycleHookSpecificationList.member.N`.
fn hook_specs(params: &Params) -> Result<BTreeMap<String, LifecycleHook>, ApiError> {
    let specs = member_structs(params, "LifecycleHookSpecificationList")?;
    if specs.len() > MAX_HOOKS {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for LifecycleHooksPerAutoScalingGroup: {MAX_HOOKS}; give fewer hooks."
        )));
    }
    let mut hooks = BTreeMap::new();
    for spec in specs {
        let hook = read_hook(&spec, None)?;
        if hooks.contains_key(&hook.name) {
            return Err(validation(format!(
                "Lifecycle hook {} is given twice; give each hook once.",
                hook.name
            )));
        }
        hooks.insert(hook.name.clone(), hook);
    }
    Ok(hooks)
}

/// Reads a list of ARNs or names `name.member.N`, each of at most `max`
/// characters.
fn name_list(params: &Params, name: &str, max: usize) -> Result<Vec<String>, ApiError> {
    let names = member_list(params, name)?;
    if let Some(bad) = names
        .iter()
        .find(|item| item.is_empty() || item.chars().count() > max)
    {
        return Err(constraint(
            &format!("{name}.member"),
            bad,
            &format!("Member must have length between 1 and {max}."),
        ));
    }
    Ok(names)
}

/// `CreateAutoScalingGroup`.
pub fn create(
    autoscaling: &mut AutoScalingState,
    ec2: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let name = required(params, "AutoScalingGroupName")?;
    check_new_group_name(name)?;
    for unsupported in [
        "LaunchConfigurationName",
        "InstanceId",
        "MixedInstancesPolicy",
    ] {
        if params.has(unsupported) {
            return Err(validation(format!(
                "The local cloud launches groups from launch templates only; replace {unsupported} with LaunchTemplate."
            )));
        }
    }
    let min_size =
        int_at_least(params, "MinSize", 0)?.ok_or_else(|| super::common::missing("MinSize"))?;
    let max_size =
        int_at_least(params, "MaxSize", 0)?.ok_or_else(|| super::common::missing("MaxSize"))?;
    let desired_capacity = int_at_least(params, "DesiredCapacity", 0)?.unwrap_or(min_size);
    check_sizes(min_size, max_size, desired_capacity)?;
    let launch_template = template_param(params, ec2)?.ok_or_else(|| {
        validation(
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.",
        )
    })?;
    let (availability_zones, vpc_zone_identifier) = placement_param(params, &context.region)?
        .ok_or_else(|| validation("At least one Availability Zone or VPC Subnet is required."))?;
    let default_cooldown = int_at_least(params, "DefaultCooldown", 0)?.unwrap_or(DEFAULT_COOLDOWN);
    let health_check_grace_period = int_at_least(params, "HealthCheckGracePeriod", 0)?.unwrap_or(0);
    let health_check_type = health_check_type(params)?.unwrap_or_else(|| "EC2".to_owned());
    let termination_policies =
        termination_policies(params)?.unwrap_or_else(|| vec!["Default".to_owned()]);
    let load_balancer_names = name_list(params, "LoadBalancerNames", 255)?;
    let target_group_arns = name_list(params, "TargetGroupARNs", 511)?;
    if let Some(bad) = target_group_arns
        .iter()
        .find(|arn| !arn.starts_with("arn:") || !arn.contains(":targetgroup/"))
    {
        return Err(validation(format!(
            "The target group ARN {bad} is not valid; give ARNs such as arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef."
        )));
    }
    let tags = tags_param(params, name)?;
    let hooks = hook_specs(params)?;
    let new_instances_protected_from_scale_in =
        bool_param(params, "NewInstancesProtectedFromScaleIn")?.unwrap_or(false);
    if autoscaling.groups.contains_key(name) {
        return Err(already_exists(format!(
            "AutoScalingGroup by this name already exists - A group with the name {name} already exists. Choose another name, or change the group with UpdateAutoScalingGroup."
        )));
    }
    if autoscaling.groups.len() >= MAX_GROUPS {
        return Err(limit_exceeded(format!(
            "You have reached your limit of {MAX_GROUPS} Auto Scaling groups; delete a group first."
        )));
    }
    let group = Group {
        name: name.to_owned(),
        region: context.region.clone(),
        id: new_uuid(),
        created: context.now,
        launch_template,
        min_size,
        max_size,
        desired_capacity,
        default_cooldown,
        availability_zones,
        vpc_zone_identifier,
        load_balancer_names,
        target_group_arns,
        health_check_type,
        health_check_grace_period,
        tags,
        termination_policies,
        new_instances_protected_from_scale_in,
        hooks,
        rebalance_at: Some(context.now),
        deleting: false,
        last_cause: format!(
            "a user request created an AutoScalingGroup changing the desired capacity from 0 to {desired_capacity}. At {}",
            context.now.to_iso8601()
        ),
    };
    autoscaling.groups.insert(name.to_owned(), group);
    Ok(context.respond_empty())
}

/// Whether `group` passes every filter of `filters` (`tag:KEY`, `tag-key`,
/// `tag-value`), each `(name, values)`.
fn passes(group: &Group, filters: &[(String, Vec<String>)]) -> bool {
    filters.iter().all(|(name, values)| {
        group.tags.iter().any(|tag| {
            if let Some(key) = name.strip_prefix("tag:") {
                tag.key == key && values.contains(&tag.value)
            } else if name == "tag-key" {
                values.contains(&tag.key)
            } else {
                values.contains(&tag.value)
            }
        })
    })
}

/// `DescribeAutoScalingGroups`: the groups named (all if none), filtered by
/// tags, in pages of `MaxRecords` (at most 100, 50 by default).
pub fn describe(
    autoscaling: &AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let names = member_list(params, "AutoScalingGroupNames")?;
    let mut filters = Vec::new();
    for filter in member_structs(params, "Filters")? {
        let name = required(&filter, "Name")?.to_owned();
        if !(name.starts_with("tag:") || name == "tag-key" || name == "tag-value") {
            return Err(validation(format!(
                "Filter {name} is not valid; use tag:KEY, tag-key or tag-value."
            )));
        }
        filters.push((name, member_list(&filter, "Values")?));
    }
    let groups: Vec<(String, &Group)> = autoscaling
        .groups
        .values()
        .filter(|group| {
            names.is_empty()
                || names
                    .iter()
                    .any(|name| *name == group.name || *name == group.arn())
        })
        .filter(|group| passes(group, &filters))
        .map(|group| (group.name.clone(), group))
        .collect();
    let (groups, next_token) = page("DescribeAutoScalingGroups", groups, params, 100, 50)?;
    context.respond(&DescribeGroupsResult {
        auto_scaling_groups: groups
            .into_iter()
            .map(|group| GroupXml::new(group, autoscaling))
            .collect(),
        next_token,
    })
}

/// `UpdateAutoScalingGroup`: changes what is given. A new minimum above
/// the desired capacity raises it, and a new maximum below it lowers it,
/// as AWS does.
pub fn update(
    autoscaling: &mut AutoScalingState,
    ec2: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let group = group_param(autoscaling, params)?;
    if group.deleting {
        return Err(being_deleted(&group.name));
    }
    let mut changed = group.clone();
    if let Some(template) = template_param(params, ec2)? {
        changed.launch_template = template;
    }
    let min = int_at_least(params, "MinSize", 0)?;
    let max = int_at_least(params, "MaxSize", 0)?;
    let desired = int_at_least(params, "DesiredCapacity", 0)?;
    changed.min_size = min.unwrap_or(group.min_size);
    changed.max_size = max.unwrap_or(group.max_size);
    changed.desired_capacity = match desired {
        Some(desired) => desired,
        None => group
            .desired_capacity
            .max(changed.min_size)
            .min(changed.max_size),
    };
    check_sizes(changed.min_size, changed.max_size, changed.desired_capacity)?;
    if let Some((zones, subnets)) = placement_param(params, &group.region)? {
        changed.availability_zones = zones;
        changed.vpc_zone_identifier = subnets;
    }
    if let Some(cooldown) = int_at_least(params, "DefaultCooldown", 0)? {
        changed.default_cooldown = cooldown;
    }
    if let Some(grace) = int_at_least(params, "HealthCheckGracePeriod", 0)? {
        changed.health_check_grace_period = grace;
    }
    if let Some(kind) = health_check_type(params)? {
        changed.health_check_type = kind;
    }
    if let Some(policies) = termination_policies(params)? {
        changed.termination_policies = policies;
    }
    if let Some(protected) = bool_param(params, "NewInstancesProtectedFromScaleIn")? {
        changed.new_instances_protected_from_scale_in = protected;
    }
    let name = group.name.clone();
    if changed.desired_capacity != group.desired_capacity {
        changed.last_cause = format!(
            "a user request update of AutoScalingGroup constraints to min: {}, max: {}, desired: {} changing the desired capacity from {} to {}. At {}",
            changed.min_size,
            changed.max_size,
            changed.desired_capacity,
            group.desired_capacity,
            changed.desired_capacity,
            context.now.to_iso8601()
        );
    }
    autoscaling.groups.insert(name.clone(), changed);
    autoscaling.request_rebalance(&name, context.now);
    Ok(context.respond_empty())
}

/// `SetDesiredCapacity`: within the group's minimum and maximum.
pub fn set_desired_capacity(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let group = group_param(autoscaling, params)?;
    if group.deleting {
        return Err(being_deleted(&group.name));
    }
    let desired = int_at_least(params, "DesiredCapacity", 0)?
        .ok_or_else(|| super::common::missing("DesiredCapacity"))?;
    bool_param(params, "HonorCooldown")?;
    if desired > group.max_size {
        return Err(validation(format!(
            "New SetDesiredCapacity value {desired} is above max value {} for the AutoScalingGroup. Raise MaxSize with UpdateAutoScalingGroup first.",
            group.max_size
        )));
    }
    if desired < group.min_size {
        return Err(validation(format!(
            "New SetDesiredCapacity value {desired} is below min value {} for the AutoScalingGroup. Lower MinSize with UpdateAutoScalingGroup first.",
            group.min_size
        )));
    }
    let name = group.name.clone();
    let previous = group.desired_capacity;
    if let Some(group) = autoscaling.groups.get_mut(&name) {
        group.desired_capacity = desired;
        if desired != previous {
            group.last_cause = format!(
                "a user request explicitly set group desired capacity changing the desired capacity from {previous} to {desired}. At {}",
                context.now.to_iso8601()
            );
        }
    }
    autoscaling.request_rebalance(&name, context.now);
    Ok(context.respond_empty())
}

/// `DeleteAutoScalingGroup`: an empty group goes at once; one with
/// instances is refused (`ScalingActivityInProgress` while some launch or
/// terminate, `ResourceInUse` otherwise) unless `ForceDelete`, which
/// terminates them and deletes the group when the last is gone.
pub fn delete(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let group = group_param(autoscaling, params)?;
    let name = group.name.clone();
    let force = bool_param(params, "ForceDelete")?.unwrap_or(false);
    let has_instances = !autoscaling.group_instances(&name).is_empty();
    if has_instances && !force {
        if autoscaling.activity_in_progress(&name) {
            return Err(activity_in_progress(
                "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group. Wait for them to end, or give ForceDelete.",
            ));
        }
        return Err(resource_in_use(
            "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group. Set its desired capacity to 0 first, or give ForceDelete.",
        ));
    }
    autoscaling.delete_group(&name, context.now);
    Ok(context.respond_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_with_awss_messages() {
        assert!(check_sizes(0, 0, 0).is_ok());
        assert!(check_sizes(1, 3, 2).is_ok());
        assert!(
            check_sizes(2, 1, 1)
                .unwrap_err()
                .message
                .starts_with("Max bound, 1, must be greater than or equal to min bound, 2")
        );
        assert!(check_sizes(1, 3, 5).unwrap_err().message.starts_with(
            "Desired capacity:5 must be between the specified min size:1 and max size:3"
        ));
        assert!(check_sizes(0, MAX_SIZE + 1, 0).is_err());
    }

    #[test]
    fn subnets_are_spread_over_zones() {
        let params = Params::from_pairs([(
            "VPCZoneIdentifier",
            "subnet-0123abcd,subnet-0123abce, subnet-0123abcf",
        )]);
        let (zones, subnets) = placement_param(&params, "eu-west-1").unwrap().unwrap();
        assert_eq!(zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        assert!(subnets.is_some());
        let bad = Params::from_pairs([("AvailabilityZones.member.1", "us-east-1a")]);
        assert!(placement_param(&bad, "eu-west-1").is_err());
        assert!(
            placement_param(&Params::default(), "eu-west-1")
                .unwrap()
                .is_none()
        );
    }
}
