//! The local cloud's CodeDeploy, driven through the official AWS SDK for
//! Rust exactly as DeployDesk's client side drives AWS.

use crate::support;

use std::collections::BTreeSet;

use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::error::ProvideErrorMetadata as _;
use aws_sdk_codedeploy::primitives::DateTime;
use aws_sdk_codedeploy::types::{
    Alarm, AlarmConfiguration, ApplicationInfo, AutoRollbackConfiguration, AutoRollbackEvent,
    BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, BundleType, ComputePlatform,
    DeploymentConfigInfo, DeploymentGroupInfo, DeploymentOption, DeploymentReadyAction,
    DeploymentReadyOption, DeploymentStyle, DeploymentType, Ec2TagFilter, Ec2TagFilterType,
    Ec2TagSet, ElbInfo, GitHubLocation, GreenFleetProvisioningAction, GreenFleetProvisioningOption,
    InstanceAction, InstanceInfo, MinimumHealthyHosts, MinimumHealthyHostsType, OnPremisesTagSet,
    OutdatedInstancesStrategy, RegistrationStatus, RevisionLocation, RevisionLocationType,
    S3Location, SortOrder, Tag, TagFilter, TagFilterType, TargetGroupInfo, TimeBasedCanary,
    TrafficRoutingConfig, TrafficRoutingType, TriggerConfig, TriggerEventType,
};
use deploydesk::localcloud::LocalCloud;
use support::{START, auto_scaling_group, codedeploy, eventually, start, start_with_state};

/// Sends a request that must fail, checks the SDK's typed error with the
/// given `is_*` method, and returns the error for further checks.
macro_rules! assert_fails {
    ($request:expr, $check:ident) => {{
        let error = $request.send().await.unwrap_err().into_service_error();
        assert!(error.$check(), "expected {}: {error:?}", stringify!($check));
        error
    }};
}

const ROLE: &str = "arn:aws:iam::000000000000:role/CodeDeployServiceRole";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn ec2_filter(key: &str, value: &str) -> Ec2TagFilter {
    Ec2TagFilter::builder()
        .key(key)
        .value(value)
        .r#type(Ec2TagFilterType::KeyAndValue)
        .build()
}

fn s3_revision(bucket: &str, key: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(
            S3Location::builder()
                .bucket(bucket)
                .key(key)
                .bundle_type(BundleType::Zip)
                .build(),
        )
        .build()
}

fn seconds(stamp: deploydesk::localcloud::Timestamp) -> DateTime {
    DateTime::from_millis(stamp.as_millis())
}

async fn create_app(client: &Client, name: &str) {
    client
        .create_application()
        .application_name(name)
        .send()
        .await
        .expect("the application is created");
}

async fn create_group(client: &Client, app: &str, group: &str) {
    client
        .create_deployment_group()
        .application_name(app)
        .deployment_group_name(group)
        .service_role_arn(ROLE)
        .send()
        .await
        .expect("the deployment group is created");
}

async fn get_app(client: &Client, name: &str) -> ApplicationInfo {
    client
        .get_application()
        .application_name(name)
        .send()
        .await
        .expect("the application can be read")
        .application
        .expect("the answer holds the application")
}

async fn get_group(client: &Client, app: &str, group: &str) -> DeploymentGroupInfo {
    client
        .get_deployment_group()
        .application_name(app)
        .deployment_group_name(group)
        .send()
        .await
        .expect("the deployment group can be read")
        .deployment_group_info
        .expect("the answer holds the group")
}

async fn get_config(client: &Client, name: &str) -> DeploymentConfigInfo {
    client
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
        .expect("the deployment configuration can be read")
        .deployment_config_info
        .expect("the answer holds the configuration")
}

async fn get_instance(client: &Client, name: &str) -> InstanceInfo {
    client
        .get_on_premises_instance()
        .instance_name(name)
        .send()
        .await
        .expect("the instance can be read")
        .instance_info
        .expect("the answer holds the instance")
}

