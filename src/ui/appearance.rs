//! How the app looks, as the person chose it: the colour theme and the text
//! scale, both kept in the settings.

use crate::settings::{Settings, Theme};
use crate::ui::widgets::button;

/// The app's own touches on egui's look, the same in both themes: a little
/// more room inside buttons and between items, and rounder corners.
pub fn house_style(style: &mut egui::Style) {
    style.spacing.button_padding = egui::vec2(8.0, 3.0);
    style.spacing.item_spacing = egui::vec2(8.0, 5.0);
    let corner = egui::CornerRadius::same(5);
    let widgets = &mut style.visuals.widgets;
    for visuals in [
        &mut widgets.noninteractive,
        &mut widgets.inactive,
        &mut widgets.hovered,
        &mut widgets.active,
        &mut widgets.open,
    ] {
        visuals.corner_radius = corner;
    }
    style.visuals.window_corner_radius = egui::CornerRadius::same(10);
    style.visuals.menu_corner_radius = egui::CornerRadius::same(8);
}

/// egui's name for a theme choice.
pub fn theme_preference(theme: Theme) -> egui::ThemePreference {
    match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    }
}

/// Applies the saved theme and text scale when the app starts, installs the
/// icon font and the app's own touches on egui's look, and hands the zoom
/// keys to the app's own shortcuts (which save the scale).
pub fn apply_at_start(ctx: &egui::Context, settings: &Settings) {
    button::install_icons(ctx);
    ctx.all_styles_mut(house_style);
    ctx.options_mut(|options| {
        options.theme_preference = theme_preference(settings.theme);
        options.zoom_with_keyboard = false;
    });
    ctx.set_zoom_factor(Settings::usable_text_scale(settings.text_scale));
}

/// Keeps egui's theme and zoom equal to the settings, which are the one
/// place the choice lives. Cheap; call every frame.
pub fn apply(ctx: &egui::Context, settings: &Settings) {
    let preference = theme_preference(settings.theme);
    if ctx.options(|options| options.theme_preference) != preference {
        ctx.set_theme(preference);
    }
    if (ctx.zoom_factor() - settings.text_scale).abs() > f32::EPSILON {
        ctx.set_zoom_factor(settings.text_scale);
    }
}

/// The text scale one step up (`steps` = 1) or down (-1), within the limits.
pub fn step_text_scale(text_scale: f32, steps: i8) -> f32 {
    Settings::usable_text_scale(text_scale + f32::from(steps) * Settings::TEXT_SCALE_STEP)
}

/// Light, dark or the system's theme, as three small buttons. A choice is
/// applied at once and kept in `theme`.
pub fn theme_ui(ui: &mut egui::Ui, theme: &mut Theme) {
    let before = *theme;
    // Right-to-left layout: the last added is leftmost.
    for (value, label) in [
        (Theme::Dark, "Dark"),
        (Theme::Light, "Light"),
        (Theme::System, "System"),
    ] {
        ui.selectable_value(theme, value, label)
            .on_hover_text("Colour theme");
    }
    if *theme != before {
        ui.ctx().set_theme(theme_preference(*theme));
    }
}

/// The theme switch folded into a menu, for a narrow top bar: the same
/// three choices, a click away.
pub fn theme_menu_ui(ui: &mut egui::Ui, theme: &mut Theme) {
    let before = *theme;
    let response = ui
        .menu_button("Theme", |ui| {
            for (value, label) in [
                (Theme::System, "System"),
                (Theme::Light, "Light"),
                (Theme::Dark, "Dark"),
            ] {
                if ui.selectable_value(theme, value, label).clicked() {
                    ui.close();
                }
            }
        })
        .response;
    response.on_hover_text("Colour theme");
    if *theme != before {
        ui.ctx().set_theme(theme_preference(*theme));
    }
}

/// The text size control for the Settings menu: smaller, the size (which
/// resets it), larger. `keys` are the shortcuts for the three, shown on hover.
pub fn text_scale_ui(ui: &mut egui::Ui, text_scale: &mut f32, keys: [Option<String>; 3]) {
    let [smaller_keys, reset_keys, larger_keys] = keys;
    let percent = format!("{:.0}%", *text_scale * 100.0);
    // A small button whose screen-reader name says what it does.
    let button =
        |ui: &mut egui::Ui, enabled: bool, text: &str, name: &str, keys: Option<String>| {
            let hover = match keys {
                Some(keys) => format!("{name} ({keys})"),
                None => name.to_owned(),
            };
            let response = ui
                .add_enabled(enabled, egui::Button::new(text))
                .on_hover_text(hover);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, name));
            response.clicked()
        };
    ui.horizontal(|ui| {
        ui.label("Text size");
        let smaller = *text_scale > Settings::MIN_TEXT_SCALE;
        if button(ui, smaller, "−", "Smaller text", smaller_keys) {
            *text_scale = step_text_scale(*text_scale, -1);
        }
        let reset_name = format!("Text size {percent}: back to normal size");
        if button(ui, true, &percent, &reset_name, reset_keys) {
            *text_scale = 1.0;
        }
        let larger = *text_scale < Settings::MAX_TEXT_SCALE;
        if button(ui, larger, "+", "Larger text", larger_keys) {
            *text_scale = step_text_scale(*text_scale, 1);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_within_the_limits_and_on_whole_tenths() {
        assert!((step_text_scale(1.0, 1) - 1.1).abs() < 1e-4);
        assert!((step_text_scale(1.0, -1) - 0.9).abs() < 1e-4);
        assert!((step_text_scale(Settings::MAX_TEXT_SCALE, 1) - 3.0).abs() < 1e-4);
        assert!((step_text_scale(Settings::MIN_TEXT_SCALE, -1) - 0.5).abs() < 1e-4);
        // Ten steps up from 1.0 land on 2.0 exactly, not 1.99999.
        let mut scale = 1.0;
        for _ in 0..10 {
            scale = step_text_scale(scale, 1);
        }
        assert!((scale - 2.0).abs() < 1e-4, "{scale}");
    }
}
