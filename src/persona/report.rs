//! Population reports: persona distribution by acquisition channel and month
//! of first order (with a mergeable accumulator), confusion against known
//! personas, and transitions between two dates.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::log::JourneyView;
use crate::model::{BuiltinChannel, Channel, CustomerId, Persona};
use crate::persona::profile::{self, Scratch};
use crate::persona::{BehaviourProfile, Classification, Classifier, PersonaConfig};

fn persona_map(counts: &[u64; 6]) -> IndexMap<Persona, u64> {
    Persona::ALL
        .iter()
        .zip(counts)
        .map(|(p, n)| (*p, *n))
        .collect()
}

fn bump(counts: &mut [u64; 6], p: Persona) {
    if let Some(n) = counts.get_mut(p.index()) {
        *n += 1;
    }
}

fn add_counts(a: &mut [u64; 6], b: &[u64; 6]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.saturating_add(*y);
    }
}

/// What a [`PersonaAccumulator`] is made from: the thresholds and the
/// instant to classify as of (touchpoints after it are left out; no clock is
/// read).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use cxjourney::persona::{PersonaConfig, PersonaRun};
/// let run = PersonaRun::new(Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).unwrap());
/// assert_eq!(run.persona, PersonaConfig::default());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PersonaRun {
    /// The thresholds, validated when an accumulator is made.
    pub persona: PersonaConfig,
    /// Touchpoints after this instant are left out, and journeys that start
    /// after it are not counted.
    pub as_of: DateTime<Utc>,
}

impl PersonaRun {
    /// The default thresholds ([`PersonaConfig::default`]) as of an instant.
    #[must_use]
    pub fn new(as_of: DateTime<Utc>) -> PersonaRun {
        PersonaRun {
            persona: PersonaConfig::default(),
            as_of,
        }
    }

    /// Sets the thresholds.
    #[must_use]
    pub fn persona(mut self, persona: PersonaConfig) -> PersonaRun {
        self.persona = persona;
        self
    }

    /// Sets what the input can carry ([`PersonaConfig::evidence`]), such as
    /// [`Evidence::of_log`](crate::persona::Evidence::of_log) of the log the
    /// run is over: every shard of a split run must use the same evidence,
    /// that of the whole input.
    #[must_use]
    pub fn evidence(mut self, evidence: crate::persona::Evidence) -> PersonaRun {
        self.persona.evidence = evidence;
        self
    }
}

/// The counts behind a [`PersonaReport`]; they add up under merging.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Counts {
    counts: [u64; 6],
    passed: u64,
    by_acquisition: BTreeMap<Channel, [u64; 6]>,
    /// By month of the first order: `year * 12 + month - 1` (an integer key,
    /// so the state serializes to JSON).
    by_month: BTreeMap<i64, [u64; 6]>,
    no_order: [u64; 6],
    /// Customers with too little behaviour to tell.
    #[serde(default)]
    undetermined: u64,
}

impl Counts {
    /// Counts one classified customer; `month` is the month of the first
    /// order (`year * 12 + month - 1`), if any. The tables by channel and
    /// month go to `hot` when it has room for them.
    fn add_to(
        &mut self,
        hot: &mut Hot,
        acquisition: &Channel,
        month: Option<i64>,
        c: &Classification,
    ) {
        if c.undetermined {
            self.undetermined = self.undetermined.saturating_add(1);
            return;
        }
        bump(&mut self.counts, c.primary);
        if c.passed {
            self.passed += 1;
        }
        if let Some(counts) = hot.channel(acquisition) {
            bump(counts, c.primary);
        } else {
            match self.by_acquisition.get_mut(acquisition) {
                Some(counts) => bump(counts, c.primary),
                None => {
                    let mut counts = [0; 6];
                    bump(&mut counts, c.primary);
                    self.by_acquisition.insert(acquisition.clone(), counts);
                }
            }
        }
        match month {
            Some(ym) => match hot.month(ym) {
                Some(counts) => bump(counts, c.primary),
                None => bump(self.by_month.entry(ym).or_default(), c.primary),
            },
            None => bump(&mut self.no_order, c.primary),
        }
    }

