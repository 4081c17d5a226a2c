//! Hostile input for the analyses `paths`, `pattern`, `retention`, `value`
//! (RFM), `fulfilment` (RTO risk) and `action` (next best actions, journey
//! maps): adversarial values for every public constructor and config (also
//! as JSON), the accumulator laws on hostile logs (merge equals whole, state
//! round trip, byte-identical output when the rows are shuffled), serde round
//! trips of every report, refused inconsistent states, and the findings of
//! issue 15's audit of these analyses (`finding_15_aN_*`).
//!
//! The `scaling_<analysis>_*` tests run each adversarial shape at 100,000
//! rows in release mode:
//! `cargo test --release --test integration scaling_`.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use cxjourney::action::{CustomerContext, JourneyMapBuilder, RuleSet};
use cxjourney::fulfilment::{FulfilmentAccumulator, FulfilmentConfig, order_risks};
use cxjourney::fulfilment::{RtoConfig, RtoScorer};
use cxjourney::log::EventLog;
use cxjourney::paths::{Focus, Label, Occurrence, PathsAccumulator, PathsConfig, Scope};
use cxjourney::pattern::{Pattern, PatternAccumulator, PatternConfig, PatternMatcher, PatternMode};
use cxjourney::retention::{
    Activity, Boundaries, LifecycleAccumulator, LifecycleConfig, Period, RepeatBuyingAccumulator,
    RepeatBuyingConfig, RetentionAccumulator, RetentionConfig,
};
use cxjourney::step::Step;
use cxjourney::value::{RfmAccumulator, RfmConfig};
use cxjourney::{
    Accumulator, BuiltinKind as K, Currency, CustomerId, Error, EventName, JourneyConfig, Money,
    PaymentMethod, Touchpoint, run_on_log,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

// ---------------------------------------------------------------- strategies

/// Times at the ends of chrono's range, near the epoch, and ordinary ones.
fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        (-86_400i64..86_400).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        (0i64..10_000_000).prop_map(|s| DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()),
        any::<i64>().prop_filter_map("within chrono", DateTime::from_timestamp_micros),
    ]
}

/// Names: empty, huge, control characters, emoji, wildcard characters.
fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("a".repeat(300)),
        Just("\u{0}\n\r\t".to_owned()),
        Just("🛒🛍️".to_owned()),
        Just("*?*".to_owned()),
        "[a-c*?]{0,6}",
        ".{0,12}",
    ]
}

const KINDS: [K; 14] = [
    K::ProductView,
    K::AddToCart,
    K::CheckoutStart,
    K::OrderCompleted,
    K::OrderCancelled,
    K::Shipment,
    K::DeliveryAttempt,
    K::Delivered,
    K::Returned,
    K::ReturnRequested,
    K::Refund,
    K::SupportContact,
    K::SiteSearch,
    K::AdClick,
];

#[derive(Debug, Clone)]
struct RowSpec {
    customer: u64,
    at: DateTime<Utc>,
    kind: usize,
    event: Option<String>,
    order: Option<u8>,
    minor: Option<i64>,
    payment: Option<usize>,
    promised: Option<DateTime<Utc>>,
}

fn arb_row() -> impl Strategy<Value = RowSpec> {
    (
        prop_oneof![0u64..4, Just(u64::MAX)],
        arb_time(),
        0..KINDS.len(),
        prop::option::of(arb_name()),
        prop::option::of(0u8..3),
        prop::option::of(prop_oneof![Just(0i64), Just(i64::MAX), 0i64..1_000_000_000]),
        prop::option::of(0..PaymentMethod::ALL.len()),
        prop::option::of(arb_time()),
    )
        .prop_map(
            |(customer, at, kind, event, order, minor, payment, promised)| RowSpec {
                customer,
                at,
                kind,
                event,
                order,
                minor,
                payment,
                promised,
            },
        )
}

/// Rows with no two of one customer at the same time (their order would be
/// the input's), and the same rows shuffled.
fn arb_rows() -> impl Strategy<Value = (Vec<RowSpec>, Vec<RowSpec>)> {
    prop::collection::vec(arb_row(), 0..40).prop_flat_map(|mut rows| {
        let mut seen = std::collections::BTreeSet::new();
        rows.retain(|r| seen.insert((r.customer, r.at)));
        (Just(rows.clone()), Just(rows).prop_shuffle())
    })
}

fn touchpoint(r: &RowSpec) -> Touchpoint {
    let mut t = Touchpoint::new(CustomerId(r.customer), r.at, KINDS[r.kind]);
    if let Some(e) = &r.event
        && !e.is_empty()
    {
        t = t.with_event(EventName::new(e));
    }
    if let Some(o) = r.order {
        t = t.with_order(format!("o{o}").as_str());
    }
    if let Some(m) = r.minor.and_then(|m| Money::new(m, Currency::IDR).ok()) {
        t = t.with_value(m);
    }
    if let Some(p) = r.payment {
        t = t.with_payment(PaymentMethod::ALL[p]);
    }
    if let Some(p) = r.promised {
        t = t.with_promised_delivery(p);
    }
    t
}

fn log_of(rows: &[RowSpec]) -> Option<EventLog> {
    let tps: Vec<Touchpoint> = rows.iter().map(touchpoint).collect();
    EventLog::from_touchpoints(&tps, &JourneyConfig::default()).ok()
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..KINDS.len()).prop_map(|k| Step::kind(KINDS[k])),
        arb_name().prop_map(|n| Step::event(&n)),
        Just(Step::new("any", vec![])),
    ]
}

// ------------------------------------------------------------------ helpers

fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

