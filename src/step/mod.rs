//! Steps: predicates over the rows of an event log, shared by the analyses
//! that pick rows out of journeys (the funnel's steps and exclusions, the
//! conditions of journey patterns, the anchors of paths).
//!
//! A [`Step`] is a name and a list of [`Condition`]s that must all hold
//! (kind, source event name, channel, category, campaign, amount, stage, or
//! a [`Predicate`] closure over a [`Row`]). The crate resolves a set of steps
//! against an event log's dictionaries once, into lookup tables over the
//! log's columns, so that finding a row's steps costs a few table lookups and
//! no allocation (one mechanism for every analysis).

use std::sync::Arc;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

mod matcher;

pub(crate) use matcher::{Cols, Matcher};

use crate::error::{Error, Result};
use crate::log::Row;
use crate::model::{Channel, Stage, TouchpointKind};

/// The longest per-step gap: 100 years of 365.25 days, in seconds (the
/// funnel's `MAX_WINDOW_SECONDS`).
const MAX_GAP_SECONDS: i64 = 3_155_760_000;

/// A caller-supplied test on a row of an event log, for conditions the
/// built-in ones do not cover. Not serialized.
///
/// A [`Row`] reads every field of the touchpoint it stores (time, kind,
/// channel, event name, order, product, value, ...) without allocating;
/// [`Row::to_touchpoint`] builds an owned [`Touchpoint`](crate::Touchpoint)
/// when a test needs one.
#[derive(Clone)]
pub struct Predicate(Arc<dyn Fn(Row<'_>) -> bool + Send + Sync>);

impl Predicate {
    /// Wraps a closure.
    pub fn new(f: impl Fn(Row<'_>) -> bool + Send + Sync + 'static) -> Self {
        Predicate(Arc::new(f))
    }

    /// Runs the test.
    #[must_use]
    pub fn test(&self, row: Row<'_>) -> bool {
        (self.0)(row)
    }
}

impl std::fmt::Debug for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Predicate(..)")
    }
}

impl PartialEq for Predicate {
    /// Two predicates are equal when they are the same closure.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One condition of a step; a step matches a row when all of its conditions
/// hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Condition {
    /// The row's kind.
    Kind {
        /// The kind to match.
        kind: TouchpointKind,
    },
    /// The source event name ([`Row::event_name`]: the name it was
    /// converted from, else the kind's name), compared as raw strings, so that
    /// distinct source names stay distinct.
    Event {
        /// The name to match.
        name: String,
    },
    /// The channel.
    Channel {
        /// The channel to match.
        channel: Channel,
    },
    /// The product category.
    Category {
        /// The category key to match.
        category: String,
    },
    /// The campaign.
    Campaign {
        /// The campaign key to match.
        campaign: String,
    },
    /// An amount of at least this many minor units (any currency).
    MinAmount {
        /// The smallest amount, in minor units.
        minor: i64,
    },
    /// The row's stage ([`Row::stage`]: its override, else its kind's
    /// default stage).
    Stage {
        /// The stage to match.
        stage: Stage,
    },
    /// A caller-supplied closure (not serialized).
    #[serde(skip)]
    Custom(Predicate),
}

impl Condition {
    /// Whether the row satisfies the condition.
    #[must_use]
    pub fn matches(&self, row: Row<'_>) -> bool {
        match self {
            Condition::Kind { kind } => row.kind() == kind,
            Condition::Event { name } => row.event_name() == name,
            Condition::Channel { channel } => row.channel() == channel,
            Condition::Category { category } => row.category() == Some(category.as_str()),
            Condition::Campaign { campaign } => row.campaign() == Some(campaign.as_str()),
            Condition::MinAmount { minor } => row.value().is_some_and(|v| v.minor() >= *minor),
            Condition::Stage { stage } => row.stage() == Some(*stage),
            Condition::Custom(p) => p.test(row),
        }
    }
}

/// One step: a name and the conditions a row must meet. In a funnel a step
/// may also be optional and carry gaps from the step before; the other
/// analyses (a pattern's conditions, a path's anchors) take the name and the
/// conditions and refuse those funnel-only fields.
///
/// ```
/// use chrono::{TimeZone, Timelike, Utc};
/// use cxjourney::step::Step;
/// use cxjourney::log::EventLog;
/// use cxjourney::{BuiltinChannel, BuiltinKind, CustomerId, EventName, JourneyConfig, Touchpoint};
/// let at = Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap();
/// let tp = Touchpoint::new(CustomerId(1), at, BuiltinKind::ProductView)
///     .with_event(EventName::new("view_item"))
///     .with_channel(BuiltinChannel::Sms);
/// let log = EventLog::from_touchpoints([tp], &JourneyConfig::default())?;
/// let row = log.journeys().next().and_then(|j| j.row(0)).unwrap();
/// assert!(Step::event("view_item").matches(row));
/// assert!(!Step::event("product_view").matches(row)); // the source name, not the kind
/// assert!(Step::kind(BuiltinKind::ProductView).and_channel(BuiltinChannel::Sms).matches(row));
/// assert!(Step::when("night", |r| r.at().hour() < 6).matches(row));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The step's name in reports.
    pub name: String,
    /// All must hold. An empty list matches every row.
    pub conditions: Vec<Condition>,
    /// A customer may skip this step: later steps then follow the step
    /// before it (PostHog's optional steps). The first step cannot be
    /// optional. Default `false`.
    #[serde(default)]
    pub optional: bool,
    /// The longest time from the step before, inclusive (besides the
    /// funnel's window from step 1).
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub max_gap: Option<TimeDelta>,
    /// The shortest time from the step before.
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub min_gap: Option<TimeDelta>,
}

