//! S3 operations as small async functions that return our own types: the
//! buckets and objects the revision picker shows, and the upload of a
//! revision bundle with progress and cancellation.
//!
//! Uploads above [`MULTIPART_THRESHOLD`] go up in parts of [`PART_SIZE`],
//! each streamed from disk, so memory stays flat whatever the file's size.
//! A multipart upload that fails or is cancelled (by the token, or by
//! dropping the future) is aborted, so no half-made upload is left behind.

use std::path::Path;
use std::time::SystemTime;

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use super::to_system_time;

/// Files larger than this are uploaded in parts.
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;

/// The size of each part of a multipart upload (the last may be smaller).
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

/// A bucket as the revision picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    /// The bucket's name.
    pub name: String,
    /// When it was created.
    pub created: Option<SystemTime>,
}

/// An object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key.
    pub key: String,
    /// The size in bytes.
    pub size: u64,
    /// The ETag, with its quotes, as S3 sends it.
    pub etag: String,
    /// The version id, when the bucket keeps versions.
    pub version_id: Option<String>,
    /// When it was last written.
    pub last_modified: Option<SystemTime>,
}

/// Lists every bucket of the account.
pub async fn list_buckets(session: &Session) -> Result<Vec<BucketInfo>, CloudError> {
    let mut buckets = Vec::new();
    let mut pages = session.s3.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(error(session, "ListBuckets"))?;
        buckets.extend(page.buckets().iter().map(|bucket| BucketInfo {
            name: bucket.name().unwrap_or_default().to_owned(),
            created: to_system_time(bucket.creation_date()),
        }));
    }
    Ok(buckets)
}

/// Creates the bucket `name` in the session's region.
pub async fn create_bucket(session: &Session, name: &str) -> Result<(), CloudError> {
    let mut request = session.s3.create_bucket().bucket(name);
    // us-east-1 is the one region S3 wants no location constraint for.
    if session.region() != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(session.region()))
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(error(session, "CreateBucket"))?;
    Ok(())
}

/// The metadata of `key` in `bucket`.
pub async fn head_object(
    session: &Session,
    bucket: &str,
    key: &str,
) -> Result<ObjectInfo, CloudError> {
    let output = session
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|sdk_error| {
            // HEAD errors have no body, so the SDK only knows "NotFound".
            if sdk_error
                .raw_response()
                .is_some_and(|response| response.status().as_u16() == 404)
            {
                CloudError::NotFound {
                    code: "NoSuchKey".to_owned(),
                    message: format!(
                        "There is no object s3://{bucket}/{key}; check the bucket and key."
                    ),
                }
            } else {
                error(session, "HeadObject")(sdk_error)
            }
        })?;
    Ok(ObjectInfo {
        key: key.to_owned(),
        size: output
            .content_length()
            .and_then(|size| u64::try_from(size).ok())
            .unwrap_or(0),
        etag: output.e_tag().unwrap_or_default().to_owned(),
        version_id: output.version_id().map(str::to_owned),
        last_modified: to_system_time(output.last_modified()),
    })
}

/// A bucket and key named by an `s3://bucket/key` address, or `None` for
/// any other text (a path on this machine).
pub fn parse_s3_address(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_owned(), key.to_owned()))
}

/// Downloads `key` of `bucket` into the file `to`; returns the object's
/// ETag (without quotes), when S3 gives one.
pub async fn download(
    session: &Session,
    bucket: &str,
    key: &str,
    to: &Path,
) -> Result<Option<String>, CloudError> {
    let output = session
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(error(session, "GetObject"))?;
    let etag = output.e_tag().map(|etag| etag.trim_matches('"').to_owned());
    let mut body = output.body.into_async_read();
    let mut file = tokio::fs::File::create(to).await.map_err(|problem| {
        CloudError::Other(format!("Could not write {}: {problem}.", to.display()))
    })?;
    tokio::io::copy(&mut body, &mut file)
        .await
        .map_err(|problem| {
            CloudError::Other(format!(
                "Downloading s3://{bucket}/{key} stopped: {problem}. Try again."
            ))
        })?;
    Ok(etag)
}

