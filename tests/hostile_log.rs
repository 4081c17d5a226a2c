//! Hostile input to the event-log readers (issue 15's findings on them).

use std::io::Write;
use std::process::Command;

use cxjourney::Error;
use cxjourney::log::{CsvOptions, header_name, read_csv, read_csv_file};

/// Reads `text` with `read_csv` and, from a file, with `read_csv_file` (one
/// and two threads); every read gives the same answer, which is returned.
fn read_all_ways(text: &str) -> Result<(usize, u64), Error> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.flush().unwrap();
    let stream = read_csv(text.as_bytes(), &CsvOptions::default());
    for threads in [1, 2] {
        let options = CsvOptions::default().threads(threads).min_range_bytes(1);
        let split = read_csv_file(file.path(), &options);
        match (&stream, &split) {
            (Ok(a), Ok(b)) => assert!(a == b, "read_csv_file on {threads} threads differs"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("read_csv {stream:?} but read_csv_file {split:?}"),
        }
    }
    stream.map(|(log, summary)| (log.customer_count(), summary.rows))
}

/// Finding 16: a header that starts with a byte-order mark followed by a
/// space has a `user_id` column, for every reader and the `funnel` example;
/// a header that lacks another column names that one, never `user_id`.
#[test]
fn finding_16_bom_space_header() {
    let rows = "7,2024-11-11T08:00:00Z,product_view\n\
                7,2024-11-11T08:01:00Z,purchase\n\
                8,2024-11-11T08:02:00Z,product_view\n";
    for head in [
        "\u{feff} user_id,ts,event",
        "\u{feff}  user_id , ts,event ",
        "\u{feff}\tuser_id,ts,event",
        " \u{feff} user_id,ts,event",
        "\u{feff}\u{feff} user_id,ts,event",
    ] {
        let text = format!("{head}\n{rows}");
        assert_eq!(read_all_ways(&text).unwrap(), (2, 3), "{head:?}");
    }
    // The mark before another column first.
    let moved: String = rows
        .lines()
        .map(|l| {
            let (user, rest) = l.split_once(',').unwrap();
            format!("{rest},{user}\n")
        })
        .collect();
    let text = format!("\u{feff} ts,event,user_id\n{moved}");
    assert_eq!(read_all_ways(&text).unwrap(), (2, 3));
    assert_eq!(header_name("\u{feff} user_id"), "user_id");

    // The header lacks `event`: the error names it, and the header's names as
    // they were matched (no mark, no spaces).
    let text = format!("\u{feff} user_id,ts,evt\n{rows}");
    match read_all_ways(&text) {
        Err(Error::InvalidRecord {
            line,
            column,
            value,
            reason,
        }) => {
            assert_eq!((line, column.as_str()), (1, "header"));
            assert_eq!(value, "user_id,ts,evt");
            assert!(reason.contains("lacks the column \"event\""), "{reason}");
        }
        other => panic!("{other:?}"),
    }

    // The `funnel` example reads such a file, and names the missing column.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("bom_space.csv");
    std::fs::write(&good, format!("\u{feff} user_id,ts,event\n{rows}")).unwrap();
    let bad = dir.path().join("bom_space_no_event.csv");
    std::fs::write(&bad, &text).unwrap();
    let funnel = crate::cli::exe("funnel");
    let run = |path: &std::path::Path| {
        Command::new(&funnel)
            .args(["--window", "3600", "--steps", "product_view,purchase"])
            .arg(path)
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("\"customers\": 2, \"reaching\": [2, 1]"),
        "{stdout}"
    );
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no column \"event\""), "{stderr}");
    assert!(!stderr.contains("no column \"user_id\""), "{stderr}");
}
