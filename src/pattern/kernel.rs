//! The matcher: ClickHouse's `sequenceMatch` / `sequenceCount` results in
//! time linear in the events (times the pattern's length), with no cap.
//!
//! # The semantics, as ClickHouse's backtracking defines them
//!
//! A pattern is the elements `T_0 .. T_{m-1}`, `T_0` the implicit leading
//! `.*`. Each element leaves the scan at a position `P`: a consuming element
//! (`(?N)`, `.`) takes the event at the next position `e` (`P + 1` after a
//! consuming element, `P` after a gap) and leaves `P = e`; a gap (`.*`, a
//! time condition) *lands* on a position `q >= e` without taking it and
//! leaves `P = q`. A time condition compares the landing's time with the
//! time at `P` before it; a landing must be an event (`q < n`). The elements
//! that ClickHouse lets match the empty rest when the events run out are
//! `.*`, `(?t<=S)`, `(?t<S)` and `(?t>=0)` ("skippable").
//!
//! So the state after element `i` is a position alone, and
//! `W_i(P)` = "elements `i..` succeed from `P`" is:
//! `true` for `i = m`; `all of i.. skippable` when `e = n`; otherwise
//! `(?N)`: the event at `e` meets `N` and `W_{i+1}(e)`; `.`: `W_{i+1}(e)`;
//! `.*`: some `q` in `[e, n)` with `W_{i+1}(q)`; a time condition: some `q`
//! in `[e, n)` whose time is in the condition's interval from `t[P]` with
//! `W_{i+1}(q)`. Times are sorted, so that interval is a range of positions
//! whose ends only move forward as `P` does: each layer is one pass with two
//! pointers and a cursor on the next set position, `O(n)`; conditions, `.`
//! and `.*` work on whole words of 64 positions.
//!
//! - `sequenceMatch` is `W_0(0)`, or a pattern of skippable elements only
//!   (ClickHouse's backtracking then ends past the last event and matches
//!   the rest as empty).
//! - `sequenceCount` repeats, from the end of the last match: ClickHouse's
//!   backtracking returns the first match in its search order, which tries
//!   each gap's landings in increasing order; with the layers kept, that
//!   match is a walk that takes, at each gap, the first landing whose layer
//!   bit is set (`O(m)` per match plus the bits skipped, which only move
//!   forward). A match that took nothing moves the start on by one event.
//!   When no match is left, a pattern of skippable elements counts one more
//!   (ClickHouse's end rule again) and stops.
//!
//! Why the backtracking's other quirk (giving up at once when a branch takes
//! the last event with elements left) never changes a result: the layers
//! are monotone in the position, so any branch that the search would reach
//! after such a dead end lands every element at or after the dead end's
//! positions, and dies too. Checked against chdb 4.4.0 on 460,000 random
//! (pattern, journey) pairs, and against a port of the backtracking in the
//! tests.
//!
//! Patterns of conditions and `.` separated by `.*` (and no time
//! conditions), the common case, skip the layers: one greedy pass over the
//! events, which is what the first match in search order is for them.

/// A time comparison, of the next event's time minus the time before it
/// with a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
}

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `(?N)`: the bit of condition N.
    Cond(u32),
    /// `.`
    Any,
    /// `.*`
    Star,
    /// `(?t op S)`
    Time(Cmp, u64),
}

impl Tok {
    fn consumes(self) -> bool {
        matches!(self, Tok::Cond(_) | Tok::Any)
    }

    fn skippable(self) -> bool {
        matches!(
            self,
            Tok::Star | Tok::Time(Cmp::Le | Cmp::Lt, _) | Tok::Time(Cmp::Ge, 0)
        )
    }
}

/// A pattern ready to run: elements with the leading `.*`, runs of `.*`
/// collapsed (the same landings), and what the scans need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Program {
    toks: Vec<Tok>,
    /// `cons[i]`: whether element `i - 1` takes its event (`cons[0]`: no).
    cons: Vec<bool>,
    /// `skip_from[i]`: whether elements `i..` are all skippable.
    skip_from: Vec<bool>,
    /// The conditions the pattern refers to.
    need: u32,
    /// For conditions and `.` separated by `.*`: what each one accepts.
    greedy: Option<Vec<u32>>,
}

