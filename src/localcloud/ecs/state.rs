//! What ECS remembers: clusters, task definitions by family and revision,
//! and services with their task sets (or, under the `ECS` deployment
//! controller, their deployments).
//!
//! Everything here is plain data and the lookups every operation and the
//! deployment engine share: a cluster, service or task definition named
//! by short name or by ARN. How tasks start on the clock is in
//! [`task_set_state`](super::task_set_state).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// `status` of an active cluster, service or task definition.
pub const ACTIVE: &str = "ACTIVE";
/// `status` of a deleted cluster or service, or a deregistered task
/// definition.
pub const INACTIVE: &str = "INACTIVE";
/// The `ECS` deployment controller: rolling updates by ECS itself.
pub const CONTROLLER_ECS: &str = "ECS";
/// The `CODE_DEPLOY` deployment controller: blue/green by CodeDeploy.
pub const CONTROLLER_CODE_DEPLOY: &str = "CODE_DEPLOY";
/// The `EXTERNAL` deployment controller.
pub const CONTROLLER_EXTERNAL: &str = "EXTERNAL";
/// The cluster a request that names none is for.
pub const DEFAULT_CLUSTER: &str = "default";

/// ECS's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EcsState {
    /// Clusters by name, deleted ones (`INACTIVE`) included.
    pub clusters: Table<String, Cluster>,
    /// Task definitions by family.
    pub task_definitions: Table<String, TaskFamily>,
    /// Services by `cluster/service` name.
    pub services: Table<String, EcsService>,
}

impl EcsState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.clusters.take_changes("ecs.clusters", changes);
        self.task_definitions
            .take_changes("ecs.task_definitions", changes);
        self.services.take_changes("ecs.services", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "ecs.clusters" => self.clusters.apply(change),
            "ecs.task_definitions" => self.task_definitions.apply(change),
            "ecs.services" => self.services.apply(change),
            _ => Err(change.unknown()),
        }
    }

    /// The active cluster `cluster` (name or ARN).
    pub fn cluster(&self, cluster: &str) -> Option<&Cluster> {
        self.clusters
            .get(cluster_name(cluster))
            .filter(|found| found.status == ACTIVE)
    }

    /// The service `service` (name or ARN) of cluster `cluster` (name or
    /// ARN), deleted ones included.
    pub fn service(&self, cluster: &str, service: &str) -> Option<&EcsService> {
        self.services
            .get(&service_key(cluster_name(cluster), service_name(service)))
    }

    /// Stores `service`, replacing the one of the same cluster and name.
    pub fn put_service(&mut self, service: EcsService) {
        self.services
            .insert(service_key(&service.cluster, &service.name), service);
    }

    /// The task definition `reference` (family, family:revision or ARN);
    /// family alone means its latest `ACTIVE` revision.
    pub fn task_definition(&self, reference: &str) -> Option<&TaskDefinition> {
        let reference = reference
            .rsplit_once(":task-definition/")
            .map_or(reference, |(_, rest)| rest);
        match reference.split_once(':') {
            Some((family, revision)) => {
                let revision: u32 = revision.parse().ok()?;
                self.task_definitions.get(family)?.revisions.get(&revision)
            }
            None => self
                .task_definitions
                .get(reference)?
                .revisions
                .values()
                .rev()
                .find(|definition| definition.status == ACTIVE),
        }
    }
}

/// The name of cluster `cluster` (name or ARN).
pub fn cluster_name(cluster: &str) -> &str {
    cluster
        .rsplit_once(":cluster/")
        .map_or(cluster, |(_, name)| name)
}

/// The name of service `service` (name, or ARN in the long or short form).
pub fn service_name(service: &str) -> &str {
    match service.rsplit_once(":service/") {
        Some((_, rest)) => rest.rsplit('/').next().unwrap_or(rest),
        None => service,
    }
}

/// The key of service `service` of cluster `cluster` in
/// [`EcsState::services`].
pub fn service_key(cluster: &str, service: &str) -> String {
    format!("{cluster}/{service}")
}

/// The ARN of cluster `name` in `region`.
pub fn cluster_arn(region: &str, name: &str) -> String {
    format!("arn:aws:ecs:{region}:{ACCOUNT_ID}:cluster/{name}")
}

/// The ARN of service `service` of cluster `cluster` in `region`.
pub fn service_arn(region: &str, cluster: &str, service: &str) -> String {
    format!("arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster}/{service}")
}

/// The ARN of revision `revision` of task definition family `family`.
pub fn task_definition_arn(region: &str, family: &str, revision: u32) -> String {
    format!("arn:aws:ecs:{region}:{ACCOUNT_ID}:task-definition/{family}:{revision}")
}

/// Tags by key.
pub type Tags = BTreeMap<String, String>;

/// A cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// `ACTIVE`, or `INACTIVE` once deleted.
    pub status: String,
    /// When it was created.
    pub created: Timestamp,
    /// Its tags.
    pub tags: Tags,
}

/// The revisions of one task definition family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFamily {
    /// The family's name.
    pub family: String,
    /// Its revisions by number, from 1.
    pub revisions: BTreeMap<u32, TaskDefinition>,
}

/// A port mapping of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    /// The port the container listens on.
    pub container_port: i32,
    /// The port on the host, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// A container of a task definition. The members the local cloud does not
