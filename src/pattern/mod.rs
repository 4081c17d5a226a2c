//! Journey patterns: which journeys match a sequence of conditions and time
//! gaps, and how often; exact to ClickHouse's `sequenceMatch` and
//! `sequenceCount`.
//!
//! A [`Pattern`] is written in ClickHouse's syntax: `(?N)` for an event that
//! meets condition `N`, `.` for any one event, `.*` for any number of
//! events, and time conditions `(?t<=S)`, `(?t<S)`, `(?t>=S)`, `(?t>S)`,
//! `(?t==S)` on the seconds from the event before to the next. It is parsed
//! once; a malformed pattern is an [`Error::InvalidConfig`](crate::Error)
//! naming the position. The conditions are [`Step`]s (the funnel's steps:
//! kind, source event name, channel, category, campaign, amount, stage or a
//! closure), resolved against the event log's dictionaries once.
//!
//! - [`PatternMatcher`]: a [`PatternConfig`] (pattern, conditions,
//!   [`PatternMode`]) checked and ready; [`PatternMatcher::results`] gives
//!   every customer's result over a log (the fast path for millions of
//!   rows, `examples/patterns.rs`), [`PatternMatcher::result`] one journey's.
//! - [`PatternAccumulator`]: customers matched, total matches and customers
//!   by result ([`PatternReport`]), an [`Accumulator`](crate::Accumulator),
//!   so [`run_on_log`](crate::run_on_log) spreads it over threads.
//! - [`Pattern::sequence_match`] and [`Pattern::sequence_count`]: the
//!   matcher alone, on `(seconds, conditions met)` pairs.
//!
//! # Semantics
//!
//! As ClickHouse computes them (its `AggregateFunctionSequenceMatch.h`),
//! checked against every tie-free per-user result of the reference set and
//! against chdb on random patterns and journeys:
//!
//! - The events are the rows that meet at least one of the conditions given
//!   (not only those the pattern names); the other rows are left out, so
//!   `.` and adjacency see events only. Events are taken in time order, in
//!   whole seconds; rows of the same second keep their journey order
//!   (ClickHouse sorts by the second with an unstable sort, so its answer
//!   for same-second events of different conditions is undefined).
//! - A pattern may start anywhere (an implicit leading `.*`) and need not
//!   reach the last event. `(?1)(?2)`: an event of condition 1 *immediately*
//!   followed by an event of condition 2.
//! - A time condition compares the time of the event that the next element
//!   takes with the time of the event before it, skipping the events
//!   between: `(?1)(?t<=3600)(?2)` holds when some condition-2 event comes
//!   within an hour after some condition-1 event. After `.*`, the "event
//!   before" is where the `.*` stopped.
//! - When the events run out, the elements left match the empty rest if they
//!   are `.*`, `(?t<=S)`, `(?t<S)` or `(?t>=0)` (ClickHouse's end rule); so a
//!   pattern of only such elements matches every customer, and its count is
//!   the number of events. (Where the pattern *ends* in such elements and
//!   the match takes the last event, ClickHouse reads past the end of its
//!   pattern, and its answer depends on memory; this crate gives the one
//!   the end rule means: a match.)
//! - `sequenceCount` counts non-overlapping matches, greedy from the left:
//!   the first match in ClickHouse's search order (each `.*` and time
//!   condition trying the nearest event first), then again from the end of
//!   that match (the event after the last one taken; a match that took
//!   nothing moves on by one event). `(?1).*(?2)`: the earliest condition-1
//!   event, the earliest condition-2 event after it, count one, go on after
//!   it.
//!
//! # Cost
//!
//! ClickHouse matches patterns without time conditions with an automaton
//! (O(events x pattern)) and the others by backtracking with a cap of a
//! million steps, beyond which the query fails; its `sequenceCount` always
//! backtracks. Here every pattern is matched in O(events x elements) with
//! no cap and no failure: patterns of conditions and `.` separated by `.*`
//! in one greedy pass over the rows, the others by one backward pass per
//! element over the journey's events (each element's possible next events
//! form a range of positions, because times are sorted), and counting then
//! walks forward through those passes. A journey of a million touchpoints
//! takes tens of milliseconds in a release build (and well under a second
//! unoptimized, tested). Patterns have at most [`MAX_ELEMENTS`]
//! elements and [`MAX_CONDITIONS`] conditions.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use cxjourney::log::EventLog;
//! use cxjourney::pattern::{PatternAccumulator, PatternConfig, PatternMatcher, PatternMode};
//! use cxjourney::step::Step;
//! use cxjourney::{Accumulator, CustomerId, EventMap, JourneyConfig, Touchpoint};
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 12, 12, 19, 0, 0).unwrap();
//! let raw = [(1, 0, "view_item"), (1, 3, "add_to_cart"), (1, 9, "purchase"),
//!            (2, 0, "add_to_cart"), (2, 70, "purchase")];
//! let events = EventMap::ga4();
//! let mut touchpoints = Vec::new();
//! for (c, minute, name) in raw {
//!     let (kind, event) = events.convert(name)?;
//!     touchpoints.push(Touchpoint::new(CustomerId(c), t0 + TimeDelta::minutes(minute), kind)
//!         .with_event(event));
//! }
//! let log = EventLog::from_touchpoints(&touchpoints, &JourneyConfig::default())?;
//! // An add to cart followed by a purchase within the hour.
//! let quick = PatternMatcher::new(PatternConfig::new(
//!     "(?1)(?t<=3600)(?2)".parse()?,
//!     vec![Step::event("add_to_cart"), Step::event("purchase")],
//! ))?;
//! assert_eq!(quick.results(&log, 0..log.customer_count()), [1, 0]);
//! let mut acc = PatternAccumulator::new(&quick)?;
//! for j in log.journeys() {
//!     acc.add(j)?;
//! }
//! let report = acc.finish()?;
//! assert_eq!((report.customers, report.matched_customers), (2, 1));
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod config;
mod kernel;
mod parse;
mod report;

pub use config::{PatternConfig, PatternMatcher, PatternMode};
pub use parse::{MAX_CONDITIONS, MAX_ELEMENTS, Pattern};
pub use report::{PatternAccumulator, PatternReport, ResultCount};

/// Steps are shared with the other analyses that pick rows out of journeys;
/// defined in [`crate::step`] and re-exported here.
pub use crate::step::{Condition, Step};
