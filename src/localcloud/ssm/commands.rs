//! `SendCommand`, `ListCommands`, `ListCommandInvocations` and
//! `GetCommandInvocation`. A command is checked and stored with one
//! pending invocation per target instance; [`fleet_state`](super::fleet_state)
//! delivers and runs the invocations on the clock.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{
    Answer, Context, TargetInput, allowed_count, checked_targets, constraint, is_count_or_percent,
    page, page_size,
};
use super::document_state::{self, CONFIGURE_PACKAGE};
use super::fleet_state::registered_targets;
use super::state::{Command, Invocation, InvocationStatus, Parameters, Target};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{input, output};
use crate::localcloud::world::World;

/// The most instance ids `SendCommand` takes.
pub const MAX_INSTANCE_IDS: usize = 50;
/// The delivery timeout when none is given, in seconds.
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 3600;
/// The shortest and longest delivery timeouts, in seconds.
const TIMEOUT_RANGE: (i64, i64) = (30, 2_592_000);
/// How long a command may run once delivered, in seconds (the documents'
/// default `executionTimeout`).
const EXECUTION_TIMEOUT_SECONDS: i64 = 3600;
/// The longest comment.
const MAX_COMMENT: usize = 100;

/// `SendCommandRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendInput {
    instance_ids: Option<Vec<String>>,
    targets: Option<Vec<TargetInput>>,
    document_name: Option<String>,
    timeout_seconds: Option<i64>,
    comment: Option<String>,
    parameters: Option<Parameters>,
    max_concurrency: Option<String>,
    max_errors: Option<String>,
}

