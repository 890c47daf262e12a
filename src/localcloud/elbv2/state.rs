//! What Elastic Load Balancing v2 remembers: load balancers, target groups
//! with their registered targets, and listeners with their forward actions.
//!
//! Every map is keyed by the item's ARN. A target's health moves on the
//! clock: [`Elbv2State::settle`], called from the server's
//! `Shared::advance_to` with how each EC2 instance is doing, works out each
//! target's state with [`health_of`] and ends the draining of deregistered
//! targets whose deregistration delay has passed.
//!
//! # The seam for CodeDeploy
//!
//! CodeDeploy's `BlockTraffic`/`AllowTraffic` and blue/green reroute act on
//! load balancers without a request. They use these functions, which check
//! what the handlers check and change the state the same way:
//!
//! - [`Elbv2State::target_group_named`]: a target group by the name
//!   CodeDeploy's `loadBalancerInfo` gives;
//! - [`Elbv2State::register_instance`] and
//!   [`Elbv2State::deregister_instance`]: put an instance into a target
//!   group, or start draining it;
//! - [`Elbv2State::instance_health`], [`Elbv2State::is_healthy`] and
//!   [`Elbv2State::is_drained`]: where an instance stands in a target
//!   group (drained means no longer registered, draining over);
//!   [`healthy_at`] and [`TargetGroup::target`]'s `draining_until`: when
//!   it will be healthy, or drained;
//! - [`Elbv2State::forward_weights`] and
//!   [`Elbv2State::set_forward_weights`]: which target groups a listener's
//!   forward action sends traffic to, with what weights, and changing them;
//!   [`Elbv2State::target_group_arns_of_listener`] and
//!   [`Elbv2State::listeners_forwarding_to`] look the links up both ways.
//!
//! Health needs to know how each instance is doing: the caller passes a
//! function from an instance id to its [`Liveness`]; [`liveness_in`] reads
//! it from EC2's state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::localcloud::clock::Timestamp;
use crate::localcloud::ec2::{Ec2State, InstanceState};
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// The VPC every load balancer of the local cloud is in: the local cloud
/// has no VPCs of its own, so its subnets all count as one VPC's.
pub const VPC_ID: &str = "vpc-0a1b2c3d4e5f60718";

/// The attribute that holds a target group's deregistration delay.
pub const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
/// The deregistration delay a target group starts with, in seconds.
pub const DEFAULT_DEREGISTRATION_DELAY_SECS: i64 = 300;

/// Elastic Load Balancing v2's load balancers, target groups and listeners.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Elbv2State {
    /// Load balancers by ARN.
    pub load_balancers: Table<String, LoadBalancer>,
    /// Target groups by ARN.
    pub target_groups: Table<String, TargetGroup>,
    /// Listeners by ARN.
    pub listeners: Table<String, Listener>,
}

impl Elbv2State {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.load_balancers
            .take_changes("elbv2.load_balancers", changes);
        self.target_groups
            .take_changes("elbv2.target_groups", changes);
        self.listeners.take_changes("elbv2.listeners", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "elbv2.load_balancers" => self.load_balancers.apply(change),
            "elbv2.target_groups" => self.target_groups.apply(change),
            "elbv2.listeners" => self.listeners.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// A load balancer's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadBalancerType {
    /// An Application Load Balancer (HTTP and HTTPS).
    Application,
    /// A Network Load Balancer (TCP, TLS, UDP).
    Network,
}

impl LoadBalancerType {
    /// The type as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Network => "network",
        }
    }

    /// The type as its ARNs spell it: `app` or `net`.
    pub fn arn_part(self) -> &'static str {
        match self {
            Self::Application => "app",
            Self::Network => "net",
        }
    }

    /// The listener and target group protocols this type accepts.
    pub fn protocols(self) -> &'static [&'static str] {
        match self {
            Self::Application => &["HTTP", "HTTPS"],
            Self::Network => &["TCP", "TLS", "UDP", "TCP_UDP"],
        }
    }
}

