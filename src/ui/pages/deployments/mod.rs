//! The Deployments page: recent deployments with their status, and the
//! rollout view of the one selected.

pub(crate) mod effects;

use std::time::{Duration, Instant, SystemTime};

use egui::RichText;

use crate::cloud::CloudError;
use crate::cloud::deployments::{Deployment, DeploymentFilter, DeploymentStatus};
use crate::ui::pages::rollout::{RolloutAction, RolloutView, started_by, status_chip_ui};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::columns::{self, Share};
use crate::ui::widgets::loadable::Loadable;
use crate::ui::widgets::time;

/// How often the list refreshes while a deployment in it is active.
pub const ACTIVE_REFRESH: Duration = Duration::from_secs(5);

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentsAction {
    /// Load the list with this filter.
    Refresh(DeploymentFilter),
    /// Open a deployment's rollout view and watch it.
    Open(String),
    /// Close the rollout view and stop watching.
    Close,
    /// Something the rollout view asked for.
    Rollout(RolloutAction),
    /// Open the Deploy dialog.
    Deploy,
}

/// Which statuses the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
enum StatusFilter {
    #[default]
    All,
    Active,
    Succeeded,
    Failed,
    Stopped,
}

impl StatusFilter {
    const ALL: [Self; 5] = [
        Self::All,
        Self::Active,
        Self::Succeeded,
        Self::Failed,
        Self::Stopped,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Active => "Active",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
        }
    }

    fn statuses(self) -> Vec<DeploymentStatus> {
        match self {
            Self::All => Vec::new(),
            Self::Active => vec![
                DeploymentStatus::Created,
                DeploymentStatus::Queued,
                DeploymentStatus::InProgress,
                DeploymentStatus::Ready,
                DeploymentStatus::Baking,
            ],
            Self::Succeeded => vec![DeploymentStatus::Succeeded],
            Self::Failed => vec![DeploymentStatus::Failed],
            Self::Stopped => vec![DeploymentStatus::Stopped],
        }
    }
}

/// The Deployments page's state.
#[derive(Default)]
pub struct DeploymentsPage {
    list: Loadable<Vec<Deployment>>,
    status: StatusFilter,
    application: String,
    group: String,
    loaded_at: Option<Instant>,
    rollout: Option<RolloutView>,
    /// Keeps the rollout view live; dropped with the view's page state.
    watcher: Option<effects::Watcher>,
}

impl DeploymentsPage {
    /// Forgets everything loaded, e.g. after switching accounts.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The rollout view, when one is open.
    pub fn rollout_mut(&mut self) -> Option<&mut RolloutView> {
        self.rollout.as_mut()
    }

    /// The rollout view, when one is open.
    pub fn rollout(&self) -> Option<&RolloutView> {
        self.rollout.as_ref()
    }

    /// Opens a deployment's rollout view (the app starts the watcher).
    pub fn open(&mut self, deployment_id: &str) {
        self.rollout = Some(RolloutView::new(deployment_id));
    }

    /// The filter the list is loaded with.
    pub fn filter(&self) -> DeploymentFilter {
        let application = self.application.trim();
        let group = self.group.trim();
        DeploymentFilter {
            application: (!application.is_empty()).then(|| application.to_owned()),
            group: (!application.is_empty() && !group.is_empty()).then(|| group.to_owned()),
            statuses: self.status.statuses(),
            limit: 50,
        }
    }

    /// Whether the list shows a deployment that has not ended.
    pub fn has_active(&self) -> bool {
        matches!(&self.list, Loadable::Loaded(deployments) if deployments.iter().any(|deployment| !deployment.status.is_finished()))
    }

    /// Whether the list should be (re)loaded now: never loaded, or showing an
    /// active deployment and older than [`ACTIVE_REFRESH`].
    pub fn wants_refresh(&self, now: Instant) -> bool {
        match &self.list {
            Loadable::NotLoaded => true,
            Loadable::Loading | Loadable::Failed(_) => false,
            Loadable::Loaded(deployments) => {
                deployments
                    .iter()
                    .any(|deployment| !deployment.status.is_finished())
                    && self
                        .loaded_at
                        .is_none_or(|at| now.duration_since(at) >= ACTIVE_REFRESH)
            }
        }
    }

