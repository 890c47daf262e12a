//! What a deployment's load balancers do: the `BlockTraffic` and
//! `AllowTraffic` events act on the target groups and classic load
//! balancers that the deployment's `loadBalancerInfo` names, and last as
//! long as those take.
//!
//! `BlockTraffic` deregisters the instance from every named target group
//! and classic load balancer and ends when the last of them has drained it
//! (the target group's deregistration delay, the classic load balancer's
//! connection draining); an instance that is not registered, as on its
//! first deployment, has nothing to drain and the event ends at once.
//! `AllowTraffic` registers it and ends when every target group reports it
//! `healthy` and every classic load balancer `InService`; CodeDeploy waits
//! up to an hour for that, then fails the event. A name that does not
//! exist fails the event at once, and the deployment with
//! `ELASTIC_LOAD_BALANCING_INVALID`.
//!
//! The events are planned with the engine's event duration like the
//! others (see [`agent`](super::agent)). When a traffic event's start
//! comes, [`start_due`] acts on the load balancers at that time and moves
//! the event's end, and every event after it, to when the load balancers
//! are done, so the plan stays a plan of timestamps and the clock can be
//! moved in steps of any size.

use crate::domain::health::AttemptResult;
use crate::domain::lifecycle::LifecycleEvent;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, Diagnostics, ErrorInformation, EventPlan, EventRecord, EventStatus, FailureCause,
    TargetKind, TargetRecord, TargetStatus,
};
use crate::localcloud::codedeploy::shapes::NamedItem;
use crate::localcloud::elb::in_service_at;
use crate::localcloud::elbv2::{healthy_at, liveness_in};
use crate::localcloud::world::World;

use super::agent::event_failed;

/// How long CodeDeploy waits for an instance to turn healthy behind its
/// load balancers before `AllowTraffic` fails: one hour.
pub const HEALTHY_WAIT_MILLIS: i64 = 3_600_000;

/// The deployment error code of a load balancer that could not be used.
pub const ELB_INVALID: &str = "ELASTIC_LOAD_BALANCING_INVALID";

/// The load balancers a deployment names.
#[derive(Debug, Clone, Default)]
struct Balancers {
    /// Target group names (`targetGroupInfoList`).
    target_groups: Vec<String>,
    /// Classic load balancer names (`elbInfoList`).
    classic: Vec<String>,
}

/// The load balancers `deployment` names, or `None` when it names none.
fn balancers_of(deployment: &Deployment) -> Option<Balancers> {
    let info = deployment.load_balancer_info.as_ref()?;
    let names = |list: Option<&Vec<NamedItem>>| -> Vec<String> {
        list.map(|items| items.iter().filter_map(|item| item.name.clone()).collect())
            .unwrap_or_default()
    };
    let balancers = Balancers {
        target_groups: names(info.target_group_info_list.as_ref()),
        classic: names(info.elb_info_list.as_ref()),
    };
    (!balancers.target_groups.is_empty() || !balancers.classic.is_empty()).then_some(balancers)
}

/// How a traffic event went on the load balancers.
enum Outcome {
    /// It ends at the time given.
    Ends(Timestamp),
    /// It fails at the time given.
    Fails(Timestamp, Diagnostics, FailureCause),
}

/// Acts on the load balancers for every traffic event of `deployment`'s
/// instances in flight whose start has come by `now`, and moves the
/// events' ends to when the load balancers are done. Returns whether
/// anything changed.
pub(super) fn start_due(world: &mut World, deployment: &mut Deployment, now: Timestamp) -> bool {
    let Some(balancers) = balancers_of(deployment) else {
        return false;
    };
    let mut changed = false;
    for index in deployment.in_flight.clone() {
        let target = &mut deployment.targets[index];
        if target.kind != TargetKind::Ec2 {
            continue;
        }
        for event_index in 0..target.events.len() {
            let Some(at) = due_at(&target.events[event_index], now) else {
                continue;
            };
            let outcome = if target.events[event_index].event == LifecycleEvent::BlockTraffic {
                block(world, &balancers, &target.target_id, at)
            } else {
                allow(world, &balancers, &target.target_id, at)
            };
            settle_plan(target, event_index, outcome);
            changed = true;
        }
    }
    changed
}

/// When the traffic event `record` starts, if it is planned to run (not
/// skipped, not made to fail) and has not started, and its start has come
/// by `now`; `None` for any other event.
fn due_at(record: &EventRecord, now: Timestamp) -> Option<Timestamp> {
    let traffic = matches!(
        record.event,
        LifecycleEvent::BlockTraffic | LifecycleEvent::AllowTraffic
    );
    let plan = record.plan.as_ref()?;
    (traffic
        && record.status == EventStatus::Pending
        && !plan.skipped
        && plan.failure.is_none()
        && plan.start <= now)
        .then_some(plan.start)
}

