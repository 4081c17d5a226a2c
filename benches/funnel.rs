//! Funnels over the event log: levels per customer (ClickHouse's
//! `windowFunnel`) and the full report through the accumulator.
//!
//! `cargo bench --bench funnel` measures the log of
//! `examples/gen_events.rs` for 1.2M customers / ~6.7M rows (the shape of
//! `tests/data/data/events_small.csv`) and journeys of 1M touchpoints / 100k
//! customers; with `-- --test` it runs once on small data.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::funnel::{Funnel, FunnelAccumulator, FunnelConfig, FunnelMode, Step};
use cxjourney::log::{EventLog, EventLogBuilder, NewRow};
use cxjourney::sample::{EVENT_LOG_NAMES, EventLogConfig, StreamConfig, event_log, event_stream};
use cxjourney::{Accumulator, BuiltinKind as K, CustomerId, EventMap, JourneyConfig, run_on_log};

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// The log of `examples/gen_events.rs` (`sample::event_log`) as an event log,
/// each row keeping its source event name.
fn log(users: u64) -> EventLog {
    let map = EventMap::standard().fallback_to_custom();
    let kinds: Vec<_> = EVENT_LOG_NAMES
        .iter()
        .map(|e| map.convert(e).unwrap().0)
        .collect();
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    for r in event_log(&EventLogConfig { users, seed: 7 }).unwrap() {
        let e = usize::from(r.event);
        let at = DateTime::<Utc>::from_timestamp(r.ts, 0).unwrap();
        b.push_row(&NewRow::new(CustomerId(r.user), at, &kinds[e]).event(EVENT_LOG_NAMES[e]))
            .unwrap();
    }
    b.finish().unwrap()
}

fn levels(c: &mut Criterion) {
    let users = if test_mode() { 10_000 } else { 1_200_000 };
    let log = log(users);
    let mut g = c.benchmark_group(format!("funnel_log_{}_rows", log.len()));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 20 }));
    g.throughput(Throughput::Elements(log.len() as u64));
    let steps = ["product_view", "add_to_cart", "checkout_start", "purchase"].map(Step::event);
    for mode in ["default", "strict_order"] {
        let f = Funnel::new(
            FunnelConfig::new(steps.to_vec(), TimeDelta::seconds(3600))
                .with_mode(mode.parse::<FunnelMode>().unwrap()),
        )
        .unwrap();
        g.bench_function(format!("Funnel::levels, one thread ({mode})"), |b| {
            b.iter(|| black_box(f.levels(&log, 0..log.customer_count()).unwrap()))
        });
        g.bench_function(
            format!("FunnelAccumulator via run_on_log, 2 threads ({mode})"),
            |b| b.iter(|| black_box(run_on_log::<FunnelAccumulator>(&log, &f, 2).unwrap())),
        );
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
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
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
    g.bench_function("Funnel::levels over the log", |b| {
        b.iter(|| black_box(funnel.levels(&log, 0..log.customer_count()).unwrap()))
    });
    g.bench_function("FunnelAccumulator (full report), one thread", |b| {
        b.iter(|| {
            let mut acc = FunnelAccumulator::new(&funnel).unwrap();
            for j in log.journeys() {
                acc.add(j).unwrap();
            }
            black_box(acc.finish().unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, levels, journeys);
criterion_main!(benches);
