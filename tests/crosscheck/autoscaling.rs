//! Auto Scaling and EC2 launch templates, checked against both backends
//! through the SDK. The local cloud launches on its clock (the system's
//! here), so the tests wait for what they expect, briefly.

use std::time::Duration;

use aws_sdk_autoscaling::error::ProvideErrorMetadata;
use aws_sdk_autoscaling::types::{AutoScalingGroup, LaunchTemplateSpecification, Tag};
use aws_sdk_ec2::types::{
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
};

use crate::crosscheck;
use crate::support::Clients;

/// The image templates launch.
const IMAGE: &str = "ami-12c6146b";
/// The launch transition.
const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";

/// The error code of a failed call.
fn code_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    result
        .expect_err("the call fails")
        .code()
        .unwrap_or("none")
        .to_owned()
}

/// Creates a template named `name` that tags instances `Role=web`, and
/// returns its id.
async fn template(clients: &Clients, name: &str) -> String {
    clients
        .ec2
        .create_launch_template()
        .launch_template_name(name)
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(IMAGE)
                .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
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
        .expect("the template is created")
        .launch_template()
        .and_then(|template| template.launch_template_id())
        .expect("an id")
        .to_owned()
}

/// Creates group `name` from template `template_name` with `desired` of 0
/// to 4 instances.
async fn group(clients: &Clients, name: &str, template_name: &str, desired: i32) {
    clients
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(template_name)
                .version("$Latest")
                .build(),
        )
        .min_size(0)
        .max_size(4)
        .desired_capacity(desired)
        .availability_zones("us-east-1a")
        .availability_zones("us-east-1b")
        .tags(
            Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key("Team")
                .value("blue")
                .propagate_at_launch(true)
                .build(),
        )
        .send()
        .await
        .expect("the group is created");
}

