//! The shell around the pages: the top bar with the account switcher, the
//! navigation, the notice bar, the guided demo's panel, the dialogs (the
//! Deploy dialog, the reset confirmation) and the page on screen.

use egui::{Panel, RichText};

use crate::cloud::CloudError;
use crate::settings::{BackendChoice, Page};
use crate::ui::appearance;
use crate::ui::connection::{self, Connection, FailureAction};
use crate::ui::pages::tour::TourPlace;
use crate::ui::shortcuts::{self, Command};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::chip;
use crate::ui::widgets::dialog::Dialog;

use super::logic::PageAction;
use super::{App, DeployDialog, Event};

/// The About window's links: what they are and where they go.
const ABOUT_LINKS: &[(&str, &str)] = &[
    (
        "AWS CodeDeploy user guide",
        "https://docs.aws.amazon.com/codedeploy/latest/userguide/welcome.html",
    ),
    (
        "AppSpec file reference",
        "https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html",
    ),
    ("The MIT licence", "https://opensource.org/license/mit"),
    (
        "The Apache License 2.0",
        "https://www.apache.org/licenses/LICENSE-2.0",
    ),
];

/// Below this width the top bar folds the theme switch into a menu.
const COMPACT_TOP_BAR: f32 = 720.0;
/// Below this width the guided demo is a strip along the bottom rather than
/// a panel on the right, so the page and its instance panel keep the width.
const TOUR_BESIDE_MIN_WIDTH: f32 = 1200.0;
/// The width of the guided demo's panel on the right.
const TOUR_PANEL_WIDTH: f32 = 320.0;

impl App {
    /// Whether the guided demo's panel is shown: in the demo account, until
    /// the tour is done.
    fn shows_tour(&self) -> bool {
        self.backend == BackendChoice::Demo
            && self.local_cloud.is_some()
            && !self.settings.tour_done
    }

    /// The Deploy dialog as the page on screen would have it: from a
    /// deployment's rollout view, set to deploy that deployment's
    /// application, group and revision again; from the Deployments list
    /// narrowed to an application (and group), set to those; otherwise
    /// blank.
    pub(super) fn deploy_dialog_here(&self) -> DeployDialog {
        if self.settings.last_page == Page::Deployments {
            if let Some(view) = self.deployments.rollout() {
                if let Some(deployment) = view.deployment() {
                    return DeployDialog::for_deployment(
                        &deployment.application,
                        &deployment.group,
                        deployment.revision.clone(),
                    );
                }
            } else {
                let filter = self.deployments.filter();
                if let Some(application) = filter.application {
                    return DeployDialog::for_deployment(
                        &application,
                        filter.group.as_deref().unwrap_or_default(),
                        None,
                    );
                }
            }
        }
        DeployDialog::new(None, None)
    }

