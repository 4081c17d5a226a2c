//! RFM scores, segments and the `lifetimes` summary of a transactions file.
//!
//! ```text
//! cargo run --release --example rfm -- FILE.csv --as-of 2024-12-31 \
//!     [--bins 5] [--monetary sum|mean] [--period day|week] \
//!     [--segments rf_grid|rfm_package|rfm_package_legacy|RULES.json] [--threads N]
//! ```
//!
//! FILE has the columns `customer_id,ts,amount,discounted` (a header row;
//! rows in any order; `discounted` may be missing). Writes CSV to stdout with
//! the header
//! `customer_id,frequency,recency,T,monetary_value,recency_days,frequency_tx,monetary_sum,discounted_share,r_score,f_score,m_score,segment`,
//! one row per customer with an order on or before `--as-of`, ordered by
//! customer id (integer ids ascending, then text ids in byte order): the
//! first four figures are `lifetimes.utils.summary_data_from_transaction_data`'s
//! (`freq="D"`), the next four the RFM inputs, then the quintile scores
//! (pandas `qcut` over `rank(method="first")`, recency reversed) and the
//! segment (the R x F grid unless `--segments` says otherwise). The
//! semantics are those of `tests/data/SEMANTICS.md`, section 4.
//!
//! On stderr: one line `{"compute_seconds": S}`, the time from the rows in
//! memory to the scores: grouping the rows by customer and time, the
//! per-customer pass, ranking, scoring and segmenting (reading the file
//! before and writing the CSV after are not in it). For benchmarks,
//! `--rounds N` computes N times from the same rows and adds
//! `"rounds": [S1, ..., SN]` to that line (the output is the same).
//!
//! Malformed input (a missing column, an empty id, a time that is not
//! ISO-8601, an amount that is not a non-negative decimal, a row of another
//! width than the header) gives one `error: ...` line naming the line, the
//! column and the value on stderr, and exit status 2; so does a usage error.

use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Parser;
use cxjourney::log::EventLogBuilder;
use cxjourney::value::{
    MonetaryBasis, Period, RfmAccumulator, RfmConfig, RfmReport, RuleSet, TransactionCsvOptions,
    read_transactions,
};
use cxjourney::{Error, run_on_log};

#[path = "common/args.rs"]
mod args;

/// RFM scores, segments and the lifetimes summary of a transactions CSV
/// (customer_id,ts,amount,discounted).
#[derive(Debug, Parser)]
#[command(
    name = "rfm",
    version,
    override_usage = "rfm FILE.csv --as-of YYYY-MM-DD [--bins N] [--monetary sum|mean] [--period day|week] [--segments NAME|RULES.json] [--threads N] [--rounds N]"
)]
struct Cli {
    /// The transactions.
    #[arg(value_name = "FILE.csv", required = true)]
    files: Vec<String>,
    /// The analysis date: later orders are left out.
    #[arg(long = "as-of", value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: NaiveDate,
    /// Score bins (1 to 20).
    #[arg(long, value_name = "N", default_value_t = 5)]
    bins: u8,
    /// What the M score ranks.
    #[arg(long, value_name = "sum|mean", value_parser = parse_monetary, default_value = "sum")]
    monetary: MonetaryBasis,
    /// The lifetimes period.
    #[arg(long, value_name = "day|week", value_parser = parse_period, default_value = "day")]
    period: Period,
    /// A built-in rule set (rf_grid, rfm_package, rfm_package_legacy) or a
    /// JSON file of rules.
    #[arg(long, value_name = "NAME|RULES.json", default_value = "rf_grid")]
    segments: String,
    /// Threads for the per-customer pass (default: the machine's cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// For benchmarks: compute N times from the same rows (a copy of the
    /// rows per round, not timed) and list every round's time on stderr;
    /// the first round is a fresh process's, later ones reuse memory the
    /// process already has, as a long-running service would.
    #[arg(long, value_name = "N", default_value_t = 1)]
    rounds: u32,
}

fn parse_date(v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|e| format!("--as-of {v:?} is not a date such as 2024-12-31 ({e})"))
}

fn parse_monetary(v: &str) -> Result<MonetaryBasis, String> {
    v.parse().map_err(|e: Error| e.to_string())
}

