//! CodeDeploy acting on the Auto Scaling groups its deployment groups
//! name, driven by the official SDK with a manual clock: deployments to a
//! group's `InService` instances, the launch hook CodeDeploy installs and
//! removes, scale-out served by an automatic deployment (`autoscaling`)
//! that continues or abandons the launch, scale-out during a deployment
//! followed by a `CodeDeployAutoUpdate` deployment, and a service role
//! that must allow Auto Scaling's actions.

#![allow(clippy::unwrap_used)]

use crate::deploy_support;
use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus};
use aws_sdk_ec2::types::InstanceStateName;
use deploy_support::{Cloud, EVENT_MS, SIMULATE, error_code, tag_filter};
use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;

const APP: &str = "shop";
const GROUP: &str = "web";
const ASG: &str = "web-asg";
const HOOK_PREFIX: &str = "CodeDeploy-managed-automatic-launch-deployment-hook";

/// A local cloud with CodeDeploy, Auto Scaling and EC2 clients.
struct Fixture {
    cloud: Cloud,
    autoscaling: aws_sdk_autoscaling::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
}

impl Fixture {
    async fn start() -> Self {
        Self::with_cloud(Cloud::start().await).await
    }

    /// The fixture around `cloud`.
    async fn with_cloud(cloud: Cloud) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(cloud.local.endpoint_url())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        Self {
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            cloud,
        }
    }

    /// Creates Auto Scaling group `name` of `desired` instances tagged
    /// `Role=web` (and with `extra` tags, e.g. a simulation directive).
    async fn asg(&self, name: &str, desired: i32, extra: &[(&str, &str)]) {
        support::auto_scaling_group(&self.cloud.local, name, desired, extra).await;
    }

    /// Sets the desired capacity of Auto Scaling group `name`.
    async fn scale(&self, name: &str, desired: i32) {
        self.autoscaling
            .set_desired_capacity()
            .auto_scaling_group_name(name)
            .desired_capacity(desired)
            .send()
            .await
            .expect("the desired capacity is set");
    }

    /// The instances of Auto Scaling group `name` with their lifecycle
    /// states, by instance id.
    async fn instances(&self, name: &str) -> Vec<(String, String)> {
        let described = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .expect("the groups are described");
        let mut instances: Vec<(String, String)> = described.auto_scaling_groups()[0]
            .instances()
            .iter()
            .map(|instance| {
                (
                    instance.instance_id().unwrap().to_owned(),
                    instance.lifecycle_state().unwrap().as_str().to_owned(),
                )
            })
            .collect();
        instances.sort();
        instances
    }

    /// The launch hooks of Auto Scaling group `name`, by name.
    async fn hooks(&self, name: &str) -> Vec<aws_sdk_autoscaling::types::LifecycleHook> {
        self.autoscaling
            .describe_lifecycle_hooks()
            .auto_scaling_group_name(name)
            .send()
            .await
            .expect("the hooks are described")
            .lifecycle_hooks()
            .to_vec()
    }

    /// The EC2 state of instance `id`.
    async fn ec2_state(&self, id: &str) -> InstanceStateName {
        self.ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("the instances are described")
            .reservations()[0]
            .instances()[0]
            .state()
            .and_then(|state| state.name())
            .cloned()
            .expect("a state")
    }

    /// Creates the deployment group naming `asgs`, selecting nothing by
    /// tag unless `tagged`.
    async fn group(&self, asgs: &[&str], tagged: bool) {
        let mut request = self
            .cloud
            .new_group(APP, GROUP)
            .await
            .deployment_config_name("CodeDeployDefault.OneAtATime");
        for asg in asgs {
            request = request.auto_scaling_groups(*asg);
        }
        if tagged {
            request = request.ec2_tag_filters(tag_filter("Role", "web"));
        }
        request
            .send()
            .await
            .expect("the deployment group is created");
    }

    /// `UpdateDeploymentGroup` for the group, for a test to add to.
    fn update(
        &self,
    ) -> aws_sdk_codedeploy::operation::update_deployment_group::builders::UpdateDeploymentGroupFluentBuilder
    {
        self.cloud
            .client
            .update_deployment_group()
            .application_name(APP)
            .current_deployment_group_name(GROUP)
    }

    /// The group as `GetDeploymentGroup` returns it.
    async fn group_info(&self) -> aws_sdk_codedeploy::types::DeploymentGroupInfo {
        self.cloud
            .client
            .get_deployment_group()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .send()
            .await
            .expect("the group can be read")
            .deployment_group_info()
            .cloned()
            .expect("the group's information")
    }

    /// The commit of the group's target revision.
    async fn group_commit(&self) -> Option<String> {
        self.group_info()
            .await
            .target_revision()
            .and_then(|revision| revision.git_hub_location())
            .and_then(|location| location.commit_id())
            .map(str::to_owned)
    }

    /// The group's deployments, oldest first.
    async fn deployments(&self) -> Vec<DeploymentInfo> {
        let ids = self
            .cloud
            .client
            .list_deployments()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .send()
            .await
            .expect("the deployments are listed")
            .deployments()
            .to_vec();
        let mut infos = Vec::new();
        for id in ids {
            infos.push(self.cloud.deployment(&id).await);
        }
        infos.sort_by_key(|info| info.create_time().map(deploy_support::millis));
        infos
    }

    /// The deployments created by `creator`, oldest first.
    async fn created_by(&self, creator: &str) -> Vec<DeploymentInfo> {
        self.deployments()
            .await
            .into_iter()
            .filter(|info| {
                info.creator()
                    .map(aws_sdk_codedeploy::types::DeploymentCreator::as_str)
                    == Some(creator)
            })
            .collect()
    }

    /// The target ids of deployment `id`, sorted.
    async fn target_ids(&self, id: &str) -> Vec<String> {
        let mut ids = deploy_support::target_ids(&self.cloud.client, id).await;
        ids.sort();
        ids
    }

    /// Deploys commit `revision` and runs the deployment to a success.
    async fn deploy_ok(&self, revision: &str) -> String {
        let id = self.cloud.deploy(APP, GROUP, revision).await;
        let info = self.cloud.run_to_end(&id, 200).await;
        assert_eq!(
            info.status(),
            Some(&DeploymentStatus::Succeeded),
            "{info:?}"
        );
        id
    }

    /// Moves the clock a second at a time, at most `limit` seconds, until
    /// `done` holds for the Auto Scaling group's instances.
    async fn until_instances(&self, limit: usize, done: impl Fn(&[(String, String)]) -> bool) {
        for _ in 0..limit {
            if done(&self.instances(ASG).await) {
                return;
            }
            self.cloud.advance(1000);
        }
        panic!(
            "the Auto Scaling group did not get there: {:?}",
            self.instances(ASG).await
        );
    }
}

