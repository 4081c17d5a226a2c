//! The funnel on the event log: the accumulator contract (any split, any
//! merge order, through serde, equals the whole), the same report on 1 to 4
//! threads, the resolved tables equal to the row predicates, and one
//! accumulator fed journeys of several logs.

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::funnel::{
    Condition, CountingUnit, Funnel, FunnelAccumulator, FunnelConfig, Property, Step, Touch,
};
use cxjourney::log::EventLog;
use cxjourney::{
    Accumulator, BuiltinChannel, BuiltinKind, Currency, CustomerId, EventName, JourneyConfig,
    Money, Stage, Touchpoint, TouchpointKind, run_on_log,
};
use proptest::prelude::*;

const EVENTS: [&str; 5] = ["view_item", "add_to_cart", "purchase", "promo", "xx"];

fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    (
        (0u64..6, 0i64..40, 0u32..3),
        (0usize..6, proptest::option::of(0usize..EVENTS.len())),
        (
            0usize..3,
            proptest::option::of(0u8..2),
            proptest::option::of(0u8..2),
        ),
        (
            proptest::option::of(0i64..3),
            proptest::option::of(0usize..3),
        ),
    )
        .prop_map(|((c, slot, frac), (k, ev), (ch, cat, camp), (val, st))| {
            let kinds = [
                TouchpointKind::from(BuiltinKind::ProductView),
                BuiltinKind::AddToCart.into(),
                BuiltinKind::CheckoutStart.into(),
                BuiltinKind::OrderCompleted.into(),
                BuiltinKind::AdClick.into(),
                TouchpointKind::custom("live").unwrap(),
            ];
            // Times on a 20-minute grid, some with a fraction of a second.
            let at =
                DateTime::<Utc>::from_timestamp(1_700_000_000 + slot * 1_200, frac * 400_000_000)
                    .unwrap();
            let mut t = Touchpoint::new(CustomerId(c * 7), at, kinds[k].clone()).with_channel(
                [
                    BuiltinChannel::Email,
                    BuiltinChannel::Sms,
                    BuiltinChannel::Direct,
                ][ch],
            );
            t.event = ev.map(|e| EventName::new(EVENTS[e]));
            t.category = cat.map(|x| ["toys", "books"][usize::from(x)].into());
            t.campaign = camp.map(|x| ["c1", "c2"][usize::from(x)].into());
            t.order = cat.map(|x| ["o1", "o2"][usize::from(x)].into());
            t.value = val.map(|v| Money::new(v * 1000, Currency::IDR).unwrap());
            t.stage = st.map(|i| [Stage::Awareness, Stage::Decision, Stage::Retention][i]);
            t
        })
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0usize..EVENTS.len()).prop_map(|e| Step::event(EVENTS[e])),
        2 => (0usize..4).prop_map(|k| Step::kind(
            [BuiltinKind::ProductView, BuiltinKind::AddToCart, BuiltinKind::OrderCompleted, BuiltinKind::AdClick][k])),
        1 => Just(Step::kind(TouchpointKind::custom("live").unwrap())),
        1 => Just(Step::event("product_view")), // a kind's name: rows without an event name
        1 => Just(Step::event("live")),
        1 => (0usize..2).prop_map(|e| Step::event(EVENTS[e]).and_channel(BuiltinChannel::Email)),
        1 => Just(Step::event("view_item").and_category("toys")),
        1 => Just(Step::kind(BuiltinKind::AddToCart).and(Condition::Campaign { campaign: "c2".into() })),
        1 => Just(Step::kind(BuiltinKind::OrderCompleted).and_min_amount(1000)),
        1 => Just(Step::stage(Stage::Decision)),
        1 => Just(Step::event("purchase").and_channel(cxjourney::Channel::custom("nowhere").unwrap())),
    ]
}

fn arb_config() -> impl Strategy<Value = FunnelConfig> {
    (
        proptest::collection::vec(arb_step(), 1..5),
        0usize..7,
        0usize..3,
        any::<bool>(),
        0usize..3,
        1i64..120,
        any::<bool>(),
    )
        .prop_map(|(steps, m, u, hold, b, w, excl)| {
            let modes = [
                "default",
                "strict_order",
                "strict_deduplication",
                "strict_increase",
                "first_entry",
                "strict_once",
                "strict_order,allow_reentry",
            ];
            let n = steps.len();
            let mut c = FunnelConfig::new(steps, TimeDelta::minutes(w))
                .with_mode(modes[m].parse().unwrap())
                .counting(
                    [
                        CountingUnit::Customers,
                        CountingUnit::Conversions,
                        CountingUnit::Sessions,
                    ][u],
                );
            if hold {
                c = c.holding(Property::Order);
            }
            c = match b {
                0 => c,
                1 => c.breakdown_by(Property::Channel, Touch::FirstTouch),
                _ => c.breakdown_by(Property::Event, Touch::Step { step: 1 }),
            };
            if excl && n >= 2 && m != 5 {
                c = c.excluding(Step::kind(BuiltinKind::AdClick), 1, 2);
            }
            c
        })
}

