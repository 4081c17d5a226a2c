//! Writes deterministic order transactions of the shape of the reference set
//! `tests/data/data/transactions_small.csv` at any size, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_transactions -- [--customers 120000] [--seed 7] OUT.csv
//! ```
//!
//! Columns `customer_id,ts,amount,discounted` (SEMANTICS.md, section 4):
//! integer customer ids `1..=N`; about 9.5 orders per customer in 2024 (a
//! geometric count, so most buy a few times and some dozens of times), spread
//! from a first day anywhere in the year to its end, about 10% of them on the
//! same day as the order before; about 1% of all rows in January 2025, after
//! the observation end; amounts with two decimals, above 0, around a
//! customer's own level; `discounted` from a customer's own propensity
//! (about 35% overall); rows sorted by `ts` (stable). 120,000 customers give
//! about 1.14M rows (the large set has 1,137,460). A usage error is one
//! `error: ...` line on stderr and exit code 2.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;
use cxjourney::sample::Rng;

#[path = "common/args.rs"]
mod args;

/// Writes deterministic transactions (customer_id,ts,amount,discounted).
#[derive(Debug, Parser)]
#[command(
    name = "gen_transactions",
    version,
    override_usage = "gen_transactions [--customers N] [--seed S] OUT.csv"
)]
struct Cli {
    /// The CSV file to write.
    #[arg(value_name = "OUT.csv")]
    out: String,
    /// Customers (about 9.5 orders each).
    #[arg(long, value_name = "N", default_value_t = 120_000)]
    customers: u64,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 7)]
    seed: u64,
}

const DAY: i64 = 86_400;

/// One transaction: seconds since the epoch, customer, cents, discounted.
type Tx = (i64, u64, i64, bool);

fn generate(customers: u64, seed: u64) -> Vec<Tx> {
    let mut rng = Rng::new(seed);
    let year = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp());
    let year_end = year + 366 * DAY; // 2025-01-01T00:00:00Z
    let mut out = Vec::with_capacity((customers as usize).saturating_mul(10));
    for c in 1..=customers {
        // Orders in 2024: 1 + a geometric count (mean about 8.4 after flooring).
        let extra = (-(1.0 - rng.unit()).max(1e-12).ln() * 8.87) as i64;
        let n = 1 + extra.min(400);
        let first = year + rng.range(0, 359) * DAY + rng.range(0, DAY - 1);
        let span = year_end - 1 - first;
        // The customer's level of spending and liking for discounts.
        let level = 35.0 * (0.4 * normal(&mut rng)).exp();
        let propensity = 0.7 * rng.unit();
        let mut times: Vec<i64> = (1..n).map(|_| first + rng.range(0, span)).collect();
        times.push(first);
        times.sort_unstable();
        // About 10% of orders follow the one before on the same day.
        let mut before: Option<i64> = None;
        for t in &mut times {
            if let Some(prev) = before
                && rng.chance(0.1)
            {
                let day_end = prev - prev.rem_euclid(DAY) + DAY - 1;
                *t = (prev + rng.range(60, 4 * 3600)).min(day_end);
            }
            before = Some(*t);
        }
        times.sort_unstable();
        // About 1% of all rows in January 2025.
        if rng.chance(0.095) {
            times.push(year_end + rng.range(0, 31 * DAY - 1));
        }
        for t in times {
            let amount = level * (0.5 * normal(&mut rng)).exp();
            let cents = ((amount * 100.0).round() as i64).max(100);
            out.push((t, c, cents, rng.chance(propensity)));
        }
    }
    out.sort_by_key(|tx| tx.0);
    out
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut Rng) -> f64 {
    let u = (1.0 - rng.unit()).max(1e-12);
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn run(cli: &Cli) -> Result<(), String> {
    let rows = generate(cli.customers, cli.seed);
    let out = &cli.out;
    let file = File::create(out).map_err(|e| format!("cannot create {out:?}: {e}"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let err = |e: std::io::Error| format!("cannot write {out:?}: {e}");
    writeln!(w, "customer_id,ts,amount,discounted").map_err(err)?;
    let mut line = String::new();
    for &(t, c, cents, discounted) in &rows {
        let at = DateTime::from_timestamp(t, 0).ok_or("time out of range")?;
        line.clear();
        writeln!(
            line,
            "{c},{},{}.{:02},{discounted}",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            cents / 100,
            cents % 100
        )
        .map_err(|e| e.to_string())?;
        w.write_all(line.as_bytes()).map_err(err)?;
    }
    w.flush().map_err(err)?;
    eprintln!(
        "wrote {} rows for {} customers to {out}",
        rows.len(),
        cli.customers
    );
    Ok(())
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}
