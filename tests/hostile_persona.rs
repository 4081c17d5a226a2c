//! Hostile input for the persona analysis (issue 15, findings 3 and 4):
//! product ids that would collide in a hash table, one session of many
//! distinct products, release-mode scaling probes at 100k rows, and a
//! proptest suite over the public persona API with adversarial values
//! (extreme dates, nanoseconds, custom kinds and channels, empty and odd
//! ids, huge journeys) that checks no panic, merge equals whole, the state
//! round trip and byte-identical output under shuffling.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cxjourney::log::EventLog;
use cxjourney::persona::{
    Classifier, PersonaAccumulator, PersonaRun, SessionMode, SessionModeConfig, session_modes,
};
use cxjourney::{
    Accumulator, BuiltinChannel, BuiltinKind as K, Channel, CheckoutType, CustomerId, Journey,
    JourneyConfig, PaymentMethod, Touchpoint, TouchpointKind, run_on_log,
};
use proptest::prelude::*;

use crate::log::check_contract;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap()
}

/// Product ids that share their first bytes and differ in a few bits: the
/// shape that defeated the old unseeded product table.
fn colliding_id(i: usize) -> String {
    format!("ab:{:05}", i ^ 0x5a5a)
}

/// One customer viewing `n` distinct products, one a second: with `gap`
/// within the session gap, it is one session.
fn one_customer_views(n: usize, gap_secs: i64) -> Vec<Touchpoint> {
    let c = CustomerId(1);
    (0..n)
        .map(|i| {
            Touchpoint::new(
                c,
                t0() + TimeDelta::seconds(gap_secs * i as i64),
                K::ProductView,
            )
            .with_product(&*colliding_id(i))
            .with_category(&*format!("cat-{}", i % 13))
        })
        .collect()
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Finding 3: the product table was an unseeded hash table; ids built to
/// collide made `profile` take 36 s at 100k. The table is now indexed by
/// the log's dense dictionary key, so no id can collide with another.
#[test]
fn finding_3_colliding_product_ids_profile_in_linear_time() {
    let n = 20_000;
    let j = Journey::new(one_customer_views(n, 1), &JourneyConfig::default()).unwrap();
    let cl = Classifier::default();
    let (p, took) = timed(|| cl.profile(&j, t0() + TimeDelta::days(1)));
    assert_eq!(p.distinct_products, n as u32);
    assert_eq!(p.product_views, n as u32);
    assert_eq!(p.distinct_categories, 13);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// Finding 4: `session_modes` scanned the session's products with
/// `Vec::contains` (18 s for one session of 100k distinct products).
#[test]
fn finding_4_one_session_of_distinct_products_is_linear() {
    let n = 20_000;
    let j = Journey::new(one_customer_views(n, 1), &JourneyConfig::default()).unwrap();
    let (modes, took) = timed(|| session_modes(&j, &SessionModeConfig::default()));
    assert_eq!(modes, [Some(SessionMode::HedonicBrowsing)]);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// Release-mode scaling: profile of one customer with 100k colliding ids.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_persona_profile_of_100k_colliding_products() {
    let j = Journey::new(one_customer_views(100_000, 1), &JourneyConfig::default()).unwrap();
    let cl = Classifier::default();
    let (p, took) = timed(|| cl.profile(&j, t0() + TimeDelta::days(2)));
    println!("scaling_persona_profile_of_100k_colliding_products: {took:?}");
    assert_eq!(p.distinct_products, 100_000);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// Release-mode scaling: session modes of one session of 100k distinct
/// products.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_persona_session_modes_of_one_100k_session() {
    let j = Journey::new(one_customer_views(100_000, 1), &JourneyConfig::default()).unwrap();
    let (modes, took) = timed(|| session_modes(&j, &SessionModeConfig::default()));
    println!("scaling_persona_session_modes_of_one_100k_session: {took:?}");
    assert_eq!(modes.len(), 1);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// Release-mode scaling: the accumulator over a log of 100k rows of
/// colliding ids, one customer in many sessions and many customers of one
/// row, on two threads.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_persona_accumulator_over_100k_hostile_rows() {
    let mut rows = one_customer_views(50_000, 3_600);
    rows.extend((0..50_000).map(|i| {
        Touchpoint::new(
            CustomerId(2 + i as u64),
            t0() + TimeDelta::seconds(i as i64),
            K::ProductView,
        )
        .with_product(&*colliding_id(i))
    }));
    let log = EventLog::from_touchpoints(&rows, &JourneyConfig::default()).unwrap();
    let run = PersonaRun::new(t0() + TimeDelta::days(3_000));
    let (report, took) = timed(|| run_on_log::<PersonaAccumulator>(&log, &run, 2).unwrap());
    println!("scaling_persona_accumulator_over_100k_hostile_rows: {took:?}");
    assert_eq!(report.customers, 50_001);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

// ---------------------------------------------------------------------------
// The hostile proptest suite.

/// Instants from chrono's edges, the epoch, and a busy campaign fortnight
/// (to the nanosecond, near the session gap).
fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        1 => Just(DateTime::<Utc>::MIN_UTC),
        1 => Just(DateTime::<Utc>::MAX_UTC),
        1 => Just(DateTime::<Utc>::UNIX_EPOCH),
        1 => (-1_000_000i64..1_000_000).prop_map(|s| DateTime::<Utc>::MIN_UTC + TimeDelta::seconds(s.abs())),
        1 => (-1_000_000i64..1_000_000).prop_map(|s| DateTime::<Utc>::MAX_UTC - TimeDelta::seconds(s.abs())),
        12 => (0i64..40 * 48, 0i64..3, 0i64..1_000).prop_map(|(slot, jitter, ns)| {
            t0() + TimeDelta::minutes(30 * slot) + TimeDelta::minutes(jitter) + TimeDelta::nanoseconds(ns)
        }),
    ]
}

/// Ids an attacker would send: empty, control characters, emoji, long,
/// shared prefixes.
fn arb_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{0}\u{7}\t\r\n".to_owned()),
        Just("🛒🔥 11.11".to_owned()),
        Just("x".repeat(300)),
        (0usize..40).prop_map(colliding_id),
        "[a-z]{1,3}",
    ]
}