#[tokio::test]
async fn applications_are_created_read_renamed_and_deleted() {
    let (cloud, clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;

    let created = client
        .create_application()
        .application_name("web")
        .compute_platform(ComputePlatform::Server)
        .tags(tag("team", "payments"))
        .send()
        .await
        .unwrap();
    let id = created.application_id().unwrap().to_owned();
    clock.advance_millis(5_000);
    client
        .create_application()
        .application_name("fn")
        .compute_platform(ComputePlatform::Lambda)
        .send()
        .await
        .unwrap();

    let web = get_app(&client, "web").await;
    assert_eq!(web.application_id(), Some(id.as_str()));
    assert_eq!(web.application_name(), Some("web"));
    assert_eq!(web.compute_platform(), Some(&ComputePlatform::Server));
    assert_eq!(web.create_time(), Some(&seconds(START)));
    assert!(!web.linked_to_git_hub());

    let both = client
        .batch_get_applications()
        .application_names("fn")
        .application_names("web")
        .send()
        .await
        .unwrap();
    let platforms: Vec<_> = both
        .applications_info()
        .iter()
        .map(|info| info.compute_platform().unwrap().as_str())
        .collect();
    assert_eq!(platforms, ["Lambda", "Server"]);
    assert_eq!(
        both.applications_info()[0].create_time(),
        Some(&seconds(START.plus_millis(5_000)))
    );

    let names = client.list_applications().send().await.unwrap();
    assert_eq!(names.applications(), ["fn", "web"]);
    assert_eq!(names.next_token(), None);

    // Renaming keeps the id, the groups and the tags.
    create_group(&client, "web", "prod").await;
    client
        .update_application()
        .application_name("web")
        .new_application_name("web-shop")
        .send()
        .await
        .unwrap();
    let renamed = get_app(&client, "web-shop").await;
    assert_eq!(renamed.application_id(), Some(id.as_str()));
    let group = get_group(&client, "web-shop", "prod").await;
    assert_eq!(group.application_name(), Some("web-shop"));
    assert_fails!(
        client.get_application().application_name("web"),
        is_application_does_not_exist_exception
    );

    // Deleting removes the groups too: a new application of the same name
    // starts without them.
    client
        .delete_application()
        .application_name("web-shop")
        .send()
        .await
        .unwrap();
    create_app(&client, "web-shop").await;
    let groups = client
        .list_deployment_groups()
        .application_name("web-shop")
        .send()
        .await
        .unwrap();
    assert!(groups.deployment_groups().is_empty());
    // Deleting what does not exist succeeds, as in CodeDeploy.
    client
        .delete_application()
        .application_name("never-was")
        .send()
        .await
        .unwrap();
    cloud.shutdown().await;
}

#[tokio::test]
async fn application_errors_have_the_api_exception_names() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    create_app(&client, "web").await;

    let duplicate = assert_fails!(
        client.create_application().application_name("web"),
        is_application_already_exists_exception
    );
    assert!(duplicate.message().unwrap().contains("already exists"));

    let bad_name = assert_fails!(
        client.create_application().application_name("my app"),
        is_invalid_application_name_exception
    );
    assert!(bad_name.message().unwrap().contains("use only letters"));

    assert_fails!(
        client
            .create_application()
            .application_name("a".repeat(101)),
        is_invalid_application_name_exception
    );

    assert_fails!(
        client
            .create_application()
            .application_name("k8s")
            .compute_platform(ComputePlatform::from("Kubernetes")),
        is_invalid_compute_platform_exception
    );

    assert_fails!(
        client
            .create_application()
            .application_name("tagged")
            .tags(tag("aws:reserved", "x")),
        is_invalid_tags_to_add_exception
    );

    assert_fails!(
        client
            .batch_get_applications()
            .application_names("web")
            .application_names("ghost"),
        is_application_does_not_exist_exception
    );

    assert_fails!(
        client
            .batch_get_applications()
            .set_application_names(Some((0..101).map(|i| format!("a{i}")).collect())),
        is_batch_limit_exceeded_exception
    );

    create_app(&client, "other").await;
    assert_fails!(
        client
            .update_application()
            .application_name("web")
            .new_application_name("other"),
        is_application_already_exists_exception
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn application_list_pages_cover_everything_once() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    let expected: BTreeSet<String> = (0..230).map(|i| format!("app-{i:03}")).collect();
    for name in &expected {
        create_app(&client, name).await;
    }

    // By hand: full pages of 100 with a token, then the rest without one.
    let first = client.list_applications().send().await.unwrap();
    assert_eq!(first.applications().len(), 100);
    let token = first.next_token().unwrap().to_owned();
    let second = client
        .list_applications()
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.applications().len(), 100);
    assert_eq!(second.applications()[0], "app-100");

    // With the SDK's paginator: nothing missing, nothing repeated.
    let all: Vec<String> = client
        .list_applications()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 230);
    assert_eq!(all.iter().cloned().collect::<BTreeSet<_>>(), expected);

    assert_fails!(
        client.list_applications().next_token("bm90IGEgdG9rZW4="),
        is_invalid_next_token_exception
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn deployment_groups_keep_every_member_they_are_given() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    create_app(&client, "web").await;

    let tag_set = Ec2TagSet::builder()
        .ec2_tag_set_list(vec![ec2_filter("Name", "web")])
        .ec2_tag_set_list(vec![
            ec2_filter("Env", "prod"),
            Ec2TagFilter::builder()
                .key("Canary")
                .r#type(Ec2TagFilterType::KeyOnly)
                .build(),
        ])
        .build();
    let on_premises_set = OnPremisesTagSet::builder()
        .on_premises_tag_set_list(vec![
            TagFilter::builder()
                .value("rack-7")
                .r#type(TagFilterType::ValueOnly)
                .build(),
        ])
        .build();
    let triggers = TriggerConfig::builder()
        .trigger_name("notify")
        .trigger_target_arn("arn:aws:sns:us-east-1:000000000000:deploys")
        .trigger_events(TriggerEventType::DeploymentFailure)
        .trigger_events(TriggerEventType::InstanceFailure)
        .build();
    let alarms = AlarmConfiguration::builder()
        .enabled(true)
        .ignore_poll_alarm_failure(true)
        .alarms(Alarm::builder().name("high-5xx").build())
        .build();
    let rollback = AutoRollbackConfiguration::builder()
        .enabled(true)
        .events(AutoRollbackEvent::DeploymentFailure)
        .events(AutoRollbackEvent::DeploymentStopOnAlarm)
        .build();
    let style = DeploymentStyle::builder()
        .deployment_type(DeploymentType::BlueGreen)
        .deployment_option(DeploymentOption::WithTrafficControl)
        .build();
    let blue_green = BlueGreenDeploymentConfiguration::builder()
        .terminate_blue_instances_on_deployment_success(
            BlueInstanceTerminationOption::builder()
                .action(InstanceAction::Terminate)
                .termination_wait_time_in_minutes(15)
                .build(),
        )
        .deployment_ready_option(
            DeploymentReadyOption::builder()
                .action_on_timeout(DeploymentReadyAction::StopDeployment)
                .wait_time_in_minutes(30)
                .build(),
        )
        .green_fleet_provisioning_option(
            GreenFleetProvisioningOption::builder()
                .action(GreenFleetProvisioningAction::DiscoverExisting)
                .build(),
        )
        .build();
    let load_balancer = aws_sdk_codedeploy::types::LoadBalancerInfo::builder()
        .elb_info_list(ElbInfo::builder().name("classic-lb").build())
        .target_group_info_list(TargetGroupInfo::builder().name("web-tg").build())
        .build();

    auto_scaling_group(&cloud, "web-asg", 0, &[]).await;
    let created = client
        .create_deployment_group()
        .application_name("web")
        .deployment_group_name("prod")
        .deployment_config_name("CodeDeployDefault.HalfAtATime")
        .ec2_tag_set(tag_set.clone())
        .on_premises_tag_set(on_premises_set.clone())
        .auto_scaling_groups("web-asg")
        .service_role_arn(ROLE)
        .trigger_configurations(triggers.clone())
        .alarm_configuration(alarms.clone())
        .auto_rollback_configuration(rollback.clone())
        .outdated_instances_strategy(OutdatedInstancesStrategy::Ignore)
        .deployment_style(style.clone())
        .blue_green_deployment_configuration(blue_green.clone())
        .load_balancer_info(load_balancer.clone())
        .termination_hook_enabled(true)
        .tags(tag("cost-centre", "42"))
        .send()
        .await
        .unwrap();
    let group_id = created.deployment_group_id().unwrap().to_owned();

    let info = get_group(&client, "web", "prod").await;
    assert_eq!(info.deployment_group_id(), Some(group_id.as_str()));
    assert_eq!(info.application_name(), Some("web"));
    assert_eq!(info.deployment_group_name(), Some("prod"));
    assert_eq!(
        info.deployment_config_name(),
        Some("CodeDeployDefault.HalfAtATime")
    );
    assert_eq!(info.ec2_tag_set(), Some(&tag_set));
    assert_eq!(info.on_premises_tag_set(), Some(&on_premises_set));
    assert_eq!(info.auto_scaling_groups()[0].name(), Some("web-asg"));
    assert_eq!(info.service_role_arn(), Some(ROLE));
    assert_eq!(info.trigger_configurations(), [triggers]);
    assert_eq!(info.alarm_configuration(), Some(&alarms));
    assert_eq!(info.auto_rollback_configuration(), Some(&rollback));
    assert_eq!(
        info.outdated_instances_strategy(),
        Some(&OutdatedInstancesStrategy::Ignore)
    );
    assert_eq!(info.deployment_style(), Some(&style));
    assert_eq!(
        info.blue_green_deployment_configuration(),
        Some(&blue_green)
    );
    assert_eq!(info.load_balancer_info(), Some(&load_balancer));
    assert_eq!(info.compute_platform(), Some(&ComputePlatform::Server));
    assert!(info.termination_hook_enabled());
    assert!(info.ec2_tag_filters().is_empty());

    // Update: what is given replaces, what is left out stays; a new name renames.
    client
        .update_deployment_group()
        .application_name("web")
        .current_deployment_group_name("prod")
        .new_deployment_group_name("production")
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .ec2_tag_set(
            Ec2TagSet::builder()
                .set_ec2_tag_set_list(Some(vec![]))
                .build(),
        )
        .ec2_tag_filters(ec2_filter("Name", "web-v2"))
        .send()
        .await
        .unwrap();
    let updated = get_group(&client, "web", "production").await;
    assert_eq!(updated.deployment_group_id(), Some(group_id.as_str()));
    assert_eq!(
        updated.deployment_config_name(),
        Some("CodeDeployDefault.AllAtOnce")
    );
    assert_eq!(updated.ec2_tag_filters(), [ec2_filter("Name", "web-v2")]);
    assert_eq!(updated.alarm_configuration(), Some(&alarms));
    assert_eq!(
        updated.blue_green_deployment_configuration(),
        Some(&blue_green)
    );
    assert_fails!(
        client
            .get_deployment_group()
            .application_name("web")
            .deployment_group_name("prod"),
        is_deployment_group_does_not_exist_exception
    );

    // A plain group gets CodeDeploy's defaults.
    create_group(&client, "web", "staging").await;
    let staging = get_group(&client, "web", "staging").await;
    assert_eq!(
        staging.deployment_config_name(),
        Some("CodeDeployDefault.OneAtATime")
    );
    assert_eq!(
        staging.deployment_style().unwrap().deployment_type(),
        Some(&DeploymentType::InPlace)
    );
    assert_eq!(
        staging.outdated_instances_strategy(),
        Some(&OutdatedInstancesStrategy::Update)
    );

    let batch = client
        .batch_get_deployment_groups()
        .application_name("web")
        .deployment_group_names("staging")
        .deployment_group_names("missing")
        .deployment_group_names("production")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = batch
        .deployment_groups_info()
        .iter()
        .map(|info| info.deployment_group_name().unwrap())
        .collect();
    assert_eq!(names, ["staging", "production"]);
    assert!(batch.error_message().unwrap().contains("missing"));

    let listed = client
        .list_deployment_groups()
        .application_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.application_name(), Some("web"));
    assert_eq!(listed.deployment_groups(), ["production", "staging"]);

    client
        .delete_deployment_group()
        .application_name("web")
        .deployment_group_name("staging")
        .send()
        .await
        .unwrap();
    let listed = client
        .list_deployment_groups()
        .application_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.deployment_groups(), ["production"]);
    cloud.shutdown().await;
}

