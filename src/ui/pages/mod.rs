//! One module per page.

pub mod applications;
pub mod deploy;
pub mod deployments;
pub mod placeholder;
mod planner;
pub mod rollout;
pub mod setup;

pub use applications::{ApplicationsAction, ApplicationsPage};
pub use deployments::{DeploymentsAction, DeploymentsPage};
pub use planner::PlannerPage;
