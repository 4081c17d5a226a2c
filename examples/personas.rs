//! Classify the customers of an event file into the six shopper personas.
//!
//! ```text
//! cargo run --release --example personas -- FILE.csv --as-of YYYY-MM-DD [--per-user OUT.csv] [--currency IDR]
//! ```
//!
//! FILE is read by [`cxjourney::log::read_csv`]: columns by header name (any order; `user_id`,
//! `ts` and `event` required, the others of [`cxjourney::log::CSV_COLUMNS`] such as `channel`,
//! `order_id`, `product_id`, `category`, `value` and `discounted` optional; unknown columns are
//! ignored with a warning), rows in any order. `ts` is ISO-8601 in UTC (`2024-11-11T08:30:00Z`; a
//! time without a zone is read as UTC). `event` is a GA4 recommended event, a Segment e-commerce
//! v2 event or a cxjourney kind name; other well-formed names are kept as custom kinds (which no
//! persona looks at) and counted on stderr. `value` is the order amount in the `--currency`,
//! `discounted` is `true` or `false`. `--as-of` includes the whole day (UTC). Prints one JSON
//! object: `{"customers": N, "distribution": {...}, "examples": [...], "compute_seconds": S}`,
//! where `compute_seconds` covers reading, parsing, grouping, profiling and classifying, and the
//! distribution counts customers per persona, then `undetermined` ones (too little behaviour to
//! tell: fewer actions than `PersonaConfig::min_actions`). With `--per-user OUT.csv` it also
//! writes `user_id,persona,score` for every customer (`persona` is `undetermined` for those, with
//! the highest score). Scores leave out the evidence the file cannot carry (`Evidence::of_log`:
//! no discount flag on any product view, no promotion or coupon event). The CSV may use
//! CRLF line ends, a byte-order mark, quoted fields (commas, quotes and line breaks inside) and
//! spaces around cells; blank lines are skipped. Bad input (a missing column, a row with another
//! number of fields than the header, an empty id or event, a time that is not ISO-8601, a negative
//! or malformed value) stops with one `error: ...` line naming the line, the column and the value,
//! and a non-zero exit code; a usage error gives one `error: ...; usage: ...` line and exit code 2.
//!
//! The customers are classified on every core: [`run_on_log`] splits the log's customers into
//! ranges, each thread runs an accumulator of this file (the crate's [`PersonaAccumulator`] plus
//! what the output needs per customer), and the partial states merge in order, so the output is
//! the same for any number of threads.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::Parser;
use cxjourney::log::{CsvOptions, EventLog, JourneyView, read_csv};
use cxjourney::persona::{
    BehaviourProfile, CheckoutProfile, Classifier, Evidence, Feature, PersonaAccumulator,
    PersonaReport, PersonaRun, SessionModeCounts,
};
use cxjourney::{Accumulator, Currency, Error, Persona, run_on_log};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[allow(clippy::duplicate_mod)]
#[path = "common/args.rs"]
mod args;
#[allow(clippy::duplicate_mod)]
#[path = "common/out.rs"]
mod out;

/// Classifies the customers of an event file into the six shopper personas
/// and prints one JSON object.
#[derive(Debug, Parser)]
#[command(
    name = "personas",
    version,
    override_usage = "personas FILE.csv --as-of YYYY-MM-DD [--per-user OUT.csv] [--currency IDR]"
)]
struct Cli {
    /// The events: user_id, ts, event and optional columns, by header name.
    #[arg(value_name = "FILE.csv")]
    file: PathBuf,
    /// Classify as of the end of this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = end_of_day)]
    as_of: DateTime<Utc>,
    /// Also write `user_id,persona,score` for every customer to this file.
    #[arg(long, value_name = "OUT.csv")]
    per_user: Option<PathBuf>,
    /// The currency of the value column.
    #[arg(long, value_name = "CODE", default_value = "IDR", value_parser = currency)]
    currency: Currency,
}

/// The last instant of a day `YYYY-MM-DD` (UTC).
fn end_of_day(s: &str) -> Result<DateTime<Utc>, String> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("not a date YYYY-MM-DD ({e})"))?;
    let end = d
        .and_hms_nano_opt(23, 59, 59, 999_999_999)
        .ok_or_else(|| "out of range".to_owned())?;
    Ok(Utc.from_utc_datetime(&end))
}

fn currency(s: &str) -> Result<Currency, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

/// The printed object, fields in the documented order.
#[derive(Serialize)]
struct Output {
    customers: u64,
    /// Customers per persona, then `undetermined`.
    distribution: IndexMap<&'static str, u64>,
    examples: Vec<Example>,
    compute_seconds: f64,
}

