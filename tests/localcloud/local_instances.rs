//! Local instances in the local cloud: on-premises instances tagged
//! `deploydesk:simulate=local`, whose deployments run the revision's bundle
//! for real on this machine, in a sandbox, while the other instances of the
//! same group are simulated. Everything goes through the AWS SDK: the
//! bundle is uploaded to the local S3, the instances registered and tagged,
//! the deployment watched with `BatchGetDeploymentTargets`.

#![allow(clippy::unwrap_used)]

use crate::deploy_support;

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    BundleType, DeploymentStatus, InstanceTarget, LifecycleEvent, MinimumHealthyHostsType,
    RevisionLocation, RevisionLocationType, S3Location, Tag, TagFilter, TagFilterType,
};
use deploy_support::{Cloud, SIMULATE};

const APP: &str = "shop";
const GROUP: &str = "lab";
const BUCKET: &str = "bundles";
const LOCAL: [&str; 2] = ["local-1", "local-2"];
const SIMULATED: [&str; 3] = ["sim-1", "sim-2", "sim-3"];

/// A zip holding `files` (path, body); the `.sh` files are executable.
fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, body) in files {
        let mode = if path.starts_with("scripts/") {
            0o755
        } else {
            0o644
        };
        let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        writer.start_file(*path, options).unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const APPSPEC: &str = "version: 0.0
os: linux
files:
  - source: app/index.html
    destination: /opt/shop
hooks:
  BeforeInstall:
    - location: scripts/before_install.sh
  AfterInstall:
    - location: scripts/after_install.sh
  ValidateService:
    - location: scripts/validate.sh
";

/// A bundle whose hooks print lines no simulated instance would, and whose
/// `ValidateService` checks the file `Install` put in place; its
/// `AfterInstall` runs `after_install`.
fn bundle(after_install: &str) -> Vec<u8> {
    zip_of(&[
        ("appspec.yml", APPSPEC),
        ("app/index.html", "<h1>shop build 7c1e</h1>\n"),
        (
            "scripts/before_install.sh",
            "#!/bin/sh\necho \"preparing shop for $DEPLOYMENT_ID in $DEPLOYMENT_GROUP_NAME from $BUNDLE_BUCKET\"\n",
        ),
        ("scripts/after_install.sh", after_install),
        (
            "scripts/validate.sh",
            "#!/bin/sh\nset -e\ngrep -q 'shop build 7c1e' /opt/shop/index.html\necho \"validated $(cat /opt/shop/index.html)\"\n",
        ),
    ])
}

/// A cloud with two local and three simulated on-premises instances in
/// group `GROUP`, deploying with `config`.
async fn cloud_with_lab(config: &str) -> Cloud {
    let cloud = Cloud::start().await;
    for name in LOCAL.iter().chain(&SIMULATED) {
        cloud
            .client
            .register_on_premises_instance()
            .instance_name(*name)
            .iam_user_arn(format!("arn:aws:iam::000000000000:user/{name}"))
            .send()
            .await
            .unwrap();
        let mut tags = cloud
            .client
            .add_tags_to_on_premises_instances()
            .instance_names(*name)
            .tags(Tag::builder().key("Site").value("lab").build());
        if LOCAL.contains(name) {
            tags = tags.tags(Tag::builder().key(SIMULATE).value("local").build());
        }
        tags.send().await.unwrap();
    }
    cloud
        .new_group(APP, GROUP)
        .await
        .deployment_config_name(config)
        .on_premises_instance_tag_filters(
            TagFilter::builder()
                .key("Site")
                .value("lab")
                .r#type(TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    cloud
}

/// Uploads `body` to the local S3 as `BUCKET/key` through the SDK.
async fn upload(cloud: &Cloud, key: &str, body: Vec<u8>) {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(cloud.local.endpoint_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    if s3.head_bucket().bucket(BUCKET).send().await.is_err() {
        s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    }
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

fn s3_revision(key: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(
            S3Location::builder()
                .bucket(BUCKET)
                .key(key)
                .bundle_type(BundleType::Zip)
                .build(),
        )
        .build()
}

/// Starts a deployment of `key` with `config` and returns its id.
async fn create(cloud: &Cloud, key: &str, config: Option<&str>) -> String {
    cloud
        .client
        .create_deployment()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .revision(s3_revision(key))
        .set_deployment_config_name(config.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_owned()
}

/// Deploys `key` with `config` and runs the deployment to its end (see
/// [`run_to_end`]); returns its id.
async fn deploy_to_end(cloud: &Cloud, key: &str, config: Option<&str>) -> String {
    let id = create(cloud, key, config).await;
    run_to_end(cloud, &id).await;
    id
}

/// Moves the clock on until deployment `id` has ended, giving the local
/// runs the time they take (within a generous deadline).
async fn run_to_end(cloud: &Cloud, id: &str) {
    let deadline = Instant::now() + Duration::from_mins(2);
    loop {
        let status = cloud.status(id).await;
        if matches!(
            status,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        ) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "deployment {id} is still {status:?}"
        );
        cloud.advance(1000);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn target<'a>(targets: &'a [InstanceTarget], name: &str) -> &'a InstanceTarget {
    targets
        .iter()
        .find(|target| target.target_id() == Some(name))
        .unwrap()
}

fn event<'a>(target: &'a InstanceTarget, name: &str) -> &'a LifecycleEvent {
    target
        .lifecycle_events()
        .iter()
        .find(|event| event.lifecycle_event_name() == Some(name))
        .unwrap_or_else(|| panic!("{target:?} has no {name}"))
}

fn log_tail<'a>(target: &'a InstanceTarget, name: &str) -> &'a str {
    event(target, name)
        .diagnostics()
        .and_then(|diagnostics| diagnostics.log_tail())
        .unwrap_or_default()
}

