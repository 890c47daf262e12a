//! The S3 service of the local cloud (REST with XML bodies, path-style
//! addressing: `/<bucket>/<key>`).
//!
//! Bucket and object metadata live in the [`World`](super::World), like every
//! other service's state; object bodies live on disk in the [`BlobStore`], so
//! bundles of hundreds of megabytes never sit in memory. Request bodies are
//! streamed to disk as they arrive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::domain::bundle::BundleFacts;

use super::api_error::ApiError;
use super::clock::Timestamp;
use super::protocol;
use super::server::Shared;

/// S3's buckets and the metadata of their objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct S3State {
    /// The buckets, by name.
    pub buckets: BTreeMap<String, Bucket>,
}

impl S3State {
    /// The object `key` in `bucket`, if both exist.
    pub fn object(&self, bucket: &str, key: &str) -> Option<&S3Object> {
        self.buckets.get(bucket)?.objects.get(key)
    }
}

/// A bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The region it was created in (its location constraint).
    pub region: String,
    /// When it was created.
    pub created: Timestamp,
    /// Its objects, by key.
    pub objects: BTreeMap<String, S3Object>,
}

/// The metadata of a stored object; its body is a file in the [`BlobStore`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Object {
    /// The body's size in bytes.
    pub size: u64,
    /// The ETag as S3 computes it, with its quotes: the MD5 of the body for
    /// a single upload, `"<md5 of the part md5s>-<parts>"` for multipart.
    pub etag: String,
    /// When it was last written.
    pub last_modified: Timestamp,
    /// The version id, when the bucket keeps versions.
    pub version_id: Option<String>,
    /// The `Content-Type` it was uploaded with.
    pub content_type: Option<String>,
    /// The name of the body's file in the blob store.
    pub blob: String,
    /// What the body holds as a CodeDeploy bundle, read when it was
    /// uploaded; `None` when it is not an archive.
    pub bundle: Option<BundleFacts>,
}

/// Where object bodies are kept on disk.
#[derive(Debug)]
pub struct BlobStore {
    /// The directory holding the bodies.
    root: PathBuf,
    /// Keeps a temporary directory alive for a local cloud kept in memory.
    _temporary: Option<tempfile::TempDir>,
}

impl BlobStore {
    /// Bodies kept in `root`, which is created if missing.
    pub fn open(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(Self {
            root,
            _temporary: None,
        })
    }

    /// Bodies kept in a temporary directory removed when the store is
    /// dropped, for a local cloud without a state file.
    pub fn temporary() -> std::io::Result<Self> {
        let temporary = tempfile::Builder::new()
            .prefix("deploydesk-s3-")
            .tempdir()?;
        Ok(Self {
            root: temporary.path().to_path_buf(),
            _temporary: Some(temporary),
        })
    }

    /// The directory holding the bodies.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The S3 operation a request asks for, as fault specs and request counts
/// name it (e.g. `PutObject`).
pub fn operation_name(parts: &Parts) -> String {
    parts.method.to_string()
}

/// Serves one S3 request, reading its body as a stream.
pub async fn handle(shared: Arc<Shared>, parts: Parts, body: Body, request_id: String) -> Response {
    let _ = (shared, body);
    let error = ApiError {
        status: StatusCode::NOT_IMPLEMENTED,
        code: "NotImplemented",
        message: format!(
            "The local cloud does not implement S3 {} {} yet.",
            parts.method,
            parts.uri.path()
        ),
    };
    let _ = Method::GET;
    protocol::rest_xml_error(&error, parts.uri.path(), &request_id)
}
