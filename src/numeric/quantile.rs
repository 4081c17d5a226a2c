//! Exact quantiles and summary statistics of durations, a building block
//! shared by the analyses (time to convert, time between purchases, ...).
//!
//! Quantiles are exact (every value is kept, no sketch) and use linear
//! interpolation between the two closest ranks: for `n` sorted values and a
//! probability `p`, the position is `p * (n - 1)`. This is numpy's default
//! (`method="linear"`), pandas' `quantile()` and Hyndman & Fan's type 7, so a
//! median of an even count is the mean of the two middle values.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `p`-quantile of values that are already sorted ascending, by linear
/// interpolation; `None` for no values: `[1, 2, 3, 4]` has median 2.5 and
/// 0.9-quantile 3.7.
///
/// # Errors
/// [`Error::InvalidConfig`] when `p` is not within `0..=1`.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Result<Option<f64>> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::InvalidConfig {
            field: "quantile",
            value: p.to_string(),
            reason: "a probability must be within 0..=1",
        });
    }
    let n = sorted.len();
    if n == 0 {
        return Ok(None);
    }
    let pos = p * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let a = sorted.get(lo).copied().unwrap_or(f64::NAN);
    let b = sorted.get(lo + 1).copied().unwrap_or(a);
    Ok(Some(if frac == 0.0 { a } else { a + (b - a) * frac }))
}

/// Count, mean, median and 90th percentile of durations in seconds.
///
/// ```
/// use cxjourney::funnel::DurationSummary;
/// let s = DurationSummary::from_seconds(vec![60, 10, 20, 30]).unwrap();
/// assert_eq!(s.count, 4);
/// assert_eq!(s.median_seconds, 25.0);
/// assert_eq!(s.mean_seconds, 30.0);
/// assert_eq!(s.min_seconds, 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DurationSummary {
    /// How many durations.
    pub count: u64,
    /// The arithmetic mean, in seconds.
    pub mean_seconds: f64,
    /// The median (linear interpolation), in seconds.
    pub median_seconds: f64,
    /// The 90th percentile (linear interpolation), in seconds.
    pub p90_seconds: f64,
    /// The shortest, in seconds.
    pub min_seconds: i64,
    /// The longest, in seconds.
    pub max_seconds: i64,
}

impl DurationSummary {
    /// Summarises durations in whole seconds; `None` when there are none.
    #[must_use]
    pub fn from_seconds(mut values: Vec<i64>) -> Option<DurationSummary> {
        values.sort_unstable();
        let min_seconds = *values.first()?;
        let max_seconds = *values.last()?;
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        let count = values.len() as u64;
        let sorted: Vec<f64> = values.iter().map(|&v| v as f64).collect();
        let median_seconds = quantile_sorted(&sorted, 0.5).ok().flatten()?;
        let p90_seconds = quantile_sorted(&sorted, 0.9).ok().flatten()?;
        Some(DurationSummary {
            count,
            mean_seconds: sum as f64 / count as f64,
            median_seconds,
            p90_seconds,
            min_seconds,
            max_seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn linear_interpolation_like_numpy() {
        assert_eq!(
            quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.5).unwrap(),
            Some(2.5)
        );
        assert_eq!(
            quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.9).unwrap(),
            Some(3.7)
        );
        assert_eq!(quantile_sorted(&[], 0.5).unwrap(), None);
    }

    #[test]
    fn matches_numpy_linear() {
        // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [0.5, 0.9]) = [3.5, 6.9]
        let s = DurationSummary::from_seconds(vec![3, 1, 4, 1, 5, 9, 2, 6]).unwrap();
        assert_eq!(s.median_seconds, 3.5);
        assert!((s.p90_seconds - 6.9).abs() < 1e-12);
        assert_eq!(DurationSummary::from_seconds(vec![]), None);
        assert!(quantile_sorted(&[1.0], 1.5).is_err());
        assert_eq!(quantile_sorted(&[7.0], 0.9).unwrap(), Some(7.0));
    }

    proptest! {
        #[test]
        fn quantiles_lie_between_min_and_max(v in prop::collection::vec(-1000i64..1000, 1..50)) {
            let s = DurationSummary::from_seconds(v).unwrap();
            prop_assert!(s.min_seconds as f64 <= s.median_seconds && s.median_seconds <= s.p90_seconds);
            prop_assert!(s.p90_seconds <= s.max_seconds as f64);
        }
    }
}
