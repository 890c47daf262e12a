//! The changes of one write, as the journal keeps them: each changed
//! record (its table, its key, its new value or its deletion) and each
//! group of scalars (counters and the like) whose value changed.
//!
//! A change is a JSON object `{"t": table, "k": key, "v": value}`; a
//! deletion has `"v": null` and a group of scalars has no key.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a change read back from the journal could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReplayError(pub String);

/// The changes of the write in progress, encoded as they are noted.
#[derive(Debug, Default)]
pub struct Changes {
    /// Whether changes are kept; without a journal they are only cleared.
    recording: bool,
    /// The changes noted so far, as JSON objects separated by commas.
    encoded: Vec<u8>,
    /// How many changes `encoded` holds.
    count: usize,
    /// The last value written of each group of scalars, by name.
    scalars: HashMap<String, Vec<u8>>,
}

impl Changes {
    /// Changes that are kept, for a journal.
    pub fn recording() -> Self {
        Self {
            recording: true,
            ..Self::default()
        }
    }

    /// Changes that are noted and forgotten, for a world kept in memory.
    pub fn discarding() -> Self {
        Self::default()
    }

    /// Notes that the record `key` of `table` is now `value`, or was
    /// deleted if `value` is `None`.
    pub fn record<K: Serialize, V: Serialize>(&mut self, table: &str, key: &K, value: Option<&V>) {
        if !self.recording {
            return;
        }
        let start = self.encoded.len();
        if self.count > 0 {
            self.encoded.push(b',');
        }
        let written = serde_json::to_writer(
            &mut self.encoded,
            &Change::borrowed(table, Some(key), value),
        );
        match written {
            Ok(()) => self.count += 1,
            Err(error) => {
                // The stored types encode as JSON by construction; a value
                // that does not is left out rather than written half.
                self.encoded.truncate(start);
                tracing::error!("could not journal a change of {table}: {error}");
            }
        }
    }

    /// Notes the group of scalars `name` (counters, the engine's clock)
    /// if its value differs from the one last noted.
    pub fn scalars<V: Serialize>(&mut self, name: &str, value: &V) {
        if !self.recording {
            return;
        }
        let Ok(encoded) = serde_json::to_vec(value) else {
            tracing::error!("could not journal the scalars of {name}");
            return;
        };
        if self.scalars.get(name) == Some(&encoded) {
            return;
        }
        self.record::<(), V>(name, &(), Some(value));
        // The key of a group of scalars is written as `null`.
        self.scalars.insert(name.to_owned(), encoded);
    }

    /// Forgets the last values of the groups of scalars, so the next write
    /// notes them all (after the whole world was replaced).
    pub fn forget_scalars(&mut self) {
        self.scalars.clear();
    }

    /// Whether no change was noted since the last [`Changes::take`].
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The changes noted so far as the inside of a JSON array, and starts
    /// afresh.
    pub fn take(&mut self) -> Vec<u8> {
        self.count = 0;
        std::mem::take(&mut self.encoded)
    }

    /// The changes noted so far, read back (for tests).
    #[cfg(test)]
    pub fn decoded(&self) -> Vec<Change> {
        let mut text = b"[".to_vec();
        text.extend_from_slice(&self.encoded);
        text.push(b']');
        serde_json::from_slice(&text).unwrap_or_default()
    }
}

/// One change as written: the table (or group of scalars), the key and
/// the new value, `null` for a deletion.
#[derive(Serialize)]
struct BorrowedChange<'a, K, V> {
    /// The table.
    t: &'a str,
    /// The key; absent for a group of scalars.
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<&'a K>,
    /// The new value, or `null`.
    v: Option<&'a V>,
}

/// One change read back from the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The table or group of scalars, e.g. `codedeploy.applications`.
    #[serde(rename = "t")]
    pub table: String,
    /// The record's key; `null` for a group of scalars.
    #[serde(rename = "k", default)]
    key: Value,
    /// The new value; `null` for a deletion.
    #[serde(rename = "v", default)]
    value: Value,
}

impl Change {
    /// The change of `key` in `table` to `value`, in the form written.
    fn borrowed<'a, K, V>(
        table: &'a str,
        key: Option<&'a K>,
        value: Option<&'a V>,
    ) -> BorrowedChange<'a, K, V> {
        BorrowedChange {
            t: table,
            k: key,
            v: value,
        }
    }

    /// The record's key.
    pub fn key<K: DeserializeOwned>(&self) -> Result<K, ReplayError> {
        K::deserialize(&self.key).map_err(|error| {
            ReplayError(format!(
                "a change of {} has a bad key ({error})",
                self.table
            ))
        })
    }

    /// The record's new value, `None` if it was deleted.
    pub fn value<V: DeserializeOwned>(&self) -> Result<Option<V>, ReplayError> {
        if self.value.is_null() {
            return Ok(None);
        }
        V::deserialize(&self.value).map(Some).map_err(|error| {
            ReplayError(format!(
                "a change of {} has a bad value ({error})",
                self.table
            ))
        })
    }

    /// The new value of a group of scalars, which is never deleted.
    pub fn scalars<V: DeserializeOwned>(&self) -> Result<V, ReplayError> {
        self.value()?
            .ok_or_else(|| ReplayError(format!("the scalars of {} are missing", self.table)))
    }

    /// The error for a change of a table this version does not know.
    pub fn unknown(&self) -> ReplayError {
        ReplayError(format!("the table {} is not known", self.table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_noted_only_when_they_changed_and_nothing_without_recording() {
        let mut changes = Changes::recording();
        changes.scalars("counters", &(1, 2));
        changes.scalars("counters", &(1, 2));
        assert_eq!(changes.decoded().len(), 1);
        let taken = changes.take();
        assert!(!taken.is_empty());
        assert!(changes.is_empty());
        changes.scalars("counters", &(1, 2));
        assert!(changes.is_empty(), "unchanged since last noted");
        changes.scalars("counters", &(1, 3));
        let decoded = changes.decoded();
        assert_eq!(decoded[0].scalars::<(u32, u32)>(), Ok((1, 3)));
        changes.forget_scalars();
        changes.take();
        changes.scalars("counters", &(1, 3));
        assert!(!changes.is_empty(), "noted again after forgetting");

        let mut discarding = Changes::discarding();
        discarding.record("t", &"k", Some(&1));
        discarding.scalars("counters", &1);
        assert!(discarding.is_empty());
    }
}