fn arb_kind() -> impl Strategy<Value = TouchpointKind> {
    prop_oneof![
        8 => (0..K::ALL.len()).prop_map(|i| TouchpointKind::Builtin(K::ALL[i])),
        1 => Just(TouchpointKind::custom("live_stream_gift").unwrap()),
    ]
}

fn arb_channel() -> impl Strategy<Value = Channel> {
    prop_oneof![
        8 => (0..BuiltinChannel::ALL.len()).prop_map(|i| Channel::from(BuiltinChannel::ALL[i])),
        1 => Just(Channel::custom("live_shopping").unwrap()),
    ]
}

fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    (
        (0u64..6, arb_instant(), arb_kind(), arb_channel()),
        (
            proptest::option::of(arb_id()),
            proptest::option::of(arb_id()),
            proptest::option::of(arb_id()),
            any::<bool>(),
            proptest::option::of(0..PaymentMethod::ALL.len()),
            proptest::option::of(0..CheckoutType::ALL.len()),
        ),
    )
        .prop_map(
            |((c, at, kind, channel), (prod, cat, campaign, disc, pay, co))| {
                let mut t = Touchpoint::new(CustomerId(c), at, K::ProductListView)
                    .with_channel(channel)
                    .with_discounted(disc);
                t.kind = kind;
                if let Some(p) = prod.filter(|p| !p.is_empty()) {
                    t = t.with_product(&*p);
                }
                if let Some(c) = cat.filter(|c| !c.is_empty()) {
                    t = t.with_category(&*c);
                }
                if let Some(c) = campaign.filter(|c| !c.is_empty()) {
                    t = t.with_campaign(&*c);
                }
                t.payment = pay.map(|i| PaymentMethod::ALL[i]);
                t.checkout = co.map(|i| CheckoutType::ALL[i]);
                t
            },
        )
}

