//! What a paths analysis looks at: the focus (around a touchpoint, or
//! between two), how many steps, how touchpoints are named and grouped, and
//! whether paths stay within sessions.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::log::Row;
use crate::step::Step;

/// The most steps a path keeps on each side of its anchor (or after the
/// start and before the end of a path between two touchpoints).
pub const MAX_STEPS: usize = 20;

/// The most grouping rules, and separately the most exclusions, a paths
/// configuration takes.
pub const MAX_RULES: usize = 64;

/// The longest wildcard pattern or group name (in bytes) a paths
/// configuration takes.
pub const MAX_PATTERN_LEN: usize = 256;

/// The most wildcard steps one paths state spends matching names against
/// its grouping rules and exclusions (each distinct name is matched once):
/// past it, [`Error::TooMuchWork`]. Matching is linear in the name for
/// ordinary patterns; only crafted patterns and names (`*a*a*a*b` against
/// long runs of `a`) come near it.
pub const MAX_WILDCARD_WORK: u64 = 1 << 28;

/// Where paths are cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Focus {
    /// The touchpoints after each `start`: where customers go next. A
    /// `start` without conditions matches every touchpoint, so the first
    /// occurrence is the beginning of the journey (or session).
    After {
        /// The touchpoint paths start from.
        start: Step,
    },
    /// The touchpoints before each `end`: where customers came from.
    Before {
        /// The touchpoint paths lead to.
        end: Step,
    },
    /// The touchpoints before and after each `at`.
    Around {
        /// The touchpoint in the middle of the paths.
        at: Step,
    },
    /// From each `start` to the next `end` after it: the first `steps`
    /// touchpoints after the start and the last `steps` before the end, the
    /// middle collapsed into one `(more)` node when the path is longer.
    Between {
        /// Where the paths start.
        start: Step,
        /// Where they end.
        end: Step,
    },
}

impl Focus {
    /// The anchor steps: the start (or the one anchor), then the end.
    pub(crate) fn anchors(&self) -> Vec<&Step> {
        match self {
            Focus::After { start } => vec![start],
            Focus::Before { end } => vec![end],
            Focus::Around { at } => vec![at],
            Focus::Between { start, end } => vec![start, end],
        }
    }

    pub(crate) fn anchors_mut(&mut self) -> Vec<&mut Step> {
        match self {
            Focus::After { start } => vec![start],
            Focus::Before { end } => vec![end],
            Focus::Around { at } => vec![at],
            Focus::Between { start, end } => vec![start, end],
        }
    }

    /// A short description: `after checkout_start`, `between a and b`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Focus::After { start } => format!("after {}", start.name),
            Focus::Before { end } => format!("before {}", end.name),
            Focus::Around { at } => format!("around {}", at.name),
            Focus::Between { start, end } => format!("between {} and {}", start.name, end.name),
        }
    }
}

/// What names a touchpoint on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// The source event name ([`Row::event_name`]: the name it came as, else
    /// its kind's name). The default.
    #[default]
    Event,
    /// The touchpoint kind's name ([`Row::kind`]).
    Kind,
}

impl Label {
    /// The row's name under this label.
    #[must_use]
    pub fn of<'a>(self, row: Row<'a>) -> &'a str {
        match self {
            Label::Event => row.event_name(),
            Label::Kind => row.kind().as_str(),
        }
    }
}

/// A grouping rule: names that match `pattern` are shown as `into`.
/// `pattern` is a wildcard: `*` matches any run of characters (none
/// included), `?` any one character, everything else itself
/// (`product_*` merges `product_view`, `product_click`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRule {
    /// The wildcard pattern.
    pub pattern: String,
    /// The name the matching touchpoints take.
    pub into: String,
}

/// Whether paths run over the whole journey or stay within sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Across the whole journey (the default).
    #[default]
    Journey,
    /// Within each session ([`JourneyView::sessions`](crate::log::JourneyView::sessions)):
    /// a path ends where its session ends.
    Sessions,
}

/// Which anchors start paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occurrence {
    /// The first anchor of each journey (or session). The default.
    #[default]
    First,
    /// Every anchor: paths may overlap.
    Every,
}

