//! String dictionaries: distinct values stored once, rows hold `u32` keys.

use indexmap::IndexSet;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The key that stands for "no value" in a key column (Arrow would use a
/// validity bit; a sentinel keeps the column one primitive buffer).
pub const NULL_KEY: u32 = u32::MAX;

/// The most distinct values one dictionary holds (keys are `u32`, and
/// [`NULL_KEY`] is reserved).
pub const MAX_DICTIONARY_LEN: usize = (u32::MAX - 1) as usize;

/// Distinct strings in insertion order until the log is finished, which
/// sorts them; a row column holds each string's key.
///
/// Lookups go through a randomly seeded hasher, so values chosen to collide
/// cannot turn interning into quadratic work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Dictionary {
    values: IndexSet<Box<str>, Seeded>,
}

/// The crate's seeded hasher for input keys (a deserialized dictionary draws
/// a new seed).
pub(crate) type Seeded = crate::hash::SeededState;

impl Dictionary {
    /// An empty dictionary.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The key of `value`, adding it if new.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] when the dictionary already holds
    /// [`MAX_DICTIONARY_LEN`] values.
    pub fn intern(&mut self, value: &str) -> Result<u32> {
        if let Some(i) = self.values.get_index_of(value) {
            return key(i);
        }
        if self.values.len() >= MAX_DICTIONARY_LEN {
            return Err(Error::TooMuchWork {
                what: "distinct values in one dictionary column",
                limit: MAX_DICTIONARY_LEN as u64,
            });
        }
        let (i, _) = self.values.insert_full(value.into());
        key(i)
    }

    /// The key of `value`, if present.
    #[must_use]
    pub fn get(&self, value: &str) -> Option<u32> {
        self.values.get_index_of(value).and_then(|i| key(i).ok())
    }

    /// The value of `key`; `None` for [`NULL_KEY`] or an unknown key.
    #[must_use]
    pub fn value(&self, key: u32) -> Option<&str> {
        self.values.get_index(key as usize).map(|s| &**s)
    }

    /// How many distinct values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the dictionary is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.values.iter().map(|s| &**s)
    }

    /// Sorts the values (byte order) and returns the map from old keys to
    /// new ones, so a column can be rewritten with [`remap`]. After this, key
    /// order is value order, and the dictionary no longer depends on the order
    /// in which values were first seen.
    pub(crate) fn canonicalize(&mut self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.values.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            self.values
                .get_index(a as usize)
                .cmp(&self.values.get_index(b as usize))
        });
        let mut old_to_new = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = old_to_new.get_mut(old as usize) {
                *slot = new as u32;
            }
        }
        let mut sorted: IndexSet<Box<str>, Seeded> =
            IndexSet::with_capacity_and_hasher(self.values.len(), Seeded::default());
        let mut old: Vec<Option<Box<str>>> = std::mem::take(&mut self.values)
            .into_iter()
            .map(Some)
            .collect();
        for &o in &order {
            if let Some(v) = old.get_mut(o as usize).and_then(Option::take) {
                sorted.insert(v);
            }
        }
        self.values = sorted;
        old_to_new
    }
}

/// Rewrites a key column with an old-to-new map; [`NULL_KEY`] stays.
pub(crate) fn remap(column: &mut [u32], old_to_new: &[u32]) {
    if old_to_new.iter().enumerate().all(|(i, &n)| i as u32 == n) {
        return;
    }
    for k in column {
        if let Some(&n) = old_to_new.get(*k as usize) {
            *k = n;
        }
    }
}

fn key(i: usize) -> Result<u32> {
    u32::try_from(i)
        .ok()
        .filter(|&k| k != NULL_KEY)
        .ok_or(Error::TooMuchWork {
            what: "distinct values in one dictionary column",
            limit: MAX_DICTIONARY_LEN as u64,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_canonicalizes() {
        let mut d = Dictionary::new();
        assert_eq!(d.intern("sku-2").unwrap(), 0);
        assert_eq!(d.intern("sku-1").unwrap(), 1);
        assert_eq!(d.intern("sku-2").unwrap(), 0);
        let mut col = vec![0, 1, NULL_KEY, 0];
        let map = d.canonicalize();
        remap(&mut col, &map);
        assert_eq!(col, vec![1, 0, NULL_KEY, 1]);
        assert_eq!(d.value(0), Some("sku-1"));
        assert_eq!(d.get("sku-2"), Some(1));
        assert_eq!(d.value(NULL_KEY), None);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, r#"["sku-1","sku-2"]"#);
        let back: Dictionary = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("sku-2"), Some(1));
    }
}