/// The same funnel with every condition a closure over the row (so the
/// resolved tables play no part).
fn by_predicates(config: &FunnelConfig) -> Funnel {
    let wrap = |s: &Step| {
        let inner = s.clone();
        let mut w = Step::when(s.name.clone(), move |r| inner.matches(r));
        w.optional = s.optional;
        w.max_gap = s.max_gap;
        w.min_gap = s.min_gap;
        w
    };
    let mut c = config.clone();
    c.steps = config.steps.iter().map(wrap).collect();
    for e in &mut c.exclusions {
        e.step = wrap(&e.step);
    }
    Funnel::new(c).unwrap()
}

fn report(f: &Funnel, log: &EventLog) -> cxjourney::funnel::FunnelReport {
    let mut acc = FunnelAccumulator::new(f).unwrap();
    for j in log.journeys() {
        acc.add(j).unwrap();
    }
    acc.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn funnel_keeps_the_contract(
        stream in proptest::collection::vec(arb_touchpoint(), 0..60),
        config in arb_config(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
        let funnel = Funnel::new(config).unwrap();
        crate::log::check_contract::<FunnelAccumulator>(&log, &funnel, &cuts);
        let one = run_on_log::<FunnelAccumulator>(&log, &funnel, 1).unwrap();
        for threads in 2..=4 {
            prop_assert_eq!(&run_on_log::<FunnelAccumulator>(&log, &funnel, threads).unwrap(), &one);
        }
    }

    #[test]
    fn tables_equal_row_predicates(
        stream in proptest::collection::vec(arb_touchpoint(), 0..60),
        config in arb_config(),
    ) {
        let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
        let fast = Funnel::new(config.clone()).unwrap();
        let slow = by_predicates(&config);
        let all = 0..log.customer_count();
        prop_assert_eq!(fast.levels(&log, all.clone()).unwrap(), slow.levels(&log, all).unwrap());
        for j in log.journeys() {
            prop_assert_eq!(fast.level(j).unwrap(), slow.level(j).unwrap());
            prop_assert_eq!(fast.paths(j).unwrap(), slow.paths(j).unwrap());
        }
        prop_assert_eq!(report(&fast, &log), report(&slow, &log));
    }

    /// One accumulator fed the journeys of two logs (different dictionaries,
    /// so different keys for the same names) equals two accumulators merged.
    #[test]
    fn one_accumulator_over_several_logs(
        a in proptest::collection::vec(arb_touchpoint(), 0..40),
        b in proptest::collection::vec(arb_touchpoint(), 0..40),
        config in arb_config(),
    ) {
        let la = EventLog::from_touchpoints(&a, &JourneyConfig::default()).unwrap();
        let lb = EventLog::from_touchpoints(&b, &JourneyConfig::default()).unwrap();
        let f = Funnel::new(config).unwrap();
        let mut both = FunnelAccumulator::new(&f).unwrap();
        for j in la.journeys().chain(lb.journeys()).chain(la.journeys()) {
            both.add(j).unwrap();
        }
        let mut merged = FunnelAccumulator::new(&f).unwrap();
        for log in [&la, &lb, &la] {
            let mut part = FunnelAccumulator::new(&f).unwrap();
            for j in log.journeys() {
                part.add(j).unwrap();
            }
            merged.merge(part).unwrap();
        }
        prop_assert_eq!(both.finish().unwrap(), merged.finish().unwrap());
    }
}

#[test]
fn states_of_different_funnels_do_not_merge() {
    let steps = || vec![Step::event("view_item"), Step::event("purchase")];
    let a = Funnel::new(FunnelConfig::new(steps(), TimeDelta::hours(1))).unwrap();
    let b = Funnel::new(FunnelConfig::new(steps(), TimeDelta::hours(2))).unwrap();
    let mut x = FunnelAccumulator::new(&a).unwrap();
    assert!(x.merge(FunnelAccumulator::new(&b).unwrap()).is_err());
    // Through serde: the fingerprint still tells them apart.
    let json = serde_json::to_string(&FunnelAccumulator::new(&b).unwrap()).unwrap();
    let back: FunnelAccumulator = serde_json::from_str(&json).unwrap();
    assert!(x.merge(back).is_err());
    // Closures serialize by their place; two different closures in one
    // process are told apart by identity.
    let c1 = Funnel::new(FunnelConfig::new(
        vec![Step::when("night", |r| r.micros() < 0)],
        TimeDelta::hours(1),
    ))
    .unwrap();
    let c2 = Funnel::new(FunnelConfig::new(
        vec![Step::when("night", |r| r.micros() < 0)],
        TimeDelta::hours(1),
    ))
    .unwrap();
    let mut y = FunnelAccumulator::new(&c1).unwrap();
    assert!(y.merge(FunnelAccumulator::new(&c2).unwrap()).is_err());
    let json = serde_json::to_string(&FunnelAccumulator::new(&c2).unwrap()).unwrap();
    let mut back: FunnelAccumulator = serde_json::from_str(&json).unwrap();
    // A deserialized state holds no funnel: it cannot take journeys.
    let log = EventLog::from_touchpoints(
        [Touchpoint::new(
            CustomerId(1),
            DateTime::<Utc>::UNIX_EPOCH,
            BuiltinKind::ProductView,
        )],
        &JourneyConfig::default(),
    )
    .unwrap();
    assert!(back.add(log.journeys().next().unwrap()).is_err());
    y.merge(back).unwrap();
}
