//! The paths accumulator and its Sankey-ready report.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::hash::SeededState;
use crate::log::{Dictionary, JourneyView};
use crate::paths::config::{Focus, MAX_WILDCARD_WORK, Occurrence, PathsConfig, Scope};
use crate::step::{Cols, Condition, Matcher};

/// The marker names: the sequence began, ended, and the collapsed middle.
const START: &str = "(start)";
const END: &str = "(end)";
const MORE: &str = "(more)";

/// Counts of a node, an edge or a path: distinct customers, and how many
/// times (paths through a node or along a path; transitions along an edge).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Tally {
    customers: u64,
    times: u64,
}

impl Tally {
    /// Adds `o`.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a count would pass `u64::MAX`.
    fn add(&mut self, o: Tally) -> Result<()> {
        self.customers = checked(self.customers, o.customers, "customers")?;
        self.times = checked(self.times, o.times, "times")?;
        Ok(())
    }
}

/// `a + b`, or an error naming the count that would overflow.
fn checked(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| Error::Mismatch {
        expected: "paths states whose counts sum within 64 bits".into(),
        found: format!("{what} {a} + {b}"),
    })
}

/// A node: (column, label id).
type NodeKey = (u32, u32);

/// The configuration in serializable form: closures replaced by their
/// places (closures do not serialize).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Fingerprint {
    config: PathsConfig,
    custom: Vec<String>,
}

impl Fingerprint {
    fn of(config: &PathsConfig) -> Fingerprint {
        let mut config = config.clone();
        let mut custom = Vec::new();
        for (n, step) in config.focus.anchors_mut().into_iter().enumerate() {
            for (m, c) in step.conditions.iter().enumerate() {
                if matches!(c, Condition::Custom(_)) {
                    custom.push(format!("anchor {} condition {}", n + 1, m + 1));
                }
            }
            step.conditions
                .retain(|c| !matches!(c, Condition::Custom(_)));
        }
        Fingerprint { config, custom }
    }
}

/// Working memory reused across journeys.
#[derive(Debug, Clone, Default)]
struct Work {
    /// Raw name -> label id, or `None` when the name is left out.
    names: HashMap<Box<str>, Option<u32>, SeededState>,
    /// The kept rows of the sequence at hand: (label, anchor bits).
    seq: Vec<(u32, u8)>,
    /// The path being built: (column, label).
    path: Vec<NodeKey>,
    /// This journey's nodes, edges and paths, for counting customers once.
    nodes: Vec<NodeKey>,
    edges: Vec<(NodeKey, NodeKey)>,
    path_labels: Vec<u32>,
    path_spans: Vec<(usize, usize)>,
    /// For each position, the first end anchor at or after it (or the
    /// sequence's length): paths between two anchors find their end in
    /// one step.
    next_end: Vec<usize>,
    /// Wildcard steps left (see [`MAX_WILDCARD_WORK`]).
    budget: u64,
}

impl Work {
    fn fresh() -> Work {
        Work {
            budget: MAX_WILDCARD_WORK,
            ..Work::default()
        }
    }
}

