//! The command-line examples (`pyramid`, `nps`, `personas`, `funnel`,
//! `patterns`, `retention`)
//! run as processes on real-world CSV variations of the reference files
//! (which must give the same output as the canonical file) and on malformed
//! input (which must give one `error: ...` line naming the problem and a
//! non-zero exit code, never a panic).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The reference inputs (tests/data/README.md says where each comes from).
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/data");

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).unwrap()
}

/// The example, built up to date in the test's own profile (once per test
/// process and example: a no-op for `cargo test`, which builds the examples
/// itself, and a fresh build for `cargo test --release --test integration`,
/// which does not, so a stale binary from an earlier build is never run).
pub(crate) fn exe(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == name) {
        let mut build = Command::new(env!("CARGO"));
        build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--example", name]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status().unwrap();
        assert!(status.success(), "cannot build the {name} example");
        built.push(name.to_owned());
    }
    path
}

/// A per-test scratch directory: removed with every file in it when dropped,
/// also when the test fails (the panic unwinds through the drop).
struct Scratch {
    dir: tempfile::TempDir,
    n: Cell<usize>,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("cxjourney-cli-")
            .tempdir()
            .unwrap();
        Self {
            dir,
            n: Cell::new(0),
        }
    }

    /// A new file in the directory holding `bytes`.
    fn file(&self, bytes: impl AsRef<[u8]>) -> PathBuf {
        let n = self.n.get();
        self.n.set(n + 1);
        let path = self.dir.path().join(format!("{n}.csv"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The directory itself (an existing path that is not a file).
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(name: &str, args: &[&str]) -> Out {
    let out = Command::new(exe(name)).args(args).output().unwrap();
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The printed JSON without `compute_seconds` (a timing).
fn json(out: &Out, what: &str) -> Value {
    assert_eq!(out.code, Some(0), "{what}: {}", out.stderr);
    let mut v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", out.stdout));
    v.as_object_mut()
        .unwrap()
        .remove("compute_seconds")
        .unwrap();
    v
}

/// A clean failure: non-zero exit (not a panic's 101), nothing on stdout,
/// one `error: ` line on stderr holding every needle.
fn assert_error(out: &Out, needles: &[&str], what: &str) {
    assert!(
        out.code.is_some_and(|c| c != 0 && c != 101),
        "{what}: exit {:?}, stderr {}",
        out.code,
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{what}: printed {}", out.stdout);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{what}: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    for n in needles {
        assert!(
            out.stderr.contains(n),
            "{what}: {n:?} not in {}",
            out.stderr
        );
    }
}

/// The records of a CSV text, header included (blank lines skipped).
fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

fn join(rows: &[Vec<String>], eol: &str) -> String {
    rows.iter().map(|r| r.join(",") + eol).collect()
}

/// Real-world spellings of the same table (a canonical file without quotes):
/// CRLF, BOM, no final newline, blank lines, spaces around cells, every
/// field quoted, columns in reverse order with an extra quoted column.
fn variations(text: &str) -> Vec<(&'static str, String)> {
    let table = rows(text);
    let crlf = join(&table, "\r\n");
    let spaced: Vec<Vec<String>> = table
        .iter()
        .map(|r| r.iter().map(|c| format!(" {c}\t")).collect())
        .collect();
    let quoted: Vec<Vec<String>> = table
        .iter()
        .map(|r| r.iter().map(|c| quote(c)).collect())
        .collect();
    let reordered: Vec<Vec<String>> = table
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r: Vec<String> = r.iter().rev().cloned().collect();
            r.insert(
                1,
                if i == 0 {
                    "note".into()
                } else {
                    quote("a, \"b\"")
                },
            );
            r
        })
        .collect();
    let mut blank = String::from("\n");
    for (i, l) in join(&table, "\n").lines().enumerate() {
        blank.push_str(l);
        blank.push_str(if i % 7 == 3 { "\n\n  \n" } else { "\n" });
    }
    blank.push_str("\n\n");
    vec![
        ("crlf", crlf.clone()),
        ("bom", format!("\u{feff}{crlf}")),
        ("no final newline", join(&table, "\n").trim_end().to_owned()),
        ("blank lines", blank),
        ("spaces", join(&spaced, "\n")),
        ("quoted", join(&quoted, "\r\n")),
        ("reordered + extra column", join(&reordered, "\n")),
    ]
}

/// `text` with line `n` (1-based, header = 1) replaced by `f(line)`.
fn edit(text: &str, n: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { f(l) } else { l.to_owned() } + "\n")
        .collect()
}

/// Replaces cell `c` of line `n` (of a file without quotes) by the raw text
/// `v`, which may be malformed on purpose.
fn set_cell(text: &str, n: usize, c: usize, v: &str) -> String {
    edit(text, n, |l| {
        let mut cells = rows(l).remove(0);
        cells[c] = v.to_owned();
        cells.join(",")
    })
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Failures that every example shares: empty file, header only (where that
/// is an error), nonexistent path, a directory, bytes that are not UTF-8.
fn common_failures(name: &str, header: &str, extra: &[&str]) {
    let tmp = Scratch::new();
    let empty = tmp.file("");
    let blank = tmp.file("\n \r\n\n");
    let mut bytes = format!("{header}\n").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe,2024-01-01T00:00:00Z,a\n");
    let not_utf8 = tmp.file(bytes);
    for (path, needle) in [
        (p(&empty).to_owned(), "empty"),
        (p(&blank).to_owned(), "empty"),
        (
            "/nonexistent/cxjourney.csv".to_owned(),
            "/nonexistent/cxjourney.csv",
        ),
        (p(tmp.path()).to_owned(), "directory"),
        (p(&not_utf8).to_owned(), "line 2"),
    ] {
        let mut args: Vec<&str> = extra.to_vec();
        args.push(&path);
        assert_error(&run(name, &args), &[needle], &format!("{name} {path}"));
    }
}

#[test]
fn pyramid_accepts_csv_variations_and_refuses_bad_input() {
    let tmp = Scratch::new();
    let text = data("survey_small.csv");
    let canon = tmp.file(&text);
    let expected = json(&run("pyramid", &[p(&canon)]), "canonical");
    for (what, v) in variations(&text) {
        let f = tmp.file(v);
        assert_eq!(json(&run("pyramid", &[p(&f)]), what), expected, "{what}");
    }
    // Text and unicode respondent ids, quoted, give the same scores.
    let ids = edit(&text, 3, |l| l.replacen("2,", "\"ü \"\"R2\"\"\",", 1));
    let f = tmp.file(ids);
    assert_eq!(json(&run("pyramid", &[p(&f)]), "text ids"), expected);
    // `7.0` and ` "7" ` are the answer 7.
    let f = tmp.file(set_cell(&text, 3, 1, "7.0"));
    assert_eq!(json(&run("pyramid", &[p(&f)]), "7.0"), expected);
    let f = tmp.file(set_cell(&text, 3, 1, " \" 7 \" "));
    assert_eq!(json(&run("pyramid", &[p(&f)]), "quoted 7"), expected);
    // Flags in another order.
    let listwise = json(&run("pyramid", &[p(&canon), "--missing", "listwise"]), "lw");
    assert_eq!(
        json(
            &run("pyramid", &["--missing", "listwise", p(&canon)]),
            "lw2"
        ),
        listwise
    );
    // A header alone and a single row are fine.
    let header = text.lines().next().unwrap().to_owned();
    let one = tmp.file(format!("{header}\n"));
    let v = json(&run("pyramid", &[p(&one)]), "header only");
    assert_eq!(v["dimensions"]["ec"]["n_rows_used"], 0);
    let single = tmp.file(text.lines().take(2).collect::<Vec<_>>().join("\n"));
    let v = json(&run("pyramid", &[p(&single)]), "single row");
    assert_eq!(v["n_rows"], 1);

    let bad: Vec<(String, Vec<&str>)> = vec![
        (set_cell(&text, 3, 1, "x"), vec!["line 3", "ec_1", "\"x\""]),
        (set_cell(&text, 3, 1, "-1"), vec!["line 3", "ec_1", "-1"]),
        (set_cell(&text, 3, 1, "8"), vec!["line 3", "8"]),
        (
            set_cell(&text, 4, 2, "99999999999999999999"),
            vec!["line 4", "ec_2", "99999999999999999999"],
        ),
        (set_cell(&text, 3, 1, "5.5"), vec!["line 3", "5.5"]),
        (set_cell(&text, 3, 1, "NaN"), vec!["line 3", "NaN"]),
        (set_cell(&text, 3, 0, "1"), vec!["line 3", "duplicate", "1"]),
        (set_cell(&text, 3, 0, "007"), vec!["line 3", "duplicate"]),
        (
            set_cell(&text, 3, 0, ""),
            vec!["line 3", "empty respondent_id"],
        ),
        (edit(&text, 5, |l| format!("{l},9")), vec!["line 5", "14"]),
        (
            edit(&text, 5, |l| l.rsplit_once(',').unwrap().0.to_owned()),
            vec!["line 5", "12"],
        ),
        (text.replacen(",ful_2", "", 1), vec!["line 1", "ful_2"]),
        (
            text.replacen("ec_1", "ec_2", 1),
            vec!["line 1", "ec_2", "twice"],
        ),
        (
            edit(&text, 3, |l| format!("\"{l}")),
            vec!["line 3", "quote"],
        ),
        (
            edit(&text, 3, |l| l.replacen(",7", ",7\"", 1)),
            vec!["line 3", "quote"],
        ),
    ];
    for (i, (body, needles)) in bad.into_iter().enumerate() {
        let f = tmp.file(body);
        assert_error(
            &run("pyramid", &[p(&f)]),
            &needles,
            &format!("pyramid bad {i}"),
        );
    }
    common_failures("pyramid", "respondent_id", &[]);
    assert_error(&run("pyramid", &[]), &["usage"], "no args");
    assert_error(
        &run("pyramid", &[p(&canon), "--bogus"]),
        &["--bogus"],
        "flag",
    );
    assert_error(
        &run("pyramid", &[p(&canon), "--missing"]),
        &["--missing"],
        "value",
    );
    assert_error(
        &run("pyramid", &[p(&canon), "--missing", "some"]),
        &["some"],
        "policy",
    );
    assert_error(
        &run("pyramid", &[p(&canon), p(&canon)]),
        &["unexpected"],
        "two files",
    );
}

#[test]
fn nps_accepts_csv_variations_and_refuses_bad_input() {
    let tmp = Scratch::new();
    let text = data("nps_small.csv");
    let canon = tmp.file(&text);
    let expected = json(&run("nps", &[p(&canon), "--group-by", "persona"]), "canon");
    assert!(expected["groups"].as_object().unwrap().len() > 1);
    for (what, v) in variations(&text) {
        let f = tmp.file(v);
        let got = json(&run("nps", &[p(&f), "--group-by", "persona"]), what);
        assert_eq!(got, expected, "{what}");
        assert_eq!(
            json(&run("nps", &["--group-by", "persona", p(&f)]), what),
            expected
        );
    }
    // Group values with commas and quotes stay whole.
    let odd = edit(&text, 2, |l| {
        l.replacen(",bargain_hunter,", ",\"a, \"\"b\"\"\",", 1)
    });
    let f = tmp.file(odd);
    let v = json(&run("nps", &[p(&f), "--group-by", "persona"]), "odd group");
    assert_eq!(v["groups"]["a, \"b\""]["n"], 1);
    assert_eq!(v["all"], expected["all"]);
    // An empty group cell counts in "all" only.
    let f2 = tmp.file(set_cell(&text, 2, 1, ""));
    let v = json(
        &run("nps", &[p(&f2), "--group-by", "persona"]),
        "empty group",
    );
    assert_eq!(v["all"], expected["all"]);
    assert!(v["groups"].get("").is_none());
    // Unicode ids, quoted with spaces; `7.0` is the score 7.
    let ids = set_cell(&text, 3, 0, "\" ü-3 \"");
    let f3 = tmp.file(set_cell(&ids, 3, 2, "7.0"));
    let v = json(
        &run("nps", &[p(&f3), "--group-by", "persona"]),
        "unicode id",
    );
    assert_eq!(v, expected);
    // A quoted id with spaces repeats the same id unquoted.
    let dup = tmp.file(set_cell(&text, 3, 0, "\" 1 \""));
    assert_error(&run("nps", &[p(&dup)]), &["line 3", "duplicate"], "dup");
    // Header only.
    let header = tmp.file("respondent_id,score\n");
    assert_eq!(json(&run("nps", &[p(&header)]), "header")["all"]["n"], 0);

    let bad: Vec<(String, Vec<&str>)> = vec![
        (set_cell(&text, 3, 2, "11"), vec!["line 3", "11"]),
        (set_cell(&text, 3, 2, "-1"), vec!["line 3", "-1"]),
        (set_cell(&text, 3, 2, "7.5"), vec!["line 3", "7.5"]),
        (set_cell(&text, 3, 2, "ten"), vec!["line 3", "ten"]),
        (
            set_cell(&text, 3, 2, "99999999999999999999"),
            vec!["line 3", "99999999999999999999"],
        ),
        (set_cell(&text, 3, 0, "1"), vec!["line 3", "duplicate"]),
        (set_cell(&text, 3, 0, ""), vec!["line 3", "respondent_id"]),
        (edit(&text, 4, |l| format!("{l},x")), vec!["line 4", "4"]),
        (
            text.replacen(",score", ",rating", 1),
            vec!["line 1", "score"],
        ),
    ];
    for (i, (body, needles)) in bad.into_iter().enumerate() {
        let f = tmp.file(body);
        assert_error(
            &run("nps", &[p(&f), "--group-by", "persona"]),
            &needles,
            &format!("nps bad {i}"),
        );
    }
    for g in ["nope", "score", "respondent_id"] {
        assert_error(&run("nps", &[p(&canon), "--group-by", g]), &[g], "group");
    }
    assert_error(
        &run("nps", &[p(&canon), "--group-by"]),
        &["--group-by"],
        "value",
    );
    assert_error(&run("nps", &[]), &["usage"], "no args");
    assert_error(&run("nps", &[p(&canon), "--x"]), &["--x"], "flag");
    common_failures("nps", "respondent_id,score", &[]);
}

const STEPS: &str = "product_view,add_to_cart,checkout_start,purchase";

fn funnel(file: &Path, levels: Option<&Path>) -> Out {
    let mut args = vec!["--window", "3600", "--steps", STEPS];
    if let Some(l) = levels {
        args.extend(["--levels", p(l)]);
    }
    args.push(p(file));
    run("funnel", &args)
}

#[test]
fn funnel_accepts_csv_variations_and_refuses_bad_input() {
    let tmp = Scratch::new();
    let text = data("events_small.csv");
    let canon = tmp.file(&text);
    let levels = tmp.file("");
    let expected = json(&funnel(&canon, Some(&levels)), "canon");
    let expected_levels = std::fs::read_to_string(&levels).unwrap();
    let mut cases = variations(&text);
    // Other ISO-8601 spellings of the same UTC times.
    cases.push(("+00:00", text.replace("Z,", "+00:00,")));
    cases.push(("fraction", text.replace("Z,", ".250Z,")));
    cases.push(("space, no zone", text.replace('T', " ").replace("Z,", ",")));
    cases.push(("+02:00", {
        // 17:40:08Z is 19:40:08+02:00: shift every hour by two.
        let t = rows(&text);
        let shifted: Vec<Vec<String>> = t
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i == 0 {
                    return r.clone();
                }
                let at = chrono::DateTime::parse_from_rfc3339(&r[1]).unwrap();
                let off = chrono::FixedOffset::east_opt(7200).unwrap();
                let s = at.with_timezone(&off).to_rfc3339();
                vec![r[0].clone(), s, r[2].clone()]
            })
            .collect();
        join(&shifted, "\n")
    }));
    let basic = cases.last().unwrap().1.replace("+02:00", "+0200");
    cases.push(("+0200", basic));
    cases.push(("UTC suffix", text.replace('T', " ").replace("Z,", " UTC,")));
    cases.push(("no zone, fraction", text.replace("Z,", ".5,")));
    for (what, v) in cases {
        let f = tmp.file(v);
        assert_eq!(json(&funnel(&f, Some(&levels)), what), expected, "{what}");
        assert_eq!(
            std::fs::read_to_string(&levels).unwrap(),
            expected_levels,
            "{what}"
        );
    }
    // Flags in another order and with `=`.
    let v = run("funnel", &[p(&canon), "--steps=", STEPS, "--window=3600"]);
    assert_error(
        &v,
        &["--steps has an empty step name"],
        "--steps= then a file",
    );
    let v = run(
        "funnel",
        &[p(&canon), &format!("--steps={STEPS}"), "--window=3600"],
    );
    assert_eq!(json(&v, "= flags"), expected);
    // Text and unicode user ids: the same levels, written back by name.
    let texted: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let (u, rest) = l.split_once(',').unwrap();
                let u: u64 = u.parse().unwrap();
                if u % 2 == 0 {
                    format!("{},{rest}\n", quote(&format!("ü,\"{u}\"")))
                } else {
                    format!("{l}\n")
                }
            }
        })
        .collect();
    let f = tmp.file(texted);
    assert_eq!(json(&funnel(&f, Some(&levels)), "text ids"), expected);
    let got = std::fs::read_to_string(&levels).unwrap();
    let mut want: Vec<String> = expected_levels
        .lines()
        .skip(1)
        .map(|l| {
            let (u, lv) = l.split_once(',').unwrap();
            let n: u64 = u.parse().unwrap();
            if n % 2 == 0 {
                format!("{},{lv}", quote(&format!("ü,\"{n}\"")))
            } else {
                l.to_owned()
            }
        })
        .collect();
    let mut have: Vec<String> = got.lines().skip(1).map(str::to_owned).collect();
    want.sort();
    have.sort();
    assert_eq!(have, want);
    // Header only, one row.
    let header = tmp.file("user_id,ts,event\n");
    assert_eq!(json(&funnel(&header, None), "header")["customers"], 0);
    let one = tmp.file("event,user_id,ts\nproduct_view,5,2024-01-01T00:00:00Z");
    let v = json(&funnel(&one, None), "one row");
    assert_eq!(v["reaching"], serde_json::json!([1, 0, 0, 0]));

    let bad: Vec<(String, Vec<&str>)> = vec![
        (set_cell(&text, 3, 0, ""), vec!["line 3", "empty user_id"]),
        (
            set_cell(&text, 3, 1, "2024-13-01T00:00:00Z"),
            vec!["line 3", "2024-13-01T00:00:00Z"],
        ),
        (
            set_cell(&text, 3, 1, "2024-01-01"),
            vec!["line 3", "2024-01-01"],
        ),
        (
            set_cell(&text, 3, 1, "1704067200"),
            vec!["line 3", "1704067200"],
        ),
        (set_cell(&text, 3, 1, ""), vec!["line 3", "ts"]),
        (
            edit(&text, 4, |l| format!("{l},x")),
            vec!["line 4", "4 fields"],
        ),
        (
            edit(&text, 4, |l| l.rsplit_once(',').unwrap().0.to_owned()),
            vec!["line 4", "2 fields"],
        ),
        (
            edit(&text, 4, |l| l.replacen(",", ",\"", 1)),
            vec!["line 4", "quoted"],
        ),
        (text.replacen("event", "evt", 1), vec!["line 1", "event"]),
        (text.replacen("event", "ts", 1), vec!["line 1", "twice"]),
    ];
    for (i, (body, needles)) in bad.into_iter().enumerate() {
        let f = tmp.file(body);
        assert_error(&funnel(&f, None), &needles, &format!("funnel bad {i}"));
    }
    let c = p(&canon);
    let steps33: String = (0..33)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let arg_cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--window", "-1", "--steps", STEPS, c], "-1"),
        (vec!["--window", "abc", "--steps", STEPS, c], "abc"),
        (vec!["--window", "1.5", "--steps", STEPS, c], "1.5"),
        (
            vec!["--window", "99999999999999999999", "--steps", STEPS, c],
            "99999999999999999999",
        ),
        (vec!["--window", "3600", "--steps", "", c], "--steps"),
        (vec!["--window", "3600", "--steps", "a,,b", c], "--steps"),
        (vec!["--window", "3600", "--steps", &steps33, c], "33"),
        (vec!["--window", "3600", "--steps", STEPS], "FILE"),
        (vec!["--steps", STEPS, c], "--window"),
        (vec!["--window", "3600", c], "--steps"),
        (
            vec!["--window", "3600", "--steps", STEPS, c, c],
            "more than one",
        ),
        (
            vec!["--window", "3600", "--steps", STEPS, c, "--bogus"],
            "--bogus",
        ),
        (
            vec!["--window", "3600", "--steps", STEPS, "--mode", "x", c],
            "\"x\"",
        ),
        (
            vec!["--window", "3600", "--steps", STEPS, "--mode", "", c],
            "--mode",
        ),
        (
            vec!["--window", "3600", "--steps", STEPS, c, "--levels"],
            "--levels",
        ),
    ];
    for (args, needle) in arg_cases {
        assert_error(&run("funnel", &args), &[needle], &format!("{args:?}"));
    }
    // An unwritable --levels file: an error and no result on stdout.
    let dir = tmp.path();
    let v = run(
        "funnel",
        &["--window", "60", "--steps", STEPS, "--levels", p(dir), c],
    );
    assert_error(&v, &["cannot create"], "levels to a directory");
    let v = run("funnel", &["--window", "0", "--steps", STEPS, c]);
    assert_eq!(json(&v, "window 0")["customers"], expected["customers"]);
    common_failures(
        "funnel",
        "user_id,ts,event",
        &["--window", "60", "--steps", STEPS],
    );
}