/// The most an AppSpec file read from S3 may weigh: far more than any
/// AppSpec, far less than a bundle read by mistake.
pub const APPSPEC_MAX_BYTES: u64 = 256 * 1024;

/// The text of the AppSpec file `key` in `bucket` (at `version` when
/// given), as a Lambda or ECS revision in S3 holds it.
pub async fn appspec_text(
    session: &Session,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<String, CloudError> {
    let output = session
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .map_err(error(session, "GetObject"))?;
    let size = output
        .content_length()
        .and_then(|size| u64::try_from(size).ok())
        .unwrap_or(0);
    if size > APPSPEC_MAX_BYTES {
        return Err(CloudError::Other(format!(
            "s3://{bucket}/{key} is {size} bytes: an AppSpec file is a few lines of YAML or JSON. Pick the revision that holds the AppSpec, not a bundle."
        )));
    }
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|problem| {
            CloudError::Other(format!(
                "Reading s3://{bucket}/{key} stopped: {problem}. Try again."
            ))
        })?
        .into_bytes();
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        CloudError::Other(format!(
            "s3://{bucket}/{key} is not text: an AppSpec file is YAML or JSON. Pick the revision that holds the AppSpec."
        ))
    })
}

/// Every object in `bucket` whose key starts with `prefix`, all pages.
pub async fn list_objects(
    session: &Session,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<ObjectInfo>, CloudError> {
    let mut objects = Vec::new();
    let mut pages = session
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(error(session, "ListObjectsV2"))?;
        objects.extend(page.contents().iter().map(|object| {
            ObjectInfo {
                key: object.key().unwrap_or_default().to_owned(),
                size: object
                    .size()
                    .and_then(|size| u64::try_from(size).ok())
                    .unwrap_or(0),
                etag: object.e_tag().unwrap_or_default().to_owned(),
                version_id: None,
                last_modified: to_system_time(object.last_modified()),
            }
        }));
    }
    Ok(objects)
}

/// How far an upload has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadProgress {
    /// Bytes S3 has accepted so far.
    pub sent: u64,
    /// The file's size.
    pub total: u64,
}

/// Why an upload did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// The upload was cancelled; nothing was left in the bucket.
    #[error("The upload was cancelled; nothing was left in the bucket.")]
    Cancelled,
    /// The file could not be read.
    #[error("Could not read {path}: {detail}. Check that the file exists and is readable.")]
    File {
        /// The file.
        path: String,
        /// What the system said.
        detail: String,
    },
    /// S3 refused or could not be reached.
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// Aborts a multipart upload when dropped before it completed, so that a
/// failed, cancelled or dropped upload leaves no parts behind.
struct AbortOnDrop {
    /// The client, bucket, key and upload id; `None` once completed.
    upload: Option<(aws_sdk_s3::Client, String, String, String)>,
}

impl AbortOnDrop {
    /// Aborts now, waiting for S3's answer.
    async fn abort(mut self) {
        if let Some((client, bucket, key, upload_id)) = self.upload.take() {
            abort(&client, &bucket, &key, &upload_id).await;
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some((client, bucket, key, upload_id)) = self.upload.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move { abort(&client, &bucket, &key, &upload_id).await });
        }
    }
}

/// Aborts the upload, logging (not returning) a failure: it runs while
/// another error is being reported.
async fn abort(client: &aws_sdk_s3::Client, bucket: &str, key: &str, upload_id: &str) {
    if let Err(problem) = client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        tracing::warn!("could not abort the upload of s3://{bucket}/{key}: {problem}");
    }
}

