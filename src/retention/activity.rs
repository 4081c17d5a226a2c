//! What counts as activity: any touchpoint, or the rows that match a step
//! (a kind, a source event name, a channel, ... or a closure), resolved
//! against each log by the crate's one step matcher.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::log::{EventLog, JourneyView};
use crate::model::{BuiltinKind, TouchpointKind};
use crate::step::{Cols, Matcher};
use crate::step::{Condition, Step};

/// The rows that count: every touchpoint, or those matching a [`Step`].
///
/// A step here is what a funnel step is, with the same conditions (kind,
/// source event name, channel, category, campaign, amount, stage, a
/// closure); its funnel-only fields (`optional`, `max_gap`, `min_gap`) must
/// be left unset.
///
/// ```
/// use cxjourney::BuiltinKind;
/// use cxjourney::retention::{Activity, Step};
/// let any = Activity::Any;
/// let orders = Activity::orders(); // kind order_completed
/// assert_eq!(orders, Activity::kind(BuiltinKind::OrderCompleted));
/// let ga4 = Activity::event("purchase"); // the source event name
/// let big = Activity::matching(Step::kind(BuiltinKind::OrderCompleted).and_min_amount(50_000_000));
/// # let _ = (any, ga4, big);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Activity {
    /// Any touchpoint.
    #[default]
    Any,
    /// The rows matching a step.
    Matching {
        /// The conditions, all of which a row must meet.
        step: Step,
    },
}

impl Activity {
    /// Completed orders: kind [`BuiltinKind::OrderCompleted`] (what GA4
    /// `purchase` and Segment `Order Completed` convert to).
    #[must_use]
    pub fn orders() -> Activity {
        Activity::kind(BuiltinKind::OrderCompleted)
    }

    /// Rows of one kind.
    #[must_use]
    pub fn kind(kind: impl Into<TouchpointKind>) -> Activity {
        Activity::Matching {
            step: Step::kind(kind),
        }
    }

    /// Rows whose source event name is `name` (the name the row was converted
    /// from, else its kind's name), as [`Step::event`] matches.
    #[must_use]
    pub fn event(name: &str) -> Activity {
        Activity::Matching {
            step: Step::event(name),
        }
    }

    /// Rows matching a step.
    #[must_use]
    pub fn matching(step: Step) -> Activity {
        Activity::Matching { step }
    }

    /// The step that every row of this activity matches (no conditions for
    /// [`Activity::Any`]).
    fn step(&self) -> Step {
        match self {
            Activity::Any => Step::new("any", Vec::new()),
            Activity::Matching { step } => step.clone(),
        }
    }

    /// Whether every row matches.
    fn is_any(&self) -> bool {
        match self {
            Activity::Any => true,
            Activity::Matching { step } => step.conditions.is_empty(),
        }
    }

    /// The activity in words, for reports: `any touchpoint`, `kind
    /// order_completed`, `event purchase and channel sms`; `closures` custom
    /// conditions (stripped from a serialized state) are counted.
    pub(crate) fn describe(&self, closures: usize) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Activity::Matching { step } = self {
            for c in &step.conditions {
                parts.push(match c {
                    Condition::Kind { kind } => format!("kind {kind}"),
                    Condition::Event { name } => format!("event {name}"),
                    Condition::Channel { channel } => format!("channel {channel}"),
                    Condition::Category { category } => format!("category {category}"),
                    Condition::Campaign { campaign } => format!("campaign {campaign}"),
                    Condition::MinAmount { minor } => format!("amount >= {minor} minor units"),
                    Condition::Stage { stage } => format!("stage {stage}"),
                    Condition::Custom(_) => "a custom condition".to_owned(),
                });
            }
        }
        if closures > 0 {
            parts.push(format!("{closures} custom condition(s)"));
        }
        if parts.is_empty() {
            "any touchpoint".to_owned()
        } else {
            parts.join(" and ")
        }
    }

    pub(crate) fn validate(&self, field: &'static str) -> Result<()> {
        if let Activity::Matching { step } = self {
            if step.optional || step.max_gap.is_some() || step.min_gap.is_some() {
                return Err(Error::InvalidConfig {
                    field,
                    value: format!("step {:?}", step.name),
                    reason: "optional, max_gap and min_gap apply to funnel steps only; leave them unset",
                });
            }
        }
        Ok(())
    }

    /// This activity without closures (which do not serialize), each
    /// closure's place recorded in `custom` as `"{what} condition {n}"`.
    pub(crate) fn stripped(&self, what: &str, custom: &mut Vec<String>) -> Activity {
        match self {
            Activity::Any => Activity::Any,
            Activity::Matching { step } => {
                let mut step = step.clone();
                for (n, c) in step.conditions.iter().enumerate() {
                    if matches!(c, Condition::Custom(_)) {
                        custom.push(format!("{what} condition {}", n + 1));
                    }
                }
                step.conditions
                    .retain(|c| !matches!(c, Condition::Custom(_)));
                Activity::Matching { step }
            }
        }
    }
}

