//! Reading an [`EventLog`] from CSV (cargo feature `csv`).
//!
//! Records are cut by `csv-core` (the parser of the `csv` crate) through a
//! driver of this module, which counts lines itself (a record's line is the
//! line its first byte is on, whatever the line ends and blank lines before
//! it) and bounds a record's size. [`read_csv`] parses on the caller's thread
//! and builds on two others; [`read_csv_file`] gives each thread a byte range
//! of a file, which it parses and builds, and joins the ranges after checking
//! that each starts at a record boundary.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use indexmap::IndexMap;

use super::build::{EventLogBuilder, RowKeys};
use super::dict::Seeded;
use super::time::{Times, parse_timestamp};
use super::{EventLog, MAX_THREADS};
use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::model::{
    Channel, CheckoutType, Currency, Device, EventMap, Money, PaymentMethod, Stage,
};

/// How [`read_csv`] and [`read_csv_file`] read a file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CsvOptions {
    /// Event names to kinds. Default: [`EventMap::standard`] (GA4, Segment
    /// v2 and the crate's own names) with unknown names kept as custom kinds.
    pub events: EventMap,
    /// The currency of the `value` column. Default: IDR.
    pub currency: Currency,
    /// How journeys are cut. Default: [`JourneyConfig::default`].
    pub journey: JourneyConfig,
    /// How many threads [`read_csv_file`] parses a file on, each taking a
    /// byte range of it (at most [`MAX_THREADS`]; 0 counts as 1). Default: 2.
    /// The result never depends on it. [`read_csv`] always parses on one
    /// thread and builds on two.
    pub threads: usize,
    /// The fewest bytes of rows [`read_csv_file`] gives one thread: smaller
    /// files are read by fewer threads (at least 1 byte). Default: 1 MiB.
    pub min_range_bytes: u64,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            events: EventMap::standard().fallback_to_custom(),
            currency: Currency::IDR,
            journey: JourneyConfig::default(),
            threads: 2,
            min_range_bytes: 1 << 20,
        }
    }
}

impl CsvOptions {
    /// Sets the event map.
    #[must_use]
    pub fn events(mut self, events: EventMap) -> Self {
        self.events = events;
        self
    }

    /// Sets the currency of the `value` column.
    #[must_use]
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = currency;
        self
    }

    /// Sets how journeys are cut.
    #[must_use]
    pub fn journey(mut self, journey: JourneyConfig) -> Self {
        self.journey = journey;
        self
    }

    /// Sets how many threads [`read_csv_file`] parses on (see
    /// [`threads`](Self::threads)).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the fewest bytes of rows [`read_csv_file`] gives one thread (see
    /// [`min_range_bytes`](Self::min_range_bytes)).
    #[must_use]
    pub fn min_range_bytes(mut self, bytes: u64) -> Self {
        self.min_range_bytes = bytes;
        self
    }
}

/// What [`read_csv`] saw besides the rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvSummary {
    /// Rows read.
    pub rows: u64,
    /// Header names that are not columns of the log, in header order.
    pub ignored_columns: Vec<String>,
    /// Event names the event map did not know, kept as custom kinds, with
    /// their row counts, by name.
    pub custom_events: IndexMap<String, u64>,
}

/// The columns [`read_csv`] knows, by header name. `user_id`, `ts` and
/// `event` are required; the rest are optional and may hold empty cells.
pub const CSV_COLUMNS: [&str; 15] = [
    "user_id",
    "ts",
    "event",
    "channel",
    "order_id",
    "product_id",
    "category",
    "campaign",
    "value",
    "discounted",
    "device",
    "payment",
    "checkout",
    "stage",
    "promised_delivery",
];

const REQUIRED: usize = 3;

/// Records per batch handed from the parsing thread to the building thread.
const BATCH_ROWS: usize = 4096;

/// The most bytes one record may take (from its first byte to the line end
/// that closes it): a quote left open would otherwise make the reader hold
/// the rest of the input.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// Bytes read from the input at a time.
const READ_BYTES: usize = 1 << 18;

/// Bytes looked at around a wanted split point of a file for a line start.
const SPLIT_WINDOW: usize = 1 << 16;

