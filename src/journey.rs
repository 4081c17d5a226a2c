//! One customer's touchpoints in time order, with sessions and the stage path.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::log::{EventLog, JourneyView};
use crate::model::{BuiltinKind, CustomerId, Stage, Touchpoint};

/// How journeys are built.
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::JourneyConfig;
/// let config = JourneyConfig { session_gap: TimeDelta::minutes(45), ..JourneyConfig::default() };
/// config.validate()?;
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// Deserializing validates (a session gap of 0 seconds is refused there
/// too), and every configuration that validates reads back from its own
/// JSON: durations are written exactly (see the `session_gap` field).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "JourneyConfigData")]
pub struct JourneyConfig {
    /// A gap of inactivity longer than this starts a new session; a gap of
    /// exactly this length does not. Default: 30 minutes, the session timeout
    /// of Google Analytics and most web analytics tools. Any positive
    /// duration up to `TimeDelta::MAX`. Serialized as seconds (a number, or
    /// a decimal string where a float cannot hold the duration exactly).
    #[serde(with = "crate::model::time")]
    pub session_gap: TimeDelta,
    /// After the first completed order, touchpoints whose default stage comes
    /// before retention (a returning customer browsing or buying again) count
    /// as retention. Default: `true`, since a repeat purchase is what the
    /// retention stage means. An explicit [`Touchpoint::stage`] always wins.
    pub repeat_activity_as_retention: bool,
}

impl Default for JourneyConfig {
    fn default() -> Self {
        JourneyConfig {
            session_gap: TimeDelta::minutes(30),
            repeat_activity_as_retention: true,
        }
    }
}

/// A [`JourneyConfig`] as deserialized, before it is validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct JourneyConfigData {
    #[serde(with = "crate::model::time")]
    session_gap: TimeDelta,
    repeat_activity_as_retention: bool,
}

impl Default for JourneyConfigData {
    fn default() -> Self {
        let c = JourneyConfig::default();
        JourneyConfigData {
            session_gap: c.session_gap,
            repeat_activity_as_retention: c.repeat_activity_as_retention,
        }
    }
}

impl TryFrom<JourneyConfigData> for JourneyConfig {
    type Error = Error;

    fn try_from(d: JourneyConfigData) -> Result<JourneyConfig> {
        let c = JourneyConfig {
            session_gap: d.session_gap,
            repeat_activity_as_retention: d.repeat_activity_as_retention,
        };
        c.validate()?;
        Ok(c)
    }
}

impl JourneyConfig {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `session_gap` is not positive.
    pub fn validate(&self) -> Result<()> {
        if self.session_gap <= TimeDelta::zero() {
            return Err(Error::InvalidConfig {
                field: "session_gap",
                value: self.session_gap.to_string(),
                reason: "must be positive",
            });
        }
        Ok(())
    }
}

/// A run of touchpoints without an inactivity gap longer than the session gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    /// Index of the first touchpoint in the journey.
    pub start: usize,
    /// Index one past the last touchpoint.
    pub end: usize,
    /// Time of the first touchpoint.
    pub started_at: DateTime<Utc>,
    /// Time of the last touchpoint.
    pub ended_at: DateTime<Utc>,
}

impl Session {
    /// The touchpoint indices of this session.
    #[must_use]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The number of touchpoints.
    #[must_use]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the session is empty (never true for sessions of a journey).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// From the first to the last touchpoint.
    #[must_use]
    pub fn duration(&self) -> TimeDelta {
        self.ended_at - self.started_at
    }
}

/// One entry into a stage along the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StageVisit {
    /// The stage entered.
    pub stage: Stage,
    /// When it was entered (the first touchpoint in it).
    pub entered_at: DateTime<Utc>,
    /// Index of that touchpoint.
    pub first: usize,
    /// How many touchpoints with a stage fell in this visit.
    pub touchpoints: usize,
    /// Until the next stage was entered; for the last visit, until the
    /// journey's last touchpoint (no clock is read). Serialized as seconds.
    #[serde(with = "crate::model::time")]
    pub time_spent: TimeDelta,
}

