//! Golden tests of the CX pyramid and NPS against the reference set in
//! `tests/data` (provenance in its README.md):
//! pingouin 0.7.0 `cronbach_alpha` (section 3 of `tests/data/SEMANTICS.md`) and the
//! self-computed NPS reference (section 5), through the public API and
//! through the `pyramid` and `nps` examples' own code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/pyramid.rs"]
mod pyramid_example;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/nps.rs"]
mod nps_example;

use std::collections::HashMap;

use cxjourney::{
    Accumulator, AdvocacyAccumulator, AdvocacyAnswer, AdvocacyConfig, Dimension, Instrument,
    MissingPolicy, PyramidConfig, PyramidReport, PyramidSetup, RespondentId, Response, Responses,
};

/// The reference set (inputs in `data/`, reference outputs in `ref/`).
const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn path(rel: &str) -> String {
    format!("{PEERS}/{rel}")
}

/// Reads a small CSV into header + rows of strings.
fn csv(rel: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = ::csv::Reader::from_path(path(rel)).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn num(s: &str) -> Option<f64> {
    if s.is_empty() {
        None
    } else {
        Some(s.parse().unwrap())
    }
}

fn assert_close(got: Option<f64>, want: Option<f64>, tol: f64, what: &str) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= tol, "{what}: got {g}, want {w}"),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

fn dim_of(key: &str) -> Option<Dimension> {
    Dimension::from_short(key)
}

fn survey() -> Responses {
    let orbe = Instrument::orbe();
    let (header, rows) = csv("data/survey_small.csv");
    let ids: Vec<&str> = orbe.items().iter().map(|i| i.id.as_str()).collect();
    assert_eq!(&header[1..], ids.as_slice());
    let mut out = Responses::new(orbe.clone());
    for r in rows {
        let answers: Vec<Option<i32>> = r[1..].iter().map(|c| num(c).map(|v| v as i32)).collect();
        let resp = Response::new(&orbe, RespondentId(r[0].parse().unwrap()), &answers).unwrap();
        out.push(resp).unwrap();
    }
    out
}

fn report(policy: MissingPolicy) -> PyramidReport {
    let cfg = PyramidConfig {
        missing: policy,
        ..PyramidConfig::default()
    };
    PyramidReport::from_responses(&survey(), &cfg).unwrap()
}

