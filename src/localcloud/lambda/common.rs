//! One Lambda request as the operations read it (the function, alias or
//! resource its path names, its query, its JSON body), the errors the
//! operations share, and how answers are written.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse as _, Response};
use serde_json::Value;

use super::state::{LambdaFunction, LambdaState};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::dispatch::Shared;
use crate::localcloud::protocol::ApiError;

/// The path of the functions' API version.
pub const FUNCTIONS_PREFIX: &str = "/2015-03-31/functions";
/// The path of the tagging API version.
pub const TAGS_PREFIX: &str = "/2017-03-31/tags/";

/// One Lambda request, parsed.
#[derive(Debug)]
pub struct Request {
    /// What the handlers share.
    pub shared: Arc<Shared>,
    /// The path's segments after the API version, percent-decoded:
    /// `["my-fn", "aliases", "live"]`.
    pub segments: Vec<String>,
    /// The decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The JSON body, or `Null` when there is none.
    pub body: Value,
    /// The region the request was signed for.
    pub region: String,
    /// The time of the request.
    pub now: Timestamp,
}

impl Request {
    /// The value of query parameter `name`, if present and not empty.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// Every value of query parameter `name`.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// The string member `name` of the body.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    /// The function name and qualifier the path's first segment names
    /// (a name, a partial ARN or an ARN, with an optional `:qualifier`).
    pub fn function(&self) -> Result<(String, Option<String>), ApiError> {
        parse_function_name(self.segments.first().map_or("", String::as_str))
    }
}

/// Splits the path after `prefix` into percent-decoded segments.
pub fn segments(path: &str, prefix: &str) -> Vec<String> {
    path.strip_prefix(prefix)
        .unwrap_or_default()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The function name and qualifier of `text`: `my-fn`, `my-fn:live`,
/// `123456789012:function:my-fn` or
/// `arn:aws:lambda:us-east-1:123456789012:function:my-fn:3`.
pub fn parse_function_name(text: &str) -> Result<(String, Option<String>), ApiError> {
    let rest = match text.split_once(":function:") {
        Some((_, rest)) => rest,
        None => text,
    };
    let (name, qualifier) = match rest.split_once(':') {
        Some((name, qualifier)) => (name, Some(qualifier.to_owned())),
        None => (rest, None),
    };
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(invalid(format!(
            "1 validation error detected: Value '{text}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
        )));
    }
    Ok((name.to_owned(), qualifier.filter(|q| !q.is_empty())))
}

/// `InvalidParameterValueException`.
pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::with_status(
        StatusCode::BAD_REQUEST,
        "InvalidParameterValueException",
        message,
    )
}

/// `ResourceNotFoundException`.
pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
}

/// `ResourceConflictException`.
pub fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::CONFLICT, "ResourceConflictException", message)
}

/// `PreconditionFailedException`, for a `RevisionId` that is not the
/// resource's.
pub fn precondition_failed() -> ApiError {
    ApiError::with_status(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
    )
}

/// The function `name`, or Lambda's error for one it does not have.
pub fn function<'a>(
    state: &'a LambdaState,
    name: &str,
    region: &str,
) -> Result<&'a LambdaFunction, ApiError> {
    state
        .functions
        .get(name)
        .ok_or_else(|| function_not_found(region, name))
}

/// The function `name`, to change, or Lambda's error for one it does not
/// have.
pub fn function_mut<'a>(
    state: &'a mut LambdaState,
    name: &str,
    region: &str,
) -> Result<&'a mut LambdaFunction, ApiError> {
    state
        .functions
        .get_mut(name)
        .ok_or_else(|| function_not_found(region, name))
}

/// The error for a function that does not exist.
pub fn function_not_found(region: &str, name: &str) -> ApiError {
    not_found(format!(
        "Function not found: {}",
        super::state::function_arn(region, name)
    ))
}

/// A fresh revision id.
pub fn revision_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Lambda's form of a time: `2024-05-01T12:00:00.000+0000`.
pub fn lambda_time(time: Timestamp) -> String {
    let iso = time.to_iso8601();
    iso.strip_suffix('Z')
        .map_or(iso.clone(), |rest| format!("{rest}+0000"))
}

/// A JSON answer with `status`.
pub fn json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// An answer without a body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The page of `items` that starts after `marker` (an index), of at most
/// `max_items` (50 when not given), and the marker of the next page.
pub fn page<T: Clone>(
    items: &[T],
    marker: Option<&str>,
    max_items: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match marker {
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| invalid(format!("The marker \"{text}\" is not one Lambda gave.")))?,
        None => 0,
    };
    let size = match max_items {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|size| (1..=10_000).contains(size))
            .ok_or_else(|| {
                invalid(format!(
                    "1 validation error detected: Value '{text}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000"
                ))
            })?,
        None => 50,
    };
    let end = start.saturating_add(size).min(items.len());
    let shown = items
        .get(start.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    let next = (end < items.len()).then(|| end.to_string());
    Ok((shown, next))
}
