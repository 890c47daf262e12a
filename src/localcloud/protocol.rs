//! Recognising which AWS protocol a request speaks, and writing responses
//! and errors in that protocol's format.
//!
//! AWS services use four wire protocols. The local cloud tells them apart
//! the way the clients shape their requests:
//!
//! - `awsJson1_1` (CodeDeploy): `POST /` with an `X-Amz-Target` header of
//!   the form `Prefix.Operation`.
//! - `ec2Query` and `awsQuery` (EC2, IAM): a form with an `Action` member,
//!   in the body of a `POST` or in the query string. The service is the one
//!   the request was signed for or, unsigned, the one its `Version` belongs
//!   to.
//! - `restXml` (S3): everything else, addressed by its path.

use std::borrow::Cow;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::api_error::ApiError;

/// The content type of `awsJson1_1` requests and responses.
pub const AWS_JSON_1_1: &str = "application/x-amz-json-1.1";
/// The header that carries the operation in the JSON protocols.
pub const TARGET_HEADER: &str = "x-amz-target";
/// The header that names the error type in JSON error responses.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";
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
    /// A query protocol request (EC2 or IAM) with its `Action`.
    Query {
        /// The service the request was signed for, if it says.
        service: Option<String>,
        /// The `Action` member.
        action: String,
    },
    /// A REST request addressed by path (S3).
    Rest,
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
    let form = query_form(method, uri, headers, body);
    match form_value(form, "Action") {
        Some(action) => Route::Query {
            service: signed_scope(headers)
                .map(|scope| scope.service)
                .or_else(|| service_of_version(form)),
            action,
        },
        None => Route::Rest,
    }
}

/// Whether a request is for S3's REST API, told without reading its body:
/// it was signed for `s3`, or it is neither a JSON protocol request (no
/// `X-Amz-Target`) nor a query protocol request (no form body, no `Action`
/// in the query string).
pub fn is_rest(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if signed_scope(headers).is_some_and(|scope| scope.service == "s3") {
        return true;
    }
    if headers.contains_key(TARGET_HEADER) {
        return false;
    }
    let form_body = *method == Method::POST
        && headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let query_action = form_value(uri.query().unwrap_or_default().as_bytes(), "Action").is_some();
    !form_body && !query_action
}

/// The form of a query protocol request: the body of a form-encoded POST,
/// or else the query string.
pub fn query_form<'a>(
    method: &Method,
    uri: &'a Uri,
    headers: &HeaderMap,
    body: &'a [u8],
) -> &'a [u8] {
    let form_body = *method == Method::POST
        && headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if form_body {
        body
    } else {
        uri.query().unwrap_or_default().as_bytes()
    }
}

/// The service an unsigned query request is for, told by its API
/// `Version`: EC2's is 2016-11-15 and IAM's 2010-05-08.
fn service_of_version(form: &[u8]) -> Option<String> {
    match form_value(form, "Version")?.as_str() {
        "2016-11-15" => Some("ec2".to_owned()),
        "2010-05-08" => Some("iam".to_owned()),
        "2011-06-15" => Some("sts".to_owned()),
        _ => None,
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

/// The region a request was signed for, or [`DEFAULT_REGION`].
pub fn region_of(headers: &HeaderMap) -> String {
    signed_scope(headers).map_or_else(|| DEFAULT_REGION.to_owned(), |scope| scope.region)
}

/// Attaches the request id that every AWS response carries.
pub(crate) fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// A successful `awsJson1_1` response.
pub fn json_response(body: &serde_json::Value, request_id: &str) -> Response {
    let response = (
        StatusCode::OK,
        [(CONTENT_TYPE, AWS_JSON_1_1)],
        body.to_string(),
    )
        .into_response();
    with_request_id(response, request_id)
}

/// A successful query protocol response with the XML `body`.
pub fn xml_response(body: String, request_id: &str) -> Response {
    let response = (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/xml;charset=UTF-8")],
        body,
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

/// Writes `value` as an XML document whose root element is `root`.
pub fn xml_document<T: Serialize>(root: &str, value: &T) -> Result<String, quick_xml::SeError> {
    let xml = quick_xml::se::to_string_with_root(root, value)?;
    Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}"))
}

/// `text` with the characters XML 1.0 cannot carry (control characters
/// other than tab and line breaks) replaced by U+FFFD, so that a message
/// quoting a client's input stays a well-formed document.
fn xml_text(text: &str) -> Cow<'_, str> {
    if text.chars().all(xml_allows) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if xml_allows(c) {
                        c
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                })
                .collect(),
        )
    }
}

/// Whether XML 1.0 documents can carry `c`: anything but the control
/// characters below U+0020 other than tab and line breaks.
pub fn xml_allows(c: char) -> bool {
    !c.is_ascii_control() || matches!(c, '\t' | '\n' | '\r')
}

