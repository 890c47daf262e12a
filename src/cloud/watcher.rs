//! The deployment watcher: polls a deployment as cheaply as it can and
//! reports only what changed.
//!
//! Each refresh reads the deployment (one `GetDeployment`). The target list
//! is read when the watch starts and whenever the overview's total changes.
//! Targets that have not finished are batch-read, 25 ids a call and a few
//! calls at a time, when the deployment changed or, while nothing changes, at
//! an interval that keeps doubling; so a quiet deployment costs about one
//! request per refresh. The refresh interval is about a second while things
//! change and backs off to several seconds when they do not. Throttling backs
//! off with jitter. After the deployment ends the targets are read once more
//! and the watch stops. A Lambda or ECS deployment has one target, whose
//! traffic moves while the deployment reads the same: it is read with every
//! refresh, two requests a refresh.

use std::collections::HashMap;
use std::time::Duration;

use rand::RngExt as _;

use super::deployments::{self, Deployment, TARGET_BATCH_LIMIT, Target};
use super::error::CloudError;
use super::session::Session;
use crate::domain::ComputePlatform;

/// How the watcher paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchConfig {
    /// The refresh interval while things change.
    pub fast: Duration,
    /// The longest refresh interval while nothing changes.
    pub slow: Duration,
    /// The longest wait between target reads while nothing changes.
    pub slowest_target_read: Duration,
    /// Batch reads in flight at once.
    pub max_in_flight: usize,
    /// The first wait after throttling; it doubles up to `slowest_target_read`.
    pub throttle_backoff: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            fast: Duration::from_secs(1),
            slow: Duration::from_secs(5),
            slowest_target_read: Duration::from_secs(30),
            max_in_flight: 3,
            throttle_backoff: Duration::from_secs(2),
        }
    }
}

/// What the watcher is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchState {
    /// Polling; the next refresh comes after `next_in`.
    Watching {
        /// Time to the next refresh.
        next_in: Duration,
    },
    /// AWS throttled a request; the watcher waits before trying again.
    Throttled {
        /// Time to the next try.
        retry_in: Duration,
    },
    /// A request failed; the watcher tries again later. What is on screen stays.
    Failing {
        /// What went wrong.
        message: String,
        /// Time to the next try.
        retry_in: Duration,
    },
    /// The deployment ended and the last reads are in.
    Finished,
    /// The deployment no longer exists, or cannot be read at all.
    Gone(String),
}

/// What changed since the last update.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchUpdate {
    /// The deployment, when it changed.
    pub deployment: Option<Deployment>,
    /// All target ids, when the list was (re)read.
    pub target_ids: Option<Vec<String>>,
    /// The targets that changed.
    pub targets: Vec<Target>,
    /// What the watcher is doing now.
    pub state: WatchState,
    /// Requests sent so far.
    pub requests: u64,
    /// Refreshes done so far.
    pub refreshes: u64,
}

struct Watch {
    session: Session,
    deployment_id: String,
    config: WatchConfig,
    deployment: Option<Deployment>,
    target_ids: Option<Vec<String>>,
    targets: HashMap<String, Target>,
    requests: u64,
    refreshes: u64,
    interval: Duration,
    target_read_every: Duration,
    since_target_read: Duration,
    throttled_for: Duration,
}

/// Watches a deployment until it ends, it is gone, or `send` returns
/// `false` (the view was closed). `send` gets an update whenever something
/// changed.
pub async fn watch(
    session: Session,
    deployment_id: String,
    config: WatchConfig,
    mut send: impl FnMut(WatchUpdate) -> bool + Send,
) {
    let mut watch = Watch {
        session,
        deployment_id,
        config,
        deployment: None,
        target_ids: None,
        targets: HashMap::new(),
        requests: 0,
        refreshes: 0,
        interval: config.fast,
        target_read_every: config.fast,
        since_target_read: Duration::ZERO,
        throttled_for: Duration::ZERO,
    };
    loop {
        let outcome = watch.refresh().await;
        let (update, wait) = match outcome {
            Ok(mut update) => {
                watch.throttled_for = Duration::ZERO;
                let finished = update.state == WatchState::Finished;
                let quiet = update.deployment.is_none()
                    && update.targets.is_empty()
                    && update.target_ids.is_none();
                let first = watch.refreshes == 1;
                if finished {
                    send(update);
                    return;
                }
                if quiet && !first {
                    watch.interval = (watch.interval.mul_f32(1.5)).min(watch.config.slow);
                    watch.target_read_every =
                        (watch.target_read_every * 2).min(watch.config.slowest_target_read);
                } else {
                    watch.interval = watch.config.fast;
                    watch.target_read_every = watch.config.fast;
                }
                update.state = WatchState::Watching {
                    next_in: watch.interval,
                };
                // An unchanged deployment is not worth a repaint.
                (
                    if quiet && !first { None } else { Some(update) },
                    watch.interval,
                )
            }
            Err(error) => {
                let (state, wait) = watch.failure_state(&error);
                if let WatchState::Gone(_) = state {
                    send(watch.update(None, None, Vec::new(), state));
                    return;
                }
                (Some(watch.update(None, None, Vec::new(), state)), wait)
            }
        };
        if let Some(update) = update
            && !send(update)
        {
            return;
        }
        tokio::time::sleep(wait).await;
        watch.since_target_read += wait;
    }
}

