//! What happens on one instance: how long each lifecycle event takes, which
//! one fails and how, and the diagnostics a CodeDeploy agent would report.
//!
//! The instance's behaviour is read when the deployment reaches it: its
//! `deploydesk:simulate` tag (see [`crate::domain::simulate`]) and, for an
//! EC2 instance, its state (a stopped instance counts as failed, as in AWS)
//! and its CodeDeploy agent as Systems Manager knows it
//! ([`agent_of`]): an instance whose agent is not running fails its first
//! event. So does an EC2 instance without an instance profile (or whose
//! profile has no role): its agent has no credentials to poll CodeDeploy
//! with, and AWS reports it exactly as a missing agent. An instance whose
//! role may not read the revision's S3 object fails `DownloadBundle` with
//! S3's `Access Denied`. On-premises instances go by the tag alone.

use std::collections::BTreeMap;

use crate::domain::health::AttemptResult;
use crate::domain::lifecycle::LifecycleEvent;
use crate::domain::policy::PolicyDocument;
use crate::domain::preflight::may_read_object;
use crate::domain::simulate::{SIMULATE_TAG, SLOW_FACTOR, SimulatedBehaviour};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    AttemptPlan, Diagnostics, EventPlan, FailureCause, HookRun, RevisionContent, TargetKind,
    TargetRecord, TargetStatus,
};
use crate::localcloud::ec2::InstanceState;
use crate::localcloud::ssm::agent_of;
use crate::localcloud::world::World;

/// What an instance that never installed a revision of the group has to
/// stop: no scripts.
static NOTHING_INSTALLED: RevisionContent = RevisionContent::Hooks(BTreeMap::new());

/// How many event durations a script runs before it times out.
pub const TIMEOUT_FACTOR: i64 = 4;
/// The script timeout the diagnostics of a timed-out event mention.
pub const SCRIPT_TIMEOUT_SECONDS: u32 = 300;
/// The most log text a diagnostics' `logTail` carries, as in CodeDeploy.
pub const MAX_LOG_TAIL: usize = 4096;

/// The message CodeDeploy gives when no agent takes the lifecycle event.
pub const NO_AGENT_MESSAGE: &str = "CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy agent logs on your host and make sure the agent is running and can connect to the CodeDeploy server.";

/// How an instance behaves when a deployment reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Behaviour {
    /// What its `deploydesk:simulate` tag asks for.
    pub simulated: SimulatedBehaviour,
    /// Whether the EC2 instance is stopped (or stopping).
    pub instance_stopped: bool,
    /// Whether the instance's role may not read the revision's bundle.
    pub bundle_refused: bool,
}

impl Behaviour {
    /// Whether the instance counts as stopped.
    fn stopped(self) -> bool {
        self.simulated.stopped || self.instance_stopped
    }
}

/// Reads the behaviour of `target` from the world as it is now, for a
/// deployment of the S3 object `bundle` (bucket and key; `None` for
/// revisions elsewhere). A simulate tag that cannot be read is ignored,
/// with a warning in the log.
pub fn behaviour_of(
    world: &World,
    target: &TargetRecord,
    bundle: Option<(&str, &str)>,
) -> Behaviour {
    let (tag, instance_stopped) = match target.kind {
        TargetKind::Ec2 => {
            world
                .ec2
                .instances
                .get(&target.target_id)
                .map_or((None, false), |instance| {
                    (
                        instance.tags.get(SIMULATE_TAG).cloned(),
                        matches!(
                            instance.state,
                            InstanceState::Stopped | InstanceState::Stopping
                        ),
                    )
                })
        }
        TargetKind::OnPremises => (
            world
                .codedeploy
                .on_premises_instances
                .get(&target.target_id)
                .and_then(|instance| {
                    instance
                        .tags
                        .iter()
                        .find(|tag| tag.key.as_deref() == Some(SIMULATE_TAG))
                        .and_then(|tag| tag.value.clone())
                }),
            false,
        ),
        // Lambda and ECS targets have no agent; the engine never plays
        // their events here.
        TargetKind::Lambda | TargetKind::Ecs => (None, false),
    };
    let mut simulated = tag.map_or_else(SimulatedBehaviour::default, |value| {
        SimulatedBehaviour::parse(&value).unwrap_or_else(|error| {
            tracing::warn!(
                "ignoring the {SIMULATE_TAG} tag of {}: {error}",
                target.target_id
            );
            SimulatedBehaviour::default()
        })
    });
    let mut bundle_refused = false;
    if target.kind == TargetKind::Ec2 {
        // An EC2 instance's agent is the one Systems Manager last left
        // there, or the one its tag says if Systems Manager never touched
        // it; it answers only with the credentials of a profile's role.
        if let Some(agent) = agent_of(world, &target.target_id) {
            simulated.no_agent = !agent.is_running();
        }
        match instance_policies(world, &target.target_id) {
            None => simulated.no_agent = true,
            Some(policies) => {
                bundle_refused =
                    bundle.is_some_and(|(bucket, key)| !may_read_object(&policies, bucket, key));
            }
        }
    }
    Behaviour {
        simulated,
        instance_stopped,
        bundle_refused,
    }
}

