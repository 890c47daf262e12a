//! The AppSpec linter: every problem of an `appspec.yml` (EC2/on-premises)
//! or of an ECS or Lambda AppSpec (YAML or JSON), each at its line with a
//! fix in plain words, before anything is uploaded.
//!
//! [`lint`] never stops at the first problem and never panics, whatever the
//! text. Errors are what CodeDeploy or its agent would refuse; warnings are
//! what is probably a mistake but would not fail a deployment. Only errors
//! block an upload ([`blocks_upload`]).
//!
//! The linter reads an AppSpec with the same reader as the parser the local
//! cloud's engine uses (`super::appspec::reader`), and reports each rule the
//! reader finds broken as an error, in its own words (`messages`): so it
//! blocks an upload whenever the agent would refuse the file. Its own checks
//! come on top: for EC2/on-premises (`server`) the bundle's files and
//! execute bits, absolute destinations, modes, `runas`, hooks that never run
//! for the [`LintPlatform`] and settings the agent ignores; for ECS and
//! Lambda (`resources`) the whole file, which the agent never reads.
//!
//! Each finding's line is found by [`line_of`], which follows the keys and
//! list items of the finding's path through the text by indentation.

use std::fmt;

use super::appspec::Violation;
use super::appspec::position::path_text;
pub use super::appspec::position::{Step, line_of};
use super::appspec::reader::{Read, read_root, read_version};
pub use super::bundle::BundleFiles;
pub use platform::{DeploymentStyle, ECS_HOOKS, LAMBDA_HOOKS, LintPlatform};

#[cfg(test)]
mod agreement_tests;
mod messages;
mod platform;
mod resources;
mod server;
#[cfg(test)]
mod tests;

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

/// Gathers findings with their lines.
struct Linter<'a> {
    /// The AppSpec's text.
    text: &'a str,
    /// What it is linted for.
    platform: LintPlatform,
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

    /// Records the violation of a rule the agent checks, as an error.
    fn violation(&mut self, violation: &Violation) {
        let (message, fix) = messages::wording(violation, self.platform);
        let line = match violation {
            // The YAML library may point just past the last line.
            Violation::Syntax { line, .. } => {
                line.map(|line| line.clamp(1, self.text.lines().count().max(1)))
            }
            _ => violation.line(self.text),
        };
        self.findings.push(Finding {
            severity: Severity::Error,
            line,
            field: path_text(&violation.path()),
            message,
            fix,
        });
    }

    /// The value `read` gives, or `None` with its violation recorded.
    fn read<'r, T>(&mut self, read: &'r Read<T>) -> Option<&'r T> {
        match read {
            Ok(value) => Some(value),
            Err(violation) => {
                self.violation(violation);
                None
            }
        }
    }
}

/// Lints the AppSpec `text` for `platform`, checking paths against the
/// bundle's `files`. Never panics; gives every problem found, section by
/// section as the file reads.
pub fn lint(text: &str, platform: LintPlatform, files: &BundleFiles) -> Vec<Finding> {
    let mut linter = Linter {
        text,
        platform,
        findings: Vec::new(),
    };
    let root = read_root(text);
    let Some(root) = linter.read(&root) else {
        return linter.findings;
    };
    linter.read(&read_version(root));
    match platform {
        LintPlatform::Server { .. } => server::lint(&mut linter, root, files),
        LintPlatform::Ecs | LintPlatform::Lambda => resources::lint(&mut linter, root, platform),
    }
    linter.findings
}
