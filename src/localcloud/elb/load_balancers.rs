//! Classic load balancers: `CreateLoadBalancer`, `DescribeLoadBalancers`,
//! `DeleteLoadBalancer` and `ConfigureHealthCheck`.

use serde::Serialize;

use super::state::{ClassicHealthCheck, ClassicListener, ClassicLoadBalancer, ElbState};
use crate::domain::elb_names::ElbNameKind;
use crate::localcloud::elbv2::common::{
    Answer, Context, Members, invalid, is_ec2_id, member_list, missing, name_param, page,
    port_param, ranged, required, tags_param, validation, zone_of_subnet,
};
use crate::localcloud::elbv2::state::VPC_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The hosted zone of classic load balancers' DNS names.
const HOSTED_ZONE: &str = "Z35SXDOTRQ7X7K";

/// The error for a load balancer that does not exist.
pub fn not_found(name: &str) -> ApiError {
    ApiError::new(
        "LoadBalancerNotFound",
        format!(
            "There is no ACTIVE Load Balancer named '{name}'. Check the name with DescribeLoadBalancers."
        ),
    )
}

/// The load balancer named by `LoadBalancerName`.
pub fn balancer_param<'a>(
    state: &'a ElbState,
    params: &Params,
) -> Result<&'a ClassicLoadBalancer, ApiError> {
    let name = required(params, "LoadBalancerName")?;
    state
        .load_balancers
        .get(name)
        .ok_or_else(|| not_found(name))
}

/// A listener as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerXml {
    protocol: String,
    load_balancer_port: u16,
    instance_protocol: String,
    instance_port: u16,
    #[serde(rename = "SSLCertificateId", skip_serializing_if = "Option::is_none")]
    ssl_certificate_id: Option<String>,
}

/// A listener with its policies.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerDescriptionXml {
    listener: ListenerXml,
    policy_names: Members<String>,
}

/// A health check as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct HealthCheckXml {
    target: String,
    interval: i64,
    timeout: i64,
    unhealthy_threshold: i64,
    healthy_threshold: i64,
}

impl HealthCheckXml {
    fn new(check: &ClassicHealthCheck) -> Self {
        Self {
            target: check.target.clone(),
            interval: check.interval,
            timeout: check.timeout,
            unhealthy_threshold: check.unhealthy_threshold,
            healthy_threshold: check.healthy_threshold,
        }
    }
}

/// A registered instance.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceXml {
    /// The instance id.
    pub instance_id: String,
}

/// The security group the load balancer's traffic comes from.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SourceGroupXml {
    owner_alias: String,
    group_name: String,
}

/// A load balancer as `DescribeLoadBalancers` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescriptionXml {
    load_balancer_name: String,
    #[serde(rename = "DNSName")]
    dns_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical_hosted_zone_name: Option<String>,
    #[serde(rename = "CanonicalHostedZoneNameID")]
    canonical_hosted_zone_name_id: String,
    listener_descriptions: Members<ListenerDescriptionXml>,
    availability_zones: Members<String>,
    subnets: Members<String>,
    #[serde(rename = "VPCId")]
    vpc_id: String,
    instances: Members<InstanceXml>,
    health_check: HealthCheckXml,
    source_security_group: SourceGroupXml,
    security_groups: Members<String>,
    created_time: String,
    scheme: String,
}

impl DescriptionXml {
    fn new(balancer: &ClassicLoadBalancer) -> Self {
        Self {
            load_balancer_name: balancer.name.clone(),
            dns_name: balancer.dns_name.clone(),
            canonical_hosted_zone_name: (balancer.scheme == "internet-facing")
                .then(|| balancer.dns_name.clone()),
            canonical_hosted_zone_name_id: HOSTED_ZONE.to_owned(),
            listener_descriptions: balancer
                .listeners
                .iter()
                .map(|listener| ListenerDescriptionXml {
                    listener: ListenerXml {
                        protocol: listener.protocol.clone(),
                        load_balancer_port: listener.load_balancer_port,
                        instance_protocol: listener.instance_protocol.clone(),
                        instance_port: listener.instance_port,
                        ssl_certificate_id: listener.certificate.clone(),
                    },
                    policy_names: Members { member: Vec::new() },
                })
                .collect(),
            availability_zones: balancer.availability_zones.iter().cloned().collect(),
            subnets: balancer.subnets.iter().cloned().collect(),
            vpc_id: balancer.vpc_id.clone(),
            instances: balancer
                .instances
                .iter()
                .map(|member| InstanceXml {
                    instance_id: member.instance_id.clone(),
                })
                .collect(),
            health_check: HealthCheckXml::new(&balancer.health_check),
            source_security_group: SourceGroupXml {
                owner_alias: crate::localcloud::account::ACCOUNT_ID.to_owned(),
                group_name: "default_elb".to_owned(),
            },
            security_groups: balancer.security_groups.iter().cloned().collect(),
            created_time: balancer.created.to_iso8601(),
            scheme: balancer.scheme.clone(),
        }
    }
}

