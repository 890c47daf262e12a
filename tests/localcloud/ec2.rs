//! The local cloud's EC2 driven by the official SDK: instances described,
//! filtered and paged, launched, stopped, started and terminated, tagged,
//! given instance profiles; regions; errors as EC2 sends them; and EC2
//! changes seen by CodeDeploy deployments.

use crate::deploy_support;
use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_codedeploy::types::DeploymentStatus;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    Filter, IamInstanceProfileAssociationState, IamInstanceProfileSpecification, Instance,
    InstanceStateChange, InstanceStateName, InstanceType, ResourceType, Tag, TagSpecification,
};
use deploy_support::{Cloud, target_ids, target_status};
use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use deploydesk::localcloud::{FaultSpec, LocalCloudOptions};
use support::START;

/// The image every test launches.
const IMAGE: &str = "ami-0abcdef1234567890";

/// A filter `name` with `values`.
fn filter(name: &str, values: &[&str]) -> Filter {
    values
        .iter()
        .fold(Filter::builder().name(name), |builder, value| {
            builder.values(*value)
        })
        .build()
}

/// A tag `key=value`.
fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
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

/// Launches `count` instances tagged `tags` through `RunInstances` and
/// returns their ids in launch order.
async fn run(ec2: &Client, count: i32, tags: &[(&str, &str)]) -> Vec<String> {
    run_with_profile(ec2, count, tags, None).await
}

/// Launches `count` instances tagged `tags` through `RunInstances` with
/// the instance profile `profile_arn` (an agent needs one to be reached),
/// and returns their ids in launch order.
async fn run_with_profile(
    ec2: &Client,
    count: i32,
    tags: &[(&str, &str)],
    profile_arn: Option<String>,
) -> Vec<String> {
    let mut spec = TagSpecification::builder().resource_type(ResourceType::Instance);
    for (key, value) in tags {
        spec = spec.tags(tag(key, value));
    }
    let mut request = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(count)
        .max_count(count)
        .set_iam_instance_profile(
            profile_arn.map(|arn| IamInstanceProfileSpecification::builder().arn(arn).build()),
        );
    if !tags.is_empty() {
        request = request.tag_specifications(spec.build());
    }
    let output = request.send().await.expect("the instances are launched");
    output
        .instances()
        .iter()
        .map(|instance| instance.instance_id().expect("an id").to_owned())
        .collect()
}

/// A `RunInstances` request for one instance of [`IMAGE`], to add to.
fn launch_one(
    ec2: &Client,
) -> aws_sdk_ec2::operation::run_instances::builders::RunInstancesFluentBuilder {
    ec2.run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
}

/// Every instance `DescribeInstances` returns for `filters`, reading all
/// pages of `page_size` (everything at once if `None`).
async fn describe(ec2: &Client, filters: Vec<Filter>, page_size: Option<i32>) -> Vec<Instance> {
    let mut instances = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ec2
            .describe_instances()
            .set_filters(Some(filters.clone()))
            .set_max_results(page_size)
            .set_next_token(token.take())
            .send()
            .await
            .expect("the instances are described");
        instances.extend(
            page.reservations()
                .iter()
                .flat_map(|reservation| reservation.instances().iter().cloned()),
        );
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return instances,
        }
    }
}

