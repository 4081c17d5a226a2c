//! Writes a deterministic event log of the shape of the reference set
//! `tests/data/data/events_small.csv` at any size, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_events -- --users 1200000 [--seed 7] OUT.csv
//! ```
//!
//! Columns `user_id,ts,event`; the nine events of the reference set; about
//! 5.6 events per user from a browse → cart → checkout → purchase walk; rows
//! sorted by time only (stable), not by user. Of the consecutive gaps of a
//! user, about 3% are 0 s (same-second ties, half of them written in reverse
//! funnel order), 1% each exactly 3600 s and 3601 s, and 0.5% each exactly
//! 604800 s and 604801 s. 1.2M users give about 6.7M rows. A usage error is
//! one `error: ...` line on stderr and exit code 2.

use std::fmt::Write as _;
use std::fs::File;
use std::process::ExitCode;

use chrono::DateTime;
use chrono::format::StrftimeItems;
use clap::Parser;
use cxjourney::sample::{EventLogConfig, event_log};

#[path = "common/args.rs"]
mod args;

/// Writes a deterministic event log (user_id,ts,event) for benchmarks.
#[derive(Debug, Parser)]
#[command(
    name = "gen_events",
    version,
    override_usage = "gen_events --users N [--seed S] OUT.csv"
)]
struct Cli {
    /// The CSV file to write.
    #[arg(value_name = "OUT.csv")]
    out: String,
    /// Users in the log (about 5.6 events each).
    #[arg(long, value_name = "N", default_value_t = 190)]
    users: u64,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 7)]
    seed: u64,
}

fn run(cli: &Cli) -> Result<(), String> {
    let Cli { out, users, seed } = cli;
    let rows = event_log(&EventLogConfig {
        users: *users,
        seed: *seed,
    })
    .map_err(|e| e.to_string())?;
    let file = File::create(out).map_err(|e| format!("cannot create {out:?}: {e}"))?;
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_writer(file);
    let err = |e: csv::Error| format!("cannot write {out:?}: {e}");
    w.write_record(["user_id", "ts", "event"]).map_err(err)?;
    // The time format parsed once, not once a row.
    let iso = StrftimeItems::new("%Y-%m-%dT%H:%M:%SZ")
        .parse()
        .map_err(|e| e.to_string())?;
    let (mut user, mut ts) = (String::new(), String::new());
    for row in &rows {
        let at = DateTime::from_timestamp(row.ts, 0).ok_or("time out of range")?;
        user.clear();
        ts.clear();
        write!(user, "{}", row.user).map_err(|e| e.to_string())?;
        write!(ts, "{}", at.format_with_items(iso.iter())).map_err(|e| e.to_string())?;
        w.write_record([user.as_str(), ts.as_str(), row.name()])
            .map_err(err)?;
    }
    w.flush()
        .map_err(|e| format!("cannot write {out:?}: {e}"))?;
    eprintln!("wrote {} rows for {users} users to {out}", rows.len());
    Ok(())
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}
