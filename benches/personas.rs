//! Profiling and classifying the customers of an event log, against one read
//! pass over one of its columns, in the same run (issue 9: at most 2x).
//!
//! Data: 10M touchpoints of 1M customers (synthetic sessions of browsing,
//! reviews, comparisons, carts, checkouts and orders over a 90-day season),
//! built into an `EventLog` before timing. With `--test` the data is 1/500 of
//! it.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cxjourney::log::{EventLog, EventLogBuilder};
use cxjourney::persona::{BehaviourProfile, Classifier, PersonaAccumulator, PersonaRun};
use cxjourney::sample::Rng;
use cxjourney::{
    Accumulator, BuiltinChannel as Ch, BuiltinKind as K, CategoryId, CheckoutType, Currency,
    CustomerId, JourneyConfig, Money, PaymentMethod, ProductId, Touchpoint, run_on_log,
};

fn sizes() -> (usize, usize) {
    if std::env::args().any(|a| a == "--test") {
        (2_000, 20_000)
    } else {
        (1_000_000, 10_000_000)
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 10, 1, 0, 0, 0).unwrap()
}

/// About `touchpoints / customers` touchpoints per customer, in sessions,
/// handed to `sink` one by one.
fn generate(customers: usize, touchpoints: usize, mut sink: impl FnMut(Touchpoint)) {
    let mut rng = Rng::new(7);
    let categories: Vec<CategoryId> = (0..12)
        .map(|c| CategoryId::new(&format!("cat-{c:02}")))
        .collect();
    let products: Vec<(ProductId, usize)> = (0..480)
        .map(|p| (ProductId::new(&format!("sku-{p:05}")), p / 40))
        .collect();
    let channels = [
        Ch::OrganicSearch,
        Ch::Social,
        Ch::Direct,
        Ch::Email,
        Ch::Sms,
        Ch::PaidSearch,
    ];
    let payments = PaymentMethod::ALL;
    let per = touchpoints as f64 / customers as f64;
    let mut out = Out {
        sink: &mut sink,
        len: 0,
    };
    for c in 0..customers {
        let id = CustomerId(c as u64);
        let left = touchpoints.saturating_sub(out.len);
        let remaining_customers = customers - c;
        let target = ((left as f64 / remaining_customers as f64).round() as i64)
            .max(1)
            .min((per * 3.0) as i64);
        let target = if remaining_customers == 1 {
            left.max(1)
        } else {
            (target + rng.range(-3, 3)).max(1) as usize
        };
        let home = rng.below(12) as usize;
        let mut t = start() + TimeDelta::seconds(rng.range(0, 80 * 86_400));
        let mut n = 0;
        let mut order_seq = 0;
        while n < target {
            let ch = channels[rng.below(channels.len() as u64) as usize];
            out.push(Touchpoint::new(id, t, K::ProductListView).with_channel(ch));
            n += 1;
            let views = rng.range(1, 4);
            for _ in 0..views {
                if n >= target {
                    break;
                }
                t += TimeDelta::seconds(rng.range(10, 180));
                let cat = if rng.chance(0.7) {
                    home
                } else {
                    rng.below(12) as usize
                };
                let (p, pc) = &products[cat * 40 + rng.below(40) as usize];
                out.push(
                    Touchpoint::new(id, t, K::ProductView)
                        .with_channel(ch)
                        .with_product(p.clone())
                        .with_category(categories[*pc].clone())
                        .with_discounted(rng.chance(0.3)),
                );
                n += 1;
                if n < target && rng.chance(0.25) {
                    t += TimeDelta::seconds(rng.range(10, 120));
                    let k = if rng.chance(0.5) {
                        K::ReviewRead
                    } else {
                        K::Comparison
                    };
                    out.push(
                        Touchpoint::new(id, t, k)
                            .with_channel(ch)
                            .with_product(p.clone()),
                    );
                    n += 1;
                }
            }
            if n + 4 <= target && rng.chance(0.45) {
                let (p, _) = &products[home * 40 + rng.below(40) as usize];
                let disc = rng.chance(0.3);
                t += TimeDelta::seconds(rng.range(10, 120));
                out.push(
                    Touchpoint::new(id, t, K::AddToCart)
                        .with_channel(ch)
                        .with_product(p.clone())
                        .with_discounted(disc),
                );
                t += TimeDelta::seconds(rng.range(10, 120));
                out.push(Touchpoint::new(id, t, K::CheckoutStart).with_channel(ch));
                t += TimeDelta::seconds(rng.range(10, 120));
                let pay = payments[rng.below(5) as usize];
                out.push(
                    Touchpoint::new(id, t, K::PaymentInfo)
                        .with_channel(ch)
                        .with_payment(pay),
                );
                t += TimeDelta::seconds(rng.range(10, 120));
                order_seq += 1;
                out.push(
                    Touchpoint::new(id, t, K::OrderCompleted)
                        .with_channel(ch)
                        .with_order(&*format!("o{c}-{order_seq}"))
                        .with_value(
                            Money::new(rng.range(25, 1500) * 100_000, Currency::IDR).unwrap(),
                        )
                        .with_payment(pay)
                        .with_checkout(if rng.chance(0.35) {
                            CheckoutType::Guest
                        } else {
                            CheckoutType::Registered
                        })
                        .with_discounted(disc),
                );
                n += 4;
            }
            t += TimeDelta::hours(rng.range(2, 24 * 14));
        }
    }
}

