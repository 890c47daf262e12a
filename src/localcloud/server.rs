//! The HTTP side: one axum router whose only handler reads a request,
//! works out its protocol and hands it to the service that speaks it.
//!
//! The server knows nothing about operations: CodeDeploy's are in
//! [`codedeploy`](super::codedeploy). EC2 and IAM (query protocol) and S3
//! (REST) are recognised so that their clients get an error in the format
//! they understand; their services will plug in here.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::api_error::ApiError;
use super::clock::Clock;
use super::codedeploy;
use super::protocol::{self, Route};
use super::world::SharedWorld;

/// The largest request body the local cloud reads (CodeDeploy's requests
/// are small; S3 uploads will need their own streaming path).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What every request handler shares.
#[derive(Debug)]
pub struct Shared {
    /// The world.
    pub world: SharedWorld,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

/// The router serving every protocol.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

/// Reads a request and routes it by protocol.
async fn dispatch(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(error) => {
            let error = ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "RequestEntityTooLarge",
                message: format!(
                    "The request body could not be read ({error}); the local cloud takes bodies of up to {MAX_BODY_BYTES} bytes."
                ),
            };
            return if parts.headers.contains_key(protocol::TARGET_HEADER) {
                protocol::json_error(&error, &request_id)
            } else {
                protocol::rest_xml_error(&error, parts.uri.path(), &request_id)
            };
        }
    };
    match protocol::classify(&parts.method, &parts.uri, &parts.headers, &body) {
        Route::AwsJson { prefix, operation } => {
            let result = if parts.method == Method::POST {
                let context = codedeploy::Context {
                    now: shared.clock.now(),
                    region: protocol::region_of(&parts.headers),
                };
                aws_json(&shared, &context, &prefix, &operation, &body)
            } else {
                Err(ApiError::new(
                    "UnknownOperationException",
                    format!(
                        "JSON protocol requests must be sent as POST /, not {}.",
                        parts.method
                    ),
                ))
            };
            match result {
                Ok(mut output) => {
                    drop_nulls(&mut output);
                    protocol::json_response(&output, &request_id)
                }
                Err(error) => protocol::json_error(&error, &request_id),
            }
        }
        Route::Query { service, action } => {
            let named = service.clone().unwrap_or_else(|| "query".to_owned());
            let error = ApiError::new(
                "InvalidAction",
                format!(
                    "The local cloud does not implement the {named} API yet, so it cannot run {action}; it serves CodeDeploy."
                ),
            );
            protocol::query_error(service.as_deref(), &error, &request_id)
        }
        Route::Rest => {
            let error = ApiError {
                status: StatusCode::NOT_IMPLEMENTED,
                code: "NotImplemented",
                message: format!(
                    "The local cloud does not implement S3 yet, so it cannot serve {} {}; it serves CodeDeploy.",
                    parts.method,
                    parts.uri.path()
                ),
            };
            protocol::rest_xml_error(&error, parts.uri.path(), &request_id)
        }
    }
}

/// Runs a JSON protocol request on the service its target prefix names.
fn aws_json(
    shared: &Shared,
    context: &codedeploy::Context,
    prefix: &str,
    operation: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    if prefix == codedeploy::TARGET_PREFIX {
        codedeploy::handle(&shared.world, context, operation, body)
    } else {
        Err(ApiError::new(
            "UnknownOperationException",
            format!(
                "The local cloud does not serve the JSON API \"{prefix}\"; it serves CodeDeploy ({}).",
                codedeploy::TARGET_PREFIX
            ),
        ))
    }
}

/// Removes `null` members from objects, so that absent members are left out
/// of responses as AWS leaves them out.
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
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
}
