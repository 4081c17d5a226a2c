//! Paths from journeys: the channel touches before each conversion within a
//! lookback window, refund-aware, accumulated from an event log.

use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::attribution::fixed::Fixed;
use crate::attribution::paths::PathSet;
use crate::attribution::report::{AttributionConfig, AttributionReport};
use crate::error::{Error, Result};
use crate::log::{JourneyView, NULL_KEY};
use crate::model::{BuiltinKind, Currency, Money};

/// How many paths a journey gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathsPer {
    /// One path per conversion: the touches after the previous order up to
    /// this one (within the lookback). Touches after the last order form a
    /// path that did not convert. The default, and what ChannelAttribution's
    /// paths usually are.
    #[default]
    Conversion,
    /// One path per customer: every touch up to the last counted order
    /// (within the lookback before it), carrying all the customer's counted
    /// orders and their value; a customer without one gives a path that did
    /// not convert.
    Customer,
}

/// What to do with an order that was later refunded, returned or
/// cancelled (a `refund`, `returned` or `order_cancelled` row with the same
/// order id after the order). Other tools cannot see this; here a channel
/// that brings buyers who return everything stops looking good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundPolicy {
    /// Count every order with its full value (the default; what other tools
    /// do).
    #[default]
    Keep,
    /// An order with any refund, return or cancellation counts as a journey
    /// that did not convert.
    Exclude,
    /// Net the value: the order's value less the amounts of its `refund`
    /// rows. A return or cancellation without a refund amount (a
    /// cash-on-delivery parcel sent back: nothing was paid) nets to zero.
    /// An order netted to zero counts as a journey that did not convert; a
    /// partly refunded one keeps its conversion with the rest of its value.
    Net,
}

/// Builds paths from journeys ([`JourneyView`]s of an event log) and
/// finishes into the [`AttributionReport`]: an
/// [`Accumulator`], so [`run_on_log`](crate::run_on_log)
/// spreads it over threads, and partial states merge (their path counts add
/// up).
///
/// **Touches.** Each session of the journey (the log's session gap) is one
/// touch, on the channel of its first pre-purchase row: a row whose kind is
/// an awareness, consideration or decision kind (ad, search visit, browsing,
/// cart, checkout, order) or a custom kind. Deliveries, returns, refunds,
/// support and advocacy rows are not touches, so a session of them alone
/// adds nothing. Repeated sessions on one channel are repeated touches.
///
/// **Conversions.** Each `order_completed` row, with its value (major
/// units: 150000 minor IDR is 1500.00), under the [`RefundPolicy`]; paths
/// per conversion or per customer ([`PathsPer`]); only touches within the
/// lookback before the conversion count (the touch of the order's own
/// session always does). Time decay weighs each touch by its time to the
/// conversion.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::attribution::{AttributionAccumulator, AttributionConfig, RefundPolicy};
/// use cxjourney::log::EventLog;
/// use cxjourney::{
///     Accumulator, BuiltinChannel, BuiltinKind, Channel, Currency, CustomerId, JourneyConfig,
///     Money, OrderId, Touchpoint, run_on_log,
/// };
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 9, 0, 0).unwrap();
/// let tp = |c, hours, kind, ch: BuiltinChannel| {
///     Touchpoint::new(CustomerId(c), t0 + TimeDelta::hours(hours), kind)
///         .with_channel(Channel::from(ch))
/// };
/// let order = |c, hours, id: &str| {
///     let mut t = tp(c, hours, BuiltinKind::OrderCompleted, BuiltinChannel::Direct);
///     t.order = Some(OrderId::new(id));
///     t.value = Some(Money::new(10_000_000, Currency::IDR).unwrap());
///     t
/// };
/// let mut returned = tp(2, 200, BuiltinKind::Returned, BuiltinChannel::Direct);
/// returned.order = Some(OrderId::new("B"));
/// let touchpoints = vec![
///     tp(1, 0, BuiltinKind::AdClick, BuiltinChannel::Social),
///     order(1, 30, "A"),
///     tp(2, 0, BuiltinKind::SearchVisit, BuiltinChannel::PaidSearch),
///     order(2, 1, "B"),
///     returned,
/// ];
/// let log = EventLog::from_touchpoints(&touchpoints, &JourneyConfig::default())?;
/// let keep = run_on_log::<AttributionAccumulator>(&log, &AttributionConfig::default(), 2)?;
/// assert_eq!(keep.conversions, 2);
/// assert_eq!(keep.channels["paid_search"].first_touch.conversions, 1.0);
/// let net = AttributionConfig { refunds: RefundPolicy::Net, ..AttributionConfig::default() };
/// let net = run_on_log::<AttributionAccumulator>(&log, &net, 1)?;
/// assert_eq!(net.conversions, 1); // the returned order no longer converts
/// assert_eq!(net.value, 100_000.0);
/// assert_eq!(net.channels["paid_search"].first_touch.conversions, 0.0);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// [`AttributionAccumulator::add`] gives [`Error::MixedCurrencies`] when
/// orders come in different currencies, and the path set's errors
/// ([`Error::TooMuchWork`] beyond its caps); `merge` gives
/// [`Error::Mismatch`] for different configurations; `finish` the
/// report's errors ([`AttributionReport::from_paths`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributionAccumulator {
    config: AttributionConfig,
    paths: PathSet,
    currency: Option<Currency>,
    #[serde(skip)]
    scratch: Scratch,
}