    fn deploy_ui(&mut self, ctx: &egui::Context) {
        // A dialog set aside for a wizard comes back once the wizard is
        // closed, and checks its instances again.
        if self.parked_deploy.is_some()
            && (!self.setup.wizard_open() || self.settings.last_page != Page::Setup)
        {
            self.deploy = self.parked_deploy.take();
            if let Some(dialog) = &mut self.deploy {
                dialog.check_again();
            }
        }
        let Some(dialog) = &mut self.deploy else {
            return;
        };
        let shown = Dialog::new("deploy")
            .width(640.0)
            .show(ctx, |ui| dialog.ui(ui));
        let (request, close) = shown.inner;
        if close || shown.should_close {
            self.deploy = None;
            return;
        }
        if let Some(request) = request {
            self.run_action(PageAction::Deploy(request));
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        // The menus and the theme switch are laid out first, from the right,
        // so they always keep their room; the account's part wraps into
        // what is left instead of running under them.
        let full = ui.available_rect_before_wrap();
        let row_height = ui
            .text_style_height(&egui::TextStyle::Heading)
            .max(ui.spacing().interact_size.y);
        let row = egui::Rect::from_min_size(full.min, egui::vec2(full.width(), row_height));
        let compact = full.width() < COMPACT_TOP_BAR;
        let mut right = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(row)
                .layout(egui::Layout::right_to_left(egui::Align::Center)),
        );
        if compact {
            appearance::theme_menu_ui(&mut right, &mut self.settings.theme);
        } else {
            appearance::theme_ui(&mut right, &mut self.settings.theme);
        }
        self.help_menu_ui(&mut right);
        self.settings_menu_ui(&mut right);
        right.separator();
        let used = right.min_rect();
        let left_rect = egui::Rect::from_min_max(
            row.min,
            egui::pos2(
                (used.left() - ui.spacing().item_spacing.x).max(row.left()),
                row.bottom(),
            ),
        );
        let mut left = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(left_rect)
                .layout(egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true)),
        );
        self.account_bar_ui(&mut left);
        ui.advance_cursor_after_rect(used.union(left.min_rect()));
    }

    /// The left of the top bar: the name, the account and its state.
    fn account_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading(RichText::new("DeployDesk").strong());
        ui.separator();
        chip::backend_ui(ui, &self.backend);
        self.backend_switcher_ui(ui);
        match &self.connection {
            Connection::Connecting => {
                ui.spinner();
                ui.label("Connecting…");
            }
            Connection::Ready(_, Some(identity)) => connection::identity_ui(ui, identity),
            Connection::Ready(_, None) => {}
            Connection::Failed(error) => {
                ui.label(RichText::new("Not connected").color(ui.visuals().error_fg_color))
                    .on_hover_text(error.to_string());
                if ui.button("Reconnect").clicked() {
                    self.connect();
                }
            }
        }
    }

    fn settings_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Settings", |ui| {
            self.text_scale_ui(ui);
            ui.checkbox(
                &mut self.settings.notify_on_finish,
                "Notify me when a deployment I watch ends",
            );
            if crate::ui::logs_folder::menu_item_ui(ui) {
                let open = crate::ui::logs_folder::open();
                self.jobs.spawner().spawn("opening the logs folder", async {
                    Event::LogsFolderOpened(open.await)
                });
            }
        });
    }

    fn backend_switcher_ui(&mut self, ui: &mut egui::Ui) {
        let mut chosen = None;
        ui.menu_button("Switch account", |ui| {
                if ui
                    .selectable_label(self.backend == BackendChoice::Demo, "Demo — local cloud")
                    .clicked()
                {
                    chosen = Some(BackendChoice::Demo);
                }
                if self.profiles.is_empty() {
                    ui.label(RichText::new("No AWS profiles found in the AWS config files.").weak());
                }
                for profile in &self.profiles {
                    let selected = matches!(&self.backend, BackendChoice::Profile { profile: name, .. } if *name == profile.name);
                    let label = match (&profile.region, profile.uses_sso) {
                        (Some(region), true) => format!("{} ({region}, SSO)", profile.name),
                        (Some(region), false) => format!("{} ({region})", profile.name),
                        (None, true) => format!("{} (SSO)", profile.name),
                        (None, false) => profile.name.clone(),
                    };
                    if ui.selectable_label(selected, label).clicked() {
                        chosen = Some(BackendChoice::Profile {
                            profile: profile.name.clone(),
                            region: profile.region.clone(),
                        });
                    }
                }
            });
        if let Some(backend) = chosen
            && backend != self.backend
        {
            self.switch_backend(backend);
        }
        match self.backend.clone() {
            BackendChoice::Demo => {
                if self.local_cloud.is_some() && ui.button("Reset demo account…").clicked() {
                    self.confirm_reset = true;
                }
            }
            BackendChoice::Profile { .. } | BackendChoice::Endpoint { .. } => {
                if let Some(region) =
                    connection::region_field_ui(ui, &mut self.region_text, &mut self.region_error)
                {
                    let mut backend = self.backend.clone();
                    match &mut backend {
                        BackendChoice::Profile { region: slot, .. }
                        | BackendChoice::Endpoint { region: slot, .. } => {
                            *slot = region.into_option();
                        }
                        BackendChoice::Demo => {}
                    }
                    self.switch_backend(backend);
                }
            }
        }
    }

    fn confirm_reset_ui(&mut self, ctx: &egui::Context) {
        if !self.confirm_reset {
            return;
        }
        let shown = Dialog::new("confirm_reset_demo").show(ctx, |ui| {
            ui.heading("Reset the demo account?");
            ui.label(
                "Everything in the demo account — applications, deployment groups, revisions — is thrown away and it starts afresh. Your AWS accounts are not touched.",
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui
                    .add(Action::danger("Reset").icon(icons::ICON_RESTART_ALT))
                    .clicked()
                {
                    self.confirm_reset = false;
                    if let Some(host) = self.local_cloud.clone() {
                        self.connection = Connection::Connecting;
                        self.jobs
                            .spawner()
                            .spawn_or_else(
                                "resetting the demo account",
                                async move { Event::DemoReset(host.reset().await) },
                                |panic| Event::DemoReset(Err(CloudError::Other(panic.to_string()))),
                            );
                    }
                }
                if ui.add(Action::secondary("Cancel")).clicked() {
                    self.confirm_reset = false;
                }
            });
        });
        if shown.should_close {
            self.confirm_reset = false;
        }
    }

    /// The About window: what DeployDesk is, its version and licence, and
    /// where to read more.
    fn about_ui(&mut self, ctx: &egui::Context) {
        if !self.about_open {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("about_deploydesk")).show(ctx, |ui| {
            ui.set_max_width(440.0);
            ui.heading("About DeployDesk");
            ui.label(RichText::new(format!("Version {}", env!("CARGO_PKG_VERSION"))).strong());
            ui.label(env!("CARGO_PKG_DESCRIPTION"));
            ui.add_space(6.0);
            ui.label(
                "Free software: you may use, change and share it under the MIT licence or the Apache License 2.0, as you prefer.",
            )
            .on_hover_text(format!("Licence: {}", env!("CARGO_PKG_LICENSE")));
            ui.add_space(6.0);
            ui.strong("Read more");
            for (text, url) in ABOUT_LINKS {
                ui.hyperlink_to(*text, *url).on_hover_text(*url);
            }
            if let Some(dir) = crate::logging::log_dir() {
                ui.add_space(6.0);
                ui.label(RichText::new(format!("Log files: {}", dir.display())).weak());
            }
            ui.add_space(8.0);
            if ui.add(Action::secondary("Close")).clicked() {
                self.about_open = false;
            }
        });
        if modal.should_close() {
            self.about_open = false;
        }
    }

    fn navigation_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(8.0);
        for page in Page::ALL {
            let selected = self.settings.last_page == page;
            let mut response = ui.add_sized(
                [ui.available_width(), 28.0],
                egui::Button::selectable(selected, page.title()),
            );
            if let Some(keys) = shortcuts::keys_text(ui.ctx(), Command::ShowPage(page)) {
                response = response.on_hover_text(keys);
            }
            if response.clicked() {
                self.settings.last_page = page;
            }
        }
    }

    fn notice_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismissed = false;
        if let Some(notice) = &self.notice {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new("Notice")
                        .strong()
                        .color(ui.visuals().warn_fg_color),
                );
                ui.label(notice);
                if ui.button("Dismiss").clicked() {
                    dismissed = true;
                }
            });
        }
        if dismissed {
            self.notice = None;
        }
        if let Some(failure) = &self.logs_failure
            && crate::ui::logs_folder::failure_ui(ui, failure)
        {
            self.logs_failure = None;
        }
    }

    fn page_ui(&mut self, ui: &mut egui::Ui) {
        match self.settings.last_page {
            Page::RolloutPlanner => self.planner.ui(ui),
            Page::Applications => {
                if !self.connection_ui(ui)
                    && let Some(action) = self.applications.ui(ui)
                {
                    self.run_action(PageAction::Applications(action));
                }
            }
            Page::Deployments => {
                if !self.connection_ui(ui)
                    && let Some(action) = self.deployments.ui(ui)
                {
                    self.run_action(PageAction::Deployments(action));
                }
            }
            Page::Setup => {
                if !self.connection_ui(ui) {
                    let region = self
                        .session()
                        .map_or_else(String::new, |session| session.region().to_owned());
                    if let Some(action) = self.setup.ui(ui, &region) {
                        self.run_action(PageAction::Setup(action));
                    }
                }
            }
            Page::Revisions => {
                let local = self.backend == BackendChoice::Demo && self.local_cloud.is_some();
                self.revisions.set_local_instance(local);
                if !self.connection_ui(ui)
                    && let Some(action) = self.revisions.ui(ui)
                {
                    self.run_action(PageAction::Revisions(action));
                }
            }
        }
    }

    /// Shows the connection state instead of a page that needs the backend.
    /// Returns whether it did.
    fn connection_ui(&mut self, ui: &mut egui::Ui) -> bool {
        match &self.connection {
            Connection::Ready(..) => false,
            Connection::Connecting => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Connecting to {}…", self.backend.label()));
                });
                true
            }
            Connection::Failed(error) => {
                if connection::failure_ui(ui, error) == Some(FailureAction::Retry) {
                    self.connect();
                }
                true
            }
        }
    }

    /// Draws the window: the shell and the page on screen.
    pub(super) fn shell_ui(&mut self, ui: &mut egui::Ui) {
        self.shortcuts(ui.ctx());
        Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        if self.notice.is_some() || self.logs_failure.is_some() {
            Panel::bottom("notice_bar").show(ui, |ui| self.notice_ui(ui));
        }
        let shows_tour = self.shows_tour();
        if shows_tour {
            let mut action = None;
            if ui.available_width() >= TOUR_BESIDE_MIN_WIDTH {
                Panel::right("guided_demo")
                    .resizable(false)
                    .exact_size(TOUR_PANEL_WIDTH)
                    .show(ui, |ui| action = self.tour.ui(ui, TourPlace::Side));
            } else {
                Panel::bottom("guided_demo_strip")
                    .resizable(false)
                    .exact_size(self.tour.strip_height())
                    .show(ui, |ui| action = self.tour.ui(ui, TourPlace::Strip));
            }
            if let Some(action) = action {
                self.run_action(PageAction::Tour(action));
            }
        }
        Panel::left("navigation")
            .resizable(false)
            .exact_size(180.0)
            .show(ui, |ui| self.navigation_ui(ui));
        egui::CentralPanel::default_margins().show(ui, |ui| self.page_ui(ui));
        let ctx = ui.ctx().clone();
        if shows_tour {
            // After the page, which marked where its parts are this frame.
            self.tour.spotlight(&ctx);
        }
        self.about_ui(&ctx);
        self.confirm_reset_ui(&ctx);
        self.deploy_ui(&ctx);
        shortcuts::help_overlay_ui(&ctx, &mut self.help_open);
        appearance::apply(&ctx, &self.settings);
    }
}
