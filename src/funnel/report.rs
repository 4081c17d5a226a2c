//! The funnel report and its mergeable accumulator.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{NaiveDate, TimeDelta};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::funnel::config::{CountingUnit, FunnelConfig, Touch};
use crate::funnel::mode::FunnelMode;
use crate::funnel::path::{Funnel, FunnelPath};
use crate::funnel::stage::StageFunnel;
use crate::log::JourneyView;
use crate::model::Stage;
use crate::numeric::quantile::DurationSummary;
use crate::step::Matcher;
use crate::step::{Condition, Step};

/// What the accumulator evaluates journeys with.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Steps(Funnel),
    Stages(StageFunnel),
}

/// What a state was made for, in serializable form: the configuration with
/// each custom closure replaced by its place (closures do not serialize).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Fingerprint {
    Steps {
        config: FunnelConfig,
        /// `step N condition M` / `exclusion N condition M` of each closure.
        custom: Vec<String>,
    },
    Stages {
        stages: Vec<Stage>,
        window_seconds: i64,
        mode: FunnelMode,
    },
}

impl Fingerprint {
    fn of(source: &Source) -> Fingerprint {
        match source {
            Source::Steps(f) => {
                let mut config = f.config().clone();
                let mut custom = Vec::new();
                let mut strip = |what: &str, n: usize, step: &mut Step| {
                    for (m, c) in step.conditions.iter().enumerate() {
                        if matches!(c, Condition::Custom(_)) {
                            custom.push(format!("{what} {} condition {}", n + 1, m + 1));
                        }
                    }
                    step.conditions
                        .retain(|c| !matches!(c, Condition::Custom(_)));
                };
                for (n, s) in config.steps.iter_mut().enumerate() {
                    strip("step", n, s);
                }
                for (n, e) in config.exclusions.iter_mut().enumerate() {
                    strip("exclusion", n, &mut e.step);
                }
                Fingerprint::Steps { config, custom }
            }
            Source::Stages(f) => Fingerprint::Stages {
                stages: f.stages().to_vec(),
                window_seconds: f.window_seconds(),
                mode: f.mode(),
            },
        }
    }
}

/// Collects funnel paths of many journeys; [`merge`](Accumulator::merge)
/// combines partial results (threads, processes, shards) and
/// [`finish`](Accumulator::finish) gives the [`FunnelReport`]. Merging is
/// associative and commutative: any split of the journeys gives the same
/// report (proptested), and [`run_on_log`](crate::run_on_log) gives the same
/// report on any number of threads.
///
/// The state serializes (serde) without the funnel itself, which may hold
/// closures ([`Condition::Custom`]): it carries the funnel's configuration
/// as a fingerprint instead (closures by their place), and a merge checks
/// that the fingerprints are equal (and, when both states hold their funnel,
/// that the funnels are equal, closures included). A deserialized state
/// merges and finishes; to add journeys to it, merge it into a state made by
/// [`Accumulator::new`].
///
/// The funnel's conditions are resolved against the log of the journeys
/// added (kept between journeys of the same log, checked for each journey):
/// each row's steps are table lookups on the log's columns.
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::funnel::{Funnel, FunnelAccumulator, FunnelConfig, Step};
/// use cxjourney::log::EventLog;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Accumulator, BuiltinKind as K, JourneyConfig, run_on_log};
/// let shop = SampleShop::generate(&SampleConfig { customers: 200, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let funnel = Funnel::new(FunnelConfig::new(
///     vec![Step::kind(K::ProductView), Step::kind(K::AddToCart),
///          Step::kind(K::CheckoutStart), Step::kind(K::OrderCompleted)],
///     TimeDelta::days(7),
/// ))?;
/// let mut a = FunnelAccumulator::new(&funnel)?;
/// let mut b = FunnelAccumulator::new(&funnel)?;
/// for j in log.journeys_in(0..100) { a.add(j)?; }
/// for j in log.journeys_in(100..200) { b.add(j)?; }
/// a.merge(b)?;
/// let report = a.finish()?;
/// assert_eq!(report.units, 200);
/// assert!(report.steps[1].reached <= report.steps[0].reached);
/// assert_eq!(run_on_log::<FunnelAccumulator>(&log, &funnel, 2)?, report);
/// println!("{report}");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunnelAccumulator {
    #[serde(skip)]
    source: Option<Source>,
    #[serde(skip)]
    matcher: Option<Matcher>,
    fingerprint: Fingerprint,
    names: Vec<String>,
    unit: CountingUnit,
    customers: u64,
    units: u64,
    at_level: Vec<u64>,
    reached: Vec<u64>,
    from_previous: Vec<Vec<i64>>,
    from_first: Vec<Vec<i64>>,
    trend: BTreeMap<NaiveDate, (u64, u64)>,
    breakdown: BTreeMap<String, (u64, Vec<u64>)>,
    stops: BTreeMap<String, u64>,
}

