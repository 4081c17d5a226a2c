//! The RFM accumulator (on the [`Accumulator`] contract) and its report:
//! per customer the lifetimes summary, the RFM inputs, the scores and the
//! segment; per segment the counts.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::model::Currency;
use crate::value::config::{MonetaryBasis, Period, RfmConfig};
use crate::value::customer::{CustomerKey, CustomerOrders};
use crate::value::qcut::rank_scores;
use crate::value::segment::{Coverage, RfmCell};

/// RFM scores, segments and the lifetimes summary over customers' journeys,
/// mergeable across threads or machines.
///
/// A customer's transactions are the journey's completed-order rows
/// ([`BuiltinKind::OrderCompleted`](crate::BuiltinKind::OrderCompleted))
/// whose UTC day is on or before [`RfmConfig::as_of`]: the amount is the
/// row's value (none counts as 0), the discount flag the row's. Customers
/// without such a row are left out, as `lifetimes` leaves them out. (With
/// weekly periods the lifetimes figures, like `lifetimes`, also take the
/// orders after the analysis day in the analysis week.)
///
/// Per customer (the reference set's definitions, SEMANTICS.md section 4):
///
/// - **lifetimes** (`summary_data_from_transaction_data(..., freq="D")`):
///   transactions bucketed per period (same-day purchases merged, amounts
///   summed); `frequency` = periods with a purchase - 1; `recency` = last -
///   first period; `T` = the analysis date's period - first period;
///   `monetary_value` = the mean of the per-period sums over the repeat
///   periods (the first excluded), 0 without repeats.
/// - **RFM inputs**: `recency_days` = analysis date - the day of the last
///   order; `frequency_tx` = orders (rows); `monetary_sum` = the sum of the
///   amounts; `discounted_share` = the share of discounted orders.
/// - **scores**: customers in [`CustomerKey`] order, ranked with pandas'
///   `rank(method="first")` (ties to the earlier customer), cut by
///   `qcut(rank, bins)` ([the exact rule](crate::value#scores)); R ranks
///   `recency_days` descending (the most recent score highest), F ranks
///   `frequency_tx`, M the sum or the mean ([`MonetaryBasis`]).
/// - **segment**: the first rule of [`RfmConfig::segments`] that takes the
///   scores, else its fallback.
///
/// The unit is a customer's whole journey: partial states must hold
/// different customers (as [`run_on_log`](crate::run_on_log)'s parts do);
/// [`finish`](Accumulator::finish) refuses a customer found in two.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use cxjourney::log::EventLog;
/// use cxjourney::value::{RfmAccumulator, RfmConfig};
/// use cxjourney::{Accumulator, BuiltinKind, Currency, CustomerId, JourneyConfig, Money, Touchpoint};
/// let order = |c: u64, d: u32, amount: &str| {
///     let at = Utc.with_ymd_and_hms(2024, 12, d, 10, 0, 0).unwrap();
///     Touchpoint::new(CustomerId(c), at, BuiltinKind::OrderCompleted)
///         .with_value(Money::parse(amount, Currency::IDR).unwrap())
/// };
/// let log = EventLog::from_touchpoints(
///     [order(1, 2, "10.00"), order(1, 2, "5.00"), order(1, 20, "7.50"), order(2, 30, "40")],
///     &JourneyConfig::default(),
/// )?;
/// let config = RfmConfig::new(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
/// let mut acc = RfmAccumulator::new(&config)?;
/// for journey in log.journeys() {
///     acc.add(journey)?;
/// }
/// let report = acc.finish()?;
/// let one = &report.customers[0];
/// // Two purchase days: one repeat, 18 days after the first, 29 before the end.
/// assert_eq!((one.frequency, one.recency, one.t), (1, 18, 29));
/// assert_eq!(one.monetary_value, 7.5);
/// assert_eq!((one.recency_days, one.frequency_tx, one.monetary_sum), (11, 3, 22.5));
/// // Customer 2 bought last: R 5; customer 1 bought more often: F 5.
/// assert_eq!((one.r_score, one.f_score), (1, 5));
/// assert_eq!(report.customers[1].r_score, 5);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmAccumulator {
    config: RfmConfig,
    currency: Option<Currency>,
    customers: Vec<CustomerOrders>,
}

