//! Reading path files (ChannelAttribution's format) and journeys files from
//! bytes (all at once, or in pieces as they arrive): no I/O here, the caller
//! reads the file. Records are cut by the crate's one CSV reader
//! ([`Records`], `csv-core` underneath); what is this module's own is the
//! path syntax (channels split on `>`, trimmed, empty tokens dropped) and
//! the numbers.

use std::io::Read;

use chrono::TimeDelta;

use crate::attribution::fixed::{Fixed, MAX_AMOUNT};
use crate::attribution::paths::{MAX_COUNT, PathSet};
use crate::error::{Error, Result};
use crate::log::csv::{RawRec, Recent, Records};

/// Where the rows of a path file go: a [`PathSet`] (kept, deduplicated at
/// the end), or a running tally of the rule-based models (nothing kept).
pub(crate) trait Sink: Sized + Send {
    /// The id of channel `name`, interning it.
    fn intern(&mut self, name: &str) -> Result<u32>;
    /// Takes one path.
    fn row(&mut self, ids: &[u32], conversions: u64, value: Fixed, nulls: u64) -> Result<()>;
    /// Makes room for about `rows` paths of `touches` touches.
    fn reserve(&mut self, _rows: usize, _touches: usize) {}
    /// An empty sink like this one, for the other half of a file.
    fn empty_like(&self) -> Self;
    /// Folds in the sink of the part after this one.
    fn absorb(&mut self, later: Self) -> Result<()>;
    /// Ends the load.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Sink for PathSet {
    fn intern(&mut self, name: &str) -> Result<u32> {
        PathSet::intern(self, name)
    }

    #[inline]
    fn row(&mut self, ids: &[u32], conversions: u64, value: Fixed, nulls: u64) -> Result<()> {
        self.push_row(ids, conversions, value, nulls).map(|_| ())
    }

    fn reserve(&mut self, rows: usize, touches: usize) {
        PathSet::reserve(self, rows, touches);
    }

    fn empty_like(&self) -> Self {
        PathSet::empty_like(self)
    }

    fn absorb(&mut self, later: Self) -> Result<()> {
        self.append(later)
    }

    fn finish(&mut self) -> Result<()> {
        self.dedupe()
    }
}

/// Where each named column is in the header.
#[derive(Debug, Clone)]
struct Header {
    names: Vec<String>,
    /// The line the header is on.
    line: u64,
}

impl Header {
    /// The header of a record (names trimmed; a byte-order mark is skipped
    /// by the cutter).
    fn new(r: &RawRec<'_>, line: u64) -> Header {
        let names = (0..r.len())
            .map(|i| String::from_utf8_lossy(r.field(i)).trim().to_owned())
            .collect();
        Header { names, line }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn require(&self, name: &str, expected: &str) -> Result<usize> {
        self.find(name).ok_or_else(|| Error::InvalidRecord {
            line: self.line,
            column: "header".to_owned(),
            value: self.names.join(","),
            reason: format!("the header lacks the column {name:?} (expected {expected})"),
        })
    }
}

fn empty_input(expected: &str) -> Error {
    Error::InvalidRecord {
        line: 1,
        column: "header".to_owned(),
        value: String::new(),
        reason: format!("empty input: expected a header {expected}"),
    }
}

/// Whether a record is a blank line (one field of spaces at most).
fn blank(r: &RawRec<'_>) -> bool {
    r.len() == 1 && r.field(0).iter().all(u8::is_ascii_whitespace)
}

fn record_error(line: u64, column: &str, value: &[u8], reason: impl Into<String>) -> Error {
    Error::InvalidRecord {
        line,
        column: column.to_owned(),
        value: String::from_utf8_lossy(value).into_owned(),
        reason: reason.into(),
    }
}

/// A whole, non-negative count of at most [`MAX_COUNT`] (`3` or `3.0`).
fn parse_count(bytes: &[u8], line: u64, column: &str) -> Result<u64> {
    let t = bytes.trim_ascii();
    if !t.is_empty() && t.len() <= 16 && t.iter().all(u8::is_ascii_digit) {
        let n = t.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
        if n > MAX_COUNT {
            return Err(record_error(
                line,
                column,
                bytes,
                "a count must be at most 2^53",
            ));
        }
        return Ok(n);
    }
    let x = parse_float(bytes, line, column)?;
    if x < 0.0 || x.fract() != 0.0 || x > MAX_COUNT as f64 {
        return Err(record_error(
            line,
            column,
            bytes,
            "a count must be a whole number from 0 to 2^53",
        ));
    }
    Ok(x as u64)
}

fn parse_float(bytes: &[u8], line: u64, column: &str) -> Result<f64> {
    let t = bytes.trim_ascii();
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|x| x.is_finite())
        .ok_or_else(|| record_error(line, column, bytes, "not a finite number"))
}

