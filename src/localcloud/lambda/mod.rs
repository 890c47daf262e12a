//! AWS Lambda, as much as CodeDeploy's Lambda deployments need: functions
//! (their code is stored as its size and SHA-256, never run), published
//! versions, aliases with weighted routing between two versions, and tags.
//! It speaks Lambda's REST-JSON protocol under `/2015-03-31/functions` and
//! `/2017-03-31/tags`.

pub mod aliases;
pub mod common;
pub mod functions;
pub mod service;
pub mod state;

pub use state::{Alias, FunctionVersion, LambdaFunction, LambdaState};
