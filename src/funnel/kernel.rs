//! The scans behind every funnel: one pass over a customer's events sorted by
//! `(time, step)`, with fixed-size arrays and no allocation per event.
//!
//! Two kernels share one set of [`Rules`]:
//! - [`level`]: the level only (ClickHouse's `windowFunnel` result), used by
//!   levels-only queries ([`Funnel::levels`](crate::funnel::Funnel::levels));
//! - [`trace`]: the level plus the matched chain (which event filled which
//!   step, when), the reason the customer stopped, and the extras ClickHouse
//!   does not have (exclusions, optional steps, per-step windows and gaps).
//!
//! Both follow `getEventLevelNonStrictOnce` in ClickHouse's
//! `AggregateFunctionWindowFunnel.cpp`; [`level_strict_once`] follows
//! `getEventLevelStrictOnce`. Timestamps are whole seconds (ClickHouse
//! `DateTime`).

use crate::funnel::mode::{Anchoring, FunnelMode};
pub(crate) use crate::funnel::once::level_strict_once;

/// The most steps a funnel can have (ClickHouse's `MAX_EVENTS`).
pub const MAX_STEPS: usize = 32;

/// The compiled rules of one funnel, shared by the kernels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Number of steps, 1..=32.
    pub steps: u8,
    /// The window in seconds, from the chain's first step, inclusive.
    pub window: i64,
    /// The mode flags.
    pub mode: FunnelMode,
    /// Per step (index = step index, 0-based): the longest gap from the step
    /// before, in seconds, inclusive.
    pub step_window: [Option<i64>; MAX_STEPS],
    /// Per step: the shortest gap from the step before, in seconds.
    pub min_gap: [Option<i64>; MAX_STEPS],
    /// Per step: whether the step may be skipped.
    pub optional: u32,
    /// Exclusions: (from step, to step), 1-based, from < to.
    pub exclusions: Vec<(u8, u8)>,
}

impl Rules {
    /// Plain rules: steps, window and mode, no extras.
    pub(crate) fn plain(steps: u8, window: i64, mode: FunnelMode) -> Rules {
        Rules {
            steps,
            window,
            mode,
            step_window: [None; MAX_STEPS],
            min_gap: [None; MAX_STEPS],
            optional: 0,
            exclusions: Vec::new(),
        }
    }

    /// Whether only ClickHouse's own rules apply (so [`level`] is exact).
    pub(crate) fn is_plain(&self) -> bool {
        self.optional == 0
            && self.exclusions.is_empty()
            && self.step_window.iter().all(Option::is_none)
            && self.min_gap.iter().all(Option::is_none)
    }
}

/// `ts <= start + window`, without overflow.
#[inline(always)]
fn in_window(ts: i64, start: i64, window: i64) -> bool {
    ts <= start.saturating_add(window)
}

/// The level of one customer whose events are sorted by `(time, step)`, step
/// 0 meaning "matches no step". Exact to ClickHouse `windowFunnel` for every
/// mode but `strict_once` (see [`level_strict_once`]); extras in `rules` are
/// ignored (use [`trace`]).
#[inline]
pub(crate) fn level(rules: &Rules, events: impl IntoIterator<Item = (i64, u8)>) -> u8 {
    level_with(rules, &mut Scratch::default(), events)
}

/// Working arrays of [`level_with`], reused across customers: only entries
/// below the current level are ever read, so they need no clearing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scratch {
    start: [i64; MAX_STEPS],
    last: [i64; MAX_STEPS],
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            start: [0; MAX_STEPS],
            last: [0; MAX_STEPS],
        }
    }
}

/// [`level`] with caller-owned working arrays.
#[inline]
pub(crate) fn level_with(
    rules: &Rules,
    scratch: &mut Scratch,
    events: impl IntoIterator<Item = (i64, u8)>,
) -> u8 {
    if rules.mode == FunnelMode::default() {
        level_default(rules, scratch, events)
    } else {
        level_general(rules, scratch, events)
    }
}

