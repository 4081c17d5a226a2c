//! Advocacy metrics: NPS (with standard error and interval, and the
//! difference of two NPS), CSAT top-box share (Wilson interval) and CES mean
//! (t-interval), overall and by any breakdown key (stage, persona, channel or
//! your own string).
//!
//! [`AdvocacyAccumulator`] is on the crate's one contract ([`Accumulator`]):
//! made from an [`AdvocacyConfig`], fed one [`AdvocacyAnswer`] (a
//! respondent's NPS, CSAT and CES replies, each a [`Reply`], and an optional
//! breakdown key) at a time, merged, finished. It keeps integer counts per
//! answer value, so merges are exact, associative and commutative, and its
//! state serializes with the groups sorted by key (the same bytes for the
//! same answers, whatever the split or the hash seed).
//!
//! Formulas (95% intervals):
//! * NPS = `100 (promoters - detractors) / n`, promoters 9-10, passives 7-8,
//!   detractors 0-6, unanswered excluded from n (as in the peers' reference).
//!   Its standard error is `100 sqrt((p + d - (p - d)^2) / n)` with p and d
//!   the promoter and detractor shares (the variance of a difference of two
//!   multinomial shares); the interval is the Wald interval `NPS ± 1.96 SE`,
//!   clipped to [-100, 100].
//! * The difference of two independent NPS has `SE = sqrt(SE1^2 + SE2^2)`.
//! * CSAT: the share of answers in the top box (default top-2 of 1-5) with
//!   its Wilson score interval.
//! * CES: the mean answer (default 1-7) with its Student t interval.

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::analysis::Accumulator;
use crate::error::{Error, Result};
use crate::hash::SeededIndexMap;
use crate::numeric::stats::{Moments, Z_95, wilson_95};
use crate::survey::Scale;

/// Settings for CSAT and CES (NPS is always 0-10). Deserializing checks
/// them ([`AdvocacyConfig::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedAdvocacyConfig")]
pub struct AdvocacyConfig {
    /// The CSAT answer scale. Default 1-5.
    pub csat_scale: Scale,
    /// How many top points of the CSAT scale count as satisfied. Default 2
    /// (4 and 5 on 1-5), the usual top-2-box.
    pub csat_top_box: u32,
    /// The CES answer scale. Default 1-7 (CES 2.0).
    pub ces_scale: Scale,
}

/// [`AdvocacyConfig`] as read, before [`AdvocacyConfig::validate`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct UncheckedAdvocacyConfig {
    csat_scale: Scale,
    csat_top_box: u32,
    ces_scale: Scale,
}

impl Default for UncheckedAdvocacyConfig {
    fn default() -> Self {
        let d = AdvocacyConfig::default();
        UncheckedAdvocacyConfig {
            csat_scale: d.csat_scale,
            csat_top_box: d.csat_top_box,
            ces_scale: d.ces_scale,
        }
    }
}

impl TryFrom<UncheckedAdvocacyConfig> for AdvocacyConfig {
    type Error = Error;
    fn try_from(u: UncheckedAdvocacyConfig) -> Result<AdvocacyConfig> {
        let c = AdvocacyConfig {
            csat_scale: u.csat_scale,
            csat_top_box: u.csat_top_box,
            ces_scale: u.ces_scale,
        };
        c.validate()?;
        Ok(c)
    }
}

impl Default for AdvocacyConfig {
    fn default() -> Self {
        AdvocacyConfig {
            csat_scale: Scale::likert5(),
            csat_top_box: 2,
            ces_scale: Scale::likert7(),
        }
    }
}

impl AdvocacyConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `csat_top_box` is 0 or not below the
    /// number of CSAT answer points.
    pub fn validate(&self) -> Result<()> {
        if self.csat_top_box == 0
            || i64::from(self.csat_top_box) >= i64::from(self.csat_scale.points())
        {
            return Err(Error::InvalidConfig {
                field: "csat_top_box",
                value: self.csat_top_box.to_string(),
                reason: "must be at least 1 and below the number of CSAT answer points",
            });
        }
        Ok(())
    }
}

