//! The rules of a deployment run on this machine the way the CodeDeploy
//! agent runs it on an instance: the events in order (`ApplicationStop`
//! from the revision deployed before), what the `files` section copies
//! with each `file_exists_behavior` after the cleanup list of the last
//! install is removed, which installed paths a `permissions` entry
//! matches, where a destination lands inside the instance's folder, the
//! environment of a hook, the diagnostics of a script, and the agent's
//! deployment root layout with its pruning rule.
//!
//! Nothing here does I/O: `crate::runner` executes these rules.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::appspec::{AppSpec, HookScript, Permission, reader};
use super::lifecycle::{InstanceRole, LifecycleEvent, events_for};

/// Where the agent keeps its deployments, inside the instance.
pub const AGENT_ROOT: &str = "opt/codedeploy-agent/deployment-root";

/// The most of a script's log CodeDeploy returns as the diagnostics' tail.
pub const LOG_TAIL_BYTES: usize = 4096;

/// How many revisions the agent keeps per deployment group
/// (`:max_revisions:`, 5 by default).
pub const MAX_REVISIONS: usize = 5;

/// What the agent does with a file that is already at its destination and
/// was not written by the last install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileExistsBehavior {
    /// The deployment fails (the default).
    #[default]
    Disallow,
    /// The revision's file replaces it.
    Overwrite,
    /// The file on the instance is kept.
    Retain,
}

impl FileExistsBehavior {
    /// Its name in the API and the AppSpec.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disallow => "DISALLOW",
            Self::Overwrite => "OVERWRITE",
            Self::Retain => "RETAIN",
        }
    }
}

impl FromStr for FileExistsBehavior {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "DISALLOW" => Ok(Self::Disallow),
            "OVERWRITE" => Ok(Self::Overwrite),
            "RETAIN" => Ok(Self::Retain),
            other => Err(format!(
                "The deployment failed because an invalid option was specified for fileExistsBehavior: {other}. Valid options include OVERWRITE, RETAIN, and DISALLOW."
            )),
        }
    }
}

/// One event of a run and the scripts it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEvent {
    /// The event.
    pub event: LifecycleEvent,
    /// Its scripts, in order (none for the agent's own events).
    pub scripts: Vec<HookScript>,
    /// Whether the scripts come from the revision deployed before.
    pub from_previous: bool,
}

/// The events of an in-place deployment, in order, with their scripts:
/// `ApplicationStop` runs the previous revision's scripts (none on a first
/// deployment), the other events the new revision's.
pub fn plan(spec: &AppSpec, previous: Option<&AppSpec>) -> Vec<PlannedEvent> {
    events_for(InstanceRole::InPlace, false)
        .into_iter()
        .map(|event| {
            let from_previous = event == LifecycleEvent::ApplicationStop;
            let source = if from_previous { previous } else { Some(spec) };
            PlannedEvent {
                event,
                scripts: source.map_or_else(Vec::new, |spec| spec.scripts_for(event).to_vec()),
                from_previous,
            }
        })
        .collect()
}

/// Why a path cannot be used on the instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The destination is not an absolute path.
    #[error(
        "The destination {0} is not a fully qualified path; write it from the root, such as /var/www/html."
    )]
    NotAbsolute(String),
    /// The destination goes above the root with `..`.
    #[error(
        "The destination {0} goes above / with .., outside the instance; remove the .. from the files section."
    )]
    Escapes(String),
}

/// The path of an absolute instance path relative to the instance's root
/// folder, with `.` and `..` resolved; refused when it is not absolute or
/// when `..` would leave the root.
pub fn instance_relative(path: &str) -> Result<PathBuf, PathError> {
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute(path.to_owned()));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathError::Escapes(path.to_owned()));
                }
            }
            name => parts.push(name),
        }
    }
    Ok(parts.iter().collect())
}

/// The absolute instance path (`/a/b`) of a path relative to the root.
pub fn instance_absolute(relative: &Path) -> String {
    format!("/{}", relative.to_string_lossy())
}

/// What a revision holds, as the installer sees it: its paths relative to
/// the archive folder, each a file (`false`) or a folder (`true`).
pub type ArchiveListing = BTreeMap<PathBuf, bool>;

/// One step of the Install event, on instance paths relative to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallStep {
    /// Make a folder.
    Mkdir(PathBuf),
    /// Copy a file of the revision (relative to the archive) to a path.
    Copy {
        /// The file in the revision.
        source: PathBuf,
        /// Where it goes.
        destination: PathBuf,
    },
}

