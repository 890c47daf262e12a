//! The app's keyboard shortcuts and text size control: what each
//! [`Command`] does to the app.

use super::logic::PageAction;
use super::{App, ApplicationsAction, DeploymentsAction, Page};
use crate::settings::{BackendChoice, Settings};
use crate::ui::appearance;
use crate::ui::pages::tour::Tour;
use crate::ui::shortcuts::{self, Command};

impl App {
    /// Handles the shortcuts pressed since the last frame. Runs before
    /// anything is drawn, so a shortcut's key does not also reach a widget.
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        let modal_open = ctx.memory(egui::Memory::top_modal_layer).is_some()
            || self.help_open
            || self.deploy.is_some()
            || self.confirm_reset;
        let popup_open = egui::Popup::is_any_open(ctx);
        let commands = shortcuts::take_pressed(ctx, |command| match command {
            // Behind a dialog the page does not change under the person.
            Command::ShowPage(_) | Command::Refresh | Command::Deploy => {
                !modal_open && self.command_available(command)
            }
            Command::ToggleHelp | Command::ZoomIn | Command::ZoomOut | Command::ZoomReset => true,
            // The help first; a dialog's open list (a combo box) closes
            // before the dialog does.
            Command::CloseOverlay => {
                self.help_open || (!popup_open && (self.deploy.is_some() || self.confirm_reset))
            }
        });
        for command in commands {
            self.run_command(command);
        }
    }

    /// Whether `command` does something right now.
    fn command_available(&self, command: Command) -> bool {
        let connected = self.session().is_some();
        match command {
            Command::Refresh => {
                connected
                    && matches!(
                        self.settings.last_page,
                        Page::Applications | Page::Deployments | Page::Revisions
                    )
            }
            Command::Deploy => connected,
            Command::ShowPage(_)
            | Command::ToggleHelp
            | Command::CloseOverlay
            | Command::ZoomIn
            | Command::ZoomOut
            | Command::ZoomReset => true,
        }
    }

    /// Does what a shortcut asks.
    pub(super) fn run_command(&mut self, command: Command) {
        match command {
            Command::ShowPage(page) => self.settings.last_page = page,
            Command::Refresh => self.refresh_page(),
            Command::Deploy => {
                if self.deploy.is_none() {
                    self.deploy = Some(self.deploy_dialog_here());
                }
            }
            Command::ToggleHelp => self.help_open = !self.help_open,
            Command::CloseOverlay => {
                if self.help_open {
                    self.help_open = false;
                } else if self.deploy.is_some() {
                    self.deploy = None;
                } else {
                    self.confirm_reset = false;
                }
            }
            Command::ZoomIn => {
                self.settings.text_scale = appearance::step_text_scale(self.settings.text_scale, 1);
            }
            Command::ZoomOut => {
                self.settings.text_scale =
                    appearance::step_text_scale(self.settings.text_scale, -1);
            }
            Command::ZoomReset => self.settings.text_scale = 1.0,
        }
    }

    /// Loads the current page's lists again, as its Refresh button does.
    fn refresh_page(&mut self) {
        match self.settings.last_page {
            Page::Applications => {
                self.run_action(PageAction::Applications(ApplicationsAction::Refresh));
            }
            Page::Deployments => {
                if self.deployments.rollout().is_none() {
                    let filter = self.deployments.filter();
                    self.run_action(PageAction::Deployments(DeploymentsAction::Refresh(filter)));
                }
            }
            Page::Revisions => {
                let action = self.revisions.refresh();
                self.run_action(PageAction::Revisions(action));
            }
            Page::Setup | Page::RolloutPlanner => {}
        }
    }

    /// The Help menu of the top bar.
    pub(super) fn help_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Help", |ui| {
            let mut item = ui.button("Keyboard shortcuts…");
            if let Some(keys) = shortcuts::keys_text(ui.ctx(), Command::ToggleHelp) {
                item = item.on_hover_text(keys);
            }
            if item.clicked() {
                self.help_open = true;
            }
            let replay = ui
                .add_enabled(
                    self.local_cloud.is_some(),
                    egui::Button::new("Replay the tour"),
                )
                .on_hover_text("Show the guided demo again, in the demo account")
                .on_disabled_hover_text("This build has no demo account to show the tour in.");
            if replay.clicked() {
                self.replay_tour();
            }
            ui.separator();
            if ui.button("About DeployDesk").clicked() {
                self.about_open = true;
            }
        });
    }

    /// Offers the guided demo again from its welcome, in the demo account.
    pub(super) fn replay_tour(&mut self) {
        self.settings.tour_done = false;
        self.tour = Tour::default();
        if self.backend != BackendChoice::Demo {
            self.switch_backend(BackendChoice::Demo);
        }
    }

    /// The text size row of the Settings menu.
    pub(super) fn text_scale_ui(&mut self, ui: &mut egui::Ui) {
        let keys = [Command::ZoomOut, Command::ZoomReset, Command::ZoomIn]
            .map(|command| shortcuts::keys_text(ui.ctx(), command));
        appearance::text_scale_ui(ui, &mut self.settings.text_scale, keys);
        self.settings.text_scale = Settings::usable_text_scale(self.settings.text_scale);
    }
}
