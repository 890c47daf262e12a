//! CodeDeploy deployments to AWS Lambda in the local cloud, driven by the
//! AWS SDK for Rust on a manual clock: a canary and a linear deployment
//! watched step by step through Lambda's `GetAlias`, hooks answered by the
//! function's `deploydesk:simulate` tag or by the test through
//! `PutLifecycleEventHookExecutionStatus`, a failing `AfterAllowTraffic`
//! hook whose automatic rollback moves the alias back, a stop that rolls
//! back, the time scale, and CodeDeploy's errors.

#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::types::{
    AppSpecContent, AutoRollbackConfiguration, AutoRollbackEvent, ComputePlatform,
    DeploymentOption, DeploymentStatus, DeploymentStyle, DeploymentTargetType, DeploymentType,
    LambdaTarget, LifecycleEventStatus, RevisionLocation, RevisionLocationType,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use deploy_support::{Cloud, EVENT_MS, START, error_code};
use deploydesk::localcloud::LocalCloudOptions;
use sha2::{Digest as _, Sha256};

const APP: &str = "orders-app";
const GROUP: &str = "orders-live";
const MINUTE_MS: i64 = 60_000;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A local cloud with Lambda and IAM clients beside CodeDeploy's.
struct Fixture {
    cloud: Cloud,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(LocalCloudOptions {
            event_duration: Duration::from_millis(EVENT_MS as u64),
            ..LocalCloudOptions::default()
        })
        .await
    }

    async fn start_with(options: LocalCloudOptions) -> Self {
        Self::start_at(options, START).await
    }

    /// A local cloud with `options` whose clock starts at `now`.
    async fn start_at(options: LocalCloudOptions, now: deploydesk::localcloud::Timestamp) -> Self {
        let cloud = Cloud::start_at(options, now).await;
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(cloud.local.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        Self {
            lambda: aws_sdk_lambda::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            cloud,
        }
    }

    /// Creates function `name`, tagged `tags` (after [`Self::orders`], which
    /// makes their role).
    async fn function(&self, name: &str, tags: &[(&str, &str)]) {
        let mut request = self
            .lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role("arn:aws:iam::000000000000:role/orders-role")
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(name.as_bytes()))
                    .build(),
            );
        for (key, value) in tags {
            request = request.tags(*key, *value);
        }
        request.send().await.unwrap();
    }

    /// Function `orders` with versions 1 and 2 published and alias `live`
    /// at version 1; an application and Lambda group with `rollback`.
    async fn orders(&self, rollback: bool) {
        self.iam
            .create_role()
            .role_name("orders-role")
            .assume_role_policy_document(LAMBDA_TRUST)
            .send()
            .await
            .unwrap();
        self.function("orders", &[]).await;
        for code in ["v1", "v2"] {
            self.lambda
                .update_function_code()
                .function_name("orders")
                .zip_file(Blob::new(code.as_bytes()))
                .send()
                .await
                .unwrap();
            self.lambda
                .publish_version()
                .function_name("orders")
                .send()
                .await
                .unwrap();
        }
        self.lambda
            .create_alias()
            .function_name("orders")
            .name("live")
            .function_version("1")
            .send()
            .await
            .unwrap();
        self.cloud
            .client
            .create_application()
            .application_name(APP)
            .compute_platform(ComputePlatform::Lambda)
            .send()
            .await
            .unwrap();
        let mut group = self
            .cloud
            .client
            .create_deployment_group()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .service_role_arn(deploy_support::ROLE)
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::BlueGreen)
                    .deployment_option(DeploymentOption::WithTrafficControl)
                    .build(),
            );
        if rollback {
            group = group.auto_rollback_configuration(
                AutoRollbackConfiguration::builder()
                    .enabled(true)
                    .events(AutoRollbackEvent::DeploymentFailure)
                    .events(AutoRollbackEvent::DeploymentStopOnRequest)
                    .build(),
            );
        }
        group.send().await.unwrap();
    }

    /// Deploys `appspec` with configuration `config`; returns the id.
    async fn deploy(&self, appspec: &str, config: &str) -> String {
        self.try_deploy(appspec, config).await.unwrap()
    }

    async fn try_deploy(
        &self,
        appspec: &str,
        config: &str,
    ) -> Result<
        String,
        aws_sdk_codedeploy::error::SdkError<
            aws_sdk_codedeploy::operation::create_deployment::CreateDeploymentError,
        >,
    > {
        self.cloud
            .client
            .create_deployment()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .deployment_config_name(config)
            .revision(content(appspec))
            .send()
            .await
            .map(|output| output.deployment_id().unwrap().to_owned())
    }

    /// The alias `live`: its version and the weights of others.
    async fn alias(&self) -> (String, HashMap<String, f64>) {
        let alias = self
            .lambda
            .get_alias()
            .function_name("orders")
            .name("live")
            .send()
            .await
            .unwrap();
        (
            alias.function_version().unwrap().to_owned(),
            alias
                .routing_config()
                .and_then(|config| config.additional_version_weights())
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// The deployment's one Lambda target.
    async fn target(&self, deployment_id: &str) -> LambdaTarget {
        let ids = deploy_support::target_ids(&self.cloud.client, deployment_id).await;
        assert_eq!(ids, ["orders:live"]);
        let output = self
            .cloud
            .client
            .batch_get_deployment_targets()
            .deployment_id(deployment_id)
            .target_ids("orders:live")
            .send()
            .await
            .unwrap();
        let target = &output.deployment_targets()[0];
        assert_eq!(
            target.deployment_target_type(),
            Some(&DeploymentTargetType::LambdaTarget)
        );
        target.lambda_target().unwrap().clone()
    }

    /// Each lifecycle event's name and status.
    async fn events(&self, deployment_id: &str) -> Vec<(String, String)> {
        deploy_support::event_statuses(self.target(deployment_id).await.lifecycle_events())
    }

    /// The execution id passed to the running hook of `event`.
    async fn execution_id(&self, deployment_id: &str, event: &str) -> String {
        let target = self.target(deployment_id).await;
        let record = target
            .lifecycle_events()
            .iter()
            .find(|record| record.lifecycle_event_name() == Some(event))
            .unwrap();
        let payload: serde_json::Value =
            serde_json::from_str(record.diagnostics().unwrap().log_tail().unwrap()).unwrap();
        assert_eq!(payload["DeploymentId"], deployment_id);
        payload["LifecycleEventHookExecutionId"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// An inline AppSpec revision with its SHA-256.
fn content(appspec: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(
            AppSpecContent::builder()
                .content(appspec)
                .sha256(hex::encode(Sha256::digest(appspec.as_bytes())))
                .build(),
        )
        .build()
}

/// The AppSpec moving `orders:live` from `current` to `target`, with
/// `hooks` (event, function).
fn appspec(current: &str, target: &str, hooks: &[(&str, &str)]) -> String {
    let mut text = format!(
        "version: 0.0\nResources:\n  - orders:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: orders\n        Alias: live\n        CurrentVersion: \"{current}\"\n        TargetVersion: \"{target}\"\n"
    );
    if !hooks.is_empty() {
        text.push_str("Hooks:\n");
        for (event, function) in hooks {
            let _ = writeln!(text, "  - {event}: {function}");
        }
    }
    text
}

/// A weight of 0–1 in whole percent.
fn percent(weight: f64) -> i64 {
    (weight * 100.0).round() as i64
}

fn weights(pairs: &[(&str, f64)]) -> HashMap<String, f64> {
    pairs
        .iter()
        .map(|(version, weight)| ((*version).to_owned(), *weight))
        .collect()
}

fn pair(event: &str, status: &str) -> (String, String) {
    (event.to_owned(), status.to_owned())
}

#[tokio::test]
async fn a_canary_sends_ten_percent_for_five_minutes_then_everything() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    fixture
        .function("checkBefore", &[("deploydesk:simulate", "Succeeded")])
        .await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[("BeforeAllowTraffic", "checkBefore")]),
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    assert_eq!(
        fixture.events(&id).await,
        [
            pair("BeforeAllowTraffic", "InProgress"),
            pair("AllowTraffic", "Pending"),
            pair("AfterAllowTraffic", "Pending"),
        ]
    );
    assert_eq!(fixture.alias().await, ("1".to_owned(), HashMap::new()));

    // The hook answers after one event's time; the canary starts at once.
    cloud.advance(EVENT_MS);
    assert_eq!(
        fixture.alias().await,
        ("1".to_owned(), weights(&[("2", 0.1)]))
    );
    let target = fixture.target(&id).await;
    assert_eq!(
        percent(
            target
                .lambda_function_info()
                .unwrap()
                .target_version_weight()
        ),
        10
    );
    assert_eq!(
        target.lifecycle_events()[1].status(),
        Some(&LifecycleEventStatus::InProgress)
    );

    cloud.advance(5 * MINUTE_MS - 2);
    assert_eq!(
        fixture.alias().await,
        ("1".to_owned(), weights(&[("2", 0.1)]))
    );
    assert_eq!(cloud.status(&id).await, DeploymentStatus::InProgress);

    cloud.advance(2);
    assert_eq!(fixture.alias().await, ("2".to_owned(), HashMap::new()));
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Succeeded);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.compute_platform(), Some(&ComputePlatform::Lambda));
    let overview = info.deployment_overview().unwrap();
    assert_eq!(overview.succeeded(), 1);
    let target = fixture.target(&id).await;
    assert_eq!(
        percent(
            target
                .lambda_function_info()
                .unwrap()
                .target_version_weight()
        ),
        100
    );
    let allow = &target.lifecycle_events()[1];
    let started = deploy_support::millis(allow.start_time().unwrap());
    let ended = deploy_support::millis(allow.end_time().unwrap());
    assert_eq!(ended - started, 5 * MINUTE_MS);
}

