//! The local runner: bundles deployed on this machine as the CodeDeploy
//! agent deploys them, with every hook run for real inside the sandbox.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use deploydesk::cloud::sample::write_sample;
use deploydesk::domain::lifecycle::LifecycleEvent;
use deploydesk::domain::local_run::{BundleOrigin, FileExistsBehavior, ScriptErrorCode};
use deploydesk::runner::{Cancel, EventStatus, RunReport, RunRequest, run};

/// Writes a bundle folder: its AppSpec and files (scripts executable).
fn bundle(dir: &Path, appspec: &str, files: &[(&str, &str)]) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("appspec.yml"), appspec).unwrap();
    for (path, contents) in files {
        let target = dir.join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(&target, contents).unwrap();
        let script = Path::new(path).extension().is_some_and(|ext| ext == "sh");
        let mode = if script { 0o755 } else { 0o644 };
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).unwrap();
    }
    dir.to_path_buf()
}

fn request(bundle: &Path, instance: &Path) -> RunRequest {
    RunRequest {
        bundle: bundle.to_path_buf(),
        instance_root: instance.to_path_buf(),
        application_name: "web".to_owned(),
        group_name: "staging".to_owned(),
        group_id: "staging-group".to_owned(),
        file_exists_behavior: FileExistsBehavior::Disallow,
        deployment_id: None,
        origin: BundleOrigin::Local,
        ignore_application_stop_failures: false,
        cancel: Cancel::default(),
    }
}

fn deploy(request: &RunRequest) -> RunReport {
    let mut seen = Vec::new();
    let report = run(request, &mut |event| seen.push(event.event)).expect("the run starts");
    let reported: Vec<LifecycleEvent> = report.events.iter().map(|event| event.event).collect();
    assert_eq!(seen, reported, "every event is reported as it ends");
    report
}

fn statuses(report: &RunReport) -> Vec<(&'static str, &'static str)> {
    report
        .events
        .iter()
        .map(|event| (event.event.name(), event.status.name()))
        .collect()
}

const WEB_APPSPEC: &str = "version: 0.0
os: linux
files:
  - source: /index.html
    destination: /var/www/html
hooks:
  BeforeInstall:
    - location: scripts/before.sh
  ValidateService:
    - location: scripts/validate.sh
      timeout: 30
";

fn web_bundle(dir: &Path) -> PathBuf {
    bundle(
        dir,
        WEB_APPSPEC,
        &[
            ("index.html", "<h1>Hello from the bundle</h1>\n"),
            (
                "scripts/before.sh",
                "#!/bin/sh\nset -e\nmkdir -p /var/www/html\n",
            ),
            (
                "scripts/validate.sh",
                "#!/bin/sh\nset -e\ngrep -q 'Hello from the bundle' /var/www/html/index.html\necho validated\n",
            ),
        ],
    )
}

#[test]
fn a_bundle_deploys_and_validate_service_checks_what_install_put_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let report = deploy(&request(&web_bundle(&dir.path().join("app")), &instance));
    assert_eq!(
        statuses(&report),
        [
            ("ApplicationStop", "Succeeded"),
            ("DownloadBundle", "Succeeded"),
            ("BeforeInstall", "Succeeded"),
            ("Install", "Succeeded"),
            ("AfterInstall", "Succeeded"),
            ("ApplicationStart", "Succeeded"),
            ("ValidateService", "Succeeded"),
        ]
    );
    let validate = report.events.last().unwrap().diagnostics.clone().unwrap();
    assert_eq!(validate.error_code, ScriptErrorCode::Success);
    assert!(
        validate.log_tail.ends_with("[stdout]validated\n"),
        "{}",
        validate.log_tail
    );
    assert!(
        fs::read_to_string(instance.join("var/www/html/index.html"))
            .unwrap()
            .contains("Hello")
    );
    // The agent's layout: the revision, its script log, the cleanup list.
    let root = instance.join("opt/codedeploy-agent/deployment-root");
    let deployment = root.join("staging-group").join(&report.deployment_id);
    assert!(deployment.join("deployment-archive/appspec.yml").is_file());
    let log = fs::read_to_string(deployment.join("logs/scripts.log")).unwrap();
    assert!(log.contains(" LifecycleEvent - ValidateService\n"), "{log}");
    assert!(log.contains(" [stdout]validated\n"), "{log}");
    assert_eq!(
        fs::read_to_string(root.join("deployment-instructions/staging-group-cleanup")).unwrap(),
        "/var/www/html/index.html\n"
    );
}