/// One customer's touchpoints in time order, cut into sessions, with the
/// stages the customer moved through.
///
/// Touchpoints are ordered by time; touchpoints at the same instant by
/// [`BuiltinKind`] order (a product view before an add-to-cart), then by the
/// rest of their fields, so the order never depends on the input order.
///
/// ```
/// use chrono::{TimeZone, TimeDelta, Utc};
/// use cxjourney::{BuiltinKind as K, CustomerId, Journey, JourneyConfig, Stage, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 11, 11, 20, 0, 0).unwrap();
/// let c = CustomerId(1);
/// let journey = Journey::new(
///     vec![
///         Touchpoint::new(c, t0 + TimeDelta::minutes(3), K::AddToCart),
///         Touchpoint::new(c, t0, K::AdClick),
///         Touchpoint::new(c, t0 + TimeDelta::minutes(1), K::ProductView),
///         Touchpoint::new(c, t0 + TimeDelta::minutes(9), K::OrderCompleted),
///         Touchpoint::new(c, t0 + TimeDelta::days(3), K::Delivered),
///     ],
///     &JourneyConfig::default(),
/// )?;
/// assert_eq!(journey.sessions().len(), 2);
/// let stages: Vec<Stage> = journey.stage_path().iter().map(|v| v.stage).collect();
/// assert_eq!(stages, [Stage::Awareness, Stage::Consideration, Stage::Decision, Stage::Retention]);
/// assert_eq!(journey.time_to_first_order(), Some(TimeDelta::minutes(9)));
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Journey {
    config: JourneyConfig,
    customer: CustomerId,
    touchpoints: Vec<Touchpoint>,
    sessions: Vec<Session>,
    stage_path: Vec<StageVisit>,
    first_order: Option<usize>,
    #[serde(skip)]
    log: SharedLog,
}

/// The event log behind a journey's [`JourneyView`]: its own one-customer
/// log, or the log of the whole group it was cut from. It is derived from
/// the touchpoints, so it takes no part in equality and hashing.
#[derive(Debug, Clone, Default)]
struct SharedLog {
    log: Arc<EventLog>,
    index: usize,
}

impl PartialEq for SharedLog {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SharedLog {}

impl std::hash::Hash for SharedLog {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl Journey {
    /// The journey of one customer from touchpoints in any order.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] for no touchpoints; [`Error::MixedCustomers`] when
    /// they belong to more than one customer; [`Error::InvalidConfig`] for a bad
    /// configuration.
    pub fn new(mut touchpoints: Vec<Touchpoint>, config: &JourneyConfig) -> Result<Journey> {
        config.validate()?;
        let customer = touchpoints
            .first()
            .map(|t| t.customer)
            .ok_or(Error::EmptyInput {
                what: "touchpoints of a journey",
            })?;
        if let Some(other) = touchpoints.iter().find(|t| t.customer != customer) {
            return Err(Error::MixedCustomers {
                expected: customer.to_string(),
                found: other.customer.to_string(),
            });
        }
        touchpoints.sort_unstable();
        Journey::from_sorted(customer, touchpoints, config)
    }

    /// Groups a mixed stream of touchpoints by customer and builds every
    /// customer's journey, ordered by customer id.
    ///
    /// Every touchpoint ends up in exactly one journey. The work is one
    /// unstable sort of the touchpoints in `Ord` order (customer, time, kind,
    /// then the rest, so the result never depends on input order), one copy of
    /// each touchpoint into its journey, and one pass per journey that cuts
    /// sessions and the stage path.
    ///
    /// A sort of compact keys followed by moving each touchpoint to its place
    /// was tried and measured slower at 10M touchpoints: the random reads of
    /// large touchpoints cost more than the extra moves of a cache-friendly
    /// in-place sort (benches/README.md).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad configuration; empty input is fine
    /// and gives no journeys.
    pub fn group(mut touchpoints: Vec<Touchpoint>, config: &JourneyConfig) -> Result<Vec<Journey>> {
        config.validate()?;
        touchpoints.sort_unstable();
        cut_sorted(touchpoints, config)
    }

    /// Builds the derived parts of a journey from sorted touchpoints of one
    /// customer, through a one-customer [`EventLog`], so the journey runs the
    /// same code as every view of a log.
    fn from_sorted(
        customer: CustomerId,
        touchpoints: Vec<Touchpoint>,
        config: &JourneyConfig,
    ) -> Result<Journey> {
        let log = Arc::new(EventLog::from_touchpoints(&touchpoints, config)?);
        Ok(Journey::with_log(
            customer,
            touchpoints,
            config,
            SharedLog { log, index: 0 },
        ))
    }

