//! The AppSpec linter: every problem of an `appspec.yml` (EC2/on-premises)
//! or of an ECS or Lambda AppSpec (YAML or JSON), each at its line with a
//! fix in plain words, before anything is uploaded.
//!
//! [`lint`] never stops at the first problem and never panics, whatever the
//! text. Errors are what CodeDeploy or its agent would refuse; warnings are
//! what is probably a mistake but would not fail a deployment. Only errors
//! block an upload ([`blocks_upload`]).
//!
//! The YAML library gives no positions for entries, so each finding's line
//! is found by [`line_of`], which follows the keys and list items of the
//! finding's path through the text by indentation.

use std::fmt;

use yaml_serde::{Mapping, Value};

use super::appspec::MAX_HOOK_TIMEOUT_SECONDS;
pub use super::bundle::BundleFiles;
use super::lifecycle::{InstanceRole, LifecycleEvent, events_for};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// CodeDeploy would refuse the revision or fail the deployment: the
    /// upload is blocked until it is fixed.
    Error,
    /// Probably a mistake, but the deployment would not fail because of it.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// How an EC2/on-premises deployment group deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeploymentStyle {
    /// The revision is installed on the group's own instances.
    #[default]
    InPlace,
    /// The revision is installed on replacement instances, then traffic
    /// moves to them.
    BlueGreen,
}

/// What the AppSpec is linted for: the application's compute platform and,
/// for EC2/on-premises, the deployment type (which decides which hooks
/// ever run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintPlatform {
    /// EC2 and on-premises instances.
    Server {
        /// In-place or blue/green.
        style: DeploymentStyle,
        /// Whether the group routes traffic through a load balancer (the
        /// traffic hooks of an in-place deployment run only then).
        load_balancer: bool,
    },
    /// Amazon ECS services.
    Ecs,
    /// AWS Lambda functions.
    Lambda,
}

impl LintPlatform {
    /// EC2/on-premises when the deployment type is not known yet: every
    /// hook an EC2/on-premises deployment can run is accepted.
    pub const SERVER: Self = Self::Server {
        style: DeploymentStyle::InPlace,
        load_balancer: true,
    };

    /// The hooks this platform runs, in the order they run.
    pub fn hook_names(self) -> Vec<&'static str> {
        match self {
            Self::Server { .. } => self
                .server_events()
                .into_iter()
                .map(LifecycleEvent::name)
                .collect(),
            Self::Ecs => ECS_HOOKS.to_vec(),
            Self::Lambda => LAMBDA_HOOKS.to_vec(),
        }
    }

    /// The scriptable events an EC2/on-premises deployment of this kind
    /// runs, in order; empty for ECS and Lambda.
    fn server_events(self) -> Vec<LifecycleEvent> {
        let Self::Server {
            style,
            load_balancer,
        } = self
        else {
            return Vec::new();
        };
        let mut events = match style {
            DeploymentStyle::InPlace => events_for(InstanceRole::InPlace, load_balancer),
            DeploymentStyle::BlueGreen => {
                let mut events = events_for(InstanceRole::Original, true);
                events.extend(events_for(InstanceRole::Replacement, true));
                events
            }
        };
        events.retain(|event| event.is_scriptable());
        events
    }

    /// The platform in words, for messages.
    fn label(self) -> &'static str {
        match self {
            Self::Server {
                style: DeploymentStyle::InPlace,
                load_balancer: false,
            } => "an in-place deployment without a load balancer",
            Self::Server {
                style: DeploymentStyle::InPlace,
                load_balancer: true,
            } => "an in-place EC2/on-premises deployment",
            Self::Server {
                style: DeploymentStyle::BlueGreen,
                ..
            } => "a blue/green EC2/on-premises deployment",
            Self::Ecs => "an Amazon ECS deployment",
            Self::Lambda => "an AWS Lambda deployment",
        }
    }
}

/// The hooks of an ECS AppSpec, in the order they run.
pub const ECS_HOOKS: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// The hooks of a Lambda AppSpec, in the order they run.
pub const LAMBDA_HOOKS: [&str; 2] = ["BeforeAllowTraffic", "AfterAllowTraffic"];

/// One problem of an AppSpec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Whether it blocks the upload.
    pub severity: Severity,
    /// The 1-based line it is on, when it can be placed.
    pub line: Option<usize>,
    /// The field it is about, as a path such as `hooks.AfterInstall[0].timeout`
    /// (empty for the file as a whole).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What to change, in plain words.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{}: {} {}", self.severity, self.message, self.fix)
    }
}

/// Whether any finding is an error, so the upload must wait for a fix.
pub fn blocks_upload(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|finding| finding.severity == Severity::Error)
}

