//! The rollout planner: how CodeDeploy schedules an in-place deployment over a
//! fleet, when it stops, and whether it succeeds.
//!
//! [`Rollout`] is a state machine that both the local cloud's engine and the
//! GUI's pre-flight plan drive, so that what the GUI predicts is what the local
//! cloud does. [`simulate`] runs it to the end for given per-instance results;
//! [`plan`] assumes every instance succeeds.
//!
//! The model, from the CodeDeploy user guide ("Instance health", "Working with
//! deployment configurations"):
//!
//! - The minimum `m` is resolved against the number of instances `n` when the
//!   deployment starts (a percentage is rounded up). If `m >= n` the deployment
//!   fails at once: taking any instance offline would break the minimum.
//! - Instances are taken in scheduling order (unhealthy, then unknown, old and
//!   current revision health) in waves. A wave never holds more than `n - m`
//!   instances, and an instance that is healthy is only taken offline while
//!   the remaining healthy instances stay at or above `m`. Taking an unhealthy
//!   instance offline does not lower the healthy count, which is how a group
//!   that starts below the minimum still gets deployed: the deployment never
//!   reduces the healthy count any further.
//! - A success makes the instance healthy; a failure (or a stopped instance)
//!   makes it unhealthy. When instances are left but none can be taken offline
//!   without going below the minimum, the deployment fails: the healthy count
//!   has reached the minimum. If the last instance is the one that fails there
//!   is nothing left to schedule, which is why `OneAtATime` (and a minimum of
//!   `n - 1`) lets the last instance fail.
//! - The deployment succeeds when at least `max(m, 1)` instances succeeded:
//!   even with a minimum of 0, one instance must succeed. It fails as soon as
//!   that can no longer happen.
//!
//! Waves are synchronous: the next wave starts when the previous one has
//! finished, so the waves the planner predicts are the waves that run.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::config::MinimumHealthyHosts;
use super::health::{AttemptResult, Health, scheduling_order};

mod observed;

pub use observed::{FailureCode, ObservedAttempt, observed_waves};

/// Why a rollout could not be planned at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The fleet is empty.
    #[error(
        "The deployment has no instances to deploy to. Add instances, or check the deployment group's tags."
    )]
    NoInstances,
    /// The per-instance results do not match the fleet.
    #[error("Got results for {results} instances but the fleet has {instances}.")]
    ResultCountMismatch {
        /// Instances in the fleet.
        instances: usize,
        /// Results given.
        results: usize,
    },
}

/// Why an action on a running rollout was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    /// The instance index is not part of this rollout.
    #[error("Instance #{0} is not part of this deployment.")]
    UnknownInstance(usize),
    /// The instance is not being deployed to right now.
    #[error("Instance #{0} is not in progress, so it cannot report a result.")]
    NotInProgress(usize),
}

/// Why a deployment failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureReason {
    /// There were no instances at all.
    NoInstances,
    /// The minimum could not be met even before the first instance: it is
    /// greater than or equal to the number of instances.
    MinimumUnreachableAtStart {
        /// The minimum as a number of instances.
        minimum: usize,
        /// The number of instances in the deployment.
        total: usize,
    },
    /// Failures brought the healthy count down to the minimum while instances
    /// were still waiting, so no more could be taken offline.
    HealthyCountReachedMinimum {
        /// Healthy instances when the deployment stopped.
        healthy: usize,
        /// The minimum as a number of instances.
        minimum: usize,
        /// Instances whose attempt failed.
        failed: usize,
        /// The wave (1-based) after which the deployment stopped.
        after_wave: usize,
    },
    /// Too many instances failed for enough of them to ever succeed.
    TooFewCanSucceed {
        /// Instances that succeeded.
        succeeded: usize,
        /// Instances that could still succeed (not yet attempted).
        remaining: usize,
        /// Successes the deployment needs.
        needed: usize,
        /// Instances whose attempt failed.
        failed: usize,
        /// The wave (1-based) after which the deployment stopped.
        after_wave: usize,
    },
    /// Every instance was attempted and none succeeded.
    NoInstanceSucceeded {
        /// Instances whose attempt failed.
        failed: usize,
    },
}

