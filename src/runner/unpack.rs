//! Putting a bundle's files into a deployment's archive folder, and
//! listing them for the installer.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use crate::cloud::bundle::BundleSource;
use crate::domain::local_run::ArchiveListing;

/// Unpacks `source` into `archive_dir` (which exists). An archive is kept
/// beside it as `bundle.tar`, as the agent keeps the bundle it downloaded.
pub fn unpack(source: &BundleSource, archive_dir: &Path) -> io::Result<()> {
    match source {
        BundleSource::Folder(folder) => copy_tree(folder, archive_dir),
        BundleSource::Archive(path) => {
            if let Some(deployment_dir) = archive_dir.parent() {
                fs::copy(path, deployment_dir.join("bundle.tar"))?;
            }
            let mut magic = [0_u8; 4];
            let read = File::open(path)?.read(&mut magic)?;
            let file = File::open(path)?;
            if read >= 2 && magic[..2] == *b"PK" {
                let mut zip = zip::ZipArchive::new(file).map_err(io::Error::other)?;
                zip.extract(archive_dir).map_err(io::Error::other)
            } else if read >= 2 && magic[..2] == [0x1f, 0x8b] {
                tar::Archive::new(flate2::read::GzDecoder::new(file)).unpack(archive_dir)
            } else {
                tar::Archive::new(file).unpack(archive_dir)
            }
        }
    }
}

/// Copies a folder's contents into `to`, keeping links as links and the
/// files' modes.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, &target)?;
        } else if kind.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Every path below `archive_dir`, relative to it, and whether it is a
/// folder (a link to a folder is not one, as the agent copies it as a
/// link).
pub fn listing(archive_dir: &Path) -> io::Result<ArchiveListing> {
    let mut found = ArchiveListing::new();
    let mut pending = vec![archive_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let folder = entry.file_type()?.is_dir();
            if let Ok(relative) = path.strip_prefix(archive_dir) {
                found.insert(relative.to_path_buf(), folder);
            }
            if folder {
                pending.push(path);
            }
        }
    }
    Ok(found)
}