/// Counts what goes to the sink.
struct Out<'a, F> {
    sink: &'a mut F,
    len: usize,
}

impl<F: FnMut(Touchpoint)> Out<'_, F> {
    fn push(&mut self, t: Touchpoint) {
        self.len += 1;
        (self.sink)(t);
    }
}

fn data() -> (EventLog, DateTime<Utc>) {
    let (customers, touchpoints) = sizes();
    let mut builder = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    let mut as_of = start();
    generate(customers, touchpoints, |t| {
        as_of = as_of.max(t.at);
        builder.push(&t).unwrap();
    });
    (builder.finish().unwrap(), as_of)
}

fn bench(c: &mut Criterion) {
    let (log, as_of) = data();
    let n = log.len();
    eprintln!(
        "personas bench: {} touchpoints of {} customers",
        n,
        log.customer_count()
    );
    let classifier = Classifier::default();
    let run = PersonaRun::new(as_of);

    let mut g = c.benchmark_group("personas");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("read_pass_one_column", |b| {
        // The reference: every customer's journey taken from the log and its
        // time column read once (summed).
        b.iter(|| {
            let mut sum = 0i64;
            for j in log.journeys() {
                for &t in j.times() {
                    sum = sum.wrapping_add(t);
                }
            }
            black_box(sum)
        });
    });
    g.bench_function("read_pass_profile_columns", |b| {
        // What the profile cannot do without: every journey's six columns
        // it reads on every row (time, kind, channel, discounted, product
        // and category keys) read once (summed), no work per row.
        b.iter(|| {
            let mut sum = 0i64;
            for j in log.journeys() {
                for (((((&t, &k), &c), &d), &p), &q) in j
                    .times()
                    .iter()
                    .zip(j.kind_codes())
                    .zip(j.channel_codes())
                    .zip(j.discounted_flags())
                    .zip(j.product_keys())
                    .zip(j.category_keys())
                {
                    sum = sum
                        .wrapping_add(t)
                        .wrapping_add(i64::from(k) + i64::from(c) + i64::from(d))
                        .wrapping_add(i64::from(p) + i64::from(q));
                }
            }
            black_box(sum)
        });
    });
    g.bench_function("read_pass_whole_column", |b| {
        // A floor: the log's time column summed in one run, no journeys.
        b.iter(|| black_box(log.times().iter().fold(0i64, |s, &t| s.wrapping_add(t))));
    });
    g.bench_function("profile_and_classify", |b| {
        // The persona accumulator over every journey, one thread.
        b.iter(|| {
            let mut acc = PersonaAccumulator::new(&run).unwrap();
            for j in log.journeys() {
                acc.add(j).unwrap();
            }
            black_box(acc.finish().unwrap())
        });
    });
    g.bench_function("profile_and_classify_2_threads", |b| {
        b.iter(|| black_box(run_on_log::<PersonaAccumulator>(&log, &run, 2).unwrap()));
    });
    let profiles: Vec<BehaviourProfile> = {
        let mut profiler = classifier.profiler();
        log.journeys()
            .map(|j| profiler.profile_view(j, as_of))
            .collect()
    };
    drop(log);
    g.throughput(Throughput::Elements(profiles.len() as u64));
    g.bench_function("classify_ready_profiles", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for p in &profiles {
                sum += classifier.classify(p).score;
            }
            black_box(sum)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