/// Runs `A` on both logs (one and three threads), checks the accumulator
/// laws on the first, that the output is byte-identical across the logs and
/// the thread counts, and that the report survives a serde round trip (a
/// NaN or infinity, written as `null`, would not read back as a number).
fn laws<A>(rows: &[RowSpec], shuffled: &[RowSpec], config: &A::Config, cuts: &[prop::sample::Index])
where
    A: for<'a> Accumulator<Unit<'a> = cxjourney::log::JourneyView<'a>> + Send,
    A::Config: Sync,
    A::Report: Serialize + DeserializeOwned,
{
    let (Some(log), Some(other)) = (log_of(rows), log_of(shuffled)) else {
        return;
    };
    let run = |log: &EventLog, threads: usize| match run_on_log::<A>(log, config, threads) {
        Ok(r) => Ok(serde_json::to_string(&r).unwrap()),
        Err(e) => Err(e.to_string()),
    };
    let one = run(&log, 1);
    assert_eq!(run(&log, 3), one, "threads");
    assert_eq!(run(&other, 1), one, "shuffled rows");
    let Ok(text) = one else { return };
    let report: A::Report = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_string(&report).unwrap(),
        text,
        "report round trip"
    );
    crate::log::check_contract::<A>(&log, config, cuts);
}

/// A config read from JSON: refused exactly when `validate` refuses it, and
/// round-tripped when accepted.
fn config_json<C>(value: &Value, validate: impl Fn(&C) -> Result<(), Error>)
where
    C: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(c) = serde_json::from_value::<C>(value.clone()) {
        assert!(
            validate(&c).is_ok(),
            "{c:?} read from JSON but does not validate"
        );
        assert_eq!(round_trip(&c), c);
    }
}

/// The error's text names the offending value.
fn names_value(e: &Error, value: &str) {
    assert!(
        e.to_string().contains(value),
        "error {e} does not name the value {value}"
    );
}

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    println!("{what}: {took:?}");
    assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    out
}

// -------------------------------------------------------------------- paths

fn arb_focus() -> impl Strategy<Value = Focus> {
    prop_oneof![
        arb_step().prop_map(|start| Focus::After { start }),
        arb_step().prop_map(|end| Focus::Before { end }),
        arb_step().prop_map(|at| Focus::Around { at }),
        (arb_step(), arb_step()).prop_map(|(start, end)| Focus::Between { start, end }),
    ]
}

fn arb_paths_config() -> impl Strategy<Value = PathsConfig> {
    (
        arb_focus(),
        prop_oneof![Just(0usize), 1usize..=20, Just(21), Just(usize::MAX)],
        prop::collection::vec((arb_name(), arb_name()), 0..3),
        prop::collection::vec(arb_name(), 0..3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(0usize), 1usize..5, Just(usize::MAX)]),
    )
        .prop_map(
            |(focus, steps, groups, exclude, label, every, collapse, top)| {
                let mut c = PathsConfig::new(focus).with_steps(steps);
                for (p, i) in &groups {
                    c = c.group(p, i);
                }
                for e in &exclude {
                    c = c.exclude(e);
                }
                c.label = if label { Label::Kind } else { Label::Event };
                c.occurrence = if every {
                    Occurrence::Every
                } else {
                    Occurrence::First
                };
                c.scope = if collapse {
                    Scope::Sessions
                } else {
                    Scope::Journey
                };
                c.collapse_repeats = collapse;
                c.top = top;
                c
            },
        )
}

proptest! {
    #[test]
    fn hostile_paths_configs_and_laws((rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3), config in arb_paths_config()) {
        let json = serde_json::to_value(&config).unwrap();
        config_json::<PathsConfig>(&json, PathsConfig::validate);
        match config.validate() {
            Err(e) => {
                prop_assert!(PathsAccumulator::new(&config).is_err());
                prop_assert!(serde_json::from_value::<PathsConfig>(json).is_err());
                if config.steps == 0 || config.steps > 20 {
                    names_value(&e, &config.steps.to_string());
                }
            }
            Ok(()) => laws::<PathsAccumulator>(&rows, &shuffled, &config, &cuts),
        }
    }

    #[test]
    fn hostile_paths_states_from_json(
        (rows, _) in arb_rows(),
        field in 0usize..5,
        value in prop_oneof![Just(0u64), Just(1), Just(u64::MAX), any::<u64>()],
    ) {
        let config = PathsConfig::after(Step::new("any", vec![])).with_steps(2);
        let Some(log) = log_of(&rows) else { return Ok(()) };
        let mut acc = PathsAccumulator::new(&config).unwrap();
        for j in log.journeys() {
            acc.add(j).unwrap();
        }
        let mut state = serde_json::to_value(&acc).unwrap();
        let key = ["customers", "customers_on_paths", "paths", "unfinished", "nodes"][field];
        if key == "nodes" {
            if let Some(first) = state["nodes"].as_array_mut().and_then(|n| n.first_mut()) {
                first[2] = json!(value);
            }
        } else {
            state[key] = json!(value);
        }
        if let Ok(s) = serde_json::from_value::<PathsAccumulator>(state) {
            let mut whole = PathsAccumulator::new(&config).unwrap();
            if whole.merge(s.clone()).is_ok() {
                let _ = whole.merge(s);
                if let Ok(r) = whole.finish() {
                    prop_assert_eq!(round_trip(&r), r);
                }
            }
        }
    }
}

// ------------------------------------------------------------------ pattern

