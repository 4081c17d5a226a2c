//! The compiled funnel: evaluates a journey into one path per counting unit
//! (the steps it reached, with the touchpoints that filled them, and why it
//! stopped), through the shared kernel.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::funnel::config::{CountingUnit, FunnelConfig, Property};
use crate::funnel::kernel::{self, EXCLUSION_CODE, Rules, StopReason, TraceEvent};
use crate::funnel::mode::Anchoring;
use crate::funnel::step::Condition;
use crate::funnel::witness::{Witness, WitnessStep, WitnessTouch};
use crate::journey::Journey;
use crate::model::{BuiltinKind, Touchpoint};

/// The touchpoint that filled a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepHit {
    /// Its index in the journey's touchpoints.
    pub touchpoint: usize,
    /// Its time.
    pub at: DateTime<Utc>,
}

/// One counting unit's way through the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelPath {
    /// The highest step reached (0 = none).
    pub level: usize,
    /// For each step, the touchpoint that filled it in the best chain.
    pub hits: Vec<Option<StepHit>>,
    /// Why the path ended where it did.
    pub stop: StopReason,
    /// The value of the held property, when one is held.
    pub held: Option<String>,
    /// The unit's touchpoints (indices into the journey): the whole journey,
    /// a session, or an attempt's remainder.
    pub scope: std::ops::Range<usize>,
}

impl FunnelPath {
    /// Whether every step was reached.
    #[must_use]
    pub fn converted(&self) -> bool {
        self.level == self.hits.len()
    }
}

/// A compiled [`FunnelConfig`]: evaluates journeys.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::funnel::{Funnel, FunnelConfig, Step, StopReason};
/// use cxjourney::{BuiltinKind as K, CustomerId, Journey, JourneyConfig, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 12, 12, 19, 0, 0).unwrap();
/// let c = CustomerId(1);
/// let journey = Journey::new(vec![
///     Touchpoint::new(c, t0, K::ProductView),
///     Touchpoint::new(c, t0 + TimeDelta::minutes(2), K::AddToCart),
///     Touchpoint::new(c, t0 + TimeDelta::hours(3), K::CheckoutStart),
/// ], &JourneyConfig::default())?;
/// let funnel = Funnel::new(FunnelConfig::new(
///     vec![Step::kind(K::ProductView), Step::kind(K::AddToCart), Step::kind(K::CheckoutStart)],
///     TimeDelta::hours(1),
/// ))?;
/// assert_eq!(funnel.level(&journey)?, 2);
/// let witness = funnel.witness(&journey)?;
/// assert_eq!(witness.path.stop, StopReason::OutOfWindow { step: 3 });
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    config: FunnelConfig,
    rules: Rules,
    /// When every step is one built-in kind: the step mask of each kind.
    kind_masks: Option<Vec<u32>>,
}

