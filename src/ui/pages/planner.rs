//! The Rollout planner: pick a compute platform and a deployment
//! configuration. For EC2/on-premises, pick a fleet, mark instances that will
//! fail, and see the waves, the success threshold and the predicted result,
//! from the same rules the local cloud runs. For Lambda and ECS, see the
//! traffic schedule and what a failure at each step does (see [`traffic`]).

mod traffic;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use egui::{Color32, RichText};

use crate::domain::config::{ALL_AT_ONCE, HALF_AT_A_TIME, ONE_AT_A_TIME};
use crate::domain::{
    AttemptResult, ComputePlatform, DeploymentConfig, FleetComposition, Health, InstanceHealth,
    MinimumHealthyHosts, RevisionHealth, RolloutOutcome, Simulation, TargetProgress, explain,
    simulate,
};
use crate::ui::widgets::chip;
use crate::ui::widgets::tiles::TileRow;
use crate::ui::widgets::waves::{self, WavesOptions};

/// Which configuration the user picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ConfigChoice {
    OneAtATime,
    HalfAtATime,
    AllAtOnce,
    Custom,
}

impl ConfigChoice {
    const ALL: [Self; 4] = [
        Self::OneAtATime,
        Self::HalfAtATime,
        Self::AllAtOnce,
        Self::Custom,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::OneAtATime => "OneAtATime",
            Self::HalfAtATime => "HalfAtATime",
            Self::AllAtOnce => "AllAtOnce",
            Self::Custom => "Custom",
        }
    }

    fn full_name(self) -> &'static str {
        match self {
            Self::OneAtATime => ONE_AT_A_TIME,
            Self::HalfAtATime => HALF_AT_A_TIME,
            Self::AllAtOnce => ALL_AT_ONCE,
            Self::Custom => "A custom configuration",
        }
    }
}

/// The unit of a custom minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CustomKind {
    HostCount,
    FleetPercent,
}

/// Everything the user typed; the plan is recomputed only when it changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Inputs {
    choice: ConfigChoice,
    custom_kind: CustomKind,
    custom_value: String,
    unhealthy: String,
    unknown: String,
    old: String,
    current: String,
    failing: String,
    stopped: String,
}

impl Default for Inputs {
    fn default() -> Self {
        Self {
            choice: ConfigChoice::OneAtATime,
            custom_kind: CustomKind::FleetPercent,
            custom_value: "75".to_owned(),
            unhealthy: "0".to_owned(),
            unknown: "0".to_owned(),
            old: "0".to_owned(),
            current: "10".to_owned(),
            failing: String::new(),
            stopped: String::new(),
        }
    }
}

/// A computed plan, ready to draw.
struct PlanView {
    healths: Vec<Health>,
    results: Vec<AttemptResult>,
    simulation: Simulation,
    explanation: Vec<String>,
    rows: Vec<TileRow>,
}

/// Problems with the inputs, each at the field it concerns.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct InputErrors {
    config: Option<String>,
    fleet: Option<String>,
    failures: Option<String>,
}

/// The Rollout planner page.
pub struct PlannerPage {
    platform: ComputePlatform,
    /// The plan of a Lambda or ECS deployment.
    traffic: traffic::TrafficPlanner,
    inputs: Inputs,
    computed_for: Option<Inputs>,
    plan: Result<PlanView, InputErrors>,
    /// What the last click on a tile did, or why it did nothing.
    click_note: Option<String>,
}

impl Default for PlannerPage {
    fn default() -> Self {
        let mut page = Self {
            platform: ComputePlatform::Server,
            traffic: traffic::TrafficPlanner::default(),
            inputs: Inputs::default(),
            computed_for: None,
            plan: Err(InputErrors::default()),
            click_note: None,
        };
        page.recompute_if_changed();
        page
    }
}

impl PlannerPage {
    fn recompute_if_changed(&mut self) {
        if self.computed_for.as_ref() == Some(&self.inputs) {
            return;
        }
        self.plan = compute(&self.inputs);
        self.computed_for = Some(self.inputs.clone());
    }

