//! The picks an ECS deployment's AppSpec is built from in the Deploy
//! dialog: a task definition family and revision from the account, the
//! container and port of that revision that takes the load balancer's
//! traffic, and the Lambda functions of the hooks. The group's service
//! gives the first picks: the family it runs, the newest revision, and the
//! container it serves traffic from.

use std::fmt::Write as _;

use egui::RichText;

use crate::cloud::ecs::{EcsDeployChoices, revision_of};
use crate::domain::appspec_lint::ECS_HOOKS;
use crate::ui::widgets::button::Action;
use crate::ui::widgets::loadable::Loadable;

use super::appspec::combo_row;
use super::form_grid;

/// What the ECS picks need read from the account next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcsLoad {
    /// The group's service and the account's families.
    Choices {
        /// The application.
        application: String,
        /// The group.
        group: String,
    },
    /// The revisions of a family.
    Revisions(String),
    /// The containers and ports of a revision (its ARN).
    Containers(String),
}

/// The ECS picks and what they are picked from.
#[derive(Debug, Clone, Default)]
pub struct EcsPicks {
    /// The group's service and the families, read for `choices_for`.
    pub choices: Loadable<EcsDeployChoices>,
    /// The application and group the choices are for.
    pub choices_for: Option<(String, String)>,
    /// The revisions (ARNs, newest first) of `revisions_for`.
    pub revisions: Loadable<Vec<String>>,
    /// The family the revisions are of.
    pub revisions_for: String,
    /// The containers and ports of `containers_for`.
    pub containers: Loadable<Vec<(String, i32)>>,
    /// The revision the containers are of.
    pub containers_for: String,
    family: String,
    /// The revision's ARN.
    revision: String,
    container: String,
    port: Option<i32>,
    /// The hook functions, in the order of [`ECS_HOOKS`] (empty: none).
    hooks: [String; 5],
}

impl EcsPicks {
    /// Everything picked, to tell when a pick changed.
    fn picked(&self) -> (String, String, String, Option<i32>, [String; 5]) {
        (
            self.family.clone(),
            self.revision.clone(),
            self.container.clone(),
            self.port,
            self.hooks.clone(),
        )
    }

    /// The AppSpec the picks make, or nothing until the revision, the
    /// container and its port are picked.
    pub fn built(&self) -> String {
        let Some(port) = self.port.filter(|_| !self.revision.is_empty()) else {
            return String::new();
        };
        if self.container.is_empty() {
            return String::new();
        }
        let mut text = format!(
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{revision}\"\n        LoadBalancerInfo:\n          ContainerName: \"{container}\"\n          ContainerPort: {port}\n",
            revision = self.revision,
            container = self.container,
        );
        let hooks: Vec<(&str, &String)> = ECS_HOOKS
            .iter()
            .copied()
            .zip(&self.hooks)
            .filter(|(_, function)| !function.is_empty())
            .collect();
        if !hooks.is_empty() {
            text.push_str("Hooks:\n");
            for (event, function) in hooks {
                let _ = writeln!(text, "  - {event}: \"{function}\"");
            }
        }
        text
    }

