//! The S3 service of the local cloud (REST with XML bodies, path-style
//! addressing: `/<bucket>/<key>`).
//!
//! Bucket and object metadata live in the [`World`](super::World), like every
//! other service's state; object bodies live on disk in the [`BlobStore`], so
//! bundles of hundreds of megabytes never sit in memory. Request bodies are
//! streamed to a temporary file as they arrive ([`ingest`]); only a body that
//! arrived whole and passed its checks is moved into place and committed to
//! the world, so an interrupted upload leaves nothing behind.
//!
//! One file per family of operations: [`buckets`], [`objects`],
//! [`listing`] and [`multipart`].

pub mod buckets;
pub mod ingest;
pub mod listing;
pub mod multipart;
pub mod objects;
mod xml;

pub use multipart::{Part, Upload};

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse as _, Response};
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

    /// The version `version_id` of the object `key` in `bucket`: the
    /// current one or an older one, if the bucket keeps versions.
    pub fn object_version(&self, bucket: &str, key: &str, version_id: &str) -> Option<&S3Object> {
        let bucket = self.buckets.get(bucket)?;
        bucket.version(key, version_id)
    }

    /// The names of every blob the state refers to: object bodies, older
    /// versions and uploaded parts.
    pub fn blobs(&self) -> HashSet<String> {
        let mut blobs = HashSet::new();
        for bucket in self.buckets.values() {
            blobs.extend(bucket.objects.values().map(|object| object.blob.clone()));
            blobs.extend(
                bucket
                    .versions
                    .values()
                    .flatten()
                    .map(|object| object.blob.clone()),
            );
            blobs.extend(
                bucket
                    .uploads
                    .values()
                    .flat_map(|upload| upload.parts.values())
                    .map(|part| part.blob.clone()),
            );
        }
        blobs
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
    /// Whether it keeps versions: `None` if versioning was never set,
    /// else `Enabled` or `Suspended`.
    #[serde(default)]
    pub versioning: Option<String>,
    /// Older versions of objects, by key, oldest first (only in a bucket
    /// that keeps versions).
    #[serde(default)]
    pub versions: BTreeMap<String, Vec<S3Object>>,
    /// Multipart uploads in progress, by upload id.
    #[serde(default)]
    pub uploads: BTreeMap<String, Upload>,
}

