//! Runs a revision on this machine the way the CodeDeploy agent runs it on
//! an instance: the bundle is unpacked into the agent's deployment root,
//! the `files` section copied with the chosen `file_exists_behavior`, the
//! `permissions` applied, and every hook run for real, with its timeout,
//! inside a [`sandbox::Sandbox`] whose `/` is the instance's folder. The
//! rules come from [`crate::domain::local_run`]; this module does the I/O.

pub mod cli;
mod hooks;
mod permissions;
pub mod sandbox;
mod session;
mod unpack;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::cloud::bundle::{self, BundleError, BundleSource};
use crate::domain::appspec::{self, AppSpec};
use crate::domain::lifecycle::{InstanceRole, LifecycleEvent, events_for};
use crate::domain::local_run::{
    self, BundleOrigin, DeploymentRoot, FileExistsBehavior, InstallStep, MAX_REVISIONS,
    RunIdentity, ScriptDiagnostics,
};

pub use sandbox::{Sandbox, SandboxError};

/// What to run where.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The bundle: a folder, or a `.zip`, `.tar` or `.tar.gz` file.
    pub bundle: PathBuf,
    /// The instance's folder: the `/` its scripts see.
    pub instance_root: PathBuf,
    /// The application's name.
    pub application_name: String,
    /// The deployment group's name.
    pub group_name: String,
    /// The deployment group's ID (names its folder in the deployment root).
    pub group_id: String,
    /// What to do with files already in the way.
    pub file_exists_behavior: FileExistsBehavior,
    /// The deployment's ID, when a deployment that exists elsewhere (the
    /// local cloud's) runs here; a new one is made when `None`.
    pub deployment_id: Option<String>,
    /// Where the bundle came from, for the hooks' bundle variables.
    pub origin: BundleOrigin,
    /// Whether a failing `ApplicationStop` script lets the deployment go
    /// on, as the deployment's `ignoreApplicationStopFailures` asks.
    pub ignore_application_stop_failures: bool,
    /// Stops the run: the script running is killed and no event starts
    /// after it.
    pub cancel: Cancel,
}

/// Asks a run to stop, from another thread. Clones share one flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Stops the run: its script is killed and nothing more starts.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the run was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// It ran to the end.
    Succeeded,
    /// It failed; the deployment stops.
    Failed,
    /// An earlier event failed, so it did not run.
    Skipped,
}

impl EventStatus {
    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Skipped => "Skipped",
        }
    }
}

/// One event of a run, once it has ended.
#[derive(Debug, Clone)]
pub struct EventReport {
    /// The event.
    pub event: LifecycleEvent,
    /// How it ended.
    pub status: EventStatus,
    /// How long it took.
    pub duration: Duration,
    /// The diagnostics of its last script, when it ran scripts.
    pub diagnostics: Option<ScriptDiagnostics>,
    /// Why it failed, when it failed without a script (Install, an
    /// unreadable bundle).
    pub message: Option<String>,
    /// What the runner did differently from an instance, such as an owner
    /// it may not set.
    pub notes: Vec<String>,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The deployment's ID.
    pub deployment_id: String,
    /// Its events, in order.
    pub events: Vec<EventReport>,
}

impl RunReport {
    /// Whether every event succeeded.
    pub fn succeeded(&self) -> bool {
        self.events
            .iter()
            .all(|event| event.status == EventStatus::Succeeded)
    }

