//! Deployments of S3 revisions in the local cloud: the bundle must be in
//! the local S3, its AppSpec decides which events run which scripts, and a
//! missing bundle or a bad AppSpec fails the deployment as it does in AWS.
//! Buckets and objects are put into the world directly, with their bundle
//! facts read by `domain::bundle::inspect` from archives made here.

#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::Path;

use aws_sdk_codedeploy::types::{
    BundleType, DeploymentStatus, InstanceTarget, LifecycleEvent, RevisionLocation,
    RevisionLocationType, S3Location,
};
use deploy_support::{Cloud, SIMULATE};
use deploydesk::domain::bundle::inspect;
use deploydesk::localcloud::s3::{Bucket, S3Object};

const APP: &str = "shop";
const GROUP: &str = "web";
const BUCKET: &str = "bundles";
const ETAG: &str = "\"0123456789abcdef0123456789abcdef\"";

/// A zip of the files under `dir`, with their Unix modes, as `aws deploy
/// push` would make it.
fn zip_dir(dir: &Path) -> Vec<u8> {
    fn add(writer: &mut zip::ZipWriter<Cursor<Vec<u8>>>, root: &Path, dir: &Path) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                add(writer, root, &path);
                continue;
            }
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let script = path.extension().is_some_and(|extension| extension == "sh");
            let mode = if script { 0o755 } else { 0o644 };
            let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
            writer.start_file(name, options).unwrap();
            writer.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    add(&mut writer, dir, dir);
    writer.finish().unwrap().into_inner()
}

/// A zip holding `files` (path, body).
fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, body) in files {
        writer
            .start_file(*path, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The sample application's bundle.
fn sample_zip() -> Vec<u8> {
    zip_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-app"))
}

/// Puts `archive`'s metadata into the local S3 as `BUCKET/key`, creating
/// the bucket, as S3 records it after an upload (the body itself is not
/// needed: deployments read only what S3 learnt from it).
fn put_object(cloud: &Cloud, key: &str, archive: &[u8]) {
    let now = cloud.now();
    let object = S3Object {
        size: archive.len() as u64,
        etag: ETAG.to_owned(),
        last_modified: now,
        version_id: None,
        content_type: Some("application/zip".to_owned()),
        blob: format!("blob-{key}"),
        bundle: inspect(Cursor::new(archive.to_vec())),
        text: None,
        checksums: BTreeMap::new(),
    };
    cloud.local.with_world(|world| {
        world
            .s3
            .buckets
            .entry(BUCKET.to_owned())
            .or_insert_with(|| Bucket {
                region: "us-east-1".to_owned(),
                created: now,
                objects: BTreeMap::new(),
                versioning: None,
                versions: BTreeMap::new(),
                uploads: BTreeMap::new(),
            })
            .objects
            .insert(key.to_owned(), object);
    });
}

fn s3_revision(bucket: &str, key: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(
            S3Location::builder()
                .bucket(bucket)
                .key(key)
                .bundle_type(BundleType::Zip)
                .build(),
        )
        .build()
}

/// A cloud with `count` instances tagged `Environment=production` in the
/// group, deploying all at once.
async fn cloud_with_instances(count: usize) -> (Cloud, Vec<String>) {
    let cloud = Cloud::start().await;
    let ids = cloud.launch(count, &[("Environment", "production")]);
    cloud
        .group(
            APP,
            GROUP,
            "Environment",
            "production",
            "CodeDeployDefault.AllAtOnce",
        )
        .await;
    (cloud, ids)
}

/// Deploys `revision` and runs the deployment to its end.
async fn deploy(
    cloud: &Cloud,
    revision: RevisionLocation,
) -> (
    aws_sdk_codedeploy::types::DeploymentInfo,
    Vec<InstanceTarget>,
) {
    let id = cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(revision)
        .send()
        .await
        .expect("CreateDeployment accepts any well-formed S3 location, as AWS does")
        .deployment_id()
        .unwrap()
        .to_owned();
    let info = cloud.run_to_end(&id, 200).await;
    let targets = cloud.targets(&id).await;
    (info, targets)
}

/// The lifecycle event `name` of `target`.
fn event<'a>(target: &'a InstanceTarget, name: &str) -> &'a LifecycleEvent {
    target
        .lifecycle_events()
        .iter()
        .find(|event| event.lifecycle_event_name() == Some(name))
        .unwrap_or_else(|| panic!("no {name} event"))
}

