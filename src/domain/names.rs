//! CodeDeploy's rules for names and tags.
//!
//! Applications, deployment groups, deployment configurations and
//! on-premises instances are named with 1 to 100 characters from a small
//! set: letters, digits and `. _ + = , @ -`. Tags have a key of 1 to 128
//! characters and a value of up to 256, drawn from letters, digits, spaces
//! and `_ . : / = + - @`; keys starting with `aws:` are reserved for AWS.
//! Tag filters (the EC2 and on-premises filters of a deployment group) obey
//! the same length limits and must name what their type says they match.
//!
//! S3 bucket names, which revisions are stored under, follow S3's rules for
//! general purpose buckets (see [`validate_bucket_name`]).
//!
//! Every error says what to change, so the GUI can show it next to the field
//! and the local cloud can return it in its error message.

use std::fmt;

/// The word of `known` that `typed` most likely meant: the same word in
/// other letter case, or one within two edits (a letter missing, added,
/// changed or two swapped) that is not much shorter than what was typed.
/// `None` when nothing is that close, or when `typed` is itself known.
/// Used for "did you mean ...?" in messages.
pub fn closest<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    if typed.is_empty() || known.contains(&typed) {
        return None;
    }
    if let Some(same) = known.iter().find(|word| word.eq_ignore_ascii_case(typed)) {
        return Some(same);
    }
    // Two edits turn any two-letter word into any other, so short words
    // get one.
    let most = if typed.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|word| (strsim::damerau_levenshtein(typed, word), *word))
        .filter(|(distance, _)| *distance <= most)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, word)| word)
}

/// The longest name CodeDeploy accepts for applications, deployment groups,
/// deployment configurations and on-premises instances.
pub const MAX_NAME_LENGTH: usize = 100;
/// The longest tag key.
pub const MAX_TAG_KEY_LENGTH: usize = 128;
/// The longest tag value.
pub const MAX_TAG_VALUE_LENGTH: usize = 256;
/// The most tags one application or deployment group can carry.
pub const MAX_TAGS_PER_RESOURCE: usize = 50;
/// The prefix reserved for the predefined deployment configurations.
pub const RESERVED_CONFIG_PREFIX: &str = "CodeDeployDefault.";
/// The punctuation allowed in names besides letters and digits.
pub const NAME_PUNCTUATION: &str = "._+=,@-";
/// The punctuation allowed in tag keys and values besides letters, digits
/// and spaces.
pub const TAG_PUNCTUATION: &str = "_.:/=+-@";

/// What a name names, so that messages can say which name is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// An application name.
    Application,
    /// A deployment group name.
    DeploymentGroup,
    /// A deployment configuration name.
    DeploymentConfig,
    /// An on-premises instance name.
    OnPremisesInstance,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Application => "application",
            Self::DeploymentGroup => "deployment group",
            Self::DeploymentConfig => "deployment configuration",
            Self::OnPremisesInstance => "on-premises instance",
        })
    }
}

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is the empty string.
    #[error("The {kind} name is empty; give a name of 1 to 100 characters.")]
    Empty {
        /// What the name names.
        kind: NameKind,
    },
    /// The name is longer than [`MAX_NAME_LENGTH`] characters.
    #[error("The {kind} name is {length} characters long; shorten it to at most 100 characters.")]
    TooLong {
        /// What the name names.
        kind: NameKind,
        /// The name's length in characters.
        length: usize,
    },
    /// The name contains a character CodeDeploy does not allow.
    #[error(
        "The {kind} name \"{name}\" contains the character {character:?}; use only letters, digits and . _ + = , @ -"
    )]
    BadCharacter {
        /// What the name names.
        kind: NameKind,
        /// The name as given.
        name: String,
        /// The first character that is not allowed.
        character: char,
    },
    /// A custom deployment configuration name that uses the reserved prefix.
    #[error(
        "Deployment configuration names starting with \"CodeDeployDefault.\" are reserved for the predefined configurations; choose a name without that prefix."
    )]
    ReservedPrefix,
}

/// Checks a name of the given kind against CodeDeploy's rules.
pub fn validate_name(kind: NameKind, name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { kind });
    }
    let length = name.chars().count();
    if length > MAX_NAME_LENGTH {
        return Err(NameError::TooLong { kind, length });
    }
    if let Some(character) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(c)))
    {
        return Err(NameError::BadCharacter {
            kind,
            name: name.to_owned(),
            character,
        });
    }
    Ok(())
}

