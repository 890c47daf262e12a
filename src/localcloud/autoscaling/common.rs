//! What the operations of Auto Scaling share: the request's context and
//! Auto Scaling's envelope, reading parameters (names, sizes, lists,
//! paging) with AWS's validation messages, Auto Scaling's errors, and its
//! XML lists.

use serde::Serialize;

use super::state::{AutoScalingState, Group};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::page_or;
use crate::localcloud::protocol::query::{Params, aws_query_empty_response, aws_query_response};

/// The XML namespace of Auto Scaling's responses.
pub const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// The longest group or hook name.
pub const MAX_NAME_LENGTH: usize = 255;

/// The longest name or ARN where a group may be named by either.
pub const MAX_RESOURCE_NAME_LENGTH: usize = 1600;

/// What an operation answers: its XML response, or Auto Scaling's error.
pub type Answer = Result<String, ApiError>;

/// What an operation knows about the request besides its parameters.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The action, e.g. `CreateAutoScalingGroup`.
    pub action: String,
}

impl Context {
    /// The response to this request with the result `result`, written as
    /// `<ActionResult>`.
    pub fn respond<T: Serialize>(&self, result: &T) -> Answer {
        aws_query_response(&self.action, NAMESPACE, &self.request_id, result)
    }

    /// The response to an action that returns nothing but its request id.
    pub fn respond_empty(&self) -> String {
        aws_query_empty_response(&self.action, NAMESPACE, &self.request_id)
    }
}

/// Auto Scaling's error for input it refuses.
pub fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new("ValidationError", message)
}

/// The error for a parameter that breaks a constraint, in AWS's words,
/// followed by what to do.
pub fn constraint(name: &str, value: &str, constraint: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
        lower_first(name)
    ))
}

/// The error for a required parameter that was not given.
pub fn missing(name: &str) -> ApiError {
    validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null; add the parameter {name}.",
        lower_first(name)
    ))
}

/// `name` with its first letter in lower case, as AWS names members in
/// validation messages (`autoScalingGroupName`).
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// The value of `name`, which must be given and not empty.
pub fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| missing(name))
}

/// The whole number `name`, if given, which must be at least `min`.
pub fn int_at_least(params: &Params, name: &str, min: i64) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    match text.trim().parse::<i64>() {
        Ok(value) if value >= min => Ok(Some(value)),
        Ok(_) => Err(constraint(
            name,
            text,
            &format!("Member must have value greater than or equal to {min}."),
        )),
        Err(_) => Err(constraint(name, text, "Member must be a whole number.")),
    }
}

/// The boolean `name`, if given.
pub fn bool_param(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(value) if value.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(value) if value.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(value) => Err(constraint(name, value, "Member must be true or false.")),
    }
}

/// The list `name.member.N`.
pub fn member_list(params: &Params, name: &str) -> Result<Vec<String>, ApiError> {
    params.nested(name).list("member")
}

/// The structures `name.member.N.*`.
pub fn member_structs(params: &Params, name: &str) -> Result<Vec<Params>, ApiError> {
    params.nested(name).members("member")
}

/// Checks a new group's name: 1 to 255 characters, no `:` (which would
/// make it look like an ARN), no control characters.
pub fn check_new_group_name(name: &str) -> Result<(), ApiError> {
    if name.chars().count() > MAX_NAME_LENGTH {
        return Err(constraint(
            "AutoScalingGroupName",
            name,
            &format!(
                "Member must have length less than or equal to {MAX_NAME_LENGTH}; shorten the name."
            ),
        ));
    }
    if name.contains(':') {
        return Err(validation(format!(
            "AutoScalingGroup name can not contain ':' (got {name}); choose a name without colons."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(constraint(
            "AutoScalingGroupName",
            name,
            "Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]* (no control characters).",
        ));
    }
    Ok(())
}

/// The group named (by name or ARN) in `AutoScalingGroupName`, which must
/// exist.
pub fn group_param<'a>(
    autoscaling: &'a AutoScalingState,
    params: &Params,
) -> Result<&'a Group, ApiError> {
    let given = required(params, "AutoScalingGroupName")?;
    if given.chars().count() > MAX_RESOURCE_NAME_LENGTH {
        return Err(constraint(
            "AutoScalingGroupName",
            given,
            &format!("Member must have length less than or equal to {MAX_RESOURCE_NAME_LENGTH}."),
        ));
    }
    find_group(autoscaling, given).ok_or_else(|| no_such_group(given))
}

/// The group `given` names, by name or by ARN.
pub fn find_group<'a>(autoscaling: &'a AutoScalingState, given: &str) -> Option<&'a Group> {
    if let Some(group) = autoscaling.groups.get(given) {
        return Some(group);
    }
    let (_, name) = given
        .strip_prefix("arn:")?
        .split_once(":autoScalingGroupName/")?;
    autoscaling
        .groups
        .get(name)
        .filter(|group| group.arn() == given)
}

