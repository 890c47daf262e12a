//! The revision of a Lambda or ECS deployment in the Deploy dialog: its
//! AppSpec, built from picks (for Lambda: the function, its alias, the
//! current and target versions and the hook functions) and shown as the
//! YAML it makes, which can be edited with the linter's verdict beside it;
//! and the pre-flight plan, a timeline of the configuration's traffic
//! schedule with the hooks placed on it.

use std::time::Duration;

use egui::RichText;

use crate::cloud::lambda::LambdaFunction;
use crate::domain::ComputePlatform;
use crate::domain::appspec::shifting::{parse_ecs, parse_lambda};
use crate::domain::traffic::{PREDEFINED_TRAFFIC, TrafficRouting, predefined};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::loadable::Loadable;

use super::ecs_picks::{EcsLoad, EcsPicks};
use super::registered::{RegisteredLoad, RegisteredPick};
use super::{COMBO_WIDTH, form_grid};
use crate::cloud::deployments::Revision;

/// What the AppSpec's picks need read from the account next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSpecLoad {
    /// The account's Lambda functions (the Lambda picks, and the hooks of
    /// both platforms).
    Functions,
    /// What the ECS picks are picked from.
    Ecs(EcsLoad),
    /// The application's registered revisions, or one's AppSpec.
    Registered(RegisteredLoad),
}

/// The AppSpec of a Lambda or ECS deployment, and the picks it is built
/// from.
#[derive(Debug, Clone, Default)]
pub struct AppSpecBuilder {
    /// The account's functions, for Lambda.
    pub functions: Loadable<Vec<LambdaFunction>>,
    function: String,
    alias: String,
    current: String,
    target: String,
    before_hook: String,
    after_hook: String,
    /// The ECS picks.
    pub ecs: EcsPicks,
    /// Whether a registered revision is deployed instead of the AppSpec
    /// built here.
    use_registered: bool,
    /// The registered revision picked.
    pub registered: RegisteredPick,
    /// The AppSpec's text.
    text: String,
    /// Whether the text was edited by hand: picks no longer rewrite it.
    edited: bool,
}

/// The ECS AppSpec a person starts from: the task definition, container
/// and port to fill in.
const ECS_TEMPLATE: &str = "version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: my-family:2
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 80
Hooks:
  - AfterAllowTestTraffic: my-test-function
";

impl AppSpecBuilder {
    /// A builder holding `text`, as written (e.g. a deployment's own
    /// AppSpec, to deploy it again).
    pub fn with_text(text: String) -> Self {
        Self {
            text,
            edited: true,
            ..Self::default()
        }
    }

    /// A builder deploying the registered revision `revision` (for a
    /// Lambda or ECS application; an EC2 one deploys it as a bundle).
    pub fn with_registered(revision: RegisteredPick) -> Self {
        Self {
            use_registered: true,
            registered: revision,
            ..Self::default()
        }
    }

    /// The AppSpec's text: the one built here, or the registered
    /// revision's once read.
    pub fn text(&self) -> &str {
        if self.use_registered {
            self.registered.text()
        } else {
            &self.text
        }
    }

    /// The revision to deploy for `platform`: the AppSpec built here, or
    /// the registered revision; or what is wrong.
    pub fn revision(&self, platform: ComputePlatform) -> Result<Revision, String> {
        if !self.use_registered {
            return self
                .checked(platform)
                .map(|content| Revision::AppSpec { content });
        }
        let revision = self.registered.revision()?;
        let text = self.registered.text();
        if text.is_empty() {
            return Err("Wait for the revision's AppSpec to be read.".to_owned());
        }
        check(platform, text).map(|_| revision)
    }

    /// The AppSpec checked for `platform`: its text, or what is wrong.
    pub fn checked(&self, platform: ComputePlatform) -> Result<String, String> {
        if self.text.trim().is_empty() {
            return Err(match platform {
                ComputePlatform::Lambda => "Pick the function, alias and versions.".to_owned(),
                _ => "Pick the task definition revision, container and port, or write the AppSpec."
                    .to_owned(),
            });
        }
        check(platform, &self.text).map(str::to_owned)
    }