#[tokio::test]
async fn local_instances_run_the_bundle_and_show_their_real_output() {
    let cloud = cloud_with_lab("CodeDeployDefault.OneAtATime").await;
    upload(
        &cloud,
        "shop.zip",
        bundle("#!/bin/sh\necho \"installed $(ls /opt/shop)\"\nsleep 1.5\n"),
    )
    .await;
    let id = deploy_to_end(&cloud, "shop.zip", None).await;
    let info = cloud.deployment(&id).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let overview = info.deployment_overview().unwrap();
    assert_eq!(overview.succeeded(), 5);

    let targets = cloud.targets(&id).await;
    for name in LOCAL {
        let local = target(&targets, name);
        assert_eq!(deploy_support::target_status(local), "Succeeded");
        for event in local.lifecycle_events() {
            assert_eq!(event.status().unwrap().as_str(), "Succeeded", "{event:?}");
            assert!(event.start_time().is_some() && event.end_time().is_some());
        }
        // Each event lasts as long as it really ran, whatever the clock did
        // meanwhile.
        let took = |name: &str| {
            let event = event(local, name);
            event.end_time().unwrap().as_secs_f64() - event.start_time().unwrap().as_secs_f64()
        };
        assert!((1.5..10.0).contains(&took("AfterInstall")), "{local:?}");
        assert!(took("Install") < 1.5, "{local:?}");
        // The scripts' own output, with the deployment's real id and group.
        assert!(
            log_tail(local, "BeforeInstall").contains(&format!(
                "[stdout]preparing shop for {id} in {GROUP} from {BUCKET}"
            )),
            "{local:?}"
        );
        assert!(
            log_tail(local, "AfterInstall").contains("[stdout]installed index.html"),
            "{local:?}"
        );
        assert!(
            log_tail(local, "ValidateService")
                .contains("[stdout]validated <h1>shop build 7c1e</h1>"),
            "{local:?}"
        );
    }
    for name in SIMULATED {
        let simulated = target(&targets, name);
        assert_eq!(deploy_support::target_status(simulated), "Succeeded");
        assert!(!log_tail(simulated, "ValidateService").contains("validated"));
    }
}

