//! `RegisterApplicationRevision`, `GetApplicationRevision`,
//! `BatchGetApplicationRevisions` and `ListApplicationRevisions`.
//!
//! Revisions live in S3 or on GitHub. A revision is known by where it is:
//! bucket, key, version and `ETag` for S3, repository and commit for GitHub.
//! Registering the same revision again updates its description.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{
    Answer, Context, application, application_mut, batch, list_page, list_required, one_of,
    required_name,
};
use super::shapes::RevisionLocation;
use super::state::{CodeDeployState, Revision};
use crate::domain::names::NameKind;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input, output};
use crate::localcloud::world::World;

/// The most revisions `BatchGetApplicationRevisions` takes at once.
pub const BATCH_LIMIT: usize = 25;
/// The bundle types CodeDeploy knows.
const BUNDLE_TYPES: [&str; 5] = ["tar", "tgz", "zip", "YAML", "JSON"];

/// The error for a malformed revision.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidRevisionException", message)
}

/// Whether a text member is present and not empty.
fn given(text: Option<&String>) -> bool {
    text.is_some_and(|text| !text.is_empty())
}

/// Checks a revision location that is to be registered or looked up.
pub fn check_location(location: Option<RevisionLocation>) -> Result<RevisionLocation, ApiError> {
    let location = location.ok_or_else(|| {
        ApiError::new(
            "RevisionRequiredException",
            "A revision is required: give its revisionType and its s3Location or gitHubLocation.",
        )
    })?;
    match location.revision_type.as_deref() {
        Some("S3") => {
            let s3 = location.s3_location.as_ref().ok_or_else(|| {
                invalid("An S3 revision needs an s3Location with bucket and key.")
            })?;
            if !given(s3.bucket.as_ref()) || !given(s3.key.as_ref()) {
                return Err(invalid("An S3 revision needs both a bucket and a key."));
            }
            if let Some(bundle_type) = &s3.bundle_type {
                one_of(
                    bundle_type,
                    &BUNDLE_TYPES,
                    "bundle type",
                    "InvalidRevisionException",
                )?;
            }
        }
        Some("GitHub") => {
            let github = location.git_hub_location.as_ref().ok_or_else(|| {
                invalid("A GitHub revision needs a gitHubLocation with repository and commitId.")
            })?;
            if !given(github.repository.as_ref()) || !given(github.commit_id.as_ref()) {
                return Err(invalid(
                    "A GitHub revision needs both a repository (owner/name) and a commitId.",
                ));
            }
        }
        Some(kind @ ("String" | "AppSpecContent")) => {
            return Err(invalid(format!(
                "{kind} revisions are given inline with each deployment and cannot be registered; register an S3 or GitHub revision."
            )));
        }
        Some(other) => {
            return Err(invalid(format!(
                "\"{other}\" is not a revision type; use S3 or GitHub."
            )));
        }
        None => {
            return Err(invalid("The revision needs a revisionType: S3 or GitHub."));
        }
    }
    Ok(location)
}

/// `location` as the local S3 has it: an S3 location without an `ETag` or
/// version is given those of the object it names, when the local S3 has
/// it. Other locations are returned as they are.
pub fn with_object_facts(world: &World, location: &RevisionLocation) -> RevisionLocation {
    let mut location = location.clone();
    if location.revision_type.as_deref() != Some("S3") {
        return location;
    }
    if let Some(s3) = location.s3_location.as_mut()
        && let (Some(bucket), Some(key)) = (s3.bucket.as_deref(), s3.key.as_deref())
        && let Some(object) = world.s3.object(bucket, key)
    {
        let same_version = s3
            .version
            .as_ref()
            .is_none_or(|version| object.version_id.as_ref() == Some(version));
        if same_version {
            if s3.e_tag.is_none() {
                s3.e_tag = Some(object.etag.trim_matches('"').to_owned());
            }
            if s3.version.is_none() {
                s3.version.clone_from(&object.version_id);
            }
        }
    }
    location
}

