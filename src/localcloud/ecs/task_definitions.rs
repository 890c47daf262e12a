//! `RegisterTaskDefinition`, `DescribeTaskDefinition`,
//! `ListTaskDefinitions`, `ListTaskDefinitionFamilies` and
//! `DeregisterTaskDefinition`: task definition families whose revisions
//! count from 1.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Value, json};

use super::clusters::is_resource_name;
use super::common::{Answer, Context, TagInput, page, tags, tags_json};
use super::state::{
    ACTIVE, ContainerDefinition, EcsState, INACTIVE, PortMapping, TaskDefinition, TaskFamily,
    task_definition_arn,
};
use super::task_set_state::client_error;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::input;

/// The network modes a task definition takes.
const NETWORK_MODES: [&str; 4] = ["bridge", "host", "awsvpc", "none"];
/// The launch types a task definition may require.
const COMPATIBILITIES: [&str; 3] = ["EC2", "FARGATE", "EXTERNAL"];

/// `TaskDefinition` as the API returns it.
pub fn description(definition: &TaskDefinition) -> Value {
    let mut compatibilities = vec!["EC2"];
    if definition
        .requires_compatibilities
        .iter()
        .any(|required| required == "FARGATE")
    {
        compatibilities.push("FARGATE");
    }
    json!({
        "taskDefinitionArn": definition.arn,
        "containerDefinitions": definition.container_definitions,
        "family": definition.family,
        "taskRoleArn": definition.task_role_arn,
        "executionRoleArn": definition.execution_role_arn,
        "networkMode": definition.network_mode,
        "revision": definition.revision,
        "volumes": [],
        "status": definition.status,
        "requiresAttributes": [],
        "placementConstraints": [],
        "compatibilities": compatibilities,
        "requiresCompatibilities": definition.requires_compatibilities,
        "cpu": definition.cpu,
        "memory": definition.memory,
        "registeredAt": definition.registered,
        "deregisteredAt": definition.deregistered,
    })
}

/// A port mapping as the client sent it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PortMappingInput {
    container_port: Option<i32>,
    host_port: Option<i32>,
    protocol: Option<String>,
}

/// A container definition as the client sent it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerInput {
    name: Option<String>,
    image: Option<String>,
    cpu: Option<i64>,
    memory: Option<i64>,
    memory_reservation: Option<i64>,
    essential: Option<bool>,
    port_mappings: Option<Vec<PortMappingInput>>,
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

/// `RegisterTaskDefinitionRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterInput {
    family: Option<String>,
    container_definitions: Option<Vec<ContainerInput>>,
    network_mode: Option<String>,
    requires_compatibilities: Option<Vec<String>>,
    cpu: Option<String>,
    memory: Option<String>,
    execution_role_arn: Option<String>,
    task_role_arn: Option<String>,
    tags: Option<Vec<TagInput>>,
}

/// Checks one port mapping of a container in `network_mode`.
fn port_mapping(
    given: PortMappingInput,
    network_mode: Option<&str>,
) -> Result<PortMapping, ApiError> {
    let container_port = given.container_port.ok_or_else(|| {
        client_error(
            "Container port should not be null or empty; give each port mapping its containerPort.",
        )
    })?;
    if !(1..=65535).contains(&container_port) {
        return Err(client_error(format!(
            "Invalid containerPort {container_port}; give a port from 1 to 65535."
        )));
    }
    let protocol = given.protocol.unwrap_or_else(|| "tcp".to_owned());
    if protocol != "tcp" && protocol != "udp" {
        return Err(client_error(format!(
            "The protocol \"{protocol}\" of port {container_port} is not valid; use tcp or udp."
        )));
    }
    let host_port = match (network_mode, given.host_port) {
        (Some("awsvpc" | "host"), None) => Some(container_port),
        (Some("awsvpc"), Some(host)) if host != container_port => {
            return Err(client_error(
                "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
            ));
        }
        (_, host) => host,
    };
    Ok(PortMapping {
        container_port,
        host_port,
        protocol,
    })
}

/// Checks one container; `task_memory` says whether the task sets memory.
fn container(
    given: ContainerInput,
    network_mode: Option<&str>,
    task_memory: bool,
) -> Result<ContainerDefinition, ApiError> {
    let name = given
        .name
        .filter(|name| !name.is_empty())
        .ok_or_else(|| client_error("Container.name should not be null or empty."))?;
    let image = given
        .image
        .filter(|image| !image.is_empty())
        .ok_or_else(|| client_error("Container.image should not be null or empty."))?;
    if !task_memory && given.memory.is_none() && given.memory_reservation.is_none() {
        return Err(client_error(format!(
            "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
        )));
    }
    let port_mappings = given
        .port_mappings
        .unwrap_or_default()
        .into_iter()
        .map(|mapping| port_mapping(mapping, network_mode))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ContainerDefinition {
        name,
        image,
        cpu: given.cpu.unwrap_or(0),
        memory: given.memory,
        memory_reservation: given.memory_reservation,
        essential: given.essential.unwrap_or(true),
        port_mappings,
        other: given.other,
    })
}