const P1: &str = "(?1).*(?2).*(?3)";
const P1_CONDITIONS: &str = "product_view,add_to_cart,purchase";

fn patterns(file: &Path, extra: &[&str]) -> Out {
    let mut args = vec![p(file), "--pattern", P1, "--conditions", P1_CONDITIONS];
    args.extend(extra);
    run("patterns", &args)
}

#[test]
fn patterns_accepts_csv_variations_and_refuses_bad_input() {
    let tmp = Scratch::new();
    let text = data("events_small.csv");
    let canon = tmp.file(&text);
    let per_user = tmp.file("");
    let pu = p(&per_user).to_owned();
    let expected = json(&patterns(&canon, &["--per-user", &pu]), "canon");
    let expected_rows = std::fs::read_to_string(&per_user).unwrap();
    assert!(expected_rows.starts_with("user_id,result\n"));
    let mut cases = variations(&text);
    cases.push(("fraction", text.replace("Z,", ".250Z,")));
    cases.push(("space, no zone", text.replace('T', " ").replace("Z,", ",")));
    for (what, v) in cases {
        let f = tmp.file(v);
        assert_eq!(
            json(&patterns(&f, &["--per-user", &pu]), what),
            expected,
            "{what}"
        );
        assert_eq!(
            std::fs::read_to_string(&per_user).unwrap(),
            expected_rows,
            "{what}"
        );
    }
    // The same on one thread and on three, flags in another order, `=`.
    for threads in ["1", "3"] {
        let v = run(
            "patterns",
            &[
                "--threads",
                threads,
                &format!("--conditions={P1_CONDITIONS}"),
                p(&canon),
                "--pattern",
                P1,
            ],
        );
        assert_eq!(json(&v, threads), expected);
    }
    let counted = json(&patterns(&canon, &["--count"]), "count");
    assert_eq!(counted["matched_users"], expected["matched_users"]);
    assert!(
        counted["total_matches"].as_u64().unwrap() >= expected["matched_users"].as_u64().unwrap()
    );
    // Header only, one row.
    let header = tmp.file("user_id,ts,event\n");
    assert_eq!(json(&patterns(&header, &[]), "header")["matched_users"], 0);
    let one = tmp.file("event,user_id,ts\nproduct_view,5,2024-01-01T00:00:00Z");
    assert_eq!(
        json(&patterns(&one, &["--count"]), "one row")["total_matches"],
        0
    );

    let bad: Vec<(String, Vec<&str>)> = vec![
        (set_cell(&text, 3, 0, ""), vec!["line 3", "empty user_id"]),
        (
            set_cell(&text, 3, 1, "2024-13-01T00:00:00Z"),
            vec!["line 3", "2024-13-01T00:00:00Z"],
        ),
        (set_cell(&text, 3, 1, ""), vec!["line 3", "ts"]),
        (
            edit(&text, 4, |l| format!("{l},x")),
            vec!["line 4", "4 fields"],
        ),
        (
            edit(&text, 4, |l| l.replacen(",", ",\"", 1)),
            vec!["line 4", "quoted"],
        ),
        (text.replacen("event", "evt", 1), vec!["line 1", "event"]),
    ];
    for (i, (body, needles)) in bad.into_iter().enumerate() {
        let f = tmp.file(body);
        assert_error(&patterns(&f, &[]), &needles, &format!("patterns bad {i}"));
    }
    let c = p(&canon);
    let c33: String = (0..33)
        .map(|i| format!("e{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let arg_cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec![c, "--pattern", "(?1).*(?x)", "--conditions", "a,b"],
            &["position 8", "(?1).*(?x)"],
        ),
        (
            vec![c, "--pattern", "(?1)(?t<=3600(?2)", "--conditions", "a,b"],
            &["position 13", "expected )"],
        ),
        (
            vec![c, "--pattern", "(?1) (?2)", "--conditions", "a,b"],
            &["position 4"],
        ),
        (
            vec![c, "--pattern", "(?0)", "--conditions", "a"],
            &["position 2", "start at 1"],
        ),
        (
            vec![c, "--pattern", "", "--conditions", "a"],
            &["at least one element"],
        ),
        (
            vec![c, "--pattern", "(?1).*(?3)", "--conditions", "a,b"],
            &["position 6", "beyond"],
        ),
        (
            vec![c, "--pattern", "(?1)", "--conditions", ""],
            &["--conditions"],
        ),
        (
            vec![c, "--pattern", "(?1)", "--conditions", "a,,b"],
            &["--conditions", "empty"],
        ),
        (vec![c, "--pattern", "(?1)", "--conditions", &c33], &["33"]),
        (vec![c, "--conditions", "a"], &["--pattern"]),
        (vec![c, "--pattern", "(?1)"], &["--conditions"]),
        (vec!["--pattern", "(?1)", "--conditions", "a"], &["FILE"]),
        (
            vec![c, c, "--pattern", "(?1)", "--conditions", "a"],
            &["more than one"],
        ),
        (
            vec![c, "--pattern", "(?1)", "--conditions", "a", "--bogus"],
            &["--bogus"],
        ),
        (
            vec![c, "--pattern", "(?1)", "--conditions", "a", "--per-user"],
            &["--per-user"],
        ),
        (
            vec![
                c,
                "--pattern",
                "(?1)",
                "--conditions",
                "a",
                "--threads",
                "x",
            ],
            &["--threads"],
        ),
    ];
    for (args, needles) in arg_cases {
        let out = run("patterns", &args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_error(&out, needles, &format!("{args:?}"));
    }
    let v = run(
        "patterns",
        &[
            c,
            "--pattern",
            P1,
            "--conditions",
            P1_CONDITIONS,
            "--per-user",
            p(tmp.path()),
        ],
    );
    assert_error(&v, &["cannot create"], "per-user to a directory");
    common_failures(
        "patterns",
        "user_id,ts,event",
        &["--pattern", P1, "--conditions", P1_CONDITIONS],
    );
}

const PERSONAS: &str = "user_id,ts,event,channel,order_id,product_id,category,value,discounted
a,2024-11-11T08:00:00Z,view_item,social,,sku-1,beauty,,
a,2024-11-11T08:01:00Z,Product Added,social,,sku-1,,,true
b,2024-11-02T08:00:00Z,product_view,,,sku-2,toys,,
a,2024-11-11T08:03:00Z,purchase,social,o-1,,,125000.50,true
c,2024-10-01T10:00:00Z,product_view,direct,,sku-3,books,,false
c,2024-10-01T10:05:00Z,search,direct,,,,,false
c,2024-10-03T10:00:00Z,purchase,direct,o-2,,,50000,false
c,2024-11-03T10:00:00Z,order_completed,email,o-3,,,70000,false
d,2024-12-01T23:59:59Z,page_view,paid_search,,,,,
";

fn personas(file: &Path, out: &Path) -> Out {
    run(
        "personas",
        &[p(file), "--as-of", "2024-12-31", "--per-user", p(out)],
    )
}

#[test]
fn personas_accepts_csv_variations_and_refuses_bad_input() {
    let tmp = Scratch::new();
    let canon = tmp.file(PERSONAS);
    let per_user = tmp.file("");
    let expected = json(&personas(&canon, &per_user), "canon");
    assert_eq!(expected["customers"], 4);
    let expected_rows = std::fs::read_to_string(&per_user).unwrap();
    let mut cases = variations(PERSONAS);
    cases.push(("+00:00", PERSONAS.replace("Z,", "+00:00,")));
    cases.push(("fraction", PERSONAS.replace("Z,", ".000Z,")));
    cases.push(("space", PERSONAS.replace('T', " ")));
    for (what, v) in cases {
        let f = tmp.file(v);
        assert_eq!(json(&personas(&f, &per_user), what), expected, "{what}");
        assert_eq!(
            std::fs::read_to_string(&per_user).unwrap(),
            expected_rows,
            "{what}"
        );
    }
    // Flags in another order.
    let v = run("personas", &["--as-of", "2024-12-31", p(&canon)]);
    assert_eq!(json(&v, "order"), expected);
    // A unicode id with a comma and quotes round-trips to the per-user file.
    let f = tmp.file(PERSONAS.replace("\nb,", "\n\"ü, \"\"b\"\"\","));
    json(&personas(&f, &per_user), "unicode id");
    let rows = std::fs::read_to_string(&per_user).unwrap();
    assert!(rows.contains("\n\"ü, \"\"b\"\"\","), "{rows}");
    // Header only and a single row.
    let header = tmp.file("user_id,ts,event\n");
    assert_eq!(
        json(&personas(&header, &per_user), "header")["customers"],
        0
    );
    let one = tmp.file("event,ts,user_id\npurchase,2024-01-01T00:00:00Z,z\n");
    assert_eq!(json(&personas(&one, &per_user), "one")["customers"], 1);

    let bad: Vec<(String, Vec<&str>)> = vec![
        (set_cell(PERSONAS, 3, 0, ""), vec!["line 3", "user_id"]),
        (
            set_cell(PERSONAS, 3, 1, "yesterday"),
            vec!["line 3", "yesterday"],
        ),
        (
            set_cell(PERSONAS, 3, 1, "2024-02-30T00:00:00Z"),
            vec!["line 3", "2024-02-30"],
        ),
        (set_cell(PERSONAS, 5, 7, "-5"), vec!["line 5", "-5"]),
        (set_cell(PERSONAS, 5, 7, "abc"), vec!["line 5", "abc"]),
        (
            set_cell(PERSONAS, 5, 7, "99999999999999999999999"),
            vec!["line 5", "99999999999999999999999"],
        ),
        (set_cell(PERSONAS, 3, 8, "maybe"), vec!["line 3", "maybe"]),
        (set_cell(PERSONAS, 3, 2, ""), vec!["line 3", "event"]),
        (
            edit(PERSONAS, 4, |l| format!("{l},x")),
            vec!["line 4", "10 fields"],
        ),
        (
            edit(PERSONAS, 4, |l| l.rsplit_once(',').unwrap().0.to_owned()),
            vec!["line 4", "8 fields"],
        ),
        (
            edit(PERSONAS, 4, |l| l.replacen(",", ",\"", 1)),
            vec!["line 4", "quote"],
        ),
        (PERSONAS.replacen(",ts,", ",time,", 1), vec!["line 1", "ts"]),
    ];
    for (i, (body, needles)) in bad.into_iter().enumerate() {
        let f = tmp.file(body);
        let out = run("personas", &[p(&f), "--as-of", "2024-12-31"]);
        assert_error(&out, &needles, &format!("personas bad {i}"));
    }
    let c = p(&canon);
    for (args, needle) in [
        (vec![c], "--as-of"),
        (vec![c, "--as-of"], "--as-of"),
        (vec![c, "--as-of", "2024-13-01"], "2024-13-01"),
        (
            vec![c, "--as-of", "2024-12-31T00:00:00Z"],
            "2024-12-31T00:00:00Z",
        ),
        (vec![c, "--as-of", "31/12/2024"], "31/12/2024"),
        (vec!["--as-of", "2024-12-31"], "FILE"),
        (vec![c, "--as-of", "2024-12-31", "--bogus"], "--bogus"),
        (vec![c, c, "--as-of", "2024-12-31"], "unexpected"),
    ] {
        assert_error(&run("personas", &args), &[needle], &format!("{args:?}"));
    }
    // An unwritable --per-user file: an error and no result on stdout.
    let dir = tmp.path();
    assert_error(
        &personas(&canon, dir),
        &["cannot write"],
        "per-user to a directory",
    );
    common_failures("personas", "user_id,ts,event", &["--as-of", "2024-12-31"]);
}

/// A reader that goes away early (`example ... | head -c 1`) must not make an
/// example panic: the closed pipe ends it quietly with success.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let survey = format!("{DATA}/survey_small.csv");
    let events = format!("{DATA}/events_small.csv");
    let cases = [
        (exe("pyramid"), survey),
        (
            exe("funnel"),
            format!("--window 3600 --steps product_view,add_to_cart {events}"),
        ),
    ];
    for (exe, args) in cases {
        // `true` exits at once, so the example writes into a closed pipe.
        let script = format!("'{}' {args} | true; exit ${{PIPESTATUS[0]}}", exe.display());
        for _ in 0..3 {
            let out = Command::new("bash").args(["-c", &script]).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && !stderr.contains("panicked"),
                "{script}: {:?} {stderr}",
                out.status
            );
        }
    }
}

