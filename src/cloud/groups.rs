//! Deployment groups as the deployment group wizard makes and edits them:
//! a [`DeploymentGroupSpec`] sent as `CreateDeploymentGroup` /
//! `UpdateDeploymentGroup`, and an existing group read back into a spec.

use aws_sdk_codedeploy::types::{
    self as cd, Alarm, AlarmConfiguration, AutoRollbackConfiguration, AutoRollbackEvent,
    BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, DeploymentOption,
    DeploymentReadyAction, DeploymentReadyOption, DeploymentStyle, Ec2TagFilter, Ec2TagFilterType,
    Ec2TagSet, EcsService, ElbInfo, GreenFleetProvisioningAction, GreenFleetProvisioningOption,
    InstanceAction, LoadBalancerInfo, OnPremisesTagSet, TagFilter, TagFilterType, TargetGroupInfo,
    TargetGroupPairInfo, TrafficRoute, TriggerConfig, TriggerEventType,
};

use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use crate::domain::ComputePlatform;
use crate::domain::config::{MinimumHealthyHosts, PREDEFINED_SERVER_CONFIGS};
use crate::domain::group_spec::{
    ConfigChoice, DeploymentGroupSpec, DeploymentType, EcsTrafficSpec, TagFilterSpec, TriggerSpec,
};

/// `groups` without their empty groups, each filter built by `build`
/// from its key and value (`None` when empty) and its type as AWS spells
/// it (`None` when the filter has no valid type).
fn tag_groups<F>(
    groups: &[Vec<TagFilterSpec>],
    build: impl Fn(Option<String>, Option<String>, Option<&'static str>) -> F,
) -> Vec<Vec<F>> {
    groups
        .iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            group
                .iter()
                .map(|filter| {
                    build(
                        Some(filter.key.clone()).filter(|key| !key.is_empty()),
                        Some(filter.value.clone()).filter(|value| !value.is_empty()),
                        filter
                            .kind()
                            .ok()
                            .map(crate::domain::names::TagFilterType::api_name),
                    )
                })
                .collect()
        })
        .collect()
}

/// The SDK's EC2 tag groups of `groups` (empty groups left out).
fn ec2_tag_set(groups: &[Vec<TagFilterSpec>]) -> Option<Ec2TagSet> {
    let list = tag_groups(groups, |key, value, kind| {
        Ec2TagFilter::builder()
            .set_key(key)
            .set_value(value)
            .set_type(kind.map(Ec2TagFilterType::from))
            .build()
    });
    (!list.is_empty()).then(|| {
        Ec2TagSet::builder()
            .set_ec2_tag_set_list(Some(list))
            .build()
    })
}

/// The SDK's on-premises tag groups of `groups` (empty groups left out).
fn on_premises_tag_set(groups: &[Vec<TagFilterSpec>]) -> Option<OnPremisesTagSet> {
    let list = tag_groups(groups, |key, value, kind| {
        TagFilter::builder()
            .set_key(key)
            .set_value(value)
            .set_type(kind.map(TagFilterType::from))
            .build()
    });
    (!list.is_empty()).then(|| {
        OnPremisesTagSet::builder()
            .set_on_premises_tag_set_list(Some(list))
            .build()
    })
}

/// Everything of a spec but its names, as the SDK's types.
struct Settings {
    style: DeploymentStyle,
    ecs_services: Option<Vec<EcsService>>,
    blue_green: Option<BlueGreenDeploymentConfiguration>,
    load_balancer: Option<LoadBalancerInfo>,
    alarms: Option<AlarmConfiguration>,
    rollback: Option<AutoRollbackConfiguration>,
    triggers: Option<Vec<TriggerConfig>>,
}

/// An ECS group's target group pair with its production and (if named)
/// test listeners.
fn ecs_load_balancer(ecs: &EcsTrafficSpec) -> LoadBalancerInfo {
    let route = |arn: &str| TrafficRoute::builder().listener_arns(arn.trim()).build();
    let test = ecs.test_listener.trim();
    LoadBalancerInfo::builder()
        .target_group_pair_info_list(
            TargetGroupPairInfo::builder()
                .set_target_groups(Some(
                    ecs.target_groups
                        .iter()
                        .map(|name| TargetGroupInfo::builder().name(name.trim()).build())
                        .collect(),
                ))
                .prod_traffic_route(route(&ecs.production_listener))
                .set_test_traffic_route((!test.is_empty()).then(|| route(test)))
                .build(),
        )
        .build()
}

