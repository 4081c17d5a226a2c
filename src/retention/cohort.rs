//! Cohort retention: customers grouped by the period of their first event
//! (any touchpoint, or the first order), and who came back in each period
//! after it.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::retention::activity::{Activity, RowTest};
use crate::retention::period::{Boundaries, Calendar, Clock, Period};
use crate::step::Cols;

/// The most periods after the cohort's own that a report may ask for
/// (`RetentionConfig::periods`): ten years of days.
pub const MAX_PERIODS: u32 = 3_660;

/// The most cells (cohorts x reported periods) a retention state holds;
/// more is [`Error::TooMuchWork`] (a hostile time range cannot exhaust
/// memory): 4,194,304, for example 11,000 daily cohorts of a year each.
pub const MAX_CELLS: u64 = 1 << 22;

/// What a cohort retention counts.
///
/// Each customer joins the cohort of the period (day, week or month in the
/// [`Calendar`]) of their **cohort event**: the first row matching
/// [`cohort`](Self::cohort) (the first touchpoint by default, or the first
/// order with [`Activity::orders`]). Customers without a cohort event are
/// counted but in no cohort. A customer **returns on period k** when a row
/// matching [`returning`](Self::returning) (any touchpoint by default) lies
/// in the k-th period after the cohort's: with [`Boundaries::Calendar`],
/// the calendar period `cohort + k`; with [`Boundaries::Rolling`], the time
/// from `cohort event + k x length` up to the next. The cohort event itself
/// counts when it matches `returning`, so with the defaults period 0 holds
/// every customer of the cohort (`d0 = users`, as in ClickHouse's
/// `retention`); rows before the cohort's period (or, rolling, before the
/// cohort event) never count.
///
/// The default (daily calendar periods in UTC, any touchpoint for both,
/// periods 0 to 7) is the reference daily table of ClickHouse's
/// `retention(toDate(ts) = cohort + 0, ..., toDate(ts) = cohort + 7)`.
///
/// ```
/// use cxjourney::retention::{Activity, Calendar, Period, RetentionConfig};
/// // Weekly cohorts by first order, in Jakarta time, who ordered again.
/// let config = RetentionConfig::new(Period::Week, 8)
///     .with_cohort(Activity::orders())
///     .with_return(Activity::orders())
///     .with_calendar(Calendar::WIB);
/// assert_eq!(config.periods, 8);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// The event that puts a customer in a cohort (its first occurrence).
    /// Default: any touchpoint (first touch).
    pub cohort: Activity,
    /// The event that counts as a return. Default: any touchpoint.
    pub returning: Activity,
    /// The period. Default: a day.
    pub period: Period,
    /// The last period reported after the cohort's own (period 0): periods
    /// `0..=periods`, at most [`MAX_PERIODS`]. Default 7.
    pub periods: u32,
    /// Calendar periods (default) or rolling periods from each customer's
    /// cohort event (days and weeks only).
    pub boundaries: Boundaries,
    /// The offset from UTC and the first day of the week. Default: UTC,
    /// weeks from Monday.
    pub calendar: Calendar,
    /// The end of observation: rows after it are left out, and a cohort's
    /// period k enters the mean curve once it has begun by then. Default:
    /// the time of the latest row added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig::new(Period::Day, 7)
    }
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for RetentionConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        RetentionConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for RetentionConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = RetentionConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl RetentionConfig {
    /// Periods `0..=periods` of `period`, calendar boundaries in UTC, any
    /// touchpoint as cohort event and as return.
    #[must_use]
    pub fn new(period: Period, periods: u32) -> Self {
        RetentionConfig {
            cohort: Activity::Any,
            returning: Activity::Any,
            period,
            periods,
            boundaries: Boundaries::Calendar,
            calendar: Calendar::utc(),
            as_of: None,
        }
    }

    /// Sets the cohort event.
    #[must_use]
    pub fn with_cohort(mut self, cohort: Activity) -> Self {
        self.cohort = cohort;
        self
    }

    /// Sets the return event.
    #[must_use]
    pub fn with_return(mut self, returning: Activity) -> Self {
        self.returning = returning;
        self
    }

    /// Sets the period boundaries.
    #[must_use]
    pub fn with_boundaries(mut self, boundaries: Boundaries) -> Self {
        self.boundaries = boundaries;
        self
    }

    /// Sets the calendar (UTC offset, week start).
    #[must_use]
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// Sets the end of observation.
    #[must_use]
    pub fn with_as_of(mut self, as_of: DateTime<Utc>) -> Self {
        self.as_of = Some(as_of);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for more than [`MAX_PERIODS`] periods,
    /// rolling months, an offset outside a day, or a step with funnel-only
    /// fields.
    pub fn validate(&self) -> Result<()> {
        if self.periods > MAX_PERIODS {
            return Err(Error::InvalidConfig {
                field: "periods",
                value: self.periods.to_string(),
                reason: "at most 3660 periods after the cohort's own",
            });
        }
        if self.boundaries == Boundaries::Rolling && self.period == Period::Month {
            return Err(Error::InvalidConfig {
                field: "boundaries",
                value: "rolling months".into(),
                reason: "months have no fixed length: use calendar months, or rolling days or weeks",
            });
        }
        self.calendar.validate("calendar.utc_offset_minutes")?;
        self.cohort.validate("cohort")?;
        self.returning.validate("returning")
    }

    /// The configuration without closures, and where they were.
    fn stripped(&self) -> (RetentionConfig, Vec<String>) {
        let mut custom = Vec::new();
        let mut c = self.clone();
        c.cohort = self.cohort.stripped("cohort", &mut custom);
        c.returning = self.returning.stripped("returning", &mut custom);
        (c, custom)
    }
}

/// One cohort's counts in a state: users, returns on each period, and the
/// customers by their last period with a return (capped at the last
/// reported), from which "on or after" is a suffix sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CohortState {
    users: u64,
    on: Vec<u64>,
    last: Vec<u64>,
    /// The latest cohort event of the cohort (for rolling periods).
    latest_event_us: i64,
}

