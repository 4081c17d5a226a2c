//! Funnels against ClickHouse `windowFunnel` (chdb 4.4.0, ClickHouse 26.9):
//! every per-user level of `tests/data/ref/funnel_{small,edge}_levels.csv`
//! for every configuration there, through `Funnel::levels` on the log read by
//! `read_csv`, through the accumulator and the witnesses on journey views, and
//! through the `funnel` example.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::funnel::{Funnel, FunnelConfig, Step};
use cxjourney::log::{CsvOptions, read_csv};

/// The reference set (inputs in `data/`, reference outputs in `ref/`;
/// provenance in its README.md).
const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const STEPS: [&str; 4] = ["product_view", "add_to_cart", "checkout_start", "purchase"];

/// (window, mode, column in the levels file)
fn configs() -> Vec<(i64, &'static str, String)> {
    let mut out = Vec::new();
    for w in [3600, 604_800] {
        for m in [
            "default",
            "strict_order",
            "strict_deduplication",
            "strict_increase",
        ] {
            out.push((w, m, format!("wf_{w}_{m}")));
        }
    }
    out
}

struct Events {
    rows: Vec<(u64, DateTime<Utc>, String)>,
}

fn read_events(name: &str) -> Events {
    let text = std::fs::read_to_string(format!("{PEERS}/data/{name}")).unwrap();
    let mut rows = Vec::new();
    for record in csv::Reader::from_reader(text.as_bytes()).records() {
        let record = record.unwrap();
        let f: Vec<&str> = record.iter().collect();
        rows.push((
            f[0].parse().unwrap(),
            DateTime::parse_from_rfc3339(f[1])
                .unwrap()
                .with_timezone(&Utc),
            f[2].to_owned(),
        ));
    }
    Events { rows }
}

/// column name -> (user -> level)
fn read_levels(name: &str) -> BTreeMap<String, BTreeMap<u64, u8>> {
    let text = std::fs::read_to_string(format!("{PEERS}/ref/{name}")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut out: BTreeMap<String, BTreeMap<u64, u8>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let f: Vec<&str> = record.iter().collect();
        let user: u64 = f[0].parse().unwrap();
        for (col, v) in header.iter().zip(&f).skip(1) {
            out.entry((*col).to_owned())
                .or_default()
                .insert(user, v.parse().unwrap());
        }
    }
    out
}

fn check_compact(data: &str, levels: &str) {
    let text = std::fs::read(format!("{PEERS}/data/{data}")).unwrap();
    let (log, _) = read_csv(text.as_slice(), &CsvOptions::default()).unwrap();
    let reference = read_levels(levels);
    for (w, m, col) in configs() {
        let f = Funnel::new(
            FunnelConfig::new(STEPS.map(Step::event).to_vec(), TimeDelta::seconds(w))
                .with_mode(m.parse().unwrap()),
        )
        .unwrap();
        let levels = f.levels(&log, 0..log.customer_count()).unwrap();
        let got: BTreeMap<u64, u8> = log.customers().iter().map(|c| c.0).zip(levels).collect();
        assert_eq!(&got, &reference[&col], "{data} {col}");
    }
}

#[test]
fn log_levels_reproduce_clickhouse_small() {
    check_compact("events_small.csv", "funnel_small_levels.csv");
}

#[test]
fn log_levels_reproduce_clickhouse_edge_cases() {
    check_compact("funnel_edge_cases.csv", "funnel_edge_levels.csv");
}

/// Runs the example and returns its JSON line and the levels file.
fn run_example(args: &[&str], levels_out: &std::path::Path) -> (serde_json::Value, String) {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--example", "funnel", "--"])
        .args(args)
        .arg("--levels")
        .arg(levels_out)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = serde_json::from_slice(&out.stdout).unwrap();
    (json, std::fs::read_to_string(levels_out).unwrap())
}

/// A per-test scratch directory, removed when dropped (also when the test
/// fails).
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cxjourney-funnel-")
        .tempdir()
        .unwrap()
}