#[tokio::test]
async fn a_linear_deployment_adds_ten_percent_every_minute() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[]),
            "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    let mut seen = Vec::new();
    for _ in 0..9 {
        let (version, weights) = fixture.alias().await;
        assert_eq!(version, "1");
        seen.push((weights["2"] * 100.0).round() as u32);
        cloud.advance(MINUTE_MS);
    }
    assert_eq!(seen, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
    assert_eq!(fixture.alias().await, ("2".to_owned(), HashMap::new()));
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Succeeded);
}

#[tokio::test]
async fn a_failing_after_allow_traffic_hook_rolls_the_alias_back() {
    let fixture = Fixture::start().await;
    fixture.orders(true).await;
    fixture
        .function("checkAfter", &[("deploydesk:simulate", "Failed")])
        .await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[("AfterAllowTraffic", "checkAfter")]),
            "CodeDeployDefault.LambdaAllAtOnce",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    // All at once: the alias is at version 2 while the hook runs.
    assert_eq!(fixture.alias().await, ("2".to_owned(), HashMap::new()));
    cloud.advance(EVENT_MS);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let error = info.error_information().unwrap();
    assert_eq!(error.code().unwrap().as_str(), "HOOK_EXECUTION_FAILURE");
    assert!(
        error.message().unwrap().contains("AfterAllowTraffic"),
        "{error:?}"
    );
    let target = fixture.target(&id).await;
    let after = &target.lifecycle_events()[2];
    assert_eq!(after.status(), Some(&LifecycleEventStatus::Failed));
    assert_eq!(
        after.diagnostics().unwrap().script_name(),
        Some("checkAfter")
    );
    let rollback_id = info
        .rollback_info()
        .unwrap()
        .rollback_deployment_id()
        .unwrap()
        .to_owned();

    cloud.advance(EVENT_MS);
    assert_eq!(fixture.alias().await, ("1".to_owned(), HashMap::new()));
    let rollback = cloud.deployment(&rollback_id).await;
    assert_eq!(rollback.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(rollback.creator().unwrap().as_str(), "codeDeployRollback");
    assert_eq!(
        rollback
            .rollback_info()
            .unwrap()
            .rollback_triggering_deployment_id(),
        Some(id.as_str())
    );
    let info = fixture.target(&rollback_id).await;
    let function = info.lambda_function_info().unwrap();
    assert_eq!(
        (function.current_version(), function.target_version()),
        (Some("2"), Some("1"))
    );
}