    /// The event that failed, if one did.
    pub fn failure(&self) -> Option<&EventReport> {
        self.events
            .iter()
            .find(|event| event.status == EventStatus::Failed)
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No sandbox can be made; nothing ran.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The bundle cannot be used.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The instance's folder cannot be prepared.
    #[error("Could not prepare the instance folder {}: {detail}. Check that it is writable.", .path.display())]
    Instance {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
}

/// Runs `request`'s bundle on its instance, calling `on_event` as each
/// event ends. A failing event ends the run with the rest skipped; the
/// report says which and why.
pub fn run(
    request: &RunRequest,
    on_event: &mut dyn FnMut(&EventReport),
) -> Result<RunReport, RunError> {
    let source = BundleSource::from_path(&request.bundle)?;
    bundle::scan(&source)?;
    sandbox::installed()?;
    let instance = prepare_instance(&request.instance_root)?;
    let sandbox = Sandbox::new(&instance)?;
    let root = DeploymentRoot::of_instance(&instance);
    let deployment_id = request
        .deployment_id
        .clone()
        .unwrap_or_else(new_deployment_id);
    let group = request.group_id.as_str();
    let deployment_dir = root.deployment_dir(group, &deployment_id);
    let current = HookPlace::of(&root, group, &deployment_id);
    let archive_dir = &current.archive_dir;
    for dir in [archive_dir, &root.instructions_dir()] {
        fs::create_dir_all(dir).map_err(|error| instance_error(dir, &error))?;
    }
    let _ = fs::write(
        root.most_recent_install(group),
        deployment_dir.to_string_lossy().as_bytes(),
    );
    let previous = previous_revision(&root, group);
    let identity = RunIdentity {
        deployment_id: deployment_id.clone(),
        application_name: request.application_name.clone(),
        deployment_group_name: request.group_name.clone(),
        deployment_group_id: request.group_id.clone(),
        origin: request.origin.clone(),
    };
    let mut run = Run {
        instance: &instance,
        sandbox: &sandbox,
        identity: &identity,
        events: Vec::new(),
        on_event,
        cancel: &request.cancel,
        session: None,
    };

    // ApplicationStop runs the scripts of the revision deployed before,
    // from its folder and into its log, as the agent does.
    let stop_scripts = previous.as_ref().map(|(id, spec)| {
        (
            HookPlace::of(&root, group, id),
            spec.scripts_for(LifecycleEvent::ApplicationStop).to_vec(),
        )
    });
    if run.stopped(LifecycleEvent::ApplicationStop) {
        return Ok(run.finish(
            deployment_id,
            &events_after(LifecycleEvent::ApplicationStop),
        ));
    }
    let stop = match &stop_scripts {
        Some((place, scripts)) => run.hook_ignoring(
            LifecycleEvent::ApplicationStop,
            place,
            scripts,
            request.ignore_application_stop_failures,
        ),
        None => run.hook(LifecycleEvent::ApplicationStop, &current, &[]),
    };
    if !stop {
        return Ok(run.finish(
            deployment_id,
            &events_after(LifecycleEvent::ApplicationStop),
        ));
    }

    // DownloadBundle: the revision is unpacked and its AppSpec read.
    if run.stopped(LifecycleEvent::DownloadBundle) {
        return Ok(run.finish(deployment_id, &events_after(LifecycleEvent::DownloadBundle)));
    }
    let started = Instant::now();
    let spec = unpack::unpack(&source, archive_dir)
        .map_err(|error| format!("The bundle could not be unpacked: {error}."))
        .and_then(|()| read_appspec(archive_dir));
    let spec = match spec {
        Ok(spec) => {
            run.record(LifecycleEvent::DownloadBundle, started, Ok(Vec::new()));
            spec
        }
        Err(message) => {
            run.record(LifecycleEvent::DownloadBundle, started, Err(message));
            return Ok(run.finish(deployment_id, &events_after(LifecycleEvent::DownloadBundle)));
        }
    };

    let planned = local_run::plan(&spec, previous.as_ref().map(|(_, spec)| spec));
    let rest: Vec<LifecycleEvent> = planned
        .iter()
        .map(|planned| planned.event)
        .filter(|event| {
            !matches!(
                event,
                LifecycleEvent::ApplicationStop | LifecycleEvent::DownloadBundle
            )
        })
        .collect();
    for (index, event) in rest.iter().enumerate() {
        if run.stopped(*event) {
            return Ok(run.finish(deployment_id, &rest[index + 1..]));
        }
        let succeeded = if *event == LifecycleEvent::Install {
            let started = Instant::now();
            let outcome = install(
                &instance,
                &root,
                group,
                archive_dir,
                &spec,
                request.file_exists_behavior,
            );
            let succeeded = outcome.is_ok();
            run.record(LifecycleEvent::Install, started, outcome);
            succeeded
        } else {
            run.hook(*event, &current, spec.scripts_for(*event))
        };
        if !succeeded {
            return Ok(run.finish(deployment_id, &rest[index + 1..]));
        }
    }
    let _ = fs::write(
        root.last_successful_install(group),
        deployment_dir.to_string_lossy().as_bytes(),
    );
    prune(&root, group, &deployment_id);
    Ok(run.finish(deployment_id, &[]))
}

/// The events an in-place deployment runs after `event`, which are skipped
/// when it fails.
fn events_after(event: LifecycleEvent) -> Vec<LifecycleEvent> {
    events_for(InstanceRole::InPlace, false)
        .into_iter()
        .skip_while(|planned| *planned != event)
        .skip(1)
        .collect()
}

/// Where a deployment's hooks run from: its unpacked revision, its
/// script log, and the folder for the hooks' launchers and output.
struct HookPlace {
    archive_dir: PathBuf,
    log_path: PathBuf,
    work_dir: PathBuf,
}

impl HookPlace {
    /// The place of deployment `id` of `group` in `root`.
    fn of(root: &DeploymentRoot, group: &str, id: &str) -> Self {
        Self {
            archive_dir: root.archive_dir(group, id),
            log_path: root.scripts_log(group, id),
            work_dir: root.deployment_dir(group, id).join("hooks"),
        }
    }
}

/// The state of a run in progress.
struct Run<'a> {
    instance: &'a Path,
    sandbox: &'a Sandbox,
    identity: &'a RunIdentity,
    events: Vec<EventReport>,
    on_event: &'a mut dyn FnMut(&EventReport),
    cancel: &'a Cancel,
    /// The sandbox the hooks run in, one for the whole run so that what a
    /// hook starts in the background runs on for the hooks after it; it
    /// is killed, with all in it, when the run ends.
    session: Option<session::Session>,
}

impl Run<'_> {
    /// Whether the run was asked to stop before `event`; if so, `event` is
    /// recorded as failed without running.
    fn stopped(&mut self, event: LifecycleEvent) -> bool {
        if !self.cancel.is_cancelled() {
            return false;
        }
        self.record(
            event,
            Instant::now(),
            Err("The deployment was stopped before this lifecycle event started.".to_owned()),
        );
        true
    }

