//! Attribution against the reference set (`tests/data`, section 1 of
//! SEMANTICS.md): the exact Markov removal effects and allocations of order
//! 1 and 2 (to 1e-9), ChannelAttribution's simulated Markov model (within
//! its simulation error), its heuristics and transition matrix, mam's
//! position-based model and removal effects, and mam's journey-level
//! heuristics with time decay, through the API and through the
//! `attribution` example.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::TimeDelta;
use cxjourney::Error;
use cxjourney::attribution::{
    AttributionConfig, AttributionReport, FirstTouch, LastTouch, Linear, Markov, Model, PathSet,
    PositionBased, State, TimeDecay,
};

const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// `channel -> column -> number` from a reference CSV keyed by `channel_name`.
fn reference(name: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let text = std::fs::read_to_string(format!("{PEERS}/ref/{name}")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let mut row = BTreeMap::new();
        for (h, v) in header.iter().zip(record.iter()).skip(1) {
            row.insert(h.clone(), v.parse::<f64>().unwrap());
        }
        out.insert(record[0].to_owned(), row);
    }
    out
}

fn input(name: &str) -> Vec<u8> {
    std::fs::read(format!("{PEERS}/data/{name}")).unwrap()
}

fn paths() -> PathSet {
    PathSet::parse_csv(&input("attribution_paths_small.csv")).unwrap()
}

/// `|a - b| <= rel * |b|`, or `<= abs` (for values near 0).
#[track_caller]
fn close(what: &str, a: f64, b: f64, rel: f64, abs: f64) {
    let d = (a - b).abs();
    assert!(
        d <= rel * b.abs() || d <= abs,
        "{what}: {a} vs reference {b} (difference {d:e}, relative {:e})",
        d / b.abs()
    );
}

#[test]
fn totals_and_conversion_probability() {
    let p = paths();
    assert_eq!(p.total_conversions(), 102);
    assert_eq!(p.total_nulls(), 297);
    close("value", p.total_value(), 8178.29, 1e-12, 0.0);
    let m = Markov::order(1).solve(&p).unwrap();
    close(
        "P(conv)",
        m.conversion_probability,
        0.2556390977443609,
        1e-14,
        0.0,
    );
    assert_eq!(m.states, 8);
    assert_eq!(Markov::order(2).solve(&p).unwrap().states, 64);
}

fn check_exact_markov(order: u8, file: &str) {
    let reference = reference(file);
    let result = Markov::order(order).solve(&paths()).unwrap();
    assert_eq!(result.channels.len(), reference.len());
    for (name, r) in &reference {
        let m = &result.channels[name];
        let what = format!("order {order} {name}");
        close(
            &format!("{what} RE"),
            m.removal_effect,
            r["removal_effect"],
            1e-9,
            1e-9,
        );
        close(
            &format!("{what} REV"),
            m.removal_effect_value,
            r["removal_effect_value"],
            1e-9,
            1e-9,
        );
        close(
            &format!("{what} conv"),
            m.conversions,
            r["total_conversions"],
            1e-9,
            0.0,
        );
        close(
            &format!("{what} value"),
            m.value,
            r["total_conversion_value"],
            1e-9,
            0.0,
        );
    }
    let conv: f64 = result.channels.values().map(|c| c.conversions).sum();
    let value: f64 = result.channels.values().map(|c| c.value).sum();
    close("conserved conversions", conv, 102.0, 1e-12, 0.0);
    close("conserved value", value, 8178.29, 1e-12, 0.0);
}

#[test]
fn exact_markov_order_1_and_2() {
    check_exact_markov(1, "attribution_small_exact_markov_o1.csv");
    check_exact_markov(2, "attribution_small_exact_markov_o2.csv");
}

#[test]
fn mam_removal_effects() {
    let reference = reference("attribution_small_mam_markov_removal.csv");
    let result = Markov::order(1).solve(&paths()).unwrap();
    for (name, r) in &reference {
        close(
            name,
            result.channels[name].removal_effect,
            r["removal_effect"],
            1e-9,
            1e-9,
        );
    }
}