#[tokio::test]
async fn a_hook_is_answered_through_put_lifecycle_event_hook_execution_status() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    // No simulate tag: the function never reports by itself.
    fixture.function("checkBefore", &[]).await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[("BeforeAllowTraffic", "checkBefore")]),
            "CodeDeployDefault.LambdaAllAtOnce",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    cloud.advance(30 * MINUTE_MS);
    assert_eq!(
        fixture.events(&id).await[0],
        pair("BeforeAllowTraffic", "InProgress")
    );
    let execution = fixture.execution_id(&id, "BeforeAllowTraffic").await;

    let put = |execution: String, status| {
        cloud
            .client
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(&id)
            .lifecycle_event_hook_execution_id(execution)
            .status(status)
            .send()
    };
    assert_eq!(
        error_code(put("not-issued".to_owned(), LifecycleEventStatus::Succeeded).await),
        "InvalidLifecycleEventHookExecutionIdException"
    );
    assert_eq!(
        error_code(put(execution.clone(), LifecycleEventStatus::Pending).await),
        "InvalidLifecycleEventHookExecutionStatusException"
    );
    let answered = put(execution.clone(), LifecycleEventStatus::Succeeded)
        .await
        .unwrap();
    assert_eq!(
        answered.lifecycle_event_hook_execution_id(),
        Some(execution.as_str())
    );
    // The deployment moved on in the same request.
    assert_eq!(fixture.alias().await, ("2".to_owned(), HashMap::new()));
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Succeeded);
    assert_eq!(
        error_code(put(execution, LifecycleEventStatus::Failed).await),
        "LifecycleEventAlreadyCompletedException"
    );
}