/// The ECS service and traffic of a group as CodeDeploy describes it
/// (empty for a group that has none).
fn ecs_of(info: &cd::DeploymentGroupInfo) -> EcsTrafficSpec {
    let service = info.ecs_services().first();
    let pair = info
        .load_balancer_info()
        .and_then(|balancer| balancer.target_group_pair_info_list().first());
    let group = |index: usize| {
        pair.and_then(|pair| pair.target_groups().get(index))
            .and_then(TargetGroupInfo::name)
            .unwrap_or_default()
            .to_owned()
    };
    let listener = |route: Option<&TrafficRoute>| {
        route
            .and_then(|route| route.listener_arns().first())
            .cloned()
            .unwrap_or_default()
    };
    EcsTrafficSpec {
        cluster: service
            .and_then(EcsService::cluster_name)
            .unwrap_or_default()
            .to_owned(),
        service: service
            .and_then(EcsService::service_name)
            .unwrap_or_default()
            .to_owned(),
        target_groups: [group(0), group(1)],
        production_listener: listener(pair.and_then(TargetGroupPairInfo::prod_traffic_route)),
        test_listener: listener(pair.and_then(TargetGroupPairInfo::test_traffic_route)),
    }
}

fn settings(spec: &DeploymentGroupSpec) -> Settings {
    let (kind, option) = match spec.deployment_type {
        DeploymentType::InPlace if spec.traffic_control => (
            cd::DeploymentType::InPlace,
            DeploymentOption::WithTrafficControl,
        ),
        DeploymentType::InPlace => (
            cd::DeploymentType::InPlace,
            DeploymentOption::WithoutTrafficControl,
        ),
        DeploymentType::BlueGreen { .. } => (
            cd::DeploymentType::BlueGreen,
            DeploymentOption::WithTrafficControl,
        ),
    };
    let blue_green = match spec.deployment_type {
        DeploymentType::InPlace => None,
        DeploymentType::BlueGreen { .. } if spec.platform == ComputePlatform::Lambda => None,
        DeploymentType::BlueGreen {
            reroute_at_once,
            wait_minutes,
            terminate_original,
            termination_wait_minutes,
            copy_auto_scaling_group,
        } => Some(
            BlueGreenDeploymentConfiguration::builder()
                .deployment_ready_option(
                    DeploymentReadyOption::builder()
                        .action_on_timeout(if reroute_at_once {
                            DeploymentReadyAction::ContinueDeployment
                        } else {
                            DeploymentReadyAction::StopDeployment
                        })
                        .set_wait_time_in_minutes(
                            (!reroute_at_once)
                                .then(|| i32::try_from(wait_minutes).unwrap_or(i32::MAX)),
                        )
                        .build(),
                )
                // An ECS group's replacement is a task set, not a fleet.
                .set_green_fleet_provisioning_option(
                    (spec.platform == ComputePlatform::Server).then(|| {
                        GreenFleetProvisioningOption::builder()
                            .action(if copy_auto_scaling_group {
                                GreenFleetProvisioningAction::CopyAutoScalingGroup
                            } else {
                                GreenFleetProvisioningAction::DiscoverExisting
                            })
                            .build()
                    }),
                )
                .terminate_blue_instances_on_deployment_success(
                    BlueInstanceTerminationOption::builder()
                        .action(if terminate_original {
                            InstanceAction::Terminate
                        } else {
                            InstanceAction::KeepAlive
                        })
                        .termination_wait_time_in_minutes(
                            i32::try_from(termination_wait_minutes).unwrap_or(i32::MAX),
                        )
                        .build(),
                )
                .build(),
        ),
    };
    let names = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let target_groups: Vec<TargetGroupInfo> = names(&spec.target_groups)
        .into_iter()
        .map(|name| TargetGroupInfo::builder().name(name).build())
        .collect();
    let classic: Vec<ElbInfo> = names(&spec.classic_load_balancers)
        .into_iter()
        .map(|name| ElbInfo::builder().name(name).build())
        .collect();
    let load_balancer = match spec.platform {
        ComputePlatform::Ecs => Some(ecs_load_balancer(&spec.ecs)),
        ComputePlatform::Lambda => None,
        ComputePlatform::Server => (spec.traffic_control
            && !(target_groups.is_empty() && classic.is_empty()))
        .then(|| {
            LoadBalancerInfo::builder()
                .set_target_group_info_list((!target_groups.is_empty()).then_some(target_groups))
                .set_elb_info_list((!classic.is_empty()).then_some(classic))
                .build()
        }),
    };
    let ecs_services = (spec.platform == ComputePlatform::Ecs).then(|| {
        vec![
            EcsService::builder()
                .service_name(spec.ecs.service.trim())
                .cluster_name(spec.ecs.cluster.trim())
                .build(),
        ]
    });
    let alarms = (!spec.alarms.is_empty()).then(|| {
        AlarmConfiguration::builder()
            .enabled(true)
            .ignore_poll_alarm_failure(false)
            .set_alarms(Some(
                spec.alarms
                    .iter()
                    .map(|name| Alarm::builder().name(name).build())
                    .collect(),
            ))
            .build()
    });
    let mut events = Vec::new();
    if spec.rollback_on_failure {
        events.push(AutoRollbackEvent::DeploymentFailure);
    }
    if spec.rollback_on_alarm {
        events.push(AutoRollbackEvent::DeploymentStopOnAlarm);
    }
    let rollback = (!events.is_empty()).then(|| {
        AutoRollbackConfiguration::builder()
            .enabled(true)
            .set_events(Some(events))
            .build()
    });
    let triggers = (!spec.triggers.is_empty()).then(|| {
        spec.triggers
            .iter()
            .map(|trigger| {
                TriggerConfig::builder()
                    .trigger_name(&trigger.name)
                    .trigger_target_arn(&trigger.topic_arn)
                    .set_trigger_events(Some(
                        trigger
                            .events
                            .iter()
                            .map(|event| TriggerEventType::from(event.as_str()))
                            .collect(),
                    ))
                    .build()
            })
            .collect()
    });
    Settings {
        style: DeploymentStyle::builder()
            .deployment_type(kind)
            .deployment_option(option)
            .build(),
        ecs_services,
        blue_green,
        load_balancer,
        alarms,
        rollback,
        triggers,
    }
}

