//! A wizard's run: its plan, where each step stands, and the buttons that
//! retry after a failure or, with the person's consent, fix what differs.

use crate::cloud::CloudError;
use crate::cloud::setup::{InstanceResult, Progress, StepOutcome};
use crate::domain::setup::SetupPlan;
use crate::ui::widgets::wizard::{self, ItemState};

/// What a run asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum RunRequest {
    /// Run the plan's steps from `from` on, stopping at the first that
    /// fails or differs.
    Run {
        /// The plan.
        plan: SetupPlan,
        /// The first step to run.
        from: usize,
    },
    /// Make step `index` match the plan (the person agreed), then go on.
    Fix {
        /// The plan.
        plan: SetupPlan,
        /// The step to fix.
        index: usize,
    },
}

impl RunRequest {
    /// Runs what was asked on `session`, reporting each step's progress.
    pub async fn execute(self, session: &crate::cloud::Session, report: impl FnMut(Progress)) {
        let (plan, from, fix_first) = match self {
            Self::Run { plan, from } => (plan, from, false),
            Self::Fix { plan, index } => (plan, index, true),
        };
        crate::cloud::setup::run_plan(session, &plan, from, fix_first, report).await;
    }
}

/// Where a run stands.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRun {
    /// The plan being run.
    pub plan: SetupPlan,
    /// Each step's state, in the plan's order.
    pub items: Vec<ItemState>,
    /// Whether calls are on their way.
    pub running: bool,
    /// For each step that sends a Systems Manager command, each instance's
    /// result so far.
    pub instances: Vec<Vec<InstanceResult>>,
}

impl PlanRun {
    /// A run of `plan` that has not started.
    pub fn new(plan: SetupPlan) -> Self {
        let items = vec![ItemState::Pending; plan.steps.len()];
        let instances = vec![Vec::new(); plan.steps.len()];
        Self {
            plan,
            items,
            running: false,
            instances,
        }
    }

    /// Starts the run from the first step not done yet, returning the
    /// request for the app.
    pub fn start(&mut self) -> RunRequest {
        let from = self
            .items
            .iter()
            .position(|item| !item.is_done())
            .unwrap_or(self.items.len());
        self.running = true;
        RunRequest::Run {
            plan: self.plan.clone(),
            from,
        }
    }

    /// Step `index` started.
    pub fn started(&mut self, index: usize) {
        if let Some(item) = self.items.get_mut(index) {
            *item = ItemState::Running;
        }
    }

    /// Step `index`, a Systems Manager command, has these results so far.
    pub fn instances_reported(&mut self, index: usize, results: Vec<InstanceResult>) {
        if let Some(slot) = self.instances.get_mut(index) {
            *slot = results;
        }
    }

    /// How the run is getting on, as the app reports it.
    pub fn progress(&mut self, progress: Progress) {
        match progress {
            Progress::Started(index) => self.started(index),
            Progress::Instances(index, results) => self.instances_reported(index, results),
            Progress::Finished(index, result) => self.finished(index, result),
        }
    }

    /// Step `index` finished with `result`.
    pub fn finished(&mut self, index: usize, result: Result<StepOutcome, CloudError>) {
        let Some(item) = self.items.get_mut(index) else {
            return;
        };
        *item = match result {
            Ok(StepOutcome::Created) => ItemState::Created,
            Ok(StepOutcome::Reused) => ItemState::Reused,
            Ok(StepOutcome::Differs(why)) => ItemState::Differs(why),
            Err(error) => ItemState::Failed(error.to_string()),
        };
        if !matches!(item, ItemState::Created | ItemState::Reused) || self.is_complete() {
            self.running = false;
        }
    }

    /// The run ended (all steps ran, or it stopped at one).
    pub fn ended(&mut self) {
        self.running = false;
    }

    /// Whether every step is done.
    pub fn is_complete(&self) -> bool {
        self.items.iter().all(ItemState::is_done)
    }

    /// The index and message of the step that failed, if one did.
    pub fn failure(&self) -> Option<(usize, &str)> {
        self.items
            .iter()
            .enumerate()
            .find_map(|(index, item)| match item {
                ItemState::Failed(why) => Some((index, why.as_str())),
                _ => None,
            })
    }

