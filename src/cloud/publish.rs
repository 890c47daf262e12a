//! Publishing a revision from a folder or archive on disk: bundle it, check
//! the bucket, upload with progress (cancellable), and register it. Nothing
//! is registered unless the upload completed, so a cancel or a failure
//! leaves no half-registered revision.

use std::path::PathBuf;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::bundle::{self, BundleError, BundleSource};
use super::error::{CloudError, sdk_error as error};
use super::revisions::{self, S3Revision};
use super::s3::{self, UploadError, UploadProgress};
use super::session::Session;
use crate::domain::appspec_lint::{self, Finding, LintPlatform};

/// Why a revision was not published. Nothing is registered in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// AWS refused a call or could not be reached.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// The application to register the revision with does not exist.
    #[error(
        "The application {application} does not exist; create it first (Applications page) and try again."
    )]
    NoApplication {
        /// The application named.
        application: String,
    },
    /// The bucket is in a region other than the session's.
    #[error(
        "The bucket {bucket} is in {bucket_region}, but this session's instances are in {region}: the CodeDeploy agent downloads bundles from a bucket in its own region. Choose a bucket in {region}."
    )]
    BucketInOtherRegion {
        /// The bucket.
        bucket: String,
        /// Its region.
        bucket_region: String,
        /// The session's region.
        region: String,
    },
    /// The bundle could not be read or packed.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// No temporary folder could be made to pack the bundle in.
    #[error("Could not make a temporary folder for the bundle: {0}.")]
    TemporaryFolder(String),
    /// Packing the bundle stopped before it finished.
    #[error("Bundling stopped unexpectedly: {0}.")]
    BundlingStopped(String),
    /// The person cancelled the upload.
    #[error("The upload was cancelled; nothing was uploaded or registered.")]
    Cancelled,
    /// The bundle file could not be read for the upload.
    #[error("Could not read {path}: {detail}. Check that the file exists and is readable.")]
    File {
        /// The file.
        path: String,
        /// What the system said.
        detail: String,
    },
}

impl PublishError {
    /// The cloud call's error, when a cloud call is what failed.
    pub fn cloud_error(&self) -> Option<&CloudError> {
        match self {
            Self::Cloud(error) => Some(error),
            _ => None,
        }
    }
}

impl From<UploadError> for PublishError {
    fn from(error: UploadError) -> Self {
        match error {
            UploadError::Cancelled => Self::Cancelled,
            UploadError::File { path, detail } => Self::File { path, detail },
            UploadError::Cloud(error) => Self::Cloud(error),
        }
    }
}

/// What a picked path holds, read and linted before anything is uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The folder or archive.
    pub source: BundleSource,
    /// Its files, size and AppSpec.
    pub preview: bundle::BundlePreview,
    /// The linter's findings (empty when there is no AppSpec to lint: the
    /// preview says why).
    pub findings: Vec<Finding>,
}

impl Checked {
    /// Why the bundle may not be uploaded, if it may not: no AppSpec, or
    /// the linter found errors.
    pub fn blocked(&self) -> Option<String> {
        if let Some(problem) = &self.preview.appspec_problem {
            return Some(problem.clone());
        }
        if appspec_lint::blocks_upload(&self.findings) {
            return Some("Fix the AppSpec's errors above before uploading.".to_owned());
        }
        None
    }
}

/// Reads and lints the bundle at `path`. Blocking: run it off the UI
/// thread (e.g. with `spawn_blocking`).
pub fn check(path: &std::path::Path, platform: LintPlatform) -> Result<Checked, BundleError> {
    let source = BundleSource::from_path(path)?;
    let preview = bundle::scan(&source)?;
    let findings = preview
        .appspec
        .as_deref()
        .map(|text| appspec_lint::lint(text, platform, &preview.files))
        .unwrap_or_default();
    Ok(Checked {
        source,
        preview,
        findings,
    })
}

/// Where to publish a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The application the revision is registered with.
    pub application: String,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The revision's description.
    pub description: String,
}

/// The region a bucket is in, or `None` when it does not exist.
async fn bucket_region(session: &Session, bucket: &str) -> Result<Option<String>, CloudError> {
    match session.s3.get_bucket_location().bucket(bucket).send().await {
        Ok(found) => Ok(Some(
            found
                .location_constraint()
                .map(|constraint| constraint.as_str().to_owned())
                .filter(|region| !region.is_empty())
                .unwrap_or_else(|| "us-east-1".to_owned()),
        )),
        Err(sdk) => match error(session, "GetBucketLocation")(sdk) {
            CloudError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// Bundles `source` (a folder is zipped into a temporary directory), makes
/// sure the bucket exists in the session's region (creating it if
/// missing), uploads with progress on `progress` until `cancel`, and
/// registers the revision. Returns the registered location.
pub async fn publish(
    session: &Session,
    source: BundleSource,
    destination: &Destination,
    progress: &watch::Sender<UploadProgress>,
    cancel: &CancellationToken,
) -> Result<S3Revision, PublishError> {
    // Checked first, so that a refused registration never leaves an
    // uploaded bundle behind.
    if super::groups::application_platform(session, &destination.application)
        .await?
        .is_none()
    {
        return Err(PublishError::NoApplication {
            application: destination.application.clone(),
        });
    }
    match bucket_region(session, &destination.bucket).await? {
        Some(region) if region != session.region() => {
            return Err(PublishError::BucketInOtherRegion {
                bucket: destination.bucket.clone(),
                bucket_region: region,
                region: session.region().to_owned(),
            });
        }
        Some(_) => {}
        None => s3::create_bucket(session, &destination.bucket).await?,
    }
    let work = tempfile::Builder::new()
        .prefix("deploydesk-bundle-")
        .tempdir()
        .map_err(|problem| PublishError::TemporaryFolder(problem.to_string()))?;
    let work_path: PathBuf = work.path().to_path_buf();
    let prepared = tokio::task::spawn_blocking(move || bundle::prepare_upload(&source, &work_path))
        .await
        .map_err(|problem| PublishError::BundlingStopped(problem.to_string()))??;
    let uploaded = s3::upload_file(
        session,
        &prepared.path,
        &destination.bucket,
        &destination.key,
        progress,
        cancel,
    )
    .await?;
    let revision = S3Revision {
        bucket: destination.bucket.clone(),
        key: destination.key.clone(),
        bundle: Some(prepared.kind),
        etag: Some(uploaded.etag.trim_matches('"').to_owned()),
        version: uploaded.version_id.clone(),
    };
    let description = destination.description.trim();
    revisions::register_s3_revision(
        session,
        &destination.application,
        &revision,
        (!description.is_empty()).then_some(description),
    )
    .await?;
    drop(work);
    Ok(revision)
}

/// The size of a preview in words, e.g. `12 files, 48.2 KB`.
pub fn summary(preview: &bundle::BundlePreview) -> String {
    format!(
        "{} files, {}",
        preview.entries.len(),
        bundle::human_size(preview.total_size)
    )
}
