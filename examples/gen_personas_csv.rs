//! Writes a sample shop as an event CSV for the `personas` example, with the
//! planted personas beside it.
//!
//! ```text
//! cargo run --release --example gen_personas_csv -- OUT.csv [--customers N] [--seed S] [--truth TRUTH.csv] [--shuffle]
//! ```
//!
//! Event names rotate between GA4, Segment v2 and cxjourney's own kind names,
//! so the reader meets all three vocabularies. `--shuffle` writes the rows in
//! a seeded random order instead of time order.

use std::io::Write;

use cxjourney::sample::{Rng, SampleConfig, SampleShop};
use cxjourney::{BuiltinKind as K, Touchpoint};

fn names(k: K) -> [Option<&'static str>; 2] {
    // (GA4, Segment v2)
    match k {
        K::PromotionView => [Some("view_promotion"), Some("Promotion Viewed")],
        K::PromotionClick => [Some("select_promotion"), Some("Promotion Clicked")],
        K::SiteSearch => [Some("search"), Some("Products Searched")],
        K::ProductListView => [Some("view_item_list"), Some("Product List Viewed")],
        K::ProductClick => [Some("select_item"), Some("Product Clicked")],
        K::ProductView => [Some("view_item"), Some("Product Viewed")],
        K::AddToCart => [Some("add_to_cart"), Some("Product Added")],
        K::CheckoutStart => [Some("begin_checkout"), Some("Checkout Started")],
        K::PaymentInfo => [Some("add_payment_info"), Some("Payment Info Entered")],
        K::OrderCompleted => [Some("purchase"), Some("Order Completed")],
        K::OrderCancelled => [None, Some("Order Cancelled")],
        K::Refund => [Some("refund"), Some("Order Refunded")],
        K::ReviewWritten => [None, Some("Product Reviewed")],
        K::Share => [Some("share"), Some("Product Shared")],
        _ => [None, None],
    }
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn row(t: &Touchpoint, i: usize) -> String {
    let kind = t.kind.as_str();
    let event = match t.kind.builtin() {
        Some(k) => {
            let [ga4, seg] = names(k);
            match i % 3 {
                0 => ga4.unwrap_or(kind),
                1 => seg.unwrap_or(kind),
                _ => kind,
            }
        }
        None => kind,
    };
    let value = t.value.map(|m| m.to_string()).unwrap_or_default();
    let value = value.split_whitespace().next().unwrap_or("").to_owned();
    format!(
        "u{:07},{},{},{},{},{},{},{},{}",
        t.customer.0,
        t.at.format("%Y-%m-%dT%H:%M:%SZ"),
        field(event),
        t.channel,
        t.order.as_ref().map_or("", |o| o.as_str()),
        t.product.as_ref().map_or("", |p| p.as_str()),
        t.category.as_ref().map_or("", |c| c.as_str()),
        value,
        t.discounted
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = None;
    let mut truth = None;
    let mut customers = 10_000usize;
    let mut seed = 42u64;
    let mut shuffle = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--customers" => customers = it.next().ok_or("--customers N")?.parse()?,
            "--seed" => seed = it.next().ok_or("--seed S")?.parse()?,
            "--truth" => truth = Some(it.next().ok_or("--truth FILE")?),
            "--shuffle" => shuffle = true,
            _ if a.starts_with('-') => {
                return Err(format!(
                    "unknown option {a:?}; usage: gen_personas_csv OUT.csv [--customers N] [--seed S] [--truth FILE] [--shuffle]"
                )
                .into());
            }
            _ => out = Some(a),
        }
    }
    let out = out.ok_or(
        "usage: gen_personas_csv OUT.csv [--customers N] [--seed S] [--truth FILE] [--shuffle]",
    )?;
    let shop = SampleShop::generate(&SampleConfig {
        customers,
        seed,
        ..SampleConfig::default()
    })?;
    let mut order: Vec<usize> = (0..shop.touchpoints.len()).collect();
    if shuffle {
        let mut rng = Rng::new(seed ^ 0x5eed);
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out)?);
    writeln!(
        w,
        "user_id,ts,event,channel,order_id,product_id,category,value,discounted"
    )?;
    for (n, &i) in order.iter().enumerate() {
        if let Some(t) = shop.touchpoints.get(i) {
            writeln!(w, "{}", row(t, n))?;
        }
    }
    w.flush()?;
    if let Some(path) = truth {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(w, "user_id,persona")?;
        for c in &shop.customers {
            writeln!(w, "u{:07},{}", c.id.0, c.persona)?;
        }
        w.flush()?;
    }
    eprintln!(
        "{} rows of {} customers",
        shop.touchpoints.len(),
        shop.customers.len()
    );
    Ok(())
}
