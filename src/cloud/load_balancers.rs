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
