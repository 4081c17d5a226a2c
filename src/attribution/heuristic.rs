//! The rule-based models: first touch, last touch, last non-direct, linear,
//! position-based and time decay. Each splits every converting path's
//! conversions and value among its touches by a fixed rule; paths without
//! conversions contribute nothing.
//!
//! They reproduce ChannelAttribution's `heuristic_models` (first, last,
//! linear) and mam (`marketing_attribution_models`: position-based and time
//! decay) to rounding; the tests check the reference set.

use serde::{Deserialize, Serialize};

use crate::attribution::credit::{Amounts, Credits, Model, Tally, named};
use crate::attribution::fixed::Fixed;
#[cfg(feature = "csv")]
use crate::attribution::parse::{PushReader, Sink, read_paths_into};
use crate::attribution::paths::PathSet;
use crate::error::{Error, Result};

/// All of a path's credit to its first touch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstTouch;

/// All of a path's credit to its last touch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTouch;

/// All of a path's credit to its last touch that is not the direct channel;
/// a path that is direct all along credits direct.
///
/// ```
/// use cxjourney::attribution::{LastNonDirect, Model, PathSet};
/// let mut paths = PathSet::new();
/// paths.add(&["email", "direct"], 1, 10.0, 0)?;
/// paths.add(&["direct", "direct"], 1, 5.0, 0)?;
/// let credit = LastNonDirect::default().attribute(&paths)?;
/// assert_eq!(credit["email"].conversions, 1.0);
/// assert_eq!(credit["direct"].value, 5.0);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LastNonDirect {
    /// The name of the direct channel (default `"direct"`, the crate's
    /// [`Channel::DIRECT`](crate::Channel::DIRECT)).
    pub direct: String,
}

impl Default for LastNonDirect {
    fn default() -> Self {
        LastNonDirect {
            direct: "direct".to_owned(),
        }
    }
}

/// Equal credit to every touch: `1 / len` each, where `len` counts repeated
/// touches (a channel touched twice in a path of four gets 2/4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linear;

/// Credit by position: a share to the first touch, a share to the last, the
/// rest split evenly over the touches between (40/20/40 by default, mam's
/// `run_position_based`). A path of one touch gives it everything; a path
/// of two splits between them in the ratio of the first and last shares
/// (50/50 by default). Credit is by position, so a channel's repeated
/// touches add up.
///
/// ```
/// use cxjourney::attribution::{Model, PathSet, PositionBased};
/// let mut paths = PathSet::new();
/// paths.add(&["a", "b", "c", "a"], 10, 100.0, 0)?;
/// let credit = PositionBased::default().attribute(&paths)?;
/// assert!((credit["a"].conversions - 8.0).abs() < 1e-9); // 40% + 40%
/// assert!((credit["b"].value - 10.0).abs() < 1e-9);      // 20% / 2
/// let first_heavy = PositionBased::new(0.6, 0.2, 0.2)?;
/// assert!((first_heavy.attribute(&paths)?["a"].conversions - 8.0).abs() < 1e-9);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PositionWeights", into = "PositionWeights")]
pub struct PositionBased {
    first: f64,
    middle: f64,
    last: f64,
}

/// The serialized form of [`PositionBased`], checked when read.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionWeights {
    first: f64,
    middle: f64,
    last: f64,
}

impl TryFrom<PositionWeights> for PositionBased {
    type Error = Error;
    fn try_from(w: PositionWeights) -> Result<Self> {
        PositionBased::new(w.first, w.middle, w.last)
    }
}

impl From<PositionBased> for PositionWeights {
    fn from(p: PositionBased) -> Self {
        PositionWeights {
            first: p.first,
            middle: p.middle,
            last: p.last,
        }
    }
}

impl Default for PositionBased {
    /// 40% first, 20% middle, 40% last (mam's default, and the common
    /// "U-shaped" model).
    fn default() -> Self {
        PositionBased {
            first: 0.4,
            middle: 0.2,
            last: 0.4,
        }
    }
}

