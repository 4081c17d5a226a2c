//! Who comes back: cohort retention, lifecycle and repeat buying.
//!
//! Three analyses over [`JourneyView`](crate::log::JourneyView)s, each a
//! config, an [`Accumulator`](crate::Accumulator) that merges (so
//! [`run_on_log`](crate::run_on_log) spreads it over threads) and a serde
//! report:
//!
//! - [`RetentionAccumulator`] ([`RetentionConfig`] -> [`RetentionReport`]):
//!   customers in cohorts by the day, week or month of their first touch or
//!   first order, and who returned "on period k" and "on or after period k",
//!   as counts and rates, with the mean curve weighted by cohort size. The
//!   default is exact to ClickHouse's daily `retention` table (the tests
//!   check the reference tables).
//! - [`LifecycleAccumulator`] ([`LifecycleConfig`] -> [`LifecycleReport`]):
//!   per period, how many customers were new, returning, resurrecting or
//!   dormant, as PostHog's lifecycle insight counts them.
//! - [`RepeatBuyingAccumulator`] ([`RepeatBuyingConfig`] ->
//!   [`RepeatBuyingReport`]): the repeat purchase rate, exact time between
//!   orders (median and distribution), and churn after an inactivity window
//!   as of an explicit date.
//!
//! What counts as activity (a cohort event, a return, an active period, an
//! order) is an [`Activity`]: any touchpoint, or the rows matching a
//! [`Step`], with the conditions of a funnel step (kind, source event name,
//! channel, category, campaign, amount, stage, a closure), resolved against
//! the log's dictionaries by the one matcher the funnels use.
//!
//! # Periods
//!
//! Periods are calendar days, weeks or months ([`Period`]) in a fixed
//! offset from UTC ([`Calendar`]: UTC by default, [`Calendar::WIB`] for
//! Jakarta; weeks start on Monday unless set otherwise). Cohort retention may
//! instead count rolling periods of 24 hours (or 7 x 24) from each
//! customer's own cohort event ([`Boundaries::Rolling`]). Times come from the
//! data; no computation reads a clock: "now" is an explicit `as_of`, or the
//! latest row added.
//!
//! # Bounded work
//!
//! Cohort retention reports at most [`MAX_PERIODS`] periods and holds at
//! most [`MAX_CELLS`] cohort cells; the lifecycle holds at most
//! [`MAX_LIFECYCLE_PERIODS`] periods; past a cap,
//! [`Error::TooMuchWork`](crate::Error::TooMuchWork), never an allocation the size of a hostile
//! time range. Repeat buying keeps one duration per repeat order (exact
//! quantiles).
//!
//! # Example
//!
//! ```
//! use cxjourney::log::EventLog;
//! use cxjourney::retention::{
//!     Activity, LifecycleAccumulator, LifecycleConfig, Period, RepeatBuyingAccumulator,
//!     RepeatBuyingConfig, RetentionAccumulator, RetentionConfig,
//! };
//! use cxjourney::sample::{SampleConfig, SampleShop};
//! use cxjourney::{JourneyConfig, run_on_log};
//! let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
//! let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
//!
//! let weekly = RetentionConfig::new(Period::Week, 8).with_cohort(Activity::orders());
//! let retention = run_on_log::<RetentionAccumulator>(&log, &weekly, 2)?;
//! let first = &retention.cohorts[0];
//! assert_eq!(first.on[0], first.users); // any touchpoint returns, the order included
//!
//! let lifecycle = run_on_log::<LifecycleAccumulator>(&log, &LifecycleConfig::new(Period::Week), 2)?;
//! assert!(lifecycle.periods.iter().all(|p| p.active == p.new + p.returning + p.resurrecting));
//!
//! let repeat = run_on_log::<RepeatBuyingAccumulator>(&log, &RepeatBuyingConfig::default(), 2)?;
//! assert!(repeat.repeat_buyers <= repeat.buyers);
//! println!("{retention}{lifecycle}{repeat}");
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod activity;
mod cohort;
mod lifecycle;
mod period;
mod repeat;

pub use activity::Activity;
pub use cohort::{
    CohortRetention, MAX_CELLS, MAX_PERIODS, MeanRetention, RetentionAccumulator, RetentionConfig,
    RetentionReport,
};
pub use lifecycle::{
    LifecycleAccumulator, LifecycleConfig, LifecyclePeriod, LifecycleReport, MAX_LIFECYCLE_PERIODS,
    NewMeans,
};
pub use period::{Boundaries, Calendar, MAX_UTC_OFFSET_MINUTES, Period};
pub use repeat::{
    ChurnReport, GapBucket, OrderCount, RepeatBuyingAccumulator, RepeatBuyingConfig,
    RepeatBuyingReport,
};

/// Steps and their conditions ([`crate::step`], shared with the funnels and
/// patterns), re-exported here: an [`Activity::Matching`] holds a [`Step`].
pub use crate::step::{Condition, Predicate, Step};

/// Exact quantiles of durations (time between orders). Defined in the crate's
/// numeric building blocks; re-exported here because
/// [`RepeatBuyingReport`] exposes it.
pub use crate::numeric::quantile::DurationSummary;

/// `a + b` for counts of merged states, or an error naming the count that
/// would overflow (merging never wraps nor saturates).
pub(crate) fn checked(a: u64, b: u64, what: &str) -> crate::error::Result<u64> {
    a.checked_add(b)
        .ok_or_else(|| crate::error::Error::Mismatch {
            expected: "retention states whose counts sum within 64 bits".into(),
            found: format!("{what} {a} + {b}"),
        })
}
