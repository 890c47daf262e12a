//! The local cloud's Systems Manager driven by the official SDK on a
//! manual clock: which instances it manages (by their instance profile's
//! role and their state), filters and paging, commands that install,
//! start and stop the CodeDeploy agent and what a deployment then does,
//! invocations that cannot be delivered, associations that install the
//! agent when created and on their schedule, state kept across a restart,
//! and AWS's error codes for bad input.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::types::{DeploymentStatus, ErrorCode};
use aws_sdk_ec2::types::{IamInstanceProfileSpecification, ResourceType, Tag, TagSpecification};
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    AssociationFilter, AssociationFilterKey, CommandInvocationStatus, CommandStatus,
    InstanceInformation, InstanceInformationFilter, InstanceInformationFilterKey,
    InstanceInformationStringFilter, PingStatus, Target,
};
use deploy_support::{Cloud, SIMULATE, START};
use deploydesk::localcloud::ssm::{CodeDeployAgent, agent_of};
use deploydesk::localcloud::{LocalCloudOptions, Timestamp};

/// The package document.
const PACKAGE: &str = "AWS-ConfigureAWSPackage";
/// The shell script document.
const SHELL: &str = "AWS-RunShellScript";
/// The managed policy that lets Systems Manager manage an instance.
const SSM_CORE: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
/// A managed policy that has nothing to do with Systems Manager.
const S3_READ: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
/// The trust policy of an instance role.
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// An inline policy that lets the SSM Agent register, and nothing else.
const REGISTER_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:UpdateInstanceInformation","ec2messages:*"],"Resource":"*"}]}"#;
/// A document's parameters, one value each.
type Params = [(&'static str, &'static str)];
/// The parameters that install the CodeDeploy agent.
const INSTALL: [(&str, &str); 2] = [("action", "Install"), ("name", "AWSCodeDeployAgent")];
/// The parameters that uninstall it.
const UNINSTALL: [(&str, &str); 2] = [("action", "Uninstall"), ("name", "AWSCodeDeployAgent")];
/// Long enough for a launched instance to be running.
const LAUNCH_MS: i64 = 2500;

/// The local cloud with SDK clients for Systems Manager, EC2 and IAM.
struct Fixture {
    cloud: Cloud,
    ssm: aws_sdk_ssm::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
}

impl Fixture {
    async fn start() -> Self {
        Self::with(Cloud::start().await).await
    }

    async fn with(cloud: Cloud) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(cloud.local.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        Self {
            ssm: aws_sdk_ssm::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            cloud,
        }
    }

    /// The fixture with instance profile `ssm-core`, whose role has
    /// `AmazonSSMManagedInstanceCore`.
    async fn with_core_profile() -> Self {
        let fixture = Self::start().await;
        fixture.profile("ssm-core", &[SSM_CORE], None).await;
        fixture
    }

    /// Stops instance `instance_id` through EC2.
    async fn stop(&self, instance_id: &str) {
        self.ec2
            .stop_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .unwrap();
    }

    /// Terminates instance `instance_id` through EC2.
    async fn terminate(&self, instance_id: &str) {
        self.ec2
            .terminate_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .unwrap();
    }

    /// `CreateAssociation` of the agent's install on the instances tagged
    /// `Role=web`, to finish with its schedule.
    fn associate(
        &self,
    ) -> aws_sdk_ssm::operation::create_association::builders::CreateAssociationFluentBuilder {
        self.ssm
            .create_association()
            .name(PACKAGE)
            .parameters("action", vec!["Install".to_owned()])
            .parameters("name", vec!["AWSCodeDeployAgent".to_owned()])
            .targets(tag_target("Role", "web"))
    }

    /// Creates instance profile `name` whose role `name` has the managed
    /// `policies` and, if given, the inline policy `inline`.
    async fn profile(&self, name: &str, policies: &[&str], inline: Option<&str>) {
        self.iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(EC2_TRUST)
            .send()
            .await
            .unwrap();
        for policy in policies {
            self.iam
                .attach_role_policy()
                .role_name(name)
                .policy_arn(*policy)
                .send()
                .await
                .unwrap();
        }
        if let Some(document) = inline {
            self.iam
                .put_role_policy()
                .role_name(name)
                .policy_name("inline")
                .policy_document(document)
                .send()
                .await
                .unwrap();
        }
        self.iam
            .create_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
            .unwrap();
        self.iam
            .add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(name)
            .send()
            .await
            .unwrap();
    }