/// The instances `instance_ids` name, refused with `InvalidInstanceId`
/// unless each is an EC2 instance that is not terminated and registered
/// with Systems Manager.
fn checked_instances(world: &World, instance_ids: &[String]) -> Result<Vec<String>, ApiError> {
    if instance_ids.len() > MAX_INSTANCE_IDS {
        return Err(constraint(
            "instanceIds",
            &format!("{} instance ids", instance_ids.len()),
            &format!("Member must have length less than or equal to {MAX_INSTANCE_IDS}"),
        ));
    }
    let invalid: Vec<&str> = instance_ids
        .iter()
        .filter(|instance_id| {
            let running = world
                .ec2
                .instances
                .get(instance_id.as_str())
                .is_some_and(|instance| instance.state.exists());
            !running || !world.ssm.nodes.contains_key(instance_id.as_str())
        })
        .map(String::as_str)
        .collect();
    if !invalid.is_empty() {
        return Err(ApiError::new(
            "InvalidInstanceId",
            format!(
                "Instances [{}] not in a valid state for account: each must be an existing, not terminated EC2 instance whose instance profile's role lets its SSM Agent register (AmazonSSMManagedInstanceCore). Check DescribeInstanceInformation.",
                invalid.join(", ")
            ),
        ));
    }
    let mut ids = instance_ids.to_vec();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Sends a command to instances, by id or by targets.
pub fn send(world: &mut World, context: &Context, body: &Value) -> Answer {
    let request: SendInput = input(body)?;
    let document_name = request.document_name.filter(|name| !name.is_empty());
    let document_name = document_name.ok_or_else(|| {
        ApiError::validation(format!(
            "DocumentName is required; name the document to run, e.g. {CONFIGURE_PACKAGE}."
        ))
    })?;
    let parameters = request.parameters.unwrap_or_default();
    document_state::action(&document_name, &parameters)?;
    let timeout_seconds = request.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if !(TIMEOUT_RANGE.0..=TIMEOUT_RANGE.1).contains(&timeout_seconds) {
        return Err(constraint(
            "timeoutSeconds",
            &timeout_seconds.to_string(),
            &format!(
                "Member must have value between {} and {} seconds",
                TIMEOUT_RANGE.0, TIMEOUT_RANGE.1
            ),
        ));
    }
    if let Some(comment) = &request.comment
        && comment.chars().count() > MAX_COMMENT
    {
        return Err(constraint(
            "comment",
            "the comment",
            &format!("Member must have length less than or equal to {MAX_COMMENT}"),
        ));
    }
    let max_concurrency = request.max_concurrency.unwrap_or_else(|| "50".to_owned());
    if !is_count_or_percent(&max_concurrency, false) {
        return Err(constraint(
            "maxConcurrency",
            &max_concurrency,
            "Member must be a count from 1 or a percentage from 1% to 100%",
        ));
    }
    let max_errors = request.max_errors.unwrap_or_else(|| "0".to_owned());
    if !is_count_or_percent(&max_errors, true) {
        return Err(constraint(
            "maxErrors",
            &max_errors,
            "Member must be a count from 0 or a percentage from 0% to 100%",
        ));
    }
    let (instance_ids, targets, resolved) = match (request.instance_ids, request.targets) {
        (Some(ids), None) if !ids.is_empty() => {
            let resolved = checked_instances(world, &ids)?;
            (ids, Vec::new(), resolved)
        }
        (None, Some(targets)) if !targets.is_empty() => {
            let targets = checked_targets(targets, "ValidationException")?;
            let resolved = registered_targets(world, &targets);
            (Vec::new(), targets, resolved)
        }
        _ => {
            return Err(ApiError::validation(
                "Give either InstanceIds or Targets (not both) to say where the command runs.",
            ));
        }
    };
    let command = Command {
        command_id: Uuid::new_v4().to_string(),
        document_name,
        comment: request.comment,
        parameters,
        instance_ids,
        targets,
        requested: context.now,
        timeout_seconds,
        max_concurrency,
        max_errors,
        invocations: resolved
            .into_iter()
            .map(|instance_id| Invocation {
                instance_id,
                status: InvocationStatus::Pending,
                started: None,
                finished: None,
                response_code: -1,
                output: String::new(),
                error_output: String::new(),
            })
            .collect(),
    };
    let answer = json!({ "Command": CommandView::of(&command) });
    world
        .ssm
        .commands
        .insert(command.command_id.clone(), command);
    Ok(answer)
}

/// `Command` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CommandView<'a> {
    command_id: &'a str,
    document_name: &'a str,
    document_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    expires_after: Timestamp,
    parameters: &'a Parameters,
    instance_ids: &'a [String],
    targets: &'a [Target],
    requested_date_time: Timestamp,
    status: &'static str,
    status_details: &'static str,
    max_concurrency: &'a str,
    max_errors: &'a str,
    target_count: usize,
    completed_count: usize,
    error_count: usize,
    delivery_timed_out_count: usize,
    timeout_seconds: i64,
    notification_config: Value,
    cloud_watch_output_config: Value,
}

/// A command's own `Status` and `StatusDetails`, from its invocations as
/// AWS aggregates them: `Pending` until one is delivered, `InProgress`
/// until all have ended, then `Success` when every delivered one
/// succeeded, `Failed` when more failed than `MaxErrors` allows,
/// `TimedOut` when more timed out before delivery than that, and
/// `Incomplete` otherwise.
pub fn command_status(command: &Command) -> (&'static str, &'static str) {
    let invocations = &command.invocations;
    let count = |status: InvocationStatus| {
        invocations
            .iter()
            .filter(|invocation| invocation.status == status)
            .count()
    };
    if invocations
        .iter()
        .any(|invocation| !invocation.status.is_terminal())
    {
        return if count(InvocationStatus::Pending) == invocations.len() {
            ("Pending", "Pending")
        } else {
            ("InProgress", "In Progress")
        };
    }
    let allowed = allowed_count(&command.max_errors, invocations.len());
    let failed = count(InvocationStatus::Failed);
    let timed_out = count(InvocationStatus::DeliveryTimedOut);
    if failed > allowed {
        ("Failed", "Failed")
    } else if timed_out > allowed {
        ("TimedOut", "Delivery Timed Out")
    } else if failed + timed_out == 0 {
        ("Success", "Success")
    } else {
        ("Failed", "Incomplete")
    }
}