#[test]
fn the_sample_application_deploys_and_validates_the_page_it_installed() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let sample = write_sample(dir.path()).unwrap();
    let report = deploy(&request(&sample, &instance));
    // Its scripts make the folder, install the page and set its mode...
    let page = instance.join("var/www/html/index.html");
    assert!(fs::read_to_string(&page).unwrap().contains("DeployDesk"));
    assert_eq!(
        fs::metadata(&page).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // ...find no web server to restart in the sandbox, and ValidateService
    // checks the page Install put in place.
    assert!(report.succeeded(), "{:?}", statuses(&report));
    let start = report.events[5].diagnostics.clone().unwrap();
    assert!(
        start.log_tail.contains("[stdout]No web server runs here"),
        "{}",
        start.log_tail
    );
    let validate = report.events[6].diagnostics.clone().unwrap();
    assert_eq!(validate.error_code, ScriptErrorCode::Success);
    assert!(
        validate.log_tail.contains("[stdout]The page is in place."),
        "{}",
        validate.log_tail
    );
    // A page that is not the sample's fails ValidateService with its real
    // exit code.
    fs::write(sample.join("index.html"), "<p>someone else's page</p>").unwrap();
    let report = deploy(&RunRequest {
        file_exists_behavior: FileExistsBehavior::Overwrite,
        ..request(&sample, &instance)
    });
    let failure = report.failure().unwrap().diagnostics.clone().unwrap();
    assert_eq!(failure.error_code, ScriptErrorCode::ScriptFailed);
    assert_eq!(failure.script_name, "scripts/validate_service.sh");
    assert!(
        failure.message.ends_with("failed with exit code 1"),
        "{}",
        failure.message
    );
}

fn write_tar(folder: &Path, out: &Path, gzip: bool) {
    let file = fs::File::create(out).unwrap();
    if gzip {
        let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut builder = tar::Builder::new(encoder);
        builder.append_dir_all(".", folder).unwrap();
        builder.into_inner().unwrap().finish().unwrap();
    } else {
        let mut builder = tar::Builder::new(file);
        builder.append_dir_all(".", folder).unwrap();
        builder.finish().unwrap();
    }
}

#[test]
fn zip_tar_and_tar_gz_bundles_deploy_like_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = web_bundle(&dir.path().join("app"));
    let zip = dir.path().join("app.zip");
    deploydesk::cloud::bundle::write_zip(&folder, &zip).unwrap();
    let tar = dir.path().join("app.tar");
    write_tar(&folder, &tar, false);
    let tgz = dir.path().join("app.tar.gz");
    write_tar(&folder, &tgz, true);
    for archive in [zip, tar, tgz] {
        let instance = dir.path().join(format!(
            "instance-{}",
            archive.file_name().unwrap().to_string_lossy()
        ));
        let report = deploy(&request(&archive, &instance));
        assert!(
            report.succeeded(),
            "{}: {:?}",
            archive.display(),
            report.failure()
        );
        assert!(instance.join("var/www/html/index.html").is_file());
        let kept = instance
            .join("opt/codedeploy-agent/deployment-root/staging-group")
            .join(&report.deployment_id)
            .join("bundle.tar");
        assert_eq!(fs::read(&kept).unwrap(), fs::read(&archive).unwrap());
    }
}

fn with_behavior(bundle: &Path, instance: &Path, behavior: FileExistsBehavior) -> RunRequest {
    RunRequest {
        file_exists_behavior: behavior,
        ..request(bundle, instance)
    }
}

