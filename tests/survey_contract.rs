//! The accumulator contract for the survey analyses, checked once,
//! generically, over units that are survey answers: merging parts equals the
//! whole, states survive a JSON round trip, merged states serialize like the
//! whole's, and a refused unit changes nothing. Run for the pyramid and for
//! advocacy on random answer sets (missing answers, both missing policies,
//! reverse-coded items, groups, refused answers).

use cxjourney::{
    Accumulator, AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, Dimension, Instrument, Item,
    MissingPolicy, PyramidAccumulator, PyramidConfig, PyramidSetup, Reply, RespondentId, Response,
    Scale,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The accumulator laws over a slice of units: accumulate the parts cut at
/// `cuts`, round-trip each state through JSON, merge them in reverse order,
/// and compare the finished report (as a `serde_json::Value`) and the
/// serialized state with the whole's. Units the accumulator refuses are
/// refused in the parts too and change nothing.
pub fn check_response_contract<A, U, F>(
    config: &A::Config,
    units: &[U],
    cuts: &[prop::sample::Index],
    unit: F,
) where
    A: Accumulator,
    A::Report: Serialize,
    F: for<'a> Fn(&'a U) -> A::Unit<'a>,
{
    let n = units.len();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(n + 1)).collect();
    bounds.extend([0, n]);
    bounds.sort_unstable();
    let mut whole = A::new(config).unwrap();
    let refused: Vec<bool> = units.iter().map(|u| whole.add(unit(u)).is_err()).collect();
    let mut parts: Vec<A> = bounds
        .windows(2)
        .map(|w| {
            let mut acc = A::new(config).unwrap();
            for (u, &r) in units[w[0]..w[1]].iter().zip(&refused[w[0]..w[1]]) {
                assert_eq!(
                    acc.add(unit(u)).is_err(),
                    r,
                    "a unit refused in one place only"
                );
            }
            round_trip(&acc)
        })
        .collect();
    parts.reverse();
    let mut merged = A::new(config).unwrap();
    for p in parts {
        merged.merge(p).unwrap();
    }
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        serde_json::to_value(&whole).unwrap(),
        "merged state differs from the whole's"
    );
    let a = serde_json::to_value(whole.finish().unwrap()).unwrap();
    let b = serde_json::to_value(merged.finish().unwrap()).unwrap();
    assert_eq!(a, b);
}

fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

/// ORBE, or a small custom instrument on 1-5 with a reverse-coded item.
fn arb_instrument() -> impl Strategy<Value = Instrument> {
    prop_oneof![
        2 => Just(Instrument::orbe()),
        1 => Just(
            Instrument::new(
                "custom",
                Scale::likert5(),
                vec![
                    Item::new("a", Dimension::Trust, "A"),
                    Item::new("b", Dimension::Trust, "B").reversed(),
                    Item::new("c", Dimension::Fulfilment, "C"),
                    Item::new("d", Dimension::EmotionalConnection, "D"),
                ],
            )
            .unwrap()
        ),
    ]
}

fn arb_config() -> impl Strategy<Value = PyramidConfig> {
    (any::<bool>(), any::<bool>(), 1usize..=5, 0.0f64..3.0).prop_map(
        |(listwise, gating, min_dimensions, trust_weight)| {
            let mut config = PyramidConfig {
                missing: if listwise {
                    MissingPolicy::Listwise
                } else {
                    MissingPolicy::Pairwise
                },
                gating,
                min_dimensions,
                ..PyramidConfig::default()
            };
            config.weights.insert(Dimension::Trust, trust_weight);
            config
        },
    )
}

/// Rows of answers to `instrument`: mostly on the scale, some missing, a few
/// rows with nothing, a rare answer off the scale (refused).
fn arb_rows(k: usize, scale: Scale) -> impl Strategy<Value = Vec<Vec<Option<i32>>>> {
    let answer = prop_oneof![
        40 => (scale.min()..=scale.max()).prop_map(Some),
        6 => Just(None),
        1 => Just(Some(scale.max() + 1)),
    ];
    let row = prop_oneof![
        30 => proptest::collection::vec(answer, k),
        1 => Just(vec![None; k]),
    ];
    proptest::collection::vec(row, 0..700)
}

