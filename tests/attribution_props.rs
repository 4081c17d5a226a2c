//! Properties of the attribution models on random paths: conservation for
//! every model; symmetric channels get equal credit; a channel on no
//! converting path gets nothing from Markov and Shapley; renaming channels
//! permutes the result and changes nothing else; the order of the paths
//! never matters; merging path sets and accumulators equals the whole; and
//! random input never panics.

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::attribution::{
    AttributionAccumulator, AttributionConfig, AttributionReport, ChannelReport, Credit,
    FirstTouch, LastNonDirect, LastTouch, Linear, Markov, Model, OrderedShapley, PathSet, PathsPer,
    PositionBased, RefundPolicy, Shapley, ShapleyGame, SimplifiedShapley, TimeDecay,
};
use cxjourney::log::EventLog;
use cxjourney::{
    BuiltinChannel, BuiltinKind, Currency, CustomerId, JourneyConfig, Money, Touchpoint,
};
use proptest::prelude::*;

use crate::log::check_contract;

/// One path: channel indices, conversions, value per conversion (cents),
/// non-conversions, and hours to the end per touch.
type RawPath = (Vec<usize>, u64, u64, u64, Vec<u16>);

fn arb_path(channels: usize) -> impl Strategy<Value = RawPath> {
    (1usize..7).prop_flat_map(move |len| {
        (
            proptest::collection::vec(0..channels, len),
            0u64..4,
            0u64..20_000,
            0u64..5,
            proptest::collection::vec(0u16..500, len),
        )
    })
}

fn arb_paths(channels: usize) -> impl Strategy<Value = Vec<RawPath>> {
    proptest::collection::vec(arb_path(channels), 1..25)
}

const NAMES: [&str; 6] = ["search", "social", "email", "direct", "sms", "display"];

/// A timed path set (time decay at 24 hours) of the raw paths under `name`.
fn build(raw: &[RawPath], name: impl Fn(usize) -> String) -> PathSet {
    let mut set = PathSet::with_time_decay(TimeDelta::hours(24)).unwrap();
    for (p, conv, cents, nulls, hours) in raw {
        let names: Vec<String> = p.iter().map(|&c| name(c)).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        // Hours to the end do not increase along the path.
        let mut ages: Vec<TimeDelta> = hours
            .iter()
            .map(|&h| TimeDelta::minutes(i64::from(h) * 6))
            .collect();
        ages.sort_unstable_by(|a, b| b.cmp(a));
        let value = if *conv == 0 {
            0.0
        } else {
            (*conv * *cents) as f64 / 100.0
        };
        set.add_timed(
            &refs,
            &ages,
            *conv,
            value,
            *nulls + u64::from(*conv + *nulls == 0),
        )
        .unwrap();
    }
    set
}

fn plain(c: usize) -> String {
    NAMES[c].to_owned()
}

#[track_caller]
fn close(what: &str, a: f64, b: f64) {
    let tol = 1e-9 * a.abs().max(b.abs()).max(1e-3);
    assert!((a - b).abs() <= tol, "{what}: {a} vs {b}");
}

fn config() -> AttributionConfig {
    AttributionConfig {
        ordered_shapley: true,
        ..AttributionConfig::default()
    }
}

