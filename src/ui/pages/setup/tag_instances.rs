//! The tag instances page: a table of the account's EC2 instances, filtered
//! by state and by tags, where the person selects rows and adds or removes
//! a tag on all of them at once. Tags are how a deployment group chooses
//! its instances, so this is the everyday way to put instances into one.
//!
//! The tag filter reads like a deployment group's tag filters (`key=value`,
//! `key` or `=value`, several separated by commas, any of them matching)
//! and is matched by [`crate::domain::tags`], so the rows shown are the
//! instances a deployment group with those filters would deploy to.

use std::collections::{BTreeMap, BTreeSet};

use egui::{Align, Layout, RichText};

use crate::cloud::ec2::{self, Ec2InstanceSummary, RESOURCE_BATCH, TagRemoval};
use crate::cloud::{CloudError, Session};
use crate::domain::names::{TagError, TagPart, validate_tag};
use crate::domain::tags::{TagFilter, TagSelection};
use crate::ui::widgets::wizard;

/// The order EC2's states are offered in by the state filter.
const STATE_ORDER: [&str; 6] = [
    "pending",
    "running",
    "stopping",
    "stopped",
    "shutting-down",
    "terminated",
];

/// The widths of the table's columns before the tags, in points.
const COLUMN_WIDTHS: [f32; 5] = [200.0, 150.0, 100.0, 100.0, 120.0];

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum TagsAction {
    /// List every instance of the region.
    Load,
    /// Make a change to instances' tags.
    Apply(TagChange),
}

/// A change to the tags of some instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// Set `key`=`value` on the instances (replacing another value).
    Add {
        /// The instances.
        instance_ids: Vec<String>,
        /// The key.
        key: String,
        /// The value (may be empty).
        value: String,
    },
    /// Remove the tag `key` from the instances, or only where it has
    /// `value`.
    Remove {
        /// The instances.
        instance_ids: Vec<String>,
        /// The key.
        key: String,
        /// The value the tag must have to be removed; `None` for any.
        value: Option<String>,
    },
}

impl TagChange {
    /// The instances the change is sent for.
    pub fn instance_ids(&self) -> &[String] {
        match self {
            Self::Add { instance_ids, .. } | Self::Remove { instance_ids, .. } => instance_ids,
        }
    }

    /// The tag as a person reads it: `Role=web`, or `Role` for any value.
    pub fn tag_text(&self) -> String {
        match self {
            Self::Add { key, value, .. }
            | Self::Remove {
                key,
                value: Some(value),
                ..
            } => format!("{key}={value}"),
            Self::Remove {
                key, value: None, ..
            } => key.clone(),
        }
    }

    /// What the page says when `done` instances were changed.
    fn done_text(&self, done: usize) -> String {
        match self {
            Self::Add { .. } => format!("Tagged {} with {}.", instances(done), self.tag_text()),
            Self::Remove { .. } => format!(
                "Removed the tag {} from {}.",
                self.tag_text(),
                instances(done)
            ),
        }
    }
}