#[test]
fn a_file_not_written_by_the_last_install_is_refused_overwritten_or_retained() {
    let dir = tempfile::tempdir().unwrap();
    let app = web_bundle(&dir.path().join("app"));
    let mut pages = Vec::new();
    for behavior in [
        FileExistsBehavior::Disallow,
        FileExistsBehavior::Overwrite,
        FileExistsBehavior::Retain,
    ] {
        let instance = dir.path().join(behavior.name());
        let page = instance.join("var/www/html/index.html");
        fs::create_dir_all(page.parent().unwrap()).unwrap();
        fs::write(&page, "<h1>Hello from the bundle, put here by hand</h1>\n").unwrap();
        let report = deploy(&with_behavior(&app, &instance, behavior));
        pages.push((report, fs::read_to_string(&page).unwrap()));
    }
    let (disallow, kept) = &pages[0];
    let install = &disallow.events[3];
    assert_eq!(install.status, EventStatus::Failed);
    assert_eq!(
        install.message.as_deref(),
        Some(
            "The deployment failed because a specified file already exists at this location: /var/www/html/index.html"
        )
    );
    assert!(kept.contains("by hand"));
    let (overwrite, replaced) = &pages[1];
    assert!(overwrite.succeeded());
    assert_eq!(replaced, "<h1>Hello from the bundle</h1>\n");
    let (retain, retained) = &pages[2];
    assert!(retain.succeeded());
    assert!(retained.contains("by hand"));
}

