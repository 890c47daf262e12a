//! How each protocol writes a service's errors, and the errors every
//! service of a protocol shares: a denied action, throttling, an internal
//! failure. The server uses them for the faults it injects.

use axum::http::StatusCode;
use axum::response::Response;

use super::error::ApiError;
use super::query::QueryFlavour;
use super::{cbor, json, query, xml};

/// How a service's answers and errors are written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `awsJson1_1`.
    AwsJson,
    /// A query protocol.
    Query(QueryFlavour),
    /// Smithy RPC v2 CBOR, for a service that was a query service before
    /// (its errors keep the query codes).
    RpcV2Cbor,
    /// REST with XML bodies (S3).
    RestXml,
    /// REST with JSON bodies (the SSO portal).
    RestJson,
}

impl Wire {
    /// `error` as a response in this protocol's error format; `resource`
    /// is the path the request addressed, which S3's errors name.
    pub fn error_response(self, error: &ApiError, resource: &str, request_id: &str) -> Response {
        match self {
            Wire::AwsJson => json::json_error(error, request_id),
            Wire::Query(flavour) => query::query_error(flavour, error, request_id),
            Wire::RpcV2Cbor => cbor::cbor_error(error, error.code, request_id),
            Wire::RestXml => xml::rest_xml_error(error, resource, request_id),
            Wire::RestJson => json::rest_json_error(error, request_id),
        }
    }

    /// The error for a caller that no policy allows an action, `because`
    /// saying which, coded and worded as the services of this protocol
    /// answer it.
    pub fn access_denied(self, because: String) -> ApiError {
        match self {
            Wire::AwsJson => ApiError::new("AccessDeniedException", because),
            Wire::Query(QueryFlavour::Ec2) => ApiError::with_status(
                StatusCode::FORBIDDEN,
                "UnauthorizedOperation",
                format!("You are not authorized to perform this operation. {because}."),
            ),
            Wire::Query(QueryFlavour::Aws) | Wire::RpcV2Cbor | Wire::RestXml => {
                ApiError::with_status(StatusCode::FORBIDDEN, "AccessDenied", because)
            }
            Wire::RestJson => {
                ApiError::with_status(StatusCode::FORBIDDEN, "AccessDeniedException", because)
            }
        }
    }

    /// The error for a request refused as throttled, with `message`.
    pub fn throttled(self, message: &str) -> ApiError {
        let (status, code) = match self {
            Wire::AwsJson => (StatusCode::BAD_REQUEST, "ThrottlingException"),
            Wire::Query(QueryFlavour::Ec2) => {
                (StatusCode::SERVICE_UNAVAILABLE, "RequestLimitExceeded")
            }
            Wire::Query(QueryFlavour::Aws) | Wire::RpcV2Cbor => {
                (StatusCode::BAD_REQUEST, "Throttling")
            }
            Wire::RestXml => (StatusCode::SERVICE_UNAVAILABLE, "SlowDown"),
            Wire::RestJson => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException"),
        };
        ApiError::with_status(status, code, message)
    }

    /// The error for a request that failed inside the service, with
    /// `message`; the client may retry.
    pub fn internal_error(self, message: &str) -> ApiError {
        match self {
            Wire::AwsJson | Wire::RestJson => ApiError::internal(message),
            Wire::Query(_) | Wire::RpcV2Cbor | Wire::RestXml => {
                ApiError::with_status(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status and code of each error, for every protocol.
    fn codes(error: impl Fn(Wire) -> ApiError) -> Vec<(u16, &'static str)> {
        [
            Wire::AwsJson,
            Wire::Query(QueryFlavour::Ec2),
            Wire::Query(QueryFlavour::Aws),
            Wire::RpcV2Cbor,
            Wire::RestXml,
            Wire::RestJson,
        ]
        .into_iter()
        .map(|wire| {
            let error = error(wire);
            (error.status.as_u16(), error.code)
        })
        .collect()
    }

    #[test]
    fn each_protocol_words_faults_as_its_services_do() {
        assert_eq!(
            codes(|wire| wire.access_denied("no policy allows it".to_owned())),
            [
                (400, "AccessDeniedException"),
                (403, "UnauthorizedOperation"),
                (403, "AccessDenied"),
                (403, "AccessDenied"),
                (403, "AccessDenied"),
                (403, "AccessDeniedException"),
            ]
        );
        assert_eq!(
            codes(|wire| wire.throttled("slow down")),
            [
                (400, "ThrottlingException"),
                (503, "RequestLimitExceeded"),
                (400, "Throttling"),
                (400, "Throttling"),
                (503, "SlowDown"),
                (429, "TooManyRequestsException"),
            ]
        );
        assert_eq!(
            codes(|wire| wire.internal_error("broken")),
            [
                (500, "InternalFailure"),
                (500, "InternalError"),
                (500, "InternalError"),
                (500, "InternalError"),
                (500, "InternalError"),
                (500, "InternalFailure"),
            ]
        );
        let ec2 = Wire::Query(QueryFlavour::Ec2).access_denied("User: x is not allowed".to_owned());
        assert_eq!(
            ec2.message,
            "You are not authorized to perform this operation. User: x is not allowed."
        );
    }
}
