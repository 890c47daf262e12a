//! One module per page.

pub mod placeholder;
mod planner;

pub use planner::PlannerPage;
