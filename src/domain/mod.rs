//! CodeDeploy's rules as plain data and functions: deployment configurations,
//! instance and revision health, the rollout planner, compute platforms, the
//! rules for names and tags (CodeDeploy's, IAM's and S3's), IAM policy
//! documents, and the traffic schedules of Lambda and ECS deployments.
//!
//! Nothing here does I/O or knows about the AWS SDK: the local cloud executes
//! these rules and the GUI previews them.

pub mod appspec;
pub mod appspec_lint;
pub mod bundle;
pub mod config;
pub mod elb_names;
pub mod fleet;
pub mod group_spec;
pub mod health;
pub mod iam_names;
pub mod lifecycle;
pub mod local_run;
pub mod names;
pub mod platform;
pub mod policy;
pub mod preflight;
pub mod readiness;
pub mod regions;
pub mod revision;
pub mod rollout;
pub mod setup;
pub mod simulate;
pub mod tags;
pub mod traffic;

pub use config::{ConfigError, DeploymentConfig, MinimumHealthyHosts};
pub use fleet::{FleetComposition, FleetError};
pub use health::{AttemptResult, Health, InstanceHealth, RevisionHealth};
pub use platform::ComputePlatform;
pub use rollout::{
    FailureReason, PlanError, Rollout, RolloutOutcome, Simulation, TargetProgress, explain, plan,
    simulate,
};
