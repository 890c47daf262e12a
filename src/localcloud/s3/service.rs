//! S3 as the server sees it: REST with XML bodies and path-style
//! addressing (`/<bucket>/<key>`). S3 claims every request addressed by
//! its path (and every request signed for `s3`), tells the operation from
//! the method, the path and the query, and runs it with the body unread,
//! so that uploads stream to disk.

use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use super::request::{Query, Request, error, split_path};
use super::{buckets, listing, multipart, objects};
use crate::localcloud::dispatch::{Call, Operations, RestApi, Service, Shared};
use crate::localcloud::protocol::xml::{S3_REQUEST_ID_HEADER, rest_xml_error};
use crate::localcloud::protocol::{self, ApiError, Wire};

/// S3, registered with the server.
pub static SERVICE: Service = Service::rest(
    "s3",
    "S3",
    RestApi {
        wire: Wire::RestXml,
        claims,
        operation,
        serve,
    },
);

/// Whether a request is S3's: signed for S3, or addressed by its path
/// alone.
fn claims(parts: &Parts) -> bool {
    protocol::is_signed_for(&parts.headers, "s3")
        || protocol::is_path_addressed(&parts.method, &parts.uri, &parts.headers)
}

/// Subresources of buckets and objects that S3 has and the local cloud
/// does not serve.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "versions",
    "website",
];

/// The S3 operation a request asks for, by the method, the path and the
/// query, as S3's API reference names it (e.g. `PutObject`);
/// `Unsupported` for a subresource the local cloud does not serve and
/// `MethodNotAllowed` for a method S3 does not allow on the resource.
fn operation(parts: &Parts) -> &'static str {
    let query = Query::parse(parts.uri.query());
    let (bucket, key) = split_path(parts.uri.path());
    let method = &parts.method;
    let copy = parts.headers.contains_key("x-amz-copy-source");
    if bucket.is_empty() {
        return if *method == Method::GET {
            "ListBuckets"
        } else {
            "MethodNotAllowed"
        };
    }
    if UNSUPPORTED_SUBRESOURCES.iter().any(|name| query.has(name)) {
        return "Unsupported";
    }
    match key {
        None => match *method {
            Method::PUT if query.has("versioning") => "PutBucketVersioning",
            Method::PUT => "CreateBucket",
            Method::HEAD => "HeadBucket",
            Method::DELETE => "DeleteBucket",
            Method::GET if query.has("location") => "GetBucketLocation",
            Method::GET if query.has("versioning") => "GetBucketVersioning",
            Method::GET if query.has("uploads") => "ListMultipartUploads",
            Method::GET if query.get("list-type") == Some("2") => "ListObjectsV2",
            Method::GET => "ListObjects",
            Method::POST if query.has("delete") => "DeleteObjects",
            _ => "MethodNotAllowed",
        },
        Some(_) => match *method {
            Method::PUT if query.has("uploadId") && copy => "UploadPartCopy",
            Method::PUT if query.has("uploadId") => "UploadPart",
            Method::PUT if copy => "CopyObject",
            Method::PUT => "PutObject",
            Method::GET if query.has("uploadId") => "ListParts",
            Method::GET => "GetObject",
            Method::HEAD => "HeadObject",
            Method::DELETE if query.has("uploadId") => "AbortMultipartUpload",
            Method::DELETE => "DeleteObject",
            Method::POST if query.has("uploads") => "CreateMultipartUpload",
            Method::POST if query.has("uploadId") => "CompleteMultipartUpload",
            _ => "MethodNotAllowed",
        },
    }
}

/// What an S3 operation answers: the whole response, or an error.
type Answer = Result<Response, ApiError>;

/// An operation of S3: the request and its body, unread.
type S3Handler = fn(Request, Body) -> BoxFuture<'static, Answer>;