impl PositionBased {
    /// The shares of the first touch, the touches between, and the last
    /// touch.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless every share is finite, at least 0,
    /// and the three add up to 1 (within 1e-9).
    pub fn new(first: f64, middle: f64, last: f64) -> Result<PositionBased> {
        for (field, x) in [
            ("position_based.first", first),
            ("position_based.middle", middle),
            ("position_based.last", last),
        ] {
            if !(x.is_finite() && x >= 0.0) {
                return Err(Error::InvalidConfig {
                    field,
                    value: x.to_string(),
                    reason: "a position share must be a finite number of at least 0",
                });
            }
        }
        let sum = first + middle + last;
        if (sum - 1.0).abs() > 1e-9 {
            return Err(Error::InvalidConfig {
                field: "position_based",
                value: format!("{first} + {middle} + {last} = {sum}"),
                reason: "the first, middle and last shares must add up to 1",
            });
        }
        Ok(PositionBased {
            first,
            middle,
            last,
        })
    }

    /// The first touch's share.
    #[must_use]
    pub fn first(&self) -> f64 {
        self.first
    }

    /// The share split over the touches between the first and the last.
    #[must_use]
    pub fn middle(&self) -> f64 {
        self.middle
    }

    /// The last touch's share.
    #[must_use]
    pub fn last(&self) -> f64 {
        self.last
    }

    /// The share of touch `k` of a path of `len` touches.
    fn share(&self, k: usize, len: usize) -> f64 {
        match len {
            0 | 1 => 1.0,
            2 => {
                let ends = self.first + self.last;
                if ends <= 0.0 {
                    0.5
                } else if k == 0 {
                    self.first / ends
                } else {
                    self.last / ends
                }
            }
            _ if k == 0 => self.first,
            _ if k + 1 == len => self.last,
            _ => self.middle / (len - 2) as f64,
        }
    }
}

/// Credit by recency: touch `k` gets the weight `0.5^(age_k / half_life)`,
/// normalised within its journey, where `age_k` is the time from the touch
/// to the conversion (mam's `run_time_decay`).
///
/// Weights need each journey's touch times, so the credit is accumulated
/// while paths are added: the half-life is the path set's
/// ([`PathSet::with_time_decay`]; 7 days by default in
/// [`AttributionConfig`](crate::attribution::AttributionConfig)).
///
/// # Errors
/// [`Error::InvalidConfig`] when the path set has no touch times (it was
/// not made with a half-life) or some of its conversions were added without
/// them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeDecay;

/// Every rule-based model at once, in one pass over the paths: what
/// [`AttributionReport`](crate::attribution::AttributionReport) uses, and
/// the fast way to get them all (each model alone reads every path once).
///
/// ```
/// use cxjourney::attribution::{LastNonDirect, Model, PathSet, PositionBased, RuleBased, Linear};
/// let mut paths = PathSet::new();
/// paths.add(&["social", "direct", "email"], 3, 90.0, 2)?;
/// let all = RuleBased::attribute(&paths, &LastNonDirect::default(), &PositionBased::default())?;
/// assert_eq!(all.linear, Linear.attribute(&paths)?);
/// assert_eq!(all.last_non_direct["email"].conversions, 3.0);
/// assert!(all.time_decay.is_none()); // no touch times
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RuleBased {
    /// The conversions shared out.
    pub conversions: u64,
    /// Their value.
    pub value: f64,
    /// The journeys that did not convert.
    pub nulls: u64,
    /// [`FirstTouch`].
    pub first_touch: Credits,
    /// [`LastTouch`].
    pub last_touch: Credits,
    /// [`LastNonDirect`].
    pub last_non_direct: Credits,
    /// [`Linear`].
    pub linear: Credits,
    /// [`PositionBased`].
    pub position_based: Credits,
    /// [`TimeDecay`], when every conversion came with touch times.
    pub time_decay: Option<Credits>,
}