fn status(event: &LifecycleEvent) -> &str {
    event
        .status()
        .map(aws_sdk_codedeploy::types::LifecycleEventStatus::as_str)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_missing_bundle_fails_download_bundle_on_every_instance() {
    let (cloud, ids) = cloud_with_instances(2).await;

    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "web/v1.zip")).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let error = info.error_information().unwrap();
    assert_eq!(
        error
            .code()
            .map(aws_sdk_codedeploy::types::ErrorCode::as_str),
        Some("HEALTH_CONSTRAINTS")
    );
    assert_eq!(targets.len(), ids.len());
    for target in &targets {
        assert_eq!(status(event(target, "ApplicationStop")), "Succeeded");
        let download = event(target, "DownloadBundle");
        assert_eq!(status(download), "Failed");
        let diagnostics = download.diagnostics().unwrap();
        assert_eq!(
            diagnostics
                .error_code()
                .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
            Some("UnknownError")
        );
        assert_eq!(
            diagnostics.message(),
            Some("The specified bucket does not exist")
        );
        assert_eq!(status(event(target, "BeforeInstall")), "Skipped");
    }

    // With the bucket there but not the key, S3's message names the key.
    put_object(&cloud, "other.zip", &sample_zip());
    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "web/v1.zip")).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let download = event(&targets[0], "DownloadBundle");
    assert_eq!(
        download.diagnostics().unwrap().message(),
        Some("The specified key does not exist.")
    );

    // An eTag that is not the object's fails the download too.
    let mut stale = s3_revision(BUCKET, "other.zip");
    stale.s3_location = Some(
        S3Location::builder()
            .bucket(BUCKET)
            .key("other.zip")
            .bundle_type(BundleType::Zip)
            .e_tag("ffffffffffffffffffffffffffffffff")
            .build(),
    );
    let (info, targets) = deploy(&cloud, stale).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    assert!(
        event(&targets[0], "DownloadBundle")
            .diagnostics()
            .unwrap()
            .message()
            .unwrap()
            .contains("pre-conditions")
    );
}

#[tokio::test]
async fn the_sample_bundle_runs_its_hooks_and_a_failing_hook_names_its_script() {
    let (cloud, ids) = cloud_with_instances(2).await;
    put_object(&cloud, "sample.zip", &sample_zip());

    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "sample.zip")).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let target = &targets[0];
    // ApplicationStop has no hook in the sample: it finishes at once.
    let stop = event(target, "ApplicationStop");
    assert_eq!(status(stop), "Succeeded");
    assert_eq!(stop.start_time(), stop.end_time());
    let validate = event(target, "ValidateService");
    assert!(validate.start_time() < validate.end_time());
    let diagnostics = validate.diagnostics().unwrap();
    assert_eq!(
        diagnostics
            .error_code()
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("Success")
    );
    assert!(
        diagnostics
            .log_tail()
            .unwrap()
            .contains("Script - scripts/validate_service.sh")
    );

    cloud.tag(&ids[1], SIMULATE, Some("fail:AfterInstall"));
    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "sample.zip")).await;
    // All at once succeeds when at least one instance does.
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let failed = targets
        .iter()
        .find(|target| target.target_id() == Some(ids[1].as_str()))
        .unwrap();
    let after_install = event(failed, "AfterInstall");
    assert_eq!(status(after_install), "Failed");
    let diagnostics = after_install.diagnostics().unwrap();
    assert_eq!(
        diagnostics
            .error_code()
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("ScriptFailed")
    );
    assert_eq!(diagnostics.script_name(), Some("scripts/after_install.sh"));
    assert!(
        diagnostics
            .log_tail()
            .unwrap()
            .contains("Script - scripts/after_install.sh")
    );
    assert_eq!(status(event(failed, "ApplicationStart")), "Skipped");

    // A fail directive for an event without a hook has no script to fail.
    cloud.tag(&ids[1], SIMULATE, Some("fail:ApplicationStop"));
    let (info, _) = deploy(&cloud, s3_revision(BUCKET, "sample.zip")).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
}

