//! ClickHouse's `strict_once` level without enumerating chains.
//!
//! ClickHouse (`getEventLevelStrictOnce`) keeps every partial chain, so one
//! customer with many step-1 events followed by many step-2 events in one
//! second costs the product of the two counts (and its memory). The level
//! only depends on which levels are reached and when, so this scan keeps, per
//! level, the chain that is easiest to extend (the latest first step) among
//! the chains that ended before the current second, and solves what happens
//! inside one second exactly:
//!
//! - a chain that ended in an earlier second never shares a row with an event
//!   of the current second (a row has one time), so of those only the latest
//!   first step matters (`vis`);
//! - inside one second, events come in step order, so a chain continued there
//!   takes one row for each of the steps `j..k` of that second, all distinct:
//!   a bipartite matching of at most 31 steps against the second's rows, with
//!   at most 33 candidate rows kept per step (enough: removing one row and the
//!   rows of 30 other steps still leaves one).
//!
//! The work is linear in the events, plus, for each second in which one row
//! matches several steps, matchings over at most 32 steps and 33 rows per
//! step. Under `strict_increase` a chain never continues inside its own second,
//! so only the first point applies. The levels equal ClickHouse's (the chain
//! enumeration is kept as a test oracle, proptested against this scan).

use crate::funnel::kernel::{MAX_STEPS, Rules};

/// Candidate rows kept per step within one second (see the module docs).
const CANDIDATES: usize = MAX_STEPS + 1;
/// `u8` marker for "no step" in the matching.
const FREE: u8 = u8::MAX;

/// How a chain of the current second was made (enough to rebuild its rows).
#[derive(Clone, Copy, Debug)]
enum Via {
    /// Step 1 at this row.
    Start(u32),
    /// The visible chain of the level below, then this row.
    Extend(u32),
    /// The visible chain of level `j - 1` (none for `j = 1`), rows of this
    /// second for steps `j..k`, then this row for step `k + 1`.
    Within { j: usize, row: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    first: i64,
    via: Via,
}

/// A chain: the time of its first step and its rows (`path[i]` filled step
/// `i + 1`).
#[derive(Clone, Copy, Debug)]
struct Chain {
    first: i64,
    path: [u32; MAX_STEPS],
}

/// The rows of one second, by step.
#[derive(Default)]
struct Second {
    /// Bit `s - 1`: step `s` has an event in this second.
    present: u32,
    /// The first row of each step.
    rep: [u32; MAX_STEPS],
    /// Whether a row matches several steps (then the matching is needed).
    multi: bool,
    /// Candidate rows per step: `cand[range[s - 1]]`, at most [`CANDIDATES`].
    cand: Vec<u32>,
    range: [(usize, usize); MAX_STEPS],
    /// Distinct candidate rows, sorted (the matching's right side).
    rows: Vec<u32>,
    /// Per distinct row: bit `s - 1` when a candidate of step `s`.
    row_steps: Vec<u32>,
    /// Per target step `s` (index `s - 1`), computed on first use: the
    /// smallest `j` with a matching of steps `j..s-1`, and the essential
    /// rows with the largest `j` for which they are essential.
    solved: u32,
    j0: [usize; MAX_STEPS],
    essential: Vec<(u8, u32, u8)>,
    scratch: Vec<u32>,
    seen: Vec<bool>,
    owner: Vec<u8>,
}

impl Second {
    fn load(&mut self, group: &[(i64, u8, u32)], n: usize) {
        self.present = 0;
        self.range = [(0, 0); MAX_STEPS];
        self.multi = false;
        self.solved = 0;
        self.cand.clear();
        self.rows.clear();
        self.row_steps.clear();
        self.essential.clear();
        self.scratch.clear();
        let mut prev: Option<(u8, u32)> = None;
        let mut count = 0usize;
        for &(_, step, row) in group {
            let s = usize::from(step);
            if s == 0 || s > n {
                continue;
            }
            let bit = 1u32 << (s - 1);
            if self.present & bit == 0 {
                self.present |= bit;
                if let Some(r) = self.rep.get_mut(s - 1) {
                    *r = row;
                }
                if let Some(r) = self.range.get_mut(s - 1) {
                    *r = (self.cand.len(), self.cand.len());
                }
                count = 0;
            }
            if prev == Some((step, row)) {
                continue;
            }
            prev = Some((step, row));
            self.scratch.push(row);
            if count < CANDIDATES {
                self.cand.push(row);
                count += 1;
                if let Some(r) = self.range.get_mut(s - 1) {
                    r.1 = self.cand.len();
                }
            }
        }
        if self.present.count_ones() >= 2 {
            self.scratch.sort_unstable();
            self.multi = self.scratch.windows(2).any(|w| w.first() == w.get(1));
        }
        if self.multi {
            self.rows.extend_from_slice(&self.cand);
            self.rows.sort_unstable();
            self.rows.dedup();
            self.row_steps.resize(self.rows.len(), 0);
            for s in 0..n {
                let Some(&(a, b)) = self.range.get(s) else {
                    break;
                };
                if self.present & (1 << s) == 0 {
                    continue;
                }
                for &row in self.cand.get(a..b).unwrap_or(&[]) {
                    if let Ok(i) = self.rows.binary_search(&row) {
                        if let Some(m) = self.row_steps.get_mut(i) {
                            *m |= 1 << s;
                        }
                    }
                }
            }
        }
    }

