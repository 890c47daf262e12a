//! What keeping the state on disk costs: `CreateApplication` over four
//! keep-alive connections against an in-process local cloud, in memory and
//! with a state directory (each change synced to the disk before it is
//! answered, or written to the state file and synced in the background),
//! with 100 and with 100,000 applications already stored.
//!
//! For each case it prints the requests answered per second and the
//! latency (p50, p99). Run it with `cargo bench --bench persistence`. Under
//! `cargo test` (no `--bench` argument) it runs a short, small version as a
//! smoke test. Requests are plain HTTP/1.1 written by hand, so the figures
//! measure the local cloud rather than a client library.

use std::time::{Duration, Instant};

use deploydesk::localcloud::codedeploy::state::Application;
use deploydesk::localcloud::{Durability, LocalCloud, LocalCloudOptions, Timestamp};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Keep-alive connections sending requests at once.
const CONNECTIONS: usize = 4;

/// One case of the benchmark.
struct Case {
    /// Whether the state is kept in a directory, and how.
    on_disk: Option<Durability>,
    /// How many applications are stored before measuring.
    stored: usize,
}

/// What a case measured.
struct Measured {
    /// Requests answered with success.
    answered: usize,
    /// How long they took, all connections together.
    elapsed: Duration,
    /// Each request's latency, sorted.
    latencies: Vec<Duration>,
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (sizes, run_for) = if full {
        (vec![100, 100_000], Duration::from_secs(5))
    } else {
        (vec![100, 2_000], Duration::from_millis(300))
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("persistence: could not start a tokio runtime: {error}");
            std::process::exit(1);
        }
    };
    println!(
        "persistence: CreateApplication over {CONNECTIONS} keep-alive connections for {:.1} s per case",
        run_for.as_secs_f64()
    );
    for on_disk in [None, Some(Durability::Synced), Some(Durability::Written)] {
        for &stored in &sizes {
            let case = Case { on_disk, stored };
            match runtime.block_on(run(&case, run_for)) {
                Ok(measured) => report(&case, &measured),
                Err(error) => {
                    println!("persistence failed: {error}");
                    std::process::exit(1);
                }
            }
        }
    }
}

/// Prints one case's figures.
fn report(case: &Case, measured: &Measured) {
    let rate = measured.answered as f64 / measured.elapsed.as_secs_f64();
    println!(
        "{:<19} {:>7} stored: {:>9.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  ({} requests)",
        match case.on_disk {
            None => "in memory",
            Some(Durability::Synced) => "state-dir, synced",
            Some(Durability::Written) => "state-dir, written",
        },
        case.stored,
        rate,
        ms(percentile(&measured.latencies, 0.5)),
        ms(percentile(&measured.latencies, 0.99)),
        measured.answered
    );
}

/// Starts a local cloud for `case`, stores its applications, then sends
/// `CreateApplication` over [`CONNECTIONS`] connections for `run_for`.
async fn run(case: &Case, run_for: Duration) -> Result<Measured, String> {
    let dir = tempfile::tempdir().map_err(|error| format!("no temporary directory: {error}"))?;
    let cloud = LocalCloud::start(LocalCloudOptions {
        state_path: case
            .on_disk
            .map(|_| dir.path().join("localcloud-state.json")),
        durability: case.on_disk.unwrap_or_default(),
        ..LocalCloudOptions::default()
    })
    .await
    .map_err(|error| format!("could not start the local cloud: {error}"))?;
    let stored = case.stored;
    cloud.with_world(|world| {
        for index in 0..stored {
            let name = format!("stored-{index:07}");
            world.codedeploy.applications.insert(
                name.clone(),
                Application {
                    id: format!("00000000-0000-4000-8000-{index:012}"),
                    name,
                    compute_platform: "Server".to_owned(),
                    create_time: Timestamp::from_secs(1_700_000_000),
                    tags: Vec::new(),
                    deployment_groups: std::collections::BTreeMap::new(),
                    revisions: Vec::new(),
                },
            );
        }
    });
    let address = cloud.local_addr();
    // One request first, so that storing the applications has settled.
    let mut warm = TcpStream::connect(address)
        .await
        .map_err(|error| format!("could not connect: {error}"))?;
    create(&mut warm, "warm-up").await?;
    let started = Instant::now();
    let deadline = started + run_for;
    let mut clients = Vec::new();
    for connection in 0..CONNECTIONS {
        clients.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(address)
                .await
                .map_err(|error| format!("could not connect: {error}"))?;
            let mut latencies = Vec::new();
            let mut sent = 0_usize;
            while Instant::now() < deadline {
                let began = Instant::now();
                create(&mut stream, &format!("bench-{connection}-{sent}")).await?;
                latencies.push(began.elapsed());
                sent += 1;
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for client in clients {
        let answered = client
            .await
            .map_err(|error| format!("a client stopped: {error}"))??;
        latencies.extend(answered);
    }
    let elapsed = started.elapsed();
    cloud.shutdown().await;
    latencies.sort();
    Ok(Measured {
        answered: latencies.len(),
        elapsed,
        latencies,
    })
}

/// Sends one `CreateApplication` for `name` on `stream` and reads the
/// answer, which must be a success.
async fn create(stream: &mut TcpStream, name: &str) -> Result<(), String> {
    let body = format!(r#"{{"applicationName":"{name}"}}"#);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CodeDeploy_20141006.CreateApplication\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("could not send: {error}"))?;
    let mut reader = BufReader::new(&mut *stream);
    let mut status = String::new();
    reader
        .read_line(&mut status)
        .await
        .map_err(|error| format!("could not read the answer: {error}"))?;
    let mut length = 0_usize;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .await
            .map_err(|error| format!("could not read the answer: {error}"))?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((header, value)) = line.split_once(':')
            && header.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut answer = vec![0; length];
    reader
        .read_exact(&mut answer)
        .await
        .map_err(|error| format!("could not read the answer: {error}"))?;
    // The answer is read whole and no more, so the reader holds nothing
    // that belongs to the next answer.
    if !status.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "CreateApplication {name} failed: {} {}",
            status.trim_end(),
            String::from_utf8_lossy(&answer)
        ));
    }
    Ok(())
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
