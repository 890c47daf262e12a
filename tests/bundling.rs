//! Bundling a revision: deterministic zips of a folder, refusal of entries
//! that escape the bundle, the preview and lint of the sample app, and its
//! upload and registration against the local cloud.

// The helpers below are only for tests: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{Cursor, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use deploydesk::cloud::bundle::{self, BundleError, BundleSource};
use deploydesk::cloud::error::CloudError;
use deploydesk::cloud::revisions::{self, RevisionLocation, S3Revision};
use deploydesk::cloud::{Session, codedeploy, s3};
use deploydesk::domain::appspec_lint::{self, LintPlatform};
use deploydesk::domain::bundle::BundleKind;
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The sample application shipped with DeployDesk.
fn sample_app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample-app")
}

/// Copies `from` into `to` recursively, keeping modes.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the sample app in a fresh temporary folder, with the modes
/// the linter needs whatever the checkout did to them.
fn sample_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("sample-app");
    copy_tree(&sample_app(), &app);
    for entry in fs::read_dir(app.join("scripts")).unwrap() {
        fs::set_permissions(entry.unwrap().path(), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(app.join("index.html"), fs::Permissions::from_mode(0o644)).unwrap();
    (dir, app)
}

/// Sets the modification time of every file under `dir` to `time`.
fn touch_all(dir: &Path, time: SystemTime) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            touch_all(&entry.path(), time);
        } else {
            fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap()
                .set_modified(time)
                .unwrap();
        }
    }
}

#[test]
fn the_same_folder_zips_to_the_same_bytes_whatever_its_times() {
    let (dir, app) = sample_copy();
    let first = bundle::write_zip(&app, &dir.path().join("one.zip")).unwrap();
    let second = bundle::write_zip(&app, &dir.path().join("two.zip")).unwrap();
    let one = fs::read(&first.path).unwrap();
    assert_eq!(one, fs::read(&second.path).unwrap());
    assert_eq!(first.size, one.len() as u64);
    assert_eq!(first.kind, BundleKind::Zip);

    touch_all(
        &app,
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
    );
    let third = bundle::write_zip(&app, &dir.path().join("three.zip")).unwrap();
    assert_eq!(one, fs::read(&third.path).unwrap());

    // A changed file changes the bytes: the comparison above can fail.
    fs::write(app.join("index.html"), "<h1>changed</h1>").unwrap();
    let fourth = bundle::write_zip(&app, &dir.path().join("four.zip")).unwrap();
    assert_ne!(one, fs::read(&fourth.path).unwrap());
}

