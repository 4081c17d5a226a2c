//! ClickHouse-style `sequenceMatch` / `sequenceCount` over a CSV event log.
//!
//! ```text
//! cargo run --release --example patterns -- FILE.csv --pattern '(?1).*(?2).*(?3)' \
//!     --conditions product_view,add_to_cart,purchase [--count] [--per-user OUT.csv] [--threads N]
//! ```
//!
//! FILE has the columns `user_id,ts,event` (a header row; rows in any order;
//! read by `cxjourney::log::read_csv`, as the `funnel` example reads it).
//! Condition `N` of the pattern matches the rows whose `event` equals the
//! `N`-th name of `--conditions`; rows that match none are left out before
//! matching, as ClickHouse does. Prints one JSON object:
//! `{"matched_users": N, "compute_seconds": S}`, or with `--count`
//! (`sequenceCount` instead of `sequenceMatch`)
//! `{"total_matches": N, "matched_users": M, "compute_seconds": S}`, where
//! `compute_seconds` covers matching every customer of the event log (the
//! log, grouped by customer, is built while the file is read, before the
//! clock starts). `--per-user OUT.csv` also writes `user_id,result` for every
//! customer (0 or 1, or the count with `--count`), integer ids ascending,
//! then text ids in byte order. `--threads N` splits the customers over N
//! threads (default: the machine's cores); the result does not depend on it.
//!
//! A malformed pattern, condition list or file gives one `error: ...` line
//! on stderr (a pattern error names the position, as ClickHouse counts it
//! from 0) and exit status 2; so does a usage error.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use cxjourney::log::EventLog;
use cxjourney::pattern::{MAX_CONDITIONS, Pattern, PatternConfig, PatternMatcher, PatternMode};
use cxjourney::step::Step;

#[path = "common/args.rs"]
mod args;
#[path = "common/events.rs"]
mod events;
#[path = "common/out.rs"]
mod out;

/// ClickHouse-style sequenceMatch / sequenceCount over a CSV event log (user_id,ts,event).
#[derive(Debug, Parser)]
#[command(
    name = "patterns",
    version,
    override_usage = "patterns FILE.csv --pattern PATTERN --conditions a,b,c [--count] [--per-user OUT.csv] [--threads N]"
)]
struct Cli {
    /// The pattern, in ClickHouse's syntax: (?N), ., .*, (?t<=S), (?t<S),
    /// (?t>=S), (?t>S), (?t==S).
    #[arg(long, value_name = "PATTERN", value_parser = parse_pattern)]
    pattern: Pattern,
    /// The conditions (?1), (?2), ...: event names, comma-separated, 1 to 32.
    #[arg(long, value_name = "a,b,c", value_parser = parse_conditions)]
    conditions: Conditions,
    /// Count non-overlapping matches (sequenceCount) instead of matching.
    #[arg(long)]
    count: bool,
    /// Also write `user_id,result` for every customer to this file.
    #[arg(long, value_name = "OUT.csv")]
    per_user: Option<String>,
    /// Threads (default: the machine's cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// The event log.
    #[arg(value_name = "FILE.csv", required = true)]
    files: Vec<String>,
}

#[derive(Debug, Clone)]
struct Conditions(Vec<String>);

fn parse_pattern(v: &str) -> Result<Pattern, String> {
    v.parse().map_err(|e: cxjourney::Error| e.to_string())
}

fn parse_conditions(v: &str) -> Result<Conditions, String> {
    let list: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
    if list.iter().any(String::is_empty) {
        return Err(format!("--conditions has an empty event name: {v:?}"));
    }
    if list.len() > MAX_CONDITIONS {
        return Err(format!(
            "--conditions has {} names; a pattern takes 1 to {MAX_CONDITIONS}",
            list.len()
        ));
    }
    Ok(Conditions(list))
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}

fn run(cli: &Cli) -> Result<(), String> {
    let path = match cli.files.as_slice() {
        [one] => one,
        more => {
            return Err(format!(
                "more than one input file given: {}",
                more.join(" ")
            ));
        }
    };
    let mode = if cli.count {
        PatternMode::Count
    } else {
        PatternMode::Match
    };
    let conditions = cli.conditions.0.iter().map(|s| Step::event(s)).collect();
    let matcher =
        PatternMatcher::new(PatternConfig::new(cli.pattern.clone(), conditions).with_mode(mode))
            .map_err(|e| e.to_string())?;
    let log = events::read(path)?;

    let started = Instant::now();
    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let results = results(&matcher, &log, threads)?;
    let matched = results.iter().filter(|&&r| r > 0).count();
    let total: u64 = results.iter().fold(0, |a, &r| a.saturating_add(r));
    let compute_seconds = started.elapsed().as_secs_f64();

    if let Some(out) = &cli.per_user {
        events::write_per_user(out, &log, "result", &results)?;
    }
    out::emit(&if cli.count {
        format!(
            "{{\"total_matches\": {total}, \"matched_users\": {matched}, \"compute_seconds\": {compute_seconds}}}"
        )
    } else {
        format!("{{\"matched_users\": {matched}, \"compute_seconds\": {compute_seconds}}}")
    })
}

/// Every customer's result, customers split over `threads` threads; the same
/// for any thread count.
fn results(matcher: &PatternMatcher, log: &EventLog, threads: usize) -> Result<Vec<u64>, String> {
    let parts = log.split(threads.max(1));
    let one = |r| matcher.results(log, r);
    let results: Vec<Result<Vec<u64>, String>> = if parts.len() <= 1 {
        parts.into_iter().map(|r| Ok(one(r))).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = parts.into_iter().map(|r| s.spawn(move || one(r))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| "a matching thread panicked".to_owned())
                })
                .collect()
        })
    };
    let mut all = Vec::with_capacity(log.customer_count());
    for r in results {
        all.extend(r?);
    }
    Ok(all)
}
