//! Journey patterns against ClickHouse `sequenceMatch` / `sequenceCount`
//! (chdb 4.4.0, ClickHouse 26.9): every per-user result of the tie-free users
//! in `tests/data/ref/funnel_{small,edge}_levels.csv` through the log API,
//! journey views, the accumulator and the `patterns` example; parser errors
//! with positions; a journey of a million touchpoints; and property tests:
//! the linear matcher equals a port of ClickHouse's own algorithm (its
//! backtracking and its automaton, without the iteration cap), random input
//! never panics, and the accumulator keeps the contract.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::log::{CsvOptions, EventLog, EventLogBuilder, NewRow, read_csv};
use cxjourney::pattern::{Pattern, PatternAccumulator, PatternConfig, PatternMatcher, PatternMode};
use cxjourney::step::Step;
use cxjourney::{
    Accumulator, BuiltinKind, CustomerId, EventMap, Journey, JourneyConfig, Touchpoint,
    TouchpointKind, run_on_log,
};
use proptest::prelude::*;

const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// The three pattern columns of the reference set: (column, tie flag,
/// pattern, conditions, count?), exactly the SQL of `funnel_*_sql.json`.
const REFS: [(&str, &str, &str, &[&str], bool); 3] = [
    (
        "seq_p1",
        "tie_p1",
        "(?1).*(?2).*(?3)",
        &["product_view", "add_to_cart", "purchase"],
        false,
    ),
    (
        "seq_p2",
        "tie_p2",
        "(?1)(?t<=3600)(?2)",
        &["add_to_cart", "purchase"],
        false,
    ),
    (
        "seqcount_p3",
        "tie_p3",
        "(?1).*(?2)",
        &["product_view", "purchase"],
        true,
    ),
];

fn matcher(pattern: &str, conditions: &[&str], count: bool) -> PatternMatcher {
    let mode = if count {
        PatternMode::Count
    } else {
        PatternMode::Match
    };
    PatternMatcher::new(
        PatternConfig::new(
            pattern.parse().unwrap(),
            conditions.iter().map(|c| Step::event(c)).collect(),
        )
        .with_mode(mode),
    )
    .unwrap()
}

/// column -> user -> value, from a reference levels file.
fn read_ref(name: &str) -> BTreeMap<String, BTreeMap<u64, u64>> {
    let text = std::fs::read_to_string(format!("{PEERS}/ref/{name}")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut out: BTreeMap<String, BTreeMap<u64, u64>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let user: u64 = record[0].parse().unwrap();
        for (col, v) in header.iter().zip(record.iter()).skip(1) {
            out.entry(col.clone())
                .or_default()
                .insert(user, v.parse().unwrap());
        }
    }
    out
}

/// The reference per user of `col`, tie-free users only.
fn tie_free(
    reference: &BTreeMap<String, BTreeMap<u64, u64>>,
    col: &str,
    tie: &str,
) -> BTreeMap<u64, u64> {
    reference[col]
        .iter()
        .filter(|(u, _)| reference[tie][u] == 0)
        .map(|(&u, &v)| (u, v))
        .collect()
}

const FILES: [(&str, &str); 2] = [
    ("events_small.csv", "funnel_small_levels.csv"),
    ("funnel_edge_cases.csv", "funnel_edge_levels.csv"),
];

#[test]
fn log_results_reproduce_clickhouse() {
    for (data, levels) in FILES {
        let text = std::fs::read(format!("{PEERS}/data/{data}")).unwrap();
        let (log, _) = read_csv(text.as_slice(), &CsvOptions::default()).unwrap();
        let reference = read_ref(levels);
        for (col, tie, pattern, conds, count) in REFS {
            let m = matcher(pattern, conds, count);
            let results = m.results(&log, 0..log.customer_count());
            let got: BTreeMap<u64, u64> =
                log.customers().iter().map(|c| c.0).zip(results).collect();
            let want = tie_free(&reference, col, tie);
            assert!(want.len() + 5 >= reference[col].len(), "{data} {col}");
            let got: BTreeMap<u64, u64> = got
                .into_iter()
                .filter(|(u, _)| want.contains_key(u))
                .collect();
            assert_eq!(got, want, "{data} {col}");
        }
    }
}