    /// Launches `count` instances with instance profile `profile` (if any)
    /// and `tags`, waits until they run, and returns their ids in order.
    async fn launch(
        &self,
        count: i32,
        profile: Option<&str>,
        tags: &[(&str, &str)],
    ) -> Vec<String> {
        let mut tagged = TagSpecification::builder().resource_type(ResourceType::Instance);
        for (key, value) in tags {
            tagged = tagged.tags(Tag::builder().key(*key).value(*value).build());
        }
        let launched = self
            .ec2
            .run_instances()
            .image_id("ami-0abcdef1234567890")
            .min_count(count)
            .max_count(count)
            .set_iam_instance_profile(profile.map(|name| {
                IamInstanceProfileSpecification::builder()
                    .name(name)
                    .build()
            }))
            .tag_specifications(tagged.build())
            .send()
            .await
            .unwrap();
        let mut ids: Vec<String> = launched
            .instances()
            .iter()
            .map(|instance| instance.instance_id().unwrap().to_owned())
            .collect();
        ids.sort();
        self.cloud.advance(LAUNCH_MS);
        ids
    }

    /// Every managed instance matching `filters`, in id order.
    async fn managed(
        &self,
        filters: Vec<InstanceInformationStringFilter>,
    ) -> Vec<InstanceInformation> {
        let pages: Vec<_> = self
            .ssm
            .describe_instance_information()
            .set_filters(Some(filters).filter(|filters| !filters.is_empty()))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        pages.into_iter().map(Result::unwrap).collect()
    }

    /// The ids of the managed instances matching `filters`.
    async fn managed_ids(&self, filters: Vec<InstanceInformationStringFilter>) -> Vec<String> {
        self.managed(filters)
            .await
            .iter()
            .map(|info| info.instance_id().unwrap().to_owned())
            .collect()
    }

    /// Sends `document` with `parameters` to `instance_ids` and returns the
    /// command's id.
    async fn send(
        &self,
        document: &str,
        parameters: &[(&str, &str)],
        instance_ids: &[String],
    ) -> String {
        let mut request = self
            .ssm
            .send_command()
            .document_name(document)
            .set_instance_ids(Some(instance_ids.to_vec()));
        for (name, value) in parameters {
            request = request.parameters(*name, vec![(*value).to_owned()]);
        }
        let sent = request.send().await.unwrap();
        let command = sent.command().unwrap();
        assert_eq!(command.status(), Some(&CommandStatus::Pending));
        command.command_id().unwrap().to_owned()
    }

    /// The invocation of `command_id` on `instance_id`.
    async fn invocation(
        &self,
        command_id: &str,
        instance_id: &str,
    ) -> aws_sdk_ssm::operation::get_command_invocation::GetCommandInvocationOutput {
        self.ssm
            .get_command_invocation()
            .command_id(command_id)
            .instance_id(instance_id)
            .send()
            .await
            .unwrap()
    }

    /// The command `command_id` as `ListCommands` shows it.
    async fn command(&self, command_id: &str) -> aws_sdk_ssm::types::Command {
        self.ssm
            .list_commands()
            .command_id(command_id)
            .send()
            .await
            .unwrap()
            .commands()
            .first()
            .unwrap()
            .clone()
    }

    /// The CodeDeploy agent of `instance_id` as the world has it.
    fn agent(&self, instance_id: &str) -> CodeDeployAgent {
        self.cloud
            .local
            .with_world(|world| agent_of(world, instance_id))
            .unwrap()
    }

    /// Deploys a revision to `shop/web` and returns how it ended.
    async fn deploy(&self, revision: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
        let id = self.cloud.deploy("shop", "web", revision).await;
        self.cloud.run_to_end(&id, 200).await
    }
}

/// A `DescribeInstanceInformation` filter.
fn filter(key: &str, values: &[&str]) -> InstanceInformationStringFilter {
    InstanceInformationStringFilter::builder()
        .key(key)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
        .unwrap()
}

