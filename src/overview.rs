//! Where customers are: how many journeys sit in each stage now, how far they
//! got, and how many converted. The first analysis, and the pattern the others
//! follow: an accumulator with `add` / `merge` / `finish` and a serde report.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::model::Stage;

/// Counts over journeys, mergeable across threads or machines.
///
/// ```
/// use cxjourney::log::EventLog;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Accumulator, JourneyConfig, JourneyOverview, Stage};
/// let shop = SampleShop::generate(&SampleConfig { customers: 200, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let mut a = JourneyOverview::new(&())?;
/// let mut b = JourneyOverview::new(&())?;
/// for (i, journey) in log.journeys().enumerate() {
///     if i < 100 { a.add(journey)? } else { b.add(journey)? }
/// }
/// a.merge(b)?;
/// let report = a.finish()?;
/// assert_eq!(report.customers, 200);
/// assert!(report.stages[&Stage::Decision].entered >= report.converted);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// The state serializes; deserializing checks that the counts are
/// consistent (no more converted customers than customers, no more repeat
/// buyers than converted ones, per-stage counts within the customers, and so
/// on) and refuses a state that is not. Counts are checked: `add` and
/// `merge` return [`Error::TooMuchWork`] instead of overflowing `u64`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "OverviewState")]
pub struct JourneyOverview {
    customers: u64,
    touchpoints: u64,
    sessions: u64,
    converted: u64,
    repeat_buyers: u64,
    orders: u64,
    /// Sum of first-order delays in milliseconds (i128 cannot overflow here).
    first_order_ms: i128,
    current: [u64; 5],
    furthest: [u64; 5],
    entered: [u64; 5],
}

impl Accumulator for JourneyOverview {
    type Config = ();
    type Unit<'a> = JourneyView<'a>;
    type Report = OverviewReport;

    /// An empty overview; it has nothing to configure.
    fn new(_: &()) -> Result<Self> {
        Ok(Self::default())
    }

    /// Counts one customer's journey.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] when a count would pass `u64::MAX` (only
    /// reachable from a state deserialized with counts that high).
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let mut one = JourneyOverview {
            customers: 1,
            touchpoints: journey.len() as u64,
            sessions: journey.sessions().count() as u64,
            orders: journey.orders() as u64,
            ..JourneyOverview::default()
        };
        if let Some(d) = journey.time_to_first_order() {
            one.converted = 1;
            one.first_order_ms = i128::from(d.num_milliseconds());
        }
        if one.orders > 1 {
            one.repeat_buyers = 1;
        }
        let bump = |counts: &mut [u64; 5], s: Stage| {
            if let Some(c) = counts.get_mut(s.index()) {
                *c = 1;
            }
        };
        let mut seen = [false; 5];
        let mut current = None;
        for v in journey.stage_path() {
            if let Some(f) = seen.get_mut(v.stage.index()) {
                *f = true;
            }
            current = Some(v.stage);
        }
        if let Some(s) = current {
            bump(&mut one.current, s);
        }
        if let Some(&s) = Stage::ALL
            .iter()
            .rev()
            .find(|s| seen.get(s.index()) == Some(&true))
        {
            bump(&mut one.furthest, s);
        }
        for (c, s) in one.entered.iter_mut().zip(seen) {
            *c = u64::from(s);
        }
        self.merge(one)
    }

    /// Adds the counts of another overview.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] when a sum would pass `u64::MAX` (the
    /// overview is then unchanged).
    fn merge(&mut self, other: JourneyOverview) -> Result<()> {
        let sum = |a: u64, b: u64, what: &'static str| {
            a.checked_add(b).ok_or(Error::TooMuchWork {
                what,
                limit: u64::MAX,
            })
        };
        let arrays = |a: &[u64; 5], b: &[u64; 5], what: &'static str| -> Result<[u64; 5]> {
            let mut out = [0; 5];
            for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
                *o = sum(*x, *y, what)?;
            }
            Ok(out)
        };
        let merged = JourneyOverview {
            customers: sum(
                self.customers,
                other.customers,
                "journey overview: customers",
            )?,
            touchpoints: sum(
                self.touchpoints,
                other.touchpoints,
                "journey overview: touchpoints",
            )?,
            sessions: sum(self.sessions, other.sessions, "journey overview: sessions")?,
            converted: sum(
                self.converted,
                other.converted,
                "journey overview: converted",
            )?,
            repeat_buyers: sum(
                self.repeat_buyers,
                other.repeat_buyers,
                "journey overview: repeat buyers",
            )?,
            orders: sum(self.orders, other.orders, "journey overview: orders")?,
            // Each addend is at most `converted * i64::MAX` (checked on
            // deserializing) with `converted` below 2^64, so the sum of two
            // stays below 2^128; checked all the same.
            first_order_ms: self
                .first_order_ms
                .checked_add(other.first_order_ms)
                .ok_or(Error::TooMuchWork {
                    what: "journey overview: milliseconds to first orders",
                    limit: u64::MAX,
                })?,
            current: arrays(
                &self.current,
                &other.current,
                "journey overview: current stage",
            )?,
            furthest: arrays(
                &self.furthest,
                &other.furthest,
                "journey overview: furthest stage",
            )?,
            entered: arrays(
                &self.entered,
                &other.entered,
                "journey overview: entered stage",
            )?,
        };
        *self = merged;
        Ok(())
    }

    /// The report. Never fails.
    fn finish(self) -> Result<OverviewReport> {
        Ok(self.report())
    }
}