/// Reads an event log from CSV, streaming (the file is never held in memory;
/// the log's columns are).
///
/// Columns are found by header name ([`CSV_COLUMNS`], any order; other
/// columns are ignored and listed in the summary). `user_id` is any
/// non-empty text (see [`EventLogBuilder::customer_for_key`] for how keys are
/// numbered); `ts` is parsed by [`parse_timestamp`](super::parse_timestamp);
/// `event` goes through the options' [`EventMap`] and is kept as the row's
/// source event name; `channel` is a built-in or custom channel (empty:
/// direct); `value` is a non-negative decimal amount in the options'
/// currency; `discounted` is `true`/`false`/`1`/`0` (empty: false);
/// `device`, `payment`, `checkout` and `stage` take their snake_case names;
/// `promised_delivery` is a time like `ts`. Cells are trimmed; CRLF, a UTF-8
/// byte-order mark, quoted fields and blank lines are fine. Line numbers in
/// errors are the line a record starts on, counting every line feed before
/// it (in quoted fields too).
///
/// For a file on disk, [`read_csv_file`] gives the same result faster, on
/// several threads.
///
/// ```
/// use cxjourney::log::{CsvOptions, read_csv};
/// let text = "user_id,ts,event,value\nu1,2024-11-11T08:00:00Z,view_item,\nu1,2024-11-11T08:05:00Z,purchase,150000\n";
/// let (log, summary) = read_csv(text.as_bytes(), &CsvOptions::default())?;
/// assert_eq!((log.len(), summary.rows), (2, 2));
/// let journey = log.journeys().next().unwrap();
/// assert_eq!(journey.customer_key(), Some("u1"));
/// assert!(journey.converted());
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidRecord`] naming the line, column and value for a header
/// without a required column or with a column twice, a row of another width
/// than the header, a field that is not UTF-8, an empty `user_id` or
/// `event`, or a cell that does not parse; [`Error::Read`] when the input
/// cannot be read or a record grows past [`MAX_RECORD_BYTES`];
/// [`Error::InvalidConfig`] for a bad journey configuration; the builder's
/// errors ([`Error::TooMuchWork`]) beyond its limits. The first error in the
/// input wins.
pub fn read_csv<R: Read>(input: R, options: &CsvOptions) -> Result<(EventLog, CsvSummary)> {
    let mut records = Records::new(input, 0);
    let header = read_header(&mut records)?;
    let layout = Layout::new(options, &header);
    // Fails on a bad configuration, before any row.
    Rows::new(&layout)?;

    // Two builders take alternate batches while this thread parses; their
    // rows are joined at the end (the log is sorted anyway).
    let (tx_a, rx_a) = std::sync::mpsc::sync_channel::<Batch>(2);
    let (tx_b, rx_b) = std::sync::mpsc::sync_channel::<Batch>(2);
    let (recycle_tx, recycle_rx) = std::sync::mpsc::sync_channel::<Batch>(8);
    let (built, read_error) = std::thread::scope(|s| {
        let layout = &layout;
        let recycle_b = recycle_tx.clone();
        let worker_a = s.spawn(move || build_batches(layout, &rx_a, &recycle_tx));
        let worker_b = s.spawn(move || build_batches(layout, &rx_b, &recycle_b));
        let mut read_error = None;
        let mut done = false;
        let mut turn = false;
        while !done {
            let mut batch = recycle_rx.try_recv().unwrap_or_default();
            batch.clear();
            while batch.recs.len() < BATCH_ROWS {
                let next = match records.start() {
                    Ok(true) => records.row(&layout.names),
                    Ok(false) => Ok(Row::End),
                    Err(e) => Err(e),
                };
                match next {
                    Ok(Row::Data(rec)) => batch.push(&rec),
                    Ok(Row::Blank) => {}
                    Ok(Row::End) => {
                        done = true;
                        break;
                    }
                    Err(e) => {
                        read_error = Some(e);
                        done = true;
                        break;
                    }
                }
            }
            turn = !turn;
            let tx = if turn { &tx_a } else { &tx_b };
            if !batch.recs.is_empty() && tx.send(batch).is_err() {
                // A builder stopped at a bad row; its error wins.
                break;
            }
        }
        drop(tx_a);
        drop(tx_b);
        let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
            h.join().unwrap_or_else(|_| Err(Failure::panicked()))
        };
        ((join(worker_a), join(worker_b)), read_error)
    });
    let parts = match built {
        (Ok(a), Ok(b)) => [a, b],
        // The earlier line wins when both builders stopped at a bad row.
        (Err(a), Err(b)) => return Err(if b.line < a.line { b } else { a }.into_error(0)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e.into_error(0)),
    };
    if let Some(e) = read_error {
        return Err(e.into_error(0));
    }
    join_parts(parts, header.ignored)
}

/// Reads an event log from a CSV file on [`CsvOptions::threads`] threads:
/// the same log and summary as [`read_csv`] on the file, and the same error
/// for a bad file (the first in the file, at the same line).
///
/// The header is read first; then each thread is given a range of the rows,
/// starting at a line start near an equal share of the file, and parses and
/// builds its rows, reading the file through a buffer of its own (memory
/// holds the log's columns, never the file). A range is used only if the
/// thread before it, parsing on, finds a record ending exactly at the range's
/// start (not inside a quoted field); otherwise that thread parses on through
/// the range itself. Line numbers of a later range count the lines before it.
/// A path that is not a regular file (a pipe, a device) is read by
/// [`read_csv`].
///
/// ```
/// use cxjourney::log::{CsvOptions, read_csv, read_csv_file};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("events.csv");
/// let mut text = String::from("user_id,ts,event\n");
/// for i in 0..1000 {
///     text.push_str(&format!("u{},2024-11-11T08:{:02}:00Z,view_item\n", i % 7, i % 60));
/// }
/// std::fs::write(&path, &text)?;
/// let options = CsvOptions::default().threads(3).min_range_bytes(1);
/// let (log, summary) = read_csv_file(&path, &options)?;
/// assert_eq!((log.len(), summary.rows), (1000, 1000));
/// assert_eq!(read_csv(text.as_bytes(), &options)?, (log, summary));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`read_csv`]; [`Error::Read`] naming the path when the file cannot be
/// opened or read.
pub fn read_csv_file(
    path: impl AsRef<Path>,
    options: &CsvOptions,
) -> Result<(EventLog, CsvSummary)> {
    let path = path.as_ref();
    let io_error = |e: std::io::Error| Error::Read {
        what: path.display().to_string(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return read_csv(file, options);
    }
    let len = meta.len();
    let mut records = Records::new(file, 0);
    let header = read_header(&mut records)?;
    let layout = Layout::new(options, &header);
    let first = Rows::new(&layout)?;

    // Where the ranges start: the rows of the first, then a line start near
    // each equal share of the rest.
    let data = records.byte;
    let share = len.saturating_sub(data) / options.min_range_bytes.max(1);
    let threads = options
        .threads
        .clamp(1, MAX_THREADS)
        .min(usize::try_from(share).unwrap_or(usize::MAX))
        .max(1);
    let mut starts = vec![data];
    if threads > 1 {
        // A file that cannot be looked at for split points is read by one
        // thread (the read itself reports the error, if it persists).
        starts.extend(split_points(path, data, len, threads).unwrap_or_default());
    }
    let shared = Shared::new(starts.len());
    let outcomes: Vec<Outcome<'_>> = if starts.len() == 1 {
        vec![read_range(records, first, 0, &starts, &shared)]
    } else {
        std::thread::scope(|s| {
            let (layout, starts, shared) = (&layout, &starts, &shared);
            let handles: Vec<_> = (1..starts.len())
                .map(|k| {
                    s.spawn(move || {
                        let at = starts.get(k).copied().unwrap_or(0);
                        let opened = File::open(path).and_then(|mut f| {
                            f.seek(SeekFrom::Start(at))?;
                            Ok(f)
                        });
                        match (opened, Rows::new(layout)) {
                            (Ok(f), Ok(rows)) => {
                                read_range(Records::new(f, at), rows, k, starts, shared)
                            }
                            _ => {
                                shared.stop_range(k);
                                Outcome::Unavailable
                            }
                        }
                    })
                })
                .collect();
            let mut outcomes = vec![read_range(records, first, 0, starts, shared)];
            for h in handles {
                outcomes.push(h.join().unwrap_or(Outcome::Panicked));
            }
            outcomes
        })
    };

    // Follow the ranges from the first: each verified start leads to the
    // thread that read from it.
    let mut outcomes: Vec<Option<Outcome<'_>>> = outcomes.into_iter().map(Some).collect();
    let mut parts = Vec::new();
    let (mut k, mut offset) = (0, 0);
    loop {
        match outcomes.get_mut(k).and_then(Option::take) {
            Some(Outcome::Verified {
                rows,
                next,
                newlines,
            }) if next > k => {
                parts.push(rows);
                offset += newlines;
                k = next;
            }
            Some(Outcome::Eof(rows)) => {
                parts.push(rows);
                break;
            }
            Some(Outcome::Failed(e)) => return Err(e.into_error(offset)),
            Some(Outcome::Panicked) => return Err(Failure::panicked().into_error(0)),
            // Not reached when the file does not change while it is read;
            // the sequential reader settles it.
            _ => {
                let file = File::open(path).map_err(io_error)?;
                return read_csv(std::io::BufReader::with_capacity(1 << 16, file), options);
            }
        }
    }
    join_parts(parts, header.ignored)
}

