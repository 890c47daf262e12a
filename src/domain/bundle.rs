//! Revision bundles: the archives (zip, tar, gzip-compressed tar) that
//! CodeDeploy downloads to an instance, and the `appspec.yml` at their root.
//!
//! The functions here read an archive from any reader the caller opens; they
//! never open files themselves.

use std::io::{Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

/// The most bytes of an AppSpec file that are read. A longer file is
/// reported as a problem instead of being read into memory.
pub const MAX_APPSPEC_BYTES: u64 = 1024 * 1024;

/// The most file entries of an archive that [`BundleFacts::files`] lists.
pub const MAX_LISTED_FILES: usize = 10_000;

/// The names the CodeDeploy agent looks for at the root of a revision, in
/// the order it tries them.
pub const APPSPEC_NAMES: [&str; 2] = ["appspec.yml", "appspec.yaml"];

/// The archive formats CodeDeploy deploys from S3 (`bundleType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleKind {
    /// A zip archive.
    Zip,
    /// An uncompressed tar archive.
    Tar,
    /// A gzip-compressed tar archive.
    Tgz,
}

impl BundleKind {
    /// Every archive format, in the order a picker lists them.
    pub const ALL: [Self; 3] = [Self::Zip, Self::Tar, Self::Tgz];

    /// The archive format `S3Location.bundleType` names, if it names one
    /// (`YAML` and `JSON`, the AppSpec-only types of Lambda and ECS, are
    /// not archives).
    pub fn from_bundle_type(bundle_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.bundle_type() == bundle_type)
    }

    /// The kind as `S3Location.bundleType` spells it (`zip`, `tar`, `tgz`).
    pub fn bundle_type(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::Tar => "tar",
            Self::Tgz => "tgz",
        }
    }
}

/// A file in an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// Its path relative to the archive's root, with `/` separators and no
    /// leading `./`.
    pub path: String,
    /// Whether any of its execute bits is set (false when the archive does
    /// not record Unix modes).
    pub executable: bool,
}

/// The files of a bundle (an archive or a folder about to be zipped), as
/// the AppSpec linter checks hook locations and `files` sources against
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFiles {
    /// The files, with `/` separators and no leading `./` or `/`.
    pub files: Vec<BundleFile>,
    /// Whether the list holds every file of the bundle. When it does not,
    /// a path missing from it may still be in the bundle, and the linter
    /// does not report it as missing.
    pub complete: bool,
}

impl BundleFiles {
    /// A complete list of `files`; their paths are normalised.
    pub fn new(files: impl IntoIterator<Item = BundleFile>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|file| BundleFile {
                    path: normalise(&file.path),
                    executable: file.executable,
                })
                .collect(),
            complete: true,
        }
    }

    /// The files an archive's facts list.
    pub fn from_facts(facts: &BundleFacts) -> Self {
        Self {
            files: facts.files.clone(),
            complete: !facts.files_truncated && facts.unpack_error.is_none(),
        }
    }

    /// The file at `location` (relative to the bundle's root; a leading `/`
    /// or `./` is ignored). `None` when it is not listed.
    pub fn file(&self, location: &str) -> Option<&BundleFile> {
        let wanted = normalise(location);
        self.files.iter().find(|file| file.path == wanted)
    }

    /// Whether `location` is a file or a folder of the bundle: `Some(true)`
    /// when listed, `Some(false)` when surely absent, `None` when the list
    /// is incomplete and the path is not in it. The root (`/` or empty) is
    /// always there.
    pub fn contains(&self, location: &str) -> Option<bool> {
        let wanted = normalise(location);
        let wanted = wanted.trim_end_matches('/');
        if wanted.is_empty() || wanted == "." {
            return Some(true);
        }
        let folder = format!("{wanted}/");
        if self
            .files
            .iter()
            .any(|file| file.path == wanted || file.path.starts_with(&folder))
        {
            Some(true)
        } else if self.complete {
            Some(false)
        } else {
            None
        }
    }
}

/// What an archive holds that CodeDeploy cares about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFacts {
    /// The archive's format.
    pub kind: BundleKind,
    /// The text of `appspec.yml` (or `appspec.yaml`) at the archive's root,
    /// or why it could not be read, in the words an agent would log.
    pub appspec: Result<String, String>,
    /// The AppSpec file's path in the archive; `None` when the archive has
    /// none at its root (see [`appspec_not_found`] for what the agent says).
    #[serde(default)]
    pub appspec_path: Option<String>,
    /// Why the archive could not be unpacked, when it is damaged. The agent
    /// unpacks the bundle as part of `DownloadBundle`, so that event fails.
    #[serde(default)]
    pub unpack_error: Option<String>,
    /// Its regular files, at most [`MAX_LISTED_FILES`] of them.
    #[serde(default)]
    pub files: Vec<BundleFile>,
    /// Whether the archive has more files than [`BundleFacts::files`] lists.
    #[serde(default)]
    pub files_truncated: bool,
}

