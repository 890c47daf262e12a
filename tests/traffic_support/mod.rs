//! What the traffic tests set up through the SDK: the function `orders`
//! with two versions and an alias, its Lambda application and group, an
//! ECS application with a blue/green group over a service, and an EC2
//! blue/green deployment over the demo fleet.

#![allow(dead_code)]

use aws_sdk_codedeploy::types as cd;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use deploydesk::cloud::Session;

/// Lambda's trust policy, for the functions' role.
pub const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The service role the groups name.
pub const SERVICE_ROLE: &str = "arn:aws:iam::000000000000:role/CodeDeployServiceRole";

/// An AppSpec moving `orders:live` from version 1 to version 2.
pub const ORDERS_APPSPEC: &str = "version: 0.0
Resources:
  - orders:
      Type: AWS::Lambda::Function
      Properties:
        Name: orders
        Alias: live
        CurrentVersion: \"1\"
        TargetVersion: \"2\"
";

/// The role `orders`, the function `orders` with versions 1 and 2 and
/// its alias `live` at version 1; and, when `hook` is given, the hook
/// function `checkOrders` that answers `hook` by itself (its
/// `deploydesk:simulate` tag: `Succeeded` or `Failed`).
pub async fn orders_function(session: &Session, hook: Option<&str>) {
    session
        .iam
        .create_role()
        .role_name("orders")
        .assume_role_policy_document(LAMBDA_TRUST)
        .send()
        .await
        .expect("role");
    let lambda = &session.lambda;
    let functions = [("orders", None)]
        .into_iter()
        .chain(hook.map(|answer| ("checkOrders", Some(answer))));
    for (name, simulate) in functions {
        lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role("arn:aws:iam::000000000000:role/orders")
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(name.as_bytes()))
                    .build(),
            )
            .set_tags(simulate.map(|value| {
                std::collections::HashMap::from([(
                    "deploydesk:simulate".to_owned(),
                    value.to_owned(),
                )])
            }))
            .send()
            .await
            .expect("function");
    }
    for code in ["v1", "v2"] {
        lambda
            .update_function_code()
            .function_name("orders")
            .zip_file(Blob::new(code.as_bytes()))
            .send()
            .await
            .expect("code");
        lambda
            .publish_version()
            .function_name("orders")
            .send()
            .await
            .expect("version");
    }
    lambda
        .create_alias()
        .function_name("orders")
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("alias");
}

/// The Lambda application `orders` and its blue/green group `live`,
/// which rolls failed deployments back when `roll_back`.
pub async fn orders_group(session: &Session, roll_back: bool) {
    let codedeploy = &session.codedeploy;
    codedeploy
        .create_application()
        .application_name("orders")
        .compute_platform(cd::ComputePlatform::Lambda)
        .send()
        .await
        .expect("application");
    let automatic = roll_back.then(|| {
        cd::AutoRollbackConfiguration::builder()
            .enabled(true)
            .events(cd::AutoRollbackEvent::DeploymentFailure)
            .build()
    });
    codedeploy
        .create_deployment_group()
        .application_name("orders")
        .deployment_group_name("live")
        .service_role_arn(SERVICE_ROLE)
        .deployment_style(blue_green())
        .set_auto_rollback_configuration(automatic)
        .send()
        .await
        .expect("group");
}

/// Blue/green with traffic control, as every Lambda and ECS group is.
fn blue_green() -> cd::DeploymentStyle {
    cd::DeploymentStyle::builder()
        .deployment_type(cd::DeploymentType::BlueGreen)
        .deployment_option(cd::DeploymentOption::WithTrafficControl)
        .build()
}

/// An ECS deployment group over a service.
pub struct EcsGroup<'a> {
    /// The ECS application, made here.
    pub application: &'a str,
    /// The group.
    pub group: &'a str,
    /// The service's cluster.
    pub cluster: &'a str,
    /// The service.
    pub service: &'a str,
    /// The target group the service serves, then the other one.
    pub target_groups: [&'a str; 2],
    /// The production listener's ARN.
    pub production: &'a str,
    /// The test listener's ARN.
    pub test: &'a str,
}

