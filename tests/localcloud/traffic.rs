//! Load balancers in CodeDeploy deployments of the local cloud, through the
//! AWS SDK on a manual clock: in-place deployments take each instance out
//! of its target groups or classic load balancers (`BlockTraffic`, as long
//! as draining takes) and put it back (`AllowTraffic`, until it is
//! healthy); a load balancer that does not exist fails the deployment as
//! AWS does; blue/green deployments register the replacement instances,
//! then deregister the originals and terminate them after the wait, also
//! with a replacement fleet copied from the group's Auto Scaling group.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::types::{
    BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, DeploymentOption,
    DeploymentReadyAction, DeploymentReadyOption, DeploymentStatus, DeploymentStyle,
    DeploymentType, ElbInfo, ErrorCode, GreenFleetProvisioningAction, GreenFleetProvisioningOption,
    InstanceAction, InstanceTarget, LoadBalancerInfo, TargetGroupInfo, TargetInstances,
};
use aws_sdk_elasticloadbalancingv2::types::{TargetDescription, TargetHealthStateEnum};
use deploy_support::{Checks, Cloud, EVENT_MS, github, millis, tag_filter, target_status};
use deploydesk::localcloud::ec2::{InstanceState, STATE_TRANSITION_MILLIS};

const APP: &str = "shop";
const GROUP: &str = "web";
/// The target group's health check: every 10 seconds, healthy after 3.
const HEALTHY_MS: i64 = 30_000;
/// The target group's deregistration delay.
const DRAIN_MS: i64 = 60_000;

