//! The path set: distinct channel paths, each with its conversions, value
//! and non-converting journeys; what every model reads.

use std::hash::BuildHasher;

use chrono::TimeDelta;
use hashbrown::HashTable;
use serde::{Deserialize, Serialize};

use crate::attribution::fixed::{Fixed, MAX_AMOUNT};
use crate::error::{Error, Result};
use crate::hash::SeededState;
use crate::log::Dictionary;
use crate::model::time::secs_f64;

/// The largest count (conversions or non-converting journeys) one path may
/// carry in one call: 2^53, the largest integer every `f64` holds.
pub const MAX_COUNT: u64 = 1 << 53;

/// The most touches a path set holds over all its distinct paths, and the
/// most distinct paths (offsets are `u32`).
pub const MAX_TOUCHES: usize = (u32::MAX - 1) as usize;

/// Distinct channel paths with their counts: the input of every model.
///
/// A path is a non-empty sequence of channel names (repeats allowed, as
/// `search > search > email`); adding a path that is already in the set
/// adds its counts to it. Each path carries its number of conversions,
/// their total value and its number of journeys that did not convert
/// (ChannelAttribution's `total_conversions`, `total_conversion_value`,
/// `total_null`). Values are kept in fixed point (units of 10^-12), so sums
/// are exact and every model's result is the same whatever order the paths
/// were added or merged in.
///
/// A path set made with [`PathSet::with_time_decay`] also accumulates the
/// time-decay credit of every path added with touch times
/// ([`PathSet::add_timed`]): the weights need each journey's own touch
/// times, which distinct paths do not keep.
///
/// One path carries at most 2^53 conversions, 2^53 non-converting journeys
/// and a value of 2^53 (currency units), also after equal paths add up
/// ([`Error::TooMuchWork`] beyond), and a set holds at most [`MAX_TOUCHES`]
/// touches: every model's sums are then exact.
///
/// Build one from ChannelAttribution's CSV ([`PathSet::parse_csv`]), from a
/// journeys file ([`PathSet::parse_journeys_csv`]), by hand
/// ([`PathSet::add`]), or from an event log through
/// [`AttributionAccumulator`](crate::attribution::AttributionAccumulator).
///
/// ```
/// use cxjourney::attribution::PathSet;
/// let mut paths = PathSet::new();
/// paths.add(&["search", "email"], 2, 150.0, 3)?;
/// paths.add(&["social"], 0, 0.0, 5)?;
/// paths.add(&["search", "email"], 1, 50.0, 0)?; // the same path: counts add up
/// assert_eq!(paths.len(), 2);
/// assert_eq!(paths.total_conversions(), 3);
/// assert_eq!(paths.total_value(), 200.0);
/// assert_eq!(paths.channels().collect::<Vec<_>>(), ["search", "email", "social"]);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Clone)]
pub struct PathSet {
    channels: Dictionary,
    /// Every path's channel ids, one after another.
    touches: Vec<u32>,
    /// Path `i` is `touches[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    conversions: Vec<u64>,
    values: Vec<Fixed>,
    nulls: Vec<u64>,
    /// Path ids by the hash of their touches; built lazily after a bulk
    /// load ([`PathSet::push_row`] then [`PathSet::dedupe`]).
    index: HashTable<u32>,
    /// Whether `index` holds every path.
    indexed: bool,
    state: SeededState,
    decay: Option<Decay>,
    total_conversions: u64,
    total_value: Fixed,
    total_nulls: u64,
}

/// Time-decay credit accumulated per channel as timed paths are added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Decay {
    /// The half-life, in seconds.
    #[serde(with = "crate::model::time")]
    pub(crate) half_life: TimeDelta,
    /// Conversions credited to each channel id.
    pub(crate) conversions: Vec<Fixed>,
    /// Value credited to each channel id.
    pub(crate) values: Vec<Fixed>,
    /// Conversions added without touch times (then time decay has no
    /// complete answer).
    pub(crate) untimed: u64,
}

/// One distinct path of a [`PathSet`].
#[derive(Debug, Clone, Copy)]
pub struct PathRow<'a> {
    set: &'a PathSet,
    row: usize,
}

impl<'a> PathRow<'a> {
    /// The channels of the path, in order.
    pub fn channels(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let set = self.set;
        set.row_ids(self.row)
            .iter()
            .map(move |&c| set.channel_name(c))
    }

    /// The number of touches.
    #[must_use]
    pub fn len(&self) -> usize {
        self.set.row_ids(self.row).len()
    }

    /// Whether the path has no touches (never: empty paths are refused).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The conversions of the path.
    #[must_use]
    pub fn conversions(&self) -> u64 {
        self.set.conversions.get(self.row).copied().unwrap_or(0)
    }

    /// The total value of the path's conversions.
    #[must_use]
    pub fn value(&self) -> f64 {
        self.set
            .values
            .get(self.row)
            .copied()
            .unwrap_or_default()
            .to_f64()
    }

    /// The journeys along the path that did not convert.
    #[must_use]
    pub fn nulls(&self) -> u64 {
        self.set.nulls.get(self.row).copied().unwrap_or(0)
    }
}

