//! The fulfilment accumulator (on the [`Accumulator`] contract) and its
//! report: delivery, returns, refunds and returns to origin, overall and by
//! payment method, channel and month; the RTO rates and the calibration of
//! the RTO risk score.

use std::collections::BTreeMap;
use std::fmt;

use chrono::Datelike;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::fulfilment::order::{Facts, NONE, OrderScratch, WrongItem, time};
use crate::fulfilment::rto::{RtoConfig, RtoFactor, RtoInput, inputs, points_of};
use crate::fulfilment::stats::{DurationStats, Minutes, Rate};
use crate::log::JourneyView;
use crate::model::{Dimension, PaymentMethod};

/// How [`FulfilmentAccumulator`] reads and scores orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct FulfilmentConfig {
    /// Names that mark a wrong-item return: a row of the order whose source
    /// event name, or custom kind, is one of them (a shop's
    /// `return_wrong_item` event, say). Default: `wrong_item`,
    /// `return_wrong_item`, `wrong_item_received`.
    pub wrong_item_events: Vec<String>,
    /// The RTO risk score. Default: [`RtoConfig::default`].
    pub rto: RtoConfig,
}

impl Default for FulfilmentConfig {
    fn default() -> Self {
        FulfilmentConfig {
            wrong_item_events: ["wrong_item", "return_wrong_item", "wrong_item_received"]
                .map(str::to_owned)
                .to_vec(),
            rto: RtoConfig::default(),
        }
    }
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for FulfilmentConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        FulfilmentConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for FulfilmentConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = FulfilmentConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl FulfilmentConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for more than 256 wrong-item names, or an
    /// RTO configuration that [`RtoConfig::validate`] refuses.
    pub fn validate(&self) -> Result<()> {
        if self.wrong_item_events.len() > 256 {
            return Err(Error::InvalidConfig {
                field: "wrong_item_events",
                value: self.wrong_item_events.len().to_string(),
                reason: "at most 256 names",
            });
        }
        self.rto.validate()
    }
}

/// Counts of one group of orders.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Counts {
    orders: u64,
    cancelled: u64,
    dispatched: u64,
    delivered: u64,
    promised_delivered: u64,
    on_time: u64,
    attempted: u64,
    first_attempt: u64,
    returned: u64,
    wrong_item: u64,
    refunded: u64,
    rto: u64,
    delivery: Minutes,
    refund_cycle: Minutes,
}

fn bump(x: &mut u64, yes: bool) {
    *x = x.saturating_add(u64::from(yes));
}

impl Counts {
    fn add(&mut self, f: &Facts) {
        let delivered = f.delivered != NONE;
        bump(&mut self.orders, true);
        bump(&mut self.cancelled, f.cancelled != NONE);
        bump(&mut self.dispatched, f.dispatched());
        bump(&mut self.delivered, delivered);
        if delivered {
            self.delivery.add(f.placed, f.delivered);
            if f.promised != NONE {
                bump(&mut self.promised_delivered, true);
                bump(&mut self.on_time, f.delivered <= f.promised);
            }
        }
        let attempted = f.attempts > 0 || delivered || f.rto != NONE;
        bump(&mut self.attempted, attempted);
        bump(&mut self.first_attempt, delivered && f.attempts <= 1);
        let returned = delivered && f.returned != NONE;
        bump(&mut self.returned, returned);
        bump(&mut self.wrong_item, returned && f.wrong_item);
        if f.refunded != NONE {
            bump(&mut self.refunded, true);
            let from = [f.return_requested, f.returned, f.placed]
                .into_iter()
                .find(|&t| t != NONE)
                .unwrap_or(f.placed);
            self.refund_cycle.add(from, f.refunded);
        }
        bump(&mut self.rto, f.dispatched() && f.rto != NONE);
    }

    fn merge(&mut self, o: &Counts) -> Result<()> {
        for (a, b, what) in [
            (&mut self.orders, o.orders, "orders"),
            (&mut self.cancelled, o.cancelled, "cancelled"),
            (&mut self.dispatched, o.dispatched, "dispatched"),
            (&mut self.delivered, o.delivered, "delivered"),
            (
                &mut self.promised_delivered,
                o.promised_delivered,
                "promised delivered",
            ),
            (&mut self.on_time, o.on_time, "on time"),
            (&mut self.attempted, o.attempted, "attempted"),
            (&mut self.first_attempt, o.first_attempt, "first attempt"),
            (&mut self.returned, o.returned, "returned"),
            (&mut self.wrong_item, o.wrong_item, "wrong item"),
            (&mut self.refunded, o.refunded, "refunded"),
            (&mut self.rto, o.rto, "returned to origin"),
        ] {
            *a = checked(*a, b, what)?;
        }
        self.delivery.merge(&o.delivery)?;
        self.refund_cycle.merge(&o.refund_cycle)
    }