/// Checks the name of a new custom deployment configuration: the usual name
/// rules, and not the prefix of the predefined configurations.
pub fn validate_custom_config_name(name: &str) -> Result<(), NameError> {
    validate_name(NameKind::DeploymentConfig, name)?;
    if name.starts_with(RESERVED_CONFIG_PREFIX) {
        return Err(NameError::ReservedPrefix);
    }
    Ok(())
}

/// The prefixes S3 reserves: no bucket name may start with them.
pub const RESERVED_BUCKET_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
/// The suffixes S3 reserves for access point aliases, Multi-Region Access
/// Points, directory buckets and table buckets: no bucket name may end with
/// them.
pub const RESERVED_BUCKET_SUFFIXES: [&str; 5] =
    ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Why S3 would refuse a bucket name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketNameError {
    /// Shorter than 3 or longer than 63 characters.
    #[error(
        "The bucket name \"{name}\" is {length} characters long; S3 bucket names have 3 to 63 characters."
    )]
    Length {
        /// The name as given.
        name: String,
        /// Its length in bytes, as S3 counts it.
        length: usize,
    },
    /// A character other than a lowercase letter, a digit, a dot or a hyphen.
    #[error(
        "The bucket name \"{name}\" contains {character:?}; use only lowercase letters, digits, dots and hyphens."
    )]
    BadCharacter {
        /// The name as given.
        name: String,
        /// The first character refused.
        character: char,
    },
    /// A first or last character that is not a letter or digit.
    #[error("The bucket name \"{name}\" must begin and end with a letter or digit.")]
    Edge {
        /// The name as given.
        name: String,
    },
    /// Two dots next to each other.
    #[error(
        "The bucket name \"{name}\" has two dots in a row; separate them with a letter or digit."
    )]
    AdjacentDots {
        /// The name as given.
        name: String,
    },
    /// A name shaped like an IPv4 address.
    #[error("The bucket name \"{name}\" is shaped like an IP address, which S3 does not allow.")]
    IpAddress {
        /// The name as given.
        name: String,
    },
    /// A name starting with a prefix S3 reserves.
    #[error(
        "The bucket name \"{name}\" starts with \"{prefix}\", which S3 reserves; choose a name without that prefix."
    )]
    ReservedPrefix {
        /// The name as given.
        name: String,
        /// The reserved prefix it starts with.
        prefix: &'static str,
    },
    /// A name ending with a suffix S3 reserves.
    #[error(
        "The bucket name \"{name}\" ends with \"{suffix}\", which S3 reserves for access points and other kinds of bucket; choose a name without that suffix."
    )]
    ReservedSuffix {
        /// The name as given.
        name: String,
        /// The reserved suffix it ends with.
        suffix: &'static str,
    },
}

/// Checks an S3 bucket name against S3's rules for general purpose
/// buckets: 3 to 63 lowercase letters, digits, dots and hyphens, starting
/// and ending with a letter or digit, no two dots in a row, not shaped like
/// an IP address, and none of the prefixes and suffixes S3 reserves.
pub fn validate_bucket_name(name: &str) -> Result<(), BucketNameError> {
    let owned = || name.to_owned();
    let length = name.len();
    if !(3..=63).contains(&length) {
        return Err(BucketNameError::Length {
            name: owned(),
            length,
        });
    }
    if let Some(character) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(BucketNameError::BadCharacter {
            name: owned(),
            character,
        });
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Err(BucketNameError::Edge { name: owned() });
    }
    if name.contains("..") {
        return Err(BucketNameError::AdjacentDots { name: owned() });
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(BucketNameError::IpAddress { name: owned() });
    }
    if let Some(prefix) = RESERVED_BUCKET_PREFIXES
        .into_iter()
        .find(|prefix| name.starts_with(prefix))
    {
        return Err(BucketNameError::ReservedPrefix {
            name: owned(),
            prefix,
        });
    }
    if let Some(suffix) = RESERVED_BUCKET_SUFFIXES
        .into_iter()
        .find(|suffix| name.ends_with(suffix))
    {
        return Err(BucketNameError::ReservedSuffix {
            name: owned(),
            suffix,
        });
    }
    Ok(())
}