impl Default for PathSet {
    fn default() -> Self {
        PathSet::new()
    }
}

impl std::fmt::Debug for PathSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathSet")
            .field("channels", &self.channels)
            .field("paths", &self.len())
            .field("conversions", &self.total_conversions)
            .field("value", &self.total_value())
            .field("nulls", &self.total_nulls)
            .field("half_life", &self.decay.as_ref().map(|d| d.half_life))
            .finish()
    }
}

fn count_error(what: &'static str) -> Error {
    Error::TooMuchWork {
        what,
        limit: MAX_COUNT,
    }
}

impl PathSet {
    /// An empty path set without time decay.
    #[must_use]
    pub fn new() -> PathSet {
        PathSet {
            channels: Dictionary::new(),
            touches: Vec::new(),
            starts: vec![0],
            conversions: Vec::new(),
            values: Vec::new(),
            nulls: Vec::new(),
            index: HashTable::new(),
            indexed: true,
            state: SeededState::default(),
            decay: None,
            total_conversions: 0,
            total_value: Fixed::ZERO,
            total_nulls: 0,
        }
    }

    /// An empty path set that also credits time decay: paths added with
    /// touch times ([`PathSet::add_timed`]) give each touch the weight
    /// `0.5^(age / half_life)`, normalised within the journey, where `age`
    /// is the time from the touch to the end of the journey (mam's
    /// `run_time_decay`; 7 days is this crate's default).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `half_life` is not positive.
    pub fn with_time_decay(half_life: TimeDelta) -> Result<PathSet> {
        if half_life <= TimeDelta::zero() {
            return Err(Error::InvalidConfig {
                field: "half_life",
                value: format!("{} s", secs_f64(half_life)),
                reason: "the time-decay half-life must be positive",
            });
        }
        let mut set = PathSet::new();
        set.decay = Some(Decay {
            half_life,
            conversions: Vec::new(),
            values: Vec::new(),
            untimed: 0,
        });
        Ok(set)
    }

    /// The time-decay half-life, if the set credits time decay.
    #[must_use]
    pub fn half_life(&self) -> Option<TimeDelta> {
        self.decay.as_ref().map(|d| d.half_life)
    }

    /// The number of distinct paths.
    #[must_use]
    pub fn len(&self) -> usize {
        self.conversions.len()
    }

