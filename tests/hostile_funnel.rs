//! Hostile input for the funnel and the `step` public API: `WindowFunnel`,
//! `FunnelConfig` (also as JSON), `FunnelAccumulator` through the accumulator
//! contract, `FunnelReport` serde and `Display`, steps and conditions; 32
//! steps, duplicate steps, zero and maximal windows, extreme times. Every
//! call either succeeds or returns an error whose message names the value;
//! nothing panics. Plus the regression tests of issue 15's findings 1, 2 and
//! 9 and the release-mode scaling tests of their shapes.
//!
//! Long run: `PROPTEST_CASES=20000 cargo test --release --test integration hostile_funnel`.

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::funnel::{
    Condition, CountingUnit, Funnel, FunnelAccumulator, FunnelConfig, FunnelMode, FunnelReport,
    MAX_WINDOW_SECONDS, Property, Step, Touch, WindowFunnel,
};
use cxjourney::log::EventLog;
use cxjourney::{
    Accumulator, BuiltinKind, Channel, CustomerId, EventName, JourneyConfig, Stage, Touchpoint,
    TouchpointKind, run_on_log,
};
use proptest::prelude::*;

/// Names that are hard to print or compare: empty, control characters,
/// emoji, right-to-left text, long.
fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("view_item".to_owned()),
        Just("add_to_cart".to_owned()),
        Just("purchase".to_owned()),
        Just("\u{0}\u{7}\t\n\r".to_owned()),
        Just("🛒💸 beli sekarang".to_owned()),
        Just("\u{202e}kcilc".to_owned()),
        Just("x".repeat(5000)),
        "\\PC{0,12}",
    ]
}

fn arb_mode() -> impl Strategy<Value = FunnelMode> {
    (0u8..64).prop_map(|bits| FunnelMode {
        anchoring: if bits & 1 != 0 {
            cxjourney::funnel::Anchoring::First
        } else {
            cxjourney::funnel::Anchoring::Latest
        },
        strict_deduplication: bits & 2 != 0,
        strict_order: bits & 4 != 0,
        strict_increase: bits & 8 != 0,
        strict_once: bits & 16 != 0,
        allow_reentry: bits & 32 != 0,
    })
}

/// Seconds: zero, tiny, the largest accepted window, beyond it, negative,
/// and the extremes of `i64`.
fn arb_seconds() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(3600),
        Just(MAX_WINDOW_SECONDS),
        Just(MAX_WINDOW_SECONDS + 1),
        Just(-1),
        Just(i64::MIN),
        Just(i64::MAX),
        any::<i64>(),
        0i64..100,
    ]
}

/// Seconds of a `TimeDelta`, as errors print them.
fn secs(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 + f64::from(d.subsec_nanos()) / 1e9
}

/// A window as `TimeDelta`, when representable.
fn delta(secs: i64) -> TimeDelta {
    TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX)
}

fn arb_step() -> impl Strategy<Value = Step> {
    let names = ["view_item", "add_to_cart", "purchase", "promo", "xx"];
    prop_oneof![
        4 => (0usize..5).prop_map(move |e| Step::event(names[e])),
        2 => (0usize..3).prop_map(|k| Step::kind(
            [BuiltinKind::ProductView, BuiltinKind::AddToCart, BuiltinKind::OrderCompleted][k])),
        1 => arb_name().prop_map(|n| Step::event(&n)),
        1 => Just(Step::event("view_item").and_channel(cxjourney::BuiltinChannel::Email)),
        1 => Just(Step::stage(Stage::Decision)),
        1 => any::<i64>().prop_map(|m| Step::kind(BuiltinKind::OrderCompleted).and_min_amount(m)),
        1 => Just(Step::event("purchase").and(Condition::Campaign { campaign: "🎉".into() })),
    ]
}

/// Touchpoints of a few customers with hostile times: the same second, a
/// fraction of a second, far past and far future, event names the steps use.
fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    let names = ["view_item", "add_to_cart", "purchase", "promo", "🛒"];
    (
        0u64..5,
        prop_oneof![
            3 => 0i64..40,
            1 => Just(-2_000_000_000i64),
            1 => Just(7_000_000_000i64),
            1 => any::<i32>().prop_map(i64::from),
        ],
        0u32..3,
        0usize..5,
        0usize..4,
    )
        .prop_map(move |(c, slot, frac, e, k)| {
            let at =
                DateTime::<Utc>::from_timestamp(1_700_000_000 + slot * 600, frac * 400_000_000)
                    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            let kind = [
                BuiltinKind::ProductView,
                BuiltinKind::AddToCart,
                BuiltinKind::OrderCompleted,
                BuiltinKind::AdClick,
            ][k];
            let mut t = Touchpoint::new(CustomerId(c), at, kind);
            t.event = Some(EventName::new(names[e]));
            t
        })
}

