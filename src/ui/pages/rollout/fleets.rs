//! A blue/green deployment's two fleets side by side: the original (Blue)
//! instances on the left, the replacement (Green) ones on the right, and
//! between them the reroute step that moves the traffic from one to the
//! other. Each fleet says what its traffic is doing, and the original one
//! counts down to its termination.

use std::time::SystemTime;

use egui::{Align2, Color32, FontId, Rect, RichText, Sense, UiBuilder, Vec2};

use crate::cloud::deployments::{Deployment, DeploymentStatus, Target, TargetStatus};
use crate::ui::widgets::tiles::{TileRow, TileSize};
use crate::ui::widgets::time;

use super::RolloutView;
use super::header::originals_terminated_at;
use super::rows::{BLUE, GREEN, fleet_name};

/// The room between the fleets side by side for the reroute step.
const REROUTE_WIDTH: f32 = 96.0;
/// The room between the fleets one above the other for the reroute step.
const REROUTE_HEIGHT: f32 = 30.0;
/// The narrowest a fleet's column may be; below it the fleets are stacked.
const FLEET_MIN_WIDTH: f32 = 240.0;
/// The narrowest grid that shows the fleets side by side.
const SIDE_BY_SIDE_WIDTH: f32 = 2.0 * FLEET_MIN_WIDTH + REROUTE_WIDTH;

/// Where the traffic is in a blue/green deployment, as its targets'
/// lifecycle events show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reroute {
    /// The replacements are not installed yet.
    NotYet,
    /// The replacements are installed; the deployment waits for someone to
    /// continue it.
    WaitingForYou,
    /// Replacements are being registered or originals deregistered.
    InProgress,
    /// The replacements serve the traffic; the originals are out of it.
    Done,
    /// The deployment ended before the traffic moved.
    NotDone,
}

impl Reroute {
    /// The step's state in a word or two.
    pub fn word(self) -> &'static str {
        match self {
            Self::NotYet => "not yet",
            Self::WaitingForYou => "waiting for you",
            Self::InProgress => "in progress",
            Self::Done => "done",
            Self::NotDone => "not done",
        }
    }

    /// What the step means, for its tooltip.
    fn explained(self) -> &'static str {
        match self {
            Self::NotYet => {
                "Traffic moves to the replacement instances once they are all installed."
            }
            Self::WaitingForYou => {
                "The replacement instances are installed. Continue the deployment to move the traffic to them."
            }
            Self::InProgress => {
                "AllowTraffic registers the replacement instances with the load balancer, and BlockTraffic takes the original ones out of it."
            }
            Self::Done => {
                "The replacement instances serve the traffic; the original ones are out of the load balancer."
            }
            Self::NotDone => {
                "The deployment ended before the traffic moved: the original instances still serve it."
            }
        }
    }
}

/// Whether every one of `targets` has event `name` with `status` (and there
/// is at least one target).
fn all_have(targets: &[&Target], name: &str, status: &str) -> bool {
    !targets.is_empty()
        && targets.iter().all(|target| {
            target
                .events
                .iter()
                .any(|event| event.name == name && event.status == status)
        })
}

/// Whether any of `targets` has event `name` with `status`.
fn any_has(targets: &[&Target], name: &str, status: &str) -> bool {
    targets.iter().any(|target| {
        target
            .events
            .iter()
            .any(|event| event.name == name && event.status == status)
    })
}

fn fleet<'a>(targets: &'a [Target], label: &str) -> Vec<&'a Target> {
    targets
        .iter()
        .filter(|target| target.label.as_deref() == Some(label))
        .collect()
}

/// Where the traffic of blue/green `deployment` is.
pub fn reroute(deployment: &Deployment, targets: &[Target]) -> Reroute {
    let originals = fleet(targets, BLUE);
    let replacements = fleet(targets, GREEN);
    let moving = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
        .into_iter()
        .any(|event| any_has(&replacements, event, "InProgress"))
        || ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
            .into_iter()
            .any(|event| any_has(&originals, event, "InProgress"));
    if all_have(&replacements, "AllowTraffic", "Succeeded")
        && (originals.is_empty() || all_have(&originals, "BlockTraffic", "Succeeded"))
    {
        Reroute::Done
    } else if deployment.status == DeploymentStatus::Ready {
        Reroute::WaitingForYou
    } else if deployment.status.is_finished() {
        Reroute::NotDone
    } else if moving || any_has(&replacements, "AllowTraffic", "Succeeded") {
        Reroute::InProgress
    } else {
        Reroute::NotYet
    }
}

