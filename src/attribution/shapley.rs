//! Shapley-value attribution: the simplified formula of Zhao, Mahboobi and
//! Bagheri (2018), the classic value over every coalition of channels, and
//! their ordered variant.
//!
//! A path's *channel set* is the set of distinct channels it touched. With
//! `R(T)` the conversions (or value) of the paths whose channel set is
//! exactly `T`, the game "conversions of the journeys that used only
//! channels in S", `v(S) = sum over T ⊆ S of R(T)`, has the Shapley value
//! `phi_j = sum over T ∋ j of R(T) / |T|` (Zhao et al., eq. 6): each
//! converting path's credit split equally over its distinct channels. That
//! is [`SimplifiedShapley`]; [`Shapley`] computes the classic value over all
//! `2^n` coalitions (so the two agree for that game, which the tests check)
//! and offers a second game that also counts the journeys that did not
//! convert.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::attribution::credit::{Amounts, Credit, Credits, Model, Tally, named};
use crate::attribution::fixed::Fixed;
use crate::attribution::paths::PathSet;
use crate::error::{Error, Result};

/// The most channels [`Shapley`] takes (its work and memory grow as `2^n`).
pub const MAX_SHAPLEY_CHANNELS: usize = 20;

/// Zhao, Mahboobi and Bagheri's simplified Shapley value: each converting
/// path's conversions and value split equally over its distinct channels
/// (a channel touched twice counts once). Exactly the classic Shapley value
/// of the game `v(S)` = conversions of the journeys whose channels all lie
/// in `S`, for any number of channels.
///
/// ```
/// use cxjourney::attribution::{Model, PathSet, SimplifiedShapley};
/// let mut paths = PathSet::new();
/// paths.add(&["a", "b", "a"], 4, 40.0, 0)?;
/// let credit = SimplifiedShapley.attribute(&paths)?;
/// assert_eq!(credit["a"].conversions, 2.0);
/// assert_eq!(credit["b"].value, 20.0);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimplifiedShapley;

/// The characteristic function of [`Shapley`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapleyGame {
    /// `v(S)` = the conversions (value) of the journeys whose channels all
    /// lie in `S` (the default: Zhao et al.'s game). Its Shapley value is
    /// [`SimplifiedShapley`]'s; a channel on no converting path gets 0.
    #[default]
    Conversions,
    /// `v(S)` = the conversions (value) per journey among the journeys whose
    /// channels all lie in `S` (0 when there are none): a channel that
    /// brings journeys that do not convert lowers the coalitions it joins.
    /// The values are scaled by the number of journeys, so the credit adds
    /// up to the conversions (value); a channel's credit can be negative.
    ConversionRate,
}

/// The classic Shapley value over all `2^n` coalitions of the `n`
/// channels, with `v` given by [`ShapleyGame`]. The coalition values come
/// from the paths' channel sets (a bit mask per path) by a sum over subsets
/// (the zeta transform), `O(n 2^n)`; at most [`MAX_SHAPLEY_CHANNELS`]
/// channels.
///
/// ```
/// use cxjourney::attribution::{Model, PathSet, Shapley, ShapleyGame, SimplifiedShapley};
/// let mut paths = PathSet::new();
/// paths.add(&["a", "b"], 5, 50.0, 5)?;
/// paths.add(&["a"], 1, 10.0, 9)?;
/// paths.add(&["b"], 4, 20.0, 6)?;
/// let exact = Shapley::default().attribute(&paths)?; // the conversions game
/// let simple = SimplifiedShapley.attribute(&paths)?;
/// assert!((exact["a"].conversions - simple["a"].conversions).abs() < 1e-12);
/// let rate = Shapley { game: ShapleyGame::ConversionRate }.attribute(&paths)?;
/// let total: f64 = rate.values().map(|c| c.conversions).sum();
/// assert!((total - 10.0).abs() < 1e-12);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// [`Error::TooMuchWork`] for more than [`MAX_SHAPLEY_CHANNELS`] channels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shapley {
    /// The characteristic function (default [`ShapleyGame::Conversions`]).
    pub game: ShapleyGame,
}

