//! The Applications page: the account's applications with their compute
//! platform, and for the selected one its deployment groups.

pub(crate) mod effects;
mod live;

use egui::RichText;

use crate::cloud::CloudError;
use crate::cloud::cloudwatch::AlarmStateValue;
use crate::cloud::codedeploy::{Application, DeploymentGroup};
use crate::cloud::live_targets::LiveGroup;
use crate::domain::ComputePlatform;
use crate::domain::names;
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::columns::{self, Share};
use crate::ui::widgets::dialog::Dialog;
use crate::ui::widgets::loadable::{Loadable, loaded};
use crate::ui::widgets::time;

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationsAction {
    /// Load the application list.
    Refresh,
    /// Load an application's deployment groups.
    LoadGroups(String),
    /// Create an application.
    Create {
        /// Its name.
        name: String,
        /// Its compute platform.
        platform: ComputePlatform,
    },
    /// Delete an application.
    Delete(String),
    /// Read what an ECS or Lambda application's groups move.
    ReadLive {
        /// The application.
        application: String,
        /// Its groups.
        groups: Vec<String>,
        /// Read again, keeping what did not change (the live re-read);
        /// otherwise everything is read afresh.
        again: bool,
    },
}

/// The Applications page's state.
#[derive(Default)]
pub struct ApplicationsPage {
    applications: Loadable<Vec<Application>>,
    selected: Option<String>,
    groups: Loadable<Vec<DeploymentGroup>>,
    new_name: String,
    new_platform: ComputePlatform,
    create_error: Option<String>,
    creating: bool,
    confirm_delete: Option<String>,
    deleting: Option<String>,
    delete_error: Option<String>,
    /// The list on screen is being read again.
    refreshing: bool,
    /// What the ECS or Lambda groups move, read live.
    live: live::LiveSection,
}

impl ApplicationsPage {
    /// Forgets everything loaded, e.g. after switching accounts.
    pub fn clear(&mut self) {
        *self = Self {
            new_name: std::mem::take(&mut self.new_name),
            new_platform: self.new_platform,
            ..Self::default()
        };
    }

    /// Whether the list has to be loaded.
    pub fn needs_load(&self) -> bool {
        matches!(self.applications, Loadable::NotLoaded)
    }

    /// Marks the list as loading. A list on screen stays while it is
    /// read again, so a refresh never blanks the page.
    pub fn loading(&mut self) {
        if matches!(self.applications, Loadable::Loaded(_)) {
            self.refreshing = true;
        } else {
            self.applications = Loadable::Loading;
        }
    }

    /// Marks the selected application's groups as loading; groups on
    /// screen (of the same application) stay while they are read again.
    pub fn groups_loading(&mut self) {
        if !matches!(self.groups, Loadable::Loaded(_)) {
            self.groups = Loadable::Loading;
        }
    }

    /// Whether the list is being read, for the first time or again.
    fn is_loading(&self) -> bool {
        self.refreshing || self.applications.is_loading()
    }

    /// The application list arrived (or failed).
    pub fn applications_loaded(
        &mut self,
        result: Result<Vec<Application>, CloudError>,
    ) -> Option<ApplicationsAction> {
        self.refreshing = false;
        match result {
            Ok(applications) => {
                if let Some(selected) = &self.selected
                    && !applications
                        .iter()
                        .any(|application| &application.name == selected)
                {
                    self.selected = None;
                    self.groups = Loadable::NotLoaded;
                }
                if self.selected.is_none() {
                    self.selected = applications
                        .first()
                        .map(|application| application.name.clone());
                }
                self.applications = Loadable::Loaded(applications);
                self.selected.clone().map(ApplicationsAction::LoadGroups)
            }
            Err(error) => {
                self.applications = Loadable::Failed(error.to_string());
                None
            }
        }
    }

    /// An application's groups arrived (or failed). For an ECS or Lambda
    /// application, what the groups move is read next.
    pub fn groups_loaded(
        &mut self,
        application: &str,
        result: Result<Vec<DeploymentGroup>, CloudError>,
    ) -> Option<ApplicationsAction> {
        if self.selected.as_deref() != Some(application) {
            return None;
        }
        self.groups = loaded(result);
        self.read_live(false)
    }