impl Bucket {
    /// A new, empty bucket in `region`.
    pub fn new(region: String, created: Timestamp) -> Self {
        Self {
            region,
            created,
            objects: BTreeMap::new(),
            versioning: None,
            versions: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }

    /// Whether new objects get version ids.
    pub fn keeps_versions(&self) -> bool {
        self.versioning.as_deref() == Some("Enabled")
    }

    /// The version `version_id` of `key`, current or older.
    pub fn version(&self, key: &str, version_id: &str) -> Option<&S3Object> {
        let current = self
            .objects
            .get(key)
            .filter(|object| object.version_id.as_deref().unwrap_or("null") == version_id);
        current.or_else(|| {
            self.versions
                .get(key)?
                .iter()
                .find(|object| object.version_id.as_deref().unwrap_or("null") == version_id)
        })
    }

    /// Stores `object` as the current version of `key`. Returns the blobs
    /// no longer referred to (the replaced body, when versions are not
    /// kept), for the caller to delete once the world is unlocked.
    pub fn store(&mut self, key: &str, object: S3Object) -> Vec<String> {
        let suspended = self.versioning.as_deref() == Some("Suspended");
        let enabled = self.keeps_versions();
        match self.objects.insert(key.to_owned(), object) {
            Some(old) if enabled || (suspended && old.version_id.is_some()) => {
                self.versions.entry(key.to_owned()).or_default().push(old);
                Vec::new()
            }
            Some(old) => vec![old.blob],
            None => Vec::new(),
        }
    }
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
    /// The checksums of the whole body computed when it was uploaded in one
    /// piece, by algorithm (`crc32`, `sha256`, ...), base64 as S3 sends them.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

/// Where object bodies are kept on disk.
#[derive(Debug)]
pub struct BlobStore {
    /// The directory holding the bodies.
    root: PathBuf,
    /// Keeps a temporary directory alive for a local cloud kept in memory.
    _temporary: Option<tempfile::TempDir>,
}

/// The prefix of the files that uploads in progress are written to.
const TEMPORARY_PREFIX: &str = "incoming-";

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

    /// The file of the blob `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// A fresh name for a blob.
    pub fn new_name() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// A fresh temporary file for a body still arriving.
    pub fn temporary_path(&self) -> PathBuf {
        self.root.join(format!(
            "{TEMPORARY_PREFIX}{}",
            uuid::Uuid::new_v4().simple()
        ))
    }

    /// Removes every file except the blobs named in `keep`: bodies of
    /// objects that no longer exist and uploads that never finished.
    pub fn sweep(&self, keep: &HashSet<String>) -> std::io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_file() && !keep.contains(&name) {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes the blobs `names`, ignoring those already gone.
    pub async fn remove(&self, names: Vec<String>) {
        for name in names {
            if let Err(error) = tokio::fs::remove_file(self.path(&name)).await
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove the S3 body {name}: {error}");
            }
        }
    }
}

/// An S3 operation, as told by the method, the path and the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GET /`.
    ListBuckets,
    /// `PUT /bucket`.
    CreateBucket,
    /// `HEAD /bucket`.
    HeadBucket,
    /// `DELETE /bucket`.
    DeleteBucket,
    /// `GET /bucket?location`.
    GetBucketLocation,
    /// `GET /bucket?versioning`.
    GetBucketVersioning,
    /// `PUT /bucket?versioning`.
    PutBucketVersioning,
    /// `GET /bucket?list-type=2`.
    ListObjectsV2,
    /// `GET /bucket`.
    ListObjects,
    /// `GET /bucket?uploads`.
    ListMultipartUploads,
    /// `POST /bucket?delete`.
    DeleteObjects,
    /// `PUT /bucket/key`.
    PutObject,
    /// `PUT /bucket/key` with `x-amz-copy-source`.
    CopyObject,
    /// `GET /bucket/key`.
    GetObject,
    /// `HEAD /bucket/key`.
    HeadObject,
    /// `DELETE /bucket/key`.
    DeleteObject,
    /// `POST /bucket/key?uploads`.
    CreateMultipartUpload,
    /// `PUT /bucket/key?partNumber&uploadId`.
    UploadPart,
    /// `PUT /bucket/key?partNumber&uploadId` with `x-amz-copy-source`.
    UploadPartCopy,
    /// `POST /bucket/key?uploadId`.
    CompleteMultipartUpload,
    /// `DELETE /bucket/key?uploadId`.
    AbortMultipartUpload,
    /// `GET /bucket/key?uploadId`.
    ListParts,
    /// A bucket or object subresource the local cloud does not serve
    /// (`?acl`, `?policy`, `?tagging`, ...).
    Unsupported,
    /// A method S3 does not allow on the resource.
    NotAllowed,
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

impl Operation {
    /// The operation `parts` asks for.
    pub fn of(parts: &Parts) -> Self {
        let query = Query::parse(parts.uri.query());
        let (bucket, key) = split_path(parts.uri.path());
        let method = &parts.method;
        let copy = parts.headers.contains_key("x-amz-copy-source");
        if bucket.is_empty() {
            return if *method == Method::GET {
                Self::ListBuckets
            } else {
                Self::NotAllowed
            };
        }
        if UNSUPPORTED_SUBRESOURCES.iter().any(|name| query.has(name)) {
            return Self::Unsupported;
        }
        match key {
            None => match *method {
                Method::PUT if query.has("versioning") => Self::PutBucketVersioning,
                Method::PUT => Self::CreateBucket,
                Method::HEAD => Self::HeadBucket,
                Method::DELETE => Self::DeleteBucket,
                Method::GET if query.has("location") => Self::GetBucketLocation,
                Method::GET if query.has("versioning") => Self::GetBucketVersioning,
                Method::GET if query.has("uploads") => Self::ListMultipartUploads,
                Method::GET if query.get("list-type") == Some("2") => Self::ListObjectsV2,
                Method::GET => Self::ListObjects,
                Method::POST if query.has("delete") => Self::DeleteObjects,
                _ => Self::NotAllowed,
            },
            Some(_) => match *method {
                Method::PUT if query.has("uploadId") && copy => Self::UploadPartCopy,
                Method::PUT if query.has("uploadId") => Self::UploadPart,
                Method::PUT if copy => Self::CopyObject,
                Method::PUT => Self::PutObject,
                Method::GET if query.has("uploadId") => Self::ListParts,
                Method::GET => Self::GetObject,
                Method::HEAD => Self::HeadObject,
                Method::DELETE if query.has("uploadId") => Self::AbortMultipartUpload,
                Method::DELETE => Self::DeleteObject,
                Method::POST if query.has("uploads") => Self::CreateMultipartUpload,
                Method::POST if query.has("uploadId") => Self::CompleteMultipartUpload,
                _ => Self::NotAllowed,
            },
        }
    }