/// A result for the page.
#[derive(Debug, Clone, PartialEq)]
pub enum TagsEvent {
    /// The instances, or why they could not be listed.
    Loaded(Result<Vec<Ec2InstanceSummary>, CloudError>),
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

/// Runs `action` against AWS, reporting progress through `report`, and
/// returns the final event for the page. Runs as a background job.
pub async fn run(session: &Session, action: TagsAction, report: impl Fn(TagsEvent)) -> TagsEvent {
    let change = match action {
        TagsAction::Load => return TagsEvent::Loaded(ec2::list_instances(session, None).await),
        TagsAction::Apply(change) => change,
    };
    let total = change.instance_ids().len();
    let mut done = 0;
    for batch in change.instance_ids().chunks(RESOURCE_BATCH) {
        let result = match &change {
            TagChange::Add { key, value, .. } => {
                ec2::create_tags(session, batch, &[(key.clone(), value.clone())]).await
            }
            TagChange::Remove { key, value, .. } => {
                let removal = TagRemoval {
                    key: key.clone(),
                    value: value.clone(),
                };
                ec2::delete_tags(session, batch, &[removal]).await
            }
        };
        if let Err(error) = result {
            return TagsEvent::Applied {
                done,
                result: Err(error),
            };
        }
        done += batch.len();
        if done < total {
            report(TagsEvent::Progress { done, total });
        }
    }
    TagsEvent::Applied {
        done,
        result: Ok(()),
    }
}

/// "1 instance", "7 instances".
fn instances(count: usize) -> String {
    if count == 1 {
        "1 instance".to_owned()
    } else {
        format!("{count} instances")
    }
}

/// Reads the tag filter a person typed: terms separated by commas, each
/// `key=value` (`KEY_AND_VALUE`), `key` (`KEY_ONLY`) or `=value`
/// (`VALUE_ONLY`), an instance passing if ANY term matches one of its tags,
/// as with a deployment group's list of tag filters. Blank text filters
/// nothing (`None`). A term is split at its first `=`; spaces around keys
/// and values are ignored. Each term is checked as CodeDeploy checks a tag
/// filter, and the message says which term is wrong.
pub fn parse_tag_query(text: &str) -> Result<Option<TagSelection>, String> {
    let mut filters = Vec::new();
    for term in text
        .split(',')
        .map(str::trim)
        .filter(|term| !term.is_empty())
    {
        let (key, value) = match term.split_once('=') {
            Some((key, value)) => (key.trim(), value.trim()),
            None => (term, ""),
        };
        let filter = TagFilter::from_api(Some(key), Some(value), None)
            .map_err(|error| format!("\"{term}\": {error}"))?;
        filters.push(filter);
    }
    Ok((!filters.is_empty()).then_some(TagSelection::AnyOf(filters)))
}

/// Which instances are selected, by id. Instances hidden by the filters
/// stay selected; the count says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    ids: BTreeSet<String>,
}

impl Selection {
    /// Whether `instance_id` is selected.
    pub fn contains(&self, instance_id: &str) -> bool {
        self.ids.contains(instance_id)
    }

    /// Selects or deselects `instance_id`.
    pub fn set(&mut self, instance_id: &str, selected: bool) {
        if selected {
            self.ids.insert(instance_id.to_owned());
        } else {
            self.ids.remove(instance_id);
        }
    }

    /// Adds every one of `instance_ids` (the visible rows) to the selection.
    pub fn select_all<'a>(&mut self, instance_ids: impl IntoIterator<Item = &'a str>) {
        self.ids.extend(instance_ids.into_iter().map(str::to_owned));
    }

    /// Deselects everything.
    pub fn clear(&mut self) {
        self.ids.clear();
    }

    /// Forgets instances that are no longer listed.
    pub fn retain_listed<'a>(&mut self, listed: impl IntoIterator<Item = &'a str>) {
        let listed: BTreeSet<&str> = listed.into_iter().collect();
        self.ids.retain(|id| listed.contains(id.as_str()));
    }

    /// How many instances are selected.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The selected ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// "3 of 10 selected", and how many of them the filters hide, given the
    /// `total` listed and the `visible` ids.
    pub fn summary<'a>(&self, total: usize, visible: impl IntoIterator<Item = &'a str>) -> String {
        let shown = visible
            .into_iter()
            .filter(|id| self.ids.contains(*id))
            .count();
        let hidden = self.ids.len().saturating_sub(shown);
        let hidden = if hidden > 0 {
            format!(" ({hidden} hidden by the filters)")
        } else {
            String::new()
        };
        format!("{} of {total} selected{hidden}", self.ids.len())
    }
}

/// How the table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    /// By instance id.
    #[default]
    InstanceId,
    /// By the `Name` tag (instances without one last), then by id.
    Name,
}

/// The order of the table: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    /// The column.
    pub column: SortColumn,
    /// Whether it runs Z to A.
    pub descending: bool,
}

impl Sort {
    /// Sorting by `column`: A to Z at first, then the other way each time
    /// it is asked for again.
    fn toggled(self, column: SortColumn) -> Self {
        Self {
            column,
            descending: self.column == column && !self.descending,
        }
    }
}

