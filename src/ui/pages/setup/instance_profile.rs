//! The instance profile wizard: the role EC2 instances assume, read access
//! to only the revision buckets named, optionally Systems Manager, the
//! instance profile, and the instances to give it.

use egui::RichText;

use super::run::{PlanRun, RunRequest};
use super::service_role::review_plan_ui;
use super::tag_instances::model::compact_tags;
pub use crate::cloud::setup::{BucketChoices, InstanceChoice};
use crate::domain::iam_names::{IamNameKind, validate_iam_name};
use crate::domain::names::validate_bucket_name;
use crate::domain::setup::{InstanceProfileOptions, SetupPlan, SetupStep};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::loadable::Loadable;
use crate::ui::widgets::wizard::{self, Nav, Touched};

/// The wizard's steps, as the indicator names them.
const STEPS: [&str; 5] = ["Names", "Buckets", "Instances", "Review", "Create"];

/// What the wizard asks of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum InstanceProfileRequest {
    /// Run (or retry, or fix) the plan.
    Run(RunRequest),
    /// Load the account's EC2 instances with their current profiles.
    LoadInstances,
    /// Load the account's buckets and the one to suggest.
    LoadBuckets,
    /// Leave the wizard.
    Close,
    /// The profile is made: go on to tagging instances.
    Continue,
}

/// The instance profile wizard's state.
#[derive(Debug, Clone)]
pub struct InstanceProfileWizard {
    step: usize,
    role: String,
    profile: String,
    buckets: String,
    agent: bool,
    ssm: bool,
    /// The instances to choose from.
    pub instances: Loadable<Vec<InstanceChoice>>,
    /// The account's buckets, offered on the buckets step.
    pub bucket_choices: Loadable<BucketChoices>,
    chosen: std::collections::BTreeSet<String>,
    /// Errors AWS gave, by the field they concern.
    role_error: Option<String>,
    profile_error: Option<String>,
    run: Option<PlanRun>,
    /// The fields of this step used, and whether Next was pressed: errors
    /// show only then.
    touched: Touched,
}

impl Default for InstanceProfileWizard {
    fn default() -> Self {
        Self {
            step: 0,
            role: "CodeDeployInstanceRole".to_owned(),
            profile: "CodeDeployInstanceProfile".to_owned(),
            buckets: String::new(),
            agent: true,
            ssm: true,
            instances: Loadable::NotLoaded,
            bucket_choices: Loadable::NotLoaded,
            chosen: std::collections::BTreeSet::new(),
            role_error: None,
            profile_error: None,
            run: None,
            touched: Touched::default(),
        }
    }
}

impl InstanceProfileWizard {
    /// The wizard with `instances` chosen to get the profile, and
    /// Systems Manager's policy ticked or not.
    pub fn for_instances(instances: Vec<String>, ssm: bool) -> Self {
        Self {
            chosen: instances.into_iter().collect(),
            ssm,
            ..Self::default()
        }
    }