/// A paths analysis: around one touchpoint or between two, `steps` deep.
///
/// ```
/// use cxjourney::paths::{Label, PathsConfig, Scope};
/// use cxjourney::step::Step;
/// use cxjourney::BuiltinKind as K;
/// let config = PathsConfig::around(Step::kind(K::CheckoutStart))
///     .with_steps(2)
///     .with_label(Label::Kind)
///     .group("product_*", "product")
///     .exclude("ad_impression")
///     .with_scope(Scope::Sessions);
/// config.validate()?;
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PathsConfig {
    /// Where paths are cut.
    pub focus: Focus,
    /// Touchpoints kept on each side of the anchor (1 to 20; default 3).
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// What names a touchpoint (default: its source event name).
    #[serde(default)]
    pub label: Label,
    /// Grouping rules, the first match wins; names that match none stay as
    /// they are.
    #[serde(default)]
    pub groups: Vec<GroupRule>,
    /// Wildcards (as in [`GroupRule`]) of names left out of paths (before
    /// grouping): such rows are dropped, anchors included.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Across journeys or within sessions (default: journeys).
    #[serde(default)]
    pub scope: Scope,
    /// The first anchor of each journey or session, or every anchor (default:
    /// the first).
    #[serde(default)]
    pub occurrence: Occurrence,
    /// Runs of the same name (after grouping) count as one touchpoint
    /// (default: no).
    #[serde(default)]
    pub collapse_repeats: bool,
    /// Keep only the `top` largest edges and paths in the report (default:
    /// every one, exact).
    #[serde(default)]
    pub top: Option<usize>,
}