/// A funnel configuration: 1 to 32 steps (duplicates likely), windows from
/// zero to the largest accepted, every mode, unit and breakdown.
fn arb_config() -> impl Strategy<Value = FunnelConfig> {
    (
        prop_oneof![
            3 => proptest::collection::vec(arb_step(), 1..5),
            1 => proptest::collection::vec(arb_step(), 32..=32),
            1 => arb_step().prop_map(|s| vec![s; 32]),
        ],
        prop_oneof![Just(0i64), Just(1), 0i64..100_000, Just(MAX_WINDOW_SECONDS)],
        arb_mode(),
        0usize..3,
        any::<bool>(),
        0usize..3,
    )
        .prop_map(|(steps, w, mode, u, hold, b)| {
            let mut c = FunnelConfig::new(steps, TimeDelta::seconds(w))
                .with_mode(mode)
                .counting(
                    [
                        CountingUnit::Customers,
                        CountingUnit::Conversions,
                        CountingUnit::Sessions,
                    ][u],
                );
            if hold {
                c = c.holding(Property::Event);
            }
            match b {
                0 => c,
                1 => c.breakdown_by(Property::Event, Touch::FirstTouch),
                _ => c.breakdown_by(Property::Kind, Touch::Step { step: 1 }),
            }
        })
}

fn report_of(funnel: &Funnel, log: &EventLog) -> FunnelReport {
    let mut acc = FunnelAccumulator::new(funnel).unwrap();
    for j in log.journeys() {
        acc.add(j).unwrap();
    }
    acc.finish().unwrap()
}

/// A valid report to mutate.
fn sample_report() -> FunnelReport {
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let tps: Vec<Touchpoint> = [
        (1, 0, "view_item"),
        (1, 90, "purchase"),
        (2, 5, "view_item"),
    ]
    .iter()
    .map(|&(c, s, e)| {
        let mut t = Touchpoint::new(
            CustomerId(c),
            t0 + TimeDelta::seconds(s),
            BuiltinKind::ProductView,
        );
        t.event = Some(EventName::new(e));
        t
    })
    .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let f = Funnel::new(FunnelConfig::new(
        vec![Step::event("view_item"), Step::event("purchase")],
        TimeDelta::hours(1),
    ))
    .unwrap();
    report_of(&f, &log)
}

/// The error's message names `value`.
fn names(err: &cxjourney::Error, value: &str) -> bool {
    err.to_string().contains(value)
}

// ---------------------------------------------------------------- finding 1

/// Finding 1: `strict_once,strict_increase`, n/2 step-1 events then n/2
/// step-2 events in one second, one customer: the level comes without
/// comparing every pair (it took 0.34 s at 10k, 34 s at 100k).
#[test]
fn finding_1_strict_once_many_starts_in_one_second() {
    let n = 20_000usize;
    for (mode, steps, level) in [
        ("strict_once,strict_increase", 2, 1),
        ("strict_once", 3, 2),
        ("strict_once,strict_deduplication", 3, 2),
    ] {
        let f = WindowFunnel::new(steps, TimeDelta::zero(), mode.parse().unwrap()).unwrap();
        let mut ev: Vec<(i64, u8)> = (0..n).map(|i| (0, if i < n / 2 { 1 } else { 2 })).collect();
        let t = Instant::now();
        assert_eq!(f.level(&mut ev).unwrap(), level, "{mode}");
        assert!(t.elapsed().as_secs_f64() < 5.0, "{mode}: {:?}", t.elapsed());
    }
    // the journey API: one customer, the same shape, through Funnel and the accumulator
    let (log, funnel) = strict_once_log(n);
    let j = log.journeys().next().unwrap();
    assert_eq!(funnel.level(j).unwrap(), 1);
    let r = report_of(&funnel, &log);
    assert_eq!(r.at_level, vec![0, 1, 0]);
}