    /// Whether counts from JSON are counts `add` makes: each a part of the
    /// one it divides, and one duration per delivered and refunded order.
    fn holds(&self) -> bool {
        let within = |a: u64, b: u64| a <= b;
        within(self.cancelled, self.orders)
            && within(self.dispatched, self.orders)
            && within(self.delivered, self.dispatched)
            && within(self.promised_delivered, self.delivered)
            && within(self.on_time, self.promised_delivered)
            && within(self.attempted, self.dispatched)
            && within(self.first_attempt, self.attempted)
            && within(self.returned, self.delivered)
            && within(self.wrong_item, self.returned)
            && within(self.refunded, self.orders)
            && within(self.rto, self.dispatched)
            && self.delivery.holds(self.delivered)
            && self.refund_cycle.holds(self.refunded)
    }

    fn metrics(&self) -> FulfilmentMetrics {
        FulfilmentMetrics {
            orders: self.orders,
            cancelled: self.cancelled,
            dispatched: self.dispatched,
            delivered: self.delivered,
            on_time: Rate::new(self.on_time, self.promised_delivered),
            first_attempt: Rate::new(self.first_attempt, self.attempted),
            delivery_time: self.delivery.stats(),
            returns: Rate::new(self.returned, self.delivered),
            wrong_item_returns: Rate::new(self.wrong_item, self.returned),
            refunds: Rate::new(self.refunded, self.orders),
            refund_cycle: self.refund_cycle.stats(),
            return_to_origin: Rate::new(self.rto, self.dispatched),
        }
    }
}

/// Returns to origin among resolved orders (`[resolved, rto]`).
type Pair = [u64; 2];

fn add_pair(p: &mut Pair, rto: bool) {
    p[0] = p[0].saturating_add(1);
    p[1] = p[1].saturating_add(u64::from(rto));
}

fn merge_pair(a: &mut Pair, b: &Pair) -> Result<()> {
    a[0] = checked(a[0], b[0], "resolved orders")?;
    a[1] = checked(a[1], b[1], "returns to origin")?;
    Ok(())
}

/// `a + b` for counts of merged states, or an error naming the count that
/// would overflow (merging never wraps nor saturates).
pub(crate) fn checked(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| Error::Mismatch {
        expected: "fulfilment states whose counts sum within 64 bits".into(),
        found: format!("{what} {a} + {b}"),
    })
}

/// The bins of days from the order to the first delivery attempt.
const DELAY_BINS: [&str; 6] = ["0-1d", "1-2d", "2-3d", "3-5d", "5d+", "no attempt"];

fn delay_bin(f: &Facts) -> usize {
    if f.first_attempt == NONE {
        return 5;
    }
    // Exact in 128 bits: two log times can be 500,000 years apart, more
    // microseconds than an i64 holds (hostile-input finding: a state of
    // extreme dates overflowed here).
    const DAY: i128 = 86_400_000_000;
    match i128::from(f.first_attempt) - i128::from(f.placed) {
        d if d < DAY => 0,
        d if d < 2 * DAY => 1,
        d if d < 3 * DAY => 2,
        d if d < 5 * DAY => 3,
        _ => 4,
    }
}

/// Reusable per-journey buffers (not part of the state).
#[derive(Debug, Clone, Default)]
struct Scratch {
    orders: OrderScratch,
    inputs: Vec<RtoInput>,
}

