//! Reusable widgets.

pub mod button;
pub mod chip;
pub mod columns;
pub mod dialog;
pub mod json;
pub mod loadable;
pub mod spotlight;
pub mod tiles;
pub mod time;
pub mod traffic_chart;
pub mod waves;
pub mod wizard;
