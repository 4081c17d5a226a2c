//! ClickHouse-style `windowFunnel` over a CSV event log.
//!
//! ```text
//! cargo run --release --example funnel -- --window SECONDS \
//!     [--mode strict_order|strict_deduplication|strict_increase] \
//!     --steps product_view,add_to_cart,checkout_start,purchase [--levels OUT.csv] FILE.csv
//! ```
//!
//! FILE has the columns `user_id,ts,event` (a header row; ISO-8601 UTC times;
//! rows in any order). A step matches the rows whose `event` equals the step's
//! name; every other row stays in the customer's sequence (it matters for
//! `strict_order`). Prints one JSON object:
//! `{"customers": N, "reaching": [n1, ...], "at_level": [n0, n1, ...], "compute_seconds": S}`,
//! where `compute_seconds` covers grouping and the funnel, after the file is
//! read. `--levels OUT.csv` also writes `user_id,level` for every customer.
//! `--mode` also accepts `default`, `strict_once`, `first_entry` and
//! comma-separated combinations such as `strict_order,allow_reentry`.
//! `--journeys` computes the same levels through the journey API (a
//! `Touchpoint` per row; slower, for checking).
//!
//! Columns are found by header name (any order; other columns are ignored).
//! The CSV may use CRLF line ends, a byte-order mark, quoted fields (not
//! spanning lines) and spaces around cells; blank lines are skipped. Times may
//! also carry an offset (`+02:00`, converted to UTC), a fraction of a second
//! (dropped, as ClickHouse's `DateTime` does) or a space instead of `T` (no
//! zone = UTC). A `user_id` that is not a non-negative integer is taken as
//! text (unicode is fine); then customers are numbered with integer ids first,
//! ascending, then text ids in byte order, and `--levels` lists them in that
//! order under their own ids; `reaching` and `at_level` do not change.
//!
//! Malformed input (a missing column, an empty id, a time that is not
//! ISO-8601, a row with another number of fields than the header, a quote left
//! open) gives one `error: ...` line naming the line and the value on stderr,
//! and exit status 2.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::funnel::{EventIds, EventRow, Funnel, FunnelConfig, FunnelMode, Step, WindowFunnel};
use cxjourney::{CustomerId, EventMap, Journey, JourneyConfig, Touchpoint};

#[path = "common/out.rs"]
mod out;

struct Args {
    window: u64,
    mode: FunnelMode,
    steps: Vec<String>,
    levels: Option<String>,
    journeys: bool,
    file: String,
}

const USAGE: &str = "usage: funnel --window SECONDS [--mode strict_order|strict_deduplication|strict_increase] --steps a,b,c [--levels OUT.csv] [--journeys] FILE.csv";

fn parse_args() -> Result<Args, String> {
    let mut window = None;
    let mut mode = FunnelMode::default();
    let mut steps = None;
    let mut levels = None;
    let mut journeys = false;
    let mut file = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--window" => {
                let v = value("--window")?;
                window = Some(v.trim().parse::<u64>().map_err(|_| {
                    format!("--window must be a whole number of seconds >= 0, got {v:?}")
                })?);
            }
            "--mode" => {
                let v = value("--mode")?;
                if v.trim().is_empty() {
                    return Err("--mode needs a value such as strict_order".to_owned());
                }
                mode = v.parse().map_err(|e| format!("--mode: {e}"))?;
            }
            "--steps" => {
                let v = value("--steps")?;
                let list: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
                if list.iter().any(String::is_empty) {
                    return Err(format!("--steps has an empty step name: {v:?}"));
                }
                steps = Some(list);
            }
            "--levels" => levels = Some(value("--levels")?),
            "--journeys" => journeys = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with("--") => return Err(format!("unknown option {other:?}")),
            _ => {
                if file.replace(arg).is_some() {
                    return Err("more than one input file given".to_owned());
                }
            }
        }
    }
    Ok(Args {
        window: window.ok_or("--window SECONDS is required")?,
        mode,
        steps: steps.ok_or("--steps is required")?,
        levels,
        journeys,
        file: file.ok_or("an input FILE.csv is required")?,
    })
}

