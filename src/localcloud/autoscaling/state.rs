//! What Auto Scaling remembers, and how its groups move on the clock.
//!
//! A group keeps a desired number of instances between its minimum and
//! maximum size. Its instances are real EC2 instances of the local cloud,
//! launched from the group's launch template with the group's propagating
//! tags and `aws:autoscaling:groupName`, so `DescribeInstances` and
//! CodeDeploy's tag filters see them. Requests only change what is wanted
//! (the desired capacity, an instance to terminate, a lifecycle action's
//! result); [`AutoScalingState::settle`], called from the server's clock
//! like EC2's own settling, makes it happen, one event at a time in the
//! order of the times they fall due, so a clock moved a long way forward
//! sees the same history as one moved in small steps.
//!
//! An instance goes through the lifecycle states AWS names:
//!
//! - launch: `Pending` while EC2 boots it ([`STATE_TRANSITION_MILLIS`]),
//!   then `Pending:Wait` while a launch hook
//!   (`autoscaling:EC2_INSTANCE_LAUNCHING`) has an open lifecycle action,
//!   `Pending:Proceed` for [`PROCEED_MILLIS`] once every action is
//!   completed with `CONTINUE`, then `InService`. Without hooks, `Pending`
//!   goes straight to `InService`.
//! - termination: `Terminating` for [`PROCEED_MILLIS`], then
//!   `Terminating:Wait` while a terminate hook has an open action, then
//!   `Terminating:Proceed` while EC2 shuts the instance down, then
//!   `Terminated`, when it leaves the group.
//!
//! A lifecycle action that is not completed before its heartbeat timeout
//! (restarted by `RecordLifecycleActionHeartbeat`), or before its global
//! timeout (100 heartbeat timeouts, at most 48 hours), takes the hook's
//! default result. An abandoned launch terminates the instance, and the
//! group launches a replacement, as AWS does.
//!
//! Scale-in picks the instances to terminate with AWS's default
//! termination policy, made predictable: instances not protected from
//! scale-in, in the availability zone with the most instances (the first
//! such zone in the group's list on a tie), then those launched from a
//! template version other than the group's current one, then the oldest
//! launched, then the lowest instance id. (AWS's last step picks at random
//! among instances closest to the next billing hour.)
//!
//! # For the deployment engine
//!
//! CodeDeploy acts on groups through these functions of
//! [`AutoScalingState`], without a request:
//!
//! - [`AutoScalingState::in_service_instances`]: the `InService` instance
//!   ids of a group, which a deployment targets;
//! - [`AutoScalingState::put_hook`] and [`AutoScalingState::remove_hook`]:
//!   what `PutLifecycleHook` and `DeleteLifecycleHook` do, for the launch
//!   hook CodeDeploy installs;
//! - [`AutoScalingState::open_actions`]: the lifecycle actions waiting for
//!   a result (group, hook, instance, token and since when), so the engine
//!   notices a launch held by its hook;
//! - [`AutoScalingState::complete_action`]: completes one with `CONTINUE`
//!   or `ABANDON`, as `CompleteLifecycleAction` does;
//! - [`AutoScalingState::record_heartbeat`]: keeps one open, as
//!   `RecordLifecycleActionHeartbeat` does;
//! - [`AutoScalingState::copy_group`]: a new group with another group's
//!   settings and no instances yet, for blue/green's
//!   `COPY_AUTO_SCALING_GROUP`;
//! - [`AutoScalingState::delete_group`]: what `DeleteAutoScalingGroup`
//!   with `ForceDelete` does, for the original group once blue/green has
//!   replaced it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::ec2::launch_template_state::{
    FindTemplate, LaunchTemplateError, TemplateName,
};
use crate::localcloud::ec2::{Ec2State, InstanceState, LaunchSpec, STATE_TRANSITION_MILLIS};
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// How long `Pending:Proceed` and `Terminating` last before the next
/// state.
pub const PROCEED_MILLIS: i64 = 1000;

/// The tag Auto Scaling puts on every instance of a group: the group's name.
pub const GROUP_NAME_TAG: &str = "aws:autoscaling:groupName";

/// The launch transition of a lifecycle hook.
pub const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";
/// The terminate transition of a lifecycle hook.
pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// The longest global timeout of a lifecycle action: 48 hours.
pub const MAX_GLOBAL_TIMEOUT_SECS: i64 = 172_800;

/// The most events one [`AutoScalingState::settle`] works through, so a
/// broken group cannot hold the world's lock for long.
const MAX_EVENTS: usize = 10_000;

/// Auto Scaling's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoScalingState {
    /// Groups by name.
    pub groups: Table<String, Group>,
    /// The instances of every group, by instance id.
    pub instances: Table<String, GroupInstance>,
    /// Open lifecycle actions, by token.
    pub actions: Table<String, LifecycleAction>,
    /// Scaling activities, by id.
    pub activities: Table<String, Activity>,
}

impl AutoScalingState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.groups.take_changes("autoscaling.groups", changes);
        self.instances
            .take_changes("autoscaling.instances", changes);
        self.actions.take_changes("autoscaling.actions", changes);
        self.activities
            .take_changes("autoscaling.activities", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "autoscaling.groups" => self.groups.apply(change),
            "autoscaling.instances" => self.instances.apply(change),
            "autoscaling.actions" => self.actions.apply(change),
            "autoscaling.activities" => self.activities.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// How a group names its launch template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    /// The template's id.
    pub id: String,
    /// The template's name.
    pub name: String,
    /// The version as given: a number, `$Latest` or `$Default`.
    pub version: String,
}

/// A tag of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Whether new instances get it.
    pub propagate_at_launch: bool,
}

/// A lifecycle hook of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleHook {
    /// Its name, unique in the group.
    pub name: String,
    /// [`LAUNCHING`] or [`TERMINATING`].
    pub transition: String,
    /// Seconds an action waits for a heartbeat or a result.
    pub heartbeat_timeout: i64,
    /// What an action that times out does.
    pub default_result: ActionResult,
    /// Where notifications would go (kept, not sent).
    #[serde(default)]
    pub notification_target_arn: Option<String>,
    /// The role that would send them (kept).
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Text sent with the notification (kept).
    #[serde(default)]
    pub notification_metadata: Option<String>,
}

impl LifecycleHook {
    /// The global timeout in seconds: 100 heartbeat timeouts, at most 48
    /// hours.
    pub fn global_timeout(&self) -> i64 {
        (self.heartbeat_timeout * 100).min(MAX_GLOBAL_TIMEOUT_SECS)
    }
}

/// The result of a lifecycle action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionResult {
    /// Go on with the launch or termination.
    #[serde(rename = "CONTINUE")]
    Continue,
    /// Give up: a launch terminates the instance; a termination skips the
    /// other hooks.
    #[serde(rename = "ABANDON")]
    Abandon,
}