/// Where ranges after the first start: for each of `parts - 1` equal shares
/// of `data..len`, the first line start at or after the share's start (a
/// byte after a line feed that is neither a line feed nor a carriage return),
/// within [`SPLIT_WINDOW`] bytes; shares without one are left to the range
/// before them.
fn split_points(path: &Path, data: u64, len: u64, parts: usize) -> std::io::Result<Vec<u64>> {
    let mut file = File::open(path)?;
    let mut window = vec![0u8; SPLIT_WINDOW];
    let mut starts: Vec<u64> = Vec::new();
    let span = u128::from(len.saturating_sub(data));
    for k in 1..parts {
        let share = span * k as u128 / parts as u128;
        let target = data + u64::try_from(share).unwrap_or(0);
        let target = target.max(starts.last().copied().unwrap_or(data));
        file.seek(SeekFrom::Start(target))?;
        let mut filled = 0;
        while filled < window.len() {
            let Some(rest) = window.get_mut(filled..) else {
                break;
            };
            match file.read(rest) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let seen = window.get(..filled).unwrap_or(&[]);
        let found = seen
            .windows(2)
            .position(|w| matches!(w, [b'\n', b] if *b != b'\n' && *b != b'\r'));
        if let Some(i) = found {
            let at = target + i as u64 + 1;
            if starts.last().is_none_or(|&last| at > last) && at < len {
                starts.push(at);
            }
        }
    }
    Ok(starts)
}

/// What one thread of [`read_csv_file`] found.
enum Outcome<'o> {
    /// The rows up to the start of range `next`, which is verified to be a
    /// record boundary; `newlines` line feeds came before it in this range.
    Verified {
        rows: Rows<'o>,
        next: usize,
        newlines: u64,
    },
    /// The rows up to the end of the file.
    Eof(Rows<'o>),
    /// The first error of the range.
    Failed(Failure),
    /// Stopped early: the range's rows cannot count.
    Stopped,
    /// The file could not be opened again.
    Unavailable,
    /// The thread panicked.
    Panicked,
}

/// What the threads of [`read_csv_file`] tell each other, so that a thread
/// whose rows cannot count stops early.
struct Shared {
    /// Range `k` starts at a verified record boundary.
    valid: Vec<AtomicBool>,
    /// Range `k` stopped at an error.
    failed: Vec<AtomicBool>,
    /// Range `k` does not start at a record boundary (or cannot be read).
    dropped: Vec<AtomicBool>,
    /// Ranges from this one on cannot count (a valid range before failed).
    stop_from: AtomicUsize,
}

impl Shared {
    fn new(n: usize) -> Self {
        let flags = || (0..n).map(|_| AtomicBool::new(false)).collect();
        Shared {
            valid: flags(),
            failed: flags(),
            dropped: flags(),
            stop_from: AtomicUsize::new(n),
        }
    }

    fn is_valid(&self, k: usize) -> bool {
        k == 0 || self.valid.get(k).is_some_and(|f| f.load(Ordering::SeqCst))
    }

    fn should_stop(&self, k: usize) -> bool {
        self.stop_from.load(Ordering::Relaxed) <= k
            || self
                .dropped
                .get(k)
                .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    fn failed(&self, k: usize) {
        if let Some(f) = self.failed.get(k) {
            f.store(true, Ordering::SeqCst);
        }
        if self.is_valid(k) {
            self.stop_from.fetch_min(k + 1, Ordering::SeqCst);
        }
    }

    fn verified(&self, k: usize, next: usize) {
        if self.is_valid(k) {
            if let Some(f) = self.valid.get(next) {
                f.store(true, Ordering::SeqCst);
            }
            if self
                .failed
                .get(next)
                .is_some_and(|f| f.load(Ordering::SeqCst))
            {
                self.stop_from.fetch_min(next + 1, Ordering::SeqCst);
            }
        }
    }

    fn passed(&self, k: usize, next: usize) {
        if self.is_valid(k) {
            self.stop_range(next);
        }
    }

    fn stop_range(&self, k: usize) {
        if let Some(f) = self.dropped.get(k) {
            f.store(true, Ordering::Relaxed);
        }
    }
}

/// Reads range `k` of `starts` (thread `k` of [`read_csv_file`]): rows until
/// a later range's start is reached at a record boundary, the end of the
/// file, or an error.
fn read_range<'o, R: Read>(
    mut records: Records<R>,
    mut rows: Rows<'o>,
    k: usize,
    starts: &[u64],
    shared: &Shared,
) -> Outcome<'o> {
    let mut next = k + 1;
    let mut count: u32 = 0;
    loop {
        count = count.wrapping_add(1);
        if count % 1024 == 0 && shared.should_stop(k) {
            return Outcome::Stopped;
        }
        let more = match records.start() {
            Ok(more) => more,
            Err(e) => {
                shared.failed(k);
                return Outcome::Failed(e);
            }
        };
        while starts.get(next).is_some_and(|&s| records.byte > s) {
            shared.passed(k, next);
            next += 1;
        }
        if more && starts.get(next) == Some(&records.byte) {
            shared.verified(k, next);
            return Outcome::Verified {
                rows,
                next,
                newlines: records.line - 1,
            };
        }
        if !more {
            return Outcome::Eof(rows);
        }
        // The whole quote-free lines in the buffer before the next range's
        // start, at once; the record at the buffer's end, one with a quote
        // or one that is not UTF-8 is read below.
        let before = records.byte;
        let limit = starts
            .get(next)
            .map_or(u64::MAX, |&s| s.saturating_sub(records.byte));
        if let Err(e) = records.lines_in_place(limit, |rec| {
            rows.push(rec).map_err(|e| Failure::at(rec.line, e))
        }) {
            shared.failed(k);
            return Outcome::Failed(e);
        }
        if records.byte != before {
            continue;
        }
        let result = match records.row(&rows.layout.names) {
            Ok(Row::Data(rec)) => rows.push(&rec).map_err(|e| Failure::at(rec.line, e)),
            Ok(Row::Blank) => Ok(()),
            Ok(Row::End) => return Outcome::Eof(rows),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            shared.failed(k);
            return Outcome::Failed(e);
        }
    }
}

/// Joins the rows of the parts, in order, into the log and its summary.
fn join_parts<'o>(
    parts: impl IntoIterator<Item = Rows<'o>>,
    ignored: Vec<String>,
) -> Result<(EventLog, CsvSummary)> {
    let mut builders = Vec::new();
    let mut joined: Option<CsvSummary> = None;
    for rows in parts {
        let (builder, summary) = rows.finish();
        builders.push(builder);
        match &mut joined {
            None => joined = Some(summary),
            Some(total) => {
                total.rows += summary.rows;
                for (name, n) in summary.custom_events {
                    *total.custom_events.entry(name).or_default() += n;
                }
            }
        }
    }
    let Some(mut summary) = joined else {
        return Err(Failure::panicked().into_error(0));
    };
    summary.ignored_columns = ignored;
    summary.custom_events.sort_keys();
    Ok((EventLogBuilder::finish_parts(builders)?, summary))
}

/// A failure while reading rows; lines count from the start of the range
/// read (see [`Failure::into_error`]).
#[derive(Debug)]
pub(crate) struct Failure {
    /// The line of the record it happened at.
    line: u64,
    kind: FailureKind,
}

#[derive(Debug)]
enum FailureKind {
    /// An error whose line, if any, is [`Failure::line`].
    Error(Error),
    /// The input could not be read: the message.
    Input(String),
}

impl Failure {
    fn at(line: u64, error: Error) -> Self {
        Failure {
            line,
            kind: FailureKind::Error(error),
        }
    }

    fn input(line: u64, message: String) -> Self {
        Failure {
            line,
            kind: FailureKind::Input(message),
        }
    }

    fn panicked() -> Self {
        Failure::at(
            u64::MAX,
            Error::NumericFailure {
                what: "a CSV reader thread panicked".into(),
            },
        )
    }

    /// The error, its line moved past `offset` lines before the range.
    pub(crate) fn into_error(self, offset: u64) -> Error {
        match self.kind {
            FailureKind::Error(Error::InvalidRecord {
                line,
                column,
                value,
                reason,
            }) => Error::InvalidRecord {
                line: line + offset,
                column,
                value,
                reason,
            },
            FailureKind::Error(e) => e,
            FailureKind::Input(message) => Error::Read {
                what: format!("CSV input at line {}", self.line + offset),
                message,
            },
        }
    }
}

/// The header: where each known column is, and the rest.
struct Header {
    index: [usize; CSV_COLUMNS.len()],
    width: usize,
    ignored: Vec<String>,
}

/// Reads the header: the first record with a non-blank cell.
fn read_header<R: Read>(records: &mut Records<R>) -> Result<Header> {
    loop {
        let rec = match records.start().map_err(|e| e.into_error(0))? {
            true => records.row(&[]).map_err(|e| e.into_error(0))?,
            false => Row::End,
        };
        let rec = match rec {
            Row::Data(rec) => rec,
            Row::Blank => continue,
            Row::End => {
                return Err(Error::InvalidRecord {
                    line: 0,
                    column: "header".into(),
                    value: String::new(),
                    reason: format!(
                        "empty input: expected a header such as {}",
                        CSV_COLUMNS.join(",")
                    ),
                });
            }
        };
        let line = rec.line;
        let mut index = [usize::MAX; CSV_COLUMNS.len()];
        let mut ignored = Vec::new();
        for (i, cell) in rec.fields().enumerate() {
            let name = header_name(cell);
            match CSV_COLUMNS.iter().position(|c| *c == name) {
                Some(c) if index.get(c).is_some_and(|&x| x != usize::MAX) => {
                    return Err(Error::InvalidRecord {
                        line,
                        column: "header".into(),
                        value: name.to_owned(),
                        reason: "the column appears twice".into(),
                    });
                }
                Some(c) => {
                    if let Some(slot) = index.get_mut(c) {
                        *slot = i;
                    }
                }
                None => ignored.push(name.to_owned()),
            }
        }
        for (c, name) in CSV_COLUMNS.iter().enumerate().take(REQUIRED) {
            if index.get(c).is_none_or(|&x| x == usize::MAX) {
                return Err(Error::InvalidRecord {
                    line,
                    column: "header".into(),
                    // The names as matched, so that a caller reading them
                    // back sees which one is missing.
                    value: rec.fields().map(header_name).collect::<Vec<_>>().join(","),
                    reason: format!(
                        "the header lacks the column {name:?} (required: user_id,ts,event)"
                    ),
                });
            }
        }
        return Ok(Header {
            index,
            width: rec.len(),
            ignored,
        });
    }
}

