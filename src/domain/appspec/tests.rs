use super::*;

const SAMPLE: &str = "\
version: 0.0
os: linux
files:
  - source: /
    destination: /var/www/html
permissions:
  - object: /var/www/html
    owner: root
    mode: 644
hooks:
  BeforeInstall:
    - location: scripts/install_dependencies.sh
      timeout: 300
      runas: root
  AfterInstall:
    - location: scripts/configure.sh
    - location: scripts/migrate.sh
      timeout: \"120\"
  ApplicationStart:
    - location: scripts/start_server.sh
      timeout: 300
";

#[test]
fn a_full_appspec_parses_with_its_hooks_in_order() {
    let spec = parse(SAMPLE).unwrap();
    assert_eq!(spec.os, Os::Linux);
    assert_eq!(
        spec.files,
        [FileMapping {
            source: "/".to_owned(),
            destination: "/var/www/html".to_owned()
        }]
    );
    assert_eq!(spec.permissions[0].mode.as_deref(), Some("644"));
    let events: Vec<LifecycleEvent> = spec.hooks.iter().map(|hook| hook.event).collect();
    assert_eq!(
        events,
        [
            LifecycleEvent::BeforeInstall,
            LifecycleEvent::AfterInstall,
            LifecycleEvent::ApplicationStart
        ]
    );
    let after = spec.scripts_for(LifecycleEvent::AfterInstall);
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].timeout_seconds, 3600);
    assert_eq!(after[1].timeout_seconds, 120);
    assert_eq!(
        spec.scripts_for(LifecycleEvent::BeforeInstall)[0]
            .runas
            .as_deref(),
        Some("root")
    );
    assert!(spec.scripts_for(LifecycleEvent::ValidateService).is_empty());
    assert_eq!(
        script_locations(&spec)[&LifecycleEvent::ApplicationStart],
        ["scripts/start_server.sh"]
    );
}

#[test]
fn a_minimal_appspec_has_no_hooks() {
    let spec = parse("version: 0.0\nos: windows\n").unwrap();
    assert_eq!(spec.os, Os::Windows);
    assert!(spec.hooks.is_empty());
}

#[test]
fn the_version_must_be_the_number_zero() {
    let error = parse("version: 1.0\nos: linux\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Version);
    assert!(error.message.contains("invalid version value (1.0)"));
    let error = parse("version: \"0.0\"\nos: linux\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Version);
    assert!(parse("version: 0\nos: linux\n").is_ok());
}

#[test]
fn the_os_must_be_linux_or_windows() {
    let error = parse("version: 0.0\nos: macos\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Os);
    assert!(
        error
            .message
            .contains("unsupported operating system (macos)")
    );
}

#[test]
fn empty_files_say_what_is_needed() {
    for text in ["", "   \n", "# only a comment\n"] {
        let error = parse(text).unwrap_err();
        assert_eq!(error.problem, AppSpecProblem::Empty, "{text:?}");
    }
}

#[test]
fn yaml_errors_carry_their_line() {
    let error = parse("version: 0.0\nos: linux\nhooks:\n  BeforeInstall: [\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Syntax);
    assert!(error.line.is_some_and(|line| line >= 4), "{error:?}");
}

#[test]
fn hooks_must_name_scriptable_events() {
    let error = parse("version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: a.sh\n")
        .unwrap_err();
    assert_eq!(
        error.problem,
        AppSpecProblem::UnknownHook("AfterInstal".to_owned())
    );
    let error =
        parse("version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: a.sh\n").unwrap_err();
    assert_eq!(
        error.problem,
        AppSpecProblem::UnknownHook("Install".to_owned())
    );
}

#[test]
fn hook_scripts_need_a_location() {
    let error =
        parse("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 30\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::MissingLocation);
    assert!(error.message.contains("script with no location value"));
}

#[test]
fn timeouts_stay_within_an_hour_per_event() {
    let error = parse(
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: 3601\n",
    )
    .unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Timeout);
    assert!(error.message.contains("(3601)"));
    let error = parse(
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: 2000\n    - location: b.sh\n      timeout: 2000\n",
    )
    .unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Timeout);
    assert!(error.message.contains("4000 seconds"));
    let error = parse(
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: soon\n",
    )
    .unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Timeout);
}

#[test]
fn files_and_permissions_are_checked() {
    let error = parse("version: 0.0\nos: linux\nfiles:\n  - destination: /opt\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Files);
    let error = parse("version: 0.0\nos: linux\npermissions:\n  - owner: root\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Permissions);
    let error =
        parse("version: 0.0\nos: windows\npermissions:\n  - object: C:\\app\n").unwrap_err();
    assert!(error.message.contains("Windows Server"));
}

#[test]
fn errors_carry_the_line_of_what_is_wrong() {
    let error = parse(
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: 3601\n",
    )
    .unwrap_err();
    assert_eq!(error.line, Some(6));
    let error = parse("version: 0.0\nos: linux\nfiles:\n  - source: /\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Files);
    assert_eq!(error.line, Some(4));
    let error = parse("os: linux\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Version);
    assert_eq!(error.line, None);
}

#[test]
fn the_first_error_is_the_one_the_agent_checks_first() {
    // The agent reads the version, the os, the hooks, the files and then
    // the permissions, whatever order the file has them in.
    let text = "files:\n  - source: /\nhooks:\n  AfterInstal:\n    - location: a.sh\nversion: 0.0\nos: linux\n";
    let error = parse(text).unwrap_err();
    assert_eq!(
        error.problem,
        AppSpecProblem::UnknownHook("AfterInstal".to_owned())
    );
    let error = parse(&text.replace("version: 0.0", "version: 2")).unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Version);
}

#[test]
fn an_empty_permissions_list_on_windows_parses() {
    let spec = parse("version: 0.0\nos: windows\npermissions: []\n").unwrap();
    assert!(spec.permissions.is_empty());
}

#[test]
fn script_settings_the_agent_does_not_know_are_ignored() {
    let spec = parse(
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      sudo: true\n      2: x\n",
    )
    .unwrap();
    assert_eq!(
        spec.scripts_for(LifecycleEvent::AfterInstall)[0].location,
        "a.sh"
    );
}

#[test]
fn file_paths_and_permission_settings_are_text() {
    let spec = parse(
        "version: 0.0\nos: linux\nfiles:\n  - source: 5\n    destination: /opt\npermissions:\n  - object: /opt\n    owner: 1000\n",
    )
    .unwrap();
    assert_eq!(spec.files[0].source, "5");
    assert_eq!(spec.permissions[0].owner.as_deref(), Some("1000"));
    for text in [
        "version: 0.0\nos: linux\nfiles:\n  - source: [a, b]\n    destination: /opt\n",
        "version: 0.0\nos: linux\npermissions:\n  - object: /opt\n    owner: [root]\n",
    ] {
        assert_eq!(
            parse(text).unwrap_err().problem,
            AppSpecProblem::Syntax,
            "{text}"
        );
    }
}

#[test]
fn an_empty_document_and_a_document_that_is_not_a_mapping_are_refused() {
    assert_eq!(parse("~\n").unwrap_err().problem, AppSpecProblem::Empty);
    let error = parse("- version: 0.0\n").unwrap_err();
    assert_eq!(error.problem, AppSpecProblem::Syntax);
    assert!(error.message.contains("mapping of sections"));
}