/// Registers the next revision of a family.
pub fn register(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: RegisterInput = input(body)?;
    let family = request
        .family
        .filter(|family| !family.is_empty())
        .ok_or_else(|| client_error("Family should not be null or empty."))?;
    if !is_resource_name(&family) {
        return Err(client_error(format!(
            "The family \"{family}\" is not valid; use up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores."
        )));
    }
    let network_mode = request.network_mode;
    if let Some(mode) = &network_mode
        && !NETWORK_MODES.contains(&mode.as_str())
    {
        return Err(client_error(format!(
            "The network mode \"{mode}\" is not valid; use bridge, host, awsvpc or none."
        )));
    }
    let requires = request.requires_compatibilities.unwrap_or_default();
    if let Some(unknown) = requires
        .iter()
        .find(|required| !COMPATIBILITIES.contains(&required.as_str()))
    {
        return Err(client_error(format!(
            "\"{unknown}\" is not a launch type; requiresCompatibilities takes EC2, FARGATE and EXTERNAL."
        )));
    }
    if requires.iter().any(|required| required == "FARGATE") {
        if network_mode.as_deref() != Some("awsvpc") {
            return Err(client_error("Fargate only supports network mode 'awsvpc'."));
        }
        if request.cpu.is_none() || request.memory.is_none() {
            return Err(client_error(
                "Fargate requires that 'cpu' and 'memory' be defined at the task level.",
            ));
        }
    }
    let given = request.container_definitions.unwrap_or_default();
    if given.is_empty() {
        return Err(client_error(
            "Container list cannot be empty; give at least one container definition.",
        ));
    }
    let containers = given
        .into_iter()
        .map(|given| container(given, network_mode.as_deref(), request.memory.is_some()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut names = BTreeSet::new();
    if let Some(duplicate) = containers
        .iter()
        .find(|container| !names.insert(container.name.as_str()))
    {
        return Err(client_error(format!(
            "Duplicate container names are not allowed: {} is given twice.",
            duplicate.name
        )));
    }
    let tags = tags(request.tags)?;
    let mut record = state
        .task_definitions
        .get(&family)
        .cloned()
        .unwrap_or_else(|| TaskFamily {
            family: family.clone(),
            revisions: BTreeMap::new(),
        });
    let revision = record
        .revisions
        .keys()
        .next_back()
        .map_or(1, |last| last + 1);
    let definition = TaskDefinition {
        arn: task_definition_arn(&context.region, &family, revision),
        family: family.clone(),
        revision,
        container_definitions: containers,
        network_mode,
        requires_compatibilities: requires,
        cpu: request.cpu,
        memory: request.memory,
        execution_role_arn: request.execution_role_arn,
        task_role_arn: request.task_role_arn,
        status: ACTIVE.to_owned(),
        registered: context.now,
        deregistered: None,
        tags,
    };
    let answer = json!({
        "taskDefinition": description(&definition),
        "tags": tags_json(&definition.tags),
    });
    record.revisions.insert(revision, definition);
    state.task_definitions.insert(family, record);
    Ok(answer)
}

/// `DescribeTaskDefinitionRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInput {
    task_definition: Option<String>,
    include: Option<Vec<String>>,
}

/// The task definition a request names, or ECS's `ClientException`.
pub fn named<'a>(
    state: &'a EcsState,
    reference: Option<&str>,
) -> Result<&'a TaskDefinition, ApiError> {
    let reference = reference
        .filter(|reference| !reference.is_empty())
        .ok_or_else(|| client_error("TaskDefinition can not be blank."))?;
    state
        .task_definition(reference)
        .ok_or_else(|| client_error("Unable to describe task definition."))
}

/// Describes a task definition by family (its latest active revision),
/// family:revision or ARN.
pub fn describe(state: &EcsState, _context: &Context, body: &Value) -> Answer {
    let request: DescribeInput = input(body)?;
    let definition = named(state, request.task_definition.as_deref())?;
    let with_tags = request
        .include
        .unwrap_or_default()
        .iter()
        .any(|include| include == "TAGS");
    let mut answer = json!({ "taskDefinition": description(definition) });
    if with_tags {
        answer["tags"] = tags_json(&definition.tags);
    }
    Ok(answer)
}

/// `ListTaskDefinitionsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListInput {
    family_prefix: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// The sort key of a revision in a list sorted by family, then revision,
/// ascending or (`descending`) the other way.
fn sort_key(family: &str, revision: u32, descending: bool) -> String {
    let revision = format!("{revision:010}");
    if !descending {
        return format!("{family}\u{0}{revision}");
    }
    // Families are ASCII letters, digits, - and _: each character is
    // mirrored below DEL, and DEL ends the family, so that a longer family
    // comes before its prefix.
    let family: String = family
        .bytes()
        .map(|byte| char::from(0x7f_u8.saturating_sub(byte)))
        .collect();
    let revision: String = revision
        .bytes()
        .map(|digit| char::from(b'9' - (digit - b'0')))
        .collect();
    format!("{family}\u{7f}{revision}")
}

