use proptest::prelude::*;

use super::*;
use crate::domain::bundle::BundleFile;

/// The sample application's files.
fn bundle() -> BundleFiles {
    BundleFiles::new(
        [
            ("appspec.yml", false),
            ("index.html", false),
            ("scripts/start.sh", true),
            ("scripts/stop.sh", true),
            ("scripts/readme.txt", false),
        ]
        .map(|(path, executable)| BundleFile {
            path: path.to_owned(),
            executable,
        }),
    )
}

const GOOD: &str = "\
version: 0.0
os: linux
files:
  - source: /index.html
    destination: /var/www/html
permissions:
  - object: /var/www/html
    owner: nginx
    mode: 644
    type:
      - file
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 60
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 300
      runas: root
";

fn lint_server(text: &str) -> Vec<Finding> {
    lint(text, LintPlatform::SERVER, &bundle())
}

/// The only finding of `text`, checked for its severity, line and
/// field.
#[track_caller]
fn only(findings: &[Finding], severity: Severity, line: usize, field: &str) -> Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = findings[0].clone();
    assert_eq!(finding.severity, severity, "{finding:#?}");
    assert_eq!(finding.line, Some(line), "{finding:#?}");
    assert_eq!(finding.field, field, "{finding:#?}");
    assert!(!finding.fix.is_empty());
    finding
}

#[test]
fn a_good_appspec_has_no_findings() {
    assert_eq!(lint_server(GOOD), Vec::new());
    assert!(!blocks_upload(&lint_server(GOOD)));
}

#[test]
fn the_sample_app_lints_clean() {
    let text = include_str!("../../../assets/sample-app/appspec.yml");
    let files = BundleFiles::new(
        [
            "index.html",
            "scripts/before_install.sh",
            "scripts/after_install.sh",
            "scripts/application_start.sh",
            "scripts/validate_service.sh",
        ]
        .map(|path| BundleFile {
            path: path.to_owned(),
            executable: path.starts_with("scripts/"),
        }),
    );
    assert_eq!(lint(text, LintPlatform::SERVER, &files), Vec::new());
}

#[test]
fn empty_files_are_errors() {
    let findings = lint_server("  \n");
    assert_eq!(findings[0].message, "The AppSpec file is empty.");
    assert!(blocks_upload(&findings));
}

#[test]
fn broken_yaml_is_an_error_at_its_line() {
    let findings = lint_server("version: 0.0\nos: linux\nhooks:\n  - a\n  b: c\n");
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0]
            .message
            .starts_with("The AppSpec file is not valid YAML")
    );
    assert!(
        findings[0].line.is_some_and(|line| line >= 4),
        "{findings:?}"
    );
}

#[test]
fn a_wrong_version_is_an_error_at_its_line() {
    let text = GOOD.replace("version: 0.0", "version: 1.0");
    let finding = only(&lint_server(&text), Severity::Error, 1, "version");
    assert_eq!(
        finding.message,
        "The version is 1.0; the only AppSpec version is 0.0."
    );
    assert_eq!(finding.fix, "Write `version: 0.0`.");
}

#[test]
fn a_quoted_version_is_an_error() {
    let text = GOOD.replace("version: 0.0", "version: \"0.0\"");
    let finding = only(&lint_server(&text), Severity::Error, 1, "version");
    assert!(finding.message.contains("compares it with the number 0.0"));
    assert_eq!(finding.fix, "Write `version: 0.0` without quotes.");
}

#[test]
fn a_missing_version_is_an_error() {
    let text = GOOD.replace("version: 0.0\n", "");
    let finding = &lint_server(&text)[0];
    assert_eq!(finding.message, "The AppSpec file has no version.");
    assert_eq!(finding.line, None);
}

#[test]
fn an_unknown_os_is_an_error() {
    let text = GOOD.replace("os: linux", "os: macos");
    let finding = only(&lint_server(&text), Severity::Error, 2, "os");
    assert_eq!(
        finding.message,
        "The os is macos; CodeDeploy supports only linux and windows."
    );
}

