//! The rollout view: one deployment, live. A header with its status and
//! progress, a grid with one tile per target, each target's lifecycle
//! timeline a click away, and the actions a running deployment allows.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::SystemTime;

use egui::{Color32, RichText};

use crate::cloud::deployments::{Deployment, DeploymentStatus, EventInfo, Target, TargetStatus};
use crate::cloud::instances::InstanceInfo;
use crate::cloud::watcher::{WatchState, WatchUpdate};
use crate::domain::MinimumHealthyHosts;
use crate::ui::widgets::tiles::{self, TileRow, TileState};
use crate::ui::widgets::{chip, time};

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

/// How tiles are grouped into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// By target status, failed first.
    Status,
    /// By the wave the target started in.
    Wave,
    /// By the value of an instance tag such as `Environment`.
    Tag,
    /// All in one block, in the order AWS lists them.
    None,
}

impl Grouping {
    const ALL: [Self; 4] = [Self::Status, Self::Wave, Self::Tag, Self::None];

    fn label(self) -> &'static str {
        match self {
            Self::Status => "By status",
            Self::Wave => "By wave",
            Self::Tag => "By tag",
            Self::None => "In order",
        }
    }
}

/// What the cached rows were built from.
struct RowsKey {
    grouping: Grouping,
    only_failed: bool,
    search: String,
    tag_key: String,
    version: u64,
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
    config_requested: bool,
    just_finished: bool,
    history: Vec<Deployment>,
    history_requested: bool,
    instances: HashMap<String, InstanceInfo>,
    tags_requested: usize,
    tags_loading: bool,
    tags_error: Option<String>,
    tag_key: String,
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
            config_requested: false,
            just_finished: false,
            history: Vec::new(),
            history_requested: false,
            instances: HashMap::new(),
            tags_requested: 0,
            tags_loading: false,
            tags_error: None,
            tag_key: "Environment".to_owned(),
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

