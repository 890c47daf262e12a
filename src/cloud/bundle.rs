//! Bundles on disk: a folder or an archive picked as a revision, its
//! preview (files, sizes, modes and the AppSpec), and the deterministic zip
//! a folder becomes before it is uploaded.
//!
//! Everything here is blocking file I/O: callers run it on a blocking
//! thread (`tokio::task::spawn_blocking`), never in a UI frame.
//!
//! Entries that would land outside the deployment folder when the agent
//! unpacks the bundle (`..` components, absolute paths, links pointing
//! outside) are refused, in folders and in archives alike.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::domain::bundle::{
    self as domain_bundle, APPSPEC_NAMES, BundleFile, BundleFiles, BundleKind,
};

/// The most bytes of a link target read from an archive.
const MAX_LINK_TARGET: u64 = 4096;

/// Where a revision comes from: a folder to zip, or an archive uploaded as
/// it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleSource {
    /// A local folder; it is zipped with [`write_zip`] before the upload.
    Folder(PathBuf),
    /// A `.zip`, `.tar` or `.tar.gz` file, uploaded as it is after its
    /// entries are checked.
    Archive(PathBuf),
}

impl BundleSource {
    /// The source at `path`: a folder, or a file that is a zip, tar or
    /// gzip-compressed tar archive (told by its content, not its name).
    pub fn from_path(path: &Path) -> Result<Self, BundleError> {
        let metadata = fs::metadata(path).map_err(|problem| {
            if problem.kind() == io::ErrorKind::NotFound {
                BundleError::Missing {
                    path: path.to_path_buf(),
                }
            } else {
                BundleError::unreadable(path, &problem)
            }
        })?;
        if metadata.is_dir() {
            return Ok(Self::Folder(path.to_path_buf()));
        }
        let mut file =
            File::open(path).map_err(|problem| BundleError::unreadable(path, &problem))?;
        match sniff(&mut file).map_err(|problem| BundleError::unreadable(path, &problem))? {
            Some(_) => Ok(Self::Archive(path.to_path_buf())),
            None => Err(BundleError::NotABundle {
                path: path.to_path_buf(),
            }),
        }
    }

    /// The folder's or the archive's path.
    pub fn path(&self) -> &Path {
        match self {
            Self::Folder(path) | Self::Archive(path) => path,
        }
    }
}

/// Why a bundle cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Nothing exists at the path.
    #[error(
        "Nothing exists at {}; pick an existing folder, or a .zip, .tar or .tar.gz file.",
        .path.display()
    )]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// The file is not an archive CodeDeploy can deploy.
    #[error(
        "{} is not a zip, tar or tar.gz archive; pick a folder to zip, or an archive in one of those formats.",
        .path.display()
    )]
    NotABundle {
        /// The path.
        path: PathBuf,
    },
    /// An entry would be written outside the deployment folder.
    #[error(
        "The bundle is refused: {entry} {reason}, so the agent would write outside the deployment folder. Remove it or make it point inside the bundle."
    )]
    Escapes {
        /// The entry's path in the bundle.
        entry: String,
        /// How it escapes, such as "goes up with .." or "is a link to /etc".
        reason: String,
    },
    /// A file's name is not UTF-8, which zip and S3 keys cannot carry.
    #[error(
        "The file {} has a name that is not valid UTF-8; rename it before bundling.",
        .path.display()
    )]
    Name {
        /// The file.
        path: PathBuf,
    },
    /// A file or folder could not be read.
    #[error("Could not read {}: {detail}. Check that it exists and that you may read it.", .path.display())]
    Unreadable {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// The archive is damaged.
    #[error("{} could not be read as an archive: {detail}. Check that the file is complete.", .path.display())]
    Damaged {
        /// The archive.
        path: PathBuf,
        /// What the archive reader said.
        detail: String,
    },
    /// The zip could not be written.
    #[error("Could not write the bundle {}: {detail}. Check the free disk space and that the folder is writable.", .path.display())]
    Write {
        /// The zip being written.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
}

impl BundleError {
    /// A read failure of `path`.
    fn unreadable(path: &Path, problem: &dyn std::fmt::Display) -> Self {
        Self::Unreadable {
            path: path.to_path_buf(),
            detail: problem.to_string(),
        }
    }

    /// A damaged archive at `path`.
    fn damaged(path: &Path, problem: &dyn std::fmt::Display) -> Self {
        Self::Damaged {
            path: path.to_path_buf(),
            detail: problem.to_string(),
        }
    }

    /// An escaping entry.
    fn escapes(entry: &str, reason: impl Into<String>) -> Self {
        Self::Escapes {
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }
}

/// One entry of a bundle's preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewEntry {
    /// Its path in the bundle, with `/` separators.
    pub path: String,
    /// Its size in bytes (0 for links).
    pub size: u64,
    /// Its Unix permission bits, such as `0o755` (0 when the archive keeps
    /// none).
    pub mode: u32,
    /// Where it points, when it is a symbolic link.
    pub link_target: Option<String>,
}

/// What a bundle holds, for the revision picker's preview and the linter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundlePreview {
    /// The format it is uploaded in (a folder becomes a zip).
    pub kind: BundleKind,
    /// Its files and links, sorted by path.
    pub entries: Vec<PreviewEntry>,
    /// The sum of the entries' sizes (uncompressed).
    pub total_size: u64,
    /// The size of what is uploaded: the archive's size, or for a folder
    /// `None` until it is zipped.
    pub archive_size: Option<u64>,
    /// The text of `appspec.yml` (or `appspec.yaml`) at the root, when
    /// there is one and it could be read.
    pub appspec: Option<String>,
    /// Why there is no AppSpec text, in words a person can act on.
    pub appspec_problem: Option<String>,
    /// The files, with executable bits, for the AppSpec linter.
    pub files: BundleFiles,
}

