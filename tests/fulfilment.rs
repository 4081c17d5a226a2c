//! Fulfilment metrics on a hand-made log, the return-to-origin rule, the RTO
//! calibration on the sample shop, and the accumulator laws.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cxjourney::fulfilment::{
    FulfilmentAccumulator, FulfilmentConfig, RtoConfig, RtoScorer, order_risks, orders,
};
use cxjourney::log::EventLog;
use cxjourney::sample::{SampleConfig, SampleShop};
use cxjourney::{
    Accumulator, BuiltinKind as K, Currency, CustomerId, Dimension, Error, EventName,
    JourneyConfig, Money, PaymentMethod, Touchpoint, run_on_log,
};
use proptest::prelude::*;

use crate::log::check_contract;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 11, 8, 0, 0).unwrap()
}

fn row(c: u64, hours: i64, kind: K, order: &str) -> Touchpoint {
    Touchpoint::new(CustomerId(c), t0() + TimeDelta::hours(hours), kind).with_order(order)
}

fn placed(c: u64, hours: i64, order: &str, pay: PaymentMethod, promised_h: i64) -> Touchpoint {
    row(c, hours, K::OrderCompleted, order)
        .with_payment(pay)
        .with_value(Money::new(10_000_000, Currency::IDR).unwrap())
        .with_promised_delivery(t0() + TimeDelta::hours(promised_h))
}

/// Four orders, one of each fate:
/// A (card): delivered on time at the first attempt, returned as the wrong
///   item, refunded 80 hours after the request;
/// B (cash on delivery): delivered late at the second attempt;
/// C (cash on delivery): back to origin after one attempt;
/// D (e-wallet): cancelled.
fn hand_made() -> Vec<Touchpoint> {
    vec![
        placed(1, 0, "A", PaymentMethod::Card, 72),
        row(1, 10, K::Shipment, "A"),
        row(1, 30, K::DeliveryAttempt, "A"),
        row(1, 31, K::Delivered, "A"),
        row(1, 50, K::ReturnRequested, "A").with_event(EventName::new("return_wrong_item")),
        row(1, 100, K::Returned, "A"),
        row(1, 130, K::Refund, "A"),
        placed(1, 200, "B", PaymentMethod::CashOnDelivery, 272),
        row(1, 250, K::DeliveryAttempt, "B"),
        row(1, 280, K::DeliveryAttempt, "B"),
        row(1, 281, K::Delivered, "B"),
        placed(2, 0, "C", PaymentMethod::CashOnDelivery, 72),
        row(2, 40, K::DeliveryAttempt, "C"),
        row(2, 45, K::SupportContact, "C"),
        row(2, 150, K::Returned, "C"),
        placed(2, 500, "D", PaymentMethod::EWallet, 572),
        row(2, 501, K::OrderCancelled, "D"),
        // Rows without an order id, and an order id without an order row.
        Touchpoint::new(CustomerId(2), t0(), K::ProductView),
        row(2, 600, K::Refund, "Z"),
    ]
}

