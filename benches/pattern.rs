//! Journey patterns over the event log: every customer's `sequenceMatch` /
//! `sequenceCount` result (the three patterns of the reference set), the
//! accumulator on two threads, and one journey of a million events.
//!
//! `cargo bench --bench pattern` measures the log of `examples/gen_events.rs`
//! for 1.2M customers / ~6.7M rows (the shape of
//! `tests/data/data/events_small.csv`); with `-- --test` it runs once on
//! small data.
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
use cxjourney::pattern::{Pattern, PatternAccumulator, PatternConfig, PatternMatcher, PatternMode};
use cxjourney::sample::{EVENT_LOG_NAMES, EventLogConfig, event_log};
use cxjourney::step::Step;
use cxjourney::{CustomerId, EventMap, JourneyConfig, run_on_log};

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

/// The reference set's three patterns: (name, pattern, conditions, mode).
fn reference_patterns() -> Vec<(&'static str, PatternMatcher)> {
    [
        (
            "seq_p1",
            "(?1).*(?2).*(?3)",
            &["product_view", "add_to_cart", "purchase"][..],
            PatternMode::Match,
        ),
        (
            "seq_p2",
            "(?1)(?t<=3600)(?2)",
            &["add_to_cart", "purchase"],
            PatternMode::Match,
        ),
        (
            "seqcount_p3",
            "(?1).*(?2)",
            &["product_view", "purchase"],
            PatternMode::Count,
        ),
    ]
    .into_iter()
    .map(|(name, p, conds, mode)| {
        let config = PatternConfig::new(
            p.parse().unwrap(),
            conds.iter().map(|c| Step::event(c)).collect(),
        )
        .with_mode(mode);
        (name, PatternMatcher::new(config).unwrap())
    })
    .collect()
}

fn over_the_log(c: &mut Criterion) {
    let users = if test_mode() { 10_000 } else { 1_200_000 };
    let log = log(users);
    let mut g = c.benchmark_group(format!("pattern_log_{}_rows", log.len()));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 15 }));
    g.throughput(Throughput::Elements(log.len() as u64));
    for (name, m) in reference_patterns() {
        g.bench_function(
            format!("PatternMatcher::results, one thread ({name})"),
            |b| b.iter(|| black_box(m.results(&log, 0..log.customer_count()))),
        );
        g.bench_function(
            format!("PatternAccumulator via run_on_log, 2 threads ({name})"),
            |b| b.iter(|| black_box(run_on_log::<PatternAccumulator>(&log, &m, 2).unwrap())),
        );
    }
    g.finish();
}

fn one_long_journey(c: &mut Criterion) {
    let n: usize = if test_mode() { 10_000 } else { 1_000_000 };
    // Condition 1 everywhere, condition 2 every 7th event, 3 at the end.
    let events: Vec<(i64, u32)> = (0..n)
        .map(|i| {
            let mask = if i == n - 1 {
                4
            } else if i % 7 == 3 {
                2
            } else {
                1
            };
            (1_700_000_000 + i as i64, mask)
        })
        .collect();
    let mut g = c.benchmark_group(format!("pattern_one_journey_{n}_events"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 10 }));
    g.throughput(Throughput::Elements(n as u64));
    for p in [
        "(?1).*(?2).*(?3)",
        "(?1)(?t<=3600)(?2)",
        "(?1)(?t<=1)(?2)(?t>=0).*(?3)",
    ] {
        let pattern: Pattern = p.parse().unwrap();
        g.bench_function(format!("sequence_match {p}"), |b| {
            b.iter(|| black_box(pattern.sequence_match(&events)))
        });
        g.bench_function(format!("sequence_count {p}"), |b| {
            b.iter(|| black_box(pattern.sequence_count(&events)))
        });
    }
    g.finish();
}

criterion_group!(benches, over_the_log, one_long_journey);
criterion_main!(benches);
