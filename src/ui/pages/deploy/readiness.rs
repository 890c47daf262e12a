//! The Deploy dialog's readiness check: for the instances the group
//! matches, whether each has an instance profile, whether Systems Manager
//! manages it and whether its CodeDeploy agent runs, the reason for each
//! "not ready" in words, and the fixes in place — the agent installed or
//! started through Systems Manager (previewed like the Setup wizards, each
//! instance's result shown as it comes in) or the instance profile wizard
//! opened with the instances chosen.

use egui::RichText;

use crate::cloud::readiness::RevisionObject;
use crate::cloud::setup::Progress;
use crate::domain::readiness::{Fix, Readiness, SsmStatus, summary};
use crate::domain::setup::SetupPlan;
use crate::ui::pages::setup::run::{PlanRun, RunRequest};
use crate::ui::pages::setup::service_role::review_plan_ui;
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::loadable::Loadable;

/// What the readiness check asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadinessRequest {
    /// Check these instances, for this revision.
    Check {
        /// The instances.
        instance_ids: Vec<String>,
        /// The S3 object the deployment downloads, if it is one.
        revision: Option<RevisionObject>,
    },
    /// Run a fix's plan.
    RunFix {
        /// Which run, so that results of an abandoned one are dropped.
        run: u64,
        /// What to run.
        request: RunRequest,
    },
    /// Open the instance profile wizard with these instances chosen (and
    /// Systems Manager's policy ticked when `ssm`).
    OpenInstanceProfile {
        /// The instances.
        instances: Vec<String>,
        /// Whether to let Systems Manager manage them.
        ssm: bool,
    },
}

/// A fix being reviewed or run.
#[derive(Debug, Clone)]
struct FixRun {
    /// The plan, reviewed before it runs.
    plan: SetupPlan,
    /// The run, once started.
    run: Option<PlanRun>,
}

/// The readiness of the group's instances, and the fix under way.
#[derive(Debug, Clone, Default)]
pub struct ReadinessPanel {
    /// The verdicts, once checked.
    pub result: Loadable<Vec<Readiness>>,
    /// What the result is for.
    checked_for: Option<(Vec<String>, Option<RevisionObject>)>,
    /// The fix being reviewed or run.
    fix: Option<FixRun>,
    /// Numbers the fix runs.
    run: u64,
}

impl ReadinessPanel {
    /// The request to check `instance_ids` for `revision`, when the result
    /// is not already for them.
    pub fn wanted(
        &mut self,
        instance_ids: Vec<String>,
        revision: Option<RevisionObject>,
    ) -> Option<ReadinessRequest> {
        let key = (instance_ids, revision);
        if self.checked_for.as_ref() == Some(&key) {
            return None;
        }
        self.checked_for = Some(key.clone());
        self.result = Loadable::Loading;
        Some(ReadinessRequest::Check {
            instance_ids: key.0,
            revision: key.1,
        })
    }

    /// Checks again next frame.
    pub fn recheck(&mut self) {
        self.checked_for = None;
    }

    /// The check's result arrived.
    pub fn loaded(&mut self, result: Loadable<Vec<Readiness>>) {
        self.result = result;
    }

    /// How fix run `run` is getting on.
    pub fn fix_progress(&mut self, run: u64, progress: Progress) {
        if run != self.run {
            return;
        }
        if let Some(plan_run) = self.fix.as_mut().and_then(|fix| fix.run.as_mut()) {
            plan_run.progress(progress);
        }
    }

    /// Fix run `run` ended: its instances are checked again.
    pub fn fix_ended(&mut self, run: u64) {
        if run != self.run {
            return;
        }
        if let Some(plan_run) = self.fix.as_mut().and_then(|fix| fix.run.as_mut()) {
            plan_run.ended();
        }
        self.recheck();
    }

    /// Whether a fix is being reviewed or runs.
    pub fn fixing(&self) -> bool {
        self.fix.is_some()
    }

