//! Daily cohort retention over a CSV event log, as ClickHouse's `retention`.
//!
//! ```text
//! cargo run --release --example retention -- FILE.csv [--days 7] [--threads N]
//! ```
//!
//! FILE has the columns `user_id,ts,event` (a header row; rows in any order;
//! other columns are read as `cxjourney::log::read_csv` reads them, or
//! ignored). Each customer joins the cohort of the UTC calendar date of their
//! first event; `days[k]` counts the cohort's customers with at least one
//! event on the date `cohort + k` (calendar days: 23:59:59 then 00:00:00 is
//! day 1), so `days[0]` = `users`. Prints one JSON object:
//!
//! ```text
//! {"cohorts": [{"cohort": "2024-01-01", "users": n, "days": [d0, d1, ..., d7]}, ...], "compute_seconds": S}
//! ```
//!
//! with one entry per cohort date that has customers, oldest first, and
//! `--days` + 1 counts each (default 7, at most 3660). `compute_seconds`
//! covers the retention over the event log on all threads (the log, grouped
//! by customer, is built while the file is read, before the clock starts).
//! `--threads N` splits the customers over N threads (default: the machine's
//! cores); the result does not depend on it. `--regroup` (for benchmarks)
//! makes `compute_seconds` cover grouping too: after the read, the log's rows
//! (customer, time, kind) are laid out in time order, as the file holds them
//! (not timed); the clock then covers splitting them by customer into
//! `--threads` parts, grouping each part into an event log and accumulating
//! it on its own thread, and merging the partial states; the output is the
//! same.
//!
//! Malformed input (a missing column, an empty id, a time that is not
//! ISO-8601, a row with another number of fields than the header, a quote
//! left open) gives one `error: ...` line naming the line and the value on
//! stderr and exit status 2, as a usage error does.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, Utc};
use clap::Parser;
use cxjourney::log::{CsvOptions, EventLog, EventLogBuilder, NewRow, read_csv};
use cxjourney::retention::{
    MAX_PERIODS, Period, RetentionAccumulator, RetentionConfig, RetentionReport,
};
use cxjourney::{Accumulator, CustomerId, Error, EventMap, TouchpointKind, run_on_log};

#[path = "common/args.rs"]
mod args;
#[path = "common/out.rs"]
mod out;

/// Daily cohort retention (ClickHouse `retention`) over a CSV event log
/// (user_id,ts,event).
#[derive(Debug, Parser)]
#[command(
    name = "retention",
    version,
    override_usage = "retention FILE.csv [--days N] [--threads N]"
)]
struct Cli {
    /// The last day reported after the cohort's date (days 0..=N).
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = parse_days)]
    days: u32,
    /// Threads (default: the machine's cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Time grouping too: rebuild the log from its rows in time order
    /// before the retention (for benchmarks; same output).
    #[arg(long)]
    regroup: bool,
    /// The event log.
    #[arg(value_name = "FILE.csv")]
    file: String,
}

fn parse_days(v: &str) -> Result<u32, String> {
    let n: u32 = v.trim().parse().map_err(|_| {
        format!("--days needs a whole number of days from 0 to {MAX_PERIODS}, not {v:?}")
    })?;
    if n > MAX_PERIODS {
        return Err(format!(
            "--days {n} is more than {MAX_PERIODS} (ten years of days)"
        ));
    }
    Ok(n)
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}

fn run(cli: &Cli) -> Result<(), String> {
    let path = &cli.file;
    let config = RetentionConfig::new(Period::Day, cli.days);
    let log = read(path)?;
    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let rows = cli.regroup.then(|| rows_in_time_order(&log));

    let started = Instant::now();
    let report = match &rows {
        Some(rows) => regrouped_retention(&log, rows, &config, threads),
        None => run_on_log::<RetentionAccumulator>(&log, &config, threads),
    }
    .map_err(|e| format!("{path}: {e}"))?;
    let compute_seconds = started.elapsed().as_secs_f64();

    let mut text = String::with_capacity(64 + 96 * report.cohorts.len());
    text.push_str("{\"cohorts\": [");
    for (i, c) in report.cohorts.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let days =
            c.on.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
        let _ = write!(
            text,
            "{{\"cohort\": \"{}\", \"users\": {}, \"days\": [{days}]}}",
            c.cohort, c.users
        );
    }
    let _ = write!(text, "], \"compute_seconds\": {compute_seconds}}}");
    out::emit(&text)
}