    fn with_log(
        customer: CustomerId,
        touchpoints: Vec<Touchpoint>,
        config: &JourneyConfig,
        log: SharedLog,
    ) -> Journey {
        let (sessions, stage_path, first_order) = match log.log.journey(log.index) {
            Some(view) => (
                view.sessions().collect(),
                view.stage_path().collect(),
                view.first_order_index(),
            ),
            None => (Vec::new(), Vec::new(), None),
        };
        Journey {
            config: config.clone(),
            customer,
            touchpoints,
            sessions,
            stage_path,
            first_order,
            log,
        }
    }

    /// The journey as a view of an event log: what analyses take.
    #[must_use]
    pub fn view(&self) -> JourneyView<'_> {
        self.log
            .log
            .journey(self.log.index)
            .unwrap_or_else(|| JourneyView::new(&self.log.log, 0, 0, 0))
    }

    /// The customer.
    #[must_use]
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The configuration the journey was built with.
    #[must_use]
    pub fn config(&self) -> &JourneyConfig {
        &self.config
    }

    /// The touchpoints in order. Never empty.
    #[must_use]
    pub fn touchpoints(&self) -> &[Touchpoint] {
        &self.touchpoints
    }

    /// Gives the touchpoints back.
    #[must_use]
    pub fn into_touchpoints(self) -> Vec<Touchpoint> {
        self.touchpoints
    }

    /// The number of touchpoints.
    #[must_use]
    pub fn len(&self) -> usize {
        self.touchpoints.len()
    }

    /// Always `false`: a journey has at least one touchpoint.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.touchpoints.is_empty()
    }

    /// The sessions, in order; they partition the touchpoints.
    #[must_use]
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// The touchpoints of one session (empty for an index out of range).
    #[must_use]
    pub fn session_touchpoints(&self, session: usize) -> &[Touchpoint] {
        self.sessions
            .get(session)
            .and_then(|s| self.touchpoints.get(s.range()))
            .unwrap_or(&[])
    }

    /// The stages entered, in order, with entry time and time spent.
    /// Consecutive touchpoints of one stage form one visit; touchpoints without
    /// a stage (custom kinds without an override) are passed over.
    #[must_use]
    pub fn stage_path(&self) -> &[StageVisit] {
        &self.stage_path
    }

    /// The stage of the last staged touchpoint.
    #[must_use]
    pub fn current_stage(&self) -> Option<Stage> {
        self.stage_path.last().map(|v| v.stage)
    }

    /// The furthest stage ever reached.
    #[must_use]
    pub fn furthest_stage(&self) -> Option<Stage> {
        self.stage_path.iter().map(|v| v.stage).max()
    }

    /// The stage the journey assigns to touchpoint `i`: its override, else its
    /// kind's default, moved to retention after the first order when the
    /// configuration says so.
    #[must_use]
    pub fn stage_of(&self, i: usize) -> Option<Stage> {
        self.view().stage_of(i)
    }

    /// The first touchpoint's time.
    #[must_use]
    pub fn first_touch_at(&self) -> DateTime<Utc> {
        self.touchpoints
            .first()
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.at)
    }

    /// The last touchpoint's time.
    #[must_use]
    pub fn last_touch_at(&self) -> DateTime<Utc> {
        self.touchpoints
            .last()
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.at)
    }

    /// Whether the customer completed at least one order.
    #[must_use]
    pub fn converted(&self) -> bool {
        self.first_order.is_some()
    }

    /// Index of the first completed order.
    #[must_use]
    pub fn first_order_index(&self) -> Option<usize> {
        self.first_order
    }

    /// When the first order was completed.
    #[must_use]
    pub fn first_order_at(&self) -> Option<DateTime<Utc>> {
        self.first_order
            .and_then(|i| self.touchpoints.get(i))
            .map(|t| t.at)
    }

    /// From the first touch to the first completed order.
    #[must_use]
    pub fn time_to_first_order(&self) -> Option<TimeDelta> {
        self.first_order_at().map(|at| at - self.first_touch_at())
    }

    /// The number of completed orders (touchpoints of kind `order_completed`).
    #[must_use]
    pub fn orders(&self) -> usize {
        self.touchpoints
            .iter()
            .filter(|t| t.is(BuiltinKind::OrderCompleted))
            .count()
    }
}