/// Which part of a tag or tag filter a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagPart {
    /// The key.
    Key,
    /// The value.
    Value,
}

impl fmt::Display for TagPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Key => "key",
            Self::Value => "value",
        })
    }
}

/// Why a tag, a list of tags or a tag filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// A tag without a key.
    #[error("A tag has an empty key; give every tag a key of 1 to 128 characters.")]
    EmptyKey,
    /// A key or value that is too long.
    #[error("The tag {part} \"{text}\" is {length} characters long; the limit is {limit}.")]
    TooLong {
        /// Key or value.
        part: TagPart,
        /// The first characters of the text, for recognition.
        text: String,
        /// The length in characters.
        length: usize,
        /// The limit for this part.
        limit: usize,
    },
    /// A key or value with a character tags may not contain.
    #[error(
        "The tag {part} \"{text}\" contains the character {character:?}; use only letters, digits, spaces and _ . : / = + - @"
    )]
    BadCharacter {
        /// Key or value.
        part: TagPart,
        /// The text as given.
        text: String,
        /// The first character that is not allowed.
        character: char,
    },
    /// A key in the namespace AWS reserves for itself.
    #[error(
        "The tag key \"{0}\" starts with \"aws:\", which is reserved for AWS; choose another key."
    )]
    ReservedPrefix(String),
    /// The same key twice in one list.
    #[error("The tag key \"{0}\" is given more than once; give each key only once.")]
    DuplicateKey(String),
    /// More tags than a resource may carry.
    #[error("{count} tags were given but a resource can carry at most {limit}; remove some.")]
    TooMany {
        /// How many tags there would be.
        count: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A tag filter type that is not one of the three the API knows.
    #[error("Unknown tag filter type \"{0}\"; use KEY_ONLY, VALUE_ONLY or KEY_AND_VALUE.")]
    UnknownFilterType(String),
    /// A tag filter that lacks the key or value its type needs.
    #[error("A {kind} tag filter needs a {part}; add one or change the filter type.")]
    FilterMissing {
        /// The filter type as given.
        kind: &'static str,
        /// What is missing.
        part: TagPart,
    },
    /// A tag filter with neither key nor value.
    #[error("A tag filter has neither a key nor a value; give at least one.")]
    EmptyFilter,
}

/// Which characters a tag may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagCharacters {
    /// Letters, digits, spaces and `_ . : / = + - @`, as CodeDeploy and
    /// most services allow.
    Restricted,
    /// Any character, as EC2 allows.
    Any,
}

/// Checks the length and characters of one part of a tag.
fn check_tag_text(part: TagPart, text: &str, characters: TagCharacters) -> Result<(), TagError> {
    let limit = match part {
        TagPart::Key => MAX_TAG_KEY_LENGTH,
        TagPart::Value => MAX_TAG_VALUE_LENGTH,
    };
    let length = text.chars().count();
    if length > limit {
        return Err(TagError::TooLong {
            part,
            text: text.chars().take(32).collect(),
            length,
            limit,
        });
    }
    if characters == TagCharacters::Any {
        return Ok(());
    }
    if let Some(character) = text
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == ' ' || TAG_PUNCTUATION.contains(c)))
    {
        return Err(TagError::BadCharacter {
            part,
            text: text.to_owned(),
            character,
        });
    }
    Ok(())
}

/// Checks one tag: a non-empty key that is not reserved, and a value (which
/// may be empty), both within the limits and drawn from `characters`.
fn check_tag(key: &str, value: &str, characters: TagCharacters) -> Result<(), TagError> {
    if key.is_empty() {
        return Err(TagError::EmptyKey);
    }
    check_tag_text(TagPart::Key, key, characters)?;
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(TagError::ReservedPrefix(key.to_owned()));
    }
    check_tag_text(TagPart::Value, value, characters)
}

/// Checks one tag by CodeDeploy's rules: a non-empty key that is not
/// reserved, and a value (which may be empty) within the limits, both of
/// letters, digits, spaces and `_ . : / = + - @`. The app holds the EC2
/// tags it sets to these rules too, so that a deployment group's tag
/// filters can name them.
pub fn validate_tag(key: &str, value: &str) -> Result<(), TagError> {
    check_tag(key, value, TagCharacters::Restricted)
}

