//! Helpers for the deployment tests: a local cloud on a free loopback port
//! with a manual clock, an SDK client for it, EC2 instances to deploy to,
//! and deployments run to their end by moving the clock.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::config::Region;
use aws_sdk_codedeploy::error::ProvideErrorMetadata;
use aws_sdk_codedeploy::types::{
    DeploymentInfo, DeploymentStatus, Ec2TagFilter, Ec2TagFilterType, GitHubLocation,
    InstanceTarget, MinimumHealthyHosts, MinimumHealthyHostsType, RevisionLocation,
    RevisionLocationType,
};
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions, ManualClock, Timestamp};

/// The time the manual clock of a test starts at: 2024-05-01 12:00:00 UTC.
pub const START: Timestamp = Timestamp::from_secs(1_714_564_800);
/// How long one lifecycle event takes in these tests.
pub const EVENT_MS: i64 = 1000;
/// The service role every test group uses.
pub const ROLE: &str = "arn:aws:iam::000000000000:role/CodeDeployServiceRole";
/// The tag key that makes an instance misbehave.
pub const SIMULATE: &str = "deploydesk:simulate";

/// A local cloud with a manual clock and the SDK client that talks to it.
pub struct Cloud {
    /// The running local cloud.
    pub local: LocalCloud,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    /// A CodeDeploy client pointed at it, without retries.
    pub client: Client,
}

impl Cloud {
    /// A local cloud in memory with one-second events.
    pub async fn start() -> Self {
        Self::start_with(LocalCloudOptions {
            event_duration: Duration::from_millis(EVENT_MS as u64),
            ..LocalCloudOptions::default()
        })
        .await
    }

    /// A local cloud with the given options and a manual clock at [`START`].
    pub async fn start_with(options: LocalCloudOptions) -> Self {
        Self::start_at(options, START).await
    }

    /// A local cloud with the given options and a manual clock at `now`.
    pub async fn start_at(options: LocalCloudOptions, now: Timestamp) -> Self {
        let clock = Arc::new(ManualClock::new(now));
        let cloud = LocalCloud::start_with_clock(options, clock.clone())
            .await
            .expect("the local cloud starts");
        let client = client_for(&cloud.endpoint_url()).await;
        Self {
            local: cloud,
            clock,
            client,
        }
    }

    /// A local cloud keeping its state in `path`, with one-second events.
    pub async fn start_with_state(path: PathBuf, now: Timestamp) -> Self {
        Self::start_at(
            LocalCloudOptions {
                state_path: Some(path),
                event_duration: Duration::from_millis(EVENT_MS as u64),
                ..LocalCloudOptions::default()
            },
            now,
        )
        .await
    }

    /// Moves the clock `millis` milliseconds on and lets the engine catch up.
    pub fn advance(&self, millis: i64) {
        self.clock.advance_millis(millis);
        self.local.tick();
    }

    /// The clock's time now.
    pub fn now(&self) -> Timestamp {
        use deploydesk::localcloud::Clock as _;
        self.clock.now()
    }

    /// Launches `count` running EC2 instances tagged `tags`, with the
    /// instance profile their agents need, and returns their ids in id
    /// order.
    pub fn launch(&self, count: usize, tags: &[(&str, &str)]) -> Vec<String> {
        let now = self.now();
        let tags: BTreeMap<String, String> = tags
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        let mut ids: Vec<String> = self.local.with_world(|world| {
            (0..count)
                .map(|_| world.launch_ready(tags.clone(), now))
                .collect()
        });
        ids.sort();
        ids
    }

    /// The ARN of the instance profile [`Self::launch`] gives instances
    /// (the demo fleet's), made if missing: for launch templates whose
    /// instances a deployment must reach.
    pub fn instance_profile_arn(&self) -> String {
        let now = self.now();
        self.local
            .with_world(|world| world.iam.seed_fleet_profile(now))
    }

    /// Sets tag `key` of EC2 instance `instance_id`; `None` removes it.
    pub fn tag(&self, instance_id: &str, key: &str, value: Option<&str>) {
        self.local.with_world(|world| {
            let instance = world
                .ec2
                .instances
                .get_mut(instance_id)
                .expect("the instance exists");
            match value {
                Some(value) => instance.tags.insert(key.to_owned(), value.to_owned()),
                None => instance.tags.remove(key),
            };
        });
    }

    /// Creates application `application` unless it exists.
    pub async fn application(&self, application: &str) {
        if self
            .client
            .get_application()
            .application_name(application)
            .send()
            .await
            .is_err()
        {
            self.client
                .create_application()
                .application_name(application)
                .send()
                .await
                .expect("the application is created");
        }
    }

