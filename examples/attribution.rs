//! Multi-touch attribution of a path file (ChannelAttribution's format) or a
//! journeys file: every model side by side, as JSON.
//!
//! ```text
//! cargo run --release --example attribution -- FILE.csv [--order 1|2]
//! cargo run --release --example attribution -- --journeys FILE.csv --half-life-hours H [--order 1|2]
//! ```
//!
//! A path file has the columns `path,total_conversions,total_conversion_value,total_null`
//! (ChannelAttribution's `var_path`, `var_conv`, `var_value`, `var_null`;
//! the value and null columns may be left out). A journeys file has
//! `journey_id,path,hours_to_end,converted,conversion_value`, one journey
//! per row, `hours_to_end` one number per touch joined by `>`. Paths are
//! split on `>`, tokens trimmed of spaces, empty tokens dropped
//! (ChannelAttribution's rules); rows with the same path add up.
//!
//! Prints one JSON object:
//! `{"channels": {"<name>": {"first_touch": {"conversions": x, "value": y}, "last_touch": {...},
//! "linear": {...}, "position_based": {...}, "markov": {"removal_effect": r, "conversions": x,
//! "value": y}, "shapley": {...}}, ...}, "conversion_probability": p, "compute_seconds": S}`,
//! channels in the byte order of their names; with `--journeys`, each channel also has
//! `time_decay` (half-life `H` hours, default 168). `markov` is the exact
//! Markov model of order `--order` (1 to 4, default 1), `shapley` the simplified Shapley value
//! (Zhao et al. 2018; the classic value of the conversions game), `position_based` 40/20/40.
//! `conversion_probability` is the chain's P(conversion). `compute_seconds` covers parsing the
//! file's bytes and every model (reading the file into memory comes before the clock starts).
//! `--models heuristics` (for benchmarks) runs only the rule-based models and leaves `markov`
//! and `shapley` out; it reads a path file in pieces as it parses (so `compute_seconds` then
//! includes reading it) and keeps no paths.
//!
//! Malformed input (a missing column, a row of another width than the header, an empty path, a
//! count that is not a whole number, a negative value, a quote left open) gives one
//! `error: ...` line naming the file, the line, the column and the value on stderr, and exit
//! status 2; so does a usage error.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use chrono::TimeDelta;
use clap::Parser;
use cxjourney::attribution::{
    AttributionConfig, AttributionReport, Credit, Credits, LastNonDirect, Markov, PathSet,
    PositionBased, RuleBased, RuleBasedReader,
};
use indexmap::IndexMap;
use serde::Serialize;

#[path = "common/args.rs"]
mod args;
#[path = "common/out.rs"]
mod out;

/// Every attribution model side by side on a path or journeys file.
#[derive(Debug, Parser)]
#[command(
    name = "attribution",
    version,
    override_usage = "attribution FILE.csv [--order 1|2] | attribution --journeys FILE.csv [--half-life-hours H] [--order 1|2]"
)]
struct Cli {
    /// The Markov model's order, 1 to 4.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    order: u8,
    /// Read a journeys file (journey_id,path,hours_to_end,converted,conversion_value).
    #[arg(long, value_name = "FILE.csv")]
    journeys: Option<String>,
    /// The time-decay half-life in hours (with --journeys; default 168).
    #[arg(long, value_name = "H")]
    half_life_hours: Option<f64>,
    /// Which models: `all` (default) or `heuristics` (first touch, last
    /// touch, linear, position-based and, with --journeys, time decay; no
    /// markov or shapley in the output; for benchmarks).
    #[arg(long, value_name = "all|heuristics", default_value = "all", value_parser = ["all", "heuristics"])]
    models: String,
    /// The path file (path,total_conversions,total_conversion_value,total_null).
    #[arg(value_name = "FILE.csv")]
    files: Vec<String>,
}

#[derive(Serialize)]
struct Output<'a> {
    channels: IndexMap<&'a str, ChannelOut>,
    conversion_probability: f64,
    compute_seconds: f64,
}

