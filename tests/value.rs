//! RFM and the lifetimes summary against the reference set (SEMANTICS.md,
//! section 4: lifetimes 0.11.3 and pandas 3.1.1), through the API and the
//! `rfm` example; the accumulator laws and the score properties.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use cxjourney::log::EventLog;
use cxjourney::value::{
    CustomerKey, CustomerRfm, MonetaryBasis, RfmAccumulator, RfmConfig, RfmReport, RuleSet,
    TransactionCsvOptions, read_transactions_log,
};
use cxjourney::{
    Accumulator, BuiltinKind, Currency, CustomerId, Error, JourneyConfig, Money, Touchpoint,
    run_on_log,
};
use proptest::prelude::*;

use crate::log::check_contract;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
}

/// A reference CSV as rows of named cells, keyed by customer id.
fn reference(name: &str) -> BTreeMap<u64, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(format!("{DATA}/ref/{name}")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: BTreeMap<String, String> = header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect();
            (row["customer_id"].parse().unwrap(), row)
        })
        .collect()
}

/// Money within the reference's tolerance: 1e-9 absolute (SEMANTICS.md),
/// plus the rounding of the reference CSV, which prints 10 significant
/// digits (`32.19333333`), so up to half a unit in the 10th digit.
fn close(got: f64, want: &str, what: &str) {
    let want: f64 = want.parse().unwrap();
    let tol = 1e-9 + 5e-10 * want.abs();
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tolerance {tol:e})"
    );
}

/// One customer's figures as the example prints them or the API gives them.
struct Row {
    frequency: String,
    recency: String,
    t: String,
    monetary_value: f64,
    recency_days: String,
    frequency_tx: String,
    monetary_sum: f64,
    discounted_share: f64,
    scores: [u8; 3],
    segment: String,
}

impl From<&CustomerRfm> for Row {
    fn from(c: &CustomerRfm) -> Row {
        Row {
            frequency: c.frequency.to_string(),
            recency: c.recency.to_string(),
            t: c.t.to_string(),
            monetary_value: c.monetary_value,
            recency_days: c.recency_days.to_string(),
            frequency_tx: c.frequency_tx.to_string(),
            monetary_sum: c.monetary_sum,
            discounted_share: c.discounted_share,
            scores: [c.r_score, c.f_score, c.m_score],
            segment: c.segment.to_string(),
        }
    }
}

/// Every customer of the reference, exactly (counts, periods and scores)
/// or within the tolerance (money and shares).
fn check_against_reference(rows: &[(u64, Row)]) {
    let lifetimes = reference("rfm_small_lifetimes.csv");
    let scores = reference("rfm_small_scores.csv");
    assert_eq!(rows.len(), lifetimes.len());
    assert_eq!(rows.len(), scores.len());
    let ids: Vec<u64> = rows.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, lifetimes.keys().copied().collect::<Vec<_>>(), "order");
    let grid = RuleSet::rf_grid();
    for (id, row) in rows {
        let l = &lifetimes[id];
        let s = &scores[id];
        let what = |col: &str| format!("customer {id} {col}");
        // lifetimes prints frequency, recency and T as whole numbers here.
        for (got, col) in [
            (&row.frequency, "frequency"),
            (&row.recency, "recency"),
            (&row.t, "T"),
        ] {
            assert_eq!(got, &l[col], "{}", what(col));
        }
        close(
            row.monetary_value,
            &l["monetary_value"],
            &what("monetary_value"),
        );
        assert_eq!(
            row.recency_days,
            s["recency_days"],
            "{}",
            what("recency_days")
        );
        assert_eq!(
            row.frequency_tx,
            s["frequency_tx"],
            "{}",
            what("frequency_tx")
        );
        close(row.monetary_sum, &s["monetary_sum"], &what("monetary_sum"));
        close(
            row.discounted_share,
            &s["discounted_share"],
            &what("discounted_share"),
        );
        let [r, f, m] = row.scores;
        assert_eq!(r.to_string(), s["r_score"], "{}", what("r_score"));
        assert_eq!(f.to_string(), s["f_score"], "{}", what("f_score"));
        assert_eq!(m.to_string(), s["m_score"], "{}", what("m_score"));
        assert_eq!(format!("{r}{f}{m}"), s["rfm_cell"], "{}", what("rfm_cell"));
        assert_eq!(
            (u16::from(r) + u16::from(f) + u16::from(m)).to_string(),
            s["rfm_sum"],
            "{}",
            what("rfm_sum")
        );
        let cell = cxjourney::value::RfmCell { r, f, m };
        assert_eq!(row.segment, grid.segment_of(cell), "{}", what("segment"));
    }
}

