//! The crate's main job on a built-in sample shop: `cargo run --example tour`.
//!
//! Generates the deterministic sample shop (2,400 customers over 90 days with
//! the 10.10, 11.11 and 12.12 campaign days), builds every customer's journey
//! and prints a readable report.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::io::Write;

/// `println!` that ends the program quietly when stdout is closed
/// (`cargo run --example tour | head`) instead of panicking.
macro_rules! println {
    ($($arg:tt)*) => {{
        let mut out = std::io::stdout().lock();
        if writeln!(out, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` with the same behaviour on a closed stdout.
macro_rules! print {
    ($($arg:tt)*) => {{
        let mut out = std::io::stdout().lock();
        if write!(out, $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

use chrono::TimeDelta;
use cxjourney::funnel::{
    Funnel, FunnelAccumulator, FunnelConfig, FunnelMode, Property, StageFunnel, Step, Touch,
};
use cxjourney::persona::{Classifier, Evidence, PersonaConfig};
use cxjourney::retention::{
    Activity, Calendar, LifecycleAccumulator, LifecycleConfig, NewMeans, Period,
    RepeatBuyingAccumulator, RepeatBuyingConfig, RetentionAccumulator, RetentionConfig,
};
use cxjourney::sample::{SampleConfig, SampleShop, sample_advocacy, sample_survey};
use cxjourney::{
    Accumulator, BuiltinKind, Journey, JourneyConfig, JourneyOverview, PaymentMethod, Persona,
    PyramidConfig, PyramidReport, Stage,
};

fn main() -> Result<(), cxjourney::Error> {
    let config = SampleConfig::default();
    let shop = SampleShop::generate(&config)?;
    println!("cxjourney tour: a sample online shop");
    println!(
        "{} customers over {} days from {}, seed {}; campaign days: {}",
        config.customers,
        config.days,
        config.start.date_naive(),
        config.seed,
        shop.campaign_days
            .iter()
            .map(|(d, c)| format!("{c} ({})", d.date_naive()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    section("The shop");
    let count = |k: BuiltinKind| shop.touchpoints.iter().filter(|t| t.is(k)).count();
    let orders = count(BuiltinKind::OrderCompleted);
    let cod = shop
        .touchpoints
        .iter()
        .filter(|t| {
            t.is(BuiltinKind::OrderCompleted) && t.payment == Some(PaymentMethod::CashOnDelivery)
        })
        .count();
    let on_campaign = shop
        .touchpoints
        .iter()
        .filter(|t| t.is(BuiltinKind::OrderCompleted) && t.campaign.is_some())
        .count();
    println!("{} touchpoints, {orders} orders", shop.touchpoints.len());
    println!(
        "cash on delivery: {cod} orders ({:.1}%); on campaign days: {on_campaign} ({:.1}%)",
        pct(cod, orders),
        pct(on_campaign, orders)
    );
    println!(
        "cancelled: {}, delivered: {}, returned (incl. return to origin): {}, refunds: {}",
        count(BuiltinKind::OrderCancelled),
        count(BuiltinKind::Delivered),
        count(BuiltinKind::Returned),
        count(BuiltinKind::Refund)
    );
    println!(
        "support contacts: {}, reviews written: {}, referrals: {}",
        count(BuiltinKind::SupportContact),
        count(BuiltinKind::ReviewWritten),
        count(BuiltinKind::ReferralSent)
    );
    let mut by_channel: BTreeMap<String, usize> = BTreeMap::new();
    for c in &shop.customers {
        *by_channel.entry(c.acquisition.to_string()).or_default() += 1;
    }
    println!("acquisition channels:");
    for (ch, n) in &by_channel {
        println!("  {ch:<16} {n:>6} ({:.1}%)", pct(*n, shop.customers.len()));
    }

    let journeys = Journey::group(shop.touchpoints.clone(), &JourneyConfig::default())?;

    section("Three journeys");
    for persona in [Persona::FocusedBuyer, Persona::Researcher, Persona::Loyal] {
        let Some(j) = journeys
            .iter()
            .find(|j| shop.persona_of(j.customer()) == Some(persona) && j.converted())
        else {
            continue;
        };
        println!(
            "customer {} (planted: {persona}), {} touchpoints in {} sessions, first order after {}",
            j.customer(),
            j.len(),
            j.sessions().len(),
            j.time_to_first_order()
                .map_or_else(|| "-".to_owned(), human)
        );
        let mut shown = 0;
        for (s, session) in j.sessions().iter().enumerate() {
            for i in session.range() {
                let Some(t) = j.touchpoints().get(i) else {
                    continue;
                };
                if shown == 14 {
                    println!("    ...");
                }
                shown += 1;
                if shown > 14 {
                    continue;
                }
                println!(
                    "    s{:<2} {}  {:<18} {:<16} {}",
                    s + 1,
                    t.at.format("%Y-%m-%d %H:%M"),
                    t.kind.as_str(),
                    t.channel.as_str(),
                    j.stage_of(i).map_or("-", Stage::as_str)
                );
            }
        }
        let path: Vec<String> = j
            .stage_path()
            .iter()
            .map(|v| format!("{} ({})", v.stage, human(v.time_spent)))
            .collect();
        println!("  stage path: {}", path.join(" > "));
        println!();
    }

    section("Where customers are (stage distribution)");
    let mut overview = JourneyOverview::default();
    for j in &journeys {
        overview.add(j.view())?;
    }
    print!("{}", overview.finish()?);

    section("Current stage by planted persona");
    print!("{:<20}", "persona");
    for s in Stage::ALL {
        print!(" {:>13}", s.as_str());
    }
    println!();
    for &p in Persona::ALL {
        let mut acc = JourneyOverview::default();
        for j in journeys
            .iter()
            .filter(|j| shop.persona_of(j.customer()) == Some(p))
        {
            acc.add(j.view())?;
        }
        let r = acc.finish()?;
        print!("{:<20}", p.as_str());
        for c in r.stages.values() {
            print!(" {:>12.1}%", 100.0 * c.current_share);
        }
        println!();
    }

    section("Where they drop off: the purchase funnel");
    println!(
        "product view > add to cart > checkout > order, within 7 days of the first product view"
    );
    let funnel = Funnel::new(
        FunnelConfig::new(
            vec![
                Step::kind(BuiltinKind::ProductView),
                Step::kind(BuiltinKind::AddToCart),
                Step::kind(BuiltinKind::CheckoutStart),
                Step::kind(BuiltinKind::OrderCompleted),
            ],
            TimeDelta::days(7),
        )
        .with_mode(FunnelMode::first_entry())
        .breakdown_by(Property::Channel, Touch::FirstTouch),
    )?;
    let mut acc = FunnelAccumulator::new(&funnel)?;
    for j in &journeys {
        acc.add(j.view())?;
    }
    print!("{}", acc.finish()?);
    if let Some(j) = journeys
        .iter()
        .find(|j| funnel.level(j.view()).is_ok_and(|l| l == 2))
    {
        println!();
        println!("a customer who stopped at the cart:");
        println!("{}", funnel.witness(j.view())?);
    }
    println!();
    println!(
        "the stage funnel, awareness to advocacy (customers whose journey starts with awareness):"
    );
    let stages = StageFunnel::new(
        Stage::ALL.to_vec(),
        TimeDelta::days(365),
        FunnelMode::first_entry(),
    )?;
    let mut acc = FunnelAccumulator::for_stages(&stages);
    for j in &journeys {
        acc.add(j.view())?;
    }
    print!("{}", acc.finish()?);

    section("Who they are: personas from behaviour");
    // Scores leave out the evidence the shop's log cannot carry (it has no
    // coupon events).
    let classifier = Classifier::new(PersonaConfig {
        evidence: Evidence::of_touchpoints(&shop.touchpoints),
        ..PersonaConfig::default()
    })?;
    let as_of = shop
        .touchpoints
        .iter()
        .map(|t| t.at)
        .max()
        .unwrap_or(config.start);
    println!("as of {as_of}");
    print!("{}", classifier.report(&journeys, as_of));
    println!();
    println!("recovery of the personas the generator planted:");
    print!("{}", shop.persona_confusion(&classifier)?);
    if let Some(j) = journeys
        .iter()
        .find(|j| shop.persona_of(j.customer()) == Some(Persona::DealDriven))
    {
        let profile = classifier.profile(j, as_of);
        println!();
        println!("why customer {} is classified as it is:", j.customer());
        print!("{}", classifier.explain(&profile));
        println!("{}", profile.checkout);
    }
    println!();
    print!(
        "{}",
        classifier.transitions(&journeys, as_of - TimeDelta::days(30), as_of)?
    );

    section("How good the experience is: the CX pyramid");
    let responses = sample_survey(&shop, 1)?;
    let pyramid = PyramidReport::from_responses(&responses, &PyramidConfig::default())?;
    print!("{pyramid}");
    println!();
    print!("{}", sample_advocacy(&shop, &responses, 1)?.finish()?);

    section("Who comes back: retention, lifecycle, repeat buying");
    println!(
        "weekly cohorts by first order (weeks from Monday, Jakarta time), any touchpoint returns:"
    );
    let views = || journeys.iter().map(Journey::view);
    let weekly = RetentionConfig::new(Period::Week, 6)
        .with_cohort(Activity::orders())
        .with_calendar(Calendar::WIB);
    let mut acc = RetentionAccumulator::new(&weekly)?;
    for v in views() {
        acc.add(v)?;
    }
    print!("{}", acc.finish()?);
    println!();
    println!("buyers per week (a first order counts as new whenever the customer was first seen):");
    let mut acc = LifecycleAccumulator::new(
        &LifecycleConfig::new(Period::Week)
            .with_active(Activity::orders())
            .with_new_means(NewMeans::FirstActive)
            .with_calendar(Calendar::WIB),
    )?;
    for v in views() {
        acc.add(v)?;
    }
    print!("{}", acc.finish()?);
    println!();
    let mut acc =
        RepeatBuyingAccumulator::new(&RepeatBuyingConfig::default().with_churn(as_of, 30))?;
    for v in views() {
        acc.add(v)?;
    }
    print!("{}", acc.finish()?);
    Ok(())
}

fn section(title: &str) {
    println!();
    println!("== {title}");
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn human(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds();
    if s < 3_600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{:.1}h", s as f64 / 3_600.0)
    } else {
        format!("{:.1}d", s as f64 / 86_400.0)
    }
}