/// Every model's `(conversions, value)` column of a report.
fn columns(r: &AttributionReport) -> Vec<(&'static str, Vec<(String, Credit)>)> {
    let col = |f: fn(&ChannelReport) -> Credit| {
        r.channels
            .iter()
            .map(|(n, c)| (n.clone(), f(c)))
            .collect::<Vec<_>>()
    };
    vec![
        ("first_touch", col(|c| c.first_touch)),
        ("last_touch", col(|c| c.last_touch)),
        ("last_non_direct", col(|c| c.last_non_direct)),
        ("linear", col(|c| c.linear)),
        ("position_based", col(|c| c.position_based)),
        ("time_decay", col(|c| c.time_decay.unwrap())),
        (
            "markov",
            col(|c| Credit {
                conversions: c.markov.conversions,
                value: c.markov.value,
            }),
        ),
        ("shapley", col(|c| c.shapley)),
        ("shapley_exact", col(|c| c.shapley_exact.unwrap())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every model's credit adds up to the conversions and the value.
    #[test]
    fn every_model_conserves(raw in arb_paths(6), order in 1u8..=3) {
        let paths = build(&raw, plain);
        let config = AttributionConfig { markov: Markov::order(order), ..config() };
        let r = AttributionReport::from_paths(&paths, &config).unwrap();
        let (conv, value) = (paths.total_conversions() as f64, paths.total_value());
        for (model, column) in columns(&r) {
            let c: f64 = column.iter().map(|(_, x)| x.conversions).sum();
            let v: f64 = column.iter().map(|(_, x)| x.value).sum();
            close(&format!("{model} conversions"), c, conv);
            close(&format!("{model} value"), v, value);
        }
        let rate = Shapley { game: ShapleyGame::ConversionRate }.attribute(&paths).unwrap();
        close("conversion-rate game", rate.values().map(|c| c.conversions).sum(), conv);
        close("conversion-rate game value", rate.values().map(|c| c.value).sum(), value);
        for (name, positions) in r.ordered_shapley.as_ref().unwrap() {
            let s: f64 = positions.iter().map(|c| c.conversions).sum();
            close(&format!("ordered {name}"), s, r.channels[name].shapley.conversions);
        }
        // The exact Shapley value of the conversions game is the simplified one.
        for (name, c) in &r.channels {
            let e = c.shapley_exact.unwrap();
            close(&format!("exact {name}"), e.conversions, c.shapley.conversions);
            close(&format!("exact value {name}"), e.value, c.shapley.value);
        }
        prop_assert!((r.conversion_probability - conv / (conv + paths.total_nulls() as f64)).abs() < 1e-12);
    }

    /// Swapping two channels maps the paths onto themselves: they get equal
    /// credit under every model.
    #[test]
    fn symmetric_channels_get_equal_credit(raw in arb_paths(4), order in 1u8..=3) {
        let swap = |c: usize| match c { 0 => 1, 1 => 0, x => x };
        let mut both = raw.clone();
        both.extend(raw.iter().map(|(p, c, v, n, h)| (p.iter().map(|&x| swap(x)).collect(), *c, *v, *n, h.clone())));
        let paths = build(&both, plain);
        let config = AttributionConfig { markov: Markov::order(order), ..config() };
        let r = AttributionReport::from_paths(&paths, &config).unwrap();
        for (model, column) in columns(&r) {
            let get = |n: &str| column.iter().find(|(m, _)| m == n).map(|(_, c)| *c);
            if let (Some(a), Some(b)) = (get(NAMES[0]), get(NAMES[1])) {
                close(&format!("{model} conversions"), a.conversions, b.conversions);
                close(&format!("{model} value"), a.value, b.value);
            }
        }
        if let (Some(a), Some(b)) = (r.channels.get(NAMES[0]), r.channels.get(NAMES[1])) {
            close("removal effect", a.markov.removal_effect, b.markov.removal_effect);
        }
    }

    /// A channel on no converting path gets nothing from the Shapley values
    /// (it is a dummy player) and from every rule-based model. For Markov it
    /// gets nothing when its touches also lead nowhere else: here it only
    /// ends journeys that did not convert. (A channel in the middle of
    /// non-converting paths can still earn Markov credit: the chain joins
    /// paths, so its walks may continue along converting ones.)
    #[test]
    fn a_channel_on_no_converting_path_gets_nothing(raw in arb_paths(5), tails in proptest::collection::vec((arb_path(5), 1usize..3), 1..4), order in 1u8..=3) {
        let mut all = raw.clone();
        for ((p, _, _, n, h), k) in tails {
            let mut p = p.clone();
            let mut h = h.clone();
            for _ in 0..k {
                p.push(5);
                h.push(0);
            }
            all.push((p, 0, 0, n + 1, h));
        }
        let paths = build(&all, plain);
        let config = AttributionConfig { markov: Markov::order(order), ..config() };
        let r = AttributionReport::from_paths(&paths, &config).unwrap();
        let z = &r.channels[NAMES[5]];
        prop_assert_eq!(z.markov.removal_effect, 0.0);
        prop_assert_eq!(z.markov.conversions, 0.0);
        prop_assert_eq!(z.markov.value, 0.0);
        prop_assert_eq!(z.shapley.conversions, 0.0);
        prop_assert_eq!(z.shapley_exact.unwrap().conversions, 0.0);
        for (model, column) in columns(&r) {
            let c = column.iter().find(|(n, _)| n == NAMES[5]).unwrap().1;
            prop_assert_eq!(c.conversions, 0.0, "{}", model);
        }
    }

    /// Renaming the channels renames the result; nothing else changes.
    #[test]
    fn renaming_permutes_the_result(raw in arb_paths(6), perm in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(), order in 1u8..=2) {
        let a = build(&raw, plain);
        let renamed = |c: usize| format!("ch_{}", NAMES[perm[c]]);
        let b = build(&raw, renamed);
        let config = AttributionConfig { markov: Markov::order(order), ..config() };
        let ra = AttributionReport::from_paths(&a, &config).unwrap();
        // The direct channel is a name the last-non-direct model knows: rename it too.
        let config_b = AttributionConfig {
            last_non_direct: LastNonDirect { direct: renamed(3) },
            ..config
        };
        let rb = AttributionReport::from_paths(&b, &config_b).unwrap();
        prop_assert_eq!(ra.channels.len(), rb.channels.len());
        let (ca, cb) = (columns(&ra), columns(&rb));
        for ((model, x), (_, y)) in ca.iter().zip(&cb) {
            for (name, credit) in x {
                let c = NAMES.iter().position(|n| n == name).unwrap();
                let other = y.iter().find(|(n, _)| *n == renamed(c)).unwrap().1;
                close(&format!("{model} {name}"), credit.conversions, other.conversions);
                close(&format!("{model} {name} value"), credit.value, other.value);
            }
        }
        close("p", ra.conversion_probability, rb.conversion_probability);
    }

    /// The order in which paths are added or merged never changes a result,
    /// bit for bit; merging parts equals the whole.
    #[test]
    fn order_and_merging_do_not_matter(raw in arb_paths(6), cut in 0usize..25, order in 1u8..=3) {
        let whole = build(&raw, plain);
        let mut reversed: Vec<RawPath> = raw.clone();
        reversed.reverse();
        let cut = cut.min(raw.len());
        let mut merged = build(&reversed[cut..], plain);
        merged.merge(build(&reversed[..cut], plain)).unwrap();
        let json: PathSet = serde_json::from_str(&serde_json::to_string(&merged).unwrap()).unwrap();
        let config = AttributionConfig { markov: Markov::order(order), bootstrap: Some(cxjourney::attribution::Bootstrap { replicates: 5, ..Default::default() }), ..config() };
        let a = AttributionReport::from_paths(&whole, &config).unwrap();
        let b = AttributionReport::from_paths(&merged, &config).unwrap();
        let c = AttributionReport::from_paths(&json, &config).unwrap();
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&c).unwrap());
    }

    /// Arbitrary bytes and arbitrary paths never panic.
    #[test]
    fn random_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in "[a-c>, \"\n.0-9-]{0,120}", raw in arb_paths(3)) {
        for data in [&bytes[..], text.as_bytes()] {
            let _ = PathSet::parse_csv(data);
            let _ = PathSet::parse_journeys_csv(data, TimeDelta::hours(1));
            let mut with_header = b"path,total_conversions,total_conversion_value,total_null\n".to_vec();
            with_header.extend_from_slice(data);
            if let Ok(p) = PathSet::parse_csv(&with_header) {
                let _ = AttributionReport::from_paths(&p, &config());
            }
        }
        let paths = build(&raw, plain);
        let models: [&dyn Model; 9] = [
            &FirstTouch, &LastTouch, &LastNonDirect::default(), &Linear, &PositionBased::default(),
            &TimeDecay, &SimplifiedShapley, &Shapley::default(), &Markov::order(4).with_max_states(20),
        ];
        for m in models {
            let _ = m.attribute(&paths);
        }
        let _ = OrderedShapley.positions(&paths);
    }
}

