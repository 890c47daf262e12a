//! What the tag instances page works with, apart from drawing it: the tag
//! filter read as deployment group filters, the selection, the order of the
//! rows, which instances a change would alter, and the words for a tag and
//! for what a change did.

use std::collections::{BTreeMap, BTreeSet};

use crate::cloud::ec2::Ec2InstanceSummary;
use crate::cloud::tagging::TagChange;
use crate::domain::names::{TagPart, validate_tag};
use crate::domain::setup::check_tag_row;
use crate::domain::tags::{TagFilter, TagSelection};

/// "1 instance", "7 instances".
pub fn instances(count: usize) -> String {
    if count == 1 {
        "1 instance".to_owned()
    } else {
        format!("{count} instances")
    }
}

/// What the page says when `done` instances were changed by `change`.
pub fn done_text(change: &TagChange, done: usize) -> String {
    match change {
        TagChange::Add { .. } => format!("Tagged {} with {}.", instances(done), change.tag_text()),
        TagChange::Remove { .. } => format!(
            "Removed the tag {} from {}.",
            change.tag_text(),
            instances(done)
        ),
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
    pub(super) fn toggled(self, column: SortColumn) -> Self {
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

/// The problems with a tag's key and value, each for its own field: a
/// row without a key (empty, or a value alone) is refused at the key, as
/// [`check_tag_row`] says.
pub fn tag_problems(key: &str, value: &str) -> (Option<String>, Option<String>) {
    match check_tag_row(key, value) {
        Ok(()) => (None, None),
        Err(error) if error.part() == TagPart::Value => (None, Some(error.to_string())),
        Err(error) => {
            // The key is wrong; the value may be too.
            let value_problem = validate_tag("k", value.trim())
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
pub(super) struct ViewKey {
    pub(super) state: Option<String>,
    pub(super) query: String,
    pub(super) sort: Sort,
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
        let (key, value) = tag_problems("", "");
        assert!(key.is_some_and(|key| key.contains("type a tag key")));
        assert_eq!(value, None);
        let (key, value) = tag_problems("", "web");
        assert!(key.is_some_and(|key| key.contains("key that goes with the value \"web\"")));
        assert_eq!(value, None);
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
}
