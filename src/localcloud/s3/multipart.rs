//! Multipart uploads: `CreateMultipartUpload`, `UploadPart`,
//! `CompleteMultipartUpload`, `AbortMultipartUpload`, `ListParts` and
//! `ListMultipartUploads`.
//!
//! Each part's body is a blob of its own; completing concatenates the parts
//! named into one new blob, and the object's ETag is the MD5 of the parts'
//! MD5s followed by `-<number of parts>`, as S3 computes it.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::header::ETAG;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use md5::Digest as _;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;

use super::buckets::{OWNER, Owner};
use super::ingest::{self, BlobFile};
use super::objects::{commit, inspect_bundle};
use super::request::{Request, error, storage_error};
use super::xml;
use super::{BlobStore, Bucket, Part, S3Object, Upload};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;

/// The smallest a part other than the last may be: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// The highest part number.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// `NoSuchUpload` for `upload_id`.
fn no_such_upload(upload_id: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        format!(
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed ({upload_id}); start a new upload with CreateMultipartUpload."
        ),
    )
}

/// The upload id the request names.
fn upload_id(request: &Request) -> String {
    request.query.get("uploadId").unwrap_or_default().to_owned()
}

/// `<InitiateMultipartUploadResult>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateResult {
    bucket: String,
    key: String,
    upload_id: String,
}

/// `CreateMultipartUpload`.
pub fn create(request: &Request) -> Result<Response, ApiError> {
    let upload_id = uuid::Uuid::new_v4().simple().to_string();
    let key = request.key().to_owned();
    request.write_bucket(|bucket| {
        bucket.uploads.insert(
            upload_id.clone(),
            Upload {
                key: key.clone(),
                initiated: request.now,
                content_type: request.header("content-type").map(str::to_owned),
                parts: BTreeMap::new(),
            },
        );
        Ok::<_, ApiError>(())
    })?;
    xml::ok(
        "InitiateMultipartUploadResult",
        &InitiateResult {
            bucket: request.bucket.clone(),
            key,
            upload_id,
        },
    )
}

/// The upload `upload_id` of `bucket`, if it is one of the request's key,
/// or `NoSuchUpload`.
fn upload_of<'a>(
    request: &Request,
    bucket: &'a Bucket,
    upload_id: &str,
) -> Result<&'a Upload, ApiError> {
    bucket
        .uploads
        .get(upload_id)
        .filter(|upload| upload.key == request.key())
        .ok_or_else(|| no_such_upload(upload_id))
}

/// Checks that the upload exists for the request's key.
fn require_upload(request: &Request, upload_id: &str) -> Result<(), ApiError> {
    request.read_bucket(|bucket| upload_of(request, bucket, upload_id).map(|_| ()))
}

/// `UploadPart`.
pub async fn upload_part(request: &Request, body: Body) -> Result<Response, ApiError> {
    let upload_id = upload_id(request);
    let number = request
        .query
        .get("partNumber")
        .and_then(|number| number.parse::<u32>().ok())
        .filter(|number| (1..=MAX_PART_NUMBER).contains(number))
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!(
                    "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive."
                ),
            )
        })?;
    require_upload(request, &upload_id)?;
    let ingested = ingest::ingest_request(request, body).await?;
    let etag = ingested.etag();
    let name = BlobStore::new_name();
    let placed = ingested.file.place(&request.shared.blobs, &name).await?;
    let part = Part {
        size: ingested.size,
        etag: etag.clone(),
        last_modified: request.now,
        blob: name,
    };
    let replaced = request.write_bucket(|bucket| {
        let upload = bucket
            .uploads
            .get_mut(&upload_id)
            .ok_or_else(|| no_such_upload(&upload_id))?;
        Ok(upload.parts.insert(number, part).map(|old| old.blob))
    })?;
    placed.keep();
    // Bodies go once the change that dropped them is on disk.
    request.shared.world.settled().await;
    request
        .shared
        .blobs
        .remove(replaced.into_iter().collect())
        .await;
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    for (algorithm, value) in &ingested.checksums {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(format!("x-amz-checksum-{algorithm}")),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    Ok((StatusCode::OK, headers).into_response())
}

/// `<CompleteMultipartUpload>`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteRequest {
    #[serde(default)]
    part: Vec<CompletedPart>,
}

/// One `<Part>` of a `CompleteMultipartUpload`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompletedPart {
    part_number: u32,
    #[serde(rename = "ETag")]
    etag: String,
}

/// `<CompleteMultipartUploadResult>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteResult {
    location: String,
    bucket: String,
    key: String,
    #[serde(rename = "ETag")]
    etag: String,
}