/// What the original fleet's traffic is doing, in words, and whether it is
/// a warning (a termination coming).
pub fn original_traffic(
    deployment: &Deployment,
    targets: &[Target],
    now: SystemTime,
) -> (String, bool) {
    let originals = fleet(targets, BLUE);
    if originals.is_empty() {
        return ("none listed".to_owned(), false);
    }
    if all_have(&originals, "BlockTraffic", "Succeeded") {
        if let Some(due) = originals_terminated_at(deployment, targets) {
            let left = due.duration_since(now).unwrap_or_default();
            return (
                format!("out of traffic; terminated in {}", time::duration(left)),
                true,
            );
        }
        return match deployment.termination {
            Some(termination) if termination.terminate && deployment.completed.is_some() => {
                ("terminated after the wait".to_owned(), false)
            }
            Some(termination) if !termination.terminate => {
                ("out of traffic; kept running".to_owned(), false)
            }
            _ => ("out of traffic".to_owned(), false),
        };
    }
    if ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
        .into_iter()
        .any(|event| any_has(&originals, event, "InProgress"))
    {
        return ("draining traffic".to_owned(), false);
    }
    ("serving traffic".to_owned(), false)
}

/// What the replacement fleet is doing, in words.
pub fn replacement_traffic(deployment: &Deployment, targets: &[Target]) -> String {
    let replacements = fleet(targets, GREEN);
    let said = if replacements.is_empty() {
        "none listed yet"
    } else if all_have(&replacements, "AllowTraffic", "Succeeded") {
        "serving traffic"
    } else if ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
        .into_iter()
        .any(|event| any_has(&replacements, event, "InProgress"))
    {
        "taking traffic"
    } else if deployment.status == DeploymentStatus::Ready {
        "installed; not serving yet"
    } else if replacements
        .iter()
        .any(|target| target.status == TargetStatus::InProgress)
    {
        "being installed"
    } else if deployment.status.is_finished() {
        "not serving"
    } else {
        "waiting to be installed"
    };
    said.to_owned()
}

impl RolloutView {
    /// Draws the two fleets side by side with the reroute step between
    /// them; `fleet_rows` are the original's rows and the replacement's.
    pub(super) fn fleets_ui(
        &mut self,
        ui: &mut egui::Ui,
        deployment: &Deployment,
        fleet_rows: &[Vec<TileRow>; 2],
        stopped: bool,
    ) {
        let now = SystemTime::now();
        let room = ui.available_rect_before_wrap();
        // Side by side when both fleets have room, else one above the
        // other, each with half the height.
        let across = room.width() >= SIDE_BY_SIDE_WIDTH;
        let (left, middle, right) = if across {
            let column = (room.width() - REROUTE_WIDTH) / 2.0;
            (
                Rect::from_min_size(room.min, Vec2::new(column, room.height())),
                Rect::from_min_size(
                    room.min + Vec2::new(column, 0.0),
                    Vec2::new(REROUTE_WIDTH, room.height()),
                ),
                Rect::from_min_max(egui::pos2(room.max.x - column, room.min.y), room.max),
            )
        } else {
            let half = ((room.height() - REROUTE_HEIGHT) / 2.0).max(0.0);
            (
                Rect::from_min_size(room.min, Vec2::new(room.width(), half)),
                Rect::from_min_size(
                    room.min + Vec2::new(0.0, half),
                    Vec2::new(room.width(), REROUTE_HEIGHT),
                ),
                Rect::from_min_max(egui::pos2(room.min.x, room.max.y - half), room.max),
            )
        };
        let (original, warn) = original_traffic(deployment, &self.targets, now);
        let replacement = replacement_traffic(deployment, &self.targets);
        let columns = [
            (BLUE, left, original, warn),
            (GREEN, right, replacement, false),
        ];
        let mut sizes = Vec::new();
        for ((label, rect, traffic, warn), rows) in columns.into_iter().zip(fleet_rows) {
            let response = ui
                .scope_builder(UiBuilder::new().max_rect(rect), |ui| {
                    self.fleet_ui(ui, label, &traffic, warn, rows, stopped)
                })
                .inner;
            if let Some(size) = response {
                sizes.push(size);
            }
        }
        if let Some(smallest) = sizes
            .into_iter()
            .min_by(|a, b| a.size.x.total_cmp(&b.size.x))
        {
            self.tile_size = smallest;
        }
        let step = reroute(deployment, &self.targets);
        if across {
            reroute_across_ui(ui, middle, step);
        } else {
            reroute_down_ui(ui, middle, step);
        }
        ui.allocate_rect(room, Sense::hover());
    }

