//! DeployDesk: a desktop console for AWS CodeDeploy, with a built-in
//! AWS-compatible local cloud.
//!
//! The modules follow the design: `domain` holds CodeDeploy's rules as pure
//! code; `localcloud` the AWS-compatible emulator built into the app; `cloud`
//! the client side (SDK session, typed operations, background jobs,
//! watchers); `ui` the egui app; `settings` the persisted user settings;
//! `logging` the terminal log and the log file (credentials masked); and
//! `embedded` starts the local cloud for the demo account, so that `cloud`
//! and `localcloud` meet only over HTTP.

pub mod cloud;
pub mod domain;
pub mod embedded;
pub mod localcloud;
pub mod logging;
pub mod runner;
pub mod settings;
pub mod ui;
