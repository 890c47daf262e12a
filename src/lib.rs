//! DeployDesk: a desktop console for AWS CodeDeploy, with a built-in
//! AWS-compatible local cloud.
//!
//! The modules follow the design: `domain` holds CodeDeploy's rules as pure
//! code, `settings` the persisted user settings, and `ui` the egui app.

pub mod cloud;
pub mod domain;
pub mod settings;
pub mod ui;
