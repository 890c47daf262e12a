//! `deploydesk serve`: the local cloud without the GUI.
//!
//! It prints `endpoint: http://127.0.0.1:PORT` as the first line of its
//! output, so scripts can read where to point their clients, then serves
//! until Ctrl-C or SIGTERM and saves its state before it exits.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use super::{DEFAULT_EVENT_DURATION, FaultSpec, LocalCloud, LocalCloudOptions};

/// The state file's name inside `--state-dir`.
pub const STATE_FILE: &str = "localcloud-state.json";

/// The default of `--event-ms`: the library's default event duration.
const DEFAULT_EVENT_MS: u64 = DEFAULT_EVENT_DURATION.as_millis() as u64;

/// The default of `--minute-ms`: a real minute.
const DEFAULT_MINUTE_MS: u64 = super::engine::DEFAULT_MINUTE.as_millis() as u64;

/// Options of `deploydesk serve`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct ServeArgs {
    /// The port to listen on, on 127.0.0.1 only; 0 picks any free port.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A directory to keep the state in, so it survives restarts. Without
    /// it, the state is kept in memory and lost on exit.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// How long each lifecycle event of a deployment takes, in milliseconds.
    ///
    /// With the default, a one-at-a-time deployment to ten instances (seven
    /// events each) takes about a minute. Instances tagged
    /// deploydesk:simulate=slow take five times as long.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_EVENT_MS)]
    pub event_ms: u64,
    /// How long one configured minute of a Lambda or ECS deployment lasts,
    /// in milliseconds.
    ///
    /// Traffic steps ("10 % for 5 minutes"), a hook's hour to report and
    /// the ECS waits count in these minutes, so 1000 runs a five-minute
    /// canary in five seconds. Every API answer keeps the configured
    /// minutes.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_MINUTE_MS, value_parser = clap::value_parser!(u64).range(1..))]
    pub minute_ms: u64,
    /// Launch N demo EC2 instances if the local cloud has none yet.
    ///
    /// They are running, tagged Name=demo-001, demo-002, ..., Fleet=demo,
    /// and Environment=staging for the first half and Environment=production
    /// for the rest, so deployment groups can select them by tag. Each has
    /// the instance profile DemoFleetProfile (Systems Manager may manage it,
    /// it may read S3), so its CodeDeploy agent can be reached.
    #[arg(long, value_name = "N", default_value_t = 0)]
    #[allow(clippy::doc_markdown)] // The text is the command's help, shown as written.
    pub fleet: usize,
    /// Leave two of the demo fleet's staging instances not ready to deploy
    /// to, as the demo account does: the last has no instance profile and
    /// the one before it no CodeDeploy agent.
    #[arg(long)]
    pub fleet_gaps: bool,
    /// Inject throttling, internal errors, latency and denied permissions into
    /// requests.
    ///
    /// SPEC is a list of rules separated by ';'. Each rule is
    /// TARGET=EFFECT,EFFECT,... where TARGET is a service (codedeploy, ec2,
    /// elb, elbv2, iam, s3, autoscaling, cloudwatch, sns, ssm, lambda, ecs) or
    /// service:Operation (codedeploy:GetDeployment), and EFFECT
    /// is one of:
    ///
    ///   throttle:RATE     refuse that share of requests as throttled
    ///                     (CodeDeploy: HTTP 400 ThrottlingException)
    ///   error:RATE        fail that share with an internal error (HTTP 500)
    ///   latency:DURATION  delay every answer, e.g. 200ms or 1.5s
    ///   deny              refuse the action as IAM does when a policy does
    ///                     not allow it (AccessDenied, naming the action)
    ///
    /// RATE is a number from 0 to 1. An operation's rule takes each effect
    /// it does not name from its service's rule. Example:
    ///
    ///   --faults 'codedeploy:BatchGetDeploymentTargets=throttle:0.3,latency:200ms;codedeploy=error:0.05'
    #[arg(long, value_name = "SPEC", value_parser = FaultSpec::parse, verbatim_doc_comment)]
    #[allow(clippy::doc_markdown)] // The text is the command's help, shown as written.
    pub faults: Option<FaultSpec>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            port: 0,
            state_dir: None,
            event_ms: DEFAULT_EVENT_MS,
            minute_ms: DEFAULT_MINUTE_MS,
            fleet: 0,
            fleet_gaps: false,
            faults: None,
        }
    }
}

impl ServeArgs {
    /// The options these arguments ask for.
    pub fn options(&self) -> LocalCloudOptions {
        LocalCloudOptions {
            port: self.port,
            state_path: self.state_dir.as_ref().map(|dir| dir.join(STATE_FILE)),
            event_duration: Duration::from_millis(self.event_ms),
            minute: Duration::from_millis(self.minute_ms),
            fleet: self.fleet,
            fleet_gaps: self.fleet_gaps,
            faults: self.faults.clone().unwrap_or_default(),
            ..LocalCloudOptions::default()
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
