//! Paths: where customers go before and after a moment that matters, and
//! what they do between two.
//!
//! A [`PathsConfig`] picks the [`Focus`]: the touchpoints after a start
//! ([`Focus::After`]), before an end ([`Focus::Before`]), on both sides of
//! one ([`Focus::Around`]), or from a start to the next end
//! ([`Focus::Between`], the middle collapsed into one `(more)` node beyond
//! `steps` touchpoints at each end). Anchors are [`Step`]s (the funnel's
//! steps: kind, event name, channel, ... resolved against the log's
//! dictionaries once). Touchpoints are named by their event name or kind
//! ([`Label`]), merged by wildcard [`GroupRule`]s (`product_*` ->
//! `product`) or left out; paths run over whole journeys or within
//! sessions ([`Scope`]), from the first anchor or from every one
//! ([`Occurrence`]).
//!
//! [`PathsAccumulator`] (an [`Accumulator`](crate::Accumulator)) gives a
//! [`PathsReport`]: **exact** counts (every node, edge and path, unless
//! `top` asks for fewer), as nodes and weighted edges ready for a Sankey
//! diagram, and the distinct paths. Every figure is counted two ways, named
//! apart: `customers` (distinct customers: one customer who goes from
//! checkout to payment three times counts once) and `paths` /
//! `transitions` (how many times: that customer counts three).
//!
//! # Example
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use cxjourney::log::EventLog;
//! use cxjourney::paths::{Label, PathsAccumulator, PathsConfig};
//! use cxjourney::step::Step;
//! use cxjourney::{Accumulator, BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
//! let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 20, 0, 0).unwrap();
//! let mut tps = Vec::new();
//! for (c, kinds) in [
//!     (1, vec![K::ProductView, K::AddToCart, K::CheckoutStart, K::PaymentInfo, K::OrderCompleted]),
//!     (2, vec![K::ProductView, K::CheckoutStart, K::CheckoutStart]),
//! ] {
//!     for (m, k) in kinds.into_iter().enumerate() {
//!         tps.push(Touchpoint::new(CustomerId(c), t0 + TimeDelta::minutes(m as i64), k));
//!     }
//! }
//! let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default())?;
//! let config = PathsConfig::around(Step::kind(K::CheckoutStart))
//!     .with_steps(1)
//!     .with_label(Label::Kind)
//!     .group("product_*", "product");
//! let mut acc = PathsAccumulator::new(&config)?;
//! for j in log.journeys() {
//!     acc.add(j)?;
//! }
//! let report = acc.finish()?;
//! // Into checkout: from the cart once, from a product page once.
//! let into: Vec<(&str, u64)> = report.at("-1").map(|n| (n.label.as_str(), n.customers)).collect();
//! assert_eq!(into, [("add_to_cart", 1), ("product", 1)]);
//! // Out of checkout: to payment, or to checkout again.
//! let out: Vec<&str> = report.at("+1").map(|n| n.label.as_str()).collect();
//! assert_eq!(out, ["checkout_start", "payment_info"]);
//! assert_eq!(report.top_paths[0].steps, ["add_to_cart", "checkout_start", "payment_info"]);
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod config;
mod report;

pub use config::{
    Focus, GroupRule, Label, MAX_PATTERN_LEN, MAX_RULES, MAX_STEPS, MAX_WILDCARD_WORK, Occurrence,
    PathsConfig, Scope,
};
pub use report::{PathCount, PathEdge, PathNode, PathsAccumulator, PathsReport};

/// Steps are shared with the other analyses that pick rows out of journeys;
/// defined in [`crate::step`] and re-exported here.
pub use crate::step::{Condition, Step};
