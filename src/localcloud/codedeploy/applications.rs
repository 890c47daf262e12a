//! `CreateApplication`, `GetApplication`, `BatchGetApplications`,
//! `ListApplications`, `UpdateApplication` and `DeleteApplication`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::common::{
    Answer, Context, NextTokenInput, application, batch_names, checked_tags, compute_platform,
    list_page, required_name,
};
use super::shapes::Tag;
use super::state::{Application, CodeDeployState};
use crate::domain::names::{MAX_TAGS_PER_RESOURCE, NameKind};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input, output};

/// The most applications `BatchGetApplications` takes at once.
pub const BATCH_LIMIT: usize = 100;

/// `ApplicationInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationInfo<'a> {
    application_id: &'a str,
    application_name: &'a str,
    create_time: Timestamp,
    linked_to_git_hub: bool,
    compute_platform: &'a str,
}

impl<'a> ApplicationInfo<'a> {
    /// The API's view of `application`.
    pub fn of(application: &'a Application) -> Self {
        Self {
            application_id: &application.id,
            application_name: &application.name,
            create_time: application.create_time,
            linked_to_git_hub: false,
            compute_platform: &application.compute_platform,
        }
    }
}

/// `CreateApplicationInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    application_name: Option<String>,
    compute_platform: Option<String>,
    tags: Option<Vec<Tag>>,
}

/// Creates an application.
pub fn create(state: &mut CodeDeployState, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let name = required_name(NameKind::Application, request.application_name)?;
    let compute_platform = compute_platform(request.compute_platform.as_deref())?;
    let tags = checked_tags(
        request.tags.unwrap_or_default(),
        MAX_TAGS_PER_RESOURCE,
        "InvalidTagsToAddException",
    )?;
    if state.applications.contains_key(&name) {
        return Err(already_exists(&name));
    }
    let id = Uuid::new_v4().to_string();
    state.applications.insert(
        name.clone(),
        Application {
            id: id.clone(),
            name,
            compute_platform,
            create_time: context.now,
            tags,
            deployment_groups: std::collections::BTreeMap::new(),
            revisions: Vec::new(),
        },
    );
    Ok(serde_json::json!({ "applicationId": id }))
}

/// The error for a name that is already taken.
fn already_exists(name: &str) -> ApiError {
    ApiError::new(
        "ApplicationAlreadyExistsException",
        format!("An application named \"{name}\" already exists; choose another name."),
    )
}

/// An input with only an application name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameInput {
    application_name: Option<String>,
}

/// Returns one application.
pub fn get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NameInput = input(body)?;
    let name = required_name(NameKind::Application, request.application_name)?;
    let found = application(state, &name)?;
    output(&serde_json::json!({ "application": ApplicationInfo::of(found) }))
}

/// Returns several applications; any that does not exist fails the call,
/// as in CodeDeploy.
pub fn batch_get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let names = batch_names(body, "applicationNames", NameKind::Application, BATCH_LIMIT)?;
    let infos = names
        .iter()
        .map(|name| application(state, name).map(ApplicationInfo::of))
        .collect::<Result<Vec<_>, _>>()?;
    output(&serde_json::json!({ "applicationsInfo": infos }))
}

/// Lists application names, a page at a time, in name order.
pub fn list(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NextTokenInput = input(body)?;
    let names = state
        .applications
        .keys()
        .map(|name| (name.clone(), name.clone()))
        .collect();
    list_page(
        "ListApplications",
        names,
        request.next_token.as_deref(),
        "applications",
    )
}

/// `UpdateApplicationInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    application_name: Option<String>,
    new_application_name: Option<String>,
}

/// Renames an application. Its deployment groups, revisions and tags go
/// with it.
pub fn update(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: UpdateInput = input(body)?;
    let name = required_name(NameKind::Application, request.application_name)?;
    let new_name = required_name(NameKind::Application, request.new_application_name)?;
    application(state, &name)?;
    if new_name == name {
        return Ok(empty());
    }
    if state.applications.contains_key(&new_name) {
        return Err(already_exists(&new_name));
    }
    if let Some(mut moved) = state.applications.remove(&name) {
        moved.name.clone_from(&new_name);
        state.applications.insert(new_name, moved);
    }
    Ok(empty())
}

/// Deletes an application with its deployment groups and revisions.
/// Deleting an application that does not exist succeeds, as in CodeDeploy.
pub fn delete(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NameInput = input(body)?;
    let name = required_name(NameKind::Application, request.application_name)?;
    state.applications.remove(&name);
    Ok(empty())
}
