//! The service role wizard: compute platform, role name and trust policy
//! options, a review of exactly what will be created, then the run.

use egui::RichText;

use super::run::{PlanRun, RunRequest};
use crate::cloud::setup::TrustedRole;
use crate::domain::ComputePlatform;
use crate::domain::iam_names::{IamNameKind, validate_iam_name};
use crate::domain::setup::{CODEDEPLOY_PRINCIPAL, SetupPlan, SetupStep};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::json::json_ui;
use crate::ui::widgets::loadable::Loadable;
use crate::ui::widgets::wizard::{self, Nav, Touched};

/// The wizard's steps, as the indicator names them.
const STEPS: [&str; 4] = ["Platform", "Role", "Review", "Create"];

/// What the wizard asks of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceRoleRequest {
    /// Run (or retry, or fix) the plan.
    Run(RunRequest),
    /// Load the roles CodeDeploy can already assume.
    LoadTrustedRoles,
    /// Leave the wizard; with a role ARN when one was made or picked.
    Close(Option<String>),
    /// The role with this ARN was made: go on to the next wizard.
    Continue(String),
}

/// The service role wizard's state.
#[derive(Debug, Clone)]
pub struct ServiceRoleWizard {
    step: usize,
    platform: ComputePlatform,
    role_name: String,
    confused_deputy: bool,
    /// Whether the role may also launch from launch templates, for
    /// blue/green deployments that copy an Auto Scaling group.
    launch_templates: bool,
    /// An error AWS gave for the role name, shown at the field.
    role_error: Option<String>,
    run: Option<PlanRun>,
    /// The ARN of the role the run makes.
    role_arn: Option<String>,
    /// The roles CodeDeploy can already assume.
    pub trusted: Loadable<Vec<TrustedRole>>,
    /// Whether the role name was used or Next pressed: its error shows
    /// only then.
    touched: Touched,
    /// Whether the deployment group wizard opened this one and is
    /// returned to when it closes.
    returns_to_group: bool,
}

impl Default for ServiceRoleWizard {
    fn default() -> Self {
        Self {
            step: 0,
            platform: ComputePlatform::Server,
            role_name: ComputePlatform::Server.suggested_role_name().to_owned(),
            confused_deputy: true,
            launch_templates: false,
            role_error: None,
            run: None,
            role_arn: None,
            trusted: Loadable::NotLoaded,
            touched: Touched::default(),
            returns_to_group: false,
        }
    }
}

impl ServiceRoleWizard {
    /// The wizard opened from the deployment group wizard, which it goes
    /// back to when it closes.
    pub fn returning() -> Self {
        Self {
            returns_to_group: true,
            ..Self::default()
        }
    }

    /// The plan the inputs make, for `account` and `region`.
    pub fn plan(&self, account: &str, region: &str) -> SetupPlan {
        SetupPlan::service_role(
            self.role_name.trim(),
            self.platform,
            account,
            region,
            self.confused_deputy,
            self.launch_templates,
        )
    }

    /// The run, once started.
    pub fn run_mut(&mut self) -> Option<&mut PlanRun> {
        self.run.as_mut()
    }

    /// The run ended: an error refused for the role name is shown at the
    /// field as well.
    pub fn run_ended(&mut self) {
        let Some(run) = &mut self.run else { return };
        run.ended();
        if let Some((index, why)) = run.failure()
            && matches!(
                run.plan.steps.get(index),
                Some(SetupStep::CreateRole { .. })
            )
        {
            self.role_error = Some(why.to_owned());
        }
    }

    /// Why the inputs of the current step cannot go on, if they cannot.
    fn blocked(&self) -> Option<String> {
        match self.step {
            1 => validate_iam_name(IamNameKind::Role, self.role_name.trim())
                .err()
                .map(|error| error.to_string()),
            _ => None,
        }
    }