#[tokio::test]
async fn a_failing_hook_fails_its_local_instance_with_its_real_stderr() {
    let cloud = cloud_with_lab("CodeDeployDefault.AllAtOnce").await;
    cloud
        .config("KeepFour", MinimumHealthyHostsType::HostCount, 4)
        .await;
    upload(
        &cloud,
        "broken.zip",
        bundle("#!/bin/sh\necho 'linking the config'\necho 'config.yml: no such file 5d2a' >&2\nexit 1\n"),
    )
    .await;

    // All at once keeps no instance healthy: the three simulated instances
    // succeed, so the deployment does, while both local instances fail.
    let id = deploy_to_end(&cloud, "broken.zip", None).await;
    let info = cloud.deployment(&id).await;
    assert_eq!(
        info.status(),
        Some(&DeploymentStatus::Succeeded),
        "{info:?}"
    );
    let targets = cloud.targets(&id).await;
    for name in LOCAL {
        let local = target(&targets, name);
        assert_eq!(deploy_support::target_status(local), "Failed");
        let after = event(local, "AfterInstall");
        assert_eq!(after.status().unwrap().as_str(), "Failed");
        let diagnostics = after.diagnostics().unwrap();
        assert_eq!(diagnostics.error_code().unwrap().as_str(), "ScriptFailed");
        assert_eq!(diagnostics.script_name(), Some("scripts/after_install.sh"));
        let tail = diagnostics.log_tail().unwrap();
        assert!(tail.contains("[stdout]linking the config"), "{tail}");
        assert!(
            tail.contains("[stderr]config.yml: no such file 5d2a"),
            "{tail}"
        );
        assert_eq!(
            event(local, "ApplicationStart").status().unwrap().as_str(),
            "Skipped"
        );
    }
    for name in SIMULATED {
        assert_eq!(
            deploy_support::target_status(target(&targets, name)),
            "Succeeded"
        );
    }

    // Keeping four of the five healthy, the first local instance's failure
    // ends the deployment.
    let id = deploy_to_end(&cloud, "broken.zip", Some("KeepFour")).await;
    let info = cloud.deployment(&id).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed), "{info:?}");
    assert_eq!(
        info.error_information().unwrap().code().unwrap().as_str(),
        "HEALTH_CONSTRAINTS"
    );
    let targets = cloud.targets(&id).await;
    let first = target(&targets, "local-1");
    assert_eq!(deploy_support::target_status(first), "Failed");
    assert!(log_tail(first, "AfterInstall").contains("[stderr]config.yml: no such file 5d2a"));
}

#[tokio::test]
async fn a_local_instance_refuses_a_revision_not_in_s3() {
    let cloud = cloud_with_lab("CodeDeployDefault.AllAtOnce").await;
    let id = cloud.deploy(APP, GROUP, "4f2a9c1").await;
    run_to_end(&cloud, &id).await;
    let targets = cloud.targets(&id).await;
    for name in LOCAL {
        let local = target(&targets, name);
        assert_eq!(deploy_support::target_status(local), "Failed");
        let first = &local.lifecycle_events()[0];
        assert_eq!(first.status().unwrap().as_str(), "Failed");
        let message = first.diagnostics().unwrap().message().unwrap();
        assert!(
            message.contains("only revisions stored in Amazon S3"),
            "{message}"
        );
    }
    for name in SIMULATED {
        assert_eq!(
            deploy_support::target_status(target(&targets, name)),
            "Succeeded"
        );
    }
}

#[tokio::test]
async fn stopping_a_deployment_kills_a_local_instances_script() {
    let cloud = cloud_with_lab("CodeDeployDefault.OneAtATime").await;
    upload(
        &cloud,
        "slow.zip",
        bundle("#!/bin/sh\necho 'warming the cache'\nsleep 871.75\n"),
    )
    .await;
    let id = create(&cloud, "slow.zip", None).await;
    // Wait until the first local instance is in its long AfterInstall.
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let targets = cloud.targets(&id).await;
        let status = event(target(&targets, "local-1"), "AfterInstall")
            .status()
            .unwrap()
            .as_str()
            .to_owned();
        if status == "InProgress" && process_running("sleep 871.75") {
            break;
        }
        assert!(
            matches!(status.as_str(), "Pending" | "InProgress"),
            "{targets:?}"
        );
        assert!(Instant::now() < deadline, "AfterInstall never started");
        cloud.advance(1000);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cloud
        .client
        .stop_deployment()
        .deployment_id(&id)
        .send()
        .await
        .unwrap();
    cloud.advance(1000);
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Stopped);
    let targets = cloud.targets(&id).await;
    let first = target(&targets, "local-1");
    assert_eq!(deploy_support::target_status(first), "Failed");
    assert_eq!(
        event(first, "AfterInstall").status().unwrap().as_str(),
        "Failed"
    );
    assert_eq!(
        event(first, "BeforeInstall").status().unwrap().as_str(),
        "Succeeded"
    );
    assert_eq!(
        event(first, "ValidateService").status().unwrap().as_str(),
        "Skipped"
    );
    // The script is killed, and the run reports nothing more to a stopped
    // deployment.
    let deadline = Instant::now() + Duration::from_mins(1);
    while process_running("sleep 871.75") {
        assert!(Instant::now() < deadline, "the script still runs");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cloud.advance(60_000);
    assert_eq!(cloud.status(&id).await, DeploymentStatus::Stopped);
    assert_eq!(
        deploy_support::target_status(target(&cloud.targets(&id).await, "local-1")),
        "Failed"
    );
}

/// Whether a process whose command line holds `marker` runs on this
/// machine (the sandbox's processes are visible from outside it).
fn process_running(marker: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline")).is_ok_and(|line| {
            String::from_utf8_lossy(&line)
                .replace('\0', " ")
                .contains(marker)
        })
    })
}