#[tokio::test]
async fn a_bad_or_missing_appspec_fails_before_install_with_the_agents_message() {
    let (cloud, _) = cloud_with_instances(1).await;
    put_object(
        &cloud,
        "bad-version.zip",
        &zip_of(&[("appspec.yml", "version: 1.0\nos: linux\n")]),
    );
    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "bad-version.zip")).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    assert_eq!(status(event(&targets[0], "DownloadBundle")), "Succeeded");
    let before_install = event(&targets[0], "BeforeInstall");
    assert_eq!(status(before_install), "Failed");
    assert!(
        before_install
            .diagnostics()
            .unwrap()
            .message()
            .unwrap()
            .starts_with("The deployment failed because an invalid version value (1.0)")
    );

    put_object(
        &cloud,
        "nested.zip",
        &zip_of(&[("app/appspec.yml", "version: 0.0\nos: linux\n")]),
    );
    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "nested.zip")).await;
    let deployment_id = info.deployment_id().unwrap();
    let message = event(&targets[0], "BeforeInstall")
        .diagnostics()
        .unwrap()
        .message()
        .unwrap()
        .to_owned();
    assert!(message.starts_with(
        "The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at revision-relative path \"appspec.yml\""
    ));
    assert!(message.contains(&format!("/{deployment_id}/deployment-archive")));

    // A hook whose script is not in the bundle fails that hook.
    put_object(
        &cloud,
        "no-script.zip",
        &zip_of(&[(
            "appspec.yml",
            "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: scripts/missing.sh\n",
        )]),
    );
    let (_, targets) = deploy(&cloud, s3_revision(BUCKET, "no-script.zip")).await;
    let diagnostics = event(&targets[0], "AfterInstall").diagnostics().unwrap();
    assert_eq!(
        diagnostics
            .error_code()
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("ScriptMissing")
    );
    assert!(
        diagnostics
            .message()
            .unwrap()
            .ends_with("/deployment-archive/scripts/missing.sh")
    );

    // A zip deployed as a tar cannot be unpacked.
    let mut as_tar = s3_revision(BUCKET, "bad-version.zip");
    as_tar.s3_location = Some(
        S3Location::builder()
            .bucket(BUCKET)
            .key("bad-version.zip")
            .bundle_type(BundleType::Tar)
            .build(),
    );
    let (_, targets) = deploy(&cloud, as_tar).await;
    assert_eq!(status(event(&targets[0], "DownloadBundle")), "Failed");
}

#[tokio::test]
async fn revision_details_carry_the_objects_etag() {
    let (cloud, _) = cloud_with_instances(1).await;
    put_object(&cloud, "sample.zip", &sample_zip());
    cloud
        .client
        .register_application_revision()
        .application_name(APP)
        .revision(s3_revision(BUCKET, "sample.zip"))
        .description("the sample")
        .send()
        .await
        .unwrap();
    let got = cloud
        .client
        .get_application_revision()
        .application_name(APP)
        .revision(s3_revision(BUCKET, "sample.zip"))
        .send()
        .await
        .unwrap();
    let location = got.revision().unwrap();
    let s3 = location.s3_location().unwrap();
    assert_eq!(s3.e_tag(), Some(ETAG.trim_matches('"')));
    assert_eq!(
        got.revision_info().unwrap().description(),
        Some("the sample")
    );

    // The location as listed, eTag and all, names the same revision.
    let listed = cloud
        .client
        .list_application_revisions()
        .application_name(APP)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.revisions(), std::slice::from_ref(location));
    let batch = cloud
        .client
        .batch_get_application_revisions()
        .application_name(APP)
        .revisions(location.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(batch.revisions().len(), 1);
    assert_eq!(batch.revisions()[0].revision_location(), Some(location));

    // Deploying it records its use on the same registered revision.
    let (info, _) = deploy(&cloud, s3_revision(BUCKET, "sample.zip")).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let got = cloud
        .client
        .get_application_revision()
        .application_name(APP)
        .revision(location.clone())
        .send()
        .await
        .unwrap();
    let revision_info = got.revision_info().unwrap();
    assert_eq!(revision_info.deployment_groups(), [GROUP]);
    assert!(revision_info.first_used_time().is_some());
}

/// Deploys `key` with `ignoreApplicationStopFailures` as given and runs the
/// deployment to its end.
async fn deploy_ignoring_stop_failures(
    cloud: &Cloud,
    key: &str,
    ignore: bool,
) -> (
    aws_sdk_codedeploy::types::DeploymentInfo,
    Vec<InstanceTarget>,
) {
    let id = cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(s3_revision(BUCKET, key))
        .ignore_application_stop_failures(ignore)
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned();
    let info = cloud.run_to_end(&id, 200).await;
    let targets = cloud.targets(&id).await;
    (info, targets)
}

