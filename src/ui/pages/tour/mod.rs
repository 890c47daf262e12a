//! The guided demo: a welcome panel offering "Show me a rollout", the
//! checklist while the demo account is set up, and then a short tour of the
//! rollout view, each step naming the page or wizard that does it by hand.

pub(crate) mod effects;

use egui::RichText;

use crate::cloud::demo::{DemoError, DemoStep};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::wizard::{self, ItemState};

/// The tour's explanations, in order: title and text.
const TOUR: [(&str, &str); 4] = [
    (
        "The waves",
        "CodeDeploy deploys to a few instances at a time: a wave. With CodeDeployDefault.HalfAtATime, at least half of the instances stay healthy, so each wave holds at most the other half. Group the grid by Wave to see them. The Rollout planner page shows the same waves for any fleet and configuration.",
    ),
    (
        "The failing instance",
        "One production instance was tagged deploydesk:simulate=fail:AfterInstall, so its AfterInstall script fails. Its tile turns red and carries a mark. Click it, or move to it with the arrow keys, to open its lifecycle events. Setup > Tag instances adds and removes such tags in bulk.",
    ),
    (
        "Its log tail",
        "The failed event shows the error code, the script (scripts/after_install.sh from the bundle's appspec.yml) and the script's log tail, which you can select and copy. The Revisions page lints an AppSpec before it is uploaded.",
    ),
    (
        "The health rules",
        "A deployment never takes the fleet below its minimum healthy hosts and needs at least one success. Instances are deployed in order of health: unhealthy first, then unknown, old and current revision. The header explains the outcome with the numbers behind it; the Deploy dialog predicts it before you start.",
    ),
];

/// What the tour asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TourAction {
    /// Set the demo account up and start a deployment.
    ShowMeARollout,
    /// The person is done with the tour (taken, skipped or dismissed).
    Done,
}

/// Where the guided demo stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tour {
    /// The welcome panel.
    #[default]
    Welcome,
    /// Setting the demo up; the step running now.
    SettingUp(Option<DemoStep>),
    /// Setting up failed.
    Failed(String),
    /// Explaining the rollout view, on step `0`.
    Explaining(usize),
}

impl Tour {
    /// A step of the setup started.
    pub fn started(&mut self, step: DemoStep) {
        *self = Self::SettingUp(Some(step));
    }

    /// The setup finished: the tour starts, or says what went wrong.
    pub fn finished(&mut self, result: &Result<String, DemoError>) {
        *self = match result {
            Ok(_) => Self::Explaining(0),
            Err(error) => Self::Failed(error.to_string()),
        };
    }

    /// Draws the panel. Returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<TourAction> {
        let mut action = None;
        match self.clone() {
            Self::Welcome => {
                ui.heading("Welcome to DeployDesk");
                ui.label("This is the demo account: a local cloud inside DeployDesk with ten EC2 instances and no AWS account needed.");
                ui.label("In one click DeployDesk sets it up the way the Setup wizards would, uploads the sample application and starts a deployment with one instance that fails, then shows you around.");
                ui.add_space(8.0);
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .add(Action::primary("Show me a rollout").icon(icons::ICON_PLAY_ARROW))
                        .clicked()
                    {
                        *self = Self::SettingUp(None);
                        action = Some(TourAction::ShowMeARollout);
                    }
                    if ui.add(Action::secondary("Not now")).clicked() {
                        action = Some(TourAction::Done);
                    }
                });
            }
            Self::SettingUp(current) => {
                ui.heading("Setting up the demo");
                let items: Vec<(String, ItemState)> = DemoStep::ALL
                    .iter()
                    .map(|step| {
                        let state = match current {
                            Some(now) if *step < now => ItemState::Created,
                            Some(now) if *step == now => ItemState::Running,
                            _ => ItemState::Pending,
                        };
                        (step.label().to_owned(), state)
                    })
                    .collect();
                wizard::checklist_ui(ui, &items);
            }
            Self::Failed(error) => {
                ui.heading("The demo could not be set up");
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                ui.horizontal(|ui| {
                    if ui.button("Try again").clicked() {
                        *self = Self::SettingUp(None);
                        action = Some(TourAction::ShowMeARollout);
                    }
                    if ui.button("Close the tour").clicked() {
                        action = Some(TourAction::Done);
                    }
                });
            }
            Self::Explaining(step) => {
                let (title, text) = TOUR[step.min(TOUR.len() - 1)];
                ui.label(RichText::new(format!("Tour {} of {}", step + 1, TOUR.len())).weak());
                ui.heading(title);
                ui.label(text);
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(step > 0, egui::Button::new("Previous"))
                        .clicked()
                    {
                        *self = Self::Explaining(step - 1);
                    }
                    if step + 1 < TOUR.len() {
                        if ui.button("Next").clicked() {
                            *self = Self::Explaining(step + 1);
                        }
                        if ui.button("Skip the tour").clicked() {
                            action = Some(TourAction::Done);
                        }
                    } else if ui.button("Finish the tour").clicked() {
                        action = Some(TourAction::Done);
                    }
                });
            }
        }
        action
    }
}
