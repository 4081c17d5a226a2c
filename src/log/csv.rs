//! Reading an [`EventLog`] from CSV (cargo feature `csv`).

use std::io::Read;

use indexmap::IndexMap;

use super::EventLog;
use super::build::{EventLogBuilder, RowKeys};
use super::dict::Seeded;
use super::time::parse_timestamp;
use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::model::{
    Channel, CheckoutType, Currency, Device, EventMap, Money, PaymentMethod, Stage,
};

/// How [`read_csv`] reads a file.
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
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            events: EventMap::standard().fallback_to_custom(),
            currency: Currency::IDR,
            journey: JourneyConfig::default(),
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
/// byte-order mark, quoted fields and blank lines are fine.
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
/// than the header, an empty `user_id` or `event`, or a cell that does not
/// parse; [`Error::Read`] when the input cannot be read (I/O, not UTF-8);
/// the builder's errors ([`Error::TooMuchWork`]) beyond its limits.
pub fn read_csv<R: Read>(input: R, options: &CsvOptions) -> Result<(EventLog, CsvSummary)> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BlankLines::new(input));
    let mut record = ::csv::StringRecord::new();
    let mut summary = CsvSummary::default();

    // The header: the first record with a non-blank cell.
    let (index, width, header_line) = loop {
        if !read(&mut reader, &mut record, &[])? {
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
        if blank(&record) {
            continue;
        }
        let line = line_of(&record);
        let mut index = [usize::MAX; CSV_COLUMNS.len()];
        for (i, cell) in record.iter().enumerate() {
            let name = cell.trim();
            let name = name.strip_prefix('\u{feff}').unwrap_or(name).trim();
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
                None => summary.ignored_columns.push(name.to_owned()),
            }
        }
        for (c, name) in CSV_COLUMNS.iter().enumerate().take(REQUIRED) {
            if index.get(c).is_none_or(|&x| x == usize::MAX) {
                return Err(Error::InvalidRecord {
                    line,
                    column: "header".into(),
                    value: record.iter().collect::<Vec<_>>().join(","),
                    reason: format!(
                        "the header lacks the column {name:?} (required: user_id,ts,event)"
                    ),
                });
            }
        }
        break (index, record.len(), line);
    };
    let _ = header_line;

    let layout = Layout {
        options,
        index,
        width,
    };
    let ignored = std::mem::take(&mut summary.ignored_columns);
    // The column name of each field, for errors found while reading.
    let mut names = vec![""; width];
    for (c, &i) in index.iter().enumerate() {
        if let (Some(slot), Some(&name)) = (names.get_mut(i), CSV_COLUMNS.get(c)) {
            *slot = name;
        }
    }
    // Two builders take alternate batches while this thread parses; their
    // rows are joined at the end (the log is sorted anyway).
    let (tx_a, rx_a) = std::sync::mpsc::sync_channel::<Vec<::csv::StringRecord>>(2);
    let (tx_b, rx_b) = std::sync::mpsc::sync_channel::<Vec<::csv::StringRecord>>(2);
    let (recycle_tx, recycle_rx) = std::sync::mpsc::sync_channel::<Vec<::csv::StringRecord>>(8);
    let (built, read_error) = std::thread::scope(|s| {
        let layout = &layout;
        let recycle_b = recycle_tx.clone();
        let worker_a = s.spawn(move || build_rows(layout, &rx_a, &recycle_tx));
        let worker_b = s.spawn(move || build_rows(layout, &rx_b, &recycle_b));
        let mut read_error = None;
        let mut done = false;
        let mut turn = false;
        while !done {
            let mut batch = recycle_rx.try_recv().unwrap_or_default();
            let mut n = 0;
            while n < BATCH_ROWS {
                if batch.len() <= n {
                    batch.push(::csv::StringRecord::new());
                }
                let Some(slot) = batch.get_mut(n) else { break };
                match read(&mut reader, slot, &names) {
                    Ok(true) if blank(slot) => {}
                    Ok(true) => n += 1,
                    Ok(false) => {
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
            batch.truncate(n);
            turn = !turn;
            let tx = if turn { &tx_a } else { &tx_b };
            if n > 0 && tx.send(batch).is_err() {
                // A builder stopped at a bad row; its error wins.
                break;
            }
        }
        drop(tx_a);
        drop(tx_b);
        type Built = std::result::Result<(EventLogBuilder, CsvSummary), (u64, Error)>;
        let join = |h: std::thread::ScopedJoinHandle<'_, Built>| {
            h.join().unwrap_or_else(|_| {
                Err((
                    u64::MAX,
                    Error::NumericFailure {
                        what: "a CSV builder thread panicked".into(),
                    },
                ))
            })
        };
        ((join(worker_a), join(worker_b)), read_error)
    });
    let (builder, mut summary) = match built {
        (Ok(a), Ok(b)) => {
            let (mut builder, mut summary) = a;
            builder.absorb(b.0)?;
            summary.rows += b.1.rows;
            for (name, n) in b.1.custom_events {
                *summary.custom_events.entry(name).or_default() += n;
            }
            (builder, summary)
        }
        // The earlier line wins when both builders stopped at a bad row.
        (Err(a), Err(b)) => return Err(if b.0 < a.0 { b.1 } else { a.1 }),
        (Err((_, e)), Ok(_)) | (Ok(_), Err((_, e))) => return Err(e),
    };
    if let Some(e) = read_error {
        return Err(e);
    }
    summary.ignored_columns = ignored;
    summary.custom_events.sort_keys();
    Ok((builder.finish()?, summary))
}

/// The reading side's layout of the columns.
struct Layout<'o> {
    options: &'o CsvOptions,
    index: [usize; CSV_COLUMNS.len()],
    width: usize,
}

