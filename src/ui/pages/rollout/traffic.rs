//! The rollout view of a Lambda or ECS deployment: where its traffic is,
//! a chart of the share on the original and the replacement against the
//! configuration's schedule (the steps reached drawn solid, the steps
//! ahead lighter), each lifecycle event with its hook function and status,
//! and, for ECS, the Blue and Green task sets with their counts and target
//! groups.

use egui::{Color32, RichText};

use crate::cloud::deployments::{Deployment, EventInfo, Target, TaskSetView, Traffic};
use crate::domain::traffic::{TrafficRouting, TrafficStep, predefined};
use crate::ui::widgets::chip;
use crate::ui::widgets::traffic_chart::{ORIGINAL, REPLACEMENT, TrafficChart, traffic_chart_ui};

use super::RolloutView;

/// The chart's height.
const CHART_HEIGHT: f32 = 200.0;

/// The schedule of configuration `config`, when it is a predefined one.
pub(super) fn schedule_of(config: &str) -> Option<TrafficRouting> {
    predefined(config).map(|known| known.routing)
}

/// The share on the replacement, in whole percent, as the chart shows it.
fn whole(percent: f64) -> i64 {
    percent.round() as i64
}

/// How many of `schedule`'s steps a replacement share of `percent` has
/// reached.
fn steps_reached(schedule: &[TrafficStep], percent: f64) -> usize {
    schedule
        .iter()
        .take_while(|step| f64::from(step.weight) <= percent + 0.5)
        .count()
}

impl RolloutView {
    /// Draws the traffic of a Lambda or ECS deployment.
    pub(super) fn traffic_ui(&self, ui: &mut egui::Ui, deployment: &Deployment) {
        let Some(target) = self.targets.iter().find(|target| target.traffic.is_some()) else {
            ui.label(RichText::new("Reading where the traffic goes…").weak());
            return;
        };
        let Some(traffic) = &target.traffic else {
            return;
        };
        let percent = traffic.replacement_percent();
        let (original, replacement) = traffic.names();
        let (original_said, replacement_said) = traffic.spoken_names();
        let routing = schedule_of(&deployment.config);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&target.id).strong());
            let summary = format!(
                "{} % on {replacement_said}, {} % on {original_said}",
                whole(percent),
                100 - whole(percent)
            );
            ui.label(summary);
            if let Some(routing) = routing {
                ui.label(RichText::new(format!("· schedule: {routing}")).weak());
            }
        });
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                chart_ui(
                    ui,
                    routing,
                    percent,
                    (&original, &replacement),
                    &replacement_said,
                );
                ui.add_space(8.0);
                if let Traffic::Ecs { task_sets } = traffic {
                    task_sets_ui(ui, task_sets);
                    ui.add_space(8.0);
                }
                events_ui(ui, target);
            });
    }
}

/// The chart of the shares on the original and the replacement.
fn chart_ui(
    ui: &mut egui::Ui,
    routing: Option<TrafficRouting>,
    percent: f64,
    (original, replacement): (&str, &str),
    replacement_said: &str,
) {
    let schedule = routing.map_or_else(
        || {
            vec![TrafficStep {
                at_minutes: 0,
                weight: 100,
            }]
        },
        TrafficRouting::schedule,
    );
    let reached = steps_reached(&schedule, percent);
    let words = format!(
        "Traffic chart: {} % on {replacement_said} after {reached} of {} steps",
        whole(percent),
        schedule.len()
    );
    traffic_chart_ui(
        ui,
        &TrafficChart {
            id: "traffic_chart",
            height: CHART_HEIGHT,
            x_label: "minutes of the configuration",
            original,
            replacement,
            schedule: &schedule,
            reached,
            words: &words,
        },
    );
}

/// The Blue and Green task sets of an ECS deployment.
fn task_sets_ui(ui: &mut egui::Ui, task_sets: &[TaskSetView]) {
    ui.label(RichText::new("Task sets").strong());
    egui::Grid::new("task_sets")
        .num_columns(6)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for heading in [
                "",
                "Running",
                "Pending",
                "Status",
                "Traffic",
                "Target group",
            ] {
                ui.label(RichText::new(heading).weak());
            }
            ui.end_row();
            for set in task_sets {
                let name = if set.label == "Green" {
                    "Green (replacement)"
                } else {
                    "Blue (original)"
                };
                ui.label(name);
                ui.label(format!("{} of {}", set.running, set.desired));
                ui.label(set.pending.to_string());
                ui.label(set.status.to_lowercase());
                ui.label(format!("{} %", whole(set.traffic_percent)));
                ui.label(&set.target_group);
                ui.end_row();
            }
        });
}

/// The colour of an event's status.
fn status_color(ui: &egui::Ui, status: &str) -> Color32 {
    match status {
        "Succeeded" => REPLACEMENT,
        "Failed" => ui.visuals().error_fg_color,
        "InProgress" => ORIGINAL,
        _ => ui.visuals().weak_text_color(),
    }
}

/// Each lifecycle event with its hook function, status and, when it
/// failed, why.
fn events_ui(ui: &mut egui::Ui, target: &Target) {
    ui.label(RichText::new("Lifecycle events").strong());
    egui::Grid::new("traffic_events")
        .num_columns(3)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for event in &target.events {
                ui.label(&event.name);
                let color = status_color(ui, &event.status);
                chip::status_ui(ui, &status_words(&event.status), color);
                ui.label(RichText::new(hook_words(event)).weak());
                ui.end_row();
            }
        });
    if let Some(failed) = target.events.iter().find(|event| event.status == "Failed")
        && let Some(diagnostics) = &failed.diagnostics
    {
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!("{} failed: {}", failed.name, diagnostics.message))
                .color(ui.visuals().error_fg_color),
        );
    }
}

/// A status as a person reads it.
fn status_words(status: &str) -> String {
    match status {
        "InProgress" => "in progress".to_owned(),
        other => other.to_lowercase(),
    }
}

/// What runs an event: its hook function, or CodeDeploy itself.
fn hook_words(event: &EventInfo) -> String {
    match &event.diagnostics {
        Some(diagnostics) if !diagnostics.script_name.is_empty() => {
            format!("hook function {}", diagnostics.script_name)
        }
        _ => match event.name.as_str() {
            "AllowTraffic" => "CodeDeploy shifts production traffic".to_owned(),
            "AllowTestTraffic" => "CodeDeploy sends test traffic to the replacement".to_owned(),
            "Install" => "ECS starts the replacement task set".to_owned(),
            // Whether a hook runs is known once the event has run.
            _ if matches!(event.status.as_str(), "Succeeded" | "Skipped" | "Failed") => {
                "no hook".to_owned()
            }
            _ => String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_reached_follow_the_share_on_the_replacement() {
        let schedule = TrafficRouting::Canary {
            percentage: 10,
            interval_minutes: 5,
        }
        .schedule();
        assert_eq!(steps_reached(&schedule, 0.0), 0);
        assert_eq!(steps_reached(&schedule, 10.0), 1);
        assert_eq!(steps_reached(&schedule, 100.0), 2);
    }
}