fn parse_period(v: &str) -> Result<Period, String> {
    v.parse().map_err(|e: Error| e.to_string())
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
    let segments = rule_set(&cli.segments)?;
    let config = RfmConfig::new(cli.as_of)
        .bins(cli.bins)
        .monetary(cli.monetary)
        .period(cli.period)
        .segments(segments);
    config.validate().map_err(|e| e.to_string())?;
    if Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    let file = File::open(path).map_err(|e| format!("cannot open {path:?}: {e}"))?;
    let (builder, _) = read_transactions(
        BufReader::with_capacity(1 << 20, file),
        &TransactionCsvOptions::default(),
    )
    .map_err(|e| describe(path, &e))?;

    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    // Grouping, the per-customer pass, ranking, scoring, segmenting: timed.
    let compute = |rows: EventLogBuilder| -> Result<(RfmReport, f64), String> {
        let started = Instant::now();
        let log = rows.finish().map_err(|e| e.to_string())?;
        let report =
            run_on_log::<RfmAccumulator>(&log, &config, threads).map_err(|e| e.to_string())?;
        Ok((report, started.elapsed().as_secs_f64()))
    };
    let mut seconds = Vec::new();
    let mut rows = Some(builder);
    let mut report = None;
    for round in 1..=cli.rounds.max(1) {
        // The last round takes the rows; earlier ones a copy (not timed).
        let these = if round < cli.rounds {
            rows.clone()
        } else {
            rows.take()
        };
        let (r, s) = compute(these.ok_or("no rows")?)?;
        seconds.push(s);
        report = Some(r);
    }
    let report = report.ok_or("no round ran")?;
    write_csv(&report)?;
    let first = seconds.first().copied().unwrap_or(0.0);
    if seconds.len() > 1 {
        let all: Vec<String> = seconds.iter().map(f64::to_string).collect();
        eprintln!(
            "{{\"compute_seconds\": {first}, \"rounds\": [{}]}}",
            all.join(", ")
        );
    } else {
        eprintln!("{{\"compute_seconds\": {first}}}");
    }
    Ok(())
}

/// A built-in rule set by name, or rules from a JSON file.
fn rule_set(spec: &str) -> Result<RuleSet, String> {
    if RuleSet::BUILTIN.contains(&spec) {
        return RuleSet::builtin(spec).map_err(|e| e.to_string());
    }
    if !Path::new(spec).is_file() {
        return Err(format!(
            "--segments {spec:?} is neither a built-in rule set ({}) nor a file",
            RuleSet::BUILTIN.join(", ")
        ));
    }
    let text = std::fs::read_to_string(spec).map_err(|e| format!("cannot read {spec:?}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{spec}: not a rule set: {e}"))
}

/// The reader's error in the words of this command.
fn describe(path: &str, e: &Error) -> String {
    match e {
        Error::InvalidRecord { column, reason, .. }
            if column == "header" && reason.starts_with("empty input") =>
        {
            format!("{path}: empty file: expected the header customer_id,ts,amount,discounted")
        }
        _ => format!("{path}: {e}"),
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Minor units as a decimal with the currency's digits (exact).
fn decimal(minor: i64, digits: u32) -> String {
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    let s = scale.unsigned_abs();
    format!("{sign}{}.{:0width$}", m / s, m % s, width = digits as usize)
}

/// Writes the report's customers as CSV to stdout; a closed pipe ends the
/// output quietly.
fn write_csv(report: &RfmReport) -> Result<(), String> {
    let digits = report.currency.map_or(2, |c| c.minor_digits());
    let stdout = std::io::stdout().lock();
    let mut w = BufWriter::with_capacity(1 << 16, stdout);
    let result = (|| -> std::io::Result<()> {
        writeln!(
            w,
            "customer_id,frequency,recency,T,monetary_value,recency_days,frequency_tx,monetary_sum,discounted_share,r_score,f_score,m_score,segment"
        )?;
        for c in &report.customers {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&c.customer.to_string()),
                c.frequency,
                c.recency,
                c.t,
                c.monetary_value,
                c.recency_days,
                c.frequency_tx,
                decimal(c.monetary_sum_minor, digits),
                c.discounted_share,
                c.r_score,
                c.f_score,
                c.m_score,
                csv_field(&c.segment),
            )?;
        }
        w.flush()
    })();
    match result {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(format!("cannot write to stdout: {e}")),
        _ => Ok(()),
    }
}