impl ActionResult {
    /// The result as AWS spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Continue => "CONTINUE",
            Self::Abandon => "ABANDON",
        }
    }

    /// The result spelled `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "CONTINUE" => Some(Self::Continue),
            "ABANDON" => Some(Self::Abandon),
            _ => None,
        }
    }
}

/// An Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// The region it was created in, for its ARN.
    #[serde(default = "default_region")]
    pub region: String,
    /// Its id, in its ARN.
    pub id: String,
    /// When it was created.
    pub created: Timestamp,
    /// What it launches.
    pub launch_template: TemplateRef,
    /// The fewest instances.
    pub min_size: i64,
    /// The most instances.
    pub max_size: i64,
    /// How many instances it keeps.
    pub desired_capacity: i64,
    /// Seconds between scaling activities.
    pub default_cooldown: i64,
    /// Its availability zones, in order.
    pub availability_zones: Vec<String>,
    /// Its subnets, comma-separated, as given.
    #[serde(default)]
    pub vpc_zone_identifier: Option<String>,
    /// Classic load balancers, as given.
    #[serde(default)]
    pub load_balancer_names: Vec<String>,
    /// Target groups, as given.
    #[serde(default)]
    pub target_group_arns: Vec<String>,
    /// `EC2` or `ELB`.
    pub health_check_type: String,
    /// Seconds before a new instance's health is checked.
    pub health_check_grace_period: i64,
    /// Its tags, by key.
    #[serde(default)]
    pub tags: Vec<GroupTag>,
    /// Its termination policies, as given.
    #[serde(default)]
    pub termination_policies: Vec<String>,
    /// Whether new instances are protected from scale-in.
    #[serde(default)]
    pub new_instances_protected_from_scale_in: bool,
    /// Its lifecycle hooks, by name.
    #[serde(default)]
    pub hooks: BTreeMap<String, LifecycleHook>,
    /// Since when its instances may not match its desired capacity, or
    /// `None` when they were last seen to.
    #[serde(default)]
    pub rebalance_at: Option<Timestamp>,
    /// Whether it is being deleted with its instances.
    #[serde(default)]
    pub deleting: bool,
    /// Why the desired capacity last changed, for the next activity's cause.
    #[serde(default)]
    pub last_cause: String,
}

impl Group {
    /// Its ARN.
    pub fn arn(&self) -> String {
        group_arn(&self.region, &self.id, &self.name)
    }

    /// Its hooks for `transition`, in name order.
    pub fn hooks_for(&self, transition: &str) -> Vec<&LifecycleHook> {
        self.hooks
            .values()
            .filter(|hook| hook.transition == transition)
            .collect()
    }

    /// The tags new instances get.
    pub fn propagated_tags(&self) -> impl Iterator<Item = &GroupTag> {
        self.tags.iter().filter(|tag| tag.propagate_at_launch)
    }
}

/// The ARN of the group `name` in `region` whose id is `id`.
pub fn group_arn(region: &str, id: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{region}:{ACCOUNT_ID}:autoScalingGroup:{id}:autoScalingGroupName/{name}"
    )
}

/// The region of groups saved without one.
fn default_region() -> String {
    "us-east-1".to_owned()
}

/// Where an instance is in its life in a group, as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifecycleState {
    /// Launching.
    Pending,
    /// Held by a launch hook.
    PendingWait,
    /// Launch hooks done.
    PendingProceed,
    /// Serving.
    InService,
    /// Being terminated.
    Terminating,
    /// Held by a terminate hook.
    TerminatingWait,
    /// Terminate hooks done; EC2 is shutting it down.
    TerminatingProceed,
    /// Gone.
    Terminated,
}

impl LifecycleState {
    /// The state as AWS spells it, e.g. `Pending:Wait`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::PendingWait => "Pending:Wait",
            Self::PendingProceed => "Pending:Proceed",
            Self::InService => "InService",
            Self::Terminating => "Terminating",
            Self::TerminatingWait => "Terminating:Wait",
            Self::TerminatingProceed => "Terminating:Proceed",
            Self::Terminated => "Terminated",
        }
    }

    /// Whether an instance in this state counts towards the desired
    /// capacity: launching or in service.
    pub fn counts(self) -> bool {
        matches!(
            self,
            Self::Pending | Self::PendingWait | Self::PendingProceed | Self::InService
        )
    }

    /// Whether the instance is between two lasting states, which makes a
    /// scaling activity in progress.
    pub fn in_transition(self) -> bool {
        !matches!(self, Self::InService | Self::Terminated)
    }
}

/// An instance of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInstance {
    /// The EC2 instance id.
    pub instance_id: String,
    /// The group's name.
    pub group: String,
    /// Its availability zone.
    pub availability_zone: String,
    /// Its lifecycle state.
    pub state: LifecycleState,
    /// When it entered that state.
    pub since: Timestamp,
    /// When it was launched.
    pub launched: Timestamp,
    /// The template it was launched from.
    pub launch_template: TemplateRef,
    /// The number of the template version it was launched from.
    pub template_version: u64,
    /// Its instance type.
    pub instance_type: String,
    /// Its image.
    pub image_id: String,
    /// Whether it is protected from scale-in.
    pub protected_from_scale_in: bool,
    /// The activity that launches or terminates it.
    #[serde(default)]
    pub activity_id: Option<String>,
}

/// A lifecycle action waiting for its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleAction {
    /// Its token.
    pub token: String,
    /// The group's name.
    pub group: String,
    /// The hook's name.
    pub hook: String,
    /// The instance it holds.
    pub instance_id: String,
    /// [`LAUNCHING`] or [`TERMINATING`].
    pub transition: String,
    /// When it began.
    pub started: Timestamp,
    /// When it times out unless a heartbeat comes first.
    pub heartbeat_deadline: Timestamp,
    /// When it times out whatever happens.
    pub global_deadline: Timestamp,
    /// What it does when it times out.
    pub default_result: ActionResult,
}

impl LifecycleAction {
    /// When it times out.
    pub fn deadline(&self) -> Timestamp {
        self.heartbeat_deadline.min(self.global_deadline)
    }
}

/// A scaling activity: one launch or termination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Its id.
    pub id: String,
    /// The group's name.
    pub group: String,
    /// What it does.
    pub description: String,
    /// Why.
    pub cause: String,
    /// When it began.
    pub started: Timestamp,
    /// When it ended.
    #[serde(default)]
    pub ended: Option<Timestamp>,
    /// `InProgress`, `Successful`, `Failed` or `Cancelled`.
    pub status: String,
    /// Why it failed, if it did.
    #[serde(default)]
    pub status_message: Option<String>,
}

