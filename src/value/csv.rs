//! Reading order transactions (`customer_id,ts,amount,discounted`) from CSV
//! into an event log (cargo feature `csv`).
//!
//! A transactions file is not an event log file: it has no event column,
//! every row is an order. Rather than a second table of transactions, each
//! row becomes a completed-order row of an [`EventLog`] (one row shape and
//! one grouping for event data), pushed through [`EventLogBuilder`]; the
//! builder is handed back unfinished, so the caller decides when to group
//! (and can time it, or absorb other files first).

use std::io::Read;

use crate::error::{Error, Result};
use crate::journey::JourneyConfig;
use crate::log::csv::{RawRec, Records};
use crate::log::{EventLog, EventLogBuilder, parse_timestamp};
use crate::model::{BuiltinKind, Channel, Currency, CustomerId, Money, TouchpointKind};

/// The columns [`read_transactions`] knows; `customer_id`, `ts` and `amount`
/// are required.
pub const TRANSACTION_COLUMNS: [&str; 4] = ["customer_id", "ts", "amount", "discounted"];

/// The most bytes one record may take (a quote left open would otherwise
/// make the reader buffer the rest of the input).
pub const MAX_TRANSACTION_RECORD_BYTES: u64 = 1 << 20;

/// How [`read_transactions`] reads a file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransactionCsvOptions {
    /// The currency of the `amount` column (its minor digits are the most
    /// decimals an amount may have, beyond trailing zeros). Default: IDR.
    pub currency: Currency,
    /// How journeys are cut in the log. Default: [`JourneyConfig::default`].
    pub journey: JourneyConfig,
}

impl Default for TransactionCsvOptions {
    fn default() -> Self {
        TransactionCsvOptions {
            currency: Currency::IDR,
            journey: JourneyConfig::default(),
        }
    }
}

impl TransactionCsvOptions {
    /// Sets the currency of the `amount` column.
    #[must_use]
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = currency;
        self
    }
}

/// What [`read_transactions`] saw besides the rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionCsvSummary {
    /// Rows read.
    pub rows: u64,
    /// Header names that are not transaction columns, in header order.
    pub ignored_columns: Vec<String>,
}