/// The default mode (no option, latest anchoring) with few branches: the
/// chain start that step k would take is `start[k - 1]` (step 1 takes its
/// own time), stores are unconditional selects.
#[inline]
fn level_default(
    rules: &Rules,
    scratch: &mut Scratch,
    events: impl IntoIterator<Item = (i64, u8)>,
) -> u8 {
    let n = rules.steps;
    let window = rules.window;
    let start = &mut scratch.start;
    let mut reached: u8 = 0;
    for (ts, step) in events {
        let k = usize::from(step);
        if k == 0 {
            continue;
        }
        let prev = if k == 1 {
            ts
        } else {
            start.get(k - 2).copied().unwrap_or(i64::MIN)
        };
        let ok = k == 1 || (step - 1 <= reached && ts <= prev.saturating_add(window));
        if let Some(slot) = start.get_mut(k - 1) {
            *slot = if ok { prev } else { *slot };
        }
        reached = if ok { reached.max(step) } else { reached };
        if reached == n {
            return n;
        }
    }
    reached
}

/// Every mode but `strict_once`.
#[inline]
fn level_general(
    rules: &Rules,
    scratch: &mut Scratch,
    events: impl IntoIterator<Item = (i64, u8)>,
) -> u8 {
    let n = rules.steps;
    let window = rules.window;
    let m = rules.mode;
    let first_anchor = m.anchoring == Anchoring::First;
    // start[i] / last[i]: first and last time of the chain that reached step
    // i + 1. Levels form a prefix: step i + 1 reached implies step i reached.
    let Scratch { start, last } = scratch;
    let mut reached: u8 = 0;
    let mut seen_first = false;
    for (ts, step) in events {
        if step == 0 {
            if m.strict_order && seen_first {
                break;
            }
            continue;
        }
        let idx = usize::from(step - 1);
        if idx == 0 {
            if first_anchor && reached > 0 {
                continue;
            }
            if let (Some(s), Some(l)) = (start.get_mut(0), last.get_mut(0)) {
                *s = ts;
                *l = ts;
            }
            reached = reached.max(1);
            seen_first = true;
        } else if m.strict_deduplication && idx < usize::from(reached) {
            return reached;
        } else if m.strict_order && seen_first && idx > usize::from(reached) {
            if m.allow_reentry {
                continue;
            }
            return reached;
        } else if idx <= usize::from(reached) {
            if first_anchor && idx < usize::from(reached) {
                continue;
            }
            let (Some(&s), Some(&l)) = (start.get(idx - 1), last.get(idx - 1)) else {
                continue;
            };
            let mut ok = in_window(ts, s, window);
            if m.strict_increase {
                ok = ok && l < ts;
            }
            if ok {
                if let (Some(s2), Some(l2)) = (start.get_mut(idx), last.get_mut(idx)) {
                    *s2 = s;
                    *l2 = ts;
                }
                if idx + 1 > usize::from(reached) {
                    reached = step;
                }
                if step == n {
                    return n;
                }
            }
        }
    }
    reached
}

/// Insertion sort for the few keys of one customer (rows come in time
/// order, so only same-second runs move), a full sort for long ones.
#[inline]
pub(crate) fn sort_small(v: &mut [u64]) {
    if v.len() > 32 {
        v.sort_unstable();
        return;
    }
    for i in 1..v.len() {
        let Some(&x) = v.get(i) else { break };
        let mut j = i;
        while j > 0 {
            let Some(&y) = v.get(j - 1) else { break };
            if y <= x {
                break;
            }
            if let Some(slot) = v.get_mut(j) {
                *slot = y;
            }
            j -= 1;
        }
        if let Some(slot) = v.get_mut(j) {
            *slot = x;
        }
    }
}

