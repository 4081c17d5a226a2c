//! The stage funnel: awareness → consideration → decision → retention →
//! advocacy over the journeys' stage paths, on the same kernel as the step
//! funnels.

use chrono::TimeDelta;

use crate::error::{Error, Result};
use crate::funnel::kernel::{self, Rules, TraceEvent};
use crate::funnel::mode::FunnelMode;
use crate::funnel::path::{FunnelPath, StepHit};
use crate::journey::StageVisit;
use crate::log::JourneyView;
use crate::model::Stage;

/// A funnel whose steps are stages, fed by each journey's
/// [`stage_path`](JourneyView::stage_path): every entry into a stage is one
/// event at the time the stage was entered.
///
/// ```
/// use chrono::TimeDelta;
/// use cxjourney::funnel::{FunnelAccumulator, FunnelMode, StageFunnel};
/// use cxjourney::log::EventLog;
/// use cxjourney::sample::{SampleConfig, SampleShop};
/// use cxjourney::{Accumulator, JourneyConfig, Stage};
/// let shop = SampleShop::generate(&SampleConfig { customers: 100, ..SampleConfig::default() })?;
/// let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default())?;
/// let funnel = StageFunnel::new(Stage::ALL.to_vec(), TimeDelta::days(365), FunnelMode::first_entry())?;
/// let mut acc = FunnelAccumulator::for_stages(&funnel);
/// for j in log.journeys() { acc.add(j)?; }
/// let report = acc.finish()?;
/// assert_eq!(report.steps[0].step, "awareness");
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StageFunnel {
    stages: Vec<Stage>,
    rules: Rules,
}

impl StageFunnel {
    /// The window, in whole seconds.
    pub(crate) fn window_seconds(&self) -> i64 {
        self.rules.window
    }

    /// The mode.
    pub(crate) fn mode(&self) -> FunnelMode {
        self.rules.mode
    }

    /// Stages in funnel order, a window from the first stage, and a mode.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no stages, a repeated stage, a negative
    /// window, `strict_once`, or an invalid mode.
    pub fn new(stages: Vec<Stage>, window: TimeDelta, mode: FunnelMode) -> Result<StageFunnel> {
        if stages.is_empty() {
            return Err(Error::InvalidConfig {
                field: "stages",
                value: "[]".to_owned(),
                reason: "a stage funnel needs at least one stage",
            });
        }
        for (i, s) in stages.iter().enumerate() {
            if stages.iter().skip(i + 1).any(|t| t == s) {
                return Err(Error::InvalidConfig {
                    field: "stages",
                    value: s.to_string(),
                    reason: "each stage appears once",
                });
            }
        }
        if window < TimeDelta::zero()
            || window.num_seconds() > crate::funnel::config::MAX_WINDOW_SECONDS
        {
            return Err(Error::InvalidConfig {
                field: "window",
                value: format!("{} seconds", crate::model::time::secs_f64(window)),
                reason: "must be within 0 and 100 years (MAX_WINDOW_SECONDS)",
            });
        }
        if mode.strict_once {
            return Err(Error::InvalidConfig {
                field: "mode.strict_once",
                value: mode.to_string(),
                reason: "a stage visit matches one stage only; use the default mode",
            });
        }
        mode.validate()?;
        let n = u8::try_from(stages.len()).unwrap_or(u8::MAX);
        Ok(StageFunnel {
            stages,
            rules: Rules::plain(n, window.num_seconds(), mode),
        })
    }

    /// The stages, in funnel order.
    #[must_use]
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// One customer's path through the stages.
    #[must_use]
    pub fn path(&self, journey: JourneyView<'_>) -> FunnelPath {
        let visits: Vec<StageVisit> = journey.stage_path().collect();
        let mut events: Vec<TraceEvent> = visits
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let code = self
                    .stages
                    .iter()
                    .position(|s| *s == v.stage)
                    .map_or(0, |p| u8::try_from(p + 1).unwrap_or(0));
                (
                    v.entered_at.timestamp(),
                    code,
                    u32::try_from(i).unwrap_or(u32::MAX),
                )
            })
            .filter(|e| e.1 != 0 || self.rules.mode.strict_order)
            .collect();
        events.sort_unstable();
        let t = kernel::trace(&self.rules, &events);
        let hits = t
            .matched
            .iter()
            .take(self.stages.len())
            .map(|m| {
                m.and_then(|(_, pos)| {
                    visits.get(pos as usize).map(|v| StepHit {
                        touchpoint: v.first,
                        at: v.entered_at,
                    })
                })
            })
            .collect();
        FunnelPath {
            level: usize::from(t.level),
            hits,
            stop: t.reason,
            held: None,
            scope: 0..journey.len(),
        }
    }
}
