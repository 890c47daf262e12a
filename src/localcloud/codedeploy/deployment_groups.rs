//! `CreateDeploymentGroup`, `GetDeploymentGroup`, `BatchGetDeploymentGroups`,
//! `ListDeploymentGroups`, `UpdateDeploymentGroup` and `DeleteDeploymentGroup`.
//!
//! Every member a client can set is checked and stored as given, and comes
//! back unchanged, even where nothing in the local cloud acts on it yet
//! (alarms, triggers, load balancers, blue/green options).
//!
//! The Auto Scaling groups a group names must exist, and its service role
//! must let CodeDeploy act on them. CodeDeploy installs its launch hook in
//! each (see [`crate::localcloud::engine::autoscaling`]), reports it in
//! `autoScalingGroups[].hook`, and removes it when the group stops naming
//! the Auto Scaling group or is deleted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::common::{
    Answer, Context, application, application_mut, checked_tags, found_and_missing, one_of,
    required_name, required_names,
};
use super::deployment_configs;
use super::deployment_state::LastDeploymentInfo;
use super::errors::no_such_group;
use super::shapes::{
    AlarmConfiguration, AutoRollbackConfiguration, BlueGreenDeploymentConfiguration,
    DeploymentStyle, Ec2TagSet, EcsService, LoadBalancerInfo, OnPremisesTagSet, RevisionLocation,
    Tag, TagFilter, TriggerConfig,
};
use super::state::{Application, CodeDeployState, DeploymentGroup};
use crate::domain::ComputePlatform;
use crate::domain::group_spec::{
    MAX_ALARMS, MAX_BLUE_GREEN_WAIT_MINUTES, MAX_TRIGGERS, TRIGGER_EVENTS, is_topic_arn,
};
use crate::domain::iam_names::parse_role_arn;
use crate::domain::names::{self, MAX_TAGS_PER_RESOURCE, NameKind};
use crate::domain::tags::MAX_TAG_SET_GROUPS;
use crate::localcloud::engine::autoscaling as engine_autoscaling;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{input, output};
use crate::localcloud::protocol::paging::{self, PAGE_SIZE};
use crate::localcloud::world::World;

/// The most deployment groups `BatchGetDeploymentGroups` takes at once.
pub const BATCH_LIMIT: usize = 100;
/// The longest alarm name.
pub const MAX_ALARM_NAME_LENGTH: usize = 255;

/// The automatic rollback events the API knows.
const ROLLBACK_EVENTS: [&str; 3] = [
    "DEPLOYMENT_FAILURE",
    "DEPLOYMENT_STOP_ON_ALARM",
    "DEPLOYMENT_STOP_ON_REQUEST",
];

/// The members of a deployment group that create and update both take.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    deployment_config_name: Option<String>,
    ec2_tag_filters: Option<Vec<TagFilter>>,
    on_premises_instance_tag_filters: Option<Vec<TagFilter>>,
    auto_scaling_groups: Option<Vec<String>>,
    service_role_arn: Option<String>,
    trigger_configurations: Option<Vec<TriggerConfig>>,
    alarm_configuration: Option<AlarmConfiguration>,
    auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    outdated_instances_strategy: Option<String>,
    deployment_style: Option<DeploymentStyle>,
    blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    load_balancer_info: Option<LoadBalancerInfo>,
    ec2_tag_set: Option<Ec2TagSet>,
    ecs_services: Option<Vec<EcsService>>,
    on_premises_tag_set: Option<OnPremisesTagSet>,
    termination_hook_enabled: Option<bool>,
}

/// `DeploymentGroupInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentGroupInfo<'a> {
    application_name: &'a str,
    deployment_group_id: &'a str,
    deployment_group_name: &'a str,
    deployment_config_name: &'a str,
    ec2_tag_filters: &'a [TagFilter],
    on_premises_instance_tag_filters: &'a [TagFilter],
    auto_scaling_groups: Vec<AutoScalingGroupInfo<'a>>,
    service_role_arn: &'a str,
    trigger_configurations: &'a [TriggerConfig],
    alarm_configuration: &'a AlarmConfiguration,
    auto_rollback_configuration: Option<&'a AutoRollbackConfiguration>,
    deployment_style: &'a DeploymentStyle,
    outdated_instances_strategy: &'a str,
    blue_green_deployment_configuration: Option<&'a BlueGreenDeploymentConfiguration>,
    load_balancer_info: Option<&'a LoadBalancerInfo>,
    ec2_tag_set: Option<&'a Ec2TagSet>,
    on_premises_tag_set: Option<&'a OnPremisesTagSet>,
    compute_platform: &'a str,
    ecs_services: &'a [EcsService],
    termination_hook_enabled: bool,
    target_revision: Option<&'a RevisionLocation>,
    last_successful_deployment: Option<&'a LastDeploymentInfo>,
    last_attempted_deployment: Option<&'a LastDeploymentInfo>,
}

