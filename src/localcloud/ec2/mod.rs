//! The EC2 service of the local cloud (the `ec2Query` protocol, API version
//! 2016-11-15): the instance registry in [`state`], and the operations over
//! it that DeployDesk, the SDK and the AWS CLI use.
//!
//! A request is a form (`Action=DescribeInstances&Version=2016-11-15&...`)
//! in a POST body or a GET query string, read by the query protocol's
//! [`Params`](crate::localcloud::protocol::query::Params). [`service`]
//! registers EC2 with the server, maps an action to its function and
//! handles what every action shares: the version and `DryRun`. Each family
//! of operations lives in its own file, which reads its parameters, checks
//! them and applies them to the registry, and answers in EC2's XML
//! ([`xml`]); [`common`] holds what they share. Launch templates
//! ([`launch_templates`], kept in [`launch_template_state`]) are what Auto
//! Scaling launches its groups' instances from.

pub mod common;
pub mod filters;
pub mod iam_profiles;
pub mod instances;
pub mod launch_template_state;
pub mod launch_templates;
pub mod lifecycle;
pub mod paging;
pub mod regions;
pub mod service;
pub mod state;
pub mod tags;
pub mod xml;

pub use state::{
    DEFAULT_IMAGE_ID, DEFAULT_INSTANCE_TYPE, Ec2Instance, Ec2State, InstanceState, LaunchSpec,
    NAME_TAG, ProfileAssociation, STATE_TRANSITION_MILLIS, is_instance_id, is_resource_id,
};