impl FailureReason {
    /// The `errorInformation.code` CodeDeploy reports for this failure.
    pub fn error_code(&self) -> &'static str {
        self.code().as_str()
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoInstances => f.write_str("There were no instances to deploy to."),
            Self::MinimumUnreachableAtStart { minimum, total } => write!(
                f,
                "{minimum} of {total} instances must stay healthy, so not one can be taken offline: \
                 the deployment fails before it starts."
            ),
            Self::HealthyCountReachedMinimum {
                healthy,
                minimum,
                failed,
                after_wave,
            } => write!(
                f,
                "{failed} {} failed; {healthy} healthy {} left and the minimum is {minimum}: \
                 stopped after wave {after_wave}.",
                plural(*failed, "instance", "instances"),
                plural(*healthy, "is", "are"),
            ),
            Self::TooFewCanSucceed {
                succeeded,
                remaining,
                needed,
                failed,
                after_wave,
            } => write!(
                f,
                "{failed} {} failed; with {succeeded} succeeded and {remaining} left, \
                 the {needed} successes needed can no longer be reached: stopped after wave {after_wave}.",
                plural(*failed, "instance", "instances"),
            ),
            Self::NoInstanceSucceeded { failed } => write!(
                f,
                "All {failed} {} failed; at least one must succeed.",
                plural(*failed, "instance", "instances"),
            ),
        }
    }
}

/// How a deployment ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RolloutOutcome {
    /// Enough instances succeeded.
    Succeeded,
    /// The deployment failed.
    Failed(FailureReason),
    /// Someone stopped the deployment.
    Stopped,
}

impl RolloutOutcome {
    /// Whether the deployment succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Succeeded)
    }
}

/// Where one instance stands in a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetProgress {
    /// Waiting for its wave.
    Pending,
    /// Being deployed to in the given wave (1-based).
    InProgress {
        /// The wave, 1-based.
        wave: usize,
    },
    /// Attempted in the given wave (1-based) with the given result.
    Done {
        /// The wave, 1-based.
        wave: usize,
        /// What happened.
        result: AttemptResult,
    },
    /// Not attempted because the deployment ended first.
    Skipped,
}

impl TargetProgress {
    /// The result of the attempt, if the instance was attempted and finished.
    pub fn attempt(self) -> Option<AttemptResult> {
        match self {
            Self::Done { result, .. } => Some(result),
            _ => None,
        }
    }
}

/// A rollout in progress, advanced wave by wave. It can be saved and read
/// back (the local cloud keeps running deployments across restarts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    initial: Vec<Health>,
    minimum_setting: MinimumHealthyHosts,
    minimum: usize,
    max_per_wave: usize,
    needed: usize,
    order: Vec<usize>,
    next_in_order: usize,
    progress: Vec<TargetProgress>,
    live_healthy: Vec<bool>,
    healthy_available: usize,
    in_flight: usize,
    succeeded: usize,
    failed: usize,
    waves: Vec<Vec<usize>>,
    outcome: Option<RolloutOutcome>,
}

impl Rollout {
    /// Starts a rollout over instances with the given health. The rollout may
    /// already be finished (a minimum that cannot be met); check
    /// [`Rollout::outcome`].
    pub fn start(healths: &[Health], minimum: MinimumHealthyHosts) -> Result<Self, PlanError> {
        let total = healths.len();
        if total == 0 {
            return Err(PlanError::NoInstances);
        }
        let resolved = minimum.resolve(total);
        let live_healthy: Vec<bool> = healths.iter().map(|health| health.is_healthy()).collect();
        let healthy_available = live_healthy.iter().filter(|&&healthy| healthy).count();
        let mut rollout = Self {
            initial: healths.to_vec(),
            minimum_setting: minimum,
            minimum: resolved,
            max_per_wave: total.saturating_sub(resolved).max(1),
            needed: resolved.max(1),
            order: scheduling_order(healths),
            next_in_order: 0,
            progress: vec![TargetProgress::Pending; total],
            live_healthy,
            healthy_available,
            in_flight: 0,
            succeeded: 0,
            failed: 0,
            waves: Vec::new(),
            outcome: None,
        };
        if resolved >= total {
            rollout.finish(RolloutOutcome::Failed(
                FailureReason::MinimumUnreachableAtStart {
                    minimum: resolved,
                    total,
                },
            ));
        }
        Ok(rollout)
    }

