//! A pattern with its conditions and mode, validated and ready to run on
//! journeys.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::log::{EventLog, JourneyView};
use crate::model::names::named_enum;
use crate::pattern::kernel::Scratch;
use crate::pattern::parse::{MAX_CONDITIONS, Pattern, pattern_error};
use crate::step::{Cols, Matcher, Step};

named_enum! {
    /// What a customer's result is.
    #[derive(Default)]
    pub enum PatternMode: "pattern mode" {
        /// 1 when the pattern matches the journey, else 0 (ClickHouse's
        /// `sequenceMatch`). The default.
        #[default]
        Match = "match",
        /// How many times it matches, without overlaps (ClickHouse's
        /// `sequenceCount`).
        Count = "count",
    }
}

/// A journey pattern and its conditions: condition `N` of the pattern is
/// `conditions[N - 1]`, a [`Step`] (a name and the row conditions that must
/// all hold: kind, source event name, channel, ...).
///
/// ```
/// use cxjourney::pattern::{PatternConfig, PatternMatcher, PatternMode};
/// use cxjourney::step::Step;
/// let config = PatternConfig::new(
///     "(?1).*(?2)".parse()?,
///     vec![Step::event("product_view"), Step::event("purchase")],
/// )
/// .with_mode(PatternMode::Count);
/// let matcher = PatternMatcher::new(config)?;
/// assert_eq!(matcher.config().mode, PatternMode::Count);
///
/// // (?3) needs a third condition.
/// let three = PatternConfig::new("(?1)(?3)".parse()?, vec![Step::event("a"), Step::event("b")]);
/// assert!(PatternMatcher::new(three).unwrap_err().to_string().contains("position 4"));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PatternConfig {
    /// The pattern (serialized as its text).
    pub pattern: Pattern,
    /// The conditions `(?1)`, `(?2)`, ...: 1 to 32 steps, at least as many
    /// as the pattern refers to. A row that meets none of them is left out
    /// before matching (as ClickHouse leaves out rows whose conditions are
    /// all false), so extra conditions change what `.` and adjacency see.
    /// A step's funnel-only fields (`optional`, gaps) must stay unset: write
    /// gaps in the pattern, as `(?t<=S)`.
    pub conditions: Vec<Step>,
    /// Match or count (default: match).
    #[serde(default)]
    pub mode: PatternMode,
}

// A configuration read from JSON is checked as `validate` checks it.
impl Serialize for PatternConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        PatternConfig::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for PatternConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let c = PatternConfig::deserialize(d)?;
        c.validate().map_err(serde::de::Error::custom)?;
        Ok(c)
    }
}

impl PatternConfig {
    /// A configuration in [`PatternMode::Match`].
    #[must_use]
    pub fn new(pattern: Pattern, conditions: Vec<Step>) -> Self {
        PatternConfig {
            pattern,
            conditions,
            mode: PatternMode::Match,
        }
    }