    /// Counts one profile through a fresh [`Hot`] (the tests' way in).
    #[cfg(test)]
    fn add(&mut self, profile: &BehaviourProfile, c: &Classification) {
        let mut hot = Hot::default();
        let month = profile
            .first_order_at
            .map(|at| profile::year_month_us(at.timestamp_micros()));
        self.add_to(&mut hot, &profile.acquisition, month, c);
        self.settle(&mut hot);
    }

    /// Moves the dense tables' counts into the maps and empties them.
    fn settle(&mut self, hot: &mut Hot) {
        for (b, counts) in BuiltinChannel::ALL.iter().zip(&mut hot.channels) {
            if counts.iter().any(|&n| n > 0) {
                add_counts(
                    self.by_acquisition.entry(Channel::Builtin(*b)).or_default(),
                    counts,
                );
                *counts = [0; 6];
            }
        }
        for (ym, counts) in (hot.month_lo..).zip(&hot.months) {
            if counts.iter().any(|&n| n > 0) {
                add_counts(self.by_month.entry(ym).or_default(), counts);
            }
        }
        hot.months.clear();
    }

    fn merge(&mut self, other: Counts) {
        add_counts(&mut self.counts, &other.counts);
        self.passed = self.passed.saturating_add(other.passed);
        for (k, v) in other.by_acquisition {
            add_counts(self.by_acquisition.entry(k).or_default(), &v);
        }
        for (k, v) in other.by_month {
            add_counts(self.by_month.entry(k).or_default(), &v);
        }
        add_counts(&mut self.no_order, &other.no_order);
        self.undetermined = self.undetermined.saturating_add(other.undetermined);
    }

    fn report(&self, config: &PersonaConfig) -> PersonaReport {
        let mut by_first_order_month: IndexMap<String, IndexMap<Persona, u64>> = self
            .by_month
            .iter()
            .map(|(ym, c)| {
                let (y, m) = (ym.div_euclid(12), ym.rem_euclid(12) + 1);
                (format!("{y:04}-{m:02}"), persona_map(c))
            })
            .collect();
        if self.no_order.iter().any(|&n| n > 0) {
            by_first_order_month.insert("no_order".to_owned(), persona_map(&self.no_order));
        }
        PersonaReport {
            customers: self
                .counts
                .iter()
                .fold(self.undetermined, |a: u64, &b| a.saturating_add(b)),
            passed: self.passed,
            distribution: persona_map(&self.counts),
            undetermined: self.undetermined,
            calendar: config.calendar(),
            by_acquisition: self
                .by_acquisition
                .iter()
                .map(|(ch, c)| (ch.to_string(), persona_map(c)))
                .collect(),
            by_first_order_month,
        }
    }
}

/// Dense tables in front of the report's maps, for the many customers of a
/// run: counts by built-in acquisition channel (by its index) and by month
/// of the first order within a window of at most [`Hot::MAX_MONTHS`]
/// months. They are moved into [`Counts`] before the state is read, merged
/// or serialized, so the state and the report are those of the maps alone.
#[derive(Debug, Clone, Default)]
struct Hot {
    /// By [`BuiltinChannel::index`]; empty until the first customer.
    channels: Vec<[u64; 6]>,
    /// The month of `months[0]`.
    month_lo: i64,
    months: Vec<[u64; 6]>,
}

impl Hot {
    /// The widest window of months kept dense (100 years); months outside
    /// it go to the map.
    const MAX_MONTHS: usize = 1_200;

    #[inline]
    fn channel(&mut self, channel: &Channel) -> Option<&mut [u64; 6]> {
        let b = channel.builtin()?;
        if self.channels.is_empty() {
            self.channels = vec![[0; 6]; BuiltinChannel::ALL.len()];
        }
        self.channels.get_mut(b.index())
    }

