//! Reusable widgets.

pub mod chip;
pub mod tiles;
pub mod time;
pub mod json;
pub mod wizard;
