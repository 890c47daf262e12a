//! The parts every setup wizard shares: the step indicator, the Back / Next
//! buttons, the block of AWS CLI commands with a Copy button, and the
//! checklist that ticks calls off as they run.

use egui::{Color32, RichText};

/// Draws "1 Platform > 2 Name > 3 Review" with the current step stressed
/// and the steps done marked.
pub fn steps_ui(ui: &mut egui::Ui, steps: &[&str], current: usize) {
    ui.horizontal_wrapped(|ui| {
        for (index, step) in steps.iter().enumerate() {
            if index > 0 {
                ui.label(RichText::new(">").weak());
            }
            let text = format!("{} {step}", index + 1);
            let text = match index.cmp(&current) {
                std::cmp::Ordering::Less => RichText::new(format!("{text} (done)")),
                std::cmp::Ordering::Equal => RichText::new(text)
                    .strong()
                    .color(ui.visuals().hyperlink_color),
                std::cmp::Ordering::Greater => RichText::new(text).weak(),
            };
            ui.label(text);
        }
    });
}

/// The height kept below a wizard's body for its navigation buttons.
const NAV_HEIGHT: f32 = 56.0;

/// Draws a wizard step's body in a scroll area that leaves room below it,
/// so Back / Next stay on screen however long the step is.
pub fn body_ui<R>(ui: &mut egui::Ui, body: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let height = (ui.available_height() - NAV_HEIGHT).max(120.0);
    egui::ScrollArea::vertical()
        .id_salt("wizard_body")
        .max_height(height)
        .auto_shrink([false, true])
        .show(ui, body)
        .inner
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

/// Back, Cancel and a Next button labelled `next` (disabled with the
/// reason `blocked` on hover when the step is not complete).
pub fn nav_ui(
    ui: &mut egui::Ui,
    can_go_back: bool,
    next: &str,
    blocked: Option<&str>,
) -> Option<Nav> {
    let mut nav = None;
    ui.separator();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(can_go_back, egui::Button::new("Back"))
            .clicked()
        {
            nav = Some(Nav::Back);
        }
        if ui.button("Cancel").clicked() {
            nav = Some(Nav::Cancel);
        }
        let response = ui.add_enabled(blocked.is_none(), egui::Button::new(next));
        let response = match blocked {
            Some(reason) => response.on_disabled_hover_text(reason),
            None => response,
        };
        if response.clicked() {
            nav = Some(Nav::Next);
        }
        if let Some(reason) = blocked {
            ui.label(RichText::new(reason).weak());
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
    fn mark(&self) -> (&'static str, &'static str) {
        match self {
            Self::Pending => ("[ ]", "to do"),
            Self::Running => ("[…]", "running"),
            Self::Created => ("[x]", "done"),
            Self::Reused => ("[x]", "already there"),
            Self::Differs(_) => ("[!]", "exists but differs"),
            Self::Failed(_) => ("[!]", "failed"),
        }
    }
}

/// Draws the checklist of a run: each call's summary with its state, and
/// the reason under one that differs or failed.
pub fn checklist_ui(ui: &mut egui::Ui, items: &[(String, ItemState)]) {
    for (summary, state) in items {
        let (mark, word) = state.mark();
        let colour = match state {
            ItemState::Created | ItemState::Reused => Color32::from_rgb(0x2e, 0x9d, 0x5b),
            ItemState::Differs(_) => ui.visuals().warn_fg_color,
            ItemState::Failed(_) => ui.visuals().error_fg_color,
            ItemState::Pending | ItemState::Running => ui.visuals().weak_text_color(),
        };
        ui.horizontal(|ui| {
            if *state == ItemState::Running {
                ui.spinner();
            }
            ui.label(RichText::new(mark).monospace().color(colour));
            ui.label(summary.as_str());
            ui.label(RichText::new(format!("({word})")).color(colour));
        });
        if let ItemState::Differs(why) | ItemState::Failed(why) = state {
            ui.indent(summary.as_str(), |ui| {
                ui.label(RichText::new(why.as_str()).color(colour));
            });
        }
    }
}

/// A text field with a label above it and, if `error` is set, the error
/// under it in the error colour. Returns the field's response.
pub fn field_ui(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    error: Option<&str>,
) -> egui::Response {
    let label = ui.label(label);
    let response = ui
        .add(
            egui::TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(360.0),
        )
        .labelled_by(label.id);
    if let Some(error) = error {
        ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
    }
    response
}
