//! The state file: reading it back at start, and the [`Journal`] that
//! appends each change to it, durably and in groups, and compacts it.
//!
//! See the [module above](super) for the file's layout.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::changes::{Change, ReplayError};
use super::{Notices, Stored};
use crate::localcloud::error::LocalCloudError;

/// The version of the state file's layout this version writes.
pub const STATE_FORMAT: u32 = 2;

/// The journal is compacted into a new snapshot once the changes after the
/// snapshot take more than this many bytes and more than the snapshot.
pub const COMPACT_AFTER: u64 = 8 * 1024 * 1024;

/// When a change counts as kept, and so when the request that made it is
/// answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Once it is written and synced to the disk (`sync_data`): it
    /// survives the process being killed and the machine losing power.
    /// Each group of changes waits for one sync.
    Synced,
    /// Once it is written to the state file: it survives the process
    /// being killed at any moment. The sync to the disk follows at once on
    /// a thread of its own, so a power cut can lose the last few
    /// milliseconds of changes. The default: a killed or crashed process
    /// loses nothing it answered, at close to the in-memory rate.
    #[default]
    Written,
}

/// The snapshot line as read.
#[derive(Deserialize)]
struct SnapshotLine<W> {
    /// The layout's version.
    format: u32,
    /// The number of the last change the snapshot holds (0 in format 1).
    #[serde(default)]
    sequence: u64,
    /// The world.
    world: W,
}

/// The snapshot line as written.
#[derive(Serialize)]
struct SnapshotLineRef<'a, W> {
    /// The layout's version.
    format: u32,
    /// The number of the last change the snapshot holds.
    sequence: u64,
    /// The world.
    world: &'a W,
}

/// One line of the journal after the snapshot, as read.
#[derive(Deserialize)]
struct Entry<W> {
    /// The change's number.
    seq: u64,
    /// The records and scalars it changed.
    #[serde(default)]
    changes: Vec<Change>,
    /// The whole new world, for a reset.
    #[serde(default = "Option::default")]
    world: Option<W>,
}

/// Encodes `world` as the snapshot line of change `sequence`.
fn snapshot_line<W: Serialize>(world: &W, sequence: u64) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(&SnapshotLineRef {
        format: STATE_FORMAT,
        sequence,
        world,
    })?;
    line.push(b'\n');
    Ok(line)
}

/// The CRC32 of a journal line's JSON.
fn crc32(bytes: &[u8]) -> u32 {
    // CRC-32 (ISO-HDLC) fits in 32 bits; the library returns it in a u64.
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, bytes) as u32
}

/// Appends the journal line of change `seq` to `buffer`: the CRC, a
/// space, and the JSON that `body` writes after `{"seq":N,`.
fn push_line(buffer: &mut Vec<u8>, seq: u64, body: impl FnOnce(&mut Vec<u8>)) {
    let start = buffer.len();
    buffer.extend_from_slice(b"00000000 ");
    let json = buffer.len();
    buffer.extend_from_slice(format!("{{\"seq\":{seq},").as_bytes());
    body(buffer);
    buffer.push(b'}');
    let crc = format!("{:08x}", crc32(&buffer[json..]));
    buffer[start..start + 8].copy_from_slice(crc.as_bytes());
    buffer.push(b'\n');
}

/// Reads one journal line: checks its CRC and that it is change `expected`.
fn read_line<W: DeserializeOwned>(line: &[u8], expected: u64) -> Result<Entry<W>, String> {
    let (Some(crc), Some(b' '), Some(json)) = (line.get(..8), line.get(8), line.get(9..)) else {
        return Err("the line is too short".to_owned());
    };
    let crc = std::str::from_utf8(crc)
        .ok()
        .and_then(|crc| u32::from_str_radix(crc, 16).ok())
        .ok_or_else(|| "the line does not start with its CRC".to_owned())?;
    if crc != crc32(json) {
        return Err("its CRC does not match".to_owned());
    }
    let entry: Entry<W> = serde_json::from_slice(json).map_err(|error| error.to_string())?;
    if entry.seq != expected {
        return Err(format!(
            "it is change {} where change {expected} was expected",
            entry.seq
        ));
    }
    Ok(entry)
}

/// How the file read back ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ending {
    /// Every line was read.
    Whole,
    /// The last line was cut short or failed its check and was dropped:
    /// it was never acknowledged.
    TornTail,
    /// A line before the last could not be read.
    Damaged {
        /// The line's number, from 1 for the snapshot.
        line: usize,
        /// What was wrong.
        problem: String,
    },
}