/// A load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: LoadBalancerType,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// The VPC it is in.
    pub vpc_id: String,
    /// Its subnets with their Availability Zones, in the order given.
    pub subnets: Vec<(String, String)>,
    /// Its security groups (application load balancers).
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// `ipv4` or `dualstack`.
    pub ip_address_type: String,
    /// Its DNS name.
    pub dns_name: String,
    /// When it was created.
    pub created: Timestamp,
    /// Its tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// A target group's health check settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// Whether health checks run.
    pub enabled: bool,
    /// The protocol, e.g. `HTTP`.
    pub protocol: String,
    /// The port, `traffic-port` or a number.
    pub port: String,
    /// The path (HTTP and HTTPS checks).
    pub path: Option<String>,
    /// Seconds between checks.
    pub interval_seconds: i64,
    /// Seconds before a check times out.
    pub timeout_seconds: i64,
    /// Passing checks in a row before a target is healthy.
    pub healthy_threshold: i64,
    /// Failing checks in a row before a target is unhealthy.
    pub unhealthy_threshold: i64,
    /// The HTTP codes that pass (HTTP and HTTPS checks).
    pub matcher: Option<String>,
}

impl HealthCheck {
    /// How long a target takes from its first check to healthy, in
    /// milliseconds: `HealthyThresholdCount` checks, one per interval.
    pub fn time_to_healthy_millis(&self) -> i64 {
        self.healthy_threshold * self.interval_seconds * 1000
    }
}

/// A target's health state, as `DescribeTargetHealth` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    /// Registered, its health checks not yet passed.
    Initial,
    /// Passing its health checks.
    Healthy,
    /// Failing its health checks.
    Unhealthy,
    /// Not taking traffic (no load balancer, not running, not registered).
    Unused,
    /// Deregistered, connections draining.
    Draining,
    /// Health checks are off.
    Unavailable,
}

impl TargetState {
    /// The state as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Unused => "unused",
            Self::Draining => "draining",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A target's health: its state, and for every state but `healthy` AWS's
/// reason code and description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetHealth {
    /// The state.
    pub state: TargetState,
    /// The reason code, e.g. `Elb.RegistrationInProgress`.
    pub reason: Option<String>,
    /// The description AWS gives with the reason.
    pub description: Option<String>,
}

impl TargetHealth {
    /// A state with AWS's `reason` and `description`.
    fn because(state: TargetState, reason: &str, description: &str) -> Self {
        Self {
            state,
            reason: Some(reason.to_owned()),
            description: Some(description.to_owned()),
        }
    }

    /// `healthy`, which carries no reason.
    fn healthy() -> Self {
        Self {
            state: TargetState::Healthy,
            reason: None,
            description: None,
        }
    }

    /// `initial`: registration in progress.
    pub fn registering() -> Self {
        Self::because(
            TargetState::Initial,
            "Elb.RegistrationInProgress",
            "Target registration is in progress",
        )
    }

    /// `draining`: deregistration in progress.
    pub fn draining() -> Self {
        Self::because(
            TargetState::Draining,
            "Target.DeregistrationInProgress",
            "Target deregistration is in progress",
        )
    }

    /// `unused`: the target is not registered.
    pub fn not_registered() -> Self {
        Self::because(
            TargetState::Unused,
            "Target.NotRegistered",
            "Target is not registered to the target group",
        )
    }

    /// `unused`: no load balancer sends traffic to the target group.
    pub fn not_in_use() -> Self {
        Self::because(
            TargetState::Unused,
            "Target.NotInUse",
            "Target group is not configured to receive traffic from the load balancer",
        )
    }

    /// `unused`: the instance is stopped or terminated.
    pub fn invalid_state(what: &str) -> Self {
        Self::because(
            TargetState::Unused,
            "Target.InvalidState",
            &format!("Target is in the {what} state"),
        )
    }