/// Creates the deployment group `spec` describes.
pub async fn create_deployment_group(
    session: &Session,
    spec: &DeploymentGroupSpec,
) -> Result<(), CloudError> {
    let settings = settings(spec);
    session
        .codedeploy
        .create_deployment_group()
        .application_name(&spec.application)
        .deployment_group_name(&spec.group)
        .service_role_arn(&spec.service_role_arn)
        .deployment_config_name(spec.config.name())
        .set_ec2_tag_set(ec2_tag_set(&spec.ec2_tag_groups))
        .set_on_premises_tag_set(on_premises_tag_set(&spec.on_premises_tag_groups))
        .set_auto_scaling_groups(
            (!spec.auto_scaling_groups.is_empty()).then(|| spec.auto_scaling_groups.clone()),
        )
        .deployment_style(settings.style)
        .set_ecs_services(settings.ecs_services)
        .set_blue_green_deployment_configuration(settings.blue_green)
        .set_load_balancer_info(settings.load_balancer)
        .set_alarm_configuration(settings.alarms)
        .set_auto_rollback_configuration(settings.rollback)
        .set_trigger_configurations(settings.triggers)
        .send()
        .await
        .map_err(error(session, "CreateDeploymentGroup"))?;
    Ok(())
}

/// Changes the group now named `current` to match `spec` (renaming it if
/// the spec's name differs). Settings the spec leaves empty are cleared.
pub async fn update_deployment_group(
    session: &Session,
    current: &str,
    spec: &DeploymentGroupSpec,
) -> Result<(), CloudError> {
    let settings = settings(spec);
    session
        .codedeploy
        .update_deployment_group()
        .application_name(&spec.application)
        .current_deployment_group_name(current)
        .set_new_deployment_group_name((current != spec.group).then(|| spec.group.clone()))
        .service_role_arn(&spec.service_role_arn)
        .deployment_config_name(spec.config.name())
        // The wizard writes tag sets; the older plain filter lists are
        // cleared, since a group may not have both.
        .set_ec2_tag_filters(Some(Vec::new()))
        .set_on_premises_instance_tag_filters(Some(Vec::new()))
        .ec2_tag_set(
            ec2_tag_set(&spec.ec2_tag_groups).unwrap_or_else(|| Ec2TagSet::builder().build()),
        )
        .on_premises_tag_set(
            on_premises_tag_set(&spec.on_premises_tag_groups)
                .unwrap_or_else(|| OnPremisesTagSet::builder().build()),
        )
        // An empty list removes the Auto Scaling groups no longer named.
        .set_auto_scaling_groups(Some(spec.auto_scaling_groups.clone()))
        .deployment_style(settings.style)
        .set_ecs_services(settings.ecs_services)
        .set_blue_green_deployment_configuration(settings.blue_green)
        .load_balancer_info(
            settings
                .load_balancer
                .unwrap_or_else(|| LoadBalancerInfo::builder().build()),
        )
        .alarm_configuration(
            settings
                .alarms
                .unwrap_or_else(|| AlarmConfiguration::builder().enabled(false).build()),
        )
        .auto_rollback_configuration(
            settings
                .rollback
                .unwrap_or_else(|| AutoRollbackConfiguration::builder().enabled(false).build()),
        )
        .set_trigger_configurations(Some(settings.triggers.unwrap_or_default()))
        .send()
        .await
        .map_err(error(session, "UpdateDeploymentGroup"))?;
    Ok(())
}

