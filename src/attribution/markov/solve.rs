//! Exact removal effects of an absorbing chain: expected visits from
//! `(start)` by solving `(I - Q^T) v = pi` on the transient states, for the
//! whole chain and for each channel removed (its states absorbing into
//! `(null)`).
//!
//! Two solvers, one answer:
//!
//! - **Direct** (chains of at most [`DENSE_STATES`] states, and the
//!   fallback up to [`MAX_DENSE_STATES`]): Gaussian elimination with
//!   partial pivoting. `I - Q^T` is a non-singular M-matrix whenever every
//!   state can reach an absorbing state, which is checked first.
//! - **Iterative** (larger chains): Gauss-Seidel from zero, which rises
//!   monotonically to the solution, with a proven stopping rule. With
//!   residual `r = pi + Q^T v - v >= 0`, the error is
//!   `e = (I - Q^T)^{-1} r`, so `|e|_1 <= |r|_1 * T_max`, where `T_max` is
//!   the longest expected walk to absorption. `T_max` is bounded by
//!   iterating `u = Q^m 1`: once `rho = max u <= 1/2`,
//!   `T_max <= max_s sum_{i<m} (Q^i 1)_s / (1 - rho)`. Removing a channel
//!   only adds absorption, so the bound holds for every removal chain. The
//!   iteration stops when the bound guarantees 1e-13 relative error in the
//!   conversion probability and in the value flow, far inside the 1e-9 the
//!   results promise; if the chain mixes too slowly for the work budget, the
//!   direct solver takes over (or, beyond its cap, the answer is
//!   [`Error::TooMuchWork`]).

use crate::attribution::markov::chain::Chain;
use crate::error::{Error, Result};

/// Chains up to this many states are solved directly.
pub(crate) const DENSE_STATES: usize = 256;

/// The direct solver's cap (its work grows with the cube of the states).
pub(crate) const MAX_DENSE_STATES: usize = 2048;

/// The relative error the iterative solver proves before it stops.
const TOLERANCE: f64 = 1e-13;

/// Operations one iterative solve may take before it gives up.
const WORK_BUDGET: f64 = 4e9;

/// Steps of `u = Q^m 1` before a chain counts as too slow to bound (its
/// walks are then longer than about this many steps on average).
const MAX_BOUND_STEPS: usize = 100_000;

/// How the chain was solved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Method {
    Direct,
    /// Gauss-Seidel; the largest proven relative error bound.
    Iterative {
        bound: f64,
    },
}

/// Which solver to use (tests force one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Solver {
    Auto,
    #[cfg(test)]
    Direct,
    #[cfg(test)]
    Iterative,
}

/// The removal effects of every channel of a chain.
#[derive(Debug, Clone)]
pub(crate) struct Effects {
    /// P(conversion) from `(start)`.
    pub(crate) conversion_probability: f64,
    /// Expected conversion value of a walk from `(start)`.
    pub(crate) value_flow: f64,
    /// Per channel id: `1 - P(conv | c removed) / P(conv)`.
    pub(crate) removal: Vec<f64>,
    /// Per channel id: the share of the value flow of walks that visit `c`.
    pub(crate) removal_value: Vec<f64>,
    pub(crate) method: Method,
}

/// Transition probabilities of a chain, with in-edges for Gauss-Seidel.
struct Probs {
    n: usize,
    pi: Vec<f64>,
    /// `p(s -> conversion)`.
    pc: Vec<f64>,
    /// Expected value per visit's conversion: `end_value[s] / W_s`.
    mv: Vec<f64>,
    /// Out-edge probabilities, aligned with the chain's `out_*`.
    out_q: Vec<f64>,
    /// In-edges of `s`: `in_start[s]..in_start[s + 1]` into `in_from` / `in_q`.
    in_start: Vec<u32>,
    in_from: Vec<u32>,
    in_q: Vec<f64>,
}

