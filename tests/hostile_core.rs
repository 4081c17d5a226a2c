//! Hostile input for the model and journey layer (issue 15, area `core`):
//! touchpoints, journeys, the journey configuration, the event log and its
//! views, the sample shop and streams, the journey overview, and the persona
//! configuration as JSON. Random adversarial values (extreme dates, huge
//! and negative numbers, NaN and infinities, empty, huge, control-character
//! and emoji strings, zero and maximal durations) never panic; every error
//! names its value; everything that validates round-trips through serde;
//! merged parts equal the whole; output does not depend on input order.
//!
//! The proptests run with proptest's default configuration (256 cases);
//! the long run is
//! `PROPTEST_CASES=20000 cargo test --release --test integration hostile_core`.

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::funnel::{FunnelConfig, Step};
use cxjourney::log::{EventLog, EventLogBuilder, NewRow};
use cxjourney::persona::PersonaConfig;
use cxjourney::sample::{
    EventLogConfig, SampleConfig, SampleShop, StreamConfig, event_log, event_stream,
};
use cxjourney::{
    Accumulator, BuiltinChannel, BuiltinKind, Channel, CheckoutType, Currency, CustomerId, Device,
    Error, Journey, JourneyConfig, JourneyOverview, Money, PaymentMethod, Stage, StageVisit,
    Touchpoint, TouchpointKind,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

// ---------------------------------------------------------------- strategies

fn min_secs() -> i64 {
    DateTime::<Utc>::MIN_UTC.timestamp()
}

fn max_secs() -> i64 {
    DateTime::<Utc>::MAX_UTC.timestamp()
}

/// A moment anywhere in chrono's range, near its ends, or in an ordinary year.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let at =
        |s: i64, n: u32| DateTime::<Utc>::from_timestamp(s, n).unwrap_or(DateTime::<Utc>::MIN_UTC);
    prop_oneof![
        (min_secs()..=max_secs(), 0u32..1_000_000_000).prop_map(move |(s, n)| at(s, n)),
        (0i64..200_000, 0u32..1_000_000_000).prop_map(move |(s, n)| at(min_secs() + s, n)),
        (0i64..200_000, 0u32..1_000_000_000).prop_map(move |(s, n)| at(max_secs() - s, n)),
        (
            1_700_000_000i64..1_800_000_000,
            prop_oneof![Just(0u32), 0u32..1_000_000_000]
        )
            .prop_map(move |(s, n)| at(s, n)),
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        Just(DateTime::<Utc>::UNIX_EPOCH),
    ]
}

/// Any `TimeDelta`, with weight on the ends and on zero.
fn delta() -> impl Strategy<Value = TimeDelta> {
    let max = TimeDelta::MAX.num_seconds();
    prop_oneof![
        (-max..=max, 0u32..1_000_000_000).prop_map(|(s, n)| {
            TimeDelta::new(s, n).unwrap_or(if s < 0 {
                TimeDelta::MIN
            } else {
                TimeDelta::MAX
            })
        }),
        (any::<i64>()).prop_map(|ms| TimeDelta::try_milliseconds(ms).unwrap_or(TimeDelta::MAX)),
        (-1_000_000_000i64..1_000_000_000, 0u32..1_000_000_000)
            .prop_map(|(s, n)| TimeDelta::new(s, n).unwrap_or_default()),
        (0i64..1_000).prop_map(|n| TimeDelta::MAX - TimeDelta::nanoseconds(n)),
        (0i64..1_000).prop_map(|n| TimeDelta::MIN + TimeDelta::nanoseconds(n)),
        Just(TimeDelta::zero()),
        Just(TimeDelta::MAX),
        Just(TimeDelta::MIN),
        Just(TimeDelta::nanoseconds(1)),
        Just(TimeDelta::nanoseconds(-1)),
    ]
}

/// Hostile text: empty, huge, control characters, emoji, quotes, NUL.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z_]{1,12}",
        "\\PC{0,40}",
        ".{0,20}",
        Just("\u{0}\u{1b}[31m\r\n\t\"'\\".to_owned()),
        Just("🛒🇮🇩 keranjang".to_owned()),
        (1usize..5_000).prop_map(|n| "x".repeat(n)),
        Just("order_completed".to_owned()),
        Just("direct".to_owned()),
    ]
}