/// The error for a group that does not exist.
pub fn no_such_group(name: &str) -> ApiError {
    validation(format!(
        "AutoScalingGroup name not found - AutoScalingGroup {name} not found. Check the name, or list groups with DescribeAutoScalingGroups."
    ))
}

/// The error for changing a group that is being deleted.
pub fn being_deleted(name: &str) -> ApiError {
    validation(format!(
        "AutoScalingGroup {name} is pending delete; it can no longer be changed."
    ))
}

/// Auto Scaling's error for a name that is taken.
pub fn already_exists(message: impl Into<String>) -> ApiError {
    ApiError::new("AlreadyExists", message)
}

/// Auto Scaling's error for going beyond a quota.
pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new("LimitExceeded", message)
}

/// Auto Scaling's error for a change refused while instances are launching
/// or terminating.
pub fn activity_in_progress(message: impl Into<String>) -> ApiError {
    ApiError::new("ScalingActivityInProgress", message)
}

/// Auto Scaling's error for deleting something still in use.
pub fn resource_in_use(message: impl Into<String>) -> ApiError {
    ApiError::new("ResourceInUse", message)
}

/// `MaxRecords` (1 to `max`, `default` when absent).
pub fn max_records(params: &Params, max: usize, default: usize) -> Result<usize, ApiError> {
    let Some(text) = params.get("MaxRecords") else {
        return Ok(default);
    };
    match text.trim().parse::<usize>() {
        Ok(value) if (1..=max).contains(&value) => Ok(value),
        _ => Err(constraint(
            "MaxRecords",
            text,
            &format!("Member must have value between 1 and {max}."),
        )),
    }
}

/// One page of `items` (each with a unique sort key) for the request's
/// `NextToken` and `MaxRecords`: the items, and the token for the next page.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    params: &Params,
    max: usize,
    default: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = max_records(params, max, default)?;
    let page = page_or(scope, items, params.get("NextToken"), size, |token| {
        ApiError::new(
            "InvalidNextToken",
            format!(
                "The token '{token}' is invalid; call the operation again without a NextToken to start from the first page."
            ),
        )
    })?;
    Ok((page.items, page.next_token))
}

/// A list as Auto Scaling writes one: each item in a `<member>`.
#[derive(Debug, Serialize)]
pub struct Members<T> {
    /// The items.
    pub member: Vec<T>,
}

impl<T> FromIterator<T> for Members<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            member: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_checked_like_aws() {
        assert!(check_new_group_name("web fleet_1.blue/green").is_ok());
        for bad in ["a:b", &"a".repeat(256), "tab\u{1}"] {
            let error = check_new_group_name(bad).unwrap_err();
            assert_eq!(error.code, "ValidationError", "{bad}");
        }
    }

    #[test]
    fn max_records_is_bounded() {
        assert_eq!(max_records(&Params::default(), 100, 50).unwrap(), 50);
        assert_eq!(
            max_records(&Params::from_pairs([("MaxRecords", "7")]), 100, 50).unwrap(),
            7
        );
        for bad in ["0", "101", "x"] {
            assert!(max_records(&Params::from_pairs([("MaxRecords", bad)]), 100, 50).is_err());
        }
    }
}