/// One reply to one advocacy question.
///
/// `Option<i32>` converts into it (`None` is [`Reply::Skipped`]), and so does
/// `i32` ([`Reply::Given`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Reply {
    /// The question was not asked: nothing is counted.
    #[default]
    NotAsked,
    /// Asked but not answered: counted as missing (`n_missing`), not in `n`.
    Skipped,
    /// The answer, checked against the question's scale.
    Given(i32),
}

impl From<Option<i32>> for Reply {
    /// `Some(v)` is [`Reply::Given`], `None` is [`Reply::Skipped`].
    fn from(answer: Option<i32>) -> Reply {
        answer.map_or(Reply::Skipped, Reply::Given)
    }
}

impl From<i32> for Reply {
    fn from(answer: i32) -> Reply {
        Reply::Given(answer)
    }
}

/// One respondent's advocacy replies, the unit an [`AdvocacyAccumulator`]
/// adds: NPS (0-10), CSAT and CES replies, counted overall and, with a
/// `group`, in that breakdown group. Questions left at [`Reply::NotAsked`]
/// (the default) are not counted.
///
/// ```
/// use cxjourney::{AdvocacyAnswer, Reply};
/// // One NPS answer of a loyalist; CSAT asked and skipped; CES not asked.
/// let a = AdvocacyAnswer::default().group("loyalist").nps(9).csat(None);
/// assert_eq!(a.nps, Reply::Given(9));
/// assert_eq!(a.csat, Reply::Skipped);
/// assert_eq!(a.ces, Reply::NotAsked);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AdvocacyAnswer<'a> {
    /// The breakdown key (stage, persona, channel or your own), if any.
    pub group: Option<&'a str>,
    /// The 0-10 likelihood to recommend.
    pub nps: Reply,
    /// The CSAT answer, on [`AdvocacyConfig::csat_scale`].
    pub csat: Reply,
    /// The CES answer, on [`AdvocacyConfig::ces_scale`].
    pub ces: Reply,
}

impl<'a> AdvocacyAnswer<'a> {
    /// The same replies counted in `group` too (`None`: overall only).
    #[must_use]
    pub fn group(self, group: impl Into<Option<&'a str>>) -> Self {
        AdvocacyAnswer {
            group: group.into(),
            ..self
        }
    }

    /// With this NPS reply (`Some(9)`, `9`, `None` for skipped).
    #[must_use]
    pub fn nps(self, reply: impl Into<Reply>) -> Self {
        AdvocacyAnswer {
            nps: reply.into(),
            ..self
        }
    }

    /// With this CSAT reply.
    #[must_use]
    pub fn csat(self, reply: impl Into<Reply>) -> Self {
        AdvocacyAnswer {
            csat: reply.into(),
            ..self
        }
    }

    /// With this CES reply.
    #[must_use]
    pub fn ces(self, reply: impl Into<Reply>) -> Self {
        AdvocacyAnswer {
            ces: reply.into(),
            ..self
        }
    }
}

/// Integer counts of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Counts {
    nps: [u64; 11],
    nps_missing: u64,
    csat: Vec<u64>,
    csat_missing: u64,
    ces: Vec<u64>,
    ces_missing: u64,
}

/// Where one checked answer goes: the position in its count table, or
/// missing; `None` when the question was not asked.
#[derive(Debug, Clone, Copy)]
enum Slot {
    NotAsked,
    Missing,
    At(usize),
}