    /// The read of what the selected application's groups move, when it
    /// is an ECS or Lambda application with groups.
    fn read_live(&self, again: bool) -> Option<ApplicationsAction> {
        if !self.has_live_section() {
            return None;
        }
        let Loadable::Loaded(groups) = &self.groups else {
            return None;
        };
        Some(ApplicationsAction::ReadLive {
            application: self.selected.clone()?,
            groups: groups.iter().map(|group| group.name.clone()).collect(),
            again,
        })
    }

    /// Whether the selected application is an ECS or Lambda one with
    /// groups, whose services or aliases the page shows.
    fn has_live_section(&self) -> bool {
        let platform = self.selected_platform();
        matches!(&self.groups, Loadable::Loaded(groups) if !groups.is_empty())
            && matches!(
                platform,
                Some(ComputePlatform::Ecs | ComputePlatform::Lambda)
            )
    }

    /// The selected application's compute platform, when known.
    fn selected_platform(&self) -> Option<ComputePlatform> {
        let selected = self.selected.as_deref()?;
        match &self.applications {
            Loadable::Loaded(applications) => applications
                .iter()
                .find(|application| application.name == selected)
                .and_then(|application| application.platform),
            _ => None,
        }
    }

    /// A read of what `application`'s groups move started.
    pub(crate) fn live_reading(&mut self, application: &str) {
        self.live.reading(application);
    }

    /// What was read before of `application`'s groups.
    pub(crate) fn live_previous(&self, application: &str) -> Vec<LiveGroup> {
        self.live.previous(application)
    }

    /// What `application`'s groups move arrived (or failed). The groups
    /// table's last deployments take the statuses read with it.
    pub fn live_read(&mut self, application: &str, result: Result<Vec<LiveGroup>, CloudError>) {
        if self.selected.as_deref() != Some(application) {
            return;
        }
        self.live.read(
            application,
            result.map_err(|error| error.to_string()),
            std::time::Instant::now(),
        );
        if let (Loadable::Loaded(groups), Some(live)) = (&mut self.groups, self.live.groups()) {
            for group in groups.iter_mut() {
                if let Some(read) = live.iter().find(|read| read.name == group.name) {
                    group.last_attempted.clone_from(&read.last_attempted);
                }
            }
        }
    }

    /// A create finished. On success the form is cleared and the new
    /// application selected (the app reloads the list, as after every
    /// change it makes); on failure what was typed stays.
    pub fn created(&mut self, name: &str, result: Result<String, CloudError>) {
        self.creating = false;
        match result {
            Ok(_) => {
                self.new_name.clear();
                self.create_error = None;
                self.selected = Some(name.to_owned());
                self.groups = Loadable::NotLoaded;
            }
            Err(error) => self.create_error = Some(error.to_string()),
        }
    }

    /// A delete finished (the app reloads the list, as after every change
    /// it makes).
    pub fn deleted(&mut self, name: &str, result: Result<(), CloudError>) {
        self.deleting = None;
        match result {
            Ok(()) => {
                if self.selected.as_deref() == Some(name) {
                    self.selected = None;
                    self.groups = Loadable::NotLoaded;
                }
                self.delete_error = None;
            }
            Err(error) => self.delete_error = Some(error.to_string()),
        }
    }

    /// Draws the page and returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<ApplicationsAction> {
        let mut action = None;
        if self
            .live
            .due(std::time::Instant::now(), ui.ctx())
            .is_some_and(|application| self.selected.as_deref() == Some(application.as_str()))
        {
            action = self.read_live(true);
        }
        ui.horizontal(|ui| {
            ui.heading("Applications");
            if ui
                .add(Action::secondary("Refresh").icon(icons::ICON_REFRESH))
                .clicked()
            {
                action = Some(ApplicationsAction::Refresh);
            }
            if self.is_loading() {
                ui.spinner();
                ui.label("Loading applications…");
            }
        });
        ui.add_space(4.0);