impl Program {
    pub(crate) fn new(written: &[Tok]) -> Program {
        let mut toks = vec![Tok::Star];
        for &t in written {
            if !(t == Tok::Star && toks.last() == Some(&Tok::Star)) {
                toks.push(t);
            }
        }
        let m = toks.len();
        let cons: Vec<bool> = (0..=m)
            .map(|i| {
                i.checked_sub(1)
                    .and_then(|j| toks.get(j))
                    .is_some_and(|t| t.consumes())
            })
            .collect();
        let mut skip_from = vec![true; m + 1];
        for i in (0..m).rev() {
            let s = toks.get(i).is_some_and(|t| t.skippable())
                && skip_from.get(i + 1).copied().unwrap_or(true);
            if let Some(x) = skip_from.get_mut(i) {
                *x = s;
            }
        }
        let need = toks.iter().fold(0, |n, t| match t {
            Tok::Cond(b) => n | b,
            _ => n,
        });
        // Star X Star X ... [Star]: no time, no two events in a row.
        let greedy = (!toks.iter().any(|t| matches!(t, Tok::Time(..)))
            && toks
                .windows(2)
                .all(|w| !matches!(w, [a, b] if a.consumes() && b.consumes())))
        .then(|| {
            toks.iter()
                .filter_map(|t| match t {
                    Tok::Cond(b) => Some(*b),
                    Tok::Any => Some(u32::MAX),
                    _ => None,
                })
                .collect()
        });
        Program {
            toks,
            cons,
            skip_from,
            need,
            greedy,
        }
    }

    /// Whether every element is skippable (then the pattern always matches).
    fn all_skippable(&self) -> bool {
        self.skip_from.first().copied().unwrap_or(true)
    }

    /// The accepted masks, when one greedy pass decides the pattern.
    pub(crate) fn greedy(&self) -> Option<&[u32]> {
        self.greedy.as_deref()
    }

    /// `sequenceMatch` over the events loaded in `s`.
    pub(crate) fn sequence_match(&self, s: &mut Scratch) -> bool {
        if self.need & s.met != self.need {
            return false;
        }
        if let Some(accept) = &self.greedy {
            return greedy_match(accept, &s.m);
        }
        if self.all_skippable() || s.t.is_empty() {
            return self.all_skippable();
        }
        self.layers(s, false);
        bit(s.layer(0), 0)
    }

    /// `sequenceCount` over the events loaded in `s`.
    pub(crate) fn sequence_count(&self, s: &mut Scratch) -> u64 {
        if self.need & s.met != self.need {
            return 0;
        }
        if let Some(accept) = &self.greedy {
            return greedy_count(accept, &s.m);
        }
        let n = s.t.len();
        if n == 0 {
            return 0;
        }
        self.layers(s, true);
        let mut count = 0u64;
        let mut start = 0usize;
        while start < n {
            if !bit(s.layer(0), start) {
                if self.all_skippable() {
                    count += 1;
                }
                break;
            }
            let end = self.walk(s, start);
            count += 1;
            start = if end == start { start + 1 } else { end };
        }
        count
    }

    /// The end of the first match from `start` in ClickHouse's search order
    /// (the layers of every element kept; `W_0(start)` holds).
    fn walk(&self, s: &Scratch, start: usize) -> usize {
        let n = s.t.len();
        let m = self.toks.len();
        let mut p = start;
        for (i, &tok) in self.toks.iter().enumerate() {
            let e = p + usize::from(self.cons.get(i).copied().unwrap_or(false));
            if e >= n {
                // The rest is skippable (W_i(p) holds).
                return n;
            }
            let next = s.layer(i + 1);
            p = match tok {
                Tok::Cond(_) | Tok::Any => e,
                Tok::Star => next_set(next, e, n),
                Tok::Time(cmp, secs) => {
                    let from = match cmp {
                        Cmp::Le | Cmp::Lt => e,
                        Cmp::Ge | Cmp::Eq => first_at_least(&s.t, e, s.t.get(p), secs, false),
                        Cmp::Gt => first_at_least(&s.t, e, s.t.get(p), secs, true),
                    };
                    next_set(next, from, n)
                }
            };
        }
        p + usize::from(self.cons.get(m).copied().unwrap_or(false))
    }

