//! Population reports: persona distribution by acquisition channel and month
//! of first order (with a mergeable accumulator), confusion against known
//! personas, and transitions between two dates.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::{Channel, CustomerId, Persona};
use crate::persona::{BehaviourProfile, Classification};

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
        *x += y;
    }
}

/// Counts primary personas over customers; `merge` is associative and
/// commutative, so customers can be split across threads or machines.
///
/// ```
/// use cxjourney::persona::{Classifier, PersonaAccumulator};
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Journey, JourneyConfig};
/// let shop = SampleShop::generate(&SampleConfig { customers: 40, ..SampleConfig::default() })?;
/// let as_of = shop.touchpoints.last().map(|t| t.at).unwrap();
/// let journeys = Journey::group(shop.touchpoints, &JourneyConfig::default())?;
/// let classifier = Classifier::default();
/// let (a, b) = journeys.split_at(15);
/// let mut left = PersonaAccumulator::new();
/// let mut right = PersonaAccumulator::new();
/// for (acc, part) in [(&mut left, a), (&mut right, b)] {
///     for j in part {
///         let p = classifier.profile(j, as_of);
///         acc.add(&p, &classifier.classify(&p));
///     }
/// }
/// left.merge(right);
/// assert_eq!(left.finish(), classifier.report(&journeys, as_of));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonaAccumulator {
    counts: [u64; 6],
    passed: u64,
    by_acquisition: BTreeMap<Channel, [u64; 6]>,
    by_month: BTreeMap<(i32, u32), [u64; 6]>,
    no_order: [u64; 6],
}

impl PersonaAccumulator {
    /// An empty accumulator.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one customer.
    pub fn add(&mut self, profile: &BehaviourProfile, c: &Classification) {
        bump(&mut self.counts, c.primary);
        if c.passed {
            self.passed += 1;
        }
        match self.by_acquisition.get_mut(&profile.acquisition) {
            Some(counts) => bump(counts, c.primary),
            None => {
                let mut counts = [0; 6];
                bump(&mut counts, c.primary);
                self.by_acquisition
                    .insert(profile.acquisition.clone(), counts);
            }
        }
        match profile.first_order_at {
            Some(at) => bump(
                self.by_month.entry((at.year(), at.month())).or_default(),
                c.primary,
            ),
            None => bump(&mut self.no_order, c.primary),
        }
    }

    /// Adds another accumulator's customers.
    pub fn merge(&mut self, other: PersonaAccumulator) {
        add_counts(&mut self.counts, &other.counts);
        self.passed += other.passed;
        for (k, v) in other.by_acquisition {
            add_counts(self.by_acquisition.entry(k).or_default(), &v);
        }
        for (k, v) in other.by_month {
            add_counts(self.by_month.entry(k).or_default(), &v);
        }
        add_counts(&mut self.no_order, &other.no_order);
    }

    /// The report.
    #[must_use]
    pub fn finish(self) -> PersonaReport {
        let mut by_first_order_month: IndexMap<String, IndexMap<Persona, u64>> = self
            .by_month
            .iter()
            .map(|((y, m), c)| (format!("{y:04}-{m:02}"), persona_map(c)))
            .collect();
        if self.no_order.iter().any(|&n| n > 0) {
            by_first_order_month.insert("no_order".to_owned(), persona_map(&self.no_order));
        }
        PersonaReport {
            customers: self.counts.iter().sum(),
            passed: self.passed,
            distribution: persona_map(&self.counts),
            by_acquisition: self
                .by_acquisition
                .iter()
                .map(|(ch, c)| (ch.to_string(), persona_map(c)))
                .collect(),
            by_first_order_month,
        }
    }
}

/// Persona distribution of a population.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaReport {
    /// Customers classified.
    pub customers: u64,
    /// Customers whose primary persona passed the pass score (the rest got
    /// their highest score).
    pub passed: u64,
    /// Customers per primary persona, in [`Persona::ALL`] order.
    pub distribution: IndexMap<Persona, u64>,
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
}

impl PersonaConfusion {
    /// Counts one customer.
    pub fn add(&mut self, known: Persona, classified: Persona) {
        if let Some(n) = self
            .counts
            .get_mut(known.index())
            .and_then(|r| r.get_mut(classified.index()))
        {
            *n += 1;
        }
    }

    /// Adds another table.
    pub fn merge(&mut self, other: &PersonaConfusion) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            add_counts(a, b);
        }
    }

    /// Customers counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
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
            .sum();
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
        let total: u64 = row.iter().sum();
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
        writeln!(f, " {:>8}", "recall")?;
        for (&known, row) in Persona::ALL.iter().zip(&self.counts) {
            write!(f, "{:<12}", short(known))?;
            for n in row {
                write!(f, " {n:>10}")?;
            }
            writeln!(f, " {:>7.1}%", 100.0 * self.recall(known))?;
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
        }
    }

    proptest! {
        #[test]
        fn merge_is_associative_and_commutative(
            items in proptest::collection::vec((0usize..3, proptest::option::of(1u32..13), 0usize..12), 0..40),
            cut1 in 0usize..40, cut2 in 0usize..40,
        ) {
            let (a, b) = (cut1.min(cut2).min(items.len()), cut1.max(cut2).min(items.len()));
            let acc_of = |s: &[(usize, Option<u32>, usize)]| {
                let mut acc = PersonaAccumulator::new();
                for &(ch, m, i) in s {
                    acc.add(&profile(ch, m), &class(i));
                }
                acc
            };
            let whole = acc_of(&items).finish();
            let (x, y, z) = (acc_of(&items[..a]), acc_of(&items[a..b]), acc_of(&items[b..]));
            let mut left = x.clone();
            left.merge(y.clone());
            left.merge(z.clone());
            let mut right = z;
            let mut yx = y;
            yx.merge(x);
            right.merge(yx);
            prop_assert_eq!(left.clone().finish(), whole.clone());
            prop_assert_eq!(right.finish(), whole);
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
