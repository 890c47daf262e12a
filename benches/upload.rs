//! Uploading a large revision bundle to the local cloud with
//! `cloud::s3::upload_file`: the throughput, and how much the process's
//! peak memory grows while it runs (the goal: less than 64 MiB for a
//! 200 MB bundle, since the parts are streamed from disk).
//!
//! Run it with `cargo bench --bench upload`. A debug build (as under
//! `cargo test --all-targets`) uploads 20 MB instead, as a smoke test. The
//! bundle is random bytes in a temporary folder, removed at the end.
//!
//! Prints `upload bytes=... mb_per_s=... peak_growth_mib=...`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use deploydesk::cloud::{Session, s3};
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The bundle's size in a release build.
const FULL_BYTES: u64 = 200 * 1000 * 1000;
/// The bundle's size in a debug build.
const SMOKE_BYTES: u64 = 20 * 1000 * 1000;
/// The memory growth the upload should stay under, in MiB.
const GOAL_MIB: f64 = 64.0;

/// The process's peak resident memory in MiB, from `/proc/self/status`.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Writes `size` pseudo-random bytes (xorshift, so they do not compress)
/// to `path`, one MiB at a time.
fn write_random(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0_u8; 1024 * 1024];
    let mut written = 0;
    while written < size {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let take = usize::try_from((size - written).min(chunk.len() as u64)).unwrap_or(0);
        out.write_all(&chunk[..take])?;
        written += take as u64;
    }
    out.flush()
}

fn main() {
    let bytes = if cfg!(debug_assertions) {
        SMOKE_BYTES
    } else {
        FULL_BYTES
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("upload: could not start a tokio runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(run(bytes)) {
        println!("upload failed: {error}");
        std::process::exit(1);
    }
}

async fn run(bytes: u64) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|error| format!("temporary folder: {error}"))?;
    let bundle = dir.path().join("bundle.zip");
    write_random(&bundle, bytes).map_err(|error| format!("writing the bundle: {error}"))?;

    let cloud = LocalCloud::start(LocalCloudOptions::default())
        .await
        .map_err(|error| format!("local cloud: {error}"))?;
    let session = Session::local(&cloud.endpoint_url()).await;
    s3::create_bucket(&session, "bench-revisions")
        .await
        .map_err(|error| error.to_string())?;

    let before = peak_memory_mib();
    let (progress, _progress) = watch::channel(s3::UploadProgress::default());
    let started = Instant::now();
    let object = s3::upload_file(
        &session,
        &bundle,
        "bench-revisions",
        "deploydesk/bench/bench.zip",
        &progress,
        &CancellationToken::new(),
    )
    .await
    .map_err(|error| error.to_string())?;
    let elapsed = started.elapsed();
    let after = peak_memory_mib();
    cloud.shutdown().await;

    if object.size != bytes {
        return Err(format!("uploaded {} bytes, expected {bytes}", object.size));
    }
    let mb_per_s = bytes as f64 / 1_000_000.0 / elapsed.as_secs_f64();
    match before.zip(after) {
        Some((before, after)) => {
            let growth = after - before;
            println!(
                "upload bytes={bytes} mb_per_s={mb_per_s:.1} peak_growth_mib={growth:.1} (peak {before:.1} -> {after:.1} MiB; goal: growth under {GOAL_MIB:.0} MiB: {})",
                if growth < GOAL_MIB { "met" } else { "missed" }
            );
        }
        None => println!(
            "upload bytes={bytes} mb_per_s={mb_per_s:.1} peak_growth_mib=unknown (/proc/self/status is not available here)"
        ),
    }
    Ok(())
}
