//! The root of the app: its state, the shell (top bar and navigation) and
//! the per-frame logic.

use std::path::PathBuf;

use egui::{Panel, RichText};

use crate::settings::{self, BackendChoice, Page, Settings, SettingsStore};

use super::pages::{PlannerPage, placeholder};
use super::widgets::chip;

/// How to start the app.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Where settings are loaded from and saved to; `None` keeps nothing.
    pub settings_path: Option<PathBuf>,
    /// A backend given on the command line, which wins over the saved one.
    pub backend_override: Option<BackendChoice>,
}

impl AppOptions {
    /// The options for a normal run: settings in the platform's config directory.
    pub fn from_platform(backend_override: Option<BackendChoice>) -> Self {
        Self {
            settings_path: settings::default_config_dir()
                .map(|dir| dir.join(settings::SETTINGS_FILE)),
            backend_override,
        }
    }
}

/// The DeployDesk app.
pub struct App {
    settings: Settings,
    store: SettingsStore,
    backend: BackendChoice,
    notice: Option<String>,
    planner: PlannerPage,
}

impl App {
    /// Builds the app, loading settings (which may produce a notice to show).
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let (settings, notice) = match &options.settings_path {
            Some(path) => settings::load(path),
            None => (Settings::default(), None),
        };
        Self::with_settings(cc, settings, notice, options)
    }

    /// Builds the app from settings already loaded (the binary loads them
    /// before the window opens, to size it).
    pub fn with_settings(
        cc: &eframe::CreationContext<'_>,
        settings: Settings,
        notice: Option<String>,
        options: AppOptions,
    ) -> Self {
        if let Some(notice) = &notice {
            tracing::warn!("{notice}");
        }
        cc.egui_ctx.options_mut(|options| {
            options.theme_preference = egui::ThemePreference::System;
        });
        let backend = options
            .backend_override
            .clone()
            .unwrap_or_else(|| settings.backend.clone());
        Self {
            store: SettingsStore::new(options.settings_path),
            backend,
            notice,
            planner: PlannerPage::default(),
            settings,
        }
    }

    /// The page on screen.
    pub fn page(&self) -> Page {
        self.settings.last_page
    }

    /// The backend the app is talking to.
    pub fn backend(&self) -> &BackendChoice {
        &self.backend
    }

    /// The notice shown at the bottom of the window, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    fn top_bar_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading(RichText::new("DeployDesk").strong());
            ui.separator();
            chip::backend_ui(ui, &self.backend);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                theme_ui(ui);
            });
        });
    }

    fn navigation_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(8.0);
        for page in Page::ALL {
            let selected = self.settings.last_page == page;
            let response = ui.add_sized(
                [ui.available_width(), 28.0],
                egui::Button::selectable(selected, page.title()),
            );
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
    }

    fn page_ui(&mut self, ui: &mut egui::Ui) {
        match self.settings.last_page {
            Page::RolloutPlanner => self.planner.ui(ui),
            other => placeholder::ui(ui, other),
        }
    }
}

/// Light, dark or the system's theme, as three small buttons.
fn theme_ui(ui: &mut egui::Ui) {
    let mut preference = ui.ctx().options(|options| options.theme_preference);
    let before = preference;
    // Right-to-left layout: the last added is leftmost.
    for (value, label) in [
        (egui::ThemePreference::Dark, "Dark"),
        (egui::ThemePreference::Light, "Light"),
        (egui::ThemePreference::System, "System"),
    ] {
        ui.selectable_value(&mut preference, value, label)
            .on_hover_text("Colour theme");
    }
    if preference != before {
        ui.ctx().set_theme(preference);
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Remember the window size; the store writes on its own thread.
        if let Some(rect) = ctx.input(|input| input.viewport().inner_rect) {
            let size = [rect.width().round(), rect.height().round()];
            if size[0] > 0.0 && size[1] > 0.0 {
                self.settings.window_size = size;
            }
        }
        self.settings.backend = self.backend.clone();
        self.store.save(&self.settings);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        if self.notice.is_some() {
            Panel::bottom("notice_bar").show(ui, |ui| self.notice_ui(ui));
        }
        Panel::left("navigation")
            .resizable(false)
            .exact_size(180.0)
            .show(ui, |ui| self.navigation_ui(ui));
        egui::CentralPanel::default_margins().show(ui, |ui| self.page_ui(ui));
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.store.save(&self.settings);
        self.store.flush();
    }
}
