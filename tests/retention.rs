//! Cohort retention, lifecycle and repeat buying: ClickHouse's daily
//! `retention` tables of the reference set (through the API and through the
//! `retention` example), hand-made cases for weeks, months, offsets, rolling
//! and unbounded periods, lifecycle and repeat buying, brute-force models
//! of the definitions on random logs, the accumulator laws, and the caps.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use cxjourney::log::{CsvOptions, EventLog, read_csv};
use cxjourney::retention::{
    Activity, Boundaries, Calendar, LifecycleAccumulator, LifecycleConfig, LifecycleReport,
    MAX_PERIODS, NewMeans, Period, RepeatBuyingAccumulator, RepeatBuyingConfig,
    RetentionAccumulator, RetentionConfig, RetentionReport, Step,
};
use cxjourney::{
    Accumulator, BuiltinKind as K, CustomerId, Error, EventMap, EventName, JourneyConfig,
    Touchpoint, TouchpointKind, run_on_log,
};
use proptest::prelude::*;

/// The reference set (inputs in `data/`, reference outputs in `ref/`).
const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// (cohort, users, d0..d7) of a reference table.
fn read_reference(name: &str) -> Vec<(String, u64, Vec<u64>)> {
    let text = std::fs::read_to_string(format!("{PEERS}/ref/{name}")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..2], ["cohort", "users"]);
    assert_eq!(
        header[2..],
        ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let n: Vec<u64> = r.iter().skip(1).map(|v| v.parse().unwrap()).collect();
            (r[0].to_owned(), n[0], n[1..].to_vec())
        })
        .collect()
}

fn read_log(name: &str) -> EventLog {
    let file = std::fs::File::open(format!("{PEERS}/data/{name}")).unwrap();
    let options = CsvOptions::default().events(EventMap::standard().fallback_to_custom());
    read_csv(std::io::BufReader::new(file), &options).unwrap().0
}

fn table(report: &RetentionReport) -> Vec<(String, u64, Vec<u64>)> {
    report
        .cohorts
        .iter()
        .map(|c| (c.cohort.to_string(), c.users, c.on.clone()))
        .collect()
}

const REFERENCES: [(&str, &str); 2] = [
    ("events_small.csv", "retention_small_daily.csv"),
    ("funnel_edge_cases.csv", "retention_edge_daily.csv"),
];

#[test]
fn daily_tables_equal_clickhouse_through_the_api() {
    for (data, reference) in REFERENCES {
        let want = read_reference(reference);
        let log = read_log(data);
        let config = RetentionConfig::default();
        for threads in 1..=3 {
            let report = run_on_log::<RetentionAccumulator>(&log, &config, threads).unwrap();
            assert_eq!(table(&report), want, "{data} on {threads} threads");
            assert_eq!(report.in_cohorts, log.customer_count() as u64);
        }
        // Cut in two, one half through a serde round trip, merged.
        let mut a = RetentionAccumulator::new(&config).unwrap();
        let mut b = RetentionAccumulator::new(&config).unwrap();
        let half = log.customer_count() / 2;
        for j in log.journeys_in(0..half) {
            a.add(j).unwrap();
        }
        for j in log.journeys_in(half..log.customer_count()) {
            b.add(j).unwrap();
        }
        let b: RetentionAccumulator =
            serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        a.merge(b).unwrap();
        assert_eq!(table(&a.finish().unwrap()), want, "{data} merged");
        // With a custom return event matching every row, the same table.
        let every = Activity::matching(Step::when("every row", |_| true));
        let config = RetentionConfig::default().with_return(every);
        let report = run_on_log::<RetentionAccumulator>(&log, &config, 2).unwrap();
        assert_eq!(table(&report), want, "{data} through the matcher");
    }
}

/// The example's JSON, without `compute_seconds`.
fn run_example(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--example", "retention", "--"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let seconds = v
        .as_object_mut()
        .unwrap()
        .remove("compute_seconds")
        .unwrap();
    assert!(seconds.as_f64().unwrap() >= 0.0);
    v
}

