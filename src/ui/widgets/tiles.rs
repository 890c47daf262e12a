//! A grid of tiles, one per instance, laid out in labelled rows.
//!
//! The grid allocates one rect, paints only the rows in view, and works out
//! the hovered tile from the pointer, so it stays cheap with thousands of
//! instances. [`growing_grid_ui`] draws tiles as big as the room allows:
//! cards with the instance's name and current event for a few, squares for
//! more, dense squares only when thousands must fit ([`TileSize`]). Colour is never the only signal: failed tiles carry a cross,
//! stopped ones a bar, skipped ones are hollow and in-progress ones fill up.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

/// What a tile shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TileState {
    /// Waiting.
    Pending,
    /// Being deployed to; the fraction of its lifecycle done, 0–1.
    InProgress(f32),
    /// Deployed to successfully.
    Succeeded,
    /// The deployment to it failed.
    Failed,
    /// The instance was stopped, which counts as a failure.
    Stopped,
    /// Not attempted.
    Skipped,
    /// A blue/green replacement instance waiting for traffic.
    Ready,
}

impl TileState {
    /// A word for the state, for tooltips and screen readers.
    pub fn word(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress(_) => "in progress",
            Self::Succeeded => "succeeds",
            Self::Failed => "fails",
            Self::Stopped => "stopped",
            Self::Skipped => "not attempted",
            Self::Ready => "ready",
        }
    }

    /// The tile's fill colour.
    pub fn color(self) -> Color32 {
        match self {
            Self::Pending => Color32::from_gray(150),
            Self::InProgress(_) => Color32::from_rgb(0x3d, 0x7e, 0xd6),
            Self::Succeeded => Color32::from_rgb(0x2e, 0x9e, 0x5b),
            Self::Failed => Color32::from_rgb(0xd6, 0x3b, 0x3b),
            Self::Stopped => Color32::from_rgb(0xd9, 0x82, 0x1e),
            Self::Skipped => Color32::from_gray(120),
            Self::Ready => Color32::from_rgb(0x7b, 0x52, 0xc9),
        }
    }
}

/// One labelled row of tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct TileRow {
    /// The row's label, e.g. "Wave 3".
    pub label: String,
    /// The items in the row, as indices the caller understands.
    pub items: Vec<usize>,
}

/// What the pointer did with the grid this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TileGridResponse {
    /// The item under the pointer.
    pub hovered: Option<usize>,
    /// The item clicked, or moved to with the arrow keys.
    pub clicked: Option<usize>,
    /// The selected item, when Enter was pressed on it.
    pub activated: Option<usize>,
    /// The size the tiles were drawn at.
    pub tile_size: TileSize,
}

const TILE: f32 = 14.0;
const GAP: f32 = 3.0;
const ROW_PADDING: f32 = 6.0;

/// The room on the left of each row for its label; tiles start after it.
pub const LABEL_WIDTH: f32 = 96.0;

/// The most instances that still get medium squares when the grid must
/// scroll anyway.
const SMALL_FLEET: usize = 100;

/// How big tiles are drawn: dense squares for thousands of instances,
/// bigger squares for tens or hundreds, and cards with the instance's name
/// and current event for a few.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileSize {
    /// The tile's size.
    pub size: Vec2,
    /// The space between tiles.
    pub gap: f32,
    /// Whether the tile carries its caption (a card).
    pub captions: bool,
}

impl Default for TileSize {
    fn default() -> Self {
        Self::DENSE
    }
}

impl TileSize {
    /// Cards with a name and the current event.
    pub const CARD: Self = Self {
        size: Vec2::new(176.0, 44.0),
        gap: 6.0,
        captions: true,
    };
    /// Big squares.
    pub const LARGE: Self = Self {
        size: Vec2::splat(32.0),
        gap: 5.0,
        captions: false,
    };
    /// Medium squares.
    pub const MEDIUM: Self = Self {
        size: Vec2::splat(22.0),
        gap: 4.0,
        captions: false,
    };
    /// Dense squares, for thousands.
    pub const DENSE: Self = Self {
        size: Vec2::splat(TILE),
        gap: GAP,
        captions: false,
    };

    /// From the biggest to the densest.
    const ALL: [Self; 4] = [Self::CARD, Self::LARGE, Self::MEDIUM, Self::DENSE];