impl Funnel {
    /// Compiles a configuration.
    ///
    /// # Errors
    /// As [`FunnelConfig::validate`].
    pub fn new(config: FunnelConfig) -> Result<Funnel> {
        config.validate()?;
        let mut rules = Rules::plain(
            u8::try_from(config.steps.len()).unwrap_or(u8::MAX),
            config.window.num_seconds(),
            config.mode,
        );
        for (i, s) in config.steps.iter().enumerate() {
            if s.optional {
                rules.optional |= 1u32 << i;
            }
            if let Some(slot) = rules.step_window.get_mut(i) {
                *slot = s.max_gap.map(|g| g.num_seconds());
            }
            if let Some(slot) = rules.min_gap.get_mut(i) {
                // ceil: a gap in whole seconds is >= g exactly when >= ceil(g)
                *slot = s.min_gap.map(|g| {
                    let secs = g.num_seconds();
                    if g > TimeDelta::seconds(secs) {
                        secs + 1
                    } else {
                        secs
                    }
                });
            }
        }
        rules.exclusions = config.exclusions.iter().map(|e| (e.from, e.to)).collect();
        let mut kind_masks = Some(vec![0u32; BuiltinKind::ALL.len()]);
        for (i, s) in config.steps.iter().enumerate() {
            match (s.conditions.as_slice(), kind_masks.as_mut()) {
                ([Condition::Kind { kind }], Some(table)) if kind.builtin().is_some() => {
                    if let Some(m) = kind.builtin().and_then(|k| table.get_mut(k.index())) {
                        *m |= 1u32 << i;
                    }
                }
                _ => kind_masks = None,
            }
        }
        Ok(Funnel {
            config,
            rules,
            kind_masks,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &FunnelConfig {
        &self.config
    }

    /// The step names.
    pub fn step_names(&self) -> impl Iterator<Item = &str> {
        self.config.steps.iter().map(|s| s.name.as_str())
    }

    /// The customer's level over the whole journey (what ClickHouse
    /// `windowFunnel` returns for the customer).
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] from `strict_once` or a held property.
    pub fn level(&self, journey: &Journey) -> Result<usize> {
        self.level_with(journey, &mut Vec::new())
    }

    /// [`Funnel::level`] of many journeys, with one working buffer.
    ///
    /// # Errors
    /// As [`Funnel::level`].
    pub fn levels(&self, journeys: &[Journey]) -> Result<Vec<usize>> {
        let mut buf = Vec::new();
        journeys
            .iter()
            .map(|j| self.level_with(j, &mut buf))
            .collect()
    }

    fn level_with(&self, journey: &Journey, buf: &mut Vec<TraceEvent>) -> Result<usize> {
        let tps = journey.touchpoints();
        if self.rules.is_plain()
            && self.config.hold_constant.is_none()
            && !self.rules.mode.strict_once
        {
            self.step_events(tps, None, buf);
            return Ok(usize::from(kernel::level(
                &self.rules,
                buf.iter().map(|&(t, c, _)| (t, c)),
            )));
        }
        Ok(self.best(tps, 0, &self.rules)?.level)
    }

    /// The paths of one journey, one per counting unit.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] from `strict_once` or a held property.
    pub fn paths(&self, journey: &Journey) -> Result<Vec<FunnelPath>> {
        let tps = journey.touchpoints();
        match self.config.unit {
            CountingUnit::Customers => Ok(vec![self.best(tps, 0, &self.rules)?]),
            CountingUnit::Sessions => journey
                .sessions()
                .iter()
                .map(|s| self.best(tps.get(s.range()).unwrap_or(&[]), s.start, &self.rules))
                .collect(),
            CountingUnit::Conversions => {
                let mut rules = self.rules.clone();
                rules.mode.anchoring = Anchoring::First;
                let mut out = Vec::new();
                let mut from = 0usize;
                while from < tps.len() {
                    let path = self.best(tps.get(from..).unwrap_or(&[]), from, &rules)?;
                    let (Some(Some(first)), true) = (path.hits.first(), path.level > 0) else {
                        break;
                    };
                    let end = if path.converted() {
                        path.hits
                            .iter()
                            .flatten()
                            .map(|h| h.at)
                            .max()
                            .unwrap_or(first.at)
                    } else {
                        first
                            .at
                            .checked_add_signed(TimeDelta::seconds(rules.window))
                            .unwrap_or(DateTime::<Utc>::MAX_UTC)
                    };
                    let end_s = end.timestamp();
                    out.push(path);
                    let next = tps
                        .iter()
                        .enumerate()
                        .skip(from)
                        .find(|(_, t)| t.at.timestamp() > end_s)
                        .map_or(tps.len(), |(i, _)| i);
                    if next <= from {
                        break;
                    }
                    from = next;
                }
                Ok(out)
            }
        }
    }

    /// Which touchpoints matched which step, and why the customer stopped,
    /// over the whole journey.
    ///
    /// # Errors
    /// As [`Funnel::level`].
    pub fn witness(&self, journey: &Journey) -> Result<Witness> {
        let path = self.best(journey.touchpoints(), 0, &self.rules)?;
        let steps = self
            .config
            .steps
            .iter()
            .zip(&path.hits)
            .map(|(s, h)| WitnessStep {
                step: s.name.clone(),
                matched: h.as_ref().and_then(|h| {
                    journey
                        .touchpoints()
                        .get(h.touchpoint)
                        .map(|t| WitnessTouch {
                            touchpoint: h.touchpoint,
                            at: h.at,
                            event: t.event_name().to_owned(),
                            kind: t.kind.as_str().to_owned(),
                        })
                }),
            })
            .collect();
        Ok(Witness {
            customer: journey.customer().0,
            steps,
            path,
        })
    }

    /// Builds the sorted trace events of `tps`; with `held`, step matches of
    /// other values count as events that match no step.
    fn step_events(
        &self,
        tps: &[Touchpoint],
        held: Option<(&Property, &str)>,
        buf: &mut Vec<TraceEvent>,
    ) {
        buf.clear();
        let keep_unmatched = self.rules.mode.strict_order;
        for (i, t) in tps.iter().enumerate() {
            let ts = t.at.timestamp();
            let pos = u32::try_from(i).unwrap_or(u32::MAX);
            let held_ok = held.is_none_or(|(p, v)| p.of(t) == Some(v));
            let mut any = false;
            if held_ok {
                if let Some(table) = &self.kind_masks {
                    let mut m = t
                        .kind
                        .builtin()
                        .and_then(|k| table.get(k.index()))
                        .copied()
                        .unwrap_or(0);
                    any = m != 0;
                    while m != 0 {
                        let bit = m.trailing_zeros();
                        buf.push((ts, u8::try_from(bit + 1).unwrap_or(u8::MAX), pos));
                        m &= m - 1;
                    }
                } else {
                    for (k, step) in self.config.steps.iter().enumerate() {
                        if step.matches(t) {
                            buf.push((ts, u8::try_from(k + 1).unwrap_or(u8::MAX), pos));
                            any = true;
                        }
                    }
                }
            }
            if !any && keep_unmatched {
                buf.push((ts, 0, pos));
            }
            for (e, ex) in self.config.exclusions.iter().enumerate() {
                if ex.step.matches(t) {
                    buf.push((ts, EXCLUSION_CODE + u8::try_from(e).unwrap_or(0), pos));
                }
            }
        }
        buf.sort_unstable();
    }

    /// The best path over `tps` (offset `off` in the journey).
    fn best(&self, tps: &[Touchpoint], off: usize, rules: &Rules) -> Result<FunnelPath> {
        let mut buf = Vec::with_capacity(tps.len() + 4);
        let Some(prop) = self.config.hold_constant else {
            self.step_events(tps, None, &mut buf);
            return self.path_of(tps, off, rules, &buf, None);
        };
        let values: BTreeSet<&str> = tps
            .iter()
            .filter(|t| self.config.steps.iter().any(|s| s.matches(t)))
            .filter_map(|t| prop.of(t))
            .collect();
        if (values.len() as u64).saturating_mul(tps.len() as u64) > 1 << 26 {
            return Err(Error::TooMuchWork {
                what: "held-property values times touchpoints of one journey",
                limit: 1 << 26,
            });
        }
        let mut best: Option<FunnelPath> = None;
        for v in values {
            self.step_events(tps, Some((&prop, v)), &mut buf);
            let path = self.path_of(tps, off, rules, &buf, Some(v))?;
            if best.as_ref().is_none_or(|b| path.level > b.level) {
                best = Some(path);
            }
        }
        match best {
            Some(b) => Ok(b),
            None => {
                self.step_events(tps, Some((&prop, "")), &mut buf);
                buf.retain(|&(_, c, _)| c == 0 || c >= EXCLUSION_CODE);
                self.path_of(tps, off, rules, &buf, None)
            }
        }
    }

    fn path_of(
        &self,
        tps: &[Touchpoint],
        off: usize,
        rules: &Rules,
        events: &[TraceEvent],
        held: Option<&str>,
    ) -> Result<FunnelPath> {
        let n = self.config.steps.len();
        let hit = |pos: u32| {
            tps.get(pos as usize).map(|t| StepHit {
                touchpoint: off + pos as usize,
                at: t.at,
            })
        };
        let (level, hits, stop) = if rules.mode.strict_once {
            let (level, rows) = kernel::level_strict_once(rules, events)?;
            let mut hits: Vec<Option<StepHit>> = rows.iter().map(|&r| hit(r)).collect();
            hits.resize(n, None);
            let level = usize::from(level);
            let stop = if level >= n {
                StopReason::Converted
            } else {
                StopReason::NeverReached {
                    step: u8::try_from(level + 1).unwrap_or(u8::MAX),
                }
            };
            (level, hits, stop)
        } else {
            let t = kernel::trace(rules, events);
            let hits = t
                .matched
                .iter()
                .take(n)
                .map(|m| m.and_then(|(_, pos)| hit(pos)))
                .collect();
            let stop = match t.reason {
                StopReason::StrictOrderBreak { event } => StopReason::StrictOrderBreak {
                    event: u32::try_from(off).unwrap_or(u32::MAX).saturating_add(event),
                },
                other => other,
            };
            (usize::from(t.level), hits, stop)
        };
        Ok(FunnelPath {
            level,
            hits,
            stop,
            held: held.map(str::to_owned),
            scope: off..off + tps.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funnel::{FunnelAccumulator, FunnelMode, StageFunnel, Step, Touch};
    use crate::journey::JourneyConfig;
    use crate::model::{BuiltinChannel, BuiltinKind as K, CustomerId, Stage};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 11, 10, 0, 0).unwrap()
    }

    fn tp(c: u64, min: i64, kind: K) -> Touchpoint {
        Touchpoint::new(CustomerId(c), t0() + TimeDelta::minutes(min), kind)
    }

    fn journey(tps: Vec<Touchpoint>) -> Journey {
        Journey::new(tps, &JourneyConfig::default()).unwrap()
    }

    fn four() -> Vec<Step> {
        vec![
            Step::kind(K::ProductView),
            Step::kind(K::AddToCart),
            Step::kind(K::CheckoutStart),
            Step::kind(K::OrderCompleted),
        ]
    }

    fn funnel(config: FunnelConfig) -> Funnel {
        Funnel::new(config).unwrap()
    }

    #[test]
    fn exclusion_stops_the_chain_between_its_steps() {
        let j = journey(vec![
            tp(1, 0, K::ProductView),
            tp(1, 1, K::AddToCart),
            tp(1, 2, K::AdClick),
            tp(1, 3, K::CheckoutStart),
            tp(1, 4, K::OrderCompleted),
        ]);
        let base = FunnelConfig::new(four(), TimeDelta::hours(1));
        assert_eq!(funnel(base.clone()).level(&j).unwrap(), 4);
        let f = funnel(base.clone().excluding(Step::kind(K::AdClick), 2, 3));
        let w = f.witness(&j).unwrap();
        assert_eq!(w.path.level, 2);
        assert_eq!(w.path.stop, StopReason::Excluded { exclusion: 0 });
        // outside its steps the exclusion does nothing
        let f = funnel(base.excluding(Step::kind(K::AdClick), 3, 4));
        assert_eq!(f.level(&j).unwrap(), 4);
    }

    #[test]
    fn optional_step_may_be_skipped() {
        let j = journey(vec![
            tp(1, 0, K::ProductView),
            tp(1, 3, K::CheckoutStart),
            tp(1, 4, K::OrderCompleted),
        ]);
        let mut steps = four();
        assert_eq!(
            funnel(FunnelConfig::new(steps.clone(), TimeDelta::hours(1)))
                .level(&j)
                .unwrap(),
            1
        );
        steps[1] = steps[1].clone().optional();
        let f = funnel(FunnelConfig::new(steps, TimeDelta::hours(1)));
        let p = f.witness(&j).unwrap().path;
        assert_eq!(p.level, 4);
        assert!(p.hits[1].is_none() && p.hits[3].is_some());
        let mut acc = FunnelAccumulator::new(&f);
        acc.add(&j).unwrap();
        let r = acc.finish();
        assert_eq!(
            r.steps.iter().map(|s| s.reached).collect::<Vec<_>>(),
            [1, 0, 1, 1]
        );
        // the first step cannot be optional
        let mut bad = four();
        bad[0] = bad[0].clone().optional();
        assert!(Funnel::new(FunnelConfig::new(bad, TimeDelta::hours(1))).is_err());
    }

    #[test]
    fn per_step_windows_and_gaps() {
        let j = journey(vec![
            tp(1, 0, K::ProductView),
            tp(1, 20, K::AddToCart),
            tp(1, 21, K::CheckoutStart),
        ]);
        let mut steps = four();
        steps[1] = steps[1].clone().within(TimeDelta::minutes(10));
        let w = funnel(FunnelConfig::new(steps, TimeDelta::hours(1)))
            .witness(&j)
            .unwrap();
        assert_eq!(
            (w.path.level, w.path.stop),
            (1, StopReason::OutOfWindow { step: 2 })
        );
        let mut steps = four();
        steps[2] = steps[2].clone().at_least_after(TimeDelta::minutes(5));
        let w = funnel(FunnelConfig::new(steps, TimeDelta::hours(1)))
            .witness(&j)
            .unwrap();
        assert_eq!(
            (w.path.level, w.path.stop),
            (2, StopReason::TooSoon { step: 3 })
        );
    }

    #[test]
    fn held_property_keeps_one_order_through_the_steps() {
        let j = journey(vec![
            tp(1, 0, K::ProductView).with_order("a"),
            tp(1, 1, K::AddToCart).with_order("a"),
            tp(1, 2, K::CheckoutStart).with_order("b"),
            tp(1, 3, K::OrderCompleted).with_order("b"),
        ]);
        let base = FunnelConfig::new(four(), TimeDelta::hours(1));
        assert_eq!(funnel(base.clone()).level(&j).unwrap(), 4);
        let f = funnel(base.holding(Property::Order));
        let p = f.witness(&j).unwrap().path;
        assert_eq!(p.level, 2);
        assert_eq!(p.held.as_deref(), Some("a"));
    }

    #[test]
    fn counting_units() {
        // two attempts: one converts, the next only views
        let j = journey(vec![
            tp(1, 0, K::ProductView),
            tp(1, 1, K::AddToCart),
            tp(1, 2, K::CheckoutStart),
            tp(1, 3, K::OrderCompleted),
            tp(1, 300, K::ProductView),
            tp(1, 301, K::AddToCart),
        ]);
        let f = funnel(
            FunnelConfig::new(four(), TimeDelta::hours(1)).counting(CountingUnit::Conversions),
        );
        let levels: Vec<usize> = f.paths(&j).unwrap().iter().map(|p| p.level).collect();
        assert_eq!(levels, [4, 2]);
        let f =
            funnel(FunnelConfig::new(four(), TimeDelta::hours(1)).counting(CountingUnit::Sessions));
        let levels: Vec<usize> = f.paths(&j).unwrap().iter().map(|p| p.level).collect();
        assert_eq!(levels, [4, 2]);
        let mut acc = FunnelAccumulator::new(&f);
        acc.add(&j).unwrap();
        let r = acc.finish();
        assert_eq!((r.customers, r.units, r.converted), (1, 2, 1));
        assert_eq!(r.time_to_convert.unwrap().median_seconds, 180.0);
        assert!(r.to_string().contains("sessions"));
    }

    #[test]
    fn breakdown_at_first_last_and_step() {
        let j = journey(vec![
            tp(1, 0, K::AdClick).with_channel(BuiltinChannel::Sms),
            tp(1, 1, K::ProductView).with_channel(BuiltinChannel::Email),
            tp(1, 2, K::AddToCart),
        ]);
        for (touch, want) in [
            (Touch::FirstTouch, "sms"),
            (Touch::LastTouch, "direct"),
            (Touch::Step { step: 1 }, "email"),
            (Touch::Step { step: 3 }, "(none)"),
        ] {
            let f = funnel(
                FunnelConfig::new(four(), TimeDelta::hours(1))
                    .breakdown_by(Property::Channel, touch),
            );
            let mut acc = FunnelAccumulator::new(&f);
            acc.add(&j).unwrap();
            let r = acc.finish();
            assert_eq!(r.breakdown.keys().collect::<Vec<_>>(), [want], "{touch:?}");
            assert_eq!(r.breakdown[want].reached, [1, 1, 0, 0]);
        }
        let f = funnel(FunnelConfig::new(four(), TimeDelta::hours(1)));
        let mut acc = FunnelAccumulator::new(&f);
        acc.add_with_key(&j, "researcher").unwrap();
        let r = acc.finish();
        assert_eq!(r.breakdown["researcher"].units, 1);
        assert_eq!(r.trend["2024-11-11"].entered, 1);
    }

    #[test]
    fn strict_once_on_journeys_uses_an_event_once() {
        let j = journey(vec![tp(1, 0, K::ProductView)]);
        let steps = vec![Step::kind(K::ProductView), Step::new("anything", vec![])];
        let f = funnel(FunnelConfig::new(steps.clone(), TimeDelta::hours(1)));
        assert_eq!(f.level(&j).unwrap(), 2);
        let f = funnel(
            FunnelConfig::new(steps, TimeDelta::hours(1)).with_mode(FunnelMode::strict_once()),
        );
        assert_eq!(f.level(&j).unwrap(), 1);
    }

    #[test]
    fn stage_funnel_follows_the_stage_path() {
        let j = journey(vec![
            tp(1, 0, K::AdClick),
            tp(1, 1, K::ProductView),
            tp(1, 2, K::OrderCompleted),
        ]);
        let f = StageFunnel::new(
            Stage::ALL.to_vec(),
            TimeDelta::days(30),
            FunnelMode::default(),
        )
        .unwrap();
        let p = f.path(&j);
        assert_eq!(p.level, 3);
        assert_eq!(p.hits[1].as_ref().map(|h| h.touchpoint), Some(1));
        assert!(
            StageFunnel::new(
                vec![Stage::Awareness, Stage::Awareness],
                TimeDelta::days(1),
                FunnelMode::default()
            )
            .is_err()
        );
    }

    #[test]
    fn config_round_trips_and_rejects_bad_values() {
        let c = FunnelConfig::new(four(), TimeDelta::hours(1))
            .excluding(Step::kind(K::AdClick), 1, 2)
            .holding(Property::Order)
            .breakdown_by(Property::Channel, Touch::Step { step: 2 });
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<FunnelConfig>(&json).unwrap(), c);
        assert!(
            FunnelConfig::new(vec![], TimeDelta::hours(1))
                .validate()
                .is_err()
        );
        assert!(
            FunnelConfig::new(four(), TimeDelta::hours(-1))
                .validate()
                .is_err()
        );
        assert!(
            FunnelConfig::new(four(), TimeDelta::hours(1))
                .excluding(Step::kind(K::AdClick), 2, 2)
                .validate()
                .is_err()
        );
        assert!(
            FunnelConfig::new(four(), TimeDelta::hours(1))
                .breakdown_by(Property::Channel, Touch::Step { step: 5 })
                .validate()
                .is_err()
        );
        assert!(
            FunnelConfig::new(vec![Step::kind(K::AdClick); 33], TimeDelta::hours(1))
                .validate()
                .is_err()
        );
    }

    const KINDS: [K; 6] = [
        K::ProductView,
        K::AddToCart,
        K::CheckoutStart,
        K::OrderCompleted,
        K::AdClick,
        K::ProductView,
    ];

    fn arb_touchpoints() -> impl Strategy<Value = Vec<Touchpoint>> {
        prop::collection::vec((1u64..5, 0i64..90, 0usize..6, 0u8..2), 0..40).prop_map(|v| {
            v.into_iter()
                .map(|(c, m, k, o)| tp(c, m, KINDS[k]).with_order(if o == 0 { "a" } else { "b" }))
                .collect()
        })
    }

    fn arb_config() -> impl Strategy<Value = FunnelConfig> {
        (0usize..6, 0usize..3, any::<bool>(), 5i64..60).prop_map(|(m, u, hold, w)| {
            let modes = [
                "default",
                "strict_order",
                "strict_deduplication",
                "strict_increase",
                "first_entry",
                "strict_once",
            ];
            let mut c = FunnelConfig::new(four(), TimeDelta::minutes(w))
                .with_mode(modes[m].parse().unwrap())
                .counting(
                    [
                        CountingUnit::Customers,
                        CountingUnit::Conversions,
                        CountingUnit::Sessions,
                    ][u],
                )
                .breakdown_by(Property::Order, Touch::FirstTouch);
            if hold {
                c = c.holding(Property::Order);
            }
            c
        })
    }

    fn report(f: &Funnel, tps: Vec<Touchpoint>) -> crate::funnel::FunnelReport {
        let mut acc = FunnelAccumulator::new(f);
        for j in Journey::group(tps, &JourneyConfig::default()).unwrap() {
            acc.add(&j).unwrap();
        }
        acc.finish()
    }

    proptest! {
        #[test]
        fn merge_equals_whole(tps in arb_touchpoints(), config in arb_config(), cut in 0u64..6) {
            let f = funnel(config);
            let journeys = Journey::group(tps, &JourneyConfig::default()).unwrap();
            let mut whole = FunnelAccumulator::new(&f);
            let mut a = FunnelAccumulator::new(&f);
            let mut b = FunnelAccumulator::new(&f);
            for j in &journeys {
                whole.add(j).unwrap();
                if j.customer().0 < cut { a.add(j).unwrap() } else { b.add(j).unwrap() }
            }
            let mut ba = b.clone();
            ba.merge(a.clone()).unwrap();
            a.merge(b).unwrap();
            let whole = whole.finish();
            prop_assert_eq!(&a.finish(), &whole);
            prop_assert_eq!(&ba.finish(), &whole);
        }

        #[test]
        fn shuffled_input_gives_the_same_report(tps in arb_touchpoints(), config in arb_config(), seed in any::<u64>()) {
            let f = funnel(config);
            let mut shuffled = tps.clone();
            let mut rng = crate::numeric::Rng::new(seed);
            for i in (1..shuffled.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(report(&f, tps), report(&f, shuffled));
        }

        #[test]
        fn levels_stay_within_the_steps_and_reach_is_monotone(tps in arb_touchpoints(), config in arb_config()) {
            let f = funnel(config);
            for j in Journey::group(tps.clone(), &JourneyConfig::default()).unwrap() {
                for p in f.paths(&j).unwrap() {
                    prop_assert!(p.level <= 4);
                    prop_assert_eq!(p.hits.iter().filter(|h| h.is_some()).count(), p.level);
                }
            }
            let r = report(&f, tps);
            for w in r.steps.windows(2) {
                prop_assert!(w[1].reached <= w[0].reached);
            }
        }

        #[test]
        fn kind_table_equals_predicates(tps in arb_touchpoints(), w in 1i64..60, m in 0usize..3) {
            let mode: FunnelMode = ["default", "strict_order", "strict_increase"][m].parse().unwrap();
            let fast = funnel(FunnelConfig::new(four(), TimeDelta::minutes(w)).with_mode(mode));
            let slow_steps = four()
                .into_iter()
                .map(|s| s.and(Condition::Custom(crate::funnel::Predicate::new(|_| true))))
                .collect();
            let slow = funnel(FunnelConfig::new(slow_steps, TimeDelta::minutes(w)).with_mode(mode));
            prop_assert!(fast.kind_masks.is_some() && slow.kind_masks.is_none());
            let js = Journey::group(tps, &JourneyConfig::default()).unwrap();
            prop_assert_eq!(fast.levels(&js).unwrap(), slow.levels(&js).unwrap());
        }

        #[test]
        fn removing_a_touchpoint_never_raises_a_default_level(tps in arb_touchpoints(), drop in any::<prop::sample::Index>(), w in 1i64..60) {
            prop_assume!(!tps.is_empty());
            let f = funnel(FunnelConfig::new(four(), TimeDelta::minutes(w)));
            let before: Vec<(u64, usize)> = Journey::group(tps.clone(), &JourneyConfig::default()).unwrap()
                .iter().map(|j| (j.customer().0, f.level(j).unwrap())).collect();
            let mut fewer = tps.clone();
            fewer.remove(drop.index(tps.len()));
            for j in Journey::group(fewer, &JourneyConfig::default()).unwrap() {
                let old = before.iter().find(|(c, _)| *c == j.customer().0).unwrap().1;
                prop_assert!(f.level(&j).unwrap() <= old);
            }
        }
    }
}
