#![allow(missing_docs, clippy::unwrap_used)]
use cxjourney::classify::Classifier;
use cxjourney::sample::{SampleConfig, SampleShop};
use cxjourney::{Journey, JourneyConfig};
use std::time::Instant;
fn main() {
    let shop = SampleShop::generate(&SampleConfig {
        customers: 20_000,
        ..SampleConfig::default()
    })
    .unwrap();
    let as_of = shop.touchpoints.last().unwrap().at;
    let journeys = Journey::group(shop.touchpoints, &JourneyConfig::default()).unwrap();
    let cl = Classifier::default();
    let mut pr = cl.profiler();
    let profiles: Vec<_> = journeys.iter().map(|j| pr.profile(j, as_of)).collect();
    let big: Vec<_> = (0..50).flat_map(|_| profiles.iter().cloned()).collect();
    for _ in 0..3 {
        let small = &profiles[..1000];
        let t = Instant::now();
        let mut s = 0.0;
        for _ in 0..1000 {
            for p in small {
                s += cl.classify(std::hint::black_box(p)).score;
            }
        }
        let e = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut s2 = 0.0;
        for _ in 0..5 {
            for p in &big {
                s2 += cl.classify(p).score;
            }
        }
        let e2 = t.elapsed().as_secs_f64();
        println!(
            "hot: {:.1} M/s cold(1M): {:.1} M/s ({s} {s2}) size {}",
            1.0 / e,
            5.0 / e2,
            std::mem::size_of_val(&big[0])
        );
    }
}