impl Accumulator for FunnelAccumulator {
    type Config = Funnel;
    type Unit<'a> = JourneyView<'a>;
    type Report = FunnelReport;

    /// An empty accumulator for a funnel. Never fails.
    fn new(funnel: &Funnel) -> Result<Self> {
        let names = funnel.step_names().map(str::to_owned).collect();
        Ok(Self::empty(
            Source::Steps(funnel.clone()),
            names,
            funnel.config().unit,
        ))
    }

    /// Adds one customer's journey; the breakdown value (if configured) is
    /// read from its rows.
    ///
    /// # Errors
    /// As [`Funnel::paths`]; [`Error::Mismatch`] for a deserialized state
    /// (it holds no funnel: merge it into one made by `new`).
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        self.add_inner(journey, None)
    }

    /// Adds another accumulator's counts.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two were made for different funnels.
    fn merge(&mut self, other: FunnelAccumulator) -> Result<()> {
        let same_source = match (&self.source, &other.source) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if !same_source || other.fingerprint != self.fingerprint {
            return Err(Error::Mismatch {
                expected: format!("a state of the funnel {}", self.names.join(" > ")),
                found: format!("a state of the funnel {}", other.names.join(" > ")),
            });
        }
        if self.source.is_none() {
            self.source = other.source;
        }
        // Counts saturate rather than wrap: deserialized states are not
        // trusted to be small.
        self.customers = self.customers.saturating_add(other.customers);
        self.units = self.units.saturating_add(other.units);
        for (a, b) in self.at_level.iter_mut().zip(other.at_level) {
            *a = a.saturating_add(b);
        }
        for (a, b) in self.reached.iter_mut().zip(other.reached) {
            *a = a.saturating_add(b);
        }
        for (a, b) in self.from_previous.iter_mut().zip(other.from_previous) {
            a.extend(b);
        }
        for (a, b) in self.from_first.iter_mut().zip(other.from_first) {
            a.extend(b);
        }
        for (d, (e, c)) in other.trend {
            let x = self.trend.entry(d).or_insert((0, 0));
            x.0 = x.0.saturating_add(e);
            x.1 = x.1.saturating_add(c);
        }
        for (k, (u, r)) in other.breakdown {
            let x = self
                .breakdown
                .entry(k)
                .or_insert_with(|| (0, vec![0; r.len()]));
            x.0 = x.0.saturating_add(u);
            for (a, b) in x.1.iter_mut().zip(r) {
                *a = a.saturating_add(b);
            }
        }
        for (k, v) in other.stops {
            let s = self.stops.entry(k).or_insert(0);
            *s = s.saturating_add(v);
        }
        Ok(())
    }

    /// The report. Never fails.
    fn finish(self) -> Result<FunnelReport> {
        Ok(self.report())
    }
}

impl FunnelAccumulator {
    /// An empty accumulator for a stage funnel.
    #[must_use]
    pub fn for_stages(funnel: &StageFunnel) -> Self {
        let names = funnel
            .stages()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        Self::empty(
            Source::Stages(funnel.clone()),
            names,
            CountingUnit::Customers,
        )
    }