/// A state file's bytes, read back.
struct Parsed<W> {
    /// The world as of the last change read.
    world: W,
    /// The last change read.
    sequence: u64,
    /// The bytes up to the end of the last good line.
    valid_len: usize,
    /// The bytes of the snapshot line.
    snapshot_len: usize,
    /// How the reading ended.
    ending: Ending,
    /// Whether the file must be written afresh to be appended to (an
    /// older format, or a snapshot without its line end).
    rewrite: bool,
}

/// Reads a state file's bytes: the snapshot, then every change after it.
/// An unreadable snapshot is the error.
fn parse<W: Stored>(bytes: &[u8]) -> Result<Parsed<W>, String> {
    let first_end = bytes.iter().position(|byte| *byte == b'\n');
    let snapshot = &bytes[..first_end.unwrap_or(bytes.len())];
    let line: SnapshotLine<W> =
        serde_json::from_slice(snapshot).map_err(|error| error.to_string())?;
    if line.format != 1 && line.format != STATE_FORMAT {
        return Err(format!(
            "it has format {} and this version of DeployDesk reads formats 1 and {STATE_FORMAT}",
            line.format
        ));
    }
    let mut parsed = Parsed {
        world: line.world,
        sequence: line.sequence,
        valid_len: bytes.len(),
        snapshot_len: bytes.len(),
        ending: Ending::Whole,
        rewrite: line.format != STATE_FORMAT || first_end.is_none(),
    };
    let Some(first_end) = first_end else {
        return Ok(parsed);
    };
    let mut position = first_end + 1;
    parsed.snapshot_len = position;
    let mut line_number = 1;
    while position < bytes.len() {
        line_number += 1;
        let Some(length) = bytes[position..].iter().position(|byte| *byte == b'\n') else {
            parsed.ending = Ending::TornTail;
            break;
        };
        let next = position + length + 1;
        let read = read_line::<W>(&bytes[position..next - 1], parsed.sequence + 1)
            .and_then(|entry| apply(&mut parsed.world, entry).map_err(|error| error.0));
        if let Err(problem) = read {
            parsed.ending = if next == bytes.len() {
                Ending::TornTail
            } else {
                Ending::Damaged {
                    line: line_number,
                    problem,
                }
            };
            break;
        }
        parsed.sequence += 1;
        position = next;
    }
    parsed.valid_len = position;
    Ok(parsed)
}

/// Applies one change read back to `world`.
fn apply<W: Stored>(world: &mut W, entry: Entry<W>) -> Result<(), ReplayError> {
    if let Some(new_world) = entry.world {
        *world = new_world;
    }
    for change in &entry.changes {
        world.apply(change)?;
    }
    Ok(())
}

/// How the journal goes on from the file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// Appending after the good lines (the rest is cut off).
    Append {
        /// The bytes of the good lines.
        valid_len: u64,
        /// The bytes of the snapshot line.
        snapshot_len: u64,
    },
    /// Writing a new file with the world as its snapshot.
    Rewrite,
}

/// A state file read back at start.
#[derive(Debug)]
pub struct Loaded<W> {
    /// The world as of the last change on disk.
    pub world: W,
    /// The number of that change.
    pub sequence: u64,
    /// What the person running the local cloud should know, e.g. that the
    /// file was damaged and moved aside.
    pub notice: Option<String>,
    /// How the journal goes on.
    start: Start,
}

/// Reads the world from the state file `path`: its snapshot and every
/// change after it. A missing file gives an empty world. A last line cut
/// short is dropped. A file whose snapshot cannot be read is moved aside
/// to `<file>.damaged-<unix time>` and an empty world is returned with a
/// notice saying so; damage after the snapshot moves the file aside too,
/// keeping the changes read before it.
pub fn load<W: Stored>(path: &Path) -> Result<Loaded<W>, LocalCloudError> {
    let empty = || Loaded {
        world: W::default(),
        sequence: 0,
        notice: None,
        start: Start::Rewrite,
    };
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(empty()),
        Err(source) => {
            return Err(LocalCloudError::ReadState {
                path: path.to_owned(),
                source,
            });
        }
    };
    let parsed = match parse::<W>(&bytes) {
        Ok(parsed) => parsed,
        Err(problem) => {
            let aside = move_aside(path)?;
            return Ok(Loaded {
                notice: Some(format!(
                    "The saved state in {} was damaged ({problem}) and was moved to {}; starting empty.",
                    path.display(),
                    aside.display()
                )),
                ..empty()
            });
        }
    };
    let mut notice = None;
    let start = match &parsed.ending {
        Ending::Damaged { line, problem } => {
            let aside = move_aside(path)?;
            notice = Some(format!(
                "The saved state in {} was damaged at line {line} ({problem}) and was moved to {}; starting from the state before that line.",
                path.display(),
                aside.display()
            ));
            Start::Rewrite
        }
        _ if parsed.rewrite => Start::Rewrite,
        ending => {
            if *ending == Ending::TornTail {
                tracing::info!(
                    "dropped an unfinished change at the end of {} ({} bytes); it was never acknowledged",
                    path.display(),
                    bytes.len() - parsed.valid_len
                );
            }
            Start::Append {
                valid_len: parsed.valid_len as u64,
                snapshot_len: parsed.snapshot_len as u64,
            }
        }
    };
    Ok(Loaded {
        world: parsed.world,
        sequence: parsed.sequence,
        notice,
        start,
    })
}

