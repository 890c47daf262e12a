//! The rules an EC2/on-premises AppSpec can break that make the CodeDeploy
//! agent refuse it. The reader finds them ([`super::reader`]); the parser
//! turns the first one into an [`AppSpecError`](super::AppSpecError) in the
//! agent's words ([`Violation::agent_message`]), and the linter reports
//! every one of them as an error in its own words.

use yaml_serde::Value;

use super::AppSpecProblem;
use super::MAX_HOOK_TIMEOUT_SECONDS;
use super::position::{Step, line_of};
use super::reader::scalar_text;

/// A rule of the AppSpec that the text breaks, with what is needed to
/// place it and to say it.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// The text is empty or only white space.
    Empty,
    /// The text is not YAML (or JSON).
    Syntax {
        /// What the YAML library says is wrong.
        detail: String,
        /// The 1-based line it points at, when it gives one (it may point
        /// just past the last line).
        line: Option<usize>,
    },
    /// The text holds something other than a mapping of sections
    /// (`Value::Null` when it holds nothing but comments).
    NotAMapping(Value),
    /// There is no `version`.
    VersionMissing,
    /// `version` is not the number 0.0.
    Version(Value),
    /// There is no `os`.
    OsMissing,
    /// `os` is neither `linux` nor `windows`.
    Os(Value),
    /// `files` is not a list.
    FilesNotAList,
    /// A `files` entry is not a mapping.
    FileNotAMapping {
        /// The entry's index, from 0.
        index: usize,
    },
    /// A `files` entry has no source.
    FileWithoutSource {
        /// The entry's index, from 0.
        index: usize,
    },
    /// A `files` entry has no destination.
    FileWithoutDestination {
        /// The entry's index, from 0.
        index: usize,
    },
    /// A `files` entry's source or destination is a list or a mapping.
    FilePathNotText {
        /// The entry's index, from 0.
        index: usize,
        /// `source` or `destination`.
        key: &'static str,
    },
    /// `permissions` is not a list.
    PermissionsNotAList,
    /// The AppSpec is for Windows and lists permissions.
    PermissionsOnWindows,
    /// A `permissions` entry is not a mapping.
    PermissionNotAMapping {
        /// The entry's index, from 0.
        index: usize,
    },
    /// A `permissions` entry has no object.
    PermissionWithoutObject {
        /// The entry's index, from 0.
        index: usize,
    },
    /// A permission's pattern, owner or group is a list or a mapping.
    PermissionSettingNotText {
        /// The entry's index, from 0.
        index: usize,
        /// `pattern`, `owner` or `group`.
        key: &'static str,
    },
    /// `hooks` is not a mapping of events to scripts.
    HooksNotAMapping,
    /// A hook names an event that CodeDeploy or the agent runs itself.
    HookNotScriptable {
        /// The hook's name.
        hook: String,
    },
    /// A hook names no lifecycle event at all.
    HookUnknown {
        /// The hook's name.
        hook: String,
    },
    /// A hook's value is not a list of scripts.
    ScriptsNotAList {
        /// The hook's name.
        hook: String,
    },
    /// A hook script is not a mapping.
    ScriptNotAMapping {
        /// The hook's name.
        hook: String,
        /// The script's index, from 0.
        index: usize,
    },
    /// A hook script has no location.
    ScriptWithoutLocation {
        /// The hook's name.
        hook: String,
        /// The script's index, from 0.
        index: usize,
    },
    /// A hook script's timeout is not a whole number of seconds from 1 to
    /// 3600.
    Timeout {
        /// The hook's name.
        hook: String,
        /// The script's index, from 0.
        index: usize,
        /// The timeout as written.
        value: Value,
    },
    /// The timeouts written for one hook's scripts add up to more than
    /// 3600 seconds.
    TimeoutsOverAnHour {
        /// The hook's name.
        hook: String,
        /// Their sum, in seconds.
        total: u64,
    },
}