    /// Whether the set has no path.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.conversions.is_empty()
    }

    /// The channels, in the order they were first seen.
    pub fn channels(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.channels.iter()
    }

    /// The number of channels.
    #[must_use]
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// The distinct paths, in the order they were first added.
    pub fn paths(&self) -> impl ExactSizeIterator<Item = PathRow<'_>> + '_ {
        (0..self.len()).map(move |row| PathRow { set: self, row })
    }

    /// The total number of conversions.
    #[must_use]
    pub fn total_conversions(&self) -> u64 {
        self.total_conversions
    }

    /// The total value of the conversions.
    #[must_use]
    pub fn total_value(&self) -> f64 {
        self.total_value.to_f64()
    }

    /// The total number of journeys that did not convert.
    #[must_use]
    pub fn total_nulls(&self) -> u64 {
        self.total_nulls
    }

    /// Adds `conversions` conversions worth `value` in total and `nulls`
    /// journeys that did not convert, all along `path`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for an empty path or an empty channel name;
    /// [`Error::InvalidAmount`] naming the value for a value that is
    /// negative, not finite or above 2^53, or positive without conversions,
    /// and for counts above [`MAX_COUNT`]; [`Error::TooMuchWork`] when equal
    /// paths add up beyond those caps or the set grows beyond
    /// [`MAX_TOUCHES`] touches.
    pub fn add(&mut self, path: &[&str], conversions: u64, value: f64, nulls: u64) -> Result<()> {
        let value = check_counts(conversions, value, nulls)?;
        let ids = self.intern_path(path)?;
        if let Some(d) = &mut self.decay {
            d.untimed = d.untimed.saturating_add(conversions);
        }
        self.add_ids(&ids, conversions, value, nulls)
    }

    /// [`PathSet::add`] with the touch times: `ages[k]` is the time from
    /// touch `k` to the end of the journey (the conversion, or the last
    /// touch of a journey that did not convert). When the set credits time
    /// decay ([`PathSet::with_time_decay`]), the conversions and value are
    /// also credited by the touches' time-decay weights.
    ///
    /// # Errors
    /// As [`PathSet::add`]; [`Error::Mismatch`] when `ages` does not have
    /// one age per touch; [`Error::TimeOutOfRange`] for a negative age.
    pub fn add_timed(
        &mut self,
        path: &[&str],
        ages: &[TimeDelta],
        conversions: u64,
        value: f64,
        nulls: u64,
    ) -> Result<()> {
        let value = check_counts(conversions, value, nulls)?;
        if ages.len() != path.len() {
            return Err(Error::Mismatch {
                expected: format!("one age per touch ({} touches)", path.len()),
                found: format!("{} ages", ages.len()),
            });
        }
        let mut secs = Vec::with_capacity(ages.len());
        for &a in ages {
            if a < TimeDelta::zero() {
                return Err(Error::TimeOutOfRange {
                    context: format!(
                        "a touch's age (time to the end of its journey) is negative: {} s",
                        secs_f64(a)
                    ),
                });
            }
            secs.push(secs_f64(a));
        }
        let ids = self.intern_path(path)?;
        self.add_ids_timed(&ids, &secs, conversions, value, nulls)
    }

    /// Adds every path of `other` to this set (the counts of paths in both
    /// add up), with its time-decay credit.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when both sets have paths and credit time decay
    /// with different half-lives (or only one of them does);
    /// [`Error::TooMuchWork`] beyond [`MAX_TOUCHES`].
    pub fn merge(&mut self, other: PathSet) -> Result<()> {
        let same_decay = self.half_life() == other.half_life();
        if !same_decay {
            if other.is_empty() && other.decay.as_ref().is_none_or(|d| d.untimed == 0) {
                return Ok(());
            }
            if self.is_empty() && self.decay.as_ref().is_none_or(|d| d.untimed == 0) {
                self.decay = other.decay.as_ref().map(|d| Decay {
                    half_life: d.half_life,
                    conversions: Vec::new(),
                    values: Vec::new(),
                    untimed: 0,
                });
            } else {
                let show = |h: Option<TimeDelta>| {
                    h.map_or_else(
                        || "paths without time decay".to_owned(),
                        |h| format!("paths with a time-decay half-life of {} s", secs_f64(h)),
                    )
                };
                return Err(Error::Mismatch {
                    expected: show(self.half_life()),
                    found: show(other.half_life()),
                });
            }
        }
        let map: Vec<u32> = other
            .channels
            .iter()
            .map(|name| self.intern(name))
            .collect::<Result<_>>()?;
        let mut ids = Vec::new();
        for row in 0..other.len() {
            ids.clear();
            ids.extend(
                other
                    .row_ids(row)
                    .iter()
                    .map(|&c| map.get(c as usize).copied().unwrap_or(0)),
            );
            let conv = other.conversions.get(row).copied().unwrap_or(0);
            let value = other.values.get(row).copied().unwrap_or_default();
            let nulls = other.nulls.get(row).copied().unwrap_or(0);
            self.add_ids(&ids, conv, value, nulls)?;
        }
        self.merge_decay(&other, &map);
        Ok(())
    }

    // ----- crate-internal access for the models -----

    /// An empty set with the same time-decay setting.
    pub(crate) fn empty_like(&self) -> PathSet {
        let mut set = PathSet::new();
        set.decay = self.decay.as_ref().map(|d| Decay {
            half_life: d.half_life,
            conversions: Vec::new(),
            values: Vec::new(),
            untimed: 0,
        });
        set
    }

    /// Adds to the totals without adding a path (for a sink that keeps
    /// only the channels).
    pub(crate) fn count_totals(&mut self, conversions: u64, value: Fixed, nulls: u64) {
        self.total_conversions = self.total_conversions.saturating_add(conversions);
        self.total_value += value;
        self.total_nulls = self.total_nulls.saturating_add(nulls);
    }

    /// The exact total value.
    pub(crate) fn total_value_fixed(&self) -> Fixed {
        self.total_value
    }

    /// Makes room for about `rows` more paths of `touches` touches in all
    /// (an estimate, not a promise; capped at 2^26 paths and 2^28 touches).
    pub(crate) fn reserve(&mut self, rows: usize, touches: usize) {
        let rows = rows.min(1 << 26);
        self.conversions.reserve(rows);
        self.values.reserve(rows);
        self.nulls.reserve(rows);
        self.starts.reserve(rows);
        self.touches.reserve(touches.min(1 << 28));
    }

    /// The channel ids of path `row`.
    pub(crate) fn row_ids(&self, row: usize) -> &[u32] {
        let (Some(&a), Some(&b)) = (self.starts.get(row), self.starts.get(row + 1)) else {
            return &[];
        };
        self.touches.get(a as usize..b as usize).unwrap_or(&[])
    }

    /// The name of channel `id` (`""` for an unknown id).
    pub(crate) fn channel_name(&self, id: u32) -> &str {
        self.channels.value(id).unwrap_or("")
    }

    /// Every path as `(channel ids, conversions, value, nulls)`.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (&[u32], u64, Fixed, u64)> + '_ {
        self.rows_in(0..self.len())
    }

    /// The paths of a range of rows, as [`PathSet::rows`].
    pub(crate) fn rows_in(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (&[u32], u64, Fixed, u64)> + '_ {
        range.map(move |r| {
            (
                self.row_ids(r),
                self.conversions.get(r).copied().unwrap_or(0),
                self.values.get(r).copied().unwrap_or_default(),
                self.nulls.get(r).copied().unwrap_or(0),
            )
        })
    }

    /// The time-decay credit, if the set keeps one.
    pub(crate) fn decay(&self) -> Option<&Decay> {
        self.decay.as_ref()
    }

    /// The channel ids in the byte order of their names: the canonical
    /// order of every result.
    pub(crate) fn ids_by_name(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.channels.len() as u32).collect();
        ids.sort_by(|&a, &b| self.channel_name(a).cmp(self.channel_name(b)));
        ids
    }

    /// For each channel id, its position in [`PathSet::ids_by_name`].
    pub(crate) fn name_ranks(&self) -> Vec<u32> {
        let mut ranks = vec![0u32; self.channels.len()];
        for (rank, id) in self.ids_by_name().into_iter().enumerate() {
            if let Some(r) = ranks.get_mut(id as usize) {
                *r = rank as u32;
            }
        }
        ranks
    }

    /// The id of channel `name`, interning it.
    pub(crate) fn intern(&mut self, name: &str) -> Result<u32> {
        if let Some(i) = self.channels.get(name) {
            return Ok(i);
        }
        if name.is_empty() {
            return Err(Error::EmptyInput {
                what: "channel name in a path",
            });
        }
        if self.channels.len() >= MAX_TOUCHES {
            return Err(Error::TooMuchWork {
                what: "channels in a path set",
                limit: MAX_TOUCHES as u64,
            });
        }
        self.channels.intern(name)
    }

    fn intern_path(&mut self, path: &[&str]) -> Result<Vec<u32>> {
        if path.is_empty() {
            return Err(Error::EmptyInput { what: "path" });
        }
        path.iter().map(|name| self.intern(name)).collect()
    }

    /// Adds a path of interned channel ids (each below the channel count).
    pub(crate) fn add_ids(
        &mut self,
        ids: &[u32],
        conversions: u64,
        value: Fixed,
        nulls: u64,
    ) -> Result<()> {
        if ids.is_empty() {
            return Err(Error::EmptyInput { what: "path" });
        }
        self.ensure_index();
        let hash = hash_path(&self.state, ids);
        let PathSet {
            touches,
            starts,
            index,
            ..
        } = self;
        let found = index
            .find(hash, |&r| row_slice(touches, starts, r as usize) == ids)
            .copied();
        if let Some(row) = found {
            self.add_to_row(row as usize, conversions, value, nulls)?;
            self.total_conversions = self.total_conversions.saturating_add(conversions);
            self.total_value += value;
            self.total_nulls = self.total_nulls.saturating_add(nulls);
            return Ok(());
        }
        let row = self.push_row(ids, conversions, value, nulls)?;
        // push_row cleared `indexed`; this row is the only one missing.
        let PathSet {
            touches,
            starts,
            index,
            state,
            ..
        } = self;
        index.insert_unique(hash, row, |&r| {
            hash_path(state, row_slice(touches, starts, r as usize))
        });
        self.indexed = true;
        Ok(())
    }

    /// Adds counts to path `row`, within the per-path caps.
    fn add_to_row(&mut self, row: usize, conversions: u64, value: Fixed, nulls: u64) -> Result<()> {
        let c = self
            .conversions
            .get(row)
            .copied()
            .unwrap_or(0)
            .saturating_add(conversions);
        let n = self
            .nulls
            .get(row)
            .copied()
            .unwrap_or(0)
            .saturating_add(nulls);
        let v = self
            .values
            .get(row)
            .copied()
            .unwrap_or_default()
            .plus(value);
        check_row(c, v, n)?;
        if let Some(x) = self.conversions.get_mut(row) {
            *x = c;
        }
        if let Some(x) = self.values.get_mut(row) {
            *x = v;
        }
        if let Some(x) = self.nulls.get_mut(row) {
            *x = n;
        }
        Ok(())
    }

    /// Appends a path without looking for an equal one (a bulk load, which
    /// [`PathSet::dedupe`] finishes); its row number.
    pub(crate) fn push_row(
        &mut self,
        ids: &[u32],
        conversions: u64,
        value: Fixed,
        nulls: u64,
    ) -> Result<u32> {
        if ids.is_empty() {
            return Err(Error::EmptyInput { what: "path" });
        }
        check_row(conversions, value, nulls)?;
        let end = self.touches.len() + ids.len();
        if end > MAX_TOUCHES || self.conversions.len() >= MAX_TOUCHES {
            return Err(Error::TooMuchWork {
                what: "touches in a path set",
                limit: MAX_TOUCHES as u64,
            });
        }
        self.total_conversions = self.total_conversions.saturating_add(conversions);
        self.total_value += value;
        self.total_nulls = self.total_nulls.saturating_add(nulls);
        let row = self.conversions.len() as u32;
        self.touches.extend_from_slice(ids);
        self.starts.push(end as u32);
        self.conversions.push(conversions);
        self.values.push(value);
        self.nulls.push(nulls);
        self.indexed = false;
        Ok(row)
    }

    /// Builds the lookup index when a bulk load left it out.
    fn ensure_index(&mut self) {
        if self.indexed {
            return;
        }
        let PathSet {
            touches,
            starts,
            index,
            state,
            conversions,
            ..
        } = self;
        index.clear();
        index.reserve(conversions.len(), |&r| {
            hash_path(state, row_slice(touches, starts, r as usize))
        });
        for r in 0..conversions.len() {
            let hash = hash_path(state, row_slice(touches, starts, r));
            index.insert_unique(hash, r as u32, |&r| {
                hash_path(state, row_slice(touches, starts, r as usize))
            });
        }
        self.indexed = true;
    }

    /// Merges equal paths of a bulk load into their first occurrence,
    /// keeping the order of first occurrences, by sorting the paths' hashes
    /// (sequential memory access, where a hash table lookup per path would
    /// miss the cache on every path of a large file). The index is built
    /// later, if a lookup needs it.
    pub(crate) fn dedupe(&mut self) -> Result<()> {
        let n = self.conversions.len();
        let keyed: Vec<(u32, u32)> = (0..n)
            .map(|r| {
                (
                    (hash_path(&self.state, row_slice(&self.touches, &self.starts, r)) >> 32)
                        as u32,
                    r as u32,
                )
            })
            .collect();
        // Grouped by the top 32 bits of the hash (rows ascending within a
        // group); equal paths fall in one group, and the groups are tiny.
        let keyed = radix_sort_32(keyed);
        // For each row, the row it merges into (itself when first).
        let mut target: Vec<u32> = (0..n as u32).collect();
        let mut any = false;
        let mut i = 0;
        while i < keyed.len() {
            let mut j = i + 1;
            while keyed.get(j).map(|k| k.0) == keyed.get(i).map(|k| k.0) {
                j += 1;
            }
            // Rows i..j share a hash (ascending row order): merge equal ones
            // into the earliest.
            if j - i > 1 {
                let group = keyed.get(i..j).unwrap_or(&[]);
                for (a, &(_, ra)) in group.iter().enumerate() {
                    if target.get(ra as usize) != Some(&ra) {
                        continue;
                    }
                    let sa = row_slice(&self.touches, &self.starts, ra as usize);
                    for &(_, rb) in group.get(a + 1..).unwrap_or(&[]) {
                        if target.get(rb as usize) == Some(&rb)
                            && row_slice(&self.touches, &self.starts, rb as usize) == sa
                        {
                            if let Some(t) = target.get_mut(rb as usize) {
                                *t = ra;
                            }
                            any = true;
                        }
                    }
                }
            }
            i = j;
        }
        self.indexed = false;
        if !any {
            return Ok(());
        }
        // Compact: fold duplicates into their targets, keep first rows.
        for r in 0..n {
            let t = target.get(r).copied().unwrap_or(r as u32) as usize;
            if t != r {
                let c = self.conversions.get(r).copied().unwrap_or(0);
                let v = self.values.get(r).copied().unwrap_or_default();
                let nl = self.nulls.get(r).copied().unwrap_or(0);
                self.add_to_row(t, c, v, nl)?;
            }
        }
        let mut touches = Vec::with_capacity(self.touches.len());
        let mut starts = vec![0u32];
        let (mut conv, mut vals, mut nulls) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..n {
            if target.get(r).copied() != Some(r as u32) {
                continue;
            }
            touches.extend_from_slice(row_slice(&self.touches, &self.starts, r));
            starts.push(touches.len() as u32);
            conv.push(self.conversions.get(r).copied().unwrap_or(0));
            vals.push(self.values.get(r).copied().unwrap_or_default());
            nulls.push(self.nulls.get(r).copied().unwrap_or(0));
        }
        self.touches = touches;
        self.starts = starts;
        self.conversions = conv;
        self.values = vals;
        self.nulls = nulls;
        Ok(())
    }

    /// Appends every path of `other` without deduplicating (a bulk load:
    /// call [`PathSet::dedupe`] after), with its time-decay credit; both
    /// must credit time decay alike.
    pub(crate) fn append(&mut self, other: PathSet) -> Result<()> {
        let map: Vec<u32> = other
            .channels
            .iter()
            .map(|name| self.intern(name))
            .collect::<Result<_>>()?;
        let base = self.touches.len();
        self.reserve(other.len(), other.touches.len());
        if base + other.touches.len() > MAX_TOUCHES
            || self.conversions.len() + other.conversions.len() > MAX_TOUCHES
        {
            return Err(Error::TooMuchWork {
                what: "touches in a path set",
                limit: MAX_TOUCHES as u64,
            });
        }
        self.touches.extend(
            other
                .touches
                .iter()
                .map(|&c| map.get(c as usize).copied().unwrap_or(0)),
        );
        self.starts.extend(
            other
                .starts
                .iter()
                .skip(1)
                .map(|&s| (base + s as usize) as u32),
        );
        self.conversions.extend_from_slice(&other.conversions);
        self.values.extend_from_slice(&other.values);
        self.nulls.extend_from_slice(&other.nulls);
        self.total_conversions = self
            .total_conversions
            .saturating_add(other.total_conversions);
        self.total_value += other.total_value;
        self.total_nulls = self.total_nulls.saturating_add(other.total_nulls);
        self.indexed = false;
        self.merge_decay(&other, &map);
        Ok(())
    }

    /// Adds `other`'s time-decay credit, its channel ids mapped by `map`.
    fn merge_decay(&mut self, other: &PathSet, map: &[u32]) {
        let channels = self.channels.len();
        if let (Some(mine), Some(theirs)) = (&mut self.decay, &other.decay) {
            mine.untimed = mine.untimed.saturating_add(theirs.untimed);
            mine.conversions.resize(channels, Fixed::ZERO);
            mine.values.resize(channels, Fixed::ZERO);
            for (c, &to) in map.iter().enumerate() {
                let to = to as usize;
                if let (Some(dst), Some(src)) =
                    (mine.conversions.get_mut(to), theirs.conversions.get(c))
                {
                    *dst += *src;
                }
                if let (Some(dst), Some(src)) = (mine.values.get_mut(to), theirs.values.get(c)) {
                    *dst += *src;
                }
            }
        }
    }

    /// Adds a path of interned ids with each touch's age in seconds, and
    /// credits time decay when the set keeps it.
    pub(crate) fn add_ids_timed(
        &mut self,
        ids: &[u32],
        ages: &[f64],
        conversions: u64,
        value: Fixed,
        nulls: u64,
    ) -> Result<()> {
        self.add_ids(ids, conversions, value, nulls)?;
        self.credit_decay(ids, ages, conversions, value);
        Ok(())
    }

    /// [`PathSet::push_row`] with touch ages (a bulk load).
    pub(crate) fn push_row_timed(
        &mut self,
        ids: &[u32],
        ages: &[f64],
        conversions: u64,
        value: Fixed,
        nulls: u64,
    ) -> Result<()> {
        self.push_row(ids, conversions, value, nulls)?;
        self.credit_decay(ids, ages, conversions, value);
        Ok(())
    }

    /// Credits time decay for one path's conversions, when the set keeps it.
    fn credit_decay(&mut self, ids: &[u32], ages: &[f64], conversions: u64, value: Fixed) {
        let channels = self.channels.len();
        let Some(decay) = &mut self.decay else {
            return;
        };
        if conversions == 0 {
            return;
        }
        decay.conversions.resize(channels, Fixed::ZERO);
        decay.values.resize(channels, Fixed::ZERO);
        let half_life = secs_f64(decay.half_life);
        // Relative to the youngest touch, so that weights never all
        // underflow; normalising removes the common factor.
        let youngest = ages.iter().copied().fold(f64::INFINITY, f64::min);
        let weight = |age: f64| 0.5f64.powf((age - youngest) / half_life);
        let total: f64 = ages.iter().map(|&a| weight(a)).sum();
        let conv_total = Fixed::from_f64(conversions as f64).unwrap_or_default();
        let value_f = value.to_f64();
        let (mut conv_left, mut value_left) = (conv_total, value);
        let last = ids.len().saturating_sub(1);
        for (k, (&c, &age)) in ids.iter().zip(ages).enumerate() {
            let (dc, dv) = if k == last {
                // The rounding remainder, so the journey's credit sums exactly.
                (conv_left, value_left)
            } else {
                let share = weight(age) / total;
                let dc = Fixed::from_f64(conversions as f64 * share)
                    .unwrap_or_default()
                    .min(conv_left);
                let dv = Fixed::from_f64(value_f * share)
                    .unwrap_or_default()
                    .min(value_left);
                (dc, dv)
            };
            conv_left = conv_left.minus_clamped(dc);
            value_left = value_left.minus_clamped(dv);
            if let Some(x) = decay.conversions.get_mut(c as usize) {
                *x += dc;
            }
            if let Some(x) = decay.values.get_mut(c as usize) {
                *x += dv;
            }
        }
    }
}

