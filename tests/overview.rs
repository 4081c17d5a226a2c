//! The stage overview on generated streams: merging parts equals the whole,
//! and the counts add up. (Moved out of `src/overview.rs` because only user
//! code, such as these tests, may import `sample`.)

use cxjourney::sample::{StreamConfig, event_stream};
use cxjourney::{Accumulator, Journey, JourneyConfig, JourneyOverview, OverviewReport};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn merge_equals_whole(seed in any::<u64>(), cut_a in 0usize..200, cut_b in 0usize..200) {
        let s = event_stream(&StreamConfig { touchpoints: 2_000, customers: 200, seed, ..StreamConfig::default() }).unwrap();
        let journeys = Journey::group(s, &JourneyConfig::default()).unwrap();
        let n = journeys.len();
        let (a, b) = (cut_a.min(n), cut_b.min(n));
        let (lo, hi) = (a.min(b), a.max(b));
        let mut whole = JourneyOverview::default();
        journeys.iter().for_each(|j| whole.add(j.view()).unwrap());
        let part = |r: std::ops::Range<usize>| {
            let mut acc = JourneyOverview::default();
            journeys[r].iter().for_each(|j| acc.add(j.view()).unwrap());
            acc
        };
        let (mut x, y, z) = (part(0..lo), part(lo..hi), part(hi..n));
        // (x + z) + y: a different grouping and order than the whole.
        x.merge(z).unwrap();
        x.merge(y).unwrap();
        prop_assert_eq!(&x, &whole);
        prop_assert_eq!(x.finish().unwrap(), whole.finish().unwrap());
    }
}

#[test]
fn counts_add_up() {
    let s = event_stream(&StreamConfig {
        touchpoints: 5_000,
        customers: 300,
        ..StreamConfig::default()
    })
    .unwrap();
    let journeys = Journey::group(s, &JourneyConfig::default()).unwrap();
    let mut acc = JourneyOverview::default();
    journeys.iter().for_each(|j| acc.add(j.view()).unwrap());
    let r = acc.finish().unwrap();
    assert_eq!(r.touchpoints, 5_000);
    assert_eq!(
        r.stages.values().map(|c| c.current).sum::<u64>(),
        r.customers
    );
    assert_eq!(
        r.stages.values().map(|c| c.furthest).sum::<u64>(),
        r.customers
    );
    assert_eq!(
        r.converted,
        journeys.iter().filter(|j| j.converted()).count() as u64
    );
    assert!(r.to_string().contains("consideration"));
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<OverviewReport>(&json).unwrap(), r);
}