/// A bundle ready to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedBundle {
    /// The file to upload.
    pub path: PathBuf,
    /// Its format (the `bundleType` to register).
    pub kind: BundleKind,
    /// Its size in bytes.
    pub size: u64,
}

/// The archive format of `file` by its first bytes, leaving it at its start.
fn sniff(file: &mut File) -> io::Result<Option<BundleKind>> {
    let mut head = [0_u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(problem) if problem.kind() == io::ErrorKind::Interrupted => {}
            Err(problem) => return Err(problem),
        }
    }
    file.seek(SeekFrom::Start(0))?;
    let head = &head[..filled];
    Ok(
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Some(BundleKind::Zip)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Some(BundleKind::Tgz)
        } else if head.len() >= 262 && &head[257..262] == b"ustar" {
            Some(BundleKind::Tar)
        } else {
            None
        },
    )
}

/// Checks that the entry `path` stays inside the bundle, and, when it is a
/// link to `link_target`, that the link does too. Hard links (`hard`) are
/// resolved from the bundle's root, symbolic links from the entry's folder.
fn check_entry(path: &str, link_target: Option<&str>, hard: bool) -> Result<(), BundleError> {
    if is_absolute(path) {
        return Err(BundleError::escapes(path, "is an absolute path"));
    }
    if resolved_depth(&[], path).is_none() {
        return Err(BundleError::escapes(
            path,
            "goes up out of the bundle with ..",
        ));
    }
    if let Some(target) = link_target {
        if is_absolute(target) {
            return Err(BundleError::escapes(
                path,
                format!("is a link to the absolute path {target}"),
            ));
        }
        let parent: Vec<&str> = if hard {
            Vec::new()
        } else {
            let mut parts: Vec<&str> = path
                .split(['/', '\\'])
                .filter(|part| !part.is_empty() && *part != ".")
                .collect();
            parts.pop();
            parts
        };
        if resolved_depth(&parent, target).is_none() {
            return Err(BundleError::escapes(
                path,
                format!("is a link to {target}, outside the bundle"),
            ));
        }
    }
    Ok(())
}

/// Whether `path` is absolute on Unix or Windows.
fn is_absolute(path: &str) -> bool {
    let mut chars = path.chars();
    path.starts_with(['/', '\\'])
        || matches!((chars.next(), chars.next()), (Some(drive), Some(':')) if drive.is_ascii_alphabetic())
}

/// The depth of `path` resolved (lexically) from the folder `base`; `None`
/// when it goes above the root.
fn resolved_depth(base: &[&str], path: &str) -> Option<usize> {
    let mut depth = base.len();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => depth = depth.checked_sub(1)?,
            _ => depth += 1,
        }
    }
    Some(depth)
}

