//! Lifecycle: per period, how many customers were new, returning,
//! resurrecting or dormant, as PostHog's lifecycle insight counts them.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::model::names::named_enum;
use crate::retention::activity::{Activity, RowTest};
use crate::retention::cohort::closures;
use crate::retention::period::{Calendar, Clock, Period};
use crate::step::Cols;

/// The most periods a lifecycle state holds and a report lists; more is
/// [`Error::TooMuchWork`]: 100,000 (274 years of days).
pub const MAX_LIFECYCLE_PERIODS: u64 = 100_000;

named_enum! {
    /// When a customer's first active period counts as `new`.
    pub enum NewMeans: "new customer rule" {
        /// When the first active period is also the period of the customer's
        /// first touchpoint of any kind; otherwise it counts as
        /// `resurrecting`. PostHog's rule (it compares with the period the
        /// person was created in). With [`Activity::Any`] the two rules
        /// agree.
        FirstTouch = "first_touch",
        /// Always: the first active period is `new`, whenever the customer
        /// was first seen (Adobe's "new": active now, never before).
        FirstActive = "first_active",
    }
}

impl Default for NewMeans {
    /// [`NewMeans::FirstTouch`], PostHog's rule.
    fn default() -> Self {
        NewMeans::FirstTouch
    }
}

