//! The one reader of an AppSpec's text, for both the parser and the linter.
//!
//! [`read_root`] and [`read_version`] read what every AppSpec has (a YAML
//! or JSON mapping with `version: 0.0`); [`read_server`] reads the sections
//! of an EC2/on-premises AppSpec into a [`WrittenAppSpec`]: each section,
//! entry and field with what it says, or the [`Violation`] of the rule it
//! breaks. The reader never stops at the first violation and never panics.
//! The parser turns a reading without violations into an
//! [`AppSpec`] and refuses the first violation in the order
//! the agent checks; the linter reports every violation at its line, and
//! adds the checks only it makes (the bundle's files, absolute
//! destinations, modes, `runas`).

use yaml_serde::{Mapping, Value};

use super::violation::Violation;
use super::{AppSpec, FileMapping, Hook, HookScript, MAX_HOOK_TIMEOUT_SECONDS, Os, Permission};
use crate::domain::lifecycle::LifecycleEvent;

/// What the reader makes of one part of an AppSpec: its value, or the rule
/// it breaks.
pub type Read<T> = Result<T, Violation>;

/// A scalar as text, as the agent's `to_s` gives it (strings trimmed,
/// numbers and booleans as YAML writes them); `None` for a null, a list, a
/// mapping or a tagged value.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A value as a message shows it: a scalar as text, anything else by what
/// it is ("nothing", "a list", "a mapping", "a tagged value").
pub fn shown(value: &Value) -> String {
    scalar_text(value).unwrap_or_else(|| match value {
        Value::Null => "nothing".to_owned(),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        _ => "a tagged value".to_owned(),
    })
}

/// Reads the text's top-level mapping of sections.
pub fn read_root(text: &str) -> Read<Mapping> {
    if text.trim().is_empty() {
        return Err(Violation::Empty);
    }
    match yaml_serde::from_str(text) {
        Ok(Value::Mapping(root)) => Ok(root),
        Ok(other) => Err(Violation::NotAMapping(other)),
        Err(error) => Err(Violation::Syntax {
            detail: error.to_string(),
            line: error.location().map(|location| location.line()),
        }),
    }
}

/// Checks `version`. The agent compares it with the number 0.0, so `0.0`
/// and `0` pass and the string "0.0" does not.
pub fn read_version(root: &Mapping) -> Read<()> {
    match root.get("version") {
        None => Err(Violation::VersionMissing),
        Some(Value::Number(number)) if number.as_f64() == Some(0.0) => Ok(()),
        Some(other) => Err(Violation::Version(other.clone())),
    }
}

/// An EC2/on-premises AppSpec as written: every section with what it says
/// or the rule it breaks.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenAppSpec {
    /// The operating system.
    pub os: Read<Os>,
    /// The `files` entries (none when the section is absent or empty).
    pub files: Read<Vec<Read<WrittenFile>>>,
    /// The `permissions` entries (none when the section is absent or
    /// empty).
    pub permissions: Read<Vec<Read<WrittenPermission>>>,
    /// The hooks, in the file's order (none when the section is absent or
    /// empty).
    pub hooks: Read<Vec<WrittenHook>>,
}

/// A `files` entry as written.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    /// The path in the revision.
    pub source: Read<String>,
    /// Where on the instance it goes.
    pub destination: Read<String>,
}

/// A `permissions` entry as written.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenPermission {
    /// The file or folder on the instance.
    pub object: Read<String>,
    /// A glob of the files it applies to, if given.
    pub pattern: Read<Option<String>>,
    /// The owner to set, if given.
    pub owner: Read<Option<String>>,
    /// The group to set, if given.
    pub group: Read<Option<String>>,
    /// The mode as written, if given.
    pub mode: Option<Value>,
    /// The `type` list as written, if given.
    pub kinds: Option<Value>,
    /// The keys of the entry, as written, in order.
    pub settings: Vec<String>,
}

/// A hook as written.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenHook {
    /// Its name as written (the mapping key).
    pub name: String,
    /// The lifecycle event it names, when it names one that runs scripts.
    pub event: Read<LifecycleEvent>,
    /// Its scripts; `None` when the hook lists nothing at all.
    pub scripts: Read<Option<Vec<Read<WrittenScript>>>>,
    /// The sum of the timeouts written for its scripts, in seconds.
    pub total_timeout: Read<u64>,
}