fn kind() -> impl Strategy<Value = TouchpointKind> {
    prop_oneof![
        4 => prop::sample::select(BuiltinKind::ALL.to_vec()).prop_map(TouchpointKind::from),
        1 => text().prop_map(|t| TouchpointKind::custom(&t).unwrap_or(TouchpointKind::from(BuiltinKind::ProductView))),
    ]
}

fn channel() -> impl Strategy<Value = Channel> {
    prop_oneof![
        4 => prop::sample::select(BuiltinChannel::ALL.to_vec()).prop_map(Channel::from),
        1 => text().prop_map(|t| Channel::custom(&t).unwrap_or(Channel::DIRECT)),
    ]
}

/// A touchpoint with hostile facts; `customers` bounds the customer ids
/// (0 means any `u64`).
fn touchpoint(customers: u64) -> impl Strategy<Value = Touchpoint> {
    let customer = if customers == 0 {
        any::<u64>().boxed()
    } else {
        (0..customers).boxed()
    };
    (
        (
            customer,
            instant(),
            kind(),
            channel(),
            prop::option::of(prop::sample::select(Stage::ALL.to_vec())),
            prop::option::of(prop::sample::select(Device::ALL.to_vec())),
            prop::option::of(text()),
        ),
        (
            prop::option::of(prop_oneof![any::<i64>(), 0i64..1_000_000, Just(i64::MAX)]),
            any::<bool>(),
            prop::option::of(prop::sample::select(PaymentMethod::ALL.to_vec())),
            prop::option::of(prop::sample::select(CheckoutType::ALL.to_vec())),
            prop::option::of(instant()),
            prop::option::of(text()),
            prop::option::of(text()),
        ),
    )
        .prop_map(
            |(
                (c, at, kind, ch, stage, device, order),
                (value, disc, pay, checkout, promised, product, campaign),
            )| {
                let mut t = Touchpoint::new(CustomerId(c), at, kind)
                    .with_channel(ch)
                    .with_discounted(disc);
                if let Some(s) = stage {
                    t = t.with_stage(s);
                }
                if let Some(d) = device {
                    t = t.with_device(d);
                }
                if let Some(o) = order {
                    t = t.with_order(o.as_str());
                }
                if let Some(m) = value.and_then(|v| Money::new(v, Currency::IDR).ok()) {
                    t = t.with_value(m);
                }
                if let Some(p) = pay {
                    t = t.with_payment(p);
                }
                if let Some(k) = checkout {
                    t = t.with_checkout(k);
                }
                if let Some(p) = promised {
                    t = t.with_promised_delivery(p);
                }
                if let Some(p) = product {
                    t = t.with_product(p.as_str()).with_category(p.as_str());
                }
                if let Some(c) = campaign {
                    t = t.with_campaign(c.as_str());
                }
                t
            },
        )
}

fn journey_config() -> impl Strategy<Value = JourneyConfig> {
    (delta(), any::<bool>()).prop_map(
        |(session_gap, repeat_activity_as_retention)| JourneyConfig {
            session_gap,
            repeat_activity_as_retention,
        },
    )
}

/// A shuffle of `v` by the permutation `keys` sorts into.
fn shuffled<T: Clone>(v: &[T], keys: &[u64]) -> Vec<T> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by_key(|&i| (keys.get(i).copied().unwrap_or(0), i));
    idx.into_iter().map(|i| v[i].clone()).collect()
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
    serde_json::from_str(&json(v)).unwrap()
}

/// The error's message contains one of `values` (as written or as `{:?}`).
fn names_value(e: &dyn std::fmt::Display, values: &[String]) -> bool {
    let m = e.to_string();
    values
        .iter()
        .any(|v| m.contains(v.as_str()) || m.contains(&format!("{v:?}")))
}

// ---------------------------------------------------- regression: findings

