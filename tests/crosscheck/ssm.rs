//! Systems Manager, checked against both backends through the SDK: commands
//! sent to instances whose role allows Systems Manager, by id and by tag,
//! their invocations and listing, associations, and errors. The local
//! cloud runs commands on its clock (the system's here), so the tests wait
//! for what they expect, briefly.
//!
//! moto (5.x) implements `SendCommand`, `ListCommands` and
//! `GetCommandInvocation` only partially and the rest not at all: it
//! neither knows which instances are managed (no
//! `DescribeInstanceInformation`, and it sends to any instance id, even one
//! that does not exist) nor checks documents and their parameters; its
//! commands end at once with `Success`, with `StatusDetails` "Details
//! placeholder"; a command sent by `InstanceIds` goes to every instance
//! moto has; an unknown command id in `GetCommandInvocation` is
//! `InvalidCommandId` where AWS answers `InvocationDoesNotExist`; and it has
//! no associations. Those checks run on the local cloud only, each saying
//! so. What an instance's CodeDeploy agent does is the local cloud's own
//! and is not checked here.

use std::time::Duration;

use aws_sdk_ec2::types::{IamInstanceProfileSpecification, ResourceType, Tag, TagSpecification};
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{CommandInvocationStatus, PingStatus, Target};

use crate::Clients;
use crate::crosscheck;

/// The image instances launch from.
const IMAGE: &str = "ami-12c6146b";
/// An inline policy that lets an instance's SSM Agent register, as the
/// managed policy `AmazonSSMManagedInstanceCore` does (which moto does not
/// have).
const SSM_REGISTER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:UpdateInstanceInformation","ssmmessages:*","ec2messages:*"],"Resource":"*"}]}"#;
/// The trust policy of an instance role.
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// The shell script document.
const SHELL: &str = "AWS-RunShellScript";
/// How long the tests wait for the local cloud's clock.
const WAIT: Duration = Duration::from_secs(15);

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

