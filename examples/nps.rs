//! NPS of a file of 0-10 answers, overall and by one grouping column, as JSON.
//!
//! ```text
//! cargo run --release --example nps -- FILE.csv [--group-by COLUMN]
//! ```
//!
//! FILE has the columns `respondent_id`, `score` and any group columns
//! (found by header name, in any order); an empty score means no answer,
//! and a row whose group cell is empty counts in `all` but in no group (as
//! pandas' `groupby` drops missing keys). The CSV may use CRLF line ends, a
//! byte-order mark, quoted fields (commas and quotes inside) and spaces
//! around cells; blank lines are skipped. A respondent id is any non-empty
//! text (ids that are integers compare as numbers). Bad input (a missing
//! column, an unknown group column, a non-integer or off-scale score, a row
//! with another number of cells than the header, a repeated respondent) stops
//! with one `error: ...` line on stderr naming the line and the value, and
//! exit code 2; so does a usage error (`--help` prints the usage). The file
//! is read as a stream (the `csv` crate).

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use cxjourney::log::Dictionary;
use cxjourney::{Accumulator, AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, NpsReport};
use serde_json::{Map, Value, json};

// tests/pyramid.rs includes this file and pyramid.rs, each with these modules.
#[allow(clippy::duplicate_mod)]
#[path = "common/args.rs"]
mod args;
#[allow(clippy::duplicate_mod)]
#[path = "common/out.rs"]
mod out;
#[allow(clippy::duplicate_mod)]
#[path = "common/survey_csv.rs"]
mod survey_csv;

/// NPS of a file of 0-10 answers, overall and by one grouping column, as JSON.
#[derive(Debug, Parser)]
#[command(
    name = "nps",
    version,
    override_usage = "nps FILE.csv [--group-by COLUMN]"
)]
struct Cli {
    /// The answers: respondent_id, score and any group columns, by header name.
    #[arg(value_name = "FILE.csv")]
    file: String,
    /// A group column of FILE: the NPS of each of its values, too.
    #[arg(long, value_name = "COLUMN")]
    group_by: Option<String>,
}

fn main() -> ExitCode {
    match args::parse_or_exit::<Cli>() {
        Ok(cli) => out::exit_with(score(&cli).map(|v| v.to_string())),
        Err(code) => code,
    }
}

/// Runs the command line `args` (without the program's name): returns the
/// JSON object or an error message.
pub fn run(args: &[String]) -> Result<Value, String> {
    score(&args::parse_from::<Cli>("nps", args)?)
}

fn nps_json(r: &NpsReport) -> Value {
    json!({
        "nps": r.nps,
        "se": r.se,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "n": r.n,
        "n_missing": r.n_missing,
        "promoters": r.promoters,
        "passives": r.passives,
        "detractors": r.detractors,
        "pct_promoters": r.pct_promoters,
        "pct_detractors": r.pct_detractors,
    })
}

/// Reads and scores the file of `cli`: the JSON object or an error message.
fn score(cli: &Cli) -> Result<Value, String> {
    let path = &cli.file;
    let group_by = &cli.group_by;
    let wanted: Vec<&str> = match group_by {
        Some(g) => vec!["respondent_id", "score", g.as_str()],
        None => vec!["respondent_id", "score"],
    };
    let mut csv =
        survey_csv::SurveyCsv::open(path, &wanted, 2, "respondent_id,<group columns...>,score")?;
    let (id_col, score_col) = (csv.at(0), csv.at(1));
    let group_col = match group_by {
        Some(g) => Some(
            csv.index
                .get(2)
                .copied()
                .flatten()
                .filter(|&p| p != id_col && p != score_col)
                .ok_or_else(|| {
                    format!(
                        "--group-by {g:?} is not a group column of {path} (columns: {})",
                        csv.names.join(",")
                    )
                })?,
        ),
        None => None,
    };
    // Read everything first, then time the scoring alone. Group values are
    // kept once each; rows refer to them by number.
    let mut rows: Vec<(Option<u32>, Option<i32>)> = Vec::new();
    let mut group_names = Dictionary::new();
    let mut ids: Vec<(survey_csv::IdKey, u64)> = Vec::new();
    let mut empty_groups = 0u64;
    while let Some(line) = csv.next_row()? {
        let id = csv.cell(id_col);
        if id.is_empty() {
            return Err(csv.err(format_args!("line {line}: empty respondent_id")));
        }
        ids.push((survey_csv::IdKey::new(id), line));
        let cell = survey_csv::number_text(csv.cell(score_col));
        let score = if cell.is_empty() {
            None
        } else {
            let v = cell
                .parse::<i32>()
                .ok()
                .or_else(|| {
                    cell.parse::<f64>()
                        .ok()
                        .filter(|v| v.fract() == 0.0 && v.abs() < 1e9)
                        .map(|v| v as i32)
                })
                .ok_or_else(|| {
                    csv.err(format_args!(
                        "line {line}, column score: {cell:?} is not an integer score{}",
                        survey_csv::quote_hint(cell)
                    ))
                })?;
            if !(0..=10).contains(&v) {
                return Err(csv.err(format_args!(
                    "line {line}, column score: score {v} is outside 0..=10"
                )));
            }
            Some(v)
        };
        let group = match group_col.map(|c| csv.cell(c)) {
            None => None,
            Some("") => {
                empty_groups += 1;
                None
            }
            Some(g) => Some(
                group_names
                    .intern(g)
                    .map_err(|e| csv.err(format_args!("line {line}: {e}")))?,
            ),
        };
        rows.push((group, score));
    }
    survey_csv::check_unique(ids, "respondent").map_err(|e| csv.err(e))?;
    if empty_groups > 0 {
        eprintln!(
            "note: {empty_groups} rows have an empty {} value: they count in \"all\" but in no group",
            group_by.as_deref().unwrap_or_default()
        );
    }
    let start = Instant::now();
    let mut acc =
        AdvocacyAccumulator::new(&AdvocacyConfig::default()).map_err(|e| e.to_string())?;
    for &(g, s) in &rows {
        let group = g.and_then(|n| group_names.value(n));
        acc.add(AdvocacyAnswer::default().group(group).nps(s))
            .map_err(|e| e.to_string())?;
    }
    let report = acc.finish().map_err(|e| e.to_string())?;
    let compute_seconds = start.elapsed().as_secs_f64();
    let mut groups = Map::new();
    for (k, g) in &report.groups {
        groups.insert(k.clone(), nps_json(&g.nps));
    }
    Ok(json!({
        "all": nps_json(&report.all.nps),
        "groups": groups,
        "compute_seconds": compute_seconds,
    }))
}
