//! Reusable widgets.

pub mod button;
pub mod chip;
pub mod json;
pub mod loadable;
pub mod spotlight;
pub mod tiles;
pub mod time;
pub mod wizard;