    /// Runs an event's scripts from the deployment at `place`; whether it
    /// succeeded.
    fn hook(
        &mut self,
        event: LifecycleEvent,
        place: &HookPlace,
        scripts: &[appspec::HookScript],
    ) -> bool {
        self.hook_ignoring(event, place, scripts, false)
    }

    /// Runs `event`'s scripts as [`Self::hook`] does; when `ignore_failure`,
    /// a failure is noted and the event still succeeds, as the agent does
    /// for `ApplicationStop` when the deployment ignores its failures.
    fn hook_ignoring(
        &mut self,
        event: LifecycleEvent,
        place: &HookPlace,
        scripts: &[appspec::HookScript],
        ignore_failure: bool,
    ) -> bool {
        let started = Instant::now();
        let outcome = hooks::run_scripts(
            &hooks::HookRun {
                sandbox: self.sandbox,
                instance: self.instance,
                archive_dir: &place.archive_dir,
                log_path: &place.log_path,
                work_dir: &place.work_dir,
                event,
                identity: self.identity,
                scripts,
                cancel: self.cancel,
            },
            &mut self.session,
        );
        let ignored = outcome.failed && ignore_failure;
        let mut notes = outcome.notes;
        if ignored {
            notes.push(format!(
                "{} failed; the deployment ignores its failures, so it goes on.",
                event.name()
            ));
        }
        let failed = outcome.failed && !ignored;
        let report = EventReport {
            event,
            status: if failed {
                EventStatus::Failed
            } else {
                EventStatus::Succeeded
            },
            duration: started.elapsed(),
            diagnostics: outcome.diagnostics,
            message: None,
            notes,
        };
        self.push(report);
        !failed
    }