    /// The biggest size at which all `rows` fit in `room` without
    /// scrolling, but never smaller than the fleet needs: dense squares are
    /// for hundreds and thousands, so a small fleet in a short window keeps
    /// squares big enough to aim at, and scrolls.
    pub fn fitting(rows: &[TileRow], room: Vec2) -> Self {
        let fleet: usize = rows.iter().map(|row| row.items.len()).sum();
        let smallest = if fleet <= SMALL_FLEET {
            Self::MEDIUM
        } else {
            Self::DENSE
        };
        Self::ALL
            .into_iter()
            .take_while(|size| size.size.x >= smallest.size.x)
            .find(|size| Layout::new(rows, room.x, *size).total_height <= room.y)
            .unwrap_or(smallest)
    }

    /// The height `rows` take at this size in a grid `width` wide.
    pub fn height(self, rows: &[TileRow], width: f32) -> f32 {
        Layout::new(rows, width, self).total_height
    }

    /// From one tile's corner to the next one's, across and down.
    pub fn step(self) -> Vec2 {
        self.size + Vec2::splat(self.gap)
    }
}

/// Row geometry for a given width: how many tiles fit on a line and where
/// each row starts.
struct Layout {
    tile: TileSize,
    per_line: usize,
    row_tops: Vec<f32>,
    total_height: f32,
}

impl Layout {
    fn new(rows: &[TileRow], width: f32, tile: TileSize) -> Self {
        let step = tile.step();
        let per_line = (((width - LABEL_WIDTH).max(step.x)) / step.x)
            .floor()
            .max(1.0) as usize;
        let mut row_tops = Vec::with_capacity(rows.len());
        let mut top = 0.0;
        for row in rows {
            row_tops.push(top);
            let lines = row.items.len().div_ceil(per_line).max(1);
            top += lines as f32 * step.y + ROW_PADDING;
        }
        Self {
            tile,
            per_line,
            row_tops,
            total_height: top,
        }
    }

    /// The height of one line of tiles.
    fn line_height(&self) -> f32 {
        self.tile.step().y
    }

    /// The row containing the vertical offset `y`, if any.
    fn row_at(&self, y: f32) -> Option<usize> {
        if y < 0.0 || y >= self.total_height {
            return None;
        }
        Some(
            self.row_tops
                .partition_point(|&top| top <= y)
                .saturating_sub(1),
        )
    }

    fn tile_rect(&self, origin: Pos2, row: usize, position: usize) -> Rect {
        let step = self.tile.step();
        let line = position / self.per_line;
        let column = position % self.per_line;
        let min = origin
            + Vec2::new(
                LABEL_WIDTH + column as f32 * step.x,
                self.row_tops[row] + line as f32 * step.y,
            );
        Rect::from_min_size(min, self.tile.size)
    }
}

/// What a card says: a title (the instance's `Name` tag, or its id) and a
/// line under it (its current event).
pub struct TileCaption {
    /// The first line, strong.
    pub title: String,
    /// The second line.
    pub detail: String,
}

/// What the grid needs besides its rows.
pub struct GridOptions<'a> {
    /// Keeps the grid's scroll position apart from other grids.
    pub id_salt: &'a str,
    /// The selected item, drawn with a ring.
    pub selected: Option<usize>,
    /// What a screen reader says for the grid.
    pub label: &'a str,
}

/// Draws the rows of dense tiles in a vertical scroll area. `state_of`
/// gives each item's state and `describe` its hover text. Clicking a tile
/// selects it; with the grid focused, the arrow keys move the selection and
/// Enter activates it.
pub fn grid_ui(
    ui: &mut egui::Ui,
    options: &GridOptions<'_>,
    rows: &[TileRow],
    state_of: &dyn Fn(usize) -> TileState,
    describe: &dyn Fn(usize) -> String,
) -> TileGridResponse {
    tiles_ui(ui, options, rows, state_of, describe, None)
}

/// Like [`grid_ui`], with tiles that grow with the space: the biggest
/// [`TileSize`] at which every row fits in view, cards with `caption`'s
/// words for a few instances, dense squares only when thousands must fit.
pub fn growing_grid_ui(
    ui: &mut egui::Ui,
    options: &GridOptions<'_>,
    rows: &[TileRow],
    state_of: &dyn Fn(usize) -> TileState,
    describe: &dyn Fn(usize) -> String,
    caption: &dyn Fn(usize) -> TileCaption,
) -> TileGridResponse {
    tiles_ui(ui, options, rows, state_of, describe, Some(caption))
}