fn arb_reply(min: i32, max: i32) -> impl Strategy<Value = Reply> {
    prop_oneof![
        2 => Just(Reply::NotAsked),
        2 => Just(Reply::Skipped),
        12 => (min..=max).prop_map(Reply::Given),
        1 => Just(Reply::Given(max + 1)),
    ]
}

/// (group, NPS, CSAT, CES) with the groups drawn from a small pool.
type AdvocacyRow = (Option<String>, Reply, Reply, Reply);

fn arb_advocacy(csat_max: i32) -> impl Strategy<Value = Vec<AdvocacyRow>> {
    let group = proptest::option::of(prop_oneof![
        Just(String::new()),
        "[a-c]{1,2}",
        Just("loyal".to_owned()),
    ]);
    proptest::collection::vec(
        (
            group,
            arb_reply(0, 10),
            arb_reply(1, csat_max),
            arb_reply(1, 7),
        ),
        0..300,
    )
}

fn advocacy_unit(row: &AdvocacyRow) -> AdvocacyAnswer<'_> {
    AdvocacyAnswer::default()
        .group(row.0.as_deref())
        .nps(row.1)
        .csat(row.2)
        .ces(row.3)
}

fn response_unit(r: &Response) -> &Response {
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn pyramid_keeps_the_contract(
        (instrument, rows) in arb_instrument().prop_flat_map(|i| {
            let rows = arb_rows(i.items().len(), i.scale());
            (Just(i), rows)
        }),
        config in arb_config(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        // Responses are built without checks against the scale only through
        // a wider instrument, so off-scale answers reach `add` (and are refused).
        let wide = Instrument::new(
            "wide",
            Scale::new(-3, 11).unwrap(),
            instrument.items().to_vec(),
        )
        .unwrap();
        let responses: Vec<Response> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| Response::new(&wide, RespondentId(i as u64), r).unwrap())
            .collect();
        let setup = PyramidSetup::new(instrument, config);
        check_response_contract::<PyramidAccumulator, _, _>(&setup, &responses, &cuts, response_unit);
    }

    #[test]
    fn advocacy_keeps_the_contract(
        (config, rows) in prop_oneof![
            Just(AdvocacyConfig::default()),
            Just(AdvocacyConfig { csat_scale: Scale::likert7(), csat_top_box: 3, ..AdvocacyConfig::default() }),
        ]
        .prop_flat_map(|c| {
            let rows = arb_advocacy(c.csat_scale.max());
            (Just(c), rows)
        }),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        check_response_contract::<AdvocacyAccumulator, _, _>(&config, &rows, &cuts, advocacy_unit);
    }
}

#[test]
fn merging_different_setups_is_a_mismatch() {
    let listwise = PyramidSetup::new(
        Instrument::orbe(),
        PyramidConfig {
            missing: MissingPolicy::Listwise,
            ..PyramidConfig::default()
        },
    );
    let mut a = PyramidAccumulator::new(&PyramidSetup::default()).unwrap();
    let b = PyramidAccumulator::new(&listwise).unwrap();
    assert!(matches!(a.merge(b), Err(cxjourney::Error::Mismatch { .. })));
    let mut c = AdvocacyAccumulator::new(&AdvocacyConfig::default()).unwrap();
    let d = AdvocacyAccumulator::new(&AdvocacyConfig {
        csat_top_box: 1,
        ..AdvocacyConfig::default()
    })
    .unwrap();
    assert!(matches!(c.merge(d), Err(cxjourney::Error::Mismatch { .. })));
}

#[test]
fn a_pyramid_state_is_checked_against_its_setup() {
    let orbe = Instrument::orbe();
    let mut acc = PyramidAccumulator::new(&PyramidSetup::default()).unwrap();
    for id in 0..3 {
        acc.add(&Response::new(&orbe, RespondentId(id), &[Some(5); 12]).unwrap())
            .unwrap();
    }
    let json = serde_json::to_value(&acc).unwrap();
    let back: PyramidAccumulator = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
    // A table of the wrong size, a count beyond the rows, an unknown field.
    let mut short = json.clone();
    short["sums"].as_array_mut().unwrap().pop();
    assert!(serde_json::from_value::<PyramidAccumulator>(short).is_err());
    let mut big = json.clone();
    big["miss1"][0] = serde_json::json!(4);
    assert!(serde_json::from_value::<PyramidAccumulator>(big).is_err());
    let mut extra = json;
    extra["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<PyramidAccumulator>(extra).is_err());
}
