//! Funnels: who reached which step, how fast, and where they dropped off.
//!
//! A funnel is 1 to 32 ordered [`Step`]s (predicates over the rows of an
//! event log: kind, channel, source event name, category, campaign, amount,
//! stage or a closure over the [`Row`](crate::log::Row)), a conversion window
//! measured from the chain's step 1 (inclusive), and a [`FunnelMode`] that
//! spells out the rules. The default reproduces ClickHouse's `windowFunnel`
//! exactly, every mode included; the tests check every per-user level of the
//! chdb references in the reference set in `tests/data`.
//!
//! # One input, one kernel
//!
//! A funnel reads the [`EventLog`](crate::log::EventLog): customers grouped,
//! rows in journey order. [`Funnel`] evaluates one
//! [`JourneyView`](crate::log::JourneyView) at a time: its conditions are
//! resolved against the log's dictionaries once, so a row's steps are a table
//! lookup on the view's columns (no allocation per row, no
//! [`Touchpoint`](crate::Touchpoint)), and each customer's events, sorted by
//! `(second, step)`, go through one kernel with fixed-size arrays.
//!
//! - [`Funnel::levels`]: the levels of a range of customers (ClickHouse's
//!   `windowFunnel` per user), the fast path for millions of rows
//!   (`examples/funnel.rs`).
//! - [`FunnelAccumulator`]: the full [`FunnelReport`] (exclusions, optional
//!   steps, per-step windows and gaps, a held property, counting units,
//!   breakdowns, durations), an [`Accumulator`](crate::Accumulator), so
//!   [`run_on_log`](crate::run_on_log) spreads it over threads.
//! - [`Funnel::witness`]: which row filled which step for one customer, and
//!   why the customer stopped.
//! - [`WindowFunnel`]: the kernel alone, on `(seconds, step)` pairs.
//!
//! # The rules, and how the presets differ
//!
//! With steps A, B, C and a one-hour window:
//!
//! | preset | rule | events | level |
//! |---|---|---|---|
//! | [`FunnelMode::clickhouse`] | largest m with A..m in order and last - first <= window; a later A restarts the chain | A 0s, A 50m, B 70m | 2 |
//! | [`FunnelMode::first_entry`] (Mixpanel, PostHog) | the window starts at the first A and is not re-anchored | A 0s, A 50m, B 70m | 1 |
//! | [`FunnelMode::strict_deduplication`] | a repeated B or C stops the scan | A, B, B, C | 2 (default: 3) |
//! | [`FunnelMode::strict_order`] | after A, an event matching no step or a step out of order stops the scan | A, x, B | 1 (default: 2) |
//! | [`FunnelMode::strict_increase`] | each step strictly later than the one before | A and B in the same second | 1 (default: 2) |
//! | [`FunnelMode::strict_once`] | one event fills at most one step | one event matching A and B | 1 (default: 2) |
//! | `strict_order` + `allow_reentry` | steps out of order are skipped, not fatal | A, C, B, C | 3 (strict_order: 1) |
//!
//! Ties: at the same second the lower step comes first, whatever the input
//! order; in `strict_order`, events that match no step come before matching
//! ones at the same second. Timestamps count in whole seconds (ClickHouse
//! `DateTime`); a gap of exactly the window counts.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use cxjourney::funnel::{Funnel, FunnelAccumulator, FunnelConfig, FunnelMode, Step};
//! use cxjourney::log::EventLog;
//! use cxjourney::{Accumulator, CustomerId, EventMap, JourneyConfig, Touchpoint, run_on_log};
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 12, 12, 19, 0, 0).unwrap();
//! let raw = [(1, 0, "view_item"), (1, 3, "add_to_cart"), (1, 9, "purchase"),
//!            (2, 0, "view_item"), (2, 1, "view_item")];
//! let events = EventMap::ga4();
//! let mut touchpoints = Vec::new();
//! for (c, minute, name) in raw {
//!     let (kind, event) = events.convert(name)?;
//!     touchpoints.push(Touchpoint::new(CustomerId(c), t0 + TimeDelta::minutes(minute), kind)
//!         .with_event(event));
//! }
//! let log = EventLog::from_touchpoints(&touchpoints, &JourneyConfig::default())?;
//! let funnel = Funnel::new(
//!     FunnelConfig::new(
//!         ["view_item", "add_to_cart", "purchase"].map(Step::event).to_vec(),
//!         TimeDelta::hours(1),
//!     )
//!     .with_mode(FunnelMode::strict_deduplication()),
//! )?;
//! assert_eq!(funnel.levels(&log, 0..log.customer_count())?, [3, 1]);
//! let mut acc = FunnelAccumulator::new(&funnel)?;
//! for j in log.journeys() {
//!     acc.add(j)?;
//! }
//! let report = acc.finish()?;
//! assert_eq!(report.at_level, vec![0, 1, 0, 1]);
//! assert_eq!(report.steps[2].time_from_first.unwrap().median_seconds, 540.0);
//! assert_eq!(run_on_log::<FunnelAccumulator>(&log, &funnel, 2)?, report);
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod config;
mod exclusion;
mod kernel;
mod mode;
mod once;
mod path;
mod report;
mod stage;
mod window;
mod witness;

/// Steps are shared with the other analyses that pick rows out of journeys;
/// defined in [`crate::step`] and re-exported here.
pub use crate::step::{Condition, Predicate, Step};
pub use config::{Breakdown, CountingUnit, FunnelConfig, MAX_WINDOW_SECONDS, Property, Touch};
pub use exclusion::Exclusion;
pub use kernel::{MAX_STEPS, StopReason};
#[allow(deprecated)]
pub use mode::MAX_STRICT_ONCE_CHAINS;
pub use mode::{Anchoring, FunnelMode};
pub use path::{Funnel, FunnelPath, StepHit};
pub use report::{BreakdownRow, FunnelAccumulator, FunnelReport, StepReport, TrendPoint};
pub use stage::StageFunnel;
pub use window::WindowFunnel;
pub use witness::{Witness, WitnessStep, WitnessTouch};

/// Exact quantiles of durations, as the reports show them (time from the
/// previous step, from the first, to convert). Defined in the crate's private
/// numeric building blocks and re-exported here because [`StepReport`] and
/// [`FunnelReport`] expose it.
pub use crate::numeric::quantile::DurationSummary;