/// A `tag:<key>` target.
fn tag_target(key: &str, value: &str) -> Target {
    Target::builder()
        .key(format!("tag:{key}"))
        .values(value)
        .build()
}

/// The error code of a failed call.
fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, aws_sdk_ssm::error::SdkError<E>>,
) -> String {
    let error = result.expect_err("the request is refused");
    assert!(
        error.message().is_some_and(|message| !message.is_empty()),
        "{error:?} says what to change"
    );
    error.code().unwrap().to_owned()
}

/// Seconds since the epoch of an SDK time.
fn secs(time: &aws_smithy_types::DateTime) -> i64 {
    time.secs()
}

#[tokio::test]
async fn instances_are_managed_while_running_with_a_role_that_allows_systems_manager() {
    let fixture = Fixture::with_core_profile().await;
    fixture
        .profile("register-only", &[], Some(REGISTER_ONLY))
        .await;
    fixture.profile("s3-only", &[S3_READ], None).await;
    let core = fixture.launch(1, Some("ssm-core"), &[]).await;
    let inline = fixture.launch(1, Some("register-only"), &[]).await;
    fixture.launch(1, Some("s3-only"), &[]).await;
    fixture.launch(1, None, &[]).await;

    let managed = fixture.managed(Vec::new()).await;
    let mut expected = vec![core[0].clone(), inline[0].clone()];
    expected.sort();
    let ids: Vec<&str> = managed.iter().map(|i| i.instance_id().unwrap()).collect();
    assert_eq!(ids, expected, "only the instances whose role allows it");
    let now = secs(&fixture.cloud.now().into_sdk());
    for info in &managed {
        assert_eq!(info.ping_status(), Some(&PingStatus::Online));
        assert_eq!(
            info.resource_type()
                .map(aws_sdk_ssm::types::ResourceType::as_str),
            Some("EC2Instance")
        );
        assert_eq!(
            info.platform_type()
                .map(aws_sdk_ssm::types::PlatformType::as_str),
            Some("Linux")
        );
        assert!(info.agent_version().is_some_and(|v| !v.is_empty()));
        assert_eq!(info.is_latest_version(), Some(true));
        assert_eq!(info.last_ping_date_time().map(secs), Some(now));
    }
    let role_of = |id: &str| {
        managed
            .iter()
            .find(|info| info.instance_id() == Some(id))
            .and_then(|info| info.iam_role())
            .unwrap()
            .to_owned()
    };
    assert_eq!(role_of(&core[0]), "ssm-core");
    assert_eq!(role_of(&inline[0]), "register-only");

    // Stopped, the instance loses its connection; its last ping is when
    // it stopped. Terminated, it is gone.
    let stopped_at = fixture.cloud.now();
    fixture.stop(&core[0]).await;
    fixture.terminate(&inline[0]).await;
    fixture.cloud.advance(60_000);
    let managed = fixture.managed(Vec::new()).await;
    assert_eq!(managed.len(), 1, "{managed:?}");
    assert_eq!(managed[0].instance_id(), Some(core[0].as_str()));
    assert_eq!(managed[0].ping_status(), Some(&PingStatus::ConnectionLost));
    assert_eq!(
        managed[0].last_ping_date_time().map(secs),
        Some(secs(&stopped_at.into_sdk()))
    );

    // Started again, it is back online.
    fixture
        .ec2
        .start_instances()
        .instance_ids(&core[0])
        .send()
        .await
        .unwrap();
    fixture.cloud.advance(LAUNCH_MS);
    let managed = fixture.managed(Vec::new()).await;
    assert_eq!(managed[0].ping_status(), Some(&PingStatus::Online));

    // A role that loses Systems Manager loses the connection too.
    fixture
        .iam
        .detach_role_policy()
        .role_name("ssm-core")
        .policy_arn(SSM_CORE)
        .send()
        .await
        .unwrap();
    let managed = fixture.managed(Vec::new()).await;
    assert_eq!(managed[0].ping_status(), Some(&PingStatus::ConnectionLost));
}

/// Something `Timestamp` can be compared with SDK times by.
trait IntoSdk {
    fn into_sdk(self) -> aws_smithy_types::DateTime;
}

