//! Listeners: `CreateListener`, `DescribeListeners`, `ModifyListener` and
//! `DeleteListener`, with `forward` default actions to one target group or
//! to several with weights (`ForwardConfig.TargetGroups`).

use serde::Serialize;

use super::common::{
    Answer, Context, Members, bool_param, invalid, member_list, page, port_param, random_hex_id,
    ranged, required, validation,
};
use super::load_balancers::{self, balancer_param};
use super::state::{Elbv2State, ForwardAction, Listener, LoadBalancer, WeightedTargetGroup};
use super::target_groups;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The most target groups one forward action may name.
const MAX_FORWARD_TARGET_GROUPS: usize = 5;

/// A listener as the responses show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListenerXml {
    listener_arn: String,
    load_balancer_arn: String,
    port: u16,
    protocol: String,
    default_actions: Members<ActionXml>,
}

/// A forward action as the responses show it: `TargetGroupArn` when it
/// forwards to one group, and the `ForwardConfig` always.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ActionXml {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<i64>,
    forward_config: ForwardConfigXml,
}

/// The target groups of a forward action.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ForwardConfigXml {
    target_groups: Members<WeightXml>,
    target_group_stickiness_config: StickinessXml,
}

/// A target group with its weight.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct WeightXml {
    target_group_arn: String,
    weight: u32,
}

/// Target group stickiness.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct StickinessXml {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<i64>,
}

impl ListenerXml {
    fn new(listener: &Listener) -> Self {
        Self {
            listener_arn: listener.arn.clone(),
            load_balancer_arn: listener.load_balancer_arn.clone(),
            port: listener.port,
            protocol: listener.protocol.clone(),
            default_actions: listener
                .actions
                .iter()
                .map(|action| ActionXml {
                    kind: "forward".to_owned(),
                    target_group_arn: match action.target_groups.as_slice() {
                        [one] => Some(one.arn.clone()),
                        _ => None,
                    },
                    order: action.order,
                    forward_config: ForwardConfigXml {
                        target_groups: action
                            .target_groups
                            .iter()
                            .map(|group| WeightXml {
                                target_group_arn: group.arn.clone(),
                                weight: group.weight,
                            })
                            .collect(),
                        target_group_stickiness_config: StickinessXml {
                            enabled: action.stickiness,
                            duration_seconds: action.stickiness_seconds,
                        },
                    },
                })
                .collect(),
        }
    }
}

/// The result of the operations that return listeners.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListenersResult {
    listeners: Members<ListenerXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
}

/// The error for a listener that does not exist.
fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        "ListenerNotFound",
        format!("One or more listeners not found: {arn}. Check the ARNs with DescribeListeners."),
    )
}

/// Checks that `arn` has the form of a listener's ARN.
fn check_arn(param: &str, arn: &str) -> Result<(), ApiError> {
    let valid = arn.starts_with("arn:aws:elasticloadbalancing:")
        && arn
            .split(':')
            .nth(5)
            .is_some_and(|resource| resource.starts_with("listener/"));
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{arn}' at '{param}' is not a valid listener ARN; give an ARN such as arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/my-lb/50dc6c495c0c9188/f2f7dc8efc522ab2."
        )))
    }
}

/// The listener whose ARN is `ListenerArn`.
fn listener_param<'a>(state: &'a Elbv2State, params: &Params) -> Result<&'a Listener, ApiError> {
    let arn = required(params, "ListenerArn")?;
    check_arn("ListenerArn", arn)?;
    state.listeners.get(arn).ok_or_else(|| not_found(arn))
}

/// The protocol `Protocol` for a listener of `balancer`.
fn protocol_param(balancer: &LoadBalancer, params: &Params) -> Result<Option<String>, ApiError> {
    let Some(protocol) = params.get("Protocol") else {
        return Ok(None);
    };
    if !balancer.kind.protocols().contains(&protocol) {
        return Err(ApiError::new(
            "UnsupportedProtocol",
            format!(
                "The protocol '{protocol}' is not supported by {} load balancers; use {}.",
                balancer.kind.name(),
                balancer.kind.protocols().join(" or ")
            ),
        ));
    }
    if matches!(protocol, "HTTPS" | "TLS") && !params.has("Certificates") {
        return Err(invalid(format!(
            "A certificate must be specified for {protocol} listeners; add Certificates.member.1.CertificateArn, or use {}.",
            if protocol == "HTTPS" { "HTTP" } else { "TCP" }
        )));
    }
    Ok(Some(protocol.to_owned()))
}

