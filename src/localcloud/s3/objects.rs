//! Objects: `PutObject`, `GetObject` (with ranges), `HeadObject`, `DeleteObject`,
//! `CopyObject` and `DeleteObjects`.

use std::io::SeekFrom;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::ingest::{self, BlobFile};
use super::request::{Request, error, no_such_bucket, no_such_key, storage_error};
use super::{BlobStore, Bucket, S3Object, xml};
use crate::domain::bundle::{self, BundleFacts};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;

/// The content type of objects uploaded without one.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// The time as HTTP headers write it: `Wed, 01 May 2024 12:00:00 GMT`.
pub fn http_date(time: Timestamp) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from_unix_timestamp(time.as_millis().div_euclid(1000))
        .ok()
        .and_then(|time| time.format(FORMAT).ok())
        .unwrap_or_default()
}

/// Adds the header `name: value` when `value` is a valid header value.
fn set(headers: &mut HeaderMap, name: impl Into<HeaderName>, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name.into(), value);
    }
}

/// The most bytes of a body kept as text (see [`S3Object::text`]).
pub const MAX_TEXT_BYTES: u64 = 64 * 1024;

/// What an uploaded body holds: a CodeDeploy bundle's facts when it starts
/// like a zip, gzip or tar archive; otherwise its text when it is small
/// UTF-8. Read on the blocking pool.
pub async fn inspect_bundle(path: PathBuf) -> (Option<BundleFacts>, Option<String>) {
    tokio::task::spawn_blocking(move || {
        let Ok(mut file) = std::fs::File::open(&path) else {
            return (None, None);
        };
        let mut head = [0_u8; 512];
        let mut read = 0;
        while read < head.len() {
            match std::io::Read::read(&mut file, &mut head[read..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
        let zip = head.starts_with(b"PK");
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let tar = read >= 262 && &head[257..262] == b"ustar";
        if !(zip || gzip || tar) {
            let small = file
                .metadata()
                .is_ok_and(|metadata| metadata.len() <= MAX_TEXT_BYTES);
            let text = small.then(|| std::fs::read_to_string(&path).ok()).flatten();
            return (None, text);
        }
        if std::io::Seek::seek(&mut file, SeekFrom::Start(0)).is_err() {
            return (None, None);
        }
        (bundle::inspect(file), None)
    })
    .await
    .unwrap_or_default()
}

/// Checks that `bucket` exists, before a body is read.
fn require_bucket(request: &Request) -> Result<(), ApiError> {
    request.read_bucket(|_| Ok(()))
}

/// A fresh version id, for a bucket that keeps versions.
fn new_version_id(bucket: &Bucket) -> Option<String> {
    bucket
        .keeps_versions()
        .then(|| uuid::Uuid::new_v4().simple().to_string())
}

/// Commits `object` as `key` of the request's bucket, its body the blob
/// `file`, and removes what it replaced. Returns the stored object.
pub async fn commit(
    request: &Request,
    key: &str,
    file: BlobFile,
    mut object: S3Object,
) -> Result<S3Object, ApiError> {
    let (replaced, object) = request.write_bucket(|bucket| {
        object.version_id = new_version_id(bucket);
        let replaced = bucket.store(key, object.clone());
        Ok::<_, ApiError>((replaced, object))
    })?;
    file.keep();
    // Bodies go once the change that dropped them is on disk.
    request.shared.world.settled().await;
    request.shared.blobs.remove(replaced).await;
    Ok(object)
}

/// The headers every successful write answers with.
fn write_headers(object: &S3Object) -> HeaderMap {
    let mut headers = HeaderMap::new();
    set(&mut headers, ETAG, &object.etag);
    if let Some(version) = &object.version_id {
        set(
            &mut headers,
            HeaderName::from_static("x-amz-version-id"),
            version,
        );
    }
    for (algorithm, value) in &object.checksums {
        if let Ok(name) = HeaderName::try_from(format!("x-amz-checksum-{algorithm}")) {
            set(&mut headers, name, value);
        }
    }
    headers
}

/// `PutObject`.
pub async fn put_object(request: &Request, body: Body) -> Result<Response, ApiError> {
    require_bucket(request)?;
    let ingested = ingest::ingest_request(request, body).await?;
    let (bundle, text) = inspect_bundle(ingested.file.path().to_path_buf()).await;
    let etag = ingested.etag();
    let placed = ingested
        .file
        .place(&request.shared.blobs, &BlobStore::new_name())
        .await?;
    let object = S3Object {
        size: ingested.size,
        etag,
        last_modified: request.now,
        version_id: None,
        content_type: request.header("content-type").map(str::to_owned),
        blob: blob_name(&placed),
        bundle,
        text,
        checksums: ingested.checksums,
    };
    let object = commit(request, request.key(), placed, object).await?;
    Ok((StatusCode::OK, write_headers(&object)).into_response())
}

/// The blob name of a placed file.
fn blob_name(file: &BlobFile) -> String {
    file.path()
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A byte range asked for, resolved against the object's size: the first
/// and last byte, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte.
    pub first: u64,
    /// The last byte.
    pub last: u64,
}

/// Resolves a `Range` header against an object of `size` bytes: `None`
/// when the header is not a single byte range S3 understands (S3 then
/// sends the whole object), an error when no byte of it exists.
pub fn resolve_range(header: &str, size: u64) -> Option<Result<ByteRange, ApiError>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let unsatisfiable = || {
        error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            format!(
                "The requested range is not satisfiable: the object is {size} bytes long; ask for bytes 0 to {}.",
                size.saturating_sub(1)
            ),
        )
    };
    let range = if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 || size == 0 {
            return Some(Err(unsatisfiable()));
        }
        ByteRange {
            first: size.saturating_sub(suffix),
            last: size - 1,
        }
    } else {
        let first: u64 = first.parse().ok()?;
        let last: Option<u64> = if last.is_empty() {
            None
        } else {
            Some(last.parse().ok()?)
        };
        if last.is_some_and(|last| last < first) {
            return None;
        }
        if first >= size {
            return Some(Err(unsatisfiable()));
        }
        ByteRange {
            first,
            last: last.map_or(size - 1, |last| last.min(size - 1)),
        }
    };
    Some(Ok(range))
}