    #[inline]
    fn month(&mut self, ym: i64) -> Option<&mut [u64; 6]> {
        let at = ym
            .checked_sub(self.month_lo)
            .and_then(|d| usize::try_from(d).ok());
        match at {
            Some(i) if i < self.months.len() => self.months.get_mut(i),
            _ => self.grow(ym),
        }
    }

    /// Widens the window to take `ym`, if it stays within the cap.
    #[cold]
    fn grow(&mut self, ym: i64) -> Option<&mut [u64; 6]> {
        if self.months.is_empty() {
            self.month_lo = ym;
            self.months.push([0; 6]);
            return self.months.first_mut();
        }
        let len = i64::try_from(self.months.len()).ok()?;
        let hi = self.month_lo.checked_add(len)?;
        let lo = self.month_lo.min(ym);
        let new_hi = hi.max(ym.checked_add(1)?);
        let width = usize::try_from(new_hi.checked_sub(lo)?).ok()?;
        if width > Self::MAX_MONTHS {
            return None;
        }
        let front = usize::try_from(self.month_lo - lo).ok()?;
        let mut months = vec![[0; 6]; width];
        for (slot, counts) in months.iter_mut().skip(front).zip(&self.months) {
            *slot = *counts;
        }
        self.months = months;
        self.month_lo = lo;
        self.months.get_mut(usize::try_from(ym - lo).ok()?)
    }
}

/// Profiles, classifies and counts customers: the persona analysis on the
/// [`Accumulator`] contract. `merge` is associative and commutative and the
/// state serializes (the configuration and the counts), so customers can be
/// split across threads, processes or machines; [`run_on_log`] does it for a
/// log on threads.
///
/// [`run_on_log`]: crate::run_on_log
///
/// ```
/// use cxjourney::log::EventLog;
/// use cxjourney::persona::{Classifier, PersonaAccumulator, PersonaRun};
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Accumulator, JourneyConfig, run_on_log};
/// let shop = SampleShop::generate(&SampleConfig { customers: 40, ..SampleConfig::default() })?;
/// let as_of = shop.touchpoints.last().map(|t| t.at).unwrap();
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let run = PersonaRun::new(as_of);
/// let mut left = PersonaAccumulator::new(&run)?;
/// let mut right = PersonaAccumulator::new(&run)?;
/// for (i, journey) in log.journeys().enumerate() {
///     if i < 15 { left.add(journey)? } else { right.add(journey)? }
/// }
/// left.merge(right)?;
/// let report = left.finish()?;
/// assert_eq!(report, run_on_log::<PersonaAccumulator>(&log, &run, 2)?);
/// assert_eq!(report.customers, 40);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PersonaAccumulator {
    run: PersonaRun,
    classifier: Classifier,
    counts: Counts,
    /// Dense tables in front of `counts` (see [`Hot`]).
    hot: Hot,
    scratch: Scratch,
    /// The profile of the journey being added, reused.
    profile: Box<BehaviourProfile>,
}

/// The serialized state of a [`PersonaAccumulator`]: what it was made from
/// and what it counted (the classifier is rebuilt from the configuration).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    run: PersonaRun,
    counts: Counts,
}

