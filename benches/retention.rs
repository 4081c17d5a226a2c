//! Cohort retention, lifecycle and repeat buying over the event log.
//!
//! `cargo bench --bench retention` measures the log of
//! `examples/gen_events.rs` for 1.2M customers / ~6.7M rows (the shape of
//! `tests/data/data/events_small.csv`): ClickHouse's daily retention table
//! (any event, days 0..=7) over the grouped log on one and two threads, the
//! same with the grouping included (a new log built from the rows in time
//! order, as the file holds them, then the retention), and the weekly
//! lifecycle and repeat buying for reference. With `-- --test` it runs once
//! on 10,000 customers.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::log::{EventLog, EventLogBuilder, NewRow};
use cxjourney::retention::{
    Activity, LifecycleAccumulator, LifecycleConfig, Period, RepeatBuyingAccumulator,
    RepeatBuyingConfig, RetentionAccumulator, RetentionConfig,
};
use cxjourney::sample::{EVENT_LOG_NAMES, EventLogConfig, LoggedEvent, event_log};
use cxjourney::{CustomerId, EventMap, JourneyConfig, TouchpointKind, run_on_log};

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// The rows in time order, as the file holds them, and their kinds.
fn rows(users: u64) -> (Vec<LoggedEvent>, Vec<TouchpointKind>) {
    let map = EventMap::standard().fallback_to_custom();
    let kinds = EVENT_LOG_NAMES
        .iter()
        .map(|e| map.convert(e).unwrap().0)
        .collect();
    (
        event_log(&EventLogConfig { users, seed: 7 }).unwrap(),
        kinds,
    )
}

/// Groups the rows by customer into an event log (kinds and source event
/// names, as `read_csv` keeps them).
fn group(rows: &[LoggedEvent], kinds: &[TouchpointKind], names: bool) -> EventLog {
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    b.reserve(rows.len());
    for r in rows {
        let e = usize::from(r.event);
        let at = DateTime::<Utc>::from_timestamp(r.ts, 0).unwrap();
        let row = NewRow::new(CustomerId(r.user), at, &kinds[e]);
        let row = if names {
            row.event(EVENT_LOG_NAMES[e])
        } else {
            row
        };
        b.push_row(&row).unwrap();
    }
    b.finish().unwrap()
}

fn retention(c: &mut Criterion) {
    let users = if test_mode() { 10_000 } else { 1_200_000 };
    let (rows, kinds) = rows(users);
    let log = group(&rows, &kinds, true);
    let daily = RetentionConfig::default();
    let mut g = c.benchmark_group(format!("retention_log_{}_rows", log.len()));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 10 }));
    g.throughput(Throughput::Elements(log.len() as u64));
    for threads in [1, 2] {
        g.bench_function(
            format!("daily table (days 0..=7), {threads} thread(s)"),
            |b| {
                b.iter(|| {
                    black_box(run_on_log::<RetentionAccumulator>(&log, &daily, threads).unwrap())
                })
            },
        );
    }
    g.bench_function(
        "grouping included: log from the rows in time order + daily table, 2 threads",
        |b| {
            b.iter(|| {
                let log = group(&rows, &kinds, false);
                black_box(run_on_log::<RetentionAccumulator>(&log, &daily, 2).unwrap())
            })
        },
    );
    let weekly_orders = RetentionConfig::new(Period::Week, 12)
        .with_cohort(Activity::event("purchase"))
        .with_return(Activity::event("repeat_purchase"));
    g.bench_function(
        "weekly, by first purchase, returns by repeat_purchase, 2 threads",
        |b| {
            b.iter(|| {
                black_box(run_on_log::<RetentionAccumulator>(&log, &weekly_orders, 2).unwrap())
            })
        },
    );
    let lifecycle = LifecycleConfig::new(Period::Week);
    g.bench_function("weekly lifecycle, any event, 2 threads", |b| {
        b.iter(|| black_box(run_on_log::<LifecycleAccumulator>(&log, &lifecycle, 2).unwrap()))
    });
    let repeat = RepeatBuyingConfig::default().with_orders(Activity::event("purchase"));
    g.bench_function("repeat buying (purchase events), 2 threads", |b| {
        b.iter(|| black_box(run_on_log::<RepeatBuyingAccumulator>(&log, &repeat, 2).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, retention);
criterion_main!(benches);
