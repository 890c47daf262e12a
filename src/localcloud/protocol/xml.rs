//! XML as the query protocols and S3's REST protocol write it: documents,
//! text that stays well formed whatever a client sent, and S3's error
//! document. The query protocols' own envelopes and errors are in
//! [`query`](super::query).

use std::borrow::Cow;

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;

/// The header S3 carries its request id in.
pub const S3_REQUEST_ID_HEADER: &str = "x-amz-request-id";

/// Writes `value` as an XML document whose root element is `root`.
pub fn xml_document<T: Serialize>(root: &str, value: &T) -> Result<String, quick_xml::SeError> {
    let xml = quick_xml::se::to_string_with_root(root, value)?;
    Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}"))
}

/// `text` with the characters XML 1.0 cannot carry (control characters
/// other than tab and line breaks) replaced by U+FFFD, so that a message
/// quoting a client's input stays a well-formed document.
pub fn xml_text(text: &str) -> Cow<'_, str> {
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
pub(super) struct ErrorXml<'a> {
    /// `Sender` in `awsQuery` errors; EC2 leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<&'static str>,
    /// The error code.
    pub code: &'a str,
    /// The message.
    pub message: Cow<'a, str>,
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
pub(super) fn error_document<T: Serialize>(root: &str, document: &T, error: &ApiError) -> String {
    xml_document(root, document).unwrap_or_else(|_| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}><Code>{}</Code></{root}>",
            error.code
        )
    })
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
        response.headers_mut().insert(S3_REQUEST_ID_HEADER, value);
    }
    response
}