impl JourneyOverview {
    /// The report of what was added so far, without consuming the state.
    #[must_use]
    pub fn report(&self) -> OverviewReport {
        let share = |n: u64| {
            if self.customers == 0 {
                0.0
            } else {
                n as f64 / self.customers as f64
            }
        };
        let stages = Stage::ALL
            .iter()
            .map(|&s| {
                let at = |a: &[u64; 5]| a.get(s.index()).copied().unwrap_or(0);
                (
                    s,
                    StageCounts {
                        current: at(&self.current),
                        current_share: share(at(&self.current)),
                        furthest: at(&self.furthest),
                        entered: at(&self.entered),
                        entered_share: share(at(&self.entered)),
                    },
                )
            })
            .collect();
        OverviewReport {
            customers: self.customers,
            touchpoints: self.touchpoints,
            sessions: self.sessions,
            orders: self.orders,
            converted: self.converted,
            conversion_rate: share(self.converted),
            repeat_buyers: self.repeat_buyers,
            repeat_rate_of_converted: if self.converted == 0 {
                0.0
            } else {
                self.repeat_buyers as f64 / self.converted as f64
            },
            mean_hours_to_first_order: if self.converted == 0 {
                None
            } else {
                Some(self.first_order_ms as f64 / self.converted as f64 / 3_600_000.0)
            },
            stages,
        }
    }
}

/// A [`JourneyOverview`] as deserialized, before its counts are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverviewState {
    customers: u64,
    touchpoints: u64,
    sessions: u64,
    converted: u64,
    repeat_buyers: u64,
    orders: u64,
    first_order_ms: i128,
    current: [u64; 5],
    furthest: [u64; 5],
    entered: [u64; 5],
}

impl TryFrom<OverviewState> for JourneyOverview {
    type Error = Error;

