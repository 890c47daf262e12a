//! What the operations of CloudWatch share: the request's context, reading
//! an operation's input, CloudWatch's errors in AWS's words, and the
//! members of its answers that are timestamps.

use axum::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::{ApiError, json};

/// The namespace of CloudWatch's shapes, which error types name.
pub const SHAPE_NAMESPACE: &str = "com.amazonaws.cloudwatch";

/// The members of CloudWatch's answers that hold timestamps, written as
/// CBOR timestamps.
pub const TIMESTAMPS: &[&str] = &[
    "AlarmConfigurationUpdatedTimestamp",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
];

/// What an operation answers: its output as a JSON value (written as CBOR
/// by the service), or CloudWatch's error.
pub type Answer = Result<Value, ApiError>;

/// What an operation knows about the request besides its input.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
}

/// Reads an operation's input from the request's members.
pub fn input<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    json::input(value)
}

/// Writes an operation's output.
pub fn output<T: Serialize>(value: &T) -> Answer {
    json::output(value)
}

/// The output of operations that return nothing.
pub fn empty() -> Answer {
    Ok(json::empty())
}

/// The `__type` of an error: the shape of the exception CloudWatch's model
/// names for the query code (e.g. `InvalidParameterValueException` for
/// `InvalidParameterValue`), with its namespace.
pub fn error_type(error: &ApiError) -> String {
    let shape = match error.code {
        "InvalidParameterValue" => "InvalidParameterValueException",
        "MissingParameter" => "MissingRequiredParameterException",
        "InvalidParameterCombination" => "InvalidParameterCombinationException",
        "LimitExceeded" => "LimitExceededFault",
        "InvalidFormat" => "InvalidFormatFault",
        other => other,
    };
    format!("{SHAPE_NAMESPACE}#{shape}")
}

/// CloudWatch's error for a member that breaks a constraint of the model,
/// in AWS's words; `member` is the member's name as sent (`AlarmName`).
pub fn validation(member: &str, value: &str, constraint: &str) -> ApiError {
    ApiError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
            lower_first(member)
        ),
    )
}

/// CloudWatch's error for a required member that was not given.
pub fn missing(member: &str) -> ApiError {
    ApiError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null; add {member} to the request.",
            lower_first(member)
        ),
    )
}

/// CloudWatch's error for a value it does not accept.
pub fn invalid_value(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterValue", message)
}

/// CloudWatch's error for members that cannot be given together.
pub fn invalid_combination(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterCombination", message)
}

/// CloudWatch's error for an alarm that does not exist.
pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::NOT_FOUND, "ResourceNotFound", message)
}

/// `name` with its first letter in lower case, as validation messages name
/// members (`alarmName`).
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// Checks that the text member `member` has `min` to `max` characters.
pub fn check_length(member: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = value.chars().count();
    if length < min {
        Err(validation(
            member,
            value,
            &format!("Member must have length greater than or equal to {min}."),
        ))
    } else if length > max {
        Err(validation(
            member,
            value,
            &format!("Member must have length less than or equal to {max}; shorten it."),
        ))
    } else {
        Ok(())
    }
}

/// Checks that `value` of `member` is one of `allowed`.
pub fn check_enum(member: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(validation(
            member,
            value,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_shapes_and_members_as_aws_does() {
        assert_eq!(
            error_type(&invalid_value("x")),
            "com.amazonaws.cloudwatch#InvalidParameterValueException"
        );
        assert_eq!(
            error_type(&not_found("x")),
            "com.amazonaws.cloudwatch#ResourceNotFound"
        );
        let error = check_length("AlarmName", "", 1, 255).unwrap_err();
        assert_eq!(error.code, "ValidationError");
        assert!(error.message.contains("'alarmName'"), "{}", error.message);
        assert!(check_length("AlarmName", &"a".repeat(256), 1, 255).is_err());
        assert!(check_enum("StateValue", "ALARM", &["OK", "ALARM"]).is_ok());
        assert!(check_enum("StateValue", "alarm", &["OK", "ALARM"]).is_err());
    }
}
