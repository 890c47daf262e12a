//! The header of the rollout view: the deployment's status, progress and
//! times, its failure in plain words, the watcher's state line, and the
//! actions (Stop, Stop and roll back, Continue, Redeploy) with their
//! confirmation.

use std::time::SystemTime;

use egui::RichText;

use crate::cloud::deployments::{Deployment, DeploymentStatus, Target};
use crate::cloud::watcher::WatchState;
use crate::domain::MinimumHealthyHosts;
use crate::domain::rollout::FailureCode;
use crate::ui::widgets::tiles::TileState;
use crate::ui::widgets::{chip, time};

use super::history::history_chart_ui;
use super::rows::waves_of;
use super::{Confirm, RolloutAction, RolloutView, status_color};

impl RolloutView {
    pub(super) fn header_ui(&self, ui: &mut egui::Ui, deployment: &Deployment) {
        ui.horizontal(|ui| {
            ui.heading(&deployment.id);
            chip::status_ui(
                ui,
                deployment.status.as_str(),
                status_color(deployment.status),
            );
            if deployment.blue_green {
                ui.label(RichText::new("blue/green").weak());
            }
        });
        ui.label(format!(
            "{} / {} · {} · {}",
            deployment.application,
            deployment.group,
            deployment.config,
            deployment.revision.as_ref().map_or_else(
                || "no revision".to_owned(),
                crate::cloud::deployments::Revision::describe
            )
        ));
        let now = SystemTime::now();
        let mut times = Vec::new();
        if let Some(started) = deployment.started.or(deployment.created) {
            times.push(format!("started {}", time::ago(started)));
        }
        if let Some(duration) = deployment.duration(now) {
            times.push(format!("ran {}", time::duration(duration)));
        }
        times.push(format!("by {}", deployment.creator));
        if let Some(rollback) = &deployment.rollback {
            times.push(rollback.clone());
        }
        ui.label(RichText::new(times.join(" · ")).weak());
        if let Some(error) = &self.config_error {
            // Without the minimum the failure is explained without it.
            ui.label(
                RichText::new(format!(
                    "The minimum healthy hosts of {} could not be read: {error}",
                    deployment.config
                ))
                .color(ui.visuals().warn_fg_color),
            );
        }
        ui.horizontal_wrapped(|ui| {
            overview_bar_ui(ui, &deployment.overview);
            if self.history.len() > 1 {
                ui.separator();
                history_chart_ui(ui, &self.history, deployment);
            } else if let Some(error) = &self.history_error {
                ui.separator();
                ui.label(RichText::new("Recent deployments unavailable").weak())
                    .on_hover_text(error.as_str());
            }
        });
        if let Some((code, message)) = &deployment.error {
            let plain = explain_failure(deployment, self.minimum, &self.targets);
            ui.label(
                RichText::new(plain)
                    .color(ui.visuals().error_fg_color)
                    .strong(),
            );
            ui.label(RichText::new(format!("{code}: {message}")).weak());
        }
        self.state_line_ui(ui);
    }

    pub(super) fn state_line_ui(&self, ui: &mut egui::Ui) {
        let Some(state) = &self.state else { return };
        // Plain words on screen; the watcher's figures on hover.
        let (text, detail) = match state {
            WatchState::Watching { next_in } => (
                "Updating live".to_owned(),
                format!(
                    "Next update in {}; {} requests to AWS so far",
                    time::duration(*next_in),
                    self.requests
                ),
            ),
            WatchState::Throttled { retry_in } => (
                format!(
                    "AWS asked DeployDesk to slow down; trying again in {}. What is shown stays.",
                    time::duration(*retry_in)
                ),
                format!("Throttled; {} requests to AWS so far", self.requests),
            ),
            WatchState::Failing { message, retry_in } => (
                format!("{message} Trying again in {}.", time::duration(*retry_in)),
                format!("{} requests to AWS so far", self.requests),
            ),
            WatchState::Finished => (
                "Finished; no more updates needed".to_owned(),
                format!("{} requests to AWS while watching", self.requests),
            ),
            WatchState::Gone(message) => (
                format!("No longer available: {message}"),
                format!("{} requests to AWS while watching", self.requests),
            ),
        };
        let color = match state {
            WatchState::Throttled { .. } => ui.visuals().warn_fg_color,
            WatchState::Failing { .. } | WatchState::Gone(_) => ui.visuals().error_fg_color,
            _ => ui.visuals().weak_text_color(),
        };
        ui.label(RichText::new(text).color(color).small())
            .on_hover_text(detail);
    }

    pub(super) fn actions_ui(
        &mut self,
        ui: &mut egui::Ui,
        deployment: &Deployment,
    ) -> Option<RolloutAction> {
        ui.horizontal(|ui| {
            let running = !deployment.status.is_finished();
            let idle = !self.action_running;
            if ui
                .add_enabled(running && idle, egui::Button::new("Stop"))
                .clicked()
            {
                self.confirm = Some(Confirm::Stop);
            }
            if ui
                .add_enabled(running && idle, egui::Button::new("Stop and roll back"))
                .clicked()
            {
                self.confirm = Some(Confirm::StopAndRollBack);
            }
            if deployment.status == DeploymentStatus::Ready
                && ui
                    .add_enabled(idle, egui::Button::new("Continue"))
                    .clicked()
            {
                self.confirm = Some(Confirm::Continue);
            }
            if ui
                .add_enabled(!running && idle, egui::Button::new("Redeploy"))
                .on_hover_text("Deploy the same revision to the same group again")
                .clicked()
            {
                self.confirm = Some(Confirm::Redeploy);
            }
            if self.action_running {
                ui.spinner();
            }
        });
        if let Some(error) = &self.action_error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        None
    }