#[test]
fn daily_tables_equal_clickhouse_through_the_example() {
    for (data, reference) in REFERENCES {
        let path = format!("{PEERS}/data/{data}");
        let want: Vec<serde_json::Value> = read_reference(reference)
            .into_iter()
            .map(|(c, users, days)| serde_json::json!({"cohort": c, "users": users, "days": days}))
            .collect();
        for args in [
            vec![path.as_str()],
            vec!["--days", "7", path.as_str(), "--threads", "1"],
            vec![path.as_str(), "--regroup"],
            vec![path.as_str(), "--regroup", "--threads", "3"],
        ] {
            assert_eq!(
                run_example(&args),
                serde_json::json!({ "cohorts": want }),
                "{data} {args:?}"
            );
        }
        // Fewer days: the same table, cut.
        let three: Vec<serde_json::Value> = read_reference(reference)
            .into_iter()
            .map(|(c, users, days)| {
                serde_json::json!({"cohort": c, "users": users, "days": days[..4]})
            })
            .collect();
        assert_eq!(
            run_example(&[&path, "--days", "3"]),
            serde_json::json!({ "cohorts": three })
        );
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn tp(c: u64, s: &str, k: K) -> Touchpoint {
    Touchpoint::new(CustomerId(c), at(s), k)
}

fn log_of(tps: Vec<Touchpoint>) -> EventLog {
    EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap()
}

fn retention(log: &EventLog, config: &RetentionConfig) -> RetentionReport {
    run_on_log::<RetentionAccumulator>(log, config, 1).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn calendar_and_rolling_days() {
    let log = log_of(vec![
        tp(1, "2024-01-01T23:00:00Z", K::ProductView),
        tp(1, "2024-01-02T01:00:00Z", K::ProductView), // calendar day 1, 2 h later
        tp(1, "2024-01-03T22:00:00Z", K::ProductView), // calendar day 2, 47 h later
        tp(2, "2024-01-01T00:00:00Z", K::ProductView),
        tp(2, "2024-01-02T00:00:00Z", K::ProductView), // exactly 24 h: both day 1
    ]);
    let calendar = retention(&log, &RetentionConfig::new(Period::Day, 3));
    assert_eq!(calendar.cohorts.len(), 1);
    assert_eq!(calendar.cohorts[0].on, [2, 2, 1, 0]);
    let rolling = retention(
        &log,
        &RetentionConfig::new(Period::Day, 3).with_boundaries(Boundaries::Rolling),
    );
    assert_eq!(rolling.cohorts[0].on, [2, 2, 0, 0]);
    assert_eq!(rolling.cohorts[0].on_or_after, [2, 2, 0, 0]);
    assert_eq!(rolling.cohorts[0].cohort, date("2024-01-01"));
}

#[test]
fn weeks_from_monday_or_sunday_and_months() {
    // 2024-01-07 was a Sunday.
    let log = log_of(vec![
        tp(1, "2024-01-07T10:00:00Z", K::ProductView),
        tp(1, "2024-01-08T10:00:00Z", K::ProductView),
        tp(1, "2024-01-31T10:00:00Z", K::ProductView),
        tp(1, "2024-02-01T10:00:00Z", K::ProductView),
        tp(1, "2024-03-31T10:00:00Z", K::ProductView),
    ]);
    let monday = retention(&log, &RetentionConfig::new(Period::Week, 4));
    assert_eq!(monday.cohorts[0].cohort, date("2024-01-01"));
    // Weeks from 01-01: 0 (01-07), 1 (01-08), 4 (01-31), 4 (02-01).
    assert_eq!(monday.cohorts[0].on, [1, 1, 0, 0, 1]);
    let sunday = retention(
        &log,
        &RetentionConfig::new(Period::Week, 4)
            .with_calendar(Calendar::utc().weeks_from(Weekday::Sun)),
    );
    assert_eq!(sunday.cohorts[0].cohort, date("2024-01-07"));
    // Weeks from 01-07: 0 (01-07, 01-08), 3 (01-31), 3 (02-01).
    assert_eq!(sunday.cohorts[0].on, [1, 0, 0, 1, 0]);
    let months = retention(&log, &RetentionConfig::new(Period::Month, 3));
    assert_eq!(months.cohorts[0].cohort, date("2024-01-01"));
    assert_eq!(months.cohorts[0].on, [1, 1, 1, 0]);
    let rolling_weeks = retention(
        &log,
        &RetentionConfig::new(Period::Week, 4).with_boundaries(Boundaries::Rolling),
    );
    // 7 x 24 h windows from 01-07 10:00: 0, 0, 3 (24 days), 3 (25 days).
    assert_eq!(rolling_weeks.cohorts[0].on, [1, 0, 0, 1, 0]);
    assert!(matches!(
        RetentionAccumulator::new(
            &RetentionConfig::new(Period::Month, 3).with_boundaries(Boundaries::Rolling)
        ),
        Err(Error::InvalidConfig {
            field: "boundaries",
            ..
        })
    ));
}

#[test]
fn a_utc_offset_moves_midnight() {
    // 16:30 UTC is 23:30 in Jakarta (WIB, +07:00); 17:30 UTC is 00:30 the next day.
    let log = log_of(vec![
        tp(1, "2024-01-01T16:30:00Z", K::ProductView),
        tp(1, "2024-01-01T17:30:00Z", K::ProductView),
        tp(2, "2024-01-01T17:30:00Z", K::ProductView), // 2024-01-02 in Jakarta
    ]);
    let utc = retention(&log, &RetentionConfig::new(Period::Day, 1));
    assert_eq!(table(&utc), [("2024-01-01".into(), 2, vec![2, 0])]);
    let wib = retention(
        &log,
        &RetentionConfig::new(Period::Day, 1).with_calendar(Calendar::WIB),
    );
    assert_eq!(
        table(&wib),
        [
            ("2024-01-01".into(), 1, vec![1, 1]),
            ("2024-01-02".into(), 1, vec![1, 0])
        ]
    );
    assert_eq!(wib.calendar.utc_offset_minutes, 420);
    assert!(
        RetentionAccumulator::new(
            &RetentionConfig::default().with_calendar(Calendar::utc().offset_minutes(24 * 60))
        )
        .is_err()
    );
}

#[test]
fn on_or_after_is_unbounded() {
    let log = log_of(vec![
        tp(1, "2024-01-01T10:00:00Z", K::ProductView),
        tp(1, "2024-01-06T10:00:00Z", K::ProductView), // day 5, beyond the table
        tp(2, "2024-01-01T10:00:00Z", K::ProductView),
        tp(2, "2024-01-02T10:00:00Z", K::ProductView), // day 1 only
        tp(3, "2024-01-01T10:00:00Z", K::ProductView),
    ]);
    let r = retention(&log, &RetentionConfig::new(Period::Day, 2));
    let c = &r.cohorts[0];
    assert_eq!(c.on, [3, 1, 0]);
    assert_eq!(c.on_or_after, [3, 2, 1]);
    assert_eq!(c.on_or_after_rate[2], 1.0 / 3.0);
}

#[test]
fn cohorts_by_first_order_and_returns_by_kind_or_event_name() {
    let log = log_of(vec![
        tp(1, "2024-01-01T10:00:00Z", K::ProductView),
        tp(1, "2024-01-03T09:00:00Z", K::ProductView), // before the order, same day
        tp(1, "2024-01-03T10:00:00Z", K::OrderCompleted).with_event(EventName::new("purchase")),
        tp(1, "2024-01-04T10:00:00Z", K::ProductView),
        tp(1, "2024-01-10T10:00:00Z", K::OrderCompleted),
        tp(2, "2024-01-01T10:00:00Z", K::ProductView), // never orders
        tp(3, "2024-01-03T12:00:00Z", K::OrderCompleted),
    ]);
    let by_order = RetentionConfig::new(Period::Day, 7).with_cohort(Activity::orders());
    let r = retention(&log, &by_order);
    assert_eq!((r.customers, r.in_cohorts), (3, 2));
    assert_eq!(
        table(&r),
        [("2024-01-03".into(), 2, vec![2, 1, 0, 0, 0, 0, 0, 1])]
    );
    // Orders as returns: the first order is day 0.
    let r = retention(&log, &by_order.clone().with_return(Activity::orders()));
    assert_eq!(r.cohorts[0].on, [2, 0, 0, 0, 0, 0, 0, 1]);
    // By source event name: only the row converted from "purchase".
    let r = retention(&log, &by_order.with_return(Activity::event("purchase")));
    assert_eq!(r.cohorts[0].on, [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(r.return_event, "event purchase");
    // First touch, returns by order: d0 counts who ordered on the first day.
    let r = retention(
        &log,
        &RetentionConfig::new(Period::Day, 2).with_return(Activity::orders()),
    );
    assert_eq!(
        table(&r),
        [
            ("2024-01-01".into(), 2, vec![0, 0, 1]),
            ("2024-01-03".into(), 1, vec![1, 0, 0])
        ]
    );
}

#[test]
fn the_mean_curve_weighs_cohorts_old_enough() {
    let log = log_of(vec![
        tp(1, "2024-01-01T10:00:00Z", K::ProductView),
        tp(1, "2024-01-02T10:00:00Z", K::ProductView),
        tp(1, "2024-01-04T10:00:00Z", K::ProductView),
        tp(2, "2024-01-01T11:00:00Z", K::ProductView),
        tp(3, "2024-01-03T10:00:00Z", K::ProductView),
        tp(3, "2024-01-04T10:00:00Z", K::ProductView),
        tp(3, "2024-01-09T10:00:00Z", K::ProductView), // after as_of
    ]);
    let config = RetentionConfig::new(Period::Day, 4).with_as_of(at("2024-01-04T12:00:00Z"));
    let r = retention(&log, &config);
    assert_eq!(r.observed_until, Some(at("2024-01-04T12:00:00Z")));
    let [a, b] = &r.cohorts[..] else { panic!() };
    assert_eq!(
        (a.users, a.observed_periods, &a.on[..]),
        (2, 4, &[2, 1, 0, 1, 0][..])
    );
    assert_eq!(
        (b.users, b.observed_periods, &b.on[..]),
        (1, 2, &[1, 1, 0, 0, 0][..])
    );
    // Period 1: both cohorts, (1 + 1) / (2 + 1); periods 2 and 3: the first only.
    assert_eq!(r.mean[1].cohorts, 2);
    assert_eq!(r.mean[1].on_rate, Some(2.0 / 3.0));
    assert_eq!((r.mean[3].cohorts, r.mean[3].on_rate), (1, Some(0.5)));
    assert_eq!((r.mean[4].cohorts, r.mean[4].on_rate), (0, None));
    // The row after as_of does not count, even on or after.
    assert_eq!(b.on_or_after, [1, 1, 0, 0, 0]);
    // Without as_of, the latest row ends observation.
    let r = retention(&log, &RetentionConfig::new(Period::Day, 4));
    assert_eq!(r.observed_until, Some(at("2024-01-09T10:00:00Z")));
    assert_eq!(r.cohorts[1].on_or_after, [1, 1, 1, 1, 1]);
    assert_eq!(r.mean[4].cohorts, 2);
    println!("{r}");
}

#[test]
fn configs_and_caps_are_checked() {
    let too_many = RetentionConfig::new(Period::Day, MAX_PERIODS + 1);
    assert!(matches!(
        RetentionAccumulator::new(&too_many),
        Err(Error::InvalidConfig {
            field: "periods",
            ..
        })
    ));
    let optional = RetentionConfig::default()
        .with_return(Activity::matching(Step::kind(K::OrderCompleted).optional()));
    assert!(RetentionAccumulator::new(&optional).is_err());
    // One customer a day for 1,200 days with 3,660 periods each: 4.4M cells.
    let base = at("2020-01-01T00:00:00Z");
    let tps: Vec<Touchpoint> = (0..1_200)
        .map(|d| Touchpoint::new(CustomerId(d), base + TimeDelta::days(d as i64), K::Login))
        .collect();
    let log = log_of(tps);
    let wide = RetentionConfig::new(Period::Day, MAX_PERIODS);
    assert!(matches!(
        run_on_log::<RetentionAccumulator>(&log, &wide, 2),
        Err(Error::TooMuchWork { .. })
    ));
    assert!(
        run_on_log::<RetentionAccumulator>(&log, &RetentionConfig::new(Period::Day, 30), 2).is_ok()
    );
    // A hostile time range: two rows 300 years apart, daily lifecycle.
    let log = log_of(vec![
        tp(1, "1900-01-01T00:00:00Z", K::Login),
        tp(2, "2200-01-01T00:00:00Z", K::Login),
    ]);
    assert!(matches!(
        run_on_log::<LifecycleAccumulator>(&log, &LifecycleConfig::new(Period::Day), 1),
        Err(Error::TooMuchWork { .. })
    ));
    let r =
        run_on_log::<LifecycleAccumulator>(&log, &LifecycleConfig::new(Period::Month), 1).unwrap();
    assert_eq!(r.periods.len(), 300 * 12 + 1);
    let bounded = LifecycleConfig::new(Period::Day)
        .with_since(at("2199-12-01T00:00:00Z"))
        .with_as_of(at("2200-01-31T00:00:00Z"));
    let r = run_on_log::<LifecycleAccumulator>(&log, &bounded, 1).unwrap();
    assert_eq!(r.periods.len(), 62);
    assert_eq!(r.periods[31].new, 1);
    assert_eq!(r.periods[32].dormant, 1);
    assert!(
        LifecycleAccumulator::new(
            &LifecycleConfig::new(Period::Day)
                .with_since(at("2024-02-01T00:00:00Z"))
                .with_as_of(at("2024-01-01T00:00:00Z"))
        )
        .is_err()
    );
    assert!(
        RepeatBuyingAccumulator::new(&RepeatBuyingConfig {
            churn_after_days: Some(30),
            ..RepeatBuyingConfig::default()
        })
        .is_err()
    );
    for edges in [vec![0, 7], vec![7, 7], vec![30, 7], (1..=65).collect()] {
        assert!(
            RepeatBuyingAccumulator::new(&RepeatBuyingConfig::default().with_gap_buckets(edges))
                .is_err()
        );
    }
}

#[test]
fn states_merge_only_with_their_own_kind() {
    let log = read_log("funnel_edge_cases.csv");
    let config = RetentionConfig::default();
    let mut live = RetentionAccumulator::new(&config).unwrap();
    let mut other = RetentionAccumulator::new(&config).unwrap();
    for j in log.journeys() {
        other.add(j).unwrap();
    }
    let mut restored: RetentionAccumulator =
        serde_json::from_str(&serde_json::to_string(&other).unwrap()).unwrap();
    // A deserialized state cannot add (it holds no closures), but merges.
    assert!(matches!(
        restored.add(log.journeys().next().unwrap()),
        Err(Error::Mismatch { .. })
    ));
    live.merge(restored).unwrap();
    assert_eq!(live.finish().unwrap().cohorts[0].users, 26);
    // Tampered states: an error, not a huge allocation or a panic.
    let mut v = serde_json::to_value(&other).unwrap();
    v["config"]["periods"] = serde_json::json!(4_000_000_000u64);
    // Refused as it is read (the configuration is checked on
    // deserialization).
    let e = serde_json::from_value::<RetentionAccumulator>(v).unwrap_err();
    assert!(e.to_string().contains("4000000000"), "{e}");
    let mut v = serde_json::to_value(&other).unwrap();
    let row = v["cohorts"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    v["cohorts"] = serde_json::json!({ i64::MAX.to_string(): row });
    let far: RetentionAccumulator = serde_json::from_value(v).unwrap();
    assert!(matches!(far.finish(), Err(Error::TimeOutOfRange { .. })));
    let mut v = serde_json::to_value(&other).unwrap();
    let key = v["cohorts"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    v["cohorts"][&key]["on"] = serde_json::json!([1]);
    let short: RetentionAccumulator = serde_json::from_value(v).unwrap();
    assert!(matches!(short.finish(), Err(Error::Mismatch { .. })));
    let weekly = RetentionAccumulator::new(&RetentionConfig::new(Period::Week, 7)).unwrap();
    let mut daily = RetentionAccumulator::new(&config).unwrap();
    assert!(matches!(daily.merge(weekly), Err(Error::Mismatch { .. })));
    // Closures: the same closure merges, another one does not.
    let step = Step::when("night", |r| chrono::Timelike::hour(&r.at()) < 6);
    let c1 = RetentionConfig::default().with_return(Activity::matching(step.clone()));
    let c2 = RetentionConfig::default().with_return(Activity::matching(Step::when("night", |r| {
        chrono::Timelike::hour(&r.at()) < 6
    })));
    let mut a = RetentionAccumulator::new(&c1).unwrap();
    a.merge(RetentionAccumulator::new(&c1).unwrap()).unwrap();
    assert!(a.merge(RetentionAccumulator::new(&c2).unwrap()).is_err());
    let mut l = LifecycleAccumulator::new(&LifecycleConfig::new(Period::Day)).unwrap();
    assert!(
        l.merge(LifecycleAccumulator::new(&LifecycleConfig::new(Period::Week)).unwrap())
            .is_err()
    );
    let mut r = RepeatBuyingAccumulator::new(&RepeatBuyingConfig::default()).unwrap();
    assert!(
        r.merge(
            RepeatBuyingAccumulator::new(&RepeatBuyingConfig::default().with_orders(Activity::Any))
                .unwrap()
        )
        .is_err()
    );
}

fn lifecycle(log: &EventLog, config: &LifecycleConfig) -> Vec<(String, [u64; 4])> {
    run_on_log::<LifecycleAccumulator>(log, config, 1)
        .unwrap()
        .periods
        .iter()
        .map(|p| {
            (
                p.start.to_string(),
                [p.new, p.returning, p.resurrecting, p.dormant],
            )
        })
        .collect()
}

#[test]
fn lifecycle_classifies_as_posthog() {
    let log = log_of(vec![
        // Active days 1, 2, 3, 6: new, returning, returning, dormant (4), resurrecting (6), dormant (7).
        tp(1, "2024-01-01T10:00:00Z", K::ProductView),
        tp(1, "2024-01-02T10:00:00Z", K::ProductView),
        tp(1, "2024-01-02T11:00:00Z", K::ProductView),
        tp(1, "2024-01-03T10:00:00Z", K::ProductView),
        tp(1, "2024-01-06T10:00:00Z", K::ProductView),
        // Seen on day 2, first order on day 4.
        tp(2, "2024-01-02T10:00:00Z", K::ProductView),
        tp(2, "2024-01-04T10:00:00Z", K::OrderCompleted),
        tp(2, "2024-01-05T10:00:00Z", K::OrderCompleted),
        tp(2, "2024-01-08T10:00:00Z", K::ProductView),
    ]);
    let any = lifecycle(&log, &LifecycleConfig::new(Period::Day));
    let want: Vec<(String, [u64; 4])> = vec![
        ("2024-01-01".into(), [1, 0, 0, 0]),
        ("2024-01-02".into(), [1, 1, 0, 0]),
        ("2024-01-03".into(), [0, 1, 0, 1]),
        ("2024-01-04".into(), [0, 0, 1, 1]),
        ("2024-01-05".into(), [0, 1, 0, 0]),
        ("2024-01-06".into(), [0, 0, 1, 1]),
        ("2024-01-07".into(), [0, 0, 0, 1]),
        ("2024-01-08".into(), [0, 0, 1, 0]),
    ];
    assert_eq!(any, want);
    // Active = orders: customer 2's first order comes after a day seen but
    // not active: PostHog calls it resurrecting; FirstActive calls it new.
    let orders = LifecycleConfig::new(Period::Day).with_active(Activity::orders());
    let posthog = lifecycle(&log, &orders);
    assert_eq!(posthog[0], ("2024-01-04".into(), [0, 0, 1, 0]));
    assert_eq!(posthog[1], ("2024-01-05".into(), [0, 1, 0, 0]));
    assert_eq!(posthog[2], ("2024-01-06".into(), [0, 0, 0, 1]));
    let first_active = lifecycle(&log, &orders.with_new_means(NewMeans::FirstActive));
    assert_eq!(first_active[0], ("2024-01-04".into(), [1, 0, 0, 0]));
    // Weeks from Monday 2024-01-01: customer 1 in week 0; customer 2 in weeks 0 and 1.
    let weeks = lifecycle(&log, &LifecycleConfig::new(Period::Week));
    assert_eq!(
        weeks,
        [
            ("2024-01-01".into(), [2, 0, 0, 0]),
            ("2024-01-08".into(), [0, 1, 0, 1])
        ]
    );
    let r =
        run_on_log::<LifecycleAccumulator>(&log, &LifecycleConfig::new(Period::Day), 2).unwrap();
    assert_eq!(r.periods[3].quick_ratio, Some(1.0));
    assert_eq!(r.periods[0].quick_ratio, None);
    println!("{r}");
}

#[test]
fn repeat_buying_counts_orders_gaps_and_churn() {
    let o = |c: u64, s: &str, id: Option<&str>| {
        let t = tp(c, s, K::OrderCompleted);
        match id {
            Some(id) => t.with_order(id),
            None => t,
        }
    };
    let log = log_of(vec![
        // Two rows of order a (items), then b 7 days later, c 30 days after b.
        o(1, "2024-01-01T10:00:00Z", Some("a")),
        o(1, "2024-01-01T10:05:00Z", Some("a")),
        o(1, "2024-01-08T10:00:00Z", Some("b")),
        o(1, "2024-02-07T10:00:00Z", Some("c")),
        // Orders without ids: each row its own order.
        o(2, "2024-01-05T00:00:00Z", None),
        o(2, "2024-01-05T00:00:00Z", None),
        // One order, exactly 30 days before as_of; one after as_of.
        o(3, "2024-01-11T10:00:00Z", None),
        o(3, "2024-03-01T10:00:00Z", None),
        tp(4, "2024-01-01T10:00:00Z", K::ProductView),
    ]);
    let config = RepeatBuyingConfig::default().with_churn(at("2024-02-10T10:00:00Z"), 30);
    let r = run_on_log::<RepeatBuyingAccumulator>(&log, &config, 2).unwrap();
    assert_eq!(
        (r.customers, r.buyers, r.repeat_buyers, r.orders),
        (4, 3, 2, 6)
    );
    assert_eq!(r.repeat_purchase_rate, Some(2.0 / 3.0));
    let hist: Vec<(u64, u64)> = r
        .buyers_by_orders
        .iter()
        .map(|c| (c.orders, c.customers))
        .collect();
    assert_eq!(hist, [(1, 1), (2, 1), (3, 1)]);
    let gaps = r.between_orders.unwrap();
    // 0 s, 7 days, 30 days.
    assert_eq!((gaps.count, gaps.median_seconds), (3, 7.0 * 86_400.0));
    assert_eq!(gaps.min_seconds, 0);
    assert_eq!(r.first_to_second.unwrap().count, 2);
    let buckets: Vec<(u32, u64)> = r
        .gap_distribution
        .iter()
        .map(|b| (b.from_days, b.count))
        .collect();
    assert_eq!(buckets[0], (0, 1)); // 0 s
    assert_eq!(buckets[2], (7, 1)); // exactly 7 days: [7, 14)
    assert_eq!(buckets[4], (30, 1)); // exactly 30 days: [30, 60)
    let churn = r.churn.unwrap();
    // Customer 1: last order 3 days before as_of; 2: 36 days; 3: exactly 30 days.
    assert_eq!((churn.active, churn.churned), (1, 2));
    // Without as_of, customer 3's later order counts.
    let all =
        run_on_log::<RepeatBuyingAccumulator>(&log, &RepeatBuyingConfig::default(), 1).unwrap();
    assert_eq!((all.repeat_buyers, all.orders, &all.churn), (3, 7, &None));
    // Orders by source event name.
    let none = RepeatBuyingConfig::default().with_orders(Activity::event("purchase"));
    let r = run_on_log::<RepeatBuyingAccumulator>(&log, &none, 1).unwrap();
    assert_eq!((r.buyers, r.between_orders), (0, None));
    println!("{all}");
}

// ---------------------------------------------------------------------------
// Random logs: the definitions, brute force; the laws; no panics.

fn arb_touchpoint(extreme: bool) -> impl Strategy<Value = Touchpoint> {
    let base = at("2024-01-01T00:00:00Z").timestamp();
    let time = if extreme {
        prop_oneof![
            6 => (0i64..40, 0i64..86_400).prop_map(move |(d, s)| base + d * 86_400 + s),
            1 => -8_000_000_000_000i64..8_000_000_000_000,
        ]
        .boxed()
    } else {
        (0i64..40, 0i64..86_400)
            .prop_map(move |(d, s)| base + d * 86_400 + s)
            .boxed()
    };
    (
        0u64..7,
        time,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
        0usize..4,
        proptest::option::of(prop_oneof![Just("purchase"), Just("view_item")]),
        proptest::option::of(prop_oneof![Just("o1"), Just("o2"), Just("o3")]),
    )
        .prop_map(|(c, secs, nanos, k, ev, order)| {
            let kind: TouchpointKind = match k {
                0 => K::ProductView.into(),
                1 => K::OrderCompleted.into(),
                2 => K::AddToCart.into(),
                _ => TouchpointKind::custom("x").unwrap(),
            };
            let mut t = Touchpoint::new(
                CustomerId(c),
                DateTime::from_timestamp(secs, nanos).unwrap(),
                kind,
            );
            t.event = ev.map(EventName::new);
            t.order = order.map(Into::into);
            t
        })
}

fn arb_activity() -> impl Strategy<Value = Activity> {
    prop_oneof![
        2 => Just(Activity::Any),
        1 => Just(Activity::orders()),
        1 => Just(Activity::event("purchase")),
        1 => Just(Activity::kind(TouchpointKind::custom("x").unwrap())),
    ]
}

fn arb_calendar() -> impl Strategy<Value = Calendar> {
    (prop_oneof![Just(0), Just(420), -1439i32..=1439], 0u8..7).prop_map(|(off, ws)| {
        Calendar::utc()
            .offset_minutes(off)
            .weeks_from(Weekday::try_from(ws).unwrap())
    })
}

fn arb_period() -> impl Strategy<Value = Period> {
    prop_oneof![Just(Period::Day), Just(Period::Week), Just(Period::Month)]
}

fn arb_as_of() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of(
        (0i64..45 * 86_400).prop_map(|s| at("2024-01-01T00:00:00Z") + TimeDelta::seconds(s)),
    )
}

fn arb_retention() -> impl Strategy<Value = RetentionConfig> {
    (
        arb_activity(),
        arb_activity(),
        arb_period(),
        0u32..12,
        any::<bool>(),
        arb_calendar(),
        arb_as_of(),
    )
        .prop_map(|(cohort, ret, period, periods, rolling, calendar, as_of)| {
            let mut c = RetentionConfig::new(period, periods)
                .with_cohort(cohort)
                .with_return(ret)
                .with_calendar(calendar);
            if rolling && period != Period::Month {
                c = c.with_boundaries(Boundaries::Rolling);
            }
            c.as_of = as_of;
            c
        })
}

fn arb_lifecycle() -> impl Strategy<Value = LifecycleConfig> {
    (
        arb_activity(),
        arb_period(),
        arb_calendar(),
        any::<bool>(),
        arb_as_of(),
        arb_as_of(),
    )
        .prop_map(|(active, period, calendar, first_active, since, as_of)| {
            let mut c = LifecycleConfig::new(period)
                .with_active(active)
                .with_calendar(calendar);
            if first_active {
                c = c.with_new_means(NewMeans::FirstActive);
            }
            c.as_of = as_of;
            c.since = since.filter(|s| as_of.is_none_or(|a| *s <= a));
            c
        })
}

fn arb_repeat() -> impl Strategy<Value = RepeatBuyingConfig> {
    (arb_activity(), arb_as_of(), proptest::option::of(0u32..40)).prop_map(
        |(orders, as_of, days)| {
            let mut c = RepeatBuyingConfig::default().with_orders(orders);
            c.as_of = as_of;
            c.churn_after_days = days.filter(|_| as_of.is_some());
            c
        },
    )
}

fn matches(a: &Activity, t: &Touchpoint) -> bool {
    match a {
        Activity::Any => true,
        Activity::Matching { step } => step.conditions.iter().all(|c| match c {
            cxjourney::retention::Condition::Kind { kind } => &t.kind == kind,
            cxjourney::retention::Condition::Event { name } => t.event_name() == name,
            _ => unreachable!(),
        }),
    }
}

/// The customers' rows in time order (as the log keeps them), rows after
/// `as_of` left out.
fn customers(
    stream: &[Touchpoint],
    as_of: Option<DateTime<Utc>>,
) -> BTreeMap<u64, Vec<Touchpoint>> {
    let log = log_of(stream.to_vec());
    log.journeys()
        .map(|j| {
            let rows: Vec<Touchpoint> = j
                .touchpoints()
                .into_iter()
                .filter(|t| as_of.is_none_or(|a| t.at.timestamp_micros() <= a.timestamp_micros()))
                .collect();
            (j.customer().0, rows)
        })
        .collect()
}

/// The local date and the first local date of its period, by chrono.
fn period_start(t: DateTime<Utc>, period: Period, cal: Calendar) -> NaiveDate {
    let micros = t.timestamp_micros();
    let local = DateTime::from_timestamp_micros(micros).unwrap()
        + TimeDelta::minutes(i64::from(cal.utc_offset_minutes));
    let d = local.date_naive();
    match period {
        Period::Day => d,
        Period::Week => {
            let back = (7 + d.weekday().num_days_from_monday()
                - cal.week_start.num_days_from_monday())
                % 7;
            d - TimeDelta::days(i64::from(back))
        }
        Period::Month => d.with_day(1).unwrap(),
    }
}

fn periods_between(a: NaiveDate, b: NaiveDate, period: Period) -> i64 {
    match period {
        Period::Day => (b - a).num_days(),
        Period::Week => (b - a).num_days() / 7,
        Period::Month => {
            (i64::from(b.year()) * 12 + i64::from(b.month()))
                - (i64::from(a.year()) * 12 + i64::from(a.month()))
        }
    }
}

/// Cohort retention by its definition: cohort -> (users, on, on_or_after).
fn retention_model(
    stream: &[Touchpoint],
    c: &RetentionConfig,
) -> BTreeMap<NaiveDate, (u64, Vec<u64>, Vec<u64>)> {
    let k_max = c.periods as i64;
    let mut out: BTreeMap<NaiveDate, (u64, Vec<u64>, Vec<u64>)> = BTreeMap::new();
    for rows in customers(stream, c.as_of).values() {
        let Some(first) = rows.iter().find(|t| matches(&c.cohort, t)) else {
            continue;
        };
        let cohort = period_start(first.at, c.period, c.calendar);
        let mut offsets = BTreeSet::new();
        for t in rows.iter().filter(|t| matches(&c.returning, t)) {
            let k = match c.boundaries {
                Boundaries::Calendar => {
                    periods_between(cohort, period_start(t.at, c.period, c.calendar), c.period)
                }
                Boundaries::Rolling => {
                    let len = if c.period == Period::Day {
                        86_400_000_000
                    } else {
                        7 * 86_400_000_000
                    };
                    (t.at.timestamp_micros() - first.at.timestamp_micros()).div_euclid(len)
                }
            };
            if k >= 0 {
                offsets.insert(k);
            }
        }
        let e = out.entry(cohort).or_insert_with(|| {
            (
                0,
                vec![0; c.periods as usize + 1],
                vec![0; c.periods as usize + 1],
            )
        });
        e.0 += 1;
        for k in 0..=k_max {
            if offsets.contains(&k) {
                e.1[k as usize] += 1;
            }
            if offsets.iter().any(|&o| o >= k) {
                e.2[k as usize] += 1;
            }
        }
    }
    out
}

/// Lifecycle by PostHog's definitions: period start -> [new, returning,
/// resurrecting, dormant], over every period with a count.
fn lifecycle_model(stream: &[Touchpoint], c: &LifecycleConfig) -> BTreeMap<NaiveDate, [u64; 4]> {
    let mut out: BTreeMap<NaiveDate, [u64; 4]> = BTreeMap::new();
    let next = |d: NaiveDate| match c.period {
        Period::Day => d + TimeDelta::days(1),
        Period::Week => d + TimeDelta::days(7),
        Period::Month => d.checked_add_months(chrono::Months::new(1)).unwrap(),
    };
    for rows in customers(stream, c.as_of).values() {
        let Some(first) = rows.first() else { continue };
        let seen = period_start(first.at, c.period, c.calendar);
        let active: BTreeSet<NaiveDate> = rows
            .iter()
            .filter(|t| matches(&c.active, t))
            .map(|t| period_start(t.at, c.period, c.calendar))
            .collect();
        for (i, &p) in active.iter().enumerate() {
            let status = if i == 0 {
                if c.new_means == NewMeans::FirstActive || p == seen {
                    0
                } else {
                    2
                }
            } else if active.range(..p).next_back().is_some_and(|&q| next(q) == p) {
                1
            } else {
                2
            };
            out.entry(p).or_insert([0; 4])[status] += 1;
            if !active.contains(&next(p)) {
                out.entry(next(p)).or_insert([0; 4])[3] += 1;
            }
        }
    }
    out
}

fn contract_cases() -> ProptestConfig {
    ProptestConfig {
        cases: 192,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(contract_cases())]

    #[test]
    fn retention_equals_its_definition_and_keeps_the_contract(
        stream in proptest::collection::vec(arb_touchpoint(false), 0..50),
        config in arb_retention(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let log = log_of(stream.clone());
        crate::log::check_contract::<RetentionAccumulator>(&log, &config, &cuts);
        let report = run_on_log::<RetentionAccumulator>(&log, &config, 1).unwrap();
        for threads in 2..=3 {
            prop_assert_eq!(&run_on_log::<RetentionAccumulator>(&log, &config, threads).unwrap(), &report);
        }
        let got: BTreeMap<NaiveDate, (u64, Vec<u64>, Vec<u64>)> = report
            .cohorts
            .iter()
            .map(|c| (c.cohort, (c.users, c.on.clone(), c.on_or_after.clone())))
            .collect();
        prop_assert_eq!(got, retention_model(&stream, &config));
        prop_assert_eq!(report.customers, log.customer_count() as u64);
        for c in &report.cohorts {
            prop_assert_eq!(c.on.len(), config.periods as usize + 1);
            prop_assert!(c.observed_periods >= 1 && c.observed_periods <= config.periods + 1);
            for k in 0..c.on.len() {
                prop_assert!(c.on[k] <= c.on_or_after[k] && c.on_or_after[k] <= c.users);
                if k > 0 {
                    prop_assert!(c.on_or_after[k] <= c.on_or_after[k - 1]);
                }
            }
            if config.returning == Activity::Any {
                prop_assert_eq!(c.on[0], c.users);
            }
        }
        for m in &report.mean {
            prop_assert!(m.on_rate.is_none_or(|r| (0.0..=1.0).contains(&r)));
            prop_assert!(m.on_rate <= m.on_or_after_rate);
        }
    }

    #[test]
    fn lifecycle_equals_posthogs_definition_and_keeps_the_contract(
        stream in proptest::collection::vec(arb_touchpoint(false), 0..50),
        config in arb_lifecycle(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let log = log_of(stream.clone());
        crate::log::check_contract::<LifecycleAccumulator>(&log, &config, &cuts);
        let report: LifecycleReport = run_on_log::<LifecycleAccumulator>(&log, &config, 2).unwrap();
        let model = lifecycle_model(&stream, &config);
        let first = report.periods.first().map(|p| p.start);
        let last = report.periods.last().map(|p| p.start);
        for p in &report.periods {
            let want = model.get(&p.start).copied().unwrap_or([0; 4]);
            prop_assert_eq!([p.new, p.returning, p.resurrecting, p.dormant], want, "{}", p.start);
            prop_assert_eq!(p.active, p.new + p.returning + p.resurrecting);
        }
        // Every active count of the model lies in the reported range.
        for (d, c) in &model {
            if c[0] + c[1] + c[2] > 0
                && config.since.is_none_or(|s| *d >= period_start(s, config.period, config.calendar))
            {
                prop_assert!(first.is_some_and(|f| f <= *d) && last.is_some_and(|l| *d <= l), "{d}");
            }
        }
    }

    #[test]
    fn repeat_buying_keeps_the_contract(
        stream in proptest::collection::vec(arb_touchpoint(false), 0..50),
        config in arb_repeat(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let log = log_of(stream);
        crate::log::check_contract::<RepeatBuyingAccumulator>(&log, &config, &cuts);
        let r = run_on_log::<RepeatBuyingAccumulator>(&log, &config, 2).unwrap();
        prop_assert!(r.repeat_buyers <= r.buyers && r.buyers <= r.customers);
        prop_assert_eq!(r.buyers_by_orders.iter().map(|c| c.customers).sum::<u64>(), r.buyers);
        prop_assert_eq!(r.buyers_by_orders.iter().map(|c| c.orders * c.customers).sum::<u64>(), r.orders);
        let gaps = r.between_orders.map_or(0, |s| s.count);
        prop_assert_eq!(r.gap_distribution.iter().map(|b| b.count).sum::<u64>(), gaps);
        prop_assert_eq!(gaps, r.orders - r.buyers);
        if let Some(c) = &r.churn {
            prop_assert_eq!(c.active + c.churned, r.buyers);
        }
    }

    /// Extreme times (centuries apart), any configuration: a report or a
    /// clean error, never a panic.
    #[test]
    fn random_input_never_panics(
        stream in proptest::collection::vec(arb_touchpoint(true), 0..40),
        retention in arb_retention(),
        lifecycle in arb_lifecycle(),
        repeat in arb_repeat(),
        periods in prop_oneof![0u32..4, Just(MAX_PERIODS)],
    ) {
        let log = log_of(stream);
        let retention = RetentionConfig { periods, ..retention };
        match run_on_log::<RetentionAccumulator>(&log, &retention, 2) {
            Ok(r) => prop_assert!(r.cohorts.iter().all(|c| c.on[0] <= c.users)),
            Err(e) => prop_assert!(matches!(e, Error::TooMuchWork { .. } | Error::TimeOutOfRange { .. }), "{e}"),
        }
        match run_on_log::<LifecycleAccumulator>(&log, &lifecycle, 2) {
            Ok(_) => {}
            Err(e) => prop_assert!(matches!(e, Error::TooMuchWork { .. } | Error::TimeOutOfRange { .. }), "{e}"),
        }
        prop_assert!(run_on_log::<RepeatBuyingAccumulator>(&log, &repeat, 2).is_ok());
    }
}