    /// `unavailable`: health checks are off.
    pub fn checks_disabled() -> Self {
        Self::because(
            TargetState::Unavailable,
            "Target.HealthCheckDisabled",
            "Health checks are disabled",
        )
    }
}

/// A registered target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The instance id.
    pub id: String,
    /// The port traffic goes to.
    pub port: u16,
    /// When it was registered.
    pub registered: Timestamp,
    /// Its health, as last settled.
    pub health: TargetHealth,
    /// When its draining ends, once deregistered.
    pub draining_until: Option<Timestamp>,
}

/// A target group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroup {
    /// Its ARN.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// The protocol, e.g. `HTTP`.
    pub protocol: String,
    /// The port targets receive traffic on unless registered with another.
    pub port: u16,
    /// The VPC its targets are in.
    pub vpc_id: String,
    /// `instance`.
    pub target_type: String,
    /// `HTTP1` for HTTP and HTTPS groups.
    pub protocol_version: Option<String>,
    /// The health check.
    pub health_check: HealthCheck,
    /// Its attributes by key.
    pub attributes: BTreeMap<String, String>,
    /// Its targets, in registration order.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Since when a listener of a load balancer forwards to it.
    #[serde(default)]
    pub in_use_since: Option<Timestamp>,
    /// When it was created.
    pub created: Timestamp,
    /// Its tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl TargetGroup {
    /// How long a deregistered target drains, in milliseconds.
    pub fn deregistration_delay_millis(&self) -> i64 {
        self.attributes
            .get(DEREGISTRATION_DELAY)
            .and_then(|text| text.parse::<i64>().ok())
            .unwrap_or(DEFAULT_DEREGISTRATION_DELAY_SECS)
            * 1000
    }

    /// The registered target `id` (draining or not).
    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|target| target.id == id)
    }
}

/// One target group of a forward action, with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedTargetGroup {
    /// The target group's ARN.
    pub arn: String,
    /// Its weight, 0 to 999.
    pub weight: u32,
}

/// A listener's default action: forward to one or more target groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardAction {
    /// The action's order, if given.
    pub order: Option<i64>,
    /// The target groups with their weights.
    pub target_groups: Vec<WeightedTargetGroup>,
    /// Whether target group stickiness is on.
    #[serde(default)]
    pub stickiness: bool,
    /// How long stickiness lasts, in seconds, if on.
    #[serde(default)]
    pub stickiness_seconds: Option<i64>,
}

/// A listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    /// Its ARN.
    pub arn: String,
    /// The load balancer's ARN.
    pub load_balancer_arn: String,
    /// The protocol, e.g. `HTTP`.
    pub protocol: String,
    /// The port.
    pub port: u16,
    /// Its default actions (forward actions).
    pub actions: Vec<ForwardAction>,
}

impl Listener {
    /// The ARNs of the target groups its actions forward to, each once.
    pub fn target_group_arns(&self) -> Vec<String> {
        let mut arns: Vec<String> = Vec::new();
        for action in &self.actions {
            for group in &action.target_groups {
                if !arns.contains(&group.arn) {
                    arns.push(group.arn.clone());
                }
            }
        }
        arns
    }
}

/// How an instance is doing, as far as a load balancer's health checks can
/// tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Running since the time given.
    Running {
        /// When it entered the running state.
        since: Timestamp,
    },
    /// Starting up: registered targets wait in `initial`.
    Starting,
    /// Stopping or stopped.
    Stopped,
    /// Shutting down, terminated or unknown.
    Terminated,
}

/// How the instance `id` is doing in EC2's `ec2`.
pub fn liveness_in(ec2: &Ec2State, id: &str) -> Liveness {
    match ec2.instances.get(id) {
        Some(instance) => match instance.state {
            InstanceState::Running => Liveness::Running {
                since: instance.state_changed,
            },
            InstanceState::Pending => Liveness::Starting,
            InstanceState::Stopping | InstanceState::Stopped => Liveness::Stopped,
            InstanceState::ShuttingDown | InstanceState::Terminated => Liveness::Terminated,
        },
        None => Liveness::Terminated,
    }
}

