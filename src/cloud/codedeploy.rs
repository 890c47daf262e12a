//! CodeDeploy operations as small async functions that return our own types.

use std::time::SystemTime;

use aws_sdk_codedeploy::types as cd;

use super::cloudwatch::{self, AlarmStatus};
use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use super::sns;
use super::to_system_time;
use crate::domain::ComputePlatform;

/// The most names `BatchGetApplications` and `BatchGetDeploymentGroups` take.
const BATCH_LIMIT: usize = 100;

/// The SDK's name for a compute platform.
pub(super) fn sdk_platform(platform: ComputePlatform) -> cd::ComputePlatform {
    cd::ComputePlatform::from(platform.as_str())
}

/// The compute platform the SDK reports, if it is one the domain knows.
fn platform_from_sdk(platform: Option<&cd::ComputePlatform>) -> Option<ComputePlatform> {
    ComputePlatform::parse(platform?.as_str()).ok()
}

/// An application as the Applications page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The application's name.
    pub name: String,
    /// Its compute platform, when AWS says.
    pub platform: Option<ComputePlatform>,
    /// When it was created.
    pub created: Option<SystemTime>,
}

/// A deployment's status as a group's last deployment shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastDeployment {
    /// The deployment id.
    pub deployment_id: String,
    /// Its status, as AWS spells it (`Succeeded`, `Failed`, ...).
    pub status: String,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// When it ended.
    pub ended: Option<SystemTime>,
}

/// A deployment group as the Applications page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentGroup {
    /// The group's name.
    pub name: String,
    /// Its deployment configuration.
    pub deployment_config: String,
    /// Its service role.
    pub service_role_arn: Option<String>,
    /// In-place or blue/green, with or without traffic control.
    pub deployment_style: String,
    /// The instances it targets, in words: tag filters and tag sets.
    pub targets: Vec<String>,
    /// The last deployment attempted.
    pub last_attempted: Option<LastDeployment>,
    /// The last deployment that succeeded.
    pub last_successful: Option<LastDeployment>,
    /// The CloudWatch alarms it watches (when monitoring is on), with their
    /// state now.
    pub alarms: Vec<AlarmStatus>,
    /// Why the alarms' state is not known, when CloudWatch could not be
    /// asked.
    pub alarms_unread: Option<String>,
    /// Its notification triggers, in words: `ops: DeploymentStart,
    /// DeploymentFailure to deployments` (the topic's name).
    pub triggers: Vec<String>,
}

/// Lists every application with its compute platform.
pub async fn list_applications(session: &Session) -> Result<Vec<Application>, CloudError> {
    let client = &session.codedeploy;
    let pages = client.list_applications().into_paginator().items().send();
    let names: Vec<String> = pages
        .try_collect()
        .await
        .map_err(error(session, "ListApplications"))?;
    let mut applications = Vec::with_capacity(names.len());
    for chunk in names.chunks(BATCH_LIMIT) {
        let output = client
            .batch_get_applications()
            .set_application_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(error(session, "BatchGetApplications"))?;
        applications.extend(output.applications_info().iter().map(|info| Application {
            name: info.application_name().unwrap_or_default().to_owned(),
            platform: platform_from_sdk(info.compute_platform()),
            created: to_system_time(info.create_time()),
        }));
    }
    applications.sort_by_key(|application| application.name.to_lowercase());
    Ok(applications)
}

/// Creates an application and returns its id.
pub async fn create_application(
    session: &Session,
    name: &str,
    platform: ComputePlatform,
) -> Result<String, CloudError> {
    let output = session
        .codedeploy
        .create_application()
        .application_name(name)
        .compute_platform(sdk_platform(platform))
        .send()
        .await
        .map_err(error(session, "CreateApplication"))?;
    Ok(output.application_id().unwrap_or_default().to_owned())
}

/// Deletes an application with its deployment groups.
pub async fn delete_application(session: &Session, name: &str) -> Result<(), CloudError> {
    session
        .codedeploy
        .delete_application()
        .application_name(name)
        .send()
        .await
        .map_err(error(session, "DeleteApplication"))?;
    Ok(())
}

