//! `CreateAssociation`, `DescribeAssociation`, `ListAssociations` and
//! `DeleteAssociation`: a document (the CodeDeploy console uses
//! `AWS-ConfigureAWSPackage` to install the agent) applied to targets when
//! created and again on its schedule, on the clock (see
//! [`fleet_state`](super::fleet_state)).

use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{Answer, Context, TargetInput, checked_targets, page, page_size};
use super::document_state;
use super::fleet_state::{INSTANCE_IDS_KEY, first_run};
use super::schedule_state::Schedule;
use super::state::{Association, Overview, Parameters, Target};
use crate::localcloud::ec2::is_instance_id;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::input;
use crate::localcloud::world::World;

/// `CreateAssociationRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    name: Option<String>,
    instance_id: Option<String>,
    parameters: Option<Parameters>,
    targets: Option<Vec<TargetInput>>,
    schedule_expression: Option<String>,
    association_name: Option<String>,
    #[serde(default)]
    apply_only_at_cron_interval: bool,
}

/// Whether `name` is a valid association name: 3 to 128 letters, digits,
/// `_`, `-` and `.`.
fn is_association_name(name: &str) -> bool {
    (3..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Creates an association, which first runs shortly after (or, with
/// `ApplyOnlyAtCronInterval`, at its schedule's first time).
pub fn create(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let name = request
        .name
        .filter(|name| !name.is_empty())
        .ok_or_else(|| {
            ApiError::validation(format!(
                "Name is required; name the document to apply, e.g. {}.",
                document_state::CONFIGURE_PACKAGE
            ))
        })?;
    let parameters = request.parameters.unwrap_or_default();
    document_state::action(&name, &parameters)?;
    if let Some(association_name) = &request.association_name
        && !is_association_name(association_name)
    {
        return Err(ApiError::validation(format!(
            "\"{association_name}\" is not a valid AssociationName; use 3 to 128 letters, digits, _, - and ."
        )));
    }
    let schedule = match &request.schedule_expression {
        Some(expression) => Some(Schedule::parse(expression)?),
        None => None,
    };
    let targets = match (request.instance_id, request.targets) {
        (Some(instance_id), None) => {
            if !is_instance_id(&instance_id) || !world.ec2.instances.contains_key(&instance_id) {
                return Err(ApiError::new(
                    "InvalidInstanceId",
                    format!(
                        "Instance {instance_id} does not exist; give the id of an EC2 instance."
                    ),
                ));
            }
            vec![Target {
                key: INSTANCE_IDS_KEY.to_owned(),
                values: vec![instance_id],
            }]
        }
        (None, Some(targets)) if !targets.is_empty() => checked_targets(targets, "InvalidTarget")?,
        _ => {
            return Err(ApiError::new(
                "InvalidTarget",
                "Give either Targets or InstanceId (not both) to say which instances the association applies to.",
            ));
        }
    };
    let duplicate = world.ssm.associations.values().any(|existing| {
        existing.document_name == name
            && existing.targets == targets
            && existing.parameters == parameters
    });
    if duplicate {
        return Err(ApiError::new(
            "AssociationAlreadyExists",
            format!(
                "An association of {name} with these targets and parameters already exists; update or delete it instead."
            ),
        ));
    }
    let next_run = match (&schedule, request.apply_only_at_cron_interval) {
        (Some(schedule), true) => schedule.next_after(context.now),
        _ => Some(first_run(context.now)),
    };
    let association = Association {
        association_id: Uuid::new_v4().to_string(),
        association_name: request.association_name,
        document_name: name,
        targets,
        schedule: request.schedule_expression,
        parameters,
        created: context.now,
        next_run,
        last_run: None,
        last_success: None,
        overview: Overview::pending(),
    };
    let answer = json!({ "AssociationDescription": description(&association) });
    world
        .ssm
        .associations
        .insert(association.association_id.clone(), association);
    Ok(answer)
}

/// `AssociationOverview` as the API returns it.
fn overview(association: &Association) -> Value {
    json!({
        "Status": association.overview.status,
        "DetailedStatus": association.overview.detailed_status,
        "AssociationStatusAggregatedCount": association.overview.counts,
    })
}

/// The one instance an association targets by id alone, which the API
/// also shows as its `InstanceId`.
fn single_instance(association: &Association) -> Option<&str> {
    match association.targets.as_slice() {
        [target] if target.key == INSTANCE_IDS_KEY && target.values.len() == 1 => {
            target.values.first().map(String::as_str)
        }
        _ => None,
    }
}

/// `AssociationDescription` as the API returns it.
fn description(association: &Association) -> Value {
    json!({
        "Name": association.document_name,
        "InstanceId": single_instance(association),
        "AssociationVersion": "1",
        "Date": association.created,
        "LastUpdateAssociationDate": association.created,
        "Status": {
            "Date": association.last_run.unwrap_or(association.created),
            "Name": association.overview.status,
            "Message": association.overview.detailed_status,
        },
        "Overview": overview(association),
        "DocumentVersion": "$DEFAULT",
        "Parameters": association.parameters,
        "AssociationId": association.association_id,
        "Targets": association.targets,
        "ScheduleExpression": association.schedule,
        "LastExecutionDate": association.last_run,
        "LastSuccessfulExecutionDate": association.last_success,
        "AssociationName": association.association_name,
    })
}

/// `DescribeAssociationRequest` and `DeleteAssociationRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WhichInput {
    association_id: Option<String>,
    name: Option<String>,
    instance_id: Option<String>,
}

/// The id of the association a request names, by id or by document name
/// and instance, or `AssociationDoesNotExist`.
fn which(world: &World, body: &Value) -> Result<String, ApiError> {
    let request: WhichInput = input(body)?;
    let found = match (&request.association_id, &request.name, &request.instance_id) {
        (Some(id), _, _) => world.ssm.associations.get(id),
        (None, Some(name), Some(instance_id)) => {
            world.ssm.associations.values().find(|association| {
                &association.document_name == name
                    && single_instance(association) == Some(instance_id.as_str())
            })
        }
        _ => {
            return Err(ApiError::validation(
                "Give the AssociationId, or the Name and InstanceId, of the association.",
            ));
        }
    };
    found
        .map(|association| association.association_id.clone())
        .ok_or_else(|| {
            ApiError::new(
                "AssociationDoesNotExist",
                "The association does not exist; check its id with ListAssociations.",
            )
        })
}

/// Describes one association.
pub fn describe(world: &World, _context: &Context, body: &Value) -> Answer {
    let association_id = which(world, body)?;
    let association = world
        .ssm
        .associations
        .get(&association_id)
        .ok_or_else(|| ApiError::internal("The association vanished while it was read."))?;
    Ok(json!({ "AssociationDescription": description(association) }))
}

/// Deletes one association.
pub fn delete(world: &mut World, _context: &Context, body: &Value) -> Answer {
    let association_id = which(world, body)?;
    world.ssm.associations.remove(&association_id);
    Ok(json!({}))
}

/// `AssociationFilter`, whose members are spelled in lower case.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociationFilter {
    key: Option<String>,
    value: Option<String>,
}

/// `ListAssociationsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    association_filter_list: Option<Vec<AssociationFilter>>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// Whether `association` has `value` for the filter `key`.
fn matches(association: &Association, key: &str, value: &str) -> bool {
    match key {
        "Name" => association.document_name == value,
        "AssociationId" => association.association_id == value,
        "AssociationName" => association.association_name.as_deref() == Some(value),
        "AssociationStatusName" => association.overview.status == value,
        _ => association.targets.iter().any(|target| {
            target.key == INSTANCE_IDS_KEY && target.values.iter().any(|id| id == value)
        }),
    }
}

/// Lists associations, oldest first.
pub fn list(world: &World, _context: &Context, body: &Value) -> Answer {
    const KEYS: [&str; 5] = [
        "InstanceId",
        "Name",
        "AssociationId",
        "AssociationName",
        "AssociationStatusName",
    ];
    let request: ListInput = input(body)?;
    let size = page_size(request.max_results, 1, 50, 50)?;
    let mut filters = Vec::new();
    for filter in request.association_filter_list.unwrap_or_default() {
        let key = filter.key.unwrap_or_default();
        if !KEYS.contains(&key.as_str()) {
            return Err(ApiError::validation(format!(
                "\"{key}\" is not a filter key the local cloud takes; use {}.",
                KEYS.join(", ")
            )));
        }
        let value = filter.value.filter(|value| !value.is_empty());
        let value = value.ok_or_else(|| {
            ApiError::validation(format!("The filter {key} has no value; give one."))
        })?;
        filters.push((key, value));
    }
    let rows: Vec<(String, Value)> = world
        .ssm
        .associations
        .values()
        .filter(|association| {
            filters
                .iter()
                .all(|(key, value)| matches(association, key, value))
        })
        .map(|association| {
            (
                format!(
                    "{:020}/{}",
                    association.created.as_millis(),
                    association.association_id
                ),
                json!({
                    "Name": association.document_name,
                    "InstanceId": single_instance(association),
                    "AssociationId": association.association_id,
                    "AssociationVersion": "1",
                    "DocumentVersion": "$DEFAULT",
                    "Targets": association.targets,
                    "LastExecutionDate": association.last_run,
                    "Overview": overview(association),
                    "ScheduleExpression": association.schedule,
                    "AssociationName": association.association_name,
                }),
            )
        })
        .collect();
    let page = page(
        "ListAssociations",
        rows,
        request.next_token.as_deref(),
        size,
    )?;
    Ok(json!({ "Associations": page.items, "NextToken": page.next_token }))
}
