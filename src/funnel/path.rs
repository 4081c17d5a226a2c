//! The compiled funnel: evaluates a journey view into one path per counting
//! unit (the steps it reached, with the rows that filled them, and why it
//! stopped), through the shared kernel.

use std::collections::BTreeSet;
use std::ops::Range;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::funnel::config::{CountingUnit, FunnelConfig, Property};
use crate::funnel::kernel::{self, EXCLUSION_CODE, Rules, StopReason, TraceEvent};
use crate::funnel::mode::Anchoring;
use crate::funnel::witness::{Witness, WitnessStep, WitnessTouch};
use crate::log::{EventLog, JourneyView};
use crate::step::{Cols, Matcher};

/// The row that filled a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepHit {
    /// Its index in the journey's rows.
    pub touchpoint: usize,
    /// Its time.
    pub at: DateTime<Utc>,
}

/// One counting unit's way through the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelPath {
    /// The highest step reached (0 = none).
    pub level: usize,
    /// For each step, the row that filled it in the best chain.
    pub hits: Vec<Option<StepHit>>,
    /// Why the path ended where it did.
    pub stop: StopReason,
    /// The value of the held property, when one is held.
    pub held: Option<String>,
    /// The unit's rows (indices into the journey): the whole journey, a
    /// session, or an attempt's rows (from where the previous attempt ended
    /// to the close of this attempt's window).
    pub scope: std::ops::Range<usize>,
}

impl FunnelPath {
    /// Whether every step was reached.
    #[must_use]
    pub fn converted(&self) -> bool {
        self.level == self.hits.len()
    }
}

/// Whole seconds since the epoch of a row time in microseconds (ClickHouse
/// `DateTime` drops the fraction: floor).
#[inline(always)]
pub(crate) fn seconds(micros: i64) -> i64 {
    micros.div_euclid(1_000_000)
}

/// Bits of the steps in a [`Matcher`] mask.
const STEP_MASK: u64 = 0xFFFF_FFFF;
/// Packed `(seconds since the journey's first row, step)` keys: the step in
/// the low bits.
const KEY_STEP_BITS: u32 = 6;

/// Working buffers of a scan, reused across journeys.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    keys: Vec<u64>,
    scratch: kernel::Scratch,
}

