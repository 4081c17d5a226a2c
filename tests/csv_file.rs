//! `read_csv_file` (a file split into byte ranges, one thread each) gives
//! exactly what `read_csv` (one stream) gives: the same log and summary, or
//! the same error, for any file and any number of threads.

use std::io::Write;

use cxjourney::Error;
use cxjourney::log::{CsvOptions, CsvSummary, EventLog, read_csv, read_csv_file};
use proptest::prelude::*;

type Read = Result<(EventLog, CsvSummary), Error>;

/// Writes `bytes` to a temporary file and reads it both ways.
fn both(bytes: &[u8], options: &CsvOptions) -> (Read, Read) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    let stream = read_csv(bytes, options);
    let split = read_csv_file(file.path(), options);
    (stream, split)
}

/// Asserts that both reads agree, and returns the stream's.
fn same(bytes: &[u8], options: &CsvOptions) -> Read {
    let (stream, split) = both(bytes, options);
    match (&stream, &split) {
        (Ok(a), Ok(b)) => assert!(a == b, "logs or summaries differ"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!(
            "stream {:?} but file {:?}",
            stream.as_ref().map(|r| r.1.rows),
            split.as_ref().map(|r| r.1.rows)
        ),
    }
    stream
}

fn split(threads: usize) -> CsvOptions {
    CsvOptions::default().threads(threads).min_range_bytes(1)
}

fn line_of(r: &Read) -> u64 {
    match r {
        Err(Error::InvalidRecord { line, .. }) => *line,
        other => panic!("expected a bad record, got {:?}", other.as_ref().err()),
    }
}

/// A cell as written: maybe quoted (quotes doubled), maybe spaced.
fn cell(text: &str, quote: bool, space: bool) -> String {
    let text = if quote || text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    };
    if space { format!(" {text} ") } else { text }
}

/// One random row's cells, by column: user_id, ts, event, channel, value,
/// note (an ignored column of free text).
fn arb_row() -> impl Strategy<Value = Vec<String>> {
    let user = prop_oneof![
        8 => prop::sample::select(vec!["u1", "u2", "u3", "10", "7", "ü-9"]).prop_map(String::from),
        1 => Just(String::new()),
    ];
    let ts = prop_oneof![
        12 => (0u32..3, 0u32..60).prop_map(|(d, m)| format!("2024-11-1{d}T08:{m:02}:00Z")),
        1 => Just("yesterday".to_owned()),
    ];
    let event = prop_oneof![
        12 => prop::sample::select(vec!["view_item", "add_to_cart", "purchase", "my_event"])
            .prop_map(String::from),
        1 => Just(String::new()),
    ];
    let channel = prop::sample::select(vec!["", "direct", "email", "paid_search"]);
    let value = prop_oneof![
        6 => Just(String::new()),
        3 => (1u32..100_000).prop_map(|v| v.to_string()),
        1 => Just("-5".to_owned()),
    ];
    let note = prop_oneof![
        4 => Just(String::new()),
        2 => "[a-z ]{0,12}",
        2 => "[a-z,\"\n]{0,20}",
        1 => "[a-z\r\n]{0,30}",
        1 => "(\n){1,6}",
    ];
    (user, ts, event, channel, value, note)
        .prop_map(|(u, t, e, c, v, n)| vec![u, t, e, c.to_owned(), v, n])
}

/// How one line is damaged, if at all.
#[derive(Debug, Clone)]
enum Damage {
    None,
    DropLastCell,
    ExtraCell,
    NotUtf8,
    OpenQuote,
    BlankBefore(&'static str),
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        60 => Just(Damage::None),
        1 => Just(Damage::DropLastCell),
        1 => Just(Damage::ExtraCell),
        1 => Just(Damage::NotUtf8),
        1 => Just(Damage::OpenQuote),
        6 => prop::sample::select(vec!["\n", "\r\n", "\n\n", "  \n", "\r\n\r\n", ",,,,,\n", "\r"])
            .prop_map(Damage::BlankBefore),
    ]
}

