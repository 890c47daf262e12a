//! The HTTP side: one axum router whose only handler reads a request,
//! works out its protocol and hands it to the registered service that
//! speaks it (see [`services`]).
//!
//! The server knows protocols, not operations: it reads the operation's
//! name the way the protocol carries it (the target header, the `Action`,
//! or the REST service's own reading of the path), counts the request,
//! injects the faults asked for, brings the deployments up to the time of
//! the request, and lets the service answer. Everything about an operation
//! is the service's.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::account::caller_arn;
use super::dispatch::{Call, CborApi, JsonApi, QueryApi, Shared};
use super::protocol::cbor::{self, cbor_error, cbor_response};
use super::protocol::json::{
    self as json, drop_nulls, json_1_0_response, json_error, json_response,
    query_compatible_json_error,
};
use super::protocol::query::{query_error, xml_response};
use super::protocol::xml::rest_xml_error;
use super::protocol::{self, ApiError, QueryFlavour, Route, TARGET_HEADER, Wire};
use super::services;

/// The largest request body the local cloud reads for the JSON and query
/// protocols (REST services read their own bodies as streams).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The router serving every protocol.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

/// Serves a request and answers it once every change made so far is on
/// disk, so that a client never hears of a change a crash could lose.
async fn dispatch(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let response = route(&shared, request).await;
    shared.world.settled().await;
    response
}

/// Reads a request and routes it by protocol.
async fn route(shared: &Arc<Shared>, request: Request<Body>) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    if let Some((service, api)) = services::claiming(&parts) {
        // REST services read their own bodies: S3 streams uploads of
        // hundreds of megabytes, so the body is handed over unread.
        let operation = (api.operation)(&parts);
        return match admit(
            shared,
            service.name,
            operation,
            api.wire,
            &parts,
            request_id,
        )
        .await
        {
            Ok(call) => (api.serve)(Arc::clone(shared), parts, body, call).await,
            Err(refused) => refused,
        };
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(error) => {
            let error = ApiError::with_status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!(
                    "The request body could not be read ({error}); the local cloud takes bodies of up to {MAX_BODY_BYTES} bytes."
                ),
            );
            return if parts.headers.contains_key(TARGET_HEADER) {
                json_error(&error, &request_id)
            } else {
                rest_xml_error(&error, parts.uri.path(), &request_id)
            };
        }
    };
    let route = protocol::classify(&parts.method, &parts.uri, &parts.headers, &body);
    let destination = Destination::of(route, parts.method.as_str());
    let call = match admit(
        shared,
        &destination.service,
        &destination.operation,
        destination.wire(),
        &parts,
        request_id,
    )
    .await
    {
        Ok(call) => call,
        Err(refused) => return refused,
    };
    match destination.api {
        Api::Json { prefix, api } => aws_json(shared, &parts, &body, &prefix, api, &call),
        Api::Rpc { name, api, json } => rpc(shared, &parts, &body, &name, api, json, &call),
        Api::Query { flavour, api } => {
            let form = protocol::query_form(&parts.method, &parts.uri, &parts.headers, &body);
            let result = match api {
                Some(api) => (api.serve)(shared, &call, form),
                None => Err(ApiError::new(
                    "InvalidAction",
                    format!(
                        "The local cloud does not serve the {} API, so it cannot run {}; it serves {}.",
                        destination.service,
                        call.operation,
                        services::titles()
                    ),
                )),
            };
            match result {
                Ok(xml) => xml_response(xml, &call.request_id),
                Err(error) => query_error(flavour, &error, &call.request_id),
            }
        }
        Api::None => {
            let error = ApiError::new(
                "InvalidRequest",
                format!(
                    "The request {} {} names no operation: send an Action (query protocols), an X-Amz-Target header (JSON protocols) or an S3 path.",
                    parts.method,
                    parts.uri.path()
                ),
            );
            rest_xml_error(&error, parts.uri.path(), &call.request_id)
        }
    }
}

