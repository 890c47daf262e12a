//! "Open logs folder" in the Settings menu: shows the folder of the log files
//! (see [`crate::logging`]) in the desktop's file manager.
//!
//! Opening runs a launcher program (`xdg-open` on Linux), which can take a
//! while or block, so it runs on a blocking thread of the job runtime, never
//! in a frame. If it fails, the app says so in plain words, with the folder's
//! path and a button that copies it, so the user can go there by hand; the
//! launcher's own words (such as `ExitStatus(unix_wait_status(512))`) are
//! kept for the tooltip.

use std::path::{Path, PathBuf};

/// The menu item's label.
pub const MENU_LABEL: &str = "Open logs folder";

/// Why the logs folder could not be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFailure {
    /// The folder of the log files; `None` when there is no home folder.
    pub folder: Option<PathBuf>,
    /// What failed, in the launcher's or the system's own words.
    pub detail: String,
}

impl OpenFailure {
    /// The failure in plain words, with the folder's path.
    pub fn message(&self) -> String {
        match &self.folder {
            Some(folder) => format!(
                "No file manager could open the logs folder; the folder is {}",
                folder.display()
            ),
            None => "There is no home folder, so DeployDesk keeps no log files. Set HOME and start again."
                .to_owned(),
        }
    }
}

/// Draws the menu item, with the folder's path as hover text. Returns
/// whether it was clicked.
pub fn menu_item_ui(ui: &mut egui::Ui) -> bool {
    let hover = match crate::logging::log_dir() {
        Some(dir) => format!("Log files are kept in {}", dir.display()),
        None => "There is no home folder, so no log files are kept.".to_owned(),
    };
    ui.button(MENU_LABEL).on_hover_text(hover).clicked()
}

/// Draws a failure to open the folder: the plain message (the launcher's
/// words on hover), Copy path and Dismiss. Returns whether it was
/// dismissed.
pub fn failure_ui(ui: &mut egui::Ui, failure: &OpenFailure) -> bool {
    let mut dismissed = false;
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new("Logs folder")
                .strong()
                .color(ui.visuals().warn_fg_color),
        );
        ui.label(failure.message())
            .on_hover_text(format!("What went wrong: {}", failure.detail));
        if let Some(folder) = &failure.folder
            && ui
                .button("Copy path")
                .on_hover_text("Copy the folder's path, to paste it in a file manager or terminal")
                .clicked()
        {
            ui.ctx().copy_text(folder.display().to_string());
        }
        if ui.button("Dismiss").clicked() {
            dismissed = true;
        }
    });
    dismissed
}

/// Opens the log folder in the file manager, creating it if it is
/// missing. Runs the launcher on a blocking thread.
pub async fn open() -> Result<(), OpenFailure> {
    let dir = crate::logging::log_dir();
    let folder = dir.clone();
    tokio::task::spawn_blocking(move || open_blocking(dir.as_deref(), |dir| open::that(dir)))
        .await
        .unwrap_or_else(|error| {
            Err(OpenFailure {
                folder,
                detail: error.to_string(),
            })
        })
}

/// Creates `dir` if needed and opens it with `launch`. Blocks.
fn open_blocking(
    dir: Option<&Path>,
    launch: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), OpenFailure> {
    let Some(dir) = dir else {
        return Err(OpenFailure {
            folder: None,
            detail: "no home folder".to_owned(),
        });
    };
    std::fs::create_dir_all(dir)
        .and_then(|()| launch(dir))
        .map_err(|error| OpenFailure {
            folder: Some(dir.to_path_buf()),
            detail: error.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_launcher_failure_is_said_in_words_with_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let logs = dir.path().join("logs");
        let result = open_blocking(Some(&logs), |_| {
            Err(std::io::Error::other(
                "Launcher \"xdg-open\" failed with ExitStatus(unix_wait_status(512))",
            ))
        });
        let failure = result.expect_err("the launcher failed");
        let message = failure.message();
        assert!(
            message.starts_with("No file manager could open the logs folder"),
            "{message}"
        );
        assert!(message.contains(&logs.display().to_string()), "{message}");
        assert!(!message.contains("ExitStatus"), "{message}");
        // The launcher's words are kept, for the tooltip.
        assert!(failure.detail.contains("unix_wait_status(512)"));
        // The folder was created, so the path shown exists.
        assert!(logs.is_dir());
    }

    #[test]
    fn the_launcher_gets_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut opened = None;
        open_blocking(Some(dir.path()), |path| {
            opened = Some(path.to_path_buf());
            Ok(())
        })
        .expect("opened");
        assert_eq!(opened.as_deref(), Some(dir.path()));
    }

    #[test]
    fn no_home_folder_is_said_plainly() {
        let failure = open_blocking(None, |_| Ok(())).expect_err("no folder");
        assert!(failure.message().contains("no log files"), "{failure:?}");
    }

    #[test]
    fn copy_path_copies_the_folder_and_dismiss_dismisses() {
        use egui_kittest::Harness;
        use egui_kittest::kittest::Queryable as _;
        let failure = OpenFailure {
            folder: Some(PathBuf::from("/home/someone/.local/share/deploydesk/logs")),
            detail: "ExitStatus(unix_wait_status(512))".to_owned(),
        };
        let mut harness = Harness::new_ui_state(
            |ui, dismissed: &mut bool| {
                if failure_ui(ui, &failure) {
                    *dismissed = true;
                }
            },
            false,
        );
        harness.run();
        harness.get_by_label_contains("No file manager could open the logs folder");
        assert!(
            harness.query_by_label_contains("ExitStatus").is_none(),
            "the launcher's words are only in the tooltip"
        );
        harness.get_by_label("Copy path").click();
        harness.step();
        let copied = harness
            .output()
            .platform_output
            .commands
            .iter()
            .any(|command| {
                matches!(command, egui::OutputCommand::CopyText(text)
                if text == "/home/someone/.local/share/deploydesk/logs")
            });
        assert!(copied, "the path is copied");
        assert!(!*harness.state());
        harness.get_by_label("Dismiss").click();
        harness.run();
        assert!(*harness.state());
    }
}