/// Counts the paths around a touchpoint (or between two) over many
/// journeys: nodes and weighted edges for a Sankey diagram, and the paths
/// themselves, each counted in **customers** (distinct customers who took
/// it) and, separately, in **times** (paths through a node, `transitions`
/// along an edge, occurrences of a path). [`merge`](Accumulator::merge) is
/// associative and commutative (proptested), so [`run_on_log`](crate::run_on_log)
/// splits customers over threads with the same report.
///
/// The state serializes with the names as text; a deserialized state merges
/// and finishes, and takes journeys once merged into a state made by
/// [`Accumulator::new`].
///
/// ```
/// use cxjourney::log::EventLog;
/// use cxjourney::paths::{Label, PathsAccumulator, PathsConfig};
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::step::Step;
/// use cxjourney::{Accumulator, BuiltinKind as K, JourneyConfig, run_on_log};
/// let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let config = PathsConfig::after(Step::kind(K::CheckoutStart)).with_steps(2).with_label(Label::Kind);
/// let report = run_on_log::<PathsAccumulator>(&log, &config, 2)?;
/// // Out of checkout: the touchpoints right after it, exact counts.
/// let next: u64 = report.nodes.iter().filter(|n| n.position == "+1").map(|n| n.paths).sum();
/// assert_eq!(next, report.paths);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "Wire", try_from = "Wire")]
pub struct PathsAccumulator {
    source: Option<PathsConfig>,
    matcher: Option<Matcher>,
    work: Work,
    fingerprint: Fingerprint,
    labels: Dictionary,
    customers: u64,
    with_paths: u64,
    paths: u64,
    unfinished: u64,
    nodes: HashMap<NodeKey, Tally, SeededState>,
    edges: HashMap<(NodeKey, NodeKey), Tally, SeededState>,
    sequences: HashMap<Box<[u32]>, Tally, SeededState>,
}

/// The serialized state: names as text, entries as lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    fingerprint: Fingerprint,
    customers: u64,
    customers_on_paths: u64,
    paths: u64,
    unfinished: u64,
    labels: Vec<String>,
    /// (column, label, customers, paths)
    nodes: Vec<(u32, u32, u64, u64)>,
    /// (from column, from label, to column, to label, customers, transitions)
    edges: Vec<(u32, u32, u32, u32, u64, u64)>,
    /// (labels, customers, times)
    sequences: Vec<(Vec<u32>, u64, u64)>,
}

impl From<PathsAccumulator> for Wire {
    fn from(a: PathsAccumulator) -> Wire {
        let mut nodes: Vec<_> = a
            .nodes
            .iter()
            .map(|(&(c, l), t)| (c, l, t.customers, t.times))
            .collect();
        nodes.sort_unstable();
        let mut edges: Vec<_> = a
            .edges
            .iter()
            .map(|(&((c1, l1), (c2, l2)), t)| (c1, l1, c2, l2, t.customers, t.times))
            .collect();
        edges.sort_unstable();
        let mut sequences: Vec<_> = a
            .sequences
            .iter()
            .map(|(k, t)| (k.to_vec(), t.customers, t.times))
            .collect();
        sequences.sort_unstable();
        Wire {
            fingerprint: a.fingerprint,
            customers: a.customers,
            customers_on_paths: a.with_paths,
            paths: a.paths,
            unfinished: a.unfinished,
            labels: a.labels.iter().map(str::to_owned).collect(),
            nodes,
            edges,
            sequences,
        }
    }
}

impl TryFrom<Wire> for PathsAccumulator {
    type Error = Error;

