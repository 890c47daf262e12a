//! The wire protocols' shared pieces: recognising which protocol a request
//! speaks, and writing answers and errors in that protocol's format.
//!
//! AWS services use four wire protocols. The local cloud tells them apart
//! the way the clients shape their requests:
//!
//! - `awsJson1_1` (CodeDeploy; later ECS and Systems Manager): `POST /`
//!   with an `X-Amz-Target` header of the form `Prefix.Operation`
//!   ([`json`]).
//! - `ec2Query` and `awsQuery` (EC2; IAM and STS): a form with an `Action`
//!   member, in the body of a `POST` or in the query string ([`query`]).
//!   The service is the one the request was signed for or, unsigned, the
//!   one its `Version` belongs to.
//! - Smithy RPC v2 CBOR (CloudWatch): `POST /service/Name/operation/Operation`
//!   with the header `smithy-protocol: rpc-v2-cbor` ([`cbor`]).
//! - `restXml` (S3) and `restJson1` (the SSO portal; later Lambda): the
//!   rest, addressed by path ([`xml`] writes S3's errors).
//!
//! Every piece a service needs to read its requests and write its answers
//! is here, once: [`ApiError`] and its constructors, [`query::Params`],
//! JSON inputs and outputs, XML documents and error documents, `nextToken`
//! paging ([`paging`]). None of it knows a service's operations.

pub mod cbor;
pub mod error;
pub mod json;
pub mod paging;
pub mod query;
pub mod wire;
pub mod xml;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::Response;

pub use error::ApiError;
pub use query::QueryFlavour;
pub use wire::Wire;

/// The header that carries the operation in the JSON protocols.
pub const TARGET_HEADER: &str = "x-amz-target";
/// The header that names the Smithy protocol of a request.
pub const PROTOCOL_HEADER: &str = "smithy-protocol";
/// Its value for Smithy RPC v2 CBOR.
pub const RPC_V2_CBOR: &str = "rpc-v2-cbor";
/// The header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// The region used when a request does not say which one it was signed for.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Which protocol a request speaks, and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A JSON protocol request: `X-Amz-Target: prefix.operation`.
    AwsJson {
        /// The service's target prefix, e.g. `CodeDeploy_20141006`.
        prefix: String,
        /// The operation, e.g. `CreateApplication`.
        operation: String,
    },
    /// A query protocol request with its `Action`.
    Query {
        /// The service the request was signed for, if it was signed.
        signed_for: Option<String>,
        /// The API version it names, if any.
        version: Option<String>,
        /// The `Action` member.
        action: String,
    },
    /// A Smithy RPC v2 CBOR request, naming its service and operation in
    /// its path.
    RpcV2Cbor {
        /// The service's name in the path, e.g.
        /// `GraniteServiceVersion20100801`.
        service: String,
        /// The operation, e.g. `DescribeAlarms`.
        operation: String,
    },
    /// A request that names no operation in a way the server can read: a
    /// REST request, addressed by its path.
    Rest,
}

/// Whether a request speaks Smithy RPC v2 CBOR: it carries the
/// `smithy-protocol: rpc-v2-cbor` header.
pub fn is_rpc_v2_cbor(headers: &HeaderMap) -> bool {
    headers.get(PROTOCOL_HEADER).is_some_and(|value| {
        value
            .as_bytes()
            .eq_ignore_ascii_case(RPC_V2_CBOR.as_bytes())
    })
}

/// The service and operation named by the path of a Smithy RPC v2 CBOR
/// request, `/service/{ServiceName}/operation/{Operation}` (after any path
/// prefix of the endpoint), or `None` if the path does not name them.
pub fn rpc_service_and_operation(uri: &Uri) -> Option<(String, String)> {
    let path = uri.path();
    let at = path.rfind("/service/")?;
    let rest = &path[at + "/service/".len()..];
    let (service, operation) = rest.split_once("/operation/")?;
    if service.is_empty()
        || service.contains('/')
        || operation.is_empty()
        || operation.contains('/')
    {
        return None;
    }
    Some((service.to_owned(), operation.to_owned()))
}