#[tokio::test]
async fn deployment_group_errors_have_the_api_exception_names() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    create_app(&client, "web").await;
    create_group(&client, "web", "prod").await;

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("prod")
            .service_role_arn(ROLE),
        is_deployment_group_already_exists_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("ghost")
            .deployment_group_name("prod")
            .service_role_arn(ROLE),
        is_application_does_not_exist_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .deployment_config_name("Custom.DoesNotExist"),
        is_deployment_config_does_not_exist_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .deployment_config_name("CodeDeployDefault.LambdaAllAtOnce"),
        is_invalid_deployment_config_name_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1"),
        is_role_required_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn("not-a-role"),
        is_invalid_role_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .ec2_tag_filters(
                Ec2TagFilter::builder()
                    .value("web")
                    .r#type(Ec2TagFilterType::KeyOnly)
                    .build(),
            ),
        is_invalid_ec2_tag_exception
    );

    let four_groups = Ec2TagSet::builder()
        .set_ec2_tag_set_list(Some(
            (0..4)
                .map(|i| vec![ec2_filter("Name", &format!("n{i}"))])
                .collect(),
        ))
        .build();
    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .ec2_tag_set(four_groups),
        is_tag_set_list_limit_exceeded_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .ec2_tag_filters(ec2_filter("Name", "a"))
            .ec2_tag_set(
                Ec2TagSet::builder()
                    .ec2_tag_set_list(vec![ec2_filter("Name", "b")])
                    .build(),
            ),
        is_invalid_ec2_tag_combination_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .on_premises_instance_tag_filters(
                TagFilter::builder()
                    .key("k".repeat(129))
                    .r#type(TagFilterType::KeyOnly)
                    .build(),
            ),
        is_invalid_tag_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("g1")
            .service_role_arn(ROLE)
            .alarm_configuration(AlarmConfiguration::builder().enabled(true).build()),
        is_invalid_alarm_config_exception
    );

    assert_fails!(
        client
            .create_deployment_group()
            .application_name("web")
            .deployment_group_name("prod/eu")
            .service_role_arn(ROLE),
        is_invalid_deployment_group_name_exception
    );

    // A failed update changes nothing.
    let rename_clash = {
        create_group(&client, "web", "staging").await;
        client
            .update_deployment_group()
            .application_name("web")
            .current_deployment_group_name("staging")
            .new_deployment_group_name("prod")
            .deployment_config_name("CodeDeployDefault.AllAtOnce")
            .send()
            .await
            .unwrap_err()
            .into_service_error()
    };
    assert!(
        rename_clash.is_deployment_group_already_exists_exception(),
        "{rename_clash:?}"
    );
    let staging = get_group(&client, "web", "staging").await;
    assert_eq!(
        staging.deployment_config_name(),
        Some("CodeDeployDefault.OneAtATime")
    );
    assert_fails!(
        client
            .update_deployment_group()
            .application_name("web")
            .current_deployment_group_name("nope"),
        is_deployment_group_does_not_exist_exception
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn deployment_group_list_pages_cover_everything_once() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    create_app(&client, "web").await;
    for i in 0..130 {
        create_group(&client, "web", &format!("group-{i:03}")).await;
    }
    let first = client
        .list_deployment_groups()
        .application_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(first.deployment_groups().len(), 100);
    assert!(first.next_token().is_some());
    let all: Vec<String> = client
        .list_deployment_groups()
        .application_name("web")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let expected: Vec<String> = (0..130).map(|i| format!("group-{i:03}")).collect();
    assert_eq!(all, expected);
    cloud.shutdown().await;
}