/// The result of `CreateLoadBalancer`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateResult {
    #[serde(rename = "DNSName")]
    dns_name: String,
}

/// The result of `DescribeLoadBalancers`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeResult {
    load_balancer_descriptions: Members<DescriptionXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
}

/// The result of `ConfigureHealthCheck`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct HealthCheckResult {
    health_check: HealthCheckXml,
}

/// A protocol of classic listeners, in upper case.
fn protocol(param: &str, value: &str) -> Result<String, ApiError> {
    let upper = value.to_ascii_uppercase();
    if matches!(upper.as_str(), "HTTP" | "HTTPS" | "TCP" | "SSL") {
        Ok(upper)
    } else {
        Err(validation(
            param,
            value,
            "Member must be HTTP, HTTPS, TCP or SSL.",
        ))
    }
}

/// The listeners of `Listeners.member.N`.
fn listeners_param(params: &Params) -> Result<Vec<ClassicListener>, ApiError> {
    let members = params.nested("Listeners").members("member")?;
    if members.is_empty() {
        return Err(invalid(
            "A load balancer needs at least one listener: add Listeners.member.1.Protocol, .LoadBalancerPort and .InstancePort.",
        ));
    }
    let mut listeners: Vec<ClassicListener> = Vec::with_capacity(members.len());
    for member in &members {
        let front = protocol("Listeners.member.Protocol", required(member, "Protocol")?)?;
        let load_balancer_port = port_param(member, "LoadBalancerPort")?
            .ok_or_else(|| missing("Listeners.member.N.LoadBalancerPort"))?;
        let instance_port = port_param(member, "InstancePort")?
            .ok_or_else(|| missing("Listeners.member.N.InstancePort"))?;
        let instance_protocol = match member.get("InstanceProtocol") {
            Some(value) => protocol("Listeners.member.InstanceProtocol", value)?,
            None => front.clone(),
        };
        let certificate = member.get("SSLCertificateId").map(str::to_owned);
        if matches!(front.as_str(), "HTTPS" | "SSL") && certificate.is_none() {
            return Err(invalid(format!(
                "A {front} listener needs a certificate: add Listeners.member.N.SSLCertificateId, or use {}.",
                if front == "HTTPS" { "HTTP" } else { "TCP" }
            )));
        }
        if listeners
            .iter()
            .any(|known| known.load_balancer_port == load_balancer_port)
        {
            return Err(ApiError::new(
                "DuplicateListener",
                format!(
                    "More than one listener uses port {load_balancer_port}; give each listener its own LoadBalancerPort."
                ),
            ));
        }
        listeners.push(ClassicListener {
            protocol: front,
            load_balancer_port,
            instance_protocol,
            instance_port,
            certificate,
        });
    }
    Ok(listeners)
}