#[test]
fn a_missing_os_is_an_error() {
    let findings = lint_server("version: 0.0\n");
    assert_eq!(findings.len(), 1);
    assert!(findings[0].fix.contains("`os: linux` or `os: windows`"));
}

#[test]
fn a_files_source_missing_from_the_bundle_is_an_error() {
    let text = GOOD.replace("source: /index.html", "source: /site");
    let finding = only(&lint_server(&text), Severity::Error, 4, "files[0].source");
    assert_eq!(finding.message, "The source /site is not in the bundle.");
}

#[test]
fn a_files_source_that_is_a_folder_of_the_bundle_passes() {
    let text = GOOD.replace("source: /index.html", "source: scripts");
    assert_eq!(lint_server(&text), Vec::new());
    let text = GOOD.replace("source: /index.html", "source: /");
    assert_eq!(lint_server(&text), Vec::new());
}

#[test]
fn a_relative_destination_is_an_error() {
    let text = GOOD.replace("destination: /var/www/html", "destination: var/www");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        5,
        "files[0].destination",
    );
    assert_eq!(
        finding.message,
        "The destination var/www is not an absolute path."
    );
    assert!(finding.fix.contains("starting with /"));
}

#[test]
fn windows_destinations_need_a_drive() {
    let text =
        "version: 0.0\nos: windows\nfiles:\n  - source: index.html\n    destination: /inetpub\n";
    let finding = only(
        &lint_server(text),
        Severity::Error,
        5,
        "files[0].destination",
    );
    assert!(finding.fix.contains("C:\\inetpub"));
    let text = text.replace("/inetpub", "C:\\inetpub\\wwwroot");
    assert_eq!(lint_server(&text), Vec::new());
}

#[test]
fn a_files_entry_without_destination_is_an_error() {
    let text = GOOD.replace("    destination: /var/www/html\n", "");
    let finding = only(&lint_server(&text), Severity::Error, 4, "files[0]");
    assert_eq!(finding.message, "Files entry 1 has no destination.");
}

#[test]
fn permissions_on_windows_are_an_error() {
    let text = GOOD.replace("os: linux", "os: windows");
    let findings: Vec<Finding> = lint_server(&text)
        .into_iter()
        .filter(|finding| finding.field == "permissions")
        .collect();
    let finding = only(&findings, Severity::Error, 6, "permissions");
    assert!(finding.message.contains("only to Linux"));
}

#[test]
fn a_permission_without_object_is_an_error() {
    let text = GOOD.replace("  - object: /var/www/html\n    owner", "  - owner");
    let finding = only(&lint_server(&text), Severity::Error, 7, "permissions[0]");
    assert_eq!(finding.message, "Permission 1 has no object.");
}

#[test]
fn a_mode_that_is_not_octal_is_an_error() {
    let text = GOOD.replace("mode: 644", "mode: rwxr-xr-x");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        9,
        "permissions[0].mode",
    );
    assert_eq!(
        finding.message,
        "The mode rwxr-xr-x is not an octal file mode."
    );
}

#[test]
fn a_permission_type_other_than_file_or_directory_is_an_error() {
    let text = GOOD.replace("      - file", "      - socket");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        10,
        "permissions[0].type",
    );
    assert!(finding.fix.contains("- file"));
}

#[test]
fn an_unknown_permission_setting_is_a_warning() {
    let text = GOOD.replace("owner: nginx", "ownr: nginx");
    let finding = only(
        &lint_server(&text),
        Severity::Warning,
        8,
        "permissions[0].ownr",
    );
    assert!(finding.message.contains("\"ownr\""));
    assert!(
        finding.message.ends_with("Did you mean owner?"),
        "{}",
        finding.message
    );
    assert!(!blocks_upload(&[finding]));
}