/// The identity policies of the role of EC2 instance `instance_id`'s
/// instance profile, or `None` when it has no profile, or its profile no
/// role the local IAM knows.
fn instance_policies(world: &World, instance_id: &str) -> Option<Vec<PolicyDocument>> {
    let role = world.instance_role(world.ec2.instances.get(instance_id)?)?;
    world.role_policies(&role.arn())
}

/// What one attempt on an instance is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct AttemptSpec {
    /// The events to run: `target.events[first..end]`.
    pub first: usize,
    /// One past the last event to run.
    pub end: usize,
    /// When the first event starts.
    pub start: Timestamp,
    /// How long one event takes, in milliseconds.
    pub event_millis: i64,
    /// Whether failures of `ApplicationStop`, `BeforeBlockTraffic` and
    /// `AfterBlockTraffic` are ignored.
    pub ignore_stop_failures: bool,
    /// The target's status once the attempt has succeeded.
    pub status_on_success: TargetStatus,
}

/// What the revisions an attempt involves make an instance do.
#[derive(Debug, Clone, Copy)]
pub struct Contents<'a> {
    /// The deployment's revision.
    pub new: &'a RevisionContent,
    /// The revision the instance last installed in the group, whose
    /// `ApplicationStop`, `BeforeBlockTraffic` and `AfterBlockTraffic`
    /// scripts run (see [`LifecycleEvent::runs_installed_revision`]);
    /// `None` for an instance that never installed one: those events then
    /// have nothing to run.
    pub installed: Option<&'a RevisionContent>,
}

/// Plans an attempt on `target` of a revision whose content is not known,
/// on an instance that ran the same before (see [`plan_attempt_with`]).
pub fn plan_attempt(target: &mut TargetRecord, spec: AttemptSpec, behaviour: Behaviour) {
    let unchecked = RevisionContent::Unchecked;
    let contents = Contents {
        new: &unchecked,
        installed: Some(&unchecked),
    };
    plan_attempt_with(target, spec, behaviour, contents);
}

/// How one event goes: its duration, and its failure or success
/// diagnostics.
struct EventOutcome {
    /// How long it takes, in milliseconds.
    duration: i64,
    /// Its failure, if it fails.
    failure: Option<(Diagnostics, FailureCause)>,
    /// The diagnostics of its success, for events that ran AppSpec scripts.
    success: Option<Diagnostics>,
}

impl EventOutcome {
    /// An event that takes `duration` and ends as `failure` says.
    fn of(duration: i64, failure: Option<(Diagnostics, FailureCause)>) -> Self {
        Self {
            duration,
            failure,
            success: None,
        }
    }
}

/// How `event` goes when the revision's AppSpec gives it `scripts`: the
/// scripts run one after the other (an event without scripts finishes at
/// once), and a simulated failure or timeout hits the event's first script.
fn hooked_event(
    event: LifecycleEvent,
    scripts: &[HookRun],
    step: i64,
    behaviour: Behaviour,
    target_id: &str,
) -> EventOutcome {
    let Some(first) = scripts.first() else {
        return EventOutcome::of(0, None);
    };
    if let Some(missing) = scripts.iter().find_map(|script| script.missing.clone()) {
        let diagnostics = Diagnostics {
            error_code: "ScriptMissing".to_owned(),
            script_name: String::new(),
            message: missing,
            log_tail: String::new(),
        };
        return EventOutcome::of(step, Some((diagnostics, FailureCause::Event)));
    }
    if behaviour.simulated.timeout == Some(event) {
        let diagnostics =
            script_timed_out(event, target_id, &first.location, first.timeout_seconds);
        return EventOutcome::of(
            step * TIMEOUT_FACTOR,
            Some((diagnostics, FailureCause::Event)),
        );
    }
    if behaviour.simulated.fail == Some(event) {
        let diagnostics = script_failed(event, target_id, &first.location);
        return EventOutcome::of(step, Some((diagnostics, FailureCause::Event)));
    }
    let mut log = vec![format!("LifecycleEvent - {}", event.name())];
    for script in scripts {
        log.push(format!("Script - {}", script.location));
        log.push(format!("[stdout]Running on {target_id}"));
    }
    EventOutcome {
        duration: step.saturating_mul(i64::try_from(scripts.len()).unwrap_or(i64::MAX)),
        failure: None,
        success: Some(Diagnostics {
            error_code: "Success".to_owned(),
            script_name: String::new(),
            message: "Succeeded".to_owned(),
            log_tail: tail(&(log.join("\n") + "\n")),
        }),
    }
}