/// A lifecycle action waiting for a result, as the deployment engine sees
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAction {
    /// The group's name.
    pub group: String,
    /// The hook's name.
    pub hook: String,
    /// The instance it holds.
    pub instance_id: String,
    /// [`LAUNCHING`] or [`TERMINATING`].
    pub transition: String,
    /// Its token.
    pub token: String,
    /// When it began.
    pub since: Timestamp,
}

/// Why a change to a group was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoScalingError {
    /// No group has the name.
    #[error("AutoScalingGroup name not found - AutoScalingGroup '{0}' not found")]
    NoSuchGroup(String),
    /// A group with the name exists.
    #[error(
        "AutoScalingGroup by this name already exists - A group with the name {0} already exists"
    )]
    GroupExists(String),
    /// No open action has the token.
    #[error("No active Lifecycle Action found with token {0}")]
    NoSuchAction(String),
}

/// Something that falls due in [`AutoScalingState::settle`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    /// EC2 ended or lost an instance of a group that counted.
    Lost(String),
    /// EC2 finished booting an instance.
    Booted(String),
    /// An instance's `Pending:Proceed` ends.
    InService(String),
    /// An instance's `Terminating` ends.
    Terminate(String),
    /// EC2 starts shutting an instance down.
    ShutDown(String),
    /// EC2 finished shutting an instance down.
    Gone(String),
    /// A lifecycle action timed out.
    Timeout(String),
    /// A group's instances may not match its desired capacity.
    Rebalance(String),
}

/// The kinds of [`Event`], in the order events due at the same time
/// happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// [`Event::Lost`].
    Lost,
    /// [`Event::Booted`].
    Booted,
    /// [`Event::InService`].
    InService,
    /// [`Event::Terminate`].
    Terminate,
    /// [`Event::ShutDown`].
    ShutDown,
    /// [`Event::Gone`].
    Gone,
    /// [`Event::Timeout`].
    Timeout,
    /// [`Event::Rebalance`].
    Rebalance,
}

impl Kind {
    /// The event of this kind about `key` (an instance id, a token or a
    /// group name).
    fn event(self, key: String) -> Event {
        match self {
            Self::Lost => Event::Lost(key),
            Self::Booted => Event::Booted(key),
            Self::InService => Event::InService(key),
            Self::Terminate => Event::Terminate(key),
            Self::ShutDown => Event::ShutDown(key),
            Self::Gone => Event::Gone(key),
            Self::Timeout => Event::Timeout(key),
            Self::Rebalance => Event::Rebalance(key),
        }
    }
}