impl<'a> DeploymentGroupInfo<'a> {
    /// The API's view of `group` in `application`.
    fn of(application: &'a Application, group: &'a DeploymentGroup) -> Self {
        Self {
            application_name: &application.name,
            deployment_group_id: &group.id,
            deployment_group_name: &group.name,
            deployment_config_name: &group.deployment_config_name,
            ec2_tag_filters: &group.ec2_tag_filters,
            on_premises_instance_tag_filters: &group.on_premises_instance_tag_filters,
            auto_scaling_groups: group
                .auto_scaling_groups
                .iter()
                .map(|name| AutoScalingGroupInfo {
                    name,
                    hook: group.auto_scaling_hooks.get(name).map(String::as_str),
                })
                .collect(),
            service_role_arn: &group.service_role_arn,
            trigger_configurations: &group.trigger_configurations,
            alarm_configuration: &group.alarm_configuration,
            auto_rollback_configuration: group.auto_rollback_configuration.as_ref(),
            deployment_style: &group.deployment_style,
            outdated_instances_strategy: &group.outdated_instances_strategy,
            blue_green_deployment_configuration: group.blue_green_deployment_configuration.as_ref(),
            load_balancer_info: group.load_balancer_info.as_ref(),
            ec2_tag_set: group.ec2_tag_set.as_ref(),
            on_premises_tag_set: group.on_premises_tag_set.as_ref(),
            compute_platform: &application.compute_platform,
            ecs_services: &group.ecs_services,
            termination_hook_enabled: group.termination_hook_enabled,
            target_revision: group.target_revision.as_ref(),
            last_successful_deployment: group.last_successful_deployment.as_ref(),
            last_attempted_deployment: group.last_attempted_deployment.as_ref(),
        }
    }
}

/// `AutoScalingGroup`: an Auto Scaling group a deployment group names, with
/// the launch hook CodeDeploy installed in it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AutoScalingGroupInfo<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hook: Option<&'a str>,
}

/// `hooksNotCleanedUp`: the launch hooks that could not be removed.
fn not_cleaned_up(hooks: &[(String, String)]) -> Value {
    hooks
        .iter()
        .map(|(name, hook)| serde_json::json!({ "name": name, "hook": hook }))
        .collect()
}

/// A new group of an application on `platform`, with CodeDeploy's defaults.
fn new_group(name: String, platform: &str, service_role_arn: String) -> DeploymentGroup {
    let traffic_platform = platform != ComputePlatform::Server.as_str();
    DeploymentGroup {
        id: Uuid::new_v4().to_string(),
        name,
        deployment_config_name: deployment_configs::default_for_platform(platform).to_owned(),
        ec2_tag_filters: Vec::new(),
        on_premises_instance_tag_filters: Vec::new(),
        auto_scaling_groups: Vec::new(),
        auto_scaling_hooks: BTreeMap::new(),
        service_role_arn,
        trigger_configurations: Vec::new(),
        alarm_configuration: AlarmConfiguration {
            enabled: Some(false),
            ignore_poll_alarm_failure: Some(false),
            alarms: Some(Vec::new()),
        },
        auto_rollback_configuration: None,
        deployment_style: DeploymentStyle {
            deployment_type: Some(
                if traffic_platform {
                    "BLUE_GREEN"
                } else {
                    "IN_PLACE"
                }
                .to_owned(),
            ),
            deployment_option: Some(
                if traffic_platform {
                    "WITH_TRAFFIC_CONTROL"
                } else {
                    "WITHOUT_TRAFFIC_CONTROL"
                }
                .to_owned(),
            ),
        },
        outdated_instances_strategy: "UPDATE".to_owned(),
        blue_green_deployment_configuration: None,
        load_balancer_info: None,
        ec2_tag_set: None,
        on_premises_tag_set: None,
        ecs_services: Vec::new(),
        termination_hook_enabled: false,
        tags: Vec::new(),
        target_revision: None,
        last_successful_deployment: None,
        last_attempted_deployment: None,
        instance_health: BTreeMap::new(),
        last_installs: BTreeMap::new(),
    }
}