    fn try_from(w: Wire) -> Result<PathsAccumulator> {
        let n = w.labels.len() as u64;
        let bad = |what: &str| Error::Mismatch {
            expected: "a paths state whose entries name its labels".into(),
            found: format!("{what} naming a label beyond the {n} labels"),
        };
        let ok = |l: u32| u64::from(l) < n;
        let mut a = PathsAccumulator {
            source: None,
            matcher: None,
            work: Work::fresh(),
            fingerprint: w.fingerprint,
            labels: Dictionary::new(),
            customers: w.customers,
            with_paths: w.customers_on_paths,
            paths: w.paths,
            unfinished: w.unfinished,
            nodes: HashMap::default(),
            edges: HashMap::default(),
            sequences: HashMap::default(),
        };
        if a.with_paths > a.customers {
            return Err(Error::Mismatch {
                expected: "a paths state with no more customers on paths than customers".into(),
                found: format!("{} on paths of {}", a.with_paths, a.customers),
            });
        }
        let k = a.fingerprint.config.steps;
        let columns = 2 * k as u64 + 3;
        let tally = |what: &str, c: u64, t: u64, cols: &[u32]| -> Result<Tally> {
            if c > t || cols.iter().any(|&c| u64::from(c) >= columns) {
                return Err(Error::Mismatch {
                    expected: format!(
                        "a paths state whose entries count no more customers than times, in columns below {columns}"
                    ),
                    found: format!("{what} in columns {cols:?} of {c} customers and {t} times"),
                });
            }
            Ok(Tally {
                customers: c,
                times: t,
            })
        };
        for label in &w.labels {
            let before = a.labels.len();
            a.labels.intern(label)?;
            if a.labels.len() == before {
                return Err(Error::Mismatch {
                    expected: "a paths state with distinct labels".into(),
                    found: format!("the label {label:?} listed twice"),
                });
            }
        }
        for (c, l, customers, times) in w.nodes {
            if !ok(l) {
                return Err(bad("a node"));
            }
            let t = tally("a node", customers, times, &[c])?;
            a.nodes.entry((c, l)).or_default().add(t)?;
        }
        for (c1, l1, c2, l2, customers, times) in w.edges {
            if !ok(l1) || !ok(l2) {
                return Err(bad("an edge"));
            }
            let t = tally("an edge", customers, times, &[c1, c2])?;
            a.edges.entry(((c1, l1), (c2, l2))).or_default().add(t)?;
        }
        for (k, customers, times) in w.sequences {
            if !k.iter().all(|&l| ok(l)) {
                return Err(bad("a path"));
            }
            let len = u32::try_from(k.len()).unwrap_or(u32::MAX);
            let t = tally("a path", customers, times, &[len.saturating_sub(1)])?;
            a.sequences
                .entry(k.into_boxed_slice())
                .or_default()
                .add(t)?;
        }
        Ok(a)
    }
}

impl Accumulator for PathsAccumulator {
    type Config = PathsConfig;
    type Unit<'a> = JourneyView<'a>;
    type Report = PathsReport;

    /// An empty accumulator.
    ///
    /// # Errors
    /// As [`PathsConfig::validate`].
    fn new(config: &PathsConfig) -> Result<Self> {
        config.validate()?;
        Ok(PathsAccumulator {
            source: Some(config.clone()),
            matcher: None,
            work: Work::fresh(),
            fingerprint: Fingerprint::of(config),
            labels: Dictionary::new(),
            customers: 0,
            with_paths: 0,
            paths: 0,
            unfinished: 0,
            nodes: HashMap::default(),
            edges: HashMap::default(),
            sequences: HashMap::default(),
        })
    }

    /// Adds one customer's journey.
    ///
    /// # Errors
    /// [`Error::Mismatch`] for a deserialized state (it holds no
    /// configuration: merge it into one made by `new`).
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        let Some(config) = self.source.take() else {
            return Err(Error::Mismatch {
                expected: "a paths state made by PathsAccumulator::new".into(),
                found: "a deserialized state, which holds no configuration (merge it into one made by new)"
                    .into(),
            });
        };
        let r = self.add_journey(&config, journey);
        self.source = Some(config);
        r
    }

    /// Adds another state's counts.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two were made for different
    /// configurations.
    fn merge(&mut self, other: PathsAccumulator) -> Result<()> {
        let same_source = match (&self.source, &other.source) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if !same_source || other.fingerprint != self.fingerprint {
            return Err(Error::Mismatch {
                expected: format!("a paths state {}", self.fingerprint.config.focus.describe()),
                found: format!(
                    "a paths state {} (or other settings)",
                    other.fingerprint.config.focus.describe()
                ),
            });
        }
        if self.source.is_none() {
            self.source = other.source;
        }
        // The other state's label ids in this one.
        let map: Vec<u32> = other
            .labels
            .iter()
            .map(|l| self.labels.intern(l))
            .collect::<Result<_>>()?;
        let re = |l: u32| map.get(l as usize).copied().unwrap_or(l);
        self.customers = checked(self.customers, other.customers, "customers")?;
        self.with_paths = checked(self.with_paths, other.with_paths, "customers on paths")?;
        self.paths = checked(self.paths, other.paths, "paths")?;
        self.unfinished = checked(self.unfinished, other.unfinished, "unfinished paths")?;
        for ((c, l), t) in other.nodes {
            self.nodes.entry((c, re(l))).or_default().add(t)?;
        }
        for (((c1, l1), (c2, l2)), t) in other.edges {
            self.edges
                .entry(((c1, re(l1)), (c2, re(l2))))
                .or_default()
                .add(t)?;
        }
        for (k, t) in other.sequences {
            let k: Box<[u32]> = k.iter().map(|&l| re(l)).collect();
            self.sequences.entry(k).or_default().add(t)?;
        }
        Ok(())
    }

    /// The report. Never fails.
    fn finish(self) -> Result<PathsReport> {
        Ok(self.report())
    }
}

