//! The lifecycle events an EC2/on-premises deployment runs on each instance,
//! in order, for in-place and blue/green deployments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A lifecycle event of an EC2/on-premises deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LifecycleEvent {
    /// Before the load balancer stops sending traffic to the instance.
    BeforeBlockTraffic,
    /// The load balancer stops sending traffic (run by CodeDeploy).
    BlockTraffic,
    /// After traffic has been blocked.
    AfterBlockTraffic,
    /// Stops the application of the previous revision.
    ApplicationStop,
    /// The agent downloads the bundle (run by the agent).
    DownloadBundle,
    /// Before the files are copied.
    BeforeInstall,
    /// The agent copies the files (run by the agent).
    Install,
    /// After the files are copied.
    AfterInstall,
    /// Starts the application.
    ApplicationStart,
    /// Checks that the deployment worked.
    ValidateService,
    /// Before the load balancer sends traffic to the instance.
    BeforeAllowTraffic,
    /// The load balancer starts sending traffic (run by CodeDeploy).
    AllowTraffic,
    /// After traffic is allowed.
    AfterAllowTraffic,
    /// ECS blue/green: the test listener sends its traffic to the
    /// replacement task set (run by CodeDeploy).
    AllowTestTraffic,
    /// ECS blue/green: after test traffic reaches the replacement task set.
    AfterAllowTestTraffic,
}

/// The events of an in-place deployment without a load balancer.
const IN_PLACE: [LifecycleEvent; 7] = [
    LifecycleEvent::ApplicationStop,
    LifecycleEvent::DownloadBundle,
    LifecycleEvent::BeforeInstall,
    LifecycleEvent::Install,
    LifecycleEvent::AfterInstall,
    LifecycleEvent::ApplicationStart,
    LifecycleEvent::ValidateService,
];

const BLOCK_TRAFFIC: [LifecycleEvent; 3] = [
    LifecycleEvent::BeforeBlockTraffic,
    LifecycleEvent::BlockTraffic,
    LifecycleEvent::AfterBlockTraffic,
];

const ALLOW_TRAFFIC: [LifecycleEvent; 3] = [
    LifecycleEvent::BeforeAllowTraffic,
    LifecycleEvent::AllowTraffic,
    LifecycleEvent::AfterAllowTraffic,
];

impl LifecycleEvent {
    /// Every event, in the order an in-place deployment behind a load balancer runs them.
    pub const ALL: [Self; 13] = [
        Self::BeforeBlockTraffic,
        Self::BlockTraffic,
        Self::AfterBlockTraffic,
        Self::ApplicationStop,
        Self::DownloadBundle,
        Self::BeforeInstall,
        Self::Install,
        Self::AfterInstall,
        Self::ApplicationStart,
        Self::ValidateService,
        Self::BeforeAllowTraffic,
        Self::AllowTraffic,
        Self::AfterAllowTraffic,
    ];

    /// The event's name as the API and the AppSpec spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::BeforeBlockTraffic => "BeforeBlockTraffic",
            Self::BlockTraffic => "BlockTraffic",
            Self::AfterBlockTraffic => "AfterBlockTraffic",
            Self::ApplicationStop => "ApplicationStop",
            Self::DownloadBundle => "DownloadBundle",
            Self::BeforeInstall => "BeforeInstall",
            Self::Install => "Install",
            Self::AfterInstall => "AfterInstall",
            Self::ApplicationStart => "ApplicationStart",
            Self::ValidateService => "ValidateService",
            Self::BeforeAllowTraffic => "BeforeAllowTraffic",
            Self::AllowTraffic => "AllowTraffic",
            Self::AfterAllowTraffic => "AfterAllowTraffic",
            Self::AllowTestTraffic => "AllowTestTraffic",
            Self::AfterAllowTestTraffic => "AfterAllowTestTraffic",
        }
    }

    /// Whether an AppSpec hook may run scripts in this event. The others
    /// are run by the agent or by CodeDeploy itself.
    pub fn is_scriptable(self) -> bool {
        !matches!(
            self,
            Self::DownloadBundle
                | Self::Install
                | Self::BlockTraffic
                | Self::AllowTraffic
                | Self::AllowTestTraffic
        )
    }

    /// Whether the agent runs this event's scripts from the AppSpec of the
    /// revision the instance last installed, not the one being deployed:
    /// the events that stop what is running. An instance deployed to for
    /// the first time has nothing installed, so they run no scripts; these
    /// are the failures `ignoreApplicationStopFailures` lets a deployment
    /// go past.
    pub fn runs_installed_revision(self) -> bool {
        matches!(
            self,
            Self::ApplicationStop | Self::BeforeBlockTraffic | Self::AfterBlockTraffic
        )
    }
}

