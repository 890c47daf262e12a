//! The linter's walk of an EC2/on-premises AppSpec, section by section as
//! the file reads. The AppSpec reader gives each entry or the rule it
//! breaks (reported as errors); here are the checks only the linter makes:
//! files and scripts against the bundle, absolute destinations, modes and
//! types, `runas`, hooks that never run for the platform, and settings the
//! agent ignores.

use yaml_serde::Mapping;

use super::{BundleFiles, Linter, Step};
use crate::domain::appspec::Os;
use crate::domain::appspec::Violation;
use crate::domain::appspec::reader::{
    Read, WrittenFile, WrittenHook, WrittenPermission, WrittenScript, read_server, scalar_text,
    shown,
};
use crate::domain::names::closest;

/// The top-level sections of an EC2/on-premises AppSpec.
const SERVER_SECTIONS: [&str; 6] = [
    "version",
    "os",
    "files",
    "permissions",
    "hooks",
    "file_exists_behavior",
];

/// The keys a `permissions` entry may have.
const PERMISSION_KEYS: [&str; 9] = [
    "object", "pattern", "except", "owner", "group", "mode", "acls", "context", "type",
];

/// The keys a hook script may have.
const SCRIPT_KEYS: [&str; 3] = ["location", "timeout", "runas"];

/// Lints an EC2/on-premises AppSpec from its top-level mapping.
pub(super) fn lint(linter: &mut Linter<'_>, root: &Mapping, files: &BundleFiles) {
    if root.get("Resources").is_some() {
        linter.error(
            &[Step::Key("Resources")],
            "This AppSpec has a Resources section, so it is for an ECS or Lambda application, not for EC2/on-premises instances.",
            "Pick an EC2/on-premises AppSpec (with os, files and hooks), or deploy this one to an ECS or Lambda application.",
        );
        return;
    }
    let written = read_server(root);
    let os = linter.read(&written.os).copied();
    for (key, _) in root {
        let name = shown(key);
        if !SERVER_SECTIONS.contains(&name.as_str()) {
            linter.warning(
                &[Step::Key(&name)],
                format!(
                    "\"{name}\" is not an AppSpec section; the agent ignores it.{}",
                    did_you_mean(&name, &SERVER_SECTIONS)
                ),
                format!(
                    "Remove it, or correct its spelling to one of: {}.",
                    SERVER_SECTIONS.join(", ")
                ),
            );
        }
    }
    if let Some(behavior) = root.get("file_exists_behavior") {
        let text = shown(behavior);
        if !["DISALLOW", "OVERWRITE", "RETAIN"].contains(&text.as_str()) {
            linter.error(
                &[Step::Key("file_exists_behavior")],
                format!("file_exists_behavior is {text}, which the agent does not know."),
                "Use DISALLOW, OVERWRITE or RETAIN.",
            );
        }
    }
    lint_files(linter, &written.files, os, files);
    lint_permissions(linter, &written.permissions);
    lint_hooks(linter, &written.hooks, os, files);
}

/// Whether `destination` is an absolute path on `os`.
fn is_absolute(destination: &str, os: Option<Os>) -> bool {
    let unix = destination.starts_with('/');
    let mut chars = destination.chars();
    let windows = matches!(
        (chars.next(), chars.next(), chars.next()),
        (Some(drive), Some(':'), Some('\\' | '/')) if drive.is_ascii_alphabetic()
    );
    match os {
        Some(Os::Linux) => unix,
        Some(Os::Windows) => windows,
        None => unix || windows,
    }
}

/// The `files` section: each entry's source in the bundle, each destination
/// absolute.
fn lint_files(
    linter: &mut Linter<'_>,
    section: &Read<Vec<Read<WrittenFile>>>,
    os: Option<Os>,
    files: &BundleFiles,
) {
    let Some(entries) = linter.read(section) else {
        return;
    };
    for (index, entry) in entries.iter().enumerate() {
        let Some(entry) = linter.read(entry) else {
            continue;
        };
        if let Some(source) = linter.read(&entry.source)
            && files.contains(source) == Some(false)
        {
            linter.error(
                &[Step::Key("files"), Step::Index(index), Step::Key("source")],
                format!("The source {source} is not in the bundle."),
                "Correct the path (it is relative to the bundle's root), or add the file or folder to the bundle.",
            );
        }
        if let Some(destination) = linter.read(&entry.destination)
            && !is_absolute(destination, os)
        {
            linter.error(
                &[
                    Step::Key("files"),
                    Step::Index(index),
                    Step::Key("destination"),
                ],
                format!("The destination {destination} is not an absolute path."),
                if os == Some(Os::Windows) {
                    "Write a full Windows path with its drive, such as C:\\inetpub\\wwwroot."
                } else {
                    "Write a full path starting with /, such as /var/www/html."
                },
            );
        }
    }
}