#[tokio::test]
async fn deployment_configs_predefined_and_custom() {
    let (cloud, clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;

    let one = get_config(&client, "CodeDeployDefault.OneAtATime").await;
    let minimum = one.minimum_healthy_hosts().unwrap();
    assert_eq!(minimum.r#type().unwrap().as_str(), "MOST_CONCURRENCY");
    assert_eq!(minimum.value(), 1);
    assert_eq!(one.compute_platform(), Some(&ComputePlatform::Server));
    for (name, kind, value) in [
        ("CodeDeployDefault.HalfAtATime", "FLEET_PERCENT", 50),
        ("CodeDeployDefault.AllAtOnce", "HOST_COUNT", 0),
    ] {
        let info = get_config(&client, name).await;
        let minimum = info.minimum_healthy_hosts().unwrap();
        assert_eq!(minimum.r#type().unwrap().as_str(), kind, "{name}");
        assert_eq!(minimum.value(), value, "{name}");
    }
    let canary = get_config(&client, "CodeDeployDefault.LambdaCanary10Percent5Minutes").await;
    assert_eq!(canary.compute_platform(), Some(&ComputePlatform::Lambda));
    let routing = canary.traffic_routing_config().unwrap();
    assert_eq!(routing.r#type(), Some(&TrafficRoutingType::TimeBasedCanary));
    let steps = routing.time_based_canary().unwrap();
    assert_eq!(
        (steps.canary_percentage(), steps.canary_interval()),
        (10, 5)
    );
    let ecs = get_config(&client, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes").await;
    assert_eq!(ecs.compute_platform(), Some(&ComputePlatform::Ecs));
    assert_eq!(
        ecs.traffic_routing_config()
            .unwrap()
            .time_based_linear()
            .unwrap()
            .linear_interval(),
        3
    );

    let created = client
        .create_deployment_config()
        .deployment_config_name("Mostly.Healthy")
        .minimum_healthy_hosts(
            MinimumHealthyHosts::builder()
                .r#type(MinimumHealthyHostsType::FleetPercent)
                .value(75)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let custom = get_config(&client, "Mostly.Healthy").await;
    assert_eq!(
        custom.deployment_config_id(),
        created.deployment_config_id()
    );
    assert_eq!(
        custom.create_time(),
        Some(&seconds(deploydesk::localcloud::Clock::now(clock.as_ref())))
    );
    assert_eq!(
        custom.minimum_healthy_hosts().unwrap().r#type(),
        Some(&MinimumHealthyHostsType::FleetPercent)
    );
    assert_eq!(custom.minimum_healthy_hosts().unwrap().value(), 75);

    let lambda_routing = TrafficRoutingConfig::builder()
        .r#type(TrafficRoutingType::TimeBasedCanary)
        .time_based_canary(
            TimeBasedCanary::builder()
                .canary_percentage(20)
                .canary_interval(7)
                .build(),
        )
        .build();
    client
        .create_deployment_config()
        .deployment_config_name("Lambda.Canary20")
        .compute_platform(ComputePlatform::Lambda)
        .traffic_routing_config(lambda_routing.clone())
        .send()
        .await
        .unwrap();
    let lambda = get_config(&client, "Lambda.Canary20").await;
    assert_eq!(lambda.traffic_routing_config(), Some(&lambda_routing));

    let all: Vec<String> = client
        .list_deployment_configs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 19);
    for name in [
        "CodeDeployDefault.OneAtATime",
        "CodeDeployDefault.HalfAtATime",
        "CodeDeployDefault.AllAtOnce",
        "CodeDeployDefault.LambdaAllAtOnce",
        "CodeDeployDefault.ECSAllAtOnce",
        "Mostly.Healthy",
        "Lambda.Canary20",
    ] {
        assert!(all.iter().any(|listed| listed == name), "{name} in {all:?}");
    }

    let hundred = assert_fails!(
        client
            .create_deployment_config()
            .deployment_config_name("All.Healthy")
            .minimum_healthy_hosts(
                MinimumHealthyHosts::builder()
                    .r#type(MinimumHealthyHostsType::FleetPercent)
                    .value(100)
                    .build(),
            ),
        is_invalid_minimum_healthy_host_value_exception
    );
    assert!(hundred.message().unwrap().contains("between 0 and 99"));

    assert_fails!(
        client
            .create_deployment_config()
            .deployment_config_name("CodeDeployDefault.Mine")
            .minimum_healthy_hosts(
                MinimumHealthyHosts::builder()
                    .r#type(MinimumHealthyHostsType::HostCount)
                    .value(1)
                    .build(),
            ),
        is_invalid_deployment_config_name_exception
    );

    assert_fails!(
        client
            .create_deployment_config()
            .deployment_config_name("Mostly.Healthy")
            .minimum_healthy_hosts(
                MinimumHealthyHosts::builder()
                    .r#type(MinimumHealthyHostsType::HostCount)
                    .value(1)
                    .build(),
            ),
        is_deployment_config_already_exists_exception
    );

    // In use: a group points at it, so it cannot be deleted until it moves.
    create_app(&client, "web").await;
    client
        .create_deployment_group()
        .application_name("web")
        .deployment_group_name("prod")
        .service_role_arn(ROLE)
        .deployment_config_name("Mostly.Healthy")
        .send()
        .await
        .unwrap();
    let in_use = assert_fails!(
        client
            .delete_deployment_config()
            .deployment_config_name("Mostly.Healthy"),
        is_deployment_config_in_use_exception
    );
    assert!(in_use.message().unwrap().contains("web/prod"));
    assert_fails!(
        client
            .delete_deployment_config()
            .deployment_config_name("CodeDeployDefault.OneAtATime"),
        is_invalid_operation_exception
    );

    client
        .delete_deployment_group()
        .application_name("web")
        .deployment_group_name("prod")
        .send()
        .await
        .unwrap();
    client
        .delete_deployment_config()
        .deployment_config_name("Mostly.Healthy")
        .send()
        .await
        .unwrap();
    assert_fails!(
        client
            .get_deployment_config()
            .deployment_config_name("Mostly.Healthy"),
        is_deployment_config_does_not_exist_exception
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn revisions_are_registered_read_listed_and_paged() {
    let (cloud, clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    create_app(&client, "web").await;

    let first = s3_revision("bundles", "web/v1.zip");
    client
        .register_application_revision()
        .application_name("web")
        .revision(first.clone())
        .description("first build")
        .send()
        .await
        .unwrap();
    clock.advance_millis(60_000);
    let github = RevisionLocation::builder()
        .revision_type(RevisionLocationType::GitHub)
        .git_hub_location(
            GitHubLocation::builder()
                .repository("acme/web")
                .commit_id("0123abcd")
                .build(),
        )
        .build();
    client
        .register_application_revision()
        .application_name("web")
        .revision(github.clone())
        .send()
        .await
        .unwrap();

    let got = client
        .get_application_revision()
        .application_name("web")
        .revision(first.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(got.application_name(), Some("web"));
    assert_eq!(got.revision(), Some(&first));
    let info = got.revision_info().unwrap();
    assert_eq!(info.description(), Some("first build"));
    assert_eq!(info.register_time(), Some(&seconds(START)));
    assert_eq!(info.first_used_time(), None);
    assert!(info.deployment_groups().is_empty());

    // Registering again updates the description, not the registration time.
    client
        .register_application_revision()
        .application_name("web")
        .revision(first.clone())
        .description("first build, retested")
        .send()
        .await
        .unwrap();
    let batch = client
        .batch_get_application_revisions()
        .application_name("web")
        .revisions(first.clone())
        .revisions(github.clone())
        .revisions(s3_revision("bundles", "not-registered.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.revisions().len(), 2);
    let retested = batch.revisions()[0].generic_revision_info().unwrap();
    assert_eq!(retested.description(), Some("first build, retested"));
    assert_eq!(retested.register_time(), Some(&seconds(START)));
    assert_eq!(
        batch.revisions()[1]
            .generic_revision_info()
            .unwrap()
            .register_time(),
        Some(&seconds(START.plus_millis(60_000)))
    );
    assert!(batch.error_message().is_some());

    let newest_first = client
        .list_application_revisions()
        .application_name("web")
        .sort_by(aws_sdk_codedeploy::types::ApplicationRevisionSortBy::RegisterTime)
        .sort_order(SortOrder::Descending)
        .send()
        .await
        .unwrap();
    assert_eq!(newest_first.revisions(), [github.clone(), first.clone()]);
    let only_s3 = client
        .list_application_revisions()
        .application_name("web")
        .s3_bucket("bundles")
        .s3_key_prefix("web/")
        .send()
        .await
        .unwrap();
    assert_eq!(only_s3.revisions(), std::slice::from_ref(&first));

    assert_fails!(
        client
            .get_application_revision()
            .application_name("web")
            .revision(s3_revision("bundles", "nope.zip")),
        is_revision_does_not_exist_exception
    );
    assert_fails!(
        client
            .register_application_revision()
            .application_name("web")
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::S3)
                    .s3_location(S3Location::builder().bucket("bundles").build())
                    .build(),
            ),
        is_invalid_revision_exception
    );
    assert_fails!(
        client
            .register_application_revision()
            .application_name("ghost")
            .revision(first.clone()),
        is_application_does_not_exist_exception
    );

    // Paging over more than one page.
    for i in 0..120 {
        client
            .register_application_revision()
            .application_name("web")
            .revision(s3_revision("bundles", &format!("web/build-{i:03}.zip")))
            .send()
            .await
            .unwrap();
    }
    let all: Vec<RevisionLocation> = client
        .list_application_revisions()
        .application_name("web")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 122);
    let keys: BTreeSet<_> = all
        .iter()
        .filter_map(|location| location.s3_location().and_then(|s3| s3.key()))
        .collect();
    assert_eq!(keys.len(), 121);

    // Deleting the application deletes its revisions.
    client
        .delete_application()
        .application_name("web")
        .send()
        .await
        .unwrap();
    create_app(&client, "web").await;
    let after = client
        .list_application_revisions()
        .application_name("web")
        .send()
        .await
        .unwrap();
    assert!(after.revisions().is_empty());
    cloud.shutdown().await;
}

#[tokio::test]
async fn on_premises_instances_register_tag_filter_and_deregister() {
    let (cloud, clock) = start().await;
    let client = codedeploy(&cloud, "eu-west-1").await;
    client
        .register_on_premises_instance()
        .instance_name("rack-1")
        .iam_user_arn("arn:aws:iam::000000000000:user/rack-1")
        .send()
        .await
        .unwrap();
    client
        .register_on_premises_instance()
        .instance_name("rack-2")
        .iam_session_arn("arn:aws:sts::000000000000:assumed-role/OnPrem/rack-2")
        .send()
        .await
        .unwrap();
    client
        .add_tags_to_on_premises_instances()
        .instance_names("rack-1")
        .instance_names("rack-2")
        .tags(tag("Env", "prod"))
        .send()
        .await
        .unwrap();
    client
        .add_tags_to_on_premises_instances()
        .instance_names("rack-2")
        .tags(tag("Role", "db"))
        .send()
        .await
        .unwrap();

    let rack2 = get_instance(&client, "rack-2").await;
    assert_eq!(
        rack2.instance_arn(),
        Some("arn:aws:codedeploy:eu-west-1:000000000000:instance/rack-2")
    );
    assert_eq!(
        rack2.iam_session_arn(),
        Some("arn:aws:sts::000000000000:assumed-role/OnPrem/rack-2")
    );
    assert_eq!(rack2.register_time(), Some(&seconds(START)));
    assert_eq!(rack2.tags(), [tag("Env", "prod"), tag("Role", "db")]);

    let db = client
        .list_on_premises_instances()
        .tag_filters(
            TagFilter::builder()
                .key("Role")
                .value("db")
                .r#type(TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(db.instance_names(), ["rack-2"]);

    clock.advance_millis(1_000);
    client
        .deregister_on_premises_instance()
        .instance_name("rack-1")
        .send()
        .await
        .unwrap();
    let registered = client
        .list_on_premises_instances()
        .registration_status(RegistrationStatus::Registered)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.instance_names(), ["rack-2"]);
    let deregistered = client
        .list_on_premises_instances()
        .registration_status(RegistrationStatus::Deregistered)
        .send()
        .await
        .unwrap();
    assert_eq!(deregistered.instance_names(), ["rack-1"]);
    let rack1 = client
        .batch_get_on_premises_instances()
        .instance_names("rack-1")
        .instance_names("unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(rack1.instance_infos().len(), 1);
    assert_eq!(
        rack1.instance_infos()[0].deregister_time(),
        Some(&seconds(START.plus_millis(1_000)))
    );

    client
        .remove_tags_from_on_premises_instances()
        .instance_names("rack-2")
        .tags(tag("Env", "prod"))
        .send()
        .await
        .unwrap();
    let rack2 = get_instance(&client, "rack-2").await;
    assert_eq!(rack2.tags(), [tag("Role", "db")]);

    assert_fails!(
        client
            .register_on_premises_instance()
            .instance_name("rack-3")
            .iam_user_arn("arn:aws:iam::000000000000:user/rack-3")
            .iam_session_arn("arn:aws:sts::000000000000:assumed-role/OnPrem/rack-3"),
        is_multiple_iam_arns_provided_exception
    );
    assert_fails!(
        client
            .register_on_premises_instance()
            .instance_name("rack-3"),
        is_iam_arn_required_exception
    );
    assert_fails!(
        client
            .register_on_premises_instance()
            .instance_name("rack-2")
            .iam_user_arn("arn:aws:iam::000000000000:user/other"),
        is_instance_name_already_registered_exception
    );
    assert_fails!(
        client
            .register_on_premises_instance()
            .instance_name("rack-9")
            .iam_user_arn("arn:aws:iam::000000000000:user/rack-1"),
        is_iam_user_arn_already_registered_exception
    );
    assert_fails!(
        client.get_on_premises_instance().instance_name("ghost"),
        is_instance_not_registered_exception
    );
    assert_fails!(
        client
            .add_tags_to_on_premises_instances()
            .instance_names("ghost")
            .tags(tag("Env", "prod")),
        is_instance_not_registered_exception
    );
    assert_fails!(
        client
            .add_tags_to_on_premises_instances()
            .instance_names("rack-2"),
        is_tag_required_exception
    );
    assert_fails!(
        client
            .add_tags_to_on_premises_instances()
            .instance_names("rack-2")
            .set_tags(Some((0..10).map(|i| tag(&format!("k{i}"), "v")).collect())),
        is_tag_limit_exceeded_exception
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn on_premises_list_pages_cover_everything_once() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    for i in 0..105 {
        client
            .register_on_premises_instance()
            .instance_name(format!("host-{i:03}"))
            .iam_user_arn(format!("arn:aws:iam::000000000000:user/host-{i:03}"))
            .send()
            .await
            .unwrap();
    }
    // The SDK has no paginator for this operation, so follow the tokens by hand.
    let mut all: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_on_premises_instances()
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        pages += 1;
        all.extend(page.instance_names().iter().cloned());
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let expected: Vec<String> = (0..105).map(|i| format!("host-{i:03}")).collect();
    assert_eq!(all, expected);
    cloud.shutdown().await;
}

#[tokio::test]
async fn applications_and_groups_are_tagged_by_arn_in_the_signed_region() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "eu-west-1").await;
    create_app(&client, "web").await;
    create_group(&client, "web", "prod").await;
    let app_arn = "arn:aws:codedeploy:eu-west-1:000000000000:application:web";
    let group_arn = "arn:aws:codedeploy:eu-west-1:000000000000:deploymentgroup:web/prod";

    client
        .tag_resource()
        .resource_arn(app_arn)
        .tags(tag("team", "payments"))
        .tags(tag("tier", "1"))
        .send()
        .await
        .unwrap();
    client
        .tag_resource()
        .resource_arn(app_arn)
        .tags(tag("tier", "2"))
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_for_resource()
        .resource_arn(app_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("team", "payments"), tag("tier", "2")]);
    client
        .untag_resource()
        .resource_arn(app_arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_for_resource()
        .resource_arn(app_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("tier", "2")]);

    client
        .tag_resource()
        .resource_arn(group_arn)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let group_tags = client
        .list_tags_for_resource()
        .resource_arn(group_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(group_tags.tags(), [tag("env", "prod")]);

    assert_fails!(
        client
            .tag_resource()
            .resource_arn("web")
            .tags(tag("a", "b")),
        is_invalid_arn_exception
    );
    assert_fails!(
        client
            .tag_resource()
            .resource_arn("arn:aws:codedeploy:eu-west-1:000000000000:application:ghost")
            .tags(tag("a", "b")),
        is_application_does_not_exist_exception
    );
    assert_fails!(
        client
            .untag_resource()
            .resource_arn("arn:aws:codedeploy:eu-west-1:000000000000:deploymentgroup:web/ghost")
            .tag_keys("a"),
        is_deployment_group_does_not_exist_exception
    );
    assert_fails!(
        client
            .tag_resource()
            .resource_arn(app_arn)
            .tags(tag("aws:owner", "me")),
        is_invalid_tags_to_add_exception
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn operations_not_built_yet_answer_with_a_named_error() {
    let (cloud, _clock) = start().await;
    let client = codedeploy(&cloud, "us-east-1").await;
    let error = client
        .list_git_hub_account_token_names()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(error.code(), Some("UnknownOperationException"));
    assert_eq!(
        error.message(),
        Some(
            "The local cloud does not implement CodeDeploy operation ListGitHubAccountTokenNames yet."
        )
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart_and_is_written_after_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (cloud, _clock) = start_with_state(Some(path.clone())).await;
    let client = codedeploy(&cloud, "us-east-1").await;
    create_app(&client, "kept").await;
    create_group(&client, "kept", "prod").await;
    // Written without waiting for shutdown.
    eventually("the state file holds the new group", || {
        std::fs::read_to_string(&path).is_ok_and(|text| text.contains("\"prod\""))
    })
    .await;
    cloud.shutdown().await;

    let (cloud, _clock) = start_with_state(Some(path.clone())).await;
    assert!(cloud.notices().is_empty(), "{:?}", cloud.notices());
    let client = codedeploy(&cloud, "us-east-1").await;
    let group = get_group(&client, "kept", "prod").await;
    assert_eq!(group.service_role_arn(), Some(ROLE));

    // Reset forgets everything, also on disk.
    cloud.reset().unwrap();
    let apps = client.list_applications().send().await.unwrap();
    assert!(apps.applications().is_empty());
    cloud.shutdown().await;
    let (cloud, _clock) = start_with_state(Some(path)).await;
    let client = codedeploy(&cloud, "us-east-1").await;
    let apps = client.list_applications().send().await.unwrap();
    assert!(apps.applications().is_empty());
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_damaged_state_file_is_moved_aside_and_the_cloud_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{\"format\": 1, \"world\": {\"codedeploy\": ").unwrap();
    let (cloud, _clock) = start_with_state(Some(path.clone())).await;
    let notices = cloud.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("was damaged"), "{notices:?}");
    assert!(notices[0].contains("starting empty"), "{notices:?}");
    let aside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("state.json.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&aside[0])).unwrap(),
        "{\"format\": 1, \"world\": {\"codedeploy\": "
    );
    let client = codedeploy(&cloud, "us-east-1").await;
    assert!(support::application_names(&client).await.is_empty());
    // The empty cloud works and saves again.
    create_app(&client, "fresh").await;
    cloud.shutdown().await;
    assert!(std::fs::read_to_string(&path).unwrap().contains("fresh"));
}

#[tokio::test]
async fn endpoint_is_on_loopback() {
    let (cloud, _clock) = start().await;
    assert!(cloud.local_addr().ip().is_loopback());
    assert_eq!(
        cloud.endpoint_url(),
        format!("http://127.0.0.1:{}", cloud.local_addr().port())
    );
    let _: &LocalCloud = &cloud;
    cloud.shutdown().await;
}
