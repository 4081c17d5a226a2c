//! String dictionaries: distinct values stored once, rows hold `u32` keys.

use std::hash::BuildHasher;
use std::sync::OnceLock;

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
/// The values are kept end to end in one buffer (no allocation per value).
/// Lookups by value go through a randomly seeded hasher, so values chosen to
/// collide cannot turn interning into quadratic work. The lookup table is
/// built on the first lookup by value ([`get`](Self::get),
/// [`intern`](Self::intern)): a dictionary that is only read by key (such
/// as the spellings of a log's integer customer keys) never builds it. It
/// keeps each value's full hash and, for values of up to 16 bytes (ids,
/// SKUs, event names), the bytes themselves, so a lookup touches one table
/// slot and no other memory.
#[derive(Clone, Default)]
pub struct Dictionary {
    /// The values end to end.
    bytes: String,
    /// Where each value ends in `bytes`.
    ends: Vec<usize>,
    /// The lookup table, once a value was looked up.
    index: OnceLock<HashTable<Slot>>,
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
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Dictionary {
    /// The same values in the same key order.
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends && self.bytes == other.bytes
    }
}

impl Eq for Dictionary {}

impl Serialize for Dictionary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
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

    /// The lookup table, built on first use.
    fn index(&self) -> &HashTable<Slot> {
        self.index.get_or_init(|| {
            let mut index = HashTable::with_capacity(self.len());
            for (k, v) in self.iter().enumerate() {
                let hash = self.hash(v);
                index.insert_unique(hash, Slot::new(hash, k as u32, v), |slot| slot.hash);
            }
            index
        })
    }

    fn find(&self, hash: u64, value: &str) -> Option<u32> {
        let index = self.index();
        let bytes = value.as_bytes();
        if let Some(short) = inline(bytes) {
            // Slots pad short values with zeros: one comparison of the
            // whole array (and the length) decides.
            return index
                .find(hash, |slot| {
                    slot.hash == hash && slot.len as usize == bytes.len() && slot.inline == short
                })
                .map(|slot| slot.key);
        }
        index
            .find(hash, |slot| {
                slot.hash == hash
                    && slot.len as usize == bytes.len()
                    && self.value(slot.key).is_some_and(|v| v.as_bytes() == bytes)
            })
            .map(|slot| slot.key)
    }

    /// An empty dictionary with room for `n` values.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Dictionary {
            bytes: String::new(),
            ends: Vec::with_capacity(n),
            index: OnceLock::new(),
            state: Seeded::default(),
        }
    }

    /// Appends `value` under the next key (and to the lookup table, if it
    /// is built: `hash` gives the value's hash when known).
    fn append(&mut self, value: &str, hash: Option<u64>) -> Result<u32> {
        let k = key(self.ends.len())?;
        self.bytes.push_str(value);
        self.ends.push(self.bytes.len());
        if let Some(index) = self.index.get_mut() {
            let hash = hash.unwrap_or_else(|| self.state.hash_one(value));
            index.insert_unique(hash, Slot::new(hash, k, value), |slot| slot.hash);
        }
        Ok(k)
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
        self.append(value, Some(hash))
    }

    /// Adds `value`, which the caller knows is not in the dictionary (no
    /// lookup; no hashing until the first lookup by value).
    ///
    /// # Errors
    /// As [`intern`](Self::intern).
    pub(crate) fn push_new(&mut self, value: &str) -> Result<u32> {
        self.append(value, None)
    }

    /// The key of `value`, if present.
    #[must_use]
    pub fn get(&self, value: &str) -> Option<u32> {
        self.find(self.hash(value), value)
    }

    /// The value of `key`; `None` for [`NULL_KEY`] or an unknown key.
    #[must_use]
    pub fn value(&self, key: u32) -> Option<&str> {
        let i = key as usize;
        let end = *self.ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)?,
            None => 0,
        };
        self.bytes.get(start..end)
    }

    /// How many distinct values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the dictionary is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The values in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|k| self.value(k as u32).unwrap_or(""))
    }

    /// Sorts the values (byte order) and returns the map from old keys to
    /// new ones, so a column can be rewritten with [`remap`]. After this, key
    /// order is value order, and the dictionary no longer depends on the order
    /// in which values were first seen.
    pub(crate) fn canonicalize(&mut self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.ends.len() as u32).collect();
        if order
            .windows(2)
            .all(|w| matches!(w, [a, b] if self.value(*a) < self.value(*b)))
        {
            return order;
        }
        order.sort_unstable_by(|&a, &b| self.value(a).cmp(&self.value(b)));
        let mut old_to_new = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = old_to_new.get_mut(old as usize) {
                *slot = new as u32;
            }
        }
        let mut bytes = String::with_capacity(self.bytes.len());
        let mut ends = Vec::with_capacity(self.ends.len());
        for &o in &order {
            bytes.push_str(self.value(o).unwrap_or(""));
            ends.push(bytes.len());
        }
        self.bytes = bytes;
        self.ends = ends;
        if let Some(index) = self.index.get_mut() {
            for slot in index.iter_mut() {
                if let Some(&n) = old_to_new.get(slot.key as usize) {
                    slot.key = n;
                }
            }
        }
        old_to_new
    }
}

