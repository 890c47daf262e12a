//! A target's lifecycle timeline: its events with their status and
//! duration, and the diagnostics (error code, script, log tail) of the
//! events that have them, the failed one first.

use std::time::SystemTime;

use egui::{Color32, RichText};

use crate::cloud::deployments::{EventInfo, Target};
use crate::cloud::instances::InstanceInfo;
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::time;

use super::rows::{capitalized, cut_short};

/// The colour of an event cut short by a stop, as the stopped tile's.
const STOPPED_COLOR: Color32 = Color32::from_rgb(0xd9, 0x82, 0x1e);

/// What the person asked of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimelineAction {
    /// Close it.
    Close,
    /// Check the instances' readiness, where the agent can be installed.
    CheckReadiness,
}

/// The start of the message CodeDeploy gives when no agent took an event.
const NO_AGENT: &str = "CodeDeploy agent was not able to receive the lifecycle event";

/// Draws a target's lifecycle timeline; `deployment_stopped` tells an
/// event cut short by a stop from one that failed. Returns what the person
/// asked for.
pub(super) fn timeline_ui(
    ui: &mut egui::Ui,
    target: &Target,
    instance: Option<&InstanceInfo>,
    deployment_stopped: bool,
) -> Option<TimelineAction> {
    let stopped = cut_short(target, deployment_stopped);
    let mut action = None;
    ui.horizontal(|ui| {
        ui.heading(&target.id);
        // An on-premises instance's ID is its name: it is said once.
        if let Some(name) = instance
            .and_then(InstanceInfo::name)
            .filter(|name| *name != target.id)
        {
            ui.label(RichText::new(name).strong());
        }
        if ui
            .add(Action::secondary("Close").icon(icons::ICON_CLOSE))
            .clicked()
        {
            action = Some(TimelineAction::Close);
        }
    });
    ui.label(format!(
        "{}{}",
        if stopped {
            "Stopped while it was being deployed to".to_owned()
        } else {
            capitalized(target.status.label())
        },
        target
            .label
            .as_ref()
            .map(|label| format!(" · {label}"))
            .unwrap_or_default()
    ));
    ui.separator();
    if target.events.is_empty() {
        ui.label(RichText::new("No lifecycle events yet.").weak());
        return action;
    }
    // No agent answered: the fix is where readiness is checked.
    let no_agent = target.events.iter().any(|event| {
        event.status == "Failed"
            && event
                .diagnostics
                .as_ref()
                .is_some_and(|diagnostics| diagnostics.message.starts_with(NO_AGENT))
    });
    if no_agent && !stopped {
        ui.label(
            RichText::new(
                "No CodeDeploy agent answered on this instance: it has none, its agent is stopped, or it has no instance profile to reach CodeDeploy with.",
            )
            .color(ui.visuals().warn_fg_color),
        );
        if ui
            .add(Action::primary("Check readiness and install the agent…"))
            .on_hover_text("Opens the Deploy dialog for this group and revision: its readiness check shows what each instance lacks and installs the agent through Systems Manager.")
            .clicked()
        {
            action = Some(TimelineAction::CheckReadiness);
        }
        ui.separator();
    }
    egui::ScrollArea::vertical()
        .id_salt("timeline_scroll")
        .show(ui, |ui| {
            egui::Grid::new("timeline_grid")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for event in &target.events {
                        ui.label(&event.name);
                        if stopped && event.status == "Failed" {
                            ui.label(RichText::new("Stopped").strong().color(STOPPED_COLOR))
                                .on_hover_text("CodeDeploy's status: Failed");
                        } else {
                            ui.label(event_status_text(&event.status));
                        }
                        ui.label(event_duration_text(ui.ctx(), event));
                        ui.end_row();
                    }
                });
            // The failed event's diagnostics come first and open; the logs
            // of events that went well are a click away.
            let mut with_logs: Vec<_> = target
                .events
                .iter()
                .filter_map(|event| Some((event, event.diagnostics.as_ref()?)))
                .filter(|(_, diagnostics)| {
                    !(diagnostics.error_code.is_empty() && diagnostics.log_tail.is_empty())
                })
                .collect();
            with_logs.sort_by_key(|(event, _)| event.status != "Failed");
            for (event, diagnostics) in with_logs {
                ui.add_space(8.0);
                if stopped && event.status == "Failed" {
                    ui.strong(format!("{} was stopped", event.name));
                    ui.label(format!(
                        "The deployment was stopped while {} was running on this instance, so it did not finish. Nothing in its script failed, and it left no log.",
                        event.name
                    ))
                    .on_hover_text(format!(
                        "CodeDeploy reports it as Failed, {}: {}",
                        diagnostics.error_code, diagnostics.message
                    ));
                } else if event.status == "Failed" {
                    ui.strong(format!("{} failed", event.name));
                    diagnostics_ui(ui, &event.name, diagnostics);
                } else {
                    egui::CollapsingHeader::new(format!("{} log", event.name))
                        .id_salt(("event_log", &event.name))
                        .default_open(false)
                        .show(ui, |ui| diagnostics_ui(ui, &event.name, diagnostics));
                }
            }
        });
    action
}

/// An event's diagnostics: its error code, script, message and log tail.
fn diagnostics_ui(
    ui: &mut egui::Ui,
    event_name: &str,
    diagnostics: &crate::cloud::deployments::Diagnostics,
) {
    egui::Grid::new(("diagnostics", event_name))
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Error code");
            ui.monospace(&diagnostics.error_code);
            ui.end_row();
            ui.label("Script");
            ui.monospace(&diagnostics.script_name);
            ui.end_row();
            ui.label("Message");
            ui.label(&diagnostics.message);
            ui.end_row();
        });
    if diagnostics.log_tail.is_empty() {
        ui.label(RichText::new("The event left no log.").weak());
        return;
    }
    let log_label = ui
        .horizontal(|ui| {
            let label = ui.label("Log tail");
            if ui.small_button("Copy log").clicked() {
                ui.ctx().copy_text(diagnostics.log_tail.clone());
            }
            label.id
        })
        .inner;
    let mut log = diagnostics.log_tail.as_str();
    egui::ScrollArea::both()
        .id_salt(("log_tail", event_name))
        .max_height(240.0)
        .show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut log)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(f32::INFINITY)
                    .desired_rows(8),
            )
            .labelled_by(log_label)
            .on_hover_text("Select to copy, or use Copy log");
        });
}

fn event_status_text(status: &str) -> RichText {
    match status {
        "Failed" => RichText::new("Failed")
            .strong()
            .color(Color32::from_rgb(0xd6, 0x3b, 0x3b)),
        "Succeeded" => RichText::new("Succeeded").color(Color32::from_rgb(0x2e, 0x9e, 0x5b)),
        "InProgress" => RichText::new("In progress").color(Color32::from_rgb(0x3d, 0x7e, 0xd6)),
        other => RichText::new(other).weak(),
    }
}

fn event_duration_text(ctx: &egui::Context, event: &EventInfo) -> String {
    match (event.started, event.ended) {
        (Some(start), Some(end)) => end
            .duration_since(start)
            .map(time::duration)
            .unwrap_or_default(),
        (Some(start), None) => SystemTime::now()
            .duration_since(start)
            .map(|elapsed| format!("{} so far", time::running_live(ctx, elapsed)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}
