//! The AppSpec file of an EC2/on-premises revision (`appspec.yml`): which
//! files go where, their permissions, and the scripts each lifecycle event
//! runs.
//!
//! [`parse`] reads the YAML with `yaml_serde` and checks the structure the
//! CodeDeploy agent checks, failing with the message the agent logs. Every
//! problem is an [`AppSpecError`] with a [`AppSpecProblem`] kind and, where
//! the YAML library reports one, a line number, so that a linter can build
//! on the same types.

use std::collections::BTreeMap;

use serde::Deserialize;
use yaml_serde::Value;

use super::lifecycle::LifecycleEvent;

/// The longest a hook's scripts may run, in seconds: each script's timeout
/// and the sum of an event's timeouts must stay within it.
pub const MAX_HOOK_TIMEOUT_SECONDS: u32 = 3600;

/// The operating system an AppSpec is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// `os: linux`.
    Linux,
    /// `os: windows`.
    Windows,
}

/// A `files` entry: what is copied where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    /// The path in the revision (`/` for all of it).
    pub source: String,
    /// Where on the instance it goes.
    pub destination: String,
}

/// A `permissions` entry (Linux only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The file or directory on the instance.
    pub object: String,
    /// A glob of the files it applies to.
    pub pattern: Option<String>,
    /// The owner to set.
    pub owner: Option<String>,
    /// The group to set.
    pub group: Option<String>,
    /// The mode to set, e.g. `755`.
    pub mode: Option<String>,
}

/// One script a hook runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookScript {
    /// Its path in the revision, e.g. `scripts/start_server.sh`.
    pub location: String,
    /// How long it may run, in seconds (3600 when not given, as the agent
    /// does).
    pub timeout_seconds: u32,
    /// The user it runs as (Linux only).
    pub runas: Option<String>,
}

/// The scripts of one lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The event.
    pub event: LifecycleEvent,
    /// Its scripts, in the order they run.
    pub scripts: Vec<HookScript>,
}

/// A parsed, structurally valid AppSpec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// The operating system.
    pub os: Os,
    /// The `files` section.
    pub files: Vec<FileMapping>,
    /// The `permissions` section.
    pub permissions: Vec<Permission>,
    /// The `hooks` section, in the file's order.
    pub hooks: Vec<Hook>,
}

impl AppSpec {
    /// The scripts `event` runs; empty when it has no hook.
    pub fn scripts_for(&self, event: LifecycleEvent) -> &[HookScript] {
        self.hooks
            .iter()
            .find(|hook| hook.event == event)
            .map_or(&[], |hook| hook.scripts.as_slice())
    }
}

/// What is wrong with an AppSpec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSpecProblem {
    /// The text is not YAML, or a section has the wrong shape.
    Syntax,
    /// The file is empty.
    Empty,
    /// `version` is not `0.0`.
    Version,
    /// `os` is not `linux` or `windows`.
    Os,
    /// A `files` entry lacks its source or destination.
    Files,
    /// A `permissions` entry lacks its object, or the os is Windows.
    Permissions,
    /// A hook names no lifecycle event the agent can run scripts in.
    UnknownHook(String),
    /// A hook script has no `location`.
    MissingLocation,
    /// A hook script's timeout is not a whole number of seconds from 1 to
    /// 3600, or an event's timeouts add up to more than 3600.
    Timeout,
}

/// An invalid AppSpec: the problem, the message the agent would log, and
/// the line it is on when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AppSpecError {
    /// What kind of problem it is.
    pub problem: AppSpecProblem,
    /// The message, in the agent's words where the agent has some.
    pub message: String,
    /// The 1-based line of the problem, when the YAML library knows it.
    pub line: Option<usize>,
}

impl AppSpecError {
    /// An error without a known line.
    fn new(problem: AppSpecProblem, message: impl Into<String>) -> Self {
        Self {
            problem,
            message: message.into(),
            line: None,
        }
    }
}

/// A hook script as written.
#[derive(Debug, Deserialize)]
struct RawScript {
    location: Option<Value>,
    timeout: Option<Value>,
    runas: Option<Value>,
}

/// A `files` entry as written.
#[derive(Debug, Deserialize)]
struct RawFile {
    source: Option<String>,
    destination: Option<String>,
}

/// A `permissions` entry as written.
#[derive(Debug, Deserialize)]
struct RawPermission {
    object: Option<Value>,
    pattern: Option<String>,
    owner: Option<String>,
    group: Option<String>,
    mode: Option<Value>,
}