    /// Draws the page.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Rollout planner");
        ui.label(if self.platform == ComputePlatform::Server {
            "See how CodeDeploy will roll a revision out to a fleet: the waves, how many \
             instances must succeed, and whether the deployment succeeds. Click a tile to \
             make that instance fail."
        } else {
            "See how CodeDeploy will move traffic to the new version: the schedule, where the \
             traffic is at each step, and what a failure at each step does."
        });
        ui.add_space(6.0);
        // The inputs give up some width in a narrow window, so the plan's
        // sentences keep room to wrap.
        let inputs_width = (ui.available_width() * 0.45).clamp(240.0, 330.0);
        egui::Panel::left("planner_inputs")
            .resizable(false)
            .exact_size(inputs_width)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("planner_inputs_scroll")
                    .show(ui, |ui| {
                        platform_ui(ui, &mut self.platform);
                        ui.add_space(10.0);
                        if self.platform == ComputePlatform::Server {
                            self.inputs_ui(ui);
                        } else {
                            self.traffic.inputs_ui(ui, self.platform);
                        }
                    });
            });
        if self.platform == ComputePlatform::Server {
            self.recompute_if_changed();
            egui::CentralPanel::default_margins().show(ui, |ui| self.result_ui(ui));
        } else {
            egui::CentralPanel::default_margins()
                .show(ui, |ui| self.traffic.result_ui(ui, self.platform));
        }
    }

    fn inputs_ui(&mut self, ui: &mut egui::Ui) {
        let errors = self.plan.as_ref().err().cloned().unwrap_or_default();

        ui.strong("Deployment configuration");
        ui.horizontal_wrapped(|ui| {
            for choice in ConfigChoice::ALL {
                ui.selectable_value(&mut self.inputs.choice, choice, choice.label())
                    .on_hover_text(choice.full_name());
            }
        });
        if self.inputs.choice == ConfigChoice::Custom {
            ui.horizontal(|ui| {
                ui.radio_value(
                    &mut self.inputs.custom_kind,
                    CustomKind::HostCount,
                    "Host count",
                );
                ui.radio_value(
                    &mut self.inputs.custom_kind,
                    CustomKind::FleetPercent,
                    "Fleet percent",
                );
            });
            let label = match self.inputs.custom_kind {
                CustomKind::HostCount => "Minimum healthy hosts",
                CustomKind::FleetPercent => "Minimum healthy percent",
            };
            labelled_field_ui(ui, label, &mut self.inputs.custom_value);
        }
        field_error_ui(ui, errors.config.as_deref());

        ui.add_space(10.0);
        ui.strong("Fleet");
        ui.label(RichText::new("How many instances are in each health state.").weak());
        egui::Grid::new("fleet_grid").num_columns(2).show(ui, |ui| {
            for (label, value) in [
                ("Unhealthy", &mut self.inputs.unhealthy),
                ("Healthy, unknown revision", &mut self.inputs.unknown),
                ("Healthy, old revision", &mut self.inputs.old),
                ("Healthy, current revision", &mut self.inputs.current),
            ] {
                let label_response = ui.label(label);
                ui.add(egui::TextEdit::singleline(value).desired_width(70.0))
                    .labelled_by(label_response.id);
                ui.end_row();
            }
        });
        field_error_ui(ui, errors.fleet.as_deref());

        ui.add_space(10.0);
        ui.strong("Instances that will fail");
        ui.label(
            RichText::new("Positions in deployment order, e.g. 3, 7-9. Or click tiles.").weak(),
        );
        egui::Grid::new("failures_grid")
            .num_columns(2)
            .show(ui, |ui| {
                let label = ui.label("Failing");
                ui.add(egui::TextEdit::singleline(&mut self.inputs.failing).desired_width(150.0))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Stopped");
                ui.add(egui::TextEdit::singleline(&mut self.inputs.stopped).desired_width(150.0))
                    .labelled_by(label.id)
                    .on_hover_text("A stopped instance counts as a failed one.");
                ui.end_row();
            });
        field_error_ui(ui, errors.failures.as_deref());
        if ui.button("All succeed").clicked() {
            self.inputs.failing.clear();
            self.inputs.stopped.clear();
        }
    }

    fn result_ui(&mut self, ui: &mut egui::Ui) {
        let Ok(view) = &self.plan else {
            ui.label(RichText::new("Fix the inputs on the left to see the plan.").weak());
            return;
        };
        let simulation = &view.simulation;
        let total = view.healths.len();

        ui.horizontal(|ui| {
            ui.label(RichText::new("Predicted result:").strong());
            let (text, fill) = match &simulation.outcome {
                RolloutOutcome::Succeeded => ("Succeeds", Color32::from_rgb(0x2e, 0x9e, 0x5b)),
                RolloutOutcome::Failed(_) => ("Fails", Color32::from_rgb(0xd6, 0x3b, 0x3b)),
                RolloutOutcome::Stopped => ("Stopped", Color32::from_rgb(0xd9, 0x82, 0x1e)),
            };
            chip::status_ui(ui, text, fill);
            if let RolloutOutcome::Failed(reason) = &simulation.outcome {
                ui.monospace(reason.error_code())
                    .on_hover_text("The error code CodeDeploy reports for this failure");
            }
        });
        // One wrapped line per number, so a long value wraps between words
        // in a narrow window rather than running past the edge.
        for (name, value) in [
            (
                "Minimum healthy",
                format!("{} of {total}", simulation.minimum),
            ),
            ("At most per wave", simulation.max_per_wave.to_string()),
            ("Successes needed", simulation.successes_needed.to_string()),
            ("Waves", wave_sizes_text(simulation)),
            ("Afterwards", health_after_text(simulation)),
        ] {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("{name}:")).weak());
                ui.label(value);
            });
        }
        ui.add_space(4.0);
        // One line that is always there, so the grid does not move when a
        // click has something to say.
        let note = self.click_note.clone().unwrap_or_else(|| {
            "Click a tile: once to make it fail, again to stop it, again to let it succeed."
                .to_owned()
        });
        let height =
            2.0 * ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(ui.available_width(), height),
            egui::Sense::hover(),
        );
        let mut line = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(rect)
                .layout(egui::Layout::top_down(egui::Align::Min)),
        );
        line.add(egui::Label::new(RichText::new(note).weak()).wrap())
            .on_hover_text("A tile that is not attempted cannot be changed: the deployment ends before it reaches it.");
        let describe = |item: usize| describe_instance(view, item);
        let options = WavesOptions {
            id_salt: "planner_waves",
            label: "Planned waves",
            grid_height: None,
        };
        let response = waves::waves_ui(
            ui,
            &options,
            simulation,
            &view.rows,
            &view.explanation,
            &describe,
        );
        if let Some(item) = response.clicked {
            self.click_note = Some(click_note(view, item));
            if simulation.progress[item] != TargetProgress::Skipped {
                let next = match view.results[item] {
                    AttemptResult::Succeeded => AttemptResult::Failed,
                    AttemptResult::Failed => AttemptResult::InstanceStopped,
                    AttemptResult::InstanceStopped => AttemptResult::Succeeded,
                };
                let mut results = view.results.clone();
                results[item] = next;
                self.inputs.failing = positions_text(&results, AttemptResult::Failed);
                self.inputs.stopped = positions_text(&results, AttemptResult::InstanceStopped);
            }
        }
    }
}