fn small_log() -> EventLog {
    let file = std::fs::File::open(format!("{DATA}/data/transactions_small.csv")).unwrap();
    let (log, summary) = read_transactions_log(file, &TransactionCsvOptions::default()).unwrap();
    assert_eq!(summary.rows, 366);
    log
}

fn api_rows(report: &RfmReport) -> Vec<(u64, Row)> {
    report
        .customers
        .iter()
        .map(|c| match c.customer {
            CustomerKey::Id(id) => (id, Row::from(c)),
            CustomerKey::Text(ref t) => panic!("text key {t}"),
        })
        .collect()
}

#[test]
fn api_reproduces_lifetimes_and_pandas_on_the_small_set() {
    let log = small_log();
    let config = RfmConfig::new(as_of());
    let one = run_on_log::<RfmAccumulator>(&log, &config, 1).unwrap();
    check_against_reference(&api_rows(&one));
    assert_eq!(one.transactions, 323, "transactions_in_window");
    assert_eq!(one.currency, Some(Currency::IDR));
    for threads in 2..=4 {
        assert_eq!(
            run_on_log::<RfmAccumulator>(&log, &config, threads).unwrap(),
            one
        );
    }
    // The segments count every customer once, in the rule set's order.
    let total: u64 = one.segments.values().map(|s| s.customers).sum();
    assert_eq!(total, 40);
    let names: Vec<&str> = one.segments.keys().map(String::as_str).collect();
    assert_eq!(names.first(), Some(&"champions"));
    assert_eq!(names.last(), Some(&"others"));
    assert_eq!(one.segments["others"].customers, 0);
    assert!(one.coverage.is_partition());
    let text = one.to_string();
    assert!(text.contains("champions") && text.contains("R5"), "{text}");
}

#[test]
fn the_same_rows_through_touchpoints_give_the_same_report() {
    // The reader's log and a log of touchpoints built by hand agree.
    let text = std::fs::read_to_string(format!("{DATA}/data/transactions_small.csv")).unwrap();
    let mut touchpoints = Vec::new();
    for line in text.lines().skip(1) {
        let rec = crate::common::cells::of(line);
        let cells: Vec<&str> = rec.iter().collect();
        let at = cxjourney::log::parse_timestamp(cells[1]).unwrap();
        touchpoints.push(
            Touchpoint::new(
                CustomerId(cells[0].parse().unwrap()),
                at,
                BuiltinKind::OrderCompleted,
            )
            .with_value(Money::parse(cells[2], Currency::IDR).unwrap())
            .with_discounted(cells[3] == "true"),
        );
    }
    touchpoints.reverse();
    let log = EventLog::from_touchpoints(&touchpoints, &JourneyConfig::default()).unwrap();
    let config = RfmConfig::new(as_of());
    let a = run_on_log::<RfmAccumulator>(&log, &config, 2).unwrap();
    let b = run_on_log::<RfmAccumulator>(&small_log(), &config, 1).unwrap();
    assert_eq!(a, b);
}