fn arb_pattern_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("(?1).*(?2)".to_owned()),
        Just("(?1)(?t<=3600)(?2)".to_owned()),
        Just("(?1)(?t>18446744073709551615)(?2)".to_owned()),
        Just("(?1)(?t==0).*(?1)".to_owned()),
        Just(".*".repeat(64)),
        Just("(?1)".repeat(65)),
        Just("(?33)".to_owned()),
        Just("(?0)".to_owned()),
        Just("(?99999999999999999999999)".to_owned()),
        prop::collection::vec(
            prop_oneof![
                Just("(?1)"),
                Just("(?2)"),
                Just("."),
                Just(".*"),
                Just("(?t<=5)"),
                Just("(?t>5)"),
                Just("(?t==0)"),
                Just("(?"),
                Just("🛒"),
            ],
            0..20
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #[test]
    fn hostile_patterns_configs_and_laws(
        (rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        text in arb_pattern_text(),
        steps in prop::collection::vec(arb_step(), 0..4),
        count in any::<bool>(),
    ) {
        let pattern = match Pattern::new(&text) {
            Ok(p) => p,
            Err(e) => {
                prop_assert!(serde_json::from_value::<Pattern>(json!(text)).is_err());
                names_value(&e, &text);
                return Ok(());
            }
        };
        let mode = if count { PatternMode::Count } else { PatternMode::Match };
        let config = PatternConfig::new(pattern, steps).with_mode(mode);
        let json = serde_json::to_value(&config).unwrap();
        config_json::<PatternConfig>(&json, PatternConfig::validate);
        let Ok(matcher) = PatternMatcher::new(config.clone()) else {
            prop_assert!(serde_json::from_value::<PatternConfig>(json).is_err());
            return Ok(());
        };
        laws::<PatternAccumulator>(&rows, &shuffled, &matcher, &cuts);
    }

    #[test]
    fn hostile_pattern_states_from_json(
        customers in any::<u64>(),
        matched in any::<u64>(),
        total in any::<u64>(),
        by in prop::collection::btree_map(any::<u64>(), any::<u64>(), 0..4),
    ) {
        let m = PatternMatcher::new(PatternConfig::new(
            Pattern::new("(?1)").unwrap(),
            vec![Step::kind(K::ProductView)],
        ))
        .unwrap();
        let mut state = serde_json::to_value(PatternAccumulator::new(&m).unwrap()).unwrap();
        state["customers"] = json!(customers);
        state["matched"] = json!(matched);
        state["total"] = json!(total);
        state["by_result"] = json!(by);
        if let Ok(s) = serde_json::from_value::<PatternAccumulator>(state) {
            let mut a = PatternAccumulator::new(&m).unwrap();
            a.merge(s.clone()).unwrap();
            let _ = a.merge(s);
            let r = a.finish().unwrap();
            prop_assert!(r.match_rate.is_none_or(|x| (0.0..=1.0).contains(&x)));
            prop_assert_eq!(round_trip(&r), r);
        }
    }
}

// ---------------------------------------------------------------- retention

fn arb_period() -> impl Strategy<Value = Period> {
    prop_oneof![Just(Period::Day), Just(Period::Week), Just(Period::Month)]
}

fn arb_activity() -> impl Strategy<Value = Activity> {
    prop_oneof![
        Just(Activity::Any),
        Just(Activity::orders()),
        arb_step().prop_map(|step| Activity::Matching { step }),
    ]
}

fn arb_offset() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        Just(420),
        Just(1439),
        Just(-1439),
        Just(1440),
        Just(i32::MIN),
        Just(i32::MAX)
    ]
}