/// Lists task definition ARNs, by family and status, sorted by family and
/// revision.
pub fn list(state: &EcsState, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let status = request.status.unwrap_or_else(|| ACTIVE.to_owned());
    if status != ACTIVE && status != INACTIVE && status != "DELETE_IN_PROGRESS" {
        return Err(ApiError::new(
            "InvalidParameterException",
            format!(
                "The status \"{status}\" is not valid; use ACTIVE, INACTIVE or DELETE_IN_PROGRESS."
            ),
        ));
    }
    let descending = match request.sort.as_deref() {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(ApiError::new(
                "InvalidParameterException",
                format!("The sort order \"{other}\" is not valid; use ASC or DESC."),
            ));
        }
    };
    let items = state
        .task_definitions
        .values()
        .filter(|record| {
            request
                .family_prefix
                .as_ref()
                .is_none_or(|family| &record.family == family)
        })
        .flat_map(|record| record.revisions.values())
        .filter(|definition| definition.status == status)
        .map(|definition| {
            (
                sort_key(&definition.family, definition.revision, descending),
                definition.arn.clone(),
            )
        })
        .collect();
    let scope = format!(
        "ListTaskDefinitions/{}/{status}/{descending}",
        request.family_prefix.as_deref().unwrap_or_default()
    );
    let page = page(
        &scope,
        items,
        request.next_token.as_deref(),
        request.max_results,
    )?;
    Ok(json!({ "taskDefinitionArns": page.items, "nextToken": page.next_token }))
}

/// `ListTaskDefinitionFamiliesRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListFamiliesInput {
    family_prefix: Option<String>,
    status: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// Lists family names, sorted: those that begin with the prefix, and by
/// status — `ACTIVE` families have an active revision, `INACTIVE` ones
/// none, and `ALL` (the default) lists both.
pub fn list_families(state: &EcsState, _context: &Context, body: &Value) -> Answer {
    let request: ListFamiliesInput = input(body)?;
    let status = request.status.unwrap_or_else(|| "ALL".to_owned());
    let wanted: fn(bool) -> bool = match status.as_str() {
        "ALL" => |_| true,
        ACTIVE => |active| active,
        INACTIVE => |active| !active,
        other => {
            return Err(ApiError::new(
                "InvalidParameterException",
                format!("The status \"{other}\" is not valid; use ACTIVE, INACTIVE or ALL."),
            ));
        }
    };
    let prefix = request.family_prefix.unwrap_or_default();
    let items = state
        .task_definitions
        .values()
        .filter(|record| record.family.starts_with(&prefix))
        .filter(|record| {
            wanted(
                record
                    .revisions
                    .values()
                    .any(|definition| definition.status == ACTIVE),
            )
        })
        .map(|record| (record.family.clone(), record.family.clone()))
        .collect();
    let scope = format!("ListTaskDefinitionFamilies/{prefix}/{status}");
    let page = page(
        &scope,
        items,
        request.next_token.as_deref(),
        request.max_results,
    )?;
    Ok(json!({ "families": page.items, "nextToken": page.next_token }))
}

/// `DeregisterTaskDefinitionRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeregisterInput {
    task_definition: Option<String>,
}

/// Deregisters one revision, named by family:revision or ARN; it stays
/// describable as `INACTIVE`.
pub fn deregister(state: &mut EcsState, context: &Context, body: &Value) -> Answer {
    let request: DeregisterInput = input(body)?;
    let reference = request.task_definition.unwrap_or_default();
    let short = reference
        .rsplit_once(":task-definition/")
        .map_or(reference.as_str(), |(_, rest)| rest);
    if !short.contains(':') {
        return Err(client_error(format!(
            "Revision is missing; name the revision to deregister, e.g. {short}:1."
        )));
    }
    let mut definition = named(state, Some(short))?.clone();
    if definition.status == ACTIVE {
        INACTIVE.clone_into(&mut definition.status);
        definition.deregistered = Some(context.now);
    }
    let answer = json!({ "taskDefinition": description(&definition) });
    if let Some(record) = state.task_definitions.get(&definition.family) {
        let mut record = record.clone();
        record
            .revisions
            .insert(definition.revision, definition.clone());
        state.task_definitions.insert(definition.family, record);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_keys_sort_families_and_revisions_backwards() {
        let mut keys = vec![
            (sort_key("web", 2, true), "web:2"),
            (sort_key("web", 10, true), "web:10"),
            (sort_key("web-api", 1, true), "web-api:1"),
            (sort_key("api", 3, true), "api:3"),
        ];
        keys.sort();
        let order: Vec<&str> = keys.into_iter().map(|(_, arn)| arn).collect();
        assert_eq!(order, ["web-api:1", "web:10", "web:2", "api:3"]);
        let mut ascending = vec![
            (sort_key("web-api", 1, false), "web-api:1"),
            (sort_key("web", 10, false), "web:10"),
            (sort_key("web", 2, false), "web:2"),
        ];
        ascending.sort();
        let order: Vec<&str> = ascending.into_iter().map(|(_, arn)| arn).collect();
        assert_eq!(order, ["web:2", "web:10", "web-api:1"]);
    }
}
