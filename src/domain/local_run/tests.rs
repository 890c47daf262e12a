use std::collections::BTreeSet;

use super::*;
use crate::domain::appspec::parse;

fn spec(text: &str) -> AppSpec {
    parse(text).expect("a valid AppSpec")
}

fn listing(entries: &[(&str, bool)]) -> ArchiveListing {
    entries
        .iter()
        .map(|(path, folder)| (PathBuf::from(path), *folder))
        .collect()
}

fn existing(paths: &[&str]) -> impl Fn(&Path) -> bool {
    let set: BTreeSet<PathBuf> = paths.iter().map(PathBuf::from).collect();
    move |path: &Path| set.contains(path)
}

const WEB: &str =
    "version: 0.0\nos: linux\nfiles:\n  - source: /index.html\n    destination: /var/www/html\n";

#[test]
fn application_stop_runs_the_previous_revisions_scripts() {
    let previous =
        spec("version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: stop_old.sh\n");
    let next = spec(
        "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: stop_new.sh\n  BeforeInstall:\n    - location: before.sh\n",
    );
    let events = plan(&next, Some(&previous));
    let order: Vec<LifecycleEvent> = events.iter().map(|planned| planned.event).collect();
    assert_eq!(order, events_for(InstanceRole::InPlace, false));
    assert_eq!(events[0].scripts[0].location, "stop_old.sh");
    assert!(events[0].from_previous);
    assert_eq!(events[2].scripts[0].location, "before.sh");
    // A first deployment has nothing to stop.
    assert!(plan(&next, None)[0].scripts.is_empty());
}

#[test]
fn a_file_source_goes_into_its_destination_folder_making_missing_folders() {
    let steps = plan_install(
        &spec(WEB),
        &listing(&[("index.html", false)]),
        FileExistsBehavior::Disallow,
        &existing(&["var"]),
    )
    .unwrap();
    assert_eq!(
        steps,
        [
            InstallStep::Mkdir("var/www".into()),
            InstallStep::Mkdir("var/www/html".into()),
            InstallStep::Copy {
                source: "index.html".into(),
                destination: "var/www/html/index.html".into()
            },
        ]
    );
    assert_eq!(
        cleanup_text(&steps),
        "/var/www\n/var/www/html\n/var/www/html/index.html\n"
    );
}

#[test]
fn a_folder_source_copies_its_contents_recursively() {
    let text = "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /opt/app\n";
    let steps = plan_install(
        &spec(text),
        &listing(&[
            ("app", true),
            ("app/run.sh", false),
            ("app/lib", true),
            ("app/lib/a.py", false),
            ("other.txt", false),
        ]),
        FileExistsBehavior::Disallow,
        &existing(&["opt"]),
    )
    .unwrap();
    let targets: Vec<String> = steps
        .iter()
        .map(|step| instance_absolute(step.target()))
        .collect();
    assert_eq!(
        targets,
        [
            "/opt/app",
            "/opt/app/lib",
            "/opt/app/lib/a.py",
            "/opt/app/run.sh"
        ]
    );
}

#[test]
fn each_file_exists_behavior_treats_a_file_in_the_way_as_the_agent_does() {
    let archive = listing(&[("index.html", false)]);
    let there = existing(&["var", "var/www", "var/www/html", "var/www/html/index.html"]);
    let disallow = plan_install(&spec(WEB), &archive, FileExistsBehavior::Disallow, &there);
    assert_eq!(
        disallow.unwrap_err().to_string(),
        "The deployment failed because a specified file already exists at this location: /var/www/html/index.html"
    );
    let overwrite =
        plan_install(&spec(WEB), &archive, FileExistsBehavior::Overwrite, &there).unwrap();
    assert_eq!(
        overwrite,
        [InstallStep::Copy {
            source: "index.html".into(),
            destination: "var/www/html/index.html".into()
        }]
    );
    // RETAIN keeps the file and leaves it out of the cleanup list.
    let retain = plan_install(&spec(WEB), &archive, FileExistsBehavior::Retain, &there).unwrap();
    assert!(retain.is_empty());
    assert_eq!(cleanup_text(&retain), "");
}

#[test]
fn behaviors_are_read_by_their_api_names() {
    assert_eq!("RETAIN".parse(), Ok(FileExistsBehavior::Retain));
    assert_eq!(FileExistsBehavior::default().name(), "DISALLOW");
    assert!(
        "KEEP"
            .parse::<FileExistsBehavior>()
            .unwrap_err()
            .contains("Valid options include OVERWRITE, RETAIN, and DISALLOW")
    );
}

