//! The local cloud's Systems Manager driven by the AWS CLI, as a person at
//! a terminal would install the CodeDeploy agent: an instance role with
//! `AmazonSSMManagedInstanceCore`, an instance launched with it and
//! without an agent, the instance seen online, the agent installed with
//! `aws ssm send-command`, the result read back, the scheduled install
//! the CodeDeploy console sets up, and an error as the CLI shows it.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

use crate::support;

use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;
use support::{aws, aws_cli_available, aws_ok as ok, start};

#[tokio::test]
async fn the_agent_is_installed_through_systems_manager_with_the_cli() {
    if !aws_cli_available("the_agent_is_installed_through_systems_manager_with_the_cli") {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let endpoint = endpoint.as_str();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    ok(
        "iam",
        endpoint,
        &[
            "create-role",
            "--role-name",
            "web-ssm",
            "--assume-role-policy-document",
            trust,
        ],
    )
    .await;
    ok(
        "iam",
        endpoint,
        &[
            "attach-role-policy",
            "--role-name",
            "web-ssm",
            "--policy-arn",
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        ],
    )
    .await;
    ok(
        "iam",
        endpoint,
        &[
            "create-instance-profile",
            "--instance-profile-name",
            "web-ssm",
        ],
    )
    .await;
    ok(
        "iam",
        endpoint,
        &[
            "add-role-to-instance-profile",
            "--instance-profile-name",
            "web-ssm",
            "--role-name",
            "web-ssm",
        ],
    )
    .await;
    let launched = ok(
        "ec2",
        endpoint,
        &[
            "run-instances",
            "--image-id",
            "ami-0abcdef1234567890",
            "--count",
            "1",
            "--iam-instance-profile",
            "Name=web-ssm",
            "--tag-specifications",
            "ResourceType=instance,Tags=[{Key=Role,Value=web},{Key=deploydesk:simulate,Value=no-agent}]",
        ],
    )
    .await;
    let instance_id = launched["Instances"][0]["InstanceId"]
        .as_str()
        .expect("an instance id")
        .to_owned();
    clock.advance_millis(STATE_TRANSITION_MILLIS + 500);

    let described = ok(
        "ssm",
        endpoint,
        &[
            "describe-instance-information",
            "--filters",
            "Key=PingStatus,Values=Online",
        ],
    )
    .await;
    let list = described["InstanceInformationList"]
        .as_array()
        .expect("a list");
    assert_eq!(list.len(), 1, "{described}");
    assert_eq!(list[0]["InstanceId"], instance_id.as_str());
    assert_eq!(list[0]["IamRole"], "web-ssm");
    assert_eq!(list[0]["ResourceType"], "EC2Instance");

    let sent = ok(
        "ssm",
        endpoint,
        &[
            "send-command",
            "--document-name",
            "AWS-ConfigureAWSPackage",
            "--parameters",
            "action=Install,name=AWSCodeDeployAgent",
            "--instance-ids",
            &instance_id,
            "--comment",
            "Install the CodeDeploy agent",
        ],
    )
    .await;
    let command_id = sent["Command"]["CommandId"]
        .as_str()
        .expect("a command id")
        .to_owned();
    assert_eq!(sent["Command"]["Status"], "Pending");
    clock.advance_millis(6000);
    let invocation = ok(
        "ssm",
        endpoint,
        &[
            "get-command-invocation",
            "--command-id",
            &command_id,
            "--instance-id",
            &instance_id,
        ],
    )
    .await;
    assert_eq!(invocation["Status"], "Success", "{invocation}");
    assert!(
        invocation["StandardOutputContent"]
            .as_str()
            .is_some_and(|output| output.contains("Successfully installed")),
        "{invocation}"
    );
    let status = ok(
        "ssm",
        endpoint,
        &[
            "send-command",
            "--document-name",
            "AWS-RunShellScript",
            "--parameters",
            r#"{"commands":["sudo service codedeploy-agent status"]}"#,
            "--targets",
            "Key=tag:Role,Values=web",
        ],
    )
    .await;
    let status_id = status["Command"]["CommandId"].as_str().expect("an id");
    clock.advance_millis(2000);
    let invocations = ok(
        "ssm",
        endpoint,
        &[
            "list-command-invocations",
            "--command-id",
            status_id,
            "--details",
        ],
    )
    .await;
    let plugin = &invocations["CommandInvocations"][0]["CommandPlugins"][0];
    assert_eq!(plugin["Name"], "aws:runShellScript");
    assert!(
        plugin["Output"]
            .as_str()
            .is_some_and(|output| output.starts_with("The AWS CodeDeploy agent is running as PID")),
        "{invocations}"
    );
    let commands = ok("ssm", endpoint, &["list-commands"]).await;
    assert_eq!(commands["Commands"].as_array().map(Vec::len), Some(2));

    let associated = ok(
        "ssm",
        endpoint,
        &[
            "create-association",
            "--name",
            "AWS-ConfigureAWSPackage",
            "--association-name",
            "CodeDeployAgent",
            "--parameters",
            "action=Install,name=AWSCodeDeployAgent",
            "--targets",
            "Key=tag:Role,Values=web",
            "--schedule-expression",
            "rate(14 days)",
        ],
    )
    .await;
    assert_eq!(
        associated["AssociationDescription"]["Overview"]["Status"],
        "Pending"
    );
    clock.advance_millis(6000);
    let listed = ok("ssm", endpoint, &["list-associations"]).await;
    assert_eq!(
        listed["Associations"][0]["Overview"]["Status"], "Success",
        "{listed}"
    );

    let refused = aws(
        "ssm",
        endpoint,
        &[
            "send-command",
            "--document-name",
            "AWS-InstallTheAgentPlease",
            "--instance-ids",
            &instance_id,
        ],
    )
    .await;
    assert!(!refused.success);
    assert!(refused.stderr.contains("InvalidDocument"), "{refused:?}");
    assert!(
        refused.stderr.contains("AWS-ConfigureAWSPackage"),
        "{refused:?}"
    );
}