/// Checks a list of tag filters; failures use the exception `code`.
pub fn check_filters(filters: &[TagFilter], code: &'static str) -> Result<(), ApiError> {
    for filter in filters {
        names::validate_tag_filter(
            filter.key.as_deref(),
            filter.value.as_deref(),
            filter.filter_type.as_deref(),
        )
        .map_err(|error| ApiError::new(code, error.to_string()))?;
    }
    Ok(())
}

/// Checks the groups of a tag set: at most three, each filter valid.
pub fn check_tag_set(groups: &[Vec<TagFilter>], code: &'static str) -> Result<(), ApiError> {
    if groups.len() > MAX_TAG_SET_GROUPS {
        return Err(ApiError::new(
            "TagSetListLimitExceededException",
            format!(
                "The tag set has {} tag groups but at most {MAX_TAG_SET_GROUPS} are allowed; merge or remove groups.",
                groups.len()
            ),
        ));
    }
    groups
        .iter()
        .try_for_each(|group| check_filters(group, code))
}

/// Checks a service role ARN by IAM's rules for role ARNs.
fn check_role(arn: &str) -> Result<(), ApiError> {
    parse_role_arn(arn).map(|_| ()).map_err(|error| {
        ApiError::new(
            "InvalidRoleException",
            format!("The service role ARN was specified in an invalid format. {error}"),
        )
    })
}

/// Checks the triggers.
fn check_triggers(triggers: &[TriggerConfig]) -> Result<(), ApiError> {
    if triggers.len() > MAX_TRIGGERS {
        return Err(ApiError::new(
            "TriggerTargetsLimitExceededException",
            format!(
                "{} triggers were given but a deployment group can have at most {MAX_TRIGGERS}.",
                triggers.len()
            ),
        ));
    }
    let invalid = |message: String| ApiError::new("InvalidTriggerConfigException", message);
    let mut seen: Vec<&str> = Vec::new();
    for trigger in triggers {
        let name = trigger
            .trigger_name
            .as_deref()
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid("Every trigger needs a triggerName.".to_owned()))?;
        if seen.contains(&name) {
            return Err(invalid(format!(
                "The trigger name \"{name}\" is used twice; give each trigger its own name."
            )));
        }
        seen.push(name);
        if trigger
            .trigger_target_arn
            .as_deref()
            .is_none_or(|arn| !is_topic_arn(arn))
        {
            return Err(invalid(format!(
                "The trigger \"{name}\" needs a triggerTargetArn: the ARN of an SNS topic, such as arn:aws:sns:us-east-1:123456789012:deployments."
            )));
        }
        for event in trigger.trigger_events.iter().flatten() {
            one_of(
                event,
                &TRIGGER_EVENTS,
                "trigger event",
                "InvalidTriggerConfigException",
            )?;
        }
    }
    Ok(())
}

/// Checks the alarm configuration.
fn check_alarms(config: &AlarmConfiguration) -> Result<(), ApiError> {
    let alarms = config.alarms.as_deref().unwrap_or_default();
    if alarms.len() > MAX_ALARMS {
        return Err(ApiError::new(
            "AlarmsLimitExceededException",
            format!(
                "{} alarms were given but a deployment group can watch at most {MAX_ALARMS}.",
                alarms.len()
            ),
        ));
    }
    let invalid = |message: String| ApiError::new("InvalidAlarmConfigException", message);
    let mut seen: Vec<&str> = Vec::new();
    for alarm in alarms {
        let name = alarm.name.as_deref().unwrap_or_default();
        if name.is_empty() || name.chars().count() > MAX_ALARM_NAME_LENGTH {
            return Err(invalid(format!(
                "Every alarm needs a name of 1 to {MAX_ALARM_NAME_LENGTH} characters."
            )));
        }
        if seen.contains(&name) {
            return Err(invalid(format!(
                "The alarm \"{name}\" is listed twice; list each alarm once."
            )));
        }
        seen.push(name);
    }
    if config.enabled == Some(true) && alarms.is_empty() {
        return Err(invalid(
            "The alarm configuration is enabled but lists no alarms; add alarms or disable it."
                .to_owned(),
        ));
    }
    Ok(())
}