#[test]
fn metrics_of_a_hand_made_log() {
    let log = EventLog::from_touchpoints(hand_made(), &JourneyConfig::default()).unwrap();
    let config = FulfilmentConfig::default();
    let r = run_on_log::<FulfilmentAccumulator>(&log, &config, 1).unwrap();
    let m = &r.overall;
    assert_eq!(
        (m.orders, m.cancelled, m.dispatched, m.delivered),
        (4, 1, 3, 2)
    );
    let rate = |x: &cxjourney::fulfilment::Rate| (x.numerator, x.denominator);
    assert_eq!(rate(&m.on_time), (1, 2));
    assert_eq!(rate(&m.first_attempt), (1, 3));
    assert_eq!(rate(&m.returns), (1, 2));
    assert_eq!(rate(&m.wrong_item_returns), (1, 1));
    assert_eq!(rate(&m.refunds), (1, 4));
    assert_eq!(rate(&m.return_to_origin), (1, 3));
    let delivery = m.delivery_time.as_ref().unwrap();
    assert_eq!((delivery.count, delivery.median_hours), (2, 56.0));
    assert_eq!((delivery.min_hours, delivery.max_hours), (31.0, 81.0));
    assert_eq!(delivery.by_day["1-2d"], 1);
    assert_eq!(delivery.by_day["3-4d"], 1);
    assert_eq!(m.refund_cycle.as_ref().unwrap().median_hours, 80.0);
    let pays: Vec<&str> = r.by_payment.keys().map(String::as_str).collect();
    assert_eq!(pays, ["card", "e_wallet", "cash_on_delivery"]);
    assert_eq!(
        rate(&r.by_payment["cash_on_delivery"].return_to_origin),
        (1, 2)
    );
    assert_eq!(rate(&r.rto.cash_on_delivery), (1, 2));
    assert_eq!(rate(&r.rto.prepaid), (0, 1));
    assert_eq!(
        r.by_month.keys().collect::<Vec<_>>(),
        ["2024-11", "2024-12"]
    );
    assert_eq!(r.by_month["2024-12"].cancelled, 1);
    assert_eq!(r.by_channel.keys().collect::<Vec<_>>(), ["direct"]);
    // A 30 hours to the first attempt, C 40 (both 1-2 days), B 50.
    assert_eq!(rate(&r.rto.by_attempt_delay["1-2d"]), (1, 2));
    assert_eq!(rate(&r.rto.by_attempt_delay["2-3d"]), (0, 1));
    assert_eq!(rate(&r.rto.by_attempt_delay["0-1d"]), (0, 0));
    // Scores of the resolved orders A (card, first: 1 point), B (cash on
    // delivery, 50 hours: 3) and C (cash on delivery, first: 4).
    let bands: Vec<(u64, u64)> = r
        .rto
        .calibration
        .iter()
        .map(|b| (b.orders, b.returned_to_origin))
        .collect();
    assert_eq!(bands, [(1, 0), (2, 1), (0, 0)]);
    assert_eq!(rate(&r.rto.factors["cash_on_delivery"].with), (1, 2));
    // Evidence for the fulfilment layer.
    let e = r.evidence();
    assert!(e.iter().all(|x| x.dimension == Dimension::Fulfilment));
    assert_eq!(e[0].value, Some(0.5));
    // The text forms say it all without panicking.
    let text = format!("{r}{}", r.rto);
    assert!(
        text.contains("cash_on_delivery") && text.contains("medium"),
        "{text}"
    );
    // Serde round trip of the report.
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        serde_json::from_str::<cxjourney::fulfilment::FulfilmentReport>(&json).unwrap(),
        r
    );
}

#[test]
fn returned_before_delivery_is_a_return_to_origin() {
    let log = EventLog::from_touchpoints(hand_made(), &JourneyConfig::default()).unwrap();
    let one = orders(
        &log.find(CustomerId(1)).unwrap(),
        &["return_wrong_item".into()],
    );
    assert_eq!(one.len(), 2);
    assert!(one[0].returned_at.is_some() && one[0].returned_to_origin_at.is_none());
    assert!(one[0].wrong_item);
    assert_eq!(one[1].attempts, 2);
    let two = orders(&log.find(CustomerId(2)).unwrap(), &[]);
    assert_eq!(two.len(), 2, "the refund of order Z has no order row");
    assert!(two[0].returned_to_origin_at.is_some() && two[0].returned_at.is_none());
    assert!(two[1].cancelled_at.is_some());
    let scorer = RtoScorer::new(RtoConfig::default()).unwrap();
    let risks = order_risks(&log.find(CustomerId(2)).unwrap(), &scorer);
    assert_eq!(risks[0].returned_to_origin, Some(true));
    // D: e-wallet, not first, a past RTO (C came back before D was placed),
    // 72 hours promised.
    assert_eq!(risks[1].input.past_rtos, 1);
    assert_eq!(risks[1].score.points, 2 + 1);
    assert_eq!(risks[1].returned_to_origin, None);
}