impl Counts {
    fn apply(&mut self, nps: Slot, csat: Slot, ces: Slot, csat_len: usize, ces_len: usize) {
        match nps {
            Slot::At(p) => {
                if let Some(x) = self.nps.get_mut(p) {
                    *x += 1;
                }
            }
            Slot::Missing => self.nps_missing += 1,
            Slot::NotAsked => {}
        }
        match csat {
            Slot::At(p) => bump(&mut self.csat, p, csat_len),
            Slot::Missing => self.csat_missing += 1,
            Slot::NotAsked => {}
        }
        match ces {
            Slot::At(p) => bump(&mut self.ces, p, ces_len),
            Slot::Missing => self.ces_missing += 1,
            Slot::NotAsked => {}
        }
    }

    /// Checks a deserialized table: empty, or one count per answer point.
    fn check(&self, csat_len: usize, ces_len: usize) -> Result<()> {
        for (what, v, len) in [("csat", &self.csat, csat_len), ("ces", &self.ces, ces_len)] {
            if !(v.is_empty() || v.len() == len) {
                return Err(Error::Mismatch {
                    expected: format!("0 or {len} {what} counts for this configuration"),
                    found: format!("{} in the serialized state", v.len()),
                });
            }
        }
        Ok(())
    }

    fn merge(&mut self, o: &Counts) {
        // Counts saturate rather than wrap: deserialized states are not
        // trusted to be small.
        for (a, b) in self.nps.iter_mut().zip(&o.nps) {
            *a = a.saturating_add(*b);
        }
        self.nps_missing = self.nps_missing.saturating_add(o.nps_missing);
        merge_vec(&mut self.csat, &o.csat);
        self.csat_missing = self.csat_missing.saturating_add(o.csat_missing);
        merge_vec(&mut self.ces, &o.ces);
        self.ces_missing = self.ces_missing.saturating_add(o.ces_missing);
    }
}

fn merge_vec(a: &mut Vec<u64>, b: &[u64]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.saturating_add(*y);
    }
}

fn bump(v: &mut Vec<u64>, pos: usize, len: usize) {
    if v.len() < len {
        v.resize(len, 0);
    }
    if let Some(x) = v.get_mut(pos) {
        *x += 1;
    }
}

/// Accumulates NPS, CSAT and CES answers overall and per breakdown key, on
/// the crate's one contract ([`Accumulator`]): made from an
/// [`AdvocacyConfig`], fed one [`AdvocacyAnswer`] at a time.
///
/// ```
/// use cxjourney::{Accumulator, AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig};
/// let mut acc = AdvocacyAccumulator::new(&AdvocacyConfig::default())?;
/// for (persona, score) in [("loyalist", Some(10)), ("loyalist", Some(9)), ("bargain_hunter", Some(3)), ("bargain_hunter", None)] {
///     acc.add(AdvocacyAnswer::default().group(persona).nps(score))?;
/// }
/// let report = acc.finish()?;
/// assert_eq!(report.all.nps.n, 3);
/// assert_eq!(report.all.nps.n_missing, 1);
/// assert!((report.all.nps.nps.unwrap_or(0.0) - 100.0 / 3.0).abs() < 1e-9);
/// assert_eq!(report.groups["loyalist"].nps.nps, Some(100.0));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AdvocacyAccumulator {
    config: AdvocacyConfig,
    all: Counts,
    /// Breakdown keys come from input: a seeded table (`crate::hash`). The
    /// report and the serialized state sort the groups by key, so no output
    /// depends on the seed.
    groups: SeededIndexMap<String, Counts>,
}

impl Accumulator for AdvocacyAccumulator {
    type Config = AdvocacyConfig;
    type Unit<'a> = AdvocacyAnswer<'a>;
    type Report = AdvocacyReport;

    /// An empty accumulator.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the configuration is invalid.
    fn new(config: &AdvocacyConfig) -> Result<Self> {
        config.validate()?;
        Ok(AdvocacyAccumulator {
            config: config.clone(),
            all: Counts::default(),
            groups: IndexMap::default(),
        })
    }

