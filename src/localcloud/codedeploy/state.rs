//! What the local cloud remembers about CodeDeploy: applications with their
//! deployment groups and revisions, custom deployment configurations, and
//! on-premises instances. It is part of the [`World`](crate::localcloud::World)
//! and is saved with it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::deployment_state::{Deployments, LastDeploymentInfo};
use super::shapes::{
    AlarmConfiguration, AutoRollbackConfiguration, BlueGreenDeploymentConfiguration,
    DeploymentStyle, Ec2TagSet, EcsService, LoadBalancerInfo, OnPremisesTagSet, RevisionLocation,
    Tag, TagFilter, TrafficRoutingConfig, TriggerConfig, ZonalConfig,
};
use crate::domain::MinimumHealthyHosts;
use crate::domain::health::Health;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// CodeDeploy's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeDeployState {
    /// Applications by name.
    pub applications: Table<String, Application>,
    /// Custom deployment configurations by name; the predefined ones are
    /// not stored, they always exist.
    pub deployment_configs: Table<String, CustomDeploymentConfig>,
    /// On-premises instances by name, registered or deregistered.
    pub on_premises_instances: Table<String, OnPremisesInstance>,
    /// A counter that orders revisions by registration.
    pub revision_sequence: u64,
    /// Deployments, running and finished.
    pub deployments: Deployments,
}

/// CodeDeploy's counters and the engine's clock, journaled as one group
/// when any of them changed.
#[derive(Serialize, Deserialize)]
struct Counters<Active> {
    /// [`CodeDeployState::revision_sequence`].
    revision_sequence: u64,
    /// [`Deployments::sequence`].
    deployment_sequence: u64,
    /// [`Deployments::active`].
    active: Active,
    /// [`Deployments::advanced_to`].
    advanced_to: Option<Timestamp>,
    /// [`Deployments::next_due`].
    next_due: Option<Timestamp>,
    /// [`Deployments::holding`].
    #[serde(default)]
    holding: Active,
    /// [`Deployments::outdated`].
    #[serde(default)]
    outdated: Active,
}

impl CodeDeployState {
    /// Notes the records and counters changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.applications
            .take_changes("codedeploy.applications", changes);
        self.deployment_configs
            .take_changes("codedeploy.deployment_configs", changes);
        self.on_premises_instances
            .take_changes("codedeploy.on_premises_instances", changes);
        self.deployments
            .by_id
            .take_changes("codedeploy.deployments", changes);
        let deployments = &self.deployments;
        changes.scalars(
            "codedeploy.counters",
            &Counters {
                revision_sequence: self.revision_sequence,
                deployment_sequence: deployments.sequence,
                active: &deployments.active,
                advanced_to: deployments.advanced_to,
                next_due: deployments.next_due,
                holding: &deployments.holding,
                outdated: &deployments.outdated,
            },
        );
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "codedeploy.applications" => self.applications.apply(change),
            "codedeploy.deployment_configs" => self.deployment_configs.apply(change),
            "codedeploy.on_premises_instances" => self.on_premises_instances.apply(change),
            "codedeploy.deployments" => self.deployments.by_id.apply(change),
            "codedeploy.counters" => {
                let counters: Counters<BTreeSet<String>> = change.scalars()?;
                self.revision_sequence = counters.revision_sequence;
                self.deployments.sequence = counters.deployment_sequence;
                self.deployments.active = counters.active;
                self.deployments.advanced_to = counters.advanced_to;
                self.deployments.next_due = counters.next_due;
                self.deployments.holding = counters.holding;
                self.deployments.outdated = counters.outdated;
                Ok(())
            }
            _ => Err(change.unknown()),
        }
    }
}

/// An application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// The application's id.
    pub id: String,
    /// The application's name.
    pub name: String,
    /// `Server`, `Lambda` or `ECS`.
    pub compute_platform: String,
    /// When it was created.
    pub create_time: Timestamp,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Its deployment groups by name.
    pub deployment_groups: BTreeMap<String, DeploymentGroup>,
    /// Its registered revisions, in registration order.
    pub revisions: Vec<Revision>,
}

