//! Systems Manager as the app uses it: which instances it manages, and
//! commands that check, install and start the CodeDeploy agent on them,
//! with each instance's result.
//!
//! Requests are batched: `DescribeInstanceInformation` and `SendCommand`
//! take 50 instances at a time, `ListCommandInvocations` pages 50 results.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ssm::types::{CommandInvocationStatus, InstanceInformationStringFilter, PingStatus};

use super::error::{CloudError, CloudResult, sdk_error};
use super::session::Session;
use crate::domain::readiness::{AgentStatus, SsmStatus};

/// The most instances one request may name.
pub const BATCH: usize = 50;

/// The commands that tell whether the CodeDeploy agent is installed (and
/// which version) and running. The agent writes its version to
/// `/opt/codedeploy-agent/.version` when it is installed.
pub const AGENT_CHECK: [&str; 2] = [
    "cat /opt/codedeploy-agent/.version 2>/dev/null || echo 'No CodeDeploy agent installed'",
    "sudo service codedeploy-agent status",
];

/// What Systems Manager says about `instance_ids`: the ones it manages,
/// each with its ping status; an instance it does not know is missing.
pub async fn managed_instances(
    session: &Session,
    instance_ids: &[String],
) -> CloudResult<HashMap<String, SsmStatus>> {
    let mut found = HashMap::new();
    for batch in instance_ids.chunks(BATCH) {
        let mut next_token = None;
        loop {
            let page = session
                .ssm
                .describe_instance_information()
                .filters(
                    InstanceInformationStringFilter::builder()
                        .key("InstanceIds")
                        .set_values(Some(batch.to_vec()))
                        .build()
                        .map_err(|error| CloudError::Other(error.to_string()))?,
                )
                .max_results(50)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(sdk_error(session, "DescribeInstanceInformation"))?;
            for information in page.instance_information_list() {
                let Some(id) = information.instance_id() else {
                    continue;
                };
                let status = match information.ping_status() {
                    Some(PingStatus::Online) => SsmStatus::Online,
                    Some(PingStatus::ConnectionLost | PingStatus::Inactive) => {
                        SsmStatus::ConnectionLost
                    }
                    _ => SsmStatus::Unknown("Systems Manager gave no ping status.".to_owned()),
                };
                found.insert(id.to_owned(), status);
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
    }
    Ok(found)
}

/// An association as the app compares it: its document, targets and
/// schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationInfo {
    /// Its document.
    pub document: String,
    /// Its targets: key and values.
    pub targets: Vec<(String, Vec<String>)>,
    /// Its schedule.
    pub schedule: String,
}

/// The association named `name`, if there is one.
pub async fn find_association(
    session: &Session,
    name: &str,
) -> CloudResult<Option<AssociationInfo>> {
    let mut next_token = None;
    loop {
        let page = session
            .ssm
            .list_associations()
            .max_results(50)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(sdk_error(session, "ListAssociations"))?;
        if let Some(found) = page
            .associations()
            .iter()
            .find(|association| association.association_name() == Some(name))
        {
            return Ok(Some(AssociationInfo {
                document: found.name().unwrap_or_default().to_owned(),
                targets: found
                    .targets()
                    .iter()
                    .map(|target| {
                        (
                            target.key().unwrap_or_default().to_owned(),
                            target.values().to_vec(),
                        )
                    })
                    .collect(),
                schedule: found.schedule_expression().unwrap_or_default().to_owned(),
            }));
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            return Ok(None);
        }
    }
}

/// Creates the association `name` of `document` with `parameters` on
/// `targets`, run on `schedule`.
pub async fn create_association(
    session: &Session,
    name: &str,
    document: &str,
    targets: &[(String, Vec<String>)],
    schedule: &str,
    parameters: &[(&str, Vec<String>)],
) -> CloudResult<()> {
    let mut request = session
        .ssm
        .create_association()
        .name(document)
        .association_name(name)
        .schedule_expression(schedule);
    for (key, values) in targets {
        request = request.targets(
            aws_sdk_ssm::types::Target::builder()
                .key(key)
                .set_values(Some(values.clone()))
                .build(),
        );
    }
    for (parameter, values) in parameters {
        request = request.parameters(*parameter, values.clone());
    }
    request
        .send()
        .await
        .map_err(sdk_error(session, "CreateAssociation"))?;
    Ok(())
}

/// One instance's result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The instance.
    pub instance_id: String,
    /// Systems Manager's status (`Pending`, `InProgress`, `Success`,
    /// `Failed`, `TimedOut`, `Cancelled`, ...).
    pub status: String,
    /// Its finer status (`Undeliverable`, `DeliveryTimedOut`, ...).
    pub details: String,
    /// What the command printed.
    pub output: String,
}

impl Invocation {
    /// Whether it has ended.
    pub fn finished(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "Pending" | "InProgress" | "Delayed" | "Cancelling"
        )
    }

    /// Whether it succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == "Success"
    }

    /// Why it did not succeed, in words.
    pub fn failure(&self) -> Option<String> {
        if self.succeeded() || !self.finished() {
            return None;
        }
        let why = match self.details.as_str() {
            "Undeliverable" => "Systems Manager could not deliver the command: the instance is not managed (it needs an instance profile whose role has AmazonSSMManagedInstanceCore) or is not running.".to_owned(),
            "DeliveryTimedOut" => "The command was not delivered in time: the instance's Systems Manager agent did not answer.".to_owned(),
            "ExecutionTimedOut" => "The command ran out of time on the instance.".to_owned(),
            "Terminated" => "The instance was terminated.".to_owned(),
            _ => {
                let output = self.output.trim();
                if output.is_empty() {
                    format!("The command ended {}.", self.status)
                } else {
                    format!("The command ended {}: {output}", self.status)
                }
            }
        };
        Some(why)
    }
}

