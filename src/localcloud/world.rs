//! The world: everything the local cloud remembers, shared by all requests
//! behind one lock.
//!
//! The lock is a plain mutex that is only taken inside synchronous code, so
//! it is never held across an `.await` (the compiler would refuse: its guard
//! cannot be sent between threads). After an operation changes the world,
//! the records it changed are encoded while the lock is held and queued in
//! the [`Journal`], whose own thread writes them; no disk I/O ever happens
//! under the lock. A request is answered once [`SharedWorld::settled`] says
//! its change is on disk.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::LocalCloudError;
use super::autoscaling::AutoScalingState;
use super::clock::Timestamp;
use super::cloudwatch::CloudWatchState;
use super::codedeploy::CodeDeployState;
use super::ec2::{Ec2Instance, Ec2State, LaunchSpec};
use super::ecs::EcsState;
use super::elb::ElbState;
use super::elbv2::{Elbv2State, liveness_in};
use super::iam::state::PolicyView;
use super::iam::{IamState, Role};
use super::lambda::LambdaState;
use super::s3::S3State;
use super::sns::SnsState;
use super::ssm::SsmState;
use super::store::{Change, Changes, Journal, Notices, ReplayError, Stored};
use crate::domain::iam_names::parse_role_arn;
use crate::domain::policy::{PolicyDocument, PolicyKind, parse};

/// Everything the local cloud remembers, one part per service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    /// CodeDeploy's applications, groups, configurations, revisions and
    /// on-premises instances.
    pub codedeploy: CodeDeployState,
    /// EC2's instances.
    pub ec2: Ec2State,
    /// Elastic Load Balancing v2's load balancers, target groups and
    /// listeners.
    pub elbv2: Elbv2State,
    /// Classic Elastic Load Balancing's load balancers.
    pub elb: ElbState,
    /// IAM's roles, policies and instance profiles.
    pub iam: IamState,
    /// S3's buckets and object metadata (the bodies are in the blob store).
    pub s3: S3State,
    /// Auto Scaling's groups, their instances and lifecycle actions.
    pub autoscaling: AutoScalingState,
    /// CloudWatch's alarms.
    pub cloudwatch: CloudWatchState,
    /// SNS's topics and subscriptions.
    pub sns: SnsState,
    /// Systems Manager's managed instances, CodeDeploy agents, commands
    /// and associations.
    pub ssm: SsmState,
    /// Lambda's functions, versions and aliases.
    pub lambda: LambdaState,
    /// ECS's clusters, task definitions, services and task sets.
    pub ecs: EcsState,
}

impl Stored for World {
    fn take_changes(&mut self, changes: &mut Changes) {
        self.codedeploy.take_changes(changes);
        self.ec2.take_changes(changes);
        self.elbv2.take_changes(changes);
        self.elb.take_changes(changes);
        self.iam.take_changes(changes);
        self.s3.take_changes(changes);
        self.autoscaling.take_changes(changes);
        self.cloudwatch.take_changes(changes);
        self.sns.take_changes(changes);
        self.ssm.take_changes(changes);
        self.lambda.take_changes(changes);
        self.ecs.take_changes(changes);
    }

    fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.split_once('.').map(|(service, _)| service) {
            Some("codedeploy") => self.codedeploy.apply(change),
            Some("ec2") => self.ec2.apply(change),
            Some("elbv2") => self.elbv2.apply(change),
            Some("elb") => self.elb.apply(change),
            Some("iam") => self.iam.apply(change),
            Some("s3") => self.s3.apply(change),
            Some("autoscaling") => self.autoscaling.apply(change),
            Some("cloudwatch") => self.cloudwatch.apply(change),
            Some("sns") => self.sns.apply(change),
            Some("ssm") => self.ssm.apply(change),
            Some("lambda") => self.lambda.apply(change),
            Some("ecs") => self.ecs.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

impl World {
    /// Launches the demo fleet (see [`Ec2State::seed_fleet`]) with the
    /// instance profile it needs (see [`IamState::seed_fleet_profile`]),
    /// unless the world has instances already. Returns how many were
    /// launched.
    pub fn seed_fleet(&mut self, count: usize, gaps: bool, now: Timestamp) -> usize {
        if count == 0 || !self.ec2.instances.is_empty() {
            return 0;
        }
        let profile_arn = self.iam.seed_fleet_profile(now);
        self.ec2.seed_fleet(count, &profile_arn, gaps, now)
    }

    /// Launches one running EC2 instance tagged `tags` with the demo
    /// fleet's instance profile (made if missing), so that its CodeDeploy
    /// agent can be reached, as a fleet instance's is. Returns its id.
    pub fn launch_ready(&mut self, tags: BTreeMap<String, String>, now: Timestamp) -> String {
        let spec = LaunchSpec {
            tags,
            iam_instance_profile_arn: Some(self.iam.seed_fleet_profile(now)),
            ..LaunchSpec::default()
        };
        let (_, mut ids) = self.ec2.run(&spec, 1, now);
        ids.pop().unwrap_or_default()
    }

    /// Brings the load balancers' targets up to `now`, as their instances
    /// are doing in EC2: health checks passed, draining ended. Returns
    /// whether anything changed.
    pub fn settle_load_balancers(&mut self, now: Timestamp) -> bool {
        let ec2 = &self.ec2;
        let v2 = self.elbv2.settle(now, |id| liveness_in(ec2, id));
        let classic = self.elb.settle(now);
        v2 || classic
    }

    /// The role of `instance`'s instance profile, or `None` when it has no
    /// profile, or its profile no role the local IAM knows: whose
    /// credentials its agents have.
    pub fn instance_role(&self, instance: &Ec2Instance) -> Option<&Role> {
        let association = instance.iam_instance_profile.as_ref()?;
        let name = association.arn.rsplit('/').next()?;
        let profile = self.iam.instance_profiles.get(&name.to_lowercase())?;
        self.iam.role(profile.roles.first()?)
    }

    /// The identity policies of the role `role_arn` (attached and inline, the
    /// ones that parse), or `None` for a role the local IAM does not have.
    pub fn role_policies(&self, role_arn: &str) -> Option<Vec<PolicyDocument>> {
        let role = parse_role_arn(role_arn)
            .ok()
            .and_then(|arn| self.iam.role(arn.name))?;
        let attached = role
            .attached_policies
            .iter()
            .filter_map(|arn| self.iam.managed_policy(arn))
            .map(|policy| match policy {
                PolicyView::Aws(policy) => policy.document.clone(),
                PolicyView::Local(policy) => policy.document,
            });
        Some(
            attached
                .chain(role.inline_policies.values().cloned())
                .filter_map(|document| parse(&document, PolicyKind::Identity).ok())
                .collect(),
        )
    }
}

/// The world behind its lock, with the journal that keeps it on disk.
#[derive(Debug)]
pub struct SharedWorld {
    /// The world, its changes and the journal.
    inner: Mutex<Inner>,
    /// The number of the last change queued in the journal.
    appended: AtomicU64,
    /// Follows the number of the last change on disk; `None` in memory.
    durable: Option<watch::Receiver<u64>>,
    /// Where problems with saving are reported.
    notices: Notices,
}

/// What the world's lock guards.
#[derive(Debug)]
struct Inner {
    /// The world itself.
    world: World,
    /// The changes being noted, kept between writes for their scalars.
    changes: Changes,
    /// The journal, when the state is kept on disk; `None` in memory only
    /// or after shutdown.
    journal: Option<Journal>,
}

/// Takes a lock, recovering the data if a thread panicked while holding it:
/// every change to the world is made on a copy or completed in one step, so
/// the data is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SharedWorld {
    /// Shares `world`, keeping its changes in `journal` if there is one.
    pub fn new(world: World, journal: Option<Journal>, notices: Notices) -> Self {
        let durable = journal.as_ref().map(Journal::durable);
        let appended = durable.as_ref().map_or(0, |durable| *durable.borrow());
        Self {
            inner: Mutex::new(Inner {
                world,
                changes: if journal.is_some() {
                    Changes::recording()
                } else {
                    Changes::discarding()
                },
                journal,
            }),
            appended: AtomicU64::new(appended),
            durable,
            notices,
        }
    }

    /// Runs `read` with the world.
    pub fn read<R>(&self, read: impl FnOnce(&World) -> R) -> R {
        read(&lock(&self.inner).world)
    }

    /// Runs `change` with the world and, if it succeeds, queues what it
    /// changed in the journal. A change that fails must leave the world as
    /// it was.
    pub fn write<R, E>(&self, change: impl FnOnce(&mut World) -> Result<R, E>) -> Result<R, E> {
        let mut inner = lock(&self.inner);
        let result = change(&mut inner.world);
        if result.is_ok() {
            self.commit(&mut inner);
        }
        result
    }

    /// Runs `change`, which says whether it changed the world, and queues
    /// what it changed only if it did. Returns what `change` said.
    pub fn update(&self, change: impl FnOnce(&mut World) -> bool) -> bool {
        let mut inner = lock(&self.inner);
        let changed = change(&mut inner.world);
        if changed {
            self.commit(&mut inner);
        }
        changed
    }

    /// Replaces the whole world, as "Reset demo account" does, and queues
    /// the new world in the journal.
    pub fn replace(&self, new_world: World) -> Result<(), LocalCloudError> {
        let mut inner = lock(&self.inner);
        let inner = &mut *inner;
        inner.world = new_world;
        inner.world.take_changes(&mut Changes::discarding());
        inner.changes.forget_scalars();
        if let Some(journal) = &inner.journal {
            let sequence = journal.append_world(&inner.world)?;
            self.appended.store(sequence, Ordering::Release);
        }
        Ok(())
    }

    /// Queues the records the last change wrote. Called with the world
    /// locked, so changes are numbered in the order they were made.
    fn commit(&self, inner: &mut Inner) {
        inner.world.take_changes(&mut inner.changes);
        if inner.changes.is_empty() {
            return;
        }
        let changes = inner.changes.take();
        if let Some(journal) = &inner.journal {
            let sequence = journal.append_changes(&changes);
            self.appended.store(sequence, Ordering::Release);
        }
    }

    /// Waits until every change queued so far is on disk (at once in
    /// memory). The server calls it before it answers a request, so that
    /// an answer is only sent for a change that survives a crash.
    pub async fn settled(&self) {
        let Some(durable) = &self.durable else {
            return;
        };
        let target = self.appended.load(Ordering::Acquire);
        if *durable.borrow() >= target {
            return;
        }
        let mut durable = durable.clone();
        if durable.wait_for(|done| *done >= target).await.is_err() {
            // The journal has stopped: nothing more will be written.
            tracing::debug!("the journal stopped before change {target} was written");
        }
    }

    /// Where problems with saving are reported.
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    /// Stops journaling changes and returns the journal, so the caller can
    /// wait for its last write.
    pub fn take_journal(&self) -> Option<Journal> {
        lock(&self.inner).journal.take()
    }
}
