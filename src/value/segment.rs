//! Segments as rule sets over R, F and M scores: see [`RuleSet`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The most rules in one rule set.
pub const MAX_RULES: usize = 256;

/// The longest segment or rule-set name, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// An inclusive range of scores, `lo..=hi` with `1 <= lo <= hi`; serialized
/// as `[lo, hi]`.
///
/// ```
/// use cxjourney::value::ScoreRange;
/// let r = ScoreRange::new(2, 4)?;
/// assert!(r.contains(4) && !r.contains(5));
/// assert!(ScoreRange::new(3, 2).is_err());
/// assert!(ScoreRange::ANY.contains(20));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "[u8; 2]", into = "[u8; 2]")]
pub struct ScoreRange {
    lo: u8,
    hi: u8,
}

impl ScoreRange {
    /// Every score.
    pub const ANY: ScoreRange = ScoreRange { lo: 1, hi: u8::MAX };

    /// The scores `lo..=hi`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `1 <= lo <= hi`.
    pub fn new(lo: u8, hi: u8) -> Result<ScoreRange> {
        if lo == 0 || lo > hi {
            return Err(Error::InvalidConfig {
                field: "score range",
                value: format!("[{lo}, {hi}]"),
                reason: "a range of scores is [lo, hi] with 1 <= lo <= hi",
            });
        }
        Ok(ScoreRange { lo, hi })
    }

    /// The lowest score in the range.
    #[must_use]
    pub fn lo(self) -> u8 {
        self.lo
    }

    /// The highest score in the range.
    #[must_use]
    pub fn hi(self) -> u8 {
        self.hi
    }

    /// Whether `score` is in the range.
    #[must_use]
    pub fn contains(self, score: u8) -> bool {
        (self.lo..=self.hi).contains(&score)
    }

    fn is_any(&self) -> bool {
        *self == ScoreRange::ANY
    }

    /// A range from constants known to be valid.
    const fn of(lo: u8, hi: u8) -> ScoreRange {
        ScoreRange { lo, hi }
    }
}

impl TryFrom<[u8; 2]> for ScoreRange {
    type Error = Error;

    fn try_from([lo, hi]: [u8; 2]) -> Result<ScoreRange> {
        ScoreRange::new(lo, hi)
    }
}

impl From<ScoreRange> for [u8; 2] {
    fn from(r: ScoreRange) -> [u8; 2] {
        [r.lo, r.hi]
    }
}

/// One customer's R, F and M scores: a cell of the score cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RfmCell {
    /// The recency score (the highest for the most recent customers).
    pub r: u8,
    /// The frequency score.
    pub f: u8,
    /// The monetary score.
    pub m: u8,
}

impl fmt::Display for RfmCell {
    /// `423` when every score is a single digit, else `10-3-7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.r < 10 && self.f < 10 && self.m < 10 {
            write!(f, "{}{}{}", self.r, self.f, self.m)
        } else {
            write!(f, "{}-{}-{}", self.r, self.f, self.m)
        }
    }
}

/// One segment: a name and the scores it takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// The R scores it takes (default: any).
    #[serde(default = "any", skip_serializing_if = "ScoreRange::is_any")]
    pub r: ScoreRange,
    /// The F scores it takes (default: any).
    #[serde(default = "any", skip_serializing_if = "ScoreRange::is_any")]
    pub f: ScoreRange,
    /// The M scores it takes (default: any).
    #[serde(default = "any", skip_serializing_if = "ScoreRange::is_any")]
    pub m: ScoreRange,
}

fn any() -> ScoreRange {
    ScoreRange::ANY
}

impl SegmentRule {
    /// A rule over R and F only (any M).
    #[must_use]
    pub fn rf(name: &str, r: ScoreRange, f: ScoreRange) -> SegmentRule {
        SegmentRule {
            name: name.to_owned(),
            r,
            f,
            m: ScoreRange::ANY,
        }
    }

    /// A rule over R, F and M.
    #[must_use]
    pub fn rfm(name: &str, r: ScoreRange, f: ScoreRange, m: ScoreRange) -> SegmentRule {
        SegmentRule {
            name: name.to_owned(),
            r,
            f,
            m,
        }
    }

