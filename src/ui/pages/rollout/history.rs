//! The history chart: a group's recent deployments as small bars beside
//! the header.

use std::time::SystemTime;

use egui::RichText;

use crate::cloud::deployments::{Deployment, DeploymentStatus};
use crate::ui::widgets::time;

use super::status_color;

/// The bars' height.
const HEIGHT: f32 = 34.0;

/// The height the chart takes with its caption, so that its room can be
/// kept before it arrives.
pub(super) fn history_chart_height(ui: &egui::Ui) -> f32 {
    let caption = ui.text_style_height(&egui::TextStyle::Small);
    caption + ui.spacing().item_spacing.y + HEIGHT
}

/// A small bar chart of a group's recent deployments, oldest on the left:
/// height is duration, colour the result.
pub(super) fn history_chart_ui(ui: &mut egui::Ui, history: &[Deployment], current: &Deployment) {
    const BAR: f32 = 7.0;
    let group = current.group.as_str();
    // The deployment on screen is newer than the history read when it opened.
    let history: Vec<&Deployment> = history
        .iter()
        .map(|deployment| {
            if deployment.id == current.id {
                current
            } else {
                deployment
            }
        })
        .collect();
    let now = SystemTime::now();
    let durations: Vec<f32> = history
        .iter()
        .map(|deployment| {
            deployment
                .duration(now)
                .map_or(0.0, |duration| duration.as_secs_f32())
        })
        .collect();
    let longest = durations.iter().copied().fold(1.0_f32, f32::max);
    let width = history.len() as f32 * (BAR + 2.0);
    ui.vertical(|ui| {
        ui.label(
            RichText::new(format!("Recent deployments of {group}"))
                .small()
                .weak(),
        );
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(width, HEIGHT), egui::Sense::hover());
        let painter = ui.painter();
        let mut hovered = None;
        for (slot, (deployment, seconds)) in
            history.iter().rev().zip(durations.iter().rev()).enumerate()
        {
            let height = (seconds / longest * HEIGHT).max(2.0);
            let left = rect.left() + slot as f32 * (BAR + 2.0);
            let bar = egui::Rect::from_min_max(
                egui::pos2(left, rect.bottom() - height),
                egui::pos2(left + BAR, rect.bottom()),
            );
            painter.rect_filled(bar, 1.0, status_color(deployment.status));
            if deployment.id == current.id {
                painter.rect_stroke(
                    bar.expand(1.5),
                    1.0,
                    egui::Stroke::new(1.0, ui.visuals().strong_text_color()),
                    egui::StrokeKind::Outside,
                );
            }
            if response
                .hover_pos()
                .is_some_and(|pos| pos.x >= left && pos.x < left + BAR + 2.0)
            {
                hovered = Some((deployment, *seconds));
            }
        }
        let summary = format!(
            "{} recent deployments of {group}: {} succeeded, {} failed",
            history.len(),
            history
                .iter()
                .filter(|deployment| deployment.status == DeploymentStatus::Succeeded)
                .count(),
            history
                .iter()
                .filter(|deployment| deployment.status == DeploymentStatus::Failed)
                .count()
        );
        let response = response.on_hover_text(match hovered {
            Some((deployment, seconds)) => format!(
                "{}: {} in {}",
                deployment.id,
                super::status_word(deployment.status),
                time::duration(std::time::Duration::from_secs_f32(seconds))
            ),
            None => summary.clone(),
        });
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &summary));
    });
}
