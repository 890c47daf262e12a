//! The guided demo: a welcome panel offering "Show me a rollout" (and
//! "Show me a canary", a Lambda deployment whose traffic moves), the
//! checklist while the demo account is set up, and then a short tour of the
//! rollout view, each step naming the page or wizard that does it by hand.
//!
//! The tour points at what each step talks about: the widgets of the
//! rollout view mark where they are drawn (see
//! [`crate::ui::widgets::spotlight`]) and the shell frames the spots of the
//! step on screen. The demo's rollout is paced to the tour: it runs slowly
//! while the first step, about the waves, is open, and at full speed once
//! the person moves on (see [`crate::cloud::demo::end_pacing`]).
//!
//! The card's buttons keep their size and place from step to step, so that
//! clicking Next again and again walks the tour. In a wide window the card
//! is a panel on the right; in a narrow one it is a strip along the bottom,
//! which folds to one line, so that the page and the instance panel keep
//! the width.

pub(crate) mod effects;

use egui::{Align, Layout, RichText};

use crate::cloud::demo::{DemoError, DemoStep};
use crate::cloud::demo_scenarios::{Scenario, ScenarioStep};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::spotlight::{self, Spot};
use crate::ui::widgets::wizard::{self, ItemState};

/// One step of the tour.
struct TourStep {
    /// Its title.
    title: &'static str,
    /// What it explains.
    text: &'static str,
    /// What it talks about, in order of preference: the first on screen is
    /// framed.
    spots: &'static [Spot],
}

/// The tour's explanations, in order.
const TOUR: [TourStep; 4] = [
    TourStep {
        title: "The waves",
        text: "CodeDeploy deploys to a few instances at a time: a wave. With CodeDeployDefault.HalfAtATime, at least half of the instances stay healthy, so each wave holds at most the other half. Choose By wave (framed) to see them. The Rollout planner page shows the same waves for any fleet and configuration.",
        spots: &[spotlight::WAVE_GROUPING, spotlight::TILE_GRID],
    },
    TourStep {
        title: "The failing instance",
        text: "One production instance was tagged deploydesk:simulate=fail:AfterInstall, so its AfterInstall script fails. Its tile turns red and carries a mark when its wave reaches it. Click it, or move to it with the arrow keys, to open its lifecycle events. Setup > Tag instances adds and removes such tags in bulk.",
        spots: &[spotlight::TILE_GRID, spotlight::INSTANCE_PANEL],
    },
    TourStep {
        title: "Its log tail",
        text: "The failed event shows the error code, the script (scripts/after_install.sh from the bundle's appspec.yml) and the script's log tail, which you can select and copy. Click the red tile if its panel is not open yet. The Revisions page lints an AppSpec before it is uploaded.",
        spots: &[spotlight::INSTANCE_PANEL, spotlight::TILE_GRID],
    },
    TourStep {
        title: "The health rules",
        text: "A deployment never takes the fleet below its minimum healthy hosts and needs at least one success. Instances are deployed in order of health: unhealthy first, then unknown, old and current revision. The header (framed) explains the outcome with the numbers behind it; the Deploy dialog predicts it before you start, counting instances without a CodeDeploy agent or an instance profile as failures.",
        spots: &[spotlight::ROLLOUT_HEADER],
    },
];

/// What the end of the tour says of trying a bundle on this machine.
const LOCAL_NOTE: &str = "On the Revisions page, Try on this machine deploys a registered bundle to a local instance: its hooks run for real on this computer, inside a sandbox that keeps them in the instance's folder, and the rollout view shows their real output. From a terminal, deploydesk run-local does the same with a folder or an archive.";

/// What the end of the tour says about readiness, and where to see it.
const READINESS_NOTE: &str = "Not every instance of the demo fleet is ready for a deployment: in staging, demo-004 has no CodeDeploy agent and demo-005 no instance profile. Select them in Setup > Tag instances to see what each lacks and fix it in a click; the Deploy dialog checks a group's instances the same way before you start.";

/// The width of each of the card's buttons, the same on every step.
const BUTTON_WIDTH: f32 = 92.0;
/// The height of the card's buttons.
const BUTTON_HEIGHT: f32 = 26.0;
/// The height of the text in the strip along the bottom.
const STRIP_TEXT_HEIGHT: f32 = 132.0;
/// The height of the folded strip: the buttons and the fold button.
const FOLDED_STRIP_HEIGHT: f32 = 70.0;
/// The height of the text in the panel on the right, in a tall window.
const SIDE_TEXT_HEIGHT: f32 = 330.0;