/// A file found in a folder.
struct FolderEntry {
    /// Its path in the bundle.
    relative: String,
    /// Its path on disk.
    absolute: PathBuf,
    /// Its size (0 for links).
    size: u64,
    /// Its permission bits.
    mode: u32,
    /// Whether it can be executed (for links: the target).
    executable: bool,
    /// The link's target, for symbolic links.
    link_target: Option<String>,
}

/// The permission bits of `metadata`.
#[cfg(unix)]
fn mode_of(metadata: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o7777
}

/// The permission bits of `metadata` (no Unix modes here: a plain file).
#[cfg(not(unix))]
fn mode_of(_metadata: &fs::Metadata) -> u32 {
    0o644
}

/// Every file and link under `root`, sorted by path, refusing links that
/// point outside it.
fn walk(root: &Path) -> Result<Vec<FolderEntry>, BundleError> {
    let mut entries = Vec::new();
    let mut folders = vec![(root.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = folders.pop() {
        let listing =
            fs::read_dir(&folder).map_err(|problem| BundleError::unreadable(&folder, &problem))?;
        for item in listing {
            let item = item.map_err(|problem| BundleError::unreadable(&folder, &problem))?;
            let absolute = item.path();
            let name = item.file_name();
            let Some(name) = name.to_str() else {
                return Err(BundleError::Name { path: absolute });
            };
            let relative = format!("{prefix}{name}");
            let metadata = fs::symlink_metadata(&absolute)
                .map_err(|problem| BundleError::unreadable(&absolute, &problem))?;
            if metadata.is_dir() {
                folders.push((absolute, format!("{relative}/")));
            } else if metadata.file_type().is_symlink() {
                let target = fs::read_link(&absolute)
                    .map_err(|problem| BundleError::unreadable(&absolute, &problem))?;
                let Some(target) = target.to_str().map(str::to_owned) else {
                    return Err(BundleError::Name { path: absolute });
                };
                check_entry(&relative, Some(&target), false)?;
                let executable =
                    fs::metadata(&absolute).is_ok_and(|followed| mode_of(&followed) & 0o111 != 0);
                entries.push(FolderEntry {
                    relative,
                    absolute,
                    size: 0,
                    mode: mode_of(&metadata),
                    executable,
                    link_target: Some(target),
                });
            } else if metadata.is_file() {
                let mode = mode_of(&metadata);
                entries.push(FolderEntry {
                    relative,
                    absolute,
                    size: metadata.len(),
                    mode,
                    executable: mode & 0o111 != 0,
                    link_target: None,
                });
            }
            // Sockets, pipes and devices cannot be bundled; they are left out.
        }
    }
    entries.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(entries)
}

/// Reads the AppSpec of a folder, if any.
fn folder_appspec(root: &Path) -> (Option<String>, Option<String>) {
    for name in APPSPEC_NAMES {
        let path = root.join(name);
        if !path.is_file() {
            continue;
        }
        let read = File::open(&path).and_then(|file| {
            let mut bytes = Vec::new();
            file.take(domain_bundle::MAX_APPSPEC_BYTES + 1)
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        return match read {
            Ok(bytes) if bytes.len() as u64 > domain_bundle::MAX_APPSPEC_BYTES => (
                None,
                Some(format!(
                    "The AppSpec file {name} is larger than 1 MiB; an AppSpec only describes files, permissions and hooks, so keep it small."
                )),
            ),
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => (Some(text), None),
                Err(_) => (
                    None,
                    Some(format!(
                        "The AppSpec file {name} is not UTF-8 text; save it as UTF-8."
                    )),
                ),
            },
            Err(problem) => (
                None,
                Some(format!(
                    "The AppSpec file {name} could not be read: {problem}."
                )),
            ),
        };
    }
    (
        None,
        Some("The folder has no appspec.yml at its root; CodeDeploy needs one to know what to install. Add it, or pick the folder that holds it.".to_owned()),
    )
}

/// The preview of `source`: its files, sizes and modes, its AppSpec, and
/// the file list for the linter. Escaping entries are refused.
pub fn scan(source: &BundleSource) -> Result<BundlePreview, BundleError> {
    match source {
        BundleSource::Folder(root) => {
            let entries = walk(root)?;
            let (appspec, appspec_problem) = folder_appspec(root);
            let files = BundleFiles::new(entries.iter().map(|entry| BundleFile {
                path: entry.relative.clone(),
                executable: entry.executable,
            }));
            Ok(BundlePreview {
                kind: BundleKind::Zip,
                total_size: entries.iter().map(|entry| entry.size).sum(),
                entries: entries
                    .into_iter()
                    .map(|entry| PreviewEntry {
                        path: entry.relative,
                        size: entry.size,
                        mode: entry.mode,
                        link_target: entry.link_target,
                    })
                    .collect(),
                archive_size: None,
                appspec,
                appspec_problem,
                files,
            })
        }
        BundleSource::Archive(path) => scan_archive(path),
    }
}

/// Lists and checks an archive's entries, then reads its AppSpec.
fn scan_archive(path: &Path) -> Result<BundlePreview, BundleError> {
    let mut file = File::open(path).map_err(|problem| BundleError::unreadable(path, &problem))?;
    let archive_size = file
        .metadata()
        .map_err(|problem| BundleError::unreadable(path, &problem))?
        .len();
    let kind = sniff(&mut file)
        .map_err(|problem| BundleError::unreadable(path, &problem))?
        .ok_or_else(|| BundleError::NotABundle {
            path: path.to_path_buf(),
        })?;
    let mut entries = match kind {
        BundleKind::Zip => zip_entries(path, BufReader::new(file))?,
        BundleKind::Tar => tar_entries(path, BufReader::new(file))?,
        BundleKind::Tgz => tar_entries(path, flate2::read::GzDecoder::new(BufReader::new(file)))?,
    };
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let file = File::open(path).map_err(|problem| BundleError::unreadable(path, &problem))?;
    let facts =
        domain_bundle::inspect(BufReader::new(file)).ok_or_else(|| BundleError::NotABundle {
            path: path.to_path_buf(),
        })?;
    if let Some(problem) = &facts.unpack_error {
        return Err(BundleError::damaged(path, problem));
    }
    let (appspec, appspec_problem) = match &facts.appspec {
        Ok(text) => (Some(text.clone()), None),
        Err(problem) => (None, Some(problem.clone())),
    };
    Ok(BundlePreview {
        kind,
        total_size: entries.iter().map(|entry| entry.size).sum(),
        entries,
        archive_size: Some(archive_size),
        appspec,
        appspec_problem,
        files: BundleFiles::from_facts(&facts),
    })
}

/// The entries of a zip, each checked.
fn zip_entries(path: &Path, reader: impl Read + Seek) -> Result<Vec<PreviewEntry>, BundleError> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|problem| BundleError::damaged(path, &problem))?;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|problem| BundleError::damaged(path, &problem))?;
        let name = entry
            .name()
            .map_err(|problem| BundleError::damaged(path, &problem))?
            .into_owned();
        let mode = entry.unix_mode().unwrap_or(0) & 0o7777;
        if entry.is_dir() {
            check_entry(&name, None, false)?;
            continue;
        }
        let link_target = if entry.is_symlink() {
            let mut target = String::new();
            (&mut entry)
                .take(MAX_LINK_TARGET)
                .read_to_string(&mut target)
                .map_err(|problem| BundleError::damaged(path, &problem))?;
            Some(target)
        } else {
            None
        };
        check_entry(&name, link_target.as_deref(), false)?;
        entries.push(PreviewEntry {
            path: name,
            size: if link_target.is_some() {
                0
            } else {
                entry.size()
            },
            mode,
            link_target,
        });
    }
    Ok(entries)
}