/// An optional duration in the crate's one duration format
/// (`model::time`: exact over the whole range of `TimeDelta`).
mod opt_secs {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Secs(#[serde(with = "crate::model::time")] TimeDelta);

    pub(super) fn serialize<S: Serializer>(v: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&Secs(*d)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<TimeDelta>, D::Error> {
        Ok(Option::<Secs>::deserialize(d)?.map(|s| s.0))
    }
}

impl Step {
    /// A step with the given conditions.
    #[must_use]
    pub fn new(name: impl Into<String>, conditions: Vec<Condition>) -> Self {
        Step {
            name: name.into(),
            conditions,
            optional: false,
            max_gap: None,
            min_gap: None,
        }
    }

    /// Matches the source event name exactly ([`Row::event_name`]).
    #[must_use]
    pub fn event(name: &str) -> Self {
        Step::new(
            name,
            vec![Condition::Event {
                name: name.to_owned(),
            }],
        )
    }

    /// Matches a touchpoint kind.
    #[must_use]
    pub fn kind(kind: impl Into<TouchpointKind>) -> Self {
        let kind = kind.into();
        Step::new(kind.as_str().to_owned(), vec![Condition::Kind { kind }])
    }

    /// Matches a stage.
    #[must_use]
    pub fn stage(stage: Stage) -> Self {
        Step::new(stage.as_str(), vec![Condition::Stage { stage }])
    }

    /// Matches a caller-supplied closure over the row.
    #[must_use]
    pub fn when(
        name: impl Into<String>,
        f: impl Fn(Row<'_>) -> bool + Send + Sync + 'static,
    ) -> Self {
        Step::new(name, vec![Condition::Custom(Predicate::new(f))])
    }

    /// Adds a channel condition.
    #[must_use]
    pub fn and_channel(mut self, channel: impl Into<Channel>) -> Self {
        self.conditions.push(Condition::Channel {
            channel: channel.into(),
        });
        self
    }

    /// Adds a category condition.
    #[must_use]
    pub fn and_category(mut self, category: &str) -> Self {
        self.conditions.push(Condition::Category {
            category: category.to_owned(),
        });
        self
    }

    /// Adds a minimum amount, in minor units.
    #[must_use]
    pub fn and_min_amount(mut self, minor: i64) -> Self {
        self.conditions.push(Condition::MinAmount { minor });
        self
    }

    /// Adds any condition.
    #[must_use]
    pub fn and(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Renames the step.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Makes the step optional.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Requires this step within `gap` of the step before (inclusive).
    #[must_use]
    pub fn within(mut self, gap: TimeDelta) -> Self {
        self.max_gap = Some(gap);
        self
    }

    /// Requires at least `gap` since the step before.
    #[must_use]
    pub fn at_least_after(mut self, gap: TimeDelta) -> Self {
        self.min_gap = Some(gap);
        self
    }

    /// Whether a row matches every condition.
    #[must_use]
    pub fn matches(&self, row: Row<'_>) -> bool {
        self.conditions.iter().all(|c| c.matches(row))
    }

    pub(crate) fn validate(&self, position: usize) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::InvalidConfig {
                field: "steps.name",
                value: format!("step {}", position + 1),
                reason: "a step needs a name",
            });
        }
        for (field, gap) in [
            ("steps.max_gap", self.max_gap),
            ("steps.min_gap", self.min_gap),
        ] {
            if gap.is_some_and(|g| g < TimeDelta::zero() || g.num_seconds() > MAX_GAP_SECONDS) {
                return Err(Error::InvalidConfig {
                    field,
                    value: format!(
                        "{} seconds for step {:?}",
                        crate::model::time::secs_f64(gap.unwrap_or_default()),
                        self.name
                    ),
                    reason: "must be within 0 and 100 years",
                });
            }
        }
        Ok(())
    }
}