/// Reads transactions from CSV, streaming, into an [`EventLogBuilder`] of
/// completed-order rows; [`EventLogBuilder::finish`] groups them into the
/// log the [`RfmAccumulator`](crate::value::RfmAccumulator) reads.
///
/// Columns by header name ([`TRANSACTION_COLUMNS`], any order; others are
/// ignored): `customer_id` any non-empty text (decimal integers are ids,
/// `007` is 7; see [`EventLogBuilder::customer_for_key`]); `ts` a time as
/// [`parse_timestamp`] reads it; `amount` a non-negative decimal with at
/// most the currency's minor digits (trailing zeros beyond are fine);
/// `discounted` `true`/`false`/`1`/`0` in any case, empty for false (the
/// column may be absent). Rows may come in any order. Cells are trimmed;
/// CRLF, a UTF-8 byte-order mark, quoted fields and blank lines are fine.
///
/// ```
/// use chrono::NaiveDate;
/// use cxjourney::value::{RfmAccumulator, RfmConfig, TransactionCsvOptions, read_transactions};
/// use cxjourney::{Accumulator, run_on_log};
/// let text = "customer_id,ts,amount,discounted\n\
///             7,2024-12-01T10:00:00Z,20.00,true\n\
///             7,2024-12-20T10:00:00Z,10.50,false\n\
///             3,2025-01-02T10:00:00Z,99.00,false\n";
/// let (builder, summary) = read_transactions(text.as_bytes(), &TransactionCsvOptions::default())?;
/// assert_eq!(summary.rows, 3);
/// let log = builder.finish()?;
/// let config = RfmConfig::new(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
/// let report = run_on_log::<RfmAccumulator>(&log, &config, 2)?;
/// // Customer 3 bought only after the analysis date.
/// assert_eq!(report.customers.len(), 1);
/// assert_eq!(report.customers[0].discounted_share, 0.5);
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidRecord`] naming the line (1-based), the column and the
/// value for a header without a required column or with one twice, a row of
/// another width than the header, an empty `customer_id`, or a cell that
/// does not parse; [`Error::Read`] when the input cannot be read (I/O, a
/// record longer than [`MAX_TRANSACTION_RECORD_BYTES`]); the builder's
/// errors ([`Error::TooMuchWork`]) beyond its limits.
pub fn read_transactions<R: Read>(
    input: R,
    options: &TransactionCsvOptions,
) -> Result<(EventLogBuilder, TransactionCsvSummary)> {
    let mut records = Records::new(input, 0).with_cap(MAX_TRANSACTION_RECORD_BYTES);
    records.skip_bom().map_err(|e| e.into_error(0))?;
    let mut summary = TransactionCsvSummary::default();

    // The header: the first record with a non-blank cell.
    let (index, width) = loop {
        let Some(record) = records.next_raw().map_err(|e| e.into_error(0))? else {
            return Err(Error::InvalidRecord {
                line: 0,
                column: "header".into(),
                value: String::new(),
                reason: "empty input: expected the header customer_id,ts,amount,discounted".into(),
            });
        };
        if blank(&record) {
            continue;
        }
        let line = record.line;
        let mut index = [usize::MAX; TRANSACTION_COLUMNS.len()];
        let mut names = Vec::with_capacity(record.len());
        for (i, cell) in (0..record.len()).map(|i| (i, record.field(i))) {
            let name = text(cell, line, "header")?;
            let name = name.strip_prefix('\u{feff}').unwrap_or(name).trim();
            names.push(name.to_owned());
            match TRANSACTION_COLUMNS.iter().position(|c| *c == name) {
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
        if let Some(missing) = TRANSACTION_COLUMNS
            .iter()
            .zip(index)
            .take(3)
            .find(|(_, i)| *i == usize::MAX)
        {
            return Err(Error::InvalidRecord {
                line,
                column: "header".into(),
                value: names.join(","),
                reason: format!(
                    "no column {:?} (required: customer_id,ts,amount; optional: discounted)",
                    missing.0
                ),
            });
        }
        break (index, record.len());
    };

    let mut builder = EventLogBuilder::new(&options.journey)?;
    let order = TouchpointKind::from(BuiltinKind::OrderCompleted);
    let direct = Channel::DIRECT;
    let digits = options.currency.minor_digits();
    let mut last_key: Vec<u8> = Vec::new();
    let mut last_id = None;
    let mut keyed = false;
    while let Some(record) = records.next_raw().map_err(|e| e.into_error(0))? {
        if blank(&record) {
            continue;
        }
        let line = record.line;
        if record.len() != width {
            return Err(Error::InvalidRecord {
                line,
                column: "row".into(),
                value: format!("{} fields", record.len()),
                reason: format!("the header has {width} fields"),
            });
        }
        let cell = |c: usize| -> Result<&str> {
            let name = TRANSACTION_COLUMNS.get(c).copied().unwrap_or("?");
            match index.get(c) {
                Some(&i) if i < record.len() => Ok(text(record.field(i), line, name)?.trim()),
                _ => Ok(""),
            }
        };
        let bad = |c: usize, value: &str, reason: &str| Error::InvalidRecord {
            line,
            column: TRANSACTION_COLUMNS
                .get(c)
                .copied()
                .unwrap_or("?")
                .to_owned(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        };

        let key = cell(0)?;
        if key.is_empty() {
            return Err(bad(0, key, "empty customer id"));
        }
        let customer = match last_id {
            Some(id) if last_key == key.as_bytes() => id,
            _ => {
                // Integer ids go in as they are (the log groups them without
                // numbering keys) until the first text key.
                let id = match key.parse::<u64>() {
                    Ok(v) if !keyed && v < 1 << 63 => CustomerId(v),
                    _ => {
                        if !keyed {
                            builder.ids_to_keys()?;
                            keyed = true;
                        }
                        builder.customer_for_key(key)?
                    }
                };
                last_key.clear();
                last_key.extend_from_slice(key.as_bytes());
                last_id = Some(id);
                id
            }
        };
        let ts = cell(1)?;
        let at = parse_timestamp(ts)
            .ok_or_else(|| bad(1, ts, "not an ISO-8601 time such as 2024-11-11T08:30:00Z"))?;
        let amount = cell(2)?;
        let minor = parse_amount(amount, digits).map_err(|reason| bad(2, amount, reason))?;
        let value = Money::new(minor, options.currency)?;
        let discounted = match cell(3)? {
            "" => false,
            d if d.eq_ignore_ascii_case("true") || d == "1" => true,
            d if d.eq_ignore_ascii_case("false") || d == "0" => false,
            d => return Err(bad(3, d, "neither true nor false")),
        };
        builder.push_row(
            &crate::log::NewRow::new(customer, at, &order)
                .channel(&direct)
                .value(value)
                .discounted(discounted),
        )?;
        summary.rows += 1;
    }
    Ok((builder, summary))
}

/// Reads a transactions file and groups it into a log in one call.
///
/// # Errors
/// As [`read_transactions`].
pub fn read_transactions_log<R: Read>(
    input: R,
    options: &TransactionCsvOptions,
) -> Result<(EventLog, TransactionCsvSummary)> {
    let (builder, summary) = read_transactions(input, options)?;
    Ok((builder.finish()?, summary))
}

/// A decimal amount in minor units with `digits` decimals: digits, at most
/// one `.`, an optional leading `+`; decimals beyond `digits` only if zeros.
fn parse_amount(text: &str, digits: u32) -> std::result::Result<i64, &'static str> {
    let t = text.strip_prefix('+').unwrap_or(text);
    if t.starts_with('-') {
        return Err("amounts are never negative");
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err("not a decimal amount such as 19.99");
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err("not a decimal amount such as 19.99");
    }
    let digits = digits as usize;
    let (kept, extra) = frac.split_at(frac.len().min(digits));
    if extra.bytes().any(|b| b != b'0') {
        return Err("more decimals than the currency has");
    }
    let mut v: i64 = 0;
    let too_large = "too large for 64-bit minor units";
    for b in whole.bytes().chain(kept.bytes()) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(too_large)?;
    }
    for _ in kept.len()..digits {
        v = v.checked_mul(10).ok_or(too_large)?;
    }
    Ok(v)
}

fn text<'a>(raw: &'a [u8], line: u64, column: &str) -> Result<&'a str> {
    std::str::from_utf8(raw).map_err(|_| Error::InvalidRecord {
        line,
        column: column.to_owned(),
        value: String::from_utf8_lossy(raw).into_owned(),
        reason: "not UTF-8 text".into(),
    })
}

fn blank(record: &RawRec<'_>) -> bool {
    (0..record.len()).all(|i| record.field(i).trim_ascii().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(parse_amount("22.43", 2), Ok(2243));
        assert_eq!(parse_amount("22.4", 2), Ok(2240));
        assert_eq!(parse_amount("22", 2), Ok(2200));
        assert_eq!(parse_amount(".5", 2), Ok(50));
        assert_eq!(parse_amount("+1.50", 2), Ok(150));
        assert_eq!(parse_amount("22.4300", 2), Ok(2243));
        assert_eq!(parse_amount("7", 0), Ok(7));
        for bad in [
            "",
            ".",
            "-1",
            "1.234",
            "1e3",
            "1,5",
            "abc",
            "1.2.3",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad, 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn lines_after_blank_lines_are_counted() {
        let text =
            "customer_id,ts,amount\r\n\r\n1,2024-01-01T00:00:00Z,1\n\n\n2,2024-01-01T00:00:00Z,x\n";
        let err = read_transactions(text.as_bytes(), &TransactionCsvOptions::default())
            .err()
            .unwrap();
        match err {
            Error::InvalidRecord { line, column, .. } => {
                assert_eq!((line, column.as_str()), (6, "amount"));
            }
            e => panic!("{e}"),
        }
    }
}
