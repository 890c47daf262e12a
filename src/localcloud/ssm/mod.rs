//! AWS Systems Manager in the local cloud (`awsJson1_1`, target prefix
//! `AmazonSSM`), enough to see which instances it manages and to install,
//! start and stop the CodeDeploy agent on them.
//!
//! [`service`] registers it with the server and maps each operation's name
//! to its function; [`instances`] answers `DescribeInstanceInformation`,
//! [`commands`] sends commands and reports their invocations, and
//! [`associations`] keeps the scheduled agent installs the CodeDeploy
//! console sets up; [`common`] holds what they share. The stored model is
//! [`state`]; [`fleet_state`] says which instances are managed and plays
//! commands and associations out on the clock, [`document_state`] says
//! what the two documents do to an instance's agent, and
//! [`schedule_state`] reads associations' schedules.

pub mod associations;
pub mod commands;
pub mod common;
pub mod document_state;
pub mod fleet_state;
pub mod instances;
pub mod schedule_state;
pub mod service;
pub mod state;

pub use fleet_state::{agent_of, settle};
pub use state::{CodeDeployAgent, SsmState};
