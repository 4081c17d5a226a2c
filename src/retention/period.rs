//! Periods: calendar days, weeks and months in a fixed UTC offset, and
//! rolling periods of a fixed length from each customer's cohort event.
//!
//! Every computation is integer arithmetic on the log's microsecond times
//! (no time-zone database, no clock): a calendar period is found from the
//! local day number (`(micros + offset).div_euclid(one day)`), a month from
//! the civil date of that day (Howard Hinnant's `civil_from_days`).

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::names::named_enum;

/// Microseconds in a day.
pub(crate) const DAY_US: i64 = 86_400_000_000;

/// The largest UTC offset, in minutes (less than a day either way).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 24 * 60 - 1;

named_enum! {
    /// The length of a period: a calendar day, week or month.
    pub enum Period: "period" {
        /// A calendar day (or, rolling, 24 hours).
        Day = "day",
        /// A calendar week starting on [`Calendar::week_start`] (or, rolling,
        /// 7 x 24 hours).
        Week = "week",
        /// A calendar month (never rolling: months have no fixed length).
        Month = "month",
    }
}

impl Default for Period {
    /// [`Period::Day`], the period of ClickHouse's daily retention.
    fn default() -> Self {
        Period::Day
    }
}

named_enum! {
    /// Where the periods after a cohort's first period begin.
    pub enum Boundaries: "period boundaries" {
        /// At calendar boundaries of the [`Calendar`]: a customer whose first
        /// event is at 23:59:59 and who returns at 00:00:00 returns on day 1.
        /// What ClickHouse's `retention` on `toDate` does.
        Calendar = "calendar",
        /// Every `k * length` after the customer's own cohort event (24 hours
        /// for days, 7 x 24 hours for weeks): Amplitude's "24-hour windows".
        Rolling = "rolling",
    }
}

impl Default for Boundaries {
    /// [`Boundaries::Calendar`].
    fn default() -> Self {
        Boundaries::Calendar
    }
}

/// The local calendar that periods are counted in: a fixed offset from UTC
/// and the first day of the week.
///
/// The default is UTC with weeks from Monday (ISO 8601). Indonesia's zones
/// are fixed offsets without daylight saving: WIB (Jakarta) is
/// [`Calendar::WIB`] (+07:00, 420 minutes), WITA +08:00, WIT +09:00.
///
/// ```
/// use cxjourney::retention::Calendar;
/// assert_eq!(Calendar::WIB.utc_offset_minutes, 420);
/// assert_eq!(Calendar::utc().week_start, chrono::Weekday::Mon);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Calendar {
    /// Minutes east of UTC (WIB: 420; New York in winter: -300), within
    /// `-1439..=1439`. Default 0.
    pub utc_offset_minutes: i32,
    /// The first day of a week. Default Monday.
    pub week_start: Weekday,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::utc()
    }
}

impl Calendar {
    /// Western Indonesian Time, UTC+07:00, weeks from Monday.
    pub const WIB: Calendar = Calendar {
        utc_offset_minutes: 7 * 60,
        week_start: Weekday::Mon,
    };

    /// UTC, weeks from Monday.
    #[must_use]
    pub const fn utc() -> Calendar {
        Calendar {
            utc_offset_minutes: 0,
            week_start: Weekday::Mon,
        }
    }

    /// The same calendar with another offset, in minutes east of UTC.
    #[must_use]
    pub const fn offset_minutes(mut self, minutes: i32) -> Calendar {
        self.utc_offset_minutes = minutes;
        self
    }

    /// The same calendar with weeks starting on `day`.
    #[must_use]
    pub const fn weeks_from(mut self, day: Weekday) -> Calendar {
        self.week_start = day;
        self
    }

    pub(crate) fn validate(&self, field: &'static str) -> Result<()> {
        // `unsigned_abs`: `abs` of i32::MIN overflowed (finding 15-A9).
        if self.utc_offset_minutes.unsigned_abs() > MAX_UTC_OFFSET_MINUTES.unsigned_abs() {
            return Err(Error::InvalidConfig {
                field,
                value: self.utc_offset_minutes.to_string(),
                reason: "a UTC offset in minutes must lie within -1439..=1439",
            });
        }
        Ok(())
    }
}

/// A period definition compiled to integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock {
    period: Period,
    offset_us: i64,
    /// Days from a week's first day to the Thursday of 1970-01-01's week
    /// position: week index = `(day + shift).div_euclid(7)`.
    week_shift: i64,
}

impl Clock {
    pub(crate) fn new(period: Period, calendar: Calendar) -> Clock {
        let ws = i64::from(calendar.week_start.num_days_from_monday());
        Clock {
            period,
            offset_us: i64::from(calendar.utc_offset_minutes) * 60_000_000,
            // 1970-01-01 (day 0) was a Thursday: 3 days after Monday.
            week_shift: 3 - ws,
        }
    }

    /// The local day number of a time (days since 1970-01-01 in the offset).
    #[inline(always)]
    pub(crate) fn day(&self, us: i64) -> i64 {
        us.saturating_add(self.offset_us).div_euclid(DAY_US)
    }

    /// The index of the calendar period holding `us`: consecutive periods
    /// have consecutive indices.
    #[inline(always)]
    pub(crate) fn index(&self, us: i64) -> i64 {
        let day = self.day(us);
        match self.period {
            Period::Day => day,
            Period::Week => (day + self.week_shift).div_euclid(7),
            Period::Month => {
                let (y, m, _) = civil_from_days(day);
                y * 12 + i64::from(m) - 1
            }
        }
    }

