//! CSV helpers shared by the command-line examples (included with `#[path]`).
//!
//! - [`read_text`]: the whole file as UTF-8 text, a leading byte-order mark
//!   removed, with one-line errors for a missing file, a directory, or bytes
//!   that are not UTF-8 (naming the line).
//! - [`Records`]: an RFC 4180 reader over that text: comma-separated fields,
//!   optionally quoted with `"` (a doubled `""` inside is a quote; commas and
//!   line breaks may appear inside quotes), records ended by LF or CRLF, spaces
//!   around fields and around quoted fields trimmed.
//! - [`Columns`]: columns resolved by header name (any order, unknown columns
//!   ignored, required ones checked, repeated ones refused).
//! - [`IdKey`] and [`check_unique`]: repeated row ids, found in one pass when
//!   ids are sorted.

// Slicing below is at byte positions of ASCII delimiters found in the same
// text, so always at char boundaries and in range.
#![allow(clippy::indexing_slicing, dead_code)]

use std::borrow::Cow;

/// The file at `path` as text without a leading byte-order mark.
pub fn read_text(path: &str) -> Result<String, String> {
    if std::path::Path::new(path).is_dir() {
        return Err(format!("{path} is a directory, not a CSV file"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e
            .as_bytes()
            .get(..at)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
            + 1;
        format!("{path}: line {line}: the file is not UTF-8 text (byte offset {at})")
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// True for a record that is a blank (or whitespace-only) line.
pub fn is_blank(fields: &[Cow<'_, str>]) -> bool {
    match fields {
        [] => true,
        [only] => only.trim().is_empty(),
        _ => false,
    }
}

/// Spaces and tabs (not line breaks) around an unquoted field.
fn is_pad(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// An RFC 4180 reader over in-memory text.
#[derive(Debug)]
pub struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Records<'a> {
    /// A reader from the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Records {
            text,
            pos: 0,
            line: 0,
        }
    }

    /// The header: the first record that is not blank, into `out`; returns its
    /// line number, or an "empty file" error naming the `expected` header.
    pub fn header(&mut self, out: &mut Vec<Cow<'a, str>>, expected: &str) -> Result<usize, String> {
        loop {
            match self.next_record(out)? {
                Some(_) if is_blank(out) => continue,
                Some(line) => return Ok(line),
                None => return Err(format!("empty file (expected the header {expected})")),
            }
        }
    }

    /// The next record into `out` (fields trimmed of spaces and tabs);
    /// returns its first line number (1-based), `None` at the end.
    pub fn next_record(&mut self, out: &mut Vec<Cow<'a, str>>) -> Result<Option<usize>, String> {
        out.clear();
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return Ok(None);
        }
        self.line += 1;
        let start_line = self.line;
        loop {
            // Leading padding, then a quoted or a plain field.
            let mut p = self.pos;
            while bytes.get(p).copied().is_some_and(is_pad) {
                p += 1;
            }
            if bytes.get(p) == Some(&b'"') {
                self.pos = p + 1;
                let mut owned: Option<String> = None;
                let mut seg = self.pos;
                loop {
                    match bytes.get(self.pos) {
                        None => {
                            return Err(format!(
                                "line {start_line}: field {} opens a quote that is never closed",
                                out.len() + 1
                            ));
                        }
                        Some(b'"') if bytes.get(self.pos + 1) == Some(&b'"') => {
                            owned
                                .get_or_insert_with(String::new)
                                .push_str(&self.text[seg..=self.pos]);
                            self.pos += 2;
                            seg = self.pos;
                        }
                        Some(b'"') => break,
                        Some(b'\n') => {
                            self.line += 1;
                            self.pos += 1;
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                let field = match owned {
                    Some(mut s) => {
                        s.push_str(&self.text[seg..self.pos]);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(&self.text[seg..self.pos]),
                };
                self.pos += 1; // the closing quote
                while bytes.get(self.pos).copied().is_some_and(is_pad) {
                    self.pos += 1;
                }
                out.push(field);
                match bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'\r') if bytes.get(self.pos + 1) == Some(&b'\n') => {
                        self.pos += 2;
                        return Ok(Some(start_line));
                    }
                    Some(b'\n') => {
                        self.pos += 1;
                        return Ok(Some(start_line));
                    }
                    None => return Ok(Some(start_line)),
                    Some(_) => {
                        return Err(format!(
                            "line {}: text after the closing quote of field {}",
                            self.line,
                            out.len()
                        ));
                    }
                }
            } else {
                let start = self.pos;
                while let Some(&b) = bytes.get(self.pos) {
                    if b == b',' || b == b'\n' {
                        break;
                    }
                    if b == b'"' {
                        return Err(format!(
                            "line {start_line}: field {} has a quote inside an unquoted value (quote the whole field and double the quote)",
                            out.len() + 1
                        ));
                    }
                    self.pos += 1;
                }
                let field = self.text[start..self.pos].trim_matches([' ', '\t', '\r']);
                out.push(Cow::Borrowed(field));
                let at_comma = bytes.get(self.pos) == Some(&b',');
                self.pos += 1;
                if !at_comma {
                    return Ok(Some(start_line));
                }
            }
        }
    }
}

/// Columns found by header name.
#[derive(Debug)]
pub struct Columns {
    /// For each wanted name, its position in the header (if present).
    pub index: Vec<Option<usize>>,
    /// The header's names, trimmed, in file order.
    pub names: Vec<String>,
}

impl Columns {
    /// Resolves `wanted` against the header record: the first `required`
    /// names must be present; a wanted name that appears twice is an error;
    /// other columns are ignored.
    pub fn resolve(
        header: &[Cow<'_, str>],
        wanted: &[&str],
        required: usize,
        line: usize,
    ) -> Result<Columns, String> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let mut index = vec![None; wanted.len()];
        for (i, name) in names.iter().enumerate() {
            if let Some(w) = wanted.iter().position(|w| w == name) {
                if index.get(w).copied().flatten().is_some() {
                    return Err(format!(
                        "line {line}: the header has the column {name:?} twice"
                    ));
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
            return Err(format!(
                "line {line}: the header {:?} lacks the column {w:?} (expected {})",
                names.join(","),
                wanted.get(..required).unwrap_or(wanted).join(",")
            ));
        }
        Ok(Columns { index, names })
    }

    /// The position of wanted column `w` (`usize::MAX` for a missing
    /// optional one, so that [`cell`] reads it as empty).
    pub fn at(&self, w: usize) -> usize {
        self.index.get(w).copied().flatten().unwrap_or(usize::MAX)
    }
}

/// The cell at position `i` of a record, `""` past its end; trimmed of
/// spaces, also inside quotes (for numbers and ids).
pub fn cell<'r>(fields: &'r [Cow<'_, str>], i: usize) -> &'r str {
    fields.get(i).map_or("", |f| f.trim())
}

/// The cell at position `i`, trimmed, still borrowing from the text where
/// the record did.
pub fn cell_cow<'a>(fields: &[Cow<'a, str>], i: usize) -> Cow<'a, str> {
    match fields.get(i) {
        Some(Cow::Borrowed(s)) => Cow::Borrowed(s.trim()),
        Some(Cow::Owned(s)) => Cow::Owned(s.trim().to_owned()),
        None => Cow::Borrowed(""),
    }
}

/// A row id: a non-negative integer (so `007` and `7` are the same id), or
/// any other text compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdKey<'a> {
    /// An id that is a non-negative integer.
    Num(u64),
    /// Any other id.
    Text(Cow<'a, str>),
}

impl<'a> IdKey<'a> {
    /// The key of an id cell (already trimmed).
    pub fn new(cell: Cow<'a, str>) -> Self {
        match cell.parse::<u64>() {
            Ok(n) if !cell.starts_with('+') => IdKey::Num(n),
            _ => IdKey::Text(cell),
        }
    }
}

impl std::fmt::Display for IdKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdKey::Num(n) => write!(f, "{n}"),
            IdKey::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// Finds a repeated id (`what` names it in the message). Sorted ids take one
/// pass; otherwise one sort.
pub fn check_unique(mut ids: Vec<(IdKey<'_>, usize)>, what: &str) -> Result<(), String> {
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