/// The commit id of a GitHub revision.
fn commit(info: &DeploymentInfo) -> &str {
    info.revision()
        .and_then(|revision| revision.git_hub_location())
        .and_then(|location| location.commit_id())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_deployment_goes_to_the_in_service_instances_and_the_tagged_ones_once() {
    let fixture = Fixture::start().await;
    fixture.asg(ASG, 2, &[]).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let scaled: Vec<String> = fixture
        .instances(ASG)
        .await
        .into_iter()
        .map(|(id, state)| {
            assert_eq!(state, "InService");
            id
        })
        .collect();
    assert_eq!(scaled.len(), 2);
    // A plain instance with the same tag, and one with another tag.
    let plain = fixture.cloud.launch(1, &[("Role", "web")]);
    fixture.cloud.launch(1, &[("Role", "db")]);

    // Named only as an Auto Scaling group: its two instances.
    fixture.group(&[ASG], false).await;
    let id = fixture.deploy_ok("v1").await;
    assert_eq!(fixture.target_ids(&id).await, scaled);

    // Its tag filters select the group's instances too: each is one target.
    fixture
        .update()
        .ec2_tag_filters(tag_filter("Role", "web"))
        .send()
        .await
        .expect("the group is updated");
    let id = fixture.deploy_ok("v2").await;
    let mut expected = scaled.clone();
    expected.extend(plain);
    expected.sort();
    assert_eq!(fixture.target_ids(&id).await, expected);
    let info = fixture.cloud.deployment(&id).await;
    assert_eq!(
        info.creator()
            .map(aws_sdk_codedeploy::types::DeploymentCreator::as_str),
        Some("user")
    );

    // An instance leaving service is no longer deployed to.
    fixture.scale(ASG, 1).await;
    fixture
        .until_instances(30, |instances| instances.len() == 1)
        .await;
    let left = fixture.instances(ASG).await[0].0.clone();
    let id = fixture.deploy_ok("v3").await;
    let targets = fixture.target_ids(&id).await;
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets.contains(&left));
}