impl<'de> Deserialize<'de> for Journey {
    /// Reads `config` and `touchpoints` and rebuilds everything else, so a
    /// deserialized journey always keeps its invariants.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            config: JourneyConfig,
            touchpoints: Vec<Touchpoint>,
        }
        let raw = Raw::deserialize(d)?;
        Journey::new(raw.touchpoints, &raw.config).map_err(serde::de::Error::custom)
    }
}

/// Cuts touchpoints sorted by customer into journeys that share one
/// [`EventLog`] of all of them.
fn cut_sorted(mut touchpoints: Vec<Touchpoint>, config: &JourneyConfig) -> Result<Vec<Journey>> {
    let log = Arc::new(EventLog::from_touchpoints(&touchpoints, config)?);
    let mut journeys = Vec::with_capacity(log.customer_count());
    for index in (0..log.customer_count()).rev() {
        let Some(view) = log.journey(index) else {
            continue;
        };
        let start = touchpoints.len().saturating_sub(view.len());
        let part = touchpoints.split_off(start);
        let shared = SharedLog {
            log: Arc::clone(&log),
            index,
        };
        journeys.push(Journey::with_log(view.customer(), part, config, shared));
    }
    journeys.reverse();
    Ok(journeys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    #[test]
    fn sessions_split_on_gaps_longer_than_the_limit() {
        let c = CustomerId(9);
        let tps = vec![
            Touchpoint::new(c, at(0), BuiltinKind::ProductView),
            Touchpoint::new(c, at(30), BuiltinKind::ProductView), // exactly 30 min: same session
            Touchpoint::new(c, at(61), BuiltinKind::ProductView), // 31 min: new session
        ];
        let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
        assert_eq!(j.sessions().len(), 2);
        assert_eq!(j.sessions()[0].range(), 0..2);
        assert_eq!(j.session_touchpoints(1).len(), 1);
        assert!(j.session_touchpoints(5).is_empty());
    }

    #[test]
    fn repeat_activity_counts_as_retention() {
        let c = CustomerId(1);
        let tps = vec![
            Touchpoint::new(c, at(0), BuiltinKind::ProductView),
            Touchpoint::new(c, at(1), BuiltinKind::OrderCompleted),
            Touchpoint::new(c, at(100), BuiltinKind::ProductView),
            Touchpoint::new(c, at(101), BuiltinKind::OrderCompleted),
            Touchpoint::new(c, at(200), BuiltinKind::ReviewWritten),
        ];
        let j = Journey::new(tps.clone(), &JourneyConfig::default()).unwrap();
        let path: Vec<_> = j
            .stage_path()
            .iter()
            .map(|v| (v.stage, v.touchpoints))
            .collect();
        assert_eq!(
            path,
            [
                (Stage::Consideration, 1),
                (Stage::Decision, 1),
                (Stage::Retention, 2),
                (Stage::Advocacy, 1)
            ]
        );
        assert_eq!(j.stage_path()[2].time_spent, TimeDelta::minutes(100));
        assert_eq!(j.stage_path()[3].time_spent, TimeDelta::zero());
        assert_eq!(j.orders(), 2);
        assert_eq!(j.furthest_stage(), Some(Stage::Advocacy));
        let plain = JourneyConfig {
            repeat_activity_as_retention: false,
            ..JourneyConfig::default()
        };
        let j = Journey::new(tps, &plain).unwrap();
        assert_eq!(j.stage_path().len(), 5);
        assert_eq!(j.stage_of(2), Some(Stage::Consideration));
    }

    #[test]
    fn bad_input_is_refused() {
        let cfg = JourneyConfig::default();
        assert_eq!(
            Journey::new(vec![], &cfg),
            Err(Error::EmptyInput {
                what: "touchpoints of a journey"
            })
        );
        let mixed = vec![
            Touchpoint::new(CustomerId(1), at(0), BuiltinKind::ProductView),
            Touchpoint::new(CustomerId(2), at(0), BuiltinKind::ProductView),
        ];
        assert_eq!(
            Journey::new(mixed, &cfg),
            Err(Error::MixedCustomers {
                expected: "1".into(),
                found: "2".into()
            })
        );
        let bad = JourneyConfig {
            session_gap: TimeDelta::zero(),
            ..cfg
        };
        assert!(matches!(
            Journey::group(vec![], &bad),
            Err(Error::InvalidConfig { .. })
        ));
        assert_eq!(
            Journey::group(vec![], &JourneyConfig::default()),
            Ok(vec![])
        );
    }
}