impl RuleBased {
    /// Every rule-based model's credit, with the given last-non-direct and
    /// position-based settings; equal to running each model alone.
    ///
    /// # Errors
    /// None at present; `Result` for symmetry with the models.
    pub fn attribute(
        paths: &PathSet,
        last_non_direct: &LastNonDirect,
        position: &PositionBased,
    ) -> Result<RuleBased> {
        let direct = paths
            .channels()
            .position(|c| c == last_non_direct.direct)
            .map(|i| i as u32);
        let rows = paths.len();
        // Large sets on two threads; the sums are exact, so the split does
        // not change the result.
        let [first, last, lnd, linear, pos] = if rows >= 20_000 {
            let half = rows / 2;
            let (mut a, b) = std::thread::scope(|s| {
                let h = s.spawn(|| rule_tallies(paths, half..rows, direct, position));
                let a = rule_tallies(paths, 0..half, direct, position);
                (a, h.join())
            });
            let b = b.map_err(|_| Error::NumericFailure {
                what: "a rule-based model's thread panicked".to_owned(),
            })?;
            for (x, y) in a.iter_mut().zip(&b) {
                x.absorb(y);
            }
            a
        } else {
            rule_tallies(paths, 0..rows, direct, position)
        };
        Ok(RuleBased {
            conversions: paths.total_conversions(),
            value: paths.total_value(),
            nulls: paths.total_nulls(),
            first_touch: first.into_credits(paths),
            last_touch: last.into_credits(paths),
            last_non_direct: lnd.into_credits(paths),
            linear: linear.into_credits(paths),
            position_based: pos.into_credits(paths),
            time_decay: TimeDecay.attribute(paths).ok(),
        })
    }
}

/// First touch, last touch, last non-direct, linear and position-based
/// tallies of a range of paths.
fn rule_tallies(
    paths: &PathSet,
    range: std::ops::Range<usize>,
    direct: Option<u32>,
    position: &PositionBased,
) -> [Tally; 5] {
    let n = paths.channel_count();
    let mut tallies = [(); 5].map(|()| Tally::new(n));
    for (ids, conv, value, _) in paths.rows_in(range) {
        tally_row(&mut tallies, ids, conv, value, direct, position);
    }
    tallies
}

/// One path into the first touch, last touch, last non-direct, linear and
/// position-based tallies.
#[inline]
fn tally_row(
    tallies: &mut [Tally; 5],
    ids: &[u32],
    conv: u64,
    value: Fixed,
    direct: Option<u32>,
    position: &PositionBased,
) {
    let [first, last, lnd, linear, pos] = tallies;
    if conv == 0 {
        return;
    }
    {
        let amounts = Amounts::new(conv, value);
        let conv = amounts.conv;
        let (Some(&head), Some(&tail)) = (ids.first(), ids.last()) else {
            return;
        };
        first.whole(head, conv, value);
        last.whole(tail, conv, value);
        let pick = ids
            .iter()
            .rev()
            .find(|&&c| Some(c) != direct)
            .copied()
            .unwrap_or(tail);
        lnd.whole(pick, conv, value);
        let len = ids.len();
        if len > 2 {
            // Linear and position-based together, in one loop over the
            // touches.
            Tally::split_linear_and_ends(
                linear,
                pos,
                ids,
                amounts,
                position.share(0, len),
                position.share(1, len),
            );
        } else {
            linear.split_equal(ids, amounts);
            pos.split_ends(ids, amounts, position.share(0, len), 0.0);
        }
    }
}

#[cfg(feature = "csv")]
/// The rule-based models fed straight from a path file's rows, keeping
/// nothing but the tallies (see [`RuleBased::parse_csv`]).
struct RuleSink {
    names: PathSet,
    direct_name: String,
    direct: Option<u32>,
    position: PositionBased,
    tallies: [Tally; 5],
}

