//! The tag instances page: a table of the account's EC2 instances, filtered
//! by state and by tags, where the person selects rows and adds or removes
//! a tag on all of them at once. Tags are how a deployment group chooses
//! its instances, so this is the everyday way to put instances into one.
//!
//! The tag filter reads like a deployment group's tag filters (`key=value`,
//! `key` or `=value`, several separated by commas, any of them matching)
//! and is matched by [`crate::domain::tags`], so the rows shown are the
//! instances a deployment group with those filters would deploy to.
//!
//! This file holds the page's state and draws it; `model` what the page
//! works with apart from drawing (filters, selection, order, the words for
//! a change), `table` the table. The change itself is sent in batches by
//! [`crate::cloud::tagging`].

pub(super) mod model;
mod table;

use egui::RichText;

use crate::cloud::CloudError;
use crate::cloud::ec2::Ec2InstanceSummary;
use crate::cloud::tagging::TagChange;
use crate::domain::readiness::Readiness;
use crate::domain::tags::TagSelection;
use crate::ui::pages::deploy::readiness::{ReadinessPanel, ReadinessRequest};
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::wizard::{self, Touched};

use model::{
    EditKind, Selection, Sort, TagEdit, ViewKey, affected, compact_tags, done_text, instances,
    parse_tag_query, tag_problems, visible_rows,
};

/// The order EC2's states are offered in by the state filter.
const STATE_ORDER: [&str; 6] = [
    "pending",
    "running",
    "stopping",
    "stopped",
    "shutting-down",
    "terminated",
];

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum TagsAction {
    /// List every instance of the region.
    Load,
    /// Make a change to instances' tags.
    Apply(TagChange),
    /// Check the selected instances' readiness, or fix it.
    Readiness(ReadinessRequest),
}

/// A result for the page.
#[derive(Debug, Clone, PartialEq)]
pub enum TagsEvent {
    /// The instances, or why they could not be listed.
    Loaded(Result<Vec<Ec2InstanceSummary>, CloudError>),
    /// The selected instances' readiness.
    Readiness(Result<Vec<Readiness>, CloudError>),
    /// How a readiness fix is getting on.
    FixProgress {
        /// Which run.
        run: u64,
        /// Its progress.
        progress: crate::cloud::setup::Progress,
    },
    /// A readiness fix ended.
    FixEnded {
        /// Which run.
        run: u64,
    },
    /// `done` of `total` instances have been changed so far.
    Progress {
        /// Instances changed so far.
        done: usize,
        /// Instances to change.
        total: usize,
    },
    /// The change ended after `done` instances, with an error if AWS
    /// refused a batch.
    Applied {
        /// Instances changed.
        done: usize,
        /// Whether it all went through.
        result: Result<(), CloudError>,
    },
}

/// What the page asks of the Setup page.
#[derive(Debug, Clone, PartialEq)]
pub enum TagInstancesRequest {
    /// Something for the app to do.
    Action(TagsAction),
    /// Back to the chooser.
    Close,
    /// On to the deployment group wizard.
    Continue,
}

/// A change on its way.
#[derive(Debug, Clone)]
struct Running {
    change: TagChange,
    done: usize,
}

/// Where the listing of instances stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Listing {
    /// Nothing to do.
    #[default]
    Idle,
    /// To be asked for in the next frame.
    Wanted,
    /// On its way.
    Loading,
}

/// The tag instances page's state.
#[derive(Debug, Clone, Default)]
pub struct TagInstancesPage {
    instances: Vec<Ec2InstanceSummary>,
    /// Each instance's tags but `Name`, written out once.
    tags_text: Vec<String>,
    /// Whether a listing has arrived since the page opened.
    loaded: bool,
    /// Whether a listing is wanted or on its way.
    listing: Listing,
    load_error: Option<String>,
    state_filter: Option<String>,
    query: String,
    sort: Sort,
    /// The rows shown, as indexes into `instances`, and what they came
    /// from.
    visible: Vec<usize>,
    view_key: Option<ViewKey>,
    selection: Selection,
    add_key: String,
    add_value: String,
    remove_key: String,
    remove_value: String,
    remove_only_value: bool,
    /// A removal waiting for the person's confirmation.
    confirming: Option<TagChange>,
    running: Option<Running>,
    /// What the last change did, or why it stopped.
    outcome: Option<Result<String, String>>,
    /// The fields of the add and remove forms used, and whether their
    /// buttons were pressed: errors show only then.
    add_touched: Touched,
    remove_touched: Touched,
    /// The readiness of the selection, once asked for.
    readiness: Option<ReadinessPanel>,
}

