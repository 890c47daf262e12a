//! The IAM service of the local cloud (the `awsQuery` protocol, API version
//! 2010-05-08). IAM is global: every region sees the same roles.
//!
//! A request is a form (`Action=CreateRole&Version=2010-05-08&RoleName=...`);
//! lists and structures are flattened as `Tags.member.1.Key`. [`service`]
//! registers IAM with the server and maps an action to its function. Each
//! family of operations lives in its own file ([`roles`], [`policies`] for
//! managed and inline policies, [`profiles`] for instance profiles) over
//! the state in [`state`]; [`common`] reads parameters and writes IAM's XML
//! envelope for them.

pub mod common;
pub mod policies;
pub mod profiles;
pub mod roles;
pub mod service;
pub mod state;

pub use state::{IamState, InstanceProfile, ManagedPolicy, Role};