    /// The bucket names typed, one per line or separated by commas.
    fn bucket_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .buckets
            .split([',', '\n', ' '])
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        names.dedup();
        names
    }

    /// The account's buckets arrived: the suggested one is filled in if
    /// the person has not typed any bucket yet.
    pub fn buckets_loaded(&mut self, choices: Loadable<BucketChoices>) {
        if self.buckets.trim().is_empty()
            && let Loadable::Loaded(choices) = &choices
            && let Some(suggested) = &choices.suggested
        {
            self.buckets.clone_from(suggested);
        }
        self.bucket_choices = choices;
    }

    /// The plan the inputs make.
    pub fn plan(&self, region: &str) -> SetupPlan {
        SetupPlan::instance_profile(&InstanceProfileOptions {
            role: self.role.trim().to_owned(),
            profile: self.profile.trim().to_owned(),
            buckets: self.bucket_names(),
            agent_region: self.agent.then(|| region.to_owned()),
            ssm: self.ssm,
            instances: self.chosen.iter().cloned().collect(),
        })
    }

    /// The run, once started.
    pub fn run_mut(&mut self) -> Option<&mut PlanRun> {
        self.run.as_mut()
    }

    /// The run ended: an error refused for a name is shown at its field.
    pub fn run_ended(&mut self) {
        let Some(run) = &mut self.run else { return };
        run.ended();
        if let Some((index, why)) = run.failure() {
            match run.plan.steps.get(index) {
                Some(SetupStep::CreateRole { .. } | SetupStep::PutRolePolicy { .. }) => {
                    self.role_error = Some(why.to_owned());
                }
                Some(
                    SetupStep::CreateInstanceProfile { .. }
                    | SetupStep::AddRoleToInstanceProfile { .. },
                ) => self.profile_error = Some(why.to_owned()),
                _ => {}
            }
        }
    }

    fn blocked(&self) -> Option<String> {
        match self.step {
            0 => validate_iam_name(IamNameKind::Role, self.role.trim())
                .and_then(|()| validate_iam_name(IamNameKind::InstanceProfile, self.profile.trim()))
                .err()
                .map(|error| error.to_string()),
            1 => {
                let names = self.bucket_names();
                if names.is_empty() {
                    return Some(
                        "Name at least one bucket your revisions are stored in.".to_owned(),
                    );
                }
                names
                    .iter()
                    .find_map(|name| validate_bucket_name(name).err())
                    .map(|error| error.to_string())
            }
            _ => None,
        }
    }

    /// Draws the wizard for the session's `region`.
    pub fn ui(&mut self, ui: &mut egui::Ui, region: &str) -> Option<InstanceProfileRequest> {
        ui.heading("Create an instance profile for CodeDeploy");
        ui.label("The CodeDeploy agent on each instance downloads revisions from S3 with the instance's role. This wizard makes that role, with read access to only the buckets you name, and the instance profile that gives it to instances.");
        ui.add_space(4.0);
        wizard::steps_ui(ui, &STEPS, self.step);
        ui.add_space(8.0);
        let mut request = None;
        if self.step > 3 {
            return wizard::body_ui(ui, |ui| self.run_ui(ui));
        }
        if matches!(self.bucket_choices, Loadable::NotLoaded) {
            // Asked for at once, so the suggestion is there by step 2.
            request = Some(InstanceProfileRequest::LoadBuckets);
        }
        wizard::body_ui(ui, |ui| match self.step {
            0 => self.names_ui(ui, region),
            1 => self.buckets_ui(ui),
            2 => {
                if let Some(asked) = self.instances_ui(ui) {
                    request = Some(asked);
                }
            }
            _ => review_plan_ui(ui, &self.plan(region)),
        });
        let blocked = self.blocked();
        let next = if self.step == 3 { "Create" } else { "Next" };
        let marked = self.touched.attempted() && blocked.is_some();
        match wizard::nav_ui(ui, self.step > 0, next, None, marked) {
            Some(Nav::Back) => {
                self.step -= 1;
                self.touched.clear();
            }
            Some(Nav::Cancel) => request = Some(InstanceProfileRequest::Close),
            Some(Nav::Next) if blocked.is_some() => self.touched.attempt(),
            Some(Nav::Next) => {
                self.touched.clear();
                if self.step == 3 {
                    let mut run = PlanRun::new(self.plan(region));
                    let started = run.start();
                    self.run = Some(run);
                    self.role_error = None;
                    self.profile_error = None;
                    request = Some(InstanceProfileRequest::Run(started));
                }
                self.step += 1;
            }
            None => {}
        }
        request
    }

    fn names_ui(&mut self, ui: &mut egui::Ui, region: &str) {
        let role_error = validate_iam_name(IamNameKind::Role, self.role.trim())
            .err()
            .map(|error| error.to_string());
        let role_error = self
            .touched
            .shown("role", role_error)
            .or_else(|| self.role_error.clone());
        let response = wizard::field_ui(
            ui,
            "Role name",
            &mut self.role,
            "e.g. CodeDeployInstanceRole",
            role_error.as_deref(),
        );
        self.touched.note("role", &response);
        if response.changed() {
            self.role_error = None;
        }
        let profile_error = validate_iam_name(IamNameKind::InstanceProfile, self.profile.trim())
            .err()
            .map(|error| error.to_string());
        let profile_error = self
            .touched
            .shown("profile", profile_error)
            .or_else(|| self.profile_error.clone());
        let response = wizard::field_ui(
            ui,
            "Instance profile name",
            &mut self.profile,
            "e.g. CodeDeployInstanceProfile",
            profile_error.as_deref(),
        );
        self.touched.note("profile", &response);
        if response.changed() {
            self.profile_error = None;
        }
        ui.add_space(8.0);
        ui.checkbox(
            &mut self.ssm,
            "Let Systems Manager manage the instances (AmazonSSMManagedInstanceCore)",
        )
        .on_hover_text(
            "So the CodeDeploy agent can be installed and updated through Systems Manager.",
        );
        ui.checkbox(
            &mut self.agent,
            format!("Let instances download the CodeDeploy agent (aws-codedeploy-{region})"),
        )
        .on_hover_text(
            "Read access to the bucket AWS serves the agent's installer from in this region.",
        );
    }

    fn buckets_ui(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("Revision buckets (one per line)");
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut self.buckets)
                    .id_salt("revision buckets")
                    .hint_text("e.g. my-revisions-bucket")
                    .desired_rows(3)
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
        self.touched.note("buckets", &response);
        if let Some(problem) = self.touched.shown("buckets", self.blocked()) {
            wizard::error_line_ui(ui, &problem);
        }
        match &self.bucket_choices {
            Loadable::Loaded(choices) if !choices.buckets.is_empty() => {
                ui.label(RichText::new("Your buckets (tick to add or leave out)").strong());
                let mut names = self.bucket_names();
                let mut changed = false;
                ui.horizontal_wrapped(|ui| {
                    for bucket in &choices.buckets {
                        let mut on = names.contains(bucket);
                        if ui.checkbox(&mut on, bucket.as_str()).changed() {
                            if on {
                                names.push(bucket.clone());
                            } else {
                                names.retain(|name| name != bucket);
                            }
                            changed = true;
                        }
                    }
                });
                if changed {
                    self.buckets = names.join("\n");
                    self.touched.touch("buckets");
                }
            }
            Loadable::Failed(error) => {
                ui.label(
                    RichText::new(format!("Your buckets could not be listed: {error}")).weak(),
                );
            }
            _ => {}
        }
        ui.label(
            RichText::new(
                "Instances may read objects from these buckets only: s3:GetObject and s3:GetObjectVersion on their objects, s3:ListBucket on the buckets. Nothing else in S3.",
            )
            .weak(),
        );
    }

    fn instances_ui(&mut self, ui: &mut egui::Ui) -> Option<InstanceProfileRequest> {
        ui.label(RichText::new("Give the profile to instances now (optional)").strong());
        let mut request = None;
        match &self.instances {
            Loadable::NotLoaded => request = Some(InstanceProfileRequest::LoadInstances),
            Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading instances…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.button("Load again").clicked() {
                    request = Some(InstanceProfileRequest::LoadInstances);
                }
            }
            Loadable::Loaded(instances) if instances.is_empty() => {
                ui.label(RichText::new("This account has no EC2 instances in this region.").weak());
            }
            Loadable::Loaded(instances) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        RichText::new(format!(
                            "{} of {} chosen",
                            self.chosen.len(),
                            instances.len()
                        ))
                        .strong(),
                    );
                    if ui
                        .add_enabled(
                            self.chosen.len() < instances.len(),
                            Action::secondary("Select all").small(),
                        )
                        .on_hover_text("Give the profile to every instance listed")
                        .clicked()
                    {
                        self.chosen = instances.iter().map(|i| i.id.clone()).collect();
                    }
                    if ui
                        .add_enabled(
                            !self.chosen.is_empty(),
                            Action::secondary("Select none").small(),
                        )
                        .clicked()
                    {
                        self.chosen.clear();
                    }
                });
                egui::ScrollArea::vertical()
                    .max_height(260.0)
                    .show(ui, |ui| {
                        egui::Grid::new("instance_choices")
                            .striped(true)
                            .num_columns(5)
                            .show(ui, |ui| {
                                ui.label(RichText::new("Instance").strong());
                                ui.label(RichText::new("Name").strong());
                                ui.label(RichText::new("State").strong());
                                ui.label(RichText::new("Tags").strong());
                                ui.label(RichText::new("Instance profile now").strong());
                                ui.end_row();
                                for instance in instances {
                                    let mut chosen = self.chosen.contains(&instance.id);
                                    if ui.checkbox(&mut chosen, &instance.id).changed() {
                                        if chosen {
                                            self.chosen.insert(instance.id.clone());
                                        } else {
                                            self.chosen.remove(&instance.id);
                                        }
                                    }
                                    ui.label(instance.name.as_deref().unwrap_or("-"));
                                    ui.label(&instance.state);
                                    let tags = compact_tags(&instance.tags);
                                    ui.scope(|ui| {
                                        ui.set_max_width(240.0);
                                        let shown = if tags.is_empty() {
                                            "(no tags)"
                                        } else {
                                            tags.as_str()
                                        };
                                        ui.add(egui::Label::new(shown).truncate())
                                            .on_hover_text(shown);
                                    });
                                    ui.label(
                                        instance
                                            .profile_arn
                                            .as_deref()
                                            .and_then(|arn| arn.rsplit('/').next())
                                            .unwrap_or("none"),
                                    );
                                    ui.end_row();
                                }
                            });
                    });
                ui.label(
                    RichText::new(
                        "An instance that already has another profile keeps it: the run reports it and leaves it alone.",
                    )
                    .weak(),
                );
            }
        }
        request
    }

    fn run_ui(&mut self, ui: &mut egui::Ui) -> Option<InstanceProfileRequest> {
        let Some(run) = &mut self.run else {
            self.step = 3;
            return None;
        };
        let mut request = run.ui(ui).map(InstanceProfileRequest::Run);
        let complete = run.is_complete();
        if complete {
            ui.label(
                RichText::new(format!(
                    "Done: instances launched with the instance profile {} can download revisions.",
                    self.profile.trim()
                ))
                .color(wizard::DONE_GREEN),
            );
        }
        if !run.running {
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                if complete
                    && ui
                        .add(
                            Action::primary("Next: tag instances")
                                .icon(icons::ICON_ARROW_FORWARD)
                                .hover("Tag the instances a deployment group will choose"),
                        )
                        .clicked()
                {
                    request = Some(InstanceProfileRequest::Continue);
                }
                if ui.add(Action::secondary("Back to the review")).clicked() {
                    self.step = 3;
                }
                if ui.add(Action::secondary("Close")).clicked() {
                    request = Some(InstanceProfileRequest::Close);
                }
            });
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_read_from_lines_and_commas() {
        let wizard = InstanceProfileWizard {
            buckets: "alpha-revisions, beta-revisions\n\n gamma-revisions ".to_owned(),
            ..InstanceProfileWizard::default()
        };
        assert_eq!(
            wizard.bucket_names(),
            ["alpha-revisions", "beta-revisions", "gamma-revisions"]
        );
    }

    #[test]
    fn steps_are_blocked_until_their_inputs_are_valid() {
        let mut wizard = InstanceProfileWizard {
            role: "bad role".to_owned(),
            ..InstanceProfileWizard::default()
        };
        assert!(wizard.blocked().is_some_and(|why| why.contains("' '")));
        wizard.role = "CodeDeployInstanceRole".to_owned();
        assert_eq!(wizard.blocked(), None);
        wizard.step = 1;
        assert!(
            wizard
                .blocked()
                .is_some_and(|why| why.contains("at least one bucket"))
        );
        wizard.buckets = "Bad_Bucket".to_owned();
        assert!(
            wizard
                .blocked()
                .is_some_and(|why| why.contains("lowercase"))
        );
        wizard.buckets = "good-bucket".to_owned();
        assert_eq!(wizard.blocked(), None);
    }
}
