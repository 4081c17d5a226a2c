//! Writes a deterministic event log of the shape of
//! `../shared/peers/data/events_small.csv` at any size, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen_events -- --users 1200000 [--seed 7] OUT.csv
//! ```
//!
//! Columns `user_id,ts,event`; the nine events of the reference set; about
//! 5.6 events per user from a browse → cart → checkout → purchase walk; rows
//! sorted by time only (stable), not by user. Of the consecutive gaps of a
//! user, about 3% are 0 s (same-second ties, half of them written in reverse
//! funnel order), 1% each exactly 3600 s and 3601 s, and 0.5% each exactly
//! 604800 s and 604801 s. 1.2M users give about 6.7M rows.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use chrono::DateTime;
use cxjourney::sample::Rng;

const EVENTS: [&str; 9] = [
    "ad_click",
    "search_visit",
    "product_view",
    "review_read",
    "add_to_cart",
    "checkout_start",
    "purchase",
    "repeat_purchase",
    "referral",
];

/// Next-event weights per event, in the order of `EVENTS`.
const NEXT: [[f64; 9]; 9] = [
    [0.0, 0.3, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.15, 0.85, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.1, 0.1, 0.25, 0.15, 0.4, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.3, 0.0, 0.2, 0.5, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.75, 0.0, 0.0],
    [0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.2, 0.2],
    [0.0, 0.0, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
    [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
];

fn gap(rng: &mut Rng) -> i64 {
    let u = rng.unit();
    if u < 0.03 {
        0
    } else if u < 0.04 {
        3600
    } else if u < 0.05 {
        3601
    } else if u < 0.055 {
        604_800
    } else if u < 0.06 {
        604_801
    } else if rng.chance(0.8) {
        // within a session
        rng.range(1, 900)
    } else {
        // a later visit: hours to two weeks, never one of the exact values above
        let g = rng.range(3602, 14 * 86_400);
        if g == 604_800 || g == 604_801 {
            g + 2
        } else {
            g
        }
    }
}

fn run() -> Result<(), String> {
    let mut users: u64 = 190;
    let mut seed: u64 = 7;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--users" => {
                users = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--users needs a positive integer")?;
            }
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seed needs an integer")?;
            }
            _ if a.starts_with("--") => return Err(format!("unknown option {a:?}")),
            _ => out = Some(a),
        }
    }
    let out = out.ok_or("usage: gen_events --users N [--seed S] OUT.csv")?;
    let mut rng = Rng::new(seed);
    let start = 1_704_067_200; // 2024-01-01T00:00:00Z
    let span = 91 * 86_400;
    let mut rows: Vec<(i64, u64, u8)> = Vec::with_capacity((users as usize).saturating_mul(6));
    for user in 1..=users {
        // 1 + geometric(mean 4.6), at most 40 events
        let mut n = 1;
        while n < 40 && rng.chance(4.6 / 5.6) {
            n += 1;
        }
        let mut t = start + rng.range(0, span);
        let mut ev = rng.weighted(&[0.2, 0.3, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let mut prev: Option<usize> = None;
        for _ in 0..n {
            if prev.is_some() {
                let g = gap(&mut rng);
                t += g;
                if g == 0 && rng.chance(0.5) {
                    // a same-second tie written in reverse funnel order
                    if let Some(last) = rows.pop() {
                        rows.push((t, user, ev as u8));
                        rows.push(last);
                        prev = Some(ev);
                        ev = rng.weighted(NEXT.get(ev).map_or(&[][..], |w| &w[..]));
                        continue;
                    }
                }
            }
            rows.push((t, user, ev as u8));
            prev = Some(ev);
            ev = rng.weighted(NEXT.get(ev).map_or(&[][..], |w| &w[..]));
        }
    }
    rows.sort_by_key(|r| r.0);
    let file = File::create(&out).map_err(|e| format!("cannot create {out:?}: {e}"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let err = |e: std::io::Error| format!("cannot write {out:?}: {e}");
    writeln!(w, "user_id,ts,event").map_err(err)?;
    for (t, user, ev) in &rows {
        let ts = DateTime::from_timestamp(*t, 0).ok_or("time out of range")?;
        writeln!(
            w,
            "{user},{},{}",
            ts.format("%Y-%m-%dT%H:%M:%SZ"),
            EVENTS.get(usize::from(*ev)).copied().unwrap_or("event")
        )
        .map_err(err)?;
    }
    w.flush().map_err(err)?;
    eprintln!("wrote {} rows for {users} users to {out}", rows.len());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("gen_events: error: {msg}");
            ExitCode::from(2)
        }
    }
}
