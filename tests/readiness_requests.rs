//! Counts the requests the readiness check sends for 1,000 instances: EC2
//! is read 200 instances at a time, Systems Manager 50 at a time, the
//! instance profile once, and the agent status command's results are paged
//! 50 at a time while it runs. Run with `--nocapture` to see the figures:
//!
//!     cargo test --test readiness_requests -- --nocapture

use std::time::Duration;

use deploydesk::cloud::{Session, readiness};
use deploydesk::domain::readiness::AgentStatus;
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};

const FLEET: usize = 1_000;

/// Requests received by `service:Operation`.
fn count(counts: &std::collections::BTreeMap<String, u64>, operation: &str) -> u64 {
    counts.get(operation).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_of_a_thousand_instances_costs_a_bounded_number_of_requests() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(20),
        fleet: FLEET,
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;

    // The demo fleet comes with one instance profile, which Systems
    // Manager may manage instances with, on every instance.
    let mut ids: Vec<String> = deploydesk::cloud::ec2::list_instances(&session, None)
        .await
        .expect("instances")
        .into_iter()
        .map(|instance| instance.instance_id)
        .collect();
    ids.sort();
    assert_eq!(ids.len(), FLEET);
    cloud.reset_request_counts();
    let fleet = readiness::check(&session, &ids, None)
        .await
        .expect("the check runs");
    let counts = cloud.request_counts();
    let total: u64 = counts.values().sum();
    println!("readiness of {FLEET} instances: {total} requests: {counts:?}");

    assert_eq!(fleet.len(), FLEET);
    assert!(
        fleet
            .iter()
            .all(deploydesk::domain::readiness::Readiness::ready),
        "{:?}",
        fleet.iter().find(|readiness| !readiness.ready())
    );
    assert!(
        fleet
            .iter()
            .all(|readiness| matches!(readiness.facts.agent, AgentStatus::Running(_)))
    );
    // Batched: 200 instances a DescribeInstances, 50 a Systems Manager
    // request; the one profile read once.
    assert_eq!(count(&counts, "ec2:DescribeInstances"), 5);
    assert_eq!(count(&counts, "iam:GetInstanceProfile"), 1);
    assert_eq!(count(&counts, "ssm:DescribeInstanceInformation"), 20);
    assert_eq!(count(&counts, "ssm:SendCommand"), 20);
    // The status command's results, 50 a page, read a few times while it
    // runs (it takes two seconds on the local cloud's clock).
    let listings = count(&counts, "ssm:ListCommandInvocations");
    assert!(
        listings >= 20 && listings.is_multiple_of(20) && listings <= 20 * 8,
        "{listings} ListCommandInvocations"
    );
    assert!(total <= 5 + 4 + 20 + 20 + 20 * 8, "{total} requests");
}