impl<'a> CommandView<'a> {
    /// The API's view of `command`.
    fn of(command: &'a Command) -> Self {
        let (status, status_details) = command_status(command);
        let count = |matches: fn(InvocationStatus) -> bool| {
            command
                .invocations
                .iter()
                .filter(|invocation| matches(invocation.status))
                .count()
        };
        Self {
            command_id: &command.command_id,
            document_name: &command.document_name,
            document_version: "$DEFAULT",
            comment: command.comment.as_deref(),
            expires_after: command.requested.plus_millis(
                (command.timeout_seconds + EXECUTION_TIMEOUT_SECONDS).saturating_mul(1000),
            ),
            parameters: &command.parameters,
            instance_ids: &command.instance_ids,
            targets: &command.targets,
            requested_date_time: command.requested,
            status,
            status_details,
            max_concurrency: &command.max_concurrency,
            max_errors: &command.max_errors,
            target_count: command.invocations.len(),
            completed_count: count(InvocationStatus::is_terminal),
            error_count: count(|status| status == InvocationStatus::Failed),
            delivery_timed_out_count: count(|status| status == InvocationStatus::DeliveryTimedOut),
            timeout_seconds: command.timeout_seconds,
            notification_config: json!({}),
            cloud_watch_output_config: json!({ "CloudWatchOutputEnabled": false }),
        }
    }
}

/// A filter of `ListCommands` or `ListCommandInvocations`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommandFilter {
    key: Option<String>,
    value: Option<String>,
}

/// `ListCommandsRequest` and `ListCommandInvocationsRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    command_id: Option<String>,
    instance_id: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
    filters: Option<Vec<CommandFilter>>,
    #[serde(default)]
    details: bool,
}

/// The filters as key and value, checked: `Status` and `DocumentName`.
fn checked_filters(filters: Option<Vec<CommandFilter>>) -> Result<Vec<(String, String)>, ApiError> {
    filters
        .unwrap_or_default()
        .into_iter()
        .map(|filter| {
            let key = filter.key.unwrap_or_default();
            let value = filter.value.unwrap_or_default();
            if !["Status", "DocumentName"].contains(&key.as_str()) {
                return Err(ApiError::new(
                    "InvalidFilterKey",
                    format!("\"{key}\" is not a filter key the local cloud takes here; use Status or DocumentName."),
                ));
            }
            if value.is_empty() {
                return Err(ApiError::new(
                    "InvalidFilter",
                    format!("The filter {key} has no value; give one."),
                ));
            }
            Ok((key, value))
        })
        .collect()
}

/// The command `command_id`, or `InvalidCommandId`.
fn command<'a>(world: &'a World, command_id: &str) -> Result<&'a Command, ApiError> {
    world.ssm.commands.get(command_id).ok_or_else(|| {
        ApiError::new(
            "InvalidCommandId",
            format!("Command {command_id} does not exist; check the id SendCommand returned."),
        )
    })
}

/// The commands to list: `command_id`'s alone, or all, newest first, each
/// keyed for paging.
fn listed_commands<'a>(
    world: &'a World,
    command_id: Option<&str>,
) -> Result<Vec<&'a Command>, ApiError> {
    let mut commands: Vec<&Command> = match command_id {
        Some(command_id) => vec![command(world, command_id)?],
        None => world.ssm.commands.values().collect(),
    };
    commands.sort_by(|left, right| {
        right
            .requested
            .cmp(&left.requested)
            .then_with(|| left.command_id.cmp(&right.command_id))
    });
    Ok(commands)
}

/// A sort key that lists `command` newest first.
fn newest_first(command: &Command, rest: &str) -> String {
    format!(
        "{:020}/{}/{rest}",
        i64::MAX - command.requested.as_millis(),
        command.command_id
    )
}