#[test]
fn a_misspelt_hook_is_named_with_the_event_meant() {
    let text = GOOD.replace("ApplicationStart:", "AplicationStart:");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        16,
        "hooks.AplicationStart",
    );
    assert_eq!(
        finding.message,
        "AplicationStart is not a lifecycle event of an EC2/on-premises deployment. Did you mean ApplicationStart?"
    );
    assert_eq!(finding.fix, "Rename it to ApplicationStart.");
}

#[test]
fn an_unknown_hook_is_an_error() {
    let text = GOOD.replace("ApplicationStart:", "AppStart:");
    let finding = only(&lint_server(&text), Severity::Error, 16, "hooks.AppStart");
    assert_eq!(
        finding.message,
        "AppStart is not a lifecycle event of an EC2/on-premises deployment."
    );
    assert!(finding.fix.contains("ApplicationStart"));
}

#[test]
fn a_hook_codedeploy_runs_itself_is_an_error() {
    let text = GOOD.replace("ApplicationStart:", "Install:");
    let finding = only(&lint_server(&text), Severity::Error, 16, "hooks.Install");
    assert!(finding.message.contains("run by CodeDeploy itself"));
}

#[test]
fn traffic_hooks_without_a_load_balancer_are_warnings() {
    let text = GOOD.replace("ApplicationStart:", "BeforeAllowTraffic:");
    let platform = LintPlatform::Server {
        style: DeploymentStyle::InPlace,
        load_balancer: false,
    };
    let findings = lint(&text, platform, &bundle());
    let finding = only(&findings, Severity::Warning, 16, "hooks.BeforeAllowTraffic");
    assert_eq!(
        finding.message,
        "The BeforeAllowTraffic hook never runs in an in-place deployment without a load balancer."
    );
    let blue_green = LintPlatform::Server {
        style: DeploymentStyle::BlueGreen,
        load_balancer: true,
    };
    assert_eq!(lint(&text, blue_green, &bundle()), Vec::new());
}

#[test]
fn a_script_missing_from_the_bundle_is_an_error() {
    let text = GOOD.replace("scripts/start.sh", "scripts/begin.sh");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        17,
        "hooks.ApplicationStart[0].location",
    );
    assert_eq!(
        finding.message,
        "The script scripts/begin.sh is not in the bundle."
    );
}

#[test]
fn a_script_missing_from_an_incomplete_list_is_not_reported() {
    let mut files = bundle();
    files.complete = false;
    let text = GOOD.replace("scripts/start.sh", "scripts/begin.sh");
    assert_eq!(lint(&text, LintPlatform::SERVER, &files), Vec::new());
}

#[test]
fn a_script_that_is_not_executable_is_an_error_on_linux_and_a_warning_on_windows() {
    let text = GOOD.replace("scripts/start.sh", "scripts/readme.txt");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        17,
        "hooks.ApplicationStart[0].location",
    );
    assert!(finding.message.contains("is not executable"));
    assert_eq!(
        finding.fix,
        "Make it executable (chmod +x scripts/readme.txt) before bundling."
    );
    let windows =
        "version: 0.0\nos: windows\nhooks:\n  AfterInstall:\n    - location: scripts/readme.txt\n";
    only(
        &lint_server(windows),
        Severity::Warning,
        5,
        "hooks.AfterInstall[0].location",
    );
}

#[test]
fn a_location_that_is_a_folder_is_an_error() {
    let text = GOOD.replace("location: scripts/start.sh", "location: scripts");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        17,
        "hooks.ApplicationStart[0].location",
    );
    assert!(finding.message.contains("is a folder"));
}

#[test]
fn a_script_without_location_is_an_error() {
    let text = GOOD.replace(
        "    - location: scripts/stop.sh\n      timeout: 60",
        "    - timeout: 60",
    );
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        14,
        "hooks.ApplicationStop[0]",
    );
    assert_eq!(
        finding.message,
        "Script 1 of the ApplicationStop hook has no location."
    );
}