    /// Adds one respondent's replies, overall and, when the answer has a
    /// group, to that group. Every reply is checked before any is counted.
    ///
    /// # Errors
    /// [`Error::AnswerOutOfRange`] when the NPS is not in 0..=10 or the CSAT
    /// or CES answer is off its scale (nothing of the answer is then added).
    fn add(&mut self, answer: AdvocacyAnswer<'_>) -> Result<()> {
        let nps = Self::slot(Scale::zero_to_ten(), "nps", answer.nps)?;
        let csat = Self::slot(self.config.csat_scale, "csat", answer.csat)?;
        let ces = Self::slot(self.config.ces_scale, "ces", answer.ces)?;
        let csat_len = points(self.config.csat_scale);
        let ces_len = points(self.config.ces_scale);
        self.all.apply(nps, csat, ces, csat_len, ces_len);
        let asked = [answer.nps, answer.csat, answer.ces]
            .iter()
            .any(|r| *r != Reply::NotAsked);
        if let (Some(g), true) = (answer.group, asked) {
            let i = match self.groups.get_index_of(g) {
                Some(i) => i,
                None => self.groups.insert_full(g.to_owned(), Counts::default()).0,
            };
            if let Some((_, c)) = self.groups.get_index_mut(i) {
                c.apply(nps, csat, ces, csat_len, ces_len);
            }
        }
        Ok(())
    }

    /// Merges another accumulator with the same configuration; exact.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the configurations differ.
    fn merge(&mut self, other: AdvocacyAccumulator) -> Result<()> {
        if other.config != self.config {
            return Err(Error::Mismatch {
                expected: "advocacy accumulators with the same configuration".into(),
                found: "another configuration".into(),
            });
        }
        self.all.merge(&other.all);
        for (k, c) in other.groups {
            match self.groups.get_mut(&k) {
                Some(mine) => mine.merge(&c),
                None => {
                    self.groups.insert(k, c);
                }
            }
        }
        Ok(())
    }

    /// The report; groups are sorted by key.
    ///
    /// # Errors
    /// [`Error::NumericFailure`] if a t quantile cannot be computed.
    fn finish(self) -> Result<AdvocacyReport> {
        self.report()
    }
}

fn points(scale: Scale) -> usize {
    usize::try_from(scale.points()).unwrap_or(0)
}

impl AdvocacyAccumulator {
    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &AdvocacyConfig {
        &self.config
    }

    fn slot(scale: Scale, item: &str, reply: Reply) -> Result<Slot> {
        match reply {
            Reply::NotAsked => Ok(Slot::NotAsked),
            Reply::Skipped => Ok(Slot::Missing),
            Reply::Given(v) if scale.contains(i64::from(v)) => {
                Ok(usize::try_from(i64::from(v) - i64::from(scale.min()))
                    .map_or(Slot::Missing, Slot::At))
            }
            Reply::Given(v) => Err(Error::AnswerOutOfRange {
                item: item.into(),
                value: i64::from(v),
                min: scale.min(),
                max: scale.max(),
            }),
        }
    }

    /// The report of everything added so far; groups are sorted by key.
    fn report(&self) -> Result<AdvocacyReport> {
        let mut keys: Vec<&String> = self.groups.keys().collect();
        keys.sort();
        let mut groups = IndexMap::new();
        for k in keys {
            if let Some(c) = self.groups.get(k) {
                groups.insert(k.clone(), self.group_report(c)?);
            }
        }
        Ok(AdvocacyReport {
            all: self.group_report(&self.all)?,
            groups,
        })
    }

