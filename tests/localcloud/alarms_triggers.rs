//! CodeDeploy acting on CloudWatch alarms and SNS triggers in the local
//! cloud, driven by the AWS SDK for Rust: an alarm in `ALARM` stops a
//! rollout with `ALARM_ACTIVE` and its automatic rollback restores the last
//! good revision; an alarm that cannot be read stops it unless the group
//! ignores poll failures; trigger messages reach an HTTP subscriber on
//! loopback in CodeDeploy's documented JSON shape.

#![allow(clippy::unwrap_used)]

use crate::deploy_support;
use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use aws_sdk_codedeploy::config::Region;
use aws_sdk_codedeploy::types::{
    Alarm, AlarmConfiguration, AutoRollbackConfiguration, AutoRollbackEvent, DeploymentStatus,
    ErrorCode, TriggerConfig, TriggerEventType,
};
use deploy_support::{Cloud, EVENT_MS, github, tag_filter};
use serde_json::Value;
use support::subscriber::Subscriber;

const APP: &str = "shop";
const GROUP: &str = "web";
const ALARM: &str = "web-5xx";

/// The SDK's shared config for the local cloud of `cloud`.
async fn config(cloud: &Cloud) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(cloud.local.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

/// Creates the alarm `name`, which starts in `INSUFFICIENT_DATA`.
async fn put_alarm(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) {
    cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_Target_5XX_Count")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
}

async fn set_alarm(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str, state: StateValue) {
    cloudwatch
        .set_alarm_state()
        .alarm_name(name)
        .state_value(state)
        .state_reason("set by the test")
        .send()
        .await
        .unwrap();
}

/// Three instances in a one-at-a-time group watching `alarms` (ignoring
/// poll failures as `ignore_poll` says), rolled back on an alarm stop.
async fn watched_group(alarms: &[&str], ignore_poll: bool) -> Cloud {
    let cloud = Cloud::start().await;
    cloud.launch(3, &[("Role", "web")]);
    let mut alarm_configuration = AlarmConfiguration::builder()
        .enabled(true)
        .ignore_poll_alarm_failure(ignore_poll);
    for name in alarms {
        alarm_configuration = alarm_configuration.alarms(Alarm::builder().name(*name).build());
    }
    cloud
        .new_group(APP, GROUP)
        .await
        .deployment_config_name("CodeDeployDefault.OneAtATime")
        .ec2_tag_filters(tag_filter("Role", "web"))
        .alarm_configuration(alarm_configuration.build())
        .auto_rollback_configuration(
            AutoRollbackConfiguration::builder()
                .enabled(true)
                .events(AutoRollbackEvent::DeploymentStopOnAlarm)
                .build(),
        )
        .send()
        .await
        .unwrap();
    cloud
}

#[tokio::test]
async fn an_alarm_going_off_mid_rollout_stops_it_and_the_rollback_restores_the_last_good_revision()
{
    let cloud = watched_group(&[ALARM], false).await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config(&cloud).await);
    put_alarm(&cloudwatch, ALARM).await;
    // INSUFFICIENT_DATA does not stop anything.
    let good = cloud.deploy(APP, GROUP, "v1").await;
    assert_eq!(
        cloud.run_to_end(&good, 200).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );

    let bad = cloud.deploy(APP, GROUP, "v2").await;
    // Part way through the second instance.
    cloud.advance(9 * EVENT_MS);
    set_alarm(&cloudwatch, ALARM, StateValue::Alarm).await;
    cloud.advance(EVENT_MS);
    let info = cloud.deployment(&bad).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Stopped), "{info:?}");
    let error = info.error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::AlarmActive));
    assert!(error.message().unwrap().contains(ALARM), "{error:?}");
    let rollback_id = info
        .rollback_info()
        .and_then(|rollback| rollback.rollback_deployment_id())
        .expect("the stop on alarm is rolled back")
        .to_owned();

    // The rollback redeploys v1 though the alarm still fires: it is what
    // the alarm asked for.
    let rollback = cloud.run_to_end(&rollback_id, 200).await;
    assert_eq!(
        rollback.status(),
        Some(&DeploymentStatus::Succeeded),
        "{rollback:?}"
    );
    assert_eq!(
        rollback
            .rollback_info()
            .and_then(|info| info.rollback_triggering_deployment_id()),
        Some(bad.as_str())
    );
    let group = cloud
        .client
        .get_deployment_group()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .send()
        .await
        .unwrap();
    let revision = group
        .deployment_group_info()
        .and_then(|info| info.target_revision())
        .and_then(|revision| revision.git_hub_location())
        .and_then(|location| location.commit_id());
    assert_eq!(
        revision,
        github("v1").git_hub_location().unwrap().commit_id()
    );
}