/// A header cell as [`read_csv`] matches it against a column name: without
/// the spaces around it and without byte-order marks before it (a file's
/// mark, followed by spaces or not, stays in its first cell). Match the
/// header cells of other CSV files with it, so that every reader accepts
/// the same headers.
///
/// ```
/// use cxjourney::log::header_name;
/// assert_eq!(header_name("\u{feff} user_id "), "user_id");
/// assert_eq!(header_name(" \u{feff}\tts"), "ts");
/// assert_eq!(header_name("event"), "event");
/// ```
#[must_use]
pub fn header_name(cell: &str) -> &str {
    cell.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
        .trim_end()
}

/// The reading side's layout of the columns.
struct Layout<'o> {
    options: &'o CsvOptions,
    index: [usize; CSV_COLUMNS.len()],
    width: usize,
    /// The column name of each field, for errors found while reading ("" for
    /// an ignored column).
    names: Vec<&'static str>,
    /// Whether the header has a column after `channel` (order id to
    /// promised delivery): rows of files without one skip them at once.
    facts: bool,
}

impl<'o> Layout<'o> {
    fn new(options: &'o CsvOptions, header: &Header) -> Self {
        let mut names = vec![""; header.width];
        for (c, &i) in header.index.iter().enumerate() {
            if let (Some(slot), Some(&name)) = (names.get_mut(i), CSV_COLUMNS.get(c)) {
                *slot = name;
            }
        }
        Layout {
            options,
            index: header.index,
            width: header.width,
            names,
            facts: header.index.iter().skip(4).any(|&i| i != usize::MAX),
        }
    }
}

/// One record: its text (the fields end to end, or the line as it is in
/// the input when `sep` is 1: fields and the commas between them), where
/// each field ends, and the line it starts on.
struct Rec<'a> {
    text: &'a str,
    ends: &'a [usize],
    sep: usize,
    line: u64,
}

impl<'a> Rec<'a> {
    /// The record, checked as UTF-8 field by field (as the `csv` crate's
    /// `StringRecord` does); `names` gives the column of each field for the
    /// error (none: the header).
    fn new(
        bytes: &'a [u8],
        ends: &'a [usize],
        sep: usize,
        line: u64,
        names: &[&'static str],
    ) -> std::result::Result<Self, Failure> {
        if let Ok(text) = std::str::from_utf8(bytes)
            && ends.iter().all(|&e| text.is_char_boundary(e))
        {
            return Ok(Rec {
                text,
                ends,
                sep,
                line,
            });
        }
        let mut start = 0;
        let mut bad = 0;
        for (i, &end) in ends.iter().enumerate() {
            if bytes
                .get(start..end)
                .is_none_or(|f| std::str::from_utf8(f).is_err())
            {
                bad = i;
                break;
            }
            start = end + sep;
        }
        Err(Failure::at(
            line,
            Error::InvalidRecord {
                line,
                column: names.get(bad).copied().unwrap_or("header").to_owned(),
                value: format!("field {}", bad + 1),
                reason: "not UTF-8 text".into(),
            },
        ))
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, untrimmed.
    fn field(&self, i: usize) -> Option<&'a str> {
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)? + self.sep,
            None => 0,
        };
        self.text.get(start..*self.ends.get(i)?)
    }

    fn fields(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).map(|i| self.field(i).unwrap_or(""))
    }

    /// Whether every cell is blank.
    fn blank(&self) -> bool {
        // Quick answer for most rows: a visible first byte that is not a
        // separator is a cell's.
        if let Some(&b) = self.text.as_bytes().first()
            && (0x21..0x7f).contains(&b)
            && b != b','
        {
            return false;
        }
        self.fields().all(|c| trim(c).is_empty())
    }
}

/// `str::trim`, with a quick answer for cells that start and end with a
/// visible ASCII character.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&b)) if (0x21..0x7f).contains(&a) && (0x21..0x7f).contains(&b) => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

/// Records of a batch, end to end.
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<usize>,
    /// Per record: its line, where its text and its field ends stop, and
    /// its [`Rec::sep`].
    recs: Vec<(u64, usize, usize, usize)>,
}

impl Batch {
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.recs.clear();
    }

    fn push(&mut self, rec: &Rec<'_>) {
        self.text.push_str(rec.text);
        self.ends.extend_from_slice(rec.ends);
        self.recs
            .push((rec.line, self.text.len(), self.ends.len(), rec.sep));
    }

    fn iter(&self) -> impl Iterator<Item = Rec<'_>> + '_ {
        let mut from = (0, 0);
        self.recs
            .iter()
            .map(move |&(line, text_end, ends_end, sep)| {
                let (t, e) = from;
                from = (text_end, ends_end);
                Rec {
                    text: self.text.get(t..text_end).unwrap_or(""),
                    ends: self.ends.get(e..ends_end).unwrap_or(&[]),
                    sep,
                    line,
                }
            })
    }
}

/// Builds rows from batches of records until the channel closes.
fn build_batches<'o>(
    layout: &'o Layout<'o>,
    batches: &std::sync::mpsc::Receiver<Batch>,
    recycle: &std::sync::mpsc::SyncSender<Batch>,
) -> std::result::Result<Rows<'o>, Failure> {
    let mut rows = Rows::new(layout).map_err(|e| Failure::at(0, e))?;
    for batch in batches.iter() {
        for rec in batch.iter() {
            rows.push(&rec).map_err(|e| Failure::at(rec.line, e))?;
        }
        // Hand the records back to the reader for reuse; it may be done.
        let _ = recycle.try_send(batch);
    }
    Ok(rows)
}

/// A log being built from records, with per-column caches: the last cell
/// and its code (exports repeat a user, event, channel or category over
/// consecutive rows), and the kind and custom flag of each event-name key
/// (an event name is hashed once per row at most).
struct Rows<'o> {
    layout: &'o Layout<'o>,
    builder: EventLogBuilder,
    last_user: Last<u64>,
    last_event: Recent<u32>,
    last_channel: Recent<u16>,
    last_category: Recent<u32>,
    /// The channel code of every row when the file has no `channel` column.
    no_channel: Option<u16>,
    /// A customer key was taken by [`EventLogBuilder::customer_for_key`]:
    /// from then on a key of digits is its own id (see [`small_integer`]).
    keyed: bool,
    /// The `ts` column's parser (it remembers the last date).
    times: Times,
    event_kinds: Vec<Option<(u16, bool)>>,
    channels: IndexMap<Box<str>, u16, Seeded>,
    custom_counts: Vec<u64>,
    rows: u64,
}

impl<'o> Rows<'o> {
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad journey configuration.
    fn new(layout: &'o Layout<'o>) -> Result<Self> {
        Ok(Rows {
            layout,
            builder: EventLogBuilder::new(&layout.options.journey)?,
            last_user: Last::default(),
            last_event: Recent::default(),
            last_channel: Recent::default(),
            last_category: Recent::default(),
            no_channel: None,
            keyed: false,
            times: Times::default(),
            event_kinds: Vec::new(),
            channels: IndexMap::default(),
            custom_counts: Vec::new(),
            rows: 0,
        })
    }

