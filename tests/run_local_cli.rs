//! `deploydesk run-local PATH`: the built binary deploys a bundle on this
//! machine, prints each event as it ends, and exits non-zero with the
//! failing script's log tail.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const DEPLOYDESK: &str = env!("CARGO_BIN_EXE_deploydesk");

fn write_bundle(dir: &Path, hook_script: &str) {
    fs::create_dir_all(dir.join("scripts")).unwrap();
    fs::write(
        dir.join("appspec.yml"),
        "version: 0.0
os: linux
files:
  - source: index.html
    destination: /var/www/html
hooks:
  ValidateService:
    - location: scripts/validate.sh
      timeout: 30
",
    )
    .unwrap();
    fs::write(dir.join("index.html"), "<h1>Hello</h1>\n").unwrap();
    let script = dir.join("scripts/validate.sh");
    fs::write(&script, hook_script).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
}

fn run_local(bundle: &Path, root: &Path, path_var: Option<&str>) -> Output {
    let mut command = Command::new(DEPLOYDESK);
    command
        .arg("run-local")
        .arg(bundle)
        .arg("--root")
        .arg(root)
        .args(["--group", "cli-group"]);
    if let Some(path) = path_var {
        command.env("PATH", path);
    }
    command.output().expect("deploydesk runs")
}

#[test]
fn run_local_prints_each_event_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("app");
    write_bundle(
        &bundle,
        "#!/bin/sh\ngrep -q Hello /var/www/html/index.html && echo \"ok in $DEPLOYMENT_GROUP_NAME\"\n",
    );
    let root = dir.path().join("instance");
    let output = run_local(&bundle, &root, None);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains(" … "))
        .map(|line| line.split(" … ").next().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "ApplicationStop",
            "DownloadBundle",
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService"
        ]
    );
    assert!(stdout.contains("ValidateService … Succeeded ("), "{stdout}");
    assert!(stdout.lines().any(|line| line == "Succeeded"));
    assert!(root.join("var/www/html/index.html").is_file());
    let log = fs::read_dir(root.join("opt/codedeploy-agent/deployment-root/cli-group"))
        .unwrap()
        .flatten()
        .map(|entry| fs::read_to_string(entry.path().join("logs/scripts.log")).unwrap())
        .next()
        .unwrap();
    assert!(log.contains("[stdout]ok in cli-group"), "{log}");
}

#[test]
fn a_failing_hook_exits_non_zero_with_its_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("app");
    write_bundle(&bundle, "#!/bin/sh\necho 'page is wrong' >&2\nexit 7\n");
    let output = run_local(&bundle, &dir.path().join("instance"), None);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("ValidateService … Failed ("), "{stdout}");
    assert!(stderr.contains("errorCode: ScriptFailed"), "{stderr}");
    assert!(
        stderr.contains(
            "message: Script at specified location: scripts/validate.sh failed with exit code 7"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("[stderr]page is wrong"), "{stderr}");
}

#[test]
fn without_bubblewrap_nothing_runs_and_the_message_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("app");
    write_bundle(&bundle, "#!/bin/sh\necho ran > /var/ran\n");
    let empty = dir.path().join("no-programs");
    fs::create_dir_all(&empty).unwrap();
    let root = dir.path().join("instance");
    let output = run_local(&bundle, &root, Some(empty.to_str().unwrap()));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("apt-get install bubblewrap"), "{stderr}");
    assert!(
        !root.exists(),
        "nothing is written before the sandbox is checked"
    );
}

#[test]
fn a_missing_bundle_is_refused_with_what_to_pick() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_local(
        &dir.path().join("absent"),
        &dir.path().join("instance"),
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Nothing exists at"), "{stderr}");
}

/// `bundle` zipped, with each file's mode.
fn zipped(bundle: &Path) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in ["appspec.yml", "index.html", "scripts/validate.sh"] {
        let path = bundle.join(name);
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        writer.start_file(name, options).unwrap();
        writer.write_all(&fs::read(&path).unwrap()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_bundle_in_s3_is_downloaded_from_the_account_asked_for_and_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("app");
    write_bundle(
        &bundle,
        "#!/bin/sh\ngrep -q Hello /var/www/html/index.html && echo \"from $BUNDLE_BUCKET/$BUNDLE_KEY\"\n",
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cloud = runtime
        .block_on(deploydesk::localcloud::LocalCloud::start(
            deploydesk::localcloud::LocalCloudOptions::default(),
        ))
        .unwrap();
    let url = cloud.endpoint_url();
    runtime.block_on(async {
        let session = deploydesk::cloud::Session::local(&url).await;
        session
            .s3
            .create_bucket()
            .bucket("releases")
            .send()
            .await
            .unwrap();
        session
            .s3
            .put_object()
            .bucket("releases")
            .key("web/app-1.zip")
            .body(zipped(&bundle).into())
            .send()
            .await
            .unwrap();
    });
    let root = dir.path().join("instance");
    let output = Command::new(DEPLOYDESK)
        .args(["--endpoint-url", &url, "--region", "us-east-1", "run-local"])
        .arg("s3://releases/web/app-1.zip")
        .arg("--root")
        .arg(&root)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Downloading s3://releases/web/app-1.zip"),
        "{stdout}"
    );
    assert!(stdout.contains("ValidateService … Succeeded"), "{stdout}");
    assert!(root.join("var/www/html/index.html").is_file());
    // The hook was told where its bundle came from.
    let log = fs::read_to_string(
        fs::read_dir(root.join("opt/codedeploy-agent/deployment-root"))
            .unwrap()
            .filter_map(Result::ok)
            .find(|entry| entry.file_name() != "deployment-instructions")
            .map(|group| {
                let deployment = fs::read_dir(group.path())
                    .unwrap()
                    .filter_map(Result::ok)
                    .find(|entry| entry.path().join("logs/scripts.log").is_file())
                    .unwrap();
                deployment.path().join("logs/scripts.log")
            })
            .unwrap(),
    )
    .unwrap();
    assert!(log.contains("from releases/web/app-1.zip"), "{log}");

    // Without an account asked for, the demo account (the default) has
    // no S3 outside the app: the command says what to give.
    let home = dir.path().join("home");
    fs::create_dir_all(&home).unwrap();
    let output = Command::new(DEPLOYDESK)
        .args(["run-local", "s3://releases/web/app-1.zip"])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("give --profile and --region, or --endpoint-url"),
        "{stderr}"
    );
    runtime.block_on(cloud.shutdown());
}