/// Every customer's profile and classification as JSON, in customer order.
fn per_customer(log: &EventLog, run: &PersonaRun) -> String {
    let mut acc = PersonaAccumulator::new(run).unwrap();
    let mut out = String::new();
    for j in log.journeys() {
        if let Some((p, c)) = acc.add_journey(j) {
            out.push_str(&serde_json::to_string(&p).unwrap());
            out.push_str(&serde_json::to_string(&c).unwrap());
            out.push('\n');
        }
    }
    out.push_str(&serde_json::to_string(&acc.finish().unwrap()).unwrap());
    out
}

proptest! {
    /// No panic, merge equals whole through serde, the same on 1 to 3
    /// threads, and byte-identical per-customer output when the input rows
    /// are shuffled.
    #[test]
    fn hostile_persona_accumulator_keeps_the_contract(
        stream in proptest::collection::vec(arb_touchpoint(), 0..60),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        as_of in arb_instant(),
        shuffle in any::<prop::sample::Index>(),
    ) {
        let config = JourneyConfig::default();
        let log = EventLog::from_touchpoints(&stream, &config).unwrap();
        let run = PersonaRun::new(as_of);
        check_contract::<PersonaAccumulator>(&log, &run, &cuts);
        let one = run_on_log::<PersonaAccumulator>(&log, &run, 1).unwrap();
        for threads in 2..=3 {
            prop_assert_eq!(&run_on_log::<PersonaAccumulator>(&log, &run, threads).unwrap(), &one);
        }
        // A rotation and a reversal of the input rows.
        let mut shuffled = stream.clone();
        if !shuffled.is_empty() {
            let k = shuffle.index(shuffled.len());
            shuffled.rotate_left(k);
            shuffled[..k.max(1)].reverse();
        }
        let other = EventLog::from_touchpoints(&shuffled, &config).unwrap();
        prop_assert_eq!(per_customer(&log, &run), per_customer(&other, &run));
    }

    /// `profile`, `classify`, `explain`, `classify_at`, `transitions` and
    /// `session_modes` on hostile journeys: no panic, scores in [0, 1],
    /// and the view of a log profiles as the journey does.
    #[test]
    fn hostile_persona_entry_points_do_not_panic(
        stream in proptest::collection::vec(arb_touchpoint(), 1..60),
        from in arb_instant(),
        to in arb_instant(),
    ) {
        let config = JourneyConfig::default();
        let journeys = Journey::group(stream.clone(), &config).unwrap();
        let log = EventLog::from_touchpoints(&stream, &config).unwrap();
        let cl = Classifier::default();
        let mut profiler = cl.profiler();
        for (view, j) in log.journeys().zip(&journeys) {
            let p = profiler.profile_view(view, to);
            prop_assert_eq!(&p, &cl.profile(j, to));
            let c = cl.classify(&p);
            for (_, s) in c.scores.iter() {
                prop_assert!((0.0..=1.0).contains(&s), "{s}");
            }
            let e = cl.explain(&p);
            prop_assert_eq!(e.classification, c);
            let _ = e.to_string();
            let _ = cl.classify_at(j, from);
            let modes = cl.session_modes(j);
            prop_assert_eq!(modes.len(), j.sessions().len());
        }
        let t = cl.transitions(&journeys, from, to);
        prop_assert_eq!(t.is_ok(), from <= to);
    }
}

/// A journey's profile is the same from a reused profiler whatever came
/// before it (the tables are cleared between journeys).
#[test]
fn hostile_persona_profiler_reuse_is_stateless() {
    let big = Journey::new(one_customer_views(5_000, 7), &JourneyConfig::default()).unwrap();
    let small = Journey::new(one_customer_views(3, 1), &JourneyConfig::default()).unwrap();
    let cl = Classifier::default();
    let at = t0() + TimeDelta::days(1);
    let fresh = cl.profile(&small, at);
    let mut profiler = cl.profiler();
    let _ = profiler.profile(&big, at);
    assert_eq!(profiler.profile(&small, at), fresh);
    let _ = profiler.profile(&big, at);
    assert_eq!(profiler.profile(&small, at), fresh);
}
