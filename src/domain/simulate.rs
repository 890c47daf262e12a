//! The `deploydesk:simulate` instance tag: how an instance in the local cloud
//! misbehaves on purpose, so that failures can be shown and tested.
//!
//! The value is a comma-separated list of directives:
//! `fail:<Event>`, `timeout:<Event>`, `no-agent`, `stopped`, `slow`, and
//! `local`: an on-premises instance whose deployments run for real on this
//! machine, through the local runner, instead of being simulated.

use serde::{Deserialize, Serialize};

use super::lifecycle::LifecycleEvent;

/// The tag key that asks an instance to misbehave.
pub const SIMULATE_TAG: &str = "deploydesk:simulate";

/// How much longer a `slow` instance's events take.
pub const SLOW_FACTOR: u32 = 5;

/// What an instance tagged `deploydesk:simulate` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SimulatedBehaviour {
    /// This event's script exits non-zero.
    pub fail: Option<LifecycleEvent>,
    /// This event's script runs past its timeout.
    pub timeout: Option<LifecycleEvent>,
    /// No agent answers: the first event fails.
    pub no_agent: bool,
    /// The instance is stopped: it counts as failed.
    pub stopped: bool,
    /// Its events take [`SLOW_FACTOR`] times as long.
    pub slow: bool,
    /// Whether its lifecycle is simulated or runs for real.
    #[serde(default)]
    pub execution: Execution,
}

/// How an instance's lifecycle events happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Execution {
    /// They are played out on the local cloud's clock.
    #[default]
    Simulated,
    /// A local instance: the revision's bundle runs for real on this
    /// machine, and the other directives do not apply.
    Local,
}

/// Why a tag value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateTagError {
    /// A directive that is not one of the known ones.
    #[error(
        "\"{0}\" is not a simulation directive; use fail:<Event>, timeout:<Event>, no-agent, stopped, slow or local, separated by commas."
    )]
    UnknownDirective(String),
    /// An event name that is not a lifecycle event.
    #[error("{0}")]
    UnknownEvent(#[from] super::lifecycle::UnknownEvent),
}

impl SimulatedBehaviour {
    /// Parses a tag value such as `fail:AfterInstall` or `slow,timeout:ValidateService`.
    pub fn parse(value: &str) -> Result<Self, SimulateTagError> {
        let mut simulation = Self::default();
        for directive in value
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            match directive.split_once(':') {
                Some(("fail", event)) => simulation.fail = Some(event.trim().parse()?),
                Some(("timeout", event)) => simulation.timeout = Some(event.trim().parse()?),
                None if directive == "no-agent" => simulation.no_agent = true,
                None if directive == "stopped" => simulation.stopped = true,
                None if directive == "slow" => simulation.slow = true,
                None if directive == "local" => simulation.execution = Execution::Local,
                _ => return Err(SimulateTagError::UnknownDirective(directive.to_owned())),
            }
        }
        Ok(simulation)
    }

    /// Whether the instance is a local instance, whose lifecycle runs for
    /// real.
    pub fn is_local(&self) -> bool {
        self.execution == Execution::Local
    }

    /// Whether the instance behaves normally.
    pub fn is_normal(&self) -> bool {
        *self == Self::default()
    }
}

/// How a Lambda function tagged `deploydesk:simulate` answers when a
/// deployment invokes it as a lifecycle hook: `Succeeded` or `Failed`
/// reports that status by itself; any other value, or no tag, reports
/// nothing, as a function that never calls
/// `PutLifecycleEventHookExecutionStatus` does, so the deployment waits for
/// someone to report or for the hook's hour to run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HookSimulation {
    /// Reports `Succeeded`.
    Succeeds,
    /// Reports `Failed`.
    Fails,
    /// Reports nothing.
    Silent,
}

impl HookSimulation {
    /// What a hook function whose tag has `value` does.
    pub fn of_tag(value: Option<&str>) -> Self {
        match value
            .map(|value| value.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("succeeded") => Self::Succeeds,
            Some("failed") => Self::Fails,
            _ => Self::Silent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_function_answers_as_its_tag_says() {
        assert_eq!(
            HookSimulation::of_tag(Some("Succeeded")),
            HookSimulation::Succeeds
        );
        assert_eq!(
            HookSimulation::of_tag(Some(" failed ")),
            HookSimulation::Fails
        );
        assert_eq!(
            HookSimulation::of_tag(Some("timeout")),
            HookSimulation::Silent
        );
        assert_eq!(HookSimulation::of_tag(None), HookSimulation::Silent);
    }

    #[test]
    fn directives_parse() {
        assert_eq!(
            SimulatedBehaviour::parse("fail:AfterInstall").unwrap(),
            SimulatedBehaviour {
                fail: Some(LifecycleEvent::AfterInstall),
                ..SimulatedBehaviour::default()
            }
        );
        let all =
            SimulatedBehaviour::parse("slow, timeout:ValidateService,no-agent,stopped").unwrap();
        assert!(all.slow && all.no_agent && all.stopped);
        assert_eq!(all.timeout, Some(LifecycleEvent::ValidateService));
        assert!(SimulatedBehaviour::parse("").unwrap().is_normal());
        let local = SimulatedBehaviour::parse(" local ").unwrap();
        assert!(local.is_local() && !local.is_normal());
        assert!(!SimulatedBehaviour::parse("slow").unwrap().is_local());
        assert_eq!(
            local,
            SimulatedBehaviour {
                execution: Execution::Local,
                ..SimulatedBehaviour::default()
            }
        );
    }

    #[test]
    fn bad_directives_say_what_is_allowed() {
        let error = SimulatedBehaviour::parse("explode").unwrap_err();
        assert!(error.to_string().contains("fail:<Event>"));
        assert!(error.to_string().contains("slow or local"));
        let error = SimulatedBehaviour::parse("fail:Nope").unwrap_err();
        assert!(error.to_string().contains("not a lifecycle event"));
    }
}