/// The ids of `instances`, sorted.
fn ids(instances: &[Instance]) -> Vec<String> {
    let mut ids: Vec<String> = instances
        .iter()
        .map(|instance| instance.instance_id().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

/// `ids` sorted.
fn sorted(ids: &[String]) -> Vec<String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids
}

/// The state name of instance `instance_id`.
async fn state_of(ec2: &Client, instance_id: &str) -> InstanceStateName {
    let output = ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .expect("the instance is described");
    output.reservations()[0].instances()[0]
        .state()
        .and_then(|state| state.name())
        .expect("a state")
        .clone()
}

/// The tag keys of instance `instance_id`, through `DescribeTags`.
async fn tag_keys(ec2: &Client, instance_id: &str) -> Vec<String> {
    ec2.describe_tags()
        .filters(filter("resource-id", &[instance_id]))
        .send()
        .await
        .expect("the tags are described")
        .tags()
        .iter()
        .filter_map(|tag| tag.key().map(str::to_owned))
        .collect()
}

/// `(instance id, previous state, current state)` of state changes.
fn changes(changes: &[InstanceStateChange]) -> Vec<(String, &str, &str)> {
    changes
        .iter()
        .map(|change| {
            (
                change.instance_id().unwrap_or_default().to_owned(),
                change
                    .previous_state()
                    .and_then(|state| state.name())
                    .map_or("", InstanceStateName::as_str),
                change
                    .current_state()
                    .and_then(|state| state.name())
                    .map_or("", InstanceStateName::as_str),
            )
        })
        .collect()
}

#[tokio::test]
async fn instances_carry_what_the_sdk_expects() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "eu-west-1").await;
    let output = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .instance_type(InstanceType::T3Micro)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .tags(tag("Name", "web-1"))
                .tags(tag("Environment", "production"))
                .build(),
        )
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("CodeDeployDemo-EC2")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let reservation_id = output.reservation_id().unwrap().to_owned();
    assert!(reservation_id.starts_with("r-"), "{reservation_id}");
    assert_eq!(output.owner_id(), Some("000000000000"));
    let launched = &output.instances()[0];
    assert_eq!(
        launched.state().unwrap().name(),
        Some(&InstanceStateName::Pending)
    );
    assert_eq!(launched.state().unwrap().code(), Some(0));

    let described = ec2.describe_instances().send().await.unwrap();
    assert_eq!(described.reservations().len(), 1);
    let reservation = &described.reservations()[0];
    assert_eq!(reservation.reservation_id(), Some(reservation_id.as_str()));
    let instance = &reservation.instances()[0];
    assert_eq!(instance.instance_id(), launched.instance_id());
    assert_eq!(instance.image_id(), Some(IMAGE));
    assert_eq!(instance.instance_type(), Some(&InstanceType::T3Micro));
    assert_eq!(instance.ami_launch_index(), Some(0));
    assert_eq!(
        instance.launch_time().map(aws_smithy_types::DateTime::secs),
        Some(START.as_millis() / 1000)
    );
    assert_eq!(
        instance.placement().unwrap().availability_zone(),
        Some("eu-west-1a")
    );
    let ip = instance.private_ip_address().unwrap();
    assert!(ip.starts_with("10."), "{ip}");
    assert_eq!(
        instance.private_dns_name().unwrap(),
        format!("ip-{}.eu-west-1.compute.internal", ip.replace('.', "-"))
    );
    let tags: BTreeSet<(&str, &str)> = instance
        .tags()
        .iter()
        .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from([("Environment", "production"), ("Name", "web-1")])
    );
    let profile = instance.iam_instance_profile().unwrap();
    assert_eq!(
        profile.arn(),
        Some("arn:aws:iam::000000000000:instance-profile/CodeDeployDemo-EC2")
    );
    assert!(profile.id().unwrap().starts_with("AIPA"));
    cloud.shutdown().await;
}