/// An error as the query and REST XML protocols write it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorXml<'a> {
    /// `Sender` in `awsQuery` errors; EC2 leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    r#type: Option<&'static str>,
    /// The error code.
    code: &'a str,
    /// The message.
    message: Cow<'a, str>,
}

/// EC2's error document: `<Response><Errors><Error>..</Error></Errors>`.
#[derive(Serialize)]
struct Ec2ErrorXml<'a> {
    /// The one error, wrapped.
    #[serde(rename = "Errors")]
    errors: Ec2ErrorsXml<'a>,
    /// The request id.
    #[serde(rename = "RequestID")]
    request_id: &'a str,
}

/// The `<Errors>` list of EC2's error document.
#[derive(Serialize)]
struct Ec2ErrorsXml<'a> {
    /// The error.
    #[serde(rename = "Error")]
    error: ErrorXml<'a>,
}

/// The `awsQuery` error document: `<ErrorResponse><Error>..</Error>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryErrorXml<'a> {
    /// The error.
    error: ErrorXml<'a>,
    /// The request id.
    request_id: &'a str,
}

/// S3's error document: `<Error><Code>..</Code>..<Resource>..</Resource>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RestErrorXml<'a> {
    /// The error code.
    code: &'a str,
    /// The message.
    message: Cow<'a, str>,
    /// The path the request addressed.
    resource: Cow<'a, str>,
    /// The request id.
    request_id: &'a str,
}

/// The error document `document`, or a bare one naming the error if it
/// cannot be written (which strings alone cannot cause).
fn error_document<T: Serialize>(root: &str, document: &T, error: &ApiError) -> String {
    xml_document(root, document).unwrap_or_else(|_| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}><Code>{}</Code></{root}>",
            error.code
        )
    })
}

/// A query protocol error. EC2 (`ec2Query`) wraps errors in
/// `<Response><Errors>`; IAM and the other `awsQuery` services use
/// `<ErrorResponse>`.
pub fn query_error(service: Option<&str>, error: &ApiError, request_id: &str) -> Response {
    let message = xml_text(&error.message);
    let body = if service == Some("ec2") {
        let document = Ec2ErrorXml {
            errors: Ec2ErrorsXml {
                error: ErrorXml {
                    r#type: None,
                    code: error.code,
                    message,
                },
            },
            request_id,
        };
        error_document("Response", &document, error)
    } else {
        let document = QueryErrorXml {
            error: ErrorXml {
                r#type: Some("Sender"),
                code: error.code,
                message,
            },
            request_id,
        };
        error_document("ErrorResponse", &document, error)
    };
    let response = (error.status, [(CONTENT_TYPE, "text/xml")], body).into_response();
    with_request_id(response, request_id)
}

/// An S3 (`restXml`) error: `<Error><Code>..</Code><Message>..</Message>`.
pub fn rest_xml_error(error: &ApiError, resource: &str, request_id: &str) -> Response {
    let document = RestErrorXml {
        code: error.code,
        message: xml_text(&error.message),
        resource: xml_text(resource),
        request_id,
    };
    let body = error_document("Error", &document, error);
    let mut response = (error.status, [(CONTENT_TYPE, "application/xml")], body).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amz-request-id", value);
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
                service: Some("ec2".to_owned()),
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
                service: Some("iam".to_owned()),
                action: "ListUsers".to_owned()
            }
        );
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
    fn unsigned_query_requests_are_told_apart_by_version() {
        let ec2 = classify(
            &Method::GET,
            &Uri::from_static("/?Action=DescribeRegions&Version=2016-11-15"),
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(
            ec2,
            Route::Query {
                service: Some("ec2".to_owned()),
                action: "DescribeRegions".to_owned()
            }
        );
        let unknown = classify(
            &Method::GET,
            &Uri::from_static("/?Action=Publish&Version=2010-03-31"),
            &HeaderMap::new(),
            b"",
        );
        assert_eq!(
            unknown,
            Route::Query {
                service: None,
                action: "Publish".to_owned()
            }
        );
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
            body(query_error(Some("ec2"), &error, "req-1")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value (&lt;a &amp; \"b\"\u{fffd}&gt;) is invalid.</Message></Error></Errors><RequestID>req-1</RequestID></Response>"
        );
        assert_eq!(
            body(query_error(Some("iam"), &error, "req-2")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>Value (&lt;a &amp; \"b\"\u{fffd}&gt;) is invalid.</Message></Error><RequestId>req-2</RequestId></ErrorResponse>"
        );
        assert!(
            body(rest_xml_error(&error, "/b/k&v", "req-3"))
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
