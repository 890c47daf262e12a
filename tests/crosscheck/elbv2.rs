//! Elastic Load Balancing v2, checked against both backends: load
//! balancers and target groups created, described in pages and tagged;
//! listeners forwarding to weighted target groups; targets registered,
//! their health described and deregistered; and the errors.
//!
//! moto's state is shared by every test, so each test names what it
//! creates with [`crate::Clients::unique`]. moto's EC2 knows its own
//! subnets and VPC (its default VPC), which it checks; the local cloud has
//! no subnets of its own and takes any subnet id, so the tests use moto's
//! ids on moto and made-up ones locally.

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, ProtocolEnum, Tag, TargetDescription,
    TargetGroupAttribute, TargetGroupTuple,
};

use crate::crosscheck;

/// The image instances are launched from (moto knows this id).
const IMAGE: &str = "ami-12c6146b";

/// The error code of a failed call.
fn code_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    let error = result.expect_err("the call fails");
    error
        .code()
        .unwrap_or_else(|| panic!("the error has a code: {error:?}"))
        .to_owned()
}

/// Two subnets and the VPC to use on this backend.
async fn network(clients: &crate::Clients) -> (Vec<String>, String) {
    if !clients.is_moto() {
        return (
            vec!["subnet-0a1b2c3d".to_owned(), "subnet-1a2b3c4d".to_owned()],
            "vpc-0a1b2c3d".to_owned(),
        );
    }
    let subnets = clients
        .ec2
        .describe_subnets()
        .send()
        .await
        .expect("moto lists its default subnets");
    let mut chosen: Vec<(String, String)> = Vec::new();
    for subnet in subnets.subnets() {
        let zone = subnet.availability_zone().unwrap_or_default().to_owned();
        if chosen.iter().all(|(_, known)| *known != zone) {
            chosen.push((subnet.subnet_id().unwrap_or_default().to_owned(), zone));
        }
    }
    let vpc = subnets.subnets()[0].vpc_id().unwrap_or_default().to_owned();
    (chosen.into_iter().take(2).map(|(id, _)| id).collect(), vpc)
}

/// Creates an application load balancer named `name` and returns its ARN.
async fn create_balancer(client: &Client, name: &str, subnets: &[String]) -> String {
    client
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .expect("the load balancer is created")
        .load_balancers()[0]
        .load_balancer_arn()
        .expect("an ARN")
        .to_owned()
}

/// Creates an HTTP target group named `name` on port 80 and returns its
/// ARN.
async fn create_group(client: &Client, name: &str, vpc: &str) -> String {
    client
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .send()
        .await
        .expect("the target group is created")
        .target_groups()[0]
        .target_group_arn()
        .expect("an ARN")
        .to_owned()
}

/// A forward action to one target group.
fn forward_to(group: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(group)
        .build()
}

