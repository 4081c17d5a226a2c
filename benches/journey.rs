//! Building journeys and the event log from mixed touchpoint streams, against
//! a plain sort of the same rows by (customer, time); the stage overview over
//! the log on one and two threads.
//!
//! `cargo bench --bench journey` measures 1M touchpoints / 100k customers and
//! 10M / 1M; with `-- --test` it runs once on 10k rows.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::log::EventLog;
use cxjourney::sample::{StreamConfig, event_stream};
use cxjourney::{Journey, JourneyConfig, JourneyOverview, run_on_log};

fn sizes() -> Vec<(usize, usize)> {
    if std::env::args().any(|a| a == "--test") {
        vec![(10_000, 1_000)]
    } else {
        vec![(1_000_000, 100_000), (10_000_000, 1_000_000)]
    }
}

fn group(c: &mut Criterion) {
    let config = JourneyConfig::default();
    for (touchpoints, customers) in sizes() {
        let rows = event_stream(&StreamConfig {
            touchpoints,
            customers,
            ..StreamConfig::default()
        })
        .unwrap();
        let mut g = c.benchmark_group(format!("journeys_{}", touchpoints));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if touchpoints > 1_000_000 {
                60
            } else {
                15
            }));
        g.throughput(Throughput::Elements(touchpoints as u64));
        g.bench_function("sort_unstable_by_key(customer, at)", |b| {
            b.iter_batched(
                || rows.clone(),
                |mut v| {
                    v.sort_unstable_by_key(|t| (t.customer, t.at));
                    black_box(v)
                },
                BatchSize::PerIteration,
            )
        });
        // The yardstick for the log: a plain sort of the rows'
        // (customer, time) keys alone.
        let keys: Vec<(u64, i64)> = rows
            .iter()
            .map(|t| (t.customer.0, t.at.timestamp_micros()))
            .collect();
        g.bench_function("sort_unstable of (customer, time) keys", |b| {
            b.iter_batched(
                || keys.clone(),
                |mut k| {
                    k.sort_unstable();
                    black_box(k)
                },
                BatchSize::LargeInput,
            )
        });
        // The logs are dropped outside the timing, as the sorted keys are
        // (`BatchSize::LargeInput` above).
        g.bench_function("EventLog::from_touchpoints (intern, sort, gather)", |b| {
            b.iter_with_large_drop(|| EventLog::from_touchpoints(&rows, &config).unwrap())
        });
        for threads in [1, 2] {
            g.bench_function(format!("EventLog::from_slice, {threads} threads"), |b| {
                b.iter_with_large_drop(|| EventLog::from_slice(&rows, &config, threads).unwrap())
            });
        }
        let log = EventLog::from_touchpoints(&rows, &config).unwrap();
        for threads in [1, 2] {
            g.bench_function(
                format!("run_on_log::<JourneyOverview> ({threads} threads)"),
                |b| {
                    b.iter(|| black_box(run_on_log::<JourneyOverview>(&log, &(), threads).unwrap()))
                },
            );
        }
        g.bench_function("Journey::group (group, sort, sessions, stage path)", |b| {
            b.iter_batched(
                || rows.clone(),
                |v| black_box(Journey::group(v, &config).unwrap()),
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, group);
criterion_main!(benches);
