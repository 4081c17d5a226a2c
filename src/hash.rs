//! The crate's one hashing policy.
//!
//! - **Keys that come from input** (customer keys, product and category ids,
//!   event names, breakdown values, respondent ids): a table gets its own
//!   random seed ([`SeededState`]), so nobody who knows the crate can craft
//!   ids that collide and turn a linear pass into a quadratic one.
//! - **Keys the crate makes itself** (the sample shop's generated ids): a
//!   fixed fast hash ([`FixedState`]), which costs no seed and is
//!   reproducible.
//!
//! Both are [`foldhash`]: a small, well-kept hasher, much faster than std's
//! SipHash on short keys, with a per-instance random seed. The seeded state
//! is foldhash's **quality** variant: it ends with one more folded multiply,
//! so every output bit depends on every input bit. That matters here because
//! the persona profile's open-addressing table indexes its slots by the low
//! bits of the hash, and weak low bits are exactly what went wrong before
//! (issue 15: a hand-written FxHash left 8-byte keys sharing a 3-byte prefix
//! only 5 distinct low bits, and 1M such breakdown groups took 66 s).
//!
//! No result depends on a seed: hash tables are lookups only, and reports are
//! ordered canonically (`IndexMap` in insertion or sorted order).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

/// A randomly seeded hasher for tables keyed by input (foldhash, quality
/// variant; a fresh seed per table).
pub(crate) type SeededState = foldhash::quality::RandomState;

/// A fixed hasher for keys the crate makes itself, never for input.
pub(crate) type FixedState = foldhash::fast::FixedState;

/// A `HashSet` keyed by input.
pub(crate) type SeededSet<K> = HashSet<K, SeededState>;

/// An `IndexMap` keyed by input: insertion order, seeded lookups.
pub(crate) type SeededIndexMap<K, V> = IndexMap<K, V, SeededState>;

/// A `HashMap` keyed by values the crate made itself.
pub(crate) type FixedMap<K, V> = HashMap<K, V, FixedState>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// 8-byte keys that share a 3-byte prefix (`"ab:" + 5 digits`), the shape
    /// that broke the old hand-written hasher.
    fn shared_prefix_keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("ab:{i:05}")).collect()
    }

    #[test]
    fn shared_prefix_keys_spread_over_low_and_high_bits() {
        let keys = shared_prefix_keys(100_000);
        assert!(keys.iter().all(|k| k.len() == 8));
        let state = SeededState::default();
        let mut low = SeededSet::default();
        let mut high = SeededSet::default();
        for k in &keys {
            let h = state.hash_one(k.as_str());
            low.insert(h & 0xffff);
            high.insert(h >> 57);
        }
        // Uniform hashing of 100k keys into 65,536 buckets fills about 78%
        // of them; the old hasher filled 32.
        assert!(low.len() > 45_000, "low 16 bits: {} buckets", low.len());
        // hashbrown's control bytes use the top 7 bits: all 128 appear.
        assert_eq!(high.len(), 128);
    }

    #[test]
    fn shared_prefix_keys_insert_in_linear_time() {
        // 200k inserts into a seeded table; quadratic behaviour would take
        // tens of seconds even in release. The bound is loose for debug
        // builds on a busy machine.
        let keys = shared_prefix_keys(200_000);
        let start = std::time::Instant::now();
        let mut map: SeededIndexMap<&str, u32> = SeededIndexMap::default();
        for k in &keys {
            *map.entry(k.as_str()).or_default() += 1;
        }
        assert_eq!(map.len(), keys.len());
        let took = start.elapsed();
        assert!(took.as_secs() < 5, "200k inserts took {took:?}");
    }

    #[test]
    fn seeded_states_differ_and_fixed_ones_agree() {
        let (a, b) = (SeededState::default(), SeededState::default());
        let key = "cust-0042";
        // Two seeds agreeing on all of 16 keys would be a 2^-1024 event.
        assert!((0..16).any(|i| a.hash_one((key, i)) != b.hash_one((key, i))));
        let (f, g) = (FixedState::default(), FixedState::default());
        assert_eq!(f.hash_one(key), g.hash_one(key));
    }
}
