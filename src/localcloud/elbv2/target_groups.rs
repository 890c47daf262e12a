//! Target groups: `CreateTargetGroup`, `DescribeTargetGroups`,
//! `ModifyTargetGroup`, `DeleteTargetGroup`, and their attributes with
//! `DescribeTargetGroupAttributes` and `ModifyTargetGroupAttributes`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{
    Answer, Context, Members, bool_param, invalid, is_ec2_id, member_list, name_param, page,
    port_param, random_hex_id, ranged, required, tags_param, validation,
};
use super::load_balancers::balancer_param;
use super::state::{
    DEFAULT_DEREGISTRATION_DELAY_SECS, DEREGISTRATION_DELAY, Elbv2State, HealthCheck, TargetGroup,
};
use crate::domain::elb_names::ElbNameKind;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The protocols of target groups.
const PROTOCOLS: [&str; 7] = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"];

/// A target group as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroupXml {
    target_group_arn: String,
    target_group_name: String,
    protocol: String,
    port: u16,
    vpc_id: String,
    health_check_protocol: String,
    health_check_port: String,
    health_check_enabled: bool,
    health_check_interval_seconds: i64,
    health_check_timeout_seconds: i64,
    healthy_threshold_count: i64,
    unhealthy_threshold_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matcher: Option<MatcherXml>,
    load_balancer_arns: Members<String>,
    target_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_version: Option<String>,
    ip_address_type: String,
}

/// The codes a health check accepts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MatcherXml {
    http_code: String,
}

impl TargetGroupXml {
    fn new(state: &Elbv2State, group: &TargetGroup) -> Self {
        let check = &group.health_check;
        Self {
            target_group_arn: group.arn.clone(),
            target_group_name: group.name.clone(),
            protocol: group.protocol.clone(),
            port: group.port,
            vpc_id: group.vpc_id.clone(),
            health_check_protocol: check.protocol.clone(),
            health_check_port: check.port.clone(),
            health_check_enabled: check.enabled,
            health_check_interval_seconds: check.interval_seconds,
            health_check_timeout_seconds: check.timeout_seconds,
            healthy_threshold_count: check.healthy_threshold,
            unhealthy_threshold_count: check.unhealthy_threshold,
            health_check_path: check.path.clone(),
            matcher: check
                .matcher
                .clone()
                .map(|http_code| MatcherXml { http_code }),
            load_balancer_arns: state.load_balancers_of(&group.arn).into_iter().collect(),
            target_type: group.target_type.clone(),
            protocol_version: group.protocol_version.clone(),
            ip_address_type: "ipv4".to_owned(),
        }
    }
}

/// The result of the operations that return target groups.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroupsResult {
    target_groups: Members<TargetGroupXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
}

/// An attribute as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeXml {
    key: String,
    value: String,
}

/// The result of the attribute operations.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttributesResult {
    attributes: Members<AttributeXml>,
}

/// The error for a target group that does not exist.
pub fn not_found(what: &str) -> ApiError {
    ApiError::new(
        "TargetGroupNotFound",
        format!(
            "One or more target groups not found: {what}. Check the names or ARNs with DescribeTargetGroups."
        ),
    )
}

/// Checks that `arn` has the form of a target group's ARN.
pub fn check_arn(param: &str, arn: &str) -> Result<(), ApiError> {
    let valid = arn.starts_with("arn:aws:elasticloadbalancing:")
        && arn
            .split(':')
            .nth(5)
            .is_some_and(|resource| resource.starts_with("targetgroup/"));
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{arn}' at '{param}' is not a valid target group ARN; give an ARN such as arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/my-targets/73e2d6bc24d8a067."
        )))
    }
}

/// The target group whose ARN is in the parameter `param`.
pub fn group_param<'a>(
    state: &'a Elbv2State,
    params: &Params,
    param: &str,
) -> Result<&'a TargetGroup, ApiError> {
    let arn = required(params, param)?;
    check_arn(param, arn)?;
    state.target_groups.get(arn).ok_or_else(|| not_found(arn))
}

/// Whether `protocol` is one of the HTTP family, whose health checks have
/// a path and a matcher.
fn is_http(protocol: &str) -> bool {
    matches!(protocol, "HTTP" | "HTTPS")
}

/// The health check a new target group of `protocol` gets by default.
fn default_health_check(protocol: &str) -> HealthCheck {
    if is_http(protocol) {
        HealthCheck {
            enabled: true,
            protocol: protocol.to_owned(),
            port: "traffic-port".to_owned(),
            path: Some("/".to_owned()),
            interval_seconds: 30,
            timeout_seconds: 5,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: Some("200".to_owned()),
        }
    } else {
        HealthCheck {
            enabled: true,
            protocol: "TCP".to_owned(),
            port: "traffic-port".to_owned(),
            path: None,
            interval_seconds: 30,
            timeout_seconds: 10,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: None,
        }
    }
}