fn tiles_ui(
    ui: &mut egui::Ui,
    options: &GridOptions<'_>,
    rows: &[TileRow],
    state_of: &dyn Fn(usize) -> TileState,
    describe: &dyn Fn(usize) -> String,
    caption: Option<&dyn Fn(usize) -> TileCaption>,
) -> TileGridResponse {
    let mut result = TileGridResponse::default();
    // Sized for the room in view, before any scroll bar takes its share.
    let tile = if caption.is_some() {
        TileSize::fitting(rows, ui.available_size())
    } else {
        TileSize::DENSE
    };
    result.tile_size = tile;
    egui::ScrollArea::vertical()
        .id_salt(options.id_salt)
        .auto_shrink([false, false])
        .show_viewport(ui, |ui, viewport| {
            let width = ui.available_width();
            let layout = Layout::new(rows, width, tile);
            let line_height = layout.line_height();
            let (rect, response) = ui.allocate_exact_size(
                Vec2::new(width, layout.total_height.max(1.0)),
                Sense::click(),
            );
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Grid, true, options.label));
            let origin = rect.min;
            let painter = ui.painter_at(rect);
            let text_color = ui.visuals().text_color();
            let font = egui::FontId::proportional(12.0);

            let mut mesh = egui::Mesh::default();
            let first = layout.row_at(viewport.min.y).unwrap_or(0);
            for (row_index, row) in rows.iter().enumerate().skip(first) {
                if layout.row_tops[row_index] > viewport.max.y {
                    break;
                }
                // A label longer than its room ends in "…" rather than
                // running under the tiles.
                let mut job = egui::text::LayoutJob::simple_singleline(
                    row.label.clone(),
                    font.clone(),
                    text_color,
                );
                job.wrap = egui::text::TextWrapping::truncate_at_width(LABEL_WIDTH - 6.0);
                let galley = painter.layout_job(job);
                let top =
                    origin.y + layout.row_tops[row_index] + TILE / 2.0 - galley.size().y / 2.0;
                painter.galley(egui::pos2(origin.x, top), galley, text_color);
                // Only the lines of this row that are in view.
                let row_top = layout.row_tops[row_index];
                let first_line =
                    ((viewport.min.y - row_top) / line_height).floor().max(0.0) as usize;
                let last_line = ((viewport.max.y - row_top) / line_height).ceil().max(0.0) as usize;
                let start = (first_line * layout.per_line).min(row.items.len());
                let end = ((last_line + 1) * layout.per_line).min(row.items.len());
                for (position, &item) in row.items.iter().enumerate().take(end).skip(start) {
                    let rect = layout.tile_rect(origin, row_index, position);
                    match caption.filter(|_| tile.captions) {
                        Some(caption) => {
                            card_ui(&painter, ui.visuals(), rect, state_of(item), &caption(item));
                        }
                        None => push_tile(&mut mesh, rect, state_of(item)),
                    }
                }
            }
            // All visible squares in one batch.
            painter.add(egui::Shape::mesh(mesh));

            let located = options.selected.and_then(|item| locate(rows, item));
            if let Some((row, position)) = located {
                let tile = layout.tile_rect(origin, row, position);
                painter.rect_stroke(
                    tile.expand(2.0),
                    3.0,
                    Stroke::new(2.0, ui.visuals().selection.stroke.color),
                    egui::StrokeKind::Outside,
                );
            }

            let hovered_item = response.hover_pos().and_then(|pos| {
                let local = pos - origin;
                let row = layout.row_at(local.y)?;
                let line = ((local.y - layout.row_tops[row]) / line_height).floor() as usize;
                let x = local.x - LABEL_WIDTH;
                if x < 0.0 {
                    return None;
                }
                let column = (x / tile.step().x).floor() as usize;
                if column >= layout.per_line {
                    return None;
                }
                let position = line * layout.per_line + column;
                let item = *rows[row].items.get(position)?;
                layout
                    .tile_rect(origin, row, position)
                    .contains(pos)
                    .then_some(item)
            });
            result.hovered = hovered_item;
            if response.clicked() {
                response.request_focus();
                if let Some(item) = hovered_item {
                    result.clicked = Some(item);
                }
            }
            if response.has_focus() {
                let moved = ui.input(|input| {
                    if input.key_pressed(egui::Key::ArrowRight) {
                        Some(Move::Next)
                    } else if input.key_pressed(egui::Key::ArrowLeft) {
                        Some(Move::Previous)
                    } else if input.key_pressed(egui::Key::ArrowDown) {
                        Some(Move::Down)
                    } else if input.key_pressed(egui::Key::ArrowUp) {
                        Some(Move::Up)
                    } else {
                        None
                    }
                });
                if let Some(direction) = moved {
                    let next = match located {
                        Some((row, position)) => {
                            step(rows, layout.per_line, row, position, direction)
                        }
                        None => rows.iter().find_map(|row| row.items.first().copied()),
                    };
                    if let Some(item) = next {
                        result.clicked = Some(item);
                        if let Some((row, position)) = locate(rows, item) {
                            ui.scroll_to_rect(layout.tile_rect(origin, row, position), None);
                        }
                    }
                }
                if ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                    result.activated = options.selected;
                }
            }
            if let Some(item) = hovered_item {
                response.on_hover_text_at_pointer(describe(item));
            }
        });
    result
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Next,
    Previous,
    Up,
    Down,
}