    /// The minimum of the deployment's configuration arrived.
    pub fn config_loaded(&mut self, minimum: Option<MinimumHealthyHosts>) {
        self.minimum = minimum;
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
    pub fn history_loaded(&mut self, deployments: Vec<Deployment>) {
        self.history = deployments;
    }

    /// An action finished.
    pub fn action_done(&mut self, result: Result<(), String>) {
        self.action_running = false;
        self.action_error = result.err();
    }

    fn rebuild_rows(&mut self) {
        // Compared field by field: no allocation on frames where nothing changed.
        let unchanged = self.rows_key.as_ref().is_some_and(|key| {
            key.grouping == self.grouping
                && key.only_failed == self.only_failed
                && key.search == self.search
                && key.tag_key == self.tag_key
                && key.version == self.version
        });
        if unchanged {
            return;
        }
        let filter = RowFilter {
            grouping: self.grouping,
            only_failed: self.only_failed,
            search: &self.search,
            tag_key: &self.tag_key,
            instances: &self.instances,
        };
        self.rows = build_rows(&self.targets, &filter);
        self.rows_key = Some(RowsKey {
            grouping: self.grouping,
            only_failed: self.only_failed,
            search: self.search.clone(),
            tag_key: self.tag_key.clone(),
            version: self.version,
        });
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
        self.header_ui(ui, &deployment);
        if let Some(next) = self.actions_ui(ui, &deployment) {
            action = Some(next);
        }
        ui.separator();
        self.controls_ui(ui);
        self.rebuild_rows();

        if let Some(selected) = self.selected {
            egui::Panel::right("target_timeline")
                .resizable(true)
                .default_size(420.0)
                .show(ui, |ui| {
                    if let Some(target) = self.targets.get(selected)
                        && timeline_ui(ui, target, self.instances.get(&target.id))
                    {
                        self.selected = None;
                    }
                });
        }
        egui::CentralPanel::default_margins().show(ui, |ui| {
            if self.rows.is_empty() {
                ui.label(RichText::new(self.empty_text()).weak());
                return;
            }
            let now = SystemTime::now();
            let targets = &self.targets;
            let instances = &self.instances;
            let state_of = |item: usize| tile_state(&targets[item]);
            let describe = |item: usize| {
                describe_target(&targets[item], instances.get(&targets[item].id), now)
            };
            let shown: usize = self.rows.iter().map(|row| row.items.len()).sum();
            let label = format!("Deployment targets ({shown} shown)");
            let options = tiles::GridOptions {
                id_salt: "rollout_grid",
                selected: self.selected,
                label: &label,
            };
            let response = tiles::grid_ui(ui, &options, &self.rows, &state_of, &describe);
            if let Some(item) = response.clicked {
                self.selected = Some(item);
            }
        });
        if let Some(next) = self.confirm_ui(ui) {
            action = Some(next);
        }
        action
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

    fn header_ui(&self, ui: &mut egui::Ui, deployment: &Deployment) {
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
        ui.horizontal_wrapped(|ui| {
            overview_bar_ui(ui, &deployment.overview);
            if self.history.len() > 1 {
                ui.separator();
                history_chart_ui(ui, &self.history, deployment);
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

    fn state_line_ui(&self, ui: &mut egui::Ui) {
        let Some(state) = &self.state else { return };
        let text = match state {
            WatchState::Watching { next_in } => {
                format!(
                    "Live · next refresh in {} · {} requests",
                    time::duration(*next_in),
                    self.requests
                )
            }
            WatchState::Throttled { retry_in } => format!(
                "AWS is throttling requests; retrying in {}. What is shown stays.",
                time::duration(*retry_in)
            ),
            WatchState::Failing { message, retry_in } => {
                format!("{message} Retrying in {}.", time::duration(*retry_in))
            }
            WatchState::Finished => format!("Finished · {} requests", self.requests),
            WatchState::Gone(message) => format!("No longer available: {message}"),
        };
        let color = match state {
            WatchState::Throttled { .. } => ui.visuals().warn_fg_color,
            WatchState::Failing { .. } | WatchState::Gone(_) => ui.visuals().error_fg_color,
            _ => ui.visuals().weak_text_color(),
        };
        ui.label(RichText::new(text).color(color).small());
    }

    fn actions_ui(&mut self, ui: &mut egui::Ui, deployment: &Deployment) -> Option<RolloutAction> {
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

    fn confirm_ui(&mut self, ui: &mut egui::Ui) -> Option<RolloutAction> {
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

    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            for grouping in Grouping::ALL {
                ui.selectable_value(&mut self.grouping, grouping, grouping.label());
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
                TileState::Skipped,
                TileState::Ready,
            ],
        );
    }
}

/// Which tiles to show and how to group them.
pub struct RowFilter<'a> {
    /// How to group.
    pub grouping: Grouping,
    /// Show only failed targets.
    pub only_failed: bool,
    /// Show only targets whose id or `Name` tag contains this.
    pub search: &'a str,
    /// The tag to group by with [`Grouping::Tag`].
    pub tag_key: &'a str,
    /// The targets' tags, as far as they are known.
    pub instances: &'a HashMap<String, InstanceInfo>,
}

/// Groups targets into rows of tiles.
pub fn build_rows(targets: &[Target], filter: &RowFilter<'_>) -> Vec<TileRow> {
    let needle = filter.search.trim().to_lowercase();
    let name_of = |index: usize| {
        filter
            .instances
            .get(&targets[index].id)
            .and_then(InstanceInfo::name)
            .map(str::to_lowercase)
    };
    let visible: Vec<usize> = (0..targets.len())
        .filter(|&index| !filter.only_failed || targets[index].status == TargetStatus::Failed)
        .filter(|&index| {
            needle.is_empty()
                || targets[index].id.to_lowercase().contains(&needle)
                || name_of(index).is_some_and(|name| name.contains(&needle))
        })
        .collect();
    let labels: Vec<Option<&str>> = {
        let mut labels: Vec<Option<&str>> = visible
            .iter()
            .map(|&index| targets[index].label.as_deref())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        labels
    };
    let mut rows = Vec::new();
    for label in labels {
        let members: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|&index| targets[index].label.as_deref() == label)
            .collect();
        let prefix = label.map(|label| format!("{label} · ")).unwrap_or_default();
        match filter.grouping {
            Grouping::Tag => {
                let tag_key = filter.tag_key.trim();
                let value_of = |index: usize| {
                    filter
                        .instances
                        .get(&targets[index].id)
                        .and_then(|instance| instance.tags.get(tag_key))
                        .cloned()
                };
                let mut values: Vec<Option<String>> =
                    members.iter().map(|&index| value_of(index)).collect();
                values.sort_unstable();
                values.dedup();
                for value in values {
                    let items: Vec<usize> = members
                        .iter()
                        .copied()
                        .filter(|&index| value_of(index) == value)
                        .collect();
                    let value_text = value.unwrap_or_else(|| format!("no {tag_key}"));
                    rows.push(TileRow {
                        label: format!("{prefix}{value_text} ({})", items.len()),
                        items,
                    });
                }
            }
            Grouping::None => rows.push(TileRow {
                label: format!("{prefix}All"),
                items: members,
            }),
            Grouping::Status => {
                for status in [
                    TargetStatus::Failed,
                    TargetStatus::InProgress,
                    TargetStatus::Ready,
                    TargetStatus::Pending,
                    TargetStatus::Succeeded,
                    TargetStatus::Skipped,
                    TargetStatus::Unknown,
                ] {
                    let items: Vec<usize> = members
                        .iter()
                        .copied()
                        .filter(|&index| targets[index].status == status)
                        .collect();
                    if !items.is_empty() {
                        rows.push(TileRow {
                            label: format!(
                                "{prefix}{} ({})",
                                capitalized(status.label()),
                                items.len()
                            ),
                            items,
                        });
                    }
                }
            }
            Grouping::Wave => {
                let mut starts: Vec<SystemTime> = members
                    .iter()
                    .filter_map(|&index| first_start(&targets[index]))
                    .collect();
                starts.sort_unstable();
                starts.dedup();
                for (wave, start) in starts.iter().enumerate() {
                    let items: Vec<usize> = members
                        .iter()
                        .copied()
                        .filter(|&index| first_start(&targets[index]) == Some(*start))
                        .collect();
                    rows.push(TileRow {
                        label: format!("{prefix}Wave {}", wave + 1),
                        items,
                    });
                }
                let waiting: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&index| first_start(&targets[index]).is_none())
                    .collect();
                if !waiting.is_empty() {
                    rows.push(TileRow {
                        label: format!("{prefix}Not started"),
                        items: waiting,
                    });
                }
            }
        }
    }
    rows
}

fn first_start(target: &Target) -> Option<SystemTime> {
    target.events.iter().filter_map(|event| event.started).min()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The tile for a target.
pub fn tile_state(target: &Target) -> TileState {
    match target.status {
        TargetStatus::Pending | TargetStatus::Unknown => TileState::Pending,
        TargetStatus::InProgress => TileState::InProgress(target.progress()),
        TargetStatus::Ready => TileState::Ready,
        TargetStatus::Succeeded => TileState::Succeeded,
        TargetStatus::Failed => TileState::Failed,
        TargetStatus::Skipped => TileState::Skipped,
    }
}

fn describe_target(target: &Target, instance: Option<&InstanceInfo>, now: SystemTime) -> String {
    let mut text = target.id.clone();
    if let Some(name) = instance.and_then(InstanceInfo::name) {
        let _ = write!(text, " {name}");
    }
    if let Some(label) = &target.label {
        let _ = write!(text, " ({label})");
    }
    text.push('\n');
    text.push_str(target.status.label());
    if let Some(event) = target.current_event() {
        let _ = write!(text, ": {}", event.name);
        if let Some(started) = event.started {
            let end = event.ended.unwrap_or(now);
            if let Ok(elapsed) = end.duration_since(started) {
                let _ = write!(text, ", {}", time::duration(elapsed));
            }
        }
    }
    text.push_str("\nClick for its lifecycle events.");
    text
}

/// Draws a target's lifecycle timeline. Returns whether it was closed.
fn timeline_ui(ui: &mut egui::Ui, target: &Target, instance: Option<&InstanceInfo>) -> bool {
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

/// A small bar chart of a group's recent deployments, oldest on the left:
/// height is duration, colour the result.
fn history_chart_ui(ui: &mut egui::Ui, history: &[Deployment], current: &Deployment) {
    const BAR: f32 = 7.0;
    const HEIGHT: f32 = 34.0;
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
                deployment.status.as_str(),
                time::duration(std::time::Duration::from_secs_f32(seconds))
            ),
            None => summary.clone(),
        });
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &summary));
    });
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
    let waves = {
        let mut starts: Vec<SystemTime> = targets.iter().filter_map(first_start).collect();
        starts.sort_unstable();
        starts.dedup();
        starts.len()
    };
    let code = deployment
        .error
        .as_ref()
        .map_or("", |(code, _)| code.as_str());
    let needs = minimum.map(|minimum| minimum.resolve(total));
    match code {
        "NO_INSTANCES" => "The deployment group matched no instances: check its tags.".to_owned(),
        "HEALTH_CONSTRAINTS_INVALID" => match needs {
            Some(needed) => format!(
                "This config needs {needed} of {total} instances healthy, so none could be taken offline: it failed before it started."
            ),
            None => "The minimum healthy hosts could not be met from the start.".to_owned(),
        },
        "HEALTH_CONSTRAINTS" => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn filter(grouping: Grouping, only_failed: bool, search: &str) -> RowFilter<'_> {
        static NO_TAGS: std::sync::LazyLock<HashMap<String, InstanceInfo>> =
            std::sync::LazyLock::new(HashMap::new);
        RowFilter {
            grouping,
            only_failed,
            search,
            tag_key: "Environment",
            instances: &NO_TAGS,
        }
    }

    #[test]
    fn rows_by_tag_use_the_tag_value_and_search_finds_names() {
        let targets = vec![
            target("i-1", TargetStatus::Succeeded, Some(1)),
            target("i-2", TargetStatus::Succeeded, Some(1)),
            target("i-3", TargetStatus::Failed, Some(1)),
        ];
        let info = |id: &str, name: &str, environment: Option<&str>| {
            let mut tags = std::collections::BTreeMap::new();
            tags.insert("Name".to_owned(), name.to_owned());
            if let Some(environment) = environment {
                tags.insert("Environment".to_owned(), environment.to_owned());
            }
            let info = InstanceInfo {
                id: id.to_owned(),
                tags,
                state: None,
            };
            (id.to_owned(), info)
        };
        let instances: HashMap<String, InstanceInfo> = [
            info("i-1", "web-001", Some("production")),
            info("i-2", "web-002", Some("staging")),
            info("i-3", "web-003", None),
        ]
        .into_iter()
        .collect();
        let by_tag = RowFilter {
            grouping: Grouping::Tag,
            only_failed: false,
            search: "",
            tag_key: "Environment",
            instances: &instances,
        };
        let labels: Vec<String> = build_rows(&targets, &by_tag)
            .into_iter()
            .map(|row| row.label)
            .collect();
        assert_eq!(
            labels,
            ["no Environment (1)", "production (1)", "staging (1)"]
        );
        let by_name = RowFilter {
            grouping: Grouping::None,
            search: "WEB-002",
            ..by_tag
        };
        assert_eq!(build_rows(&targets, &by_name)[0].items, vec![1]);
    }

    fn target(id: &str, status: TargetStatus, started: Option<u64>) -> Target {
        Target {
            id: id.to_owned(),
            status,
            label: None,
            last_updated: None,
            events: started
                .map(|seconds| EventInfo {
                    name: "ApplicationStop".to_owned(),
                    status: "Succeeded".to_owned(),
                    started: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)),
                    ended: None,
                    diagnostics: None,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn an_error_while_watching_keeps_what_is_on_screen() {
        let mut view = RolloutView::new("d-1");
        view.apply(WatchUpdate {
            deployment: None,
            target_ids: Some(vec!["i-1".to_owned(), "i-2".to_owned()]),
            targets: vec![target("i-1", TargetStatus::Succeeded, Some(1))],
            state: WatchState::Watching {
                next_in: Duration::from_secs(1),
            },
            requests: 3,
            refreshes: 1,
        });
        view.apply(WatchUpdate {
            deployment: None,
            target_ids: None,
            targets: Vec::new(),
            state: WatchState::Failing {
                message: "Could not reach AWS.".to_owned(),
                retry_in: Duration::from_secs(5),
            },
            requests: 4,
            refreshes: 2,
        });
        assert_eq!(view.targets().len(), 2);
        assert_eq!(view.targets()[0].status, TargetStatus::Succeeded);
        assert!(matches!(view.state, Some(WatchState::Failing { .. })));
    }

    #[test]
    fn rows_by_status_put_failures_first() {
        let targets = vec![
            target("i-1", TargetStatus::Succeeded, Some(1)),
            target("i-2", TargetStatus::Failed, Some(2)),
            target("i-3", TargetStatus::Pending, None),
        ];
        let rows = build_rows(&targets, &filter(Grouping::Status, false, ""));
        let labels: Vec<&str> = rows.iter().map(|row| row.label.as_str()).collect();
        assert_eq!(labels, ["Failed (1)", "Pending (1)", "Succeeded (1)"]);
    }

    #[test]
    fn rows_by_wave_follow_start_times() {
        let targets = vec![
            target("i-1", TargetStatus::Succeeded, Some(10)),
            target("i-2", TargetStatus::Succeeded, Some(10)),
            target("i-3", TargetStatus::InProgress, Some(20)),
            target("i-4", TargetStatus::Pending, None),
        ];
        let rows = build_rows(&targets, &filter(Grouping::Wave, false, ""));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].items, vec![0, 1]);
        assert_eq!(rows[1].label, "Wave 2");
        assert_eq!(rows[2].label, "Not started");
    }

    #[test]
    fn only_failed_and_search_filter_tiles() {
        let mut targets = vec![
            target("i-aaa", TargetStatus::Succeeded, Some(1)),
            target("i-bbb", TargetStatus::Failed, Some(1)),
        ];
        targets[1].label = Some("Green".to_owned());
        let rows = build_rows(&targets, &filter(Grouping::None, true, ""));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].items, vec![1]);
        assert_eq!(rows[0].label, "Green · All");
        let rows = build_rows(&targets, &filter(Grouping::None, false, "AAA"));
        assert_eq!(rows[0].items, vec![0]);
    }

    #[test]
    fn failure_is_explained_with_numbers() {
        let deployment = Deployment {
            id: "d-1".to_owned(),
            application: "a".to_owned(),
            group: "g".to_owned(),
            config: "CodeDeployDefault.OneAtATime".to_owned(),
            status: DeploymentStatus::Failed,
            revision: None,
            creator: "user".to_owned(),
            description: None,
            created: None,
            started: None,
            completed: None,
            overview: crate::cloud::deployments::Overview {
                succeeded: 1,
                failed: 1,
                skipped: 8,
                ..Default::default()
            },
            error: Some((
                "HEALTH_CONSTRAINTS".to_owned(),
                "too many failed".to_owned(),
            )),
            blue_green: false,
            rollback: None,
        };
        let targets = vec![
            target("i-1", TargetStatus::Succeeded, Some(1)),
            target("i-2", TargetStatus::Failed, Some(2)),
        ];
        assert_eq!(
            explain_failure(&deployment, Some(MinimumHealthyHosts::OneAtATime), &targets),
            "1 of 10 instances failed; this config needs 9 healthy: stopped after wave 2."
        );
    }
}
