//! ORBE survey answers for the sample shop's customers, drawn from what
//! happened to each of them, so that the pyramid shows the shop's behaviour:
//! failed deliveries (returns to origin), returns and late deliveries pull
//! fulfilment down, cancellations and returns dent trust, unanswered support
//! contacts hurt responsive service, repeat buyers and loyal customers feel
//! more connected.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::hash::FixedMap;
use crate::model::{BuiltinKind as K, CustomerId, OrderId, Persona};
use crate::sample::{Rng, SampleShop};
use crate::survey::{Instrument, RespondentId, Response, Responses};

/// What happened to one customer, as far as the survey is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperienceFacts {
    /// Orders placed.
    pub orders: u32,
    /// Orders delivered.
    pub delivered: u32,
    /// Deliveries after the promised time.
    pub late: u32,
    /// Items that came back: customer returns and failed deliveries returned to origin.
    pub returned: u32,
    /// Orders cancelled.
    pub cancelled: u32,
    /// Contacts with customer service.
    pub support_contacts: u32,
    /// Answers from customer service.
    pub support_responses: u32,
}

/// Collects [`ExperienceFacts`] per customer from the shop's touchpoints, ordered by customer id.
#[must_use]
pub fn experience_facts(shop: &SampleShop) -> BTreeMap<CustomerId, ExperienceFacts> {
    let mut facts: BTreeMap<CustomerId, ExperienceFacts> = BTreeMap::new();
    // The shop made these ids itself: a fixed hash (`crate::hash`).
    let mut promised: FixedMap<OrderId, chrono::DateTime<chrono::Utc>> = FixedMap::default();
    for t in &shop.touchpoints {
        if t.is(K::OrderCompleted) {
            if let (Some(o), Some(p)) = (&t.order, t.promised_delivery) {
                promised.insert(o.clone(), p);
            }
        }
    }
    for t in &shop.touchpoints {
        let f = facts.entry(t.customer).or_default();
        if t.is(K::OrderCompleted) {
            f.orders += 1;
        } else if t.is(K::Delivered) {
            f.delivered += 1;
            let late = t
                .order
                .as_ref()
                .and_then(|o| promised.get(o))
                .is_some_and(|p| t.at > *p);
            f.late += u32::from(late);
        } else if t.is(K::Returned) {
            f.returned += 1;
        } else if t.is(K::OrderCancelled) {
            f.cancelled += 1;
        } else if t.is(K::SupportContact) {
            f.support_contacts += 1;
        } else if t.is(K::SupportResponse) {
            f.support_responses += 1;
        }
    }
    facts
}

fn normal(rng: &mut Rng) -> f64 {
    // Irwin-Hall approximation of a standard normal.
    ((0..4).map(|_| rng.unit()).sum::<f64>() - 2.0) * 3f64.sqrt()
}

/// ORBE answers (1-7) of the sample shop's customers, deterministic for a
/// given shop and `seed`.
///
/// About 60% of buyers answer and 10% of the others; people who never got an
/// order delivered leave the fulfilment items blank, and about 3% of the
/// other answers are skipped at random.
///
/// ```
/// use cxjourney::sample::{SampleConfig, SampleShop, sample_survey};
/// use cxjourney::{PyramidConfig, PyramidReport};
/// let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
/// let responses = sample_survey(&shop, 1)?;
/// let report = PyramidReport::from_responses(&responses, &PyramidConfig::default())?;
/// assert!(report.n_rows > 50);
/// println!("{report}");
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// None in practice; the answers are built through [`Response::new`], whose
/// checks are kept.
pub fn sample_survey(shop: &SampleShop, seed: u64) -> Result<Responses> {
    let orbe = Instrument::orbe();
    let facts = experience_facts(shop);
    let mut rng = Rng::new(seed ^ 0x5u64.rotate_left(40) ^ shop.config.seed);
    let mut out = Responses::new(orbe.clone());
    for c in &shop.customers {
        let f = facts.get(&c.id).copied().unwrap_or_default();
        let answers_at_all = rng.chance(if f.orders > 0 { 0.6 } else { 0.1 });
        if !answers_at_all {
            continue;
        }
        let base = match c.persona {
            Persona::Loyal => 0.8,
            Persona::FocusedBuyer => 0.3,
            Persona::Researcher => 0.0,
            Persona::ImpulsiveOneTime => -0.1,
            Persona::DealDriven => -0.2,
            Persona::Surfer => -0.3,
        };
        let share = |x: u32| f64::from(x) / f64::from(f.orders.max(1));
        let general = 0.8 * normal(&mut rng);
        let ful = 0.9 - 2.6 * share(f.returned) - 1.6 * share(f.late);
        let tr = 0.9
            - 0.8 * f64::from(u8::from(f.cancelled > 0))
            - 0.7 * f64::from(u8::from(f.returned > 0));
        let oe = 0.5;
        let rsn = 0.2 + 0.8 * f64::from(u8::from(f.support_responses > 0))
            - 1.2 * f64::from(u8::from(f.support_contacts > f.support_responses));
        let ec = -0.4 + 0.5 * f64::from(u8::from(f.orders >= 2));
        let mut answers = Vec::with_capacity(orbe.items().len());
        for item in orbe.items() {
            use crate::model::Dimension as D;
            let (latent, skip) = match item.dimension {
                D::Fulfilment => (ful, f.delivered == 0 && f.returned == 0),
                D::Trust => (tr, false),
                D::OnlineExperience => (oe, false),
                D::ResponsiveService => (rsn, false),
                D::EmotionalConnection => (ec, false),
            };
            let x = 4.4 + base + general + latent + 0.7 * normal(&mut rng);
            let answer = (x.round().clamp(1.0, 7.0)) as i32;
            let missing = skip || rng.chance(0.03);
            answers.push((!missing).then_some(answer));
        }
        out.push(Response::new(&orbe, RespondentId(c.id.0), &answers)?)?;
    }
    Ok(out)
}

