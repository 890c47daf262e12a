//! The rollout view: one deployment, live. A header with its status and
//! progress, a grid with one tile per target, each target's lifecycle
//! timeline a click away, and the actions a running deployment allows.
//!
//! This file holds the view's state and draws its frame; `header` the
//! status, the failure in plain words and the actions; `rows` how tiles are
//! filtered and grouped; `timeline` a target's lifecycle events and
//! diagnostics; `history` the chart of the group's recent deployments.

use std::collections::HashMap;
use std::time::SystemTime;

use egui::{Color32, RichText};

use crate::cloud::deployments::{Deployment, DeploymentStatus, Target, TargetStatus};
use crate::cloud::instances::InstanceInfo;
use crate::cloud::watcher::{WatchState, WatchUpdate};
use crate::domain::MinimumHealthyHosts;
use crate::ui::widgets::tiles::{self, TileRow, TileSize, TileState};
use crate::ui::widgets::{chip, spotlight};

pub(crate) mod effects;
mod fleets;
mod header;
mod history;
mod rows;
mod timeline;
mod traffic;

use rows::{Grouping, RowsKey, caption_of, describe_target, tile_state};
use timeline::{TimelineAction, timeline_ui};

/// Below this width the instance panel takes the grid's place rather than
/// sharing the width with it.
const NARROW_WIDTH: f32 = 640.0;

/// What the rollout view asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutAction {
    /// Stop the deployment, rolling back when asked.
    Stop {
        /// Roll back to the last successful revision.
        roll_back: bool,
    },
    /// Reroute traffic of a blue/green deployment that is Ready.
    Continue,
    /// Deploy the same revision to the same group again.
    Redeploy,
    /// Open the Deploy dialog for this deployment's group and revision,
    /// whose readiness check offers to install the agent.
    CheckReadiness,
    /// Show another deployment in the view: the rollback of this one, or
    /// the deployment this one rolls back.
    Show(String),
    /// Look up the deployment configuration's minimum.
    LoadConfig(String),
    /// Read these targets' tags (`Name`, `Environment`, ...).
    LoadTags(Vec<String>),
    /// Load the group's recent deployments for the history chart.
    LoadHistory {
        /// The application.
        application: String,
        /// The deployment group.
        group: String,
    },
}

/// An action waiting for the person to confirm it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confirm {
    Stop,
    StopAndRollBack,
    Continue,
    Redeploy,
}

/// The live view of one deployment.
#[allow(clippy::struct_excessive_bools)] // Independent view toggles, not a state machine.
pub struct RolloutView {
    deployment_id: String,
    deployment: Option<Deployment>,
    targets: Vec<Target>,
    index: HashMap<String, usize>,
    state: Option<WatchState>,
    requests: u64,
    grouping: Grouping,
    only_failed: bool,
    search: String,
    selected: Option<usize>,
    rows: Vec<TileRow>,
    rows_key: Option<RowsKey>,
    version: u64,
    confirm: Option<Confirm>,
    action_running: bool,
    action_error: Option<String>,
    minimum: Option<MinimumHealthyHosts>,
    /// Why the configuration's minimum could not be read.
    config_error: Option<String>,
    config_requested: bool,
    just_finished: bool,
    history: Vec<Deployment>,
    history_requested: bool,
    /// Why the group's recent deployments could not be read.
    history_error: Option<String>,
    instances: HashMap<String, InstanceInfo>,
    tags_requested: usize,
    tags_loading: bool,
    tags_error: Option<String>,
    tag_key: String,
    /// A blue/green deployment's rows per fleet: the original's and the
    /// replacement's, drawn side by side when there is room.
    fleet_rows: Option<[Vec<TileRow>; 2]>,
    /// The size the tiles were last drawn at.
    tile_size: TileSize,
}

impl RolloutView {
    /// A view of the deployment with this id, empty until the watcher reports.
    pub fn new(deployment_id: impl Into<String>) -> Self {
        Self {
            deployment_id: deployment_id.into(),
            deployment: None,
            targets: Vec::new(),
            index: HashMap::new(),
            state: None,
            requests: 0,
            grouping: Grouping::Status,
            only_failed: false,
            search: String::new(),
            selected: None,
            rows: Vec::new(),
            rows_key: None,
            version: 0,
            confirm: None,
            action_running: false,
            action_error: None,
            minimum: None,
            config_error: None,
            config_requested: false,
            just_finished: false,
            history: Vec::new(),
            history_requested: false,
            history_error: None,
            instances: HashMap::new(),
            tags_requested: 0,
            tags_loading: false,
            tags_error: None,
            tag_key: "Environment".to_owned(),
            fleet_rows: None,
            tile_size: TileSize::DENSE,
        }
    }