    /// The builder and summary so far (the caches are dropped).
    fn finish(mut self) -> (EventLogBuilder, CsvSummary) {
        let mut summary = CsvSummary {
            rows: self.rows,
            ..CsvSummary::default()
        };
        for (key, &n) in self.custom_counts.iter().enumerate() {
            if n > 0
                && let Some(name) = self.builder.dicts_mut().events.value(key as u32)
            {
                summary.custom_events.insert(name.to_owned(), n);
            }
        }
        (self.builder, summary)
    }

    /// Adds the row of one record.
    fn push(&mut self, record: &Rec<'_>) -> Result<()> {
        let Layout {
            options,
            index,
            width,
            ..
        } = *self.layout;
        let line = record.line;
        if record.len() != width {
            return Err(Error::InvalidRecord {
                line,
                column: "row".into(),
                value: format!("{} fields", record.len()),
                reason: format!("the header has {width} fields"),
            });
        }
        let builder = &mut self.builder;
        let raw = |c: usize| -> &str { index.get(c).and_then(|&i| record.field(i)).unwrap_or("") };
        let cell = |c: usize| -> &str { trim(raw(c)) };
        let bad = |c: usize, value: &str, reason: String| Error::InvalidRecord {
            line,
            column: CSV_COLUMNS.get(c).copied().unwrap_or("?").to_owned(),
            value: value.to_owned(),
            reason,
        };
        let mut keys = RowKeys::default();

        // user_id
        let user_raw = raw(0);
        if let Some(id) = small_integer(user_raw.as_bytes()).filter(|_| self.keyed) {
            keys.customer = id;
        } else if let Some(id) = self.last_user.hit(user_raw) {
            keys.customer = id;
        } else {
            let user = trim(user_raw);
            if user.is_empty() {
                return Err(bad(0, user, "empty customer id".into()));
            }
            let id = builder.customer_for_key(user)?.0;
            self.keyed = true;
            self.last_user.set(user_raw, id);
            keys.customer = id;
        }

        // ts
        let ts = cell(1);
        (keys.time, keys.nanos) = self.times.micros(ts).ok_or_else(|| {
            bad(
                1,
                ts,
                "not an ISO-8601 time such as 2024-11-11T08:30:00Z".into(),
            )
        })?;

        // event: its key, then its kind from the key
        let event_raw = raw(2);
        let event_key = match self.last_event.hit(event_raw) {
            Some(k) => k,
            None => {
                let event = trim(event_raw);
                if event.is_empty() {
                    return Err(bad(2, event, "empty event name".into()));
                }
                let k = builder.dicts_mut().events.intern(event)?;
                self.last_event.set(event_raw, k);
                k
            }
        };
        let slot = self.event_kinds.get(event_key as usize).copied().flatten();
        let (kind, custom) = match slot {
            Some(found) => found,
            None => {
                let event = cell(2);
                let (kind, _) = options
                    .events
                    .convert(event)
                    .map_err(|e| bad(2, event, e.to_string()))?;
                let custom = options.events.iter().all(|(name, _)| name != event);
                let code = builder.dicts_mut().kinds.code(&kind)?;
                let i = event_key as usize;
                if self.event_kinds.len() <= i {
                    self.event_kinds.resize(i + 1, None);
                    self.custom_counts.resize(i + 1, 0);
                }
                if let Some(s) = self.event_kinds.get_mut(i) {
                    *s = Some((code, custom));
                }
                (code, custom)
            }
        };
        keys.kind = kind;
        keys.event = Some(event_key);
        if custom && let Some(n) = self.custom_counts.get_mut(event_key as usize) {
            *n += 1;
        }

        // channel
        keys.channel = match self.no_channel {
            Some(code) => code,
            None if index.get(3) == Some(&usize::MAX) => {
                let code = builder.dicts_mut().channels.code(&Channel::DIRECT)?;
                self.no_channel = Some(code);
                code
            }
            None => self.channel(raw(3), line)?,
        };

        if self.layout.facts {
            self.push_facts(record, &mut keys)?;
            self.builder.push_keys(&keys)?;
        } else {
            self.builder.push_core(&keys)?;
        }
        self.rows += 1;
        Ok(())
    }

    /// The code of a `channel` cell.
    fn channel(&mut self, channel_raw: &str, line: u64) -> Result<u16> {
        let builder = &mut self.builder;
        let bad = |c: usize, value: &str, reason: String| Error::InvalidRecord {
            line,
            column: CSV_COLUMNS.get(c).copied().unwrap_or("?").to_owned(),
            value: value.to_owned(),
            reason,
        };
        Ok(match self.last_channel.hit(channel_raw) {
            Some(code) => code,
            None => {
                let ch = trim(channel_raw);
                let code = match self.channels.get(ch) {
                    Some(&code) => code,
                    None if ch.is_empty() => builder.dicts_mut().channels.code(&Channel::DIRECT)?,
                    None => {
                        let c: Channel =
                            ch.parse().map_err(|e: Error| bad(3, ch, e.to_string()))?;
                        let code = builder.dicts_mut().channels.code(&c)?;
                        self.channels.insert(ch.into(), code);
                        code
                    }
                };
                self.last_channel.set(channel_raw, code);
                code
            }
        })
    }

    /// The cells after `channel` (order id to promised delivery) of a row.
    fn push_facts(&mut self, record: &Rec<'_>, keys: &mut RowKeys) -> Result<()> {
        let Layout { options, index, .. } = *self.layout;
        let line = record.line;
        let builder = &mut self.builder;
        let raw = |c: usize| -> &str { index.get(c).and_then(|&i| record.field(i)).unwrap_or("") };
        let cell = |c: usize| -> &str { trim(raw(c)) };
        let bad = |c: usize, value: &str, reason: String| Error::InvalidRecord {
            line,
            column: CSV_COLUMNS.get(c).copied().unwrap_or("?").to_owned(),
            value: value.to_owned(),
            reason,
        };

        // dictionary columns
        let v = cell(4);
        if !v.is_empty() {
            keys.order = Some(builder.dicts_mut().orders.intern(v)?);
        }
        let v = cell(5);
        if !v.is_empty() {
            keys.product = Some(builder.dicts_mut().products.intern(v)?);
        }
        let category_raw = raw(6);
        if let Some(k) = self.last_category.hit(category_raw) {
            keys.category = Some(k);
        } else {
            let v = trim(category_raw);
            if !v.is_empty() {
                let k = builder.dicts_mut().categories.intern(v)?;
                self.last_category.set(category_raw, k);
                keys.category = Some(k);
            }
        }
        let v = cell(7);
        if !v.is_empty() {
            keys.campaign = Some(builder.dicts_mut().campaigns.intern(v)?);
        }

        // facts
        let v = cell(8);
        if !v.is_empty() {
            let m = Money::parse(v, options.currency).map_err(|e| bad(8, v, e.to_string()))?;
            keys.value = Some((m.minor(), builder.currency_code(m)?));
        }
        if index.get(9).is_some_and(|&i| i != usize::MAX) {
            let d = cell(9);
            keys.discounted = Some(match d.as_bytes() {
                b"" | b"false" | b"0" => false,
                b"true" | b"1" => true,
                _ if d.eq_ignore_ascii_case("true") => true,
                _ if d.eq_ignore_ascii_case("false") => false,
                _ => return Err(bad(9, d, "neither true nor false".into())),
            });
        }
        let v = cell(10);
        if !v.is_empty() {
            let d = v.parse::<Device>().map_err(|e| bad(10, v, e.to_string()))?;
            keys.device = super::device_code(Some(d));
        }
        let v = cell(11);
        if !v.is_empty() {
            let p = v
                .parse::<PaymentMethod>()
                .map_err(|e| bad(11, v, e.to_string()))?;
            keys.payment = super::payment_code(Some(p));
        }
        let v = cell(12);
        if !v.is_empty() {
            let p = v
                .parse::<CheckoutType>()
                .map_err(|e| bad(12, v, e.to_string()))?;
            keys.checkout = super::checkout_code(Some(p));
        }
        let v = cell(13);
        if !v.is_empty() {
            let st = v.parse::<Stage>().map_err(|e| bad(13, v, e.to_string()))?;
            keys.stage = super::stage_code(Some(st));
        }
        let v = cell(14);
        if !v.is_empty() {
            let t = parse_timestamp(v).ok_or_else(|| bad(14, v, "not an ISO-8601 time".into()))?;
            keys.promised = Some(super::split_time(t));
        }
        Ok(())
    }
}