    fn empty(source: Source, names: Vec<String>, unit: CountingUnit) -> Self {
        let n = names.len();
        FunnelAccumulator {
            fingerprint: Fingerprint::of(&source),
            source: Some(source),
            matcher: None,
            names,
            unit,
            customers: 0,
            units: 0,
            at_level: vec![0; n + 1],
            reached: vec![0; n],
            from_previous: vec![Vec::new(); n],
            from_first: vec![Vec::new(); n],
            trend: BTreeMap::new(),
            breakdown: BTreeMap::new(),
            stops: BTreeMap::new(),
        }
    }

    /// Adds one journey with an explicit breakdown key (a persona, a segment,
    /// any string) instead of a row property.
    ///
    /// # Errors
    /// As [`Accumulator::add`].
    pub fn add_with_key(&mut self, journey: JourneyView<'_>, key: &str) -> Result<()> {
        self.add_inner(journey, Some(key))
    }

    fn add_inner(&mut self, journey: JourneyView<'_>, key: Option<&str>) -> Result<()> {
        let (paths, breakdown) = match &self.source {
            Some(Source::Steps(f)) => {
                let log = journey.log();
                let m = match &mut self.matcher {
                    Some(m) if m.fits(log) => m,
                    slot => slot.insert(f.matcher(log)),
                };
                (f.paths_with(m, journey)?, f.config().breakdown)
            }
            Some(Source::Stages(f)) => (vec![f.path(journey)], None),
            None => {
                return Err(Error::Mismatch {
                    expected: "a funnel state made by FunnelAccumulator::new".into(),
                    found: "a deserialized state, which holds no funnel (merge it into one made by new)"
                        .into(),
                });
            }
        };
        self.customers += 1;
        let mut label = String::new();
        for path in &paths {
            let key: Option<String> = match (key, breakdown) {
                (Some(k), _) => Some(k.to_owned()),
                (None, Some(b)) => {
                    let idx = match b.touch {
                        Touch::FirstTouch => Some(path.scope.start),
                        Touch::LastTouch => path.scope.end.checked_sub(1),
                        Touch::Step { step } => path
                            .hits
                            .get(usize::from(step).saturating_sub(1))
                            .and_then(|h| h.as_ref().map(|h| h.touchpoint)),
                    };
                    Some(
                        idx.and_then(|i| journey.row(i))
                            .and_then(|r| b.property.of(r))
                            .unwrap_or("(none)")
                            .to_owned(),
                    )
                }
                (None, None) => None,
            };
            self.record(path, key, &mut label);
        }
        Ok(())
    }

    fn record(&mut self, path: &FunnelPath, key: Option<String>, label: &mut String) {
        self.units += 1;
        if let Some(x) = self.at_level.get_mut(path.level) {
            *x += 1;
        }
        let first = path.hits.first().and_then(Option::as_ref);
        let mut prev: Option<i64> = None;
        for (k, hit) in path.hits.iter().enumerate() {
            let Some(h) = hit else { continue };
            if let Some(x) = self.reached.get_mut(k) {
                *x += 1;
            }
            let t = h.at.timestamp();
            if let (Some(p), Some(v)) = (prev, self.from_previous.get_mut(k)) {
                v.push(t - p);
            }
            if let (Some(f), Some(v), true) = (first, self.from_first.get_mut(k), k > 0) {
                v.push(t - f.at.timestamp());
            }
            prev = Some(t);
        }
        if let Some(f) = first {
            let e = self.trend.entry(f.at.date_naive()).or_insert((0, 0));
            e.0 += 1;
            if path.converted() {
                e.1 += 1;
            }
        }
        if let Some(key) = key {
            let n = self.names.len();
            let e = self.breakdown.entry(key).or_insert_with(|| (0, vec![0; n]));
            e.0 += 1;
            for (k, hit) in path.hits.iter().enumerate() {
                if let (Some(_), Some(x)) = (hit, e.1.get_mut(k)) {
                    *x += 1;
                }
            }
        }
        stop_label(path, label);
        match self.stops.get_mut(label.as_str()) {
            Some(x) => *x += 1,
            None => {
                self.stops.insert(label.clone(), 1);
            }
        }
    }