impl CohortState {
    fn new(cells: usize, at: i64) -> Self {
        CohortState {
            users: 0,
            on: vec![0; cells],
            last: vec![0; cells],
            latest_event_us: at,
        }
    }
}

/// What [`RetentionAccumulator::add`](Accumulator::add) needs beyond the
/// serialized state: the configuration with its closures, compiled.
#[derive(Debug, Clone)]
struct Live {
    config: RetentionConfig,
    test: RowTest,
}

/// Cohort retention over journeys; an [`Accumulator`] whose
/// [`merge`](Accumulator::merge) is associative and commutative (any split
/// of the customers gives the same report, proptested), so
/// [`run_on_log`](crate::run_on_log) spreads it over threads.
///
/// The state holds one row of counts per cohort, at most [`MAX_CELLS`]
/// cells in all; it serializes without the configuration's closures (their
/// places are compared on merge). A deserialized state merges and finishes;
/// to add journeys to it, merge it into a state made by
/// [`Accumulator::new`].
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::log::EventLog;
/// use cxjourney::retention::{RetentionAccumulator, RetentionConfig};
/// use cxjourney::{Accumulator, BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let day = |d: i64, h: i64| Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
///     + TimeDelta::days(d) + TimeDelta::hours(h);
/// let log = EventLog::from_touchpoints([
///     Touchpoint::new(CustomerId(1), day(0, 23), K::ProductView),
///     Touchpoint::new(CustomerId(1), day(1, 0), K::ProductView), // next calendar day
///     Touchpoint::new(CustomerId(2), day(0, 9), K::ProductView),
///     Touchpoint::new(CustomerId(2), day(3, 9), K::OrderCompleted),
/// ], &JourneyConfig::default())?;
/// let mut acc = RetentionAccumulator::new(&RetentionConfig::default())?;
/// for j in log.journeys() {
///     acc.add(j)?;
/// }
/// let report = acc.finish()?;
/// let c = &report.cohorts[0];
/// assert_eq!((c.cohort.to_string().as_str(), c.users), ("2024-01-01", 2));
/// assert_eq!(c.on, [2, 1, 0, 1, 0, 0, 0, 0]);
/// assert_eq!(c.on_or_after, [2, 2, 1, 1, 0, 0, 0, 0]);
/// assert_eq!(report.mean[1].on_rate, Some(0.5));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetentionAccumulator {
    /// The configuration without closures.
    config: RetentionConfig,
    /// `cohort condition N` / `returning condition N` of each closure.
    custom: Vec<String>,
    #[serde(skip)]
    live: Option<Live>,
    customers: u64,
    cohorts: BTreeMap<i64, CohortState>,
    /// The latest row added (at or before `as_of`).
    latest_us: Option<i64>,
}