#[derive(Serialize)]
struct ChannelOut {
    first_touch: Credit,
    last_touch: Credit,
    linear: Credit,
    position_based: Credit,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_decay: Option<Credit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    markov: Option<MarkovOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shapley: Option<Credit>,
}

#[derive(Serialize)]
struct MarkovOut {
    removal_effect: f64,
    conversions: f64,
    value: f64,
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}

fn run(cli: &Cli) -> Result<(), String> {
    let (path, journeys) = match (&cli.journeys, cli.files.as_slice()) {
        (Some(j), []) => (j.as_str(), true),
        (None, [one]) => (one.as_str(), false),
        (None, []) => return Err("no input file given".to_owned()),
        (Some(_), more) | (None, more) => {
            return Err(format!(
                "more than one input file given: {}",
                more.join(" ")
            ));
        }
    };
    let half_life = match (journeys, cli.half_life_hours) {
        (false, Some(_)) => {
            return Err("--half-life-hours needs a journeys file (--journeys FILE.csv)".to_owned());
        }
        (_, Some(h)) if !(h.is_finite() && h > 0.0 && h < 1e9) => {
            return Err(format!(
                "--half-life-hours {h}: expected a positive number of hours"
            ));
        }
        (_, h) => h.unwrap_or(168.0),
    };
    let streamed = !journeys && cli.models == "heuristics";
    // The whole file in memory, except for the rule-based models alone,
    // which read it in pieces below.
    let bytes = if streamed { Vec::new() } else { read(path)? };

    let started = Instant::now();
    let all = cli.models == "all";
    let config = AttributionConfig {
        markov: Markov::order(cli.order),
        ..AttributionConfig::default()
    };
    let in_file = |e: cxjourney::Error| format!("{path}: {e}");
    let (paths, rules, report) = if journeys {
        let hl = TimeDelta::nanoseconds((half_life * 3.6e12).round() as i64);
        let paths = PathSet::parse_journeys_csv(&bytes, hl).map_err(in_file)?;
        if all {
            let report =
                AttributionReport::from_paths(&paths, &config).map_err(|e| e.to_string())?;
            (Some(paths), None, Some(report))
        } else {
            let rules =
                RuleBased::attribute(&paths, &config.last_non_direct, &config.position_based)
                    .map_err(|e| e.to_string())?;
            (Some(paths), Some(rules), None)
        }
    } else if all {
        let paths = PathSet::parse_csv(&bytes).map_err(in_file)?;
        let report = AttributionReport::from_paths(&paths, &config).map_err(|e| e.to_string())?;
        (Some(paths), None, Some(report))
    } else {
        // Only the rule-based models: the file read in pieces of 1 MiB and
        // parsed as they come, nothing kept but the tallies.
        let rules = stream(path, &config.last_non_direct, &config.position_based)?;
        (None, Some(rules), None)
    };
    let compute_seconds = started.elapsed().as_secs_f64();

    let mut channels = IndexMap::new();
    if let Some(r) = &report {
        for (name, c) in &r.channels {
            channels.insert(
                name.as_str(),
                ChannelOut {
                    first_touch: c.first_touch,
                    last_touch: c.last_touch,
                    linear: c.linear,
                    position_based: c.position_based,
                    time_decay: if journeys { c.time_decay } else { None },
                    markov: Some(MarkovOut {
                        removal_effect: c.markov.removal_effect,
                        conversions: c.markov.conversions,
                        value: c.markov.value,
                    }),
                    shapley: Some(c.shapley),
                },
            );
        }
    }
    if let Some(r) = &rules {
        let get = |c: &Credits, name: &str| c.get(name).copied().unwrap_or_default();
        for name in r.first_touch.keys() {
            let n = name.as_str();
            channels.insert(
                n,
                ChannelOut {
                    first_touch: get(&r.first_touch, n),
                    last_touch: get(&r.last_touch, n),
                    linear: get(&r.linear, n),
                    position_based: get(&r.position_based, n),
                    time_decay: if journeys {
                        r.time_decay.as_ref().map(|d| get(d, n))
                    } else {
                        None
                    },
                    markov: None,
                    shapley: None,
                },
            );
        }
    }
    let conversion_probability = match (&report, &rules) {
        (Some(r), _) => r.conversion_probability,
        (None, Some(r)) if r.conversions + r.nulls > 0 => {
            r.conversions as f64 / (r.conversions + r.nulls) as f64
        }
        _ => 0.0,
    };
    let output = Output {
        channels,
        conversion_probability,
        compute_seconds,
    };
    let text = serde_json::to_string(&output).map_err(|e| e.to_string())?;
    out::emit(&text)?;
    // The process ends here: leave the file and the paths to the operating
    // system instead of freeing them page by page.
    std::mem::forget(output);
    std::mem::forget(report);
    std::mem::forget(rules);
    std::mem::forget(paths);
    std::mem::forget(bytes);
    Ok(())
}