/// Delivery, returns, refunds and returns to origin over customers'
/// journeys, mergeable across threads or machines.
///
/// Orders are read from the journey's rows by order id (see
/// [`orders`](crate::fulfilment::orders) for the facts and the rule that
/// tells a return to origin from a customer return). Per order, in every
/// group it belongs to (all orders; its payment method; its channel; the
/// UTC month it was placed in):
///
/// - **on time**: delivered at or before the promised time, among delivered
///   orders with a promise;
/// - **first attempt**: delivered with at most one delivery attempt, among
///   orders that reached an attempt (an attempt, a delivery or a return to
///   origin);
/// - **delivery time**: from the order to its delivery;
/// - **returns**: customer returns among delivered orders, and the share of
///   them marked wrong-item ([`FulfilmentConfig::wrong_item_events`]);
/// - **refunds**: refunded orders among all orders, and the refund cycle
///   time, from the return request (else the return, else the order) to the
///   refund;
/// - **return to origin**: orders back undelivered among dispatched orders.
///
/// The RTO report adds the rate for cash on delivery against prepaid, by
/// days to the first attempt, and scores every resolved order (delivered or
/// back to origin) with the [RTO risk score](crate::fulfilment::RtoScorer)
/// from what was known before it shipped: the calibration table of bands
/// against the returns to origin observed.
///
/// ```
/// use cxjourney::fulfilment::{FulfilmentAccumulator, FulfilmentConfig};
/// use cxjourney::log::EventLog;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{JourneyConfig, run_on_log};
/// let shop = SampleShop::generate(&SampleConfig { customers: 400, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let report = run_on_log::<FulfilmentAccumulator>(&log, &FulfilmentConfig::default(), 2)?;
/// let cod = report.rto.cash_on_delivery.rate.unwrap();
/// let prepaid = report.rto.prepaid.rate.unwrap();
/// assert!(cod > prepaid);
/// assert!(report.overall.on_time.rate.is_some());
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FulfilmentAccumulator {
    config: FulfilmentConfig,
    overall: Counts,
    /// By payment method in canonical order, then "unknown".
    by_payment: Vec<Counts>,
    by_channel: BTreeMap<String, Counts>,
    /// By month, `year * 12 + month - 1`.
    by_month: BTreeMap<i32, Counts>,
    /// Dispatched orders and their returns to origin: cash on delivery,
    /// prepaid (`[dispatched, rto]`).
    rto_cod: [Pair; 2],
    /// Resolved orders and returns to origin by [`DELAY_BINS`].
    rto_delay: Vec<Pair>,
    /// Resolved orders, returns to origin and the sum of points, per band.
    bands: Vec<[i64; 3]>,
    /// Resolved orders and returns to origin with and without each factor.
    factors: Vec<[Pair; 2]>,
    #[serde(skip)]
    scratch: Scratch,
}

impl Accumulator for FulfilmentAccumulator {
    type Config = FulfilmentConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = FulfilmentReport;

    /// An empty accumulator.
    ///
    /// # Errors
    /// As [`FulfilmentConfig::validate`].
    fn new(config: &FulfilmentConfig) -> Result<Self> {
        config.validate()?;
        Ok(FulfilmentAccumulator {
            config: config.clone(),
            overall: Counts::default(),
            by_payment: vec![Counts::default(); PaymentMethod::ALL.len() + 1],
            by_channel: BTreeMap::new(),
            by_month: BTreeMap::new(),
            rto_cod: [[0; 2]; 2],
            rto_delay: vec![[0; 2]; DELAY_BINS.len()],
            bands: vec![[0; 3]; config.rto.bands.len()],
            factors: vec![[[0; 2]; 2]; RtoFactor::ALL.len()],
            scratch: Scratch::default(),
        })
    }