#[tokio::test]
async fn application_stop_runs_the_scripts_of_the_revision_the_instance_ran_last() {
    let (cloud, _) = cloud_with_instances(1).await;
    // A revision whose stop script is not in its bundle.
    put_object(
        &cloud,
        "broken-stop.zip",
        &zip_of(&[(
            "appspec.yml",
            "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n",
        )]),
    );
    put_object(
        &cloud,
        "fixed.zip",
        &zip_of(&[
            (
                "appspec.yml",
                "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n",
            ),
            ("scripts/stop.sh", "#!/bin/sh\nexit 0\n"),
        ]),
    );

    // The first deployment to the instance has nothing to stop: its own
    // broken stop script does not run.
    let (info, targets) = deploy_ignoring_stop_failures(&cloud, "broken-stop.zip", false).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let stop = event(&targets[0], "ApplicationStop");
    assert_eq!(stop.start_time(), stop.end_time());

    // The next one runs the stop script of the revision installed before,
    // which is missing, even though the new revision's is fine.
    let (info, targets) = deploy_ignoring_stop_failures(&cloud, "fixed.zip", false).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed), "{info:?}");
    let stop = event(&targets[0], "ApplicationStop");
    assert_eq!(status(stop), "Failed");
    let diagnostics = stop.diagnostics().unwrap();
    assert_eq!(
        diagnostics
            .error_code()
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("ScriptMissing")
    );
    assert_eq!(status(event(&targets[0], "Install")), "Skipped");

    // It keeps failing the same way until stop failures are ignored.
    let (info, _) = deploy_ignoring_stop_failures(&cloud, "fixed.zip", false).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let (info, targets) = deploy_ignoring_stop_failures(&cloud, "fixed.zip", true).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    assert_eq!(status(event(&targets[0], "Install")), "Succeeded");

    // Once the fixed revision is installed, its own stop script runs.
    let (info, targets) = deploy_ignoring_stop_failures(&cloud, "fixed.zip", false).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let stop = event(&targets[0], "ApplicationStop");
    assert_eq!(status(stop), "Succeeded");
    assert!(stop.start_time() < stop.end_time());
    assert!(
        stop.diagnostics()
            .and_then(|diagnostics| diagnostics.log_tail())
            .is_some_and(|log| log.contains("Script - scripts/stop.sh"))
    );
}

#[tokio::test]
async fn an_instance_whose_role_may_not_read_the_bundle_is_denied_and_one_without_a_profile_never_answers()
 {
    use deploydesk::localcloud::ec2::ProfileAssociation;
    use deploydesk::localcloud::iam::{InstanceProfile, Role};
    let (cloud, ids) = cloud_with_instances(3).await;
    put_object(&cloud, "web/v1.zip", &sample_zip());
    let now = cloud.now();
    // The first instance's role may read another bucket only; the second
    // has no instance profile; the third keeps the fleet's.
    cloud.local.with_world(|world| {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let read_other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::other-revisions/*"]}]}"#;
        world.iam.roles.insert(
            "limitedrole".to_owned(),
            Role {
                name: "LimitedRole".to_owned(),
                path: "/".to_owned(),
                role_id: "AROAAAAAAAAAAAAAAAAAA".to_owned(),
                created: now,
                assume_role_policy: trust.to_owned(),
                description: None,
                max_session_duration: 3600,
                tags: Vec::new(),
                attached_policies: Vec::new(),
                inline_policies: BTreeMap::from([("read".to_owned(), read_other.to_owned())]),
            },
        );
        let profile = InstanceProfile {
            name: "Limited".to_owned(),
            path: "/".to_owned(),
            profile_id: "AIPAAAAAAAAAAAAAAAAAA".to_owned(),
            created: now,
            roles: vec!["limitedrole".to_owned()],
            tags: Vec::new(),
        };
        let arn = profile.arn();
        world.iam.instance_profiles.insert("limited".to_owned(), profile);
        let limited = world.ec2.instances.get_mut(&ids[0]).unwrap();
        limited.iam_instance_profile = Some(ProfileAssociation {
            association_id: "iip-assoc-0123456789abcdef0".to_owned(),
            arn,
            profile_id: "AIPAAAAAAAAAAAAAAAAAA".to_owned(),
            associated_at: now,
        });
        world.ec2.instances.get_mut(&ids[1]).unwrap().iam_instance_profile = None;
    });

    let (info, targets) = deploy(&cloud, s3_revision(BUCKET, "web/v1.zip")).await;
    // All at once, one success is enough.
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    let overview = info.deployment_overview().unwrap();
    assert_eq!((overview.succeeded(), overview.failed()), (1, 2));
    let target = |id: &str| {
        targets
            .iter()
            .find(|target| target.target_id() == Some(id))
            .unwrap()
    };
    // S3 refuses the role: the download fails as the agent reports it.
    let denied = event(target(&ids[0]), "DownloadBundle");
    assert_eq!(status(denied), "Failed");
    assert_eq!(
        denied.diagnostics().unwrap().message(),
        Some("Access Denied")
    );
    assert_eq!(
        status(event(target(&ids[0]), "ApplicationStop")),
        "Succeeded"
    );
    // Without credentials the agent never takes the first event, which
    // AWS reports as it does a missing agent.
    let unanswered = event(target(&ids[1]), "ApplicationStop");
    assert_eq!(status(unanswered), "Failed");
    assert!(
        unanswered
            .diagnostics()
            .unwrap()
            .message()
            .unwrap()
            .starts_with("CodeDeploy agent was not able to receive the lifecycle event"),
        "{unanswered:?}"
    );
    assert_eq!(
        status(event(target(&ids[2]), "ValidateService")),
        "Succeeded"
    );
}
