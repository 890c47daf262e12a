//! The pre-flight plan of the Deploy dialog: given the instances a group
//! matches now — which are stopped, which failed their last deployment — and
//! the deployment configuration, how the rollout is likely to go, with a
//! warning in plain words when it cannot succeed.
//!
//! It is an estimate: a stopped instance is assumed to stay stopped (so its
//! attempt fails, as CodeDeploy counts it), every other instance is assumed
//! to succeed, and health comes from the group's recent deployments.
//!
//! It also tells whether the instances may download the revision at all:
//! the CodeDeploy agent reads the bundle from S3 with the instance's role,
//! which the instance profile wizard limits to the buckets it is given
//! ([`may_read_object`], [`bucket_warning`]).

use super::config::MinimumHealthyHosts;
use super::health::{AttemptResult, Health, InstanceHealth, RevisionHealth};
use super::policy::{Effect, PolicyDocument, Statement, wildcard_match};
use super::readiness::{Readiness, failing_summary};
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
    /// Whether it is ready to be deployed to, once that has been checked.
    pub readiness: Option<Readiness>,
}

impl PreflightInstance {
    /// Whether a deployment to it will fail for want of an agent, a
    /// profile or access to the bucket (a stopped instance is counted
    /// apart).
    pub fn blocked(&self) -> bool {
        !self.stopped && self.readiness.as_ref().is_some_and(Readiness::will_fail)
    }
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
            } else if instance.blocked() {
                AttemptResult::Failed
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
            let blocked: Vec<&Readiness> = instances
                .iter()
                .filter(|instance| instance.blocked())
                .filter_map(|instance| instance.readiness.as_ref())
                .collect();
            let short = config_name
                .strip_prefix("CodeDeployDefault.")
                .unwrap_or(config_name);
            Some(if let Some(causes) = failing_summary(&blocked, total) {
                format!(
                    "{}: with {short} this deployment will fail ({reason}). Fix the instances below, or choose a configuration that keeps fewer healthy.",
                    causes.trim_end_matches('.')
                )
            } else if stopped > 0 {
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

/// The action the CodeDeploy agent needs to download an S3 revision.
const GET_OBJECT: &str = "s3:GetObject";

/// What one instance profile lets its instances read from S3, as far as
/// its role's policies could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileReadAccess {
    /// The instance profile's name.
    pub profile: String,
    /// The role's policies that were read.
    pub policies: Vec<PolicyDocument>,
    /// Whether the role also has policies that were not read (managed
    /// policies), so that what it may read is not known.
    pub unknown: bool,
}

/// Whether a role with `policies` may read the object `key` of `bucket`:
/// some statement allows `s3:GetObject` on it and none denies it.
/// Conditions are not evaluated: a conditional allow counts as an allow, a
/// conditional deny as a deny.
pub fn may_read_object(policies: &[PolicyDocument], bucket: &str, key: &str) -> bool {
    let object = format!("arn:aws:s3:::{bucket}/{key}");
    let mut allowed = false;
    for statement in policies
        .iter()
        .flat_map(|policy| &policy.statement)
        .filter(|statement| {
            statement.covers_action(GET_OBJECT) && covers_resource(statement, &object)
        })
    {
        match statement.effect {
            Effect::Deny => return false,
            Effect::Allow => allowed = true,
        }
    }
    allowed
}

/// Whether the statement's resources cover `resource`.
fn covers_resource(statement: &Statement, resource: &str) -> bool {
    match (&statement.resource, &statement.not_resource) {
        (Some(resources), _) => resources
            .values()
            .iter()
            .any(|pattern| wildcard_match(pattern, resource)),
        (None, Some(excluded)) => !excluded
            .values()
            .iter()
            .any(|pattern| wildcard_match(pattern, resource)),
        (None, None) => false,
    }
}

/// The buckets whose objects `policies` allow reading, as written in them
/// (`my-revisions`, or a pattern such as `team-*`), leaving out the buckets
/// AWS serves the agent's installer from.
pub fn readable_buckets(policies: &[PolicyDocument]) -> Vec<String> {
    let mut buckets: Vec<String> = policies
        .iter()
        .flat_map(|policy| &policy.statement)
        .filter(|statement| {
            statement.effect == Effect::Allow && statement.covers_action(GET_OBJECT)
        })
        .filter_map(|statement| statement.resource.as_ref())
        .flat_map(|resources| {
            resources
                .values()
                .into_iter()
                .filter_map(|arn| arn.strip_prefix("arn:aws:s3:::"))
                .filter_map(|rest| rest.split('/').next())
                .filter(|bucket| !bucket.is_empty() && !bucket.starts_with("aws-codedeploy-"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    buckets.sort();
    buckets.dedup();
    buckets
}

/// A warning in plain words when an instance profile of the group's
/// instances does not let them download `s3://bucket/key`, naming the
/// buckets it does allow; `None` when every profile allows it or what a
/// profile allows is not known.
pub fn bucket_warning(access: &[ProfileReadAccess], bucket: &str, key: &str) -> Option<String> {
    let refusing: Vec<&ProfileReadAccess> = access
        .iter()
        .filter(|profile| !profile.unknown && !may_read_object(&profile.policies, bucket, key))
        .collect();
    let first = refusing.first()?;
    let names: Vec<&str> = refusing
        .iter()
        .map(|profile| profile.profile.as_str())
        .collect();
    let profiles = match names.as_slice() {
        [one] => format!("the instance profile {one}"),
        _ => format!("the instance profiles {}", names.join(", ")),
    };
    let readable = readable_buckets(&first.policies);
    Some(match readable.as_slice() {
        [] => format!(
            "The instances may not be able to download this revision: {profiles} lets them read from no S3 bucket. Give its role read access to {bucket} with the Setup page's instance profile wizard."
        ),
        [only] => format!(
            "The instances may not be able to download this revision: {profiles} lets them read only from {only}. Upload the bundle to {only}, or give the role read access to {bucket} with the Setup page's instance profile wizard."
        ),
        several => format!(
            "The instances may not be able to download this revision: {profiles} lets them read only from {}. Upload the bundle to one of them, or give the role read access to {bucket} with the Setup page's instance profile wizard.",
            several.join(", ")
        ),
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
            readiness: None,
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
    fn instances_without_an_agent_are_predicted_to_fail() {
        use crate::domain::readiness::{
            AgentStatus, BucketAccess, InstanceFacts, SsmStatus, assess,
        };
        let mut instances: Vec<PreflightInstance> =
            (0..5).map(|n| instance(&format!("i-{n}"), false)).collect();
        for (index, instance) in instances.iter_mut().enumerate() {
            instance.readiness = Some(assess(InstanceFacts {
                id: instance.id.clone(),
                name: None,
                stopped: false,
                profile: Some("WebProfile".to_owned()),
                bucket: BucketAccess::Unknown,
                ssm: SsmStatus::Online,
                agent: if index < 3 {
                    AgentStatus::NotInstalled
                } else {
                    AgentStatus::Running(String::new())
                },
            }));
        }
        let prediction = predict(
            &instances,
            MinimumHealthyHosts::FleetPercent(50),
            "CodeDeployDefault.HalfAtATime",
        )
        .unwrap();
        assert!(!prediction.simulation.outcome.is_success());
        let warning = prediction.warning.expect("a warning");
        assert!(
            warning.starts_with(
                "3 of 5 instances have no CodeDeploy agent: with HalfAtATime this deployment will fail"
            ),
            "{warning}"
        );
        // Once the agents run, the plan predicts success.
        for instance in &mut instances {
            let mut facts = instance.readiness.take().unwrap().facts;
            facts.agent = AgentStatus::Running(String::new());
            instance.readiness = Some(assess(facts));
        }
        let prediction = predict(
            &instances,
            MinimumHealthyHosts::FleetPercent(50),
            "CodeDeployDefault.HalfAtATime",
        )
        .unwrap();
        assert!(prediction.simulation.outcome.is_success());
        assert_eq!(prediction.warning, None);
    }

    #[test]
    fn no_instances_cannot_be_planned() {
        assert_eq!(
            predict(&[], MinimumHealthyHosts::OneAtATime, "x"),
            Err(PlanError::NoInstances)
        );
    }

    fn revision_reader(buckets: &[&str]) -> ProfileReadAccess {
        let buckets: Vec<String> = buckets.iter().map(|&bucket| bucket.to_owned()).collect();
        let document = crate::domain::setup::revision_read_policy(&buckets, Some("us-east-1"));
        ProfileReadAccess {
            profile: "WebInstanceProfile".to_owned(),
            policies: vec![
                crate::domain::policy::parse(
                    &document.to_string(),
                    crate::domain::policy::PolicyKind::Identity,
                )
                .expect("the wizard's policy parses"),
            ],
            unknown: false,
        }
    }

    #[test]
    fn a_bucket_the_wizard_named_may_be_read_and_another_is_warned_about() {
        let access = [revision_reader(&["deploydesk-demo-revisions"])];
        assert!(may_read_object(
            &access[0].policies,
            "deploydesk-demo-revisions",
            "web/web-1.zip"
        ));
        assert_eq!(
            bucket_warning(&access, "deploydesk-demo-revisions", "web/web-1.zip"),
            None
        );
        let warning =
            bucket_warning(&access, "deploydesk-revisions", "web/web-1.zip").expect("a warning");
        assert!(
            warning.contains(
                "the instance profile WebInstanceProfile lets them read only from deploydesk-demo-revisions"
            ),
            "{warning}"
        );
        assert!(
            warning.contains("Upload the bundle to deploydesk-demo-revisions"),
            "{warning}"
        );
        // The agent installer's bucket is not offered as a revision bucket.
        assert_eq!(
            readable_buckets(&access[0].policies),
            vec!["deploydesk-demo-revisions".to_owned()]
        );
    }

    #[test]
    fn a_deny_wins_and_unknown_policies_give_no_warning() {
        let mut access = revision_reader(&["revisions"]);
        access.policies.push(
            crate::domain::policy::parse(
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::revisions/secret/*"}]}"#,
                crate::domain::policy::PolicyKind::Identity,
            )
            .expect("a policy"),
        );
        assert!(may_read_object(&access.policies, "revisions", "web.zip"));
        assert!(!may_read_object(
            &access.policies,
            "revisions",
            "secret/web.zip"
        ));
        access.unknown = true;
        assert_eq!(bucket_warning(&[access], "elsewhere", "web.zip"), None);
    }
}
