//! What the operations of CodeDeploy share: the request's context, the
//! name and tag rules worded as CodeDeploy's exceptions, batch limits, the
//! shape of a list's page, and looking up an application.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::errors::no_such_application;
use super::shapes::Tag;
use super::state::{self, CodeDeployState};
use crate::domain::ComputePlatform;
use crate::domain::names::{self, NameError, NameKind, TagError};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::engine::EngineSettings;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{input, output};
use crate::localcloud::protocol::paging::{self, PAGE_SIZE};

/// What an operation answers: its output as JSON, or CodeDeploy's exception.
pub type Answer = Result<Value, ApiError>;

/// What an operation knows about the request besides its input.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
    /// How the deployment engine paces deployments.
    pub engine: EngineSettings,
}

impl Context {
    /// The ARN of a CodeDeploy resource in this request's region, e.g.
    /// `application:my-app`.
    pub fn arn(&self, resource: &str) -> String {
        format!(
            "arn:aws:codedeploy:{}:{}:{resource}",
            self.region, ACCOUNT_ID
        )
    }
}

/// The exceptions CodeDeploy uses for a missing and for a malformed name.
fn name_exceptions(kind: NameKind) -> (&'static str, &'static str) {
    match kind {
        NameKind::Application => (
            "ApplicationNameRequiredException",
            "InvalidApplicationNameException",
        ),
        NameKind::DeploymentGroup => (
            "DeploymentGroupNameRequiredException",
            "InvalidDeploymentGroupNameException",
        ),
        NameKind::DeploymentConfig => (
            "DeploymentConfigNameRequiredException",
            "InvalidDeploymentConfigNameException",
        ),
        NameKind::OnPremisesInstance => (
            "InstanceNameRequiredException",
            "InvalidInstanceNameException",
        ),
    }
}

/// Maps a name rule failure to CodeDeploy's exception.
pub fn name_error(kind: NameKind, error: &NameError) -> ApiError {
    let (required, invalid) = name_exceptions(kind);
    match error {
        NameError::Empty { .. } => ApiError::new(required, error.to_string()),
        _ => ApiError::new(invalid, error.to_string()),
    }
}

/// Checks that a name was given and follows the rules for its kind.
pub fn required_name(kind: NameKind, name: Option<String>) -> Result<String, ApiError> {
    let (required, _) = name_exceptions(kind);
    let name = name.ok_or_else(|| {
        ApiError::new(
            required,
            format!("The {kind} name is required; add it to the request."),
        )
    })?;
    names::validate_name(kind, &name).map_err(|error| name_error(kind, &error))?;
    Ok(name)
}

/// Checks a list of names of one kind: present, within `limit`, each valid.
pub fn required_names(
    kind: NameKind,
    names: Option<Vec<String>>,
    limit: usize,
) -> Result<Vec<String>, ApiError> {
    let (required, _) = name_exceptions(kind);
    let names = batch(
        names,
        || {
            ApiError::new(
                required,
                format!("A list of {kind} names is required; add it to the request."),
            )
        },
        &format!("{kind} names"),
        limit,
        "BatchLimitExceededException",
    )?;
    for name in &names {
        names::validate_name(kind, name).map_err(|error| name_error(kind, &error))?;
    }
    Ok(names)
}

/// Checks the list a batch operation takes: given (refused with what
/// `missing` makes otherwise) and of at most `limit` items (refused with
/// `code`, the message counting the items as `what`, e.g. "deployment ids").
pub fn batch<T>(
    items: Option<Vec<T>>,
    missing: impl FnOnce() -> ApiError,
    what: &str,
    limit: usize,
    code: &'static str,
) -> Result<Vec<T>, ApiError> {
    let items = items.ok_or_else(missing)?;
    if items.len() > limit {
        return Err(ApiError::new(
            code,
            format!(
                "{} {what} were given but at most {limit} may be asked for at once; split the request.",
                items.len()
            ),
        ));
    }
    Ok(items)
}

/// The error `code` for a request without the list `member`, e.g.
/// `deploymentIds`.
pub fn list_required(code: &'static str, member: &str) -> ApiError {
    ApiError::new(
        code,
        format!("A list of {member} is required; add {member} to the request."),
    )
}

/// The input of a list operation that takes nothing but the page to start
/// at.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextTokenInput {
    /// The token of the page to return; `None` for the first.
    pub next_token: Option<String>,
}

