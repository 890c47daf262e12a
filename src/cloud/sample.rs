//! The sample application (`assets/sample-app`), built into the binary so a
//! demo needs no files of its own: "Use the sample application" writes it
//! to a folder and picks that folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The sample's files: path in the bundle, contents, and whether it is a
/// script (executable).
const FILES: [(&str, &str, bool); 6] = [
    (
        "appspec.yml",
        include_str!("../../assets/sample-app/appspec.yml"),
        false,
    ),
    (
        "index.html",
        include_str!("../../assets/sample-app/index.html"),
        false,
    ),
    (
        "scripts/after_install.sh",
        include_str!("../../assets/sample-app/scripts/after_install.sh"),
        true,
    ),
    (
        "scripts/application_start.sh",
        include_str!("../../assets/sample-app/scripts/application_start.sh"),
        true,
    ),
    (
        "scripts/before_install.sh",
        include_str!("../../assets/sample-app/scripts/before_install.sh"),
        true,
    ),
    (
        "scripts/validate_service.sh",
        include_str!("../../assets/sample-app/scripts/validate_service.sh"),
        true,
    ),
];

/// Writes the sample application into `parent/sample-app` (replacing an
/// older copy's files) and returns that folder. Blocking: run it off the UI
/// thread.
pub fn write_sample(parent: &Path) -> io::Result<PathBuf> {
    let root = parent.join("sample-app");
    for (path, contents, executable) in FILES {
        let target = root.join(path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&target, contents)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if executable { 0o755 } else { 0o644 };
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = executable;
    }
    Ok(root)
}

/// Where the sample is written for the app: the data directory, or the
/// system's temporary directory when there is none.
pub fn sample_parent() -> PathBuf {
    directories::ProjectDirs::from("dev", "DeployDesk", "DeployDesk")
        .map_or_else(std::env::temp_dir, |dirs| dirs.data_dir().to_path_buf())
}

/// A Lambda function's package for the demo: a zip holding `index.py`,
/// whose handler answers with `label`.
pub fn lambda_package(label: &str) -> Vec<u8> {
    use std::io::Write as _;
    let source = format!(
        "def handler(event, context):\n    return {{\"statusCode\": 200, \"body\": {label:?}}}\n"
    );
    let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let written = writer
        .start_file("index.py", zip::write::SimpleFileOptions::default())
        .and_then(|()| writer.write_all(source.as_bytes()).map_err(Into::into))
        .and_then(|()| writer.finish());
    // Writing to memory fails only if memory runs out.
    written.map(io::Cursor::into_inner).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_written_with_executable_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let root = write_sample(dir.path()).unwrap();
        assert!(root.join("appspec.yml").is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(root.join("scripts/after_install.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111);
        }
        // Writing again over an older copy works.
        assert_eq!(write_sample(dir.path()).unwrap(), root);
    }
}