/// The row and position of an item.
fn locate(rows: &[TileRow], item: usize) -> Option<(usize, usize)> {
    rows.iter().enumerate().find_map(|(row_index, row)| {
        row.items
            .iter()
            .position(|&candidate| candidate == item)
            .map(|position| (row_index, position))
    })
}

/// The item one step away from `(row, position)`, keeping the column when
/// moving up and down.
fn step(
    rows: &[TileRow],
    per_line: usize,
    row: usize,
    position: usize,
    direction: Move,
) -> Option<usize> {
    let items = &rows[row].items;
    match direction {
        Move::Next => items.get(position + 1).copied().or_else(|| {
            rows[row + 1..]
                .iter()
                .find_map(|next| next.items.first().copied())
        }),
        Move::Previous => match position {
            0 => rows[..row]
                .iter()
                .rev()
                .find_map(|previous| previous.items.last().copied()),
            _ => items.get(position - 1).copied(),
        },
        Move::Down => {
            if position + per_line < items.len() {
                return items.get(position + per_line).copied();
            }
            let column = position % per_line;
            rows[row + 1..]
                .iter()
                .find(|next| !next.items.is_empty())
                .map(|next| next.items[column.min(next.items.len() - 1)])
        }
        Move::Up => {
            if position >= per_line {
                return items.get(position - per_line).copied();
            }
            let column = position % per_line;
            rows[..row]
                .iter()
                .rev()
                .find(|previous| !previous.items.is_empty())
                .map(|previous| {
                    let last_line_start = (previous.items.len() - 1) / per_line * per_line;
                    previous.items[(last_line_start + column).min(previous.items.len() - 1)]
                })
        }
    }
}

/// Adds a tile to `mesh` as plain coloured quads: no rounding, no
/// anti-aliasing to tessellate, so thousands of tiles cost one small batch.
fn push_tile(mesh: &mut egui::Mesh, tile: Rect, state: TileState) {
    let color = state.color();
    match state {
        TileState::Skipped => {
            // A hollow square: four thin edges.
            let edge = 1.0;
            mesh.add_colored_rect(
                Rect::from_min_max(tile.min, egui::pos2(tile.max.x, tile.min.y + edge)),
                color,
            );
            mesh.add_colored_rect(
                Rect::from_min_max(egui::pos2(tile.min.x, tile.max.y - edge), tile.max),
                color,
            );
            mesh.add_colored_rect(
                Rect::from_min_max(tile.min, egui::pos2(tile.min.x + edge, tile.max.y)),
                color,
            );
            mesh.add_colored_rect(
                Rect::from_min_max(egui::pos2(tile.max.x - edge, tile.min.y), tile.max),
                color,
            );
        }
        TileState::InProgress(fraction) => {
            mesh.add_colored_rect(tile, color.gamma_multiply(0.4));
            let mut done = tile;
            done.set_top(tile.bottom() - tile.height() * fraction.clamp(0.0, 1.0));
            mesh.add_colored_rect(done, color);
        }
        TileState::Failed => {
            mesh.add_colored_rect(tile, color);
            let inner = tile.shrink(3.5);
            push_line(
                mesh,
                inner.left_top(),
                inner.right_bottom(),
                1.6,
                Color32::WHITE,
            );
            push_line(
                mesh,
                inner.right_top(),
                inner.left_bottom(),
                1.6,
                Color32::WHITE,
            );
        }
        TileState::Stopped => {
            mesh.add_colored_rect(tile, color);
            let bar = Rect::from_center_size(tile.center(), Vec2::new(tile.width() - 7.0, 2.0));
            mesh.add_colored_rect(bar, Color32::WHITE);
        }
        TileState::Ready => {
            mesh.add_colored_rect(tile, color);
            mesh.add_colored_rect(
                Rect::from_center_size(tile.center(), Vec2::splat(4.0)),
                Color32::WHITE,
            );
        }
        TileState::Pending | TileState::Succeeded => mesh.add_colored_rect(tile, color),
    }
}