/// A plain decimal (`185.13`, `0`, `12.`) of at most 15 whole and 12
/// fraction digits, exactly in fixed point; `None` for anything else.
#[inline]
fn plain_decimal(t: &[u8]) -> Option<Fixed> {
    let mut units: u64 = 0;
    let mut whole = 0usize;
    let mut frac = 0usize;
    let mut dot = false;
    for &b in t {
        if b.is_ascii_digit() {
            // At most 27 digits; the first 18 fit a u64, more are refused
            // below before they could overflow it.
            units = units.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            if dot {
                frac += 1;
            } else {
                whole += 1;
            }
        } else if b == b'.' && !dot {
            dot = true;
        } else {
            return None;
        }
    }
    if whole + frac == 0 || whole > 15 || frac > 12 || whole + frac > 18 {
        return None;
    }
    Some(Fixed(i128::from(units) * 10i128.pow(12 - frac as u32)))
}

/// A conversion value: finite, at least 0, at most 2^53.
fn parse_value(bytes: &[u8], line: u64, column: &str) -> Result<Fixed> {
    let t = bytes.trim_ascii();
    if let Some(v) = plain_decimal(t) {
        if v <= MAX_AMOUNT {
            return Ok(v);
        }
    }
    let x = parse_float(bytes, line, column)?;
    Fixed::from_f64(x).ok_or_else(|| {
        record_error(
            line,
            column,
            bytes,
            if x < 0.0 {
                "a conversion value cannot be negative"
            } else {
                "a conversion value must be at most 2^53"
            },
        )
    })
}

/// Channel ids of the path tokens seen so far, keyed by the raw segment
/// between two `>` (spaces and all): a token of a known channel costs a
/// slot lookup in the log reader's cache of recent cells ([`Recent`])
/// instead of a trim, a UTF-8 check, a hash of the string and a byte
/// comparison. A segment not found is trimmed and interned in the sink (the
/// sink's [`Dictionary`](crate::log::Dictionary) is the one interner).
struct TokenTable {
    recent: Recent<u32>,
}

impl TokenTable {
    fn new() -> TokenTable {
        TokenTable {
            recent: Recent::default(),
        }
    }

    /// Pushes the channel of the segment `cell[a..b]` (trimmed of spaces;
    /// an empty token is dropped) onto `ids`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn push<S: Sink>(
        &mut self,
        set: &mut S,
        cell: &[u8],
        a: usize,
        b: usize,
        ids: &mut Vec<u32>,
        line: u64,
        column: &str,
    ) -> Result<()> {
        let raw = cell.get(a..b.min(cell.len())).unwrap_or(&[]);
        if raw.is_empty() {
            return Ok(());
        }
        if let Some(id) = self.recent.hit(raw) {
            ids.push(id);
            return Ok(());
        }
        let token = trim_spaces(raw);
        if token.is_empty() {
            return Ok(());
        }
        let name = std::str::from_utf8(token)
            .map_err(|_| record_error(line, column, cell, "a channel name is not UTF-8"))?;
        let id = set.intern(name)?;
        self.recent.set(raw, id);
        ids.push(id);
        Ok(())
    }
}

/// Splits a path by ChannelAttribution's rules (split on `>`, trim spaces
/// from both ends of each token, drop empty tokens) and interns the
/// channels into `ids`. The split on `>` is path syntax, not CSV: the
/// cell comes unquoted from the CSV reader.
fn parse_path<S: Sink>(
    set: &mut S,
    table: &mut TokenTable,
    bytes: &[u8],
    line: u64,
    column: &str,
    ids: &mut Vec<u32>,
) -> Result<()> {
    ids.clear();
    let mut a = 0;
    for end in memchr::memchr_iter(b'>', bytes) {
        table.push(set, bytes, a, end, ids, line, column)?;
        a = end + 1;
    }
    table.push(set, bytes, a, bytes.len(), ids, line, column)?;
    if ids.is_empty() {
        return Err(record_error(line, column, bytes, "empty path"));
    }
    Ok(())
}

fn trim_spaces(mut t: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = t {
        t = rest;
    }
    while let [rest @ .., b' '] = t {
        t = rest;
    }
    t
}

/// Checks the width of a record against the header's.
fn check_width(r: &RawRec<'_>, header: &Header, line: u64) -> Result<()> {
    if r.len() != header.names.len() {
        let fields: Vec<String> = (0..r.len())
            .map(|i| String::from_utf8_lossy(r.field(i)).into_owned())
            .collect();
        return Err(Error::InvalidRecord {
            line,
            column: "row".to_owned(),
            value: fields.join(","),
            reason: format!(
                "{} fields where the header has {}",
                r.len(),
                header.names.len()
            ),
        });
    }
    Ok(())
}

const PATHS_HEADER: &str = "path,total_conversions,total_conversion_value,total_null";
const JOURNEYS_HEADER: &str = "journey_id,path,hours_to_end,converted,conversion_value";

/// Inputs from this size up are read on two threads.
const TWO_THREADS: usize = 1 << 20;

