//! A funnel over journeys, configured: steps, window, mode, exclusions,
//! the held property, the counting unit and breakdowns.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::funnel::exclusion::Exclusion;
use crate::funnel::kernel::MAX_STEPS;
use crate::funnel::mode::FunnelMode;
use crate::log::Row;
use crate::step::Step;

/// What the funnel counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountingUnit {
    /// One path per customer: the best the customer reached (default; what
    /// ClickHouse `windowFunnel ... GROUP BY user_id` returns).
    #[default]
    Customers,
    /// Every attempt: an attempt starts at a step-1 event, anchored there
    /// (first-entry rule), and ends at the conversion or when its window
    /// closes; the next attempt starts at the first step-1 event after that
    /// end (strictly later second). Customers who never reach step 1 give no
    /// attempt.
    Conversions,
    /// One path per session of the journey ([`JourneyView::sessions`](crate::log::JourneyView::sessions)).
    Sessions,
}

/// A row property held constant through the steps (PostHog's "hold
/// property constant"): all steps of a chain must carry the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Property {
    /// [`Row::order`] (an order or cart id).
    Order,
    /// [`Row::product`].
    Product,
    /// [`Row::category`].
    Category,
    /// [`Row::campaign`].
    Campaign,
    /// [`Row::channel`].
    Channel,
    /// [`Row::kind`].
    Kind,
    /// [`Row::event_name`].
    Event,
    /// [`Row::device`].
    Device,
}

impl Property {
    /// The property's value on a row, if it has one.
    #[must_use]
    pub fn of<'a>(&self, row: Row<'a>) -> Option<&'a str> {
        match self {
            Property::Order => row.order(),
            Property::Product => row.product(),
            Property::Category => row.category(),
            Property::Campaign => row.campaign(),
            Property::Channel => Some(row.channel().as_str()),
            Property::Kind => Some(row.kind().as_str()),
            Property::Event => Some(row.event_name()),
            Property::Device => row.device().map(|d| d.as_str()),
        }
    }
}

/// Which row gives a unit its breakdown value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "at")]
pub enum Touch {
    /// The first row of the unit (journey or session) (default).
    #[default]
    FirstTouch,
    /// The last row of the unit.
    LastTouch,
    /// The row that matched step `step` (1-based) in the unit's path;
    /// units that did not reach it get `(none)`.
    Step {
        /// The step, 1-based.
        step: u8,
    },
}

/// Break the report down by a row property taken at one row.
/// For keys that are not row properties (persona, segment), pass the
/// key to [`FunnelAccumulator::add_with_key`](crate::funnel::FunnelAccumulator::add_with_key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breakdown {
    /// The property.
    pub property: Property,
    /// Where it is read.
    pub touch: Touch,
}

/// A funnel over journeys.
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::funnel::{FunnelConfig, Step};
/// let config = FunnelConfig::new(
///     ["view_item", "add_to_cart", "begin_checkout", "purchase"].map(Step::event).to_vec(),
///     TimeDelta::days(1),
/// );
/// config.validate()?;
/// assert_eq!(config.steps.len(), 4);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// A configuration read with serde is validated ([`FunnelConfig::validate`]):
/// an invalid one is a deserialization error naming the field and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "UncheckedConfig")]
pub struct FunnelConfig {
    /// The steps, 1 to 32, in order.
    pub steps: Vec<Step>,
    /// From the chain's step 1, inclusive. Default: 14 days (PostHog's
    /// default conversion window). Serialized as seconds; timestamps count in
    /// whole seconds, as ClickHouse's `DateTime`.
    #[serde(with = "crate::model::time", default = "default_window")]
    pub window: TimeDelta,
    /// The rules. Default: ClickHouse `windowFunnel` without options.
    #[serde(default)]
    pub mode: FunnelMode,
    /// Exclusion steps.
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// Hold a property constant through the steps. Default: none.
    #[serde(default)]
    pub hold_constant: Option<Property>,
    /// What is counted. Default: customers.
    #[serde(default)]
    pub unit: CountingUnit,
    /// Break the report down by a property. Default: none.
    #[serde(default)]
    pub breakdown: Option<Breakdown>,
}

/// A configuration as deserialized, before [`FunnelConfig::validate`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncheckedConfig {
    steps: Vec<Step>,
    #[serde(with = "crate::model::time", default = "default_window")]
    window: TimeDelta,
    #[serde(default)]
    mode: FunnelMode,
    #[serde(default)]
    exclusions: Vec<Exclusion>,
    #[serde(default)]
    hold_constant: Option<Property>,
    #[serde(default)]
    unit: CountingUnit,
    #[serde(default)]
    breakdown: Option<Breakdown>,
}

impl TryFrom<UncheckedConfig> for FunnelConfig {
    type Error = Error;

