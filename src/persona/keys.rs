//! A per-journey table of dictionary keys (products, categories): the
//! distinct keys a journey touched, with counts, cleared in O(1) between
//! journeys and between sessions.

/// One key's counts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Slot {
    /// The table's epoch when the slot was filled; other epochs are empty.
    epoch: u32,
    /// The journey row (0-based) that first touched the key.
    pub(crate) first: u32,
    /// Product views of the key.
    pub(crate) views: u32,
    /// The last session (1-based) in which the key was viewed.
    pub(crate) session: u32,
}

/// A table from `u32` dictionary keys to [`Slot`]s, indexed by the key.
///
/// A log's keys are dense (`0..dictionary length`, checked when a log is
/// deserialized), so the key is the slot's index: no hashing, no probing,
/// and no input can make two keys collide. The slots are stamped with an
/// epoch, so emptying the table between journeys is O(1) and the table is
/// allocated once per profiler (per thread), growing to the largest key
/// seen (at most the dictionary's length: 16 bytes per dictionary entry).
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    slots: Vec<Slot>,
    /// The filled keys, in insertion order.
    used: Vec<u32>,
    epoch: u32,
}

impl KeyTable {
    /// Empties the table (O(1): the epoch moves on).
    #[inline]
    pub(crate) fn begin(&mut self) {
        self.used.clear();
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for s in &mut self.slots {
                s.epoch = 0;
            }
            self.epoch = 1;
        }
    }

    /// The number of distinct keys since [`begin`](Self::begin).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.used.len()
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, key: u32) {
        let want = (key as usize).saturating_add(1);
        let cap = want.max(self.slots.len().saturating_mul(2)).max(64);
        self.slots.resize(cap, Slot::default());
    }

    /// The slot of `key`, inserted (with `first = row`) when new.
    #[inline]
    pub(crate) fn entry(&mut self, key: u32, row: usize) -> Option<&mut Slot> {
        if key as usize >= self.slots.len() {
            self.grow(key);
        }
        let epoch = self.epoch;
        let slot = self.slots.get_mut(key as usize)?;
        if slot.epoch != epoch {
            *slot = Slot {
                epoch,
                first: u32::try_from(row).unwrap_or(u32::MAX),
                views: 0,
                session: 0,
            };
            self.used.push(key);
        }
        Some(slot)
    }

    /// The filled slots, in insertion order.
    pub(crate) fn live(&self) -> impl Iterator<Item = &Slot> {
        self.used.iter().filter_map(|&k| self.slots.get(k as usize))
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
                let key = (i * 7) % 300; // dense keys, out of order
                let slot = t.entry(key, i as usize).unwrap();
                slot.views += 1;
                assert!(slot.first <= i);
            }
            assert_eq!(t.len(), 300, "round {round}");
            assert_eq!(t.live().map(|s| s.views).sum::<u32>(), 1_000);
        }
    }
}