    /// One fleet: its name, count and traffic, then its tiles. Returns the
    /// tiles' size, if any were drawn.
    fn fleet_ui(
        &mut self,
        ui: &mut egui::Ui,
        label: &str,
        traffic: &str,
        warn: bool,
        rows: &[TileRow],
        stopped: bool,
    ) -> Option<TileSize> {
        let name = fleet_name(label);
        let count = self
            .targets
            .iter()
            .filter(|target| target.label.as_deref() == Some(label))
            .count();
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(name).strong());
            let instances = if count == 1 { "instance" } else { "instances" };
            ui.label(RichText::new(format!("· {count} {instances}")).weak());
        });
        let color = if warn {
            ui.visuals().warn_fg_color
        } else if traffic == "serving traffic" {
            serving_color(ui)
        } else {
            ui.visuals().weak_text_color()
        };
        ui.label(RichText::new(traffic).color(color));
        ui.add_space(4.0);
        if rows.is_empty() {
            let what = if count == 0 {
                "No instances yet."
            } else if self.only_failed {
                "No failed instances."
            } else {
                "No instance matches the search."
            };
            ui.label(RichText::new(what).weak());
            return None;
        }
        let shown: usize = rows.iter().map(|row| row.items.len()).sum();
        let grid_label = format!("{name} instances ({shown} shown)");
        let salt = format!("rollout_grid_{label}");
        let response = self.tiles_ui(ui, rows, &salt, &grid_label, stopped);
        Some(response)
    }
}

/// The colour of a fleet that serves traffic.
fn serving_color(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x5c, 0xc4, 0x86)
    } else {
        Color32::from_rgb(0x1f, 0x7a, 0x45)
    }
}

/// The colour of the reroute step in state `step`.
fn step_color(ui: &egui::Ui, step: Reroute) -> Color32 {
    match step {
        Reroute::Done => serving_color(ui),
        Reroute::InProgress | Reroute::WaitingForYou => ui.visuals().strong_text_color(),
        Reroute::NotYet | Reroute::NotDone => ui.visuals().weak_text_color(),
    }
}

/// Draws an arrow from `from` to `to`.
fn arrow(painter: &egui::Painter, from: egui::Pos2, to: egui::Pos2, color: Color32) {
    let stroke = egui::Stroke::new(2.0, color);
    painter.line_segment([from, to], stroke);
    let back = (from - to).normalized() * 7.0;
    let side = back.rot90() * (5.0 / 7.0);
    painter.line_segment([to, to + back + side], stroke);
    painter.line_segment([to, to + back - side], stroke);
}

/// The reroute step between fleets side by side: "Reroute" over an arrow
/// from the original to the replacement, and where the traffic is.
fn reroute_across_ui(ui: &mut egui::Ui, rect: Rect, step: Reroute) {
    let color = step_color(ui, step);
    let top = rect.center_top() + Vec2::new(0.0, 10.0);
    let painter = ui.painter_at(rect);
    painter.text(
        top,
        Align2::CENTER_TOP,
        "Reroute",
        FontId::proportional(13.0),
        ui.visuals().text_color(),
    );
    let arrow_y = top.y + 28.0;
    arrow(
        &painter,
        egui::pos2(rect.left() + 10.0, arrow_y),
        egui::pos2(rect.right() - 10.0, arrow_y),
        color,
    );
    painter.text(
        egui::pos2(rect.center().x, arrow_y + 10.0),
        Align2::CENTER_TOP,
        step.word(),
        FontId::proportional(12.0),
        color,
    );
    let area = Rect::from_min_max(rect.min, egui::pos2(rect.max.x, arrow_y + 28.0));
    step_info(ui, area, step);
}

/// The reroute step between fleets one above the other: an arrow down
/// from the original to the replacement, then "Reroute: " and where the
/// traffic is.
fn reroute_down_ui(ui: &mut egui::Ui, rect: Rect, step: Reroute) {
    let color = step_color(ui, step);
    let painter = ui.painter_at(rect);
    let x = rect.left() + 12.0;
    arrow(
        &painter,
        egui::pos2(x, rect.top() + 4.0),
        egui::pos2(x, rect.bottom() - 4.0),
        color,
    );
    let text = painter.text(
        egui::pos2(x + 14.0, rect.center().y),
        Align2::LEFT_CENTER,
        "Reroute:",
        FontId::proportional(13.0),
        ui.visuals().text_color(),
    );
    painter.text(
        egui::pos2(text.right() + 6.0, rect.center().y),
        Align2::LEFT_CENTER,
        step.word(),
        FontId::proportional(13.0),
        color,
    );
    step_info(ui, rect, step);
}

/// The step, read by screen readers and tests and explained on hover.
fn step_info(ui: &mut egui::Ui, area: Rect, step: Reroute) {
    let response = ui.interact(area, ui.scope_id().with("reroute_step"), Sense::hover());
    let said = format!("Reroute: {}", step.word());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &said));
    response.on_hover_text(step.explained());
}