/// Where a request whose body was read goes: the service's name (as
/// request counts and fault specs spell it, also for a service the local
/// cloud does not have), the operation, and the service's API, if the
/// local cloud has it.
struct Destination {
    /// The service's name.
    service: String,
    /// The operation.
    operation: String,
    /// The API that serves it.
    api: Api,
}

/// The API a request whose body was read goes to.
enum Api {
    /// A JSON protocol request with the target prefix `prefix`.
    Json {
        /// The target prefix.
        prefix: String,
        /// The service with that prefix.
        api: Option<&'static JsonApi>,
    },
    /// A Smithy RPC v2 CBOR request for the service named `name` in its
    /// path, or an `awsJson1_0` request for such a service (`json`).
    Rpc {
        /// The service's name in the path, or its target prefix.
        name: String,
        /// The service with that name.
        api: Option<&'static CborApi>,
        /// Whether the request is the JSON flavour.
        json: bool,
    },
    /// A query protocol request.
    Query {
        /// How its errors are written.
        flavour: QueryFlavour,
        /// The service it is for.
        api: Option<&'static QueryApi>,
    },
    /// A request that looked like another protocol but named no operation,
    /// so no service claims it.
    None,
}

impl Destination {
    /// Where the request that `route` describes, sent with `method`, goes.
    fn of(route: Route, method: &str) -> Destination {
        match route {
            Route::AwsJson { prefix, operation } => {
                if let Some((service, api)) = services::by_cbor_name(&prefix) {
                    return Destination {
                        service: service.name.to_owned(),
                        operation,
                        api: Api::Rpc {
                            name: prefix,
                            api: Some(api),
                            json: true,
                        },
                    };
                }
                let found = services::by_target_prefix(&prefix);
                Destination {
                    service: found.map_or_else(
                        || prefix.to_ascii_lowercase(),
                        |(service, _)| service.name.to_owned(),
                    ),
                    operation,
                    api: Api::Json {
                        prefix,
                        api: found.map(|(_, api)| api),
                    },
                }
            }
            Route::Query {
                signed_for,
                version,
                action,
            } => match services::query(signed_for.as_deref(), version.as_deref()) {
                Some((service, api)) => Destination {
                    service: service.name.to_owned(),
                    operation: action,
                    api: Api::Query {
                        flavour: api.flavour,
                        api: Some(api),
                    },
                },
                None => Destination {
                    service: signed_for.unwrap_or_else(|| "query".to_owned()),
                    operation: action,
                    api: Api::Query {
                        flavour: QueryFlavour::Aws,
                        api: None,
                    },
                },
            },
            Route::RpcV2Cbor { service, operation } => {
                let found = services::by_cbor_name(&service);
                Destination {
                    service: found.map_or_else(
                        || service.to_ascii_lowercase(),
                        |(service, _)| service.name.to_owned(),
                    ),
                    operation,
                    api: Api::Rpc {
                        name: service,
                        api: found.map(|(_, api)| api),
                        json: false,
                    },
                }
            }
            Route::Rest => Destination {
                service: "rest".to_owned(),
                operation: method.to_owned(),
                api: Api::None,
            },
        }
    }

    /// How errors are written to this request.
    fn wire(&self) -> Wire {
        match self.api {
            Api::Json { .. } | Api::Rpc { json: true, .. } => Wire::AwsJson,
            Api::Rpc { json: false, .. } => Wire::RpcV2Cbor,
            Api::Query { flavour, .. } => Wire::Query(flavour),
            Api::None => Wire::RestXml,
        }
    }
}

/// Serves an admitted `awsJson1_1` request for the service whose target
/// prefix is `prefix`, `api` if the local cloud has it.
fn aws_json(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    prefix: &str,
    api: Option<&JsonApi>,
    call: &Call,
) -> Response {
    let result = if parts.method != Method::POST {
        Err(ApiError::new(
            "UnknownOperationException",
            format!(
                "JSON protocol requests must be sent as POST /, not {}.",
                parts.method
            ),
        ))
    } else if let Some(api) = api {
        (api.serve)(shared, call, body)
    } else {
        Err(ApiError::new(
            "UnknownOperationException",
            format!(
                "The local cloud does not serve the JSON API \"{prefix}\"; it serves {}.",
                services::json_apis()
            ),
        ))
    };
    match result {
        Ok(mut output) => {
            drop_nulls(&mut output);
            json_response(&output, &call.request_id)
        }
        Err(error) => json_error(&error, &call.request_id),
    }
}

