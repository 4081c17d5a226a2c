//! Hostile input for the survey analyses (issue 15): the findings'
//! reproducers, adversarial scaling, and proptests over every survey
//! constructor, configuration (also as JSON), accumulator and report: no
//! panic, errors that name the offending value, merge equals whole, state
//! round trips, shuffled input gives byte-identical output, reports round
//! trip through JSON.

use std::time::Instant;

use cxjourney::{
    Accumulator, AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, AdvocacyReport, Dimension,
    Instrument, Item, MAX_DIMENSION_WEIGHT, MissingPolicy, PyramidAccumulator, PyramidConfig,
    PyramidReport, PyramidSetup, Reply, Scale,
};
use proptest::prelude::*;

fn advocacy_groups(keys: &[String]) -> (usize, std::time::Duration) {
    let start = Instant::now();
    let mut acc = AdvocacyAccumulator::new(&AdvocacyConfig::default()).unwrap();
    for k in keys {
        acc.add(AdvocacyAnswer::default().group(k.as_str()).nps(9))
            .unwrap();
    }
    let n = acc.finish().unwrap().groups.len();
    (n, start.elapsed())
}

/// 8-byte keys sharing a 3-byte prefix, the shape that left the old hasher
/// 5 distinct low bits.
fn shared_prefix(n: u32) -> Vec<String> {
    (0..n).map(|i| format!("ab:{i:05}")).collect()
}

fn plain(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| format!("{:08x}", i.wrapping_mul(2_654_435_761)))
        .collect()
}

#[test]
fn finding_5_shared_prefix_groups_cost_what_plain_groups_cost() {
    let n = 50_000;
    let (a, plain_time) = advocacy_groups(&plain(n));
    let (b, shared_time) = advocacy_groups(&shared_prefix(n));
    assert_eq!((a, b), (n as usize, n as usize));
    println!("{n} groups: plain {plain_time:?}, shared prefix {shared_time:?}");
    // Quadratic probing would make the shared-prefix keys tens of times slower.
    assert!(
        shared_time <= plain_time * 3 + std::time::Duration::from_millis(500),
        "plain {plain_time:?}, shared prefix {shared_time:?}"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release-mode scaling test: cargo test --release --test integration scaling_"
)]
fn scaling_advocacy_shared_prefix_groups() {
    let (n, took) = advocacy_groups(&shared_prefix(100_000));
    println!("100k shared-prefix advocacy groups: {took:?}");
    assert_eq!(n, 100_000);
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
}

#[test]
fn finding_11_unbounded_weights_are_refused_also_from_json() {
    for w in [
        1e308,
        f64::INFINITY,
        f64::NAN,
        -1.0,
        MAX_DIMENSION_WEIGHT * 2.0,
    ] {
        let mut cfg = PyramidConfig::default();
        cfg.weights.insert(Dimension::Trust, w);
        let e = cfg.validate().unwrap_err();
        assert!(e.to_string().contains(&w.to_string()), "{e}");
        assert!(PyramidAccumulator::new(&PyramidSetup::new(Instrument::orbe(), cfg)).is_err());
    }
    let json = r#"{"weights": {"trust": 1e308}}"#;
    let e = serde_json::from_str::<PyramidConfig>(json).unwrap_err();
    assert!(e.to_string().contains(&1e308f64.to_string()), "{e}");
    let setup = r#"{"instrument": INST, "config": {"weights": {"fulfilment": 1e308}}}"#
        .replace("INST", &serde_json::to_string(&Instrument::orbe()).unwrap());
    assert!(serde_json::from_str::<PyramidSetup>(&setup).is_err());
    // The largest weight allowed keeps every respondent and a finite index.
    let mut cfg = PyramidConfig::default();
    cfg.weights.insert(Dimension::Trust, MAX_DIMENSION_WEIGHT);
    let mut acc = PyramidAccumulator::new(&PyramidSetup::new(Instrument::orbe(), cfg)).unwrap();
    for v in 1..=7 {
        acc.add_answers(&[Some(v); 12]).unwrap();
    }
    let r = acc.finish().unwrap();
    assert_eq!(r.index.n, 7);
    let back: PyramidReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn finding_12_alpha_zero_variance_is_none() {
    let items = (0..4)
        .map(|i| Item::new(&format!("i{i}"), Dimension::Trust, "x"))
        .collect();
    let inst = Instrument::new("flat", Scale::new(1, 2).unwrap(), items).unwrap();
    for missing in [MissingPolicy::Pairwise, MissingPolicy::Listwise] {
        let cfg = PyramidConfig {
            top_box: 1,
            missing,
            ..PyramidConfig::default()
        };
        let mut acc = PyramidAccumulator::new(&PyramidSetup::new(inst.clone(), cfg)).unwrap();
        for r in [[1, 2, 2, 1], [2, 1, 2, 1], [1, 2, 2, 1], [1, 1, 2, 2]] {
            let r: Vec<Option<i32>> = r.iter().map(|&x| Some(x)).collect();
            acc.add_answers(&r).unwrap();
        }
        let r = acc.finish().unwrap();
        for rel in [
            &r.dimensions[&Dimension::Trust].reliability,
            &r.all_items.reliability,
        ] {
            assert_eq!(rel.alpha, None, "{missing}");
            assert_eq!((rel.ci_low, rel.ci_high), (None, None));
            for v in [rel.standardized_alpha, rel.spearman_brown] {
                assert!(v.is_none_or(|v| v.abs() < 1e6), "{v:?}");
            }
        }
    }
}

/// Rows of answers on 1-7 with missing answers.
fn rows(n: usize) -> impl Strategy<Value = Vec<Vec<Option<i32>>>> {
    proptest::collection::vec(
        proptest::collection::vec(proptest::option::weighted(0.8, 1i32..=7), 12),
        0..n,
    )
}

fn weights() -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(
        prop_oneof![
            Just(0.0),
            Just(MAX_DIMENSION_WEIGHT),
            0.0..MAX_DIMENSION_WEIGHT,
            1e-300..1.0
        ],
        5,
    )
}

