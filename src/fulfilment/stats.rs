//! Rates with their counts, and durations kept as a histogram of whole
//! minutes (exact quantiles at minute resolution, merged by adding counts,
//! at most one entry per distinct minute up to a cap).

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A share with the counts it comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// The cases counted.
    pub numerator: u64,
    /// The cases they are counted among.
    pub denominator: u64,
    /// `numerator / denominator` (`None` when the denominator is 0).
    pub rate: Option<f64>,
}

impl Rate {
    /// The rate of `numerator` among `denominator`.
    #[must_use]
    pub fn new(numerator: u64, denominator: u64) -> Rate {
        Rate {
            numerator,
            denominator,
            rate: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        }
    }
}

impl fmt::Display for Rate {
    /// `12.5% (5/40)`, or `- (0/0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rate {
            Some(r) => write!(
                f,
                "{:.1}% ({}/{})",
                100.0 * r,
                self.numerator,
                self.denominator
            ),
            None => write!(f, "- (0/0)"),
        }
    }
}

/// The longest duration kept apart, in minutes (400 days); longer ones are
/// counted at this value.
pub(crate) const MAX_MINUTES: i64 = 400 * 24 * 60;

/// Durations as counts per whole minute (negative durations, from rows out
/// of order, count as 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Minutes(BTreeMap<i64, u64>);

impl Minutes {
    /// Adds the duration from `from` to `to` (microseconds).
    pub(crate) fn add(&mut self, from: i64, to: i64) {
        let m = (to.saturating_sub(from) / 60_000_000).clamp(0, MAX_MINUTES);
        let c = self.0.entry(m).or_default();
        *c = c.saturating_add(1);
    }

    /// Adds `other`'s counts.
    ///
    /// # Errors
    /// [`Error::Mismatch`](crate::error::Error::Mismatch) when a count would
    /// pass `u64::MAX`.
    pub(crate) fn merge(&mut self, other: &Minutes) -> crate::error::Result<()> {
        for (&m, &n) in &other.0 {
            let c = self.0.entry(m).or_default();
            *c = super::report::checked(*c, n, "durations")?;
        }
        Ok(())
    }

    /// Whether a histogram from JSON is one `add` makes: minutes within
    /// `0..=MAX_MINUTES`, no empty entry, `count` durations in all.
    pub(crate) fn holds(&self, count: u64) -> bool {
        let mut sum = 0u64;
        for (&m, &n) in &self.0 {
            if !(0..=MAX_MINUTES).contains(&m) || n == 0 {
                return false;
            }
            match sum.checked_add(n) {
                Some(x) => sum = x,
                None => return false,
            }
        }
        sum == count
    }

    /// The minute at position `pos` (0-based) of the sorted durations.
    fn at(&self, pos: u64) -> i64 {
        let mut seen = 0u64;
        for (&m, &n) in &self.0 {
            seen = seen.saturating_add(n);
            if pos < seen {
                return m;
            }
        }
        self.0.keys().next_back().copied().unwrap_or(0)
    }

    /// The `p`-quantile by linear interpolation between the two closest
    /// ranks (numpy's default), in minutes.
    fn quantile(&self, count: u64, p: f64) -> f64 {
        let pos = p * (count.saturating_sub(1)) as f64;
        let lo = pos.floor();
        let a = self.at(lo as u64) as f64;
        let b = self.at(lo as u64 + 1).min(self.at(count.saturating_sub(1))) as f64;
        if pos == lo {
            a
        } else {
            a + (b - a) * (pos - lo)
        }
    }

    /// The summary (`None` without durations).
    pub(crate) fn stats(&self) -> Option<DurationStats> {
        let count: u64 = self.0.values().fold(0u64, |a, &n| a.saturating_add(n));
        if count == 0 {
            return None;
        }
        let sum: f64 = self.0.iter().map(|(&m, &n)| m as f64 * n as f64).sum();
        let hours = |m: f64| m / 60.0;
        let mut by_day = IndexMap::new();
        for d in 0..7 {
            by_day.insert(format!("{d}-{}d", d + 1), 0u64);
        }
        by_day.insert("7d+".to_owned(), 0u64);
        for (&m, &n) in &self.0 {
            let d = m / (24 * 60);
            let key = if d >= 7 {
                "7d+".to_owned()
            } else {
                format!("{d}-{}d", d + 1)
            };
            if let Some(c) = by_day.get_mut(&key) {
                *c = c.saturating_add(n);
            }
        }
        Some(DurationStats {
            count,
            mean_hours: hours(sum / count as f64),
            median_hours: hours(self.quantile(count, 0.5)),
            p90_hours: hours(self.quantile(count, 0.9)),
            min_hours: hours(self.0.keys().next().copied().unwrap_or(0) as f64),
            max_hours: hours(self.0.keys().next_back().copied().unwrap_or(0) as f64),
            by_day,
        })
    }
}

/// A distribution of durations, to the minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    /// How many durations.
    pub count: u64,
    /// The mean, in hours.
    pub mean_hours: f64,
    /// The median (linear interpolation between whole minutes), in hours.
    pub median_hours: f64,
    /// The 90th percentile, in hours.
    pub p90_hours: f64,
    /// The shortest, in hours.
    pub min_hours: f64,
    /// The longest, in hours (at most 400 days).
    pub max_hours: f64,
    /// Counts per day: `0-1d`, `1-2d`, ..., `6-7d`, `7d+`.
    pub by_day: IndexMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(v: &[i64]) -> Minutes {
        let mut m = Minutes::default();
        for &x in v {
            m.add(0, x * 60_000_000);
        }
        m
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [0.5, 0.9]) = [3.5, 6.9]
        let s = minutes(&[3, 1, 4, 1, 5, 9, 2, 6]).stats().unwrap();
        assert!((s.median_hours * 60.0 - 3.5).abs() < 1e-12);
        assert!((s.p90_hours * 60.0 - 6.9).abs() < 1e-12);
        assert_eq!(s.count, 8);
        assert_eq!(s.min_hours * 60.0, 1.0);
        assert_eq!(s.max_hours * 60.0, 9.0);
        assert!(minutes(&[]).stats().is_none());
        let one = minutes(&[7]).stats().unwrap();
        assert_eq!((one.median_hours, one.p90_hours), (7.0 / 60.0, 7.0 / 60.0));
    }

    #[test]
    fn days_and_caps() {
        let s = minutes(&[30, 25 * 60, 9 * 24 * 60, -5, 10 * MAX_MINUTES])
            .stats()
            .unwrap();
        assert_eq!(s.by_day["0-1d"], 2);
        assert_eq!(s.by_day["1-2d"], 1);
        assert_eq!(s.by_day["7d+"], 2);
        assert_eq!(s.min_hours, 0.0);
        assert_eq!(s.max_hours, MAX_MINUTES as f64 / 60.0);
        let mut a = minutes(&[1, 2]);
        a.merge(&minutes(&[2, 3])).unwrap();
        assert_eq!(a, minutes(&[1, 2, 2, 3]));
        assert_eq!(Rate::new(1, 4).to_string(), "25.0% (1/4)");
        assert_eq!(Rate::new(0, 0).rate, None);
    }
}