#[test]
fn a_timeout_out_of_range_is_an_error() {
    for bad in ["0", "3601", "ten", "-5"] {
        let text = GOOD.replace("timeout: 300", &format!("timeout: {bad}"));
        let finding = only(
            &lint_server(&text),
            Severity::Error,
            18,
            "hooks.ApplicationStart[0].timeout",
        );
        assert_eq!(
            finding.message,
            format!("The timeout {bad} is not a whole number of seconds from 1 to 3600.")
        );
    }
}

#[test]
fn timeouts_adding_up_to_more_than_an_hour_are_an_error() {
    let text = GOOD.replace(
        "      runas: root\n",
        "      runas: root\n    - location: scripts/stop.sh\n      timeout: 3400\n",
    );
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        16,
        "hooks.ApplicationStart",
    );
    assert!(
        finding.message.contains("add up to 3700 seconds"),
        "{finding:?}"
    );
}

#[test]
fn runas_on_windows_is_an_error() {
    let text = "version: 0.0\nos: windows\nhooks:\n  AfterInstall:\n    - location: scripts/start.sh\n      runas: Administrator\n";
    let finding = only(
        &lint_server(text),
        Severity::Error,
        6,
        "hooks.AfterInstall[0].runas",
    );
    assert!(finding.message.contains("only to Linux"));
}

#[test]
fn runas_that_is_not_a_user_is_an_error() {
    let text = GOOD.replace("runas: root", "runas: web user");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        19,
        "hooks.ApplicationStart[0].runas",
    );
    assert_eq!(
        finding.message,
        "runas is web user, which is not a user name."
    );
}

#[test]
fn unknown_script_settings_and_sections_are_warnings() {
    let text = GOOD
        .replace("runas: root", "sudo: true")
        .replace("os: linux", "os: linux\nhook:\n  x: y");
    let findings = lint_server(&text);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(findings[0].field, "hook");
    assert_eq!(findings[0].line, Some(3));
    assert_eq!(findings[1].field, "hooks.ApplicationStart[0].sudo");
    assert_eq!(findings[1].line, Some(21));
    assert!(!blocks_upload(&findings));
}

#[test]
fn file_exists_behavior_must_be_known() {
    let text = GOOD.replace("os: linux", "os: linux\nfile_exists_behavior: REPLACE");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        3,
        "file_exists_behavior",
    );
    assert_eq!(finding.fix, "Use DISALLOW, OVERWRITE or RETAIN.");
}

#[test]
fn an_ecs_appspec_for_a_server_application_is_an_error() {
    let finding = &lint_server(ECS)[0];
    assert_eq!(finding.field, "Resources");
    assert!(finding.message.contains("ECS or Lambda"));
}

const ECS: &str = "\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: arn:aws:ecs:us-east-1:111122223333:task-definition/web:3
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 80
Hooks:
  - BeforeInstall: CheckBeforeInstall
  - AfterAllowTestTraffic: CheckTestTraffic
";

#[test]
fn a_good_ecs_appspec_has_no_findings() {
    assert_eq!(
        lint(ECS, LintPlatform::Ecs, &BundleFiles::default()),
        Vec::new()
    );
}

#[test]
fn ecs_appspecs_need_an_ecs_service() {
    let text = ECS.replace("AWS::ECS::Service", "AWS::Lambda::Function");
    let findings = lint(&text, LintPlatform::Ecs, &BundleFiles::default());
    let finding = only(
        &findings,
        Severity::Error,
        4,
        "Resources[0].TargetService.Type",
    );
    assert!(finding.fix.contains("AWS::ECS::Service"));
}

#[test]
fn ecs_appspecs_need_a_task_definition_and_container() {
    let text = ECS
        .replace(
            "        TaskDefinition: arn:aws:ecs:us-east-1:111122223333:task-definition/web:3\n",
            "",
        )
        .replace("ContainerPort: 80", "ContainerPort: 0");
    let findings = lint(&text, LintPlatform::Ecs, &BundleFiles::default());
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(
        findings[0].message,
        "The resource TargetService names no TaskDefinition."
    );
    assert_eq!(findings[0].line, Some(5));
    assert_eq!(
        findings[1].message,
        "LoadBalancerInfo has no ContainerPort from 1 to 65535."
    );
    assert_eq!(findings[1].line, Some(6));
}