fn default_steps() -> usize {
    3
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for PathsConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        PathsConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for PathsConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = PathsConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl PathsConfig {
    /// Paths with the given focus and the defaults.
    #[must_use]
    pub fn new(focus: Focus) -> Self {
        PathsConfig {
            focus,
            steps: default_steps(),
            label: Label::Event,
            groups: Vec::new(),
            exclude: Vec::new(),
            scope: Scope::Journey,
            occurrence: Occurrence::First,
            collapse_repeats: false,
            top: None,
        }
    }

    /// Where customers go after `start`.
    #[must_use]
    pub fn after(start: Step) -> Self {
        PathsConfig::new(Focus::After { start })
    }

    /// Where customers came from before `end`.
    #[must_use]
    pub fn before(end: Step) -> Self {
        PathsConfig::new(Focus::Before { end })
    }

    /// Both sides of `at`.
    #[must_use]
    pub fn around(at: Step) -> Self {
        PathsConfig::new(Focus::Around { at })
    }

    /// From `start` to the next `end`, the middle collapsed.
    #[must_use]
    pub fn between(start: Step, end: Step) -> Self {
        PathsConfig::new(Focus::Between { start, end })
    }

    /// Sets the steps kept on each side.
    #[must_use]
    pub fn with_steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Sets what names a touchpoint.
    #[must_use]
    pub fn with_label(mut self, label: Label) -> Self {
        self.label = label;
        self
    }

    /// Adds a grouping rule.
    #[must_use]
    pub fn group(mut self, pattern: &str, into: &str) -> Self {
        self.groups.push(GroupRule {
            pattern: pattern.to_owned(),
            into: into.to_owned(),
        });
        self
    }

    /// Leaves names matching `pattern` out of paths.
    #[must_use]
    pub fn exclude(mut self, pattern: &str) -> Self {
        self.exclude.push(pattern.to_owned());
        self
    }

    /// Sets the scope.
    #[must_use]
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets which anchors start paths.
    #[must_use]
    pub fn with_occurrence(mut self, occurrence: Occurrence) -> Self {
        self.occurrence = occurrence;
        self
    }

    /// Counts runs of the same name as one touchpoint.
    #[must_use]
    pub fn collapsing_repeats(mut self) -> Self {
        self.collapse_repeats = true;
        self
    }

    /// Keeps only the `n` largest edges and paths in the report.
    #[must_use]
    pub fn with_top(mut self, n: usize) -> Self {
        self.top = Some(n);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`]: steps outside 1 to 20, `top` of 0, an empty
    /// grouping pattern, group name or exclusion, more than [`MAX_RULES`]
    /// grouping rules or exclusions, a pattern or group name longer than
    /// [`MAX_PATTERN_LEN`] bytes, an anchor step without a name or with a
    /// funnel-only field (`optional`, gaps) set.
    pub fn validate(&self) -> Result<()> {
        if self.steps == 0 || self.steps > MAX_STEPS {
            return Err(Error::InvalidConfig {
                field: "steps",
                value: self.steps.to_string(),
                reason: "paths keep 1 to 20 steps on each side",
            });
        }
        if self.top == Some(0) {
            return Err(Error::InvalidConfig {
                field: "top",
                value: "0".into(),
                reason: "keep at least one edge and path, or leave top unset for all",
            });
        }
        for (field, n) in [
            ("groups", self.groups.len()),
            ("exclude", self.exclude.len()),
        ] {
            if n > MAX_RULES {
                return Err(Error::InvalidConfig {
                    field,
                    value: n.to_string(),
                    reason: "at most 64 grouping rules and 64 exclusions",
                });
            }
        }
        let texts = self
            .groups
            .iter()
            .flat_map(|g| [("groups", &g.pattern), ("groups", &g.into)])
            .chain(self.exclude.iter().map(|e| ("exclude", e)));
        for (field, text) in texts {
            if text.len() > MAX_PATTERN_LEN {
                return Err(Error::InvalidConfig {
                    field,
                    value: format!("{:?}...", text.chars().take(32).collect::<String>()),
                    reason: "a pattern or group name takes at most 256 bytes",
                });
            }
        }
        for g in &self.groups {
            if g.pattern.is_empty() || g.into.is_empty() {
                return Err(Error::InvalidConfig {
                    field: "groups",
                    value: format!("{:?} -> {:?}", g.pattern, g.into),
                    reason: "a grouping rule needs a pattern and a name",
                });
            }
        }
        if self.exclude.iter().any(String::is_empty) {
            return Err(Error::InvalidConfig {
                field: "exclude",
                value: "\"\"".into(),
                reason: "an exclusion needs a pattern",
            });
        }
        for (i, s) in self.focus.anchors().into_iter().enumerate() {
            s.validate(i)?;
            if s.optional || s.max_gap.is_some() || s.min_gap.is_some() {
                return Err(Error::InvalidConfig {
                    field: "focus",
                    value: format!("anchor {:?}", s.name),
                    reason: "a path's anchor takes no optional flag and no gaps",
                });
            }
        }
        Ok(())
    }

    /// The name a raw name is shown as, or `None` when it is left out;
    /// `budget` is the wildcard steps left, spent as the patterns run.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] when the budget runs out.
    pub(crate) fn name_of<'a>(&'a self, raw: &'a str, budget: &mut u64) -> Result<Option<&'a str>> {
        let t: Vec<char> = raw.chars().collect();
        for p in &self.exclude {
            if wildcard_within(p, &t, budget)? {
                return Ok(None);
            }
        }
        for g in &self.groups {
            if wildcard_within(&g.pattern, &t, budget)? {
                return Ok(Some(g.into.as_str()));
            }
        }
        Ok(Some(raw))
    }
}

/// Whether `text` matches the wildcard `pattern` (`*`: any run, `?`: one
/// character), with no cap on the work.
#[cfg(test)]
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let mut budget = u64::MAX;
    wildcard_within(pattern, &t, &mut budget).unwrap_or(false)
}

/// Whether `t` matches the wildcard `pattern`: linear in practice (one
/// backtrack point, the last `*`), at worst the pattern's length times the
/// text's. Each step spends one of `budget`.
///
/// # Errors
/// [`Error::TooMuchWork`] when the budget runs out.
pub(crate) fn wildcard_within(pattern: &str, t: &[char], budget: &mut u64) -> Result<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        *budget = budget.checked_sub(1).ok_or(Error::TooMuchWork {
            what: "wildcard matching of the paths grouping rules and exclusions against the log's names",
            limit: MAX_WILDCARD_WORK,
        })?;
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(j) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(p.get(i..).unwrap_or(&[]).iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        for (p, t, want) in [
            ("product_*", "product_view", true),
            ("product_*", "product_", true),
            ("product_*", "products", false),
            ("*_view", "product_list_view", true),
            ("?dd_to_cart", "add_to_cart", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            ("checkout_start", "checkout_start", true),
        ] {
            assert_eq!(wildcard(p, t), want, "{p} {t}");
        }
    }

    #[test]
    fn names_are_grouped_and_excluded() {
        let c = PathsConfig::after(Step::event("x"))
            .group("product_*", "product")
            .group("*", "other")
            .exclude("ad_*");
        let mut budget = u64::MAX;
        let b = &mut budget;
        assert_eq!(c.name_of("product_view", b).ok(), Some(Some("product")));
        assert_eq!(c.name_of("cart_view", b).ok(), Some(Some("other")));
        assert_eq!(c.name_of("ad_click", b).ok(), Some(None));
    }

    #[test]
    fn validation_names_the_field() {
        let bad = [
            PathsConfig::after(Step::event("x")).with_steps(0),
            PathsConfig::after(Step::event("x")).with_steps(21),
            PathsConfig::after(Step::event("x")).with_top(0),
            PathsConfig::after(Step::event("x")).group("", "a"),
            PathsConfig::after(Step::event("x")).exclude(""),
            PathsConfig::after(Step::event("x").optional()),
            PathsConfig::after(Step::new("", vec![])),
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
        assert!(
            PathsConfig::after(Step::new("any", vec![]))
                .validate()
                .is_ok()
        );
    }
}