/// The ordered Shapley value of Zhao et al.: the simplified Shapley credit
/// of each channel, split by the position at which the channel first
/// appears in the path (1 = the path's first channel). Summed over the
/// positions it is [`SimplifiedShapley`].
///
/// ```
/// use cxjourney::attribution::{OrderedShapley, PathSet};
/// let mut paths = PathSet::new();
/// paths.add(&["a", "b"], 2, 20.0, 0)?;
/// paths.add(&["b", "a", "b"], 2, 10.0, 0)?;
/// let by_position = OrderedShapley.positions(&paths)?;
/// assert_eq!(by_position["a"][0].conversions, 1.0); // first in one path
/// assert_eq!(by_position["a"][1].conversions, 1.0); // second in the other
/// assert_eq!(by_position["b"][1].value, 10.0);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedShapley;

/// The distinct channels of a path in order of first touch, without
/// allocating per path.
struct Distinct {
    stamp: Vec<u32>,
    generation: u32,
    out: Vec<u32>,
}

impl Distinct {
    fn new(channels: usize) -> Distinct {
        Distinct {
            stamp: vec![0; channels],
            generation: 0,
            out: Vec::new(),
        }
    }

    fn of(&mut self, ids: &[u32]) -> &[u32] {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.out.clear();
        for &c in ids {
            if let Some(s) = self.stamp.get_mut(c as usize) {
                if *s != self.generation {
                    *s = self.generation;
                    self.out.push(c);
                }
            }
        }
        &self.out
    }
}

impl Model for SimplifiedShapley {
    fn name(&self) -> &'static str {
        "shapley"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        let mut t = Tally::new(paths.channel_count());
        let mut distinct = Distinct::new(paths.channel_count());
        for (ids, conv, value, _) in paths.rows() {
            if conv == 0 {
                continue;
            }
            t.split_equal(distinct.of(ids), Amounts::new(conv, value));
        }
        Ok(t.into_credits(paths))
    }
}

impl OrderedShapley {
    /// Each channel's credit by the position of its first touch: index 0 is
    /// position 1. Every channel's list has the same length, the most
    /// distinct channels of any converting path.
    ///
    /// # Errors
    /// None at present; `Result` for symmetry with the other models.
    pub fn positions(&self, paths: &PathSet) -> Result<IndexMap<String, Vec<Credit>>> {
        // (channel, position) -> exact sums; sparse, since few channels
        // reach late positions.
        let mut sums: BTreeMap<(u32, u32), (Fixed, Fixed)> = BTreeMap::new();
        let mut distinct = Distinct::new(paths.channel_count());
        let mut deepest = 0usize;
        for (ids, conv, value, _) in paths.rows() {
            if conv == 0 {
                continue;
            }
            let set = distinct.of(ids);
            deepest = deepest.max(set.len());
            let share = 1.0 / set.len() as f64;
            let conv = Fixed::count(conv);
            let (conv_f, value_f) = (conv.to_f64(), value.to_f64());
            let (mut conv_left, mut value_left) = (conv, value);
            let last = set.len().saturating_sub(1);
            for (pos, &c) in set.iter().enumerate() {
                let (dc, dv) = if pos == last {
                    (conv_left, value_left)
                } else {
                    (
                        Fixed::from_share(conv_f * share).min(conv_left),
                        Fixed::from_share(value_f * share).min(value_left),
                    )
                };
                conv_left = conv_left.minus_clamped(dc);
                value_left = value_left.minus_clamped(dv);
                let e = sums.entry((c, pos as u32)).or_default();
                e.0 += dc;
                e.1 += dv;
            }
        }
        Ok(named(paths, |c| {
            (0..deepest as u32)
                .map(|pos| {
                    let (dc, dv) = sums.get(&(c, pos)).copied().unwrap_or_default();
                    Credit {
                        conversions: dc.to_f64(),
                        value: dv.to_f64(),
                    }
                })
                .collect()
        }))
    }
}

