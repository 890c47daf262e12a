//! Load on the local cloud: an all-at-once deployment to 10,000 EC2
//! instances while 16 clients poll it with `GetDeployment`.
//!
//! It prints how long the local cloud took to seed the fleet, to create the
//! deployment, and to run it to the end (against the time its events take),
//! the `GetDeployment` latency (p50, p95, max) under the polling load, how
//! long reading every target back takes, and the process's peak memory
//! (`VmHWM`). Run it with `cargo bench --bench localcloud_load`. Under
//! `cargo test` (no `--bench` argument) it runs a small version as a smoke
//! test. It stops by itself: every loop is bounded in time.

// The tests' helpers: SDK clients, revisions, tag filters, target reads.
#[path = "../tests/deploy_support/mod.rs"]
mod deploy_support;

use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{DeploymentStatus, TargetStatus};
use deploy_support::{client_for, github, read_targets, tag_filter, target_ids};
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};

/// Clients polling the deployment at once.
const POLLERS: usize = 16;
/// How long one lifecycle event takes during the benchmark.
const EVENT: Duration = Duration::from_millis(200);
/// The longest the benchmark waits for the deployment to end.
const DEADLINE: Duration = Duration::from_secs(45);

/// The process's peak resident memory in MiB, from `/proc/self/status`.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The value at `share` (0–1) of sorted `samples`.
fn percentile(samples: &[Duration], share: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let index = ((samples.len() - 1) as f64 * share).round() as usize;
    samples[index.min(samples.len() - 1)]
}

/// Milliseconds with a fraction, for printing.
fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let instances = if full { 10_000 } else { 200 };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("localcloud_load: could not start a tokio runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(run(instances)) {
        println!("localcloud_load failed: {error}");
        std::process::exit(1);
    }
}

async fn run(instances: usize) -> Result<(), String> {
    println!(
        "localcloud_load: all-at-once deployment to {instances} instances, {POLLERS} clients polling GetDeployment, {} ms per event",
        EVENT.as_millis()
    );
    let seeding = Instant::now();
    let cloud = LocalCloud::start(LocalCloudOptions {
        event_duration: EVENT,
        fleet: instances,
        ..LocalCloudOptions::default()
    })
    .await
    .map_err(|error| error.to_string())?;
    let seeded = seeding.elapsed();
    let url = cloud.endpoint_url();
    let admin = client_for(&url).await;
    admin
        .create_application()
        .application_name("load")
        .send()
        .await
        .map_err(|error| format!("CreateApplication: {error:?}"))?;
    admin
        .create_deployment_group()
        .application_name("load")
        .deployment_group_name("fleet")
        .service_role_arn("arn:aws:iam::000000000000:role/CodeDeployServiceRole")
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .ec2_tag_filters(tag_filter("Fleet", "demo"))
        .send()
        .await
        .map_err(|error| format!("CreateDeploymentGroup: {error:?}"))?;

    let creating = Instant::now();
    let deployment_id = admin
        .create_deployment()
        .application_name("load")
        .deployment_group_name("fleet")
        .revision(github("0123456789abcdef0123456789abcdef01234567"))
        .send()
        .await
        .map_err(|error| format!("CreateDeployment: {error:?}"))?
        .deployment_id()
        .unwrap_or_default()
        .to_owned();
    let created = creating.elapsed();

    let mut pollers = Vec::new();
    for _ in 0..POLLERS {
        let client = client_for(&url).await;
        let deployment_id = deployment_id.clone();
        pollers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut finished: Option<(Instant, Option<DeploymentStatus>)> = None;
            let mut failures = 0_u32;
            let deadline = Instant::now() + DEADLINE;
            while finished.is_none() && Instant::now() < deadline {
                let asked = Instant::now();
                match client
                    .get_deployment()
                    .deployment_id(&deployment_id)
                    .send()
                    .await
                {
                    Ok(output) => {
                        latencies.push(asked.elapsed());
                        let status = output
                            .deployment_info()
                            .and_then(|info| info.status())
                            .cloned();
                        if matches!(
                            status,
                            Some(
                                DeploymentStatus::Succeeded
                                    | DeploymentStatus::Failed
                                    | DeploymentStatus::Stopped
                            )
                        ) {
                            finished = Some((Instant::now(), status));
                        }
                    }
                    Err(_) => failures += 1,
                }
            }
            (latencies, finished, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut first_seen_finished: Option<(Instant, Option<DeploymentStatus>)> = None;
    let mut failures = 0;
    for poller in pollers {
        let (samples, finished, failed) = poller.await.map_err(|error| error.to_string())?;
        latencies.extend(samples);
        failures += failed;
        if let Some((at, status)) = finished
            && first_seen_finished
                .as_ref()
                .is_none_or(|(first, _)| at < *first)
        {
            first_seen_finished = Some((at, status));
        }
    }
    let Some((finished_at, status)) = first_seen_finished else {
        return Err(format!(
            "the deployment did not end within {} s",
            DEADLINE.as_secs()
        ));
    };
    let ran = finished_at.duration_since(creating);
    let nominal = EVENT * 7;
    latencies.sort();

    let reading = Instant::now();
    let target_ids = target_ids(&admin, &deployment_id).await;
    let succeeded = read_targets(&admin, &deployment_id, &target_ids)
        .await
        .iter()
        .filter(|target| target.status() == Some(&TargetStatus::Succeeded))
        .count();
    let read = reading.elapsed();
    let requests: u64 = cloud.request_counts().values().sum();
    cloud.shutdown().await;

    println!(
        "  outcome: {} with {succeeded} of {} targets succeeded",
        status.as_ref().map_or("unknown", DeploymentStatus::as_str),
        target_ids.len()
    );
    println!("  seed the fleet: {:.1} ms", ms(seeded));
    println!(
        "  CreateDeployment (targets chosen, rollout set up): {:.1} ms",
        ms(created)
    );
    println!(
        "  created to seen finished: {:.1} ms for {:.0} ms of events ({:.1} ms over)",
        ms(ran),
        ms(nominal),
        ms(ran.saturating_sub(nominal))
    );
    println!(
        "  GetDeployment under {POLLERS} pollers: {} calls, p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms, {failures} failed",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    println!(
        "  read every target back (ListDeploymentTargets + BatchGetDeploymentTargets): {:.1} ms",
        ms(read)
    );
    println!("  requests served: {requests}");
    match peak_memory_mib() {
        Some(peak) => println!("  peak memory (VmHWM): {peak:.1} MiB"),
        None => println!("  peak memory: /proc/self/status is not available here"),
    }
    if succeeded != instances {
        return Err(format!(
            "expected {instances} succeeded targets, found {succeeded}"
        ));
    }
    Ok(())
}