impl Accumulator for RfmAccumulator {
    type Config = RfmConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = RfmReport;

    /// An empty accumulator.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad configuration ([`RfmConfig::validate`]).
    fn new(config: &RfmConfig) -> Result<Self> {
        config.validate()?;
        Ok(RfmAccumulator {
            config: config.clone(),
            currency: None,
            customers: Vec::new(),
        })
    }

    /// Adds one customer's journey.
    ///
    /// # Errors
    /// [`Error::MixedCurrencies`] for an amount in another currency than the
    /// amounts before it; [`Error::AmountOverflow`] when a customer's sum
    /// leaves 64-bit minor units.
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let as_of = self.config.as_of_day();
        if let Some(c) = CustomerOrders::of(&journey, &self.config, as_of, &mut self.currency)? {
            if self.customers.capacity() == 0 {
                // Room for the rest of the log's customers: address space
                // only, so no copies as the list grows (pages never written
                // cost no memory).
                let rest = journey
                    .log()
                    .customer_count()
                    .saturating_sub(journey.index());
                self.customers.reserve(rest.min(1 << 24));
            }
            self.customers.push(c);
        }
        Ok(())
    }

    /// Adds another accumulator's customers.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two were made with different
    /// configurations; [`Error::MixedCurrencies`] when their amounts are in
    /// different currencies.
    fn merge(&mut self, other: RfmAccumulator) -> Result<()> {
        if other.config != self.config {
            return Err(Error::Mismatch {
                expected: format!("an RFM state as of {}", self.config.as_of),
                found: format!(
                    "an RFM state of another configuration (as of {})",
                    other.config.as_of
                ),
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
        if self.customers.is_empty() {
            self.customers = other.customers;
        } else {
            self.customers.extend(other.customers);
        }
        Ok(())
    }

    /// Ranks, scores and segments every customer.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when one customer was added to two partial states;
    /// [`Error::InvalidConfig`] for a deserialized state whose configuration
    /// [`RfmConfig::validate`] refuses.
    fn finish(mut self) -> Result<RfmReport> {
        self.config.validate()?;
        let as_of = self.config.as_of_day();
        for c in &self.customers {
            c.check(as_of)?;
        }
        self.customers.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        if let Some([a, _]) = self
            .customers
            .windows(2)
            .find(|w| w.first().map(|c| &c.key) == w.get(1).map(|c| &c.key))
        {
            return Err(Error::Mismatch {
                expected: "each customer in one partial RFM state".into(),
                found: format!("customer {} in two", a.key),
            });
        }
        Ok(report(self))
    }
}

/// Buffers for ranking customers, shared by the three scores.
#[derive(Default)]
struct Ranker {
    keys: Vec<u64>,
    order: Vec<u32>,
    next: Vec<u32>,
}

impl Ranker {
    /// Customers in rank order by `key` ascending, ties to the earlier
    /// customer (pandas' `rank(method="first")` over customers in key
    /// order). A stable LSD radix sort on 8-bit digits of the key's distance
    /// from the smallest key, skipping the digits above the span: days and
    /// order counts take one or two passes, sums in minor units three or
    /// four.
    fn order(&mut self, keys: impl Iterator<Item = i64>) -> &[u32] {
        self.keys.clear();
        // Order-preserving map to unsigned.
        self.keys.extend(keys.map(|k| (k as u64) ^ (1 << 63)));
        let n = self.keys.len();
        let min = self.keys.iter().copied().min().unwrap_or(0);
        let span = self.keys.iter().copied().max().unwrap_or(0) - min;
        self.order.clear();
        self.order.extend(0..n as u32);
        self.next.clear();
        self.next.resize(n, 0);
        let keys = &self.keys;
        let mut shift = 0u32;
        while shift < 64 && span >> shift != 0 {
            let digit = |i: u32| {
                keys.get(i as usize)
                    .map_or(0, |&k| ((k - min) >> shift) as usize & 0xff)
            };
            let mut at = [0usize; 257];
            for &i in &self.order {
                if let Some(c) = at.get_mut(digit(i) + 1) {
                    *c += 1;
                }
            }
            for d in 1..at.len() {
                let prev = at.get(d - 1).copied().unwrap_or(0);
                if let Some(c) = at.get_mut(d) {
                    *c += prev;
                }
            }
            for &i in &self.order {
                if let Some(slot) = at.get_mut(digit(i))
                    && let Some(x) = self.next.get_mut(*slot)
                {
                    *x = i;
                    *slot += 1;
                }
            }
            std::mem::swap(&mut self.order, &mut self.next);
            shift += 8;
        }
        &self.order
    }
}

/// Each customer's score (`out[i]`), from the customers in rank order.
fn scores_of(order: &[u32], by_rank: &[u8], out: &mut [u8]) {
    for (&i, &score) in order.iter().zip(by_rank) {
        if let Some(s) = out.get_mut(i as usize) {
            *s = score;
        }
    }
}

fn report(acc: RfmAccumulator) -> RfmReport {
    let RfmAccumulator {
        config,
        currency,
        customers,
    } = acc;
    let n = customers.len();
    let as_of = config.as_of_day();
    let scale = 10f64.powi(currency.map_or(2, |c| c.minor_digits()) as i32);
    let by_rank = rank_scores(n, config.bins);
    let mut ranker = Ranker::default();
    let (mut r_score, mut f_score, mut m_score) = (vec![1u8; n], vec![1u8; n], vec![1u8; n]);
    // R: recency days descending, i.e. the last order day ascending.
    let order = ranker.order(customers.iter().map(|c| i64::from(c.last_day)));
    scores_of(order, &by_rank, &mut r_score);
    let order = ranker.order(customers.iter().map(|c| i64::from(c.orders)));
    scores_of(order, &by_rank, &mut f_score);
    match config.monetary {
        MonetaryBasis::Sum => {
            let order = ranker.order(customers.iter().map(|c| c.sum_minor));
            scores_of(order, &by_rank, &mut m_score);
        }
        MonetaryBasis::Mean => {
            // sx / nx against sy / ny, exactly; the position breaks ties.
            let mut order: Vec<u32> = (0..n as u32).collect();
            let mean = |i: u32| {
                customers.get(i as usize).map_or((0, 1), |c| {
                    (i128::from(c.sum_minor), i128::from(c.orders.max(1)))
                })
            };
            order.sort_unstable_by(|&a, &b| {
                let ((sa, na), (sb, nb)) = (mean(a), mean(b));
                (sa * nb).cmp(&(sb * na)).then(a.cmp(&b))
            });
            scores_of(&order, &by_rank, &mut m_score);
        }
    }
    drop(ranker);
    let rules = config.segments.rules();
    let names: Vec<Arc<str>> = rules
        .iter()
        .map(|r| Arc::from(r.name.as_str()))
        .chain(std::iter::once(Arc::from(config.segments.others())))
        .collect();
    // The segment of every cell, looked up once per customer.
    let bins = usize::from(config.bins);
    let mut table = vec![0u16; bins * bins * bins];
    for (slot, idx) in table.iter_mut().enumerate() {
        let cell = RfmCell {
            r: (slot / (bins * bins) + 1) as u8,
            f: (slot / bins % bins + 1) as u8,
            m: (slot % bins + 1) as u8,
        };
        *idx = config.segments.index_of(cell) as u16;
    }
    let mut sums: Vec<SegmentSums> = vec![SegmentSums::default(); names.len()];
    let mut transactions = 0u64;
    let mut rows = Vec::with_capacity(n);
    for (i, c) in customers.iter().enumerate() {
        let at = |v: &[u8]| v.get(i).copied().unwrap_or(1);
        let cell = RfmCell {
            r: at(&r_score),
            f: at(&f_score),
            m: at(&m_score),
        };
        let slot = (usize::from(cell.r) - 1) * bins * bins
            + (usize::from(cell.f) - 1) * bins
            + usize::from(cell.m)
            - 1;
        let seg = table
            .get(slot)
            .copied()
            .map_or(names.len() - 1, usize::from);
        let name = names.get(seg).cloned().unwrap_or_else(|| Arc::from(""));
        if let Some(s) = sums.get_mut(seg) {
            s.customers += 1;
            s.orders = s.orders.saturating_add(u64::from(c.orders));
            s.revenue_minor = s.revenue_minor.saturating_add(i128::from(c.sum_minor));
            s.recency_days += i128::from(as_of - i64::from(c.last_day));
        }
        transactions = transactions.saturating_add(u64::from(c.orders));
        let lt = c.lifetimes(config.period, as_of, scale);
        rows.push(CustomerRfm {
            customer: c.key.clone(),
            frequency: lt.frequency,
            recency: lt.recency,
            t: lt.t,
            monetary_value: lt.monetary_value,
            recency_days: as_of - i64::from(c.last_day),
            frequency_tx: u64::from(c.orders),
            monetary_sum: c.sum_minor as f64 / scale,
            monetary_sum_minor: c.sum_minor,
            discounted_share: f64::from(c.discounted) / f64::from(c.orders.max(1)),
            r_score: cell.r,
            f_score: cell.f,
            m_score: cell.m,
            segment: name,
        });
    }
    let segments = names
        .iter()
        .zip(&sums)
        .map(|(name, s)| {
            let k = s.customers as f64;
            (
                name.to_string(),
                SegmentSummary {
                    customers: s.customers,
                    share: if n == 0 { 0.0 } else { k / n as f64 },
                    orders: s.orders,
                    revenue: s.revenue_minor as f64 / scale,
                    mean_order_value: (s.orders > 0)
                        .then(|| s.revenue_minor as f64 / scale / s.orders as f64),
                    mean_recency_days: (s.customers > 0).then(|| s.recency_days as f64 / k),
                },
            )
        })
        .collect();
    RfmReport {
        as_of: config.as_of,
        bins: config.bins,
        monetary: config.monetary,
        period: config.period,
        currency,
        rule_set: config.segments.name().to_owned(),
        coverage: config.segments.coverage(config.bins),
        transactions,
        customers: rows,
        segments,
    }
}

#[derive(Debug, Clone, Default)]
struct SegmentSums {
    customers: u64,
    orders: u64,
    revenue_minor: i128,
    recency_days: i128,
}

/// One customer's lifetimes summary, RFM inputs, scores and segment.
///
/// The first five fields are `lifetimes`' columns (`T` in JSON), the next
/// four the RFM inputs of the reference set; amounts are in major units of
/// the report's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRfm {
    /// The customer.
    pub customer: CustomerKey,
    /// lifetimes `frequency`: periods with a purchase, minus one.
    pub frequency: u64,
    /// lifetimes `recency`: from the first to the last purchase, in periods.
    pub recency: i64,
    /// lifetimes `T`: from the first purchase to the analysis date, in periods.
    #[serde(rename = "T")]
    pub t: i64,
    /// lifetimes `monetary_value`: the mean per-period sum of the repeat
    /// periods (0 without repeats).
    pub monetary_value: f64,
    /// Days from the last order to the analysis date.
    pub recency_days: i64,
    /// Orders (rows, same-day orders counted apart).
    pub frequency_tx: u64,
    /// The sum of the amounts.
    pub monetary_sum: f64,
    /// The sum of the amounts in minor units (exact).
    pub monetary_sum_minor: i64,
    /// The share of orders with discounted prices.
    pub discounted_share: f64,
    /// The R score (the most recent customers score highest).
    pub r_score: u8,
    /// The F score.
    pub f_score: u8,
    /// The M score.
    pub m_score: u8,
    /// The segment.
    pub segment: Arc<str>,
}

impl CustomerRfm {
    /// The scores as one cell.
    #[must_use]
    pub fn cell(&self) -> RfmCell {
        RfmCell {
            r: self.r_score,
            f: self.f_score,
            m: self.m_score,
        }
    }

    /// R + F + M.
    #[must_use]
    pub fn score_sum(&self) -> u16 {
        u16::from(self.r_score) + u16::from(self.f_score) + u16::from(self.m_score)
    }
}

/// One segment's customers and what they bought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// Customers in the segment.
    pub customers: u64,
    /// Their share of all customers.
    pub share: f64,
    /// Their orders.
    pub orders: u64,
    /// The sum of their amounts, major units.
    pub revenue: f64,
    /// Revenue over orders (`None` without orders).
    pub mean_order_value: Option<f64>,
    /// The mean of their `recency_days` (`None` without customers).
    pub mean_recency_days: Option<f64>,
}

