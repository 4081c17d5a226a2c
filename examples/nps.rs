//! NPS of a file of 0-10 answers, overall and by one grouping column, as JSON.
//!
//! ```text
//! cargo run --release --example nps -- FILE.csv [--group-by COLUMN]
//! ```
//!
//! FILE has the header `respondent_id,<group columns...>,score`; an empty
//! score means no answer. Bad input (another header, an unknown group column,
//! a non-integer or off-scale score, a row with too few or too many cells, a
//! repeated respondent) stops with a message on stderr naming the line and the
//! value, and exit code 2. Completely blank lines are skipped.

use std::process::ExitCode;
use std::time::Instant;

use cxjourney::{AdvocacyAccumulator, AdvocacyConfig, NpsReport};
use serde_json::{Map, Value, json};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Splits one CSV line into fields (double quotes around a field are removed;
/// a quoted field may not contain a comma).
fn split_line(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|g| g.strip_suffix('"'))
                .unwrap_or(f)
        })
        .collect()
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
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines
        .next()
        .map(|(_, l)| split_line(l))
        .ok_or_else(|| format!("{path} is empty: expected a header respondent_id,...,score"))?;
    if header.len() < 2
        || header.first() != Some(&"respondent_id")
        || header.last() != Some(&"score")
    {
        return Err(format!(
            "unexpected header {:?}: expected respondent_id,<group columns...>,score",
            header.join(",")
        ));
    }
    let score_col = header.len() - 1;
    let group_col = match &group_by {
        Some(g) => Some(
            header
                .iter()
                .position(|h| h == g)
                .filter(|&p| p != 0 && p != score_col)
                .ok_or_else(|| {
                    format!(
                        "--group-by {g:?} is not a group column (columns: {})",
                        header.join(",")
                    )
                })?,
        ),
        None => None,
    };
    // Read everything first, then time the scoring alone.
    let mut rows: Vec<(Option<String>, Option<i32>)> = Vec::new();
    let mut ids: Vec<(u64, usize)> = Vec::new();
    for (i, l) in lines {
        let line = i + 1;
        let fields = split_line(l);
        if fields.len() != header.len() {
            return Err(format!(
                "line {line}: expected {} cells, found {}",
                header.len(),
                fields.len()
            ));
        }
        let id = fields.first().copied().unwrap_or_default();
        let id_num: u64 = id.parse().map_err(|_| {
            format!("line {line}: respondent_id {id:?} is not a non-negative integer")
        })?;
        ids.push((id_num, line));
        let cell = fields.get(score_col).copied().unwrap_or_default();
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
                    format!("line {line}, column score: {cell:?} is not an integer score")
                })?;
            if !(0..=10).contains(&v) {
                return Err(format!(
                    "line {line}, column score: score {v} is outside 0..=10"
                ));
            }
            Some(v)
        };
        let group = group_col.and_then(|c| fields.get(c).map(|g| (*g).to_owned()));
        rows.push((group, score));
    }
    check_unique(ids)?;
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

/// Finds a repeated respondent id (ids are usually sorted, so this is one
/// pass; otherwise one sort).
fn check_unique(mut ids: Vec<(u64, usize)>) -> Result<(), String> {
    let sorted = |ids: &[(u64, usize)]| ids.iter().zip(ids.iter().skip(1)).all(|(a, b)| a.0 < b.0);
    if sorted(&ids) {
        return Ok(());
    }
    ids.sort_unstable();
    match ids.iter().zip(ids.iter().skip(1)).find(|(a, b)| a.0 == b.0) {
        Some((_, b)) => Err(format!("line {}: duplicate respondent {}", b.1, b.0)),
        None => Ok(()),
    }
}