#[tokio::test]
async fn an_alarm_already_in_alarm_stops_a_deployment_at_once() {
    let cloud = watched_group(&[ALARM], false).await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config(&cloud).await);
    put_alarm(&cloudwatch, ALARM).await;
    set_alarm(&cloudwatch, ALARM, StateValue::Alarm).await;
    let id = cloud.deploy(APP, GROUP, "v1").await;
    cloud.advance(EVENT_MS);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Stopped));
    assert_eq!(
        info.error_information().and_then(|error| error.code()),
        Some(&ErrorCode::AlarmActive)
    );
    // Nothing to roll back to: the group has no last good revision.
    assert!(
        info.rollback_info()
            .and_then(|rollback| rollback.rollback_deployment_id())
            .is_none()
    );
}

#[tokio::test]
async fn an_alarm_that_cannot_be_read_stops_the_deployment_unless_poll_failures_are_ignored() {
    let strict = watched_group(&["no-such-alarm"], false).await;
    let id = strict.deploy(APP, GROUP, "v1").await;
    let info = strict.run_to_end(&id, 200).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Stopped));
    let error = info.error_information().unwrap();
    assert_eq!(error.code(), Some(&ErrorCode::AlarmActive));
    assert!(
        error.message().unwrap().contains("ignorePollAlarmFailure"),
        "{error:?}"
    );

    let lenient = watched_group(&["no-such-alarm"], true).await;
    let id = lenient.deploy(APP, GROUP, "v1").await;
    assert_eq!(
        lenient.run_to_end(&id, 200).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );
}

#[tokio::test]
async fn trigger_messages_reach_an_http_subscriber_in_codedeploys_json_shape() {
    let cloud = Cloud::start().await;
    let ids = cloud.launch(2, &[("Role", "web")]);
    let sns = aws_sdk_sns::Client::new(&config(&cloud).await);
    let topic = sns
        .create_topic()
        .name("deployments")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    let mut subscriber = Subscriber::start(0).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(&subscriber.url)
        .send()
        .await
        .unwrap();
    let confirmation = subscriber.next().await.json();
    sns.confirm_subscription()
        .topic_arn(&topic)
        .token(confirmation["Token"].as_str().unwrap())
        .send()
        .await
        .unwrap();

    cloud
        .new_group(APP, GROUP)
        .await
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .ec2_tag_filters(tag_filter("Role", "web"))
        .trigger_configurations(
            TriggerConfig::builder()
                .trigger_name("ops")
                .trigger_target_arn(&topic)
                .trigger_events(TriggerEventType::DeploymentStart)
                .trigger_events(TriggerEventType::DeploymentSuccess)
                .trigger_events(TriggerEventType::InstanceFailure)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = cloud.deploy(APP, GROUP, "v1").await;
    assert_eq!(
        cloud.run_to_end(&id, 200).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );

    let mut messages: Vec<(String, Value)> = Vec::new();
    for _ in 0..2 {
        let received = subscriber.next().await;
        assert_eq!(received.header("x-amz-sns-message-type"), "Notification");
        let notification = received.json();
        let subject = notification["Subject"].as_str().unwrap().to_owned();
        let message: Value =
            serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
        messages.push((subject, message));
    }
    // No instance failed, so InstanceFailure sent nothing.
    subscriber.nothing_more().await;

    let (subject, started) = &messages[0];
    assert_eq!(
        subject,
        &format!("CREATED: AWS CodeDeploy {id} in us-east-1 to {APP}")
    );
    assert_eq!(started["eventTriggerName"], "ops");
    assert_eq!(started["deploymentId"], id.as_str());
    assert_eq!(started["applicationName"], APP);
    assert_eq!(started["deploymentGroupName"], GROUP);
    assert_eq!(started["accountId"], "000000000000");
    assert_eq!(started["status"], "CREATED");

    let (subject, succeeded) = &messages[1];
    assert!(subject.starts_with("SUCCEEDED: "), "{subject}");
    assert_eq!(succeeded["status"], "SUCCEEDED");
    assert!(succeeded["completeTime"].as_str().unwrap().contains('.'));
    let overview: Value =
        serde_json::from_str(succeeded["deploymentOverview"].as_str().unwrap()).unwrap();
    assert_eq!(overview["Succeeded"], ids.len().to_string());
    assert_eq!(overview["Failed"], "0");
}
