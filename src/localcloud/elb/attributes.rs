//! A classic load balancer's attributes: `DescribeLoadBalancerAttributes`
//! and `ModifyLoadBalancerAttributes` (connection draining, cross-zone
//! load balancing, the idle timeout; access logs stay off).

use serde::Serialize;

use super::load_balancers::balancer_param;
use super::state::{ClassicLoadBalancer, ElbState};
use crate::localcloud::elbv2::common::{Answer, Context, bool_param, invalid, ranged};
use crate::localcloud::protocol::query::Params;

/// The attributes as the responses show them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttributesXml {
    cross_zone_load_balancing: EnabledXml,
    access_log: EnabledXml,
    connection_draining: DrainingXml,
    connection_settings: SettingsXml,
}

/// An attribute that is on or off.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EnabledXml {
    enabled: bool,
}

/// Connection draining.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DrainingXml {
    enabled: bool,
    timeout: i64,
}

/// Connection settings.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SettingsXml {
    idle_timeout: i64,
}

impl AttributesXml {
    fn new(balancer: &ClassicLoadBalancer) -> Self {
        Self {
            cross_zone_load_balancing: EnabledXml {
                enabled: balancer.cross_zone,
            },
            access_log: EnabledXml { enabled: false },
            connection_draining: DrainingXml {
                enabled: balancer.connection_draining,
                timeout: balancer.connection_draining_timeout,
            },
            connection_settings: SettingsXml {
                idle_timeout: balancer.idle_timeout,
            },
        }
    }
}

/// The result of `DescribeLoadBalancerAttributes`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeResult {
    load_balancer_attributes: AttributesXml,
}

/// The result of `ModifyLoadBalancerAttributes`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyResult {
    load_balancer_name: String,
    load_balancer_attributes: AttributesXml,
}

/// `DescribeLoadBalancerAttributes`.
pub fn describe(state: &ElbState, context: &Context, params: &Params) -> Answer {
    let balancer = balancer_param(state, params)?;
    context.respond(&DescribeResult {
        load_balancer_attributes: AttributesXml::new(balancer),
    })
}

/// `ModifyLoadBalancerAttributes`: changes the attributes given.
pub fn modify(state: &mut ElbState, context: &Context, params: &Params) -> Answer {
    let mut balancer = balancer_param(state, params)?.clone();
    let attributes = params.nested("LoadBalancerAttributes");
    if let Some(enabled) = bool_param(&attributes, "ConnectionDraining.Enabled")? {
        balancer.connection_draining = enabled;
    }
    if let Some(timeout) = ranged(&attributes, "ConnectionDraining.Timeout", 1, 3600)? {
        balancer.connection_draining_timeout = timeout;
    }
    if let Some(enabled) = bool_param(&attributes, "CrossZoneLoadBalancing.Enabled")? {
        balancer.cross_zone = enabled;
    }
    if let Some(idle) = ranged(&attributes, "ConnectionSettings.IdleTimeout", 1, 4000)? {
        balancer.idle_timeout = idle;
    }
    if bool_param(&attributes, "AccessLog.Enabled")? == Some(true) {
        return Err(invalid(
            "The local cloud does not write access logs; set AccessLog.Enabled to false or leave it out.",
        ));
    }
    let result = ModifyResult {
        load_balancer_name: balancer.name.clone(),
        load_balancer_attributes: AttributesXml::new(&balancer),
    };
    state.load_balancers.insert(balancer.name.clone(), balancer);
    context.respond(&result)
}
