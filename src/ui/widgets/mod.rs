//! Reusable widgets.

pub mod chip;
pub mod tiles;
pub mod time;