/// Reads tag groups from the SDK's tag set or, for older groups, their
/// plain list of filters (one group).
fn groups_of<'a, F: 'a>(
    sets: Option<&'a [Vec<F>]>,
    plain: &'a [F],
    read: impl Fn(&F) -> TagFilterSpec,
) -> Vec<Vec<TagFilterSpec>> {
    let mut groups: Vec<Vec<TagFilterSpec>> = sets
        .unwrap_or_default()
        .iter()
        .map(|group| group.iter().map(&read).collect())
        .collect();
    if groups.is_empty() && !plain.is_empty() {
        groups.push(plain.iter().map(&read).collect());
    }
    groups
}

/// The spec of an existing group, as the wizard edits it. `None` when it
/// does not exist. A custom configuration is named, not re-created.
pub async fn deployment_group_spec(
    session: &Session,
    application: &str,
    group: &str,
) -> Result<Option<DeploymentGroupSpec>, CloudError> {
    let found = match session
        .codedeploy
        .get_deployment_group()
        .application_name(application)
        .deployment_group_name(group)
        .send()
        .await
    {
        Ok(found) => found,
        Err(sdk) => {
            let error = error(session, "GetDeploymentGroup")(sdk);
            return match error {
                CloudError::NotFound { .. } => Ok(None),
                other => Err(other),
            };
        }
    };
    let Some(info) = found.deployment_group_info() else {
        return Ok(None);
    };
    let ec2_tag_groups = groups_of(
        info.ec2_tag_set().map(Ec2TagSet::ec2_tag_set_list),
        info.ec2_tag_filters(),
        |filter: &Ec2TagFilter| TagFilterSpec {
            key: filter.key().unwrap_or_default().to_owned(),
            value: filter.value().unwrap_or_default().to_owned(),
        },
    );
    let on_premises_tag_groups = groups_of(
        info.on_premises_tag_set()
            .map(OnPremisesTagSet::on_premises_tag_set_list),
        info.on_premises_instance_tag_filters(),
        |filter: &TagFilter| TagFilterSpec {
            key: filter.key().unwrap_or_default().to_owned(),
            value: filter.value().unwrap_or_default().to_owned(),
        },
    );
    let style = info.deployment_style();
    let blue_green =
        style.and_then(DeploymentStyle::deployment_type) == Some(&cd::DeploymentType::BlueGreen);
    let traffic_control = style.and_then(DeploymentStyle::deployment_option)
        == Some(&DeploymentOption::WithTrafficControl);
    let deployment_type = if blue_green {
        let configuration = info.blue_green_deployment_configuration();
        let ready =
            configuration.and_then(BlueGreenDeploymentConfiguration::deployment_ready_option);
        let termination = configuration.and_then(
            BlueGreenDeploymentConfiguration::terminate_blue_instances_on_deployment_success,
        );
        DeploymentType::BlueGreen {
            reroute_at_once: ready.and_then(DeploymentReadyOption::action_on_timeout)
                != Some(&DeploymentReadyAction::StopDeployment),
            wait_minutes: ready
                .map(DeploymentReadyOption::wait_time_in_minutes)
                .and_then(|minutes| u32::try_from(minutes).ok())
                .unwrap_or(0),
            terminate_original: termination.and_then(BlueInstanceTerminationOption::action)
                == Some(&InstanceAction::Terminate),
            termination_wait_minutes: termination
                .map(BlueInstanceTerminationOption::termination_wait_time_in_minutes)
                .and_then(|minutes| u32::try_from(minutes).ok())
                .unwrap_or(0),
            copy_auto_scaling_group: configuration
                .and_then(BlueGreenDeploymentConfiguration::green_fleet_provisioning_option)
                .and_then(GreenFleetProvisioningOption::action)
                == Some(&GreenFleetProvisioningAction::CopyAutoScalingGroup),
        }
    } else {
        DeploymentType::InPlace
    };
    let rollback_events = info
        .auto_rollback_configuration()
        .filter(|configuration| configuration.enabled())
        .map(AutoRollbackConfiguration::events)
        .unwrap_or_default();
    let alarms = info
        .alarm_configuration()
        .filter(|configuration| configuration.enabled())
        .map(|configuration| {
            configuration
                .alarms()
                .iter()
                .filter_map(|alarm| alarm.name().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(DeploymentGroupSpec {
        platform: info
            .compute_platform()
            .and_then(|platform| ComputePlatform::parse(platform.as_str()).ok())
            .unwrap_or_default(),
        ecs: ecs_of(info),
        application: application.to_owned(),
        group: info.deployment_group_name().unwrap_or(group).to_owned(),
        service_role_arn: info.service_role_arn().unwrap_or_default().to_owned(),
        deployment_type,
        traffic_control,
        target_groups: info
            .load_balancer_info()
            .map(|info| {
                info.target_group_info_list()
                    .iter()
                    .filter_map(|target| target.name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        classic_load_balancers: info
            .load_balancer_info()
            .map(|info| {
                info.elb_info_list()
                    .iter()
                    .filter_map(|elb| elb.name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        auto_scaling_groups: info
            .auto_scaling_groups()
            .iter()
            .filter_map(|group| group.name().map(str::to_owned))
            .collect(),
        ec2_tag_groups,
        on_premises_tag_groups,
        config: ConfigChoice::Named(
            info.deployment_config_name()
                .unwrap_or(PREDEFINED_SERVER_CONFIGS[0])
                .to_owned(),
        ),
        alarms,
        rollback_on_failure: rollback_events.contains(&AutoRollbackEvent::DeploymentFailure),
        rollback_on_alarm: rollback_events.contains(&AutoRollbackEvent::DeploymentStopOnAlarm),
        triggers: info
            .trigger_configurations()
            .iter()
            .map(|trigger| TriggerSpec {
                name: trigger.trigger_name().unwrap_or_default().to_owned(),
                topic_arn: trigger.trigger_target_arn().unwrap_or_default().to_owned(),
                events: trigger
                    .trigger_events()
                    .iter()
                    .map(|event| event.as_str().to_owned())
                    .collect(),
            })
            .collect(),
    }))
}

/// Whether two specs describe the same group, reading a custom
/// configuration only by its name (CodeDeploy stores the name).
pub fn same_group(a: &DeploymentGroupSpec, b: &DeploymentGroupSpec) -> bool {
    let named = |spec: &DeploymentGroupSpec| DeploymentGroupSpec {
        config: ConfigChoice::Named(spec.config.name().to_owned()),
        deployment_type: settled_type(spec),
        target_groups: spec
            .target_groups
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect(),
        classic_load_balancers: spec
            .classic_load_balancers
            .iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect(),
        ec2_tag_groups: spec
            .ec2_tag_groups
            .iter()
            .filter(|group| !group.is_empty())
            .cloned()
            .collect(),
        on_premises_tag_groups: spec
            .on_premises_tag_groups
            .iter()
            .filter(|group| !group.is_empty())
            .cloned()
            .collect(),
        ..spec.clone()
    };
    named(a) == named(b)
}

/// A spec's deployment type as CodeDeploy keeps it: a Lambda group keeps
/// no blue/green settings, an ECS group no fleet provisioning, and no
/// group a wait for a reroute that happens at once.
fn settled_type(spec: &DeploymentGroupSpec) -> DeploymentType {
    match spec.deployment_type {
        DeploymentType::BlueGreen { .. } if spec.platform == ComputePlatform::Lambda => {
            DeploymentType::BlueGreen {
                reroute_at_once: true,
                wait_minutes: 0,
                terminate_original: false,
                termination_wait_minutes: 0,
                copy_auto_scaling_group: false,
            }
        }
        DeploymentType::BlueGreen {
            reroute_at_once,
            wait_minutes,
            terminate_original,
            termination_wait_minutes,
            copy_auto_scaling_group,
        } => DeploymentType::BlueGreen {
            reroute_at_once,
            wait_minutes: if reroute_at_once { 0 } else { wait_minutes },
            terminate_original,
            termination_wait_minutes,
            copy_auto_scaling_group: copy_auto_scaling_group
                && spec.platform == ComputePlatform::Server,
        },
        DeploymentType::InPlace => DeploymentType::InPlace,
    }
}

/// The minimum healthy hosts of the configuration `name`, if it exists.
pub async fn config_minimum(
    session: &Session,
    name: &str,
) -> Result<Option<MinimumHealthyHosts>, CloudError> {
    Ok(super::codedeploy::get_minimum_healthy_hosts(session, name)
        .await?
        .and_then(|(kind, value)| MinimumHealthyHosts::from_described(&kind, value).ok()))
}

/// Creates a custom deployment configuration for EC2/on-premises.
pub async fn create_deployment_config(
    session: &Session,
    name: &str,
    minimum: MinimumHealthyHosts,
) -> Result<(), CloudError> {
    session
        .codedeploy
        .create_deployment_config()
        .deployment_config_name(name)
        .minimum_healthy_hosts(
            cd::MinimumHealthyHosts::builder()
                .r#type(cd::MinimumHealthyHostsType::from(minimum.api_type()))
                .value(i32::try_from(minimum.api_value()).unwrap_or(i32::MAX))
                .build(),
        )
        .compute_platform(super::codedeploy::sdk_platform(ComputePlatform::Server))
        .send()
        .await
        .map_err(error(session, "CreateDeploymentConfig"))?;
    Ok(())
}

/// The compute platform of the application `name`, or `None` if it does
/// not exist.
pub async fn application_platform(
    session: &Session,
    name: &str,
) -> Result<Option<String>, CloudError> {
    match session
        .codedeploy
        .get_application()
        .application_name(name)
        .send()
        .await
    {
        Ok(found) => Ok(Some(
            found
                .application()
                .and_then(|application| application.compute_platform())
                .map_or_else(
                    || ComputePlatform::default().as_str().to_owned(),
                    |platform| platform.as_str().to_owned(),
                ),
        )),
        Err(sdk) => match error(session, "GetApplication")(sdk) {
            CloudError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// The names of the account's own deployment configurations for
/// `platform` (the predefined `CodeDeployDefault.` ones left out), sorted.
pub async fn custom_config_names(
    session: &Session,
    platform: ComputePlatform,
) -> Result<Vec<String>, CloudError> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = session
            .codedeploy
            .list_deployment_configs()
            .set_next_token(token)
            .send()
            .await
            .map_err(error(session, "ListDeploymentConfigs"))?;
        names.extend(
            page.deployment_configs_list()
                .iter()
                .filter(|name| !name.starts_with("CodeDeployDefault."))
                .cloned(),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut custom = Vec::new();
    for name in names {
        let described = session
            .codedeploy
            .get_deployment_config()
            .deployment_config_name(&name)
            .send()
            .await
            .map_err(error(session, "GetDeploymentConfig"))?;
        let config_platform = described
            .deployment_config_info()
            .and_then(|info| info.compute_platform())
            .and_then(|found| ComputePlatform::parse(found.as_str()).ok())
            .unwrap_or_default();
        if config_platform == platform {
            custom.push(name);
        }
    }
    custom.sort();
    Ok(custom)
}
