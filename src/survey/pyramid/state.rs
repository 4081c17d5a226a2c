//! The accumulator's serializable state: the setup and the integer totals,
//! in a canonical form (histogram copies folded, the row buffer flushed), so
//! two accumulators over the same rows serialize to the same bytes; and the
//! exact fixed-point sums of the CX index.

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::accumulator::PyramidAccumulator;
use super::columns::{HIST_COPIES, ScopeSums};
use super::config::PyramidSetup;

use crate::error::{Error, Result};
use crate::numeric::stats::Moments;

/// Respondents' index values are summed in fixed point with this many units
/// per index point (2^40, a resolution of about 1e-12 on the 0-100 scale), so
/// that the sums are integers and merges are exact.
const INDEX_SCALE: f64 = 1_099_511_627_776.0;

/// The largest number of rows a state may hold, deserialized or merged
/// (2^48): it keeps every total the report adds up far from `u64` overflow.
pub(super) const MAX_ROWS: u64 = 1 << 48;

/// Exact sums of the respondents' CX index values, in fixed point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IndexSums {
    /// Respondents with an index.
    pub(super) n: u64,
    /// Sum of `round(index * 2^40)`.
    #[serde(with = "u128_text")]
    pub(super) sum: u128,
    /// Sum of its squares.
    #[serde(with = "u128_text")]
    pub(super) sum_sq: u128,
}

/// One respondent's index in fixed point: `round(index * 2^40)`, the index
/// capped at 100 first (it is a weighted mean of 0-100 scores with weights
/// >= 0, so only rounding can take it above 100, and nothing below 0).
#[inline]
pub(super) fn index_code(index: f64) -> u64 {
    // Exact scaling by a power of two; +0.5 is exact below 2^52. The cast
    // goes through i64 (one instruction; the value is 0..2^47). NaN
    // (impossible) gives 0.
    // The selects compile to one `maxsd` and one `minsd`.
    let positive = if index > 0.0 { index } else { 0.0 };
    let capped = if positive < 100.0 { positive } else { 100.0 };
    (capped * INDEX_SCALE + 0.5) as i64 as u64
}

impl IndexSums {
    /// Adds the sums of a chunk.
    pub(super) fn add(&mut self, n: u64, sum: u128, sum_sq: u128) -> Result<()> {
        let overflow = || Error::NumericFailure {
            what: "the CX index sums overflow (more than 2^34 respondents in one accumulator)"
                .into(),
        };
        self.n = self.n.checked_add(n).ok_or_else(overflow)?;
        self.sum = self.sum.checked_add(sum).ok_or_else(overflow)?;
        self.sum_sq = self.sum_sq.checked_add(sum_sq).ok_or_else(overflow)?;
        Ok(())
    }

    /// The moments of the index values, from the exact sums: with
    /// `sum = a n + r`, the sum of squared deviations is
    /// `sum_sq - a^2 n - 2 a r - r^2 / n`, all but the last term in integers.
    pub(super) fn moments(&self) -> Moments {
        if self.n == 0 {
            return Moments::default();
        }
        let n = u128::from(self.n);
        let (a, r) = (self.sum / n, self.sum % n);
        let d = a
            .checked_mul(a)
            .and_then(|a2| a2.checked_mul(n))
            .and_then(|a2n| a.checked_mul(r).and_then(|ar| a2n.checked_add(2 * ar)))
            .and_then(|c| self.sum_sq.checked_sub(c))
            .unwrap_or(0);
        let nf = self.n as f64;
        let mean = (a as f64 + r as f64 / nf) / INDEX_SCALE;
        let m2 = ((d as f64) - (r as f64) * (r as f64) / nf).max(0.0) / (INDEX_SCALE * INDEX_SCALE);
        Moments::from_parts(self.n, mean, m2)
    }
}

/// `u128` as decimal text: JSON numbers beyond 2^64 do not survive most
/// readers (nor `serde_json::Value`).
mod u128_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("{text:?} is not an unsigned integer")))
    }
}

