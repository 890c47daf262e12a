//! The app's UI tests, one module a page or flow: the whole app driven
//! through `egui_kittest` as a person would drive it, mostly on the demo
//! account's local cloud. They are one test binary, so that the suite
//! links once.
//!
//!     cargo test --test ui              # all of them
//!     cargo test --test ui rollout::    # one module

#[path = "../traffic_support/mod.rs"]
mod traffic_support;
#[path = "../ui_support/mod.rs"]
mod ui_support;

mod applications;
mod applications_traffic;
mod demo;
mod deploy;
mod desktop;
mod freshness;
mod group_wizard_traffic;
mod planner;
mod readiness;
mod revisions;
mod rollout;
mod setup;
mod tag_instances;
mod traffic;
