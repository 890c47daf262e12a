//! Table columns that share the width a table has: each column starts at
//! its share of it (never below its minimum) and stays resizable; the last
//! one takes what is left. So a table fits its page at 800 px as at
//! 1280 px, and long texts are cut short in their cell rather than pushing
//! columns off screen.

use egui_extras::{Column, TableBuilder};

/// A column: its share of the table's width (0–1) and its minimum width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    /// The fraction of the width it starts with.
    pub fraction: f32,
    /// The narrowest it may be.
    pub minimum: f32,
}

/// Adds `shares` as resizable, clipping columns to `table`, sized for
/// `width`, and one last column that takes the rest (at least
/// `last_minimum` wide).
pub fn fitted<'a>(
    mut table: TableBuilder<'a>,
    shares: &[Share],
    last_minimum: f32,
    width: f32,
) -> TableBuilder<'a> {
    // Each column keeps a little room between it and the next.
    let width = width - 8.0 * (shares.len() + 1) as f32;
    for share in shares {
        table = table.column(
            Column::initial(initial_width(*share, width))
                .at_least(share.minimum)
                .clip(true),
        );
    }
    table.column(Column::remainder().at_least(last_minimum).clip(true))
}

/// An id for a table `width` wide: the same while the width changes a
/// little, so resized columns stay, and a new one when the window changes
/// much, so the columns fit it again.
pub fn table_id(name: &str, width: f32) -> (String, i32) {
    (name.to_owned(), (width / 80.0).floor() as i32)
}

/// The width a column starts with in a table `width` wide.
pub fn initial_width(share: Share, width: f32) -> f32 {
    (share.fraction * width).max(share.minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_never_goes_below_its_minimum() {
        let share = Share {
            fraction: 0.1,
            minimum: 80.0,
        };
        assert!((initial_width(share, 1_200.0) - 120.0).abs() < f32::EPSILON);
        assert!((initial_width(share, 600.0) - 80.0).abs() < f32::EPSILON);
    }
}
