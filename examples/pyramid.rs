//! Scores an ORBE survey file: the CX pyramid, the weakest foundation and
//! reliability (Cronbach's alpha as pingouin computes it), as one JSON object.
//!
//! ```text
//! cargo run --release --example pyramid -- FILE.csv [--missing pairwise|listwise]
//! ```
//!
//! FILE has the header `respondent_id,ec_1,ec_2,ec_3,oe_1,oe_2,oe_3,rsn_1,rsn_2,tr_1,tr_2,ful_1,ful_2`,
//! integer answers 1-7 and empty cells for missing answers. Bad input (another
//! header, a non-numeric cell, an answer off the scale, a row with too few or
//! too many cells, a repeated respondent) stops with a message on stderr that
//! names the line and the value, and exit code 2. Completely blank lines are
//! skipped. `compute_seconds` covers the scoring after the file was read.
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

use cxjourney::{
    AnswerBlock, Dimension, DimensionReport, Instrument, MissingPolicy, PyramidAccumulator,
    PyramidConfig,
};
use serde_json::{Map, Value, json};

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

/// Parses an answer cell: empty = missing; integers, or numbers with a zero
/// fractional part such as `5.0`.
fn parse_answer(cell: &str, line: usize, column: &str) -> Result<Option<i64>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    if let Ok(v) = cell.parse::<i64>() {
        return Ok(Some(v));
    }
    match cell.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(Some(v as i64)),
        _ => Err(format!(
            "line {line}, column {column}: {cell:?} is not an integer answer"
        )),
    }
}

/// Reads the file into blocks of `BLOCK_ROWS` checked and coded rows in ORBE
/// item order.
fn read_survey(path: &str) -> Result<Vec<AnswerBlock>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break split_line(l),
            None => {
                return Err(format!(
                    "{path} is empty: expected the header {}",
                    HEADER.join(",")
                ));
            }
        }
    };
    if header != HEADER {
        return Err(format!(
            "unexpected header {:?}: expected exactly {}",
            header.join(","),
            HEADER.join(",")
        ));
    }
    let orbe = Instrument::orbe();
    let scale = orbe.scale();
    let mut blocks = vec![AnswerBlock::new(orbe.clone())];
    let mut row = [None; 12];
    let mut ids: Vec<(u64, usize)> = Vec::new();
    for (i, l) in lines {
        let line = i + 1;
        if l.trim().is_empty() {
            continue;
        }
        let fields = split_line(l);
        if fields.len() != HEADER.len() {
            return Err(format!(
                "line {line}: expected {} cells, found {}",
                HEADER.len(),
                fields.len()
            ));
        }
        let mut cells = fields.iter();
        let id = cells.next().copied().unwrap_or_default();
        let id: u64 = id.parse().map_err(|_| {
            format!("line {line}: respondent_id {id:?} is not a non-negative integer")
        })?;
        ids.push((id, line));
        for ((cell, column), slot) in cells.zip(HEADER.iter().skip(1)).zip(row.iter_mut()) {
            let a = parse_answer(cell, line, column)?;
            if let Some(v) = a {
                if !scale.contains(v) {
                    return Err(format!(
                        "line {line}, column {column}: answer {v} is outside {}..={}",
                        scale.min(),
                        scale.max()
                    ));
                }
            }
            *slot = a.and_then(|v| u8::try_from(v).ok());
        }
        if blocks.last().is_none_or(|b| b.len() >= BLOCK_ROWS) {
            blocks.push(AnswerBlock::new(orbe.clone()));
        }
        if let Some(b) = blocks.last_mut() {
            b.push(&row).map_err(|e| format!("line {line}: {e}"))?;
        }
    }
    check_unique(ids)?;
    Ok(blocks)
}

/// Rows per partial accumulator. The file is scored in fixed blocks that are
/// merged in order, so the result does not depend on the number of threads.
const BLOCK_ROWS: usize = 1 << 16;

/// Scores the rows: each block in its own accumulator (on `threads` threads),
/// then the partial accumulators merged in block order.
fn score_in_blocks(
    blocks: &[AnswerBlock],
    config: &PyramidConfig,
    threads: usize,
) -> Result<PyramidAccumulator, String> {
    let score = |block: &AnswerBlock| -> Result<PyramidAccumulator, String> {
        let mut acc = PyramidAccumulator::new(Instrument::orbe(), config.clone())
            .map_err(|e| e.to_string())?;
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
    let mut total =
        PyramidAccumulator::new(Instrument::orbe(), config.clone()).map_err(|e| e.to_string())?;
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

/// Runs the command line: returns the JSON object or an error message.
pub fn run(args: &[String]) -> Result<Value, String> {
    let usage = "usage: pyramid FILE.csv [--missing pairwise|listwise] [--threads N]";
    let mut file = None;
    let mut missing = MissingPolicy::Pairwise;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--missing" => {
                let v = it
                    .next()
                    .ok_or_else(|| format!("--missing needs a value; {usage}"))?;
                missing = v.parse().map_err(|e| format!("{e}; {usage}"))?;
            }
            "--threads" => {
                let v = it
                    .next()
                    .ok_or_else(|| format!("--threads needs a value; {usage}"))?;
                threads = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(|| format!("--threads {v:?}: expected 1 to 64; {usage}"))?;
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s:?}; {usage}")),
            s if file.is_none() => file = Some(s.to_owned()),
            s => return Err(format!("unexpected argument {s:?}; {usage}")),
        }
    }
    let file = file.ok_or_else(|| usage.to_owned())?;
    let blocks = read_survey(&file)?;
    let config = PyramidConfig {
        missing,
        ..PyramidConfig::default()
    };
    let start = Instant::now();
    let acc = score_in_blocks(&blocks, &config, threads)?;
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