/// Splits one CSV record (RFC 4180 quotes allowed) into fields; false when a
/// quote is left open at the end of the line.
fn split_fields(line: &[u8], out: &mut Vec<Vec<u8>>) -> bool {
    out.clear();
    let mut field = Vec::new();
    let mut in_quotes = false;
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        if in_quotes {
            if b == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(b);
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == b',' {
            out.push(std::mem::take(&mut field));
        } else {
            field.push(b);
        }
        i += 1;
    }
    out.push(field);
    !in_quotes
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch of an ISO-8601 UTC time. The usual
/// `YYYY-MM-DDTHH:MM:SSZ` is read directly; anything else goes through
/// chrono (RFC 3339 with an offset or fraction, or `YYYY-MM-DD HH:MM:SS`).
/// Fractions of a second are dropped, as ClickHouse's `DateTime` does.
fn parse_ts(b: &[u8]) -> Option<i64> {
    if b.len() == 20
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':')
        && b.get(19) == Some(&b'Z')
    {
        let y = digits(b.get(0..4)?)?;
        let mo = digits(b.get(5..7)?)?;
        let d = digits(b.get(8..10)?)?;
        let h = digits(b.get(11..13)?)?;
        let mi = digits(b.get(14..16)?)?;
        let s = digits(b.get(17..19)?)?;
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let dim = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let max_day = dim.get((mo as usize).wrapping_sub(1)).copied().unwrap_or(0);
        if (1..=12).contains(&mo) && (1..=max_day).contains(&d) && h < 24 && mi < 60 && s < 60 {
            let days = days_from_civil(i64::from(y), mo, d);
            return Some(days * 86_400 + i64::from(h * 3600 + mi * 60 + s));
        }
        return None;
    }
    let s = std::str::from_utf8(b).ok()?;
    cxjourney::log::parse_timestamp(s).map(|t| t.timestamp())
}

/// User ids that are not non-negative integers: interned while reading (the
/// rows get the intern index as a placeholder), then every customer is
/// renumbered by [`TextIds::renumber`].
#[derive(Default)]
struct TextIds {
    index: std::collections::HashMap<String, u64>,
    names: Vec<String>,
    /// Positions in the row list of the rows with a text id, ascending.
    rows: Vec<usize>,
}

impl TextIds {
    /// Renumbers all customers `0, 1, ...`: integer ids first, ascending,
    /// then text ids in byte order; returns each new number's id as text.
    fn renumber(&self, rows: &mut [EventRow]) -> Vec<String> {
        let mut text_row = self.rows.iter().peekable();
        let mut nums: Vec<u64> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            if text_row.next_if(|&&t| t == i).is_none() {
                nums.push(r.customer);
            }
        }
        nums.sort_unstable();
        nums.dedup();
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|&a, &b| self.names.get(a).cmp(&self.names.get(b)));
        let mut text_rank = vec![0u64; self.names.len()];
        for (rank, &i) in order.iter().enumerate() {
            if let Some(slot) = text_rank.get_mut(i) {
                *slot = (nums.len() + rank) as u64;
            }
        }
        let mut text_row = self.rows.iter().peekable();
        for (i, r) in rows.iter_mut().enumerate() {
            r.customer = if text_row.next_if(|&&t| t == i).is_some() {
                text_rank
                    .get(r.customer as usize)
                    .copied()
                    .unwrap_or(u64::MAX)
            } else {
                nums.binary_search(&r.customer)
                    .map_or(u64::MAX, |k| k as u64)
            };
        }
        nums.iter()
            .map(u64::to_string)
            .chain(order.iter().filter_map(|&i| self.names.get(i).cloned()))
            .collect()
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

