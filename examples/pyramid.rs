//! Scores an ORBE survey file: the CX pyramid, the weakest foundation and
//! reliability (Cronbach's alpha as pingouin computes it), as one JSON object.
//!
//! ```text
//! cargo run --release --example pyramid -- FILE.csv [--missing pairwise|listwise] [--threads N]
//! ```
//!
//! FILE has the columns `respondent_id,ec_1,ec_2,ec_3,oe_1,oe_2,oe_3,rsn_1,rsn_2,tr_1,tr_2,ful_1,ful_2`
//! (found by header name, in any order; other columns are ignored), integer
//! answers 1-7 (`5.0` counts as 5) and empty cells for missing answers. The CSV
//! may use CRLF line ends, a byte-order mark, quoted fields and spaces around
//! cells; blank lines are skipped. A respondent id is any non-empty text (ids
//! that are integers compare as numbers, so `007` repeats `7`). Bad input (a
//! missing column, a non-integer cell, an answer off the scale, a row with
//! another number of cells than the header, a repeated respondent) stops with
//! one `error: ...` line on stderr that names the line and the value, and exit
//! code 2; so does a usage error (`--help` prints the usage). The file is read
//! as a stream (the `csv` crate). `compute_seconds` covers the scoring after
//! the file was read.
//!
//! Output: `dimensions` holds `ec`, `oe`, `rsn`, `tr`, `ful` and `all12`, each
//! with pingouin's `alpha`, `ci_low`, `ci_high` (rounded to 3 decimals, n = all
//! rows), `n_rows_used`, the two means, `score_0_100` (mean respondent score)
//! and more; `index` is the mean CX index (0-100, `null` without any);
//! `weakest_foundation` is the short key of the lowest dimension, from the
//! base up, whose score is below 60, or `null`.
//!
//! The rows are checked and coded into blocks of 65,536 while the file is
//! read ([`cxjourney::AnswerBlock`]); the blocks are scored into accumulators
//! that are merged in order, on `--threads N` threads (default: the available cores, at most 8);
//! the output is the same for any number of threads.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use cxjourney::{
    Accumulator, AnswerBlock, Dimension, DimensionReport, Instrument, MissingPolicy,
    PyramidAccumulator, PyramidConfig, PyramidSetup,
};
use serde_json::{Map, Value, json};

// tests/pyramid.rs includes this file and nps.rs, each with these modules.
#[allow(clippy::duplicate_mod)]
#[path = "common/args.rs"]
mod args;
#[allow(clippy::duplicate_mod)]
#[path = "common/out.rs"]
mod out;
#[allow(clippy::duplicate_mod)]
#[path = "common/survey_csv.rs"]
mod survey_csv;

/// Scores an ORBE survey file (the CX pyramid, the weakest foundation and
/// Cronbach's alpha) and prints one JSON object.
#[derive(Debug, Parser)]
#[command(
    name = "pyramid",
    version,
    override_usage = "pyramid FILE.csv [--missing pairwise|listwise] [--threads N]"
)]
struct Cli {
    /// The survey: respondent_id and the twelve ORBE items, by header name.
    #[arg(value_name = "FILE.csv")]
    file: String,
    /// Rows used for reliability: pairwise (each covariance over the rows
    /// where both items are present) or listwise (complete rows only).
    #[arg(long, value_name = "pairwise|listwise", default_value = "pairwise", value_parser = missing_policy)]
    missing: MissingPolicy,
    /// Scoring threads, 1 to 64 [default: the available cores, at most 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=64))]
    threads: Option<u8>,
}

fn missing_policy(s: &str) -> Result<MissingPolicy, String> {
    s.parse().map_err(|e: cxjourney::Error| e.to_string())
}

const HEADER: [&str; 13] = [
    "respondent_id",
    "ec_1",
    "ec_2",
    "ec_3",
    "oe_1",
    "oe_2",
    "oe_3",
    "rsn_1",
    "rsn_2",
    "tr_1",
    "tr_2",
    "ful_1",
    "ful_2",
];

fn main() -> ExitCode {
    match args::parse_or_exit::<Cli>() {
        Ok(cli) => out::exit_with(score(&cli).map(|v| v.to_string())),
        Err(code) => code,
    }
}

/// Runs the command line `args` (without the program's name): returns the
/// JSON object or an error message.
pub fn run(args: &[String]) -> Result<Value, String> {
    score(&args::parse_from::<Cli>("pyramid", args)?)
}

/// Parses an answer cell: empty = missing; integers, or numbers with a zero
/// fractional part such as `5.0`.
fn parse_answer(cell: &str, line: u64, column: &str) -> Result<Option<i64>, String> {
    let cell = survey_csv::number_text(cell);
    if cell.is_empty() {
        return Ok(None);
    }
    if let Ok(v) = cell.parse::<i64>() {
        return Ok(Some(v));
    }
    match cell.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(Some(v as i64)),
        _ => Err(format!(
            "line {line}, column {column}: {cell:?} is not an integer answer{}",
            survey_csv::quote_hint(cell)
        )),
    }
}