impl Probs {
    fn new(chain: &Chain) -> Probs {
        let n = chain.len();
        let total_start: f64 = chain.start_w.iter().sum();
        let mut out_q = vec![0.0; chain.out_to.len()];
        let mut pc = vec![0.0; n];
        let mut mv = vec![0.0; n];
        let mut in_count = vec![0u32; n + 1];
        for s in 0..n {
            let conv = chain.conv_w.get(s).copied().unwrap_or(0.0);
            let null = chain.null_w.get(s).copied().unwrap_or(0.0);
            let w: f64 = chain.out(s).map(|(_, _, w)| w).sum::<f64>() + conv + null;
            for (e, to, x) in chain.out(s) {
                if w > 0.0 {
                    if let Some(q) = out_q.get_mut(e) {
                        *q = x / w;
                    }
                }
                if let Some(c) = in_count.get_mut(to as usize + 1) {
                    *c += 1;
                }
            }
            if w <= 0.0 {
                continue;
            }
            if let Some(p) = pc.get_mut(s) {
                *p = conv / w;
            }
            if let Some(m) = mv.get_mut(s) {
                *m = chain.end_value.get(s).copied().unwrap_or(0.0) / w;
            }
        }
        for s in 0..n {
            let prev = in_count.get(s).copied().unwrap_or(0);
            if let Some(x) = in_count.get_mut(s + 1) {
                *x += prev;
            }
        }
        let in_start = in_count.clone();
        let mut fill = in_count;
        let m = chain.out_to.len();
        let mut in_from = vec![0u32; m];
        let mut in_q = vec![0.0; m];
        for s in 0..n {
            for (e, to, _) in chain.out(s) {
                let Some(slot) = fill.get_mut(to as usize) else {
                    continue;
                };
                let at = *slot as usize;
                *slot += 1;
                if let Some(x) = in_from.get_mut(at) {
                    *x = s as u32;
                }
                if let Some(x) = in_q.get_mut(at) {
                    *x = out_q.get(e).copied().unwrap_or(0.0);
                }
            }
        }
        let pi = if total_start > 0.0 {
            chain.start_w.iter().map(|w| w / total_start).collect()
        } else {
            vec![0.0; n]
        };
        Probs {
            n,
            pi,
            pc,
            mv,
            out_q,
            in_start,
            in_from,
            in_q,
        }
    }

    fn inputs(&self, s: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (a, b) = match (self.in_start.get(s), self.in_start.get(s + 1)) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        };
        (a..b).map(move |i| {
            (
                self.in_from.get(i).copied().unwrap_or(0) as usize,
                self.in_q.get(i).copied().unwrap_or(0.0),
            )
        })
    }
}

/// Checks that every state with weight reaches `(conversion)` or `(null)`.
fn check_absorbing(chain: &Chain, p: &Probs) -> Result<()> {
    let n = p.n;
    let mut reaches = vec![false; n];
    let mut stack = Vec::new();
    for s in 0..n {
        let exit = chain.conv_w.get(s).copied().unwrap_or(0.0)
            + chain.null_w.get(s).copied().unwrap_or(0.0);
        if exit > 0.0 {
            if let Some(r) = reaches.get_mut(s) {
                *r = true;
            }
            stack.push(s);
        }
    }
    while let Some(s) = stack.pop() {
        for (t, q) in p.inputs(s) {
            if q > 0.0 && reaches.get(t) == Some(&false) {
                if let Some(r) = reaches.get_mut(t) {
                    *r = true;
                }
                stack.push(t);
            }
        }
    }
    let stuck: Vec<String> = (0..n)
        .filter(|&s| {
            reaches.get(s) == Some(&false)
                && (chain.out(s).any(|(_, _, w)| w > 0.0)
                    || chain.start_w.get(s).copied().unwrap_or(0.0) > 0.0)
        })
        .take(5)
        .map(|s| {
            chain
                .state(s)
                .iter()
                .map(|&c| chain.names.get(c as usize).map_or("?", String::as_str))
                .collect::<Vec<_>>()
                .join(" > ")
        })
        .collect();
    if stuck.is_empty() {
        Ok(())
    } else {
        Err(Error::NumericFailure {
            what: format!(
                "the Markov chain cannot be solved: states {stuck:?} never reach (conversion) or (null), so their walks never end (every path must end with conversions or non-conversions)"
            ),
        })
    }
}

