//! Load balancers: `CreateLoadBalancer`, `DescribeLoadBalancers` and
//! `DeleteLoadBalancer`.

use serde::Serialize;

use super::common::{
    Answer, Context, Members, invalid, is_ec2_id, member_list, name_param, page, random_hex_id,
    tags_param, validation, zone_of_subnet,
};
use super::state::{Elbv2State, LoadBalancer, LoadBalancerType, VPC_ID};
use crate::domain::elb_names::ElbNameKind;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The hosted zone of application load balancers' DNS names.
const APPLICATION_ZONE: &str = "Z35SXDOTRQ7X7K";
/// The hosted zone of network load balancers' DNS names.
const NETWORK_ZONE: &str = "Z26RNL4JYFTOTI";

/// A load balancer as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerXml {
    load_balancer_arn: String,
    #[serde(rename = "DNSName")]
    dns_name: String,
    canonical_hosted_zone_id: String,
    created_time: String,
    load_balancer_name: String,
    scheme: String,
    vpc_id: String,
    state: StateXml,
    #[serde(rename = "Type")]
    kind: String,
    availability_zones: Members<ZoneXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    security_groups: Option<Members<String>>,
    ip_address_type: String,
}

/// A load balancer's state.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct StateXml {
    code: String,
}

/// A subnet of a load balancer with its zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ZoneXml {
    zone_name: String,
    subnet_id: String,
}

impl LoadBalancerXml {
    /// `balancer` as the responses show it.
    pub fn new(balancer: &LoadBalancer) -> Self {
        Self {
            load_balancer_arn: balancer.arn.clone(),
            dns_name: balancer.dns_name.clone(),
            canonical_hosted_zone_id: match balancer.kind {
                LoadBalancerType::Application => APPLICATION_ZONE,
                LoadBalancerType::Network => NETWORK_ZONE,
            }
            .to_owned(),
            created_time: balancer.created.to_iso8601(),
            load_balancer_name: balancer.name.clone(),
            scheme: balancer.scheme.clone(),
            vpc_id: balancer.vpc_id.clone(),
            state: StateXml {
                code: "active".to_owned(),
            },
            kind: balancer.kind.name().to_owned(),
            availability_zones: balancer
                .subnets
                .iter()
                .map(|(subnet, zone)| ZoneXml {
                    zone_name: zone.clone(),
                    subnet_id: subnet.clone(),
                })
                .collect(),
            security_groups: (balancer.kind == LoadBalancerType::Application)
                .then(|| balancer.security_groups.iter().cloned().collect()),
            ip_address_type: balancer.ip_address_type.clone(),
        }
    }
}

/// The result of `CreateLoadBalancer` and `DescribeLoadBalancers`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoadBalancersResult {
    load_balancers: Members<LoadBalancerXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
}

/// The error for a load balancer that does not exist.
pub fn not_found(what: &str) -> ApiError {
    ApiError::new(
        "LoadBalancerNotFound",
        format!(
            "One or more load balancers not found: {what}. Check the names or ARNs with DescribeLoadBalancers."
        ),
    )
}

/// Checks that `arn` has the form of a load balancer's ARN.
pub fn check_arn(param: &str, arn: &str) -> Result<(), ApiError> {
    let valid = arn.starts_with("arn:aws:elasticloadbalancing:")
        && arn
            .split(':')
            .nth(5)
            .is_some_and(|resource| resource.starts_with("loadbalancer/"));
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{arn}' at '{param}' is not a valid load balancer ARN; give an ARN such as arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb/50dc6c495c0c9188."
        )))
    }
}

/// The load balancer whose ARN is in the parameter `param`.
pub fn balancer_param<'a>(
    state: &'a Elbv2State,
    params: &Params,
    param: &str,
) -> Result<&'a LoadBalancer, ApiError> {
    let arn = super::common::required(params, param)?;
    check_arn(param, arn)?;
    state.load_balancers.get(arn).ok_or_else(|| not_found(arn))
}