#[test]
fn the_cleanup_list_removes_what_the_last_install_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let two_files =
        "version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /srv/site\n";
    let first = bundle(
        &dir.path().join("v1"),
        two_files,
        &[("site/a.txt", "one"), ("site/old/b.txt", "old")],
    );
    assert!(deploy(&request(&first, &instance)).succeeded());
    assert!(instance.join("srv/site/old/b.txt").is_file());
    // A file the scripts or a person left is not in the list.
    fs::write(instance.join("srv/site/notes.txt"), "mine").unwrap();
    let second = bundle(&dir.path().join("v2"), two_files, &[("site/a.txt", "two")]);
    // DISALLOW does not refuse a.txt: the last install wrote it.
    let report = deploy(&request(&second, &instance));
    assert!(report.succeeded(), "{:?}", report.failure());
    assert_eq!(
        fs::read_to_string(instance.join("srv/site/a.txt")).unwrap(),
        "two"
    );
    assert!(!instance.join("srv/site/old").exists());
    assert_eq!(
        fs::read_to_string(instance.join("srv/site/notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn permissions_set_modes_by_object_pattern_except_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let appspec = "version: 0.0
os: linux
files:
  - source: app
    destination: /opt/app
permissions:
  - object: /opt/app/bin
    pattern: \"*.sh\"
    except: [debug.sh]
    mode: 750
    type:
      - file
  - object: /opt/app
    pattern: \"**\"
    mode: \"0711\"
    type:
      - directory
  - object: /opt/app/notes.txt
    owner: nobody
    mode: 600
";
    let app = bundle(
        &dir.path().join("app"),
        appspec,
        &[
            ("app/bin/run.sh", "#!/bin/sh\n"),
            ("app/bin/debug.sh", "#!/bin/sh\n"),
            ("app/notes.txt", "notes"),
        ],
    );
    let report = deploy(&request(&app, &instance));
    assert!(report.succeeded(), "{:?}", report.failure());
    let mode = |path: &str| {
        fs::metadata(instance.join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("opt/app/bin/run.sh"), 0o750);
    assert_eq!(mode("opt/app/bin/debug.sh"), 0o755);
    assert_eq!(mode("opt/app/bin"), 0o711);
    assert_eq!(mode("opt/app/notes.txt"), 0o600);
    let owner = fs::metadata(instance.join("opt/app/notes.txt"))
        .unwrap()
        .uid();
    let install = &report.events[3];
    if fs::metadata("/proc/self").unwrap().uid() == 0 {
        assert_eq!(owner, 65534, "root gives the file to nobody");
    } else {
        assert!(
            install
                .notes
                .iter()
                .any(|note| note.contains("only root may")),
            "{:?}",
            install.notes
        );
    }
}

#[test]
fn a_destination_that_escapes_the_instance_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let appspec =
        "version: 0.0\nos: linux\nfiles:\n  - source: a.txt\n    destination: /../../escaped\n";
    let app = bundle(&dir.path().join("app"), appspec, &[("a.txt", "x")]);
    let report = deploy(&request(&app, &instance));
    let install = report.failure().unwrap();
    assert_eq!(install.event, LifecycleEvent::Install);
    assert!(install.message.as_deref().unwrap().contains("goes above /"));
    assert!(!dir.path().join("escaped").exists());
}

fn one_hook(dir: &Path, event: &str, script: &str, timeout: u32) -> PathBuf {
    let appspec = format!(
        "version: 0.0\nos: linux\nhooks:\n  {event}:\n    - location: scripts/hook.sh\n      timeout: {timeout}\n"
    );
    bundle(dir, &appspec, &[("scripts/hook.sh", script)])
}

#[test]
fn a_failing_hook_gives_script_failed_with_its_output_as_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let app = one_hook(
        &dir.path().join("app"),
        "AfterInstall",
        "#!/bin/sh\necho before failing\necho oops >&2\nexit 3\n",
        60,
    );
    let report = deploy(&request(&app, &dir.path().join("instance")));
    assert_eq!(
        statuses(&report)[4..],
        [
            ("AfterInstall", "Failed"),
            ("ApplicationStart", "Skipped"),
            ("ValidateService", "Skipped")
        ]
    );
    let diagnostics = report.failure().unwrap().diagnostics.clone().unwrap();
    assert_eq!(diagnostics.error_code, ScriptErrorCode::ScriptFailed);
    assert_eq!(diagnostics.script_name, "scripts/hook.sh");
    assert_eq!(
        diagnostics.message,
        "Script at specified location: scripts/hook.sh failed with exit code 3"
    );
    assert!(
        diagnostics
            .log_tail
            .starts_with("LifecycleEvent - AfterInstall\nScript - scripts/hook.sh\n"),
        "{}",
        diagnostics.log_tail
    );
    assert!(diagnostics.log_tail.contains("[stdout]before failing\n"));
    assert!(diagnostics.log_tail.contains("[stderr]oops\n"));
}

#[test]
fn the_log_tail_is_the_last_four_kilobytes_of_a_long_output() {
    let dir = tempfile::tempdir().unwrap();
    let app = one_hook(
        &dir.path().join("app"),
        "BeforeInstall",
        "#!/bin/sh\ni=0\nwhile [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done\nexit 1\n",
        60,
    );
    let report = deploy(&request(&app, &dir.path().join("instance")));
    let tail = report
        .failure()
        .unwrap()
        .diagnostics
        .clone()
        .unwrap()
        .log_tail;
    assert!(tail.len() <= 4096 && tail.len() > 4000, "{}", tail.len());
    assert!(tail.ends_with("[stdout]line 499\n"));
    assert!(!tail.contains("[stdout]line 0\n"));
}

#[test]
fn a_hook_past_its_timeout_is_killed_with_everything_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let app = one_hook(
        &dir.path().join("app"),
        "ApplicationStart",
        "#!/bin/sh\n(sleep 5; echo late > /var/late) &\necho started\nsleep 30\n",
        1,
    );
    let report = deploy(&request(&app, &instance));
    let failed = report.failure().unwrap();
    assert_eq!(failed.event, LifecycleEvent::ApplicationStart);
    let diagnostics = failed.diagnostics.clone().unwrap();
    assert_eq!(diagnostics.error_code, ScriptErrorCode::ScriptTimedOut);
    assert_eq!(
        diagnostics.message,
        "Script at specified location: scripts/hook.sh failed to complete in 1 seconds"
    );
    assert!(diagnostics.log_tail.contains("[stdout]started\n"));
    // The background job died with the sandbox: its pipe is closed, which
    // is why the run returned, and it never writes.
    assert!(!instance.join("var/late").exists());
}

/// Whether a process whose command line holds `marker` runs on this
/// machine (the sandbox's processes are visible from outside it).
fn process_running(marker: &str) -> bool {
    fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        fs::read(entry.path().join("cmdline")).is_ok_and(|line| {
            String::from_utf8_lossy(&line)
                .replace('\0', " ")
                .contains(marker)
        })
    })
}

