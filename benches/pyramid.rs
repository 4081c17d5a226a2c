//! The CX pyramid and NPS at scale: 1M respondents x 12 ORBE items (the full
//! aggregate report including reliability) and NPS over 1M answers by persona.
//! Under `cargo bench -- --test` the data is 10,000 rows.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::sample::Rng;
use cxjourney::{
    Accumulator, AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, AnswerBlock, Instrument,
    MissingPolicy, PyramidAccumulator, PyramidConfig, PyramidSetup,
};

fn rows() -> usize {
    if std::env::args().any(|a| a == "--test") {
        10_000
    } else {
        1_000_000
    }
}

/// Survey answers of the peers' shape: a general factor plus a factor per
/// dimension, about 4% of cells missing, 1% of respondents skipping a
/// dimension, 0.2% answering nothing.
fn survey(n: usize) -> Vec<Option<u8>> {
    let mut rng = Rng::new(7);
    let dims = [3usize, 3, 2, 2, 2];
    let mut out = Vec::with_capacity(n * 12);
    let normal = |rng: &mut Rng| (0..4).map(|_| rng.unit()).sum::<f64>() - 2.0;
    for _ in 0..n {
        let g = normal(&mut rng);
        let empty = rng.chance(0.002);
        let skip = if rng.chance(0.01) {
            rng.below(5) as usize
        } else {
            9
        };
        for (d, &k) in dims.iter().enumerate() {
            let f = 0.7 * g + 0.7 * normal(&mut rng);
            for _ in 0..k {
                let x = (4.5 + 1.2 * f + 0.9 * normal(&mut rng))
                    .round()
                    .clamp(1.0, 7.0) as u8;
                let missing = empty || skip == d || rng.chance(0.04);
                out.push((!missing).then_some(x));
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let n = rows();
    let data = survey(n);
    let mut g = c.benchmark_group("pyramid");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    for policy in [MissingPolicy::Pairwise, MissingPolicy::Listwise] {
        g.bench_function(format!("report_1m_x12_{policy}_rows"), |b| {
            b.iter(|| {
                let config = PyramidConfig {
                    missing: policy,
                    ..PyramidConfig::default()
                };
                let setup = PyramidSetup::new(Instrument::orbe(), config);
                let mut acc = PyramidAccumulator::new(&setup).ok()?;
                for row in data.chunks_exact(12) {
                    acc.add_answers(row).ok()?;
                }
                black_box(acc.finish().ok())
            })
        });
    }
    // The same data as checked, coded blocks (filled as a reader would), then
    // scored by the kernels alone.
    let blocks: Vec<AnswerBlock> = data
        .chunks(12 << 16)
        .map(|chunk| {
            let mut b = AnswerBlock::new(Instrument::orbe());
            for row in chunk.chunks_exact(12) {
                let _ = b.push(row);
            }
            b
        })
        .collect();
    g.bench_function("report_1m_x12_pairwise_from_blocks", |b| {
        b.iter(|| {
            let mut acc = PyramidAccumulator::new(&PyramidSetup::default()).ok()?;
            for block in &blocks {
                acc.add_block(block).ok()?;
            }
            black_box(acc.finish().ok())
        })
    });
    let mut rng = Rng::new(11);
    let personas = [
        "bargain_hunter",
        "loyalist",
        "researcher",
        "impulse_buyer",
        "gift_shopper",
    ];
    let answers: Vec<(&str, Option<i32>)> = (0..n)
        .map(|_| {
            let p = personas
                .get(rng.below(5) as usize)
                .copied()
                .unwrap_or("loyalist");
            let s = (!rng.chance(0.03)).then(|| rng.range(0, 10) as i32);
            (p, s)
        })
        .collect();
    g.bench_function("nps_1m_by_persona", |b| {
        b.iter(|| {
            let mut acc = AdvocacyAccumulator::new(&AdvocacyConfig::default()).ok()?;
            for (p, s) in &answers {
                acc.add(AdvocacyAnswer::default().group(*p).nps(*s)).ok()?;
            }
            black_box(acc.finish().ok())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