impl InstallStep {
    /// The instance path the step writes.
    pub fn target(&self) -> &Path {
        match self {
            Self::Mkdir(path) => path,
            Self::Copy { destination, .. } => destination,
        }
    }
}

/// Why the Install event fails before it copies anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    /// A destination is not usable.
    #[error(transparent)]
    Path(#[from] PathError),
    /// A source is not in the revision.
    #[error(
        "The deployment failed because the files section names {0}, which is not in the revision. Correct the source or add the file to the bundle."
    )]
    MissingSource(String),
    /// A file not written by the last install is in the way (DISALLOW).
    #[error("The deployment failed because a specified file already exists at this location: {0}")]
    FileExists(String),
    /// Two sources go to the same destination.
    #[error(
        "The deployment failed because the application specification file specifies two source files for the same destination ({0}). Remove one of the source file paths from the AppSpec file, and then try again."
    )]
    TwoSources(String),
}

/// The steps of the Install event for `spec`'s `files` section, given the
/// revision's listing and which instance paths exist (after the last
/// install's cleanup list was removed), as the agent plans them: a source
/// file goes into its destination folder under its own name, a source
/// folder's contents go into the destination, missing folders are made,
/// and a file already there fails (DISALLOW), is replaced (OVERWRITE) or is
/// kept without a step (RETAIN).
pub fn plan_install(
    spec: &AppSpec,
    archive: &ArchiveListing,
    behavior: FileExistsBehavior,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<Vec<InstallStep>, InstallError> {
    let mut planner = InstallPlanner {
        steps: Vec::new(),
        made: BTreeSet::new(),
        copied: BTreeSet::new(),
        behavior,
        exists,
    };
    for mapping in &spec.files {
        let destination = instance_relative(&mapping.destination)?;
        let source = instance_relative(&format!("/{}", mapping.source))
            .map_err(|_| InstallError::MissingSource(mapping.source.clone()))?;
        let source_is_folder = source.as_os_str().is_empty() || archive.get(&source) == Some(&true);
        if source_is_folder {
            planner.ancestors(&destination);
            planner.folder(archive, &source, &destination)?;
        } else {
            if !archive.contains_key(&source) {
                return Err(InstallError::MissingSource(mapping.source.clone()));
            }
            let name = source.file_name().unwrap_or_default();
            let target = destination.join(name);
            planner.ancestors(&target);
            planner.file(&source, target)?;
        }
    }
    Ok(planner.steps)
}

/// The state of [`plan_install`].
struct InstallPlanner<'a> {
    steps: Vec<InstallStep>,
    made: BTreeSet<PathBuf>,
    copied: BTreeSet<PathBuf>,
    behavior: FileExistsBehavior,
    exists: &'a dyn Fn(&Path) -> bool,
}

impl InstallPlanner<'_> {
    /// Makes the missing folders above `path`, outermost first.
    fn ancestors(&mut self, path: &Path) {
        let missing: Vec<PathBuf> = path
            .ancestors()
            .skip(1)
            .filter(|dir| !dir.as_os_str().is_empty())
            .take_while(|dir| !(self.exists)(dir))
            .map(Path::to_path_buf)
            .collect();
        for dir in missing.into_iter().rev() {
            self.mkdir(dir);
        }
    }

    fn mkdir(&mut self, dir: PathBuf) {
        if self.made.insert(dir.clone()) {
            self.steps.push(InstallStep::Mkdir(dir));
        }
    }

    /// Copies the contents of the revision's folder `source` into
    /// `destination`.
    fn folder(
        &mut self,
        archive: &ArchiveListing,
        source: &Path,
        destination: &Path,
    ) -> Result<(), InstallError> {
        if !(self.exists)(destination) && !destination.as_os_str().is_empty() {
            self.mkdir(destination.to_path_buf());
        }
        let children: Vec<(PathBuf, bool)> = archive
            .iter()
            .filter(|(path, _)| path.parent() == Some(source))
            .map(|(path, folder)| (path.clone(), *folder))
            .collect();
        for (child, is_folder) in children {
            let target = destination.join(child.file_name().unwrap_or_default());
            if is_folder {
                self.folder(archive, &child, &target)?;
            } else {
                self.file(&child, target)?;
            }
        }
        Ok(())
    }

    fn file(&mut self, source: &Path, target: PathBuf) -> Result<(), InstallError> {
        if !self.copied.insert(target.clone()) || self.made.contains(&target) {
            return Err(InstallError::TwoSources(instance_absolute(&target)));
        }
        if (self.exists)(&target) {
            match self.behavior {
                FileExistsBehavior::Disallow => {
                    return Err(InstallError::FileExists(instance_absolute(&target)));
                }
                FileExistsBehavior::Retain => return Ok(()),
                FileExistsBehavior::Overwrite => {}
            }
        }
        self.steps.push(InstallStep::Copy {
            source: source.to_path_buf(),
            destination: target,
        });
        Ok(())
    }
}

