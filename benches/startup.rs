//! How long the window takes to show its first frame, and how much CPU the
//! open window uses while nobody touches it (the goals: first frame under
//! half a second in a release build; idle CPU near zero).
//!
//!     cargo bench --bench startup
//!
//! It runs the real `deploydesk` binary (built with the bench profile) as a
//! first launch on the demo account: a fresh temporary `HOME`,
//! `XDG_CONFIG_HOME` and `XDG_DATA_HOME` for every launch, no AWS settings
//! from the environment. Without a `DISPLAY` it starts its own `Xvfb` on a
//! free display and stops it at the end; without Xvfb it says so and skips.
//!
//! The binary is started with `DEPLOYDESK_REPORT_FRAMES=1`, so it prints
//! `first-frame-ms N` (measured inside the process from the top of `main`)
//! once its first frame is on screen, and `frames N` every second. Prints:
//!
//! - `startup launches=N first_frame_ms min=.. p50=.. max=..`: inside the
//!   process;
//! - `startup launches=N spawn_to_first_frame_ms min=.. p50=.. max=..`: from
//!   `spawn` to reading the line, so with exec and dynamic loading;
//! - `idle window_s=S cpu_percent=.. frames=..`: after the first frame and
//!   3 s to settle, the process's CPU time over S seconds as a share of one
//!   core, and the frames painted meanwhile.
//!
//! A debug build (as under `cargo test --all-targets`) launches twice and
//! watches the idle window for 2 s, as a smoke test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The binary under test.
const BINARY: &str = env!("CARGO_BIN_EXE_deploydesk");
/// The goal for the first frame in a release build, in milliseconds.
const GOAL_FIRST_FRAME_MS: f64 = 500.0;
/// How long a launch may take to show its first frame before the bench gives up.
const FIRST_FRAME_TIMEOUT: Duration = Duration::from_mins(1);
/// How long the idle window settles after its first frame before measuring.
const SETTLE: Duration = Duration::from_secs(3);

/// What this build measures: launches, and the idle window's length.
fn plan() -> (usize, Duration) {
    if cfg!(debug_assertions) {
        (2, Duration::from_secs(2))
    } else {
        (10, Duration::from_secs(10))
    }
}