    fn group_report(&self, c: &Counts) -> Result<GroupReport> {
        let nps = NpsReport::from_counts(&c.nps, c.nps_missing);
        let csat = (!c.csat.is_empty() || c.csat_missing > 0).then(|| {
            let n: u64 = c.csat.iter().fold(0, |a, &b| a.saturating_add(b));
            let top_from = usize::try_from(self.config.csat_scale.points())
                .unwrap_or(0)
                .saturating_sub(usize::try_from(self.config.csat_top_box).unwrap_or(0));
            let top: u64 = c
                .csat
                .iter()
                .skip(top_from)
                .fold(0, |a, &b| a.saturating_add(b));
            CsatReport {
                n,
                n_missing: c.csat_missing,
                top_box: top,
                share: (n > 0).then(|| top as f64 / n as f64),
                ci: wilson_95(top, n),
            }
        });
        let ces = if !c.ces.is_empty() || c.ces_missing > 0 {
            let mut m = Moments::default();
            let min = f64::from(self.config.ces_scale.min());
            for (i, &h) in c.ces.iter().enumerate() {
                if h > 0 {
                    m.merge(&Moments::from_parts(h, min + i as f64, 0.0));
                }
            }
            Some(CesReport {
                n: m.n(),
                n_missing: c.ces_missing,
                mean: m.mean(),
                sd: m.sd(),
                ci: m.t_interval_95()?,
            })
        } else {
            None
        };
        Ok(GroupReport { nps, csat, ces })
    }
}

/// The serialized state, borrowed: groups sorted by key.
#[derive(Serialize)]
struct StateRef<'a> {
    config: &'a AdvocacyConfig,
    all: &'a Counts,
    groups: BTreeMap<&'a str, &'a Counts>,
}

/// The serialized state, owned.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    config: AdvocacyConfig,
    all: Counts,
    groups: BTreeMap<String, Counts>,
}

/// The state: the configuration, the overall counts and the groups' counts
/// sorted by key (canonical: the same answers give the same bytes).
impl Serialize for AdvocacyAccumulator {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StateRef {
            config: &self.config,
            all: &self.all,
            groups: self.groups.iter().map(|(k, c)| (k.as_str(), c)).collect(),
        }
        .serialize(serializer)
    }
}

/// Checks the configuration and that every count table fits its scale.
impl<'de> Deserialize<'de> for AdvocacyAccumulator {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let state = State::deserialize(deserializer)?;
        let build = || -> Result<AdvocacyAccumulator> {
            let mut acc = AdvocacyAccumulator::new(&state.config)?;
            let (csat_len, ces_len) = (points(acc.config.csat_scale), points(acc.config.ces_scale));
            state.all.check(csat_len, ces_len)?;
            acc.all = state.all;
            for (k, c) in state.groups {
                c.check(csat_len, ces_len)?;
                acc.groups.insert(k, c);
            }
            Ok(acc)
        };
        build().map_err(D::Error::custom)
    }
}

/// NPS of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NpsReport {
    /// Valid answers (0-10).
    pub n: u64,
    /// Unanswered.
    pub n_missing: u64,
    /// Answers 9-10.
    pub promoters: u64,
    /// Answers 7-8.
    pub passives: u64,
    /// Answers 0-6.
    pub detractors: u64,
    /// Promoters as a percentage of valid answers.
    pub pct_promoters: Option<f64>,
    /// Detractors as a percentage of valid answers.
    pub pct_detractors: Option<f64>,
    /// The NPS, -100..=100; `None` without valid answers.
    pub nps: Option<f64>,
    /// Its standard error, in NPS points.
    pub se: Option<f64>,
    /// Lower end of the 95% Wald interval (clipped at -100).
    pub ci_low: Option<f64>,
    /// Upper end of the 95% Wald interval (clipped at 100).
    pub ci_high: Option<f64>,
}

