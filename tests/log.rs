//! The event log: equal to the journeys it replaces, independent of input
//! order and thread count, serializable; the CSV reader; and the accumulator
//! contract checked once, generically, for every analysis.

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::log::{CsvOptions, EventLog, read_csv};
use cxjourney::{
    Accumulator, BuiltinChannel, BuiltinKind, CheckoutType, Currency, CustomerId, Device, Error,
    EventName, Journey, JourneyConfig, JourneyOverview, Money, PaymentMethod, Stage, Touchpoint,
    TouchpointKind, run_on_log,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        4 => (0i64..20, 0i64..4).prop_map(|(slot, jitter)| slot * 1_800 + jitter * 600),
        1 => 0i64..4_000_000_000,
    ]
    .prop_flat_map(|secs| {
        (
            Just(secs),
            prop_oneof![3 => Just(0u32), 1 => 0u32..1_000_000_000],
        )
    })
    .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
}

fn arb_kind() -> impl Strategy<Value = TouchpointKind> {
    prop_oneof![
        8 => (0..BuiltinKind::ALL.len()).prop_map(|i| TouchpointKind::from(BuiltinKind::ALL[i])),
        1 => "[a-z]{1,3}".prop_filter_map("custom", |s| TouchpointKind::custom(&s).ok()),
    ]
}

/// Touchpoints with every field, drawn from small pools so ties are common.
fn arb_touchpoint() -> impl Strategy<Value = Touchpoint> {
    (
        (
            0u64..6,
            arb_time(),
            arb_kind(),
            0..BuiltinChannel::ALL.len(),
        ),
        (
            proptest::option::of("[ab]{1,2}"),
            proptest::option::of(0..Stage::ALL.len()),
            proptest::option::of(0..Device::ALL.len()),
            proptest::option::of("o[12]"),
            proptest::option::of((0i64..3, any::<bool>())),
            any::<bool>(),
        ),
        (
            proptest::option::of(0..CheckoutType::ALL.len()),
            proptest::option::of(0..PaymentMethod::ALL.len()),
            proptest::option::of(0i64..3),
            proptest::option::of("p[123]"),
            proptest::option::of("c[12]"),
            proptest::option::of("k[12]"),
        ),
    )
        .prop_map(
            |((c, at, kind, ch), (ev, st, dev, ord, val, disc), (co, pay, prom, p, cat, camp))| {
                let mut t = Touchpoint::new(CustomerId(c * 1_000_003), at, kind)
                    .with_channel(BuiltinChannel::ALL[ch])
                    .with_discounted(disc);
                t.event = ev.map(|e| EventName::new(&e));
                t.stage = st.map(|i| Stage::ALL[i]);
                t.device = dev.map(|i| Device::ALL[i]);
                t.order = ord.map(|o| o.as_str().into());
                t.value = val.map(|(v, usd)| {
                    Money::new(v, if usd { Currency::USD } else { Currency::IDR }).unwrap()
                });
                t.checkout = co.map(|i| CheckoutType::ALL[i]);
                t.payment = pay.map(|i| PaymentMethod::ALL[i]);
                t.promised_delivery = prom.map(|d| at + TimeDelta::days(d));
                t.product = p.map(|p| p.as_str().into());
                t.category = cat.map(|p| p.as_str().into());
                t.campaign = camp.map(|p| p.as_str().into());
                t
            },
        )
}

fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut rng = cxjourney::sample::Rng::new(seed);
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The log holds exactly the touchpoints, each customer's in the order a
    /// `Journey` keeps them, and its views answer as the journeys do.
    #[test]
    fn views_equal_journeys(stream in proptest::collection::vec(arb_touchpoint(), 0..80), gap in 1i64..90) {
        let config = JourneyConfig { session_gap: TimeDelta::minutes(gap), ..JourneyConfig::default() };
        let log = EventLog::from_touchpoints(&stream, &config).unwrap();
        let journeys = Journey::group(stream.clone(), &config).unwrap();
        prop_assert_eq!(log.len(), stream.len());
        prop_assert_eq!(log.customer_count(), journeys.len());
        for (view, j) in log.journeys().zip(&journeys) {
            prop_assert_eq!(view.customer(), j.customer());
            prop_assert_eq!(&view.touchpoints(), j.touchpoints());
            prop_assert_eq!(view.sessions().collect::<Vec<_>>(), j.sessions().to_vec());
            prop_assert_eq!(view.stage_path().collect::<Vec<_>>(), j.stage_path().to_vec());
            prop_assert_eq!(view.current_stage(), j.current_stage());
            prop_assert_eq!(view.furthest_stage(), j.furthest_stage());
            prop_assert_eq!(view.time_to_first_order(), j.time_to_first_order());
            prop_assert_eq!(view.orders(), j.orders());
            for i in 0..view.len() {
                prop_assert_eq!(view.stage_of(i), j.stage_of(i));
            }
        }
    }

    /// The same with dense customer ids, which the log groups by a counting
    /// sort instead of a key sort.
    #[test]
    fn views_equal_journeys_with_dense_ids(stream in proptest::collection::vec(arb_touchpoint(), 0..80), seed in any::<u64>()) {
        let mut stream: Vec<Touchpoint> = stream
            .into_iter()
            .map(|mut t| {
                t.customer = CustomerId(t.customer.0 / 1_000_003);
                t
            })
            .collect();
        let config = JourneyConfig::default();
        let log = EventLog::from_touchpoints(&stream, &config).unwrap();
        let journeys = Journey::group(stream.clone(), &config).unwrap();
        for (view, j) in log.journeys().zip(&journeys) {
            prop_assert_eq!(&view.touchpoints(), j.touchpoints());
            prop_assert_eq!(view.sessions().collect::<Vec<_>>(), j.sessions().to_vec());
        }
        shuffle(&mut stream, seed);
        prop_assert_eq!(&EventLog::from_touchpoints(&stream, &config).unwrap(), &log);
        prop_assert_eq!(&EventLog::from_slice(&stream, &config, 3).unwrap(), &log);
    }

    /// Same rows in any order: the same log, byte for byte once serialized.
    #[test]
    fn input_order_never_matters(stream in proptest::collection::vec(arb_touchpoint(), 0..80), seed in any::<u64>()) {
        let config = JourneyConfig::default();
        let a = EventLog::from_touchpoints(&stream, &config).unwrap();
        let mut shuffled = stream;
        shuffle(&mut shuffled, seed);
        let b = EventLog::from_touchpoints(&shuffled, &config).unwrap();
        prop_assert_eq!(&a, &b);
        for threads in 1..=4 {
            prop_assert_eq!(&EventLog::from_slice(&shuffled, &config, threads).unwrap(), &a);
        }
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&b).unwrap());
        let back: EventLog = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &a);
    }

    /// The contract, for the overview: any split, any merge order, through
    /// serde, equals the whole; and `run_on_log` is the same on 1 to 4 threads.
    #[test]
    fn overview_keeps_the_contract(stream in proptest::collection::vec(arb_touchpoint(), 0..80), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let log = EventLog::from_touchpoints(&stream, &JourneyConfig::default()).unwrap();
        check_contract::<JourneyOverview>(&log, &(), &cuts);
        let one = run_on_log::<JourneyOverview>(&log, &(), 1).unwrap();
        for threads in 2..=4 {
            prop_assert_eq!(&run_on_log::<JourneyOverview>(&log, &(), threads).unwrap(), &one);
        }
    }
}

/// The accumulator laws over a log: accumulate the parts cut at `cuts`,
/// round-trip each state through JSON, merge them in reverse order, and
/// compare the finished report with the whole's.
pub fn check_contract<A>(log: &EventLog, config: &A::Config, cuts: &[prop::sample::Index])
where
    A: for<'a> Accumulator<Unit<'a> = cxjourney::log::JourneyView<'a>>,
    A::Report: Serialize,
{
    let n = log.customer_count();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(n + 1)).collect();
    bounds.extend([0, n]);
    bounds.sort_unstable();
    let mut whole = A::new(config).unwrap();
    for j in log.journeys() {
        whole.add(j).unwrap();
    }
    let mut parts: Vec<A> = bounds
        .windows(2)
        .map(|w| {
            let mut acc = A::new(config).unwrap();
            for j in log.journeys_in(w[0]..w[1]) {
                acc.add(j).unwrap();
            }
            round_trip(&acc)
        })
        .collect();
    parts.reverse();
    let mut merged = A::new(config).unwrap();
    for p in parts {
        merged.merge(p).unwrap();
    }
    let a = serde_json::to_value(whole.finish().unwrap()).unwrap();
    let b = serde_json::to_value(merged.finish().unwrap()).unwrap();
    assert_eq!(a, b);
}

fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

const SMALL: &str = "user_id,ts,event,channel,order_id,product_id,category,value,discounted
u2,2024-11-11T08:00:00Z,view_item,search,,sku-1,toys,,false
u1,2024-11-11T08:01:00Z,view_item,,,sku-2,toys,,
u1,2024-11-11T08:03:00Z,add_to_cart,,,sku-2,toys,,
u1,2024-11-11T08:05:00Z,purchase,,o-1,,,150000,true
u10,2024-11-11T09:00:00Z,live_stream,,,,,,
";

#[test]
fn csv_reads_columns_by_name_and_numbers_text_ids_in_byte_order() {
    let (log, summary) = read_csv(SMALL.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(summary.rows, 5);
    assert_eq!(log.len(), 5);
    let keys: Vec<&str> = log.journeys().map(|j| j.customer_key().unwrap()).collect();
    assert_eq!(keys, ["u1", "u10", "u2"]);
    assert_eq!(summary.custom_events.get("live_stream"), Some(&1));
    let u1 = log.journeys().next().unwrap();
    assert_eq!(u1.len(), 3);
    assert!(u1.converted());
    let order = u1.row(2).unwrap();
    assert_eq!(order.event_name(), "purchase");
    assert!(order.is(BuiltinKind::OrderCompleted));
    assert_eq!(
        order.value(),
        Some(Money::new(15_000_000, Currency::IDR).unwrap())
    );
    assert!(order.discounted());
    assert_eq!(order.order(), Some("o-1"));
    let u2 = log.journeys().nth(2).unwrap();
    assert_eq!(u2.row(0).unwrap().channel().as_str(), "search");
    assert_eq!(u2.row(0).unwrap().product(), Some("sku-1"));
    // Numeric ids keep their value.
    let (log, _) = read_csv(
        "user_id,ts,event\n70,2024-01-01T00:00:00Z,x\n007,2024-01-01T00:00:01Z,y\n7,2024-01-01T00:00:02Z,z\n".as_bytes(),
        &CsvOptions::default(),
    )
    .unwrap();
    assert_eq!(log.customers(), &[CustomerId(7), CustomerId(70)]);
    assert_eq!(log.find(CustomerId(7)).unwrap().len(), 2);
}

#[test]
fn csv_variations_read_the_same() {
    let (base, _) = read_csv(SMALL.as_bytes(), &CsvOptions::default()).unwrap();
    let crlf = SMALL.replace('\n', "\r\n");
    let bom = format!("\u{feff}{SMALL}");
    let spaced = SMALL.replace(',', " , ");
    let blank = SMALL.replacen('\n', "\n\n  \n", 2);
    let reordered: String = SMALL
        .lines()
        .map(|l| {
            let mut f = crate::common::cells::owned(l);
            f.swap(0, 2);
            f.push("extra".to_owned());
            f.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let quoted = SMALL.replace("u1,", "\"u1\",");
    for (what, text) in [
        ("crlf", crlf),
        ("bom", bom),
        ("spaces", spaced),
        ("blank lines", blank),
        ("reordered", reordered),
        ("quoted", quoted),
    ] {
        let (log, _) = read_csv(text.as_bytes(), &CsvOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(log, base, "{what}");
    }
}

#[test]
fn csv_errors_name_line_column_and_value() {
    let cases: [(&str, u64, &str, &str); 7] = [
        ("user_id,event\n1,x\n", 1, "header", "user_id,event"),
        (
            "user_id,ts,event\n1,2024-01-01T00:00:00Z\n",
            2,
            "row",
            "2 fields",
        ),
        ("user_id,ts,event\n1,yesterday,x\n", 2, "ts", "yesterday"),
        (
            "user_id,ts,event\n,2024-01-01T00:00:00Z,x\n",
            2,
            "user_id",
            "",
        ),
        (
            "user_id,ts,event\n1,2024-01-01T00:00:00Z,\n",
            2,
            "event",
            "",
        ),
        (
            "user_id,ts,event,value\n\n1,2024-01-01T00:00:00Z,x,-5\n",
            3,
            "value",
            "-5",
        ),
        (
            "user_id,ts,event,discounted\n1,2024-01-01T00:00:00Z,x,maybe\n",
            2,
            "discounted",
            "maybe",
        ),
    ];
    for (text, line, column, value) in cases {
        match read_csv(text.as_bytes(), &CsvOptions::default()) {
            Err(Error::InvalidRecord {
                line: l,
                column: c,
                value: v,
                ..
            }) => {
                assert_eq!(
                    (l, c.as_str(), v.as_str()),
                    (line, column, value),
                    "{text:?}"
                );
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert!(matches!(
        read_csv(
            &b"user_id,ts,event\n1,2024-01-01T00:00:00Z,\xff\n"[..],
            &CsvOptions::default()
        ),
        Err(Error::InvalidRecord { line: 2, .. })
    ));
    assert!(read_csv(&b""[..], &CsvOptions::default()).is_err());
}

/// The memory budget of issue 9: at most 40 bytes per row with every column
/// of the personas CSV present (customer, time, event, channel, order,
/// product, category, value, discounted).
#[test]
fn a_personas_row_takes_at_most_40_bytes() {
    let mut text =
        String::from("user_id,ts,event,channel,order_id,product_id,category,value,discounted\n");
    for c in 0..2_000 {
        for k in 0..20 {
            let (event, order, value) = if k == 19 {
                ("purchase", format!("o-{c}"), "150000")
            } else {
                ("view_item", String::new(), "")
            };
            text.push_str(&format!(
                "u{c:05},2024-11-{:02}T08:{:02}:00Z,{event},search,{order},sku-{},cat-{},{value},{}\n",
                1 + c % 28,
                k,
                (c * 7 + k) % 500,
                k % 9,
                k % 2 == 0
            ));
        }
    }
    let (log, _) = read_csv(text.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(log.len(), 40_000);
    let per_row = log.column_bytes() as f64 / log.len() as f64;
    eprintln!("event log: {per_row:.2} bytes per row");
    assert!(per_row <= 40.0, "{per_row} bytes per row");
    assert!(per_row >= 38.0, "every column is present: {per_row}");
}

/// A file of many batches (read by two builders whose rows are joined)
/// gives the same log as the same rows pushed one by one on one thread.
#[test]
fn csv_in_many_batches_equals_rows_pushed_one_by_one() {
    use cxjourney::log::{EventLogBuilder, NewRow};
    use cxjourney::{Channel, EventMap};
    let events = [
        "view_item",
        "add_to_cart",
        "purchase",
        "live_stream",
        "Product Viewed",
    ];
    let channels = ["", "search", "tiktok_shop", "email"];
    let mut text = String::from("user_id,ts,event,channel,product_id,value\n");
    for i in 0..30_000u64 {
        let user = if i % 3 == 0 {
            format!("{}", i % 997)
        } else {
            format!("u{}", i % 1_301)
        };
        let product = if i % 4 == 0 {
            String::new()
        } else {
            format!("sku-{}", (i * 7) % 211)
        };
        let value = if i % 11 == 0 { "1500" } else { "" };
        text.push_str(&format!(
            "{user},2024-11-{:02}T{:02}:{:02}:{:02}Z,{},{},{product},{value}\n",
            1 + i % 28,
            i % 24,
            (i / 24) % 60,
            i % 60,
            events[(i % 5) as usize],
            channels[(i % 4) as usize],
        ));
    }
    let (a, summary) = read_csv(text.as_bytes(), &CsvOptions::default()).unwrap();
    assert_eq!(summary.rows, 30_000);
    assert_eq!(summary.custom_events.get("live_stream"), Some(&6_000));

    let map = EventMap::standard().fallback_to_custom();
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    for line in text.lines().skip(1) {
        let rec = crate::common::cells::of(line);
        let f: Vec<&str> = rec.iter().collect();
        let customer = b.customer_for_key(f[0]).unwrap();
        let at = cxjourney::log::parse_timestamp(f[1]).unwrap();
        let (kind, _) = map.convert(f[2]).unwrap();
        let channel: Channel = if f[3].is_empty() {
            Channel::DIRECT
        } else {
            f[3].parse().unwrap()
        };
        let mut row = NewRow::new(customer, at, &kind)
            .event(f[2])
            .channel(&channel);
        if !f[4].is_empty() {
            row = row.product(f[4]);
        }
        if !f[5].is_empty() {
            row = row.value(Money::parse(f[5], Currency::IDR).unwrap());
        }
        b.push_row(&row).unwrap();
    }
    let b = b.finish().unwrap();
    assert_eq!(a, b);
}

/// Findings of the review of the log: none of these may panic or mislead.
#[test]
fn hostile_calls_are_errors_or_bounded() {
    use cxjourney::log::{EventLogBuilder, NewRow};
    let (log, _) = read_csv(SMALL.as_bytes(), &CsvOptions::default()).unwrap();
    // Thread counts and ranges far beyond the log are capped.
    assert!(log.split(usize::MAX).len() <= log.customer_count());
    assert_eq!(log.journeys_in(0..usize::MAX).count(), log.customer_count());
    let one = run_on_log::<JourneyOverview>(&log, &(), 1).unwrap();
    assert_eq!(
        run_on_log::<JourneyOverview>(&log, &(), usize::MAX).unwrap(),
        one
    );

    // A key handed out but never used is no customer, and shifts no other key.
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    let view = TouchpointKind::from(BuiltinKind::ProductView);
    let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let a = b.customer_for_key("a").unwrap();
    let _unused = b.customer_for_key("b").unwrap();
    let c = b.customer_for_key("c").unwrap();
    b.push_row(&NewRow::new(a, at, &view)).unwrap();
    b.push_row(&NewRow::new(c, at, &view)).unwrap();
    let log = b.finish().unwrap();
    let keys: Vec<&str> = log.journeys().map(|j| j.customer_key().unwrap()).collect();
    assert_eq!(keys, ["a", "c"]);
    assert_eq!(log.customers(), &[CustomerId(0), CustomerId(1)]);

    // Too many custom kinds is an error that leaves the table intact.
    let mut b = EventLogBuilder::new(&JourneyConfig::default()).unwrap();
    let c = CustomerId(1);
    let first = TouchpointKind::custom("k00000").unwrap();
    let mut refused = false;
    for i in 0..70_000u32 {
        let k = TouchpointKind::custom(&format!("k{i:05}")).unwrap();
        if b.push_row(&NewRow::new(c, at, &k)).is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused);
    b.push_row(&NewRow::new(c, at, &first)).unwrap();
    let log = b.finish().unwrap();
    let last = log
        .journeys()
        .next()
        .unwrap()
        .rows()
        .filter(|r| r.kind() == &first)
        .count();
    assert_eq!(last, 2);

    // A deserialized log that breaks an invariant is refused.
    let (log, _) = read_csv(SMALL.as_bytes(), &CsvOptions::default()).unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&log).unwrap();
    json["offsets"] = serde_json::json!([1, 0, 2, 5]);
    assert!(serde_json::from_value::<EventLog>(json).is_err());
    let mut json: serde_json::Value = serde_json::to_value(&log).unwrap();
    json["cols"]["nanos"] = serde_json::json!([65535, 0, 0, 0, 0]);
    assert!(serde_json::from_value::<EventLog>(json).is_err());
    let mut json: serde_json::Value = serde_json::to_value(&log).unwrap();
    json["cols"]["kind"][0] = serde_json::json!(60000);
    assert!(serde_json::from_value::<EventLog>(json).is_err());
    let back: EventLog = serde_json::from_value(serde_json::to_value(&log).unwrap()).unwrap();
    assert_eq!(back, log);
}

#[test]
fn csv_details_from_the_review() {
    // A byte that is not UTF-8 after blank lines: the line of the record.
    let text = b"user_id,ts,event\n\n\n\n1,2024-01-01T00:00:00Z,\xff\n";
    match read_csv(&text[..], &CsvOptions::default()) {
        Err(Error::InvalidRecord { line, .. }) => assert_eq!(line, 5),
        other => panic!("{other:?}"),
    }
    // Cells of Unicode spaces are empty, in every column.
    let text = "user_id,ts,event,category,discounted\n1,2024-01-01T00:00:00Z,x,\u{a0},\u{a0}\n";
    let (log, _) = read_csv(text.as_bytes(), &CsvOptions::default()).unwrap();
    let row = log.journeys().next().unwrap().row(0).unwrap();
    assert_eq!(row.category(), None);
    assert!(!row.discounted());
    // Many blank lines cost no memory per line and keep line numbers right.
    let mut text = String::from("user_id,ts,event\n");
    text.push_str(&"\n".repeat(100_000));
    text.push_str("1,yesterday,x\n");
    match read_csv(text.as_bytes(), &CsvOptions::default()) {
        Err(Error::InvalidRecord { line, .. }) => assert_eq!(line, 100_002),
        other => panic!("{other:?}"),
    }
}