/// `GetObject`, or `HeadObject` when `head`.
pub async fn get_object(request: &Request, head: bool) -> Result<Response, ApiError> {
    let key = request.key();
    let version = request.query.get("versionId");
    let object = request.read_bucket(|bucket| match version {
        Some(version) => bucket.version(key, version).cloned().ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "NoSuchVersion",
                format!(
                    "The specified version does not exist: \"{key}\" has no version {version}."
                ),
            )
        }),
        None => bucket
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| no_such_key(key)),
    })?;
    let range = match request.header("range") {
        Some(header) => resolve_range(header, object.size).transpose()?,
        None => None,
    };
    let mut headers = HeaderMap::new();
    set(
        &mut headers,
        CONTENT_TYPE,
        object
            .content_type
            .as_deref()
            .unwrap_or(DEFAULT_CONTENT_TYPE),
    );
    set(&mut headers, ETAG, &object.etag);
    set(
        &mut headers,
        LAST_MODIFIED,
        &http_date(object.last_modified),
    );
    set(&mut headers, ACCEPT_RANGES, "bytes");
    if let Some(version) = &object.version_id {
        set(
            &mut headers,
            HeaderName::from_static("x-amz-version-id"),
            version,
        );
    }
    let checksum_mode = request
        .header("x-amz-checksum-mode")
        .is_some_and(|mode| mode.eq_ignore_ascii_case("ENABLED"));
    if checksum_mode && range.is_none() {
        for (algorithm, value) in &object.checksums {
            if let Ok(name) = HeaderName::try_from(format!("x-amz-checksum-{algorithm}")) {
                set(&mut headers, name, value);
            }
        }
    }
    let (status, first, length) = match range {
        Some(range) => {
            set(
                &mut headers,
                CONTENT_RANGE,
                &format!("bytes {}-{}/{}", range.first, range.last, object.size),
            );
            (
                StatusCode::PARTIAL_CONTENT,
                range.first,
                range.last - range.first + 1,
            )
        }
        None => (StatusCode::OK, 0, object.size),
    };
    set(&mut headers, CONTENT_LENGTH, &length.to_string());
    if head {
        return Ok((status, headers).into_response());
    }
    let mut file = tokio::fs::File::open(request.shared.blobs.path(&object.blob))
        .await
        .map_err(|problem| {
            if problem.kind() == std::io::ErrorKind::NotFound {
                no_such_key(key)
            } else {
                storage_error("read the object's body", &problem)
            }
        })?;
    if first > 0 {
        file.seek(SeekFrom::Start(first))
            .await
            .map_err(|problem| storage_error("read the object's body", &problem))?;
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(length), 64 * 1024);
    Ok((status, headers, Body::from_stream(stream)).into_response())
}