impl NpsReport {
    /// The NPS of counts per answer 0..=10 (index = answer).
    #[must_use]
    pub fn from_counts(counts: &[u64; 11], n_missing: u64) -> NpsReport {
        // Saturating: counts near u64::MAX cannot come from real data, but a
        // public constructor must not overflow on them.
        let total = |c: &[u64]| c.iter().fold(0u64, |a, &b| a.saturating_add(b));
        let detractors = total(counts.get(..7).unwrap_or(&[]));
        let passives = total(counts.get(7..9).unwrap_or(&[]));
        let promoters = total(counts.get(9..).unwrap_or(&[]));
        let n = detractors
            .saturating_add(passives)
            .saturating_add(promoters);
        let nf = n as f64;
        let (p, d) = (promoters as f64 / nf, detractors as f64 / nf);
        let ok = n > 0;
        let nps = ok.then(|| 100.0 * (promoters as f64 - detractors as f64) / nf);
        let se = ok.then(|| 100.0 * ((p + d - (p - d) * (p - d)).max(0.0) / nf).sqrt());
        let (ci_low, ci_high) = match (nps, se) {
            (Some(x), Some(s)) => (
                Some((x - Z_95 * s).max(-100.0)),
                Some((x + Z_95 * s).min(100.0)),
            ),
            _ => (None, None),
        };
        NpsReport {
            n,
            n_missing,
            promoters,
            passives,
            detractors,
            pct_promoters: ok.then_some(100.0 * p),
            pct_detractors: ok.then_some(100.0 * d),
            nps,
            se,
            ci_low,
            ci_high,
        }
    }

    /// The difference `self - other` of two independent NPS, with its
    /// standard error `sqrt(se1^2 + se2^2)` and 95% interval; `None` when
    /// either has no valid answers.
    #[must_use]
    pub fn difference(&self, other: &NpsReport) -> Option<NpsDifference> {
        let (a, b, sa, sb) = (self.nps?, other.nps?, self.se?, other.se?);
        let se = (sa * sa + sb * sb).sqrt();
        let difference = a - b;
        Some(NpsDifference {
            difference,
            se,
            ci_low: difference - Z_95 * se,
            ci_high: difference + Z_95 * se,
        })
    }
}

/// The difference of two NPS.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NpsDifference {
    /// First minus second, in NPS points.
    pub difference: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower end of the 95% interval.
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
}

/// CSAT of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsatReport {
    /// Valid answers.
    pub n: u64,
    /// Unanswered.
    pub n_missing: u64,
    /// Answers in the top box.
    pub top_box: u64,
    /// Top-box share, 0-1.
    pub share: Option<f64>,
    /// 95% Wilson interval of the share.
    pub ci: Option<(f64, f64)>,
}

/// CES of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CesReport {
    /// Valid answers.
    pub n: u64,
    /// Unanswered.
    pub n_missing: u64,
    /// Mean answer.
    pub mean: Option<f64>,
    /// Standard deviation (ddof = 1).
    pub sd: Option<f64>,
    /// 95% t-interval of the mean.
    pub ci: Option<(f64, f64)>,
}

/// Advocacy metrics of one group (or of everyone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// NPS.
    pub nps: NpsReport,
    /// CSAT, when any CSAT answer was added.
    pub csat: Option<CsatReport>,
    /// CES, when any CES answer was added.
    pub ces: Option<CesReport>,
}

/// Advocacy metrics overall and per breakdown key (sorted by key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvocacyReport {
    /// Everyone.
    pub all: GroupReport,
    /// Per breakdown key, sorted.
    pub groups: IndexMap<String, GroupReport>,
}

