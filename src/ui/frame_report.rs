//! Start-up and idle figures for the start-up benchmark (`benches/startup.rs`).
//!
//! With `DEPLOYDESK_REPORT_FRAMES=1` in the environment, the binary prints to
//! stdout:
//!
//! - `first-frame-ms N` once, when the first frame has been painted and
//!   presented: N milliseconds since [`mark_process_start`] was called at the
//!   top of `main`. eframe has no hook after painting, so the report asks for
//!   a second frame at the end of the first and prints when that second
//!   frame starts, which is right after the first was presented;
//! - `frames N` every second: how many frames have been drawn so far, so a
//!   benchmark can see whether an idle window keeps repainting.
//!
//! Without the variable, [`FrameReport`] only forwards to the app it wraps.

use std::io::Write;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The environment variable that turns the report on (`1`).
pub const REPORT_FRAMES_ENV: &str = "DEPLOYDESK_REPORT_FRAMES";

/// When the process started, as seen by the first line of `main`.
static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Records now as the process start. Call it first thing in `main`; later
/// calls keep the first time.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// The time since [`mark_process_start`] (or since the first call to this
/// function, if it was never called).
pub fn since_process_start() -> Duration {
    PROCESS_START.get_or_init(Instant::now).elapsed()
}

/// Whether `DEPLOYDESK_REPORT_FRAMES=1` asks for the report.
pub fn report_requested() -> bool {
    std::env::var(REPORT_FRAMES_ENV).is_ok_and(|value| value.trim() == "1")
}

/// Wraps an app and, when enabled, reports its first frame and frame count
/// on stdout (see the module documentation). Every `eframe::App` method is
/// forwarded to the wrapped app.
pub struct FrameReport<A> {
    app: A,
    enabled: bool,
    first_frame_reported: bool,
    frames: Arc<AtomicU64>,
}

impl<A: eframe::App> FrameReport<A> {
    /// Wraps `app`, reporting if `enabled`. When enabled, a thread prints
    /// the frame count every second for the life of the process.
    pub fn new(app: A, enabled: bool) -> Self {
        let frames = Arc::new(AtomicU64::new(0));
        if enabled {
            let frames = Arc::clone(&frames);
            let spawned = std::thread::Builder::new()
                .name("deploydesk-frame-report".to_owned())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(1));
                        let count = frames.load(Ordering::Relaxed);
                        if print_line(&format!("frames {count}")).is_err() {
                            // Nobody reads any more.
                            break;
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::warn!("could not start the frame report: {error}");
            }
        }
        Self {
            app,
            enabled,
            first_frame_reported: false,
            frames,
        }
    }

    /// The wrapped app.
    pub fn app(&self) -> &A {
        &self.app
    }
}

/// Prints one line to stdout and flushes it, so a reader sees it at once.
fn print_line(line: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

impl<A: eframe::App> eframe::App for FrameReport<A> {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        if self.enabled && !self.first_frame_reported && ctx.cumulative_frame_nr() >= 1 {
            self.first_frame_reported = true;
            let millis = since_process_start().as_secs_f64() * 1000.0;
            if let Err(error) = print_line(&format!("first-frame-ms {millis:.1}")) {
                tracing::warn!("could not print the first-frame time: {error}");
            }
        }
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        if self.enabled {
            let frame_nr = ui.ctx().cumulative_frame_nr();
            self.frames.store(frame_nr + 1, Ordering::Relaxed);
            if frame_nr == 0 {
                // The report is printed when the next frame starts.
                ui.ctx().request_repaint();
            }
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }

    fn on_exit(&mut self, gl: Option<&eframe::glow::Context>) {
        self.app.on_exit(gl);
    }

    fn auto_save_interval(&self) -> Duration {
        self.app.auto_save_interval()
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        self.app.clear_color(visuals)
    }

    fn persist_egui_memory(&self) -> bool {
        self.app.persist_egui_memory()
    }

    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        self.app.raw_input_hook(ctx, raw_input);
    }
}