#[test]
fn a_stopped_run_kills_its_script_and_starts_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let appspec = "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: scripts/long.sh\n      timeout: 900\n  ApplicationStart:\n    - location: scripts/start.sh\n";
    let app = bundle(
        &dir.path().join("app"),
        appspec,
        &[
            (
                "scripts/long.sh",
                "#!/bin/sh\necho warming > /var/warming\nsleep 873.25\necho warm > /var/warm\n",
            ),
            (
                "scripts/start.sh",
                "#!/bin/sh\necho started > /var/started\n",
            ),
        ],
    );
    let request = request(&app, &instance);
    let cancel = request.cancel.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(run(&request, &mut |_| {}));
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    while !instance.join("var/warming").exists() || !process_running("sleep 873.25") {
        assert!(
            Instant::now() < deadline,
            "AfterInstall's script never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    cancel.cancel();
    let report = receiver
        .recv_timeout(Duration::from_mins(1))
        .expect("a stopped run returns")
        .unwrap();
    assert_eq!(
        statuses(&report)[4..],
        [
            ("AfterInstall", "Failed"),
            ("ApplicationStart", "Skipped"),
            ("ValidateService", "Skipped"),
        ]
    );
    let diagnostics = report.failure().unwrap().diagnostics.clone().unwrap();
    assert_eq!(diagnostics.error_code, ScriptErrorCode::UnknownError);
    assert_eq!(
        diagnostics.message,
        "The deployment was stopped while the script at specified location: scripts/long.sh was running"
    );
    assert!(!process_running("sleep 873.25"), "the script was killed");
    assert!(!instance.join("var/warm").exists());
    assert!(!instance.join("var/started").exists());
}

#[test]
fn a_run_stopped_before_it_starts_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let app = one_hook(
        &dir.path().join("app"),
        "BeforeInstall",
        "#!/bin/sh\necho ran > /var/ran\n",
        5,
    );
    let request = request(&app, &instance);
    request.cancel.cancel();
    let report = deploy(&request);
    assert_eq!(statuses(&report)[0], ("ApplicationStop", "Failed"));
    assert!(
        report.events[1..]
            .iter()
            .all(|event| event.status == EventStatus::Skipped)
    );
    assert_eq!(
        report.failure().unwrap().message.as_deref(),
        Some("The deployment was stopped before this lifecycle event started.")
    );
    assert!(!instance.join("var/ran").exists());
}

#[test]
fn a_server_started_by_application_start_runs_for_validate_service_and_ends_with_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let appspec = "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 20\n  ValidateService:\n    - location: scripts/validate.sh\n      timeout: 20\n";
    let app = bundle(
        &dir.path().join("app"),
        appspec,
        &[
            (
                "scripts/start.sh",
                "#!/bin/sh\nsh -c 'while :; do date +%s%N > /var/beat; sleep 0.05; done' beat-4417 >/dev/null 2>&1 &\necho started\n",
            ),
            (
                "scripts/validate.sh",
                "#!/bin/sh\nsleep 0.3\nfirst=$(cat /var/beat)\nsleep 0.3\n[ \"$first\" != \"$(cat /var/beat)\" ] && echo 'the server is up'\n",
            ),
        ],
    );
    let report = deploy(&request(&app, &instance));
    assert!(report.succeeded(), "{report:?}");
    let validate = report
        .events
        .iter()
        .find(|event| event.event == LifecycleEvent::ValidateService)
        .unwrap();
    assert!(
        validate
            .diagnostics
            .as_ref()
            .unwrap()
            .log_tail
            .contains("[stdout]the server is up\n"),
        "{validate:?}"
    );
    // The server ended with the run: nothing runs and the beat stops.
    assert!(!process_running("beat-4417"));
    let beat = fs::read_to_string(instance.join("var/beat")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fs::read_to_string(instance.join("var/beat")).unwrap(), beat);
}

#[test]
fn a_background_process_holding_the_hooks_output_holds_the_hook_until_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let app = one_hook(
        &dir.path().join("app"),
        "ApplicationStart",
        "#!/bin/sh\nsleep 652.5 &\necho started\nexit 0\n",
        2,
    );
    let report = deploy(&request(&app, &instance));
    let failed = report.failure().unwrap();
    assert_eq!(failed.event, LifecycleEvent::ApplicationStart);
    let diagnostics = failed.diagnostics.clone().unwrap();
    assert_eq!(diagnostics.error_code, ScriptErrorCode::ScriptTimedOut);
    assert!(diagnostics.log_tail.contains("[stdout]started\n"));
    assert!(!process_running("sleep 652.5"));
}

