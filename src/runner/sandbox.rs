//! The sandbox hooks run in: bubblewrap, with the instance's folder as `/`
//! so that every absolute path a script writes lands inside it, and the
//! system's programs and libraries bound read-only over it.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The system folders the scripts see read-only from this machine.
const SYSTEM_DIRS: [&str; 7] = [
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// The files of `/etc` that programs need to start and to look up users
/// and hosts, bound read-only; the rest of `/etc` is the instance's.
const SYSTEM_ETC: [&str; 12] = [
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/localtime",
    "/etc/ssl",
    "/etc/ca-certificates",
];

/// The `PATH` scripts get.
const SCRIPT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Why no sandbox can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    /// `bwrap` is not installed.
    #[error(
        "Hooks run only inside a sandbox, and bubblewrap (bwrap) is not installed. Install it (on Debian or Ubuntu: sudo apt-get install bubblewrap; on Fedora: sudo dnf install bubblewrap) and run again."
    )]
    Missing,
    /// `bwrap` is there but cannot make a sandbox.
    #[error(
        "Hooks run only inside a sandbox, and bubblewrap could not make one: {0}. Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or install a setuid bubblewrap, and run again."
    )]
    Unusable(String),
}

/// A sandbox for one instance's folder.
#[derive(Debug, Clone)]
pub struct Sandbox {
    bwrap: PathBuf,
    instance: PathBuf,
}

impl Sandbox {
    /// The sandbox of the instance folder `instance` (which exists), after
    /// checking that bubblewrap can make it.
    pub fn new(instance: &Path) -> Result<Self, SandboxError> {
        let bwrap = installed()?;
        let sandbox = Self {
            bwrap,
            instance: instance.to_path_buf(),
        };
        let output = sandbox
            .command(Path::new("/bin/true"))
            .stdin(Stdio::null())
            .output()
            .map_err(|error| SandboxError::Unusable(error.to_string()))?;
        if output.status.success() {
            Ok(sandbox)
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            Err(SandboxError::Unusable(if stderr.is_empty() {
                format!("bwrap ended with {}", output.status)
            } else {
                stderr
            }))
        }
    }

    /// The command that runs `program` (a path inside the instance) in the
    /// sandbox with only `PATH` and `HOME` in its environment, from `/`.
    /// The sandbox has its own process IDs and dies with the thread that
    /// started it.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(&self.bwrap);
        command.env_clear();
        command.arg("--bind").arg(&self.instance).arg("/");
        for dir in SYSTEM_DIRS {
            if Path::new(dir).exists() {
                command.args(["--ro-bind", dir, dir]);
            }
        }
        for path in SYSTEM_ETC {
            command.args(["--ro-bind-try", path, path]);
        }
        command.args([
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--hostname",
            "local-instance",
            "--die-with-parent",
            "--chdir",
            "/",
            "--setenv",
            "PATH",
            SCRIPT_PATH,
            "--setenv",
            "HOME",
            "/root",
        ]);
        command.arg("--").arg(program);
        command
    }
}

/// Where bubblewrap is installed; checked before anything is written.
pub fn installed() -> Result<PathBuf, SandboxError> {
    find_on_path("bwrap").ok_or(SandboxError::Missing)
}

/// The first `name` on `PATH` that is a file.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
