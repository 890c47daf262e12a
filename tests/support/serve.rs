//! `deploydesk serve` as a child process, for tests that drive the real
//! binary (with the AWS CLI, say).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `deploydesk` binary built with these tests.
pub const DEPLOYDESK: &str = env!("CARGO_BIN_EXE_deploydesk");

/// A `deploydesk serve` process, stopped when dropped.
pub struct Serve {
    child: Child,
    /// The endpoint it printed, `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Serve {
    /// Starts `deploydesk serve` with `args` and reads its endpoint line.
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(DEPLOYDESK)
            .arg("serve")
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("deploydesk serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("serve prints its endpoint");
        let endpoint = first
            .trim()
            .strip_prefix("endpoint: ")
            .unwrap_or_else(|| panic!("the first line names the endpoint: {first:?}"))
            .to_owned();
        Self { child, endpoint }
    }
}

impl Drop for Serve {
    /// Stops the server as Ctrl-C would (SIGTERM), so that it removes its
    /// temporary folders; kills it if it has not stopped after 10 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