#[test]
fn a_script_missing_from_the_revision_is_script_missing() {
    let dir = tempfile::tempdir().unwrap();
    let appspec =
        "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: scripts/absent.sh\n";
    let app = bundle(&dir.path().join("app"), appspec, &[]);
    let report = deploy(&request(&app, &dir.path().join("instance")));
    let diagnostics = report.failure().unwrap().diagnostics.clone().unwrap();
    assert_eq!(diagnostics.error_code, ScriptErrorCode::ScriptMissing);
    assert_eq!(
        diagnostics.message,
        "Script does not exist at specified location: scripts/absent.sh"
    );
}

#[test]
fn the_previous_revisions_application_stop_runs_on_the_next_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let stop =
        |name: &str| format!("#!/bin/sh\necho \"$DEPLOYMENT_ID\" > /var/stopped-by-{name}\n");
    let appspec =
        "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n";
    let first = bundle(
        &dir.path().join("v1"),
        appspec,
        &[("scripts/stop.sh", &stop("v1"))],
    );
    let second = bundle(
        &dir.path().join("v2"),
        appspec,
        &[("scripts/stop.sh", &stop("v2"))],
    );
    let report = deploy(&request(&first, &instance));
    assert!(report.succeeded());
    // A first deployment has nothing to stop.
    assert!(!instance.join("var/stopped-by-v1").exists());
    let next = deploy(&request(&second, &instance));
    assert!(next.succeeded(), "{:?}", next.failure());
    assert_eq!(
        fs::read_to_string(instance.join("var/stopped-by-v1"))
            .unwrap()
            .trim(),
        next.deployment_id
    );
    assert!(!instance.join("var/stopped-by-v2").exists());
    // As the agent does, its output is in the first deployment's log.
    let log = |id: &str| {
        fs::read_to_string(instance.join(format!(
            "opt/codedeploy-agent/deployment-root/staging-group/{id}/logs/scripts.log"
        )))
        .unwrap_or_default()
    };
    assert!(log(&report.deployment_id).contains("LifecycleEvent - ApplicationStop"));
    assert!(!log(&next.deployment_id).contains("LifecycleEvent - ApplicationStop"));
    // Another group has its own history.
    let other = RunRequest {
        group_id: "other-group".to_owned(),
        ..request(&first, &instance)
    };
    fs::remove_file(instance.join("var/stopped-by-v1")).unwrap();
    assert!(deploy(&other).succeeded());
    assert!(!instance.join("var/stopped-by-v1").exists());
}

#[test]
fn a_failing_application_stop_stops_the_next_deployment_unless_it_ignores_it() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let appspec =
        "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: scripts/stop.sh\n";
    let broken = bundle(
        &dir.path().join("v1"),
        appspec,
        &[(
            "scripts/stop.sh",
            "#!/bin/sh\necho 'the service is not there' >&2\nexit 4\n",
        )],
    );
    assert!(deploy(&request(&broken, &instance)).succeeded());
    // The next deployment runs v1's ApplicationStop, which fails...
    let next = deploy(&request(&broken, &instance));
    assert_eq!(
        statuses(&next)[..2],
        [("ApplicationStop", "Failed"), ("DownloadBundle", "Skipped")]
    );
    // ...unless it ignores ApplicationStop failures: the failure is noted
    // and the deployment goes on.
    let ignoring = deploy(&RunRequest {
        ignore_application_stop_failures: true,
        ..request(&broken, &instance)
    });
    assert!(ignoring.succeeded(), "{:?}", statuses(&ignoring));
    let stop = &ignoring.events[0];
    assert!(
        stop.notes
            .iter()
            .any(|note| note.contains("ignores its failures")),
        "{:?}",
        stop.notes
    );
    assert!(
        stop.diagnostics
            .as_ref()
            .is_some_and(|diagnostics| diagnostics.log_tail.contains("the service is not there"))
    );
}