    /// Fills the layers `W_m .. W_0` (all of them when `keep`, else the two
    /// in use, `W_0` ending in slot 0). Conditions, `.` and `.*` work on
    /// whole words of 64 positions; time conditions position by position.
    fn layers(&self, s: &mut Scratch, keep: bool) {
        let n = s.t.len();
        let m = self.toks.len();
        let words = n / 64 + 1;
        let slots = if keep { m + 1 } else { 2 };
        s.words = words;
        let Scratch {
            t,
            m: masks,
            layers,
            conds,
            ..
        } = s;
        layers.clear();
        layers.resize(slots * words, 0);
        // One bitset per condition the pattern refers to.
        let need = self.need;
        conds.clear();
        conds.resize(need.count_ones() as usize * words, 0);
        for (p, &mask) in masks.iter().enumerate() {
            let mut x = mask & need;
            while x != 0 {
                let b = x & x.wrapping_neg();
                let slot = (need & (b - 1)).count_ones() as usize;
                if let Some(w) = conds.get_mut(slot * words + p / 64) {
                    *w |= 1 << (p % 64);
                }
                x &= x - 1;
            }
        }
        let slot = |i: usize| if keep { i } else { i % 2 };
        if let Some(top) = layers.get_mut(slot(m) * words..(slot(m) + 1) * words) {
            fill_below(top, n);
        }
        for i in (0..m).rev() {
            let tok = self.toks.get(i).copied().unwrap_or(Tok::Star);
            let cons = usize::from(self.cons.get(i).copied().unwrap_or(false));
            let skip = self.skip_from.get(i).copied().unwrap_or(false);
            let Some((cur, next)) = pair(layers, words, slot(i), slot(i + 1)) else {
                return;
            };
            match tok {
                Tok::Cond(b) => {
                    let slot = (need & (b - 1)).count_ones() as usize;
                    let cond = conds.get(slot * words..(slot + 1) * words).unwrap_or(&[]);
                    // W_i(p) = cond(p + cons) & W_{i+1}(p + cons)
                    shift_and(cur, next, Some(cond), cons);
                }
                Tok::Any => shift_and(cur, next, None, cons),
                Tok::Star => {
                    // W_i(p): some set bit at or after p + cons.
                    cur.fill(0);
                    if let Some(last) = last_set(next) {
                        if last >= cons {
                            fill_below(cur, last - cons + 1);
                        }
                    }
                }
                Tok::Time(cmp, secs) => {
                    time_layer(cur, next, t, cmp, secs, cons);
                }
            }
            // The position whose next event would be past the end.
            if cons == 1 && n > 0 {
                let p = n - 1;
                if skip {
                    set(cur, p);
                } else if let Some(w) = cur.get_mut(p / 64) {
                    *w &= !(1 << (p % 64));
                }
            }
        }
    }
}

/// `cur(p) = next(p + shift) & cond(p + shift)` (no `cond`: all ones), for
/// `shift` 0 or 1, word by word.
fn shift_and(cur: &mut [u64], next: &[u64], cond: Option<&[u64]>, shift: usize) {
    let at = |w: usize| -> u64 {
        let x = next.get(w).copied().unwrap_or(0);
        match cond {
            Some(c) => x & c.get(w).copied().unwrap_or(0),
            None => x,
        }
    };
    let mut here = at(0);
    for (w, out) in cur.iter_mut().enumerate() {
        let after = at(w + 1);
        *out = if shift == 0 {
            here
        } else {
            (here >> 1) | (after << 63)
        };
        here = after;
    }
}

