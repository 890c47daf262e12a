//! A wizard's run: its plan, where each step stands, and the buttons that
//! retry after a failure or, with the person's consent, fix what differs.

use crate::cloud::CloudError;
use crate::cloud::setup::StepOutcome;
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

/// Where a run stands.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRun {
    /// The plan being run.
    pub plan: SetupPlan,
    /// Each step's state, in the plan's order.
    pub items: Vec<ItemState>,
    /// Whether calls are on their way.
    pub running: bool,
}

impl PlanRun {
    /// A run of `plan` that has not started.
    pub fn new(plan: SetupPlan) -> Self {
        let items = vec![ItemState::Pending; plan.steps.len()];
        Self {
            plan,
            items,
            running: false,
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