#[tokio::test]
async fn the_launch_hook_is_installed_reported_moved_and_removed() {
    let fixture = Fixture::start().await;
    fixture.asg(ASG, 0, &[]).await;
    fixture.asg("other-asg", 0, &[]).await;

    // An unknown Auto Scaling group is refused and nothing is created.
    let refused = fixture
        .cloud
        .new_group(APP, GROUP)
        .await
        .auto_scaling_groups("missing-asg")
        .send()
        .await;
    assert_eq!(error_code(refused), "InvalidAutoScalingGroupException");
    let missing = fixture
        .cloud
        .client
        .get_deployment_group()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .send()
        .await;
    assert_eq!(error_code(missing), "DeploymentGroupDoesNotExistException");

    fixture.group(&[ASG], false).await;
    let info = fixture.group_info().await;
    let reported = &info.auto_scaling_groups()[0];
    assert_eq!(reported.name(), Some(ASG));
    let hook_name = reported.hook().expect("the hook is reported").to_owned();
    assert!(
        hook_name.starts_with(&format!("{HOOK_PREFIX}-{GROUP}-")),
        "{hook_name}"
    );
    assert_eq!(
        hook_name.len(),
        format!("{HOOK_PREFIX}-{GROUP}-").len() + 36,
        "the name ends in a UUID: {hook_name}"
    );
    let hooks = fixture.hooks(ASG).await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].lifecycle_hook_name(), Some(hook_name.as_str()));
    assert_eq!(
        hooks[0].lifecycle_transition(),
        Some("autoscaling:EC2_INSTANCE_LAUNCHING")
    );
    assert_eq!(hooks[0].heartbeat_timeout(), Some(600));
    assert_eq!(hooks[0].default_result(), Some("ABANDON"));
    assert!(fixture.hooks("other-asg").await.is_empty());

    // An update naming an unknown group changes nothing.
    let refused = fixture
        .update()
        .auto_scaling_groups("other-asg")
        .auto_scaling_groups("missing-asg")
        .send()
        .await;
    assert_eq!(error_code(refused), "InvalidAutoScalingGroupException");
    assert_eq!(fixture.hooks(ASG).await.len(), 1);
    assert!(fixture.hooks("other-asg").await.is_empty());

    // Naming another group moves the hook there.
    let updated = fixture
        .update()
        .auto_scaling_groups("other-asg")
        .send()
        .await
        .expect("the group is updated");
    assert!(updated.hooks_not_cleaned_up().is_empty());
    assert!(fixture.hooks(ASG).await.is_empty());
    let moved = fixture.hooks("other-asg").await;
    assert_eq!(moved.len(), 1);
    assert!(
        moved[0]
            .lifecycle_hook_name()
            .unwrap()
            .starts_with(HOOK_PREFIX)
    );

    // An update that leaves the groups alone keeps the hook.
    fixture
        .update()
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .send()
        .await
        .expect("the group is updated");
    assert_eq!(
        fixture.hooks("other-asg").await[0].lifecycle_hook_name(),
        moved[0].lifecycle_hook_name()
    );

    // Deleting the group removes it.
    fixture
        .cloud
        .client
        .delete_deployment_group()
        .application_name(APP)
        .deployment_group_name(GROUP)
        .send()
        .await
        .expect("the group is deleted");
    assert!(fixture.hooks("other-asg").await.is_empty());
}