#[test]
fn weekly_periods_and_other_options() {
    let log = small_log();
    let weekly = run_on_log::<RfmAccumulator>(
        &log,
        &RfmConfig::new(as_of()).period(cxjourney::value::Period::Week),
        2,
    )
    .unwrap();
    // lifetimes 0.11.3 with freq="W" on the small set (computed once with
    // the peer call of SEMANTICS.md, freq changed): customer, frequency,
    // recency, T, monetary_value.
    let want: [(u64, u64, i64, i64, f64); 40] = [
        (1, 0, 0, 21, 0.0),
        (2, 2, 18, 21, 73.27000000000001),
        (3, 1, 7, 16, 58.07),
        (4, 2, 17, 26, 40.825),
        (5, 3, 22, 23, 59.45333333333334),
        (6, 8, 26, 28, 26.331249999999997),
        (7, 19, 40, 46, 58.31315789473685),
        (8, 1, 6, 25, 15.7),
        (9, 26, 45, 45, 52.051153846153845),
        (10, 7, 39, 44, 123.40571428571427),
        (11, 0, 0, 5, 0.0),
        (12, 6, 21, 29, 13.005),
        (13, 6, 47, 48, 55.455000000000005),
        (14, 2, 12, 19, 22.72),
        (15, 11, 39, 39, 36.61909090909091),
        (16, 16, 46, 47, 29.646874999999998),
        (17, 4, 27, 28, 67.61),
        (18, 4, 19, 19, 129.05),
        (19, 0, 0, 9, 0.0),
        (20, 12, 46, 48, 14.175833333333335),
        (21, 1, 20, 46, 29.49),
        (22, 24, 47, 47, 83.95333333333333),
        (23, 0, 0, 4, 0.0),
        (24, 0, 0, 3, 0.0),
        (25, 0, 0, 11, 0.0),
        (26, 6, 35, 39, 35.31166666666667),
        (27, 1, 26, 40, 34.15),
        (28, 8, 31, 31, 17.78),
        (29, 2, 43, 44, 26.95),
        (30, 0, 0, 19, 0.0),
        (31, 8, 30, 38, 36.96),
        (32, 0, 0, 2, 0.0),
        (33, 10, 39, 49, 19.218),
        (34, 6, 32, 35, 61.53666666666667),
        (35, 0, 0, 35, 0.0),
        (36, 0, 0, 29, 0.0),
        (37, 6, 22, 23, 34.505),
        (38, 6, 28, 28, 41.47),
        (39, 8, 27, 43, 69.22375),
        (40, 0, 0, 18, 0.0),
    ];
    assert_eq!(weekly.customers.len(), want.len());
    for (c, &(id, frequency, recency, t, money)) in weekly.customers.iter().zip(&want) {
        assert_eq!(c.customer, CustomerKey::Id(id));
        assert_eq!(
            (c.frequency, c.recency, c.t),
            (frequency, recency, t),
            "customer {id}"
        );
        assert!(
            (c.monetary_value - money).abs() <= 1e-9,
            "customer {id}: {}",
            c.monetary_value
        );
    }
    // The RFM inputs do not depend on the period.
    assert_eq!(weekly.customers[1].recency_days, 17);
    let deciles = run_on_log::<RfmAccumulator>(
        &log,
        &RfmConfig::new(as_of())
            .bins(10)
            .monetary(MonetaryBasis::Mean)
            .segments(RuleSet::rfm_package()),
        2,
    )
    .unwrap();
    assert!(
        deciles
            .customers
            .iter()
            .all(|c| (1..=10).contains(&c.m_score))
    );
    assert_eq!(deciles.segments.len(), 11);
    assert!(!deciles.coverage.is_partition());
    let others = deciles.segments["Others"].customers;
    let counted = deciles
        .customers
        .iter()
        .filter(|c| &*c.segment == "Others")
        .count() as u64;
    assert_eq!(others, counted);
}

