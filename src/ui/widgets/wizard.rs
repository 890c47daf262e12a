//! The parts every setup wizard shares: the step indicator, the Back / Next
//! buttons, the block of AWS CLI commands with a Copy button, the
//! checklist that ticks calls off as they run, and [`Touched`], which keeps
//! a field's error back until the person has used the field or pressed
//! Next.

use std::collections::BTreeSet;

use egui::{Color32, RichText};

use super::button::{Action, MaterialIcon, icons};

/// The green of a step or call that is done, readable in both themes.
pub const DONE_GREEN: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x5b);

/// Draws "1 Platform > 2 Name > 3 Review" with the current step stressed
/// and the steps done marked with a tick (its tooltip says "done").
pub fn steps_ui(ui: &mut egui::Ui, steps: &[&str], current: usize) {
    ui.horizontal_wrapped(|ui| {
        for (index, step) in steps.iter().enumerate() {
            if index > 0 {
                ui.label(icons::ICON_CHEVRON_RIGHT.rich_text().weak());
            }
            let text = format!("{} {step}", index + 1);
            match index.cmp(&current) {
                std::cmp::Ordering::Less => {
                    ui.label(
                        icons::ICON_CHECK_CIRCLE
                            .rich_text()
                            .color(DONE_GREEN)
                            .size(16.0),
                    )
                    .on_hover_text("done");
                    let name = format!("{text}: done");
                    let response = ui.add(egui::Label::new(text).extend());
                    response
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &name));
                    response.on_hover_text(format!("{step}: done"));
                }
                std::cmp::Ordering::Equal => {
                    ui.add(
                        egui::Label::new(
                            RichText::new(text)
                                .strong()
                                .color(ui.visuals().hyperlink_color),
                        )
                        .extend(),
                    );
                }
                std::cmp::Ordering::Greater => {
                    ui.add(egui::Label::new(RichText::new(text).weak()).extend());
                }
            }
        }
    });
}

/// The height kept below a wizard's body for its navigation buttons.
const NAV_HEIGHT: f32 = 56.0;

/// Draws a wizard step's body in a scroll area that fills the page but for
/// the room kept below it, so Back / Next stay in one place however long
/// the step is and whatever error lines appear in it.
pub fn body_ui<R>(ui: &mut egui::Ui, body: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let height = (ui.available_height() - NAV_HEIGHT).max(120.0);
    egui::ScrollArea::vertical()
        .id_salt("wizard_body")
        .max_height(height)
        .min_scrolled_height(height)
        .auto_shrink([false, false])
        .show(ui, body)
        .inner
}

/// Which fields of a wizard step the person has used, and whether Next was
/// pressed on it: a field's error shows only then, never on a form nobody
/// has typed in yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    fields: BTreeSet<String>,
    attempted: bool,
}

impl Touched {
    /// Notes that the field `field` was used if `response` says it was
    /// changed or left.
    pub fn note(&mut self, field: &str, response: &egui::Response) {
        if response.changed() || response.lost_focus() {
            self.touch(field);
        }
    }

    /// Marks the field `field` as used.
    pub fn touch(&mut self, field: &str) {
        if !self.fields.contains(field) {
            self.fields.insert(field.to_owned());
        }
    }

    /// Next (or the step's own action) was pressed: every error shows.
    pub fn attempt(&mut self) {
        self.attempted = true;
    }

    /// Whether Next was pressed since the last [`Touched::clear`].
    pub fn attempted(&self) -> bool {
        self.attempted
    }

    /// Forgets everything, e.g. on moving to another step.
    pub fn clear(&mut self) {
        self.fields.clear();
        self.attempted = false;
    }

    /// Whether the errors of `field` are to be shown.
    pub fn shows(&self, field: &str) -> bool {
        self.attempted || self.fields.contains(field)
    }

    /// `error` if the errors of `field` are to be shown.
    pub fn shown<T>(&self, field: &str, error: Option<T>) -> Option<T> {
        error.filter(|_| self.shows(field))
    }
}

/// Draws an error line under a field, in the error colour with a mark that
/// does not rely on colour.
pub fn error_line_ui(ui: &mut egui::Ui, error: &str) {
    ui.horizontal_wrapped(|ui| {
        let colour = ui.visuals().error_fg_color;
        ui.label(icons::ICON_ERROR.rich_text().color(colour));
        ui.label(RichText::new(error).color(colour));
    });
}

/// What the person asked of the navigation buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Go back a step.
    Back,
    /// Go on a step (or, on the review page, run).
    Next,
    /// Leave the wizard.
    Cancel,
}

/// Back, Cancel and a Next button labelled `next`. Next is disabled only
/// while the step `waiting` for something (the reason shows beside it);
/// a step with errors lets Next be pressed, then shows its errors at the
/// fields and stays (`problems` says so beside the button, on the same
/// line, so nothing moves).
pub fn nav_ui(
    ui: &mut egui::Ui,
    can_go_back: bool,
    next: &str,
    waiting: Option<&str>,
    problems: bool,
) -> Option<Nav> {
    let mut nav = None;
    ui.separator();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(can_go_back, Action::secondary("Back"))
            .clicked()
        {
            nav = Some(Nav::Back);
        }
        if ui.add(Action::secondary("Cancel")).clicked() {
            nav = Some(Nav::Cancel);
        }
        let response = ui.add_enabled(waiting.is_none(), Action::primary(next));
        let response = match waiting {
            Some(reason) => response.on_disabled_hover_text(reason),
            None => response,
        };
        if response.clicked() {
            nav = Some(Nav::Next);
        }
        if let Some(reason) = waiting {
            ui.label(RichText::new(reason).weak());
        } else if problems {
            ui.label(
                RichText::new("Fix what is marked above to go on.")
                    .color(ui.visuals().error_fg_color),
            );
        }
    });
    nav
}