/// The rows to show, as indexes into `instances`: those in `state` (any
/// when `None`) that `query` selects (all when `None`), in `sort` order.
pub fn visible_rows(
    instances: &[Ec2InstanceSummary],
    state: Option<&str>,
    query: Option<&TagSelection>,
    sort: Sort,
) -> Vec<usize> {
    let mut rows: Vec<usize> = instances
        .iter()
        .enumerate()
        .filter(|(_, instance)| state.is_none_or(|state| instance.state == state))
        .filter(|(_, instance)| query.is_none_or(|query| instance.is_selected_by(query)))
        .map(|(index, _)| index)
        .collect();
    rows.sort_by(|&left, &right| {
        let (left, right) = (&instances[left], &instances[right]);
        let order = match sort.column {
            SortColumn::InstanceId => left.instance_id.cmp(&right.instance_id),
            SortColumn::Name => match (&left.name, &right.name) {
                (Some(l), Some(r)) => l.to_lowercase().cmp(&r.to_lowercase()).then(l.cmp(r)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| left.instance_id.cmp(&right.instance_id)),
        };
        if sort.descending {
            order.reverse()
        } else {
            order
        }
    });
    rows
}

/// How many of the `selected` instances `change` would change: for an
/// addition those without exactly that tag, for a removal those with it.
/// Returns the ids.
pub fn affected<'a>(
    instances: &'a [Ec2InstanceSummary],
    selection: &Selection,
    tag: &TagEdit,
) -> Vec<&'a str> {
    instances
        .iter()
        .filter(|instance| selection.contains(&instance.instance_id))
        .filter(|instance| {
            let current = instance.tags.get(&tag.key);
            match tag.kind {
                EditKind::Add => current != Some(&tag.value),
                EditKind::Remove => {
                    current.is_some_and(|current| tag.any_value || *current == tag.value)
                }
            }
        })
        .map(|instance| instance.instance_id.as_str())
        .collect()
}

/// Whether a tag is being added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// Added (or its value replaced).
    Add,
    /// Removed.
    Remove,
}

/// A tag as the action bar has it, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEdit {
    /// Added or removed.
    pub kind: EditKind,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// For a removal: whatever the value is.
    pub any_value: bool,
}

/// The problems with a tag's key and value, each for its own field. An
/// empty key is not a problem to show (the button says what is missing).
pub fn tag_problems(key: &str, value: &str) -> (Option<String>, Option<String>) {
    if key.is_empty() {
        return (
            None,
            validate_tag("k", value)
                .err()
                .map(|error| error.to_string()),
        );
    }
    match validate_tag(key, value) {
        Ok(()) => (None, None),
        Err(
            error @ (TagError::TooLong {
                part: TagPart::Value,
                ..
            }
            | TagError::BadCharacter {
                part: TagPart::Value,
                ..
            }),
        ) => (None, Some(error.to_string())),
        Err(error) => {
            // The key is wrong; the value may be too.
            let value_problem = validate_tag("k", value)
                .err()
                .map(|error| error.to_string());
            (Some(error.to_string()), value_problem)
        }
    }
}