/// A hook script as written.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenScript {
    /// Its path in the revision.
    pub location: Read<String>,
    /// Its timeout in seconds, when one is written.
    pub timeout: Option<Read<u32>>,
    /// The user it runs as, as written, if given.
    pub runas: Option<Value>,
    /// The keys of the script, as written, in order.
    pub settings: Vec<String>,
}

/// Reads the sections of an EC2/on-premises AppSpec from its top-level
/// mapping.
pub fn read_server(root: &Mapping) -> WrittenAppSpec {
    let os = match root.get("os") {
        None => Err(Violation::OsMissing),
        Some(value) => match scalar_text(value).as_deref() {
            Some("linux") => Ok(Os::Linux),
            Some("windows") => Ok(Os::Windows),
            _ => Err(Violation::Os(value.clone())),
        },
    };
    let windows = os == Ok(Os::Windows);
    WrittenAppSpec {
        files: list_of(root.get("files"), Violation::FilesNotAList, read_file),
        permissions: read_permissions(root.get("permissions"), windows),
        hooks: read_hooks(root.get("hooks")),
        os,
    }
}

/// Reads a section that is a list of entries (absent or null: none),
/// reading each entry with `entry` from its index and value.
fn list_of<T>(
    section: Option<&Value>,
    not_a_list: Violation,
    entry: impl Fn(usize, &Value) -> Read<T>,
) -> Read<Vec<Read<T>>> {
    match section {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(entries)) => Ok(entries
            .iter()
            .enumerate()
            .map(|(index, value)| entry(index, value))
            .collect()),
        Some(_) => Err(not_a_list),
    }
}

/// A text field of an entry: `None` when absent or null, the violation
/// from `not_text` when it is a list, a mapping or a tagged value.
fn text_field(
    entry: &Mapping,
    key: &'static str,
    not_text: impl FnOnce(&'static str) -> Violation,
) -> Read<Option<String>> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => scalar_text(value).map(Some).ok_or_else(|| not_text(key)),
    }
}

/// The keys of a mapping as text, in order.
fn settings_of(entry: &Mapping) -> Vec<String> {
    entry.keys().map(shown).collect()
}

/// Reads a `files` entry: both its source and its destination are
/// required.
fn read_file(index: usize, value: &Value) -> Read<WrittenFile> {
    let Value::Mapping(entry) = value else {
        return Err(Violation::FileNotAMapping { index });
    };
    let path = |key, missing| {
        text_field(entry, key, |key| Violation::FilePathNotText { index, key })?.ok_or(missing)
    };
    Ok(WrittenFile {
        source: path("source", Violation::FileWithoutSource { index }),
        destination: path("destination", Violation::FileWithoutDestination { index }),
    })
}

/// Reads the `permissions` section. A Windows AppSpec may not list any.
fn read_permissions(section: Option<&Value>, windows: bool) -> Read<Vec<Read<WrittenPermission>>> {
    let listed = match section {
        None | Some(Value::Null) => false,
        Some(Value::Sequence(entries)) => !entries.is_empty(),
        Some(_) => true,
    };
    if windows && listed {
        return Err(Violation::PermissionsOnWindows);
    }
    list_of(section, Violation::PermissionsNotAList, read_permission)
}

/// Reads a `permissions` entry: its object is required.
fn read_permission(index: usize, value: &Value) -> Read<WrittenPermission> {
    let Value::Mapping(entry) = value else {
        return Err(Violation::PermissionNotAMapping { index });
    };
    let setting = |key| {
        text_field(entry, key, |key| Violation::PermissionSettingNotText {
            index,
            key,
        })
    };
    Ok(WrittenPermission {
        object: entry
            .get("object")
            .and_then(scalar_text)
            .ok_or(Violation::PermissionWithoutObject { index }),
        pattern: setting("pattern"),
        owner: setting("owner"),
        group: setting("group"),
        mode: entry.get("mode").cloned(),
        kinds: entry.get("type").cloned(),
        settings: settings_of(entry),
    })
}

/// Reads the `hooks` section: a mapping of events to their scripts.
fn read_hooks(section: Option<&Value>) -> Read<Vec<WrittenHook>> {
    match section {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Mapping(hooks)) => Ok(hooks
            .iter()
            .map(|(name, scripts)| read_hook(shown(name), scripts))
            .collect()),
        Some(_) => Err(Violation::HooksNotAMapping),
    }
}