    /// Marks the list as loading.
    pub fn loading(&mut self) {
        if !matches!(self.list, Loadable::Loaded(_)) {
            self.list = Loadable::Loading;
        }
    }

    /// The list arrived (or failed). A failed refresh keeps the list shown.
    pub fn loaded(&mut self, result: Result<Vec<Deployment>, CloudError>) {
        self.loaded_at = Some(Instant::now());
        self.list = match (result, std::mem::take(&mut self.list)) {
            (Ok(deployments), _) => Loadable::Loaded(deployments),
            (Err(_), Loadable::Loaded(previous)) => Loadable::Loaded(previous),
            (Err(error), _) => Loadable::Failed(error.to_string()),
        };
    }

    /// Draws the page and returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<DeploymentsAction> {
        if let Some(rollout) = &mut self.rollout {
            let mut action = None;
            ui.horizontal(|ui| {
                if ui
                    .add(Action::secondary("All deployments").icon(icons::ICON_ARROW_BACK))
                    .clicked()
                {
                    action = Some(DeploymentsAction::Close);
                }
            });
            if let Some(next) = rollout.ui(ui) {
                action = Some(DeploymentsAction::Rollout(next));
            }
            if action == Some(DeploymentsAction::Close) {
                self.rollout = None;
            }
            return action;
        }
        self.list_ui(ui)
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) -> Option<DeploymentsAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.heading("Deployments");
            if ui
                .add(Action::secondary("Refresh").icon(icons::ICON_REFRESH))
                .clicked()
            {
                action = Some(DeploymentsAction::Refresh(self.filter()));
            }
            if ui
                .add(
                    Action::primary("Deploy…")
                        .icon(icons::ICON_ROCKET_LAUNCH)
                        .hover("Start a deployment, with a pre-flight plan first"),
                )
                .clicked()
            {
                action = Some(DeploymentsAction::Deploy);
            }
            if self.list.is_loading() {
                ui.spinner();
            }
        });
        ui.horizontal_wrapped(|ui| {
            let before = (self.status, self.application.clone(), self.group.clone());
            for status in StatusFilter::ALL {
                ui.selectable_value(&mut self.status, status, status.label());
            }
            ui.separator();
            let label = ui.label("Application");
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut self.application)
                        .hint_text("all applications")
                        .desired_width(160.0),
                )
                .labelled_by(label.id);
            let mut typed_done = response.lost_focus();
            if !self.application.trim().is_empty() {
                let label = ui.label("Group");
                let response = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.group)
                            .hint_text("all groups")
                            .desired_width(140.0),
                    )
                    .labelled_by(label.id);
                typed_done |= response.lost_focus();
            }
            let typed_changed = self.application != before.1 || self.group != before.2;
            if self.status != before.0 || (typed_done && typed_changed) {
                action = Some(DeploymentsAction::Refresh(self.filter()));
            }
        });
        ui.add_space(4.0);
        match &self.list {
            Loadable::NotLoaded | Loadable::Loading => {}
            Loadable::Failed(error) => {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Retry")).clicked() {
                    action = Some(DeploymentsAction::Refresh(self.filter()));
                }
            }
            Loadable::Loaded(deployments) if deployments.is_empty() => {
                ui.label(RichText::new("No deployments match.").weak());
            }
            Loadable::Loaded(deployments) => {
                if let Some(id) = deployments_table_ui(ui, deployments) {
                    action = Some(DeploymentsAction::Open(id));
                }
            }
        }
        if let Some(DeploymentsAction::Open(id)) = &action {
            self.rollout = Some(RolloutView::new(id.clone()));
        }
        action
    }
}

/// The Deployments table's columns before the last (Revision): Deployment,
/// Status, Started, Ended, Duration, Application / group, Configuration,
/// Started by.
const DEPLOYMENT_COLUMNS: [Share; 8] = [
    Share {
        fraction: 0.11,
        minimum: 84.0,
    },
    Share {
        fraction: 0.13,
        minimum: 96.0,
    },
    Share {
        fraction: 0.08,
        minimum: 60.0,
    },
    Share {
        fraction: 0.08,
        minimum: 60.0,
    },
    Share {
        fraction: 0.07,
        minimum: 50.0,
    },
    Share {
        fraction: 0.16,
        minimum: 80.0,
    },
    Share {
        fraction: 0.14,
        minimum: 70.0,
    },
    Share {
        fraction: 0.10,
        minimum: 60.0,
    },
];

