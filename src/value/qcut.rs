//! Scores 1..=bins by pandas' `qcut` over `rank(method="first")`.
//!
//! For `n` customers ranked `1..=n` (ties already broken by customer order),
//! pandas 3.1 computes `qcut(rank, q)` as follows, and this module repeats
//! every floating-point step so the scores are the same, boundary cases
//! included:
//!
//! 1. `quantiles = numpy.linspace(0, 1, q + 1)`: `k * (1.0 / q)`, the last
//!    one exactly 1; a quantile with `q * quantile != k` (not representable
//!    in base 2) is moved up to the next float towards 1.
//! 2. The edges are `numpy.quantile(ranks, quantiles)` with linear
//!    interpolation: virtual index `(n - 1) * p`, previous and next rank,
//!    and numpy's `_lerp` (`a + (b - a) t`, or `b - (b - a)(1 - t)` when
//!    `t >= 0.5`).
//! 3. A rank's bin is the number of edges below it (`searchsorted(side =
//!    "left")`), the lowest edge included in bin 1.
//!
//! For 5 bins this equals the closed form `max(1, ceil(5 (rank - 1) / (n -
//! 1)))` (SEMANTICS.md checked it on both reference sizes); for 3, 6, 7, 9 and
//! other bin counts the nudged quantiles move some boundary ranks one bin up
//! from the closed form, as pandas does. One customer gets score 1 (pandas
//! refuses to cut one value into more than one bin).

/// The `bins + 1` edges of `qcut` over the ranks `1..=n`.
fn edges(n: usize, bins: u8) -> Vec<f64> {
    let q = usize::from(bins.max(1));
    let step = 1.0 / q as f64;
    let last = n.saturating_sub(1) as f64;
    (0..=q)
        .map(|k| {
            let mut p = if k == q { 1.0 } else { k as f64 * step };
            if q as f64 * p != k as f64 && p < 1.0 {
                p = f64::from_bits(p.to_bits() + 1);
            }
            let v = last * p;
            if v >= last {
                return n as f64;
            }
            let prev = v.floor();
            let t = v - prev;
            let (a, b) = (prev + 1.0, prev + 2.0);
            let d = b - a;
            if t >= 0.5 {
                b - d * (1.0 - t)
            } else {
                a + d * t
            }
        })
        .collect()
}

/// The score of each rank: element `r - 1` is the score of rank `r`, for
/// `r` in `1..=n`; every score is within `1..=bins` (`bins` 0 counts as 1).
pub(crate) fn rank_scores(n: usize, bins: u8) -> Vec<u8> {
    let bins = bins.max(1);
    let e = edges(n, bins);
    let mut out = Vec::with_capacity(n);
    // The number of edges below the rank only grows with the rank.
    let mut below = 0usize;
    for r in 1..=n {
        let x = r as f64;
        while e.get(below).is_some_and(|&edge| edge < x) {
            below += 1;
        }
        let score = u8::try_from(below.clamp(1, usize::from(bins))).unwrap_or(bins);
        out.push(score);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(n: usize, bins: u8) -> Vec<usize> {
        let s = rank_scores(n, bins);
        (1..=bins)
            .map(|b| s.iter().filter(|&&x| x == b).count())
            .collect()
    }

    #[test]
    fn equals_pandas_qcut_where_the_closed_form_does_not() {
        // pandas 3.1.1: pd.qcut(pd.Series(np.arange(1, n + 1, dtype=float)),
        // q, labels=range(1, q + 1)), as counts per label (scores rise with
        // the rank, so the counts fix every score).
        assert_eq!(counts(4, 3), [2, 1, 1]);
        assert_eq!(counts(19, 6), [4, 3, 3, 3, 2, 4]);
        assert_eq!(counts(8, 7), [2, 1, 1, 1, 1, 1, 1]);
        assert_eq!(counts(91, 10), [10, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
        assert_eq!(counts(66, 13), [6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
        assert_eq!(counts(9, 4), [3, 2, 2, 2]);
        assert_eq!(counts(40, 5), [8, 8, 8, 8, 8]);
        assert_eq!(counts(2, 2), [1, 1]);
        assert_eq!(counts(3, 1), [3]);
        assert_eq!(rank_scores(1, 5), [1]);
        assert!(rank_scores(0, 5).is_empty());
    }

    #[test]
    fn five_bins_follow_the_closed_form() {
        for n in 2..2_000usize {
            let s = rank_scores(n, 5);
            for (i, &score) in s.iter().enumerate() {
                let closed = (5 * i).div_ceil(n - 1).max(1);
                assert_eq!(usize::from(score), closed, "n {n} rank {}", i + 1);
            }
        }
    }

    #[test]
    fn scores_rise_and_stay_in_range() {
        for bins in 1..=20u8 {
            for n in [1usize, 2, 3, 5, 17, 100, 1_001] {
                let s = rank_scores(n, bins);
                assert_eq!(s.len(), n);
                assert!(s.windows(2).all(|w| w[0] <= w[1]));
                assert!(s.iter().all(|&x| (1..=bins).contains(&x)));
                if n >= usize::from(bins) {
                    assert_eq!(s.last(), Some(&bins));
                }
            }
        }
    }
}
