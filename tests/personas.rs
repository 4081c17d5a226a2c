//! Persona classification on the sample shop and its properties.

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