/// The group `name`.
async fn describe(clients: &Clients, name: &str) -> AutoScalingGroup {
    clients
        .autoscaling
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

/// Waits up to ten seconds until group `name` has `count` instances, all
/// `InService`, and returns their ids, sorted.
async fn in_service(clients: &Clients, name: &str, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let group = describe(clients, name).await;
        let instances = group.instances();
        if instances.len() == count
            && instances.iter().all(|instance| {
                instance
                    .lifecycle_state()
                    .is_some_and(|state| state.as_str() == "InService")
            })
        {
            let mut ids: Vec<String> = instances
                .iter()
                .map(|instance| instance.instance_id().expect("an id").to_owned())
                .collect();
            ids.sort();
            return ids;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "group {name} did not reach {count} instances in service: {instances:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

crosscheck!(
    a_group_launches_tagged_instances_and_follows_its_desired_capacity,
    |clients: Clients| async move {
        let template_name = clients.unique("template");
        let template_id = template(&clients, &template_name).await;
        let name = clients.unique("group");
        group(&clients, &name, &template_name, 2).await;
        let described = describe(&clients, &name).await;
        assert_eq!(described.min_size(), Some(0));
        assert_eq!(described.max_size(), Some(4));
        assert_eq!(described.desired_capacity(), Some(2));
        assert_eq!(described.availability_zones(), ["us-east-1a", "us-east-1b"]);
        let template = described.launch_template().expect("a template");
        assert_eq!(template.launch_template_id(), Some(template_id.as_str()));
        assert_eq!(
            template.launch_template_name(),
            Some(template_name.as_str())
        );
        assert_eq!(template.version(), Some("$Latest"));
        assert!(
            described
                .auto_scaling_group_arn()
                .is_some_and(|arn| arn.ends_with(&format!(":autoScalingGroupName/{name}"))),
            "{described:?}"
        );
        let tag = &described.tags()[0];
        assert_eq!((tag.key(), tag.value()), (Some("Team"), Some("blue")));
        assert_eq!(tag.propagate_at_launch(), Some(true));

        let ids = in_service(&clients, &name, 2).await;
        let reservations = clients
            .ec2
            .describe_instances()
            .set_instance_ids(Some(ids.clone()))
            .send()
            .await
            .expect("the instances are EC2's");
        let instances: Vec<_> = reservations
            .reservations()
            .iter()
            .flat_map(aws_sdk_ec2::types::Reservation::instances)
            .collect();
        assert_eq!(instances.len(), 2);
        for instance in instances {
            assert_eq!(instance.image_id(), Some(IMAGE));
            let tags: std::collections::BTreeMap<&str, &str> = instance
                .tags()
                .iter()
                .map(|tag| (tag.key().unwrap(), tag.value().unwrap()))
                .collect();
            assert_eq!(tags.get("Team"), Some(&"blue"), "{tags:?}");
            assert_eq!(
                tags.get("aws:autoscaling:groupName"),
                Some(&name.as_str()),
                "{tags:?}"
            );
            assert_eq!(tags.get("Role"), Some(&"web"), "{tags:?}");
        }

        clients
            .autoscaling
            .set_desired_capacity()
            .auto_scaling_group_name(&name)
            .desired_capacity(1)
            .send()
            .await
            .expect("the capacity is set");
        let kept = in_service(&clients, &name, 1).await;
        assert!(ids.contains(&kept[0]));
        if !clients.moto_differs("moto accepts a desired capacity above the group's maximum") {
            let code = code_of(
                clients
                    .autoscaling
                    .set_desired_capacity()
                    .auto_scaling_group_name(&name)
                    .desired_capacity(5)
                    .send()
                    .await,
            );
            assert_eq!(code, "ValidationError");
        }

        clients
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .force_delete(true)
            .send()
            .await
            .expect("the group is deleted with its instances");
        clients.finish().await;
    }
);

crosscheck!(bad_groups_are_refused, |clients: Clients| async move {
    let template_name = clients.unique("template");
    template(&clients, &template_name).await;
    let name = clients.unique("group");
    let create = |name: &str, template_name: &str| {
        clients
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name(template_name)
                    .build(),
            )
            .min_size(1)
            .max_size(2)
            .availability_zones("us-east-1a")
    };
    if !clients.moto_differs("moto accepts a minimum above the maximum") {
        assert_eq!(
            code_of(create(&name, &template_name).min_size(3).send().await),
            "ValidationError",
            "min above max"
        );
    }
    if !clients.moto_differs("moto accepts a desired capacity above the maximum") {
        assert_eq!(
            code_of(
                create(&name, &template_name)
                    .desired_capacity(3)
                    .send()
                    .await
            ),
            "ValidationError",
            "desired above max"
        );
    }
    let code = code_of(create(&name, &clients.unique("ghost")).send().await);
    if !clients.moto_differs(
        "moto refuses a missing launch template with EC2's InvalidLaunchTemplateName.NotFoundException, which Auto Scaling's API does not have",
    ) {
        assert_eq!(code, "ValidationError");
    }
    create(&name, &template_name)
        .min_size(0)
        .desired_capacity(0)
        .send()
        .await
        .expect("a good group is created");
    if !clients.moto_differs("moto accepts a group name that is already taken") {
        assert_eq!(
            code_of(create(&name, &template_name).send().await),
            "AlreadyExists"
        );
    }
    let code = code_of(
        clients
            .autoscaling
            .set_desired_capacity()
            .auto_scaling_group_name(clients.unique("ghost"))
            .desired_capacity(1)
            .send()
            .await,
    );
    if !clients.moto_differs("moto fails with an internal error for a group that does not exist") {
        assert_eq!(code, "ValidationError");
    }
    clients
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("an empty group is deleted");
    clients.finish().await;
});

crosscheck!(
    lifecycle_hooks_are_put_described_and_deleted,
    |clients: Clients| async move {
        let template_name = clients.unique("template");
        template(&clients, &template_name).await;
        let name = clients.unique("group");
        group(&clients, &name, &template_name, 0).await;
        clients
            .autoscaling
            .put_lifecycle_hook()
            .auto_scaling_group_name(&name)
            .lifecycle_hook_name("deploy-hook")
            .lifecycle_transition(LAUNCHING)
            .heartbeat_timeout(600)
            .default_result("CONTINUE")
            .send()
            .await
            .expect("the hook is put");
        let hooks = clients
            .autoscaling
            .describe_lifecycle_hooks()
            .auto_scaling_group_name(&name)
            .send()
            .await
            .expect("the hooks are described");
        let hook = &hooks.lifecycle_hooks()[0];
        assert_eq!(hook.lifecycle_hook_name(), Some("deploy-hook"));
        assert_eq!(hook.auto_scaling_group_name(), Some(name.as_str()));
        assert_eq!(hook.lifecycle_transition(), Some(LAUNCHING));
        assert_eq!(hook.heartbeat_timeout(), Some(600));
        assert_eq!(hook.default_result(), Some("CONTINUE"));
        if !clients.moto_differs("moto reports a global timeout of 48 hours whatever the heartbeat timeout, where AWS takes the smaller of 48 hours and 100 heartbeat timeouts") {
            assert_eq!(hook.global_timeout(), Some(60_000));
        }
        clients
            .autoscaling
            .delete_lifecycle_hook()
            .auto_scaling_group_name(&name)
            .lifecycle_hook_name("deploy-hook")
            .send()
            .await
            .expect("the hook is deleted");
        let hooks = clients
            .autoscaling
            .describe_lifecycle_hooks()
            .auto_scaling_group_name(&name)
            .send()
            .await
            .expect("the hooks are described");
        assert!(hooks.lifecycle_hooks().is_empty());
        clients
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .force_delete(true)
            .send()
            .await
            .expect("the group is deleted");
        clients.finish().await;
    }
);

crosscheck!(
    launch_templates_are_described_by_name_and_version,
    |clients: Clients| async move {
        let name = clients.unique("template");
        let id = template(&clients, &name).await;
        let described = clients
            .ec2
            .describe_launch_templates()
            .launch_template_names(&name)
            .send()
            .await
            .expect("the template is described");
        let found = &described.launch_templates()[0];
        assert_eq!(found.launch_template_id(), Some(id.as_str()));
        assert_eq!(found.default_version_number(), Some(1));
        assert_eq!(found.latest_version_number(), Some(1));
        let versions = clients
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions("$Latest")
            .send()
            .await
            .expect("the versions are described");
        let version = &versions.launch_template_versions()[0];
        assert_eq!(version.version_number(), Some(1));
        assert_eq!(
            version
                .launch_template_data()
                .and_then(|data| data.image_id()),
            Some(IMAGE)
        );
        assert_eq!(
            code_of(
                clients
                    .ec2
                    .create_launch_template()
                    .launch_template_name(&name)
                    .launch_template_data(
                        RequestLaunchTemplateData::builder().image_id(IMAGE).build()
                    )
                    .send()
                    .await
            ),
            "InvalidLaunchTemplateName.AlreadyExistsException"
        );
        clients
            .ec2
            .delete_launch_template()
            .launch_template_id(&id)
            .send()
            .await
            .expect("the template is deleted");
        let gone = clients
            .ec2
            .describe_launch_templates()
            .launch_template_names(&name)
            .send()
            .await;
        assert_eq!(code_of(gone), "InvalidLaunchTemplateName.NotFoundException");
        clients.finish().await;
    }
);