/// Every row of ref/survey_small_alpha.csv, as (scope, policy, alpha, ci_low, ci_high, used, total).
fn alpha_refs() -> Vec<(String, String, f64, f64, f64, u64, u64)> {
    let (h, rows) = csv("ref/survey_small_alpha.csv");
    assert_eq!(
        h.join(","),
        "dimension,n_items,nan_policy,alpha,ci_low,ci_high,n_rows_used,n_rows_total"
    );
    rows.into_iter()
        .map(|r| {
            (
                r[0].clone(),
                r[2].clone(),
                r[3].parse().unwrap(),
                r[4].parse().unwrap(),
                r[5].parse().unwrap(),
                r[6].parse().unwrap(),
                r[7].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn alpha_and_feldt_interval_match_pingouin_through_the_api() {
    let refs = alpha_refs();
    assert_eq!(refs.len(), 12);
    for policy in [MissingPolicy::Pairwise, MissingPolicy::Listwise] {
        let rep = report(policy);
        for (scope, pol, alpha, lo, hi, used, total) in
            refs.iter().filter(|r| r.1 == policy.as_str())
        {
            let rel = match dim_of(scope) {
                Some(d) => &rep.dimensions[&d].reliability,
                None => {
                    assert_eq!(scope, "all12");
                    &rep.all_items.reliability
                }
            };
            let what = format!("{scope} {pol}");
            assert_close(rel.alpha, Some(*alpha), 1e-10, &format!("{what} alpha"));
            assert_close(
                rel.ci_low,
                Some(*lo),
                1e-3 + 1e-12,
                &format!("{what} ci_low"),
            );
            assert_close(
                rel.ci_high,
                Some(*hi),
                1e-3 + 1e-12,
                &format!("{what} ci_high"),
            );
            // The interval is exact after rounding on this data.
            assert_eq!(rel.ci_low, Some(*lo), "{what} ci_low exact");
            assert_eq!(rel.ci_high, Some(*hi), "{what} ci_high exact");
            assert_eq!(rel.n_rows_used, *used, "{what} n_rows_used");
            assert_eq!(rel.n_rows_total, *total, "{what} n_rows_total");
            assert_eq!(
                rel.feldt_n, *total,
                "{what}: Feldt n is all rows (pingouin)"
            );
        }
    }
}

#[test]
fn dimension_means_match_the_reference_through_the_api() {
    let (h, rows) = csv("ref/survey_small_dim_means.csv");
    assert_eq!(
        h.join(","),
        "dimension,mean_of_items,mean_of_respondent_means,n_respondents_with_any,n_answers"
    );
    assert_eq!(rows.len(), 5);
    for policy in [MissingPolicy::Pairwise, MissingPolicy::Listwise] {
        let rep = report(policy);
        for r in &rows {
            let d = &rep.dimensions[&dim_of(&r[0]).unwrap()];
            assert_close(
                d.mean_of_items,
                num(&r[1]),
                1e-10,
                &format!("{} mean_of_items", r[0]),
            );
            assert_close(
                d.mean_of_respondent_means,
                num(&r[2]),
                1e-10,
                &format!("{} mean_of_respondent_means", r[0]),
            );
            assert_eq!(d.n_respondents_with_any, r[3].parse::<u64>().unwrap());
            assert_eq!(d.n_answers, r[4].parse::<u64>().unwrap());
        }
    }
}

#[test]
fn respondent_means_match_the_reference_through_the_api() {
    let (h, rows) = csv("ref/survey_small_respondent_means.csv");
    let responses = survey();
    let acc = cxjourney::PyramidAccumulator::new(&PyramidSetup::default()).unwrap();
    let by_id: HashMap<u64, &Response> = responses
        .responses()
        .iter()
        .map(|r| (r.respondent().0, r))
        .collect();
    assert_eq!(rows.len(), 30);
    for r in &rows {
        let resp = by_id[&r[0].parse::<u64>().unwrap()];
        let s = acc.score_respondent(resp.answers()).unwrap();
        for (col, cell) in h.iter().zip(r).skip(1) {
            let d = dim_of(col).unwrap();
            // The reference is printed with 11 decimals.
            assert_close(
                s.dimensions[&d].mean,
                num(cell),
                1e-10,
                &format!("respondent {} {col}", r[0]),
            );
            // The score is the mean rescaled from 1-7 to 0-100 (when enough items are answered).
            if let (Some(m), Some(sc)) = (s.dimensions[&d].mean, s.dimensions[&d].score) {
                assert!((sc - 100.0 * (m - 1.0) / 6.0).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn the_pyramid_example_reproduces_every_reference_number() {
    let refs = alpha_refs();
    let (_, means) = csv("ref/survey_small_dim_means.csv");
    for policy in ["pairwise", "listwise"] {
        let args = vec![
            path("data/survey_small.csv"),
            "--missing".into(),
            policy.into(),
        ];
        let out = pyramid_example::run(&args).unwrap();
        // The exact contract's keys.
        for key in [
            "dimensions",
            "index",
            "weakest_foundation",
            "compute_seconds",
        ] {
            assert!(out.get(key).is_some(), "missing key {key}");
        }
        let dims = out["dimensions"].as_object().unwrap();
        let keys: Vec<&str> = dims.keys().map(String::as_str).collect();
        for k in ["ec", "oe", "rsn", "tr", "ful", "all12"] {
            assert!(keys.contains(&k), "missing dimension {k}");
            for field in [
                "alpha",
                "ci_low",
                "ci_high",
                "n_rows_used",
                "mean_of_items",
                "mean_of_respondent_means",
                "score_0_100",
            ] {
                assert!(dims[k].get(field).is_some(), "{k} lacks {field}");
            }
        }
        for (scope, _, alpha, lo, hi, used, _) in refs.iter().filter(|r| r.1 == policy) {
            let d = &dims[scope.as_str()];
            assert_close(d["alpha"].as_f64(), Some(*alpha), 1e-10, scope);
            assert_eq!(d["ci_low"].as_f64(), Some(*lo), "{scope} {policy}");
            assert_eq!(d["ci_high"].as_f64(), Some(*hi), "{scope} {policy}");
            assert_eq!(d["n_rows_used"].as_u64(), Some(*used), "{scope} {policy}");
        }
        for r in &means {
            let d = &dims[r[0].as_str()];
            assert_close(d["mean_of_items"].as_f64(), num(&r[1]), 1e-10, &r[0]);
            assert_close(
                d["mean_of_respondent_means"].as_f64(),
                num(&r[2]),
                1e-10,
                &r[0],
            );
        }
        assert!(out["compute_seconds"].as_f64().unwrap() >= 0.0);
    }
    // Pairwise is the default.
    let default = pyramid_example::run(&[path("data/survey_small.csv")]).unwrap();
    assert_eq!(default["missing"], "pairwise");
    assert_close(
        default["dimensions"]["ful"]["alpha"].as_f64(),
        Some(0.617700935375702),
        1e-10,
        "ful",
    );
}

/// A per-test scratch directory, removed when dropped (also when the test
/// fails).
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cxjourney-pyramid-")
        .tempdir()
        .unwrap()
}

fn write_tmp(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_pyramid_example_rejects_bad_files_with_a_clear_message() {
    let tmp = scratch();
    let header = "respondent_id,ec_1,ec_2,ec_3,oe_1,oe_2,oe_3,rsn_1,rsn_2,tr_1,tr_2,ful_1,ful_2";
    let cases = [
        (
            "header.csv",
            "id,ec_1\n1,2\n".to_owned(),
            "lacks the column \"respondent_id\"",
        ),
        (
            "text.csv",
            format!("{header}\n1,2,x,3,4,5,6,7,1,2,3,4,5\n"),
            "\"x\"",
        ),
        (
            "range.csv",
            format!("{header}\n1,2,8,3,4,5,6,7,1,2,3,4,5\n"),
            "answer 8",
        ),
        (
            "zero.csv",
            format!("{header}\n1,2,0,3,4,5,6,7,1,2,3,4,5\n"),
            "answer 0",
        ),
        (
            "ragged.csv",
            format!("{header}\n1,2,3\n"),
            "expected 13 cells, found 3",
        ),
        (
            "long.csv",
            format!("{header}\n1,2,3,3,4,5,6,7,1,2,3,4,5,6\n"),
            "found 14",
        ),
        (
            "dup.csv",
            format!("{header}\n1,,,,,,,,,,,,\n1,,,,,,,,,,,,\n"),
            "duplicate respondent 1",
        ),
        (
            "id.csv",
            format!("{header}\n,,,,,,,,,,,,\n"),
            "empty respondent_id",
        ),
        ("empty.csv", String::new(), "empty"),
    ];
    for (name, text, needle) in cases {
        let p = write_tmp(&tmp, name, &text);
        let e = pyramid_example::run(&[p]).unwrap_err();
        assert!(e.contains(needle), "{name}: {e}");
    }
    let e = pyramid_example::run(&[
        path("data/survey_small.csv"),
        "--missing".into(),
        "both".into(),
    ])
    .unwrap_err();
    assert!(e.contains("both"), "{e}");
    assert!(pyramid_example::run(&["/nonexistent/x.csv".into()]).is_err());
    // Only a header: zero rows, no panic, nothing to report.
    let p = write_tmp(&tmp, "header_only.csv", &format!("{header}\n"));
    let out = pyramid_example::run(&[p]).unwrap();
    assert!(out["dimensions"]["ec"]["alpha"].is_null());
}

fn nps_refs() -> Vec<Vec<String>> {
    let (h, rows) = csv("ref/nps_small.csv");
    assert_eq!(
        h.join(","),
        "group,n_valid,n_missing,promoters,passives,detractors,pct_promoters,pct_detractors,nps"
    );
    assert_eq!(rows.len(), 6);
    rows
}

#[test]
fn nps_matches_the_reference_through_the_api() {
    let (_, rows) = csv("data/nps_small.csv");
    let mut acc = AdvocacyAccumulator::new(&AdvocacyConfig::default()).unwrap();
    for r in &rows {
        let answer = AdvocacyAnswer::default()
            .group(r[1].as_str())
            .nps(num(&r[2]).map(|v| v as i32));
        acc.add(answer).unwrap();
    }
    let rep = acc.finish().unwrap();
    let keys: Vec<&String> = rep.groups.keys().collect();
    let refs = nps_refs();
    let ref_keys: Vec<&String> = refs.iter().skip(1).map(|r| &r[0]).collect();
    assert_eq!(keys, ref_keys, "groups sorted like the reference");
    for r in &refs {
        let g = if r[0] == "ALL" {
            &rep.all.nps
        } else {
            &rep.groups[&r[0]].nps
        };
        assert_eq!(g.n.to_string(), r[1]);
        assert_eq!(g.n_missing.to_string(), r[2]);
        assert_eq!(g.promoters.to_string(), r[3]);
        assert_eq!(g.passives.to_string(), r[4]);
        assert_eq!(g.detractors.to_string(), r[5]);
        assert_close(g.pct_promoters, num(&r[6]), 1e-9, "pct_promoters");
        assert_close(g.pct_detractors, num(&r[7]), 1e-9, "pct_detractors");
        assert_close(g.nps, num(&r[8]), 1e-9, &r[0]);
        // SE from the multinomial variance, recomputed from the reference's shares.
        let (p, d, n) = (
            num(&r[6]).unwrap() / 100.0,
            num(&r[7]).unwrap() / 100.0,
            num(&r[1]).unwrap(),
        );
        let se = 100.0 * ((p + d - (p - d).powi(2)) / n).sqrt();
        assert_close(g.se, Some(se), 1e-9, "se");
    }
}

#[test]
fn the_nps_example_reproduces_the_reference() {
    let out = nps_example::run(&[
        path("data/nps_small.csv"),
        "--group-by".into(),
        "persona".into(),
    ])
    .unwrap();
    for r in nps_refs() {
        let g = if r[0] == "ALL" {
            &out["all"]
        } else {
            &out["groups"][&r[0]]
        };
        for key in ["nps", "se", "ci_low", "ci_high", "n"] {
            assert!(g.get(key).is_some(), "{} lacks {key}", r[0]);
        }
        assert_close(g["nps"].as_f64(), num(&r[8]), 1e-9, &r[0]);
        assert_eq!(g["n"].as_u64().map(|n| n.to_string()), Some(r[1].clone()));
        let (lo, hi, nps, se) = (
            g["ci_low"].as_f64().unwrap(),
            g["ci_high"].as_f64().unwrap(),
            g["nps"].as_f64().unwrap(),
            g["se"].as_f64().unwrap(),
        );
        assert!((hi - (nps + 1.959963984540054 * se).min(100.0)).abs() < 1e-9);
        assert!((lo - (nps - 1.959963984540054 * se).max(-100.0)).abs() < 1e-9);
    }
    let plain = nps_example::run(&[path("data/nps_small.csv")]).unwrap();
    assert_eq!(plain["groups"].as_object().map(|m| m.len()), Some(0));
    assert_close(plain["all"]["nps"].as_f64(), Some(0.0), 1e-12, "all");
}

#[test]
fn the_nps_example_rejects_bad_files_with_a_clear_message() {
    let tmp = scratch();
    let cases = [
        (
            "h.csv",
            "id,persona,score\n1,a,5\n",
            "lacks the column \"respondent_id\"",
        ),
        (
            "s.csv",
            "respondent_id,persona,score\n1,a,five\n",
            "\"five\"",
        ),
        ("r.csv", "respondent_id,persona,score\n1,a,11\n", "score 11"),
        (
            "g.csv",
            "respondent_id,persona,score\n1,a\n",
            "expected 3 cells, found 2",
        ),
        (
            "d.csv",
            "respondent_id,persona,score\n1,a,5\n1,b,6\n",
            "duplicate respondent 1",
        ),
    ];
    for (name, text, needle) in cases {
        let p = write_tmp(&tmp, name, text);
        let e = nps_example::run(&[p]).unwrap_err();
        assert!(e.contains(needle), "{name}: {e}");
    }
    let e = nps_example::run(&[
        path("data/nps_small.csv"),
        "--group-by".into(),
        "channel".into(),
    ])
    .unwrap_err();
    assert!(e.contains("channel"), "{e}");
}

/// Runs an example binary, built up to date (see `cli::exe`).
fn run_example(name: &str, args: &[String]) -> std::process::Output {
    std::process::Command::new(crate::cli::exe(name))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_example_binaries_print_json_or_fail_cleanly() {
    let tmp = scratch();
    let out = run_example("pyramid", &[path("data/survey_small.csv")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_close(
        v["dimensions"]["all12"]["alpha"].as_f64(),
        Some(0.842160901696093),
        1e-10,
        "all12",
    );
    assert_eq!(v["dimensions"]["all12"]["ci_low"].as_f64(), Some(0.744));

    let out = run_example(
        "nps",
        &[
            path("data/nps_small.csv"),
            "--group-by".into(),
            "persona".into(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_close(
        v["groups"]["loyalist"]["nps"].as_f64(),
        Some(55.5555555556),
        1e-9,
        "loyalist",
    );

    let bad = write_tmp(&tmp, "bin_bad.csv", "respondent_id,ec_1\n1,2\n");
    for name in ["pyramid", "nps"] {
        let out = run_example(name, std::slice::from_ref(&bad));
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("header") && !err.contains("panicked"),
            "{name}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

/// Two items answered together by a single respondent have an undefined
/// (NaN) pairwise covariance; pingouin divides by `C.sum().sum()`, which skips
/// NaN, so alpha stays defined. Expected values from pingouin 0.7.0
/// `cronbach_alpha(nan_policy="pairwise")` on this very file.
#[test]
fn pairwise_alpha_skips_undefined_covariances_as_pingouin_does() {
    let tmp = scratch();
    let file = write_tmp(
        &tmp,
        "sparse_pairs.csv",
        "respondent_id,ec_1,ec_2,ec_3,oe_1,oe_2,oe_3,rsn_1,rsn_2,tr_1,tr_2,ful_1,ful_2\n\
         1,1,,2,1,2,3,1,2,3,4,5,6\n\
         2,3,,5,2,2,4,2,2,3,5,5,7\n\
         3,,4,1,5,6,7,1,3,4,4,4,6\n\
         4,,6,7,3,3,3,5,5,5,5,5,5\n\
         5,2,2,3,1,1,2,7,7,7,7,7,7\n",
    );
    let out = pyramid_example::run(&[file]).unwrap();
    let ec = &out["dimensions"]["ec"];
    assert_close(
        ec["alpha"].as_f64(),
        Some(0.756_880_733_944_954_1),
        1e-10,
        "ec alpha",
    );
    assert_close(ec["ci_low"].as_f64(), Some(-0.228), 1e-12, "ec ci_low");
    assert_close(ec["ci_high"].as_f64(), Some(0.973), 1e-12, "ec ci_high");
    let all = &out["dimensions"]["all12"];
    assert_close(
        all["alpha"].as_f64(),
        Some(0.470_930_232_558_139_6),
        1e-10,
        "all12 alpha",
    );
    assert_close(all["ci_low"].as_f64(), Some(-0.637), 1e-12, "all12 ci_low");
    assert_close(all["ci_high"].as_f64(), Some(0.937), 1e-12, "all12 ci_high");
}