/// The compute platform picker at the top of the inputs.
fn platform_ui(ui: &mut egui::Ui, platform: &mut ComputePlatform) {
    ui.strong("Compute platform");
    ui.horizontal_wrapped(|ui| {
        for choice in ComputePlatform::ALL {
            ui.selectable_value(platform, choice, choice.label());
        }
    });
}

/// A text field with an accessible label in front of it.
fn labelled_field_ui(ui: &mut egui::Ui, label: &str, value: &mut String) -> egui::Response {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        ui.add(egui::TextEdit::singleline(value).desired_width(70.0))
            .labelled_by(label.id)
    })
    .inner
}

fn field_error_ui(ui: &mut egui::Ui, error: Option<&str>) {
    if let Some(error) = error {
        ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
    }
}

fn compute(inputs: &Inputs) -> Result<PlanView, InputErrors> {
    let mut errors = InputErrors::default();
    let minimum = match inputs.choice {
        ConfigChoice::OneAtATime => Ok(DeploymentConfig::one_at_a_time().minimum_healthy_hosts),
        ConfigChoice::HalfAtATime => Ok(DeploymentConfig::half_at_a_time().minimum_healthy_hosts),
        ConfigChoice::AllAtOnce => Ok(DeploymentConfig::all_at_once().minimum_healthy_hosts),
        ConfigChoice::Custom => {
            parse_number(&inputs.custom_value, "the minimum").and_then(|value| {
                match inputs.custom_kind {
                    CustomKind::HostCount => MinimumHealthyHosts::host_count(value),
                    CustomKind::FleetPercent => MinimumHealthyHosts::fleet_percent(value),
                }
                .map_err(|error| error.to_string())
            })
        }
    };
    let minimum = minimum.map_err(|error| errors.config = Some(error)).ok();

    let fleet = (|| {
        let unhealthy = parse_number(&inputs.unhealthy, "unhealthy instances")?;
        let unknown = parse_number(&inputs.unknown, "unknown-revision instances")?;
        let old = parse_number(&inputs.old, "old-revision instances")?;
        let current = parse_number(&inputs.current, "current-revision instances")?;
        FleetComposition::from_counts(unhealthy, unknown, old, current)
            .map_err(|error| error.to_string())
    })();
    let fleet = fleet.map_err(|error| errors.fleet = Some(error)).ok();

    let results = fleet.and_then(|fleet| {
        let total = fleet.total();
        let failing = parse_positions(&inputs.failing, total);
        let stopped = parse_positions(&inputs.stopped, total);
        let outcome = failing.and_then(|failing| {
            let stopped = stopped?;
            if let Some(both) = failing.intersection(&stopped).next() {
                return Err(format!(
                    "Instance {} is listed as both failing and stopped; keep it in one list.",
                    both + 1
                ));
            }
            let mut results = vec![AttemptResult::Succeeded; total];
            for index in failing {
                results[index] = AttemptResult::Failed;
            }
            for index in stopped {
                results[index] = AttemptResult::InstanceStopped;
            }
            Ok((fleet, results))
        });
        outcome.map_err(|error| errors.failures = Some(error)).ok()
    });

    let (Some(minimum), Some((fleet, results))) = (minimum, results) else {
        return Err(errors);
    };
    let healths = fleet.healths();
    let simulation = simulate(&healths, minimum, &results).map_err(|error| InputErrors {
        fleet: Some(error.to_string()),
        ..InputErrors::default()
    })?;
    let explanation = explain(minimum, &simulation);
    let rows = waves::plan_rows(&simulation);
    Ok(PlanView {
        healths,
        results,
        simulation,
        explanation,
        rows,
    })
}