/// What deleting one key did.
#[derive(Debug, Default)]
struct Deletion {
    /// The version deleted, or the id of the delete marker made.
    version_id: Option<String>,
    /// Whether a delete marker was made (versioned buckets).
    delete_marker: bool,
    /// Blobs no longer referred to.
    blobs: Vec<String>,
}

/// Deletes `key` (or its version `version`) from `bucket`. Deleting what
/// does not exist succeeds, as in S3.
fn delete_in(bucket: &mut Bucket, key: &str, version: Option<&str>) -> Deletion {
    let mut deletion = Deletion::default();
    match version {
        Some(version) => {
            deletion.version_id = Some(version.to_owned());
            let matches =
                |object: &S3Object| object.version_id.as_deref().unwrap_or("null") == version;
            if bucket.objects.get(key).is_some_and(matches) {
                if let Some(current) = bucket.objects.remove(key) {
                    deletion.blobs.push(current.blob);
                }
                // The previous version becomes the current one.
                if let Some(previous) = bucket.versions.get_mut(key).and_then(Vec::pop) {
                    bucket.objects.insert(key.to_owned(), previous);
                }
            } else if let Some(versions) = bucket.versions.get_mut(key)
                && let Some(index) = versions.iter().position(matches)
            {
                deletion.blobs.push(versions.remove(index).blob);
            }
            if bucket.versions.get(key).is_some_and(Vec::is_empty) {
                bucket.versions.remove(key);
            }
        }
        None if bucket.versioning.is_some() => {
            if let Some(current) = bucket.objects.remove(key) {
                bucket
                    .versions
                    .entry(key.to_owned())
                    .or_default()
                    .push(current);
            }
            deletion.delete_marker = true;
            deletion.version_id = Some(new_version_id(bucket).unwrap_or_else(|| "null".to_owned()));
        }
        None => {
            if let Some(current) = bucket.objects.remove(key) {
                deletion.blobs.push(current.blob);
            }
        }
    }
    deletion
}

/// `DeleteObject`: 204 whether or not the key existed.
pub async fn delete_object(request: &Request) -> Result<Response, ApiError> {
    let key = request.key();
    let version = request.query.get("versionId");
    let deletion =
        request.write_bucket(|bucket| Ok::<_, ApiError>(delete_in(bucket, key, version)))?;
    // Bodies go once the change that dropped them is on disk.
    request.shared.world.settled().await;
    request.shared.blobs.remove(deletion.blobs).await;
    let mut headers = HeaderMap::new();
    if let Some(version) = &deletion.version_id {
        set(
            &mut headers,
            HeaderName::from_static("x-amz-version-id"),
            version,
        );
    }
    if deletion.delete_marker {
        set(
            &mut headers,
            HeaderName::from_static("x-amz-delete-marker"),
            "true",
        );
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// `<Delete>` of `DeleteObjects`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    #[serde(default)]
    quiet: bool,
    #[serde(default)]
    object: Vec<ObjectIdentifier>,
}

/// One `<Object>` to delete.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ObjectIdentifier {
    key: String,
    #[serde(default)]
    version_id: Option<String>,
}

/// `<DeleteResult>`.
#[derive(Serialize)]
struct DeleteResult {
    #[serde(rename = "Deleted")]
    deleted: Vec<DeletedXml>,
}

/// One `<Deleted>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeletedXml {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_marker: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_marker_version_id: Option<String>,
}

/// The most keys one `DeleteObjects` takes.
const MAX_DELETE_KEYS: usize = 1000;

/// `DeleteObjects`.
pub async fn delete_objects(request: &Request, body: Body) -> Result<Response, ApiError> {
    let malformed = |detail: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            format!(
                "The XML you provided was not well-formed or did not validate against our published schema: {detail}."
            ),
        )
    };
    let delete: DeleteRequest = xml::read(body)
        .await?
        .ok_or_else(|| malformed("send a <Delete> with one <Object> per key"))?;
    if delete.object.is_empty() || delete.object.len() > MAX_DELETE_KEYS {
        return Err(malformed("name between 1 and 1000 objects"));
    }
    let (deleted, blobs) = request.write_bucket(|bucket| {
        let mut deleted = Vec::new();
        let mut blobs = Vec::new();
        for object in &delete.object {
            let deletion = delete_in(bucket, &object.key, object.version_id.as_deref());
            blobs.extend(deletion.blobs);
            deleted.push(DeletedXml {
                key: object.key.clone(),
                version_id: object.version_id.clone(),
                delete_marker: deletion.delete_marker.then_some(true),
                delete_marker_version_id: if deletion.delete_marker {
                    deletion.version_id
                } else {
                    None
                },
            });
        }
        Ok::<_, ApiError>((deleted, blobs))
    })?;
    // Bodies go once the change that dropped them is on disk.
    request.shared.world.settled().await;
    request.shared.blobs.remove(blobs).await;
    let deleted = if delete.quiet { Vec::new() } else { deleted };
    xml::ok("DeleteResult", &DeleteResult { deleted })
}