fn setup_with(w: &[f64], missing: MissingPolicy, min_dimensions: usize) -> PyramidSetup {
    let mut cfg = PyramidConfig {
        missing,
        min_dimensions,
        ..PyramidConfig::default()
    };
    for (d, w) in Dimension::ALL.iter().zip(w) {
        cfg.weights.insert(*d, *w);
    }
    PyramidSetup::new(Instrument::orbe(), cfg)
}

fn pyramid_json(
    setup: &PyramidSetup,
    rows: &[Vec<Option<i32>>],
    cuts: &[usize],
) -> (String, String) {
    // Parts cut at `cuts`, each round-tripped through JSON, merged.
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
    bounds.extend([0, rows.len()]);
    bounds.sort_unstable();
    let mut merged = PyramidAccumulator::new(setup).unwrap();
    for w in bounds.windows(2) {
        let mut part = PyramidAccumulator::new(setup).unwrap();
        for r in &rows[w[0]..w[1]] {
            part.add_answers(r).unwrap();
        }
        let part: PyramidAccumulator =
            serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap();
        merged.merge(part).unwrap();
    }
    let state = serde_json::to_string(&merged).unwrap();
    (
        state,
        serde_json::to_string(&merged.finish().unwrap()).unwrap(),
    )
}

type AdvocacyRow = (Option<String>, Reply, Reply, Reply);

fn unit(a: &AdvocacyRow) -> AdvocacyAnswer<'_> {
    AdvocacyAnswer::default()
        .group(a.0.as_deref())
        .nps(a.1)
        .csat(a.2)
        .ces(a.3)
}