/// Why a customer's funnel ended where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum StopReason {
    /// Every step was reached.
    Converted,
    /// No event for the next step came after the last step reached.
    NeverReached {
        /// The step (1-based) that was never reached.
        step: u8,
    },
    /// The next step happened, but outside the conversion window (or a
    /// per-step window).
    OutOfWindow {
        /// The step (1-based) that came too late.
        step: u8,
    },
    /// The next step happened too soon: at the same second as the step before
    /// under `strict_increase`, or within a minimum gap.
    TooSoon {
        /// The step (1-based) that came too soon.
        step: u8,
    },
    /// An exclusion event happened between two steps and took the customer out.
    Excluded {
        /// The exclusion's position in the configuration (0-based).
        exclusion: u8,
    },
    /// `strict_order`: an event that matches no step, or a step out of order,
    /// came after step 1 and ended the scan.
    StrictOrderBreak {
        /// The breaking touchpoint (its index in the journey).
        event: u32,
    },
    /// `strict_deduplication`: a step already reached happened again.
    Duplicate {
        /// The repeated step (1-based).
        step: u8,
    },
}

/// The outcome of [`trace`] for one sequence of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Traced {
    /// The highest step reached (0 = none).
    pub level: u8,
    /// Bit i set: step i + 1 is in the best chain.
    pub reached: u32,
    /// For each step in the best chain: (time, event position).
    pub matched: [Option<(i64, u32)>; MAX_STEPS],
    /// Why the chain stopped.
    pub reason: StopReason,
}

/// One event for [`trace`]: time, code (0 = no step, 1..=32 = step,
/// 64 + e = exclusion e) and the event's position in the caller's sequence.
pub(crate) type TraceEvent = (i64, u8, u32);

/// The code of exclusion `e` in a [`TraceEvent`].
pub(crate) const EXCLUSION_CODE: u8 = 64;

#[derive(Clone, Copy)]
struct State {
    start: i64,
    last: i64,
    reached: u32,
    matched: [Option<(i64, u32)>; MAX_STEPS],
}

