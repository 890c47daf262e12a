//! Lifecycle hooks and their actions: `PutLifecycleHook`,
//! `DescribeLifecycleHooks`, `DeleteLifecycleHook`,
//! `CompleteLifecycleAction` and `RecordLifecycleActionHeartbeat`.
//!
//! A hook holds each instance that launches (or terminates) in a wait
//! state with an open lifecycle action, until the action is completed or
//! times out (see [`super::state`]).

use serde::Serialize;

use super::common::{
    Answer, Context, Members, constraint, group_param, limit_exceeded, member_list, required,
    validation,
};
use super::state::{
    ActionResult, AutoScalingState, LAUNCHING, LifecycleAction, LifecycleHook, TERMINATING,
};
use crate::localcloud::ec2::Ec2State;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::Params;

/// The most hooks a group may have.
pub const MAX_HOOKS: usize = 50;
/// The shortest heartbeat timeout, in seconds.
pub const MIN_HEARTBEAT: i64 = 30;
/// The longest heartbeat timeout, in seconds.
pub const MAX_HEARTBEAT: i64 = 7200;
/// The heartbeat timeout of a hook that names none, in seconds.
pub const DEFAULT_HEARTBEAT: i64 = 3600;
/// The longest notification metadata.
pub const MAX_METADATA: usize = 4000;

/// Checks a hook name given in `param`: 1 to 255 letters, digits and
/// `-_/`.
pub fn check_hook_name(param: &str, name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.chars().count() > 255 {
        return Err(constraint(
            param,
            name,
            "Member must have length between 1 and 255.",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'))
    {
        return Err(constraint(
            param,
            name,
            "Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+ (letters, digits, -, _ and / only).",
        ));
    }
    Ok(())
}

/// Reads a hook from `params` (the members of `PutLifecycleHook` or of one
/// `LifecycleHookSpecificationList` entry). `existing` is the hook being
/// replaced, whose settings stay where the request gives none.
pub fn read_hook(
    params: &Params,
    existing: Option<&LifecycleHook>,
) -> Result<LifecycleHook, ApiError> {
    let name = required(params, "LifecycleHookName")?;
    check_hook_name("LifecycleHookName", name)?;
    let transition = match (params.get("LifecycleTransition"), existing) {
        (Some(transition), _) => {
            if transition != LAUNCHING && transition != TERMINATING {
                return Err(validation(format!(
                    "Invalid Lifecycle Transition: {transition}; use {LAUNCHING} or {TERMINATING}."
                )));
            }
            transition.to_owned()
        }
        (None, Some(existing)) => existing.transition.clone(),
        (None, None) => {
            return Err(validation(
                "The LifecycleTransition is required when creating a lifecycle hook; give autoscaling:EC2_INSTANCE_LAUNCHING or autoscaling:EC2_INSTANCE_TERMINATING.",
            ));
        }
    };
    let heartbeat_timeout = match params.get("HeartbeatTimeout") {
        None => existing.map_or(DEFAULT_HEARTBEAT, |hook| hook.heartbeat_timeout),
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|seconds| (MIN_HEARTBEAT..=MAX_HEARTBEAT).contains(seconds))
            .ok_or_else(|| {
                validation(format!(
                    "Heartbeat timeout {text} is not valid; give a number of seconds from {MIN_HEARTBEAT} to {MAX_HEARTBEAT}."
                ))
            })?,
    };
    let default_result = match params.get("DefaultResult") {
        None => existing.map_or(ActionResult::Abandon, |hook| hook.default_result),
        Some(text) => ActionResult::parse(text).ok_or_else(|| {
            validation(format!(
                "Invalid default result {text}; use CONTINUE or ABANDON."
            ))
        })?,
    };
    let notification_metadata = match params.get("NotificationMetadata") {
        Some(text) if text.is_empty() || text.chars().count() > MAX_METADATA => {
            return Err(constraint(
                "NotificationMetadata",
                text,
                &format!("Member must have length between 1 and {MAX_METADATA}."),
            ));
        }
        Some(text) => Some(text.to_owned()),
        None => existing.and_then(|hook| hook.notification_metadata.clone()),
    };
    let arn = |name: &str, kept: Option<&String>| -> Result<Option<String>, ApiError> {
        match params.get(name) {
            Some(text) if !text.starts_with("arn:") => Err(validation(format!(
                "The {name} {text} is not an ARN; give an ARN such as arn:aws:sns:us-east-1:000000000000:topic."
            ))),
            Some(text) => Ok(Some(text.to_owned())),
            None => Ok(kept.cloned()),
        }
    };
    Ok(LifecycleHook {
        name: name.to_owned(),
        transition,
        heartbeat_timeout,
        default_result,
        notification_target_arn: arn(
            "NotificationTargetARN",
            existing.and_then(|hook| hook.notification_target_arn.as_ref()),
        )?,
        role_arn: arn("RoleARN", existing.and_then(|hook| hook.role_arn.as_ref()))?,
        notification_metadata,
    })
}

/// A hook as `DescribeLifecycleHooks` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct HookXml {
    lifecycle_hook_name: String,
    auto_scaling_group_name: String,
    lifecycle_transition: String,
    #[serde(
        rename = "NotificationTargetARN",
        skip_serializing_if = "Option::is_none"
    )]
    notification_target_arn: Option<String>,
    #[serde(rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification_metadata: Option<String>,
    heartbeat_timeout: i64,
    global_timeout: i64,
    default_result: &'static str,
}

