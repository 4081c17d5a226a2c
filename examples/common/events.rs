//! Reading an event file for the examples (included with `#[path]`):
//! `log::read_csv_file` with the examples' event names (standard names, other
//! names as custom kinds), its errors in one line naming the file, line and
//! value; and writing one value per customer as `user_id,<column>`.

#![allow(dead_code)]

use std::fmt::Display;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use cxjourney::log::{CsvOptions, EventLog, read_csv_file};
use cxjourney::{Error, EventMap};

/// Reads the file into an event log; errors as one line naming the line and
/// the value.
pub fn read(path: &str) -> Result<EventLog, String> {
    if Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    // Opened here first for this command's own message when it cannot be.
    drop(File::open(path).map_err(|e| format!("cannot open {path:?}: {e}"))?);
    let options = CsvOptions::default().events(EventMap::standard().fallback_to_custom());
    match read_csv_file(path, &options) {
        Ok((log, _)) => Ok(log),
        Err(e) => Err(describe(path, e)),
    }
}

/// The reader's error in the words of this command.
fn describe(path: &str, e: Error) -> String {
    let Error::InvalidRecord {
        line,
        column,
        value,
        reason,
    } = &e
    else {
        return format!("{path}: {e}");
    };
    match (column.as_str(), value.as_str()) {
        ("header", _) if reason.starts_with("empty input") => {
            format!("{path}: empty file: expected a header user_id,ts,event")
        }
        ("header", header) if reason.contains("lacks the column") => {
            let names: Vec<&str> = header
                .split(',')
                .map(|h| h.trim().trim_start_matches('\u{feff}'))
                .collect();
            let missing = ["user_id", "ts", "event"]
                .into_iter()
                .find(|c| !names.contains(c))
                .unwrap_or("user_id");
            format!(
                "{path}: line {line}: the header {names:?} has no column {missing:?} (expected user_id,ts,event)"
            )
        }
        ("user_id", "") => format!("{path}: line {line}: empty user_id"),
        ("row", fields) if open_quote(path, *line) => format!(
            "{path}: line {line}: a quoted field is not closed on its line ({fields}; {reason})"
        ),
        _ => format!("{path}: {e}"),
    }
}

/// Whether line `n` of the file leaves a quote open (a field that swallowed
/// the lines after it).
fn open_quote(path: &str, n: u64) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Some(Ok(line)) = BufReader::new(file)
        .split(b'\n')
        .nth(usize::try_from(n.saturating_sub(1)).unwrap_or(usize::MAX))
    else {
        return false;
    };
    line.iter().filter(|&&b| b == b'"').count() % 2 == 1
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Writes `user_id,<column>` with each customer's value: integer ids
/// ascending, then text ids in byte order.
pub fn write_per_user<T: Display>(
    out: &str,
    log: &EventLog,
    column: &str,
    values: &[T],
) -> Result<(), String> {
    let file = File::create(out).map_err(|e| format!("cannot create {out:?}: {e}"))?;
    let mut w = BufWriter::new(file);
    let write_err = |e: std::io::Error| format!("cannot write {out:?}: {e}");
    writeln!(w, "user_id,{column}").map_err(write_err)?;
    // (integer id, or the text id) of each customer, in the log's order.
    let ids: Vec<Result<u64, &str>> = log
        .journeys()
        .map(|j| match j.customer_key() {
            Some(k) => k.parse::<u64>().map_err(|_| k),
            None => Ok(j.customer().0),
        })
        .collect();
    let mut order: Vec<usize> = (0..ids.len()).collect();
    if ids.iter().any(Result::is_err) {
        // read_csv numbers mixed ids in byte order; list integers first.
        order.sort_by_key(|&i| match ids.get(i) {
            Some(Ok(n)) => (0, *n, ""),
            Some(Err(t)) => (1, 0, *t),
            None => (2, 0, ""),
        });
    }
    for i in order {
        let (Some(id), Some(l)) = (ids.get(i), values.get(i)) else {
            continue;
        };
        match id {
            Ok(n) => writeln!(w, "{n},{l}"),
            Err(t) => writeln!(w, "{},{l}", csv_field(t)),
        }
        .map_err(write_err)?;
    }
    w.flush().map_err(write_err)
}