fn main() {
    let display = match Display::find_or_start() {
        Ok(Some(display)) => display,
        Ok(None) => {
            println!("startup: skipped: no DISPLAY and no Xvfb on PATH (install xvfb to run it)");
            return;
        }
        Err(error) => {
            println!("startup failed: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = run(&display) {
        println!("startup failed: {error}");
        drop(display);
        std::process::exit(1);
    }
}

fn run(display: &Display) -> Result<(), String> {
    let (launches, idle_window) = plan();
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for _ in 0..launches {
        let mut app = App::launch(display)?;
        let first_frame = app.wait_for_first_frame()?;
        inside.push(first_frame.inside_ms);
        outside.push(first_frame.spawn_to_line.as_secs_f64() * 1000.0);
        app.stop();
    }
    let inside = Summary::of(&mut inside);
    let outside = Summary::of(&mut outside);
    println!(
        "startup launches={launches} first_frame_ms {inside} (inside the process; goal: under {GOAL_FIRST_FRAME_MS:.0} ms in a release build: {})",
        if inside.p50 < GOAL_FIRST_FRAME_MS {
            "met"
        } else {
            "missed"
        }
    );
    println!(
        "startup launches={launches} spawn_to_first_frame_ms {outside} (with exec and dynamic loading)"
    );

    let mut app = App::launch(display)?;
    app.wait_for_first_frame()?;
    std::thread::sleep(SETTLE);
    let ticks_before = app.cpu_ticks()?;
    let frames_before = app.latest_frames();
    let started = Instant::now();
    std::thread::sleep(idle_window);
    let ticks_after = app.cpu_ticks()?;
    let frames_after = app.latest_frames();
    let elapsed = started.elapsed().as_secs_f64();
    app.stop();

    let (ticks_per_second, assumed) = clock_ticks_per_second();
    let cpu_seconds = (ticks_after - ticks_before) as f64 / ticks_per_second as f64;
    let cpu_percent = cpu_seconds / elapsed * 100.0;
    let frames = match (frames_before, frames_after) {
        (Some(before), Some(after)) => (after - before).to_string(),
        _ => "unknown".to_owned(),
    };
    println!(
        "idle window_s={elapsed:.1} cpu_percent={cpu_percent:.2} frames={frames} (share of one core; {ticks_per_second} clock ticks per second{})",
        if assumed { ", assumed" } else { "" }
    );
    Ok(())
}

/// The clock ticks per second of `/proc/<pid>/stat`, from `getconf CLK_TCK`,
/// or 100 (and `true`: assumed) when getconf cannot say.
fn clock_ticks_per_second() -> (u64, bool) {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .map_or((100, true), |ticks| (ticks, false))
}

/// The minimum, median and maximum of some figures.
#[derive(Debug, Clone, Copy)]
struct Summary {
    min: f64,
    p50: f64,
    max: f64,
}

impl Summary {
    fn of(values: &mut [f64]) -> Self {
        values.sort_by(f64::total_cmp);
        let last = values.len().saturating_sub(1);
        Self {
            min: values.first().copied().unwrap_or(f64::NAN),
            p50: values.get(last / 2).copied().unwrap_or(f64::NAN),
            max: values.get(last).copied().unwrap_or(f64::NAN),
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "min={:.0} p50={:.0} max={:.0}",
            self.min, self.p50, self.max
        )
    }
}

/// The X display the app runs on: the caller's, or an Xvfb of our own that
/// is stopped when this is dropped.
struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    /// `DISPLAY` if it is set; otherwise a new Xvfb on a free display
    /// (`Ok(None)` when Xvfb is not installed).
    fn find_or_start() -> Result<Option<Self>, String> {
        if let Some(name) = std::env::var("DISPLAY")
            .ok()
            .filter(|name| !name.is_empty())
        {
            return Ok(Some(Self { name, xvfb: None }));
        }
        if !on_path("Xvfb") {
            return Ok(None);
        }
        // `-displayfd 1` makes Xvfb pick a free display itself and write
        // its number to our pipe once it is ready for clients.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("could not start Xvfb: {error}"))?;
        let Some(stdout) = xvfb.stdout.take() else {
            let _ = xvfb.kill();
            return Err("Xvfb has no output pipe".to_owned());
        };
        let lines = read_lines(stdout);
        match lines.recv_timeout(Duration::from_secs(10)) {
            Ok(number) if number.trim().parse::<u32>().is_ok() => Ok(Some(Self {
                name: format!(":{}", number.trim()),
                xvfb: Some(xvfb),
            })),
            _ => {
                let _ = xvfb.kill();
                let _ = xvfb.wait();
                Err("Xvfb did not report a display within 10 s".to_owned())
            }
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(xvfb) = &mut self.xvfb {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
    }
}

/// Whether `program` is an executable file in one of `PATH`'s folders.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Reads `source` line by line on a thread; the lines arrive on the channel.
fn read_lines(source: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// What one launch reported about its first frame.
struct FirstFrame {
    /// `first-frame-ms`: from the top of `main` to the first frame on screen.
    inside_ms: f64,
    /// From `spawn` to reading that line.
    spawn_to_line: Duration,
}

/// One running `deploydesk` window with a fresh home.
struct App {
    child: Child,
    lines: Receiver<String>,
    spawned: Instant,
    /// The last `frames N` read.
    frames: Option<u64>,
    /// The fresh home and data folders; removed when the app is dropped.
    _home: tempfile::TempDir,
}

impl App {
    /// Starts the binary on `display` as a first launch on the demo account.
    fn launch(display: &Display) -> Result<Self, String> {
        let home = tempfile::tempdir().map_err(|error| format!("temporary home: {error}"))?;
        let path = |name: &str| -> PathBuf { home.path().join(name) };
        let mut command = Command::new(BINARY);
        command
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", path(".config"))
            .env("XDG_DATA_HOME", path(".local/share"))
            .env("XDG_CACHE_HOME", path(".cache"))
            .env("XDG_STATE_HOME", path(".local/state"))
            .env("DEPLOYDESK_REPORT_FRAMES", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        let spawned = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|error| format!("could not start {BINARY}: {error}"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err("the app has no output pipe".to_owned());
        };
        Ok(Self {
            child,
            lines: read_lines(stdout),
            spawned,
            frames: None,
            _home: home,
        })
    }

    /// Waits for `first-frame-ms N`.
    fn wait_for_first_frame(&mut self) -> Result<FirstFrame, String> {
        let deadline = self.spawned + FIRST_FRAME_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(value) = line.strip_prefix("first-frame-ms ") {
                        let spawn_to_line = self.spawned.elapsed();
                        let inside_ms = value
                            .trim()
                            .parse()
                            .map_err(|error| format!("bad line {line:?}: {error}"))?;
                        return Ok(FirstFrame {
                            inside_ms,
                            spawn_to_line,
                        });
                    }
                    self.note(&line);
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "no first frame within {} s",
                        FIRST_FRAME_TIMEOUT.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().map(|status| status.to_string());
                    return Err(format!(
                        "the app exited before its first frame ({status:?}); run it by hand to see why"
                    ));
                }
            }
        }
    }

    /// Remembers a `frames N` line.
    fn note(&mut self, line: &str) {
        if let Some(count) = line
            .strip_prefix("frames ")
            .and_then(|count| count.trim().parse().ok())
        {
            self.frames = Some(count);
        }
    }

    /// The latest frame count the app printed (it prints one a second).
    fn latest_frames(&mut self) -> Option<u64> {
        while let Ok(line) = self.lines.try_recv() {
            self.note(&line);
        }
        self.frames
    }

    /// The process's user and system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> Result<u64, String> {
        let path = Path::new("/proc")
            .join(self.child.id().to_string())
            .join("stat");
        let stat = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        // The command name may hold spaces; the fields after it do not.
        // After the name come state (field 3) .. utime (14) and stime (15).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |index: usize| -> Result<u64, String> {
            fields
                .get(index)
                .and_then(|value| value.parse().ok())
                .ok_or_else(|| format!("unexpected {}: {stat}", path.display()))
        };
        Ok(field(11)? + field(12)?)
    }

    /// Stops the app at once (the benchmark keeps nothing it wrote).
    fn stop(self) {
        drop(self);
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