#[test]
fn ecs_hooks_are_only_the_ecs_events() {
    let text = ECS.replace("BeforeInstall:", "ApplicationStart:");
    let findings = lint(&text, LintPlatform::Ecs, &BundleFiles::default());
    let finding = only(&findings, Severity::Error, 11, "Hooks[0]");
    assert_eq!(
        finding.message,
        "ApplicationStart is not a hook of an Amazon ECS deployment."
    );
    assert!(finding.fix.contains("AfterAllowTestTraffic"));
}

#[test]
fn ecs_appspecs_without_resources_are_errors() {
    let findings = lint(
        "version: 0.0\nos: linux\n",
        LintPlatform::Ecs,
        &BundleFiles::default(),
    );
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(findings[0].severity, Severity::Warning);
    assert!(
        findings[0]
            .message
            .contains("belongs to EC2/on-premises AppSpecs")
    );
    assert!(
        findings[1]
            .message
            .starts_with("The AppSpec has no Resources section")
    );
}

const LAMBDA_JSON: &str = r#"{
  "version": 0.0,
  "Resources": [
    {
      "myFunction": {
        "Type": "AWS::Lambda::Function",
        "Properties": {
          "Name": "checkout",
          "Alias": "live",
          "CurrentVersion": "1",
          "TargetVersion": "2"
        }
      }
    }
  ],
  "Hooks": [
    { "BeforeAllowTraffic": "ValidateBefore" },
    { "AfterAllowTraffic": "ValidateAfter" }
  ]
}
"#;

#[test]
fn a_good_lambda_appspec_in_json_has_no_findings() {
    assert_eq!(
        lint(LAMBDA_JSON, LintPlatform::Lambda, &BundleFiles::default()),
        Vec::new()
    );
}

#[test]
fn lambda_appspecs_need_every_version_property() {
    let text = LAMBDA_JSON.replace("          \"Alias\": \"live\",\n", "");
    let findings = lint(&text, LintPlatform::Lambda, &BundleFiles::default());
    let finding = only(
        &findings,
        Severity::Error,
        7,
        "Resources[0].myFunction.Properties",
    );
    assert_eq!(finding.message, "The resource myFunction has no Alias.");
}

#[test]
fn lambda_versions_must_differ() {
    let text = LAMBDA_JSON.replace("\"TargetVersion\": \"2\"", "\"TargetVersion\": \"1\"");
    let findings = lint(&text, LintPlatform::Lambda, &BundleFiles::default());
    let finding = only(
        &findings,
        Severity::Error,
        11,
        "Resources[0].myFunction.Properties.TargetVersion",
    );
    assert!(finding.message.contains("both 1"));
}

#[test]
fn lambda_hooks_are_only_the_traffic_events() {
    let text = LAMBDA_JSON.replace("BeforeAllowTraffic", "BeforeInstall");
    let findings = lint(&text, LintPlatform::Lambda, &BundleFiles::default());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].message,
        "BeforeInstall is not a hook of an AWS Lambda deployment."
    );
    assert_eq!(
        findings[0].fix,
        "Use one of: BeforeAllowTraffic, AfterAllowTraffic."
    );
}

#[test]
fn an_empty_permissions_list_on_windows_passes() {
    // The agent refuses a Windows AppSpec only for the permissions it lists.
    let text = "version: 0.0\nos: windows\npermissions: []\n";
    assert_eq!(lint_server(text), Vec::new());
    assert!(crate::domain::appspec::parse(text).is_ok());
}

#[test]
fn a_files_entry_with_an_empty_source_is_an_error_whatever_the_bundle() {
    let text = GOOD.replace("source: /index.html", "source:");
    for files in [bundle(), BundleFiles::default()] {
        let finding = only(
            &lint(&text, LintPlatform::SERVER, &files),
            Severity::Error,
            4,
            "files[0]",
        );
        assert_eq!(finding.message, "Files entry 1 has no source.");
    }
}