/// The failure of a traffic event whose load balancers are not all there,
/// or `None` when they are.
fn missing(world: &World, balancers: &Balancers, at: Timestamp) -> Option<Outcome> {
    let groups: Vec<&str> = balancers
        .target_groups
        .iter()
        .filter(|name| world.elbv2.target_group_named(name).is_none())
        .map(String::as_str)
        .collect();
    let classic = balancers
        .classic
        .iter()
        .find(|name| !world.elb.load_balancers.contains_key(*name));
    let reason = if groups.is_empty() {
        format!("There is no ACTIVE Load Balancer named '{}'", classic?)
    } else {
        format!("One or more target groups not found: {}", groups.join(", "))
    };
    let diagnostics = Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: format!("The ELB could not be updated due to the following error: {reason}"),
        log_tail: String::new(),
    };
    Some(Outcome::Fails(at, diagnostics, FailureCause::LoadBalancer))
}

/// The ARNs of the target groups named in `balancers` (all exist).
fn target_group_arns(world: &World, balancers: &Balancers) -> Vec<String> {
    balancers
        .target_groups
        .iter()
        .filter_map(|name| world.elbv2.target_group_named(name))
        .map(|group| group.arn.clone())
        .collect()
}

/// `BlockTraffic` of instance `id` at `at`: deregistered everywhere, it
/// ends when the last load balancer has drained it.
fn block(world: &mut World, balancers: &Balancers, id: &str, at: Timestamp) -> Outcome {
    if let Some(failure) = missing(world, balancers, at) {
        return failure;
    }
    let mut end = at;
    for arn in target_group_arns(world, balancers) {
        if world.elbv2.deregister_instance(&arn, id, None, at) == Ok(true) {
            let until = world
                .elbv2
                .target_groups
                .get(&arn)
                .and_then(|group| group.target(id))
                .and_then(|target| target.draining_until);
            end = end.max(until.unwrap_or(at));
        }
    }
    for name in &balancers.classic {
        if world.elb.deregister_instance(name, id, at) == Ok(true) {
            let until = world.elb.load_balancers.get(name).and_then(|balancer| {
                balancer
                    .draining
                    .iter()
                    .find(|(draining, _)| draining == id)
                    .map(|(_, until)| *until)
            });
            end = end.max(until.unwrap_or(at));
        }
    }
    Outcome::Ends(end)
}

/// `AllowTraffic` of instance `id` at `at`: registered everywhere, it ends
/// when every load balancer counts it healthy, or fails after
/// [`HEALTHY_WAIT_MILLIS`].
fn allow(world: &mut World, balancers: &Balancers, id: &str, at: Timestamp) -> Outcome {
    if let Some(failure) = missing(world, balancers, at) {
        return failure;
    }
    let liveness = liveness_in(&world.ec2, id);
    let mut ready = Some(at);
    for arn in target_group_arns(world, balancers) {
        let registered = world
            .elbv2
            .register_instance(&arn, id, None, at, liveness)
            .is_ok();
        let healthy = world.elbv2.target_groups.get(&arn).and_then(|group| {
            if !group.health_check.enabled {
                return Some(at);
            }
            group
                .target(id)
                .and_then(|target| healthy_at(group, target, liveness))
        });
        ready = ready
            .zip(healthy.filter(|_| registered))
            .map(|(a, b)| a.max(b));
    }
    for name in &balancers.classic {
        let registered = world.elb.register_instance(name, id, at).is_ok();
        let in_service = world.elb.load_balancers.get(name).and_then(|balancer| {
            balancer
                .instances
                .iter()
                .find(|member| member.instance_id == id)
                .and_then(|member| in_service_at(balancer, member, liveness))
        });
        ready = ready
            .zip(in_service.filter(|_| registered))
            .map(|(a, b)| a.max(b));
    }
    let deadline = at.plus_millis(HEALTHY_WAIT_MILLIS);
    match ready {
        Some(ready) if ready <= deadline => Outcome::Ends(ready.max(at)),
        _ => Outcome::Fails(
            deadline,
            event_failed(LifecycleEvent::AllowTraffic, id),
            FailureCause::Event,
        ),
    }
}

