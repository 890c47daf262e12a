//! Classic Elastic Load Balancing in the local cloud (the `awsQuery`
//! protocol, API version 2012-06-01): load balancers with listeners,
//! registered EC2 instances whose health moves on the clock, connection
//! draining and a health check; enough for a CodeDeploy deployment
//! group's `elbInfoList`.
//!
//! Its requests are signed for `elasticloadbalancing`, as those of
//! Elastic Load Balancing v2 ([`super::elbv2`]) are; the server tells the
//! two apart by the `Version` in the form. It shares v2's parameter
//! reading and envelope (`elbv2::common`). [`service`] registers it; [`load_balancers`],
//! [`instances`] and [`attributes`] hold its operations over the state in
//! [`state`], which also holds the functions CodeDeploy's engine uses.

pub mod attributes;
pub mod instances;
pub mod load_balancers;
pub mod service;
pub mod state;

pub use state::{
    ClassicHealthCheck, ClassicListener, ClassicLoadBalancer, ClassicSeamError, ElbState,
    InstanceHealth, Member, in_service_at, instance_health,
};