/// A cell of 1 to 18 ASCII digits as the integer it spells: below 2^63, so
/// [`EventLogBuilder::customer_for_key`] takes it as that id (as `u64`'s
/// `parse` reads it, leading zeros and all), once the builder is keyed.
fn small_integer(cell: &[u8]) -> Option<u64> {
    if cell.is_empty() || cell.len() > 18 {
        return None;
    }
    cell.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
    })
}

/// The last cell of a column and the code it got.
struct Last<T> {
    /// The cell's length and first 8 bytes, packed (compared first, without
    /// a call), and the whole cell when it is longer.
    len: usize,
    head: u64,
    cell: Vec<u8>,
    code: Option<T>,
}

impl<T> Default for Last<T> {
    fn default() -> Self {
        Last {
            len: 0,
            head: 0,
            cell: Vec::new(),
            code: None,
        }
    }
}

/// The first 8 bytes of `cell`, packed.
#[inline(always)]
fn head(cell: &[u8]) -> u64 {
    if let Some(w) = cell.first_chunk::<8>() {
        return u64::from_le_bytes(*w);
    }
    let mut w = [0u8; 8];
    let n = cell.len().min(8);
    if let (Some(to), Some(from)) = (w.get_mut(..n), cell.get(..n)) {
        to.copy_from_slice(from);
    }
    u64::from_le_bytes(w)
}

impl<T: Copy> Last<T> {
    /// The code set for `cell`, if it is the cell last set.
    #[inline]
    fn hit(&self, cell: impl AsRef<[u8]>) -> Option<T> {
        let cell = cell.as_ref();
        self.code.filter(|_| {
            cell.len() == self.len
                && head(cell) == self.head
                && (cell.len() <= 8 || self.cell == cell)
        })
    }

    /// Keeps `code` for `cell`, in place of the last one.
    fn set(&mut self, cell: impl AsRef<[u8]>, code: T) {
        let cell = cell.as_ref();
        self.len = cell.len();
        self.head = head(cell);
        if cell.len() > 8 {
            self.cell.clear();
            self.cell.extend_from_slice(cell);
        }
        self.code = Some(code);
    }
}

/// If `rest` starts with a line that has no quote and ends (`\r` or `\n`)
/// within `rest`: its length and line end, with `ends` set to where its
/// fields end (its commas, then its length). Reads 8 bytes at a time.
fn scan_line(rest: &[u8], ends: &mut Vec<usize>) -> Option<(usize, u8)> {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    /// The top bit of each byte of `x` below `,` + 1 (exactly: no carries
    /// cross bytes): the commas, line ends and quotes among others (spaces,
    /// controls, `!` to `+`), which are looked at one by one; the digits,
    /// letters, `-` and `:` of most cells are skipped 8 at a time.
    fn low(x: u64) -> u64 {
        !(((x & LOW7).wrapping_add(ONES * u64::from(0x80 - b',' - 1))) | x | LOW7)
    }
    ends.clear();
    let mut at = 0;
    while let Some(chunk) = rest.get(at..at + 8) {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let mut m = low(w);
        while m != 0 {
            let j = m.trailing_zeros() / 8;
            let i = at + j as usize;
            match (w >> (8 * j)) as u8 {
                b',' => ends.push(i),
                end @ (b'\n' | b'\r') => {
                    ends.push(i);
                    return Some((i, end));
                }
                b'"' => return None,
                _ => {}
            }
            m &= m - 1;
        }
        at += 8;
    }
    for (i, &b) in rest.iter().enumerate().skip(at) {
        match b {
            b',' => ends.push(i),
            b'\n' | b'\r' => {
                ends.push(i);
                return Some((i, b));
            }
            b'"' => return None,
            _ => {}
        }
    }
    None
}

/// The longest cell [`Recent`] keeps.
const RECENT_BYTES: usize = 22;

/// Codes of recent cells of a column with few distinct values (event names,
/// channels, categories, the channel tokens of attribution paths): 256
/// slots; a cell of at most 22 bytes goes to one of four neighbouring slots
/// picked by a multiplicative mix of its length and [`words`]. A cell found
/// there has the code it got; any other is only a miss (the caller looks it
/// up in full, in a seeded [`Dictionary`], and sets it), so cells that
/// collide cost time, never a wrong code, and the cache never holds more
/// than its 256 slots: crafted input can make every lookup a miss (four
/// comparisons), never make one slower. The crate's one such cache.
///
/// [`Dictionary`]: crate::log::Dictionary
pub(crate) struct Recent<T> {
    /// Per slot: the cell's length ([`usize::MAX`] when free), its
    /// [`words`], and its code.
    slots: Vec<(usize, [u64; 3], Option<T>)>,
}

impl<T: Copy> Default for Recent<T> {
    fn default() -> Self {
        Recent {
            slots: vec![(usize::MAX, [0; 3], None); 256],
        }
    }
}

/// A cell of at most 24 bytes as three words that, with its length, tell it
/// from any other such cell, read 8 bytes at a time without a call: its
/// bytes packed when it is shorter than 8; else its first 8 bytes, bytes 8
/// to 16 (if it has them) and its last 8 bytes (overlapping the others).
#[inline(always)]
fn words(cell: &[u8]) -> [u64; 3] {
    let word = |c: Option<&[u8; 8]>| c.map_or(0, |c| u64::from_le_bytes(*c));
    if cell.len() < 8 {
        return [head(cell), 0, 0];
    }
    [
        word(cell.first_chunk::<8>()),
        word(cell.get(8..).and_then(<[u8]>::first_chunk::<8>)),
        word(cell.last_chunk::<8>()),
    ]
}

impl<T: Copy> Recent<T> {
    /// The first of a cell's four slots.
    #[inline]
    fn slot(len: usize, w: &[u64; 3]) -> usize {
        let [a, b, c] = *w;
        ((a ^ b.rotate_left(21) ^ c.rotate_left(42) ^ len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 56) as usize
    }

    /// The code set for `cell`, if it is still in one of its slots.
    #[inline(always)]
    pub(crate) fn hit(&self, cell: impl AsRef<[u8]>) -> Option<T> {
        let cell = cell.as_ref();
        if cell.len() > RECENT_BYTES {
            return None;
        }
        let w = words(cell);
        let at = Self::slot(cell.len(), &w);
        for k in 0..4 {
            let (len, sw, code) = self.slots.get((at + k) & 255)?;
            // Word by word, in registers (an array compare reads `w` back
            // from memory as one vector, which stalls on the stores).
            if *len == cell.len() && ((sw[0] ^ w[0]) | (sw[1] ^ w[1]) | (sw[2] ^ w[2])) == 0 {
                return *code;
            }
            if *len == usize::MAX {
                return None;
            }
        }
        None
    }

    /// Keeps `code` for `cell` in the first free of its slots, else in
    /// place of the first (cells longer than 22 bytes are not kept).
    pub(crate) fn set(&mut self, cell: impl AsRef<[u8]>, code: T) {
        let cell = cell.as_ref();
        if cell.len() > RECENT_BYTES {
            return;
        }
        let w = words(cell);
        let at = Self::slot(cell.len(), &w);
        let free = (0..4)
            .map(|k| (at + k) & 255)
            .find(|&i| self.slots.get(i).is_some_and(|s| s.0 == usize::MAX))
            .unwrap_or(at);
        if let Some(slot) = self.slots.get_mut(free) {
            *slot = (cell.len(), w, Some(code));
        }
    }
}

/// What [`Records::row`] found.
enum Row<'a> {
    /// A record with a non-blank cell.
    Data(Rec<'a>),
    /// A record of blank cells.
    Blank,
    /// The end of the input.
    End,
}

/// Cuts records out of the input as `csv-core` does (the `csv` crate's
/// default dialect: comma, double quotes, `\r`, `\n` or `\r\n` line ends,
/// blank lines skipped), counting lines and bytes: lines without a quote
/// directly, the others with `csv-core`. The crate's one CSV record cutter:
/// the event log's readers take [`Row`]s of UTF-8 text
/// ([`row`](Self::row)), other readers (transactions, attribution path
/// files) take [`RawRec`]s of bytes ([`raw`](Self::raw)).
pub(crate) struct Records<R> {
    input: R,
    buf: Vec<u8>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    core: ::csv_core::Reader,
    /// The offset of `buf[pos]` in the file.
    byte: u64,
    /// The line of `buf[pos]`, counting from 1 at the reader's start.
    line: u64,
    /// The last record's fields end to end and where each ends (only the
    /// first `nout` and `nends` are the record's).
    out: Vec<u8>,
    ends: Vec<usize>,
    nout: usize,
    nends: usize,
    /// Where the fields of a line cut in place end (see [`scan_line`]).
    line_ends: Vec<usize>,
    /// The most bytes one record may take (default [`MAX_RECORD_BYTES`]).
    cap: u64,
}

/// One record as bytes, fields unquoted (see [`Records::raw`]): the fields
/// end to end (or the line as it is in the input when `sep` is 1), where
/// each field ends, and the line the record starts on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRec<'a> {
    bytes: &'a [u8],
    ends: &'a [usize],
    sep: usize,
    /// The line of the record's first byte (from 1 at the reader's start).
    pub(crate) line: u64,
}