/// Paints a card: a tinted rounded box with a stripe and the square mark
/// of its state on the left, the title and the detail beside them.
fn card_ui(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    card: Rect,
    state: TileState,
    caption: &TileCaption,
) {
    let color = state.color();
    painter.rect_filled(card, 4.0, color.gamma_multiply(0.22));
    painter.rect_stroke(
        card,
        4.0,
        Stroke::new(1.0, color.gamma_multiply(0.8)),
        egui::StrokeKind::Inside,
    );
    let mark = Rect::from_center_size(
        egui::pos2(card.left() + 6.0 + TILE / 2.0, card.center().y),
        Vec2::splat(TILE),
    );
    let mut mesh = egui::Mesh::default();
    push_tile(&mut mesh, mark, state);
    painter.add(egui::Shape::mesh(mesh));
    let text_left = mark.right() + 6.0;
    let clip = painter.with_clip_rect(
        Rect::from_min_max(
            egui::pos2(text_left, card.top()),
            card.max - Vec2::new(4.0, 0.0),
        )
        .intersect(painter.clip_rect()),
    );
    clip.text(
        egui::pos2(text_left, card.top() + 5.0),
        egui::Align2::LEFT_TOP,
        &caption.title,
        egui::FontId::proportional(13.0),
        visuals.strong_text_color(),
    );
    clip.text(
        egui::pos2(text_left, card.bottom() - 5.0),
        egui::Align2::LEFT_BOTTOM,
        &caption.detail,
        egui::FontId::proportional(11.5),
        visuals.text_color(),
    );
}

/// Adds a straight line of the given width to `mesh` as one quad.
fn push_line(mesh: &mut egui::Mesh, from: Pos2, to: Pos2, width: f32, color: Color32) {
    let along = (to - from).normalized();
    let across = Vec2::new(-along.y, along.x) * (width / 2.0);
    let base = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
    for corner in [from + across, to + across, to - across, from - across] {
        mesh.colored_vertex(corner, color);
    }
    mesh.add_triangle(base, base + 1, base + 2);
    mesh.add_triangle(base, base + 2, base + 3);
}

