//! Application revisions: listing what an application has registered (S3
//! bundles and GitHub commits) and registering new ones.
//!
//! Uploading a bundle is [`super::s3::upload_file`]'s job; the usual flow is
//! `bundle::prepare_upload` → `s3::upload_file` to [`default_key`] →
//! [`register_s3_revision`] with the ETag the upload returned.

use std::time::SystemTime;

use aws_sdk_codedeploy::types::{
    BundleType, GitHubLocation, RevisionLocation as SdkLocation, RevisionLocationType, S3Location,
};

use super::error::{CloudError, sdk_error as error};
use super::session::Session;
use super::to_system_time;
use crate::domain::bundle::BundleKind;
use crate::domain::revision::validate_github_revision;

/// The most revisions `BatchGetApplicationRevisions` takes at once.
const BATCH_LIMIT: usize = 25;

/// Where a revision is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionLocation {
    /// A bundle in S3.
    S3(S3Revision),
    /// A commit in a GitHub repository.
    GitHub {
        /// The repository, `owner/name`.
        repository: String,
        /// The full commit id.
        commit_id: String,
    },
    /// Another kind (an AppSpec given inline, for Lambda and ECS), by its
    /// type as AWS spells it.
    Other(String),
}

/// A bundle in S3, as a revision names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Revision {
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// The archive format; `None` when AWS did not say or used one we do
    /// not know.
    pub bundle: Option<BundleKind>,
    /// The object's ETag, without quotes, when known.
    pub etag: Option<String>,
    /// The object's version id, when the bucket keeps versions.
    pub version: Option<String>,
}

/// A registered revision of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Where it is stored.
    pub location: RevisionLocation,
    /// Its description.
    pub description: Option<String>,
    /// When it was registered.
    pub registered: Option<SystemTime>,
    /// When a deployment first used it.
    pub first_used: Option<SystemTime>,
    /// When a deployment last used it.
    pub last_used: Option<SystemTime>,
    /// The deployment groups it is the target revision of.
    pub deployment_groups: Vec<String>,
}

impl RevisionLocation {
    /// The location in the SDK's shape.
    fn to_sdk(&self) -> SdkLocation {
        match self {
            Self::S3(s3) => {
                let mut location = S3Location::builder()
                    .bucket(&s3.bucket)
                    .key(&s3.key)
                    .set_e_tag(
                        s3.etag
                            .as_deref()
                            .map(|etag| etag.trim_matches('"').to_owned()),
                    )
                    .set_version(s3.version.clone());
                if let Some(bundle) = s3.bundle {
                    location = location.bundle_type(BundleType::from(bundle.bundle_type()));
                }
                SdkLocation::builder()
                    .revision_type(RevisionLocationType::S3)
                    .s3_location(location.build())
                    .build()
            }
            Self::GitHub {
                repository,
                commit_id,
            } => SdkLocation::builder()
                .revision_type(RevisionLocationType::GitHub)
                .git_hub_location(
                    GitHubLocation::builder()
                        .repository(repository)
                        .commit_id(commit_id)
                        .build(),
                )
                .build(),
            Self::Other(kind) => SdkLocation::builder()
                .revision_type(RevisionLocationType::from(kind.as_str()))
                .build(),
        }
    }

    /// Our location from the SDK's.
    fn from_sdk(location: &SdkLocation) -> Self {
        if let Some(s3) = location.s3_location() {
            return Self::S3(S3Revision {
                bucket: s3.bucket().unwrap_or_default().to_owned(),
                key: s3.key().unwrap_or_default().to_owned(),
                bundle: s3.bundle_type().and_then(|kind| match kind {
                    BundleType::Zip => Some(BundleKind::Zip),
                    BundleType::Tar => Some(BundleKind::Tar),
                    BundleType::TarGZip => Some(BundleKind::Tgz),
                    _ => None,
                }),
                etag: s3.e_tag().map(str::to_owned),
                version: s3.version().map(str::to_owned),
            });
        }
        if let Some(github) = location.git_hub_location() {
            return Self::GitHub {
                repository: github.repository().unwrap_or_default().to_owned(),
                commit_id: github.commit_id().unwrap_or_default().to_owned(),
            };
        }
        Self::Other(
            location
                .revision_type()
                .map_or("Unknown", RevisionLocationType::as_str)
                .to_owned(),
        )
    }
}