    /// The report of what was added and merged so far, without consuming
    /// the state.
    #[must_use]
    pub fn report(&self) -> FunnelReport {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let entered = self.reached.first().copied().unwrap_or(0);
        let mut steps = Vec::with_capacity(self.names.len());
        let mut prev_reached = entered;
        for (k, name) in self.names.iter().enumerate() {
            let reached = self.reached.get(k).copied().unwrap_or(0);
            let prev = if k == 0 { self.units } else { prev_reached };
            steps.push(StepReport {
                step: name.clone(),
                reached,
                conversion_from_first: ratio(reached, entered),
                conversion_from_previous: ratio(reached, prev),
                dropped_off: prev.saturating_sub(reached),
                time_from_previous: self
                    .from_previous
                    .get(k)
                    .and_then(|v| DurationSummary::from_seconds(v.clone())),
                time_from_first: self
                    .from_first
                    .get(k)
                    .and_then(|v| DurationSummary::from_seconds(v.clone())),
            });
            prev_reached = reached;
        }
        let converted = self.reached.last().copied().unwrap_or(0);
        FunnelReport {
            unit: self.unit,
            customers: self.customers,
            units: self.units,
            entered,
            converted,
            conversion: ratio(converted, entered),
            time_to_convert: steps.last().and_then(|s| s.time_from_first),
            at_level: self.at_level.clone(),
            steps,
            trend: self
                .trend
                .iter()
                .map(|(d, &(e, c))| {
                    (
                        d.to_string(),
                        TrendPoint {
                            entered: e,
                            converted: c,
                            conversion: ratio(c, e),
                        },
                    )
                })
                .collect(),
            breakdown: self
                .breakdown
                .iter()
                .map(|(k, (u, r))| {
                    let conversion = ratio(
                        r.last().copied().unwrap_or(0),
                        r.first().copied().unwrap_or(0),
                    );
                    (
                        k.clone(),
                        BreakdownRow {
                            units: *u,
                            reached: r.clone(),
                            conversion,
                        },
                    )
                })
                .collect(),
            stopped: self.stops.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }
}

/// Writes the label of why `path` stopped into `out` (cleared first).
fn stop_label(path: &FunnelPath, out: &mut String) {
    use crate::funnel::StopReason as R;
    out.clear();
    let _ = match path.stop {
        R::Converted => write!(out, "converted"),
        R::NeverReached { step } => write!(out, "never_reached_step_{step}"),
        R::OutOfWindow { step } => write!(out, "out_of_window_step_{step}"),
        R::TooSoon { step } => write!(out, "too_soon_step_{step}"),
        R::Excluded { exclusion } => write!(out, "excluded_{}", u16::from(exclusion) + 1),
        R::StrictOrderBreak { .. } => write!(out, "strict_order_break"),
        R::Duplicate { step } => write!(out, "duplicate_step_{step}"),
    };
}

/// One step of a [`FunnelReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// The step's name.
    pub step: String,
    /// Units whose path reached the step.
    pub reached: u64,
    /// `reached / reached at step 1`.
    pub conversion_from_first: f64,
    /// `reached / reached at the step before` (for step 1: `/ units`).
    pub conversion_from_previous: f64,
    /// Units that reached the step before but not this one (for step 1:
    /// units that never entered).
    pub dropped_off: u64,
    /// Time from the previous step of the path to this one (exact).
    pub time_from_previous: Option<DurationSummary>,
    /// Time from step 1 to this step (exact).
    pub time_from_first: Option<DurationSummary>,
}