    /// Records an event the runner does itself: its notes, or why it
    /// failed.
    fn record(
        &mut self,
        event: LifecycleEvent,
        started: Instant,
        outcome: Result<Vec<String>, String>,
    ) {
        let (status, message, notes) = match outcome {
            Ok(notes) => (EventStatus::Succeeded, None, notes),
            Err(message) => (EventStatus::Failed, Some(message), Vec::new()),
        };
        self.push(EventReport {
            event,
            status,
            duration: started.elapsed(),
            diagnostics: None,
            message,
            notes,
        });
    }

    fn push(&mut self, report: EventReport) {
        (self.on_event)(&report);
        self.events.push(report);
    }

    /// The report, with `skipped` events after a failure.
    fn finish(mut self, deployment_id: String, skipped: &[LifecycleEvent]) -> RunReport {
        for event in skipped {
            self.push(EventReport {
                event: *event,
                status: EventStatus::Skipped,
                duration: Duration::ZERO,
                diagnostics: None,
                message: None,
                notes: Vec::new(),
            });
        }
        RunReport {
            deployment_id,
            events: self.events,
        }
    }
}

/// Makes the instance's folder and the folders its scripts expect, and
/// returns its canonical path.
fn prepare_instance(path: &Path) -> Result<PathBuf, RunError> {
    for dir in ["", "tmp", "root", "etc", "var", "opt"] {
        let dir = path.join(dir);
        fs::create_dir_all(&dir).map_err(|error| instance_error(&dir, &error))?;
    }
    fs::canonicalize(path).map_err(|error| instance_error(path, &error))
}

fn instance_error(path: &Path, error: &io::Error) -> RunError {
    RunError::Instance {
        path: path.to_path_buf(),
        detail: error.to_string(),
    }
}

/// A new deployment ID in CodeDeploy's shape (`d-` and nine characters).
fn new_deployment_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("d-{}", &id[..9])
}

/// The ID and AppSpec of the group's last successful deployment, when
/// there is one that can still be read.
fn previous_revision(root: &DeploymentRoot, group: &str) -> Option<(String, AppSpec)> {
    let dir = fs::read_to_string(root.last_successful_install(group)).ok()?;
    let id = Path::new(dir.trim())
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let spec = read_appspec(&root.archive_dir(group, &id)).ok()?;
    Some((id, spec))
}

/// The AppSpec of an unpacked revision, in the agent's words when it is
/// missing or invalid.
fn read_appspec(archive_dir: &Path) -> Result<AppSpec, String> {
    let text = ["appspec.yml", "appspec.yaml"]
        .iter()
        .find_map(|name| fs::read_to_string(archive_dir.join(name)).ok())
        .ok_or_else(|| crate::domain::bundle::appspec_not_found("deployment-archive"))?;
    appspec::parse(&text).map_err(|error| error.to_string())
}