fn parse_number(text: &str, what: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("Enter a whole number for {what}."));
    }
    trimmed
        .parse::<i64>()
        .map_err(|_| format!("\"{trimmed}\" is not a whole number; enter one for {what}."))
}

/// Parses 1-based positions such as `3, 7-9` into 0-based indices.
fn parse_positions(text: &str, total: usize) -> Result<BTreeSet<usize>, String> {
    let mut positions = BTreeSet::new();
    for part in text
        .split([',', ' '])
        .filter(|part| !part.trim().is_empty())
    {
        let part = part.trim();
        let (start, end) = match part.split_once('-') {
            Some((start, end)) => (start.trim(), end.trim()),
            None => (part, part),
        };
        let parse = |value: &str| {
            value
                .parse::<usize>()
                .ok()
                .filter(|&position| position >= 1)
                .ok_or_else(|| {
                    format!(
                        "\"{part}\" is not an instance position; use numbers from 1, like 3 or 7-9."
                    )
                })
        };
        let (start, end) = (parse(start)?, parse(end)?);
        if start > end {
            return Err(format!(
                "\"{part}\" counts backwards; write the smaller number first."
            ));
        }
        if end > total {
            return Err(format!(
                "There is no instance {end}: the fleet has {total}. Use positions 1 to {total}."
            ));
        }
        positions.extend(start - 1..end);
    }
    Ok(positions)
}

/// Writes the positions with the given result as compact 1-based ranges.
fn positions_text(results: &[AttemptResult], wanted: AttemptResult) -> String {
    let mut parts = Vec::new();
    let mut index = 0;
    while index < results.len() {
        if results[index] == wanted {
            let start = index;
            while index + 1 < results.len() && results[index + 1] == wanted {
                index += 1;
            }
            parts.push(if start == index {
                (start + 1).to_string()
            } else {
                format!("{}-{}", start + 1, index + 1)
            });
        }
        index += 1;
    }
    parts.join(", ")
}

fn wave_sizes_text(simulation: &Simulation) -> String {
    const SHOWN: usize = 12;
    if simulation.waves.is_empty() {
        return "none".to_owned();
    }
    let sizes: Vec<String> = simulation
        .waves
        .iter()
        .take(SHOWN)
        .map(|wave| wave.len().to_string())
        .collect();
    let more = simulation.waves.len().saturating_sub(SHOWN);
    let count = simulation.waves.len();
    let mut text = format!(
        "{count} {}: {}",
        if count == 1 { "wave" } else { "waves" },
        sizes.join(", ")
    );
    if more > 0 {
        let _ = write!(text, ", … ({more} more)");
    }
    text
}