/// Every operation the local cloud's S3 has.
static OPERATIONS: Operations<S3Handler> = Operations::new(&[
    ("ListBuckets", |request, _| {
        ready(buckets::list_buckets(&request))
    }),
    ("CreateBucket", |request, body| {
        async move { buckets::create_bucket(&request, body).await }.boxed()
    }),
    ("HeadBucket", |request, _| {
        ready(buckets::head_bucket(&request))
    }),
    ("DeleteBucket", |request, _| {
        ready(buckets::delete_bucket(&request))
    }),
    ("GetBucketLocation", |request, _| {
        ready(buckets::get_bucket_location(&request))
    }),
    ("GetBucketVersioning", |request, _| {
        ready(buckets::get_bucket_versioning(&request))
    }),
    ("PutBucketVersioning", |request, body| {
        async move { buckets::put_bucket_versioning(&request, body).await }.boxed()
    }),
    ("ListObjectsV2", |request, _| {
        ready(listing::list_objects(&request, true))
    }),
    ("ListObjects", |request, _| {
        ready(listing::list_objects(&request, false))
    }),
    ("ListMultipartUploads", |request, _| {
        ready(multipart::list_uploads(&request))
    }),
    ("DeleteObjects", |request, body| {
        async move { objects::delete_objects(&request, body).await }.boxed()
    }),
    ("PutObject", |request, body| {
        async move { objects::put_object(&request, body).await }.boxed()
    }),
    ("CopyObject", |request, _| {
        async move { objects::copy_object(&request).await }.boxed()
    }),
    ("GetObject", |request, _| {
        async move { objects::get_object(&request, false).await }.boxed()
    }),
    ("HeadObject", |request, _| {
        async move { objects::get_object(&request, true).await }.boxed()
    }),
    ("DeleteObject", |request, _| {
        async move { objects::delete_object(&request).await }.boxed()
    }),
    ("CreateMultipartUpload", |request, _| {
        ready(multipart::create(&request))
    }),
    ("UploadPart", |request, body| {
        async move { multipart::upload_part(&request, body).await }.boxed()
    }),
    ("CompleteMultipartUpload", |request, body| {
        async move { multipart::complete(&request, body).await }.boxed()
    }),
    ("AbortMultipartUpload", |request, _| {
        async move { multipart::abort(&request).await }.boxed()
    }),
    ("ListParts", |request, _| {
        ready(multipart::list_parts(&request))
    }),
    ("UploadPartCopy", |request, _| {
        ready(not_implemented(&request))
    }),
    ("Unsupported", |request, _| ready(not_implemented(&request))),
    ("MethodNotAllowed", |request, _| {
        ready(not_allowed(&request))
    }),
]);

/// An answer that is ready now, as a future.
fn ready(answer: Answer) -> BoxFuture<'static, Answer> {
    std::future::ready(answer).boxed()
}

/// The error for a request the local cloud's S3 does not serve.
fn not_implemented(request: &Request) -> Answer {
    Err(error(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplemented",
        format!(
            "The local cloud does not implement this S3 request ({} {}); it serves buckets, objects, listings, multipart uploads and versioning.",
            request.parts.method,
            request.parts.uri.path()
        ),
    ))
}

/// The error for a method S3 does not allow on the resource.
fn not_allowed(request: &Request) -> Answer {
    Err(error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!(
            "The specified method is not allowed against this resource: S3 does not accept {} on {}.",
            request.parts.method,
            request.parts.uri.path()
        ),
    ))
}

/// Serves one S3 request, reading its body as a stream. A `HEAD` request
/// that fails gets its status alone, as S3 answers it.
fn serve(
    shared: Arc<Shared>,
    parts: Parts,
    body: Body,
    call: Call,
) -> BoxFuture<'static, Response> {
    async move {
        let resource = parts.uri.path().to_owned();
        let head = parts.method == Method::HEAD;
        let request = Request::new(shared, parts, call.now);
        let result = match OPERATIONS.find(&call.operation) {
            Some(handler) => handler(request, body).await,
            None => not_implemented(&request),
        };
        let mut response = match result {
            Ok(response) => response,
            Err(error) if head => error.status.into_response(),
            Err(error) => rest_xml_error(&error, &resource, &call.request_id),
        };
        if let Ok(value) = HeaderValue::from_str(&call.request_id) {
            response.headers_mut().insert(S3_REQUEST_ID_HEADER, value);
        }
        response
    }
    .boxed()
}