    /// The deployment watched.
    pub fn deployment_id(&self) -> &str {
        &self.deployment_id
    }

    /// The deployment as last read.
    pub fn deployment(&self) -> Option<&Deployment> {
        self.deployment.as_ref()
    }

    /// The targets as last read, in the order AWS listed them.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The size the tiles were last drawn at: they grow with the room and
    /// shrink with the fleet.
    pub fn tile_size(&self) -> TileSize {
        self.tile_size
    }

    /// The target whose lifecycle events are shown, if any.
    pub fn selected_target(&self) -> Option<&Target> {
        self.selected.and_then(|index| self.targets.get(index))
    }

    /// Requests the watcher has sent.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Whether the deployment ended since this was last asked.
    pub fn take_just_finished(&mut self) -> bool {
        std::mem::take(&mut self.just_finished)
    }

    /// Applies what the watcher saw. Nothing already shown is lost: an
    /// update with an error only changes the state line.
    pub fn apply(&mut self, update: WatchUpdate) {
        self.requests = update.requests;
        self.state = Some(update.state);
        if let Some(ids) = update.target_ids {
            for id in ids {
                if !self.index.contains_key(&id) {
                    self.index.insert(id.clone(), self.targets.len());
                    self.targets.push(Target {
                        id,
                        status: TargetStatus::Pending,
                        label: None,
                        last_updated: None,
                        events: Vec::new(),
                        traffic: None,
                    });
                }
            }
            self.version += 1;
        }
        for target in update.targets {
            if let Some(&slot) = self.index.get(&target.id) {
                self.targets[slot] = target;
            } else {
                self.index.insert(target.id.clone(), self.targets.len());
                self.targets.push(target);
            }
            self.version += 1;
        }
        if let Some(deployment) = update.deployment {
            let was_running = self
                .deployment
                .as_ref()
                .is_some_and(|previous| !previous.status.is_finished());
            if was_running && deployment.status.is_finished() {
                self.just_finished = true;
            }
            self.deployment = Some(deployment);
            self.version += 1;
        }
    }

    /// The minimum of the deployment's configuration arrived (`None` for
    /// a configuration without one), or why it could not be read.
    pub fn config_loaded(&mut self, result: Result<Option<MinimumHealthyHosts>, String>) {
        match result {
            Ok(minimum) => {
                self.minimum = minimum;
                self.config_error = None;
            }
            Err(error) => self.config_error = Some(error),
        }
    }

    /// Instance tags arrived; `error` says why some could not be read.
    pub fn tags_loaded(&mut self, instances: HashMap<String, InstanceInfo>, error: Option<String>) {
        self.tags_loading = false;
        self.instances.extend(instances);
        self.tags_error = error;
        self.version += 1;
    }

    /// The tags of a target, once read.
    pub fn instance(&self, target_id: &str) -> Option<&InstanceInfo> {
        self.instances.get(target_id)
    }

    /// The group's recent deployments arrived, newest first.
    /// The chart is a nicety: without it the view still works, and says
    /// why it is missing.
    pub fn history_loaded(&mut self, result: Result<Vec<Deployment>, String>) {
        match result {
            Ok(deployments) => {
                self.history = deployments;
                self.history_error = None;
            }
            Err(error) => self.history_error = Some(error),
        }
    }

    /// An action finished.
    pub fn action_done(&mut self, result: Result<(), String>) {
        self.action_running = false;
        self.action_error = result.err();
    }