/// Sets positions `0..end` (and clears the rest).
fn fill_below(words: &mut [u64], end: usize) {
    for (w, x) in words.iter_mut().enumerate() {
        let lo = w * 64;
        *x = if end >= lo + 64 {
            !0
        } else if end > lo {
            (1u64 << (end - lo)) - 1
        } else {
            0
        };
    }
}

/// The highest set position.
fn last_set(words: &[u64]) -> Option<usize> {
    words
        .iter()
        .enumerate()
        .rev()
        .find(|(_, w)| **w != 0)
        .map(|(i, &w)| i * 64 + 63 - w.leading_zeros() as usize)
}

/// A time condition's layer: `cur(p)` when some `q >= p + cons` with its
/// time in the condition's interval from `t[p]` has `next(q)`. The interval
/// is `[lo, hi)` in positions, both ends only moving forward as `p` does, so
/// the layer is one pass.
fn time_layer(cur: &mut [u64], next: &[u64], t: &[i64], cmp: Cmp, secs: u64, cons: usize) {
    let n = t.len();
    cur.fill(0);
    // A time x is below the interval (for the limit t[p] + secs) when
    // x < limit, or x == limit for `>`; within its upper end when
    // x < limit, or x == limit but for `<`. A limit past i64::MAX is above
    // every time. (Plain loops and comparisons: this is the hot loop, also
    // in unoptimized builds.)
    let strict_lower = cmp == Cmp::Gt;
    let closed_upper = cmp != Cmp::Lt;
    let upper = matches!(cmp, Cmp::Le | Cmp::Lt | Cmp::Eq);
    let lower = matches!(cmp, Cmp::Ge | Cmp::Gt | Cmp::Eq);
    let (mut lo, mut hi) = (0usize, if upper { 0 } else { n });
    // The first set position at or after `from` (which only moves forward),
    // found again only when `from` passes it; n + 1: not looked up yet.
    let mut first = n + 1;
    let end = n.saturating_sub(cons);
    let mut p = 0usize;
    while p < end {
        let Some(&tp) = t.get(p) else { break };
        let (limit, infinite) = match i64::try_from(i128::from(tp) + i128::from(secs)) {
            Ok(l) => (l, false),
            Err(_) => (i64::MAX, true),
        };
        if lower && !infinite {
            while let Some(&x) = t.get(lo) {
                if x > limit || (x == limit && !strict_lower) {
                    break;
                }
                lo += 1;
            }
        } else if lower {
            lo = n;
        }
        if upper && !infinite {
            while let Some(&x) = t.get(hi) {
                if x > limit || (x == limit && !closed_upper) {
                    break;
                }
                hi += 1;
            }
        } else if upper {
            hi = n;
        }
        let from = if lower && lo > p + cons { lo } else { p + cons };
        if first > n || first < from {
            first = next_set(next, from, n);
        }
        if first < hi {
            set(cur, p);
        }
        p += 1;
    }
}

/// Layer `a` to write and layer `b` to read (`a != b`), of `w` words each.
fn pair(layers: &mut [u64], w: usize, a: usize, b: usize) -> Option<(&mut [u64], &[u64])> {
    if a < b {
        let (lo, hi) = layers.split_at_mut_checked(b * w)?;
        Some((lo.get_mut(a * w..(a + 1) * w)?, hi.get(..w)?))
    } else {
        let (lo, hi) = layers.split_at_mut_checked(a * w)?;
        Some((hi.get_mut(..w)?, lo.get(b * w..(b + 1) * w)?))
    }
}