/// For each state, whether a walk from it can end in `(conversion)`.
fn can_convert(chain: &Chain, p: &Probs) -> Vec<bool> {
    let mut reaches = vec![false; p.n];
    let mut stack = Vec::new();
    for (s, &w) in chain.conv_w.iter().enumerate() {
        if w > 0.0 {
            if let Some(r) = reaches.get_mut(s) {
                *r = true;
            }
            stack.push(s);
        }
    }
    while let Some(s) = stack.pop() {
        for (t, q) in p.inputs(s) {
            if q > 0.0 && reaches.get(t) == Some(&false) {
                if let Some(r) = reaches.get_mut(t) {
                    *r = true;
                }
                stack.push(t);
            }
        }
    }
    reaches
}

/// Removal effects of every channel of `chain`.
pub(crate) fn effects(chain: &Chain, solver: Solver) -> Result<Effects> {
    let channels = chain.names.len();
    let n = chain.len();
    let p = Probs::new(chain);
    let total_start: f64 = chain.start_w.iter().sum();
    let total_conv: f64 = chain.conv_w.iter().sum();
    let zero = Effects {
        conversion_probability: 0.0,
        value_flow: 0.0,
        removal: vec![0.0; channels],
        removal_value: vec![0.0; channels],
        method: Method::Direct,
    };
    if n == 0 || total_start <= 0.0 {
        return Ok(zero);
    }
    check_absorbing(chain, &p)?;
    // Flow conservation: P(conversion) is the share of converting walks.
    let p_conv = total_conv / total_start;
    if p_conv <= 0.0 {
        return Ok(Effects {
            conversion_probability: 0.0,
            ..zero
        });
    }
    let direct = match solver {
        Solver::Auto => n <= DENSE_STATES,
        #[cfg(test)]
        Solver::Direct => true,
        #[cfg(test)]
        Solver::Iterative => false,
    };
    let mut method = if direct {
        Method::Direct
    } else {
        match walk_bound(&p) {
            Some(t) => Method::Iterative { bound: t },
            None if n <= MAX_DENSE_STATES => Method::Direct,
            None => return Err(slow_chain()),
        }
    };
    let max_mv = p.mv.iter().copied().fold(0.0, f64::max);
    let keep_all = vec![true; n];
    let (full, bound) = visits(&p, &keep_all, &mut method, p_conv, None, max_mv)?;
    let flow = |v: &[f64], keep: &[bool]| -> (f64, f64) {
        let mut pc = 0.0;
        let mut w = 0.0;
        for s in 0..n {
            if keep.get(s) == Some(&true) {
                let x = v.get(s).copied().unwrap_or(0.0);
                pc += x * p.pc.get(s).copied().unwrap_or(0.0);
                w += x * p.mv.get(s).copied().unwrap_or(0.0);
            }
        }
        (pc, w)
    };
    let (_, value_flow) = flow(&full, &keep_all);
    let mut worst = bound;
    // The states that contain each channel.
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); channels];
    for s in 0..n {
        let ids = chain.state(s);
        for (i, &c) in ids.iter().enumerate() {
            if ids.get(..i).is_some_and(|before| before.contains(&c)) {
                continue;
            }
            if let Some(h) = holders.get_mut(c as usize) {
                h.push(s as u32);
            }
        }
    }
    // States from which a walk can convert: a channel none of whose states
    // can has no removal effect, exactly (no solve, no rounding).
    let converts = can_convert(chain, &p);
    let mut removal = vec![0.0; channels];
    let mut removal_value = vec![0.0; channels];
    let mut keep = vec![true; n];
    for c in 0..channels {
        let Some(states) = holders.get(c).filter(|h| !h.is_empty()) else {
            continue;
        };
        if !states
            .iter()
            .any(|&s| converts.get(s as usize) == Some(&true))
        {
            continue;
        }
        keep.iter_mut().for_each(|k| *k = true);
        for &s in states {
            if let Some(k) = keep.get_mut(s as usize) {
                *k = false;
            }
        }
        let (v, bound) = visits(&p, &keep, &mut method, p_conv, Some(value_flow), max_mv)?;
        worst = worst.max(bound);
        let (pc, w) = flow(&v, &keep);
        if let Some(r) = removal.get_mut(c) {
            *r = ((p_conv - pc) / p_conv).clamp(0.0, 1.0);
        }
        if let Some(r) = removal_value.get_mut(c) {
            *r = if value_flow > 0.0 {
                ((value_flow - w) / value_flow).clamp(0.0, 1.0)
            } else {
                0.0
            };
        }
    }
    if let Method::Iterative { bound } = &mut method {
        *bound = worst;
    }
    Ok(Effects {
        conversion_probability: p_conv,
        value_flow,
        removal,
        removal_value,
        method,
    })
}