/// The result of `DescribeLifecycleHooks`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeHooksResult {
    lifecycle_hooks: Members<HookXml>,
}

/// An empty result, as the hook operations answer.
#[derive(Serialize)]
struct Empty {}

/// `PutLifecycleHook`: creates or replaces a hook of a group.
pub fn put(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let group = group_param(autoscaling, params)?;
    let name = required(params, "LifecycleHookName")?;
    let existing = group.hooks.get(name);
    let hook = read_hook(params, existing)?;
    if existing.is_none() && group.hooks.len() >= MAX_HOOKS {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for LifecycleHooksPerAutoScalingGroup: {MAX_HOOKS}; delete a hook with DeleteLifecycleHook first."
        )));
    }
    let group = group.name.clone();
    autoscaling
        .put_hook(&group, hook)
        .map_err(|error| validation(error.to_string()))?;
    context.respond(&Empty {})
}

/// `DescribeLifecycleHooks`: a group's hooks, all or those named.
pub fn describe(
    autoscaling: &AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let group = group_param(autoscaling, params)?;
    let names = member_list(params, "LifecycleHookNames")?;
    if names.len() > MAX_HOOKS {
        return Err(constraint(
            "LifecycleHookNames",
            &names.len().to_string(),
            &format!("Member must have length less than or equal to {MAX_HOOKS}."),
        ));
    }
    context.respond(&DescribeHooksResult {
        lifecycle_hooks: group
            .hooks
            .values()
            .filter(|hook| names.is_empty() || names.contains(&hook.name))
            .map(|hook| HookXml {
                lifecycle_hook_name: hook.name.clone(),
                auto_scaling_group_name: group.name.clone(),
                lifecycle_transition: hook.transition.clone(),
                notification_target_arn: hook.notification_target_arn.clone(),
                role_arn: hook.role_arn.clone(),
                notification_metadata: hook.notification_metadata.clone(),
                heartbeat_timeout: hook.heartbeat_timeout,
                global_timeout: hook.global_timeout(),
                default_result: hook.default_result.name(),
            })
            .collect(),
    })
}

/// The error for a hook a group does not have.
fn no_such_hook(group: &str, hook: &str) -> ApiError {
    validation(format!(
        "No Lifecycle Hook found with name {hook} for group {group}. Check the name, or list hooks with DescribeLifecycleHooks."
    ))
}

/// `DeleteLifecycleHook`: removes a hook; its open actions end as AWS ends
/// them (launches abandoned, terminations continued).
pub fn delete(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let group = group_param(autoscaling, params)?.name.clone();
    let hook = required(params, "LifecycleHookName")?;
    check_hook_name("LifecycleHookName", hook)?;
    if !autoscaling.remove_hook(&group, hook, context.now) {
        return Err(no_such_hook(&group, hook));
    }
    context.respond(&Empty {})
}