/// The health of `target` in `group` at `now`, for an instance doing as
/// `liveness` says. A draining target stays draining; otherwise a target
/// group no listener forwards to leaves its targets `unused`
/// (`Target.NotInUse`), a stopped or terminated instance is `unused`
/// (`Target.InvalidState`), and a running one is `initial` until its
/// health check has passed `HealthyThresholdCount` times, one interval
/// apart, counted from the latest of its registration, its start and the
/// group's first listener; then `healthy`.
pub fn health_of(
    group: &TargetGroup,
    target: &Target,
    liveness: Liveness,
    now: Timestamp,
) -> TargetHealth {
    if target.draining_until.is_some() {
        return TargetHealth::draining();
    }
    let Some(in_use_since) = group.in_use_since else {
        return TargetHealth::not_in_use();
    };
    match liveness {
        Liveness::Stopped => TargetHealth::invalid_state("stopped"),
        Liveness::Terminated => TargetHealth::invalid_state("terminated"),
        Liveness::Starting => TargetHealth::registering(),
        Liveness::Running { since } => {
            if !group.health_check.enabled {
                return TargetHealth::checks_disabled();
            }
            let checks_from = target.registered.max(since).max(in_use_since);
            if now >= checks_from.plus_millis(group.health_check.time_to_healthy_millis()) {
                TargetHealth::healthy()
            } else {
                TargetHealth::registering()
            }
        }
    }
}

/// When `target` of `group` turns `healthy` by the rules of [`health_of`],
/// for an instance doing as `liveness` says and nothing changing
/// meanwhile; `None` when it does not (draining, no listener forwards to
/// the group, health checks off, or the instance not running).
pub fn healthy_at(group: &TargetGroup, target: &Target, liveness: Liveness) -> Option<Timestamp> {
    let in_use_since = group.in_use_since?;
    let Liveness::Running { since } = liveness else {
        return None;
    };
    if target.draining_until.is_some() || !group.health_check.enabled {
        return None;
    }
    let checks_from = target.registered.max(since).max(in_use_since);
    let healthy = checks_from.plus_millis(group.health_check.time_to_healthy_millis());
    (health_of(group, target, liveness, healthy).state == TargetState::Healthy).then_some(healthy)
}

/// Why the engine's change to a target group or listener was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeamError {
    /// No target group has the ARN.
    #[error("The target group {0} does not exist.")]
    NoTargetGroup(String),
    /// No listener has the ARN.
    #[error("The listener {0} does not exist.")]
    NoListener(String),
    /// The instance is terminated or unknown.
    #[error("The instance {0} is not running or does not exist, so it cannot be registered.")]
    InvalidTarget(String),
    /// The weights name a target group the listener does not forward to,
    /// or leave one out.
    #[error("The weights must name exactly the target groups the listener forwards to.")]
    WeightsMismatch,
    /// A weight above 999.
    #[error("A target group's weight must be between 0 and 999.")]
    WeightOutOfRange,
}

impl Elbv2State {
    /// Brings every target's health up to `now` and removes the targets
    /// whose draining has ended. `liveness` says how each instance is
    /// doing. Returns whether anything changed.
    pub fn settle(&mut self, now: Timestamp, liveness: impl Fn(&str) -> Liveness) -> bool {
        let mut due: Vec<(String, Vec<Target>)> = Vec::new();
        for (arn, group) in self.target_groups.iter() {
            // Most calls change nothing: look before copying anything.
            let healths: Vec<Option<TargetHealth>> = group
                .targets
                .iter()
                .map(|target| {
                    target
                        .draining_until
                        .is_none_or(|until| until > now)
                        .then(|| health_of(group, target, liveness(&target.id), now))
                })
                .collect();
            let unchanged = group
                .targets
                .iter()
                .zip(&healths)
                .all(|(target, health)| health.as_ref() == Some(&target.health));
            if unchanged {
                continue;
            }
            let targets: Vec<Target> = group
                .targets
                .iter()
                .zip(healths)
                .filter_map(|(target, health)| {
                    health.map(|health| Target {
                        health,
                        ..target.clone()
                    })
                })
                .collect();
            due.push((arn.clone(), targets));
        }
        let changed = !due.is_empty();
        for (arn, targets) in due {
            if let Some(group) = self.target_groups.get_mut(&arn) {
                group.targets = targets;
            }
        }
        changed
    }