/// What [`RfmAccumulator`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmReport {
    /// The analysis date.
    pub as_of: NaiveDate,
    /// Score bins.
    pub bins: u8,
    /// What the M score ranks.
    pub monetary: MonetaryBasis,
    /// The lifetimes period.
    pub period: Period,
    /// The currency of the amounts (`None` when no order had one; amounts
    /// are then read with 2 minor digits).
    pub currency: Option<Currency>,
    /// The rule set's name.
    pub rule_set: String,
    /// How the rule set covers the score cells.
    pub coverage: Coverage,
    /// Orders counted (on or before the analysis date).
    pub transactions: u64,
    /// Every customer with an order, in [`CustomerKey`] order.
    pub customers: Vec<CustomerRfm>,
    /// Every segment, in the rule set's order, the fallback last.
    pub segments: IndexMap<String, SegmentSummary>,
}

impl RfmReport {
    /// Customers per (R, F) score: row `r - 1`, column `f - 1`.
    #[must_use]
    pub fn rf_grid(&self) -> Vec<Vec<u64>> {
        let b = usize::from(self.bins);
        let mut grid = vec![vec![0u64; b]; b];
        for c in &self.customers {
            let (r, f) = (usize::from(c.r_score), usize::from(c.f_score));
            if let Some(x) = grid
                .get_mut(r.wrapping_sub(1))
                .and_then(|row| row.get_mut(f.wrapping_sub(1)))
            {
                *x += 1;
            }
        }
        grid
    }
}