    /// Adds one customer's orders. Never fails.
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let wrong = WrongItem::resolve(&self.config.wrong_item_events, &journey);
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.orders.read(&journey, &wrong);
        inputs(&scratch.orders.orders, &mut scratch.inputs);
        for (f, input) in scratch.orders.orders.iter().zip(&scratch.inputs) {
            self.add_order(f, input, &journey);
        }
        self.scratch = scratch;
        Ok(())
    }

    /// Adds another accumulator's counts.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two were made with different
    /// configurations.
    fn merge(&mut self, other: FulfilmentAccumulator) -> Result<()> {
        if other.config != self.config
            || other.by_payment.len() != self.by_payment.len()
            || other.rto_delay.len() != self.rto_delay.len()
            || other.bands.len() != self.bands.len()
            || other.factors.len() != self.factors.len()
        {
            return Err(Error::Mismatch {
                expected: "a fulfilment state of the same configuration".into(),
                found: "a fulfilment state of another configuration".into(),
            });
        }
        other.check()?;
        self.overall.merge(&other.overall)?;
        for (a, b) in self.by_payment.iter_mut().zip(&other.by_payment) {
            a.merge(b)?;
        }
        for (k, v) in &other.by_channel {
            self.by_channel.entry(k.clone()).or_default().merge(v)?;
        }
        for (k, v) in &other.by_month {
            self.by_month.entry(*k).or_default().merge(v)?;
        }
        for (a, b) in self.rto_cod.iter_mut().zip(&other.rto_cod) {
            merge_pair(a, b)?;
        }
        for (a, b) in self.rto_delay.iter_mut().zip(&other.rto_delay) {
            merge_pair(a, b)?;
        }
        for (a, b) in self.bands.iter_mut().zip(&other.bands) {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x.checked_add(*y).ok_or_else(|| Error::Mismatch {
                    expected: "fulfilment states whose band sums fit 64 bits".into(),
                    found: format!("{x} + {y}"),
                })?;
            }
        }
        for (a, b) in self.factors.iter_mut().zip(&other.factors) {
            merge_pair(&mut a[0], &b[0])?;
            merge_pair(&mut a[1], &b[1])?;
        }
        Ok(())
    }

    fn finish(self) -> Result<FulfilmentReport> {
        self.check()?;
        Ok(self.report())
    }
}

impl FulfilmentAccumulator {
    /// Checks a state (one from JSON above all; finding 15-A4): its
    /// configuration, the shape of its tables, and counts that agree (no
    /// rate above 1, one duration per counted order).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a configuration
    /// [`FulfilmentConfig::validate`] refuses; [`Error::Mismatch`] naming
    /// the table whose counts disagree.
    fn check(&self) -> Result<()> {
        self.config.validate()?;
        let bad = |what: String| Error::Mismatch {
            expected: "a fulfilment state whose counts agree (each no more than the count it \
                       divides, one duration per delivered or refunded order)"
                .into(),
            found: what,
        };
        if self.by_payment.len() != PaymentMethod::ALL.len() + 1
            || self.rto_delay.len() != DELAY_BINS.len()
            || self.bands.len() != self.config.rto.bands.len()
            || self.factors.len() != RtoFactor::ALL.len()
        {
            return Err(bad(
                "tables of another length than the configuration's".into()
            ));
        }
        let counts = std::iter::once(("overall".to_owned(), &self.overall))
            .chain(self.by_payment.iter().map(|c| ("by payment".to_owned(), c)))
            .chain(
                self.by_channel
                    .iter()
                    .map(|(k, c)| (format!("channel {k:?}"), c)),
            )
            .chain(self.by_month.iter().map(|(k, c)| (format!("month {k}"), c)));
        for (what, c) in counts {
            if !c.holds() {
                return Err(bad(format!("{what}: {c:?}")));
            }
        }
        let pairs = self
            .rto_cod
            .iter()
            .chain(&self.rto_delay)
            .chain(self.factors.iter().flatten());
        for p in pairs {
            if p[1] > p[0] {
                return Err(bad(format!(
                    "{} returns to origin of {} orders",
                    p[1], p[0]
                )));
            }
        }
        for b in &self.bands {
            if b[0] < 0 || b[1] < 0 || b[1] > b[0] {
                return Err(bad(format!(
                    "a band of {} orders, {} returned to origin",
                    b[0], b[1]
                )));
            }
        }
        Ok(())
    }

