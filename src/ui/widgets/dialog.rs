//! Dialogs: one way to show a window-wide dialog over the app, used by every
//! dialog (Deploy, Reset, Stop, Delete, the keyboard shortcuts).
//!
//! A dialog dims everything behind it and takes all input until it closes;
//! lists and menus of the page behind close when it appears. Escape, or a
//! click beside it, asks it to close — unless one of its lists is open,
//! which then closes first.
//!
//! Its layer sits one [`egui::Order`] below the lists, menus and
//! tooltips it opens ([`egui::Order::Middle`], where egui keeps its windows,
//! while popups are [`egui::Order::Foreground`]). egui orders the layers of
//! one `Order` by which asked last to be on top, and a layer asks whenever
//! it appears or is pressed. Were a dialog in the same `Order` as its
//! lists, then after closing and reopening it (which puts it above the
//! lists it opened before), a click whose press and release arrive in the
//! same frame — a quick click — has the dialog (pressed) and the list
//! (appearing) ask together; the stable sort then keeps that list under the
//! dialog, drawn behind it and out of reach, so a dropdown used once would
//! never open again. An `Order` apart makes the lists always come first.

use egui::{Color32, Context, Id, Order, Ui};

/// The order of dialogs' layers: below the popups they open.
const ORDER: Order = Order::Middle;

/// How dark the dim behind a dialog is: the same in both themes, enough
/// to tell the page behind is out of reach.
const BACKDROP: Color32 = Color32::from_black_alpha(120);

/// A dialog, shown with [`Dialog::show`] every frame it is open.
#[must_use = "Show it with `.show(ctx, ..)`"]
pub struct Dialog {
    id: Id,
    width: Option<f32>,
    max_width: f32,
}

/// What a dialog's frame returned.
pub struct DialogResponse<R> {
    /// What the contents returned.
    pub inner: R,
    /// Whether the person asked to close the dialog: Escape with none of
    /// its lists open, a click beside it, or [`Ui::close`] from inside.
    pub should_close: bool,
}

impl Dialog {
    /// A dialog whose state is kept under `id_salt`, unique in the app.
    pub fn new(id_salt: &'static str) -> Self {
        Self {
            id: Id::unique(("dialog", id_salt)),
            width: None,
            max_width: 420.0,
        }
    }

    /// A fixed width, narrowed to the window when it is smaller.
    #[inline]
    pub fn width(mut self, width: f32) -> Self {
        self.width = Some(width);
        self
    }

    /// The widest the contents may grow (420 points unless set).
    #[inline]
    pub fn max_width(mut self, max_width: f32) -> Self {
        self.max_width = max_width;
        self
    }

    /// The layer the dialog is drawn on.
    pub fn layer_id(&self) -> egui::LayerId {
        egui::LayerId::new(ORDER, self.id)
    }

    /// Shows the dialog for this frame with `content` inside.
    pub fn show<R>(self, ctx: &Context, content: impl FnOnce(&mut Ui) -> R) -> DialogResponse<R> {
        let room = (ctx.content_rect().width() - 48.0).max(200.0);
        let appearing = !ctx.memory(|memory| memory.areas().visible_last_frame(&self.layer_id()));
        if appearing {
            // A list or menu of the page behind (open when a shortcut
            // opened the dialog) would stay above it and in reach.
            egui::Popup::close_all(ctx);
        }
        let area = egui::Modal::default_area(self.id).order(ORDER);
        let modal = egui::Modal::new(self.id)
            .area(area)
            .backdrop_color(BACKDROP)
            .show(ctx, |ui| {
                match self.width {
                    Some(width) => ui.set_width(width.min(room)),
                    None => ui.set_max_width(self.max_width.min(room)),
                }
                content(ui)
            });
        let should_close = modal.should_close();
        DialogResponse {
            inner: modal.inner,
            should_close,
        }
    }
}