/// Lists commands, newest first.
pub fn list(world: &World, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let size = page_size(request.max_results, 1, 50, 50)?;
    let filters = checked_filters(request.filters)?;
    let rows: Vec<(String, CommandView)> = listed_commands(world, request.command_id.as_deref())?
        .into_iter()
        .filter(|command| {
            request.instance_id.as_ref().is_none_or(|instance_id| {
                command
                    .invocations
                    .iter()
                    .any(|invocation| &invocation.instance_id == instance_id)
            })
        })
        .map(|command| (newest_first(command, ""), CommandView::of(command)))
        .filter(|(_, view)| {
            filters.iter().all(|(key, value)| match key.as_str() {
                "Status" => view.status == value,
                _ => view.document_name == value,
            })
        })
        .collect();
    let page = page("ListCommands", rows, request.next_token.as_deref(), size)?;
    Ok(json!({ "Commands": output(&page.items)?, "NextToken": page.next_token }))
}

/// The plugin a document runs, by the name AWS gives it.
fn plugin_name(document_name: &str) -> &'static str {
    if document_name == CONFIGURE_PACKAGE {
        "configurePackage"
    } else {
        "aws:runShellScript"
    }
}

/// What an invocation printed, as the plugin's `Output` shows it.
fn plugin_output(invocation: &Invocation) -> String {
    if invocation.error_output.is_empty() {
        invocation.output.clone()
    } else {
        format!(
            "{}\n----------ERROR-------\n{}",
            invocation.output, invocation.error_output
        )
    }
}

/// The elapsed time of an invocation as ISO 8601, e.g. `PT5.0S`.
fn elapsed(invocation: &Invocation) -> String {
    match (invocation.started, invocation.finished) {
        (Some(start), Some(end)) => format!(
            "PT{:.1}S",
            (end.as_millis() - start.as_millis()) as f64 / 1000.0
        ),
        _ => String::new(),
    }
}

/// `CommandInvocation` as the API returns it.
fn invocation_view(command: &Command, invocation: &Invocation, details: bool) -> Value {
    let mut view = json!({
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "InstanceName": "",
        "Comment": command.comment,
        "DocumentName": command.document_name,
        "DocumentVersion": "$DEFAULT",
        "RequestedDateTime": command.requested,
        "Status": invocation.status.status(),
        "StatusDetails": invocation.status.details(),
        "TraceOutput": "",
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
        "CommandPlugins": [],
        "ServiceRole": "",
        "NotificationConfig": {},
        "CloudWatchOutputConfig": { "CloudWatchOutputEnabled": false },
    });
    if details {
        view["CommandPlugins"] = json!([{
            "Name": plugin_name(&command.document_name),
            "Status": invocation.status.status(),
            "StatusDetails": invocation.status.details(),
            "ResponseCode": invocation.response_code,
            "ResponseStartDateTime": invocation.started,
            "ResponseFinishDateTime": invocation.finished,
            "Output": plugin_output(invocation),
            "StandardOutputUrl": "",
            "StandardErrorUrl": "",
        }]);
    }
    view
}

/// Lists the invocations of commands, newest command first.
pub fn list_invocations(world: &World, _context: &Context, body: &Value) -> Answer {
    let request: ListInput = input(body)?;
    let size = page_size(request.max_results, 1, 50, 50)?;
    let filters = checked_filters(request.filters)?;
    let mut rows = Vec::new();
    for command in listed_commands(world, request.command_id.as_deref())? {
        for invocation in &command.invocations {
            let wanted = request
                .instance_id
                .as_ref()
                .is_none_or(|instance_id| &invocation.instance_id == instance_id)
                && filters.iter().all(|(key, value)| match key.as_str() {
                    "Status" => invocation.status.status() == value,
                    _ => &command.document_name == value,
                });
            if wanted {
                rows.push((
                    newest_first(command, &invocation.instance_id),
                    invocation_view(command, invocation, request.details),
                ));
            }
        }
    }
    let page = page(
        "ListCommandInvocations",
        rows,
        request.next_token.as_deref(),
        size,
    )?;
    Ok(json!({ "CommandInvocations": page.items, "NextToken": page.next_token }))
}

/// `GetCommandInvocationRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetInput {
    command_id: Option<String>,
    instance_id: Option<String>,
    plugin_name: Option<String>,
}

