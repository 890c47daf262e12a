//! Everyday desktop habits, on the real app in demo mode: keyboard
//! shortcuts, the help overlay that lists them, text size and theme kept
//! across restarts, and an audit that every control has an accessible name.

use crate::ui_support;

use std::path::Path;
use std::sync::Arc;

use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::settings::{self, BackendChoice, Page, Theme};
use deploydesk::ui::{App, AppOptions};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use ui_support::{app_harness, dismiss_tour, has_text, run_until, settle};

/// The app in demo mode with its settings and local cloud state in `dir`,
/// connected, with the welcome panel out of the way.
fn demo_harness(dir: &Path) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(dir.join(settings::SETTINGS_FILE)),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::new(Some(
            dir.join("localcloud").join("state.json"),
        )))),
    };
    let mut harness = app_harness(options, egui::vec2(1280.0, 900.0));
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    dismiss_tour(&mut harness);
    harness
}

fn press(harness: &mut Harness<'static, App>, modifiers: Modifiers, key: Key) {
    harness.key_press_modifiers(modifiers, key);
    settle(harness);
}

/// Whether a plain text (not a button) reads exactly `text`.
fn has_plain_text(harness: &Harness<'_, App>, text: &str) -> bool {
    harness
        .query_all_by_role(Role::Label)
        .any(|node| node.accesskit_node().value().as_deref() == Some(text))
}

/// The settings file as the app last wrote it.
fn saved(dir: &Path) -> settings::Settings {
    settings::load(&dir.join(settings::SETTINGS_FILE)).0
}

#[test]
fn ctrl_and_a_number_shows_that_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    assert_eq!(harness.state().page(), Page::Applications);
    assert!(!has_text(&harness, "Deploy…"));

    press(&mut harness, Modifiers::COMMAND, Key::Num2);
    assert_eq!(harness.state().page(), Page::Deployments);
    run_until(&mut harness, "the Deployments page", |h| {
        has_text(h, "Deploy…")
    });

    press(&mut harness, Modifiers::COMMAND, Key::Num5);
    assert_eq!(harness.state().page(), Page::RolloutPlanner);
    press(&mut harness, Modifiers::COMMAND, Key::Num1);
    assert_eq!(harness.state().page(), Page::Applications);
    assert!(has_plain_text(&harness, "Applications"), "its heading");
}

#[test]
fn the_navigation_buttons_tell_their_shortcut_on_hover() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    harness
        .get_by_role_and_label(Role::Button, "Revisions")
        .hover();
    // Tooltips appear after a short delay.
    run_until(&mut harness, "the tooltip", |h| has_text(h, "Ctrl+3"));
}

#[test]
fn help_opens_with_f1_lists_the_keys_and_closes_with_escape() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    assert!(!has_text(&harness, "Keyboard shortcuts"));

    press(&mut harness, Modifiers::NONE, Key::F1);
    assert!(harness.state().help_open());
    assert!(has_plain_text(&harness, "Keyboard shortcuts"), "the title");
    assert!(has_plain_text(&harness, "Ctrl+2"), "a shortcut's keys");
    assert!(has_plain_text(&harness, "Show the Deployments page"));
    assert!(has_plain_text(&harness, "F5 or Ctrl+R"));
    // Page shortcuts wait while the overlay covers the page.
    press(&mut harness, Modifiers::COMMAND, Key::Num2);
    assert_eq!(harness.state().page(), Page::Applications);

    press(&mut harness, Modifiers::NONE, Key::Escape);
    assert!(!harness.state().help_open());
    assert!(!has_plain_text(&harness, "Show the Deployments page"));

    // The Help menu opens it too, and its Close button closes it.
    harness.get_by_role_and_label(Role::Button, "Help").click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Keyboard shortcuts…")
        .click();
    settle(&mut harness);
    assert!(has_plain_text(&harness, "Show the Deployments page"));
    harness.get_by_role_and_label(Role::Button, "Close").click();
    settle(&mut harness);
    assert!(!harness.state().help_open());
}