/// Checks the automatic rollback configuration.
pub fn check_rollback(config: &AutoRollbackConfiguration) -> Result<(), ApiError> {
    let events = config.events.as_deref().unwrap_or_default();
    for event in events {
        one_of(
            event,
            &ROLLBACK_EVENTS,
            "automatic rollback event",
            "InvalidAutoRollbackConfigException",
        )?;
    }
    if config.enabled == Some(true) && events.is_empty() {
        return Err(ApiError::new(
            "InvalidAutoRollbackConfigException",
            "Automatic rollback is enabled but lists no events; add DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM or DEPLOYMENT_STOP_ON_REQUEST, or disable it.",
        ));
    }
    Ok(())
}

/// Checks the deployment style against the compute platform.
fn check_style(style: &DeploymentStyle, platform: &str) -> Result<(), ApiError> {
    const CODE: &str = "InvalidDeploymentStyleException";
    if let Some(kind) = &style.deployment_type {
        one_of(kind, &["IN_PLACE", "BLUE_GREEN"], "deployment type", CODE)?;
    }
    if let Some(option) = &style.deployment_option {
        one_of(
            option,
            &["WITH_TRAFFIC_CONTROL", "WITHOUT_TRAFFIC_CONTROL"],
            "deployment option",
            CODE,
        )?;
    }
    if platform != ComputePlatform::Server.as_str()
        && (style.deployment_type.as_deref() != Some("BLUE_GREEN")
            || style.deployment_option.as_deref() != Some("WITH_TRAFFIC_CONTROL"))
    {
        return Err(ApiError::new(
            CODE,
            format!(
                "{platform} deployment groups deploy blue/green with traffic control; use deploymentType BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL."
            ),
        ));
    }
    Ok(())
}

/// Checks the blue/green options.
fn check_blue_green(config: &BlueGreenDeploymentConfiguration) -> Result<(), ApiError> {
    const CODE: &str = "InvalidBlueGreenDeploymentConfigurationException";
    let check_wait = |member: &str, minutes: Option<i64>| match minutes {
        Some(minutes) if !(0..=i64::from(MAX_BLUE_GREEN_WAIT_MINUTES)).contains(&minutes) => {
            Err(ApiError::new(
                CODE,
                format!(
                    "{member} must be between 0 and {MAX_BLUE_GREEN_WAIT_MINUTES} minutes (got {minutes})."
                ),
            ))
        }
        _ => Ok(()),
    };
    if let Some(termination) = &config.terminate_blue_instances_on_deployment_success {
        if let Some(action) = &termination.action {
            one_of(
                action,
                &["TERMINATE", "KEEP_ALIVE"],
                "instance action",
                CODE,
            )?;
        }
        check_wait(
            "terminationWaitTimeInMinutes",
            termination.termination_wait_time_in_minutes,
        )?;
    }
    if let Some(ready) = &config.deployment_ready_option {
        if let Some(action) = &ready.action_on_timeout {
            one_of(
                action,
                &["CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"],
                "deployment ready action",
                CODE,
            )?;
        }
        check_wait("waitTimeInMinutes", ready.wait_time_in_minutes)?;
    }
    if let Some(action) = config
        .green_fleet_provisioning_option
        .as_ref()
        .and_then(|option| option.action.as_ref())
    {
        one_of(
            action,
            &["DISCOVER_EXISTING", "COPY_AUTO_SCALING_GROUP"],
            "green fleet provisioning action",
            CODE,
        )?;
    }
    Ok(())
}

/// Checks the load balancer names.
fn check_load_balancer(info: &LoadBalancerInfo) -> Result<(), ApiError> {
    let pair_groups = info
        .target_group_pair_info_list
        .iter()
        .flatten()
        .flat_map(|pair| pair.target_groups.iter().flatten());
    let unnamed = info
        .elb_info_list
        .iter()
        .flatten()
        .chain(info.target_group_info_list.iter().flatten())
        .chain(pair_groups)
        .any(|item| item.name.as_deref().is_none_or(str::is_empty));
    if unnamed {
        return Err(ApiError::new(
            "InvalidLoadBalancerInfoException",
            "Every load balancer and target group in loadBalancerInfo needs a name.",
        ));
    }
    Ok(())
}

