//! Running an event's scripts in the sandbox: each with its timeout, its
//! output in the agent's script log, and diagnostics as CodeDeploy gives
//! them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::domain::appspec::HookScript;
use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::local_run::{self, RunIdentity, ScriptDiagnostics, ScriptEnd};

use super::Cancel;
use super::sandbox::Sandbox;

/// How often a running script is checked on.
const POLL: Duration = Duration::from_millis(10);

/// An event's scripts and where they run.
pub struct HookRun<'a> {
    pub sandbox: &'a Sandbox,
    pub instance: &'a Path,
    pub archive_dir: &'a Path,
    pub log_path: &'a Path,
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

/// Runs the scripts in order until one fails.
pub fn run_scripts(run: &HookRun<'_>) -> HookOutcome {
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
                run_one(run, script, &path, &log)
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

/// Runs one script in the sandbox and waits for it, killing it and all it
/// started when its timeout passes.
fn run_one(
    run: &HookRun<'_>,
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
    let vars = local_run::hook_environment(run.event, run.identity);
    let mut command: Command = run.sandbox.command(&program, &vars);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            append(
                log,
                &local_run::output_line("stderr", &format!("could not start the sandbox: {error}")),
            );
            return ScriptEnd::NotStarted;
        }
    };
    let readers = [
        child
            .stdout
            .take()
            .map(|out| read_lines(out, "stdout", log)),
        child
            .stderr
            .take()
            .map(|err| read_lines(err, "stderr", log)),
    ];
    let deadline = Instant::now() + Duration::from_secs(u64::from(script.timeout_seconds));
    let end = wait(&mut child, deadline, run.cancel);
    for reader in readers.into_iter().flatten() {
        let _ = reader.join();
    }
    end
}

/// Waits for the sandbox to exit, or kills its process group at the
/// deadline or when the run is stopped.
fn wait(child: &mut Child, deadline: Instant, cancel: &Cancel) -> ScriptEnd {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return status
                    .code()
                    .map_or(ScriptEnd::Signalled, ScriptEnd::Exited);
            }
            Ok(None) if cancel.is_cancelled() => {
                kill_group(child);
                return ScriptEnd::Stopped;
            }
            Ok(None) if Instant::now() >= deadline => {
                kill_group(child);
                return ScriptEnd::TimedOut;
            }
            Ok(None) => thread::sleep(POLL),
            Err(_) => return ScriptEnd::Signalled,
        }
    }
}

/// Kills the sandbox and everything in its process group. Its processes
/// share a PID namespace that ends with the sandbox, so nothing survives.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Copies a stream's lines into the log, each with its `[stdout]` or
/// `[stderr]` mark.
fn read_lines(
    stream: impl io::Read + Send + 'static,
    name: &'static str,
    log: &Arc<Mutex<ScriptLog>>,
) -> thread::JoinHandle<()> {
    let log = Arc::clone(log);
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        while reader
            .read_until(b'\n', &mut line)
            .is_ok_and(|read| read > 0)
        {
            let text = String::from_utf8_lossy(&line);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            append(&log, &local_run::output_line(name, text));
            line.clear();
        }
    })
}