    pub(super) fn confirm_ui(&mut self, ui: &mut egui::Ui) -> Option<RolloutAction> {
        let confirm = self.confirm?;
        let (title, text, button, action) = match confirm {
            Confirm::Stop => (
                "Stop this deployment?",
                "Instances not yet deployed to are skipped; the deployment group keeps its current revision.",
                "Stop deployment",
                RolloutAction::Stop { roll_back: false },
            ),
            Confirm::StopAndRollBack => (
                "Stop and roll back?",
                "The deployment stops and CodeDeploy redeploys the last revision that succeeded.",
                "Stop and roll back",
                RolloutAction::Stop { roll_back: true },
            ),
            Confirm::Continue => (
                "Reroute traffic now?",
                "Traffic moves to the replacement instances; the original ones are then kept or terminated as the group says.",
                "Reroute traffic",
                RolloutAction::Continue,
            ),
            Confirm::Redeploy => (
                "Deploy this revision again?",
                "A new deployment of the same revision to the same deployment group starts now.",
                "Redeploy",
                RolloutAction::Redeploy,
            ),
        };
        let mut chosen = None;
        let modal =
            egui::Modal::new(egui::Id::unique("confirm_rollout_action")).show(ui.ctx(), |ui| {
                ui.set_max_width(420.0);
                ui.heading(title);
                ui.label(text);
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button(button).clicked() {
                        chosen = Some(action.clone());
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm = None;
                    }
                });
            });
        if modal.should_close() {
            self.confirm = None;
        }
        if chosen.is_some() {
            self.confirm = None;
            self.action_running = true;
            self.action_error = None;
        }
        chosen
    }
}

/// A segmented bar of the overview counts with their numbers.
fn overview_bar_ui(ui: &mut egui::Ui, overview: &crate::cloud::deployments::Overview) {
    let total = overview.total().max(1) as f32;
    let segments = [
        (overview.succeeded, TileState::Succeeded, "succeeded"),
        (overview.failed, TileState::Failed, "failed"),
        (
            overview.in_progress,
            TileState::InProgress(1.0),
            "in progress",
        ),
        (overview.ready, TileState::Ready, "ready"),
        (overview.pending, TileState::Pending, "pending"),
        (overview.skipped, TileState::Skipped, "skipped"),
    ];
    // Room is left for the summary beside the bar; in a narrow window the
    // summary wraps below it.
    let width = (ui.available_width() - 400.0).clamp(160.0, 600.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 12.0), egui::Sense::hover());
    let painter = ui.painter();
    painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
    let mut x = rect.left();
    for (count, state, _) in segments {
        if count <= 0 {
            continue;
        }
        let segment_width = rect.width() * count as f32 / total;
        let segment = egui::Rect::from_min_size(
            egui::pos2(x, rect.top()),
            egui::vec2(segment_width, rect.height()),
        );
        painter.rect_filled(segment, 0.0, state.color());
        x += segment_width;
    }
    let text: Vec<String> = segments
        .iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|(count, _, word)| format!("{count} {word}"))
        .collect();
    let summary = format!(
        "{} of {} done: {}",
        overview.succeeded + overview.failed + overview.skipped,
        overview.total(),
        text.join(", ")
    );
    response.on_hover_text(&summary);
    ui.label(summary);
}

/// A failed deployment's error in plain words, with the numbers that explain it.
pub fn explain_failure(
    deployment: &Deployment,
    minimum: Option<MinimumHealthyHosts>,
    targets: &[Target],
) -> String {
    let overview = &deployment.overview;
    let total = usize::try_from(overview.total()).unwrap_or(0);
    let failed = overview.failed;
    let waves = waves_of(targets.iter())
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
    let code = deployment
        .error
        .as_ref()
        .and_then(|(code, _)| FailureCode::from_error_code(code));
    let needs = minimum.map(|minimum| minimum.resolve(total));
    match code {
        Some(FailureCode::NoInstances) => {
            "The deployment group matched no instances: check its tags.".to_owned()
        }
        Some(FailureCode::HealthConstraintsInvalid) => match needs {
            Some(needed) => format!(
                "This config needs {needed} of {total} instances healthy, so none could be taken offline: it failed before it started."
            ),
            None => "The minimum healthy hosts could not be met from the start.".to_owned(),
        },
        Some(FailureCode::HealthConstraints) => {
            let needs_text = needs.map_or_else(String::new, |needed| {
                format!("; this config needs {needed} healthy")
            });
            let wave_text = if waves > 0 {
                format!(": stopped after wave {waves}")
            } else {
                String::new()
            };
            format!("{failed} of {total} instances failed{needs_text}{wave_text}.")
        }
        _ if deployment.status == DeploymentStatus::Stopped => {
            "The deployment was stopped.".to_owned()
        }
        _ => format!("{failed} of {total} instances failed."),
    }
}