/// The ETag without its quotes.
fn bare(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

/// Checks the parts a `CompleteMultipartUpload` names against those
/// uploaded, returning them in order.
fn chosen_parts(upload: &Upload, named: &[CompletedPart]) -> Result<Vec<Part>, ApiError> {
    let invalid_part = |number: u32| {
        error(
            StatusCode::BAD_REQUEST,
            "InvalidPart",
            format!(
                "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag (part {number}); list the parts with ListParts."
            ),
        )
    };
    if named
        .windows(2)
        .any(|pair| pair[0].part_number >= pair[1].part_number)
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        ));
    }
    let mut parts = Vec::with_capacity(named.len());
    for part in named {
        let uploaded = upload
            .parts
            .get(&part.part_number)
            .filter(|uploaded| bare(&uploaded.etag) == bare(&part.etag))
            .ok_or_else(|| invalid_part(part.part_number))?;
        parts.push(uploaded.clone());
    }
    if let Some((number, small)) = named
        .iter()
        .zip(&parts)
        .take(parts.len().saturating_sub(1))
        .find(|(_, part)| part.size < MIN_PART_SIZE)
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "EntityTooSmall",
            format!(
                "Your proposed upload is smaller than the minimum allowed object size: part {} is {} bytes, and every part but the last must be at least {MIN_PART_SIZE} bytes (5 MiB).",
                number.part_number, small.size
            ),
        ));
    }
    Ok(parts)
}

/// The ETag of a multipart object: the MD5 of the parts' MD5s, then `-N`.
pub fn multipart_etag(parts: &[Part]) -> String {
    let mut md5 = md5::Md5::new();
    for part in parts {
        md5.update(hex::decode(bare(&part.etag)).unwrap_or_default());
    }
    format!("\"{}-{}\"", hex::encode(md5.finalize()), parts.len())
}

/// `CompleteMultipartUpload`.
pub async fn complete(request: &Request, body: Body) -> Result<Response, ApiError> {
    let upload_id = upload_id(request);
    let named: CompleteRequest = xml::read(body).await?.ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema: send <CompleteMultipartUpload> with a <Part> for each part.",
        )
    })?;
    if named.part.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema: name at least one <Part>.",
        ));
    }
    let (parts, content_type) = request.read_bucket(|bucket| {
        let upload = upload_of(request, bucket, &upload_id)?;
        Ok::<_, ApiError>((
            chosen_parts(upload, &named.part)?,
            upload.content_type.clone(),
        ))
    })?;
    // Concatenate the parts into a new blob, outside the lock.
    let file = BlobFile::new(request.shared.blobs.temporary_path());
    let mut output = tokio::fs::File::create(file.path())
        .await
        .map_err(|problem| storage_error("create the object's body", &problem))?;
    let mut size = 0;
    for part in &parts {
        let mut input = tokio::fs::File::open(request.shared.blobs.path(&part.blob))
            .await
            .map_err(|problem| storage_error("read an uploaded part", &problem))?;
        size += tokio::io::copy(&mut input, &mut output)
            .await
            .map_err(|problem| storage_error("join the uploaded parts", &problem))?;
    }
    output
        .flush()
        .await
        .map_err(|problem| storage_error("join the uploaded parts", &problem))?;
    drop(output);
    let (bundle, text) = inspect_bundle(file.path().to_path_buf()).await;
    let etag = multipart_etag(&parts);
    let name = BlobStore::new_name();
    let placed = file.place(&request.shared.blobs, &name).await?;
    // The upload ends: its parts' blobs go, whether named or not.
    let removed = request.write_bucket(|bucket| {
        let upload = bucket
            .uploads
            .remove(&upload_id)
            .ok_or_else(|| no_such_upload(&upload_id))?;
        Ok::<_, ApiError>(upload)
    })?;
    let object = S3Object {
        size,
        etag: etag.clone(),
        last_modified: request.now,
        version_id: None,
        content_type,
        blob: name,
        bundle,
        text,
        checksums: BTreeMap::new(),
    };
    let object = commit(request, request.key(), placed, object).await?;
    // Bodies go once the change that dropped them is on disk.
    request.shared.world.settled().await;
    request
        .shared
        .blobs
        .remove(removed.parts.into_values().map(|part| part.blob).collect())
        .await;
    let mut response = xml::ok(
        "CompleteMultipartUploadResult",
        &CompleteResult {
            location: format!("/{}/{}", request.bucket, request.key()),
            bucket: request.bucket.clone(),
            key: request.key().to_owned(),
            etag,
        },
    )?;
    if let Some(version) = object
        .version_id
        .as_deref()
        .and_then(|version| HeaderValue::from_str(version).ok())
    {
        response.headers_mut().insert("x-amz-version-id", version);
    }
    Ok(response)
}

/// `AbortMultipartUpload`.
pub async fn abort(request: &Request) -> Result<Response, ApiError> {
    let upload_id = upload_id(request);
    let removed = request.write_bucket(|bucket| {
        upload_of(request, bucket, &upload_id)?;
        Ok(bucket.uploads.remove(&upload_id))
    })?;
    let blobs = removed
        .into_iter()
        .flat_map(|upload| upload.parts.into_values())
        .map(|part| part.blob)
        .collect();
    // Bodies go once the change that dropped them is on disk.
    request.shared.world.settled().await;
    request.shared.blobs.remove(blobs).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// One `<Part>` of `ListParts`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PartXml {
    part_number: u32,
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    size: u64,
}