impl RetentionAccumulator {
    fn cells(&self) -> usize {
        self.config.periods as usize + 1
    }

    fn check_cells(&self, cohorts: usize) -> Result<()> {
        check_cells(cohorts, self.cells())
    }
    fn check_state(&self, state: &CohortState) -> Result<()> {
        let n = self.cells();
        if state.on.len() != n || state.last.len() != n {
            return Err(Error::Mismatch {
                expected: format!("cohort rows of {n} periods"),
                found: format!("a row of {} and {}", state.on.len(), state.last.len()),
            });
        }
        // Each customer of the cohort counts at most once per period and
        // once by its last period (finding 15-A4: more returns than users
        // gave rates above 1).
        let last = state.last.iter().try_fold(0u64, |a, &b| a.checked_add(b));
        if state.users == 0
            || state.on.iter().any(|&x| x > state.users)
            || last.is_none_or(|l| l > state.users)
        {
            return Err(Error::Mismatch {
                expected: "a cohort of at least one user, with no more returns in a period, \
                           and no more last returns in all, than users"
                    .into(),
                found: format!(
                    "{} users, returns {:?}, last returns {:?}",
                    state.users, state.on, state.last
                ),
            });
        }
        Ok(())
    }
}

impl Accumulator for RetentionAccumulator {
    type Config = RetentionConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = RetentionReport;

    fn new(config: &RetentionConfig) -> Result<Self> {
        config.validate()?;
        let (stripped, custom) = config.stripped();
        Ok(RetentionAccumulator {
            config: stripped,
            custom,
            live: Some(Live {
                config: config.clone(),
                test: RowTest::new(&[&config.cohort, &config.returning]),
            }),
            customers: 0,
            cohorts: BTreeMap::new(),
            latest_us: None,
        })
    }