/// Whether the load balancer info names at least one load balancer.
fn names_a_load_balancer(info: Option<&LoadBalancerInfo>) -> bool {
    info.is_some_and(|info| {
        [
            info.elb_info_list.as_ref().map(Vec::len),
            info.target_group_info_list.as_ref().map(Vec::len),
            info.target_group_pair_info_list.as_ref().map(Vec::len),
        ]
        .into_iter()
        .flatten()
        .any(|count| count > 0)
    })
}

/// Checks the ECS services against the platform.
fn check_ecs_services(services: &[EcsService], platform: &str) -> Result<(), ApiError> {
    const CODE: &str = "InvalidECSServiceException";
    if !services.is_empty() && platform != ComputePlatform::Ecs.as_str() {
        return Err(ApiError::new(
            CODE,
            format!("Only ECS deployment groups take ecsServices, not {platform} ones."),
        ));
    }
    let incomplete = services.iter().any(|service| {
        service.service_name.as_deref().is_none_or(str::is_empty)
            || service.cluster_name.as_deref().is_none_or(str::is_empty)
    });
    if incomplete {
        return Err(ApiError::new(
            CODE,
            "Every ECS service needs both a serviceName and a clusterName.",
        ));
    }
    Ok(())
}

/// Applies `settings` to `group` of an application on `platform`, checking
/// each member and the group as a whole. The group is changed only if all
/// checks pass.
fn apply(
    state: &CodeDeployState,
    group: &mut DeploymentGroup,
    settings: Settings,
    platform: &str,
) -> Result<(), ApiError> {
    let mut updated = group.clone();
    if let Some(name) = settings.deployment_config_name {
        let name = required_name(NameKind::DeploymentConfig, Some(name))?;
        let config_platform = deployment_configs::platform_of(state, &name)?;
        if config_platform != platform {
            return Err(ApiError::new(
                "InvalidDeploymentConfigNameException",
                format!(
                    "The deployment configuration \"{name}\" is for the {config_platform} compute platform but this application is {platform}; choose a {platform} configuration."
                ),
            ));
        }
        updated.deployment_config_name = name;
    }
    if let Some(filters) = settings.ec2_tag_filters {
        check_filters(&filters, "InvalidEC2TagException")?;
        updated.ec2_tag_filters = filters;
    }
    if let Some(filters) = settings.on_premises_instance_tag_filters {
        check_filters(&filters, "InvalidTagException")?;
        updated.on_premises_instance_tag_filters = filters;
    }
    if let Some(set) = settings.ec2_tag_set {
        check_tag_set(
            set.ec2_tag_set_list.as_deref().unwrap_or_default(),
            "InvalidEC2TagException",
        )?;
        updated.ec2_tag_set = Some(set);
    }
    if let Some(set) = settings.on_premises_tag_set {
        check_tag_set(
            set.on_premises_tag_set_list.as_deref().unwrap_or_default(),
            "InvalidTagException",
        )?;
        updated.on_premises_tag_set = Some(set);
    }
    if let Some(groups) = settings.auto_scaling_groups {
        if groups.iter().any(String::is_empty) {
            return Err(ApiError::new(
                "InvalidAutoScalingGroupException",
                "An Auto Scaling group name is empty; give each group's name.",
            ));
        }
        updated.auto_scaling_groups = groups;
    }
    if let Some(arn) = settings.service_role_arn {
        check_role(&arn)?;
        updated.service_role_arn = arn;
    }
    if let Some(triggers) = settings.trigger_configurations {
        check_triggers(&triggers)?;
        updated.trigger_configurations = triggers;
    }
    if let Some(alarms) = settings.alarm_configuration {
        check_alarms(&alarms)?;
        updated.alarm_configuration = alarms;
    }
    if let Some(rollback) = settings.auto_rollback_configuration {
        check_rollback(&rollback)?;
        updated.auto_rollback_configuration = Some(rollback);
    }
    if let Some(strategy) = settings.outdated_instances_strategy {
        one_of(
            &strategy,
            &["UPDATE", "IGNORE"],
            "outdated instances strategy",
            "ValidationException",
        )?;
        updated.outdated_instances_strategy = strategy;
    }
    if let Some(style) = settings.deployment_style {
        updated.deployment_style = style;
    }
    if let Some(blue_green) = settings.blue_green_deployment_configuration {
        check_blue_green(&blue_green)?;
        updated.blue_green_deployment_configuration = Some(blue_green);
    }
    if let Some(load_balancer) = settings.load_balancer_info {
        check_load_balancer(&load_balancer)?;
        updated.load_balancer_info = Some(load_balancer);
    }
    if let Some(services) = settings.ecs_services {
        updated.ecs_services = services;
    }
    if let Some(enabled) = settings.termination_hook_enabled {
        updated.termination_hook_enabled = enabled;
    }
    check_whole_group(&updated, platform)?;
    *group = updated;
    Ok(())
}