/// Sends `document` with `parameters` to `instance_ids`, 50 at a time.
/// Returns the command ids.
pub async fn send_command(
    session: &Session,
    document: &str,
    parameters: &[(&str, Vec<String>)],
    instance_ids: &[String],
    comment: &str,
) -> CloudResult<Vec<String>> {
    let mut commands = Vec::new();
    for batch in instance_ids.chunks(BATCH) {
        let mut request = session
            .ssm
            .send_command()
            .document_name(document)
            .set_instance_ids(Some(batch.to_vec()))
            .comment(comment);
        for (name, values) in parameters {
            request = request.parameters(*name, values.clone());
        }
        let sent = request
            .send()
            .await
            .map_err(sdk_error(session, "SendCommand"))?;
        if let Some(id) = sent.command().and_then(|command| command.command_id()) {
            commands.push(id.to_owned());
        }
    }
    Ok(commands)
}

/// The results so far of the commands `command_ids`, one per instance.
pub async fn invocations(
    session: &Session,
    command_ids: &[String],
) -> CloudResult<Vec<Invocation>> {
    let mut found = Vec::new();
    for command_id in command_ids {
        let mut next_token = None;
        loop {
            let page = session
                .ssm
                .list_command_invocations()
                .command_id(command_id)
                .details(true)
                .max_results(50)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(sdk_error(session, "ListCommandInvocations"))?;
            for invocation in page.command_invocations() {
                let output = invocation
                    .command_plugins()
                    .iter()
                    .filter_map(|plugin| plugin.output())
                    .collect::<Vec<_>>()
                    .join("\n");
                found.push(Invocation {
                    instance_id: invocation.instance_id().unwrap_or_default().to_owned(),
                    status: invocation
                        .status()
                        .map_or("Pending", CommandInvocationStatus::as_str)
                        .to_owned(),
                    details: invocation.status_details().unwrap_or_default().to_owned(),
                    output,
                });
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
    }
    Ok(found)
}

/// How often a command's results are read while it runs.
pub const POLL: Duration = Duration::from_millis(700);

/// Reads the results of `command_ids` until every instance's has ended or
/// `limit` has passed, calling `progress` with each reading. Returns the
/// last reading.
pub async fn wait_for(
    session: &Session,
    command_ids: &[String],
    expected: usize,
    limit: Duration,
    mut progress: impl FnMut(&[Invocation]),
) -> CloudResult<Vec<Invocation>> {
    let started = tokio::time::Instant::now();
    loop {
        let reading = invocations(session, command_ids).await?;
        progress(&reading);
        let all_in = reading.len() >= expected && reading.iter().all(Invocation::finished);
        if all_in || started.elapsed() >= limit {
            return Ok(reading);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The agent's state from what [`AGENT_CHECK`] printed.
pub fn agent_from_output(invocation: &Invocation) -> AgentStatus {
    if !invocation.finished() {
        return AgentStatus::Unknown("The check did not finish in time.".to_owned());
    }
    let output = &invocation.output;
    if output.contains("No CodeDeploy agent installed") {
        return AgentStatus::NotInstalled;
    }
    if let Some(reason) = invocation.failure().filter(|_| output.trim().is_empty()) {
        return AgentStatus::Unknown(reason);
    }
    let version = output
        .lines()
        .find_map(|line| line.trim().strip_prefix("agent_version:"))
        .map(|text| {
            let text = text.trim();
            let text = text.strip_prefix("OFFICIAL_").unwrap_or(text);
            let text = text.split('_').next().unwrap_or(text);
            text.to_owned()
        })
        .unwrap_or_default();
    if output.contains("agent is running") {
        AgentStatus::Running(version)
    } else if output.contains("No AWS CodeDeploy agent running") {
        AgentStatus::Stopped
    } else {
        AgentStatus::Unknown(format!(
            "The agent's status could not be read from: {}",
            output.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(status: &str, details: &str, output: &str) -> Invocation {
        Invocation {
            instance_id: "i-1".to_owned(),
            status: status.to_owned(),
            details: details.to_owned(),
            output: output.to_owned(),
        }
    }

    #[test]
    fn the_agent_is_read_from_what_the_check_prints() {
        assert_eq!(
            agent_from_output(&invocation(
                "Success",
                "Success",
                "agent_version: OFFICIAL_1.7.1-110_deb\nThe AWS CodeDeploy agent is running as PID 3523\n"
            )),
            AgentStatus::Running("1.7.1-110".to_owned())
        );
        assert_eq!(
            agent_from_output(&invocation(
                "Failed",
                "Failed",
                "agent_version: OFFICIAL_1.7.1-110_deb\nNo AWS CodeDeploy agent running\n"
            )),
            AgentStatus::Stopped
        );
        assert_eq!(
            agent_from_output(&invocation(
                "Failed",
                "Failed",
                "No CodeDeploy agent installed\ncodedeploy-agent: unrecognized service\n"
            )),
            AgentStatus::NotInstalled
        );
        assert!(matches!(
            agent_from_output(&invocation("Failed", "Undeliverable", "")),
            AgentStatus::Unknown(why) if why.contains("not managed")
        ));
        assert!(matches!(
            agent_from_output(&invocation("InProgress", "InProgress", "")),
            AgentStatus::Unknown(_)
        ));
    }
}