    /// Draws the view and returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<RolloutAction> {
        let mut action = None;
        if let Some(deployment) = &self.deployment
            && !self.config_requested
        {
            self.config_requested = true;
            action = Some(RolloutAction::LoadConfig(deployment.config.clone()));
        } else if self.targets.len() > self.tags_requested && !self.tags_loading {
            let ids: Vec<String> = self.targets[self.tags_requested..]
                .iter()
                .map(|target| target.id.clone())
                .collect();
            self.tags_requested = self.targets.len();
            self.tags_loading = true;
            action = Some(RolloutAction::LoadTags(ids));
        } else if let Some(deployment) = &self.deployment
            && self.history.is_empty()
            && !self.history_requested
        {
            self.history_requested = true;
            action = Some(RolloutAction::LoadHistory {
                application: deployment.application.clone(),
                group: deployment.group.clone(),
            });
        }
        let Some(deployment) = self.deployment.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Reading deployment {}…", self.deployment_id));
            });
            self.state_line_ui(ui);
            return action;
        };
        let header = ui.scope(|ui| self.header_ui(ui, &deployment));
        spotlight::mark(ui.ctx(), spotlight::ROLLOUT_HEADER, header.response.rect);
        if let Some(next) = header.inner {
            action = Some(next);
        }
        if let Some(next) = self.actions_ui(ui, &deployment) {
            action = Some(next);
        }
        ui.separator();
        if deployment.platform != crate::domain::ComputePlatform::Server {
            egui::CentralPanel::default_margins().show(ui, |ui| self.traffic_ui(ui, &deployment));
            if let Some(next) = self.confirm_ui(ui) {
                action = Some(next);
            }
            return action;
        }
        self.controls_ui(ui);
        self.rebuild_rows();
        let stopped = deployment.status == DeploymentStatus::Stopped;

        // The instance panel is never squeezed out: beside the grid when
        // there is room for both, in the grid's place when there is not.
        let narrow = ui.available_width() < NARROW_WIDTH;
        if let Some(selected) = self.selected {
            let panel_ui = |ui: &mut egui::Ui| match self.targets.get(selected) {
                Some(target) => timeline_ui(ui, target, self.instances.get(&target.id), stopped),
                None => Some(TimelineAction::Close),
            };
            let panel = if narrow {
                egui::CentralPanel::default_margins().show(ui, panel_ui)
            } else {
                let width = ui.available_width();
                egui::Panel::right("target_timeline")
                    .resizable(true)
                    .default_size(420.0_f32.min(width * 0.5))
                    .min_size(260.0)
                    .max_size(width * 0.7)
                    .show(ui, panel_ui)
            };
            spotlight::mark(ui.ctx(), spotlight::INSTANCE_PANEL, panel.response.rect);
            match panel.inner {
                Some(TimelineAction::Close) => self.selected = None,
                Some(TimelineAction::CheckReadiness) => {
                    action = Some(RolloutAction::CheckReadiness);
                }
                None => {}
            }
            if narrow {
                if let Some(next) = self.confirm_ui(ui) {
                    action = Some(next);
                }
                return action;
            }
        }
        let fleet_rows = self.fleet_rows.take();
        let grid = egui::CentralPanel::default_margins().show(ui, |ui| {
            if let Some(fleet_rows) = &fleet_rows {
                self.fleets_ui(ui, &deployment, fleet_rows, stopped);
                return;
            }
            if self.rows.is_empty() {
                ui.label(RichText::new(self.empty_text()).weak());
                return;
            }
            let shown: usize = self.rows.iter().map(|row| row.items.len()).sum();
            let label = format!("Deployment targets ({shown} shown)");
            let rows = std::mem::take(&mut self.rows);
            self.tile_size = self.tiles_ui(ui, &rows, "rollout_grid", &label, stopped);
            self.rows = rows;
        });
        self.fleet_rows = fleet_rows;
        spotlight::mark(ui.ctx(), spotlight::TILE_GRID, grid.response.rect);
        if let Some(next) = self.confirm_ui(ui) {
            action = Some(next);
        }
        action
    }

    /// Draws `rows` of tiles in a grid read out as `label`, selecting the
    /// target clicked; returns the size the tiles were drawn at.
    fn tiles_ui(
        &mut self,
        ui: &mut egui::Ui,
        rows: &[TileRow],
        id_salt: &str,
        label: &str,
        stopped: bool,
    ) -> TileSize {
        let now = SystemTime::now();
        let targets = &self.targets;
        let instances = &self.instances;
        let state_of = |item: usize| tile_state(&targets[item], stopped);
        let describe = |item: usize| {
            describe_target(
                &targets[item],
                instances.get(&targets[item].id),
                stopped,
                now,
            )
        };
        let caption =
            |item: usize| caption_of(&targets[item], instances.get(&targets[item].id), stopped);
        let options = tiles::GridOptions {
            id_salt,
            selected: self.selected,
            label,
        };
        let response = tiles::growing_grid_ui(ui, &options, rows, &state_of, &describe, &caption);
        if let Some(item) = response.clicked {
            self.selected = Some(item);
        }
        response.tile_size
    }

    fn empty_text(&self) -> &'static str {
        if self.targets.is_empty() {
            "No targets yet."
        } else if self.only_failed {
            "No failed targets."
        } else {
            "No target matches the search."
        }
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            for grouping in Grouping::ALL {
                let response = ui.selectable_value(&mut self.grouping, grouping, grouping.label());
                if grouping == Grouping::Wave {
                    spotlight::mark(ui.ctx(), spotlight::WAVE_GROUPING, response.rect);
                }
            }
            if self.grouping == Grouping::Tag {
                let label = ui.label("Tag key");
                ui.add(egui::TextEdit::singleline(&mut self.tag_key).desired_width(110.0))
                    .labelled_by(label.id);
            }
            ui.separator();
            ui.checkbox(&mut self.only_failed, "Only failed");
            ui.separator();
            let label = ui.label("Find");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("instance id or Name")
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
            if let Some(error) = &self.tags_error {
                ui.label(RichText::new("Tags unavailable").color(ui.visuals().warn_fg_color))
                    .on_hover_text(error.as_str());
            }
        });
        // The legend has a row of its own, so that it wraps as a whole
        // rather than behind the controls in a narrow window.
        tiles::legend_ui(
            ui,
            &[
                TileState::Pending,
                TileState::InProgress(0.5),
                TileState::Succeeded,
                TileState::Failed,
                TileState::Stopped,
                TileState::Skipped,
                TileState::Ready,
            ],
        );
    }
}