    /// Starts the next wave and returns its instances, in scheduling order.
    /// Returns an empty list while a wave is still running or once the
    /// rollout has finished; starting a wave can itself finish the rollout
    /// when no instance may be taken offline.
    pub fn next_wave(&mut self) -> Vec<usize> {
        if self.outcome.is_some() || self.in_flight > 0 {
            return Vec::new();
        }
        let mut wave = Vec::new();
        while wave.len() < self.max_per_wave && self.next_in_order < self.order.len() {
            let instance = self.order[self.next_in_order];
            if self.live_healthy[instance] {
                // Taking a healthy instance offline must leave at least the minimum.
                if self.healthy_available <= self.minimum {
                    break;
                }
                self.healthy_available -= 1;
                self.live_healthy[instance] = false;
            }
            wave.push(instance);
            self.next_in_order += 1;
        }
        if wave.is_empty() {
            // Instances wait but none may be taken offline.
            let reason = FailureReason::HealthyCountReachedMinimum {
                healthy: self.healthy_available,
                minimum: self.minimum,
                failed: self.failed,
                after_wave: self.waves.len(),
            };
            self.finish(RolloutOutcome::Failed(reason));
            return wave;
        }
        let wave_number = self.waves.len() + 1;
        for &instance in &wave {
            self.progress[instance] = TargetProgress::InProgress { wave: wave_number };
        }
        self.in_flight = wave.len();
        self.waves.push(wave.clone());
        wave
    }

    /// Records the result of deploying to one instance of the running wave.
    /// When the wave's last instance reports, the rollout decides whether to
    /// go on, succeed or fail.
    pub fn complete(&mut self, instance: usize, result: AttemptResult) -> Result<(), RolloutError> {
        let wave = match self.progress.get(instance) {
            None => return Err(RolloutError::UnknownInstance(instance)),
            Some(TargetProgress::InProgress { wave }) => *wave,
            Some(_) => return Err(RolloutError::NotInProgress(instance)),
        };
        self.progress[instance] = TargetProgress::Done { wave, result };
        self.in_flight -= 1;
        if result.is_success() {
            self.succeeded += 1;
            self.live_healthy[instance] = true;
            self.healthy_available += 1;
        } else {
            self.failed += 1;
        }
        if self.in_flight == 0 {
            self.decide_after_wave();
        }
        Ok(())
    }

    fn decide_after_wave(&mut self) {
        let remaining = self.order.len() - self.next_in_order;
        if remaining == 0 {
            let outcome = if self.succeeded >= self.needed {
                RolloutOutcome::Succeeded
            } else if self.succeeded == 0 {
                RolloutOutcome::Failed(FailureReason::NoInstanceSucceeded {
                    failed: self.failed,
                })
            } else {
                RolloutOutcome::Failed(self.too_few_can_succeed(remaining))
            };
            self.finish(outcome);
        } else if self.succeeded + remaining < self.needed {
            let reason = self.too_few_can_succeed(remaining);
            self.finish(RolloutOutcome::Failed(reason));
        }
    }

    fn too_few_can_succeed(&self, remaining: usize) -> FailureReason {
        FailureReason::TooFewCanSucceed {
            succeeded: self.succeeded,
            remaining,
            needed: self.needed,
            failed: self.failed,
            after_wave: self.waves.len(),
        }
    }