fn check_example(data: &str, levels: &str, counts: &str) {
    let reference = read_levels(levels);
    let counts_text = std::fs::read_to_string(format!("{PEERS}/ref/{counts}")).unwrap();
    let tmp = scratch();
    let dir = tmp.path();
    let file = format!("{PEERS}/data/{data}");
    // Each configuration, also with `--journeys` (accepted as a no-op since
    // the log path is the only one).
    for ((w, m, col), via) in configs()
        .into_iter()
        .flat_map(|c| [(c.clone(), None), (c, Some("--journeys"))])
    {
        let out_path = dir.join(format!("{data}-{col}.csv"));
        let window = w.to_string();
        let mut args = vec![
            "--window",
            &window,
            "--steps",
            "product_view,add_to_cart,checkout_start,purchase",
        ];
        args.extend(via);
        if m != "default" {
            args.extend(["--mode", m]);
        }
        args.push(&file);
        let (json, text) = run_example(&args, &out_path);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("user_id,level"));
        let got: BTreeMap<u64, u8> = lines
            .map(|l| {
                let (u, v) = l.split_once(',').unwrap();
                (u.parse().unwrap(), v.parse().unwrap())
            })
            .collect();
        assert_eq!(&got, &reference[&col], "{data} {col} {via:?}");
        // counts against funnel_*_level_counts.csv
        let mut at_level = vec![0u64; 5];
        let mut reaching = [0u64; 5];
        for record in csv::Reader::from_reader(counts_text.as_bytes()).records() {
            let record = record.unwrap();
            let f: Vec<&str> = record.iter().collect();
            if f[0] == col {
                let k: usize = f[1].parse().unwrap();
                at_level[k] = f[2].parse().unwrap();
                reaching[k] = f[3].parse().unwrap();
            }
        }
        assert_eq!(json["customers"], serde_json::json!(reaching[0]), "{col}");
        assert_eq!(json["at_level"], serde_json::json!(at_level), "{col}");
        assert_eq!(
            json["reaching"],
            serde_json::json!(reaching[1..].to_vec()),
            "{col}"
        );
        assert!(json["compute_seconds"].as_f64().unwrap() >= 0.0);
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4);
    }
}

#[test]
fn example_reproduces_clickhouse_small_and_edge_cases() {
    check_example(
        "events_small.csv",
        "funnel_small_levels.csv",
        "funnel_small_level_counts.csv",
    );
    check_example(
        "funnel_edge_cases.csv",
        "funnel_edge_levels.csv",
        "funnel_edge_level_counts.csv",
    );
}