/// Checks the rules that tie members of a group together.
fn check_whole_group(group: &DeploymentGroup, platform: &str) -> Result<(), ApiError> {
    let has_groups = |groups: Option<&Vec<Vec<TagFilter>>>| groups.is_some_and(|g| !g.is_empty());
    if !group.ec2_tag_filters.is_empty()
        && has_groups(
            group
                .ec2_tag_set
                .as_ref()
                .and_then(|set| set.ec2_tag_set_list.as_ref()),
        )
    {
        return Err(ApiError::new(
            "InvalidEC2TagCombinationException",
            "A deployment group takes either ec2TagFilters or ec2TagSet, not both; move the filters into the tag set or clear one of them.",
        ));
    }
    if !group.on_premises_instance_tag_filters.is_empty()
        && has_groups(
            group
                .on_premises_tag_set
                .as_ref()
                .and_then(|set| set.on_premises_tag_set_list.as_ref()),
        )
    {
        return Err(ApiError::new(
            "InvalidOnPremisesTagCombinationException",
            "A deployment group takes either onPremisesInstanceTagFilters or onPremisesTagSet, not both; move the filters into the tag set or clear one of them.",
        ));
    }
    check_style(&group.deployment_style, platform)?;
    check_ecs_services(&group.ecs_services, platform)?;
    if platform != ComputePlatform::Server.as_str() {
        check_no_instances(group, platform)?;
    }
    if platform == ComputePlatform::Server.as_str()
        && group.deployment_style.deployment_option.as_deref() == Some("WITH_TRAFFIC_CONTROL")
        && !names_a_load_balancer(group.load_balancer_info.as_ref())
    {
        return Err(ApiError::new(
            "InvalidLoadBalancerInfoException",
            "Deployments with traffic control need a load balancer; add loadBalancerInfo or use WITHOUT_TRAFFIC_CONTROL.",
        ));
    }
    Ok(())
}

/// Refuses the instance settings of an EC2/on-premises group in a group of
/// `platform` (Lambda or ECS), which deploys to no instances.
fn check_no_instances(group: &DeploymentGroup, platform: &str) -> Result<(), ApiError> {
    let what = |setting: &str| {
        format!(
            "A {platform} deployment group deploys to no instances, so it takes no {setting}; remove it."
        )
    };
    let tag_set_given =
        |groups: Option<&Vec<Vec<TagFilter>>>| groups.is_some_and(|g| !g.is_empty());
    if !group.ec2_tag_filters.is_empty()
        || tag_set_given(
            group
                .ec2_tag_set
                .as_ref()
                .and_then(|set| set.ec2_tag_set_list.as_ref()),
        )
    {
        return Err(ApiError::new("InvalidEC2TagException", what("EC2 tags")));
    }
    if !group.on_premises_instance_tag_filters.is_empty()
        || tag_set_given(
            group
                .on_premises_tag_set
                .as_ref()
                .and_then(|set| set.on_premises_tag_set_list.as_ref()),
        )
    {
        return Err(ApiError::new(
            "InvalidTagException",
            what("on-premises instance tags"),
        ));
    }
    if !group.auto_scaling_groups.is_empty() {
        return Err(ApiError::new(
            "InvalidAutoScalingGroupException",
            what("Auto Scaling groups"),
        ));
    }
    Ok(())
}