/// Finding 6: `utc_offset_minutes: i32::MIN` panicked in `validate`
/// (`abs()`); and a configuration from JSON was not validated at all.
#[test]
fn finding_6_utc_offset_i32_min_is_refused_also_from_json() {
    let c = PersonaConfig {
        utc_offset_minutes: i32::MIN,
        ..PersonaConfig::default()
    };
    let e = c.validate().unwrap_err();
    assert!(e.to_string().contains("-2147483648"), "{e}");
    let e = serde_json::from_str::<PersonaConfig>(r#"{"utc_offset_minutes": -2147483648}"#)
        .unwrap_err();
    assert!(e.to_string().contains("-2147483648"), "{e}");
    let e = serde_json::from_str::<PersonaConfig>(r#"{"pass_score": 7.5}"#).unwrap_err();
    assert!(e.to_string().contains("7.5"), "{e}");
    let e = serde_json::from_str::<PersonaConfig>(r#"{"reminder_window": -1}"#).unwrap_err();
    assert!(e.to_string().contains("reminder_window"), "{e}");
}

/// Finding 7: a season starting near chrono's minimum date panicked
/// (`DateTime - TimeDelta` overflowed).
#[test]
fn finding_7_sample_start_near_the_minimum_date_is_an_error() {
    for start in [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MIN_UTC + TimeDelta::hours(3),
        DateTime::<Utc>::MAX_UTC - TimeDelta::days(100),
    ] {
        let config = SampleConfig {
            customers: 200,
            start,
            ..SampleConfig::default()
        };
        let e = SampleShop::generate(&config).unwrap_err();
        assert!(e.to_string().contains(&start.to_rfc3339()), "{e}");
        assert!(matches!(e, Error::InvalidConfig { field: "start", .. }));
    }
    // The documented ends are accepted.
    let first = SampleConfig {
        customers: 50,
        days: 30,
        start: SampleConfig::earliest_start(),
        ..SampleConfig::default()
    };
    let shop = SampleShop::generate(&first).unwrap();
    assert!(
        shop.touchpoints
            .iter()
            .all(|t| t.at >= first.start - TimeDelta::days(2))
    );
    let last = SampleConfig {
        start: SampleConfig::latest_end() - TimeDelta::days(30 + 401),
        ..first
    };
    SampleShop::generate(&last).unwrap();
}

/// Finding 8: the generators had no size bounds.
#[test]
fn finding_8_sample_sizes_are_capped_with_errors_naming_the_value() {
    for touchpoints in [usize::MAX, 1 << 36, StreamConfig::MAX_TOUCHPOINTS + 1] {
        let e = event_stream(&StreamConfig {
            touchpoints,
            ..StreamConfig::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains(&touchpoints.to_string()), "{e}");
    }
    let e = event_stream(&StreamConfig {
        days: u32::MAX,
        ..StreamConfig::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains(&u32::MAX.to_string()), "{e}");
    let e = event_log(&EventLogConfig {
        users: u64::MAX,
        seed: 1,
    })
    .unwrap_err();
    assert!(e.to_string().contains(&u64::MAX.to_string()), "{e}");
    let e = SampleShop::generate(&SampleConfig {
        customers: 10_000_000,
        ..SampleConfig::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("10000000"), "{e}");
    // Deserializing checks the caps too.
    let e = serde_json::from_str::<StreamConfig>(r#"{"touchpoints": 68719476736}"#).unwrap_err();
    assert!(e.to_string().contains("68719476736"), "{e}");
    let e =
        serde_json::from_str::<EventLogConfig>(r#"{"users": 18446744073709551615}"#).unwrap_err();
    assert!(e.to_string().contains("18446744073709551615"), "{e}");
    let e = serde_json::from_str::<SampleConfig>(r#"{"customers": 10000000}"#).unwrap_err();
    assert!(e.to_string().contains("10000000"), "{e}");
}

/// Finding 10: an inconsistent overview state from JSON was accepted (a
/// conversion rate of 5.0), and counts near `u64::MAX` overflowed in
/// `merge`.
#[test]
fn finding_10_overview_state_is_checked_and_merge_cannot_overflow() {
    let mut state = serde_json::to_value(JourneyOverview::default()).unwrap();
    state["customers"] = 1.into();
    state["converted"] = 5.into();
    state["orders"] = 5.into();
    state["touchpoints"] = 5.into();
    let e = serde_json::from_value::<JourneyOverview>(state).unwrap_err();
    assert!(e.to_string().contains('5'), "{e}");
    assert!(e.to_string().contains("converted"), "{e}");

    let mut big = serde_json::to_value(JourneyOverview::default()).unwrap();
    big["customers"] = u64::MAX.into();
    big["touchpoints"] = u64::MAX.into();
    let big: JourneyOverview = serde_json::from_value(big).unwrap();
    let mut a = big.clone();
    let e = a.merge(big.clone()).unwrap_err();
    assert!(matches!(e, Error::TooMuchWork { .. }), "{e}");
    assert!(e.to_string().contains(&u64::MAX.to_string()), "{e}");
    assert_eq!(a, big, "a failed merge leaves the state unchanged");
    // `add` is checked too.
    let t = Touchpoint::new(
        CustomerId(1),
        DateTime::<Utc>::UNIX_EPOCH,
        BuiltinKind::ProductView,
    );
    let log = EventLog::from_touchpoints([&t], &JourneyConfig::default()).unwrap();
    let mut a = big.clone();
    assert!(a.add(log.journeys().next().unwrap()).is_err());
    assert!(big.report().conversion_rate <= 1.0);
}

/// Finding 15: durations above 9.0e15 s that `TimeDelta` holds could not be
/// read back, so configurations that validate did not load from their own
/// JSON.
#[test]
fn finding_15_configs_with_maximal_durations_round_trip() {
    let j = JourneyConfig {
        session_gap: TimeDelta::MAX,
        ..JourneyConfig::default()
    };
    j.validate().unwrap();
    assert_eq!(round_trip(&j), j);
    let p = PersonaConfig {
        reminder_window: TimeDelta::MAX,
        promotion_window: TimeDelta::MAX - TimeDelta::nanoseconds(1),
        unplanned_window: TimeDelta::seconds(9_100_000_000_000_000),
        ..PersonaConfig::default()
    };
    p.validate().unwrap();
    assert_eq!(round_trip(&p), p);
    let f = FunnelConfig::new(
        vec![
            Step::kind(BuiltinKind::ProductView),
            Step::kind(BuiltinKind::OrderCompleted),
        ],
        // The longest window a funnel takes (100 years), to the nanosecond.
        TimeDelta::seconds(cxjourney::funnel::MAX_WINDOW_SECONDS) - TimeDelta::nanoseconds(1),
    );
    f.validate().unwrap();
    assert_eq!(round_trip(&f), f);
    let too_long = FunnelConfig::new(f.steps.clone(), TimeDelta::MAX);
    assert!(too_long.validate().is_err());
    // Ordinary durations stay plain numbers of seconds.
    assert!(json(&JourneyConfig::default()).contains(r#""session_gap":1800.0"#));
    // Out of range is an error naming the value.
    let e = serde_json::from_str::<JourneyConfig>(r#"{"session_gap": 9.3e15}"#).unwrap_err();
    assert!(e.to_string().contains("9300000000000000"), "{e}");
    let e = serde_json::from_str::<JourneyConfig>(r#"{"session_gap": "12x"}"#).unwrap_err();
    assert!(e.to_string().contains("12x"), "{e}");
}

// ------------------------------------------------------------ proptests

proptest! {
    /// Every `TimeDelta` round-trips through JSON, to the nanosecond.
    #[test]
    fn hostile_durations_round_trip_over_the_whole_range(d in delta(), n in 0usize..10_000) {
        let visit = StageVisit {
            stage: Stage::Awareness,
            entered_at: DateTime::<Utc>::UNIX_EPOCH,
            first: n,
            touchpoints: n,
            time_spent: d,
        };
        prop_assert_eq!(round_trip(&visit), visit);
    }

    /// Any number or string where seconds are expected: a value or an error
    /// naming it, never a panic.
    #[test]
    fn hostile_duration_json_never_panics(
        f in prop_oneof![any::<f64>(), -1e17f64..1e17, Just(9.223372036854776e15), Just(-9.223372036854776e15)],
        i in any::<i64>(),
        s in text(),
    ) {
        for raw in [
            serde_json::to_string(&f).unwrap(),
            i.to_string(),
            serde_json::to_string(&s).unwrap(),
        ] {
            let doc = format!(r#"{{"session_gap": {raw}}}"#);
            match serde_json::from_str::<JourneyConfig>(&doc) {
                Ok(c) => {
                    prop_assert!(c.session_gap > TimeDelta::zero());
                    prop_assert_eq!(round_trip(&c), c);
                }
                Err(e) => {
                    let m = e.to_string();
                    prop_assert!(
                        m.contains("session_gap") || m.contains("duration") || m.contains("expected"),
                        "{}", m
                    );
                }
            }
        }
    }

    /// The journey configuration: validates or names its value; from JSON
    /// exactly when it validates; round-trips when it validates.
    #[test]
    fn hostile_journey_config(config in journey_config()) {
        let text = json(&config);
        match config.validate() {
            Ok(()) => prop_assert_eq!(serde_json::from_str::<JourneyConfig>(&text).unwrap(), config),
            Err(e) => {
                prop_assert!(names_value(&e, &[config.session_gap.to_string()]), "{}", e);
                let de = serde_json::from_str::<JourneyConfig>(&text).unwrap_err();
                prop_assert!(de.to_string().contains(&config.session_gap.to_string()), "{}", de);
            }
        }
    }

    /// Touchpoints with hostile facts round-trip through JSON.
    #[test]
    fn hostile_touchpoint_serde(t in touchpoint(0)) {
        prop_assert_eq!(round_trip(&t), t);
    }

    /// Custom names: accepted, or refused naming the name.
    #[test]
    fn hostile_custom_names(name in text()) {
        match TouchpointKind::custom(&name) {
            Ok(k) => prop_assert_eq!(round_trip(&k), k),
            Err(e) => prop_assert!(names_value(&e, std::slice::from_ref(&name)), "{}", e),
        }
        match Channel::custom(&name) {
            Ok(c) => prop_assert_eq!(round_trip(&c), c),
            Err(e) => prop_assert!(names_value(&e, std::slice::from_ref(&name)), "{}", e),
        }
    }

    /// `Journey::new` on hostile touchpoints of one customer: a journey whose
    /// sessions partition its touchpoints, the same for any input order, and
    /// the same after a JSON round trip.
    #[test]
    fn hostile_journey_new(
        tps in prop::collection::vec(touchpoint(1), 0..24),
        config in journey_config(),
        keys in prop::collection::vec(any::<u64>(), 24),
    ) {
        match Journey::new(tps.clone(), &config) {
            Ok(j) => {
                prop_assert_eq!(j.len(), tps.len());
                let mut next = 0;
                for s in j.sessions() {
                    prop_assert_eq!(s.start, next);
                    prop_assert!(s.end > s.start);
                    prop_assert!(s.duration() >= TimeDelta::zero());
                    next = s.end;
                }
                prop_assert_eq!(next, j.len());
                for v in j.stage_path() {
                    prop_assert!(v.time_spent >= TimeDelta::zero());
                }
                prop_assert!(j.time_to_first_order().is_none_or(|d| d >= TimeDelta::zero()));
                prop_assert_eq!(j.orders(), tps.iter().filter(|t| t.is(BuiltinKind::OrderCompleted)).count());
                let again = Journey::new(shuffled(&tps, &keys), &config).unwrap();
                prop_assert_eq!(json(&again), json(&j));
                prop_assert_eq!(round_trip(&j), j);
            }
            Err(e) => {
                prop_assert!(
                    tps.is_empty() || config.validate().is_err(),
                    "unexpected error {}", e
                );
            }
        }
    }

    /// The event log from hostile touchpoints of many customers, through
    /// `from_touchpoints` and the column builder: the same log for any input
    /// order and either way in, every view answers every question without
    /// panicking, and the log round-trips through JSON.
    #[test]
    fn hostile_event_log_and_views(
        tps in prop::collection::vec(touchpoint(6), 0..60),
        keys in prop::collection::vec(any::<u64>(), 60),
        config in journey_config(),
    ) {
        let log = match EventLog::from_touchpoints(&tps, &config) {
            Ok(log) => log,
            Err(e) => {
                prop_assert!(config.validate().is_err(), "unexpected error {}", e);
                return Ok(());
            }
        };
        prop_assert_eq!(log.len(), tps.len());
        let again = EventLog::from_touchpoints(shuffled(&tps, &keys), &config).unwrap();
        prop_assert_eq!(json(&again), json(&log));
        let mut b = EventLogBuilder::new(&config).unwrap();
        for t in shuffled(&tps, &keys).iter().rev() {
            b.push_row(&NewRow::of(t)).unwrap();
        }
        let built = b.finish().unwrap();
        prop_assert_eq!(json(&built), json(&log));
        prop_assert_eq!(round_trip(&log), log.clone());
        let mut rows = 0;
        for v in log.journeys() {
            rows += v.len();
            prop_assert_eq!(v.times().len(), v.len());
            prop_assert!(v.times().windows(2).all(|w| w[0] <= w[1]));
            let sessions: Vec<_> = v.sessions().collect();
            prop_assert_eq!(sessions.iter().map(|s| s.len()).sum::<usize>(), v.len());
            let path: Vec<_> = v.stage_path().collect();
            for s in &path {
                prop_assert!(s.time_spent >= TimeDelta::zero());
            }
            let _ = (v.orders(), v.time_to_first_order(), v.first_touch_at(), v.last_touch_at());
            for (i, r) in v.rows().enumerate() {
                let _ = (r.at(), r.kind(), r.channel(), r.value(), r.event_name(), v.stage_of(i));
            }
            prop_assert_eq!(v.touchpoints().len(), v.len());
        }
        prop_assert_eq!(rows, tps.len());
    }

    /// The journey overview keeps the accumulator contract on hostile logs:
    /// merged parts (after a JSON round trip each) equal the whole, output is
    /// byte-identical under shuffling, every state from `add` reads back,
    /// and the report's rates are shares.
    #[test]
    fn hostile_overview_contract(
        tps in prop::collection::vec(touchpoint(12), 0..80),
        keys in prop::collection::vec(any::<u64>(), 80),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let config = JourneyConfig::default();
        let log = EventLog::from_touchpoints(&tps, &config).unwrap();
        crate::log::check_contract::<JourneyOverview>(&log, &(), &cuts);
        let whole = |log: &EventLog| {
            let mut a = JourneyOverview::new(&()).unwrap();
            for j in log.journeys() {
                a.add(j).unwrap();
            }
            a
        };
        let a = whole(&log);
        prop_assert_eq!(round_trip(&a), a.clone());
        let b = whole(&EventLog::from_touchpoints(shuffled(&tps, &keys), &config).unwrap());
        prop_assert_eq!(json(&b.finish().unwrap()), json(&a.clone().finish().unwrap()));
        let r = a.report();
        prop_assert!((0.0..=1.0).contains(&r.conversion_rate));
        prop_assert!((0.0..=1.0).contains(&r.repeat_rate_of_converted));
        for c in r.stages.values() {
            prop_assert!((0.0..=1.0).contains(&c.current_share));
            prop_assert!((0.0..=1.0).contains(&c.entered_share));
        }
        prop_assert!(r.mean_hours_to_first_order.is_none_or(|h| h >= 0.0 && h.is_finite()));
    }

    /// Arbitrary overview states from JSON: refused naming a value, or
    /// accepted with shares in [0, 1]; merging accepted states never panics.
    #[test]
    fn hostile_overview_state_from_json(
        counts in prop::collection::vec(prop_oneof![0u64..4, any::<u64>(), Just(u64::MAX)], 21),
        ms in prop_oneof![any::<i64>().prop_map(i128::from), Just(i128::MAX), Just(i128::MIN), 0i128..1000],
    ) {
        let c = |i: usize| counts[i];
        let arr = |from: usize| (from..from + 5).map(c).collect::<Vec<u64>>();
        let state = format!(
            r#"{{"customers": {}, "touchpoints": {}, "sessions": {}, "converted": {}, "repeat_buyers": {}, "orders": {}, "first_order_ms": {ms}, "current": {:?}, "furthest": {:?}, "entered": {:?}}}"#,
            c(0), c(1), c(2), c(3), c(4), c(5), arr(6), arr(11), arr(16),
        );
        match serde_json::from_str::<JourneyOverview>(&state) {
            Ok(a) => {
                let r = a.report();
                prop_assert!((0.0..=1.0).contains(&r.conversion_rate));
                prop_assert!((0.0..=1.0).contains(&r.repeat_rate_of_converted));
                for s in r.stages.values() {
                    prop_assert!((0.0..=1.0).contains(&s.current_share));
                    prop_assert!((0.0..=1.0).contains(&s.entered_share));
                }
                prop_assert_eq!(round_trip(&a), a.clone());
                let mut b = a.clone();
                match b.merge(a.clone()) {
                    Ok(()) => prop_assert_eq!(b.report().customers, r.customers * 2),
                    Err(e) => {
                        prop_assert!(e.to_string().contains(&u64::MAX.to_string()), "{}", e);
                        prop_assert_eq!(b, a);
                    }
                }
            }
            Err(e) => {
                let mut values: Vec<String> = counts.iter().map(u64::to_string).collect();
                values.push(ms.to_string());
                prop_assert!(names_value(&e, &values), "{}", e);
            }
        }
    }

    /// The sample shop from hostile configurations: a shop or an error naming
    /// the value; a shop's touchpoints lie in the years 1 to 9999; a valid
    /// configuration round-trips and an invalid one is refused from JSON.
    #[test]
    fn hostile_sample_shop(
        customers in prop_oneof![0usize..40, any::<usize>(), Just(SampleConfig::MAX_CUSTOMERS + 1)],
        days in prop_oneof![0u32..40, any::<u32>(), Just(SampleConfig::MAX_DAYS), Just(SampleConfig::MAX_DAYS + 1)],
        start in instant(),
        seed in any::<u64>(),
    ) {
        // Long seasons only with few customers, to keep the test quick.
        let customers = if days > 400 && customers <= SampleConfig::MAX_CUSTOMERS {
            customers.min(3)
        } else {
            customers
        };
        let config = SampleConfig { customers, days, start, seed };
        let text = json(&config);
        match SampleShop::generate(&config) {
            Ok(shop) => {
                prop_assert!(config.validate().is_ok());
                prop_assert_eq!(shop.customers.len(), customers);
                let (lo, hi) = (SampleConfig::earliest_start() - TimeDelta::days(2), SampleConfig::latest_end());
                let inside = shop.touchpoints.iter().all(|t| t.at >= lo && t.at < hi);
                prop_assert!(inside);
                prop_assert_eq!(serde_json::from_str::<SampleConfig>(&text).unwrap(), config);
            }
            Err(e) => {
                let values = [customers.to_string(), days.to_string(), start.to_rfc3339()];
                prop_assert!(names_value(&e, &values), "{}", e);
                let de = serde_json::from_str::<SampleConfig>(&text).unwrap_err();
                prop_assert!(names_value(&de, &values), "{}", de);
            }
        }
    }

    /// The sample streams from hostile sizes: a stream of exactly the size
    /// asked, or an error naming the value.
    #[test]
    fn hostile_sample_streams(
        touchpoints in prop_oneof![0usize..3_000, any::<usize>()],
        customers in prop_oneof![0usize..300, any::<usize>()],
        days in prop_oneof![0u32..100, any::<u32>()],
        users in prop_oneof![0u64..300, any::<u64>()],
        seed in any::<u64>(),
    ) {
        let config = StreamConfig { touchpoints, customers, days, seed };
        match event_stream(&config) {
            Ok(s) => {
                prop_assert_eq!(s.len(), touchpoints);
                prop_assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
                prop_assert_eq!(round_trip(&config), config);
            }
            Err(e) => {
                let values = [touchpoints.to_string(), customers.to_string(), days.to_string()];
                prop_assert!(names_value(&e, &values), "{}", e);
                prop_assert!(serde_json::from_str::<StreamConfig>(&json(&config)).is_err());
            }
        }
        let config = EventLogConfig { users, seed };
        match event_log(&config) {
            Ok(rows) => {
                prop_assert!(rows.len() as u64 >= users);
                prop_assert!(rows.windows(2).all(|w| w[0].ts <= w[1].ts));
                prop_assert_eq!(round_trip(&config), config);
            }
            Err(e) => {
                prop_assert!(e.to_string().contains(&users.to_string()), "{}", e);
                prop_assert!(serde_json::from_str::<EventLogConfig>(&json(&config)).is_err());
            }
        }
    }

    /// The persona configuration with hostile numbers: validates or names
    /// the value, reads from its JSON exactly when it validates, and
    /// round-trips when it does.
    #[test]
    fn hostile_persona_config_json(
        offset in prop_oneof![any::<i32>(), -1200i32..1200, Just(i32::MIN), Just(i32::MAX)],
        windows in (delta(), delta(), delta()),
        pass_score in prop_oneof![any::<f64>(), 0.0f64..1.5, Just(f64::MIN_POSITIVE)],
        lead in prop_oneof![0u32..40, any::<u32>()],
        nps in any::<u8>(),
        ratio in prop_oneof![any::<f64>(), 0.0f64..10.0],
        ramp in (prop_oneof![any::<f64>(), -10.0f64..10.0], prop_oneof![any::<f64>(), -10.0f64..10.0]),
        day in (0u32..14, 0u32..33, text()),
    ) {
        let mut c = PersonaConfig {
            utc_offset_minutes: offset,
            unplanned_window: windows.0,
            reminder_window: windows.1,
            promotion_window: windows.2,
            pass_score,
            campaign_lead_days: lead,
            promoter_nps: nps,
            ..PersonaConfig::default()
        };
        c.session_modes.knowledge_min_info_ratio = ratio;
        c.loyal.orders = cxjourney::persona::Ramp::new(ramp.0, ramp.1);
        c.campaign_days.push(cxjourney::persona::CampaignDay::new(day.0, day.1, &day.2));
        match c.validate() {
            Ok(()) => {
                prop_assert_eq!(serde_json::from_str::<PersonaConfig>(&json(&c)).unwrap(), c);
            }
            Err(e) => {
                let values = [
                    offset.to_string(), windows.0.to_string(), windows.1.to_string(),
                    windows.2.to_string(), pass_score.to_string(), lead.to_string(),
                    nps.to_string(), ratio.to_string(), ramp.0.to_string(), ramp.1.to_string(),
                    format!("{}.{}", day.0, day.1),
                ];
                prop_assert!(names_value(&e, &values), "{}", e);
                // NaN and infinities have no JSON spelling (serde_json writes
                // null), which the reader refuses as well.
                if let Ok(text) = serde_json::to_string(&c) {
                    prop_assert!(serde_json::from_str::<PersonaConfig>(&text).is_err());
                }
            }
        }
    }
}

// ------------------------------------------------------ scaling (release)

/// 100k touchpoints of one customer, all at one instant with the same kind
/// (every comparison of the sort goes down to the last field): a journey,
/// its sessions and its stage path in well under a second.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_journey_one_customer_100k_ties() {
    let at = DateTime::<Utc>::UNIX_EPOCH;
    let tps: Vec<Touchpoint> = (0..100_000u32)
        .rev()
        .map(|i| {
            Touchpoint::new(CustomerId(7), at, BuiltinKind::ProductView)
                .with_product(format!("sku-{:06}", i % 1_000).as_str())
                .with_campaign(format!("c{:06}", i).as_str())
        })
        .collect();
    let start = std::time::Instant::now();
    let j = Journey::new(tps, &JourneyConfig::default()).unwrap();
    let mut o = JourneyOverview::default();
    o.add(j.view()).unwrap();
    let took = start.elapsed();
    println!("scaling_journey_one_customer_100k_ties: {took:?}");
    assert_eq!(j.sessions().len(), 1);
    assert_eq!(o.report().touchpoints, 100_000);
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
}

/// 100k customers of one touchpoint each at the ends of chrono's range and
/// with the maximal session gap: the log, every view's sessions and stage
/// path, and the overview, in well under a second.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_overview_100k_customers_at_extreme_dates() {
    let config = JourneyConfig {
        session_gap: TimeDelta::MAX,
        ..JourneyConfig::default()
    };
    let tps: Vec<Touchpoint> = (0..100_000u64)
        .map(|i| {
            let at = if i % 2 == 0 {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            };
            Touchpoint::new(CustomerId(i / 2), at, BuiltinKind::OrderCompleted)
        })
        .collect();
    let start = std::time::Instant::now();
    let log = EventLog::from_touchpoints(&tps, &config).unwrap();
    let mut o = JourneyOverview::default();
    for j in log.journeys() {
        o.add(j).unwrap();
    }
    let took = start.elapsed();
    println!("scaling_overview_100k_customers_at_extreme_dates: {took:?}");
    let r = o.report();
    assert_eq!(
        (r.customers, r.converted, r.repeat_buyers),
        (50_000, 50_000, 50_000)
    );
    assert!(r.mean_hours_to_first_order.unwrap() == 0.0);
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
}