/// A deployment configuration's minimum healthy hosts as the API gives it:
/// its `type` and `value`, when it has them (Lambda and ECS ones do not).
pub async fn get_minimum_healthy_hosts(
    session: &Session,
    name: &str,
) -> Result<Option<(String, i64)>, CloudError> {
    let output = session
        .codedeploy
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
        .map_err(error(session, "GetDeploymentConfig"))?;
    let minimum = output
        .deployment_config_info()
        .and_then(|info| info.minimum_healthy_hosts())
        .and_then(|minimum| {
            Some((
                minimum.r#type()?.as_str().to_owned(),
                i64::from(minimum.value()),
            ))
        });
    Ok(minimum)
}

/// Lists the names of an application's deployment groups.
pub async fn list_deployment_group_names(
    session: &Session,
    application: &str,
) -> Result<Vec<String>, CloudError> {
    let request = session.codedeploy.list_deployment_groups();
    let pages = request.application_name(application).into_paginator();
    let names = pages.items().send().try_collect().await;
    names.map_err(error(session, "ListDeploymentGroups"))
}

/// Lists an application's deployment groups with their settings.
pub async fn list_deployment_groups(
    session: &Session,
    application: &str,
) -> Result<Vec<DeploymentGroup>, CloudError> {
    let client = &session.codedeploy;
    let names = list_deployment_group_names(session, application).await?;
    let mut groups = Vec::with_capacity(names.len());
    for chunk in names.chunks(BATCH_LIMIT) {
        let output = client
            .batch_get_deployment_groups()
            .application_name(application)
            .set_deployment_group_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(error(session, "BatchGetDeploymentGroups"))?;
        groups.extend(output.deployment_groups_info().iter().map(group_from_sdk));
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let mut names: Vec<String> = groups
        .iter()
        .flat_map(|group| group.alarms.iter().map(|alarm| alarm.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    if !names.is_empty() {
        // A group is shown whether or not CloudWatch answers.
        match cloudwatch::alarm_states(session, &names).await {
            Ok(states) => {
                for alarm in groups.iter_mut().flat_map(|group| group.alarms.iter_mut()) {
                    if let Some(found) = states.iter().find(|state| state.name == alarm.name) {
                        alarm.clone_from(found);
                    }
                }
            }
            Err(error) => {
                for group in groups.iter_mut().filter(|group| !group.alarms.is_empty()) {
                    group.alarms_unread = Some(error.to_string());
                }
            }
        }
    }
    Ok(groups)
}

/// The alarms a group watches, with no state yet; none when monitoring is
/// off.
fn alarms_of(info: &cd::DeploymentGroupInfo) -> Vec<AlarmStatus> {
    info.alarm_configuration()
        .filter(|configuration| configuration.enabled())
        .map(|configuration| {
            configuration
                .alarms()
                .iter()
                .filter_map(|alarm| alarm.name())
                .map(|name| AlarmStatus {
                    name: name.to_owned(),
                    state: None,
                    reason: None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A group's triggers in words: the trigger's name, its events and the
/// topic's name.
fn triggers_text(info: &cd::DeploymentGroupInfo) -> Vec<String> {
    info.trigger_configurations()
        .iter()
        .map(|trigger| {
            let events: Vec<&str> = trigger
                .trigger_events()
                .iter()
                .map(cd::TriggerEventType::as_str)
                .collect();
            let topic = trigger
                .trigger_target_arn()
                .map_or("no topic", sns::topic_name);
            format!(
                "{}: {} to {topic}",
                trigger.trigger_name().unwrap_or("unnamed"),
                events.join(", ")
            )
        })
        .collect()
}

fn group_from_sdk(info: &cd::DeploymentGroupInfo) -> DeploymentGroup {
    DeploymentGroup {
        name: info.deployment_group_name().unwrap_or_default().to_owned(),
        deployment_config: info
            .deployment_config_name()
            .unwrap_or("CodeDeployDefault.OneAtATime")
            .to_owned(),
        service_role_arn: info.service_role_arn().map(str::to_owned),
        deployment_style: deployment_style_text(
            info.deployment_style(),
            info.load_balancer_info(),
            info.blue_green_deployment_configuration(),
        ),
        targets: targets_text(info),
        last_attempted: info.last_attempted_deployment().map(last_deployment),
        last_successful: info.last_successful_deployment().map(last_deployment),
        alarms: alarms_of(info),
        alarms_unread: None,
        triggers: triggers_text(info),
    }
}

/// A group's last deployment as the groups table shows it.
pub(crate) fn last_deployment(info: &cd::LastDeploymentInfo) -> LastDeployment {
    LastDeployment {
        deployment_id: info.deployment_id().unwrap_or_default().to_owned(),
        status: info
            .status()
            .map(|status| status.as_str().to_owned())
            .unwrap_or_default(),
        created: to_system_time(info.create_time()),
        ended: to_system_time(info.end_time()),
    }
}

/// The deployment style in words, naming the load balancer traffic goes
/// through and where a blue/green deployment's new instances come from.
fn deployment_style_text(
    style: Option<&cd::DeploymentStyle>,
    load_balancer: Option<&cd::LoadBalancerInfo>,
    blue_green: Option<&cd::BlueGreenDeploymentConfiguration>,
) -> String {
    let Some(style) = style else {
        return "In-place".to_owned();
    };
    let mut kind = match style.deployment_type() {
        Some(cd::DeploymentType::BlueGreen) => "Blue/green".to_owned(),
        _ => "In-place".to_owned(),
    };
    if style.deployment_type() == Some(&cd::DeploymentType::BlueGreen)
        && blue_green
            .and_then(cd::BlueGreenDeploymentConfiguration::green_fleet_provisioning_option)
            .and_then(cd::GreenFleetProvisioningOption::action)
            == Some(&cd::GreenFleetProvisioningAction::CopyAutoScalingGroup)
    {
        kind.push_str(" (copies the Auto Scaling group)");
    }
    if style.deployment_option() != Some(&cd::DeploymentOption::WithTrafficControl) {
        return kind;
    }
    let balancers = super::deployments::load_balancer_words(load_balancer);
    if balancers.is_empty() {
        format!("{kind}, with traffic control")
    } else {
        format!("{kind}, through {}", balancers.join(", "))
    }
}

fn ec2_filter_text(filter: &cd::Ec2TagFilter) -> String {
    let key = filter.key().unwrap_or_default();
    let value = filter.value().unwrap_or_default();
    match filter.r#type() {
        Some(cd::Ec2TagFilterType::KeyOnly) => format!("{key} (any value)"),
        Some(cd::Ec2TagFilterType::ValueOnly) => format!("any key = {value}"),
        _ => format!("{key} = {value}"),
    }
}

fn onprem_filter_text(filter: &cd::TagFilter) -> String {
    let key = filter.key().unwrap_or_default();
    let value = filter.value().unwrap_or_default();
    match filter.r#type() {
        Some(cd::TagFilterType::KeyOnly) => format!("{key} (any value)"),
        Some(cd::TagFilterType::ValueOnly) => format!("any key = {value}"),
        _ => format!("{key} = {value}"),
    }
}

fn targets_text(info: &cd::DeploymentGroupInfo) -> Vec<String> {
    let mut targets = Vec::new();
    let filters: Vec<String> = info.ec2_tag_filters().iter().map(ec2_filter_text).collect();
    if !filters.is_empty() {
        targets.push(format!("EC2: {}", filters.join(" or ")));
    }
    if let Some(set) = info.ec2_tag_set() {
        let groups: Vec<String> = set
            .ec2_tag_set_list()
            .iter()
            .map(|group| {
                let any: Vec<String> = group.iter().map(ec2_filter_text).collect();
                format!("({})", any.join(" or "))
            })
            .collect();
        if !groups.is_empty() {
            targets.push(format!("EC2: {}", groups.join(" and ")));
        }
    }
    let filters: Vec<String> = info
        .on_premises_instance_tag_filters()
        .iter()
        .map(onprem_filter_text)
        .collect();
    if !filters.is_empty() {
        targets.push(format!("On-premises: {}", filters.join(" or ")));
    }
    let auto_scaling: Vec<&str> = info
        .auto_scaling_groups()
        .iter()
        .filter_map(cd::AutoScalingGroup::name)
        .collect();
    if !auto_scaling.is_empty() {
        targets.push(format!("Auto Scaling: {}", auto_scaling.join(", ")));
    }
    if let Some(set) = info.on_premises_tag_set() {
        let groups: Vec<String> = set
            .on_premises_tag_set_list()
            .iter()
            .map(|group| {
                let any: Vec<String> = group.iter().map(onprem_filter_text).collect();
                format!("({})", any.join(" or "))
            })
            .collect();
        if !groups.is_empty() {
            targets.push(format!("On-premises: {}", groups.join(" and ")));
        }
    }
    for service in info.ecs_services() {
        let pair: Vec<&str> = info
            .load_balancer_info()
            .map(cd::LoadBalancerInfo::target_group_pair_info_list)
            .unwrap_or_default()
            .iter()
            .flat_map(cd::TargetGroupPairInfo::target_groups)
            .filter_map(cd::TargetGroupInfo::name)
            .collect();
        let behind = if pair.is_empty() {
            String::new()
        } else {
            format!(" behind {}", pair.join(" and "))
        };
        targets.push(format!(
            "ECS: {}/{}{behind}",
            service.cluster_name().unwrap_or_default(),
            service.service_name().unwrap_or_default()
        ));
    }
    if info.compute_platform() == Some(&cd::ComputePlatform::Lambda) {
        targets.push("Lambda: the alias each deployment's AppSpec names".to_owned());
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_sets_read_as_and_of_ors() {
        let filter = |key: &str, value: &str| {
            cd::Ec2TagFilter::builder()
                .key(key)
                .value(value)
                .r#type(cd::Ec2TagFilterType::KeyAndValue)
                .build()
        };
        let info = cd::DeploymentGroupInfo::builder()
            .deployment_group_name("web")
            .ec2_tag_set(
                cd::Ec2TagSet::builder()
                    .ec2_tag_set_list(vec![filter("Env", "prod"), filter("Env", "staging")])
                    .ec2_tag_set_list(vec![filter("Role", "web")])
                    .build(),
            )
            .build();
        let group = group_from_sdk(&info);
        assert_eq!(
            group.targets,
            vec!["EC2: (Env = prod or Env = staging) and (Role = web)".to_owned()]
        );
        assert_eq!(group.deployment_config, "CodeDeployDefault.OneAtATime");
        assert_eq!(group.deployment_style, "In-place");
    }

    #[test]
    fn ecs_and_lambda_groups_say_what_they_deploy_to() {
        let ecs = cd::DeploymentGroupInfo::builder()
            .deployment_group_name("web")
            .compute_platform(cd::ComputePlatform::Ecs)
            .ecs_services(
                cd::EcsService::builder()
                    .cluster_name("shop")
                    .service_name("web")
                    .build(),
            )
            .load_balancer_info(
                cd::LoadBalancerInfo::builder()
                    .target_group_pair_info_list(
                        cd::TargetGroupPairInfo::builder()
                            .target_groups(cd::TargetGroupInfo::builder().name("blue").build())
                            .target_groups(cd::TargetGroupInfo::builder().name("green").build())
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(targets_text(&ecs), ["ECS: shop/web behind blue and green"]);
        let lambda = cd::DeploymentGroupInfo::builder()
            .deployment_group_name("live")
            .compute_platform(cd::ComputePlatform::Lambda)
            .build();
        assert_eq!(
            targets_text(&lambda),
            ["Lambda: the alias each deployment's AppSpec names"]
        );
    }
}