    /// A `CreateDeploymentGroup` request for `group` of `application` (which
    /// is created if needed) with the test role, for a test to add to.
    pub async fn new_group(
        &self,
        application: &str,
        group: &str,
    ) -> aws_sdk_codedeploy::operation::create_deployment_group::builders::CreateDeploymentGroupFluentBuilder
    {
        self.application(application).await;
        self.client
            .create_deployment_group()
            .application_name(application)
            .deployment_group_name(group)
            .service_role_arn(ROLE)
    }

    /// Creates application `application` with group `group` selecting
    /// EC2 instances tagged `key=value`, deploying with `config`.
    pub async fn group(
        &self,
        application: &str,
        group: &str,
        key: &str,
        value: &str,
        config: &str,
    ) {
        self.new_group(application, group)
            .await
            .deployment_config_name(config)
            .ec2_tag_filters(tag_filter(key, value))
            .send()
            .await
            .expect("the deployment group is created");
    }

    /// Creates a custom configuration keeping `value` hosts (`HOST_COUNT`)
    /// or percent (`FLEET_PERCENT`) healthy.
    pub async fn config(&self, name: &str, kind: MinimumHealthyHostsType, value: i32) {
        self.client
            .create_deployment_config()
            .deployment_config_name(name)
            .minimum_healthy_hosts(
                MinimumHealthyHosts::builder()
                    .r#type(kind)
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .expect("the deployment configuration is created");
    }

    /// Starts a deployment of `revision` (a commit id) and returns its id.
    pub async fn deploy(&self, application: &str, group: &str, revision: &str) -> String {
        self.deploy_with(application, group, revision, None).await
    }

    /// Starts a deployment with an optional configuration override.
    pub async fn deploy_with(
        &self,
        application: &str,
        group: &str,
        revision: &str,
        config: Option<&str>,
    ) -> String {
        self.client
            .create_deployment()
            .application_name(application)
            .deployment_group_name(group)
            .revision(github(revision))
            .set_deployment_config_name(config.map(str::to_owned))
            .send()
            .await
            .expect("the deployment is created")
            .deployment_id()
            .expect("CreateDeployment returns an id")
            .to_owned()
    }

    /// The deployment as `GetDeployment` returns it.
    pub async fn deployment(&self, deployment_id: &str) -> DeploymentInfo {
        self.client
            .get_deployment()
            .deployment_id(deployment_id)
            .send()
            .await
            .expect("the deployment can be read")
            .deployment_info()
            .expect("GetDeployment returns the deployment")
            .clone()
    }

    /// The deployment's status.
    pub async fn status(&self, deployment_id: &str) -> DeploymentStatus {
        self.deployment(deployment_id)
            .await
            .status()
            .expect("a deployment has a status")
            .clone()
    }

    /// Moves the clock a second at a time until the deployment has ended
    /// (at most `limit_seconds`), and returns its final state.
    pub async fn run_to_end(&self, deployment_id: &str, limit_seconds: i64) -> DeploymentInfo {
        for _ in 0..=limit_seconds {
            let info = self.deployment(deployment_id).await;
            if matches!(
                info.status(),
                Some(
                    DeploymentStatus::Succeeded
                        | DeploymentStatus::Failed
                        | DeploymentStatus::Stopped
                )
            ) {
                return info;
            }
            self.advance(1000);
        }
        panic!("deployment {deployment_id} did not end within {limit_seconds} seconds");
    }

    /// Every target of a deployment, in target id order.
    pub async fn targets(&self, deployment_id: &str) -> Vec<InstanceTarget> {
        let ids = target_ids(&self.client, deployment_id).await;
        let mut targets = read_targets(&self.client, deployment_id, &ids).await;
        targets.sort_by(|left, right| left.target_id().cmp(&right.target_id()));
        targets
    }

    /// Makes every instance of a group healthy with the current revision
    /// `warm-up`, by running an all-at-once deployment to its end.
    pub async fn make_healthy(&self, application: &str, group: &str) {
        let id = self
            .deploy_with(
                application,
                group,
                "warm-up",
                Some("CodeDeployDefault.AllAtOnce"),
            )
            .await;
        let info = self.run_to_end(&id, 100).await;
        assert_eq!(
            info.status(),
            Some(&DeploymentStatus::Succeeded),
            "{info:?}"
        );
    }
}

/// A health check and deregistration delay for a target group of
/// [`Cloud::target_group`].
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// Seconds between health checks.
    pub interval_seconds: i32,
    /// Passing checks before a target is healthy.
    pub healthy_threshold: i32,
    /// Seconds a deregistered target drains.
    pub drain_seconds: i64,
}