/// The earliest of the events considered that are due by `now`: all those
/// due at the earliest time.
struct Earliest<'a> {
    /// The time events must be due by.
    now: Timestamp,
    /// The earliest time so far, and the events due then: what kind and
    /// about what.
    best: Option<(Timestamp, Vec<(Kind, &'a str)>)>,
}

impl<'a> Earliest<'a> {
    /// Considers the event of `kind` about `key` due at `at`.
    fn consider(&mut self, at: Timestamp, kind: Kind, key: &'a str) {
        if at > self.now {
            return;
        }
        match &mut self.best {
            Some((earliest, events)) if *earliest == at => events.push((kind, key)),
            Some((earliest, _)) if *earliest < at => {}
            _ => self.best = Some((at, vec![(kind, key)])),
        }
    }
}

/// A new id for an activity or a lifecycle action.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl AutoScalingState {
    /// The ids of the `InService` instances of group `group`, in id order.
    pub fn in_service_instances(&self, group: &str) -> Vec<String> {
        self.instances
            .values()
            .filter(|instance| {
                instance.group == group && instance.state == LifecycleState::InService
            })
            .map(|instance| instance.instance_id.clone())
            .collect()
    }

    /// The instances of group `group`, in id order.
    pub fn group_instances(&self, group: &str) -> Vec<&GroupInstance> {
        self.instances
            .values()
            .filter(|instance| instance.group == group)
            .collect()
    }

    /// Adds or replaces the hook `hook.name` of group `group`, as
    /// `PutLifecycleHook` does.
    pub fn put_hook(&mut self, group: &str, hook: LifecycleHook) -> Result<(), AutoScalingError> {
        let group = self
            .groups
            .get_mut(group)
            .ok_or_else(|| AutoScalingError::NoSuchGroup(group.to_owned()))?;
        group.hooks.insert(hook.name.clone(), hook);
        Ok(())
    }

    /// Removes the hook `hook` of group `group` at `now`, as
    /// `DeleteLifecycleHook` does: its open actions end as AWS ends them,
    /// with `ABANDON` for launches and `CONTINUE` for terminations.
    /// Returns whether the hook existed.
    pub fn remove_hook(&mut self, group: &str, hook: &str, now: Timestamp) -> bool {
        let removed = self
            .groups
            .get_mut(group)
            .and_then(|known| known.hooks.remove(hook))
            .is_some();
        if removed {
            let tokens: Vec<(String, ActionResult)> = self
                .actions
                .values()
                .filter(|action| action.group == group && action.hook == hook)
                .map(|action| {
                    let result = if action.transition == LAUNCHING {
                        ActionResult::Abandon
                    } else {
                        ActionResult::Continue
                    };
                    (action.token.clone(), result)
                })
                .collect();
            for (token, result) in tokens {
                // The token was just read from the table.
                let _ = self.complete_action(&token, result, now);
            }
        }
        removed
    }

    /// The lifecycle actions waiting for a result, oldest first.
    pub fn open_actions(&self) -> Vec<OpenAction> {
        let mut open: Vec<OpenAction> = self
            .actions
            .values()
            .map(|action| OpenAction {
                group: action.group.clone(),
                hook: action.hook.clone(),
                instance_id: action.instance_id.clone(),
                transition: action.transition.clone(),
                token: action.token.clone(),
                since: action.started,
            })
            .collect();
        open.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.token.cmp(&b.token)));
        open
    }

    /// Completes the open action `token` with `result` at `now`. When it
    /// was the instance's last open action, the instance moves on: a
    /// launch to `Pending:Proceed` (or, abandoned, to `Terminating`, and
    /// the group launches a replacement), a termination to
    /// `Terminating:Proceed`.
    pub fn complete_action(
        &mut self,
        token: &str,
        result: ActionResult,
        now: Timestamp,
    ) -> Result<(), AutoScalingError> {
        let action = self
            .actions
            .remove(token)
            .ok_or_else(|| AutoScalingError::NoSuchAction(token.to_owned()))?;
        let instance_id = action.instance_id;
        let launching = action.transition == LAUNCHING;
        if launching && result == ActionResult::Abandon {
            // One abandoned hook is enough: the others are dropped.
            self.drop_actions(&instance_id);
            self.set_state(&instance_id, LifecycleState::Terminating, now);
            self.note_abandoned(&instance_id, &action.hook, token, now);
            return Ok(());
        }
        if !launching && result == ActionResult::Abandon {
            self.drop_actions(&instance_id);
        }
        let still_open = self
            .actions
            .values()
            .any(|other| other.instance_id == instance_id);
        if !still_open {
            let next = if launching {
                LifecycleState::PendingProceed
            } else {
                LifecycleState::TerminatingProceed
            };
            self.set_state(&instance_id, next, now);
        }
        Ok(())
    }

    /// Records a heartbeat of the open action `token` at `now`, as
    /// `RecordLifecycleActionHeartbeat` does: it now times out a heartbeat
    /// timeout after `now` (its global timeout stays). Returns whether the
    /// action is open.
    pub fn record_heartbeat(&mut self, token: &str, now: Timestamp) -> bool {
        let Some(action) = self.actions.get(token) else {
            return false;
        };
        let timeout = self
            .groups
            .get(&action.group)
            .and_then(|group| group.hooks.get(&action.hook))
            .map(|hook| hook.heartbeat_timeout);
        match (timeout, self.actions.get_mut(token)) {
            (Some(timeout), Some(action)) => {
                action.heartbeat_deadline = action
                    .heartbeat_deadline
                    .max(now.plus_millis(timeout * 1000));
                true
            }
            _ => false,
        }
    }

    /// Makes group `name` from group `source`'s settings, hooks and tags,
    /// with no instances yet; it launches its desired capacity on the
    /// clock.
    pub fn copy_group(
        &mut self,
        source: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<&Group, AutoScalingError> {
        if self.groups.contains_key(name) {
            return Err(AutoScalingError::GroupExists(name.to_owned()));
        }
        let mut group = self
            .groups
            .get(source)
            .cloned()
            .ok_or_else(|| AutoScalingError::NoSuchGroup(source.to_owned()))?;
        name.clone_into(&mut group.name);
        group.id = new_uuid();
        group.created = now;
        group.deleting = false;
        group.rebalance_at = Some(now);
        group.last_cause = format!(
            "a user request created an AutoScalingGroup as a copy of {source} changing the desired capacity from 0 to {}. At {}",
            group.desired_capacity,
            now.to_iso8601()
        );
        self.groups.insert(name.to_owned(), group);
        self.groups
            .get(name)
            .ok_or_else(|| AutoScalingError::NoSuchGroup(name.to_owned()))
    }

    /// Deletes group `name` at `now` as `DeleteAutoScalingGroup` with
    /// `ForceDelete` does: an empty group goes at once; one with instances
    /// terminates them on the clock and goes when the last is gone.
    /// Returns whether there was such a group.
    pub fn delete_group(&mut self, name: &str, now: Timestamp) -> bool {
        if !self.groups.contains_key(name) {
            return false;
        }
        if self.group_instances(name).is_empty() {
            self.groups.remove(name);
            self.actions.retain(|_, action| action.group != name);
            self.activities.retain(|_, activity| activity.group != name);
        } else {
            if let Some(group) = self.groups.get_mut(name) {
                group.deleting = true;
                group.min_size = 0;
                group.desired_capacity = 0;
            }
            self.request_rebalance(name, now);
        }
        true
    }

    /// Moves instance `instance_id` to `state` at `now`, and asks its group
    /// to rebalance when it stops counting towards the desired capacity.
    pub fn set_state(&mut self, instance_id: &str, state: LifecycleState, now: Timestamp) {
        let Some(instance) = self.instances.get_mut(instance_id) else {
            return;
        };
        let counted = instance.state.counts();
        instance.state = state;
        instance.since = now;
        if counted && !state.counts() {
            let group = instance.group.clone();
            self.request_rebalance(&group, now);
        }
    }

    /// Asks group `group` to compare its instances with its desired
    /// capacity at `now`.
    pub fn request_rebalance(&mut self, group: &str, now: Timestamp) {
        if let Some(group) = self.groups.get_mut(group) {
            group.rebalance_at = Some(group.rebalance_at.map_or(now, |at| at.min(now)));
        }
    }

    /// Drops the open actions of instance `instance_id`.
    fn drop_actions(&mut self, instance_id: &str) {
        self.actions
            .retain(|_, action| action.instance_id != instance_id);
    }

    /// Notes on the launch activity of `instance_id` that the action
    /// `token` of hook `hook` abandoned it.
    fn note_abandoned(&mut self, instance_id: &str, hook: &str, token: &str, now: Timestamp) {
        let activity_id = self
            .instances
            .get(instance_id)
            .and_then(|instance| instance.activity_id.clone());
        if let Some(activity) = activity_id.and_then(|id| self.activities.get_mut(&id)) {
            "Cancelled".clone_into(&mut activity.status);
            activity.ended = Some(now);
            activity.status_message = Some(format!(
                "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token {token} was abandoned: Lifecycle Action Completed with ABANDON Result (hook {hook})."
            ));
        }
    }

    /// Brings every group up to `now`: launches and terminates instances
    /// (in EC2 too), moves them through their lifecycle states and times
    /// lifecycle actions out. Returns whether anything changed.
    pub fn settle(&mut self, ec2: &mut Ec2State, now: Timestamp) -> bool {
        let mut changed = false;
        let mut happened = 0;
        while happened < MAX_EVENTS {
            let Some((at, events)) = self.next_events(ec2, now) else {
                break;
            };
            for event in events {
                // An earlier event of the same time may have moved things on.
                if self.still_due(ec2, at, &event) {
                    self.happen(ec2, at, event);
                    changed = true;
                }
                happened += 1;
            }
        }
        changed
    }

    /// The events due at the earliest time at or before `now`, in the
    /// order they happen. This looks at every instance, so events due at
    /// the same time are taken together.
    fn next_events(&self, ec2: &Ec2State, now: Timestamp) -> Option<(Timestamp, Vec<Event>)> {
        let mut earliest = Earliest { now, best: None };
        for instance in self.instances.values() {
            let id = instance.instance_id.as_str();
            let ec2_instance = ec2.instances.get(id);
            if instance.state.counts() {
                match ec2_instance {
                    Some(known) if !known.state.exists() => {
                        earliest.consider(known.state_changed.max(instance.since), Kind::Lost, id);
                        continue;
                    }
                    None => {
                        earliest.consider(instance.since, Kind::Lost, id);
                        continue;
                    }
                    Some(_) => {}
                }
            }
            match instance.state {
                LifecycleState::Pending => earliest.consider(
                    instance.since.plus_millis(STATE_TRANSITION_MILLIS),
                    Kind::Booted,
                    id,
                ),
                LifecycleState::PendingProceed => earliest.consider(
                    instance.since.plus_millis(PROCEED_MILLIS),
                    Kind::InService,
                    id,
                ),
                LifecycleState::Terminating => earliest.consider(
                    instance.since.plus_millis(PROCEED_MILLIS),
                    Kind::Terminate,
                    id,
                ),
                LifecycleState::TerminatingProceed => {
                    if ec2_instance.is_some_and(|known| known.state.exists()) {
                        earliest.consider(instance.since, Kind::ShutDown, id);
                    } else {
                        earliest.consider(
                            instance.since.plus_millis(STATE_TRANSITION_MILLIS),
                            Kind::Gone,
                            id,
                        );
                    }
                }
                LifecycleState::PendingWait
                | LifecycleState::InService
                | LifecycleState::TerminatingWait
                | LifecycleState::Terminated => {}
            }
        }
        for action in self.actions.values() {
            earliest.consider(action.deadline(), Kind::Timeout, &action.token);
        }
        for group in self.groups.values() {
            if let Some(at) = group.rebalance_at {
                earliest.consider(at, Kind::Rebalance, &group.name);
            }
        }
        earliest.best.map(|(at, mut events)| {
            events.sort_unstable();
            let events = events
                .into_iter()
                .map(|(kind, key)| kind.event(key.to_owned()))
                .collect();
            (at, events)
        })
    }

    /// Whether `event`, found due at `at`, still is.
    fn still_due(&self, ec2: &Ec2State, at: Timestamp, event: &Event) -> bool {
        let state_is = |id: &str, state: LifecycleState| {
            self.instances
                .get(id)
                .is_some_and(|instance| instance.state == state)
        };
        let ec2_exists = |id: &str| {
            ec2.instances
                .get(id)
                .is_some_and(|instance| instance.state.exists())
        };
        match event {
            Event::Lost(id) => {
                self.instances
                    .get(id)
                    .is_some_and(|instance| instance.state.counts())
                    && !ec2_exists(id)
            }
            Event::Booted(id) => state_is(id, LifecycleState::Pending),
            Event::InService(id) => state_is(id, LifecycleState::PendingProceed),
            Event::Terminate(id) => state_is(id, LifecycleState::Terminating),
            Event::ShutDown(id) => {
                state_is(id, LifecycleState::TerminatingProceed) && ec2_exists(id)
            }
            Event::Gone(id) => state_is(id, LifecycleState::TerminatingProceed) && !ec2_exists(id),
            Event::Timeout(token) => self
                .actions
                .get(token)
                .is_some_and(|action| action.deadline() <= at),
            Event::Rebalance(group) => self
                .groups
                .get(group)
                .and_then(|group| group.rebalance_at)
                .is_some_and(|since| since <= at),
        }
    }

    /// Makes `event` happen at `at`.
    fn happen(&mut self, ec2: &mut Ec2State, at: Timestamp, event: Event) {
        match event {
            Event::Lost(id) => {
                self.drop_actions(&id);
                self.set_state(&id, LifecycleState::Terminating, at);
                self.start_activity_on(
                    &id,
                    "Terminating",
                    "an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped",
                    at,
                );
            }
            Event::Booted(id) => self.booted(&id, at),
            Event::InService(id) => {
                self.set_state(&id, LifecycleState::InService, at);
                self.end_activity(&id, at);
            }
            Event::Terminate(id) => self.start_terminating(&id, at),
            Event::ShutDown(id) => {
                ec2.set_state(&id, InstanceState::ShuttingDown, at);
            }
            Event::Gone(id) => {
                ec2.set_state(&id, InstanceState::Terminated, at);
                self.end_activity(&id, at);
                if let Some(instance) = self.instances.remove(&id) {
                    self.forget_if_deleted(&instance.group);
                }
            }
            Event::Timeout(token) => {
                let result = self
                    .actions
                    .get(&token)
                    .map_or(ActionResult::Abandon, |action| action.default_result);
                // The token was just read from the table.
                let _ = self.complete_action(&token, result, at);
            }
            Event::Rebalance(group) => self.rebalance(ec2, &group, at),
        }
    }

    /// An instance EC2 has booted: held by the group's launch hooks, or in
    /// service.
    fn booted(&mut self, instance_id: &str, at: Timestamp) {
        let Some(instance) = self.instances.get(instance_id) else {
            return;
        };
        let hooks: Vec<LifecycleHook> = self
            .groups
            .get(&instance.group)
            .map(|group| group.hooks_for(LAUNCHING).into_iter().cloned().collect())
            .unwrap_or_default();
        if hooks.is_empty() {
            self.set_state(instance_id, LifecycleState::InService, at);
            self.end_activity(instance_id, at);
        } else {
            let group = instance.group.clone();
            self.open(&group, instance_id, &hooks, at);
            self.set_state(instance_id, LifecycleState::PendingWait, at);
        }
    }

    /// An instance whose `Terminating` ends: held by the group's terminate
    /// hooks, or shut down.
    fn start_terminating(&mut self, instance_id: &str, at: Timestamp) {
        let Some(instance) = self.instances.get(instance_id) else {
            return;
        };
        let hooks: Vec<LifecycleHook> = self
            .groups
            .get(&instance.group)
            .map(|group| group.hooks_for(TERMINATING).into_iter().cloned().collect())
            .unwrap_or_default();
        if hooks.is_empty() {
            self.set_state(instance_id, LifecycleState::TerminatingProceed, at);
        } else {
            let group = instance.group.clone();
            self.open(&group, instance_id, &hooks, at);
            self.set_state(instance_id, LifecycleState::TerminatingWait, at);
        }
    }

    /// Opens one lifecycle action per hook of `hooks` for `instance_id`.
    fn open(&mut self, group: &str, instance_id: &str, hooks: &[LifecycleHook], at: Timestamp) {
        for hook in hooks {
            let token = new_uuid();
            self.actions.insert(
                token.clone(),
                LifecycleAction {
                    token,
                    group: group.to_owned(),
                    hook: hook.name.clone(),
                    instance_id: instance_id.to_owned(),
                    transition: hook.transition.clone(),
                    started: at,
                    heartbeat_deadline: at.plus_millis(hook.heartbeat_timeout * 1000),
                    global_deadline: at.plus_millis(hook.global_timeout() * 1000),
                    default_result: hook.default_result,
                },
            );
        }
    }

    /// Launches or picks instances to terminate until group `name` has as
    /// many counting instances as it desires.
    fn rebalance(&mut self, ec2: &mut Ec2State, name: &str, at: Timestamp) {
        let Some(group) = self.groups.get_mut(name) else {
            return;
        };
        group.rebalance_at = None;
        let last_cause = std::mem::take(&mut group.last_cause);
        let group = group.clone();
        let because = |tail: String| {
            if last_cause.is_empty() {
                tail
            } else {
                format!("{last_cause} {tail}")
            }
        };
        if group.deleting {
            let ids: Vec<String> = self
                .group_instances(name)
                .iter()
                .filter(|instance| instance.state.counts())
                .map(|instance| instance.instance_id.clone())
                .collect();
            for id in ids {
                self.drop_actions(&id);
                self.set_state(&id, LifecycleState::Terminating, at);
                self.start_activity_on(&id, "Terminating", "the AutoScalingGroup was deleted", at);
            }
            self.forget_if_deleted(name);
            return;
        }
        let counting: Vec<GroupInstance> = self
            .group_instances(name)
            .into_iter()
            .filter(|instance| instance.state.counts())
            .cloned()
            .collect();
        let count = i64::try_from(counting.len()).unwrap_or(i64::MAX);
        if count < group.desired_capacity {
            let missing = group.desired_capacity - count;
            let cause = because(format!(
                "an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {count} to {}.",
                group.desired_capacity
            ));
            for _ in 0..missing {
                if let Err(error) = self.launch(ec2, &group, &cause, at) {
                    self.record_failure(&group, &cause, &error, at);
                    break;
                }
            }
        } else if count > group.desired_capacity {
            let excess = usize::try_from(count - group.desired_capacity).unwrap_or(0);
            let cause = because(format!(
                "an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {count} to {}.",
                group.desired_capacity
            ));
            let current = ec2
                .launch_templates
                .resolve(
                    &TemplateName::Id(&group.launch_template.id),
                    Some(group.launch_template.version.as_str()),
                )
                .ok()
                .map(|(_, version)| version.number);
            for id in scale_in_choice(&group, current, &counting, excess) {
                self.drop_actions(&id);
                self.set_state(&id, LifecycleState::Terminating, at);
                // Setting the state asks for a rebalance, which is this one.
                if let Some(known) = self.groups.get_mut(name) {
                    known.rebalance_at = None;
                }
                self.start_activity_on(&id, "Terminating", &cause, at);
            }
        }
    }

    /// Launches one instance of `group` in EC2 at `at`.
    fn launch(
        &mut self,
        ec2: &mut Ec2State,
        group: &Group,
        cause: &str,
        at: Timestamp,
    ) -> Result<(), LaunchTemplateError> {
        let reference = &group.launch_template;
        let (template, version) = ec2.launch_templates.resolve(
            &TemplateName::Id(&reference.id),
            Some(reference.version.as_str()),
        )?;
        let mut spec = LaunchSpec::from_template(&version.data);
        for tag in group.propagated_tags() {
            spec.tags.insert(tag.key.clone(), tag.value.clone());
        }
        spec.tags
            .insert(GROUP_NAME_TAG.to_owned(), group.name.clone());
        spec.tags
            .insert("aws:ec2launchtemplate:id".to_owned(), template.id.clone());
        spec.tags.insert(
            "aws:ec2launchtemplate:version".to_owned(),
            version.number.to_string(),
        );
        let template_version = version.number;
        let (_, ids) = ec2.run(&spec, 1, at);
        let Some(instance_id) = ids.into_iter().next() else {
            return Ok(());
        };
        let availability_zone = self.emptiest_zone(group);
        let activity_id = new_uuid();
        self.record(Activity {
            id: activity_id.clone(),
            group: group.name.clone(),
            description: format!("Launching a new EC2 instance: {instance_id}"),
            cause: format!("At {} {cause}", at.to_iso8601()),
            started: at,
            ended: None,
            status: "InProgress".to_owned(),
            status_message: None,
        });
        self.instances.insert(
            instance_id.clone(),
            GroupInstance {
                instance_id,
                group: group.name.clone(),
                availability_zone,
                state: LifecycleState::Pending,
                since: at,
                launched: at,
                launch_template: reference.clone(),
                template_version,
                instance_type: spec.instance_type,
                image_id: spec.image_id,
                protected_from_scale_in: group.new_instances_protected_from_scale_in,
                activity_id: Some(activity_id),
            },
        );
        Ok(())
    }

    /// The zone of `group` with the fewest counting instances (the first
    /// such zone in the group's list on a tie).
    fn emptiest_zone(&self, group: &Group) -> String {
        let instances = self.group_instances(&group.name);
        group
            .availability_zones
            .iter()
            .min_by_key(|zone| {
                instances
                    .iter()
                    .filter(|instance| {
                        instance.state.counts() && &instance.availability_zone == *zone
                    })
                    .count()
            })
            .cloned()
            .unwrap_or_default()
    }

    /// Records a launch that could not be made.
    fn record_failure(
        &mut self,
        group: &Group,
        cause: &str,
        error: &LaunchTemplateError,
        at: Timestamp,
    ) {
        let id = new_uuid();
        self.record(Activity {
                id,
                group: group.name.clone(),
                description: "Launching a new EC2 instance.  Status Reason: the launch template could not be used".to_owned(),
                cause: format!("At {} {cause}", at.to_iso8601()),
                started: at,
                ended: Some(at),
                status: "Failed".to_owned(),
                status_message: Some(format!(
                    "{error} Give the group a launch template that exists with UpdateAutoScalingGroup."
                )),
            },
        );
    }

    /// Records `activity`, forgetting the oldest ended activities of its
    /// group beyond [`KEPT_ACTIVITIES`].
    fn record(&mut self, activity: Activity) {
        let group = activity.group.clone();
        self.activities.insert(activity.id.clone(), activity);
        let mut ended: Vec<(Timestamp, String)> = self
            .activities
            .values()
            .filter(|known| known.group == group && known.ended.is_some())
            .map(|known| (known.started, known.id.clone()))
            .collect();
        if ended.len() > KEPT_ACTIVITIES {
            ended.sort();
            for (_, id) in ended.iter().take(ended.len() - KEPT_ACTIVITIES) {
                self.activities.remove(id);
            }
        }
    }

    /// Starts the activity `verb` (`Terminating`) for `instance_id` at
    /// `at`, because of `cause`, and returns its id.
    pub fn start_activity_on(
        &mut self,
        instance_id: &str,
        verb: &str,
        cause: &str,
        at: Timestamp,
    ) -> Option<String> {
        let instance = self.instances.get_mut(instance_id)?;
        let id = new_uuid();
        instance.activity_id = Some(id.clone());
        let group = instance.group.clone();
        self.record(Activity {
            id,
            group,
            description: format!("{verb} EC2 instance: {instance_id}"),
            cause: format!("At {} {cause}", at.to_iso8601()),
            started: at,
            ended: None,
            status: "InProgress".to_owned(),
            status_message: None,
        });
        instance_activity(self, instance_id)
    }

    /// Ends the activity of `instance_id` successfully, unless it already
    /// ended.
    fn end_activity(&mut self, instance_id: &str, at: Timestamp) {
        let activity_id = self
            .instances
            .get(instance_id)
            .and_then(|instance| instance.activity_id.clone());
        if let Some(activity) = activity_id.and_then(|id| self.activities.get_mut(&id))
            && activity.ended.is_none()
        {
            "Successful".clone_into(&mut activity.status);
            activity.ended = Some(at);
        }
    }

    /// Forgets group `name`, its actions and activities, once it is being
    /// deleted and has no instances left.
    fn forget_if_deleted(&mut self, name: &str) {
        let deleting = self.groups.get(name).is_some_and(|group| group.deleting);
        if deleting && self.group_instances(name).is_empty() {
            self.groups.remove(name);
            self.actions.retain(|_, action| action.group != name);
            self.activities.retain(|_, activity| activity.group != name);
        }
    }

    /// Whether group `name` has an instance between two lasting states.
    pub fn activity_in_progress(&self, name: &str) -> bool {
        self.group_instances(name)
            .iter()
            .any(|instance| instance.state.in_transition())
    }
}

