//! Elastic Load Balancing v2 in the local cloud (the `awsQuery` protocol,
//! API version 2015-12-01): application and network load balancers, target
//! groups of EC2 instances whose health moves on the clock, listeners that
//! forward to weighted target groups, and tags.
//!
//! Its requests are signed for `elasticloadbalancing`, as the classic
//! API's are ([`super::elb`]); the server tells the two apart by the
//! `Version` in the form. [`service`] registers it and maps an action to
//! its function; each family of operations lives in its own file
//! ([`load_balancers`], [`target_groups`], [`listeners`], [`targets`],
//! [`tags`]) over the state in [`state`], which also holds the functions
//! CodeDeploy's engine uses to act on load balancers; [`common`] reads
//! parameters and writes the XML envelope for both APIs.

pub mod common;
pub mod listeners;
pub mod load_balancers;
pub mod service;
pub mod state;
pub mod tags;
pub mod target_groups;
pub mod targets;

pub use state::{
    Elbv2State, ForwardAction, Listener, Liveness, LoadBalancer, LoadBalancerType, SeamError,
    Target, TargetGroup, TargetHealth, TargetState, WeightedTargetGroup, health_of, healthy_at,
    liveness_in,
};