impl IntoSdk for Timestamp {
    fn into_sdk(self) -> aws_smithy_types::DateTime {
        aws_smithy_types::DateTime::from_millis(self.as_millis())
    }
}

#[tokio::test]
async fn instance_information_is_filtered_and_paged() {
    let fixture = Fixture::with_core_profile().await;
    let prod = fixture
        .launch(4, Some("ssm-core"), &[("Env", "prod")])
        .await;
    let dev = fixture.launch(3, Some("ssm-core"), &[("Env", "dev")]).await;
    fixture.stop(&dev[0]).await;
    fixture.cloud.advance(LAUNCH_MS);

    let mut all: Vec<String> = prod.iter().chain(&dev).cloned().collect();
    all.sort();
    assert_eq!(fixture.managed_ids(Vec::new()).await, all);
    assert_eq!(
        fixture
            .managed_ids(vec![filter("tag:Env", &["prod"])])
            .await,
        prod
    );
    let online = fixture
        .managed_ids(vec![filter("PingStatus", &["Online"])])
        .await;
    assert_eq!(online.len(), 6);
    assert!(!online.contains(&dev[0]));
    assert_eq!(
        fixture
            .managed_ids(vec![
                filter("PingStatus", &["ConnectionLost"]),
                filter("tag:Env", &["dev"]),
            ])
            .await,
        vec![dev[0].clone()]
    );
    assert_eq!(
        fixture
            .managed_ids(vec![filter("InstanceIds", &[&prod[1], &dev[2]])])
            .await
            .len(),
        2
    );
    assert_eq!(
        fixture
            .managed_ids(vec![filter("ResourceType", &["EC2Instance"])])
            .await
            .len(),
        7
    );
    assert!(
        fixture
            .managed_ids(vec![filter("ResourceType", &["ManagedInstance"])])
            .await
            .is_empty()
    );
    let legacy = fixture
        .ssm
        .describe_instance_information()
        .instance_information_filter_list(
            InstanceInformationFilter::builder()
                .key(InstanceInformationFilterKey::InstanceIds)
                .value_set(&prod[0])
                .value_set(&dev[0])
                .build()
                .unwrap(),
        )
        .instance_information_filter_list(
            InstanceInformationFilter::builder()
                .key(InstanceInformationFilterKey::PingStatus)
                .value_set("Online")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = legacy
        .instance_information_list()
        .iter()
        .map(|info| info.instance_id().unwrap())
        .collect();
    assert_eq!(ids, [prod[0].as_str()]);

    // Pages of five by default size ten: one page; of five: two.
    let first = fixture
        .ssm
        .describe_instance_information()
        .send()
        .await
        .unwrap();
    assert_eq!(first.instance_information_list().len(), 7);
    assert!(first.next_token().is_none());
    let first = fixture
        .ssm
        .describe_instance_information()
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.instance_information_list().len(), 5);
    let second = fixture
        .ssm
        .describe_instance_information()
        .max_results(5)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.instance_information_list().len(), 2);
    assert!(second.next_token().is_none());

    // Bad input.
    let describe = || fixture.ssm.describe_instance_information();
    assert_eq!(
        code(describe().max_results(4).send().await),
        "ValidationException"
    );
    assert_eq!(
        code(describe().max_results(51).send().await),
        "ValidationException"
    );
    for (bad, expected) in [
        (filter("Colour", &["red"]), "InvalidFilterKey"),
        (
            filter("PingStatus", &["Asleep"]),
            "InvalidInstanceInformationFilterValue",
        ),
        (filter("InstanceIds", &["web-1"]), "InvalidInstanceId"),
    ] {
        assert_eq!(code(describe().filters(bad).send().await), expected);
    }
    assert_eq!(
        code(describe().next_token("not-a-token").send().await),
        "InvalidNextToken"
    );
}