/// Moves the damaged file `path` aside; returns where it went.
fn move_aside(path: &Path) -> Result<PathBuf, LocalCloudError> {
    let aside = damaged_path(path);
    fs::rename(path, &aside).map_err(|source| LocalCloudError::MoveAside {
        path: path.to_owned(),
        source,
    })?;
    Ok(aside)
}

/// A free name beside `path` for a damaged state file.
fn damaged_path(path: &Path) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let base = format!("{}.damaged-{seconds}", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut counter = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{counter}"));
        counter += 1;
    }
    candidate
}

/// `path` with `suffix` added to its name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes a rename or a new file in `path`'s directory durable.
fn sync_directory(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(directory) = path.parent() {
        let directory = if directory.as_os_str().is_empty() {
            Path::new(".")
        } else {
            directory
        };
        File::open(directory)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path` atomically and durably, creating its directory
/// if needed: into a temporary file beside it, synced, then renamed over
/// it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(directory) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(directory)?;
    }
    let temporary = beside(path, ".saving");
    {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)?;
    sync_directory(path)
}

/// Where a state file stands when the journal opens it.
#[derive(Debug, Clone, Copy)]
struct Position {
    /// The number of the last change in it.
    sequence: u64,
    /// Its bytes, all whole lines.
    file_len: u64,
    /// The bytes of its snapshot line.
    snapshot_len: u64,
}

/// The journal's side of the state file: takes changes, has a thread write
/// them, and says up to which change everything is on disk.
#[derive(Debug)]
pub struct Journal {
    /// What the journal shares with its writer thread.
    link: Arc<Link>,
    /// The writer thread, until closed.
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the journal shares with its writer and compactor threads.
#[derive(Debug)]
struct Link {
    /// Lines waiting to be written.
    pending: Mutex<Pending>,
    /// Wakes the writer.
    wake: Condvar,
    /// The number of the last change kept (as [`Durability`] says).
    durable: watch::Sender<u64>,
    /// Wakes the syncer, with [`Durability::Written`].
    sync_wake: Condvar,
    /// Where disk problems are reported.
    notices: Notices,
}

/// Lines waiting to be written, and news for the writer.
#[derive(Debug, Default)]
struct Pending {
    /// The lines, whole.
    buffer: Vec<u8>,
    /// The number of the last change in `buffer` (or written).
    last: u64,
    /// Whether to write what is left and stop.
    closing: bool,
    /// A compaction that finished: the new file, or why there is none.
    compacted: Option<Result<Compacted, String>>,
    /// The state file with writes not yet synced, for the syncer.
    unsynced: Option<File>,
}

/// A new state file made by the compactor: a snapshot of the file's first
/// `through` bytes.
#[derive(Debug)]
struct Compacted {
    /// The new file, beside the state file.
    path: PathBuf,
    /// The bytes of the old file the snapshot holds.
    through: u64,
    /// The bytes of the snapshot line.
    snapshot_len: u64,
}

/// Takes a lock, recovering the data if a thread panicked while holding it:
/// the pending lines are only ever extended or taken whole.
fn lock(mutex: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Journal {
    /// Opens the journal on the state file `path` that `loaded` was read
    /// from, writing a fresh file if it needs one, and starts its writer.
    /// A change is kept as `durability` says. The journal is compacted
    /// once its changes pass `compact_after` bytes and the snapshot's
    /// size.
    pub fn open<W: Stored>(
        path: &Path,
        loaded: &Loaded<W>,
        notices: Notices,
        durability: Durability,
        compact_after: u64,
    ) -> Result<Journal, LocalCloudError> {
        let failed = |source: io::Error| LocalCloudError::WriteState {
            path: path.to_owned(),
            source,
        };
        // A compaction that was under way when the cloud stopped.
        let _ = fs::remove_file(beside(path, ".compacting"));
        let (file, file_len, snapshot_len) = match loaded.start {
            Start::Rewrite => {
                let line = snapshot_line(&loaded.world, loaded.sequence)
                    .map_err(LocalCloudError::Encode)?;
                write_atomically(path, &line).map_err(failed)?;
                let file = OpenOptions::new().append(true).open(path).map_err(failed)?;
                (file, line.len() as u64, line.len() as u64)
            }
            Start::Append {
                valid_len,
                snapshot_len,
            } => {
                let file = OpenOptions::new().append(true).open(path).map_err(failed)?;
                if file.metadata().map_err(failed)?.len() > valid_len {
                    file.set_len(valid_len).map_err(failed)?;
                    file.sync_all().map_err(failed)?;
                }
                (file, valid_len, snapshot_len)
            }
        };
        let position = Position {
            sequence: loaded.sequence,
            file_len,
            snapshot_len,
        };
        let settings = Settings {
            durability,
            compact_after,
            compact: compact::<W>,
        };
        Self::start(path, file, position, notices, settings).map_err(failed)
    }

    /// Starts the writer on `file`, the state file `path` open for
    /// appending, which is at `position`.
    fn start(
        path: &Path,
        file: File,
        position: Position,
        notices: Notices,
        settings: Settings,
    ) -> io::Result<Journal> {
        let (durable, _) = watch::channel(position.sequence);
        let link = Arc::new(Link {
            pending: Mutex::new(Pending {
                last: position.sequence,
                ..Pending::default()
            }),
            wake: Condvar::new(),
            durable,
            sync_wake: Condvar::new(),
            notices,
        });
        if settings.durability == Durability::Written {
            let link = Arc::clone(&link);
            std::thread::Builder::new()
                .name("state-syncer".to_owned())
                .spawn(move || sync_forever(&link))?;
        }
        let writer = Writer {
            link: Arc::clone(&link),
            path: path.to_owned(),
            file,
            file_len: position.file_len,
            snapshot_len: position.snapshot_len,
            settings,
            compacting: false,
            failing: false,
            retry: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name("state-journal".to_owned())
            .spawn(move || writer.run())?;
        Ok(Journal {
            link,
            thread: Some(thread),
        })
    }

    /// Queues the changes `changes` (the inside of a JSON array, as
    /// [`Changes::take`](super::Changes::take) gives them) as the next
    /// change. Returns its number.
    pub fn append_changes(&self, changes: &[u8]) -> u64 {
        self.append(|buffer| {
            buffer.extend_from_slice(b"\"changes\":[");
            buffer.extend_from_slice(changes);
            buffer.push(b']');
        })
    }

    /// Queues the whole new `world` as the next change, as a reset does.
    /// Returns its number.
    pub fn append_world<W: Serialize>(&self, world: &W) -> Result<u64, LocalCloudError> {
        let encoded = serde_json::to_vec(world).map_err(LocalCloudError::Encode)?;
        Ok(self.append(|buffer| {
            buffer.extend_from_slice(b"\"world\":");
            buffer.extend_from_slice(&encoded);
        }))
    }

    /// Queues one line written by `body` and wakes the writer.
    fn append(&self, body: impl FnOnce(&mut Vec<u8>)) -> u64 {
        let mut pending = lock(&self.link.pending);
        pending.last += 1;
        let seq = pending.last;
        push_line(&mut pending.buffer, seq, body);
        drop(pending);
        self.link.wake.notify_one();
        seq
    }

    /// Follows the number of the last change on disk.
    pub fn durable(&self) -> watch::Receiver<u64> {
        self.link.durable.subscribe()
    }

    /// Writes what is queued, then stops the writer.
    pub async fn close(mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                tracing::warn!("the state journal stopped abnormally");
            }
        }
    }

    /// Tells the writer to write what is queued and stop.
    fn stop(&self) {
        lock(&self.link.pending).closing = true;
        self.link.wake.notify_one();
        self.link.sync_wake.notify_one();
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // The writer finishes what is queued on its own.
        self.stop();
    }
}

/// How the writer works.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// When a change counts as kept.
    durability: Durability,
    /// The least size of the changes that makes a compaction.
    compact_after: u64,
    /// Makes a snapshot of the state file's first bytes.
    compact: fn(&Path, u64) -> Result<Compacted, String>,
}

/// Syncs the state file whenever the writer has written to it, until the
/// journal closes (with [`Durability::Written`]).
fn sync_forever(link: &Link) {
    let mut failing = false;
    loop {
        let file = {
            let mut pending = lock(&link.pending);
            while pending.unsynced.is_none() && !pending.closing {
                pending = link
                    .sync_wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            match pending.unsynced.take() {
                Some(file) => file,
                None => return,
            }
        };
        match file.sync_data() {
            Ok(()) => failing = false,
            Err(error) if !failing => {
                failing = true;
                let message = format!(
                    "Could not sync the local cloud's state to the disk ({error}); changes are written but a power cut could lose them."
                );
                tracing::warn!("{message}");
                link.notices.push(message);
            }
            Err(_) => {}
        }
    }
}

/// The writer thread's state.
struct Writer {
    /// What it shares with the journal.
    link: Arc<Link>,
    /// The state file.
    path: PathBuf,
    /// The state file, open for appending.
    file: File,
    /// The bytes written to it, all whole lines.
    file_len: u64,
    /// The bytes of its snapshot line.
    snapshot_len: u64,
    /// When changes count as kept, and when to compact.
    settings: Settings,
    /// Whether a compaction is under way.
    compacting: bool,
    /// Whether the last write failed (so the failure is reported once).
    failing: bool,
    /// Lines whose write failed, written again before the next ones.
    retry: Vec<u8>,
}

impl Writer {
    /// Writes lines as they come, until told to close.
    fn run(mut self) {
        loop {
            let (mut batch, last, closing, compacted) = {
                let mut pending = lock(&self.link.pending);
                while pending.buffer.is_empty() && !pending.closing && pending.compacted.is_none() {
                    pending = self
                        .link
                        .wake
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                (
                    std::mem::take(&mut pending.buffer),
                    pending.last,
                    pending.closing,
                    pending.compacted.take(),
                )
            };
            if let Some(compacted) = compacted {
                self.compacting = false;
                match compacted.and_then(|compacted| self.switch(&compacted)) {
                    Ok(()) => {}
                    Err(problem) => tracing::warn!(
                        "could not compact the saved state {} ({problem}); it keeps growing until the next try",
                        self.path.display()
                    ),
                }
            }
            if !self.retry.is_empty() {
                let mut retried = std::mem::take(&mut self.retry);
                retried.extend_from_slice(&batch);
                batch = retried;
            }
            if !batch.is_empty() {
                self.write(batch);
                // Every change up to `last` is on disk, or kept to be
                // written again with a notice saying so: the requests
                // waiting for them are answered either way.
                self.link.durable.send_replace(last);
                self.maybe_compact();
            }
            if closing {
                if let Err(error) = self.file.sync_data() {
                    tracing::warn!("could not sync the state file on closing: {error}");
                }
                return;
            }
        }
    }

    /// Writes `batch` and waits for the disk; on failure, reports it once,
    /// cuts off what was written of it and keeps it for the next write.
    fn write(&mut self, batch: Vec<u8>) {
        let synced = self.settings.durability == Durability::Synced;
        let written = self.file.write_all(&batch).and_then(|()| {
            if synced {
                self.file.sync_data()
            } else {
                self.hand_to_syncer()
            }
        });
        match written {
            Ok(()) => {
                self.file_len += batch.len() as u64;
                self.failing = false;
            }
            Err(error) => {
                if !self.failing {
                    self.failing = true;
                    let message = format!(
                        "Could not save the local cloud's state to {} ({error}); changes are kept in memory and saving is tried again on the next change.",
                        self.path.display()
                    );
                    tracing::warn!("{message}");
                    self.link.notices.push(message);
                }
                if let Err(error) = self.file.set_len(self.file_len) {
                    tracing::warn!("could not cut off a failed write: {error}");
                }
                self.retry = batch;
            }
        }
    }

    /// Lets the syncer sync what was just written.
    fn hand_to_syncer(&self) -> io::Result<()> {
        let file = self.file.try_clone()?;
        lock(&self.link.pending).unsynced = Some(file);
        self.link.sync_wake.notify_one();
        Ok(())
    }

    /// Starts a compaction when the changes after the snapshot have grown
    /// past the limit and the snapshot.
    fn maybe_compact(&mut self) {
        let changes = self.file_len - self.snapshot_len;
        let limit = self.settings.compact_after.max(self.snapshot_len);
        if self.compacting || self.failing || changes <= limit {
            return;
        }
        self.compacting = true;
        let (path, through, compact) = (self.path.clone(), self.file_len, self.settings.compact);
        let link = Arc::clone(&self.link);
        let spawned = std::thread::Builder::new()
            .name("state-compactor".to_owned())
            .spawn(move || {
                let compacted = compact(&path, through);
                lock(&link.pending).compacted = Some(compacted);
                link.wake.notify_one();
            });
        if let Err(error) = spawned {
            tracing::warn!("could not start compacting the saved state: {error}");
            self.compacting = false;
        }
    }

    /// Puts the compacted file in place of the state file, with the lines
    /// written since the compaction started copied after its snapshot.
    fn switch(&mut self, compacted: &Compacted) -> Result<(), String> {
        let switched = (|| -> io::Result<File> {
            let mut tail = Vec::new();
            let mut old = File::open(&self.path)?;
            old.seek(SeekFrom::Start(compacted.through))?;
            old.read_to_end(&mut tail)?;
            let mut file = OpenOptions::new().append(true).open(&compacted.path)?;
            file.write_all(&tail)?;
            file.sync_data()?;
            fs::rename(&compacted.path, &self.path)?;
            sync_directory(&self.path)?;
            Ok(file)
        })();
        match switched {
            Ok(file) => {
                let tail = self.file_len - compacted.through;
                self.file = file;
                self.file_len = compacted.snapshot_len + tail;
                self.snapshot_len = compacted.snapshot_len;
                Ok(())
            }
            Err(error) => {
                let _ = fs::remove_file(&compacted.path);
                Err(error.to_string())
            }
        }
    }
}

/// Makes a new state file beside `path` whose snapshot holds the world as
/// of the first `through` bytes of `path`, which are whole lines.
fn compact<W: Stored>(path: &Path, through: u64) -> Result<Compacted, String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|file| file.take(through).read_to_end(&mut bytes))
        .map_err(|error| error.to_string())?;
    let parsed = parse::<W>(&bytes)?;
    if parsed.ending != Ending::Whole || parsed.valid_len as u64 != through {
        return Err(format!(
            "the journal could not be read back ({:?})",
            parsed.ending
        ));
    }
    let line = snapshot_line(&parsed.world, parsed.sequence).map_err(|error| error.to_string())?;
    let target = beside(path, ".compacting");
    let written = File::create(&target).and_then(|mut file| {
        file.write_all(&line)?;
        file.sync_data()
    });
    if let Err(error) = written {
        let _ = fs::remove_file(&target);
        return Err(error.to_string());
    }
    Ok(Compacted {
        path: target,
        through,
        snapshot_len: line.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Changes, Table};
    use super::*;

    /// A small world for the journal's tests.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Small {
        /// Records.
        items: Table<String, u32>,
        /// A scalar.
        counter: u64,
    }

    impl Stored for Small {
        fn take_changes(&mut self, changes: &mut Changes) {
            self.items.take_changes("small.items", changes);
            changes.scalars("small.counter", &self.counter);
        }

        fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
            match change.table.as_str() {
                "small.items" => self.items.apply(change),
                "small.counter" => {
                    self.counter = change.scalars()?;
                    Ok(())
                }
                _ => Err(change.unknown()),
            }
        }
    }

    /// A world and its journal, changed as the shared world changes it.
    struct Open {
        world: Small,
        changes: Changes,
        journal: Journal,
    }

    impl Open {
        /// Loads `path` and opens its journal, compacting after
        /// `compact_after` bytes.
        fn at(path: &Path, compact_after: u64) -> (Open, Option<String>) {
            Self::kept(path, compact_after, Durability::Synced)
        }

        /// Loads `path` and opens its journal, keeping changes as
        /// `durability` says.
        fn kept(path: &Path, compact_after: u64, durability: Durability) -> (Open, Option<String>) {
            let loaded = load::<Small>(path).unwrap();
            let journal =
                Journal::open(path, &loaded, Notices::default(), durability, compact_after)
                    .unwrap();
            let open = Open {
                world: loaded.world,
                changes: Changes::recording(),
                journal,
            };
            (open, loaded.notice)
        }

        /// Runs `change` and journals what it changed; returns its number.
        fn write(&mut self, change: impl FnOnce(&mut Small)) -> u64 {
            change(&mut self.world);
            self.world.take_changes(&mut self.changes);
            self.journal.append_changes(&self.changes.take())
        }

        /// Waits until change `sequence` is on disk.
        async fn durable(&self, sequence: u64) {
            let mut durable = self.journal.durable();
            durable.wait_for(|done| *done >= sequence).await.unwrap();
        }
    }

    /// The state file's lines.
    fn lines(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A world with `items` and `counter`.
    fn small(items: &[(&str, u32)], counter: u64) -> Small {
        Small {
            items: items
                .iter()
                .map(|(key, value)| ((*key).to_owned(), *value))
                .collect(),
            counter,
        }
    }

    #[tokio::test]
    async fn changes_replay_in_order_with_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, notice) = Open::at(&path, COMPACT_AFTER);
        assert_eq!(notice, None);
        open.write(|world| {
            world.items.insert("a".into(), 1);
            world.items.insert("b".into(), 2);
        });
        open.write(|world| world.counter = 7);
        open.write(|world| {
            world.items.remove("a");
            *world.items.get_mut("b").unwrap() = 3;
        });
        let last = open.write(|world| {
            world.items.insert("a".into(), 4);
        });
        assert_eq!(last, 4);
        open.durable(last).await;
        // On disk before the journal is closed: what a crash leaves.
        let loaded = load::<Small>(&path).unwrap();
        assert_eq!(loaded.world, small(&[("a", 4), ("b", 3)], 7));
        assert_eq!(loaded.sequence, 4);
        assert_eq!(lines(&path).len(), 5, "a snapshot and four changes");
        open.journal.close().await;
    }

    #[tokio::test]
    async fn written_changes_are_in_the_file_when_they_count_as_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, _) = Open::kept(&path, COMPACT_AFTER, Durability::Written);
        let mut last = 0;
        for value in 0..50 {
            last = open.write(|world| {
                world.items.insert(format!("item {value}"), value);
            });
        }
        open.durable(last).await;
        // Read while the journal is still open, as after a kill.
        let loaded = load::<Small>(&path).unwrap();
        assert_eq!(loaded.sequence, last);
        assert_eq!(loaded.world, open.world);
        open.journal.close().await;
    }

    #[tokio::test]
    async fn a_torn_last_line_is_dropped_and_the_journal_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, _) = Open::at(&path, COMPACT_AFTER);
        open.write(|world| {
            world.items.insert("kept".into(), 1);
        });
        let last = open.write(|world| {
            world.items.insert("also kept".into(), 2);
        });
        open.durable(last).await;
        open.journal.close().await;
        let whole = fs::read(&path).unwrap();
        // A crash in the middle of writing change 3.
        let mut torn = whole.clone();
        torn.extend_from_slice(b"1234abcd {\"seq\":3,\"changes\":[{\"t\":\"small.it");
        fs::write(&path, &torn).unwrap();
        let (mut open, notice) = Open::at(&path, COMPACT_AFTER);
        assert_eq!(notice, None, "a torn tail is not damage");
        assert_eq!(open.world, small(&[("also kept", 2), ("kept", 1)], 0));
        assert_eq!(fs::read(&path).unwrap(), whole, "the torn tail is cut off");
        let next = open.write(|world| {
            world.items.insert("after".into(), 3);
        });
        assert_eq!(next, 3);
        open.durable(next).await;
        open.journal.close().await;
        let loaded = load::<Small>(&path).unwrap();
        assert_eq!(loaded.world.items.get("after"), Some(&3));
        assert_eq!(loaded.sequence, 3);
    }

    #[tokio::test]
    async fn a_last_line_failing_its_crc_is_dropped_and_damage_before_it_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, _) = Open::at(&path, COMPACT_AFTER);
        for value in 1..=3 {
            open.write(|world| {
                world.items.insert(format!("item {value}"), value);
            });
        }
        open.durable(3).await;
        open.journal.close().await;
        let good = lines(&path);
        // One changed digit in the last line: its CRC fails.
        let mut tampered = good.clone();
        tampered[3] = tampered[3].replace("item 3", "item 8");
        fs::write(&path, tampered.join("\n") + "\n").unwrap();
        let loaded = load::<Small>(&path).unwrap();
        assert_eq!(loaded.notice, None);
        assert_eq!(loaded.sequence, 2);
        assert_eq!(loaded.world, small(&[("item 1", 1), ("item 2", 2)], 0));

        // The same damage in the line before the last is not a torn tail.
        let mut tampered = good.clone();
        tampered[2] = tampered[2].replace("item 2", "item 9");
        fs::write(&path, tampered.join("\n") + "\n").unwrap();
        let (open, notice) = Open::at(&path, COMPACT_AFTER);
        let notice = notice.expect("damage is reported");
        assert!(notice.contains("damaged at line 3"), "{notice}");
        assert!(notice.contains("CRC"), "{notice}");
        assert_eq!(open.world, small(&[("item 1", 1)], 0));
        let aside: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("state.json.damaged-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert!(notice.contains(&aside[0]), "{notice}");
        // The file is written afresh from what was read.
        open.journal.close().await;
        assert_eq!(
            load::<Small>(&path).unwrap().world,
            small(&[("item 1", 1)], 0)
        );
    }

    #[tokio::test]
    async fn a_gap_in_the_numbers_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, _) = Open::at(&path, COMPACT_AFTER);
        for value in 1..=3 {
            open.write(|world| world.counter = value);
        }
        open.durable(3).await;
        open.journal.close().await;
        let mut skipped = lines(&path);
        skipped.remove(1);
        fs::write(&path, skipped.join("\n") + "\n").unwrap();
        let loaded = load::<Small>(&path).unwrap();
        let notice = loaded.notice.unwrap();
        assert!(
            notice.contains("change 2 where change 1 was expected"),
            "{notice}"
        );
    }

    #[tokio::test]
    async fn the_journal_is_compacted_into_a_snapshot_and_changes_after_it_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, _) = Open::at(&path, 2_000);
        let mut last = 0;
        for value in 0..400_u32 {
            last = open.write(|world| {
                world.items.insert(format!("item {}", value % 50), value);
                if value % 3 == 0 {
                    world.items.remove(&format!("item {}", (value + 7) % 50));
                }
                world.counter = u64::from(value);
            });
            if value % 20 == 0 {
                open.durable(last).await;
            }
        }
        open.durable(last).await;
        // The compaction runs on its own thread; wait for a snapshot past
        // the start.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let snapshot_sequence = loop {
            let first: serde_json::Value = serde_json::from_str(&lines(&path)[0]).unwrap();
            let sequence = first["sequence"].as_u64().unwrap();
            if sequence > 0 || std::time::Instant::now() > deadline {
                break sequence;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert!(snapshot_sequence > 0, "the journal was never compacted");
        // Compaction runs beside the writes, so on a busy machine it may lag
        // behind them; more changes give it the chance to catch up, and the
        // file must then come back to a small size.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut extra;
        let mut round = 0_u32;
        loop {
            extra = open.write(|world| {
                world.items.insert("after compaction".into(), round);
            });
            open.durable(extra).await;
            round += 1;
            if fs::metadata(&path).unwrap().len() < 30_000 || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let expected = open.world.clone();
        open.journal.close().await;
        let loaded = load::<Small>(&path).unwrap();
        assert_eq!(loaded.world, expected);
        assert_eq!(loaded.sequence, extra);
        assert!(
            fs::metadata(&path).unwrap().len() < 30_000,
            "the file stays small"
        );
    }

    #[tokio::test]
    async fn a_reset_replaces_the_whole_world() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut open, _) = Open::at(&path, COMPACT_AFTER);
        open.write(|world| {
            world.items.insert("old".into(), 1);
            world.counter = 3;
        });
        let fresh = small(&[("new", 2)], 0);
        let reset = open.journal.append_world(&fresh).unwrap();
        open.durable(reset).await;
        open.journal.close().await;
        assert_eq!(load::<Small>(&path).unwrap().world, fresh);
    }

    #[tokio::test]
    async fn a_state_file_of_format_1_is_read_and_written_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(
            &path,
            r#"{"format":1,"world":{"items":{"a":1},"counter":5}}"#,
        )
        .unwrap();
        let (mut open, notice) = Open::at(&path, COMPACT_AFTER);
        assert_eq!(notice, None);
        assert_eq!(open.world, small(&[("a", 1)], 5));
        let last = open.write(|world| {
            world.items.insert("b".into(), 2);
        });
        open.durable(last).await;
        open.journal.close().await;
        assert!(lines(&path)[0].starts_with(r#"{"format":2,"sequence":0,"#));
        assert_eq!(
            load::<Small>(&path).unwrap().world,
            small(&[("a", 1), ("b", 2)], 5)
        );
    }

    #[test]
    fn a_missing_file_is_an_empty_world_and_a_newer_format_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let loaded = load::<Small>(&path).unwrap();
        assert_eq!(
            (loaded.world, loaded.sequence, loaded.notice),
            (Small::default(), 0, None)
        );
        fs::write(&path, r#"{"format":99,"world":{}}"#).unwrap();
        let notice = load::<Small>(&path).unwrap().notice.unwrap();
        assert!(notice.contains("format 99"), "{notice}");
        assert!(notice.contains("starting empty"), "{notice}");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_failing_disk_gives_one_notice_and_the_waiters_are_let_go() {
        // Every write to /dev/full fails as on a full disk.
        let file = OpenOptions::new().append(true).open("/dev/full").unwrap();
        let notices = Notices::default();
        let journal = Journal::start(
            Path::new("/dev/full"),
            file,
            Position {
                sequence: 0,
                file_len: 0,
                snapshot_len: 0,
            },
            notices.clone(),
            Settings {
                durability: Durability::Synced,
                compact_after: COMPACT_AFTER,
                compact: compact::<Small>,
            },
        )
        .unwrap();
        let mut durable = journal.durable();
        for _ in 0..3 {
            let sequence = journal.append_changes(b"");
            durable.wait_for(|done| *done >= sequence).await.unwrap();
        }
        journal.close().await;
        let all = notices.all();
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(all[0].contains("Could not save"), "{all:?}");
    }
}