impl PathsAccumulator {
    fn add_journey(&mut self, config: &PathsConfig, journey: JourneyView<'_>) -> Result<()> {
        let log = journey.log();
        let matcher = match self.matcher.take() {
            Some(m) if m.fits(log) => m,
            _ => Matcher::new(config.focus.anchors(), [], log),
        };
        self.customers = checked(self.customers, 1, "customers")?;
        let start_paths = self.paths;
        let mut work = std::mem::take(&mut self.work);
        work.nodes.clear();
        work.edges.clear();
        work.path_labels.clear();
        work.path_spans.clear();
        let cols = Cols::of(&journey);
        let scanned = match config.scope {
            Scope::Journey => self.sequence(
                config,
                &journey,
                &cols,
                &matcher,
                0..journey.len(),
                &mut work,
            ),
            Scope::Sessions => journey.sessions().try_for_each(|s| {
                self.sequence(config, &journey, &cols, &matcher, s.range(), &mut work)
            }),
        };
        if let Err(e) = scanned {
            self.work = work;
            self.matcher = Some(matcher);
            return Err(e);
        }
        if self.paths > start_paths {
            self.with_paths = checked(self.with_paths, 1, "customers on paths")?;
        }
        // Each node, edge and path once per customer.
        work.nodes.sort_unstable();
        work.nodes.dedup();
        for k in &work.nodes {
            let t = self.nodes.entry(*k).or_default();
            t.customers = t.customers.saturating_add(1);
        }
        work.edges.sort_unstable();
        work.edges.dedup();
        for k in &work.edges {
            let t = self.edges.entry(*k).or_default();
            t.customers = t.customers.saturating_add(1);
        }
        let labels = &work.path_labels;
        let slice = |&(s, e): &(usize, usize)| labels.get(s..e).unwrap_or(&[]);
        work.path_spans
            .sort_unstable_by(|a, b| slice(a).cmp(slice(b)));
        work.path_spans.dedup_by(|a, b| slice(a) == slice(b));
        for span in &work.path_spans {
            if let Some(t) = self.sequences.get_mut(slice(span)) {
                t.customers = t.customers.saturating_add(1);
            }
        }
        self.work = work;
        self.matcher = Some(matcher);
        Ok(())
    }

    /// Names the rows `range` of `journey` into `work.seq`, and counts their
    /// paths.
    fn sequence(
        &mut self,
        config: &PathsConfig,
        journey: &JourneyView<'_>,
        cols: &Cols<'_>,
        matcher: &Matcher,
        range: std::ops::Range<usize>,
        work: &mut Work,
    ) -> Result<()> {
        work.seq.clear();
        for i in range {
            let Some(row) = journey.row(i) else { continue };
            let anchors = (matcher.mask(journey, cols, i) & 0b11) as u8;
            let raw = config.label.of(row);
            let label = match work.names.get(raw) {
                Some(&l) => l,
                None => {
                    let l = config
                        .name_of(raw, &mut work.budget)?
                        .map(|name| self.labels.intern(name))
                        .transpose()?;
                    work.names.insert(raw.into(), l);
                    l
                }
            };
            let Some(label) = label else { continue };
            match work.seq.last_mut() {
                Some(last) if config.collapse_repeats && last.0 == label => last.1 |= anchors,
                _ => work.seq.push((label, anchors)),
            }
        }
        self.paths_of(config, work)
    }