#[tokio::test]
async fn installing_the_agent_through_systems_manager_lets_a_failed_deployment_succeed() {
    let fixture = Fixture::with_core_profile().await;
    let ids = fixture
        .launch(
            1,
            Some("ssm-core"),
            &[("Role", "web"), (SIMULATE, "no-agent")],
        )
        .await;
    let instance = &ids[0];
    fixture
        .cloud
        .group("shop", "web", "Role", "web", "CodeDeployDefault.AllAtOnce")
        .await;
    assert_eq!(fixture.agent(instance), CodeDeployAgent::NotInstalled);
    let failed = fixture.deploy("v1").await;
    assert_eq!(failed.status(), Some(&DeploymentStatus::Failed));
    assert_eq!(
        failed.error_information().and_then(|e| e.code()),
        Some(&ErrorCode::AgentIssue)
    );

    let command_id = fixture.send(PACKAGE, &INSTALL, &ids).await;
    let pending = fixture.invocation(&command_id, instance).await;
    assert_eq!(pending.status(), Some(&CommandInvocationStatus::Pending));
    fixture.cloud.advance(1000);
    let running = fixture.invocation(&command_id, instance).await;
    assert_eq!(running.status(), Some(&CommandInvocationStatus::InProgress));
    assert_eq!(running.status_details(), Some("In Progress"));
    assert_eq!(
        fixture.command(&command_id).await.status(),
        Some(&CommandStatus::InProgress)
    );
    fixture.cloud.advance(5000);
    let done = fixture.invocation(&command_id, instance).await;
    assert_eq!(done.status(), Some(&CommandInvocationStatus::Success));
    assert_eq!(done.response_code(), 0);
    assert_eq!(done.plugin_name(), Some("configurePackage"));
    assert!(
        done.standard_output_content()
            .unwrap()
            .contains("Successfully installed arn:aws:ssm:::package/AWSCodeDeployAgent 1.7.1"),
        "{done:?}"
    );
    let command = fixture.command(&command_id).await;
    assert_eq!(command.status(), Some(&CommandStatus::Success));
    assert_eq!(command.status_details(), Some("Success"));
    assert_eq!((command.target_count(), command.completed_count()), (1, 1));
    let invocations = fixture
        .ssm
        .list_command_invocations()
        .command_id(&command_id)
        .details(true)
        .send()
        .await
        .unwrap();
    let plugin = &invocations.command_invocations()[0].command_plugins()[0];
    assert_eq!(plugin.name(), Some("configurePackage"));
    assert!(plugin.output().unwrap().contains("Successfully installed"));
    assert_eq!(
        fixture.agent(instance),
        CodeDeployAgent::Running {
            version: "1.7.1".to_owned()
        }
    );

    let succeeded = fixture.deploy("v2").await;
    assert_eq!(succeeded.status(), Some(&DeploymentStatus::Succeeded));

    // Stopped through a shell command, the agent fails the next
    // deployment again; its status says so.
    let stop = fixture
        .send(
            SHELL,
            &[("commands", "sudo service codedeploy-agent stop")],
            &ids,
        )
        .await;
    fixture.cloud.advance(2000);
    assert_eq!(
        fixture.invocation(&stop, instance).await.status(),
        Some(&CommandInvocationStatus::Success)
    );
    let status = fixture
        .send(
            SHELL,
            &[("commands", "sudo service codedeploy-agent status")],
            &ids,
        )
        .await;
    fixture.cloud.advance(2000);
    let stopped = fixture.invocation(&status, instance).await;
    assert_eq!(stopped.status(), Some(&CommandInvocationStatus::Failed));
    assert_eq!(
        stopped.standard_output_content(),
        Some("No AWS CodeDeploy agent running\n")
    );
    let again = fixture.deploy("v3").await;
    assert_eq!(
        again.error_information().and_then(|e| e.code()),
        Some(&ErrorCode::AgentIssue)
    );
    let start = fixture
        .send(
            SHELL,
            &[(
                "commands",
                "sudo systemctl start codedeploy-agent\nsudo systemctl status codedeploy-agent",
            )],
            &ids,
        )
        .await;
    fixture.cloud.advance(2000);
    let started = fixture.invocation(&start, instance).await;
    assert!(
        started
            .standard_output_content()
            .unwrap()
            .starts_with("The AWS CodeDeploy agent is running as PID "),
        "{started:?}"
    );
    assert_eq!(
        fixture.deploy("v4").await.status(),
        Some(&DeploymentStatus::Succeeded)
    );

    // Uninstalled, it is gone.
    let uninstall = fixture.send(PACKAGE, &UNINSTALL, &ids).await;
    fixture.cloud.advance(6000);
    assert_eq!(
        fixture.invocation(&uninstall, instance).await.status(),
        Some(&CommandInvocationStatus::Success)
    );
    assert_eq!(fixture.agent(instance), CodeDeployAgent::NotInstalled);
}

