//! The `awsJson1_1` protocol (CodeDeploy, and later ECS and Systems
//! Manager): `POST /` with `X-Amz-Target: Prefix.Operation` and a JSON
//! object as the body; the answer is a JSON object, an error
//! `{"__type": ..., "message": ...}`.
//!
//! Here are the pieces every JSON service shares: reading the body and an
//! operation's input from it, writing its output, and writing responses and
//! errors.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use super::with_request_id;

/// The content type of `awsJson1_1` requests and responses.
pub const AWS_JSON_1_1: &str = "application/x-amz-json-1.1";
/// The header that names the error type in JSON error responses.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";

/// Reads a request body as a JSON object; an empty body counts as `{}`.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(empty());
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::serialization(format!(
            "The request body is not valid JSON ({error}); send a JSON object with the operation's members."
        ))
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::serialization(
            "The request body must be a JSON object with the operation's members.",
        ))
    }
}

/// Reads an operation's input from the request's JSON object. A member of
/// the wrong type is a `SerializationException`, as in AWS.
pub fn input<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    T::deserialize(value).map_err(|error| {
        ApiError::serialization(format!(
            "The request does not match the operation's input ({error}); check the member names and types."
        ))
    })
}

/// Turns an operation's output into JSON.
pub fn output<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| {
        ApiError::internal(format!(
            "The local cloud could not encode its answer ({error})."
        ))
    })
}

/// The empty output of operations that return nothing.
pub fn empty() -> Value {
    Value::Object(serde_json::Map::new())
}

/// The error for a target that names no operation, or one the service
/// `title` (whose target prefix is `prefix`) does not have.
pub fn unknown_operation(prefix: &str, title: &str, operation: &str) -> ApiError {
    let message = if operation.is_empty() {
        format!("The X-Amz-Target header names no operation; send {prefix}.<Operation>.")
    } else {
        format!("The local cloud does not implement {title} operation {operation} yet.")
    };
    ApiError::new("UnknownOperationException", message)
}

/// Removes `null` members from objects, so that absent members are left out
/// of responses as AWS leaves them out.
pub fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A successful `awsJson1_1` response.
pub fn json_response(body: &Value, request_id: &str) -> Response {
    let response = (
        StatusCode::OK,
        [(CONTENT_TYPE, AWS_JSON_1_1)],
        body.to_string(),
    )
        .into_response();
    with_request_id(response, request_id)
}

/// An `awsJson1_1` error: `{"__type": ..., "message": ...}` with the type
/// also in the `x-amzn-ErrorType` header.
pub fn json_error(error: &ApiError, request_id: &str) -> Response {
    let body = serde_json::json!({ "__type": error.code, "message": error.message });
    let response = (
        error.status,
        [
            (CONTENT_TYPE, AWS_JSON_1_1),
            (HeaderName::from_static(ERROR_TYPE_HEADER), error.code),
        ],
        body.to_string(),
    )
        .into_response();
    with_request_id(response, request_id)
}

/// The content type of `awsJson1_0` requests and responses.
pub const AWS_JSON_1_0: &str = "application/x-amz-json-1.0";

/// A successful `awsJson1_0` response.
pub fn json_1_0_response(body: &Value, request_id: &str) -> Response {
    let mut response = json_response(body, request_id);
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static(AWS_JSON_1_0),
    );
    response
}

/// An `awsJson1_0` error of a query-compatible service (CloudWatch):
/// `{"__type": type_name, "message": ...}`, with the query code of `error`
/// in `x-amzn-query-error` (`Code;Sender`), where the clients read it.
pub fn query_compatible_json_error(
    error: &ApiError,
    type_name: &str,
    request_id: &str,
) -> Response {
    let body = serde_json::json!({ "__type": type_name, "message": error.message });
    let mut response = (
        error.status,
        [(CONTENT_TYPE, AWS_JSON_1_0)],
        body.to_string(),
    )
        .into_response();
    let fault = if error.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("{};{fault}", error.code)) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(QUERY_ERROR_HEADER), value);
    }
    with_request_id(response, request_id)
}

/// The header a query-compatible service's errors carry their query code
/// in, as `Code;Sender`.
pub const QUERY_ERROR_HEADER: &str = "x-amzn-query-error";

/// A REST-JSON error (the SSO portal, later Lambda): the body and headers
/// of [`json_error`] with the plain JSON content type.
pub fn rest_json_error(error: &ApiError, request_id: &str) -> Response {
    let mut response = json_error(error, request_id);
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_dropped_at_every_depth() {
        let mut value = serde_json::json!({
            "a": null,
            "b": {"c": null, "d": 1},
            "e": [{"f": null, "g": [null]}]
        });
        drop_nulls(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"b": {"d": 1}, "e": [{"g": [null]}]})
        );
    }

    #[test]
    fn bodies_must_be_objects_and_inputs_must_match() {
        #[derive(Debug, serde::Deserialize)]
        struct Input {
            #[allow(dead_code)]
            flag: Option<bool>,
        }
        assert_eq!(parse_body(b"  ").unwrap(), empty());
        assert_eq!(
            parse_body(b"[1]").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(parse_body(b"{").unwrap_err().code, "SerializationException");
        let error = input::<Input>(&serde_json::json!({"flag": "yes"})).unwrap_err();
        assert_eq!(error.code, "SerializationException");
        assert!(
            error.message.contains("expected a boolean"),
            "{}",
            error.message
        );
    }
}