/// The full scan: level, the best chain, and why it stopped, with the
/// extras (exclusions, optional steps, per-step windows and gaps). Events are
/// sorted by `(time, code)`. With no extras, `trace(..).level` equals
/// [`level`] (proptested).
pub(crate) fn trace(rules: &Rules, events: &[TraceEvent]) -> Traced {
    let n = usize::from(rules.steps);
    let m = rules.mode;
    let first_anchor = m.anchoring == Anchoring::First;
    let mut states: [Option<State>; MAX_STEPS] = [None; MAX_STEPS];
    let mut best: usize = 0;
    let mut best_state: Option<State> = None;
    let mut seen_first = false;
    let mut reason: Option<StopReason> = None;
    let mut early: Option<StopReason> = None;
    let mut last_fail: Option<StopReason> = None;
    let step_no = |idx: usize| u8::try_from(idx + 1).unwrap_or(u8::MAX);

    for &(ts, code, pos) in events {
        if code >= EXCLUSION_CODE {
            let e = usize::from(code - EXCLUSION_CODE);
            let Some(&(from, to)) = rules.exclusions.get(e) else {
                continue;
            };
            // Chains that reached `from` but not `to` are broken.
            let lo = usize::from(from).saturating_sub(1);
            let hi = usize::from(to).saturating_sub(1);
            for idx in lo..hi.min(n) {
                if let Some(slot) = states.get_mut(idx) {
                    if slot.is_some() {
                        *slot = None;
                        if idx + 1 == best {
                            last_fail = Some(StopReason::Excluded {
                                exclusion: u8::try_from(e).unwrap_or(u8::MAX),
                            });
                        }
                    }
                }
            }
            continue;
        }
        if code == 0 {
            if m.strict_order && seen_first {
                early = Some(StopReason::StrictOrderBreak { event: pos });
                break;
            }
            continue;
        }
        let idx = usize::from(code - 1);
        if idx >= n {
            continue;
        }
        if idx == 0 {
            if first_anchor && seen_first {
                continue;
            }
            let mut matched = [None; MAX_STEPS];
            matched[0] = Some((ts, pos));
            let st = State {
                start: ts,
                last: ts,
                reached: 1,
                matched,
            };
            states[0] = Some(st);
            if best == 0 {
                best = 1;
                best_state = Some(st);
            }
            seen_first = true;
            continue;
        }
        if m.strict_deduplication && states.get(idx).is_some_and(Option::is_some) {
            early = Some(StopReason::Duplicate { step: step_no(idx) });
            break;
        }
        // The predecessor: the step before, or, past optional steps, the
        // nearest earlier one that is reached.
        let mut pred = None;
        let mut p = idx;
        while p > 0 {
            p -= 1;
            if states.get(p).is_some_and(Option::is_some) {
                pred = Some(p);
                break;
            }
            if rules.optional & (1u32 << p) == 0 {
                break;
            }
        }
        let Some(p) = pred else {
            if m.strict_order && seen_first {
                if m.allow_reentry {
                    continue;
                }
                early = Some(StopReason::StrictOrderBreak { event: pos });
                break;
            }
            continue;
        };
        if first_anchor && states.get(idx).is_some_and(Option::is_some) {
            continue;
        }
        let Some(Some(prev)) = states.get(p).copied() else {
            continue;
        };
        let gap = ts.saturating_sub(prev.last);
        let fail = if !in_window(ts, prev.start, rules.window)
            || rules
                .step_window
                .get(idx)
                .copied()
                .flatten()
                .is_some_and(|w| gap > w)
        {
            Some(StopReason::OutOfWindow { step: step_no(idx) })
        } else if (m.strict_increase && prev.last >= ts)
            || rules
                .min_gap
                .get(idx)
                .copied()
                .flatten()
                .is_some_and(|g| gap < g)
        {
            Some(StopReason::TooSoon { step: step_no(idx) })
        } else {
            None
        };
        if let Some(f) = fail {
            if idx == best {
                last_fail = Some(f);
            }
            continue;
        }
        let mut st = prev;
        st.last = ts;
        st.reached |= 1u32 << idx;
        if let Some(slot) = st.matched.get_mut(idx) {
            *slot = Some((ts, pos));
        }
        if let Some(slot) = states.get_mut(idx) {
            *slot = Some(st);
        }
        if idx + 1 > best {
            best = idx + 1;
            best_state = Some(st);
            last_fail = None;
        }
        if idx + 1 == n {
            reason = Some(StopReason::Converted);
            break;
        }
    }
    let reason = reason.or(early).or(last_fail).unwrap_or_else(|| {
        if best >= n {
            StopReason::Converted
        } else {
            StopReason::NeverReached {
                step: step_no(best),
            }
        }
    });
    let (reached, matched) = best_state.map_or((0, [None; MAX_STEPS]), |s| (s.reached, s.matched));
    Traced {
        level: u8::try_from(best).unwrap_or(u8::MAX),
        reached,
        matched,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lv(mode: &str, window: i64, n: u8, ev: &[(i64, u8)]) -> u8 {
        let rules = Rules::plain(n, window, mode.parse().unwrap());
        let mut ev = ev.to_vec();
        ev.sort();
        level(&rules, ev.iter().copied())
    }

    #[test]
    fn readme_rules() {
        // gap of exactly the window counts, one more second does not
        assert_eq!(lv("default", 3600, 4, &[(0, 1), (3600, 2)]), 2);
        assert_eq!(lv("default", 3600, 4, &[(0, 1), (3601, 2)]), 1);
        // overwrite on repeated step 1
        assert_eq!(lv("default", 3600, 2, &[(0, 1), (3000, 1), (4000, 2)]), 2);
        assert_eq!(
            lv("first_entry", 3600, 2, &[(0, 1), (3000, 1), (4000, 2)]),
            1
        );
        // dedup
        assert_eq!(
            lv(
                "strict_deduplication",
                3600,
                4,
                &[(0, 1), (10, 2), (20, 2), (30, 3), (40, 4)]
            ),
            2
        );
        // strict order
        assert_eq!(lv("strict_order", 3600, 4, &[(0, 1), (5, 0), (10, 2)]), 1);
        assert_eq!(
            lv("strict_order", 3600, 4, &[(0, 1), (5, 3), (10, 2), (20, 4)]),
            1
        );
        assert_eq!(
            lv(
                "strict_order,allow_reentry",
                3600,
                3,
                &[(0, 1), (5, 3), (10, 2), (20, 3)]
            ),
            3
        );
        // strict increase
        assert_eq!(lv("strict_increase", 3600, 4, &[(0, 1), (0, 2)]), 1);
        assert_eq!(lv("default", 3600, 4, &[(0, 1), (0, 2)]), 2);
    }

    #[test]
    fn strict_once_uses_a_row_once() {
        let rules = Rules::plain(2, 100, FunnelMode::strict_once());
        // one row matching both steps
        assert_eq!(level_strict_once(&rules, &[(0, 1, 0), (0, 2, 0)]).0, 1);
        assert_eq!(
            level(
                &Rules::plain(2, 100, FunnelMode::default()),
                [(0, 1), (0, 2)]
            ),
            2
        );
        assert_eq!(
            level_strict_once(&rules, &[(0, 1, 0), (0, 2, 0), (5, 2, 1)]).0,
            2
        );
    }

    fn arb_events() -> impl Strategy<Value = Vec<(i64, u8)>> {
        prop::collection::vec((0i64..50, 0u8..5), 0..30)
    }

    proptest! {
        #[test]
        fn trace_agrees_with_level(ev in arb_events(), w in 0i64..30, modes in 0usize..9) {
            let names = ["default", "strict_order", "strict_deduplication", "strict_increase",
                "strict_order,allow_reentry", "first_entry", "first_entry,strict_order",
                "strict_deduplication,strict_increase", "strict_order,strict_deduplication"];
            let rules = Rules::plain(4, w, names[modes].parse().unwrap());
            let mut ev = ev;
            ev.sort();
            let traced: Vec<TraceEvent> = ev.iter().enumerate().map(|(i, &(t, s))| (t, s, i as u32)).collect();
            let l = level(&rules, ev.iter().copied());
            let t = trace(&rules, &traced);
            prop_assert_eq!(l, t.level);
            prop_assert!(l <= 4);
            prop_assert_eq!(t.reached, (1u32 << l) - 1);
        }

        #[test]
        fn default_kernel_equals_general_kernel(ev in arb_events(), w in 0i64..30, n in 1u8..5) {
            let rules = Rules::plain(n, w, FunnelMode::default());
            let mut ev: Vec<(i64, u8)> = ev.into_iter().map(|(t, s)| (t, s.min(n))).collect();
            ev.sort();
            let a = level_default(&rules, &mut Scratch::default(), ev.iter().copied());
            let b = level_general(&rules, &mut Scratch::default(), ev.iter().copied());
            prop_assert_eq!(a, b);
        }

        #[test]
        fn strict_once_equals_default_when_rows_match_one_step_and_no_increase(
            ev in arb_events(), w in 0i64..30
        ) {
            // Without multi-step rows and without strict_increase, keeping every
            // chain reaches the same level as keeping the latest one.
            let mut ev = ev;
            ev.sort();
            let rows: Vec<(i64, u8, u32)> = ev.iter().enumerate().map(|(i, &(t, s))| (t, s, i as u32)).collect();
            let a = level(&Rules::plain(4, w, FunnelMode::default()), ev.iter().copied());
            let b = level_strict_once(&Rules::plain(4, w, FunnelMode::strict_once()), &rows).0;
            prop_assert_eq!(a, b);
        }
    }
}