/// `CreateLoadBalancer`: a classic load balancer in Availability Zones or
/// subnets, with its listeners. Its health check starts as AWS's
/// default: `TCP` to the first listener's instance port, every 30
/// seconds, in service after 10 passes.
pub fn create(state: &mut ElbState, context: &Context, params: &Params) -> Answer {
    let name = name_param(params, "LoadBalancerName", ElbNameKind::LoadBalancer)?;
    let listeners = listeners_param(params)?;
    let zones = member_list(params, "AvailabilityZones")?;
    let subnets = member_list(params, "Subnets")?;
    if zones.is_empty() && subnets.is_empty() {
        return Err(invalid(
            "Either AvailabilityZones or SubnetIds must be specified; add AvailabilityZones.member.1 or Subnets.member.1.",
        ));
    }
    if !zones.is_empty() && !subnets.is_empty() {
        return Err(invalid(
            "Give AvailabilityZones or Subnets, not both: a load balancer in subnets takes its zones from them.",
        ));
    }
    if let Some(zone) = zones.iter().find(|zone| {
        !zone.starts_with(context.region.as_str()) || zone.len() != context.region.len() + 1
    }) {
        return Err(invalid(format!(
            "The Availability Zone '{zone}' is not in the region {}; give zones such as {}a.",
            context.region, context.region
        )));
    }
    if let Some(subnet) = subnets.iter().find(|subnet| !is_ec2_id(subnet, "subnet")) {
        return Err(ApiError::new(
            "SubnetNotFound",
            format!(
                "The subnet ID '{subnet}' is not valid; give the id of a subnet, such as subnet-0123abcd."
            ),
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
    let scheme = params.get("Scheme").unwrap_or("internet-facing");
    if !matches!(scheme, "internet-facing" | "internal") {
        return Err(validation(
            "Scheme",
            scheme,
            "Member must be internet-facing or internal.",
        ));
    }
    let tags = tags_param(params)?;
    if state.load_balancers.contains_key(name) {
        return Err(ApiError::new(
            "DuplicateLoadBalancerName",
            format!(
                "The load balancer name '{name}' is already in use by this account. Choose another name, or delete the existing one first."
            ),
        ));
    }
    let internal = if scheme == "internal" {
        "internal-"
    } else {
        ""
    };
    let dns_name = format!(
        "{internal}{name}-{}.{}.elb.amazonaws.com",
        rand::random_range(100_000_000..2_000_000_000u32),
        context.region
    );
    let availability_zones = if subnets.is_empty() {
        zones
    } else {
        let mut zones: Vec<String> = subnets
            .iter()
            .map(|subnet| zone_of_subnet(&context.region, subnet))
            .collect();
        zones.sort();
        zones.dedup();
        zones
    };
    let first_port = listeners[0].instance_port;
    let balancer = ClassicLoadBalancer {
        name: name.to_owned(),
        dns_name: dns_name.clone(),
        scheme: scheme.to_owned(),
        created: context.now,
        listeners,
        availability_zones,
        subnets,
        security_groups,
        vpc_id: VPC_ID.to_owned(),
        health_check: ClassicHealthCheck {
            target: format!("TCP:{first_port}"),
            interval: 30,
            timeout: 5,
            unhealthy_threshold: 2,
            healthy_threshold: 10,
        },
        instances: Vec::new(),
        draining: Vec::new(),
        connection_draining: false,
        connection_draining_timeout: 300,
        cross_zone: false,
        idle_timeout: 60,
        tags,
    };
    state.load_balancers.insert(name.to_owned(), balancer);
    context.respond(&CreateResult { dns_name })
}

/// `DescribeLoadBalancers`: all, or those of `LoadBalancerNames` (every
/// one must exist), paged with `Marker` and `PageSize`.
pub fn describe(state: &ElbState, context: &Context, params: &Params) -> Answer {
    let names = member_list(params, "LoadBalancerNames")?;
    if let Some(missing) = names
        .iter()
        .find(|name| !state.load_balancers.contains_key(*name))
    {
        return Err(not_found(missing));
    }
    let chosen: Vec<(String, &ClassicLoadBalancer)> = state
        .load_balancers
        .values()
        .filter(|balancer| names.is_empty() || names.contains(&balancer.name))
        .map(|balancer| (balancer.name.clone(), balancer))
        .collect();
    let scope = format!("DescribeLoadBalancers/{}", names.join(","));
    let (balancers, next_marker) = page(&scope, chosen, params)?;
    context.respond(&DescribeResult {
        load_balancer_descriptions: balancers.into_iter().map(DescriptionXml::new).collect(),
        next_marker,
    })
}

/// `DeleteLoadBalancer`: deleting one that does not exist succeeds, as in
/// AWS.
pub fn delete(state: &mut ElbState, context: &Context, params: &Params) -> Answer {
    let name = required(params, "LoadBalancerName")?;
    state.load_balancers.remove(name);
    Ok(context.respond_empty())
}

/// Checks a health check target: `TCP:PORT`, `SSL:PORT`, or
/// `HTTP:PORT/PATH` / `HTTPS:PORT/PATH`.
fn check_target(target: &str) -> Result<(), ApiError> {
    let valid = target.split_once(':').is_some_and(|(protocol, rest)| {
        let (port, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], Some(&rest[slash..])),
            None => (rest, None),
        };
        let port_ok = port.parse::<u16>().is_ok_and(|port| port >= 1);
        match protocol {
            "TCP" | "SSL" => port_ok && path.is_none(),
            "HTTP" | "HTTPS" => port_ok && path.is_some(),
            _ => false,
        }
    });
    if valid {
        Ok(())
    } else {
        Err(validation(
            "HealthCheck.Target",
            target,
            "Member must be TCP:PORT, SSL:PORT, HTTP:PORT/PATH or HTTPS:PORT/PATH, such as HTTP:80/health.",
        ))
    }
}

/// `ConfigureHealthCheck`: replaces the load balancer's health check.
pub fn configure_health_check(state: &mut ElbState, context: &Context, params: &Params) -> Answer {
    let name = balancer_param(state, params)?.name.clone();
    let check = params.nested("HealthCheck");
    let target = required(&check, "Target").map_err(|_| missing("HealthCheck.Target"))?;
    check_target(target)?;
    let need = |name: &str, min: i64, max: i64| -> Result<i64, ApiError> {
        ranged(&check, name, min, max)?.ok_or_else(|| missing(&format!("HealthCheck.{name}")))
    };
    let health_check = ClassicHealthCheck {
        target: target.to_owned(),
        interval: need("Interval", 5, 300)?,
        timeout: need("Timeout", 2, 60)?,
        unhealthy_threshold: need("UnhealthyThreshold", 2, 10)?,
        healthy_threshold: need("HealthyThreshold", 2, 10)?,
    };
    if health_check.timeout >= health_check.interval {
        return Err(invalid(format!(
            "The health check timeout ({}) must be less than the interval ({}); lower the timeout or raise the interval.",
            health_check.timeout, health_check.interval
        )));
    }
    let result = HealthCheckResult {
        health_check: HealthCheckXml::new(&health_check),
    };
    if let Some(balancer) = state.load_balancers.get_mut(&name) {
        balancer.health_check = health_check;
    }
    context.respond(&result)
}