impl fmt::Display for LifecycleEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a lifecycle event of an EC2/on-premises deployment; use one of ApplicationStop, BeforeInstall, AfterInstall, ApplicationStart, ValidateService, or a traffic event."
)]
pub struct UnknownEvent(pub String);

impl FromStr for LifecycleEvent {
    type Err = UnknownEvent;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|event| event.name() == name)
            .ok_or_else(|| UnknownEvent(name.to_owned()))
    }
}

/// The events of an AWS Lambda deployment, in order: the alias's traffic
/// moves in `AllowTraffic`, between the two hooks.
pub const LAMBDA_EVENTS: [LifecycleEvent; 3] = ALLOW_TRAFFIC;

/// The events of an Amazon ECS blue/green deployment, in order: the
/// replacement task set starts in `Install`, takes the test listener's
/// traffic in `AllowTestTraffic` and production traffic in `AllowTraffic`.
pub const ECS_EVENTS: [LifecycleEvent; 8] = [
    LifecycleEvent::BeforeInstall,
    LifecycleEvent::Install,
    LifecycleEvent::AfterInstall,
    LifecycleEvent::AllowTestTraffic,
    LifecycleEvent::AfterAllowTestTraffic,
    LifecycleEvent::BeforeAllowTraffic,
    LifecycleEvent::AllowTraffic,
    LifecycleEvent::AfterAllowTraffic,
];

/// Which instances of a deployment the events are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InstanceRole {
    /// An in-place deployment's instance.
    InPlace,
    /// A blue/green deployment's replacement (green) instance.
    Replacement,
    /// A blue/green deployment's original (blue) instance.
    Original,
}

/// The events an instance runs through, in order. In-place instances behind
/// a load balancer are taken out of it first and put back last; blue/green
/// replacement instances install and then receive traffic; original
/// instances only have their traffic blocked.
pub fn events_for(role: InstanceRole, load_balancer: bool) -> Vec<LifecycleEvent> {
    match (role, load_balancer) {
        (InstanceRole::InPlace, false) => IN_PLACE.to_vec(),
        (InstanceRole::InPlace, true) => BLOCK_TRAFFIC
            .iter()
            .chain(&IN_PLACE)
            .chain(&ALLOW_TRAFFIC)
            .copied()
            .collect(),
        (InstanceRole::Replacement, _) => IN_PLACE.iter().chain(&ALLOW_TRAFFIC).copied().collect(),
        (InstanceRole::Original, _) => BLOCK_TRAFFIC.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_without_load_balancer_runs_the_seven_events() {
        let names: Vec<&str> = events_for(InstanceRole::InPlace, false)
            .into_iter()
            .map(LifecycleEvent::name)
            .collect();
        assert_eq!(
            names,
            [
                "ApplicationStop",
                "DownloadBundle",
                "BeforeInstall",
                "Install",
                "AfterInstall",
                "ApplicationStart",
                "ValidateService"
            ]
        );
    }

    #[test]
    fn in_place_behind_a_load_balancer_adds_the_six_traffic_events() {
        let events = events_for(InstanceRole::InPlace, true);
        assert_eq!(events.len(), 13);
        assert_eq!(events[0], LifecycleEvent::BeforeBlockTraffic);
        assert_eq!(events[12], LifecycleEvent::AfterAllowTraffic);
    }

    #[test]
    fn blue_green_replacement_installs_then_allows_traffic_and_original_blocks_it() {
        let replacement = events_for(InstanceRole::Replacement, true);
        assert_eq!(replacement.len(), 10);
        assert_eq!(replacement.last(), Some(&LifecycleEvent::AfterAllowTraffic));
        assert_eq!(
            events_for(InstanceRole::Original, true),
            vec![
                LifecycleEvent::BeforeBlockTraffic,
                LifecycleEvent::BlockTraffic,
                LifecycleEvent::AfterBlockTraffic
            ]
        );
    }

    #[test]
    fn only_hook_events_are_scriptable() {
        assert!(LifecycleEvent::AfterInstall.is_scriptable());
        assert!(!LifecycleEvent::DownloadBundle.is_scriptable());
        assert!(!LifecycleEvent::AllowTraffic.is_scriptable());
    }

    #[test]
    fn names_parse_back() {
        for event in LifecycleEvent::ALL {
            assert_eq!(event.name().parse::<LifecycleEvent>(), Ok(event));
        }
        assert!("Whatever".parse::<LifecycleEvent>().is_err());
    }
}
