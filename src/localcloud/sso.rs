//! The one IAM Identity Center (SSO) portal operation the SDKs call when a
//! profile signs in through SSO: `GetRoleCredentials`, which trades the
//! access token that `aws sso login` cached for short-term role
//! credentials. With it, a profile whose `endpoint_url` points at the local
//! cloud exercises the whole SSO sign-in path, expired tokens included,
//! without an AWS account.
//!
//! The local cloud has no identity provider: any non-empty token is
//! accepted. Whether a token has expired is decided by the client from the
//! token cache, as it is with AWS.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::api_error::ApiError;
use super::protocol;

/// The path of `GetRoleCredentials`.
pub const CREDENTIALS_PATH: &str = "/federation/credentials";

/// The header that carries the access token.
pub const TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// How long the role credentials it hands out last, unless the local cloud
/// is told otherwise.
pub const DEFAULT_CREDENTIALS_LIFETIME: std::time::Duration = std::time::Duration::from_hours(1);

/// Whether a request is a `GetRoleCredentials` call.
pub fn is_sso_request(path: &str, headers: &HeaderMap) -> bool {
    path == CREDENTIALS_PATH && headers.contains_key(TOKEN_HEADER)
}

/// Answers `GetRoleCredentials` for `query` (with `role_name` and
/// `account_id`) at `now_ms` milliseconds since the Unix epoch, with
/// credentials that last `lifetime_ms`.
pub fn handle(
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
    protocol::with_request_id(response, request_id)
}

fn error(status: StatusCode, code: &'static str, message: &str, request_id: &str) -> Response {
    let mut response = protocol::json_error(
        &ApiError {
            status,
            code,
            message: message.to_owned(),
        },
        request_id,
    );
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}