#[test]
fn the_cleanup_list_is_removed_last_written_first_and_a_cut_line_is_ignored() {
    assert_eq!(
        cleanup_order("/var/www\n/var/www/html\n/var/www/html/index.html\n/var/www/ht"),
        ["/var/www/html/index.html", "/var/www/html", "/var/www"]
    );
    assert!(cleanup_order("").is_empty());
}

#[test]
fn a_destination_that_escapes_the_root_is_refused() {
    let text = "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /var/../../etc\n";
    let error = plan_install(
        &spec(text),
        &listing(&[("index.html", false)]),
        FileExistsBehavior::Overwrite,
        &existing(&[]),
    )
    .unwrap_err();
    assert!(matches!(error, InstallError::Path(PathError::Escapes(_))));
    assert_eq!(
        instance_relative("/a/./b/../c").unwrap(),
        PathBuf::from("a/c")
    );
    assert!(matches!(
        instance_relative("var/www"),
        Err(PathError::NotAbsolute(_))
    ));
}

#[test]
fn a_missing_source_is_named() {
    let error = plan_install(
        &spec(WEB),
        &listing(&[]),
        FileExistsBehavior::Disallow,
        &existing(&[]),
    )
    .unwrap_err();
    assert_eq!(error, InstallError::MissingSource("/index.html".into()));
}

fn steps_under_app() -> Vec<InstallStep> {
    let copy = |path: &str| InstallStep::Copy {
        source: path.into(),
        destination: format!("opt/app/{path}").into(),
    };
    vec![
        InstallStep::Mkdir("opt/app".into()),
        InstallStep::Mkdir("opt/app/bin".into()),
        copy("bin/run.sh"),
        copy("bin/debug.sh"),
        copy("run.sh"),
        copy("notes.txt"),
    ]
}

fn permission(object: &str, pattern: Option<&str>) -> Permission {
    Permission {
        object: object.into(),
        pattern: pattern.map(str::to_owned),
        owner: None,
        group: None,
        mode: Some("755".into()),
    }
}

#[test]
fn a_pattern_matches_direct_children_and_except_leaves_some_out() {
    let steps = steps_under_app();
    let scope = PermissionScope {
        except: vec!["debug*".into()],
        files: true,
        folders: false,
    };
    let targets = permission_targets(&permission("/opt/app/bin", Some("*.sh")), &scope, &steps);
    assert_eq!(targets.unwrap(), [PathBuf::from("opt/app/bin/run.sh")]);
    // `**` reaches everything below, of the types asked for.
    let folders = PermissionScope {
        except: Vec::new(),
        files: false,
        folders: true,
    };
    assert_eq!(
        permission_targets(&permission("/opt", None), &folders, &steps).unwrap(),
        [PathBuf::from("opt/app"), PathBuf::from("opt/app/bin")]
    );
    // A copied file as the object is itself the target.
    assert_eq!(
        permission_targets(
            &permission("/opt/app/notes.txt", None),
            &PermissionScope::default(),
            &steps
        )
        .unwrap(),
        [PathBuf::from("opt/app/notes.txt")]
    );
}

#[test]
fn except_and_type_are_read_from_the_text() {
    let text = "version: 0.0\nos: linux\npermissions:\n  - object: /opt/app\n    pattern: \"*.sh\"\n    except: [debug.sh]\n    mode: 755\n    type:\n      - file\n  - object: /srv\n";
    let scopes = permission_scopes(text);
    assert_eq!(
        scopes,
        [
            PermissionScope {
                except: vec!["debug.sh".into()],
                files: true,
                folders: false
            },
            PermissionScope::default()
        ]
    );
}

#[test]
fn modes_are_octal_numbers() {
    assert_eq!(parse_mode("755"), Some(0o755));
    assert_eq!(parse_mode("0644"), Some(0o644));
    assert_eq!(parse_mode("4755"), Some(0o4755));
    assert_eq!(parse_mode("u+x"), None);
    assert_eq!(parse_mode("888"), None);
}

#[test]
fn hooks_get_the_agents_variables() {
    let identity = RunIdentity {
        deployment_id: "d-ABCDEFGHI".into(),
        application_name: "web".into(),
        deployment_group_name: "staging".into(),
        deployment_group_id: "g-1".into(),
        origin: BundleOrigin::Local,
    };
    let env = hook_environment(LifecycleEvent::AfterInstall, &identity);
    assert_eq!(
        env,
        [
            ("LIFECYCLE_EVENT".to_owned(), "AfterInstall".to_owned()),
            ("DEPLOYMENT_ID".to_owned(), "d-ABCDEFGHI".to_owned()),
            ("APPLICATION_NAME".to_owned(), "web".to_owned()),
            ("DEPLOYMENT_GROUP_NAME".to_owned(), "staging".to_owned()),
            ("DEPLOYMENT_GROUP_ID".to_owned(), "g-1".to_owned()),
        ]
    );
}