/// How many ended activities a group keeps; older ones are forgotten.
pub const KEPT_ACTIVITIES: usize = 100;

/// The id of the activity of `instance_id`.
fn instance_activity(autoscaling: &AutoScalingState, instance_id: &str) -> Option<String> {
    autoscaling
        .instances
        .get(instance_id)
        .and_then(|instance| instance.activity_id.clone())
}

/// The `excess` instances of `counting` that scale-in terminates, by the
/// default termination policy as the module documents it.
fn scale_in_choice(
    group: &Group,
    current_version: Option<u64>,
    counting: &[GroupInstance],
    excess: usize,
) -> Vec<String> {
    let mut left: Vec<&GroupInstance> = counting
        .iter()
        .filter(|instance| !instance.protected_from_scale_in)
        .collect();
    let mut chosen = Vec::new();
    while chosen.len() < excess && !left.is_empty() {
        let zone_count = |zone: &str| {
            left.iter()
                .filter(|instance| instance.availability_zone == zone)
                .count()
        };
        let mut zones: Vec<&str> = group
            .availability_zones
            .iter()
            .map(String::as_str)
            .collect();
        for instance in &left {
            if !zones.contains(&instance.availability_zone.as_str()) {
                zones.push(&instance.availability_zone);
            }
        }
        // The first zone with the most instances.
        let mut busiest = "";
        let mut most = 0;
        for zone in zones {
            let count = zone_count(zone);
            if count > most {
                most = count;
                busiest = zone;
            }
        }
        let Some(position) = left
            .iter()
            .enumerate()
            .filter(|(_, instance)| instance.availability_zone == busiest)
            .min_by(|(_, a), (_, b)| {
                let outdated = |instance: &GroupInstance| {
                    instance.launch_template.id != group.launch_template.id
                        || current_version.is_some_and(|number| number != instance.template_version)
                };
                outdated(b)
                    .cmp(&outdated(a))
                    .then_with(|| a.launched.cmp(&b.launched))
                    .then_with(|| a.instance_id.cmp(&b.instance_id))
            })
            .map(|(position, _)| position)
        else {
            break;
        };
        chosen.push(left.remove(position).instance_id.clone());
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localcloud::ec2::launch_template_state::{
        LaunchTemplate, LaunchTemplateData, LaunchTemplateVersion,
    };

    const T0: Timestamp = Timestamp::from_secs(1_000);

    /// EC2 with one template, and Auto Scaling with group `web` of
    /// `desired` instances in two zones.
    fn world(desired: i64) -> (AutoScalingState, Ec2State) {
        let mut ec2 = Ec2State::default();
        ec2.launch_templates.insert(
            "lt-0123456789abcdef0".to_owned(),
            LaunchTemplate {
                id: "lt-0123456789abcdef0".to_owned(),
                name: "web".to_owned(),
                created: T0,
                default_version: 1,
                versions: vec![LaunchTemplateVersion {
                    number: 1,
                    description: None,
                    created: T0,
                    data: LaunchTemplateData {
                        image_id: Some("ami-12345678".to_owned()),
                        ..LaunchTemplateData::default()
                    },
                }],
                tags: BTreeMap::new(),
            },
        );
        let mut autoscaling = AutoScalingState::default();
        autoscaling.groups.insert(
            "web".to_owned(),
            Group {
                name: "web".to_owned(),
                region: "us-east-1".to_owned(),
                id: new_uuid(),
                created: T0,
                launch_template: TemplateRef {
                    id: "lt-0123456789abcdef0".to_owned(),
                    name: "web".to_owned(),
                    version: "$Default".to_owned(),
                },
                min_size: 0,
                max_size: 10,
                desired_capacity: desired,
                default_cooldown: 300,
                availability_zones: vec!["us-east-1a".to_owned(), "us-east-1b".to_owned()],
                vpc_zone_identifier: None,
                load_balancer_names: Vec::new(),
                target_group_arns: Vec::new(),
                health_check_type: "EC2".to_owned(),
                health_check_grace_period: 0,
                tags: vec![GroupTag {
                    key: "Env".to_owned(),
                    value: "prod".to_owned(),
                    propagate_at_launch: true,
                }],
                termination_policies: vec!["Default".to_owned()],
                new_instances_protected_from_scale_in: false,
                hooks: BTreeMap::new(),
                rebalance_at: Some(T0),
                deleting: false,
                last_cause: String::new(),
            },
        );
        (autoscaling, ec2)
    }

    fn states(autoscaling: &AutoScalingState) -> Vec<&'static str> {
        autoscaling
            .instances
            .values()
            .map(|instance| instance.state.name())
            .collect()
    }

    #[test]
    fn a_group_launches_tagged_instances_that_come_into_service() {
        let (mut autoscaling, mut ec2) = world(2);
        assert!(autoscaling.settle(&mut ec2, T0));
        assert_eq!(states(&autoscaling), ["Pending", "Pending"]);
        let zones: Vec<&str> = autoscaling
            .instances
            .values()
            .map(|instance| instance.availability_zone.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(zones, ["us-east-1a", "us-east-1b"]);
        for id in autoscaling.instances.keys() {
            let instance = &ec2.instances[id];
            assert_eq!(instance.tags[GROUP_NAME_TAG], "web");
            assert_eq!(instance.tags["Env"], "prod");
            assert_eq!(instance.image_id, "ami-12345678");
        }
        autoscaling.settle(&mut ec2, T0.plus_millis(STATE_TRANSITION_MILLIS));
        assert_eq!(autoscaling.in_service_instances("web").len(), 2);
    }

    #[test]
    fn a_long_jump_sees_the_same_history_as_small_steps() {
        let (mut autoscaling, mut ec2) = world(1);
        autoscaling
            .put_hook(
                "web",
                LifecycleHook {
                    name: "hold".to_owned(),
                    transition: LAUNCHING.to_owned(),
                    heartbeat_timeout: 30,
                    default_result: ActionResult::Abandon,
                    notification_target_arn: None,
                    role_arn: None,
                    notification_metadata: None,
                },
            )
            .unwrap();
        // Boot (2 s) and a 30 s timeout per attempt: after 100 s, three
        // launches were abandoned and a fourth is waiting.
        autoscaling.settle(&mut ec2, T0.plus_millis(100_000));
        assert_eq!(ec2.instances.len(), 4);
        assert_eq!(autoscaling.open_actions().len(), 1);
        assert_eq!(
            autoscaling.open_actions()[0].since,
            T0.plus_millis(3 * 32_000 + STATE_TRANSITION_MILLIS)
        );
        let terminated = ec2
            .instances
            .values()
            .filter(|instance| instance.state == InstanceState::Terminated)
            .count();
        assert_eq!(terminated, 3);
        let token = autoscaling.open_actions()[0].token.clone();
        autoscaling
            .complete_action(&token, ActionResult::Continue, T0.plus_millis(100_000))
            .unwrap();
        autoscaling.settle(&mut ec2, T0.plus_millis(100_000 + PROCEED_MILLIS));
        assert_eq!(autoscaling.in_service_instances("web").len(), 1);
    }

    #[test]
    fn the_engine_can_hold_a_launch_complete_it_and_copy_a_group() {
        let (mut autoscaling, mut ec2) = world(1);
        let hook = LifecycleHook {
            name: "CodeDeploy-managed-automatic-launch-deployment-hook-web".to_owned(),
            transition: LAUNCHING.to_owned(),
            heartbeat_timeout: 600,
            default_result: ActionResult::Abandon,
            notification_target_arn: None,
            role_arn: None,
            notification_metadata: None,
        };
        autoscaling.put_hook("web", hook.clone()).unwrap();
        assert_eq!(
            autoscaling.put_hook("ghost", hook.clone()),
            Err(AutoScalingError::NoSuchGroup("ghost".to_owned()))
        );
        autoscaling.settle(&mut ec2, T0.plus_millis(STATE_TRANSITION_MILLIS));
        assert!(autoscaling.in_service_instances("web").is_empty());
        let open = autoscaling.open_actions();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].group, "web");
        assert_eq!(open[0].hook, hook.name);
        assert_eq!(open[0].since, T0.plus_millis(STATE_TRANSITION_MILLIS));
        let now = T0.plus_millis(5_000);
        autoscaling
            .complete_action(&open[0].token, ActionResult::Continue, now)
            .unwrap();
        assert!(
            autoscaling
                .complete_action(&open[0].token, ActionResult::Continue, now)
                .is_err()
        );
        autoscaling.settle(&mut ec2, now.plus_millis(PROCEED_MILLIS));
        assert_eq!(
            autoscaling.in_service_instances("web"),
            [open[0].instance_id.clone()]
        );

        // A copy has the settings and hooks, and launches its own instances.
        let copy = autoscaling.copy_group("web", "web-green", now).unwrap();
        assert_eq!(copy.desired_capacity, 1);
        assert!(copy.hooks.contains_key(&hook.name));
        assert_ne!(copy.arn(), autoscaling.groups["web"].arn());
        assert!(autoscaling.copy_group("web", "web-green", now).is_err());
        autoscaling.settle(&mut ec2, now.plus_millis(STATE_TRANSITION_MILLIS));
        let copied = autoscaling.group_instances("web-green");
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0].state, LifecycleState::PendingWait);
        let copied_id = copied[0].instance_id.clone();
        assert_eq!(ec2.instances[&copied_id].tags[GROUP_NAME_TAG], "web-green");

        // Removing the hook abandons the waiting launch, as AWS does.
        assert!(autoscaling.remove_hook("web-green", &hook.name, now.plus_millis(3_000)));
        assert!(!autoscaling.remove_hook("web-green", &hook.name, now.plus_millis(3_000)));
        assert!(autoscaling.open_actions().is_empty());
        assert_eq!(
            autoscaling.instances[&copied_id].state,
            LifecycleState::Terminating
        );
    }

    #[test]
    fn a_group_keeps_its_latest_activities_only() {
        let (mut autoscaling, mut ec2) = world(1);
        autoscaling
            .put_hook(
                "web",
                LifecycleHook {
                    name: "never".to_owned(),
                    transition: LAUNCHING.to_owned(),
                    heartbeat_timeout: 30,
                    default_result: ActionResult::Abandon,
                    notification_target_arn: None,
                    role_arn: None,
                    notification_metadata: None,
                },
            )
            .unwrap();
        // Two hours of launches abandoned every 32 seconds.
        autoscaling.settle(&mut ec2, T0.plus_millis(7_200_000));
        assert!(ec2.instances.len() > 200, "{}", ec2.instances.len());
        let ended = autoscaling
            .activities
            .values()
            .filter(|activity| activity.ended.is_some())
            .count();
        assert_eq!(ended, KEPT_ACTIVITIES);
        let newest = autoscaling
            .activities
            .values()
            .map(|activity| activity.started)
            .max()
            .unwrap();
        assert!(newest > T0.plus_millis(7_100_000));
    }

    #[test]
    fn scale_in_takes_from_the_busiest_zone_then_the_oldest() {
        let (mut autoscaling, mut ec2) = world(3);
        autoscaling.settle(&mut ec2, T0.plus_millis(10_000));
        let first_in_a: String = autoscaling
            .instances
            .values()
            .filter(|instance| instance.availability_zone == "us-east-1a")
            .min_by_key(|instance| (instance.launched, instance.instance_id.clone()))
            .unwrap()
            .instance_id
            .clone();
        autoscaling.groups.get_mut("web").unwrap().desired_capacity = 2;
        autoscaling.request_rebalance("web", T0.plus_millis(10_000));
        autoscaling.settle(&mut ec2, T0.plus_millis(10_000));
        assert_eq!(
            autoscaling.instances[&first_in_a].state,
            LifecycleState::Terminating
        );
        autoscaling.settle(&mut ec2, T0.plus_millis(20_000));
        assert!(!autoscaling.instances.contains_key(&first_in_a));
        assert_eq!(ec2.instances[&first_in_a].state, InstanceState::Terminated);
        assert_eq!(autoscaling.in_service_instances("web").len(), 2);
    }
}