proptest! {
    #[test]
    fn hostile_retention_configs_and_laws(
        (rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        period in arb_period(),
        periods in prop_oneof![0u32..10, Just(3660), Just(3661), Just(u32::MAX)],
        rolling in any::<bool>(),
        offset in arb_offset(),
        cohort in arb_activity(),
        returning in arb_activity(),
        as_of in prop::option::of(arb_time()),
    ) {
        let mut config = RetentionConfig::new(period, periods)
            .with_cohort(cohort)
            .with_return(returning)
            .with_boundaries(if rolling { Boundaries::Rolling } else { Boundaries::Calendar });
        config.calendar.utc_offset_minutes = offset;
        config.as_of = as_of;
        let json = serde_json::to_value(&config).unwrap();
        config_json::<RetentionConfig>(&json, RetentionConfig::validate);
        match config.validate() {
            Err(e) => {
                prop_assert!(RetentionAccumulator::new(&config).is_err());
                if periods > 3660 {
                    names_value(&e, &periods.to_string());
                }
            }
            Ok(()) => laws::<RetentionAccumulator>(&rows, &shuffled, &config, &cuts),
        }
    }

    #[test]
    fn hostile_lifecycle_configs_and_laws(
        (rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        period in arb_period(),
        offset in arb_offset(),
        active in arb_activity(),
        since in prop::option::of(arb_time()),
        as_of in prop::option::of(arb_time()),
    ) {
        let mut config = LifecycleConfig::new(period).with_active(active);
        config.calendar.utc_offset_minutes = offset;
        config.since = since;
        config.as_of = as_of;
        let json = serde_json::to_value(&config).unwrap();
        config_json::<LifecycleConfig>(&json, LifecycleConfig::validate);
        if config.validate().is_ok() {
            laws::<LifecycleAccumulator>(&rows, &shuffled, &config, &cuts);
        } else {
            prop_assert!(LifecycleAccumulator::new(&config).is_err());
        }
    }

    #[test]
    fn hostile_repeat_buying_configs_and_laws(
        (rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        buckets in prop::collection::vec(prop_oneof![Just(0u32), 1u32..400, Just(u32::MAX)], 0..6),
        as_of in prop::option::of(arb_time()),
        churn in prop::option::of(prop_oneof![Just(0u32), 1u32..400, Just(u32::MAX)]),
    ) {
        let config = RepeatBuyingConfig {
            gap_buckets_days: buckets,
            as_of,
            churn_after_days: churn,
            ..RepeatBuyingConfig::default()
        };
        let json = serde_json::to_value(&config).unwrap();
        config_json::<RepeatBuyingConfig>(&json, RepeatBuyingConfig::validate);
        if config.validate().is_ok() {
            laws::<RepeatBuyingAccumulator>(&rows, &shuffled, &config, &cuts);
        } else {
            prop_assert!(RepeatBuyingAccumulator::new(&config).is_err());
        }
    }

    #[test]
    fn hostile_repeat_buying_states_from_json(
        (rows, _) in arb_rows(),
        key in 0usize..4,
        value in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
    ) {
        let config = RepeatBuyingConfig::default();
        let Some(log) = log_of(&rows) else { return Ok(()) };
        let mut acc = RepeatBuyingAccumulator::new(&config).unwrap();
        for j in log.journeys() {
            acc.add(j).unwrap();
        }
        let mut state = serde_json::to_value(&acc).unwrap();
        state[["customers", "buyers", "repeat_buyers", "orders"][key]] = json!(value);
        if let Ok(s) = serde_json::from_value::<RepeatBuyingAccumulator>(state) {
            let mut whole = RepeatBuyingAccumulator::new(&config).unwrap();
            if whole.merge(s).is_ok() {
                let r = whole.finish().unwrap();
                prop_assert_eq!(round_trip(&r), r);
            }
        }
    }
}

// -------------------------------------------------------------------- value

proptest! {
    #[test]
    fn hostile_rfm_configs_and_laws(
        (rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        days in prop_oneof![Just(i32::MIN), Just(i32::MAX), -1000i32..1000, 19_000i32..21_000],
        bins in prop_oneof![Just(0u8), 1u8..=20, Just(21), Just(u8::MAX)],
    ) {
        let Some(as_of) = NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163)) else {
            return Ok(());
        };
        let mut config = RfmConfig::new(as_of);
        config.bins = bins;
        let json = serde_json::to_value(&config).unwrap();
        config_json::<RfmConfig>(&json, RfmConfig::validate);
        match config.validate() {
            Err(e) => {
                prop_assert!(RfmAccumulator::new(&config).is_err());
                if bins == 0 || bins > 20 {
                    names_value(&e, &bins.to_string());
                }
            }
            Ok(()) => laws::<RfmAccumulator>(&rows, &shuffled, &config, &cuts),
        }
    }
}

// --------------------------------------------------------------- fulfilment

proptest! {
    #[test]
    fn hostile_fulfilment_configs_and_laws(
        (rows, shuffled) in arb_rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        names in prop::collection::vec(arb_name(), 0..4),
        many in any::<bool>(),
        ratio in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(f64::MAX), 0.0f64..10.0],
        min_days in prop_oneof![Just(f64::NAN), Just(f64::NEG_INFINITY), Just(-0.5), 0.0f64..30.0],
        cod in any::<i32>(),
    ) {
        let mut config = FulfilmentConfig {
            wrong_item_events: if many { vec!["x".to_owned(); 257] } else { names },
            ..FulfilmentConfig::default()
        };
        config.rto.weights.high_value_ratio = ratio;
        config.rto.weights.cash_on_delivery = cod;
        if let Some(step) = config.rto.weights.attempt_delay.first_mut() {
            step.min_days = min_days;
        }
        match config.validate() {
            Err(e) => {
                prop_assert!(FulfilmentAccumulator::new(&config).is_err());
                prop_assert!(RtoScorer::new(config.rto.clone()).is_err() || many);
                if many {
                    names_value(&e, "257");
                } else if !(min_days.is_finite() && min_days >= 0.0) {
                    names_value(&e, &min_days.to_string());
                } else if !(ratio.is_finite() && ratio >= 0.0) {
                    names_value(&e, &ratio.to_string());
                }
            }
            Ok(()) => {
                let json = serde_json::to_value(&config).unwrap();
                config_json::<FulfilmentConfig>(&json, FulfilmentConfig::validate);
                laws::<FulfilmentAccumulator>(&rows, &shuffled, &config, &cuts);
                let scorer = RtoScorer::new(config.rto.clone()).unwrap();
                if let Some(log) = log_of(&rows) {
                    for j in log.journeys() {
                        for risk in order_risks(&j, &scorer) {
                            prop_assert_eq!(round_trip(&risk), risk);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn hostile_fulfilment_states_from_json(
        (rows, _) in arb_rows(),
        key in 0usize..4,
        value in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
    ) {
        let config = FulfilmentConfig::default();
        let Some(log) = log_of(&rows) else { return Ok(()) };
        let mut acc = FulfilmentAccumulator::new(&config).unwrap();
        for j in log.journeys() {
            acc.add(j).unwrap();
        }
        let mut state = serde_json::to_value(&acc).unwrap();
        state["overall"][["orders", "delivered", "rto", "on_time"][key]] = json!(value);
        if let Ok(s) = serde_json::from_value::<FulfilmentAccumulator>(state) {
            let mut whole = FulfilmentAccumulator::new(&config).unwrap();
            if whole.merge(s.clone()).is_ok() && whole.merge(s).is_ok() {
                let r = whole.finish().unwrap();
                prop_assert_eq!(round_trip(&r), r);
            }
        }
    }
}

// ------------------------------------------------------------------- action

proptest! {
    #[test]
    fn hostile_actions_and_journey_maps(
        rows in prop::collection::vec(arb_row(), 0..40),
        scores in prop::array::uniform6(prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1e300), 0.0f64..1.0]),
        share in prop_oneof![Just(f64::NAN), Just(f64::NEG_INFINITY), 0.0f64..1.0],
        days in prop::option::of(prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-5.0), 0.0f64..400.0]),
        rto in prop::option::of(prop_oneof![Just(f64::NAN), Just(2.0), 0.0f64..1.0]),
        nps in prop::option::of(prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -100.0f64..100.0]),
        as_of in arb_time(),
    ) {
        let Some(log) = log_of(&rows) else { return Ok(()) };
        let rules = RuleSet::default();
        let mut builder = JourneyMapBuilder::new(None, as_of);
        for j in log.journeys() {
            let mut ctx = CustomerContext::new(j.customer());
            ctx.scores = scores;
            ctx.discounted_order_share = share;
            ctx.days_since_last_order = days;
            ctx.rto_risk = rto;
            ctx.events = cxjourney::action::RecentEvents::from_view(&j, as_of);
            let evaluation = rules.evaluate(&ctx, &[], as_of);
            let actions = rules.next_best_actions(&ctx, &[], as_of);
            prop_assert_eq!(round_trip(&actions), actions);
            builder.add(&j, &ctx, &rules, &evaluation);
        }
        let map = builder.finish(None, nps);
        prop_assert_eq!(round_trip(&map), map);
    }
}

// ----------------------------------------------------------------- findings

/// A1: paths between two touchpoints, every start: each start scanned to
/// its end, quadratic in a journey of many starts and no end.
#[test]
fn finding_15_a1_between_every_finds_each_next_end() {
    let rows: Vec<Touchpoint> = [K::ProductView, K::ProductView, K::AddToCart, K::ProductView]
        .iter()
        .enumerate()
        .map(|(i, &k)| Touchpoint::new(CustomerId(1), t(i as i64), k))
        .collect();
    let log = EventLog::from_touchpoints(&rows, &JourneyConfig::default()).unwrap();
    let config = PathsConfig::between(Step::kind(K::ProductView), Step::kind(K::AddToCart))
        .with_occurrence(Occurrence::Every)
        .with_label(Label::Kind);
    let r = run_on_log::<PathsAccumulator>(&log, &config, 1).unwrap();
    // Two starts reach the add to cart; the start after it never ends.
    assert_eq!((r.paths, r.unfinished), (2, 1));
}

/// A2: grouping rules and exclusions were unbounded in number and length,
/// and matched by backtracking with no cap.
#[test]
fn finding_15_a2_wildcards_are_bounded() {
    let any = || Step::new("any", vec![]);
    let mut many = PathsConfig::after(any());
    for i in 0..65 {
        many = many.group(&format!("p{i}*"), "g");
    }
    let e = many.validate().unwrap_err();
    names_value(&e, "65");
    let long = PathsConfig::after(any()).exclude(&"*a".repeat(200));
    assert!(long.validate().is_err());
    let json = serde_json::to_value(&long).unwrap();
    assert!(serde_json::from_value::<PathsConfig>(json).is_err());
    // At the caps, matching still ends: crafted names against a crafted
    // pattern meet MAX_WILDCARD_WORK or finish (release: the scaling test).
    let crafted = PathsConfig::after(any()).exclude(&format!("{}b", "*a".repeat(100)));
    assert!(crafted.validate().is_ok());
}

/// A3: configs read from JSON were not checked (steps 0, no conditions).
#[test]
fn finding_15_a3_configs_from_json_are_checked() {
    let start = serde_json::to_value(Step::new("any", vec![])).unwrap();
    let paths = json!({"focus": {"type": "after", "start": start}, "steps": 0});
    let e = serde_json::from_value::<PathsConfig>(paths).unwrap_err();
    assert!(e.to_string().contains("steps"), "{e}");
    let pattern = json!({"pattern": "(?1)", "conditions": []});
    let e = serde_json::from_value::<PatternConfig>(pattern).unwrap_err();
    assert!(e.to_string().contains("conditions"), "{e}");
    let retention = json!({"periods": 3661});
    let e = serde_json::from_value::<RetentionConfig>(retention).unwrap_err();
    assert!(e.to_string().contains("3661"), "{e}");
    let mut rfm = serde_json::to_value(RfmConfig::new(NaiveDate::MIN)).unwrap();
    rfm["bins"] = json!(0);
    assert!(serde_json::from_value::<RfmConfig>(rfm).is_err());
    let mut fulfilment = serde_json::to_value(FulfilmentConfig::default()).unwrap();
    fulfilment["rto"]["bands"] = json!([]);
    assert!(serde_json::from_value::<FulfilmentConfig>(fulfilment).is_err());
}

/// A4: states from JSON whose counts disagree gave rates above 1, and
/// merges saturated at `u64::MAX` instead of failing.
#[test]
fn finding_15_a4_inconsistent_states_are_refused() {
    let m = PatternMatcher::new(PatternConfig::new(
        Pattern::new("(?1)").unwrap(),
        vec![Step::kind(K::ProductView)],
    ))
    .unwrap();
    let mut state = serde_json::to_value(PatternAccumulator::new(&m).unwrap()).unwrap();
    state["customers"] = json!(1);
    state["matched"] = json!(5);
    state["total"] = json!(5);
    state["by_result"] = json!({"1": 1});
    assert!(serde_json::from_value::<PatternAccumulator>(state.clone()).is_err());
    // Consistent but at the top of u64: the second merge fails.
    state["customers"] = json!(u64::MAX);
    state["matched"] = json!(u64::MAX);
    state["total"] = json!(u64::MAX);
    state["by_result"] = json!({"1": u64::MAX});
    let s: PatternAccumulator = serde_json::from_value(state).unwrap();
    let mut a = PatternAccumulator::new(&m).unwrap();
    a.merge(s.clone()).unwrap();
    assert!(matches!(a.merge(s), Err(Error::Mismatch { .. })));

    let config = PathsConfig::after(Step::new("any", vec![]));
    let mut state = serde_json::to_value(PathsAccumulator::new(&config).unwrap()).unwrap();
    state["customers"] = json!(1);
    state["customers_on_paths"] = json!(2);
    assert!(serde_json::from_value::<PathsAccumulator>(state).is_err());

    let config = RepeatBuyingConfig::default();
    let mut state = serde_json::to_value(RepeatBuyingAccumulator::new(&config).unwrap()).unwrap();
    state["customers"] = json!(1);
    state["buyers"] = json!(1);
    state["repeat_buyers"] = json!(3);
    let s: RepeatBuyingAccumulator = serde_json::from_value(state).unwrap();
    let mut a = RepeatBuyingAccumulator::new(&config).unwrap();
    assert!(matches!(a.merge(s), Err(Error::Mismatch { .. })));

    let config = RetentionConfig::new(Period::Day, 3);
    let log = EventLog::from_touchpoints(
        [Touchpoint::new(CustomerId(1), t(0), K::ProductView)],
        &JourneyConfig::default(),
    )
    .unwrap();
    let mut acc = RetentionAccumulator::new(&config).unwrap();
    acc.add(log.journeys().next().unwrap()).unwrap();
    let mut state = serde_json::to_value(&acc).unwrap();
    let cohorts = &mut state["cohorts"];
    let cohort = match cohorts {
        Value::Object(m) => m.values_mut().next().unwrap(),
        Value::Array(a) => &mut a[0][1],
        other => panic!("{other}"),
    };
    cohort["on"][1] = json!(7);
    let s: RetentionAccumulator = serde_json::from_value(state).unwrap();
    assert!(matches!(s.clone().finish(), Err(Error::Mismatch { .. })));
    assert!(
        RetentionAccumulator::new(&config)
            .unwrap()
            .merge(s)
            .is_err()
    );

    let config = FulfilmentConfig::default();
    let mut state = serde_json::to_value(FulfilmentAccumulator::new(&config).unwrap()).unwrap();
    state["overall"]["orders"] = json!(1);
    state["overall"]["cancelled"] = json!(2);
    let s: FulfilmentAccumulator = serde_json::from_value(state).unwrap();
    assert!(matches!(s.clone().finish(), Err(Error::Mismatch { .. })));
    let mut a = FulfilmentAccumulator::new(&config).unwrap();
    assert!(a.merge(s).is_err());
}

/// A9: a calendar's UTC offset of `i32::MIN` minutes overflowed `abs` in
/// `validate` (a panic in debug builds, accepted in release).
#[test]
fn finding_15_a9_utc_offset_of_i32_min_is_refused() {
    let mut config = RetentionConfig::new(Period::Day, 7);
    config.calendar.utc_offset_minutes = i32::MIN;
    let e = config.validate().unwrap_err();
    names_value(&e, &i32::MIN.to_string());
    let mut lifecycle = LifecycleConfig::new(Period::Week);
    lifecycle.calendar.utc_offset_minutes = i32::MIN;
    assert!(LifecycleAccumulator::new(&lifecycle).is_err());
}

/// A5: the days from an order to its first attempt were `attempt - placed`
/// in i64: times at the ends of chrono's range overflowed (a panic in debug
/// builds, a wrapped, wrong day count in release).
#[test]
fn finding_15_a5_rto_days_across_the_whole_time_range() {
    let tps = vec![
        Touchpoint::new(CustomerId(1), DateTime::<Utc>::MIN_UTC, K::OrderCompleted)
            .with_order("a")
            .with_payment(PaymentMethod::CashOnDelivery)
            .with_promised_delivery(DateTime::<Utc>::MAX_UTC),
    ];
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let scorer = RtoScorer::new(RtoConfig::default()).unwrap();
    let j = log.journeys().next().unwrap();
    let risks = order_risks(&j, &scorer);
    let days = risks[0].input.days_to_first_attempt.unwrap();
    assert!(days > 1e8, "{days}");
    let r = run_on_log::<FulfilmentAccumulator>(&log, &FulfilmentConfig::default(), 1).unwrap();
    assert_eq!(round_trip(&r), r);
}

/// A6: a pattern's match rate without customers read 0, a number for an
/// undefined statistic.
#[test]
fn finding_15_a6_pattern_match_rate_is_none_without_customers() {
    let m = PatternMatcher::new(PatternConfig::new(
        Pattern::new("(?1)").unwrap(),
        vec![Step::kind(K::ProductView)],
    ))
    .unwrap();
    let r = PatternAccumulator::new(&m).unwrap().finish().unwrap();
    assert_eq!(r.match_rate, None);
}

/// A7: a journey map fed a pyramid with a NaN dimension score wrote a NaN
/// feeling (`null` in JSON, which does not read back).
#[test]
fn finding_15_a7_map_ignores_a_nan_pyramid_score() {
    let shop = cxjourney::sample::SampleShop::generate(&cxjourney::sample::SampleConfig {
        customers: 50,
        ..cxjourney::sample::SampleConfig::default()
    })
    .unwrap();
    let responses = cxjourney::sample::sample_survey(&shop, 1).unwrap();
    let mut pyramid =
        cxjourney::PyramidReport::from_responses(&responses, &cxjourney::PyramidConfig::default())
            .unwrap();
    for d in pyramid.dimensions.values_mut() {
        d.score_0_100 = Some(f64::NAN);
    }
    let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default()).unwrap();
    let as_of = shop.touchpoints.iter().map(|t| t.at).max().unwrap();
    let rules = RuleSet::default();
    let mut b = JourneyMapBuilder::new(None, as_of);
    for j in log.journeys() {
        let mut ctx = CustomerContext::new(j.customer());
        ctx.stage = j.stage_path().last().map(|v| v.stage);
        let e = rules.evaluate(&ctx, &[], as_of);
        b.add(&j, &ctx, &rules, &e);
    }
    let map = b.finish(Some(&pyramid), Some(f64::NAN));
    assert_eq!(round_trip(&map), map);
}

// ------------------------------------------------------------------ scaling

fn one_customer(n: usize, kind: impl Fn(usize) -> K) -> EventLog {
    let tps: Vec<Touchpoint> = (0..n)
        .map(|i| Touchpoint::new(CustomerId(1), t(i as i64), kind(i)))
        .collect();
    EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap()
}

const N: usize = 100_000;

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_paths_between_every_many_starts_no_end() {
    let log = one_customer(N, |_| K::ProductView);
    let config = PathsConfig::between(Step::kind(K::ProductView), Step::kind(K::AddToCart))
        .with_occurrence(Occurrence::Every);
    let r = timed("paths between, every start, no end", || {
        run_on_log::<PathsAccumulator>(&log, &config, 1).unwrap()
    });
    assert_eq!(r.unfinished, N as u64);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_paths_around_every_anchor() {
    let log = one_customer(N, |i| {
        if i % 2 == 0 {
            K::ProductView
        } else {
            K::AddToCart
        }
    });
    let config = PathsConfig::around(Step::kind(K::ProductView))
        .with_steps(20)
        .with_occurrence(Occurrence::Every);
    let r = timed("paths around, every anchor, 20 steps", || {
        run_on_log::<PathsAccumulator>(&log, &config, 1).unwrap()
    });
    assert_eq!(r.paths, (N / 2) as u64);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_paths_many_distinct_crafted_names() {
    // 100,000 distinct names of 200 `a`s and a number, against a pattern of
    // 100 stars that backtracks over each name.
    let tps: Vec<Touchpoint> = (0..N)
        .map(|i| {
            Touchpoint::new(CustomerId(i as u64 % 100), t(i as i64), K::ProductView)
                .with_event(EventName::new(&format!("{}{i}", "a".repeat(200))))
        })
        .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let config = PathsConfig::after(Step::new("any", vec![]))
        .exclude(&format!("{}b", "*a".repeat(100)))
        .group(&format!("{}c", "*a".repeat(100)), "c");
    let r = timed(
        "paths, 100k crafted names against crafted wildcards",
        || run_on_log::<PathsAccumulator>(&log, &config, 1),
    );
    assert!(matches!(r, Err(Error::TooMuchWork { .. }) | Ok(_)), "{r:?}");
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_pattern_one_customer_many_events_deep_pattern() {
    let log = one_customer(N, |i| KINDS[i % 3]);
    let text = "(?1)(?t<=5).*(?2)".repeat(16);
    let m = PatternMatcher::new(
        PatternConfig::new(
            Pattern::new(&text).unwrap(),
            vec![Step::kind(KINDS[0]), Step::kind(KINDS[1])],
        )
        .with_mode(PatternMode::Count),
    )
    .unwrap();
    timed("pattern, 64 elements, count, 100k events", || {
        run_on_log::<PatternAccumulator>(&log, &m, 1).unwrap()
    });
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_retention_many_cohorts_many_periods() {
    // 100,000 customers, one a day: as many daily cohorts, 3,660 periods.
    let tps: Vec<Touchpoint> = (0..N)
        .map(|i| Touchpoint::new(CustomerId(i as u64), t(i as i64 * 86_400), K::ProductView))
        .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let config = RetentionConfig::new(Period::Day, 3660);
    let r = timed("retention, 100k daily cohorts of 3,660 periods", || {
        run_on_log::<RetentionAccumulator>(&log, &config, 1)
    });
    assert!(matches!(r, Err(Error::TooMuchWork { .. })), "{r:?}");
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_retention_lifecycle_huge_window() {
    let tps = vec![
        Touchpoint::new(CustomerId(1), DateTime::<Utc>::MIN_UTC, K::ProductView),
        Touchpoint::new(CustomerId(1), DateTime::<Utc>::MAX_UTC, K::ProductView),
    ];
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let r = timed("lifecycle over chrono's whole range", || {
        run_on_log::<LifecycleAccumulator>(&log, &LifecycleConfig::new(Period::Day), 1)
    });
    assert!(matches!(r, Err(Error::TooMuchWork { .. })), "{r:?}");
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_retention_repeat_buying_one_customer_many_orders() {
    let tps: Vec<Touchpoint> = (0..N)
        .map(|i| {
            Touchpoint::new(CustomerId(1), t(i as i64 * 3600), K::OrderCompleted)
                .with_order(format!("o{i}").as_str())
        })
        .collect();
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let config = RepeatBuyingConfig {
        as_of: Some(t(N as i64 * 3600)),
        churn_after_days: Some(30),
        ..RepeatBuyingConfig::default()
    };
    timed("repeat buying, one customer, 100k orders", || {
        run_on_log::<RepeatBuyingAccumulator>(&log, &config, 1).unwrap()
    });
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_value_rfm_many_customers_and_one_with_many_orders() {
    let mut tps: Vec<Touchpoint> = (0..N)
        .map(|i| {
            Touchpoint::new(CustomerId(i as u64), t(i as i64 * 60), K::OrderCompleted)
                .with_value(Money::new(i as i64 * 1000, Currency::IDR).unwrap())
        })
        .collect();
    tps.extend((0..N).map(|i| {
        Touchpoint::new(CustomerId(u64::MAX), t(i as i64 * 60), K::OrderCompleted)
            .with_value(Money::new(i64::MAX / N as i64, Currency::IDR).unwrap())
    }));
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let config = RfmConfig::new(t(N as i64 * 60).date_naive() + TimeDelta::days(1));
    let r = timed("rfm, 100k customers and one of 100k orders", || {
        run_on_log::<RfmAccumulator>(&log, &config, 1)
    });
    assert!(
        r.is_ok() || matches!(r, Err(Error::AmountOverflow { .. })),
        "{r:?}"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_fulfilment_one_customer_many_orders_many_names() {
    let mut tps = Vec::with_capacity(2 * N);
    for i in 0..N / 2 {
        let o = format!("o{i}");
        tps.push(
            Touchpoint::new(CustomerId(1), t(i as i64 * 100), K::OrderCompleted)
                .with_order(o.as_str())
                .with_payment(PaymentMethod::CashOnDelivery),
        );
        tps.push(
            Touchpoint::new(CustomerId(1), t(i as i64 * 100 + 50), K::Returned)
                .with_order(o.as_str())
                .with_event(EventName::new(&format!("wrong_item_{}", i % 300))),
        );
    }
    let log = EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap();
    let config = FulfilmentConfig {
        wrong_item_events: (0..256).map(|i| format!("wrong_item_{i}")).collect(),
        ..FulfilmentConfig::default()
    };
    timed(
        "fulfilment, one customer, 50k orders, 256 wrong-item names",
        || run_on_log::<FulfilmentAccumulator>(&log, &config, 1).unwrap(),
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_action_map_one_customer_many_events() {
    let log = one_customer(N, |i| KINDS[i % KINDS.len()]);
    let as_of = t(N as i64);
    let rules = RuleSet::default();
    timed(
        "journey map and next best actions, one customer of 100k rows",
        || {
            let mut b = JourneyMapBuilder::new(None, as_of);
            for j in log.journeys() {
                let mut ctx = CustomerContext::new(j.customer());
                ctx.events = cxjourney::action::RecentEvents::from_view(&j, as_of);
                ctx.stage = j.stage_path().last().map(|v| v.stage);
                let e = rules.evaluate(&ctx, &[], as_of);
                b.add(&j, &ctx, &rules, &e);
            }
            b.finish(None, None)
        },
    );
}

// ----------------------------------------------------------------- examples

/// A8: the examples of these analyses fed hostile CSVs: each exits 0 or
/// with one clean `error: ` line and exit status 2 (bad input, as the
/// funnel example does; the retention example used to exit 1), never with a
/// panic.
#[test]
fn finding_15_a8_examples_refuse_hostile_csvs_with_status_2() {
    let dir = tempfile::Builder::new()
        .prefix("cxjourney-hostile-")
        .tempdir()
        .unwrap();
    let events = "user_id,ts,event";
    let tx = "customer_id,ts,amount,discounted";
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("header only", format!("{events}\n").into_bytes()),
        ("bom", format!("\u{feff}{events}\r\n1,2024-11-11T00:00:00Z,view_item\r\n").into_bytes()),
        ("bom + space", format!("\u{feff} {events}\n1,2024-11-11T00:00:00Z,view_item\n").into_bytes()),
        ("quoted", b"\"user_id\",\"ts\",\"event\"\n\"1\",\"2024-11-11T00:00:00Z\",\"a,\"\"b\"\"\"\n".to_vec()),
        ("missing column", b"user_id,event\n1,view_item\n".to_vec()),
        ("not utf-8", b"user_id,ts,event\n\xff\xfe,2024-11-11T00:00:00Z,a\n".to_vec()),
        ("huge id", format!("{events}\n99999999999999999999999999,2024-11-11T00:00:00Z,a\n").into_bytes()),
        ("date out of range", format!("{events}\n1,+999999-01-01T00:00:00Z,a\n1,0000-00-00T00:00:00Z,a\n").into_bytes()),
        ("far dates", format!("{events}\n1,-262143-01-01T00:00:00Z,a\n1,+262142-12-31T00:00:00Z,a\n").into_bytes()),
        ("tx bom + space", format!("\u{feff} {tx}\n1,2024-01-02T00:00:00Z,5.00,false\n").into_bytes()),
        ("tx huge amount", format!("{tx}\n1,2024-01-02T00:00:00Z,1e400,false\n2,2024-01-02T00:00:00Z,99999999999999999999999.99,false\n").into_bytes()),
        ("tx negative", format!("{tx}\n1,2024-01-02T00:00:00Z,-5.00,false\n").into_bytes()),
        ("tx date out of range", format!("{tx}\n1,+999999-01-02T00:00:00Z,5.00,false\n").into_bytes()),
        ("tx header only", format!("{tx}\n").into_bytes()),
    ];
    for (i, (what, body)) in bodies.iter().enumerate() {
        let path = dir.path().join(format!("{i}.csv"));
        std::fs::write(&path, body).unwrap();
        let file = path.to_str().unwrap();
        let runs: [(&str, Vec<&str>); 4] = [
            ("retention", vec![file]),
            (
                "patterns",
                vec![
                    file,
                    "--pattern",
                    "(?1).*(?2)",
                    "--conditions",
                    "view_item,purchase",
                ],
            ),
            (
                "patterns",
                vec![
                    file,
                    "--pattern",
                    "(?1)(?t<=60)(?1)",
                    "--conditions",
                    "a",
                    "--count",
                ],
            ),
            ("rfm", vec![file, "--as-of", "2024-12-31"]),
        ];
        for (name, args) in runs {
            let out = std::process::Command::new(crate::cli::exe(name))
                .args(&args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(2),
                "{name} on {what}: exit {code:?}, stderr {stderr}"
            );
            if code == Some(2) {
                assert!(
                    stderr.starts_with("error: ") && stderr.trim_end().lines().count() == 1,
                    "{name} on {what}: {stderr}"
                );
                assert!(out.stdout.is_empty(), "{name} on {what}");
            }
        }
    }
}