/// The columns a reader needs, resolved from the header.
#[derive(Debug, Clone, Copy)]
struct Columns {
    path: usize,
    conversions: usize,
    value: Option<usize>,
    nulls: Option<usize>,
    hours: usize,
}

/// What one reader keeps from row to row.
struct RowState {
    table: TokenTable,
    ids: Vec<u32>,
    ages: Vec<f64>,
}

impl RowState {
    fn new() -> RowState {
        RowState {
            table: TokenTable::new(),
            ids: Vec::new(),
            ages: Vec::new(),
        }
    }
}

type RowFn<S> = fn(&mut S, &RawRec<'_>, u64, &Columns, &mut RowState) -> Result<()>;

/// Reads the rows of `input` (records cut by the crate's CSV reader,
/// [`Records`]) into `set`; `offset` lines come before the input's first.
#[allow(clippy::too_many_arguments)]
fn read_part<R: Read, S: Sink>(
    input: R,
    offset: u64,
    set: &mut S,
    header: &Header,
    cols: &Columns,
    row: RowFn<S>,
    st: &mut RowState,
) -> Result<()> {
    let mut records = Records::new(input, 0).within_file();
    while let Some(r) = records.next_raw().map_err(|e| e.into_error(offset))? {
        if blank(&r) {
            continue;
        }
        let line = r.line + offset;
        check_width(&r, header, line)?;
        row(set, &r, line, cols, st)?;
    }
    Ok(())
}

/// Reads the rows of `data` (after the header, which ends at `body`, and
/// `offset` lines) into `set`: on two threads for large inputs without
/// quotes (split at a line end, each half into its own set, merged in
/// order, so the result is the one thread's), else on one.
#[allow(clippy::too_many_arguments)]
fn read_rows<S: Sink>(
    data: &[u8],
    body: usize,
    offset: u64,
    set: S,
    header: &Header,
    cols: &Columns,
    row: RowFn<S>,
    two_threads: usize,
) -> Result<S> {
    let rest = data.get(body..).unwrap_or(&[]);
    let quoted = memchr::memchr(b'"', rest).is_some();
    let split = (rest.len() >= two_threads && !quoted)
        .then(|| memchr::memchr(b'\n', rest.get(rest.len() / 2..).unwrap_or(&[])))
        .flatten()
        .map(|i| rest.len() / 2 + i + 1);
    let one = |part: &[u8], offset: u64, mut set: S| -> Result<S> {
        // Lines and arrows counted in the first 256 KiB and extrapolated
        // with a margin, so the columns are allocated once (growing them
        // copies and faults in every page again).
        let sample = part.get(..part.len().min(1 << 18)).unwrap_or(part);
        let scale = part.len() as f64 / sample.len().max(1) as f64 * 1.1;
        let lines = memchr::memchr_iter(b'\n', sample).count() + 1;
        let arrows = memchr::memchr_iter(b'>', sample).count();
        set.reserve(
            (lines as f64 * scale) as usize + 16,
            ((lines + arrows) as f64 * scale) as usize + 64,
        );
        let mut state = RowState::new();
        read_part(part, offset, &mut set, header, cols, row, &mut state)?;
        Ok(set)
    };
    let Some(split) = split else {
        let mut set = one(rest, offset, set)?;
        set.finish()?;
        return Ok(set);
    };
    let (a, b) = rest.split_at(split.min(rest.len()));
    let empty = set.empty_like();
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let offset_b = offset + memchr::memchr_iter(b'\n', a).count() as u64;
            one(b, offset_b, empty)
        });
        let first = one(a, offset, set);
        let second = h.join().unwrap_or_else(|_| {
            Err(Error::NumericFailure {
                what: "a path reader thread panicked".to_owned(),
            })
        });
        (first, second)
    });
    let mut first = first?;
    first.absorb(second?)?;
    first.finish()?;
    Ok(first)
}

/// The header (the first record that is not blank), where the rows start
/// in `data`, and the lines before them.
fn header(data: &[u8], expected: &str) -> Result<(Header, usize, u64)> {
    let mut records = Records::new(data, 0);
    records.skip_bom().map_err(|e| e.into_error(0))?;
    let header = loop {
        match records.next_raw().map_err(|e| e.into_error(0))? {
            None => return Err(empty_input(expected)),
            Some(r) if blank(&r) => {}
            Some(r) => break Header::new(&r, r.line),
        }
    };
    let body = usize::try_from(records.byte()).unwrap_or(data.len());
    Ok((header, body, records.line() - 1))
}