/// The first position `q >= from` with `t[q] - t0 >= secs` (`> secs` when
/// `strict`); `t` sorted. Galloping from `from`: `O(log(q - from))`.
fn first_at_least(t: &[i64], from: usize, t0: Option<&i64>, secs: u64, strict: bool) -> usize {
    // t[q] - t0 < secs is t[q] < t0 + secs; past i64::MAX (None), every
    // time falls short.
    let limit = i64::try_from(i128::from(t0.copied().unwrap_or_default()) + i128::from(secs)).ok();
    let short = |q: usize| {
        t.get(q)
            .is_some_and(|&x| limit.is_none_or(|l| x < l || (strict && x == l)))
    };
    let n = t.len();
    if from >= n || !short(from) {
        return from;
    }
    // Every position before `lo` falls short; `hi` does not (or is `n`).
    let (mut lo, mut step) = (from + 1, 1usize);
    let mut hi = loop {
        let probe = from.saturating_add(step);
        if probe >= n {
            break n;
        }
        if !short(probe) {
            break probe;
        }
        lo = probe + 1;
        step = step.saturating_mul(2);
    };
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if short(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn greedy_match(accept: &[u32], masks: &[u32]) -> bool {
    let mut want = accept.iter();
    let Some(mut w) = want.next() else {
        return true;
    };
    for &mask in masks {
        if mask & w != 0 {
            match want.next() {
                Some(x) => w = x,
                None => return true,
            }
        }
    }
    false
}

fn greedy_count(accept: &[u32], masks: &[u32]) -> u64 {
    if accept.is_empty() {
        return masks.len() as u64;
    }
    let (mut j, mut count) = (0usize, 0u64);
    for &mask in masks {
        if accept.get(j).is_some_and(|&w| mask & w != 0) {
            j += 1;
            if j == accept.len() {
                count += 1;
                j = 0;
            }
        }
    }
    count
}

#[inline(always)]
fn bit(words: &[u64], p: usize) -> bool {
    words.get(p / 64).is_some_and(|w| w >> (p % 64) & 1 == 1)
}

#[inline(always)]
fn set(words: &mut [u64], p: usize) {
    if let Some(w) = words.get_mut(p / 64) {
        *w |= 1 << (p % 64);
    }
}

/// The first set position `>= from`, or `n`.
fn next_set(words: &[u64], from: usize, n: usize) -> usize {
    let mut i = from / 64;
    let mut w = words.get(i).map_or(0, |w| w & (!0u64 << (from % 64)));
    loop {
        if w != 0 {
            return (i * 64 + w.trailing_zeros() as usize).min(n);
        }
        i += 1;
        match words.get(i) {
            Some(&x) => w = x,
            None => return n,
        }
    }
}

/// One journey's events and the matcher's working memory, reused across
/// journeys (no allocation per event once grown).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// Seconds of the events, sorted.
    pub(crate) t: Vec<i64>,
    /// Conditions met by each event (never 0).
    pub(crate) m: Vec<u32>,
    /// Every condition met by some event.
    pub(crate) met: u32,
    words: usize,
    layers: Vec<u64>,
    conds: Vec<u64>,
}

impl Scratch {
    pub(crate) fn clear(&mut self) {
        self.t.clear();
        self.m.clear();
        self.met = 0;
    }

    /// Adds an event (left out when it meets no condition); times must come
    /// in order.
    #[inline(always)]
    pub(crate) fn push(&mut self, seconds: i64, mask: u32) {
        if mask != 0 {
            self.t.push(seconds);
            self.m.push(mask);
            self.met |= mask;
        }
    }

    /// Loads `events` in time order (stable).
    pub(crate) fn load(&mut self, events: &[(i64, u32)]) {
        self.clear();
        if events.windows(2).all(|w| matches!(w, [a, b] if a.0 <= b.0)) {
            for &(t, m) in events {
                self.push(t, m);
            }
        } else {
            let mut sorted: Vec<(i64, u32)> = events.to_vec();
            sorted.sort_by_key(|e| e.0);
            for (t, m) in sorted {
                self.push(t, m);
            }
        }
    }

    fn layer(&self, slot: usize) -> &[u64] {
        let w = self.words;
        self.layers.get(slot * w..(slot + 1) * w).unwrap_or(&[])
    }
}
