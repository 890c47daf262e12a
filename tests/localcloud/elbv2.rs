//! Elastic Load Balancing v2 in the local cloud, driven by the official
//! SDK: load balancers, target groups and their attributes, listeners with
//! weighted forward actions, tags, every operation's errors, and target
//! health moving on the clock (initial → healthy, draining → gone).

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::config::Region;
use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, LoadBalancerTypeEnum, ProtocolEnum, Tag,
    TargetDescription, TargetGroupAttribute, TargetGroupTuple, TargetHealthStateEnum,
};
use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use deploydesk::localcloud::{FaultSpec, LocalCloud, LocalCloudOptions};

/// Subnets in two Availability Zones (the local cloud takes any subnet id).
const SUBNETS: [&str; 2] = ["subnet-0a1b2c3d", "subnet-1a2b3c4d"];
/// The VPC of the target groups.
const VPC: &str = "vpc-0a1b2c3d";

/// An Elastic Load Balancing v2 client for the local cloud, without retries.
async fn elbv2(cloud: &LocalCloud) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(cloud.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

/// The error code and message of a failed call.
fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let error = result.expect_err("the call fails");
    (
        error
            .code()
            .unwrap_or_else(|| panic!("the error has a code: {error:?}"))
            .to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

/// Creates an application load balancer named `name` and returns its ARN.
async fn create_balancer(client: &Client, name: &str) -> String {
    client
        .create_load_balancer()
        .name(name)
        .subnets(SUBNETS[0])
        .subnets(SUBNETS[1])
        .send()
        .await
        .expect("the load balancer is created")
        .load_balancers()[0]
        .load_balancer_arn()
        .expect("an ARN")
        .to_owned()
}

/// Creates an HTTP target group named `name` on port 80, checked every
/// 10 seconds and healthy after 3 passes, and returns its ARN.
async fn create_group(client: &Client, name: &str) -> String {
    client
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(VPC)
        .health_check_interval_seconds(10)
        .healthy_threshold_count(3)
        .send()
        .await
        .expect("the target group is created")
        .target_groups()[0]
        .target_group_arn()
        .expect("an ARN")
        .to_owned()
}

/// A forward action to the target groups `weights` names, with weights.
fn forward(weights: &[(&str, i32)]) -> Action {
    let config = weights
        .iter()
        .fold(ForwardActionConfig::builder(), |config, (arn, weight)| {
            config.target_groups(
                TargetGroupTuple::builder()
                    .target_group_arn(*arn)
                    .weight(*weight)
                    .build(),
            )
        })
        .build();
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(config)
        .build()
}

/// Creates an HTTP listener on `port` of `balancer` forwarding to `group`
/// and returns its ARN.
async fn create_listener(client: &Client, balancer: &str, port: i32, group: &str) -> String {
    client
        .create_listener()
        .load_balancer_arn(balancer)
        .protocol(ProtocolEnum::Http)
        .port(port)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(group)
                .build(),
        )
        .send()
        .await
        .expect("the listener is created")
        .listeners()[0]
        .listener_arn()
        .expect("an ARN")
        .to_owned()
}

/// Launches `count` instances and waits (on the clock) until they run.
async fn running_instances(
    cloud: &LocalCloud,
    clock: &deploydesk::localcloud::ManualClock,
    count: i32,
) -> Vec<String> {
    let ec2 = support::ec2(cloud, "us-east-1").await;
    let ids: Vec<String> = ec2
        .run_instances()
        .image_id("ami-0abcdef1234567890")
        .min_count(count)
        .max_count(count)
        .send()
        .await
        .expect("the instances are launched")
        .instances()
        .iter()
        .map(|instance| instance.instance_id().expect("an id").to_owned())
        .collect();
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    ids
}

/// A target with the instance id `id`.
fn target(id: &str) -> TargetDescription {
    TargetDescription::builder().id(id).build()
}

/// Each target's `(id, state, reason)` as `DescribeTargetHealth` gives it
/// for `group`, for the targets `named` (all registered ones if empty).
async fn health(client: &Client, group: &str, named: &[&str]) -> Vec<(String, String, String)> {
    let mut request = client.describe_target_health().target_group_arn(group);
    for id in named {
        request = request.targets(target(id));
    }
    let mut found: Vec<(String, String, String)> = request
        .send()
        .await
        .expect("the health is described")
        .target_health_descriptions()
        .iter()
        .map(|description| {
            let health = description.target_health().expect("a health");
            (
                description
                    .target()
                    .and_then(|target| target.id())
                    .unwrap_or_default()
                    .to_owned(),
                health
                    .state()
                    .map(|state| state.as_str().to_owned())
                    .unwrap_or_default(),
                health
                    .reason()
                    .map(|reason| reason.as_str().to_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}

/// `(id, state, reason)`, for comparing.
fn row(id: &str, state: &str, reason: &str) -> (String, String, String) {
    (id.to_owned(), state.to_owned(), reason.to_owned())
}

#[tokio::test]
async fn load_balancers_are_created_described_in_pages_tagged_and_deleted() {
    let (cloud, _clock) = support::start().await;
    let client = elbv2(&cloud).await;

    let created = client
        .create_load_balancer()
        .name("web")
        .subnets(SUBNETS[0])
        .subnets(SUBNETS[1])
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .expect("the load balancer is created");
    let balancer = &created.load_balancers()[0];
    let arn = balancer.load_balancer_arn().unwrap().to_owned();
    assert!(
        arn.starts_with(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/"
        ),
        "{arn}"
    );
    assert_eq!(balancer.load_balancer_name(), Some("web"));
    assert_eq!(balancer.r#type(), Some(&LoadBalancerTypeEnum::Application));
    assert_eq!(
        balancer
            .scheme()
            .map(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::as_str),
        Some("internal")
    );
    assert!(
        balancer.dns_name().unwrap().starts_with("internal-web-"),
        "{:?}",
        balancer.dns_name()
    );
    assert_eq!(balancer.availability_zones().len(), 2);
    assert_eq!(
        balancer
            .state()
            .and_then(|state| state.code())
            .map(aws_sdk_elasticloadbalancingv2::types::LoadBalancerStateEnum::as_str),
        Some("active")
    );
    let network = client
        .create_load_balancer()
        .name("tcp")
        .r#type(LoadBalancerTypeEnum::Network)
        .subnets(SUBNETS[0])
        .send()
        .await
        .expect("a network load balancer needs one subnet");
    assert!(
        network.load_balancers()[0]
            .load_balancer_arn()
            .unwrap()
            .contains(":loadbalancer/net/tcp/")
    );
    create_balancer(&client, "api").await;

    // Paged one at a time, by name.
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_load_balancers()
            .page_size(1)
            .set_marker(marker.take())
            .send()
            .await
            .expect("a page");
        assert_eq!(page.load_balancers().len(), 1);
        names.extend(
            page.load_balancers()
                .iter()
                .map(|balancer| balancer.load_balancer_name().unwrap().to_owned()),
        );
        match page.next_marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["api", "tcp", "web"]);
    let by_arn = client
        .describe_load_balancers()
        .load_balancer_arns(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.load_balancers().len(), 1);
    let by_name = client
        .describe_load_balancers()
        .names("web")
        .names("api")
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.load_balancers().len(), 2);

    // The same request again answers with the same load balancer.
    let again = client
        .create_load_balancer()
        .name("web")
        .subnets(SUBNETS[0])
        .subnets(SUBNETS[1])
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
        .send()
        .await
        .expect("the same request succeeds");
    assert_eq!(
        again.load_balancers()[0].load_balancer_arn(),
        Some(arn.as_str())
    );

    // Errors, each saying what to change; nothing is created by them.
    let (code, message) = error_of(
        client
            .create_load_balancer()
            .name("web")
            .subnets(SUBNETS[0])
            .subnets(SUBNETS[1])
            .send()
            .await,
    );
    assert_eq!(code, "DuplicateLoadBalancerName");
    assert!(message.contains("Choose another name"), "{message}");
    let (code, message) = error_of(
        client
            .create_load_balancer()
            .name("bad_name")
            .subnets(SUBNETS[0])
            .subnets(SUBNETS[1])
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("alphanumeric characters and hyphens"),
        "{message}"
    );
    let (code, _) = error_of(
        client
            .create_load_balancer()
            .name("a".repeat(33))
            .subnets(SUBNETS[0])
            .subnets(SUBNETS[1])
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, message) = error_of(
        client
            .create_load_balancer()
            .name("lonely")
            .subnets(SUBNETS[0])
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(message.contains("At least two subnets"), "{message}");
    let (code, _) = error_of(
        client
            .create_load_balancer()
            .name("nowhere")
            .subnets("not-a-subnet")
            .subnets(SUBNETS[1])
            .send()
            .await,
    );
    assert_eq!(code, "SubnetNotFound");
    let (code, _) = error_of(
        client
            .create_load_balancer()
            .name("tagged")
            .subnets(SUBNETS[0])
            .subnets(SUBNETS[1])
            .tags(Tag::builder().key("aws:reserved").value("x").build())
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(client.describe_load_balancers().names("ghost").send().await);
    assert_eq!(code, "LoadBalancerNotFound");
    let (code, _) = error_of(
        client
            .describe_load_balancers()
            .load_balancer_arns("not-an-arn")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(client.describe_load_balancers().page_size(401).send().await);
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(
        client
            .describe_load_balancers()
            .marker("bogus")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert_eq!(
        client
            .describe_load_balancers()
            .send()
            .await
            .unwrap()
            .load_balancers()
            .len(),
        3
    );

    // Tags.
    client
        .add_tags()
        .resource_arns(&arn)
        .tags(Tag::builder().key("env").value("prod").build())
        .tags(Tag::builder().key("team").value("platform").build())
        .send()
        .await
        .expect("tags are added");
    client
        .remove_tags()
        .resource_arns(&arn)
        .tag_keys("env")
        .send()
        .await
        .expect("tags are removed");
    let tags = client
        .describe_tags()
        .resource_arns(&arn)
        .send()
        .await
        .unwrap();
    let described = &tags.tag_descriptions()[0];
    assert_eq!(described.resource_arn(), Some(arn.as_str()));
    let pairs: Vec<(&str, &str)> = described
        .tags()
        .iter()
        .map(|tag| {
            (
                tag.key().unwrap_or_default(),
                tag.value().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(pairs, [("team", "platform")]);
    let (code, _) = error_of(
        client
            .add_tags()
            .resource_arns(arn.replace("/web/", "/ghost/"))
            .tags(Tag::builder().key("k").value("v").build())
            .send()
            .await,
    );
    assert_eq!(code, "LoadBalancerNotFound");
    let too_many = (0..50).fold(client.add_tags().resource_arns(&arn), |request, i| {
        request.tags(Tag::builder().key(format!("k{i}")).value("v").build())
    });
    let (code, _) = error_of(too_many.send().await);
    assert_eq!(code, "TooManyTags");

    // Deleting twice succeeds, as in AWS.
    client
        .delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .expect("deleted");
    client
        .delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .expect("deleting again succeeds");
    let (code, _) = error_of(
        client
            .describe_load_balancers()
            .load_balancer_arns(&arn)
            .send()
            .await,
    );
    assert_eq!(code, "LoadBalancerNotFound");
    cloud.shutdown().await;
}

#[tokio::test]
async fn target_groups_have_aws_defaults_are_modified_and_refused_while_in_use() {
    let (cloud, _clock) = support::start().await;
    let client = elbv2(&cloud).await;

    let created = client
        .create_target_group()
        .name("blue")
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(VPC)
        .send()
        .await
        .expect("the target group is created");
    let group = &created.target_groups()[0];
    let blue = group.target_group_arn().unwrap().to_owned();
    assert!(
        blue.starts_with("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/blue/"),
        "{blue}"
    );
    assert_eq!(group.port(), Some(8080));
    assert_eq!(group.health_check_path(), Some("/"));
    assert_eq!(group.health_check_port(), Some("traffic-port"));
    assert_eq!(group.health_check_interval_seconds(), Some(30));
    assert_eq!(group.health_check_timeout_seconds(), Some(5));
    assert_eq!(group.healthy_threshold_count(), Some(5));
    assert_eq!(group.unhealthy_threshold_count(), Some(2));
    assert_eq!(
        group.matcher().and_then(|matcher| matcher.http_code()),
        Some("200")
    );
    assert_eq!(
        group
            .target_type()
            .map(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::as_str),
        Some("instance")
    );
    assert!(group.load_balancer_arns().is_empty());
    // The same request again returns the same group, as in AWS.
    let again = client
        .create_target_group()
        .name("blue")
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(VPC)
        .send()
        .await
        .expect("the same request succeeds");
    assert_eq!(
        again.target_groups()[0].target_group_arn(),
        Some(blue.as_str())
    );
    let (code, _) = error_of(
        client
            .create_target_group()
            .name("blue")
            .protocol(ProtocolEnum::Http)
            .port(9090)
            .vpc_id(VPC)
            .send()
            .await,
    );
    assert_eq!(code, "DuplicateTargetGroupName");
    let green = create_group(&client, "green").await;

    // Invalid settings are refused with what to change.
    let (code, message) = error_of(
        client
            .create_target_group()
            .name("slow")
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id(VPC)
            .health_check_interval_seconds(10)
            .health_check_timeout_seconds(10)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("must be smaller than the interval"),
        "{message}"
    );
    for (interval, threshold) in [(4, 3), (10, 11)] {
        let (code, _) = error_of(
            client
                .create_target_group()
                .name("odd")
                .protocol(ProtocolEnum::Http)
                .port(80)
                .vpc_id(VPC)
                .health_check_interval_seconds(interval)
                .healthy_threshold_count(threshold)
                .send()
                .await,
        );
        assert_eq!(code, "ValidationError");
    }
    let (code, _) = error_of(
        client
            .create_target_group()
            .name("noport")
            .protocol(ProtocolEnum::Http)
            .vpc_id(VPC)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(
        client
            .create_target_group()
            .name("-edge")
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id(VPC)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // Modified health check.
    let modified = client
        .modify_target_group()
        .target_group_arn(&blue)
        .health_check_path("/health")
        .health_check_interval_seconds(15)
        .healthy_threshold_count(2)
        .send()
        .await
        .expect("modified");
    let group = &modified.target_groups()[0];
    assert_eq!(group.health_check_path(), Some("/health"));
    assert_eq!(group.health_check_interval_seconds(), Some(15));
    assert_eq!(group.healthy_threshold_count(), Some(2));
    let (code, _) = error_of(
        client
            .modify_target_group()
            .target_group_arn(&blue)
            .health_check_timeout_seconds(20)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // Attributes.
    let attributes = client
        .describe_target_group_attributes()
        .target_group_arn(&blue)
        .send()
        .await
        .unwrap();
    let delay = |attributes: &[TargetGroupAttribute]| {
        attributes
            .iter()
            .find(|attribute| attribute.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|attribute| attribute.value())
            .map(str::to_owned)
    };
    assert_eq!(delay(attributes.attributes()).as_deref(), Some("300"));
    let changed = client
        .modify_target_group_attributes()
        .target_group_arn(&blue)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("45")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(delay(changed.attributes()).as_deref(), Some("45"));
    for (key, value) in [
        ("deregistration_delay.timeout_seconds", "3601"),
        ("no.such.attribute", "1"),
        ("stickiness.enabled", "maybe"),
    ] {
        let (code, _) = error_of(
            client
                .modify_target_group_attributes()
                .target_group_arn(&blue)
                .attributes(
                    TargetGroupAttribute::builder()
                        .key(key)
                        .value(value)
                        .build(),
                )
                .send()
                .await,
        );
        assert_eq!(code, "ValidationError", "{key}={value}");
    }

    // Described by names, ARNs, load balancer, and in pages.
    let balancer = create_balancer(&client, "front").await;
    create_listener(&client, &balancer, 80, &blue).await;
    let of_balancer = client
        .describe_target_groups()
        .load_balancer_arn(&balancer)
        .send()
        .await
        .unwrap();
    assert_eq!(of_balancer.target_groups().len(), 1);
    assert_eq!(
        of_balancer.target_groups()[0].load_balancer_arns(),
        std::slice::from_ref(&balancer)
    );
    let by_name = client
        .describe_target_groups()
        .names("green")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_name.target_groups()[0].target_group_arn(),
        Some(green.as_str())
    );
    let first = client
        .describe_target_groups()
        .page_size(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.target_groups()[0].target_group_name(), Some("blue"));
    let second = client
        .describe_target_groups()
        .page_size(1)
        .marker(first.next_marker().expect("a second page"))
        .send()
        .await
        .unwrap();
    assert_eq!(second.target_groups()[0].target_group_name(), Some("green"));
    assert!(second.next_marker().is_none());
    let (code, _) = error_of(client.describe_target_groups().names("ghost").send().await);
    assert_eq!(code, "TargetGroupNotFound");
    let (code, _) = error_of(
        client
            .describe_target_groups()
            .target_group_arns(green.replace("/green/", "/ghost/"))
            .send()
            .await,
    );
    assert_eq!(code, "TargetGroupNotFound");

    // A group a listener forwards to cannot be deleted.
    let (code, message) = error_of(
        client
            .delete_target_group()
            .target_group_arn(&blue)
            .send()
            .await,
    );
    assert_eq!(code, "ResourceInUse");
    assert!(message.contains("in use by a listener"), "{message}");
    client
        .delete_target_group()
        .target_group_arn(&green)
        .send()
        .await
        .expect("an unused group is deleted");
    client
        .delete_load_balancer()
        .load_balancer_arn(&balancer)
        .send()
        .await
        .unwrap();
    client
        .delete_target_group()
        .target_group_arn(&blue)
        .send()
        .await
        .expect("deleted once its load balancer (and listener) is gone");
    assert!(
        client
            .describe_target_groups()
            .send()
            .await
            .unwrap()
            .target_groups()
            .is_empty()
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn listeners_forward_to_weighted_target_groups_and_are_modified_and_deleted() {
    let (cloud, _clock) = support::start().await;
    let client = elbv2(&cloud).await;
    let balancer = create_balancer(&client, "front").await;
    let blue = create_group(&client, "blue").await;
    let green = create_group(&client, "green").await;

    let listener = create_listener(&client, &balancer, 80, &blue).await;
    assert!(listener.contains(":listener/app/front/"), "{listener}");
    let described = client
        .describe_listeners()
        .load_balancer_arn(&balancer)
        .send()
        .await
        .unwrap();
    let shown = &described.listeners()[0];
    assert_eq!(shown.port(), Some(80));
    assert_eq!(shown.protocol(), Some(&ProtocolEnum::Http));
    let action = &shown.default_actions()[0];
    assert_eq!(action.r#type(), Some(&ActionTypeEnum::Forward));
    assert_eq!(action.target_group_arn(), Some(blue.as_str()));
    let weights = |action: &Action| -> Vec<(String, i32)> {
        action
            .forward_config()
            .map(|config| {
                config
                    .target_groups()
                    .iter()
                    .map(|tuple| {
                        (
                            tuple.target_group_arn().unwrap_or_default().to_owned(),
                            tuple.weight().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(weights(action), [(blue.clone(), 1)]);

    // A blue/green shift: both groups, then all on green.
    let shifted = client
        .modify_listener()
        .listener_arn(&listener)
        .default_actions(forward(&[(&blue, 90), (&green, 10)]))
        .send()
        .await
        .expect("the weights change");
    assert_eq!(
        weights(&shifted.listeners()[0].default_actions()[0]),
        [(blue.clone(), 90), (green.clone(), 10)]
    );
    let both = client
        .describe_target_groups()
        .load_balancer_arn(&balancer)
        .send()
        .await
        .unwrap();
    assert_eq!(both.target_groups().len(), 2);
    client
        .modify_listener()
        .listener_arn(&listener)
        .default_actions(forward(&[(&blue, 0), (&green, 100)]))
        .send()
        .await
        .unwrap();
    let by_arn = client
        .describe_listeners()
        .listener_arns(&listener)
        .send()
        .await
        .unwrap();
    let action = &by_arn.listeners()[0].default_actions()[0];
    assert_eq!(weights(action), [(blue.clone(), 0), (green.clone(), 100)]);
    assert_eq!(action.target_group_arn(), None);

    // Errors.
    let (code, message) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(forward(&[(&green, 1)]))
            .send()
            .await,
    );
    assert_eq!(code, "DuplicateListener");
    assert!(message.contains("port 80"), "{message}");
    let tcp = client
        .create_target_group()
        .name("tcp")
        .protocol(ProtocolEnum::Tcp)
        .port(22)
        .vpc_id(VPC)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let (code, _) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .default_actions(forward(&[(&tcp, 1)]))
            .send()
            .await,
    );
    assert_eq!(code, "IncompatibleProtocols");
    let (code, _) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Tcp)
            .port(8080)
            .default_actions(forward(&[(&blue, 1)]))
            .send()
            .await,
    );
    assert_eq!(code, "UnsupportedProtocol");
    let (code, _) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .default_actions(forward(&[(&blue.replace("/blue/", "/ghost/"), 1)]))
            .send()
            .await,
    );
    assert_eq!(code, "TargetGroupNotFound");
    let (code, _) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .default_actions(forward(&[(&blue, 1000)]))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(0)
            .default_actions(forward(&[(&blue, 1)]))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    // A target group serves one load balancer.
    let other = create_balancer(&client, "other").await;
    let (code, _) = error_of(
        client
            .create_listener()
            .load_balancer_arn(&other)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(forward(&[(&green, 1)]))
            .send()
            .await,
    );
    assert_eq!(code, "TargetGroupAssociationLimit");
    let (code, _) = error_of(client.describe_listeners().send().await);
    assert_eq!(code, "ValidationError");
    // Another id under the same load balancer.
    let (head, id) = listener.rsplit_once('/').expect("an id");
    let other_id = if id == "0123456789abcdef" {
        "fedcba9876543210"
    } else {
        "0123456789abcdef"
    };
    let ghost = format!("{head}/{other_id}");
    let (code, _) = error_of(
        client
            .describe_listeners()
            .listener_arns(&ghost)
            .send()
            .await,
    );
    assert_eq!(code, "ListenerNotFound");
    let (code, _) = error_of(client.delete_listener().listener_arn(&ghost).send().await);
    assert_eq!(code, "ListenerNotFound");
    assert_eq!(
        client
            .describe_listeners()
            .load_balancer_arn(&balancer)
            .send()
            .await
            .unwrap()
            .listeners()
            .len(),
        1,
        "failed requests created nothing"
    );

    client
        .delete_listener()
        .listener_arn(&listener)
        .send()
        .await
        .expect("deleted");
    assert!(
        client
            .describe_listeners()
            .load_balancer_arn(&balancer)
            .send()
            .await
            .unwrap()
            .listeners()
            .is_empty()
    );
    client
        .delete_target_group()
        .target_group_arn(&green)
        .send()
        .await
        .expect("no longer in use");
    cloud.shutdown().await;
}

#[tokio::test]
async fn target_health_moves_on_the_clock_from_initial_to_healthy_and_from_draining_to_gone() {
    let (cloud, clock) = support::start().await;
    let client = elbv2(&cloud).await;
    let ids = running_instances(&cloud, &clock, 3).await;
    let (first, second, third) = (&ids[0], &ids[1], &ids[2]);
    let group = create_group(&client, "web").await;
    client
        .modify_target_group_attributes()
        .target_group_arn(&group)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("30")
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Registered in a group no listener uses: unused, not in use.
    client
        .register_targets()
        .target_group_arn(&group)
        .targets(target(first))
        .targets(target(second))
        .send()
        .await
        .expect("registered");
    assert_eq!(health(&client, &group, &[]).await, {
        let mut rows = vec![
            row(first, "unused", "Target.NotInUse"),
            row(second, "unused", "Target.NotInUse"),
        ];
        rows.sort();
        rows
    });

    // Behind a listener: initial until 3 checks 10 s apart have passed.
    let balancer = create_balancer(&client, "front").await;
    create_listener(&client, &balancer, 80, &group).await;
    assert_eq!(
        health(&client, &group, &[first]).await,
        [row(first, "initial", "Elb.RegistrationInProgress")]
    );
    clock.advance_millis(29_999);
    assert_eq!(
        health(&client, &group, &[first]).await,
        [row(first, "initial", "Elb.RegistrationInProgress")]
    );
    clock.advance_millis(1);
    let mut healthy = vec![row(first, "healthy", ""), row(second, "healthy", "")];
    healthy.sort();
    assert_eq!(health(&client, &group, &[]).await, healthy);
    let description = client
        .describe_target_health()
        .target_group_arn(&group)
        .targets(target(first))
        .send()
        .await
        .unwrap();
    let shown = &description.target_health_descriptions()[0];
    assert_eq!(shown.health_check_port(), Some("80"));
    assert_eq!(shown.target().and_then(TargetDescription::port), Some(80));
    assert_eq!(
        shown.target_health().and_then(|health| health.state()),
        Some(&TargetHealthStateEnum::Healthy)
    );

    // A stopped instance is unused for its state.
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    ec2.stop_instances()
        .instance_ids(second)
        .send()
        .await
        .unwrap();
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    assert_eq!(
        health(&client, &group, &[second]).await,
        [row(second, "unused", "Target.InvalidState")]
    );

    // Deregistered: draining for the delay, then gone.
    client
        .deregister_targets()
        .target_group_arn(&group)
        .targets(target(first))
        .send()
        .await
        .expect("deregistered");
    assert_eq!(
        health(&client, &group, &[first]).await,
        [row(first, "draining", "Target.DeregistrationInProgress")]
    );
    clock.advance_millis(29_999);
    assert_eq!(
        health(&client, &group, &[first]).await,
        [row(first, "draining", "Target.DeregistrationInProgress")]
    );
    clock.advance_millis(1);
    assert_eq!(
        health(&client, &group, &[first]).await,
        [row(first, "unused", "Target.NotRegistered")]
    );
    assert_eq!(
        health(&client, &group, &[]).await,
        [row(second, "unused", "Target.InvalidState")]
    );

    // Errors: unknown and terminated instances, targets not registered;
    // a failed registration registers none of its targets.
    let (code, message) = error_of(
        client
            .register_targets()
            .target_group_arn(&group)
            .targets(target(third))
            .targets(target("i-0123456789abcdef0"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidTarget");
    assert!(message.contains("i-0123456789abcdef0"), "{message}");
    assert_eq!(
        health(&client, &group, &[third]).await,
        [row(third, "unused", "Target.NotRegistered")]
    );
    ec2.terminate_instances()
        .instance_ids(third)
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(
        client
            .register_targets()
            .target_group_arn(&group)
            .targets(target(third))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidTarget");
    let (code, _) = error_of(
        client
            .deregister_targets()
            .target_group_arn(&group)
            .targets(target(first))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidTarget");
    let (code, _) = error_of(
        client
            .register_targets()
            .target_group_arn(group.replace("/web/", "/ghost/"))
            .targets(target(first))
            .send()
            .await,
    );
    assert_eq!(code, "TargetGroupNotFound");
    let (code, _) = error_of(
        client
            .register_targets()
            .target_group_arn(&group)
            .targets(TargetDescription::builder().id(first).port(70_000).build())
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // Registered again, it starts over in initial.
    client
        .register_targets()
        .target_group_arn(&group)
        .targets(target(first))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health(&client, &group, &[first]).await,
        [row(first, "initial", "Elb.RegistrationInProgress")]
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn load_balancers_target_groups_and_listeners_survive_a_restart() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.json");
    let (cloud, clock) = support::start_with_state(Some(path.clone())).await;
    let client = elbv2(&cloud).await;
    let ids = running_instances(&cloud, &clock, 1).await;
    let balancer = create_balancer(&client, "kept").await;
    let group = create_group(&client, "kept").await;
    create_listener(&client, &balancer, 80, &group).await;
    client
        .register_targets()
        .target_group_arn(&group)
        .targets(target(&ids[0]))
        .send()
        .await
        .unwrap();
    cloud.shutdown().await;

    let (cloud, _clock) = support::start_with_state(Some(path)).await;
    let client = elbv2(&cloud).await;
    let groups = client
        .describe_target_groups()
        .load_balancer_arn(&balancer)
        .send()
        .await
        .expect("the load balancer is still there");
    assert_eq!(
        groups.target_groups()[0].target_group_arn(),
        Some(group.as_str())
    );
    assert_eq!(
        health(&client, &group, &[]).await,
        [row(&ids[0], "initial", "Elb.RegistrationInProgress")]
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn unsigned_requests_reach_elbv2_by_version_and_errors_are_aws_query_documents() {
    let (cloud, _clock) = support::start().await;
    let form = "Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=ghost";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    let (status, text) = support::exchange(cloud.local_addr(), request.as_bytes()).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("<ErrorResponse><Error><Type>Sender</Type><Code>TargetGroupNotFound</Code>"),
        "{text}"
    );
    let form = "Action=DescribeLoadBalancers&Version=2015-12-01";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    let (status, text) = support::exchange(cloud.local_addr(), request.as_bytes()).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(
            "<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
        ),
        "{text}"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_denied_action_names_the_elasticloadbalancing_iam_action() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        port: 0,
        faults: FaultSpec::parse("elbv2:CreateTargetGroup=deny;elb:DescribeLoadBalancers=deny")
            .expect("a fault spec"),
        ..LocalCloudOptions::default()
    })
    .await
    .expect("the local cloud starts");
    let client = elbv2(&cloud).await;
    let (code, message) = error_of(
        client
            .create_target_group()
            .name("web")
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id(VPC)
            .send()
            .await,
    );
    assert_eq!(code, "AccessDenied");
    assert!(
        message.contains("elasticloadbalancing:CreateTargetGroup"),
        "{message}"
    );
    // The other API's operation of the same name is not denied.
    create_balancer(&client, "open").await;
    cloud.shutdown().await;
}