#[test]
fn merging_other_configurations_or_a_customer_twice_is_refused() {
    let log = small_log();
    let config = RfmConfig::new(as_of());
    let mut a = RfmAccumulator::new(&config).unwrap();
    let mut b = RfmAccumulator::new(&config.clone().bins(4)).unwrap();
    let first = log.journeys().next().unwrap();
    a.add(first).unwrap();
    b.add(first).unwrap();
    assert!(matches!(a.clone().merge(b), Err(Error::Mismatch { .. })));
    let mut twice = RfmAccumulator::new(&config).unwrap();
    twice.add(first).unwrap();
    a.merge(twice).unwrap();
    let err = a.finish().unwrap_err();
    assert!(err.to_string().contains("customer 1 in two"), "{err}");
    assert!(RfmAccumulator::new(&config.bins(0)).is_err());
}

// ---------------------------------------------------------------------------
// The example

/// The built example, up to date (see `cli::exe`).
fn exe() -> PathBuf {
    crate::cli::exe("rfm")
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = Command::new(exe()).args(args).output().unwrap();
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const HEADER: &str = "customer_id,frequency,recency,T,monetary_value,recency_days,frequency_tx,monetary_sum,discounted_share,r_score,f_score,m_score,segment";

/// The example's CSV as rows, after checking the header and the timing line.
fn example_rows(out: &Out, what: &str) -> Vec<(u64, Row)> {
    assert_eq!(out.code, Some(0), "{what}: {}", out.stderr);
    let line = out.stderr.trim();
    let v: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{what}: stderr is not the timing line ({e}): {line}"));
    assert!(v["compute_seconds"].as_f64().unwrap() >= 0.0);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some(HEADER), "{what}");
    lines
        .map(|l| {
            let rec = crate::common::cells::of(l);
            let c: Vec<&str> = rec.iter().collect();
            assert_eq!(c.len(), 13, "{what}: {l}");
            (
                c[0].parse().unwrap(),
                Row {
                    frequency: c[1].to_owned(),
                    recency: c[2].to_owned(),
                    t: c[3].to_owned(),
                    monetary_value: c[4].parse().unwrap(),
                    recency_days: c[5].to_owned(),
                    frequency_tx: c[6].to_owned(),
                    monetary_sum: c[7].parse().unwrap(),
                    discounted_share: c[8].parse().unwrap(),
                    scores: [
                        c[9].parse().unwrap(),
                        c[10].parse().unwrap(),
                        c[11].parse().unwrap(),
                    ],
                    segment: c[12].to_owned(),
                },
            )
        })
        .collect()
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cxjourney-rfm-")
        .tempdir()
        .unwrap()
}

#[test]
fn example_reproduces_the_reference_set() {
    let file = format!("{DATA}/data/transactions_small.csv");
    let out = run(&[&file, "--as-of", "2024-12-31"]);
    check_against_reference(&example_rows(&out, "small set"));
    // Money is printed exactly: the sum in cents, the share and the mean as
    // the shortest text that reads back the same float.
    assert!(
        out.stdout.contains("\n2,2,127,144,73.27,17,3,195.42,"),
        "{}",
        out.stdout
    );
    // Threads and argument order do not change a byte.
    let again = run(&["--threads", "3", "--as-of", "2024-12-31", &file]);
    assert_eq!(again.stdout, out.stdout);
    // Nor do benchmark rounds, which list their times.
    let rounds = run(&[&file, "--as-of", "2024-12-31", "--rounds", "3"]);
    assert_eq!(rounds.stdout, out.stdout);
    let line: serde_json::Value = serde_json::from_str(rounds.stderr.trim()).unwrap();
    assert_eq!(line["rounds"].as_array().unwrap().len(), 3);
    assert_eq!(line["compute_seconds"], line["rounds"][0]);
}