/// A compiled [`FunnelConfig`]: evaluates journey views of an event log.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cxjourney::funnel::{Funnel, FunnelConfig, Step, StopReason};
/// use cxjourney::log::EventLog;
/// use cxjourney::{BuiltinKind as K, CustomerId, JourneyConfig, Touchpoint};
/// let t0 = Utc.with_ymd_and_hms(2024, 12, 12, 19, 0, 0).unwrap();
/// let c = CustomerId(1);
/// let log = EventLog::from_touchpoints([
///     Touchpoint::new(c, t0, K::ProductView),
///     Touchpoint::new(c, t0 + TimeDelta::minutes(2), K::AddToCart),
///     Touchpoint::new(c, t0 + TimeDelta::hours(3), K::CheckoutStart),
/// ], &JourneyConfig::default())?;
/// let funnel = Funnel::new(FunnelConfig::new(
///     vec![Step::kind(K::ProductView), Step::kind(K::AddToCart), Step::kind(K::CheckoutStart)],
///     TimeDelta::hours(1),
/// ))?;
/// let journey = log.find(c).unwrap();
/// assert_eq!(funnel.level(journey)?, 2);
/// let witness = funnel.witness(journey)?;
/// assert_eq!(witness.path.stop, StopReason::OutOfWindow { step: 3 });
/// assert_eq!(funnel.levels(&log, 0..log.customer_count())?, [2]);
/// # Ok::<(), cxjourney::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    config: FunnelConfig,
    rules: Rules,
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
        Ok(Funnel { config, rules })
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

    /// The steps and exclusions resolved against `log`'s dictionaries.
    pub(crate) fn matcher(&self, log: &EventLog) -> Matcher {
        Matcher::new(
            &self.config.steps,
            self.config.exclusions.iter().map(|e| &e.step),
            log,
        )
    }

    /// Whether the level alone needs only ClickHouse's rules (the fast scan).
    fn levels_only(&self) -> bool {
        self.rules.is_plain() && self.config.hold_constant.is_none() && !self.rules.mode.strict_once
    }

    /// The customer's level over the whole journey (what ClickHouse
    /// `windowFunnel` returns for the customer).
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] from `strict_once` or a held property.
    pub fn level(&self, journey: JourneyView<'_>) -> Result<usize> {
        let m = self.matcher(journey.log());
        self.level_with(&m, journey, &mut Scan::default())
            .map(usize::from)
    }

    /// The levels of the customers `customers` (dense indices, see
    /// [`EventLog::split`]) of `log`, in that order: ClickHouse's
    /// `SELECT windowFunnel(..)(..) ... GROUP BY user_id` for them. The
    /// conditions are resolved against the log once; each journey is one
    /// pass over its column slices with no allocation.
    ///
    /// # Errors
    /// As [`Funnel::level`].
    pub fn levels(&self, log: &EventLog, customers: Range<usize>) -> Result<Vec<u8>> {
        let m = self.matcher(log);
        let mut scan = Scan::default();
        let n = log.customer_count();
        let customers = customers.start.min(n)..customers.end.min(n);
        let mut out = Vec::with_capacity(customers.len());
        for view in log.journeys_in(customers) {
            out.push(self.level_with(&m, view, &mut scan)?);
        }
        Ok(out)
    }

    pub(crate) fn level_with(
        &self,
        m: &Matcher,
        view: JourneyView<'_>,
        scan: &mut Scan,
    ) -> Result<u8> {
        if !self.levels_only() {
            let n = view.len();
            return Ok(
                u8::try_from(self.best(m, view, 0..n, &self.rules)?.level).unwrap_or(u8::MAX)
            );
        }
        let times = view.times();
        let Some(&first) = times.first() else {
            return Ok(0);
        };
        let base = seconds(first);
        let cols = Cols::of(&view);
        let keep_unmatched = self.rules.mode.strict_order;
        let keys = &mut scan.keys;
        keys.clear();
        let events_only = m.events_only();
        for (i, &t) in times.iter().enumerate() {
            let at = (seconds(t).wrapping_sub(base) as u64) << KEY_STEP_BITS;
            let mut mask = if events_only {
                m.event_mask(&cols, i)
            } else {
                m.mask(&view, &cols, i)
            } & STEP_MASK;
            if mask == 0 {
                if keep_unmatched {
                    keys.push(at);
                }
                continue;
            }
            while mask != 0 {
                keys.push(at | u64::from(mask.trailing_zeros() + 1));
                mask &= mask - 1;
            }
        }
        kernel::sort_small(keys);
        Ok(kernel::level_with(
            &self.rules,
            &mut scan.scratch,
            keys.iter().map(|&k| {
                (
                    base.wrapping_add((k >> KEY_STEP_BITS) as i64),
                    (k & ((1 << KEY_STEP_BITS) - 1)) as u8,
                )
            }),
        ))
    }

    /// The paths of one journey, one per counting unit.
    ///
    /// # Errors
    /// [`Error::TooMuchWork`] from `strict_once` or a held property.
    pub fn paths(&self, journey: JourneyView<'_>) -> Result<Vec<FunnelPath>> {
        self.paths_with(&self.matcher(journey.log()), journey)
    }

    pub(crate) fn paths_with(&self, m: &Matcher, view: JourneyView<'_>) -> Result<Vec<FunnelPath>> {
        let n = view.len();
        match self.config.unit {
            CountingUnit::Customers => Ok(vec![self.best(m, view, 0..n, &self.rules)?]),
            CountingUnit::Sessions => view
                .sessions()
                .map(|s| self.best(m, view, s.range(), &self.rules))
                .collect(),
            CountingUnit::Conversions => self.attempts(m, view),
        }
    }

    /// The attempts of one journey (the conversions counting unit).
    ///
    /// An attempt starts at the first step-1 event after the previous
    /// attempt's end and is evaluated on its own rows: from where the previous
    /// attempt ended up to the next attempt's step-1 event (the events after
    /// its window that no later attempt takes still tell why it stopped). It
    /// ends at its conversion, else at its window's close. The journey's
    /// events are sorted once and each is read by at most a few attempts, so
    /// the work is linear in the rows (with a held property, each attempt
    /// reads its rows once per held value, capped).
    fn attempts(&self, m: &Matcher, view: JourneyView<'_>) -> Result<Vec<FunnelPath>> {
        let n = view.len();
        let mut rules = self.rules.clone();
        rules.mode.anchoring = Anchoring::First;
        let times = view.times();
        let window = rules.window;
        // The first row at or after `from` whose second is after `sec`.
        let after = |from: usize, sec: i64| -> usize {
            from + times
                .get(from..)
                .unwrap_or(&[])
                .partition_point(|&t| seconds(t) <= sec)
        };
        let held = self.config.hold_constant;
        let cols = Cols::of(&view);
        // Whether row `i` can start an attempt.
        let starts = |i: usize| {
            m.mask(&view, &cols, i) & 1 != 0
                && held.is_none_or(|p| view.row(i).and_then(|r| p.of(r)).is_some())
        };
        let mut buf = Vec::new();
        if held.is_none() {
            self.step_events(m, view, 0..n, None, &mut buf);
        }
        let mut out = Vec::new();
        let mut from = 0usize;
        let mut ev = 0usize;
        let mut work = 0u64;
        while from < n {
            let mut path = if held.is_none() {
                let rest = buf.get(ev..).unwrap_or(&[]);
                let Some(first) = rest.iter().position(|e| e.1 == 1) else {
                    break;
                };
                let t1 = rest.get(first).map_or(i64::MAX, |e| e.0);
                let close = t1.saturating_add(window);
                let hi = ev + rest.partition_point(|e| e.0 <= close);
                let upto = buf.get(hi..).unwrap_or(&[]);
                let nxt = hi + upto.iter().position(|e| e.1 == 1).unwrap_or(upto.len());
                let scope_end = buf.get(nxt).map_or(n, |e| e.2 as usize);
                let slice = buf.get(ev..nxt).unwrap_or(&[]);
                (
                    self.path_of(view, from..scope_end, 0, &rules, slice, None)?,
                    close,
                )
            } else {
                let Some(start) = (from..n).find(|&i| starts(i)) else {
                    break;
                };
                let close =
                    seconds(times.get(start).copied().unwrap_or_default()).saturating_add(window);
                let stop = after(from, close);
                let scope_end = (stop..n).find(|&i| starts(i)).unwrap_or(n);
                work = work.saturating_add((scope_end - from) as u64);
                if work > 1 << 26 {
                    return Err(Error::TooMuchWork {
                        what: "rows read by the attempts of one journey with a held property",
                        limit: 1 << 26,
                    });
                }
                (self.best(m, view, from..scope_end, &rules)?, close)
            };
            let (Some(Some(_)), true) = (path.0.hits.first(), path.0.level > 0) else {
                if held.is_some() && path.0.scope.end > from {
                    // no chain of one held value here: on to the next start
                    from = path.0.scope.end;
                    continue;
                }
                break;
            };
            let end_s = if path.0.converted() {
                path.0
                    .hits
                    .iter()
                    .flatten()
                    .map(|h| h.at.timestamp())
                    .max()
                    .unwrap_or(path.1)
            } else {
                path.1
            };
            let next = after(from, end_s);
            if path.0.converted() {
                path.0.scope = from..next.max(from);
            }
            out.push(path.0);
            if next <= from {
                break;
            }
            if held.is_none() {
                // the events of the rows before `next`
                ev = buf.partition_point(|e| e.0 <= end_s);
            }
            from = next;
        }
        Ok(out)
    }

    /// Which rows matched which step, and why the customer stopped, over the
    /// whole journey.
    ///
    /// # Errors
    /// As [`Funnel::level`].
    pub fn witness(&self, journey: JourneyView<'_>) -> Result<Witness> {
        let m = self.matcher(journey.log());
        let path = self.best(&m, journey, 0..journey.len(), &self.rules)?;
        let steps = self
            .config
            .steps
            .iter()
            .zip(&path.hits)
            .map(|(s, h)| WitnessStep {
                step: s.name.clone(),
                matched: h.as_ref().and_then(|h| {
                    journey.row(h.touchpoint).map(|r| WitnessTouch {
                        touchpoint: h.touchpoint,
                        at: h.at,
                        event: r.event_name().to_owned(),
                        kind: r.kind().as_str().to_owned(),
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

    /// Builds the sorted trace events of rows `range` of `view` (positions
    /// relative to `range.start`); with `held`, step matches of other values
    /// count as events that match no step.
    fn step_events(
        &self,
        m: &Matcher,
        view: JourneyView<'_>,
        range: Range<usize>,
        held: Option<(Property, &str)>,
        buf: &mut Vec<TraceEvent>,
    ) {
        buf.clear();
        let keep_unmatched = self.rules.mode.strict_order;
        let cols = Cols::of(&view);
        let times = view.times();
        let start = range.start;
        for i in range {
            let ts = seconds(times.get(i).copied().unwrap_or_default());
            let pos = u32::try_from(i - start).unwrap_or(u32::MAX);
            let full = m.mask(&view, &cols, i);
            let held_ok = held.is_none_or(|(p, v)| view.row(i).and_then(|r| p.of(r)) == Some(v));
            let mut steps = if held_ok { full & STEP_MASK } else { 0 };
            if steps == 0 && keep_unmatched {
                buf.push((ts, 0, pos));
            }
            while steps != 0 {
                buf.push((
                    ts,
                    u8::try_from(steps.trailing_zeros() + 1).unwrap_or(u8::MAX),
                    pos,
                ));
                steps &= steps - 1;
            }
            let mut ex = full >> 32;
            while ex != 0 {
                let e = u8::try_from(ex.trailing_zeros()).unwrap_or(0);
                buf.push((ts, EXCLUSION_CODE + e, pos));
                ex &= ex - 1;
            }
        }
        buf.sort_unstable();
    }

    /// The best path over rows `range` of `view`.
    fn best(
        &self,
        m: &Matcher,
        view: JourneyView<'_>,
        range: Range<usize>,
        rules: &Rules,
    ) -> Result<FunnelPath> {
        let mut buf = Vec::with_capacity(range.len() + 4);
        let Some(prop) = self.config.hold_constant else {
            self.step_events(m, view, range.clone(), None, &mut buf);
            let off = range.start;
            return self.path_of(view, range, off, rules, &buf, None);
        };
        let cols = Cols::of(&view);
        let values: BTreeSet<&str> = range
            .clone()
            .filter(|&i| m.mask(&view, &cols, i) & STEP_MASK != 0)
            .filter_map(|i| view.row(i).and_then(|r| prop.of(r)))
            .collect();
        if (values.len() as u64).saturating_mul(range.len() as u64) > 1 << 26 {
            return Err(Error::TooMuchWork {
                what: "held-property values times rows of one journey",
                limit: 1 << 26,
            });
        }
        let mut best: Option<FunnelPath> = None;
        for v in values {
            self.step_events(m, view, range.clone(), Some((prop, v)), &mut buf);
            let path = self.path_of(view, range.clone(), range.start, rules, &buf, Some(v))?;
            if best.as_ref().is_none_or(|b| path.level > b.level) {
                best = Some(path);
            }
        }
        match best {
            Some(b) => Ok(b),
            None => {
                self.step_events(m, view, range.clone(), Some((prop, "")), &mut buf);
                buf.retain(|&(_, c, _)| c == 0 || c >= EXCLUSION_CODE);
                let off = range.start;
                self.path_of(view, range, off, rules, &buf, None)
            }
        }
    }

    /// The path of `events` (positions relative to row `off`), with `scope`.
    fn path_of(
        &self,
        view: JourneyView<'_>,
        scope: Range<usize>,
        off: usize,
        rules: &Rules,
        events: &[TraceEvent],
        held: Option<&str>,
    ) -> Result<FunnelPath> {
        let n = self.config.steps.len();
        let hit = |pos: u32| {
            let i = off + pos as usize;
            view.row(i).map(|r| StepHit {
                touchpoint: i,
                at: r.at(),
            })
        };
        let (level, hits, stop) = if rules.mode.strict_once {
            let (level, rows) = kernel::level_strict_once(rules, events);
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
            scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Accumulator;
    use crate::funnel::Condition;
    use crate::funnel::{FunnelAccumulator, FunnelMode, StageFunnel, Step, Touch};
    use crate::journey::Journey;
    use crate::journey::JourneyConfig;
    use crate::model::Touchpoint;
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
        assert_eq!(funnel(base.clone()).level(j.view()).unwrap(), 4);
        let f = funnel(base.clone().excluding(Step::kind(K::AdClick), 2, 3));
        let w = f.witness(j.view()).unwrap();
        assert_eq!(w.path.level, 2);
        assert_eq!(w.path.stop, StopReason::Excluded { exclusion: 0 });
        // outside its steps the exclusion does nothing
        let f = funnel(base.excluding(Step::kind(K::AdClick), 3, 4));
        assert_eq!(f.level(j.view()).unwrap(), 4);
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
                .level(j.view())
                .unwrap(),
            1
        );
        steps[1] = steps[1].clone().optional();
        let f = funnel(FunnelConfig::new(steps, TimeDelta::hours(1)));
        let p = f.witness(j.view()).unwrap().path;
        assert_eq!(p.level, 4);
        assert!(p.hits[1].is_none() && p.hits[3].is_some());
        let mut acc = FunnelAccumulator::new(&f).unwrap();
        acc.add(j.view()).unwrap();
        let r = acc.finish().unwrap();
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
            .witness(j.view())
            .unwrap();
        assert_eq!(
            (w.path.level, w.path.stop),
            (1, StopReason::OutOfWindow { step: 2 })
        );
        let mut steps = four();
        steps[2] = steps[2].clone().at_least_after(TimeDelta::minutes(5));
        let w = funnel(FunnelConfig::new(steps, TimeDelta::hours(1)))
            .witness(j.view())
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
        assert_eq!(funnel(base.clone()).level(j.view()).unwrap(), 4);
        let f = funnel(base.holding(Property::Order));
        let p = f.witness(j.view()).unwrap().path;
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
        let levels: Vec<usize> = f.paths(j.view()).unwrap().iter().map(|p| p.level).collect();
        assert_eq!(levels, [4, 2]);
        let f =
            funnel(FunnelConfig::new(four(), TimeDelta::hours(1)).counting(CountingUnit::Sessions));
        let levels: Vec<usize> = f.paths(j.view()).unwrap().iter().map(|p| p.level).collect();
        assert_eq!(levels, [4, 2]);
        let mut acc = FunnelAccumulator::new(&f).unwrap();
        acc.add(j.view()).unwrap();
        let r = acc.finish().unwrap();
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
            let mut acc = FunnelAccumulator::new(&f).unwrap();
            acc.add(j.view()).unwrap();
            let r = acc.finish().unwrap();
            assert_eq!(r.breakdown.keys().collect::<Vec<_>>(), [want], "{touch:?}");
            assert_eq!(r.breakdown[want].reached, [1, 1, 0, 0]);
        }
        let f = funnel(FunnelConfig::new(four(), TimeDelta::hours(1)));
        let mut acc = FunnelAccumulator::new(&f).unwrap();
        acc.add_with_key(j.view(), "researcher").unwrap();
        let r = acc.finish().unwrap();
        assert_eq!(r.breakdown["researcher"].units, 1);
        assert_eq!(r.trend["2024-11-11"].entered, 1);
    }

    #[test]
    fn strict_once_on_journeys_uses_an_event_once() {
        let j = journey(vec![tp(1, 0, K::ProductView)]);
        let steps = vec![Step::kind(K::ProductView), Step::new("anything", vec![])];
        let f = funnel(FunnelConfig::new(steps.clone(), TimeDelta::hours(1)));
        assert_eq!(f.level(j.view()).unwrap(), 2);
        let f = funnel(
            FunnelConfig::new(steps, TimeDelta::hours(1)).with_mode(FunnelMode::strict_once()),
        );
        assert_eq!(f.level(j.view()).unwrap(), 1);
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
        let p = f.path(j.view());
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
        let mut acc = FunnelAccumulator::new(f).unwrap();
        for j in Journey::group(tps, &JourneyConfig::default()).unwrap() {
            acc.add(j.view()).unwrap();
        }
        acc.finish().unwrap()
    }

    proptest! {
        #[test]
        fn merge_equals_whole(tps in arb_touchpoints(), config in arb_config(), cut in 0u64..6) {
            let f = funnel(config);
            let journeys = Journey::group(tps, &JourneyConfig::default()).unwrap();
            let mut whole = FunnelAccumulator::new(&f).unwrap();
            let mut a = FunnelAccumulator::new(&f).unwrap();
            let mut b = FunnelAccumulator::new(&f).unwrap();
            for j in &journeys {
                whole.add(j.view()).unwrap();
                if j.customer().0 < cut { a.add(j.view()).unwrap() } else { b.add(j.view()).unwrap() }
            }
            let mut ba = b.clone();
            ba.merge(a.clone()).unwrap();
            a.merge(b).unwrap();
            let whole = whole.finish().unwrap();
            prop_assert_eq!(&a.finish().unwrap(), &whole);
            prop_assert_eq!(&ba.finish().unwrap(), &whole);
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
                for p in f.paths(j.view()).unwrap() {
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
            let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
            prop_assert!(!fast.matcher(&log).events_only() && slow.matcher(&log) != fast.matcher(&log));
            let all = 0..log.customer_count();
            prop_assert_eq!(fast.levels(&log, all.clone()).unwrap(), slow.levels(&log, all).unwrap());
        }

        #[test]
        fn removing_a_touchpoint_never_raises_a_default_level(tps in arb_touchpoints(), drop in any::<prop::sample::Index>(), w in 1i64..60) {
            prop_assume!(!tps.is_empty());
            let f = funnel(FunnelConfig::new(four(), TimeDelta::minutes(w)));
            let before: Vec<(u64, usize)> = Journey::group(tps.clone(), &JourneyConfig::default()).unwrap()
                .iter().map(|j| (j.customer().0, f.level(j.view()).unwrap())).collect();
            let mut fewer = tps.clone();
            fewer.remove(drop.index(tps.len()));
            for j in Journey::group(fewer, &JourneyConfig::default()).unwrap() {
                let old = before.iter().find(|(c, _)| *c == j.customer().0).unwrap().1;
                prop_assert!(f.level(j.view()).unwrap() <= old);
            }
        }
    }
}