fn slow_chain() -> Error {
    Error::TooMuchWork {
        what: "states of a Markov chain whose walks are too long to bound within the work budget (near-closed loops of channels); the direct solver takes at most this many states",
        limit: MAX_DENSE_STATES as u64,
    }
}

/// Expected visits from `(start)` with the states outside `keep` absorbing;
/// the proven relative error bound (0 for the direct solver).
fn visits(
    p: &Probs,
    keep: &[bool],
    method: &mut Method,
    p_conv: f64,
    value_flow: Option<f64>,
    max_mv: f64,
) -> Result<(Vec<f64>, f64)> {
    if let Method::Iterative { bound } = *method {
        match gauss_seidel(p, keep, bound, p_conv, value_flow, max_mv) {
            Some(found) => return Ok(found),
            None if p.n <= MAX_DENSE_STATES => *method = Method::Direct,
            None => return Err(slow_chain()),
        }
    }
    Ok((direct(p, keep)?, 0.0))
}

/// A bound on the longest expected walk to absorption, or `None` when the
/// chain mixes too slowly to bound within the work budget.
fn walk_bound(p: &Probs) -> Option<f64> {
    let n = p.n;
    let work = (p.out_q.len() + n).max(1) as f64;
    let max_steps = ((WORK_BUDGET / work).max(1.0) as usize).min(MAX_BOUND_STEPS);
    let mut u = vec![1.0; n];
    let mut next = vec![0.0; n];
    let mut acc = vec![0.0; n];
    // Out-edges by source, from the in-edge lists.
    for _ in 0..max_steps {
        for (a, x) in acc.iter_mut().zip(&u) {
            *a += x;
        }
        next.iter_mut().for_each(|x| *x = 0.0);
        // (Q u)_t = sum over out-edges of t; accumulate from the in-lists:
        // for each s and each in-edge t -> s, add q * u_s to next_t.
        for s in 0..n {
            let us = u.get(s).copied().unwrap_or(0.0);
            if us == 0.0 {
                continue;
            }
            for (t, q) in p.inputs(s) {
                if let Some(x) = next.get_mut(t) {
                    *x += q * us;
                }
            }
        }
        std::mem::swap(&mut u, &mut next);
        let rho = u.iter().copied().fold(0.0, f64::max);
        if rho <= 0.5 {
            let longest = acc.iter().copied().fold(0.0, f64::max);
            // A little slack for the rounding of the iteration.
            return Some(longest / (1.0 - rho) * (1.0 + 1e-9));
        }
    }
    None
}