    /// The ARNs of the load balancers whose listeners forward to the
    /// target group `arn`, each once.
    pub fn load_balancers_of(&self, arn: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for listener in self.listeners.values() {
            if listener
                .target_group_arns()
                .iter()
                .any(|known| known == arn)
                && !found.contains(&listener.load_balancer_arn)
            {
                found.push(listener.load_balancer_arn.clone());
            }
        }
        found
    }

    /// Marks, as of `now`, which target groups a listener forwards to:
    /// a group that just gained its first listener is in use from `now`,
    /// one that lost its last is no longer. Called after every change to
    /// listeners.
    pub fn note_listeners(&mut self, now: Timestamp) {
        let used: Vec<String> = self
            .listeners
            .values()
            .flat_map(Listener::target_group_arns)
            .collect();
        let due: Vec<(String, Option<Timestamp>)> = self
            .target_groups
            .iter()
            .filter_map(|(arn, group)| {
                let in_use = used.contains(arn);
                match (in_use, group.in_use_since) {
                    (true, None) => Some((arn.clone(), Some(now))),
                    (false, Some(_)) => Some((arn.clone(), None)),
                    _ => None,
                }
            })
            .collect();
        for (arn, since) in due {
            if let Some(group) = self.target_groups.get_mut(&arn) {
                group.in_use_since = since;
            }
        }
    }

    /// Registers the instance `id` in the target group `arn` on `port`
    /// (the group's port when `None`), as `RegisterTargets` does: a new or
    /// draining target starts over in `initial`, a registered one is left
    /// as it is. The handler checks its input first; the engine calls this
    /// directly.
    pub fn register_instance(
        &mut self,
        arn: &str,
        id: &str,
        port: Option<u16>,
        now: Timestamp,
        liveness: Liveness,
    ) -> Result<(), SeamError> {
        if liveness == Liveness::Terminated {
            return Err(SeamError::InvalidTarget(id.to_owned()));
        }
        let group = self
            .target_groups
            .get(arn)
            .ok_or_else(|| SeamError::NoTargetGroup(arn.to_owned()))?;
        let port = port.unwrap_or(group.port);
        let existing = group
            .targets
            .iter()
            .position(|target| target.id == id && target.port == port);
        if let Some(index) = existing
            && group.targets[index].draining_until.is_none()
        {
            return Ok(());
        }
        let mut target = Target {
            id: id.to_owned(),
            port,
            registered: now,
            health: TargetHealth::registering(),
            draining_until: None,
        };
        target.health = health_of(group, &target, liveness, now);
        if let Some(group) = self.target_groups.get_mut(arn) {
            match existing {
                Some(index) => group.targets[index] = target,
                None => group.targets.push(target),
            }
        }
        Ok(())
    }

    /// Deregisters the instance `id` (on `port`, or on every port when
    /// `None`) from the target group `arn`: it drains for the group's
    /// deregistration delay, or goes at once when no listener forwards to
    /// the group or the delay is zero. Returns whether it was registered.
    pub fn deregister_instance(
        &mut self,
        arn: &str,
        id: &str,
        port: Option<u16>,
        now: Timestamp,
    ) -> Result<bool, SeamError> {
        let group = self
            .target_groups
            .get(arn)
            .ok_or_else(|| SeamError::NoTargetGroup(arn.to_owned()))?;
        let matches = |target: &Target| {
            target.id == id
                && port.is_none_or(|port| target.port == port)
                && target.draining_until.is_none()
        };
        if !group.targets.iter().any(matches) {
            return Ok(false);
        }
        let delay = group.deregistration_delay_millis();
        let drains = group.in_use_since.is_some() && delay > 0;
        if let Some(group) = self.target_groups.get_mut(arn) {
            if drains {
                for target in group.targets.iter_mut().filter(|target| matches(target)) {
                    target.draining_until = Some(now.plus_millis(delay));
                    target.health = TargetHealth::draining();
                }
            } else {
                group.targets.retain(|target| !matches(target));
            }
        }
        Ok(true)
    }