/// Builds the log from batches of records (on its own thread, while the
/// caller's thread parses the CSV).
/// As [`build_rows_at`], with a failure tagged by the line of the record it
/// happened at (errors without a line of their own, such as a dictionary
/// limit, then still sort in file order).
fn build_rows(
    layout: &Layout<'_>,
    batches: &std::sync::mpsc::Receiver<Vec<::csv::StringRecord>>,
    recycle: &std::sync::mpsc::SyncSender<Vec<::csv::StringRecord>>,
) -> std::result::Result<(EventLogBuilder, CsvSummary), (u64, Error)> {
    let mut line = 0;
    build_rows_at(layout, batches, recycle, &mut line).map_err(|e| (line, e))
}

/// Builds the log from batches of records; `at` follows the line of the
/// record being read.
fn build_rows_at(
    layout: &Layout<'_>,
    batches: &std::sync::mpsc::Receiver<Vec<::csv::StringRecord>>,
    recycle: &std::sync::mpsc::SyncSender<Vec<::csv::StringRecord>>,
    at: &mut u64,
) -> Result<(EventLogBuilder, CsvSummary)> {
    let Layout {
        options,
        index,
        width,
    } = *layout;
    let mut builder = EventLogBuilder::new(&options.journey)?;
    // Per-column caches: the last cell and its code, since exports usually
    // repeat a user, event, channel or category over consecutive rows; and
    // the kind and custom flag of each event-name key, so an event name is
    // hashed once per row at most.
    let mut last_user: Last<u64> = Last::default();
    let mut last_event: Last<u32> = Last::default();
    let mut last_channel: Last<u16> = Last::default();
    let mut last_category: Last<u32> = Last::default();
    let mut event_kinds: Vec<Option<(u16, bool)>> = Vec::new();
    let mut channels: IndexMap<Box<str>, u16, Seeded> = IndexMap::default();
    let mut custom_counts: Vec<u64> = Vec::new();
    let mut summary = CsvSummary::default();
    for batch in batches.iter() {
        for record in &batch {
            let line = line_of(record);
            *at = line;
            if record.len() != width {
                return Err(Error::InvalidRecord {
                    line,
                    column: "row".into(),
                    value: format!("{} fields", record.len()),
                    reason: format!("the header has {width} fields"),
                });
            }
            let raw = |c: usize| -> &[u8] {
                index
                    .get(c)
                    .and_then(|&i| record.get(i))
                    .map_or(&[][..], |s| s.as_bytes().trim_ascii())
            };
            // The record was checked as UTF-8 once when it was read.
            let cell = |c: usize| -> Result<&str> {
                Ok(index
                    .get(c)
                    .and_then(|&i| record.get(i))
                    .map_or("", str::trim))
            };
            let bad = |c: usize, value: &str, reason: String| Error::InvalidRecord {
                line,
                column: CSV_COLUMNS.get(c).copied().unwrap_or("?").to_owned(),
                value: value.to_owned(),
                reason,
            };
            let mut keys = RowKeys::default();

            // user_id
            if let Some(id) = last_user.hit(raw(0)) {
                keys.customer = id;
            } else {
                let user = cell(0)?;
                if user.is_empty() {
                    return Err(bad(0, user, "empty customer id".into()));
                }
                let id = builder.customer_for_key(user)?.0;
                last_user.set(raw(0), id);
                keys.customer = id;
            }

            // ts
            let ts = cell(1)?;
            let at = parse_timestamp(ts).ok_or_else(|| {
                bad(
                    1,
                    ts,
                    "not an ISO-8601 time such as 2024-11-11T08:30:00Z".into(),
                )
            })?;
            (keys.time, keys.nanos) = super::split_time(at);

            // event: its key, then its kind from the key
            let event_key = match last_event.hit(raw(2)) {
                Some(k) => k,
                None => {
                    let event = cell(2)?;
                    if event.is_empty() {
                        return Err(bad(2, event, "empty event name".into()));
                    }
                    let k = builder.dicts_mut().events.intern(event)?;
                    last_event.set(raw(2), k);
                    k
                }
            };
            let slot = event_kinds.get(event_key as usize).copied().flatten();
            let (kind, custom) = match slot {
                Some(found) => found,
                None => {
                    let event = cell(2)?;
                    let (kind, _) = options
                        .events
                        .convert(event)
                        .map_err(|e| bad(2, event, e.to_string()))?;
                    let custom = options.events.iter().all(|(name, _)| name != event);
                    let code = builder.dicts_mut().kinds.code(&kind)?;
                    let i = event_key as usize;
                    if event_kinds.len() <= i {
                        event_kinds.resize(i + 1, None);
                        custom_counts.resize(i + 1, 0);
                    }
                    if let Some(s) = event_kinds.get_mut(i) {
                        *s = Some((code, custom));
                    }
                    (code, custom)
                }
            };
            keys.kind = kind;
            keys.event = Some(event_key);
            if custom && let Some(n) = custom_counts.get_mut(event_key as usize) {
                *n += 1;
            }

            // channel
            keys.channel = match last_channel.hit(raw(3)) {
                Some(code) => code,
                None => {
                    let ch = cell(3)?;
                    let code = match channels.get(ch) {
                        Some(&code) => code,
                        None if ch.is_empty() => {
                            builder.dicts_mut().channels.code(&Channel::DIRECT)?
                        }
                        None => {
                            let c: Channel =
                                ch.parse().map_err(|e: Error| bad(3, ch, e.to_string()))?;
                            let code = builder.dicts_mut().channels.code(&c)?;
                            channels.insert(ch.into(), code);
                            code
                        }
                    };
                    last_channel.set(raw(3), code);
                    code
                }
            };

            // dictionary columns
            let v = cell(4)?;
            if !v.is_empty() {
                keys.order = Some(builder.dicts_mut().orders.intern(v)?);
            }
            let v = cell(5)?;
            if !v.is_empty() {
                keys.product = Some(builder.dicts_mut().products.intern(v)?);
            }
            if !cell(6)?.is_empty() {
                keys.category = Some(match last_category.hit(raw(6)) {
                    Some(k) => k,
                    None => {
                        let k = builder.dicts_mut().categories.intern(cell(6)?)?;
                        last_category.set(raw(6), k);
                        k
                    }
                });
            }
            let v = cell(7)?;
            if !v.is_empty() {
                keys.campaign = Some(builder.dicts_mut().campaigns.intern(v)?);
            }

            // facts
            let v = cell(8)?;
            if !v.is_empty() {
                let m = Money::parse(v, options.currency).map_err(|e| bad(8, v, e.to_string()))?;
                keys.value = Some((m.minor(), builder.currency_code(m)?));
            }
            if index.get(9).is_some_and(|&i| i != usize::MAX) {
                keys.discounted = Some(match raw(9) {
                    b"" | b"false" | b"0" => false,
                    b"true" | b"1" => true,
                    _ => {
                        let d = cell(9)?;
                        if d.is_empty() {
                            false
                        } else if d.eq_ignore_ascii_case("true") {
                            true
                        } else if d.eq_ignore_ascii_case("false") {
                            false
                        } else {
                            return Err(bad(9, d, "neither true nor false".into()));
                        }
                    }
                });
            }
            let v = cell(10)?;
            if !v.is_empty() {
                let d = v.parse::<Device>().map_err(|e| bad(10, v, e.to_string()))?;
                keys.device = super::device_code(Some(d));
            }
            let v = cell(11)?;
            if !v.is_empty() {
                let p = v
                    .parse::<PaymentMethod>()
                    .map_err(|e| bad(11, v, e.to_string()))?;
                keys.payment = super::payment_code(Some(p));
            }
            let v = cell(12)?;
            if !v.is_empty() {
                let p = v
                    .parse::<CheckoutType>()
                    .map_err(|e| bad(12, v, e.to_string()))?;
                keys.checkout = super::checkout_code(Some(p));
            }
            let v = cell(13)?;
            if !v.is_empty() {
                let st = v.parse::<Stage>().map_err(|e| bad(13, v, e.to_string()))?;
                keys.stage = super::stage_code(Some(st));
            }
            let v = cell(14)?;
            if !v.is_empty() {
                let t =
                    parse_timestamp(v).ok_or_else(|| bad(14, v, "not an ISO-8601 time".into()))?;
                keys.promised = Some(super::split_time(t));
            }
            builder.push_keys(&keys)?;
            summary.rows += 1;
        }
        // Hand the records back to the reader for reuse; it may be done.
        let _ = recycle.try_send(batch);
    }
    for (key, &n) in custom_counts.iter().enumerate() {
        if n > 0
            && let Some(name) = builder.dicts_mut().events.value(key as u32)
        {
            summary.custom_events.insert(name.to_owned(), n);
        }
    }
    Ok((builder, summary))
}