/// The open action a completion or heartbeat names: by
/// `LifecycleActionToken` or by `InstanceId`, for the group and hook named.
fn action_param<'a>(
    autoscaling: &'a AutoScalingState,
    params: &Params,
) -> Result<&'a LifecycleAction, ApiError> {
    let group = group_param(autoscaling, params)?;
    let hook = required(params, "LifecycleHookName")?;
    check_hook_name("LifecycleHookName", hook)?;
    if !group.hooks.contains_key(hook) {
        return Err(no_such_hook(&group.name, hook));
    }
    let token = params
        .get("LifecycleActionToken")
        .filter(|token| !token.is_empty());
    let instance_id = params.get("InstanceId").filter(|id| !id.is_empty());
    let matches = |action: &&LifecycleAction| action.group == group.name && action.hook == hook;
    match (token, instance_id) {
        (Some(token), instance_id) => {
            if token.len() != 36 {
                return Err(constraint(
                    "LifecycleActionToken",
                    token,
                    "Member must have length equal to 36 (the token of the lifecycle action).",
                ));
            }
            autoscaling
                .actions
                .get(token)
                .filter(matches)
                .filter(|action| instance_id.is_none_or(|id| action.instance_id == id))
                .ok_or_else(|| {
                    validation(format!(
                        "No active Lifecycle Action found with token {token} for hook {hook} of group {}. The action may have completed or timed out; check the token.",
                        group.name
                    ))
                })
        }
        (None, Some(instance_id)) => autoscaling
            .actions
            .values()
            .filter(matches)
            .find(|action| action.instance_id == instance_id)
            .ok_or_else(|| {
                validation(format!(
                    "No active Lifecycle Action found with instance ID {instance_id} for hook {hook} of group {}. The instance may not be waiting on this hook; check DescribeAutoScalingInstances.",
                    group.name
                ))
            }),
        (None, None) => Err(validation(
            "Either LifecycleActionToken or InstanceId is required; give the token of the lifecycle action or the id of the waiting instance.",
        )),
    }
}

/// `CompleteLifecycleAction`: ends an open action with `CONTINUE` or
/// `ABANDON`.
pub fn complete(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let result_text = required(params, "LifecycleActionResult")?;
    let result = ActionResult::parse(result_text).ok_or_else(|| {
        validation(format!(
            "Invalid lifecycle action result {result_text}; use CONTINUE or ABANDON."
        ))
    })?;
    let token = action_param(autoscaling, params)?.token.clone();
    autoscaling
        .complete_action(&token, result, context.now)
        .map_err(|error| validation(error.to_string()))?;
    context.respond(&Empty {})
}

/// `RecordLifecycleActionHeartbeat`: restarts an open action's heartbeat
/// timeout.
pub fn heartbeat(
    autoscaling: &mut AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let action = action_param(autoscaling, params)?;
    let token = action.token.clone();
    let timeout = autoscaling
        .groups
        .get(&action.group)
        .and_then(|group| group.hooks.get(&action.hook))
        .map_or(DEFAULT_HEARTBEAT, |hook| hook.heartbeat_timeout);
    if let Some(action) = autoscaling.actions.get_mut(&token) {
        action.heartbeat_deadline = context.now.plus_millis(timeout * 1000);
    }
    context.respond(&Empty {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_are_read_with_aws_defaults_and_checks() {
        let hook = read_hook(
            &Params::from_pairs([
                ("LifecycleHookName", "hold"),
                ("LifecycleTransition", LAUNCHING),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(hook.heartbeat_timeout, DEFAULT_HEARTBEAT);
        assert_eq!(hook.default_result, ActionResult::Abandon);
        assert_eq!(hook.global_timeout(), 172_800);
        for (name, value) in [
            ("HeartbeatTimeout", "29"),
            ("HeartbeatTimeout", "7201"),
            ("DefaultResult", "MAYBE"),
            ("LifecycleTransition", "autoscaling:EC2_INSTANCE_REBOOTING"),
            ("LifecycleHookName", "bad name"),
        ] {
            let mut pairs = vec![
                ("LifecycleHookName", "hold"),
                ("LifecycleTransition", LAUNCHING),
            ];
            pairs.retain(|(known, _)| *known != name);
            pairs.push((name, value));
            let error = read_hook(&Params::from_pairs(pairs), None).unwrap_err();
            assert_eq!(error.code, "ValidationError", "{name}={value}");
        }
        let missing = read_hook(&Params::from_pairs([("LifecycleHookName", "hold")]), None);
        assert!(missing.is_err());
        let updated = read_hook(
            &Params::from_pairs([("LifecycleHookName", "hold"), ("HeartbeatTimeout", "60")]),
            Some(&hook),
        )
        .unwrap();
        assert_eq!(updated.transition, LAUNCHING);
        assert_eq!(updated.heartbeat_timeout, 60);
    }
}