/// The default actions of `params` for a listener of `balancer`: each a
/// forward action whose target groups exist, suit the load balancer's
/// type and are used by no other load balancer.
fn actions_param(
    state: &Elbv2State,
    balancer: &LoadBalancer,
    params: &Params,
) -> Result<Vec<ForwardAction>, ApiError> {
    let members = params.nested("DefaultActions").members("member")?;
    if members.is_empty() {
        return Err(invalid(
            "A listener needs a default action: add DefaultActions.member.1.Type=forward with a TargetGroupArn or a ForwardConfig.",
        ));
    }
    if members.len() > 1 {
        return Err(ApiError::new(
            "TooManyActions",
            "A listener of the local cloud takes one default action, a forward action; give one.",
        ));
    }
    let mut actions = Vec::with_capacity(members.len());
    for action in &members {
        let kind = required(action, "Type")?;
        if kind != "forward" {
            return Err(validation(
                "DefaultActions.member.Type",
                kind,
                "Member must be forward (the local cloud's listeners forward to target groups).",
            ));
        }
        let order = ranged(action, "Order", 1, 50_000)?;
        let single = action.get("TargetGroupArn");
        let config = action.nested("ForwardConfig");
        let mut groups: Vec<WeightedTargetGroup> = Vec::new();
        for member in config.nested("TargetGroups").members("member")? {
            let arn = required(&member, "TargetGroupArn")?;
            let weight = ranged(&member, "Weight", 0, 999)?.unwrap_or(1);
            if groups.iter().any(|known| known.arn == arn) {
                return Err(invalid(format!(
                    "The target group {arn} is given twice in the forward action; give each target group once."
                )));
            }
            groups.push(WeightedTargetGroup {
                arn: arn.to_owned(),
                weight: u32::try_from(weight).unwrap_or(1),
            });
        }
        match (single, groups.as_slice()) {
            (None, []) => {
                return Err(invalid(
                    "A forward action needs a TargetGroupArn or ForwardConfig.TargetGroups; add one.",
                ));
            }
            (Some(arn), []) => groups.push(WeightedTargetGroup {
                arn: arn.to_owned(),
                weight: 1,
            }),
            (Some(arn), [only]) if only.arn == arn => {}
            (Some(_), _) => {
                return Err(ApiError::new(
                    "InvalidLoadBalancerAction",
                    "With both TargetGroupArn and ForwardConfig, the ForwardConfig may name only that one target group; give one or the other.",
                ));
            }
            (None, _) => {}
        }
        if groups.len() > MAX_FORWARD_TARGET_GROUPS {
            return Err(ApiError::new(
                "TooManyTargetGroups",
                format!(
                    "A forward action may name at most {MAX_FORWARD_TARGET_GROUPS} target groups; it names {}.",
                    groups.len()
                ),
            ));
        }
        for weighted in &groups {
            target_groups::check_arn("TargetGroupArn", &weighted.arn)?;
            let group = state
                .target_groups
                .get(&weighted.arn)
                .ok_or_else(|| target_groups::not_found(&weighted.arn))?;
            if !balancer.kind.protocols().contains(&group.protocol.as_str()) {
                return Err(ApiError::new(
                    "IncompatibleProtocols",
                    format!(
                        "The target group {} uses {}, which a {} load balancer cannot forward to; use a target group of {}.",
                        group.name,
                        group.protocol,
                        balancer.kind.name(),
                        balancer.kind.protocols().join(" or ")
                    ),
                ));
            }
            if let Some(other) = state
                .load_balancers_of(&group.arn)
                .into_iter()
                .find(|other| *other != balancer.arn)
            {
                return Err(ApiError::new(
                    "TargetGroupAssociationLimit",
                    format!(
                        "The following target groups cannot be associated with more than one load balancer: {} (already used by {other}). Use another target group.",
                        group.arn
                    ),
                ));
            }
        }
        let stickiness = config.nested("TargetGroupStickinessConfig");
        actions.push(ForwardAction {
            order,
            target_groups: groups,
            stickiness: bool_param(&stickiness, "Enabled")?.unwrap_or(false),
            stickiness_seconds: ranged(&stickiness, "DurationSeconds", 1, 604_800)?,
        });
    }
    Ok(actions)
}