    /// Adds one customer.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] when a new cohort would pass [`MAX_CELLS`];
    /// [`Error::Mismatch`] for a deserialized state (merge it into a state
    /// made by [`Accumulator::new`] first).
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let Some(live) = &mut self.live else {
            return Err(Error::Mismatch {
                expected: "a retention state made by RetentionAccumulator::new".into(),
                found:
                    "a deserialized state, which holds no closures (merge it into one made by new)"
                        .into(),
            });
        };
        let config = &live.config;
        let clock = Clock::new(config.period, config.calendar);
        let rolling = match config.boundaries {
            Boundaries::Calendar => None,
            Boundaries::Rolling => clock.rolling_us(),
        };
        let k_max = i64::from(config.periods);
        let times = journey.times();
        let end = match config.as_of {
            Some(a) => times.partition_point(|&t| t <= a.timestamp_micros()),
            None => times.len(),
        };
        let times = times.get(..end).unwrap_or(times);
        self.customers = super::checked(self.customers, 1, "customers")?;
        let Some(&last_t) = times.last() else {
            return Ok(());
        };
        self.latest_us = Some(self.latest_us.map_or(last_t, |l| l.max(last_t)));
        let prepared = live.test.prepare(journey.log());
        let cols = Cols::of(&journey);
        let any = prepared.is_any();
        let first = if any {
            Some(0)
        } else {
            (0..times.len()).find(|&i| prepared.mask(&journey, &cols, i) & 1 != 0)
        };
        let Some(i0) = first else {
            return Ok(());
        };
        let t0 = times.get(i0).copied().unwrap_or(last_t);
        let c = clock.index(t0);
        let offset = |t: i64| match rolling {
            Some(len) => t.saturating_sub(t0).div_euclid(len),
            None => clock.index(t) - c,
        };
        // The returns, scanned before the state is touched.
        let cells = self.config.periods as usize + 1;
        let known = self.cohorts.len();
        let state = match self.cohorts.entry(c) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                check_cells(known + 1, cells)?;
                v.insert(CohortState::new(cells, t0))
            }
        };
        state.users = state.users.saturating_add(1);
        state.latest_event_us = state.latest_event_us.max(t0);
        let mut last_k = -1i64;
        let mut count = |k: i64| {
            if k > last_k {
                if k <= k_max {
                    if let Some(x) = usize::try_from(k).ok().and_then(|k| state.on.get_mut(k)) {
                        *x += 1;
                    }
                }
                last_k = k;
            }
        };
        if any {
            for &t in times {
                count(offset(t));
            }
        } else {
            for (i, &t) in times.iter().enumerate() {
                if prepared.mask(&journey, &cols, i) & 2 != 0 {
                    count(offset(t));
                }
            }
        }
        if last_k >= 0 {
            let capped = usize::try_from(last_k.min(k_max)).unwrap_or(0);
            if let Some(x) = state.last.get_mut(capped) {
                *x += 1;
            }
        }
        Ok(())
    }

    /// # Errors
    /// [`Error::Mismatch`] for states of different configurations (or of
    /// closures that are not the same); [`Error::TooMuchWork`] past
    /// [`MAX_CELLS`]; [`Error::InvalidConfig`] for a deserialized state whose
    /// configuration [`Accumulator::new`] would refuse.
    fn merge(&mut self, other: Self) -> Result<()> {
        other.config.validate()?;
        if self.config != other.config || self.custom != other.custom {
            return Err(Error::Mismatch {
                expected: format!("a retention state of {}", describe(&self.config)),
                found: format!("one of {}", describe(&other.config)),
            });
        }
        match (&self.live, other.live) {
            (Some(a), Some(b)) if a.config != b.config => {
                return Err(Error::Mismatch {
                    expected: "the same closures in both retention states".into(),
                    found: "different closures".into(),
                });
            }
            (None, Some(b)) => self.live = Some(b),
            _ => {}
        }
        let new = other
            .cohorts
            .keys()
            .filter(|k| !self.cohorts.contains_key(k))
            .count();
        self.check_cells(self.cohorts.len() + new)?;
        for (c, s) in other.cohorts {
            self.check_state(&s)?;
            match self.cohorts.get_mut(&c) {
                Some(mine) => {
                    mine.users = super::checked(mine.users, s.users, "cohort users")?;
                    mine.latest_event_us = mine.latest_event_us.max(s.latest_event_us);
                    for (a, b) in mine.on.iter_mut().zip(&s.on) {
                        *a = super::checked(*a, *b, "returns")?;
                    }
                    for (a, b) in mine.last.iter_mut().zip(&s.last) {
                        *a = super::checked(*a, *b, "last returns")?;
                    }
                }
                None => {
                    self.cohorts.insert(c, s);
                }
            }
        }
        self.customers = super::checked(self.customers, other.customers, "customers")?;
        self.latest_us = match (self.latest_us, other.latest_us) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// # Errors
    /// [`Error::TimeOutOfRange`] for a cohort outside chrono's dates;
    /// [`Error::Mismatch`] for a deserialized state whose rows have another
    /// length than its configuration says, [`Error::InvalidConfig`] for one
    /// whose configuration [`Accumulator::new`] would refuse.
    fn finish(self) -> Result<RetentionReport> {
        // A deserialized state's configuration is checked as new() checks it.
        self.config.validate()?;
        let config = &self.config;
        let clock = Clock::new(config.period, config.calendar);
        let end = config
            .as_of
            .map(|a| a.timestamp_micros())
            .or(self.latest_us);
        let k_max = config.periods as usize;
        let mut cohorts = Vec::with_capacity(self.cohorts.len());
        for (&c, s) in &self.cohorts {
            self.check_state(s)?;
            let mut on_or_after = s.last.clone();
            for k in (0..k_max).rev() {
                let next = on_or_after.get(k + 1).copied().unwrap_or(0);
                if let Some(x) = on_or_after.get_mut(k) {
                    *x = x.saturating_add(next);
                }
            }
            let begun = |k: i64| -> bool {
                let Some(end) = end else { return false };
                let start = match config.boundaries {
                    Boundaries::Calendar => clock.start_us(c.saturating_add(k)),
                    Boundaries::Rolling => clock.rolling_us().map_or(i64::MAX, |len| {
                        s.latest_event_us.saturating_add(len.saturating_mul(k))
                    }),
                };
                start <= end
            };
            let observed = (0..=i64::from(config.periods))
                .take_while(|&k| begun(k))
                .count() as u32;
            let rate = |v: &[u64]| -> Vec<f64> {
                v.iter()
                    .map(|&n| {
                        if s.users == 0 {
                            0.0
                        } else {
                            n as f64 / s.users as f64
                        }
                    })
                    .collect()
            };
            cohorts.push(CohortRetention {
                cohort: clock.start_date(c)?,
                users: s.users,
                observed_periods: observed,
                on_rate: rate(&s.on),
                on_or_after_rate: rate(&on_or_after),
                on: s.on.clone(),
                on_or_after,
            });
        }
        let mean = (0..=k_max)
            .map(|k| {
                let mut m = MeanRetention {
                    period: k as u32,
                    cohorts: 0,
                    users: 0,
                    on: 0,
                    on_or_after: 0,
                    on_rate: None,
                    on_or_after_rate: None,
                };
                for c in cohorts.iter().filter(|c| (c.observed_periods as usize) > k) {
                    m.cohorts += 1;
                    m.users = m.users.saturating_add(c.users);
                    m.on = m.on.saturating_add(c.on.get(k).copied().unwrap_or(0));
                    m.on_or_after = m
                        .on_or_after
                        .saturating_add(c.on_or_after.get(k).copied().unwrap_or(0));
                }
                if m.users > 0 {
                    m.on_rate = Some(m.on as f64 / m.users as f64);
                    m.on_or_after_rate = Some(m.on_or_after as f64 / m.users as f64);
                }
                m
            })
            .collect();
        let in_cohorts = cohorts.iter().fold(0u64, |a, c| a.saturating_add(c.users));
        Ok(RetentionReport {
            period: config.period,
            boundaries: config.boundaries,
            calendar: config.calendar,
            periods: config.periods,
            cohort_event: config.cohort.describe(closures(&self.custom, "cohort ")),
            return_event: config
                .returning
                .describe(closures(&self.custom, "returning ")),
            customers: self.customers,
            in_cohorts,
            observed_until: end.and_then(DateTime::<Utc>::from_timestamp_micros),
            cohorts,
            mean,
        })
    }
}