impl BundleFacts {
    /// Whether the archive has a regular file at `location` (a path
    /// relative to its root, as AppSpec hooks give it). `None` when the
    /// list of files is incomplete and the file is not in it.
    pub fn has_file(&self, location: &str) -> Option<bool> {
        let wanted = normalise(location);
        if self.files.iter().any(|file| file.path == wanted) {
            Some(true)
        } else if self.files_truncated {
            None
        } else {
            Some(false)
        }
    }

    /// Facts of an archive of `kind` that could not be unpacked.
    fn damaged(kind: BundleKind, problem: impl std::fmt::Display) -> Self {
        let message = format!(
            "The revision's {} bundle could not be unpacked: {problem}. Check that the file is a complete {} archive and that the deployment's bundleType matches it.",
            kind.bundle_type(),
            kind.bundle_type()
        );
        Self {
            kind,
            appspec: Err(message.clone()),
            appspec_path: None,
            unpack_error: Some(message),
            files: Vec::new(),
            files_truncated: false,
        }
    }
}

/// The message the CodeDeploy agent logs when a revision unpacked to
/// `archive_dir` has no `appspec.yml` at its root.
pub fn appspec_not_found(archive_dir: &str) -> String {
    format!(
        "The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at revision-relative path \"appspec.yml\". The revision was unpacked to directory \"{archive_dir}\", and the AppSpec file was expected but not found at path \"{archive_dir}/appspec.yml\". Consult the AWS CodeDeploy Appspec documentation for more information at http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html"
    )
}

/// An archive path as CodeDeploy sees it: `/` separators, no leading `./`
/// or `/`.
fn normalise(path: &str) -> String {
    let mut path = path.replace('\\', "/");
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest.to_owned();
        } else if let Some(rest) = path.strip_prefix('/') {
            path = rest.to_owned();
        } else {
            return path;
        }
    }
}

/// What the archive's entries were found to hold, gathered one entry at a
/// time.
#[derive(Default)]
struct Listing {
    /// The files listed so far.
    files: Vec<BundleFile>,
    /// Whether files were left out of the list.
    truncated: bool,
    /// The AppSpec's path and text (or why it could not be read).
    appspec: Option<(String, Result<String, String>)>,
}

impl Listing {
    /// Records a regular file; `read` reads its body when it is the AppSpec.
    fn add(&mut self, path: &str, executable: bool, read: impl FnOnce() -> Result<String, String>) {
        let path = normalise(path);
        if path.is_empty() {
            return;
        }
        // `appspec.yml` wins over `appspec.yaml`, as in the agent.
        let better = match (
            &self.appspec,
            APPSPEC_NAMES.iter().position(|name| *name == path),
        ) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some((found, _)), Some(rank)) => {
                APPSPEC_NAMES.iter().position(|name| name == found) > Some(rank)
            }
        };
        if better {
            self.appspec = Some((path.clone(), read()));
        }
        if self.files.len() < MAX_LISTED_FILES {
            self.files.push(BundleFile { path, executable });
        } else {
            self.truncated = true;
        }
    }

    /// The facts of a fully read archive of `kind`.
    fn finish(self, kind: BundleKind) -> BundleFacts {
        let (appspec_path, appspec) = match self.appspec {
            Some((path, text)) => (Some(path), text),
            None => (None, Err(appspec_not_found("deployment-archive"))),
        };
        BundleFacts {
            kind,
            appspec,
            appspec_path,
            unpack_error: None,
            files: self.files,
            files_truncated: self.truncated,
        }
    }
}

/// Reads an AppSpec body of at most [`MAX_APPSPEC_BYTES`].
fn read_appspec(reader: impl Read, name: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_APPSPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("The AppSpec file {name} could not be read: {error}."))?;
    if bytes.len() as u64 > MAX_APPSPEC_BYTES {
        return Err(format!(
            "The AppSpec file {name} is larger than {} KiB; an AppSpec file only describes files, permissions and hooks, so keep it small.",
            MAX_APPSPEC_BYTES / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        format!("The AppSpec file {name} is not UTF-8 text; save it as UTF-8 and upload the revision again.")
    })
}

/// Whether a Unix mode has an execute bit.
fn executable(mode: u32) -> bool {
    mode & 0o111 != 0
}

