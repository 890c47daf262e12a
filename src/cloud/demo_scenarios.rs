//! The guided demo's further scenarios, offered once "Show me a rollout"
//! has run: a Lambda canary whose hook fails and is rolled back (see
//! [`super::demo_canary`], also offered on the welcome panel), CodeDeploy
//! on an Auto Scaling group (a scale-out served by an automatic deployment)
//! and a deployment stopped by a CloudWatch alarm and rolled back.
//!
//! Both build on the demo account the first scenario set up (its service
//! role and application) and share an Auto Scaling group behind a target
//! group, with a deployment group over it that controls the load
//! balancer's traffic. Each step makes what a person would make in the
//! EC2, Elastic Load Balancing, Auto Scaling and CloudWatch consoles or
//! DeployDesk's own pages, through the same calls, and reuses what exists,
//! so a scenario can be run again.
//!
//! The scenarios wait on the account the way a person watching it would:
//! they poll Auto Scaling and CodeDeploy until what they started has
//! happened, up to [`PATIENCE`].

use std::time::{Duration, Instant};

use super::CloudError;
use super::autoscaling::{self, NewAutoScalingGroup};
use super::cloudwatch::{self, AlarmStateValue, NewAlarm};
use super::demo::{self, APPLICATION, DemoError, SERVICE_ROLE};
use super::deployments::{self, Deployment, DeploymentFilter, DeploymentStatus, NewDeployment};
use super::ec2;
use super::groups;
use super::load_balancers::{self, NewTargetGroup};
use super::session::Session;
use super::setup;
use crate::domain::config::ALL_AT_ONCE;
use crate::domain::group_spec::{ConfigChoice, DeploymentGroupSpec, DeploymentType};
use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::setup::SetupPlan;

/// The Auto Scaling group the scenarios deploy to.
pub const AUTO_SCALING_GROUP: &str = "web-asg";
/// How many instances it starts with.
pub const INITIAL_CAPACITY: i32 = 2;
/// The most instances it may have, so the scale-out can be shown again.
const MAX_CAPACITY: i32 = 6;
/// The launch template its instances come from.
pub const LAUNCH_TEMPLATE: &str = "web-template";
/// The target group its instances serve behind.
pub const TARGET_GROUP: &str = "web-tg";
/// The load balancer that forwards to [`TARGET_GROUP`].
pub const LOAD_BALANCER: &str = "web-alb";
/// The deployment group of the demo's application over the Auto Scaling
/// group.
pub const FLEET_GROUP: &str = "web";
/// The alarm the deployment group watches.
pub const ALARM: &str = "web-5xx";
/// The key of the second revision, which the alarm stops.
pub const SECOND_KEY: &str = "demo-shop/sample-app-v2.zip";
/// The image the launch template starts.
const IMAGE_ID: &str = "ami-0abcdef1234567890";
/// The VPC and subnets the load balancer and target group are in.
pub(crate) const VPC_ID: &str = "vpc-0a1b2c3d";
pub(crate) const SUBNETS: [&str; 2] = ["subnet-0a1b2c3d", "subnet-1a2b3c4d"];
/// How long a scenario waits for what it started before it gives up.
pub const PATIENCE: Duration = Duration::from_mins(15);
/// How often it looks.
const POLL: Duration = Duration::from_millis(250);

/// A scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A scale-out served by an automatic deployment.
    ScaleOut,
    /// A deployment stopped by an alarm and rolled back.
    AlarmStop,
    /// A Lambda canary whose hook fails, rolled back.
    Canary,
}