impl Serialize for PersonaAccumulator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct StateRef<'a> {
            run: &'a PersonaRun,
            counts: &'a Counts,
        }
        StateRef {
            run: &self.run,
            counts: &self.settled(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PersonaAccumulator {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let state = State::deserialize(d)?;
        let mut acc = PersonaAccumulator::new(&state.run).map_err(serde::de::Error::custom)?;
        acc.counts = state.counts;
        Ok(acc)
    }
}

impl PersonaAccumulator {
    /// An empty accumulator of a ready classifier (no validation needed).
    pub(crate) fn with_classifier(classifier: Classifier, as_of: DateTime<Utc>) -> Self {
        PersonaAccumulator {
            run: PersonaRun {
                persona: classifier.config().clone(),
                as_of,
            },
            classifier,
            counts: Counts::default(),
            hot: Hot::default(),
            scratch: Scratch::default(),
            profile: Box::new(BehaviourProfile::empty(CustomerId(0), as_of)),
        }
    }

    /// The counts with the dense tables' moved in.
    fn settled(&self) -> std::borrow::Cow<'_, Counts> {
        if self.hot.channels.is_empty() && self.hot.months.is_empty() {
            return std::borrow::Cow::Borrowed(&self.counts);
        }
        let mut counts = self.counts.clone();
        counts.settle(&mut self.hot.clone());
        std::borrow::Cow::Owned(counts)
    }

    /// Adds one journey as [`Accumulator::add`] does and gives back its
    /// profile and classification, for per-customer output; `None` (and
    /// nothing counted) when the journey starts after the run's `as_of`.
    pub fn add_journey(
        &mut self,
        journey: JourneyView<'_>,
    ) -> Option<(BehaviourProfile, Classification)> {
        let profile = profile::build(
            journey,
            self.run.as_of,
            self.classifier.compiled(),
            &mut self.scratch,
        );
        if profile.touchpoints == 0 {
            return None;
        }
        let c = self.classifier.classify(&profile);
        self.counts.add_to(
            &mut self.hot,
            &profile.acquisition,
            self.scratch.first_order_month,
            &c,
        );
        Some((profile, c))
    }

    /// The report of what was added so far, without consuming the state.
    #[must_use]
    pub fn report(&self) -> PersonaReport {
        self.settled().report(&self.run.persona)
    }

    /// What the accumulator was made from.
    #[must_use]
    pub fn run(&self) -> &PersonaRun {
        &self.run
    }

    /// The classifier of the run's thresholds.
    #[must_use]
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }
}

impl Accumulator for PersonaAccumulator {
    type Config = PersonaRun;
    type Unit<'a> = JourneyView<'a>;
    type Report = PersonaReport;

    /// An empty accumulator.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the thresholds do not validate
    /// ([`PersonaConfig::validate`]).
    fn new(run: &PersonaRun) -> Result<Self> {
        Ok(PersonaAccumulator {
            classifier: Classifier::new(run.persona.clone())?,
            run: run.clone(),
            counts: Counts::default(),
            hot: Hot::default(),
            scratch: Scratch::default(),
            profile: Box::new(BehaviourProfile::empty(CustomerId(0), run.as_of)),
        })
    }

    /// Profiles, classifies and counts one journey; a journey that starts
    /// after `as_of` is left out. Never fails.
    fn add(&mut self, journey: JourneyView<'_>) -> Result<()> {
        // As `add_journey`, without handing the profile out: only what
        // classification and the report read is computed.
        let profile = &mut *self.profile;
        profile::build_into::<false>(
            profile,
            journey,
            self.run.as_of,
            self.classifier.compiled(),
            &mut self.scratch,
        );
        if profile.touchpoints > 0 {
            let c = self.classifier.classify(profile);
            self.counts.add_to(
                &mut self.hot,
                &profile.acquisition,
                self.scratch.first_order_month,
                &c,
            );
        }
        Ok(())
    }

    /// Adds another accumulator's customers.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two were made from different runs
    /// (thresholds or `as_of`).
    fn merge(&mut self, other: PersonaAccumulator) -> Result<()> {
        if other.run != self.run {
            return Err(Error::Mismatch {
                expected: format!("a persona run as of {}", self.run.as_of.to_rfc3339()),
                found: format!(
                    "another run (as of {}{})",
                    other.run.as_of.to_rfc3339(),
                    if other.run.persona == self.run.persona {
                        ""
                    } else {
                        ", other thresholds"
                    }
                ),
            });
        }
        let mut other = other;
        other.counts.settle(&mut other.hot);
        self.counts.merge(other.counts);
        Ok(())
    }

    /// The report. Never fails.
    fn finish(mut self) -> Result<PersonaReport> {
        self.counts.settle(&mut self.hot);
        Ok(self.counts.report(&self.run.persona))
    }
}

