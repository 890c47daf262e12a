//! The HTTP side: one axum router whose only handler reads a request,
//! works out its protocol and hands it to the service that speaks it.
//!
//! The server knows nothing about operations: CodeDeploy's are in
//! [`codedeploy`](super::codedeploy) and EC2's in [`ec2`](super::ec2). IAM
//! (query protocol) and S3 (REST) are recognised so that their clients get
//! an error in the format they understand; their services will plug in here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::api_error::ApiError;
use super::clock::{Clock, Timestamp};
use super::codedeploy;
use super::ec2;
use super::engine::{self, EngineSettings};
use super::faults::FaultSpec;
use super::protocol::{self, Route};
use super::world::SharedWorld;
use super::{iam, s3};

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
    /// How the deployment engine paces deployments.
    pub engine: EngineSettings,
    /// The faults to inject; they can be changed while the cloud runs.
    pub faults: Mutex<FaultSpec>,
    /// Requests received, by `service:Operation`.
    pub requests: Mutex<BTreeMap<String, u64>>,
    /// The bodies of S3 objects, on disk.
    pub blobs: s3::BlobStore,
    /// How long the SSO portal's role credentials last.
    pub sso_credentials_lifetime: std::time::Duration,
}

impl Shared {
    /// Brings the running deployments up to the clock's time. Returns
    /// whether anything changed (and so was queued to be saved).
    pub fn advance(&self) -> bool {
        self.advance_to(self.clock.now())
    }

    /// Brings the EC2 instances' transitional states and the running
    /// deployments up to `now`.
    pub fn advance_to(&self, now: Timestamp) -> bool {
        self.world.update(|world| {
            let settled = world.ec2.settle(now);
            let advanced = engine::advance(world, now, &self.engine);
            settled || advanced
        })
    }

    /// The faults to inject into a request for `operation` of `service`.
    pub fn faults_for(&self, service: &str, operation: &str) -> super::faults::Faults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .for_operation(service, operation)
    }

    /// Counts a request for `operation` of `service`.
    pub fn count(&self, service: &str, operation: &str) {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests
            .entry(format!("{service}:{operation}"))
            .or_insert(0) += 1;
    }
}

/// The service name (as fault specs name it) and operation of a request.
fn service_and_operation(route: &Route, method: &Method) -> (String, String) {
    match route {
        Route::AwsJson { prefix, operation } => {
            let service = if prefix == codedeploy::TARGET_PREFIX {
                "codedeploy".to_owned()
            } else {
                prefix.to_ascii_lowercase()
            };
            (service, operation.clone())
        }
        Route::Query { service, action } => (
            service.clone().unwrap_or_else(|| "query".to_owned()),
            action.clone(),
        ),
        Route::Rest => ("rest".to_owned(), method.to_string()),
    }
}

/// The response to a request whose action a `deny` fault refuses, worded
/// and coded as each service answers a caller that no policy allows the
/// action.
fn denied_response(
    route: &Route,
    service: &str,
    operation: &str,
    resource: &str,
    request_id: &str,
) -> Response {
    let action = crate::domain::policy::iam_action(service, operation);
    let caller = super::sts::caller_arn();
    let because = format!(
        "User: {caller} is not authorized to perform: {action} because no identity-based policy allows the {action} action"
    );
    match route {
        Route::AwsJson { .. } => {
            protocol::json_error(&ApiError::new("AccessDeniedException", because), request_id)
        }
        Route::Query { service, .. } => {
            let (code, message) = if service.as_deref() == Some("ec2") {
                (
                    "UnauthorizedOperation",
                    format!("You are not authorized to perform this operation. {because}."),
                )
            } else {
                ("AccessDenied", because)
            };
            let error = ApiError {
                status: StatusCode::FORBIDDEN,
                code,
                message,
            };
            protocol::query_error(service.as_deref(), &error, request_id)
        }
        Route::Rest => {
            let error = ApiError {
                status: StatusCode::FORBIDDEN,
                code: "AccessDenied",
                message: because,
            };
            protocol::rest_xml_error(&error, resource, request_id)
        }
    }
}

/// The response to a request that a fault refuses: throttled, or failed
/// with an internal error, in the format of the request's protocol.
fn fault_response(route: &Route, throttled: bool, resource: &str, request_id: &str) -> Response {
    let message = if throttled {
        "Rate exceeded (the local cloud's fault settings throttled this request); retry after a short wait."
    } else {
        "An internal error occurred (injected by the local cloud's fault settings); retry the request."
    };
    match route {
        Route::AwsJson { .. } => {
            let error = if throttled {
                ApiError::new("ThrottlingException", message)
            } else {
                ApiError::internal(message)
            };
            protocol::json_error(&error, request_id)
        }
        Route::Query { service, .. } => {
            let ec2 = service.as_deref() == Some("ec2");
            let (status, code) = match (throttled, ec2) {
                (true, true) => (StatusCode::SERVICE_UNAVAILABLE, "RequestLimitExceeded"),
                (true, false) => (StatusCode::BAD_REQUEST, "Throttling"),
                (false, _) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
            };
            let error = ApiError {
                status,
                code,
                message: message.to_owned(),
            };
            protocol::query_error(service.as_deref(), &error, request_id)
        }
        Route::Rest => {
            let error = ApiError {
                status: if throttled {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                },
                code: if throttled {
                    "SlowDown"
                } else {
                    "InternalError"
                },
                message: message.to_owned(),
            };
            protocol::rest_xml_error(&error, resource, request_id)
        }
    }
}