impl Scenario {
    /// Both, in the order the panel offers them.
    pub const ALL: [Self; 3] = [Self::Canary, Self::ScaleOut, Self::AlarmStop];

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::ScaleOut => "Scale out",
            Self::AlarmStop => "Alarm stop and rollback",
            Self::Canary => "Show me a canary",
        }
    }

    /// What will happen, in a sentence or two.
    pub fn summary(self) -> &'static str {
        match self {
            Self::ScaleOut => {
                "Puts an Auto Scaling group of 2 (web-asg) behind the target group web-tg, gives the application a deployment group over it with traffic control and deploys the sample to it. Then it adds an instance: Auto Scaling's launch starts a deployment of its own, which opens here."
            }
            Self::AlarmStop => {
                "Has the deployment group over web-asg watch the CloudWatch alarm web-5xx, with rollback when the alarm stops a deployment. A second revision rolls out; when it starts taking traffic, web-5xx is set to ALARM, and the stopped deployment opens with a link to its rollback."
            }
            Self::Canary => {
                "Gives the demo account's Lambda function demo-orders (versions 1 and 2, alias live) a canary that sends 10 % of live's invocations to version 2 for five minutes (ten seconds in the demo), then all of them. Its AfterAllowTraffic hook reports a failure, so the deployment fails and its rollback moves the traffic back to version 1."
            }
        }
    }

    /// Its steps, in order.
    pub fn steps(self) -> &'static [ScenarioStep] {
        match self {
            Self::ScaleOut => &[
                ScenarioStep::Fleet,
                ScenarioStep::Group,
                ScenarioStep::FirstDeployment,
                ScenarioStep::ScaleOut,
            ],
            Self::AlarmStop => &[
                ScenarioStep::Fleet,
                ScenarioStep::Group,
                ScenarioStep::FirstDeployment,
                ScenarioStep::Alarm,
                ScenarioStep::SecondRevision,
                ScenarioStep::AlarmFires,
            ],
            Self::Canary => &[
                ScenarioStep::CanaryFunction,
                ScenarioStep::CanaryGroup,
                ScenarioStep::CanaryDeployment,
            ],
        }
    }
}

/// The steps of the scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioStep {
    /// The launch template, target group, load balancer and Auto Scaling
    /// group.
    Fleet,
    /// The deployment group over the Auto Scaling group.
    Group,
    /// The sample deployed to the group, unless it has been.
    FirstDeployment,
    /// The desired capacity raised by one.
    ScaleOut,
    /// The alarm, watched by the group.
    Alarm,
    /// The second revision uploaded and deployed.
    SecondRevision,
    /// The alarm set to ALARM mid-rollout.
    AlarmFires,
    /// The Lambda function, its versions and alias, and the hook function.
    CanaryFunction,
    /// The Lambda application and its group.
    CanaryGroup,
    /// The canary deployment.
    CanaryDeployment,
}

impl ScenarioStep {
    /// What the step does, and where a person does it by hand.
    pub fn label(self) -> &'static str {
        match self {
            Self::Fleet => {
                "A launch template, the Auto Scaling group web-asg of 2, and the target group web-tg behind the load balancer web-alb (EC2 console)"
            }
            Self::Group => {
                "A deployment group web over web-asg, with traffic control through web-tg (Setup > Deployment group)"
            }
            Self::FirstDeployment => {
                "The sample application deployed to web-asg's instances, unless it is there (Deployments > Deploy…)"
            }
            Self::ScaleOut => {
                "web-asg's desired capacity raised by one; the new instance waits for CodeDeploy (EC2 console > Auto Scaling)"
            }
            Self::Alarm => {
                "The alarm web-5xx, watched by the group, with rollback when it stops a deployment (Setup > Deployment group)"
            }
            Self::SecondRevision => {
                "A second revision of the sample uploaded and a deployment of it started (Revisions, Deployments > Deploy…)"
            }
            Self::AlarmFires => {
                "web-5xx set to ALARM as the new revision takes traffic (CloudWatch SetAlarmState); CodeDeploy stops and rolls back"
            }
            Self::CanaryFunction => {
                "The function demo-orders with versions 1 and 2 and the alias live at 1, and the hook function demo-orders-check, tagged deploydesk:simulate=Failed (Lambda console)"
            }
            Self::CanaryGroup => {
                "The application demo-orders-api on AWS Lambda and its group live, which rolls failed deployments back (Applications page)"
            }
            Self::CanaryDeployment => {
                "A canary, 10 % for 5 minutes then 100 %, whose AfterAllowTraffic hook fails; it opens here with its traffic chart (Deployments > Deploy…)"
            }
        }
    }
}

