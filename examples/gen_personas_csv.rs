//! Writes a sample shop as an event CSV for the `personas` example, with the
//! planted personas beside it.
//!
//! ```text
//! cargo run --release --example gen_personas_csv -- OUT.csv [--customers N] [--seed S] [--truth TRUTH.csv] [--shuffle]
//! ```
//!
//! Event names rotate between GA4, Segment v2 and cxjourney's own kind names,
//! so the reader meets all three vocabularies. `--shuffle` writes the rows in
//! a seeded random order instead of time order. A usage error is one
//! `error: ...` line on stderr and exit code 2.

use std::fs::File;
use std::process::ExitCode;

use clap::Parser;
use cxjourney::sample::{Rng, SampleConfig, SampleShop};
use cxjourney::{BuiltinKind as K, Touchpoint};

#[path = "common/args.rs"]
mod args;

/// Writes a sample shop as an event CSV for the `personas` example, with the
/// planted personas beside it.
#[derive(Debug, Parser)]
#[command(
    name = "gen_personas_csv",
    version,
    override_usage = "gen_personas_csv OUT.csv [--customers N] [--seed S] [--truth FILE] [--shuffle]"
)]
struct Cli {
    /// The event CSV to write.
    #[arg(value_name = "OUT.csv")]
    out: String,
    /// Customers in the shop.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    customers: usize,
    /// Seed of the generator (and of the shuffle).
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    /// Also write the planted persona of each customer (user_id,persona).
    #[arg(long, value_name = "FILE")]
    truth: Option<String>,
    /// Write the rows in a seeded random order instead of time order.
    #[arg(long)]
    shuffle: bool,
}

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

/// The cells of one event row.
fn row(t: &Touchpoint, i: usize) -> [String; 9] {
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
    [
        format!("u{:07}", t.customer.0),
        t.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        event.to_owned(),
        t.channel.to_string(),
        t.order.as_ref().map_or("", |o| o.as_str()).to_owned(),
        t.product.as_ref().map_or("", |p| p.as_str()).to_owned(),
        t.category.as_ref().map_or("", |c| c.as_str()).to_owned(),
        value,
        t.discounted.to_string(),
    ]
}

fn run(cli: &Cli) -> Result<(), String> {
    let shop = SampleShop::generate(&SampleConfig {
        customers: cli.customers,
        seed: cli.seed,
        ..SampleConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let mut order: Vec<usize> = (0..shop.touchpoints.len()).collect();
    if cli.shuffle {
        let mut rng = Rng::new(cli.seed ^ 0x5eed);
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
    }
    let create = |path: &str| {
        File::create(path)
            .map(csv::Writer::from_writer)
            .map_err(|e| format!("cannot create {path:?}: {e}"))
    };
    let out = &cli.out;
    let err = |e: csv::Error| format!("cannot write {out:?}: {e}");
    let mut w = create(out)?;
    w.write_record([
        "user_id",
        "ts",
        "event",
        "channel",
        "order_id",
        "product_id",
        "category",
        "value",
        "discounted",
    ])
    .map_err(err)?;
    for (n, &i) in order.iter().enumerate() {
        if let Some(t) = shop.touchpoints.get(i) {
            w.write_record(row(t, n)).map_err(err)?;
        }
    }
    w.flush()
        .map_err(|e| format!("cannot write {out:?}: {e}"))?;
    if let Some(path) = &cli.truth {
        let err = |e: csv::Error| format!("cannot write {path:?}: {e}");
        let mut w = create(path)?;
        w.write_record(["user_id", "persona"]).map_err(err)?;
        for c in &shop.customers {
            w.write_record([format!("u{:07}", c.id.0), c.persona.to_string()])
                .map_err(err)?;
        }
        w.flush()
            .map_err(|e| format!("cannot write {path:?}: {e}"))?;
    }
    eprintln!(
        "{} rows of {} customers",
        shop.touchpoints.len(),
        shop.customers.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    args::main_with::<Cli>(run, 2)
}