impl TagInstancesPage {
    /// A page that lists the instances when first drawn.
    pub fn new() -> Self {
        Self {
            listing: Listing::Wanted,
            ..Self::default()
        }
    }

    /// Applies a result.
    pub fn apply(&mut self, event: TagsEvent) {
        match event {
            TagsEvent::Readiness(result) => {
                if let Some(panel) = &mut self.readiness {
                    panel.loaded(crate::ui::widgets::loadable::loaded(result));
                }
            }
            TagsEvent::FixProgress { run, progress } => {
                if let Some(panel) = &mut self.readiness {
                    panel.fix_progress(run, progress);
                }
            }
            TagsEvent::FixEnded { run } => {
                if let Some(panel) = &mut self.readiness {
                    panel.fix_ended(run);
                }
            }
            TagsEvent::Loaded(result) => {
                self.listing = Listing::Idle;
                match result {
                    Ok(instances) => {
                        self.selection
                            .retain_listed(instances.iter().map(|i| i.instance_id.as_str()));
                        self.tags_text = instances
                            .iter()
                            .map(|instance| compact_tags(&instance.tags))
                            .collect();
                        self.instances = instances;
                        self.loaded = true;
                        self.load_error = None;
                        self.view_key = None;
                    }
                    Err(error) => self.load_error = Some(error.to_string()),
                }
            }
            TagsEvent::Progress { done, .. } => {
                if let Some(running) = &mut self.running {
                    running.done = done;
                }
            }
            TagsEvent::Applied { done, result } => {
                let Some(running) = self.running.take() else {
                    return;
                };
                self.outcome = Some(match result {
                    Ok(()) => Ok(done_text(&running.change, done)),
                    Err(error) if done == 0 => Err(format!("Nothing was changed. {error}")),
                    Err(error) => Err(format!(
                        "Stopped after {} of {}: {error}",
                        done,
                        instances(running.change.instance_ids().len())
                    )),
                });
                // Show what AWS now has, whatever happened.
                self.listing = Listing::Wanted;
            }
        }
    }

    /// Whether a change is on its way.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Works the visible rows out again if the filters, the order or the
    /// listing changed since the last frame.
    fn refresh_view(&mut self, query: Option<&TagSelection>) {
        let key = ViewKey {
            state: self.state_filter.clone(),
            query: self.query.clone(),
            sort: self.sort,
        };
        if self.view_key.as_ref() != Some(&key) {
            self.visible = visible_rows(
                &self.instances,
                self.state_filter.as_deref(),
                query,
                self.sort,
            );
            self.view_key = Some(key);
        }
    }