    /// Draws the check and its fixes.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<ReadinessRequest> {
        ui.add_space(4.0);
        ui.label(RichText::new("Ready to deploy?").strong());
        let mut request = None;
        match &self.result {
            Loadable::NotLoaded | Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Checking the instances' profiles and CodeDeploy agents through Systems Manager…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(
                    RichText::new(format!("The instances could not be checked: {error}"))
                        .color(ui.visuals().warn_fg_color),
                );
                if ui.add(Action::secondary("Check again")).clicked() {
                    self.recheck();
                }
            }
            Loadable::Loaded(fleet) => {
                let fleet = fleet.clone();
                request = self.loaded_ui(ui, &fleet);
            }
        }
        if let Some(next) = self.fix_ui(ui) {
            request = Some(next);
        }
        request
    }

    fn loaded_ui(&mut self, ui: &mut egui::Ui, fleet: &[Readiness]) -> Option<ReadinessRequest> {
        let Some(said) = summary(fleet) else {
            let said = if fleet.len() == 1 {
                "The instance is ready: it has an instance profile and a running CodeDeploy agent."
                    .to_owned()
            } else {
                format!(
                    "All {} instances are ready: each has an instance profile and a running CodeDeploy agent.",
                    fleet.len()
                )
            };
            ui.label(RichText::new(said).color(egui::Color32::from_rgb(0x2e, 0x9d, 0x5b)));
            return None;
        };
        // The prediction above says whether the deployment survives it.
        ui.label(RichText::new(said).color(ui.visuals().warn_fg_color));
        egui::Grid::new("readiness_table")
            .num_columns(4)
            .striped(true)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for header in ["Instance", "Profile", "Systems Manager", "Agent"] {
                    ui.label(RichText::new(header).strong());
                }
                ui.end_row();
                for readiness in fleet.iter().filter(|readiness| !readiness.ready()) {
                    let facts = &readiness.facts;
                    let name = facts.name.as_deref().unwrap_or(&facts.id);
                    let reasons: Vec<String> = readiness
                        .problems
                        .iter()
                        .map(crate::domain::readiness::Problem::words)
                        .collect();
                    ui.label(name)
                        .on_hover_text(format!("{}\n{}", facts.id, reasons.join("\n")));
                    ui.label(facts.profile.as_deref().unwrap_or("none"));
                    ui.label(readiness.ssm_words());
                    ui.label(readiness.agent_words());
                    ui.end_row();
                }
            });
        for readiness in fleet.iter().filter(|readiness| !readiness.ready()) {
            let facts = &readiness.facts;
            let name = facts.name.as_deref().unwrap_or(&facts.id);
            for problem in &readiness.problems {
                ui.add(
                    egui::Label::new(RichText::new(format!("{name}: {}", problem.words())).weak())
                        .wrap(),
                );
            }
        }
        if self.fix.is_some() {
            return None;
        }
        let mut request = None;
        let with = |wanted: Fix| -> Vec<&Readiness> {
            fleet
                .iter()
                .filter(|readiness| readiness.fixes().contains(&wanted))
                .collect()
        };
        let ids = |chosen: &[&Readiness]| -> Vec<String> {
            chosen
                .iter()
                .map(|readiness| readiness.facts.id.clone())
                .collect()
        };
        ui.horizontal_wrapped(|ui| {
            // The agent is installed or started only where Systems Manager
            // can reach.
            let online = |chosen: Vec<&Readiness>| -> Vec<String> {
                ids(&chosen
                    .into_iter()
                    .filter(|readiness| readiness.facts.ssm == SsmStatus::Online)
                    .collect::<Vec<_>>())
            };
            let install = online(with(Fix::InstallAgent));
            if !install.is_empty()
                && ui
                    .add(
                        Action::primary(&format!(
                            "Install the agent on {}…",
                            count_words(install.len())
                        ))
                        .icon(icons::ICON_DOWNLOAD),
                    )
                    .clicked()
            {
                self.fix = Some(FixRun {
                    plan: SetupPlan::install_agent(install),
                    run: None,
                });
            }
            let start = online(with(Fix::StartAgent));
            if !start.is_empty()
                && ui
                    .add(Action::secondary(&format!(
                        "Start the agent on {}…",
                        count_words(start.len())
                    )))
                    .clicked()
            {
                self.fix = Some(FixRun {
                    plan: SetupPlan::start_agent(start),
                    run: None,
                });
            }
            let profile = ids(&with(Fix::AttachProfile));
            if !profile.is_empty()
                && ui
                    .add(Action::secondary(&format!(
                        "Attach an instance profile to {}…",
                        count_words(profile.len())
                    )))
                    .on_hover_text("Opens the instance profile wizard with these instances chosen; the Deploy dialog comes back when it is done.")
                    .clicked()
            {
                request = Some(ReadinessRequest::OpenInstanceProfile {
                    instances: profile,
                    ssm: true,
                });
            }
            let managed = ids(&with(Fix::ManageWithSsm));
            let bucket = ids(&with(Fix::GrantBucket));
            if !(managed.is_empty() && bucket.is_empty())
                && ui
                    .add(Action::secondary("Change the instance profile…"))
                    .on_hover_text("Opens the instance profile wizard to give the role Systems Manager's policy or read access to the revision's bucket.")
                    .clicked()
            {
                let mut instances = managed;
                instances.extend(bucket);
                instances.sort();
                instances.dedup();
                request = Some(ReadinessRequest::OpenInstanceProfile {
                    instances,
                    ssm: true,
                });
            }
            if ui
                .add(
                    Action::secondary("Check again")
                        .icon(icons::ICON_REFRESH)
                        .small(),
                )
                .clicked()
            {
                self.recheck();
            }
        });
        request
    }

    /// The fix under review or running.
    fn fix_ui(&mut self, ui: &mut egui::Ui) -> Option<ReadinessRequest> {
        let fix = self.fix.as_mut()?;
        let mut request = None;
        let mut close = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            match &mut fix.run {
                None => {
                    review_plan_ui(ui, &fix.plan);
                    ui.horizontal(|ui| {
                        let label = fix
                            .plan
                            .steps
                            .first()
                            .map_or_else(String::new, crate::domain::setup::SetupStep::summary);
                        if ui.add(Action::primary("Run it").hover(&label)).clicked() {
                            let mut plan_run = PlanRun::new(fix.plan.clone());
                            let start = plan_run.start();
                            fix.run = Some(plan_run);
                            self.run += 1;
                            request = Some(ReadinessRequest::RunFix {
                                run: self.run,
                                request: start,
                            });
                        }
                        close = ui.add(Action::secondary("Cancel")).clicked();
                    });
                }
                Some(plan_run) => {
                    if let Some(again) = plan_run.ui(ui) {
                        self.run += 1;
                        request = Some(ReadinessRequest::RunFix {
                            run: self.run,
                            request: again,
                        });
                    }
                    if !plan_run.running {
                        close = ui.add(Action::secondary("Close")).clicked();
                    }
                }
            }
        });
        if close {
            self.fix = None;
        }
        request
    }
}

/// "1 instance", "3 instances".
fn count_words(count: usize) -> String {
    if count == 1 {
        "1 instance".to_owned()
    } else {
        format!("{count} instances")
    }
}