/// Whether `stored` (a registered revision) is the revision `wanted`
/// names, once both are completed from the local S3.
fn names_revision(world: &World, stored: &RevisionLocation, wanted: &RevisionLocation) -> bool {
    stored.is_same_revision(wanted)
        || with_object_facts(world, stored).is_same_revision(&with_object_facts(world, wanted))
}

/// `RegisterApplicationRevisionInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterInput {
    application_name: Option<String>,
    description: Option<String>,
    revision: Option<RevisionLocation>,
}

/// Registers a revision with an application.
pub fn register(state: &mut CodeDeployState, context: &Context, body: &Value) -> Answer {
    let request: RegisterInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let location = check_location(request.revision)?;
    application(state, &application_name)?;
    state.revision_sequence += 1;
    let sequence = state.revision_sequence;
    let application = application_mut(state, &application_name)?;
    match application
        .revisions
        .iter_mut()
        .find(|revision| revision.location.is_same_revision(&location))
    {
        Some(existing) => {
            if request.description.is_some() {
                existing.description = request.description;
            }
            existing.location = location;
        }
        None => application.revisions.push(Revision {
            location,
            description: request.description,
            register_time: context.now,
            first_used_time: None,
            last_used_time: None,
            deployment_groups: Vec::new(),
            sequence,
        }),
    }
    Ok(empty())
}

/// `GenericRevisionInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GenericRevisionInfo<'a> {
    description: Option<&'a str>,
    deployment_groups: &'a [String],
    first_used_time: Option<Timestamp>,
    last_used_time: Option<Timestamp>,
    register_time: Timestamp,
}

impl<'a> GenericRevisionInfo<'a> {
    /// The API's view of `revision`.
    fn of(revision: &'a Revision) -> Self {
        Self {
            description: revision.description.as_deref(),
            deployment_groups: &revision.deployment_groups,
            first_used_time: revision.first_used_time,
            last_used_time: revision.last_used_time,
            register_time: revision.register_time,
        }
    }
}

/// `GetApplicationRevisionInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetInput {
    application_name: Option<String>,
    revision: Option<RevisionLocation>,
}

/// Returns one registered revision.
pub fn get(world: &World, _context: &Context, body: &Value) -> Answer {
    let state = &world.codedeploy;
    let request: GetInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let location = check_location(request.revision)?;
    let found = application(state, &application_name)?;
    let revision = found
        .revisions
        .iter()
        .find(|revision| names_revision(world, &revision.location, &location))
        .ok_or_else(|| {
            ApiError::new(
                "RevisionDoesNotExistException",
                format!(
                    "The application \"{application_name}\" has no such registered revision; register it with RegisterApplicationRevision."
                ),
            )
        })?;
    output(&serde_json::json!({
        "applicationName": application_name,
        "revision": with_object_facts(world, &revision.location),
        "revisionInfo": GenericRevisionInfo::of(revision),
    }))
}

/// `BatchGetApplicationRevisionsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetInput {
    application_name: Option<String>,
    revisions: Option<Vec<RevisionLocation>>,
}

/// Returns several revisions; those not registered are left out and
/// counted in `errorMessage`.
pub fn batch_get(world: &World, _context: &Context, body: &Value) -> Answer {
    let state = &world.codedeploy;
    let request: BatchGetInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    let wanted = batch(
        request.revisions,
        || list_required("RevisionRequiredException", "revisions"),
        "revisions",
        BATCH_LIMIT,
        "BatchLimitExceededException",
    )?;
    let wanted = wanted
        .into_iter()
        .map(|location| check_location(Some(location)))
        .collect::<Result<Vec<_>, _>>()?;
    let found = application(state, &application_name)?;
    let mut infos = Vec::new();
    let mut missing = 0;
    for location in &wanted {
        match found
            .revisions
            .iter()
            .find(|revision| names_revision(world, &revision.location, location))
        {
            Some(revision) => infos.push(serde_json::json!({
                "revisionLocation": with_object_facts(world, &revision.location),
                "genericRevisionInfo": GenericRevisionInfo::of(revision),
            })),
            None => missing += 1,
        }
    }
    let error_message = (missing > 0).then(|| {
        format!(
            "{missing} of the revisions asked for are not registered with \"{application_name}\"."
        )
    });
    output(&serde_json::json!({
        "applicationName": application_name,
        "errorMessage": error_message,
        "revisions": infos,
    }))
}

