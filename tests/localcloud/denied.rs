//! The `deny` fault: each service refuses the action as AWS does when no
//! policy allows it, and the client names the IAM action to ask for.

use deploydesk::cloud::{CloudError, Session};
use deploydesk::domain::policy::PolicyDocument;
use deploydesk::localcloud::{FaultSpec, LocalCloud, LocalCloudOptions};

async fn denying(faults: &str) -> (LocalCloud, Session) {
    let cloud = LocalCloud::start(LocalCloudOptions {
        port: 0,
        fleet: 1,
        faults: FaultSpec::parse(faults).expect("a fault spec"),
        ..LocalCloudOptions::default()
    })
    .await
    .expect("the local cloud starts");
    let session = Session::local(&cloud.endpoint_url()).await;
    (cloud, session)
}

fn denied_action(error: CloudError) -> String {
    match error {
        CloudError::AccessDenied { action, message } => {
            assert!(
                message.contains(&format!("is not authorized to perform: {action}")),
                "{message}"
            );
            action
        }
        other => panic!("expected access denied, got {other:?}"),
    }
}

#[tokio::test]
async fn each_service_names_the_denied_action() {
    let (_cloud, session) =
        denying("codedeploy:CreateApplication=deny;ec2:DescribeInstances=deny;iam:CreateRole=deny")
            .await;

    let error = deploydesk::cloud::codedeploy::create_application(
        &session,
        "web",
        deploydesk::domain::ComputePlatform::Server,
    )
    .await
    .expect_err("denied");
    assert_eq!(denied_action(error), "codedeploy:CreateApplication");

    let error = deploydesk::cloud::ec2::list_instances(&session, None)
        .await
        .expect_err("denied");
    let text = error.to_string();
    assert_eq!(denied_action(error), "ec2:DescribeInstances");
    assert!(
        text.ends_with(
            "Ask an administrator to allow ec2:DescribeInstances for your role or user."
        ),
        "{text}"
    );
    assert!(!text.contains(".."), "{text}");

    let role = deploydesk::cloud::iam::NewRole {
        name: "deployer".to_owned(),
        path: None,
        trust_policy: PolicyDocument::trust_for_service("codedeploy.amazonaws.com"),
        description: None,
        tags: Vec::new(),
    };
    let error = deploydesk::cloud::iam::create_role(&session, &role)
        .await
        .expect_err("denied");
    assert_eq!(denied_action(error), "iam:CreateRole");

    // What no rule denies still works.
    deploydesk::cloud::iam::list_roles(&session)
        .await
        .expect("roles are listed");
}