    /// The target group named `name`: CodeDeploy's `loadBalancerInfo`
    /// names target groups, where the functions here take ARNs.
    pub fn target_group_named(&self, name: &str) -> Option<&TargetGroup> {
        self.target_groups.values().find(|group| group.name == name)
    }

    /// The health of the instance `id` in the target group `arn` as last
    /// settled, or `None` when it is not registered (or the group does
    /// not exist).
    pub fn instance_health(&self, arn: &str, id: &str) -> Option<&TargetHealth> {
        self.target_groups
            .get(arn)?
            .target(id)
            .map(|target| &target.health)
    }

    /// Whether the instance `id` is registered in the target group `arn`
    /// and healthy.
    pub fn is_healthy(&self, arn: &str, id: &str) -> bool {
        self.instance_health(arn, id)
            .is_some_and(|health| health.state == TargetState::Healthy)
    }

    /// Whether the instance `id` is gone from the target group `arn`:
    /// not registered, its draining (if any) over.
    pub fn is_drained(&self, arn: &str, id: &str) -> bool {
        self.instance_health(arn, id).is_none()
    }

    /// The target groups the listener `arn` forwards to, with their
    /// weights, or `None` if there is no such listener.
    pub fn forward_weights(&self, arn: &str) -> Option<Vec<WeightedTargetGroup>> {
        let listener = self.listeners.get(arn)?;
        Some(
            listener
                .actions
                .iter()
                .flat_map(|action| action.target_groups.iter().cloned())
                .collect(),
        )
    }

    /// The ARNs of the target groups the listener `arn` forwards to.
    pub fn target_group_arns_of_listener(&self, arn: &str) -> Option<Vec<String>> {
        self.listeners.get(arn).map(Listener::target_group_arns)
    }

    /// The ARNs of the listeners that forward to the target group `arn`.
    pub fn listeners_forwarding_to(&self, arn: &str) -> Vec<String> {
        self.listeners
            .values()
            .filter(|listener| {
                listener
                    .target_group_arns()
                    .iter()
                    .any(|known| known == arn)
            })
            .map(|listener| listener.arn.clone())
            .collect()
    }

    /// Sets the weights of the target groups the listener `arn` forwards
    /// to, as a blue/green reroute does with `ModifyListener`: `weights`
    /// names each of the listener's target groups once, with a weight of
    /// 0 to 999.
    pub fn set_forward_weights(
        &mut self,
        arn: &str,
        weights: &[(String, u32)],
    ) -> Result<(), SeamError> {
        let listener = self
            .listeners
            .get(arn)
            .ok_or_else(|| SeamError::NoListener(arn.to_owned()))?;
        let mut current = listener.target_group_arns();
        let mut named: Vec<String> = weights.iter().map(|(arn, _)| arn.clone()).collect();
        current.sort();
        named.sort();
        if current != named {
            return Err(SeamError::WeightsMismatch);
        }
        if weights.iter().any(|(_, weight)| *weight > 999) {
            return Err(SeamError::WeightOutOfRange);
        }
        if let Some(listener) = self.listeners.get_mut(arn) {
            for action in &mut listener.actions {
                for group in &mut action.target_groups {
                    if let Some((_, weight)) = weights.iter().find(|(arn, _)| *arn == group.arn) {
                        group.weight = *weight;
                    }
                }
            }
        }
        Ok(())
    }