/// The AWS CLI commands that do what the wizard will do, monospaced and
/// selectable, with a Copy button.
pub fn cli_ui(ui: &mut egui::Ui, script: &str) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("The same with the AWS CLI").strong());
        if ui
            .small_button("Copy commands")
            .on_hover_text("Copy the AWS CLI commands to the clipboard")
            .clicked()
        {
            ui.ctx().copy_text(script.to_owned());
        }
    });
    egui::Frame::group(ui.style())
        .fill(ui.visuals().extreme_bg_color)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.add(
                egui::Label::new(RichText::new(script).monospace())
                    .selectable(true)
                    .wrap(),
            )
            .on_hover_text("AWS CLI commands");
        });
}

/// Where one call of a wizard's run stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ItemState {
    /// Not run yet.
    #[default]
    Pending,
    /// Running now.
    Running,
    /// Done by this run.
    Created,
    /// Found already done, so nothing was changed.
    Reused,
    /// Found in a state that differs from what the wizard would make; the
    /// text says how. The wizard never overwrites it without asking.
    Differs(String),
    /// Refused; the text says why.
    Failed(String),
}

impl ItemState {
    /// Whether the call is settled: made now or found made before.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Created | Self::Reused)
    }

    /// The mark and word that say the state without relying on colour.
    fn mark(&self) -> (MaterialIcon, &'static str) {
        match self {
            Self::Pending => (icons::ICON_RADIO_BUTTON_UNCHECKED, "to do"),
            Self::Running => (icons::ICON_PENDING, "running"),
            Self::Created => (icons::ICON_CHECK_CIRCLE, "done"),
            Self::Reused => (icons::ICON_CHECK_CIRCLE, "already there"),
            Self::Differs(_) => (icons::ICON_WARNING, "exists but differs"),
            Self::Failed(_) => (icons::ICON_ERROR, "failed"),
        }
    }
}

/// Draws the checklist of a run: each call's summary with its state, and
/// the reason under one that differs or failed.
pub fn checklist_ui(ui: &mut egui::Ui, items: &[(String, ItemState)]) {
    for (summary, state) in items {
        let (_, word) = state.mark();
        let colour = ui.horizontal(|ui| {
            let colour = mark_ui(ui, state);
            ui.label(summary.as_str());
            ui.label(RichText::new(format!("({word})")).color(colour));
            colour
        });
        if let ItemState::Differs(why) | ItemState::Failed(why) = state {
            ui.indent(summary.as_str(), |ui| {
                ui.label(RichText::new(why.as_str()).color(colour.inner));
            });
        }
    }
}

/// The checklist of a run in a narrow place, such as the guided demo's
/// panel: each summary wraps beside its mark, whose word shows on hover.
pub fn narrow_checklist_ui(ui: &mut egui::Ui, items: &[(String, ItemState)]) {
    for (summary, state) in items {
        ui.horizontal_top(|ui| {
            mark_ui(ui, state);
            let text = RichText::new(summary.as_str());
            let text = if state.is_done() {
                text
            } else {
                text.color(ui.visuals().weak_text_color())
            };
            ui.add(egui::Label::new(text).wrap());
        });
    }
}

/// The state's mark in its colour (a spinner while running), its word on
/// hover. Returns the colour.
fn mark_ui(ui: &mut egui::Ui, state: &ItemState) -> Color32 {
    let (mark, word) = state.mark();
    let colour = match state {
        ItemState::Created | ItemState::Reused => DONE_GREEN,
        ItemState::Differs(_) => ui.visuals().warn_fg_color,
        ItemState::Failed(_) => ui.visuals().error_fg_color,
        ItemState::Pending | ItemState::Running => ui.visuals().weak_text_color(),
    };
    if *state == ItemState::Running {
        // The size of a mark, so the summaries line up.
        ui.add(egui::Spinner::new().size(16.0)).on_hover_text(word);
    } else {
        ui.label(mark.rich_text().size(16.0).color(colour))
            .on_hover_text(word);
    }
    colour
}

/// A text field with a label above it and, if `error` is set, the error
/// under it in the error colour. `hint` is greyed example text shown while
/// the field is empty; write it as an example ("e.g. web-shop") so it does
/// not read as a value. Returns the field's response.
pub fn field_ui(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    error: Option<&str>,
) -> egui::Response {
    let id = ("wizard field", label.to_owned());
    let label = ui.label(label);
    let response = ui
        .add(
            egui::TextEdit::singleline(text)
                // An id of its own, so that an error line appearing above
                // it does not take the focus away while typing.
                .id_salt(id)
                .hint_text(hint)
                .desired_width(360.0),
        )
        .labelled_by(label.id);
    if let Some(error) = error {
        error_line_ui(ui, error);
    }
    response
}

/// Like [`field_ui`], but the line under the field is kept whether or not
/// there is an error to show, so the buttons below never move when one
/// appears (for short forms whose errors fit on one line).
pub fn reserved_field_ui(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    error: Option<&str>,
) -> egui::Response {
    let response = field_ui(ui, label, text, hint, None);
    match error {
        Some(error) => error_line_ui(ui, error),
        None => {
            // An invisible line of the same make keeps exactly its height.
            ui.scope(|ui| {
                ui.set_invisible();
                error_line_ui(ui, " ");
            });
        }
    }
    response
}