/// Shows a scale-out: sets the Auto Scaling group and its deployment group
/// up (reusing what exists), deploys the sample to it unless it has been,
/// raises the group's desired capacity by one and waits for the deployment
/// Auto Scaling's launch starts. Returns that deployment's id.
pub async fn scale_out(
    session: &Session,
    mut started: impl FnMut(ScenarioStep),
) -> Result<String, DemoError> {
    prepare_fleet(session, &mut started).await?;

    started(ScenarioStep::ScaleOut);
    let before: Vec<String> = group_deployments(session)
        .await?
        .into_iter()
        .map(|deployment| deployment.id)
        .collect();
    let group = auto_scaling_group(session).await?;
    if group.desired_capacity >= MAX_CAPACITY {
        return Err(DemoError::Scenario(format!(
            "{AUTO_SCALING_GROUP} already has its most instances ({MAX_CAPACITY}); lower its desired capacity, or reset the demo account from the top bar."
        )));
    }
    autoscaling::set_desired_capacity(session, AUTO_SCALING_GROUP, group.desired_capacity + 1)
        .await?;
    let automatic = wait_for("Auto Scaling's deployment of the new instance", || async {
        Ok(group_deployments(session)
            .await?
            .into_iter()
            .find(|deployment| {
                deployment.creator == "autoscaling" && !before.contains(&deployment.id)
            }))
    })
    .await?;
    Ok(automatic.id)
}

/// Shows a stop on alarm: sets the group up as [`scale_out`] does, has it
/// watch [`ALARM`] with rollback on a stop by alarm, starts a deployment of
/// a second revision, sets the alarm to ALARM mid-rollout, once an instance
/// is taking traffic again, and waits for the stop and its rollback.
/// Returns the stopped deployment's id.
pub async fn alarm_stop(
    session: &Session,
    mut started: impl FnMut(ScenarioStep),
) -> Result<String, DemoError> {
    prepare_fleet(session, &mut started).await?;

    started(ScenarioStep::Alarm);
    cloudwatch::put_metric_alarm(
        session,
        &NewAlarm {
            name: ALARM.to_owned(),
            description: "The web servers behind web-tg answer with errors.".to_owned(),
            namespace: "AWS/ApplicationELB".to_owned(),
            metric: "HTTPCode_Target_5XX_Count".to_owned(),
            threshold: 10.0,
            period_seconds: 60,
        },
    )
    .await?;
    cloudwatch::set_alarm_state(
        session,
        ALARM,
        AlarmStateValue::Ok,
        "Quiet before the demo's deployment.",
    )
    .await?;
    let mut spec = fleet_group_spec(session).await?;
    if spec.alarms != [ALARM] || !spec.rollback_on_alarm {
        spec.alarms = vec![ALARM.to_owned()];
        spec.rollback_on_alarm = true;
        demo::run_all(
            session,
            &SetupPlan::deployment_group(&spec, false, Some(FLEET_GROUP)),
        )
        .await?;
    }

    started(ScenarioStep::SecondRevision);
    let deployment_id = deploy_sample(
        session,
        SECOND_KEY,
        Some("Version 2"),
        "A second revision, stopped by the demo's alarm",
    )
    .await?;
    // The errors begin when the new revision takes traffic: the alarm goes
    // off once an instance's AllowTraffic has started.
    wait_for("the new revision to take traffic", || async {
        let deployment = deployments::get_deployment(session, &deployment_id).await?;
        if deployment.status.is_finished() {
            return Err(DemoError::Scenario(format!(
                "The deployment {deployment_id} ended ({}) before the alarm could stop it; try the scenario again.",
                deployment.status.as_str()
            )));
        }
        let target_ids = deployments::list_target_ids(session, &deployment_id).await?;
        let batch = &target_ids[..target_ids.len().min(25)];
        let taking_traffic = !batch.is_empty()
            && deployments::get_targets(session, &deployment_id, batch)
                .await?
                .iter()
                .any(|target| {
                    target.events.iter().any(|event| {
                        event.name == LifecycleEvent::AllowTraffic.name() && event.status != "Pending"
                    })
                });
        Ok(taking_traffic.then_some(()))
    })
    .await?;

    started(ScenarioStep::AlarmFires);
    cloudwatch::set_alarm_state(
        session,
        ALARM,
        AlarmStateValue::Alarm,
        "Set by the guided demo: the new revision answers with errors.",
    )
    .await?;
    let stopped = wait_for("CodeDeploy to stop the deployment", || async {
        let deployment = deployments::get_deployment(session, &deployment_id).await?;
        match deployment.status {
            DeploymentStatus::Stopped | DeploymentStatus::Failed
                if deployment.rolled_back_by().is_some() =>
            {
                Ok(Some(deployment))
            }
            DeploymentStatus::Succeeded => Err(DemoError::Scenario(format!(
                "The deployment {deployment_id} succeeded before the alarm stopped it; try the scenario again."
            ))),
            _ => Ok(None),
        }
    })
    .await?;
    // The rollback is under way and the bad revision is on its way out: the
    // alarm goes quiet again, so later deployments are not stopped.
    cloudwatch::set_alarm_state(
        session,
        ALARM,
        AlarmStateValue::Ok,
        "The guided demo's rollback restores the previous revision.",
    )
    .await?;
    Ok(stopped.id)
}

