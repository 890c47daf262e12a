//! The waves of a planned rollout, drawn the same way wherever a plan is
//! shown (the Rollout planner and the Deploy dialog's pre-flight plan): the
//! planner's sentences as a caption, a legend, then one row of tiles per
//! wave and a last row for the instances never attempted.

use crate::domain::{AttemptResult, Simulation, TargetProgress};
use crate::ui::widgets::tiles::{self, GridOptions, TileGridResponse, TileRow, TileState};

/// The states a plan's tiles can be in, as the legend lists them.
const LEGEND: [TileState; 4] = [
    TileState::Succeeded,
    TileState::Failed,
    TileState::Stopped,
    TileState::Skipped,
];

/// What the waves widget needs besides the plan.
pub struct WavesOptions<'a> {
    /// Keeps the grid's scroll position apart from other grids.
    pub id_salt: &'a str,
    /// What a screen reader says for the grid.
    pub label: &'a str,
    /// The height the grid keeps whatever the plan, so that what is below
    /// it does not move when a plan arrives or changes; `None` fills the
    /// height left.
    pub grid_height: Option<f32>,
}

/// The rows of tiles of `simulation`: "Wave 1", "Wave 2", … and, when the
/// rollout ends before reaching some instances, "Not attempted".
pub fn plan_rows(simulation: &Simulation) -> Vec<TileRow> {
    let mut rows: Vec<TileRow> = simulation
        .waves
        .iter()
        .enumerate()
        .map(|(index, wave)| TileRow {
            label: format!("Wave {}", index + 1),
            items: wave.clone(),
        })
        .collect();
    let skipped: Vec<usize> = (0..simulation.progress.len())
        .filter(|&index| simulation.progress[index] == TargetProgress::Skipped)
        .collect();
    if !skipped.is_empty() {
        rows.push(TileRow {
            label: "Not attempted".to_owned(),
            items: skipped,
        });
    }
    rows
}

/// How an instance's planned progress is drawn.
pub fn tile_state(progress: TargetProgress) -> TileState {
    match progress {
        TargetProgress::Pending => TileState::Pending,
        TargetProgress::InProgress { .. } => TileState::InProgress(0.5),
        TargetProgress::Done { result, .. } => match result {
            AttemptResult::Succeeded => TileState::Succeeded,
            AttemptResult::Failed => TileState::Failed,
            AttemptResult::InstanceStopped => TileState::Stopped,
        },
        TargetProgress::Skipped => TileState::Skipped,
    }
}

/// Draws `caption` (one sentence a line), the legend and the waves of
/// `simulation`, whose rows are `rows` (from [`plan_rows`]). `describe`
/// gives an instance's hover text. Returns what the pointer did.
pub fn waves_ui(
    ui: &mut egui::Ui,
    options: &WavesOptions<'_>,
    simulation: &Simulation,
    rows: &[TileRow],
    caption: &[String],
    describe: &dyn Fn(usize) -> String,
) -> TileGridResponse {
    for line in caption {
        ui.label(line.as_str());
    }
    ui.add_space(6.0);
    tiles::legend_ui(ui, &LEGEND);
    ui.separator();
    let state_of = |item: usize| {
        simulation
            .progress
            .get(item)
            .map_or(TileState::Pending, |&progress| tile_state(progress))
    };
    let grid = GridOptions {
        id_salt: options.id_salt,
        selected: None,
        label: options.label,
    };
    match options.grid_height {
        Some(height) => {
            let size = egui::vec2(ui.available_width(), height);
            ui.allocate_ui(size, |ui| {
                ui.set_min_size(size);
                tiles::grid_ui(ui, &grid, rows, &state_of, describe)
            })
            .inner
        }
        None => tiles::grid_ui(ui, &grid, rows, &state_of, describe),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Health, InstanceHealth, MinimumHealthyHosts, RevisionHealth, simulate};

    #[test]
    fn a_failed_rollout_ends_with_a_row_of_instances_not_attempted() {
        // Eight unhealthy instances that all fail and two healthy ones a
        // minimum of five keeps online: the healthy two are never reached.
        let mut healths = vec![Health::NEW; 8];
        healths.extend([Health::new(InstanceHealth::Healthy, RevisionHealth::Current); 2]);
        let mut results = vec![AttemptResult::Failed; 8];
        results.extend([AttemptResult::Succeeded; 2]);
        let simulation =
            simulate(&healths, MinimumHealthyHosts::HostCount(5), &results).expect("a plan");
        let rows = plan_rows(&simulation);
        assert_eq!(rows[0].label, "Wave 1");
        let last = rows.last().expect("rows");
        assert_eq!(last.label, "Not attempted");
        assert_eq!(last.items, vec![8, 9]);
        assert_eq!(tile_state(simulation.progress[0]), TileState::Failed);
        assert_eq!(tile_state(simulation.progress[9]), TileState::Skipped);
    }
}