    /// The paths of the sequence in `work.seq`.
    fn paths_of(&mut self, config: &PathsConfig, work: &mut Work) -> Result<()> {
        let k = config.steps;
        let seq = std::mem::take(&mut work.seq);
        let label = |i: usize| seq.get(i).map_or(0, |x| x.0);
        let is = |i: usize, bit: u8| seq.get(i).is_some_and(|x| x.1 & bit != 0);
        let first_only = config.occurrence == Occurrence::First;
        let n = seq.len();
        let (end, start, more) = (
            self.labels.intern(END)?,
            self.labels.intern(START)?,
            self.labels.intern(MORE)?,
        );
        let col = |c: usize| u32::try_from(c).unwrap_or(u32::MAX);
        // The first end anchor at or after each position (finding 15-A1:
        // a scan from each start to its end was quadratic in a journey of
        // many starts and no end).
        let mut next_end = std::mem::take(&mut work.next_end);
        next_end.clear();
        if matches!(config.focus, Focus::Between { .. }) {
            next_end.resize(n + 1, n);
            for i in (0..n).rev() {
                let after = next_end.get(i + 1).copied().unwrap_or(n);
                if let Some(x) = next_end.get_mut(i) {
                    *x = if is(i, 2) { i } else { after };
                }
            }
        }
        for i in (0..n).filter(|&i| is(i, 1)) {
            work.path.clear();
            match &config.focus {
                Focus::After { .. } | Focus::Before { .. } | Focus::Around { .. } => {
                    let (before, after) = match config.focus {
                        Focus::After { .. } => (false, true),
                        Focus::Before { .. } => (true, false),
                        _ => (true, true),
                    };
                    // The anchor's column: after the k columns before it (the
                    // (start) marker takes the column of a missing one).
                    let base = if before { k } else { 0 };
                    if before {
                        if i < k {
                            work.path.push((col(base - i - 1), start));
                        }
                        for p in i.saturating_sub(k)..i {
                            work.path.push((col(base - (i - p)), label(p)));
                        }
                    }
                    work.path.push((col(base), label(i)));
                    if after {
                        for j in 1..=k {
                            if i + j < n {
                                work.path.push((col(base + j), label(i + j)));
                            } else {
                                work.path.push((col(base + j), end));
                                break;
                            }
                        }
                    }
                }
                Focus::Between { .. } => {
                    let Some(e) = next_end.get(i + 1).copied().filter(|&e| e < n) else {
                        self.unfinished = self.unfinished.saturating_add(1);
                        if first_only {
                            break;
                        }
                        continue;
                    };
                    // start, the first k after it, (more), the last k before
                    // the end, the end.
                    let middle = e - i - 1;
                    work.path.push((0, label(i)));
                    let head = middle.min(k);
                    for j in 1..=head {
                        work.path.push((col(j), label(i + j)));
                    }
                    let tail = (middle - head).min(k);
                    if middle > 2 * k {
                        work.path.push((col(k + 1), more));
                    }
                    for j in (1..=tail).rev() {
                        work.path.push((col(2 * k + 2 - j), label(e - j)));
                    }
                    work.path.push((col(2 * k + 2), label(e)));
                }
            }
            self.count_path(work);
            if first_only {
                break;
            }
        }
        work.seq = seq;
        work.next_end = next_end;
        Ok(())
    }