/// Several activities tested on each row at once: bit `i` of a row's mask is
/// set when the row counts for activity `i`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowTest {
    steps: Vec<Step>,
    all: u64,
    /// Whether every activity is [`Activity::Any`] (no lookups at all).
    any: bool,
    matcher: Option<Matcher>,
}

impl RowTest {
    pub(crate) fn new(activities: &[&Activity]) -> RowTest {
        let steps: Vec<Step> = activities.iter().map(|a| a.step()).collect();
        let all = (0..steps.len().min(32)).fold(0u64, |m, i| m | (1 << i));
        RowTest {
            any: activities.iter().all(|a| a.is_any()),
            steps,
            all,
            matcher: None,
        }
    }

    /// Resolves the steps against `log` (kept while the log's dictionaries
    /// still fit).
    pub(crate) fn prepare(&mut self, log: &EventLog) -> Prepared<'_> {
        if self.any {
            return Prepared {
                matcher: None,
                all: self.all,
            };
        }
        if !self.matcher.as_ref().is_some_and(|m| m.fits(log)) {
            self.matcher = Some(Matcher::new(&self.steps, std::iter::empty(), log));
        }
        Prepared {
            matcher: self.matcher.as_ref(),
            all: self.all,
        }
    }
}

/// A [`RowTest`] resolved against one log.
pub(crate) struct Prepared<'m> {
    matcher: Option<&'m Matcher>,
    all: u64,
}

impl Prepared<'_> {
    /// Whether every row counts for every activity (no lookups).
    #[inline]
    pub(crate) fn is_any(&self) -> bool {
        self.matcher.is_none()
    }

    /// The activities row `i` of `view` counts for, as bits.
    #[inline]
    pub(crate) fn mask(&self, view: &JourneyView<'_>, cols: &Cols<'_>, i: usize) -> u64 {
        match self.matcher {
            None => self.all,
            Some(m) => m.mask(view, cols, i) & self.all,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::JourneyConfig;
    use crate::model::{CustomerId, EventName, Touchpoint};
    use chrono::{TimeZone, Utc};

    #[test]
    fn activities_match_as_funnel_steps_do() {
        let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let log = EventLog::from_touchpoints(
            [
                Touchpoint::new(CustomerId(1), t, BuiltinKind::ProductView),
                Touchpoint::new(CustomerId(1), t, BuiltinKind::OrderCompleted)
                    .with_event(EventName::new("purchase")),
            ],
            &JourneyConfig::default(),
        )
        .unwrap();
        let view = log.journeys().next().unwrap();
        let cols = Cols::of(&view);
        let any = Activity::Any;
        let orders = Activity::orders();
        let purchase = Activity::event("purchase");
        let mut test = RowTest::new(&[&any, &orders, &purchase]);
        let p = test.prepare(&log);
        assert!(!p.is_any());
        assert_eq!(p.mask(&view, &cols, 0), 0b001);
        assert_eq!(p.mask(&view, &cols, 1), 0b111);
        assert!(RowTest::new(&[&any, &any]).prepare(&log).is_any());
        let bad = Activity::matching(Step::kind(BuiltinKind::Login).optional());
        assert!(bad.validate("cohort").is_err());
        let custom = Activity::matching(
            Step::when("x", |_| true).and_channel(crate::model::BuiltinChannel::Sms),
        );
        let mut places = Vec::new();
        let s = custom.stripped("returning", &mut places);
        assert_eq!(places, ["returning condition 1"]);
        assert!(serde_json::to_string(&s).is_ok());
    }
}
