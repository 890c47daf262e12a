//! What the operations of IAM share: the request's context and IAM's
//! envelope, reading parameters (names, paths, documents, tags, paging)
//! with AWS's validation messages, IAM's errors, and IAM's XML lists.

use axum::http::StatusCode;
use serde::Serialize;

use crate::domain::iam_names::{IamNameError, IamNameKind, validate_iam_name, validate_iam_path};
use crate::domain::names::{
    MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_RESOURCE, TagError, TagPart,
    validate_tag,
};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::page_or;
use crate::localcloud::protocol::query::{Params, aws_query_empty_response, aws_query_response};

/// The XML namespace of IAM's responses.
pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// What an operation answers: its XML response, or IAM's error.
pub type Answer = Result<String, ApiError>;

/// What an operation knows about the request besides its parameters.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The action, e.g. `CreateRole`.
    pub action: String,
}

impl Context {
    /// The response to this request with the result `result`, written as
    /// `<ActionResult>`.
    pub fn respond<T: Serialize>(&self, result: &T) -> Result<String, ApiError> {
        aws_query_response(&self.action, NAMESPACE, &self.request_id, result)
    }

    /// The response to an action that returns nothing but its request id.
    pub fn respond_empty(&self) -> String {
        aws_query_empty_response(&self.action, NAMESPACE, &self.request_id)
    }
}

/// IAM's error for parameters that break a constraint, in AWS's words.
pub fn validation(name: &str, value: &str, constraint: &str) -> ApiError {
    ApiError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
            lower_first(name)
        ),
    )
}

/// IAM's error for a required parameter that was not given.
pub fn missing(name: &str) -> ApiError {
    ApiError::new(
        "ValidationError",
        format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null; add the parameter {name}.",
            lower_first(name)
        ),
    )
}

/// IAM's error for a role, policy or profile that does not exist.
pub fn no_such_entity(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::NOT_FOUND, "NoSuchEntity", message)
}

/// IAM's error for a name that is already taken.
pub fn already_exists(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::CONFLICT, "EntityAlreadyExists", message)
}

/// IAM's error for deleting something that is still in use.
pub fn delete_conflict(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::CONFLICT, "DeleteConflict", message)
}

/// IAM's error for going beyond a quota.
pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::with_status(StatusCode::CONFLICT, "LimitExceeded", message)
}

/// IAM's error for input it understands but cannot use.
pub fn invalid_input(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidInput", message)
}

/// `name` with its first letter in lower case, as IAM names members in
/// validation messages (`roleName`).
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// The value of `name`, which must be given (`ValidationError` otherwise).
pub fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params.get(name).ok_or_else(|| missing(name))
}

/// Checks the name in parameter `param` by IAM's rules for `kind`, with
/// AWS's validation messages.
pub fn check_name(param: &str, kind: IamNameKind, name: &str) -> Result<(), ApiError> {
    match validate_iam_name(kind, name) {
        Ok(()) => Ok(()),
        Err(IamNameError::Empty { .. } | IamNameError::TooLong { .. }) => {
            let max = kind.max_length();
            Err(validation(
                param,
                name,
                &format!(
                    "Member must have length between 1 and {max}; shorten the name to at most {max} characters."
                ),
            ))
        }
        Err(IamNameError::BadCharacter { .. }) => Err(validation(
            param,
            name,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+ (letters, digits and _+=,.@- only).",
        )),
    }
}

/// The path `Path`, `/` when absent: `/` or `/a/b/`, printable ASCII,
/// up to 512 characters.
pub fn path_param(params: &Params) -> Result<String, ApiError> {
    let Some(path) = params.get("Path") else {
        return Ok("/".to_owned());
    };
    if validate_iam_path(path).is_err() {
        return Err(validation(
            "Path",
            path,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); a path starts and ends with a slash, such as /service-role/.",
        ));
    }
    Ok(path.to_owned())
}

/// The `PathPrefix` filter, `/` when absent.
pub fn path_prefix(params: &Params) -> Result<String, ApiError> {
    let Some(prefix) = params.get("PathPrefix") else {
        return Ok("/".to_owned());
    };
    if prefix.is_empty()
        || prefix.len() > 512
        || !prefix.starts_with('/')
        || !prefix.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c))
    {
        return Err(validation(
            "PathPrefix",
            prefix,
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*; a path prefix starts with a slash.",
        ));
    }
    Ok(prefix.to_owned())
}

/// A policy document parameter: present and at most 131072 characters.
pub fn document_param<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    let document = required(params, name)?;
    if document.is_empty() || document.chars().count() > 131_072 {
        return Err(validation(
            name,
            "(document)",
            "Member must have length between 1 and 131072.",
        ));
    }
    Ok(document)
}

/// A policy document as IAM returns it: the JSON text percent-encoded.
pub fn encode_document(document: &str) -> String {
    /// Everything but unreserved characters is escaped, as AWS does.
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(document, ESCAPED).to_string()
}