/// Sorts `(key, row)` pairs by key, stably (so rows stay ascending within
/// a key): three passes of eleven bits.
fn radix_sort_32(mut v: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut tmp = vec![(0u32, 0u32); v.len()];
    for pass in 0..3 {
        let shift = 11 * pass;
        let digit = |k: u32| ((k >> shift) & 0x7FF) as usize;
        let mut count = vec![0usize; 2049];
        for &(k, _) in &v {
            if let Some(c) = count.get_mut(digit(k) + 1) {
                *c += 1;
            }
        }
        for i in 0..2048 {
            let prev = count.get(i).copied().unwrap_or(0);
            if let Some(c) = count.get_mut(i + 1) {
                *c += prev;
            }
        }
        for &item in &v {
            let d = digit(item.0);
            if let Some(slot) = count.get_mut(d) {
                if let Some(t) = tmp.get_mut(*slot) {
                    *t = item;
                }
                *slot += 1;
            }
        }
        std::mem::swap(&mut v, &mut tmp);
    }
    v
}

/// Path `row`'s channel ids.
#[inline]
fn row_slice<'a>(touches: &'a [u32], starts: &[u32], row: usize) -> &'a [u32] {
    match (starts.get(row), starts.get(row + 1)) {
        (Some(&a), Some(&b)) => touches.get(a as usize..b as usize).unwrap_or(&[]),
        _ => &[],
    }
}