impl Cloud {
    /// An Elastic Load Balancing v2 client for this local cloud.
    pub async fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.local.endpoint_url())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        aws_sdk_elasticloadbalancingv2::Client::new(&config)
    }

    /// Creates the HTTP target group `name` with `checks`, behind a new
    /// application load balancer whose listener forwards to it, and
    /// returns the group's ARN.
    pub async fn target_group(&self, name: &str, checks: Checks) -> String {
        use aws_sdk_elasticloadbalancingv2::types::{
            Action, ActionTypeEnum, ProtocolEnum, TargetGroupAttribute,
        };
        let client = self.elbv2().await;
        let group = client
            .create_target_group()
            .name(name)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id("vpc-0a1b2c3d")
            .health_check_interval_seconds(checks.interval_seconds)
            .health_check_timeout_seconds(2)
            .healthy_threshold_count(checks.healthy_threshold)
            .send()
            .await
            .expect("the target group is created")
            .target_groups()[0]
            .target_group_arn()
            .expect("an ARN")
            .to_owned();
        client
            .modify_target_group_attributes()
            .target_group_arn(&group)
            .attributes(
                TargetGroupAttribute::builder()
                    .key("deregistration_delay.timeout_seconds")
                    .value(checks.drain_seconds.to_string())
                    .build(),
            )
            .send()
            .await
            .expect("the deregistration delay is set");
        let balancer = client
            .create_load_balancer()
            .name(format!("{name}-alb"))
            .subnets("subnet-0a1b2c3d")
            .subnets("subnet-1a2b3c4d")
            .send()
            .await
            .expect("the load balancer is created")
            .load_balancers()[0]
            .load_balancer_arn()
            .expect("an ARN")
            .to_owned();
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&group)
                    .build(),
            )
            .send()
            .await
            .expect("the listener is created");
        group
    }
}

/// An SDK client for the endpoint `url`, with made-up keys and no retries.
pub async fn client_for(url: &str) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

/// Every target id of a deployment, through `ListDeploymentTargets` page
/// by page.
pub async fn target_ids(client: &Client, deployment_id: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_deployment_targets()
            .deployment_id(deployment_id)
            .set_next_token(token.take())
            .send()
            .await
            .expect("the targets can be listed");
        ids.extend(page.target_ids().to_vec());
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return ids,
        }
    }
}

/// The targets `ids` of a deployment, through `BatchGetDeploymentTargets`
/// 25 at a time.
pub async fn read_targets(
    client: &Client,
    deployment_id: &str,
    ids: &[String],
) -> Vec<InstanceTarget> {
    let mut targets = Vec::new();
    for chunk in ids.chunks(25) {
        let output = client
            .batch_get_deployment_targets()
            .deployment_id(deployment_id)
            .set_target_ids(Some(chunk.to_vec()))
            .send()
            .await
            .expect("the targets can be read");
        targets.extend(output.deployment_targets().iter().map(|target| {
            target
                .instance_target()
                .expect("an instance target")
                .clone()
        }));
    }
    targets
}

/// An EC2 tag filter `key=value`.
pub fn tag_filter(key: &str, value: &str) -> Ec2TagFilter {
    Ec2TagFilter::builder()
        .key(key)
        .value(value)
        .r#type(Ec2TagFilterType::KeyAndValue)
        .build()
}

/// A GitHub revision at `commit`.
pub fn github(commit: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::GitHub)
        .git_hub_location(
            GitHubLocation::builder()
                .repository("deploydesk/sample-app")
                .commit_id(commit)
                .build(),
        )
        .build()
}

/// The error code of a failed SDK call.
pub fn error_code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    let error = result.expect_err("the call fails");
    error
        .code()
        .unwrap_or_else(|| panic!("the error has a code: {error:?}"))
        .to_owned()
}

/// A time as milliseconds since the epoch.
pub fn millis(time: &aws_smithy_types::DateTime) -> i64 {
    time.secs() * 1000 + i64::from(time.subsec_nanos() / 1_000_000)
}

/// When a target's first lifecycle event started, in milliseconds after
/// [`START`]-based `origin`.
pub fn first_event_start(target: &InstanceTarget, origin: Timestamp) -> Option<i64> {
    target
        .lifecycle_events()
        .first()
        .and_then(|event| event.start_time())
        .map(|time| millis(time) - origin.as_millis())
}

/// The status of a target as the API spells it.
pub fn target_status(target: &InstanceTarget) -> &str {
    target.status().map_or("", |status| status.as_str())
}

/// Each lifecycle event's name and status, as the API spells them.
pub fn event_statuses(
    events: &[aws_sdk_codedeploy::types::LifecycleEvent],
) -> Vec<(String, String)> {
    events
        .iter()
        .map(|event| {
            (
                event.lifecycle_event_name().unwrap_or_default().to_owned(),
                event
                    .status()
                    .map_or("", |status| status.as_str())
                    .to_owned(),
            )
        })
        .collect()
}