    /// Whether the rule takes `cell`.
    #[must_use]
    pub fn matches(&self, cell: RfmCell) -> bool {
        self.r.contains(cell.r) && self.f.contains(cell.f) && self.m.contains(cell.m)
    }
}

/// Segments as a rule set over R, F and M scores: rules in precedence order
/// (the first rule that matches a customer's scores wins), an "others"
/// fallback for scores no rule covers, and a coverage report that names the
/// uncovered and the overlapping cells.
///
/// Three rule sets are built in:
///
/// - [`RuleSet::rf_grid`] (the default): the R x F grid of ten segments
///   widely used with quintile scores, the F score standing for F and M. As
///   a map from the two-digit code `RF`: `5[4-5]` champions, `[3-4][4-5]`
///   loyal customers, `[4-5][2-3]` potential loyalists, `51` new customers,
///   `41` promising, `33` need attention, `3[1-2]` about to sleep, `[1-2][3-4]`
///   at risk, `[1-2]5` can't lose them, `[1-2][1-2]` hibernating. It covers
///   every cell of five bins exactly once.
/// - [`RuleSet::rfm_package`]: the rule set of the example of `rfm_segment`
///   in the R package `rfm` (rsquaredacademy), with its ten segment names,
///   its bounds on R, F and M, its first-match precedence and its "Others".
/// - [`RuleSet::rfm_package_legacy`]: the package's earlier example (F and M
///   sharing bounds, "Lost" as R 1-2 F 1-2).
///
/// Both R rule sets leave cells uncovered and let rules overlap;
/// [`RuleSet::coverage`] lists both, so a customer in "Others" is explained.
/// Your own rules are data: build them with [`RuleSet::new`] or deserialize
/// them (`{"name": ..., "rules": [{"name": ..., "r": [4, 5], "f": [1, 2]}],
/// "others": ...}`; a rule without `r`, `f` or `m` accepts any score there).
///
/// ```
/// use cxjourney::value::{RfmCell, RuleSet, ScoreRange, SegmentRule};
/// let grid = RuleSet::rf_grid();
/// assert_eq!(grid.segment_of(RfmCell { r: 5, f: 5, m: 1 }), "champions");
/// assert!(grid.coverage(5).is_partition());
///
/// let mine = RuleSet::new(
///     "mine",
///     vec![
///         SegmentRule::rf("best", ScoreRange::new(4, 5)?, ScoreRange::new(4, 5)?),
///         SegmentRule::rf("recent", ScoreRange::new(3, 5)?, ScoreRange::ANY),
///     ],
///     "rest",
/// )?;
/// let cover = mine.coverage(5);
/// assert_eq!(cover.uncovered_cells, 50); // R 1-2: "rest"
/// assert_eq!(cover.overlapping_cells, 20); // best and recent: best wins
/// assert_eq!(mine.segment_of(RfmCell { r: 1, f: 5, m: 5 }), "rest");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RuleSetData")]
pub struct RuleSet {
    name: String,
    rules: Vec<SegmentRule>,
    others: String,
}

/// A rule set as deserialized, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSetData {
    name: String,
    rules: Vec<SegmentRule>,
    #[serde(default = "others")]
    others: String,
}

fn others() -> String {
    "others".to_owned()
}

impl TryFrom<RuleSetData> for RuleSet {
    type Error = Error;

    fn try_from(d: RuleSetData) -> Result<RuleSet> {
        RuleSet::new(&d.name, d.rules, &d.others)
    }
}

impl Default for RuleSet {
    /// [`RuleSet::rf_grid`].
    fn default() -> Self {
        RuleSet::rf_grid()
    }
}

/// Builds a rule set from constants known to be valid.
fn builtin(name: &str, rules: Vec<SegmentRule>, others: &str) -> RuleSet {
    RuleSet {
        name: name.to_owned(),
        rules,
        others: others.to_owned(),
    }
}