/// The attributes a new target group of `protocol` starts with.
fn default_attributes(protocol: &str) -> BTreeMap<String, String> {
    let mut attributes = BTreeMap::from([
        (
            DEREGISTRATION_DELAY.to_owned(),
            DEFAULT_DEREGISTRATION_DELAY_SECS.to_string(),
        ),
        ("stickiness.enabled".to_owned(), "false".to_owned()),
    ]);
    if is_http(protocol) {
        for (key, value) in [
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            ("load_balancing.algorithm.type", "round_robin"),
            ("slow_start.duration_seconds", "0"),
        ] {
            attributes.insert(key.to_owned(), value.to_owned());
        }
    } else {
        for (key, value) in [
            ("stickiness.type", "source_ip"),
            (
                "deregistration_delay.connection_termination.enabled",
                "false",
            ),
            ("proxy_protocol_v2.enabled", "false"),
            ("preserve_client_ip.enabled", "true"),
        ] {
            attributes.insert(key.to_owned(), value.to_owned());
        }
    }
    attributes
}

/// Applies the health check parameters of `params` to `check` and checks
/// the result as a whole.
fn apply_health_check(check: &mut HealthCheck, params: &Params) -> Result<(), ApiError> {
    if let Some(enabled) = bool_param(params, "HealthCheckEnabled")? {
        check.enabled = enabled;
    }
    if let Some(protocol) = params.get("HealthCheckProtocol") {
        if !matches!(protocol, "HTTP" | "HTTPS" | "TCP") {
            return Err(validation(
                "HealthCheckProtocol",
                protocol,
                "Member must satisfy enum value set: [HTTP, HTTPS, TCP].",
            ));
        }
        protocol.clone_into(&mut check.protocol);
        if is_http(protocol) {
            check.path.get_or_insert_with(|| "/".to_owned());
            check.matcher.get_or_insert_with(|| "200".to_owned());
        }
    }
    if let Some(port) = params.get("HealthCheckPort") {
        if port != "traffic-port" && port_param(params, "HealthCheckPort").is_err() {
            return Err(validation(
                "HealthCheckPort",
                port,
                "Member must be traffic-port or a port from 1 to 65535.",
            ));
        }
        port.clone_into(&mut check.port);
    }
    if let Some(path) = params.get("HealthCheckPath") {
        if path.is_empty() || path.len() > 1024 || !path.starts_with('/') {
            return Err(validation(
                "HealthCheckPath",
                path,
                "Member must start with / and have length between 1 and 1024.",
            ));
        }
        if !is_http(&check.protocol) {
            return Err(invalid(format!(
                "A health check path cannot be set with the {} health check protocol; use HTTP or HTTPS, or leave the path out.",
                check.protocol
            )));
        }
        check.path = Some(path.to_owned());
    }
    if let Some(interval) = ranged(params, "HealthCheckIntervalSeconds", 5, 300)? {
        check.interval_seconds = interval;
    }
    if let Some(timeout) = ranged(params, "HealthCheckTimeoutSeconds", 2, 120)? {
        check.timeout_seconds = timeout;
    }
    if let Some(count) = ranged(params, "HealthyThresholdCount", 2, 10)? {
        check.healthy_threshold = count;
    }
    if let Some(count) = ranged(params, "UnhealthyThresholdCount", 2, 10)? {
        check.unhealthy_threshold = count;
    }
    if let Some(code) = params.get("Matcher.HttpCode") {
        let valid = !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '-');
        if !valid {
            return Err(validation(
                "Matcher.HttpCode",
                code,
                "Member must be HTTP codes such as 200, 200,202 or 200-299.",
            ));
        }
        check.matcher = Some(code.to_owned());
    }
    if check.timeout_seconds >= check.interval_seconds {
        return Err(invalid(format!(
            "Health check timeout '{}' must be smaller than the interval '{}'; lower HealthCheckTimeoutSeconds or raise HealthCheckIntervalSeconds.",
            check.timeout_seconds, check.interval_seconds
        )));
    }
    Ok(())
}