#[cfg(feature = "csv")]
impl RuleSink {
    fn new(direct_name: &str, position: PositionBased) -> RuleSink {
        RuleSink {
            names: PathSet::new(),
            direct_name: direct_name.to_owned(),
            direct: None,
            position,
            tallies: [(); 5].map(|()| Tally::new(0)),
        }
    }
}

#[cfg(feature = "csv")]
impl Sink for RuleSink {
    fn intern(&mut self, name: &str) -> Result<u32> {
        let id = self.names.intern(name)?;
        if name == self.direct_name {
            self.direct = Some(id);
        }
        let n = self.names.channel_count();
        for t in &mut self.tallies {
            t.grow(n);
        }
        Ok(id)
    }

    #[inline]
    fn row(&mut self, ids: &[u32], conversions: u64, value: Fixed, nulls: u64) -> Result<()> {
        self.names.count_totals(conversions, value, nulls);
        tally_row(
            &mut self.tallies,
            ids,
            conversions,
            value,
            self.direct,
            &self.position,
        );
        Ok(())
    }

    fn empty_like(&self) -> Self {
        RuleSink::new(&self.direct_name, self.position)
    }

    fn absorb(&mut self, later: Self) -> Result<()> {
        let map: Vec<u32> = later
            .names
            .channels()
            .map(|name| self.intern(name))
            .collect::<Result<_>>()?;
        for (mine, theirs) in self.tallies.iter_mut().zip(&later.tallies) {
            mine.absorb_mapped(theirs, &map);
        }
        self.names.count_totals(
            later.names.total_conversions(),
            later.names.total_value_fixed(),
            later.names.total_nulls(),
        );
        Ok(())
    }
}

#[cfg(feature = "csv")]
impl RuleBased {
    /// Every rule-based model straight from a path file in
    /// ChannelAttribution's format (as [`PathSet::parse_csv`] reads it),
    /// without keeping the paths: the fast way when only these models are
    /// wanted. The same credits as parsing the paths and calling
    /// [`RuleBased::attribute`] (exactly for a file of distinct paths; a
    /// path on several rows is split row by row, which can differ by
    /// 10^-12 per row). Time decay is absent: a path file has no touch
    /// times.
    ///
    /// ```
    /// use cxjourney::attribution::{LastNonDirect, PathSet, PositionBased, RuleBased};
    /// let csv = "path,total_conversions,total_conversion_value,total_null\n\
    ///            social > direct,2,50.00,3\n\
    ///            search,1,20.00,4\n";
    /// let (lnd, pos) = (LastNonDirect::default(), PositionBased::default());
    /// let streamed = RuleBased::parse_csv(csv.as_bytes(), &lnd, &pos)?;
    /// let kept = RuleBased::attribute(&PathSet::parse_csv(csv.as_bytes())?, &lnd, &pos)?;
    /// assert_eq!(streamed, kept);
    /// assert_eq!(streamed.last_non_direct["social"].conversions, 2.0);
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`PathSet::parse_csv`].
    pub fn parse_csv(
        data: &[u8],
        last_non_direct: &LastNonDirect,
        position: &PositionBased,
    ) -> Result<RuleBased> {
        let sink = read_paths_into(data, RuleSink::new(&last_non_direct.direct, *position))?;
        Ok(sink.into_rule_based())
    }
}

#[cfg(feature = "csv")]
impl RuleSink {
    fn into_rule_based(self) -> RuleBased {
        let RuleSink { names, tallies, .. } = self;
        let [first, last, lnd, linear, pos] = tallies;
        RuleBased {
            conversions: names.total_conversions(),
            value: names.total_value(),
            nulls: names.total_nulls(),
            first_touch: first.into_credits(&names),
            last_touch: last.into_credits(&names),
            last_non_direct: lnd.into_credits(&names),
            linear: linear.into_credits(&names),
            position_based: pos.into_credits(&names),
            time_decay: None,
        }
    }
}

