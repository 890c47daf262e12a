//! `deploydesk run-local PATH`: a bundle deployed on this machine, each
//! event printed as it ends.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cloud::s3;
use crate::cloud::session::Session;
use crate::domain::local_run::{BundleOrigin, FileExistsBehavior};
use crate::settings::BackendChoice;

use super::{Cancel, EventReport, EventStatus, RunRequest, run};

/// The group a run belongs to when none is named, as `codedeploy-local`
/// names it.
const DEFAULT_GROUP_NAME: &str = "LocalFleet";
/// The ID of that group's folder in the deployment root.
const DEFAULT_GROUP_ID: &str = "default-local-deployment-group";

/// The arguments of `deploydesk run-local`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunLocalArgs {
    /// The bundle: a folder, a .zip, .tar or .tar.gz file, or
    /// s3://bucket/key in the account chosen (--profile and --region, or
    /// --endpoint-url, or the account the app used last).
    #[arg(value_name = "PATH")]
    #[allow(clippy::doc_markdown)] // The text is the command's help, shown as written.
    pub path: PathBuf,
    /// The instance's folder, which its scripts see as `/`. Defaults to
    /// `local-instance` in the app's data folder.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The deployment group's name (`DEPLOYMENT_GROUP_NAME`); runs in the same
    /// group find the revision deployed before.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// What to do with a file already at a destination that the last
    /// install did not write.
    #[arg(long, value_name = "DISALLOW|OVERWRITE|RETAIN", default_value = "DISALLOW", value_parser = parse_behavior)]
    pub file_exists_behavior: FileExistsBehavior,
    /// Go on when the previous revision's `ApplicationStop` scripts fail.
    #[arg(long)]
    pub ignore_application_stop_failures: bool,
    /// Where the bundle came from, for the hooks' bundle variables.
    #[arg(skip)]
    pub origin: BundleOrigin,
}

fn parse_behavior(text: &str) -> Result<FileExistsBehavior, String> {
    text.parse()
}

/// Runs the command with a bundle in S3 downloaded first from `backend`'s
/// account; a local path runs as it is. Returns the exit code, as
/// [`run_local`] does.
pub fn run_local_from(args: &RunLocalArgs, backend: Option<&BackendChoice>) -> i32 {
    let Some((bucket, key)) = args.path.to_str().and_then(s3::parse_s3_address) else {
        return run_local(args);
    };
    let backend = match backend {
        Some(BackendChoice::Demo) | None => {
            to_stderr(&format!(
                "s3://{bucket}/{key} is read from an AWS account: give --profile and --region, or --endpoint-url. The demo account's S3 lives inside the running app."
            ));
            return 2;
        }
        Some(backend) => backend,
    };
    let folder = match tempfile::tempdir() {
        Ok(folder) => folder,
        Err(error) => {
            to_stderr(&format!(
                "Could not make a temporary folder for the bundle: {error}."
            ));
            return 2;
        }
    };
    let file_name = key.rsplit('/').next().unwrap_or("bundle.zip");
    let file = folder.path().join(file_name);
    println!("Downloading s3://{bucket}/{key}");
    let downloaded = tokio::runtime::Runtime::new()
        .map_err(|error| error.to_string())
        .and_then(|runtime| {
            runtime.block_on(async {
                let session = Session::connect(backend)
                    .await
                    .map_err(|error| error.to_string())?;
                s3::download(&session, &bucket, &key, &file)
                    .await
                    .map_err(|error| error.to_string())
            })
        });
    let etag = match downloaded {
        Ok(etag) => etag,
        Err(error) => {
            to_stderr(&format!("Could not download s3://{bucket}/{key}: {error}"));
            return 2;
        }
    };
    let mut local = args.clone();
    local.path = file;
    local.origin = BundleOrigin::S3 {
        bucket,
        key,
        version: None,
        etag,
    };
    run_local(&local)
}

/// Runs the command; returns the process's exit code: 0 when every event
/// succeeded, 1 when one failed, 2 when the run could not start.
pub fn run_local(args: &RunLocalArgs) -> i32 {
    let instance_root = args
        .root
        .clone()
        .unwrap_or_else(|| crate::cloud::sample::sample_parent().join("local-instance"));
    let (group_name, group_id) = match &args.group {
        Some(name) => (name.clone(), folder_name(name)),
        None => (DEFAULT_GROUP_NAME.to_owned(), DEFAULT_GROUP_ID.to_owned()),
    };
    let request = RunRequest {
        application_name: application_name(&args.path),
        bundle: args.path.clone(),
        instance_root,
        group_name,
        group_id,
        file_exists_behavior: args.file_exists_behavior,
        deployment_id: None,
        origin: args.origin.clone(),
        ignore_application_stop_failures: args.ignore_application_stop_failures,
        cancel: Cancel::default(),
    };
    println!(
        "Deploying {} to the instance folder {}",
        request.bundle.display(),
        request.instance_root.display()
    );
    let outcome = run(&request, &mut |event| println!("{}", event_line(event)));
    match outcome {
        Ok(report) => {
            println!("Deployment {}", report.deployment_id);
            match report.failure() {
                None => {
                    println!("Succeeded");
                    0
                }
                Some(failed) => {
                    to_stderr(&failure_text(failed));
                    1
                }
            }
        }
        Err(error) => {
            to_stderr(&error.to_string());
            2
        }
    }
}

/// One line per event, with its notes below it.
pub fn event_line(event: &EventReport) -> String {
    let mut line = format!(
        "{} … {} ({:.1} s)",
        event.event.name(),
        event.status.name(),
        event.duration.as_secs_f64()
    );
    for note in &event.notes {
        line.push_str("\n  note: ");
        line.push_str(note);
    }
    line
}

/// What failed and the failing script's log tail.
pub fn failure_text(event: &EventReport) -> String {
    let mut text = format!("{} failed", event.event.name());
    if let Some(message) = &event.message {
        let _ = write!(text, ": {message}");
    }
    if let Some(diagnostics) = &event.diagnostics
        && event.status == EventStatus::Failed
    {
        let _ = write!(
            text,
            "\nerrorCode: {}\nscriptName: {}\nmessage: {}\nlogTail:\n{}",
            diagnostics.error_code,
            diagnostics.script_name,
            diagnostics.message,
            diagnostics.log_tail
        );
    }
    text
}

/// The application's name: the bundle's file or folder name without its
/// archive extension.
fn application_name(path: &Path) -> String {
    let name = path.file_name().map_or_else(
        || "local".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    [".tar.gz", ".tgz", ".zip", ".tar"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .map_or(name.clone(), str::to_owned)
}

/// A group name as a folder name: letters, digits, `-`, `_` and `.` kept,
/// anything else made `-`, and never `.` first (so never `..`).
fn folder_name(name: &str) -> String {
    let name = name
        .strip_prefix('.')
        .map_or(name.to_owned(), |rest| format!("-{rest}"));
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Writes a line to standard error (the failure and its log tail).
fn to_stderr(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