/// Whether an event with probability `rate` happens this time.
fn happens(rate: Option<f64>) -> bool {
    rate.is_some_and(|rate| rate > 0.0 && rand::random_bool(rate.min(1.0)))
}

/// The router serving every protocol.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

/// Reads a request and routes it by protocol.
async fn dispatch(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    if super::sso::is_sso_request(parts.uri.path(), &parts.headers) {
        shared.count("sso", "GetRoleCredentials");
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        let lifetime_ms =
            u64::try_from(shared.sso_credentials_lifetime.as_millis()).unwrap_or(u64::MAX);
        return super::sso::handle(
            &parts.headers,
            parts.uri.query(),
            now_ms,
            lifetime_ms,
            &request_id,
        );
    }
    if protocol::is_rest(&parts.method, &parts.uri, &parts.headers) {
        // S3 streams its bodies (uploads of hundreds of megabytes), so the
        // body is handed over unread.
        return rest(shared, parts, body, request_id).await;
    }
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
    let route = protocol::classify(&parts.method, &parts.uri, &parts.headers, &body);
    let (service, operation) = service_and_operation(&route, &parts.method);
    shared.count(&service, &operation);
    let faults = shared.faults_for(&service, &operation);
    if let Some(latency) = faults.latency {
        tokio::time::sleep(latency).await;
    }
    if faults.deny == Some(true) {
        return denied_response(&route, &service, &operation, parts.uri.path(), &request_id);
    }
    let throttled = happens(faults.throttle);
    if throttled || happens(faults.error) {
        return fault_response(&route, throttled, parts.uri.path(), &request_id);
    }
    // Every request sees the deployments as of its own time.
    let now = shared.clock.now();
    shared.advance_to(now);
    match route {
        Route::AwsJson { prefix, operation } => {
            let result = if parts.method == Method::POST {
                let context = codedeploy::Context {
                    now,
                    region: protocol::region_of(&parts.headers),
                    engine: shared.engine,
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
        Route::Query { service, action } if service.as_deref() == Some("ec2") => {
            let context = ec2::Context {
                now,
                region: protocol::region_of(&parts.headers),
                request_id: request_id.clone(),
                action,
            };
            let form = protocol::query_form(&parts.method, &parts.uri, &parts.headers, &body);
            match ec2::handle(&shared.world, &context, form) {
                Ok(xml) => protocol::xml_response(xml, &request_id),
                Err(error) => protocol::query_error(Some("ec2"), &error, &request_id),
            }
        }
        Route::Query { service, action } if service.as_deref() == Some("iam") => {
            let context = iam::Context {
                now,
                request_id: request_id.clone(),
                action,
            };
            let form = protocol::query_form(&parts.method, &parts.uri, &parts.headers, &body);
            match iam::handle(&shared.world, &context, form) {
                Ok(xml) => protocol::xml_response(xml, &request_id),
                Err(error) => protocol::query_error(Some("iam"), &error, &request_id),
            }
        }
        Route::Query { service, action } if service.as_deref() == Some("sts") => {
            match super::sts::handle(&action, &request_id) {
                Ok(xml) => protocol::xml_response(xml, &request_id),
                Err(error) => protocol::query_error(Some("sts"), &error, &request_id),
            }
        }
        Route::Query { service, action } => {
            let named = service.clone().unwrap_or_else(|| "query".to_owned());
            let error = ApiError::new(
                "InvalidAction",
                format!(
                    "The local cloud does not serve the {named} API, so it cannot run {action}; it serves CodeDeploy, EC2, IAM and S3."
                ),
            );
            protocol::query_error(service.as_deref(), &error, &request_id)
        }
        Route::Rest => {
            // `is_rest` sent every REST request to S3 above; a request that
            // looked like another protocol but carried no action is S3's too.
            let error = ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "InvalidRequest",
                message: format!(
                    "The request {} {} names no operation: send an Action (query protocols), an X-Amz-Target header (JSON protocols) or an S3 path.",
                    parts.method,
                    parts.uri.path()
                ),
            };
            protocol::rest_xml_error(&error, parts.uri.path(), &request_id)
        }
    }
}

/// Serves an S3 request: counts it, applies faults, and hands it to S3 with
/// its body unread.
async fn rest(
    shared: Arc<Shared>,
    parts: axum::http::request::Parts,
    body: Body,
    request_id: String,
) -> Response {
    let operation = s3::operation_name(&parts);
    shared.count("s3", &operation);
    let faults = shared.faults_for("s3", &operation);
    if let Some(latency) = faults.latency {
        tokio::time::sleep(latency).await;
    }
    if faults.deny == Some(true) {
        return denied_response(
            &Route::Rest,
            "s3",
            &operation,
            parts.uri.path(),
            &request_id,
        );
    }
    let throttled = happens(faults.throttle);
    if throttled || happens(faults.error) {
        return fault_response(&Route::Rest, throttled, parts.uri.path(), &request_id);
    }
    shared.advance();
    s3::handle(shared, parts, body, request_id).await
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