#[tokio::test]
async fn a_hook_that_never_reports_fails_its_deployment_after_an_hour() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    fixture
        .function("silent", &[("deploydesk:simulate", "no answer")])
        .await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[("BeforeAllowTraffic", "silent")]),
            "CodeDeployDefault.LambdaAllAtOnce",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    cloud.advance(60 * MINUTE_MS - 2);
    assert_eq!(cloud.status(&id).await, DeploymentStatus::InProgress);
    cloud.advance(2);
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let target = fixture.target(&id).await;
    let before = &target.lifecycle_events()[0];
    assert_eq!(
        before.diagnostics().unwrap().error_code().unwrap().as_str(),
        "ScriptTimedOut"
    );
    // Nothing moved, and there was no rollback to ask for.
    assert_eq!(fixture.alias().await, ("1".to_owned(), HashMap::new()));
    assert!(info.rollback_info().is_none());
}

#[tokio::test]
async fn a_stop_with_rollback_moves_the_canary_back() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[]),
            "CodeDeployDefault.LambdaCanary10Percent30Minutes",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    assert_eq!(
        fixture.alias().await,
        ("1".to_owned(), weights(&[("2", 0.1)]))
    );
    cloud
        .client
        .stop_deployment()
        .deployment_id(&id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .unwrap();
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Stopped);
    cloud.advance(1);
    assert_eq!(fixture.alias().await, ("1".to_owned(), HashMap::new()));
    let rollback_id = cloud
        .deployment(&id)
        .await
        .rollback_info()
        .unwrap()
        .rollback_deployment_id()
        .unwrap()
        .to_owned();
    assert_eq!(
        cloud.status(&rollback_id).await,
        DeploymentStatus::Succeeded
    );
}

#[tokio::test]
async fn a_stop_without_rollback_leaves_the_alias_where_it_was() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[]),
            "CodeDeployDefault.LambdaCanary10Percent30Minutes",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    cloud
        .client
        .stop_deployment()
        .deployment_id(&id)
        .send()
        .await
        .unwrap();
    cloud.advance(MINUTE_MS);
    // As AWS documents: without a rollback the alias keeps both versions.
    assert_eq!(
        fixture.alias().await,
        ("1".to_owned(), weights(&[("2", 0.1)]))
    );
}

#[tokio::test]
async fn a_shorter_minute_runs_the_schedule_faster_while_the_api_keeps_real_minutes() {
    let fixture = Fixture::start_with(LocalCloudOptions {
        event_duration: Duration::from_millis(EVENT_MS as u64),
        minute: Duration::from_secs(1),
        ..LocalCloudOptions::default()
    })
    .await;
    fixture.orders(false).await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[]),
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        )
        .await;
    let cloud = &fixture.cloud;
    cloud.advance(1);
    cloud.advance(4_998);
    assert_eq!(
        fixture.alias().await,
        ("1".to_owned(), weights(&[("2", 0.1)]))
    );
    cloud.advance(2);
    assert_eq!(fixture.alias().await, ("2".to_owned(), HashMap::new()));
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Succeeded);
    let config = cloud
        .client
        .get_deployment_config()
        .deployment_config_name("CodeDeployDefault.LambdaCanary10Percent5Minutes")
        .send()
        .await
        .unwrap();
    let canary = config
        .deployment_config_info()
        .unwrap()
        .traffic_routing_config()
        .unwrap()
        .time_based_canary()
        .unwrap()
        .clone();
    assert_eq!(canary.canary_interval(), 5);
}

