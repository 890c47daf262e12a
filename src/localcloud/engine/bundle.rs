//! What a deployment's revision bundle makes its instances do, worked out
//! once when the deployment is created from the bundle's metadata in the
//! local S3 (read under the world lock, without touching the object's
//! body).
//!
//! AWS accepts `CreateDeployment` for an S3 revision without checking that
//! the object exists: the CodeDeploy agent on each instance downloads the
//! bundle in the `DownloadBundle` event, and when S3 refuses (no such
//! bucket, key or version, or an `ETag` that does not match, which the agent
//! passes as `If-Match`), that event fails on every instance with error code
//! `UnknownError` and S3's message ("The specified key does not exist.").
//! Every instance failing then fails the deployment with
//! `HEALTH_CONSTRAINTS`, as the rollout decides. The local cloud does the
//! same. An archive that cannot be unpacked also fails `DownloadBundle`,
//! since the agent unpacks it there. A bundle without an AppSpec at its
//! root, or with an invalid one, gets through `DownloadBundle` and fails
//! `BeforeInstall`, the first event in which the agent reads the AppSpec,
//! with the agent's message.
//!
//! GitHub revisions are not looked into: they run the sample application's
//! script in every event, as before.

use std::collections::BTreeMap;

use crate::domain::appspec;
use crate::domain::bundle::{BundleKind, appspec_not_found};
use crate::localcloud::codedeploy::deployment_state::{HookRun, RevisionContent};
use crate::localcloud::codedeploy::shapes::RevisionLocation;
use crate::localcloud::world::World;

/// The directory the agent unpacks a deployment's revision to.
pub fn archive_dir(deployment_group_id: &str, deployment_id: &str) -> String {
    format!(
        "/opt/codedeploy-agent/deployment-root/{deployment_group_id}/{deployment_id}/deployment-archive"
    )
}

/// An `ETag` without its quotes.
fn unquoted(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

/// What `revision` makes the instances of deployment `deployment_id` of
/// group `deployment_group_id` do.
pub fn revision_content(
    world: &World,
    revision: &RevisionLocation,
    deployment_group_id: &str,
    deployment_id: &str,
) -> RevisionContent {
    let s3 = match (&revision.revision_type, &revision.s3_location) {
        (Some(kind), Some(s3)) if kind == "S3" => s3,
        _ => return RevisionContent::Unchecked,
    };
    let bucket_name = s3.bucket.as_deref().unwrap_or_default();
    let key = s3.key.as_deref().unwrap_or_default();
    let Some(bucket) = world.s3.buckets.get(bucket_name) else {
        return RevisionContent::DownloadFails("The specified bucket does not exist".to_owned());
    };
    let Some(object) = bucket.objects.get(key) else {
        return RevisionContent::DownloadFails("The specified key does not exist.".to_owned());
    };
    if let Some(version) = &s3.version
        && object.version_id.as_deref() != Some(version.as_str())
    {
        return RevisionContent::DownloadFails("The specified version does not exist.".to_owned());
    }
    if let Some(etag) = &s3.e_tag
        && unquoted(etag) != unquoted(&object.etag)
    {
        return RevisionContent::DownloadFails(
            "At least one of the pre-conditions you specified did not hold".to_owned(),
        );
    }
    let Some(facts) = &object.bundle else {
        return RevisionContent::DownloadFails(format!(
            "The revision s3://{bucket_name}/{key} is not a zip, tar or tgz archive, so the CodeDeploy agent could not unpack it. Upload the revision as an archive with an appspec.yml at its root."
        ));
    };
    if let Some(bundle_type) = s3.bundle_type.as_deref()
        && BundleKind::from_bundle_type(bundle_type).is_some_and(|kind| kind != facts.kind)
    {
        return RevisionContent::DownloadFails(format!(
            "The revision s3://{bucket_name}/{key} is a {} archive but the deployment gives its bundleType as {bundle_type}, so the CodeDeploy agent could not unpack it. Deploy it with bundleType {}.",
            facts.kind.bundle_type(),
            facts.kind.bundle_type()
        ));
    }
    if let Some(problem) = &facts.unpack_error {
        return RevisionContent::DownloadFails(problem.clone());
    }
    let dir = archive_dir(deployment_group_id, deployment_id);
    if facts.appspec_path.is_none() {
        return RevisionContent::AppSpecFails(appspec_not_found(&dir));
    }
    let text = match &facts.appspec {
        Ok(text) => text,
        Err(problem) => return RevisionContent::AppSpecFails(problem.clone()),
    };
    let spec = match appspec::parse(text) {
        Ok(spec) => spec,
        Err(error) => return RevisionContent::AppSpecFails(error.message),
    };
    let hooks: BTreeMap<_, _> = spec
        .hooks
        .iter()
        .map(|hook| {
            let runs = hook
                .scripts
                .iter()
                .map(|script| HookRun {
                    location: script.location.clone(),
                    timeout_seconds: script.timeout_seconds,
                    missing: (facts.has_file(&script.location) == Some(false)).then(|| {
                        format!(
                            "Script does not exist at specified location: {dir}/{}",
                            script.location.trim_start_matches('/')
                        )
                    }),
                })
                .collect();
            (hook.event, runs)
        })
        .collect();
    RevisionContent::Hooks(hooks)
}