/// One step of a path into an AppSpec: a mapping key or a list index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// The value of a key.
    Key(&'a str),
    /// The item of a list, from 0.
    Index(usize),
}

/// Writes a path as `hooks.AfterInstall[0].timeout`.
fn path_text(path: &[Step<'_>]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::Index(index) => {
                text.push('[');
                text.push_str(&index.to_string());
                text.push(']');
            }
        }
    }
    text
}

/// A line of the text with its indentation.
struct TextLine<'a> {
    /// Its 1-based number.
    number: usize,
    /// Spaces before its content.
    indent: usize,
    /// Its content after the indentation.
    content: &'a str,
}

impl TextLine<'_> {
    /// The content after any leading `- ` list markers, and the column it
    /// starts at.
    fn after_markers(&self) -> (usize, &str) {
        let mut column = self.indent;
        let mut content = self.content;
        loop {
            if let Some(rest) = content.strip_prefix("- ") {
                let trimmed = rest.trim_start_matches(' ');
                column += content.len() - trimmed.len();
                content = trimmed;
            } else if let Some(rest) = content.strip_prefix("{") {
                let trimmed = rest.trim_start();
                column += content.len() - trimmed.len();
                content = trimmed;
            } else {
                return (column, content);
            }
        }
    }

    /// Whether the line is a block list item (`- ...` or `-`).
    fn is_item(&self) -> bool {
        self.content == "-" || self.content.starts_with("- ")
    }

    /// The mapping key this line starts, if any (quotes removed).
    fn key(&self) -> Option<&str> {
        let (_, content) = self.after_markers();
        for quote in ['"', '\''] {
            if let Some(rest) = content.strip_prefix(quote) {
                let end = rest.find(quote)?;
                let after = rest[end + 1..].trim_start();
                return after.starts_with(':').then(|| &rest[..end]);
            }
        }
        let colon = content
            .match_indices(':')
            .map(|(at, _)| at)
            .find(|at| matches!(content[at + 1..].chars().next(), None | Some(' ' | '\t')))?;
        Some(content[..colon].trim_end())
    }
}

/// The lines of `text` that carry content (no blank lines, comments or
/// document markers).
fn content_lines(text: &str) -> Vec<TextLine<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let content = line.trim_start_matches(' ');
            let trimmed = content.trim();
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || trimmed == "---"
                || trimmed == "..."
            {
                return None;
            }
            Some(TextLine {
                number: index + 1,
                indent: line.len() - content.len(),
                content: content.trim_end(),
            })
        })
        .collect()
}

/// The 1-based line of the entry at `path` in the YAML (or JSON) `text`,
/// found by following keys and block list items by indentation. When the
/// path leads somewhere the text does not show (a flow list, a missing
/// key), it gives the line of the deepest step found; `None` when not even
/// the first step is found.
pub fn line_of(text: &str, path: &[Step<'_>]) -> Option<usize> {
    let lines = content_lines(text);
    let mut start = 0;
    let mut end = lines.len();
    let mut found = None;
    for step in path {
        let block = &lines[start..end];
        match step {
            Step::Key(key) => {
                let Some(column) = block.iter().map(|line| line.after_markers().0).min() else {
                    break;
                };
                let at = block
                    .iter()
                    .position(|line| line.after_markers().0 == column && line.key() == Some(key))
                    .or_else(|| block.iter().position(|line| line.key() == Some(key)));
                let Some(at) = at else { break };
                let line = &block[at];
                let key_column = line.after_markers().0;
                found = Some(line.number);
                let child_start = start + at + 1;
                let child_end = lines[child_start..end]
                    .iter()
                    .position(|next| {
                        next.indent < key_column || (next.indent == key_column && !next.is_item())
                    })
                    .map_or(end, |offset| child_start + offset);
                start = child_start;
                end = child_end;
            }
            Step::Index(index) => {
                // Block items (`- `) when there are any; otherwise flow or
                // JSON items: the lines at the block's indentation that do
                // not close a bracket.
                let block_items = block.iter().any(TextLine::is_item);
                let is_item = |line: &TextLine<'_>| {
                    if block_items {
                        line.is_item()
                    } else {
                        !line.content.starts_with(['}', ']'])
                    }
                };
                let Some(column) = block
                    .iter()
                    .filter(|line| is_item(line))
                    .map(|line| line.indent)
                    .min()
                else {
                    break;
                };
                let items: Vec<usize> = block
                    .iter()
                    .enumerate()
                    .filter(|(_, line)| is_item(line) && line.indent == column)
                    .map(|(at, _)| start + at)
                    .collect();
                let Some(&item) = items.get(*index) else {
                    break;
                };
                found = Some(lines[item].number);
                end = items.get(index + 1).copied().unwrap_or(end);
                start = item;
            }
        }
    }
    found
}