proptest! {
    #[test]
    fn finding_14_index_is_bit_identical_under_merge_and_shuffle(
        rows in rows(400),
        w in weights(),
        listwise in any::<bool>(),
        min_dimensions in 1usize..=5,
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
        seed in any::<u64>(),
    ) {
        let missing = if listwise { MissingPolicy::Listwise } else { MissingPolicy::Pairwise };
        let setup = setup_with(&w, missing, min_dimensions);
        let whole = pyramid_json(&setup, &rows, &[]);
        let merged = pyramid_json(&setup, &rows, &cuts);
        // A seeded Fisher-Yates shuffle.
        let mut shuffled = rows.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let shuffled = pyramid_json(&setup, &shuffled, &cuts);
        prop_assert_eq!(&whole, &merged);
        prop_assert_eq!(&whole, &shuffled);
        let report: PyramidReport = serde_json::from_str(&whole.1).unwrap();
        prop_assert_eq!(serde_json::to_string(&report).unwrap(), whole.1.clone());
        if let Some(m) = report.index.mean { prop_assert!((0.0..=100.0).contains(&m)); }
    }

    #[test]
    fn hostile_pyramid_config_json_never_panics_and_names_the_value(
        share in prop_oneof![Just(-1e308), Just(0.0), Just(1e-300), Just(1.0), Just(1.0000001), Just(1e308), -10.0..10.0f64],
        min_dimensions in prop_oneof![Just(0usize), 1usize..=5, Just(6usize), Just(usize::MAX)],
        weight in prop_oneof![Just(-1e308), Just(1e308), Just(-0.0), Just(MAX_DIMENSION_WEIGHT), Just(1.0000001e6), -10.0..10.0f64],
        threshold in prop_oneof![Just(-1e-300), Just(100.0), Just(100.5), Just(1e308), -10.0..110.0f64],
        top_box in prop_oneof![Just(0u32), 1u32..20, Just(u32::MAX)],
    ) {
        let json = format!(
            r#"{{"min_answered_share": {share:e}, "min_dimensions": {min_dimensions}, "weights": {{"trust": {weight:e}}}, "weakest_threshold": {threshold:e}, "top_box": {top_box}}}"#
        );
        let direct = PyramidConfig {
            min_answered_share: share,
            min_dimensions,
            weights: [(Dimension::Trust, weight)].into_iter().collect(),
            weakest_threshold: threshold,
            top_box,
            ..PyramidConfig::default()
        };
        let parsed = serde_json::from_str::<PyramidConfig>(&json);
        prop_assert_eq!(parsed.is_ok(), direct.validate().is_ok(), "{}", json);
        match (parsed, direct.validate()) {
            (Ok(c), Ok(())) => {
                let back: PyramidConfig = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
                prop_assert_eq!(back, c.clone());
                let setup = PyramidSetup::new(Instrument::orbe(), c);
                let json = serde_json::to_string(&setup).unwrap();
                prop_assert_eq!(serde_json::from_str::<PyramidSetup>(&json).is_ok(), PyramidAccumulator::new(&setup).is_ok());
            }
            (_, Err(e)) => {
                let text = e.to_string();
                prop_assert!(
                    [share.to_string(), min_dimensions.to_string(), weight.to_string(), threshold.to_string(), top_box.to_string()]
                        .iter().any(|v| text.contains(v.as_str())),
                    "{}", text
                );
            }
            _ => {}
        }
    }

    #[test]
    fn hostile_answers_never_panic_and_name_the_value(
        answers in proptest::collection::vec(proptest::option::of(prop_oneof![Just(i32::MIN), Just(i32::MAX), Just(0), -20i32..20]), 0..16),
    ) {
        let mut acc = PyramidAccumulator::new(&PyramidSetup::default()).unwrap();
        match acc.add_answers(&answers) {
            Ok(()) => {}
            Err(e) => {
                let text = e.to_string();
                let named = answers.len() != 12 && text.contains(&answers.len().to_string())
                    || answers.iter().flatten().any(|v| text.contains(&v.to_string()));
                prop_assert!(named, "{}", text);
            }
        }
        let _ = acc.score_respondent(&answers);
        let r = acc.finish().unwrap();
        let back: PyramidReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn hostile_instruments_never_panic(
        name in prop_oneof![Just(String::new()), Just("\u{0}\u{7}\r\n".to_owned()), Just("😀".repeat(1000)), ".{0,20}"],
        ids in proptest::collection::vec(prop_oneof![Just(String::new()), Just("dup".to_owned()), Just("😀\u{1b}".to_owned()), ".{1,8}"], 0..70),
        min in prop_oneof![Just(i32::MIN), Just(i32::MAX), -20i32..20],
        span in prop_oneof![Just(i32::MAX), -2i32..20],
    ) {
        let scale = Scale::new(min, min.saturating_add(span));
        if let Ok(scale) = scale {
            let items: Vec<Item> = ids.iter().enumerate().map(|(i, id)| Item::new(id, Dimension::ALL[i % 5], "t")).collect();
            if let Ok(inst) = Instrument::new(&name, scale, items) {
                let json = serde_json::to_string(&inst).unwrap();
                prop_assert_eq!(serde_json::from_str::<Instrument>(&json).unwrap(), inst.clone());
                let cfg = PyramidConfig { top_box: 1, ..PyramidConfig::default() };
                let acc = PyramidAccumulator::new(&PyramidSetup::new(inst.clone(), cfg));
                prop_assert!(acc.is_ok());
                let mut acc = acc.unwrap();
                let k = inst.items().len();
                acc.add_answers(&vec![Some(i64::from(scale.max())); k]).unwrap();
                acc.add_answers(&vec![Some(i64::from(scale.min())); k]).unwrap();
                prop_assert!(acc.add_answers(&vec![Some(i64::MAX); k]).is_err());
                let r = acc.finish().unwrap();
                let back: PyramidReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
                prop_assert_eq!(back, r);
            }
        } else if let Err(e) = scale {
            prop_assert!(e.to_string().contains(&min.to_string()), "{}", e);
        }
    }

    #[test]
    fn hostile_pyramid_states_never_panic(
        field in prop_oneof![Just("n_rows"), Just("sums"), Just("miss1"), Just("miss2"), Just("prod"), Just("top"), Just("hist_all"), Just("index")],
        value in prop_oneof![Just(u64::MAX), Just(1u64 << 48), Just((1u64 << 48) + 1), Just(0u64), any::<u64>()],
        rows in rows(30),
    ) {
        let mut acc = PyramidAccumulator::new(&PyramidSetup::default()).unwrap();
        for r in &rows { acc.add_answers(r).unwrap(); }
        let mut json = serde_json::to_value(&acc).unwrap();
        match field {
            "n_rows" => json[field] = value.into(),
            "index" => json[field]["sum"] = value.to_string().into(),
            _ => json[field][0] = value.into(),
        }
        if let Ok(back) = serde_json::from_value::<PyramidAccumulator>(json) {
            let mut two = back.clone();
            if two.merge(back).is_ok() {
                if let Ok(r) = two.finish() {
                    let back: PyramidReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
                    prop_assert_eq!(back, r);
                }
            }
        }
    }

    #[test]
    fn hostile_advocacy_never_panics_and_keeps_the_contract(
        answers in proptest::collection::vec((
            proptest::option::of(prop_oneof![Just(String::new()), Just("\u{0}\t\u{7f}".to_owned()), Just("😀🇮🇩".to_owned()), Just("x".repeat(10_000)), ".{0,6}"]),
            prop_oneof![Just(Reply::NotAsked), Just(Reply::Skipped), Just(Reply::Given(i32::MIN)), Just(Reply::Given(i32::MAX)), (-2i32..13).prop_map(Reply::Given)],
            prop_oneof![Just(Reply::Skipped), (-1i32..9).prop_map(Reply::Given)],
            prop_oneof![Just(Reply::NotAsked), (0i32..9).prop_map(Reply::Given)],
        ), 0..200),
        cut in any::<usize>(),
        seed in any::<u64>(),
        csat_max in prop_oneof![Just(5i32), Just(7i32), Just(i32::MAX)],
        top in prop_oneof![Just(0u32), 1u32..8, Just(u32::MAX)],
    ) {
        let json = format!(r#"{{"csat_scale": {{"min": 1, "max": {csat_max}}}, "csat_top_box": {top}}}"#);
        let cfg = match serde_json::from_str::<AdvocacyConfig>(&json) {
            Ok(c) => c,
            Err(e) => {
                let t = e.to_string();
                prop_assert!(t.contains(&top.to_string()) || t.contains(&csat_max.to_string()), "{}", t);
                return Ok(());
            }
        };
        let run = |xs: &[AdvocacyRow], cut: usize| {
            let cut = cut % (xs.len() + 1);
            let mut a = AdvocacyAccumulator::new(&cfg).unwrap();
            let mut b = AdvocacyAccumulator::new(&cfg).unwrap();
            for (i, x) in xs.iter().enumerate() {
                let r = if i < cut { a.add(unit(x)) } else { b.add(unit(x)) };
                if let Err(e) = r {
                    let t = e.to_string();
                    let named = [x.1, x.2, x.3].iter().any(|r| matches!(r, Reply::Given(v) if t.contains(&v.to_string())));
                    assert!(named, "{t}");
                }
            }
            let b: AdvocacyAccumulator = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
            a.merge(b).unwrap();
            let state = serde_json::to_string(&a).unwrap();
            (state, serde_json::to_string(&a.finish().unwrap()).unwrap())
        };
        let whole = run(&answers, answers.len());
        prop_assert_eq!(&run(&answers, cut), &whole);
        let mut shuffled = answers.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(&run(&shuffled, cut), &whole);
        let report: AdvocacyReport = serde_json::from_str(&whole.1).unwrap();
        prop_assert_eq!(serde_json::to_string(&report).unwrap(), whole.1.clone());
    }
}
