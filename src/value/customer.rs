//! One customer's orders summarized in one pass over the journey's columns:
//! everything the lifetimes summary and the RFM scores need, and nothing
//! that depends on other customers (the scores are ranks, made at the end).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::model::{BuiltinKind, Currency};
use crate::value::config::{Period, RfmConfig};

/// Microseconds in a day.
const DAY_US: i64 = 86_400_000_000;

const ORDER: u16 = BuiltinKind::OrderCompleted as u16;

/// Keys at or above this are not integer ids (as the event log numbers them).
const TEXT_FROM: u64 = 1 << 63;

/// A customer as the caller knows it: an integer id, or a text key.
/// Integer ids sort before text keys, integers by value and text by bytes
/// (the event log's order). Serialized as a JSON number or string.
///
/// ```
/// use cxjourney::value::CustomerKey;
/// let mut keys = vec![CustomerKey::text("b"), CustomerKey::Id(10), CustomerKey::Id(9)];
/// keys.sort();
/// assert_eq!(keys, [CustomerKey::Id(9), CustomerKey::Id(10), CustomerKey::text("b")]);
/// assert_eq!(CustomerKey::parse("007"), CustomerKey::Id(7));
/// assert_eq!(keys[2].to_string(), "b");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CustomerKey {
    /// An integer id (below 2^63).
    Id(u64),
    /// A text key.
    Text(Box<str>),
}

impl CustomerKey {
    /// A text key.
    #[must_use]
    pub fn text(key: &str) -> CustomerKey {
        CustomerKey::Text(key.into())
    }

    /// The key of the caller's text: decimal integers below 2^63 are ids
    /// (`007` is 7), as [`EventLogBuilder::customer_for_key`](crate::log::EventLogBuilder::customer_for_key)
    /// reads them; anything else is text.
    #[must_use]
    pub fn parse(key: &str) -> CustomerKey {
        match key.parse::<u64>() {
            Ok(v) if v < TEXT_FROM => CustomerKey::Id(v),
            _ => CustomerKey::text(key),
        }
    }

    /// The customer of a journey: its key in the log when the log was built
    /// from keys, else its id.
    #[must_use]
    pub fn of(journey: &JourneyView<'_>) -> CustomerKey {
        match journey.customer_key() {
            Some(k) => CustomerKey::parse(k),
            None => CustomerKey::Id(journey.customer().0),
        }
    }
}

impl fmt::Display for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomerKey::Id(v) => fmt::Display::fmt(v, f),
            CustomerKey::Text(t) => f.write_str(t),
        }
    }
}

/// One customer's orders up to the analysis date.
///
/// The RFM figures take the orders on or before the analysis day; the
/// lifetimes figures those in or before the analysis day's period (with
/// weekly periods, the rest of the analysis week too, as `lifetimes` cuts by
/// period). A customer is listed when it has an order on or before the
/// analysis day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CustomerOrders {
    pub(crate) key: CustomerKey,
    /// Days since 1970-01-01 (UTC) of the last order.
    pub(crate) last_day: i64,
    /// Orders (rows).
    pub(crate) orders: u64,
    /// Orders with discounted prices.
    pub(crate) discounted: u64,
    /// The sum of the amounts, minor units.
    pub(crate) sum_minor: i64,
    /// The lifetimes periods of the first and the last order.
    pub(crate) first_period: i64,
    pub(crate) last_period: i64,
    /// Distinct periods with an order.
    pub(crate) periods: u64,
    /// The sum of the amounts in the lifetimes window, minor units.
    pub(crate) period_sum_minor: i64,
    /// The sum of the amounts in the first period, minor units.
    pub(crate) first_period_minor: i64,
}

impl CustomerOrders {
    /// The orders of one journey: its completed-order rows up to the
    /// analysis date. `None` when it has none on or before the analysis day.
    /// A row without an amount counts as an order of 0. `currency` is the
    /// currency seen so far; the first amount sets it.
    ///
    /// # Errors
    /// [`Error::MixedCurrencies`] for an amount in another currency;
    /// [`Error::AmountOverflow`] when a sum leaves 64-bit minor units.
    pub(crate) fn of(
        journey: &JourneyView<'_>,
        config: &RfmConfig,
        as_of_day: i64,
        currency: &mut Option<Currency>,
    ) -> Result<Option<CustomerOrders>> {
        let times = journey.times();
        let kinds = journey.kind_codes();
        let values = journey.value_minors();
        let discounted = journey.discounted_flags();
        let as_of_period = config.period.of_day(as_of_day);
        let overflow = || Error::AmountOverflow {
            context: format!("the order amounts of customer {}", CustomerKey::of(journey)),
        };
        let mut acc: Option<CustomerOrders> = None;
        for (i, (&us, &kind)) in times.iter().zip(kinds).enumerate() {
            if kind != ORDER {
                continue;
            }
            let day = us.div_euclid(DAY_US);
            let period = config.period.of_day(day);
            if period > as_of_period {
                // Rows are in time order: the rest are later still.
                break;
            }
            let minor = match values.get(i).copied() {
                Some(v) if v >= 0 => {
                    let row_currency = journey.row(i).and_then(|r| r.value()).map(|m| m.currency());
                    match (*currency, row_currency) {
                        (Some(a), Some(b)) if a != b => {
                            return Err(Error::MixedCurrencies {
                                first: a.to_string(),
                                second: b.to_string(),
                            });
                        }
                        (None, b) => *currency = b,
                        _ => {}
                    }
                    v
                }
                _ => 0,
            };
            let c = acc.get_or_insert_with(|| CustomerOrders {
                key: CustomerKey::of(journey),
                last_day: day,
                orders: 0,
                discounted: 0,
                sum_minor: 0,
                first_period: period,
                last_period: period,
                periods: 1,
                period_sum_minor: 0,
                first_period_minor: 0,
            });
            if period != c.last_period {
                c.periods += 1;
                c.last_period = period;
            }
            if period == c.first_period {
                c.first_period_minor = c.first_period_minor.checked_add(minor).ok_or_else(overflow)?;
            }
            c.period_sum_minor = c.period_sum_minor.checked_add(minor).ok_or_else(overflow)?;
            if day <= as_of_day {
                c.last_day = day;
                c.orders += 1;
                c.discounted += u64::from(discounted.get(i).copied().unwrap_or(false));
                c.sum_minor = c.sum_minor.checked_add(minor).ok_or_else(overflow)?;
            }
        }
        Ok(acc.filter(|c| c.orders > 0))
    }

    /// The lifetimes figures: frequency (repeat periods), recency and T in
    /// periods, and the mean amount of the repeat periods in major units.
    pub(crate) fn lifetimes(&self, period: Period, as_of_day: i64, scale: f64) -> Lifetimes {
        let frequency = self.periods.saturating_sub(1);
        let repeat = self.period_sum_minor.saturating_sub(self.first_period_minor);
        Lifetimes {
            frequency,
            recency: self.last_period - self.first_period,
            t: period.of_day(as_of_day) - self.first_period,
            monetary_value: if frequency == 0 {
                0.0
            } else {
                repeat as f64 / scale / frequency as f64
            },
        }
    }
}

/// The four figures of `lifetimes.utils.summary_data_from_transaction_data`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lifetimes {
    pub(crate) frequency: u64,
    pub(crate) recency: i64,
    pub(crate) t: i64,
    pub(crate) monetary_value: f64,
}