/// The serialized form of a [`PyramidAccumulator`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PyramidState {
    setup: PyramidSetup,
    n_rows: u64,
    /// Per item: the sum of codes (1..=points; missing = 0).
    sums: Vec<u64>,
    /// Per item: rows where it is missing.
    miss1: Vec<u64>,
    /// `k x k`: rows where both items are missing.
    miss2: Vec<u64>,
    /// `k x k`: sums of one item's codes over rows where another is missing.
    sub: Vec<u64>,
    /// `k x k`: sums of products of codes.
    prod: Vec<u64>,
    /// Listwise sums per dimension (pyramid order), then of all items.
    listwise: Vec<ScopeSums>,
    /// Per dimension: respondents per (answered items, sum of codes) cell.
    hist: Vec<Vec<u64>>,
    /// The same for all items.
    hist_all: Vec<u64>,
    /// Per item: answers in the top box.
    top: Vec<u64>,
    index: IndexSums,
}

/// Sums the interleaved copies of a histogram, one count per cell.
fn fold_copies(hist: &[u64]) -> Vec<u64> {
    hist.chunks(HIST_COPIES).map(|c| c.iter().sum()).collect()
}

fn mismatch(what: &str, expected: usize, found: usize) -> Error {
    Error::Mismatch {
        expected: format!("{expected} values of {what} for this setup"),
        found: format!("{found} in the serialized state"),
    }
}

fn put(dst: &mut [u64], src: &[u64], what: &str) -> Result<()> {
    if dst.len() != src.len() {
        return Err(mismatch(what, dst.len(), src.len()));
    }
    dst.copy_from_slice(src);
    Ok(())
}

fn at_most(values: &[u64], max: u64, what: &str) -> Result<()> {
    match values.iter().find(|&&v| v > max) {
        Some(v) => Err(Error::InvalidConfig {
            field: "pyramid state",
            value: format!("{what} = {v}"),
            reason: "more than the rows of the state allow",
        }),
        None => Ok(()),
    }
}

impl PyramidAccumulator {
    /// The state with the row buffer flushed into the totals.
    fn state(&self) -> Result<PyramidState> {
        let mut acc = self.clone();
        acc.flush()?;
        let mut listwise = acc.list_dims;
        listwise.push(acc.list_all);
        Ok(PyramidState {
            setup: PyramidSetup::new(acc.instrument, acc.config),
            n_rows: acc.n_rows,
            sums: acc.sums,
            miss1: acc.miss1,
            miss2: acc.miss2,
            sub: acc.sub,
            prod: acc.prod,
            listwise,
            hist: acc.hist.iter().map(|h| fold_copies(h)).collect(),
            hist_all: acc.hist_all,
            top: acc.top,
            index: acc.index,
        })
    }