#[tokio::test]
async fn a_scaled_out_instance_gets_the_last_successful_revision_then_serves() {
    let fixture = Fixture::start().await;
    fixture.asg(ASG, 1, &[]).await;
    fixture.group(&[ASG], false).await;

    // No revision yet: the launch is continued without a deployment.
    fixture
        .until_instances(10, |instances| {
            instances.iter().all(|(_, state)| state == "InService")
        })
        .await;
    assert!(fixture.deployments().await.is_empty());
    let first = fixture.instances(ASG).await[0].0.clone();

    fixture.deploy_ok("v1").await;
    fixture.scale(ASG, 2).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let instances = fixture.instances(ASG).await;
    let (new, state) = instances
        .iter()
        .find(|(id, _)| *id != first)
        .cloned()
        .expect("a new instance");
    assert_eq!(state, "Pending:Wait");
    let automatic = fixture.created_by("autoscaling").await;
    assert_eq!(automatic.len(), 1, "{automatic:?}");
    let automatic = automatic[0].clone();
    assert_eq!(commit(&automatic), "v1");
    let automatic_id = automatic.deployment_id().unwrap().to_owned();
    assert_eq!(
        fixture.target_ids(&automatic_id).await,
        std::slice::from_ref(&new)
    );

    // Held while the deployment runs, in service once it succeeded.
    fixture.cloud.advance(3 * EVENT_MS);
    assert!(
        fixture
            .instances(ASG)
            .await
            .contains(&(new.clone(), "Pending:Wait".to_owned()))
    );
    let info = fixture.cloud.run_to_end(&automatic_id, 60).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    fixture
        .until_instances(5, |instances| {
            instances.contains(&(new.clone(), "InService".to_owned()))
        })
        .await;
    // The next user deployment goes to both.
    let id = fixture.deploy_ok("v2").await;
    let mut both = vec![first, new];
    both.sort();
    assert_eq!(fixture.target_ids(&id).await, both);
}

#[tokio::test]
async fn a_failing_new_instance_is_abandoned_terminated_and_replaced() {
    let fixture = Fixture::start().await;
    // The group's own instance runs the revision well; every instance the
    // Auto Scaling group launches fails the revision's AfterInstall script.
    fixture.cloud.launch(1, &[("Role", "web")]);
    fixture
        .asg(ASG, 0, &[(SIMULATE, "fail:AfterInstall")])
        .await;
    fixture.group(&[ASG], true).await;
    fixture.deploy_ok("v1").await;

    fixture.scale(ASG, 1).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let launched = fixture.instances(ASG).await;
    assert_eq!(launched.len(), 1);
    let (doomed, state) = launched[0].clone();
    assert_eq!(state, "Pending:Wait");
    let automatic = fixture.created_by("autoscaling").await;
    assert_eq!(automatic.len(), 1);
    let automatic_id = automatic[0].deployment_id().unwrap().to_owned();
    let info = fixture.cloud.run_to_end(&automatic_id, 60).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Failed));
    let target = &fixture.cloud.targets(&automatic_id).await[0];
    let failed = target
        .lifecycle_events()
        .iter()
        .find(|event| event.lifecycle_event_name() == Some("AfterInstall"))
        .unwrap();
    assert_eq!(
        failed
            .diagnostics()
            .and_then(|d| d.error_code())
            .map(aws_sdk_codedeploy::types::LifecycleErrorCode::as_str),
        Some("ScriptFailed")
    );

    // Abandoned: terminated, and a replacement launched and held.
    fixture
        .until_instances(30, |instances| {
            instances
                .iter()
                .any(|(id, state)| *id != doomed && state == "Pending:Wait")
        })
        .await;
    assert!(matches!(
        fixture.ec2_state(&doomed).await,
        InstanceStateName::ShuttingDown | InstanceStateName::Terminated
    ));
    let activities = fixture
        .autoscaling
        .describe_scaling_activities()
        .auto_scaling_group_name(ASG)
        .send()
        .await
        .unwrap();
    assert!(
        activities.activities().iter().any(|activity| {
            activity.description().unwrap_or_default().contains(&doomed)
                && activity
                    .status_message()
                    .unwrap_or_default()
                    .contains("Lifecycle Action Completed with ABANDON Result")
        }),
        "{activities:?}"
    );
    let automatic = fixture.created_by("autoscaling").await;
    assert_eq!(
        automatic.len(),
        2,
        "the replacement gets its own deployment"
    );
    let replacement = automatic[1].deployment_id().unwrap().to_owned();
    assert_ne!(fixture.target_ids(&replacement).await, [doomed]);

    // Scaling back in ends the attempts.
    fixture.scale(ASG, 0).await;
    fixture
        .until_instances(60, <[(String, String)]>::is_empty)
        .await;
}