    /// Sets the mode.
    #[must_use]
    pub fn with_mode(mut self, mode: PatternMode) -> Self {
        self.mode = mode;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`]: no condition or more than 32; a condition
    /// number in the pattern beyond the conditions given (naming its
    /// position); a step without a name, or with `optional` or a gap set.
    pub fn validate(&self) -> Result<()> {
        let n = self.conditions.len();
        if n == 0 || n > MAX_CONDITIONS {
            return Err(Error::InvalidConfig {
                field: "conditions",
                value: n.to_string(),
                reason: "a pattern takes 1 to 32 conditions",
            });
        }
        if self.pattern.conditions() > n {
            return Err(pattern_error(
                self.pattern.as_str(),
                self.pattern.highest_at(),
                "refers to a condition beyond the conditions given",
            ));
        }
        for (i, s) in self.conditions.iter().enumerate() {
            s.validate(i)?;
            if s.optional || s.max_gap.is_some() || s.min_gap.is_some() {
                return Err(Error::InvalidConfig {
                    field: "conditions",
                    value: format!("condition {} ({:?})", i + 1, s.name),
                    reason: "a pattern's condition takes no optional flag and no gaps: write gaps in the pattern, as (?t<=S)",
                });
            }
        }
        Ok(())
    }
}

/// A validated [`PatternConfig`], ready to run on journey views.
///
/// Conditions are resolved against a log's dictionaries once (the same
/// tables as the funnel's steps), so each row costs a few table lookups;
/// times count in whole seconds (ClickHouse `DateTime`: the fraction is
/// dropped); rows of the same second keep their journey order.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::log::EventLog;
/// use cxjourney::pattern::{PatternConfig, PatternMatcher, PatternMode};
/// use cxjourney::step::Step;
/// use cxjourney::{BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 20, 0, 0).unwrap();
/// let c = CustomerId(7);
/// let at = |m| t0 + TimeDelta::minutes(m);
/// let log = EventLog::from_touchpoints([
///     Touchpoint::new(c, at(0), K::ProductView),
///     Touchpoint::new(c, at(5), K::OrderCompleted),
///     Touchpoint::new(c, at(9), K::ProductView),
///     Touchpoint::new(c, at(90), K::OrderCompleted),
/// ], &JourneyConfig::default())?;
/// let steps = vec![Step::kind(K::ProductView), Step::kind(K::OrderCompleted)];
/// let within_hour = PatternMatcher::new(PatternConfig::new(
///     "(?1)(?t<=3600)(?2)".parse()?, steps.clone()).with_mode(PatternMode::Count))?;
/// let any_time = PatternMatcher::new(PatternConfig::new(
///     "(?1).*(?2)".parse()?, steps).with_mode(PatternMode::Count))?;
/// let journey = log.find(c).unwrap();
/// assert_eq!(within_hour.result(journey), 1); // 9 -> 90 minutes is too long
/// assert_eq!(any_time.result(journey), 2);
/// assert_eq!(any_time.results(&log, 0..1), [2]);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PatternMatcher {
    config: PatternConfig,
}

impl PatternMatcher {
    /// Validates a configuration.
    ///
    /// # Errors
    /// As [`PatternConfig::validate`].
    pub fn new(config: PatternConfig) -> Result<PatternMatcher> {
        config.validate()?;
        Ok(PatternMatcher { config })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PatternConfig {
        &self.config
    }

    /// The customer's result: 0 or 1 in [`PatternMode::Match`], the number of
    /// matches in [`PatternMode::Count`].
    #[must_use]
    pub fn result(&self, journey: JourneyView<'_>) -> u64 {
        let m = self.matcher(journey.log());
        self.result_with(&m, journey, &mut Scratch::default())
    }

    /// The results of the customers `customers` (dense indices, see
    /// [`EventLog::split`]) of `log`, in that order: ClickHouse's
    /// `SELECT sequenceMatch(..)(..) ... GROUP BY user_id` for them. The
    /// conditions are resolved against the log once; a journey costs one
    /// pass over its rows, with no allocation once the working memory has
    /// grown to the longest journey.
    #[must_use]
    pub fn results(&self, log: &EventLog, customers: Range<usize>) -> Vec<u64> {
        let m = self.matcher(log);
        let mut scratch = Scratch::default();
        let n = log.customer_count();
        let customers = customers.start.min(n)..customers.end.min(n);
        let mut out = Vec::with_capacity(customers.len());
        for view in log.journeys_in(customers) {
            out.push(self.result_with(&m, view, &mut scratch));
        }
        out
    }

    /// The conditions resolved against `log`.
    pub(crate) fn matcher(&self, log: &EventLog) -> Matcher {
        Matcher::new(&self.config.conditions, [], log)
    }

    /// The result of one journey, with `m` resolved against its log.
    pub(crate) fn result_with(&self, m: &Matcher, view: JourneyView<'_>, s: &mut Scratch) -> u64 {
        let program = self.config.pattern.program();
        let count = self.config.mode == PatternMode::Count;
        let cols = Cols::of(&view);
        let events_only = m.events_only();
        let mask_at = |i: usize| -> u32 {
            let full = if events_only {
                m.event_mask(&cols, i)
            } else {
                m.mask(&view, &cols, i)
            };
            (full & 0xFFFF_FFFF) as u32
        };
        if let Some(accept) = program.greedy() {
            // One pass over the rows: the next element's accepted
            // conditions, and the events seen (for a pattern of `.*` only).
            let mut j = 0usize;
            let (mut events, mut matches) = (0u64, 0u64);
            for i in 0..view.len() {
                let mask = mask_at(i);
                if mask == 0 {
                    continue;
                }
                events += 1;
                if accept.get(j).is_some_and(|&w| mask & w != 0) {
                    j += 1;
                    if j == accept.len() {
                        if !count {
                            return 1;
                        }
                        matches += 1;
                        j = 0;
                    }
                }
            }
            return match (accept.is_empty(), count) {
                (true, false) => 1,
                (true, true) => events,
                (false, _) => matches,
            };
        }
        s.clear();
        for (i, &t) in view.times().iter().enumerate() {
            s.push(t.div_euclid(1_000_000), mask_at(i));
        }
        if count {
            program.sequence_count(s)
        } else {
            u64::from(program.sequence_match(s))
        }
    }
}