impl Violation {
    /// The entry the violation is about, as a path of keys and list items
    /// (empty for the file as a whole).
    pub fn path(&self) -> Vec<Step<'_>> {
        use Step::{Index, Key};
        match self {
            Self::Empty
            | Self::Syntax { .. }
            | Self::NotAMapping(_)
            | Self::VersionMissing
            | Self::OsMissing => Vec::new(),
            Self::Version(_) => vec![Key("version")],
            Self::Os(_) => vec![Key("os")],
            Self::FilesNotAList => vec![Key("files")],
            Self::FileNotAMapping { index }
            | Self::FileWithoutSource { index }
            | Self::FileWithoutDestination { index } => vec![Key("files"), Index(*index)],
            Self::FilePathNotText { index, key } => vec![Key("files"), Index(*index), Key(key)],
            Self::PermissionsNotAList | Self::PermissionsOnWindows => vec![Key("permissions")],
            Self::PermissionNotAMapping { index } | Self::PermissionWithoutObject { index } => {
                vec![Key("permissions"), Index(*index)]
            }
            Self::PermissionSettingNotText { index, key } => {
                vec![Key("permissions"), Index(*index), Key(key)]
            }
            Self::HooksNotAMapping => vec![Key("hooks")],
            Self::HookNotScriptable { hook }
            | Self::HookUnknown { hook }
            | Self::ScriptsNotAList { hook }
            | Self::TimeoutsOverAnHour { hook, .. } => vec![Key("hooks"), Key(hook)],
            Self::ScriptNotAMapping { hook, index }
            | Self::ScriptWithoutLocation { hook, index } => {
                vec![Key("hooks"), Key(hook), Index(*index)]
            }
            Self::Timeout { hook, index, .. } => {
                vec![Key("hooks"), Key(hook), Index(*index), Key("timeout")]
            }
        }
    }

    /// The 1-based line of `text` the violation is on, when it can be
    /// placed.
    pub fn line(&self, text: &str) -> Option<usize> {
        match self {
            Self::Syntax { line, .. } => *line,
            _ => line_of(text, &self.path()),
        }
    }

    /// What kind of problem it is.
    pub fn problem(&self) -> AppSpecProblem {
        match self {
            Self::Empty | Self::NotAMapping(Value::Null) => AppSpecProblem::Empty,
            Self::Syntax { .. }
            | Self::NotAMapping(_)
            | Self::FilesNotAList
            | Self::FileNotAMapping { .. }
            | Self::FilePathNotText { .. }
            | Self::PermissionsNotAList
            | Self::PermissionNotAMapping { .. }
            | Self::PermissionSettingNotText { .. }
            | Self::HooksNotAMapping
            | Self::ScriptsNotAList { .. }
            | Self::ScriptNotAMapping { .. } => AppSpecProblem::Syntax,
            Self::VersionMissing | Self::Version(_) => AppSpecProblem::Version,
            Self::OsMissing | Self::Os(_) => AppSpecProblem::Os,
            Self::FileWithoutSource { .. } | Self::FileWithoutDestination { .. } => {
                AppSpecProblem::Files
            }
            Self::PermissionsOnWindows | Self::PermissionWithoutObject { .. } => {
                AppSpecProblem::Permissions
            }
            Self::HookNotScriptable { hook } | Self::HookUnknown { hook } => {
                AppSpecProblem::UnknownHook(hook.clone())
            }
            Self::ScriptWithoutLocation { .. } => AppSpecProblem::MissingLocation,
            Self::Timeout { .. } | Self::TimeoutsOverAnHour { .. } => AppSpecProblem::Timeout,
        }
    }

    /// The message the CodeDeploy agent logs for it, in the agent's words
    /// where the agent has some.
    pub fn agent_message(&self) -> String {
        let written = |value: &Value| scalar_text(value).unwrap_or_default();
        match self {
            Self::Empty | Self::NotAMapping(Value::Null) => "The deployment failed because the application specification file was empty. Make sure your AppSpec file defines at minimum the 'version' and 'os' properties.".to_owned(),
            Self::Syntax { detail, .. } => not_an_appspec(detail),
            Self::NotAMapping(_) => not_an_appspec("it does not hold a mapping of sections"),
            Self::VersionMissing => invalid_version(""),
            Self::Version(value) => invalid_version(&written(value)),
            Self::OsMissing => unsupported_os(""),
            Self::Os(value) => unsupported_os(&written(value)),
            Self::FilesNotAList | Self::FileNotAMapping { .. } => not_an_appspec("the files section must be a list of mappings, each with a source and a destination"),
            Self::FilePathNotText { index, key } => not_an_appspec(&format!("the {key} of files entry {} is not a path", index + 1)),
            Self::FileWithoutSource { .. } => "The deployment failed because the application specification file specifies a destination file, but no source file. Update the files section of the AppSpec file, and then try again.".to_owned(),
            Self::FileWithoutDestination { .. } => "The deployment failed because the application specification file specifies a source file, but no destination file. Update the files section of the AppSpec file, and then try again.".to_owned(),
            Self::PermissionsNotAList | Self::PermissionNotAMapping { .. } => not_an_appspec("the permissions section must be a list of mappings, each with an object"),
            Self::PermissionSettingNotText { index, key } => not_an_appspec(&format!("the {key} of permission {} is not text", index + 1)),
            Self::PermissionsOnWindows => "The deployment failed because the application specification file specifies file permissions, but the deployment is targeting one or more Windows Server instances. Permissions are supported only for Amazon Linux, Ubuntu Server, and Red Hat Enterprise Linux (RHEL) instances. Update the permissions section of the AppSpec file, and then try again.".to_owned(),
            Self::PermissionWithoutObject { .. } => "The deployment failed because a permission listed in the application specification file has no object value. Update the permissions section of the AppSpec file, and then try again.".to_owned(),
            Self::HooksNotAMapping => not_an_appspec("the hooks section must map lifecycle events to lists of scripts"),
            Self::HookNotScriptable { hook } | Self::HookUnknown { hook } => format!(
                "The deployment failed because the application specification file has a hook for \"{hook}\", which is not a lifecycle event that runs scripts on an EC2/on-premises instance. Use ApplicationStop, BeforeInstall, AfterInstall, ApplicationStart, ValidateService, BeforeBlockTraffic, AfterBlockTraffic, BeforeAllowTraffic or AfterAllowTraffic in the hooks section of the AppSpec file, and then try again."
            ),
            Self::ScriptsNotAList { hook } | Self::ScriptNotAMapping { hook, .. } => format!(
                "The {hook} hook of the application specification file must be a list of scripts, each with a location. Fix the file, and then try again."
            ),
            Self::ScriptWithoutLocation { .. } => "The deployment failed because the application specification file specifies a script with no location value. Specify the location in the hooks section of the AppSpec file, and then try again.".to_owned(),
            Self::Timeout { value, .. } => format!(
                "The deployment failed because an invalid timeout value ({}) was provided for a script in the application specification file. Give each script a timeout from 1 to {MAX_HOOK_TIMEOUT_SECONDS} seconds in the hooks section of the AppSpec file, and then try again.",
                scalar_text(value).unwrap_or_else(|| "not a number".to_owned())
            ),
            Self::TimeoutsOverAnHour { hook, total } => format!(
                "The deployment failed because the scripts of the {hook} hook have timeouts adding up to {total} seconds, more than the {MAX_HOOK_TIMEOUT_SECONDS} seconds one lifecycle event may take. Lower their timeouts in the hooks section of the AppSpec file, and then try again."
            ),
        }
    }
}

/// The agent's message for a version other than 0.0, written as `shown`.
fn invalid_version(shown: &str) -> String {
    format!(
        "The deployment failed because an invalid version value ({shown}) was entered in the application specification file. Make sure your AppSpec file specifies \"0.0\" as the version, and then try again."
    )
}

/// The agent's message for an os other than linux or windows, written as
/// `shown`.
fn unsupported_os(shown: &str) -> String {
    format!(
        "The deployment failed because the application specification file specifies an unsupported operating system ({shown}). Specify either \"linux\" or \"windows\" in the os section of the AppSpec file, and then try again."
    )
}

/// The agent's message for a file that cannot be read as an AppSpec, with
/// what is wrong.
fn not_an_appspec(detail: &str) -> String {
    format!(
        "The application specification file is not valid YAML for an AppSpec: {detail}. Fix the file, and then try again."
    )
}