/// Reads a zip archive.
fn inspect_zip<R: Read + Seek>(reader: R) -> BundleFacts {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(archive) => archive,
        Err(error) => return BundleFacts::damaged(BundleKind::Zip, error),
    };
    let mut listing = Listing::default();
    for index in 0..archive.len() {
        let mut entry = match archive.by_index(index) {
            Ok(entry) => entry,
            Err(error) => return BundleFacts::damaged(BundleKind::Zip, error),
        };
        if !entry.is_file() {
            continue;
        }
        let Ok(name) = entry.name().map(std::borrow::Cow::into_owned) else {
            continue;
        };
        let is_executable = entry.unix_mode().is_some_and(executable);
        listing.add(&name, is_executable, || read_appspec(&mut entry, &name));
    }
    listing.finish(BundleKind::Zip)
}

/// Reads a tar archive (already decompressed) of `kind`.
fn inspect_tar(reader: impl Read, kind: BundleKind) -> BundleFacts {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(error) => return BundleFacts::damaged(kind, error),
    };
    let mut listing = Listing::default();
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(error) => return BundleFacts::damaged(kind, error),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Ok(path) = entry.path().map(|path| path.to_string_lossy().into_owned()) else {
            continue;
        };
        let is_executable = entry.header().mode().is_ok_and(executable);
        listing.add(&path, is_executable, || read_appspec(&mut entry, &path));
    }
    listing.finish(kind)
}

