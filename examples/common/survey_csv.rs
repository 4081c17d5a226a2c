//! Survey CSV files for the `pyramid` and `nps` examples (included with
//! `#[path]`), read as a stream through the `csv` crate.
//!
//! - [`SurveyCsv`]: the header found by name (any order, other columns
//!   ignored, required ones checked, repeated ones refused), then one checked
//!   row at a time with its line number. Comma-separated, optionally quoted
//!   fields (`""` inside quotes is a quote; commas and line breaks may appear
//!   inside), LF or CRLF line ends, a leading byte-order mark, spaces and tabs
//!   around cells (also inside quotes) and blank lines are all accepted. A row
//!   with another number of cells than the header is an error naming the line.
//! - [`number_text`]: the text of a numeric cell, also when a quoted number
//!   has spaces before its opening quote (` " 7 " `).
//! - [`IdKey`] and [`check_unique`]: repeated respondent ids, found in one
//!   pass when the ids are sorted.
//!
//! Every error is one line that starts with the file's path and names the
//! line (and the value or column).

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use ::csv::{ByteRecord, ReaderBuilder, StringRecord, Terminator};

/// An open survey file, positioned after its header.
#[derive(Debug)]
pub struct SurveyCsv {
    path: String,
    reader: ::csv::Reader<File>,
    /// The current row (reused, so reading allocates nothing per row;
    /// `None` only while a record is read).
    record: Option<StringRecord>,
    /// The line the current row starts on (1-based).
    line: u64,
    /// The file's length in bytes and whether it ends with a line break (so
    /// that the line of a last row without one is counted right).
    len: Option<u64>,
    ends_with_newline: bool,
    /// For each wanted name, its position in the header (if present).
    pub index: Vec<Option<usize>>,
    /// The header's names, trimmed, in file order.
    pub names: Vec<String>,
}

impl SurveyCsv {
    /// Opens `path` and reads its header: the first record that is not
    /// blank. The first `required` names of `wanted` must be present;
    /// `expected` describes the header in the "empty file" error.
    pub fn open(
        path: &str,
        wanted: &[&str],
        required: usize,
        expected: &str,
    ) -> Result<SurveyCsv, String> {
        if std::path::Path::new(path).is_dir() {
            return Err(format!("{path} is a directory, not a CSV file"));
        }
        let mut file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let (len, ends_with_newline) = tail(&mut file);
        // Records end at LF only (as in the files' line counts); the CR of a
        // CRLF is trimmed with the spaces around the last cell. The `csv`
        // crate skips empty lines and a leading byte-order mark itself.
        let reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .terminator(Terminator::Any(b'\n'))
            .from_reader(file);
        let mut csv = SurveyCsv {
            path: path.to_owned(),
            reader,
            record: None,
            line: 0,
            len,
            ends_with_newline,
            index: Vec::new(),
            names: Vec::new(),
        };
        if !csv.next_record()? {
            return Err(csv.err(format!("empty file (expected the header {expected})")));
        }
        let line = csv.line;
        let names: Vec<String> = csv
            .record
            .iter()
            .flatten()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let mut index = vec![None; wanted.len()];
        for (i, name) in names.iter().enumerate() {
            if let Some(w) = wanted.iter().position(|w| w == name) {
                if index.get(w).copied().flatten().is_some() {
                    return Err(csv.err(format!(
                        "line {line}: the header has the column {name:?} twice"
                    )));
                }
                if let Some(slot) = index.get_mut(w) {
                    *slot = Some(i);
                }
            }
        }
        if let Some((w, _)) = wanted
            .iter()
            .zip(&index)
            .take(required)
            .find(|(_, i)| i.is_none())
        {
            // A file that is not text at all says so first.
            csv.read_to_end()?;
            return Err(csv.err(format!(
                "line {line}: the header {:?} lacks the column {w:?} (expected {})",
                names.join(","),
                wanted.get(..required).unwrap_or(wanted).join(",")
            )));
        }
        csv.index = index;
        csv.names = names;
        Ok(csv)
    }

    /// `message` prefixed with the file's path.
    pub fn err(&self, message: impl std::fmt::Display) -> String {
        format!("{}: {message}", self.path)
    }

    /// The position of wanted column `w` (`usize::MAX` for a missing
    /// optional one, so that [`SurveyCsv::cell`] reads it as empty).
    pub fn at(&self, w: usize) -> usize {
        self.index.get(w).copied().flatten().unwrap_or(usize::MAX)
    }