impl Watch {
    fn update(
        &self,
        deployment: Option<Deployment>,
        target_ids: Option<Vec<String>>,
        targets: Vec<Target>,
        state: WatchState,
    ) -> WatchUpdate {
        WatchUpdate {
            deployment,
            target_ids,
            targets,
            state,
            requests: self.requests,
            refreshes: self.refreshes,
        }
    }

    fn failure_state(&mut self, error: &CloudError) -> (WatchState, Duration) {
        match error {
            CloudError::Throttled { .. } => {
                self.throttled_for = if self.throttled_for.is_zero() {
                    self.config.throttle_backoff
                } else {
                    (self.throttled_for * 2).min(self.config.slowest_target_read)
                };
                let jitter = rand::rng().random_range(0.5..1.5);
                let wait = self.throttled_for.mul_f64(jitter);
                (WatchState::Throttled { retry_in: wait }, wait)
            }
            CloudError::NotFound { message, .. } => {
                (WatchState::Gone(message.clone()), Duration::ZERO)
            }
            other => {
                let wait = if other.is_transient() {
                    self.config.slow
                } else {
                    // Credentials may be renewed meanwhile (an SSO login); keep trying, slowly.
                    self.config.slowest_target_read
                };
                (
                    WatchState::Failing {
                        message: other.to_string(),
                        retry_in: wait,
                    },
                    wait,
                )
            }
        }
    }

    async fn refresh(&mut self) -> Result<WatchUpdate, CloudError> {
        self.refreshes += 1;
        self.requests += 1;
        let deployment = deployments::get_deployment(&self.session, &self.deployment_id).await?;
        let deployment_changed = self.deployment.as_ref() != Some(&deployment);
        let total_changed = self
            .deployment
            .as_ref()
            .is_none_or(|previous| previous.overview.total() != deployment.overview.total());
        let finished = deployment.status.is_finished();

        let mut new_ids = None;
        if self.target_ids.is_none() || total_changed {
            let ids = self.list_target_ids().await?;
            if self.target_ids.as_ref() != Some(&ids) {
                new_ids = Some(ids.clone());
            }
            self.target_ids = Some(ids);
        }

        // A Lambda or ECS deployment's one target moves traffic while the
        // deployment itself reads the same: it is read every refresh.
        let due = deployment_changed
            || new_ids.is_some()
            || finished
            || deployment.platform != ComputePlatform::Server
            || self.since_target_read >= self.target_read_every;
        let mut changed_targets = Vec::new();
        if due {
            let unfinished: Vec<String> = self
                .target_ids
                .iter()
                .flatten()
                .filter(|id| {
                    self.targets
                        .get(*id)
                        .is_none_or(|target| !target.status.is_finished())
                })
                .cloned()
                .collect();
            if !unfinished.is_empty() {
                for target in self.read_targets(&unfinished).await? {
                    if self.targets.get(&target.id) != Some(&target) {
                        self.targets.insert(target.id.clone(), target.clone());
                        changed_targets.push(target);
                    }
                }
            }
            self.since_target_read = Duration::ZERO;
        }

        let state = if finished {
            WatchState::Finished
        } else {
            WatchState::Watching {
                next_in: self.interval,
            }
        };
        let deployment_update = deployment_changed.then(|| deployment.clone());
        self.deployment = Some(deployment);
        Ok(self.update(deployment_update, new_ids, changed_targets, state))
    }

    async fn list_target_ids(&mut self) -> Result<Vec<String>, CloudError> {
        self.requests += 1;
        deployments::list_target_ids(&self.session, &self.deployment_id).await
    }

    /// Reads targets 25 at a time with a few calls in flight.
    async fn read_targets(&mut self, ids: &[String]) -> Result<Vec<Target>, CloudError> {
        let mut chunks = ids.chunks(TARGET_BATCH_LIMIT);
        let mut running = tokio::task::JoinSet::new();
        let mut targets = Vec::with_capacity(ids.len());
        let mut first_error = None;
        loop {
            while running.len() < self.config.max_in_flight.max(1) {
                let Some(chunk) = chunks.next() else { break };
                let session = self.session.clone();
                let deployment_id = self.deployment_id.clone();
                let chunk = chunk.to_vec();
                self.requests += 1;
                running.spawn(async move {
                    deployments::get_targets(&session, &deployment_id, &chunk).await
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            match joined {
                Ok(Ok(batch)) => targets.extend(batch),
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(join_error) => {
                    first_error.get_or_insert(CloudError::Other(join_error.to_string()));
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(targets),
        }
    }
}
