//! [`Table`]: a map of records that remembers which of them changed, so
//! that only those are written to the journal after a change.

use std::borrow::Borrow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Deref;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::changes::{Change, Changes, ReplayError};

/// A map of records by key that remembers the keys written since the last
/// [`Table::take_changes`]. It reads as the [`BTreeMap`] it holds; every
/// way to change it goes through its own methods, which note the key.
///
/// On disk (in a snapshot) it is the plain map, so a state saved before
/// tables existed reads the same.
#[derive(Clone)]
pub struct Table<K, V> {
    /// The records.
    map: BTreeMap<K, V>,
    /// The keys written since the changes were last taken.
    changed: BTreeSet<K>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Table<K, V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map.fmt(formatter)
    }
}

/// Two tables are equal when their records are: what changed since the
/// last journal entry is bookkeeping, not content.
impl<K: PartialEq, V: PartialEq> PartialEq for Table<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Eq, V: Eq> Eq for Table<K, V> {}

impl<K, V> Deref for Table<K, V> {
    type Target = BTreeMap<K, V>;

    fn deref(&self) -> &BTreeMap<K, V> {
        &self.map
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for Table<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(records: I) -> Self {
        let map: BTreeMap<K, V> = records.into_iter().collect();
        Self {
            map,
            changed: BTreeSet::new(),
        }
    }
}

impl<K: Serialize, V: Serialize> Serialize for Table<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(serializer)
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Table<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            map: BTreeMap::deserialize(deserializer)?,
            changed: BTreeSet::new(),
        })
    }
}

impl<K: Ord + Clone, V> Table<K, V> {
    /// Inserts or replaces the record `key`, returning the one replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.map.insert(key, value)
    }

    /// Removes the record `key`, returning it.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ToOwned<Owned = K> + ?Sized,
    {
        let removed = self.map.remove(key)?;
        self.changed.insert(key.to_owned());
        Some(removed)
    }

    /// The record `key`, to change. It counts as changed whether or not
    /// the caller changes it.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ToOwned<Owned = K> + ?Sized,
    {
        let value = self.map.get_mut(key)?;
        if !self.changed.contains(key) {
            self.changed.insert(key.to_owned());
        }
        Some(value)
    }

    /// The entry of `key`, to insert or change; it counts as changed
    /// (if it stays empty, a deletion of nothing is noted).
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        self.changed.insert(key.clone());
        self.map.entry(key)
    }

    /// Removes every record.
    pub fn clear(&mut self) {
        let keys: Vec<K> = self.map.keys().cloned().collect();
        self.changed.extend(keys);
        self.map.clear();
    }

    /// Keeps only the records for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let changed = &mut self.changed;
        self.map.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                changed.insert(key.clone());
            }
            kept
        });
    }

    /// Whether any record changed since the changes were last taken.
    pub fn has_changes(&self) -> bool {
        !self.changed.is_empty()
    }
}

impl<K: Ord + Clone + Serialize + DeserializeOwned, V: Serialize + DeserializeOwned> Table<K, V> {
    /// Writes the records changed since the last call to `changes`, as
    /// the table `name`: the new value, or a deletion.
    pub fn take_changes(&mut self, name: &str, changes: &mut Changes) {
        if self.changed.is_empty() {
            return;
        }
        for key in std::mem::take(&mut self.changed) {
            changes.record(name, &key, self.map.get(&key));
        }
    }

    /// Applies `change`, read back from the journal, without noting it as
    /// a change.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        let key: K = change.key()?;
        match change.value::<V>()? {
            Some(value) => self.map.insert(key, value),
            None => self.map.remove(&key),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The changes `table` has noted, as `(key, value)` pairs.
    fn taken(table: &mut Table<String, u32>) -> Vec<(String, Option<u32>)> {
        let mut changes = Changes::recording();
        table.take_changes("numbers", &mut changes);
        changes
            .decoded()
            .iter()
            .map(|change| (change.key().unwrap(), change.value().unwrap()))
            .collect()
    }

    #[test]
    fn every_way_of_writing_notes_the_key_and_reading_notes_nothing() {
        let mut table: Table<String, u32> = Table::default();
        table.insert("a".into(), 1);
        table.insert("b".into(), 2);
        table.insert("c".into(), 3);
        assert_eq!(
            taken(&mut table),
            [
                ("a".into(), Some(1)),
                ("b".into(), Some(2)),
                ("c".into(), Some(3))
            ]
        );
        assert!(
            taken(&mut table).is_empty(),
            "taking the changes clears them"
        );
        assert_eq!(table.get("a"), Some(&1));
        assert_eq!(table.len(), 3);
        assert!(!table.has_changes(), "reading changes nothing");
        *table.get_mut("b").unwrap() = 20;
        table.remove("a");
        table.remove("missing");
        assert_eq!(
            taken(&mut table),
            [("a".into(), None), ("b".into(), Some(20))]
        );
        table.retain(|_, value| *value > 10);
        *table.entry("d".into()).or_insert(4) += 1;
        assert_eq!(
            taken(&mut table),
            [("c".into(), None), ("d".into(), Some(5))]
        );
        table.clear();
        assert_eq!(taken(&mut table), [("b".into(), None), ("d".into(), None)]);
    }

    #[test]
    fn changes_applied_rebuild_the_table_and_it_saves_as_a_plain_map() {
        let mut table: Table<String, u32> = Table::default();
        table.insert("a".into(), 1);
        table.insert("b".into(), 2);
        let mut changes = Changes::recording();
        table.take_changes("numbers", &mut changes);
        table.remove("a");
        table.take_changes("numbers", &mut changes);
        let mut rebuilt: Table<String, u32> = Table::default();
        for change in changes.decoded() {
            rebuilt.apply(&change).unwrap();
        }
        assert_eq!(rebuilt, table);
        assert!(!rebuilt.has_changes(), "replay notes nothing");
        let json = serde_json::to_string(&table).unwrap();
        assert_eq!(json, r#"{"b":2}"#);
        let back: Table<String, u32> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, table);
    }
}