/// The steps both scenarios begin with: the Auto Scaling group behind its
/// target group, the deployment group over it, and the sample deployed to
/// it unless a deployment to it has succeeded.
async fn prepare_fleet(
    session: &Session,
    started: &mut impl FnMut(ScenarioStep),
) -> Result<(), DemoError> {
    started(ScenarioStep::Fleet);
    let target_group = match load_balancers::target_group_arn(session, TARGET_GROUP).await? {
        Some(arn) => arn,
        None => {
            load_balancers::create_target_group(
                session,
                &NewTargetGroup {
                    name: TARGET_GROUP.to_owned(),
                    port: 80,
                    vpc_id: VPC_ID.to_owned(),
                    health_check_interval_seconds: 5,
                    healthy_threshold: 2,
                    deregistration_delay_seconds: 0,
                },
            )
            .await?
        }
    };
    let balancer =
        if let Some(arn) = load_balancers::load_balancer_arn(session, LOAD_BALANCER).await? {
            arn
        } else {
            let subnets: Vec<String> = SUBNETS.iter().map(|&subnet| subnet.to_owned()).collect();
            load_balancers::create_load_balancer(session, LOAD_BALANCER, &subnets).await?
        };
    load_balancers::forward_to(session, &balancer, 80, &target_group).await?;
    if !ec2::launch_template_names(session)
        .await?
        .iter()
        .any(|name| name == LAUNCH_TEMPLATE)
    {
        ec2::create_launch_template(
            session,
            LAUNCH_TEMPLATE,
            IMAGE_ID,
            Some(demo::INSTANCE_PROFILE),
            &[
                ("Name".to_owned(), AUTO_SCALING_GROUP.to_owned()),
                ("Fleet".to_owned(), "demo".to_owned()),
                ("Role".to_owned(), "web".to_owned()),
            ],
        )
        .await?;
    }
    let names = [AUTO_SCALING_GROUP.to_owned()];
    if autoscaling::list_groups(session, Some(&names))
        .await?
        .is_empty()
    {
        autoscaling::create_group(
            session,
            &NewAutoScalingGroup {
                name: AUTO_SCALING_GROUP.to_owned(),
                launch_template: LAUNCH_TEMPLATE.to_owned(),
                min_size: 0,
                max_size: MAX_CAPACITY,
                desired_capacity: INITIAL_CAPACITY,
                availability_zones: vec![format!("{}a", session.region())],
            },
        )
        .await?;
    }
    // CodeDeploy deploys to the instances that are in service; wait for
    // the launches to finish.
    wait_for("web-asg's instances to be in service", || async {
        let group = auto_scaling_group(session).await?;
        Ok((!group.scaling_out()).then_some(()))
    })
    .await?;

    started(ScenarioStep::Group);
    if groups::deployment_group_spec(session, APPLICATION, FLEET_GROUP)
        .await?
        .is_none()
    {
        let account = setup::account_id(session).await?;
        let spec = DeploymentGroupSpec {
            platform: crate::domain::ComputePlatform::Server,
            ecs: crate::domain::group_spec::EcsTrafficSpec::default(),
            application: APPLICATION.to_owned(),
            group: FLEET_GROUP.to_owned(),
            service_role_arn: format!("arn:aws:iam::{account}:role/{SERVICE_ROLE}"),
            deployment_type: DeploymentType::InPlace,
            traffic_control: true,
            target_groups: vec![TARGET_GROUP.to_owned()],
            classic_load_balancers: Vec::new(),
            auto_scaling_groups: vec![AUTO_SCALING_GROUP.to_owned()],
            ec2_tag_groups: Vec::new(),
            on_premises_tag_groups: Vec::new(),
            config: ConfigChoice::Named(ALL_AT_ONCE.to_owned()),
            alarms: Vec::new(),
            rollback_on_failure: false,
            rollback_on_alarm: false,
            triggers: Vec::new(),
        };
        demo::run_all(session, &SetupPlan::deployment_group(&spec, false, None)).await?;
    }

    started(ScenarioStep::FirstDeployment);
    let deployed = group_deployments(session)
        .await?
        .iter()
        .any(|deployment| deployment.status == DeploymentStatus::Succeeded);
    if !deployed {
        let deployment_id = deploy_sample(
            session,
            demo::SAMPLE_KEY,
            None,
            "The sample on web-asg, started by the guided demo",
        )
        .await?;
        wait_for("the sample to be deployed to web-asg", || async {
            let deployment = deployments::get_deployment(session, &deployment_id).await?;
            match deployment.status {
                DeploymentStatus::Succeeded => Ok(Some(())),
                status if status.is_finished() => Err(DemoError::Scenario(format!(
                    "The deployment of the sample to web-asg ended {}: {}. Open {deployment_id} in Deployments to see why.",
                    status.as_str(),
                    deployment
                        .error
                        .map_or_else(String::new, |(_, message)| message)
                ))),
                _ => Ok(None),
            }
        })
        .await?;
    }
    Ok(())
}

