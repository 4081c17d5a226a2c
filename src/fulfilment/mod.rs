//! Fulfilment: does the shop keep its promises after the order (public as
//! `cxjourney::fulfilment`).
//!
//! From each customer's journey in the event log, the orders and what
//! happened to them ([`orders`]: shipment, delivery attempts, delivery,
//! cancellation, returns, refunds, returns to origin), and over many
//! customers ([`FulfilmentAccumulator`], an [`Accumulator`](crate::Accumulator)):
//!
//! - on-time and first-attempt delivery rates, the delivery time
//!   distribution, return and refund rates, the refund cycle time and
//!   wrong-item returns, overall and by payment method, channel and month;
//! - returns to origin (RTO, a parcel back to the seller undelivered; see
//!   [`orders`] for how one is told from a customer return): the rate for
//!   cash on delivery against prepaid and by days to the first delivery
//!   attempt;
//! - an RTO risk score per order before it ships ([`RtoScorer`]):
//!   transparent additive points with documented weights, and its
//!   calibration (risk band against the RTO observed).
//!
//! [`FulfilmentReport::evidence`] hands the behavioural measures to a CX
//! pyramid report, to show next to the survey's fulfilment score.
//!
//! ```
//! use cxjourney::fulfilment::{FulfilmentAccumulator, FulfilmentConfig};
//! use cxjourney::log::EventLog;
//! use cxjourney::sample::{SampleConfig, SampleShop};
//! use cxjourney::{JourneyConfig, run_on_log};
//! let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
//! let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
//! let report = run_on_log::<FulfilmentAccumulator>(&log, &FulfilmentConfig::default(), 2)?;
//! assert!(report.overall.delivered > 0);
//! assert!(report.by_payment.contains_key("cash_on_delivery"));
//! assert_eq!(report.rto_calibration().len(), 3);
//! # Ok::<(), cxjourney::Error>(())
//! ```

mod order;
mod report;
mod rto;
mod stats;

pub use order::{OrderFacts, orders};
pub use report::{
    Better, Evidence, FulfilmentAccumulator, FulfilmentConfig, FulfilmentMetrics, FulfilmentReport,
    RtoCalibrationRow, RtoFactorRow, RtoReport,
};
pub use rto::{
    DelayPoints, MAX_BANDS, OrderRisk, RtoBand, RtoConfig, RtoFactor, RtoInput, RtoScore,
    RtoScorer, RtoWeights, order_risks,
};
pub use stats::{DurationStats, Rate};