/// Answers a list operation: the page of `items` (each with a sort key
/// unique in the list `scope`) that `next_token` asks for, under `member`,
/// with the token for the next page as `nextToken`.
pub fn list_page<T: Serialize>(
    scope: &str,
    items: Vec<(String, T)>,
    next_token: Option<&str>,
    member: &str,
) -> Answer {
    let page = paging::page(scope, items, next_token, PAGE_SIZE)?;
    page_answer(member, &page)
}

/// A page of a list as CodeDeploy answers it: the items under `member` and
/// the token for the next page as `nextToken`.
pub fn page_answer<T: Serialize>(member: &str, page: &paging::Page<T>) -> Answer {
    let mut answer = serde_json::Map::new();
    answer.insert(member.to_owned(), output(&page.items)?);
    answer.insert("nextToken".to_owned(), output(&page.next_token)?);
    Ok(Value::Object(answer))
}

/// Reads the list of names of `kind` that a batch operation takes as its
/// member `member`, and checks it as [`required_names`] does.
pub fn batch_names(
    body: &Value,
    member: &str,
    kind: NameKind,
    limit: usize,
) -> Result<Vec<String>, ApiError> {
    let names = body
        .get(member)
        .filter(|names| !names.is_null())
        .map(input)
        .transpose()?;
    required_names(kind, names, limit)
}

/// Looks each of `keys` up with `find`: what was found, and the keys that
/// found nothing, both in the order of `keys`.
pub fn found_and_missing<T>(
    keys: &[String],
    find: impl Fn(&str) -> Option<T>,
) -> (Vec<T>, Vec<&str>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for key in keys {
        match find(key) {
            Some(item) => found.push(item),
            None => missing.push(key.as_str()),
        }
    }
    (found, missing)
}

/// Checks a list of tags to put on a resource and returns them with every
/// value present. Failures use the exception `code` of the operation.
pub fn checked_tags(
    tags: Vec<Tag>,
    limit: usize,
    code: &'static str,
) -> Result<Vec<Tag>, ApiError> {
    let tags: Vec<Tag> = tags
        .into_iter()
        .map(|tag| Tag {
            key: Some(tag.key.unwrap_or_default()),
            value: Some(tag.value.unwrap_or_default()),
        })
        .collect();
    names::validate_tags(tags.iter().map(|tag| (tag_key(tag), tag_value(tag))), limit)
        .map_err(|error| ApiError::new(code, error.to_string()))?;
    Ok(tags)
}

/// A tag's key, empty if absent.
pub fn tag_key(tag: &Tag) -> &str {
    tag.key.as_deref().unwrap_or_default()
}

/// A tag's value, empty if absent.
pub fn tag_value(tag: &Tag) -> &str {
    tag.value.as_deref().unwrap_or_default()
}

/// Sets `new` tags on `existing`: a tag with a key already present replaces
/// its value. Fails with `code` if the result would carry more than `limit`.
pub fn merge_tags(
    existing: &mut Vec<Tag>,
    new: Vec<Tag>,
    limit: usize,
    code: &'static str,
) -> Result<(), ApiError> {
    let mut merged = existing.clone();
    for tag in new {
        match merged.iter_mut().find(|old| old.key == tag.key) {
            Some(old) => old.value = tag.value,
            None => merged.push(tag),
        }
    }
    if merged.len() > limit {
        let error = TagError::TooMany {
            count: merged.len(),
            limit,
        };
        return Err(ApiError::new(code, error.to_string()));
    }
    *existing = merged;
    Ok(())
}

/// The application `name`, or `ApplicationDoesNotExistException`.
pub fn application<'a>(
    state: &'a CodeDeployState,
    name: &str,
) -> Result<&'a state::Application, ApiError> {
    state
        .applications
        .get(name)
        .ok_or_else(|| no_such_application(name))
}

/// The application `name` for changing, or `ApplicationDoesNotExistException`.
pub fn application_mut<'a>(
    state: &'a mut CodeDeployState,
    name: &str,
) -> Result<&'a mut state::Application, ApiError> {
    state
        .applications
        .get_mut(name)
        .ok_or_else(|| no_such_application(name))
}