/// Buffers reused from journey to journey.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// `(time, channel id)` of the touches not yet on a path.
    touches: Vec<(i64, u32)>,
    /// `(order key, row, refunded minor units if a refund row says)`.
    refunds: Vec<(u32, u32, Option<i64>)>,
    ids: Vec<u32>,
    ages: Vec<f64>,
}

const ORDER: u16 = BuiltinKind::OrderCompleted as u16;
const REFUND: u16 = BuiltinKind::Refund as u16;
const RETURNED: u16 = BuiltinKind::Returned as u16;
const CANCELLED: u16 = BuiltinKind::OrderCancelled as u16;
const UPDATED: u16 = BuiltinKind::OrderUpdated as u16;

/// Whether a row of kind `code` can be a marketing touch.
fn touch_kind(code: u16) -> bool {
    match BuiltinKind::ALL.get(usize::from(code)) {
        None => true,
        Some(k) => {
            matches!(
                k.default_stage(),
                crate::model::Stage::Awareness
                    | crate::model::Stage::Consideration
                    | crate::model::Stage::Decision
            ) && code != CANCELLED
                && code != UPDATED
        }
    }
}

fn micros(d: chrono::TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

impl AttributionAccumulator {
    /// The paths so far.
    #[must_use]
    pub fn paths(&self) -> &PathSet {
        &self.paths
    }

    /// The paths, for running single models on them.
    #[must_use]
    pub fn into_paths(self) -> PathSet {
        self.paths
    }

    /// The currency of the orders' values (`None` before an order with a
    /// value).
    #[must_use]
    pub fn currency(&self) -> Option<Currency> {
        self.currency
    }

    fn channel_id(&mut self, view: &JourneyView<'_>, code: u16) -> Result<u32> {
        let name = view
            .log()
            .channel_of_code(code)
            .map_or("direct", |c| c.as_str());
        self.paths.intern(name)
    }

    /// Whether the order at row `i` converts, and its value, under the
    /// refund policy.
    fn order_outcome(&mut self, view: &JourneyView<'_>, i: usize) -> Result<(bool, Fixed)> {
        let money = view.row(i).and_then(|r| r.value());
        if let Some(m) = money {
            match self.currency {
                None => self.currency = Some(m.currency()),
                Some(c) if c != m.currency() => {
                    return Err(Error::MixedCurrencies {
                        first: c.to_string(),
                        second: m.currency().to_string(),
                    });
                }
                Some(_) => {}
            }
        }
        let value_of = |m: Option<Money>| {
            m.and_then(|m| Fixed::from_minor(m.minor(), m.currency().minor_digits()))
                .unwrap_or_default()
        };
        let key = view.order_keys().get(i).copied().filter(|&k| k != NULL_KEY);
        let policy = self.config.refunds;
        let Some(key) = key.filter(|_| policy != RefundPolicy::Keep) else {
            return Ok((true, value_of(money)));
        };
        let refunds = &self.scratch.refunds;
        let from = refunds.partition_point(|&(k, row, _)| (k, row) <= (key, i as u32));
        let matches = refunds
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&(k, _, _)| k == key);
        let mut any = false;
        let mut refunded: i64 = 0;
        for &(_, _, amount) in matches {
            any = true;
            if let Some(a) = amount {
                refunded = refunded.saturating_add(a);
            }
        }
        if !any {
            return Ok((true, value_of(money)));
        }
        match policy {
            RefundPolicy::Keep => Ok((true, value_of(money))),
            RefundPolicy::Exclude => Ok((false, Fixed::ZERO)),
            RefundPolicy::Net => {
                let (Some(m), true) = (money, refunded > 0) else {
                    return Ok((false, Fixed::ZERO));
                };
                let net = m.minor().saturating_sub(refunded);
                if net <= 0 {
                    return Ok((false, Fixed::ZERO));
                }
                Ok((true, value_of(Money::new(net, m.currency()).ok())))
            }
        }
    }

    /// Adds the path of the touches within the lookback before `end`
    /// (falling back to `fallback` when none is).
    fn emit(
        &mut self,
        end: i64,
        fallback: Option<(i64, u32)>,
        conversions: u64,
        value: Fixed,
    ) -> Result<()> {
        let lookback = micros(self.config.lookback);
        let s = &mut self.scratch;
        s.ids.clear();
        s.ages.clear();
        for &(t, c) in &s.touches {
            let age = end.saturating_sub(t);
            if (0..=lookback).contains(&age) {
                s.ids.push(c);
                s.ages.push(age as f64 / 1e6);
            }
        }
        if s.ids.is_empty() {
            let Some((t, c)) = fallback else {
                return Ok(());
            };
            s.ids.push(c);
            s.ages.push(end.saturating_sub(t).max(0) as f64 / 1e6);
        }
        let nulls = u64::from(conversions == 0);
        self.paths
            .add_ids_timed(&s.ids, &s.ages, conversions, value, nulls)
    }
}