/// What the tour asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TourAction {
    /// Set the demo account up and start a deployment.
    ShowMeARollout,
    /// Run one of the scenarios offered after the tour.
    RunScenario(Scenario),
    /// The person moved past the step the demo's rollout is paced for: let
    /// it run at full speed.
    EndPacing,
    /// The person is done with the tour (taken, skipped or dismissed).
    Done,
}

/// Where the tour's card is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TourPlace {
    /// A panel on the right of a wide window.
    Side,
    /// A strip along the bottom of a narrow window.
    Strip,
}

/// Where the guided demo stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Stage {
    /// The welcome panel.
    #[default]
    Welcome,
    /// Setting the demo up; the step running now.
    SettingUp(Option<DemoStep>),
    /// Setting up failed.
    Failed(String),
    /// Explaining the rollout view.
    Explaining {
        /// The step shown, from 0.
        step: usize,
        /// Whether the demo's rollout still runs slowly for the tour.
        paced: bool,
    },
    /// After the tour: the further scenarios on offer.
    Scenarios {
        /// The scenario running, and its step running now.
        running: Option<(Scenario, Option<ScenarioStep>)>,
        /// The last scenario run, and what came of it: the deployment it
        /// opened or why it could not be shown.
        last: Option<(Scenario, Result<String, String>)>,
    },
}

/// The guided demo.
#[derive(Debug, Clone, Default)]
pub struct Tour {
    stage: Stage,
    /// Whether the strip along the bottom is folded to one line.
    folded: bool,
    /// Why the demo's rollout could not be set to full speed.
    pacing_error: Option<String>,
}

impl Tour {
    /// Where the tour stands.
    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// A step of the setup started.
    pub fn started(&mut self, step: DemoStep) {
        self.stage = Stage::SettingUp(Some(step));
    }

    /// The setup finished: the tour starts, or says what went wrong.
    pub fn finished(&mut self, result: &Result<String, DemoError>) {
        self.stage = match result {
            Ok(_) => Stage::Explaining {
                step: 0,
                paced: true,
            },
            Err(error) => Stage::Failed(error.to_string()),
        };
        self.pacing_error = None;
    }

    /// A step of the scenario running started.
    pub fn scenario_started(&mut self, step: ScenarioStep) {
        if let Stage::Scenarios {
            running: Some((_, current)),
            ..
        } = &mut self.stage
        {
            *current = Some(step);
        }
    }

    /// The scenario running finished with the deployment to show, or
    /// failed.
    pub fn scenario_finished(&mut self, result: &Result<String, DemoError>) {
        if let Stage::Scenarios { running, last } = &mut self.stage
            && let Some((scenario, _)) = running.take()
        {
            *last = Some((scenario, result.clone().map_err(|error| error.to_string())));
        }
    }

    /// Whether the demo's rollout runs slowly for the tour.
    pub fn paced(&self) -> bool {
        matches!(self.stage, Stage::Explaining { paced: true, .. })
    }

    /// The rollout now runs at full speed; `result` says why not.
    pub fn pacing_ended(&mut self, result: Result<(), String>) {
        if let Stage::Explaining { paced, .. } = &mut self.stage {
            *paced = false;
        }
        self.pacing_error = result.err();
    }

    /// The height of the strip along the bottom of a narrow window: the
    /// same on every step, less when folded.
    pub fn strip_height(&self) -> f32 {
        if self.folded && matches!(self.stage, Stage::Explaining { .. }) {
            FOLDED_STRIP_HEIGHT
        } else {
            STRIP_TEXT_HEIGHT + 16.0
        }
    }

    /// Frames what the step on screen talks about, if it is on screen.
    pub fn spotlight(&self, ctx: &egui::Context) {
        if let Stage::Explaining { step, .. } = self.stage {
            spotlight::frame_spots(ctx, TOUR[step.min(TOUR.len() - 1)].spots);
        }
    }