#[cfg(feature = "csv")]
/// The rule-based models of a path file read in pieces, keeping nothing
/// but the tallies ([`RuleBased::parse_csv`] for a file that arrives in
/// pieces, or one larger than memory).
///
/// ```
/// use cxjourney::attribution::{LastNonDirect, PositionBased, RuleBased, RuleBasedReader};
/// let csv = "path,total_conversions,total_conversion_value,total_null\n\
///            social > direct,2,50.00,3\nsearch,1,20.00,4\n";
/// let (lnd, pos) = (LastNonDirect::default(), PositionBased::default());
/// let mut reader = RuleBasedReader::new(&lnd, &pos);
/// for piece in csv.as_bytes().chunks(5) {
///     reader.push(piece)?;
/// }
/// assert_eq!(reader.finish()?, RuleBased::parse_csv(csv.as_bytes(), &lnd, &pos)?);
/// # Ok::<(), cxjourney::Error>(())
/// ```
pub struct RuleBasedReader(PushReader<RuleSink>);

#[cfg(feature = "csv")]
impl std::fmt::Debug for RuleBasedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleBasedReader").finish_non_exhaustive()
    }
}

#[cfg(feature = "csv")]
impl RuleBasedReader {
    /// A reader at the start of a file, with the given last-non-direct and
    /// position-based settings.
    #[must_use]
    pub fn new(last_non_direct: &LastNonDirect, position: &PositionBased) -> RuleBasedReader {
        RuleBasedReader(PushReader::new(RuleSink::new(
            &last_non_direct.direct,
            *position,
        )))
    }

    /// Reads the next piece of the file (any size; pieces in order).
    ///
    /// # Errors
    /// As [`PathSet::parse_csv`], for the lines completed so far.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.0.push(bytes)
    }

    /// Every rule-based model's credit, after the last piece.
    ///
    /// # Errors
    /// As [`PathSet::parse_csv`].
    pub fn finish(self) -> Result<RuleBased> {
        Ok(self.0.finish()?.into_rule_based())
    }

    /// The credit of a file read in consecutive parts, each by its own
    /// reader (so parts can be read at once, on several threads): every
    /// reader after the first is given the file's header line first, then
    /// its part, which starts at the beginning of a line. The sums are
    /// exact, so the result is the one reader's. A later part's errors
    /// count lines from its own start (its header line is line 1).
    ///
    /// ```
    /// use cxjourney::attribution::{LastNonDirect, PositionBased, RuleBased, RuleBasedReader};
    /// let header = "path,total_conversions,total_conversion_value,total_null\n";
    /// let (a, b) = ("social > direct,2,50.00,3\n", "search,1,20.00,4\n");
    /// let (lnd, pos) = (LastNonDirect::default(), PositionBased::default());
    /// let mut first = RuleBasedReader::new(&lnd, &pos);
    /// first.push(header.as_bytes())?;
    /// first.push(a.as_bytes())?;
    /// let mut second = RuleBasedReader::new(&lnd, &pos);
    /// second.push(header.as_bytes())?;
    /// second.push(b.as_bytes())?;
    /// let whole = RuleBased::parse_csv(format!("{header}{a}{b}").as_bytes(), &lnd, &pos)?;
    /// assert_eq!(RuleBasedReader::finish_parts(vec![first, second])?, whole);
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for no reader; as [`RuleBasedReader::finish`].
    pub fn finish_parts(parts: Vec<RuleBasedReader>) -> Result<RuleBased> {
        let mut sinks = parts.into_iter().map(|r| r.0.finish());
        let Some(first) = sinks.next() else {
            return Err(Error::EmptyInput {
                what: "parts of a path file",
            });
        };
        let mut total = first?;
        for sink in sinks {
            total.absorb(sink?)?;
        }
        Ok(total.into_rule_based())
    }
}

/// Runs `credit(ids, amounts, tally)` over every converting path.
fn tally(paths: &PathSet, mut credit: impl FnMut(&[u32], Amounts, &mut Tally)) -> Credits {
    let mut t = Tally::new(paths.channel_count());
    for (ids, conv, value, _) in paths.rows() {
        if conv == 0 {
            continue;
        }
        credit(ids, Amounts::new(conv, value), &mut t);
    }
    t.into_credits(paths)
}

