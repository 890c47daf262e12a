//! The one IAM Identity Center (SSO) portal operation the SDKs call when a
//! profile signs in through SSO: `GetRoleCredentials`, which trades the
//! access token that `aws sso login` cached for short-term role
//! credentials. With it, a profile whose `endpoint_url` points at the local
//! cloud exercises the whole SSO sign-in path, expired tokens included,
//! without an AWS account.
//!
//! The local cloud has no identity provider: any non-empty token is
//! accepted. Whether a token has expired is decided by the client from the
//! token cache, as it is with AWS. The portal is small enough to be one
//! file: its registration with the server and its operation.

use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use super::dispatch::{Call, Operations, RestApi, Service, Shared};
use super::protocol::json::rest_json_error;
use super::protocol::{ApiError, Wire, with_request_id};

/// The path of `GetRoleCredentials`.
pub const CREDENTIALS_PATH: &str = "/federation/credentials";

/// The header that carries the access token.
pub const TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// How long the role credentials it hands out last, unless the local cloud
/// is told otherwise.
pub const DEFAULT_CREDENTIALS_LIFETIME: std::time::Duration = std::time::Duration::from_hours(1);

/// The SSO portal, registered with the server.
pub static SERVICE: Service = Service::rest(
    "sso",
    "the SSO portal",
    RestApi {
        wire: Wire::RestJson,
        claims,
        operation: |_| "GetRoleCredentials",
        serve,
    },
);

/// An operation of the portal: the request's head, when it was made (in
/// milliseconds since the Unix epoch), how long credentials last (in
/// milliseconds) and the request id.
type SsoHandler = fn(&HeaderMap, Option<&str>, u64, u64, &str) -> Response;

/// Every operation the local cloud's SSO portal has.
static OPERATIONS: Operations<SsoHandler> =
    Operations::new(&[("GetRoleCredentials", get_role_credentials)]);

/// Whether a request is the portal's: a `GetRoleCredentials` call.
fn claims(parts: &Parts) -> bool {
    is_sso_request(parts.uri.path(), &parts.headers)
}

/// Whether a request is a `GetRoleCredentials` call.
pub fn is_sso_request(path: &str, headers: &HeaderMap) -> bool {
    path == CREDENTIALS_PATH && headers.contains_key(TOKEN_HEADER)
}

/// Serves a request the portal claimed. Credentials expire by the system's
/// time, which the client compares them with, not by the local cloud's
/// clock.
fn serve(
    shared: Arc<Shared>,
    parts: Parts,
    _body: Body,
    call: Call,
) -> BoxFuture<'static, Response> {
    async move {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        let lifetime_ms =
            u64::try_from(shared.sso_credentials_lifetime.as_millis()).unwrap_or(u64::MAX);
        match OPERATIONS.find(&call.operation) {
            Some(handler) => handler(
                &parts.headers,
                parts.uri.query(),
                now_ms,
                lifetime_ms,
                &call.request_id,
            ),
            None => error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                "The local cloud's SSO portal serves only GetRoleCredentials.",
                &call.request_id,
            ),
        }
    }
    .boxed()
}

/// Answers `GetRoleCredentials` for `query` (with `role_name` and
/// `account_id`) at `now_ms` milliseconds since the Unix epoch, with
/// credentials that last `lifetime_ms`.
pub fn get_role_credentials(
    headers: &HeaderMap,
    query: Option<&str>,
    now_ms: u64,
    lifetime_ms: u64,
    request_id: &str,
) -> Response {
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if token.trim().is_empty() {
        return error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "Session token not found or invalid. Sign in again with aws sso login.",
            request_id,
        );
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let (Some(role_name), Some(account_id)) = (value("role_name"), value("account_id")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "GetRoleCredentials needs both role_name and account_id.",
            request_id,
        );
    };
    let suffix = &request_id.replace('-', "")[..16].to_ascii_uppercase();
    let body = serde_json::json!({
        "roleCredentials": {
            "accessKeyId": format!("ASIA{suffix}"),
            "secretAccessKey": format!("local-cloud-sso-{role_name}-{account_id}"),
            "sessionToken": format!("local-cloud-session-{request_id}"),
            "expiration": now_ms.saturating_add(lifetime_ms),
        }
    });
    let response = (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    with_request_id(response, request_id)
}

/// The portal's error `code` with `status` and `message`.
fn error(status: StatusCode, code: &'static str, message: &str, request_id: &str) -> Response {
    rest_json_error(&ApiError::with_status(status, code, message), request_id)
}