fn strict_once_log(n: usize) -> (EventLog, Funnel) {
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let tps: Vec<Touchpoint> = (0..n)
        .map(|i| {
            let mut t = Touchpoint::new(CustomerId(1), t0, BuiltinKind::ProductView);
            t.event = Some(EventName::new(if i < n / 2 {
                "view_item"
            } else {
                "add_to_cart"
            }));
            t
        })
        .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let funnel = Funnel::new(
        FunnelConfig::new(
            vec![Step::event("view_item"), Step::event("add_to_cart")],
            TimeDelta::hours(1),
        )
        .with_mode("strict_once,strict_increase".parse().unwrap()),
    )
    .unwrap();
    (log, funnel)
}

/// One row matching several steps: a row fills one step only, however many
/// rows of the same second there are.
#[test]
fn finding_1_strict_once_rows_matching_every_step() {
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    for (rows, level) in [(1usize, 1u8), (5, 5), (40, 32)] {
        let tps: Vec<Touchpoint> = (0..rows)
            .map(|_| {
                let mut t = Touchpoint::new(CustomerId(1), t0, BuiltinKind::ProductView);
                t.event = Some(EventName::new("view_item"));
                t
            })
            .collect();
        let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
        let f = Funnel::new(
            FunnelConfig::new(vec![Step::event("view_item"); 32], TimeDelta::zero())
                .with_mode(FunnelMode::strict_once()),
        )
        .unwrap();
        let j = log.journeys().next().unwrap();
        assert_eq!(f.level(j).unwrap(), usize::from(level), "{rows} rows");
        let w = f.witness(j).unwrap();
        let used: std::collections::BTreeSet<usize> =
            w.path.hits.iter().flatten().map(|h| h.touchpoint).collect();
        assert_eq!(used.len(), usize::from(level), "each row fills one step");
    }
}

// ---------------------------------------------------------------- finding 2

fn views_log(n: usize) -> EventLog {
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let tps: Vec<Touchpoint> = (0..n)
        .map(|i| {
            Touchpoint::new(
                CustomerId(1),
                t0 + TimeDelta::seconds(i as i64),
                BuiltinKind::ProductView,
            )
        })
        .collect();
    EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap()
}

fn attempts_funnel(window: TimeDelta) -> Funnel {
    Funnel::new(
        FunnelConfig::new(
            vec![
                Step::kind(BuiltinKind::ProductView),
                Step::kind(BuiltinKind::AddToCart),
                Step::kind(BuiltinKind::CheckoutStart),
                Step::kind(BuiltinKind::OrderCompleted),
            ],
            window,
        )
        .counting(CountingUnit::Conversions),
    )
    .unwrap()
}

/// Finding 2: one customer with n product views 1 s apart, 4 steps, window
/// 0, counted by attempts: one attempt per view, read once (each attempt
/// used to re-read the rest of the journey: 0.29 s at 10k, 50 s at 100k).
#[test]
fn finding_2_attempts_read_the_journey_once() {
    let n = 10_000;
    let log = views_log(n);
    let f = attempts_funnel(TimeDelta::zero());
    let t = Instant::now();
    let paths = f.paths(log.journeys().next().unwrap()).unwrap();
    assert_eq!(paths.len(), n);
    assert!(paths.iter().all(|p| p.level == 1));
    // the attempts partition the journey
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(p.scope, i..i + 1);
    }
    assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
    // a window of an hour: the views of each hour are one attempt
    let f = attempts_funnel(TimeDelta::hours(1));
    let paths = f.paths(log.journeys().next().unwrap()).unwrap();
    assert_eq!(paths.len(), n.div_ceil(3601));
}

/// The attempts of a small journey, by hand: an attempt ends at its
/// conversion or its window's close, its stop reason comes from its rows.
#[test]
fn finding_2_attempts_by_hand() {
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let k = [
        BuiltinKind::ProductView,
        BuiltinKind::AddToCart,
        BuiltinKind::CheckoutStart,
        BuiltinKind::OrderCompleted,
    ];
    // view 0, cart 10, checkout 20, order 30 | view 40 (never more) | view 5000, cart 9000 (too late)
    let rows = [
        (0, 0),
        (10, 1),
        (20, 2),
        (30, 3),
        (40, 0),
        (5000, 0),
        (9000, 1),
    ];
    let tps: Vec<Touchpoint> = rows
        .iter()
        .map(|&(s, i)| Touchpoint::new(CustomerId(1), t0 + TimeDelta::seconds(s), k[i]))
        .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let paths = attempts_funnel(TimeDelta::hours(1))
        .paths(log.journeys().next().unwrap())
        .unwrap();
    let levels: Vec<usize> = paths.iter().map(|p| p.level).collect();
    assert_eq!(levels, [4, 1, 1]);
    assert_eq!(paths[0].scope, 0..4);
    assert_eq!(paths[1].scope, 4..5);
    assert_eq!(paths[2].scope, 5..7);
    assert_eq!(
        paths[2].stop,
        cxjourney::funnel::StopReason::OutOfWindow { step: 2 }
    );
}

