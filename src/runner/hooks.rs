//! Running an event's scripts in the sandbox: each with its timeout, its
//! output in the agent's script log, and diagnostics as CodeDeploy gives
//! them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::appspec::HookScript;
use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::local_run::{self, RunIdentity, ScriptDiagnostics, ScriptEnd};

use super::Cancel;
use super::sandbox::Sandbox;
use super::session::{Hook, HookEnd, Session};

/// An event's scripts and where they run.
pub struct HookRun<'a> {
    pub sandbox: &'a Sandbox,
    pub instance: &'a Path,
    pub archive_dir: &'a Path,
    pub log_path: &'a Path,
    /// The folder for the hooks' launchers and output files.
    pub work_dir: &'a Path,
    pub event: LifecycleEvent,
    pub identity: &'a RunIdentity,
    pub scripts: &'a [HookScript],
    /// Kills the running script when the run is stopped.
    pub cancel: &'a Cancel,
}

/// How an event's scripts went.
pub struct HookOutcome {
    pub failed: bool,
    pub diagnostics: Option<ScriptDiagnostics>,
    pub notes: Vec<String>,
}

/// The event's script log: in memory for the diagnostics' tail, and in
/// the deployment's `logs/scripts.log` with a time before each line.
struct ScriptLog {
    text: String,
    file: Option<File>,
}

impl ScriptLog {
    fn append(&mut self, line: &str) {
        self.text.push_str(line);
        if let Some(file) = &mut self.file {
            let now = time::OffsetDateTime::now_utc();
            let stamp = now
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second]"
                ))
                .unwrap_or_default();
            let _ = write!(file, "{stamp} {line}");
        }
    }
}

/// Runs the scripts in order until one fails, in the run's sandbox
/// `session`.
pub fn run_scripts(run: &HookRun<'_>, session: &mut Option<Session>) -> HookOutcome {
    let mut outcome = HookOutcome {
        failed: false,
        diagnostics: None,
        notes: Vec::new(),
    };
    if run.scripts.is_empty() {
        return outcome;
    }
    if let Some(dir) = run.log_path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(run.log_path)
        .ok();
    let log = Arc::new(Mutex::new(ScriptLog {
        text: String::new(),
        file,
    }));
    append(&log, &format!("LifecycleEvent - {}\n", run.event.name()));
    for script in run.scripts {
        let path = run.archive_dir.join(&script.location);
        let end =
            if path.is_file() {
                if let Some(user) = script.runas.as_ref().filter(|user| {
                    Some(user.as_str()) != super::permissions::current_user().as_deref()
                }) {
                    outcome.notes.push(format!(
                    "{} asks to run as {user}; on this machine it runs as you, inside the sandbox.",
                    script.location
                ));
                }
                append(&log, &format!("Script - {}\n", script.location));
                run_one(run, session, script, &path, &log)
            } else {
                ScriptEnd::Missing
            };
        let text = log.lock().map(|log| log.text.clone()).unwrap_or_default();
        let diagnostics = local_run::diagnostics(script, end, &text);
        let failed = end != ScriptEnd::Exited(0);
        outcome.diagnostics = Some(diagnostics);
        if failed {
            outcome.failed = true;
            break;
        }
    }
    outcome
}

fn append(log: &Arc<Mutex<ScriptLog>>, line: &str) {
    if let Ok(mut log) = log.lock() {
        log.append(line);
    }
}

/// Runs one script in the run's sandbox session (started when there is
/// none or the last one was killed) and waits for it.
fn run_one(
    run: &HookRun<'_>,
    session: &mut Option<Session>,
    script: &HookScript,
    path: &Path,
    log: &Arc<Mutex<ScriptLog>>,
) -> ScriptEnd {
    // The agent makes a script executable when it is not.
    if let Ok(metadata) = fs::metadata(path) {
        let mode = metadata.permissions().mode();
        if mode & 0o111 == 0 {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode | 0o755));
        }
    }
    let Ok(inside) = path.strip_prefix(run.instance) else {
        return ScriptEnd::Missing;
    };
    let program = Path::new("/").join(inside);
    let Ok(work_inside) = run
        .work_dir
        .strip_prefix(run.instance)
        .map(|inside| Path::new("/").join(inside))
    else {
        return ScriptEnd::NotStarted;
    };
    let vars = local_run::hook_environment(run.event, run.identity);
    if !session.as_mut().is_some_and(Session::alive) {
        match Session::start(run.sandbox) {
            Ok(started) => *session = Some(started),
            Err(error) => {
                append(
                    log,
                    &local_run::output_line(
                        "stderr",
                        &format!("could not start the sandbox: {error}"),
                    ),
                );
                return ScriptEnd::NotStarted;
            }
        }
    }
    let Some(running) = session.as_mut() else {
        return ScriptEnd::NotStarted;
    };
    let hook = Hook {
        program: &program,
        vars: &vars,
        work: (run.work_dir, &work_inside),
        deadline: Instant::now() + Duration::from_secs(u64::from(script.timeout_seconds)),
    };
    let ended = running.run(&hook, &|| run.cancel.is_cancelled(), &mut |stream, text| {
        append(log, &local_run::output_line(stream, text));
    });
    match ended {
        Ok(HookEnd::Exited(code)) if code >= 0 => ScriptEnd::Exited(code),
        Ok(HookEnd::Exited(_) | HookEnd::Lost) => ScriptEnd::Signalled,
        Ok(HookEnd::TimedOut) => ScriptEnd::TimedOut,
        Ok(HookEnd::Stopped) => ScriptEnd::Stopped,
        Err(error) => {
            append(
                log,
                &local_run::output_line("stderr", &format!("could not run the script: {error}")),
            );
            ScriptEnd::NotStarted
        }
    }
}
