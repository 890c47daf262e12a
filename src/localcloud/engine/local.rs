//! Local instances: on-premises instances tagged `deploydesk:simulate=local`
//! (see [`crate::domain::simulate`]), whose lifecycle is not timed but run
//! for real on this machine by the [`runner`](crate::runner).
//!
//! When a wave reaches a local instance, [`begin`] starts the runner on a
//! thread of its own, outside the world's lock, with the revision's S3
//! object body as the bundle and the instance's folder (one per instance,
//! under the folder the local cloud keeps for them, see [`LocalFolders`]) as
//! the `/` its scripts see. The runner reports each event as it ends; on
//! every advance, [`apply`] copies the reports that came in onto the
//! target's events (status, start and end times, diagnostics with the real
//! log tail) and, once the run has ended, sets the attempt's result, so the
//! rollout counts the instance exactly as it counts a simulated one.
//!
//! While the run goes on the attempt's `finish` is the far future and the
//! deployment is due at every advance. A deployment stopped meanwhile stops
//! the run: its script is killed, no event starts after it, and whatever it
//! still reports is dropped. The runs of a local cloud that stops are
//! stopped the same way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::domain::health::AttemptResult;
use crate::domain::local_run::{BundleOrigin, FileExistsBehavior};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    AttemptPlan, Deployment, Diagnostics, EventStatus, FailureCause, TargetRecord, TargetStatus,
};
use crate::localcloud::world::World;
use crate::runner::{self, Cancel, EventReport, RunRequest};

/// The folders of one local cloud's local instances, and of its S3 object
/// bodies (the bundles).
#[derive(Debug)]
pub struct LocalFolders {
    /// The folder holding one folder per local instance.
    instances: PathBuf,
    /// Keeps a temporary folder alive for a local cloud without a state
    /// file; it is removed when the local cloud stops.
    _temporary: Option<tempfile::TempDir>,
    /// The folder of the S3 object bodies.
    blobs: PathBuf,
}

/// Which [`LocalFolders`] a local cloud's engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalFoldersId(u64);

/// Keeps a local cloud's [`LocalFolders`] registered; dropping it
/// unregisters them (and removes a temporary folder).
#[derive(Debug)]
pub struct LocalFoldersGuard(u64);

impl Drop for LocalFoldersGuard {
    fn drop(&mut self) {
        lock(&FOLDERS).remove(&self.0);
        lock(&RUNS).retain(|_, run| {
            let ours = run.folders == Some(self.0);
            if ours {
                run.cancel.cancel();
            }
            !ours
        });
    }
}

/// The registered folders, by id.
static FOLDERS: LazyLock<Mutex<HashMap<u64, Arc<LocalFolders>>>> = LazyLock::new(Mutex::default);
/// The next id.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The runs in progress (or ended and not yet applied), by deployment and
/// target.
static RUNS: LazyLock<Mutex<HashMap<RunKey, RunEntry>>> = LazyLock::new(Mutex::default);

/// A run in [`RUNS`].
struct RunEntry {
    /// What it has reported.
    progress: Arc<Mutex<Progress>>,
    /// Stops it.
    cancel: Cancel,
    /// The [`LocalFolders`] of the local cloud it runs for.
    folders: Option<u64>,
}

/// A run's deployment id and target id.
type RunKey = (String, String);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The folder of a local cloud's local instances: beside the state file
/// `state` (`state.json` keeps them in `state-instances/`), or a temporary
/// folder when there is none.
pub fn register(
    state: Option<&Path>,
    blobs: &Path,
) -> std::io::Result<(LocalFoldersId, LocalFoldersGuard)> {
    let (instances, temporary) = if let Some(state) = state {
        let stem = state
            .file_stem()
            .map_or_else(|| "state".into(), |stem| stem.to_string_lossy());
        let dir = state.with_file_name(format!("{stem}-instances"));
        std::fs::create_dir_all(&dir)?;
        (dir, None)
    } else {
        let temporary = tempfile::Builder::new()
            .prefix("deploydesk-instances-")
            .tempdir()?;
        (temporary.path().to_path_buf(), Some(temporary))
    };
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    lock(&FOLDERS).insert(
        id,
        Arc::new(LocalFolders {
            instances,
            _temporary: temporary,
            blobs: blobs.to_path_buf(),
        }),
    );
    Ok((LocalFoldersId(id), LocalFoldersGuard(id)))
}

/// What a run has reported so far.
#[derive(Debug, Default)]
struct Progress {
    /// The events that have ended, in order.
    reports: Vec<EventReport>,
    /// How many of them are on the target already.
    applied: usize,
    /// Once the run has ended: `Ok` with whether it succeeded, or why it
    /// could not run.
    ended: Option<Result<bool, String>>,
}

/// The folder name of instance `name`: its letters, digits, `-`, `_` and
/// `.`, the rest replaced by `_`.
fn folder_name(name: &str) -> String {
    let folder: String = name
        .chars()
        .map(|letter| {
            if letter.is_ascii_alphanumeric() || matches!(letter, '-' | '_' | '.') {
                letter
            } else {
                '_'
            }
        })
        .collect();
    if folder.chars().all(|letter| letter == '.') {
        folder.replace('.', "_")
    } else {
        folder
    }
}