impl Model for Shapley {
    fn name(&self) -> &'static str {
        "shapley_exact"
    }

    fn attribute(&self, paths: &PathSet) -> Result<Credits> {
        let n = paths.channel_count();
        if n > MAX_SHAPLEY_CHANNELS {
            return Err(Error::TooMuchWork {
                what: "channels for the exact Shapley value over all coalitions (use SimplifiedShapley, or merge channels)",
                limit: MAX_SHAPLEY_CHANNELS as u64,
            });
        }
        // Bits by channel name, so the sums run in a canonical order.
        let ranks = paths.name_ranks();
        let size = 1usize << n;
        let mut conv = vec![0.0f64; size];
        let mut value = vec![0.0f64; size];
        let mut journeys = vec![0.0f64; size];
        // R(T): exact per mask first, then floats.
        let mut exact: BTreeMap<u32, (u128, Fixed, u128)> = BTreeMap::new();
        for (ids, c, v, nulls) in paths.rows() {
            let mask = ids.iter().fold(0u32, |m, &id| {
                m | 1u32 << ranks.get(id as usize).copied().unwrap_or(0)
            });
            let e = exact.entry(mask).or_default();
            e.0 += u128::from(c);
            e.1 += v;
            e.2 += u128::from(c) + u128::from(nulls);
        }
        for (mask, (c, v, j)) in exact {
            let m = mask as usize;
            if let Some(x) = conv.get_mut(m) {
                *x = c as f64;
            }
            if let Some(x) = value.get_mut(m) {
                *x = v.to_f64();
            }
            if let Some(x) = journeys.get_mut(m) {
                *x = j as f64;
            }
        }
        for table in [&mut conv, &mut value, &mut journeys] {
            zeta(table, n);
        }
        let total_journeys = journeys.last().copied().unwrap_or(0.0);
        if self.game == ShapleyGame::ConversionRate {
            for ((c, v), &j) in conv.iter_mut().zip(value.iter_mut()).zip(&journeys) {
                if j > 0.0 {
                    *c /= j;
                    *v /= j;
                } else {
                    *c = 0.0;
                    *v = 0.0;
                }
            }
        }
        let scale = match self.game {
            ShapleyGame::Conversions => 1.0,
            ShapleyGame::ConversionRate => total_journeys,
        };
        // Shapley weights by coalition size: |S|! (n - |S| - 1)! / n!.
        let weights: Vec<f64> = (0..n)
            .map(|k| 1.0 / (n as f64 * binomial(n - 1, k)))
            .collect();
        let by_rank: Vec<Credit> = (0..n)
            .map(|j| {
                let bit = 1usize << j;
                let mut acc_c = vec![0.0f64; n];
                let mut acc_v = vec![0.0f64; n];
                for s in 0..size {
                    if s & bit != 0 {
                        continue;
                    }
                    let k = s.count_ones() as usize;
                    let dc = conv.get(s | bit).copied().unwrap_or(0.0)
                        - conv.get(s).copied().unwrap_or(0.0);
                    let dv = value.get(s | bit).copied().unwrap_or(0.0)
                        - value.get(s).copied().unwrap_or(0.0);
                    if let Some(a) = acc_c.get_mut(k) {
                        *a += dc;
                    }
                    if let Some(a) = acc_v.get_mut(k) {
                        *a += dv;
                    }
                }
                let dot = |acc: &[f64]| acc.iter().zip(&weights).map(|(a, w)| a * w).sum::<f64>();
                Credit {
                    conversions: dot(&acc_c) * scale,
                    value: dot(&acc_v) * scale,
                }
            })
            .collect();
        Ok(named(paths, |id| {
            let r = ranks.get(id as usize).copied().unwrap_or(0) as usize;
            by_rank.get(r).copied().unwrap_or_default()
        }))
    }
}

/// Sum over subsets in place: `f[S] = sum over T ⊆ S of f[T]`.
fn zeta(f: &mut [f64], n: usize) {
    for i in 0..n {
        let bit = 1usize << i;
        for s in 0..f.len() {
            if s & bit != 0 {
                let below = f.get(s ^ bit).copied().unwrap_or(0.0);
                if let Some(x) = f.get_mut(s) {
                    *x += below;
                }
            }
        }
    }
}

/// `C(n, k)` as a float.
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n.saturating_sub(k));
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials_and_zeta() {
        assert_eq!(binomial(19, 0), 1.0);
        assert_eq!(binomial(19, 19), 1.0);
        assert_eq!(binomial(5, 2), 10.0);
        let mut f = vec![1.0, 2.0, 3.0, 4.0];
        zeta(&mut f, 2);
        assert_eq!(f, [1.0, 3.0, 4.0, 10.0]);
    }

    #[test]
    fn too_many_channels_is_an_error() {
        let mut paths = PathSet::new();
        let names: Vec<String> = (0..=MAX_SHAPLEY_CHANNELS)
            .map(|i| format!("c{i}"))
            .collect();
        for n in &names {
            paths.add(&[n.as_str()], 1, 1.0, 0).unwrap();
        }
        assert!(matches!(
            Shapley::default().attribute(&paths),
            Err(Error::TooMuchWork { .. })
        ));
        assert_eq!(SimplifiedShapley.attribute(&paths).unwrap().len(), 21);
    }
}