    fn add_order(&mut self, f: &Facts, input: &RtoInput, journey: &JourneyView<'_>) {
        self.overall.add(f);
        let pay = usize::from(f.payment)
            .checked_sub(1)
            .unwrap_or(PaymentMethod::ALL.len());
        if let Some(c) = self.by_payment.get_mut(pay) {
            c.add(f);
        }
        let channel = journey
            .log()
            .channel_of_code(f.channel)
            .map_or("direct", |c| c.as_str());
        match self.by_channel.get_mut(channel) {
            Some(c) => c.add(f),
            None => {
                let mut c = Counts::default();
                c.add(f);
                self.by_channel.insert(channel.to_owned(), c);
            }
        }
        if let Some(t) = time(f.placed) {
            let month = t.year() * 12 + t.month0() as i32;
            self.by_month.entry(month).or_default().add(f);
        }
        let rto = f.rto != NONE;
        if f.dispatched() {
            let cod = f.payment() == Some(PaymentMethod::CashOnDelivery);
            if let Some(p) = self.rto_cod.get_mut(usize::from(!cod)) {
                add_pair(p, rto);
            }
        }
        if !f.resolved() {
            return;
        }
        if let Some(p) = self.rto_delay.get_mut(delay_bin(f)) {
            add_pair(p, rto);
        }
        let points = points_of(&self.config.rto, input);
        let total: i32 = points.iter().fold(0i32, |a, &p| a.saturating_add(p));
        if let Some(b) = self.bands.get_mut(self.config.rto.band_of(total)) {
            b[0] = b[0].saturating_add(1);
            b[1] = b[1].saturating_add(i64::from(rto));
            b[2] = b[2].saturating_add(i64::from(total));
        }
        for (row, p) in self.factors.iter_mut().zip(points) {
            if let Some(pair) = row.get_mut(usize::from(p == 0)) {
                add_pair(pair, rto);
            }
        }
    }

    fn report(&self) -> FulfilmentReport {
        let mut by_payment = IndexMap::new();
        for (i, c) in self.by_payment.iter().enumerate() {
            if c.orders > 0 {
                let name = PaymentMethod::ALL.get(i).map_or("unknown", |p| p.as_str());
                by_payment.insert(name.to_owned(), c.metrics());
            }
        }
        let by_month = self
            .by_month
            .iter()
            .map(|(&m, c)| {
                (
                    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1),
                    c.metrics(),
                )
            })
            .collect();
        let pair = |p: &Pair| Rate::new(p[1], p[0]);
        let rto_cfg = &self.config.rto;
        let calibration = rto_cfg
            .bands
            .iter()
            .zip(&self.bands)
            .map(|(band, b)| RtoCalibrationRow {
                band: band.name.clone(),
                min_points: band.min_points,
                orders: u64::try_from(b[0]).unwrap_or(0),
                returned_to_origin: u64::try_from(b[1]).unwrap_or(0),
                rate: (b[0] > 0).then(|| b[1] as f64 / b[0] as f64),
                mean_points: (b[0] > 0).then(|| b[2] as f64 / b[0] as f64),
            })
            .collect();
        let factors = RtoFactor::ALL
            .iter()
            .zip(&self.factors)
            .map(|(f, [with, without])| {
                (
                    f.as_str().to_owned(),
                    RtoFactorRow {
                        with: pair(with),
                        without: pair(without),
                    },
                )
            })
            .collect();
        FulfilmentReport {
            overall: self.overall.metrics(),
            by_payment,
            by_channel: self
                .by_channel
                .iter()
                .map(|(k, c)| (k.clone(), c.metrics()))
                .collect(),
            by_month,
            rto: RtoReport {
                cash_on_delivery: pair(&self.rto_cod[0]),
                prepaid: pair(&self.rto_cod[1]),
                by_attempt_delay: DELAY_BINS
                    .iter()
                    .zip(&self.rto_delay)
                    .map(|(name, p)| ((*name).to_owned(), pair(p)))
                    .collect(),
                calibration,
                factors,
                config: rto_cfg.clone(),
            },
        }
    }
}

/// The fulfilment figures of one group of orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FulfilmentMetrics {
    /// Orders placed.
    pub orders: u64,
    /// Orders cancelled.
    pub cancelled: u64,
    /// Orders that left the warehouse (shipped, attempted, delivered or
    /// back to origin).
    pub dispatched: u64,
    /// Orders delivered.
    pub delivered: u64,
    /// Delivered at or before the promised time, among delivered orders
    /// with a promise.
    pub on_time: Rate,
    /// Delivered with at most one attempt, among orders that reached an
    /// attempt.
    pub first_attempt: Rate,
    /// From the order to its delivery.
    pub delivery_time: Option<DurationStats>,
    /// Customer returns among delivered orders.
    pub returns: Rate,
    /// Wrong-item returns among customer returns.
    pub wrong_item_returns: Rate,
    /// Refunded orders among all orders.
    pub refunds: Rate,
    /// From the return request (else the return, else the order) to the
    /// refund.
    pub refund_cycle: Option<DurationStats>,
    /// Returns to origin among dispatched orders.
    pub return_to_origin: Rate,
}