/// One row from its `user_id`, `ts` and `event` fields; `row` is its position
/// in the row list.
fn parse_row(
    path: &str,
    lineno: usize,
    [user, t, ev]: [&[u8]; 3],
    ids: &mut EventIds,
    recent: &mut Vec<(Vec<u8>, u32)>,
    (texts, row): (&mut TextIds, usize),
) -> Result<EventRow, String> {
    let user = user.trim_ascii();
    let customer = match std::str::from_utf8(user)
        .ok()
        .map(|s| (s, s.parse::<u64>()))
    {
        Some((_, Ok(c))) => c,
        Some(("", _)) => return Err(format!("{path}: line {lineno}: empty user_id")),
        Some((s, Err(_))) => {
            texts.rows.push(row);
            match texts.index.get(s) {
                Some(&c) => c,
                None => {
                    let c = texts.names.len() as u64;
                    texts.index.insert(s.to_owned(), c);
                    texts.names.push(s.to_owned());
                    c
                }
            }
        }
        None => {
            return Err(format!(
                "{path}: line {lineno}: user_id {:?} is not valid UTF-8",
                String::from_utf8_lossy(user)
            ));
        }
    };
    let ev = ev.trim_ascii();
    let ts = parse_ts(t).ok_or_else(|| {
        format!(
            "{path}: line {lineno}: ts {:?} is not an ISO-8601 UTC time such as 2024-01-31T23:59:59Z",
            String::from_utf8_lossy(t)
        )
    })?;
    // A few event names cover nearly every row: look them up without hashing.
    let event = match recent.iter().find(|(name, _)| name.as_slice() == ev) {
        Some(&(_, id)) => id,
        None => {
            let name = std::str::from_utf8(ev)
                .map_err(|_| format!("{path}: line {lineno}: event is not valid UTF-8"))?;
            let id = ids.intern(name);
            if recent.len() < 64 {
                recent.push((ev.to_vec(), id));
            }
            id
        }
    };
    Ok(EventRow {
        customer,
        ts,
        event,
    })
}

