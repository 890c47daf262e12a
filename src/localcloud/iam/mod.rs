//! The IAM service of the local cloud (the `awsQuery` protocol, API version
//! 2010-05-08). IAM is global: every region sees the same roles.

use serde::{Deserialize, Serialize};

use super::api_error::ApiError;
use super::clock::Timestamp;
use super::world::SharedWorld;

/// The API version the local cloud speaks.
pub const VERSION: &str = "2010-05-08";

/// IAM's roles, policies and instance profiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IamState {}

/// What an operation knows about the request besides its parameters.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The action, e.g. `CreateRole`.
    pub action: String,
}

/// Runs the IAM request whose form is `form`, answering in IAM's XML.
pub fn handle(world: &SharedWorld, context: &Context, form: &[u8]) -> Result<String, ApiError> {
    let _ = (world, form);
    Err(ApiError::new(
        "InvalidAction",
        format!(
            "The local cloud does not implement the IAM action {}.",
            context.action
        ),
    ))
}
