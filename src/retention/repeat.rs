//! Repeat buying: how many buyers order again, how long they take, and who
//! has stopped (an inactivity window as of an explicit date).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::{JourneyView, NULL_KEY};
use crate::numeric::quantile::DurationSummary;
use crate::retention::activity::{Activity, RowTest};
use crate::retention::cohort::closures;
use crate::step::Cols;

/// The most bucket edges of the gap distribution.
const MAX_EDGES: usize = 64;

/// Seconds in a day.
const DAY_S: i64 = 86_400;

/// What repeat buying counts.
///
/// An **order** is a row matching [`orders`](Self::orders) (kind
/// `order_completed` by default); rows with the same order id (the log's
/// `order` column) are one order, at the time of its first row; rows without
/// an order id are one order each. A **buyer** has at least one order, a
/// **repeat buyer** at least two. Times between orders are the gaps between
/// a buyer's consecutive orders, in whole seconds (times cut to the
/// second, as ClickHouse's `DateTime`), all kept, so the quantiles are exact.
///
/// With [`as_of`](Self::as_of) the report is as of that time (rows after it
/// are left out); then [`churn_after_days`](Self::churn_after_days) counts a
/// buyer as **churned** when their last order is at least that many days
/// before `as_of` (`last order <= as_of - window`), else **active**. No
/// clock is read: churn needs an explicit `as_of`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cxjourney::retention::{Activity, RepeatBuyingConfig};
/// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 0, 0, 0).unwrap();
/// let config = RepeatBuyingConfig::default()
///     .with_orders(Activity::event("purchase"))
///     .with_churn(as_of, 90);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct RepeatBuyingConfig {
    /// What an order is. Default: [`Activity::orders`].
    pub orders: Activity,
    /// The upper edges, in days, of the buckets of the distribution of times
    /// between orders: `[0, e1), [e1, e2), ..., [e_last, inf)`. Strictly
    /// increasing, positive, at most 64. Default `[1, 7, 14, 30, 60, 90, 180,
    /// 365]`.
    pub gap_buckets_days: Vec<u32>,
    /// The time the report is as of. Default: none (every row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// The inactivity window, in days, after which a buyer counts as
    /// churned; needs `as_of`. Default: none (no churn figures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn_after_days: Option<u32>,
}

