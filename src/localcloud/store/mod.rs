//! Keeping the world on disk so that nothing acknowledged is lost.
//!
//! The state file is a journal that starts with a snapshot:
//!
//! - its first line is the snapshot, `{"format": 2, "sequence": N,
//!   "world": {...}}`: the whole world after the change numbered `N`;
//! - every further line is one change of the world, numbered `N+1`,
//!   `N+2`, ...: `CRC32 {"seq": n, "changes": [...]}`, where each change is
//!   one record of a [`Table`] (its new value, or its deletion) or a group
//!   of scalars, and the CRC32 (eight hexadecimal digits) covers the JSON
//!   after it. A reset writes `{"seq": n, "world": {...}}` instead.
//!
//! After a successful write, the world's changed records are encoded while
//! the world is still locked and appended to a batch in memory; the
//! journal's writer thread writes the batch, waits for the disk
//! (`sync_data`) and then lets every request answered by then go (group
//! commit). A request is answered only once its change is on disk.
//!
//! When the journal has grown past the snapshot, a compactor thread reads
//! the file up to a point, replays it into a world of its own and writes a
//! new snapshot; the writer then copies the lines written meanwhile after
//! it and renames it over the state file. The world's lock is never held
//! for any of this.
//!
//! At start the snapshot is read and the changes after it replayed. A last
//! line that is cut short or fails its CRC was never acknowledged and is
//! dropped; damage anywhere else moves the file aside with a notice, and
//! the cloud starts from what was read before the damage. A state file of
//! format 1 (a snapshot only) is read as a snapshot of change 0.

pub mod changes;
pub mod journal;
pub mod table;

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use changes::{Change, Changes, ReplayError};
pub use journal::{Journal, Loaded, load};
pub use table::Table;

/// What the store keeps: a value (the world) that can say what changed in
/// it and apply changes read back.
pub trait Stored: Default + Serialize + DeserializeOwned + Send + 'static {
    /// Notes in `changes` every record and group of scalars changed since
    /// the last call.
    fn take_changes(&mut self, changes: &mut Changes);

    /// Applies `change`, read back from the journal.
    fn apply(&mut self, change: &Change) -> Result<(), ReplayError>;
}

/// Messages for the person running the local cloud, such as a damaged state
/// file that was moved aside. Shared between the journal and the cloud.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    messages: Arc<Mutex<Vec<String>>>,
}

impl Notices {
    /// Adds a notice.
    pub fn push(&self, message: String) {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    /// Adds a notice unless the same one is already there, so that a problem
    /// that repeats on every request is reported once.
    pub fn push_once(&self, message: String) {
        let mut messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        if !messages.contains(&message) {
            messages.push(message);
        }
    }

    /// Every notice so far, oldest first.
    pub fn all(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