    /// Checks what `add` and `merge` keep true: every count of customers
    /// within the customers, repeat buyers within the converted, at least
    /// one order per converted customer and one more per repeat buyer, no
    /// more orders or sessions than touchpoints, one current and one
    /// furthest stage per customer with a stage, both within the stages
    /// entered, and a first-order time in `0..=converted * i64::MAX` ms.
    fn try_from(s: OverviewState) -> Result<JourneyOverview> {
        let bad = |what: &str, value: String, rule: String| {
            Err(Error::InvalidRecord {
                line: 0,
                column: format!("journey overview state {what}"),
                value,
                reason: format!("inconsistent state: {rule}"),
            })
        };
        let c = s.customers;
        if s.converted > c {
            return bad(
                "converted",
                s.converted.to_string(),
                format!("more than the {c} customers"),
            );
        }
        if s.repeat_buyers > s.converted {
            return bad(
                "repeat_buyers",
                s.repeat_buyers.to_string(),
                format!("more than the {} converted customers", s.converted),
            );
        }
        let least_orders = u128::from(s.converted) + u128::from(s.repeat_buyers);
        if u128::from(s.orders) < least_orders {
            return bad(
                "orders",
                s.orders.to_string(),
                format!(
                    "fewer than {least_orders}, one per converted customer ({}) and one more per repeat buyer ({})",
                    s.converted, s.repeat_buyers
                ),
            );
        }
        for (what, v) in [("orders", s.orders), ("sessions", s.sessions)] {
            if v > s.touchpoints {
                return bad(
                    what,
                    v.to_string(),
                    format!("more than the {} touchpoints", s.touchpoints),
                );
            }
        }
        let total = |a: &[u64; 5]| a.iter().map(|&x| u128::from(x)).sum::<u128>();
        let (current, furthest) = (total(&s.current), total(&s.furthest));
        if current != furthest || current > u128::from(c) {
            return bad(
                "current",
                format!("{:?} (sum {current})", s.current),
                format!(
                    "the current stages must add up to the furthest ({furthest}), at most the {c} customers"
                ),
            );
        }
        for (i, ((&cur, &far), &entered)) in s
            .current
            .iter()
            .zip(&s.furthest)
            .zip(&s.entered)
            .enumerate()
        {
            let stage = Stage::ALL.get(i).map_or("?", |s| s.as_str());
            if entered > c || cur > entered || far > entered {
                return bad(
                    "entered",
                    format!("{entered} (stage {stage})"),
                    format!(
                        "at most the {c} customers and at least the current ({cur}) and furthest ({far})"
                    ),
                );
            }
        }
        let most_ms = i128::from(s.converted) * i128::from(i64::MAX);
        if !(0..=most_ms).contains(&s.first_order_ms) {
            return bad(
                "first_order_ms",
                s.first_order_ms.to_string(),
                format!(
                    "outside 0..={most_ms} ({} converted customers)",
                    s.converted
                ),
            );
        }
        Ok(JourneyOverview {
            customers: s.customers,
            touchpoints: s.touchpoints,
            sessions: s.sessions,
            converted: s.converted,
            repeat_buyers: s.repeat_buyers,
            orders: s.orders,
            first_order_ms: s.first_order_ms,
            current: s.current,
            furthest: s.furthest,
            entered: s.entered,
        })
    }
}

/// Per-stage counts of customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageCounts {
    /// Customers whose current (latest) stage is this one.
    pub current: u64,
    /// `current` as a share of all customers.
    pub current_share: f64,
    /// Customers whose furthest stage is this one.
    pub furthest: u64,
    /// Customers who entered this stage at least once.
    pub entered: u64,
    /// `entered` as a share of all customers.
    pub entered_share: f64,
}

/// The overview of a set of journeys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewReport {
    /// Number of customers (journeys).
    pub customers: u64,
    /// Number of touchpoints.
    pub touchpoints: u64,
    /// Number of sessions.
    pub sessions: u64,
    /// Number of completed orders.
    pub orders: u64,
    /// Customers with at least one completed order.
    pub converted: u64,
    /// `converted / customers`.
    pub conversion_rate: f64,
    /// Customers with two or more completed orders.
    pub repeat_buyers: u64,
    /// `repeat_buyers / converted`.
    pub repeat_rate_of_converted: f64,
    /// Mean hours from first touch to first order, over converted customers.
    pub mean_hours_to_first_order: Option<f64>,
    /// Counts per stage, in stage order.
    pub stages: IndexMap<Stage, StageCounts>,
}

impl fmt::Display for OverviewReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} customers, {} touchpoints in {} sessions, {} orders",
            self.customers, self.touchpoints, self.sessions, self.orders
        )?;
        writeln!(
            f,
            "converted: {} ({:.1}%), repeat buyers: {} ({:.1}% of converted)",
            self.converted,
            100.0 * self.conversion_rate,
            self.repeat_buyers,
            100.0 * self.repeat_rate_of_converted
        )?;
        if let Some(h) = self.mean_hours_to_first_order {
            writeln!(f, "mean time from first touch to first order: {h:.1} h")?;
        }
        writeln!(
            f,
            "{:<14} {:>9} {:>7} {:>9} {:>9} {:>7}",
            "stage", "current", "%", "furthest", "entered", "%"
        )?;
        for (stage, c) in &self.stages {
            writeln!(
                f,
                "{:<14} {:>9} {:>6.1}% {:>9} {:>9} {:>6.1}%",
                stage.as_str(),
                c.current,
                100.0 * c.current_share,
                c.furthest,
                c.entered,
                100.0 * c.entered_share
            )?;
        }
        Ok(())
    }
}
