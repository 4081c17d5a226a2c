//! Every public model type survives a JSON round trip.

use chrono::{TimeDelta, TimeZone, Utc};
use cxjourney::sample::{Rng, SampleConfig, SampleShop, StreamConfig};
use cxjourney::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(&back, value, "{json}");
}

#[test]
fn every_public_type_round_trips() {
    for &s in Stage::ALL {
        round_trip(&s);
    }
    for &p in Phase::ALL {
        round_trip(&p);
    }
    for &m in Moment::ALL {
        round_trip(&m);
    }
    for &c in BuiltinChannel::ALL {
        round_trip(&c);
        round_trip(&Channel::from(c));
    }
    round_trip(&Channel::custom("live_shopping").unwrap());
    for &k in BuiltinKind::ALL {
        round_trip(&k);
        round_trip(&TouchpointKind::from(k));
    }
    let custom = TouchpointKind::custom("Live Stream Watched").unwrap();
    round_trip(&custom);
    if let TouchpointKind::Custom(name) = &custom {
        round_trip(name);
    }
    for &d in Device::ALL {
        round_trip(&d);
    }
    for &p in PaymentMethod::ALL {
        round_trip(&p);
    }
    for &c in CheckoutType::ALL {
        round_trip(&c);
    }
    for &p in Persona::ALL {
        round_trip(&p);
    }
    round_trip(&Currency::IDR);
    round_trip(&Money::new(12_345, Currency::USD).unwrap());
    round_trip(&CustomerId(42));
    round_trip(&OrderId::new("INV/2024/11/11/0001"));
    round_trip(&ProductId::new("sku-1"));
    round_trip(&CategoryId::new("fashion"));
    round_trip(&CampaignId::new("11.11"));
    round_trip(&EventName::new("Order Completed"));
    round_trip(&EventMap::standard());
    round_trip(&EventMap::ga4().fallback_to_custom());
    round_trip(&UnknownEvent::Custom);
    round_trip(&JourneyConfig {
        session_gap: TimeDelta::seconds(90),
        repeat_activity_as_retention: false,
    });
    round_trip(&SampleConfig::default());
    round_trip(&StreamConfig::default());
    round_trip(&Rng::new(3));

    let shop = SampleShop::generate(&SampleConfig {
        customers: 40,
        ..SampleConfig::default()
    })
    .unwrap();
    round_trip(&shop);
    for c in &shop.customers {
        round_trip(c);
    }
    let journeys = Journey::group(shop.touchpoints.clone(), &JourneyConfig::default()).unwrap();
    for j in &journeys {
        round_trip(j);
        for s in j.sessions() {
            round_trip(s);
        }
        for v in j.stage_path() {
            round_trip(v);
        }
        for t in j.touchpoints() {
            round_trip(t);
        }
    }
}

#[test]
fn errors_serialize_with_their_values() {
    let e = EventMap::ga4().convert("view_itme").unwrap_err();
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(
        json,
        r#"{"type":"unknown_event_name","name":"view_itme","table":"ga4"}"#
    );
}

#[test]
fn converting_a_mixed_vocabulary_keeps_names_apart() {
    let at = Utc.with_ymd_and_hms(2024, 11, 11, 0, 0, 0).unwrap();
    let map = EventMap::standard();
    let tps: Vec<Touchpoint> = ["purchase", "Order Completed", "order_completed"]
        .into_iter()
        .map(|n| {
            let (kind, event) = map.convert(n).unwrap();
            Touchpoint::new(CustomerId(1), at, kind).with_event(event)
        })
        .collect();
    assert!(tps.iter().all(|t| t.is(BuiltinKind::OrderCompleted)));
    let names: std::collections::BTreeSet<&str> = tps.iter().map(Touchpoint::event_name).collect();
    assert_eq!(names.len(), 3);
}