/// Refuses a listener on `port` of `balancer` when another listener
/// (other than `except`) has that port.
fn check_port_free(
    state: &Elbv2State,
    balancer: &str,
    port: u16,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let taken = state.listeners.values().any(|listener| {
        listener.load_balancer_arn == balancer
            && listener.port == port
            && Some(listener.arn.as_str()) != except
    });
    if taken {
        return Err(ApiError::new(
            "DuplicateListener",
            format!(
                "A listener already exists on port {port} of this load balancer; choose another port or change that listener."
            ),
        ));
    }
    Ok(())
}

/// `CreateListener`.
pub fn create(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let balancer = balancer_param(state, params, "LoadBalancerArn")?;
    let protocol = protocol_param(balancer, params)?.ok_or_else(|| {
        invalid(format!(
            "A protocol must be specified for a listener; add Protocol ({}).",
            balancer.kind.protocols().join(" or ")
        ))
    })?;
    let port = port_param(params, "Port")?.ok_or_else(|| {
        invalid("A port must be specified for a listener; add Port (1 to 65535).")
    })?;
    let actions = actions_param(state, balancer, params)?;
    check_port_free(state, &balancer.arn, port, None)?;
    let arn = format!(
        "{}/{}",
        balancer.arn.replacen(":loadbalancer/", ":listener/", 1),
        random_hex_id()
    );
    let listener = Listener {
        arn: arn.clone(),
        load_balancer_arn: balancer.arn.clone(),
        protocol,
        port,
        actions,
    };
    let result = ListenersResult {
        listeners: std::iter::once(ListenerXml::new(&listener)).collect(),
        next_marker: None,
    };
    state.listeners.insert(arn, listener);
    state.note_listeners(context.now);
    context.respond(&result)
}

/// `DescribeListeners`: those of `LoadBalancerArn`, or those named by
/// `ListenerArns`, paged.
pub fn describe(state: &Elbv2State, context: &Context, params: &Params) -> Answer {
    let arns = member_list(params, "ListenerArns")?;
    let chosen: Vec<(String, &Listener)> = if params.has("LoadBalancerArn") {
        if !arns.is_empty() {
            return Err(invalid(
                "Give either LoadBalancerArn or ListenerArns, not both.",
            ));
        }
        let balancer = balancer_param(state, params, "LoadBalancerArn")?;
        state
            .listeners
            .values()
            .filter(|listener| listener.load_balancer_arn == balancer.arn)
            .map(|listener| (format!("{:05}/{}", listener.port, listener.arn), listener))
            .collect()
    } else if arns.is_empty() {
        return Err(invalid(
            "Give a LoadBalancerArn or ListenerArns to say which listeners to describe.",
        ));
    } else {
        let mut found = Vec::with_capacity(arns.len());
        for arn in &arns {
            check_arn("ListenerArns", arn)?;
            let listener = state.listeners.get(arn).ok_or_else(|| not_found(arn))?;
            found.push((format!("{:05}/{}", listener.port, listener.arn), listener));
        }
        found
    };
    let scope = format!(
        "DescribeListeners/{}/{}",
        params.get("LoadBalancerArn").unwrap_or_default(),
        arns.join(",")
    );
    let (listeners, next_marker) = page(&scope, chosen, params)?;
    context.respond(&ListenersResult {
        listeners: listeners.into_iter().map(ListenerXml::new).collect(),
        next_marker,
    })
}

/// `ModifyListener`: its port, protocol or default actions (a blue/green
/// reroute changes the weights here).
pub fn modify(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let listener = listener_param(state, params)?.clone();
    let balancer = state
        .load_balancers
        .get(&listener.load_balancer_arn)
        .ok_or_else(|| load_balancers::not_found(&listener.load_balancer_arn))?;
    let protocol = protocol_param(balancer, params)?.unwrap_or(listener.protocol.clone());
    let port = port_param(params, "Port")?.unwrap_or(listener.port);
    let actions = if params.has("DefaultActions") {
        actions_param(state, balancer, params)?
    } else {
        listener.actions.clone()
    };
    check_port_free(state, &balancer.arn, port, Some(&listener.arn))?;
    let changed = Listener {
        protocol,
        port,
        actions,
        ..listener
    };
    let result = ListenersResult {
        listeners: std::iter::once(ListenerXml::new(&changed)).collect(),
        next_marker: None,
    };
    state.listeners.insert(changed.arn.clone(), changed);
    state.note_listeners(context.now);
    context.respond(&result)
}

/// `DeleteListener`.
pub fn delete(state: &mut Elbv2State, context: &Context, params: &Params) -> Answer {
    let arn = listener_param(state, params)?.arn.clone();
    state.listeners.remove(&arn);
    state.note_listeners(context.now);
    Ok(context.respond_empty())
}
