//! The pattern report and its mergeable accumulator.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::pattern::config::{PatternConfig, PatternMatcher, PatternMode};
use crate::pattern::kernel::Scratch;
use crate::step::{Condition, Matcher};

/// What a state was made for, in serializable form: the configuration with
/// each closure condition replaced by its place (closures do not serialize).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Fingerprint {
    config: PatternConfig,
    /// `condition N part M` of each closure.
    custom: Vec<String>,
}

impl Fingerprint {
    fn of(p: &PatternMatcher) -> Fingerprint {
        let mut config = p.config().clone();
        let mut custom = Vec::new();
        for (n, step) in config.conditions.iter_mut().enumerate() {
            for (m, c) in step.conditions.iter().enumerate() {
                if matches!(c, Condition::Custom(_)) {
                    custom.push(format!("condition {} part {}", n + 1, m + 1));
                }
            }
            step.conditions
                .retain(|c| !matches!(c, Condition::Custom(_)));
        }
        Fingerprint { config, custom }
    }
}

/// Counts the customers a pattern matches, and the matches, over many
/// journeys; [`merge`](Accumulator::merge) combines partial results
/// (threads, processes, shards) and [`finish`](Accumulator::finish) gives the
/// [`PatternReport`]. Merging is associative and commutative (proptested),
/// and [`run_on_log`](crate::run_on_log) gives the same report on any number
/// of threads.
///
/// The state serializes without the conditions' closures (a fingerprint of
/// the configuration instead, checked by `merge`); a deserialized state
/// merges and finishes, and takes journeys once merged into a state made by
/// [`Accumulator::new`].
///
/// ```
/// use cxjourney::log::EventLog;
/// use cxjourney::pattern::{PatternAccumulator, PatternConfig, PatternMatcher, PatternMode};
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::step::Step;
/// use cxjourney::{Accumulator, BuiltinKind as K, JourneyConfig, run_on_log};
/// let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let viewed_then_bought = PatternMatcher::new(PatternConfig::new(
///     "(?1).*(?2)".parse()?,
///     vec![Step::kind(K::ProductView), Step::kind(K::OrderCompleted)],
/// ).with_mode(PatternMode::Count))?;
/// let mut a = PatternAccumulator::new(&viewed_then_bought)?;
/// for j in log.journeys() { a.add(j)?; }
/// let report = a.finish()?;
/// assert_eq!(report.customers, 300);
/// assert!(report.total_matches >= report.matched_customers);
/// assert_eq!(run_on_log::<PatternAccumulator>(&log, &viewed_then_bought, 2)?, report);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "PatternState")]
pub struct PatternAccumulator {
    #[serde(skip)]
    source: Option<PatternMatcher>,
    #[serde(skip)]
    matcher: Option<Matcher>,
    #[serde(skip)]
    scratch: Scratch,
    fingerprint: Fingerprint,
    customers: u64,
    matched: u64,
    total: u64,
    /// customers by result
    by_result: BTreeMap<u64, u64>,
}

/// `a + b`, or an error naming the count that would overflow.
fn checked(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| Error::Mismatch {
        expected: "pattern states whose counts sum within 64 bits".into(),
        found: format!("{what} {a} + {b}"),
    })
}

/// A pattern state as it serializes; checked before it becomes one
/// (finding 15-A4: counts that disagree gave a match rate above 1).
#[derive(Deserialize)]
struct PatternState {
    fingerprint: Fingerprint,
    customers: u64,
    matched: u64,
    total: u64,
    by_result: BTreeMap<u64, u64>,
}

impl TryFrom<PatternState> for PatternAccumulator {
    type Error = Error;

    fn try_from(s: PatternState) -> Result<PatternAccumulator> {
        let bad = |found: String| Error::Mismatch {
            expected: "a pattern state whose customers by result sum to its customers, \
                       those with result 0 being the customers not matched, and whose \
                       total is the sum of the results"
                .into(),
            found,
        };
        let mut sum = 0u64;
        let mut total = 0u64;
        for (&r, &c) in &s.by_result {
            if c == 0 {
                return Err(bad(format!("result {r} of 0 customers")));
            }
            if r > 1 && s.fingerprint.config.mode == PatternMode::Match {
                return Err(bad(format!("result {r} in match mode")));
            }
            sum = sum
                .checked_add(c)
                .ok_or_else(|| bad(format!("customers by result past {}", u64::MAX)))?;
            total = total.saturating_add(r.saturating_mul(c));
        }
        let unmatched = s.by_result.get(&0).copied().unwrap_or(0);
        if sum != s.customers
            || s.customers.checked_sub(s.matched) != Some(unmatched)
            || total != s.total
        {
            return Err(bad(format!(
                "{} customers, {} matched, total {}, customers by result summing to {sum} \
                 ({unmatched} with result 0), results summing to {total}",
                s.customers, s.matched, s.total
            )));
        }
        Ok(PatternAccumulator {
            source: None,
            matcher: None,
            scratch: Scratch::default(),
            fingerprint: s.fingerprint,
            customers: s.customers,
            matched: s.matched,
            total: s.total,
            by_result: s.by_result,
        })
    }
}

impl Accumulator for PatternAccumulator {
    type Config = PatternMatcher;
    type Unit<'a> = JourneyView<'a>;
    type Report = PatternReport;