/// `<CopyObjectResult>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CopyObjectResult {
    #[serde(rename = "ETag")]
    etag: String,
    last_modified: String,
}

/// The bucket, key and version an `x-amz-copy-source` names:
/// `[/]bucket/key[?versionId=...]`, percent-encoded.
fn copy_source(header: &str) -> Option<(String, String, Option<String>)> {
    let (path, version) = match header.split_once("?versionId=") {
        Some((path, version)) => (path, Some(version.to_owned())),
        None => (header, None),
    };
    let path = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_owned(), key.to_owned(), version))
}

/// `CopyObject`.
pub async fn copy_object(request: &Request) -> Result<Response, ApiError> {
    let header = request.header("x-amz-copy-source").unwrap_or_default();
    let (source_bucket, source_key, source_version) = copy_source(header).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.",
        )
    })?;
    let replace = request
        .header("x-amz-metadata-directive")
        .is_some_and(|directive| directive.eq_ignore_ascii_case("REPLACE"));
    if source_bucket == request.bucket && source_key == request.key() && !replace {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    require_bucket(request)?;
    let source = request.shared.world.read(|world| {
        let bucket = world
            .s3
            .buckets
            .get(&source_bucket)
            .ok_or_else(|| no_such_bucket(&source_bucket))?;
        match &source_version {
            Some(version) => bucket.version(&source_key, version).cloned(),
            None => bucket.objects.get(&source_key).cloned(),
        }
        .ok_or_else(|| no_such_key(&source_key))
    })?;
    let file = BlobFile::new(request.shared.blobs.temporary_path());
    tokio::fs::copy(request.shared.blobs.path(&source.blob), file.path())
        .await
        .map_err(|problem| storage_error("copy the object's body", &problem))?;
    let placed = file
        .place(&request.shared.blobs, &BlobStore::new_name())
        .await?;
    let object = S3Object {
        last_modified: request.now,
        version_id: None,
        content_type: if replace {
            request.header("content-type").map(str::to_owned)
        } else {
            source.content_type.clone()
        },
        blob: blob_name(&placed),
        ..source
    };
    let object = commit(request, request.key(), placed, object).await?;
    let mut response = xml::ok(
        "CopyObjectResult",
        &CopyObjectResult {
            etag: object.etag.clone(),
            last_modified: object.last_modified.to_iso8601(),
        },
    )?;
    if let Some(version) = &object.version_id {
        set(
            response.headers_mut(),
            HeaderName::from_static("x-amz-version-id"),
            version,
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_as_s3_reads_them() {
        let range =
            |header: &str| resolve_range(header, 10).map(|result| result.map_err(|e| e.code));
        assert_eq!(
            range("bytes=0-3"),
            Some(Ok(ByteRange { first: 0, last: 3 }))
        );
        assert_eq!(range("bytes=4-"), Some(Ok(ByteRange { first: 4, last: 9 })));
        assert_eq!(range("bytes=-3"), Some(Ok(ByteRange { first: 7, last: 9 })));
        assert_eq!(
            range("bytes=5-100"),
            Some(Ok(ByteRange { first: 5, last: 9 }))
        );
        assert_eq!(range("bytes=10-"), Some(Err("InvalidRange")));
        assert_eq!(range("bytes=3-1"), None);
        assert_eq!(range("items=0-1"), None);
        assert_eq!(range("bytes=0-1,4-5"), None);
    }

    #[test]
    fn http_dates_are_rfc_7231() {
        assert_eq!(
            http_date(Timestamp::from_secs(1_714_564_800)),
            "Wed, 01 May 2024 12:00:00 GMT"
        );
    }

    #[test]
    fn copy_sources_are_decoded() {
        assert_eq!(
            copy_source("/b/a%20key?versionId=v1"),
            Some(("b".to_owned(), "a key".to_owned(), Some("v1".to_owned())))
        );
        assert_eq!(copy_source("b"), None);
    }
}