/// A forward action to the target groups of `weights`, with weights.
fn weighted(weights: &[(&str, i32)]) -> Action {
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

crosscheck!(
    load_balancers_and_target_groups_are_created_described_in_pages_and_tagged,
    |clients: crate::Clients| async move {
        let client = &clients.elbv2;
        let (subnets, vpc) = network(&clients).await;
        let first = clients.unique("lb");
        let second = clients.unique("lb");
        let first_arn = create_balancer(client, &first, &subnets).await;
        create_balancer(client, &second, &subnets).await;

        let page = client
            .describe_load_balancers()
            .names(&first)
            .names(&second)
            .page_size(1)
            .send()
            .await
            .expect("the first page");
        assert_eq!(page.load_balancers().len(), 1);
        let next = client
            .describe_load_balancers()
            .names(&first)
            .names(&second)
            .page_size(1)
            .marker(page.next_marker().expect("a second page"))
            .send()
            .await
            .expect("the second page");
        assert_eq!(next.load_balancers().len(), 1);
        assert!(next.next_marker().is_none());
        let mut names = vec![
            page.load_balancers()[0]
                .load_balancer_name()
                .unwrap()
                .to_owned(),
            next.load_balancers()[0]
                .load_balancer_name()
                .unwrap()
                .to_owned(),
        ];
        names.sort();
        let mut expected = vec![first.clone(), second.clone()];
        expected.sort();
        assert_eq!(names, expected);
        let balancer = &page.load_balancers()[0];
        assert_eq!(balancer.availability_zones().len(), 2);
        assert!(
            balancer
                .dns_name()
                .is_some_and(|name| name.contains(".elb."))
        );

        let group_name = clients.unique("tg");
        let created = client
            .create_target_group()
            .name(&group_name)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .vpc_id(&vpc)
            .send()
            .await
            .expect("the target group is created");
        let group = &created.target_groups()[0];
        let group_arn = group.target_group_arn().unwrap().to_owned();
        assert!(
            group_arn.contains(&format!(":targetgroup/{group_name}/")),
            "{group_arn}"
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
        let described = client
            .describe_target_groups()
            .names(&group_name)
            .send()
            .await
            .unwrap();
        assert_eq!(
            described.target_groups()[0].target_group_arn(),
            Some(group_arn.as_str())
        );
        let modified = client
            .modify_target_group()
            .target_group_arn(&group_arn)
            .health_check_path("/health")
            .healthy_threshold_count(3)
            .send()
            .await
            .expect("the health check changes");
        assert_eq!(
            modified.target_groups()[0].health_check_path(),
            Some("/health")
        );
        assert_eq!(
            modified.target_groups()[0].healthy_threshold_count(),
            Some(3)
        );

        // Attributes: the deregistration delay.
        let delay = |attributes: &[TargetGroupAttribute]| {
            attributes
                .iter()
                .find(|attribute| attribute.key() == Some("deregistration_delay.timeout_seconds"))
                .and_then(|attribute| attribute.value())
                .map(str::to_owned)
        };
        let attributes = client
            .describe_target_group_attributes()
            .target_group_arn(&group_arn)
            .send()
            .await
            .unwrap();
        assert_eq!(delay(attributes.attributes()).as_deref(), Some("300"));
        let changed = client
            .modify_target_group_attributes()
            .target_group_arn(&group_arn)
            .attributes(
                TargetGroupAttribute::builder()
                    .key("deregistration_delay.timeout_seconds")
                    .value("30")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(delay(changed.attributes()).as_deref(), Some("30"));
        if !clients.moto_differs("moto accepts target group attributes it does not know") {
            let code = code_of(
                client
                    .modify_target_group_attributes()
                    .target_group_arn(&group_arn)
                    .attributes(
                        TargetGroupAttribute::builder()
                            .key("no.such.attribute")
                            .value("1")
                            .build(),
                    )
                    .send()
                    .await,
            );
            assert_eq!(code, "ValidationError");
        }

        // Tags on both kinds of resource.
        for arn in [&first_arn, &group_arn] {
            client
                .add_tags()
                .resource_arns(arn)
                .tags(Tag::builder().key("team").value("web").build())
                .tags(Tag::builder().key("env").value("prod").build())
                .send()
                .await
                .expect("tags are added");
            client
                .remove_tags()
                .resource_arns(arn)
                .tag_keys("env")
                .send()
                .await
                .expect("tags are removed");
        }
        let tags = client
            .describe_tags()
            .resource_arns(&first_arn)
            .resource_arns(&group_arn)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tag_descriptions().len(), 2);
        for description in tags.tag_descriptions() {
            let pairs: Vec<(&str, &str)> = description
                .tags()
                .iter()
                .map(|tag| {
                    (
                        tag.key().unwrap_or_default(),
                        tag.value().unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(pairs, [("team", "web")]);
        }

        // Errors.
        assert_eq!(
            code_of(
                client
                    .describe_load_balancers()
                    .names(clients.unique("ghost"))
                    .send()
                    .await
            ),
            "LoadBalancerNotFound"
        );
        assert_eq!(
            code_of(
                client
                    .describe_target_groups()
                    .names(clients.unique("ghost"))
                    .send()
                    .await
            ),
            "TargetGroupNotFound"
        );
        assert_eq!(
            code_of(
                client
                    .create_target_group()
                    .name(&group_name)
                    .protocol(ProtocolEnum::Http)
                    .port(9090)
                    .vpc_id(&vpc)
                    .send()
                    .await
            ),
            "DuplicateTargetGroupName"
        );
        assert_eq!(
            code_of(
                client
                    .create_target_group()
                    .name(clients.unique("slow"))
                    .protocol(ProtocolEnum::Http)
                    .port(80)
                    .vpc_id(&vpc)
                    .health_check_interval_seconds(10)
                    .health_check_timeout_seconds(10)
                    .send()
                    .await
            ),
            "ValidationError"
        );
        if !clients.moto_differs("moto takes load balancer names with characters AWS refuses") {
            assert_eq!(
                code_of(
                    client
                        .create_load_balancer()
                        .name("not_valid")
                        .set_subnets(Some(subnets.clone()))
                        .send()
                        .await
                ),
                "ValidationError"
            );
        }
        if !clients.moto_differs(
            "moto creates an application load balancer in one subnet; AWS asks for two Availability Zones",
        ) {
            assert_eq!(
                code_of(
                    client
                        .create_load_balancer()
                        .name(clients.unique("lonely"))
                        .subnets(&subnets[0])
                        .send()
                        .await
                ),
                "ValidationError"
            );
        }

        client
            .delete_target_group()
            .target_group_arn(&group_arn)
            .send()
            .await
            .expect("an unused target group is deleted");
        client
            .delete_load_balancer()
            .load_balancer_arn(&first_arn)
            .send()
            .await
            .expect("deleted");
        client
            .delete_load_balancer()
            .load_balancer_arn(&first_arn)
            .send()
            .await
            .expect("deleting a deleted load balancer succeeds");
        assert_eq!(
            code_of(
                client
                    .describe_load_balancers()
                    .load_balancer_arns(&first_arn)
                    .send()
                    .await
            ),
            "LoadBalancerNotFound"
        );
        clients.finish().await;
    }
);

crosscheck!(
    listeners_forward_to_weighted_target_groups,
    |clients: crate::Clients| async move {
        let client = &clients.elbv2;
        let (subnets, vpc) = network(&clients).await;
        let balancer = create_balancer(client, &clients.unique("lb"), &subnets).await;
        let blue = create_group(client, &clients.unique("blue"), &vpc).await;
        let green = create_group(client, &clients.unique("green"), &vpc).await;

        let created = client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(forward_to(&blue))
            .send()
            .await
            .expect("the listener is created");
        let listener = created.listeners()[0].listener_arn().unwrap().to_owned();
        assert_eq!(created.listeners()[0].port(), Some(80));
        let action = &created.listeners()[0].default_actions()[0];
        assert_eq!(action.r#type(), Some(&ActionTypeEnum::Forward));
        assert_eq!(action.target_group_arn(), Some(blue.as_str()));
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

        // Traffic shifted by weights, as a blue/green deployment does.
        client
            .modify_listener()
            .listener_arn(&listener)
            .default_actions(weighted(&[(&blue, 80), (&green, 20)]))
            .send()
            .await
            .expect("the weights change");
        let described = client
            .describe_listeners()
            .load_balancer_arn(&balancer)
            .send()
            .await
            .unwrap();
        assert_eq!(described.listeners().len(), 1);
        let tuples: Vec<(String, i32)> = described.listeners()[0].default_actions()[0]
            .forward_config()
            .expect("a forward config")
            .target_groups()
            .iter()
            .map(|tuple| {
                (
                    tuple.target_group_arn().unwrap_or_default().to_owned(),
                    tuple.weight().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(tuples, [(blue.clone(), 80), (green.clone(), 20)]);
        if !clients.moto_differs(
            "moto lists only the target group named by TargetGroupArn, not those of a ForwardConfig",
        ) {
            let both = client
                .describe_target_groups()
                .load_balancer_arn(&balancer)
                .send()
                .await
                .unwrap();
            assert_eq!(both.target_groups().len(), 2);
        }

        // Errors.
        if !clients.moto_differs("moto creates a second listener on a port already taken") {
            assert_eq!(
                code_of(
                    client
                        .create_listener()
                        .load_balancer_arn(&balancer)
                        .protocol(ProtocolEnum::Http)
                        .port(80)
                        .default_actions(forward_to(&green))
                        .send()
                        .await
                ),
                "DuplicateListener"
            );
        }
        assert_eq!(
            code_of(
                client
                    .delete_target_group()
                    .target_group_arn(&blue)
                    .send()
                    .await
            ),
            "ResourceInUse"
        );
        assert_eq!(
            code_of(client.describe_listeners().send().await),
            "ValidationError"
        );

        client
            .delete_listener()
            .listener_arn(&listener)
            .send()
            .await
            .expect("the listener is deleted");
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
        assert_eq!(
            code_of(
                client
                    .delete_listener()
                    .listener_arn(&listener)
                    .send()
                    .await
            ),
            "ListenerNotFound"
        );
        client
            .delete_target_group()
            .target_group_arn(&blue)
            .send()
            .await
            .expect("no longer in use");
        clients.finish().await;
    }
);

crosscheck!(
    targets_are_registered_described_and_deregistered,
    |clients: crate::Clients| async move {
        let client = &clients.elbv2;
        let (subnets, vpc) = network(&clients).await;
        let balancer = create_balancer(client, &clients.unique("lb"), &subnets).await;
        let group = create_group(client, &clients.unique("tg"), &vpc).await;
        client
            .create_listener()
            .load_balancer_arn(&balancer)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(forward_to(&group))
            .send()
            .await
            .unwrap();
        let instance = clients
            .ec2
            .run_instances()
            .image_id(IMAGE)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .expect("an instance is launched")
            .instances()[0]
            .instance_id()
            .unwrap()
            .to_owned();
        let target = TargetDescription::builder().id(&instance).build();

        client
            .register_targets()
            .target_group_arn(&group)
            .targets(target.clone())
            .send()
            .await
            .expect("registered");
        let described = client
            .describe_target_health()
            .target_group_arn(&group)
            .send()
            .await
            .unwrap();
        let descriptions = described.target_health_descriptions();
        assert_eq!(descriptions.len(), 1);
        let shown = &descriptions[0];
        assert_eq!(shown.target().and_then(|t| t.id()), Some(instance.as_str()));
        assert_eq!(shown.target().and_then(TargetDescription::port), Some(80));
        let state = shown
            .target_health()
            .and_then(|health| health.state())
            .map(|state| state.as_str().to_owned())
            .unwrap_or_default();
        if !clients.moto_differs(
            "moto reports a new target healthy at once; AWS keeps it initial until its health checks pass",
        ) {
            assert_eq!(state, "initial");
            assert_eq!(
                shown
                    .target_health()
                    .and_then(|health| health.reason())
                    .map(aws_sdk_elasticloadbalancingv2::types::TargetHealthReasonEnum::as_str),
                Some("Elb.RegistrationInProgress")
            );
            assert_eq!(shown.health_check_port(), Some("80"));
        }

        client
            .deregister_targets()
            .target_group_arn(&group)
            .targets(target.clone())
            .send()
            .await
            .expect("deregistered");
        let after = client
            .describe_target_health()
            .target_group_arn(&group)
            .targets(target.clone())
            .send()
            .await
            .unwrap();
        let health = after.target_health_descriptions()[0]
            .target_health()
            .expect("a health");
        if !clients.moto_differs(
            "moto forgets a deregistered target at once; AWS drains it for the deregistration delay",
        ) {
            assert_eq!(health.state().map(aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum::as_str), Some("draining"));
            assert_eq!(
                health.reason().map(aws_sdk_elasticloadbalancingv2::types::TargetHealthReasonEnum::as_str),
                Some("Target.DeregistrationInProgress")
            );
        }
        // Deregistering it again is refused on both.
        assert_eq!(
            code_of(
                client
                    .deregister_targets()
                    .target_group_arn(&group)
                    .targets(target)
                    .send()
                    .await
            ),
            "InvalidTarget"
        );
        if !clients.moto_differs("moto registers instance ids that do not exist") {
            assert_eq!(
                code_of(
                    client
                        .register_targets()
                        .target_group_arn(&group)
                        .targets(
                            TargetDescription::builder()
                                .id("i-0123456789abcdef0")
                                .build()
                        )
                        .send()
                        .await
                ),
                "InvalidTarget"
            );
        }
        let unregistered = client
            .describe_target_health()
            .target_group_arn(&group)
            .targets(
                TargetDescription::builder()
                    .id(&instance)
                    .port(8081)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let health = unregistered.target_health_descriptions()[0]
            .target_health()
            .expect("a health");
        assert_eq!(
            health
                .state()
                .map(aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum::as_str),
            Some("unused")
        );
        assert_eq!(
            health
                .reason()
                .map(aws_sdk_elasticloadbalancingv2::types::TargetHealthReasonEnum::as_str),
            Some("Target.NotRegistered")
        );
        clients.finish().await;
    }
);