/// Gauss-Seidel from zero with the proven stopping rule; `None` when the
/// work budget runs out first.
fn gauss_seidel(
    p: &Probs,
    keep: &[bool],
    walk_bound: f64,
    p_conv: f64,
    value_flow: Option<f64>,
    max_mv: f64,
) -> Option<(Vec<f64>, f64)> {
    let n = p.n;
    let work = (p.in_from.len() + n).max(1) as f64;
    let max_sweeps = (WORK_BUDGET / work / 2.0).max(1.0) as usize;
    let mut x = vec![0.0; n];
    for sweep in 1..=max_sweeps {
        for s in 0..n {
            if keep.get(s) != Some(&true) {
                continue;
            }
            let mut acc = p.pi.get(s).copied().unwrap_or(0.0);
            for (t, q) in p.inputs(s) {
                if keep.get(t) == Some(&true) {
                    acc += q * x.get(t).copied().unwrap_or(0.0);
                }
            }
            if let Some(v) = x.get_mut(s) {
                *v = acc;
            }
        }
        if sweep % 4 != 0 && sweep != max_sweeps {
            continue;
        }
        // The residual after the sweep, and the value flow so far.
        let mut r = 0.0;
        let mut flow = 0.0;
        for s in 0..n {
            if keep.get(s) != Some(&true) {
                continue;
            }
            let xs = x.get(s).copied().unwrap_or(0.0);
            let mut acc = p.pi.get(s).copied().unwrap_or(0.0);
            for (t, q) in p.inputs(s) {
                if keep.get(t) == Some(&true) {
                    acc += q * x.get(t).copied().unwrap_or(0.0);
                }
            }
            r += (acc - xs).abs();
            flow += xs * p.mv.get(s).copied().unwrap_or(0.0);
        }
        let err = r * walk_bound;
        let scale_w = value_flow.unwrap_or(flow);
        let ok_p = err <= TOLERANCE * p_conv;
        let ok_w = max_mv == 0.0 || err * max_mv <= TOLERANCE * scale_w;
        if ok_p && ok_w {
            let rel = (err / p_conv).max(if scale_w > 0.0 {
                err * max_mv / scale_w
            } else {
                0.0
            });
            return Some((x, rel));
        }
    }
    None
}

