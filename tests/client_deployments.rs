//! The client's deployment operations against the local cloud.

use std::time::Duration;

use aws_sdk_codedeploy::types as cd;
use deploydesk::cloud::Session;
use deploydesk::cloud::deployments::{self, DeploymentFilter, DeploymentStatus};
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};

fn ec2_filter(key: &str, value: &str) -> cd::Ec2TagFilter {
    cd::Ec2TagFilter::builder()
        .key(key)
        .value(value)
        .r#type(cd::Ec2TagFilterType::KeyAndValue)
        .build()
}

#[tokio::test]
async fn deployments_are_listed_by_application_across_its_groups() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(5),
        fleet: 4,
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let client = &session.codedeploy;
    client
        .create_application()
        .application_name("shop")
        .send()
        .await
        .expect("application");
    for (group, environment) in [("staging", "staging"), ("production", "production")] {
        client
            .create_deployment_group()
            .application_name("shop")
            .deployment_group_name(group)
            .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
            .ec2_tag_filters(ec2_filter("Environment", environment))
            .send()
            .await
            .expect("group");
        client
            .create_deployment()
            .application_name("shop")
            .deployment_group_name(group)
            .revision(
                cd::RevisionLocation::builder()
                    .revision_type(cd::RevisionLocationType::GitHub)
                    .git_hub_location(
                        cd::GitHubLocation::builder()
                            .repository("example/shop")
                            .commit_id("0123456789abcdef0123456789abcdef01234567")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("deployment");
    }
    let filter = DeploymentFilter {
        application: Some("shop".to_owned()),
        ..DeploymentFilter::default()
    };
    let listed = deployments::list_deployments(&session, &filter)
        .await
        .expect("listed");
    let mut groups: Vec<&str> = listed
        .iter()
        .map(|deployment| deployment.group.as_str())
        .collect();
    groups.sort_unstable();
    assert_eq!(groups, ["production", "staging"]);

    let one_group = DeploymentFilter {
        application: Some("shop".to_owned()),
        group: Some("staging".to_owned()),
        ..DeploymentFilter::default()
    };
    let listed = deployments::list_deployments(&session, &one_group)
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].group, "staging");

    let only_failed = DeploymentFilter {
        statuses: vec![DeploymentStatus::Failed],
        ..DeploymentFilter::default()
    };
    assert!(
        deployments::list_deployments(&session, &only_failed)
            .await
            .expect("listed")
            .is_empty()
    );
    cloud.shutdown().await;
}
