//! A registered revision as a Lambda or ECS deployment's AppSpec: one of
//! the application's revisions in S3 (an AppSpec file, YAML or JSON),
//! read so that the linter and the pre-flight timeline see what it says.

use egui::RichText;

use crate::cloud::deployments::Revision;
use crate::cloud::revisions::S3Revision;
use crate::ui::widgets::button::Action;
use crate::ui::widgets::loadable::Loadable;

/// What the registered revision pick needs read next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisteredLoad {
    /// The application's registered revisions in S3.
    Revisions(String),
    /// The AppSpec a revision holds.
    Text(S3Revision),
}

/// The application's registered revisions and the one picked.
#[derive(Debug, Clone, Default)]
pub struct RegisteredPick {
    /// The application's revisions in S3, newest registration first.
    pub revisions: Loadable<Vec<S3Revision>>,
    /// The application they are of.
    pub revisions_for: String,
    picked: Option<S3Revision>,
    /// The AppSpec the picked revision holds.
    pub text: Loadable<String>,
    /// The revision the text is of.
    pub text_for: Option<S3Revision>,
}

/// The bundle type CodeDeploy is told for an AppSpec file: JSON for a
/// `.json` key, YAML otherwise.
fn bundle_type(key: &str) -> &'static str {
    if key.to_ascii_lowercase().ends_with(".json") {
        "JSON"
    } else {
        "YAML"
    }
}

/// A revision as the dropdown shows it.
fn shown(revision: &S3Revision) -> String {
    format!("s3://{}/{}", revision.bucket, revision.key)
}

impl RegisteredPick {
    /// A pick of `revision`, e.g. the one the Revisions page deploys.
    pub fn of(revision: S3Revision) -> Self {
        Self {
            picked: Some(revision),
            ..Self::default()
        }
    }

    /// The picked revision's AppSpec text, once read.
    pub fn text(&self) -> &str {
        match (&self.text, &self.text_for) {
            (Loadable::Loaded(text), Some(of)) if Some(of) == self.picked.as_ref() => text,
            _ => "",
        }
    }

    /// The revision to deploy, or what is missing.
    pub fn revision(&self) -> Result<Revision, String> {
        let picked = self
            .picked
            .as_ref()
            .ok_or_else(|| "Pick a registered revision.".to_owned())?;
        Ok(Revision::S3 {
            bucket: picked.bucket.clone(),
            key: picked.key.clone(),
            bundle_type: Some(bundle_type(&picked.key).to_owned()),
            version: picked.version.clone(),
            etag: picked.etag.clone(),
        })
    }

    /// Draws the pick for `application`. Returns what is to be read next.
    pub fn ui(&mut self, ui: &mut egui::Ui, application: Option<&str>) -> Option<RegisteredLoad> {
        let Some(application) = application else {
            ui.label(RichText::new("Choose the application first.").weak());
            return None;
        };
        if self.revisions_for != application {
            self.picked = None;
            // Asked for until the request goes out, which marks it.
            return Some(RegisteredLoad::Revisions(application.to_owned()));
        }
        let revisions = match &self.revisions {
            Loadable::NotLoaded | Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the application's revisions…");
                });
                return None;
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Try again")).clicked() {
                    self.revisions_for.clear();
                }
                return None;
            }
            Loadable::Loaded(revisions) => revisions.clone(),
        };
        if revisions.is_empty() {
            ui.label(
                RichText::new(format!(
                    "{application} has no revisions registered in S3. Upload its AppSpec file (YAML or JSON) to S3 and register it, or build the AppSpec here."
                ))
                .weak(),
            );
            return None;
        }
        // The pick is kept by its bucket and key (a revision handed in
        // may carry less than the list), else the newest is picked.
        self.picked = self
            .picked
            .as_ref()
            .and_then(|picked| {
                revisions
                    .iter()
                    .find(|revision| revision.bucket == picked.bucket && revision.key == picked.key)
            })
            .or_else(|| revisions.first())
            .cloned();
        ui.horizontal(|ui| {
            let label = ui.label("Revision");
            let current = self.picked.as_ref().map(shown).unwrap_or_default();
            egui::ComboBox::from_id_salt("deploy_registered_revision")
                .width(ui.available_width().min(420.0))
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for revision in &revisions {
                        let selected = self.picked.as_ref() == Some(revision);
                        if ui.selectable_label(selected, shown(revision)).clicked() {
                            self.picked = Some(revision.clone());
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        let picked = self.picked.clone()?;
        if self.text_for.as_ref() != Some(&picked) {
            return Some(RegisteredLoad::Text(picked));
        }
        match &self.text {
            Loadable::NotLoaded | Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading its AppSpec…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.add(Action::secondary("Read it again")).clicked() {
                    self.text_for = None;
                }
            }
            Loadable::Loaded(_) => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(key: &str) -> S3Revision {
        S3Revision {
            bucket: "releases".to_owned(),
            key: key.to_owned(),
            bundle: None,
            etag: Some("abc".to_owned()),
            version: None,
        }
    }

    #[test]
    fn the_picked_revision_is_deployed_from_s3_as_yaml_or_json() {
        let mut pick = RegisteredPick::default();
        assert_eq!(
            pick.revision(),
            Err("Pick a registered revision.".to_owned())
        );
        pick.picked = Some(revision("orders/appspec.json"));
        assert_eq!(
            pick.revision(),
            Ok(Revision::S3 {
                bucket: "releases".to_owned(),
                key: "orders/appspec.json".to_owned(),
                bundle_type: Some("JSON".to_owned()),
                version: None,
                etag: Some("abc".to_owned()),
            })
        );
        pick.picked = Some(revision("orders/appspec.yaml"));
        assert!(matches!(
            pick.revision(),
            Ok(Revision::S3 { bundle_type: Some(kind), .. }) if kind == "YAML"
        ));
    }

    #[test]
    fn the_text_is_the_picked_revisions_only() {
        let mut pick = RegisteredPick {
            picked: Some(revision("a.yaml")),
            text: Loadable::Loaded("version: 0.0".to_owned()),
            text_for: Some(revision("b.yaml")),
            ..RegisteredPick::default()
        };
        assert_eq!(pick.text(), "");
        pick.text_for = Some(revision("a.yaml"));
        assert_eq!(pick.text(), "version: 0.0");
    }
}
