//! Evaluating the default rule set (issue 14: at least 5M customers per
//! second on one core).
//!
//! Data: 1M ready customer contexts (random persona, stage, weakest
//! dimension for one in five, open carts for three in ten, failed
//! deliveries, pending refunds, unanswered contacts, campaign days, RTO
//! risk for cash-on-delivery payers) and, for one in five customers, a
//! history of 1-4 actions sent in the last ten days; the hour of day varies
//! so quiet hours apply to a third of them. With `--test` the data is 1/500
//! of it.

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
use cxjourney::action::{
    ActionChannel, ActionKey, CustomerContext, Evaluation, RuleSet, SentAction,
};
use cxjourney::persona::{PaymentStyle, ReminderNeed};
use cxjourney::sample::Rng;
use cxjourney::{CustomerId, Dimension, Persona, Stage};

fn customers() -> usize {
    if std::env::args().any(|a| a == "--test") {
        2_000
    } else {
        1_000_000
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap()
}

type Input = (CustomerContext, Vec<SentAction>, DateTime<Utc>);

fn contexts(n: usize) -> Vec<Input> {
    let mut rng = Rng::new(14);
    (0..n)
        .map(|i| {
            let mut c = CustomerContext::new(CustomerId(i as u64));
            let p = rng.below(7) as usize;
            c.primary = Persona::ALL.get(p).copied();
            for s in &mut c.scores {
                *s = rng.unit();
            }
            c.stage = Stage::ALL.get(rng.below(5) as usize).copied();
            if rng.chance(0.2) {
                c.weakest_dimension = Dimension::ALL.get(rng.below(5) as usize).copied();
            }
            c.orders = rng.below(6) as u32;
            if c.orders > 0 {
                c.discounted_order_share = rng.unit();
                c.days_since_last_order = Some(rng.unit() * 120.0);
            }
            c.checkout.reminder_need = ReminderNeed::ALL.get(rng.below(3) as usize).copied();
            c.checkout.payment_style = PaymentStyle::ALL.get(rng.below(3) as usize).copied();
            c.checkout.reminders_by_channel = [0, 0, 0, 0, 0].map(|_: u32| rng.below(3) as u32);
            c.checkout.upsell_susceptibility = rng.unit();
            if c.checkout.payment_style == Some(PaymentStyle::Manual) {
                c.rto_risk = Some(rng.unit());
            }
            if rng.chance(0.3) {
                c.events.cart_abandoned_hours = Some(rng.unit() * 100.0);
            }
            c.events.failed_delivery = rng.chance(0.03);
            c.events.refund_pending = rng.chance(0.03);
            c.events.support_unanswered = rng.chance(0.05);
            c.campaign_day = rng.chance(0.1);
            let now = start() + TimeDelta::minutes(rng.below(24 * 60) as i64);
            let history = if rng.chance(0.2) {
                (0..1 + rng.below(4))
                    .map(|_| SentAction {
                        at: now - TimeDelta::hours(rng.below(240) as i64),
                        action: ActionKey(rng.below(15) as u16),
                        channel: ActionChannel::ALL[rng.below(7) as usize],
                    })
                    .collect()
            } else {
                Vec::new()
            };
            (c, history, now)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let n = customers();
    let inputs = contexts(n);
    let rules = RuleSet::default();
    let mut group = c.benchmark_group("action");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(n as u64));
    group.bench_function("default_rules_1m_customers", |b| {
        let mut out = Evaluation::default();
        b.iter(|| {
            let mut fired = 0usize;
            for (ctx, history, now) in &inputs {
                rules.evaluate_into(ctx, history, *now, &mut out);
                fired += out.actions.len();
            }
            black_box(fired)
        });
    });
    // The same loop timed by the thread's own CPU time (the kernel's
    // per-thread `schedstat`, in nanoseconds): what one core spends, without
    // the time the thread waits for a core on a busy machine.
    if cpu_time().is_some() {
        group.bench_function("default_rules_1m_customers_cpu_time", |b| {
            let mut out = Evaluation::default();
            b.iter_custom(|iters| {
                let t0 = cpu_time().unwrap_or_default();
                for _ in 0..iters {
                    let mut fired = 0usize;
                    for (ctx, history, now) in &inputs {
                        rules.evaluate_into(ctx, history, *now, &mut out);
                        fired += out.actions.len();
                    }
                    black_box(fired);
                }
                cpu_time().unwrap_or_default().saturating_sub(t0)
            });
        });
    }
    group.finish();
}

/// The CPU time of the calling thread (Linux), `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

criterion_group!(benches, bench);
criterion_main!(benches);
