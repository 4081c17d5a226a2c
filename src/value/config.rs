//! What an RFM run is configured with: the analysis date, the number of
//! score bins, what the M score ranks, the lifetimes period and the segment
//! rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::names::named_enum;
use crate::value::segment::RuleSet;

/// The most score bins (quintiles are 5; deciles 10).
pub const MAX_BINS: u8 = 20;

named_enum! {
    /// What the M score ranks.
    #[derive(Default)]
    pub enum MonetaryBasis: "monetary basis" {
        /// The sum of the customer's order amounts (default; the reference
        /// set's `monetary_sum`).
        #[default]
        Sum = "sum",
        /// The mean order amount (sum over the number of orders).
        Mean = "mean",
    }
}

named_enum! {
    /// The period the lifetimes summary buckets purchases into (the `freq`
    /// of `lifetimes.utils.summary_data_from_transaction_data`).
    #[derive(Default)]
    pub enum Period: "period" {
        /// Calendar days, UTC (`freq="D"`, default; the reference set's).
        #[default]
        Day = "day",
        /// Weeks from Monday to Sunday, UTC (`freq="W"`, pandas' `W-SUN`
        /// periods); frequency, recency and T are then in weeks.
        Week = "week",
    }
}

impl Period {
    /// The period of a day (days since 1970-01-01, a Thursday).
    #[must_use]
    pub(crate) fn of_day(self, day: i64) -> i64 {
        match self {
            Period::Day => day,
            // Monday 1969-12-29 is day -3: weeks start there.
            Period::Week => (day + 3).div_euclid(7),
        }
    }
}

/// How [`RfmAccumulator`](crate::value::RfmAccumulator) scores customers.
///
/// There is no `Default`: the analysis date has none (the crate reads no
/// clock). Build one with [`RfmConfig::new`] and the setters, or deserialize
/// it (unknown fields are refused; every field but `as_of` has the default
/// documented on it).
///
/// ```
/// use chrono::NaiveDate;
/// use cxjourney::value::{MonetaryBasis, RfmConfig, RuleSet};
/// let config = RfmConfig::new(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap())
///     .bins(10)
///     .monetary(MonetaryBasis::Mean)
///     .segments(RuleSet::rfm_package());
/// config.validate()?;
/// let json = r#"{"as_of": "2024-12-31", "bins": 4}"#;
/// let read: RfmConfig = serde_json::from_str(json).unwrap();
/// assert_eq!(read.bins, 4);
/// assert_eq!(read.segments.name(), "rf_grid");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct RfmConfig {
    /// The analysis date (lifetimes' `observation_period_end`): orders on a
    /// later UTC day are left out; recency and T are counted to this day.
    pub as_of: NaiveDate,
    /// The number of score bins, 1 to [`MAX_BINS`]. Default 5 (quintiles).
    #[serde(default = "default_bins")]
    pub bins: u8,
    /// What the M score ranks. Default [`MonetaryBasis::Sum`].
    #[serde(default)]
    pub monetary: MonetaryBasis,
    /// The lifetimes period. Default [`Period::Day`].
    #[serde(default)]
    pub period: Period,
    /// The segment rules. Default [`RuleSet::rf_grid`].
    #[serde(default)]
    pub segments: RuleSet,
}

fn default_bins() -> u8 {
    5
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for RfmConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        RfmConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for RfmConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = RfmConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl RfmConfig {
    /// Quintile scores of the sum, daily lifetimes periods and the R x F grid
    /// of segments, at `as_of`.
    #[must_use]
    pub fn new(as_of: NaiveDate) -> Self {
        RfmConfig {
            as_of,
            bins: default_bins(),
            monetary: MonetaryBasis::Sum,
            period: Period::Day,
            segments: RuleSet::rf_grid(),
        }
    }

    /// Sets the number of score bins.
    #[must_use]
    pub fn bins(mut self, bins: u8) -> Self {
        self.bins = bins;
        self
    }

    /// Sets what the M score ranks.
    #[must_use]
    pub fn monetary(mut self, monetary: MonetaryBasis) -> Self {
        self.monetary = monetary;
        self
    }

    /// Sets the lifetimes period.
    #[must_use]
    pub fn period(mut self, period: Period) -> Self {
        self.period = period;
        self
    }

    /// Sets the segment rules.
    #[must_use]
    pub fn segments(mut self, segments: RuleSet) -> Self {
        self.segments = segments;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `bins` outside 1 to [`MAX_BINS`], or a
    /// rule set that breaks its own rules ([`RuleSet::new`]).
    pub fn validate(&self) -> Result<()> {
        if self.bins == 0 || self.bins > MAX_BINS {
            return Err(Error::InvalidConfig {
                field: "bins",
                value: self.bins.to_string(),
                reason: "between 1 and 20",
            });
        }
        self.segments.validate()
    }

    /// The analysis date as days since 1970-01-01.
    pub(crate) fn as_of_day(&self) -> i64 {
        use chrono::Datelike;
        // 1970-01-01 is day 719,163 counted from 0001-01-01 (day 1).
        i64::from(self.as_of.num_days_from_ce()) - 719_163
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_run_monday_to_sunday() {
        let day = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .signed_duration_since(NaiveDate::default())
                .num_days()
        };
        // 2024-12-30 is a Monday, 2025-01-05 a Sunday.
        let w = Period::Week.of_day(day(2024, 12, 30));
        assert_eq!(Period::Week.of_day(day(2025, 1, 5)), w);
        assert_eq!(Period::Week.of_day(day(2024, 12, 29)), w - 1);
        assert_eq!(Period::Week.of_day(day(2025, 1, 6)), w + 1);
        assert_eq!(Period::Day.of_day(17), 17);
        assert_eq!(Period::Week.of_day(-4), -1);
        assert_eq!(
            NaiveDate::default(),
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
        );
    }

    #[test]
    fn the_analysis_day_counts_from_1970() {
        for (y, m, d) in [(1970, 1, 1), (2024, 12, 31), (1969, 12, 31), (1, 1, 1)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let want = date.signed_duration_since(NaiveDate::default()).num_days();
            assert_eq!(RfmConfig::new(date).as_of_day(), want, "{date}");
        }
    }

    #[test]
    fn bins_are_checked() {
        let d = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        assert!(RfmConfig::new(d).validate().is_ok());
        assert!(RfmConfig::new(d).bins(0).validate().is_err());
        assert!(RfmConfig::new(d).bins(21).validate().is_err());
        assert!(RfmConfig::new(d).bins(1).validate().is_ok());
    }
}