impl Model for FirstTouch {
    fn name(&self) -> &'static str {
        "first_touch"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        Ok(tally(paths, |ids, a, t| {
            if let Some(&c) = ids.first() {
                t.whole(c, a.conv, a.value);
            }
        }))
    }
}

impl Model for LastTouch {
    fn name(&self) -> &'static str {
        "last_touch"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        Ok(tally(paths, |ids, a, t| {
            if let Some(&c) = ids.last() {
                t.whole(c, a.conv, a.value);
            }
        }))
    }
}

impl Model for LastNonDirect {
    fn name(&self) -> &'static str {
        "last_non_direct"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        let direct = paths
            .channels()
            .position(|c| c == self.direct)
            .map(|i| i as u32);
        Ok(tally(paths, |ids, a, t| {
            let pick = ids
                .iter()
                .rev()
                .find(|&&c| Some(c) != direct)
                .or(ids.last());
            if let Some(&c) = pick {
                t.whole(c, a.conv, a.value);
            }
        }))
    }
}

impl Model for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        Ok(tally(paths, |ids, a, t| t.split_equal(ids, a)))
    }
}

impl Model for PositionBased {
    fn name(&self) -> &'static str {
        "position_based"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        Ok(tally(paths, |ids, a, t| {
            let len = ids.len();
            let middle = if len > 2 { self.share(1, len) } else { 0.0 };
            t.split_ends(ids, a, self.share(0, len), middle);
        }))
    }
}

impl Model for TimeDecay {
    fn name(&self) -> &'static str {
        "time_decay"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        let Some(decay) = paths.decay() else {
            return Err(Error::InvalidConfig {
                field: "time_decay",
                value: "paths without touch times".to_owned(),
                reason: "time decay needs touch times: build the paths with a half-life (PathSet::with_time_decay, parse_journeys_csv, or from journeys)",
            });
        };
        if decay.untimed > 0 {
            return Err(Error::InvalidConfig {
                field: "time_decay",
                value: format!("{} conversions without touch times", decay.untimed),
                reason: "time decay needs the touch times of every converting journey",
            });
        }
        let get = |v: &[Fixed], c: u32| v.get(c as usize).copied().unwrap_or_default().to_f64();
        Ok(named(paths, |c| crate::attribution::credit::Credit {
            conversions: get(&decay.conversions, c),
            value: get(&decay.values, c),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_rules() {
        let p = PositionBased::default();
        assert_eq!(p.share(0, 1), 1.0);
        assert_eq!((p.share(0, 2), p.share(1, 2)), (0.5, 0.5));
        assert_eq!(
            (p.share(0, 4), p.share(1, 4), p.share(3, 4)),
            (0.4, 0.1, 0.4)
        );
        let q = PositionBased::new(0.0, 1.0, 0.0).unwrap();
        assert_eq!(q.share(0, 2), 0.5);
        assert!(PositionBased::new(0.5, 0.5, 0.5).is_err());
        assert!(PositionBased::new(-0.1, 0.6, 0.5).is_err());
        assert!(PositionBased::new(f64::NAN, 0.5, 0.5).is_err());
        assert!(
            serde_json::from_str::<PositionBased>(r#"{"first":0.9,"middle":0.9,"last":0}"#)
                .is_err()
        );
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<PositionBased>(&json).unwrap(), p);
    }

    #[test]
    fn time_decay_needs_times() {
        let mut paths = PathSet::new();
        paths.add(&["a"], 1, 1.0, 0).unwrap();
        assert!(TimeDecay.attribute(&paths).is_err());
        let mut timed = PathSet::with_time_decay(chrono::TimeDelta::days(7)).unwrap();
        timed.add(&["a"], 1, 1.0, 0).unwrap();
        assert!(TimeDecay.attribute(&timed).is_err());
    }
}