/// Persona distribution of a population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaReport {
    /// Customers classified (undetermined ones included).
    pub customers: u64,
    /// Customers whose primary persona passed the pass score (the rest got
    /// their highest score).
    pub passed: u64,
    /// Customers per primary persona, in [`Persona::ALL`] order (undetermined
    /// customers left out).
    pub distribution: IndexMap<Persona, u64>,
    /// Customers with too little behaviour to tell (fewer actions than
    /// [`PersonaConfig::min_actions`]); they are in no other table.
    pub undetermined: u64,
    /// The campaign calendar the deal-driven score used.
    pub calendar: crate::persona::CampaignCalendar,
    /// The distribution per acquisition channel (the first touchpoint's), by
    /// channel name.
    pub by_acquisition: IndexMap<String, IndexMap<Persona, u64>>,
    /// The distribution per month of the first order (UTC, `YYYY-MM`, in
    /// order), then `no_order` for customers without an order.
    pub by_first_order_month: IndexMap<String, IndexMap<Persona, u64>>,
}

fn write_table(
    f: &mut fmt::Formatter<'_>,
    title: &str,
    rows: &IndexMap<String, IndexMap<Persona, u64>>,
) -> fmt::Result {
    write!(f, "{title:<18}")?;
    for p in Persona::ALL {
        write!(f, " {:>10}", short(*p))?;
    }
    writeln!(f)?;
    for (k, row) in rows {
        write!(f, "{k:<18}")?;
        for p in Persona::ALL {
            write!(f, " {:>10}", row.get(p).copied().unwrap_or(0))?;
        }
        writeln!(f)?;
    }
    Ok(())
}

fn short(p: Persona) -> &'static str {
    match p {
        Persona::Surfer => "surfer",
        Persona::Researcher => "researcher",
        Persona::FocusedBuyer => "focused",
        Persona::DealDriven => "deal",
        Persona::ImpulsiveOneTime => "impulsive",
        Persona::Loyal => "loyal",
    }
}

impl fmt::Display for PersonaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Personas of {} customers ({} passed the pass score)",
            self.customers, self.passed
        )?;
        for (p, n) in &self.distribution {
            let pct = if self.customers == 0 {
                0.0
            } else {
                100.0 * *n as f64 / self.customers as f64
            };
            writeln!(f, "  {:<20} {n:>8} {pct:5.1}%", p.as_str())?;
        }
        if self.undetermined > 0 {
            let pct = if self.customers == 0 {
                0.0
            } else {
                100.0 * self.undetermined as f64 / self.customers as f64
            };
            writeln!(
                f,
                "  {:<20} {:>8} {pct:5.1}%",
                "undetermined", self.undetermined
            )?;
        }
        writeln!(f, "{}", self.calendar)?;
        writeln!(f)?;
        write_table(f, "by acquisition", &self.by_acquisition)?;
        writeln!(f)?;
        write_table(f, "by first order", &self.by_first_order_month)
    }
}

/// A confusion table of known (planted) against classified personas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaConfusion {
    /// `counts[known][classified]`, in [`Persona::ALL`] order.
    pub counts: [[u64; 6]; 6],
    /// Customers of each known persona reported as undetermined, in
    /// [`Persona::ALL`] order (they count against recall).
    #[serde(default)]
    pub undetermined: [u64; 6],
}

impl PersonaConfusion {
    /// Counts one customer's classification (undetermined or its primary
    /// persona).
    pub fn add_classification(&mut self, known: Persona, classified: &Classification) {
        match classified.persona() {
            Some(p) => self.add(known, p),
            None => {
                if let Some(n) = self.undetermined.get_mut(known.index()) {
                    *n = n.saturating_add(1);
                }
            }
        }
    }

    /// Counts one customer.
    pub fn add(&mut self, known: Persona, classified: Persona) {
        if let Some(n) = self
            .counts
            .get_mut(known.index())
            .and_then(|r| r.get_mut(classified.index()))
        {
            *n = n.saturating_add(1);
        }
    }

