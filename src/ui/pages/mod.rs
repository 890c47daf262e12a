//! One module per page.

pub mod applications;
pub mod deploy;
pub mod deployments;
mod planner;
pub mod revisions;
pub mod rollout;
pub mod setup;
pub mod tour;

pub use applications::{ApplicationsAction, ApplicationsPage};
pub use deployments::{DeploymentsAction, DeploymentsPage};
pub use planner::PlannerPage;
