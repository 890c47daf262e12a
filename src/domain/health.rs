//! Instance health and revision health, the scheduling order they imply, and
//! how a finished deployment changes them.
//!
//! The rules follow the CodeDeploy user guide, "Instance health".

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether the last deployment to an instance succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InstanceHealth {
    /// The last deployment to the instance succeeded.
    Healthy,
    /// The last attempt failed, or nothing has been deployed to it yet.
    Unhealthy,
}

impl InstanceHealth {
    /// The health of an instance nothing has ever been deployed to.
    pub const NEVER_DEPLOYED: Self = Self::Unhealthy;
}

impl fmt::Display for InstanceHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
        })
    }
}

/// How the revision on an instance relates to the deployment group's revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RevisionHealth {
    /// The instance runs the revision of the group's last successful deployment.
    Current,
    /// The instance runs some other, older revision of the application.
    Old,
    /// No revision has been installed successfully on the instance.
    Unknown,
}

impl fmt::Display for RevisionHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Current => "current",
            Self::Old => "old",
            Self::Unknown => "unknown",
        })
    }
}

/// The two health values CodeDeploy keeps for every instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Health {
    /// Whether the last deployment to the instance succeeded.
    pub instance: InstanceHealth,
    /// Which revision the instance runs.
    pub revision: RevisionHealth,
}

impl Health {
    /// An instance nothing has been deployed to: unhealthy, revision unknown.
    pub const NEW: Self = Self {
        instance: InstanceHealth::Unhealthy,
        revision: RevisionHealth::Unknown,
    };

    /// Builds a health value.
    pub const fn new(instance: InstanceHealth, revision: RevisionHealth) -> Self {
        Self { instance, revision }
    }

    /// Whether the instance counts towards the healthy hosts.
    pub fn is_healthy(self) -> bool {
        self.instance == InstanceHealth::Healthy
    }

    /// The instance's place in CodeDeploy's scheduling order: unhealthy
    /// instance health first, then unknown revision health, then old, then
    /// current. Lower ranks are deployed to first.
    pub fn schedule_rank(self) -> u8 {
        match (self.instance, self.revision) {
            (InstanceHealth::Unhealthy, _) => 0,
            (InstanceHealth::Healthy, RevisionHealth::Unknown) => 1,
            (InstanceHealth::Healthy, RevisionHealth::Old) => 2,
            (InstanceHealth::Healthy, RevisionHealth::Current) => 3,
        }
    }

    /// The health after a deployment that succeeded overall, for an instance
    /// whose own attempt had the given result (`None`: not attempted).
    ///
    /// - Current instances that had a successful deployment remain current;
    ///   otherwise they become unknown.
    /// - Old or unknown instances that had a successful deployment become
    ///   current; otherwise they stay old or unknown.
    /// - Instances that had a successful deployment are healthy; otherwise
    ///   they are unhealthy.
    #[must_use]
    pub fn after_successful_deployment(self, attempt: Option<AttemptResult>) -> Self {
        let succeeded = attempt == Some(AttemptResult::Succeeded);
        let revision = match (self.revision, succeeded) {
            (_, true) => RevisionHealth::Current,
            (RevisionHealth::Current, false) => RevisionHealth::Unknown,
            (other, false) => other,
        };
        let instance = if succeeded {
            InstanceHealth::Healthy
        } else {
            InstanceHealth::Unhealthy
        };
        Self { instance, revision }
    }

    /// The health after a deployment that failed or was stopped.
    ///
    /// An attempted instance takes the result of its attempt as its instance
    /// health; an instance that was not attempted keeps its health. The
    /// group's revision does not change, so an instance that installed the
    /// new revision now runs a revision other than the group's (old), and one
    /// whose attempt failed has no revision installed successfully (unknown).
    #[must_use]
    pub fn after_unsuccessful_deployment(self, attempt: Option<AttemptResult>) -> Self {
        match attempt {
            None => self,
            Some(AttemptResult::Succeeded) => {
                Self::new(InstanceHealth::Healthy, RevisionHealth::Old)
            }
            Some(AttemptResult::Failed | AttemptResult::InstanceStopped) => {
                Self::new(InstanceHealth::Unhealthy, RevisionHealth::Unknown)
            }
        }
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::NEW
    }
}