/// Where `deployment`'s revision comes from, as its hooks are told.
fn origin_of(deployment: &Deployment) -> BundleOrigin {
    match (
        &deployment.revision.s3_location,
        &deployment.revision.git_hub_location,
    ) {
        (Some(s3), _) => BundleOrigin::S3 {
            bucket: s3.bucket.clone().unwrap_or_default(),
            key: s3.key.clone().unwrap_or_default(),
            version: s3.version.clone(),
            etag: s3.e_tag.clone(),
        },
        (None, Some(github)) => BundleOrigin::GitHub {
            commit: github.commit_id.clone().unwrap_or_default(),
        },
        (None, None) => BundleOrigin::Local,
    }
}

/// The bundle of `deployment`'s revision on disk, or why there is none.
fn bundle_path(world: &World, deployment: &Deployment, blobs: &Path) -> Result<PathBuf, String> {
    let Some(location) = deployment.revision.s3_location.as_ref() else {
        return Err("A local instance runs only revisions stored in Amazon S3; this revision is not. Upload the bundle to an S3 bucket of the local cloud and deploy it from there.".to_owned());
    };
    let (Some(bucket), Some(key)) = (location.bucket.as_deref(), location.key.as_deref()) else {
        return Err("The revision does not name its S3 bucket and key.".to_owned());
    };
    let object = match location.version.as_deref() {
        Some(version) => world.s3.object_version(bucket, key, version),
        None => world.s3.object(bucket, key),
    };
    object
        .map(|object| blobs.join(&object.blob))
        .ok_or_else(|| format!("The S3 object s3://{bucket}/{key} of the revision does not exist (any more). Upload it again and deploy it."))
}

/// Starts the run of `deployment` on its target `index`, a local instance,
/// at `at`; the target is in flight from then on.
pub(super) fn begin(
    world: &World,
    deployment: &mut Deployment,
    index: usize,
    at: Timestamp,
    folders: Option<LocalFoldersId>,
    status_on_success: TargetStatus,
) {
    let folders_id = folders.map(|id| id.0);
    let folders = folders.and_then(|id| lock(&FOLDERS).get(&id.0).cloned());
    let cancel = Cancel::default();
    let target_id = deployment.targets[index].target_id.clone();
    let request = match folders {
        None => Err("This local cloud keeps no folder for local instances.".to_owned()),
        Some(folders) => bundle_path(world, deployment, &folders.blobs).map(|bundle| RunRequest {
            bundle,
            instance_root: folders.instances.join(folder_name(&target_id)),
            application_name: deployment.application_name.clone(),
            group_name: deployment.deployment_group_name.clone(),
            group_id: deployment.deployment_group_id.clone(),
            file_exists_behavior: deployment
                .file_exists_behavior
                .as_deref()
                .and_then(|name| name.parse().ok())
                .unwrap_or(FileExistsBehavior::Disallow),
            deployment_id: Some(deployment.deployment_id.clone()),
            origin: origin_of(deployment),
            ignore_application_stop_failures: deployment.ignore_application_stop_failures,
            cancel: cancel.clone(),
        }),
    };
    let progress = Arc::new(Mutex::new(Progress::default()));
    match request {
        Err(message) => lock(&progress).ended = Some(Err(message)),
        Ok(request) => {
            let running = Arc::clone(&progress);
            let spawned = std::thread::Builder::new()
                .name(format!("local-{target_id}"))
                .spawn(move || {
                    let outcome = runner::run(&request, &mut |report| {
                        lock(&running).reports.push(report.clone());
                    });
                    lock(&running).ended = Some(
                        outcome
                            .map(|report| report.succeeded())
                            .map_err(|error| error.to_string()),
                    );
                });
            if let Err(error) = spawned {
                lock(&progress).ended = Some(Err(format!("The run could not start: {error}.")));
            }
        }
    }
    lock(&RUNS).insert(
        (deployment.deployment_id.clone(), target_id),
        RunEntry {
            progress,
            cancel,
            folders: folders_id,
        },
    );
    let target = &mut deployment.targets[index];
    target.attempt = Some(AttemptPlan {
        start: at,
        finish: Timestamp::from_millis(i64::MAX),
        result: AttemptResult::Succeeded,
        cause: None,
        status_after: status_on_success,
        local: true,
    });
}

/// Stops the run of `deployment_id` on `target_id`, which a stopped
/// deployment no longer counts: its script is killed, nothing more starts,
/// and its reports are dropped.
pub(super) fn forget(deployment_id: &str, target_id: &str) {
    if let Some(run) = lock(&RUNS).remove(&(deployment_id.to_owned(), target_id.to_owned())) {
        run.cancel.cancel();
    }
}