/// Rewrites the plan of `target` from its event `index` on for how the
/// event went: a later end moves every later event by as much; a failure
/// skips them and fails the attempt.
fn settle_plan(target: &mut TargetRecord, index: usize, outcome: Outcome) {
    let Some(plan) = target.events[index].plan.as_mut() else {
        return;
    };
    match outcome {
        Outcome::Ends(end) => {
            let delta = end.as_millis() - plan.end.as_millis();
            plan.end = end;
            for later in target.events[index + 1..]
                .iter_mut()
                .filter_map(|record| record.plan.as_mut())
            {
                later.start = later.start.plus_millis(delta);
                later.end = later.end.plus_millis(delta);
            }
            if let Some(attempt) = target.attempt.as_mut() {
                attempt.finish = attempt.finish.plus_millis(delta);
            }
        }
        Outcome::Fails(end, diagnostics, cause) => {
            plan.end = end;
            plan.failure = Some(diagnostics);
            plan.success = None;
            for later in &mut target.events[index + 1..] {
                later.plan = Some(EventPlan {
                    start: end,
                    end,
                    failure: None,
                    skipped: true,
                    success: None,
                });
            }
            if let Some(attempt) = target.attempt.as_mut() {
                attempt.finish = end;
                attempt.result = AttemptResult::Failed;
                attempt.cause = Some(cause);
                attempt.status_after = TargetStatus::Failed;
            }
        }
    }
}

/// The deployment's error when an instance failed because a load balancer
/// it names does not exist: `ELASTIC_LOAD_BALANCING_INVALID` with what the
/// failed event reported.
pub(super) fn load_balancer_error(deployment: &Deployment) -> Option<ErrorInformation> {
    let target = deployment
        .targets
        .iter()
        .find(|target| target.failure_cause == Some(FailureCause::LoadBalancer))?;
    let reported = target
        .events
        .iter()
        .find_map(|record| {
            record
                .diagnostics
                .as_ref()
                .filter(|_| record.status == EventStatus::Failed)
        })
        .map(|diagnostics| diagnostics.message.clone())?;
    Some(ErrorInformation {
        code: ELB_INVALID.to_owned(),
        message: format!(
            "{reported}. Name target groups and classic load balancers that exist in the deployment group's load balancer information (or create them), then deploy again."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{InstanceRole, events_for};
    use crate::localcloud::engine::agent::{AttemptSpec, Behaviour, plan_attempt};

    /// An in-place target behind a load balancer, planned from second 100
    /// with one-second events.
    fn planned() -> TargetRecord {
        let events = events_for(InstanceRole::InPlace, true);
        let mut target = TargetRecord {
            target_id: "i-0123456789abcdef0".to_owned(),
            target_arn: String::new(),
            kind: TargetKind::Ec2,
            label: None,
            status: TargetStatus::Pending,
            last_updated_at: Timestamp::from_secs(0),
            events: events.iter().copied().map(EventRecord::pending).collect(),
            rollout_index: Some(0),
            attempt: None,
            failure_cause: None,
        };
        let spec = AttemptSpec {
            first: 0,
            end: events.len(),
            start: Timestamp::from_secs(100),
            event_millis: 1000,
            ignore_stop_failures: false,
            status_on_success: TargetStatus::Succeeded,
        };
        plan_attempt(&mut target, spec, Behaviour::default());
        target
    }

    #[test]
    fn a_longer_traffic_event_moves_every_later_event_and_the_attempts_end() {
        let mut target = planned();
        let before = target.attempt.clone().unwrap().finish;
        // BlockTraffic (the second event) drains for a minute instead of
        // taking one second.
        settle_plan(
            &mut target,
            1,
            Outcome::Ends(Timestamp::from_secs(101 + 60)),
        );
        assert_eq!(
            target.events[2].plan.as_ref().unwrap().start,
            Timestamp::from_secs(161)
        );
        assert_eq!(target.attempt.unwrap().finish, before.plus_millis(59_000));
    }

    #[test]
    fn a_failed_traffic_event_skips_the_rest_and_fails_the_attempt() {
        let mut target = planned();
        let diagnostics = Diagnostics {
            error_code: "UnknownError".to_owned(),
            script_name: String::new(),
            message: "gone".to_owned(),
            log_tail: String::new(),
        };
        let at = Timestamp::from_secs(101);
        settle_plan(
            &mut target,
            1,
            Outcome::Fails(at, diagnostics, FailureCause::LoadBalancer),
        );
        assert!(
            target.events[2..]
                .iter()
                .all(|record| record.plan.as_ref().is_some_and(|plan| plan.skipped))
        );
        let attempt = target.attempt.unwrap();
        assert_eq!(attempt.finish, at);
        assert_eq!(attempt.result, AttemptResult::Failed);
        assert_eq!(attempt.cause, Some(FailureCause::LoadBalancer));
    }
}
