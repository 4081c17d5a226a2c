//! The column layout and integer kernels: 256-row columns of answer codes,
//! dot products and sums over them, and the per-dimension scoring plans.

use serde::{Deserialize, Serialize};

use super::config::PyramidConfig;

use crate::model::Dimension;

pub(super) const CH: usize = 256;
/// Copies of each (count, sum) histogram (a power of two).
pub(super) const HIST_COPIES: usize = 4;
pub(super) type Col = [u16; CH];

#[inline]
pub(super) fn dot(a: &Col, b: &Col) -> u64 {
    // Codes are at most 15, so 256 products of at most 225 fit in u16.
    let mut acc: u16 = 0;
    for (x, y) in a.iter().zip(b.iter()) {
        acc = acc.wrapping_add(x.wrapping_mul(*y));
    }
    u64::from(acc)
}

#[inline]
pub(super) fn col_sum(a: &Col) -> u64 {
    let mut acc: u16 = 0;
    for x in a {
        acc = acc.wrapping_add(*x);
    }
    u64::from(acc)
}

/// Integer sums for one item pair over the rows where both are present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PairSums {
    pub(super) n: u64,
    pub(super) si: u64,
    pub(super) sj: u64,
    pub(super) p: u64,
}

/// Listwise sums for one scope (a dimension or the whole instrument).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ScopeSums {
    pub(super) n: u64,
    pub(super) s: Vec<u64>,
    pub(super) p: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scope {
    pub(super) items: Vec<usize>,
    /// Upper-triangle pairs (a <= b) as positions into `items`.
    pub(super) pairs: Vec<(usize, usize)>,
}

impl Scope {
    pub(super) fn new(items: Vec<usize>) -> Scope {
        let mut pairs = Vec::new();
        for a in 0..items.len() {
            for b in a..items.len() {
                pairs.push((a, b));
            }
        }
        Scope { items, pairs }
    }
}

impl DimPlan {
    pub(super) fn new(
        dimension: Option<Dimension>,
        items: Vec<usize>,
        points: u8,
        config: &PyramidConfig,
    ) -> DimPlan {
        let kd = items.len();
        let required = ((config.min_answered_share * kd as f64) - 1e-9)
            .ceil()
            .max(1.0) as usize;
        let stride = kd * usize::from(points) + 1;
        let mut table = vec![f64::NAN; (kd + 1) * stride];
        for cnt in required..=kd {
            for sum in cnt..=cnt * usize::from(points) {
                let mean_code = sum as f64 / cnt as f64;
                let score = 100.0 * (mean_code - 1.0) / f64::from(points - 1);
                if let Some(slot) = table.get_mut(cnt * stride + sum) {
                    *slot = score;
                }
            }
        }
        let weight = dimension.map_or(0.0, |d| config.weight(d));
        let contribution = table
            .iter()
            .map(|&t| {
                if t.is_nan() {
                    (0.0, 0)
                } else {
                    (weight * t, 1)
                }
            })
            .collect();
        DimPlan {
            dimension,
            scope: Scope::new(items),
            required,
            stride,
            table,
            contribution,
            weight,
        }
    }

    /// Per buffered row, the histogram cell `count * stride + sum` of its
    /// answered items (below 65,536: at most 64 items of at most 15 points).
    pub(super) fn cells(&self, cols: &[Col], out: &mut Col) {
        // cell = count * stride + sum = sum over items of (stride + code), for
        // the answered items.
        let stride = u16::try_from(self.stride).unwrap_or(u16::MAX);
        *out = [0; CH];
        for &i in &self.scope.items {
            let Some(c) = cols.get(i) else {
                continue;
            };
            for (o, x) in out.iter_mut().zip(c.iter()) {
                let answered = u16::from(*x != 0);
                *o = o.wrapping_add(x.wrapping_add(answered.wrapping_mul(stride)));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct DimPlan {
    /// `None` for the whole-instrument scope.
    pub(super) dimension: Option<Dimension>,
    pub(super) scope: Scope,
    /// Minimum answered items for a score.
    pub(super) required: usize,
    /// `maxsum + 1`, the row stride of the histogram.
    pub(super) stride: usize,
    /// Score per (count, sum) cell, NaN when too few items were answered.
    pub(super) table: Vec<f64>,
    /// Per cell: (weight x score, this dimension's bit in the pattern of
    /// scored dimensions) when scored, zeros otherwise.
    pub(super) contribution: Vec<(f64, usize)>,
    pub(super) weight: f64,
}

pub(super) fn scope_listwise(scope: &Scope, cols: &[Col], sums: &mut ScopeSums) {
    let mut complete = [1u16; CH];
    for &i in &scope.items {
        if let Some(c) = cols.get(i) {
            for (o, x) in complete.iter_mut().zip(c) {
                *o &= u16::from(*x != 0);
            }
        }
    }
    // Rows in the buffer beyond its length are all-missing, so they are never
    // complete (an instrument has at least one item).
    sums.n += col_sum(&complete);
    let mut masked: Vec<Col> = Vec::with_capacity(scope.items.len());
    for &i in &scope.items {
        let mut m = [0u16; CH];
        if let Some(c) = cols.get(i) {
            for ((o, x), k) in m.iter_mut().zip(c).zip(&complete) {
                *o = x * k;
            }
        }
        masked.push(m);
    }
    for (s, m) in sums.s.iter_mut().zip(&masked) {
        *s += col_sum(m);
    }
    for (p, &(a, b)) in sums.p.iter_mut().zip(&scope.pairs) {
        if let (Some(x), Some(y)) = (masked.get(a), masked.get(b)) {
            *p += dot(x, y);
        }
    }
}
