//! "Show me a rollout": sets the demo account up the way the wizards would
//! — service role, instance profile, application and a tagged deployment
//! group over the demo fleet, with one instance set to fail — uploads the
//! sample application and starts a deployment. Each step names the wizard or
//! page that does it by hand, so the demo teaches the real workflow.
//!
//! Every step reuses what exists, so running it again (or after a partial
//! run) is safe.
//!
//! The demo's rollout is paced to the guided tour: its other production
//! instances are tagged `slow` (see [`crate::domain::simulate`]), so the
//! first wave is still running while the tour's first step is read.
//! [`end_pacing`] takes the `slow` directive off again once the person moves
//! on; the instances a later wave reaches then run at full speed.

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::CloudError;
use super::bundle::BundleSource;
use super::deployments::{self, NewDeployment, Revision};
use super::ec2;
use super::publish::{self, Destination, PublishError};
use super::session::Session;
use super::setup::{self, Progress, StepOutcome};
use crate::domain::ComputePlatform;
use crate::domain::config::HALF_AT_A_TIME;
use crate::domain::group_spec::{ConfigChoice, DeploymentGroupSpec, DeploymentType, TagFilterSpec};
use crate::domain::setup::{InstanceProfileOptions, SetupPlan};

/// The demo's application.
pub const APPLICATION: &str = "demo-shop";
/// The demo's deployment group.
pub const GROUP: &str = "production";
/// The demo's service role.
pub const SERVICE_ROLE: &str = "DemoCodeDeployServiceRole";
/// The role of the demo's instance profile.
pub const INSTANCE_ROLE: &str = "DemoInstanceRole";
/// The instance profile the demo gives its instances (and the instances
/// its Auto Scaling group launches).
pub const INSTANCE_PROFILE: &str = "DemoInstanceProfile";
/// The bucket the demo uploads to.
pub const BUCKET: &str = "deploydesk-demo-revisions";
/// The key of the sample application in [`BUCKET`].
pub const SAMPLE_KEY: &str = "demo-shop/sample-app.zip";
/// The tag that makes an instance of the local cloud fail on purpose.
pub const SIMULATE_TAG: &str = "deploydesk:simulate";
/// What the failing instance is told to do.
pub const FAILING_BEHAVIOUR: &str = "fail:AfterInstall";
/// The directive that slows an instance's lifecycle events down.
pub const SLOW: &str = "slow";

/// The steps of the demo's setup, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DemoStep {
    /// The service role.
    ServiceRole,
    /// The instance profile.
    InstanceProfile,
    /// The application and tagged deployment group.
    DeploymentGroup,
    /// One instance set to fail.
    FailingInstance,
    /// The sample application uploaded and registered.
    Revision,
    /// The deployment started.
    Deployment,
}

impl DemoStep {
    /// Every step, in order.
    pub const ALL: [Self; 6] = [
        Self::ServiceRole,
        Self::InstanceProfile,
        Self::DeploymentGroup,
        Self::FailingInstance,
        Self::Revision,
        Self::Deployment,
    ];

    /// What the step does, and where a person does it by hand.
    pub fn label(self) -> &'static str {
        match self {
            Self::ServiceRole => "Service role for CodeDeploy (Setup > Service role)",
            Self::InstanceProfile => {
                "Instance profile for the instances (Setup > Instance profile)"
            }
            Self::DeploymentGroup => {
                "Application and a deployment group over Environment=production (Setup > Deployment group)"
            }
            Self::FailingInstance => {
                "One instance told to fail its AfterInstall script, and the rollout slowed down for the tour (Setup > Tag instances)"
            }
            Self::Revision => "The sample application uploaded and registered (Revisions)",
            Self::Deployment => "A deployment started, half at a time (Deployments > Deploy…)",
        }
    }
}

/// Why the demo could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    /// AWS refused a call or could not be reached.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// A step of a setup plan failed.
    #[error("{step}: {error}")]
    Step {
        /// What the step does.
        step: String,
        /// Why it failed.
        error: CloudError,
    },
    /// A step found something made already that differs from the demo's.
    #[error("{0}")]
    Differs(String),
    /// The demo fleet has no production instance to make fail.
    #[error("The demo account has no production instances; reset it from the top bar.")]
    NoProductionInstances,
    /// No temporary folder could be made for the sample application.
    #[error("Could not make a temporary folder: {0}.")]
    TemporaryFolder(String),
    /// The sample application could not be written.
    #[error("Could not write the sample application: {0}.")]
    Sample(String),
    /// A scenario's step did not turn out as it should.
    #[error("{0}")]
    Scenario(String),
    /// Uploading or registering the sample failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl DemoError {
    /// The cloud call's error, when a cloud call is what failed.
    pub fn cloud_error(&self) -> Option<&CloudError> {
        match self {
            Self::Cloud(error) | Self::Step { error, .. } => Some(error),
            Self::Publish(error) => error.cloud_error(),
            _ => None,
        }
    }
}

