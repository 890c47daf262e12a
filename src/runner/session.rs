//! One sandbox for all the hooks of a run, as one instance runs them all:
//! a process started in the background by a hook (a server that
//! `ApplicationStart` starts) keeps running for the hooks after it
//! (`ValidateService` can reach it) and dies when the run ends.
//!
//! The sandbox runs a small shell, the driver, that reads the path of a
//! launcher (a script the runner writes, which sets the hook's variables
//! and runs it with its output going to two files) from its standard
//! input, runs it, and answers with its exit code on its standard output.
//! The runner reads the output files as they grow. Like the CodeDeploy
//! agent, it counts a hook as ended only when its output is closed: a
//! background process that keeps the hook's output open holds the hook
//! until its timeout.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use super::sandbox::Sandbox;

/// How often a running hook is checked on.
const POLL: Duration = Duration::from_millis(10);

/// How often, once a hook has exited, the processes are looked through
/// for one that still holds its output.
const HELD_POLL: Duration = Duration::from_millis(100);

/// The driver: runs each launcher it is given and answers with its exit
/// code.
const DRIVER: &str =
    r#"while IFS= read -r launcher; do /bin/sh "$launcher" </dev/null; echo "$?"; done"#;

/// How a hook ended, as the session saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEnd {
    /// It exited with this status (128 + n when signal n killed it) and
    /// its output was closed.
    Exited(i32),
    /// The sandbox ended under it.
    Lost,
    /// Its timeout passed; the sandbox was killed.
    TimedOut,
    /// The run was stopped; the sandbox was killed.
    Stopped,
}

/// A hook for the session to run.
pub struct Hook<'a> {
    /// The script, as a path inside the sandbox.
    pub program: &'a Path,
    /// Its environment variables.
    pub vars: &'a [(String, String)],
    /// A folder of the instance, outside and inside the sandbox, for the
    /// launcher and the output files.
    pub work: (&'a Path, &'a Path),
    /// When it is killed.
    pub deadline: Instant,
}

/// A running sandbox and its driver.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: Receiver<String>,
    /// How many hooks it has been given (names their files).
    count: u32,
}

