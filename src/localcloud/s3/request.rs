//! One S3 request as the operations read it (the bucket and key its path
//! names, its query, its headers), and S3's errors.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::http::request::Parts;

use super::Bucket;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::dispatch::Shared;
use crate::localcloud::protocol::{self, ApiError};

/// The decoded query string of a request.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The pairs, in order.
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes `query`.
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { pairs }
    }

    /// Whether the parameter `name` is present, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The bucket and key a path names: `/bucket/some/key` is `("bucket",
/// Some("some/key"))`, `/bucket` and `/bucket/` are `("bucket", None)`.
/// Both are percent-decoded.
pub fn split_path(path: &str) -> (String, Option<String>) {
    let path = path.strip_prefix('/').unwrap_or(path);
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    match path.split_once('/') {
        Some((bucket, "")) => (decode(bucket), None),
        Some((bucket, key)) => (decode(bucket), Some(decode(key))),
        None => (decode(path), None),
    }
}

/// One S3 request, parsed.
#[derive(Debug)]
pub struct Request {
    /// What the handlers share.
    pub shared: Arc<Shared>,
    /// The request's head.
    pub parts: Parts,
    /// The bucket named by the path.
    pub bucket: String,
    /// The key named by the path, if any.
    pub key: Option<String>,
    /// The query string.
    pub query: Query,
    /// The time of the request.
    pub now: Timestamp,
}

impl Request {
    /// The request whose head is `parts`, made at `now`.
    pub fn new(shared: Arc<Shared>, parts: Parts, now: Timestamp) -> Self {
        let (bucket, key) = split_path(parts.uri.path());
        let query = Query::parse(parts.uri.query());
        Self {
            shared,
            parts,
            bucket,
            key,
            query,
            now,
        }
    }

    /// The key, which the operation's route guarantees.
    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or_default()
    }

    /// The value of the header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    /// Runs `read` with the bucket the path names, or answers
    /// `NoSuchBucket`.
    pub fn read_bucket<R>(
        &self,
        read: impl FnOnce(&Bucket) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        self.shared.world.read(|world| {
            let bucket = world
                .s3
                .buckets
                .get(&self.bucket)
                .ok_or_else(|| no_such_bucket(&self.bucket))?;
            read(bucket)
        })
    }

    /// Runs `change` with the bucket the path names, which is saved when
    /// `change` succeeds (and must be left as it was when it fails), or
    /// answers `NoSuchBucket`.
    pub fn write_bucket<R>(
        &self,
        change: impl FnOnce(&mut Bucket) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        self.shared.world.write(|world| {
            let bucket = world
                .s3
                .buckets
                .get_mut(&self.bucket)
                .ok_or_else(|| no_such_bucket(&self.bucket))?;
            change(bucket)
        })
    }

    /// The region the request was signed for.
    pub fn region(&self) -> String {
        protocol::region_of(&self.parts.headers)
    }
}

/// An S3 error with its HTTP status.
pub fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::with_status(status, code, message)
}

/// `NoSuchBucket` for `bucket`.
pub fn no_such_bucket(bucket: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "NoSuchBucket",
        format!(
            "The specified bucket does not exist: create the bucket \"{bucket}\" first (CreateBucket, or aws s3 mb s3://{bucket})."
        ),
    )
}

/// `NoSuchKey` for `key`.
pub fn no_such_key(key: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "NoSuchKey",
        format!(
            "The specified key does not exist: no object \"{key}\" in this bucket; check the key (keys are case-sensitive)."
        ),
    )
}

/// An internal error around the blob store's files.
pub fn storage_error(what: &str, problem: &std::io::Error) -> ApiError {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        format!(
            "The local cloud could not {what} ({problem}); check the disk space and permissions of its state directory, then retry."
        ),
    )
}