    /// The local day number of period `index`'s first day.
    fn first_day(&self, index: i64) -> i64 {
        match self.period {
            Period::Day => index,
            Period::Week => index.saturating_mul(7).saturating_sub(self.week_shift),
            Period::Month => {
                let y = index.div_euclid(12);
                let m = u32::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
                days_from_civil(y, m, 1)
            }
        }
    }

    /// The local date period `index` starts on.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] outside chrono's dates.
    pub(crate) fn start_date(&self, index: i64) -> Result<NaiveDate> {
        let day = self.first_day(index);
        // 1970-01-01 is day 719,163 counted from 0001-01-01 (day 1).
        day.checked_add(719_163)
            .and_then(|d| i32::try_from(d).ok())
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| Error::TimeOutOfRange {
                context: format!("the first day of {} number {index}", self.period),
            })
    }

    /// The UTC microseconds at which period `index` starts (saturating).
    pub(crate) fn start_us(&self, index: i64) -> i64 {
        self.first_day(index)
            .saturating_mul(DAY_US)
            .saturating_sub(self.offset_us)
    }

    /// The length of a rolling period, in microseconds; `None` for months.
    pub(crate) fn rolling_us(&self) -> Option<i64> {
        match self.period {
            Period::Day => Some(DAY_US),
            Period::Week => Some(7 * DAY_US),
            Period::Month => None,
        }
    }
}

/// (year, month 1..=12, day 1..=31) of a day number counted from 1970-01-01
/// (proleptic Gregorian; Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era.saturating_mul(400) + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// The day number (from 1970-01-01) of a civil date; the inverse of
/// [`civil_from_days`].
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.saturating_mul(146_097)
        .saturating_add(doe)
        .saturating_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Utc};
    use proptest::prelude::*;

    fn us(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, mi, s)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn days_weeks_months_in_utc_and_wib() {
        let utc = Clock::new(Period::Day, Calendar::utc());
        let a = utc.index(us(2024, 1, 1, 23, 59, 59));
        assert_eq!(utc.index(us(2024, 1, 2, 0, 0, 0)), a + 1);
        assert_eq!(
            utc.start_date(a).unwrap(),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
        // 17:00 UTC is 00:00 WIB the next day.
        let wib = Clock::new(Period::Day, Calendar::WIB);
        assert_eq!(wib.index(us(2024, 1, 1, 16, 59, 59)), a);
        assert_eq!(wib.index(us(2024, 1, 1, 17, 0, 0)), a + 1);
        assert_eq!(wib.start_us(a + 1), us(2024, 1, 1, 17, 0, 0));
        // 2024-01-01 was a Monday.
        let week = Clock::new(Period::Week, Calendar::utc());
        let w = week.index(us(2024, 1, 1, 0, 0, 0));
        assert_eq!(week.index(us(2024, 1, 7, 23, 59, 59)), w);
        assert_eq!(week.index(us(2024, 1, 8, 0, 0, 0)), w + 1);
        assert_eq!(
            week.start_date(w).unwrap(),
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        );
        let sunday = Clock::new(Period::Week, Calendar::utc().weeks_from(Weekday::Sun));
        let s = sunday.index(us(2024, 1, 6, 12, 0, 0));
        assert_eq!(sunday.index(us(2024, 1, 7, 0, 0, 0)), s + 1);
        assert_eq!(
            sunday.start_date(s + 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 1, 7).unwrap()
        );
        let month = Clock::new(Period::Month, Calendar::utc());
        let m = month.index(us(2024, 1, 31, 23, 59, 59));
        assert_eq!(month.index(us(2024, 2, 1, 0, 0, 0)), m + 1);
        assert_eq!(month.index(us(2024, 12, 31, 0, 0, 0)), m + 11);
        assert_eq!(month.index(us(2025, 1, 1, 0, 0, 0)), m + 12);
        assert_eq!(
            month.start_date(m + 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()
        );
        // Before 1970.
        assert_eq!(
            month
                .start_date(month.index(us(1969, 12, 31, 23, 0, 0)))
                .unwrap(),
            NaiveDate::from_ymd_opt(1969, 12, 1).unwrap()
        );
        assert!(utc.start_date(i64::MAX / 2).is_err());
        assert!(Calendar::utc().offset_minutes(1440).validate("x").is_err());
        assert!(Calendar::utc().offset_minutes(-1439).validate("x").is_ok());
    }

    proptest! {
        #[test]
        fn civil_round_trips_and_agrees_with_chrono(day in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(day);
            prop_assert_eq!(days_from_civil(y, m, d), day);
            let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).unwrap()).unwrap();
            prop_assert_eq!((i64::from(date.year()), date.month(), date.day()), (y, m, d));
        }

        #[test]
        fn a_time_lies_in_its_period(t in -4_000_000_000_000_000i64..4_000_000_000_000_000,
                                     p in 0usize..3, off in -1439i32..=1439, ws in 0u8..7) {
            let cal = Calendar::utc().offset_minutes(off).weeks_from(Weekday::try_from(ws).unwrap());
            let c = Clock::new(Period::ALL[p], cal);
            let i = c.index(t);
            prop_assert!(c.start_us(i) <= t && t < c.start_us(i + 1));
        }
    }
}
