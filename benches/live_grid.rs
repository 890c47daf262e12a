//! Measures the CPU time of a full frame of the rollout view — layout and
//! tessellation, no GPU — with 1,000 and 10,000 targets in mixed states.
//!
//!     cargo bench --bench live_grid
//!
//! Prints one line per size:
//! `live_grid targets=N frame_ms_p50=X frame_ms_p95=Y`.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use deploydesk::cloud::deployments::{
    Deployment, DeploymentStatus, EventInfo, Overview, Target, TargetStatus,
};
use deploydesk::cloud::watcher::{WatchState, WatchUpdate};
use deploydesk::ui::pages::rollout::RolloutView;

const EVENTS: [&str; 7] = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
];

/// A target in one of the states a large rollout shows, decided by its index.
fn target(index: usize, start: SystemTime) -> Target {
    let (status, done) = match index % 10 {
        0..=4 => (TargetStatus::Succeeded, 7),
        5 => (TargetStatus::Failed, 4),
        6 | 7 => (TargetStatus::InProgress, index % 7),
        8 => (TargetStatus::Pending, 0),
        _ => (TargetStatus::Skipped, 0),
    };
    let wave_start = start + Duration::from_secs((index / 500) as u64 * 60);
    let events = EVENTS
        .iter()
        .enumerate()
        .map(|(position, name)| {
            let event_status = match (status, position.cmp(&done)) {
                (_, std::cmp::Ordering::Less) => "Succeeded",
                (TargetStatus::Failed, std::cmp::Ordering::Equal) => "Failed",
                (TargetStatus::InProgress, std::cmp::Ordering::Equal) => "InProgress",
                (TargetStatus::Failed, _) => "Skipped",
                _ => "Pending",
            };
            EventInfo {
                name: (*name).to_owned(),
                status: event_status.to_owned(),
                started: (position <= done && status != TargetStatus::Pending)
                    .then(|| wave_start + Duration::from_secs(position as u64 * 5)),
                ended: (position < done)
                    .then(|| wave_start + Duration::from_secs(position as u64 * 5 + 4)),
                diagnostics: None,
            }
        })
        .collect();
    Target {
        id: format!("i-{index:017x}"),
        status,
        label: None,
        last_updated: None,
        events,
        traffic: None,
    }
}

fn view_with(count: usize) -> RolloutView {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let targets: Vec<Target> = (0..count).map(|index| target(index, start)).collect();
    let count_of = |status: TargetStatus| {
        i64::try_from(
            targets
                .iter()
                .filter(|target| target.status == status)
                .count(),
        )
        .unwrap_or(i64::MAX)
    };
    let deployment = Deployment {
        id: "d-BENCH0001".to_owned(),
        application: "shop".to_owned(),
        group: "shop-prod".to_owned(),
        config: "CodeDeployDefault.AllAtOnce".to_owned(),
        status: DeploymentStatus::InProgress,
        revision: None,
        creator: "user".to_owned(),
        description: None,
        created: Some(start),
        started: Some(start),
        completed: None,
        overview: Overview {
            pending: count_of(TargetStatus::Pending),
            in_progress: count_of(TargetStatus::InProgress),
            succeeded: count_of(TargetStatus::Succeeded),
            failed: count_of(TargetStatus::Failed),
            skipped: count_of(TargetStatus::Skipped),
            ready: 0,
        },
        error: None,
        blue_green: false,
        load_balancers: Vec::new(),
        termination: None,
        rollback: None,
        platform: deploydesk::domain::ComputePlatform::Server,
    };
    let mut view = RolloutView::new("d-BENCH0001");
    view.apply(WatchUpdate {
        deployment: Some(deployment),
        target_ids: Some(targets.iter().map(|target| target.id.clone()).collect()),
        targets,
        state: WatchState::Watching {
            next_in: Duration::from_secs(1),
        },
        requests: 0,
        refreshes: 0,
    });
    view
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn main() {
    // `cargo test --all-targets` runs this in a debug build too: then a few
    // frames show it works without taking long.
    let frames = if cfg!(debug_assertions) { 3 } else { 120 };
    for count in [1_000, 10_000] {
        let ctx = egui::Context::default();
        let mut view = view_with(count);
        let mut times = Vec::with_capacity(frames);
        for frame in 0..frames + 10 {
            let input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(1600.0, 1000.0),
                )),
                // The pointer moves over the grid, as a person's would.
                events: vec![egui::Event::PointerMoved(egui::pos2(
                    300.0 + (frame % 50) as f32 * 17.0,
                    400.0,
                ))],
                ..Default::default()
            };
            let started = Instant::now();
            let mut output = ctx.run_ui(input, |ui| {
                egui::CentralPanel::default_margins().show(ui, |ui| {
                    black_box(view.ui(ui));
                });
            });
            // No renderer here: the font atlas updates are not uploaded anywhere.
            output.textures_delta.clear();
            let primitives =
                ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
            black_box(primitives);
            // The first frames build fonts and caches; they are not measured.
            if frame >= 10 {
                times.push(started.elapsed());
            }
        }
        times.sort_unstable();
        println!(
            "live_grid targets={count} frame_ms_p50={:.3} frame_ms_p95={:.3}",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        );
    }
}
