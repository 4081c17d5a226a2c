//! Classify the customers of an event file into the six shopper personas.
//!
//! ```text
//! cargo run --release --example personas -- FILE.csv --as-of YYYY-MM-DD [--per-user OUT.csv] [--currency IDR]
//! ```
//!
//! FILE has the header `user_id,ts,event,channel,order_id,product_id,category,value,discounted`
//! (the columns after `event` may be left out or empty; rows in any order). `ts` is ISO-8601 in
//! UTC (`2024-11-11T08:30:00Z`; a time without a zone is read as UTC). `event` is a GA4
//! recommended event, a Segment e-commerce v2 event or a cxjourney kind name; other well-formed
//! names are kept as custom kinds (which no persona looks at) and counted on stderr. `value` is the
//! order amount in the shop's currency, `discounted` is `true` or `false`. `--as-of` includes the
//! whole day (UTC). Prints one JSON object:
//! `{"customers": N, "distribution": {...}, "examples": [...], "compute_seconds": S}`, where
//! `compute_seconds` covers reading, parsing, grouping, profiling and classifying. With
//! `--per-user OUT.csv` it also writes `user_id,persona,score` for every customer. Columns are
//! found by header name (any order; unknown columns are ignored with a warning). The CSV may use
//! CRLF line ends, a byte-order mark, quoted fields (commas, quotes and line breaks inside) and
//! spaces around cells; blank lines are skipped. Bad input (a missing column, a row with another
//! number of fields than the header, an empty id or event, a time that is not ISO-8601, a negative
//! or malformed value) stops with one `error: ...` line naming the line and a non-zero exit code.

// Indexing below is into fixed arrays with constant indices, into `fields` at
// positions just read through `get`, and into a 20-byte timestamp after its
// length was checked.
#![allow(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cxjourney::persona::{Classifier, PersonaAccumulator};
use cxjourney::{
    CategoryId, Channel, Currency, CustomerIds, EventMap, Journey, JourneyConfig, Money, Persona,
    ProductId, Touchpoint, TouchpointKind,
};
use indexmap::IndexMap;
use serde::Serialize;

#[path = "common/csv.rs"]
mod csv;
#[path = "common/out.rs"]
mod out;

/// A small fast hasher for the look-up tables of short strings (FxHash's
/// multiply-rotate), since SipHash dominates parsing otherwise. It starts from
/// a per-process random seed ([`FxSeed`]), so ids crafted to collide cannot
/// make the tables quadratic; nothing printed depends on the hash.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

/// Builds [`Fx`] hashers from one random seed per table.
#[derive(Clone, Copy)]
struct FxSeed(u64);

impl Default for FxSeed {
    fn default() -> Self {
        use std::hash::{BuildHasher, RandomState};
        FxSeed(RandomState::new().hash_one(0x5eed_u64))
    }
}

impl std::hash::BuildHasher for FxSeed {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(self.0)
    }
}

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let mut w = 0u64;
        for &b in chunks.remainder() {
            w = (w << 8) | u64::from(b);
        }
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type FastMap<K, V> = HashMap<K, V, FxSeed>;

/// The printed object, fields in the documented order.
#[derive(Serialize)]
struct Output {
    customers: u64,
    distribution: IndexMap<Persona, u64>,
    examples: Vec<Example>,
    compute_seconds: f64,
}

/// One explained customer: the primary persona, every score, and the reasons
/// of the primary score (feature, value, threshold, ramp ends, contribution).
#[derive(Serialize)]
struct Example {
    user_id: String,
    persona: Persona,
    score: f64,
    passed: bool,
    scores: IndexMap<Persona, f64>,
    reasons: Vec<ExampleReason>,
    impulsive_signals: Vec<&'static str>,
    session_modes: cxjourney::persona::SessionModeCounts,
    checkout: cxjourney::persona::CheckoutProfile,
}

#[derive(Serialize)]
struct ExampleReason {
    feature: cxjourney::persona::Feature,
    value: Option<f64>,
    threshold: f64,
    from: f64,
    to: f64,
    gate: bool,
    contribution: f64,
}

struct Args {
    file: String,
    as_of: DateTime<Utc>,
    per_user: Option<String>,
    currency: Currency,
}

const USAGE: &str =
    "usage: personas FILE.csv --as-of YYYY-MM-DD [--per-user OUT.csv] [--currency IDR]";