// ---------------------------------------------------------------- finding 9

/// Finding 9: a report read from JSON with a median of -1e300 seconds
/// panicked in `Display`; it is now refused when read, naming the value, and
/// `Display` prints any value of a report built in code.
#[test]
fn finding_9_report_with_absurd_durations() {
    let good = sample_report();
    let mut json = serde_json::to_value(&good).unwrap();
    json["steps"][1]["time_from_previous"]["median_seconds"] = serde_json::json!(-1e300);
    let err = serde_json::from_value::<FunnelReport>(json).unwrap_err();
    assert!(err.to_string().contains("-1e300"), "{err}");
    let mut bad = good.clone();
    for v in [
        -1e300,
        1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        1e-300,
    ] {
        if let Some(d) = bad.steps[1].time_from_previous.as_mut() {
            d.median_seconds = v;
            d.p90_seconds = v;
            d.mean_seconds = v;
            d.min_seconds = i64::MIN;
            d.max_seconds = i64::MAX;
        }
        bad.time_to_convert = bad.steps[1].time_from_previous;
        let text = bad.to_string();
        assert!(text.contains("time to convert"));
        assert!(bad.validate().is_err());
    }
    // the valid report round-trips
    let back: FunnelReport = serde_json::from_str(&serde_json::to_string(&good).unwrap()).unwrap();
    assert_eq!(back, good);
}

/// Finding 9 at depth: configurations and accumulator states read from JSON
/// are checked too.
#[test]
fn finding_9_configs_and_states_from_json_are_checked() {
    for (json, value) in [
        (r#"{"steps": [], "window": 60}"#, "0"),
        (
            r#"{"steps": [{"name": "a", "conditions": []}], "window": -5}"#,
            "-5",
        ),
        (
            r#"{"steps": [{"name": "a", "conditions": []}], "window": 1e12}"#,
            "1000000000000",
        ),
        (
            r#"{"steps": [{"name": "a", "conditions": []}], "window": 60, "mode": {"allow_reentry": true}}"#,
            "allow_reentry",
        ),
    ] {
        let err = serde_json::from_str::<FunnelConfig>(json).unwrap_err();
        assert!(err.to_string().contains(value), "{json}: {err}");
    }
    let f = Funnel::new(FunnelConfig::new(
        vec![Step::event("view_item"), Step::event("purchase")],
        TimeDelta::hours(1),
    ))
    .unwrap();
    let log = views_log(3);
    let mut acc = FunnelAccumulator::new(&f).unwrap();
    for j in log.journeys() {
        acc.add(j).unwrap();
    }
    let good = serde_json::to_value(&acc).unwrap();
    let back: FunnelAccumulator = serde_json::from_value(good.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), good);
    for (path, v) in [
        ("/units", serde_json::json!(u64::MAX)),
        ("/at_level", serde_json::json!([1, 2])),
        ("/reached", serde_json::json!([5, 0])),
        ("/from_previous", serde_json::json!([[], [-7]])),
    ] {
        let mut bad = good.clone();
        *bad.pointer_mut(path).unwrap() = v;
        assert!(
            serde_json::from_value::<FunnelAccumulator>(bad).is_err(),
            "{path}"
        );
    }
    // counts near u64::MAX: a merge that would overflow is an error
    let mut big = good.clone();
    let max = serde_json::json!(u64::MAX);
    big["customers"] = max.clone();
    big["units"] = max.clone();
    big["at_level"] = serde_json::json!([u64::MAX, 0, 0]);
    big["stops"] = serde_json::json!({"never_reached_step_1": u64::MAX});
    big["reached"] = serde_json::json!([0, 0]);
    big["from_previous"] = serde_json::json!([[], []]);
    big["from_first"] = serde_json::json!([[], []]);
    big["trend"] = serde_json::json!({});
    let big: FunnelAccumulator = serde_json::from_value(big).unwrap();
    let mut a = FunnelAccumulator::new(&f).unwrap();
    a.merge(big.clone()).unwrap();
    let err = a.merge(acc.clone()).unwrap_err();
    assert!(names(&err, &u64::MAX.to_string()), "{err}");
    let err = a.add(log.journeys().next().unwrap()).unwrap_err();
    assert!(names(&err, &u64::MAX.to_string()), "{err}");
}

