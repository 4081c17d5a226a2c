//! Property tests: building journeys from random touchpoint streams never
//! panics and keeps every invariant.

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::{
    BuiltinChannel, BuiltinKind, CustomerId, Journey, JourneyConfig, Stage, Touchpoint,
    TouchpointKind,
};
use proptest::prelude::*;

fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    prop_oneof![
        // Dense times: many equal timestamps and gaps around the session limit.
        (0i64..20, 0i64..4).prop_map(|(slot, jitter)| slot * 1_800 + jitter * 600),
        // Anywhere in chrono's range (extreme dates).
        min..=max,
        Just(min),
        Just(max),
    ]
    .prop_flat_map(|secs| (Just(secs), 0u32..1_000_000_000))
    .prop_map(|(secs, nanos)| {
        DateTime::from_timestamp(secs, nanos).unwrap_or(DateTime::<Utc>::MIN_UTC)
    })
}

fn arb_kind() -> impl Strategy<Value = TouchpointKind> {
    prop_oneof![
        8 => (0..BuiltinKind::ALL.len()).prop_map(|i| TouchpointKind::from(BuiltinKind::ALL[i])),
        1 => "[a-z]{1,8}".prop_filter_map("custom", |s| TouchpointKind::custom(&s).ok()),
    ]
}

fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    (
        0u64..6,
        arb_time(),
        arb_kind(),
        0..BuiltinChannel::ALL.len(),
        proptest::option::of(0..5usize),
    )
        .prop_map(|(c, at, kind, ch, stage)| {
            let mut t =
                Touchpoint::new(CustomerId(c), at, kind).with_channel(BuiltinChannel::ALL[ch]);
            if let Some(s) = stage.filter(|s| *s < 2) {
                t = t.with_stage(Stage::ALL[s * 3]);
            }
            t
        })
}

/// Touchpoints with exact duplicates mixed in.
fn arb_stream() -> impl Strategy<Value = Vec<Touchpoint>> {
    (
        proptest::collection::vec(arb_touchpoint(), 0..60),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    )
        .prop_map(|(mut v, dups)| {
            if !v.is_empty() {
                for d in dups {
                    let t = v[d.index(v.len())].clone();
                    v.push(t);
                }
            }
            v
        })
}

fn check_invariants(input: &[Touchpoint], journeys: &[Journey], config: &JourneyConfig) {
    // Every input kept exactly once.
    let mut expected = input.to_vec();
    expected.sort();
    let got: Vec<Touchpoint> = journeys
        .iter()
        .flat_map(|j| j.touchpoints().iter().cloned())
        .collect();
    assert_eq!(got, expected);
    // Journeys by increasing customer, one customer each.
    assert!(
        journeys
            .windows(2)
            .all(|w| w[0].customer() < w[1].customer())
    );
    for j in journeys {
        let tps = j.touchpoints();
        assert!(!tps.is_empty());
        assert!(tps.iter().all(|t| t.customer == j.customer()));
        // Time order (ties in kind order).
        assert!(
            tps.windows(2)
                .all(|w| (w[0].at, &w[0].kind) <= (w[1].at, &w[1].kind))
        );
        // Sessions partition the touchpoints and cut exactly at long gaps.
        let sessions = j.sessions();
        assert_eq!(sessions.first().map(|s| s.start), Some(0));
        assert_eq!(sessions.last().map(|s| s.end), Some(tps.len()));
        for w in sessions.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert!(w[1].started_at - w[0].ended_at > config.session_gap);
        }
        for s in sessions {
            assert!(!s.is_empty());
            assert_eq!(s.started_at, tps[s.start].at);
            assert_eq!(s.ended_at, tps[s.end - 1].at);
            assert!(
                tps[s.range()]
                    .windows(2)
                    .all(|w| w[1].at - w[0].at <= config.session_gap)
            );
        }
        // The stage path is the run-length encoding of the touchpoints' stages.
        let stages: Vec<(usize, Stage)> = (0..tps.len())
            .filter_map(|i| j.stage_of(i).map(|s| (i, s)))
            .collect();
        let path = j.stage_path();
        assert_eq!(
            path.iter().map(|v| v.touchpoints).sum::<usize>(),
            stages.len()
        );
        assert!(
            path.windows(2)
                .all(|w| w[0].stage != w[1].stage && w[0].first < w[1].first)
        );
        let mut k = 0;
        for v in path {
            assert_eq!(stages[k].0, v.first);
            assert_eq!(v.entered_at, tps[v.first].at);
            for n in 0..v.touchpoints {
                assert_eq!(stages[k + n].1, v.stage);
            }
            k += v.touchpoints;
            assert!(v.time_spent >= TimeDelta::zero());
        }
        assert_eq!(j.current_stage(), stages.last().map(|s| s.1));
        assert_eq!(j.furthest_stage(), stages.iter().map(|s| s.1).max());
        assert_eq!(
            j.converted(),
            tps.iter().any(|t| t.is(BuiltinKind::OrderCompleted))
        );
        if let Some(d) = j.time_to_first_order() {
            assert!(d >= TimeDelta::zero());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn grouping_keeps_every_invariant(stream in arb_stream(), gap_min in 1i64..90) {
        let config = JourneyConfig { session_gap: TimeDelta::minutes(gap_min), ..JourneyConfig::default() };
        let journeys = Journey::group(stream.clone(), &config).unwrap();
        check_invariants(&stream, &journeys, &config);
    }

    #[test]
    fn input_order_never_matters(stream in arb_stream(), seed in any::<u64>()) {
        let config = JourneyConfig::default();
        let a = Journey::group(stream.clone(), &config).unwrap();
        let mut shuffled = stream;
        let mut rng = cxjourney::sample::Rng::new(seed);
        for i in (1..shuffled.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        let b = Journey::group(shuffled, &config).unwrap();
        prop_assert_eq!(&a, &b);
        // One journey built alone equals the grouped one.
        for j in &a {
            let mut tps = j.touchpoints().to_vec();
            tps.reverse();
            prop_assert_eq!(&Journey::new(tps, &config).unwrap(), j);
        }
    }

    #[test]
    fn journeys_round_trip_through_json(stream in arb_stream()) {
        for j in Journey::group(stream, &JourneyConfig::default()).unwrap() {
            let json = serde_json::to_string(&j).unwrap();
            prop_assert_eq!(serde_json::from_str::<Journey>(&json).unwrap(), j);
        }
    }
}

#[test]
fn the_sample_shop_keeps_every_invariant() {
    let shop = cxjourney::sample::SampleShop::generate(&cxjourney::sample::SampleConfig::default())
        .unwrap();
    let config = JourneyConfig::default();
    let journeys = Journey::group(shop.touchpoints.clone(), &config).unwrap();
    check_invariants(&shop.touchpoints, &journeys, &config);
}