/// The failure the revision's content itself causes at `event`, if any.
fn content_failure(event: LifecycleEvent, content: &RevisionContent) -> Option<Diagnostics> {
    let ((RevisionContent::DownloadFails(message), LifecycleEvent::DownloadBundle)
    | (RevisionContent::AppSpecFails(message), LifecycleEvent::BeforeInstall)) = (content, event)
    else {
        return None;
    };
    Some(Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: message.clone(),
        log_tail: String::new(),
    })
}

/// Plans an attempt on `target`: gives each event to run its start, end
/// and result, skips the events after a failure (up to the last event of
/// the target), and records the plan on the target. `contents.new` is what
/// the revision's bundle holds: it can make `DownloadBundle` or
/// `BeforeInstall` fail, and its AppSpec hooks decide which events run
/// scripts; the events that stop the application run the scripts of
/// `contents.installed`.
pub fn plan_attempt_with(
    target: &mut TargetRecord,
    spec: AttemptSpec,
    behaviour: Behaviour,
    contents: Contents<'_>,
) {
    let step = if behaviour.simulated.slow {
        spec.event_millis * i64::from(SLOW_FACTOR)
    } else {
        spec.event_millis
    };
    let mut time = spec.start;
    let mut failed: Option<FailureCause> = None;
    let target_id = target.target_id.clone();
    let last = target.events.len();
    for index in spec.first..last {
        let record = &mut target.events[index];
        if failed.is_some() {
            record.plan = Some(EventPlan {
                start: time,
                end: time,
                failure: None,
                skipped: true,
                success: None,
            });
            continue;
        }
        if index >= spec.end {
            break;
        }
        let event = record.event;
        let first = index == spec.first;
        let content = if event.runs_installed_revision() {
            contents.installed.unwrap_or(&NOTHING_INSTALLED)
        } else {
            contents.new
        };
        let hooks = match content {
            RevisionContent::Hooks(hooks) if event.is_scriptable() => Some(hooks),
            _ => None,
        };
        let outcome = if first && behaviour.stopped() {
            EventOutcome::of(
                step,
                Some((instance_stopped(&target_id), FailureCause::InstanceStopped)),
            )
        } else if first && behaviour.simulated.no_agent {
            EventOutcome::of(step, Some((no_agent(), FailureCause::NoAgent)))
        } else if event == LifecycleEvent::DownloadBundle && behaviour.bundle_refused {
            EventOutcome::of(step, Some((access_denied(), FailureCause::Event)))
        } else if let Some(diagnostics) = content_failure(event, contents.new) {
            EventOutcome::of(step, Some((diagnostics, FailureCause::Event)))
        } else if let Some(hooks) = hooks {
            let scripts = hooks.get(&event).map_or(&[][..], Vec::as_slice);
            hooked_event(event, scripts, step, behaviour, &target_id)
        } else if behaviour.simulated.timeout == Some(event) {
            EventOutcome::of(
                step * TIMEOUT_FACTOR,
                Some((timed_out(event, &target_id), FailureCause::Event)),
            )
        } else if behaviour.simulated.fail == Some(event) {
            EventOutcome::of(
                step,
                Some((event_failed(event, &target_id), FailureCause::Event)),
            )
        } else {
            EventOutcome::of(step, None)
        };
        let EventOutcome {
            duration,
            failure,
            success,
        } = outcome;
        let ignored = spec.ignore_stop_failures
            && matches!(failure, Some((_, FailureCause::Event)))
            && event.runs_installed_revision();
        let failure = failure.filter(|_| !ignored);
        let end = time.plus_millis(duration);
        record.plan = Some(EventPlan {
            start: time,
            end,
            failure: failure.as_ref().map(|(diagnostics, _)| diagnostics.clone()),
            skipped: false,
            success,
        });
        time = end;
        failed = failure.map(|(_, cause)| cause);
    }
    let result = match failed {
        None => AttemptResult::Succeeded,
        Some(FailureCause::InstanceStopped) => AttemptResult::InstanceStopped,
        Some(_) => AttemptResult::Failed,
    };
    target.attempt = Some(AttemptPlan {
        start: spec.start,
        finish: time,
        result,
        cause: failed,
        status_after: if result.is_success() {
            spec.status_on_success
        } else {
            TargetStatus::Failed
        },
        local: false,
    });
}