impl Session {
    /// Starts the sandbox of `sandbox`'s instance.
    pub fn start(sandbox: &Sandbox) -> io::Result<Self> {
        let mut command: Command = sandbox.command(Path::new("/bin/sh"));
        command
            .args(["-c", DRIVER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = command.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (sender, answers) = mpsc::channel();
        if let Some(stdout) = stdout {
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Self {
            child,
            stdin,
            answers,
            count: 0,
        })
    }

    /// Runs `hook`, giving each line of its output to `line` with its
    /// stream's name, until it ends, its deadline passes or `stopped` says
    /// so. After a timeout or a stop the session is dead and must not be
    /// used again.
    pub fn run(
        &mut self,
        hook: &Hook<'_>,
        stopped: &dyn Fn() -> bool,
        line: &mut dyn FnMut(&'static str, &str),
    ) -> io::Result<HookEnd> {
        self.count += 1;
        let (outside, inside) = hook.work;
        fs::create_dir_all(outside)?;
        let name = format!("hook-{}", self.count);
        let files = ["out", "err"].map(|stream| outside.join(format!("{name}.{stream}")));
        let mut tails = Vec::new();
        for (path, stream) in files.iter().zip(["stdout", "stderr"]) {
            File::create(path)?;
            tails.push(Tail::open(path, stream)?);
        }
        let launcher = launcher(
            hook.program,
            hook.vars,
            &inside.join(format!("{name}.out")),
            &inside.join(format!("{name}.err")),
        );
        fs::write(outside.join(format!("{name}.sh")), launcher)?;
        let inside_launcher = inside.join(format!("{name}.sh"));
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("the sandbox's driver is gone"))?;
        writeln!(stdin, "{}", inside_launcher.display())?;
        stdin.flush()?;

        let mut status = None;
        let mut last_held_check: Option<Instant> = None;
        let end = loop {
            for tail in &mut tails {
                tail.read(line);
            }
            if status.is_none() {
                match self.answers.try_recv() {
                    Ok(answer) => status = Some(answer.trim().parse::<i32>().unwrap_or(-1)),
                    Err(TryRecvError::Disconnected) => break HookEnd::Lost,
                    Err(TryRecvError::Empty) => {}
                }
            }
            if let Some(code) = status
                && last_held_check.is_none_or(|checked| checked.elapsed() >= HELD_POLL)
            {
                last_held_check = Some(Instant::now());
                if !held_open(&tails) {
                    break HookEnd::Exited(code);
                }
            }
            if stopped() {
                self.kill();
                break HookEnd::Stopped;
            }
            if Instant::now() >= hook.deadline {
                self.kill();
                break HookEnd::TimedOut;
            }
            thread::sleep(POLL);
        };
        for tail in &mut tails {
            tail.read(line);
            tail.finish(line);
        }
        for file in files {
            let _ = fs::remove_file(file);
        }
        let _ = fs::remove_file(outside.join(format!("{name}.sh")));
        Ok(end)
    }

    /// Kills the sandbox and everything in it. Its processes share a PID
    /// namespace that ends with it, so nothing survives.
    pub fn kill(&mut self) {
        self.stdin = None;
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the sandbox still runs.
    pub fn alive(&mut self) -> bool {
        self.stdin.is_some() && matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The launcher of `program`: its variables, then the program itself with
/// its output appended to `out` and `err` (paths inside the sandbox).
fn launcher(program: &Path, vars: &[(String, String)], out: &Path, err: &Path) -> String {
    let mut text = String::from("#!/bin/sh\n");
    for (name, value) in vars {
        let _ = writeln!(text, "export {name}={}", quoted(value));
    }
    let _ = writeln!(
        text,
        "exec {} >>{} 2>>{}",
        quoted(&program.to_string_lossy()),
        quoted(&out.to_string_lossy()),
        quoted(&err.to_string_lossy())
    );
    text
}

/// `value` in single quotes for the shell.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// An output file read as it grows.
struct Tail {
    file: File,
    stream: &'static str,
    /// A line not yet ended.
    partial: Vec<u8>,
    /// The file's device and inode, to find who holds it open.
    id: (u64, u64),
}

impl Tail {
    fn open(path: &PathBuf, stream: &'static str) -> io::Result<Self> {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        Ok(Self {
            file,
            stream,
            partial: Vec::new(),
            id: (metadata.dev(), metadata.ino()),
        })
    }

    /// Gives the lines written since the last read to `line`.
    fn read(&mut self, line: &mut dyn FnMut(&'static str, &str)) {
        let mut buffer = Vec::new();
        if self.file.read_to_end(&mut buffer).is_err() {
            return;
        }
        self.partial.extend_from_slice(&buffer);
        while let Some(end) = self.partial.iter().position(|byte| *byte == b'\n') {
            let text = String::from_utf8_lossy(&self.partial[..end]).into_owned();
            line(self.stream, &text);
            self.partial.drain(..=end);
        }
    }

    /// Gives a last line without its newline to `line`.
    fn finish(&mut self, line: &mut dyn FnMut(&'static str, &str)) {
        if !self.partial.is_empty() {
            let text = String::from_utf8_lossy(&self.partial).into_owned();
            line(self.stream, &text);
            self.partial.clear();
        }
    }
}

/// Whether a process other than this one has one of `tails`' files open:
/// a process the hook started that still writes where the hook did.
fn held_open(tails: &[Tail]) -> bool {
    let me = std::process::id().to_string();
    let Ok(processes) = fs::read_dir("/proc") else {
        return false;
    };
    processes.flatten().any(|process| {
        let name = process.file_name();
        let name = name.to_string_lossy();
        if name == me.as_str() || !name.bytes().all(|byte| byte.is_ascii_digit()) {
            return false;
        }
        let Ok(fds) = fs::read_dir(process.path().join("fd")) else {
            return false;
        };
        fds.flatten().any(|fd| {
            fs::metadata(fd.path()).is_ok_and(|metadata| {
                tails
                    .iter()
                    .any(|tail| tail.id == (metadata.dev(), metadata.ino()))
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launchers_quote_what_they_pass_to_the_shell() {
        let text = launcher(
            Path::new("/opt/app/it's.sh"),
            &[("BUNDLE_KEY".to_owned(), "a b'c$d".to_owned())],
            Path::new("/w/hook-1.out"),
            Path::new("/w/hook-1.err"),
        );
        assert_eq!(
            text,
            "#!/bin/sh\nexport BUNDLE_KEY='a b'\\''c$d'\nexec '/opt/app/it'\\''s.sh' >>'/w/hook-1.out' 2>>'/w/hook-1.err'\n"
        );
    }
}