/// Rows in any order: reversing a personas file changes nothing in the output,
/// the explained examples and the `--per-user` file included.
#[test]
fn personas_output_does_not_depend_on_row_order() {
    let tmp = Scratch::new();
    let file = tmp.file("");
    let made = run(
        "gen_personas_csv",
        &[p(&file), "--customers", "80", "--seed", "3"],
    );
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let reversed = tmp.file(lines.join("\n") + "\n");
    let (per_a, per_b) = (tmp.file(""), tmp.file(""));
    let a = run(
        "personas",
        &[p(&file), "--as-of", "2024-12-31", "--per-user", p(&per_a)],
    );
    let b = run(
        "personas",
        &[
            p(&reversed),
            "--as-of",
            "2024-12-31",
            "--per-user",
            p(&per_b),
        ],
    );
    assert_eq!(json(&a, "original"), json(&b, "reversed"));
    assert_eq!(
        std::fs::read_to_string(&per_a).unwrap(),
        std::fs::read_to_string(&per_b).unwrap()
    );
}

#[test]
fn retention_accepts_csv_variations_and_refuses_bad_input() {
    let tmp = Scratch::new();
    let text = data("events_small.csv");
    let canon = tmp.file(&text);
    let c = p(&canon);
    let expected = json(&run("retention", &[c]), "canon");
    assert_eq!(expected["cohorts"][0]["cohort"], "2024-01-01");
    let mut cases = variations(&text);
    cases.push(("+00:00", text.replace("Z,", "+00:00,")));
    cases.push(("fraction", text.replace("Z,", ".999Z,")));
    cases.push(("space, no zone", text.replace('T', " ").replace("Z,", ",")));
    cases.push(("UTC suffix", text.replace('T', " ").replace("Z,", " UTC,")));
    for (what, v) in cases {
        let f = tmp.file(v);
        assert_eq!(json(&run("retention", &[p(&f)]), what), expected, "{what}");
    }
    // Text user ids: the same cohorts.
    let texted: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| match (i, l.split_once(',')) {
            (0, _) | (_, None) => format!("{l}\n"),
            (_, Some((u, rest))) => format!("{},{rest}\n", quote(&format!("ü,\"{u}\""))),
        })
        .collect();
    let f = tmp.file(texted);
    assert_eq!(json(&run("retention", &[p(&f)]), "text ids"), expected);
    // Flags, days and threads.
    let v = json(
        &run("retention", &["--days=0", c, "--threads", "3"]),
        "days 0",
    );
    assert_eq!(v["cohorts"][0]["days"], serde_json::json!([1]));
    let v = json(&run("retention", &[c, "--days", "30"]), "days 30");
    assert_eq!(v["cohorts"][0]["days"].as_array().unwrap().len(), 31);
    // Header only: no cohorts; a row before 1970 and one in 2200.
    let header = tmp.file("user_id,ts,event\n");
    assert_eq!(
        json(&run("retention", &[p(&header)]), "header"),
        serde_json::json!({"cohorts": []})
    );
    let far = tmp.file("user_id,ts,event\n1,1969-12-31T23:59:59Z,a\n1,1970-01-01T00:00:00Z,b\n2,2200-01-01T00:00:00Z,c\n");
    assert_eq!(
        json(&run("retention", &[p(&far), "--days", "1"]), "far"),
        serde_json::json!({"cohorts": [
            {"cohort": "1969-12-31", "users": 1, "days": [1, 1]},
            {"cohort": "2200-01-01", "users": 1, "days": [1, 0]}
        ]})
    );

    let bad: Vec<(String, Vec<&str>)> = vec![
        (set_cell(&text, 3, 0, ""), vec!["line 3", "user_id"]),
        (
            set_cell(&text, 3, 1, "2024-13-01T00:00:00Z"),
            vec!["line 3", "2024-13-01T00:00:00Z"],
        ),
        (
            set_cell(&text, 3, 1, "1704067200"),
            vec!["line 3", "1704067200"],
        ),
        (set_cell(&text, 3, 1, ""), vec!["line 3", "ts"]),
        (
            edit(&text, 4, |l| format!("{l},x")),
            vec!["line 4", "4 fields"],
        ),
        (
            edit(&text, 4, |l| l.replacen(",", ",\"", 1)),
            vec!["line 4"],
        ),
        (text.replacen("event", "evt", 1), vec!["line 1", "event"]),
        (
            text.replacen("user_id", "uid", 1),
            vec!["line 1", "user_id"],
        ),
    ];
    for (i, (body, needles)) in bad.into_iter().enumerate() {
        let f = tmp.file(body);
        let out = run("retention", &[p(&f)]);
        assert_error(&out, &needles, &format!("retention bad {i}"));
        assert_eq!(out.code, Some(2), "retention bad {i}");
    }
    let arg_cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "FILE"),
        (vec![c, "--days", "-1"], "-1"),
        (vec![c, "--days", "x"], "\"x\""),
        (vec![c, "--days", "1.5"], "1.5"),
        (vec![c, "--days", "3661"], "3661"),
        (
            vec![c, "--days", "99999999999999999999"],
            "99999999999999999999",
        ),
        (vec![c, "--days"], "--days"),
        (vec![c, "--bogus"], "--bogus"),
        (vec![c, "--threads", "x"], "--threads"),
    ];
    for (args, needle) in arg_cases {
        let out = run("retention", &args);
        assert_error(&out, &[needle, "usage"], &format!("{args:?}"));
        assert_eq!(out.code, Some(2), "{args:?}");
    }
    let out = run("retention", &[c, c]);
    assert_error(&out, &[c, "usage"], "two files");
    assert_eq!(out.code, Some(2));
    common_failures("retention", "user_id,ts,event", &[]);
}
