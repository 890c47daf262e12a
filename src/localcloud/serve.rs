//! `deploydesk serve`: the local cloud without the GUI.
//!
//! It prints `endpoint: http://127.0.0.1:PORT` as the first line of its
//! output, so scripts can read where to point their clients, then serves
//! until Ctrl-C or SIGTERM and saves its state before it exits.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;

use super::{LocalCloud, LocalCloudOptions};

/// The state file's name inside `--state-dir`.
pub const STATE_FILE: &str = "localcloud-state.json";

/// Options of `deploydesk serve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ServeArgs {
    /// The port to listen on, on 127.0.0.1 only; 0 picks any free port.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A directory to keep the state in, so it survives restarts. Without
    /// it, the state is kept in memory and lost on exit.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl ServeArgs {
    /// The options these arguments ask for.
    pub fn options(&self) -> LocalCloudOptions {
        LocalCloudOptions {
            port: self.port,
            state_path: self.state_dir.as_ref().map(|dir| dir.join(STATE_FILE)),
        }
    }
}

/// Runs the local cloud until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    run_until(args, shutdown_signal(), std::io::stdout()).await
}

/// Runs the local cloud until `stop` completes, writing the endpoint line
/// (then any notices) to `out`.
pub async fn run_until<W: Write>(
    args: ServeArgs,
    stop: impl Future<Output = ()>,
    mut out: W,
) -> anyhow::Result<()> {
    let cloud = LocalCloud::start(args.options())
        .await
        .context("could not start the local cloud")?;
    writeln!(out, "endpoint: {}", cloud.endpoint_url()).context("could not write to stdout")?;
    for notice in cloud.notices() {
        writeln!(out, "notice: {notice}").context("could not write to stdout")?;
    }
    out.flush().context("could not write to stdout")?;
    stop.await;
    cloud.shutdown().await;
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