/// The Install event: removes what the last install wrote, copies the
/// `files` section and applies the `permissions` section. The notes say
/// what could not be applied here.
fn install(
    instance: &Path,
    root: &DeploymentRoot,
    group: &str,
    archive_dir: &Path,
    spec: &AppSpec,
    behavior: FileExistsBehavior,
) -> Result<Vec<String>, String> {
    let cleanup_file = root.cleanup_file(group);
    if let Ok(text) = fs::read_to_string(&cleanup_file) {
        for path in local_run::cleanup_order(&text) {
            let Ok(relative) = local_run::instance_relative(&path) else {
                continue;
            };
            remove_installed(instance, &instance.join(relative));
        }
        let _ = fs::remove_file(&cleanup_file);
    }
    let listing = unpack::listing(archive_dir).map_err(|error| error.to_string())?;
    let exists = |relative: &Path| instance.join(relative).symlink_metadata().is_ok();
    let steps = local_run::plan_install(spec, &listing, behavior, &exists)
        .map_err(|error| error.to_string())?;
    let mut done = Vec::new();
    let copied = steps.iter().try_for_each(|step| {
        apply_step(instance, archive_dir, step)?;
        done.push(step.clone());
        Ok::<(), String>(())
    });
    let _ = fs::write(&cleanup_file, local_run::cleanup_text(&done));
    copied?;
    let text = fs::read_to_string(archive_dir.join("appspec.yml"))
        .or_else(|_| fs::read_to_string(archive_dir.join("appspec.yaml")))
        .unwrap_or_default();
    let scopes = local_run::permission_scopes(&text);
    let mut notes = Vec::new();
    for (index, permission) in spec.permissions.iter().enumerate() {
        let scope = scopes.get(index).cloned().unwrap_or_default();
        let targets = local_run::permission_targets(permission, &scope, &steps)
            .map_err(|error| error.to_string())?;
        for target in targets {
            if !parent_inside(instance, &instance.join(&target))
                || instance.join(&target).is_symlink()
            {
                return Err(format!(
                    "The deployment failed because {} leads outside the instance through a link; its permissions are not changed.",
                    local_run::instance_absolute(&target)
                ));
            }
            notes.extend(permissions::apply(
                &instance.join(&target),
                permission,
                &target,
            )?);
        }
    }
    Ok(notes)
}

/// Removes one path of the cleanup list: a file or link, or a folder when
/// it is empty; never anything outside the instance.
fn remove_installed(instance: &Path, path: &Path) {
    let Ok(metadata) = path.symlink_metadata() else {
        return;
    };
    if !parent_inside(instance, path) {
        return;
    }
    if metadata.is_dir() {
        let _ = fs::remove_dir(path);
    } else {
        let _ = fs::remove_file(path);
    }
}

/// Whether `path`'s folder, with links resolved, is inside the instance.
fn parent_inside(instance: &Path, path: &Path) -> bool {
    path.parent()
        .and_then(|parent| fs::canonicalize(parent).ok())
        .is_some_and(|parent| parent.starts_with(instance))
}

/// Makes a folder or copies a file of the Install event.
fn apply_step(instance: &Path, archive_dir: &Path, step: &InstallStep) -> Result<(), String> {
    let target = instance.join(step.target());
    let shown = local_run::instance_absolute(step.target());
    if !parent_inside(instance, &target) {
        return Err(format!(
            "The deployment failed because {shown} leads outside the instance through a link; remove the link or change the destination."
        ));
    }
    let failed = |error: io::Error| format!("Could not write {shown}: {error}.");
    match step {
        InstallStep::Mkdir(_) => fs::create_dir(&target).map_err(failed),
        InstallStep::Copy { source, .. } => {
            let source = archive_dir.join(source);
            if target.symlink_metadata().is_ok_and(|meta| !meta.is_dir()) {
                fs::remove_file(&target).map_err(failed)?;
            }
            let meta = source.symlink_metadata().map_err(failed)?;
            if meta.file_type().is_symlink() {
                let link = fs::read_link(&source).map_err(failed)?;
                std::os::unix::fs::symlink(link, &target).map_err(failed)
            } else {
                fs::copy(&source, &target).map(|_| ()).map_err(failed)
            }
        }
    }
}

/// Deletes the group's oldest deployments beyond the agent's limit,
/// keeping the last successful one.
fn prune(root: &DeploymentRoot, group: &str, current: &str) {
    let Ok(entries) = fs::read_dir(root.group_dir(group)) else {
        return;
    };
    let mut deployments: Vec<(std::time::SystemTime, String)> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter_map(|entry| {
            let modified = entry.metadata().ok()?.modified().ok()?;
            Some((modified, entry.file_name().to_string_lossy().into_owned()))
        })
        .collect();
    deployments.sort();
    let oldest_first: Vec<String> = deployments.into_iter().map(|(_, id)| id).collect();
    for id in local_run::to_prune(&oldest_first, MAX_REVISIONS, Some(current)) {
        let _ = fs::remove_dir_all(root.deployment_dir(group, &id));
    }
}
