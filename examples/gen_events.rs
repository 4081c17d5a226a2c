//! Writes a deterministic event log of the shape of
//! `../shared/peers/data/events_small.csv` at any size, for benchmarks.
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
//! 604800 s and 604801 s. 1.2M users give about 6.7M rows.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use chrono::DateTime;
use cxjourney::sample::{EventLogConfig, event_log};

fn run() -> Result<(), String> {
    let mut users: u64 = 190;
    let mut seed: u64 = 7;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--users" => {
                users = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--users needs a positive integer")?;
            }
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seed needs an integer")?;
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a:?}")),
            _ => out = Some(a),
        }
    }
    let out = out.ok_or("usage: gen_events --users N [--seed S] OUT.csv")?;
    let rows = event_log(&EventLogConfig { users, seed });
    let file = File::create(&out).map_err(|e| format!("cannot create {out:?}: {e}"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let err = |e: std::io::Error| format!("cannot write {out:?}: {e}");
    writeln!(w, "user_id,ts,event").map_err(err)?;
    for row in &rows {
        let ts = DateTime::from_timestamp(row.ts, 0).ok_or("time out of range")?;
        writeln!(
            w,
            "{},{},{}",
            row.user,
            ts.format("%Y-%m-%dT%H:%M:%SZ"),
            row.name()
        )
        .map_err(err)?;
    }
    w.flush().map_err(err)?;
    eprintln!("wrote {} rows for {users} users to {out}", rows.len());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("gen_events: error: {msg}");
            ExitCode::from(2)
        }
    }
}