/// Serves an admitted Smithy RPC v2 CBOR request (or, `json`, its
/// `awsJson1_0` flavour) for the service named `name`, `api` if the local
/// cloud has it.
fn rpc(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    name: &str,
    api: Option<&'static CborApi>,
    json: bool,
    call: &Call,
) -> Response {
    let result = check_rpc_request(parts, name, api, call).and_then(|api| {
        let input = if json {
            json::parse_body(body)?
        } else {
            cbor::parse_body(body)?
        };
        (api.serve)(shared, call, &input).map(|output| (api, output))
    });
    match (result, json) {
        (Ok((_, mut output)), true) => {
            drop_nulls(&mut output);
            json_1_0_response(&output, &call.request_id)
        }
        (Ok((api, output)), false) => {
            cbor_response(cbor::encode(&output, api.timestamps), &call.request_id)
        }
        (Err(error), json) => {
            let type_name =
                api.map_or_else(|| error.code.to_owned(), |api| (api.error_type)(&error));
            if json {
                query_compatible_json_error(&error, &type_name, &call.request_id)
            } else {
                cbor_error(&error, &type_name, &call.request_id)
            }
        }
    }
}

/// The service that serves an RPC request: the request must be a `POST`
/// that names an operation of a service the local cloud has.
fn check_rpc_request(
    parts: &Parts,
    name: &str,
    api: Option<&'static CborApi>,
    call: &Call,
) -> Result<&'static CborApi, ApiError> {
    cbor::check_method(&parts.method)?;
    if call.operation.is_empty() {
        return Err(ApiError::with_status(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!(
                "The request {} names no operation; send POST /service/<ServiceName>/operation/<Operation>.",
                parts.uri.path()
            ),
        ));
    }
    api.ok_or_else(|| {
        ApiError::with_status(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!(
                "The local cloud does not serve the RPC v2 CBOR service \"{name}\"; it serves {}.",
                services::titles()
            ),
        )
    })
}

/// Counts a request for `operation` of `service`, applies the faults asked
/// for (latency, a denied action, throttling, an internal error), and
/// brings the deployments up to the time of the request. Returns the call
/// to serve, or the response that refuses the request, written as `wire`
/// writes errors.
async fn admit(
    shared: &Shared,
    service: &str,
    operation: &str,
    wire: Wire,
    parts: &Parts,
    request_id: String,
) -> Result<Call, Response> {
    shared.count(service, operation);
    let faults = shared.faults_for(service, operation);
    if let Some(latency) = faults.latency {
        tokio::time::sleep(latency).await;
    }
    let resource = parts.uri.path();
    if faults.deny == Some(true) {
        let action = crate::domain::policy::iam_action(service, operation);
        let because = format!(
            "User: {} is not authorized to perform: {action} because no identity-based policy allows the {action} action",
            caller_arn()
        );
        let error = wire.access_denied(because);
        return Err(wire.error_response(&error, resource, &request_id));
    }
    let throttled = happens(faults.throttle);
    if throttled || happens(faults.error) {
        let error = if throttled {
            wire.throttled(
                "Rate exceeded (the local cloud's fault settings throttled this request); retry after a short wait.",
            )
        } else {
            wire.internal_error(
                "An internal error occurred (injected by the local cloud's fault settings); retry the request.",
            )
        };
        return Err(wire.error_response(&error, resource, &request_id));
    }
    // Every request sees the deployments as of its own time.
    let now = shared.clock.now();
    shared.advance_to(now);
    Ok(Call {
        now,
        region: protocol::region_of(&parts.headers),
        request_id,
        operation: operation.to_owned(),
    })
}

/// Whether an event with probability `rate` happens this time.
fn happens(rate: Option<f64>) -> bool {
    rate.is_some_and(|rate| rate > 0.0 && rand::random_bool(rate.min(1.0)))
}