/// `CreateTargetGroup`: a group of `instance` targets. Creating one with
/// the name and settings of an existing group returns that group, as in
/// AWS; another group's name with other settings is refused.
pub fn create(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let name = name_param(params, "Name", ElbNameKind::TargetGroup)?;
    let target_type = params.get("TargetType").unwrap_or("instance");
    if target_type != "instance" {
        return Err(validation(
            "TargetType",
            target_type,
            "Member must satisfy enum value set: [instance] (the local cloud's target groups hold EC2 instances).",
        ));
    }
    let protocol = required(params, "Protocol")?;
    if !PROTOCOLS.contains(&protocol) {
        return Err(validation(
            "Protocol",
            protocol,
            "Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE].",
        ));
    }
    let port = port_param(params, "Port")?.ok_or_else(|| {
        invalid("A port must be specified for a target group of instances; add Port (1 to 65535).")
    })?;
    let vpc_id = required(params, "VpcId")?;
    if !is_ec2_id(vpc_id, "vpc") {
        return Err(validation(
            "VpcId",
            vpc_id,
            "Member must be a VPC id, such as vpc-0123abcd.",
        ));
    }
    let protocol_version = match params.get("ProtocolVersion") {
        Some(version) if !is_http(protocol) => {
            return Err(invalid(format!(
                "A protocol version ('{version}') can only be given for HTTP and HTTPS target groups; leave it out."
            )));
        }
        Some(version) if matches!(version, "HTTP1" | "HTTP2" | "GRPC") => Some(version.to_owned()),
        Some(version) => {
            return Err(validation(
                "ProtocolVersion",
                version,
                "Member must be HTTP1, HTTP2 or GRPC.",
            ));
        }
        None => is_http(protocol).then(|| "HTTP1".to_owned()),
    };
    let mut health_check = default_health_check(protocol);
    apply_health_check(&mut health_check, params)?;
    let tags = tags_param(params)?;
    if let Some(existing) = state
        .target_groups
        .values()
        .find(|group| group.name == name)
    {
        let same = existing.protocol == protocol
            && existing.port == port
            && existing.vpc_id == vpc_id
            && existing.health_check == health_check;
        if !same {
            return Err(ApiError::new(
                "DuplicateTargetGroupName",
                format!(
                    "A target group with the same name '{name}' exists, but with different settings. Choose another name, or use the existing group."
                ),
            ));
        }
        return context.respond(&TargetGroupsResult {
            target_groups: std::iter::once(TargetGroupXml::new(state, existing)).collect(),
            next_marker: None,
        });
    }
    let arn = format!(
        "{}targetgroup/{name}/{}",
        context.arn_prefix(),
        random_hex_id()
    );
    let group = TargetGroup {
        arn: arn.clone(),
        name: name.to_owned(),
        protocol: protocol.to_owned(),
        port,
        vpc_id: vpc_id.to_owned(),
        target_type: target_type.to_owned(),
        protocol_version,
        health_check,
        attributes: default_attributes(protocol),
        targets: Vec::new(),
        in_use_since: None,
        created: context.now,
        tags,
    };
    let result = TargetGroupsResult {
        target_groups: std::iter::once(TargetGroupXml::new(state, &group)).collect(),
        next_marker: None,
    };
    state.target_groups.insert(arn, group);
    context.respond(&result)
}

/// `DescribeTargetGroups`: all, those of `LoadBalancerArn`, or those named
/// by `TargetGroupArns` or `Names` (every one must exist), paged.
pub fn describe(state: &Elbv2State, context: &Context, params: &Params) -> Answer {
    let arns = member_list(params, "TargetGroupArns")?;
    let names = member_list(params, "Names")?;
    let balancer = params.has("LoadBalancerArn");
    if [!arns.is_empty(), !names.is_empty(), balancer]
        .iter()
        .filter(|given| **given)
        .count()
        > 1
    {
        return Err(invalid(
            "Give only one of LoadBalancerArn, TargetGroupArns and Names.",
        ));
    }
    let of_balancer = if balancer {
        let balancer = balancer_param(state, params, "LoadBalancerArn")?;
        Some(
            state
                .listeners
                .values()
                .filter(|listener| listener.load_balancer_arn == balancer.arn)
                .flat_map(super::state::Listener::target_group_arns)
                .collect::<Vec<String>>(),
        )
    } else {
        None
    };
    for arn in &arns {
        check_arn("TargetGroupArns", arn)?;
    }
    let missing: Vec<&str> = arns
        .iter()
        .filter(|arn| !state.target_groups.contains_key(*arn))
        .chain(names.iter().filter(|name| {
            !state
                .target_groups
                .values()
                .any(|group| group.name == **name)
        }))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(not_found(&missing.join(", ")));
    }
    let chosen: Vec<(String, &TargetGroup)> = state
        .target_groups
        .values()
        .filter(|group| match &of_balancer {
            Some(used) => used.contains(&group.arn),
            None => {
                (arns.is_empty() && names.is_empty())
                    || arns.contains(&group.arn)
                    || names.contains(&group.name)
            }
        })
        .map(|group| (format!("{}/{}", group.name, group.arn), group))
        .collect();
    let scope = format!(
        "DescribeTargetGroups/{}/{}/{}",
        params.get("LoadBalancerArn").unwrap_or_default(),
        arns.join(","),
        names.join(",")
    );
    let (groups, next_marker) = page(&scope, chosen, params)?;
    context.respond(&TargetGroupsResult {
        target_groups: groups
            .into_iter()
            .map(|group| TargetGroupXml::new(state, group))
            .collect(),
        next_marker,
    })
}