impl Default for RepeatBuyingConfig {
    fn default() -> Self {
        RepeatBuyingConfig {
            orders: Activity::orders(),
            gap_buckets_days: vec![1, 7, 14, 30, 60, 90, 180, 365],
            as_of: None,
            churn_after_days: None,
        }
    }
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for RepeatBuyingConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        RepeatBuyingConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for RepeatBuyingConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = RepeatBuyingConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl RepeatBuyingConfig {
    /// Sets what an order is.
    #[must_use]
    pub fn with_orders(mut self, orders: Activity) -> Self {
        self.orders = orders;
        self
    }

    /// Reports as of `as_of`, with buyers whose last order is `days` or more
    /// days old counted as churned.
    #[must_use]
    pub fn with_churn(mut self, as_of: DateTime<Utc>, days: u32) -> Self {
        self.as_of = Some(as_of);
        self.churn_after_days = Some(days);
        self
    }

    /// Reports as of `as_of` (rows after it left out).
    #[must_use]
    pub fn with_as_of(mut self, as_of: DateTime<Utc>) -> Self {
        self.as_of = Some(as_of);
        self
    }

    /// Sets the bucket edges of the gap distribution, in days.
    #[must_use]
    pub fn with_gap_buckets(mut self, days: Vec<u32>) -> Self {
        self.gap_buckets_days = days;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for bucket edges that are not strictly
    /// increasing and positive (or more than 64), a churn window without
    /// `as_of`, or a step with funnel-only fields.
    pub fn validate(&self) -> Result<()> {
        self.orders.validate("orders")?;
        let e = &self.gap_buckets_days;
        if e.len() > MAX_EDGES
            || e.first() == Some(&0)
            || e.windows(2).any(|w| w.first() >= w.get(1))
        {
            return Err(Error::InvalidConfig {
                field: "gap_buckets_days",
                value: format!("{e:?}"),
                reason: "at most 64 positive edges in days, strictly increasing",
            });
        }
        if self.churn_after_days.is_some() && self.as_of.is_none() {
            return Err(Error::InvalidConfig {
                field: "churn_after_days",
                value: format!("{:?}", self.churn_after_days),
                reason: "churn needs an explicit as_of (no clock is read)",
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Live {
    config: RepeatBuyingConfig,
    test: RowTest,
}

/// Repeat buying over journeys; an [`Accumulator`] whose merge is
/// associative and commutative (proptested). The state keeps one duration
/// per repeat order (for exact quantiles) and a count per number of orders;
/// like the other retention states it serializes without closures.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::log::EventLog;
/// use cxjourney::retention::{RepeatBuyingAccumulator, RepeatBuyingConfig};
/// use cxjourney::{Accumulator, BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let day = |d| Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap() + TimeDelta::days(d);
/// let log = EventLog::from_touchpoints([
///     Touchpoint::new(CustomerId(1), day(0), K::OrderCompleted),
///     Touchpoint::new(CustomerId(1), day(10), K::OrderCompleted),
///     Touchpoint::new(CustomerId(1), day(40), K::OrderCompleted),
///     Touchpoint::new(CustomerId(2), day(5), K::OrderCompleted),
///     Touchpoint::new(CustomerId(3), day(5), K::ProductView),
/// ], &JourneyConfig::default())?;
/// let config = RepeatBuyingConfig::default().with_churn(day(60), 30);
/// let mut acc = RepeatBuyingAccumulator::new(&config)?;
/// for j in log.journeys() {
///     acc.add(j)?;
/// }
/// let r = acc.finish()?;
/// assert_eq!((r.customers, r.buyers, r.repeat_buyers), (3, 2, 1));
/// assert_eq!(r.repeat_purchase_rate, Some(0.5));
/// assert_eq!(r.between_orders.unwrap().median_seconds, 20.0 * 86_400.0);
/// let churn = r.churn.unwrap();
/// assert_eq!((churn.active, churn.churned), (1, 1)); // last orders on days 40 and 5
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepeatBuyingAccumulator {
    config: RepeatBuyingConfig,
    custom: Vec<String>,
    #[serde(skip)]
    live: Option<Live>,
    /// (order key, second) of the current customer's orders, reused.
    #[serde(skip)]
    scratch: Vec<(u32, i64)>,
    customers: u64,
    buyers: u64,
    repeat_buyers: u64,
    orders: u64,
    /// Customers by their number of orders (1 and more).
    histogram: BTreeMap<u64, u64>,
    /// Seconds between consecutive orders.
    gaps: Vec<i64>,
    /// Seconds from the first order to the second.
    first_to_second: Vec<i64>,
    active: u64,
    churned: u64,
}

impl RepeatBuyingAccumulator {
    /// Checks a state's counts agree (finding 15-A4: a state from JSON with
    /// more repeat buyers than buyers gave a repeat rate above 1).
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming the counts that disagree.
    fn check(&self) -> Result<()> {
        let mut in_histogram = 0u64;
        let mut repeat = 0u64;
        let mut orders = 0u64;
        let mut ok = true;
        for (&n, &c) in &self.histogram {
            ok &= n > 0 && c > 0;
            in_histogram = in_histogram.saturating_add(c);
            orders = orders.saturating_add(n.saturating_mul(c));
            if n >= 2 {
                repeat = repeat.saturating_add(c);
            }
        }
        let gaps_ok = self.first_to_second.len() as u64 == self.repeat_buyers
            && self.gaps.len() as u64 >= self.repeat_buyers;
        if !ok
            || self.buyers > self.customers
            || in_histogram != self.buyers
            || repeat != self.repeat_buyers
            || orders != self.orders
            || !gaps_ok
            || self
                .active
                .checked_add(self.churned)
                .is_none_or(|x| x > self.buyers)
        {
            return Err(Error::Mismatch {
                expected: "a repeat-buying state whose histogram sums to its buyers, orders and \
                           repeat buyers, with one first-to-second gap per repeat buyer, and no \
                           more buyers than customers"
                    .into(),
                found: format!(
                    "{} customers, {} buyers ({in_histogram} in the histogram), {} repeat buyers \
                     ({repeat}), {} orders ({orders}), {} first-to-second gaps, {} active, {} churned",
                    self.customers,
                    self.buyers,
                    self.repeat_buyers,
                    self.orders,
                    self.first_to_second.len(),
                    self.active,
                    self.churned
                ),
            });
        }
        Ok(())
    }
}

impl Accumulator for RepeatBuyingAccumulator {
    type Config = RepeatBuyingConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = RepeatBuyingReport;

    fn new(config: &RepeatBuyingConfig) -> Result<Self> {
        config.validate()?;
        let mut custom = Vec::new();
        let mut stripped = config.clone();
        stripped.orders = config.orders.stripped("orders", &mut custom);
        Ok(RepeatBuyingAccumulator {
            config: stripped,
            custom,
            live: Some(Live {
                config: config.clone(),
                test: RowTest::new(&[&config.orders]),
            }),
            scratch: Vec::new(),
            customers: 0,
            buyers: 0,
            repeat_buyers: 0,
            orders: 0,
            histogram: BTreeMap::new(),
            gaps: Vec::new(),
            first_to_second: Vec::new(),
            active: 0,
            churned: 0,
        })
    }

    /// Adds one customer.
    ///
    /// # Errors
    /// [`Error::Mismatch`] for a deserialized state.
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let Some(live) = &mut self.live else {
            return Err(Error::Mismatch {
                expected: "a repeat-buying state made by RepeatBuyingAccumulator::new".into(),
                found:
                    "a deserialized state, which holds no closures (merge it into one made by new)"
                        .into(),
            });
        };
        let times = journey.times();
        let end = match live.config.as_of {
            Some(a) => times.partition_point(|&t| t <= a.timestamp_micros()),
            None => times.len(),
        };
        self.customers = super::checked(self.customers, 1, "customers")?;
        let prepared = live.test.prepare(journey.log());
        let cols = Cols::of(&journey);
        let any = prepared.is_any();
        let keys = journey.order_keys();
        let orders = &mut self.scratch;
        orders.clear();
        for (i, &t) in times.iter().enumerate().take(end) {
            if any || prepared.mask(&journey, &cols, i) & 1 != 0 {
                let key = keys.get(i).copied().unwrap_or(NULL_KEY);
                orders.push((key, t.div_euclid(1_000_000)));
            }
        }
        if orders.iter().any(|&(k, _)| k != NULL_KEY) {
            // One order per id, at its first row; rows without an id stay.
            orders.sort_unstable();
            let mut prev = None;
            orders.retain(|&(k, _)| {
                let keep = k == NULL_KEY || prev != Some(k);
                prev = Some(k);
                keep
            });
            orders.sort_unstable_by_key(|&(_, t)| t);
        }
        let n = orders.len() as u64;
        if n == 0 {
            return Ok(());
        }
        self.buyers = self.buyers.saturating_add(1);
        self.orders = self.orders.saturating_add(n);
        let h = self.histogram.entry(n).or_insert(0);
        *h = h.saturating_add(1);
        if n >= 2 {
            self.repeat_buyers = self.repeat_buyers.saturating_add(1);
            self.gaps.extend(orders.windows(2).map(|w| match w {
                [(_, a), (_, b)] => b.saturating_sub(*a),
                _ => 0,
            }));
            if let (Some((_, a)), Some((_, b))) = (orders.first(), orders.get(1)) {
                self.first_to_second.push(b.saturating_sub(*a));
            }
        }
        if let (Some(as_of), Some(days)) = (live.config.as_of, live.config.churn_after_days) {
            let last = orders.last().map_or(i64::MIN, |&(_, t)| t);
            let cutoff = as_of
                .timestamp()
                .saturating_sub(i64::from(days).saturating_mul(DAY_S));
            if last <= cutoff {
                self.churned = self.churned.saturating_add(1);
            } else {
                self.active = self.active.saturating_add(1);
            }
        }
        Ok(())
    }

    /// # Errors
    /// [`Error::Mismatch`] for states of different configurations;
    /// [`Error::InvalidConfig`] for a deserialized state whose configuration
    /// [`Accumulator::new`] would refuse.
    fn merge(&mut self, other: Self) -> Result<()> {
        other.config.validate()?;
        if self.config != other.config || self.custom != other.custom {
            return Err(Error::Mismatch {
                expected: format!("a repeat-buying state of {:?}", self.config),
                found: format!("one of {:?}", other.config),
            });
        }
        other.check()?;
        match (&self.live, other.live) {
            (Some(a), Some(b)) if a.config != b.config => {
                return Err(Error::Mismatch {
                    expected: "the same closures in both repeat-buying states".into(),
                    found: "different closures".into(),
                });
            }
            (None, Some(b)) => self.live = Some(b),
            _ => {}
        }
        use super::checked;
        self.customers = checked(self.customers, other.customers, "customers")?;
        self.buyers = checked(self.buyers, other.buyers, "buyers")?;
        self.repeat_buyers = checked(self.repeat_buyers, other.repeat_buyers, "repeat buyers")?;
        self.orders = checked(self.orders, other.orders, "orders")?;
        for (n, c) in other.histogram {
            let x = self.histogram.entry(n).or_insert(0);
            *x = checked(*x, c, "customers by orders")?;
        }
        self.gaps.extend(other.gaps);
        self.first_to_second.extend(other.first_to_second);
        self.active = checked(self.active, other.active, "active buyers")?;
        self.churned = checked(self.churned, other.churned, "churned buyers")?;
        Ok(())
    }

    /// # Errors
    /// [`Error::InvalidConfig`] for a deserialized state whose configuration
    /// [`Accumulator::new`] would refuse.
    fn finish(self) -> Result<RepeatBuyingReport> {
        // A deserialized state's configuration is checked as new() checks it.
        self.config.validate()?;
        self.check()?;
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let edges = &self.config.gap_buckets_days;
        let mut buckets: Vec<GapBucket> = (0..=edges.len())
            .map(|i| GapBucket {
                from_days: if i == 0 {
                    0
                } else {
                    edges.get(i - 1).copied().unwrap_or(0)
                },
                to_days: edges.get(i).copied(),
                count: 0,
                share: 0.0,
            })
            .collect();
        for &g in &self.gaps {
            let i = edges.partition_point(|&e| i64::from(e).saturating_mul(DAY_S) <= g);
            if let Some(b) = buckets.get_mut(i) {
                b.count += 1;
            }
        }
        let total = self.gaps.len() as u64;
        for b in &mut buckets {
            b.share = ratio(b.count, total).unwrap_or(0.0);
        }
        let churn = match (self.config.as_of, self.config.churn_after_days) {
            (Some(as_of), Some(window_days)) => Some(ChurnReport {
                as_of,
                window_days,
                active: self.active,
                churned: self.churned,
                churn_rate: ratio(self.churned, self.active.saturating_add(self.churned)),
            }),
            _ => None,
        };
        Ok(RepeatBuyingReport {
            order_event: self
                .config
                .orders
                .describe(closures(&self.custom, "orders ")),
            as_of: self.config.as_of,
            customers: self.customers,
            buyers: self.buyers,
            repeat_buyers: self.repeat_buyers,
            repeat_purchase_rate: ratio(self.repeat_buyers, self.buyers),
            orders: self.orders,
            orders_per_buyer: ratio(self.orders, self.buyers),
            buyers_by_orders: self
                .histogram
                .iter()
                .map(|(&orders, &customers)| OrderCount { orders, customers })
                .collect(),
            between_orders: DurationSummary::from_seconds(self.gaps),
            first_to_second: DurationSummary::from_seconds(self.first_to_second),
            gap_distribution: buckets,
            churn,
        })
    }
}

/// How many buyers placed a given number of orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCount {
    /// Orders per buyer.
    pub orders: u64,
    /// Buyers with that many orders.
    pub customers: u64,
}

/// One bucket of the distribution of times between orders:
/// `from_days <= gap < to_days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapBucket {
    /// The lower edge, inclusive, in days.
    pub from_days: u32,
    /// The upper edge, exclusive, in days; `None` for the last bucket.
    pub to_days: Option<u32>,
    /// Gaps in the bucket.
    pub count: u64,
    /// `count` over all gaps (0 without gaps).
    pub share: f64,
}

/// Buyers active or churned as of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnReport {
    /// The date the figures are as of.
    pub as_of: DateTime<Utc>,
    /// The inactivity window, in days.
    pub window_days: u32,
    /// Buyers with an order within the window before `as_of`.
    pub active: u64,
    /// Buyers whose last order is `window_days` or more before `as_of`.
    pub churned: u64,
    /// `churned / (active + churned)`; `None` without buyers.
    pub churn_rate: Option<f64>,
}

/// Repeat purchase figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatBuyingReport {
    /// What counted as an order, in words.
    pub order_event: String,
    /// The time the figures are as of, if one was given.
    pub as_of: Option<DateTime<Utc>>,
    /// Customers added.
    pub customers: u64,
    /// Customers with at least one order.
    pub buyers: u64,
    /// Customers with at least two orders.
    pub repeat_buyers: u64,
    /// `repeat_buyers / buyers`; `None` without buyers.
    pub repeat_purchase_rate: Option<f64>,
    /// Orders in all.
    pub orders: u64,
    /// `orders / buyers`.
    pub orders_per_buyer: Option<f64>,
    /// Buyers by their number of orders, ascending.
    pub buyers_by_orders: Vec<OrderCount>,
    /// Every gap between a buyer's consecutive orders (exact quantiles).
    pub between_orders: Option<DurationSummary>,
    /// The gap from each repeat buyer's first order to their second.
    pub first_to_second: Option<DurationSummary>,
    /// The gaps by bucket of days.
    pub gap_distribution: Vec<GapBucket>,
    /// Active and churned buyers, with a churn window.
    pub churn: Option<ChurnReport>,
}

impl fmt::Display for RepeatBuyingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{:.1}%", 100.0 * r));
        let days = |s: f64| format!("{:.1} days", s / DAY_S as f64);
        writeln!(f, "repeat buying (orders: {})", self.order_event)?;
        writeln!(
            f,
            "{} customers, {} buyers, {} repeat buyers: repeat purchase rate {}; {:.2} orders per buyer",
            self.customers,
            self.buyers,
            self.repeat_buyers,
            pct(self.repeat_purchase_rate),
            self.orders_per_buyer.unwrap_or(0.0)
        )?;
        if let Some(s) = &self.between_orders {
            writeln!(
                f,
                "time between orders ({} gaps): median {}, mean {}, 90th percentile {}",
                s.count,
                days(s.median_seconds),
                days(s.mean_seconds),
                days(s.p90_seconds)
            )?;
        }
        if let Some(s) = &self.first_to_second {
            writeln!(
                f,
                "first to second order: median {}",
                days(s.median_seconds)
            )?;
        }
        if self.between_orders.is_some() {
            for b in &self.gap_distribution {
                let range = match b.to_days {
                    Some(t) => format!("{}-{} days", b.from_days, t),
                    None => format!("{}+ days", b.from_days),
                };
                writeln!(f, "  {range:<14} {:>7} ({:.1}%)", b.count, 100.0 * b.share)?;
            }
        }
        if let Some(c) = &self.churn {
            writeln!(
                f,
                "as of {}: {} buyers active within {} days, {} churned ({})",
                c.as_of.date_naive(),
                c.active,
                c.window_days,
                c.churned,
                pct(c.churn_rate)
            )?;
        }
        Ok(())
    }
}