#[tokio::test]
async fn unreachable_instances_time_out_and_terminated_ones_are_undeliverable() {
    let fixture = Fixture::with_core_profile().await;
    let ids = fixture
        .launch(3, Some("ssm-core"), &[("Role", "web")])
        .await;
    let unmanaged = fixture.launch(1, None, &[("Role", "web")]).await;
    let (stopped, running, terminated) = (&ids[0], &ids[1], &ids[2]);
    fixture.stop(stopped).await;
    fixture.cloud.advance(LAUNCH_MS);

    // An instance that never registered cannot be sent to.
    let refused = fixture
        .ssm
        .send_command()
        .document_name(SHELL)
        .parameters("commands", vec!["uptime".to_owned()])
        .instance_ids(running)
        .instance_ids(&unmanaged[0])
        .send()
        .await;
    let error = refused.unwrap_err().into_service_error();
    assert_eq!(error.code(), Some("InvalidInstanceId"));
    assert!(error.message().unwrap().contains(&unmanaged[0]));

    let sent = fixture
        .ssm
        .send_command()
        .document_name(SHELL)
        .parameters("commands", vec!["uptime".to_owned()])
        .targets(tag_target("Role", "web"))
        .timeout_seconds(30)
        .comment("uptime everywhere")
        .send()
        .await
        .unwrap();
    let command = sent.command().unwrap();
    let command_id = command.command_id().unwrap().to_owned();
    assert_eq!(
        command.target_count(),
        3,
        "the unmanaged one is not a target"
    );
    assert_eq!(command.comment(), Some("uptime everywhere"));
    fixture.terminate(terminated).await;
    fixture.cloud.advance(3000);
    assert_eq!(
        fixture.invocation(&command_id, running).await.status(),
        Some(&CommandInvocationStatus::Success)
    );
    let delayed = fixture.invocation(&command_id, stopped).await;
    assert_eq!(delayed.status(), Some(&CommandInvocationStatus::Delayed));
    let gone = fixture.invocation(&command_id, terminated).await;
    assert_eq!(gone.status(), Some(&CommandInvocationStatus::Failed));
    assert_eq!(gone.status_details(), Some("Undeliverable"));
    assert!(
        gone.standard_error_content()
            .unwrap()
            .contains("terminated")
    );
    assert_eq!(
        fixture.command(&command_id).await.status(),
        Some(&CommandStatus::InProgress)
    );

    fixture.cloud.advance(30_000);
    let timed_out = fixture.invocation(&command_id, stopped).await;
    assert_eq!(timed_out.status(), Some(&CommandInvocationStatus::TimedOut));
    assert_eq!(timed_out.status_details(), Some("Delivery Timed Out"));
    assert!(
        timed_out
            .standard_error_content()
            .unwrap()
            .contains("ConnectionLost"),
        "{timed_out:?}"
    );
    let command = fixture.command(&command_id).await;
    assert_eq!(command.status(), Some(&CommandStatus::TimedOut));
    assert_eq!(command.status_details(), Some("Delivery Timed Out"));
    assert_eq!(command.delivery_timed_out_count(), 1);
    assert_eq!(command.completed_count(), 3);
    let listed = fixture
        .ssm
        .list_command_invocations()
        .command_id(&command_id)
        .send()
        .await
        .unwrap();
    let statuses: Vec<&str> = listed
        .command_invocations()
        .iter()
        .map(|invocation| invocation.status_details().unwrap())
        .collect();
    assert_eq!(statuses.len(), 3);
    for status in ["Success", "Delivery Timed Out", "Undeliverable"] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }
}