fn journeys(data: &str) -> Vec<Journey> {
    let map = EventMap::standard().fallback_to_custom();
    let text = std::fs::read_to_string(format!("{PEERS}/data/{data}")).unwrap();
    let mut tps = Vec::new();
    for record in csv::Reader::from_reader(text.as_bytes()).records() {
        let record = record.unwrap();
        let at = DateTime::parse_from_rfc3339(&record[1])
            .unwrap()
            .with_timezone(&Utc);
        let (kind, name) = map.convert(&record[2]).unwrap();
        tps.push(
            Touchpoint::new(CustomerId(record[0].parse().unwrap()), at, kind).with_event(name),
        );
    }
    Journey::group(tps, &JourneyConfig::default()).unwrap()
}

#[test]
fn journey_views_and_the_accumulator_reproduce_clickhouse() {
    for (data, levels) in FILES {
        let js = journeys(data);
        let reference = read_ref(levels);
        for (col, tie, pattern, conds, count) in REFS {
            let m = matcher(pattern, conds, count);
            let want = tie_free(&reference, col, tie);
            let mut acc = PatternAccumulator::new(&m).unwrap();
            let mut got = BTreeMap::new();
            for j in &js {
                let id = j.customer().0;
                if want.contains_key(&id) {
                    got.insert(id, m.result(j.view()));
                    acc.add(j.view()).unwrap();
                }
            }
            assert_eq!(got, want, "{data} {col}");
            let report = acc.finish().unwrap();
            assert_eq!(report.customers, want.len() as u64);
            assert_eq!(
                report.matched_customers,
                want.values().filter(|&&v| v > 0).count() as u64
            );
            assert_eq!(report.total_matches, want.values().sum::<u64>());
            let mut by: BTreeMap<u64, u64> = BTreeMap::new();
            for &v in want.values() {
                *by.entry(v).or_default() += 1;
            }
            let hist: BTreeMap<u64, u64> = report
                .customers_by_result
                .iter()
                .map(|r| (r.result, r.customers))
                .collect();
            assert_eq!(hist, by, "{data} {col}");
        }
    }
}

#[test]
fn example_reproduces_clickhouse() {
    let tmp = tempfile::Builder::new()
        .prefix("cxjourney-patterns-")
        .tempdir()
        .unwrap();
    for (data, levels) in FILES {
        let reference = read_ref(levels);
        let file = format!("{PEERS}/data/{data}");
        for (col, tie, pattern, conds, count) in REFS {
            let out_path = tmp.path().join(format!("{data}-{col}.csv"));
            let joined = conds.join(",");
            let mut args = vec![file.as_str(), "--pattern", pattern, "--conditions", &joined];
            if count {
                args.push("--count");
            }
            args.extend(["--per-user", out_path.to_str().unwrap()]);
            let out = std::process::Command::new(crate::cli::exe("patterns"))
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let text = std::fs::read_to_string(&out_path).unwrap();
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some("user_id,result"));
            let all: BTreeMap<u64, u64> = lines
                .map(|l| {
                    let (u, v) = l.split_once(',').unwrap();
                    (u.parse().unwrap(), v.parse().unwrap())
                })
                .collect();
            assert_eq!(all.len(), reference[col].len());
            let want = tie_free(&reference, col, tie);
            let got: BTreeMap<u64, u64> = all
                .iter()
                .filter(|(u, _)| want.contains_key(u))
                .map(|(&u, &v)| (u, v))
                .collect();
            assert_eq!(got, want, "{data} {col}");
            let matched = all.values().filter(|&&v| v > 0).count() as u64;
            assert_eq!(json["matched_users"], serde_json::json!(matched), "{col}");
            assert!(json["compute_seconds"].as_f64().unwrap() >= 0.0);
            let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
            keys.sort();
            if count {
                assert_eq!(
                    json["total_matches"],
                    serde_json::json!(all.values().sum::<u64>())
                );
                assert_eq!(keys, ["compute_seconds", "matched_users", "total_matches"]);
            } else {
                assert_eq!(keys, ["compute_seconds", "matched_users"]);
            }
        }
    }
}

