//! Spotlights: a part of the screen that a guide can point at.
//!
//! A widget that the guided tour may talk about marks its rect under a
//! [`Spot`] each frame it is drawn ([`mark`]); the tour, drawn in the same
//! frame, frames the spot its step is about ([`frame_spots`]). A spot not
//! marked in the current frame is not on screen, and is not framed.

/// A named part of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spot(pub &'static str);

/// The rollout view's header: status, progress and the outcome explained.
pub const ROLLOUT_HEADER: Spot = Spot("rollout header");
/// The rollout view's "Wave" grouping of the tiles.
pub const WAVE_GROUPING: Spot = Spot("wave grouping");
/// The rollout view's grid of tiles.
pub const TILE_GRID: Spot = Spot("tile grid");
/// The rollout view's panel of one instance's lifecycle events.
pub const INSTANCE_PANEL: Spot = Spot("instance panel");

/// The smallest width and height a spot is framed at.
const MIN_SIDE: f32 = 12.0;

fn key(spot: Spot) -> egui::Id {
    egui::Id::unique(("spotlight", spot.0))
}

/// Marks `rect` as where `spot` is drawn in this frame.
pub fn mark(ctx: &egui::Context, spot: Spot, rect: egui::Rect) {
    let pass = ctx.cumulative_pass_nr();
    ctx.data_mut(|data| data.insert_temp(key(spot), (pass, rect)));
}

/// Where `spot` was drawn in this frame, if it was.
pub fn rect_of(ctx: &egui::Context, spot: Spot) -> Option<egui::Rect> {
    let pass = ctx.cumulative_pass_nr();
    ctx.data(|data| data.get_temp::<(u64, egui::Rect)>(key(spot)))
        .and_then(|(marked, rect)| (marked == pass).then_some(rect))
}

fn framed_key() -> egui::Id {
    egui::Id::unique("spotlight framed")
}

/// The spot framed in the frame being drawn or the last one drawn, and
/// where: what a person sees framed on screen now.
pub fn framed(ctx: &egui::Context) -> Option<(Spot, egui::Rect)> {
    let pass = ctx.cumulative_pass_nr();
    ctx.data(|data| data.get_temp::<(u64, Spot, egui::Rect)>(framed_key()))
        .and_then(|(framed, spot, rect)| (framed + 1 >= pass).then_some((spot, rect)))
}

/// Frames the first of `spots` that is on screen, above the panels but
/// below menus (nothing is framed while a dialog is open). Returns the spot
/// framed, if any.
pub fn frame_spots(ctx: &egui::Context, spots: &[Spot]) -> Option<Spot> {
    if ctx.memory(egui::Memory::top_modal_layer).is_some() {
        return None;
    }
    // A spot squeezed to a sliver is passed over for the next one.
    let (spot, visible) = spots.iter().find_map(|&spot| {
        let visible = rect_of(ctx, spot)?.intersect(ctx.content_rect());
        (visible.width() >= MIN_SIDE && visible.height() >= MIN_SIDE).then_some((spot, visible))
    })?;
    let pass = ctx.cumulative_pass_nr();
    ctx.data_mut(|data| data.insert_temp(framed_key(), (pass, spot, visible)));
    let painter = ctx.layer_painter(egui::LayerId::new(
        // Above the panels, below menus and tooltips.
        egui::Order::Middle,
        egui::Id::unique("spotlight_frame"),
    ));
    let color = ctx.global_style().visuals.selection.stroke.color;
    // Just outside the spot, so the stroke never covers what it frames.
    let frame = visible
        .expand(5.0)
        .intersect(ctx.content_rect())
        .shrink(1.0);
    painter.rect_stroke(
        frame,
        6.0,
        egui::Stroke::new(3.0, color),
        egui::StrokeKind::Inside,
    );
    // A faint wash outside the stroke makes the frame read at a glance in
    // both themes.
    painter.rect_stroke(
        frame.expand(2.0),
        8.0,
        egui::Stroke::new(3.0, color.gamma_multiply(0.35)),
        egui::StrokeKind::Outside,
    );
    Some(spot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spot_is_known_only_in_the_frame_it_was_marked() {
        let rect = egui::Rect::from_min_size(egui::pos2(10.0, 20.0), egui::vec2(30.0, 40.0));
        // Marked in the first frame only; what each frame sees.
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, seen: &mut Vec<Option<egui::Rect>>| {
                if seen.is_empty() {
                    mark(ui.ctx(), TILE_GRID, rect);
                }
                seen.push(rect_of(ui.ctx(), TILE_GRID));
            },
            Vec::new(),
        );
        harness.step();
        harness.step();
        let seen = harness.state();
        assert!(seen.len() >= 2, "{seen:?}");
        assert_eq!(seen[0], Some(rect), "known in the frame it was marked");
        assert!(
            seen[1..].iter().all(Option::is_none),
            "not drawn in the next frames, so not on screen: {seen:?}"
        );
    }
}
