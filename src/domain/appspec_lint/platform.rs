//! What an AppSpec is linted for: the compute platform and, for
//! EC2/on-premises, the deployment type, which decide the hooks that run.

use crate::domain::lifecycle::{InstanceRole, LifecycleEvent, events_for};

/// How an EC2/on-premises deployment group deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeploymentStyle {
    /// The revision is installed on the group's own instances.
    #[default]
    InPlace,
    /// The revision is installed on replacement instances, then traffic
    /// moves to them.
    BlueGreen,
}

/// What the AppSpec is linted for: the application's compute platform and,
/// for EC2/on-premises, the deployment type (which decides which hooks
/// ever run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintPlatform {
    /// EC2 and on-premises instances.
    Server {
        /// In-place or blue/green.
        style: DeploymentStyle,
        /// Whether the group routes traffic through a load balancer (the
        /// traffic hooks of an in-place deployment run only then).
        load_balancer: bool,
    },
    /// Amazon ECS services.
    Ecs,
    /// AWS Lambda functions.
    Lambda,
}

impl LintPlatform {
    /// EC2/on-premises when the deployment type is not known yet: every
    /// hook an EC2/on-premises deployment can run is accepted.
    pub const SERVER: Self = Self::Server {
        style: DeploymentStyle::InPlace,
        load_balancer: true,
    };

    /// The hooks this platform runs, in the order they run.
    pub fn hook_names(self) -> Vec<&'static str> {
        match self {
            Self::Server { .. } => self
                .server_events()
                .into_iter()
                .map(LifecycleEvent::name)
                .collect(),
            Self::Ecs => ECS_HOOKS.to_vec(),
            Self::Lambda => LAMBDA_HOOKS.to_vec(),
        }
    }

    /// The scriptable events an EC2/on-premises deployment of this kind
    /// runs, in order; empty for ECS and Lambda.
    pub(super) fn server_events(self) -> Vec<LifecycleEvent> {
        let Self::Server {
            style,
            load_balancer,
        } = self
        else {
            return Vec::new();
        };
        let mut events = match style {
            DeploymentStyle::InPlace => events_for(InstanceRole::InPlace, load_balancer),
            DeploymentStyle::BlueGreen => {
                let mut events = events_for(InstanceRole::Original, true);
                events.extend(events_for(InstanceRole::Replacement, true));
                events
            }
        };
        events.retain(|event| event.is_scriptable());
        events
    }

    /// The platform in words, for messages.
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Server {
                style: DeploymentStyle::InPlace,
                load_balancer: false,
            } => "an in-place deployment without a load balancer",
            Self::Server {
                style: DeploymentStyle::InPlace,
                load_balancer: true,
            } => "an in-place EC2/on-premises deployment",
            Self::Server {
                style: DeploymentStyle::BlueGreen,
                ..
            } => "a blue/green EC2/on-premises deployment",
            Self::Ecs => "an Amazon ECS deployment",
            Self::Lambda => "an AWS Lambda deployment",
        }
    }
}

/// The hooks of an ECS AppSpec, in the order they run.
pub const ECS_HOOKS: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// The hooks of a Lambda AppSpec, in the order they run.
pub const LAMBDA_HOOKS: [&str; 2] = ["BeforeAllowTraffic", "AfterAllowTraffic"];