/// Uploads the sample under `key` (marked with `marker`, when given, as
/// another revision) and starts a deployment of it to the group over the
/// Auto Scaling group. Returns the deployment's id.
async fn deploy_sample(
    session: &Session,
    key: &str,
    marker: Option<&str>,
    description: &str,
) -> Result<String, DemoError> {
    let revision = demo::publish_sample(
        session,
        key,
        "The sample application, uploaded by the guided demo",
        marker,
    )
    .await?;
    Ok(deployments::create_deployment(
        session,
        &NewDeployment {
            application: APPLICATION.to_owned(),
            group: FLEET_GROUP.to_owned(),
            revision: Some(revision),
            description: description.to_owned(),
            ..NewDeployment::default()
        },
    )
    .await?)
}

/// The spec of the deployment group over the Auto Scaling group.
async fn fleet_group_spec(session: &Session) -> Result<DeploymentGroupSpec, DemoError> {
    groups::deployment_group_spec(session, APPLICATION, FLEET_GROUP)
        .await?
        .ok_or_else(|| {
            DemoError::Scenario(format!(
                "The deployment group {FLEET_GROUP} of {APPLICATION} is gone; run the scenario again."
            ))
        })
}

/// The Auto Scaling group as Auto Scaling has it now.
async fn auto_scaling_group(
    session: &Session,
) -> Result<autoscaling::AutoScalingGroupSummary, DemoError> {
    let names = [AUTO_SCALING_GROUP.to_owned()];
    autoscaling::list_groups(session, Some(&names))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            DemoError::Scenario(format!(
                "The Auto Scaling group {AUTO_SCALING_GROUP} is gone; run the scenario again."
            ))
        })
}

/// The deployments of the group over the Auto Scaling group, newest first.
async fn group_deployments(session: &Session) -> Result<Vec<Deployment>, CloudError> {
    deployments::list_deployments(
        session,
        &DeploymentFilter {
            application: Some(APPLICATION.to_owned()),
            group: Some(FLEET_GROUP.to_owned()),
            statuses: Vec::new(),
            limit: 100,
        },
    )
    .await
}

/// Asks `check` every [`POLL`] until it finds what it looks for, giving up
/// after [`PATIENCE`] with an error naming `what`.
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> Result<T, DemoError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, DemoError>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            return Err(DemoError::Scenario(format!(
                "Waited {} minutes for {what}; look in Deployments and the Auto Scaling group, or reset the demo account from the top bar.",
                PATIENCE.as_secs() / 60
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}