/// The entries of a tar (already decompressed), each checked.
fn tar_entries(path: &Path, reader: impl Read) -> Result<Vec<PreviewEntry>, BundleError> {
    let mut archive = tar::Archive::new(reader);
    let mut entries = Vec::new();
    for entry in archive
        .entries()
        .map_err(|problem| BundleError::damaged(path, &problem))?
    {
        let entry = entry.map_err(|problem| BundleError::damaged(path, &problem))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().unwrap_or(0) & 0o7777;
        let link = if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            Some(target)
        } else {
            None
        };
        check_entry(&name, link.as_deref(), kind.is_hard_link())?;
        if kind.is_file() || link.is_some() {
            entries.push(PreviewEntry {
                path: name.trim_start_matches("./").to_owned(),
                size: if link.is_some() { 0 } else { entry.size() },
                mode,
                link_target: link,
            });
        }
    }
    Ok(entries)
}

/// Zips `folder` into `out_path`, deterministically: entries sorted by
/// path, every timestamp 1980-01-01 00:00, Unix modes kept, links stored as
/// links. The same folder always gives the same bytes, whatever its files'
/// times. Links pointing outside the folder are refused. The zip is written
/// to a temporary file next to `out_path` and renamed into place, so a
/// failure leaves no half-written bundle. File bodies are streamed, so
/// memory stays flat whatever their size.
pub fn write_zip(folder: &Path, out_path: &Path) -> Result<PreparedBundle, BundleError> {
    let entries = walk(folder)?;
    let write_error = |problem: &dyn std::fmt::Display| BundleError::Write {
        path: out_path.to_path_buf(),
        detail: problem.to_string(),
    };
    let parent = out_path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let temporary =
        tempfile::NamedTempFile::new_in(parent).map_err(|problem| write_error(&problem))?;
    let mut writer = zip::ZipWriter::new(BufWriter::new(temporary));
    for entry in &entries {
        let options = zip::write::SimpleFileOptions::default()
            .last_modified_time(zip::DateTime::DEFAULT)
            .unix_permissions(entry.mode)
            .large_file(entry.size >= u64::from(u32::MAX));
        if let Some(target) = &entry.link_target {
            writer
                .add_symlink(&entry.relative, target, options)
                .map_err(|problem| write_error(&problem))?;
            continue;
        }
        let options = options.compression_method(zip::CompressionMethod::Deflated);
        writer
            .start_file(&entry.relative, options)
            .map_err(|problem| write_error(&problem))?;
        let mut body = File::open(&entry.absolute)
            .map_err(|problem| BundleError::unreadable(&entry.absolute, &problem))?;
        io::copy(&mut body, &mut writer).map_err(|problem| write_error(&problem))?;
    }
    let buffered = writer.finish().map_err(|problem| write_error(&problem))?;
    let temporary = buffered
        .into_inner()
        .map_err(|problem| write_error(problem.error()))?;
    let size = temporary
        .as_file()
        .metadata()
        .map_err(|problem| write_error(&problem))?
        .len();
    temporary
        .persist(out_path)
        .map_err(|problem| write_error(&problem.error))?;
    Ok(PreparedBundle {
        path: out_path.to_path_buf(),
        kind: BundleKind::Zip,
        size,
    })
}

