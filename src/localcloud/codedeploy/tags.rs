//! `TagResource`, `UntagResource` and `ListTagsForResource` for applications and
//! deployment groups, addressed by ARN:
//! `arn:aws:codedeploy:REGION:ACCOUNT:application:NAME` and
//! `arn:aws:codedeploy:REGION:ACCOUNT:deploymentgroup:APPLICATION/GROUP`.
//!
//! These operations spell their members with capitals (`ResourceArn`,
//! `Tags`, `TagKeys`), unlike the rest of CodeDeploy.

use serde::Deserialize;
use serde_json::Value;

use super::common::{Answer, Context, application, application_mut, checked_tags, merge_tags};
use super::errors::no_such_application;
use super::shapes::Tag;
use super::state::CodeDeployState;
use crate::domain::names::{MAX_TAGS_PER_RESOURCE, NameKind, validate_name};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input, output};
use crate::localcloud::protocol::paging::{self, PAGE_SIZE};

/// A taggable resource named by an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    /// An application.
    Application(String),
    /// A deployment group of an application.
    DeploymentGroup {
        /// The application's name.
        application: String,
        /// The group's name.
        group: String,
    },
}

/// Reads a CodeDeploy ARN.
fn parse_arn(arn: Option<String>) -> Result<Resource, ApiError> {
    let arn = arn.filter(|arn| !arn.is_empty()).ok_or_else(|| {
        ApiError::new(
            "ResourceArnRequiredException",
            "ResourceArn is required: the ARN of an application or deployment group.",
        )
    })?;
    let invalid = || {
        ApiError::new(
            "InvalidArnException",
            format!(
                "\"{arn}\" is not a CodeDeploy ARN; use arn:aws:codedeploy:REGION:{ACCOUNT_ID}:application:NAME or ...:deploymentgroup:APPLICATION/GROUP."
            ),
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, _partition, service, _region, account, resource] = parts[..] else {
        return Err(invalid());
    };
    if prefix != "arn" {
        return Err(invalid());
    }
    if service != "codedeploy" {
        return Err(ApiError::new(
            "ArnNotSupportedException",
            format!("\"{arn}\" is not a CodeDeploy resource; tag it with its own service."),
        ));
    }
    if account != ACCOUNT_ID {
        return Err(ApiError::new(
            "InvalidArnException",
            format!(
                "\"{arn}\" belongs to account {account}; the local cloud has only account {ACCOUNT_ID}."
            ),
        ));
    }
    let (kind, name) = resource.split_once(':').ok_or_else(invalid)?;
    let resource = match kind {
        "application" => Resource::Application(name.to_owned()),
        "deploymentgroup" => {
            let (application, group) = name.split_once('/').ok_or_else(invalid)?;
            Resource::DeploymentGroup {
                application: application.to_owned(),
                group: group.to_owned(),
            }
        }
        other => {
            return Err(ApiError::new(
                "ArnNotSupportedException",
                format!(
                    "CodeDeploy resources of type \"{other}\" cannot be tagged here; tag applications and deployment groups."
                ),
            ));
        }
    };
    let names_valid = match &resource {
        Resource::Application(name) => validate_name(NameKind::Application, name).is_ok(),
        Resource::DeploymentGroup { application, group } => {
            validate_name(NameKind::Application, application).is_ok()
                && validate_name(NameKind::DeploymentGroup, group).is_ok()
        }
    };
    if names_valid {
        Ok(resource)
    } else {
        Err(invalid())
    }
}

/// The error for a deployment group named by an ARN that does not exist.
fn no_such_group(application: &str, group: &str) -> ApiError {
    ApiError::new(
        "DeploymentGroupDoesNotExistException",
        format!("The application \"{application}\" has no deployment group named \"{group}\"."),
    )
}

/// The tags of a resource, for reading.
fn tags_of<'a>(state: &'a CodeDeployState, resource: &Resource) -> Result<&'a Vec<Tag>, ApiError> {
    match resource {
        Resource::Application(name) => Ok(&application(state, name)?.tags),
        Resource::DeploymentGroup {
            application: app,
            group,
        } => application(state, app)?
            .deployment_groups
            .get(group)
            .map(|found| &found.tags)
            .ok_or_else(|| no_such_group(app, group)),
    }
}