/// Checks the ECS services `group` names: they exist in the local ECS and
/// use the `CODE_DEPLOY` deployment controller, as CodeDeploy requires.
fn check_ecs_service_exists(world: &World, group: &DeploymentGroup) -> Result<(), ApiError> {
    const CODE: &str = "InvalidECSServiceException";
    for service in &group.ecs_services {
        let cluster = service.cluster_name.as_deref().unwrap_or_default();
        let name = service.service_name.as_deref().unwrap_or_default();
        let found = world.ecs.service(cluster, name).ok_or_else(|| {
            ApiError::new(
                CODE,
                format!(
                    "The ECS service {name} does not exist in the cluster {cluster}; create it with the CODE_DEPLOY deployment controller first."
                ),
            )
        })?;
        if found.deployment_controller != "CODE_DEPLOY" {
            return Err(ApiError::new(
                CODE,
                format!(
                    "Deployment group's ECS service must be configured for a CODE_DEPLOY deployment controller: {name} uses {}. Create the service with deploymentController CODE_DEPLOY.",
                    found.deployment_controller
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the Auto Scaling groups `group` names: they exist, and its
/// service role lets CodeDeploy act on them.
fn check_auto_scaling(world: &World, group: &DeploymentGroup) -> Result<(), ApiError> {
    if group.auto_scaling_groups.is_empty() {
        return Ok(());
    }
    engine_autoscaling::check_groups(world, &group.auto_scaling_groups)?;
    engine_autoscaling::check_role(world, &group.service_role_arn)
}

/// The error for a group name that is taken.
fn group_exists(application: &str, group: &str) -> ApiError {
    ApiError::new(
        "DeploymentGroupAlreadyExistsException",
        format!(
            "The application \"{application}\" already has a deployment group named \"{group}\"; choose another name."
        ),
    )
}

/// `CreateDeploymentGroupInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
    tags: Option<Vec<Tag>>,
    #[serde(flatten)]
    settings: Settings,
}

/// Creates a deployment group and installs CodeDeploy's launch hook in the
/// Auto Scaling groups it names.
pub fn create(world: &mut World, context: &Context, body: &Value) -> Answer {
    let mut request: CreateInput = input(body)?;
    let state = &world.codedeploy;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let group_name = required_name(NameKind::DeploymentGroup, request.deployment_group_name)?;
    let platform = application(state, &application_name)?
        .compute_platform
        .clone();
    if application(state, &application_name)?
        .deployment_groups
        .contains_key(&group_name)
    {
        return Err(group_exists(&application_name, &group_name));
    }
    let role = request.settings.service_role_arn.take().ok_or_else(|| {
        ApiError::new(
            "RoleRequiredException",
            "A deployment group needs a serviceRoleArn: the IAM role CodeDeploy acts as.",
        )
    })?;
    check_role(&role)?;
    let tags = checked_tags(
        request.tags.unwrap_or_default(),
        MAX_TAGS_PER_RESOURCE,
        "InvalidTagsToAddException",
    )?;
    let mut group = new_group(group_name.clone(), &platform, role);
    group.tags = tags;
    apply(state, &mut group, request.settings, &platform)?;
    check_auto_scaling(world, &group)?;
    check_ecs_service_exists(world, &group)?;
    engine_autoscaling::sync_hooks(world, &mut group, context.now);
    let id = group.id.clone();
    application_mut(&mut world.codedeploy, &application_name)?
        .deployment_groups
        .insert(group_name, group);
    Ok(serde_json::json!({ "deploymentGroupId": id }))
}

/// An input naming one group of one application.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
}

/// Returns one deployment group.
pub fn get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: GroupInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let group_name = required_name(NameKind::DeploymentGroup, request.deployment_group_name)?;
    let found = application(state, &application_name)?;
    let group = found
        .deployment_groups
        .get(&group_name)
        .ok_or_else(|| no_such_group(&application_name, &group_name))?;
    output(&serde_json::json!({ "deploymentGroupInfo": DeploymentGroupInfo::of(found, group) }))
}

/// `BatchGetDeploymentGroupsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetInput {
    application_name: Option<String>,
    deployment_group_names: Option<Vec<String>>,
}

/// Returns several groups of one application; groups that do not exist are
/// left out and named in `errorMessage`.
pub fn batch_get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: BatchGetInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let group_names = required_names(
        NameKind::DeploymentGroup,
        request.deployment_group_names,
        BATCH_LIMIT,
    )?;
    let found = application(state, &application_name)?;
    let (infos, missing) = found_and_missing(&group_names, |name| {
        found
            .deployment_groups
            .get(name)
            .map(|group| DeploymentGroupInfo::of(found, group))
    });
    let error_message = (!missing.is_empty()).then(|| {
        format!(
            "The application \"{application_name}\" has no deployment group(s) named {}.",
            missing.join(", ")
        )
    });
    output(&serde_json::json!({
        "deploymentGroupsInfo": infos,
        "errorMessage": error_message,
    }))
}

/// `ListDeploymentGroupsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    application_name: Option<String>,
    next_token: Option<String>,
}