/// ChannelAttribution's simulated Markov model, within the tolerances of
/// SEMANTICS.md ("precise": 3% relative, 0.01 absolute on removal effects;
/// "default": 6%, 0.05).
#[test]
fn channelattribution_simulated_markov() {
    for (file, order, rel, abs) in [
        ("attribution_small_ca_markov_o1_precise.csv", 1, 0.03, 0.01),
        ("attribution_small_ca_markov_o2_precise.csv", 2, 0.03, 0.01),
        ("attribution_small_ca_markov_o1_default.csv", 1, 0.06, 0.05),
    ] {
        let reference = reference(file);
        let result = Markov::order(order).solve(&paths()).unwrap();
        for (name, r) in &reference {
            let m = &result.channels[name];
            let what = format!("{file} {name}");
            close(&what, m.conversions, r["total_conversions"], rel, 0.0);
            close(&what, m.value, r["total_conversion_value"], rel, 0.0);
            close(
                &what,
                m.removal_effect,
                r["removal_effects_conversion"],
                0.0,
                abs,
            );
            close(
                &what,
                m.removal_effect_value,
                r["removal_effects_conversion_value"],
                0.0,
                abs,
            );
        }
    }
}

/// The order-1 transition matrix equals ChannelAttribution's, whose channel
/// ids number the channels in order of first appearance in the file.
#[test]
fn channelattribution_transition_matrix() {
    let p = paths();
    let ids: BTreeMap<String, String> = p
        .channels()
        .enumerate()
        .map(|(i, c)| (c.to_owned(), (i + 1).to_string()))
        .collect();
    let name = |s: &State| match s {
        State::Channels(c) => ids[&c[0]].clone(),
        other => other.to_string(),
    };
    let ours: BTreeMap<(String, String), f64> = Markov::order(1)
        .solve(&p)
        .unwrap()
        .transition_matrix()
        .iter()
        .map(|t| ((name(&t.from), name(&t.to)), t.probability))
        .collect();
    let text = std::fs::read_to_string(format!(
        "{PEERS}/ref/attribution_small_ca_transition_matrix_o1.csv"
    ))
    .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut n = 0;
    for record in reader.records() {
        let r = record.unwrap();
        let key = (r[0].to_owned(), r[1].to_owned());
        let q: f64 = r[2].parse().unwrap();
        close(&format!("{key:?}"), ours[&key], q, 1e-9, 0.0);
        n += 1;
    }
    assert_eq!(n, ours.len());
}

#[test]
fn channelattribution_heuristics() {
    let reference = reference("attribution_small_ca_heuristic.csv");
    let p = paths();
    let models: [(&str, &dyn Model); 3] = [
        ("first_touch", &FirstTouch),
        ("last_touch", &LastTouch),
        ("linear_touch", &Linear),
    ];
    for (column, model) in models {
        let credit = model.attribute(&p).unwrap();
        for (name, r) in &reference {
            let c = credit[name.as_str()];
            close(
                &format!("{column} {name}"),
                c.conversions,
                r[&format!("{column}_conversions")],
                1e-9,
                1e-6,
            );
            close(
                &format!("{column} {name}"),
                c.value,
                r[&format!("{column}_value")],
                1e-9,
                1e-6,
            );
        }
    }
}

#[test]
fn mam_position_based_on_paths() {
    let reference = reference("attribution_small_mam_paths.csv");
    let p = paths();
    let models: [(&str, &dyn Model); 4] = [
        ("first_touch", &FirstTouch),
        ("last_touch", &LastTouch),
        ("linear_touch", &Linear),
        ("position_based", &PositionBased::default()),
    ];
    for (column, model) in models {
        let credit = model.attribute(&p).unwrap();
        for (name, r) in &reference {
            let c = credit[name.as_str()];
            close(
                &format!("{column} {name}"),
                c.conversions,
                r[&format!("{column}_conversions")],
                1e-9,
                1e-6,
            );
            close(
                &format!("{column} {name}"),
                c.value,
                r[&format!("{column}_value")],
                1e-9,
                1e-6,
            );
        }
    }
}

#[test]
fn mam_journeys_with_time_decay() {
    let reference = reference("journeys_small_mam.csv");
    for (hl, column) in [(168, "time_decay_hl168"), (24, "time_decay_hl24")] {
        let p = PathSet::parse_journeys_csv(
            &input("attribution_journeys_small.csv"),
            TimeDelta::hours(hl),
        )
        .unwrap();
        assert_eq!(p.total_conversions(), 68);
        assert_eq!(p.total_conversions() + p.total_nulls(), 200);
        close("value", p.total_value(), 5231.18, 1e-12, 0.0);
        let models: [(&str, &dyn Model); 5] = [
            ("first_touch", &FirstTouch),
            ("last_touch", &LastTouch),
            ("linear_touch", &Linear),
            ("position_based", &PositionBased::default()),
            (column, &TimeDecay),
        ];
        for (column, model) in models {
            let credit = model.attribute(&p).unwrap();
            for (name, r) in &reference {
                let c = credit[name.as_str()];
                close(
                    &format!("{column} {name}"),
                    c.conversions,
                    r[&format!("{column}_conversions")],
                    1e-9,
                    1e-6,
                );
                close(
                    &format!("{column} {name}"),
                    c.value,
                    r[&format!("{column}_value")],
                    1e-9,
                    1e-6,
                );
            }
        }
    }
}