    /// Counts the path in `work.path`.
    fn count_path(&mut self, work: &mut Work) {
        self.paths = self.paths.saturating_add(1);
        for &node in &work.path {
            let t = self.nodes.entry(node).or_default();
            t.times = t.times.saturating_add(1);
            work.nodes.push(node);
        }
        for pair in work.path.windows(2) {
            if let [a, b] = pair {
                let t = self.edges.entry((*a, *b)).or_default();
                t.times = t.times.saturating_add(1);
                work.edges.push((*a, *b));
            }
        }
        let start = work.path_labels.len();
        work.path_labels.extend(work.path.iter().map(|&(_, l)| l));
        let end = work.path_labels.len();
        let key = work.path_labels.get(start..end).unwrap_or(&[]);
        match self.sequences.get_mut(key) {
            Some(t) => t.times = t.times.saturating_add(1),
            None => {
                self.sequences.insert(
                    key.into(),
                    Tally {
                        customers: 0,
                        times: 1,
                    },
                );
            }
        }
        work.path_spans.push((start, end));
    }

    /// The report of what was added and merged so far, without consuming
    /// the state.
    #[must_use]
    pub fn report(&self) -> PathsReport {
        let config = &self.fingerprint.config;
        let k = config.steps;
        let name = |l: u32| self.labels.value(l).unwrap_or_default().to_owned();
        let position = |c: u32| position_name(&config.focus, k, c as usize);
        let id = |(c, l): NodeKey| format!("{}:{}", position(c), name(l));
        let mut nodes: Vec<PathNode> = self
            .nodes
            .iter()
            .map(|(&(c, l), t)| PathNode {
                id: id((c, l)),
                column: c,
                position: position(c),
                label: name(l),
                customers: t.customers,
                paths: t.times,
            })
            .collect();
        nodes.sort_by(|a, b| {
            (a.column, std::cmp::Reverse(a.paths), &a.label).cmp(&(
                b.column,
                std::cmp::Reverse(b.paths),
                &b.label,
            ))
        });
        let mut edges: Vec<PathEdge> = self
            .edges
            .iter()
            .map(|(&(a, b), t)| PathEdge {
                from: id(a),
                to: id(b),
                from_column: a.0,
                customers: t.customers,
                transitions: t.times,
            })
            .collect();
        edges.sort_by(|a, b| {
            (
                std::cmp::Reverse(a.transitions),
                a.from_column,
                &a.from,
                &a.to,
            )
                .cmp(&(
                    std::cmp::Reverse(b.transitions),
                    b.from_column,
                    &b.from,
                    &b.to,
                ))
        });
        let mut paths: Vec<PathCount> = self
            .sequences
            .iter()
            .map(|(k, t)| PathCount {
                steps: k.iter().map(|&l| name(l)).collect(),
                customers: t.customers,
                paths: t.times,
            })
            .collect();
        paths.sort_by(|a, b| {
            (
                std::cmp::Reverse(a.paths),
                std::cmp::Reverse(a.customers),
                &a.steps,
            )
                .cmp(&(
                    std::cmp::Reverse(b.paths),
                    std::cmp::Reverse(b.customers),
                    &b.steps,
                ))
        });
        if let Some(top) = config.top {
            edges.truncate(top);
            paths.truncate(top);
        }
        PathsReport {
            focus: config.focus.describe(),
            steps: k,
            customers: self.customers,
            customers_on_paths: self.with_paths,
            paths: self.paths,
            unfinished: self.unfinished,
            nodes,
            edges,
            top_paths: paths,
        }
    }
}