/// The file as written. The hooks keep the file's order because
/// `yaml_serde::Mapping` does.
#[derive(Debug, Deserialize)]
struct RawAppSpec {
    version: Option<Value>,
    os: Option<Value>,
    files: Option<Vec<RawFile>>,
    permissions: Option<Vec<RawPermission>>,
    hooks: Option<yaml_serde::Mapping>,
}

/// A scalar as text, as the agent's `to_s` gives it.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Reads a script's timeout: a whole number of seconds (a number or a
/// numeric string), 3600 when not given.
fn timeout_of(value: Option<&Value>) -> Result<u32, AppSpecError> {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return Ok(MAX_HOOK_TIMEOUT_SECONDS);
    };
    let seconds = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    match seconds.and_then(|seconds| u32::try_from(seconds).ok()) {
        Some(seconds @ 1..=MAX_HOOK_TIMEOUT_SECONDS) => Ok(seconds),
        _ => Err(AppSpecError::new(
            AppSpecProblem::Timeout,
            format!(
                "The deployment failed because an invalid timeout value ({}) was provided for a script in the application specification file. Give each script a timeout from 1 to {MAX_HOOK_TIMEOUT_SECONDS} seconds in the hooks section of the AppSpec file, and then try again.",
                scalar_text(value).unwrap_or_else(|| "not a number".to_owned())
            ),
        )),
    }
}

/// Reads one hook: its event name and scripts.
fn hook_of(name: &Value, scripts: &Value) -> Result<Hook, AppSpecError> {
    let name = scalar_text(name).unwrap_or_default();
    let event = name
        .parse::<LifecycleEvent>()
        .ok()
        .filter(|event| event.is_scriptable())
        .ok_or_else(|| {
            AppSpecError::new(
                AppSpecProblem::UnknownHook(name.clone()),
                format!(
                    "The deployment failed because the application specification file has a hook for \"{name}\", which is not a lifecycle event that runs scripts on an EC2/on-premises instance. Use ApplicationStop, BeforeInstall, AfterInstall, ApplicationStart, ValidateService, BeforeBlockTraffic, AfterBlockTraffic, BeforeAllowTraffic or AfterAllowTraffic in the hooks section of the AppSpec file, and then try again."
                ),
            )
        })?;
    let raw: Vec<RawScript> = match scripts {
        Value::Null => Vec::new(),
        other => yaml_serde::from_value(other.clone()).map_err(|error| {
            AppSpecError::new(
                AppSpecProblem::Syntax,
                format!(
                    "The {name} hook of the application specification file must be a list of scripts, each with a location: {error}."
                ),
            )
        })?,
    };
    let mut hook = Hook {
        event,
        scripts: Vec::new(),
    };
    let mut total: u32 = 0;
    for script in raw {
        let location = script
            .location
            .as_ref()
            .and_then(scalar_text)
            .filter(|location| !location.is_empty())
            .ok_or_else(|| {
                AppSpecError::new(
                    AppSpecProblem::MissingLocation,
                    "The deployment failed because the application specification file specifies a script with no location value. Specify the location in the hooks section of the AppSpec file, and then try again.",
                )
            })?;
        let timeout_seconds = timeout_of(script.timeout.as_ref())?;
        // Only the timeouts written down count towards the event's limit;
        // a script without one gets the agent's default of an hour.
        if script
            .timeout
            .as_ref()
            .is_some_and(|value| !value.is_null())
        {
            total = total.saturating_add(timeout_seconds);
        }
        hook.scripts.push(HookScript {
            location,
            timeout_seconds,
            runas: script.runas.as_ref().and_then(scalar_text),
        });
    }
    if total > MAX_HOOK_TIMEOUT_SECONDS {
        return Err(AppSpecError::new(
            AppSpecProblem::Timeout,
            format!(
                "The deployment failed because the scripts of the {name} hook have timeouts adding up to {total} seconds, more than the {MAX_HOOK_TIMEOUT_SECONDS} seconds one lifecycle event may take. Lower their timeouts in the hooks section of the AppSpec file, and then try again."
            ),
        ));
    }
    Ok(hook)
}