#[tokio::test]
async fn lambda_deployments_are_refused_or_failed_as_codedeploy_does() {
    let fixture = Fixture::start().await;
    fixture.orders(false).await;
    let cloud = &fixture.cloud;
    let config = "CodeDeployDefault.LambdaAllAtOnce";

    // Refused when asked for: a bad AppSpec, a wrong hash, a Server
    // configuration.
    let bad = appspec("1", "2", &[("BeforeInstall", "x")]);
    assert_eq!(
        error_code(fixture.try_deploy(&bad, config).await),
        "InvalidRevisionException"
    );
    let wrong_hash = cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(
                    AppSpecContent::builder()
                        .content(appspec("1", "2", &[]))
                        .sha256("00")
                        .build(),
                )
                .build(),
        )
        .send()
        .await;
    assert_eq!(error_code(wrong_hash), "InvalidRevisionException");
    assert_eq!(
        error_code(
            fixture
                .try_deploy(&appspec("1", "2", &[]), "CodeDeployDefault.OneAtATime")
                .await
        ),
        "InvalidDeploymentConfigNameException"
    );

    // Failed when it starts: the alias not at CurrentVersion, a version
    // or a function that does not exist.
    let cases = [
        (
            appspec("2", "1", &[]),
            "INVALID_LAMBDA_CONFIGURATION",
            "points at version 1",
        ),
        (
            appspec("1", "7", &[]),
            "INVALID_LAMBDA_CONFIGURATION",
            "version 7",
        ),
        (
            appspec("1", "2", &[]).replace("Name: orders", "Name: missing"),
            "INVALID_LAMBDA_FUNCTION",
            "missing",
        ),
    ];
    for (text, code, words) in cases {
        let id = fixture.deploy(&text, config).await;
        cloud.advance(1);
        let info = cloud.deployment(&id).await;
        assert_eq!(info.status(), Some(&DeploymentStatus::Failed), "{text}");
        let error = info.error_information().unwrap();
        assert_eq!(error.code().unwrap().as_str(), code);
        assert!(error.message().unwrap().contains(words), "{error:?}");
    }
    assert_eq!(fixture.alias().await, ("1".to_owned(), HashMap::new()));

    // One active deployment per group.
    fixture.function("silent", &[]).await;
    fixture
        .deploy(
            &appspec("1", "2", &[("BeforeAllowTraffic", "silent")]),
            config,
        )
        .await;
    assert_eq!(
        error_code(fixture.try_deploy(&appspec("1", "2", &[]), config).await),
        "DeploymentLimitExceededException"
    );

    // A Lambda group takes no EC2 settings.
    let with_tags = cloud
        .client
        .create_deployment_group()
        .application_name(APP)
        .deployment_group_name("tagged")
        .service_role_arn(deploy_support::ROLE)
        .deployment_style(
            DeploymentStyle::builder()
                .deployment_type(DeploymentType::BlueGreen)
                .deployment_option(DeploymentOption::WithTrafficControl)
                .build(),
        )
        .ec2_tag_filters(deploy_support::tag_filter("Role", "web"))
        .send()
        .await;
    assert_eq!(error_code(with_tags), "InvalidEC2TagException");

    // Hooks of EC2 deployments are scripts: nothing to report.
    cloud.launch(1, &[("Role", "web")]);
    cloud
        .group("shop", "web", "Role", "web", "CodeDeployDefault.AllAtOnce")
        .await;
    let server = cloud.deploy("shop", "web", "abc123").await;
    let put = cloud
        .client
        .put_lifecycle_event_hook_execution_status()
        .deployment_id(&server)
        .lifecycle_event_hook_execution_id("x")
        .status(LifecycleEventStatus::Succeeded)
        .send()
        .await;
    assert_eq!(
        error_code(put),
        "UnsupportedActionForDeploymentTypeException"
    );
}

#[tokio::test]
async fn a_canary_survives_a_restart_and_goes_on_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let options = LocalCloudOptions {
        state_path: Some(dir.path().join("state.json")),
        event_duration: Duration::from_millis(EVENT_MS as u64),
        ..LocalCloudOptions::default()
    };
    let fixture = Fixture::start_at(options.clone(), START).await;
    fixture.orders(false).await;
    let id = fixture
        .deploy(
            &appspec("1", "2", &[]),
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        )
        .await;
    fixture.cloud.advance(1);
    fixture.cloud.advance(2 * MINUTE_MS);
    let stopped_at = fixture.cloud.now();
    fixture.cloud.local.shutdown().await;

    // Ten minutes later: the canary has three minutes still to go.
    let fixture = Fixture::start_at(options, stopped_at.plus_millis(10 * MINUTE_MS)).await;
    assert_eq!(
        fixture.alias().await,
        ("1".to_owned(), weights(&[("2", 0.1)]))
    );
    fixture.cloud.advance(3 * MINUTE_MS - 2);
    assert_eq!(
        fixture.cloud.status(&id).await,
        DeploymentStatus::InProgress
    );
    fixture.cloud.advance(2);
    assert_eq!(fixture.alias().await, ("2".to_owned(), HashMap::new()));
    assert_eq!(fixture.cloud.status(&id).await, DeploymentStatus::Succeeded);
}