/// Launches `count` instances tagged `Role=role` with an instance profile
/// whose role allows Systems Manager, waits (on the local
/// cloud) until Systems Manager sees them online, and returns their ids,
/// sorted.
async fn managed_instances(clients: &Clients, count: i32, role: &str) -> Vec<String> {
    let name = clients.unique("ssm-instance");
    clients
        .iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(EC2_TRUST)
        .send()
        .await
        .expect("the role is created");
    clients
        .iam
        .put_role_policy()
        .role_name(&name)
        .policy_name("systems-manager")
        .policy_document(SSM_REGISTER)
        .send()
        .await
        .expect("the policy is put");
    clients
        .iam
        .create_instance_profile()
        .instance_profile_name(&name)
        .send()
        .await
        .expect("the profile is created");
    clients
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name(&name)
        .role_name(&name)
        .send()
        .await
        .expect("the role is added");
    let launched = clients
        .ec2
        .run_instances()
        .image_id(IMAGE)
        .min_count(count)
        .max_count(count)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name(&name)
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .tags(Tag::builder().key("Role").value(role).build())
                .build(),
        )
        .send()
        .await
        .expect("the instances launch");
    let mut ids: Vec<String> = launched
        .instances()
        .iter()
        .map(|instance| instance.instance_id().expect("an id").to_owned())
        .collect();
    ids.sort();
    if clients.moto_differs("moto has no DescribeInstanceInformation to wait on") {
        return ids;
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let online = clients
            .ssm
            .describe_instance_information()
            .filters(
                aws_sdk_ssm::types::InstanceInformationStringFilter::builder()
                    .key("InstanceIds")
                    .set_values(Some(ids.clone()))
                    .build()
                    .expect("a filter"),
            )
            .send()
            .await
            .expect("instances are described")
            .instance_information_list()
            .iter()
            .filter(|info| info.ping_status() == Some(&PingStatus::Online))
            .count();
        if online == ids.len() {
            return ids;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{ids:?} did not come online"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the invocation of `command_id` on `instance_id` has ended,
/// and returns it.
async fn ended(
    clients: &Clients,
    command_id: &str,
    instance_id: &str,
) -> aws_sdk_ssm::operation::get_command_invocation::GetCommandInvocationOutput {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let invocation = clients
            .ssm
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance_id)
            .send()
            .await
            .expect("the invocation is read");
        let running = matches!(
            invocation.status(),
            Some(
                CommandInvocationStatus::Pending
                    | CommandInvocationStatus::InProgress
                    | CommandInvocationStatus::Delayed
            )
        );
        if !running {
            return invocation;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the invocation on {instance_id} did not end: {invocation:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

crosscheck!(
    a_shell_command_runs_on_the_instances_it_names,
    |clients: Clients| async move {
        let role = clients.unique("web");
        let ids = managed_instances(&clients, 2, &role).await;
        let sent = clients
            .ssm
            .send_command()
            .document_name(SHELL)
            .parameters("commands", vec!["uptime".to_owned()])
            .set_instance_ids(Some(ids.clone()))
            .comment("how long up")
            .timeout_seconds(600)
            .send()
            .await
            .expect("the command is sent");
        let command = sent.command().expect("the command");
        let command_id = command.command_id().expect("an id").to_owned();
        assert_eq!(command.document_name(), Some(SHELL));
        assert_eq!(command.comment(), Some("how long up"));
        assert_eq!(command.timeout_seconds(), Some(600));
        assert_eq!(command.max_concurrency(), Some("50"));
        assert_eq!(command.max_errors(), Some("0"));
        let mut instance_ids = command.instance_ids().to_vec();
        instance_ids.sort();
        if clients.moto_differs(
            "moto adds every instance it has to a command sent by InstanceIds (it reads the absent Targets as a filter that matches all)",
        ) {
            assert!(ids.iter().all(|id| instance_ids.contains(id)));
        } else {
            assert_eq!(instance_ids, ids);
        }
        assert_eq!(
            command
                .parameters()
                .and_then(|parameters| parameters.get("commands")),
            Some(&vec!["uptime".to_owned()])
        );

        for id in &ids {
            let invocation = ended(&clients, &command_id, id).await;
            assert_eq!(invocation.status(), Some(&CommandInvocationStatus::Success));
            assert_eq!(invocation.response_code(), 0);
            assert_eq!(invocation.plugin_name(), Some("aws:runShellScript"));
            assert_eq!(invocation.document_name(), Some(SHELL));
            assert_eq!(invocation.comment(), Some("how long up"));
        }

        let listed = clients
            .ssm
            .list_commands()
            .command_id(&command_id)
            .send()
            .await
            .expect("the command is listed");
        let listed = listed.commands();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].command_id(), Some(command_id.as_str()));
        assert_eq!(
            listed[0].status(),
            Some(&aws_sdk_ssm::types::CommandStatus::Success)
        );
        if !clients.moto_differs(
            "moto's StatusDetails is a placeholder and its counts take in every instance",
        ) {
            assert_eq!(listed[0].target_count(), 2);
            assert_eq!(listed[0].status_details(), Some("Success"));
            assert_eq!(listed[0].completed_count(), 2);
        }
        let by_instance = clients
            .ssm
            .list_commands()
            .instance_id(&ids[0])
            .send()
            .await
            .expect("the instance's commands are listed");
        assert!(
            by_instance
                .commands()
                .iter()
                .any(|listed| listed.command_id() == Some(command_id.as_str()))
        );

        if !clients.moto_differs("moto has no ListCommandInvocations") {
            let invocations = clients
                .ssm
                .list_command_invocations()
                .command_id(&command_id)
                .details(true)
                .send()
                .await
                .expect("the invocations are listed");
            assert_eq!(invocations.command_invocations().len(), 2);
            for invocation in invocations.command_invocations() {
                let plugin = &invocation.command_plugins()[0];
                assert_eq!(plugin.name(), Some("aws:runShellScript"));
                assert_eq!(plugin.response_code(), 0);
            }
        }
        clients.finish().await;
    }
);

crosscheck!(
    a_command_targeted_by_tag_reaches_every_tagged_instance,
    |clients: Clients| async move {
        let role = clients.unique("tagged");
        let ids = managed_instances(&clients, 2, &role).await;
        let sent = clients
            .ssm
            .send_command()
            .document_name(SHELL)
            .parameters("commands", vec!["echo hello".to_owned()])
            .targets(Target::builder().key("tag:Role").values(&role).build())
            .send()
            .await
            .expect("the command is sent");
        let command = sent.command().expect("the command");
        let command_id = command.command_id().expect("an id").to_owned();
        assert_eq!(command.target_count(), 2);
        let target = &command.targets()[0];
        assert_eq!(target.key(), Some("tag:Role"));
        assert_eq!(target.values(), std::slice::from_ref(&role));
        for id in &ids {
            let invocation = ended(&clients, &command_id, id).await;
            assert_eq!(invocation.status(), Some(&CommandInvocationStatus::Success));
        }
        clients.finish().await;
    }
);

crosscheck!(
    commands_that_cannot_run_are_refused,
    |clients: Clients| async move {
        let ids = managed_instances(&clients, 1, &clients.unique("refused")).await;
        let unknown = clients
            .ssm
            .list_commands()
            .command_id("00000000-0000-0000-0000-000000000000")
            .send()
            .await;
        assert_eq!(code_of(unknown), "InvalidCommandId");
        let invocation = clients
            .ssm
            .get_command_invocation()
            .command_id("00000000-0000-0000-0000-000000000000")
            .instance_id(&ids[0])
            .send()
            .await;
        if !clients.moto_differs(
            "moto answers an unknown command with InvalidCommandId, AWS with InvocationDoesNotExist",
        ) {
            assert_eq!(code_of(invocation), "InvocationDoesNotExist");
        }
        if clients
            .moto_differs("moto sends any document to any instance id, and checks no parameters")
        {
            clients.finish().await;
            return;
        }
        let send = |document: &str, instance_id: &str| {
            clients
                .ssm
                .send_command()
                .document_name(document)
                .parameters("commands", vec!["uptime".to_owned()])
                .instance_ids(instance_id)
        };
        assert_eq!(
            code_of(send("AWS-NoSuchDocument", &ids[0]).send().await),
            "InvalidDocument"
        );
        assert_eq!(
            code_of(send(SHELL, "i-00000000000000000").send().await),
            "InvalidInstanceId"
        );
        let bad_parameters = clients
            .ssm
            .send_command()
            .document_name("AWS-ConfigureAWSPackage")
            .parameters("action", vec!["Reinstall".to_owned()])
            .parameters("name", vec!["AWSCodeDeployAgent".to_owned()])
            .instance_ids(&ids[0])
            .send()
            .await;
        assert_eq!(code_of(bad_parameters), "InvalidParameters");
        clients.finish().await;
    }
);

crosscheck!(
    an_association_is_created_described_listed_and_deleted,
    |clients: Clients| async move {
        if clients.moto_differs("moto has no Systems Manager associations") {
            return;
        }
        let role = clients.unique("associated");
        managed_instances(&clients, 1, &role).await;
        let create = || {
            clients
                .ssm
                .create_association()
                .name("AWS-ConfigureAWSPackage")
                .association_name("CodeDeployAgent")
                .parameters("action", vec!["Install".to_owned()])
                .parameters("name", vec!["AWSCodeDeployAgent".to_owned()])
                .targets(Target::builder().key("tag:Role").values(&role).build())
                .schedule_expression("rate(14 days)")
        };
        let created = create().send().await.expect("the association is created");
        let description = created.association_description().expect("a description");
        let association_id = description.association_id().expect("an id").to_owned();
        assert_eq!(description.name(), Some("AWS-ConfigureAWSPackage"));
        assert_eq!(description.association_name(), Some("CodeDeployAgent"));
        assert_eq!(description.schedule_expression(), Some("rate(14 days)"));
        assert_eq!(code_of(create().send().await), "AssociationAlreadyExists");
        let described = clients
            .ssm
            .describe_association()
            .association_id(&association_id)
            .send()
            .await
            .expect("the association is described");
        assert_eq!(
            described
                .association_description()
                .and_then(|d| d.association_id()),
            Some(association_id.as_str())
        );
        let listed = clients
            .ssm
            .list_associations()
            .send()
            .await
            .expect("associations are listed");
        assert!(
            listed
                .associations()
                .iter()
                .any(|a| a.association_id() == Some(association_id.as_str()))
        );
        clients
            .ssm
            .delete_association()
            .association_id(&association_id)
            .send()
            .await
            .expect("the association is deleted");
        let gone = clients
            .ssm
            .describe_association()
            .association_id(&association_id)
            .send()
            .await;
        assert_eq!(code_of(gone), "AssociationDoesNotExist");
        clients.finish().await;
    }
);