/// One band of the RTO calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtoCalibrationRow {
    /// The band.
    pub band: String,
    /// Its fewest points.
    pub min_points: i32,
    /// Resolved orders (delivered or back to origin) scored in the band.
    pub orders: u64,
    /// Of them, back to origin.
    pub returned_to_origin: u64,
    /// The observed RTO rate (`None` without orders).
    pub rate: Option<f64>,
    /// The mean points of its orders.
    pub mean_points: Option<f64>,
}

/// The RTO rate of resolved orders with and without a factor's points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RtoFactorRow {
    /// Orders the factor added points to.
    pub with: Rate,
    /// Orders it did not.
    pub without: Rate,
}

/// Returns to origin: rates and the calibration of the risk score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtoReport {
    /// Cash-on-delivery orders back to origin, among those dispatched.
    pub cash_on_delivery: Rate,
    /// Prepaid (every other payment, or none given) orders back to origin,
    /// among those dispatched.
    pub prepaid: Rate,
    /// Resolved orders back to origin by days from the order to the first
    /// delivery attempt (`0-1d`, `1-2d`, `2-3d`, `3-5d`, `5d+`, `no attempt`).
    pub by_attempt_delay: IndexMap<String, Rate>,
    /// Per band of the risk score: resolved orders and the RTO rate
    /// observed.
    pub calibration: Vec<RtoCalibrationRow>,
    /// Per factor: the RTO rate with and without its points.
    pub factors: IndexMap<String, RtoFactorRow>,
    /// The weights and bands scored with.
    pub config: RtoConfig,
}

/// What [`FulfilmentAccumulator`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FulfilmentReport {
    /// Every order.
    pub overall: FulfilmentMetrics,
    /// By payment method (canonical order, `unknown` last; methods with
    /// orders only).
    pub by_payment: IndexMap<String, FulfilmentMetrics>,
    /// By the channel of the order row, by name.
    pub by_channel: IndexMap<String, FulfilmentMetrics>,
    /// By the UTC month the order was placed in (`2024-11`), in order.
    pub by_month: IndexMap<String, FulfilmentMetrics>,
    /// Returns to origin.
    pub rto: RtoReport,
}

/// Which way a measure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Higher is better.
    Higher,
    /// Lower is better.
    Lower,
}

/// One behavioural measure of a CX pyramid dimension, to show next to the
/// survey's score of that dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The dimension the measure speaks to.
    pub dimension: Dimension,
    /// The measure's name.
    pub measure: String,
    /// Its value: a share (0-1) or hours, as `unit` says.
    pub value: Option<f64>,
    /// `share` or `hours`.
    pub unit: String,
    /// Which way is better.
    pub better: Better,
    /// How many orders it rests on.
    pub n: u64,
}

impl FulfilmentReport {
    /// The RTO calibration table: per band, the orders and the RTO rate
    /// observed.
    #[must_use]
    pub fn rto_calibration(&self) -> &[RtoCalibrationRow] {
        &self.rto.calibration
    }

    /// The behavioural evidence for the fulfilment layer of the CX pyramid
    /// ([`Dimension::Fulfilment`]: "the customer got what was ordered, when
    /// promised"): on-time and first-attempt delivery, the median delivery
    /// time, returns, wrong-item returns, refunds and returns to origin.
    /// A pyramid report's fulfilment score and these, side by side, tell
    /// whether what customers say matches what the shop did.
    ///
    /// ```
    /// use cxjourney::fulfilment::{FulfilmentAccumulator, FulfilmentConfig};
    /// use cxjourney::log::EventLog;
    /// use cxjourney::sample::{SampleConfig, SampleShop};
    /// use cxjourney::{Dimension, JourneyConfig, run_on_log};
    /// let shop = SampleShop::generate(&SampleConfig { customers: 200, ..SampleConfig::default() })?;
    /// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
    /// let report = run_on_log::<FulfilmentAccumulator>(&log, &FulfilmentConfig::default(), 1)?;
    /// let evidence = report.evidence();
    /// assert!(evidence.iter().all(|e| e.dimension == Dimension::Fulfilment));
    /// assert_eq!(evidence[0].measure, "on_time_delivery");
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    #[must_use]
    pub fn evidence(&self) -> Vec<Evidence> {
        let m = &self.overall;
        let share = |measure: &str, r: &Rate, better| Evidence {
            dimension: Dimension::Fulfilment,
            measure: measure.to_owned(),
            value: r.rate,
            unit: "share".to_owned(),
            better,
            n: r.denominator,
        };
        vec![
            share("on_time_delivery", &m.on_time, Better::Higher),
            share("first_attempt_delivery", &m.first_attempt, Better::Higher),
            Evidence {
                dimension: Dimension::Fulfilment,
                measure: "median_delivery_time".to_owned(),
                value: m.delivery_time.as_ref().map(|d| d.median_hours),
                unit: "hours".to_owned(),
                better: Better::Lower,
                n: m.delivered,
            },
            share("return_rate", &m.returns, Better::Lower),
            share(
                "wrong_item_return_share",
                &m.wrong_item_returns,
                Better::Lower,
            ),
            share("refund_rate", &m.refunds, Better::Lower),
            share("return_to_origin_rate", &m.return_to_origin, Better::Lower),
        ]
    }
}