/// Works out the protocol of a request from its method, headers and body.
pub fn classify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Route {
    if let Some(target) = headers.get(TARGET_HEADER) {
        let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
        let (prefix, operation) = match target.split_once('.') {
            Some((prefix, operation)) => (prefix.to_owned(), operation.to_owned()),
            None => (target, String::new()),
        };
        return Route::AwsJson { prefix, operation };
    }
    if is_rpc_v2_cbor(headers) {
        let (service, operation) = rpc_service_and_operation(uri).unwrap_or_default();
        return Route::RpcV2Cbor { service, operation };
    }
    let form = query_form(method, uri, headers, body);
    match form_value(form, "Action") {
        Some(action) => Route::Query {
            signed_for: signed_scope(headers).map(|scope| scope.service),
            version: form_value(form, "Version"),
            action,
        },
        None => Route::Rest,
    }
}

/// Whether a request is addressed by its path alone, told without reading
/// its body: it is neither a JSON protocol request (no `X-Amz-Target`), an
/// RPC v2 CBOR request (no `smithy-protocol` header) nor a query protocol
/// request (no form body, no `Action` in the query
/// string).
pub fn is_path_addressed(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if headers.contains_key(TARGET_HEADER) || is_rpc_v2_cbor(headers) {
        return false;
    }
    let query_action = form_value(uri.query().unwrap_or_default().as_bytes(), "Action").is_some();
    !is_form_post(method, headers) && !query_action
}

/// Whether a request is a `POST` of a form.
fn is_form_post(method: &Method, headers: &HeaderMap) -> bool {
    *method == Method::POST
        && headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

/// The form of a query protocol request: the body of a form-encoded POST,
/// or else the query string.
pub fn query_form<'a>(
    method: &Method,
    uri: &'a Uri,
    headers: &HeaderMap,
    body: &'a [u8],
) -> &'a [u8] {
    if is_form_post(method, headers) {
        body
    } else {
        uri.query().unwrap_or_default().as_bytes()
    }
}

/// The value of `name` in a form-encoded string, decoded.
fn form_value(form: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(form).find_map(|(key, value)| (key == name).then(|| value.into_owned()))
}

/// The region and service a SigV4-signed request was signed for, read from
/// its credential scope. Signatures are not checked: the local cloud accepts
/// any credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedScope {
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The service's signing name, e.g. `codedeploy`.
    pub service: String,
}