    /// Adds another table.
    pub fn merge(&mut self, other: &PersonaConfusion) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            add_counts(a, b);
        }
        add_counts(&mut self.undetermined, &other.undetermined);
    }

    /// Customers counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts
            .iter()
            .flatten()
            .chain(&self.undetermined)
            .fold(0, |a, &b| a.saturating_add(b))
    }

    /// Share classified as their known persona (0 when empty).
    #[must_use]
    pub fn accuracy(&self) -> f64 {
        let hit: u64 = (0..6)
            .map(|i| {
                self.counts
                    .get(i)
                    .and_then(|r| r.get(i))
                    .copied()
                    .unwrap_or(0)
            })
            .fold(0, u64::saturating_add);
        let total = self.total();
        if total == 0 {
            0.0
        } else {
            hit as f64 / total as f64
        }
    }

    /// Share of customers of a known persona classified as it (0 when none).
    #[must_use]
    pub fn recall(&self, known: Persona) -> f64 {
        let row = self.counts.get(known.index()).copied().unwrap_or([0; 6]);
        let undetermined = self.undetermined.get(known.index()).copied().unwrap_or(0);
        let total: u64 = row.iter().fold(undetermined, |a, &b| a.saturating_add(b));
        let hit = row.get(known.index()).copied().unwrap_or(0);
        if total == 0 {
            0.0
        } else {
            hit as f64 / total as f64
        }
    }
}

impl fmt::Display for PersonaConfusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "planted \\ classified")?;
        write!(f, "{:<12}", "")?;
        for p in Persona::ALL {
            write!(f, " {:>10}", short(*p))?;
        }
        writeln!(f, " {:>12} {:>8}", "undetermined", "recall")?;
        for ((&known, row), undetermined) in Persona::ALL
            .iter()
            .zip(&self.counts)
            .zip(&self.undetermined)
        {
            write!(f, "{:<12}", short(known))?;
            for n in row {
                write!(f, " {n:>10}")?;
            }
            writeln!(
                f,
                " {undetermined:>12} {:>7.1}%",
                100.0 * self.recall(known)
            )?;
        }
        writeln!(
            f,
            "accuracy {:.1}% of {} customers",
            100.0 * self.accuracy(),
            self.total()
        )
    }
}

/// One customer's persona change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The customer.
    pub customer: CustomerId,
    /// The persona at the first date; `None` for a customer who had not
    /// started yet.
    pub before: Option<Persona>,
    /// The persona at the second date.
    pub after: Persona,
}

/// Persona changes between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionReport {
    /// The first date.
    pub from: DateTime<Utc>,
    /// The second date.
    pub to: DateTime<Utc>,
    /// Customers per (persona before, persona after); the row `new` holds
    /// customers who started between the dates. Rows in [`Persona::ALL`]
    /// order, then `new`.
    pub counts: IndexMap<String, IndexMap<Persona, u64>>,
    /// The customers whose persona changed (new customers included), by
    /// customer.
    pub changes: Vec<Transition>,
}

impl TransitionReport {
    pub(crate) fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let mut counts = IndexMap::new();
        for p in Persona::ALL {
            counts.insert(p.as_str().to_owned(), persona_map(&[0; 6]));
        }
        counts.insert("new".to_owned(), persona_map(&[0; 6]));
        TransitionReport {
            from,
            to,
            counts,
            changes: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, customer: CustomerId, before: Option<Persona>, after: Persona) {
        let row = before.map_or("new", Persona::as_str);
        if let Some(n) = self.counts.get_mut(row).and_then(|r| r.get_mut(&after)) {
            *n += 1;
        }
        if before != Some(after) {
            self.changes.push(Transition {
                customer,
                before,
                after,
            });
        }
    }
}