/// The `permissions` section: each entry with an object, an octal mode and
/// known types.
fn lint_permissions(linter: &mut Linter<'_>, section: &Read<Vec<Read<WrittenPermission>>>) {
    let Some(entries) = linter.read(section) else {
        return;
    };
    for (index, entry) in entries.iter().enumerate() {
        let Some(entry) = linter.read(entry) else {
            continue;
        };
        // The agent takes an empty object; the linter asks for one that
        // names something.
        if linter.read(&entry.object).is_some_and(String::is_empty) {
            linter.violation(&Violation::PermissionWithoutObject { index });
        }
        for setting in [&entry.pattern, &entry.owner, &entry.group] {
            linter.read(setting);
        }
        let field = |key| [Step::Key("permissions"), Step::Index(index), Step::Key(key)];
        for key in &entry.settings {
            if !PERMISSION_KEYS.contains(&key.as_str()) {
                linter.warning(
                    &[Step::Key("permissions"), Step::Index(index), Step::Key(key)],
                    format!(
                        "\"{key}\" is not a permissions setting; the agent ignores it.{}",
                        did_you_mean(key, &PERMISSION_KEYS)
                    ),
                    format!("Use one of: {}.", PERMISSION_KEYS.join(", ")),
                );
            }
        }
        if let Some(mode) = &entry.mode {
            let text = shown(mode);
            let octal =
                (3..=4).contains(&text.len()) && text.chars().all(|c| ('0'..='7').contains(&c));
            if !octal {
                linter.error(
                    &field("mode"),
                    format!("The mode {text} is not an octal file mode."),
                    "Write three or four octal digits, such as 644 or 0755.",
                );
            }
        }
        if let Some(kinds) = &entry.kinds {
            let valid = kinds.as_sequence().is_some_and(|kinds| {
                kinds
                    .iter()
                    .all(|kind| matches!(kind.as_str(), Some("file" | "directory")))
            });
            if !valid {
                linter.error(
                    &field("type"),
                    "The type of a permission must be a list of file and/or directory.",
                    "Write `type:` followed by `- file` and/or `- directory`.",
                );
            }
        }
    }
}

/// The `hooks` section: each hook's event, scripts and total timeout.
fn lint_hooks(
    linter: &mut Linter<'_>,
    section: &Read<Vec<WrittenHook>>,
    os: Option<Os>,
    files: &BundleFiles,
) {
    let Some(hooks) = linter.read(section) else {
        return;
    };
    let platform = linter.platform;
    let runs = platform.server_events();
    for hook in hooks {
        let name = hook.name.as_str();
        let hook_path = [Step::Key("hooks"), Step::Key(name)];
        if let Some(event) = linter.read(&hook.event)
            && !runs.contains(event)
        {
            linter.warning(
                &hook_path,
                format!("The {name} hook never runs in {}.", platform.label()),
                format!(
                    "Remove it, or move its scripts to a hook that runs: {}.",
                    platform.hook_names().join(", ")
                ),
            );
        }
        match linter.read(&hook.scripts) {
            None => {}
            Some(None) => linter.warning(
                &hook_path,
                format!("The {name} hook lists no scripts."),
                "Add `- location: scripts/<file>` below it, or remove the hook.",
            ),
            Some(Some(scripts)) => {
                for (index, script) in scripts.iter().enumerate() {
                    if let Some(script) = linter.read(script) {
                        lint_script(linter, name, index, script, os, files);
                    }
                }
            }
        }
        linter.read(&hook.total_timeout);
    }
}

/// One script of the hook `name`: its location, timeout, runas and
/// settings.
fn lint_script(
    linter: &mut Linter<'_>,
    name: &str,
    index: usize,
    script: &WrittenScript,
    os: Option<Os>,
    files: &BundleFiles,
) {
    let field = |key| {
        [
            Step::Key("hooks"),
            Step::Key(name),
            Step::Index(index),
            Step::Key(key),
        ]
    };
    if let Some(location) = linter.read(&script.location) {
        lint_location(linter, &field("location"), location, os, files);
    }
    if let Some(timeout) = &script.timeout {
        linter.read(timeout);
    }
    if let Some(runas) = &script.runas {
        if os == Some(Os::Windows) {
            linter.error(
                &field("runas"),
                "runas applies only to Linux instances; Windows runs scripts as the agent's user.",
                "Remove runas, or set `os: linux` if the instances run Linux.",
            );
        } else if scalar_text(runas)
            .is_none_or(|user| user.is_empty() || user.contains(char::is_whitespace))
        {
            linter.error(
                &field("runas"),
                format!("runas is {}, which is not a user name.", shown(runas)),
                "Write the name of a user on the instance, such as root or ec2-user.",
            );
        }
    }
    for key in &script.settings {
        if !SCRIPT_KEYS.contains(&key.as_str()) {
            linter.warning(
                &[
                    Step::Key("hooks"),
                    Step::Key(name),
                    Step::Index(index),
                    Step::Key(key),
                ],
                format!(
                    "\"{key}\" is not a hook script setting; the agent ignores it.{}",
                    did_you_mean(key, &["location", "timeout", "runas"])
                ),
                "Use location, timeout and runas only.",
            );
        }
    }
}

/// A hook script's `location`: a file of the bundle with an execute bit.
fn lint_location(
    linter: &mut Linter<'_>,
    path: &[Step<'_>],
    location: &str,
    os: Option<Os>,
    files: &BundleFiles,
) {
    if let Some(file) = files.file(location) {
        if file.executable {
            return;
        }
        if os == Some(Os::Windows) {
            linter.warning(
                path,
                format!("The script {location} is not marked executable."),
                "Windows ignores this, but set its execute bit (chmod +x) if it may run on Linux too.",
            );
        } else {
            linter.error(
                path,
                format!("The script {location} is not executable, so the agent cannot run it."),
                format!("Make it executable (chmod +x {location}) before bundling."),
            );
        }
    } else if files.contains(location) == Some(true) {
        linter.error(
            path,
            format!("The location {location} is a folder, not a script."),
            "Point location at the script file inside it.",
        );
    } else if files.complete {
        linter.error(
            path,
            format!("The script {location} is not in the bundle."),
            "Correct the path (it is relative to the bundle's root), or add the script to the bundle.",
        );
    }
}

/// " Did you mean X?" when `typed` is a near miss of a word of `known`;
/// empty otherwise.
fn did_you_mean(typed: &str, known: &[&str]) -> String {
    closest(typed, known).map_or_else(String::new, |meant| format!(" Did you mean {meant}?"))
}