#[tokio::test]
async fn scale_out_during_a_deployment_is_brought_up_to_date_afterwards() {
    let fixture = Fixture::start().await;
    fixture.asg(ASG, 2, &[]).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    fixture.group(&[ASG], false).await;
    fixture.deploy_ok("v1").await;
    let before: Vec<String> = fixture
        .instances(ASG)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();

    // v2 goes one instance at a time; the group scales out meanwhile.
    let root = fixture.cloud.deploy(APP, GROUP, "v2").await;
    fixture.cloud.advance(2 * EVENT_MS);
    fixture.scale(ASG, 3).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let new = fixture
        .instances(ASG)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .find(|id| !before.contains(id))
        .expect("a new instance");
    let automatic = fixture.created_by("autoscaling").await;
    assert_eq!(automatic.len(), 1);
    assert_eq!(commit(&automatic[0]), "v1", "the last successful revision");
    assert_eq!(
        fixture.cloud.status(&root).await,
        DeploymentStatus::InProgress,
        "the scale-out came during the deployment"
    );

    let info = fixture.cloud.run_to_end(&root, 200).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(
        fixture.target_ids(&root).await,
        before,
        "v2 did not reach it"
    );
    let follow_ups = fixture.created_by("CodeDeployAutoUpdate").await;
    assert_eq!(follow_ups.len(), 1, "{follow_ups:?}");
    let follow_up = follow_ups[0].clone();
    let follow_up_id = follow_up.deployment_id().unwrap().to_owned();
    assert_eq!(commit(&follow_up), "v2");
    assert_eq!(
        fixture.target_ids(&follow_up_id).await,
        std::slice::from_ref(&new)
    );
    assert!(follow_up.update_outdated_instances_only());
    assert_eq!(
        follow_up
            .related_deployments()
            .and_then(|related| related.auto_update_outdated_instances_root_deployment_id()),
        Some(root.as_str())
    );
    let root_info = fixture.cloud.deployment(&root).await;
    assert_eq!(
        root_info.related_deployments().map(|related| related
            .auto_update_outdated_instances_deployment_ids()
            .to_vec()),
        Some(vec![follow_up_id.clone()])
    );
    let info = fixture.cloud.run_to_end(&follow_up_id, 60).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(fixture.group_commit().await.as_deref(), Some("v2"));
}

#[tokio::test]
async fn outdated_instances_are_left_alone_when_the_group_ignores_them() {
    let fixture = Fixture::start().await;
    fixture.asg(ASG, 1, &[]).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    fixture.group(&[ASG], false).await;
    fixture
        .update()
        .outdated_instances_strategy(aws_sdk_codedeploy::types::OutdatedInstancesStrategy::Ignore)
        .send()
        .await
        .unwrap();
    fixture.deploy_ok("v1").await;
    let root = fixture.cloud.deploy(APP, GROUP, "v2").await;
    fixture.cloud.advance(EVENT_MS);
    fixture.scale(ASG, 2).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let info = fixture.cloud.run_to_end(&root, 200).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    fixture.cloud.advance(60_000);
    assert_eq!(fixture.created_by("autoscaling").await.len(), 1);
    assert!(fixture.created_by("CodeDeployAutoUpdate").await.is_empty());
}