/// The tags but `Name` as `Environment=prod, Role=web`; a tag with an
/// empty value is shown by its key.
pub fn compact_tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .filter(|(key, _)| key.as_str() != "Name")
        .map(|(key, value)| {
            if value.is_empty() {
                key.clone()
            } else {
                format!("{key}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the table's rows were worked out from.
#[derive(Debug, Clone, PartialEq)]
struct ViewKey {
    state: Option<String>,
    query: String,
    sort: Sort,
}

/// What the page asks of the Setup page.
#[derive(Debug, Clone, PartialEq)]
pub enum TagInstancesRequest {
    /// Something for the app to do.
    Action(TagsAction),
    /// Back to the chooser.
    Close,
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
                    Ok(()) => Ok(running.change.done_text(done)),
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
            "Environment=production, Role, =web",
            problem.as_deref(),
        )
        .on_hover_text(
            "key=value, key (any value) or =value (any key); separate several with commas. An instance is shown if any of them matches, as with a deployment group's tag filters.",
        );
        // A filter that does not read yet filters nothing more than the
        // state does, rather than hiding every row while typing.
        parse_tag_query(&self.query).ok().flatten()
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

    /// Why `edit` cannot run yet, if it cannot.
    fn blocked(&self, edit: &TagEdit) -> Option<String> {
        if self.selection.is_empty() {
            return Some("Select the instances first.".to_owned());
        }
        if edit.key.is_empty() {
            return Some("Type a tag key.".to_owned());
        }
        if let (Some(problem), _) | (_, Some(problem)) = tag_problems(&edit.key, &edit.value) {
            return Some(problem);
        }
        None
    }

    fn add_ui(&mut self, ui: &mut egui::Ui, busy: bool) -> Option<TagsAction> {
        let edit = self.add_edit();
        let (key_problem, value_problem) = tag_problems(&edit.key, &edit.value);
        wizard::field_ui(
            ui,
            "Tag key",
            &mut self.add_key,
            "Role",
            key_problem.as_deref(),
        );
        wizard::field_ui(
            ui,
            "Tag value",
            &mut self.add_value,
            "web",
            value_problem.as_deref(),
        );
        let edit = self.add_edit();
        let blocked = self.blocked(&edit);
        let changed = affected(&self.instances, &self.selection, &edit).len();
        let mut action = None;
        ui.horizontal(|ui| {
            let button = ui.add_enabled(!busy && blocked.is_none(), egui::Button::new("Add tag"));
            let button = match &blocked {
                Some(reason) => button.on_disabled_hover_text(reason),
                None => button.on_hover_text("Set this tag on every selected instance"),
            };
            if button.clicked() {
                action = Some(TagsAction::Apply(TagChange::Add {
                    instance_ids: self.selection.ids().map(str::to_owned).collect(),
                    key: edit.key.clone(),
                    value: edit.value.clone(),
                }));
            }
            if let Some(reason) = &blocked {
                ui.label(RichText::new(reason).weak());
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
        wizard::field_ui(
            ui,
            "Key to remove",
            &mut self.remove_key,
            "Role",
            key_problem.as_deref(),
        );
        ui.checkbox(&mut self.remove_only_value, "Only where the value is")
            .on_hover_text("Leave the tag alone on instances where it has another value");
        if self.remove_only_value {
            wizard::field_ui(
                ui,
                "Value to remove",
                &mut self.remove_value,
                "web",
                value_problem.as_deref(),
            );
        }
        let edit = self.remove_edit();
        let mut blocked = self.blocked(&edit);
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
        if blocked.is_none() && targets.is_empty() {
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
                self.confirming = Some(change);
            }
            match &blocked {
                Some(reason) => ui.label(RichText::new(reason).weak()),
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

    fn sort_button_ui(&mut self, ui: &mut egui::Ui, column: SortColumn, title: &str) {
        let text = if self.sort.column == column {
            let direction = if self.sort.descending { "Z-A" } else { "A-Z" };
            format!("{title} ({direction})")
        } else {
            title.to_owned()
        };
        let response = ui
            .add(egui::Button::new(RichText::new(text).strong()).frame(false))
            .on_hover_text(format!("Sort by {title}"));
        if response.clicked() {
            self.sort = self.sort.toggled(column);
        }
    }

    fn table_ui(&mut self, ui: &mut egui::Ui) {
        if self.instances.is_empty() {
            ui.label(RichText::new("This account has no EC2 instances in this region.").weak());
            return;
        }
        let row_height = ui.spacing().interact_size.y;
        ui.horizontal(|ui| {
            cell_ui(ui, COLUMN_WIDTHS[0], row_height, |ui| {
                self.sort_button_ui(ui, SortColumn::InstanceId, "Instance");
            });
            cell_ui(ui, COLUMN_WIDTHS[1], row_height, |ui| {
                self.sort_button_ui(ui, SortColumn::Name, "Name");
            });
            for (width, title) in COLUMN_WIDTHS[2..]
                .iter()
                .zip(["State", "Type", "Private IP"])
            {
                cell_ui(ui, *width, row_height, |ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
            ui.label(RichText::new("Tags").strong());
        });
        ui.separator();
        if self.visible.is_empty() {
            ui.label(RichText::new("No instance matches the filters.").weak());
            return;
        }
        let Self {
            instances,
            tags_text,
            visible,
            selection,
            ..
        } = self;
        egui::ScrollArea::vertical()
            .id_salt("tag_instances_table")
            .auto_shrink([false, true])
            .show_rows(ui, row_height, visible.len(), |ui, range| {
                for &index in &visible[range] {
                    let instance = &instances[index];
                    ui.horizontal(|ui| {
                        cell_ui(ui, COLUMN_WIDTHS[0], row_height, |ui| {
                            let mut selected = selection.contains(&instance.instance_id);
                            if ui
                                .checkbox(&mut selected, instance.instance_id.as_str())
                                .changed()
                            {
                                selection.set(&instance.instance_id, selected);
                            }
                        });
                        let cells = [
                            instance.name.as_deref().unwrap_or("-"),
                            instance.state.as_str(),
                            instance.instance_type.as_str(),
                            instance.private_ip.as_deref().unwrap_or("-"),
                        ];
                        for (width, text) in COLUMN_WIDTHS[1..].iter().zip(cells) {
                            cell_ui(ui, *width, row_height, |ui| {
                                ui.add(egui::Label::new(text).truncate());
                            });
                        }
                        let tags = match tags_text[index].as_str() {
                            "" => "(no tags)",
                            text => text,
                        };
                        ui.add(egui::Label::new(tags).truncate());
                    });
                }
            });
    }
}

/// A table cell of a fixed width.
fn cell_ui(ui: &mut egui::Ui, width: f32, height: f32, content: impl FnOnce(&mut egui::Ui)) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        Layout::left_to_right(Align::Center),
        |ui| {
            ui.set_width(width);
            content(ui);
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::names::TagFilterType;

    fn instance(
        id: &str,
        name: Option<&str>,
        state: &str,
        tags: &[(&str, &str)],
    ) -> Ec2InstanceSummary {
        let mut tags: BTreeMap<String, String> = tags
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        if let Some(name) = name {
            tags.insert("Name".to_owned(), name.to_owned());
        }
        Ec2InstanceSummary {
            instance_id: id.to_owned(),
            name: name.map(str::to_owned),
            state: state.to_owned(),
            tags,
            ..Ec2InstanceSummary::default()
        }
    }

    fn fleet() -> Vec<Ec2InstanceSummary> {
        vec![
            instance(
                "i-3",
                Some("web-b"),
                "running",
                &[("Env", "prod"), ("Role", "web")],
            ),
            instance(
                "i-1",
                Some("db"),
                "stopped",
                &[("Env", "prod"), ("Role", "db")],
            ),
            instance("i-2", None, "running", &[("Env", "test")]),
            instance(
                "i-4",
                Some("Web-a"),
                "running",
                &[("Env", "test"), ("Role", "web")],
            ),
        ]
    }

    fn ids(instances: &[Ec2InstanceSummary], rows: &[usize]) -> Vec<String> {
        rows.iter()
            .map(|&index| instances[index].instance_id.clone())
            .collect()
    }

    #[test]
    fn tag_filter_terms_read_as_deployment_group_filters() {
        let Some(TagSelection::AnyOf(filters)) =
            parse_tag_query(" Env = prod , Role,=web,, ").unwrap()
        else {
            panic!("a list of filters");
        };
        assert_eq!(
            filters,
            [
                TagFilter::key_and_value("Env", "prod"),
                TagFilter::key_only("Role"),
                TagFilter::value_only("web"),
            ]
        );
        assert_eq!(filters[1].kind, TagFilterType::KeyOnly);
        // A value may hold '='; the term splits at the first one.
        assert_eq!(
            parse_tag_query("url=a=b").unwrap(),
            Some(TagSelection::AnyOf(vec![TagFilter::key_and_value(
                "url", "a=b"
            )]))
        );
        assert_eq!(parse_tag_query("  ").unwrap(), None);
    }

    #[test]
    fn a_tag_filter_that_cannot_match_says_which_term_is_wrong() {
        let error = parse_tag_query("Env=prod, =").unwrap_err();
        assert!(error.starts_with("\"=\": "), "{error}");
        assert!(error.contains("neither a key nor a value"), "{error}");
        let error = parse_tag_query("Env=pr*d!").unwrap_err();
        assert!(error.contains("character '*'"), "{error}");
        let error = parse_tag_query(&"k".repeat(129)).unwrap_err();
        assert!(error.contains("the limit is 128"), "{error}");
    }

    #[test]
    fn rows_are_filtered_by_state_and_any_tag_filter_and_sorted() {
        let fleet = fleet();
        let all = visible_rows(&fleet, None, None, Sort::default());
        assert_eq!(ids(&fleet, &all), ["i-1", "i-2", "i-3", "i-4"]);
        let running = visible_rows(&fleet, Some("running"), None, Sort::default());
        assert_eq!(ids(&fleet, &running), ["i-2", "i-3", "i-4"]);
        let query = parse_tag_query("Role=db, =test").unwrap();
        let rows = visible_rows(&fleet, None, query.as_ref(), Sort::default());
        assert_eq!(ids(&fleet, &rows), ["i-1", "i-2", "i-4"]);
        let rows = visible_rows(&fleet, Some("running"), query.as_ref(), Sort::default());
        assert_eq!(ids(&fleet, &rows), ["i-2", "i-4"]);
        // By name, case aside, instances without a name last.
        let by_name = Sort::default().toggled(SortColumn::Name);
        let rows = visible_rows(&fleet, None, None, by_name);
        assert_eq!(ids(&fleet, &rows), ["i-1", "i-4", "i-3", "i-2"]);
        let reversed = by_name.toggled(SortColumn::Name);
        assert!(reversed.descending);
        let rows = visible_rows(&fleet, None, None, reversed);
        assert_eq!(ids(&fleet, &rows), ["i-2", "i-3", "i-4", "i-1"]);
        let by_id_down = Sort::default().toggled(SortColumn::InstanceId);
        let rows = visible_rows(&fleet, None, None, by_id_down);
        assert_eq!(ids(&fleet, &rows), ["i-4", "i-3", "i-2", "i-1"]);
    }

    #[test]
    fn selecting_all_visible_keeps_hidden_rows_selected_and_counts_them() {
        let mut selection = Selection::default();
        selection.set("i-1", true);
        selection.select_all(["i-3", "i-4"]);
        assert_eq!(selection.len(), 3);
        assert_eq!(
            selection.summary(10, ["i-3", "i-4"]),
            "3 of 10 selected (1 hidden by the filters)"
        );
        assert_eq!(
            selection.summary(10, ["i-1", "i-3", "i-4"]),
            "3 of 10 selected"
        );
        selection.set("i-3", false);
        assert_eq!(selection.ids().collect::<Vec<_>>(), ["i-1", "i-4"]);
        // Instances gone from the listing leave the selection.
        selection.retain_listed(["i-4", "i-5"]);
        assert_eq!(selection.ids().collect::<Vec<_>>(), ["i-4"]);
        selection.clear();
        assert!(selection.is_empty());
        assert_eq!(selection.summary(10, ["i-4"]), "0 of 10 selected");
    }

    #[test]
    fn the_preview_counts_only_instances_the_change_alters() {
        let fleet = fleet();
        let mut selection = Selection::default();
        selection.select_all(["i-1", "i-2", "i-3"]);
        let add = TagEdit {
            kind: EditKind::Add,
            key: "Role".to_owned(),
            value: "web".to_owned(),
            any_value: false,
        };
        // i-3 already has Role=web; i-4 is not selected.
        assert_eq!(affected(&fleet, &selection, &add), ["i-1", "i-2"]);
        let remove_any = TagEdit {
            kind: EditKind::Remove,
            any_value: true,
            value: String::new(),
            ..add.clone()
        };
        // In the listing's order.
        assert_eq!(affected(&fleet, &selection, &remove_any), ["i-3", "i-1"]);
        let remove_web = TagEdit {
            kind: EditKind::Remove,
            ..add
        };
        assert_eq!(affected(&fleet, &selection, &remove_web), ["i-3"]);
    }

    #[test]
    fn tag_problems_are_shown_at_the_field_they_concern() {
        assert_eq!(tag_problems("Role", "web"), (None, None));
        assert_eq!(tag_problems("", ""), (None, None));
        let (key, value) = tag_problems("aws:x", "web");
        assert!(key.is_some_and(|key| key.contains("reserved for AWS")));
        assert_eq!(value, None);
        let (key, value) = tag_problems(&"k".repeat(129), &"v".repeat(257));
        assert!(key.is_some_and(|key| key.contains("129 characters long; the limit is 128")));
        assert!(value.is_some_and(|value| value.contains("257 characters long; the limit is 256")));
        let (key, value) = tag_problems("Role", "a|b");
        assert_eq!(key, None);
        assert!(value.is_some_and(|value| value.contains("'|'")));
    }

    #[test]
    fn tags_are_shown_compactly_without_the_name() {
        let fleet = fleet();
        assert_eq!(compact_tags(&fleet[0].tags), "Env=prod, Role=web");
        let mut tags = BTreeMap::new();
        tags.insert("Flag".to_owned(), String::new());
        assert_eq!(compact_tags(&tags), "Flag");
    }

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
