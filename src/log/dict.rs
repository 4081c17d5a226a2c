//! String dictionaries: distinct values stored once, rows hold `u32` keys.

use std::hash::BuildHasher;

use hashbrown::HashTable;
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
/// cannot turn interning into quadratic work. The lookup table keeps each
/// value's full hash and, for values of up to 16 bytes (ids, SKUs, event
/// names), the bytes themselves, so a lookup touches one table slot and no
/// other memory.
#[derive(Clone, Default)]
pub struct Dictionary {
    values: Vec<Box<str>>,
    index: HashTable<Slot>,
    state: Seeded,
}

/// The crate's seeded hasher for input keys (a deserialized dictionary draws
/// a new seed).
pub(crate) type Seeded = crate::hash::SeededState;

/// Values of up to this many bytes are kept in their table slot.
const INLINE: usize = 16;

/// One lookup-table slot: the value's hash, its key, and the value itself
/// when short.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    key: u32,
    len: u32,
    inline: [u8; INLINE],
}

impl Slot {
    fn new(hash: u64, key: u32, value: &str) -> Slot {
        Slot {
            hash,
            key,
            len: u32::try_from(value.len()).unwrap_or(u32::MAX),
            inline: inline(value.as_bytes()).unwrap_or([0; INLINE]),
        }
    }
}

/// A value of up to [`INLINE`] bytes padded with zeros, as a slot keeps it.
fn inline(bytes: &[u8]) -> Option<[u8; INLINE]> {
    let mut out = [0u8; INLINE];
    out.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(out)
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.values.iter()).finish()
    }
}

impl PartialEq for Dictionary {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl Eq for Dictionary {}

impl Serialize for Dictionary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.values.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Dictionary {
    /// Reads the values in key order; a repeated value is an error (keys
    /// would be ambiguous).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let values = Vec::<Box<str>>::deserialize(d)?;
        let mut dict = Dictionary::new();
        for v in &values {
            let before = dict.len();
            dict.intern(v).map_err(serde::de::Error::custom)?;
            if dict.len() == before {
                return Err(serde::de::Error::custom(format!(
                    "dictionary value {v:?} appears twice"
                )));
            }
        }
        Ok(dict)
    }
}

impl Dictionary {
    /// An empty dictionary.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn hash(&self, value: &str) -> u64 {
        self.state.hash_one(value)
    }

    fn find(&self, hash: u64, value: &str) -> Option<u32> {
        let values = &self.values;
        let bytes = value.as_bytes();
        if let Some(short) = inline(bytes) {
            // Slots pad short values with zeros: one comparison of the
            // whole array (and the length) decides.
            return self
                .index
                .find(hash, |slot| {
                    slot.hash == hash && slot.len as usize == bytes.len() && slot.inline == short
                })
                .map(|slot| slot.key);
        }
        self.index
            .find(hash, |slot| {
                slot.hash == hash
                    && slot.len as usize == bytes.len()
                    && values
                        .get(slot.key as usize)
                        .is_some_and(|v| v.as_bytes() == bytes)
            })
            .map(|slot| slot.key)
    }

    /// An empty dictionary with room for `n` values.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Dictionary {
            values: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            state: Seeded::default(),
        }
    }

    /// The key of `value`, adding it if new.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] when the dictionary already holds
    /// [`MAX_DICTIONARY_LEN`] values.
    pub fn intern(&mut self, value: &str) -> Result<u32> {
        let hash = self.hash(value);
        if let Some(k) = self.find(hash, value) {
            return Ok(k);
        }
        let k = key(self.values.len())?;
        self.values.push(value.into());
        self.index
            .insert_unique(hash, Slot::new(hash, k, value), |slot| slot.hash);
        Ok(k)
    }

    /// Adds `value`, which the caller knows is not in the dictionary (no
    /// lookup).
    ///
    /// # Errors
    /// As [`intern`](Self::intern).
    pub(crate) fn push_new(&mut self, value: &str) -> Result<u32> {
        let hash = self.hash(value);
        let k = key(self.values.len())?;
        self.values.push(value.into());
        self.index
            .insert_unique(hash, Slot::new(hash, k, value), |slot| slot.hash);
        Ok(k)
    }

    /// The key of `value`, if present.
    #[must_use]
    pub fn get(&self, value: &str) -> Option<u32> {
        self.find(self.hash(value), value)
    }

    /// The value of `key`; `None` for [`NULL_KEY`] or an unknown key.
    #[must_use]
    pub fn value(&self, key: u32) -> Option<&str> {
        self.values.get(key as usize).map(|s| &**s)
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
                .get(a as usize)
                .cmp(&self.values.get(b as usize))
        });
        let mut old_to_new = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = old_to_new.get_mut(old as usize) {
                *slot = new as u32;
            }
        }
        let mut old: Vec<Option<Box<str>>> = std::mem::take(&mut self.values)
            .into_iter()
            .map(Some)
            .collect();
        self.values = order
            .iter()
            .filter_map(|&o| old.get_mut(o as usize).and_then(Option::take))
            .collect();
        for slot in self.index.iter_mut() {
            if let Some(&n) = old_to_new.get(slot.key as usize) {
                slot.key = n;
            }
        }
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
        assert!(serde_json::from_str::<Dictionary>(r#"["a","a"]"#).is_err());
        let long = "a-product-id-longer-than-sixteen-bytes";
        let k = d.intern(long).unwrap();
        assert_eq!(d.get(long), Some(k));
        assert_eq!(d.get("a-product-id-longer-than-sixteen-byteS"), None);
        assert_eq!(d.get(""), None);
        assert_eq!(d.intern("").unwrap(), 3);
        let back: Dictionary = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("sku-2"), Some(1));
    }
}