fn health_after_text(simulation: &Simulation) -> String {
    let count = |predicate: &dyn Fn(&Health) -> bool| {
        simulation
            .health_after
            .iter()
            .filter(|health| predicate(health))
            .count()
    };
    let healthy = count(&|health| health.instance == InstanceHealth::Healthy);
    let unhealthy = simulation.health_after.len() - healthy;
    let current = count(&|health| health.revision == RevisionHealth::Current);
    let old = count(&|health| health.revision == RevisionHealth::Old);
    let unknown = count(&|health| health.revision == RevisionHealth::Unknown);
    let revision = if simulation.group_revision_updated {
        "the group's revision becomes the new one"
    } else {
        "the group's revision stays the same"
    };
    format!(
        "{healthy} healthy, {unhealthy} unhealthy; revisions {current} current, {old} old, \
         {unknown} unknown; {revision}"
    )
}

/// What a click on the tile of `item` does, said after the click: a tile
/// that is not attempted is left as it is, since the deployment never
/// reaches it.
fn click_note(view: &PlanView, item: usize) -> String {
    let position = item + 1;
    if view.simulation.progress[item] != TargetProgress::Skipped {
        let next = match view.results[item] {
            AttemptResult::Succeeded => "now fails",
            AttemptResult::Failed => "is now stopped",
            AttemptResult::InstanceStopped => "now succeeds",
        };
        return format!("Instance {position} {next}.");
    }
    match view.results[item] {
        AttemptResult::Succeeded => format!(
            "Instance {position} is not attempted: the deployment ends before it reaches it, so it cannot be made to fail. Nothing was changed."
        ),
        AttemptResult::Failed | AttemptResult::InstanceStopped => format!(
            "Instance {position} is not attempted, so its place in the lists above changes nothing; remove it there if you like."
        ),
    }
}

fn describe_instance(view: &PlanView, item: usize) -> String {
    let health = view.healths[item];
    let before = match health.instance {
        InstanceHealth::Unhealthy => "unhealthy".to_owned(),
        InstanceHealth::Healthy => format!("healthy, {} revision", health.revision),
    };
    let after = view.simulation.health_after[item];
    let planned = match view.results[item] {
        AttemptResult::Succeeded => "would succeed",
        AttemptResult::Failed => "would fail",
        AttemptResult::InstanceStopped => "is stopped",
    };
    let click = if view.simulation.progress[item] == TargetProgress::Skipped {
        "Not attempted: the deployment ends before it reaches this instance, so a click changes nothing."
    } else {
        "Click to change what happens to it."
    };
    format!(
        "Instance {} ({before})\n{}; {planned}\nAfterwards: {}, {} revision\n{click}",
        item + 1,
        waves::tile_state(view.simulation.progress[item]).word(),
        after.instance,
        after.revision,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_single_numbers_and_ranges() {
        let positions = parse_positions("3, 7-9", 10).unwrap();
        assert_eq!(positions.into_iter().collect::<Vec<_>>(), vec![2, 6, 7, 8]);
        assert!(parse_positions("", 10).unwrap().is_empty());
    }

    #[test]
    fn positions_outside_the_fleet_are_refused_with_the_range() {
        let error = parse_positions("11", 10).unwrap_err();
        assert!(error.contains("positions 1 to 10"), "{error}");
        assert!(parse_positions("0", 10).is_err());
        assert!(parse_positions("abc", 10).is_err());
        assert!(
            parse_positions("9-3", 10)
                .unwrap_err()
                .contains("backwards")
        );
    }

    #[test]
    fn positions_text_round_trips() {
        let mut results = vec![AttemptResult::Succeeded; 10];
        for index in [2, 6, 7, 8] {
            results[index] = AttemptResult::Failed;
        }
        let text = positions_text(&results, AttemptResult::Failed);
        assert_eq!(text, "3, 7-9");
        let parsed = parse_positions(&text, 10).unwrap();
        assert_eq!(parsed.into_iter().collect::<Vec<_>>(), vec![2, 6, 7, 8]);
    }

    #[test]
    fn a_percentage_of_100_is_reported_at_the_configuration() {
        let inputs = Inputs {
            choice: ConfigChoice::Custom,
            custom_kind: CustomKind::FleetPercent,
            custom_value: "100".to_owned(),
            ..Inputs::default()
        };
        let errors = compute(&inputs).err().unwrap();
        assert!(errors.config.unwrap().contains("between 0 and 99"));
        assert!(errors.fleet.is_none());
    }

    #[test]
    fn an_empty_fleet_is_reported_at_the_fleet() {
        let inputs = Inputs {
            current: "0".to_owned(),
            ..Inputs::default()
        };
        let errors = compute(&inputs).err().unwrap();
        assert!(errors.fleet.unwrap().contains("empty"));
    }
}