/// What the lifecycle counts.
///
/// A customer is **active** in a period with at least one row matching
/// [`active`](Self::active) (any touchpoint by default) in it. Each period,
/// each customer is at most one of:
///
/// - **new**: active, and this is their first active period (with
///   [`NewMeans::FirstTouch`], the default, only when it is also the period
///   of their first touchpoint: PostHog's rule);
/// - **returning**: active in this period and in the one before;
/// - **resurrecting**: active, not active in the period before, and not new
///   (active at some earlier period, or, under [`NewMeans::FirstTouch`],
///   first active after a period in which they were seen but not active);
/// - **dormant**: not active, but active in the period before (counted once,
///   in the first inactive period after activity; PostHog shows it as a
///   negative number, this report as a positive count).
///
/// These are PostHog's definitions (its lifecycle query labels each active
/// period `new`, `returning` or `resurrecting` by comparing it with the
/// previous active period, or the person's creation period for the first,
/// and the period after each run of activity `dormant`); Adobe's "active
/// growth" (new, repeat, return, dormant) is the same with
/// [`NewMeans::FirstActive`].
///
/// Periods run from the first active period (or the one holding
/// [`since`](Self::since)) to the one holding the latest row (or
/// [`as_of`](Self::as_of)); rows after `as_of` are left out, rows before
/// `since` still decide the status of later periods.
///
/// ```
/// use cxjourney::retention::{Activity, Calendar, LifecycleConfig, Period};
/// let config = LifecycleConfig::new(Period::Week)
///     .with_active(Activity::orders())
///     .with_calendar(Calendar::WIB);
/// assert_eq!(config.period, Period::Week);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct LifecycleConfig {
    /// What makes a customer active. Default: any touchpoint.
    pub active: Activity,
    /// The period. Default: a day.
    pub period: Period,
    /// The offset from UTC and the first day of the week.
    pub calendar: Calendar,
    /// When a first active period counts as new. Default: PostHog's rule.
    pub new_means: NewMeans,
    /// The first period reported is the one holding this time. Default: the
    /// first active period of any customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// The end of observation: rows after it are left out, and the last
    /// period reported holds it. Default: the latest row added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig::new(Period::Day)
    }
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for LifecycleConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        LifecycleConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for LifecycleConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = LifecycleConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl LifecycleConfig {
    /// Lifecycle by `period` in UTC, any touchpoint active, PostHog's rules.
    #[must_use]
    pub fn new(period: Period) -> Self {
        LifecycleConfig {
            active: Activity::Any,
            period,
            calendar: Calendar::utc(),
            new_means: NewMeans::FirstTouch,
            since: None,
            as_of: None,
        }
    }

    /// Sets what makes a customer active.
    #[must_use]
    pub fn with_active(mut self, active: Activity) -> Self {
        self.active = active;
        self
    }

    /// Sets the calendar.
    #[must_use]
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// Sets the rule for new customers.
    #[must_use]
    pub fn with_new_means(mut self, rule: NewMeans) -> Self {
        self.new_means = rule;
        self
    }

    /// Reports periods from the one holding `since`.
    #[must_use]
    pub fn with_since(mut self, since: DateTime<Utc>) -> Self {
        self.since = Some(since);
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
    /// [`Error::InvalidConfig`] for an offset outside a day, a step with
    /// funnel-only fields, or `since` after `as_of`.
    pub fn validate(&self) -> Result<()> {
        self.calendar.validate("calendar.utc_offset_minutes")?;
        self.active.validate("active")?;
        if let (Some(s), Some(a)) = (self.since, self.as_of) {
            if s > a {
                return Err(Error::InvalidConfig {
                    field: "since",
                    value: format!("{s} (as_of {a})"),
                    reason: "since must not be after as_of",
                });
            }
        }
        Ok(())
    }
}

/// The four counts of one period.
const NEW: usize = 0;
const RETURNING: usize = 1;
const RESURRECTING: usize = 2;
const DORMANT: usize = 3;

#[derive(Debug, Clone)]
struct Live {
    config: LifecycleConfig,
    test: RowTest,
}

/// Lifecycle counts over journeys; an [`Accumulator`] whose merge is
/// associative and commutative (proptested). The state holds the four
/// counts of each period that has any, at most [`MAX_LIFECYCLE_PERIODS`].
/// Like [`RetentionAccumulator`](crate::retention::RetentionAccumulator),
/// it serializes without closures; a deserialized state merges and finishes.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::log::EventLog;
/// use cxjourney::retention::{LifecycleAccumulator, LifecycleConfig, Period};
/// use cxjourney::{Accumulator, BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let day = |d| Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap() + TimeDelta::days(d);
/// // Active on days 0, 1 and 3: new, returning, dormant, resurrecting.
/// let log = EventLog::from_touchpoints(
///     [0, 1, 3].map(|d| Touchpoint::new(CustomerId(1), day(d), K::ProductView)),
///     &JourneyConfig::default(),
/// )?;
/// let mut acc = LifecycleAccumulator::new(&LifecycleConfig::new(Period::Day))?;
/// acc.add(log.journeys().next().unwrap())?;
/// let r = acc.finish()?;
/// let counts: Vec<[u64; 4]> = r.periods.iter()
///     .map(|p| [p.new, p.returning, p.resurrecting, p.dormant]).collect();
/// assert_eq!(counts, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifecycleAccumulator {
    config: LifecycleConfig,
    custom: Vec<String>,
    #[serde(skip)]
    live: Option<Live>,
    customers: u64,
    counts: BTreeMap<i64, [u64; 4]>,
    /// The period of the latest row added (at or before `as_of`).
    latest: Option<i64>,
}

impl LifecycleAccumulator {
    fn bounds(config: &LifecycleConfig) -> (Clock, Option<i64>, Option<i64>) {
        let clock = Clock::new(config.period, config.calendar);
        let lo = config.since.map(|s| clock.index(s.timestamp_micros()));
        let hi = config.as_of.map(|a| clock.index(a.timestamp_micros()));
        (clock, lo, hi)
    }
}

fn too_many() -> Error {
    Error::TooMuchWork {
        what: "lifecycle periods; choose a longer period, or bound the range with since and as_of",
        limit: MAX_LIFECYCLE_PERIODS,
    }
}

impl Accumulator for LifecycleAccumulator {
    type Config = LifecycleConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = LifecycleReport;

    fn new(config: &LifecycleConfig) -> Result<Self> {
        config.validate()?;
        let mut custom = Vec::new();
        let mut stripped = config.clone();
        stripped.active = config.active.stripped("active", &mut custom);
        Ok(LifecycleAccumulator {
            config: stripped,
            custom,
            live: Some(Live {
                config: config.clone(),
                test: RowTest::new(&[&config.active]),
            }),
            customers: 0,
            counts: BTreeMap::new(),
            latest: None,
        })
    }