impl<'a> RawRec<'a> {
    /// How many fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, untrimmed (empty past the last field).
    pub(crate) fn field(&self, i: usize) -> &'a [u8] {
        let start = match i.checked_sub(1) {
            Some(p) => match self.ends.get(p) {
                Some(&e) => e + self.sep,
                None => return &[],
            },
            None => 0,
        };
        self.ends
            .get(i)
            .and_then(|&e| self.bytes.get(start..e))
            .unwrap_or(&[])
    }
}

impl<R: Read> Records<R> {
    /// A reader of `input`, whose first byte is at `byte` of the file.
    pub(crate) fn new(input: R, byte: u64) -> Self {
        Records {
            input,
            buf: vec![0; READ_BYTES],
            pos: 0,
            end: 0,
            eof: false,
            core: ::csv_core::Reader::new(),
            byte,
            line: 1,
            out: vec![0; 1 << 10],
            ends: vec![0; 1 << 5],
            nout: 0,
            nends: 0,
            line_ends: Vec::new(),
            cap: MAX_RECORD_BYTES,
        }
    }

    /// The same reader with another cap on a record's bytes (at least 1).
    pub(crate) fn with_cap(mut self, cap: u64) -> Self {
        self.cap = cap.max(1);
        self
    }

    /// The line of the next unread byte (from 1 at the reader's start).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The offset in the file of the next unread byte.
    pub(crate) fn byte(&self) -> u64 {
        self.byte
    }

