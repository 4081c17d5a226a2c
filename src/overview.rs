//! Where customers are: how many journeys sit in each stage now, how far they
//! got, and how many converted. The first analysis, and the pattern the others
//! follow: an accumulator with `add` / `merge` / `finish` and a serde report.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::Result;
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

impl Accumulator for JourneyOverview {
    type Config = ();
    type Unit<'a> = JourneyView<'a>;
    type Report = OverviewReport;

    /// An empty overview; it has nothing to configure.
    fn new(_: &()) -> Result<Self> {
        Ok(Self::default())
    }

    /// Counts one customer's journey. Never fails.
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        self.customers += 1;
        self.touchpoints += journey.len() as u64;
        self.sessions += journey.sessions().count() as u64;
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
        let mut seen = [false; 5];
        let mut current = None;
        for v in journey.stage_path() {
            if let Some(f) = seen.get_mut(v.stage.index()) {
                *f = true;
            }
            current = Some(v.stage);
        }
        if let Some(s) = current {
            bump(&mut self.current, s);
        }
        if let Some(&s) = Stage::ALL
            .iter()
            .rev()
            .find(|s| seen.get(s.index()) == Some(&true))
        {
            bump(&mut self.furthest, s);
        }
        for (c, s) in self.entered.iter_mut().zip(seen) {
            *c += u64::from(s);
        }
        Ok(())
    }

    /// Adds the counts of another overview. Never fails.
    fn merge(&mut self, other: JourneyOverview) -> Result<()> {
        self.customers += other.customers;
        self.touchpoints += other.touchpoints;
        self.sessions += other.sessions;
        self.converted += other.converted;
        self.repeat_buyers += other.repeat_buyers;
        self.orders += other.orders;
        self.first_order_ms += other.first_order_ms;
        for (a, b) in [
            (&mut self.current, &other.current),
            (&mut self.furthest, &other.furthest),
            (&mut self.entered, &other.entered),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += *y;
            }
        }
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