/// A deployment group, with every member a client can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentGroup {
    /// The group's id.
    pub id: String,
    /// The group's name.
    pub name: String,
    /// The deployment configuration deployments use by default.
    pub deployment_config_name: String,
    /// EC2 tag filters (any may match).
    pub ec2_tag_filters: Vec<TagFilter>,
    /// On-premises tag filters (any may match).
    pub on_premises_instance_tag_filters: Vec<TagFilter>,
    /// Auto Scaling group names.
    pub auto_scaling_groups: Vec<String>,
    /// The launch hook CodeDeploy installed in each of them, by group name.
    #[serde(default)]
    pub auto_scaling_hooks: BTreeMap<String, String>,
    /// The service role.
    pub service_role_arn: String,
    /// Notification triggers.
    pub trigger_configurations: Vec<TriggerConfig>,
    /// `CloudWatch` alarms.
    pub alarm_configuration: AlarmConfiguration,
    /// Automatic rollback.
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    /// In-place or blue/green.
    pub deployment_style: DeploymentStyle,
    /// `UPDATE` or `IGNORE`.
    pub outdated_instances_strategy: String,
    /// Blue/green options.
    pub blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    /// Load balancers.
    pub load_balancer_info: Option<LoadBalancerInfo>,
    /// EC2 tag groups (all must match).
    pub ec2_tag_set: Option<Ec2TagSet>,
    /// On-premises tag groups (all must match).
    pub on_premises_tag_set: Option<OnPremisesTagSet>,
    /// ECS services.
    pub ecs_services: Vec<EcsService>,
    /// Whether an Auto Scaling termination hook is installed.
    pub termination_hook_enabled: bool,
    /// The group's tags.
    pub tags: Vec<Tag>,
    /// The revision of the group's last successful deployment.
    #[serde(default)]
    pub target_revision: Option<RevisionLocation>,
    /// The group's last successful deployment.
    #[serde(default)]
    pub last_successful_deployment: Option<LastDeploymentInfo>,
    /// The group's most recent deployment.
    #[serde(default)]
    pub last_attempted_deployment: Option<LastDeploymentInfo>,
    /// Instance and revision health of the instances deployed to, by
    /// target id; an instance not listed has never been deployed to.
    #[serde(default)]
    pub instance_health: BTreeMap<String, Health>,
    /// The deployment each instance last installed a revision from, by
    /// target id: the agent's "last successful install", whose
    /// `ApplicationStop` scripts the next deployment runs.
    #[serde(default)]
    pub last_installs: BTreeMap<String, String>,
}

/// A registered application revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// Where it lives, as registered.
    pub location: RevisionLocation,
    /// Its description.
    pub description: Option<String>,
    /// When it was registered.
    pub register_time: Timestamp,
    /// When a deployment first used it.
    pub first_used_time: Option<Timestamp>,
    /// When a deployment last used it.
    pub last_used_time: Option<Timestamp>,
    /// The groups it is the target revision of.
    pub deployment_groups: Vec<String>,
    /// Its place in registration order.
    pub sequence: u64,
}

/// A custom deployment configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomDeploymentConfig {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `Server`, `Lambda` or `ECS`.
    pub compute_platform: String,
    /// When it was created.
    pub create_time: Timestamp,
    /// The minimum healthy hosts (Server only).
    pub minimum_healthy_hosts: Option<MinimumHealthyHosts>,
    /// Traffic routing (Lambda and ECS).
    pub traffic_routing_config: Option<TrafficRoutingConfig>,
    /// Zonal rollout (Server only).
    pub zonal_config: Option<ZonalConfig>,
}

/// An on-premises instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnPremisesInstance {
    /// Its name.
    pub name: String,
    /// The IAM session ARN it registered with, if any.
    pub iam_session_arn: Option<String>,
    /// The IAM user ARN it registered with, if any.
    pub iam_user_arn: Option<String>,
    /// Its ARN.
    pub instance_arn: String,
    /// When it was registered.
    pub register_time: Timestamp,
    /// When it was deregistered, if it was.
    pub deregister_time: Option<Timestamp>,
    /// Its tags.
    pub tags: Vec<Tag>,
}