/// Makes `source` ready to upload: a folder is zipped into `work_dir`
/// (named after the folder); an archive is checked for escaping entries
/// and then used as it is.
pub fn prepare_upload(
    source: &BundleSource,
    work_dir: &Path,
) -> Result<PreparedBundle, BundleError> {
    match source {
        BundleSource::Folder(folder) => {
            let name = folder
                .file_name()
                .and_then(|name| name.to_str())
                .filter(|name| !name.is_empty())
                .unwrap_or("bundle");
            write_zip(folder, &work_dir.join(format!("{name}.zip")))
        }
        BundleSource::Archive(path) => {
            let preview = scan_archive(path)?;
            Ok(PreparedBundle {
                path: path.clone(),
                kind: preview.kind,
                size: preview.archive_size.unwrap_or(0),
            })
        }
    }
}

/// Formats a size for a preview: `512 B`, `1.5 KiB`, `12.0 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_inside_the_bundle_pass() {
        assert_eq!(check_entry("a/b.txt", None, false), Ok(()));
        assert_eq!(check_entry("a/../b.txt", None, false), Ok(()));
        assert_eq!(check_entry("a/link", Some("../b.txt"), false), Ok(()));
        assert_eq!(check_entry("a/hard", Some("b.txt"), true), Ok(()));
    }

    #[test]
    fn escaping_entries_are_refused_with_how_they_escape() {
        let up = check_entry("../evil", None, false).unwrap_err();
        assert!(up.to_string().contains("goes up out of the bundle"), "{up}");
        let absolute = check_entry("/etc/passwd", None, false).unwrap_err();
        assert!(absolute.to_string().contains("absolute path"));
        let link = check_entry("a/link", Some("../../etc"), false).unwrap_err();
        assert!(link.to_string().contains("outside the bundle"));
        let link = check_entry("link", Some("/etc/passwd"), false).unwrap_err();
        assert!(link.to_string().contains("absolute path /etc/passwd"));
        assert!(check_entry("a/hard", Some("../x"), true).is_err());
        assert!(check_entry("C:evil", None, false).is_err());
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(200 * 1024 * 1024), "200.0 MiB");
    }
}
