//! The CodeDeploy service of the local cloud (`awsJson1_1`, target prefix
//! `CodeDeploy_20141006`).
//!
//! [`service`] registers it with the server and maps each operation's name
//! to its function. Each family of operations lives in its own file, which
//! reads its input, checks it and applies it to the [`CodeDeployState`]
//! (or hands it to the deployment engine); [`common`] holds what they
//! share. Operations that only read are given the state read-only; the
//! world is saved after each operation that writes and succeeds. The stored
//! model is [`state`], [`deployment_state`] and [`shapes`]; [`errors`]
//! holds the exceptions the engine raises too.

pub mod applications;
pub mod common;
pub mod deployment_configs;
pub mod deployment_groups;
pub mod deployment_state;
pub mod deployments;
pub mod errors;
pub mod hooks;
pub mod on_premises;
pub mod revisions;
pub mod service;
pub mod shapes;
pub mod state;
pub mod tags;
pub mod targets;
pub mod traffic_deployments;

pub use state::CodeDeployState;
