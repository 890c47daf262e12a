//! EC2's `Filter.N.Name` / `Filter.N.Value.M` filters, as the Describe
//! operations apply them.
//!
//! An item passes when every filter matches it; a filter matches when any
//! of its values matches any of the item's values for the filter's name.
//! Values may use the wildcards `*` (any run of characters) and `?` (any
//! one character); `\*`, `\?` and `\\` stand for the characters themselves.

use regex_lite::Regex;

use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::{Params, invalid_value};

/// One filter of a request.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The filter's name, e.g. `instance-state-name` or `tag:Environment`.
    pub name: String,
    /// The values to match, any of which may match, as given.
    pub values: Vec<String>,
    /// The values as expressions that match what they match.
    patterns: Vec<Regex>,
}

impl Filter {
    /// Whether any value of the filter matches any of `candidates`.
    pub fn matches_any<'a>(&self, candidates: impl IntoIterator<Item = &'a str>) -> bool {
        candidates.into_iter().any(|candidate| {
            self.patterns
                .iter()
                .any(|pattern| pattern.is_match(candidate))
        })
    }
}

/// Reads the `Filter.N` parameters of a request. Each filter must have a
/// name that `known` accepts and at least one value.
pub fn read(params: &Params, known: impl Fn(&str) -> bool) -> Result<Vec<Filter>, ApiError> {
    params
        .members("Filter")?
        .into_iter()
        .enumerate()
        .map(|(position, filter)| {
            let name = filter
                .required("Name")
                .map_err(|_| crate::localcloud::protocol::query::missing(&format!("Filter.{}.Name", position + 1)))?
                .to_owned();
            if !known(&name) {
                return Err(ApiError::new(
                    "InvalidParameterValue",
                    format!("The filter '{name}' is invalid; check the filter names this operation supports."),
                ));
            }
            let values = filter.list("Value")?;
            if values.is_empty() {
                return Err(invalid_value(
                    &format!("Filter.{}.Value", position + 1),
                    "",
                    &format!("The filter '{name}' needs at least one value."),
                ));
            }
            let patterns = values
                .iter()
                .map(|value| wildcard_regex(value))
                .collect::<Result<_, _>>()?;
            Ok(Filter {
                name,
                values,
                patterns,
            })
        })
        .collect()
}

/// The regular expression that matches what the EC2 wildcard pattern
/// `pattern` matches, whole texts only.
fn wildcard_regex(pattern: &str) -> Result<Regex, ApiError> {
    let mut expression = String::from("(?s)^");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => expression.push_str(".*"),
            '?' => expression.push('.'),
            '\\' => {
                let literal = chars.next().unwrap_or('\\');
                expression.push_str(&regex_lite::escape(literal.encode_utf8(&mut [0; 4])));
            }
            other => expression.push_str(&regex_lite::escape(other.encode_utf8(&mut [0; 4]))),
        }
    }
    expression.push('$');
    Regex::new(&expression).map_err(|error| {
        invalid_value(
            "Filter.Value",
            pattern,
            &format!("The pattern cannot be used ({error}); use * and ? as wildcards."),
        )
    })
}

/// Whether `text` matches `pattern` with EC2's wildcards.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    wildcard_regex(pattern).is_ok_and(|regex| regex.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_ec2_describes() {
        assert!(wildcard_match("production", "production"));
        assert!(!wildcard_match("production", "Production"));
        assert!(wildcard_match("prod*", "production"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*duct*", "production"));
        assert!(wildcard_match("demo-00?", "demo-007"));
        assert!(!wildcard_match("demo-00?", "demo-0071"));
        assert!(wildcard_match("a*b*c", "aXbYbZc"));
        assert!(!wildcard_match("a*b*c", "aXbYbZ"));
        assert!(wildcard_match(r"\*literal", "*literal"));
        assert!(!wildcard_match(r"\*literal", "xliteral"));
        assert!(wildcard_match(r"what\?", "what?"));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("a.b", "a.b"));
        assert!(!wildcard_match("a.b", "aXb"));
        assert!(wildcard_match("line*", "line\nbreak"));
    }

    #[test]
    fn filters_need_known_names_and_values() {
        let known = |name: &str| name == "instance-id" || name.starts_with("tag:");
        let params = Params::from_pairs([
            ("Filter.1.Name", "tag:Role"),
            ("Filter.1.Value.1", "web"),
            ("Filter.1.Value.2", "db"),
        ]);
        let filters = read(&params, known).unwrap();
        assert_eq!(filters.len(), 1);
        assert_eq!(filters[0].name, "tag:Role");
        assert_eq!(filters[0].values, ["web", "db"]);
        assert!(filters[0].matches_any(["api", "db"]));
        assert!(!filters[0].matches_any(["api"]));

        let unknown = Params::from_pairs([("Filter.1.Name", "colour"), ("Filter.1.Value.1", "x")]);
        let error = read(&unknown, known).unwrap_err();
        assert_eq!(error.code, "InvalidParameterValue");
        assert!(error.message.contains("'colour'"));
        let nameless = Params::from_pairs([("Filter.1.Value.1", "x")]);
        assert_eq!(read(&nameless, known).unwrap_err().code, "MissingParameter");
        let valueless = Params::from_pairs([("Filter.1.Name", "instance-id")]);
        assert_eq!(
            read(&valueless, known).unwrap_err().code,
            "InvalidParameterValue"
        );
    }
}
