//! Buttons by their weight, so that the one thing to click stands out and a
//! destructive action never looks harmless.
//!
//! - [`Action::primary`]: the main action of a page or dialog (Deploy, Show
//!   me a rollout, Create). Filled with the accent colour; one per view.
//! - [`Action::secondary`]: every other action (Refresh, Cancel, Back).
//! - [`Action::danger`]: an action that stops, deletes or discards (Stop,
//!   Delete, Reset). Red, so it reads as a warning before it is clicked.
//! - [`Action::quiet`]: a frameless action inside text or a table row.
//!
//! Each may carry an icon from the Material Symbols font (see
//! [`install_icons`]) drawn before its label. The icon is decoration: the
//! button's accessible name is its label alone, so screen readers and the UI
//! tests find "Deploy", not a private-use glyph followed by "Deploy". A
//! button that is only an icon ([`Action::icon_only`]) takes its accessible
//! name and its tooltip from the name it is given.

use egui::{Color32, Response, RichText, Stroke, Ui, Widget, WidgetInfo, WidgetText};
pub use egui_material_icons::MaterialIcon;
pub use egui_material_icons::icons;

/// Adds the icon font to egui's fonts, so icons can be drawn anywhere text
/// can. Called once when the app starts.
pub fn install_icons(ctx: &egui::Context) {
    egui_material_icons::initialize(ctx);
}

/// How much a button weighs on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// The main action: filled with the accent colour.
    Primary,
    /// Any other action: egui's ordinary button.
    Secondary,
    /// An action that stops, deletes or discards: red.
    Danger,
    /// A frameless action, e.g. inside a table row.
    Quiet,
}

/// The accent colour of primary buttons, the same in both themes (white
/// text on it has a contrast above 4.5:1).
pub const ACCENT: Color32 = Color32::from_rgb(0x1f, 0x5f, 0xd1);

/// The colour of destructive buttons (white text on it has a contrast above
/// 4.5:1).
pub const DANGER: Color32 = Color32::from_rgb(0xb7, 0x1c, 0x1c);

/// A button with a weight, an optional icon and a label.
#[must_use = "Show it with `ui.add(button)` or `button.ui(ui)`"]
pub struct Action<'a> {
    weight: Weight,
    icon: Option<MaterialIcon>,
    label: &'a str,
    /// Shown instead of `label` when set; `label` stays the accessible name.
    visible_label: Option<&'a str>,
    icon_only: bool,
    hover: Option<&'a str>,
    small: bool,
}

impl<'a> Action<'a> {
    /// A button of the given weight labelled `label`.
    pub fn new(weight: Weight, label: &'a str) -> Self {
        Self {
            weight,
            icon: None,
            label,
            visible_label: None,
            icon_only: false,
            hover: None,
            small: false,
        }
    }

    /// The main action of a view.
    pub fn primary(label: &'a str) -> Self {
        Self::new(Weight::Primary, label)
    }

    /// Any other action.
    pub fn secondary(label: &'a str) -> Self {
        Self::new(Weight::Secondary, label)
    }

    /// An action that stops, deletes or discards.
    pub fn danger(label: &'a str) -> Self {
        Self::new(Weight::Danger, label)
    }

    /// A frameless action.
    pub fn quiet(label: &'a str) -> Self {
        Self::new(Weight::Quiet, label)
    }

    /// A frameless button that shows only `icon`; `name` is its accessible
    /// name and its tooltip.
    pub fn icon_only(icon: MaterialIcon, name: &'a str) -> Self {
        Self {
            icon: Some(icon),
            icon_only: true,
            hover: Some(name),
            ..Self::new(Weight::Quiet, name)
        }
    }

    /// Draws `icon` before the label.
    pub fn icon(mut self, icon: MaterialIcon) -> Self {
        self.icon = Some(icon);
        self
    }

    /// Shows `short` on the button while the accessible name stays the
    /// label given at creation, for a screen reader's fuller name.
    pub fn visible(mut self, short: &'a str) -> Self {
        self.visible_label = Some(short);
        self
    }

    /// The tooltip on hover.
    pub fn hover(mut self, text: &'a str) -> Self {
        self.hover = Some(text);
        self
    }

    /// A smaller button, for rows and toolbars.
    pub fn small(mut self) -> Self {
        self.small = true;
        self
    }

    /// The colours of the label and the fill, if the weight has its own.
    fn colors(&self) -> Option<(Color32, Color32)> {
        match self.weight {
            Weight::Primary => Some((Color32::WHITE, ACCENT)),
            Weight::Danger => Some((Color32::WHITE, DANGER)),
            Weight::Secondary | Weight::Quiet => None,
        }
    }
}

impl Widget for Action<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let colors = self.colors();
        let shown = self.visible_label.unwrap_or(self.label);
        let with_color = |text: RichText| match colors {
            Some((color, _)) => text.color(color),
            None => text,
        };
        let mut text = with_color(RichText::new(shown));
        if matches!(self.weight, Weight::Primary | Weight::Danger) {
            text = text.strong();
        }
        let icon_text = self.icon.map(|icon| {
            let size = if self.icon_only { 18.0 } else { 16.0 };
            with_color(icon.rich_text().size(size))
        });
        let mut button = match (icon_text, self.icon_only) {
            (Some(icon), true) => egui::Button::new(WidgetText::from(icon)),
            (Some(icon), false) => egui::Button::new((icon, text)),
            (None, _) => egui::Button::new(text),
        };
        if let Some((_, fill)) = colors {
            button = button.fill(fill).stroke(Stroke::NONE);
        }
        if self.weight == Weight::Quiet {
            button = button.frame(false);
        }
        if self.small {
            button = button.small();
        }
        let enabled = ui.is_enabled();
        let mut response = ui.add(button);
        let name = self.label.to_owned();
        response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, enabled, &name));
        if let Some(hover) = self.hover {
            response = response.on_hover_text(hover);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    #[test]
    fn icons_do_not_reach_the_accessible_name() {
        let harness = Harness::new_ui(|ui| {
            install_icons(ui.ctx());
            ui.add(Action::primary("Deploy").icon(icons::ICON_ROCKET_LAUNCH));
            ui.add(Action::danger("Stop the deployment").visible("Stop"));
            ui.add(Action::icon_only(icons::ICON_REFRESH, "Refresh"));
        });
        harness.get_by_role_and_label(egui::accesskit::Role::Button, "Deploy");
        harness.get_by_role_and_label(egui::accesskit::Role::Button, "Stop the deployment");
        harness.get_by_role_and_label(egui::accesskit::Role::Button, "Refresh");
        assert!(
            harness
                .query_by_role_and_label(egui::accesskit::Role::Button, "Stop")
                .is_none(),
            "the short visible label is not the accessible name"
        );
    }

    #[test]
    fn a_click_on_an_icon_button_registers() {
        let mut clicks = 0;
        let mut harness = Harness::new_ui_state(
            |ui, clicks: &mut i32| {
                install_icons(ui.ctx());
                if ui
                    .add(Action::icon_only(icons::ICON_REFRESH, "Refresh"))
                    .clicked()
                {
                    *clicks += 1;
                }
            },
            clicks,
        );
        harness.run();
        harness
            .get_by_role_and_label(egui::accesskit::Role::Button, "Refresh")
            .click();
        harness.run();
        clicks = *harness.state();
        assert_eq!(clicks, 1);
    }
}
