//! The client side: SDK clients for the chosen backend, typed operations that
//! return our own types and errors, and background jobs.
//!
//! The UI talks to AWS only through this module; whether the other side is
//! AWS or the local cloud makes no difference here.

pub mod autoscaling;
pub mod bundle;
pub mod cloudwatch;
pub mod codedeploy;
pub mod demo;
pub mod demo_canary;
pub mod demo_scenarios;
pub mod demo_services;
pub mod deployments;
pub mod ec2;
pub mod ecs;
pub mod error;
pub mod groups;
pub mod iam;
pub mod instances;
pub mod jobs;
pub mod lambda;
pub mod live_targets;
pub mod load_balancers;
pub mod local;
pub mod preflight;
pub mod publish;
pub mod readiness;
pub mod revisions;
pub mod s3;
pub mod sample;
pub mod session;
pub mod setup;
pub mod sns;
pub mod ssm;
pub mod tagging;
pub mod try_local;
pub mod watcher;

pub use error::CloudError;
pub use jobs::Jobs;
pub use local::LocalCloudHost;
pub use session::Session;

/// Converts an SDK timestamp to a `SystemTime` (before 1970 gives `None`).
pub(crate) fn to_system_time(
    time: Option<&aws_smithy_types::DateTime>,
) -> Option<std::time::SystemTime> {
    let time = time?;
    let seconds = u64::try_from(time.secs()).ok()?;
    Some(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::new(seconds, time.subsec_nanos()))
}