/// Every revision registered for `application`, newest registration first.
pub async fn list_revisions(
    session: &Session,
    application: &str,
) -> Result<Vec<Revision>, CloudError> {
    let client = &session.codedeploy;
    let request = client.list_application_revisions();
    let pages = request.application_name(application).into_paginator();
    let locations = pages.items().send().try_collect().await;
    let locations: Vec<_> = locations.map_err(error(session, "ListApplicationRevisions"))?;
    let mut revisions = Vec::with_capacity(locations.len());
    for chunk in locations.chunks(BATCH_LIMIT) {
        let output = client
            .batch_get_application_revisions()
            .application_name(application)
            .set_revisions(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(error(session, "BatchGetApplicationRevisions"))?;
        revisions.extend(output.revisions().iter().map(|info| {
            let generic = info.generic_revision_info();
            Revision {
                location: info.revision_location().map_or(
                    RevisionLocation::Other("Unknown".to_owned()),
                    RevisionLocation::from_sdk,
                ),
                description: generic
                    .and_then(|generic| generic.description())
                    .map(str::to_owned),
                registered: to_system_time(generic.and_then(|generic| generic.register_time())),
                first_used: to_system_time(generic.and_then(|generic| generic.first_used_time())),
                last_used: to_system_time(generic.and_then(|generic| generic.last_used_time())),
                deployment_groups: generic
                    .map(|generic| generic.deployment_groups().to_vec())
                    .unwrap_or_default(),
            }
        }));
    }
    revisions.sort_by_key(|revision| std::cmp::Reverse(revision.registered));
    Ok(revisions)
}

/// Registers the S3 bundle `revision` for `application` with an optional
/// `description`. The ETag may be given as S3 returns it (with quotes).
pub async fn register_s3_revision(
    session: &Session,
    application: &str,
    revision: &S3Revision,
    description: Option<&str>,
) -> Result<(), CloudError> {
    register(
        session,
        application,
        &RevisionLocation::S3(revision.clone()),
        description,
    )
    .await
}

/// Registers the GitHub commit `commit_id` of `repository` (`owner/name`)
/// for `application`. Both are checked first; a bad one gives
/// [`CloudError::Invalid`] with what to change, and nothing is sent.
pub async fn register_github_revision(
    session: &Session,
    application: &str,
    repository: &str,
    commit_id: &str,
    description: Option<&str>,
) -> Result<(), CloudError> {
    validate_github_revision(repository, commit_id).map_err(|problem| CloudError::Invalid {
        code: "InvalidGitHubLocationException".to_owned(),
        message: problem.to_string(),
    })?;
    register(
        session,
        application,
        &RevisionLocation::GitHub {
            repository: repository.to_owned(),
            commit_id: commit_id.to_owned(),
        },
        description,
    )
    .await
}

/// Sends `RegisterApplicationRevision`.
async fn register(
    session: &Session,
    application: &str,
    location: &RevisionLocation,
    description: Option<&str>,
) -> Result<(), CloudError> {
    session
        .codedeploy
        .register_application_revision()
        .application_name(application)
        .revision(location.to_sdk())
        .set_description(description.map(str::to_owned))
        .send()
        .await
        .map_err(error(session, "RegisterApplicationRevision"))?;
    Ok(())
}

/// The S3 key DeployDesk suggests for a bundle of `application` uploaded at
/// `now` (UTC): `deploydesk/<app>/<app>-20261127-084500.zip`.
pub fn default_key(application: &str, now: SystemTime) -> String {
    let seconds = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let stamp = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap_or(0))
        .ok()
        .and_then(|time| {
            time.format(time::macros::format_description!(
                "[year][month][day]-[hour][minute][second]"
            ))
            .ok()
        })
        .unwrap_or_else(|| "00000000-000000".to_owned());
    format!("deploydesk/{application}/{application}-{stamp}.zip")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn default_keys_carry_the_application_and_utc_time() {
        // 2026-11-27 08:45:00 UTC.
        #[allow(clippy::duration_suboptimal_units)]
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_769_100);
        assert_eq!(
            default_key("shop", now),
            "deploydesk/shop/shop-20261127-084500.zip"
        );
    }

    #[test]
    fn s3_locations_go_to_the_sdk_and_back_without_etag_quotes() {
        let location = RevisionLocation::S3(S3Revision {
            bucket: "b".to_owned(),
            key: "k.zip".to_owned(),
            bundle: Some(BundleKind::Tgz),
            etag: Some("\"abc\"".to_owned()),
            version: Some("v1".to_owned()),
        });
        let back = RevisionLocation::from_sdk(&location.to_sdk());
        let RevisionLocation::S3(s3) = back else {
            panic!("not S3: {back:?}");
        };
        assert_eq!(s3.etag.as_deref(), Some("abc"));
        assert_eq!(s3.bundle, Some(BundleKind::Tgz));
        assert_eq!(s3.version.as_deref(), Some("v1"));
    }
}