/// One instance's invocation of a command.
pub fn get_invocation(world: &World, _context: &Context, body: &Value) -> Answer {
    let request: GetInput = input(body)?;
    let (Some(command_id), Some(instance_id)) = (request.command_id, request.instance_id) else {
        return Err(ApiError::validation(
            "CommandId and InstanceId are required; give the command's id and one of its instances.",
        ));
    };
    let not_found = || {
        ApiError::new(
            "InvocationDoesNotExist",
            format!(
                "Command {command_id} has no invocation on {instance_id}; check both ids with ListCommandInvocations."
            ),
        )
    };
    let command = world.ssm.commands.get(&command_id).ok_or_else(not_found)?;
    let invocation = command
        .invocations
        .iter()
        .find(|invocation| invocation.instance_id == instance_id)
        .ok_or_else(not_found)?;
    let plugin = plugin_name(&command.document_name);
    if let Some(asked) = &request.plugin_name
        && asked != plugin
    {
        return Err(ApiError::new(
            "InvalidPluginName",
            format!(
                "Document {} has no plugin {asked}; its plugin is {plugin}.",
                command.document_name
            ),
        ));
    }
    let iso = |time: Option<Timestamp>| time.map_or_else(String::new, Timestamp::to_iso8601);
    Ok(json!({
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "Comment": command.comment,
        "DocumentName": command.document_name,
        "DocumentVersion": "$DEFAULT",
        "PluginName": plugin,
        "ResponseCode": invocation.response_code,
        "ExecutionStartDateTime": iso(invocation.started),
        "ExecutionElapsedTime": elapsed(invocation),
        "ExecutionEndDateTime": iso(invocation.finished),
        "Status": invocation.status.status(),
        "StatusDetails": invocation.status.details(),
        "StandardOutputContent": invocation.output,
        "StandardOutputUrl": "",
        "StandardErrorContent": invocation.error_output,
        "StandardErrorUrl": "",
        "CloudWatchOutputConfig": { "CloudWatchOutputEnabled": false },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(max_errors: &str, statuses: &[InvocationStatus]) -> Command {
        Command {
            command_id: "c".to_owned(),
            document_name: "AWS-RunShellScript".to_owned(),
            comment: None,
            parameters: Parameters::new(),
            instance_ids: Vec::new(),
            targets: Vec::new(),
            requested: Timestamp::from_secs(0),
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            max_concurrency: "50".to_owned(),
            max_errors: max_errors.to_owned(),
            invocations: statuses
                .iter()
                .enumerate()
                .map(|(index, status)| Invocation {
                    instance_id: format!("i-{index}"),
                    status: *status,
                    started: None,
                    finished: None,
                    response_code: -1,
                    output: String::new(),
                    error_output: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_command_aggregates_its_invocations_as_aws_documents() {
        use InvocationStatus::{
            DeliveryTimedOut, Failed, InProgress, Pending, Success, Undeliverable,
        };
        let status = |max_errors, statuses: &[InvocationStatus]| {
            command_status(&command(max_errors, statuses))
        };
        assert_eq!(status("0", &[Pending, Pending]), ("Pending", "Pending"));
        assert_eq!(
            status("0", &[Success, InProgress]),
            ("InProgress", "In Progress")
        );
        assert_eq!(status("0", &[Success, Success]), ("Success", "Success"));
        // Undeliverable invocations count neither way.
        assert_eq!(
            status("0", &[Success, Undeliverable]),
            ("Success", "Success")
        );
        assert_eq!(status("0", &[Success, Failed]), ("Failed", "Failed"));
        assert_eq!(status("1", &[Success, Failed]), ("Failed", "Incomplete"));
        assert_eq!(
            status("50%", &[Success, Success, Success, Failed]),
            ("Failed", "Incomplete")
        );
        assert_eq!(
            status("0", &[Success, DeliveryTimedOut]),
            ("TimedOut", "Delivery Timed Out")
        );
    }
}