        egui::Panel::left("applications_list")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                if let Some(next) = self.create_ui(ui) {
                    action = Some(next);
                }
                ui.separator();
                if let Some(next) = self.list_ui(ui) {
                    action = Some(next);
                }
            });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            if let Some(next) = self.details_ui(ui) {
                action = Some(next);
            }
        });
        if let Some(next) = self.confirm_delete_ui(ui) {
            action = Some(next);
        }
        action
    }

    fn create_ui(&mut self, ui: &mut egui::Ui) -> Option<ApplicationsAction> {
        ui.strong("New application");
        let label = ui.label("Application name");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut self.new_name)
                    .hint_text("e.g. web-shop")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        ui.horizontal_wrapped(|ui| {
            for platform in ComputePlatform::ALL {
                ui.selectable_value(&mut self.new_platform, platform, platform.label());
            }
        });
        let validation = names::validate_name(names::NameKind::Application, self.new_name.trim());
        let typed = !self.new_name.is_empty();
        if let (true, Err(problem)) = (typed, &validation) {
            ui.label(RichText::new(problem.to_string()).color(ui.visuals().error_fg_color));
        }
        if let Some(error) = &self.create_error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        let enter = response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        let clicked = ui
            .horizontal(|ui| {
                let button = ui.add_enabled(
                    validation.is_ok() && !self.creating,
                    Action::primary("Create application"),
                );
                if self.creating {
                    ui.spinner();
                }
                button.clicked()
            })
            .inner;
        if (clicked || enter) && validation.is_ok() && !self.creating {
            self.creating = true;
            self.create_error = None;
            return Some(ApplicationsAction::Create {
                name: self.new_name.trim().to_owned(),
                platform: self.new_platform,
            });
        }
        None
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) -> Option<ApplicationsAction> {
        let mut action = None;
        match &self.applications {
            Loadable::NotLoaded | Loadable::Loading => {}
            Loadable::Failed(error) => {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Retry")).clicked() {
                    action = Some(ApplicationsAction::Refresh);
                }
            }
            Loadable::Loaded(applications) if applications.is_empty() => {
                ui.label(RichText::new("No applications yet. Create one above.").weak());
            }
            Loadable::Loaded(applications) => {
                egui::ScrollArea::vertical()
                    .id_salt("applications_scroll")
                    .show(ui, |ui| {
                        for application in applications {
                            let selected =
                                self.selected.as_deref() == Some(application.name.as_str());
                            let platform = application.platform.map_or("", ComputePlatform::label);
                            let response = ui.add(
                                egui::Button::selectable(selected, application.name.as_str())
                                    .right_text(platform),
                            );
                            if response.clicked() && !selected {
                                self.selected = Some(application.name.clone());
                                self.groups = Loadable::NotLoaded;
                                action =
                                    Some(ApplicationsAction::LoadGroups(application.name.clone()));
                            }
                        }
                    });
            }
        }
        action
    }

    fn details_ui(&mut self, ui: &mut egui::Ui) -> Option<ApplicationsAction> {
        let Some(selected) = self.selected.clone() else {
            ui.label(RichText::new("Select an application to see its deployment groups.").weak());
            return None;
        };
        let mut action = None;
        let platform = match &self.applications {
            Loadable::Loaded(applications) => applications
                .iter()
                .find(|application| application.name == selected)
                .and_then(|application| application.platform),
            _ => None,
        };
        let platform = platform.map(|platform| RichText::new(platform.label()).weak());
        let mut platform_below = false;
        ui.horizontal(|ui| {
            // The button first, from the right, so the name and platform
            // get what is left. In a narrow window the platform moves to
            // the line below, and a name still too long is cut short
            // (whole on hover) instead of running under the button.
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let deleting = self.deleting.as_deref() == Some(selected.as_str());
                if ui
                    .add_enabled(!deleting, Action::danger("Delete application…"))
                    .clicked()
                {
                    self.confirm_delete = Some(selected.clone());
                }
                if deleting {
                    ui.spinner();
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    let width = |ui: &egui::Ui, text: RichText| {
                        egui::WidgetText::from(text)
                            .into_galley(
                                ui,
                                Some(egui::TextWrapMode::Extend),
                                f32::INFINITY,
                                egui::TextStyle::Body,
                            )
                            .size()
                            .x
                    };
                    let name = RichText::new(&selected).heading();
                    let both = width(ui, name.clone())
                        + platform.as_ref().map_or(0.0, |platform| {
                            width(ui, platform.clone()) + ui.spacing().item_spacing.x
                        });
                    platform_below = platform.is_some() && both > ui.available_width();
                    ui.add(egui::Label::new(name).truncate());
                    if let Some(platform) = platform.clone().filter(|_| !platform_below) {
                        ui.label(platform);
                    }
                });
            });
        });
        if let Some(platform) = platform.filter(|_| platform_below) {
            ui.label(platform);
        }
        if let Some(error) = &self.delete_error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        ui.add_space(6.0);
        ui.strong("Deployment groups");
        match &self.groups {
            Loadable::NotLoaded | Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading deployment groups…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Retry")).clicked() {
                    action = Some(ApplicationsAction::LoadGroups(selected.clone()));
                }
            }
            Loadable::Loaded(groups) if groups.is_empty() => {
                ui.label(
                    RichText::new(
                        "No deployment groups yet. The Setup page will create one over tagged instances.",
                    )
                    .weak(),
                );
            }
            Loadable::Loaded(groups) => {
                groups_table_ui(ui, groups);
                egui::ScrollArea::vertical()
                    .id_salt("groups_details")
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        watches_ui(ui, groups);
                        if self.has_live_section() && self.live.ui(ui) {
                            action = self.read_live(false);
                        }
                    });
            }
        }
        action
    }

    fn confirm_delete_ui(&mut self, ui: &mut egui::Ui) -> Option<ApplicationsAction> {
        let name = self.confirm_delete.clone()?;
        let group_count = match (
            &self.groups,
            self.selected.as_deref() == Some(name.as_str()),
        ) {
            (Loadable::Loaded(groups), true) => Some(groups.len()),
            _ => None,
        };
        let mut action = None;
        let modal = Dialog::new("confirm_delete_application").show(ui.ctx(), |ui| {
            ui.heading("Delete application?");
            let groups = match group_count {
                Some(0) => String::new(),
                Some(1) => " and its deployment group".to_owned(),
                Some(count) => format!(" and its {count} deployment groups"),
                None => " and all its deployment groups".to_owned(),
            };
            ui.label(format!(
                "This deletes the application \"{name}\"{groups} from the account. Deployments that ran keep their history. This cannot be undone."
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.add(Action::danger("Delete")).clicked() {
                    action = Some(ApplicationsAction::Delete(name.clone()));
                    self.deleting = Some(name.clone());
                    self.confirm_delete = None;
                }
                if ui.add(Action::secondary("Cancel")).clicked() {
                    self.confirm_delete = None;
                }
            });
        });
        if modal.should_close {
            self.confirm_delete = None;
        }
        action
    }
}