#[test]
fn hooks_of_a_bundle_from_s3_or_github_get_its_variables() {
    let mut identity = RunIdentity {
        deployment_id: "d-ABCDEFGHI".into(),
        application_name: "web".into(),
        deployment_group_name: "staging".into(),
        deployment_group_id: "g-1".into(),
        origin: BundleOrigin::S3 {
            bucket: "releases".into(),
            key: "web/app.zip".into(),
            version: None,
            etag: Some("abc123".into()),
        },
    };
    let bundle = |identity: &RunIdentity| -> Vec<(String, String)> {
        hook_environment(LifecycleEvent::BeforeInstall, identity)
            .into_iter()
            .filter(|(name, _)| name.starts_with("BUNDLE_"))
            .collect()
    };
    assert_eq!(
        bundle(&identity),
        [
            ("BUNDLE_BUCKET".to_owned(), "releases".to_owned()),
            ("BUNDLE_KEY".to_owned(), "web/app.zip".to_owned()),
            ("BUNDLE_ETAG".to_owned(), "abc123".to_owned()),
        ]
    );
    identity.origin = BundleOrigin::GitHub {
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
    };
    assert_eq!(
        bundle(&identity),
        [(
            "BUNDLE_COMMIT".to_owned(),
            "0123456789abcdef0123456789abcdef01234567".to_owned()
        )]
    );
}

fn script(runas: Option<&str>) -> HookScript {
    HookScript {
        location: "scripts/start.sh".into(),
        timeout_seconds: 30,
        runas: runas.map(str::to_owned),
    }
}

#[test]
fn diagnostics_read_as_codedeploy_reports_them() {
    let failed = diagnostics(
        &script(Some("root")),
        ScriptEnd::Exited(3),
        "[stderr]boom\n",
    );
    assert_eq!(failed.error_code.to_string(), "ScriptFailed");
    assert_eq!(failed.script_name, "scripts/start.sh");
    assert_eq!(
        failed.message,
        "Script at specified location: scripts/start.sh run as user root failed with exit code 3"
    );
    assert_eq!(failed.log_tail, "[stderr]boom\n");
    let timed_out = diagnostics(&script(None), ScriptEnd::TimedOut, "");
    assert_eq!(timed_out.error_code, ScriptErrorCode::ScriptTimedOut);
    assert_eq!(
        timed_out.message,
        "Script at specified location: scripts/start.sh failed to complete in 30 seconds"
    );
    let unstarted = diagnostics(&script(None), ScriptEnd::NotStarted, "");
    assert_eq!(unstarted.error_code.to_string(), "UnknownError");
    let missing = diagnostics(&script(None), ScriptEnd::Missing, "");
    assert_eq!(missing.error_code, ScriptErrorCode::ScriptMissing);
    assert_eq!(
        missing.message,
        "Script does not exist at specified location: scripts/start.sh"
    );
}

#[test]
fn the_log_tail_is_the_last_four_kilobytes() {
    let log = format!("{}{}", "a".repeat(5000), "é".repeat(10));
    let tail = log_tail(&log);
    assert!(tail.len() <= LOG_TAIL_BYTES);
    assert!(tail.ends_with("ééé"));
    assert_eq!(output_line("stdout", "hi"), "[stdout]hi\n");
}

#[test]
fn the_layout_is_the_agents() {
    let root = DeploymentRoot::of_instance(Path::new("/i"));
    assert_eq!(
        root.archive_dir("g", "d-1"),
        PathBuf::from("/i/opt/codedeploy-agent/deployment-root/g/d-1/deployment-archive")
    );
    assert_eq!(
        root.scripts_log("g", "d-1"),
        PathBuf::from("/i/opt/codedeploy-agent/deployment-root/g/d-1/logs/scripts.log")
    );
    assert_eq!(
        root.cleanup_file("g"),
        PathBuf::from("/i/opt/codedeploy-agent/deployment-root/deployment-instructions/g-cleanup")
    );
}

#[test]
fn pruning_keeps_the_newest_and_the_last_successful() {
    let ids: Vec<String> = (1..=7).map(|n| format!("d-{n}")).collect();
    assert_eq!(to_prune(&ids, MAX_REVISIONS, None), ["d-1", "d-2"]);
    assert_eq!(to_prune(&ids, MAX_REVISIONS, Some("d-1")), ["d-2"]);
    assert!(to_prune(&ids[..3], MAX_REVISIONS, None).is_empty());
}