/// Reads the file in pieces into the rule-based models: a large file in
/// two parts at once (split at a line end, the second part's reader given
/// the header line first), each read in pieces of 1 MiB as it is parsed.
/// An error in the second part is reported by reading the whole file in
/// one reader again, so its line number counts from the file's start.
fn stream(path: &str, lnd: &LastNonDirect, pos: &PositionBased) -> Result<RuleBased, String> {
    use std::io::{Read, Seek, SeekFrom};
    if Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    let open = || std::fs::File::open(path).map_err(|e| format!("cannot open {path:?}: {e}"));
    let read_err = |e: std::io::Error| format!("cannot read {path:?}: {e}");
    // Reads `len` bytes (or to the end) from `from` into `reader`.
    let part = |reader: &mut RuleBasedReader, from: u64, len: Option<u64>| -> Result<(), String> {
        let mut file = open()?;
        file.seek(SeekFrom::Start(from)).map_err(read_err)?;
        let mut input: Box<dyn Read> = match len {
            Some(n) => Box::new(file.take(n)),
            None => Box::new(file),
        };
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_err(e)),
            };
            reader
                .push(buf.get(..n).unwrap_or(&[]))
                .map_err(|e| format!("{path}: {e}"))?;
        }
    };
    let whole = || -> Result<RuleBased, String> {
        let mut reader = RuleBasedReader::new(lnd, pos);
        part(&mut reader, 0, None)?;
        reader.finish().map_err(|e| format!("{path}: {e}"))
    };
    let len = open()?.metadata().map_err(read_err)?.len();
    // The header line, and a line end near the middle.
    let mut head = vec![0u8; 1 << 16];
    let mut file = open()?;
    let n = file.read(&mut head).map_err(read_err)?;
    let header_end = memchr::memchr(b'\n', head.get(..n).unwrap_or(&[]));
    let mid = len / 2;
    file.seek(SeekFrom::Start(mid)).map_err(read_err)?;
    let mut window = vec![0u8; 1 << 16];
    let w = file.read(&mut window).map_err(read_err)?;
    let split = memchr::memchr(b'\n', window.get(..w).unwrap_or(&[])).map(|i| mid + i as u64 + 1);
    let (Some(header_end), Some(split), true) = (header_end, split, len >= 1 << 22) else {
        return whole();
    };
    if split <= header_end as u64 + 1 {
        return whole();
    }
    let header = head.get(..=header_end).unwrap_or(&[]).to_vec();
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| -> Result<RuleBasedReader, String> {
            let mut r = RuleBasedReader::new(lnd, pos);
            r.push(&header).map_err(|e| format!("{path}: {e}"))?;
            part(&mut r, split, None)?;
            Ok(r)
        });
        let mut r = RuleBasedReader::new(lnd, pos);
        let first = part(&mut r, 0, Some(split)).map(|()| r);
        let second = h
            .join()
            .unwrap_or_else(|_| Err("a reader thread panicked".to_owned()));
        (first, second)
    });
    match (first?, second) {
        (a, Ok(b)) => match RuleBasedReader::finish_parts(vec![a, b]) {
            Ok(r) => Ok(r),
            Err(_) => whole(),
        },
        (_, Err(_)) => whole(),
    }
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    if Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    std::fs::read(path).map_err(|e| format!("cannot open {path:?}: {e}"))
}