/// Runs `plan` to its end; anything but made or reused is an error.
pub(crate) async fn run_all(session: &Session, plan: &SetupPlan) -> Result<(), DemoError> {
    let mut problem = None;
    setup::run_plan(session, plan, 0, false, |progress| {
        if let Progress::Finished(index, result) = progress {
            match result {
                Ok(StepOutcome::Created | StepOutcome::Reused) => {}
                Ok(StepOutcome::Differs(why)) => problem = Some(DemoError::Differs(why)),
                Err(error) => {
                    problem = Some(DemoError::Step {
                        step: plan.steps[index].summary(),
                        error,
                    });
                }
            }
        }
    })
    .await;
    problem.map_or(Ok(()), Err)
}

/// Sets the demo up and starts its deployment, reporting each step as it
/// starts. Returns the deployment's id.
pub async fn show_me_a_rollout(
    session: &Session,
    mut started: impl FnMut(DemoStep),
) -> Result<String, DemoError> {
    started(DemoStep::ServiceRole);
    let account = setup::account_id(session).await?;
    let region = session.region().to_owned();
    run_all(
        session,
        &SetupPlan::service_role(
            SERVICE_ROLE,
            ComputePlatform::Server,
            &account,
            &region,
            true,
            false,
        ),
    )
    .await?;

    started(DemoStep::InstanceProfile);
    let mut production: Vec<ec2::Ec2InstanceSummary> = ec2::list_instances(session, None)
        .await?
        .into_iter()
        .filter(|instance| {
            instance.is_live()
                && instance.tags.get("Environment").map(String::as_str) == Some("production")
        })
        .collect();
    production.sort_by(|a, b| a.name.cmp(&b.name));
    // The instances get the profile, as the wizard would give it them:
    // without one, their agent could not reach CodeDeploy.
    run_all(
        session,
        &SetupPlan::instance_profile(&InstanceProfileOptions {
            role: INSTANCE_ROLE.to_owned(),
            profile: INSTANCE_PROFILE.to_owned(),
            buckets: vec![BUCKET.to_owned()],
            agent_region: None,
            ssm: true,
            instances: production
                .iter()
                .filter(|instance| instance.instance_profile_arn.is_none())
                .map(|instance| instance.instance_id.clone())
                .collect(),
        }),
    )
    .await?;

    started(DemoStep::DeploymentGroup);
    let spec = DeploymentGroupSpec {
        platform: ComputePlatform::Server,
        ecs: crate::domain::group_spec::EcsTrafficSpec::default(),
        application: APPLICATION.to_owned(),
        group: GROUP.to_owned(),
        service_role_arn: format!("arn:aws:iam::{account}:role/{SERVICE_ROLE}"),
        deployment_type: DeploymentType::InPlace,
        traffic_control: false,
        target_groups: Vec::new(),
        classic_load_balancers: Vec::new(),
        auto_scaling_groups: Vec::new(),
        ec2_tag_groups: vec![vec![TagFilterSpec {
            key: "Environment".to_owned(),
            value: "production".to_owned(),
        }]],
        on_premises_tag_groups: Vec::new(),
        config: ConfigChoice::Named(HALF_AT_A_TIME.to_owned()),
        alarms: Vec::new(),
        rollback_on_failure: false,
        rollback_on_alarm: false,
        triggers: Vec::new(),
    };
    run_all(session, &SetupPlan::deployment_group(&spec, true, None)).await?;

    started(DemoStep::FailingInstance);
    let (failing, others) = production
        .split_last()
        .ok_or(DemoError::NoProductionInstances)?;
    ec2::create_tags(
        session,
        std::slice::from_ref(&failing.instance_id),
        &[(SIMULATE_TAG.to_owned(), FAILING_BEHAVIOUR.to_owned())],
    )
    .await?;
    // The others run slowly until the tour moves on; a wave lasts as long
    // as its slowest instance. (An EC2 tag value cannot hold the comma that
    // would give the failing instance both directives.)
    let others: Vec<String> = others
        .iter()
        .map(|instance| instance.instance_id.clone())
        .collect();
    if !others.is_empty() {
        ec2::create_tags(
            session,
            &others,
            &[(SIMULATE_TAG.to_owned(), SLOW.to_owned())],
        )
        .await?;
    }

    started(DemoStep::Revision);
    let revision = publish_sample(
        session,
        SAMPLE_KEY,
        "The sample application, uploaded by the guided demo",
        None,
    )
    .await?;

    started(DemoStep::Deployment);
    deployments::create_deployment(
        session,
        &NewDeployment {
            application: APPLICATION.to_owned(),
            group: GROUP.to_owned(),
            revision: Some(revision),
            description: "Started by the guided demo".to_owned(),
            ..NewDeployment::default()
        },
    )
    .await
    .map_err(DemoError::from)
}

