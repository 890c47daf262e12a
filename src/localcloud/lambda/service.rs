//! Lambda as the server sees it: REST with JSON bodies under
//! `/2015-03-31/functions` and `/2017-03-31/tags`. It tells the operation
//! from the method and the path, reads the JSON body, and answers with the
//! status codes Lambda uses.

use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde_json::Value;

use super::common::{FUNCTIONS_PREFIX, Request, TAGS_PREFIX, segments};
use super::functions::Answer;
use super::{aliases, functions};
use crate::localcloud::dispatch::{Call, Operations, RestApi, Service, Shared};
use crate::localcloud::protocol::json::rest_json_error;
use crate::localcloud::protocol::{self, ApiError, Wire, with_request_id};

/// The largest request body Lambda takes: a 50 MB package, base64-encoded.
const MAX_BODY: usize = 70 * 1024 * 1024;

/// Lambda, registered with the server.
pub static SERVICE: Service = Service::rest(
    "lambda",
    "Lambda",
    RestApi {
        wire: Wire::RestJson,
        claims,
        operation,
        serve,
    },
);

/// Whether a request is Lambda's: signed for Lambda, or addressed to its
/// functions or tags.
fn claims(parts: &Parts) -> bool {
    let path = parts.uri.path();
    protocol::is_signed_for(&parts.headers, "lambda")
        || path.starts_with(FUNCTIONS_PREFIX)
        || path.starts_with(TAGS_PREFIX)
}

/// The Lambda operation a request asks for, by its method and path, as
/// Lambda's API reference names it; `Unsupported` otherwise.
fn operation(parts: &Parts) -> &'static str {
    let path = parts.uri.path();
    let method = &parts.method;
    if path.starts_with(TAGS_PREFIX) {
        return match *method {
            Method::POST => "TagResource",
            Method::GET => "ListTags",
            Method::DELETE => "UntagResource",
            _ => "Unsupported",
        };
    }
    let parts_of_path = segments(path, FUNCTIONS_PREFIX);
    let rest: Vec<&str> = parts_of_path.iter().skip(1).map(String::as_str).collect();
    match (parts_of_path.is_empty(), rest.as_slice(), method.clone()) {
        (true, [], Method::POST) => "CreateFunction",
        (true, [], Method::GET) => "ListFunctions",
        (false, [], Method::GET) => "GetFunction",
        (false, [], Method::DELETE) => "DeleteFunction",
        (false, ["configuration"], Method::GET) => "GetFunctionConfiguration",
        (false, ["code"], Method::PUT) => "UpdateFunctionCode",
        (false, ["versions"], Method::POST) => "PublishVersion",
        (false, ["versions"], Method::GET) => "ListVersionsByFunction",
        (false, ["aliases"], Method::POST) => "CreateAlias",
        (false, ["aliases"], Method::GET) => "ListAliases",
        (false, ["aliases", _], Method::GET) => "GetAlias",
        (false, ["aliases", _], Method::PUT) => "UpdateAlias",
        (false, ["aliases", _], Method::DELETE) => "DeleteAlias",
        _ => "Unsupported",
    }
}

/// An operation of Lambda, and whether it changes the world (its answer
/// then waits until the change is saved).
type LambdaHandler = (fn(&Request) -> Answer, bool);

/// Every operation the local cloud's Lambda has.
static OPERATIONS: Operations<LambdaHandler> = Operations::new(&[
    ("CreateFunction", (functions::create, true)),
    ("GetFunction", (functions::get, false)),
    (
        "GetFunctionConfiguration",
        (functions::get_configuration, false),
    ),
    ("ListFunctions", (functions::list, false)),
    ("DeleteFunction", (functions::delete, true)),
    ("UpdateFunctionCode", (functions::update_code, true)),
    ("PublishVersion", (functions::publish_version, true)),
    ("ListVersionsByFunction", (functions::list_versions, false)),
    ("CreateAlias", (aliases::create, true)),
    ("GetAlias", (aliases::get, false)),
    ("UpdateAlias", (aliases::update, true)),
    ("ListAliases", (aliases::list, false)),
    ("DeleteAlias", (aliases::delete, true)),
    ("TagResource", (functions::tag, true)),
    ("UntagResource", (functions::untag, true)),
    ("ListTags", (functions::list_tags, false)),
]);

/// The error for a request the local cloud's Lambda does not serve.
fn unsupported(parts: &Parts) -> ApiError {
    ApiError::with_status(
        StatusCode::NOT_FOUND,
        "UnsupportedOperation",
        format!(
            "The local cloud's Lambda does not serve {} {}; it serves functions, versions, aliases and tags.",
            parts.method,
            parts.uri.path()
        ),
    )
}

/// Serves one Lambda request.
fn serve(
    shared: Arc<Shared>,
    parts: Parts,
    body: Body,
    call: Call,
) -> BoxFuture<'static, Response> {
    async move {
        let result = async {
            let Some((handler, writes)) = OPERATIONS.find(&call.operation).copied() else {
                return Err(unsupported(&parts));
            };
            let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
                ApiError::with_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestTooLargeException",
                    "Request must be smaller than 70167211 bytes for the CreateFunction operation",
                )
            })?;
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).map_err(|error| {
                    ApiError::with_status(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestContentException",
                        format!("Could not parse request body into json: {error}"),
                    )
                })?
            };
            let prefix = if parts.uri.path().starts_with(TAGS_PREFIX) {
                TAGS_PREFIX
            } else {
                FUNCTIONS_PREFIX
            };
            let request = Request {
                shared: Arc::clone(&shared),
                segments: segments(parts.uri.path(), prefix),
                query: form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                    .map(|(key, value)| (key.into_owned(), value.into_owned()))
                    .collect(),
                body,
                region: call.region.clone(),
                now: call.now,
            };
            let answer = handler(&request)?;
            if writes {
                shared.world.settled().await;
            }
            Ok(answer)
        }
        .await;
        match result {
            Ok(response) => with_request_id(response, &call.request_id),
            Err(error) => rest_json_error(&error, &call.request_id),
        }
    }
    .boxed()
}
