//! The egui user interface: the app shell, one file per page, and reusable
//! widgets.
//!
//! UI code never blocks: no `.await`, no file or network I/O in a frame.

mod app;
mod appearance;
mod connection;
pub mod frame_report;
pub mod logs_folder;
pub mod pages;
pub mod shortcuts;
pub mod widgets;

pub use app::{App, AppOptions};
