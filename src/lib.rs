//! DeployDesk: a desktop console for AWS CodeDeploy, with a built-in
//! AWS-compatible local cloud.
//!
//! The modules follow the design: `domain` holds CodeDeploy's rules as pure
//! code, `localcloud` the AWS-compatible emulator built into the app,
//! `settings` the persisted user settings, and `ui` the egui app.

pub mod cloud;
pub mod domain;
pub mod localcloud;
pub mod settings;
pub mod ui;