/// The hash of a path's channel ids. Paths of up to 12 touches are hashed
/// as a short byte string (an id below 255 is one byte, others 0xFF and
/// four bytes), which foldhash hashes faster than the `u32`s; longer paths
/// as the `u32`s. A function of the ids alone, as rehashing needs.
#[inline]
fn hash_path(state: &SeededState, ids: &[u32]) -> u64 {
    if ids.len() > 12 {
        return state.hash_one(ids);
    }
    let mut buf = [0u8; 60];
    let mut n = 0;
    for &id in ids {
        if id < 255 {
            if let Some(b) = buf.get_mut(n) {
                *b = id as u8;
            }
            n += 1;
        } else {
            if let Some((first, rest)) = buf.get_mut(n..n + 5).and_then(|b| b.split_first_mut()) {
                *first = 0xFF;
                rest.copy_from_slice(&id.to_le_bytes());
            }
            n += 5;
        }
    }
    state.hash_one(buf.get(..n).unwrap_or(&[]))
}

/// The most value one path carries, also after equal paths add up: 2^53
/// currency units. With at most 2^32 paths, every sum over paths (a model's
/// credit, in units of 10^-12) stays below 2^126, so the models add without
/// overflow checks.
fn max_row_value() -> Fixed {
    MAX_AMOUNT
}