#[test]
fn a_question_mark_typed_in_a_text_field_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    run_until(&mut harness, "the application form", |h| {
        h.query_by_label("Application name").is_some()
    });
    harness.get_by_label("Application name").focus();
    settle(&mut harness);
    harness.key_press(Key::Questionmark);
    harness.event(egui::Event::Text("?".to_owned()));
    settle(&mut harness);
    assert!(!harness.state().help_open(), "typing is not a shortcut");
    assert_eq!(
        harness.get_by_label("Application name").value().as_deref(),
        Some("?")
    );
    // F1 works while typing.
    press(&mut harness, Modifiers::NONE, Key::F1);
    assert!(harness.state().help_open());
    press(&mut harness, Modifiers::NONE, Key::Escape);
    assert!(!harness.state().help_open());

    // Away from a text field, ? opens the help.
    harness.ctx.memory_mut(egui::Memory::stop_text_input);
    settle(&mut harness);
    assert!(!harness.get_by_label("Application name").is_focused());
    press(&mut harness, Modifiers::NONE, Key::Questionmark);
    assert!(harness.state().help_open());
}

#[test]
fn ctrl_d_opens_the_deploy_dialog_and_escape_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    press(&mut harness, Modifiers::COMMAND, Key::D);
    run_until(&mut harness, "the Deploy dialog", |h| {
        h.query_by_role_and_label(Role::Button, "Cancel").is_some()
    });
    press(&mut harness, Modifiers::NONE, Key::Escape);
    assert!(
        harness
            .query_by_role_and_label(Role::Button, "Cancel")
            .is_none()
    );
}

#[test]
fn ctrl_plus_makes_text_larger_and_the_size_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < f32::EPSILON);

    press(&mut harness, Modifiers::COMMAND, Key::Plus);
    press(&mut harness, Modifiers::COMMAND, Key::Plus);
    run_until(&mut harness, "the larger zoom", |h| {
        (h.ctx.zoom_factor() - 1.2).abs() < 1e-4
    });
    run_until(&mut harness, "the saved text size", |_| {
        (saved(dir.path()).text_scale - 1.2).abs() < 1e-4
    });

    press(&mut harness, Modifiers::COMMAND, Key::Minus);
    run_until(&mut harness, "one step smaller", |h| {
        (h.ctx.zoom_factor() - 1.1).abs() < 1e-4
    });

    // The Settings menu shows the size and resets it.
    harness
        .get_by_role_and_label(Role::Button, "Settings")
        .click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Text size 110%: back to normal size")
        .click();
    run_until(&mut harness, "the normal size saved", |h| {
        (h.ctx.zoom_factor() - 1.0).abs() < 1e-4
            && (saved(dir.path()).text_scale - 1.0).abs() < 1e-4
    });
}

#[test]
fn the_saved_text_size_and_theme_apply_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut harness = demo_harness(dir.path());
        // The default follows the system.
        assert_eq!(
            harness.ctx.options(|options| options.theme_preference),
            egui::ThemePreference::System
        );
        harness.get_by_role_and_label(Role::Button, "Light").click();
        press(&mut harness, Modifiers::COMMAND, Key::Plus);
        assert_eq!(
            harness.ctx.options(|options| options.theme_preference),
            egui::ThemePreference::Light
        );
        run_until(&mut harness, "the saved theme and size", |_| {
            let saved = saved(dir.path());
            saved.theme == Theme::Light && (saved.text_scale - 1.1).abs() < 1e-4
        });
    }
    // A restart on the same settings file.
    let harness = demo_harness(dir.path());
    assert_eq!(
        harness.ctx.options(|options| options.theme_preference),
        egui::ThemePreference::Light
    );
    assert!((harness.ctx.zoom_factor() - 1.1).abs() < 1e-4);
    let light = harness.get_by_role_and_label(Role::Button, "Light");
    assert_eq!(
        light.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True),
        "the theme buttons show the saved choice"
    );
}

/// Checks the screen with kittest's audit (every visible input widget
/// has a label, a label it is labelled by, or for a text field a hint),
/// remembering what was found where.
fn audit(harness: &mut Harness<'static, App>, place: &str, found: &mut Vec<String>) {
    settle(harness);
    let controls = harness
        .query_all_by(|node| egui::accessibility::is_input(node.role()))
        .count();
    assert!(
        controls > 0,
        "{place}: no controls at all, so nothing was checked"
    );
    found.extend(
        harness
            .unnamed_widgets()
            .into_iter()
            .map(|widget| format!("{place}: {widget}")),
    );
    // A name of symbols only ("−", "✖") is read out as noise.
    found.extend(
        harness
            .query_all_by(|node| egui::accessibility::is_input(node.role()) && !node.is_hidden())
            .filter_map(|node| {
                let node = node.accesskit_node();
                let label = node.label()?;
                (!label.trim().is_empty() && !label.chars().any(char::is_alphanumeric))
                    .then(|| format!("{place}: {:?} named only {label:?}", node.role()))
            }),
    );
}

