//! Load balancers as the app reads them: the target groups and classic
//! load balancers of the account, for the deployment group wizard.

use super::error::{CloudResult, sdk_error};
use super::session::Session;

/// The names of the account's target groups (Elastic Load Balancing v2), sorted.
pub async fn target_group_names(session: &Session) -> CloudResult<Vec<String>> {
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .elbv2
            .describe_target_groups()
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error(session, "DescribeTargetGroups"))?;
        names.extend(
            page.target_groups()
                .iter()
                .filter_map(|group| group.target_group_name().map(str::to_owned)),
        );
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    names.sort();
    Ok(names)
}

/// The names of the account's classic load balancers, sorted.
pub async fn classic_names(session: &Session) -> CloudResult<Vec<String>> {
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = session
            .elb
            .describe_load_balancers()
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error(session, "DescribeLoadBalancers"))?;
        names.extend(
            page.load_balancer_descriptions()
                .iter()
                .filter_map(|balancer| balancer.load_balancer_name().map(str::to_owned)),
        );
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    names.sort();
    Ok(names)
}

/// An HTTP target group to create (Elastic Load Balancing v2), with the
/// health checks that decide when a registered instance takes traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTargetGroup {
    /// Its name.
    pub name: String,
    /// The port its instances serve on.
    pub port: i32,
    /// The VPC its instances are in.
    pub vpc_id: String,
    /// Seconds between health checks.
    pub health_check_interval_seconds: i32,
    /// How many checks in a row make an instance healthy.
    pub healthy_threshold: i32,
    /// How long a deregistered instance drains, in seconds.
    pub deregistration_delay_seconds: u32,
}

/// The ARN of the target group `name`, if the account has one.
pub async fn target_group_arn(session: &Session, name: &str) -> CloudResult<Option<String>> {
    let groups = target_group_names(session).await?;
    if !groups.iter().any(|group| group == name) {
        return Ok(None);
    }
    let output = session
        .elbv2
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .map_err(sdk_error(session, "DescribeTargetGroups"))?;
    Ok(output
        .target_groups()
        .first()
        .and_then(|group| group.target_group_arn().map(str::to_owned)))
}

/// Creates the target group `group` and sets its deregistration delay.
/// Returns its ARN.
pub async fn create_target_group(session: &Session, group: &NewTargetGroup) -> CloudResult<String> {
    use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetGroupAttribute};
    let output = session
        .elbv2
        .create_target_group()
        .name(&group.name)
        .protocol(ProtocolEnum::Http)
        .port(group.port)
        .vpc_id(&group.vpc_id)
        .health_check_interval_seconds(group.health_check_interval_seconds)
        .health_check_timeout_seconds((group.health_check_interval_seconds - 1).max(2))
        .healthy_threshold_count(group.healthy_threshold)
        .send()
        .await
        .map_err(sdk_error(session, "CreateTargetGroup"))?;
    let arn = output
        .target_groups()
        .first()
        .and_then(|created| created.target_group_arn())
        .map(str::to_owned)
        .ok_or_else(|| {
            super::CloudError::Other(format!(
                "CreateTargetGroup returned no ARN for {}.",
                group.name
            ))
        })?;
    session
        .elbv2
        .modify_target_group_attributes()
        .target_group_arn(&arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value(group.deregistration_delay_seconds.to_string())
                .build(),
        )
        .send()
        .await
        .map_err(sdk_error(session, "ModifyTargetGroupAttributes"))?;
    Ok(arn)
}

/// The ARN of the application load balancer `name`, if the account has
/// one.
pub async fn load_balancer_arn(session: &Session, name: &str) -> CloudResult<Option<String>> {
    let mut marker = None;
    loop {
        let page = session
            .elbv2
            .describe_load_balancers()
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error(session, "DescribeLoadBalancers"))?;
        if let Some(arn) = page
            .load_balancers()
            .iter()
            .find(|balancer| balancer.load_balancer_name() == Some(name))
            .and_then(|balancer| balancer.load_balancer_arn())
        {
            return Ok(Some(arn.to_owned()));
        }
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            return Ok(None);
        }
    }
}

/// Creates the application load balancer `name` in `subnets` and returns
/// its ARN.
pub async fn create_load_balancer(
    session: &Session,
    name: &str,
    subnets: &[String],
) -> CloudResult<String> {
    let output = session
        .elbv2
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .map_err(sdk_error(session, "CreateLoadBalancer"))?;
    output
        .load_balancers()
        .first()
        .and_then(|balancer| balancer.load_balancer_arn())
        .map(str::to_owned)
        .ok_or_else(|| {
            super::CloudError::Other(format!("CreateLoadBalancer returned no ARN for {name}."))
        })
}

/// Makes the load balancer `balancer_arn` forward HTTP on `port` to the
/// target group `target_group_arn`, unless it has a listener on that port
/// already. Returns whether a listener was created.
pub async fn forward_to(
    session: &Session,
    balancer_arn: &str,
    port: i32,
    target_group_arn: &str,
) -> CloudResult<bool> {
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
    let listeners = session
        .elbv2
        .describe_listeners()
        .load_balancer_arn(balancer_arn)
        .send()
        .await
        .map_err(sdk_error(session, "DescribeListeners"))?;
    if listeners
        .listeners()
        .iter()
        .any(|listener| listener.port() == Some(port))
    {
        return Ok(false);
    }
    session
        .elbv2
        .create_listener()
        .load_balancer_arn(balancer_arn)
        .protocol(ProtocolEnum::Http)
        .port(port)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(target_group_arn)
                .build(),
        )
        .send()
        .await
        .map_err(sdk_error(session, "CreateListener"))?;
    Ok(true)
}