/// `CreateLoadBalancer`: an application or network load balancer in the
/// subnets given (at least two for an application load balancer). The
/// same request again returns the same load balancer, as in AWS; its name
/// with other settings is refused.
pub fn create(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let name = name_param(params, "Name", ElbNameKind::LoadBalancer)?;
    let kind = match params.get("Type").unwrap_or("application") {
        "application" => LoadBalancerType::Application,
        "network" => LoadBalancerType::Network,
        other => {
            return Err(validation(
                "Type",
                other,
                "Member must satisfy enum value set: [application, network] (the local cloud has no gateway load balancers).",
            ));
        }
    };
    let scheme = params.get("Scheme").unwrap_or("internet-facing");
    if !matches!(scheme, "internet-facing" | "internal") {
        return Err(validation(
            "Scheme",
            scheme,
            "Member must satisfy enum value set: [internet-facing, internal].",
        ));
    }
    let ip_address_type = params.get("IpAddressType").unwrap_or("ipv4");
    if !matches!(ip_address_type, "ipv4" | "dualstack") {
        return Err(validation(
            "IpAddressType",
            ip_address_type,
            "Member must satisfy enum value set: [ipv4, dualstack].",
        ));
    }
    let mut subnets = member_list(params, "Subnets")?;
    for mapping in params.nested("SubnetMappings").members("member")? {
        subnets.push(super::common::required(&mapping, "SubnetId")?.to_owned());
    }
    if subnets.is_empty() {
        return Err(invalid(
            "A load balancer needs subnets: give Subnets (or SubnetMappings), two or more in different Availability Zones for an application load balancer.",
        ));
    }
    for subnet in &subnets {
        if !is_ec2_id(subnet, "subnet") {
            return Err(ApiError::new(
                "SubnetNotFound",
                format!(
                    "The subnet ID '{subnet}' is not valid; give the id of a subnet, such as subnet-0123abcd."
                ),
            ));
        }
    }
    let mut distinct = subnets.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != subnets.len() {
        return Err(invalid(
            "A subnet is given more than once; give each subnet once.",
        ));
    }
    if kind == LoadBalancerType::Application && subnets.len() < 2 {
        return Err(invalid(
            "At least two subnets in two different Availability Zones must be specified for an application load balancer.",
        ));
    }
    let security_groups = member_list(params, "SecurityGroups")?;
    if let Some(group) = security_groups.iter().find(|group| !is_ec2_id(group, "sg")) {
        return Err(ApiError::new(
            "InvalidSecurityGroup",
            format!(
                "The security group '{group}' is not valid; give the id of a security group, such as sg-0123abcd."
            ),
        ));
    }
    let tags = tags_param(params)?;
    if let Some(existing) = state
        .load_balancers
        .values()
        .find(|known| known.name == name)
    {
        let existing_subnets: Vec<&String> =
            existing.subnets.iter().map(|(subnet, _)| subnet).collect();
        let same = existing.kind == kind
            && existing.scheme == scheme
            && existing_subnets == subnets.iter().collect::<Vec<_>>();
        if !same {
            return Err(ApiError::new(
                "DuplicateLoadBalancerName",
                format!(
                    "A load balancer with the name '{name}' already exists with other settings. Choose another name, or delete the existing one first."
                ),
            ));
        }
        // The same request again answers with the same load balancer, as
        // AWS does.
        return context.respond(&LoadBalancersResult {
            load_balancers: std::iter::once(LoadBalancerXml::new(existing)).collect(),
            next_marker: None,
        });
    }
    let id = random_hex_id();
    let arn = format!(
        "{}loadbalancer/{}/{name}/{id}",
        context.arn_prefix(),
        kind.arn_part()
    );
    let internal = if scheme == "internal" {
        "internal-"
    } else {
        ""
    };
    let dns_name = match kind {
        LoadBalancerType::Application => format!(
            "{internal}{name}-{}.{}.elb.amazonaws.com",
            u64::from_str_radix(&id[..8], 16).unwrap_or(0) % 10_000_000_000,
            context.region
        ),
        LoadBalancerType::Network => format!(
            "{internal}{name}-{}.elb.{}.amazonaws.com",
            &id[..10],
            context.region
        ),
    };
    let balancer = LoadBalancer {
        arn: arn.clone(),
        name: name.to_owned(),
        kind,
        scheme: scheme.to_owned(),
        vpc_id: VPC_ID.to_owned(),
        subnets: subnets
            .iter()
            .map(|subnet| (subnet.clone(), zone_of_subnet(&context.region, subnet)))
            .collect(),
        security_groups,
        ip_address_type: ip_address_type.to_owned(),
        dns_name,
        created: context.now,
        tags,
    };
    let result = LoadBalancersResult {
        load_balancers: std::iter::once(LoadBalancerXml::new(&balancer)).collect(),
        next_marker: None,
    };
    state.load_balancers.insert(arn, balancer);
    context.respond(&result)
}

/// `DescribeLoadBalancers`: all, or those named by `LoadBalancerArns` or
/// `Names` (every one must exist), paged with `Marker` and `PageSize`.
pub fn describe(state: &Elbv2State, context: &Context, params: &Params) -> Answer {
    let arns = member_list(params, "LoadBalancerArns")?;
    let names = member_list(params, "Names")?;
    if !arns.is_empty() && !names.is_empty() {
        return Err(invalid(
            "Load balancer names and load balancer ARNs cannot be specified at the same time; give one or the other.",
        ));
    }
    for arn in &arns {
        check_arn("LoadBalancerArns", arn)?;
    }
    let missing: Vec<&str> = arns
        .iter()
        .filter(|arn| !state.load_balancers.contains_key(*arn))
        .chain(names.iter().filter(|name| {
            !state
                .load_balancers
                .values()
                .any(|balancer| balancer.name == **name)
        }))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(not_found(&missing.join(", ")));
    }
    let chosen: Vec<(String, &LoadBalancer)> = state
        .load_balancers
        .values()
        .filter(|balancer| {
            (arns.is_empty() && names.is_empty())
                || arns.contains(&balancer.arn)
                || names.contains(&balancer.name)
        })
        .map(|balancer| (balancer.name.clone(), balancer))
        .collect();
    let scope = format!(
        "DescribeLoadBalancers/{}/{}",
        arns.join(","),
        names.join(",")
    );
    let (balancers, next_marker) = page(&scope, chosen, params)?;
    context.respond(&LoadBalancersResult {
        load_balancers: balancers.into_iter().map(LoadBalancerXml::new).collect(),
        next_marker,
    })
}

/// `DeleteLoadBalancer`: the load balancer and its listeners. Deleting one
/// that does not exist succeeds, as in AWS.
pub fn delete(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let arn = super::common::required(params, "LoadBalancerArn")?;
    check_arn("LoadBalancerArn", arn)?;
    if state.load_balancers.remove(arn).is_some() {
        let listeners: Vec<String> = state
            .listeners
            .values()
            .filter(|listener| listener.load_balancer_arn == arn)
            .map(|listener| listener.arn.clone())
            .collect();
        for listener in listeners {
            state.listeners.remove(&listener);
        }
        state.note_listeners(context.now);
    }
    Ok(context.respond_empty())
}
