//! Reading path files (ChannelAttribution's format) and journeys files from
//! bytes already in memory: no I/O here, the caller reads the file.

use chrono::TimeDelta;

use crate::attribution::paths::{MAX_COUNT, PathSet, check_counts};
use crate::error::{Error, Result};

/// One field of the current record: a range of the input, or (for a quoted
/// field, unescaped) of the scratch buffer.
#[derive(Debug, Clone, Copy)]
enum Field {
    Data(usize, usize),
    Scratch(usize, usize),
}

/// CSV records over bytes: `,` separated, `"` quoting with `""` escapes
/// (quoted fields may span lines), LF or CRLF line ends, a byte-order mark,
/// blank lines skipped.
struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    /// The 1-based line at `pos`.
    line: u64,
    scratch: Vec<u8>,
    fields: Vec<Field>,
}

impl<'a> Records<'a> {
    fn new(data: &'a [u8]) -> Records<'a> {
        let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        Records {
            data,
            pos: 0,
            line: 1,
            scratch: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// Reads the next record that is not blank; its first line, or `None`
    /// at the end.
    fn next(&mut self) -> Result<Option<u64>> {
        loop {
            let rest = self.data.get(self.pos..).unwrap_or(&[]);
            if rest.is_empty() {
                return Ok(None);
            }
            let eol = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let raw = rest.get(..eol).unwrap_or(&[]);
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let start_line = self.line;
            if line.iter().all(u8::is_ascii_whitespace) {
                self.pos += eol + 1;
                self.line += 1;
                continue;
            }
            self.fields.clear();
            if !line.contains(&b'"') {
                let base = self.pos;
                let mut a = 0;
                for (i, &b) in line.iter().enumerate() {
                    if b == b',' {
                        self.fields.push(Field::Data(base + a, base + i));
                        a = i + 1;
                    }
                }
                self.fields.push(Field::Data(base + a, base + line.len()));
                self.pos += eol + 1;
                self.line += 1;
                return Ok(Some(start_line));
            }
            self.quoted_record(start_line)?;
            return Ok(Some(start_line));
        }
    }

    /// Reads a record with quoted fields, byte by byte.
    fn quoted_record(&mut self, start_line: u64) -> Result<()> {
        self.scratch.clear();
        let data = self.data;
        let mut i = self.pos;
        loop {
            // One field starting at i.
            if data.get(i) == Some(&b'"') {
                let from = self.scratch.len();
                i += 1;
                loop {
                    let rest = data.get(i..).unwrap_or(&[]);
                    let Some(q) = rest.iter().position(|&b| b == b'"') else {
                        return Err(Error::InvalidRecord {
                            line: start_line,
                            column: "row".to_owned(),
                            value: String::from_utf8_lossy(
                                data.get(self.pos..).unwrap_or(&[]).get(..80).unwrap_or(rest),
                            )
                            .into_owned(),
                            reason: "a quoted field is not closed".to_owned(),
                        });
                    };
                    let chunk = rest.get(..q).unwrap_or(&[]);
                    self.line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                    self.scratch.extend_from_slice(chunk);
                    i += q + 1;
                    if data.get(i) == Some(&b'"') {
                        self.scratch.push(b'"');
                        i += 1;
                    } else {
                        break;
                    }
                }
                self.fields.push(Field::Scratch(from, self.scratch.len()));
                // Only spaces may follow the closing quote.
                while let Some(&b) = data.get(i) {
                    match b {
                        b' ' | b'\t' | b'\r' => i += 1,
                        b',' | b'\n' => break,
                        _ => {
                            return Err(Error::InvalidRecord {
                                line: self.line,
                                column: "row".to_owned(),
                                value: String::from_utf8_lossy(&[b]).into_owned(),
                                reason: "text after a closing quote".to_owned(),
                            });
                        }
                    }
                }
            } else {
                let rest = data.get(i..).unwrap_or(&[]);
                let end = rest
                    .iter()
                    .position(|&b| b == b',' || b == b'\n')
                    .unwrap_or(rest.len());
                let mut field_end = i + end;
                if data.get(i + end) != Some(&b',') && field_end > i && data.get(field_end - 1) == Some(&b'\r') {
                    field_end -= 1;
                }
                self.fields.push(Field::Data(i, field_end));
                i += end;
            }
            match data.get(i) {
                Some(b',') => i += 1,
                Some(b'\n') => {
                    self.line += 1;
                    self.pos = i + 1;
                    return Ok(());
                }
                _ => {
                    self.pos = data.len();
                    return Ok(());
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.fields.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        match self.fields.get(i) {
            Some(&Field::Data(a, b)) => self.data.get(a..b).unwrap_or(&[]),
            Some(&Field::Scratch(a, b)) => self.scratch.get(a..b).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// Where each named column is in the header.
struct Header {
    names: Vec<String>,
}

impl Header {
    fn read(records: &mut Records<'_>, expected: &str) -> Result<Header> {
        if records.next()?.is_none() {
            return Err(Error::InvalidRecord {
                line: 1,
                column: "header".to_owned(),
                value: String::new(),
                reason: format!("empty input: expected a header {expected}"),
            });
        }
        let names = (0..records.len())
            .map(|i| String::from_utf8_lossy(records.field(i)).trim().to_owned())
            .collect();
        Ok(Header { names })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn require(&self, name: &str, expected: &str) -> Result<usize> {
        self.find(name).ok_or_else(|| Error::InvalidRecord {
            line: 1,
            column: "header".to_owned(),
            value: self.names.join(","),
            reason: format!("the header lacks the column {name:?} (expected {expected})"),
        })
    }
}

fn record_error(line: u64, column: &str, value: &[u8], reason: impl Into<String>) -> Error {
    Error::InvalidRecord {
        line,
        column: column.to_owned(),
        value: String::from_utf8_lossy(value).into_owned(),
        reason: reason.into(),
    }
}

fn trimmed(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// A whole, non-negative count of at most [`MAX_COUNT`] (`3` or `3.0`).
fn parse_count(bytes: &[u8], line: u64, column: &str) -> Result<u64> {
    let t = trimmed(bytes);
    if !t.is_empty() && t.iter().all(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        for &b in t {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or_else(|| record_error(line, column, bytes, "a count must be at most 2^53"))?;
        }
        if n > MAX_COUNT {
            return Err(record_error(line, column, bytes, "a count must be at most 2^53"));
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
    let t = trimmed(bytes);
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|x| x.is_finite())
        .ok_or_else(|| record_error(line, column, bytes, "not a finite number"))
}

/// Splits a path by ChannelAttribution's rules (split on `>`, trim spaces
/// from both ends of each token, drop empty tokens) and interns the
/// channels into `ids`.
fn parse_path(
    set: &mut PathSet,
    bytes: &[u8],
    line: u64,
    column: &str,
    ids: &mut Vec<u32>,
) -> Result<()> {
    ids.clear();
    for token in bytes.split(|&b| b == b'>') {
        let token = trim_spaces(token);
        if token.is_empty() {
            continue;
        }
        let name = std::str::from_utf8(token)
            .map_err(|_| record_error(line, column, bytes, "a channel name is not UTF-8"))?;
        ids.push(set.intern(name)?);
    }
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
fn check_width(records: &Records<'_>, header: &Header, line: u64) -> Result<()> {
    if records.len() != header.names.len() {
        let fields: Vec<String> = (0..records.len())
            .map(|i| String::from_utf8_lossy(records.field(i)).into_owned())
            .collect();
        return Err(Error::InvalidRecord {
            line,
            column: "row".to_owned(),
            value: fields.join(","),
            reason: format!(
                "{} fields where the header has {}",
                records.len(),
                header.names.len()
            ),
        });
    }
    Ok(())
}

/// The error of [`check_counts`] for a record, with its line and column.
fn in_record(e: Error, line: u64, column: &str, cell: &[u8]) -> Error {
    match e {
        Error::InvalidAmount { reason, .. } => record_error(line, column, cell, reason),
        Error::TooMuchWork { what, limit } => {
            record_error(line, column, cell, format!("too large: {what} (limit {limit})"))
        }
        other => other,
    }
}

const PATHS_HEADER: &str = "path,total_conversions,total_conversion_value,total_null";
const JOURNEYS_HEADER: &str = "journey_id,path,hours_to_end,converted,conversion_value";

impl PathSet {
    /// Reads paths in ChannelAttribution's format: a CSV with a header and
    /// the columns `path` and `total_conversions`, and optionally
    /// `total_conversion_value` and `total_null` (0 when absent); other
    /// columns are ignored. A path is split on `>`, each token trimmed of
    /// spaces, empty tokens dropped (ChannelAttribution's rules); channel
    /// names are case-sensitive. Rows with the same path add up.
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
        let mut records = Records::new(data);
        let header = Header::read(&mut records, PATHS_HEADER)?;
        let path_col = header.require("path", PATHS_HEADER)?;
        let conv_col = header.require("total_conversions", PATHS_HEADER)?;
        let value_col = header.find("total_conversion_value");
        let null_col = header.find("total_null");
        let mut set = PathSet::new();
        let mut ids = Vec::new();
        while let Some(line) = records.next()? {
            check_width(&records, &header, line)?;
            let conv = parse_count(records.field(conv_col), line, "total_conversions")?;
            let nulls = match null_col {
                Some(c) => parse_count(records.field(c), line, "total_null")?,
                None => 0,
            };
            let value = match value_col {
                Some(c) => parse_float(records.field(c), line, "total_conversion_value")?,
                None => 0.0,
            };
            let value = check_counts(conv, value, nulls).map_err(|e| {
                let cell = value_col.map_or(&[][..], |c| records.field(c));
                in_record(e, line, "total_conversion_value", cell)
            })?;
            parse_path(&mut set, records.field(path_col), line, "path", &mut ids)?;
            set.add_ids(&ids, conv, value, nulls)?;
        }
        Ok(set)
    }

    /// Reads one journey per row: a CSV with a header and the columns
    /// `path` (channels as in [`PathSet::parse_csv`]), `hours_to_end` (one
    /// number per touch, joined by `>`: the hours from the touch to the end
    /// of the journey), `converted` (`0`/`1` or `false`/`true`) and
    /// optionally `conversion_value` and `journey_id` (used in messages);
    /// other columns are ignored. Journeys with the same path add up, and
    /// time decay is credited with `half_life` (mam's `run_time_decay`
    /// takes hours: 168 hours is `TimeDelta::hours(168)`).
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
        let mut set = PathSet::with_time_decay(half_life)?;
        let mut records = Records::new(data);
        let header = Header::read(&mut records, JOURNEYS_HEADER)?;
        let path_col = header.require("path", JOURNEYS_HEADER)?;
        let hours_col = header.require("hours_to_end", JOURNEYS_HEADER)?;
        let conv_col = header.require("converted", JOURNEYS_HEADER)?;
        let value_col = header.find("conversion_value");
        let mut ids = Vec::new();
        let mut ages = Vec::new();
        while let Some(line) = records.next()? {
            check_width(&records, &header, line)?;
            let converted = match trimmed(records.field(conv_col)) {
                b"1" | b"true" | b"True" | b"TRUE" => true,
                b"0" | b"false" | b"False" | b"FALSE" => false,
                other => {
                    let x = parse_float(other, line, "converted").ok();
                    match x {
                        Some(x) if x == 1.0 => true,
                        Some(x) if x == 0.0 => false,
                        _ => {
                            return Err(record_error(
                                line,
                                "converted",
                                other,
                                "expected 0 or 1 (or false / true)",
                            ));
                        }
                    }
                }
            };
            let value = match value_col {
                Some(c) => parse_float(records.field(c), line, "conversion_value")?,
                None => 0.0,
            };
            let conv = u64::from(converted);
            let value = check_counts(conv, value, 1 - conv).map_err(|e| {
                let cell = value_col.map_or(&[][..], |c| records.field(c));
                in_record(e, line, "conversion_value", cell)
            })?;
            parse_path(&mut set, records.field(path_col), line, "path", &mut ids)?;
            ages.clear();
            let hours = records.field(hours_col);
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
                ages.push(h * 3600.0);
            }
            if ages.len() != ids.len() {
                return Err(record_error(
                    line,
                    "hours_to_end",
                    hours,
                    format!(
                        "{} numbers for a path of {} touches (one per touch, joined by '>')",
                        ages.len(),
                        ids.len()
                    ),
                ));
            }
            set.add_ids_timed(&ids, &ages, conv, value, 1 - conv)?;
        }
        Ok(set)
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
            ("path,total_conversions,total_conversion_value\na,0,5\n", "total_conversion_value", 2),
            ("path,total_conversions,total_conversion_value\na,1,-5\n", "total_conversion_value", 2),
            ("path,total_conversions\n\"a,1\n", "row", 2),
        ];
        for &(csv, column, line) in cases {
            match PathSet::parse_csv(csv.as_bytes()) {
                Err(Error::InvalidRecord { line: l, column: c, .. }) => {
                    assert_eq!((l, c.as_str()), (line, column), "{csv:?}");
                }
                other => panic!("{csv:?}: {other:?}"),
            }
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
                matches!(PathSet::parse_journeys_csv(csv.as_bytes(), h), Err(Error::InvalidRecord { .. })),
                "{csv}"
            );
        }
        let ok = "journey_id,path,hours_to_end,converted,conversion_value\n1,a > b,2 > 0,true,5\n2,a > b,1 > 0,0,0\n";
        let set = PathSet::parse_journeys_csv(ok.as_bytes(), h).unwrap();
        assert_eq!(rows(&set), vec![(vec!["a".into(), "b".into()], 1, 5.0, 1)]);
    }
}