/// Makes the ECS application and its group, which waits for Continue
/// (for an hour, then stops) and removes the original task set a
/// configured minute after success.
pub async fn ecs_group(session: &Session, spec: &EcsGroup<'_>) {
    let codedeploy = &session.codedeploy;
    codedeploy
        .create_application()
        .application_name(spec.application)
        .compute_platform(cd::ComputePlatform::Ecs)
        .send()
        .await
        .expect("application");
    let [first, second] = spec.target_groups;
    codedeploy
        .create_deployment_group()
        .application_name(spec.application)
        .deployment_group_name(spec.group)
        .service_role_arn(SERVICE_ROLE)
        .deployment_style(blue_green())
        .ecs_services(
            cd::EcsService::builder()
                .cluster_name(spec.cluster)
                .service_name(spec.service)
                .build(),
        )
        .load_balancer_info(
            cd::LoadBalancerInfo::builder()
                .target_group_pair_info_list(
                    cd::TargetGroupPairInfo::builder()
                        .target_groups(cd::TargetGroupInfo::builder().name(first).build())
                        .target_groups(cd::TargetGroupInfo::builder().name(second).build())
                        .prod_traffic_route(
                            cd::TrafficRoute::builder()
                                .listener_arns(spec.production)
                                .build(),
                        )
                        .test_traffic_route(
                            cd::TrafficRoute::builder().listener_arns(spec.test).build(),
                        )
                        .build(),
                )
                .build(),
        )
        .blue_green_deployment_configuration(
            cd::BlueGreenDeploymentConfiguration::builder()
                .deployment_ready_option(
                    cd::DeploymentReadyOption::builder()
                        .action_on_timeout(cd::DeploymentReadyAction::StopDeployment)
                        .wait_time_in_minutes(60)
                        .build(),
                )
                .terminate_blue_instances_on_deployment_success(
                    cd::BlueInstanceTerminationOption::builder()
                        .action(cd::InstanceAction::Terminate)
                        .termination_wait_time_in_minutes(1)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("group");
}

/// A revision given as inline AppSpec content.
pub fn appspec(content: &str) -> cd::RevisionLocation {
    cd::RevisionLocation::builder()
        .revision_type(cd::RevisionLocationType::AppSpecContent)
        .app_spec_content(cd::AppSpecContent::builder().content(content).build())
        .build()
}

pub fn ec2_filter(key: &str, value: &str) -> cd::Ec2TagFilter {
    cd::Ec2TagFilter::builder()
        .key(key)
        .value(value)
        .r#type(cd::Ec2TagFilterType::KeyAndValue)
        .build()
}

pub fn github_revision() -> cd::RevisionLocation {
    cd::RevisionLocation::builder()
        .revision_type(cd::RevisionLocationType::GitHub)
        .git_hub_location(
            cd::GitHubLocation::builder()
                .repository("example/shop")
                .commit_id("0123456789abcdef0123456789abcdef01234567")
                .build(),
        )
        .build()
}

/// The application `shop` with a blue/green group `web` over the demo
/// fleet, deploying with `config` behind the target group `web-tg`:
/// staging is blue, production is green, and the deployment waits in Ready
/// until it is continued. Returns the deployment's ID.
pub async fn ec2_blue_green_deployment(
    client: &aws_sdk_codedeploy::Client,
    config: &str,
) -> String {
    client
        .create_application()
        .application_name("shop")
        .send()
        .await
        .expect("application");
    client
        .create_deployment_group()
        .application_name("shop")
        .deployment_group_name("web")
        .service_role_arn(SERVICE_ROLE)
        .deployment_config_name(config)
        .ec2_tag_filters(ec2_filter("Environment", "staging"))
        .deployment_style(
            cd::DeploymentStyle::builder()
                .deployment_type(cd::DeploymentType::BlueGreen)
                .deployment_option(cd::DeploymentOption::WithTrafficControl)
                .build(),
        )
        .load_balancer_info(
            cd::LoadBalancerInfo::builder()
                .target_group_info_list(cd::TargetGroupInfo::builder().name("web-tg").build())
                .build(),
        )
        .blue_green_deployment_configuration(
            cd::BlueGreenDeploymentConfiguration::builder()
                .deployment_ready_option(
                    cd::DeploymentReadyOption::builder()
                        .action_on_timeout(cd::DeploymentReadyAction::StopDeployment)
                        .wait_time_in_minutes(60)
                        .build(),
                )
                .terminate_blue_instances_on_deployment_success(
                    cd::BlueInstanceTerminationOption::builder()
                        .action(cd::InstanceAction::KeepAlive)
                        .build(),
                )
                .green_fleet_provisioning_option(
                    cd::GreenFleetProvisioningOption::builder()
                        .action(cd::GreenFleetProvisioningAction::DiscoverExisting)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("group");
    client
        .create_deployment()
        .application_name("shop")
        .deployment_group_name("web")
        .revision(github_revision())
        .target_instances(
            cd::TargetInstances::builder()
                .tag_filters(ec2_filter("Environment", "production"))
                .build(),
        )
        .send()
        .await
        .expect("deployment")
        .deployment_id()
        .expect("id")
        .to_owned()
}
