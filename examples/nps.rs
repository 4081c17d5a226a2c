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
//! exit code 2.

use std::process::ExitCode;
use std::time::Instant;

use cxjourney::{AdvocacyAccumulator, AdvocacyConfig, NpsReport};
use serde_json::{Map, Value, json};

// tests/pyramid.rs includes this file and nps.rs, each with this module.
#[allow(clippy::duplicate_mod)]
#[path = "common/csv.rs"]
mod csv;
#[allow(clippy::duplicate_mod)]
#[path = "common/out.rs"]
mod out;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    out::exit_with(run(&args).map(|v| v.to_string()))
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

/// Runs the command line: returns the JSON object or an error message.
pub fn run(args: &[String]) -> Result<Value, String> {
    let usage = "usage: nps FILE.csv [--group-by COLUMN]";
    let mut file = None;
    let mut group_by = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--group-by" => {
                group_by = Some(
                    it.next()
                        .ok_or_else(|| format!("--group-by needs a column; {usage}"))?
                        .clone(),
                );
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s:?}; {usage}")),
            s if file.is_none() => file = Some(s.to_owned()),
            s => return Err(format!("unexpected argument {s:?}; {usage}")),
        }
    }
    let path = file.ok_or_else(|| usage.to_owned())?;
    let text = csv::read_text(&path)?;
    let err = |e: String| format!("{path}: {e}");
    let mut records = csv::Records::new(&text);
    let mut fields = Vec::new();
    let header_line = records
        .header(&mut fields, "respondent_id,<group columns...>,score")
        .map_err(err)?;
    let wanted: Vec<&str> = match &group_by {
        Some(g) => vec!["respondent_id", "score", g.as_str()],
        None => vec!["respondent_id", "score"],
    };
    let cols = csv::Columns::resolve(&fields, &wanted, 2, header_line).map_err(err)?;
    let (id_col, score_col) = (cols.at(0), cols.at(1));
    let group_col = match &group_by {
        Some(g) => Some(
            cols.index
                .get(2)
                .copied()
                .flatten()
                .filter(|&p| p != id_col && p != score_col)
                .ok_or_else(|| {
                    format!(
                        "--group-by {g:?} is not a group column of {path} (columns: {})",
                        cols.names.join(",")
                    )
                })?,
        ),
        None => None,
    };
    let width = cols.names.len();
    // Read everything first, then time the scoring alone.
    let mut rows: Vec<(Option<String>, Option<i32>)> = Vec::new();
    let mut ids: Vec<(csv::IdKey<'_>, usize)> = Vec::new();
    let mut empty_groups = 0u64;
    while let Some(line) = records.next_record(&mut fields).map_err(err)? {
        if csv::is_blank(&fields) {
            continue;
        }
        if fields.len() != width {
            return Err(format!(
                "{path}: line {line}: expected {width} cells, found {}",
                fields.len()
            ));
        }
        let id = csv::cell_cow(&fields, id_col);
        if id.is_empty() {
            return Err(format!("{path}: line {line}: empty respondent_id"));
        }
        ids.push((csv::IdKey::new(id), line));
        let cell = csv::cell(&fields, score_col);
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
                    format!("{path}: line {line}, column score: {cell:?} is not an integer score")
                })?;
            if !(0..=10).contains(&v) {
                return Err(format!(
                    "{path}: line {line}, column score: score {v} is outside 0..=10"
                ));
            }
            Some(v)
        };
        let group = match group_col.map(|c| csv::cell(&fields, c)) {
            Some("") => {
                empty_groups += 1;
                None
            }
            g => g.map(str::to_owned),
        };
        rows.push((group, score));
    }
    csv::check_unique(ids, "respondent").map_err(err)?;
    if empty_groups > 0 {
        eprintln!(
            "note: {empty_groups} rows have an empty {} value: they count in \"all\" but in no group",
            group_by.as_deref().unwrap_or_default()
        );
    }
    let start = Instant::now();
    let mut acc = AdvocacyAccumulator::new(AdvocacyConfig::default()).map_err(|e| e.to_string())?;
    for (g, s) in &rows {
        acc.add_nps(g.as_deref(), *s).map_err(|e| e.to_string())?;
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
