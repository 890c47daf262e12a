//! The AppSpec file of an EC2/on-premises revision (`appspec.yml`): which
//! files go where, their permissions, and the scripts each lifecycle event
//! runs.
//!
//! One reader serves the local cloud's engine and the Revisions page's
//! linter alike: [`reader`] reads the text into the sections as written,
//! each entry with what it says or the [`Violation`] of the rule it breaks
//! (every rule the CodeDeploy agent checks is written there, once).
//! [`parse`] gives the [`AppSpec`] of a text without violations and
//! otherwise refuses the first one in the order the agent checks, with the
//! message the agent logs, as an [`AppSpecError`] at its line; the linter
//! (`super::appspec_lint`) reports all of them, so that it blocks an upload
//! whenever the agent would refuse the file. [`position`] places an entry
//! of the text at its line.

use std::collections::BTreeMap;

use super::lifecycle::LifecycleEvent;

pub mod position;
pub mod reader;
pub mod shifting;
mod violation;

pub use violation::Violation;

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
    /// The text is not YAML, or a section, entry or setting has the wrong
    /// shape.
    Syntax,
    /// The file is empty.
    Empty,
    /// `version` is not `0.0`.
    Version,
    /// `os` is not `linux` or `windows`.
    Os,
    /// A `files` entry lacks its source or destination.
    Files,
    /// A `permissions` entry lacks its object, or a Windows AppSpec lists
    /// permissions.
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
    /// The 1-based line of the problem in the text, when it can be
    /// placed.
    pub line: Option<usize>,
}

impl AppSpecError {
    /// The error for `violation`, placed in `text`.
    pub fn new(violation: &Violation, text: &str) -> Self {
        Self {
            problem: violation.problem(),
            message: violation.agent_message(),
            line: violation.line(text),
        }
    }
}

/// Parses and checks an EC2/on-premises AppSpec: the AppSpec when the
/// text breaks no rule the agent checks, otherwise the first violation in
/// the order the agent checks (the version, the os, the hooks, the files,
/// then the permissions).
pub fn parse(text: &str) -> Result<AppSpec, AppSpecError> {
    let read = || {
        let root = reader::read_root(text)?;
        reader::read_version(&root)?;
        reader::read_server(&root).into_spec()
    };
    read().map_err(|violation| AppSpecError::new(&violation, text))
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
mod tests;