/// (customer, microseconds, kind code) of every row, in time order (stable:
/// as a file sorted by time holds them).
fn rows_in_time_order(log: &EventLog) -> Vec<(CustomerId, i64, u16)> {
    let mut rows = Vec::with_capacity(log.len());
    for j in log.journeys() {
        let c = j.customer();
        rows.extend(
            j.times()
                .iter()
                .zip(j.kind_codes())
                .map(|(&t, &k)| (c, t, k)),
        );
    }
    rows.sort_by_key(|&(_, t, _)| t);
    rows
}

/// The retention with the grouping included: the rows are split by customer
/// into `threads` parts (as a hash aggregation splits its keys), each part
/// is grouped into an event log and accumulated on its own thread, and the
/// partial states merge (the `Accumulator` contract): the same report as one
/// log.
fn regrouped_retention(
    log: &EventLog,
    rows: &[(CustomerId, i64, u16)],
    config: &RetentionConfig,
    threads: usize,
) -> Result<RetentionReport, Error> {
    let parts = threads.clamp(1, 8);
    let mut split: Vec<Vec<(CustomerId, i64, u16)>> = (0..parts)
        .map(|_| Vec::with_capacity(rows.len() / parts + 1))
        .collect();
    for &r in rows {
        let part = usize::try_from(r.0.0 % parts as u64).unwrap_or(0);
        if let Some(p) = split.get_mut(part) {
            p.push(r);
        }
    }
    let one = |part: &[(CustomerId, i64, u16)]| -> Result<RetentionAccumulator, Error> {
        let log = regroup(log, part)?;
        let mut acc = RetentionAccumulator::new(config)?;
        for j in log.journeys() {
            acc.add(j)?;
        }
        Ok(acc)
    };
    let states: Vec<Result<RetentionAccumulator, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = split
            .iter()
            .map(|part| s.spawn(move || one(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::EmptyInput {
                        what: "a retention thread panicked",
                    })
                })
            })
            .collect()
    });
    let mut total = RetentionAccumulator::new(config)?;
    for state in states {
        total.merge(state?)?;
    }
    total.finish()
}

/// A new event log from `rows`: grouped by customer again.
fn regroup(log: &EventLog, rows: &[(CustomerId, i64, u16)]) -> Result<EventLog, Error> {
    let kinds: Vec<TouchpointKind> = (0..=u16::MAX)
        .map_while(|c| log.kind_of_code(c).cloned())
        .collect();
    let mut b = EventLogBuilder::new(log.config())?;
    b.reserve(rows.len());
    for &(c, t, k) in rows {
        let (Some(at), Some(kind)) = (
            DateTime::<Utc>::from_timestamp_micros(t),
            kinds.get(usize::from(k)),
        ) else {
            continue;
        };
        b.push_row(&NewRow::new(c, at, kind))?;
    }
    b.finish()
}

/// Reads the file into an event log; errors as one line naming the line and
/// the value.
fn read(path: &str) -> Result<EventLog, String> {
    if Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    let file = File::open(path).map_err(|e| format!("cannot open {path:?}: {e}"))?;
    let options = CsvOptions::default().events(EventMap::standard().fallback_to_custom());
    match read_csv(BufReader::with_capacity(1 << 20, file), &options) {
        Ok((log, _)) => Ok(log),
        Err(e) => Err(describe(path, &e)),
    }
}

/// The reader's error in the words of this command.
fn describe(path: &str, e: &Error) -> String {
    match e {
        Error::InvalidRecord { column, reason, .. }
            if column == "header" && reason.starts_with("empty input") =>
        {
            format!("{path}: empty file: expected a header user_id,ts,event")
        }
        Error::InvalidRecord { line, column, .. } if column == "user_id" => {
            format!("{path}: line {line}: {e}")
        }
        _ => format!("{path}: {e}"),
    }
}