/// use (command, environment, logging, ...) are kept as given and
/// returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    /// Its name, unique in the task definition.
    pub name: String,
    /// Its image.
    pub image: String,
    /// CPU units.
    pub cpu: i64,
    /// The hard memory limit in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    /// The soft memory limit in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i64>,
    /// Whether the task stops when this container does.
    pub essential: bool,
    /// Its port mappings.
    pub port_mappings: Vec<PortMapping>,
    /// The other members, as given.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// One revision of a task definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDefinition {
    /// Its family.
    pub family: String,
    /// Its revision, from 1.
    pub revision: u32,
    /// Its ARN.
    pub arn: String,
    /// Its containers.
    pub container_definitions: Vec<ContainerDefinition>,
    /// `bridge`, `host`, `awsvpc` or `none`, if given.
    pub network_mode: Option<String>,
    /// `EC2`, `FARGATE` or `EXTERNAL`.
    pub requires_compatibilities: Vec<String>,
    /// Task CPU, as given (`256`, `1 vCPU`).
    pub cpu: Option<String>,
    /// Task memory, as given (`512`, `1 GB`).
    pub memory: Option<String>,
    /// The role ECS's agent pulls images and writes logs with.
    pub execution_role_arn: Option<String>,
    /// The role the containers get.
    pub task_role_arn: Option<String>,
    /// `ACTIVE`, or `INACTIVE` once deregistered.
    pub status: String,
    /// When it was registered.
    pub registered: Timestamp,
    /// When it was deregistered.
    pub deregistered: Option<Timestamp>,
    /// Its tags.
    pub tags: Tags,
}

impl TaskDefinition {
    /// The container named `name`.
    pub fn container(&self, name: &str) -> Option<&ContainerDefinition> {
        self.container_definitions
            .iter()
            .find(|container| container.name == name)
    }
}

/// A load balancer a service or task set registers its tasks with: a
/// target group of Elastic Load Balancing v2, and the container and port
/// that receive its traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// The target group's ARN.
    pub target_group_arn: String,
    /// The container's name.
    pub container_name: String,
    /// The container's port.
    pub container_port: i32,
}

/// A service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsService {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its cluster's name.
    pub cluster: String,
    /// Its cluster's ARN.
    pub cluster_arn: String,
    /// How many tasks it keeps running.
    pub desired_count: i64,
    /// `ECS` or `CODE_DEPLOY`.
    pub deployment_controller: String,
    /// The task definition's ARN: the primary task set's (or deployment's).
    pub task_definition: String,
    /// Its load balancers.
    pub load_balancers: Vec<LoadBalancer>,
    /// Its network configuration, as given.
    pub network_configuration: Option<Value>,
    /// `EC2`, `FARGATE` or `EXTERNAL`, if given.
    pub launch_type: Option<String>,
    /// When it was created.
    pub created: Timestamp,
    /// When it was deleted: it drains, then is `INACTIVE`.
    pub deleted: Option<Timestamp>,
    /// Its task sets (`CODE_DEPLOY`), primary first.
    pub task_sets: Vec<TaskSet>,
    /// Its deployments (`ECS`), primary first.
    pub deployments: Vec<Deployment>,
    /// Its tags.
    pub tags: Tags,
}

impl EcsService {
    /// The task set `task_set` (id or ARN).
    pub fn task_set(&self, task_set: &str) -> Option<&TaskSet> {
        self.task_sets
            .iter()
            .find(|found| found.id == task_set || found.arn == task_set)
    }

    /// Whether the service uses task sets (`CODE_DEPLOY` or `EXTERNAL`).
    pub fn has_task_sets(&self) -> bool {
        self.deployment_controller != CONTROLLER_ECS
    }
}

/// Tasks started together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    /// How many.
    pub count: i64,
    /// When they were started; they run
    /// [`TASK_START_MS`](super::task_set_state::TASK_START_MS) later.
    pub at: Timestamp,
}

/// The tasks of a task set or deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tasks {
    /// The tasks not stopped, oldest launch first.
    pub launches: Vec<Launch>,
    /// When the tasks were last changed.
    pub changed: Timestamp,
}

/// A set of tasks of one task definition in a `CODE_DEPLOY` service: the
/// original one, and the replacement a blue/green deployment creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSet {
    /// Its id, `ecs-svc/` and 19 digits.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Its service's ARN.
    pub service_arn: String,
    /// Its cluster's ARN.
    pub cluster_arn: String,
    /// `PRIMARY` (serves production traffic) or `ACTIVE`.
    pub status: String,
    /// Its task definition's ARN.
    pub task_definition: String,
    /// The CodeDeploy deployment that created it, if one did.
    pub external_id: Option<String>,
    /// Who started it, if not the service itself.
    pub started_by: Option<String>,
    /// Its load balancers.
    pub load_balancers: Vec<LoadBalancer>,
    /// Its network configuration, as given.
    pub network_configuration: Option<Value>,
    /// `EC2`, `FARGATE` or `EXTERNAL`, if given.
    pub launch_type: Option<String>,
    /// Its share of the service's desired count, in percent.
    pub scale_percent: f64,
    /// When it was created.
    pub created: Timestamp,
    /// When it was last changed.
    pub updated: Timestamp,
    /// Its tasks.
    pub tasks: Tasks,
}

/// A deployment of a service under the `ECS` controller: its task
/// definition and tasks. The newest is `PRIMARY`; the one it replaces is
/// `ACTIVE` and keeps running until the primary's tasks all run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Its id, `ecs-svc/` and 19 digits.
    pub id: String,
    /// `PRIMARY` or `ACTIVE`.
    pub status: String,
    /// Its task definition's ARN.
    pub task_definition: String,
    /// `EC2`, `FARGATE` or `EXTERNAL`, if given.
    pub launch_type: Option<String>,
    /// Its network configuration, as given.
    pub network_configuration: Option<Value>,
    /// When it was created.
    pub created: Timestamp,
    /// When it was last changed.
    pub updated: Timestamp,
    /// Its tasks.
    pub tasks: Tasks,
}