/// Reads the credential scope from the `Authorization` header.
pub fn signed_scope(headers: &HeaderMap) -> Option<SignedScope> {
    let authorization = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let credential = authorization
        .split([' ', ','])
        .find_map(|part| part.trim().strip_prefix("Credential="))?;
    // The scope is ACCESS_KEY/DATE/REGION/SERVICE/aws4_request.
    let mut parts = credential.split('/').skip(2);
    let region = parts.next().filter(|region| !region.is_empty())?;
    let service = parts.next().filter(|service| !service.is_empty())?;
    Some(SignedScope {
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// Whether a request was signed for the service whose signing name is
/// `service`.
pub fn is_signed_for(headers: &HeaderMap, service: &str) -> bool {
    signed_scope(headers).is_some_and(|scope| scope.service == service)
}

/// The region a request was signed for, or [`DEFAULT_REGION`].
pub fn region_of(headers: &HeaderMap) -> String {
    signed_scope(headers).map_or_else(|| DEFAULT_REGION.to_owned(), |scope| scope.region)
}

/// Attaches the request id that every AWS response carries.
pub fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn target_header_means_aws_json() {
        let route = classify(
            &Method::POST,
            &Uri::from_static("/"),
            &headers(&[("x-amz-target", "CodeDeploy_20141006.ListApplications")]),
            b"{}",
        );
        assert_eq!(
            route,
            Route::AwsJson {
                prefix: "CodeDeploy_20141006".to_owned(),
                operation: "ListApplications".to_owned()
            }
        );
    }

    #[test]
    fn form_action_means_query_and_the_scope_names_the_service() {
        let route = classify(
            &Method::POST,
            &Uri::from_static("/"),
            &headers(&[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=test/20240101/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=abc",
                ),
            ]),
            b"Action=DescribeInstances&Version=2016-11-15",
        );
        assert_eq!(
            route,
            Route::Query {
                signed_for: Some("ec2".to_owned()),
                version: Some("2016-11-15".to_owned()),
                action: "DescribeInstances".to_owned()
            }
        );
        let in_query = classify(
            &Method::GET,
            &Uri::from_static("/?Action=List%55sers&Version=2010-05-08"),
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(
            in_query,
            Route::Query {
                signed_for: None,
                version: Some("2010-05-08".to_owned()),
                action: "ListUsers".to_owned()
            }
        );
    }

    #[test]
    fn the_path_names_the_rpc_service_and_operation() {
        let uri =
            Uri::from_static("/service/GraniteServiceVersion20100801/operation/DescribeAlarms");
        assert_eq!(
            rpc_service_and_operation(&uri),
            Some((
                "GraniteServiceVersion20100801".to_owned(),
                "DescribeAlarms".to_owned()
            ))
        );
        assert_eq!(
            rpc_service_and_operation(&Uri::from_static("/service/x/operation/")),
            None
        );
        assert_eq!(rpc_service_and_operation(&Uri::from_static("/")), None);
    }

    #[test]
    fn anything_else_is_rest() {
        let route = classify(
            &Method::GET,
            &Uri::from_static("/my-bucket/key"),
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(route, Route::Rest);
        assert!(is_path_addressed(
            &Method::GET,
            &Uri::from_static("/my-bucket/key"),
            &HeaderMap::new()
        ));
        assert!(!is_path_addressed(
            &Method::GET,
            &Uri::from_static("/?Action=ListUsers"),
            &HeaderMap::new()
        ));
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert!(!is_path_addressed(
            &Method::POST,
            &Uri::from_static("/"),
            &form
        ));
        let signed = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=0f",
        )]);
        assert!(is_signed_for(&signed, "s3"));
        assert!(!is_signed_for(&signed, "ec2"));
    }

    #[test]
    fn region_comes_from_the_credential_scope() {
        let signed = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/ap-south-1/codedeploy/aws4_request, SignedHeaders=host;x-amz-date, Signature=0f",
        )]);
        assert_eq!(region_of(&signed), "ap-south-1");
        assert_eq!(region_of(&HeaderMap::new()), DEFAULT_REGION);
        let garbage = headers(&[("authorization", "Bearer nothing")]);
        assert_eq!(region_of(&garbage), DEFAULT_REGION);
    }

    #[test]
    fn error_documents_are_escaped_and_well_formed() {
        let error = ApiError::new(
            "InvalidParameterValue",
            "Value (<a & \"b\"\u{1}>) is invalid.",
        );
        let body = |response: Response| {
            let (_, body) = response.into_parts();
            String::from_utf8(body_bytes(body)).unwrap()
        };
        assert_eq!(
            body(Wire::Query(QueryFlavour::Ec2).error_response(&error, "/", "req-1")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value (&lt;a &amp; \"b\"\u{fffd}&gt;) is invalid.</Message></Error></Errors><RequestID>req-1</RequestID></Response>"
        );
        assert_eq!(
            body(Wire::Query(QueryFlavour::Aws).error_response(&error, "/", "req-2")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>Value (&lt;a &amp; \"b\"\u{fffd}&gt;) is invalid.</Message></Error><RequestId>req-2</RequestId></ErrorResponse>"
        );
        assert!(
            body(Wire::RestXml.error_response(&error, "/b/k&v", "req-3"))
                .ends_with("<Resource>/b/k&amp;v</Resource><RequestId>req-3</RequestId></Error>")
        );
    }

    /// The bytes of a response body that is already complete.
    fn body_bytes(body: axum::body::Body) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(axum::body::to_bytes(body, usize::MAX))
            .unwrap()
            .to_vec()
    }

    #[test]
    fn form_values_are_decoded_and_malformed_escapes_kept() {
        assert_eq!(
            form_value(b"Action=a%20b+c", "Action").as_deref(),
            Some("a b c")
        );
        assert_eq!(
            form_value(b"Action=100%", "Action").as_deref(),
            Some("100%")
        );
        assert_eq!(form_value(b"Action=%zz", "Action").as_deref(), Some("%zz"));
        assert_eq!(form_value(b"Other=1", "Action"), None);
    }
}