/// The R package's rules from its parallel vectors of names and bounds.
fn from_bounds(names: [&str; 10], bounds: [[u8; 10]; 6]) -> Vec<SegmentRule> {
    let [r_lo, r_hi, f_lo, f_hi, m_lo, m_hi] = bounds;
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let at = |v: &[u8; 10]| v.get(i).copied().unwrap_or(1);
            SegmentRule::rfm(
                name,
                ScoreRange::of(at(&r_lo), at(&r_hi)),
                ScoreRange::of(at(&f_lo), at(&f_hi)),
                ScoreRange::of(at(&m_lo), at(&m_hi)),
            )
        })
        .collect()
}

impl RuleSet {
    /// A rule set: `rules` in precedence order, `others` for the scores none
    /// of them takes.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no rule, more than [`MAX_RULES`] rules,
    /// an empty name or one longer than [`MAX_NAME_LEN`], two rules of one
    /// name, or a rule named like the fallback.
    pub fn new(name: &str, rules: Vec<SegmentRule>, others: &str) -> Result<RuleSet> {
        let set = RuleSet {
            name: name.to_owned(),
            rules,
            others: others.to_owned(),
        };
        set.validate()?;
        Ok(set)
    }

    /// Checks what [`RuleSet::new`] checks (a deserialized or built-in set
    /// passes by construction).
    ///
    /// # Errors
    /// As [`RuleSet::new`].
    pub fn validate(&self) -> Result<()> {
        let bad = |value: &str, reason: &'static str| Error::InvalidConfig {
            field: "segments",
            value: value.to_owned(),
            reason,
        };
        if self.rules.is_empty() {
            return Err(bad(&self.name, "a rule set needs at least one rule"));
        }
        if self.rules.len() > MAX_RULES {
            return Err(bad(
                &self.rules.len().to_string(),
                "a rule set has at most 256 rules",
            ));
        }
        let names = std::iter::once(&self.name)
            .chain(std::iter::once(&self.others))
            .chain(self.rules.iter().map(|r| &r.name));
        for n in names {
            if n.trim().is_empty() || n.len() > MAX_NAME_LEN {
                return Err(bad(n, "names are 1 to 128 bytes, not only spaces"));
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.name == self.others {
                return Err(bad(&rule.name, "a rule is named like the fallback"));
            }
            if self.rules.iter().take(i).any(|r| r.name == rule.name) {
                return Err(bad(&rule.name, "two rules share a name"));
            }
        }
        Ok(())
    }

    /// The R x F grid (the default). See [`RuleSet`].
    #[must_use]
    pub fn rf_grid() -> RuleSet {
        let r = ScoreRange::of;
        let rules = vec![
            SegmentRule::rf("champions", r(5, 5), r(4, 5)),
            SegmentRule::rf("loyal_customers", r(3, 4), r(4, 5)),
            SegmentRule::rf("potential_loyalists", r(4, 5), r(2, 3)),
            SegmentRule::rf("new_customers", r(5, 5), r(1, 1)),
            SegmentRule::rf("promising", r(4, 4), r(1, 1)),
            SegmentRule::rf("need_attention", r(3, 3), r(3, 3)),
            SegmentRule::rf("about_to_sleep", r(3, 3), r(1, 2)),
            SegmentRule::rf("at_risk", r(1, 2), r(3, 4)),
            SegmentRule::rf("cant_lose_them", r(1, 2), r(5, 5)),
            SegmentRule::rf("hibernating", r(1, 2), r(1, 2)),
        ];
        builtin("rf_grid", rules, "others")
    }

    /// The example rule set of `rfm_segment` in the R package `rfm`:
    /// Champions, Potential Loyalist, Loyal Customers, Promising, New
    /// Customers, Can't Lose Them, At Risk, Need Attention, About To Sleep,
    /// Lost, in that precedence; "Others" for the rest.
    #[must_use]
    pub fn rfm_package() -> RuleSet {
        let names = [
            "Champions",
            "Potential Loyalist",
            "Loyal Customers",
            "Promising",
            "New Customers",
            "Can't Lose Them",
            "At Risk",
            "Need Attention",
            "About To Sleep",
            "Lost",
        ];
        let bounds = [
            [5, 3, 2, 3, 4, 1, 1, 1, 2, 1],
            [5, 5, 4, 4, 5, 2, 2, 3, 3, 1],
            [5, 3, 2, 1, 1, 3, 2, 3, 1, 1],
            [5, 5, 4, 3, 3, 4, 5, 5, 3, 5],
            [5, 2, 2, 3, 1, 4, 4, 3, 1, 1],
            [5, 5, 4, 5, 5, 5, 5, 5, 4, 5],
        ];
        builtin("rfm_package", from_bounds(names, bounds), "Others")
    }