/// The tags of a resource, for changing.
fn tags_of_mut<'a>(
    state: &'a mut CodeDeployState,
    resource: &Resource,
) -> Result<&'a mut Vec<Tag>, ApiError> {
    match resource {
        Resource::Application(name) => state
            .applications
            .get_mut(name)
            .map(|found| &mut found.tags)
            .ok_or_else(|| no_such_application(name)),
        Resource::DeploymentGroup {
            application: app,
            group,
        } => application_mut(state, app)?
            .deployment_groups
            .get_mut(group)
            .map(|found| &mut found.tags)
            .ok_or_else(|| no_such_group(app, group)),
    }
}

/// `TagResourceInput`.
#[derive(Debug, Deserialize)]
struct TagInput {
    #[serde(rename = "ResourceArn")]
    resource_arn: Option<String>,
    #[serde(rename = "Tags")]
    tags: Option<Vec<Tag>>,
}

/// Adds tags to a resource; a key it already has gets the new value.
pub fn tag_resource(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: TagInput = input(body)?;
    let resource = parse_arn(request.resource_arn)?;
    let tags = request.tags.unwrap_or_default();
    if tags.is_empty() {
        return Err(ApiError::new(
            "TagRequiredException",
            "Give at least one tag in Tags.",
        ));
    }
    let tags = checked_tags(tags, MAX_TAGS_PER_RESOURCE, "InvalidTagsToAddException")?;
    let existing = tags_of_mut(state, &resource)?;
    merge_tags(
        existing,
        tags,
        MAX_TAGS_PER_RESOURCE,
        "InvalidTagsToAddException",
    )?;
    Ok(empty())
}

/// `UntagResourceInput`.
#[derive(Debug, Deserialize)]
struct UntagInput {
    #[serde(rename = "ResourceArn")]
    resource_arn: Option<String>,
    #[serde(rename = "TagKeys")]
    tag_keys: Option<Vec<String>>,
}

/// Removes the tags with the given keys from a resource.
pub fn untag_resource(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: UntagInput = input(body)?;
    let resource = parse_arn(request.resource_arn)?;
    let keys = request.tag_keys.unwrap_or_default();
    if keys.is_empty() {
        return Err(ApiError::new(
            "TagRequiredException",
            "Give at least one key in TagKeys.",
        ));
    }
    let existing = tags_of_mut(state, &resource)?;
    existing.retain(|tag| !keys.iter().any(|key| tag.key.as_ref() == Some(key)));
    Ok(empty())
}

/// `ListTagsForResourceInput`.
#[derive(Debug, Deserialize)]
struct ListInput {
    #[serde(rename = "ResourceArn")]
    resource_arn: Option<String>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

/// Lists a resource's tags in the order they were added.
pub fn list_tags_for_resource(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let resource = parse_arn(request.resource_arn.clone())?;
    let tags = tags_of(state, &resource)?;
    let keyed = tags
        .iter()
        .enumerate()
        .map(|(index, tag)| (format!("{index:06}"), tag.clone()))
        .collect();
    let scope = format!(
        "ListTagsForResource/{}",
        request.resource_arn.unwrap_or_default()
    );
    let page = paging::page(&scope, keyed, request.next_token.as_deref(), PAGE_SIZE)?;
    output(&serde_json::json!({ "Tags": page.items, "NextToken": page.next_token }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_and_group_arns_are_read() {
        assert_eq!(
            parse_arn(Some(
                "arn:aws:codedeploy:eu-west-1:000000000000:application:web".to_owned()
            )),
            Ok(Resource::Application("web".to_owned()))
        );
        assert_eq!(
            parse_arn(Some(
                "arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:web/prod".to_owned()
            )),
            Ok(Resource::DeploymentGroup {
                application: "web".to_owned(),
                group: "prod".to_owned()
            })
        );
    }

    #[test]
    fn bad_arns_get_the_right_exceptions() {
        let code = |arn: &str| parse_arn(Some(arn.to_owned())).unwrap_err().code;
        assert_eq!(code("not-an-arn"), "InvalidArnException");
        assert_eq!(
            code("arn:aws:s3:us-east-1:000000000000:bucket:b"),
            "ArnNotSupportedException"
        );
        assert_eq!(
            code("arn:aws:codedeploy:us-east-1:000000000000:deploymentconfig:x"),
            "ArnNotSupportedException"
        );
        assert_eq!(
            code("arn:aws:codedeploy:us-east-1:123456789012:application:web"),
            "InvalidArnException"
        );
        assert_eq!(
            code("arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:web"),
            "InvalidArnException"
        );
        assert_eq!(
            parse_arn(None).unwrap_err().code,
            "ResourceArnRequiredException"
        );
    }
}