impl fmt::Display for TransitionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Persona transitions from {} to {} ({} changes)",
            self.from.format("%Y-%m-%d %H:%M"),
            self.to.format("%Y-%m-%d %H:%M"),
            self.changes.len()
        )?;
        write_table(f, "before \\ after", &self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn profile(ch: usize, month: Option<u32>) -> BehaviourProfile {
        let mut p = BehaviourProfile::empty(CustomerId(1), DateTime::UNIX_EPOCH);
        p.acquisition = ["email", "sms", "social"][ch % 3].parse().unwrap();
        p.first_order_at =
            month.map(|m| chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, m, 1, 0, 0, 0).unwrap());
        p
    }

    fn class(i: usize) -> Classification {
        let primary = Persona::ALL[i % 6];
        Classification {
            customer: CustomerId(1),
            primary,
            score: 0.7,
            passed: i % 2 == 0,
            scores: crate::persona::PersonaScores::default(),
            undetermined: i % 5 == 4,
        }
    }

    proptest! {
        #[test]
        fn dense_tables_count_as_the_maps(
            items in proptest::collection::vec(
                (0usize..4, proptest::option::of(prop_oneof![24_280i64..24_300, -40_000i64..40_000]), 0usize..12),
                0..60,
            ),
            settle_at in 0usize..60,
        ) {
            // Months far apart (beyond the dense window) and a custom channel
            // go to the maps; the settled state is the maps' alone.
            let channels: Vec<Channel> = ["email", "sms", "my_own_channel", "social"]
                .iter()
                .map(|c| c.parse().unwrap())
                .collect();
            let mut reference = Counts::default();
            let mut counts = Counts::default();
            let mut hot = Hot::default();
            for (k, &(ch, m, i)) in items.iter().enumerate() {
                let c = class(i);
                if c.undetermined {
                    reference.undetermined += 1;
                } else {
                    bump(&mut reference.counts, c.primary);
                    reference.passed += u64::from(c.passed);
                    bump(reference.by_acquisition.entry(channels[ch].clone()).or_default(), c.primary);
                    match m {
                        Some(m) => bump(reference.by_month.entry(m).or_default(), c.primary),
                        None => bump(&mut reference.no_order, c.primary),
                    }
                }
                counts.add_to(&mut hot, &channels[ch], m, &c);
                if k == settle_at {
                    counts.settle(&mut hot);
                }
            }
            counts.settle(&mut hot);
            prop_assert_eq!(&counts, &reference);
        }

        #[test]
        fn merge_is_associative_and_commutative(
            items in proptest::collection::vec((0usize..3, proptest::option::of(1u32..13), 0usize..12), 0..40),
            cut1 in 0usize..40, cut2 in 0usize..40,
        ) {
            let (a, b) = (cut1.min(cut2).min(items.len()), cut1.max(cut2).min(items.len()));
            let acc_of = |s: &[(usize, Option<u32>, usize)]| {
                let mut acc = Counts::default();
                for &(ch, m, i) in s {
                    acc.add(&profile(ch, m), &class(i));
                }
                // The state travels as JSON.
                serde_json::from_str::<Counts>(&serde_json::to_string(&acc).unwrap()).unwrap()
            };
            let whole = acc_of(&items).report(&PersonaConfig::default());
            let (x, y, z) = (acc_of(&items[..a]), acc_of(&items[a..b]), acc_of(&items[b..]));
            let mut left = x.clone();
            left.merge(y.clone());
            left.merge(z.clone());
            let mut right = z;
            let mut yx = y;
            yx.merge(x);
            right.merge(yx);
            let config = PersonaConfig::default();
            prop_assert_eq!(left.report(&config), whole.clone());
            prop_assert_eq!(right.report(&config), whole);
        }
    }

    #[test]
    fn confusion_counts() {
        let mut c = PersonaConfusion::default();
        c.add(Persona::Loyal, Persona::Loyal);
        c.add(Persona::Loyal, Persona::DealDriven);
        c.add(Persona::Surfer, Persona::Surfer);
        assert_eq!(c.total(), 3);
        assert!((c.accuracy() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.recall(Persona::Loyal), 0.5);
        assert_eq!(c.recall(Persona::Researcher), 0.0);
        assert!(c.to_string().contains("accuracy 66.7%"));
    }
}