/// `ModifyTargetGroup`: the health check settings.
pub fn modify(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let group = group_param(state, params, "TargetGroupArn")?;
    let arn = group.arn.clone();
    let mut check = group.health_check.clone();
    apply_health_check(&mut check, params)?;
    if let Some(group) = state.target_groups.get_mut(&arn) {
        group.health_check = check;
    }
    let group = state
        .target_groups
        .get(&arn)
        .ok_or_else(|| not_found(&arn))?;
    context.respond(&TargetGroupsResult {
        target_groups: std::iter::once(TargetGroupXml::new(state, group)).collect(),
        next_marker: None,
    })
}

/// `DeleteTargetGroup`: refused with `ResourceInUse` while a listener
/// forwards to it. Deleting one that does not exist succeeds, as in AWS.
pub fn delete(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let arn = required(params, "TargetGroupArn")?;
    check_arn("TargetGroupArn", arn)?;
    let listeners = state.listeners_forwarding_to(arn);
    if let Some(listener) = listeners.first() {
        return Err(ApiError::new(
            "ResourceInUse",
            format!(
                "Target group '{arn}' is currently in use by a listener or a rule ({listener}); change or delete the listener first."
            ),
        ));
    }
    state.target_groups.remove(arn);
    Ok(context.respond_empty())
}

/// The attributes of `group` as the responses show them.
fn attributes_xml(group: &TargetGroup) -> Members<AttributeXml> {
    group
        .attributes
        .iter()
        .map(|(key, value)| AttributeXml {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

/// `DescribeTargetGroupAttributes`.
pub fn describe_attributes(state: &Elbv2State, context: &Context, params: &Params) -> Answer {
    let group = group_param(state, params, "TargetGroupArn")?;
    context.respond(&AttributesResult {
        attributes: attributes_xml(group),
    })
}

/// Checks the value of the target group attribute `key`.
fn check_attribute(key: &str, value: &str) -> Result<(), ApiError> {
    let whole = |min: i64, max: i64| {
        value
            .parse::<i64>()
            .is_ok_and(|number| (min..=max).contains(&number))
    };
    let valid = match key {
        DEREGISTRATION_DELAY => whole(0, 3600),
        "slow_start.duration_seconds" => value == "0" || whole(30, 900),
        "stickiness.lb_cookie.duration_seconds" => whole(1, 604_800),
        "stickiness.type" => matches!(value, "lb_cookie" | "app_cookie" | "source_ip"),
        "load_balancing.algorithm.type" => {
            matches!(value, "round_robin" | "least_outstanding_requests")
        }
        _ => matches!(value, "true" | "false"),
    };
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "The value '{value}' of the target group attribute '{key}' is not valid; {}.",
            match key {
                DEREGISTRATION_DELAY => "give a number of seconds from 0 to 3600",
                "slow_start.duration_seconds" => "give 0, or a number of seconds from 30 to 900",
                "stickiness.lb_cookie.duration_seconds" =>
                    "give a number of seconds from 1 to 604800",
                "stickiness.type" => "give lb_cookie, app_cookie or source_ip",
                "load_balancing.algorithm.type" => "give round_robin or least_outstanding_requests",
                _ => "give true or false",
            }
        )))
    }
}

/// `ModifyTargetGroupAttributes`: changes the attributes given, each of
/// which the group must have.
pub fn modify_attributes(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let group = group_param(state, params, "TargetGroupArn")?;
    let arn = group.arn.clone();
    let members = params.nested("Attributes").members("member")?;
    if members.is_empty() {
        return Err(missing_attributes());
    }
    let mut attributes = group.attributes.clone();
    for member in &members {
        let key = required(member, "Key")?;
        let value = member.get("Value").unwrap_or_default();
        if !attributes.contains_key(key) {
            return Err(invalid(format!(
                "Target group attribute key '{key}' is not recognized; this target group has {}.",
                attributes.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        check_attribute(key, value)?;
        attributes.insert(key.to_owned(), value.to_owned());
    }
    let group = state
        .target_groups
        .get_mut(&arn)
        .ok_or_else(|| not_found(&arn))?;
    group.attributes = attributes;
    let result = AttributesResult {
        attributes: attributes_xml(group),
    };
    context.respond(&result)
}

/// The error for `ModifyTargetGroupAttributes` without attributes.
fn missing_attributes() -> ApiError {
    invalid(
        "1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null; add Attributes.member.1.Key and .Value.",
    )
}
