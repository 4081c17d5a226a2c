//! RFM scores and the lifetimes summary over order transactions: grouping
//! the rows into the event log, the per-customer pass and the scoring, and
//! reading the transactions CSV.
//!
//! `cargo bench --bench value` measures transactions of the shape of
//! `examples/gen_transactions.rs` for 120k customers (about 1.14M rows, the
//! shape of `tests/data/data/transactions_small.csv`); with `-- --test` it
//! runs once on 2,000 customers.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::log::{EventLogBuilder, NewRow};
use cxjourney::sample::Rng;
use cxjourney::value::{RfmAccumulator, RfmConfig, TransactionCsvOptions, read_transactions};
use cxjourney::{
    BuiltinKind, Currency, CustomerId, JourneyConfig, Money, TouchpointKind, run_on_log,
};

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

/// Transactions sorted by time: (seconds, customer, cents, discounted), about
/// 9.5 per customer over 2024 and 1% in January 2025 (a simpler draw of the
/// shape `examples/gen_transactions.rs` writes).
fn transactions(customers: u64) -> Vec<(i64, u64, i64, bool)> {
    let mut rng = Rng::new(7);
    let year = 1_704_067_200; // 2024-01-01T00:00:00Z
    let day = 86_400;
    let mut out = Vec::new();
    for c in 1..=customers {
        let n = 1 + (-(1.0 - rng.unit()).max(1e-12).ln() * 8.87) as i64;
        let first = year + rng.range(0, 359) * day + rng.range(0, day - 1);
        let level = 10.0 + 60.0 * rng.unit();
        let propensity = 0.7 * rng.unit();
        for i in 0..n {
            let t = if i == 0 {
                first
            } else {
                first + rng.range(0, year + 366 * day - 1 - first)
            };
            let cents = ((level * (0.5 + rng.unit())) * 100.0) as i64 + 100;
            out.push((t, c, cents, rng.chance(propensity)));
        }
        if rng.chance(0.095) {
            out.push((year + 366 * day + rng.range(0, 30 * day), c, 1_000, false));
        }
    }
    out.sort_by_key(|t| t.0);
    out
}

fn builder(rows: &[(i64, u64, i64, bool)]) -> EventLogBuilder {
    let order = TouchpointKind::from(BuiltinKind::OrderCompleted);
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    b.reserve(rows.len());
    for &(t, c, cents, d) in rows {
        let at = DateTime::<Utc>::from_timestamp(t, 0).unwrap();
        b.push_row(
            &NewRow::new(CustomerId(c), at, &order)
                .value(Money::new(cents, Currency::IDR).unwrap())
                .discounted(d),
        )
        .unwrap();
    }
    b
}

fn csv(rows: &[(i64, u64, i64, bool)]) -> Vec<u8> {
    let mut s = String::from("customer_id,ts,amount,discounted\n");
    for &(t, c, cents, d) in rows {
        let at = DateTime::<Utc>::from_timestamp(t, 0).unwrap();
        writeln!(
            s,
            "{c},{},{}.{:02},{d}",
            at.format("%Y-%m-%dT%H:%M:%SZ"),
            cents / 100,
            cents % 100
        )
        .unwrap();
    }
    s.into_bytes()
}

fn rfm(c: &mut Criterion) {
    let customers = if test_mode() { 2_000 } else { 120_000 };
    let rows = transactions(customers);
    let config = RfmConfig::new(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
    let b = builder(&rows);
    let log = b.clone().finish().unwrap();
    let mut g = c.benchmark_group(format!("rfm_{}_rows_{customers}_customers", rows.len()));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 15 }));
    g.throughput(Throughput::Elements(rows.len() as u64));
    g.bench_function("group + lifetimes + scores, one thread", |bench| {
        bench.iter_batched(
            || b.clone(),
            |b| {
                let log = b.finish().unwrap();
                black_box(run_on_log::<RfmAccumulator>(&log, &config, 1).unwrap())
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("group (EventLogBuilder::finish)", |bench| {
        bench.iter_batched(
            || b.clone(),
            |b| black_box(b.finish().unwrap()),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("lifetimes + scores on the log, one thread", |bench| {
        bench.iter(|| black_box(run_on_log::<RfmAccumulator>(&log, &config, 1).unwrap()))
    });
    g.bench_function("lifetimes + scores on the log, two threads", |bench| {
        bench.iter(|| black_box(run_on_log::<RfmAccumulator>(&log, &config, 2).unwrap()))
    });
    let text = csv(&rows);
    g.bench_function("read_transactions (CSV in memory)", |bench| {
        bench.iter(|| {
            black_box(
                read_transactions(text.as_slice(), &TransactionCsvOptions::default()).unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, rfm);
criterion_main!(benches);