/// The diagnostics of an event the runner reported.
fn diagnostics_of(report: &EventReport) -> Option<Diagnostics> {
    if let Some(diagnostics) = &report.diagnostics {
        return Some(Diagnostics {
            error_code: diagnostics.error_code.to_string(),
            script_name: diagnostics.script_name.clone(),
            message: diagnostics.message.clone(),
            log_tail: diagnostics.log_tail.clone(),
        });
    }
    report.message.as_ref().map(|message| Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: message.clone(),
        log_tail: String::new(),
    })
}

/// When the last event of `target` that has ended ended, or `start`.
fn cursor(target: &TargetRecord, start: Timestamp) -> Timestamp {
    target
        .events
        .iter()
        .filter_map(|record| record.end_time)
        .max()
        .unwrap_or(start)
        .max(start)
}

/// Copies onto `target`, a local instance of deployment `deployment_id`,
/// what its run has reported by `time`, and, once the run has ended, its
/// result (the attempt then finishes at `time`). Returns whether anything
/// changed.
pub(super) fn apply(deployment_id: &str, target: &mut TargetRecord, time: Timestamp) -> bool {
    let Some(attempt) = target.attempt.clone() else {
        return false;
    };
    let key = (deployment_id.to_owned(), target.target_id.clone());
    let progress = lock(&RUNS).get(&key).map(|run| Arc::clone(&run.progress));
    let (reports, ended) = match &progress {
        Some(progress) => {
            let mut progress = lock(progress);
            let reports = progress.reports[progress.applied..].to_vec();
            progress.applied = progress.reports.len();
            (reports, progress.ended.clone())
        }
        None => (
            Vec::new(),
            Some(Err(
                "The local cloud stopped while this instance's run was going on; deploy again."
                    .to_owned(),
            )),
        ),
    };
    let mut changed = !reports.is_empty();
    for report in &reports {
        let start = cursor(target, attempt.start);
        let Some(record) = target.events.iter_mut().find(|record| {
            record.event == report.event
                && matches!(
                    record.status,
                    EventStatus::Pending | EventStatus::InProgress
                )
        }) else {
            continue;
        };
        match report.status {
            runner::EventStatus::Skipped => record.status = EventStatus::Skipped,
            runner::EventStatus::Succeeded | runner::EventStatus::Failed => {
                record.status = if report.status == runner::EventStatus::Failed {
                    EventStatus::Failed
                } else {
                    EventStatus::Succeeded
                };
                // It ended when its run says, as far as this advance's
                // clock has come.
                let started = record.start_time.unwrap_or(start);
                let took = i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX);
                record.start_time = Some(started);
                record.end_time = Some(
                    Timestamp::from_millis(started.as_millis().saturating_add(took))
                        .clamp(started, time.max(started)),
                );
                record.diagnostics = diagnostics_of(report);
            }
        }
    }
    let Some(ended) = ended else {
        // The next event is the one running now.
        let start = cursor(target, attempt.start);
        if let Some(record) = target
            .events
            .iter_mut()
            .find(|record| record.status != EventStatus::Succeeded)
            && record.status == EventStatus::Pending
        {
            record.status = EventStatus::InProgress;
            record.start_time = Some(start);
            changed = true;
        }
        if changed {
            target.last_updated_at = target.last_updated_at.max(time);
        }
        return changed;
    };
    lock(&RUNS).remove(&key);
    let succeeded = match ended {
        Ok(succeeded) => succeeded,
        Err(message) => {
            // Nothing ran: the first event that has not ended fails with
            // the reason.
            let start = cursor(target, attempt.start);
            if let Some(record) = target.events.iter_mut().find(|record| {
                matches!(
                    record.status,
                    EventStatus::Pending | EventStatus::InProgress
                )
            }) {
                record.status = EventStatus::Failed;
                record.start_time = Some(record.start_time.unwrap_or(start));
                record.end_time = Some(time);
                record.diagnostics = Some(Diagnostics {
                    error_code: "UnknownError".to_owned(),
                    script_name: String::new(),
                    message,
                    log_tail: String::new(),
                });
            }
            false
        }
    };
    // Events the runner has no part in (the traffic events) pass when the
    // run succeeded; after a failure every event left is skipped.
    for record in &mut target.events {
        if matches!(
            record.status,
            EventStatus::Pending | EventStatus::InProgress
        ) {
            if succeeded {
                record.status = EventStatus::Succeeded;
                record.start_time = Some(record.start_time.unwrap_or(time));
                record.end_time = Some(time);
            } else {
                record.status = EventStatus::Skipped;
            }
        }
    }
    if let Some(attempt) = target.attempt.as_mut() {
        attempt.finish = time;
        if !succeeded {
            attempt.result = AttemptResult::Failed;
            attempt.cause = Some(FailureCause::Event);
            attempt.status_after = TargetStatus::Failed;
        }
    }
    target.last_updated_at = target.last_updated_at.max(time);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_folders_keep_safe_names() {
        assert_eq!(folder_name("web-1.local"), "web-1.local");
        assert_eq!(folder_name("a/../b"), "a_.._b");
        assert_eq!(folder_name(".."), "__");
    }
}