/// A deployment's status as a chip in plain words, with CodeDeploy's own
/// value on hover.
pub(crate) fn status_chip_ui(ui: &mut egui::Ui, status: DeploymentStatus) -> egui::Response {
    chip::status_ui(ui, status_word(status), status_color(status))
        .on_hover_text(format!("CodeDeploy's status: {}", status.as_str()))
}

/// A deployment's status in plain words; AWS's spelling
/// ([`DeploymentStatus::as_str`]) goes in a tooltip.
pub(crate) fn status_word(status: DeploymentStatus) -> &'static str {
    match status {
        DeploymentStatus::Created => "Created",
        DeploymentStatus::Queued => "Queued",
        DeploymentStatus::InProgress => "In progress",
        DeploymentStatus::Ready => "Ready to reroute",
        DeploymentStatus::Succeeded => "Succeeded",
        DeploymentStatus::Failed => "Failed",
        DeploymentStatus::Stopped => "Stopped",
        DeploymentStatus::Baking => "Rerouting",
        DeploymentStatus::Unknown => "Unknown",
    }
}

/// Who or what started a deployment, in plain words, from CodeDeploy's
/// `creator` (`user`, `autoscaling`, `codeDeployRollback`, ...).
pub(crate) fn started_by(creator: &str) -> String {
    match creator {
        "user" => "started by hand".to_owned(),
        "autoscaling" => "started by Auto Scaling".to_owned(),
        "codeDeployRollback" => "started by CodeDeploy to roll back".to_owned(),
        "CodeDeploy" => "started by CodeDeploy".to_owned(),
        "CodeDeployAutoUpdate" => "started by CodeDeploy's agent update".to_owned(),
        "CloudFormation" => "started by CloudFormation".to_owned(),
        "CloudFormationRollback" => "started by CloudFormation to roll back".to_owned(),
        "autoscalingTermination" => "started by Auto Scaling termination".to_owned(),
        other => format!("started by {other}"),
    }
}

/// The colour a deployment's status is shown in.
pub(crate) fn status_color(status: DeploymentStatus) -> Color32 {
    match status {
        DeploymentStatus::Succeeded => Color32::from_rgb(0x2e, 0x9e, 0x5b),
        DeploymentStatus::Failed => Color32::from_rgb(0xd6, 0x3b, 0x3b),
        DeploymentStatus::Stopped => Color32::from_rgb(0xd9, 0x82, 0x1e),
        DeploymentStatus::Ready => Color32::from_rgb(0x7b, 0x52, 0xc9),
        DeploymentStatus::InProgress | DeploymentStatus::Baking => {
            Color32::from_rgb(0x3d, 0x7e, 0xd6)
        }
        DeploymentStatus::Created | DeploymentStatus::Queued | DeploymentStatus::Unknown => {
            Color32::from_gray(120)
        }
    }
}

#[cfg(test)]
mod tests;