impl fmt::Display for RfmReport {
    /// The segments as a table, the R x F grid and the coverage.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cur = self.currency.map_or_else(String::new, |c| format!(" {c}"));
        writeln!(
            f,
            "{} customers, {} orders as of {}; {} scores ({} bins), segments: {}",
            self.customers.len(),
            self.transactions,
            self.as_of,
            self.monetary,
            self.bins,
            self.rule_set
        )?;
        writeln!(
            f,
            "  {:<22} {:>9} {:>7} {:>8} {:>18} {:>16} {:>12}",
            "segment", "customers", "share", "orders", "revenue", "mean order", "mean recency"
        )?;
        for (name, s) in &self.segments {
            writeln!(
                f,
                "  {:<22} {:>9} {:>6.1}% {:>8} {:>18} {:>16} {:>11}",
                name,
                s.customers,
                100.0 * s.share,
                s.orders,
                format!("{:.0}{cur}", s.revenue),
                s.mean_order_value
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.0}{cur}")),
                s.mean_recency_days
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.0}d")),
            )?;
        }
        writeln!(
            f,
            "customers by R (rows, {} = most recent) and F (columns):",
            self.bins
        )?;
        write!(f, "  {:>4}", "")?;
        for c in 1..=self.bins {
            write!(f, " {:>6}", format!("F{c}"))?;
        }
        writeln!(f)?;
        for (r, row) in self.rf_grid().iter().enumerate().rev() {
            write!(f, "  {:>4}", format!("R{}", r + 1))?;
            for n in row {
                write!(f, " {n:>6}")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "rule coverage: {}", self.coverage)
    }
}