    /// Draws the page.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<TagInstancesRequest> {
        let mut request = None;
        if self.listing == Listing::Wanted {
            self.listing = Listing::Loading;
            request = Some(TagInstancesRequest::Action(TagsAction::Load));
        }
        ui.heading("Tag instances");
        ui.label("A deployment group deploys to the instances its tags select. Select instances here and add or remove a tag on all of them at once.");
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(self.listing == Listing::Idle, egui::Button::new("Refresh"))
                .on_hover_text("List the instances again")
                .clicked()
            {
                self.listing = Listing::Wanted;
            }
            if ui
                .button("Close")
                .on_hover_text("Back to the setup wizards")
                .clicked()
            {
                request = Some(TagInstancesRequest::Close);
            }
            if ui
                .add(
                    Action::secondary("Next: create a deployment group")
                        .icon(icons::ICON_ARROW_FORWARD)
                        .hover("Choose instances by the tags they carry"),
                )
                .clicked()
            {
                request = Some(TagInstancesRequest::Continue);
            }
            if self.listing != Listing::Idle {
                ui.spinner();
                ui.label("Listing instances…");
            }
        });
        if let Some(error) = &self.load_error {
            ui.label(
                RichText::new(format!("The instances could not be listed: {error}"))
                    .color(ui.visuals().error_fg_color),
            );
        }
        if !self.loaded {
            return request;
        }
        let query = self.filters_ui(ui);
        self.refresh_view(query.as_ref());
        self.selection_ui(ui);
        if let Some(wanted) = self.readiness_ui(ui) {
            request = Some(TagInstancesRequest::Action(TagsAction::Readiness(wanted)));
        }
        ui.add_space(4.0);
        if let Some(action) = self.actions_ui(ui) {
            request = Some(TagInstancesRequest::Action(action));
        }
        ui.add_space(4.0);
        self.table_ui(ui);
        request
    }

    /// The state and tag filters. Returns the tag filter when it reads.
    fn filters_ui(&mut self, ui: &mut egui::Ui) -> Option<TagSelection> {
        let mut states: Vec<&str> = STATE_ORDER
            .iter()
            .copied()
            .filter(|state| {
                self.state_filter.as_deref() == Some(*state)
                    || self.instances.iter().any(|i| i.state == *state)
            })
            .collect();
        // A state EC2 may add one day is offered too.
        for instance in &self.instances {
            if !STATE_ORDER.contains(&instance.state.as_str())
                && !states.contains(&instance.state.as_str())
            {
                states.push(instance.state.as_str());
            }
        }
        let mut chosen = self.state_filter.clone();
        ui.horizontal_wrapped(|ui| {
            ui.label("State:");
            ui.selectable_value(&mut chosen, None, "All states")
                .on_hover_text(format!("{} instances", self.instances.len()));
            for state in states {
                let count = self.instances.iter().filter(|i| i.state == state).count();
                ui.selectable_value(&mut chosen, Some(state.to_owned()), state)
                    .on_hover_text(format!("Only {state} instances ({count})"));
            }
        });
        self.state_filter = chosen;
        let problem = parse_tag_query(&self.query).err();
        wizard::field_ui(
            ui,
            "Tag filter",
            &mut self.query,
            "e.g. Environment=production, Role",
            problem.as_deref(),
        )
        .on_hover_text(
            "key=value, key (any value) or =value (any key); separate several with commas. An instance is shown if any of them matches, as with a deployment group's tag filters.",
        );
        // A filter that does not read yet filters nothing more than the
        // state does, rather than hiding every row while typing.
        parse_tag_query(&self.query).ok().flatten()
    }

    /// Whether the selected instances are ready to be deployed to: asked
    /// for with a button, then checked again whenever the selection
    /// changes.
    fn readiness_ui(&mut self, ui: &mut egui::Ui) -> Option<ReadinessRequest> {
        let ids = || -> Vec<String> { self.selection.ids().map(str::to_owned).collect() };
        let Some(panel) = &mut self.readiness else {
            if ui
                .add_enabled(
                    !self.selection.is_empty(),
                    Action::secondary("Check whether the selected instances are ready to deploy to"),
                )
                .on_hover_text("Instance profile, Systems Manager and the CodeDeploy agent of each selected instance")
                .clicked()
            {
                let mut panel = ReadinessPanel::default();
                let wanted = panel.wanted(ids(), None);
                self.readiness = Some(panel);
                return wanted;
            }
            return None;
        };
        if self.selection.is_empty() {
            self.readiness = None;
            return None;
        }
        let mut request = panel.wanted(ids(), None);
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            if let Some(wanted) = panel.ui(ui) {
                request = Some(wanted);
            }
        });
        request
    }

    fn selection_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let summary = self.selection.summary(
                self.instances.len(),
                self.visible
                    .iter()
                    .map(|&index| self.instances[index].instance_id.as_str()),
            );
            ui.label(RichText::new(summary).strong());
            if ui
                .add_enabled(
                    !self.visible.is_empty(),
                    egui::Button::new("Select all visible"),
                )
                .on_hover_text("Select every instance the filters show")
                .clicked()
            {
                self.selection.select_all(
                    self.visible
                        .iter()
                        .map(|&index| self.instances[index].instance_id.as_str()),
                );
            }
            if ui
                .add_enabled(
                    !self.selection.is_empty(),
                    egui::Button::new("Clear selection"),
                )
                .clicked()
            {
                self.selection.clear();
            }
            ui.label(
                RichText::new(format!(
                    "Showing {} of {}",
                    self.visible.len(),
                    self.instances.len()
                ))
                .weak(),
            );
        });
    }

    /// The bulk action bar: add a tag, remove a tag, the confirmation and
    /// the progress or outcome of the last change.
    fn actions_ui(&mut self, ui: &mut egui::Ui) -> Option<TagsAction> {
        let mut action = None;
        let busy = self.running.is_some();
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(420.0);
                    ui.label(RichText::new("Add a tag").strong());
                    if let Some(change) = self.add_ui(ui, busy) {
                        action = Some(change);
                    }
                });
                // A separator here would stretch to the page's full height.
                ui.add_space(24.0);
                ui.vertical(|ui| {
                    ui.set_width(420.0);
                    ui.label(RichText::new("Remove a tag").strong());
                    self.remove_ui(ui, busy);
                });
            });
            if let Some(change) = self.confirm_ui(ui) {
                action = Some(change);
            }
            self.status_ui(ui);
        });
        if let Some(TagsAction::Apply(change)) = &action {
            self.running = Some(Running {
                change: change.clone(),
                done: 0,
            });
            self.outcome = None;
        }
        action
    }

    fn add_edit(&self) -> TagEdit {
        TagEdit {
            kind: EditKind::Add,
            key: self.add_key.trim().to_owned(),
            value: self.add_value.trim().to_owned(),
            any_value: false,
        }
    }

    fn remove_edit(&self) -> TagEdit {
        TagEdit {
            kind: EditKind::Remove,
            key: self.remove_key.trim().to_owned(),
            value: if self.remove_only_value {
                self.remove_value.trim().to_owned()
            } else {
                String::new()
            },
            any_value: !self.remove_only_value,
        }
    }

    /// Why `edit` cannot run yet, if that is not about a field (the
    /// fields say their own problems).
    fn blocked(&self) -> Option<String> {
        self.selection
            .is_empty()
            .then(|| "Select the instances first.".to_owned())
    }

    /// Whether `edit`'s key or value is refused.
    fn has_problems(edit: &TagEdit) -> bool {
        let (key, value) = tag_problems(&edit.key, &edit.value);
        key.is_some() || value.is_some()
    }

    fn add_ui(&mut self, ui: &mut egui::Ui, busy: bool) -> Option<TagsAction> {
        let edit = self.add_edit();
        let (key_problem, value_problem) = tag_problems(&edit.key, &edit.value);
        let touched = &mut self.add_touched;
        let response = wizard::reserved_field_ui(
            ui,
            "Tag key",
            &mut self.add_key,
            "e.g. Role",
            touched.shown("key", key_problem.as_deref()),
        );
        touched.note("key", &response);
        let response = wizard::reserved_field_ui(
            ui,
            "Tag value",
            &mut self.add_value,
            "e.g. web",
            touched.shown("value", value_problem.as_deref()),
        );
        touched.note("value", &response);
        // A value typed alone is a missing key: it shows at the key.
        if response.changed() && self.add_key.trim().is_empty() {
            touched.touch("key");
        }
        let edit = self.add_edit();
        let blocked = self.blocked();
        let problems = Self::has_problems(&edit);
        let changed = affected(&self.instances, &self.selection, &edit).len();
        let mut action = None;
        ui.horizontal(|ui| {
            let button = ui.add_enabled(!busy && blocked.is_none(), egui::Button::new("Add tag"));
            let button = match &blocked {
                Some(reason) => button.on_disabled_hover_text(reason),
                None => button.on_hover_text("Set this tag on every selected instance"),
            };
            if button.clicked() {
                if problems {
                    self.add_touched.attempt();
                } else {
                    action = Some(TagsAction::Apply(TagChange::Add {
                        instance_ids: self.selection.ids().map(str::to_owned).collect(),
                        key: edit.key.clone(),
                        value: edit.value.clone(),
                    }));
                }
            }
            if let Some(reason) = &blocked {
                ui.label(RichText::new(reason).weak());
            } else if problems {
                ui.label(RichText::new("Type the tag above.").weak());
            } else {
                let unchanged = self.selection.len() - changed;
                let already = if unchanged > 0 {
                    format!(" {unchanged} already have it.")
                } else {
                    String::new()
                };
                ui.label(format!("Will change {}.{already}", instances(changed)));
            }
        });
        action
    }

    fn remove_ui(&mut self, ui: &mut egui::Ui, busy: bool) {
        let edit = self.remove_edit();
        let (key_problem, value_problem) = tag_problems(&edit.key, &edit.value);
        let touched = &mut self.remove_touched;
        let response = wizard::reserved_field_ui(
            ui,
            "Key to remove",
            &mut self.remove_key,
            "e.g. Role",
            touched.shown("key", key_problem.as_deref()),
        );
        touched.note("key", &response);
        ui.checkbox(&mut self.remove_only_value, "Only where the value is")
            .on_hover_text("Leave the tag alone on instances where it has another value");
        if self.remove_only_value {
            let response = wizard::reserved_field_ui(
                ui,
                "Value to remove",
                &mut self.remove_value,
                "e.g. web",
                touched.shown("value", value_problem.as_deref()),
            );
            touched.note("value", &response);
            if response.changed() && self.remove_key.trim().is_empty() {
                touched.touch("key");
            }
        }
        let edit = self.remove_edit();
        let problems = Self::has_problems(&edit);
        let mut blocked = self.blocked();
        let targets: Vec<String> = affected(&self.instances, &self.selection, &edit)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let change = TagChange::Remove {
            key: edit.key.clone(),
            value: (!edit.any_value).then(|| edit.value.clone()),
            instance_ids: targets.clone(),
        };
        // A confirmation is for exactly what it names: if the tag or the
        // selection changes, it is asked again.
        if self
            .confirming
            .as_ref()
            .is_some_and(|asked| *asked != change)
        {
            self.confirming = None;
        }
        if blocked.is_none() && !problems && targets.is_empty() {
            blocked = Some(format!(
                "None of the selected instances has the tag {}.",
                if edit.any_value {
                    edit.key.clone()
                } else {
                    format!("{}={}", edit.key, edit.value)
                }
            ));
        }
        ui.horizontal(|ui| {
            let enabled = !busy && blocked.is_none() && self.confirming.is_none();
            let button = ui.add_enabled(enabled, egui::Button::new("Remove tag"));
            let button = match &blocked {
                Some(reason) => button.on_disabled_hover_text(reason),
                None => button.on_hover_text("Remove this tag from the selected instances"),
            };
            if button.clicked() {
                if problems {
                    self.remove_touched.attempt();
                } else {
                    self.confirming = Some(change);
                }
            }
            match &blocked {
                Some(reason) => ui.label(RichText::new(reason).weak()),
                None if problems => ui.label(RichText::new("Type the tag above.").weak()),
                None => ui.label(format!("Will change {}.", instances(targets.len()))),
            };
        });
    }

    fn confirm_ui(&mut self, ui: &mut egui::Ui) -> Option<TagsAction> {
        let change = self.confirming.clone()?;
        let mut action = None;
        ui.separator();
        ui.label(
            RichText::new(format!(
                "Remove the tag {} from {}? Deployment groups that select instances by this tag will no longer deploy to them.",
                change.tag_text(),
                instances(change.instance_ids().len())
            ))
            .color(ui.visuals().warn_fg_color),
        );
        ui.horizontal(|ui| {
            if ui.button("Confirm removal").clicked() {
                self.confirming = None;
                action = Some(TagsAction::Apply(change.clone()));
            }
            if ui.button("Keep the tag").clicked() {
                self.confirming = None;
            }
        });
        action
    }

    fn status_ui(&self, ui: &mut egui::Ui) {
        if let Some(running) = &self.running {
            let total = running.change.instance_ids().len();
            let verb = match running.change {
                TagChange::Add { .. } => "Tagging",
                TagChange::Remove { .. } => "Removing the tag from",
            };
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{verb} {} of {total} instances…", running.done));
            });
        } else if let Some(outcome) = &self.outcome {
            let (text, colour) = match outcome {
                Ok(text) => (text.as_str(), egui::Color32::from_rgb(0x2e, 0x9d, 0x5b)),
                Err(text) => (text.as_str(), ui.visuals().error_fg_color),
            };
            ui.label(RichText::new(text).color(colour));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_say_how_many_instances_changed() {
        let mut page = TagInstancesPage::new();
        let change = TagChange::Add {
            instance_ids: vec!["i-1".to_owned(), "i-2".to_owned()],
            key: "Role".to_owned(),
            value: "web".to_owned(),
        };
        page.running = Some(Running {
            change: change.clone(),
            done: 0,
        });
        page.listing = Listing::Idle;
        page.apply(TagsEvent::Progress { done: 1, total: 2 });
        assert_eq!(page.running.as_ref().map(|r| r.done), Some(1));
        page.apply(TagsEvent::Applied {
            done: 2,
            result: Ok(()),
        });
        assert_eq!(
            page.outcome,
            Some(Ok("Tagged 2 instances with Role=web.".to_owned()))
        );
        assert_eq!(page.listing, Listing::Wanted);
        assert!(!page.is_running());
        page.running = Some(Running { change, done: 0 });
        page.apply(TagsEvent::Applied {
            done: 0,
            result: Err(CloudError::Other("AWS said no.".to_owned())),
        });
        assert_eq!(
            page.outcome,
            Some(Err("Nothing was changed. AWS said no.".to_owned()))
        );
    }
}