/// Gaussian elimination with partial pivoting on `(I - Q^T)` restricted to
/// the kept states.
fn direct(p: &Probs, keep: &[bool]) -> Result<Vec<f64>> {
    let n = p.n;
    let idx: Vec<usize> = (0..n).filter(|&s| keep.get(s) == Some(&true)).collect();
    let k = idx.len();
    if k > MAX_DENSE_STATES {
        return Err(slow_chain());
    }
    let mut pos = vec![usize::MAX; n];
    for (i, &s) in idx.iter().enumerate() {
        if let Some(x) = pos.get_mut(s) {
            *x = i;
        }
    }
    let mut a = vec![0.0f64; k * k];
    for (i, row) in a.chunks_exact_mut(k.max(1)).enumerate().take(k) {
        if let Some(x) = row.get_mut(i) {
            *x = 1.0;
        }
    }
    // Row i is the equation of state idx[i]: x_i - sum_t q(t -> s) x_t = pi_s.
    for (i, &s) in idx.iter().enumerate() {
        for (t, q) in p.inputs(s) {
            let j = pos.get(t).copied().unwrap_or(usize::MAX);
            if j != usize::MAX {
                if let Some(x) = a.get_mut(i * k + j) {
                    *x -= q;
                }
            }
        }
    }
    let mut b: Vec<f64> = idx
        .iter()
        .map(|&s| p.pi.get(s).copied().unwrap_or(0.0))
        .collect();
    for col in 0..k {
        // Partial pivoting.
        let mut best = col;
        let mut best_abs = 0.0;
        for r in col..k {
            let v = a.get(r * k + col).copied().unwrap_or(0.0).abs();
            if v > best_abs {
                best_abs = v;
                best = r;
            }
        }
        if !(best_abs.is_finite() && best_abs > 1e-300) {
            return Err(Error::NumericFailure {
                what: format!(
                    "the Markov chain's system is singular at state {col} of {k}: its walks never end"
                ),
            });
        }
        if best != col {
            for j in 0..k {
                a.swap(col * k + j, best * k + j);
            }
            b.swap(col, best);
        }
        let (top, rest) = a.split_at_mut((col + 1) * k);
        let pivot_row = top.get(col * k..).unwrap_or(&[]);
        let pivot = pivot_row.get(col).copied().unwrap_or(1.0);
        let tail = pivot_row.get(col + 1..).unwrap_or(&[]);
        let b_col = b.get(col).copied().unwrap_or(0.0);
        let (_, b_rest) = b.split_at_mut(col + 1);
        for (row, br) in rest.chunks_exact_mut(k).zip(b_rest.iter_mut()) {
            let f = row.get(col).copied().unwrap_or(0.0) / pivot;
            if f == 0.0 {
                continue;
            }
            if let Some(x) = row.get_mut(col) {
                *x = 0.0;
            }
            for (x, &y) in row
                .get_mut(col + 1..)
                .unwrap_or(&mut [])
                .iter_mut()
                .zip(tail)
            {
                *x -= f * y;
            }
            *br -= f * b_col;
        }
    }
    // Back substitution.
    let mut y = vec![0.0; k];
    for i in (0..k).rev() {
        let row = a.get(i * k..(i + 1) * k).unwrap_or(&[]);
        let mut acc = b.get(i).copied().unwrap_or(0.0);
        for (j, &aij) in row.iter().enumerate().skip(i + 1) {
            acc -= aij * y.get(j).copied().unwrap_or(0.0);
        }
        if let Some(v) = y.get_mut(i) {
            *v = acc / row.get(i).copied().unwrap_or(1.0);
        }
    }
    let mut x = vec![0.0; n];
    for (i, &s) in idx.iter().enumerate() {
        if let Some(v) = x.get_mut(s) {
            *v = y.get(i).copied().unwrap_or(0.0);
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::paths::PathSet;
    use crate::numeric::Rng;

    fn random_paths(seed: u64, channels: usize, rows: usize, max_len: usize) -> PathSet {
        let mut rng = Rng::new(seed);
        let names: Vec<String> = (0..channels).map(|c| format!("c{c}")).collect();
        let mut set = PathSet::new();
        for _ in 0..rows {
            let len = 1 + rng.below(max_len as u64) as usize;
            let path: Vec<&str> = (0..len)
                .map(|_| names[rng.below(channels as u64) as usize].as_str())
                .collect();
            let conv = rng.below(4);
            let nulls = rng.below(5) + u64::from(conv == 0);
            set.add(
                &path,
                conv,
                conv as f64 * (1.0 + rng.below(100) as f64),
                nulls,
            )
            .unwrap();
        }
        set
    }

    #[test]
    fn iterative_matches_direct() {
        for (seed, order) in [(1, 1), (2, 2), (3, 3)] {
            let paths = random_paths(seed, 6, 400, 7);
            let chain = Chain::build(&paths, order, 100_000, false).unwrap();
            let a = effects(&chain, Solver::Direct).unwrap();
            let b = effects(&chain, Solver::Iterative).unwrap();
            assert!(matches!(b.method, Method::Iterative { bound } if bound < 1e-12));
            assert!((a.conversion_probability - b.conversion_probability).abs() < 1e-15);
            for (x, y) in a.removal.iter().zip(&b.removal) {
                assert!((x - y).abs() < 1e-11, "{x} {y}");
            }
            for (x, y) in a.removal_value.iter().zip(&b.removal_value) {
                assert!((x - y).abs() < 1e-11, "{x} {y}");
            }
            assert!((a.value_flow - b.value_flow).abs() < 1e-9 * a.value_flow);
        }
    }

    #[test]
    fn long_walks_are_bounded_or_solved_directly() {
        // a > b > a > b ...: walks of about the path's length.
        for (len, iterative) in [(200, true), (1_000_000, false)] {
            let mut paths = PathSet::new();
            let long: Vec<&str> = (0..len)
                .map(|i| if i % 2 == 0 { "a" } else { "b" })
                .collect();
            paths.add(&long, 0, 0.0, 3).unwrap();
            paths.add(&["a", "c"], 1, 1.0, 0).unwrap();
            let chain = Chain::build(&paths, 1, 100, false).unwrap();
            let e = effects(&chain, Solver::Iterative).unwrap();
            let d = effects(&chain, Solver::Direct).unwrap();
            assert_eq!(
                matches!(e.method, Method::Iterative { .. }),
                iterative,
                "{len}"
            );
            for (x, y) in e.removal.iter().zip(&d.removal) {
                assert!((x - y).abs() < 1e-9, "{x} {y}");
            }
        }
    }
}
