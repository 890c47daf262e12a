//! Which instances a deployment group's tags select, by CodeDeploy's rules.
//!
//! A deployment group chooses its instances either by a list of tag filters
//! or by a tag set. With a list, an instance is chosen if ANY filter matches
//! one of its tags. With a tag set (up to three groups of filters), it must
//! match at least one filter in EVERY group. A filter matches by its type:
//! `KEY_ONLY` by key, `VALUE_ONLY` by value, `KEY_AND_VALUE` by both. The
//! match is exact: CodeDeploy has no wildcards.
//!
//! The local cloud's deployment engine and the GUI's "which instances
//! match" preview both call these functions, so they always agree.

use super::names::{TagError, TagFilterType, validate_tag_filter};

/// The most groups a tag set may have.
pub const MAX_TAG_SET_GROUPS: usize = 3;

/// One checked tag filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagFilter {
    /// What the filter matches.
    pub kind: TagFilterType,
    /// The key to match (empty for `VALUE_ONLY`).
    pub key: String,
    /// The value to match (empty for `KEY_ONLY`).
    pub value: String,
}

impl TagFilter {
    /// A filter from the API's members, checked by
    /// [`validate_tag_filter`]. A filter without a type is read from what
    /// it names. The part a type does not use is dropped.
    pub fn from_api(
        key: Option<&str>,
        value: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Self, TagError> {
        let kind = validate_tag_filter(key, value, kind)?;
        let key = match kind {
            TagFilterType::ValueOnly => "",
            TagFilterType::KeyOnly | TagFilterType::KeyAndValue => key.unwrap_or_default(),
        };
        let value = match kind {
            TagFilterType::KeyOnly => "",
            TagFilterType::ValueOnly | TagFilterType::KeyAndValue => value.unwrap_or_default(),
        };
        Ok(Self {
            kind,
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }

    /// A `KEY_AND_VALUE` filter.
    pub fn key_and_value(key: &str, value: &str) -> Self {
        Self {
            kind: TagFilterType::KeyAndValue,
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    /// A `KEY_ONLY` filter.
    pub fn key_only(key: &str) -> Self {
        Self {
            kind: TagFilterType::KeyOnly,
            key: key.to_owned(),
            value: String::new(),
        }
    }

    /// A `VALUE_ONLY` filter.
    pub fn value_only(value: &str) -> Self {
        Self {
            kind: TagFilterType::ValueOnly,
            key: String::new(),
            value: value.to_owned(),
        }
    }

    /// Whether the tag `key`=`value` passes this filter.
    pub fn matches_tag(&self, key: &str, value: &str) -> bool {
        self.kind.matches(&self.key, &self.value, key, value)
    }

    /// Whether any of `tags` passes this filter.
    pub fn matches<'a>(&self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        tags.into_iter()
            .any(|(key, value)| self.matches_tag(key, value))
    }
}

/// Whether any of `filters` matches any of `tags`. No filters match
/// nothing.
#[allow(clippy::needless_pass_by_value)] // A cloneable iterator is cheap to take by value.
pub fn matches_any<'a>(
    filters: &[TagFilter],
    tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> bool {
    filters.iter().any(|filter| filter.matches(tags.clone()))
}

/// Whether `tags` match at least one filter of every non-empty group of a
/// tag set. A set without any filter matches nothing.
#[allow(clippy::needless_pass_by_value)] // A cloneable iterator is cheap to take by value.
pub fn matches_every_group<'a>(
    groups: &[Vec<TagFilter>],
    tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> bool {
    let mut groups = groups.iter().filter(|group| !group.is_empty()).peekable();
    groups.peek().is_some() && groups.all(|group| matches_any(group, tags.clone()))
}

/// How a deployment group chooses instances by their tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagSelection {
    /// A list of tag filters: an instance matching ANY of them.
    AnyOf(Vec<TagFilter>),
    /// A tag set: an instance matching at least one filter of EVERY group.
    EveryGroup(Vec<Vec<TagFilter>>),
}

/// Why a tag selection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// A tag set with more groups than CodeDeploy takes.
    #[error("A tag set has {0} groups but CodeDeploy takes at most 3; merge or remove some.")]
    TooManyGroups(usize),
    /// One of the filters is not valid.
    #[error(transparent)]
    Filter(#[from] TagError),
}

impl TagSelection {
    /// A tag set of `groups`, refused when it has more than
    /// [`MAX_TAG_SET_GROUPS`] groups.
    pub fn tag_set(groups: Vec<Vec<TagFilter>>) -> Result<Self, SelectionError> {
        if groups.len() > MAX_TAG_SET_GROUPS {
            return Err(SelectionError::TooManyGroups(groups.len()));
        }
        Ok(Self::EveryGroup(groups))
    }

    /// Whether an instance with `tags` is selected.
    pub fn selects<'a>(&self, tags: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> bool {
        match self {
            Self::AnyOf(filters) => matches_any(filters, tags),
            Self::EveryGroup(groups) => matches_every_group(groups, tags),
        }
    }

    /// The groups of filters that must each match: one group for a list
    /// of filters, every group for a tag set.
    pub fn groups(&self) -> Vec<&[TagFilter]> {
        match self {
            Self::AnyOf(filters) => vec![filters.as_slice()],
            Self::EveryGroup(groups) => groups.iter().map(Vec::as_slice).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(
        pairs: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = (&'a str, &'a str)> + Clone {
        pairs.iter().copied()
    }

    const PROD_WEB: [(&str, &str); 2] = [("Env", "prod"), ("Role", "web")];
    const PROD_DB: [(&str, &str); 2] = [("Env", "prod"), ("Role", "db")];
    const TEST_WEB: [(&str, &str); 2] = [("Env", "test"), ("Role", "web")];

    #[test]
    fn a_list_of_filters_selects_an_instance_matching_any_of_them() {
        let selection = TagSelection::AnyOf(vec![
            TagFilter::key_and_value("Role", "db"),
            TagFilter::key_and_value("Env", "test"),
        ]);
        assert!(!selection.selects(tags(&PROD_WEB)));
        assert!(selection.selects(tags(&PROD_DB)));
        assert!(selection.selects(tags(&TEST_WEB)));
        assert!(!TagSelection::AnyOf(Vec::new()).selects(tags(&PROD_WEB)));
    }

    #[test]
    fn a_tag_set_needs_a_match_in_every_group() {
        let selection = TagSelection::tag_set(vec![
            vec![TagFilter::key_and_value("Env", "prod")],
            vec![
                TagFilter::key_and_value("Role", "web"),
                TagFilter::value_only("api"),
            ],
        ])
        .unwrap();
        assert!(selection.selects(tags(&PROD_WEB)));
        assert!(!selection.selects(tags(&PROD_DB)));
        assert!(!selection.selects(tags(&TEST_WEB)));
        assert!(selection.selects(tags(&[("Env", "prod"), ("Tier", "api")])));
        // Empty groups are ignored; a set with no filters selects nothing.
        let empty = TagSelection::tag_set(vec![Vec::new(), Vec::new()]).unwrap();
        assert!(!empty.selects(tags(&PROD_WEB)));
        let with_empty =
            TagSelection::tag_set(vec![Vec::new(), vec![TagFilter::key_only("Role")]]).unwrap();
        assert!(with_empty.selects(tags(&PROD_DB)));
    }

    #[test]
    fn a_tag_set_has_at_most_three_groups() {
        let group = || vec![TagFilter::key_only("Role")];
        assert!(TagSelection::tag_set(vec![group(), group(), group()]).is_ok());
        let error = TagSelection::tag_set(vec![group(), group(), group(), group()]).unwrap_err();
        assert_eq!(error, SelectionError::TooManyGroups(4));
        assert!(error.to_string().contains("at most 3"));
    }

    #[test]
    fn filters_match_by_their_type_exactly() {
        let key_only =
            TagFilter::from_api(Some("Role"), Some("ignored"), Some("KEY_ONLY")).unwrap();
        assert_eq!(key_only, TagFilter::key_only("Role"));
        assert!(key_only.matches(tags(&PROD_DB)));
        assert!(!key_only.matches(tags(&[("role", "db")])));
        let value_only = TagFilter::from_api(None, Some("web"), None).unwrap();
        assert_eq!(value_only.kind, TagFilterType::ValueOnly);
        assert!(value_only.matches(tags(&TEST_WEB)));
        assert!(!value_only.matches(tags(&PROD_DB)));
        let both = TagFilter::from_api(Some("Env"), Some("prod"), Some("KEY_AND_VALUE")).unwrap();
        assert!(both.matches(tags(&PROD_DB)));
        assert!(!both.matches(tags(&[("Env", "production")])));
        assert!(!both.matches(tags(&[("Other", "prod")])));
        assert!(TagFilter::from_api(None, Some("x"), Some("KEY_ONLY")).is_err());
    }
}