/// Reads `reader` as an archive. `None` when it is not an archive of any
/// format CodeDeploy knows. A damaged archive gives facts whose
/// `unpack_error` says what is wrong; this never panics.
pub fn inspect<R: Read + Seek>(mut reader: R) -> Option<BundleFacts> {
    let mut head = [0_u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let head = &head[..filled];
    reader.seek(SeekFrom::Start(0)).ok()?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(inspect_zip(reader))
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(inspect_tar(
            flate2::read::GzDecoder::new(reader),
            BundleKind::Tgz,
        ))
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(inspect_tar(reader, BundleKind::Tar))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    const APPSPEC: &str = "version: 0.0\nos: linux\n";

    #[test]
    fn bundle_types_read_back_and_appspec_types_are_not_archives() {
        for kind in BundleKind::ALL {
            assert_eq!(BundleKind::from_bundle_type(kind.bundle_type()), Some(kind));
        }
        for other in ["YAML", "JSON", "Zip", "gz", ""] {
            assert_eq!(BundleKind::from_bundle_type(other), None, "{other}");
        }
    }

    /// A zip holding `files` (path, body, mode).
    fn zip_of(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (path, body, mode) in files {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
            writer.start_file(*path, options).unwrap();
            writer.write_all(body).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// A tar holding `files` (path, body, mode).
    fn tar_of(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, body, mode) in files {
            let mut header = tar::Header::new_ustar();
            header.set_size(body.len() as u64);
            header.set_mode(*mode);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, path, *body).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn sample() -> Vec<(&'static str, &'static [u8], u32)> {
        vec![
            ("appspec.yml", APPSPEC.as_bytes(), 0o644),
            ("scripts/start.sh", b"#!/bin/sh\necho start\n", 0o755),
            ("index.html", b"<h1>hi</h1>", 0o644),
        ]
    }

    fn check_sample(facts: &BundleFacts, kind: BundleKind) {
        assert_eq!(facts.kind, kind);
        assert_eq!(facts.appspec.as_deref(), Ok(APPSPEC));
        assert_eq!(facts.appspec_path.as_deref(), Some("appspec.yml"));
        assert_eq!(facts.unpack_error, None);
        assert_eq!(facts.files.len(), 3);
        assert_eq!(facts.has_file("scripts/start.sh"), Some(true));
        assert_eq!(facts.has_file("./scripts/start.sh"), Some(true));
        assert_eq!(facts.has_file("scripts/stop.sh"), Some(false));
        let start = facts
            .files
            .iter()
            .find(|file| file.path == "scripts/start.sh")
            .unwrap();
        assert!(start.executable);
        let index = facts.files.iter().find(|file| file.path == "index.html");
        assert!(!index.unwrap().executable);
    }

    #[test]
    fn zip_bundles_give_their_appspec_and_files() {
        let facts = inspect(Cursor::new(zip_of(&sample()))).unwrap();
        check_sample(&facts, BundleKind::Zip);
    }

    #[test]
    fn tar_bundles_give_their_appspec_and_files() {
        let facts = inspect(Cursor::new(tar_of(&sample()))).unwrap();
        check_sample(&facts, BundleKind::Tar);
    }

    #[test]
    fn gzipped_tar_bundles_give_their_appspec_and_files() {
        let facts = inspect(Cursor::new(gzip(&tar_of(&sample())))).unwrap();
        check_sample(&facts, BundleKind::Tgz);
    }

    #[test]
    fn tar_entries_made_from_dot_are_at_the_root() {
        let facts = inspect(Cursor::new(tar_of(&[(
            "./appspec.yaml",
            APPSPEC.as_bytes(),
            0o644,
        )])))
        .unwrap();
        assert_eq!(facts.appspec_path.as_deref(), Some("appspec.yaml"));
        assert_eq!(facts.appspec.as_deref(), Ok(APPSPEC));
    }

    #[test]
    fn appspec_yml_wins_over_appspec_yaml() {
        let facts = inspect(Cursor::new(zip_of(&[
            ("appspec.yaml", b"version: 1\n", 0o644),
            ("appspec.yml", APPSPEC.as_bytes(), 0o644),
        ])))
        .unwrap();
        assert_eq!(facts.appspec_path.as_deref(), Some("appspec.yml"));
        assert_eq!(facts.appspec.as_deref(), Ok(APPSPEC));
    }

    #[test]
    fn an_appspec_in_a_folder_is_not_found_as_the_agent_says() {
        let facts = inspect(Cursor::new(zip_of(&[(
            "app/appspec.yml",
            APPSPEC.as_bytes(),
            0o644,
        )])))
        .unwrap();
        assert_eq!(facts.appspec_path, None);
        let error = facts.appspec.unwrap_err();
        assert!(error.starts_with("The CodeDeploy agent did not find an AppSpec file"));
        assert!(error.contains("revision-relative path \"appspec.yml\""));
        assert_eq!(facts.unpack_error, None);
    }

    #[test]
    fn an_empty_zip_is_a_zip_without_appspec() {
        let facts = inspect(Cursor::new(zip_of(&[]))).unwrap();
        assert_eq!(facts.kind, BundleKind::Zip);
        assert!(facts.files.is_empty());
        assert_eq!(facts.appspec_path, None);
    }

    #[test]
    fn damaged_archives_are_reported_not_panicked_on() {
        let mut zip = zip_of(&sample());
        zip.truncate(zip.len() / 2);
        let facts = inspect(Cursor::new(zip)).unwrap();
        assert_eq!(facts.kind, BundleKind::Zip);
        assert!(
            facts
                .unpack_error
                .unwrap()
                .contains("could not be unpacked")
        );

        let mut tgz = gzip(&tar_of(&sample()));
        tgz.truncate(30);
        let facts = inspect(Cursor::new(tgz)).unwrap();
        assert_eq!(facts.kind, BundleKind::Tgz);
        assert!(facts.unpack_error.is_some());

        let mut garbage_gzip = vec![0x1f, 0x8b];
        garbage_gzip.extend_from_slice(&[0xff; 64]);
        let facts = inspect(Cursor::new(garbage_gzip)).unwrap();
        assert!(facts.unpack_error.is_some());
    }

    #[test]
    fn bundle_files_know_files_and_folders() {
        let files = BundleFiles::new([BundleFile {
            path: "./scripts/start.sh".to_owned(),
            executable: true,
        }]);
        assert_eq!(
            files.file("/scripts/start.sh").map(|file| file.executable),
            Some(true)
        );
        assert_eq!(files.contains("scripts"), Some(true));
        assert_eq!(files.contains("/scripts/"), Some(true));
        assert_eq!(files.contains("/"), Some(true));
        assert_eq!(files.contains("script"), Some(false));
        assert!(files.file("scripts").is_none());
        let partial = BundleFiles {
            complete: false,
            ..files
        };
        assert_eq!(partial.contains("other"), None);
    }

    #[test]
    fn other_files_are_not_bundles() {
        assert_eq!(inspect(Cursor::new(b"<html></html>".to_vec())), None);
        assert_eq!(inspect(Cursor::new(Vec::new())), None);
    }

    #[test]
    fn a_huge_appspec_is_refused_without_reading_it_all() {
        let huge = vec![b'#'; (MAX_APPSPEC_BYTES + 10) as usize];
        let facts = inspect(Cursor::new(tar_of(&[("appspec.yml", &huge, 0o644)]))).unwrap();
        assert_eq!(facts.appspec_path.as_deref(), Some("appspec.yml"));
        assert!(facts.appspec.unwrap_err().contains("larger than 1024 KiB"));
    }

    #[test]
    fn the_file_list_is_bounded() {
        let names: Vec<String> = (0..=MAX_LISTED_FILES).map(|i| format!("f/{i}")).collect();
        let files: Vec<(&str, &[u8], u32)> = names
            .iter()
            .map(|name| (name.as_str(), &b""[..], 0o644))
            .collect();
        let facts = inspect(Cursor::new(tar_of(&files))).unwrap();
        assert_eq!(facts.files.len(), MAX_LISTED_FILES);
        assert!(facts.files_truncated);
        assert_eq!(facts.has_file("f/0"), Some(true));
        assert_eq!(facts.has_file("nope"), None);
    }
}