/// Reads the file, as a stream, into blocks of `BLOCK_ROWS` checked and
/// coded rows in ORBE item order. Columns are found by header name (any
/// order; other columns are ignored).
fn read_survey(path: &str) -> Result<Vec<AnswerBlock>, String> {
    let mut csv = survey_csv::SurveyCsv::open(path, &HEADER, HEADER.len(), &HEADER.join(","))?;
    let at: Vec<usize> = (0..HEADER.len()).map(|w| csv.at(w)).collect();
    let orbe = Instrument::orbe();
    let scale = orbe.scale();
    let mut blocks = vec![AnswerBlock::new(orbe.clone())];
    let mut row = [None; 12];
    let mut ids: Vec<(survey_csv::IdKey, u64)> = Vec::new();
    while let Some(line) = csv.next_row()? {
        let id = csv.cell(at.first().copied().unwrap_or(0));
        if id.is_empty() {
            return Err(csv.err(format_args!("line {line}: empty respondent_id")));
        }
        ids.push((survey_csv::IdKey::new(id), line));
        for ((&pos, column), slot) in at
            .iter()
            .skip(1)
            .zip(HEADER.iter().skip(1))
            .zip(row.iter_mut())
        {
            let a = parse_answer(csv.cell(pos), line, column).map_err(|e| csv.err(e))?;
            if let Some(v) = a {
                if !scale.contains(v) {
                    return Err(csv.err(format_args!(
                        "line {line}, column {column}: answer {v} is outside {}..={}",
                        scale.min(),
                        scale.max()
                    )));
                }
            }
            *slot = a.and_then(|v| u8::try_from(v).ok());
        }
        if blocks.last().is_none_or(|b| b.len() >= BLOCK_ROWS) {
            blocks.push(AnswerBlock::new(orbe.clone()));
        }
        if let Some(b) = blocks.last_mut() {
            b.push(&row)
                .map_err(|e| csv.err(format_args!("line {line}: {e}")))?;
        }
    }
    survey_csv::check_unique(ids, "respondent").map_err(|e| csv.err(e))?;
    Ok(blocks)
}

/// Rows per partial accumulator. The file is scored in fixed blocks that are
/// merged in order, so the result does not depend on the number of threads.
const BLOCK_ROWS: usize = 1 << 16;

/// Scores the rows: each block in its own accumulator (on `threads` threads),
/// then the partial accumulators merged in block order.
fn score_in_blocks(
    blocks: &[AnswerBlock],
    setup: &PyramidSetup,
    threads: usize,
) -> Result<PyramidAccumulator, String> {
    let score = |block: &AnswerBlock| -> Result<PyramidAccumulator, String> {
        let mut acc = PyramidAccumulator::new(setup).map_err(|e| e.to_string())?;
        acc.add_block(block).map_err(|e| e.to_string())?;
        Ok(acc)
    };
    let mut partials: Vec<(usize, Result<PyramidAccumulator, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let score = &score;
                s.spawn(move || {
                    blocks
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads.max(1))
                        .map(|(i, b)| (i, score(b)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if partials.len() != blocks.len() {
        return Err("a scoring thread failed".to_owned());
    }
    partials.sort_by_key(|(i, _)| *i);
    let mut total = PyramidAccumulator::new(setup).map_err(|e| e.to_string())?;
    for (_, part) in partials {
        total.merge(part?).map_err(|e| e.to_string())?;
    }
    Ok(total)
}

fn scope_json(r: &DimensionReport) -> Value {
    let rel = &r.reliability;
    json!({
        "alpha": rel.alpha,
        "ci_low": rel.ci_low,
        "ci_high": rel.ci_high,
        "n_rows_used": rel.n_rows_used,
        "n_rows_total": rel.n_rows_total,
        "n_items": rel.n_items,
        "standardized_alpha": rel.standardized_alpha,
        "spearman_brown": rel.spearman_brown,
        "mean_of_items": r.mean_of_items,
        "mean_of_respondent_means": r.mean_of_respondent_means,
        "sd_of_respondent_means": r.sd_of_respondent_means,
        "n_respondents_with_any": r.n_respondents_with_any,
        "n_answers": r.n_answers,
        "score_0_100": r.score_0_100,
        "score_ci_low": r.score_ci.map(|c| c.0),
        "score_ci_high": r.score_ci.map(|c| c.1),
        "n_scored": r.n_scored,
        "top_2_box_share": r.top_box_share,
        "items": rel.items,
    })
}

/// Reads and scores the file of `cli`: the JSON object or an error message.
fn score(cli: &Cli) -> Result<Value, String> {
    let threads = match cli.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
    };
    let missing = cli.missing;
    let blocks = read_survey(&cli.file)?;
    let setup = PyramidSetup::new(
        Instrument::orbe(),
        PyramidConfig {
            missing,
            ..PyramidConfig::default()
        },
    );
    let start = Instant::now();
    let acc = score_in_blocks(&blocks, &setup, threads)?;
    let report = acc.finish().map_err(|e| e.to_string())?;
    let compute_seconds = start.elapsed().as_secs_f64();
    let mut dims = Map::new();
    for d in [
        Dimension::EmotionalConnection,
        Dimension::OnlineExperience,
        Dimension::ResponsiveService,
        Dimension::Trust,
        Dimension::Fulfilment,
    ] {
        if let Some(r) = report.dimensions.get(&d) {
            dims.insert(d.short().to_owned(), scope_json(r));
        }
    }
    dims.insert("all12".to_owned(), scope_json(&report.all_items));
    Ok(json!({
        "dimensions": dims,
        "index": report.index.mean,
        "index_detail": {
            "n": report.index.n,
            "mean": report.index.mean,
            "sd": report.index.sd,
            "ci_low": report.index.ci.map(|c| c.0),
            "ci_high": report.index.ci.map(|c| c.1),
        },
        "weakest_foundation": report.weakest_foundation.map(|d| d.short()),
        "weakest_threshold": report.weakest_threshold,
        "layers": report.layers,
        "missing": report.missing,
        "n_rows": report.n_rows,
        "compute_seconds": compute_seconds,
    }))
}