/// The result of deploying to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttemptResult {
    /// Every lifecycle event succeeded.
    Succeeded,
    /// A lifecycle event failed (script error, timeout, no agent).
    Failed,
    /// The instance was stopped. CodeDeploy still attempts it, and it counts
    /// as a failed instance in the minimum-healthy-hosts calculation.
    InstanceStopped,
}

impl AttemptResult {
    /// Whether the attempt left the instance healthy.
    pub fn is_success(self) -> bool {
        self == Self::Succeeded
    }
}

/// Returns the indices of `healths` in CodeDeploy's scheduling order. Ties keep
/// their input order, so a caller that passes instances sorted by id gets a
/// stable, reproducible order.
pub fn scheduling_order(healths: &[Health]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..healths.len()).collect();
    order.sort_by_key(|&index| healths[index].schedule_rank());
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTHY_CURRENT: Health = Health::new(InstanceHealth::Healthy, RevisionHealth::Current);
    const HEALTHY_OLD: Health = Health::new(InstanceHealth::Healthy, RevisionHealth::Old);
    const HEALTHY_UNKNOWN: Health = Health::new(InstanceHealth::Healthy, RevisionHealth::Unknown);
    const UNHEALTHY_CURRENT: Health =
        Health::new(InstanceHealth::Unhealthy, RevisionHealth::Current);

    #[test]
    fn never_deployed_instance_is_unhealthy_with_unknown_revision() {
        assert_eq!(Health::default(), Health::NEW);
        assert_eq!(InstanceHealth::NEVER_DEPLOYED, InstanceHealth::Unhealthy);
        assert!(!Health::NEW.is_healthy());
    }

    #[test]
    fn schedule_order_is_unhealthy_then_unknown_then_old_then_current() {
        let fleet = [
            HEALTHY_CURRENT,
            HEALTHY_OLD,
            HEALTHY_UNKNOWN,
            UNHEALTHY_CURRENT,
            HEALTHY_CURRENT,
            Health::NEW,
        ];
        assert_eq!(scheduling_order(&fleet), vec![3, 5, 2, 1, 0, 4]);
    }

    #[test]
    fn successful_deployment_makes_successful_instances_healthy_and_current() {
        for before in [HEALTHY_CURRENT, HEALTHY_OLD, HEALTHY_UNKNOWN, Health::NEW] {
            assert_eq!(
                before.after_successful_deployment(Some(AttemptResult::Succeeded)),
                HEALTHY_CURRENT,
                "from {before:?}"
            );
        }
    }

    #[test]
    fn successful_deployment_turns_a_failed_current_instance_unknown_and_unhealthy() {
        // OneAtATime lets the last instance fail while the deployment succeeds.
        let after = HEALTHY_CURRENT.after_successful_deployment(Some(AttemptResult::Failed));
        assert_eq!(
            after,
            Health::new(InstanceHealth::Unhealthy, RevisionHealth::Unknown)
        );
    }

    #[test]
    fn successful_deployment_leaves_a_failed_old_instance_old_but_unhealthy() {
        let after = HEALTHY_OLD.after_successful_deployment(Some(AttemptResult::Failed));
        assert_eq!(
            after,
            Health::new(InstanceHealth::Unhealthy, RevisionHealth::Old)
        );
        let after = Health::NEW.after_successful_deployment(Some(AttemptResult::Failed));
        assert_eq!(after, Health::NEW);
    }

    #[test]
    fn failed_or_stopped_deployment_sets_attempted_instances_by_their_result() {
        assert_eq!(
            Health::NEW.after_unsuccessful_deployment(Some(AttemptResult::Succeeded)),
            HEALTHY_OLD
        );
        assert_eq!(
            HEALTHY_CURRENT.after_unsuccessful_deployment(Some(AttemptResult::Failed)),
            Health::NEW
        );
        assert_eq!(
            HEALTHY_CURRENT.after_unsuccessful_deployment(Some(AttemptResult::InstanceStopped)),
            Health::NEW
        );
    }

    #[test]
    fn failed_or_stopped_deployment_leaves_unattempted_instances_alone() {
        for before in [HEALTHY_CURRENT, HEALTHY_OLD, UNHEALTHY_CURRENT, Health::NEW] {
            assert_eq!(before.after_unsuccessful_deployment(None), before);
        }
    }
}
