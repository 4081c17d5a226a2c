//! Reading an [`EventLog`] from CSV (cargo feature `csv`).

use std::io::Read;

use indexmap::IndexMap;

use super::EventLog;
use super::build::{EventLogBuilder, NewRow};
use super::dict::Seeded;
use super::time::parse_timestamp;
use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::model::{
    Channel, CheckoutType, Currency, Device, EventMap, Money, PaymentMethod, Stage, TouchpointKind,
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
        .trim(::csv::Trim::All)
        .from_reader(BlankLines::new(input));
    let mut record = ::csv::ByteRecord::new();
    let mut summary = CsvSummary::default();

    // The header: the first record with a non-blank cell.
    let (index, width, header_line) = loop {
        if !read(&mut reader, &mut record)? {
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
            let name = text(cell, line, "header")?;
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
                    value: record
                        .iter()
                        .map(String::from_utf8_lossy)
                        .collect::<Vec<_>>()
                        .join(","),
                    reason: format!(
                        "the header lacks the column {name:?} (required: user_id,ts,event)"
                    ),
                });
            }
        }
        break (index, record.len(), line);
    };
    let _ = header_line;

    let mut builder = EventLogBuilder::new(&options.journey)?;
    let mut kinds: IndexMap<Box<str>, (TouchpointKind, bool), Seeded> = IndexMap::default();
    let mut channels: IndexMap<Box<str>, Channel, Seeded> = IndexMap::default();
    while read(&mut reader, &mut record)? {
        if blank(&record) {
            continue;
        }
        let line = line_of(&record);
        if record.len() != width {
            return Err(Error::InvalidRecord {
                line,
                column: "row".into(),
                value: format!("{} fields", record.len()),
                reason: format!("the header has {width} fields"),
            });
        }
        let cell = |c: usize| -> Result<&str> {
            let name = CSV_COLUMNS.get(c).copied().unwrap_or("?");
            match index.get(c).and_then(|&i| record.get(i)) {
                Some(b) => text(b, line, name),
                None => Ok(""),
            }
        };
        let bad = |c: usize, value: &str, reason: String| Error::InvalidRecord {
            line,
            column: CSV_COLUMNS.get(c).copied().unwrap_or("?").to_owned(),
            value: value.to_owned(),
            reason,
        };
        let user = cell(0)?;
        if user.is_empty() {
            return Err(bad(0, user, "empty customer id".into()));
        }
        let ts = cell(1)?;
        let at = parse_timestamp(ts).ok_or_else(|| {
            bad(
                1,
                ts,
                "not an ISO-8601 time such as 2024-11-11T08:30:00Z".into(),
            )
        })?;
        let event = cell(2)?;
        if event.is_empty() {
            return Err(bad(2, event, "empty event name".into()));
        }
        if !kinds.contains_key(event) {
            let (kind, _) = options
                .events
                .convert(event)
                .map_err(|e| bad(2, event, e.to_string()))?;
            let custom = options.events.iter().all(|(name, _)| name != event);
            kinds.insert(event.into(), (kind, custom));
        }
        let Some((kind, custom)) = kinds.get(event) else {
            continue;
        };
        if *custom {
            *summary.custom_events.entry(event.to_owned()).or_default() += 1;
        }
        let customer = builder.customer_for_key(user)?;
        let mut row = NewRow::new(customer, at, kind).event(event);
        let ch = cell(3)?;
        if !ch.is_empty() {
            if !channels.contains_key(ch) {
                let c: Channel = ch.parse().map_err(|e: Error| bad(3, ch, e.to_string()))?;
                channels.insert(ch.into(), c);
            }
            if let Some(c) = channels.get(ch) {
                row = row.channel(c);
            }
        }
        let v = cell(4)?;
        if !v.is_empty() {
            row = row.order(v);
        }
        let v = cell(5)?;
        if !v.is_empty() {
            row = row.product(v);
        }
        let v = cell(6)?;
        if !v.is_empty() {
            row = row.category(v);
        }
        let v = cell(7)?;
        if !v.is_empty() {
            row = row.campaign(v);
        }
        let v = cell(8)?;
        if !v.is_empty() {
            let m = Money::parse(v, options.currency).map_err(|e| bad(8, v, e.to_string()))?;
            row = row.value(m);
        }
        let v = cell(9)?;
        if index.get(9).is_some_and(|&i| i != usize::MAX) {
            let d = match v {
                "" => false,
                d if d.eq_ignore_ascii_case("true") || d == "1" => true,
                d if d.eq_ignore_ascii_case("false") || d == "0" => false,
                d => return Err(bad(9, d, "neither true nor false".into())),
            };
            row = row.discounted(d);
        }
        let v = cell(10)?;
        if !v.is_empty() {
            row = row.device(v.parse::<Device>().map_err(|e| bad(10, v, e.to_string()))?);
        }
        let v = cell(11)?;
        if !v.is_empty() {
            let p = v
                .parse::<PaymentMethod>()
                .map_err(|e| bad(11, v, e.to_string()))?;
            row = row.payment(p);
        }
        let v = cell(12)?;
        if !v.is_empty() {
            let p = v
                .parse::<CheckoutType>()
                .map_err(|e| bad(12, v, e.to_string()))?;
            row = row.checkout(p);
        }
        let v = cell(13)?;
        if !v.is_empty() {
            row = row.stage(v.parse::<Stage>().map_err(|e| bad(13, v, e.to_string()))?);
        }
        let v = cell(14)?;
        if !v.is_empty() {
            let t = parse_timestamp(v).ok_or_else(|| bad(14, v, "not an ISO-8601 time".into()))?;
            row = row.promised_delivery(t);
        }
        builder.push_row(&row)?;
        summary.rows += 1;
    }
    summary.custom_events.sort_keys();
    Ok((builder.finish()?, summary))
}