/// `ListApplicationRevisionsInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    application_name: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    s3_bucket: Option<String>,
    s3_key_prefix: Option<String>,
    deployed: Option<String>,
    next_token: Option<String>,
}

/// A sort key whose text order is the list order: the chosen time (a
/// missing time counts as the earliest), then registration order, both
/// reversed for descending order.
fn sort_key(revision: &Revision, sort_by: Option<&str>, descending: bool) -> String {
    let time = match sort_by {
        Some("registerTime") => Some(revision.register_time),
        Some("firstUsedTime") => revision.first_used_time,
        Some("lastUsedTime") => revision.last_used_time,
        _ => None,
    };
    let time = time.map_or(0, |time| u64::try_from(time.as_millis()).unwrap_or(0));
    let (time, sequence) = if descending {
        (u64::MAX - time, u64::MAX - revision.sequence)
    } else {
        (time, revision.sequence)
    };
    format!("{time:020}.{sequence:020}")
}

/// Lists an application's revisions, filtered and sorted as asked.
pub fn list(world: &World, _context: &Context, body: &Value) -> Answer {
    let state = &world.codedeploy;
    let request: ListInput = input(body)?;
    let application_name = required_name(NameKind::Application, request.application_name)?;
    if let Some(sort_by) = &request.sort_by {
        one_of(
            sort_by,
            &["registerTime", "firstUsedTime", "lastUsedTime"],
            "sort column",
            "InvalidSortByException",
        )?;
    }
    if let Some(order) = &request.sort_order {
        one_of(
            order,
            &["ascending", "descending"],
            "sort order",
            "InvalidSortOrderException",
        )?;
    }
    if let Some(deployed) = &request.deployed {
        one_of(
            deployed,
            &["include", "exclude", "ignore"],
            "deployed filter",
            "InvalidDeployedStateFilterException",
        )?;
    }
    if request.s3_bucket.as_deref() == Some("") {
        return Err(ApiError::new(
            "InvalidBucketNameFilterException",
            "The s3Bucket filter is empty; give a bucket name or leave it out.",
        ));
    }
    if request.s3_key_prefix.is_some() && request.s3_bucket.is_none() {
        return Err(ApiError::new(
            "BucketNameFilterRequiredException",
            "An s3KeyPrefix filter needs an s3Bucket filter too.",
        ));
    }
    let found = application(state, &application_name)?;
    let descending = request.sort_order.as_deref() == Some("descending");
    let matching = found
        .revisions
        .iter()
        .filter(|revision| {
            let s3 = revision.location.s3_location.as_ref();
            let bucket_matches = request
                .s3_bucket
                .as_ref()
                .is_none_or(|bucket| s3.is_some_and(|s3| s3.bucket.as_ref() == Some(bucket)));
            let prefix_matches = request.s3_key_prefix.as_ref().is_none_or(|prefix| {
                s3.and_then(|s3| s3.key.as_ref())
                    .is_some_and(|key| key.starts_with(prefix.as_str()))
            });
            let deployed = !revision.deployment_groups.is_empty();
            let deployed_matches = match request.deployed.as_deref() {
                Some("include") => deployed,
                Some("exclude") => !deployed,
                _ => true,
            };
            bucket_matches && prefix_matches && deployed_matches
        })
        .map(|revision| {
            (
                sort_key(revision, request.sort_by.as_deref(), descending),
                with_object_facts(world, &revision.location),
            )
        })
        .collect();
    let scope = format!(
        "ListApplicationRevisions/{application_name}/{}/{}",
        request.sort_by.as_deref().unwrap_or_default(),
        request.sort_order.as_deref().unwrap_or_default()
    );
    list_page(&scope, matching, request.next_token.as_deref(), "revisions")
}