/// One explained customer: the primary persona, every score, and the reasons
/// of the primary score (feature, value, threshold, ramp ends, contribution).
#[derive(Serialize)]
struct Example {
    user_id: String,
    persona: Persona,
    score: f64,
    passed: bool,
    scores: IndexMap<Persona, f64>,
    reasons: Vec<ExampleReason>,
    impulsive_signals: Vec<&'static str>,
    session_modes: SessionModeCounts,
    checkout: CheckoutProfile,
}

#[derive(Serialize)]
struct ExampleReason {
    feature: Feature,
    value: Option<f64>,
    threshold: f64,
    from: f64,
    to: f64,
    gate: bool,
    contribution: f64,
}

/// How many customers are explained in the output.
const EXAMPLES: usize = 5;

/// The persona report plus what the output needs per customer: every
/// customer's persona and score, and the candidates for the explained
/// examples. Customers are identified by their index in the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Classified {
    personas: PersonaAccumulator,
    /// `(customer, persona or undetermined, score)`, ascending by customer
    /// after a merge.
    per_user: Vec<(usize, Option<Persona>, f64)>,
    /// The first customer of each persona whose score passed, by persona.
    first_passed: Vec<Option<(usize, BehaviourProfile)>>,
    /// The first classified customers, at most [`EXAMPLES`].
    first: Vec<(usize, BehaviourProfile)>,
}

/// What [`Classified`] reports.
struct Results {
    report: PersonaReport,
    per_user: Vec<(usize, Option<Persona>, f64)>,
    /// The explained customers, ascending.
    examples: Vec<(usize, BehaviourProfile)>,
}

impl Accumulator for Classified {
    type Config = PersonaRun;
    type Unit<'a> = JourneyView<'a>;
    type Report = Results;

    fn new(run: &PersonaRun) -> Result<Self, Error> {
        Ok(Classified {
            personas: PersonaAccumulator::new(run)?,
            per_user: Vec::new(),
            first_passed: vec![None; Persona::ALL.len()],
            first: Vec::new(),
        })
    }

    fn add(&mut self, journey: JourneyView<'_>) -> Result<(), Error> {
        let Some((profile, c)) = self.personas.add_journey(journey) else {
            return Ok(());
        };
        let i = journey.index();
        self.per_user.push((i, c.persona(), c.score));
        if let Some(slot @ None) = self.first_passed.get_mut(c.primary.index()) {
            if c.passed && !c.undetermined {
                *slot = Some((i, profile.clone()));
            }
        }
        if self.first.len() < EXAMPLES {
            self.first.push((i, profile));
        }
        Ok(())
    }

    fn merge(&mut self, other: Classified) -> Result<(), Error> {
        self.personas.merge(other.personas)?;
        self.per_user.extend(other.per_user);
        self.per_user.sort_unstable_by_key(|u| u.0);
        for (mine, theirs) in self.first_passed.iter_mut().zip(other.first_passed) {
            if let Some(t) = theirs {
                if mine.as_ref().is_none_or(|m| t.0 < m.0) {
                    *mine = Some(t);
                }
            }
        }
        self.first.extend(other.first);
        self.first.sort_unstable_by_key(|f| f.0);
        self.first.truncate(EXAMPLES);
        Ok(())
    }

    /// The examples: the first passing customer of each persona, in customer
    /// order, at most five; then further customers in order up to five.
    fn finish(self) -> Result<Results, Error> {
        let mut examples: Vec<(usize, BehaviourProfile)> =
            self.first_passed.into_iter().flatten().collect();
        examples.sort_unstable_by_key(|e| e.0);
        examples.truncate(EXAMPLES);
        for f in self.first {
            if examples.len() >= EXAMPLES {
                break;
            }
            if examples.iter().all(|e| e.0 != f.0) {
                examples.push(f);
            }
        }
        examples.sort_unstable_by_key(|e| e.0);
        Ok(Results {
            report: self.personas.finish()?,
            per_user: self.per_user,
            examples,
        })
    }
}

fn main() -> ExitCode {
    args::main_with::<Cli>(classify, 1)
}