fn paths_row<S: Sink>(
    set: &mut S,
    r: &RawRec<'_>,
    line: u64,
    c: &Columns,
    st: &mut RowState,
) -> Result<()> {
    let conv = match digits(r.field(c.conversions)) {
        Some(n) => n,
        None => parse_count(r.field(c.conversions), line, "total_conversions")?,
    };
    let nulls = match c.nulls {
        Some(i) => match digits(r.field(i)) {
            Some(n) => n,
            None => parse_count(r.field(i), line, "total_null")?,
        },
        None => 0,
    };
    let value = match c.value {
        Some(i) => parse_value(r.field(i), line, "total_conversion_value")?,
        None => Fixed::ZERO,
    };
    if conv == 0 && value > Fixed::ZERO {
        let cell = c.value.map_or(&[][..], |i| r.field(i));
        return Err(record_error(
            line,
            "total_conversion_value",
            cell,
            "a path without conversions cannot carry conversion value",
        ));
    }
    parse_path(
        set,
        &mut st.table,
        r.field(c.path),
        line,
        "path",
        &mut st.ids,
    )?;
    set.row(&st.ids, conv, value, nulls)
}

/// A count made of digits only (the common case), else `None`.
#[inline]
fn digits(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 16 {
        return None;
    }
    let mut n = 0u64;
    for &b in t {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    (n <= MAX_COUNT).then_some(n)
}

fn journeys_row(
    set: &mut PathSet,
    r: &RawRec<'_>,
    line: u64,
    c: &Columns,
    st: &mut RowState,
) -> Result<()> {
    let converted = match r.field(c.conversions).trim_ascii() {
        b"1" | b"true" | b"True" | b"TRUE" => true,
        b"0" | b"false" | b"False" | b"FALSE" => false,
        other => {
            let x = parse_float(other, line, "converted").ok();
            if x == Some(1.0) {
                true
            } else if x == Some(0.0) {
                false
            } else {
                return Err(record_error(
                    line,
                    "converted",
                    other,
                    "expected 0 or 1 (or false / true)",
                ));
            }
        }
    };
    let value = match c.value {
        Some(i) => parse_value(r.field(i), line, "conversion_value")?,
        None => Fixed::ZERO,
    };
    if !converted && value > Fixed::ZERO {
        let cell = c.value.map_or(&[][..], |i| r.field(i));
        return Err(record_error(
            line,
            "conversion_value",
            cell,
            "a journey that did not convert cannot carry conversion value",
        ));
    }
    parse_path(
        set,
        &mut st.table,
        r.field(c.path),
        line,
        "path",
        &mut st.ids,
    )?;
    st.ages.clear();
    let hours = r.field(c.hours);
    for token in hours.split(|&b| b == b'>') {
        let token = trim_spaces(token);
        if token.is_empty() {
            continue;
        }
        let h = parse_float(token, line, "hours_to_end")?;
        if h < 0.0 {
            return Err(record_error(
                line,
                "hours_to_end",
                hours,
                "hours to the end of a journey cannot be negative",
            ));
        }
        st.ages.push(h * 3600.0);
    }
    if st.ages.len() != st.ids.len() {
        return Err(record_error(
            line,
            "hours_to_end",
            hours,
            format!(
                "{} numbers for a path of {} touches (one per touch, joined by '>')",
                st.ages.len(),
                st.ids.len()
            ),
        ));
    }
    let conv = u64::from(converted);
    set.push_row_timed(&st.ids, &st.ages, conv, value, 1 - conv)
}

/// A path file read in pieces: complete lines are cut into records by the
/// crate's CSV reader as they arrive; the piece of a line left at the end
/// of a push waits for the next. From the first quote on (a quoted field
/// may hold a line end, so a line end is no longer a record's end) the rest
/// is kept and read at the end.
pub(crate) struct PushReader<S: Sink> {
    sink: S,
    carry: Vec<u8>,
    header: Option<(Header, Columns)>,
    /// The lines before the next piece.
    lines: u64,
    /// Whether no byte was read yet (a byte-order mark may come).
    at_start: bool,
    state: RowState,
    /// From the first quote on: every byte still to read.
    quoted: Option<Vec<u8>>,
}

fn path_columns(header: &Header) -> Result<Columns> {
    Ok(Columns {
        path: header.require("path", PATHS_HEADER)?,
        conversions: header.require("total_conversions", PATHS_HEADER)?,
        value: header.find("total_conversion_value"),
        nulls: header.find("total_null"),
        hours: 0,
    })
}

impl<S: Sink> PushReader<S> {
    pub(crate) fn new(sink: S) -> PushReader<S> {
        PushReader {
            sink,
            carry: Vec::new(),
            header: None,
            lines: 0,
            at_start: true,
            state: RowState::new(),
            quoted: None,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(all) = &mut self.quoted {
            all.extend_from_slice(bytes);
            return Ok(());
        }
        let mut rest = bytes;
        if !self.carry.is_empty() {
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                self.carry.extend_from_slice(rest);
                return Ok(());
            };
            self.carry.extend_from_slice(rest.get(..=nl).unwrap_or(&[]));
            let region = std::mem::take(&mut self.carry);
            self.region(&region)?;
            rest = rest.get(nl + 1..).unwrap_or(&[]);
        }
        match memchr::memrchr(b'\n', rest) {
            Some(last) => {
                self.region(rest.get(..=last).unwrap_or(&[]))?;
                self.carry_rest(rest.get(last + 1..).unwrap_or(&[]));
            }
            None => self.carry_rest(rest),
        }
        Ok(())
    }

    fn carry_rest(&mut self, rest: &[u8]) {
        match &mut self.quoted {
            Some(all) => all.extend_from_slice(rest),
            None => self.carry.extend_from_slice(rest),
        }
    }

    /// Complete lines (ending in `\n`, or the last piece of the input).
    fn region(&mut self, region: &[u8]) -> Result<()> {
        match &mut self.quoted {
            Some(all) => all.extend_from_slice(region),
            None if memchr::memchr(b'"', region).is_some() => self.quoted = Some(region.to_vec()),
            None => self.read(region)?,
        }
        Ok(())
    }

    /// Reads records that end within `input` (the header first, if not
    /// read yet).
    fn read(&mut self, input: &[u8]) -> Result<()> {
        let offset = self.lines;
        let mut records = Records::new(input, 0);
        if std::mem::take(&mut self.at_start) {
            records.skip_bom().map_err(|e| e.into_error(offset))?;
        } else {
            records = records.within_file();
        }
        while let Some(r) = records.next_raw().map_err(|e| e.into_error(offset))? {
            if blank(&r) {
                continue;
            }
            let line = r.line + offset;
            match &self.header {
                None => {
                    let header = Header::new(&r, line);
                    let cols = path_columns(&header)?;
                    self.header = Some((header, cols));
                }
                Some((header, cols)) => {
                    check_width(&r, header, line)?;
                    paths_row(&mut self.sink, &r, line, cols, &mut self.state)?;
                }
            }
        }
        self.lines = offset + records.line() - 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<S> {
        let carry = std::mem::take(&mut self.carry);
        if !carry.is_empty() {
            self.region(&carry)?;
        }
        if let Some(all) = self.quoted.take() {
            self.read(&all)?;
        }
        if self.header.is_none() {
            return Err(empty_input(PATHS_HEADER));
        }
        self.sink.finish()?;
        Ok(self.sink)
    }
}

/// A path file in ChannelAttribution's format read in pieces (as it
/// arrives, or in chunks of a file larger than memory): the same
/// [`PathSet`] as [`PathSet::parse_csv`] of the whole, holding only the
/// distinct paths and the piece of a line that a push left unfinished.
///
/// ```
/// use cxjourney::attribution::{PathFileReader, PathSet};
/// let csv = "path,total_conversions,total_conversion_value,total_null\n\
///            search > email,2,150.00,3\nsocial,0,0.00,4\n";
/// let mut reader = PathFileReader::new();
/// for piece in csv.as_bytes().chunks(7) {
///     reader.push(piece)?;
/// }
/// let paths = reader.finish()?;
/// assert_eq!(paths.len(), 2);
/// assert_eq!(paths.total_value(), PathSet::parse_csv(csv.as_bytes())?.total_value());
/// # Ok::<(), cxjourney::Error>(())
/// ```
pub struct PathFileReader(PushReader<PathSet>);

impl std::fmt::Debug for PathFileReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathFileReader")
            .field("lines", &self.0.lines)
            .field("paths", &self.0.sink.len())
            .finish()
    }
}

