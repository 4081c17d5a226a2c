//! Persona classification on the sample shop and its properties.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use cxjourney::Persona;
use cxjourney::classify::{Classifier, PersonaConfusion};
use cxjourney::sample::{SampleConfig, SampleShop};

#[test]
fn recovers_planted_personas_of_the_sample_shop() {
    let shop = SampleShop::generate(&SampleConfig::default()).unwrap();
    let table = PersonaConfusion::of_sample(&shop, &Classifier::default()).unwrap();
    println!("{table}");
    assert_eq!(table.total(), shop.customers.len() as u64);
    assert!(table.accuracy() >= 0.90, "accuracy {:.3}", table.accuracy());
    for &p in Persona::ALL {
        assert!(
            table.recall(p) >= 0.75,
            "{p}: recall {:.3}",
            table.recall(p)
        );
    }
}

mod properties {
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use cxjourney::classify::{BehaviourProfile, Classifier};
    use cxjourney::{
        BuiltinChannel, BuiltinKind as K, CustomerId, Journey, JourneyConfig, Persona, Touchpoint,
    };
    use proptest::prelude::*;

    const KINDS: [K; 16] = [
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
        K::OrderCompleted,
        K::Delivered,
        K::ReviewWritten,
        K::ReferralSent,
        K::SupportContact,
        K::Login,
    ];
    const CHANNELS: [BuiltinChannel; 5] = [
        BuiltinChannel::Direct,
        BuiltinChannel::Email,
        BuiltinChannel::Sms,
        BuiltinChannel::Social,
        BuiltinChannel::CustomerService,
    ];

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 10, 1, 0, 0, 0).unwrap()
    }

    type Raw = (i64, usize, Option<u8>, Option<u8>, bool, usize);

    fn touchpoint(c: CustomerId, (min, k, prod, cat, disc, ch): Raw) -> Touchpoint {
        let mut t = Touchpoint::new(c, t0() + TimeDelta::minutes(min), KINDS[k % KINDS.len()])
            .with_discounted(disc)
            .with_channel(CHANNELS[ch % CHANNELS.len()]);
        if let Some(p) = prod {
            t = t.with_product(&*format!("sku-{p}"));
        }
        if let Some(c) = cat {
            t = t.with_category(&*format!("cat-{c}"));
        }
        t
    }

    fn raw() -> impl Strategy<Value = Raw> {
        (
            0i64..(60 * 24 * 90),
            0usize..16,
            proptest::option::of(0u8..8),
            proptest::option::of(0u8..4),
            any::<bool>(),
            0usize..5,
        )
    }

    fn journey_of(raws: &[Raw]) -> Journey {
        let c = CustomerId(1);
        Journey::new(
            raws.iter().map(|&r| touchpoint(c, r)).collect(),
            &JourneyConfig::default(),
        )
        .unwrap()
    }

    fn score(j: &Journey, as_of: DateTime<Utc>, p: Persona) -> f64 {
        let cl = Classifier::default();
        cl.classify(&cl.profile(j, as_of)).scores.get(p)
    }

    fn as_of(day: i64) -> DateTime<Utc> {
        t0() + TimeDelta::days(day)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn an_extra_order_never_lowers_loyal(
            raws in proptest::collection::vec(raw(), 1..40),
            extra in raw(),
            day in 0i64..120,
        ) {
            let before = journey_of(&raws);
            let mut more = raws.clone();
            more.push((extra.0, 10, extra.2, extra.3, extra.4, extra.5)); // order_completed
            let after = journey_of(&more);
            prop_assert_eq!(after.orders(), before.orders() + 1);
            let (a, b) = (score(&before, as_of(day), Persona::Loyal), score(&after, as_of(day), Persona::Loyal));
            prop_assert!(b >= a, "loyal {} -> {}", a, b);
        }

        #[test]
        fn an_extra_comparison_or_review_read_never_lowers_researcher(
            raws in proptest::collection::vec(raw(), 1..40),
            extra in raw(),
            review in any::<bool>(),
            day in 0i64..120,
        ) {
            let before = journey_of(&raws);
            let mut more = raws.clone();
            more.push((extra.0, if review { 6 } else { 5 }, extra.2, extra.3, extra.4, extra.5));
            let after = journey_of(&more);
            let (a, b) = (
                score(&before, as_of(day), Persona::Researcher),
                score(&after, as_of(day), Persona::Researcher),
            );
            prop_assert!(b >= a, "researcher {} -> {}", a, b);
        }

        #[test]
        fn a_higher_discounted_share_never_lowers_deal_driven(
            raws in proptest::collection::vec(raw(), 1..40),
            which in any::<prop::sample::Index>(),
            bump in 0.0f64..1.0,
        ) {
            let cl = Classifier::default();
            // Journey level: mark one more order as discounted.
            let orders: Vec<usize> = raws.iter().enumerate()
                .filter(|(_, r)| KINDS[r.1 % KINDS.len()] == K::OrderCompleted && !r.4)
                .map(|(i, _)| i).collect();
            let day = as_of(200);
            let before = cl.profile(&journey_of(&raws), day);
            if !orders.is_empty() {
                let mut more = raws.clone();
                more[orders[which.index(orders.len())]].4 = true;
                let after = cl.profile(&journey_of(&more), day);
                prop_assert!(after.discounted_order_share >= before.discounted_order_share);
                let (a, b) = (cl.classify(&before).scores.get(Persona::DealDriven),
                              cl.classify(&after).scores.get(Persona::DealDriven));
                prop_assert!(b >= a, "deal {} -> {}", a, b);
            }
            // Profile level: any higher share.
            let mut higher = before.clone();
            higher.discounted_order_share += (1.0 - higher.discounted_order_share) * bump;
            let (a, b) = (cl.classify(&before).scores.get(Persona::DealDriven),
                          cl.classify(&higher).scores.get(Persona::DealDriven));
            prop_assert!(b >= a, "deal {} -> {}", a, b);
        }

        #[test]
        fn shuffled_streams_give_the_same_profile_and_classification(
            raws in proptest::collection::vec(raw(), 1..50),
            others in proptest::collection::vec(raw(), 0..20),
            seed in any::<u64>(),
            day in 0i64..120,
        ) {
            let cl = Classifier::default();
            let c = CustomerId(1);
            let ordered: Vec<Touchpoint> = raws.iter().map(|&r| touchpoint(c, r)).collect();
            let mut shuffled = ordered.clone();
            let mut rng = cxjourney::sample::Rng::new(seed);
            for i in (1..shuffled.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                shuffled.swap(i, j);
            }
            // Mixed with another customer's touchpoints, grouped.
            shuffled.extend(others.iter().map(|&r| touchpoint(CustomerId(2), r)));
            let a = Journey::new(ordered, &JourneyConfig::default()).unwrap();
            let grouped = Journey::group(shuffled, &JourneyConfig::default()).unwrap();
            let b = grouped.iter().find(|j| j.customer() == c).unwrap();
            let (pa, pb) = (cl.profile(&a, as_of(day)), cl.profile(b, as_of(day)));
            prop_assert_eq!(&pa, &pb);
            prop_assert_eq!(cl.classify(&pa), cl.classify(&pb));
            prop_assert_eq!(cl.explain(&pa), cl.explain(&pb));
        }

        #[test]
        fn scores_always_lie_in_the_unit_interval(
            raws in proptest::collection::vec(raw(), 1..60),
            day in -10i64..200,
        ) {
            let cl = Classifier::default();
            let j = journey_of(&raws);
            let p = cl.profile(&j, as_of(day));
            let e = cl.explain(&p);
            for (persona, s) in e.classification.scores.iter() {
                prop_assert!((0.0..=1.0).contains(&s), "{} = {}", persona, s);
                let sum: f64 = e.reasons[&persona].iter().map(|r| r.contribution).sum();
                prop_assert!((sum - s).abs() < 1e-9, "{}: reasons {} vs score {}", persona, sum, s);
            }
            let c = e.classification;
            prop_assert_eq!(c.score, c.scores.get(c.primary));
            prop_assert!((0.0..=1.0).contains(&p.checkout.upsell_susceptibility));
            for share in [p.discounted_order_share, p.campaign_order_share, p.unplanned_item_share,
                          p.bundle_uptake, p.upsell_uptake, p.repeat_view_ratio, p.discounted_view_share] {
                prop_assert!((0.0..=1.0).contains(&share));
            }
        }

        #[test]
        fn arbitrary_profiles_never_panic(
            counts in proptest::collection::vec(any::<u32>(), 12),
            reals in proptest::collection::vec(prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(-1.0)], 10),
            nps in proptest::option::of(any::<u8>()),
        ) {
            let cl = Classifier::default();
            let mut p = BehaviourProfile::empty(CustomerId(9), t0());
            p.orders = counts[0];
            p.shopping_sessions = counts[1];
            p.product_views = counts[2];
            p.comparisons = counts[3];
            p.review_reads = counts[4];
            p.reviews_written = counts[5];
            p.referrals_sent = counts[6];
            p.checkouts = counts[7];
            p.wishlist_adds = counts[8];
            p.shares = counts[9];
            p.sessions_to_first_checkout = Some(counts[10]);
            p.views_before_first_cart = Some(counts[11]);
            p.category_concentration = Some(reals[0]);
            p.deliberation_days = reals[1];
            p.discounted_order_share = reals[2];
            p.campaign_order_share = reals[3];
            p.discounted_view_share = reals[4];
            p.basket_growth = reals[5];
            p.unplanned_item_share = reals[6];
            p.bundle_uptake = reals[7];
            p.days_since_last_order = Some(reals[8]);
            p.first_checkout_session_minutes = Some(reals[9]);
            p.nps = nps;
            let e = cl.explain(&p);
            for (_, s) in e.classification.scores.iter() {
                prop_assert!((0.0..=1.0).contains(&s));
            }
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
