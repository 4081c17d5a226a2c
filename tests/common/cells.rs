//! One CSV line's cells, parsed by the `csv` crate (an oracle independent of
//! the crate's own reader), for tests that build or check CSV by hand.

/// The cells of one CSV line (no header; quotes and `""` escapes as RFC 4180).
///
/// Panics (a test helper) when the line is not one CSV record.
pub fn of(line: &str) -> csv::StringRecord {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    assert!(
        reader.read_record(&mut record).expect("one CSV record"),
        "no CSV record in {line:?}"
    );
    record
}

/// The cells of one CSV line as owned strings.
pub fn owned(line: &str) -> Vec<String> {
    of(line).iter().map(str::to_owned).collect()
}