    /// The Lambda picks: function, alias, current and target version, and
    /// the two hooks.
    fn picks(&self) -> [String; 6] {
        [
            self.function.clone(),
            self.alias.clone(),
            self.current.clone(),
            self.target.clone(),
            self.before_hook.clone(),
            self.after_hook.clone(),
        ]
    }

    /// The text the Lambda picks make.
    fn built(&self) -> String {
        if self.function.is_empty() || self.alias.is_empty() {
            return String::new();
        }
        let mut text = format!(
            "version: 0.0\nResources:\n  - {function}:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: {function}\n        Alias: {alias}\n        CurrentVersion: \"{current}\"\n        TargetVersion: \"{target}\"\n",
            function = self.function,
            alias = self.alias,
            current = self.current,
            target = self.target,
        );
        let hooks: Vec<(&str, &str)> = [
            ("BeforeAllowTraffic", self.before_hook.as_str()),
            ("AfterAllowTraffic", self.after_hook.as_str()),
        ]
        .into_iter()
        .filter(|(_, function)| !function.is_empty())
        .collect();
        if !hooks.is_empty() {
            text.push_str("Hooks:\n");
            for (event, function) in hooks {
                text.push_str("  - ");
                text.push_str(event);
                text.push_str(": ");
                text.push_str(function);
                text.push('\n');
            }
        }
        text
    }

