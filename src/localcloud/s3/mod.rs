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
//! This file holds S3's stored model: the buckets and the metadata of their
//! objects and uploads, and the [`BlobStore`] of their bodies. [`service`]
//! registers S3 with the server, tells an operation from the method, path
//! and query, and maps it to its function; [`request`] is a request as the
//! operations read it. One file per family of operations: [`buckets`],
//! [`objects`], [`listing`] and [`multipart`].

pub mod buckets;
pub mod ingest;
pub mod listing;
pub mod multipart;
pub mod objects;
pub mod request;
pub mod service;
mod xml;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::bundle::BundleFacts;

use super::clock::Timestamp;
use super::store::{Change, Changes, ReplayError, Table};

/// S3's buckets and the metadata of their objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct S3State {
    /// The buckets, by name.
    pub buckets: Table<String, Bucket>,
}

impl S3State {
    /// Notes the buckets changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.buckets.take_changes("s3.buckets", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "s3.buckets" => self.buckets.apply(change),
            _ => Err(change.unknown()),
        }
    }

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
    /// The body as text, when it is a small UTF-8 file rather than an
    /// archive: what a Lambda or ECS revision's AppSpec file (bundle type
    /// `YAML` or `JSON`) says, read when it was uploaded.
    #[serde(default)]
    pub text: Option<String>,
    /// The checksums of the whole body computed when it was uploaded in one
    /// piece, by algorithm (`crc32`, `sha256`, ...), base64 as S3 sends them.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    /// The key the object will have.
    pub key: String,
    /// When it was started.
    pub initiated: Timestamp,
    /// The `Content-Type` the object will have.
    pub content_type: Option<String>,
    /// The parts uploaded so far, by part number.
    pub parts: BTreeMap<u32, Part>,
}

/// An uploaded part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag: the quoted hex MD5 of its body.
    pub etag: String,
    /// When it was uploaded.
    pub last_modified: Timestamp,
    /// The blob holding its body.
    pub blob: String,
}

/// Where object bodies are kept on disk.
#[derive(Debug)]
pub struct BlobStore {
    /// The directory holding the bodies.
    root: PathBuf,
    /// Keeps a temporary directory alive for a local cloud kept in memory.
    _temporary: Option<tempfile::TempDir>,
    /// Whether the bodies outlive this run (they are synced to the disk).
    durable: bool,
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
            durable: true,
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
            durable: false,
        })
    }

    /// Whether the bodies are kept beyond this run, and so must be synced
    /// to the disk before their metadata is committed.
    pub fn is_durable(&self) -> bool {
        self.durable
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