    /// Draws the card. Returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, place: TourPlace) -> Option<TourAction> {
        match self.stage.clone() {
            Stage::Explaining { step, paced } => self.explaining_ui(ui, place, step, paced),
            Stage::Scenarios { running, last } => {
                let mut action = None;
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        action = Self::scenarios_ui(ui, place, running, last.as_ref());
                    });
                if let Some(TourAction::RunScenario(scenario)) = action {
                    self.stage = Stage::Scenarios {
                        running: Some((scenario, None)),
                        last: None,
                    };
                }
                action
            }
            stage if place == TourPlace::Strip => {
                let mut action = None;
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| action = self.setup_ui(ui, stage));
                action
            }
            stage => {
                let mut action = None;
                egui::ScrollArea::vertical().show(ui, |ui| action = self.setup_ui(ui, stage));
                action
            }
        }
    }

    /// The welcome, the setup's checklist or its failure.
    fn setup_ui(&mut self, ui: &mut egui::Ui, stage: Stage) -> Option<TourAction> {
        let mut action = None;
        match stage {
            Stage::Welcome => {
                ui.heading("Welcome to DeployDesk");
                ui.label("This is the demo account: a local cloud inside DeployDesk with ten EC2 instances, a Lambda function and an ECS service. No AWS account is needed.");
                ui.label("In one click DeployDesk sets it up the way the Setup wizards would, uploads the sample application and starts a deployment with one instance that fails, then shows you around.");
                ui.add_space(8.0);
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .add(Action::primary("Show me a rollout").icon(icons::ICON_PLAY_ARROW))
                        .clicked()
                    {
                        self.stage = Stage::SettingUp(None);
                        action = Some(TourAction::ShowMeARollout);
                    }
                    if ui
                        .add(
                            Action::secondary(Scenario::Canary.label())
                                .icon(icons::ICON_PLAY_ARROW),
                        )
                        .clicked()
                    {
                        self.stage = Stage::Scenarios {
                            running: Some((Scenario::Canary, None)),
                            last: None,
                        };
                        action = Some(TourAction::RunScenario(Scenario::Canary));
                    }
                    if ui.add(Action::secondary("Not now")).clicked() {
                        action = Some(TourAction::Done);
                    }
                });
                ui.add_space(4.0);
                ui.label(
                    RichText::new(format!("Show me a canary: {}", Scenario::Canary.summary()))
                        .weak(),
                );
            }
            Stage::SettingUp(current) => {
                ui.heading("Setting up the demo");
                let items: Vec<(String, ItemState)> = DemoStep::ALL
                    .iter()
                    .map(|step| {
                        let item_state = match current {
                            Some(now) if *step < now => ItemState::Created,
                            Some(now) if *step == now => ItemState::Running,
                            _ => ItemState::Pending,
                        };
                        (step.label().to_owned(), item_state)
                    })
                    .collect();
                wizard::checklist_ui(ui, &items);
            }
            Stage::Failed(error) => {
                ui.heading("The demo could not be set up");
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                ui.horizontal_wrapped(|ui| {
                    if ui.add(Action::primary("Try again")).clicked() {
                        self.stage = Stage::SettingUp(None);
                        action = Some(TourAction::ShowMeARollout);
                    }
                    if ui.add(Action::secondary("Close the tour")).clicked() {
                        action = Some(TourAction::Done);
                    }
                });
            }
            Stage::Explaining { .. } | Stage::Scenarios { .. } => {}
        }
        action
    }

    /// The scenarios offered after the tour, each a button with what it
    /// will do: one under the other in the panel on the right, side by side
    /// in the strip along the bottom.
    fn scenarios_ui(
        ui: &mut egui::Ui,
        place: TourPlace,
        running: Option<(Scenario, Option<ScenarioStep>)>,
        last: Option<&(Scenario, Result<String, String>)>,
    ) -> Option<TourAction> {
        let mut action = None;
        let mut close = false;
        ui.horizontal(|ui| {
            ui.heading("More scenarios");
            if place == TourPlace::Strip {
                close = ui.add(Action::secondary("Close the tour")).clicked();
            }
        });
        let mut chosen = None;
        match place {
            TourPlace::Side => {
                ui.label("The demo account can show a Lambda canary, and what CodeDeploy does with Auto Scaling and CloudWatch alarms. Each scenario sets up what it needs, building on what the demo set up, and opens the deployment it is about.");
                for scenario in Scenario::ALL {
                    ui.add_space(8.0);
                    ui.separator();
                    if Self::scenario_ui(ui, scenario, running, last) {
                        chosen = Some(scenario);
                    }
                }
                ui.add_space(8.0);
                ui.separator();
                ui.label(RichText::new("Is a fleet ready?").strong());
                ui.label(READINESS_NOTE);
                ui.add_space(8.0);
                ui.separator();
                ui.label(RichText::new("Will a bundle work?").strong());
                ui.label(LOCAL_NOTE);
                ui.add_space(8.0);
                ui.separator();
                close = ui.add(Action::secondary("Close the tour")).clicked();
            }
            TourPlace::Strip => {
                ui.columns(Scenario::ALL.len(), |columns| {
                    for (column, scenario) in columns.iter_mut().zip(Scenario::ALL) {
                        // Left-aligned, not stretched to the column's width.
                        let clicked = column
                            .with_layout(Layout::top_down(Align::Min), |ui| {
                                Self::scenario_ui(ui, scenario, running, last)
                            })
                            .inner;
                        if clicked {
                            chosen = Some(scenario);
                        }
                    }
                });
            }
        }
        if let Some(scenario) = chosen {
            action = Some(TourAction::RunScenario(scenario));
        }
        if close {
            action = Some(TourAction::Done);
        }
        action
    }

    /// One scenario: its button (usable while none runs) and what it will
    /// do; the checklist while it runs, or what came of it. Returns whether
    /// its button was clicked.
    fn scenario_ui(
        ui: &mut egui::Ui,
        scenario: Scenario,
        running: Option<(Scenario, Option<ScenarioStep>)>,
        last: Option<&(Scenario, Result<String, String>)>,
    ) -> bool {
        let clicked = ui
            .add_enabled_ui(running.is_none(), |ui| {
                ui.add(Action::primary(scenario.label()).icon(icons::ICON_PLAY_ARROW))
            })
            .inner
            .clicked();
        ui.label(scenario.summary());
        if let Some((_, current)) = running.filter(|(now, _)| *now == scenario) {
            let position = current.and_then(|step| {
                scenario
                    .steps()
                    .iter()
                    .position(|candidate| *candidate == step)
            });
            let items: Vec<(String, ItemState)> = scenario
                .steps()
                .iter()
                .enumerate()
                .map(|(index, step)| {
                    let item_state = match position {
                        Some(now) if index < now => ItemState::Created,
                        Some(now) if index == now => ItemState::Running,
                        _ => ItemState::Pending,
                    };
                    (step.label().to_owned(), item_state)
                })
                .collect();
            ui.add_space(4.0);
            wizard::narrow_checklist_ui(ui, &items);
        }
        match last {
            Some((done, Ok(deployment_id))) if *done == scenario => {
                ui.label(
                    RichText::new(format!(
                        "Done: {deployment_id} is open in the rollout view."
                    ))
                    .color(ui.visuals().weak_text_color()),
                );
            }
            Some((done, Err(error))) if *done == scenario => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            _ => {}
        }
        clicked
    }

    /// A step of the tour: the text above (or beside) buttons that keep
    /// their place.
    fn explaining_ui(
        &mut self,
        ui: &mut egui::Ui,
        place: TourPlace,
        step: usize,
        paced: bool,
    ) -> Option<TourAction> {
        let step = step.min(TOUR.len() - 1);
        let mut action = None;
        match place {
            TourPlace::Side => {
                // The text has a height of its own, the same on every step,
                // so the buttons below it never move.
                let height =
                    (ui.available_height() - 2.0 * BUTTON_HEIGHT).clamp(120.0, SIDE_TEXT_HEIGHT);
                egui::ScrollArea::vertical()
                    .id_salt("tour_text")
                    .auto_shrink([false, false])
                    .min_scrolled_height(height)
                    .max_height(height)
                    .show(ui, |ui| self.text_ui(ui, step, paced));
                ui.separator();
                action = self.buttons_ui(ui, step, paced);
            }
            TourPlace::Strip => {
                // The text on the left takes what the buttons leave; the
                // buttons on the right have a fixed width, so they stay put.
                let spacing = ui.spacing().item_spacing.x;
                let block = 3.0 * BUTTON_WIDTH + 2.0 * spacing;
                let text_width = (ui.available_width() - block - 3.0 * spacing).max(120.0);
                let height = ui.available_height();
                ui.horizontal_top(|ui| {
                    ui.allocate_ui_with_layout(
                        egui::vec2(text_width, height),
                        Layout::top_down(Align::Min),
                        |ui| {
                            ui.set_width(text_width);
                            if self.folded {
                                ui.label(
                                    RichText::new(format!(
                                        "Tour {} of {}: {}",
                                        step + 1,
                                        TOUR.len(),
                                        TOUR[step].title
                                    ))
                                    .strong(),
                                );
                            } else {
                                egui::ScrollArea::vertical()
                                    .id_salt("tour_text")
                                    .auto_shrink([false, false])
                                    .max_height(STRIP_TEXT_HEIGHT)
                                    .show(ui, |ui| self.text_ui(ui, step, paced));
                            }
                        },
                    );
                    ui.separator();
                    ui.allocate_ui_with_layout(
                        egui::vec2(block, height),
                        Layout::top_down(Align::Min),
                        |ui| {
                            action = self.buttons_ui(ui, step, paced);
                            let fold = if self.folded {
                                Action::quiet("Show the tour text").icon(icons::ICON_EXPAND_LESS)
                            } else {
                                Action::quiet("Fold the tour to one line")
                                    .visible("Fold")
                                    .icon(icons::ICON_EXPAND_MORE)
                            };
                            if ui.add(fold).clicked() {
                                self.folded = !self.folded;
                            }
                        },
                    );
                });
            }
        }
        action
    }

    fn text_ui(&self, ui: &mut egui::Ui, step: usize, paced: bool) {
        let TourStep { title, text, .. } = &TOUR[step];
        ui.label(RichText::new(format!("Tour {} of {}", step + 1, TOUR.len())).weak());
        ui.heading(*title);
        ui.label(*text);
        if step == 0 && paced {
            ui.add_space(4.0);
            ui.label(
                RichText::new(
                    "The demo's instances run slowly while this step is open, so you can watch the first wave. Next lets them run at full speed.",
                )
                .italics(),
            );
        }
        if let Some(error) = &self.pacing_error {
            ui.label(
                RichText::new(format!(
                    "The demo's instances still run slowly: {error} Remove \"slow\" from their deploydesk:simulate tag in Setup > Tag instances."
                ))
                .color(ui.visuals().warn_fg_color),
            );
        }
    }

    /// Previous, Next (Finish on the last step) and Skip, each the same
    /// size in the same place on every step.
    fn buttons_ui(&mut self, ui: &mut egui::Ui, step: usize, paced: bool) -> Option<TourAction> {
        let size = egui::vec2(BUTTON_WIDTH, BUTTON_HEIGHT);
        let last = step + 1 == TOUR.len();
        let mut action = None;
        ui.horizontal(|ui| {
            let previous = ui
                .add_enabled_ui(step > 0, |ui| {
                    ui.add_sized(
                        size,
                        Action::secondary("Previous").icon(icons::ICON_ARROW_BACK),
                    )
                })
                .inner;
            if previous.clicked() {
                self.stage = Stage::Explaining {
                    step: step - 1,
                    paced,
                };
            }
            if last {
                if ui
                    .add_sized(size, Action::primary("Finish the tour").visible("Finish"))
                    .on_hover_text("Close the tour's steps and see two more scenarios")
                    .clicked()
                {
                    // The rollout has been shown: the further scenarios
                    // build on it.
                    self.stage = Stage::Scenarios {
                        running: None,
                        last: None,
                    };
                }
                // The slot of Skip stays, empty, so nothing moves.
                let _ = ui.allocate_exact_size(size, egui::Sense::hover());
            } else {
                if ui
                    .add_sized(
                        size,
                        Action::primary("Next").icon(icons::ICON_ARROW_FORWARD),
                    )
                    .clicked()
                {
                    self.stage = Stage::Explaining {
                        step: step + 1,
                        paced,
                    };
                    if paced {
                        action = Some(TourAction::EndPacing);
                    }
                }
                if ui
                    .add_sized(size, Action::secondary("Skip the tour").visible("Skip"))
                    .on_hover_text("Close the tour; Help > Replay the tour brings it back")
                    .clicked()
                {
                    action = Some(TourAction::Done);
                }
            }
        });
        action
    }
}