/// The script an AppSpec hook for `event` runs in the sample application,
/// e.g. `scripts/after_install.sh`.
pub fn script_name(event: LifecycleEvent) -> String {
    let mut name = String::from("scripts/");
    for (index, letter) in event.name().chars().enumerate() {
        if letter.is_ascii_uppercase() {
            if index > 0 {
                name.push('_');
            }
            name.push(letter.to_ascii_lowercase());
        } else {
            name.push(letter);
        }
    }
    name.push_str(".sh");
    name
}

/// Keeps the last [`MAX_LOG_TAIL`] bytes of `log`, cut at a line start.
fn tail(log: &str) -> String {
    if log.len() <= MAX_LOG_TAIL {
        return log.to_owned();
    }
    let mut start = log.len() - MAX_LOG_TAIL;
    while !log.is_char_boundary(start) {
        start += 1;
    }
    let cut = &log[start..];
    match cut.find('\n') {
        Some(newline) if newline + 1 < cut.len() => cut[newline + 1..].to_owned(),
        _ => cut.to_owned(),
    }
}

/// The script log of `event` up to its failure: `[stdout]` and `[stderr]`
/// lines as the agent collects them.
fn failing_script_log(event: LifecycleEvent, target_id: &str, script: &str) -> Vec<String> {
    let lines: &[&str] = match event {
        LifecycleEvent::ApplicationStop => &[
            "[stdout]Stopping the application service...",
            "[stderr]Failed to stop app.service: Unit app.service not loaded.",
            "[stderr]stop_server.sh: the service did not stop cleanly",
        ],
        LifecycleEvent::BeforeInstall => &[
            "[stdout]Preparing /opt/app for the new revision",
            "[stdout]Removing the previous release's files",
            "[stderr]rm: cannot remove '/opt/app/current/shared': Device or resource busy",
        ],
        LifecycleEvent::AfterInstall => &[
            "[stdout]Configuring the application in /opt/app/current",
            "[stdout]Linking shared configuration...",
            "[stderr]cp: cannot stat '/opt/app/shared/config.yml': No such file or directory",
            "[stderr]after_install.sh: line 14: configuration step failed",
        ],
        LifecycleEvent::ApplicationStart => &[
            "[stderr]Redirecting to /bin/systemctl start app.service",
            "[stderr]Job for app.service failed because the control process exited with error code.",
            "[stderr]See \"systemctl status app.service\" and \"journalctl -xe\" for details.",
        ],
        LifecycleEvent::ValidateService => &[
            "[stdout]Checking http://localhost:8080/health",
            "[stdout]HTTP/1.1 503 Service Unavailable",
            "[stderr]validate_service.sh: the health check answered 503, expected 200",
        ],
        LifecycleEvent::BeforeBlockTraffic | LifecycleEvent::AfterBlockTraffic => &[
            "[stdout]Draining connections before the load balancer change",
            "[stderr]drain: timed out waiting for 12 open connections to close",
        ],
        LifecycleEvent::BeforeAllowTraffic
        | LifecycleEvent::AfterAllowTraffic
        | LifecycleEvent::AfterAllowTestTraffic => &[
            "[stdout]Warming up caches before traffic arrives",
            "[stderr]curl: (7) Failed to connect to localhost port 8080: Connection refused",
        ],
        LifecycleEvent::DownloadBundle
        | LifecycleEvent::Install
        | LifecycleEvent::BlockTraffic
        | LifecycleEvent::AllowTraffic
        | LifecycleEvent::AllowTestTraffic => &[],
    };
    let mut log = vec![
        format!("LifecycleEvent - {}", event.name()),
        format!("Script - {script}"),
        format!("[stdout]Running on {target_id}"),
    ];
    log.extend(lines.iter().map(|line| (*line).to_owned()));
    log
}