    /// The earlier example rule set of the R package `rfm`: Champions, Loyal
    /// Customers, Potential Loyalist, New Customers, Promising, Need
    /// Attention, About To Sleep, At Risk, Can't Lose Them, Lost, with equal
    /// bounds on F and M; "Others" for the rest.
    #[must_use]
    pub fn rfm_package_legacy() -> RuleSet {
        let names = [
            "Champions",
            "Loyal Customers",
            "Potential Loyalist",
            "New Customers",
            "Promising",
            "Need Attention",
            "About To Sleep",
            "At Risk",
            "Can't Lose Them",
            "Lost",
        ];
        let f_lo = [4, 3, 1, 1, 1, 2, 1, 2, 4, 1];
        let f_hi = [5, 5, 3, 1, 1, 3, 2, 5, 5, 2];
        let bounds = [
            [4, 2, 3, 4, 3, 2, 2, 1, 1, 1],
            [5, 5, 5, 5, 4, 3, 3, 2, 1, 2],
            f_lo,
            f_hi,
            f_lo,
            f_hi,
        ];
        builtin("rfm_package_legacy", from_bounds(names, bounds), "Others")
    }

    /// The names of the built-in rule sets, for [`RuleSet::builtin`].
    pub const BUILTIN: [&'static str; 3] = ["rf_grid", "rfm_package", "rfm_package_legacy"];

    /// A built-in rule set by name.
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a name not in [`RuleSet::BUILTIN`].
    pub fn builtin(name: &str) -> Result<RuleSet> {
        match name {
            "rf_grid" => Ok(RuleSet::rf_grid()),
            "rfm_package" => Ok(RuleSet::rfm_package()),
            "rfm_package_legacy" => Ok(RuleSet::rfm_package_legacy()),
            _ => Err(Error::invalid_name("rule set", name, RuleSet::BUILTIN)),
        }
    }

    /// The rule set's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rules, in precedence order.
    #[must_use]
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// The fallback segment's name.
    #[must_use]
    pub fn others(&self) -> &str {
        &self.others
    }

    /// The position of the rule that takes `cell` (the first that matches),
    /// or `rules().len()` for the fallback.
    #[must_use]
    pub fn index_of(&self, cell: RfmCell) -> usize {
        self.rules
            .iter()
            .position(|r| r.matches(cell))
            .unwrap_or(self.rules.len())
    }

    /// The segment that takes `cell`.
    #[must_use]
    pub fn segment_of(&self, cell: RfmCell) -> &str {
        self.rules
            .get(self.index_of(cell))
            .map_or(self.others.as_str(), |r| r.name.as_str())
    }

    /// Which cells of `bins` scores per axis the rules leave to the fallback,
    /// which they take more than once, and which rules take no cell at all.
    #[must_use]
    pub fn coverage(&self, bins: u8) -> Coverage {
        let bins = bins.max(1);
        let mut cover = Coverage {
            bins,
            cells: u32::from(bins).pow(3),
            uncovered_cells: 0,
            overlapping_cells: 0,
            uncovered: Vec::new(),
            overlapping: Vec::new(),
            unreachable: Vec::new(),
        };
        let mut wins = vec![0u32; self.rules.len()];
        let mut matching = Vec::with_capacity(self.rules.len());
        for r in 1..=bins {
            for f in 1..=bins {
                for m in 1..=bins {
                    let cell = RfmCell { r, f, m };
                    matching.clear();
                    matching.extend(
                        self.rules
                            .iter()
                            .enumerate()
                            .filter(|(_, rule)| rule.matches(cell))
                            .map(|(i, _)| i),
                    );
                    match matching.as_slice() {
                        [] => {
                            cover.uncovered_cells += 1;
                            cover.uncovered.push(cell);
                        }
                        [first, rest @ ..] => {
                            if let Some(w) = wins.get_mut(*first) {
                                *w += 1;
                            }
                            if !rest.is_empty() {
                                cover.overlapping_cells += 1;
                                cover.overlapping.push(Overlap {
                                    cell,
                                    rules: matching
                                        .iter()
                                        .filter_map(|&i| self.rules.get(i))
                                        .map(|r| r.name.clone())
                                        .collect(),
                                });
                            }
                        }
                    }
                }
            }
        }
        cover.unreachable = self
            .rules
            .iter()
            .zip(&wins)
            .filter(|(_, w)| **w == 0)
            .map(|(r, _)| r.name.clone())
            .collect();
        cover
    }
}

/// How a rule set covers the cells of `bins` scores per axis
/// ([`RuleSet::coverage`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Scores per axis.
    pub bins: u8,
    /// Cells in the cube, `bins³`.
    pub cells: u32,
    /// Cells no rule takes: their customers fall to the fallback.
    pub uncovered_cells: u32,
    /// Cells more than one rule takes: the first rule wins.
    pub overlapping_cells: u32,
    /// The uncovered cells, in R, F, M order.
    pub uncovered: Vec<RfmCell>,
    /// The overlapping cells with the rules that take them, in precedence
    /// order (the first wins).
    pub overlapping: Vec<Overlap>,
    /// Rules that win no cell (out of the score range, or shadowed by
    /// earlier rules).
    pub unreachable: Vec<String>,
}