/// A random CSV file: a header of the six columns in a random order (maybe
/// quoted, maybe with a byte-order mark), random rows, line ends `\n` or
/// `\r\n`, and now and then a damaged line.
fn arb_csv() -> impl Strategy<Value = Vec<u8>> {
    (
        Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(
            (
                arb_row(),
                arb_damage(),
                any::<bool>(),
                prop::collection::vec(any::<bool>(), 6),
                any::<bool>(),
            ),
            0..60,
        ),
        any::<bool>(),
    )
        .prop_map(|(order, bom, quote_header, rows, final_newline)| {
            let names = ["user_id", "ts", "event", "channel", "value", "note"];
            let mut out: Vec<u8> = Vec::new();
            if bom {
                out.extend_from_slice("\u{feff}".as_bytes());
            }
            let header: Vec<String> = order
                .iter()
                .map(|&i| cell(names[i], quote_header, false))
                .collect();
            out.extend_from_slice(header.join(",").as_bytes());
            out.extend_from_slice(b"\n");
            let n = rows.len();
            for (k, (row, damage, crlf, quotes, space)) in rows.into_iter().enumerate() {
                let mut cells: Vec<String> = order
                    .iter()
                    .map(|&i| cell(&row[i], quotes[i], space && i != 5))
                    .collect();
                let mut line: Vec<u8> = Vec::new();
                match damage {
                    Damage::None => {}
                    Damage::DropLastCell => {
                        cells.pop();
                    }
                    Damage::ExtraCell => cells.push("x".into()),
                    Damage::NotUtf8 => {}
                    Damage::OpenQuote => cells[0] = format!("\"{}", cells[0]),
                    Damage::BlankBefore(b) => line.extend_from_slice(b.as_bytes()),
                }
                line.extend_from_slice(cells.join(",").as_bytes());
                if matches!(damage, Damage::NotUtf8) {
                    line.extend_from_slice(b",\xff\xfe");
                }
                out.extend_from_slice(&line);
                if k + 1 < n || final_newline {
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_split_file_reads_as_the_stream(csv in arb_csv(), threads in 1usize..=4) {
        let _ = same(&csv, &split(threads));
    }

    #[test]
    fn a_split_file_reads_as_the_stream_with_extra_ranges(csv in arb_csv(), cut in 0usize..200) {
        // Garbage around the rows moves every split point.
        let mut text = csv;
        let at = cut.min(text.len());
        text.splice(at..at, b"\n\"\n".iter().copied());
        let _ = same(&text, &split(4));
    }
}

fn rows(n: usize, line_end: &str) -> String {
    let mut text = format!("user_id,ts,event,note{line_end}");
    for i in 0..n {
        text.push_str(&format!(
            "u{},2024-11-11T08:{:02}:00Z,view_item,row {i}{line_end}",
            i % 13,
            i % 60
        ));
    }
    text
}

#[test]
fn a_split_point_inside_a_quoted_field_is_not_used() {
    // A quoted note of many lines spans the middle of the file: every line
    // start near the middle is inside it.
    let mut text = rows(200, "\n");
    text.push_str("u1,2024-11-11T09:00:00Z,view_item,\"");
    for i in 0..2000 {
        text.push_str(&format!(
            "note line {i}\nu2,2024-11-11T09:00:00Z,purchase,not a row\n"
        ));
    }
    text.push_str("\"\n");
    // Enough rows after it for the last ranges to start after it.
    text.push_str(&rows(3000, "\n").replacen("user_id,ts,event,note\n", "", 1));
    for threads in 1..=4 {
        let (log, summary) = same(text.as_bytes(), &split(threads)).unwrap();
        assert_eq!((log.len(), summary.rows), (3201, 3201));
    }
    // An error after the field: its line counts the field's lines.
    let bad = format!("{text}u3,yesterday,view_item,x\n");
    for threads in 1..=4 {
        let read = same(bad.as_bytes(), &split(threads));
        assert_eq!(line_of(&read), 1 + 200 + 4001 + 3000 + 1);
    }
}

#[test]
fn an_error_in_a_later_range_has_its_line_in_the_file() {
    for line_end in ["\n", "\r\n"] {
        let mut text = rows(1000, line_end);
        // Blank lines and a quoted field with line feeds before the bad row.
        text.push_str(&format!(
            "{line_end}{line_end}u1,2024-11-11T08:00:00Z,view_item,\"a{line_end}b\"{line_end}"
        ));
        text.push_str(&format!("u1,2024-11-11T08:00:00Z,{line_end}"));
        text.push_str(&rows(10, line_end));
        for threads in 1..=4 {
            let read = same(text.as_bytes(), &split(threads));
            assert_eq!(
                line_of(&read),
                1 + 1000 + 2 + 2 + 1,
                "{line_end:?} {threads}"
            );
        }
    }
    // Two bad rows, one in each half: the first wins.
    let mut text = rows(1000, "\n");
    text = text.replacen("row 10\n", "row 10,extra\n", 1);
    text = text.replacen("row 900\n", "row 900,extra\n", 1);
    assert_eq!(line_of(&same(text.as_bytes(), &split(2))), 12);
}

#[test]
fn a_small_file_is_read_by_one_thread_the_same_way() {
    let text = rows(50, "\r\n");
    for threads in [1, 2, 4, 64, 1000] {
        let options = CsvOptions::default().threads(threads);
        let (log, summary) = same(text.as_bytes(), &options).unwrap();
        assert_eq!((log.len(), summary.rows), (50, 50));
    }
}

#[test]
fn an_empty_file_and_a_header_alone() {
    for threads in 1..=4 {
        let read = same(b"", &split(threads));
        assert!(
            read.unwrap_err().to_string().contains("empty input"),
            "{threads}"
        );
        let read = same(b"\n\r\n  \n", &split(threads));
        assert!(read.is_err());
        for header in [
            "user_id,ts,event",
            "user_id,ts,event\n",
            "user_id,ts,event,x\r\n\r\n",
        ] {
            let (log, summary) = same(header.as_bytes(), &split(threads)).unwrap();
            assert_eq!((log.len(), summary.rows), (0, 0));
        }
    }
}

#[test]
fn a_bad_header_or_an_open_quote_fails_the_same_way() {
    for text in [
        "user_id,event\n1,x\n".to_owned(),
        "user_id,ts,event,ts\n".to_owned(),
        format!(
            "{}u1,\"2024-11-11T08:00:00Z,view_item,x\n{}",
            rows(300, "\n"),
            rows(300, "\n")
        ),
    ] {
        for threads in 1..=4 {
            assert!(same(text.as_bytes(), &split(threads)).is_err());
        }
    }
}

#[test]
fn line_numbers_count_crlf_and_blank_lines() {
    // The line a bad record starts on, whatever the line ends before it.
    for (text, line) in [
        (
            "user_id,ts,event\r\nu1,2024-01-01T00:00:00Z,a\r\nu2,bad,a\r\n",
            3,
        ),
        (
            "user_id,ts,event\r\nu1,2024-01-01T00:00:00Z,a\r\n\r\n\r\nu2,bad,a\r\n",
            5,
        ),
        (
            "user_id,ts,event\nu1,2024-01-01T00:00:00Z,a\n\n\nu2,bad,a\n",
            5,
        ),
        ("user_id,ts,event\r\n\r\nu2,bad,a\r\n", 3),
        (
            "user_id,ts,event\n\"u\n1\",2024-01-01T00:00:00Z,a\nu2,bad,a\n",
            4,
        ),
        ("user_id,ts,event\r\n\r\n\n\r\n \r\nu2,bad,a", 6),
    ] {
        for threads in 1..=3 {
            assert_eq!(
                line_of(&same(text.as_bytes(), &split(threads))),
                line,
                "{text:?}"
            );
        }
    }
}

#[test]
fn a_directory_is_an_error_and_a_missing_file_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_csv_file(dir.path(), &CsvOptions::default()).is_err());
    let missing = dir.path().join("missing.csv");
    let e = read_csv_file(&missing, &CsvOptions::default()).unwrap_err();
    assert!(e.to_string().contains("missing.csv"), "{e}");
}