#[tokio::test]
async fn the_service_role_must_allow_auto_scaling_for_a_group_that_names_one() {
    let fixture = Fixture::start().await;
    fixture.asg(ASG, 0, &[]).await;
    let role = fixture
        .iam
        .create_role()
        .role_name("NarrowCodeDeployRole")
        .assume_role_policy_document(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("the role is created")
        .role()
        .map(|role| role.arn().to_owned())
        .expect("a role");
    fixture
        .iam
        .put_role_policy()
        .role_name("NarrowCodeDeployRole")
        .policy_name("tags-only")
        .policy_document(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "autoscaling:Describe*"], "Resource": "*"}]}"#,
        )
        .send()
        .await
        .expect("the inline policy is put");
    fixture.cloud.application(APP).await;
    let create = || {
        fixture
            .cloud
            .client
            .create_deployment_group()
            .application_name(APP)
            .deployment_group_name(GROUP)
            .service_role_arn(&role)
    };

    // A tag-only group needs no Auto Scaling permission.
    create()
        .ec2_tag_filters(tag_filter("Role", "web"))
        .send()
        .await
        .expect("a group without Auto Scaling groups is created");
    let refused = fixture
        .update()
        .auto_scaling_groups(ASG)
        .send()
        .await
        .expect_err("the role cannot act on Auto Scaling");
    let service = refused.into_service_error();
    assert!(service.is_invalid_role_exception(), "{service:?}");
    assert!(
        aws_sdk_codedeploy::error::ProvideErrorMetadata::message(&service)
            .unwrap_or_default()
            .contains(&format!(
                "The IAM role {role} does not give you permission to perform operations in the following AWS service: AmazonAutoScaling."
            )),
        "{service:?}"
    );
    assert!(fixture.hooks(ASG).await.is_empty(), "nothing was installed");

    // With CodeDeploy's managed policy attached, it can.
    fixture
        .iam
        .attach_role_policy()
        .role_name("NarrowCodeDeployRole")
        .policy_arn("arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")
        .send()
        .await
        .expect("the policy is attached");
    fixture
        .update()
        .auto_scaling_groups(ASG)
        .send()
        .await
        .expect("the role now allows Auto Scaling");
    assert_eq!(fixture.hooks(ASG).await.len(), 1);
}

#[tokio::test]
async fn a_launch_that_outlasts_the_deployment_is_updated_after_it_and_keeps_the_revision() {
    let fixture = Fixture::start().await;
    // The group's own instance deploys quickly; the Auto Scaling group's
    // instances run every event five times as long.
    let plain = fixture.cloud.launch(1, &[("Role", "web")]);
    fixture.asg(ASG, 0, &[(SIMULATE, "slow")]).await;
    fixture.group(&[ASG], true).await;
    fixture.deploy_ok("v1").await;

    let root = fixture.cloud.deploy(APP, GROUP, "v2").await;
    fixture.scale(ASG, 1).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let new = fixture.instances(ASG).await[0].0.clone();
    let launch = fixture.created_by("autoscaling").await[0]
        .deployment_id()
        .unwrap()
        .to_owned();
    let info = fixture.cloud.run_to_end(&root, 100).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(fixture.target_ids(&root).await, plain);
    assert_eq!(
        fixture.cloud.status(&launch).await,
        DeploymentStatus::InProgress,
        "the launch is still being deployed to"
    );
    assert!(fixture.created_by("CodeDeployAutoUpdate").await.is_empty());

    let info = fixture.cloud.run_to_end(&launch, 200).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    assert_eq!(commit(&info), "v1");
    let follow_ups = fixture.created_by("CodeDeployAutoUpdate").await;
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(commit(&follow_ups[0]), "v2");
    let follow_up = follow_ups[0].deployment_id().unwrap().to_owned();
    assert_eq!(fixture.target_ids(&follow_up).await, [new]);
    // The launch installed v1 but v2 stays the group's revision.
    assert_eq!(fixture.group_commit().await.as_deref(), Some("v2"));
    let info = fixture.cloud.run_to_end(&follow_up, 200).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
}

