//! Customer value: RFM scores and segments, and the `lifetimes` summary
//! (public as `cxjourney::value`).
//!
//! Who are the best customers, and who is slipping away. One pass over each
//! customer's journey in the event log collects their completed orders up to
//! an analysis date; [`RfmAccumulator`] (an [`Accumulator`](crate::Accumulator))
//! turns them into, per customer:
//!
//! - the summary of the Python package `lifetimes`
//!   (`summary_data_from_transaction_data`): frequency, recency, T and
//!   monetary value, with its exact definitions (purchases bucketed per
//!   period, same-day purchases merged, the first purchase left out of the
//!   monetary value, purchases after the observation end dropped);
//! - recency in days, orders, the sum of the amounts and the discounted
//!   share;
//! - R, F and M scores 1..=bins, and a segment from a [`RuleSet`] (the R x F
//!   grid by default, the R package `rfm`'s rule sets, or your own rules as
//!   data), with a [`Coverage`] report of the cells the rules leave
//!   uncovered or take twice.
//!
//! [`read_transactions`] (cargo feature `csv`) reads a transactions file
//! (`customer_id,ts,amount,discounted`) into an event log of order rows.
//! Both reproduce the reference set (`tests/data/SEMANTICS.md`, section 4):
//! lifetimes 0.11.3 and pandas 3.1.1.
//!
//! # Scores
//!
//! Customers are put in [`CustomerKey`] order (integer ids ascending, then
//! text keys by bytes) and ranked with pandas' `rank(method="first")`: ties
//! go to the earlier customer, who gets the lower rank. The ranks are cut
//! into bins by `pandas.qcut(rank, bins)`, whose floating-point steps are
//! repeated exactly (for 5 bins this is `max(1, ceil(5 (rank - 1) / (n -
//! 1)))`; for other counts pandas nudges some quantiles and this follows).
//! R ranks `recency_days` descending, so the most recent customers score
//! highest; F ranks the number of orders; M the sum (or the mean) of the
//! amounts. One customer alone scores 1.
//!
//! ```
//! use chrono::NaiveDate;
//! use cxjourney::log::EventLog;
//! use cxjourney::sample::{SampleConfig, SampleShop};
//! use cxjourney::value::{RfmAccumulator, RfmConfig};
//! use cxjourney::{JourneyConfig, run_on_log};
//! let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
//! let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
//! let config = RfmConfig::new(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
//! let report = run_on_log::<RfmAccumulator>(&log, &config, 2)?;
//! assert!(report.coverage.is_partition());
//! let champions = &report.segments["champions"];
//! assert!(champions.customers > 0);
//! assert!(report.customers.iter().all(|c| (1..=5).contains(&c.r_score)));
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod config;
#[cfg(feature = "csv")]
mod csv;
mod customer;
mod qcut;
mod report;
mod segment;

pub use config::{MAX_BINS, MonetaryBasis, Period, RfmConfig};
#[cfg(feature = "csv")]
pub use csv::{
    MAX_TRANSACTION_RECORD_BYTES, TRANSACTION_COLUMNS, TransactionCsvOptions,
    TransactionCsvSummary, read_transactions, read_transactions_log,
};
pub use customer::CustomerKey;
pub use report::{CustomerRfm, RfmAccumulator, RfmReport, SegmentSummary};
pub use segment::{
    Coverage, MAX_NAME_LEN, MAX_RULES, Overlap, RfmCell, RuleSet, ScoreRange, SegmentRule,
};