#[test]
fn every_control_has_an_accessible_name() {
    let dir = tempfile::tempdir().unwrap();
    // The audit collects every finding, rather than stopping at the first
    // screen the harness's own check would stop at.
    let options = AppOptions {
        settings_path: Some(dir.path().join(settings::SETTINGS_FILE)),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::new(Some(
            dir.path().join("localcloud").join("state.json"),
        )))),
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1400.0))
        .with_accessibility_check(false)
        .build_eframe(move |cc| App::new(cc, options));
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    let mut found = Vec::new();

    // The guided demo's welcome, and the rollout view it opens.
    audit(&mut harness, "guided demo welcome", &mut found);
    harness
        .get_by_role_and_label(Role::Button, "Show me a rollout")
        .click();
    run_until(&mut harness, "the rollout view", |h| {
        h.state().rollout_view().is_some()
    });
    run_until(&mut harness, "the rollout's first figures", |h| {
        h.state()
            .rollout_view()
            .and_then(|view| view.deployment())
            .is_some()
    });
    audit(&mut harness, "rollout view with the tour", &mut found);
    harness
        .get_by_role_and_label(Role::Button, "Skip the tour")
        .click();
    harness
        .get_by_role_and_label(Role::Button, "All deployments")
        .click();
    settle(&mut harness);
    assert!(harness.state().rollout_view().is_none());

    // Something more to show: an application with a group over the fleet.
    ui_support::web_production_group(&harness, None);

    for (number, page) in Page::ALL.into_iter().enumerate() {
        let key = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5][number];
        press(&mut harness, Modifiers::COMMAND, key);
        assert_eq!(harness.state().page(), page);
        run_until(&mut harness, "the page's first load", |h| {
            !h.state().is_busy()
        });
        audit(&mut harness, page.title(), &mut found);
        match page {
            Page::Applications => {
                // The list was loaded before `web` was made: F5 reloads it.
                press(&mut harness, Modifiers::NONE, Key::F5);
                let is_web = |label: &str| label == "web" || label.starts_with("web ");
                run_until(&mut harness, "web in the list", |h| {
                    h.query_all_by_role(Role::Button)
                        .any(|node| node.accesskit_node().label().is_some_and(|l| is_web(&l)))
                });
                harness
                    .query_all_by_role(Role::Button)
                    .find(|node| node.accesskit_node().label().is_some_and(|l| is_web(&l)))
                    .expect("the application web in the list")
                    .click();
                run_until(&mut harness, "the groups", |h| !h.state().is_busy());
                audit(&mut harness, "Applications, web chosen", &mut found);
            }
            Page::Revisions => {
                ui_support::choose(&mut harness, "Application", "web");
                assert!(has_text(&harness, "Registered revisions"), "web is chosen");
                run_until(&mut harness, "the revisions", |h| !h.state().is_busy());
                audit(&mut harness, "Revisions, web chosen", &mut found);
            }
            Page::Setup => {
                for wizard in [
                    "Service role",
                    "Deployment group",
                    "Instance profile",
                    "Tag instances",
                ] {
                    let start = format!("Start: {wizard}");
                    if harness
                        .query_by_role_and_label(Role::Button, &start)
                        .is_none()
                    {
                        found.push(format!("Setup: no button {start}"));
                        continue;
                    }
                    harness.get_by_role_and_label(Role::Button, &start).click();
                    run_until(&mut harness, "the wizard's loads", |h| !h.state().is_busy());
                    audit(&mut harness, &format!("Setup, {wizard}"), &mut found);
                    if let Some(cancel) = harness.query_by_role_and_label(Role::Button, "Cancel") {
                        cancel.click();
                        settle(&mut harness);
                    }
                }
            }
            Page::Deployments | Page::RolloutPlanner => {}
        }
    }

    // The Deploy dialog, the menus and the help overlay.
    press(&mut harness, Modifiers::COMMAND, Key::D);
    run_until(&mut harness, "the Deploy dialog's loads", |h| {
        !h.state().is_busy()
    });
    audit(&mut harness, "Deploy dialog", &mut found);
    press(&mut harness, Modifiers::NONE, Key::Escape);
    for menu in ["Settings", "Help", "Switch account"] {
        harness.get_by_role_and_label(Role::Button, menu).click();
        audit(&mut harness, &format!("{menu} menu"), &mut found);
        press(&mut harness, Modifiers::NONE, Key::Escape);
    }
    press(&mut harness, Modifiers::NONE, Key::F1);
    audit(&mut harness, "help overlay", &mut found);

    assert!(
        found.is_empty(),
        "controls without an accessible name:\n{}",
        found.join("\n")
    );
}