    /// An accumulator from a state, checked against its setup.
    fn from_state(state: PyramidState) -> Result<PyramidAccumulator> {
        let mut acc = PyramidAccumulator::build(state.setup.instrument, state.setup.config)?;
        let n = state.n_rows;
        if n > MAX_ROWS {
            return Err(Error::TooMuchWork {
                what: "rows in a serialized pyramid state",
                limit: MAX_ROWS,
            });
        }
        let points = u64::from(acc.points);
        // Below 2^48 x 15^2: no overflow.
        let (max_sum, max_prod) = (n * points, n * points * points);
        at_most(&state.miss1, n, "miss1")?;
        at_most(&state.miss2, n, "miss2")?;
        at_most(&state.top, n, "top")?;
        at_most(&state.hist_all, n, "hist_all")?;
        at_most(&state.sums, max_sum, "sums")?;
        at_most(&state.sub, max_sum, "sub")?;
        at_most(&state.prod, max_prod, "prod")?;
        put(&mut acc.sums, &state.sums, "sums")?;
        put(&mut acc.miss1, &state.miss1, "miss1")?;
        put(&mut acc.miss2, &state.miss2, "miss2")?;
        put(&mut acc.sub, &state.sub, "sub")?;
        put(&mut acc.prod, &state.prod, "prod")?;
        put(&mut acc.top, &state.top, "top")?;
        put(&mut acc.hist_all, &state.hist_all, "hist_all")?;
        if state.listwise.len() != acc.list_dims.len() + 1 {
            return Err(mismatch(
                "listwise scopes",
                acc.list_dims.len() + 1,
                state.listwise.len(),
            ));
        }
        for (dst, src) in acc
            .list_dims
            .iter_mut()
            .chain(std::iter::once(&mut acc.list_all))
            .zip(&state.listwise)
        {
            if src.n > n {
                return Err(mismatch("listwise rows", 1, 0));
            }
            at_most(&src.s, max_sum, "listwise sums")?;
            at_most(&src.p, max_prod, "listwise products")?;
            dst.n = src.n;
            put(&mut dst.s, &src.s, "listwise sums")?;
            put(&mut dst.p, &src.p, "listwise products")?;
        }
        if state.hist.len() != acc.hist.len() {
            return Err(mismatch("histograms", acc.hist.len(), state.hist.len()));
        }
        for (dst, src) in acc.hist.iter_mut().zip(&state.hist) {
            at_most(src, n, "hist")?;
            if dst.len() != src.len() * HIST_COPIES {
                return Err(mismatch(
                    "histogram cells",
                    dst.len() / HIST_COPIES,
                    src.len(),
                ));
            }
            for (cell, &count) in dst.chunks_mut(HIST_COPIES).zip(src) {
                if let Some(first) = cell.first_mut() {
                    *first = count;
                }
            }
        }
        let top_index = index_code(100.0);
        let ix = state.index;
        let bound = |k: u32| {
            (0..k).try_fold(u128::from(ix.n), |acc, _| {
                acc.checked_mul(u128::from(top_index))
            })
        };
        if ix.n > n
            || ix.n > 1 << 34
            || bound(1).is_none_or(|b| ix.sum > b)
            || bound(2).is_none_or(|b| ix.sum_sq > b)
        {
            return Err(Error::InvalidConfig {
                field: "pyramid state",
                value: format!("index n = {}", ix.n),
                reason: "index sums beyond what the rows allow",
            });
        }
        acc.n_rows = n;
        acc.index = ix;
        Ok(acc)
    }
}

/// The state: the setup and the integer totals (the buffered rows flushed
/// into them first), canonical for the multiset of rows added.
impl Serialize for PyramidAccumulator {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.state()
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

/// Checks the state against its setup: every table of the right size, no
/// count beyond the number of rows.
impl<'de> Deserialize<'de> for PyramidAccumulator {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let state = PyramidState::deserialize(deserializer)?;
        PyramidAccumulator::from_state(state).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_sums_give_exact_moments() {
        let mut s = IndexSums::default();
        for v in [50.0, 50.0, 50.0] {
            let q = u128::from(index_code(v));
            assert!(s.add(1, q, q * q).is_ok());
        }
        let m = s.moments();
        assert_eq!(m.mean(), Some(50.0));
        assert_eq!(m.sd(), Some(0.0));
        let mut t = IndexSums::default();
        for v in [0.0, 100.0, 25.0, 75.0] {
            let q = u128::from(index_code(v));
            assert!(t.add(1, q, q * q).is_ok());
        }
        let m = t.moments();
        assert_eq!(m.mean(), Some(50.0));
        // Deviations 50, 50, 25, 25: m2 = 6250, variance 6250 / 3.
        assert!((m.variance().unwrap_or(0.0) - 6250.0 / 3.0).abs() < 1e-9);
        assert_eq!(index_code(-1.0), 0);
        assert_eq!(index_code(f64::NAN), 0);
        assert_eq!(index_code(100.000_000_000_001), index_code(100.0));
    }
}