    /// Reads the next row that is not blank and has as many cells as the
    /// header; returns its first line number (1-based), `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<u64>, String> {
        let width = self.names.len();
        if !self.next_record()? {
            return Ok(None);
        }
        let found = self.record.as_ref().map_or(0, StringRecord::len);
        if found != width {
            let line = self.line;
            let last = self.last_line();
            let hint = if last > line {
                format!(
                    " (a quoted cell runs from line {line} to line {last}: is a quote never closed?)"
                )
            } else {
                String::new()
            };
            return Err(self.err(format_args!(
                "line {line}: expected {width} cells, found {found}{hint}"
            )));
        }
        Ok(Some(self.line))
    }

    /// The cell at position `i` of the current row, trimmed of spaces (also
    /// inside quotes); `""` past its end.
    pub fn cell(&self, i: usize) -> &str {
        self.record.as_ref().and_then(|r| r.get(i)).map_or("", trim)
    }

    /// The next record that is not blank, into `self.record`, with its line.
    fn next_record(&mut self) -> Result<bool, String> {
        loop {
            let mut bytes: ByteRecord = self
                .record
                .take()
                .map(StringRecord::into_byte_record)
                .unwrap_or_default();
            let read = self.reader.read_byte_record(&mut bytes);
            let after = self.reader.position();
            // Lines counted so far, minus the line breaks inside the record
            // and the one that ended it: the record's first line.
            let inside = bytes.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
            // At the end of the file, the last line break ended the record
            // unless it is inside a quote that was never closed.
            let at_end = self.len.is_some_and(|n| after.byte() >= n);
            let ended_by_newline = u64::from(
                !at_end || (self.ends_with_newline && !bytes.as_slice().ends_with(b"\n")),
            );
            self.line = after
                .line()
                .saturating_sub(inside + ended_by_newline)
                .max(1);
            match read {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => {
                    return Err(self.err(format_args!("line {}: cannot read: {e}", self.line)));
                }
            }
            let record = StringRecord::from_byte_record(bytes).map_err(|e| {
                let u = e.utf8_error();
                self.err(format_args!(
                    "line {}: the file is not UTF-8 text (cell {}, byte {})",
                    self.line,
                    u.field() + 1,
                    u.valid_up_to()
                ))
            })?;
            let blank = match record.len() {
                0 => true,
                1 => record
                    .get(0)
                    .is_none_or(|c| c.trim().trim_start_matches('\u{feff}').is_empty()),
                _ => false,
            };
            self.record = Some(record);
            if !blank {
                return Ok(true);
            }
        }
    }

    /// Reads the rest of the file, for its first reading error (such as
    /// bytes that are not UTF-8).
    fn read_to_end(&mut self) -> Result<(), String> {
        while self.next_record()? {}
        Ok(())
    }

    /// The last line of the current record.
    fn last_line(&self) -> u64 {
        let inside = self.record.as_ref().map_or(0, |r| {
            r.as_slice().trim_end_matches('\n').matches('\n').count()
        }) as u64;
        self.line + inside
    }
}

/// The length of a regular file and whether its last byte is a line break;
/// the file is left at its start. (`None` when it cannot seek: then every
/// record is taken to end with a line break.)
fn tail(file: &mut File) -> (Option<u64>, bool) {
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut last = [0u8; 1];
    let ends = match len {
        Some(0) | None => true,
        Some(_) => {
            let ok = file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok();
            let rewound = file.rewind().is_ok();
            !ok || !rewound || last == [b'\n']
        }
    };
    (len, ends)
}

/// `s` without white space around it: `str::trim`, with a fast path for the
/// usual ASCII spaces, tabs and line ends.
fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(a), Some(z)) if !a.is_ascii() || !z.is_ascii() => t.trim(),
        _ => t,
    }
}

/// The text of a numeric cell: trimmed, and unquoted when the quotes were
/// not the cell's first character (` " 7 " `), which CSV reads as text.
pub fn number_text(cell: &str) -> &str {
    let t = trim(cell);
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .map_or(t, trim)
}

/// A hint for a numeric cell that still holds a quote.
pub fn quote_hint(cell: &str) -> &'static str {
    if cell.contains('"') {
        " (a quote inside an unquoted value: quote the whole field and double the quote)"
    } else {
        ""
    }
}

/// A respondent id: a non-negative integer (so `007` and `7` are the same
/// id), or any other text compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdKey {
    /// An id that is a non-negative integer.
    Num(u64),
    /// Any other id.
    Text(Box<str>),
}

impl IdKey {
    /// The key of an id cell (already trimmed).
    pub fn new(cell: &str) -> Self {
        match cell.parse::<u64>() {
            Ok(n) if !cell.starts_with('+') => IdKey::Num(n),
            _ => IdKey::Text(cell.into()),
        }
    }
}

impl std::fmt::Display for IdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdKey::Num(n) => write!(f, "{n}"),
            IdKey::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// Finds a repeated id (`what` names it in the message). Sorted ids take one
/// pass; otherwise one sort.
pub fn check_unique(mut ids: Vec<(IdKey, u64)>, what: &str) -> Result<(), String> {
    if ids.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)) {
        return Ok(());
    }
    ids.sort_unstable();
    match ids.windows(2).find(|w| matches!(w, [a, b] if a.0 == b.0)) {
        Some([a, b]) => Err(format!(
            "line {}: duplicate {what} {} (first on line {})",
            b.1.max(a.1),
            b.0,
            b.1.min(a.1)
        )),
        _ => Ok(()),
    }
}