/// Reads one record, checked as UTF-8 as a whole. `names` gives the column
/// name of each field for errors (none: the header).
fn read<R: Read>(
    reader: &mut ::csv::Reader<BlankLines<R>>,
    record: &mut ::csv::StringRecord,
    names: &[&'static str],
) -> Result<bool> {
    let more = match reader.read_record(record) {
        Ok(more) => more,
        Err(e) => {
            let (line, byte) = e.position().map_or((0, 0), |p| (p.line(), p.byte()));
            return Err(match e.kind() {
                ::csv::ErrorKind::Utf8 { err, .. } => Error::InvalidRecord {
                    line: line + reader.get_mut().skipped_at(byte),
                    column: names
                        .get(err.field())
                        .copied()
                        .unwrap_or("header")
                        .to_owned(),
                    value: format!("field {}", err.field() + 1),
                    reason: "not UTF-8 text".into(),
                },
                _ => Error::Read {
                    what: format!("CSV input at line {line}"),
                    message: e.to_string(),
                },
            });
        }
    };
    // The csv crate reports a record that follows blank lines at the first
    // of those lines (BurntSushi/rust-csv#208); move it past them.
    if more && let Some(pos) = record.position() {
        let skipped = reader.get_mut().skipped_at(pos.byte());
        if skipped > 0 {
            let mut fixed = pos.clone();
            fixed.set_line(pos.line() + skipped);
            record.set_position(Some(fixed));
        }
    }
    Ok(more)
}

/// The most bytes the reader takes in without completing a record: a quote
/// left open would otherwise make the csv crate buffer the rest of the input.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// The most runs of blank lines remembered ahead of the reader (beyond it,
/// line numbers after further blank lines may be too small; memory stays
/// bounded).
const MAX_BLANK_RUNS: usize = 1 << 16;

/// Remembers where runs of blank lines start while the csv reader reads
/// through, to correct its line numbers, and stops a record that grows past
/// [`MAX_RECORD_BYTES`].
struct BlankLines<R> {
    inner: R,
    /// Offset of the next byte to read.
    at: u64,
    /// Offset of the last line feed seen, and whether the last chunk ended
    /// with a carriage return at a line start.
    last_lf: Option<u64>,
    cr_after_lf: bool,
    /// Runs of blank lines ahead: (start of the first, end of the last, how many).
    blanks: std::collections::VecDeque<(u64, u64, u64)>,
    /// Bytes read since the reader last completed a record.
    since_record: u64,
}

impl<R> BlankLines<R> {
    fn new(inner: R) -> Self {
        BlankLines {
            inner,
            at: 0,
            last_lf: None,
            cr_after_lf: false,
            blanks: std::collections::VecDeque::new(),
            since_record: 0,
        }
    }

    /// How many blank lines start at `byte` one after another; called once
    /// per record the reader completes.
    fn skipped_at(&mut self, byte: u64) -> u64 {
        self.since_record = 0;
        while self.blanks.front().is_some_and(|b| b.0 < byte) {
            self.blanks.pop_front();
        }
        match self.blanks.front() {
            Some(&(start, _, count)) if start == byte => {
                self.blanks.pop_front();
                count
            }
            _ => 0,
        }
    }

    fn blank(&mut self, start: u64, len: u64) {
        let full = self.blanks.len() >= MAX_BLANK_RUNS;
        match self.blanks.back_mut() {
            Some(run) if run.1 == start => {
                run.1 = start + len;
                run.2 += 1;
            }
            _ if !full => self.blanks.push_back((start, start + len, 1)),
            _ => {}
        }
    }
}

impl<R: Read> Read for BlankLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_record > MAX_RECORD_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "more than {} MiB without a complete record (a quote left open?)",
                    MAX_RECORD_BYTES >> 20
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or(&[]);
        let base = self.at;
        for i in memchr::memchr_iter(b'\n', chunk) {
            let o = base + i as u64;
            let line_start = self.last_lf.map_or(0, |lf| lf + 1);
            if o == line_start {
                self.blank(o, 1);
            } else if o == line_start + 1 {
                let cr = if i >= 1 {
                    chunk.get(i - 1) == Some(&b'\r')
                } else {
                    self.cr_after_lf
                };
                if cr {
                    self.blank(line_start, 2);
                }
            }
            self.last_lf = Some(o);
        }
        // A carriage return ending the chunk at a line start may begin a
        // blank `\r\n` line whose line feed comes in the next chunk.
        let line_start = self.last_lf.map_or(0, |lf| lf + 1);
        self.cr_after_lf =
            n > 0 && chunk.last() == Some(&b'\r') && base + n as u64 - 1 == line_start;
        self.at += n as u64;
        self.since_record += n as u64;
        Ok(n)
    }
}

fn blank(record: &::csv::StringRecord) -> bool {
    record.iter().all(|c| c.trim().is_empty())
}

/// The last cell of a column and the code it got.
struct Last<T> {
    cell: Vec<u8>,
    code: Option<T>,
}

impl<T> Default for Last<T> {
    fn default() -> Self {
        Last {
            cell: Vec::new(),
            code: None,
        }
    }
}

impl<T: Copy> Last<T> {
    fn hit(&self, cell: &[u8]) -> Option<T> {
        self.code.filter(|_| self.cell == cell)
    }

    fn set(&mut self, cell: &[u8], code: T) {
        self.cell.clear();
        self.cell.extend_from_slice(cell);
        self.code = Some(code);
    }
}

fn line_of(record: &::csv::StringRecord) -> u64 {
    record.position().map_or(0, ::csv::Position::line)
}