#[test]
fn example_reads_real_world_variations_alike() {
    let text = std::fs::read_to_string(format!("{DATA}/data/transactions_small.csv")).unwrap();
    let canonical = run(&[
        &format!("{DATA}/data/transactions_small.csv"),
        "--as-of",
        "2024-12-31",
    ]);
    assert_eq!(canonical.code, Some(0));
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let mut shuffled = lines.clone();
    shuffled.reverse();
    shuffled.rotate_left(100);
    let variations: Vec<(&str, String)> = vec![
        (
            "rows reversed and rotated",
            format!("{header}\n{}\n", shuffled.join("\n")),
        ),
        (
            "CRLF and a byte-order mark",
            format!("\u{feff}{}", text.replace('\n', "\r\n")),
        ),
        (
            "blank lines and spaces around cells",
            text.replace(',', " , ").replace("\n3", "\n\n\n3"),
        ),
        (
            "quoted cells and another column order",
            std::iter::once("amount,\"discounted\",extra,customer_id,ts".to_owned())
                .chain(lines.iter().map(|l| {
                    let rec = crate::common::cells::of(l);
                    let c: Vec<&str> = rec.iter().collect();
                    format!(
                        "\"{}\",{},x,\"{}\",{}",
                        c[2],
                        c[3].to_uppercase(),
                        c[0],
                        c[1]
                    )
                }))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "times with an offset and amounts with trailing zeros",
            std::iter::once(header.to_owned())
                .chain(lines.iter().map(|l| {
                    let rec = crate::common::cells::of(l);
                    let c: Vec<&str> = rec.iter().collect();
                    let t = cxjourney::log::parse_timestamp(c[1]).unwrap() + TimeDelta::hours(7);
                    let local = t.naive_utc().format("%Y-%m-%dT%H:%M:%S+07:00");
                    format!("{},{local},{}0,{}", c[0], c[2], c[3])
                }))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ];
    let dir = scratch();
    for (i, (what, content)) in variations.iter().enumerate() {
        let path = dir.path().join(format!("{i}.csv"));
        std::fs::write(&path, content).unwrap();
        let out = run(&[path.to_str().unwrap(), "--as-of", "2024-12-31"]);
        assert_eq!(out.code, Some(0), "{what}: {}", out.stderr);
        assert_eq!(out.stdout, canonical.stdout, "{what}");
    }
}

#[test]
fn example_text_ids_sort_after_integers_and_are_quoted() {
    let dir = scratch();
    let path = dir.path().join("t.csv");
    std::fs::write(
        &path,
        "customer_id,ts,amount,discounted\n\"b,1\",2024-12-01T00:00:00Z,1.00,false\n10,2024-12-02T00:00:00Z,2.00,true\n9,2024-12-03T00:00:00Z,3.00,false\na,2024-12-04T00:00:00Z,4.00,false\n",
    )
    .unwrap();
    let out = run(&[path.to_str().unwrap(), "--as-of", "2024-12-31"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.rsplitn(13, ',').last().unwrap())
        .collect();
    assert_eq!(ids, ["9", "10", "a", "\"b,1\""]);
}

#[test]
fn example_rejects_malformed_input_with_one_line() {
    let dir = scratch();
    let cases: [(&str, &str, &[&str]); 9] = [
        ("empty", "", &["empty file"]),
        (
            "no amount column",
            "customer_id,ts\n1,2024-01-01T00:00:00Z\n",
            &["line 1", "\"amount\""],
        ),
        (
            "bad amount",
            "customer_id,ts,amount,discounted\n1,2024-01-01T00:00:00Z,1.00,false\n2,2024-01-02T00:00:00Z,abc,false\n",
            &["line 3", "amount", "\"abc\""],
        ),
        (
            "negative amount",
            "customer_id,ts,amount\n1,2024-01-01T00:00:00Z,-5\n",
            &["line 2", "amount", "\"-5\"", "negative"],
        ),
        (
            "bad time",
            "customer_id,ts,amount\n1,yesterday,1\n",
            &["line 2", "ts", "\"yesterday\""],
        ),
        (
            "empty id",
            "customer_id,ts,amount\n,2024-01-01T00:00:00Z,1\n",
            &["line 2", "customer_id", "empty customer id"],
        ),
        (
            "bad flag",
            "customer_id,ts,amount,discounted\n1,2024-01-01T00:00:00Z,1,maybe\n",
            &["line 2", "discounted", "\"maybe\""],
        ),
        (
            "short row",
            "customer_id,ts,amount,discounted\n1,2024-01-01T00:00:00Z,1\n",
            &["line 2", "3 fields"],
        ),
        (
            "too many decimals",
            "customer_id,ts,amount\n1,2024-01-01T00:00:00Z,1.005\n",
            &["line 2", "\"1.005\"", "decimals"],
        ),
    ];
    for (i, (what, content, needles)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("{i}.csv"));
        std::fs::write(&path, content).unwrap();
        let out = run(&[path.to_str().unwrap(), "--as-of", "2024-12-31"]);
        assert_error(&out, needles, what);
    }
    let missing = dir.path().join("missing.csv");
    assert_error(
        &run(&[missing.to_str().unwrap(), "--as-of", "2024-12-31"]),
        &["cannot open"],
        "missing file",
    );
    let file = format!("{DATA}/data/transactions_small.csv");
    assert_error(&run(&[&file]), &["--as-of"], "no --as-of");
    assert_error(
        &run(&[&file, "--as-of", "31/12/2024"]),
        &["31/12/2024"],
        "bad date",
    );
    assert_error(
        &run(&[&file, "--as-of", "2024-12-31", "--bins", "0"]),
        &["bins"],
        "bins",
    );
    assert_error(
        &run(&[&file, "--as-of", "2024-12-31", "--segments", "nope"]),
        &["nope"],
        "segments",
    );
}

fn assert_error(out: &Out, needles: &[&str], what: &str) {
    assert!(
        out.code.is_some_and(|c| c != 0 && c != 101),
        "{what}: exit {:?}, stderr {}",
        out.code,
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{what}: printed {}", out.stdout);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{what}: {}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{what}: {}", out.stderr);
    for n in needles {
        assert!(
            out.stderr.contains(n),
            "{what}: {n:?} not in {}",
            out.stderr
        );
    }
}

#[test]
fn example_takes_rule_sets_as_data() {
    let dir = scratch();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"name": "two", "rules": [{"name": "recent", "r": [4, 5]}], "others": "rest"}"#,
    )
    .unwrap();
    let file = format!("{DATA}/data/transactions_small.csv");
    let out = run(&[
        &file,
        "--as-of",
        "2024-12-31",
        "--segments",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for line in out.stdout.lines().skip(1) {
        let rec = crate::common::cells::of(line);
        let c: Vec<&str> = rec.iter().collect();
        let r: u8 = c[9].parse().unwrap();
        assert_eq!(c[12], if r >= 4 { "recent" } else { "rest" }, "{line}");
    }
}

// ---------------------------------------------------------------------------
// Properties

/// Orders of customers 1..=8 over 2024 and January 2025, amounts 0 to 50.00.
fn arb_orders() -> impl Strategy<Value = Vec<(u64, i64, i64, bool)>> {
    proptest::collection::vec((1u64..9, 0i64..400 * 24, 0i64..5_000, any::<bool>()), 0..60)
}

fn order(c: u64, hour: i64, minor: i64, discounted: bool) -> Touchpoint {
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    Touchpoint::new(
        CustomerId(c),
        t0 + TimeDelta::hours(hour),
        BuiltinKind::OrderCompleted,
    )
    .with_value(Money::new(minor, Currency::IDR).unwrap())
    .with_discounted(discounted)
}

fn log_of(orders: &[(u64, i64, i64, bool)]) -> EventLog {
    EventLog::from_touchpoints(
        orders.iter().map(|&(c, h, m, d)| order(c, h, m, d)),
        &JourneyConfig::default(),
    )
    .unwrap()
}

fn report_of(orders: &[(u64, i64, i64, bool)], config: &RfmConfig) -> RfmReport {
    run_on_log::<RfmAccumulator>(&log_of(orders), config, 1).unwrap()
}

fn customer(report: &RfmReport, id: u64) -> Option<&CustomerRfm> {
    report
        .customers
        .iter()
        .find(|c| c.customer == CustomerKey::Id(id))
}

proptest! {
    /// Any split, any merge order, through serde, equals the whole.
    #[test]
    fn rfm_keeps_the_contract(orders in arb_orders(), bins in 1u8..8, cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let log = log_of(&orders);
        let config = RfmConfig::new(as_of()).bins(bins).segments(RuleSet::rfm_package());
        check_contract::<RfmAccumulator>(&log, &config, &cuts);
        let one = run_on_log::<RfmAccumulator>(&log, &config, 1).unwrap();
        for threads in 2..=3 {
            prop_assert_eq!(&run_on_log::<RfmAccumulator>(&log, &config, threads).unwrap(), &one);
        }
    }

    /// Scores stay within 1..=bins, and the segment is the rule set's.
    #[test]
    fn scores_are_within_the_bins(orders in arb_orders(), bins in 1u8..=20, mean in any::<bool>()) {
        let monetary = if mean { MonetaryBasis::Mean } else { MonetaryBasis::Sum };
        let config = RfmConfig::new(as_of()).bins(bins).monetary(monetary);
        let report = report_of(&orders, &config);
        for c in &report.customers {
            for s in [c.r_score, c.f_score, c.m_score] {
                prop_assert!((1..=bins).contains(&s));
            }
            prop_assert_eq!(&*c.segment, config.segments.segment_of(c.cell()));
            prop_assert!(c.frequency < c.frequency_tx.max(1));
            prop_assert!(c.recency <= c.t);
        }
    }

    /// One more order never lowers the customer's F score.
    #[test]
    fn an_added_order_never_lowers_f(orders in arb_orders(), extra in (1u64..9, 0i64..366 * 24, 0i64..5_000), bins in 1u8..8) {
        let config = RfmConfig::new(as_of()).bins(bins);
        let before = report_of(&orders, &config);
        let mut more = orders.clone();
        more.push((extra.0, extra.1, extra.2, false));
        let after = report_of(&more, &config);
        let new = customer(&after, extra.0).unwrap();
        if let Some(old) = customer(&before, extra.0) {
            prop_assert!(new.f_score >= old.f_score, "F {} -> {}", old.f_score, new.f_score);
            prop_assert_eq!(new.frequency_tx, old.frequency_tx + 1);
        }
    }

    /// A later last order never lowers the customer's R score.
    #[test]
    fn a_later_last_order_never_lowers_r(orders in arb_orders(), who in 1u64..9, later in 1i64..200, bins in 1u8..8) {
        let config = RfmConfig::new(as_of()).bins(bins);
        let before = report_of(&orders, &config);
        let Some(old) = customer(&before, who) else { return Ok(()) };
        // Move the customer's last order (on or before the analysis date) later.
        let end = (366 * 24) - 1;
        let last = orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.0 == who && o.1 <= end)
            .max_by_key(|(_, o)| o.1)
            .map(|(i, _)| i)
            .unwrap();
        let mut moved = orders.clone();
        moved[last].1 = (moved[last].1 + later * 24).min(end);
        let after = report_of(&moved, &config);
        let new = customer(&after, who).unwrap();
        prop_assert!(new.recency_days <= old.recency_days);
        prop_assert!(new.r_score >= old.r_score, "R {} -> {}", old.r_score, new.r_score);
    }

    /// Random bytes never panic the reader.
    #[test]
    fn the_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut input = b"customer_id,ts,amount,discounted\n".to_vec();
        input.extend(bytes);
        let _ = read_transactions_log(input.as_slice(), &TransactionCsvOptions::default());
    }
}
