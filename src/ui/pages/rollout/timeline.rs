//! A target's lifecycle timeline: its events with their status and
//! duration, and the diagnostics (error code, script, log tail) of the
//! events that have them, the failed one first.

use std::time::SystemTime;

use egui::{Color32, RichText};

use crate::cloud::deployments::{EventInfo, Target};
use crate::cloud::instances::InstanceInfo;
use crate::ui::widgets::time;

use super::rows::capitalized;

/// Draws a target's lifecycle timeline. Returns whether it was closed.
pub(super) fn timeline_ui(
    ui: &mut egui::Ui,
    target: &Target,
    instance: Option<&InstanceInfo>,
) -> bool {
    let mut closed = false;
    ui.horizontal(|ui| {
        ui.heading(&target.id);
        if let Some(name) = instance.and_then(InstanceInfo::name) {
            ui.label(RichText::new(name).strong());
        }
        if ui.button("Close").clicked() {
            closed = true;
        }
    });
    ui.label(format!(
        "{}{}",
        capitalized(target.status.label()),
        target
            .label
            .as_ref()
            .map(|label| format!(" · {label}"))
            .unwrap_or_default()
    ));
    ui.separator();
    if target.events.is_empty() {
        ui.label(RichText::new("No lifecycle events yet.").weak());
        return closed;
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
                        ui.label(event_status_text(&event.status));
                        ui.label(event_duration_text(event));
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
                if event.status == "Failed" {
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
    closed
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

fn event_duration_text(event: &EventInfo) -> String {
    match (event.started, event.ended) {
        (Some(start), Some(end)) => end
            .duration_since(start)
            .map(time::duration)
            .unwrap_or_default(),
        (Some(start), None) => SystemTime::now()
            .duration_since(start)
            .map(|elapsed| format!("{} so far", time::duration(elapsed)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}