/// Reads one hook: the event it names, its scripts, and whether their
/// timeouts fit in the hour one event may take.
fn read_hook(name: String, scripts: &Value) -> WrittenHook {
    let event = match name.parse::<LifecycleEvent>() {
        Ok(event) if event.is_scriptable() => Ok(event),
        Ok(_) => Err(Violation::HookNotScriptable { hook: name.clone() }),
        Err(_) => Err(Violation::HookUnknown { hook: name.clone() }),
    };
    let scripts = match scripts {
        Value::Null => Ok(None),
        Value::Sequence(scripts) => Ok(Some(
            scripts
                .iter()
                .enumerate()
                .map(|(index, script)| read_script(&name, index, script))
                .collect::<Vec<_>>(),
        )),
        _ => Err(Violation::ScriptsNotAList { hook: name.clone() }),
    };
    // Only the timeouts written down count towards the event's limit; a
    // script without one gets the agent's default of an hour.
    let total: u64 = scripts
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .filter_map(|script| script.timeout.as_ref()?.as_ref().ok())
        .map(|&seconds| u64::from(seconds))
        .sum();
    let total_timeout = if total > u64::from(MAX_HOOK_TIMEOUT_SECONDS) {
        Err(Violation::TimeoutsOverAnHour {
            hook: name.clone(),
            total,
        })
    } else {
        Ok(total)
    };
    WrittenHook {
        name,
        event,
        scripts,
        total_timeout,
    }
}

/// Reads one hook script: its location is required, its timeout a whole
/// number of seconds from 1 to 3600 when given (a number or a numeric
/// string).
fn read_script(hook: &str, index: usize, value: &Value) -> Read<WrittenScript> {
    let Value::Mapping(script) = value else {
        return Err(Violation::ScriptNotAMapping {
            hook: hook.to_owned(),
            index,
        });
    };
    let location = script
        .get("location")
        .and_then(scalar_text)
        .filter(|location| !location.is_empty())
        .ok_or_else(|| Violation::ScriptWithoutLocation {
            hook: hook.to_owned(),
            index,
        });
    let timeout = script
        .get("timeout")
        .filter(|value| !value.is_null())
        .map(|value| {
            let seconds = match value {
                Value::Number(number) => number.as_i64(),
                Value::String(text) => text.trim().parse::<i64>().ok(),
                _ => None,
            };
            match seconds.and_then(|seconds| u32::try_from(seconds).ok()) {
                Some(seconds @ 1..=MAX_HOOK_TIMEOUT_SECONDS) => Ok(seconds),
                _ => Err(Violation::Timeout {
                    hook: hook.to_owned(),
                    index,
                    value: value.clone(),
                }),
            }
        });
    Ok(WrittenScript {
        location,
        timeout,
        runas: script.get("runas").cloned(),
        settings: settings_of(script),
    })
}

impl WrittenAppSpec {
    /// The AppSpec, or the first violation in the order the agent checks:
    /// the os, then the hooks, the files and the permissions, each in the
    /// file's order.
    pub fn into_spec(self) -> Read<AppSpec> {
        let os = self.os?;
        let hooks = self
            .hooks?
            .into_iter()
            .map(WrittenHook::into_hook)
            .collect::<Read<_>>()?;
        let files = self
            .files?
            .into_iter()
            .map(|file| {
                let file = file?;
                Ok(FileMapping {
                    source: file.source?,
                    destination: file.destination?,
                })
            })
            .collect::<Read<_>>()?;
        let permissions = self
            .permissions?
            .into_iter()
            .map(|permission| {
                let permission = permission?;
                Ok(Permission {
                    object: permission.object?,
                    pattern: permission.pattern?,
                    owner: permission.owner?,
                    group: permission.group?,
                    mode: permission.mode.as_ref().and_then(scalar_text),
                })
            })
            .collect::<Read<_>>()?;
        Ok(AppSpec {
            os,
            files,
            permissions,
            hooks,
        })
    }
}

impl WrittenHook {
    /// The hook, or its first violation: its event, its scripts (each
    /// location, then timeout), then their total timeout.
    fn into_hook(self) -> Read<Hook> {
        let event = self.event?;
        let scripts = self
            .scripts?
            .unwrap_or_default()
            .into_iter()
            .map(|script| {
                let script = script?;
                Ok(HookScript {
                    location: script.location?,
                    timeout_seconds: script
                        .timeout
                        .transpose()?
                        .unwrap_or(MAX_HOOK_TIMEOUT_SECONDS),
                    runas: script.runas.as_ref().and_then(scalar_text),
                })
            })
            .collect::<Read<_>>()?;
        self.total_timeout?;
        Ok(Hook { event, scripts })
    }
}
