//! Writes a deterministic attribution file of the shape of the reference set
//! (`tests/data/data/attribution_paths_small.csv` or, with `--journeys`,
//! `attribution_journeys_small.csv`) at any size, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_paths -- --paths 200000 [--seed 7] OUT.csv
//! cargo run --release --example gen_paths -- --journeys 500000 [--seed 7] OUT.csv
//! ```
//!
//! Paths: `path,total_conversions,total_conversion_value,total_null`, that
//! many **distinct** paths over the reference set's eight channels
//! (`search, social, email, sms, display, referral, direct, marketplace`,
//! unequally likely), joined by `" > "`; 1 to 21 touches (geometric, mean
//! about 5.5), about one touch in six repeating the one before
//! (`search > search`), non-consecutive repeats and single touches;
//! conversions and non-conversions per path 0 to 12 with at least one
//! journey, about 55% of journeys converting (the large reference set's
//! P(conversion) is 0.549); values with two decimals, about 80 per
//! conversion. Journeys: `journey_id,path,hours_to_end,converted,conversion_value`,
//! one journey a row, paths as above (not distinct), hours to the end
//! non-increasing with one decimal, the last touch at 0.0. A usage error is
//! one `error: ...` line on stderr and exit code 2.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;
use cxjourney::sample::Rng;

#[path = "common/args.rs"]
mod args;

/// Writes a deterministic attribution path or journeys file for benchmarks.
#[derive(Debug, Parser)]
#[command(
    name = "gen_paths",
    version,
    override_usage = "gen_paths (--paths N | --journeys N) [--seed S] OUT.csv"
)]
struct Cli {
    /// The CSV file to write.
    #[arg(value_name = "OUT.csv")]
    out: String,
    /// Distinct paths in a path file.
    #[arg(long, value_name = "N", conflicts_with = "journeys")]
    paths: Option<usize>,
    /// Journeys in a journeys file.
    #[arg(long, value_name = "N")]
    journeys: Option<usize>,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 7)]
    seed: u64,
}

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

/// A path of channel indices.
fn path(rng: &mut Rng, weights: &[f64], out: &mut Vec<usize>) {
    out.clear();
    let mut len = 1;
    while len < 21 && rng.chance(0.82) {
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

fn run(cli: &Cli) -> Result<(), String> {
    let weights: Vec<f64> = CHANNELS.iter().map(|c| c.1).collect();
    let mut rng = Rng::new(cli.seed);
    let file = File::create(&cli.out).map_err(|e| format!("cannot create {:?}: {e}", cli.out))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let err = |e: std::io::Error| format!("cannot write {:?}: {e}", cli.out);
    let mut p = Vec::new();
    let mut line = String::new();
    match (cli.paths, cli.journeys) {
        (Some(n), None) => {
            writeln!(w, "path,total_conversions,total_conversion_value,total_null").map_err(err)?;
            let mut seen: HashSet<Vec<usize>> = HashSet::with_capacity(n);
            while seen.len() < n {
                path(&mut rng, &weights, &mut p);
                if seen.contains(&p) {
                    continue;
                }
                seen.insert(p.clone());
                let journeys = 1 + rng.below(6) + rng.below(7);
                let chance = conversion_chance(&p);
                let conv = (0..journeys).filter(|_| rng.chance(chance)).count() as u64;
                let cents: u64 = (0..conv).map(|_| value_cents(&mut rng)).sum();
                line.clear();
                let _ = writeln!(
                    line,
                    "{},{conv},{}.{:02},{}",
                    name(&p),
                    cents / 100,
                    cents % 100,
                    journeys - conv
                );
                w.write_all(line.as_bytes()).map_err(err)?;
            }
        }
        (None, Some(n)) => {
            writeln!(w, "journey_id,path,hours_to_end,converted,conversion_value").map_err(err)?;
            for id in 1..=n {
                path(&mut rng, &weights, &mut p);
                let converted = rng.chance(conversion_chance(&p));
                let cents = if converted { value_cents(&mut rng) } else { 0 };
                // Hours to the end, non-increasing, the last touch at 0.
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
                line.clear();
                let _ = writeln!(
                    line,
                    "{id},{},{},{},{}.{:02}",
                    name(&p),
                    hours.join(" > "),
                    u8::from(converted),
                    cents / 100,
                    cents % 100
                );
                w.write_all(line.as_bytes()).map_err(err)?;
            }
        }
        _ => return Err("give one of --paths N or --journeys N".to_owned()),
    }
    w.flush().map_err(err)
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}
