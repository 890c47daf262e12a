//! The Auto Scaling service of the local cloud (the `awsQuery` protocol,
//! API version 2011-01-01, signed for `autoscaling`).
//!
//! A request is a form (`Action=CreateAutoScalingGroup&Version=2011-01-01&...`);
//! lists and structures are flattened as `AvailabilityZones.member.1` and
//! `LaunchTemplate.LaunchTemplateName`. [`service`] registers Auto Scaling
//! with the server and maps an action to its function. Each family of
//! operations lives in its own file ([`groups`], [`instances`] for a
//! group's instances, [`hooks`] for lifecycle hooks and actions,
//! [`activities`]) over the state in [`state`], which also moves groups on
//! the clock and documents what the deployment engine may call; [`common`]
//! reads parameters and writes Auto Scaling's XML.
//!
//! Groups launch their instances from EC2 launch templates into the EC2
//! registry, so the operations read EC2's state and the clock writes it.

pub mod activities;
pub mod common;
pub mod groups;
pub mod hooks;
pub mod instances;
pub mod service;
pub mod state;

pub use state::{
    ActionResult, Activity, AutoScalingError, AutoScalingState, GROUP_NAME_TAG, Group,
    GroupInstance, GroupTag, LAUNCHING, LifecycleAction, LifecycleHook, LifecycleState, OpenAction,
    PROCEED_MILLIS, TERMINATING, TemplateRef,
};
