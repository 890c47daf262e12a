//! One module per page.

pub mod applications;
pub mod placeholder;
mod planner;
pub mod rollout;

pub use applications::{ApplicationsAction, ApplicationsPage};
pub use planner::PlannerPage;