/// The cleanup file the agent writes after an install: every path it made
/// or copied, one a line, in the order written.
pub fn cleanup_text(steps: &[InstallStep]) -> String {
    steps.iter().fold(String::new(), |mut text, step| {
        text.push_str(&instance_absolute(step.target()));
        text.push('\n');
        text
    })
}

/// The paths of a cleanup file to remove before the next install, last
/// written first (a line cut short by a crash is ignored, as the agent
/// does); folders are removed only when empty.
pub fn cleanup_order(text: &str) -> Vec<String> {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    if lines.last().is_some_and(|line| !line.ends_with('\n')) {
        lines.pop();
    }
    lines
        .into_iter()
        .rev()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `except` and `type` settings of a `permissions` entry, which the
/// parsed [`Permission`] does not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionScope {
    /// Globs of the names it does not apply to.
    pub except: Vec<String>,
    /// Whether it applies to files.
    pub files: bool,
    /// Whether it applies to folders.
    pub folders: bool,
}

impl Default for PermissionScope {
    fn default() -> Self {
        Self {
            except: Vec::new(),
            files: true,
            folders: true,
        }
    }
}

/// The scope of each `permissions` entry of an AppSpec text, in order
/// (the defaults where the text says nothing).
pub fn permission_scopes(text: &str) -> Vec<PermissionScope> {
    let Ok(root) = reader::read_root(text) else {
        return Vec::new();
    };
    let Some(yaml_serde::Value::Sequence(entries)) = root.get("permissions") else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| {
            let texts = |key: &str| -> Option<Vec<String>> {
                match entry.get(key)? {
                    yaml_serde::Value::Sequence(items) => {
                        Some(items.iter().filter_map(reader::scalar_text).collect())
                    }
                    value => reader::scalar_text(value).map(|text| vec![text]),
                }
            };
            let kinds = texts("type");
            PermissionScope {
                except: texts("except").unwrap_or_default(),
                files: kinds
                    .as_ref()
                    .is_none_or(|kinds| kinds.iter().any(|kind| kind == "file")),
                folders: kinds
                    .as_ref()
                    .is_none_or(|kinds| kinds.iter().any(|kind| kind == "directory")),
            }
        })
        .collect()
}

/// The agent's simple glob: `*` matches any run of characters, everything
/// else itself; a name with a `/` never matches.
fn simple_glob(name: &str, pattern: &str) -> bool {
    fn matches(name: &[char], pattern: &[char]) -> bool {
        match pattern.split_first() {
            None => name.is_empty(),
            Some(('*', rest)) => (0..=name.len()).any(|skip| matches(&name[skip..], rest)),
            Some((first, rest)) => name.first() == Some(first) && matches(&name[1..], rest),
        }
    }
    if name.contains('/') {
        return false;
    }
    let name: Vec<char> = name.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    matches(&name, &pattern)
}

/// The installed paths (relative to the root) a `permissions` entry
/// applies to, as the agent matches them: the object itself when it is a
/// copied file; otherwise the files and folders this install wrote below
/// the object, of the entry's types, whose name relative to the object
/// matches the pattern (`**`, the default, matches everything below; any
/// other pattern only direct children) and none of the `except` globs.
pub fn permission_targets(
    permission: &Permission,
    scope: &PermissionScope,
    steps: &[InstallStep],
) -> Result<Vec<PathBuf>, PathError> {
    let object = instance_relative(&permission.object)?;
    let copied = |path: &Path| {
        steps.iter().any(
            |step| matches!(step, InstallStep::Copy { destination, .. } if destination == path),
        )
    };
    if copied(&object) {
        return Ok(if scope.files {
            vec![object]
        } else {
            Vec::new()
        });
    }
    let pattern = permission.pattern.as_deref().unwrap_or("**");
    Ok(steps
        .iter()
        .filter(|step| match step {
            InstallStep::Copy { .. } => scope.files,
            InstallStep::Mkdir(_) => scope.folders,
        })
        .map(InstallStep::target)
        .filter_map(|target| {
            let relative = target.strip_prefix(&object).ok()?;
            let name = relative.to_str()?;
            if name.is_empty() {
                return None;
            }
            let included = pattern == "**" || simple_glob(name, pattern);
            let excluded = scope.except.iter().any(|except| simple_glob(name, except));
            (included && !excluded).then(|| target.to_path_buf())
        })
        .collect())
}