fn pct(r: &Rate) -> String {
    r.rate
        .map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", 100.0 * v))
}

fn hours(d: Option<&DurationStats>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1}h", d.median_hours))
}

impl fmt::Display for FulfilmentReport {
    /// The overall figures, by payment method and by month (the RTO part is
    /// [`RtoReport`]'s).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.overall;
        writeln!(
            f,
            "{} orders: {} cancelled, {} dispatched, {} delivered",
            m.orders, m.cancelled, m.dispatched, m.delivered
        )?;
        writeln!(
            f,
            "on time {}, first attempt {}, delivery time median {} (p90 {}), returns {}, wrong item {}, refunds {}, refund cycle median {}, return to origin {}",
            m.on_time,
            m.first_attempt,
            hours(m.delivery_time.as_ref()),
            m.delivery_time
                .as_ref()
                .map_or_else(|| "-".to_owned(), |d| format!("{:.1}h", d.p90_hours)),
            m.returns,
            m.wrong_item_returns,
            m.refunds,
            hours(m.refund_cycle.as_ref()),
            m.return_to_origin,
        )?;
        writeln!(
            f,
            "  {:<18} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8} {:>7}",
            "payment", "orders", "on time", "1st att", "delivery", "returns", "refunds", "RTO"
        )?;
        for (name, m) in &self.by_payment {
            writeln!(
                f,
                "  {:<18} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8} {:>7}",
                name,
                m.orders,
                pct(&m.on_time),
                pct(&m.first_attempt),
                hours(m.delivery_time.as_ref()),
                pct(&m.returns),
                pct(&m.refunds),
                pct(&m.return_to_origin)
            )?;
        }
        write!(f, "by month:")?;
        for (month, m) in &self.by_month {
            write!(
                f,
                " {month} {} orders, on time {};",
                m.orders,
                pct(&m.on_time)
            )?;
        }
        writeln!(f)
    }
}

impl fmt::Display for RtoReport {
    /// The RTO rates, the calibration table and the factors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "return to origin: cash on delivery {}, prepaid {}",
            self.cash_on_delivery, self.prepaid
        )?;
        let bins: Vec<String> = self
            .by_attempt_delay
            .iter()
            .map(|(bin, r)| format!("{bin}: {} of {}", pct(r), r.denominator))
            .collect();
        writeln!(f, "  by days to the first attempt: {}", bins.join(", "))?;
        writeln!(
            f,
            "risk score before shipping against the RTO observed (resolved orders):"
        )?;
        writeln!(
            f,
            "  {:<10} {:>7} {:>8} {:>5} {:>9} {:>12}",
            "band", "points", "orders", "RTO", "RTO rate", "mean points"
        )?;
        for row in &self.calibration {
            writeln!(
                f,
                "  {:<10} {:>7} {:>8} {:>5} {:>9} {:>12}",
                row.band,
                format!("{}+", row.min_points),
                row.orders,
                row.returned_to_origin,
                row.rate
                    .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", 100.0 * r)),
                row.mean_points
                    .map_or_else(|| "-".to_owned(), |p| format!("{p:.2}")),
            )?;
        }
        writeln!(f, "  RTO rate with / without each factor's points:")?;
        for (name, row) in &self.factors {
            writeln!(
                f,
                "    {name:<17} {:>7} / {:<7} ({} / {} orders)",
                pct(&row.with),
                pct(&row.without),
                row.with.denominator,
                row.without.denominator
            )?;
        }
        Ok(())
    }
}
