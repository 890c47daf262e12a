//! The header of the rollout view: the deployment's status, progress and
//! times, its failure in plain words, the watcher's state line, and the
//! actions (Stop, Stop and roll back, Continue, Redeploy) with their
//! confirmation.

use std::time::{Duration, SystemTime};

use egui::RichText;

use crate::cloud::deployments::{Deployment, DeploymentStatus, Target};
use crate::cloud::watcher::WatchState;
use crate::domain::MinimumHealthyHosts;
use crate::domain::rollout::FailureCode;
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::dialog::Dialog;
use crate::ui::widgets::tiles::TileState;
use crate::ui::widgets::{chip, time};

use super::history::{history_chart_height, history_chart_ui};
use super::rows::waves_of;
use super::{Confirm, RolloutAction, RolloutView, started_by, status_chip_ui};

/// The colour of the chip that marks a rollback.
const ROLLBACK_COLOR: egui::Color32 = egui::Color32::from_rgb(0x8a, 0x5a, 0x00);

impl RolloutView {
    /// Draws the header; returns the deployment a rollback link asks for.
    pub(super) fn header_ui(
        &self,
        ui: &mut egui::Ui,
        deployment: &Deployment,
    ) -> Option<RolloutAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.heading(&deployment.id);
            status_chip_ui(ui, deployment.status);
            if let Some(rolled_back) = deployment.rolls_back() {
                chip::status_ui(ui, "Rollback", ROLLBACK_COLOR).on_hover_text(format!(
                    "CodeDeploy started this deployment to roll back {rolled_back}, redeploying the group's last successful revision."
                ));
            }
            if deployment.blue_green {
                ui.label(RichText::new("blue/green").weak());
            }
            if let Some(due) = originals_terminated_at(deployment, &self.targets) {
                let left = due
                    .duration_since(SystemTime::now())
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "traffic rerouted; the original instances are terminated in {}",
                        time::running_live(ui.ctx(), left)
                    ))
                    .color(ui.visuals().warn_fg_color),
                )
                .on_hover_text(
                    "The blue/green deployment keeps the original (Blue) instances for the group's termination wait after the replacements (Green) take the traffic, so you can still roll back to them.",
                );
            }
            if !deployment.load_balancers.is_empty() {
                ui.label(
                    RichText::new(format!(
                        "traffic through {}",
                        deployment.load_balancers.join(", ")
                    ))
                    .weak(),
                )
                .on_hover_text(
                    "BlockTraffic takes each instance out of these before it is updated, and AllowTraffic puts it back once it passes their health checks.",
                );
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
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            let now = SystemTime::now();
            let mut times = Vec::new();
            if let Some(started) = deployment.started.or(deployment.created) {
                times.push(format!("started {}", time::ago_live(ui.ctx(), started)));
            }
            if let Some(duration) = deployment.duration(now) {
                if deployment.completed.is_some() {
                    times.push(format!("ran {}", time::duration(duration)));
                } else {
                    times.push(format!(
                        "running for {}",
                        time::running_live(ui.ctx(), duration)
                    ));
                }
            }
            times.push(started_by(&deployment.creator));
            ui.label(RichText::new(times.join(" · ")).weak())
                .on_hover_text(format!("CodeDeploy's creator: {}", deployment.creator));
            if let Some(id) = deployment.rolls_back() {
                ui.label(RichText::new("· rollback of").weak());
                if ui
                    .link(id)
                    .on_hover_text("Show the deployment this one rolls back")
                    .clicked()
                {
                    action = Some(RolloutAction::Show(id.to_owned()));
                }
            }
            if let Some(id) = deployment.rolled_back_by() {
                ui.label(RichText::new("· rolled back by").weak());
                if ui
                    .link(id)
                    .on_hover_text("Show the rollback deployment")
                    .clicked()
                {
                    action = Some(RolloutAction::Show(id.to_owned()));
                }
            } else if let Some(message) = deployment
                .rollback
                .as_ref()
                .filter(|rollback| rollback.rolls_back.is_none())
                .and_then(|rollback| rollback.message.as_deref())
            {
                // No rollback started: CodeDeploy says why.
                ui.label(RichText::new(format!("· {message}")).weak());
            }
        });
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
            // The chart's room is kept from the start, so that nothing
            // below moves when it arrives.
            ui.set_min_height(history_chart_height(ui));
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
        // The outcome's lines (at most three) have their room from the
        // start, so that the actions below never move when it arrives.
        let line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
        let small = ui.text_style_height(&egui::TextStyle::Small);
        ui.vertical(|ui| {
            ui.set_min_height(2.0 * line + small);
            self.outcome_ui(ui, deployment);
        });
        action
    }

    /// The outcome in plain words with CodeDeploy's own, and the watcher's
    /// state line.
    fn outcome_ui(&self, ui: &mut egui::Ui, deployment: &Deployment) {
        if let Some((code, message)) = &deployment.error {
            let plain = explain_failure(deployment, self.minimum, &self.targets);
            ui.label(
                RichText::new(plain)
                    .color(ui.visuals().error_fg_color)
                    .strong(),
            );
            // CodeDeploy's own words stay a line below, its code on hover.
            ui.label(RichText::new(message).weak())
                .on_hover_text(format!("CodeDeploy's error code: {code}"));
        } else if let Some(plain) = explain_success(deployment, self.minimum) {
            ui.label(RichText::new(plain).color(ui.visuals().warn_fg_color).strong())
                .on_hover_text(
                    "A deployment succeeds when enough instances stay healthy: the minimum healthy hosts of its configuration.",
                );
        }
        self.state_line_ui(ui);
    }

    pub(super) fn state_line_ui(&self, ui: &mut egui::Ui) {
        let Some(state) = &self.state else { return };
        let requests = match self.requests {
            1 => "1 request to AWS so far".to_owned(),
            count => format!("{count} requests to AWS so far"),
        };
        let (text, details) = match state {
            WatchState::Watching { next_in } => (
                "Live: updates as it runs".to_owned(),
                format!("Next check in {}; {requests}.", time::duration(*next_in)),
            ),
            WatchState::Throttled { retry_in } => (
                format!(
                    "AWS is throttling requests; retrying in {}. What is shown stays.",
                    time::duration(*retry_in)
                ),
                format!("{requests}."),
            ),
            WatchState::Failing { message, retry_in } => (
                format!("{message} Retrying in {}.", time::duration(*retry_in)),
                format!("{requests}."),
            ),
            WatchState::Finished => (
                "Finished: this is its final state".to_owned(),
                format!("{requests}."),
            ),
            WatchState::Gone(message) => (
                format!("No longer available: {message}"),
                format!("{requests}."),
            ),
        };
        let color = match state {
            WatchState::Throttled { .. } => ui.visuals().warn_fg_color,
            WatchState::Failing { .. } | WatchState::Gone(_) => ui.visuals().error_fg_color,
            _ => ui.visuals().weak_text_color(),
        };
        ui.label(RichText::new(text).color(color).small())
            .on_hover_text(details);
    }

    pub(super) fn actions_ui(
        &mut self,
        ui: &mut egui::Ui,
        deployment: &Deployment,
    ) -> Option<RolloutAction> {
        ui.horizontal_wrapped(|ui| {
            let running = !deployment.status.is_finished();
            let idle = !self.action_running;
            if ui
                .add_enabled(
                    running && idle,
                    Action::danger("Stop").icon(icons::ICON_STOP_CIRCLE),
                )
                .clicked()
            {
                self.confirm = Some(Confirm::Stop);
            }
            if ui
                .add_enabled(
                    running && idle,
                    Action::danger("Stop and roll back").icon(icons::ICON_UNDO),
                )
                .clicked()
            {
                self.confirm = Some(Confirm::StopAndRollBack);
            }
            if deployment.status == DeploymentStatus::Ready
                && ui
                    .add_enabled(
                        idle,
                        Action::primary("Continue").icon(icons::ICON_ALT_ROUTE),
                    )
                    .clicked()
            {
                self.confirm = Some(Confirm::Continue);
            }
            if ui
                .add_enabled(
                    !running && idle,
                    Action::secondary("Redeploy")
                        .icon(icons::ICON_REPLAY)
                        .hover("Deploy the same revision to the same group again"),
                )
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
        let danger = matches!(confirm, Confirm::Stop | Confirm::StopAndRollBack);
        let shifts = self.deployment.as_ref().is_some_and(|deployment| {
            deployment.platform != crate::domain::ComputePlatform::Server
        });
        let (title, text, button, action) = match confirm {
            Confirm::Stop if shifts => (
                "Stop this deployment?",
                "Traffic stays where it is now, split as it is; nothing moves it back.",
                "Stop deployment",
                RolloutAction::Stop { roll_back: false },
            ),
            Confirm::Stop => (
                "Stop this deployment?",
                "Instances not yet deployed to are skipped; the deployment group keeps its current revision.",
                "Stop deployment",
                RolloutAction::Stop { roll_back: false },
            ),
            Confirm::StopAndRollBack if shifts => (
                "Stop and roll back?",
                "The deployment stops and a rollback moves all traffic back to the original at once.",
                "Stop and roll back",
                RolloutAction::Stop { roll_back: true },
            ),
            Confirm::StopAndRollBack => (
                "Stop and roll back?",
                "The deployment stops and CodeDeploy redeploys the last revision that succeeded.",
                "Stop and roll back",
                RolloutAction::Stop { roll_back: true },
            ),
            Confirm::Continue if shifts => (
                "Shift production traffic now?",
                "Production traffic moves to the replacement task set by the configuration's schedule; the original task set is removed after the group's wait.",
                "Shift traffic",
                RolloutAction::Continue,
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
        let modal = Dialog::new("confirm_rollout_action").show(ui.ctx(), |ui| {
            ui.set_max_width(420.0);
            ui.heading(title);
            ui.label(text);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let confirm_button = if danger {
                    Action::danger(button)
                } else {
                    Action::primary(button)
                };
                if ui.add(confirm_button).clicked() {
                    chosen = Some(action.clone());
                }
                if ui.add(Action::secondary("Cancel")).clicked() {
                    self.confirm = None;
                }
            });
        });
        if modal.should_close {
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

/// Why a deployment with failed instances still succeeded, with the numbers
/// behind it: "1 of 5 failed; HalfAtATime needs 3 healthy: succeeded".
/// `None` unless it succeeded with failures.
pub fn explain_success(
    deployment: &Deployment,
    minimum: Option<MinimumHealthyHosts>,
) -> Option<String> {
    let overview = &deployment.overview;
    if deployment.status != DeploymentStatus::Succeeded || overview.failed <= 0 {
        return None;
    }
    let total = overview.total();
    let failed = overview.failed;
    let config = deployment
        .config
        .strip_prefix("CodeDeployDefault.")
        .unwrap_or(&deployment.config);
    Some(match minimum {
        Some(minimum) => {
            let needed = minimum.resolve(usize::try_from(total).unwrap_or(0));
            format!("{failed} of {total} failed; {config} needs {needed} healthy: succeeded")
        }
        None => format!("{failed} of {total} failed, but enough stayed healthy: succeeded"),
    })
}

/// When the original instances of a blue/green deployment whose traffic is
/// rerouted are terminated: the wait after the last original stopped
/// taking traffic (its `BlockTraffic` ended). `None` when they are kept,
/// or before the reroute.
pub fn originals_terminated_at(deployment: &Deployment, targets: &[Target]) -> Option<SystemTime> {
    let termination = deployment.termination.filter(|termination| {
        termination.terminate && termination.wait_started && deployment.completed.is_none()
    })?;
    let rerouted = targets
        .iter()
        .filter(|target| target.label.as_deref() == Some("Blue"))
        .flat_map(|target| &target.events)
        .filter(|event| event.name == "BlockTraffic")
        .filter_map(|event| event.ended)
        .max()?;
    Some(rerouted + Duration::from_secs(u64::from(termination.wait_minutes) * 60))
}

/// A stop on alarm in plain words, naming the alarms CodeDeploy names
/// between angle brackets ("Activated alarms: <web-5xx, web-latency>").
fn stopped_by_alarms(message: &str) -> String {
    let names = message
        .rsplit_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(names, _)| names.trim())
        .filter(|names| !names.is_empty());
    match names {
        Some(names) if message.contains("could not be retrieved") => format!(
            "Stopped because CloudWatch could not tell the state of {names}: CodeDeploy stops a deployment whose alarms it cannot read."
        ),
        Some(names) if names.contains(',') => format!(
            "Stopped by the alarms {names}: they went into ALARM, so CodeDeploy stopped the deployment where it was."
        ),
        Some(name) => format!(
            "Stopped by the alarm {name}: it went into ALARM, so CodeDeploy stopped the deployment where it was."
        ),
        None => "Stopped by a CloudWatch alarm of the group, which went into ALARM.".to_owned(),
    }
}

/// Why a Lambda or ECS deployment failed or stopped, in plain words: the
/// event that failed and where the traffic was left.
fn shift_failure(deployment: &Deployment, targets: &[Target]) -> String {
    if deployment.status == DeploymentStatus::Stopped {
        return "The deployment was stopped.".to_owned();
    }
    let target = targets.iter().find(|target| target.traffic.is_some());
    let failed = target.and_then(|target| {
        target
            .events
            .iter()
            .find(|event| event.status == "Failed")
            .map(|event| event.name.clone())
    });
    let traffic = target
        .and_then(|target| target.traffic.as_ref())
        .map(|traffic| {
            let (original, replacement) = traffic.spoken_names();
            let percent = traffic.replacement_percent().round() as i64;
            format!(
                " {percent} % of the traffic was on {replacement} and {} % on {original}.",
                100 - percent
            )
        })
        .unwrap_or_default();
    match failed {
        Some(event) => format!("{event} failed.{traffic}"),
        None => format!("The deployment failed.{traffic}"),
    }
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
    if let Some((code, message)) = &deployment.error
        && code == "ALARM_ACTIVE"
    {
        return stopped_by_alarms(message);
    }
    if deployment.platform != crate::domain::ComputePlatform::Server {
        return shift_failure(deployment, targets);
    }
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
