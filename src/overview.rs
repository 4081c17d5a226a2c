//! Where customers are: how many journeys sit in each stage now, how far they
//! got, and how many converted. The first analysis, and the pattern the others
//! follow: an accumulator with `add` / `merge` / `finish` and a serde report.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::journey::Journey;
use crate::model::Stage;

/// Counts over journeys, mergeable across threads or machines.
///
/// ```
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Journey, JourneyConfig, JourneyOverview, Stage};
/// let shop = SampleShop::generate(&SampleConfig { customers: 200, ..SampleConfig::default() })?;
/// let journeys = Journey::group(shop.touchpoints, &JourneyConfig::default())?;
/// let (left, right) = journeys.split_at(100);
/// let mut a = JourneyOverview::new();
/// left.iter().for_each(|j| a.add(j));
/// let mut b = JourneyOverview::new();
/// right.iter().for_each(|j| b.add(j));
/// a.merge(&b);
/// let report = a.finish();
/// assert_eq!(report.customers, 200);
/// assert!(report.stages[&Stage::Decision].entered >= report.converted);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

impl JourneyOverview {
    /// An empty accumulator.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one journey.
    pub fn add(&mut self, journey: &Journey) {
        self.customers += 1;
        self.touchpoints += journey.len() as u64;
        self.sessions += journey.sessions().len() as u64;
        let orders = journey.orders() as u64;
        self.orders += orders;
        if let Some(d) = journey.time_to_first_order() {
            self.converted += 1;
            self.first_order_ms += i128::from(d.num_milliseconds());
        }
        if orders > 1 {
            self.repeat_buyers += 1;
        }
        let bump = |counts: &mut [u64; 5], s: Stage| {
            if let Some(c) = counts.get_mut(s.index()) {
                *c += 1;
            }
        };
        if let Some(s) = journey.current_stage() {
            bump(&mut self.current, s);
        }
        if let Some(s) = journey.furthest_stage() {
            bump(&mut self.furthest, s);
        }
        let mut seen = [false; 5];
        for v in journey.stage_path() {
            if let Some(f) = seen.get_mut(v.stage.index()) {
                *f = true;
            }
        }
        for (c, s) in self.entered.iter_mut().zip(seen) {
            *c += u64::from(s);
        }
    }

    /// Adds another accumulator's counts (associative and commutative).
    pub fn merge(&mut self, other: &JourneyOverview) {
        self.customers += other.customers;
        self.touchpoints += other.touchpoints;
        self.sessions += other.sessions;
        self.converted += other.converted;
        self.repeat_buyers += other.repeat_buyers;
        self.orders += other.orders;
        self.first_order_ms += other.first_order_ms;
        for i in 0..5 {
            for (a, b) in [
                (&mut self.current, &other.current),
                (&mut self.furthest, &other.furthest),
                (&mut self.entered, &other.entered),
            ] {
                if let (Some(x), Some(y)) = (a.get_mut(i), b.get(i)) {
                    *x += *y;
                }
            }
        }
    }

    /// The report.
    #[must_use]
    pub fn finish(&self) -> OverviewReport {
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