/// Checks an enumerated value against the values the API allows.
pub fn one_of(
    value: &str,
    allowed: &[&str],
    what: &str,
    code: &'static str,
) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::new(
            code,
            format!(
                "\"{value}\" is not a valid {what}; use one of {}.",
                allowed.join(", ")
            ),
        ))
    }
}

/// Checks a compute platform by its API name, defaulting to `Server` when
/// absent, and returns the name as stored.
pub fn compute_platform(platform: Option<&str>) -> Result<String, ApiError> {
    ComputePlatform::parse_or_default(platform)
        .map(|platform| platform.as_str().to_owned())
        .map_err(|error| {
            ApiError::new(
                "InvalidComputePlatformException",
                format!("The computePlatform is invalid. {error}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(count: usize) -> Vec<String> {
        (0..count).map(|index| format!("id-{index:03}")).collect()
    }

    #[test]
    fn a_batch_is_refused_when_absent_or_over_its_limit_and_kept_otherwise() {
        let missing = || list_required("DeploymentIdRequiredException", "deploymentIds");
        let error = batch::<String>(None, missing, "deployment ids", 2, "Too").unwrap_err();
        assert_eq!(error.code, "DeploymentIdRequiredException");
        assert_eq!(
            error.message,
            "A list of deploymentIds is required; add deploymentIds to the request."
        );
        let error = batch(Some(ids(3)), missing, "deployment ids", 2, "Too").unwrap_err();
        assert_eq!(error.code, "Too");
        assert!(
            error
                .message
                .starts_with("3 deployment ids were given but at most 2")
        );
        assert_eq!(batch(Some(ids(2)), missing, "ids", 2, "Too"), Ok(ids(2)));
    }

    #[test]
    fn batch_names_are_read_from_their_member_and_checked_by_kind() {
        let body = serde_json::json!({ "applicationNames": ["one", "two"] });
        let names = batch_names(&body, "applicationNames", NameKind::Application, 100);
        assert_eq!(names, Ok(vec!["one".to_owned(), "two".to_owned()]));
        let absent = batch_names(
            &empty_body(),
            "applicationNames",
            NameKind::Application,
            100,
        );
        assert_eq!(absent.unwrap_err().code, "ApplicationNameRequiredException");
        let null = serde_json::json!({ "applicationNames": null });
        let null = batch_names(&null, "applicationNames", NameKind::Application, 100);
        assert_eq!(null.unwrap_err().code, "ApplicationNameRequiredException");
        let wrong = serde_json::json!({ "applicationNames": "one" });
        let wrong = batch_names(&wrong, "applicationNames", NameKind::Application, 100);
        assert_eq!(wrong.unwrap_err().code, "SerializationException");
        let bad = serde_json::json!({ "applicationNames": ["bad name!"] });
        let bad = batch_names(&bad, "applicationNames", NameKind::Application, 100);
        assert_eq!(bad.unwrap_err().code, "InvalidApplicationNameException");
        let many = serde_json::json!({ "applicationNames": ids(3) });
        let many = batch_names(&many, "applicationNames", NameKind::Application, 2);
        assert_eq!(many.unwrap_err().code, "BatchLimitExceededException");
    }

    fn empty_body() -> Value {
        Value::Object(serde_json::Map::new())
    }

    #[test]
    fn a_list_answers_its_page_under_its_member_with_the_next_token() {
        let items: Vec<(String, String)> =
            ids(150).into_iter().map(|id| (id.clone(), id)).collect();
        let first = list_page("List", items.clone(), None, "things").unwrap();
        assert_eq!(first["things"].as_array().map(Vec::len), Some(PAGE_SIZE));
        let token = first["nextToken"]
            .as_str()
            .expect("a token for the second page");
        let second = list_page("List", items, Some(token), "things").unwrap();
        assert_eq!(second["things"].as_array().map(Vec::len), Some(50));
        assert_eq!(second["things"][0], "id-100");
        assert_eq!(second["nextToken"], Value::Null);
    }

    #[test]
    fn lookups_split_into_found_and_missing_in_order() {
        let keys = ids(4);
        let (found, missing) = found_and_missing(&keys, |key| {
            key.ends_with(['0', '2']).then(|| key.to_uppercase())
        });
        assert_eq!(found, ["ID-000", "ID-002"]);
        assert_eq!(missing, ["id-001", "id-003"]);
    }
}