#[test]
fn report_conserves_every_model() {
    let config = AttributionConfig {
        ordered_shapley: true,
        ..AttributionConfig::default()
    };
    let report = AttributionReport::from_paths(&paths(), &config).unwrap();
    assert_eq!(report.channels.len(), 8);
    let sum = |f: &dyn Fn(&cxjourney::attribution::ChannelReport) -> (f64, f64)| {
        report
            .channels
            .values()
            .map(f)
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    let all: [(&str, (f64, f64)); 8] = [
        (
            "first",
            sum(&|c| (c.first_touch.conversions, c.first_touch.value)),
        ),
        (
            "last",
            sum(&|c| (c.last_touch.conversions, c.last_touch.value)),
        ),
        (
            "lnd",
            sum(&|c| (c.last_non_direct.conversions, c.last_non_direct.value)),
        ),
        ("linear", sum(&|c| (c.linear.conversions, c.linear.value))),
        (
            "position",
            sum(&|c| (c.position_based.conversions, c.position_based.value)),
        ),
        ("markov", sum(&|c| (c.markov.conversions, c.markov.value))),
        (
            "shapley",
            sum(&|c| (c.shapley.conversions, c.shapley.value)),
        ),
        (
            "exact",
            sum(&|c| {
                let e = c.shapley_exact.unwrap();
                (e.conversions, e.value)
            }),
        ),
    ];
    for (what, (conv, value)) in all {
        close(what, conv, 102.0, 1e-12, 0.0);
        close(what, value, 8178.29, 1e-12, 0.0);
    }
    assert!(report.channels.values().all(|c| c.time_decay.is_none()));
    let ordered = report.ordered_shapley.as_ref().unwrap();
    for (name, positions) in ordered {
        let s: f64 = positions.iter().map(|c| c.conversions).sum();
        close(
            name,
            s,
            report.channels[name].shapley.conversions,
            1e-12,
            1e-12,
        );
    }
    let text = report.to_string();
    assert!(
        text.contains("marketplace") && text.contains("markov"),
        "{text}"
    );
    assert!(
        !text.contains("shap_ex"),
        "equal to the simplified value: {text}"
    );
}

/// Runs the example; its JSON, or its exit code and stderr.
fn run_example(args: &[&str]) -> Result<serde_json::Value, (i32, String)> {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--example", "attribution", "--"])
        .args(args)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn example_reproduces_the_references() {
    let file = format!("{PEERS}/data/attribution_paths_small.csv");
    for (order, exact) in [
        ("1", "attribution_small_exact_markov_o1.csv"),
        ("2", "attribution_small_exact_markov_o2.csv"),
    ] {
        let json = run_example(&[&file, "--order", order]).unwrap();
        close(
            "p",
            num(&json["conversion_probability"]),
            0.2556390977443609,
            1e-12,
            0.0,
        );
        assert!(num(&json["compute_seconds"]) >= 0.0);
        let channels = json["channels"].as_object().unwrap();
        assert_eq!(channels.len(), 8);
        for (name, r) in reference(exact) {
            let m = &channels[&name]["markov"];
            close(
                &name,
                num(&m["removal_effect"]),
                r["removal_effect"],
                1e-9,
                1e-9,
            );
            close(
                &name,
                num(&m["conversions"]),
                r["total_conversions"],
                1e-9,
                0.0,
            );
            close(
                &name,
                num(&m["value"]),
                r["total_conversion_value"],
                1e-9,
                0.0,
            );
            let mut keys: Vec<&String> = channels[&name].as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(
                keys,
                [
                    "first_touch",
                    "last_touch",
                    "linear",
                    "markov",
                    "position_based",
                    "shapley"
                ]
            );
        }
        for (name, r) in reference("attribution_small_mam_paths.csv") {
            for (key, column) in [
                ("first_touch", "first_touch"),
                ("last_touch", "last_touch"),
                ("linear", "linear_touch"),
                ("position_based", "position_based"),
            ] {
                let c = &channels[&name][key];
                close(
                    &name,
                    num(&c["conversions"]),
                    r[&format!("{column}_conversions")],
                    1e-9,
                    1e-6,
                );
                close(
                    &name,
                    num(&c["value"]),
                    r[&format!("{column}_value")],
                    1e-9,
                    1e-6,
                );
            }
        }
    }
    let journeys = format!("{PEERS}/data/attribution_journeys_small.csv");
    for (hl, column) in [("168", "time_decay_hl168"), ("24", "time_decay_hl24")] {
        let json = run_example(&["--journeys", &journeys, "--half-life-hours", hl]).unwrap();
        close(
            "p",
            num(&json["conversion_probability"]),
            68.0 / 200.0,
            1e-12,
            0.0,
        );
        let channels = json["channels"].as_object().unwrap();
        for (name, r) in reference("journeys_small_mam.csv") {
            for (key, col) in [
                ("first_touch", "first_touch"),
                ("last_touch", "last_touch"),
                ("linear", "linear_touch"),
                ("position_based", "position_based"),
                ("time_decay", column),
            ] {
                let c = &channels[&name][key];
                close(
                    &name,
                    num(&c["conversions"]),
                    r[&format!("{col}_conversions")],
                    1e-9,
                    1e-6,
                );
                close(
                    &name,
                    num(&c["value"]),
                    r[&format!("{col}_value")],
                    1e-9,
                    1e-6,
                );
            }
        }
    }
}

#[path = "../examples/common/paths_gen.rs"]
mod paths_gen;

/// `--models heuristics` reads a path file in pieces (a large one in two
/// parts at once): the same figures as every model's run, and an error in
/// the second part still names its line in the file.
#[test]
fn example_heuristics_stream_the_same_figures() {
    let dir = tempfile::Builder::new()
        .prefix("cxjourney-attribution-")
        .tempdir()
        .unwrap();
    let big = dir.path().join("paths.csv");
    let text = paths_gen::paths_csv(60_000, 3);
    assert!(text.len() > 1 << 22);
    std::fs::write(&big, &text).unwrap();
    let small = format!("{PEERS}/data/attribution_paths_small.csv");
    for file in [small.as_str(), big.to_str().unwrap()] {
        let all = run_example(&[file]).unwrap();
        let rules = run_example(&["--models", "heuristics", file]).unwrap();
        assert_eq!(
            rules["conversion_probability"],
            all["conversion_probability"]
        );
        let (a, r) = (
            all["channels"].as_object().unwrap(),
            rules["channels"].as_object().unwrap(),
        );
        assert_eq!(a.len(), r.len());
        for (name, c) in r {
            for key in ["first_touch", "last_touch", "linear", "position_based"] {
                assert_eq!(c[key], a[name][key], "{file} {name} {key}");
            }
            assert!(c.get("markov").is_none() && c.get("shapley").is_none());
        }
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{text}search,-1,0,1\n")).unwrap();
    let line = text.lines().count() + 1;
    let (code, err) = run_example(&["--models", "heuristics", bad.to_str().unwrap()]).unwrap_err();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("line {line}: total_conversions")),
        "{err}"
    );
}

#[test]
fn example_rejects_bad_input_with_one_line() {
    let dir = tempfile::Builder::new()
        .prefix("cxjourney-attribution-")
        .tempdir()
        .unwrap();
    let cases: &[(&str, &str)] = &[
        ("path,total_conversions\n > ,1\n", "line 2: path"),
        ("path,total_null\na,1\n", "total_conversions"),
        (
            "path,total_conversions\na,-2\n",
            "line 2: total_conversions \"-2\"",
        ),
        ("path,total_conversions\na,1,3\n", "line 2: row"),
        ("", "empty input"),
    ];
    for (i, (text, expect)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("bad{i}.csv"));
        std::fs::write(&f, text).unwrap();
        for models in ["all", "heuristics"] {
            let (code, err) = run_example(&["--models", models, f.to_str().unwrap()]).unwrap_err();
            assert_eq!(code, 2, "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.starts_with("error: ") && err.contains(expect),
                "{text:?}: {err}"
            );
        }
    }
    for args in [
        vec!["--order", "5", "x.csv"],
        vec![],
        vec!["a.csv", "b.csv"],
        vec!["a.csv", "--half-life-hours", "24"],
        vec!["--journeys", "a.csv", "--half-life-hours", "-1"],
        vec!["/nonexistent/file.csv"],
    ] {
        let (code, err) = run_example(&args).unwrap_err();
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn api_errors_name_the_problem() {
    let e = PathSet::parse_csv(b"path,total_conversions\na > b,x\n").unwrap_err();
    assert!(matches!(e, Error::InvalidRecord { line: 2, .. }), "{e}");
    assert!(e.to_string().contains("\"x\""), "{e}");
    let e = TimeDecay.attribute(&paths()).unwrap_err();
    assert!(matches!(e, Error::InvalidConfig { .. }));
}