/// Checks one tag by EC2's rules, which allow any character: a non-empty
/// key of at most 128 characters that does not start with `aws:`, and a
/// value of at most 256. Whatever this refuses, [`validate_tag`] refuses
/// too.
pub fn validate_ec2_tag(key: &str, value: &str) -> Result<(), TagError> {
    check_tag(key, value, TagCharacters::Any)
}

/// Checks a list of tags for one resource: each tag, no key twice, and no
/// more than `limit` tags.
pub fn validate_tags<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    limit: usize,
) -> Result<(), TagError> {
    let mut keys: Vec<&str> = Vec::new();
    for (key, value) in tags {
        validate_tag(key, value)?;
        if keys.contains(&key) {
            return Err(TagError::DuplicateKey(key.to_owned()));
        }
        keys.push(key);
    }
    if keys.len() > limit {
        return Err(TagError::TooMany {
            count: keys.len(),
            limit,
        });
    }
    Ok(())
}

/// What a tag filter matches, as the API's `Type` member says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagFilterType {
    /// `KEY_ONLY`: any instance with the key, whatever the value.
    KeyOnly,
    /// `VALUE_ONLY`: any instance with a tag of this value, whatever the key.
    ValueOnly,
    /// `KEY_AND_VALUE`: instances with exactly this key and value.
    KeyAndValue,
}

impl TagFilterType {
    /// The type from the API's name for it.
    pub fn from_api(name: &str) -> Result<Self, TagError> {
        match name {
            "KEY_ONLY" => Ok(Self::KeyOnly),
            "VALUE_ONLY" => Ok(Self::ValueOnly),
            "KEY_AND_VALUE" => Ok(Self::KeyAndValue),
            other => Err(TagError::UnknownFilterType(other.to_owned())),
        }
    }

    /// The API's name for this type.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::KeyOnly => "KEY_ONLY",
            Self::ValueOnly => "VALUE_ONLY",
            Self::KeyAndValue => "KEY_AND_VALUE",
        }
    }

    /// Whether the tag `tag_key`=`tag_value` passes a filter of this type
    /// with the given key and value.
    pub fn matches(
        self,
        filter_key: &str,
        filter_value: &str,
        tag_key: &str,
        tag_value: &str,
    ) -> bool {
        match self {
            Self::KeyOnly => filter_key == tag_key,
            Self::ValueOnly => filter_value == tag_value,
            Self::KeyAndValue => filter_key == tag_key && filter_value == tag_value,
        }
    }
}

