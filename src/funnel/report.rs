//! The funnel report and its mergeable accumulator.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
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
#[serde(try_from = "UncheckedState")]
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
        // Deserialized states are not trusted to be small: a count that
        // would overflow is an error, checked before anything changes.
        self.check_sums(&other)?;
        if self.source.is_none() {
            self.source = other.source;
        }
        self.customers += other.customers;
        self.units += other.units;
        for (a, b) in self.at_level.iter_mut().zip(other.at_level) {
            *a += b;
        }
        for (a, b) in self.reached.iter_mut().zip(other.reached) {
            *a += b;
        }
        for (a, b) in self.from_previous.iter_mut().zip(other.from_previous) {
            a.extend(b);
        }
        for (a, b) in self.from_first.iter_mut().zip(other.from_first) {
            a.extend(b);
        }
        for (d, (e, c)) in other.trend {
            let x = self.trend.entry(d).or_insert((0, 0));
            x.0 += e;
            x.1 += c;
        }
        for (k, (u, r)) in other.breakdown {
            let x = self
                .breakdown
                .entry(k)
                .or_insert_with(|| (0, vec![0; r.len()]));
            x.0 += u;
            for (a, b) in x.1.iter_mut().zip(r) {
                *a += b;
            }
        }
        for (k, v) in other.stops {
            let s = self.stops.entry(k).or_insert(0);
            *s += v;
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

    /// Whether every count of `self + other` fits in a `u64`. Every other
    /// count of a valid state is at most `units`, so `units` and the per-key
    /// sums are all there is to check.
    fn check_sums(&self, other: &FunnelAccumulator) -> Result<()> {
        let overflow = || Error::TooMuchWork {
            what: "funnel counts of a merge (a sum beyond u64)",
            limit: u64::MAX,
        };
        self.units.checked_add(other.units).ok_or_else(overflow)?;
        self.customers
            .checked_add(other.customers)
            .ok_or_else(overflow)?;
        Ok(())
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
        let fits = self.customers.checked_add(1).is_some()
            && self.units.checked_add(paths.len() as u64).is_some();
        if !fits {
            return Err(Error::TooMuchWork {
                what: "funnel counts (a sum beyond u64)",
                limit: u64::MAX,
            });
        }
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
///
/// A report read back with serde is checked ([`FunnelReport::validate`]):
/// a report that no accumulator could have made is an error, not a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedReport")]
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

/// A duration in seconds, readable; any `f64` (NaN, infinities, huge or
/// negative values from a deserialized report) prints without panicking.
fn fmt_secs(s: f64) -> String {
    if !s.is_finite() {
        format!("{s}s")
    } else if s < 120.0 {
        format!("{s:.0}s")
    } else if s < 7200.0 {
        format!("{:.1}m", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1}h", s / 3600.0)
    } else {
        // whole seconds (the fraction rounded to milliseconds, then dropped)
        format!("{:.1}d", ((s * 1000.0).round() / 1000.0).trunc() / 86_400.0)
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

/// A report as deserialized, before [`FunnelReport::validate`].
#[derive(Deserialize)]
struct UncheckedReport {
    unit: CountingUnit,
    customers: u64,
    units: u64,
    entered: u64,
    converted: u64,
    conversion: f64,
    time_to_convert: Option<DurationSummary>,
    at_level: Vec<u64>,
    steps: Vec<StepReport>,
    trend: IndexMap<String, TrendPoint>,
    breakdown: IndexMap<String, BreakdownRow>,
    stopped: IndexMap<String, u64>,
}

impl TryFrom<UncheckedReport> for FunnelReport {
    type Error = Error;

    fn try_from(u: UncheckedReport) -> Result<FunnelReport> {
        let r = FunnelReport {
            unit: u.unit,
            customers: u.customers,
            units: u.units,
            entered: u.entered,
            converted: u.converted,
            conversion: u.conversion,
            time_to_convert: u.time_to_convert,
            at_level: u.at_level,
            steps: u.steps,
            trend: u.trend,
            breakdown: u.breakdown,
            stopped: u.stopped,
        };
        r.validate()?;
        Ok(r)
    }
}

/// The error of a deserialized report or state that breaks an invariant.
fn broken(field: &'static str, value: impl std::fmt::Display) -> Error {
    Error::InvalidConfig {
        field,
        value: value.to_string(),
        reason: "a deserialized funnel report or state breaks this invariant",
    }
}

/// A ratio: finite, within 0..=1.
fn check_ratio(field: &'static str, x: f64) -> Result<()> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(broken(field, x))
    }
}

/// A count no larger than `most`.
fn check_at_most(field: &'static str, x: u64, most: u64) -> Result<()> {
    if x <= most {
        Ok(())
    } else {
        Err(broken(field, format!("{x} (more than {most})")))
    }
}

/// A duration summary as the accumulator makes them: at least one value,
/// finite, `min <= median <= p90 <= max`, the mean within `min..=max`
/// (a relative 1e-9 of slack for rounding), at most `most` values.
fn check_summary(field: &'static str, d: &DurationSummary, most: u64) -> Result<()> {
    let (lo, hi) = (d.min_seconds as f64, d.max_seconds as f64);
    let slack = 1e-9 * lo.abs().max(hi.abs()).max(1.0);
    let within = |x: f64| x.is_finite() && x >= lo - slack && x <= hi + slack;
    let ok = d.count >= 1
        && d.count <= most
        && d.min_seconds >= 0
        && d.min_seconds <= d.max_seconds
        && within(d.mean_seconds)
        && within(d.median_seconds)
        && within(d.p90_seconds)
        && d.median_seconds <= d.p90_seconds;
    if ok {
        Ok(())
    } else {
        Err(broken(field, format!("{d:?}")))
    }
}

impl FunnelReport {
    /// Checks the invariants every report made by a [`FunnelAccumulator`]
    /// keeps: 1 to 32 steps, `at_level` of one more entry summing to `units`,
    /// `entered`/`converted` equal to the first and last step's `reached`,
    /// counts no larger than `units`, ratios within `0..=1`, duration
    /// summaries with `0 <= min <= median <= p90 <= max` (all finite, the
    /// mean between min and max), trend dates as `YYYY-MM-DD`, breakdown
    /// rows of one count per step, stop reasons summing to `units`.
    /// Deserialization runs it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the field and the offending value.
    pub fn validate(&self) -> Result<()> {
        let n = self.steps.len();
        if n == 0 || n > crate::funnel::kernel::MAX_STEPS {
            return Err(broken("report.steps", n));
        }
        if self.at_level.len() != n + 1 {
            return Err(broken("report.at_level", format!("{:?}", self.at_level)));
        }
        let total = self
            .at_level
            .iter()
            .try_fold(0u64, |a, &b| a.checked_add(b))
            .ok_or_else(|| broken("report.at_level", format!("{:?}", self.at_level)))?;
        if total != self.units {
            return Err(broken(
                "report.at_level",
                format!("sum {total} != units {}", self.units),
            ));
        }
        let first = self.steps.first().map_or(0, |s| s.reached);
        let last = self.steps.last().map_or(0, |s| s.reached);
        if self.entered != first || self.converted != last {
            return Err(broken(
                "report.entered",
                format!(
                    "entered {} / converted {} against steps {first} / {last}",
                    self.entered, self.converted
                ),
            ));
        }
        check_at_most("report.entered", self.entered, self.units)?;
        if self.unit == CountingUnit::Customers {
            check_at_most("report.units", self.units, self.customers)?;
        }
        check_ratio("report.conversion", self.conversion)?;
        if let Some(d) = &self.time_to_convert {
            check_summary("report.time_to_convert", d, self.converted)?;
        }
        for s in &self.steps {
            check_at_most("report.steps.reached", s.reached, self.units)?;
            check_at_most("report.steps.dropped_off", s.dropped_off, self.units)?;
            check_ratio(
                "report.steps.conversion_from_first",
                s.conversion_from_first,
            )?;
            // above 1 when the step before is optional and was skipped
            if !(s.conversion_from_previous.is_finite() && s.conversion_from_previous >= 0.0) {
                return Err(broken(
                    "report.steps.conversion_from_previous",
                    s.conversion_from_previous,
                ));
            }
            for d in [&s.time_from_previous, &s.time_from_first]
                .into_iter()
                .flatten()
            {
                check_summary("report.steps.time", d, s.reached)?;
            }
        }
        for (day, t) in &self.trend {
            let canonical = day
                .parse::<NaiveDate>()
                .is_ok_and(|d| d.to_string() == *day);
            if !canonical {
                return Err(broken("report.trend", format!("{day:?}")));
            }
            check_at_most("report.trend.converted", t.converted, t.entered)?;
            check_at_most("report.trend.entered", t.entered, self.units)?;
            check_ratio("report.trend.conversion", t.conversion)?;
        }
        for (key, row) in &self.breakdown {
            if row.reached.len() != n {
                return Err(broken("report.breakdown", format!("{key:?}")));
            }
            check_at_most("report.breakdown.units", row.units, self.units)?;
            for &r in &row.reached {
                check_at_most("report.breakdown.reached", r, row.units)?;
            }
            check_ratio("report.breakdown.conversion", row.conversion)?;
        }
        let stops = self
            .stopped
            .values()
            .try_fold(0u64, |a, &b| a.checked_add(b));
        if stops != Some(self.units) {
            return Err(broken(
                "report.stopped",
                format!("{:?} against units {}", self.stopped, self.units),
            ));
        }
        Ok(())
    }
}

/// An accumulator state as deserialized, before its invariants are checked.
#[derive(Deserialize)]
struct UncheckedState {
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

impl TryFrom<UncheckedState> for FunnelAccumulator {
    type Error = Error;

    fn try_from(u: UncheckedState) -> Result<FunnelAccumulator> {
        let n = u.names.len();
        match &u.fingerprint {
            Fingerprint::Steps { config, .. } => {
                config.validate()?;
                let same = config.steps.len() == n
                    && config.steps.iter().zip(&u.names).all(|(s, m)| s.name == *m)
                    && config.unit == u.unit;
                if !same {
                    return Err(broken("state.names", format!("{:?}", u.names)));
                }
            }
            Fingerprint::Stages {
                stages,
                window_seconds,
                mode,
            } => {
                mode.validate()?;
                let same = stages.len() == n
                    && stages.iter().zip(&u.names).all(|(s, m)| s.as_str() == m)
                    && u.unit == CountingUnit::Customers;
                if !same || n == 0 || n > crate::funnel::kernel::MAX_STEPS || *window_seconds < 0 {
                    return Err(broken("state.names", format!("{:?}", u.names)));
                }
            }
        }
        let lengths_ok = u.at_level.len() == n + 1
            && u.reached.len() == n
            && u.from_previous.len() == n
            && u.from_first.len() == n
            && u.breakdown.values().all(|(_, r)| r.len() == n);
        if !lengths_ok {
            return Err(broken("state", "per-step lists of the wrong length"));
        }
        let levels = u.at_level.iter().try_fold(0u64, |a, &b| a.checked_add(b));
        let stops = u.stops.values().try_fold(0u64, |a, &b| a.checked_add(b));
        if levels != Some(u.units) || stops != Some(u.units) {
            return Err(broken(
                "state.at_level",
                format!("{:?} / {:?} against units {}", u.at_level, u.stops, u.units),
            ));
        }
        if u.unit == CountingUnit::Customers {
            check_at_most("state.units", u.units, u.customers)?;
        }
        for (k, &r) in u.reached.iter().enumerate() {
            check_at_most("state.reached", r, u.units)?;
            for (field, v) in [
                ("state.from_previous", u.from_previous.get(k)),
                ("state.from_first", u.from_first.get(k)),
            ] {
                let v = v.map_or(&[][..], Vec::as_slice);
                check_at_most(field, v.len() as u64, r)?;
                if let Some(bad) = v.iter().find(|&&d| d < 0) {
                    return Err(broken(field, bad));
                }
            }
        }
        for (day, &(e, c)) in &u.trend {
            check_at_most("state.trend", c, e)?;
            check_at_most("state.trend", e, u.units).map_err(|_| broken("state.trend", day))?;
        }
        for (key, (units, reached)) in &u.breakdown {
            check_at_most("state.breakdown", *units, u.units)
                .map_err(|_| broken("state.breakdown", format!("{key:?}")))?;
            for &r in reached {
                check_at_most("state.breakdown", r, *units)?;
            }
        }
        Ok(FunnelAccumulator {
            source: None,
            matcher: None,
            fingerprint: u.fingerprint,
            names: u.names,
            unit: u.unit,
            customers: u.customers,
            units: u.units,
            at_level: u.at_level,
            reached: u.reached,
            from_previous: u.from_previous,
            from_first: u.from_first,
            trend: u.trend,
            breakdown: u.breakdown,
            stops: u.stops,
        })
    }
}