fn classify(cli: &Cli) -> Result<(), String> {
    let path = cli.file.display();
    let started = Instant::now();
    let file = std::fs::File::open(&cli.file).map_err(|e| format!("cannot read {path}: {e}"))?;
    let options = CsvOptions::default().currency(cli.currency);
    let (log, summary) = read_csv(std::io::BufReader::with_capacity(1 << 16, file), &options)
        .map_err(|e| format!("{path}: {}", explain(&e)))?;
    for name in &summary.ignored_columns {
        eprintln!("warning: {path}: ignoring unknown column {name:?}");
    }
    if !summary.custom_events.is_empty() {
        let mut list: Vec<(&String, &u64)> = summary.custom_events.iter().collect();
        list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let total: u64 = list.iter().map(|(_, n)| **n).sum();
        let shown: Vec<String> = list
            .iter()
            .take(5)
            .map(|(k, n)| format!("{k:?} x{n}"))
            .collect();
        eprintln!(
            "note: {total} rows have event names outside GA4, Segment v2 and cxjourney kinds; kept as custom kinds that no persona uses: {}",
            shown.join(", ")
        );
    }

    let read_seconds = started.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut run = PersonaRun::new(cli.as_of);
    // Terms whose evidence this file cannot carry are left out of the scores.
    run.persona.evidence = Evidence::of_log(&log);
    let results = run_on_log::<Classified>(&log, &run, threads).map_err(|e| e.to_string())?;
    let examples = explain_examples(&log, &run, &results.examples)?;
    let compute_seconds = started.elapsed().as_secs_f64();
    let later = log.customer_count() - results.per_user.len();
    if later > 0 {
        eprintln!("note: {later} users had no touchpoint by the as-of date and were left out");
    }
    eprintln!(
        "read {} rows of {} users in {read_seconds:.2} s; classified on {threads} threads in {:.2} s",
        summary.rows,
        log.customer_count(),
        compute_seconds - read_seconds
    );
    let out = Output {
        customers: results.report.customers,
        distribution: results
            .report
            .distribution
            .iter()
            .map(|(p, n)| (p.as_str(), *n))
            .chain([("undetermined", results.report.undetermined)])
            .collect(),
        examples,
        compute_seconds: (compute_seconds * 1000.0).round() / 1000.0,
    };
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    if let Some(out) = &cli.per_user {
        write_per_user(out, &log, &results.per_user)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    // Printed last, so that a failure prints no result.
    out::emit(&text)
}

/// A reader error, with a hint where a quote left open is the likely cause.
fn explain(e: &Error) -> String {
    match e {
        Error::InvalidRecord { value, reason, .. }
            if reason.starts_with("the header has")
                && value
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .zip(reason.split(' ').nth(3).and_then(|n| n.parse().ok()))
                    .is_some_and(|(found, width): (usize, usize)| found < width) =>
        {
            format!("{e} (fewer fields than the header: a cell missing, or a quote never closed?)")
        }
        _ => e.to_string(),
    }
}

/// The explained examples, with their scores and reasons rounded.
fn explain_examples(
    log: &EventLog,
    run: &PersonaRun,
    examples: &[(usize, BehaviourProfile)],
) -> Result<Vec<Example>, String> {
    let classifier = Classifier::new(run.persona.clone()).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(examples.len());
    for (i, p) in examples {
        let e = classifier.explain(p);
        let user = log
            .journey(*i)
            .and_then(|j| j.customer_key())
            .unwrap_or("")
            .to_owned();
        let c = e.classification;
        let reasons = e.reasons.get(&c.primary).cloned().unwrap_or_default();
        out.push(Example {
            user_id: user,
            persona: c.primary,
            score: round(c.score),
            passed: c.passed,
            scores: c.scores.iter().map(|(p, s)| (p, round(s))).collect(),
            reasons: reasons
                .iter()
                .filter(|r| !r.left_out)
                .map(|r| ExampleReason {
                    feature: r.feature,
                    value: r.value.map(round),
                    threshold: round(r.threshold),
                    from: r.from,
                    to: r.to,
                    gate: r.gate,
                    contribution: round(r.contribution),
                })
                .collect(),
            impulsive_signals: e.impulsive_signals.fired(),
            session_modes: p.session_modes,
            checkout: p.checkout,
        });
    }
    Ok(out)
}

fn write_per_user(
    path: &std::path::Path,
    log: &EventLog,
    per_user: &[(usize, Option<Persona>, f64)],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["user_id", "persona", "score"])?;
    let mut score = String::new();
    for (i, persona, s) in per_user {
        let user = log.journey(*i).and_then(|j| j.customer_key()).unwrap_or("");
        score.clear();
        std::fmt::Write::write_fmt(&mut score, format_args!("{s:.4}")).ok();
        let persona = persona.map_or("undetermined", Persona::as_str);
        w.write_record([user, persona, score.as_str()])?;
    }
    w.flush()?;
    Ok(())
}

fn round(x: f64) -> f64 {
    // `+ 0.0` turns -0.0 into 0.0.
    (x * 10_000.0).round() / 10_000.0 + 0.0
}
