//! ClickHouse-style `windowFunnel` over a CSV event log.
//!
//! ```text
//! cargo run --release --example funnel -- --window SECONDS \
//!     [--mode strict_order|strict_deduplication|strict_increase] \
//!     --steps product_view,add_to_cart,checkout_start,purchase [--levels OUT.csv] FILE.csv
//! ```
//!
//! FILE has the columns `user_id,ts,event` (a header row; rows in any order;
//! other columns are read as `cxjourney::log::read_csv` reads them, or
//! ignored). A step matches the rows whose `event` equals the step's name;
//! every other row stays in the customer's sequence (it matters for
//! `strict_order`). Prints one JSON object:
//! `{"customers": N, "reaching": [n1, ...], "at_level": [n0, n1, ...], "compute_seconds": S}`,
//! where `compute_seconds` covers the funnel over the event log (the log,
//! grouped by customer, is built while the file is read, before the clock
//! starts). `--levels OUT.csv` also writes `user_id,level` for every customer.
//! `--mode` also accepts `default`, `strict_once`, `first_entry` and
//! comma-separated combinations such as `strict_order,allow_reentry`.
//! `--threads N` splits the customers over N threads (default: the machine's
//! cores); the result does not depend on it. `--journeys` is accepted and does
//! nothing (there is one path now).
//!
//! The file is read by `read_csv_file` (on two threads, each parsing a part
//! of the file; the same result as `read_csv`): columns by header name, CRLF
//! line ends, a byte-order mark, quoted fields and spaces around cells, blank
//! lines skipped. Times may carry an offset (`+02:00`, converted to UTC), a fraction
//! of a second (ignored by the funnel, as ClickHouse's `DateTime` drops it) or
//! a space instead of `T` (no zone = UTC). A `user_id` that is not a
//! non-negative integer is taken as text (unicode is fine); then `--levels`
//! lists integer ids first, ascending, then text ids in byte order, under
//! their own ids; `reaching` and `at_level` do not change.
//!
//! Malformed input (a missing column, an empty id, a time that is not
//! ISO-8601, a row with another number of fields than the header, a quote left
//! open) gives one `error: ...` line naming the line and the value on stderr,
//! and exit status 2; so does a usage error.

use std::process::ExitCode;
use std::time::Instant;

use chrono::TimeDelta;
use clap::Parser;
use cxjourney::Error;
use cxjourney::funnel::{Funnel, FunnelConfig, FunnelMode, MAX_STEPS, Step};
use cxjourney::log::EventLog;

#[path = "common/args.rs"]
mod args;
#[path = "common/events.rs"]
mod events;
#[path = "common/out.rs"]
mod out;

/// ClickHouse-style windowFunnel over a CSV event log (user_id,ts,event).
#[derive(Debug, Parser)]
#[command(
    name = "funnel",
    version,
    override_usage = "funnel --window SECONDS [--mode MODE] --steps a,b,c [--levels OUT.csv] [--threads N] FILE.csv"
)]
struct Cli {
    /// The conversion window in whole seconds, from the chain's first step.
    #[arg(long, value_name = "SECONDS")]
    window: u64,
    /// ClickHouse windowFunnel options, comma-separated (strict_order,
    /// strict_deduplication, strict_increase, strict_once, allow_reentry), or
    /// first_entry, or default.
    #[arg(long, value_name = "MODE", value_parser = parse_mode, default_value = "default")]
    mode: FunnelMode,
    /// The steps: event names, comma-separated, 1 to 32.
    #[arg(long, value_name = "a,b,c", value_parser = parse_steps)]
    steps: Steps,
    /// Also write `user_id,level` for every customer to this file.
    #[arg(long, value_name = "OUT.csv")]
    levels: Option<String>,
    /// Threads for the funnel (default: the machine's cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Accepted for compatibility; does nothing.
    #[arg(long, hide = true)]
    journeys: bool,
    /// The event log.
    #[arg(value_name = "FILE.csv", required = true)]
    files: Vec<String>,
}

#[derive(Debug, Clone)]
struct Steps(Vec<String>);

fn parse_mode(v: &str) -> Result<FunnelMode, String> {
    if v.trim().is_empty() {
        return Err("--mode needs a value such as strict_order".to_owned());
    }
    v.parse().map_err(|e: Error| e.to_string())
}

fn parse_steps(v: &str) -> Result<Steps, String> {
    let list: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
    if list.iter().any(String::is_empty) {
        return Err(format!("--steps has an empty step name: {v:?}"));
    }
    if list.len() > MAX_STEPS {
        return Err(format!(
            "--steps has {} steps; a funnel has 1 to {MAX_STEPS}",
            list.len()
        ));
    }
    Ok(Steps(list))
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
    let window = i64::try_from(cli.window)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| format!("--window {} is too large", cli.window))?;
    let steps = cli.steps.0.iter().map(|s| Step::event(s)).collect();
    let funnel = Funnel::new(FunnelConfig::new(steps, window).with_mode(cli.mode))
        .map_err(|e| e.to_string())?;
    let log = events::read(path)?;

    let started = Instant::now();
    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let levels = levels(&funnel, &log, threads)?;
    let mut at_level = vec![0u64; cli.steps.0.len() + 1];
    for &l in &levels {
        if let Some(x) = at_level.get_mut(usize::from(l)) {
            *x += 1;
        }
    }
    let reaching: Vec<u64> = (1..at_level.len())
        .map(|k| at_level.iter().skip(k).sum())
        .collect();
    let compute_seconds = started.elapsed().as_secs_f64();

    if let Some(out) = &cli.levels {
        events::write_per_user(out, &log, "level", &levels)?;
    }
    let list = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    out::emit(&format!(
        "{{\"customers\": {}, \"reaching\": [{}], \"at_level\": [{}], \"compute_seconds\": {}}}",
        levels.len(),
        list(&reaching),
        list(&at_level),
        compute_seconds
    ))
}

/// Every customer's level, customers split over `threads` threads; the same
/// for any thread count.
fn levels(funnel: &Funnel, log: &EventLog, threads: usize) -> Result<Vec<u8>, String> {
    let parts = log.split(threads.max(1));
    let one = |r| funnel.levels(log, r).map_err(|e| e.to_string());
    let results: Vec<Result<Vec<u8>, String>> = if parts.len() <= 1 {
        parts.into_iter().map(one).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = parts.into_iter().map(|r| s.spawn(move || one(r))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a funnel thread panicked".to_owned()))
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
