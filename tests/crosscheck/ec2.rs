//! EC2, checked against both backends: instances launched with tags,
//! described with filters and in pages, tagged and untagged, stopped,
//! started and terminated, given instance profiles; the errors EC2 sends;
//! and DeployDesk's own EC2 operations (`deploydesk::cloud::ec2`) with
//! CodeDeploy's tag filter rules.
//!
//! moto's state is shared by every test, so each test tags what it launches
//! with a value from [`crate::Clients::unique`] and looks only at instances
//! that carry it.

use std::time::Duration;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    Filter, IamInstanceProfileSpecification, Instance, InstanceStateChange, InstanceStateName,
    ResourceType, Tag, TagSpecification,
};
use deploydesk::cloud::CloudError;
use deploydesk::cloud::ec2::{
    self as ops, Ec2InstanceSummary, InstanceProfile, LaunchRequest, TagRemoval,
};
use deploydesk::domain::tags::{TagFilter, TagSelection};

use crate::crosscheck;

/// The image every test launches (moto knows this id).
const IMAGE: &str = "ami-12c6146b";

/// The tag key every test scopes its instances by.
const SUITE: &str = "CrosscheckSuite";

/// How long a test waits for an instance to reach a state.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);

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

/// Launches `count` instances tagged `Suite=suite` and `tags`, and returns
/// their ids, sorted.
async fn run(
    clients: &crate::Clients,
    count: i32,
    suite: &str,
    tags: &[(&str, &str)],
) -> Vec<String> {
    let spec = tags.iter().fold(
        TagSpecification::builder()
            .resource_type(ResourceType::Instance)
            .tags(tag(SUITE, suite)),
        |spec, (key, value)| spec.tags(tag(key, value)),
    );
    let output = clients
        .ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(count)
        .max_count(count)
        .tag_specifications(spec.build())
        .send()
        .await
        .expect("the instances are launched");
    let mut ids: Vec<String> = output
        .instances()
        .iter()
        .map(|instance| instance.instance_id().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// Every instance `DescribeInstances` returns for `filters`, all pages of
/// `page_size`, with the number of pages read.
async fn describe_pages(
    clients: &crate::Clients,
    filters: &[Filter],
    page_size: Option<i32>,
) -> (Vec<Instance>, usize) {
    let mut instances = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    let moto_counts_reservations = page_size.is_some()
        && clients.moto_differs("moto counts MaxResults in reservations, not in instances");
    loop {
        let page = clients
            .ec2
            .describe_instances()
            .set_filters(Some(filters.to_vec()))
            .set_max_results(page_size)
            .set_next_token(token.take())
            .send()
            .await
            .expect("the instances are described");
        pages += 1;
        let on_page: Vec<Instance> = page
            .reservations()
            .iter()
            .flat_map(|reservation| reservation.instances().iter().cloned())
            .collect();
        if let Some(size) = page_size {
            let size = usize::try_from(size).expect("a positive size");
            // AWS counts MaxResults in instances; moto counts reservations.
            if moto_counts_reservations {
                assert!(
                    page.reservations().len() <= size,
                    "at most MaxResults reservations"
                );
            } else {
                assert!(
                    on_page.len() <= size,
                    "a page holds at most MaxResults instances"
                );
            }
        }
        instances.extend(on_page);
        match page.next_token().filter(|token| !token.is_empty()) {
            Some(next) => token = Some(next.to_owned()),
            None => return (instances, pages),
        }
        assert!(pages < 100, "paging ends");
    }
}

/// The sorted ids of the instances `DescribeInstances` returns for
/// `filters`.
async fn described_ids(clients: &crate::Clients, filters: &[Filter]) -> Vec<String> {
    let (instances, _) = describe_pages(clients, filters, None).await;
    ids(&instances)
}

/// The sorted ids of `instances`.
fn ids(instances: &[Instance]) -> Vec<String> {
    let mut ids: Vec<String> = instances
        .iter()
        .map(|instance| instance.instance_id().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The state name of `instance_id`.
async fn state_of(clients: &crate::Clients, instance_id: &str) -> String {
    let output = clients
        .ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .expect("the instance is described");
    output.reservations()[0].instances()[0]
        .state()
        .and_then(|state| state.name())
        .map(|name| name.as_str().to_owned())
        .expect("a state")
}

/// Waits until every instance of `instance_ids` is in `state`.
async fn wait_for(clients: &crate::Clients, instance_ids: &[String], state: &str) {
    let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    for instance_id in instance_ids {
        loop {
            let now = state_of(clients, instance_id).await;
            if now == state {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{instance_id} is still {now}, not {state}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `(instance id, previous state, current state)` of state changes.
fn changes(changes: &[InstanceStateChange]) -> Vec<(String, String, String)> {
    let name = |state: Option<&aws_sdk_ec2::types::InstanceState>| {
        state
            .and_then(|state| state.name())
            .map_or("", InstanceStateName::as_str)
            .to_owned()
    };
    let mut changes: Vec<(String, String, String)> = changes
        .iter()
        .map(|change| {
            (
                change.instance_id().unwrap_or_default().to_owned(),
                name(change.previous_state()),
                name(change.current_state()),
            )
        })
        .collect();
    changes.sort();
    changes
}

/// `(key, value)` of the tags `DescribeTags` lists for `instance_id`.
async fn described_tags(clients: &crate::Clients, instance_id: &str) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = clients
        .ec2
        .describe_tags()
        .filters(filter("resource-id", &[instance_id]))
        .send()
        .await
        .expect("the tags are described")
        .tags()
        .iter()
        .map(|tag| {
            (
                tag.key().unwrap_or_default().to_owned(),
                tag.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    tags
}

/// The sorted ids of instance summaries.
fn summary_ids(instances: &[Ec2InstanceSummary]) -> Vec<String> {
    let mut ids: Vec<String> = instances
        .iter()
        .map(|instance| instance.instance_id.clone())
        .collect();
    ids.sort();
    ids
}

crosscheck!(
    tagged_instances_are_found_by_tag_filter,
    |clients: crate::Clients| async move {
        let role = clients.unique("web");
        let launched = clients
            .ec2
            .run_instances()
            .image_id(IMAGE)
            .min_count(2)
            .max_count(2)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(Tag::builder().key("Role").value(&role).build())
                    .build(),
            )
            .send()
            .await
            .expect("instances launch");
        let mut ids: Vec<String> = launched
            .instances()
            .iter()
            .filter_map(|instance| instance.instance_id().map(str::to_owned))
            .collect();
        ids.sort();
        assert_eq!(ids.len(), 2);
        // The tags of the specification are on the instances as launched.
        for instance in launched.instances() {
            assert!(
                instance
                    .tags()
                    .iter()
                    .any(|tag| tag.key() == Some("Role") && tag.value() == Some(role.as_str())),
                "{instance:?}"
            );
        }

        let found = described_ids(&clients, &[filter("tag:Role", &[&role])]).await;
        assert_eq!(found, ids);
        clients.finish().await;
    }
);

crosscheck!(
    describe_filters_by_tag_key_value_id_and_state,
    |clients: crate::Clients| async move {
        let suite = clients.unique("filters");
        let web = run(&clients, 2, &suite, &[("Role", "web")]).await;
        let db = run(&clients, 1, &suite, &[("Role", "db")]).await;
        let marker_key = clients.unique("Marker");
        clients
            .ec2
            .create_tags()
            .resources(&db[0])
            .tags(tag(&marker_key, "yes"))
            .send()
            .await
            .expect("the marker is set");
        let scope = filter(&format!("tag:{SUITE}"), &[&suite]);
        let mut all = [web.clone(), db.clone()].concat();
        all.sort();

        assert_eq!(
            described_ids(&clients, std::slice::from_ref(&scope)).await,
            all
        );
        // tag:KEY takes any of its values.
        assert_eq!(
            described_ids(&clients, &[scope.clone(), filter("tag:Role", &["web"])]).await,
            web
        );
        assert_eq!(
            described_ids(
                &clients,
                &[scope.clone(), filter("tag:Role", &["web", "db"])]
            )
            .await,
            all
        );
        // tag-key: instances that have the key, whatever its value.
        assert_eq!(
            described_ids(&clients, &[filter("tag-key", &[&marker_key])]).await,
            db
        );
        // tag-value: instances with a tag of that value, whatever its key.
        assert_eq!(
            described_ids(&clients, &[filter("tag-value", &[&suite])]).await,
            all
        );
        // instance-id, and filters together (all must match).
        assert_eq!(
            described_ids(&clients, &[filter("instance-id", &[&web[1]])]).await,
            [web[1].clone()]
        );
        assert!(
            described_ids(
                &clients,
                &[
                    filter("instance-id", &[&web[1]]),
                    filter("tag:Role", &["db"])
                ]
            )
            .await
            .is_empty()
        );
        // instance-state-name: none of them is stopped.
        assert!(
            described_ids(
                &clients,
                &[scope.clone(), filter("instance-state-name", &["stopped"])]
            )
            .await
            .is_empty()
        );
        assert_eq!(
            described_ids(
                &clients,
                &[
                    scope.clone(),
                    filter("instance-state-name", &["pending", "running"])
                ]
            )
            .await,
            all
        );
        // An instance id list is answered whole, narrowed by the filters.
        let listed = clients
            .ec2
            .describe_instances()
            .instance_ids(&web[0])
            .instance_ids(&db[0])
            .filters(filter("tag:Role", &["db"]))
            .send()
            .await
            .expect("the instances are described");
        let listed: Vec<Instance> = listed
            .reservations()
            .iter()
            .flat_map(|reservation| reservation.instances().iter().cloned())
            .collect();
        assert_eq!(ids(&listed), db);
        clients.finish().await;
    }
);

crosscheck!(
    describe_pages_without_repeats_or_gaps,
    |clients: crate::Clients| async move {
        let suite = clients.unique("paging");
        // Six reservations of one instance and one of six: 12 instances in
        // 7 reservations, so pages of 5 are needed whether a backend counts
        // instances (as AWS does) or reservations (as moto does).
        let mut launched = run(&clients, 6, &suite, &[]).await;
        for _ in 0..6 {
            launched.extend(run(&clients, 1, &suite, &[]).await);
        }
        launched.sort();
        let scope = [filter(&format!("tag:{SUITE}"), &[&suite])];

        let (instances, pages) = describe_pages(&clients, &scope, Some(5)).await;
        assert_eq!(ids(&instances), launched, "every instance once");
        assert_eq!(instances.len(), launched.len(), "no instance twice");
        assert!(pages >= 2, "7 reservations take at least 2 pages of 5");
        if !clients.moto_differs("moto pages by reservation") {
            assert_eq!(pages, 3, "12 instances take 3 pages of 5");
        }

        let (everything, pages) = describe_pages(&clients, &scope, None).await;
        assert_eq!(ids(&everything), launched);
        assert_eq!(pages, 1, "without MaxResults everything comes at once");

        // AWS takes MaxResults from 5 to 1000.
        if !clients.moto_differs("moto accepts a MaxResults below 5") {
            let (code, message) = error_of(
                clients
                    .ec2
                    .describe_instances()
                    .filters(scope[0].clone())
                    .max_results(4)
                    .send()
                    .await,
            );
            assert_eq!(code, "InvalidParameterValue", "{message}");
        }
        clients.finish().await;
    }
);

crosscheck!(
    tags_are_created_deleted_and_described,
    |clients: crate::Clients| async move {
        let suite = clients.unique("tags");
        let launched = run(&clients, 2, &suite, &[]).await;
        let (first, second) = (launched[0].clone(), launched[1].clone());
        clients
            .ec2
            .create_tags()
            .resources(&first)
            .resources(&second)
            .tags(tag("Environment", "staging"))
            .tags(tag("Owner", "ops"))
            .send()
            .await
            .expect("the tags are created");
        let expected = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            let mut pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect();
            pairs.sort();
            pairs
        };
        assert_eq!(
            described_tags(&clients, &first).await,
            expected(&[
                (SUITE, &suite),
                ("Environment", "staging"),
                ("Owner", "ops")
            ])
        );
        // Setting a key again replaces its value.
        clients
            .ec2
            .create_tags()
            .resources(&first)
            .tags(tag("Environment", "production"))
            .send()
            .await
            .expect("the tag is replaced");
        // A tag named with a value is deleted only where it has that value.
        clients
            .ec2
            .delete_tags()
            .resources(&first)
            .resources(&second)
            .tags(tag("Environment", "staging"))
            .send()
            .await
            .expect("the tag is deleted");
        assert_eq!(
            described_tags(&clients, &first).await,
            expected(&[
                (SUITE, &suite),
                ("Environment", "production"),
                ("Owner", "ops")
            ])
        );
        assert_eq!(
            described_tags(&clients, &second).await,
            expected(&[(SUITE, &suite), ("Owner", "ops")])
        );
        // A key named without a value is deleted whatever its value.
        clients
            .ec2
            .delete_tags()
            .resources(&first)
            .tags(Tag::builder().key("Environment").build())
            .send()
            .await
            .expect("the key is deleted");
        assert_eq!(
            described_tags(&clients, &first).await,
            expected(&[(SUITE, &suite), ("Owner", "ops")])
        );
        // DescribeTags filters by key and value too.
        let owned = clients
            .ec2
            .describe_tags()
            .filters(filter("resource-id", &[&first, &second]))
            .filters(filter("key", &["Owner"]))
            .send()
            .await
            .expect("the tags are described");
        let mut owners: Vec<String> = owned
            .tags()
            .iter()
            .map(|tag| {
                assert_eq!(tag.value(), Some("ops"));
                assert_eq!(
                    tag.resource_type().map(ResourceType::as_str),
                    Some("instance")
                );
                tag.resource_id().unwrap_or_default().to_owned()
            })
            .collect();
        owners.sort();
        assert_eq!(owners, launched);
        // Tag keys starting with aws: are AWS's own.
        if !clients.moto_differs("moto accepts tag keys starting with aws:") {
            let (code, message) = error_of(
                clients
                    .ec2
                    .create_tags()
                    .resources(&first)
                    .tags(tag("aws:owner", "me"))
                    .send()
                    .await,
            );
            assert_eq!(code, "InvalidParameterValue", "{message}");
            assert_eq!(
                described_tags(&clients, &first).await,
                expected(&[(SUITE, &suite), ("Owner", "ops")])
            );
        }
        clients.finish().await;
    }
);

crosscheck!(
    stop_start_and_terminate_move_through_ec2_states,
    |clients: crate::Clients| async move {
        let suite = clients.unique("states");
        let launched = run(&clients, 2, &suite, &[]).await;
        wait_for(&clients, &launched, "running").await;
        let (first, second) = (launched[0].clone(), launched[1].clone());

        let stopped = clients
            .ec2
            .stop_instances()
            .instance_ids(&first)
            .send()
            .await
            .expect("the instance stops");
        assert_eq!(
            changes(stopped.stopping_instances()),
            [(first.clone(), "running".to_owned(), "stopping".to_owned())]
        );
        wait_for(&clients, std::slice::from_ref(&first), "stopped").await;
        assert_eq!(
            described_ids(
                &clients,
                &[
                    filter(&format!("tag:{SUITE}"), &[&suite]),
                    filter("instance-state-name", &["stopped"])
                ]
            )
            .await,
            std::slice::from_ref(&first)
        );

        let started = clients
            .ec2
            .start_instances()
            .instance_ids(&first)
            .send()
            .await
            .expect("the instance starts");
        assert_eq!(
            changes(started.starting_instances()),
            [(first.clone(), "stopped".to_owned(), "pending".to_owned())]
        );
        wait_for(&clients, std::slice::from_ref(&first), "running").await;

        let terminated = clients
            .ec2
            .terminate_instances()
            .instance_ids(&first)
            .instance_ids(&second)
            .send()
            .await
            .expect("the instances terminate");
        let terminating = changes(terminated.terminating_instances());
        assert_eq!(terminating.len(), 2);
        for (instance_id, previous, current) in &terminating {
            assert!(launched.contains(instance_id));
            assert_eq!(previous, "running");
            assert_eq!(current, "shutting-down");
        }
        wait_for(&clients, &launched, "terminated").await;
        // A terminated instance cannot be started again.
        if !clients.moto_differs("moto starts a terminated instance again") {
            let (code, message) = error_of(
                clients
                    .ec2
                    .start_instances()
                    .instance_ids(&first)
                    .send()
                    .await,
            );
            assert_eq!(code, "IncorrectInstanceState", "{message}");
        }
        clients.finish().await;
    }
);

crosscheck!(
    instance_profiles_are_associated_and_listed,
    |clients: crate::Clients| async move {
        let profile = clients.unique("web-profile");
        // moto, like AWS, looks the profile up in IAM; the local cloud has
        // no IAM instance profiles and takes any well-formed name.
        let arn = if clients.is_moto() {
            clients
                .iam
                .create_instance_profile()
                .instance_profile_name(&profile)
                .send()
                .await
                .expect("the profile is created")
                .instance_profile()
                .map(|created| created.arn().to_owned())
                .expect("the profile has an ARN")
        } else {
            format!("arn:aws:iam::000000000000:instance-profile/{profile}")
        };
        let suite = clients.unique("profiles");
        let launched = run(&clients, 1, &suite, &[]).await;
        let instance_id = launched[0].clone();

        let associated = clients
            .ec2
            .associate_iam_instance_profile()
            .instance_id(&instance_id)
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name(&profile)
                    .build(),
            )
            .send()
            .await
            .expect("the profile is associated");
        let association = associated
            .iam_instance_profile_association()
            .expect("an association");
        assert_eq!(association.instance_id(), Some(instance_id.as_str()));
        assert_eq!(
            association
                .iam_instance_profile()
                .and_then(|profile| profile.arn()),
            Some(arn.as_str())
        );
        let association_id = association.association_id().expect("an id").to_owned();

        let listed = clients
            .ec2
            .describe_iam_instance_profile_associations()
            .filters(filter("instance-id", &[&instance_id]))
            .send()
            .await
            .expect("the associations are listed");
        let listed = listed.iam_instance_profile_associations();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].association_id(), Some(association_id.as_str()));
        // The instance shows its profile.
        let (instances, _) =
            describe_pages(&clients, &[filter("instance-id", &[&instance_id])], None).await;
        assert_eq!(
            instances[0]
                .iam_instance_profile()
                .and_then(|profile| profile.arn()),
            Some(arn.as_str())
        );
        // An instance has at most one association.
        let (code, message) = error_of(
            clients
                .ec2
                .associate_iam_instance_profile()
                .instance_id(&instance_id)
                .iam_instance_profile(
                    IamInstanceProfileSpecification::builder()
                        .name(&profile)
                        .build(),
                )
                .send()
                .await,
        );
        assert_eq!(code, "IncorrectState", "{message}");
        clients.finish().await;
    }
);

crosscheck!(
    bad_requests_get_ec2_error_codes,
    |clients: crate::Clients| async move {
        let ec2 = &clients.ec2;
        // A well-formed id that names no instance.
        let (code, message) = error_of(
            ec2.describe_instances()
                .instance_ids("i-0123456789abcdef0")
                .send()
                .await,
        );
        assert_eq!(code, "InvalidInstanceID.NotFound", "{message}");
        assert!(message.contains("i-0123456789abcdef0"), "{message}");
        let (code, _) = error_of(
            ec2.stop_instances()
                .instance_ids("i-0123456789abcdef0")
                .send()
                .await,
        );
        assert_eq!(code, "InvalidInstanceID.NotFound");

        // Something that is not an instance id at all.
        let malformed = error_of(ec2.describe_instances().instance_ids("nope").send().await);
        if clients.moto_differs("moto reports a malformed instance id as NotFound") {
            assert_eq!(malformed.0, "InvalidInstanceID.NotFound");
        } else {
            assert_eq!(
                malformed.0, "InvalidInstanceID.Malformed",
                "{}",
                malformed.1
            );
        }

        // A filter EC2 does not have.
        let unknown_filter = ec2
            .describe_instances()
            .filters(filter("colour", &["blue"]))
            .send()
            .await;
        if !clients.moto_differs(
            "moto does not refuse an unknown filter name: its server answers with no instances",
        ) {
            let (code, message) = error_of(unknown_filter);
            assert_eq!(code, "InvalidParameterValue", "{message}");
            assert!(message.contains("colour"), "{message}");
        }

        // Required parameters left out.
        let stop_nothing = ec2.stop_instances().send().await;
        if !clients
            .moto_differs("moto answers a StopInstances without InstanceId with an empty list")
        {
            let (code, message) = error_of(stop_nothing);
            assert_eq!(code, "MissingParameter", "{message}");
        }
        let launched = run(&clients, 1, &clients.unique("errors"), &[]).await;
        let tag_nothing = ec2.create_tags().resources(&launched[0]).send().await;
        if !clients.moto_differs("moto answers a CreateTags without tags with success") {
            let (code, message) = error_of(tag_nothing);
            assert_eq!(code, "MissingParameter", "{message}");
        }

        // Counts that make no sense.
        if !clients.moto_differs(
            "moto launches what it can when MinCount is 0 or above MaxCount instead of refusing",
        ) {
            for (min, max) in [(3, 2), (0, 0)] {
                let (code, message) = error_of(
                    ec2.run_instances()
                        .image_id(IMAGE)
                        .min_count(min)
                        .max_count(max)
                        .send()
                        .await,
                );
                assert_eq!(code, "InvalidParameterValue", "{min}..{max}: {message}");
            }
        }
        clients.finish().await;
    }
);

crosscheck!(
    deploydesk_lists_instances_by_codedeploy_tag_filters,
    |clients: crate::Clients| async move {
        let session = &clients.session;
        let suite = clients.unique("dd-select");
        let web_role = clients.unique("web");
        let db_role = clients.unique("db");
        let launch = |role: &str, env: &str, count: i32| LaunchRequest {
            image_id: IMAGE.to_owned(),
            instance_type: "t3.micro".to_owned(),
            count,
            tags: vec![
                (SUITE.to_owned(), suite.clone()),
                ("Role".to_owned(), role.to_owned()),
                ("Env".to_owned(), env.to_owned()),
                ("Name".to_owned(), format!("{role}-{env}")),
            ],
            instance_profile: None,
        };
        let prod_web = ops::run_instances(session, &launch(&web_role, "prod", 2))
            .await
            .expect("the web instances launch");
        let prod_db = ops::run_instances(session, &launch(&db_role, "prod", 1))
            .await
            .expect("the db instance launches");
        let test_web = ops::run_instances(session, &launch(&web_role, "test", 1))
            .await
            .expect("the test instance launches");
        assert_eq!(prod_web.len(), 2);
        for instance in &prod_web {
            assert_eq!(instance.instance_type, "t3.micro");
            assert_eq!(instance.tags.get("Role"), Some(&web_role));
            assert_eq!(
                instance.name.as_deref(),
                Some(format!("{web_role}-prod").as_str())
            );
            assert!(instance.launch_time.is_some());
            assert!(instance.is_live());
        }
        let all = summary_ids(&[prod_web.clone(), prod_db.clone(), test_web.clone()].concat());

        // Everything carrying the suite tag (one tag:KEY filter on EC2).
        let scope = TagSelection::AnyOf(vec![TagFilter::key_and_value(SUITE, &suite)]);
        let listed = ops::list_instances(session, Some(&scope))
            .await
            .expect("the instances are listed");
        assert_eq!(summary_ids(&listed), all);
        assert!(listed.iter().all(|instance| instance.private_ip.is_some()));

        // A list of filters: ANY may match. Two keys cannot be one EC2
        // filter, so this is matched here.
        let any = TagSelection::AnyOf(vec![
            TagFilter::key_and_value("Role", &db_role),
            TagFilter::value_only(&db_role),
            TagFilter::key_and_value("Name", &format!("{web_role}-test")),
        ]);
        let listed = ops::list_instances(session, Some(&any))
            .await
            .expect("the instances are listed");
        assert_eq!(
            summary_ids(&listed),
            summary_ids(&[prod_db.clone(), test_web.clone()].concat())
        );

        // A tag set: a match in EVERY group.
        let set = TagSelection::tag_set(vec![
            vec![TagFilter::key_and_value(SUITE, &suite)],
            vec![TagFilter::key_and_value("Env", "prod")],
            vec![
                TagFilter::key_and_value("Role", &web_role),
                TagFilter::key_only("NoSuchKey"),
            ],
        ])
        .expect("three groups are allowed");
        let listed = ops::list_instances(session, Some(&set))
            .await
            .expect("the instances are listed");
        assert_eq!(summary_ids(&listed), summary_ids(&prod_web));
        // The preview's rule agrees with what was listed.
        let everything = ops::list_instances(session, Some(&scope))
            .await
            .expect("the instances are listed");
        let previewed: Vec<Ec2InstanceSummary> = everything
            .into_iter()
            .filter(|instance| instance.is_selected_by(&set))
            .collect();
        assert_eq!(summary_ids(&previewed), summary_ids(&prod_web));

        // A KEY_ONLY filter on a key only these instances have.
        let marker = clients.unique("Marker");
        ops::create_tags(
            session,
            &summary_ids(&prod_db),
            &[(marker.clone(), String::new())],
        )
        .await
        .expect("the marker is set");
        let keyed = TagSelection::AnyOf(vec![TagFilter::key_only(&marker)]);
        let listed = ops::list_instances(session, Some(&keyed))
            .await
            .expect("the instances are listed");
        assert_eq!(summary_ids(&listed), summary_ids(&prod_db));

        // Describing by id gives the same summaries.
        let by_id = ops::describe_instances_by_id(session, &summary_ids(&test_web))
            .await
            .expect("the instance is described");
        assert_eq!(summary_ids(&by_id), summary_ids(&test_web));
        assert_eq!(by_id[0].tags.get("Env").map(String::as_str), Some("test"));
        clients.finish().await;
    }
);

crosscheck!(
    deploydesk_tags_changes_states_and_associates_profiles,
    |clients: crate::Clients| async move {
        let session = &clients.session;
        let suite = clients.unique("dd-ops");
        let launched = ops::run_instances(
            session,
            &LaunchRequest {
                image_id: IMAGE.to_owned(),
                instance_type: "t3.small".to_owned(),
                count: 2,
                tags: vec![(SUITE.to_owned(), suite.clone())],
                instance_profile: None,
            },
        )
        .await
        .expect("the instances launch");
        let launched_ids = summary_ids(&launched);

        // Tags are checked before anything is sent, and the bad one named.
        let refused = ops::create_tags(
            session,
            &launched_ids,
            &[
                ("Team".to_owned(), "ops".to_owned()),
                ("aws:reserved".to_owned(), "x".to_owned()),
            ],
        )
        .await
        .expect_err("a reserved key is refused");
        assert!(matches!(refused, CloudError::Invalid { .. }), "{refused:?}");
        assert!(refused.to_string().contains("aws:reserved"), "{refused}");
        let long_value = "v".repeat(257);
        let refused = ops::create_tags(session, &launched_ids, &[("Team".to_owned(), long_value)])
            .await
            .expect_err("a long value is refused");
        assert!(refused.to_string().contains("Team"), "{refused}");
        let team = TagSelection::tag_set(vec![
            vec![TagFilter::key_and_value(SUITE, &suite)],
            vec![TagFilter::key_only("Team")],
        ])
        .expect("a valid set");
        assert!(
            ops::list_instances(session, Some(&team))
                .await
                .expect("listed")
                .is_empty(),
            "nothing was tagged by the refused calls"
        );

        ops::create_tags(
            session,
            &launched_ids,
            &[
                ("Team".to_owned(), "ops".to_owned()),
                ("Tier".to_owned(), "web".to_owned()),
            ],
        )
        .await
        .expect("the tags are set");
        assert_eq!(
            summary_ids(
                &ops::list_instances(session, Some(&team))
                    .await
                    .expect("listed")
            ),
            launched_ids
        );
        // Removal by key and value leaves other values alone; by key alone
        // removes any value.
        ops::delete_tags(
            session,
            &launched_ids,
            &[
                TagRemoval {
                    key: "Team".to_owned(),
                    value: Some("someone-else".to_owned()),
                },
                TagRemoval {
                    key: "Tier".to_owned(),
                    value: None,
                },
            ],
        )
        .await
        .expect("the tags are removed");
        let listed = ops::describe_instances_by_id(session, &launched_ids)
            .await
            .expect("described");
        for instance in &listed {
            assert_eq!(instance.tags.get("Team").map(String::as_str), Some("ops"));
            assert!(!instance.tags.contains_key("Tier"), "{instance:?}");
        }
        let refused = ops::delete_tags(session, &launched_ids, &[])
            .await
            .expect_err("removing every tag must be asked for by name");
        assert!(refused.to_string().contains("name the keys"), "{refused}");

        // Stop, start and terminate through our operations.
        wait_for(&clients, &launched_ids, "running").await;
        let stopping = ops::stop_instances(session, &launched_ids[..1])
            .await
            .expect("stopped");
        assert_eq!(stopping.len(), 1);
        assert_eq!(stopping[0].instance_id, launched_ids[0]);
        assert_eq!(stopping[0].previous, "running");
        assert_eq!(stopping[0].current, "stopping");
        wait_for(&clients, &launched_ids[..1], "stopped").await;
        let starting = ops::start_instances(session, &launched_ids[..1])
            .await
            .expect("started");
        assert_eq!(starting[0].current, "pending");
        let missing = ops::stop_instances(session, &["i-0123456789abcdef0".to_owned()])
            .await
            .expect_err("an unknown instance cannot be stopped");
        assert!(
            matches!(&missing, CloudError::NotFound { code, .. } if code == "InvalidInstanceID.NotFound"),
            "{missing:?}"
        );

        // An instance profile, by name.
        let profile = clients.unique("dd-profile");
        if clients.is_moto() {
            clients
                .iam
                .create_instance_profile()
                .instance_profile_name(&profile)
                .send()
                .await
                .expect("the profile is created");
        }
        let association = ops::associate_instance_profile(
            session,
            &launched_ids[1],
            &InstanceProfile::parse(&profile),
        )
        .await
        .expect("the profile is associated");
        assert_eq!(association.instance_id, launched_ids[1]);
        assert!(
            association
                .profile_arn
                .ends_with(&format!(":instance-profile/{profile}")),
            "{association:?}"
        );
        let associations = ops::list_profile_associations(session, &launched_ids)
            .await
            .expect("the associations are listed");
        assert_eq!(associations.len(), 1);
        assert_eq!(associations[0].association_id, association.association_id);
        let described = ops::describe_instances_by_id(session, &launched_ids[1..])
            .await
            .expect("described");
        assert_eq!(
            described[0].instance_profile_arn.as_deref(),
            Some(association.profile_arn.as_str())
        );

        let terminating = ops::terminate_instances(session, &launched_ids)
            .await
            .expect("terminated");
        assert_eq!(terminating.len(), 2);
        assert!(
            terminating
                .iter()
                .all(|change| change.current == "shutting-down")
        );
        wait_for(&clients, &launched_ids, "terminated").await;
        let gone = ops::describe_instances_by_id(session, &launched_ids)
            .await
            .expect("described");
        assert!(gone.iter().all(|instance| !instance.is_live()));

        // Regions, for the backend switcher.
        let regions = ops::describe_regions(session).await.expect("regions");
        assert!(regions.iter().any(|region| region.name == "us-east-1"));
        assert!(regions.windows(2).all(|pair| pair[0].name < pair[1].name));
        clients.finish().await;
    }
);

crosscheck!(
    deploydesk_tags_more_instances_than_one_call_takes,
    |clients: crate::Clients| async move {
        let session = &clients.session;
        let suite = clients.unique("dd-batch");
        // 1001 instances: one more than CreateTags and DeleteTags take.
        let mut instance_ids = run(&clients, 1000, &suite, &[]).await;
        instance_ids.extend(run(&clients, 1, &suite, &[]).await);
        instance_ids.sort();
        assert_eq!(instance_ids.len(), ops::RESOURCE_BATCH + 1);
        let too_many = clients
            .ec2
            .create_tags()
            .set_resources(Some(instance_ids.clone()))
            .tags(tag("Wave", "one"))
            .send()
            .await;
        if !clients.moto_differs("moto takes more than 1000 resource ids in one CreateTags") {
            let (code, message) = error_of(too_many);
            assert_eq!(code, "InvalidParameterValue", "{message}");
        }

        ops::create_tags(
            session,
            &instance_ids,
            &[("Wave".to_owned(), "two".to_owned())],
        )
        .await
        .expect("the tags are set in batches");
        let wave = TagSelection::tag_set(vec![
            vec![TagFilter::key_and_value(SUITE, &suite)],
            vec![TagFilter::key_and_value("Wave", "two")],
        ])
        .expect("a valid set");
        let tagged = ops::list_instances(session, Some(&wave))
            .await
            .expect("the instances are listed");
        assert!(
            summary_ids(&tagged) == instance_ids,
            "every instance is tagged: {} of {}",
            tagged.len(),
            instance_ids.len()
        );

        ops::delete_tags(
            session,
            &instance_ids,
            &[TagRemoval {
                key: "Wave".to_owned(),
                value: None,
            }],
        )
        .await
        .expect("the tags are removed in batches");
        assert!(
            ops::list_instances(session, Some(&wave))
                .await
                .expect("the instances are listed")
                .is_empty()
        );
        ops::terminate_instances(session, &instance_ids)
            .await
            .expect("the instances are terminated");
        clients.finish().await;
    }
);