    /// Draws the wizard. `account` and `region` fill the trust policy's
    /// conditions (the account is `None` until STS answered).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        account: Option<&str>,
        region: &str,
    ) -> Option<ServiceRoleRequest> {
        ui.heading("Create a CodeDeploy service role");
        ui.label("CodeDeploy acts on your instances, load balancers and Auto Scaling groups through a role it assumes: the service role. Every deployment group names one.");
        ui.add_space(4.0);
        wizard::steps_ui(ui, &STEPS, self.step);
        ui.add_space(8.0);
        let mut request = None;
        if self.step == 3 {
            return wizard::body_ui(ui, |ui| self.run_ui(ui));
        }
        wizard::body_ui(ui, |ui| match self.step {
            0 => request = self.platform_ui(ui),
            1 => self.role_ui(ui),
            _ => self.review_ui(ui, account, region),
        });
        let blocked = self.blocked();
        let waiting = (self.step == 2 && account.is_none()).then_some("Finding the account id…");
        let next = if self.step == 2 { "Create" } else { "Next" };
        let marked = self.touched.attempted() && blocked.is_some();
        match wizard::nav_ui(ui, self.step > 0, next, waiting, marked) {
            Some(Nav::Back) => {
                self.step -= 1;
                self.touched.clear();
            }
            Some(Nav::Cancel) => request = Some(ServiceRoleRequest::Close(None)),
            Some(Nav::Next) if blocked.is_some() => self.touched.attempt(),
            Some(Nav::Next) => {
                self.touched.clear();
                if self.step == 2
                    && let Some(account) = account
                {
                    let mut run = PlanRun::new(self.plan(account, region));
                    let started = run.start();
                    self.run = Some(run);
                    self.role_arn = Some(format!(
                        "arn:aws:iam::{account}:role/{}",
                        self.role_name.trim()
                    ));
                    self.role_error = None;
                    request = Some(ServiceRoleRequest::Run(started));
                }
                self.step += 1;
            }
            None => {}
        }
        request
    }

    fn platform_ui(&mut self, ui: &mut egui::Ui) -> Option<ServiceRoleRequest> {
        ui.label(RichText::new("What will CodeDeploy deploy to?").strong());
        for platform in ComputePlatform::ALL {
            let before = self.platform;
            ui.radio_value(&mut self.platform, platform, platform.label());
            if self.platform != before && self.role_name == before.suggested_role_name() {
                platform
                    .suggested_role_name()
                    .clone_into(&mut self.role_name);
            }
        }
        ui.add_space(12.0);
        ui.label(RichText::new("Or use a role CodeDeploy can already assume").strong());
        let mut request = None;
        match &self.trusted {
            Loadable::NotLoaded => request = Some(ServiceRoleRequest::LoadTrustedRoles),
            Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Looking for roles…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.button("Look again").clicked() {
                    request = Some(ServiceRoleRequest::LoadTrustedRoles);
                }
            }
            Loadable::Loaded(roles) if roles.is_empty() => {
                ui.label(RichText::new("No role in this account trusts CodeDeploy yet.").weak());
            }
            Loadable::Loaded(roles) => {
                for role in roles {
                    ui.horizontal(|ui| {
                        ui.label(&role.name);
                        ui.label(RichText::new(&role.arn).weak().small());
                        if ui
                            .button("Use this role")
                            .on_hover_text(format!("Use {} and leave the wizard", role.name))
                            .clicked()
                        {
                            request = Some(ServiceRoleRequest::Close(Some(role.arn.clone())));
                        }
                    });
                }
            }
        }
        request
    }

    fn role_ui(&mut self, ui: &mut egui::Ui) {
        let validation = validate_iam_name(IamNameKind::Role, self.role_name.trim())
            .err()
            .map(|error| error.to_string());
        let error = self
            .touched
            .shown("role", validation)
            .or_else(|| self.role_error.clone());
        let response = wizard::field_ui(
            ui,
            "Role name",
            &mut self.role_name,
            &format!("e.g. {}", self.platform.suggested_role_name()),
            error.as_deref(),
        );
        self.touched.note("role", &response);
        if response.changed() {
            self.role_error = None;
        }
        ui.add_space(8.0);
        ui.checkbox(
            &mut self.confused_deputy,
            "Only for this account's CodeDeploy (recommended)",
        )
        .on_hover_text(
            "Adds aws:SourceAccount and aws:SourceArn conditions to the trust policy, so CodeDeploy can assume the role only on behalf of this account: the protection against the confused deputy problem that CodeDeploy documents.",
        );
        if self.platform == ComputePlatform::Server {
            ui.checkbox(
                &mut self.launch_templates,
                "Blue/green deployments may copy Auto Scaling groups that use launch templates",
            )
            .on_hover_text(
                "Adds an inline policy allowing ec2:RunInstances, ec2:CreateTags and iam:PassRole, which CodeDeploy needs beyond the AWS managed policy to launch a copy of such a group.",
            );
        }
        ui.label(
            RichText::new(format!(
                "The role will trust {CODEDEPLOY_PRINCIPAL} and have the AWS managed policy {} attached.",
                self.platform
                    .managed_policy_arn()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
            ))
            .weak(),
        );
    }

    fn review_ui(&self, ui: &mut egui::Ui, account: Option<&str>, region: &str) {
        let Some(account) = account else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Finding which account this is…");
            });
            return;
        };
        let plan = self.plan(account, region);
        review_plan_ui(ui, &plan);
    }

    fn run_ui(&mut self, ui: &mut egui::Ui) -> Option<ServiceRoleRequest> {
        let Some(run) = &mut self.run else {
            self.step = 2;
            return None;
        };
        let mut request = run.ui(ui).map(ServiceRoleRequest::Run);
        let complete = run.is_complete();
        if complete {
            ui.label(
                RichText::new(format!(
                    "Done: the role {} is ready for a deployment group.",
                    self.role_name.trim()
                ))
                .color(wizard::DONE_GREEN),
            );
        }
        if !run.running {
            ui.separator();
            let made = complete.then(|| self.role_arn.clone()).flatten();
            ui.horizontal_wrapped(|ui| {
                if complete && self.returns_to_group {
                    if ui
                        .add(
                            Action::primary("Back to the deployment group")
                                .icon(icons::ICON_ARROW_BACK)
                                .hover("Go on with the deployment group, with this role chosen"),
                        )
                        .clicked()
                    {
                        request = Some(ServiceRoleRequest::Close(made.clone()));
                    }
                } else if let Some(arn) = made.clone()
                    && ui
                        .add(
                            Action::primary("Next: create an instance profile")
                                .icon(icons::ICON_ARROW_FORWARD)
                                .hover("The role your instances use to download revisions"),
                        )
                        .clicked()
                {
                    request = Some(ServiceRoleRequest::Continue(arn));
                }
                if ui.add(Action::secondary("Back to the review")).clicked() {
                    self.step = 2;
                }
                if ui.add(Action::secondary("Close")).clicked() {
                    request = Some(ServiceRoleRequest::Close(made));
                }
            });
        }
        request
    }
}