impl Default for PathFileReader {
    fn default() -> Self {
        PathFileReader::new()
    }
}

impl PathFileReader {
    /// A reader at the start of a file.
    #[must_use]
    pub fn new() -> PathFileReader {
        PathFileReader(PushReader::new(PathSet::new()))
    }

    /// Reads the next piece of the file (any size; pieces in order).
    ///
    /// # Errors
    /// As [`PathSet::parse_csv`], for the lines completed so far.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        self.0.push(bytes)
    }

    /// The paths, after the last piece.
    ///
    /// # Errors
    /// As [`PathSet::parse_csv`].
    pub fn finish(self) -> Result<PathSet> {
        self.0.finish()
    }
}

/// Reads the rows of a path file into a sink (the columns as
/// [`PathSet::parse_csv`] takes them).
pub(crate) fn read_paths_into<S: Sink>(data: &[u8], sink: S) -> Result<S> {
    let (header, body, line) = header(data, PATHS_HEADER)?;
    let cols = path_columns(&header)?;
    read_rows(
        data,
        body,
        line,
        sink,
        &header,
        &cols,
        paths_row,
        TWO_THREADS,
    )
}

impl PathSet {
    /// Reads paths in ChannelAttribution's format: a CSV with a header and
    /// the columns `path` and `total_conversions`, and optionally
    /// `total_conversion_value` and `total_null` (0 when absent); other
    /// columns are ignored. A path is split on `>`, each token trimmed of
    /// spaces, empty tokens dropped (ChannelAttribution's rules); channel
    /// names are case-sensitive. Rows with the same path add up. Large
    /// inputs are read on two threads, with the same result.
    ///
    /// ```
    /// use cxjourney::attribution::PathSet;
    /// let csv = "path,total_conversions,total_conversion_value,total_null\n\
    ///            search > search > email,2,150.50,3\n\
    ///            social,0,0.00,4\n";
    /// let paths = PathSet::parse_csv(csv.as_bytes())?;
    /// assert_eq!(paths.len(), 2);
    /// assert_eq!(paths.total_value(), 150.5);
    /// let first: Vec<&str> = paths.paths().next().unwrap().channels().collect();
    /// assert_eq!(first, ["search", "search", "email"]);
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] naming the line, the column and the value:
    /// a missing column, a row of another width than the header, an empty
    /// path, a count that is not a whole number from 0 to 2^53, a value
    /// that is negative or not a number, a value on a path without
    /// conversions, a quote left open; [`Error::TooMuchWork`] beyond
    /// [`MAX_TOUCHES`](crate::attribution::MAX_TOUCHES) touches.
    pub fn parse_csv(data: &[u8]) -> Result<PathSet> {
        read_paths_into(data, PathSet::new())
    }

    /// Reads one journey per row: a CSV with a header and the columns
    /// `path` (channels as in [`PathSet::parse_csv`]), `hours_to_end` (one
    /// number per touch, joined by `>`: the hours from the touch to the end
    /// of the journey), `converted` (`0`/`1` or `false`/`true`) and
    /// optionally `conversion_value` and `journey_id`; other columns are
    /// ignored. Journeys with the same path add up, and time decay is
    /// credited with `half_life` (mam's `run_time_decay` takes hours: 168
    /// hours is `TimeDelta::hours(168)`).
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use cxjourney::attribution::{Model, PathSet, TimeDecay};
    /// let csv = "journey_id,path,hours_to_end,converted,conversion_value\n\
    ///            1,search > email,24.0 > 0.0,1,90.00\n\
    ///            2,social,3.5,0,0.00\n";
    /// let paths = PathSet::parse_journeys_csv(csv.as_bytes(), TimeDelta::hours(24))?;
    /// let credit = TimeDecay.attribute(&paths)?;
    /// assert!((credit["email"].value - 60.0).abs() < 1e-9); // weights 1/2 and 1
    /// # Ok::<(), cxjourney::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`PathSet::parse_csv`], and [`Error::InvalidRecord`] when
    /// `hours_to_end` does not hold one number of at least 0 per touch or
    /// `converted` is not a 0/1 flag; [`Error::InvalidConfig`] when
    /// `half_life` is not positive.
    pub fn parse_journeys_csv(data: &[u8], half_life: TimeDelta) -> Result<PathSet> {
        let set = PathSet::with_time_decay(half_life)?;
        let (header, body, line) = header(data, JOURNEYS_HEADER)?;
        let cols = Columns {
            path: header.require("path", JOURNEYS_HEADER)?,
            conversions: header.require("converted", JOURNEYS_HEADER)?,
            value: header.find("conversion_value"),
            nulls: None,
            hours: header.require("hours_to_end", JOURNEYS_HEADER)?,
        };
        read_rows(
            data,
            body,
            line,
            set,
            &header,
            &cols,
            journeys_row,
            TWO_THREADS,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(set: &PathSet) -> Vec<(Vec<String>, u64, f64, u64)> {
        set.paths()
            .map(|p| {
                (
                    p.channels().map(str::to_owned).collect(),
                    p.conversions(),
                    p.value(),
                    p.nulls(),
                )
            })
            .collect()
    }

    #[test]
    fn reads_channelattribution_rules() {
        let csv = "\u{feff}path,total_conversions,total_conversion_value,total_null\r\n\
                   a >  b>>c ,2,10.5,1\r\n\
                   \r\n\
                   \"x, y > z\",1,1,0\n\
                   a > b > c,1,1.5,0";
        let set = PathSet::parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(
            rows(&set),
            vec![
                (vec!["a".into(), "b".into(), "c".into()], 3, 12.0, 1),
                (vec!["x, y".into(), "z".into()], 1, 1.0, 0),
            ]
        );
        // Columns in any order; value and nulls optional.
        let set = PathSet::parse_csv(b"total_conversions,path\n3.0,Search\n").unwrap();
        assert_eq!(rows(&set), vec![(vec!["Search".into()], 3, 0.0, 0)]);
    }

    #[test]
    fn errors_name_line_column_and_value() {
        let cases: &[(&str, &str, u64)] = &[
            ("", "header", 1),
            ("path,conv\n", "header", 1),
            ("path,total_conversions\n >  > ,1\n", "path", 2),
            ("path,total_conversions\na,-1\n", "total_conversions", 2),
            ("path,total_conversions\na,1.5\n", "total_conversions", 2),
            ("path,total_conversions\na,x\n", "total_conversions", 2),
            ("path,total_conversions\n\na,1,2\n", "row", 3),
            (
                "path,total_conversions,total_conversion_value\na,0,5\n",
                "total_conversion_value",
                2,
            ),
            (
                "path,total_conversions,total_conversion_value\na,1,-5\n",
                "total_conversion_value",
                2,
            ),
            ("path,total_conversions\n\"a,1\n", "row", 2),
        ];
        for &(csv, column, line) in cases {
            match PathSet::parse_csv(csv.as_bytes()) {
                Err(Error::InvalidRecord {
                    line: l, column: c, ..
                }) => {
                    assert_eq!((l, c.as_str()), (line, column), "{csv:?}");
                }
                other => panic!("{csv:?}: {other:?}"),
            }
        }
    }

    fn canonical(set: &PathSet) -> String {
        let mut rows: Vec<String> = rows(set)
            .into_iter()
            .map(|(p, c, v, n)| format!("{}|{c}|{v}|{n}", p.join(">")))
            .collect();
        rows.sort();
        format!("{:?} {rows:?}", set.channels().collect::<Vec<_>>())
    }

    /// A path file of `n` rows, with repeats.
    fn big(n: usize) -> String {
        let names = [
            "search",
            "social",
            "email",
            "a-very-long-channel-name",
            "x",
            "marketplace",
        ];
        let mut text = String::from("path,total_conversions,total_conversion_value,total_null\n");
        let mut rng = crate::numeric::Rng::new(3);
        for _ in 0..n {
            let len = 1 + rng.below(6) as usize;
            let p: Vec<&str> = (0..len).map(|_| names[rng.below(6) as usize]).collect();
            let conv = rng.below(3);
            let sep = if rng.chance(0.5) { " > " } else { ">" };
            text.push_str(&format!(
                "{},{conv},{}.{:02},{}\n",
                p.join(sep),
                conv * 7,
                rng.below(100) * u64::from(conv > 0),
                1 + rng.below(4)
            ));
        }
        text
    }

    fn parse_with(data: &[u8], two_threads: usize) -> Result<PathSet> {
        let (header, body, line) = header(data, PATHS_HEADER)?;
        let cols = path_columns(&header)?;
        read_rows(
            data,
            body,
            line,
            PathSet::new(),
            &header,
            &cols,
            paths_row,
            two_threads,
        )
    }

    #[test]
    fn every_reader_reads_the_same() {
        let text = big(60_000);
        assert!(text.len() > TWO_THREADS);
        let base = canonical(&parse_with(text.as_bytes(), usize::MAX).unwrap());
        for two in [1 << 20, 1 << 10] {
            let set = parse_with(text.as_bytes(), two).unwrap();
            assert_eq!(canonical(&set), base, "{two}");
        }
        assert_eq!(
            canonical(&PathSet::parse_csv(text.as_bytes()).unwrap()),
            base
        );
        // The same as adding the rows one by one (the indexed path).
        let mut by_hand = PathSet::new();
        // (Cells by the `csv` crate: an oracle independent of the reader.)
        for rec in ::csv::Reader::from_reader(text.as_bytes()).records() {
            let f = rec.unwrap();
            let path: Vec<&str> = f[0].split('>').map(str::trim).collect();
            by_hand
                .add(
                    &path,
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                )
                .unwrap();
        }
        let parsed = PathSet::parse_csv(text.as_bytes()).unwrap();
        assert_eq!(canonical(&by_hand), base);
        assert_eq!(parsed.len(), by_hand.len());
        // A lookup after a bulk load builds the index first.
        let mut grown = parsed.clone();
        let first: Vec<String> = parsed
            .paths()
            .next()
            .unwrap()
            .channels()
            .map(str::to_owned)
            .collect();
        let first: Vec<&str> = first.iter().map(String::as_str).collect();
        grown.add(&first, 0, 0.0, 1).unwrap();
        assert_eq!(grown.len(), parsed.len());
        assert_eq!(grown.total_nulls(), parsed.total_nulls() + 1);
        // An error in the second half names its line.
        let mut bad = text.clone();
        bad.push_str("email,x,0,1\n");
        let lines = bad.lines().count() as u64;
        match PathSet::parse_csv(bad.as_bytes()) {
            Err(Error::InvalidRecord { line, column, .. }) => {
                assert_eq!((line, column.as_str()), (lines, "total_conversions"));
            }
            other => panic!("{other:?}"),
        }
        // Lines of other forms (3.0, 1e1, a blank line, a quoted path, CRLF).
        let odd = "path,total_conversions,total_conversion_value,total_null\n\
                   a > b,3.0,1e1,2\n  \n\
                   a > b,1,5,0\n\
                   \"a > b\",1,0.5,0\r\n";
        let set = PathSet::parse_csv(odd.as_bytes()).unwrap();
        assert_eq!(rows(&set), vec![(vec!["a".into(), "b".into()], 5, 15.5, 2)]);
    }

    #[test]
    fn rule_based_straight_from_the_bytes_equals_the_paths() {
        use crate::attribution::heuristic::{LastNonDirect, PositionBased, RuleBased};
        let text = big(60_000);
        let (lnd, pos) = (
            LastNonDirect {
                direct: "x".to_owned(),
            },
            PositionBased::default(),
        );
        let streamed = RuleBased::parse_csv(text.as_bytes(), &lnd, &pos).unwrap();
        let kept = RuleBased::attribute(&PathSet::parse_csv(text.as_bytes()).unwrap(), &lnd, &pos)
            .unwrap();
        assert_eq!(
            (streamed.conversions, streamed.nulls),
            (kept.conversions, kept.nulls)
        );
        assert_eq!(streamed.first_touch, kept.first_touch);
        assert_eq!(streamed.last_non_direct, kept.last_non_direct);
        // Repeated paths are split once when kept, once per row when
        // streamed: equal to 10^-12 per row.
        for (a, b) in [
            (&streamed.linear, &kept.linear),
            (&streamed.position_based, &kept.position_based),
        ] {
            for (name, x) in a {
                let y = b[name];
                assert!((x.conversions - y.conversions).abs() < 1e-7, "{name}");
                assert!((x.value - y.value).abs() < 1e-7, "{name}");
            }
        }
        // An error in the second half names its line here too.
        let mut bad = text.clone();
        bad.push_str("email,1,-3,1\n");
        let lines = bad.lines().count() as u64;
        match RuleBased::parse_csv(bad.as_bytes(), &lnd, &pos) {
            Err(Error::InvalidRecord { line, .. }) => assert_eq!(line, lines),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pieces_read_the_same_as_the_whole() {
        let odd = "\u{feff}path,total_conversions,total_conversion_value,total_null\r\n\
                   a > b,3.0,1e1,2\r\n  \n\
                   a > b,1,5,0\n\
                   \"a >\nb\",1,0.5,0\r\n\
                   c,2,1,1";
        let texts = [big(3_000), odd.to_owned()];
        for text in &texts {
            let whole = canonical(&PathSet::parse_csv(text.as_bytes()).unwrap());
            for size in [1, 2, 7, 64, 4096, 1 << 20] {
                let mut r = PathFileReader::new();
                for piece in text.as_bytes().chunks(size) {
                    r.push(piece).unwrap();
                }
                assert_eq!(canonical(&r.finish().unwrap()), whole, "{size}");
            }
        }
        // Errors name the same line, whatever the pieces.
        let mut bad = big(500);
        bad.push_str("email,x,0,1\n");
        let lines = bad.lines().count() as u64;
        for size in [3, 100, 1 << 20] {
            let mut r = PathFileReader::new();
            let mut err = None;
            for piece in bad.as_bytes().chunks(size) {
                if let Err(e) = r.push(piece) {
                    err = Some(e);
                    break;
                }
            }
            let e = match err {
                Some(e) => e,
                None => r.finish().unwrap_err(),
            };
            assert!(
                matches!(e, Error::InvalidRecord { line, .. } if line == lines),
                "{e}"
            );
        }
        assert!(PathFileReader::new().finish().is_err());
        let mut header_only = PathFileReader::new();
        header_only.push(b"path,total_conversions").unwrap();
        assert!(header_only.finish().unwrap().is_empty());
    }

    #[test]
    fn plain_decimals_are_exact() {
        assert_eq!(
            plain_decimal(b"185.13").unwrap(),
            Fixed::from_f64(185.13).unwrap()
        );
        assert_eq!(plain_decimal(b"7").unwrap(), Fixed::count(7));
        assert_eq!(plain_decimal(b"0.5").unwrap().to_f64(), 0.5);
        assert_eq!(plain_decimal(b".5").unwrap().to_f64(), 0.5);
        for bad in [
            &b""[..],
            b".",
            b"-1",
            b"1e3",
            b"1.2.3",
            b"1,5",
            b"0.1234567890123",
        ] {
            assert!(plain_decimal(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn journeys_need_one_age_per_touch() {
        let h = TimeDelta::hours(24);
        let bad = [
            "path,hours_to_end,converted\na > b,1.0,1\n",
            "path,hours_to_end,converted\na,-1,1\n",
            "path,hours_to_end,converted\na,1,2\n",
            "path,hours_to_end,converted,conversion_value\na,1,0,3\n",
        ];
        for csv in bad {
            assert!(
                matches!(
                    PathSet::parse_journeys_csv(csv.as_bytes(), h),
                    Err(Error::InvalidRecord { .. })
                ),
                "{csv}"
            );
        }
        let ok = "journey_id,path,hours_to_end,converted,conversion_value\n1,a > b,2 > 0,true,5\n2,a > b,1 > 0,0,0\n";
        let set = PathSet::parse_journeys_csv(ok.as_bytes(), h).unwrap();
        assert_eq!(rows(&set), vec![(vec!["a".into(), "b".into()], 1, 5.0, 1)]);
    }
}