    /// An empty accumulator. Never fails.
    fn new(pattern: &PatternMatcher) -> Result<Self> {
        Ok(PatternAccumulator {
            fingerprint: Fingerprint::of(pattern),
            source: Some(pattern.clone()),
            matcher: None,
            scratch: Scratch::default(),
            customers: 0,
            matched: 0,
            total: 0,
            by_result: BTreeMap::new(),
        })
    }

    /// Adds one customer's journey.
    ///
    /// # Errors
    /// [`Error::Mismatch`] for a deserialized state (it holds no pattern:
    /// merge it into one made by `new`).
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let Some(p) = &self.source else {
            return Err(Error::Mismatch {
                expected: "a pattern state made by PatternAccumulator::new".into(),
                found:
                    "a deserialized state, which holds no pattern (merge it into one made by new)"
                        .into(),
            });
        };
        let log = journey.log();
        let m = match &mut self.matcher {
            Some(m) if m.fits(log) => m,
            slot => slot.insert(p.matcher(log)),
        };
        let r = p.result_with(m, journey, &mut self.scratch);
        self.customers = checked(self.customers, 1, "customers")?;
        if r > 0 {
            self.matched = self.matched.saturating_add(1);
        }
        self.total = self.total.saturating_add(r);
        let x = self.by_result.entry(r).or_insert(0);
        *x = x.saturating_add(1);
        Ok(())
    }

    /// Adds another state's counts.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two were made for different patterns or
    /// conditions.
    fn merge(&mut self, other: PatternAccumulator) -> Result<()> {
        let same_source = match (&self.source, &other.source) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if !same_source || other.fingerprint != self.fingerprint {
            let describe = |f: &Fingerprint| {
                let names: Vec<&str> = f
                    .config
                    .conditions
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                format!(
                    "a state of the pattern {} ({}) over {}",
                    f.config.pattern,
                    f.config.mode,
                    names.join(", ")
                )
            };
            return Err(Error::Mismatch {
                expected: describe(&self.fingerprint),
                found: describe(&other.fingerprint),
            });
        }
        if self.source.is_none() {
            self.source = other.source;
        }
        // Customer counts are checked (an error, not a wrap, for states
        // whose sums pass 64 bits); the total of matches saturates, as
        // `add` sums it.
        self.customers = checked(self.customers, other.customers, "customers")?;
        self.matched = self.matched.saturating_add(other.matched);
        self.total = self.total.saturating_add(other.total);
        for (r, c) in other.by_result {
            let x = self.by_result.entry(r).or_insert(0);
            *x = x.saturating_add(c);
        }
        Ok(())
    }

    /// The report. Never fails.
    fn finish(self) -> Result<PatternReport> {
        Ok(self.report())
    }
}

impl PatternAccumulator {
    /// The report of what was added and merged so far, without consuming
    /// the state.
    #[must_use]
    pub fn report(&self) -> PatternReport {
        let config = &self.fingerprint.config;
        PatternReport {
            pattern: config.pattern.to_string(),
            conditions: config.conditions.iter().map(|s| s.name.clone()).collect(),
            mode: config.mode,
            customers: self.customers,
            matched_customers: self.matched,
            match_rate: (self.customers > 0)
                .then(|| (self.matched as f64 / self.customers as f64).clamp(0.0, 1.0)),
            total_matches: self.total,
            customers_by_result: self
                .by_result
                .iter()
                .map(|(&result, &customers)| ResultCount { result, customers })
                .collect(),
        }
    }
}

/// How many customers had one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultCount {
    /// The result: 0 or 1 in match mode, a number of matches in count mode.
    pub result: u64,
    /// The customers with that result.
    pub customers: u64,
}

/// Who matched a pattern, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternReport {
    /// The pattern, as written.
    pub pattern: String,
    /// The conditions' names, `(?1)` first.
    pub conditions: Vec<String>,
    /// Match or count.
    pub mode: PatternMode,
    /// Customers (journeys) added.
    pub customers: u64,
    /// Customers the pattern matched at least once.
    pub matched_customers: u64,
    /// `matched_customers / customers`; `None` without customers (the rate
    /// is undefined).
    pub match_rate: Option<f64>,
    /// Matches over all customers: in count mode the sum of the customers'
    /// non-overlapping matches, in match mode the same as
    /// `matched_customers`.
    pub total_matches: u64,
    /// Customers by result, by ascending result (ClickHouse's
    /// `SELECT result, count() ... GROUP BY result ORDER BY result`).
    pub customers_by_result: Vec<ResultCount>,
}

impl fmt::Display for PatternReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pattern {} ({}) over {}",
            self.pattern,
            self.mode,
            self.conditions
                .iter()
                .enumerate()
                .map(|(i, c)| format!("(?{})={c}", i + 1))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(
            f,
            "  {} of {} customers matched ({}), {} matches",
            self.matched_customers,
            self.customers,
            self.match_rate.map_or_else(
                || "no customers".to_owned(),
                |r| format!("{:.1}%", 100.0 * r)
            ),
            self.total_matches
        )?;
        for r in &self.customers_by_result {
            writeln!(f, "  result {:>4}: {} customers", r.result, r.customers)?;
        }
        Ok(())
    }
}