/// The deployment groups as a table, short columns first, each resizable,
/// long texts cut short with the full text on hover.
fn groups_table_ui(ui: &mut egui::Ui, groups: &[DeploymentGroup]) {
    use egui_extras::TableBuilder;
    // Scroll bars take their own room rather than float over the last row.
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    let row_height = (ui.text_style_height(&egui::TextStyle::Body) + 10.0).max(24.0);
    let width = ui.available_width();
    egui::ScrollArea::horizontal()
        .id_salt("groups_columns")
        .show(ui, |ui| {
            let table = TableBuilder::new(ui)
                .id_salt(columns::table_id("groups_table", width))
                .striped(true)
                .resizable(true)
                .auto_shrink([false, true])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
            // Group, Configuration, Style and Last deployment; Targets
            // takes the rest.
            let shares = [
                Share {
                    fraction: 0.17,
                    minimum: 80.0,
                },
                Share {
                    fraction: 0.22,
                    minimum: 90.0,
                },
                Share {
                    fraction: 0.12,
                    minimum: 60.0,
                },
                Share {
                    fraction: 0.2,
                    minimum: 100.0,
                },
            ];
            columns::fitted(table, &shares, 80.0, width)
                .header(row_height, |mut header| {
                    for title in [
                        "Group",
                        "Configuration",
                        "Style",
                        "Last deployment",
                        "Targets",
                    ] {
                        header.col(|ui| {
                            ui.strong(title);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, groups.len(), |mut row| {
                        let group = &groups[row.index()];
                        row.col(|ui| {
                            truncated_ui(ui, &group.name);
                        });
                        row.col(|ui| {
                            truncated_ui(ui, &group.deployment_config);
                        });
                        row.col(|ui| {
                            truncated_ui(ui, &group.deployment_style);
                        });
                        row.col(|ui| match &group.last_attempted {
                            Some(last) => {
                                let when = last
                                    .ended
                                    .or(last.created)
                                    .map(|at| time::ago_live(ui.ctx(), at))
                                    .unwrap_or_default();
                                truncated_ui(
                                    ui,
                                    &format!("{} {when}", status_text_word(&last.status)),
                                )
                                .on_hover_text(format!(
                                    "{} · CodeDeploy's status: {}",
                                    last.deployment_id, last.status
                                ));
                            }
                            None => {
                                ui.label(RichText::new("never deployed").weak());
                            }
                        });
                        row.col(|ui| {
                            if group.targets.is_empty() {
                                ui.label(RichText::new("no targets").weak());
                            } else {
                                truncated_ui(ui, &group.targets.join("; "));
                            }
                        });
                    });
                });
        });
}

/// What the groups watch and whom they tell: each group's alarms with
/// their state now (one in `ALARM` stands out: a deployment would stop at
/// once) and its notification triggers. Nothing for groups without either.
fn watches_ui(ui: &mut egui::Ui, groups: &[DeploymentGroup]) {
    for group in groups {
        if group.alarms.is_empty() && group.triggers.is_empty() {
            continue;
        }
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            ui.strong(&group.name);
            if !group.alarms.is_empty() {
                ui.label("alarms:");
                for alarm in &group.alarms {
                    let (word, color) = match (alarm.state, &group.alarms_unread) {
                        (Some(AlarmStateValue::Alarm), _) => {
                            ("in ALARM", ui.visuals().error_fg_color)
                        }
                        (Some(AlarmStateValue::Ok), _) => ("OK", ui.visuals().weak_text_color()),
                        (Some(AlarmStateValue::InsufficientData), _) => {
                            ("not enough data", ui.visuals().weak_text_color())
                        }
                        (None, Some(_)) => ("state unknown", ui.visuals().warn_fg_color),
                        (None, None) => ("no such alarm", ui.visuals().warn_fg_color),
                    };
                    let response = ui.label(
                        RichText::new(format!("{} ({word})", alarm.name)).color(color),
                    );
                    let hover = match (&alarm.reason, &group.alarms_unread) {
                        (_, Some(error)) => format!("CloudWatch could not be asked: {error}"),
                        (Some(reason), None) => reason.clone(),
                        (None, None) => "CloudWatch has no alarm of this name: a deployment of this group stops at once unless the group ignores alarms it cannot read.".to_owned(),
                    };
                    response.on_hover_text(hover);
                }
            }
            if !group.triggers.is_empty() {
                ui.label("notifies:");
                ui.label(RichText::new(group.triggers.join("; ")).weak());
            }
        });
    }
}

/// A one-line label cut short to its cell, with the whole text on hover.
fn truncated_ui(ui: &mut egui::Ui, text: &str) -> egui::Response {
    ui.add(egui::Label::new(text).truncate())
}

/// A deployment status as CodeDeploy spells it (`InProgress`), in plain
/// words ("In progress").
fn status_text_word(status: &str) -> &str {
    match status {
        "InProgress" => "In progress",
        "Ready" => "Ready to reroute",
        "Baking" => "Rerouting",
        other => other,
    }
}
