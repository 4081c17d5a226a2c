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
    pub(crate) last_day: i32,
    /// The lifetimes periods of the first and the last order.
    pub(crate) first_period: i32,
    pub(crate) last_period: i32,
    /// Orders (rows).
    pub(crate) orders: u32,
    /// Orders with discounted prices.
    pub(crate) discounted: u32,
    /// Distinct periods with an order.
    pub(crate) periods: u32,
    /// The sum of the amounts, minor units.
    pub(crate) sum_minor: i64,
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
        let scan = match config.period {
            Period::Day => scan(journey, as_of_day, as_of_day, |d| d),
            Period::Week => scan(journey, as_of_day, Period::Week.of_day(as_of_day), |d| {
                Period::Week.of_day(d)
            }),
        };
        let Some(s) = scan else {
            return Ok(None);
        };
        // The currency of the amounts: the log's only one, or each row's.
        let table = &journey.log().dicts.currencies;
        let mut check = |c: Currency| match *currency {
            Some(a) if a != c => Err(Error::MixedCurrencies {
                first: a.to_string(),
                second: c.to_string(),
            }),
            Some(_) => Ok(()),
            None => {
                *currency = Some(c);
                Ok(())
            }
        };
        if s.valued {
            match table.as_slice() {
                [one] => check(*one)?,
                _ => {
                    for row in journey.rows().take(s.rows) {
                        if row.is(BuiltinKind::OrderCompleted)
                            && let Some(m) = row.value()
                        {
                            check(m.currency())?;
                        }
                    }
                }
            }
        }
        let fit = |v: i128| {
            i64::try_from(v).map_err(|_| Error::AmountOverflow {
                context: format!("the order amounts of customer {}", CustomerKey::of(journey)),
            })
        };
        // Days and periods fit 32 bits (times are within +-292,000 years),
        // counts too (a log holds fewer than 2^32 rows).
        let small = |v: i64| i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX });
        let count = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(Some(CustomerOrders {
            key: CustomerKey::of(journey),
            last_day: small(s.last_day),
            first_period: small(s.first_period),
            last_period: small(s.last_period),
            orders: count(s.orders),
            discounted: count(s.discounted),
            periods: count(s.periods),
            sum_minor: fit(s.sum)?,
            period_sum_minor: fit(s.period_sum)?,
            first_period_minor: fit(s.first_period_sum)?,
        }))
    }

    /// The lifetimes figures: frequency (repeat periods), recency and T in
    /// periods, and the mean amount of the repeat periods in major units.
    /// Checks a customer's counts as a state from JSON gives them
    /// (finding 15-A4).
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming the customer and the counts that disagree.
    pub(crate) fn check(&self, as_of_day: i64) -> Result<()> {
        let ok = self.orders >= 1
            && self.discounted <= self.orders
            && self.periods >= 1
            && self.first_period <= self.last_period
            && i64::from(self.last_day) <= as_of_day
            && self.sum_minor >= 0
            && self.first_period_minor >= 0
            && self.period_sum_minor >= self.first_period_minor;
        if ok {
            return Ok(());
        }
        Err(Error::Mismatch {
            expected: "an RFM state whose customers have at least one order, no more discounted \
                       orders than orders, periods in order, a last order day by the as-of day \
                       and amounts that are not negative"
                .into(),
            found: format!("customer {} with {self:?}", self.key),
        })
    }

    pub(crate) fn lifetimes(&self, period: Period, as_of_day: i64, scale: f64) -> Lifetimes {
        let frequency = u64::from(self.periods.saturating_sub(1));
        let repeat = self
            .period_sum_minor
            .saturating_sub(self.first_period_minor);
        Lifetimes {
            frequency,
            recency: i64::from(self.last_period) - i64::from(self.first_period),
            t: period.of_day(as_of_day) - i64::from(self.first_period),
            monetary_value: if frequency == 0 {
                0.0
            } else {
                repeat as f64 / scale / frequency as f64
            },
        }
    }
}

/// What one pass over a journey's order rows collects (sums in i128, so no
/// row can overflow them; they are checked once at the end).
struct Scan {
    /// Rows read (up to the last order in the lifetimes window).
    rows: usize,
    /// Whether an order row had an amount.
    valued: bool,
    last_day: i64,
    orders: u64,
    discounted: u64,
    sum: i128,
    first_period: i64,
    last_period: i64,
    periods: u64,
    period_sum: i128,
    first_period_sum: i128,
}

/// The pass over the order rows of one journey, for one period function
/// (so each is compiled on its own): orders on or before `as_of_day` for the
/// RFM figures, orders in periods up to `as_of_period` for the lifetimes
/// figures. `None` without an order on or before the analysis day.
#[inline]
fn scan(
    journey: &JourneyView<'_>,
    as_of_day: i64,
    as_of_period: i64,
    period_of: impl Fn(i64) -> i64,
) -> Option<Scan> {
    let times = journey.times();
    let kinds = journey.kind_codes();
    let values = journey.value_minors();
    let flags = journey.discounted_flags();
    let mut s = Scan {
        rows: 0,
        valued: false,
        last_day: 0,
        orders: 0,
        discounted: 0,
        sum: 0,
        first_period: 0,
        last_period: 0,
        periods: 0,
        period_sum: 0,
        first_period_sum: 0,
    };
    for (i, (&us, &kind)) in times.iter().zip(kinds).enumerate() {
        if kind != ORDER {
            continue;
        }
        let day = us.div_euclid(DAY_US);
        let period = period_of(day);
        if period > as_of_period {
            // Rows are in time order: the rest are later still.
            break;
        }
        s.rows = i + 1;
        let v = values.get(i).copied().unwrap_or(-1);
        let minor = i128::from(v.max(0));
        s.valued |= v >= 0;
        if s.periods == 0 {
            s.first_period = period;
            s.last_period = period;
            s.periods = 1;
        } else if period != s.last_period {
            s.periods += 1;
            s.last_period = period;
        }
        if period == s.first_period {
            s.first_period_sum += minor;
        }
        s.period_sum += minor;
        if day <= as_of_day {
            s.last_day = day;
            s.orders += 1;
            s.discounted += u64::from(flags.get(i).copied().unwrap_or(false));
            s.sum += minor;
        }
    }
    (s.orders > 0).then_some(s)
}

/// The four figures of `lifetimes.utils.summary_data_from_transaction_data`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lifetimes {
    pub(crate) frequency: u64,
    pub(crate) recency: i64,
    pub(crate) t: i64,
    pub(crate) monetary_value: f64,
}
