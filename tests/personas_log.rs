//! Personas on the event log: the accumulator keeps the contract, the report
//! is the same on any number of threads, a view of a log profiles as the
//! journey of the same touchpoints does, and the state refuses what does not
//! belong together.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cxjourney::log::EventLog;
use cxjourney::persona::{Classifier, PersonaAccumulator, PersonaConfig, PersonaRun};
use cxjourney::sample::{SampleConfig, SampleShop};
use cxjourney::{
    Accumulator, BuiltinChannel, BuiltinKind as K, CheckoutType, CustomerId, Error, Journey,
    JourneyConfig, PaymentMethod, Touchpoint, run_on_log,
};
use proptest::prelude::*;

use crate::log::check_contract;

const KINDS: [K; 18] = [
    K::PromotionView,
    K::PromotionClick,
    K::ProductListView,
    K::ProductView,
    K::ProductView,
    K::Comparison,
    K::ReviewRead,
    K::WishlistAdd,
    K::AddToCart,
    K::CheckoutStart,
    K::PaymentInfo,
    K::OrderCompleted,
    K::Delivered,
    K::ReviewWritten,
    K::ReferralSent,
    K::SupportContact,
    K::Login,
    K::Share,
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 9, 0, 0, 0).unwrap()
}

/// Touchpoints of a few customers, with times down to the nanosecond near
/// the 30-minute session gap, and every field the profile reads.
fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    (
        (0u64..5, 0i64..400, 0i64..3, 0u32..3),
        (0..KINDS.len(), 0..BuiltinChannel::ALL.len()),
        (
            proptest::option::of(0u8..6),
            proptest::option::of(0u8..3),
            any::<bool>(),
            proptest::option::of(0..PaymentMethod::ALL.len()),
            proptest::option::of(0..CheckoutType::ALL.len()),
        ),
    )
        .prop_map(
            |((c, slot, jitter, nanos), (k, ch), (prod, cat, disc, pay, co))| {
                // Slots 30 minutes apart, give or take a nanosecond.
                let at = t0()
                    + TimeDelta::minutes(30 * slot)
                    + TimeDelta::minutes(jitter)
                    + TimeDelta::nanoseconds(i64::from(nanos));
                let mut t = Touchpoint::new(CustomerId(c), at, KINDS[k])
                    .with_channel(BuiltinChannel::ALL[ch])
                    .with_discounted(disc);
                if let Some(p) = prod {
                    t = t.with_product(&*format!("sku-{p}"));
                }
                if let Some(c) = cat {
                    t = t.with_category(&*format!("cat-{c}"));
                }
                t.payment = pay.map(|i| PaymentMethod::ALL[i]);
                t.checkout = co.map(|i| CheckoutType::ALL[i]);
                t
            },
        )
}

fn run(as_of_slot: i64) -> PersonaRun {
    PersonaRun::new(t0() + TimeDelta::minutes(30 * as_of_slot))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any split, any merge order, through serde, equals the whole; and
    /// `run_on_log` is the same on 1 to 4 threads.
    #[test]
    fn persona_accumulator_keeps_the_contract(
        stream in proptest::collection::vec(arb_touchpoint(), 0..80),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        as_of in 0i64..420,
    ) {
        let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
        let run = run(as_of);
        check_contract::<PersonaAccumulator>(&log, &run, &cuts);
        let one = run_on_log::<PersonaAccumulator>(&log, &run, 1).unwrap();
        for threads in 2..=4 {
            prop_assert_eq!(&run_on_log::<PersonaAccumulator>(&log, &run, threads).unwrap(), &one);
        }
    }

    /// A customer's view of a many-customer log, the journey cut from a
    /// group and the journey of the customer's touchpoints alone give the
    /// same profile and classification, sessions and session modes included.
    #[test]
    fn a_view_profiles_as_its_journey(
        stream in proptest::collection::vec(arb_touchpoint(), 1..80),
        as_of in 0i64..420,
    ) {
        let config = JourneyConfig::default();
        let log = EventLog::from_touchpoints(&stream, &config).unwrap();
        let grouped = Journey::group(stream.clone(), &config).unwrap();
        let cl = Classifier::default();
        let at = run(as_of).as_of;
        let mut profiler = cl.profiler();
        for (view, j) in log.journeys().zip(&grouped) {
            let alone = Journey::new(j.touchpoints().to_vec(), &config).unwrap();
            let a = profiler.profile_view(view, at);
            prop_assert_eq!(&a, &cl.profile(j, at));
            prop_assert_eq!(&a, &cl.profile(&alone, at));
            let sessions = view.sessions().filter(|s| s.started_at <= at).count();
            prop_assert_eq!(a.sessions as usize, sessions);
            let c = cl.classify_view(view, at).map(|(_, c)| c);
            prop_assert_eq!(c, (a.touchpoints > 0).then(|| cl.classify(&a)));
            // Session modes of the whole journey, as the profile counts them.
            let full = profiler.profile_view(view, DateTime::<Utc>::MAX_UTC);
            let modes = cl.session_modes(j);
            prop_assert_eq!(modes.len(), full.sessions as usize);
            let directed = modes.iter().filter(|m| **m == Some(cxjourney::persona::SessionMode::DirectedBuying)).count();
            prop_assert_eq!(directed, full.session_modes.directed_buying as usize);
        }
    }
}

#[test]
fn the_sample_shop_report_is_the_same_on_one_to_four_threads_and_from_journeys() {
    let shop = SampleShop::generate(&SampleConfig {
        customers: 600,
        ..SampleConfig::default()
    })
    .unwrap();
    let as_of = shop.touchpoints.iter().map(|t| t.at).max().unwrap();
    let log = EventLog::from_touchpoints(&shop.touchpoints, &JourneyConfig::default()).unwrap();
    let run = PersonaRun::new(as_of);
    let one = run_on_log::<PersonaAccumulator>(&log, &run, 1).unwrap();
    assert_eq!(one.customers, 600);
    for threads in 2..=4 {
        assert_eq!(
            run_on_log::<PersonaAccumulator>(&log, &run, threads).unwrap(),
            one
        );
    }
    let journeys = Journey::group(shop.touchpoints, &JourneyConfig::default()).unwrap();
    assert_eq!(Classifier::default().report(&journeys, as_of), one);
}

#[test]
fn merging_other_runs_is_a_mismatch_and_bad_states_are_refused() {
    let a = run(10);
    let mut acc = PersonaAccumulator::new(&a).unwrap();
    let later = PersonaAccumulator::new(&run(11)).unwrap();
    assert!(matches!(acc.merge(later), Err(Error::Mismatch { .. })));
    let other = a.clone().persona(PersonaConfig {
        pass_score: 0.6,
        ..PersonaConfig::default()
    });
    let other = PersonaAccumulator::new(&other).unwrap();
    assert!(matches!(acc.merge(other), Err(Error::Mismatch { .. })));
    let bad = a.clone().persona(PersonaConfig {
        pass_score: f64::NAN,
        ..PersonaConfig::default()
    });
    assert!(matches!(
        PersonaAccumulator::new(&bad),
        Err(Error::InvalidConfig { .. })
    ));
    // A state whose thresholds do not validate does not deserialize.
    let mut json: serde_json::Value = serde_json::to_value(&acc).unwrap();
    json["run"]["persona"]["pass_score"] = serde_json::json!(-1.0);
    assert!(serde_json::from_value::<PersonaAccumulator>(json).is_err());
}