    fn try_from(u: UncheckedConfig) -> Result<FunnelConfig> {
        let c = FunnelConfig {
            steps: u.steps,
            window: u.window,
            mode: u.mode,
            exclusions: u.exclusions,
            hold_constant: u.hold_constant,
            unit: u.unit,
            breakdown: u.breakdown,
        };
        c.validate()?;
        Ok(c)
    }
}

/// The longest window (and per-step gap) a funnel accepts: 100 years of
/// 365.25 days, in seconds.
pub const MAX_WINDOW_SECONDS: i64 = 3_155_760_000;

fn default_window() -> TimeDelta {
    TimeDelta::days(14)
}

impl Default for FunnelConfig {
    /// No steps (invalid until steps are added) and the defaults above.
    fn default() -> Self {
        FunnelConfig::new(Vec::new(), default_window())
    }
}

impl FunnelConfig {
    /// Steps and a window, with every other option at its default.
    #[must_use]
    pub fn new(steps: Vec<Step>, window: TimeDelta) -> Self {
        FunnelConfig {
            steps,
            window,
            mode: FunnelMode::default(),
            exclusions: Vec::new(),
            hold_constant: None,
            unit: CountingUnit::default(),
            breakdown: None,
        }
    }

    /// Sets the mode.
    #[must_use]
    pub fn with_mode(mut self, mode: FunnelMode) -> Self {
        self.mode = mode;
        self
    }

    /// Adds an exclusion between steps `from` and `to` (1-based).
    #[must_use]
    pub fn excluding(mut self, step: Step, from: u8, to: u8) -> Self {
        self.exclusions.push(Exclusion { step, from, to });
        self
    }

    /// Holds a property constant.
    #[must_use]
    pub fn holding(mut self, property: Property) -> Self {
        self.hold_constant = Some(property);
        self
    }

    /// Sets the counting unit.
    #[must_use]
    pub fn counting(mut self, unit: CountingUnit) -> Self {
        self.unit = unit;
        self
    }

    /// Sets the breakdown.
    #[must_use]
    pub fn breakdown_by(mut self, property: Property, touch: Touch) -> Self {
        self.breakdown = Some(Breakdown { property, touch });
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the field: no steps or more than 32, a
    /// negative window or one above [`MAX_WINDOW_SECONDS`] (so are per-step
    /// gaps), an optional first step, an exclusion whose `from`/`to`
    /// are not `1 <= from < to <= steps`, more than 32 exclusions, a breakdown
    /// step out of range, `strict_once` combined with exclusions, optional
    /// steps or per-step gaps, or an invalid mode.
    pub fn validate(&self) -> Result<()> {
        let n = self.steps.len();
        if n == 0 || n > MAX_STEPS {
            return Err(Error::InvalidConfig {
                field: "steps",
                value: n.to_string(),
                reason: "a funnel has 1 to 32 steps",
            });
        }
        if self.window < TimeDelta::zero() || self.window.num_seconds() > MAX_WINDOW_SECONDS {
            return Err(Error::InvalidConfig {
                field: "window",
                value: format!("{} seconds", crate::model::time::secs_f64(self.window)),
                reason: "must be within 0 and 100 years (MAX_WINDOW_SECONDS)",
            });
        }
        self.mode.validate()?;
        for (i, s) in self.steps.iter().enumerate() {
            s.validate(i)?;
        }
        if self.steps.first().is_some_and(|s| s.optional) {
            return Err(Error::InvalidConfig {
                field: "steps.optional",
                value: "step 1".to_owned(),
                reason: "the first step cannot be optional",
            });
        }
        if self.exclusions.len() > 32 {
            return Err(Error::InvalidConfig {
                field: "exclusions",
                value: self.exclusions.len().to_string(),
                reason: "at most 32 exclusions",
            });
        }
        for e in &self.exclusions {
            if e.from == 0 || e.from >= e.to || usize::from(e.to) > n {
                return Err(Error::InvalidConfig {
                    field: "exclusions",
                    value: format!("{:?} between {} and {}", e.step.name, e.from, e.to),
                    reason: "needs 1 <= from < to <= number of steps",
                });
            }
        }
        if let Some(Breakdown {
            touch: Touch::Step { step },
            ..
        }) = self.breakdown
        {
            if step == 0 || usize::from(step) > n {
                return Err(Error::InvalidConfig {
                    field: "breakdown.touch.step",
                    value: step.to_string(),
                    reason: "needs 1 <= step <= number of steps",
                });
            }
        }
        let extras = !self.exclusions.is_empty()
            || self
                .steps
                .iter()
                .any(|s| s.optional || s.max_gap.is_some() || s.min_gap.is_some());
        if self.mode.strict_once && extras {
            return Err(Error::InvalidConfig {
                field: "mode.strict_once",
                value: self.mode.to_string(),
                reason: "strict_once does not combine with exclusions, optional steps or per-step gaps",
            });
        }
        Ok(())
    }
}