/// A row of legend entries for the given states.
pub fn legend_ui(ui: &mut egui::Ui, states: &[TileState]) {
    ui.horizontal_wrapped(|ui| {
        for &state in states {
            // A tile and its word are one item, which moves to the next
            // line whole: "not attempted" is never cut in two.
            let word = egui::WidgetText::from(state.word()).into_galley(
                ui,
                Some(egui::TextWrapMode::Extend),
                f32::INFINITY,
                egui::TextStyle::Body,
            );
            let spacing = ui.spacing().item_spacing.x;
            let size = Vec2::new(TILE + spacing + word.size().x, word.size().y.max(TILE));
            let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, state.word()));
            let tile = Rect::from_center_size(
                Pos2::new(rect.left() + TILE / 2.0, rect.center().y),
                Vec2::splat(TILE),
            );
            let mut mesh = egui::Mesh::default();
            push_tile(&mut mesh, tile, state);
            ui.painter().add(egui::Shape::mesh(mesh));
            let text_top = rect.center().y - word.size().y / 2.0;
            let text_color = ui.visuals().text_color();
            ui.painter().galley(
                Pos2::new(tile.right() + spacing, text_top),
                word,
                text_color,
            );
            ui.add_space(8.0);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(sizes: &[usize]) -> Vec<TileRow> {
        let mut next = 0;
        sizes
            .iter()
            .map(|&size| {
                let items = (next..next + size).collect();
                next += size;
                TileRow {
                    label: String::new(),
                    items,
                }
            })
            .collect()
    }

    const STEP: f32 = TILE + GAP;

    #[test]
    fn long_rows_wrap_onto_more_lines() {
        let width = LABEL_WIDTH + 10.0 * STEP;
        let layout = Layout::new(&rows(&[25, 3]), width, TileSize::DENSE);
        assert_eq!(layout.per_line, 10);
        assert_eq!(layout.row_tops, vec![0.0, 3.0 * STEP + ROW_PADDING]);
    }

    #[test]
    fn tiles_grow_with_the_room_and_shrink_for_thousands() {
        let room = Vec2::new(900.0, 500.0);
        // Five instances in two rows are cards with their names.
        assert_eq!(TileSize::fitting(&rows(&[1, 4]), room), TileSize::CARD);
        // Forty no longer fit as cards, but as big squares.
        assert_eq!(TileSize::fitting(&rows(&[40]), room), TileSize::LARGE);
        // Thousands are dense squares, and scroll.
        assert_eq!(TileSize::fitting(&rows(&[3_000]), room), TileSize::DENSE);
        assert_eq!(TileSize::fitting(&rows(&[400]), room), TileSize::MEDIUM);
        // The same five in a short window get smaller tiles, but not the
        // dense ones meant for thousands: they scroll instead.
        assert_eq!(
            TileSize::fitting(&rows(&[1, 4]), Vec2::new(400.0, 60.0)),
            TileSize::MEDIUM
        );
        assert_eq!(
            TileSize::fitting(&rows(&[1, 4]), Vec2::new(400.0, 20.0)),
            TileSize::MEDIUM
        );
        assert_eq!(
            TileSize::fitting(&rows(&[300, 300]), Vec2::new(400.0, 60.0)),
            TileSize::DENSE
        );
    }

    #[test]
    fn a_card_is_clicked_where_it_is_drawn() {
        use egui_kittest::kittest::Queryable as _;

        let rows = rows(&[1, 4]);
        let mut clicked = None;
        let mut harness = egui_kittest::Harness::new_ui(|ui| {
            let options = GridOptions {
                id_salt: "grid",
                selected: None,
                label: "Tiles",
            };
            let caption = |item: usize| TileCaption {
                title: format!("web-{item}"),
                detail: "AfterInstall".to_owned(),
            };
            let response = growing_grid_ui(
                ui,
                &options,
                &rows,
                &|_| TileState::Succeeded,
                &|item| format!("item {item}"),
                &caption,
            );
            assert_eq!(response.tile_size, TileSize::CARD);
            if response.clicked.is_some() {
                clicked = response.clicked;
            }
        });
        harness.run();
        let grid = harness.get_by_label("Tiles").rect();
        // The third tile of the second row: item 3.
        let step = TileSize::CARD.step();
        let at = grid.min
            + Vec2::new(
                LABEL_WIDTH + 2.0 * step.x + 20.0,
                step.y + ROW_PADDING + 20.0,
            );
        harness.hover_at(at);
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: egui::Modifiers::NONE,
        });
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: egui::Modifiers::NONE,
        });
        harness.run();
        drop(harness);
        assert_eq!(clicked, Some(3));
    }

    #[test]
    fn arrow_keys_walk_rows_and_lines() {
        let rows = rows(&[5, 3]);
        // Row 0 holds 0..5 on lines of 2: [0 1] [2 3] [4]; row 1 holds 5..8.
        assert_eq!(step(&rows, 2, 0, 1, Move::Next), Some(2));
        assert_eq!(step(&rows, 2, 0, 4, Move::Next), Some(5));
        assert_eq!(step(&rows, 2, 1, 0, Move::Previous), Some(4));
        assert_eq!(step(&rows, 2, 0, 1, Move::Down), Some(3));
        assert_eq!(step(&rows, 2, 0, 4, Move::Down), Some(5));
        assert_eq!(step(&rows, 2, 1, 1, Move::Up), Some(4));
        assert_eq!(step(&rows, 2, 0, 0, Move::Up), None);
        assert_eq!(locate(&rows, 6), Some((1, 1)));
    }

    #[test]
    fn row_lookup_finds_the_row_under_a_point() {
        let layout = Layout::new(&rows(&[1, 1, 1]), 400.0, TileSize::DENSE);
        assert_eq!(layout.row_at(0.0), Some(0));
        assert_eq!(layout.row_at(STEP + ROW_PADDING + 1.0), Some(1));
        assert_eq!(layout.row_at(-1.0), None);
        assert_eq!(layout.row_at(layout.total_height), None);
    }
}