/// A `mode` setting as bits, such as `755` or `"0644"`; `None` when it is
/// not an octal number of at most four digits.
pub fn parse_mode(mode: &str) -> Option<u32> {
    let digits = mode.trim();
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    u32::from_str_radix(digits, 8).ok()
}

/// Who a deployment is, for the hooks' environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    /// The deployment's ID.
    pub deployment_id: String,
    /// The application's name.
    pub application_name: String,
    /// The deployment group's name.
    pub deployment_group_name: String,
    /// The deployment group's ID.
    pub deployment_group_id: String,
    /// Where the revision's bundle came from.
    pub origin: BundleOrigin,
}

/// Where a revision's bundle came from, which the agent tells its hooks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BundleOrigin {
    /// A folder or file on this machine: no bundle variables.
    #[default]
    Local,
    /// An object in Amazon S3.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// The object's version, when the revision names one.
        version: Option<String>,
        /// The object's ETag, when the revision names one.
        etag: Option<String>,
    },
    /// A commit on GitHub.
    GitHub {
        /// The commit's id.
        commit: String,
    },
}

/// The variables the agent sets for a hook's scripts: the deployment's,
/// then the bundle's where it came from S3 (`BUNDLE_BUCKET`, `BUNDLE_KEY`,
/// and `BUNDLE_VERSION` and `BUNDLE_ETAG` when the revision names them) or
/// GitHub (`BUNDLE_COMMIT`). A bundle from this machine has none.
pub fn hook_environment(event: LifecycleEvent, identity: &RunIdentity) -> Vec<(String, String)> {
    let bundle: Vec<(&str, &str)> = match &identity.origin {
        BundleOrigin::Local => Vec::new(),
        BundleOrigin::S3 {
            bucket,
            key,
            version,
            etag,
        } => [
            ("BUNDLE_BUCKET", Some(bucket)),
            ("BUNDLE_KEY", Some(key)),
            ("BUNDLE_VERSION", version.as_ref()),
            ("BUNDLE_ETAG", etag.as_ref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value.as_str())))
        .collect(),
        BundleOrigin::GitHub { commit } => vec![("BUNDLE_COMMIT", commit.as_str())],
    };
    [
        ("LIFECYCLE_EVENT", event.name()),
        ("DEPLOYMENT_ID", identity.deployment_id.as_str()),
        ("APPLICATION_NAME", identity.application_name.as_str()),
        (
            "DEPLOYMENT_GROUP_NAME",
            identity.deployment_group_name.as_str(),
        ),
        ("DEPLOYMENT_GROUP_ID", identity.deployment_group_id.as_str()),
    ]
    .into_iter()
    .chain(bundle)
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// The error code of a script's diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorCode {
    /// The script ran.
    Success,
    /// The script is not in the revision.
    ScriptMissing,
    /// The script did not finish within its timeout.
    ScriptTimedOut,
    /// The script exited with a code other than 0.
    ScriptFailed,
    /// The script could not be started.
    UnknownError,
}

impl fmt::Display for ScriptErrorCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Success => "Success",
            Self::ScriptMissing => "ScriptMissing",
            Self::ScriptTimedOut => "ScriptTimedOut",
            Self::ScriptFailed => "ScriptFailed",
            Self::UnknownError => "UnknownError",
        })
    }
}

/// How a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptEnd {
    /// It exited with this code.
    Exited(i32),
    /// It was killed by a signal.
    Signalled,
    /// It ran past its timeout and was killed.
    TimedOut,
    /// It is not in the revision.
    Missing,
    /// It could not be started.
    NotStarted,
    /// The deployment was stopped while it ran, and it was killed.
    Stopped,
}

/// A script's diagnostics, as `GetDeploymentInstance`/`ListLifecycleEvents`
/// report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDiagnostics {
    /// The error code.
    pub error_code: ScriptErrorCode,
    /// The script's location in the revision.
    pub script_name: String,
    /// The agent's message.
    pub message: String,
    /// The last 4 KB of the event's script log.
    pub log_tail: String,
}