    /// Stops the rollout: instances still in progress count as failed
    /// attempts, and instances not yet attempted are skipped.
    pub fn stop(&mut self) {
        if self.outcome.is_some() {
            return;
        }
        for progress in &mut self.progress {
            if let TargetProgress::InProgress { wave } = *progress {
                *progress = TargetProgress::Done {
                    wave,
                    result: AttemptResult::Failed,
                };
                self.failed += 1;
            }
        }
        self.in_flight = 0;
        self.finish(RolloutOutcome::Stopped);
    }

    fn finish(&mut self, outcome: RolloutOutcome) {
        for progress in &mut self.progress {
            if *progress == TargetProgress::Pending {
                *progress = TargetProgress::Skipped;
            }
        }
        self.outcome = Some(outcome);
    }

    /// How the rollout ended, once it has.
    pub fn outcome(&self) -> Option<&RolloutOutcome> {
        self.outcome.as_ref()
    }

    /// Whether the rollout has ended.
    pub fn is_finished(&self) -> bool {
        self.outcome.is_some()
    }

    /// The minimum healthy hosts as configured.
    pub fn minimum_setting(&self) -> MinimumHealthyHosts {
        self.minimum_setting
    }

    /// The minimum as a number of instances for this fleet.
    pub fn minimum(&self) -> usize {
        self.minimum
    }

    /// The most instances one wave may hold.
    pub fn max_per_wave(&self) -> usize {
        self.max_per_wave
    }

    /// How many instances must succeed for the deployment to succeed.
    pub fn successes_needed(&self) -> usize {
        self.needed
    }

    /// The number of instances in the rollout.
    pub fn total(&self) -> usize {
        self.initial.len()
    }

    /// Instances whose attempt succeeded so far.
    pub fn succeeded(&self) -> usize {
        self.succeeded
    }

    /// Instances whose attempt failed so far.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// The waves started so far, each a list of instance indices.
    pub fn waves(&self) -> &[Vec<usize>] {
        &self.waves
    }

    /// Where each instance stands.
    pub fn progress(&self) -> &[TargetProgress] {
        &self.progress
    }

    /// The health of every instance after the rollout, by the documented
    /// rules for a successful and for a failed or stopped deployment. `None`
    /// while the rollout is still running.
    pub fn health_after(&self) -> Option<Vec<Health>> {
        let outcome = self.outcome.as_ref()?;
        Some(self.health_after_deployment(outcome.is_success(), &[]))
    }

    /// The health of every instance after a deployment that ended as
    /// `deployment_succeeded` says, which may differ from the rollout's own
    /// outcome (or come before it): a blue/green deployment whose rollout
    /// succeeded still fails when traffic cannot be rerouted, and a stopped
    /// deployment ends while its rollout runs. The documented rules for a
    /// successful or a failed deployment apply to each instance's attempt;
    /// an instance marked in `rerouting_failed` (by rollout index; missing
    /// entries are `false`) counts as a failed attempt, since traffic never
    /// reached it.
    pub fn health_after_deployment(
        &self,
        deployment_succeeded: bool,
        rerouting_failed: &[bool],
    ) -> Vec<Health> {
        self.initial
            .iter()
            .zip(&self.progress)
            .enumerate()
            .map(|(index, (health, progress))| {
                let attempt = if rerouting_failed.get(index).copied().unwrap_or(false) {
                    Some(AttemptResult::Failed)
                } else {
                    progress.attempt()
                };
                if deployment_succeeded {
                    health.after_successful_deployment(attempt)
                } else {
                    health.after_unsuccessful_deployment(attempt)
                }
            })
            .collect()
    }
}

/// A rollout run to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    /// The waves that ran, each a list of instance indices.
    pub waves: Vec<Vec<usize>>,
    /// The minimum as a number of instances.
    pub minimum: usize,
    /// The most instances one wave may hold.
    pub max_per_wave: usize,
    /// How many instances must succeed.
    pub successes_needed: usize,
    /// Instances that succeeded.
    pub succeeded: usize,
    /// Instances that failed (stopped instances included).
    pub failed: usize,
    /// Where each instance ended.
    pub progress: Vec<TargetProgress>,
    /// How the deployment ended.
    pub outcome: RolloutOutcome,
    /// The health of every instance afterwards.
    pub health_after: Vec<Health>,
    /// Whether the deployment group's revision becomes the deployed one.
    pub group_revision_updated: bool,
}