#[test]
fn old_deployments_are_pruned_to_the_agents_five() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let app = bundle(&dir.path().join("app"), "version: 0.0\nos: linux\n", &[]);
    let ids: Vec<String> = (0..7)
        .map(|_| deploy(&request(&app, &instance)).deployment_id)
        .collect();
    let group = instance.join("opt/codedeploy-agent/deployment-root/staging-group");
    let kept = fs::read_dir(&group).unwrap().count();
    assert_eq!(kept, 5);
    assert!(group.join(&ids[6]).is_dir());
}

#[test]
fn hooks_get_the_agents_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let app = one_hook(
        &dir.path().join("app"),
        "AfterInstall",
        "#!/bin/sh\nenv | grep -E '^(LIFECYCLE_EVENT|DEPLOYMENT_ID|APPLICATION_NAME|DEPLOYMENT_GROUP_NAME|DEPLOYMENT_GROUP_ID)=' | sort > /var/env.txt\n",
        60,
    );
    let report = deploy(&request(&app, &instance));
    assert!(report.succeeded());
    let env = fs::read_to_string(instance.join("var/env.txt")).unwrap();
    assert_eq!(
        env,
        format!(
            "APPLICATION_NAME=web\nDEPLOYMENT_GROUP_ID=staging-group\nDEPLOYMENT_GROUP_NAME=staging\nDEPLOYMENT_ID={}\nLIFECYCLE_EVENT=AfterInstall\n",
            report.deployment_id
        )
    );
}

#[test]
fn a_script_writing_to_etc_or_home_changes_nothing_outside_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let name = format!(
        "deploydesk-runner-{}",
        dir.path().file_name().unwrap().to_string_lossy()
    );
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    let script = format!(
        "#!/bin/sh
echo etc > /etc/{name}
echo home > \"$HOME/{name}\"
echo usr > /usr/{name} 2>/dev/null || echo usr-refused
echo host > {outside}/{name} 2>/dev/null || echo outside-refused
echo hosts >> /etc/hosts 2>/dev/null || echo hosts-refused
exit 0
",
        outside = outside.display()
    );
    let app = one_hook(&dir.path().join("app"), "BeforeInstall", &script, 60);
    let report = deploy(&request(&app, &instance));
    assert!(report.succeeded(), "{:?}", report.failure());
    // The writes landed inside the instance...
    assert_eq!(
        fs::read_to_string(instance.join("etc").join(&name)).unwrap(),
        "etc\n"
    );
    assert_eq!(
        fs::read_to_string(instance.join("root").join(&name)).unwrap(),
        "home\n"
    );
    // ...and nowhere else.
    assert!(!Path::new("/etc").join(&name).exists());
    assert!(!Path::new("/usr").join(&name).exists());
    assert!(!outside.join(&name).exists());
    if let Some(home) = std::env::var_os("HOME") {
        assert!(!Path::new(&home).join(&name).exists());
    }
    let tail = report.events[2].diagnostics.clone().unwrap().log_tail;
    assert!(tail.contains("[stdout]usr-refused\n"), "{tail}");
    assert!(tail.contains("[stdout]hosts-refused\n"), "{tail}");
}

#[test]
fn install_never_follows_a_link_a_script_made_out_of_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let instance = dir.path().join("instance");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    // Inside the sandbox the link is harmless; seen from this machine it
    // points out of the instance, so Install refuses to write through it.
    let appspec = "version: 0.0
os: linux
files:
  - source: /index.html
    destination: /var/www/html
hooks:
  BeforeInstall:
    - location: scripts/link.sh
";
    let script = format!("#!/bin/sh\nln -s {} /var/www\n", outside.display());
    let app = bundle(
        &dir.path().join("app"),
        appspec,
        &[("index.html", "page"), ("scripts/link.sh", &script)],
    );
    let report = deploy(&request(&app, &instance));
    let install = report.failure().unwrap();
    assert_eq!(install.event, LifecycleEvent::Install);
    assert!(
        install
            .message
            .as_deref()
            .unwrap()
            .contains("leads outside the instance through a link"),
        "{:?}",
        install.message
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
}