/// Draws the deployments as a table, short columns first, each resizable,
/// long texts cut short with the full text on hover; returns the one
/// opened.
fn deployments_table_ui(ui: &mut egui::Ui, deployments: &[Deployment]) -> Option<String> {
    use egui_extras::TableBuilder;
    let mut opened = None;
    let now = SystemTime::now();
    // Scroll bars take their own room rather than float over the last row
    // or column.
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    let text_height = ui.text_style_height(&egui::TextStyle::Body);
    let row_height = (text_height + 10.0).max(24.0);
    let width = ui.available_width();
    egui::ScrollArea::horizontal()
        .id_salt("deployments_columns")
        .show(ui, |ui| {
            let table = TableBuilder::new(ui)
                .id_salt(columns::table_id("deployments_table", width))
                .striped(true)
                .resizable(true)
                .auto_shrink([false, false])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
            columns::fitted(table, &DEPLOYMENT_COLUMNS, 60.0, width)
                .header(row_height, |mut header| {
                    for title in [
                        "Deployment",
                        "Status",
                        "Started",
                        "Ended",
                        "Duration",
                        "Application / group",
                        "Configuration",
                        "Started by",
                        "Revision",
                    ] {
                        header.col(|ui| {
                            ui.strong(title);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, deployments.len(), |mut row| {
                        let deployment = &deployments[row.index()];
                        row.col(|ui| {
                            if ui.link(&deployment.id).clicked() {
                                opened = Some(deployment.id.clone());
                            }
                        });
                        row.col(|ui| status_cell_ui(ui, deployment));
                        row.col(|ui| {
                            let started = deployment
                                .started
                                .or(deployment.created)
                                .map(|at| time::ago_live(ui.ctx(), at))
                                .unwrap_or_default();
                            truncated_ui(ui, &started);
                        });
                        row.col(|ui| {
                            let ended = deployment.completed.map(|at| time::ago_live(ui.ctx(), at));
                            if let Some(ended) = ended {
                                truncated_ui(ui, &ended);
                            } else {
                                ui.label(RichText::new("running").weak());
                            }
                        });
                        row.col(|ui| {
                            let text = deployment
                                .duration(now)
                                .map(|ran| {
                                    if deployment.completed.is_some() {
                                        time::duration(ran)
                                    } else {
                                        time::running_live(ui.ctx(), ran)
                                    }
                                })
                                .unwrap_or_default();
                            truncated_ui(ui, &text);
                        });
                        row.col(|ui| {
                            truncated_ui(
                                ui,
                                &format!("{} / {}", deployment.application, deployment.group),
                            );
                        });
                        row.col(|ui| {
                            truncated_ui(ui, &deployment.config);
                        });
                        row.col(|ui| {
                            let by = started_by(&deployment.creator);
                            let by = by.strip_prefix("started ").unwrap_or(&by);
                            truncated_ui(ui, &capitalized(by)).on_hover_text(format!(
                                "CodeDeploy's creator: {}",
                                deployment.creator
                            ));
                        });
                        row.col(|ui| {
                            truncated_ui(
                                ui,
                                &deployment.revision.as_ref().map_or_else(
                                    String::new,
                                    crate::cloud::deployments::Revision::describe,
                                ),
                            );
                        });
                    });
                });
        });
    opened
}

/// A deployment's status as a chip in plain words (CodeDeploy's value on
/// hover), marked when it is a rollback.
fn status_cell_ui(ui: &mut egui::Ui, deployment: &Deployment) {
    status_chip_ui(ui, deployment.status);
    if let Some(rolled_back) = deployment.rolls_back() {
        ui.label(RichText::new("rollback").weak().italics())
            .on_hover_text(format!("Rolls back {rolled_back}"));
    } else if let Some(rollback) = deployment.rolled_back_by() {
        ui.label(RichText::new("rolled back").weak().italics())
            .on_hover_text(format!("Rolled back by {rollback}"));
    }
}

/// A one-line label cut short to its cell, with the whole text on hover.
fn truncated_ui(ui: &mut egui::Ui, text: &str) -> egui::Response {
    ui.add(egui::Label::new(text).truncate())
}

/// `text` with its first letter in capitals.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