    /// Draws the picks and the AppSpec's text, for a deployment to
    /// `target` (application and group). Returns what is to be read next.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        platform: ComputePlatform,
        target: Option<(&str, &str)>,
    ) -> Option<AppSpecLoad> {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("AppSpec").strong());
            ui.add_space(8.0);
            ui.radio_value(&mut self.use_registered, false, "Build the AppSpec");
            ui.radio_value(&mut self.use_registered, true, "A registered revision");
        });
        if self.use_registered {
            let load = self
                .registered
                .ui(ui, target.map(|(application, _)| application))
                .map(AppSpecLoad::Registered);
            let text = self.registered.text();
            if !text.is_empty() {
                let label = ui.label("Its AppSpec");
                let mut shown = text;
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .code_editor()
                        .desired_rows(6)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                verdict_ui(ui, check(platform, text).map(|_| ()));
            }
            return load;
        }
        let load = if platform == ComputePlatform::Lambda {
            self.lambda_picks_ui(ui).then_some(AppSpecLoad::Functions)
        } else {
            self.ecs_picks_ui(ui, target)
        };
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(if self.edited {
                    "Edited by hand: the picks above no longer change it."
                } else {
                    "Built from the picks above; edit it to write your own."
                })
                .weak(),
            );
            if self.edited
                && ui
                    .add(
                        Action::secondary("Rebuild from the picks")
                            .icon(icons::ICON_REFRESH)
                            .small(),
                    )
                    .clicked()
            {
                self.edited = false;
                self.text = match platform {
                    ComputePlatform::Lambda => self.built(),
                    _ => self.ecs.built(),
                };
            }
        });
        let label = ui.label("AppSpec YAML");
        let before = self.text.clone();
        ui.add(
            egui::TextEdit::multiline(&mut self.text)
                .code_editor()
                .desired_rows(10)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        if self.text != before {
            self.edited = true;
        }
        verdict_ui(ui, self.checked(platform).map(|_| ()));
        load
    }

    /// The ECS picks, and the Lambda functions their hooks are picked
    /// from. Returns what is to be read next.
    fn ecs_picks_ui(
        &mut self,
        ui: &mut egui::Ui,
        target: Option<(&str, &str)>,
    ) -> Option<AppSpecLoad> {
        let names: Vec<String> = match &self.functions {
            Loadable::Loaded(functions) => functions
                .iter()
                .map(|function| function.name.clone())
                .collect(),
            _ => Vec::new(),
        };
        let (load, changed) = self.ecs.ui(ui, target, &names);
        if !self.edited && (changed || self.text.is_empty()) {
            self.text = self.ecs.built();
        }
        let nothing_to_pick = match &self.ecs.choices {
            Loadable::Loaded(choices) => choices.families.is_empty(),
            Loadable::Failed(_) => true,
            _ => false,
        };
        if nothing_to_pick && self.text.is_empty() {
            // Nothing to pick from: a template to fill in by hand.
            ECS_TEMPLATE.clone_into(&mut self.text);
            self.edited = true;
        }
        match load {
            Some(load) => Some(AppSpecLoad::Ecs(load)),
            None => matches!(self.functions, Loadable::NotLoaded).then_some(AppSpecLoad::Functions),
        }
    }

    /// The function, alias, versions and hooks, picked from the account.
    /// Returns whether the functions are to be loaded.
    fn lambda_picks_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let functions = match &self.functions {
            // Asked for until the request goes out (the dialog sends one
            // request a frame); loading then marks it.
            Loadable::NotLoaded => return true,
            Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the account's Lambda functions…");
                });
                return false;
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Try again")).clicked() {
                    self.functions = Loadable::NotLoaded;
                }
                return false;
            }
            Loadable::Loaded(functions) => functions.clone(),
        };
        if functions.is_empty() {
            ui.label(
                RichText::new("The account has no Lambda functions: create one, publish two versions and give it an alias.")
                    .weak(),
            );
            return false;
        }
        let before = self.picks();
        let names: Vec<String> = functions
            .iter()
            .map(|function| function.name.clone())
            .collect();
        form_grid("deploy_lambda").show(ui, |ui| {
            combo_row(
                ui,
                "Function",
                "deploy_function",
                &mut self.function,
                &names,
                false,
            );
            let chosen = functions
                .iter()
                .find(|function| function.name == self.function);
            let aliases: Vec<String> = chosen
                .map(|function| {
                    function
                        .aliases
                        .iter()
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            combo_row(
                ui,
                "Alias",
                "deploy_alias",
                &mut self.alias,
                &aliases,
                false,
            );
            let versions: Vec<String> = chosen
                .map(|function| function.versions.clone())
                .unwrap_or_default();
            combo_row(
                ui,
                "Current version",
                "deploy_current",
                &mut self.current,
                &versions,
                false,
            );
            let targets: Vec<String> = versions
                .iter()
                .filter(|version| **version != self.current)
                .cloned()
                .collect();
            combo_row(
                ui,
                "Target version",
                "deploy_target_version",
                &mut self.target,
                &targets,
                false,
            );
            combo_row(
                ui,
                "BeforeAllowTraffic hook",
                "deploy_before_hook",
                &mut self.before_hook,
                &names,
                true,
            );
            combo_row(
                ui,
                "AfterAllowTraffic hook",
                "deploy_after_hook",
                &mut self.after_hook,
                &names,
                true,
            );
        });
        // A new function or alias: the alias's version is the current one
        // and the newest other version the target, as a person would pick.
        if [&self.function, &self.alias] != [&before[0], &before[1]]
            && let Some(function) = functions
                .iter()
                .find(|function| function.name == self.function)
        {
            if !function.aliases.iter().any(|(name, _)| *name == self.alias) {
                self.alias = function
                    .aliases
                    .first()
                    .map(|(name, _)| name.clone())
                    .unwrap_or_default();
            }
            if let Some((_, version)) = function
                .aliases
                .iter()
                .find(|(name, _)| *name == self.alias)
            {
                self.current.clone_from(version);
            }
            self.target = function
                .versions
                .iter()
                .rev()
                .find(|version| **version != self.current)
                .cloned()
                .unwrap_or_default();
        }
        let after = self.picks();
        if !self.edited && (after != before || self.text.is_empty()) {
            self.text = self.built();
        }
        false
    }
}

/// `text` checked as an AppSpec of `platform`: what is wrong, if anything.
fn check(platform: ComputePlatform, text: &str) -> Result<&str, String> {
    let problem = match platform {
        ComputePlatform::Ecs => parse_ecs(text).err(),
        _ => parse_lambda(text).err(),
    };
    match problem {
        Some(problem) => Err(format!("The AppSpec: {problem}")),
        None => Ok(text),
    }
}