#[test]
fn zips_keep_modes_and_sort_entries() {
    let (dir, app) = sample_copy();
    let written = bundle::write_zip(&app, &dir.path().join("app.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(fs::File::open(&written.path).unwrap()).unwrap();
    let mut names = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        let mode = entry.unix_mode().unwrap() & 0o777;
        let name = entry.name().unwrap().into_owned();
        if name.starts_with("scripts/") {
            assert_eq!(mode, 0o755, "{name}");
        } else {
            assert_eq!(mode, 0o644, "{name}");
        }
        names.push(name);
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 6);
    assert!(names.contains(&"scripts/application_start.sh".to_owned()));
    let mut body = String::new();
    archive
        .by_name("index.html")
        .unwrap()
        .read_to_string(&mut body)
        .unwrap();
    assert_eq!(body, fs::read_to_string(app.join("index.html")).unwrap());
}

#[test]
fn links_inside_the_folder_are_kept_and_links_outside_are_refused() {
    let (dir, app) = sample_copy();
    std::os::unix::fs::symlink("scripts/application_start.sh", app.join("start")).unwrap();
    let written = bundle::write_zip(&app, &dir.path().join("ok.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(fs::File::open(&written.path).unwrap()).unwrap();
    assert!(archive.by_name("start").unwrap().is_symlink());

    std::os::unix::fs::symlink("../../etc/passwd", app.join("scripts/passwd")).unwrap();
    let out = dir.path().join("refused.zip");
    let error = bundle::write_zip(&app, &out).unwrap_err();
    assert_eq!(
        error,
        BundleError::Escapes {
            entry: "scripts/passwd".to_owned(),
            reason: "is a link to ../../etc/passwd, outside the bundle".to_owned(),
        }
    );
    assert!(
        error
            .to_string()
            .contains("the agent would write outside the deployment folder")
    );
    assert!(!out.exists(), "no half-written bundle is left");
    let scanned = bundle::scan(&BundleSource::Folder(app.clone())).unwrap_err();
    assert!(matches!(scanned, BundleError::Escapes { .. }));

    fs::remove_file(app.join("scripts/passwd")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", app.join("abs")).unwrap();
    let error = bundle::write_zip(&app, &out).unwrap_err();
    assert!(
        error.to_string().contains("absolute path /etc/passwd"),
        "{error}"
    );
}

/// A tar whose one entry is named `name` (written into the header as is,
/// since the tar crate refuses to build such paths).
fn tar_with_raw_name(name: &str) -> Vec<u8> {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_size(4);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &b"evil"[..]).unwrap();
    builder.into_inner().unwrap()
}

#[test]
fn archives_with_entries_going_up_are_refused() {
    let dir = tempfile::tempdir().unwrap();

    // A ustar magic is needed for a plain tar to be recognised.
    let mut tar = tar_with_raw_name("../evil.sh");
    tar[257..263].copy_from_slice(b"ustar\0");
    tar[263..265].copy_from_slice(b"00");
    let mut header = tar::Header::from_byte_slice(&tar[..512]).clone();
    header.set_cksum();
    tar[..512].copy_from_slice(header.as_bytes());
    let tar_path = dir.path().join("up.tar");
    fs::write(&tar_path, &tar).unwrap();
    let source = BundleSource::from_path(&tar_path).unwrap();
    assert_eq!(source, BundleSource::Archive(tar_path.clone()));
    let error = bundle::scan(&source).unwrap_err();
    assert_eq!(
        error,
        BundleError::Escapes {
            entry: "../evil.sh".to_owned(),
            reason: "goes up out of the bundle with ..".to_owned(),
        }
    );
    assert!(bundle::prepare_upload(&source, dir.path()).is_err());

    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&tar).unwrap();
    let tgz_path = dir.path().join("up.tar.gz");
    fs::write(&tgz_path, gzip.finish().unwrap()).unwrap();
    let error = bundle::scan(&BundleSource::from_path(&tgz_path).unwrap()).unwrap_err();
    assert!(matches!(error, BundleError::Escapes { .. }), "{error}");

    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file(
            "app/../../evil.sh",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    writer.write_all(b"evil").unwrap();
    let zip_path = dir.path().join("up.zip");
    fs::write(&zip_path, writer.finish().unwrap().into_inner()).unwrap();
    let error = bundle::scan(&BundleSource::from_path(&zip_path).unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "The bundle is refused: app/../../evil.sh goes up out of the bundle with .., so the agent would write outside the deployment folder. Remove it or make it point inside the bundle."
    );
}

#[test]
fn missing_paths_and_other_files_are_refused_with_what_to_pick() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let error = BundleSource::from_path(&missing).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Nothing exists at {}; pick an existing folder, or a .zip, .tar or .tar.gz file.",
            missing.display()
        )
    );
    let text = dir.path().join("notes.zip");
    fs::write(&text, "not really a zip").unwrap();
    let error = BundleSource::from_path(&text).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} is not a zip, tar or tar.gz archive; pick a folder to zip, or an archive in one of those formats.",
            text.display()
        )
    );
}

#[test]
fn a_zipped_folder_previews_like_the_folder() {
    let (dir, app) = sample_copy();
    let folder = bundle::scan(&BundleSource::from_path(&app).unwrap()).unwrap();
    let written = bundle::write_zip(&app, &dir.path().join("app.zip")).unwrap();
    let zipped = bundle::scan(&BundleSource::from_path(&written.path).unwrap()).unwrap();
    assert_eq!(folder.entries, zipped.entries);
    assert_eq!(folder.total_size, zipped.total_size);
    assert_eq!(folder.appspec, zipped.appspec);
    assert_eq!(zipped.archive_size, Some(written.size));
    let mut folder_files = folder.files.files.clone();
    folder_files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut zip_files = zipped.files.files.clone();
    zip_files.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(folder_files, zip_files);
}