    /// Makes the listener `arn` forward to exactly the target groups
    /// `weights` names, with those weights, as CodeDeploy does when it
    /// moves an ECS service's traffic (`ModifyListener` with a weighted
    /// forward action). A target group's weight of 0 keeps it in the
    /// action, taking no traffic.
    pub fn route_listener(
        &mut self,
        arn: &str,
        weights: &[(String, u32)],
    ) -> Result<(), SeamError> {
        if let Some((missing, _)) = weights
            .iter()
            .find(|(group, _)| !self.target_groups.contains_key(group))
        {
            return Err(SeamError::NoTargetGroup(missing.clone()));
        }
        if weights.iter().any(|(_, weight)| *weight > 999) {
            return Err(SeamError::WeightOutOfRange);
        }
        let listener = self
            .listeners
            .get_mut(arn)
            .ok_or_else(|| SeamError::NoListener(arn.to_owned()))?;
        let groups: Vec<WeightedTargetGroup> = weights
            .iter()
            .map(|(group, weight)| WeightedTargetGroup {
                arn: group.clone(),
                weight: *weight,
            })
            .collect();
        match listener.actions.first_mut() {
            Some(action) => action.target_groups = groups,
            None => listener.actions.push(ForwardAction {
                order: None,
                target_groups: groups,
                stickiness: false,
                stickiness_seconds: None,
            }),
        }
        listener.actions.truncate(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";
    const LISTENER: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/lb/0123456789abcdef/0123456789abcdef";
    const START: Timestamp = Timestamp::from_secs(1_714_564_800);

    fn state() -> Elbv2State {
        let mut state = Elbv2State::default();
        state.target_groups.insert(
            GROUP.to_owned(),
            TargetGroup {
                arn: GROUP.to_owned(),
                name: "web".to_owned(),
                protocol: "HTTP".to_owned(),
                port: 80,
                vpc_id: "vpc-1".to_owned(),
                target_type: "instance".to_owned(),
                protocol_version: Some("HTTP1".to_owned()),
                health_check: HealthCheck {
                    enabled: true,
                    protocol: "HTTP".to_owned(),
                    port: "traffic-port".to_owned(),
                    path: Some("/".to_owned()),
                    interval_seconds: 10,
                    timeout_seconds: 5,
                    healthy_threshold: 3,
                    unhealthy_threshold: 2,
                    matcher: Some("200".to_owned()),
                },
                attributes: BTreeMap::from([(DEREGISTRATION_DELAY.to_owned(), "60".to_owned())]),
                targets: Vec::new(),
                in_use_since: None,
                created: START,
                tags: Vec::new(),
            },
        );
        state.listeners.insert(
            LISTENER.to_owned(),
            Listener {
                arn: LISTENER.to_owned(),
                load_balancer_arn: "lb".to_owned(),
                protocol: "HTTP".to_owned(),
                port: 80,
                actions: vec![ForwardAction {
                    order: None,
                    target_groups: vec![WeightedTargetGroup {
                        arn: GROUP.to_owned(),
                        weight: 1,
                    }],
                    stickiness: false,
                    stickiness_seconds: None,
                }],
            },
        );
        state
    }

    const RUNNING: Liveness = Liveness::Running {
        since: Timestamp::from_secs(0),
    };

    #[test]
    fn a_registered_instance_turns_healthy_after_threshold_times_interval() {
        let mut state = state();
        state.note_listeners(START);
        state
            .register_instance(GROUP, "i-1", None, START, RUNNING)
            .unwrap();
        assert_eq!(
            state.instance_health(GROUP, "i-1"),
            Some(&TargetHealth::registering())
        );
        assert!(!state.settle(START.plus_millis(29_999), |_| RUNNING));
        assert!(!state.is_healthy(GROUP, "i-1"));
        assert!(state.settle(START.plus_millis(30_000), |_| RUNNING));
        assert!(state.is_healthy(GROUP, "i-1"));
        // Stopped, it is unused for its state.
        state.settle(START.plus_millis(31_000), |_| Liveness::Stopped);
        assert_eq!(
            state
                .instance_health(GROUP, "i-1")
                .unwrap()
                .reason
                .as_deref(),
            Some("Target.InvalidState")
        );
    }

    #[test]
    fn healthy_at_is_when_health_of_turns_healthy() {
        let mut state = state();
        state
            .register_instance(GROUP, "i-1", None, START, RUNNING)
            .unwrap();
        let group = &state.target_groups[GROUP];
        let target = group.target("i-1").unwrap();
        // No listener forwards to the group yet: never healthy.
        assert_eq!(healthy_at(group, target, RUNNING), None);
        state.note_listeners(START.plus_millis(5_000));
        let group = &state.target_groups[GROUP];
        let target = group.target("i-1").unwrap();
        let at = healthy_at(group, target, RUNNING).unwrap();
        assert_eq!(at, START.plus_millis(35_000));
        assert_eq!(
            health_of(group, target, RUNNING, at.plus_millis(-1)).state,
            TargetState::Initial
        );
        assert_eq!(
            health_of(group, target, RUNNING, at).state,
            TargetState::Healthy
        );
        assert_eq!(healthy_at(group, target, Liveness::Stopped), None);
    }

    #[test]
    fn a_deregistered_instance_drains_for_the_delay_then_is_gone() {
        let mut state = state();
        state.note_listeners(START);
        state
            .register_instance(GROUP, "i-1", None, START, RUNNING)
            .unwrap();
        assert_eq!(
            state.deregister_instance(GROUP, "i-1", None, START.plus_millis(1000)),
            Ok(true)
        );
        assert_eq!(
            state.instance_health(GROUP, "i-1"),
            Some(&TargetHealth::draining())
        );
        state.settle(START.plus_millis(60_999), |_| RUNNING);
        assert!(!state.is_drained(GROUP, "i-1"));
        state.settle(START.plus_millis(61_000), |_| RUNNING);
        assert!(state.is_drained(GROUP, "i-1"));
        assert_eq!(
            state.deregister_instance(GROUP, "i-1", None, START),
            Ok(false)
        );
    }

    #[test]
    fn without_a_listener_targets_are_not_in_use_and_leave_at_once() {
        let mut state = state();
        state
            .register_instance(GROUP, "i-1", Some(8080), START, RUNNING)
            .unwrap();
        assert_eq!(
            state.instance_health(GROUP, "i-1"),
            Some(&TargetHealth::not_in_use())
        );
        assert_eq!(
            state.register_instance(GROUP, "i-2", None, START, Liveness::Terminated),
            Err(SeamError::InvalidTarget("i-2".to_owned()))
        );
        assert_eq!(
            state.deregister_instance(GROUP, "i-1", None, START),
            Ok(true)
        );
        assert!(state.is_drained(GROUP, "i-1"));
    }

    #[test]
    fn weights_are_read_and_changed_for_exactly_the_listeners_groups() {
        let mut state = state();
        assert_eq!(
            state.forward_weights(LISTENER).unwrap(),
            vec![WeightedTargetGroup {
                arn: GROUP.to_owned(),
                weight: 1
            }]
        );
        assert_eq!(
            state.listeners_forwarding_to(GROUP),
            vec![LISTENER.to_owned()]
        );
        assert_eq!(
            state
                .target_group_named("web")
                .map(|group| group.arn.as_str()),
            Some(GROUP)
        );
        assert!(state.target_group_named("Web").is_none());
        assert_eq!(
            state.set_forward_weights(LISTENER, &[("other".to_owned(), 1)]),
            Err(SeamError::WeightsMismatch)
        );
        assert_eq!(
            state.set_forward_weights(LISTENER, &[(GROUP.to_owned(), 1000)]),
            Err(SeamError::WeightOutOfRange)
        );
        state
            .set_forward_weights(LISTENER, &[(GROUP.to_owned(), 0)])
            .unwrap();
        assert_eq!(state.forward_weights(LISTENER).unwrap()[0].weight, 0);
    }
}
