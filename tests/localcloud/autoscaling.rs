//! The local cloud's Auto Scaling and EC2 launch templates driven by the
//! official SDK: groups launched from a template into EC2 with their tags,
//! scaled out and in on the clock, lifecycle hooks that hold launches until
//! completed or timed out, heartbeats, termination, deletion, paging and
//! AWS's errors for bad input.

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::error::ProvideErrorMetadata;
use aws_sdk_autoscaling::types::{
    AutoScalingGroup, LaunchTemplateSpecification, LifecycleHookSpecification, Tag,
};
use aws_sdk_ec2::types::{
    Filter, InstanceStateName, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
};
use deploydesk::localcloud::autoscaling::PROCEED_MILLIS;
use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use deploydesk::localcloud::{LocalCloud, ManualClock};

/// The image templates launch.
const IMAGE: &str = "ami-0abcdef1234567890";
/// The launch transition.
const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";
/// The terminate transition.
const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// The local cloud with Auto Scaling and EC2 clients, without retries.
struct Fixture {
    cloud: LocalCloud,
    clock: std::sync::Arc<ManualClock>,
    autoscaling: Client,
    ec2: aws_sdk_ec2::Client,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with_state(None).await
    }

    /// The fixture with its state kept in the file `state`.
    async fn start_with_state(state: Option<std::path::PathBuf>) -> Self {
        let (cloud, clock) = support::start_with_state(state).await;
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(cloud.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        Self {
            autoscaling: Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            cloud,
            clock,
        }
    }

    /// Moves the clock on by `millis`.
    fn advance(&self, millis: i64) {
        self.clock.advance_millis(millis);
    }

    /// Creates the template `name`, tagging instances `Role=web`.
    async fn template(&self, name: &str) -> String {
        let created = self
            .ec2
            .create_launch_template()
            .launch_template_name(name)
            .version_description("first")
            .launch_template_data(
                RequestLaunchTemplateData::builder()
                    .image_id(IMAGE)
                    .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                    .iam_instance_profile(
                        LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                            .name("web-profile")
                            .build(),
                    )
                    .tag_specifications(
                        LaunchTemplateTagSpecificationRequest::builder()
                            .resource_type(ResourceType::Instance)
                            .tags(
                                aws_sdk_ec2::types::Tag::builder()
                                    .key("Role")
                                    .value("web")
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("the template is created");
        created
            .launch_template()
            .and_then(|template| template.launch_template_id())
            .expect("an id")
            .to_owned()
    }

    /// Creates group `name` from template `template` with `desired` of 0 to
    /// 5 instances in two zones, and returns the template's id.
    async fn group(&self, name: &str, desired: i32, hooks: Vec<LifecycleHookSpecification>) {
        let template = format!("{name}-template");
        self.template(&template).await;
        self.autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name(&template)
                    .version("$Latest")
                    .build(),
            )
            .min_size(0)
            .max_size(5)
            .desired_capacity(desired)
            .availability_zones("us-east-1a")
            .availability_zones("us-east-1b")
            .set_lifecycle_hook_specification_list(Some(hooks))
            .send()
            .await
            .expect("the group is created");
    }

    /// The group `name`.
    async fn describe(&self, name: &str) -> AutoScalingGroup {
        self.autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .expect("groups are described")
            .auto_scaling_groups()
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("group {name} exists"))
    }

    /// The lifecycle states of group `name`'s instances, sorted.
    async fn states(&self, name: &str) -> Vec<String> {
        let mut states: Vec<String> = self
            .describe(name)
            .await
            .instances()
            .iter()
            .map(|instance| {
                instance
                    .lifecycle_state()
                    .expect("a state")
                    .as_str()
                    .to_owned()
            })
            .collect();
        states.sort();
        states
    }

    /// The instance ids of group `name`, sorted.
    async fn instance_ids(&self, name: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .describe(name)
            .await
            .instances()
            .iter()
            .map(|instance| instance.instance_id().expect("an id").to_owned())
            .collect();
        ids.sort();
        ids
    }

    /// The EC2 state of instance `id`.
    async fn ec2_state(&self, id: &str) -> InstanceStateName {
        self.ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("instances are described")
            .reservations()[0]
            .instances()[0]
            .state()
            .and_then(|state| state.name())
            .cloned()
            .expect("a state")
    }
}

/// A launch hook named `name` that times out after `timeout` seconds with
/// `result`.
fn launch_hook(name: &str, timeout: i32, result: &str) -> LifecycleHookSpecification {
    LifecycleHookSpecification::builder()
        .lifecycle_hook_name(name)
        .lifecycle_transition(LAUNCHING)
        .heartbeat_timeout(timeout)
        .default_result(result)
        .build()
}

/// The code and message of a failed call.
fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let error = result.expect_err("the call fails");
    (
        error.code().unwrap_or("none").to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_group_launches_tagged_instances_from_its_template_into_ec2() {
    let fixture = Fixture::start().await;
    let template_id = fixture.template("web-template").await;
    fixture
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_id(&template_id)
                .build(),
        )
        .min_size(1)
        .max_size(4)
        .desired_capacity(2)
        .availability_zones("us-east-1a")
        .availability_zones("us-east-1b")
        .tags(
            Tag::builder()
                .key("Environment")
                .value("production")
                .propagate_at_launch(true)
                .build(),
        )
        .tags(
            Tag::builder()
                .key("CostCenter")
                .value("42")
                .propagate_at_launch(false)
                .build(),
        )
        .target_group_arns(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef",
        )
        .load_balancer_names("classic-web")
        .health_check_grace_period(120)
        .health_check_type("ELB")
        .send()
        .await
        .expect("the group is created");

    let group = fixture.describe("web").await;
    assert_eq!(group.min_size(), Some(1));
    assert_eq!(group.max_size(), Some(4));
    assert_eq!(group.desired_capacity(), Some(2));
    assert_eq!(group.health_check_grace_period(), Some(120));
    assert_eq!(group.health_check_type(), Some("ELB"));
    assert_eq!(group.default_cooldown(), Some(300));
    assert_eq!(group.availability_zones(), ["us-east-1a", "us-east-1b"]);
    assert_eq!(group.load_balancer_names(), ["classic-web"]);
    assert_eq!(group.target_group_arns().len(), 1);
    let arn = group.auto_scaling_group_arn().unwrap();
    assert!(
        arn.starts_with("arn:aws:autoscaling:us-east-1:")
            && arn.ends_with(":autoScalingGroupName/web"),
        "{arn}"
    );
    let template = group.launch_template().unwrap();
    assert_eq!(template.launch_template_id(), Some(template_id.as_str()));
    assert_eq!(template.launch_template_name(), Some("web-template"));
    assert_eq!(template.version(), Some("$Default"));
    assert_eq!(group.tags().len(), 2);
    let zones: std::collections::BTreeSet<&str> = group
        .instances()
        .iter()
        .map(|instance| instance.availability_zone().unwrap())
        .collect();
    assert_eq!(zones.len(), 2, "the instances are spread over both zones");
    assert_eq!(fixture.states("web").await, ["Pending", "Pending"]);

    // The instances are EC2's, with the template's and the group's tags.
    let reservations = fixture
        .ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("tag:aws:autoscaling:groupName")
                .values("web")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instances: Vec<_> = reservations
        .reservations()
        .iter()
        .flat_map(aws_sdk_ec2::types::Reservation::instances)
        .collect();
    assert_eq!(instances.len(), 2);
    for instance in &instances {
        assert_eq!(instance.image_id(), Some(IMAGE));
        assert_eq!(
            instance.instance_type(),
            Some(&aws_sdk_ec2::types::InstanceType::T3Micro)
        );
        assert!(
            instance
                .iam_instance_profile()
                .and_then(|profile| profile.arn())
                .is_some_and(|arn| arn.ends_with(":instance-profile/web-profile"))
        );
        let tags: std::collections::BTreeMap<&str, &str> = instance
            .tags()
            .iter()
            .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
            .collect();
        assert_eq!(tags["Role"], "web");
        assert_eq!(tags["Environment"], "production");
        assert_eq!(tags["aws:ec2launchtemplate:id"], template_id);
        assert!(!tags.contains_key("CostCenter"), "{tags:?}");
        assert_eq!(
            instance.state().unwrap().name(),
            Some(&InstanceStateName::Pending)
        );
    }

    fixture.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(fixture.states("web").await, ["InService", "InService"]);
    for id in fixture.instance_ids("web").await {
        assert_eq!(fixture.ec2_state(&id).await, InstanceStateName::Running);
    }
    let details = fixture
        .autoscaling
        .describe_auto_scaling_instances()
        .send()
        .await
        .unwrap();
    assert_eq!(details.auto_scaling_instances().len(), 2);
    for instance in details.auto_scaling_instances() {
        assert_eq!(instance.auto_scaling_group_name(), Some("web"));
        assert_eq!(instance.lifecycle_state(), Some("InService"));
        assert_eq!(instance.health_status(), Some("HEALTHY"));
    }
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn desired_capacity_scales_out_and_in_on_the_clock() {
    let fixture = Fixture::start().await;
    fixture.group("scaling", 1, Vec::new()).await;
    fixture.advance(STATE_TRANSITION_MILLIS);
    let first = fixture.instance_ids("scaling").await;
    assert_eq!(fixture.states("scaling").await, ["InService"]);

    fixture
        .autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name("scaling")
        .desired_capacity(3)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fixture.states("scaling").await,
        ["InService", "Pending", "Pending"]
    );
    fixture.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(
        fixture.states("scaling").await,
        ["InService", "InService", "InService"]
    );

    // Scale-in to 1 through a smaller maximum. The first instance went to
    // us-east-1a, the next two to us-east-1b and then us-east-1a: the
    // busiest zone, us-east-1a, loses its oldest (the first instance), then
    // the zones are even and the first in the list loses its last.
    fixture
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name("scaling")
        .max_size(1)
        .send()
        .await
        .unwrap();
    let group = fixture.describe("scaling").await;
    assert_eq!(group.desired_capacity(), Some(1), "the maximum lowers it");
    assert_eq!(
        fixture.states("scaling").await,
        ["InService", "Terminating", "Terminating"]
    );
    fixture.advance(PROCEED_MILLIS);
    assert_eq!(
        fixture.states("scaling").await,
        ["InService", "Terminating:Proceed", "Terminating:Proceed"]
    );
    let leaving: Vec<String> = fixture
        .describe("scaling")
        .await
        .instances()
        .iter()
        .filter(|instance| instance.lifecycle_state().unwrap().as_str() != "InService")
        .map(|instance| instance.instance_id().unwrap().to_owned())
        .collect();
    assert_eq!(
        fixture.ec2_state(&leaving[0]).await,
        InstanceStateName::ShuttingDown
    );
    fixture.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(fixture.states("scaling").await, ["InService"]);
    for id in &leaving {
        assert_eq!(fixture.ec2_state(id).await, InstanceStateName::Terminated);
    }
    assert!(
        leaving.contains(&first[0]),
        "the oldest of the busiest zone went"
    );
    let kept = fixture.describe("scaling").await;
    assert_eq!(
        kept.instances()[0].availability_zone(),
        Some("us-east-1b"),
        "the zones stay balanced"
    );

    let activities = fixture
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name("scaling")
        .send()
        .await
        .unwrap();
    let descriptions: Vec<&str> = activities
        .activities()
        .iter()
        .map(|activity| activity.description().unwrap())
        .collect();
    assert_eq!(descriptions.len(), 5, "{descriptions:?}");
    assert!(descriptions[0].starts_with("Terminating EC2 instance: i-"));
    assert!(descriptions[4].starts_with("Launching a new EC2 instance: i-"));
    for activity in activities.activities() {
        assert_eq!(activity.status_code().unwrap().as_str(), "Successful");
        assert!(
            activity
                .cause()
                .unwrap()
                .starts_with("At 2024-05-01T12:00:0")
        );
    }
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn a_launch_hook_holds_pending_wait_until_the_action_is_completed() {
    let fixture = Fixture::start().await;
    fixture
        .group("held", 1, vec![launch_hook("deploy", 600, "ABANDON")])
        .await;
    let hooks = fixture
        .autoscaling
        .describe_lifecycle_hooks()
        .auto_scaling_group_name("held")
        .send()
        .await
        .unwrap();
    let hook = &hooks.lifecycle_hooks()[0];
    assert_eq!(hook.lifecycle_hook_name(), Some("deploy"));
    assert_eq!(hook.lifecycle_transition(), Some(LAUNCHING));
    assert_eq!(hook.heartbeat_timeout(), Some(600));
    assert_eq!(hook.global_timeout(), Some(60_000));
    assert_eq!(hook.default_result(), Some("ABANDON"));

    assert_eq!(fixture.states("held").await, ["Pending"]);
    fixture.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(fixture.states("held").await, ["Pending:Wait"]);
    let instance = fixture.instance_ids("held").await.remove(0);
    let actions = fixture.cloud.snapshot().autoscaling.open_actions();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].instance_id, instance);
    assert_eq!(actions[0].hook, "deploy");
    let token = actions[0].token.clone();

    // Wrong tokens, instances and hooks are refused.
    let complete = || {
        fixture
            .autoscaling
            .complete_lifecycle_action()
            .auto_scaling_group_name("held")
            .lifecycle_hook_name("deploy")
            .lifecycle_action_result("CONTINUE")
    };
    let wrong_token = complete()
        .lifecycle_action_token("00000000-0000-0000-0000-000000000000")
        .send()
        .await;
    let (code, message) = error_of(wrong_token);
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("No active Lifecycle Action found with token"),
        "{message}"
    );
    let (code, message) = error_of(complete().instance_id("i-0123456789abcdef0").send().await);
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("No active Lifecycle Action found with instance ID"),
        "{message}"
    );
    let (code, message) = error_of(
        fixture
            .autoscaling
            .complete_lifecycle_action()
            .auto_scaling_group_name("held")
            .lifecycle_hook_name("other")
            .lifecycle_action_result("CONTINUE")
            .instance_id(&instance)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(message.contains("No Lifecycle Hook found"), "{message}");
    let (code, _) = error_of(complete().send().await);
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(
        fixture
            .autoscaling
            .complete_lifecycle_action()
            .auto_scaling_group_name("held")
            .lifecycle_hook_name("deploy")
            .lifecycle_action_result("MAYBE")
            .instance_id(&instance)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // The hold lasts as long as nobody completes it (within its timeout).
    fixture.advance(300_000);
    assert_eq!(fixture.states("held").await, ["Pending:Wait"]);
    complete()
        .lifecycle_action_token(&token)
        .send()
        .await
        .expect("the action is completed by token");
    assert_eq!(fixture.states("held").await, ["Pending:Proceed"]);
    fixture.advance(PROCEED_MILLIS);
    assert_eq!(fixture.states("held").await, ["InService"]);
    assert!(
        fixture
            .cloud
            .snapshot()
            .autoscaling
            .open_actions()
            .is_empty()
    );
    // A completed action cannot be completed again.
    let (code, _) = error_of(complete().lifecycle_action_token(&token).send().await);
    assert_eq!(code, "ValidationError");

    // The next launch is completed by instance id.
    fixture
        .autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name("held")
        .desired_capacity(2)
        .send()
        .await
        .unwrap();
    fixture.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(fixture.states("held").await, ["InService", "Pending:Wait"]);
    let waiting = fixture.cloud.snapshot().autoscaling.open_actions()[0]
        .instance_id
        .clone();
    complete().instance_id(&waiting).send().await.unwrap();
    fixture.advance(PROCEED_MILLIS);
    assert_eq!(fixture.states("held").await, ["InService", "InService"]);
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn an_abandoned_launch_is_terminated_and_replaced_and_heartbeats_extend_the_wait() {
    let fixture = Fixture::start().await;
    fixture
        .group("flaky", 1, vec![launch_hook("check", 30, "ABANDON")])
        .await;
    fixture.advance(STATE_TRANSITION_MILLIS);
    let first = fixture.instance_ids("flaky").await.remove(0);
    assert_eq!(fixture.states("flaky").await, ["Pending:Wait"]);

    // Heartbeats restart the 30-second timeout.
    for _ in 0..3 {
        fixture.advance(20_000);
        fixture
            .autoscaling
            .record_lifecycle_action_heartbeat()
            .auto_scaling_group_name("flaky")
            .lifecycle_hook_name("check")
            .instance_id(&first)
            .send()
            .await
            .expect("the heartbeat is recorded");
    }
    fixture.advance(29_000);
    assert_eq!(fixture.states("flaky").await, ["Pending:Wait"]);
    let (code, _) = error_of(
        fixture
            .autoscaling
            .record_lifecycle_action_heartbeat()
            .auto_scaling_group_name("flaky")
            .lifecycle_hook_name("check")
            .instance_id("i-0000000000000000f")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // Without one, the timeout abandons the launch: the instance is
    // terminated and a replacement launched at once.
    fixture.advance(1_000);
    let states = fixture.states("flaky").await;
    assert_eq!(states, ["Pending", "Terminating"]);
    let ids = fixture.instance_ids("flaky").await;
    let replacement = ids.iter().find(|id| **id != first).unwrap().clone();
    fixture.advance(PROCEED_MILLIS + STATE_TRANSITION_MILLIS);
    assert_eq!(fixture.instance_ids("flaky").await, [replacement]);
    assert_eq!(
        fixture.ec2_state(&first).await,
        InstanceStateName::Terminated
    );
    assert_eq!(fixture.states("flaky").await, ["Pending:Wait"]);
    let activities = fixture
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name("flaky")
        .send()
        .await
        .unwrap();
    let cancelled = activities
        .activities()
        .iter()
        .find(|activity| activity.description().unwrap().ends_with(&first))
        .unwrap();
    assert_eq!(cancelled.status_code().unwrap().as_str(), "Cancelled");
    assert!(
        cancelled
            .status_message()
            .unwrap()
            .contains("Lifecycle Action Completed with ABANDON Result"),
        "{cancelled:?}"
    );

    // A hook that continues by default lets the replacement in.
    fixture
        .autoscaling
        .put_lifecycle_hook()
        .auto_scaling_group_name("flaky")
        .lifecycle_hook_name("check")
        .default_result("CONTINUE")
        .send()
        .await
        .unwrap();
    fixture
        .autoscaling
        .delete_lifecycle_hook()
        .auto_scaling_group_name("flaky")
        .lifecycle_hook_name("check")
        .send()
        .await
        .expect("the hook is deleted");
    // Deleting the hook abandons the waiting launch, as AWS does.
    assert_eq!(fixture.states("flaky").await, ["Pending", "Terminating"]);
    fixture.advance(10_000);
    assert_eq!(fixture.states("flaky").await, ["InService"]);
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn a_continue_timeout_and_a_terminate_hook_finish_on_the_clock() {
    let fixture = Fixture::start().await;
    fixture
        .group("patient", 1, vec![launch_hook("warm", 60, "CONTINUE")])
        .await;
    fixture
        .autoscaling
        .put_lifecycle_hook()
        .auto_scaling_group_name("patient")
        .lifecycle_hook_name("drain")
        .lifecycle_transition(TERMINATING)
        .heartbeat_timeout(120)
        .send()
        .await
        .unwrap();
    fixture.advance(STATE_TRANSITION_MILLIS + 60_000);
    assert_eq!(fixture.states("patient").await, ["Pending:Proceed"]);
    fixture.advance(PROCEED_MILLIS);
    assert_eq!(fixture.states("patient").await, ["InService"]);

    let instance = fixture.instance_ids("patient").await.remove(0);
    let terminated = fixture
        .autoscaling
        .terminate_instance_in_auto_scaling_group()
        .instance_id(&instance)
        .should_decrement_desired_capacity(true)
        .send()
        .await
        .unwrap();
    let activity = terminated.activity().unwrap();
    assert_eq!(
        activity.description(),
        Some(format!("Terminating EC2 instance: {instance}").as_str())
    );
    assert_eq!(activity.status_code().unwrap().as_str(), "InProgress");
    assert_eq!(
        fixture.describe("patient").await.desired_capacity(),
        Some(0)
    );
    fixture.advance(PROCEED_MILLIS);
    assert_eq!(fixture.states("patient").await, ["Terminating:Wait"]);
    fixture
        .autoscaling
        .complete_lifecycle_action()
        .auto_scaling_group_name("patient")
        .lifecycle_hook_name("drain")
        .instance_id(&instance)
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .unwrap();
    assert_eq!(fixture.states("patient").await, ["Terminating:Proceed"]);
    fixture.advance(STATE_TRANSITION_MILLIS);
    assert!(fixture.states("patient").await.is_empty());
    assert_eq!(
        fixture.ec2_state(&instance).await,
        InstanceStateName::Terminated
    );
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn terminating_without_decrement_launches_a_replacement() {
    let fixture = Fixture::start().await;
    fixture.group("replace", 1, Vec::new()).await;
    fixture.advance(STATE_TRANSITION_MILLIS);
    let instance = fixture.instance_ids("replace").await.remove(0);
    let (code, message) = error_of(
        fixture
            .autoscaling
            .terminate_instance_in_auto_scaling_group()
            .instance_id("i-0123456789abcdef0")
            .should_decrement_desired_capacity(false)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(message.starts_with("Instance Id not found"), "{message}");
    fixture
        .autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name("replace")
        .min_size(1)
        .send()
        .await
        .unwrap();
    let (code, message) = error_of(
        fixture
            .autoscaling
            .terminate_instance_in_auto_scaling_group()
            .instance_id(&instance)
            .should_decrement_desired_capacity(true)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(message.contains("min size"), "{message}");
    fixture
        .autoscaling
        .terminate_instance_in_auto_scaling_group()
        .instance_id(&instance)
        .should_decrement_desired_capacity(false)
        .send()
        .await
        .unwrap();
    assert_eq!(fixture.states("replace").await, ["Pending", "Terminating"]);
    assert_eq!(
        fixture.describe("replace").await.desired_capacity(),
        Some(1)
    );
    fixture.advance(10_000);
    let ids = fixture.instance_ids("replace").await;
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], instance);
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn deleting_a_group_with_instances_is_refused_unless_forced() {
    let fixture = Fixture::start().await;
    fixture.group("doomed", 2, Vec::new()).await;
    let delete = || {
        fixture
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name("doomed")
    };
    let (code, _) = error_of(delete().send().await);
    assert_eq!(code, "ScalingActivityInProgress", "instances are launching");
    fixture.advance(STATE_TRANSITION_MILLIS);
    let (code, message) = error_of(delete().send().await);
    assert_eq!(code, "ResourceInUse");
    assert!(message.contains("ForceDelete"), "{message}");
    let instances = fixture.instance_ids("doomed").await;

    delete().force_delete(true).send().await.unwrap();
    let group = fixture.describe("doomed").await;
    assert_eq!(group.status(), Some("Delete in progress"));
    let (code, _) = error_of(
        fixture
            .autoscaling
            .set_desired_capacity()
            .auto_scaling_group_name("doomed")
            .desired_capacity(1)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    fixture.advance(10_000);
    let left = fixture
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("doomed")
        .send()
        .await
        .unwrap();
    assert!(left.auto_scaling_groups().is_empty());
    for id in &instances {
        assert_eq!(fixture.ec2_state(id).await, InstanceStateName::Terminated);
    }

    // An empty group goes at once.
    fixture.group("empty", 0, Vec::new()).await;
    fixture
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name("empty")
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        fixture
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name("empty")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_refused_with_awss_codes_and_change_nothing() {
    let fixture = Fixture::start().await;
    fixture.group("kept", 1, Vec::new()).await;
    let before = fixture.describe("kept").await;
    let client = &fixture.autoscaling;
    let template = |name: &str| {
        LaunchTemplateSpecification::builder()
            .launch_template_name(name)
            .build()
    };
    let create = |name: &str| {
        client
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(template("kept-template"))
            .min_size(1)
            .max_size(3)
            .availability_zones("us-east-1a")
    };
    let cases = vec![
        (
            "a colon",
            create("web:blue"),
            "ValidationError",
            "can not contain ':'",
        ),
        (
            "256 characters",
            create(&"g".repeat(256)),
            "ValidationError",
            "255",
        ),
        (
            "min above max",
            create("sizes").min_size(4),
            "ValidationError",
            "Max bound, 3, must be greater than or equal to min bound, 4",
        ),
        (
            "desired above max",
            create("sizes").desired_capacity(9),
            "ValidationError",
            "Desired capacity:9 must be between the specified min size:1 and max size:3",
        ),
        (
            "negative size",
            create("sizes").min_size(-1),
            "ValidationError",
            "greater than or equal to 0",
        ),
        (
            "a missing template",
            create("lt").launch_template(template("ghost")),
            "ValidationError",
            "with template name ghost, does not exist",
        ),
        (
            "a missing template id",
            create("lt").launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_id("lt-0123456789abcdef0")
                    .build(),
            ),
            "ValidationError",
            "with template ID lt-0123456789abcdef0, does not exist",
        ),
        (
            "a missing version",
            create("lt").launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name("kept-template")
                    .version("7")
                    .build(),
            ),
            "ValidationError",
            "version 7",
        ),
        (
            "both template id and name",
            create("lt").launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name("kept-template")
                    .launch_template_id("lt-0123456789abcdef0")
                    .build(),
            ),
            "ValidationError",
            "but not both",
        ),
        (
            "no template",
            client
                .create_auto_scaling_group()
                .auto_scaling_group_name("none")
                .min_size(0)
                .max_size(1)
                .availability_zones("us-east-1a"),
            "ValidationError",
            "Valid requests must contain either LaunchTemplate",
        ),
        (
            "no zone",
            client
                .create_auto_scaling_group()
                .auto_scaling_group_name("nozone")
                .launch_template(template("kept-template"))
                .min_size(0)
                .max_size(1),
            "ValidationError",
            "At least one Availability Zone or VPC Subnet is required",
        ),
        (
            "a zone of another region",
            create("zone").availability_zones("eu-west-1a"),
            "ValidationError",
            "not in the region us-east-1",
        ),
        (
            "a bad subnet",
            create("subnet").vpc_zone_identifier("subnet-zz"),
            "ValidationError",
            "subnet-zz",
        ),
        (
            "a reserved tag",
            create("tags").tags(Tag::builder().key("aws:owner").value("me").build()),
            "ValidationError",
            "reserved",
        ),
        (
            "a bad hook",
            create("hooks").lifecycle_hook_specification_list(launch_hook("h", 10, "CONTINUE")),
            "ValidationError",
            "from 30 to 7200",
        ),
        (
            "a bad hook result",
            create("hooks").lifecycle_hook_specification_list(launch_hook("h", 60, "RETRY")),
            "ValidationError",
            "CONTINUE or ABANDON",
        ),
        (
            "a taken name",
            create("kept"),
            "AlreadyExists",
            "already exists",
        ),
    ];
    for (what, request, expected_code, expected_message) in cases {
        let (code, message) = error_of(request.send().await);
        assert_eq!(code, expected_code, "{what}: {message}");
        assert!(
            message.contains(expected_message),
            "{what}: {message} should say {expected_message}"
        );
    }
    let (code, message) = error_of(
        client
            .set_desired_capacity()
            .auto_scaling_group_name("kept")
            .desired_capacity(6)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(
        message.starts_with("New SetDesiredCapacity value 6 is above max value 5"),
        "{message}"
    );
    for (name, desired) in [("ghost", 1), ("kept", -1)] {
        let (code, _) = error_of(
            client
                .set_desired_capacity()
                .auto_scaling_group_name(name)
                .desired_capacity(desired)
                .send()
                .await,
        );
        assert_eq!(code, "ValidationError", "{name}");
    }
    let (code, _) = error_of(
        client
            .update_auto_scaling_group()
            .auto_scaling_group_name("kept")
            .min_size(2)
            .max_size(4)
            .desired_capacity(5)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, message) = error_of(
        client
            .update_auto_scaling_group()
            .auto_scaling_group_name("ghost")
            .max_size(4)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(message.contains("not found"), "{message}");
    let (code, _) = error_of(
        client
            .put_lifecycle_hook()
            .auto_scaling_group_name("kept")
            .lifecycle_hook_name("new")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError", "a new hook needs its transition");
    let (code, _) = error_of(
        client
            .describe_auto_scaling_groups()
            .next_token("not-a-token")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidNextToken");
    let (code, _) = error_of(
        client
            .describe_auto_scaling_groups()
            .max_records(101)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // Nothing was half made.
    let groups = client.describe_auto_scaling_groups().send().await.unwrap();
    let names: Vec<&str> = groups
        .auto_scaling_groups()
        .iter()
        .map(|group| group.auto_scaling_group_name().unwrap())
        .collect();
    assert_eq!(names, ["kept"]);
    let after = fixture.describe("kept").await;
    assert_eq!(after.desired_capacity(), before.desired_capacity());
    assert_eq!(after.min_size(), before.min_size());
    assert_eq!(after.max_size(), before.max_size());
    assert!(
        client
            .describe_lifecycle_hooks()
            .auto_scaling_group_name("kept")
            .send()
            .await
            .unwrap()
            .lifecycle_hooks()
            .is_empty()
    );
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn groups_and_instances_are_paged_without_repeats() {
    let fixture = Fixture::start().await;
    fixture.template("paged-template").await;
    for number in 0..5 {
        fixture
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(format!("paged-{number}"))
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name("paged-template")
                    .build(),
            )
            .min_size(1)
            .max_size(1)
            .availability_zones("us-east-1a")
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = fixture
            .autoscaling
            .describe_auto_scaling_groups()
            .max_records(2)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.auto_scaling_groups().len() <= 2);
        seen.extend(
            page.auto_scaling_groups()
                .iter()
                .map(|group| group.auto_scaling_group_name().unwrap().to_owned()),
        );
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        (0..5).map(|n| format!("paged-{n}")).collect::<Vec<_>>()
    );

    let instances: Vec<String> = fixture
        .autoscaling
        .describe_auto_scaling_instances()
        .into_paginator()
        .page_size(2)
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|instance| instance.instance_id().unwrap().to_owned())
        .collect();
    assert_eq!(instances.len(), 5);
    let unique: std::collections::BTreeSet<&String> = instances.iter().collect();
    assert_eq!(unique.len(), 5);
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn launch_templates_are_created_described_and_deleted() {
    let fixture = Fixture::start().await;
    let id = fixture.template("described").await;
    assert!(id.starts_with("lt-") && id.len() == 20, "{id}");
    let described = fixture
        .ec2
        .describe_launch_templates()
        .launch_template_names("described")
        .send()
        .await
        .unwrap();
    let template = &described.launch_templates()[0];
    assert_eq!(template.launch_template_id(), Some(id.as_str()));
    assert_eq!(template.default_version_number(), Some(1));
    assert_eq!(template.latest_version_number(), Some(1));
    assert!(template.created_by().unwrap().starts_with("arn:aws:iam::"));

    for version in ["$Latest", "$Default", "1"] {
        let versions = fixture
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions(version)
            .send()
            .await
            .unwrap();
        let found = &versions.launch_template_versions()[0];
        assert_eq!(found.version_number(), Some(1), "{version}");
        assert_eq!(found.default_version(), Some(true));
        assert_eq!(found.version_description(), Some("first"));
        let data = found.launch_template_data().unwrap();
        assert_eq!(data.image_id(), Some(IMAGE));
        assert_eq!(
            data.iam_instance_profile()
                .and_then(|profile| profile.name()),
            Some("web-profile")
        );
        let tags = data.tag_specifications()[0].tags();
        assert_eq!(tags[0].key(), Some("Role"));
    }

    let (code, _) = error_of(
        fixture
            .ec2
            .create_launch_template()
            .launch_template_name("described")
            .launch_template_data(RequestLaunchTemplateData::builder().image_id(IMAGE).build())
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateName.AlreadyExistsException");
    let (code, _) = error_of(
        fixture
            .ec2
            .create_launch_template()
            .launch_template_name("no spaces allowed")
            .launch_template_data(RequestLaunchTemplateData::builder().image_id(IMAGE).build())
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateName.MalformedException");
    let (code, _) = error_of(
        fixture
            .ec2
            .create_launch_template()
            .launch_template_name("bad-image")
            .launch_template_data(
                RequestLaunchTemplateData::builder()
                    .image_id("image-1")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "InvalidAMIID.Malformed");
    let (code, _) = error_of(
        fixture
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions("9")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateId.VersionNotFound");
    let (code, _) = error_of(
        fixture
            .ec2
            .describe_launch_templates()
            .launch_template_ids("lt-0000000000000000f")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateId.NotFound");
    let (code, _) = error_of(
        fixture
            .ec2
            .describe_launch_templates()
            .launch_template_ids("template-1")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateId.Malformed");

    let deleted = fixture
        .ec2
        .delete_launch_template()
        .launch_template_name("described")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.launch_template().unwrap().launch_template_id(),
        Some(id.as_str())
    );
    let (code, _) = error_of(
        fixture
            .ec2
            .delete_launch_template()
            .launch_template_id(&id)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateId.NotFound");
    let (code, _) = error_of(
        fixture
            .ec2
            .describe_launch_templates()
            .launch_template_names("described")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidLaunchTemplateName.NotFoundException");
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn groups_survive_a_restart() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.json");
    let fixture = Fixture::start_with_state(Some(path.clone())).await;
    fixture
        .group("durable", 1, vec![launch_hook("hold", 300, "CONTINUE")])
        .await;
    fixture.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(fixture.states("durable").await, ["Pending:Wait"]);
    let before = fixture.cloud.snapshot();
    fixture.cloud.shutdown().await;

    let (cloud, _clock) = support::start_with_state(Some(path)).await;
    let after = cloud.snapshot();
    assert_eq!(after.autoscaling, before.autoscaling);
    assert_eq!(after.ec2.launch_templates, before.ec2.launch_templates);
    cloud.shutdown().await;
}

#[tokio::test]
async fn an_instance_terminated_through_ec2_is_replaced() {
    let fixture = Fixture::start().await;
    fixture.group("healed", 1, Vec::new()).await;
    fixture.advance(STATE_TRANSITION_MILLIS);
    let lost = fixture.instance_ids("healed").await.remove(0);
    fixture
        .ec2
        .terminate_instances()
        .instance_ids(&lost)
        .send()
        .await
        .unwrap();
    assert_eq!(fixture.states("healed").await, ["Pending", "Terminating"]);
    fixture.advance(10_000);
    let ids = fixture.instance_ids("healed").await;
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], lost);
    assert_eq!(fixture.states("healed").await, ["InService"]);
    let activities = fixture
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name("healed")
        .max_records(1)
        .send()
        .await
        .unwrap();
    assert_eq!(activities.activities().len(), 1);
    assert!(
        activities.next_token().is_some(),
        "three activities, one per page"
    );
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn scale_in_takes_instances_of_another_template_first_and_filters_find_groups() {
    let fixture = Fixture::start().await;
    fixture.template("blue").await;
    fixture.template("green").await;
    let use_template = |name: &'static str, desired: i32| {
        fixture
            .autoscaling
            .update_auto_scaling_group()
            .auto_scaling_group_name("mixed")
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name(name)
                    .build(),
            )
            .desired_capacity(desired)
            .send()
    };
    fixture
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name("mixed")
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name("blue")
                .build(),
        )
        .min_size(0)
        .max_size(3)
        .desired_capacity(1)
        .availability_zones("us-east-1a")
        .tags(
            Tag::builder()
                .key("Stage")
                .value("canary")
                .propagate_at_launch(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    fixture.advance(STATE_TRANSITION_MILLIS);
    let oldest = fixture.instance_ids("mixed").await.remove(0);
    use_template("green", 2).await.unwrap();
    fixture.advance(STATE_TRANSITION_MILLIS);
    let newer = fixture
        .instance_ids("mixed")
        .await
        .into_iter()
        .find(|id| *id != oldest)
        .unwrap();
    // Back to blue: the newer instance, launched from green, goes first
    // although the blue one is older.
    use_template("blue", 1).await.unwrap();
    fixture.advance(10_000);
    assert_eq!(fixture.instance_ids("mixed").await, [oldest]);
    assert_eq!(
        fixture.ec2_state(&newer).await,
        InstanceStateName::Terminated
    );

    let filtered = |name: &'static str, value: &'static str| {
        fixture
            .autoscaling
            .describe_auto_scaling_groups()
            .filters(
                aws_sdk_autoscaling::types::Filter::builder()
                    .name(name)
                    .values(value)
                    .build(),
            )
            .send()
    };
    let found = filtered("tag:Stage", "canary").await.unwrap();
    assert_eq!(found.auto_scaling_groups().len(), 1);
    assert!(
        filtered("tag-key", "Team")
            .await
            .unwrap()
            .auto_scaling_groups()
            .is_empty()
    );
    let (code, _) = error_of(filtered("instance-id", "i-1").await);
    assert_eq!(code, "ValidationError");
    fixture.cloud.shutdown().await;
}

#[tokio::test]
async fn faults_throttle_auto_scaling_by_name() {
    let fixture = Fixture::start().await;
    fixture.cloud.set_faults(
        deploydesk::localcloud::FaultSpec::parse(
            "autoscaling:DescribeAutoScalingGroups=throttle:1",
        )
        .expect("Auto Scaling is a service faults can name"),
    );
    let (code, _) = error_of(
        fixture
            .autoscaling
            .describe_auto_scaling_groups()
            .send()
            .await,
    );
    assert_eq!(code, "Throttling");
    fixture
        .autoscaling
        .describe_auto_scaling_instances()
        .send()
        .await
        .expect("other operations are not throttled");
    let unknown = deploydesk::localcloud::FaultSpec::parse("kinesis=throttle:1")
        .expect_err("kinesis is not a service of the local cloud")
        .to_string();
    assert!(unknown.contains("autoscaling"), "{unknown}");
    fixture.cloud.shutdown().await;
}