/// Checks a path's accumulated counts and value against the caps.
fn check_row(conversions: u64, value: Fixed, nulls: u64) -> Result<()> {
    if conversions > MAX_COUNT {
        return Err(count_error(
            "conversions of one path (equal paths added up)",
        ));
    }
    if nulls > MAX_COUNT {
        return Err(count_error(
            "non-converting journeys of one path (equal paths added up)",
        ));
    }
    if value > max_row_value() {
        return Err(count_error(
            "conversion value of one path, in currency units (equal paths added up)",
        ));
    }
    Ok(())
}

/// Checks one path's counts and value; the value in fixed point.
pub(crate) fn check_counts(conversions: u64, value: f64, nulls: u64) -> Result<Fixed> {
    // Input counts beyond the cap are bad input, named by value (sums of
    // equal paths beyond it are too much work: `check_row`).
    if conversions > MAX_COUNT {
        return Err(Error::InvalidAmount {
            value: conversions.to_string(),
            reason: "a path's conversions must be at most 2^53",
        });
    }
    if nulls > MAX_COUNT {
        return Err(Error::InvalidAmount {
            value: nulls.to_string(),
            reason: "a path's non-converting journeys must be at most 2^53",
        });
    }
    let fixed = Fixed::from_f64(value).ok_or_else(|| Error::InvalidAmount {
        value: value.to_string(),
        reason: if value.is_nan() || value.is_infinite() {
            "a conversion value must be a finite number"
        } else if value < 0.0 {
            "a conversion value cannot be negative"
        } else {
            "a conversion value must be at most 2^53"
        },
    })?;
    if conversions == 0 && fixed > Fixed::ZERO {
        return Err(Error::InvalidAmount {
            value: value.to_string(),
            reason: "a path without conversions cannot carry conversion value",
        });
    }
    Ok(fixed)
}