#[tokio::test]
async fn an_association_installs_the_agent_when_created_on_newcomers_and_on_its_schedule() {
    let fixture = Fixture::with_core_profile().await;
    let ids = fixture
        .launch(
            2,
            Some("ssm-core"),
            &[("Role", "web"), (SIMULATE, "no-agent")],
        )
        .await;
    let create = || {
        fixture
            .associate()
            .association_name("codedeploy-agent")
            .schedule_expression("rate(14 days)")
    };
    let created = create().send().await.unwrap();
    let description = created.association_description().unwrap();
    let association_id = description.association_id().unwrap().to_owned();
    let created_millis = description.date().unwrap().to_millis().unwrap();
    assert_eq!(
        description.overview().and_then(|o| o.status()),
        Some("Pending")
    );
    assert_eq!(description.schedule_expression(), Some("rate(14 days)"));
    assert_eq!(code(create().send().await), "AssociationAlreadyExists");

    fixture.cloud.advance(6000);
    let described = fixture
        .ssm
        .describe_association()
        .association_id(&association_id)
        .send()
        .await
        .unwrap();
    let overview = described
        .association_description()
        .and_then(|d| d.overview())
        .unwrap();
    assert_eq!(overview.status(), Some("Success"));
    assert_eq!(
        overview
            .association_status_aggregated_count()
            .and_then(|counts| counts.get("Success")),
        Some(&2)
    );
    for id in &ids {
        assert!(fixture.agent(id).is_running(), "{id}");
    }

    // An instance that comes online later gets the agent too.
    let newcomer = fixture
        .launch(
            1,
            Some("ssm-core"),
            &[("Role", "web"), (SIMULATE, "no-agent")],
        )
        .await;
    assert!(fixture.agent(&newcomer[0]).is_running());
    let described = fixture
        .ssm
        .describe_association()
        .association_id(&association_id)
        .send()
        .await
        .unwrap();
    let counts = described
        .association_description()
        .and_then(|d| d.overview())
        .and_then(|o| o.association_status_aggregated_count())
        .unwrap();
    assert_eq!(counts.get("Success"), Some(&3));

    // Removed by hand, the agent comes back on the schedule.
    let uninstall = fixture.send(PACKAGE, &UNINSTALL, &ids[..1]).await;
    fixture.cloud.advance(6000);
    assert_eq!(
        fixture.invocation(&uninstall, &ids[0]).await.status(),
        Some(&CommandInvocationStatus::Success)
    );
    assert_eq!(fixture.agent(&ids[0]), CodeDeployAgent::NotInstalled);
    fixture.cloud.advance(13 * 24 * 3_600_000);
    assert_eq!(fixture.agent(&ids[0]), CodeDeployAgent::NotInstalled);
    fixture.cloud.advance(24 * 3_600_000);
    assert!(fixture.agent(&ids[0]).is_running());
    let listed = fixture
        .ssm
        .list_associations()
        .association_filter_list(
            AssociationFilter::builder()
                .key(AssociationFilterKey::Name)
                .value(PACKAGE)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let listed = &listed.associations()[0];
    assert_eq!(listed.association_id(), Some(association_id.as_str()));
    // It last ran fourteen days after its first run, six seconds after
    // it was created.
    let last = listed.last_execution_date().unwrap().to_millis().unwrap();
    assert_eq!(last, created_millis + 6000 + 14 * 24 * 3_600_000);

    fixture
        .ssm
        .delete_association()
        .association_id(&association_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            fixture
                .ssm
                .describe_association()
                .association_id(&association_id)
                .send()
                .await
        ),
        "AssociationDoesNotExist"
    );
    assert!(
        fixture
            .ssm
            .list_associations()
            .send()
            .await
            .unwrap()
            .associations()
            .is_empty()
    );
}