    /// The summaries of the steps done so far (made now or found made).
    pub fn done_summaries(&self) -> Vec<String> {
        self.plan
            .steps
            .iter()
            .zip(&self.items)
            .filter(|(_, item)| item.is_done())
            .map(|(step, _)| step.summary())
            .collect()
    }

    /// Draws the checklist and the buttons that go on from a stop. Returns
    /// a request for the app when one is clicked.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<RunRequest> {
        let items: Vec<(String, ItemState)> = self
            .plan
            .steps
            .iter()
            .map(crate::domain::setup::SetupStep::summary)
            .zip(self.items.iter().cloned())
            .collect();
        wizard::checklist_ui(ui, &items);
        for results in self.instances.iter().filter(|results| !results.is_empty()) {
            instance_results_ui(ui, results);
        }
        ui.add_space(8.0);
        if self.running {
            return None;
        }
        let mut request = None;
        if let Some((_, why)) = self.failure() {
            let done = self.done_summaries();
            let text = if done.is_empty() {
                format!("Nothing was created. {why}")
            } else {
                format!(
                    "Stopped: {why} Already in place: {}. Retry goes on from the step that failed.",
                    done.join("; ")
                )
            };
            ui.label(egui::RichText::new(text).color(ui.visuals().error_fg_color));
            if ui.button("Retry").clicked() {
                request = Some(self.start());
            }
        }
        let differing = self
            .items
            .iter()
            .position(|item| matches!(item, ItemState::Differs(_)));
        if let Some(index) = differing
            && let Some(step) = self.plan.steps.get(index)
        {
            ui.label(
                "DeployDesk never overwrites what exists without asking. Fix it to match what is shown on the review page, or go back and choose other names.",
            );
            if step.is_fixable() && ui.button(format!("Fix: {}", step.summary())).clicked() {
                self.items[index] = ItemState::Running;
                self.running = true;
                request = Some(RunRequest::Fix {
                    plan: self.plan.clone(),
                    index,
                });
            }
        }
        request
    }
}

/// Each instance's result of a Systems Manager command: its status, and
/// why it failed.
fn instance_results_ui(ui: &mut egui::Ui, results: &[InstanceResult]) {
    let done = results
        .iter()
        .filter(|result| result.status == "Success")
        .count();
    ui.label(egui::RichText::new(format!("{done} of {} instances done", results.len())).weak());
    egui::Grid::new("command_results")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for result in results {
                ui.label(egui::RichText::new(&result.instance_id).monospace());
                let (word, color) = match result.status.as_str() {
                    "Success" => ("done", ui.visuals().text_color()),
                    "Pending" | "InProgress" | "Delayed" => {
                        ("in progress", ui.visuals().weak_text_color())
                    }
                    _ => ("failed", ui.visuals().error_fg_color),
                };
                let text = match &result.failure {
                    Some(why) => format!("{word}: {why}"),
                    None => word.to_owned(),
                };
                ui.add(egui::Label::new(egui::RichText::new(text).color(color)).wrap());
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ComputePlatform;
    use crate::domain::setup::SetupPlan;

    fn plan() -> SetupPlan {
        SetupPlan::service_role(
            "R",
            ComputePlatform::Server,
            "000000000000",
            "us-east-1",
            true,
            false,
        )
    }

    #[test]
    fn a_retry_goes_on_from_the_step_that_failed() {
        let mut run = PlanRun::new(plan());
        assert_eq!(
            run.start(),
            RunRequest::Run {
                plan: plan(),
                from: 0
            }
        );
        run.started(0);
        run.finished(0, Ok(StepOutcome::Created));
        run.started(1);
        run.finished(
            1,
            Err(CloudError::Throttled {
                operation: "AttachRolePolicy".to_owned(),
            }),
        );
        assert!(!run.running);
        assert_eq!(run.failure().map(|(index, _)| index), Some(1));
        assert_eq!(run.done_summaries(), ["Create the role R"]);
        assert_eq!(
            run.start(),
            RunRequest::Run {
                plan: plan(),
                from: 1
            }
        );
        run.finished(1, Ok(StepOutcome::Reused));
        assert!(run.is_complete());
    }
}
