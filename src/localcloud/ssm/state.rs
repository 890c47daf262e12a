//! What Systems Manager remembers: the instances it manages, the
//! CodeDeploy agent of each instance it has touched, the commands sent and
//! their invocations, and the associations.
//!
//! Everything here is plain data. Which instances are managed, how an
//! invocation moves along the clock and what a document does on an
//! instance are in [`fleet_state`](super::fleet_state) and
//! [`document_state`](super::document_state).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// Systems Manager's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SsmState {
    /// The EC2 instances that have registered with Systems Manager, by
    /// instance id: the ones whose role let their SSM Agent in at some
    /// point and that are not terminated.
    pub nodes: Table<String, ManagedNode>,
    /// The CodeDeploy agent of each instance Systems Manager has installed,
    /// removed, started or stopped it on, by instance id. Other instances
    /// have the agent their `deploydesk:simulate` tag says.
    pub agents: Table<String, CodeDeployAgent>,
    /// Commands by id, with their invocations.
    pub commands: Table<String, Command>,
    /// Associations by id.
    pub associations: Table<String, Association>,
}

impl SsmState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.nodes.take_changes("ssm.nodes", changes);
        self.agents.take_changes("ssm.agents", changes);
        self.commands.take_changes("ssm.commands", changes);
        self.associations.take_changes("ssm.associations", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "ssm.nodes" => self.nodes.apply(change),
            "ssm.agents" => self.agents.apply(change),
            "ssm.commands" => self.commands.apply(change),
            "ssm.associations" => self.associations.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// An instance registered with Systems Manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedNode {
    /// The EC2 instance id.
    pub instance_id: String,
    /// When its SSM Agent first registered.
    pub registered: Timestamp,
    /// Whether its agent is reaching Systems Manager now (`Online`), or
    /// not since `last_ping` (`ConnectionLost`).
    pub online: bool,
    /// When it last reached Systems Manager; while online, it pings all
    /// the time, so the request's time is shown instead.
    pub last_ping: Timestamp,
    /// The name of the role its instance profile gave it when it last
    /// registered.
    pub iam_role: String,
}

/// The CodeDeploy agent on an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CodeDeployAgent {
    /// No agent is installed.
    NotInstalled,
    /// The agent `version` is installed and running.
    Running {
        /// Its version, e.g. `1.7.1`.
        version: String,
    },
    /// The agent `version` is installed but stopped.
    Stopped {
        /// Its version.
        version: String,
    },
}

impl CodeDeployAgent {
    /// Whether the agent is running, so it takes lifecycle events.
    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running { .. })
    }

    /// The installed version, if the agent is installed.
    pub fn version(&self) -> Option<&str> {
        match self {
            Self::NotInstalled => None,
            Self::Running { version } | Self::Stopped { version } => Some(version),
        }
    }
}

/// A target of a command or an association: `InstanceIds` or
/// `tag:<key>` with its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    /// `InstanceIds` or `tag:<key>`.
    pub key: String,
    /// The instance ids or tag values.
    pub values: Vec<String>,
}

/// A document's parameters, by name.
pub type Parameters = BTreeMap<String, Vec<String>>;

/// A command sent to instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// The command id (a UUID).
    pub command_id: String,
    /// The document it runs, e.g. `AWS-RunShellScript`.
    pub document_name: String,
    /// The comment given, if any.
    pub comment: Option<String>,
    /// The document's parameters as given.
    pub parameters: Parameters,
    /// The instance ids asked for, if the command was sent by id.
    pub instance_ids: Vec<String>,
    /// The targets asked for, if the command was sent by targets.
    pub targets: Vec<Target>,
    /// When it was sent.
    pub requested: Timestamp,
    /// How long it may wait to be delivered, in seconds.
    pub timeout_seconds: i64,
    /// `MaxConcurrency` as given (or its default).
    pub max_concurrency: String,
    /// `MaxErrors` as given (or its default).
    pub max_errors: String,
    /// One invocation per target instance, in instance id order.
    pub invocations: Vec<Invocation>,
}

/// Where one invocation of a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvocationStatus {
    /// Not yet delivered.
    Pending,
    /// Not delivered because the instance is not reachable; it is tried
    /// again until the delivery timeout.
    Delayed,
    /// Delivered and running.
    InProgress,
    /// Ran and exited zero.
    Success,
    /// Ran and exited non-zero.
    Failed,
    /// Not delivered before its delivery timeout.
    DeliveryTimedOut,
    /// Could not be delivered: the instance is gone.
    Undeliverable,
}

impl InvocationStatus {
    /// `Status` as the API spells it.
    pub fn status(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delayed => "Delayed",
            Self::InProgress => "InProgress",
            Self::Success => "Success",
            Self::Failed | Self::Undeliverable => "Failed",
            Self::DeliveryTimedOut => "TimedOut",
        }
    }

    /// `StatusDetails` as the API words it.
    pub fn details(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delayed => "Delayed",
            Self::InProgress => "In Progress",
            Self::Success => "Success",
            Self::Failed => "Failed",
            Self::DeliveryTimedOut => "Delivery Timed Out",
            Self::Undeliverable => "Undeliverable",
        }
    }

    /// Whether the invocation has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending | Self::Delayed | Self::InProgress)
    }
}

/// One command on one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// The instance.
    pub instance_id: String,
    /// Where it stands.
    pub status: InvocationStatus,
    /// When the instance received it.
    pub started: Option<Timestamp>,
    /// When it ended.
    pub finished: Option<Timestamp>,
    /// The exit code, once it ran (-1 until then).
    pub response_code: i32,
    /// What it printed.
    pub output: String,
    /// What it printed on standard error.
    pub error_output: String,
}

/// An association: a document applied to targets when created and again
/// on its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Association {
    /// The association id (a UUID).
    pub association_id: String,
    /// Its name, if given.
    pub association_name: Option<String>,
    /// The document it applies.
    pub document_name: String,
    /// Its targets.
    pub targets: Vec<Target>,
    /// Its schedule, e.g. `rate(14 days)`, if any.
    pub schedule: Option<String>,
    /// The document's parameters.
    pub parameters: Parameters,
    /// When it was created.
    pub created: Timestamp,
    /// When it next runs, if it runs again.
    pub next_run: Option<Timestamp>,
    /// When it last ran.
    pub last_run: Option<Timestamp>,
    /// When it last ran successfully on every target.
    pub last_success: Option<Timestamp>,
    /// How its last run went.
    pub overview: Overview,
}

/// How an association's last run went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// `Pending`, `Success` or `Failed`.
    pub status: String,
    /// The detailed status, e.g. `Associated`, `Success` or `Failed`.
    pub detailed_status: String,
    /// How many targets ended in each status.
    pub counts: BTreeMap<String, i32>,
}

impl Overview {
    /// The overview of an association that has not run yet.
    pub fn pending() -> Self {
        Self {
            status: "Pending".to_owned(),
            detailed_status: "Associated".to_owned(),
            counts: BTreeMap::new(),
        }
    }
}