/// Checks a tag filter and works out its type. A filter without a type is
/// read the way CodeDeploy reads it: by what it names (key and value, key
/// only, or value only). Key and value keep the tag length limits.
pub fn validate_tag_filter(
    key: Option<&str>,
    value: Option<&str>,
    kind: Option<&str>,
) -> Result<TagFilterType, TagError> {
    let key = key.filter(|key| !key.is_empty());
    let value = value.filter(|value| !value.is_empty());
    if let Some(key) = key {
        check_tag_text(TagPart::Key, key, TagCharacters::Restricted)?;
    }
    if let Some(value) = value {
        check_tag_text(TagPart::Value, value, TagCharacters::Restricted)?;
    }
    let filter_type = match kind {
        Some(name) => TagFilterType::from_api(name)?,
        None => match (key, value) {
            (Some(_), Some(_)) => TagFilterType::KeyAndValue,
            (Some(_), None) => TagFilterType::KeyOnly,
            (None, Some(_)) => TagFilterType::ValueOnly,
            (None, None) => return Err(TagError::EmptyFilter),
        },
    };
    let needs_key = matches!(
        filter_type,
        TagFilterType::KeyOnly | TagFilterType::KeyAndValue
    );
    let needs_value = matches!(
        filter_type,
        TagFilterType::ValueOnly | TagFilterType::KeyAndValue
    );
    if needs_key && key.is_none() {
        return Err(TagError::FilterMissing {
            kind: filter_type.api_name(),
            part: TagPart::Key,
        });
    }
    if needs_value && value.is_none() {
        return Err(TagError::FilterMissing {
            kind: filter_type.api_name(),
            part: TagPart::Value,
        });
    }
    Ok(filter_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_one_to_a_hundred_allowed_characters_pass() {
        for name in ["a", "My.App_1", "web+api=prod,eu@team-x", &"x".repeat(100)] {
            assert_eq!(validate_name(NameKind::Application, name), Ok(()), "{name}");
        }
    }

    #[test]
    fn empty_name_is_refused_with_what_to_do() {
        let error = validate_name(NameKind::DeploymentGroup, "").unwrap_err();
        assert_eq!(
            error,
            NameError::Empty {
                kind: NameKind::DeploymentGroup
            }
        );
        assert!(error.to_string().contains("deployment group name is empty"));
        assert!(error.to_string().contains("1 to 100"));
    }

    #[test]
    fn name_of_a_hundred_and_one_characters_is_too_long() {
        let error = validate_name(NameKind::Application, &"a".repeat(101)).unwrap_err();
        assert_eq!(
            error,
            NameError::TooLong {
                kind: NameKind::Application,
                length: 101
            }
        );
        assert!(error.to_string().contains("at most 100"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Non-ASCII letters are refused for their character, not their bytes.
        let error = validate_name(NameKind::Application, "café").unwrap_err();
        assert!(matches!(
            error,
            NameError::BadCharacter {
                character: 'é', ..
            }
        ));
    }

    #[test]
    fn spaces_slashes_and_colons_are_refused_in_names() {
        for (name, bad) in [("my app", ' '), ("a/b", '/'), ("a:b", ':'), ("a*b", '*')] {
            let error = validate_name(NameKind::Application, name).unwrap_err();
            assert_eq!(
                error,
                NameError::BadCharacter {
                    kind: NameKind::Application,
                    name: name.to_owned(),
                    character: bad
                }
            );
            assert!(error.to_string().contains("use only letters, digits"));
        }
    }

    #[test]
    fn custom_configs_cannot_use_the_predefined_prefix() {
        assert_eq!(
            validate_custom_config_name("CodeDeployDefault.Mine"),
            Err(NameError::ReservedPrefix)
        );
        assert_eq!(validate_custom_config_name("Mine.NinetyPercent"), Ok(()));
        assert!(matches!(
            validate_custom_config_name(""),
            Err(NameError::Empty { .. })
        ));
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for good in [
            "deploydesk-revisions.eu",
            "abc",
            &"a".repeat(63),
            "my-xn--bucket",
            "s3alias-first",
        ] {
            assert_eq!(validate_bucket_name(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("Revisions", "lowercase"),
            ("-revisions", "begin and end"),
            ("revisions.", "begin and end"),
            ("a..b", "two dots"),
            ("192.168.1.1", "IP address"),
            ("rev_1", "lowercase"),
            ("xn--revisions", "starts with \"xn--\""),
            ("sthree-configurator-x", "starts with \"sthree-\""),
            ("amzn-s3-demo-bucket", "starts with \"amzn-s3-demo-\""),
            ("revisions-s3alias", "ends with \"-s3alias\""),
            ("revisions--ol-s3", "ends with \"--ol-s3\""),
            ("revisions.mrap", "ends with \".mrap\""),
            ("revisions--use1-az4--x-s3", "ends with \"--x-s3\""),
            ("revisions--table-s3", "ends with \"--table-s3\""),
        ] {
            let error = validate_bucket_name(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn tags_within_limits_pass() {
        assert_eq!(validate_tag("Name", "web server 1"), Ok(()));
        assert_eq!(validate_tag("team/owner", ""), Ok(()));
        assert_eq!(validate_tag(&"k".repeat(128), &"v".repeat(256)), Ok(()));
    }

    #[test]
    fn tag_limits_are_enforced() {
        assert_eq!(validate_tag("", "x"), Err(TagError::EmptyKey));
        assert!(matches!(
            validate_tag(&"k".repeat(129), ""),
            Err(TagError::TooLong {
                part: TagPart::Key,
                length: 129,
                limit: 128,
                ..
            })
        ));
        assert!(matches!(
            validate_tag("k", &"v".repeat(257)),
            Err(TagError::TooLong {
                part: TagPart::Value,
                length: 257,
                limit: 256,
                ..
            })
        ));
        assert!(matches!(
            validate_tag("k", "semi;colon"),
            Err(TagError::BadCharacter {
                part: TagPart::Value,
                character: ';',
                ..
            })
        ));
    }

    #[test]
    fn ec2_tags_allow_any_character_within_the_same_limits() {
        assert_eq!(validate_ec2_tag("team|owner", "a;b|c"), Ok(()));
        assert!(validate_tag("team|owner", "a;b|c").is_err());
        assert_eq!(validate_ec2_tag("", "x"), Err(TagError::EmptyKey));
        assert_eq!(
            validate_ec2_tag("Aws:thing", "x"),
            Err(TagError::ReservedPrefix("Aws:thing".to_owned()))
        );
        assert!(matches!(
            validate_ec2_tag(&"k".repeat(129), ""),
            Err(TagError::TooLong {
                part: TagPart::Key,
                ..
            })
        ));
        assert!(matches!(
            validate_ec2_tag("k", &"v".repeat(257)),
            Err(TagError::TooLong {
                part: TagPart::Value,
                ..
            })
        ));
    }

    #[test]
    fn aws_prefix_is_reserved_in_any_case() {
        assert_eq!(
            validate_tag("AWS:thing", "x"),
            Err(TagError::ReservedPrefix("AWS:thing".to_owned()))
        );
    }

    #[test]
    fn tag_lists_refuse_duplicates_and_too_many() {
        assert_eq!(
            validate_tags([("a", "1"), ("a", "2")], 50),
            Err(TagError::DuplicateKey("a".to_owned()))
        );
        let keys: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
        let error = validate_tags(keys.iter().map(|k| (k.as_str(), "")), 50).unwrap_err();
        assert_eq!(
            error,
            TagError::TooMany {
                count: 51,
                limit: 50
            }
        );
        assert_eq!(validate_tags([("a", "1"), ("b", "2")], 50), Ok(()));
    }

    #[test]
    fn tag_filter_types_need_what_they_match() {
        assert_eq!(
            validate_tag_filter(Some("Name"), None, Some("KEY_ONLY")),
            Ok(TagFilterType::KeyOnly)
        );
        assert_eq!(
            validate_tag_filter(None, Some("web"), Some("KEY_ONLY")),
            Err(TagError::FilterMissing {
                kind: "KEY_ONLY",
                part: TagPart::Key
            })
        );
        assert_eq!(
            validate_tag_filter(Some("Name"), Some(""), Some("KEY_AND_VALUE")),
            Err(TagError::FilterMissing {
                kind: "KEY_AND_VALUE",
                part: TagPart::Value
            })
        );
        assert_eq!(
            validate_tag_filter(Some("Name"), Some("web"), Some("SOMETIMES")),
            Err(TagError::UnknownFilterType("SOMETIMES".to_owned()))
        );
    }

    #[test]
    fn tag_filter_without_type_is_read_from_what_it_names() {
        assert_eq!(
            validate_tag_filter(Some("Name"), Some("web"), None),
            Ok(TagFilterType::KeyAndValue)
        );
        assert_eq!(
            validate_tag_filter(None, Some("web"), None),
            Ok(TagFilterType::ValueOnly)
        );
        assert_eq!(
            validate_tag_filter(None, None, None),
            Err(TagError::EmptyFilter)
        );
    }

    #[test]
    fn tag_filters_match_by_their_type() {
        let key_only = TagFilterType::KeyOnly;
        assert!(key_only.matches("Name", "", "Name", "anything"));
        assert!(!key_only.matches("Name", "", "Role", "anything"));
        let value_only = TagFilterType::ValueOnly;
        assert!(value_only.matches("", "web", "Role", "web"));
        let both = TagFilterType::KeyAndValue;
        assert!(both.matches("Name", "web", "Name", "web"));
        assert!(!both.matches("Name", "web", "Name", "db"));
    }

    #[test]
    fn closest_finds_the_word_meant() {
        let hooks = [
            "ApplicationStop",
            "BeforeInstall",
            "AfterInstall",
            "ApplicationStart",
        ];
        assert_eq!(closest("AfterInstal", &hooks), Some("AfterInstall"));
        assert_eq!(closest("afterinstall", &hooks), Some("AfterInstall"));
        assert_eq!(closest("BeforInstall", &hooks), Some("BeforeInstall"));
        assert_eq!(
            closest("AfterInstall", &hooks),
            None,
            "a known word needs no suggestion"
        );
        assert_eq!(closest("Deploy", &hooks), None, "nothing is close");
        assert_eq!(closest("", &hooks), None);
        assert_eq!(closest("ownr", &["owner", "group", "mode"]), Some("owner"));
        assert_eq!(closest("ab", &["xy"]), None, "short words get one edit");
    }
}