/// A cell taken by more than one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overlap {
    /// The cell.
    pub cell: RfmCell,
    /// The rules that take it, in precedence order: the first wins.
    pub rules: Vec<String>,
}

impl Coverage {
    /// Whether every cell is taken by exactly one rule.
    #[must_use]
    pub fn is_partition(&self) -> bool {
        self.uncovered_cells == 0 && self.overlapping_cells == 0
    }
}

impl fmt::Display for Coverage {
    /// One line: a partition, or the counts with up to eight examples each.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_partition() && self.unreachable.is_empty() {
            return write!(
                f,
                "every one of the {} cells is taken by exactly one rule",
                self.cells
            );
        }
        let list = |cells: &mut dyn Iterator<Item = String>, total: u32| {
            let shown: Vec<String> = cells.take(8).collect();
            let more = if total as usize > shown.len() {
                ", ..."
            } else {
                ""
            };
            format!("{}{more}", shown.join(", "))
        };
        write!(
            f,
            "{} of {} cells uncovered (to the fallback)",
            self.uncovered_cells, self.cells
        )?;
        if self.uncovered_cells > 0 {
            let mut it = self.uncovered.iter().map(RfmCell::to_string);
            write!(f, ": {}", list(&mut it, self.uncovered_cells))?;
        }
        write!(
            f,
            "; {} taken by more than one rule (the first wins)",
            self.overlapping_cells
        )?;
        if self.overlapping_cells > 0 {
            let mut it = self
                .overlapping
                .iter()
                .map(|o| format!("{} {}", o.cell, o.rules.join(" > ")));
            write!(f, ": {}", list(&mut it, self.overlapping_cells))?;
        }
        if !self.unreachable.is_empty() {
            write!(
                f,
                "; rules that take no cell: {}",
                self.unreachable.join(", ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_a_partition_of_five_bins() {
        let grid = RuleSet::rf_grid();
        assert!(grid.validate().is_ok());
        let c = grid.coverage(5);
        assert!(c.is_partition(), "{c}");
        assert!(c.unreachable.is_empty());
        // The two-digit map of the module docs.
        let code = |r, f| grid.segment_of(RfmCell { r, f, m: 3 }).to_owned();
        assert_eq!(code(5, 4), "champions");
        assert_eq!(code(3, 5), "loyal_customers");
        assert_eq!(code(4, 2), "potential_loyalists");
        assert_eq!(code(5, 1), "new_customers");
        assert_eq!(code(4, 1), "promising");
        assert_eq!(code(3, 3), "need_attention");
        assert_eq!(code(3, 2), "about_to_sleep");
        assert_eq!(code(2, 4), "at_risk");
        assert_eq!(code(1, 5), "cant_lose_them");
        assert_eq!(code(2, 2), "hibernating");
        // Ten bins leave most cells to the fallback, and say so.
        let c = grid.coverage(10);
        assert!(!c.is_partition());
        assert_eq!(c.cells, 1_000);
    }

    #[test]
    fn the_r_rule_sets_overlap_and_leave_cells_to_others() {
        for set in [RuleSet::rfm_package(), RuleSet::rfm_package_legacy()] {
            assert!(set.validate().is_ok());
            let c = set.coverage(5);
            assert!(c.uncovered_cells > 0, "{}: {c}", set.name());
            assert!(c.overlapping_cells > 0, "{}: {c}", set.name());
            assert_eq!(
                c.uncovered_cells as usize,
                c.uncovered.len(),
                "{}",
                set.name()
            );
            assert_eq!(set.segment_of(RfmCell { r: 5, f: 5, m: 5 }), "Champions");
            for cell in &c.uncovered {
                assert_eq!(set.segment_of(*cell), "Others");
            }
            for o in &c.overlapping {
                assert_eq!(set.segment_of(o.cell), o.rules[0]);
            }
        }
        // rfm_package: R 2, F 3, M 3 is taken by "Loyal Customers" first,
        // then "Need Attention" and "About To Sleep".
        let set = RuleSet::rfm_package();
        assert_eq!(
            set.segment_of(RfmCell { r: 2, f: 3, m: 3 }),
            "Loyal Customers"
        );
        assert_eq!(set.segment_of(RfmCell { r: 1, f: 1, m: 1 }), "Lost");
        assert_eq!(
            set.segment_of(RfmCell { r: 5, f: 1, m: 1 }),
            "New Customers"
        );
    }

    #[test]
    fn bad_rule_sets_are_refused_and_serde_checks_them() {
        let r = ScoreRange::ANY;
        assert!(RuleSet::new("x", vec![], "others").is_err());
        assert!(
            RuleSet::new(
                "x",
                vec![SegmentRule::rf("a", r, r), SegmentRule::rf("a", r, r)],
                "o"
            )
            .is_err()
        );
        assert!(RuleSet::new("x", vec![SegmentRule::rf("o", r, r)], "o").is_err());
        assert!(RuleSet::new("x", vec![SegmentRule::rf(" ", r, r)], "o").is_err());
        let json = r#"{"name": "mine", "rules": [{"name": "best", "r": [4, 5], "f": [4, 5]}]}"#;
        let set: RuleSet = serde_json::from_str(json).unwrap();
        assert_eq!(set.others(), "others");
        assert_eq!(set.rules()[0].m, ScoreRange::ANY);
        let back: RuleSet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
        for bad in [
            r#"{"name": "x", "rules": []}"#,
            r#"{"name": "x", "rules": [{"name": "a", "r": [3, 2]}]}"#,
            r#"{"name": "x", "rules": [{"name": "a", "r": [0, 2]}]}"#,
            r#"{"name": "x", "rules": [{"name": "a", "q": [1, 2]}]}"#,
            r#"{"name": "x", "rules": [{"name": "a"}], "extra": 1}"#,
        ] {
            assert!(serde_json::from_str::<RuleSet>(bad).is_err(), "{bad}");
        }
        let builtin = serde_json::to_string(&RuleSet::rfm_package()).unwrap();
        assert_eq!(
            serde_json::from_str::<RuleSet>(&builtin).unwrap(),
            RuleSet::rfm_package()
        );
        assert!(RuleSet::builtin("nope").is_err());
        for name in RuleSet::BUILTIN {
            assert_eq!(RuleSet::builtin(name).unwrap().name(), name);
        }
    }

    #[test]
    fn shadowed_rules_are_unreachable() {
        let r = ScoreRange::ANY;
        let set = RuleSet::new(
            "x",
            vec![
                SegmentRule::rf("all", r, r),
                SegmentRule::rf("never", r, r),
                SegmentRule::rf("high", ScoreRange::new(9, 9).unwrap(), r),
            ],
            "o",
        )
        .unwrap();
        let c = set.coverage(5);
        assert_eq!(c.unreachable, ["never", "high"]);
        assert_eq!(c.overlapping_cells, 125);
        assert!(
            c.to_string()
                .contains("rules that take no cell: never, high")
        );
    }
}