#[tokio::test]
async fn bad_commands_and_associations_are_refused_with_aws_codes() {
    let fixture = Fixture::with_core_profile().await;
    let ids = fixture.launch(1, Some("ssm-core"), &[]).await;
    let send = |document: &str, parameters: &[(&str, &str)]| {
        let mut request = fixture
            .ssm
            .send_command()
            .document_name(document)
            .set_instance_ids(Some(ids.clone()));
        for (name, value) in parameters {
            request = request.parameters(*name, vec![(*value).to_owned()]);
        }
        request
    };
    let refused: [(&str, &Params, &str); 5] = [
        ("AWS-Nothing", &INSTALL, "InvalidDocument"),
        (
            PACKAGE,
            &[("action", "Remove"), ("name", "AWSCodeDeployAgent")],
            "InvalidParameters",
        ),
        (PACKAGE, &[("action", "Install")], "InvalidParameters"),
        (
            PACKAGE,
            &[("action", "Install"), ("name", "x"), ("colour", "red")],
            "InvalidParameters",
        ),
        (SHELL, &[], "InvalidParameters"),
    ];
    for (document, parameters, expected) in refused {
        assert_eq!(code(send(document, parameters).send().await), expected);
    }
    let install = || send(PACKAGE, &INSTALL);
    let many: Vec<String> = (0..51).map(|n| format!("i-{n:017x}")).collect();
    for (request, expected) in [
        (install().timeout_seconds(10), "ValidationException"),
        (install().max_errors("lots"), "ValidationException"),
        (
            install().targets(tag_target("Role", "web")),
            "ValidationException",
        ),
        (
            install().set_instance_ids(Some(many)),
            "ValidationException",
        ),
        (
            install().set_instance_ids(Some(vec!["i-00000000000000000".to_owned()])),
            "InvalidInstanceId",
        ),
    ] {
        assert_eq!(code(request.send().await), expected);
    }
    assert_eq!(
        code(
            fixture
                .ssm
                .get_command_invocation()
                .command_id("00000000-0000-0000-0000-000000000000")
                .instance_id(&ids[0])
                .send()
                .await
        ),
        "InvocationDoesNotExist"
    );
    assert_eq!(
        code(
            fixture
                .ssm
                .list_commands()
                .command_id("00000000-0000-0000-0000-000000000000")
                .send()
                .await
        ),
        "InvalidCommandId"
    );
    // Nothing was stored by the refused requests.
    assert!(
        fixture
            .ssm
            .list_commands()
            .send()
            .await
            .unwrap()
            .commands()
            .is_empty()
    );

    let associate = |schedule: &str| fixture.associate().schedule_expression(schedule);
    for bad in ["rate(5 minutes)", "every fortnight", "cron(0 2 * *)"] {
        assert_eq!(
            code(associate(bad).send().await),
            "InvalidSchedule",
            "{bad}"
        );
    }
    associate("cron(0 2 ? * SUN *)").send().await.unwrap();
    assert_eq!(
        code(
            fixture
                .ssm
                .create_association()
                .name("AWS-Nothing")
                .targets(tag_target("Role", "web"))
                .send()
                .await
        ),
        "InvalidDocument"
    );
    assert_eq!(
        code(
            fixture
                .associate()
                .set_targets(Some(vec![
                    Target::builder()
                        .key("resource-groups:Name")
                        .values("web")
                        .build()
                ]))
                .send()
                .await
        ),
        "InvalidTarget"
    );
}

#[tokio::test]
async fn commands_associations_and_agents_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let fixture = Fixture::with(Cloud::start_with_state(path.clone(), START).await).await;
    fixture.profile("ssm-core", &[SSM_CORE], None).await;
    let ids = fixture
        .launch(1, Some("ssm-core"), &[(SIMULATE, "no-agent")])
        .await;
    let command_id = fixture
        .send(
            PACKAGE,
            &[
                ("action", "Install"),
                ("name", "AWSCodeDeployAgent"),
                ("version", "1.6.0"),
            ],
            &ids,
        )
        .await;
    fixture.cloud.advance(6000);
    let now = fixture.cloud.now();
    fixture.cloud.local.shutdown().await;

    let restarted = Fixture::with(
        Cloud::start_at(
            LocalCloudOptions {
                state_path: Some(path),
                ..LocalCloudOptions::default()
            },
            now,
        )
        .await,
    )
    .await;
    assert_eq!(
        restarted.invocation(&command_id, &ids[0]).await.status(),
        Some(&CommandInvocationStatus::Success)
    );
    assert_eq!(
        restarted.agent(&ids[0]),
        CodeDeployAgent::Running {
            version: "1.6.0".to_owned()
        }
    );
    assert_eq!(restarted.managed_ids(Vec::new()).await, ids);
}