fn read<R: Read>(
    reader: &mut ::csv::Reader<BlankLines<R>>,
    record: &mut ::csv::ByteRecord,
) -> Result<bool> {
    let more = reader.read_byte_record(record).map_err(|e| {
        let line = e.position().map_or(0, ::csv::Position::line);
        Error::Read {
            what: format!("CSV input at line {line}"),
            message: e.to_string(),
        }
    })?;
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

/// Remembers where blank lines start while the csv reader reads through, to
/// correct its line numbers. Holds only blank lines not yet passed.
struct BlankLines<R> {
    inner: R,
    /// Offset of the next byte to read.
    at: u64,
    /// Offset of the last line feed seen, and whether a carriage return
    /// came right after it (the start of a `\r\n` blank line).
    last_lf: Option<u64>,
    cr_after_lf: bool,
    /// Blank lines ahead: (offset of the line start, length of the line end).
    blanks: std::collections::VecDeque<(u64, u64)>,
}

impl<R> BlankLines<R> {
    fn new(inner: R) -> Self {
        BlankLines {
            inner,
            at: 0,
            last_lf: None,
            cr_after_lf: false,
            blanks: std::collections::VecDeque::new(),
        }
    }

    /// How many blank lines start at `byte` one after another.
    fn skipped_at(&mut self, byte: u64) -> u64 {
        while self.blanks.front().is_some_and(|b| b.0 < byte) {
            self.blanks.pop_front();
        }
        let mut n = 0;
        let mut next = byte;
        while let Some(&(start, len)) = self.blanks.front() {
            if start != next {
                break;
            }
            self.blanks.pop_front();
            n += 1;
            next = start + len;
        }
        n
    }
}

impl<R: Read> Read for BlankLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or(&[]);
        let base = self.at;
        for i in memchr::memchr_iter(b'\n', chunk) {
            let o = base + i as u64;
            let line_start = self.last_lf.map_or(0, |lf| lf + 1);
            if o == line_start {
                self.blanks.push_back((o, 1));
            } else if o == line_start + 1 {
                let cr = if i >= 1 {
                    chunk.get(i - 1) == Some(&b'\r')
                } else {
                    self.cr_after_lf
                };
                if cr {
                    self.blanks.push_back((line_start, 2));
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
        Ok(n)
    }
}

fn blank(record: &::csv::ByteRecord) -> bool {
    record.iter().all(<[u8]>::is_empty)
}

fn line_of(record: &::csv::ByteRecord) -> u64 {
    record.position().map_or(0, ::csv::Position::line)
}

fn text<'a>(cell: &'a [u8], line: u64, column: &str) -> Result<&'a str> {
    std::str::from_utf8(cell).map_err(|_| Error::InvalidRecord {
        line,
        column: column.to_owned(),
        value: String::from_utf8_lossy(cell).into_owned(),
        reason: "not UTF-8 text".into(),
    })
}
