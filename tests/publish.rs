//! Publishing a revision from disk against the local cloud: the happy path
//! registers exactly what was uploaded; a bucket in another region, a
//! cancelled upload and a refused registration leave nothing half-done.

use std::path::Path;

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use deploydesk::cloud::Session;
use deploydesk::cloud::bundle::BundleSource;
use deploydesk::cloud::publish::{self, Destination};
use deploydesk::cloud::revisions::{self, RevisionLocation};
use deploydesk::cloud::s3::UploadProgress;
use deploydesk::domain::appspec_lint::LintPlatform;
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

fn sample() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample-app"))
}

async fn start() -> (LocalCloud, Session) {
    let cloud = LocalCloud::start(LocalCloudOptions::default())
        .await
        .expect("the local cloud starts");
    let session = Session::local(&cloud.endpoint_url()).await;
    session
        .codedeploy
        .create_application()
        .application_name("web")
        .send()
        .await
        .expect("the application is made");
    (cloud, session)
}

fn destination(bucket: &str) -> Destination {
    Destination {
        application: "web".to_owned(),
        bucket: bucket.to_owned(),
        key: "web/sample.zip".to_owned(),
        description: "the sample".to_owned(),
    }
}

#[tokio::test]
async fn the_sample_is_checked_uploaded_and_registered() {
    let (cloud, session) = start().await;
    let checked = publish::check(sample(), LintPlatform::SERVER).expect("the sample reads");
    assert_eq!(checked.blocked(), None, "{:?}", checked.findings);
    let (progress, updates) = watch::channel(UploadProgress::default());
    let revision = publish::publish(
        &session,
        checked.source,
        &destination("revisions"),
        &progress,
        &CancellationToken::new(),
    )
    .await
    .expect("the revision is published");
    let last = *updates.borrow();
    assert!(last.total > 0 && last.sent == last.total, "{last:?}");
    let listed = revisions::list_revisions(&session, "web")
        .await
        .expect("revisions are listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].location, RevisionLocation::S3(revision.clone()));
    assert_eq!(listed[0].description.as_deref(), Some("the sample"));
    let object = deploydesk::cloud::s3::head_object(&session, "revisions", "web/sample.zip")
        .await
        .expect("the object exists");
    assert_eq!(
        object.etag.trim_matches('"'),
        revision.etag.as_deref().unwrap_or_default()
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_bucket_in_another_region_is_refused_before_the_upload() {
    let (cloud, session) = start().await;
    // The bucket is made through an endpoint in its own region, as S3 wants.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(cloud.endpoint_url())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let europe = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    europe
        .create_bucket()
        .bucket("far-away")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("the bucket is made");
    let (progress, _updates) = watch::channel(UploadProgress::default());
    let error = publish::publish(
        &session,
        BundleSource::Folder(sample().to_path_buf()),
        &destination("far-away"),
        &progress,
        &CancellationToken::new(),
    )
    .await
    .expect_err("the bucket is refused")
    .to_string();
    assert!(
        error.starts_with(
            "The bucket far-away is in eu-west-1, but this session's instances are in us-east-1"
        ),
        "{error}"
    );
    let listed = revisions::list_revisions(&session, "web")
        .await
        .expect("listed");
    assert!(listed.is_empty());
    let objects = deploydesk::cloud::s3::list_objects(&session, "far-away", "")
        .await
        .expect("objects are listed");
    assert!(objects.is_empty());
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_upload_registers_nothing() {
    let (cloud, session) = start().await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (progress, _updates) = watch::channel(UploadProgress::default());
    let error = publish::publish(
        &session,
        BundleSource::Folder(sample().to_path_buf()),
        &destination("revisions"),
        &progress,
        &cancel,
    )
    .await
    .expect_err("the upload is cancelled")
    .to_string();
    assert_eq!(
        error,
        "The upload was cancelled; nothing was uploaded or registered."
    );
    assert!(
        revisions::list_revisions(&session, "web")
            .await
            .expect("listed")
            .is_empty()
    );
    assert!(
        deploydesk::cloud::s3::list_objects(&session, "revisions", "")
            .await
            .expect("listed")
            .is_empty()
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn an_application_that_does_not_exist_is_reported_before_the_upload() {
    let (cloud, session) = start().await;
    let (progress, _updates) = watch::channel(UploadProgress::default());
    let mut target = destination("revisions");
    target.application = "nope".to_owned();
    let error = publish::publish(
        &session,
        BundleSource::Folder(sample().to_path_buf()),
        &target,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .expect_err("registration is refused")
    .to_string();
    assert!(
        error.starts_with("The application nope does not exist"),
        "{error}"
    );
    let buckets = deploydesk::cloud::s3::list_buckets(&session)
        .await
        .expect("buckets are listed");
    assert!(buckets.is_empty(), "nothing was uploaded: {buckets:?}");
    cloud.shutdown().await;
}
