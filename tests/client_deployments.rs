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

/// A local cloud with a fleet of `fleet` instances whose lifecycle events
/// take `event_duration`, the application `shop`, and a session on it.
async fn shop(fleet: usize, event_duration: Duration) -> (LocalCloud, Session) {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration,
        fleet,
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    session
        .codedeploy
        .create_application()
        .application_name("shop")
        .send()
        .await
        .expect("application");
    (cloud, session)
}

/// Makes the group `group` of `shop` over the instances tagged
/// `Environment=environment`, with the configuration `config` (the
/// default when `None`), and starts a deployment of a GitHub revision to
/// it. Returns the deployment's id.
async fn deploy_to_new_group(
    session: &Session,
    group: &str,
    environment: &str,
    config: Option<&str>,
) -> String {
    let client = &session.codedeploy;
    client
        .create_deployment_group()
        .application_name("shop")
        .deployment_group_name(group)
        .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
        .set_deployment_config_name(config.map(str::to_owned))
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
        .expect("deployment")
        .deployment_id
        .expect("an id")
}

#[tokio::test]
async fn deployments_are_listed_by_application_across_its_groups() {
    let (cloud, session) = shop(4, Duration::from_millis(5)).await;
    for (group, environment) in [("staging", "staging"), ("production", "production")] {
        deploy_to_new_group(&session, group, environment, None).await;
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

/// The waves a finished deployment ran in, read from its targets' lifecycle
/// times as the rollout view reads them, are the waves the planner gives
/// for the same fleet and configuration.
#[tokio::test]
async fn the_waves_read_back_from_lifecycle_times_are_the_planners() {
    use deploydesk::domain::MinimumHealthyHosts;
    use deploydesk::domain::config::HALF_AT_A_TIME;
    use deploydesk::domain::health::Health;
    use deploydesk::domain::rollout::{self, ObservedAttempt};

    let (cloud, session) = shop(10, Duration::from_millis(20)).await;
    let deployment_id =
        deploy_to_new_group(&session, "production", "production", Some(HALF_AT_A_TIME)).await;
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while !deployments::get_deployment(&session, &deployment_id)
        .await
        .expect("read")
        .status
        .is_finished()
    {
        assert!(std::time::Instant::now() < deadline, "the deployment ends");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ids = deployments::list_target_ids(&session, &deployment_id)
        .await
        .expect("target ids");
    let targets = deployments::get_targets(&session, &deployment_id, &ids)
        .await
        .expect("targets");
    let attempts: Vec<Option<ObservedAttempt<std::time::SystemTime>>> = targets
        .iter()
        .map(|target| {
            Some(ObservedAttempt {
                started: target
                    .events
                    .iter()
                    .filter_map(|event| event.started)
                    .min()?,
                ended: target.events.iter().filter_map(|event| event.ended).max(),
            })
        })
        .collect();
    let mut observed: Vec<usize> = Vec::new();
    for wave in rollout::observed_waves(&attempts).into_iter().flatten() {
        if observed.len() < wave {
            observed.resize(wave, 0);
        }
        observed[wave - 1] += 1;
    }
    let planned = rollout::plan(
        &vec![Health::NEW; targets.len()],
        MinimumHealthyHosts::from_api("FLEET_PERCENT", 50).expect("half"),
    )
    .expect("a plan");
    let planned: Vec<usize> = planned.waves.iter().map(Vec::len).collect();
    assert_eq!(targets.len(), 5);
    assert_eq!(observed, planned);
    assert!(observed.len() > 1, "{observed:?}");
    cloud.shutdown().await;
}