/// Uploads the file `path` to `bucket`/`key`, reporting bytes accepted on
/// `progress` and stopping when `cancel` is cancelled. Files above
/// [`MULTIPART_THRESHOLD`] go up in parts streamed from disk; a multipart
/// upload that fails, is cancelled or whose future is dropped is aborted.
pub async fn upload_file(
    session: &Session,
    path: &Path,
    bucket: &str,
    key: &str,
    progress: &watch::Sender<UploadProgress>,
    cancel: &CancellationToken,
) -> Result<ObjectInfo, UploadError> {
    let file_error = |problem: &dyn std::fmt::Display| UploadError::File {
        path: path.display().to_string(),
        detail: problem.to_string(),
    };
    let total = tokio::fs::metadata(path)
        .await
        .map_err(|problem| file_error(&problem))?
        .len();
    progress.send_replace(UploadProgress { sent: 0, total });
    if cancel.is_cancelled() {
        return Err(UploadError::Cancelled);
    }
    if total <= MULTIPART_THRESHOLD {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|problem| file_error(&problem))?;
        let request = session
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .send();
        let output = tokio::select! {
            () = cancel.cancelled() => return Err(UploadError::Cancelled),
            output = request => output.map_err(error(session, "PutObject"))?,
        };
        progress.send_replace(UploadProgress { sent: total, total });
        return Ok(ObjectInfo {
            key: key.to_owned(),
            size: total,
            etag: output.e_tag().unwrap_or_default().to_owned(),
            version_id: output.version_id().map(str::to_owned),
            last_modified: Some(SystemTime::now()),
        });
    }
    let created = session
        .s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(error(session, "CreateMultipartUpload"))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    let guard = AbortOnDrop {
        upload: Some((
            session.s3.clone(),
            bucket.to_owned(),
            key.to_owned(),
            upload_id.clone(),
        )),
    };
    let parts = match upload_parts(
        session, path, bucket, key, &upload_id, total, progress, cancel,
    )
    .await
    {
        Ok(parts) => parts,
        Err(problem) => {
            guard.abort().await;
            return Err(problem);
        }
    };
    let completed = session
        .s3
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await;
    let output = match completed {
        Ok(output) => output,
        Err(problem) => {
            guard.abort().await;
            return Err(error(session, "CompleteMultipartUpload")(problem).into());
        }
    };
    let mut guard = guard;
    guard.upload = None;
    Ok(ObjectInfo {
        key: key.to_owned(),
        size: total,
        etag: output.e_tag().unwrap_or_default().to_owned(),
        version_id: output.version_id().map(str::to_owned),
        last_modified: Some(SystemTime::now()),
    })
}

/// Uploads the parts of `path`, one after another, each streamed from disk.
#[allow(clippy::too_many_arguments)]
async fn upload_parts(
    session: &Session,
    path: &Path,
    bucket: &str,
    key: &str,
    upload_id: &str,
    total: u64,
    progress: &watch::Sender<UploadProgress>,
    cancel: &CancellationToken,
) -> Result<Vec<CompletedPart>, UploadError> {
    let mut parts = Vec::new();
    let mut offset = 0;
    let mut number = 1;
    while offset < total {
        let length = PART_SIZE.min(total - offset);
        let body = ByteStream::read_from()
            .path(path)
            .offset(offset)
            .length(Length::Exact(length))
            .build()
            .await
            .map_err(|problem| UploadError::File {
                path: path.display().to_string(),
                detail: problem.to_string(),
            })?;
        let request = session
            .s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(body)
            .send();
        let output = tokio::select! {
            () = cancel.cancelled() => return Err(UploadError::Cancelled),
            output = request => output.map_err(error(session, "UploadPart"))?,
        };
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(output.e_tag().unwrap_or_default())
                .build(),
        );
        offset += length;
        number += 1;
        progress.send_replace(UploadProgress {
            sent: offset,
            total,
        });
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::parse_s3_address;

    #[test]
    fn an_s3_address_names_a_bucket_and_a_key_and_anything_else_is_a_path() {
        assert_eq!(
            parse_s3_address("s3://releases/web/app-1.zip"),
            Some(("releases".to_owned(), "web/app-1.zip".to_owned()))
        );
        for other in [
            "./app.zip",
            "/tmp/s3://x/y",
            "s3://releases",
            "s3://releases/",
            "s3:///key",
        ] {
            assert_eq!(parse_s3_address(other), None, "{other}");
        }
    }
}
