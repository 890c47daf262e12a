//! Keyboard shortcuts and the help overlay that lists them.
//!
//! [`SHORTCUTS`] is the one table of shortcuts: the app handles keys by
//! walking it and the help overlay lists it, so what the overlay says is
//! what the keys do.

use egui::{Key, KeyboardShortcut, ModifierNames, Modifiers, RichText};

use crate::settings::Page;
use crate::ui::widgets::dialog::Dialog;

/// Something a keyboard shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Shows a page.
    ShowPage(Page),
    /// Loads the current page's lists again.
    Refresh,
    /// Opens the Deploy dialog.
    Deploy,
    /// Opens or closes the help overlay.
    ToggleHelp,
    /// Closes the help overlay or the open dialog.
    CloseOverlay,
    /// Makes text and controls larger.
    ZoomIn,
    /// Makes text and controls smaller.
    ZoomOut,
    /// Draws text and controls at their normal size.
    ZoomReset,
}

/// One row of the shortcut table.
#[derive(Debug, Clone, Copy)]
pub struct Shortcut {
    /// What the keys do.
    pub command: Command,
    /// The key combinations, the main one first.
    pub keys: &'static [KeyboardShortcut],
    /// What the help overlay says about it.
    pub description: &'static str,
}

const fn command(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::COMMAND, key)
}

const fn plain(key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::NONE, key)
}

/// Every keyboard shortcut of the app, in the order the help lists them.
pub const SHORTCUTS: &[Shortcut] = &[
    Shortcut {
        command: Command::ShowPage(Page::Applications),
        keys: &[command(Key::Num1)],
        description: "Show the Applications page",
    },
    Shortcut {
        command: Command::ShowPage(Page::Deployments),
        keys: &[command(Key::Num2)],
        description: "Show the Deployments page",
    },
    Shortcut {
        command: Command::ShowPage(Page::Revisions),
        keys: &[command(Key::Num3)],
        description: "Show the Revisions page",
    },
    Shortcut {
        command: Command::ShowPage(Page::Setup),
        keys: &[command(Key::Num4)],
        description: "Show the Setup page",
    },
    Shortcut {
        command: Command::ShowPage(Page::RolloutPlanner),
        keys: &[command(Key::Num5)],
        description: "Show the Rollout planner page",
    },
    Shortcut {
        command: Command::Refresh,
        keys: &[plain(Key::F5), command(Key::R)],
        description: "Refresh the current page (Applications, Deployments, Revisions)",
    },
    Shortcut {
        command: Command::Deploy,
        keys: &[command(Key::D)],
        description: "Open the Deploy dialog",
    },
    Shortcut {
        command: Command::ToggleHelp,
        keys: &[
            plain(Key::F1),
            command(Key::Slash),
            plain(Key::Questionmark),
        ],
        description: "Show or hide this list of keyboard shortcuts",
    },
    Shortcut {
        command: Command::CloseOverlay,
        keys: &[plain(Key::Escape)],
        description: "Close this list or the open dialog",
    },
    Shortcut {
        command: Command::ZoomIn,
        keys: &[command(Key::Plus), command(Key::Equals)],
        description: "Larger text and controls",
    },
    Shortcut {
        command: Command::ZoomOut,
        keys: &[command(Key::Minus)],
        description: "Smaller text and controls",
    },
    Shortcut {
        command: Command::ZoomReset,
        keys: &[command(Key::Num0)],
        description: "Normal text size",
    },
];

/// Whether a key combination may be taken while a text field has the
/// keyboard: it must not be something that types or edits text.
fn works_while_typing(shortcut: KeyboardShortcut) -> bool {
    let modifiers = shortcut.modifiers;
    modifiers.command
        || modifiers.ctrl
        || modifiers.mac_cmd
        || matches!(
            shortcut.logical_key,
            Key::Escape
                | Key::F1
                | Key::F2
                | Key::F3
                | Key::F4
                | Key::F5
                | Key::F6
                | Key::F7
                | Key::F8
                | Key::F9
                | Key::F10
                | Key::F11
                | Key::F12
        )
}

/// Takes the shortcuts pressed since the last frame, in the order they are
/// listed. Only the keys of commands that `enabled` allows are consumed;
/// everything else (and anything that would type while a text field has the
/// keyboard) is left to the widgets.
pub fn take_pressed(ctx: &egui::Context, enabled: impl Fn(Command) -> bool) -> Vec<Command> {
    let typing = ctx.text_edit_focused();
    let mut pressed = Vec::new();
    for shortcut in SHORTCUTS {
        if !enabled(shortcut.command) {
            continue;
        }
        let mut hit = false;
        for keys in shortcut.keys {
            if typing && !works_while_typing(*keys) {
                continue;
            }
            // Consume every matching combination, so that a second one
            // (Ctrl+= after Ctrl+Plus) does not reach a widget.
            hit |= ctx.input_mut(|input| input.consume_shortcut(keys));
        }
        if hit {
            pressed.push(shortcut.command);
        }
    }
    pressed
}