    /// Skips a UTF-8 byte-order mark at the start of the input (call first).
    pub(crate) fn skip_bom(&mut self) -> std::result::Result<(), Failure> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        self.fill()?;
        loop {
            let have = self.buf.get(self.pos..self.end).unwrap_or(&[]);
            if have.len() >= BOM.len() || self.eof || !BOM.starts_with(have) {
                break;
            }
            // A mark cut by a short read: read on behind it.
            let room = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.input.read(room) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n.min(room.len()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::input(self.line, e.to_string())),
            }
        }
        if self
            .buf
            .get(self.pos..self.end)
            .is_some_and(|b| b.starts_with(BOM))
        {
            self.pos += BOM.len();
            self.byte += BOM.len() as u64;
        }
        self.bom_as_text();
        Ok(())
    }

    /// The same reader for input that starts within a file (after its
    /// start): a byte-order mark there is text.
    pub(crate) fn within_file(mut self) -> Self {
        self.bom_as_text();
        self
    }

    /// Makes `csv-core` take a byte-order mark as text from here on (it
    /// strips one from its first input otherwise): its first input is made
    /// a blank line, which it skips between records.
    fn bom_as_text(&mut self) {
        let (mut out, mut ends) = ([0u8; 1], [0usize; 1]);
        let _ = self.core.read_record(b"\n", &mut out, &mut ends);
    }

    /// The next record as bytes, blank or not (its fields are not checked
    /// as UTF-8); `None` at the end of the input.
    pub(crate) fn next_raw(&mut self) -> std::result::Result<Option<RawRec<'_>>, Failure> {
        if !self.start()? {
            return Ok(None);
        }
        self.raw()
    }

    /// Reads more input once the buffer is used up.
    fn fill(&mut self) -> std::result::Result<(), Failure> {
        while self.pos >= self.end && !self.eof {
            match self.input.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n.min(self.buf.len());
                    self.eof = n == 0;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::input(self.line, e.to_string())),
            }
        }
        Ok(())
    }

    /// Skips the line ends before the next record (the parser is between
    /// records then, and skips them too); false at the end of the input.
    fn start(&mut self) -> std::result::Result<bool, Failure> {
        loop {
            let rest = self.buf.get(self.pos..self.end).unwrap_or(&[]);
            let mut skipped = 0;
            let mut newlines = 0;
            let mut found = false;
            for &b in rest {
                match b {
                    b'\n' => newlines += 1,
                    b'\r' => {}
                    _ => {
                        found = true;
                        break;
                    }
                }
                skipped += 1;
            }
            self.pos += skipped;
            self.byte += skipped as u64;
            self.line += newlines;
            if found {
                return Ok(true);
            }
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
    }

    /// Reads the record that starts here (after [`start`](Self::start)
    /// returned true), checked as UTF-8; `names` names the fields for errors.
    fn row(&mut self, names: &[&'static str]) -> std::result::Result<Row<'_>, Failure> {
        let Some(raw) = self.raw()? else {
            return Ok(Row::End);
        };
        let rec = Rec::new(raw.bytes, raw.ends, raw.sep, raw.line, names)?;
        Ok(if rec.blank() {
            Row::Blank
        } else {
            Row::Data(rec)
        })
    }

    /// Hands `each` the non-blank records of the whole lines without a quote
    /// from here (after [`start`](Self::start) returned true) that end in
    /// the buffer within `limit` bytes, checked as UTF-8 all at once and cut
    /// in place as [`raw`](Self::raw) cuts them, lines counted as there; stops
    /// before a line with a quote or one that is not UTF-8 (read those with
    /// [`row`](Self::row), which reports the bytes). Reads nothing when the
    /// buffer has no such line.
    fn lines_in_place(
        &mut self,
        limit: u64,
        mut each: impl FnMut(&Rec<'_>) -> std::result::Result<(), Failure>,
    ) -> std::result::Result<(), Failure> {
        let rest = self.buf.get(self.pos..self.end).unwrap_or(&[]);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(rest.len());
        let whole = |b: &'_ [u8]| b.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
        let block = rest
            .get(..whole(rest.get(..limit).unwrap_or(&[])))
            .unwrap_or(&[]);
        let text = match std::str::from_utf8(block) {
            Ok(text) => text,
            Err(e) => {
                let valid = block.get(..e.valid_up_to()).unwrap_or(&[]);
                std::str::from_utf8(valid.get(..whole(valid)).unwrap_or(&[])).unwrap_or("")
            }
        };
        let bytes = text.as_bytes();
        let (mut at, mut line) = (0, self.line);
        while let Some(&b) = bytes.get(at) {
            // Line ends before a record, as `start` skips them.
            if b == b'\n' || b == b'\r' {
                line += u64::from(b == b'\n');
                at += 1;
                continue;
            }
            let Some((i, end)) = bytes
                .get(at..)
                .and_then(|rest| scan_line(rest, &mut self.line_ends))
            else {
                break;
            };
            let rec = Rec {
                text: text.get(at..at + i).unwrap_or(""),
                ends: &self.line_ends,
                sep: 1,
                line,
            };
            if !rec.blank() {
                each(&rec)?;
            }
            at += i + 1;
            line += u64::from(end == b'\n');
        }
        self.pos += at;
        self.byte += at as u64;
        self.line = line;
        Ok(())
    }

    /// Cuts the record that starts here (after [`start`](Self::start)
    /// returned true); `None` at the end of the input.
    pub(crate) fn raw(&mut self) -> std::result::Result<Option<RawRec<'_>>, Failure> {
        use ::csv_core::ReadRecordResult as R;
        let line = self.line;
        // A line without a quote, whole in the buffer, is its fields between
        // commas up to its first line end, as `csv-core` would cut it; it is
        // cut here without copying. The parser, between records, is left
        // as it would be after the line end (the next `start` skips the
        // rest of a `\r\n`).
        let rest = self.buf.get(self.pos..self.end).unwrap_or(&[]);
        if let Some((i, end)) = scan_line(rest, &mut self.line_ends) {
            let start = self.pos;
            self.pos += i + 1;
            self.byte += i as u64 + 1;
            self.line += u64::from(end == b'\n');
            return Ok(Some(RawRec {
                bytes: self.buf.get(start..start + i).unwrap_or(&[]),
                ends: &self.line_ends,
                sep: 1,
                line,
            }));
        }
        let lines_before = self.core.line();
        let mut taken: u64 = 0;
        self.nout = 0;
        self.nends = 0;
        loop {
            self.fill()?;
            let room = usize::try_from(self.cap.saturating_sub(taken)).unwrap_or(usize::MAX);
            let n = self.end.saturating_sub(self.pos).min(room);
            if n == 0 && !self.eof {
                return Err(Failure::input(
                    line,
                    format!(
                        "more than {} without a complete record (a quote left open?)",
                        cap_text(self.cap)
                    ),
                ));
            }
            let input = self.buf.get(self.pos..self.pos + n).unwrap_or(&[]);
            let out = self.out.get_mut(self.nout..).unwrap_or(&mut []);
            let ends = self.ends.get_mut(self.nends..).unwrap_or(&mut []);
            let (res, nin, nout, nend) = self.core.read_record(input, out, ends);
            self.pos += nin;
            self.byte += nin as u64;
            taken += nin as u64;
            self.nout += nout;
            self.nends += nend;
            match res {
                R::InputEmpty if n > 0 => {}
                R::OutputFull => self.out.resize(self.out.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => {
                    self.line += self.core.line() - lines_before;
                    return Ok(Some(RawRec {
                        bytes: self.out.get(..self.nout).unwrap_or(&[]),
                        ends: self.ends.get(..self.nends).unwrap_or(&[]),
                        sep: 0,
                        line,
                    }));
                }
                // The end of the input (only before a record's first byte).
                R::InputEmpty | R::End => {
                    self.line += self.core.line() - lines_before;
                    return Ok(None);
                }
            }
        }
    }
}

/// A cap in bytes as text: whole MiB as "N MiB", else "N bytes".
fn cap_text(cap: u64) -> String {
    if cap % (1 << 20) == 0 {
        format!("{} MiB", cap >> 20)
    } else {
        format!("{cap} bytes")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The cache of recent cells answers with the code a cell was given or
    /// not at all: never another cell's code, whatever collides, and it
    /// never grows past its slots.
    #[test]
    fn recent_cells_never_answer_with_another_cells_code() {
        let mut cache: Recent<u32> = Recent::default();
        let cells: Vec<String> = (0..5_000)
            .map(|i| match i % 4 {
                0 => format!("{i}"),
                1 => format!("ab:{i:05}"),
                2 => format!(" channel {i} "),
                _ => format!("{i:0>22}"),
            })
            .collect();
        for (i, c) in cells.iter().enumerate() {
            cache.set(c, i as u32);
            assert_eq!(cache.hit(c), Some(i as u32), "{c:?}");
        }
        for (i, c) in cells.iter().enumerate() {
            if let Some(code) = cache.hit(c) {
                assert_eq!(code, i as u32, "{c:?}");
            }
        }
        assert_eq!(cache.slots.len(), 256);
        // Cells that differ only past byte 16, or only in length.
        cache.set("0123456789abcdefXY", 1);
        assert_eq!(cache.hit("0123456789abcdefXZ"), None);
        assert_eq!(cache.hit("0123456789abcdefX"), None);
        cache.set("abc", 2);
        assert_eq!(cache.hit("abc\0"), None);
        assert_eq!(cache.hit("abc"), Some(2));
        // Longer cells are not kept.
        let long = "x".repeat(23);
        cache.set(&long, 3);
        assert_eq!(cache.hit(&long), None);
    }

    /// Hands out at most `chunk` bytes per read.
    struct Chunked<'a>(&'a [u8], usize);

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    type Cut = Vec<(u64, u64, Vec<String>)>;

    /// The non-blank records of this module's reader: line, first byte,
    /// fields.
    fn ours(input: &[u8], chunk: usize) -> Cut {
        let mut records = Records::new(Chunked(input, chunk), 0);
        let mut out = Vec::new();
        while records.start().unwrap() {
            let byte = records.byte;
            if let Row::Data(rec) = records.row(&[]).unwrap() {
                out.push((rec.line, byte, rec.fields().map(String::from).collect()));
            }
        }
        out
    }

    /// The same from the `csv` crate: its records, each at the line of its
    /// first byte (the crate reports the position where it started looking,
    /// before the line ends it skips).
    fn theirs(input: &[u8]) -> Cut {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut out = Vec::new();
        for rec in reader.records() {
            let rec = rec.unwrap();
            let mut first = rec.position().unwrap().byte() as usize;
            while matches!(input.get(first), Some(b'\r' | b'\n')) {
                first += 1;
            }
            let line = 1 + input[..first].iter().filter(|&&b| b == b'\n').count() as u64;
            let fields: Vec<String> = rec.iter().map(String::from).collect();
            if fields.iter().any(|f| !f.trim().is_empty()) {
                out.push((line, first as u64, fields));
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn records_are_cut_as_the_csv_crate_cuts_them(
            tokens in prop::collection::vec(
                prop::sample::select(vec!["a", "bc", "defghijk", ",", "\"", "\"\"", "\r", "\n", "\r\n", " ", "é", "-"]),
                0..120,
            ),
            chunk in prop_oneof![1usize..40, 200usize..400],
        ) {
            let input = tokens.concat();
            prop_assert_eq!(ours(input.as_bytes(), chunk), theirs(input.as_bytes()));
        }
    }

    #[test]
    fn a_record_past_the_cap_is_an_error_at_its_line() {
        // A record of the cap's size with its line end is read; one byte
        // more is an error at the record's line.
        for extra in [0, 1] {
            let mut input = b"a,b\n\n\"".to_vec();
            let body = MAX_RECORD_BYTES as usize - 3 + extra;
            input.resize(input.len() + body, b'x');
            input.extend_from_slice(b"\"\n");
            let mut records = Records::new(&input[..], 0);
            assert!(records.start().unwrap());
            assert!(matches!(records.row(&[]), Ok(Row::Data(_))));
            assert!(records.start().unwrap());
            match (extra, records.row(&[])) {
                (0, Ok(Row::Data(rec))) => assert_eq!(rec.text.len(), body),
                (1, Err(e)) => assert_eq!(
                    e.into_error(0).to_string(),
                    "cannot read CSV input at line 3: more than 64 MiB without a complete record (a quote left open?)"
                ),
                (_, Ok(_)) => panic!("{extra}: read"),
                (_, Err(e)) => panic!("{extra}: {e:?}"),
            }
        }
    }
}