/// The SDK's shared configuration for the local cloud.
async fn sdk_config(cloud: &Cloud) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(cloud.local.endpoint_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

/// A classic Elastic Load Balancing client for the local cloud.
async fn elb(cloud: &Cloud) -> aws_sdk_elasticloadbalancing::Client {
    aws_sdk_elasticloadbalancing::Client::new(&sdk_config(cloud).await)
}

/// An Auto Scaling client for the local cloud.
async fn autoscaling(cloud: &Cloud) -> aws_sdk_autoscaling::Client {
    aws_sdk_autoscaling::Client::new(&sdk_config(cloud).await)
}

/// The target groups of these tests: checked every 10 s, healthy after
/// 3 passes ([`HEALTHY_MS`]), draining for [`DRAIN_MS`].
const CHECKS: Checks = Checks {
    interval_seconds: 10,
    healthy_threshold: 3,
    drain_seconds: DRAIN_MS / 1000,
};

/// Registers `instances` with the target group `group`.
async fn register(cloud: &Cloud, group: &str, instances: &[String]) {
    let mut request = cloud
        .elbv2()
        .await
        .register_targets()
        .target_group_arn(group);
    for id in instances {
        request = request.targets(TargetDescription::builder().id(id).build());
    }
    request.send().await.unwrap();
}

/// The state of each target of `group` that `DescribeTargetHealth` lists
/// (registered or draining), by instance id.
async fn target_states(cloud: &Cloud, group: &str) -> Vec<(String, TargetHealthStateEnum)> {
    let described = cloud
        .elbv2()
        .await
        .describe_target_health()
        .target_group_arn(group)
        .send()
        .await
        .unwrap();
    let mut states: Vec<(String, TargetHealthStateEnum)> = described
        .target_health_descriptions()
        .iter()
        .map(|description| {
            (
                description.target().unwrap().id().unwrap().to_owned(),
                description
                    .target_health()
                    .unwrap()
                    .state()
                    .unwrap()
                    .clone(),
            )
        })
        .collect();
    states.sort_by(|left, right| left.0.cmp(&right.0));
    states
}

/// A deployment style of `kind` behind a load balancer.
fn with_traffic_control(kind: DeploymentType) -> DeploymentStyle {
    DeploymentStyle::builder()
        .deployment_type(kind)
        .deployment_option(DeploymentOption::WithTrafficControl)
        .build()
}

/// Load balancer information naming the target group `name`.
fn target_group_info(name: &str) -> LoadBalancerInfo {
    LoadBalancerInfo::builder()
        .target_group_info_list(TargetGroupInfo::builder().name(name).build())
        .build()
}

/// Creates an in-place group selecting instances tagged `Role=web`, one
/// at a time, behind the load balancers of `info`.
async fn in_place_group(cloud: &Cloud, info: LoadBalancerInfo) {
    cloud
        .new_group(APP, GROUP)
        .await
        .ec2_tag_filters(tag_filter("Role", "web"))
        .deployment_style(with_traffic_control(DeploymentType::InPlace))
        .load_balancer_info(info)
        .send()
        .await
        .unwrap();
}

/// The start and end (in milliseconds since `origin`) and status of event
/// `name` of `target`.
fn event(target: &InstanceTarget, name: &str, origin: i64) -> (i64, i64, String) {
    let event = target
        .lifecycle_events()
        .iter()
        .find(|event| event.lifecycle_event_name() == Some(name))
        .unwrap_or_else(|| panic!("{name} in {target:?}"));
    (
        millis(event.start_time().unwrap()) - origin,
        millis(event.end_time().unwrap()) - origin,
        event.status().unwrap().as_str().to_owned(),
    )
}

#[tokio::test]
async fn in_place_deregisters_each_instance_while_it_installs_and_registers_it_healthy() {
    let cloud = Cloud::start().await;
    let group = cloud.target_group("web-tg", CHECKS).await;
    let ids = cloud.launch(2, &[("Role", "web")]);
    // The first instance serves traffic already; the second has never been
    // registered.
    register(&cloud, &group, &ids[..1]).await;
    cloud.advance(HEALTHY_MS);
    assert_eq!(
        target_states(&cloud, &group).await,
        [(ids[0].clone(), TargetHealthStateEnum::Healthy)]
    );
    in_place_group(&cloud, target_group_info("web-tg")).await;
    let deployment = cloud.deploy(APP, GROUP, "v1").await;
    let origin = cloud.now().as_millis();

    // The first instance is taken out of the target group at once and
    // drains while the deployment waits.
    cloud.advance(EVENT_MS);
    assert_eq!(
        target_states(&cloud, &group).await,
        [(ids[0].clone(), TargetHealthStateEnum::Draining)]
    );
    assert_eq!(
        cloud.status(&deployment).await,
        DeploymentStatus::InProgress
    );
    // Drained, it is gone from the target group while it installs.
    cloud.advance(DRAIN_MS);
    assert!(target_states(&cloud, &group).await.is_empty());
    cloud.advance(3 * EVENT_MS);
    assert!(target_states(&cloud, &group).await.is_empty());

    let info = cloud.run_to_end(&deployment, 300).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let targets = cloud.targets(&deployment).await;
    // First instance: BlockTraffic lasts the deregistration delay; six
    // one-second install events; BeforeAllowTraffic; AllowTraffic lasts
    // until three health checks ten seconds apart have passed.
    let first = &targets[0];
    assert_eq!(first.target_id(), Some(ids[0].as_str()));
    assert_eq!(
        event(first, "BlockTraffic", origin),
        (0, DRAIN_MS, "Succeeded".to_owned())
    );
    let allowed = DRAIN_MS + 7 * EVENT_MS;
    assert_eq!(
        event(first, "AllowTraffic", origin),
        (allowed, allowed + HEALTHY_MS, "Succeeded".to_owned())
    );
    let first_done = allowed + HEALTHY_MS + EVENT_MS;
    assert_eq!(event(first, "AfterAllowTraffic", origin).1, first_done);
    // Second instance: not registered, so nothing to drain.
    let second = &targets[1];
    assert_eq!(
        event(second, "BlockTraffic", origin),
        (first_done, first_done, "Succeeded".to_owned())
    );
    let second_allowed = first_done + 7 * EVENT_MS;
    assert_eq!(
        event(second, "AllowTraffic", origin),
        (
            second_allowed,
            second_allowed + HEALTHY_MS,
            "Succeeded".to_owned()
        )
    );
    assert_eq!(
        millis(info.complete_time().unwrap()) - origin,
        second_allowed + HEALTHY_MS + EVENT_MS
    );
    // Both serve traffic now.
    assert_eq!(
        target_states(&cloud, &group).await,
        [
            (ids[0].clone(), TargetHealthStateEnum::Healthy),
            (ids[1].clone(), TargetHealthStateEnum::Healthy),
        ]
    );
}

/// The state and description `DescribeInstanceHealth` gives instance `id`
/// of the classic load balancer `web-elb`.
async fn classic_health(
    client: &aws_sdk_elasticloadbalancing::Client,
    id: &str,
) -> (String, String) {
    let described = client
        .describe_instance_health()
        .load_balancer_name("web-elb")
        .instances(
            aws_sdk_elasticloadbalancing::types::Instance::builder()
                .instance_id(id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let state = &described.instance_states()[0];
    (
        state.state().unwrap().to_owned(),
        state.description().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn in_place_behind_a_classic_load_balancer_waits_for_draining_and_in_service() {
    let cloud = Cloud::start().await;
    let client = elb(&cloud).await;
    client
        .create_load_balancer()
        .load_balancer_name("web-elb")
        .listeners(
            aws_sdk_elasticloadbalancing::types::Listener::builder()
                .protocol("HTTP")
                .load_balancer_port(80)
                .instance_port(80)
                .build()
                .unwrap(),
        )
        .availability_zones("us-east-1a")
        .send()
        .await
        .unwrap();
    // In service after two checks five seconds apart; twenty seconds of
    // connection draining.
    client
        .configure_health_check()
        .load_balancer_name("web-elb")
        .health_check(
            aws_sdk_elasticloadbalancing::types::HealthCheck::builder()
                .target("HTTP:80/health")
                .interval(5)
                .timeout(2)
                .unhealthy_threshold(2)
                .healthy_threshold(2)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    client
        .modify_load_balancer_attributes()
        .load_balancer_name("web-elb")
        .load_balancer_attributes(
            aws_sdk_elasticloadbalancing::types::LoadBalancerAttributes::builder()
                .connection_draining(
                    aws_sdk_elasticloadbalancing::types::ConnectionDraining::builder()
                        .enabled(true)
                        .timeout(20)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ids = cloud.launch(1, &[("Role", "web")]);
    client
        .register_instances_with_load_balancer()
        .load_balancer_name("web-elb")
        .instances(
            aws_sdk_elasticloadbalancing::types::Instance::builder()
                .instance_id(&ids[0])
                .build(),
        )
        .send()
        .await
        .unwrap();
    cloud.advance(10_000);
    assert_eq!(classic_health(&client, &ids[0]).await.0, "InService");
    in_place_group(
        &cloud,
        LoadBalancerInfo::builder()
            .elb_info_list(ElbInfo::builder().name("web-elb").build())
            .build(),
    )
    .await;
    let deployment = cloud.deploy(APP, GROUP, "v1").await;
    let origin = cloud.now().as_millis();

    cloud.advance(EVENT_MS);
    assert_eq!(
        classic_health(&client, &ids[0]).await,
        (
            "OutOfService".to_owned(),
            "Instance deregistration currently in progress.".to_owned()
        )
    );
    // The rest in one step of the clock: the events' times come from the
    // load balancer all the same.
    cloud.advance(10 * 60_000);
    let info = cloud.deployment(&deployment).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let targets = cloud.targets(&deployment).await;
    assert_eq!(
        event(&targets[0], "BlockTraffic", origin),
        (0, 20_000, "Succeeded".to_owned())
    );
    let allowed = 20_000 + 7 * EVENT_MS;
    assert_eq!(
        event(&targets[0], "AllowTraffic", origin),
        (allowed, allowed + 10_000, "Succeeded".to_owned())
    );
    assert_eq!(classic_health(&client, &ids[0]).await.0, "InService");
}

#[tokio::test]
async fn a_target_group_that_does_not_exist_fails_the_deployment_as_aws_does() {
    let cloud = Cloud::start().await;
    cloud.target_group("web-tg", CHECKS).await;
    cloud.launch(2, &[("Role", "web")]);
    in_place_group(
        &cloud,
        LoadBalancerInfo::builder()
            .target_group_info_list(TargetGroupInfo::builder().name("web-tg").build())
            .target_group_info_list(TargetGroupInfo::builder().name("missing-tg").build())
            .build(),
    )
    .await;
    let deployment = cloud.deploy(APP, GROUP, "v1").await;
    let info = cloud.run_to_end(&deployment, 60).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let error = info.error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::ElasticLoadBalancingInvalid));
    let message = error.message().unwrap();
    assert!(
        message.starts_with(
            "The ELB could not be updated due to the following error: One or more target groups not found: missing-tg"
        ),
        "{message}"
    );
    let targets = cloud.targets(&deployment).await;
    let failed = &targets[0];
    assert_eq!(target_status(failed), "Failed");
    let block = failed
        .lifecycle_events()
        .iter()
        .find(|event| event.lifecycle_event_name() == Some("BlockTraffic"))
        .unwrap();
    assert_eq!(block.status().unwrap().as_str(), "Failed");
    let diagnostics = block.diagnostics().unwrap();
    assert_eq!(diagnostics.error_code().unwrap().as_str(), "UnknownError");
    assert!(
        diagnostics
            .message()
            .unwrap()
            .contains("One or more target groups not found: missing-tg")
    );
    // Nothing after the failed event ran.
    let after = failed
        .lifecycle_events()
        .iter()
        .skip_while(|event| event.lifecycle_event_name() != Some("BlockTraffic"))
        .skip(1)
        .all(|event| event.status().unwrap().as_str() == "Skipped");
    assert!(after);
}

/// A blue/green group over the originals tagged `Role=blue` behind the
/// target group `web-tg`, half at a time, rerouting as soon as the
/// replacements are ready and terminating the originals after
/// `termination_minutes`; `provisioning` says where the replacements come
/// from.
async fn blue_green_group(
    cloud: &Cloud,
    provisioning: GreenFleetProvisioningAction,
    termination_minutes: i32,
) -> aws_sdk_codedeploy::operation::create_deployment_group::builders::CreateDeploymentGroupFluentBuilder
{
    cloud
        .new_group(APP, GROUP)
        .await
        .deployment_config_name("CodeDeployDefault.HalfAtATime")
        .ec2_tag_filters(tag_filter("Role", "blue"))
        .deployment_style(with_traffic_control(DeploymentType::BlueGreen))
        .load_balancer_info(target_group_info("web-tg"))
        .blue_green_deployment_configuration(
            BlueGreenDeploymentConfiguration::builder()
                .deployment_ready_option(
                    DeploymentReadyOption::builder()
                        .action_on_timeout(DeploymentReadyAction::ContinueDeployment)
                        .build(),
                )
                .terminate_blue_instances_on_deployment_success(
                    BlueInstanceTerminationOption::builder()
                        .action(InstanceAction::Terminate)
                        .termination_wait_time_in_minutes(termination_minutes)
                        .build(),
                )
                .green_fleet_provisioning_option(
                    GreenFleetProvisioningOption::builder()
                        .action(provisioning)
                        .build(),
                )
                .build(),
        )
}

#[tokio::test]
async fn blue_green_registers_the_replacements_then_deregisters_and_terminates_the_originals() {
    let cloud = Cloud::start().await;
    let group = cloud.target_group("web-tg", CHECKS).await;
    let blue = cloud.launch(2, &[("Role", "blue")]);
    let green = cloud.launch(2, &[("Role", "green")]);
    register(&cloud, &group, &blue).await;
    cloud.advance(HEALTHY_MS);
    blue_green_group(&cloud, GreenFleetProvisioningAction::DiscoverExisting, 5)
        .await
        .send()
        .await
        .unwrap();
    let deployment = cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(github("v1"))
        .target_instances(
            TargetInstances::builder()
                .tag_filters(tag_filter("Role", "green"))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned();
    let origin = cloud.now().as_millis();
    let states = |green_state: TargetHealthStateEnum, blue_state: Option<TargetHealthStateEnum>| {
        let mut expected: Vec<(String, TargetHealthStateEnum)> = green
            .iter()
            .map(|id| (id.clone(), green_state.clone()))
            .chain(
                blue_state
                    .into_iter()
                    .flat_map(|state| blue.iter().map(move |id| (id.clone(), state.clone()))),
            )
            .collect();
        expected.sort_by(|left, right| left.0.cmp(&right.0));
        expected
    };

    // Half at a time: one replacement, then the other, six one-second
    // events each; then traffic is rerouted at once. Five seconds into
    // AllowTraffic the replacements are registered and being checked, and
    // the originals still serve.
    let reroute = 12 * EVENT_MS;
    cloud.advance(reroute + EVENT_MS + 5_000);
    assert_eq!(
        target_states(&cloud, &group).await,
        states(
            TargetHealthStateEnum::Initial,
            Some(TargetHealthStateEnum::Healthy)
        )
    );
    // Once the replacements are healthy, the originals drain.
    cloud.advance(HEALTHY_MS + 2 * EVENT_MS);
    assert_eq!(
        target_states(&cloud, &group).await,
        states(
            TargetHealthStateEnum::Healthy,
            Some(TargetHealthStateEnum::Draining)
        )
    );
    // Drained, they are gone; the deployment waits to terminate them.
    cloud.advance(DRAIN_MS);
    assert_eq!(
        target_states(&cloud, &group).await,
        states(TargetHealthStateEnum::Healthy, None)
    );
    let info = cloud.deployment(&deployment).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::InProgress));
    assert!(info.instance_termination_wait_time_started());

    let targets = cloud.targets(&deployment).await;
    let allowed_end = reroute + EVENT_MS + HEALTHY_MS;
    let blocked_start = allowed_end + EVENT_MS;
    for target in &targets {
        let id = target.target_id().unwrap().to_owned();
        assert_eq!(target_status(target), "Succeeded", "{target:?}");
        if green.contains(&id) {
            assert_eq!(
                event(target, "BeforeAllowTraffic", origin).0,
                reroute,
                "{target:?}"
            );
            assert_eq!(
                event(target, "AllowTraffic", origin),
                (reroute + EVENT_MS, allowed_end, "Succeeded".to_owned())
            );
        } else {
            // The originals block traffic after every replacement allows
            // it, for as long as they drain.
            assert_eq!(
                event(target, "BlockTraffic", origin),
                (
                    blocked_start,
                    blocked_start + DRAIN_MS,
                    "Succeeded".to_owned()
                )
            );
        }
    }

    // Five minutes after traffic was rerouted, the originals are
    // terminated and the deployment has succeeded.
    let rerouted = blocked_start + DRAIN_MS;
    cloud.advance(origin + rerouted + 5 * 60_000 - cloud.now().as_millis());
    let info = cloud.deployment(&deployment).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(
        millis(info.complete_time().unwrap()) - origin,
        rerouted + 5 * 60_000
    );
    let world = cloud.local.snapshot();
    for id in &blue {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Terminated);
    }
    for id in &green {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Running);
    }
}

/// Creates the Auto Scaling group `name` of `desired` instances tagged
/// `Role=blue`, from a new launch template, and moves the clock on until
/// they are in service. Returns their ids, sorted.
async fn auto_scaling_group(cloud: &Cloud, name: &str, desired: i32) -> Vec<String> {
    let config = sdk_config(cloud).await;
    aws_sdk_ec2::Client::new(&config)
        .create_launch_template()
        .launch_template_name(format!("{name}-template"))
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-0abcdef1234567890")
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .iam_instance_profile(
                    aws_sdk_ec2::types::LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                        .arn(cloud.instance_profile_arn())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let client = autoscaling(cloud).await;
    client
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(format!("{name}-template"))
                .build(),
        )
        .min_size(0)
        .max_size(4)
        .desired_capacity(desired)
        .availability_zones("us-east-1a")
        .tags(
            aws_sdk_autoscaling::types::Tag::builder()
                .key("Role")
                .value("blue")
                .propagate_at_launch(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    cloud.advance(STATE_TRANSITION_MILLIS);
    let mut ids = in_service(cloud, name).await;
    ids.sort();
    assert_eq!(ids.len(), usize::try_from(desired).unwrap());
    ids
}

/// The ids of the `InService` instances of Auto Scaling group `name`, or
/// `None` when there is no such group.
async fn in_service_of(cloud: &Cloud, name: &str) -> Option<Vec<String>> {
    let described = autoscaling(cloud)
        .await
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap();
    let group = described.auto_scaling_groups().first()?;
    Some(
        group
            .instances()
            .iter()
            .filter(|instance| {
                instance.lifecycle_state()
                    == Some(&aws_sdk_autoscaling::types::LifecycleState::InService)
            })
            .map(|instance| instance.instance_id().unwrap().to_owned())
            .collect(),
    )
}

/// The ids of the `InService` instances of Auto Scaling group `name`.
async fn in_service(cloud: &Cloud, name: &str) -> Vec<String> {
    in_service_of(cloud, name).await.unwrap_or_default()
}

#[tokio::test]
async fn blue_green_copying_the_auto_scaling_group_replaces_the_fleet_behind_the_target_group() {
    let cloud = Cloud::start().await;
    let group = cloud.target_group("web-tg", CHECKS).await;
    let blue = auto_scaling_group(&cloud, "web-asg", 2).await;
    register(&cloud, &group, &blue).await;
    cloud.advance(HEALTHY_MS);
    blue_green_group(
        &cloud,
        GreenFleetProvisioningAction::CopyAutoScalingGroup,
        1,
    )
    .await
    .auto_scaling_groups("web-asg")
    .send()
    .await
    .unwrap();
    let deployment = cloud.deploy(APP, GROUP, "v1").await;
    let origin = cloud.now().as_millis();

    // The deployment starts by copying the group, named as AWS names
    // copies, and waits for the copy's instances.
    let copy = format!("CodeDeploy_{GROUP}_{deployment}");
    cloud.advance(EVENT_MS);
    assert_eq!(
        cloud.status(&deployment).await,
        DeploymentStatus::InProgress
    );
    assert!(cloud.targets(&deployment).await.len() == 2);
    let described = autoscaling(&cloud)
        .await
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&copy)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.auto_scaling_groups()[0].desired_capacity(),
        Some(2)
    );

    let info = cloud.run_to_end(&deployment, 600).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let mut green = in_service(&cloud, &copy).await;
    green.sort();
    assert_eq!(green.len(), 2);
    assert!(green.iter().all(|id| !blue.contains(id)));
    let world = cloud.local.snapshot();
    let copy_ready = green
        .iter()
        .map(|id| world.autoscaling.instances[id].since.as_millis())
        .max()
        .unwrap();
    let targets = cloud.targets(&deployment).await;
    let mut first_install = i64::MAX;
    for target in &targets {
        let id = target.target_id().unwrap().to_owned();
        assert_eq!(target_status(target), "Succeeded", "{target:?}");
        let label = target.instance_label().unwrap().as_str();
        if green.contains(&id) {
            assert_eq!(label, "Green");
            first_install = first_install.min(event(target, "DownloadBundle", 0).0);
            assert_eq!(event(target, "AllowTraffic", 0).2, "Succeeded");
        } else {
            assert_eq!(label, "Blue");
            assert!(blue.contains(&id));
            assert_eq!(event(target, "BlockTraffic", 0).2, "Succeeded");
        }
    }
    // Installing began once the copy's instances were in service.
    assert!(copy_ready > origin);
    assert_eq!(first_install, copy_ready);

    // The copy's instances serve behind the target group; the originals
    // are out of it, terminated with their Auto Scaling group, and the
    // deployment group now names the copy.
    assert_eq!(
        target_states(&cloud, &group).await,
        green
            .iter()
            .map(|id| (id.clone(), TargetHealthStateEnum::Healthy))
            .collect::<Vec<_>>()
    );
    let deployment_group = cloud
        .client
        .get_deployment_group()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = deployment_group
        .deployment_group_info()
        .unwrap()
        .auto_scaling_groups()
        .iter()
        .map(|group| group.name().unwrap())
        .collect();
    assert_eq!(names, [copy.as_str()]);
    // CodeDeploy's launch hook moved with it: the copy's next instance
    // gets a launch deployment; the original's hook is gone.
    cloud.advance(EVENT_MS);
    let world = cloud.local.snapshot();
    let hooks_of = |name: &str| -> Vec<String> {
        world
            .autoscaling
            .groups
            .get(name)
            .map(|group| group.hooks.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert!(
        hooks_of(&copy)
            .iter()
            .any(|hook| hook.starts_with("CodeDeploy-managed-automatic-launch-deployment-hook-")),
        "{:?}",
        hooks_of(&copy)
    );
    assert!(
        !hooks_of("web-asg")
            .iter()
            .any(|hook| hook.starts_with("CodeDeploy-managed-")),
        "{:?}",
        hooks_of("web-asg")
    );
    cloud.advance(10 * EVENT_MS);
    assert_eq!(in_service_of(&cloud, "web-asg").await, None);
    let world = cloud.local.snapshot();
    for id in &blue {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Terminated);
    }
    for id in &green {
        assert_eq!(world.ec2.instances[id].state, InstanceState::Running);
    }
}

#[tokio::test]
async fn copying_a_launch_template_group_needs_a_service_role_that_may_launch_from_it() {
    let cloud = Cloud::start().await;
    let iam = aws_sdk_iam::Client::new(&sdk_config(&cloud).await);
    iam.create_role()
        .role_name("CodeDeployServiceRole")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("CodeDeployServiceRole")
        .policy_arn("arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")
        .send()
        .await
        .unwrap();
    cloud.target_group("web-tg", CHECKS).await;
    auto_scaling_group(&cloud, "web-asg", 2).await;
    blue_green_group(
        &cloud,
        GreenFleetProvisioningAction::CopyAutoScalingGroup,
        1,
    )
    .await
    .auto_scaling_groups("web-asg")
    .send()
    .await
    .expect("the managed policy covers what CodeDeploy does to Auto Scaling groups");

    // The managed policy alone does not let CodeDeploy launch the copy.
    let refused = cloud.deploy(APP, GROUP, "v1").await;
    cloud.advance(EVENT_MS);
    assert_eq!(cloud.status(&refused).await, DeploymentStatus::Failed);
    let info = cloud
        .client
        .get_deployment()
        .deployment_id(&refused)
        .send()
        .await
        .unwrap();
    let error = info.deployment_info().unwrap().error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::IamRolePermissions));
    assert!(
        error
            .message()
            .unwrap()
            .contains("it also needs ec2:RunInstances, ec2:CreateTags, iam:PassRole"),
        "{error:?}"
    );
    assert_eq!(
        in_service_of(&cloud, &format!("CodeDeploy_{GROUP}_{refused}")).await,
        None,
        "nothing is copied"
    );

    // With the inline policy the service role wizard adds, it can.
    iam.put_role_policy()
        .role_name("CodeDeployServiceRole")
        .policy_name(deploydesk::domain::setup::LAUNCH_TEMPLATE_POLICY_NAME)
        .policy_document(deploydesk::domain::setup::launch_template_policy().to_string())
        .send()
        .await
        .unwrap();
    let copied = cloud.deploy(APP, GROUP, "v1").await;
    cloud.advance(EVENT_MS);
    assert_eq!(cloud.status(&copied).await, DeploymentStatus::InProgress);
    assert!(
        in_service_of(&cloud, &format!("CodeDeploy_{GROUP}_{copied}"))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn a_copy_whose_instances_never_get_in_service_fails_the_deployment_after_an_hour() {
    let cloud = Cloud::start().await;
    cloud.target_group("web-tg", CHECKS).await;
    auto_scaling_group(&cloud, "web-asg", 2).await;
    // A launch hook nobody completes holds every new instance in
    // Pending:Wait for two hours; the copy inherits it.
    autoscaling(&cloud)
        .await
        .put_lifecycle_hook()
        .auto_scaling_group_name("web-asg")
        .lifecycle_hook_name("warm-up")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
        .heartbeat_timeout(7200)
        .default_result("CONTINUE")
        .send()
        .await
        .unwrap();
    blue_green_group(
        &cloud,
        GreenFleetProvisioningAction::CopyAutoScalingGroup,
        1,
    )
    .await
    .auto_scaling_groups("web-asg")
    .send()
    .await
    .unwrap();
    let deployment = cloud.deploy(APP, GROUP, "v1").await;
    cloud.advance(EVENT_MS);
    let copy = format!("CodeDeploy_{GROUP}_{deployment}");
    assert_eq!(in_service_of(&cloud, &copy).await, Some(Vec::new()));

    cloud.advance(59 * 60_000);
    assert_eq!(
        cloud.status(&deployment).await,
        DeploymentStatus::InProgress,
        "still waiting within the hour"
    );
    cloud.advance(2 * 60_000);
    assert_eq!(cloud.status(&deployment).await, DeploymentStatus::Failed);
    let info = cloud
        .client
        .get_deployment()
        .deployment_id(&deployment)
        .send()
        .await
        .unwrap();
    let error = info.deployment_info().unwrap().error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::Timeout));
    assert!(
        error.message().unwrap().contains(&format!(
            "The replacement Auto Scaling group {copy} had 0 of its 2 instances InService after 60 minutes"
        )),
        "{error:?}"
    );
    // Nothing was installed: the originals were never touched.
    for target in cloud.targets(&deployment).await {
        assert_ne!(target_status(&target), "Succeeded", "{target:?}");
    }
}