/// Entries and conversions of one entry date (UTC date of step 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// Units that entered that day.
    pub entered: u64,
    /// Of them, units that reached the last step.
    pub converted: u64,
    /// `converted / entered`.
    pub conversion: f64,
}

/// One breakdown value's funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// Units with this value.
    pub units: u64,
    /// Of them, reaching each step.
    pub reached: Vec<u64>,
    /// Last step / first step.
    pub conversion: f64,
}

/// Who reached which step, how fast, where they dropped off. `Display`
/// prints a readable table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    /// What was counted.
    pub unit: CountingUnit,
    /// Journeys added.
    pub customers: u64,
    /// Units counted (customers, attempts or sessions).
    pub units: u64,
    /// Units that reached step 1.
    pub entered: u64,
    /// Units that reached the last step.
    pub converted: u64,
    /// `converted / entered`.
    pub conversion: f64,
    /// Step 1 to the last step, over converted units (exact).
    pub time_to_convert: Option<DurationSummary>,
    /// `at_level[k]`: units whose level is exactly `k`.
    pub at_level: Vec<u64>,
    /// Step by step, in funnel order.
    pub steps: Vec<StepReport>,
    /// By entry date (UTC), ascending.
    pub trend: IndexMap<String, TrendPoint>,
    /// By breakdown value, ascending.
    pub breakdown: IndexMap<String, BreakdownRow>,
    /// Why units stopped, by reason, ascending.
    pub stopped: IndexMap<String, u64>,
}

fn fmt_secs(s: f64) -> String {
    let d = TimeDelta::milliseconds((s * 1000.0).round() as i64);
    if s < 120.0 {
        format!("{s:.0}s")
    } else if s < 7200.0 {
        format!("{:.1}m", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1}h", s / 3600.0)
    } else {
        format!("{:.1}d", d.num_seconds() as f64 / 86_400.0)
    }
}

impl std::fmt::Display for FunnelReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.unit {
            CountingUnit::Customers => "customers",
            CountingUnit::Conversions => "attempts",
            CountingUnit::Sessions => "sessions",
        };
        let of = if self.unit == CountingUnit::Customers {
            String::new()
        } else {
            format!(" of {} customers", self.customers)
        };
        writeln!(
            f,
            "Funnel over {} {unit}{of}: {} entered, {} converted ({:.1}%)",
            self.units,
            self.entered,
            self.converted,
            100.0 * self.conversion
        )?;
        writeln!(
            f,
            "  {:<3} {:<22} {:>9} {:>8} {:>8} {:>9} {:>10} {:>10}",
            "#", "step", "reached", "of 1st", "of prev", "drop-off", "median", "p90"
        )?;
        for (i, s) in self.steps.iter().enumerate() {
            let (med, p90) = s
                .time_from_previous
                .map_or(("-".to_owned(), "-".to_owned()), |d| {
                    (fmt_secs(d.median_seconds), fmt_secs(d.p90_seconds))
                });
            writeln!(
                f,
                "  {:<3} {:<22} {:>9} {:>7.1}% {:>7.1}% {:>9} {:>10} {:>10}",
                i + 1,
                s.step,
                s.reached,
                100.0 * s.conversion_from_first,
                100.0 * s.conversion_from_previous,
                s.dropped_off,
                med,
                p90
            )?;
        }
        if let Some(t) = self.time_to_convert {
            writeln!(
                f,
                "  time to convert: median {}, p90 {}, mean {}",
                fmt_secs(t.median_seconds),
                fmt_secs(t.p90_seconds),
                fmt_secs(t.mean_seconds)
            )?;
        }
        if !self.stopped.is_empty() {
            let parts: Vec<String> = self
                .stopped
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "  stopped: {}", parts.join(", "))?;
        }
        for (k, row) in &self.breakdown {
            writeln!(
                f,
                "  [{k}] {} units, reached {:?}, conversion {:.1}%",
                row.units,
                row.reached,
                100.0 * row.conversion
            )?;
        }
        Ok(())
    }
}