    /// Draws the picks for a deployment to `target` (application, group),
    /// with `functions` for the hooks. Returns what is to be read next and
    /// whether a pick changed.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        target: Option<(&str, &str)>,
        functions: &[String],
    ) -> (Option<EcsLoad>, bool) {
        let Some((application, group)) = target else {
            ui.label(
                RichText::new("Choose the application and group: the picks come from its service.")
                    .weak(),
            );
            return (None, false);
        };
        let wanted = (application.to_owned(), group.to_owned());
        if self.choices_for.as_ref() != Some(&wanted) {
            // Asked for until the request goes out, which marks it.
            return (
                Some(EcsLoad::Choices {
                    application: wanted.0,
                    group: wanted.1,
                }),
                false,
            );
        }
        let choices = match &self.choices {
            Loadable::NotLoaded | Loadable::Loading => {
                loading_ui(ui, "Reading the group's service and task definitions…");
                return (None, false);
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Try again")).clicked() {
                    self.choices_for = None;
                }
                return (None, false);
            }
            Loadable::Loaded(choices) => choices.clone(),
        };
        if choices.families.is_empty() {
            ui.label(
                RichText::new(
                    "The account has no active task definitions: register one in ECS, then write the AppSpec below.",
                )
                .weak(),
            );
            return (None, false);
        }
        let before = self.picked();
        if self.family.is_empty() {
            choices
                .running_family()
                .filter(|family| choices.families.iter().any(|known| known == family))
                .unwrap_or(&choices.families[0])
                .clone_into(&mut self.family);
        }
        if let Some((cluster, service)) = &choices.service {
            let running = choices
                .running
                .as_deref()
                .and_then(|arn| arn.rsplit('/').next())
                .map_or_else(String::new, |name| format!(", running {name}"));
            ui.label(
                RichText::new(format!(
                    "Deploys to the service {service} in {cluster}{running}."
                ))
                .weak(),
            );
        }
        let load = form_grid("deploy_ecs").show(ui, |ui| {
            combo_row(
                ui,
                "Task definition",
                "deploy_ecs_family",
                &mut self.family,
                &choices.families,
                false,
            );
            let revisions = self.revision_row(ui);
            let containers = self.container_row(ui, &choices);
            for (index, event) in ECS_HOOKS.iter().enumerate() {
                combo_row(
                    ui,
                    &format!("{event} hook"),
                    &format!("deploy_ecs_hook_{event}"),
                    &mut self.hooks[index],
                    functions,
                    true,
                );
            }
            revisions.or(containers)
        });
        (load.inner, self.picked() != before)
    }

    /// The revision row: the family's revisions, newest first, the newest
    /// picked at first. Returns the read it needs.
    fn revision_row(&mut self, ui: &mut egui::Ui) -> Option<EcsLoad> {
        if self.revisions_for != self.family {
            self.revision.clear();
            return Some(EcsLoad::Revisions(self.family.clone()));
        }
        let label = ui.label("Revision");
        match &self.revisions {
            Loadable::Loaded(revisions) => {
                if !revisions.contains(&self.revision) {
                    self.revision = revisions.first().cloned().unwrap_or_default();
                }
                let shown = |arn: &str| {
                    revision_of(arn)
                        .map_or_else(|| arn.to_owned(), |number| format!("revision {number}"))
                };
                egui::ComboBox::from_id_salt("deploy_ecs_revision")
                    .width(super::COMBO_WIDTH)
                    .selected_text(shown(&self.revision))
                    .show_ui(ui, |ui| {
                        for arn in revisions {
                            ui.selectable_value(&mut self.revision, arn.clone(), shown(arn));
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            Loadable::NotLoaded | Loadable::Loading => loading_ui(ui, "Reading the revisions…"),
        }
        ui.end_row();
        None
    }

    /// The container row: the revision's containers with the ports they
    /// map, the one the service serves traffic from picked at first.
    /// Returns the read it needs.
    fn container_row(&mut self, ui: &mut egui::Ui, choices: &EcsDeployChoices) -> Option<EcsLoad> {
        if self.revision.is_empty() {
            return None;
        }
        if self.containers_for != self.revision {
            return Some(EcsLoad::Containers(self.revision.clone()));
        }
        let label = ui.label("Container and port");
        match &self.containers {
            Loadable::Loaded(containers) if containers.is_empty() => {
                ui.label(
                    RichText::new("This revision maps no container port; pick another.")
                        .color(ui.visuals().warn_fg_color),
                );
            }
            Loadable::Loaded(containers) => {
                let picked = (self.container.clone(), self.port.unwrap_or_default());
                if !containers.contains(&picked) {
                    let first = choices
                        .container
                        .as_ref()
                        .filter(|serving| containers.contains(serving))
                        .unwrap_or(&containers[0]);
                    self.container.clone_from(&first.0);
                    self.port = Some(first.1);
                }
                let shown = format!("{} port {}", self.container, self.port.unwrap_or_default());
                egui::ComboBox::from_id_salt("deploy_ecs_container")
                    .width(super::COMBO_WIDTH)
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        for (name, port) in containers {
                            let selected = *name == self.container && Some(*port) == self.port;
                            if ui
                                .selectable_label(selected, format!("{name} port {port}"))
                                .clicked()
                            {
                                self.container.clone_from(name);
                                self.port = Some(*port);
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            Loadable::NotLoaded | Loadable::Loading => loading_ui(ui, "Reading the containers…"),
        }
        ui.end_row();
        None
    }
}

/// A spinner and what is being read.
fn loading_ui(ui: &mut egui::Ui, what: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appspec::shifting::parse_ecs;

    #[test]
    fn the_built_appspec_names_the_revision_container_port_and_hooks_and_parses() {
        let mut picks = EcsPicks {
            revision: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2".to_owned(),
            container: "web".to_owned(),
            port: Some(8080),
            ..EcsPicks::default()
        };
        picks.hooks[2] = "check".to_owned();
        let text = picks.built();
        let parsed = parse_ecs(&text).expect("it parses");
        assert!(text.contains("task-definition/web:2"), "{text}");
        assert!(text.contains("ContainerPort: 8080"), "{text}");
        assert!(
            text.contains("- AfterAllowTestTraffic: \"check\""),
            "{text}"
        );
        assert_eq!(format!("{parsed:?}").matches("check").count(), 1);
    }

    #[test]
    fn nothing_is_built_until_the_revision_container_and_port_are_picked() {
        let mut picks = EcsPicks {
            container: "web".to_owned(),
            port: Some(80),
            ..EcsPicks::default()
        };
        assert_eq!(picks.built(), "");
        picks.revision = "web:1".to_owned();
        picks.port = None;
        assert_eq!(picks.built(), "");
    }
}