#[tokio::test]
async fn describe_instances_filters_by_tag_key_id_and_state() {
    let (cloud, clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let staging = run(&ec2, 2, &[("Environment", "staging"), ("Role", "web")]).await;
    let production = run(&ec2, 3, &[("Environment", "production"), ("Role", "web")]).await;
    let untagged = run(&ec2, 1, &[]).await;
    clock.advance_millis(STATE_TRANSITION_MILLIS);

    let found = describe(&ec2, vec![filter("tag:Environment", &["production"])], None).await;
    assert_eq!(ids(&found), sorted(&production));
    let either = describe(
        &ec2,
        vec![filter("tag:Environment", &["production", "staging"])],
        None,
    )
    .await;
    assert_eq!(ids(&either).len(), 5);
    let wildcard = describe(&ec2, vec![filter("tag:Environment", &["prod*"])], None).await;
    assert_eq!(ids(&wildcard), sorted(&production));
    let keyed = describe(&ec2, vec![filter("tag-key", &["Role"])], None).await;
    assert_eq!(ids(&keyed).len(), 5);
    assert!(!ids(&keyed).contains(&untagged[0]));
    let by_id = describe(
        &ec2,
        vec![filter("instance-id", &[&staging[0], &untagged[0]])],
        None,
    )
    .await;
    assert_eq!(
        ids(&by_id),
        sorted(&[staging[0].clone(), untagged[0].clone()])
    );

    // Filters combine: every filter must match.
    ec2.stop_instances()
        .instance_ids(&production[0])
        .send()
        .await
        .unwrap();
    let running_production = describe(
        &ec2,
        vec![
            filter("tag:Environment", &["production"]),
            filter("instance-state-name", &["running"]),
        ],
        None,
    )
    .await;
    assert_eq!(ids(&running_production), sorted(&production[1..]));
    let stopping = describe(
        &ec2,
        vec![filter("instance-state-name", &["stopping"])],
        None,
    )
    .await;
    assert_eq!(ids(&stopping), [production[0].clone()]);

    // InstanceId.N and filters together.
    let named = ec2
        .describe_instances()
        .instance_ids(&production[0])
        .instance_ids(&production[1])
        .filters(filter("instance-state-name", &["running"]))
        .send()
        .await
        .unwrap();
    let named: Vec<Instance> = named
        .reservations()
        .iter()
        .flat_map(|reservation| reservation.instances().iter().cloned())
        .collect();
    assert_eq!(ids(&named), [production[1].clone()]);

    let (code, message) = error_of(
        ec2.describe_instances()
            .filters(filter("colour", &["blue"]))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    assert!(message.contains("'colour'"), "{message}");
    cloud.shutdown().await;
}

#[tokio::test]
async fn describe_instances_pages_without_repeats_or_gaps() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let mut launched = run(&ec2, 23, &[("Fleet", "paged")]).await;
    launched.extend(run(&ec2, 4, &[("Fleet", "other")]).await);

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = ec2
            .describe_instances()
            .max_results(5)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        pages += 1;
        let on_page: Vec<String> = page
            .reservations()
            .iter()
            .flat_map(aws_sdk_ec2::types::Reservation::instances)
            .map(|instance| instance.instance_id().unwrap().to_owned())
            .collect();
        assert!(on_page.len() <= 5, "{on_page:?}");
        if pages == 2 {
            // Instances launched between pages do not make earlier ones
            // come back.
            launched.extend(run(&ec2, 2, &[("Fleet", "late")]).await);
        }
        seen.extend(on_page);
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an instance came twice: {seen:?}");
    // Every instance there from the start was listed; late ones may be.
    let before_paging: BTreeSet<&String> = launched[..27].iter().collect();
    assert!(before_paging.is_subset(&unique), "some were missed");
    assert!(pages >= 6, "{pages} pages");

    // The SDK's paginator sees the same, filtered.
    let by_paginator: Vec<Instance> =
        describe(&ec2, vec![filter("tag:Fleet", &["paged"])], Some(5)).await;
    assert_eq!(ids(&by_paginator), sorted(&launched[..23]));

    for bad in [4, 1001] {
        let (code, _) = error_of(ec2.describe_instances().max_results(bad).send().await);
        assert_eq!(code, "InvalidParameterValue", "MaxResults {bad}");
    }
    let (code, _) = error_of(
        ec2.describe_instances()
            .max_results(5)
            .instance_ids(&launched[0])
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterCombination");
    let (code, _) = error_of(
        ec2.describe_instances()
            .max_results(5)
            .next_token("not-a-token")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidPaginationToken");
    cloud.shutdown().await;
}

#[tokio::test]
async fn unknown_and_malformed_instance_ids_are_refused() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let known = run(&ec2, 1, &[]).await;
    let result = ec2
        .describe_instances()
        .instance_ids(&known[0])
        .instance_ids("i-0000000000000dead")
        .send()
        .await;
    let error = result.unwrap_err().into_service_error();
    assert_eq!(error.code(), Some("InvalidInstanceID.NotFound"));
    assert!(
        error.message().unwrap().contains("i-0000000000000dead"),
        "{error:?}"
    );
    assert!(error.meta().message().is_some());

    let (code, message) = error_of(ec2.describe_instances().instance_ids("web-1").send().await);
    assert_eq!(code, "InvalidInstanceID.Malformed");
    assert!(message.contains("web-1"), "{message}");
    for (code, message) in [
        error_of(ec2.stop_instances().instance_ids("i-0000dead").send().await),
        error_of(
            ec2.start_instances()
                .instance_ids("i-0000dead")
                .send()
                .await,
        ),
        error_of(
            ec2.terminate_instances()
                .instance_ids("i-0000dead")
                .send()
                .await,
        ),
    ] {
        assert_eq!(code, "InvalidInstanceID.NotFound", "{message}");
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn run_instances_launches_a_reservation_that_becomes_running() {
    let (cloud, clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let output = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(2)
        .max_count(3)
        .instance_type(InstanceType::M5Large)
        .send()
        .await
        .unwrap();
    let instances = output.instances();
    assert_eq!(instances.len(), 3, "MaxCount instances are launched");
    let launch_indices: Vec<i32> = instances
        .iter()
        .map(|instance| instance.ami_launch_index().unwrap())
        .collect();
    assert_eq!(launch_indices, [0, 1, 2]);
    let launched: Vec<String> = ids(instances);
    for instance in instances {
        assert_eq!(instance.instance_type(), Some(&InstanceType::M5Large));
        assert_eq!(
            instance.state().unwrap().name(),
            Some(&InstanceStateName::Pending)
        );
    }
    let reservation = output.reservation_id().unwrap();
    let together = describe(&ec2, vec![filter("reservation-id", &[reservation])], None).await;
    assert_eq!(ids(&together), launched);

    clock.advance_millis(STATE_TRANSITION_MILLIS - 1);
    assert_eq!(
        state_of(&ec2, &launched[0]).await,
        InstanceStateName::Pending
    );
    clock.advance_millis(1);
    assert_eq!(
        state_of(&ec2, &launched[0]).await,
        InstanceStateName::Running
    );
    let running = describe(&ec2, vec![filter("instance-state-code", &["16"])], None).await;
    assert_eq!(ids(&running), launched);

    // Without InstanceType, EC2 launches its default type.
    let default_type = ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        default_type.instances()[0].instance_type(),
        Some(&InstanceType::M1Small)
    );

    let (code, _) = error_of(
        ec2.run_instances()
            .image_id("ubuntu")
            .min_count(1)
            .max_count(1)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidAMIID.Malformed");
    let (code, _) = error_of(
        ec2.run_instances()
            .image_id(IMAGE)
            .min_count(3)
            .max_count(2)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    let (code, _) = error_of(
        launch_one(&ec2)
            .instance_type(InstanceType::from("enormous"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    let (code, message) = error_of(ec2.run_instances().min_count(1).max_count(1).send().await);
    assert_eq!(code, "MissingParameter");
    assert!(message.contains("ImageId"), "{message}");
    let (code, _) = error_of(
        launch_one(&ec2)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(tag("aws:reserved", "x"))
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    // The failed launches launched nothing.
    assert_eq!(describe(&ec2, Vec::new(), None).await.len(), 4);
    cloud.shutdown().await;
}

#[tokio::test]
async fn stop_start_and_terminate_report_previous_and_current_states() {
    let (cloud, clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let launched = run(&ec2, 2, &[]).await;
    let (web, db) = (launched[0].clone(), launched[1].clone());

    // A pending instance cannot be stopped, and a refused request changes
    // nothing, not even the instances that could have been stopped.
    let (code, message) = error_of(ec2.stop_instances().instance_ids(&web).send().await);
    assert_eq!(code, "IncorrectInstanceState");
    assert!(message.contains("pending"), "{message}");
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    let extra = run(&ec2, 1, &[]).await;
    let (code, _) = error_of(
        ec2.stop_instances()
            .instance_ids(&web)
            .instance_ids(&extra[0])
            .send()
            .await,
    );
    assert_eq!(code, "IncorrectInstanceState");
    assert_eq!(state_of(&ec2, &web).await, InstanceStateName::Running);

    let stopped = ec2
        .stop_instances()
        .instance_ids(&web)
        .instance_ids(&db)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changes(stopped.stopping_instances()),
        [
            (web.clone(), "running", "stopping"),
            (db.clone(), "running", "stopping")
        ]
    );
    assert_eq!(
        stopped.stopping_instances()[0]
            .current_state()
            .unwrap()
            .code(),
        Some(64)
    );
    assert_eq!(state_of(&ec2, &web).await, InstanceStateName::Stopping);
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    assert_eq!(state_of(&ec2, &web).await, InstanceStateName::Stopped);
    let again = ec2
        .stop_instances()
        .instance_ids(&web)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changes(again.stopping_instances()),
        [(web.clone(), "stopped", "stopped")]
    );

    let started = ec2
        .start_instances()
        .instance_ids(&web)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changes(started.starting_instances()),
        [(web.clone(), "stopped", "pending")]
    );
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    assert_eq!(state_of(&ec2, &web).await, InstanceStateName::Running);

    let terminated = ec2
        .terminate_instances()
        .instance_ids(&web)
        .instance_ids(&db)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changes(terminated.terminating_instances()),
        [
            (web.clone(), "running", "shutting-down"),
            (db.clone(), "stopped", "shutting-down")
        ]
    );
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    assert_eq!(state_of(&ec2, &web).await, InstanceStateName::Terminated);
    let (code, _) = error_of(ec2.start_instances().instance_ids(&web).send().await);
    assert_eq!(code, "IncorrectInstanceState");
    let twice = ec2
        .terminate_instances()
        .instance_ids(&web)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changes(twice.terminating_instances()),
        [(web.clone(), "terminated", "terminated")]
    );
    // Terminated instances stay listed.
    let gone = describe(
        &ec2,
        vec![filter("instance-state-name", &["terminated"])],
        None,
    )
    .await;
    assert_eq!(ids(&gone), sorted(&[web, db]));
    cloud.shutdown().await;
}

#[tokio::test]
async fn tags_are_created_deleted_and_described() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let launched = run(&ec2, 2, &[]).await;
    let (first, second) = (launched[0].clone(), launched[1].clone());
    ec2.create_tags()
        .resources(&first)
        .resources(&second)
        .tags(tag("Environment", "staging"))
        .tags(tag("Owner", "ops"))
        .send()
        .await
        .unwrap();
    // A key already there gets the new value.
    ec2.create_tags()
        .resources(&second)
        .tags(tag("Environment", "production"))
        .tags(tag("Empty", ""))
        .send()
        .await
        .unwrap();

    let all = ec2.describe_tags().send().await.unwrap();
    let mut listed: Vec<(String, String, String)> = all
        .tags()
        .iter()
        .map(|tag| {
            assert_eq!(tag.resource_type(), Some(&ResourceType::Instance));
            (
                tag.resource_id().unwrap().to_owned(),
                tag.key().unwrap().to_owned(),
                tag.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        (
            first.clone(),
            "Environment".to_owned(),
            "staging".to_owned(),
        ),
        (first.clone(), "Owner".to_owned(), "ops".to_owned()),
        (second.clone(), "Empty".to_owned(), String::new()),
        (
            second.clone(),
            "Environment".to_owned(),
            "production".to_owned(),
        ),
        (second.clone(), "Owner".to_owned(), "ops".to_owned()),
    ];
    expected.sort();
    assert_eq!(listed, expected);

    let filtered = ec2
        .describe_tags()
        .filters(filter("resource-id", &[&second]))
        .filters(filter("key", &["Environment", "Owner"]))
        .filters(filter("value", &["prod*"]))
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.tags().len(), 1);
    assert_eq!(filtered.tags()[0].value(), Some("production"));

    // Tags changed through EC2 are what DescribeInstances filters on.
    let production = describe(&ec2, vec![filter("tag:Environment", &["production"])], None).await;
    assert_eq!(ids(&production), std::slice::from_ref(&second));

    // DeleteTags: a value that does not match keeps the tag, a matching
    // value or no value removes it.
    ec2.delete_tags()
        .resources(&first)
        .tags(tag("Environment", "production"))
        .tags(Tag::builder().key("Owner").build())
        .send()
        .await
        .unwrap();
    ec2.delete_tags()
        .resources(&second)
        .tags(tag("Environment", "production"))
        .send()
        .await
        .unwrap();
    assert_eq!(tag_keys(&ec2, &first).await, ["Environment"]);
    assert_eq!(tag_keys(&ec2, &second).await, ["Empty", "Owner"]);
    // No tags at all removes every tag.
    ec2.delete_tags().resources(&second).send().await.unwrap();
    assert!(tag_keys(&ec2, &second).await.is_empty());

    let (code, _) = error_of(
        ec2.create_tags()
            .resources(&first)
            .tags(tag("aws:owner", "x"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    let (code, _) = error_of(
        ec2.create_tags()
            .resources("i-0000000000000beef")
            .tags(tag("a", "b"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidInstanceID.NotFound");
    let (code, _) = error_of(
        ec2.create_tags()
            .resources("vol-0123456789abcdef0")
            .tags(tag("a", "b"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidID");
    let mut too_many = ec2.create_tags().resources(&first);
    for number in 0..50 {
        too_many = too_many.tags(tag(&format!("key-{number}"), "v"));
    }
    let (code, _) = error_of(too_many.send().await);
    assert_eq!(code, "TagLimitExceeded");
    let (code, _) = error_of(ec2.create_tags().resources(&first).send().await);
    assert_eq!(code, "MissingParameter");
    cloud.shutdown().await;
}

#[tokio::test]
async fn describe_tags_pages_without_repeats_or_gaps() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    run(&ec2, 4, &[("A", "1"), ("B", "2"), ("C", "3")]).await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ec2
            .describe_tags()
            .max_results(5)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        assert!(page.tags().len() <= 5);
        seen.extend(page.tags().iter().map(|tag| {
            (
                tag.resource_id().unwrap().to_owned(),
                tag.key().unwrap().to_owned(),
            )
        }));
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: BTreeSet<&(String, String)> = seen.iter().collect();
    assert_eq!(seen.len(), 12);
    assert_eq!(unique.len(), 12);
    let (code, _) = error_of(ec2.describe_tags().max_results(2).send().await);
    assert_eq!(code, "InvalidParameterValue");
    cloud.shutdown().await;
}

#[tokio::test]
async fn instance_profiles_are_associated_and_described() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let launched = run(&ec2, 2, &[]).await;
    let arn = "arn:aws:iam::000000000000:instance-profile/deploy/CodeDeployAgent";
    let associated = ec2
        .associate_iam_instance_profile()
        .instance_id(&launched[0])
        .iam_instance_profile(IamInstanceProfileSpecification::builder().arn(arn).build())
        .send()
        .await
        .unwrap();
    let association = associated.iam_instance_profile_association().unwrap();
    let association_id = association.association_id().unwrap().to_owned();
    assert!(association_id.starts_with("iip-assoc-"), "{association_id}");
    assert_eq!(association.instance_id(), Some(launched[0].as_str()));
    assert_eq!(association.iam_instance_profile().unwrap().arn(), Some(arn));
    assert_eq!(
        association
            .state()
            .map(IamInstanceProfileAssociationState::as_str),
        Some("associating")
    );

    let described = ec2
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .unwrap();
    let associations = described.iam_instance_profile_associations();
    assert_eq!(associations.len(), 1);
    assert_eq!(
        associations[0].association_id(),
        Some(association_id.as_str())
    );
    assert_eq!(
        associations[0]
            .state()
            .map(IamInstanceProfileAssociationState::as_str),
        Some("associated")
    );
    assert!(associations[0].timestamp().is_some());
    let by_instance = ec2
        .describe_iam_instance_profile_associations()
        .filters(filter("instance-id", &[&launched[1]]))
        .send()
        .await
        .unwrap();
    assert!(by_instance.iam_instance_profile_associations().is_empty());
    let by_id = ec2
        .describe_iam_instance_profile_associations()
        .association_ids(&association_id)
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.iam_instance_profile_associations().len(), 1);
    // A known id that the filters leave out is no error.
    let filtered_out = ec2
        .describe_iam_instance_profile_associations()
        .association_ids(&association_id)
        .filters(filter("state", &["disassociated"]))
        .send()
        .await
        .unwrap();
    assert!(filtered_out.iam_instance_profile_associations().is_empty());
    let instance = describe(&ec2, vec![filter("instance-id", &[&launched[0]])], None).await;
    assert_eq!(instance[0].iam_instance_profile().unwrap().arn(), Some(arn));

    let (code, message) = error_of(
        ec2.associate_iam_instance_profile()
            .instance_id(&launched[0])
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name("Other")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "IncorrectState");
    assert!(message.contains(&association_id), "{message}");
    let (code, _) = error_of(
        ec2.describe_iam_instance_profile_associations()
            .association_ids("iip-assoc-00000000000000000")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidAssociationID.NotFound");
    let (code, _) = error_of(
        ec2.associate_iam_instance_profile()
            .instance_id(&launched[1])
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .arn("arn:aws:iam::000000000000:role/NotAProfile")
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    let (code, _) = error_of(
        ec2.associate_iam_instance_profile()
            .instance_id(&launched[1])
            .send()
            .await,
    );
    assert_eq!(code, "MissingParameter");
    cloud.shutdown().await;
}

#[tokio::test]
async fn regions_are_listed_and_filtered() {
    let (cloud, _clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let regions = ec2.describe_regions().send().await.unwrap();
    let names: Vec<&str> = regions
        .regions()
        .iter()
        .filter_map(|region| region.region_name())
        .collect();
    assert!(
        names.contains(&"us-east-1") && names.contains(&"eu-west-1"),
        "{names:?}"
    );
    assert!(!names.contains(&"af-south-1"), "{names:?}");
    let us_east = regions
        .regions()
        .iter()
        .find(|region| region.region_name() == Some("us-east-1"))
        .unwrap();
    assert_eq!(us_east.endpoint(), Some("ec2.us-east-1.amazonaws.com"));
    assert_eq!(us_east.opt_in_status(), Some("opt-in-not-required"));

    let all = ec2
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .unwrap();
    let cape_town = all
        .regions()
        .iter()
        .find(|region| region.region_name() == Some("af-south-1"))
        .expect("opt-in regions are listed with AllRegions");
    assert_eq!(cape_town.opt_in_status(), Some("not-opted-in"));

    let europe = ec2
        .describe_regions()
        .filters(filter("region-name", &["eu-*"]))
        .send()
        .await
        .unwrap();
    assert!(
        europe
            .regions()
            .iter()
            .all(|region| region.region_name().unwrap().starts_with("eu-"))
    );
    let ireland = ec2
        .describe_regions()
        .region_names("eu-west-1")
        .send()
        .await
        .unwrap();
    assert_eq!(ireland.regions().len(), 1);
    let (code, _) = error_of(
        ec2.describe_regions()
            .region_names("mars-north-1")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterValue");
    cloud.shutdown().await;
}

#[tokio::test]
async fn dry_runs_check_the_request_and_change_nothing() {
    let (cloud, clock) = support::start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let launched = run(&ec2, 1, &[]).await;
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    let dry = ec2
        .stop_instances()
        .instance_ids(&launched[0])
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(dry.raw_response().unwrap().status().as_u16(), 412);
    let (code, _) = error_of(Err::<(), _>(dry));
    assert_eq!(code, "DryRunOperation");
    assert_eq!(
        state_of(&ec2, &launched[0]).await,
        InstanceStateName::Running
    );
    let (code, _) = error_of(launch_one(&ec2).dry_run(true).send().await);
    assert_eq!(code, "DryRunOperation");
    assert_eq!(describe(&ec2, Vec::new(), None).await.len(), 1);
    // A dry run of a request that would fail fails as the request would.
    let (code, _) = error_of(
        ec2.stop_instances()
            .instance_ids("i-00000000")
            .dry_run(true)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidInstanceID.NotFound");
    cloud.shutdown().await;
}

#[tokio::test]
async fn ec2_faults_throttle_with_request_limit_exceeded() {
    let cloud = Cloud::start_with(LocalCloudOptions {
        faults: FaultSpec::parse("ec2:DescribeInstances=throttle:1;ec2:DescribeRegions=error:1")
            .unwrap(),
        ..LocalCloudOptions::default()
    })
    .await;
    let ec2 = support::ec2(&cloud.local, "us-east-1").await;
    let throttled = ec2.describe_instances().send().await.unwrap_err();
    assert_eq!(throttled.raw_response().unwrap().status().as_u16(), 503);
    let (code, _) = error_of(Err::<(), _>(throttled));
    assert_eq!(code, "RequestLimitExceeded");
    let failed = ec2.describe_regions().send().await.unwrap_err();
    assert_eq!(failed.raw_response().unwrap().status().as_u16(), 500);
    // Other operations and services are served.
    ec2.describe_tags().send().await.unwrap();
    cloud.client.list_applications().send().await.unwrap();
    let counts = cloud.local.request_counts();
    assert_eq!(counts.get("ec2:DescribeInstances"), Some(&1));
    assert_eq!(counts.get("ec2:DescribeTags"), Some(&1));
}

#[tokio::test]
async fn a_stopped_instance_fails_the_deployment_and_a_started_one_succeeds() {
    let cloud = Cloud::start().await;
    let ec2 = support::ec2(&cloud.local, "us-east-1").await;
    let profile = Some(cloud.instance_profile_arn());
    let web = run_with_profile(&ec2, 1, &[("Role", "web")], profile)
        .await
        .remove(0);
    cloud.advance(STATE_TRANSITION_MILLIS);
    cloud
        .group("shop", "web", "Role", "web", "CodeDeployDefault.AllAtOnce")
        .await;

    ec2.stop_instances()
        .instance_ids(&web)
        .send()
        .await
        .unwrap();
    cloud.advance(STATE_TRANSITION_MILLIS);
    assert_eq!(state_of(&ec2, &web).await, InstanceStateName::Stopped);
    let failed = cloud.deploy("shop", "web", "v1").await;
    let info = cloud.run_to_end(&failed, 60).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed), "{info:?}");
    let targets = cloud.targets(&failed).await;
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].target_id(), Some(web.as_str()));
    assert_eq!(target_status(&targets[0]), "Failed");
    let diagnostics = targets[0].lifecycle_events()[0].diagnostics().unwrap();
    assert!(
        diagnostics.message().unwrap().contains("is stopped"),
        "{diagnostics:?}"
    );

    ec2.start_instances()
        .instance_ids(&web)
        .send()
        .await
        .unwrap();
    cloud.advance(STATE_TRANSITION_MILLIS);
    let succeeded = cloud.deploy("shop", "web", "v2").await;
    let info = cloud.run_to_end(&succeeded, 60).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
}

#[tokio::test]
async fn tags_changed_through_ec2_change_which_instances_a_group_deploys_to() {
    let cloud = Cloud::start().await;
    let ec2 = support::ec2(&cloud.local, "us-east-1").await;
    let profile = Some(cloud.instance_profile_arn());
    let fleet = run_with_profile(&ec2, 3, &[("Environment", "staging")], profile).await;
    cloud.advance(STATE_TRANSITION_MILLIS);
    cloud
        .group(
            "shop",
            "production",
            "Environment",
            "production",
            "CodeDeployDefault.AllAtOnce",
        )
        .await;

    ec2.create_tags()
        .resources(&fleet[0])
        .resources(&fleet[2])
        .tags(tag("Environment", "production"))
        .send()
        .await
        .unwrap();
    let first = cloud.deploy("shop", "production", "v1").await;
    let info = cloud.run_to_end(&first, 60).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    assert_eq!(
        sorted(&target_ids(&cloud.client, &first).await),
        sorted(&[fleet[0].clone(), fleet[2].clone()])
    );

    ec2.delete_tags()
        .resources(&fleet[0])
        .tags(Tag::builder().key("Environment").build())
        .send()
        .await
        .unwrap();
    let second = cloud.deploy("shop", "production", "v2").await;
    cloud.run_to_end(&second, 60).await;
    assert_eq!(
        target_ids(&cloud.client, &second).await,
        std::slice::from_ref(&fleet[2])
    );
}

#[tokio::test]
async fn the_demo_fleet_is_visible_through_ec2() {
    let cloud = Cloud::start_with(LocalCloudOptions {
        fleet: 6,
        event_duration: Duration::from_secs(1),
        ..LocalCloudOptions::default()
    })
    .await;
    let ec2 = support::ec2(&cloud.local, "us-east-1").await;
    let production = describe(&ec2, vec![filter("tag:Environment", &["production"])], None).await;
    assert_eq!(production.len(), 3);
    for instance in &production {
        assert_eq!(
            instance.state().unwrap().name(),
            Some(&InstanceStateName::Running)
        );
        assert!(instance.image_id().unwrap().starts_with("ami-"));
    }
}
