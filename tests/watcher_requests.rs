//! Counts the requests the deployment watcher sends to the local cloud
//! during a 1,000-target deployment, while targets change and while nothing
//! does. Run with `--nocapture` to see the figures:
//!
//!     cargo test --test watcher_requests -- --nocapture

mod traffic_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deploydesk::cloud::Session;
use deploydesk::cloud::watcher::{self, WatchConfig, WatchState, WatchUpdate};
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};

const FLEET: usize = 1_000;

fn total(counts: &std::collections::BTreeMap<String, u64>) -> u64 {
    counts
        .iter()
        .filter(|(operation, _)| operation.starts_with("codedeploy:"))
        .map(|(_, count)| *count)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_costs_one_request_per_refresh_while_nothing_changes() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(60),
        fleet: FLEET,
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let deployment_id = traffic_support::ec2_blue_green_deployment(
        &session.codedeploy,
        "CodeDeployDefault.HalfAtATime",
    )
    .await;
    cloud.reset_request_counts();

    let updates: Arc<Mutex<Vec<WatchUpdate>>> = Arc::default();
    let sink = Arc::clone(&updates);
    let config = WatchConfig {
        fast: Duration::from_millis(100),
        slow: Duration::from_millis(250),
        slowest_target_read: Duration::from_secs(5),
        ..WatchConfig::default()
    };
    let watch = tokio::spawn(watcher::watch(
        session.clone(),
        deployment_id.clone(),
        config,
        move |update| {
            sink.lock().expect("lock").push(update);
            true
        },
    ));

    // While the replacement instances are deployed to, targets change.
    let deadline = Instant::now() + Duration::from_mins(1);
    let ready = loop {
        let latest = updates
            .lock()
            .expect("lock")
            .iter()
            .rev()
            .find_map(|update| update.deployment.clone());
        if latest
            .as_ref()
            .is_some_and(|deployment| deployment.status.as_str() == "Ready")
        {
            break latest;
        }
        assert!(
            Instant::now() < deadline,
            "the deployment never became Ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(ready.is_some());
    let changing_requests = total(&cloud.request_counts());
    let changing_refreshes = cloud
        .request_counts()
        .get("codedeploy:GetDeployment")
        .copied()
        .unwrap_or(0);
    let targets_seen: usize = updates
        .lock()
        .expect("lock")
        .iter()
        .map(|update| update.targets.len())
        .sum();
    assert!(
        targets_seen >= FLEET,
        "every target was read at least once ({targets_seen})"
    );

    // Ready: nothing changes until someone continues. Count a quiet stretch.
    tokio::time::sleep(Duration::from_millis(500)).await;
    cloud.reset_request_counts();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let quiet = cloud.request_counts();
    let quiet_refreshes = quiet.get("codedeploy:GetDeployment").copied().unwrap_or(0);
    let quiet_requests = total(&quiet);
    let quiet_batch_reads = quiet
        .get("codedeploy:BatchGetDeploymentTargets")
        .copied()
        .unwrap_or(0);

    println!(
        "watcher targets={FLEET} changing: requests={changing_requests} refreshes={changing_refreshes} per_refresh={:.2}",
        changing_requests as f64 / changing_refreshes.max(1) as f64
    );
    println!(
        "watcher targets={FLEET} quiet: requests={quiet_requests} refreshes={quiet_refreshes} per_refresh={:.2}",
        quiet_requests as f64 / quiet_refreshes.max(1) as f64
    );
    assert!(
        quiet_refreshes >= 5,
        "the watcher kept refreshing ({quiet_refreshes})"
    );
    // The goal: one request per refresh while nothing changes. Target reads
    // while quiet come at most every few seconds, never every refresh.
    assert!(
        quiet_batch_reads <= 40,
        "{quiet_batch_reads} batch reads while quiet"
    );
    assert!(
        quiet_requests as f64 / quiet_refreshes as f64 <= 1.0 + 40.0 / quiet_refreshes as f64,
        "{quiet_requests} requests in {quiet_refreshes} refreshes"
    );
    // No request was refused: batch reads never asked for more than 25 ids.
    assert!(updates.lock().expect("lock").iter().all(|update| !matches!(
        update.state,
        WatchState::Failing { .. } | WatchState::Gone(_)
    )));
    watch.abort();
    cloud.shutdown().await;
}

/// Starts a watcher on `deployment_id` and collects its updates.
fn start_watching(
    session: &Session,
    deployment_id: &str,
) -> (Arc<Mutex<Vec<WatchUpdate>>>, tokio::task::JoinHandle<()>) {
    let updates: Arc<Mutex<Vec<WatchUpdate>>> = Arc::default();
    let sink = Arc::clone(&updates);
    let config = WatchConfig {
        fast: Duration::from_millis(50),
        slow: Duration::from_millis(100),
        slowest_target_read: Duration::from_millis(400),
        throttle_backoff: Duration::from_millis(50),
        ..WatchConfig::default()
    };
    let task = tokio::spawn(watcher::watch(
        session.clone(),
        deployment_id.to_owned(),
        config,
        move |update| {
            sink.lock().expect("lock").push(update);
            true
        },
    ));
    (updates, task)
}

async fn wait_for(
    updates: &Mutex<Vec<WatchUpdate>>,
    what: &str,
    condition: impl Fn(&WatchUpdate) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !updates.lock().expect("lock").iter().any(&condition) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_reported_and_backed_off() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(20),
        fleet: 4,
        faults: deploydesk::localcloud::FaultSpec::parse("codedeploy:GetDeployment=throttle:1.0")
            .expect("a valid spec"),
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let (updates, task) = start_watching(&session, "d-ABCDEFGHI");
    wait_for(&updates, "a throttled state", |update| {
        matches!(update.state, WatchState::Throttled { .. })
    })
    .await;
    // Backing off: far fewer requests than refreshes at full speed would send.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = cloud
        .request_counts()
        .get("codedeploy:GetDeployment")
        .copied()
        .unwrap_or(0);
    // At 50 ms a refresh, half a second would be ten or more; backing off
    // from 50 ms, doubling with jitter, it is a handful. The SDK's own
    // retries multiply each attempt by at most three.
    assert!(
        sent <= 3 * 8,
        "{sent} GetDeployment requests while throttled"
    );
    task.abort();
    cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_deployment_ends_the_watch_with_a_message() {
    let cloud = LocalCloud::start(LocalCloudOptions::default())
        .await
        .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let (updates, task) = start_watching(&session, "d-NOTTHERE1");
    wait_for(&updates, "the gone state", |update| {
        matches!(update.state, WatchState::Gone(_))
    })
    .await;
    assert!(task.await.is_ok(), "the watcher stops by itself");
    cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_goes_away_is_reported_and_retried() {
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_secs(30),
        fleet: 3,
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let deployment_id = traffic_support::ec2_blue_green_deployment(
        &session.codedeploy,
        "CodeDeployDefault.HalfAtATime",
    )
    .await;
    let (updates, task) = start_watching(&session, &deployment_id);
    wait_for(&updates, "the deployment", |update| {
        update.deployment.is_some()
    })
    .await;
    cloud.shutdown().await;
    wait_for(&updates, "a failing state", |update| {
        matches!(&update.state, WatchState::Failing { message, .. } if message.contains("Could not reach"))
    })
    .await;
    task.abort();
}

/// A Lambda canary on `session`'s account: function `orders` with versions
/// 1 and 2, alias `live` at 1, a Lambda application and group, and a
/// deployment moving the alias by `config`. Returns its id.
async fn lambda_canary(session: &Session, config: &str) -> String {
    traffic_support::orders_function(session, None).await;
    traffic_support::orders_group(session, false).await;
    session
        .codedeploy
        .create_deployment()
        .application_name("orders")
        .deployment_group_name("live")
        .deployment_config_name(config)
        .revision(traffic_support::appspec(traffic_support::ORDERS_APPSPEC))
        .send()
        .await
        .expect("deployment")
        .deployment_id()
        .expect("id")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_costs_two_requests_per_refresh_and_every_step_is_seen() {
    use deploydesk::cloud::deployments::Traffic;
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: Duration::from_millis(50),
        minute: Duration::from_millis(300),
        ..LocalCloudOptions::default()
    })
    .await
    .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    let deployment_id = lambda_canary(
        &session,
        "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    )
    .await;
    cloud.reset_request_counts();
    let (updates, task) = start_watching(&session, &deployment_id);
    wait_for(&updates, "the end of the canary", |update| {
        update.state == WatchState::Finished
    })
    .await;
    let counts = cloud.request_counts();
    let refreshes = counts.get("codedeploy:GetDeployment").copied().unwrap_or(0);
    let requests = total(&counts);
    println!(
        "watcher lambda canary: requests={requests} refreshes={refreshes} per_refresh={:.2}",
        requests as f64 / refreshes.max(1) as f64
    );
    // One GetDeployment and one BatchGetDeploymentTargets a refresh, and
    // the target list once.
    assert!(refreshes >= 10, "{refreshes} refreshes");
    assert!(
        requests <= 2 * refreshes + 1,
        "{requests} requests in {refreshes} refreshes"
    );
    // Every 10 % step of the linear configuration reached the view.
    let seen: std::collections::BTreeSet<i64> = updates
        .lock()
        .expect("lock")
        .iter()
        .flat_map(|update| update.targets.iter())
        .filter_map(|target| target.traffic.as_ref())
        .map(|traffic: &Traffic| traffic.replacement_percent().round() as i64)
        .collect();
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    );
    task.abort();
    cloud.shutdown().await;
}