/// A key combination as a person reads it: `Ctrl+2`, `F5`, `?`.
pub fn format_keys(keys: &KeyboardShortcut, is_mac: bool) -> String {
    let mut text = ModifierNames::NAMES.format(&keys.modifiers, is_mac);
    if !text.is_empty() {
        text.push('+');
    }
    text.push_str(match keys.logical_key {
        // Words read better than `Ctrl++` and a minus sign.
        Key::Plus | Key::Minus => keys.logical_key.name(),
        other => other.symbol_or_name(),
    });
    text
}

/// All the keys of a shortcut: `F5 or Ctrl+R`.
pub fn format_shortcut(shortcut: &Shortcut, is_mac: bool) -> String {
    shortcut
        .keys
        .iter()
        .map(|keys| format_keys(keys, is_mac))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The shortcut of `command`, if it has one.
pub fn shortcut_for(command: Command) -> Option<&'static Shortcut> {
    SHORTCUTS
        .iter()
        .find(|shortcut| shortcut.command == command)
}

/// The main keys of `command` for hover texts (`Ctrl+2`), if it has any.
pub fn keys_text(ctx: &egui::Context, command: Command) -> Option<String> {
    let keys = shortcut_for(command)?.keys.first()?;
    Some(format_keys(keys, ctx.os().is_mac()))
}

/// Shows the help overlay with every shortcut while `open` is set; the
/// Close button, Escape or a click beside it clears `open`.
pub fn help_overlay_ui(ctx: &egui::Context, open: &mut bool) {
    if !*open {
        return;
    }
    let is_mac = ctx.os().is_mac();
    let modal = Dialog::new("keyboard_shortcuts_help").max_width(560.0).show(ctx, |ui| {
        ui.heading("Keyboard shortcuts");
        ui.add_space(6.0);
        egui::Grid::new("keyboard_shortcuts_table")
            .num_columns(2)
            .striped(true)
            .spacing([24.0, 6.0])
            .show(ui, |ui| {
                for shortcut in SHORTCUTS {
                    ui.label(RichText::new(format_shortcut(shortcut, is_mac)).monospace());
                    ui.label(shortcut.description);
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        ui.label(
            RichText::new(
                "Keys that type a character (like ?) work only when no text field has the keyboard.",
            )
            .weak(),
        );
        ui.add_space(8.0);
        if ui.button("Close").clicked() {
            ui.close();
        }
    });
    if modal.should_close {
        *open = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_has_a_shortcut_in_navigation_order() {
        let pages: Vec<(Page, &Shortcut)> = SHORTCUTS
            .iter()
            .filter_map(|shortcut| match shortcut.command {
                Command::ShowPage(page) => Some((page, shortcut)),
                _ => None,
            })
            .collect();
        assert_eq!(
            pages.iter().map(|(page, _)| *page).collect::<Vec<_>>(),
            Page::ALL.to_vec()
        );
        for (number, (page, shortcut)) in pages.iter().enumerate() {
            assert_eq!(
                format_shortcut(shortcut, false),
                format!("Ctrl+{}", number + 1)
            );
            assert!(
                shortcut.description.contains(page.title()),
                "{}",
                shortcut.description
            );
        }
    }

    #[test]
    fn no_two_rows_share_keys() {
        let mut seen = std::collections::HashSet::new();
        for shortcut in SHORTCUTS {
            for keys in shortcut.keys {
                assert!(seen.insert(*keys), "{keys:?} is listed twice");
            }
        }
    }

    #[test]
    fn keys_read_the_way_people_write_them() {
        let text = |command| format_shortcut(shortcut_for(command).unwrap(), false);
        assert_eq!(text(Command::Refresh), "F5 or Ctrl+R");
        assert_eq!(text(Command::ToggleHelp), "F1 or Ctrl+/ or ?");
        assert_eq!(text(Command::ZoomIn), "Ctrl+Plus or Ctrl+=");
        assert_eq!(text(Command::ZoomOut), "Ctrl+Minus");
        assert_eq!(
            format_shortcut(shortcut_for(Command::Deploy).unwrap(), true),
            "Cmd+D"
        );
    }

    #[test]
    fn only_keys_that_do_not_type_work_in_a_text_field() {
        assert!(works_while_typing(plain(Key::F1)));
        assert!(works_while_typing(plain(Key::Escape)));
        assert!(works_while_typing(command(Key::Num2)));
        assert!(!works_while_typing(plain(Key::Questionmark)));
    }

    #[test]
    fn a_pressed_shortcut_is_taken_once_and_disabled_ones_are_left() {
        let ctx = egui::Context::default();
        let press = |key, modifiers| egui::Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        };
        let input = egui::RawInput {
            events: vec![
                press(Key::Num2, Modifiers::COMMAND),
                press(Key::F5, Modifiers::NONE),
            ],
            ..egui::RawInput::default()
        };
        let mut taken = Vec::new();
        let mut left_f5 = false;
        let mut output = ctx.run_ui(input, |ui| {
            taken = take_pressed(ui.ctx(), |command| command != Command::Refresh);
            left_f5 = ui.input(|input| input.key_pressed(Key::F5));
        });
        output.textures_delta.clear();
        assert_eq!(taken, vec![Command::ShowPage(Page::Deployments)]);
        assert!(left_f5, "a disabled shortcut's key reaches the widgets");
    }
}
