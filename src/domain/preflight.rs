//! The pre-flight plan of the Deploy dialog: given the instances a group
//! matches now — which are stopped, which failed their last deployment — and
//! the deployment configuration, how the rollout is likely to go, with a
//! warning in plain words when it cannot succeed.
//!
//! It is an estimate: a stopped instance is assumed to stay stopped (so its
//! attempt fails, as CodeDeploy counts it), every other instance is assumed
//! to succeed, and health comes from the group's recent deployments.

use super::config::MinimumHealthyHosts;
use super::health::{AttemptResult, Health, InstanceHealth, RevisionHealth};
use super::rollout::{self, PlanError, RolloutOutcome, Simulation};

/// One instance the deployment would go to, as far as can be told now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightInstance {
    /// The instance id.
    pub id: String,
    /// Its Name tag.
    pub name: Option<String>,
    /// Whether EC2 says it is stopped (or stopping).
    pub stopped: bool,
    /// Whether its last deployment in this group failed.
    pub last_failed: bool,
    /// Whether the group's last successful deployment reached it.
    pub last_succeeded: bool,
}

impl PreflightInstance {
    /// Its health as CodeDeploy will rank it: an instance whose last
    /// deployment failed is unhealthy; one the last successful deployment
    /// reached runs the group's current revision; others are unknown.
    pub fn health(&self) -> Health {
        if self.last_failed {
            Health::new(InstanceHealth::Unhealthy, RevisionHealth::Old)
        } else if self.last_succeeded {
            Health::new(InstanceHealth::Healthy, RevisionHealth::Current)
        } else {
            Health::NEW
        }
    }
}

/// What the pre-flight plan predicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// The simulated rollout.
    pub simulation: Simulation,
    /// The planner's explanation, one sentence a line.
    pub explanation: Vec<String>,
    /// How many of the instances are stopped.
    pub stopped: usize,
    /// How many failed their last deployment.
    pub last_failed: usize,
    /// Why the deployment will fail, in plain words, if it will.
    pub warning: Option<String>,
}

/// Predicts a deployment to `instances` with `minimum`, the minimum of the
/// configuration `config_name`. No instances at all is
/// [`PlanError::NoInstances`]: the deployment would fail with `NO_INSTANCES`.
pub fn predict(
    instances: &[PreflightInstance],
    minimum: MinimumHealthyHosts,
    config_name: &str,
) -> Result<Prediction, PlanError> {
    let healths: Vec<Health> = instances.iter().map(PreflightInstance::health).collect();
    let results: Vec<AttemptResult> = instances
        .iter()
        .map(|instance| {
            if instance.stopped {
                AttemptResult::InstanceStopped
            } else {
                AttemptResult::Succeeded
            }
        })
        .collect();
    let simulation = rollout::simulate(&healths, minimum, &results)?;
    let explanation = rollout::explain(minimum, &simulation);
    let stopped = instances.iter().filter(|instance| instance.stopped).count();
    let last_failed = instances
        .iter()
        .filter(|instance| instance.last_failed)
        .count();
    let total = instances.len();
    let warning = match &simulation.outcome {
        RolloutOutcome::Succeeded | RolloutOutcome::Stopped => None,
        RolloutOutcome::Failed(reason) => {
            let needs = match minimum {
                MinimumHealthyHosts::OneAtATime => "all but one".to_owned(),
                _ => format!("{} healthy", simulation.minimum),
            };
            Some(if stopped > 0 {
                format!(
                    "{stopped} of {total} instances are stopped; {config_name} needs {needs}: this deployment will fail ({reason}). Start the stopped instances, or choose a configuration that keeps fewer healthy."
                )
            } else {
                format!("This deployment will fail: {reason}")
            })
        }
    };
    Ok(Prediction {
        simulation,
        explanation,
        stopped,
        last_failed,
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, stopped: bool) -> PreflightInstance {
        PreflightInstance {
            id: id.to_owned(),
            name: None,
            stopped,
            last_failed: false,
            last_succeeded: false,
        }
    }

    #[test]
    fn stopped_instances_that_break_the_minimum_give_a_plain_warning() {
        let instances: Vec<PreflightInstance> =
            (0..5).map(|n| instance(&format!("i-{n}"), n < 2)).collect();
        let prediction = predict(
            &instances,
            MinimumHealthyHosts::OneAtATime,
            "CodeDeployDefault.OneAtATime",
        )
        .unwrap();
        assert!(!prediction.simulation.outcome.is_success());
        let warning = prediction.warning.expect("a warning");
        assert!(
            warning.starts_with(
                "2 of 5 instances are stopped; CodeDeployDefault.OneAtATime needs all but one: this deployment will fail"
            ),
            "{warning}"
        );
        assert_eq!(prediction.stopped, 2);
    }

    #[test]
    fn a_healthy_fleet_is_predicted_to_succeed() {
        let instances: Vec<PreflightInstance> =
            (0..4).map(|n| instance(&format!("i-{n}"), false)).collect();
        let prediction = predict(
            &instances,
            MinimumHealthyHosts::FleetPercent(50),
            "CodeDeployDefault.HalfAtATime",
        )
        .unwrap();
        assert!(prediction.simulation.outcome.is_success());
        assert_eq!(prediction.warning, None);
        assert_eq!(prediction.simulation.waves.len(), 2);
        assert!(!prediction.explanation.is_empty());
    }

    #[test]
    fn instances_whose_last_deployment_failed_go_first() {
        let mut instances: Vec<PreflightInstance> =
            (0..3).map(|n| instance(&format!("i-{n}"), false)).collect();
        instances[2].last_failed = true;
        instances[0].last_succeeded = true;
        instances[1].last_succeeded = true;
        let prediction = predict(
            &instances,
            MinimumHealthyHosts::OneAtATime,
            "CodeDeployDefault.OneAtATime",
        )
        .unwrap();
        assert_eq!(prediction.simulation.waves[0], vec![2]);
        assert_eq!(prediction.last_failed, 1);
    }

    #[test]
    fn no_instances_cannot_be_planned() {
        assert_eq!(
            predict(&[], MinimumHealthyHosts::OneAtATime, "x"),
            Err(PlanError::NoInstances)
        );
    }
}