// ---------------------------------------------------------------- scaling

const RELEASE: &str = "release-mode scaling test: cargo test --release --test integration scaling_";

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    let s = t.elapsed().as_secs_f64();
    println!("{what}: {s:.3} s");
    assert!(s < 1.0, "{what} took {s:.3} s");
    out
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_funnel_strict_once_window_funnel() {
    let _ = RELEASE;
    let n = 100_000usize;
    for mode in ["strict_once,strict_increase", "strict_once"] {
        let f = WindowFunnel::new(3, TimeDelta::zero(), mode.parse().unwrap()).unwrap();
        let mut ev: Vec<(i64, u8)> = (0..n).map(|i| (0, if i < n / 2 { 1 } else { 2 })).collect();
        let level = timed(&format!("WindowFunnel::level {mode}, 100k"), || {
            f.level(&mut ev).unwrap()
        });
        assert!(level >= 1);
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_funnel_strict_once_journey() {
    let (log, funnel) = strict_once_log(100_000);
    let levels = timed(
        "Funnel::levels strict_once,strict_increase, 100k rows",
        || funnel.levels(&log, 0..1).unwrap(),
    );
    assert_eq!(levels, [1]);
    let r = timed(
        "FunnelAccumulator strict_once,strict_increase, 100k rows",
        || report_of(&funnel, &log),
    );
    assert_eq!(r.at_level, [0, 1, 0]);
    // 31 rows a second, each matching all 32 steps (so no second completes
    // the funnel and every second needs its matching): 100k events
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let tps: Vec<Touchpoint> = (0..3_226)
        .map(|i| {
            let mut t = Touchpoint::new(
                CustomerId(1),
                t0 + TimeDelta::seconds(i / 31),
                BuiltinKind::ProductView,
            );
            t.event = Some(EventName::new("view_item"));
            t
        })
        .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let f = Funnel::new(
        FunnelConfig::new(vec![Step::event("view_item"); 32], TimeDelta::zero())
            .with_mode(FunnelMode::strict_once()),
    )
    .unwrap();
    let levels = timed(
        "Funnel::levels strict_once, 32 equal steps, 31 rows a second, 100k events",
        || f.levels(&log, 0..1).unwrap(),
    );
    assert_eq!(levels, [31]);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_funnel_attempts() {
    let log = views_log(100_000);
    let f = attempts_funnel(TimeDelta::zero());
    let r = timed(
        "FunnelAccumulator by attempts, window 0, 100k views",
        || report_of(&f, &log),
    );
    assert_eq!(r.units, 100_000);
    let f = Funnel::new(
        f.config()
            .clone()
            .holding(Property::Kind)
            .counting(CountingUnit::Conversions),
    )
    .unwrap();
    let r = timed("... with a held property", || report_of(&f, &log));
    assert_eq!(r.units, 100_000);
}

// ---------------------------------------------------------------- proptests

proptest! {
    /// `WindowFunnel`: any number of steps, any window, any mode, any events:
    /// a level at most the steps, or an error naming the value.
    #[test]
    fn hostile_window_funnel(
        steps in 0usize..40,
        window in arb_seconds(),
        mode in arb_mode(),
        events in proptest::collection::vec((arb_seconds(), 0u8..40), 0..60),
    ) {
        match WindowFunnel::new(steps, delta(window), mode) {
            Err(e) => {
                let named = names(&e, &steps.to_string())
                    || names(&e, &secs(delta(window)).to_string())
                    || names(&e, &mode.to_string());
                prop_assert!(named, "{}", e);
            }
            Ok(f) => {
                let mut ev = events.clone();
                match f.level(&mut ev) {
                    Ok(level) => {
                        prop_assert!(usize::from(level) <= steps);
                        // any order of the input: the same level
                        let mut rev = events.clone();
                        rev.reverse();
                        prop_assert_eq!(f.level(&mut rev).unwrap(), level);
                    }
                    Err(e) => {
                        let bad = events.iter().find(|(_, s)| usize::from(*s) > steps).unwrap();
                        prop_assert!(names(&e, &bad.1.to_string()), "{}", e);
                    }
                }
            }
        }
    }

    /// `FunnelConfig` built in code: `validate` and `Funnel::new` agree, and
    /// every valid configuration round-trips through JSON.
    #[test]
    fn hostile_funnel_config(
        steps in proptest::collection::vec(arb_step(), 0..40),
        window in arb_seconds(),
        mode in arb_mode(),
        gap in proptest::option::of(arb_seconds()),
        excl in proptest::option::of((0u8..40, 0u8..40)),
        unit in 0usize..3,
        touch in 0u8..40,
    ) {
        let mut c = FunnelConfig::new(steps, delta(window)).with_mode(mode).counting(
            [CountingUnit::Customers, CountingUnit::Conversions, CountingUnit::Sessions][unit]);
        if let (Some(g), Some(s)) = (gap, c.steps.last_mut()) {
            *s = s.clone().within(delta(g));
        }
        if let Some((from, to)) = excl {
            c = c.excluding(Step::kind(BuiltinKind::AdClick), from, to);
        }
        c = c.breakdown_by(Property::Channel, Touch::Step { step: touch });
        match c.validate() {
            Err(e) => {
                prop_assert!(Funnel::new(c.clone()).is_err());
                let msg = e.to_string();
                prop_assert!(msg.contains("invalid configuration"), "{}", msg);
                // and the same configuration from JSON is refused
                if let Ok(json) = serde_json::to_string(&c) {
                    prop_assert!(serde_json::from_str::<FunnelConfig>(&json).is_err());
                }
            }
            Ok(()) => {
                prop_assert!(Funnel::new(c.clone()).is_ok());
                let json = serde_json::to_string(&c).unwrap();
                let back: FunnelConfig = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(back, c);
            }
        }
    }

    /// `FunnelConfig` from arbitrary JSON values: a configuration that
    /// validates, or an error; never a panic.
    #[test]
    fn hostile_funnel_config_json(
        n in 0usize..40,
        name in arb_name(),
        window in prop_oneof![any::<f64>(), Just(1e300), Just(-1e300), Just(0.5), Just(3.155_76e9)],
        mode in "[a-z_]{0,24}",
        minor in any::<i64>(),
    ) {
        let step = serde_json::json!({"name": name, "conditions": [{"type": "min_amount", "minor": minor}]});
        let json = serde_json::json!({
            "steps": vec![step; n],
            "window": window,
            "mode": {mode.as_str(): true},
        });
        if let Ok(c) = serde_json::from_value::<FunnelConfig>(json) {
            prop_assert!(c.validate().is_ok());
            prop_assert!(Funnel::new(c).is_ok());
        }
    }

    /// Steps and conditions round-trip through JSON.
    #[test]
    fn hostile_step_round_trip(step in arb_step(), optional in any::<bool>(), gap in 0i64..MAX_WINDOW_SECONDS) {
        let mut s = step.within(TimeDelta::seconds(gap));
        s.optional = optional;
        let back: Step = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        prop_assert_eq!(back, s);
    }

    /// The accumulator contract (any split, any merge order, through serde)
    /// on hostile configurations and logs; the report is byte-identical
    /// under shuffling the input, validates, round-trips and prints.
    #[test]
    fn hostile_funnel_accumulator(
        stream in proptest::collection::vec(arb_touchpoint(), 0..50),
        config in arb_config(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        seed in any::<u64>(),
    ) {
        let Ok(log) = EventLog::from_touchpoints(&stream, &JourneyConfig::default()) else {
            return Ok(());
        };
        let funnel = match Funnel::new(config.clone()) {
            Ok(f) => f,
            Err(e) => {
                // an invalid mode combination or an empty step name, named
                prop_assert!(
                    names(&e, &config.mode.to_string()) || names(&e, "steps.name"),
                    "{}",
                    e
                );
                return Ok(());
            }
        };
        crate::log::check_contract::<FunnelAccumulator>(&log, &funnel, &cuts);
        let report = run_on_log::<FunnelAccumulator>(&log, &funnel, 2).unwrap();
        prop_assert!(report.validate().is_ok(), "{:?}", report.validate());
        let json = serde_json::to_string(&report).unwrap();
        let back: FunnelReport = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &report);
        let _ = report.to_string();
        // shuffled input: the same bytes
        let mut shuffled = stream.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let log2 = EventLog::from_touchpoints(&shuffled, &JourneyConfig::default()).unwrap();
        let again = run_on_log::<FunnelAccumulator>(&log2, &funnel, 1).unwrap();
        prop_assert_eq!(serde_json::to_string(&again).unwrap(), json);
    }

    /// Reports from JSON with hostile numbers: refused with the value named,
    /// or valid (then they round-trip and print).
    #[test]
    fn hostile_funnel_report_json(
        field in 0usize..8,
        value in prop_oneof![any::<f64>(), Just(-1e300), Just(1e300), Just(0.0), Just(-1.0)],
        count in any::<u64>(),
    ) {
        let mut json = serde_json::to_value(sample_report()).unwrap();
        let v = serde_json::json!(value);
        let c = serde_json::json!(count);
        match field {
            0 => json["steps"][1]["time_from_previous"]["median_seconds"] = v,
            1 => json["steps"][1]["time_from_first"]["mean_seconds"] = v,
            2 => json["conversion"] = v,
            3 => json["steps"][0]["conversion_from_first"] = v,
            4 => json["units"] = c,
            5 => json["at_level"][0] = c,
            6 => json["steps"][0]["reached"] = c,
            _ => json["time_to_convert"]["max_seconds"] = c,
        }
        match serde_json::from_value::<FunnelReport>(json) {
            Ok(r) => {
                prop_assert!(r.validate().is_ok());
                let _ = r.to_string();
                let back: FunnelReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
                prop_assert_eq!(back, r);
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty());
            }
        }
    }

    /// Display never panics on any report built in code.
    #[test]
    fn hostile_funnel_report_display(
        med in any::<f64>(), p90 in any::<f64>(), mean in any::<f64>(),
        lo in any::<i64>(), hi in any::<i64>(), conv in any::<f64>(),
        name in arb_name(),
    ) {
        let mut r = sample_report();
        r.conversion = conv;
        r.steps[0].step = name.clone();
        if let Some(d) = r.steps[1].time_from_previous.as_mut() {
            d.median_seconds = med;
            d.p90_seconds = p90;
            d.mean_seconds = mean;
            d.min_seconds = lo;
            d.max_seconds = hi;
        }
        r.time_to_convert = r.steps[1].time_from_previous;
        r.breakdown.insert(name, cxjourney::funnel::BreakdownRow { units: 1, reached: vec![1, 0], conversion: conv });
        let _ = r.to_string();
    }
}

/// Custom conditions (closures) and channels with hostile names do not
/// break the log's dictionaries.
#[test]
fn hostile_custom_conditions() {
    let log = views_log(50);
    let f = Funnel::new(FunnelConfig::new(
        vec![
            Step::when("\u{0}", |r| r.micros() % 2 == 0),
            Step::kind(TouchpointKind::custom("🛒").unwrap()),
            Step::event("")
                .named("x")
                .and_channel(Channel::custom("é").unwrap()),
        ],
        TimeDelta::seconds(MAX_WINDOW_SECONDS),
    ))
    .unwrap();
    let r = report_of(&f, &log);
    assert_eq!(r.units, 1);
    assert!(Funnel::new(FunnelConfig::new(vec![Step::event("")], TimeDelta::zero())).is_err());
}

/// Per-step gaps round-trip through JSON exactly, to the nanosecond, up to
/// the funnel's cap (they were written as float seconds, which loses the
/// nanoseconds of long gaps).
#[test]
fn step_gaps_round_trip_to_the_nanosecond() {
    let longest = TimeDelta::seconds(MAX_WINDOW_SECONDS) - TimeDelta::nanoseconds(1);
    for gap in [
        TimeDelta::nanoseconds(1),
        TimeDelta::seconds(1_800) + TimeDelta::nanoseconds(123),
        longest,
    ] {
        let step = Step::kind(BuiltinKind::AddToCart)
            .within(gap)
            .at_least_after(gap);
        let json = serde_json::to_string(&step).unwrap();
        let back: Step = serde_json::from_str(&json).unwrap();
        assert_eq!(back, step, "{json}");
        let config = FunnelConfig::new(vec![Step::kind(BuiltinKind::ProductView), step], longest);
        config.validate().unwrap();
        let json = serde_json::to_string(&config).unwrap();
        let back: FunnelConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config, "{json}");
    }
}