/// The review page of a plan: first what will be made, with its settings,
/// in words; then each call by its API name, its input collapsed with a
/// button that copies it as an AWS CLI command; then every command at once.
pub fn review_plan_ui(ui: &mut egui::Ui, plan: &SetupPlan) {
    ui.label(RichText::new("What will be made").strong().size(15.0));
    for (index, step) in plan.steps.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{}.", index + 1)).strong());
            ui.label(RichText::new(step.summary()).strong());
        });
        ui.indent(("details", index), |ui| {
            for line in step.details() {
                ui.add(egui::Label::new(line).wrap());
            }
        });
    }
    ui.label(
        RichText::new(
            "What already exists exactly as shown is reused; what exists but differs is reported, never overwritten without asking.",
        )
        .weak(),
    );
    ui.add_space(10.0);
    ui.label(RichText::new("The calls, in order").strong().size(15.0));
    for (index, step) in plan.steps.iter().enumerate() {
        let title = format!("{}. {} request", index + 1, step.operation());
        egui::CollapsingHeader::new(title.as_str())
            .id_salt(("call", index))
            .default_open(false)
            .show(ui, |ui| {
                let name = format!("Copy the {} call as an AWS CLI command", step.operation());
                if ui
                    .add(
                        Action::secondary(&name)
                            .visible("Copy as AWS CLI")
                            .icon(icons::ICON_CONTENT_COPY)
                            .small()
                            .hover(&name),
                    )
                    .clicked()
                {
                    ui.ctx().copy_text(step.cli_command());
                }
                json_ui(
                    ui,
                    &format!("{} request", step.operation()),
                    &step.request(),
                );
            });
    }
    egui::CollapsingHeader::new("All calls as AWS CLI commands")
        .id_salt("all_calls")
        .default_open(false)
        .show(ui, |ui| wizard::cli_ui(ui, &plan.cli_script()));
}