/// The linter's verdict on an AppSpec, below it.
fn verdict_ui(ui: &mut egui::Ui, verdict: Result<(), String>) {
    let verdict = match verdict {
        Ok(()) => RichText::new("The AppSpec is valid.").color(ui.visuals().weak_text_color()),
        Err(problem) => RichText::new(problem).color(ui.visuals().warn_fg_color),
    };
    ui.label(verdict);
}

/// A row of a form: a label and a dropdown of `options` for `value`
/// (with "none" first when `optional`).
pub(super) fn combo_row(
    ui: &mut egui::Ui,
    label: &str,
    id: &str,
    value: &mut String,
    options: &[String],
    optional: bool,
) {
    let label = ui.label(label);
    let shown = if value.is_empty() {
        if optional { "none" } else { "choose…" }
    } else {
        value.as_str()
    };
    egui::ComboBox::from_id_salt(id)
        .width(COMBO_WIDTH)
        .selected_text(shown.to_owned())
        .show_ui(ui, |ui| {
            if optional {
                ui.selectable_value(value, String::new(), "none");
            }
            for option in options {
                ui.selectable_value(value, option.clone(), option);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// The predefined configurations of `platform`, by name.
pub fn configs_of(platform: ComputePlatform) -> Vec<&'static str> {
    PREDEFINED_TRAFFIC
        .iter()
        .filter(|config| config.platform == platform)
        .map(|config| config.name)
        .collect()
}

/// The pre-flight plan of a Lambda or ECS deployment with configuration
/// `config` (`None`: the group's, not known here) and the AppSpec `text`:
/// the traffic schedule as a timeline with the hooks placed on it, and
/// when it is expected to end.
pub fn traffic_plan_ui(
    ui: &mut egui::Ui,
    config: Option<&str>,
    platform: ComputePlatform,
    text: &str,
) {
    let Some(name) = config else {
        ui.label(
            RichText::new("Pick the deployment configuration above to see its traffic schedule.")
                .weak(),
        );
        return;
    };
    let Some(routing) = predefined(name).map(|known| known.routing) else {
        ui.label(
            RichText::new(format!(
                "{name} is a custom configuration: its schedule is shown in the rollout view once the deployment starts."
            ))
            .weak(),
        );
        return;
    };
    let hooks = match platform {
        ComputePlatform::Ecs => parse_ecs(text).map(|spec| spec.hooks).unwrap_or_default(),
        _ => parse_lambda(text)
            .map(|spec| spec.hooks)
            .unwrap_or_default(),
    };
    let hook = |event: &str| {
        hooks
            .iter()
            .find(|(hooked, _)| hooked.name() == event)
            .map(|(_, function)| format!("{event} hook: {function}"))
    };
    ui.label(format!("Traffic: {routing}"));
    let mut lines: Vec<String> = Vec::new();
    if platform == ComputePlatform::Ecs {
        lines.push(
            "The replacement task set starts and takes the test listener's traffic.".to_owned(),
        );
        lines.extend(hook("AfterAllowTestTraffic"));
    }
    lines.extend(hook("BeforeAllowTraffic"));
    for step in TrafficRouting::schedule(routing) {
        lines.push(format!(
            "Minute {}: {} % on the new {}",
            step.at_minutes,
            step.weight,
            if platform == ComputePlatform::Ecs {
                "task set"
            } else {
                "version"
            }
        ));
    }
    lines.extend(hook("AfterAllowTraffic"));
    for line in &lines {
        ui.label(format!("• {line}"));
    }
    let minutes = routing.total_minutes();
    ui.label(
        RichText::new(format!(
            "Expected to end about {} after it starts, unless a hook fails or takes long.",
            crate::ui::widgets::time::duration(Duration::from_secs(u64::from(minutes) * 60))
        ))
        .weak(),
    );
}