/// The app in demo mode in a window of `size`, connected, with the welcome
/// panel out of the way.
fn demo_harness_sized(dir: &Path, size: egui::Vec2) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: Some(dir.join(settings::SETTINGS_FILE)),
        backend_override: Some(BackendChoice::Demo),
        local_cloud: Some(Arc::new(EmbeddedLocalCloud::new(Some(
            dir.join("localcloud").join("state.json"),
        )))),
    };
    let mut harness = app_harness(options, size);
    run_until(&mut harness, "the connection", |h| {
        h.state().session().is_some()
    });
    dismiss_tour(&mut harness);
    harness
}

/// Opens the Help menu and clicks `item` in it, with the pointer.
fn help_item(harness: &mut Harness<'static, App>, item: &str) {
    harness.get_by_role_and_label(Role::Button, "Help").click();
    settle(harness);
    harness.get_by_role_and_label(Role::Button, item).click();
    settle(harness);
}

#[test]
fn help_about_shows_the_version_and_licence_and_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    assert!(!has_text(&harness, "About DeployDesk"));
    help_item(&mut harness, "About DeployDesk");
    assert!(has_plain_text(&harness, "About DeployDesk"), "its heading");
    assert!(has_plain_text(
        &harness,
        &format!("Version {}", env!("CARGO_PKG_VERSION"))
    ));
    assert!(has_text(&harness, "MIT licence or the Apache License 2.0"));
    harness.get_by_label("AWS CodeDeploy user guide");
    harness.get_by_role_and_label(Role::Button, "Close").click();
    settle(&mut harness);
    assert!(!has_plain_text(&harness, "About DeployDesk"));
}

#[test]
fn help_replay_the_tour_offers_the_guided_demo_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness(dir.path());
    assert!(!has_text(&harness, "Welcome to DeployDesk"), "dismissed");
    help_item(&mut harness, "Replay the tour");
    assert!(has_text(&harness, "Welcome to DeployDesk"));
    harness.get_by_role_and_label(Role::Button, "Show me a rollout");
    run_until(&mut harness, "the tour kept as not done", |_| {
        !saved(dir.path()).tour_done
    });
}

/// The rects of the top bar's buttons, by accessible name.
fn top_bar_buttons(harness: &Harness<'static, App>, names: &[&str]) -> Vec<(String, egui::Rect)> {
    names
        .iter()
        .map(|name| {
            let rect = harness.get_by_role_and_label(Role::Button, name).rect();
            ((*name).to_owned(), rect)
        })
        .collect()
}

/// Checks that every button lies within `width` and overlaps no other.
fn assert_on_screen_and_apart(buttons: &[(String, egui::Rect)], width: f32) {
    for (index, (name, rect)) in buttons.iter().enumerate() {
        assert!(
            rect.left() >= 0.0 && rect.right() <= width,
            "{name} is on screen: {rect:?}"
        );
        for (other, other_rect) in &buttons[index + 1..] {
            assert!(
                !rect.intersects(*other_rect),
                "{name} {rect:?} overlaps {other} {other_rect:?}"
            );
        }
    }
}

#[test]
fn at_800x600_the_top_bar_keeps_everything_apart_and_the_theme_switch_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness_sized(dir.path(), egui::vec2(800.0, 600.0));
    let buttons = top_bar_buttons(
        &harness,
        &[
            "Dark",
            "Light",
            "System",
            "Help",
            "Settings",
            "Switch account",
            "Reset demo account…",
        ],
    );
    assert_on_screen_and_apart(&buttons, 800.0);
    harness.get_by_role_and_label(Role::Button, "Dark").click();
    settle(&mut harness);
    assert_eq!(
        harness.ctx.options(|options| options.theme_preference),
        egui::ThemePreference::Dark
    );
}

#[test]
fn at_640x480_the_theme_switch_folds_into_a_menu_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = demo_harness_sized(dir.path(), egui::vec2(640.0, 480.0));
    let buttons = top_bar_buttons(
        &harness,
        &[
            "Theme",
            "Help",
            "Settings",
            "Switch account",
            "Reset demo account…",
        ],
    );
    assert_on_screen_and_apart(&buttons, 640.0);
    harness.get_by_role_and_label(Role::Button, "Theme").click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Dark").click();
    settle(&mut harness);
    assert_eq!(
        harness.ctx.options(|options| options.theme_preference),
        egui::ThemePreference::Dark
    );
}
