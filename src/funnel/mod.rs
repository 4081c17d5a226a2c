//! Funnels: who reached which step, how fast, and where they dropped off.
//!
//! A funnel is 1 to 32 ordered [`Step`]s (predicates over touchpoints: kind,
//! channel, source event name, category, amount, stage or a closure), a
//! conversion window measured from the chain's step 1 (inclusive), and a
//! [`FunnelMode`] that spells out the rules. The default reproduces
//! ClickHouse's `windowFunnel` exactly, every mode included; the tests check
//! every per-user level of the chdb references in the reference set in
//! `tests/data`.
//!
//! # Two entry points, one kernel
//!
//! - **Journeys** ([`Funnel`], [`FunnelConfig`]): steps as predicates over
//!   [`Touchpoint`](crate::Touchpoint)s, with exclusions, optional steps,
//!   per-step windows and gaps, a held property, counting units, breakdowns,
//!   a [`FunnelReport`] through a mergeable [`FunnelAccumulator`], and a
//!   [`Witness`] per customer.
//! - **Compact rows** ([`WindowFunnel`], [`EventRow`], [`StepSequences`]): a
//!   flat event log of `(customer, seconds, event id)` rows, grouped with a
//!   counting sort and scanned without building touchpoints. This is the path
//!   for millions of events (`examples/funnel.rs`).
//!
//! Both scan each customer's events sorted by `(time, step index)` with the
//! same kernel: fixed-size arrays, no allocation per event.
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
//! use cxjourney::{CustomerId, EventMap, Journey, JourneyConfig, Touchpoint};
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
//! let journeys = Journey::group(touchpoints, &JourneyConfig::default())?;
//! let funnel = Funnel::new(
//!     FunnelConfig::new(
//!         ["view_item", "add_to_cart", "purchase"].map(Step::event).to_vec(),
//!         TimeDelta::hours(1),
//!     )
//!     .with_mode(FunnelMode::strict_deduplication()),
//! )?;
//! let mut acc = FunnelAccumulator::new(&funnel);
//! for j in &journeys {
//!     acc.add(j)?;
//! }
//! let report = acc.finish();
//! assert_eq!(report.at_level, vec![0, 1, 0, 1]);
//! assert_eq!(report.steps[2].time_from_first.unwrap().median_seconds, 540.0);
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod compact;
mod config;
mod kernel;
mod mode;
mod path;
mod report;
mod stage;
mod step;
mod witness;

pub use compact::{CustomerLevels, EventIds, EventRow, StepSequences, WindowFunnel};
pub use config::{Breakdown, CountingUnit, FunnelConfig, Property, Touch};
pub use kernel::{MAX_STEPS, StopReason};
pub use mode::{Anchoring, FunnelMode, MAX_STRICT_ONCE_CHAINS};
pub use path::{Funnel, FunnelPath, StepHit};
pub use report::{BreakdownRow, FunnelAccumulator, FunnelReport, StepReport, TrendPoint};
pub use stage::StageFunnel;
pub use step::{Condition, Exclusion, Predicate, Step};
pub use witness::{Witness, WitnessStep, WitnessTouch};

/// Exact quantiles of durations, as the reports show them (time from the
/// previous step, from the first, to convert). Defined in the crate's private
/// numeric building blocks and re-exported here because [`StepReport`] and
/// [`FunnelReport`] expose it.
pub use crate::numeric::quantile::DurationSummary;