fn o1(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

impl fmt::Display for AdvocacyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<18} {:>6} {:>7} {:>17} {:>8} {:>6}",
            "group", "n", "NPS", "95% CI", "CSAT%", "CES"
        )?;
        let rows = std::iter::once(("all", &self.all))
            .chain(self.groups.iter().map(|(k, v)| (k.as_str(), v)));
        let mut first = true;
        for (k, g) in rows {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(
                f,
                "{:<18} {:>6} {:>7} {:>17} {:>8} {:>6}",
                k,
                g.nps.n,
                o1(g.nps.nps),
                format!("{} to {}", o1(g.nps.ci_low), o1(g.nps.ci_high)),
                o1(g.csat.as_ref().and_then(|c| c.share.map(|s| 100.0 * s))),
                g.ces.as_ref().map_or_else(
                    || "-".to_owned(),
                    |c| c.mean.map_or("-".into(), |m| format!("{m:.2}"))
                ),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nps_of_extreme_counts_does_not_overflow() {
        let mut counts = [0u64; 11];
        counts[0] = u64::MAX;
        counts[1] = 1;
        counts[7] = u64::MAX;
        counts[9] = 1;
        let r = NpsReport::from_counts(&counts, 0);
        assert!(r.nps.is_some_and(|x| (-100.0..=100.0).contains(&x)));
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nps_se_and_difference() {
        let mut c = [0u64; 11];
        c[10] = 5;
        c[8] = 3;
        c[2] = 2;
        let r = NpsReport::from_counts(&c, 1);
        assert_eq!(r.nps, Some(30.0));
        // p = .5, d = .2: sqrt((.7 - .09) / 10) = 0.24698...
        assert!(r.se.is_some_and(|s| (s - 100.0 * (0.61f64 / 10.0).sqrt()).abs() < 1e-12));
        let d = r.difference(&r);
        assert!(d.is_some_and(
            |d| d.difference == 0.0 && (d.se - r.se.unwrap_or(0.0) * 2f64.sqrt()).abs() < 1e-12
        ));
        let empty = NpsReport::from_counts(&[0; 11], 3);
        assert_eq!(empty.nps, None);
        assert_eq!(empty.n_missing, 3);
        assert!(r.difference(&empty).is_none());
    }

    #[test]
    fn csat_and_ces() {
        let acc = AdvocacyAccumulator::new(&AdvocacyConfig::default());
        let Ok(mut acc) = acc else { return };
        let one = AdvocacyAnswer::default();
        for a in [5, 4, 3, 2, 5] {
            assert!(acc.add(one.group("x").csat(a)).is_ok());
            assert!(acc.add(one.ces(a)).is_ok());
        }
        assert!(acc.add(one.csat(6)).is_err());
        assert!(acc.add(one.nps(11)).is_err());
        // A bad reply adds nothing of the answer.
        assert!(acc.add(one.nps(10).ces(0)).is_err());
        let r = acc.finish();
        let Ok(r) = r else { return };
        let csat = r.all.csat.as_ref();
        assert!(csat.is_some_and(|c| c.top_box == 3 && c.share == Some(0.6)));
        let ces = r.all.ces.as_ref();
        assert!(ces.is_some_and(|c| c.mean == Some(3.8)));
        assert!(ces.is_some_and(|c| c.ci.is_some_and(|(lo, hi)| lo < 3.8 && hi > 3.8)));
        assert_eq!(r.all.nps.n, 0);
        assert_eq!(r.all.ces.as_ref().map(|c| c.n), Some(5));
        assert!(r.to_string().contains("all"));
    }

    #[test]
    fn state_is_sorted_and_checked() {
        let Ok(mut acc) = AdvocacyAccumulator::new(&AdvocacyConfig::default()) else {
            return;
        };
        for g in ["b", "a", "c"] {
            assert!(acc.add(AdvocacyAnswer::default().group(g).nps(7)).is_ok());
        }
        let json = serde_json::to_string(&acc).unwrap_or_default();
        let (a, b, c) = (json.find("\"a\""), json.find("\"b\""), json.find("\"c\""));
        assert!(a < b && b < c, "{json}");
        let back: Option<AdvocacyAccumulator> = serde_json::from_str(&json).ok();
        assert_eq!(back.as_ref(), Some(&acc));
        let bad = json.replacen("\"csat\":[]", "\"csat\":[1]", 1);
        assert!(serde_json::from_str::<AdvocacyAccumulator>(&bad).is_err());
    }

    proptest! {
        #[test]
        fn nps_stays_in_range(c in proptest::array::uniform11(0u64..50)) {
            let r = NpsReport::from_counts(&c, 0);
            if let (Some(x), Some(lo), Some(hi)) = (r.nps, r.ci_low, r.ci_high) {
                prop_assert!((-100.0..=100.0).contains(&x));
                prop_assert!(lo <= x && x <= hi);
            }
        }
    }
}
