//! What the operations of Systems Manager share: the request's context,
//! paging with `MaxResults` and `NextToken`, targets, and the error
//! words they use.

use serde::Deserialize;
use serde_json::Value;

use super::fleet_state::INSTANCE_IDS_KEY;
use super::state::Target;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::{self, Page};

/// What an operation answers: its output as JSON, or Systems Manager's
/// error.
pub type Answer = Result<Value, ApiError>;

/// What an operation knows about the request besides its input.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
}

/// The most targets a command or association takes.
pub const MAX_TARGETS: usize = 5;
/// The most values one target takes.
pub const MAX_TARGET_VALUES: usize = 50;

/// A `ValidationException` worded as AWS words a broken constraint.
pub fn constraint(member: &str, value: &str, rule: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}."
    ))
}

/// The page size `max_results` asks for, between `low` and `high`, or
/// `default` when absent; refused with a `ValidationException` otherwise.
pub fn page_size(
    max_results: Option<i64>,
    low: i64,
    high: i64,
    default: usize,
) -> Result<usize, ApiError> {
    match max_results {
        None => Ok(default),
        Some(size) if size < low => Err(constraint(
            "maxResults",
            &size.to_string(),
            &format!("Member must have value greater than or equal to {low}"),
        )),
        Some(size) if size > high => Err(constraint(
            "maxResults",
            &size.to_string(),
            &format!("Member must have value less than or equal to {high}"),
        )),
        Some(size) => Ok(usize::try_from(size).unwrap_or(default)),
    }
}

/// Cuts the page `next_token` asks for out of `items` (each with a sort
/// key unique in the list `scope`), refusing a token of another list with
/// `InvalidNextToken`.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    size: usize,
) -> Result<Page<T>, ApiError> {
    paging::page_or(scope, items, next_token, size, |_| {
        ApiError::new(
            "InvalidNextToken",
            "The NextToken is not one this list gave; start again without it.",
        )
    })
}

/// A target as the client sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetInput {
    /// `InstanceIds` or `tag:<key>`.
    pub key: Option<String>,
    /// Its values.
    pub values: Option<Vec<String>>,
}

/// Checks `targets`, refusing bad ones with the error `code`: at most
/// [`MAX_TARGETS`], each keyed `InstanceIds` or `tag:<key>` with 1 to
/// [`MAX_TARGET_VALUES`] values.
pub fn checked_targets(
    targets: Vec<TargetInput>,
    code: &'static str,
) -> Result<Vec<Target>, ApiError> {
    if targets.len() > MAX_TARGETS {
        return Err(ApiError::new(
            code,
            format!(
                "{} targets were given but at most {MAX_TARGETS} are allowed; combine them.",
                targets.len()
            ),
        ));
    }
    targets
        .into_iter()
        .map(|target| {
            let key = target.key.unwrap_or_default();
            let values = target.values.unwrap_or_default();
            let known = key == INSTANCE_IDS_KEY
                || key.strip_prefix("tag:").is_some_and(|tag| !tag.is_empty());
            if !known {
                return Err(ApiError::new(
                    code,
                    format!(
                        "The target key \"{key}\" is not supported; use {INSTANCE_IDS_KEY} or tag:<tag key>."
                    ),
                ));
            }
            if values.is_empty() || values.len() > MAX_TARGET_VALUES {
                return Err(ApiError::new(
                    code,
                    format!(
                        "The target {key} has {} values; give 1 to {MAX_TARGET_VALUES}.",
                        values.len()
                    ),
                ));
            }
            Ok(Target { key, values })
        })
        .collect()
}

/// Whether `value` is a count or a percentage as `MaxConcurrency` takes it
/// (`zero_ok` for `MaxErrors`, which may be 0).
pub fn is_count_or_percent(value: &str, zero_ok: bool) -> bool {
    let number = value.strip_suffix('%').unwrap_or(value);
    let percent = number.len() != value.len();
    match number.parse::<u32>() {
        Ok(0) => zero_ok && !number.starts_with("00"),
        Ok(count) => !number.starts_with('0') && (!percent || count <= 100),
        Err(_) => false,
    }
}

/// The count a `MaxErrors` value allows out of `targets`.
pub fn allowed_count(value: &str, targets: usize) -> usize {
    match value.strip_suffix('%') {
        Some(percent) => percent.parse::<usize>().unwrap_or(0) * targets / 100,
        None => value.parse().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentages_are_told_from_junk() {
        for good in ["1", "50", "10%", "100%"] {
            assert!(is_count_or_percent(good, false), "{good}");
        }
        for bad in ["0", "101%", "ten", "", "05", "%"] {
            assert!(!is_count_or_percent(bad, false), "{bad}");
        }
        assert!(is_count_or_percent("0", true));
        assert_eq!(allowed_count("50%", 5), 2);
        assert_eq!(allowed_count("3", 5), 3);
    }

    #[test]
    fn page_sizes_outside_their_range_are_refused() {
        assert_eq!(page_size(None, 5, 50, 10), Ok(10));
        assert_eq!(page_size(Some(5), 5, 50, 10), Ok(5));
        let error = page_size(Some(51), 5, 50, 10).unwrap_err();
        assert_eq!(error.code, "ValidationException");
        assert!(error.message.contains("less than or equal to 50"));
        assert!(page_size(Some(4), 5, 50, 10).is_err());
    }
}