#[test]
fn example_rejects_malformed_input_with_a_message() {
    let tmp = scratch();
    let dir = tmp.path();
    let cases = [
        ("no_header.csv", "", "empty file"),
        (
            "bad_user.csv",
            "user_id,ts,event\n,2024-01-01T00:00:00Z,purchase\n",
            "empty user_id",
        ),
        (
            "bad_ts.csv",
            "user_id,ts,event\n1,2024-13-01T00:00:00Z,purchase\n",
            "line 2",
        ),
        (
            "short.csv",
            "user_id,ts,event\n1,2024-01-01T00:00:00Z\n",
            "2 fields",
        ),
        (
            "wrong_header.csv",
            "user,ts,event\n",
            "no column \"user_id\"",
        ),
    ];
    for (name, body, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        let out = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "run",
                "--quiet",
                "--example",
                "funnel",
                "--",
                "--window",
                "60",
                "--steps",
                "a,b",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--quiet",
            "--example",
            "funnel",
            "--",
            "--window",
            "60",
            "--mode",
            "strictest",
            "--steps",
            "a",
        ])
        .arg(dir.join("bad_ts.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("strictest"));
}

mod journeys {
    use super::*;
    use cxjourney::funnel::{FunnelAccumulator, StopReason};
    use cxjourney::{Accumulator, CustomerId, EventMap, Journey, JourneyConfig, Touchpoint};

    fn journeys(data: &str) -> Vec<Journey> {
        let map = EventMap::standard().fallback_to_custom();
        let tps: Vec<Touchpoint> = read_events(data)
            .rows
            .into_iter()
            .map(|(u, t, e)| {
                let (kind, name) = map.convert(&e).unwrap();
                Touchpoint::new(CustomerId(u), t, kind).with_event(name)
            })
            .collect();
        Journey::group(tps, &JourneyConfig::default()).unwrap()
    }

    fn funnel(w: i64, m: &str) -> Funnel {
        Funnel::new(
            FunnelConfig::new(STEPS.map(Step::event).to_vec(), TimeDelta::seconds(w))
                .with_mode(m.parse().unwrap()),
        )
        .unwrap()
    }

    fn check(data: &str, levels: &str) {
        let js = journeys(data);
        let reference = read_levels(levels);
        for (w, m, col) in configs() {
            let f = funnel(w, m);
            let mut got = BTreeMap::new();
            let mut traced = BTreeMap::new();
            let mut acc = FunnelAccumulator::new(&f).unwrap();
            for j in &js {
                got.insert(j.customer().0, f.level(j.view()).unwrap() as u8);
                traced.insert(
                    j.customer().0,
                    f.witness(j.view()).unwrap().path.level as u8,
                );
                acc.add(j.view()).unwrap();
            }
            assert_eq!(&got, &reference[&col], "{data} {col} level");
            assert_eq!(&traced, &reference[&col], "{data} {col} witness");
            let report = acc.finish().unwrap();
            let mut at = vec![0u64; 5];
            for l in reference[&col].values() {
                at[usize::from(*l)] += 1;
            }
            assert_eq!(report.at_level, at, "{data} {col} report");
            for k in 0..4 {
                assert_eq!(report.steps[k].reached, at[k + 1..].iter().sum::<u64>());
            }
        }
    }

    #[test]
    fn journey_api_reproduces_clickhouse_small() {
        check("events_small.csv", "funnel_small_levels.csv");
    }

    #[test]
    fn journey_api_reproduces_clickhouse_edge_cases() {
        check("funnel_edge_cases.csv", "funnel_edge_levels.csv");
    }

    #[test]
    fn witnesses_explain_the_edge_cases() {
        let js = journeys("funnel_edge_cases.csv");
        let by_id = |id: u64| js.iter().find(|j| j.customer().0 == id).unwrap().view();
        // 900002: add_to_cart 3601 s after product_view
        let w = funnel(3600, "default").witness(by_id(900_002)).unwrap();
        assert_eq!(w.path.stop, StopReason::OutOfWindow { step: 2 });
        // 900005: pv, atc, atc, co, pur under strict_deduplication
        let w = funnel(3600, "strict_deduplication")
            .witness(by_id(900_005))
            .unwrap();
        assert_eq!(w.path.stop, StopReason::Duplicate { step: 2 });
        assert_eq!(w.path.level, 2);
        // 900006: review_read between product_view and add_to_cart
        let w = funnel(3600, "strict_order")
            .witness(by_id(900_006))
            .unwrap();
        assert!(matches!(w.path.stop, StopReason::StrictOrderBreak { .. }));
        // 900010: no product_view at all
        let w = funnel(3600, "default").witness(by_id(900_010)).unwrap();
        assert_eq!(w.path.stop, StopReason::NeverReached { step: 1 });
        // 900003: same-second pv and atc under strict_increase
        let w = funnel(3600, "strict_increase")
            .witness(by_id(900_003))
            .unwrap();
        assert_eq!(w.path.stop, StopReason::TooSoon { step: 2 });
        let text = w.to_string();
        assert!(
            text.contains("product_view") && text.contains("too soon"),
            "{text}"
        );
        let w = funnel(3600, "default").witness(by_id(900_003)).unwrap();
        assert_eq!(w.path.stop, StopReason::Converted);
        assert!(w.steps.iter().all(|s| s.matched.is_some()));
    }
}
