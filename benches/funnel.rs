//! Funnels: the compact path (flat rows → levels per customer) and the journey
//! path (step predicates over touchpoints).
//!
//! `cargo bench --bench funnel` measures 1.2M customers / ~6.7M rows (the
//! shape of `tests/data/data/events_small.csv`) and journeys of 1M
//! touchpoints / 100k customers; with `-- --test` it runs once on small data.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use chrono::TimeDelta;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::funnel::{
    EventIds, EventRow, Funnel, FunnelAccumulator, FunnelConfig, FunnelMode, Step, StepSequences,
    WindowFunnel,
};
use cxjourney::sample::{EVENT_LOG_NAMES, EventLogConfig, StreamConfig, event_log, event_stream};
use cxjourney::{BuiltinKind as K, Journey, JourneyConfig};

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// The log of `examples/gen_events.rs` (`sample::event_log`), as rows.
fn rows(users: u64) -> (Vec<EventRow>, Vec<u32>) {
    let mut ids = EventIds::new();
    for e in EVENT_LOG_NAMES {
        ids.intern(e);
    }
    let rows = event_log(&EventLogConfig { users, seed: 7 })
        .into_iter()
        .map(|r| EventRow {
            customer: r.user,
            ts: r.ts,
            event: u32::from(r.event),
        })
        .collect();
    let masks = ids.step_masks(&["product_view", "add_to_cart", "checkout_start", "purchase"]);
    (rows, masks)
}

fn compact(c: &mut Criterion) {
    let users = if test_mode() { 10_000 } else { 1_200_000 };
    let (rows, masks) = rows(users);
    let mut g = c.benchmark_group(format!("funnel_compact_{}_rows", rows.len()));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 20 }));
    g.throughput(Throughput::Elements(rows.len() as u64));
    for mode in ["default", "strict_order"] {
        let f = WindowFunnel::new(
            4,
            TimeDelta::seconds(3600),
            mode.parse::<FunnelMode>().unwrap(),
        )
        .unwrap();
        g.bench_function(format!("group + levels ({mode})"), |b| {
            b.iter(|| black_box(f.levels_by_customer(&rows, &masks).unwrap()))
        });
        let seqs = StepSequences::group(&rows, &masks, &f).unwrap();
        g.bench_function(format!("levels on ready sequences ({mode})"), |b| {
            b.iter(|| black_box(f.levels(&seqs).unwrap()))
        });
    }
    g.finish();
}

fn journeys(c: &mut Criterion) {
    let (touchpoints, customers) = if test_mode() {
        (10_000, 1_000)
    } else {
        (1_000_000, 100_000)
    };
    let tps = event_stream(&StreamConfig {
        touchpoints,
        customers,
        ..StreamConfig::default()
    })
    .unwrap();
    let journeys = Journey::group(tps, &JourneyConfig::default()).unwrap();
    let steps = vec![
        Step::kind(K::ProductView),
        Step::kind(K::AddToCart),
        Step::kind(K::CheckoutStart),
        Step::kind(K::OrderCompleted),
    ];
    let funnel = Funnel::new(FunnelConfig::new(steps, TimeDelta::days(7))).unwrap();
    let mut g = c.benchmark_group(format!("funnel_journeys_{touchpoints}_touchpoints"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 15 }));
    g.throughput(Throughput::Elements(touchpoints as u64));
    g.bench_function("Funnel::levels over journeys", |b| {
        b.iter(|| black_box(funnel.levels(&journeys).unwrap()))
    });
    g.bench_function("FunnelAccumulator (full report)", |b| {
        b.iter(|| {
            let mut acc = FunnelAccumulator::new(&funnel);
            for j in &journeys {
                acc.add(j).unwrap();
            }
            black_box(acc.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, compact, journeys);
criterion_main!(benches);