/// Gathers findings with their lines.
struct Linter<'a> {
    /// The AppSpec's text.
    text: &'a str,
    /// The findings so far.
    findings: Vec<Finding>,
}

impl Linter<'_> {
    /// Records a finding about `path`.
    fn add(
        &mut self,
        severity: Severity,
        path: &[Step<'_>],
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding {
            severity,
            line: line_of(self.text, path),
            field: path_text(path),
            message: message.into(),
            fix: fix.into(),
        });
    }

    /// Records an error about `path`.
    fn error(&mut self, path: &[Step<'_>], message: impl Into<String>, fix: impl Into<String>) {
        self.add(Severity::Error, path, message, fix);
    }

    /// Records a warning about `path`.
    fn warning(&mut self, path: &[Step<'_>], message: impl Into<String>, fix: impl Into<String>) {
        self.add(Severity::Warning, path, message, fix);
    }
}

/// A scalar as text (strings trimmed, numbers and booleans as written).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A value shown in a message.
fn shown(value: &Value) -> String {
    scalar(value).unwrap_or_else(|| match value {
        Value::Null => "nothing".to_owned(),
        Value::Sequence(_) => "a list".to_owned(),
        Value::Mapping(_) => "a mapping".to_owned(),
        _ => "a tagged value".to_owned(),
    })
}

/// Lints the AppSpec `text` for `platform`, checking paths against the
/// bundle's `files`. Never panics; gives every problem found, errors first
/// within each section as the file reads.
pub fn lint(text: &str, platform: LintPlatform, files: &BundleFiles) -> Vec<Finding> {
    let mut linter = Linter {
        text,
        findings: Vec::new(),
    };
    if text.trim().is_empty() {
        linter.error(
            &[],
            "The AppSpec file is empty.",
            "Write at least `version: 0.0` and, for EC2/on-premises, `os: linux` or `os: windows`.",
        );
        return linter.findings;
    }
    let value: Value = match yaml_serde::from_str(text) {
        Ok(value) => value,
        Err(problem) => {
            linter.findings.push(Finding {
                severity: Severity::Error,
                // The parser may point just past the last line.
                line: problem
                    .location()
                    .map(|location| location.line().clamp(1, text.lines().count().max(1))),
                field: String::new(),
                message: format!("The AppSpec file is not valid YAML or JSON: {problem}."),
                fix: "Fix the syntax at this line (indent with spaces, not tabs; put a space after each colon).".to_owned(),
            });
            return linter.findings;
        }
    };
    let Value::Mapping(root) = value else {
        linter.error(
            &[],
            format!(
                "The AppSpec file holds {} instead of a mapping of sections.",
                shown(&value)
            ),
            "Start the file with `version: 0.0` and put each section (os, files, hooks, ...) on its own line.",
        );
        return linter.findings;
    };
    lint_version(&mut linter, &root);
    match platform {
        LintPlatform::Server { .. } => lint_server(&mut linter, &root, platform, files),
        LintPlatform::Ecs | LintPlatform::Lambda => lint_resources(&mut linter, &root, platform),
    }
    linter.findings
}

/// `version` must be the number 0.0.
fn lint_version(linter: &mut Linter<'_>, root: &Mapping) {
    let path = [Step::Key("version")];
    match root.get("version") {
        None => linter.error(
            &[],
            "The AppSpec file has no version.",
            "Add `version: 0.0` as the first line.",
        ),
        Some(Value::Number(number)) if number.as_f64() == Some(0.0) => {}
        Some(Value::String(text)) if text.trim() == "0.0" => linter.error(
            &path,
            "The version is the text \"0.0\"; the CodeDeploy agent compares it with the number 0.0 and rejects text.",
            "Write `version: 0.0` without quotes.",
        ),
        Some(other) => linter.error(
            &path,
            format!(
                "The version is {}; the only AppSpec version is 0.0.",
                shown(other)
            ),
            "Write `version: 0.0`.",
        ),
    }
}

/// The top-level sections of an EC2/on-premises AppSpec.
const SERVER_SECTIONS: [&str; 6] = [
    "version",
    "os",
    "files",
    "permissions",
    "hooks",
    "file_exists_behavior",
];

/// Lints an EC2/on-premises AppSpec.
fn lint_server(
    linter: &mut Linter<'_>,
    root: &Mapping,
    platform: LintPlatform,
    files: &BundleFiles,
) {
    if root.get("Resources").is_some() {
        linter.error(
            &[Step::Key("Resources")],
            "This AppSpec has a Resources section, so it is for an ECS or Lambda application, not for EC2/on-premises instances.",
            "Pick an EC2/on-premises AppSpec (with os, files and hooks), or deploy this one to an ECS or Lambda application.",
        );
        return;
    }
    let os = lint_os(linter, root);
    for (key, _) in root {
        let name = shown(key);
        if !SERVER_SECTIONS.contains(&name.as_str()) {
            linter.warning(
                &[Step::Key(&name)],
                format!("\"{name}\" is not an AppSpec section; the agent ignores it."),
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
    if let Some(section) = root.get("files") {
        lint_files(linter, section, os, files);
    }
    if let Some(section) = root.get("permissions") {
        lint_permissions(linter, section, os);
    }
    if let Some(section) = root.get("hooks") {
        lint_server_hooks(linter, section, os, platform, files);
    }
}

/// `os` must be linux or windows; gives it when it is.
fn lint_os(linter: &mut Linter<'_>, root: &Mapping) -> Option<super::appspec::Os> {
    use super::appspec::Os;
    match root.get("os").map(shown).as_deref() {
        Some("linux") => Some(Os::Linux),
        Some("windows") => Some(Os::Windows),
        None => {
            linter.error(
                &[],
                "The AppSpec file does not say which operating system it is for.",
                "Add `os: linux` or `os: windows` after the version.",
            );
            None
        }
        Some(other) => {
            linter.error(
                &[Step::Key("os")],
                format!("The os is {other}; CodeDeploy supports only linux and windows."),
                "Write `os: linux` (Amazon Linux, Ubuntu, RHEL) or `os: windows` (Windows Server).",
            );
            None
        }
    }
}

/// Whether `destination` is an absolute path on `os`.
fn is_absolute(destination: &str, os: Option<super::appspec::Os>) -> bool {
    use super::appspec::Os;
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
    section: &Value,
    os: Option<super::appspec::Os>,
    files: &BundleFiles,
) {
    use super::appspec::Os;
    let Value::Sequence(entries) = section else {
        if !section.is_null() {
            linter.error(
                &[Step::Key("files")],
                "The files section is not a list.",
                "Write each file as a list item: `- source: /` then `destination: /path/on/instance` on the next line.",
            );
        }
        return;
    };
    for (index, entry) in entries.iter().enumerate() {
        let here = [Step::Key("files"), Step::Index(index)];
        let Value::Mapping(entry) = entry else {
            linter.error(
                &here,
                format!("Files entry {} is not a source and destination.", index + 1),
                "Give it as `- source: <path in the bundle>` with `destination: <absolute path>` below it.",
            );
            continue;
        };
        match entry.get("source").map(shown) {
            None => linter.error(
                &here,
                format!("Files entry {} has no source.", index + 1),
                "Add `source:` with a path in the bundle (`/` for all of it).",
            ),
            Some(source) => {
                if files.contains(&source) == Some(false) {
                    linter.error(
                        &[Step::Key("files"), Step::Index(index), Step::Key("source")],
                        format!("The source {source} is not in the bundle."),
                        "Correct the path (it is relative to the bundle's root), or add the file or folder to the bundle.",
                    );
                }
            }
        }
        match entry.get("destination").map(shown) {
            None => linter.error(
                &here,
                format!("Files entry {} has no destination.", index + 1),
                "Add `destination:` with the absolute path on the instance the files go to.",
            ),
            Some(destination) if !is_absolute(&destination, os) => linter.error(
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
            ),
            Some(_) => {}
        }
    }
}

/// The keys a `permissions` entry may have.
const PERMISSION_KEYS: [&str; 9] = [
    "object", "pattern", "except", "owner", "group", "mode", "acls", "context", "type",
];

/// The `permissions` section: Linux only, each entry with an object, an
/// octal mode and known types.
fn lint_permissions(linter: &mut Linter<'_>, section: &Value, os: Option<super::appspec::Os>) {
    use super::appspec::Os;
    let path = [Step::Key("permissions")];
    if os == Some(Os::Windows) && !section.is_null() {
        linter.error(
            &path,
            "Permissions apply only to Linux instances, and this AppSpec is for Windows.",
            "Remove the permissions section, or set `os: linux` if the instances run Linux.",
        );
        return;
    }
    let Value::Sequence(entries) = section else {
        if !section.is_null() {
            linter.error(
                &path,
                "The permissions section is not a list.",
                "Write each permission as a list item starting with `- object: /path/on/instance`.",
            );
        }
        return;
    };
    for (index, entry) in entries.iter().enumerate() {
        let here = [Step::Key("permissions"), Step::Index(index)];
        let Value::Mapping(entry) = entry else {
            linter.error(
                &here,
                format!("Permission {} is not a mapping.", index + 1),
                "Give it as `- object: /path` with owner, group or mode below it.",
            );
            continue;
        };
        if entry
            .get("object")
            .and_then(scalar)
            .is_none_or(|object| object.is_empty())
        {
            linter.error(
                &here,
                format!("Permission {} has no object.", index + 1),
                "Add `object:` with the file or folder on the instance it applies to.",
            );
        }
        for (key, _) in entry {
            let key = shown(key);
            if !PERMISSION_KEYS.contains(&key.as_str()) {
                linter.warning(
                    &[
                        Step::Key("permissions"),
                        Step::Index(index),
                        Step::Key(&key),
                    ],
                    format!("\"{key}\" is not a permissions setting; the agent ignores it."),
                    format!("Use one of: {}.", PERMISSION_KEYS.join(", ")),
                );
            }
        }
        if let Some(mode) = entry.get("mode") {
            let text = shown(mode);
            let octal =
                (3..=4).contains(&text.len()) && text.chars().all(|c| ('0'..='7').contains(&c));
            if !octal {
                linter.error(
                    &[
                        Step::Key("permissions"),
                        Step::Index(index),
                        Step::Key("mode"),
                    ],
                    format!("The mode {text} is not an octal file mode."),
                    "Write three or four octal digits, such as 644 or 0755.",
                );
            }
        }
        if let Some(kinds) = entry.get("type") {
            let valid = kinds.as_sequence().is_some_and(|kinds| {
                kinds
                    .iter()
                    .all(|kind| matches!(kind.as_str(), Some("file" | "directory")))
            });
            if !valid {
                linter.error(
                    &[
                        Step::Key("permissions"),
                        Step::Index(index),
                        Step::Key("type"),
                    ],
                    "The type of a permission must be a list of file and/or directory.",
                    "Write `type:` followed by `- file` and/or `- directory`.",
                );
            }
        }
    }
}

/// The keys a hook script may have.
const SCRIPT_KEYS: [&str; 3] = ["location", "timeout", "runas"];

/// The `hooks` section of an EC2/on-premises AppSpec.
fn lint_server_hooks(
    linter: &mut Linter<'_>,
    section: &Value,
    os: Option<super::appspec::Os>,
    platform: LintPlatform,
    files: &BundleFiles,
) {
    let Value::Mapping(hooks) = section else {
        if !section.is_null() {
            linter.error(
                &[Step::Key("hooks")],
                "The hooks section is not a mapping of lifecycle events to scripts.",
                "Write each event on its own line (such as `AfterInstall:`) with its scripts as a list below it.",
            );
        }
        return;
    };
    let runs = platform.server_events();
    let valid = platform.hook_names().join(", ");
    for (name, scripts) in hooks {
        let name = shown(name);
        let hook_path = [Step::Key("hooks"), Step::Key(&name)];
        match name.parse::<LifecycleEvent>() {
            Ok(event) if event.is_scriptable() => {
                if !runs.contains(&event) {
                    linter.warning(
                        &hook_path,
                        format!("The {name} hook never runs in {}.", platform.label()),
                        format!("Remove it, or move its scripts to a hook that runs: {valid}."),
                    );
                }
            }
            Ok(_) => linter.error(
                &hook_path,
                format!("{name} is run by CodeDeploy itself; it cannot run scripts."),
                format!("Move its scripts to one of: {valid}."),
            ),
            Err(_) => linter.error(
                &hook_path,
                format!("{name} is not a lifecycle event of an EC2/on-premises deployment."),
                format!("Use one of: {valid}."),
            ),
        }
        lint_scripts(linter, &name, scripts, os, files);
    }
}

/// The scripts of one EC2/on-premises hook.
fn lint_scripts(
    linter: &mut Linter<'_>,
    name: &str,
    scripts: &Value,
    os: Option<super::appspec::Os>,
    files: &BundleFiles,
) {
    use super::appspec::Os;
    let hook_path = [Step::Key("hooks"), Step::Key(name)];
    let scripts = match scripts {
        Value::Null => {
            linter.warning(
                &hook_path,
                format!("The {name} hook lists no scripts."),
                "Add `- location: scripts/<file>` below it, or remove the hook.",
            );
            return;
        }
        Value::Sequence(scripts) => scripts,
        _ => {
            linter.error(
                &hook_path,
                format!("The {name} hook is not a list of scripts."),
                "Write each script as a list item: `- location: scripts/<file>`.",
            );
            return;
        }
    };
    let mut total: u64 = 0;
    for (index, script) in scripts.iter().enumerate() {
        let here = [Step::Key("hooks"), Step::Key(name), Step::Index(index)];
        let field = |key| {
            [
                Step::Key("hooks"),
                Step::Key(name),
                Step::Index(index),
                Step::Key(key),
            ]
        };
        let Value::Mapping(script) = script else {
            linter.error(
                &here,
                format!("Script {} of the {name} hook is not a mapping.", index + 1),
                "Write it as `- location: scripts/<file>` with timeout and runas below it.",
            );
            continue;
        };
        match script.get("location").and_then(scalar) {
            Some(location) if !location.is_empty() => {
                lint_location(linter, &field("location"), &location, os, files);
            }
            _ => linter.error(
                &here,
                format!("Script {} of the {name} hook has no location.", index + 1),
                "Add `location:` with the script's path in the bundle, such as scripts/start.sh.",
            ),
        }
        if let Some(timeout) = script.get("timeout").filter(|value| !value.is_null()) {
            let seconds = match timeout {
                Value::Number(number) => number.as_u64(),
                Value::String(text) => text.trim().parse::<u64>().ok(),
                _ => None,
            };
            match seconds {
                Some(seconds @ 1..=3600) => total += seconds,
                _ => linter.error(
                    &field("timeout"),
                    format!("The timeout {} is not a whole number of seconds from 1 to {MAX_HOOK_TIMEOUT_SECONDS}.", shown(timeout)),
                    format!("Write a timeout from 1 to {MAX_HOOK_TIMEOUT_SECONDS} seconds, or leave it out."),
                ),
            }
        }
        if let Some(runas) = script.get("runas") {
            if os == Some(Os::Windows) {
                linter.error(
                    &field("runas"),
                    "runas applies only to Linux instances; Windows runs scripts as the agent's user.",
                    "Remove runas, or set `os: linux` if the instances run Linux.",
                );
            } else if scalar(runas)
                .is_none_or(|user| user.is_empty() || user.contains(char::is_whitespace))
            {
                linter.error(
                    &field("runas"),
                    format!("runas is {}, which is not a user name.", shown(runas)),
                    "Write the name of a user on the instance, such as root or ec2-user.",
                );
            }
        }
        for (key, _) in script {
            let key = shown(key);
            if !SCRIPT_KEYS.contains(&key.as_str()) {
                linter.warning(
                    &[
                        Step::Key("hooks"),
                        Step::Key(name),
                        Step::Index(index),
                        Step::Key(&key),
                    ],
                    format!("\"{key}\" is not a hook script setting; the agent ignores it."),
                    "Use location, timeout and runas only.",
                );
            }
        }
    }
    if total > u64::from(MAX_HOOK_TIMEOUT_SECONDS) {
        linter.error(
            &hook_path,
            format!("The timeouts of the {name} hook add up to {total} seconds, more than the {MAX_HOOK_TIMEOUT_SECONDS} one lifecycle event may take."),
            format!("Lower the timeouts so that they add up to at most {MAX_HOOK_TIMEOUT_SECONDS} seconds."),
        );
    }
}

/// A hook script's `location`: a file of the bundle with an execute bit.
fn lint_location(
    linter: &mut Linter<'_>,
    path: &[Step<'_>],
    location: &str,
    os: Option<super::appspec::Os>,
    files: &BundleFiles,
) {
    use super::appspec::Os;
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

/// Lints an ECS or Lambda AppSpec: its Resources and Hooks.
fn lint_resources(linter: &mut Linter<'_>, root: &Mapping, platform: LintPlatform) {
    let (resource_type, what) = if platform == LintPlatform::Ecs {
        (
            "AWS::ECS::Service",
            "the ECS service to deploy (TargetService)",
        )
    } else {
        ("AWS::Lambda::Function", "the Lambda function to deploy")
    };
    for (key, _) in root {
        let key = shown(key);
        if !["version", "Resources", "Hooks"].contains(&key.as_str()) {
            let hint = if ["os", "files", "hooks", "permissions"].contains(&key.as_str()) {
                format!(
                    "\"{key}\" belongs to EC2/on-premises AppSpecs; {} AppSpecs have only version, Resources and Hooks.",
                    platform_name(platform)
                )
            } else {
                format!(
                    "\"{key}\" is not a section of {} AppSpec; it is ignored.",
                    article_name(platform)
                )
            };
            linter.warning(
                &[Step::Key(&key)],
                hint,
                "Remove it; use version, Resources and Hooks.",
            );
        }
    }
    match root.get("Resources") {
        None => linter.error(
            &[],
            format!("The AppSpec has no Resources section naming {what}."),
            format!("Add `Resources:` with one item of Type {resource_type}."),
        ),
        Some(Value::Sequence(resources)) => {
            if resources.is_empty() {
                linter.error(
                    &[Step::Key("Resources")],
                    format!("The Resources section is empty; it must name {what}."),
                    format!("Add one item of Type {resource_type}."),
                );
            } else if resources.len() > 1 {
                linter.error(
                    &[Step::Key("Resources"), Step::Index(1)],
                    format!("The Resources section lists {} resources; a deployment updates exactly one.", resources.len()),
                    "Keep one resource and deploy the others with their own applications.",
                );
            }
            for (index, resource) in resources.iter().enumerate() {
                lint_resource(linter, index, resource, platform);
            }
        }
        Some(_) => linter.error(
            &[Step::Key("Resources")],
            "The Resources section is not a list.",
            format!("Write it as a list with one item: `- TargetService:` (or your resource's name) with Type {resource_type} below it."),
        ),
    }
    if let Some(hooks) = root.get("Hooks") {
        lint_resource_hooks(linter, hooks, platform);
    }
}

/// "ECS" or "Lambda".
fn platform_name(platform: LintPlatform) -> &'static str {
    if platform == LintPlatform::Ecs {
        "ECS"
    } else {
        "Lambda"
    }
}

/// "an ECS" or "a Lambda".
fn article_name(platform: LintPlatform) -> &'static str {
    if platform == LintPlatform::Ecs {
        "an ECS"
    } else {
        "a Lambda"
    }
}

/// One item of Resources: `<name>: {Type, Properties}`.
fn lint_resource(linter: &mut Linter<'_>, index: usize, resource: &Value, platform: LintPlatform) {
    let here = [Step::Key("Resources"), Step::Index(index)];
    let named = resource.as_mapping().filter(|mapping| mapping.len() == 1);
    let Some((name, body)) = named.and_then(|mapping| mapping.iter().next()) else {
        linter.error(
            &here,
            format!("Resource {} is not a single named resource.", index + 1),
            "Write it as `- TargetService:` (any name) with Type and Properties indented below it.",
        );
        return;
    };
    let name = shown(name);
    let base = [Step::Key("Resources"), Step::Index(index), Step::Key(&name)];
    let Value::Mapping(body) = body else {
        linter.error(
            &base,
            format!("The resource {name} has no Type and Properties."),
            "Indent `Type:` and `Properties:` below the resource's name.",
        );
        return;
    };
    let expected = if platform == LintPlatform::Ecs {
        "AWS::ECS::Service"
    } else {
        "AWS::Lambda::Function"
    };
    let with = |key: &'static str| {
        let mut path = base.to_vec();
        path.push(Step::Key(key));
        path
    };
    match body.get("Type").map(shown) {
        Some(kind) if kind == expected => {}
        Some(kind) => linter.error(
            &with("Type"),
            format!(
                "The resource {name} has Type {kind}, but {} deployment needs {expected}.",
                article_name(platform)
            ),
            format!("Write `Type: {expected}`."),
        ),
        None => linter.error(
            &base,
            format!("The resource {name} has no Type."),
            format!("Add `Type: {expected}`."),
        ),
    }
    let Some(Value::Mapping(properties)) = body.get("Properties") else {
        linter.error(
            &base,
            format!("The resource {name} has no Properties."),
            if platform == LintPlatform::Ecs {
                "Add Properties with TaskDefinition and LoadBalancerInfo (ContainerName, ContainerPort)."
            } else {
                "Add Properties with Name, Alias, CurrentVersion and TargetVersion."
            },
        );
        return;
    };
    let property = |key: &'static str| {
        let mut path = base.to_vec();
        path.push(Step::Key("Properties"));
        path.push(Step::Key(key));
        path
    };
    let properties_path = with("Properties");
    let text_of = |key: &str| {
        properties
            .get(key)
            .and_then(scalar)
            .filter(|text| !text.is_empty())
    };
    if platform == LintPlatform::Ecs {
        if text_of("TaskDefinition").is_none() {
            linter.error(
                &properties_path,
                format!("The resource {name} names no TaskDefinition."),
                "Add `TaskDefinition:` with the ARN of the task definition to deploy.",
            );
        }
        match properties.get("LoadBalancerInfo") {
            Some(Value::Mapping(info)) => {
                let info_path = property("LoadBalancerInfo");
                if info.get("ContainerName").and_then(scalar).is_none_or(|text| text.is_empty()) {
                    linter.error(
                        &info_path,
                        "LoadBalancerInfo names no ContainerName (the container that receives traffic, the target group's target).",
                        "Add `ContainerName:` with the container's name from the task definition.",
                    );
                }
                let port = info.get("ContainerPort").and_then(|port| match port {
                    Value::Number(number) => number.as_u64(),
                    Value::String(text) => text.trim().parse().ok(),
                    _ => None,
                });
                if !port.is_some_and(|port| (1..=65_535).contains(&port)) {
                    linter.error(
                        &info_path,
                        "LoadBalancerInfo has no ContainerPort from 1 to 65535.",
                        "Add `ContainerPort:` with the port the container listens on, such as 80.",
                    );
                }
            }
            _ => linter.error(
                &properties_path,
                format!("The resource {name} has no LoadBalancerInfo, so CodeDeploy cannot tell which container the target group sends traffic to."),
                "Add LoadBalancerInfo with ContainerName and ContainerPort.",
            ),
        }
    } else {
        for key in ["Name", "Alias", "CurrentVersion", "TargetVersion"] {
            if text_of(key).is_none() {
                linter.error(
                    &properties_path,
                    format!("The resource {name} has no {key}."),
                    match key {
                        "Name" => "Add `Name:` with the Lambda function's name.",
                        "Alias" => {
                            "Add `Alias:` with the alias whose traffic shifts, such as live."
                        }
                        "CurrentVersion" => {
                            "Add `CurrentVersion:` with the version the alias points to now."
                        }
                        _ => "Add `TargetVersion:` with the version to shift traffic to.",
                    },
                );
            }
        }
        if let (Some(current), Some(target)) = (text_of("CurrentVersion"), text_of("TargetVersion"))
            && current == target
        {
            linter.error(
                &property("TargetVersion"),
                format!("CurrentVersion and TargetVersion are both {current}, so no traffic would shift."),
                "Set TargetVersion to the newly published version.",
            );
        }
    }
}

/// The Hooks of an ECS or Lambda AppSpec: a list of `Event: function`.
fn lint_resource_hooks(linter: &mut Linter<'_>, hooks: &Value, platform: LintPlatform) {
    let valid = platform.hook_names();
    let Value::Sequence(hooks) = hooks else {
        if !hooks.is_null() {
            linter.error(
                &[Step::Key("Hooks")],
                "The Hooks section is not a list.",
                "Write each hook as a list item: `- BeforeAllowTraffic: <Lambda function name or ARN>`.",
            );
        }
        return;
    };
    for (index, hook) in hooks.iter().enumerate() {
        let here = [Step::Key("Hooks"), Step::Index(index)];
        let Some((name, function)) = hook
            .as_mapping()
            .filter(|mapping| mapping.len() == 1)
            .and_then(|mapping| mapping.iter().next())
        else {
            linter.error(
                &here,
                format!("Hook {} is not one event with its function.", index + 1),
                "Write it as `- BeforeAllowTraffic: <Lambda function name or ARN>`.",
            );
            continue;
        };
        let name = shown(name);
        if !valid.contains(&name.as_str()) {
            linter.error(
                &here,
                format!("{name} is not a hook of {}.", platform.label()),
                format!("Use one of: {}.", valid.join(", ")),
            );
        }
        if scalar(function).is_none_or(|function| function.is_empty()) {
            linter.error(
                &here,
                format!("The {name} hook names no Lambda function."),
                "Give the name or ARN of the Lambda function that validates this step.",
            );
        }
    }
}

#[cfg(test)]
mod tests {
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
        let text = include_str!("../../assets/sample-app/appspec.yml");
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
        let text = "version: 0.0\nos: windows\nfiles:\n  - source: index.html\n    destination: /inetpub\n";
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
        assert!(!blocks_upload(&[finding]));
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
        let windows = "version: 0.0\nos: windows\nhooks:\n  AfterInstall:\n    - location: scripts/readme.txt\n";
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
            .replace("        TaskDefinition: arn:aws:ecs:us-east-1:111122223333:task-definition/web:3\n", "")
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
    fn lines_follow_keys_and_items_by_indentation() {
        let text = "a:\n  - x: 1\n    y: 2\n  - x: 3\n    # comment\n    y: 4\nb:\n  y: 5\n";
        assert_eq!(line_of(text, &[Step::Key("a")]), Some(1));
        assert_eq!(
            line_of(text, &[Step::Key("a"), Step::Index(1), Step::Key("y")]),
            Some(6)
        );
        assert_eq!(
            line_of(text, &[Step::Key("a"), Step::Index(0), Step::Key("y")]),
            Some(3)
        );
        assert_eq!(line_of(text, &[Step::Key("b"), Step::Key("y")]), Some(8));
        // A missing step gives the deepest line found.
        assert_eq!(line_of(text, &[Step::Key("b"), Step::Key("z")]), Some(7));
        assert_eq!(line_of(text, &[Step::Key("c")]), None);
        // Lists at the same indentation as their key.
        let flat = "files:\n- source: a\n  destination: b\n- source: c\n";
        assert_eq!(
            line_of(
                flat,
                &[Step::Key("files"), Step::Index(1), Step::Key("source")]
            ),
            Some(4)
        );
        // Quoted keys, as in JSON.
        assert_eq!(
            line_of(
                "{\n  \"x\": {\n    \"y\": 1\n  }\n}",
                &[Step::Key("x"), Step::Key("y")]
            ),
            Some(3)
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
        let line =
            (0_usize..8, any::<bool>(), key, value).prop_map(|(indent, item, key, value)| {
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
}