/// Joins dictionaries into one whose key order is value order (as
/// [`Dictionary::canonicalize`] leaves it), and returns for each part the map
/// from its keys to the joined keys.
///
/// # Errors
/// [`Error::TooMuchWork`] beyond [`MAX_DICTIONARY_LEN`] distinct values.
pub(crate) fn join_sorted(parts: &[&Dictionary]) -> Result<(Dictionary, Vec<Vec<u32>>)> {
    let total: usize = parts.iter().map(|d| d.len()).sum();
    let mut all: Vec<(&str, u32, u32)> = Vec::with_capacity(total);
    for (p, d) in parts.iter().enumerate() {
        all.extend(d.iter().enumerate().map(|(k, v)| (v, p as u32, k as u32)));
    }
    all.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = Dictionary::with_capacity(total);
    let mut maps: Vec<Vec<u32>> = parts.iter().map(|d| vec![0; d.len()]).collect();
    let mut last: Option<&str> = None;
    let mut key = 0;
    for (v, p, k) in all {
        if last != Some(v) {
            key = out.push_new(v)?;
            last = Some(v);
        }
        if let Some(slot) = maps.get_mut(p as usize).and_then(|m| m.get_mut(k as usize)) {
            *slot = key;
        }
    }
    Ok((out, maps))
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

    #[test]
    fn the_lookup_table_is_built_on_the_first_lookup() {
        let mut d = Dictionary::with_capacity(3);
        for v in ["30", "4", "100"] {
            d.push_new(v).unwrap();
        }
        assert!(d.index.get().is_none());
        assert_eq!(d.value(2), Some("100"));
        let copy = d.clone();
        let map = d.canonicalize();
        assert_eq!(map, vec![1, 2, 0]);
        assert!(d.index.get().is_none());
        assert_eq!(d.iter().collect::<Vec<_>>(), ["100", "30", "4"]);
        assert_eq!(d.get("4"), Some(2));
        assert!(d.index.get().is_some());
        // Values added after the table is built are found too.
        assert_eq!(d.push_new("5").unwrap(), 3);
        assert_eq!(d.intern("5").unwrap(), 3);
        assert_eq!(d.intern("6").unwrap(), 4);
        assert_eq!(d.get("6"), Some(4));
        assert_eq!(copy.get("100"), Some(2));
        assert_ne!(copy, d);
        let mut sorted = Dictionary::new();
        for v in ["a", "b"] {
            sorted.push_new(v).unwrap();
        }
        assert_eq!(sorted.canonicalize(), vec![0, 1]);
        assert_eq!(sorted.value(NULL_KEY), None);
    }
}