#[test]
fn configuration_errors_name_the_position() {
    for (p, needles) in [
        ("(?1).*(?x)", &["position 8", "(?1).*(?x)"][..]),
        ("(?1)(?t<=3600(?2)", &["position 13", "expected )"]),
        ("(?1)(?t=3600)(?2)", &["position 7", "comparison"]),
        ("(?1)(?t<=5)(?t>=1)", &["position 11", "time condition"]),
        ("(?1) (?2)", &["position 4"]),
        ("(?0)", &["position 2", "start at 1"]),
    ] {
        let e = p.parse::<Pattern>().unwrap_err().to_string();
        for n in needles {
            assert!(e.contains(n), "{p}: {n:?} not in {e}");
        }
    }
    let config = |p: &str, n: usize| {
        PatternConfig::new(
            p.parse().unwrap(),
            (0..n).map(|i| Step::event(&format!("e{i}"))).collect(),
        )
    };
    let e = PatternMatcher::new(config("(?1).*(?2).*(?3)", 2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("position 12") && e.contains("beyond"), "{e}");
    let e = PatternMatcher::new(config("(?1)", 0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 to 32"), "{e}");
    let e = PatternMatcher::new(config("(?1)", 33))
        .unwrap_err()
        .to_string();
    assert!(e.contains("33"), "{e}");
    let mut c = config("(?1).*(?2)", 2);
    c.conditions[1] = c.conditions[1].clone().within(TimeDelta::hours(1));
    let e = PatternMatcher::new(c).unwrap_err().to_string();
    assert!(e.contains("condition 2") && e.contains("(?t<=S)"), "{e}");
}

/// (seconds, mask) events of one long journey: `build(i)` gives event i's
/// mask; one event a second.
fn long_events(n: usize, build: impl Fn(usize) -> u32) -> Vec<(i64, u32)> {
    (0..n)
        .map(|i| (1_700_000_000 + i as i64, build(i)))
        .collect()
}

/// Runs `f`, asserting it takes well under a second: under one second, or,
/// when the machine is so loaded that even `baseline` (one plain pass over
/// the same events) is slow, under 25 passes. Either bound is out of reach
/// for a quadratic matcher (10^12 steps) by orders of magnitude.
fn timed<T>(what: &str, baseline: Duration, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    eprintln!("{what}: {took:?} (one plain pass: {baseline:?})");
    assert!(
        took < Duration::from_secs(1) || took < baseline * 25,
        "{what}: {took:?} (one plain pass: {baseline:?})"
    );
    out
}

/// How long one greedy pass over `events` takes (`(?1)`, counted): the
/// yardstick of [`timed`].
fn one_pass(events: &[(i64, u32)]) -> Duration {
    let p: Pattern = "(?1)".parse().unwrap();
    let t = Instant::now();
    std::hint::black_box(p.sequence_count(std::hint::black_box(events)));
    t.elapsed()
}

/// A journey of a million touchpoints, with patterns that make backtracking
/// matchers (ClickHouse's included: it gives up after a million steps)
/// quadratic or exponential: each match and each count well within a second
/// in the test profile (unoptimized: tens to a few hundred milliseconds on an
/// idle machine; see [`timed`] for a loaded one).
#[test]
fn a_million_touchpoints_in_well_under_a_second() {
    const N: usize = 1_000_000;
    // A, then B x (N - 2), then C: ClickHouse's own test of its automaton.
    let abc = long_events(N, |i| {
        if i == 0 {
            1
        } else if i == N - 1 {
            4
        } else {
            2
        }
    });
    // Condition 1 everywhere, condition 2 only at the very end.
    let ones = long_events(N, |i| if i == N - 1 { 2 } else { 1 });
    type Case<'a> = (&'a [(i64, u32)], &'a str, bool, u64);
    let cases: [Case<'_>; 6] = [
        (&abc, "(?1).*(?2).*(?3)", true, 1),
        (&abc, "(?1).*(?t>=999999)(?3)", false, 0),
        (&ones, "(?1).*(?1).*(?1).*(?1).*(?3)", false, 0),
        (&ones, "(?1)(?t<=1)(?1)(?t<=1)(?2)", true, 1),
        (&ones, "(?1)(?t>1)(?1)(?t==1)(?2)", true, 1),
        (&ones, ".(?t>=2).(?t>=2).", true, N as u64 / 5),
    ];
    for (events, pattern, matches, count) in cases {
        let p: Pattern = pattern.parse().unwrap();
        let base = one_pass(events);
        assert_eq!(
            timed(pattern, base, || p.sequence_match(events)),
            matches,
            "{pattern}"
        );
        assert_eq!(
            timed(pattern, base, || p.sequence_count(events)),
            count,
            "{pattern}"
        );
    }
}

/// The same through the event log: one customer with a million rows.
#[test]
fn a_million_touchpoint_journey_through_the_log() {
    const N: i64 = 1_000_000;
    let kinds = [
        TouchpointKind::from(BuiltinKind::ProductView),
        BuiltinKind::AddToCart.into(),
        BuiltinKind::OrderCompleted.into(),
    ];
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    for i in 0..N {
        let k = if i == N - 1 {
            2
        } else {
            usize::from(i % 7 == 3)
        };
        b.push_row(&NewRow::new(
            CustomerId(1),
            t0 + TimeDelta::seconds(i),
            &kinds[k],
        ))
        .unwrap();
    }
    let log: EventLog = b.finish().unwrap();
    let journey = log.journeys().next().unwrap();
    assert_eq!(journey.len(), N as usize);
    let steps: Vec<Step> = ["product_view", "add_to_cart", "order_completed"]
        .into_iter()
        .map(Step::event)
        .collect();
    let events: Vec<(i64, u32)> = journey
        .times()
        .iter()
        .map(|&t| (t.div_euclid(1_000_000), 1))
        .collect();
    let base = one_pass(&events);
    for (pattern, mode, want) in [
        ("(?1).*(?2).*(?3)", PatternMode::Match, 1),
        ("(?1)(?t<=1)(?2)", PatternMode::Count, (N as u64 - 1) / 7),
    ] {
        let m = PatternMatcher::new(
            PatternConfig::new(pattern.parse().unwrap(), steps.clone()).with_mode(mode),
        )
        .unwrap();
        assert_eq!(
            timed(pattern, base, || m.result(journey)),
            want,
            "{pattern}"
        );
    }
}

/// ClickHouse's algorithm, ported straight from `AggregateFunctionSequenceMatch.h`
/// (without its cap of a million iterations): the pattern actions with the
/// implicit leading `.*`; `sequenceMatch` by the automaton when the pattern has
/// no time condition, else by backtracking after the check of its
/// deterministic parts; `sequenceCount` by repeated backtracking. Where
/// ClickHouse reads past the end of its actions (a pattern ending in elements
/// that match the empty rest), the port takes those elements as matched.
mod clickhouse {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum A {
        Event(u32),
        Any,
        Star,
        Time(&'static str, u64),
    }

    pub fn parse(p: &str) -> Vec<A> {
        let mut out = vec![A::Star];
        let b = p.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if p[i..].starts_with("(?t") {
                i += 3;
                let op = ["<=", ">=", "==", "<", ">"]
                    .into_iter()
                    .find(|o| p[i..].starts_with(o))
                    .unwrap();
                i += op.len();
                let j = i + p[i..].find(')').unwrap();
                out.push(A::Time(op, p[i..j].parse().unwrap()));
                i = j + 1;
            } else if p[i..].starts_with("(?") {
                let j = i + p[i..].find(')').unwrap();
                let n: u32 = p[i + 2..j].parse().unwrap();
                out.push(A::Event(n - 1));
                i = j + 1;
            } else if p[i..].starts_with(".*") {
                out.push(A::Star);
                i += 2;
            } else {
                assert_eq!(b[i], b'.');
                out.push(A::Any);
                i += 1;
            }
        }
        out
    }

    fn skippable(a: A) -> bool {
        matches!(
            a,
            A::Star | A::Time("<=", _) | A::Time("<", _) | A::Time(">=", 0)
        )
    }

    fn holds(op: &str, t: i64, base: i64, s: u64) -> bool {
        let (t, limit) = (i128::from(t), i128::from(base) + i128::from(s));
        match op {
            "<=" => t <= limit,
            "<" => t < limit,
            ">=" => t >= limit,
            ">" => t > limit,
            _ => t == limit,
        }
    }

    /// `backtrackingMatch` from `start`: whether it matched, and where the
    /// events iterator was left.
    pub fn backtrack(ev: &[(i64, u32)], acts: &[A], start: usize) -> (bool, usize) {
        let n = ev.len();
        let (mut a, mut e, mut base) = (0usize, start, start);
        let mut stack: Vec<(usize, usize, usize)> = Vec::new();
        // do_backtrack: pops (assigning as it goes) until a state with events left.
        let back = |stack: &mut Vec<(usize, usize, usize)>,
                    a: &mut usize,
                    e: &mut usize,
                    base: &mut usize| {
            while let Some((sa, se, sb)) = stack.pop() {
                *a = sa;
                *e = se + 1;
                *base = sb;
                if *e != n {
                    return true;
                }
            }
            false
        };
        while a < acts.len() && e < n {
            match acts[a] {
                A::Event(c) => {
                    if ev[e].1 >> c & 1 == 1 {
                        base = e;
                        a += 1;
                        e += 1;
                    } else if !back(&mut stack, &mut a, &mut e, &mut base) {
                        break;
                    }
                }
                A::Any => {
                    base = e;
                    a += 1;
                    e += 1;
                }
                A::Star => {
                    stack.push((a, e, base));
                    base = e;
                    a += 1;
                }
                A::Time(op, s) => {
                    if holds(op, ev[e].0, ev[base].0, s) {
                        stack.push((a, e, base));
                        base = e;
                        a += 1;
                    } else if op == "<=" || op == "<" {
                        if !back(&mut stack, &mut a, &mut e, &mut base) {
                            break;
                        }
                    } else {
                        e += 1;
                        if e == n && !back(&mut stack, &mut a, &mut e, &mut base) {
                            break;
                        }
                    }
                }
            }
        }
        while a < acts.len() && skippable(acts[a]) {
            a += 1;
        }
        if e == start {
            e += 1;
        }
        (a == acts.len(), e)
    }

    /// `couldMatchDeterministicParts`.
    fn deterministic_parts(ev: &[(i64, u32)], acts: &[A]) -> bool {
        let mut pos = 0;
        for part in acts.split(|a| matches!(a, A::Star | A::Time(..))) {
            if part.is_empty() {
                continue;
            }
            let fits = |s: usize| {
                part.iter().enumerate().all(|(j, a)| match a {
                    A::Event(c) => ev[s + j].1 >> c & 1 == 1,
                    _ => true,
                })
            };
            match (pos..(ev.len() + 1).saturating_sub(part.len())).find(|&s| fits(s)) {
                Some(s) => pos = s + part.len(),
                None => return false,
            }
        }
        true
    }

    /// `dfaMatch`.
    fn automaton(ev: &[(i64, u32)], acts: &[A]) -> bool {
        // states: (has_kleene, transition)
        let mut states: Vec<(bool, Option<A>)> = vec![(false, None)];
        for &a in acts {
            match a {
                A::Star => states.last_mut().unwrap().0 = true,
                A::Event(_) | A::Any => {
                    states.last_mut().unwrap().1 = Some(a);
                    states.push((false, None));
                }
                A::Time(..) => unreachable!(),
            }
        }
        let mut active = vec![false; states.len()];
        active[0] = true;
        for &(_, mask) in ev {
            if *active.last().unwrap() || !active.contains(&true) {
                break;
            }
            let mut next = vec![false; states.len()];
            for (s, &(kleene, tr)) in states.iter().enumerate() {
                if !active[s] {
                    continue;
                }
                match tr {
                    Some(A::Any) => next[s + 1] = true,
                    Some(A::Event(c)) if mask >> c & 1 == 1 => next[s + 1] = true,
                    _ => {}
                }
                if kleene {
                    next[s] = true;
                }
            }
            active = next;
        }
        *active.last().unwrap()
    }

    fn conditions_met(ev: &[(i64, u32)], acts: &[A]) -> bool {
        let need = acts.iter().fold(0u32, |n, a| match a {
            A::Event(c) => n | 1 << c,
            _ => n,
        });
        let met = ev.iter().fold(0u32, |m, e| m | e.1);
        need & met == need
    }

    /// `sequenceMatch` on events already left out and sorted.
    pub fn sequence_match(ev: &[(i64, u32)], acts: &[A]) -> bool {
        if !conditions_met(ev, acts) {
            return false;
        }
        if acts.iter().any(|a| matches!(a, A::Time(..))) {
            deterministic_parts(ev, acts) && backtrack(ev, acts, 0).0
        } else {
            automaton(ev, acts)
        }
    }

    /// `sequenceCount` on events already left out and sorted.
    pub fn sequence_count(ev: &[(i64, u32)], acts: &[A]) -> u64 {
        if !conditions_met(ev, acts) || !deterministic_parts(ev, acts) {
            return 0;
        }
        let (mut e, mut count) = (0, 0);
        while e != ev.len() {
            let (ok, next) = backtrack(ev, acts, e);
            if !ok {
                break;
            }
            count += 1;
            e = next;
        }
        count
    }
}

fn arb_pattern() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            5 => (1u32..5).prop_map(|n| format!("(?{n})")),
            2 => Just(".".to_owned()),
            3 => Just(".*".to_owned()),
            3 => (0usize..5, 0u64..7).prop_map(|(o, s)| {
                format!("(?t{}{s})", ["<=", "<", ">=", ">", "=="][o])
            }),
        ],
        1..7,
    )
    .prop_map(|parts| {
        // No time condition right after another (a parse error).
        let mut out = String::new();
        let mut last_time = false;
        for p in parts {
            let time = p.starts_with("(?t");
            if !(time && last_time) {
                out.push_str(&p);
                last_time = time;
            }
        }
        out
    })
}