    /// The operation's name, as S3's API reference spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::ListBuckets => "ListBuckets",
            Self::CreateBucket => "CreateBucket",
            Self::HeadBucket => "HeadBucket",
            Self::DeleteBucket => "DeleteBucket",
            Self::GetBucketLocation => "GetBucketLocation",
            Self::GetBucketVersioning => "GetBucketVersioning",
            Self::PutBucketVersioning => "PutBucketVersioning",
            Self::ListObjectsV2 => "ListObjectsV2",
            Self::ListObjects => "ListObjects",
            Self::ListMultipartUploads => "ListMultipartUploads",
            Self::DeleteObjects => "DeleteObjects",
            Self::PutObject => "PutObject",
            Self::CopyObject => "CopyObject",
            Self::GetObject => "GetObject",
            Self::HeadObject => "HeadObject",
            Self::DeleteObject => "DeleteObject",
            Self::CreateMultipartUpload => "CreateMultipartUpload",
            Self::UploadPart => "UploadPart",
            Self::UploadPartCopy => "UploadPartCopy",
            Self::CompleteMultipartUpload => "CompleteMultipartUpload",
            Self::AbortMultipartUpload => "AbortMultipartUpload",
            Self::ListParts => "ListParts",
            Self::Unsupported => "Unsupported",
            Self::NotAllowed => "MethodNotAllowed",
        }
    }
}

/// The S3 operation a request asks for, as fault specs and request counts
/// name it (e.g. `PutObject`).
pub fn operation_name(parts: &Parts) -> String {
    Operation::of(parts).name().to_owned()
}

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
fn split_path(path: &str) -> (String, Option<String>) {
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

    /// The region the request was signed for.
    pub fn region(&self) -> String {
        protocol::region_of(&self.parts.headers)
    }
}

/// An S3 error with its HTTP status.
pub fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
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

/// Serves one S3 request, reading its body as a stream.
pub async fn handle(shared: Arc<Shared>, parts: Parts, body: Body, request_id: String) -> Response {
    let operation = Operation::of(&parts);
    let resource = parts.uri.path().to_owned();
    let head = parts.method == Method::HEAD;
    let (bucket, key) = split_path(parts.uri.path());
    let query = Query::parse(parts.uri.query());
    let now = shared.clock.now();
    let request = Request {
        shared,
        parts,
        bucket,
        key,
        query,
        now,
    };
    let result = match operation {
        Operation::ListBuckets => buckets::list_buckets(&request),
        Operation::CreateBucket => buckets::create_bucket(&request, body).await,
        Operation::HeadBucket => buckets::head_bucket(&request),
        Operation::DeleteBucket => buckets::delete_bucket(&request),
        Operation::GetBucketLocation => buckets::get_bucket_location(&request),
        Operation::GetBucketVersioning => buckets::get_bucket_versioning(&request),
        Operation::PutBucketVersioning => buckets::put_bucket_versioning(&request, body).await,
        Operation::ListObjectsV2 => listing::list_objects(&request, true),
        Operation::ListObjects => listing::list_objects(&request, false),
        Operation::ListMultipartUploads => multipart::list_uploads(&request),
        Operation::DeleteObjects => objects::delete_objects(&request, body).await,
        Operation::PutObject => objects::put_object(&request, body).await,
        Operation::CopyObject => objects::copy_object(&request).await,
        Operation::GetObject | Operation::HeadObject => objects::get_object(&request, head).await,
        Operation::DeleteObject => objects::delete_object(&request).await,
        Operation::CreateMultipartUpload => multipart::create(&request),
        Operation::UploadPart => multipart::upload_part(&request, body).await,
        Operation::CompleteMultipartUpload => multipart::complete(&request, body).await,
        Operation::AbortMultipartUpload => multipart::abort(&request).await,
        Operation::ListParts => multipart::list_parts(&request),
        Operation::UploadPartCopy | Operation::Unsupported => Err(error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!(
                "The local cloud does not implement this S3 request ({} {}); it serves buckets, objects, listings, multipart uploads and versioning.",
                request.parts.method, resource
            ),
        )),
        Operation::NotAllowed => Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!(
                "The specified method is not allowed against this resource: S3 does not accept {} on {resource}.",
                request.parts.method
            ),
        )),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(error) if head => error.status.into_response(),
        Err(error) => protocol::rest_xml_error(&error, &resource, &request_id),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amz-request-id", value);
    }
    response
}