/// The serialized form of a path set.
#[derive(Serialize)]
struct PathSetRef<'a> {
    channels: Vec<&'a str>,
    touches: &'a [u32],
    starts: &'a [u32],
    conversions: &'a [u64],
    values: &'a [Fixed],
    nulls: &'a [u64],
    decay: Option<&'a Decay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathSetData {
    channels: Vec<String>,
    touches: Vec<u32>,
    starts: Vec<u32>,
    conversions: Vec<u64>,
    values: Vec<Fixed>,
    nulls: Vec<u64>,
    decay: Option<Decay>,
}

impl Serialize for PathSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        PathSetRef {
            channels: self.channels().collect(),
            touches: &self.touches,
            starts: &self.starts,
            conversions: &self.conversions,
            values: &self.values,
            nulls: &self.nulls,
            decay: self.decay.as_ref(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PathSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let data = PathSetData::deserialize(d)?;
        PathSet::from_data(data).map_err(serde::de::Error::custom)
    }
}

impl PathSet {
    /// Rebuilds a path set from its serialized parts, checking every one.
    fn from_data(data: PathSetData) -> Result<PathSet> {
        let bad = |what: &str| Error::Mismatch {
            expected: "a serialized path set".to_owned(),
            found: what.to_owned(),
        };
        let rows = data.conversions.len();
        if data.values.len() != rows || data.nulls.len() != rows || data.starts.len() != rows + 1 {
            return Err(bad("columns of different lengths"));
        }
        if data.starts.first() != Some(&0)
            || data.starts.last().map(|&s| s as usize) != Some(data.touches.len())
            || data.starts.windows(2).any(|w| w.first() >= w.get(1))
        {
            return Err(bad("path offsets out of order or an empty path"));
        }
        let channels = data.channels.len();
        if data.touches.iter().any(|&c| c as usize >= channels) {
            return Err(bad("a channel id beyond the channel list"));
        }
        let mut set = match &data.decay {
            Some(d) => PathSet::with_time_decay(d.half_life)?,
            None => PathSet::new(),
        };
        for (i, name) in data.channels.iter().enumerate() {
            let id = set.intern(name)?;
            if id as usize != i {
                return Err(bad("a channel listed twice"));
            }
        }
        for (row, w) in data.starts.windows(2).enumerate() {
            let (Some(&a), Some(&b)) = (w.first(), w.get(1)) else {
                continue;
            };
            let ids = data.touches.get(a as usize..b as usize).unwrap_or(&[]);
            let conv = data.conversions.get(row).copied().unwrap_or(0);
            let nulls = data.nulls.get(row).copied().unwrap_or(0);
            let value = data.values.get(row).copied().unwrap_or_default();
            if conv > MAX_COUNT || nulls > MAX_COUNT {
                return Err(bad("a count above 2^53"));
            }
            set.add_ids(ids, conv, value, nulls)?;
        }
        if let (Some(mine), Some(d)) = (&mut set.decay, data.decay) {
            if d.conversions.len() > channels || d.values.len() > channels {
                return Err(bad("time-decay credit for more channels than the list"));
            }
            mine.conversions = d.conversions;
            mine.values = d.values;
            mine.conversions.resize(channels, Fixed::ZERO);
            mine.values.resize(channels, Fixed::ZERO);
            mine.untimed = d.untimed;
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_paths_add_up_and_merge() {
        let mut a = PathSet::new();
        a.add(&["a", "b"], 1, 10.0, 2).unwrap();
        a.add(&["b"], 0, 0.0, 1).unwrap();
        let mut b = PathSet::new();
        b.add(&["b"], 2, 5.5, 0).unwrap();
        b.add(&["c", "a", "b"], 1, 1.0, 0).unwrap();
        a.merge(b).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a.total_conversions(), 4);
        assert_eq!(a.total_nulls(), 3);
        assert_eq!(a.total_value(), 16.5);
        let rows: Vec<(Vec<&str>, u64, f64, u64)> = a
            .paths()
            .map(|p| {
                (
                    p.channels().collect(),
                    p.conversions(),
                    p.value(),
                    p.nulls(),
                )
            })
            .collect();
        assert_eq!(rows[1], (vec!["b"], 2, 5.5, 1));
        let json = serde_json::to_string(&a).unwrap();
        let back: PathSet = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut s = PathSet::new();
        assert!(matches!(
            s.add(&[], 1, 0.0, 0),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            s.add(&[""], 1, 0.0, 0),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            s.add(&["a"], 0, 1.0, 1),
            Err(Error::InvalidAmount { .. })
        ));
        assert!(matches!(
            s.add(&["a"], 1, -1.0, 1),
            Err(Error::InvalidAmount { .. })
        ));
        assert!(matches!(
            s.add(&["a"], 1, f64::NAN, 1),
            Err(Error::InvalidAmount { .. })
        ));
        assert!(matches!(
            s.add(&["a"], MAX_COUNT + 1, 0.0, 0),
            Err(Error::InvalidAmount { .. })
        ));
        assert!(matches!(
            s.add_timed(&["a"], &[], 1, 0.0, 0),
            Err(Error::Mismatch { .. })
        ));
        assert!(matches!(
            s.add_timed(&["a"], &[TimeDelta::seconds(-1)], 1, 0.0, 0),
            Err(Error::TimeOutOfRange { .. })
        ));
        assert!(PathSet::with_time_decay(TimeDelta::zero()).is_err());
        assert!(s.is_empty());
        for bad in [
            r#"{"channels":["a"],"touches":[1],"starts":[0,1],"conversions":[1],"values":["0"],"nulls":[0],"decay":null}"#,
            r#"{"channels":["a","a"],"touches":[0],"starts":[0,1],"conversions":[1],"values":["0"],"nulls":[0],"decay":null}"#,
            r#"{"channels":["a"],"touches":[0],"starts":[0,0,1],"conversions":[1,1],"values":["0","0"],"nulls":[0,0],"decay":null}"#,
            r#"{"channels":["a"],"touches":[0],"starts":[0,1],"conversions":[1],"values":[],"nulls":[0],"decay":null}"#,
        ] {
            assert!(serde_json::from_str::<PathSet>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_decay_credit_sums_to_the_conversions() {
        let mut s = PathSet::with_time_decay(TimeDelta::hours(24)).unwrap();
        s.add_timed(
            &["a", "b", "a"],
            &[
                TimeDelta::hours(48),
                TimeDelta::hours(24),
                TimeDelta::zero(),
            ],
            3,
            70.0,
            1,
        )
        .unwrap();
        let d = s.decay().unwrap();
        let conv: f64 = d.conversions.iter().map(|x| x.to_f64()).sum();
        let value: f64 = d.values.iter().map(|x| x.to_f64()).sum();
        assert_eq!(conv, 3.0);
        assert_eq!(value, 70.0);
        // Weights 1/4, 1/2, 1 of 7/4: a gets 5/7, b 2/7.
        assert!((d.conversions[0].to_f64() - 15.0 / 7.0).abs() < 1e-9);
        assert!((d.values[1].to_f64() - 20.0).abs() < 1e-9);
        let mut plain = PathSet::new();
        plain.add(&["a"], 1, 0.0, 0).unwrap();
        assert!(matches!(
            s.clone().merge(plain),
            Err(Error::Mismatch { .. })
        ));
        assert!(s.merge(PathSet::new()).is_ok());
    }
}