/// How many of the recorded closure places belong to `what`.
pub(crate) fn closures(custom: &[String], what: &str) -> usize {
    custom.iter().filter(|c| c.starts_with(what)).count()
}

fn check_cells(cohorts: usize, per_cohort: usize) -> Result<()> {
    let cells = (cohorts as u64).saturating_mul(per_cohort as u64);
    if cells > MAX_CELLS {
        return Err(Error::TooMuchWork {
            what: "retention cells (cohorts x periods); choose a longer period, fewer periods or a shorter time range",
            limit: MAX_CELLS,
        });
    }
    Ok(())
}

fn describe(c: &RetentionConfig) -> String {
    format!(
        "{} periods 0..={} ({}, offset {} min, weeks from {}), cohort {:?}, return {:?}, as of {:?}",
        c.period,
        c.periods,
        c.boundaries,
        c.calendar.utc_offset_minutes,
        c.calendar.week_start,
        c.cohort,
        c.returning,
        c.as_of
    )
}

/// One cohort's row of the retention table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRetention {
    /// The first local day of the cohort's period.
    pub cohort: NaiveDate,
    /// Customers in the cohort.
    pub users: u64,
    /// How many of the periods `0..=periods` had begun by the end of
    /// observation (for every customer of the cohort, with rolling
    /// periods); only those enter the mean curve. Later periods show 0.
    pub observed_periods: u32,
    /// `on[k]`: customers with a return in period k ("on period k";
    /// ClickHouse's `d_k`).
    pub on: Vec<u64>,
    /// `on_or_after[k]`: customers with a return in period k or any later
    /// one, also beyond the last reported ("unbounded" retention). Never
    /// less than `on[k]`.
    pub on_or_after: Vec<u64>,
    /// `on[k] / users`.
    pub on_rate: Vec<f64>,
    /// `on_or_after[k] / users`.
    pub on_or_after_rate: Vec<f64>,
}