/// `MaxItems` (1 to 1000, 100 when absent) for the list operations.
pub fn max_items(params: &Params) -> Result<usize, ApiError> {
    let Some(text) = params.get("MaxItems") else {
        return Ok(100);
    };
    match text.trim().parse::<usize>() {
        Ok(max) if (1..=1000).contains(&max) => Ok(max),
        _ => Err(validation(
            "MaxItems",
            text,
            "Member must have value between 1 and 1000.",
        )),
    }
}

/// One page of `items` (each with a unique sort key) for the request's
/// `Marker` and `MaxItems`: the items, and the marker for the next page.
pub fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    params: &Params,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = max_items(params)?;
    let page = page_or(scope, items, params.get("Marker"), max, |marker| {
        validation(
            "Marker",
            marker,
            "The marker was not returned by this list; call the operation again without a Marker to start from the first page.",
        )
    })?;
    Ok((page.items, page.next_token))
}

/// Tags given as `Tags.member.N.Key` / `Tags.member.N.Value`: at most 50,
/// keys unique (whatever their case), each tag by the domain's tag rules,
/// which are IAM's: keys of 1 to 128 and values of up to 256 letters,
/// digits, spaces and `_ . : / = + - @`, and no key starting with `aws:`.
pub fn tags_param(params: &Params) -> Result<Vec<(String, String)>, ApiError> {
    let members = params.nested("Tags").members("member")?;
    if members.len() > MAX_TAGS_PER_RESOURCE {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for TagsPerRole: {MAX_TAGS_PER_RESOURCE}; give at most {MAX_TAGS_PER_RESOURCE} tags."
        )));
    }
    let mut tags: Vec<(String, String)> = Vec::with_capacity(members.len());
    for member in members {
        let key = member
            .get("Key")
            .ok_or_else(|| missing("Tags.member.N.Key"))?;
        let value = member.get("Value").unwrap_or_default();
        validate_tag(key, value).map_err(|error| tag_error(key, value, &error))?;
        if tags
            .iter()
            .any(|(known, _)| known.eq_ignore_ascii_case(key))
        {
            return Err(invalid_input(format!(
                "Duplicate tag keys found: {key} is given twice. Please note that Tag keys are case insensitive."
            )));
        }
        tags.push((key.to_owned(), value.to_owned()));
    }
    Ok(tags)
}

/// IAM's error for a tag the domain's tag rules refused.
fn tag_error(key: &str, value: &str, error: &TagError) -> ApiError {
    match error {
        TagError::EmptyKey
        | TagError::TooLong {
            part: TagPart::Key, ..
        } => validation(
            "Tags.member.Key",
            key,
            &format!("Member must have length between 1 and {MAX_TAG_KEY_LENGTH}."),
        ),
        TagError::TooLong {
            part: TagPart::Value,
            ..
        } => validation(
            "Tags.member.Value",
            value,
            &format!("Member must have length less than or equal to {MAX_TAG_VALUE_LENGTH}."),
        ),
        TagError::BadCharacter {
            part: TagPart::Key, ..
        } => validation(
            "Tags.member.Key",
            key,
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        ),
        TagError::BadCharacter {
            part: TagPart::Value,
            ..
        } => validation(
            "Tags.member.Value",
            value,
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
        ),
        other => invalid_input(other.to_string()),
    }
}

/// The `MalformedPolicyDocument` error for a document the domain refused.
pub fn malformed_policy(error: &crate::domain::policy::PolicyError) -> ApiError {
    ApiError::new("MalformedPolicyDocument", error.0.clone())
}

/// A list as IAM writes one: each item in a `<member>`.
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

/// A tag as IAM writes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagXml {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Tags as a `<Tags>` list, or nothing when there are none.
pub fn tags_xml(tags: &[(String, String)]) -> Option<Members<TagXml>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(key, value)| TagXml {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_percent_encoded_like_aws() {
        assert_eq!(
            encode_document("{\"A\": \"b c/d\"}"),
            "%7B%22A%22%3A%20%22b%20c%2Fd%22%7D"
        );
    }

    #[test]
    fn names_and_paths_are_checked() {
        assert!(check_name("RoleName", IamNameKind::Role, "deploy_role+=,.@-1").is_ok());
        let error = check_name("RoleName", IamNameKind::Role, "bad name").unwrap_err();
        assert_eq!(error.code, "ValidationError");
        assert!(error.message.contains("'roleName'"), "{}", error.message);
        assert!(check_name("RoleName", IamNameKind::Role, &"a".repeat(65)).is_err());
        for (path, ok) in [
            ("/", true),
            ("/service-role/", true),
            ("/a/b/", true),
            ("a/", false),
            ("/a", false),
            ("//", false),
            ("/a b/", false),
        ] {
            let params = Params::from_pairs([("Path", path)]);
            assert_eq!(path_param(&params).is_ok(), ok, "{path}");
        }
    }
}