/// Writes the sample application (with `marker` added to its page, when
/// given, which makes it another revision), uploads it to the demo's
/// bucket under `key` and registers it with the demo's application, the
/// way the Revisions page does. Returns the revision to deploy.
pub(crate) async fn publish_sample(
    session: &Session,
    key: &str,
    description: &str,
    marker: Option<&str>,
) -> Result<Revision, DemoError> {
    let parent = tempfile::Builder::new()
        .prefix("deploydesk-demo-")
        .tempdir()
        .map_err(|problem| DemoError::TemporaryFolder(problem.to_string()))?;
    let parent_path = parent.path().to_path_buf();
    let marker = marker.map(str::to_owned);
    let folder = tokio::task::spawn_blocking(move || {
        let folder = super::sample::write_sample(&parent_path)?;
        if let Some(marker) = marker {
            let page = folder.join("index.html");
            let text = std::fs::read_to_string(&page)?;
            std::fs::write(&page, format!("{text}<!-- {marker} -->\n"))?;
        }
        Ok::<_, std::io::Error>(folder)
    })
    .await
    .map_err(|problem| DemoError::Sample(problem.to_string()))?
    .map_err(|problem| DemoError::Sample(problem.to_string()))?;
    let (progress, _updates) = watch::channel(super::s3::UploadProgress::default());
    let revision = publish::publish(
        session,
        BundleSource::Folder(folder),
        &Destination {
            application: APPLICATION.to_owned(),
            bucket: BUCKET.to_owned(),
            key: key.to_owned(),
            description: description.to_owned(),
        },
        &progress,
        &CancellationToken::new(),
    )
    .await?;
    drop(parent);
    Ok(Revision::S3 {
        bucket: revision.bucket,
        key: revision.key,
        bundle_type: revision.bundle.map(|kind| kind.bundle_type().to_owned()),
        version: revision.version,
        etag: revision.etag,
    })
}

/// The simulate tag's value without the `slow` directive: `None` when
/// nothing else is left, so the tag is removed.
fn without_slow(value: &str) -> Option<String> {
    let kept: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty() && *directive != SLOW)
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

/// Lets the demo's rollout run at full speed: takes the `slow` directive
/// off every instance whose simulate tag has it, keeping the rest of the
/// tag (the failing instance still fails). Returns how many instances
/// changed; with none slowed down, it only reads.
pub async fn end_pacing(session: &Session) -> Result<usize, CloudError> {
    let instances = ec2::list_instances(session, None).await?;
    let mut cleared = Vec::new();
    let mut rewritten: Vec<(String, String)> = Vec::new();
    for instance in instances {
        let Some(value) = instance.tags.get(SIMULATE_TAG) else {
            continue;
        };
        if !value.split(',').any(|directive| directive.trim() == SLOW) {
            continue;
        }
        match without_slow(value) {
            Some(rest) => rewritten.push((instance.instance_id, rest)),
            None => cleared.push(instance.instance_id),
        }
    }
    let changed = cleared.len() + rewritten.len();
    if !cleared.is_empty() {
        ec2::delete_tags(
            session,
            &cleared,
            &[ec2::TagRemoval {
                key: SIMULATE_TAG.to_owned(),
                value: None,
            }],
        )
        .await?;
    }
    for (instance_id, rest) in rewritten {
        ec2::create_tags(
            session,
            std::slice::from_ref(&instance_id),
            &[(SIMULATE_TAG.to_owned(), rest)],
        )
        .await?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ending_the_pacing_keeps_every_other_directive() {
        assert_eq!(
            without_slow("fail:AfterInstall,slow").as_deref(),
            Some("fail:AfterInstall")
        );
        assert_eq!(
            without_slow("slow, timeout:ValidateService , no-agent").as_deref(),
            Some("timeout:ValidateService,no-agent")
        );
        assert_eq!(without_slow("slow"), None);
        assert_eq!(without_slow(" slow , "), None);
    }

    #[test]
    fn the_demo_tags_are_read_as_the_local_cloud_reads_them() {
        use crate::domain::simulate::SimulatedBehaviour;
        assert!(SimulatedBehaviour::parse(SLOW).unwrap().slow);
        let failing = SimulatedBehaviour::parse(FAILING_BEHAVIOUR).unwrap();
        assert!(failing.fail.is_some() && !failing.slow);
    }
}