/// Runs a rollout to its end, with `results[i]` as the result of deploying
/// to instance `i` if it is attempted.
pub fn simulate(
    healths: &[Health],
    minimum: MinimumHealthyHosts,
    results: &[AttemptResult],
) -> Result<Simulation, PlanError> {
    if results.len() != healths.len() {
        return Err(PlanError::ResultCountMismatch {
            instances: healths.len(),
            results: results.len(),
        });
    }
    let mut rollout = Rollout::start(healths, minimum)?;
    while !rollout.is_finished() {
        for instance in rollout.next_wave() {
            rollout
                .complete(instance, results[instance])
                .expect("an instance of the running wave is in progress");
        }
    }
    let outcome = rollout
        .outcome()
        .cloned()
        .expect("the loop ends only when the rollout has finished");
    Ok(Simulation {
        health_after: rollout.health_after().unwrap_or_default(),
        group_revision_updated: outcome.is_success(),
        waves: rollout.waves,
        minimum: rollout.minimum,
        max_per_wave: rollout.max_per_wave,
        successes_needed: rollout.needed,
        succeeded: rollout.succeeded,
        failed: rollout.failed,
        progress: rollout.progress,
        outcome,
    })
}

/// Predicts a rollout in which every instance succeeds.
pub fn plan(healths: &[Health], minimum: MinimumHealthyHosts) -> Result<Simulation, PlanError> {
    simulate(
        healths,
        minimum,
        &vec![AttemptResult::Succeeded; healths.len()],
    )
}

/// Explains a simulated rollout in plain words, one sentence a line, for a
/// person who is new to CodeDeploy.
pub fn explain(minimum: MinimumHealthyHosts, simulation: &Simulation) -> Vec<String> {
    let total = simulation.progress.len();
    let setting = match minimum {
        MinimumHealthyHosts::HostCount(count) => format!("minimum {count}"),
        MinimumHealthyHosts::FleetPercent(percent) => format!("minimum {percent}%"),
        MinimumHealthyHosts::OneAtATime => "one at a time".to_owned(),
    };
    let mut lines = vec![format!(
        "{total} {}, {setting}: {} must stay healthy.",
        plural(total, "instance", "instances"),
        simulation.minimum
    )];
    if let RolloutOutcome::Failed(reason @ FailureReason::MinimumUnreachableAtStart { .. }) =
        &simulation.outcome
    {
        lines.push(reason.to_string());
        return lines;
    }
    lines.push(format!(
        "Up to {} {} at a time; at least {} must succeed.",
        simulation.max_per_wave,
        plural(simulation.max_per_wave, "instance", "instances"),
        simulation.successes_needed
    ));
    let waves = simulation.waves.len();
    match &simulation.outcome {
        RolloutOutcome::Succeeded if simulation.failed > 0 => lines.push(format!(
            "Succeeds: {} of {total} succeeded in {waves} {} — enough for the {} needed, \
             and the {} {} never took the fleet below {} healthy.",
            simulation.succeeded,
            plural(waves, "wave", "waves"),
            simulation.successes_needed,
            simulation.failed,
            plural(simulation.failed, "failure", "failures"),
            simulation.minimum
        )),
        RolloutOutcome::Succeeded => lines.push(format!(
            "Succeeds: all {total} {} in {waves} {}.",
            plural(total, "instance succeeds", "instances succeed"),
            plural(waves, "wave", "waves")
        )),
        RolloutOutcome::Failed(reason) => lines.push(format!("Fails: {reason}")),
        RolloutOutcome::Stopped => lines.push("Stopped before it finished.".to_owned()),
    }
    lines
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

#[cfg(test)]
mod tests;
