//! "Open logs folder" in the Settings menu: shows the folder of the log files
//! (see [`crate::logging`]) in the desktop's file manager.
//!
//! Opening runs a launcher program (`xdg-open` on Linux), which can take a
//! while or block, so it runs on a blocking thread of the job runtime, never
//! in a frame. If it fails, the app shows the folder's path in its notice so
//! the user can go there by hand.

use std::path::Path;

/// The menu item's label.
pub const MENU_LABEL: &str = "Open logs folder";

/// Draws the menu item, with the folder's path as hover text. Returns
/// whether it was clicked.
pub fn menu_item_ui(ui: &mut egui::Ui) -> bool {
    let hover = match crate::logging::log_dir() {
        Some(dir) => format!("Log files are kept in {}", dir.display()),
        None => "There is no home folder, so no log files are kept.".to_owned(),
    };
    ui.button(MENU_LABEL).on_hover_text(hover).clicked()
}

/// Opens the log folder in the file manager, creating it if it is
/// missing. Runs the launcher on a blocking thread; the error says where
/// the folder is, for the notice.
pub async fn open() -> Result<(), String> {
    let dir = crate::logging::log_dir();
    tokio::task::spawn_blocking(move || open_blocking(dir.as_deref(), |dir| open::that(dir)))
        .await
        .unwrap_or_else(|error| Err(format!("Could not open the logs folder: {error}.")))
}

/// Creates `dir` if needed and opens it with `launch`. Blocks.
fn open_blocking(
    dir: Option<&Path>,
    launch: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), String> {
    let Some(dir) = dir else {
        return Err(
            "There is no home folder, so DeployDesk keeps no log files. Set HOME and start again."
                .to_owned(),
        );
    };
    std::fs::create_dir_all(dir)
        .and_then(|()| launch(dir))
        .map_err(|error| failure_text(dir, &error))
}

/// The notice for a folder that could not be opened: the reason and where
/// the log files are.
fn failure_text(dir: &Path, error: &std::io::Error) -> String {
    format!(
        "Could not open the logs folder ({error}). The log files are in {}",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_launcher_failure_names_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let logs = dir.path().join("logs");
        let result = open_blocking(Some(&logs), |_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no file manager",
            ))
        });
        let text = result.expect_err("the launcher failed");
        assert!(text.contains("no file manager"), "{text}");
        assert!(text.contains(&logs.display().to_string()), "{text}");
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
        let text = open_blocking(None, |_| Ok(())).expect_err("no folder");
        assert!(text.contains("no log files"), "{text}");
    }
}