fn read_rows(path: &str, ids: &mut EventIds, texts: &mut TextIds) -> Result<Vec<EventRow>, String> {
    if std::path::Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    let file = File::open(path).map_err(|e| format!("cannot open {path:?}: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut fields = Vec::new();
    let mut rows = Vec::new();
    let mut cols: Option<[usize; 3]> = None;
    let mut ncols = 0;
    let mut recent: Vec<(Vec<u8>, u32)> = Vec::new();
    let mut lineno = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{path}: read error after line {lineno}: {e}"))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        // Fast path: no quotes, so the fields are plain slices of the line.
        if let (Some([cu, ct, ce]), false) = (cols, line.contains(&b'"')) {
            let mut parts = [&[][..]; 3];
            let mut n = 0usize;
            for (i, f) in line.split(|&b| b == b',').enumerate() {
                n += 1;
                for (slot, col) in parts.iter_mut().zip([cu, ct, ce]) {
                    if col == i {
                        *slot = f;
                    }
                }
            }
            if n != ncols {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Err(format!(
                    "{path}: line {lineno}: {n} fields, the header has {ncols}: {:?}",
                    String::from_utf8_lossy(&line)
                ));
            }
            let row = parse_row(path, lineno, parts, ids, &mut recent, (texts, rows.len()))?;
            rows.push(row);
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !split_fields(&line, &mut fields) {
            return Err(format!(
                "{path}: line {lineno}: a quoted field is not closed on its line (quoted line breaks are not supported): {:?}",
                String::from_utf8_lossy(&line)
            ));
        }
        let Some([cu, ct, ce]) = cols else {
            let names: Vec<String> = fields
                .iter()
                .map(|f| {
                    String::from_utf8_lossy(f)
                        .trim()
                        .trim_start_matches('\u{feff}')
                        .to_owned()
                })
                .collect();
            let find = |want: &str| {
                let mut at = names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| *n == want)
                    .map(|(i, _)| i);
                match (at.next(), at.next()) {
                    (Some(i), None) => Ok(i),
                    (Some(_), Some(_)) => Err(format!(
                        "{path}: line {lineno}: the header has the column {want:?} twice"
                    )),
                    (None, _) => Err(format!(
                        "{path}: line {lineno}: the header {names:?} has no column {want:?} (expected user_id,ts,event)"
                    )),
                }
            };
            cols = Some([find("user_id")?, find("ts")?, find("event")?]);
            ncols = names.len();
            continue;
        };
        if fields.len() != ncols {
            return Err(format!(
                "{path}: line {lineno}: {} fields, the header has {ncols}: {:?}",
                fields.len(),
                String::from_utf8_lossy(&line)
            ));
        }
        let get = |i: usize| fields.get(i).map_or(&[][..], |f| f.as_slice());
        let row = parse_row(
            path,
            lineno,
            [get(cu), get(ct), get(ce)],
            ids,
            &mut recent,
            (texts, rows.len()),
        )?;
        rows.push(row);
    }
    if cols.is_none() {
        return Err(format!(
            "{path}: empty file: expected a header user_id,ts,event"
        ));
    }
    Ok(rows)
}

/// The same levels through the journey API: a `Touchpoint` per row, journeys,
/// and `Step::event` steps (slower; for checking, and for `strict_once` with a
/// step name listed twice, which the compact path refuses).
fn by_journeys(
    rows: &[EventRow],
    ids: &EventIds,
    steps: &[&str],
    window: TimeDelta,
    mode: FunnelMode,
) -> Result<Vec<(u64, u8)>, String> {
    let map = EventMap::standard().fallback_to_custom();
    let mut kinds = Vec::with_capacity(ids.len());
    for id in 0..ids.len() {
        let name = u32::try_from(id)
            .ok()
            .and_then(|i| ids.name(i))
            .unwrap_or("");
        kinds.push(map.convert(name).map_err(|e| e.to_string())?);
    }
    let mut tps = Vec::with_capacity(rows.len());
    for r in rows {
        let (kind, name) = kinds
            .get(r.event as usize)
            .cloned()
            .ok_or("event id out of range")?;
        let at = DateTime::<Utc>::from_timestamp(r.ts, 0).ok_or("time out of range")?;
        tps.push(Touchpoint::new(CustomerId(r.customer), at, kind).with_event(name));
    }
    let journeys = Journey::group(tps, &JourneyConfig::default()).map_err(|e| e.to_string())?;
    let config =
        FunnelConfig::new(steps.iter().map(|s| Step::event(s)).collect(), window).with_mode(mode);
    let funnel = Funnel::new(config).map_err(|e| e.to_string())?;
    let levels = funnel.levels(&journeys).map_err(|e| e.to_string())?;
    Ok(journeys
        .iter()
        .zip(levels)
        .map(|(j, l)| (j.customer().0, u8::try_from(l).unwrap_or(u8::MAX)))
        .collect())
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let window = i64::try_from(args.window)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(|| format!("--window {} is too large", args.window))?;
    let funnel =
        WindowFunnel::new(args.steps.len(), window, args.mode).map_err(|e| e.to_string())?;
    let mut ids = EventIds::new();
    let mut texts = TextIds::default();
    let mut rows = read_rows(&args.file, &mut ids, &mut texts)?;
    // Text user ids: renumber every customer (outside the timed part).
    let names = (!texts.names.is_empty()).then(|| texts.renumber(&mut rows));
    let steps: Vec<&str> = args.steps.iter().map(String::as_str).collect();

    let started = Instant::now();
    let levels: Vec<(u64, u8)> = if args.journeys {
        by_journeys(&rows, &ids, &steps, window, args.mode)?
    } else {
        let masks = ids.step_masks(&steps);
        funnel
            .levels_by_customer(&rows, &masks)
            .map_err(|e| e.to_string())?
            .iter()
            .collect()
    };
    let mut at_level = vec![0u64; steps.len() + 1];
    for &(_, l) in &levels {
        if let Some(x) = at_level.get_mut(usize::from(l)) {
            *x += 1;
        }
    }
    let reaching: Vec<u64> = (1..at_level.len())
        .map(|k| at_level.iter().skip(k).sum())
        .collect();
    let compute_seconds = started.elapsed().as_secs_f64();

    if let Some(out) = &args.levels {
        let file = File::create(out).map_err(|e| format!("cannot create {out:?}: {e}"))?;
        let mut w = BufWriter::new(file);
        let write_err = |e: std::io::Error| format!("cannot write {out:?}: {e}");
        writeln!(w, "user_id,level").map_err(write_err)?;
        for (c, l) in &levels {
            match names.as_ref().and_then(|n| n.get(*c as usize)) {
                Some(name) => writeln!(w, "{},{l}", csv_field(name)),
                None => writeln!(w, "{c},{l}"),
            }
            .map_err(write_err)?;
        }
        w.flush().map_err(write_err)?;
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

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
