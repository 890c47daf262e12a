//! The connection to the chosen backend as the app shows it: connecting,
//! connected (with the account it signs in as), or failed with a message
//! that says what to do. An expired SSO session or missing credentials are
//! checked again every few seconds, so that logging in again in a terminal
//! is picked up without a restart.

use std::sync::Arc;
use std::time::Duration;

use egui::RichText;

use crate::cloud::session::Identity;
use crate::cloud::{CloudError, Session};

/// How often a failure that a login in a terminal can fix is checked again.
pub const RECHECK_EVERY: Duration = Duration::from_secs(5);

/// The state of the connection to the backend.
pub enum Connection {
    /// The first check of the backend is running.
    Connecting,
    /// Connected; the identity is `None` for endpoints that do not tell.
    Ready(Arc<Session>, Option<Identity>),
    /// The backend could not be used.
    Failed(CloudError),
}

impl Connection {
    /// Whether the failure is one the user fixes outside the app (logging
    /// in again, or giving credentials), so it is worth checking again by
    /// itself.
    pub fn rechecks(&self) -> bool {
        matches!(
            self,
            Self::Failed(CloudError::SsoExpired { .. } | CloudError::Credentials { .. })
        )
    }
}

/// What the user asked of a failed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    /// Try to connect again now.
    Retry,
}

/// The account a session signs in as, for the top bar.
pub fn identity_ui(ui: &mut egui::Ui, identity: &Identity) {
    ui.label(RichText::new(format!("Account {}", identity.account)).weak())
        .on_hover_text(format!("Signed in as {}", identity.arn));
}

/// The failure in full, in place of a page that needs the backend.
pub fn failure_ui(ui: &mut egui::Ui, error: &CloudError) -> Option<FailureAction> {
    let mut action = None;
    match error {
        CloudError::SsoExpired { profile } => {
            ui.heading("Your SSO session has expired");
            ui.label(RichText::new(error.to_string()).color(ui.visuals().error_fg_color));
            ui.add_space(6.0);
            ui.label("Run this in a terminal, then sign in in the browser it opens:");
            let command = format!("aws sso login --profile {profile}");
            ui.horizontal(|ui| {
                ui.code(&command);
                if ui
                    .button("Copy")
                    .on_hover_text("Copy the command")
                    .clicked()
                {
                    ui.ctx().copy_text(command.clone());
                }
            });
            ui.add_space(6.0);
            ui.label(
                RichText::new(
                    "DeployDesk checks again every few seconds and carries on as soon as you have logged in; there is no need to restart it.",
                )
                .weak(),
            );
        }
        CloudError::Credentials { .. } => {
            ui.heading("Not signed in");
            ui.label(RichText::new(error.to_string()).color(ui.visuals().error_fg_color));
            ui.label(
                RichText::new(
                    "DeployDesk checks again every few seconds, so new credentials in the AWS config files or from a login are picked up by themselves.",
                )
                .weak(),
            );
        }
        _ => {
            ui.heading("Not connected");
            ui.label(RichText::new(error.to_string()).color(ui.visuals().error_fg_color));
        }
    }
    ui.add_space(6.0);
    if ui
        .button("Retry")
        .on_hover_text("Try to connect again now")
        .clicked()
    {
        action = Some(FailureAction::Retry);
    }
    action
}

/// A region entered in the region field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnteredRegion {
    /// The field was emptied: use the profile's own region.
    ProfileDefault,
    /// A region code that passed the check.
    Code(String),
}

impl EnteredRegion {
    /// The region for a backend: `None` for the profile's own.
    pub fn into_option(self) -> Option<String> {
        match self {
            Self::ProfileDefault => None,
            Self::Code(code) => Some(code),
        }
    }
}

/// The region field beside the account switcher. Returns the region to
/// switch to when one is entered and passes the check. A region that fails the check is
/// kept in the field with the reason beside it, and nothing is switched.
pub fn region_field_ui(
    ui: &mut egui::Ui,
    text: &mut String,
    error: &mut Option<String>,
) -> Option<EnteredRegion> {
    let label = ui.label("Region");
    let response = ui
        .add(
            egui::TextEdit::singleline(text)
                .desired_width(110.0)
                .hint_text("profile's"),
        )
        .labelled_by(label.id)
        .on_hover_text("An AWS region code such as eu-west-1; press Enter to switch. Empty uses the profile's region.");
    let mut entered =
        response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
    ui.menu_button("Regions", |ui| {
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .show(ui, |ui| {
                for known in crate::domain::regions::KNOWN_REGIONS {
                    if ui
                        .button(format!("{} — {}", known.code, known.location))
                        .clicked()
                    {
                        known.code.clone_into(text);
                        entered = true;
                        ui.close();
                    }
                }
            });
    })
    .response
    .on_hover_text("Choose from the AWS regions");
    if let Some(message) = error.as_deref() {
        ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
    }
    if !entered {
        return None;
    }
    if text.trim().is_empty() {
        *error = None;
        return Some(EnteredRegion::ProfileDefault);
    }
    match crate::domain::regions::check_region(text) {
        Ok(region) => {
            let region = region.to_owned();
            *error = None;
            Some(EnteredRegion::Code(region))
        }
        Err(refused) => {
            *error = Some(refused.to_string());
            None
        }
    }
}