/// Diagnostics of an event that failed: a script that exited non-zero, or
/// for the events the agent or CodeDeploy run themselves, their own error.
pub fn event_failed(event: LifecycleEvent, target_id: &str) -> Diagnostics {
    let message = match event {
        LifecycleEvent::DownloadBundle => "The specified key does not exist. The revision's bundle could not be downloaded; check the revision location and the instance profile's permissions.".to_owned(),
        LifecycleEvent::Install => "The deployment failed because a specified file already exists at this location: /opt/app/current/index.html".to_owned(),
        LifecycleEvent::BlockTraffic => format!("Instance {target_id} could not be deregistered from the load balancer's target group in time."),
        LifecycleEvent::AllowTraffic => format!("Instance {target_id} did not pass the load balancer's health checks in time."),
        _ => return script_failed(event, target_id, &script_name(event)),
    };
    Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message,
        log_tail: String::new(),
    }
}

/// Diagnostics of `event` whose script at `script` exited non-zero.
pub fn script_failed(event: LifecycleEvent, target_id: &str, script: &str) -> Diagnostics {
    Diagnostics {
        error_code: "ScriptFailed".to_owned(),
        script_name: script.to_owned(),
        message: format!(
            "Script at specified location: {script} run as user root failed with exit code 1"
        ),
        log_tail: tail(&(failing_script_log(event, target_id, script).join("\n") + "\n")),
    }
}

/// Diagnostics of an event whose script ran past its timeout. The log of a
/// script that waits a long time is long, so only its tail is kept.
pub fn timed_out(event: LifecycleEvent, target_id: &str) -> Diagnostics {
    if !event.is_scriptable() {
        let mut diagnostics = event_failed(event, target_id);
        diagnostics.message = format!(
            "The {} step did not finish within {SCRIPT_TIMEOUT_SECONDS} seconds. {}",
            event.name(),
            diagnostics.message
        );
        return diagnostics;
    }
    script_timed_out(
        event,
        target_id,
        &script_name(event),
        SCRIPT_TIMEOUT_SECONDS,
    )
}

/// Diagnostics of `event` whose script at `script` ran past its timeout
/// of `timeout_seconds`.
pub fn script_timed_out(
    event: LifecycleEvent,
    target_id: &str,
    script: &str,
    timeout_seconds: u32,
) -> Diagnostics {
    let mut log = vec![
        format!("LifecycleEvent - {}", event.name()),
        format!("Script - {script}"),
        format!("[stdout]Running on {target_id}"),
        "[stdout]Waiting for http://localhost:8080/health to answer 200".to_owned(),
    ];
    for attempt in 1..=150 {
        log.push(format!(
            "[stdout]attempt {attempt}: connection refused, retrying in 2 seconds"
        ));
    }
    Diagnostics {
        error_code: "ScriptTimedOut".to_owned(),
        message: format!(
            "Script at specified location: {script} failed to complete in {timeout_seconds} seconds"
        ),
        script_name: script.to_owned(),
        log_tail: tail(&(log.join("\n") + "\n")),
    }
}

/// Diagnostics of an instance whose agent never took the event.
pub fn no_agent() -> Diagnostics {
    Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: NO_AGENT_MESSAGE.to_owned(),
        log_tail: String::new(),
    }
}

/// Diagnostics of a `DownloadBundle` whose bundle the instance's role may
/// not read: S3's answer, as the agent reports it.
pub fn access_denied() -> Diagnostics {
    Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: "Access Denied".to_owned(),
        log_tail: "[stderr]Aws::S3::Errors::AccessDenied - Access Denied\n".to_owned(),
    }
}