/// Events with times going up by 0 to 4 seconds (ties included) and masks
/// over four conditions (none, one, or two at once).
fn arb_events(max: usize) -> impl Strategy<Value = Vec<(i64, u32)>> {
    proptest::collection::vec(
        (
            0i64..5,
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(2),
                Just(4),
                Just(8),
                Just(3),
                Just(12),
                Just(1),
                Just(2)
            ],
        ),
        0..max,
    )
    .prop_map(|v| {
        let mut t = 1_000;
        v.into_iter()
            .map(|(d, m)| {
                t += d;
                (t, m)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// The linear matcher gives ClickHouse's results (the port above) on
    /// small journeys.
    #[test]
    fn the_matcher_equals_clickhouse_s_algorithm(pattern in arb_pattern(), events in arb_events(13)) {
        let p: Pattern = pattern.parse().unwrap();
        let acts = clickhouse::parse(&pattern);
        let kept: Vec<(i64, u32)> = events.iter().copied().filter(|e| e.1 != 0).collect();
        prop_assert_eq!(p.sequence_match(&events), clickhouse::sequence_match(&kept, &acts), "match {}", pattern);
        prop_assert_eq!(p.sequence_count(&events), clickhouse::sequence_count(&kept, &acts), "count {}", pattern);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any text either parses or is an error naming the pattern; what parses
    /// runs on any events (unsorted, extreme times) without a panic.
    #[test]
    fn random_patterns_and_events_never_panic(
        text in "[(?t<=>.*0-9)x ]{0,24}",
        events in proptest::collection::vec((any::<i64>(), any::<u32>()), 0..20),
    ) {
        match text.parse::<Pattern>() {
            Ok(p) => {
                let _ = p.sequence_match(&events);
                let _ = p.sequence_count(&events);
            }
            Err(e) => prop_assert!(e.to_string().contains("pattern"), "{}", e),
        }
    }

    /// The accumulator laws (any split, any merge order, through serde), the
    /// same report on 1 to 4 threads, and every journey's result through the
    /// log equal to the matcher on its events.
    #[test]
    fn pattern_accumulator_keeps_the_contract(
        rows in proptest::collection::vec((0u64..5, 0i64..30, 0usize..5), 0..60),
        pattern in arb_pattern(),
        count in any::<bool>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let names = ["view_item", "add_to_cart", "purchase", "promo", "review"];
        let map = EventMap::standard().fallback_to_custom();
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let tps: Vec<Touchpoint> = rows
            .iter()
            .map(|&(c, s, e)| {
                let (kind, name) = map.convert(names[e]).unwrap();
                Touchpoint::new(CustomerId(c), t0 + TimeDelta::seconds(s * 40), kind).with_event(name)
            })
            .collect();
        let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
        let mode = if count { PatternMode::Count } else { PatternMode::Match };
        let conditions = vec![
            Step::event("view_item"),
            Step::event("add_to_cart"),
            Step::kind(BuiltinKind::OrderCompleted),
            Step::event("promo").and(cxjourney::step::Condition::Stage { stage: cxjourney::Stage::Awareness }),
        ];
        let m = PatternMatcher::new(PatternConfig::new(pattern.parse().unwrap(), conditions.clone()).with_mode(mode)).unwrap();
        crate::log::check_contract::<PatternAccumulator>(&log, &m, &cuts);
        let one = run_on_log::<PatternAccumulator>(&log, &m, 1).unwrap();
        for threads in 2..=4 {
            prop_assert_eq!(&run_on_log::<PatternAccumulator>(&log, &m, threads).unwrap(), &one);
        }
        let p: Pattern = pattern.parse().unwrap();
        let results = m.results(&log, 0..log.customer_count());
        for (j, r) in log.journeys().zip(results) {
            let events: Vec<(i64, u32)> = j
                .rows()
                .map(|row| {
                    let mask = conditions
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.matches(row))
                        .fold(0u32, |m, (i, _)| m | 1 << i);
                    (row.at().timestamp(), mask)
                })
                .collect();
            let want = if count { p.sequence_count(&events) } else { u64::from(p.sequence_match(&events)) };
            prop_assert_eq!(r, want);
            prop_assert_eq!(m.result(j), want);
        }
    }
}

#[test]
fn states_of_other_patterns_do_not_merge() {
    let a = matcher("(?1).*(?2)", &["a", "b"], false);
    let b = matcher("(?1).*(?2)", &["a", "b"], true);
    let mut x = PatternAccumulator::new(&a).unwrap();
    let y = PatternAccumulator::new(&b).unwrap();
    let e = x.merge(y).unwrap_err().to_string();
    assert!(e.contains("count") && e.contains("match"), "{e}");
    let state: PatternAccumulator = serde_json::from_str(
        &serde_json::to_string(&PatternAccumulator::new(&a).unwrap()).unwrap(),
    )
    .unwrap();
    let (log, _) = read_csv(
        "user_id,ts,event\n1,2024-01-01T00:00:00Z,a\n".as_bytes(),
        &CsvOptions::default(),
    )
    .unwrap();
    let mut lone = state.clone();
    assert!(lone.add(log.journeys().next().unwrap()).is_err());
    let mut fresh = PatternAccumulator::new(&a).unwrap();
    fresh.merge(state).unwrap();
    fresh.add(log.journeys().next().unwrap()).unwrap();
    assert_eq!(fresh.finish().unwrap().customers, 1);
}
