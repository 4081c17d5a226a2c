//! Multi-touch attribution: which channels earned the orders and the
//! revenue, under every common model, exact, conserved and deterministic.
//!
//! GA4 dropped its rule-based models in 2023, and the open Markov
//! implementations either simulate (ChannelAttribution) or invert matrices
//! without guarding the numerics. This module gives all of them in one
//! place:
//!
//! - **Paths.** A [`PathSet`] holds distinct channel paths with their
//!   conversions, value and journeys that did not convert. Read (cargo
//!   feature `csv`, through the crate's one CSV reader)
//!   ChannelAttribution's CSV ([`PathSet::parse_csv`], or in pieces with
//!   [`PathFileReader`]), a journeys file with touch times
//!   ([`PathSet::parse_journeys_csv`]), add paths by hand, or
//!   build them from an event log with [`AttributionAccumulator`]: the touches
//!   before each conversion within a lookback window, **refund-aware**
//!   ([`RefundPolicy`]: orders later refunded, returned or cancelled can be
//!   excluded or netted).
//! - **Models**, each a value behind the one [`Model`] trait
//!   (`LastTouch.attribute(&paths)`, `Markov::order(2).attribute(&paths)`):
//!   [`FirstTouch`], [`LastTouch`], [`LastNonDirect`], [`Linear`],
//!   [`PositionBased`], [`TimeDecay`] (all of them in one pass:
//!   [`RuleBased`], also straight from a file's bytes without keeping the
//!   paths: [`RuleBased::parse_csv`], [`RuleBasedReader`]); [`Markov`] of
//!   order 1 to 4 with exact
//!   removal effects ([`Markov::solve`] also gives the transition matrix,
//!   [`Markov::bootstrap`] seeded confidence intervals); the Shapley value,
//!   simplified ([`SimplifiedShapley`]), classic over all coalitions
//!   ([`Shapley`], up to 20 channels) and ordered ([`OrderedShapley`]).
//! - **The report.** [`AttributionReport`] puts every model side by side
//!   per channel; every model's credits add up to the input's conversions
//!   and value.
//!
//! Results never depend on the order paths were added or merged in: values
//! are summed in fixed point, the chain's states and the coalitions are
//! ordered by channel name, and the bootstrap resamples paths in that order.
//!
//! # Example
//!
//! ```
//! use cxjourney::attribution::{AttributionConfig, AttributionReport, Markov, Model, PathSet};
//! let csv = "path,total_conversions,total_conversion_value,total_null\n\
//!            social > search > search,3,300.00,7\n\
//!            search,2,120.00,18\n\
//!            email > search,1,80.00,4\n\
//!            social,0,0.00,15\n";
//! let paths = PathSet::parse_csv(csv.as_bytes())?;
//! let markov = Markov::order(1).solve(&paths)?;
//! assert!((markov.conversion_probability - 6.0 / 50.0).abs() < 1e-15);
//! let report = AttributionReport::from_paths(&paths, &AttributionConfig::default())?;
//! let search = &report.channels["search"];
//! assert_eq!(search.last_touch.conversions, 6.0);
//! assert!(search.markov.conversions > report.channels["social"].markov.conversions);
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod credit;
mod fixed;
mod heuristic;
mod journeys;
mod markov;
#[cfg(feature = "csv")]
mod parse;
mod paths;
mod report;
mod shapley;

pub use credit::{Credit, Credits, Model};
#[cfg(feature = "csv")]
pub use heuristic::RuleBasedReader;
pub use heuristic::{
    FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, RuleBased, TimeDecay,
};
pub use journeys::{AttributionAccumulator, PathsPer, RefundPolicy};
pub use markov::{
    Bootstrap, DEFAULT_MAX_STATES, Interval, MAX_ORDER, MAX_REPLICATES, Markov, MarkovCredit,
    MarkovInterval, MarkovResult, State, Transition,
};
#[cfg(feature = "csv")]
pub use parse::PathFileReader;
pub use paths::{MAX_COUNT, MAX_TOUCHES, PathRow, PathSet};
pub use report::{AttributionConfig, AttributionReport, ChannelReport};
pub use shapley::{MAX_SHAPLEY_CHANNELS, OrderedShapley, Shapley, ShapleyGame, SimplifiedShapley};