    fn cands(&self, step: usize) -> &[u32] {
        match self.range.get(step.wrapping_sub(1)) {
            Some(&(a, b)) if self.present & (1u32 << (step - 1)) != 0 => {
                self.cand.get(a..b).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    fn index(&self, row: u32) -> Option<usize> {
        self.rows.binary_search(&row).ok()
    }

    /// Tries to give step `t` a row, moving other steps along an alternating
    /// path (Kuhn); `banned` is never used.
    fn augment(&mut self, t: usize, banned: Option<usize>, matched: &mut [Option<usize>]) -> bool {
        let (a, b) = self.range.get(t - 1).copied().unwrap_or((0, 0));
        for c in a..b {
            let Some(i) = self.cand.get(c).and_then(|&r| self.index(r)) else {
                continue;
            };
            if Some(i) == banned || self.seen.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(v) = self.seen.get_mut(i) {
                *v = true;
            }
            let owner = self.owner.get(i).copied().unwrap_or(FREE);
            if owner == FREE || self.augment(usize::from(owner), banned, matched) {
                if let Some(o) = self.owner.get_mut(i) {
                    *o = u8::try_from(t).unwrap_or(FREE);
                }
                if let Some(m) = matched.get_mut(t) {
                    *m = Some(i);
                }
                return true;
            }
        }
        false
    }

    fn reset_matching(&mut self) {
        self.owner.clear();
        self.owner.resize(self.rows.len(), FREE);
    }

    fn clear_seen(&mut self) {
        self.seen.clear();
        self.seen.resize(self.rows.len(), false);
    }

    /// For target step `s`: the smallest `j` such that steps `j..s-1` of
    /// this second take distinct rows, and for each row, the largest `j` for
    /// which every such matching uses it.
    fn solve(&mut self, s: usize) {
        let bit = 1u32 << (s - 1);
        if self.solved & bit != 0 {
            return;
        }
        self.solved |= bit;
        let k = s - 1;
        self.reset_matching();
        let mut matched: [Option<usize>; MAX_STEPS + 1] = [None; MAX_STEPS + 1];
        let mut j0 = k + 1;
        let mut j = k;
        while j >= 1 {
            self.clear_seen();
            if !self.augment(j, None, &mut matched) {
                break;
            }
            j0 = j;
            // Steps of j..=k that can hand their row over along an
            // alternating path ending at a free row.
            let seg: u32 = ((1u64 << k) - (1u64 << (j - 1))) as u32;
            let mut good = 0u32;
            for t in j..=k {
                let has_free = self.cands(t).iter().any(|&r| {
                    self.index(r)
                        .and_then(|i| self.owner.get(i))
                        .is_some_and(|&o| o == FREE)
                });
                if has_free {
                    good |= 1 << (t - 1);
                }
            }
            let mut frontier = good;
            while frontier != 0 {
                let t = frontier.trailing_zeros() as usize + 1;
                frontier &= frontier - 1;
                let Some(Some(i)) = matched.get(t).copied() else {
                    continue;
                };
                let gain = self.row_steps.get(i).copied().unwrap_or(0) & seg & !good;
                good |= gain;
                frontier |= gain;
            }
            for t in j..=k {
                if good & (1 << (t - 1)) != 0 {
                    continue;
                }
                let Some(Some(i)) = matched.get(t).copied() else {
                    continue;
                };
                let Some(&row) = self.rows.get(i) else {
                    continue;
                };
                let known = self
                    .essential
                    .iter()
                    .any(|&(ts, r, _)| usize::from(ts) == s && r == row);
                if !known {
                    self.essential.push((
                        u8::try_from(s).unwrap_or(FREE),
                        row,
                        u8::try_from(j).unwrap_or(FREE),
                    ));
                }
            }
            j -= 1;
        }
        if let Some(slot) = self.j0.get_mut(s - 1) {
            *slot = j0;
        }
    }

    /// The smallest `j` such that steps `j..s-1` of this second take distinct
    /// rows, none of them `row` (`s` when there is none).
    fn smallest_start(&mut self, s: usize, row: u32) -> usize {
        let k = s - 1;
        if !self.multi {
            let mut j = k;
            while j >= 1 && self.present & (1 << (j - 1)) != 0 {
                j -= 1;
            }
            return j + 1;
        }
        self.solve(s);
        let j0 = self.j0.get(s - 1).copied().unwrap_or(s);
        let ess = self
            .essential
            .iter()
            .find(|&&(ts, r, _)| usize::from(ts) == s && r == row)
            .map_or(0, |&(_, _, j)| usize::from(j));
        j0.max(ess + 1)
    }

    /// Rows of this second for steps `j..=k`, distinct and not `row`, into
    /// `path`.
    fn fill(&mut self, j: usize, k: usize, row: u32, path: &mut [u32; MAX_STEPS]) {
        if !self.multi {
            for t in j..=k {
                if let (Some(p), Some(&r)) = (path.get_mut(t - 1), self.rep.get(t - 1)) {
                    *p = r;
                }
            }
            return;
        }
        self.reset_matching();
        let banned = self.index(row);
        let mut matched: [Option<usize>; MAX_STEPS + 1] = [None; MAX_STEPS + 1];
        for t in j..=k {
            self.clear_seen();
            self.augment(t, banned, &mut matched);
        }
        // after every step is placed: later steps may move earlier ones
        for t in j..=k {
            if let (Some(p), Some(&Some(i))) = (path.get_mut(t - 1), matched.get(t)) {
                if let Some(&r) = self.rows.get(i) {
                    *p = r;
                }
            }
        }
    }
}

/// The level under ClickHouse's `strict_once` (with any other flags), for
/// events sorted by `(time, step, row)`: `row` identifies the input row, so
/// that one row that matches several steps fills at most one of them.
///
/// Returns the level and the rows of the chain that first reached it (of
/// the chains completed by that event, the one with the latest first step).
pub(crate) fn level_strict_once(rules: &Rules, events: &[(i64, u8, u32)]) -> (u8, Vec<u32>) {
    let n = usize::from(rules.steps).min(MAX_STEPS);
    let m = rules.mode;
    let window = rules.window;
    let in_window = |ts: i64, first: i64| ts <= first.saturating_add(window);
    // vis[k]: the chain of level k + 1 with the latest first step among
    // those that ended in an earlier second.
    let mut vis: [Option<Chain>; MAX_STEPS] = [None; MAX_STEPS];
    let mut pend: [Option<Pending>; MAX_STEPS] = [None; MAX_STEPS];
    let mut reached = 0usize;
    let mut top = [0u32; MAX_STEPS];
    let mut seen_first = false;
    let mut sec = Second::default();
    let done = |reached: usize, top: &[u32; MAX_STEPS]| {
        (
            u8::try_from(reached).unwrap_or(u8::MAX),
            top.iter().take(reached).copied().collect::<Vec<u32>>(),
        )
    };
    let mut rest = events;
    while let Some(&(t, _, _)) = rest.first() {
        let len = rest.iter().position(|e| e.0 != t).unwrap_or(rest.len());
        let (group, tail) = rest.split_at(len);
        rest = tail;
        sec.load(group, n);
        for &(_, step, row) in group {
            let s = usize::from(step);
            if s == 0 {
                if m.strict_order && seen_first {
                    return done(reached, &top);
                }
                continue;
            }
            if s == 1 {
                if pend.first().is_some_and(Option::is_none) {
                    pend[0] = Some(Pending {
                        first: t,
                        via: Via::Start(row),
                    });
                }
                if reached == 0 {
                    reached = 1;
                    top[0] = row;
                }
                seen_first = true;
                continue;
            }
            let idx = s - 1;
            if m.strict_deduplication && idx < n && reached > idx {
                return done(reached, &top);
            }
            if m.strict_order && seen_first && idx <= n && reached < idx {
                if m.allow_reentry {
                    continue;
                }
                return done(reached, &top);
            }
            if idx >= n || reached < idx {
                continue;
            }
            // Chains that ended in an earlier second.
            let mut best = vis
                .get(idx - 1)
                .copied()
                .flatten()
                .filter(|c| in_window(t, c.first))
                .map(|c| Pending {
                    first: c.first,
                    via: Via::Extend(row),
                });
            // Chains continued inside this second (never under
            // strict_increase: their last step is this second).
            if !m.strict_increase && sec.present & (1 << (idx - 1)) != 0 {
                // The largest j whose chain of level j - 1 is in the window.
                let mut jmax = 1;
                while jmax < idx
                    && vis
                        .get(jmax - 1)
                        .copied()
                        .flatten()
                        .is_some_and(|c| in_window(t, c.first))
                {
                    jmax += 1;
                }
                let j = sec.smallest_start(s, row);
                if j <= jmax && j <= idx {
                    let first = if j == 1 {
                        t
                    } else {
                        vis.get(j - 2).copied().flatten().map_or(t, |c| c.first)
                    };
                    if best.is_none_or(|b| first > b.first) {
                        best = Some(Pending {
                            first,
                            via: Via::Within { j, row },
                        });
                    }
                }
            }
            let Some(found) = best else { continue };
            if let Some(slot) = pend.get_mut(idx) {
                if slot.is_none_or(|p| found.first > p.first) {
                    *slot = Some(found);
                }
            }
            if reached == idx {
                reached = idx + 1;
                top = rebuild(&vis, &mut sec, idx, found.via);
            }
            if idx + 1 == n {
                return done(reached, &top);
            }
        }
        // End of the second: its chains become visible. Higher levels first,
        // as a chain is rebuilt from the visible chains of lower levels.
        for k in (0..n).rev() {
            let Some(p) = pend.get_mut(k).and_then(Option::take) else {
                continue;
            };
            if vis
                .get(k)
                .copied()
                .flatten()
                .is_none_or(|c| p.first > c.first)
            {
                let path = rebuild(&vis, &mut sec, k, p.via);
                if let Some(slot) = vis.get_mut(k) {
                    *slot = Some(Chain {
                        first: p.first,
                        path,
                    });
                }
            }
        }
    }
    done(reached, &top)
}

/// The rows of the chain of level `idx + 1` made as `via` in the current
/// second.
fn rebuild(
    vis: &[Option<Chain>; MAX_STEPS],
    sec: &mut Second,
    idx: usize,
    via: Via,
) -> [u32; MAX_STEPS] {
    let mut path = [0u32; MAX_STEPS];
    let (prefix, row, from) = match via {
        Via::Start(row) => (None, row, 1),
        Via::Extend(row) => (idx.checked_sub(1), row, idx + 1),
        Via::Within { j, row } => (j.checked_sub(2), row, j),
    };
    if let Some(c) = prefix.and_then(|p| vis.get(p).copied().flatten()) {
        path = c.path;
    }
    if from <= idx {
        sec.fill(from, idx, row, &mut path);
    }
    if let Some(p) = path.get_mut(idx) {
        *p = row;
    }
    path
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::funnel::mode::FunnelMode;
    use proptest::prelude::*;

    fn in_window(ts: i64, start: i64, window: i64) -> bool {
        ts <= start.saturating_add(window)
    }

    /// One partial chain of `strict_once`.
    #[derive(Clone, Copy)]
    struct OldChain {
        first: i64,
        last: i64,
        path: [u32; MAX_STEPS],
    }

    /// The level under ClickHouse's `strict_once` (with any other flags), for
    /// events sorted by `(time, step, row)`: `row` identifies the input row, so
    /// that one row that matches several steps fills at most one of them.
    ///
    /// Returns the level and, for the best chain, the rows that filled steps
    /// `1..=level`.
    /// The crate's former implementation (every partial chain, as ClickHouse
    /// keeps them), without its cap.
    pub(crate) fn chains_oracle(rules: &Rules, events: &[(i64, u8, u32)]) -> (u8, Vec<u32>) {
        let n = usize::from(rules.steps);
        let m = rules.mode;
        let window = rules.window;
        let mut seqs: Vec<Vec<OldChain>> = vec![Vec::new(); n];
        let mut seen_first = false;
        let best = |seqs: &Vec<Vec<OldChain>>| -> (u8, Vec<u32>) {
            for (i, level) in seqs.iter().enumerate().rev() {
                if let Some(c) = level.first() {
                    let path = c.path.iter().take(i + 1).copied().collect();
                    return (u8::try_from(i + 1).unwrap_or(u8::MAX), path);
                }
            }
            (0, Vec::new())
        };
        for &(ts, step, row) in events {
            if step == 0 {
                if m.strict_order && seen_first {
                    break;
                }
                continue;
            }
            let idx = usize::from(step - 1);
            if idx == 0 {
                let mut path = [0u32; MAX_STEPS];
                path[0] = row;
                if let Some(level) = seqs.get_mut(0) {
                    level.push(OldChain {
                        first: ts,
                        last: ts,
                        path,
                    });
                }
                seen_first = true;
            } else if m.strict_deduplication && seqs.get(idx).is_some_and(|l| !l.is_empty()) {
                return best(&seqs);
            } else if m.strict_order && seen_first && seqs.get(idx - 1).is_some_and(Vec::is_empty) {
                if m.allow_reentry {
                    continue;
                }
                let first_gap = seqs.iter().position(Vec::is_empty).unwrap_or(n);
                let (_, mut path) = best(&seqs);
                path.truncate(first_gap);
                return (u8::try_from(first_gap).unwrap_or(u8::MAX), path);
            } else if idx < n && seqs.get(idx - 1).is_some_and(|l| !l.is_empty()) {
                let (lower, upper) = seqs.split_at_mut(idx);
                let (Some(prev), Some(next)) = (lower.last_mut(), upper.first_mut()) else {
                    continue;
                };
                let len = prev.len();
                let mut write = 0usize;
                for read in 0..len {
                    let Some(&c) = prev.get(read) else { break };
                    let mut matched = in_window(ts, c.first, window);
                    if !matched && write + (len - read) > 1 {
                        // ClickHouse drops chains that are out of the window, but
                        // keeps at least one.
                        continue;
                    }
                    if matched {
                        matched = c.path.iter().take(idx).all(|&r| r != row);
                    }
                    if matched && m.strict_increase {
                        matched = c.last < ts;
                    }
                    if let Some(slot) = prev.get_mut(write) {
                        *slot = c;
                    }
                    write += 1;
                    if matched {
                        let mut path = c.path;
                        if let Some(p) = path.get_mut(idx) {
                            *p = row;
                        }
                        next.push(OldChain {
                            first: c.first,
                            last: ts,
                            path,
                        });
                        if idx + 1 == n {
                            prev.truncate(write.max(1));
                            return best(&seqs);
                        }
                    }
                }
                prev.truncate(write);
            }
        }
        best(&seqs)
    }

    /// Checks that `path` is a chain of `level` steps of `events` under `rules`.
    fn check_chain(rules: &Rules, events: &[(i64, u8, u32)], level: u8, path: &[u32]) {
        assert_eq!(path.len(), usize::from(level));
        let mut last: Option<(usize, i64)> = None;
        let mut first = 0;
        for (k, &row) in path.iter().enumerate() {
            let step = u8::try_from(k + 1).unwrap();
            let pos = events
                .iter()
                .position(|&(_, s, r)| s == step && r == row)
                .unwrap_or_else(|| {
                    panic!("row {row} does not match step {step}: {events:?} {path:?}")
                });
            let ts = events[pos].0;
            if k == 0 {
                first = ts;
            }
            if let Some((p, lt)) = last {
                assert!(pos > p, "order {events:?} {path:?}");
                if rules.mode.strict_increase {
                    assert!(ts > lt);
                }
            }
            assert!(
                in_window(ts, first, rules.window),
                "window {events:?} {path:?}"
            );
            assert!(
                !path[..k].contains(&row),
                "row used twice {events:?} {path:?}"
            );
            last = Some((pos, ts));
        }
    }

    fn arb_rows() -> impl Strategy<Value = Vec<(i64, Vec<u8>)>> {
        // rows: a time and the steps the row matches (several: one row, many steps)
        prop::collection::vec((0i64..12, prop::collection::vec(0u8..6, 0..4)), 0..24)
    }

    const MODES: [&str; 10] = [
        "strict_once",
        "strict_once,strict_increase",
        "strict_once,strict_order",
        "strict_once,strict_deduplication",
        "strict_once,strict_order,allow_reentry",
        "strict_once,strict_order,strict_increase",
        "strict_once,strict_deduplication,strict_increase",
        "strict_once,strict_order,strict_deduplication",
        "strict_once,strict_order,allow_reentry,strict_increase",
        "strict_once,strict_order,strict_deduplication,strict_increase",
    ];

    fn events_of(rows: &[(i64, Vec<u8>)], n: u8, strict_order: bool) -> Vec<(i64, u8, u32)> {
        let mut ev = Vec::new();
        for (i, (t, steps)) in rows.iter().enumerate() {
            let mut steps: Vec<u8> = steps
                .iter()
                .copied()
                .filter(|&s| s >= 1 && s <= n)
                .collect();
            steps.sort_unstable();
            steps.dedup();
            if steps.is_empty() && strict_order {
                ev.push((*t, 0, i as u32));
            }
            for s in steps {
                ev.push((*t, s, i as u32));
            }
        }
        ev.sort_unstable();
        ev
    }

    proptest! {
        #[test]
        fn equals_the_chain_enumeration(rows in arb_rows(), w in 0i64..8, n in 1u8..6, mode in 0usize..10) {
            let rules = Rules::plain(n, w, MODES[mode].parse().unwrap());
            let ev = events_of(&rows, n, rules.mode.strict_order);
            let (a, path) = level_strict_once(&rules, &ev);
            let (b, _) = chains_oracle(&rules, &ev);
            prop_assert_eq!(a, b, "{:?}", ev);
            check_chain(&rules, &ev, a, &path);
        }

        #[test]
        fn equals_the_chain_enumeration_in_one_second(
            rows in prop::collection::vec((0i64..2, prop::collection::vec(1u8..6, 1..5)), 0..14),
            n in 2u8..6, mode in 0usize..10,
        ) {
            let rules = Rules::plain(n, 0, MODES[mode].parse().unwrap());
            let ev = events_of(&rows, n, rules.mode.strict_order);
            let (a, path) = level_strict_once(&rules, &ev);
            let (b, _) = chains_oracle(&rules, &ev);
            prop_assert_eq!(a, b, "{:?}", ev);
            check_chain(&rules, &ev, a, &path);
        }
    }

    #[test]
    fn many_starts_then_many_seconds_steps_are_linear() {
        let n = 100_000u32;
        let ev: Vec<(i64, u8, u32)> = (0..n)
            .map(|i| (0, if i < n / 2 { 1 } else { 2 }, i))
            .collect();
        let rules = Rules::plain(
            2,
            0,
            FunnelMode {
                strict_increase: true,
                ..FunnelMode::strict_once()
            },
        );
        assert_eq!(level_strict_once(&rules, &ev).0, 1);
        let rules = Rules::plain(3, 0, FunnelMode::strict_once());
        assert_eq!(level_strict_once(&rules, &ev).0, 2);
    }

    #[test]
    fn one_row_many_steps_in_one_second() {
        // 40 rows each matching every one of 32 steps, in one second
        let mut ev = Vec::new();
        for r in 0..40u32 {
            for s in 1..=32u8 {
                ev.push((5, s, r));
            }
        }
        ev.sort_unstable();
        let rules = Rules::plain(32, 0, FunnelMode::strict_once());
        let (level, path) = level_strict_once(&rules, &ev);
        assert_eq!(level, 32);
        check_chain(&rules, &ev, level, &path);
        // 20 rows: at most 20 distinct steps
        let ev: Vec<_> = ev.into_iter().filter(|e| e.2 < 20).collect();
        let (level, path) = level_strict_once(&rules, &ev);
        assert_eq!(level, 20);
        check_chain(&rules, &ev, level, &path);
    }
}