/// The diagnostics of `script` that ended as `end`, with the tail of
/// `log` (the event's script log so far), in the agent's words.
pub fn diagnostics(script: &HookScript, end: ScriptEnd, log: &str) -> ScriptDiagnostics {
    let location = &script.location;
    let failed = |code: String| match &script.runas {
        Some(user) => format!(
            "Script at specified location: {location} run as user {user} failed with exit code {code}"
        ),
        None => format!("Script at specified location: {location} failed with exit code {code}"),
    };
    let (error_code, message) = match end {
        ScriptEnd::Exited(0) => (ScriptErrorCode::Success, "Succeeded".to_owned()),
        ScriptEnd::Exited(code) => (ScriptErrorCode::ScriptFailed, failed(code.to_string())),
        ScriptEnd::Signalled => (ScriptErrorCode::ScriptFailed, failed(String::new())),
        ScriptEnd::TimedOut => (
            ScriptErrorCode::ScriptTimedOut,
            format!(
                "Script at specified location: {location} failed to complete in {} seconds",
                script.timeout_seconds
            ),
        ),
        ScriptEnd::Missing => (
            ScriptErrorCode::ScriptMissing,
            format!("Script does not exist at specified location: {location}"),
        ),
        ScriptEnd::NotStarted => (
            ScriptErrorCode::UnknownError,
            format!("Script at specified location: {location} could not be started"),
        ),
        ScriptEnd::Stopped => (
            ScriptErrorCode::UnknownError,
            format!(
                "The deployment was stopped while the script at specified location: {location} was running"
            ),
        ),
    };
    ScriptDiagnostics {
        error_code,
        script_name: location.clone(),
        message,
        log_tail: log_tail(log),
    }
}

/// The last [`LOG_TAIL_BYTES`] of a log, cut at a character boundary.
pub fn log_tail(log: &str) -> String {
    let mut start = log.len().saturating_sub(LOG_TAIL_BYTES);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    log[start..].to_owned()
}

/// A line of a script's output in the agent's log: `[stdout]` or
/// `[stderr]` before the text.
pub fn output_line(stream: &str, line: &str) -> String {
    format!("[{stream}]{line}\n")
}

/// The agent's deployment root on this machine, inside an instance's
/// folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRoot {
    /// The folder (`<instance>/opt/codedeploy-agent/deployment-root`).
    pub dir: PathBuf,
}

impl DeploymentRoot {
    /// The deployment root of the instance whose folder is `instance`.
    pub fn of_instance(instance: &Path) -> Self {
        Self {
            dir: instance.join(AGENT_ROOT),
        }
    }

    /// A group's folder of deployments.
    pub fn group_dir(&self, group_id: &str) -> PathBuf {
        self.dir.join(group_id)
    }

    /// A deployment's folder.
    pub fn deployment_dir(&self, group_id: &str, deployment_id: &str) -> PathBuf {
        self.group_dir(group_id).join(deployment_id)
    }

    /// Where a deployment's revision is unpacked.
    pub fn archive_dir(&self, group_id: &str, deployment_id: &str) -> PathBuf {
        self.deployment_dir(group_id, deployment_id)
            .join("deployment-archive")
    }

    /// A deployment's script log.
    pub fn scripts_log(&self, group_id: &str, deployment_id: &str) -> PathBuf {
        self.deployment_dir(group_id, deployment_id)
            .join("logs")
            .join("scripts.log")
    }

    /// The agent's instructions folder.
    pub fn instructions_dir(&self) -> PathBuf {
        self.dir.join("deployment-instructions")
    }

    /// A group's cleanup file: what its last install wrote.
    pub fn cleanup_file(&self, group_id: &str) -> PathBuf {
        self.instructions_dir().join(format!("{group_id}-cleanup"))
    }

    /// The file naming a group's last successful deployment's folder.
    pub fn last_successful_install(&self, group_id: &str) -> PathBuf {
        self.instructions_dir()
            .join(format!("{group_id}_last_successful_install"))
    }

    /// The file naming a group's most recent deployment's folder.
    pub fn most_recent_install(&self, group_id: &str) -> PathBuf {
        self.instructions_dir()
            .join(format!("{group_id}_most_recent_install"))
    }
}

/// The deployments of a group to delete, given them oldest first: all but
/// the newest `keep`, never the last successful one.
pub fn to_prune(
    oldest_first: &[String],
    keep: usize,
    last_successful: Option<&str>,
) -> Vec<String> {
    let excess = oldest_first.len().saturating_sub(keep);
    oldest_first
        .iter()
        .take(excess)
        .filter(|id| Some(id.as_str()) != last_successful)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests;