#[test]
fn a_files_path_that_is_a_list_is_an_error_whatever_the_bundle() {
    let text = GOOD.replace("source: /index.html", "source: [/index.html, /app]");
    let finding = only(
        &lint(&text, LintPlatform::SERVER, &BundleFiles::default()),
        Severity::Error,
        4,
        "files[0].source",
    );
    assert_eq!(
        finding.message,
        "The source of files entry 1 is not a single path."
    );
}

#[test]
fn a_permission_owner_that_is_a_list_is_an_error() {
    let text = GOOD.replace("owner: nginx", "owner: [nginx, www]");
    let finding = only(
        &lint_server(&text),
        Severity::Error,
        8,
        "permissions[0].owner",
    );
    assert_eq!(
        finding.message,
        "The owner of permission 1 is not a single value."
    );
}

#[test]
fn a_script_setting_named_by_a_number_is_a_warning() {
    let text = GOOD.replace("runas: root", "runas: root\n      2: x");
    let finding = only(
        &lint_server(&text),
        Severity::Warning,
        20,
        "hooks.ApplicationStart[0].2",
    );
    assert!(
        finding
            .message
            .contains("\"2\" is not a hook script setting")
    );
}

#[test]
fn every_rule_broken_is_reported_not_only_the_first() {
    let text = GOOD
        .replace("version: 0.0", "version: 1.0")
        .replace("timeout: 60", "timeout: 0")
        .replace("    destination: /var/www/html\n", "");
    let fields: Vec<String> = lint_server(&text)
        .into_iter()
        .map(|finding| finding.field)
        .collect();
    assert_eq!(
        fields,
        ["version", "files[0]", "hooks.ApplicationStop[0].timeout"]
    );
}

/// YAML-ish text built from random keys, values and indentation.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("version".to_owned()),
        Just("os".to_owned()),
        Just("files".to_owned()),
        Just("hooks".to_owned()),
        Just("permissions".to_owned()),
        Just("Resources".to_owned()),
        Just("Hooks".to_owned()),
        Just("location".to_owned()),
        Just("timeout".to_owned()),
        Just("runas".to_owned()),
        Just("source".to_owned()),
        Just("destination".to_owned()),
        Just("ApplicationStart".to_owned()),
        Just("Properties".to_owned()),
        "[a-zA-Z\"':{}\\[\\]-]{0,8}",
    ];
    let value = prop_oneof![
        Just(String::new()),
        Just("0.0".to_owned()),
        Just("linux".to_owned()),
        Just("windows".to_owned()),
        Just("3600".to_owned()),
        Just("-1".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("~".to_owned()),
        "\\PC{0,10}",
    ];
    let line = (0_usize..8, any::<bool>(), key, value).prop_map(|(indent, item, key, value)| {
        format!(
            "{}{}{key}: {value}",
            " ".repeat(indent * 2),
            if item { "- " } else { "" }
        )
    });
    proptest::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

fn platforms() -> impl Strategy<Value = LintPlatform> {
    prop_oneof![
        Just(LintPlatform::SERVER),
        Just(LintPlatform::Server {
            style: DeploymentStyle::BlueGreen,
            load_balancer: false
        }),
        Just(LintPlatform::Ecs),
        Just(LintPlatform::Lambda),
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}", platform in platforms()) {
        let findings = lint(&text, platform, &bundle());
        for finding in &findings {
            prop_assert!(finding.line.is_none_or(|line| line >= 1 && line <= text.lines().count().max(1)));
        }
    }

    #[test]
    fn yamlish_structures_never_panic(text in yamlish(), platform in platforms()) {
        let findings = lint(&text, platform, &bundle());
        for finding in &findings {
            prop_assert!(!finding.message.is_empty() && !finding.fix.is_empty());
            prop_assert!(finding.line.is_none_or(|line| line >= 1 && line <= text.lines().count().max(1)));
        }
    }
}