fn parse_args() -> Result<Args, String> {
    let mut file = None;
    let mut as_of = None;
    let mut per_user = None;
    let mut currency = Currency::IDR;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--as-of" => {
                let v = it.next().ok_or("--as-of needs a date YYYY-MM-DD")?;
                let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|e| format!("--as-of {v:?} is not a date YYYY-MM-DD ({e})"))?;
                let end = d
                    .and_hms_nano_opt(23, 59, 59, 999_999_999)
                    .ok_or_else(|| format!("--as-of {v:?} is out of range"))?;
                as_of = Some(Utc.from_utc_datetime(&end));
            }
            "--per-user" => per_user = Some(it.next().ok_or("--per-user needs a file name")?),
            "--currency" => {
                let v = it.next().ok_or("--currency needs a code such as IDR")?;
                currency = v.parse().map_err(|e| format!("--currency: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            s if s.starts_with("--") => return Err(format!("unknown option {s:?}; {USAGE}")),
            _ if file.is_none() => file = Some(a),
            _ => return Err(format!("unexpected argument {a:?}; {USAGE}")),
        }
    }
    Ok(Args {
        file: file.ok_or_else(|| format!("missing FILE.csv; {USAGE}"))?,
        as_of: as_of.ok_or_else(|| format!("missing --as-of YYYY-MM-DD; {USAGE}"))?,
        per_user,
        currency,
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` quickly, else RFC 3339, else a UTC time without zone.
fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
    {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in b.get(r)? {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u32::from(c - b'0');
            }
            Some(v)
        };
        let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
        let dt = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
        return Some(Utc.from_utc_datetime(&dt));
    }
    cxjourney::log::parse_timestamp(s)
}

const COLUMNS: [&str; 9] = [
    "user_id",
    "ts",
    "event",
    "channel",
    "order_id",
    "product_id",
    "category",
    "value",
    "discounted",
];

fn csv_field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let started = Instant::now();
    let text = csv::read_text(&args.file)?;
    let text = text.as_str();
    let mut records = csv::Records::new(text);
    let mut fields: Vec<Cow<'_, str>> = Vec::with_capacity(9);
    let err = |e: String| format!("{}: {e}", args.file);

    // Header (after any blank lines).
    let header_line = records
        .header(&mut fields, &COLUMNS.join(","))
        .map_err(err)?;
    let mut index = [usize::MAX; 9];
    for (i, name) in fields.iter().enumerate() {
        let name = name.trim();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) if index[c] != usize::MAX => {
                return Err(format!(
                    "{}: line {header_line}: column {name:?} appears twice",
                    args.file
                ));
            }
            Some(c) => index[c] = i,
            None => eprintln!("warning: {}: ignoring unknown column {name:?}", args.file),
        }
    }
    for c in 0..3 {
        if index[c] == usize::MAX {
            return Err(format!(
                "{}: line {header_line}: the header lacks the column {:?} (expected {})",
                args.file,
                COLUMNS[c],
                COLUMNS.join(",")
            ));
        }
    }
    let width = fields.len();

    let events = EventMap::standard().fallback_to_custom();
    let mut ids = CustomerIds::new();
    // A fast front for `ids`: keys borrow from the file text.
    let mut id_cache: FastMap<&str, cxjourney::CustomerId> = FastMap::default();
    let mut products: FastMap<&str, ProductId> = FastMap::default();
    let mut categories: FastMap<&str, CategoryId> = FastMap::default();
    let mut channels: FastMap<&str, Channel> = FastMap::default();
    let mut kinds: FastMap<&str, TouchpointKind> = FastMap::default();
    let mut unknown_events: HashMap<String, u64> = HashMap::new();
    let mut touchpoints: Vec<Touchpoint> = Vec::with_capacity(text.len() / 60);
    let mut rows = 0u64;
    while let Some(line) = records.next_record(&mut fields).map_err(err)? {
        if csv::is_blank(&fields) {
            continue;
        }
        if fields.len() != width {
            return Err(format!(
                "{}: line {line}: {} fields, but the header has {width}",
                args.file,
                fields.len()
            ));
        }
        let get = |c: usize| -> &str { fields.get(index[c]).map_or("", |f| f.as_ref()).trim() };
        let bad = |what: &str| format!("{}: line {line}: {what}", args.file);
        let user = get(0);
        if user.is_empty() {
            return Err(bad("empty user_id"));
        }
        let ts = get(1);
        let at = parse_ts(ts).ok_or_else(|| {
            bad(&format!(
                "invalid ts {ts:?} (expected ISO-8601 UTC such as 2024-11-11T08:30:00Z)"
            ))
        })?;
        let event = get(2);
        if event.is_empty() {
            return Err(bad("empty event"));
        }
        let kind = match kinds.get(event) {
            Some(k) => k.clone(),
            None => {
                let (k, _) = events
                    .convert(event)
                    .map_err(|e| bad(&format!("event {event:?}: {e}")))?;
                // Keys borrow from the file text, which outlives the maps.
                let key: &str = match &fields[index[2]] {
                    Cow::Borrowed(s) => s.trim(),
                    Cow::Owned(_) => "",
                };
                if !key.is_empty() {
                    kinds.insert(key, k.clone());
                }
                k
            }
        };
        if let TouchpointKind::Custom(_) = kind {
            *unknown_events.entry(event.to_owned()).or_default() += 1;
        }
        let customer = match id_cache.get(user) {
            Some(&c) => c,
            None => {
                let c = ids.intern(user);
                if let Cow::Borrowed(s) = &fields[index[0]] {
                    id_cache.insert(s.trim(), c);
                }
                c
            }
        };
        let mut t = Touchpoint::new(customer, at, kind);
        let ch = get(3);
        if !ch.is_empty() {
            let channel = match channels.get(ch) {
                Some(c) => c.clone(),
                None => {
                    let c: Channel = ch
                        .parse()
                        .map_err(|e| bad(&format!("channel {ch:?}: {e}")))?;
                    if let Cow::Borrowed(s) = &fields[index[3]] {
                        channels.insert(s.trim(), c.clone());
                    }
                    c
                }
            };
            t.channel = channel;
        }
        let order = get(4);
        if !order.is_empty() {
            t = t.with_order(order);
        }
        let product = get(5);
        if !product.is_empty() {
            let id = match products.get(product) {
                Some(p) => p.clone(),
                None => {
                    let p = ProductId::new(product);
                    if let Cow::Borrowed(s) = &fields[index[5]] {
                        products.insert(s.trim(), p.clone());
                    }
                    p
                }
            };
            t.product = Some(id);
        }
        let category = get(6);
        if !category.is_empty() {
            let id = match categories.get(category) {
                Some(c) => c.clone(),
                None => {
                    let c = CategoryId::new(category);
                    if let Cow::Borrowed(s) = &fields[index[6]] {
                        categories.insert(s.trim(), c.clone());
                    }
                    c
                }
            };
            t.category = Some(id);
        }
        let value = get(7);
        if !value.is_empty() {
            let m = Money::parse(value, args.currency).map_err(|e| bad(&format!("value: {e}")))?;
            t.value = Some(m);
        }
        let disc = get(8);
        t.discounted = match disc {
            "" => false,
            d if d.eq_ignore_ascii_case("true") || d == "1" => true,
            d if d.eq_ignore_ascii_case("false") || d == "0" => false,
            d => return Err(bad(&format!("discounted {d:?} is neither true nor false"))),
        };
        touchpoints.push(t);
        rows += 1;
    }
    drop(fields);
    if !unknown_events.is_empty() {
        let mut list: Vec<(&String, &u64)> = unknown_events.iter().collect();
        list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let total: u64 = list.iter().map(|(_, n)| **n).sum();
        let shown: Vec<String> = list
            .iter()
            .take(5)
            .map(|(k, n)| format!("{k:?} x{n}"))
            .collect();
        eprintln!(
            "note: {total} rows have event names outside GA4, Segment v2 and cxjourney kinds; kept as custom kinds that no persona uses: {}",
            shown.join(", ")
        );
    }

    // Number customers by their id (integers ascending, then text in byte
    // order), not by first appearance, so that the output does not depend on
    // the order of the rows.
    let (ids, touchpoints) = renumber_by_key(&ids, touchpoints);
    let journeys =
        Journey::group(touchpoints, &JourneyConfig::default()).map_err(|e| e.to_string())?;
    let classifier = Classifier::default();
    let mut profiler = classifier.profiler();
    let mut acc = PersonaAccumulator::new();
    let mut per_user: Vec<(usize, Persona, f64)> = Vec::with_capacity(journeys.len());
    let mut examples: Vec<(usize, cxjourney::persona::BehaviourProfile)> = Vec::new();
    let mut example_personas = [false; 6];
    // Journeys are ordered by customer id, and ids are handed out 0, 1, 2, ...
    // in first-seen order with a journey each: a journey's index is its id.
    classifier.classify_each(&journeys, args.as_of, |j, p, c| {
        let i = usize::try_from(j.customer().0).unwrap_or(usize::MAX);
        acc.add(p, c);
        per_user.push((i, c.primary, c.score));
        if examples.len() < 5 && c.passed && !example_personas[c.primary.index()] {
            example_personas[c.primary.index()] = true;
            examples.push((i, p.clone()));
        }
    });
    let later = journeys.len() - per_user.len();
    // Fill up to five examples with further customers, in order.
    for (i, j) in journeys.iter().enumerate() {
        if examples.len() >= 5 {
            break;
        }
        if examples.iter().any(|(k, _)| *k == i) {
            continue;
        }
        let p = profiler.profile(j, args.as_of);
        if p.touchpoints > 0 {
            examples.push((i, p));
        }
    }
    examples.sort_by_key(|(i, _)| *i);
    let report = acc.finish();
    let mut example_out = Vec::new();
    for (i, p) in &examples {
        let e = classifier.explain(p);
        let user = journeys
            .get(*i)
            .and_then(|j| ids.key(j.customer()))
            .unwrap_or("")
            .to_owned();
        let c = e.classification;
        let reasons = e.reasons.get(&c.primary).cloned().unwrap_or_default();
        example_out.push(Example {
            user_id: user,
            persona: c.primary,
            score: round(c.score),
            passed: c.passed,
            scores: c.scores.iter().map(|(p, s)| (p, round(s))).collect(),
            reasons: reasons
                .iter()
                .map(|r| ExampleReason {
                    feature: r.feature,
                    value: r.value.map(round),
                    threshold: round(r.threshold),
                    from: r.from,
                    to: r.to,
                    gate: r.gate,
                    contribution: round(r.contribution),
                })
                .collect(),
            impulsive_signals: e.impulsive_signals.fired(),
            session_modes: p.session_modes,
            checkout: p.checkout,
        });
    }
    let compute_seconds = started.elapsed().as_secs_f64();
    if later > 0 {
        eprintln!("note: {later} users had no touchpoint by the as-of date and were left out");
    }
    eprintln!("read {rows} rows of {} users", ids.len());
    let out = Output {
        customers: report.customers,
        distribution: report.distribution,
        examples: example_out,
        compute_seconds: (compute_seconds * 1000.0).round() / 1000.0,
    };
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;

    if let Some(path) = &args.per_user {
        let f = std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?;
        let mut w = std::io::BufWriter::new(f);
        let werr = |e: std::io::Error| format!("cannot write {path}: {e}");
        writeln!(w, "user_id,persona,score").map_err(werr)?;
        for (i, persona, score) in &per_user {
            let user = journeys
                .get(*i)
                .and_then(|j| ids.key(j.customer()))
                .unwrap_or("");
            writeln!(w, "{},{},{:.4}", csv_field(user), persona, score).map_err(werr)?;
        }
        w.flush().map_err(werr)?;
    }
    // Printed last, so that a failure prints no result.
    out::emit(&text)
}

/// A new id table in key order (integer keys by value, then the rest by
/// bytes), with every touchpoint's customer moved to it.
fn renumber_by_key(
    ids: &CustomerIds,
    mut touchpoints: Vec<Touchpoint>,
) -> (CustomerIds, Vec<Touchpoint>) {
    let mut keys: Vec<(Option<u64>, &str, u64)> = (0..ids.len() as u64)
        .filter_map(|i| {
            let key = ids.key(cxjourney::CustomerId(i))?;
            Some((key.parse::<u64>().ok(), key, i))
        })
        .collect();
    // `None` sorts before `Some`: put integer keys first.
    keys.sort_unstable_by(|a, b| (a.0.is_none(), a.0, a.1).cmp(&(b.0.is_none(), b.0, b.1)));
    let mut sorted = CustomerIds::new();
    let mut new_of = vec![cxjourney::CustomerId(0); ids.len()];
    for (_, key, old) in keys {
        let new = sorted.intern(key);
        if let Some(slot) = usize::try_from(old).ok().and_then(|o| new_of.get_mut(o)) {
            *slot = new;
        }
    }
    for t in &mut touchpoints {
        if let Some(&new) = usize::try_from(t.customer.0)
            .ok()
            .and_then(|o| new_of.get(o))
        {
            t.customer = new;
        }
    }
    (sorted, touchpoints)
}

fn round(x: f64) -> f64 {
    // `+ 0.0` turns -0.0 into 0.0.
    (x * 10_000.0).round() / 10_000.0 + 0.0
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(if e.contains("usage: ") { 2 } else { 1 });
    }
}
