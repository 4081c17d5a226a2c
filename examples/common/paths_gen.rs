//! The generator of attribution path and journeys files of the reference
//! set's shape (included with `#[path]` by `examples/gen_paths.rs` and
//! `benches/attribution.rs`). See `examples/gen_paths.rs` for the shape.

#![allow(dead_code)]

use std::collections::HashSet;
use std::fmt::Write as _;

use cxjourney::sample::Rng;

const CHANNELS: [(&str, f64); 8] = [
    ("search", 0.22),
    ("social", 0.16),
    ("email", 0.14),
    ("sms", 0.06),
    ("display", 0.10),
    ("referral", 0.10),
    ("direct", 0.16),
    ("marketplace", 0.06),
];

/// How much each channel raises the chance of converting.
const LIFT: [f64; 8] = [0.10, 0.02, 0.08, 0.05, -0.04, 0.03, 0.06, 0.07];

/// A path of channel indices: after each touch another follows with
/// probability `more` (up to 21 touches).
fn path(rng: &mut Rng, weights: &[f64], more: f64, out: &mut Vec<usize>) {
    out.clear();
    let mut len = 1;
    while len < 21 && rng.chance(more) {
        len += 1;
    }
    for _ in 0..len {
        match out.last() {
            Some(&prev) if rng.chance(0.17) => out.push(prev),
            _ => out.push(rng.weighted(weights)),
        }
    }
}

/// The chance that a journey along `p` converts.
fn conversion_chance(p: &[usize]) -> f64 {
    let mut seen = [false; 8];
    let mut chance = 0.22 + 0.012 * p.len() as f64;
    for &c in p {
        if let Some(s) = seen.get_mut(c) {
            if !*s {
                *s = true;
                chance += LIFT.get(c).copied().unwrap_or(0.0);
            }
        }
    }
    chance.clamp(0.02, 0.95)
}

fn name(p: &[usize]) -> String {
    p.iter()
        .map(|&c| CHANNELS.get(c).map_or("direct", |x| x.0))
        .collect::<Vec<_>>()
        .join(" > ")
}

/// A conversion's value: about 80, two decimals, in cents.
fn value_cents(rng: &mut Rng) -> u64 {
    let x = 20.0 + 60.0 * (-(1.0 - rng.unit()).ln()) + 15.0 * rng.unit();
    (x * 100.0).round() as u64
}

/// The chance that a touch is followed by another (the default shape).
pub const MORE: f64 = 0.82;

/// A path file of `n` distinct paths.
pub fn paths_csv(n: usize, seed: u64) -> String {
    paths_csv_with(n, seed, MORE).unwrap_or_default()
}

/// A path file of `n` distinct paths whose touches continue with
/// probability `more`; `None` when 100 draws per path do not find that many.
pub fn paths_csv_with(n: usize, seed: u64, more: f64) -> Option<String> {
    let weights: Vec<f64> = CHANNELS.iter().map(|c| c.1).collect();
    let mut rng = Rng::new(seed);
    let mut out = String::from("path,total_conversions,total_conversion_value,total_null\n");
    let mut p = Vec::new();
    let mut seen: HashSet<Vec<usize>> = HashSet::with_capacity(n);
    let mut draws = 0usize;
    while seen.len() < n {
        draws += 1;
        if draws > n.saturating_mul(100).max(1000) {
            return None;
        }
        path(&mut rng, &weights, more, &mut p);
        if seen.contains(&p) {
            continue;
        }
        seen.insert(p.clone());
        let journeys = 1 + rng.below(6) + rng.below(7);
        let chance = conversion_chance(&p);
        let conv = (0..journeys).filter(|_| rng.chance(chance)).count() as u64;
        let cents: u64 = (0..conv).map(|_| value_cents(&mut rng)).sum();
        let _ = writeln!(
            out,
            "{},{conv},{}.{:02},{}",
            name(&p),
            cents / 100,
            cents % 100,
            journeys - conv
        );
    }
    Some(out)
}

/// A journeys file of `n` journeys.
pub fn journeys_csv(n: usize, seed: u64) -> String {
    let weights: Vec<f64> = CHANNELS.iter().map(|c| c.1).collect();
    let mut rng = Rng::new(seed);
    let mut out = String::from("journey_id,path,hours_to_end,converted,conversion_value\n");
    let mut p = Vec::new();
    for id in 1..=n {
        path(&mut rng, &weights, MORE, &mut p);
        let converted = rng.chance(conversion_chance(&p));
        let cents = if converted { value_cents(&mut rng) } else { 0 };
        // Tenths of hours to the end, non-increasing, the last touch at 0.
        let mut hours = vec![0u64; p.len()];
        for k in (0..p.len().saturating_sub(1)).rev() {
            let next = hours.get(k + 1).copied().unwrap_or(0);
            if let Some(h) = hours.get_mut(k) {
                *h = next + rng.below(480);
            }
        }
        let hours: Vec<String> = hours
            .iter()
            .map(|h| format!("{}.{}", h / 10, h % 10))
            .collect();
        let _ = writeln!(
            out,
            "{id},{},{},{},{}.{:02}",
            name(&p),
            hours.join(" > "),
            u8::from(converted),
            cents / 100,
            cents % 100
        );
    }
    out
}
