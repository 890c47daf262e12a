//! The linter's words for the rules the AppSpec reader checks: what is
//! wrong and what to change, for a person fixing the file before an upload
//! (the parser logs the agent's words for the same violations).

use super::LintPlatform;
use crate::domain::appspec::reader::shown;
use crate::domain::appspec::{MAX_HOOK_TIMEOUT_SECONDS, Violation};
use crate::domain::names::closest;

/// What is wrong and what to change, for `violation` in an AppSpec linted
/// for `platform`.
pub(super) fn wording(violation: &Violation, platform: LintPlatform) -> (String, String) {
    let (message, fix): (String, String) = match violation {
        Violation::Empty => (
            "The AppSpec file is empty.".into(),
            "Write at least `version: 0.0` and, for EC2/on-premises, `os: linux` or `os: windows`.".into(),
        ),
        Violation::Syntax { detail, .. } => (
            format!("The AppSpec file is not valid YAML or JSON: {detail}."),
            "Fix the syntax at this line (indent with spaces, not tabs; put a space after each colon).".into(),
        ),
        Violation::NotAMapping(value) => (
            format!(
                "The AppSpec file holds {} instead of a mapping of sections.",
                shown(value)
            ),
            "Start the file with `version: 0.0` and put each section (os, files, hooks, ...) on its own line.".into(),
        ),
        Violation::VersionMissing => (
            "The AppSpec file has no version.".into(),
            "Add `version: 0.0` as the first line.".into(),
        ),
        Violation::Version(yaml_serde::Value::String(text)) if text.trim() == "0.0" => (
            "The version is the text \"0.0\"; the CodeDeploy agent compares it with the number 0.0 and rejects text.".into(),
            "Write `version: 0.0` without quotes.".into(),
        ),
        Violation::Version(value) => (
            format!(
                "The version is {}; the only AppSpec version is 0.0.",
                shown(value)
            ),
            "Write `version: 0.0`.".into(),
        ),
        Violation::OsMissing => (
            "The AppSpec file does not say which operating system it is for.".into(),
            "Add `os: linux` or `os: windows` after the version.".into(),
        ),
        Violation::Os(value) => (
            format!(
                "The os is {}; CodeDeploy supports only linux and windows.",
                shown(value)
            ),
            "Write `os: linux` (Amazon Linux, Ubuntu, RHEL) or `os: windows` (Windows Server).".into(),
        ),
        Violation::FilesNotAList => (
            "The files section is not a list.".into(),
            "Write each file as a list item: `- source: /` then `destination: /path/on/instance` on the next line.".into(),
        ),
        Violation::FileNotAMapping { index } => (
            format!("Files entry {} is not a source and destination.", index + 1),
            "Give it as `- source: <path in the bundle>` with `destination: <absolute path>` below it.".into(),
        ),
        Violation::FileWithoutSource { index } => (
            format!("Files entry {} has no source.", index + 1),
            "Add `source:` with a path in the bundle (`/` for all of it).".into(),
        ),
        Violation::FileWithoutDestination { index } => (
            format!("Files entry {} has no destination.", index + 1),
            "Add `destination:` with the absolute path on the instance the files go to.".into(),
        ),
        Violation::FilePathNotText { index, key } => (
            format!(
                "The {key} of files entry {} is not a single path.",
                index + 1
            ),
            format!("Write one path after `{key}:`, without brackets or braces."),
        ),
        Violation::PermissionsNotAList => (
            "The permissions section is not a list.".into(),
            "Write each permission as a list item starting with `- object: /path/on/instance`.".into(),
        ),
        Violation::PermissionsOnWindows => (
            "Permissions apply only to Linux instances, and this AppSpec is for Windows.".into(),
            "Remove the permissions section, or set `os: linux` if the instances run Linux.".into(),
        ),
        Violation::PermissionNotAMapping { index } => (
            format!("Permission {} is not a mapping.", index + 1),
            "Give it as `- object: /path` with owner, group or mode below it.".into(),
        ),
        Violation::PermissionWithoutObject { index } => (
            format!("Permission {} has no object.", index + 1),
            "Add `object:` with the file or folder on the instance it applies to.".into(),
        ),
        Violation::PermissionSettingNotText { index, key } => (
            format!("The {key} of permission {} is not a single value.", index + 1),
            format!("Write one value after `{key}:`, without brackets or braces."),
        ),
        Violation::HooksNotAMapping => (
            "The hooks section is not a mapping of lifecycle events to scripts.".into(),
            "Write each event on its own line (such as `AfterInstall:`) with its scripts as a list below it.".into(),
        ),
        Violation::HookNotScriptable { hook } => (
            format!("{hook} is run by CodeDeploy itself; it cannot run scripts."),
            format!("Move its scripts to one of: {}.", platform.hook_names().join(", ")),
        ),
        Violation::HookUnknown { hook } => {
            let known = platform.hook_names();
            match closest(hook, &known) {
                Some(meant) => (
                    format!(
                        "{hook} is not a lifecycle event of an EC2/on-premises deployment. Did you mean {meant}?"
                    ),
                    format!("Rename it to {meant}."),
                ),
                None => (
                    format!("{hook} is not a lifecycle event of an EC2/on-premises deployment."),
                    format!("Use one of: {}.", known.join(", ")),
                ),
            }
        }
        Violation::ScriptsNotAList { hook } => (
            format!("The {hook} hook is not a list of scripts."),
            "Write each script as a list item: `- location: scripts/<file>`.".into(),
        ),
        Violation::ScriptNotAMapping { hook, index } => (
            format!("Script {} of the {hook} hook is not a mapping.", index + 1),
            "Write it as `- location: scripts/<file>` with timeout and runas below it.".into(),
        ),
        Violation::ScriptWithoutLocation { hook, index } => (
            format!("Script {} of the {hook} hook has no location.", index + 1),
            "Add `location:` with the script's path in the bundle, such as scripts/start.sh.".into(),
        ),
        Violation::Timeout { value, .. } => (
            format!(
                "The timeout {} is not a whole number of seconds from 1 to {MAX_HOOK_TIMEOUT_SECONDS}.",
                shown(value)
            ),
            format!(
                "Write a timeout from 1 to {MAX_HOOK_TIMEOUT_SECONDS} seconds, or leave it out."
            ),
        ),
        Violation::TimeoutsOverAnHour { hook, total } => (
            format!(
                "The timeouts of the {hook} hook add up to {total} seconds, more than the {MAX_HOOK_TIMEOUT_SECONDS} one lifecycle event may take."
            ),
            format!(
                "Lower the timeouts so that they add up to at most {MAX_HOOK_TIMEOUT_SECONDS} seconds."
            ),
        ),
    };
    (message, fix)
}