/// Diagnostics of a stopped instance.
pub fn instance_stopped(target_id: &str) -> Diagnostics {
    Diagnostics {
        error_code: "UnknownError".to_owned(),
        script_name: String::new(),
        message: format!(
            "The instance {target_id} is stopped, so the CodeDeploy agent could not receive the lifecycle event. Start the instance, then deploy again."
        ),
        log_tail: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{InstanceRole, events_for};
    use crate::localcloud::codedeploy::deployment_state::{EventRecord, EventStatus};

    fn target(events: &[LifecycleEvent]) -> TargetRecord {
        TargetRecord {
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
        }
    }

    fn spec(events: usize) -> AttemptSpec {
        AttemptSpec {
            first: 0,
            end: events,
            start: Timestamp::from_secs(100),
            event_millis: 1000,
            ignore_stop_failures: false,
            status_on_success: TargetStatus::Succeeded,
        }
    }

    #[test]
    fn script_names_follow_the_event_names() {
        assert_eq!(
            script_name(LifecycleEvent::AfterInstall),
            "scripts/after_install.sh"
        );
        assert_eq!(
            script_name(LifecycleEvent::BeforeBlockTraffic),
            "scripts/before_block_traffic.sh"
        );
    }

    #[test]
    fn a_failing_event_ends_the_attempt_and_skips_the_rest() {
        let events = events_for(InstanceRole::InPlace, false);
        let mut target = target(&events);
        let behaviour = Behaviour {
            simulated: SimulatedBehaviour::parse("fail:AfterInstall").unwrap(),
            ..Behaviour::default()
        };
        plan_attempt(&mut target, spec(events.len()), behaviour);
        let attempt = target.attempt.clone().unwrap();
        assert_eq!(attempt.result, AttemptResult::Failed);
        assert_eq!(attempt.finish, Timestamp::from_secs(105));
        let after_install = target.events[4].plan.clone().unwrap();
        let diagnostics = after_install.failure.unwrap();
        assert_eq!(diagnostics.error_code, "ScriptFailed");
        assert_eq!(diagnostics.script_name, "scripts/after_install.sh");
        assert!(diagnostics.log_tail.contains("[stderr]"));
        assert!(target.events[5].plan.as_ref().unwrap().skipped);
        assert!(
            target
                .events
                .iter()
                .all(|event| event.status == EventStatus::Pending)
        );
    }

    #[test]
    fn timeouts_take_longer_and_keep_only_the_last_four_kilobytes() {
        let events = events_for(InstanceRole::InPlace, false);
        let mut target = target(&events);
        let behaviour = Behaviour {
            simulated: SimulatedBehaviour::parse("slow,timeout:ValidateService").unwrap(),
            ..Behaviour::default()
        };
        plan_attempt(&mut target, spec(events.len()), behaviour);
        let attempt = target.attempt.clone().unwrap();
        // Six slow events, then a slow event that runs four times as long.
        assert_eq!(attempt.finish, Timestamp::from_secs(100 + 6 * 5 + 4 * 5));
        let diagnostics = target.events[6].plan.clone().unwrap().failure.unwrap();
        assert_eq!(diagnostics.error_code, "ScriptTimedOut");
        assert!(diagnostics.log_tail.len() <= MAX_LOG_TAIL);
        assert!(diagnostics.log_tail.ends_with("retrying in 2 seconds\n"));
        assert!(diagnostics.log_tail.starts_with("[stdout]attempt"));
    }

    #[test]
    fn no_agent_and_stopped_instances_fail_the_first_event() {
        let events = events_for(InstanceRole::InPlace, true);
        let mut target = target(&events);
        let behaviour = Behaviour {
            simulated: SimulatedBehaviour::parse("no-agent").unwrap(),
            ..Behaviour::default()
        };
        plan_attempt(&mut target, spec(events.len()), behaviour);
        let first = target.events[0].plan.clone().unwrap();
        assert_eq!(first.failure.unwrap().message, NO_AGENT_MESSAGE);
        assert_eq!(
            target.attempt.as_ref().unwrap().cause,
            Some(FailureCause::NoAgent)
        );
        let mut stopped = self::target(&events);
        plan_attempt(
            &mut stopped,
            spec(events.len()),
            Behaviour {
                instance_stopped: true,
                ..Behaviour::default()
            },
        );
        assert_eq!(
            stopped.attempt.unwrap().result,
            AttemptResult::InstanceStopped
        );
    }

    #[test]
    fn ignored_application_stop_failures_let_the_attempt_go_on() {
        let events = events_for(InstanceRole::InPlace, false);
        let mut target = target(&events);
        let behaviour = Behaviour {
            simulated: SimulatedBehaviour::parse("fail:ApplicationStop").unwrap(),
            ..Behaviour::default()
        };
        let mut ignoring = spec(events.len());
        ignoring.ignore_stop_failures = true;
        plan_attempt(&mut target, ignoring, behaviour);
        assert_eq!(target.attempt.unwrap().result, AttemptResult::Succeeded);
    }

    #[test]
    fn an_attempt_over_part_of_the_events_leaves_the_rest_pending() {
        let events = events_for(InstanceRole::Replacement, true);
        let mut target = target(&events);
        plan_attempt(&mut target, spec(7), Behaviour::default());
        assert!(target.events[6].plan.is_some());
        assert!(target.events[7].plan.is_none());
        assert_eq!(target.attempt.unwrap().finish, Timestamp::from_secs(107));
    }
}