/// NPS (0-10), CSAT (1-5) and CES (1-7) answers of the same respondents,
/// by persona, drawn from their pyramid scores: likelihood to recommend
/// follows the CX index, satisfaction follows fulfilment, and effort falls as
/// responsive service rises. About 3% of each question is left unanswered.
///
/// ```
/// use cxjourney::sample::{SampleConfig, SampleShop, sample_advocacy, sample_survey};
/// let shop = SampleShop::generate(&SampleConfig { customers: 300, ..SampleConfig::default() })?;
/// let responses = sample_survey(&shop, 1)?;
/// use cxjourney::Accumulator;
/// let report = sample_advocacy(&shop, &responses, 1)?.finish()?;
/// assert!(report.all.nps.n > 50);
/// println!("{report}");
/// # Ok::<(), cxjourney::Error>(())
/// ```
///
/// # Errors
/// None in practice (the generated answers are always on their scales).
pub fn sample_advocacy(
    shop: &SampleShop,
    responses: &Responses,
    seed: u64,
) -> Result<crate::survey::AdvocacyAccumulator> {
    use crate::analysis::Accumulator;
    use crate::model::Dimension;
    use crate::survey::{
        AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, PyramidAccumulator, PyramidSetup,
    };
    let personas: FixedMap<CustomerId, Persona> =
        shop.customers.iter().map(|c| (c.id, c.persona)).collect();
    let scorer = PyramidAccumulator::new(&PyramidSetup::from(responses.instrument().clone()))?;
    let mut acc = AdvocacyAccumulator::new(&AdvocacyConfig::default())?;
    let mut rng = Rng::new(seed ^ 0xadd0_u64.rotate_left(24) ^ shop.config.seed);
    for r in responses.responses() {
        let s = scorer.score_respondent(r.answers())?;
        let persona = personas
            .get(&CustomerId(r.respondent().0))
            .map(|p| p.as_str());
        let dim = |d: Dimension| s.dimensions.get(&d).and_then(|x| x.score);
        let mut draw = |centre: Option<f64>, lo: f64, hi: f64| {
            let noise = normal(&mut rng);
            let skip = rng.chance(0.03);
            centre
                .filter(|_| !skip)
                .map(|c| (c + noise).round().clamp(lo, hi) as i32)
        };
        let nps = draw(s.index.map(|i| i / 10.0 + 0.8), 0.0, 10.0);
        let csat = draw(dim(Dimension::Fulfilment).map(|f| 1.0 + f / 25.0), 1.0, 5.0);
        let ces = draw(
            dim(Dimension::ResponsiveService).map(|x| 7.0 - x / 16.7),
            1.0,
            7.0,
        );
        acc.add(
            AdvocacyAnswer::default()
                .group(persona)
                .nps(nps)
                .csat(csat)
                .ces(ces),
        )?;
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Accumulator;
    use crate::model::Dimension;
    use crate::sample::SampleConfig;
    use crate::survey::{PyramidAccumulator, PyramidSetup};

    #[test]
    fn answers_follow_behaviour_and_are_deterministic() {
        let shop = SampleShop::generate(&SampleConfig::default());
        assert!(shop.is_ok());
        let Ok(shop) = shop else { return };
        let a = sample_survey(&shop, 3);
        let b = sample_survey(&shop, 3);
        assert!(a.is_ok());
        assert_eq!(a.as_ref().ok(), b.as_ref().ok());
        let Ok(a) = a else { return };
        assert!(a.len() > 500, "{}", a.len());
        let facts = experience_facts(&shop);
        let acc = PyramidAccumulator::new(&PyramidSetup::from(Instrument::orbe()));
        let Ok(acc) = acc else { return };
        let (mut bad, mut good) = (
            crate::numeric::stats::Moments::default(),
            crate::numeric::stats::Moments::default(),
        );
        for r in a.responses() {
            let f = facts
                .get(&CustomerId(r.respondent().0))
                .copied()
                .unwrap_or_default();
            let s = acc.score_respondent(r.answers());
            let Some(score) = s.ok().and_then(|s| {
                s.dimensions
                    .get(&Dimension::Fulfilment)
                    .and_then(|d| d.score)
            }) else {
                continue;
            };
            if f.returned > 0 {
                bad.add(score);
            } else if f.delivered > 0 && f.late == 0 {
                good.add(score);
            }
        }
        assert!(bad.n() > 20 && good.n() > 100, "{} {}", bad.n(), good.n());
        let (b, g) = (bad.mean().unwrap_or(100.0), good.mean().unwrap_or(0.0));
        assert!(b + 10.0 < g, "returned/failed {b} vs smooth {g}");
    }

    #[test]
    fn advocacy_follows_the_pyramid() {
        let Ok(shop) = SampleShop::generate(&SampleConfig::default()) else {
            return;
        };
        let Ok(responses) = sample_survey(&shop, 2) else {
            return;
        };
        let rep = sample_advocacy(&shop, &responses, 2).and_then(|a| a.finish());
        assert!(rep.is_ok());
        let Ok(rep) = rep else { return };
        let nps = |p: &str| {
            rep.groups
                .get(p)
                .and_then(|g| g.nps.nps)
                .unwrap_or(f64::NAN)
        };
        assert!(nps("loyal") > nps("deal_driven") + 20.0, "{rep}");
        assert!(rep.all.csat.as_ref().is_some_and(|c| c.n > 500));
        assert!(rep.all.ces.as_ref().is_some_and(|c| c.mean.is_some()));
    }
}