#[tokio::test]
async fn the_sample_app_is_linted_clean_uploaded_registered_and_listed() {
    let (dir, app) = sample_copy();
    let source = BundleSource::from_path(&app).unwrap();
    let preview = bundle::scan(&source).unwrap();
    assert_eq!(preview.entries.len(), 6);
    assert_eq!(
        preview.total_size,
        preview.entries.iter().map(|entry| entry.size).sum::<u64>()
    );
    let appspec = preview.appspec.as_deref().unwrap();
    let findings = appspec_lint::lint(appspec, LintPlatform::SERVER, &preview.files);
    assert_eq!(findings, Vec::new());

    // A script that lost its execute bit blocks the upload.
    let start = app.join("scripts/application_start.sh");
    fs::set_permissions(&start, fs::Permissions::from_mode(0o644)).unwrap();
    let broken = bundle::scan(&source).unwrap();
    let findings = appspec_lint::lint(appspec, LintPlatform::SERVER, &broken.files);
    assert!(appspec_lint::blocks_upload(&findings));
    assert_eq!(findings[0].line, Some(16));
    fs::set_permissions(&start, fs::Permissions::from_mode(0o755)).unwrap();

    let prepared = bundle::prepare_upload(&source, dir.path()).unwrap();
    assert_eq!(prepared.path, dir.path().join("sample-app.zip"));

    let cloud = LocalCloud::start(LocalCloudOptions::default())
        .await
        .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    s3::create_bucket(&session, "revisions").await.unwrap();
    codedeploy::create_application(
        &session,
        "shop",
        deploydesk::domain::ComputePlatform::Server,
    )
    .await
    .unwrap();
    let key = revisions::default_key("shop", SystemTime::now());
    let stamp = key
        .strip_prefix("deploydesk/shop/shop-")
        .and_then(|rest| rest.strip_suffix(".zip"))
        .unwrap();
    assert_eq!(stamp.len(), "20261127-084500".len(), "{key}");
    let (progress, _watch) = watch::channel(s3::UploadProgress::default());
    let object = s3::upload_file(
        &session,
        &prepared.path,
        "revisions",
        &key,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(progress.borrow().sent, prepared.size);
    let revision = S3Revision {
        bucket: "revisions".to_owned(),
        key: key.clone(),
        bundle: Some(prepared.kind),
        etag: Some(object.etag.clone()),
        version: object.version_id.clone(),
    };
    revisions::register_s3_revision(&session, "shop", &revision, Some("first cut"))
        .await
        .unwrap();

    let listed = revisions::list_revisions(&session, "shop").await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0].description.as_deref(), Some("first cut"));
    assert!(listed[0].registered.is_some());
    let RevisionLocation::S3(s3_location) = &listed[0].location else {
        panic!("not an S3 revision: {:?}", listed[0].location);
    };
    assert_eq!(s3_location.key, key);
    assert_eq!(s3_location.bundle, Some(BundleKind::Zip));
    assert_eq!(
        s3_location.etag.as_deref(),
        Some(object.etag.trim_matches('"'))
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn github_revisions_are_validated_before_they_are_registered() {
    let cloud = LocalCloud::start(LocalCloudOptions::default())
        .await
        .expect("local cloud");
    let session = Session::local(&cloud.endpoint_url()).await;
    codedeploy::create_application(
        &session,
        "site",
        deploydesk::domain::ComputePlatform::Server,
    )
    .await
    .unwrap();
    let error = revisions::register_github_revision(&session, "site", "octocat", "abc", None)
        .await
        .unwrap_err();
    assert!(matches!(error, CloudError::Invalid { .. }));
    assert!(error.to_string().contains("owner/name"), "{error}");
    let error = revisions::register_github_revision(&session, "site", "octocat/site", "main", None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("40-character"), "{error}");
    assert_eq!(
        revisions::list_revisions(&session, "site").await.unwrap(),
        Vec::new()
    );

    let commit = "4f0c2e1d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d";
    revisions::register_github_revision(&session, "site", "octocat/site", commit, Some("v2"))
        .await
        .unwrap();
    let listed = revisions::list_revisions(&session, "site").await.unwrap();
    assert_eq!(
        listed[0].location,
        RevisionLocation::GitHub {
            repository: "octocat/site".to_owned(),
            commit_id: commit.to_owned(),
        }
    );
    cloud.shutdown().await;
}
