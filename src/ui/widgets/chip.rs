//! Small rounded status chips.

use egui::{Color32, RichText};

use crate::settings::BackendChoice;

/// A filled chip with text, e.g. a predicted result.
pub fn status_ui(ui: &mut egui::Ui, text: &str, fill: Color32) -> egui::Response {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(8, 2))
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(Color32::WHITE).strong())
        })
        .inner
}

/// The chip in the top bar that says which backend is active.
pub fn backend_ui(ui: &mut egui::Ui, backend: &BackendChoice) -> egui::Response {
    let fill = match backend {
        BackendChoice::Demo => Color32::from_rgb(0x2e, 0x7d, 0x5b),
        BackendChoice::Profile { .. } => Color32::from_rgb(0xc2, 0x5e, 0x00),
        BackendChoice::Endpoint { .. } => Color32::from_rgb(0x3b, 0x5b, 0xa5),
    };
    status_ui(ui, &backend.label(), fill).on_hover_text("The account DeployDesk is talking to")
}