/// `<ListPartsResult>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListPartsResult {
    bucket: String,
    key: String,
    upload_id: String,
    part_number_marker: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_part_number_marker: Option<u32>,
    max_parts: usize,
    is_truncated: bool,
    part: Vec<PartXml>,
    initiator: Owner,
    owner: Owner,
    storage_class: &'static str,
}

/// A whole-number query parameter, `default` when absent.
fn number(request: &Request, name: &str, default: usize) -> Result<usize, ApiError> {
    match request.query.get(name) {
        Some(value) => value.parse().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                format!("Provided {name} not an integer or within integer range: \"{value}\"."),
            )
        }),
        None => Ok(default),
    }
}

/// `ListParts`.
pub fn list_parts(request: &Request) -> Result<Response, ApiError> {
    let upload_id = upload_id(request);
    let max_parts = number(request, "max-parts", 1000)?.min(1000);
    let marker = number(request, "part-number-marker", 0)? as u32;
    let parts: Vec<(u32, Part)> = request.read_bucket(|bucket| {
        let upload = upload_of(request, bucket, &upload_id)?;
        Ok::<_, ApiError>(
            upload
                .parts
                .range(marker.saturating_add(1)..)
                .map(|(number, part)| (*number, part.clone()))
                .collect(),
        )
    })?;
    let is_truncated = parts.len() > max_parts;
    let part: Vec<PartXml> = parts
        .into_iter()
        .take(max_parts)
        .map(|(part_number, part)| PartXml {
            part_number,
            last_modified: part.last_modified.to_iso8601(),
            etag: part.etag,
            size: part.size,
        })
        .collect();
    xml::ok(
        "ListPartsResult",
        &ListPartsResult {
            bucket: request.bucket.clone(),
            key: request.key().to_owned(),
            upload_id,
            part_number_marker: marker,
            next_part_number_marker: part.last().map(|last| last.part_number),
            max_parts,
            is_truncated,
            part,
            initiator: OWNER,
            owner: OWNER,
            storage_class: "STANDARD",
        },
    )
}

/// One `<Upload>` of `ListMultipartUploads`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UploadXml {
    key: String,
    upload_id: String,
    initiator: Owner,
    owner: Owner,
    storage_class: &'static str,
    initiated: String,
}

/// `<ListMultipartUploadsResult>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListUploadsResult {
    bucket: String,
    key_marker: String,
    upload_id_marker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_key_marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_upload_id_marker: Option<String>,
    prefix: String,
    max_uploads: usize,
    is_truncated: bool,
    upload: Vec<UploadXml>,
}

/// `ListMultipartUploads`.
pub fn list_uploads(request: &Request) -> Result<Response, ApiError> {
    let max_uploads = number(request, "max-uploads", 1000)?.min(1000);
    let prefix = request.query.get("prefix").unwrap_or_default().to_owned();
    let key_marker = request
        .query
        .get("key-marker")
        .unwrap_or_default()
        .to_owned();
    let id_marker = request
        .query
        .get("upload-id-marker")
        .unwrap_or_default()
        .to_owned();
    let mut uploads: Vec<(String, String, Timestamp)> = request.read_bucket(|bucket| {
        Ok::<_, ApiError>(
            bucket
                .uploads
                .iter()
                .filter(|(_, upload)| upload.key.starts_with(&prefix))
                .map(|(id, upload)| (upload.key.clone(), id.clone(), upload.initiated))
                .collect(),
        )
    })?;
    uploads.sort();
    uploads.retain(|(key, id, _)| {
        key_marker.is_empty()
            || *key > key_marker
            || (*key == key_marker && !id_marker.is_empty() && *id > id_marker)
    });
    let is_truncated = uploads.len() > max_uploads;
    uploads.truncate(max_uploads);
    let last = uploads.last().cloned();
    xml::ok(
        "ListMultipartUploadsResult",
        &ListUploadsResult {
            bucket: request.bucket.clone(),
            key_marker,
            upload_id_marker: id_marker,
            next_key_marker: last
                .as_ref()
                .filter(|_| is_truncated)
                .map(|(key, _, _)| key.clone()),
            next_upload_id_marker: last
                .as_ref()
                .filter(|_| is_truncated)
                .map(|(_, id, _)| id.clone()),
            prefix,
            max_uploads,
            is_truncated,
            upload: uploads
                .into_iter()
                .map(|(key, upload_id, initiated)| UploadXml {
                    key,
                    upload_id,
                    initiator: OWNER,
                    owner: OWNER,
                    storage_class: "STANDARD",
                    initiated: initiated.to_iso8601(),
                })
                .collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_part_md5s() {
        let part = |body: &[u8]| Part {
            size: body.len() as u64,
            etag: format!("\"{}\"", hex::encode(md5::Md5::digest(body))),
            last_modified: Timestamp::default(),
            blob: String::new(),
        };
        let parts = [part(b"first"), part(b"second")];
        let mut joined = Vec::new();
        joined.extend_from_slice(&md5::Md5::digest(b"first"));
        joined.extend_from_slice(&md5::Md5::digest(b"second"));
        assert_eq!(
            multipart_etag(&parts),
            format!("\"{}-2\"", hex::encode(md5::Md5::digest(&joined)))
        );
    }
}