#[tokio::test]
async fn heartbeats_keep_a_launch_held_through_a_long_deployment() {
    // Three minutes an event: the deployment outlasts the hook's
    // ten-minute heartbeat timeout many times over.
    let fixture = Fixture::with_cloud(
        Cloud::start_with(deploydesk::localcloud::LocalCloudOptions {
            event_duration: std::time::Duration::from_mins(3),
            ..deploydesk::localcloud::LocalCloudOptions::default()
        })
        .await,
    )
    .await;
    fixture.asg(ASG, 0, &[]).await;
    fixture.group(&[ASG], false).await;
    fixture
        .update()
        .ec2_tag_filters(tag_filter("Role", "plain"))
        .send()
        .await
        .unwrap();
    fixture.cloud.launch(1, &[("Role", "plain")]);
    let id = fixture.cloud.deploy(APP, GROUP, "v1").await;
    for _ in 0..60 {
        fixture.cloud.advance(60_000);
    }
    assert_eq!(fixture.cloud.status(&id).await, DeploymentStatus::Succeeded);

    fixture.scale(ASG, 1).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS);
    let launch = fixture.created_by("autoscaling").await[0]
        .deployment_id()
        .unwrap()
        .to_owned();
    let mut minutes = 0;
    while fixture.cloud.status(&launch).await == DeploymentStatus::InProgress {
        assert!(minutes < 120, "the deployment did not end");
        assert_eq!(fixture.instances(ASG).await[0].1, "Pending:Wait");
        fixture.cloud.advance(60_000);
        minutes += 1;
    }
    assert!(
        minutes > 10,
        "the deployment outlasted the heartbeat timeout"
    );
    assert_eq!(
        fixture.cloud.status(&launch).await,
        DeploymentStatus::Succeeded
    );
    fixture.cloud.advance(2000);
    assert_eq!(fixture.instances(ASG).await[0].1, "InService");
}

#[tokio::test]
async fn a_launch_held_when_the_local_cloud_stops_is_completed_after_it_starts_again() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let state = dir.path().join("state");
    let fixture =
        Fixture::with_cloud(Cloud::start_with_state(state.clone(), deploy_support::START).await)
            .await;
    fixture.asg(ASG, 0, &[]).await;
    fixture.group(&[ASG], false).await;
    fixture
        .update()
        .ec2_tag_filters(tag_filter("Role", "plain"))
        .send()
        .await
        .unwrap();
    fixture.cloud.launch(1, &[("Role", "plain")]);
    fixture.deploy_ok("v1").await;
    fixture.scale(ASG, 1).await;
    fixture.cloud.advance(STATE_TRANSITION_MILLIS + EVENT_MS);
    let launch = fixture.created_by("autoscaling").await[0]
        .deployment_id()
        .unwrap()
        .to_owned();
    assert_eq!(
        fixture.cloud.status(&launch).await,
        DeploymentStatus::InProgress
    );
    let now = fixture.cloud.now();
    // Stopped without a snapshot: what it knew is read back from its
    // journal, which every answered request has reached.
    drop(fixture);

    let fixture = Fixture::with_cloud(Cloud::start_with_state(state, now).await).await;
    let info = fixture.cloud.run_to_end(&launch, 60).await;
    assert_eq!(info.status(), Some(&DeploymentStatus::Succeeded));
    fixture
        .until_instances(5, |instances| {
            instances.len() == 1 && instances[0].1 == "InService"
        })
        .await;
    assert_eq!(
        fixture.created_by("autoscaling").await.len(),
        1,
        "the launch was served once"
    );
}