/// Lists an application's group names, a page at a time, in name order.
pub fn list(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let found = application(state, &application_name)?;
    let names = found
        .deployment_groups
        .keys()
        .map(|name| (name.clone(), name.clone()))
        .collect();
    let page = paging::page(
        &format!("ListDeploymentGroups/{application_name}"),
        names,
        request.next_token.as_deref(),
        PAGE_SIZE,
    )?;
    output(&serde_json::json!({
        "applicationName": application_name,
        "deploymentGroups": page.items,
        "nextToken": page.next_token,
    }))
}

/// `UpdateDeploymentGroupInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    application_name: Option<String>,
    current_deployment_group_name: Option<String>,
    new_deployment_group_name: Option<String>,
    #[serde(flatten)]
    settings: Settings,
}

/// Changes a deployment group: each member given replaces the stored one,
/// members left out stay as they are, and a new name renames the group.
/// CodeDeploy's launch hooks follow the Auto Scaling groups it names.
pub fn update(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: UpdateInput = input(body)?;
    let state = &world.codedeploy;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let current = required_name(
        NameKind::DeploymentGroup,
        request.current_deployment_group_name,
    )?;
    let new_name = request
        .new_deployment_group_name
        .map(|name| required_name(NameKind::DeploymentGroup, Some(name)))
        .transpose()?;
    let found = application(state, &application_name)?;
    let platform = found.compute_platform.clone();
    let mut group = found
        .deployment_groups
        .get(&current)
        .cloned()
        .ok_or_else(|| no_such_group(&application_name, &current))?;
    if let Some(new_name) = &new_name
        && *new_name != current
        && found.deployment_groups.contains_key(new_name)
    {
        return Err(group_exists(&application_name, new_name));
    }
    let names_groups = request.settings.auto_scaling_groups.is_some()
        || request.settings.service_role_arn.is_some();
    let names_services = request.settings.ecs_services.is_some();
    apply(state, &mut group, request.settings, &platform)?;
    if names_groups {
        check_auto_scaling(world, &group)?;
    }
    if names_services {
        check_ecs_service_exists(world, &group)?;
    }
    let not_removed = engine_autoscaling::sync_hooks(world, &mut group, context.now);
    let application = application_mut(&mut world.codedeploy, &application_name)?;
    application.deployment_groups.remove(&current);
    if let Some(new_name) = new_name {
        group.name = new_name;
    }
    application
        .deployment_groups
        .insert(group.name.clone(), group);
    Ok(serde_json::json!({ "hooksNotCleanedUp": not_cleaned_up(&not_removed) }))
}

/// Deletes a deployment group and the launch hooks CodeDeploy installed for
/// it. Deleting one that does not exist succeeds, as in CodeDeploy.
pub fn delete(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: GroupInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let group_name = required_name(NameKind::DeploymentGroup, request.deployment_group_name)?;
    let mut not_removed = Vec::new();
    let removed = world
        .codedeploy
        .applications
        .get_mut(&application_name)
        .and_then(|found| {
            for revision in &mut found.revisions {
                revision
                    .deployment_groups
                    .retain(|name| *name != group_name);
            }
            found.deployment_groups.remove(&group_name)
        });
    if let Some(mut group) = removed {
        not_removed = engine_autoscaling::remove_hooks(world, &mut group, context.now);
    }
    Ok(serde_json::json!({ "hooksNotCleanedUp": not_cleaned_up(&not_removed) }))
}