#[test]
fn rto_bands_rise_on_the_sample_shop() {
    for seed in [42, 7] {
        let shop = SampleShop::generate(&SampleConfig {
            seed,
            ..SampleConfig::default()
        })
        .unwrap();
        let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default()).unwrap();
        let r = run_on_log::<FulfilmentAccumulator>(&log, &FulfilmentConfig::default(), 2).unwrap();
        let table = r.rto_calibration();
        assert_eq!(table.len(), 3);
        for b in table {
            assert!(b.orders >= 300, "seed {seed}: {b:?}");
        }
        for w in table.windows(2) {
            assert!(
                w[1].rate.unwrap() > w[0].rate.unwrap(),
                "seed {seed}: band {} ({:?}) is not riskier than {} ({:?})",
                w[1].band,
                w[1].rate,
                w[0].band,
                w[0].rate
            );
        }
        // The driver the sample shop plants: cash on delivery.
        let cod = &r.rto.factors["cash_on_delivery"];
        assert!(cod.with.rate.unwrap() > 3.0 * cod.without.rate.unwrap());
        assert!(r.rto.cash_on_delivery.rate > r.rto.prepaid.rate);
    }
}

#[test]
fn other_configurations_do_not_merge() {
    let a = FulfilmentAccumulator::new(&FulfilmentConfig::default()).unwrap();
    let mut c = FulfilmentConfig::default();
    c.rto.weights.cash_on_delivery = 5;
    let b = FulfilmentAccumulator::new(&c).unwrap();
    assert!(matches!(a.clone().merge(b), Err(Error::Mismatch { .. })));
    let mut bad = FulfilmentConfig::default();
    bad.rto.bands.clear();
    assert!(FulfilmentAccumulator::new(&bad).is_err());
}

/// Orders of customers 0..5 with fulfilment rows in any order.
fn arb_rows() -> impl Strategy<Value = Vec<Touchpoint>> {
    let kinds = [
        K::OrderCompleted,
        K::Shipment,
        K::DeliveryAttempt,
        K::Delivered,
        K::OrderCancelled,
        K::ReturnRequested,
        K::Returned,
        K::Refund,
        K::SupportContact,
    ];
    proptest::collection::vec(
        (
            0u64..5,
            -100i64..2_000,
            0..kinds.len(),
            proptest::option::of("o[1-4]"),
            proptest::option::of(0..PaymentMethod::ALL.len()),
            proptest::option::of(0i64..200),
            any::<bool>(),
        ),
        0..60,
    )
    .prop_map(move |rows| {
        rows.into_iter()
            .map(|(c, h, k, order, pay, promised, wrong)| {
                let mut t = Touchpoint::new(CustomerId(c), t0() + TimeDelta::hours(h), kinds[k]);
                t.order = order.map(|o| o.as_str().into());
                t.payment = pay.map(|p| PaymentMethod::ALL[p]);
                t.promised_delivery = promised.map(|p| t0() + TimeDelta::hours(h + p));
                t.value = Some(Money::new(h.abs() * 100, Currency::IDR).unwrap());
                if wrong {
                    t.event = Some(EventName::new("wrong_item"));
                }
                t
            })
            .collect()
    })
}

proptest! {
    /// Any split, any merge order, through serde, equals the whole; and
    /// the thread count does not matter.
    #[test]
    fn fulfilment_keeps_the_contract(rows in arb_rows(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let log = EventLog::from_touchpoints(&rows, &JourneyConfig::default()).unwrap();
        let config = FulfilmentConfig::default();
        check_contract::<FulfilmentAccumulator>(&log, &config, &cuts);
        let one = run_on_log::<FulfilmentAccumulator>(&log, &config, 1).unwrap();
        prop_assert_eq!(&run_on_log::<FulfilmentAccumulator>(&log, &config, 3).unwrap(), &one);
        // Counts hold together.
        let m = &one.overall;
        prop_assert!(m.delivered <= m.dispatched && m.dispatched <= m.orders);
        prop_assert!(m.returns.numerator <= m.delivered);
        prop_assert!(m.return_to_origin.numerator <= m.dispatched);
        let resolved: u64 = one.rto.calibration.iter().map(|b| b.orders).sum();
        let by_delay: u64 = one.rto.by_attempt_delay.values().map(|r| r.denominator).sum();
        prop_assert_eq!(resolved, by_delay);
        let total: u64 = one.by_payment.values().map(|m| m.orders).sum();
        prop_assert_eq!(total, m.orders);
    }
}