/// One point of the mean retention curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeanRetention {
    /// The period after the cohort's own.
    pub period: u32,
    /// The cohorts whose period `period` had begun by the end of
    /// observation (the others are left out, not counted as zero).
    pub cohorts: u64,
    /// Their customers.
    pub users: u64,
    /// Their customers with a return on this period.
    pub on: u64,
    /// Their customers with a return on this period or later.
    pub on_or_after: u64,
    /// `on / users`: the mean of the cohorts' rates weighted by cohort size;
    /// `None` when no cohort is old enough.
    pub on_rate: Option<f64>,
    /// `on_or_after / users`.
    pub on_or_after_rate: Option<f64>,
}

/// The retention table: one row per cohort (in time order, cohorts without
/// customers left out) and the weighted mean curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionReport {
    /// The period.
    pub period: Period,
    /// Calendar or rolling periods.
    pub boundaries: Boundaries,
    /// The calendar periods were counted in.
    pub calendar: Calendar,
    /// The last period reported after the cohort's own.
    pub periods: u32,
    /// What put customers in a cohort, in words.
    pub cohort_event: String,
    /// What counted as a return, in words.
    pub return_event: String,
    /// Customers added.
    pub customers: u64,
    /// Customers in a cohort (the others had no cohort event).
    pub in_cohorts: u64,
    /// The end of observation: the configuration's `as_of`, else the
    /// latest row.
    pub observed_until: Option<DateTime<Utc>>,
    /// The cohorts, oldest first.
    pub cohorts: Vec<CohortRetention>,
    /// The weighted mean curve, periods `0..=periods`.
    pub mean: Vec<MeanRetention>,
}

impl fmt::Display for RetentionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let off = self.calendar.utc_offset_minutes;
        writeln!(
            f,
            "retention by {} ({}, UTC{}{:02}:{:02}); cohort: first {}; return: {}",
            self.period,
            self.boundaries,
            if off < 0 { '-' } else { '+' },
            off.abs() / 60,
            off.abs() % 60,
            self.cohort_event,
            self.return_event
        )?;
        writeln!(
            f,
            "{} customers, {} in cohorts; share returning on period k (on or after k)",
            self.customers, self.in_cohorts
        )?;
        write!(f, "{:<12} {:>7}", "cohort", "users")?;
        for k in 0..=self.periods {
            write!(f, " {:>13}", format!("k={k}"))?;
        }
        writeln!(f)?;
        let cell = |on: f64, after: f64| format!("{:.0}% ({:.0}%)", 100.0 * on, 100.0 * after);
        for c in &self.cohorts {
            write!(f, "{:<12} {:>7}", c.cohort.to_string(), c.users)?;
            for k in 0..c.on.len() {
                if k < c.observed_periods as usize {
                    let on = c.on_rate.get(k).copied().unwrap_or(0.0);
                    let after = c.on_or_after_rate.get(k).copied().unwrap_or(0.0);
                    write!(f, " {:>13}", cell(on, after))?;
                } else {
                    write!(f, " {:>13}", "")?;
                }
            }
            writeln!(f)?;
        }
        write!(f, "{:<12} {:>7}", "mean", "")?;
        for m in &self.mean {
            match (m.on_rate, m.on_or_after_rate) {
                (Some(a), Some(b)) => write!(f, " {:>13}", cell(a, b))?,
                _ => write!(f, " {:>13}", "")?,
            }
        }
        writeln!(f)
    }
}
