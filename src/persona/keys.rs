//! A per-journey table of dictionary keys (products, categories): the
//! distinct keys a journey touched, with counts, cleared in O(1) between
//! journeys and between sessions.

use std::hash::BuildHasher;

use crate::hash::SeededState;

/// One key's counts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Slot {
    /// The table's epoch when the slot was filled; other epochs are empty.
    epoch: u32,
    /// The dictionary key.
    key: u32,
    /// The journey row (0-based) that first touched the key.
    pub(crate) first: u32,
    /// Product views of the key.
    pub(crate) views: u32,
    /// The last session (1-based) in which the key was viewed.
    pub(crate) session: u32,
}

/// An open-addressing table from `u32` dictionary keys to [`Slot`]s.
///
/// It grows with the distinct keys of one journey, not with the dictionary,
/// so a profiler of one journey of a large log stays small. The keys are
/// input (which products a customer views), so slots are picked by a seeded
/// hash (`crate::hash`): crafted keys cannot collide on purpose.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    slots: Vec<Slot>,
    /// Indices of the filled slots, in insertion order.
    used: Vec<u32>,
    epoch: u32,
    /// The last key looked up and its slot: runs of rows with the same key
    /// skip the hashing.
    last: Option<(u32, usize)>,
    seed: SeededState,
}

impl KeyTable {
    /// Empties the table (O(1): the epoch moves on).
    pub(crate) fn begin(&mut self) {
        self.used.clear();
        self.last = None;
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for s in &mut self.slots {
                s.epoch = 0;
            }
            self.epoch = 1;
        }
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); 64];
        }
    }

    /// The number of distinct keys since [`begin`](Self::begin).
    pub(crate) fn len(&self) -> usize {
        self.used.len()
    }

    fn grow(&mut self) {
        self.last = None;
        let cap = self.slots.len().max(32) * 2;
        let old: Vec<Slot> = self
            .used
            .iter()
            .filter_map(|&i| self.slots.get(i as usize).copied())
            .collect();
        self.slots = vec![Slot::default(); cap];
        self.used.clear();
        let mask = cap - 1;
        for s in old {
            let mut i = (self.seed.hash_one(s.key) as usize) & mask;
            loop {
                match self.slots.get_mut(i) {
                    Some(slot) if slot.epoch == self.epoch => i = (i + 1) & mask,
                    Some(slot) => {
                        *slot = s;
                        self.used.push(i as u32);
                        break;
                    }
                    None => break,
                }
            }
        }
    }

    /// The slot of `key`, inserted (with `first = row`) when new.
    #[inline]
    pub(crate) fn entry(&mut self, key: u32, row: usize) -> Option<&mut Slot> {
        if let Some((k, i)) = self.last {
            if k == key {
                return self.slots.get_mut(i);
            }
        }
        if (self.used.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = (self.seed.hash_one(key) as usize) & mask;
        loop {
            let slot = self.slots.get(i)?;
            if slot.epoch != self.epoch {
                break;
            }
            if slot.key == key {
                self.last = Some((key, i));
                return self.slots.get_mut(i);
            }
            i = (i + 1) & mask;
        }
        self.used.push(i as u32);
        self.last = Some((key, i));
        let epoch = self.epoch;
        let slot = self.slots.get_mut(i)?;
        *slot = Slot {
            epoch,
            key,
            first: u32::try_from(row).unwrap_or(u32::MAX),
            views: 0,
            session: 0,
        };
        Some(slot)
    }

    /// The filled slots, in insertion order.
    pub(crate) fn live(&self) -> impl Iterator<Item = &Slot> {
        self.used.iter().filter_map(|&i| self.slots.get(i as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_keys_and_clears_in_constant_time() {
        let mut t = KeyTable::default();
        for round in 0..3u32 {
            t.begin();
            for i in 0..1_000u32 {
                let key = (i % 300) << 20; // many share their low bits
                let slot = t.entry(key, i as usize).unwrap();
                slot.views += 1;
                assert!(slot.first <= i);
            }
            assert_eq!(t.len(), 300, "round {round}");
            assert_eq!(t.live().map(|s| s.views).sum::<u32>(), 1_000);
        }
    }
}