/// Parses and checks an EC2/on-premises AppSpec.
pub fn parse(text: &str) -> Result<AppSpec, AppSpecError> {
    if text.trim().is_empty() {
        return Err(empty());
    }
    let raw: Option<RawAppSpec> = yaml_serde::from_str(text).map_err(|error| AppSpecError {
        problem: AppSpecProblem::Syntax,
        message: format!(
            "The application specification file is not valid YAML for an AppSpec: {error}. Fix the file, and then try again."
        ),
        line: error.location().map(|location| location.line()),
    })?;
    let raw = raw.ok_or_else(empty)?;

    // The agent compares the version with the number 0.0, so `0.0` and `0`
    // pass and the string "0.0" does not.
    let version_ok =
        matches!(&raw.version, Some(Value::Number(number)) if number.as_f64() == Some(0.0));
    if !version_ok {
        let shown = raw
            .version
            .as_ref()
            .and_then(scalar_text)
            .unwrap_or_default();
        return Err(AppSpecError::new(
            AppSpecProblem::Version,
            format!(
                "The deployment failed because an invalid version value ({shown}) was entered in the application specification file. Make sure your AppSpec file specifies \"0.0\" as the version, and then try again."
            ),
        ));
    }
    let os = match raw.os.as_ref().and_then(scalar_text).as_deref() {
        Some("linux") => Os::Linux,
        Some("windows") => Os::Windows,
        other => {
            return Err(AppSpecError::new(
                AppSpecProblem::Os,
                format!(
                    "The deployment failed because the application specification file specifies an unsupported operating system ({}). Specify either \"linux\" or \"windows\" in the os section of the AppSpec file, and then try again.",
                    other.unwrap_or_default()
                ),
            ));
        }
    };

    let mut hooks = Vec::new();
    for (name, scripts) in raw.hooks.unwrap_or_default() {
        hooks.push(hook_of(&name, &scripts)?);
    }

    let mut files = Vec::new();
    for file in raw.files.unwrap_or_default() {
        match (file.source, file.destination) {
            (Some(source), Some(destination)) => files.push(FileMapping {
                source,
                destination,
            }),
            (None, _) => {
                return Err(AppSpecError::new(
                    AppSpecProblem::Files,
                    "The deployment failed because the application specification file specifies a destination file, but no source file. Update the files section of the AppSpec file, and then try again.",
                ));
            }
            (Some(_), None) => {
                return Err(AppSpecError::new(
                    AppSpecProblem::Files,
                    "The deployment failed because the application specification file specifies a source file, but no destination file. Update the files section of the AppSpec file, and then try again.",
                ));
            }
        }
    }

    let mut permissions = Vec::new();
    for permission in raw.permissions.unwrap_or_default() {
        let Some(object) = permission.object.as_ref().and_then(scalar_text) else {
            return Err(AppSpecError::new(
                AppSpecProblem::Permissions,
                "The deployment failed because a permission listed in the application specification file has no object value. Update the permissions section of the AppSpec file, and then try again.",
            ));
        };
        if os == Os::Windows {
            return Err(AppSpecError::new(
                AppSpecProblem::Permissions,
                "The deployment failed because the application specification file specifies file permissions, but the deployment is targeting one or more Windows Server instances. Permissions are supported only for Amazon Linux, Ubuntu Server, and Red Hat Enterprise Linux (RHEL) instances. Update the permissions section of the AppSpec file, and then try again.",
            ));
        }
        permissions.push(Permission {
            object,
            pattern: permission.pattern,
            owner: permission.owner,
            group: permission.group,
            mode: permission.mode.as_ref().and_then(scalar_text),
        });
    }

    Ok(AppSpec {
        os,
        files,
        permissions,
        hooks,
    })
}

/// The agent's error for an empty AppSpec.
fn empty() -> AppSpecError {
    AppSpecError::new(
        AppSpecProblem::Empty,
        "The deployment failed because the application specification file was empty. Make sure your AppSpec file defines at minimum the 'version' and 'os' properties.",
    )
}

/// The location of each hook script, by event, in the order they run.
pub fn script_locations(spec: &AppSpec) -> BTreeMap<LifecycleEvent, Vec<String>> {
    spec.hooks
        .iter()
        .map(|hook| {
            (
                hook.event,
                hook.scripts
                    .iter()
                    .map(|script| script.location.clone())
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
        let error =
            parse("version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: a.sh\n")
                .unwrap_err();
        assert_eq!(
            error.problem,
            AppSpecProblem::UnknownHook("AfterInstal".to_owned())
        );
        let error = parse("version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: a.sh\n")
            .unwrap_err();
        assert_eq!(
            error.problem,
            AppSpecProblem::UnknownHook("Install".to_owned())
        );
    }

    #[test]
    fn hook_scripts_need_a_location() {
        let error = parse("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 30\n")
            .unwrap_err();
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
}
