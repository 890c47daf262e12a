//! Writing S3's XML responses and reading its XML request bodies.

use axum::body::Body;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse as _, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::request::error;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::xml::xml_document;

/// The XML namespace of S3's 2006-03-01 API.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The largest XML request body read (a `CompleteMultipartUpload` of 10,000
/// parts is about a megabyte).
const MAX_XML_BYTES: usize = 4 * 1024 * 1024;

/// A response document: the members of `body` under `root`, in S3's
/// namespace.
#[derive(Serialize)]
struct Document<'a, T> {
    /// The namespace attribute.
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    /// The members.
    #[serde(flatten)]
    body: &'a T,
}

/// A 200 response with the XML document `root` holding `body`.
pub fn ok<T: Serialize>(root: &str, body: &T) -> Result<Response, ApiError> {
    let document = Document {
        xmlns: NAMESPACE,
        body,
    };
    let text = xml_document(root, &document).map_err(|problem| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            format!("The local cloud could not write its answer ({problem}); please report this as a bug."),
        )
    })?;
    Ok((StatusCode::OK, [(CONTENT_TYPE, "application/xml")], text).into_response())
}

/// Reads the whole (small) XML body and decodes it; `None` for an empty
/// body.
pub async fn read<T: DeserializeOwned>(body: Body) -> Result<Option<T>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_XML_BYTES)
        .await
        .map_err(|problem| {
            error(
                StatusCode::BAD_REQUEST,
                "MalformedXML",
                format!("The XML you provided could not be read ({problem}); send at most {MAX_XML_BYTES} bytes of XML."),
            )
        })?;
    let text = String::from_utf8_lossy(&bytes);
    if text.trim().is_empty() {
        return Ok(None);
    }
    quick_xml::de::from_str(&text).map(Some).map_err(|problem| {
        error(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            format!("The XML you provided was not well-formed or did not validate against our published schema ({problem})."),
        )
    })
}
