//! Helpers shared by the UI tests: building the real app in a harness and
//! stepping frames while background work runs.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use deploydesk::ui::{App, AppOptions};
use egui_kittest::Harness;

/// The real app with `options` in a harness of the given size.
pub fn app_harness(options: AppOptions, size: egui::Vec2) -> Harness<'static, App> {
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| App::new(cc, options))
}

/// Runs frames until the UI settles, or a few frames while background work
/// keeps a spinner going.
pub fn settle(harness: &mut Harness<'_, App>) {
    // A spinner for work still running is fine here; waiting for results
    // is what `run_until` is for.
    let _ = harness.try_run();
}

/// Steps frames until `condition` holds, failing after a timeout.
pub fn run_until(
    harness: &mut Harness<'_, App>,
    what: &str,
    condition: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        if condition(harness) {
            // Let the frame settle; background work may still be running.
            harness.step();
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