impl Accumulator for AttributionAccumulator {
    type Config = AttributionConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = AttributionReport;

    /// # Errors
    /// [`Error::InvalidConfig`] as [`AttributionConfig::validate`].
    fn new(config: &AttributionConfig) -> Result<Self> {
        config.validate()?;
        Ok(AttributionAccumulator {
            config: config.clone(),
            paths: PathSet::with_time_decay(config.half_life)?,
            currency: None,
            scratch: Scratch::default(),
        })
    }

    /// Adds one customer's journey: its paths under the configuration.
    ///
    /// # Errors
    /// [`Error::MixedCurrencies`] for an order in another currency than
    /// the ones before; the path set's caps ([`Error::TooMuchWork`]).
    fn add(&mut self, view: JourneyView<'_>) -> Result<()> {
        let times = view.times();
        let kinds = view.kind_codes();
        let channels = view.channel_codes();
        let gap = micros(view.config().session_gap);
        self.scratch.touches.clear();
        self.scratch.refunds.clear();
        if self.config.refunds != RefundPolicy::Keep {
            for (i, (&kind, &key)) in kinds.iter().zip(view.order_keys()).enumerate() {
                if key == NULL_KEY || !matches!(kind, REFUND | RETURNED | CANCELLED) {
                    continue;
                }
                let amount = if kind == REFUND {
                    view.row(i).and_then(|r| r.value()).map(|m| m.minor())
                } else {
                    None
                };
                self.scratch.refunds.push((key, i as u32, amount));
            }
            self.scratch.refunds.sort_unstable();
        }
        let per_customer = self.config.paths_per == PathsPer::Customer;
        let mut session: Option<(i64, u32)> = None;
        let mut last_t: Option<i64> = None;
        let (mut counted, mut counted_value) = (0u64, Fixed::ZERO);
        let mut last_counted: Option<(i64, Option<(i64, u32)>)> = None;
        for (i, (&t, &kind)) in times.iter().zip(kinds).enumerate() {
            if last_t.is_none_or(|l| t.saturating_sub(l) > gap) {
                session = None;
            }
            last_t = Some(t);
            if session.is_none() && touch_kind(kind) {
                let code = channels.get(i).copied().unwrap_or(0);
                let c = self.channel_id(&view, code)?;
                session = Some((t, c));
                self.scratch.touches.push((t, c));
            }
            if kind != ORDER {
                continue;
            }
            let (converts, value) = self.order_outcome(&view, i)?;
            if per_customer {
                if converts {
                    counted += 1;
                    counted_value += value;
                    last_counted = Some((t, session));
                }
            } else {
                self.emit(t, session, u64::from(converts), value)?;
                self.scratch.touches.clear();
            }
        }
        if per_customer {
            if let Some((end, fallback)) = last_counted {
                self.scratch.touches.retain(|&(t, _)| t <= end);
                return self.emit(end, fallback, counted, counted_value);
            }
        }
        match last_t {
            Some(end) if !self.scratch.touches.is_empty() => self.emit(end, None, 0, Fixed::ZERO),
            _ => Ok(()),
        }
    }

    /// # Errors
    /// [`Error::Mismatch`] for another configuration;
    /// [`Error::MixedCurrencies`] for values in another currency.
    fn merge(&mut self, other: Self) -> Result<()> {
        if self.config != other.config {
            return Err(Error::Mismatch {
                expected: "attribution accumulators of one configuration".to_owned(),
                found: "a different AttributionConfig".to_owned(),
            });
        }
        match (self.currency, other.currency) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::MixedCurrencies {
                    first: a.to_string(),
                    second: b.to_string(),
                });
            }
            (None, b) => self.currency = b,
            _ => {}
        }
        self.paths.merge(other.paths)
    }

    /// # Errors
    /// As [`AttributionReport::from_paths`].
    fn finish(self) -> Result<AttributionReport> {
        let mut report = AttributionReport::from_paths(&self.paths, &self.config)?;
        report.currency = self.currency;
        Ok(report)
    }
}