    /// Adds one customer.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] past [`MAX_LIFECYCLE_PERIODS`];
    /// [`Error::Mismatch`] for a deserialized state.
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let Some(live) = &mut self.live else {
            return Err(Error::Mismatch {
                expected: "a lifecycle state made by LifecycleAccumulator::new".into(),
                found:
                    "a deserialized state, which holds no closures (merge it into one made by new)"
                        .into(),
            });
        };
        let (clock, lo, hi) = Self::bounds(&live.config);
        let times = journey.times();
        let end = match live.config.as_of {
            Some(a) => times.partition_point(|&t| t <= a.timestamp_micros()),
            None => times.len(),
        };
        let times = times.get(..end).unwrap_or(times);
        self.customers = super::checked(self.customers, 1, "customers")?;
        let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
            return Ok(());
        };
        let latest = clock.index(last);
        self.latest = Some(self.latest.map_or(latest, |l| l.max(latest)));
        let first_touch = clock.index(first);
        let new_on_first = live.config.new_means == NewMeans::FirstActive;
        let prepared = live.test.prepare(journey.log());
        let cols = Cols::of(&journey);
        let any = prepared.is_any();
        let counts = &mut self.counts;
        let mut record = |p: i64, status: usize| -> Result<()> {
            if lo.is_some_and(|lo| p < lo) || hi.is_some_and(|hi| p > hi) {
                return Ok(());
            }
            if !counts.contains_key(&p) && counts.len() as u64 >= MAX_LIFECYCLE_PERIODS {
                return Err(too_many());
            }
            if let Some(x) = counts.entry(p).or_insert([0; 4]).get_mut(status) {
                *x = x.saturating_add(1);
            }
            Ok(())
        };
        let mut prev: Option<i64> = None;
        for (i, &t) in times.iter().enumerate() {
            if !any && prepared.mask(&journey, &cols, i) & 1 == 0 {
                continue;
            }
            let p = clock.index(t);
            let status = match prev {
                Some(q) if p <= q => continue,
                None if new_on_first || p == first_touch => NEW,
                None => RESURRECTING,
                Some(q) if p == q + 1 => RETURNING,
                Some(q) => {
                    record(q + 1, DORMANT)?;
                    RESURRECTING
                }
            };
            record(p, status)?;
            prev = Some(p);
        }
        if let Some(q) = prev {
            record(q.saturating_add(1), DORMANT)?;
        }
        Ok(())
    }

    /// # Errors
    /// [`Error::Mismatch`] for states of different configurations;
    /// [`Error::TooMuchWork`] past [`MAX_LIFECYCLE_PERIODS`];
    /// [`Error::InvalidConfig`] for a deserialized state whose configuration
    /// [`Accumulator::new`] would refuse.
    fn merge(&mut self, other: Self) -> Result<()> {
        other.config.validate()?;
        if self.config != other.config || self.custom != other.custom {
            return Err(Error::Mismatch {
                expected: format!("a lifecycle state of {:?}", self.config),
                found: format!("one of {:?}", other.config),
            });
        }
        match (&self.live, other.live) {
            (Some(a), Some(b)) if a.config != b.config => {
                return Err(Error::Mismatch {
                    expected: "the same closures in both lifecycle states".into(),
                    found: "different closures".into(),
                });
            }
            (None, Some(b)) => self.live = Some(b),
            _ => {}
        }
        let new = other
            .counts
            .keys()
            .filter(|k| !self.counts.contains_key(k))
            .count();
        if (self.counts.len() + new) as u64 > MAX_LIFECYCLE_PERIODS {
            return Err(too_many());
        }
        for (p, c) in other.counts {
            let mine = self.counts.entry(p).or_insert([0; 4]);
            for (a, b) in mine.iter_mut().zip(c) {
                *a = super::checked(*a, b, "lifecycle counts")?;
            }
        }
        self.customers = super::checked(self.customers, other.customers, "customers")?;
        self.latest = match (self.latest, other.latest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// # Errors
    /// [`Error::TooMuchWork`] when the reported range passes
    /// [`MAX_LIFECYCLE_PERIODS`] periods; [`Error::TimeOutOfRange`] for a
    /// period outside chrono's dates; [`Error::InvalidConfig`] for a
    /// deserialized state whose configuration [`Accumulator::new`] would
    /// refuse.
    fn finish(self) -> Result<LifecycleReport> {
        // A deserialized state's configuration is checked as new() checks it.
        self.config.validate()?;
        let (clock, lo, hi) = Self::bounds(&self.config);
        let first_active = self
            .counts
            .iter()
            .find(|(_, c)| c[NEW] + c[RETURNING] + c[RESURRECTING] > 0)
            .map(|(&p, _)| p);
        let start = lo.or(first_active);
        let end = hi.or(self.latest);
        let mut periods = Vec::new();
        if let (Some(start), Some(end)) = (start, end) {
            if end >= start {
                let n = u64::try_from(end.saturating_sub(start)).unwrap_or(u64::MAX);
                if n >= MAX_LIFECYCLE_PERIODS {
                    return Err(too_many());
                }
                for p in start..=end {
                    let c = self.counts.get(&p).copied().unwrap_or([0; 4]);
                    let active = c[NEW]
                        .saturating_add(c[RETURNING])
                        .saturating_add(c[RESURRECTING]);
                    let gained = c[NEW].saturating_add(c[RESURRECTING]);
                    periods.push(LifecyclePeriod {
                        start: clock.start_date(p)?,
                        new: c[NEW],
                        returning: c[RETURNING],
                        resurrecting: c[RESURRECTING],
                        dormant: c[DORMANT],
                        active,
                        quick_ratio: (c[DORMANT] > 0).then(|| gained as f64 / c[DORMANT] as f64),
                    });
                }
            }
        }
        Ok(LifecycleReport {
            period: self.config.period,
            calendar: self.config.calendar,
            new_means: self.config.new_means,
            active_event: self
                .config
                .active
                .describe(closures(&self.custom, "active ")),
            customers: self.customers,
            periods,
        })
    }
}

/// The lifecycle counts of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecyclePeriod {
    /// The period's first local day.
    pub start: NaiveDate,
    /// Customers in their first active period.
    pub new: u64,
    /// Customers active in this period and the one before.
    pub returning: u64,
    /// Customers active again after at least one inactive period.
    pub resurrecting: u64,
    /// Customers active in the period before but not in this one.
    pub dormant: u64,
    /// `new + returning + resurrecting`: the customers active in the period.
    pub active: u64,
    /// `(new + resurrecting) / dormant`, the growth "quick ratio" (customers
    /// gained per customer lost); `None` when none went dormant.
    pub quick_ratio: Option<f64>,
}

/// Lifecycle counts per period, oldest first, every period of the range
/// listed (zeros included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifecycleReport {
    /// The period.
    pub period: Period,
    /// The calendar periods were counted in.
    pub calendar: Calendar,
    /// The rule for new customers.
    pub new_means: NewMeans,
    /// What made a customer active, in words.
    pub active_event: String,
    /// Customers added.
    pub customers: u64,
    /// The periods.
    pub periods: Vec<LifecyclePeriod>,
}

impl fmt::Display for LifecycleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "lifecycle by {} (active: {}; new: {})",
            self.period, self.active_event, self.new_means
        )?;
        writeln!(
            f,
            "{:<12} {:>8} {:>10} {:>13} {:>8} {:>8} {:>12}",
            "period", "new", "returning", "resurrecting", "dormant", "active", "quick ratio"
        )?;
        for p in &self.periods {
            writeln!(
                f,
                "{:<12} {:>8} {:>10} {:>13} {:>8} {:>8} {:>12}",
                p.start.to_string(),
                p.new,
                p.returning,
                p.resurrecting,
                p.dormant,
                p.active,
                p.quick_ratio.map_or(String::new(), |q| format!("{q:.2}"))
            )?;
        }
        Ok(())
    }
}