// ----- the accumulator over an event log -----

fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    let kinds = [
        BuiltinKind::AdClick,
        BuiltinKind::SearchVisit,
        BuiltinKind::ProductView,
        BuiltinKind::AddToCart,
        BuiltinKind::OrderCompleted,
        BuiltinKind::OrderCompleted,
        BuiltinKind::Delivered,
        BuiltinKind::Returned,
        BuiltinKind::Refund,
        BuiltinKind::OrderCancelled,
    ];
    (
        0u64..6,
        0i64..400,
        0..kinds.len(),
        0..BuiltinChannel::ALL.len(),
        proptest::option::of(0u8..3),
        proptest::option::of(0i64..5_000_000),
    )
        .prop_map(move |(c, slot, k, ch, order, value)| {
            let at = DateTime::<Utc>::from_timestamp(1_700_000_000 + slot * 1_800, 0).unwrap();
            let mut t =
                Touchpoint::new(CustomerId(c), at, kinds[k]).with_channel(BuiltinChannel::ALL[ch]);
            t.order = order.map(|o| format!("o{o}").as_str().into());
            t.value = value.map(|v| Money::new(v, Currency::IDR).unwrap());
            t
        })
}

fn arb_config() -> impl Strategy<Value = AttributionConfig> {
    (0..3usize, any::<bool>(), 1i64..200, 1u8..=2).prop_map(
        |(refunds, per, lookback_hours, order)| AttributionConfig {
            refunds: [RefundPolicy::Keep, RefundPolicy::Exclude, RefundPolicy::Net][refunds],
            paths_per: if per {
                PathsPer::Customer
            } else {
                PathsPer::Conversion
            },
            lookback: TimeDelta::hours(lookback_hours),
            markov: Markov::order(order),
            ..AttributionConfig::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Splitting the customers, accumulating the parts, a serde round trip
    /// and merging in any order gives the whole's report.
    #[test]
    fn accumulator_contract(stream in proptest::collection::vec(arb_touchpoint(), 0..60), config in arb_config(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
        check_contract::<AttributionAccumulator>(&log, &config, &cuts);
    }

    /// From an event log: every model conserves, netting never raises the
    /// value, excluding never raises the conversions.
    #[test]
    fn refunds_only_lower_the_totals(stream in proptest::collection::vec(arb_touchpoint(), 0..60)) {
        let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
        let run = |refunds| {
            let config = AttributionConfig { refunds, ..AttributionConfig::default() };
            cxjourney::run_on_log::<AttributionAccumulator>(&log, &config, 2).unwrap()
        };
        let (keep, exclude, net) = (run(RefundPolicy::Keep), run(RefundPolicy::Exclude), run(RefundPolicy::Net));
        prop_assert!(exclude.conversions <= net.conversions && net.conversions <= keep.conversions);
        prop_assert!(net.value <= keep.value + 1e-9 && exclude.value <= net.value + 1e-9);
        let orders = stream.iter().filter(|t| t.is(BuiltinKind::OrderCompleted)).count() as u64;
        prop_assert_eq!(keep.conversions, orders);
        for r in [&keep, &exclude, &net] {
            for (model, column) in columns_without_decay(r) {
                let c: f64 = column.iter().map(|x| x.conversions).sum();
                close(model, c, r.conversions as f64);
            }
        }
    }
}

fn columns_without_decay(r: &AttributionReport) -> Vec<(&'static str, Vec<Credit>)> {
    let col = |f: fn(&ChannelReport) -> Credit| r.channels.values().map(f).collect::<Vec<_>>();
    vec![
        ("first_touch", col(|c| c.first_touch)),
        ("linear", col(|c| c.linear)),
        ("time_decay", col(|c| c.time_decay.unwrap_or_default())),
        (
            "markov",
            col(|c| Credit {
                conversions: c.markov.conversions,
                value: c.markov.value,
            }),
        ),
        ("shapley", col(|c| c.shapley)),
    ]
}

/// The paths a small journey gives, per conversion and per customer, with
/// the lookback and each refund policy.
#[test]
fn journeys_make_the_documented_paths() {
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    // Times in minutes; sessions end after 30 minutes without a row.
    let tp = |minutes: i64, kind, ch: BuiltinChannel| {
        Touchpoint::new(CustomerId(1), t0 + TimeDelta::minutes(minutes), kind).with_channel(ch)
    };
    let order = |minutes: i64, id: &str, value: i64| {
        let mut t = tp(minutes, BuiltinKind::OrderCompleted, BuiltinChannel::Direct);
        t.order = Some(id.into());
        t.value = Some(Money::new(value, Currency::IDR).unwrap());
        t
    };
    const DAY: i64 = 24 * 60;
    let mut refund = tp(30 * DAY, BuiltinKind::Refund, BuiltinChannel::Direct);
    refund.order = Some("A".into());
    refund.value = Some(Money::new(4_000, Currency::IDR).unwrap());
    let stream = vec![
        tp(0, BuiltinKind::AdClick, BuiltinChannel::Social),
        tp(600, BuiltinKind::SearchVisit, BuiltinChannel::PaidSearch),
        // The same session as the search visit: no new touch.
        tp(610, BuiltinKind::ProductView, BuiltinChannel::Email),
        order(620, "A", 10_000),
        tp(2 * DAY, BuiltinKind::Delivered, BuiltinChannel::Direct), // not a touch
        tp(40 * DAY, BuiltinKind::ProductView, BuiltinChannel::Email),
        order(40 * DAY + 5, "B", 2_000),
        tp(41 * DAY, BuiltinKind::AdClick, BuiltinChannel::Sms),
        refund,
    ];
    let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
    let paths = |config: AttributionConfig| {
        use cxjourney::Accumulator;
        let mut acc = AttributionAccumulator::new(&config).unwrap();
        acc.add(log.journeys().next().unwrap()).unwrap();
        acc.paths()
            .paths()
            .map(|p| {
                (
                    p.channels().collect::<Vec<_>>().join(" > "),
                    p.conversions(),
                    p.value(),
                    p.nulls(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        paths(AttributionConfig::default()),
        [
            ("social > paid_search".to_owned(), 1, 100.0, 0),
            ("email".to_owned(), 1, 20.0, 0),
            ("sms".to_owned(), 0, 0.0, 1),
        ]
    );
    // A lookback of 5 hours keeps only the order's own session.
    assert_eq!(
        paths(AttributionConfig {
            lookback: TimeDelta::hours(5),
            ..AttributionConfig::default()
        })[0],
        ("paid_search".to_owned(), 1, 100.0, 0)
    );
    // Order A was partly refunded (40.00 of 100.00).
    assert_eq!(
        paths(AttributionConfig {
            refunds: RefundPolicy::Net,
            ..AttributionConfig::default()
        })[0],
        ("social > paid_search".to_owned(), 1, 60.0, 0)
    );
    assert_eq!(
        paths(AttributionConfig {
            refunds: RefundPolicy::Exclude,
            ..AttributionConfig::default()
        })[0],
        ("social > paid_search".to_owned(), 0, 0.0, 1)
    );
    // One path per customer: every touch up to the last order, 60 days of lookback.
    assert_eq!(
        paths(AttributionConfig {
            paths_per: PathsPer::Customer,
            lookback: TimeDelta::days(60),
            ..AttributionConfig::default()
        }),
        [("social > paid_search > email".to_owned(), 2, 120.0, 0)]
    );
}
