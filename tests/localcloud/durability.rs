//! Nothing acknowledged is lost: `deploydesk serve --state-dir` is killed
//! (`SIGKILL`, no chance to save anything) at random moments while four
//! clients create applications, and after each restart on the same
//! directory every application whose creation was answered with success
//! is there.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Clients creating applications at once.
const CLIENTS: usize = 4;
/// Kill-and-restart rounds.
const ROUNDS: usize = 5;

/// A running `deploydesk serve`, killed when dropped.
struct Server {
    /// The process.
    child: Child,
    /// Where it listens, `127.0.0.1:PORT`.
    address: String,
}

impl Server {
    /// Starts `deploydesk serve` keeping its state in `dir`, and reads the
    /// address it listens on from its first line of output.
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_deploydesk"))
            .args(["serve", "--port", "0", "--state-dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("deploydesk serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("serve prints its endpoint");
        let address = first
            .trim()
            .strip_prefix("endpoint: http://")
            .unwrap_or_else(|| panic!("the first line is the endpoint: {first:?}"))
            .to_owned();
        Server { child, address }
    }

    /// Kills the process at once, as a crash or a power cut would.
    fn kill(mut self) {
        self.child.kill().expect("the server can be killed");
        self.child.wait().expect("the killed server is reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one CodeDeploy request on `stream` and reads the answer: its
/// status and its body. Fails when the connection breaks.
fn call(stream: &mut TcpStream, operation: &str, body: &str) -> std::io::Result<(u16, String)> {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CodeDeploy_20141006.{operation}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut status = String::new();
    if reader.read_line(&mut status)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status:?}")))?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut answer = vec![0; length];
    reader.read_exact(&mut answer)?;
    Ok((code, String::from_utf8_lossy(&answer).into_owned()))
}

/// Every application name the server at `address` has.
fn application_names(address: &str) -> BTreeSet<String> {
    let mut stream = TcpStream::connect(address).expect("connects to the restarted server");
    let mut names = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let body = match &token {
            Some(token) => serde_json::json!({ "nextToken": token }).to_string(),
            None => "{}".to_owned(),
        };
        let (status, answer) =
            call(&mut stream, "ListApplications", &body).expect("ListApplications answers");
        assert_eq!(status, 200, "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
        for name in answer["applications"].as_array().expect("a list") {
            names.insert(name.as_str().expect("a name").to_owned());
        }
        match answer["nextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return names,
        }
    }
}

/// Creates applications on `address` until the connection breaks;
/// records each name whose creation was answered with success.
fn create_until_killed(address: &str, prefix: &str, acknowledged: &Mutex<Vec<String>>) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return;
    };
    for number in 0.. {
        let name = format!("{prefix}-{number}");
        let body = serde_json::json!({ "applicationName": name }).to_string();
        match call(&mut stream, "CreateApplication", &body) {
            Ok((200, _)) => acknowledged
                .lock()
                .expect("the list of acknowledged names")
                .push(name),
            Ok((status, answer)) => panic!("CreateApplication {name} failed: {status} {answer}"),
            Err(_) => return,
        }
    }
}

#[test]
fn every_acknowledged_application_survives_a_kill_at_a_random_moment() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut acknowledged_so_far: BTreeSet<String> = BTreeSet::new();
    for round in 0..ROUNDS {
        let server = Server::start(dir.path());
        // What the previous rounds were told is there.
        let names = application_names(&server.address);
        let missing: Vec<_> = acknowledged_so_far.difference(&names).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} of {} acknowledged applications are missing after the restart, e.g. {:?}",
            missing.len(),
            acknowledged_so_far.len(),
            missing.iter().take(5).collect::<Vec<_>>()
        );
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let address = server.address.clone();
                let acknowledged = Arc::clone(&acknowledged);
                std::thread::spawn(move || {
                    create_until_killed(&address, &format!("r{round}-c{client}"), &acknowledged);
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rand::random_range(150..1200)));
        server.kill();
        for client in clients {
            client.join().expect("a client thread ends");
        }
        let acknowledged = acknowledged.lock().expect("the list of acknowledged names");
        assert!(
            !acknowledged.is_empty() || round > 0,
            "no creation was answered before the kill"
        );
        acknowledged_so_far.extend(acknowledged.iter().cloned());
    }
    let server = Server::start(dir.path());
    let names = application_names(&server.address);
    let missing: Vec<_> = acknowledged_so_far.difference(&names).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged applications are missing after the last restart, e.g. {:?}",
        missing.len(),
        acknowledged_so_far.len(),
        missing.iter().take(5).collect::<Vec<_>>()
    );
    server.kill();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the test took {:?}",
        started.elapsed()
    );
}
