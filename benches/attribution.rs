//! Attribution on a path file of the reference set's shape: reading
//! ChannelAttribution's CSV, each model alone, the full report, and what the
//! `attribution` example does (parse and every model of its output).
//!
//! `cargo bench --bench attribution` measures 200k distinct paths (about 2M
//! touches, 20 MB; `examples/gen_paths.rs`); with `-- --test` it runs once
//! on 2,000 paths. The side-by-side comparison with ChannelAttribution is
//! `benches/attribution_vs_ca.py` (benches/README.md).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::attribution::{
    AttributionConfig, AttributionReport, FirstTouch, LastTouch, Linear, Markov, Model, PathSet,
    PositionBased, Shapley, SimplifiedShapley,
};

#[path = "../examples/common/paths_gen.rs"]
mod paths_gen;

fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}

fn attribution(c: &mut Criterion) {
    let n = if test_mode() { 2_000 } else { 200_000 };
    let csv = paths_gen::paths_csv(n, 7);
    let paths = PathSet::parse_csv(csv.as_bytes()).unwrap();
    let mut g = c.benchmark_group(format!("attribution_{n}_paths"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(if test_mode() { 1 } else { 10 }));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("PathSet::parse_csv", |b| {
        b.iter(|| black_box(PathSet::parse_csv(csv.as_bytes()).unwrap()))
    });
    let models: [(&str, &dyn Model); 7] = [
        ("first_touch", &FirstTouch),
        ("last_touch", &LastTouch),
        ("linear", &Linear),
        ("position_based", &PositionBased::default()),
        ("shapley (simplified)", &SimplifiedShapley),
        ("shapley (exact, 2^8 coalitions)", &Shapley::default()),
        ("markov order 1", &Markov::order(1)),
    ];
    for (name, model) in models {
        g.bench_function(name, |b| {
            b.iter(|| black_box(model.attribute(&paths).unwrap()))
        });
    }
    for order in 2..=if test_mode() { 4 } else { 3 } {
        g.bench_function(format!("markov order {order}"), |b| {
            b.iter(|| black_box(Markov::order(order).solve(&paths).unwrap()))
        });
    }
    g.bench_function(
        "AttributionReport::from_paths (every model, Markov order 1)",
        |b| {
            b.iter(|| {
                black_box(
                    AttributionReport::from_paths(&paths, &AttributionConfig::default()).unwrap(),
                )
            })
        },
    );
    g.bench_function("parse + the example's models, one after another", |b| {
        b.iter(|| {
            let p = PathSet::parse_csv(csv.as_bytes()).unwrap();
            let out = (
                FirstTouch.attribute(&p).unwrap(),
                LastTouch.attribute(&p).unwrap(),
                Linear.attribute(&p).unwrap(),
                PositionBased::default().attribute(&p).unwrap(),
                SimplifiedShapley.attribute(&p).unwrap(),
                Markov::order(1).solve(&p).unwrap(),
            );
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, attribution);
criterion_main!(benches);
