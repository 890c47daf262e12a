//! Errors as a client sees them: an HTTP status, an exception name and a
//! message.
//!
//! Each protocol writes them in its own format (JSON with `__type` for
//! CodeDeploy, XML for the query and S3 protocols; see
//! [`Wire`](super::Wire)); the services only say which exception and why.

use axum::http::StatusCode;

/// An error to send back to the client in the protocol's error format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, 400 for everything the client can fix.
    pub status: StatusCode,
    /// The exception name, e.g. `ApplicationDoesNotExistException`.
    pub code: &'static str,
    /// A message a person can act on.
    pub message: String,
}

impl ApiError {
    /// A client error (HTTP 400) with the given exception name.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self::with_status(StatusCode::BAD_REQUEST, code, message)
    }

    /// An error with the HTTP status `status`, for the exceptions AWS
    /// answers with something other than 400 (404 for a missing S3 key or
    /// IAM entity, 409 for a conflict, 403 for a denied action, ...).
    pub fn with_status(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// The request body could not be read as the operation's input.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    /// The input breaks a rule that has no more specific exception.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    /// The local cloud itself failed; the client may retry.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::with_status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            message,
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}