/// The name of column `c`: offsets from the anchor (`-2`, `0`, `+1`) around
/// one touchpoint; `start`, `start+1`, `more`, `end-1`, `end` between two.
fn position_name(focus: &Focus, k: usize, c: usize) -> String {
    let offset = |base: usize| {
        if c >= base {
            if c == base {
                "0".to_owned()
            } else {
                format!("+{}", c - base)
            }
        } else {
            format!("-{}", base - c)
        }
    };
    match focus {
        Focus::After { .. } => offset(0),
        Focus::Before { .. } | Focus::Around { .. } => offset(k),
        Focus::Between { .. } => {
            if c == 0 {
                "start".into()
            } else if c <= k {
                format!("start+{c}")
            } else if c == k + 1 {
                "more".into()
            } else if c < 2 * k + 2 {
                format!("end-{}", 2 * k + 2 - c)
            } else {
                "end".into()
            }
        }
    }
}

/// A node of the Sankey diagram: one name at one position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathNode {
    /// `position:label`, unique in the report.
    pub id: String,
    /// The column, left to right (0 = leftmost).
    pub column: u32,
    /// The position: the offset from the anchor (`-1`, `0`, `+2`), or
    /// `start`, `start+1`, `more`, `end-1`, `end` between two touchpoints.
    pub position: String,
    /// The touchpoint's name (after grouping), or a marker: `(start)` (the
    /// journey or session began), `(end)` (it ended), `(more)` (the
    /// collapsed middle).
    pub label: String,
    /// Distinct customers with a path through the node.
    pub customers: u64,
    /// Paths through the node.
    pub paths: u64,
}

/// An edge of the Sankey diagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathEdge {
    /// The source node's id.
    pub from: String,
    /// The target node's id.
    pub to: String,
    /// The source node's column.
    pub from_column: u32,
    /// Distinct customers who made this move at least once.
    pub customers: u64,
    /// How many times the move was made, over all paths (a customer who
    /// makes it twice counts twice).
    pub transitions: u64,
}

/// One distinct path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCount {
    /// Its names in order, markers included.
    pub steps: Vec<String>,
    /// Distinct customers who took it.
    pub customers: u64,
    /// How many times it was taken.
    pub paths: u64,
}

/// Where customers went around a touchpoint (or between two): exact counts,
/// as nodes and weighted edges ready for a Sankey diagram, and the paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathsReport {
    /// The focus: `after checkout_start`, `between a and b`, ...
    pub focus: String,
    /// The steps kept on each side.
    pub steps: usize,
    /// Customers (journeys) added.
    pub customers: u64,
    /// Customers with at least one path.
    pub customers_on_paths: u64,
    /// Paths counted (one per anchor taken).
    pub paths: u64,
    /// Between two touchpoints: starts with no end after them (no path).
    pub unfinished: u64,
    /// Every node, by column, then paths (most first), then name.
    pub nodes: Vec<PathNode>,
    /// The edges, most transitions first (every one, unless `top` was set).
    pub edges: Vec<PathEdge>,
    /// The distinct paths, most taken first (every one, unless `top` was
    /// set).
    pub top_paths: Vec<PathCount>,
}

impl PathsReport {
    /// The nodes at one position (`"+1"`, `"-1"`, `"end-1"`, ...), most paths
    /// first.
    pub fn at<'a>(&'a self, position: &'a str) -> impl Iterator<Item = &'a PathNode> + 'a {
        self.nodes.iter().filter(move |n| n.position == position)
    }
}

impl fmt::Display for PathsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "paths {} ({} steps): {} paths of {} of {} customers",
            self.focus, self.steps, self.paths, self.customers_on_paths, self.customers
        )?;
        let mut column = None;
        for n in &self.nodes {
            if column != Some(n.column) {
                writeln!(f, "  at {}:", n.position)?;
                column = Some(n.column);
            }
            writeln!(
                f,
                "    {:<24} {:>7} paths {:>7} customers",
                n.label, n.paths, n.customers
            )?;
        }
        for p in self.top_paths.iter().take(10) {
            writeln!(
                f,
                "  {:>7} x  {}  ({} customers)",
                p.paths,
                p.steps.join(" > "),
                p.customers
            )?;
        }
        Ok(())
    }
}
