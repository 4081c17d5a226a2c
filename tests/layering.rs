//! The layering of `src/`, enforced (ARCHITECTURE.md, "Architecture
//! invariant" lines).
//!
//! Every `.rs` file under `src/` is read, comments are dropped, and every
//! `crate::` path (in `use` items, grouped `use crate::{a::X, b::{Y, Z}}`
//! forms, inline paths, `$crate::` in macros and `"crate::..."` serde
//! attributes) is reduced to the top-level module it names. Then:
//!
//! - a path must name a module, never an item re-exported at the root
//!   (`crate::model::Stage`, not `crate::Stage`);
//! - each layer imports only the layers it may (the table below): the model
//!   imports only the model (and `error`, `hash`); `numeric` imports no
//!   analysis; an analysis imports no other analysis and not `sample`; the
//!   decisions layer (`action`) may import analyses; `sample`, on top, may
//!   import anything and nothing imports it.
//!
//! A new top-level module must be added to [`LAYERS`] before it passes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The layers, bottom to top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// `error` and `hash`: used by every layer.
    Base,
    /// Plain data: stages, kinds, channels, ids, money, touchpoints.
    Model,
    /// Shared numerics, private to the crate.
    Numeric,
    /// The event log and the journey views over it.
    Substrate,
    /// One folder per analysis; none imports another.
    Analysis,
    /// Decisions built on analyses.
    Decisions,
    /// The sample shop: may use everything; nothing imports it.
    Top,
}

/// Every top-level module of `src/` and its layer. Extend it when a module
/// is added (the planned analyses are listed already).
const LAYERS: &[(&str, Layer)] = &[
    ("error", Layer::Base),
    ("hash", Layer::Base),
    ("model", Layer::Model),
    ("numeric", Layer::Numeric),
    ("journey", Layer::Substrate),
    ("log", Layer::Substrate),
    ("analysis", Layer::Substrate),
    ("step", Layer::Substrate),
    // `overview` is an analysis of stages (it will move under the log layer's
    // neighbours, but it stays an analysis).
    ("overview", Layer::Analysis),
    ("funnel", Layer::Analysis),
    ("persona", Layer::Analysis),
    ("survey", Layer::Analysis),
    ("paths", Layer::Analysis),
    ("pattern", Layer::Analysis),
    ("retention", Layer::Analysis),
    ("attribution", Layer::Analysis),
    ("value", Layer::Analysis),
    ("fulfilment", Layer::Analysis),
    ("action", Layer::Decisions),
    ("sample", Layer::Top),
];

fn layer_of(module: &str) -> Option<Layer> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, l)| l)
}

/// Whether code in module `from` may import module `to`.
fn allowed(from: &str, to: &str) -> Result<(), String> {
    if from == to {
        return Ok(());
    }
    let (Some(lf), Some(lt)) = (layer_of(from), layer_of(to)) else {
        return Err(format!(
            "unknown top-level module (`{from}` or `{to}`): add it to LAYERS in tests/layering.rs"
        ));
    };
    use Layer::*;
    let ok = match lf {
        Base => lt == Base,
        Model => matches!(lt, Base | Model),
        Numeric => matches!(lt, Base | Numeric),
        Substrate => matches!(lt, Base | Model | Numeric | Substrate),
        Analysis => matches!(lt, Base | Model | Numeric | Substrate),
        Decisions => lt != Top,
        Top => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{from}` ({lf:?}) may not import `{to}` ({lt:?})"))
    }
}

/// The source with comments blanked out (newlines kept, so byte offsets
/// still give line numbers). String literals are kept: serde attributes such
/// as `with = "crate::model::time"` are real dependencies.
fn strip_comments(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let at = |i: usize| b.get(i).copied().unwrap_or('\0');
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '"' {
            // A string literal, kept whole.
            out.push(c);
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(b[i]);
                    i += 1;
                }
                out.push(at(i));
                i += 1;
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (at(i + 2) == '\'' || at(i + 1) == '\\') {
            // A char literal ('"', '\'', '\u{..}'), blanked.
            let mut j = if at(i + 1) == '\\' { i + 3 } else { i + 2 };
            while j < b.len() && b[j] != '\'' {
                j += 1;
            }
            for _ in i..=j.min(b.len() - 1) {
                out.push(' ');
            }
            i = j + 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The first segments named after each `crate::` in `code`, with their byte
/// offsets: `crate::model::Stage` gives `model`; `crate::{a::X, b::{Y}}`
/// gives `a` and `b`.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("crate::") {
        let at = from + k;
        from = at + "crate::".len();
        // `crate` must be a whole word (`$crate` is fine, `mycrate` is not).
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[from..].trim_start();
        if rest.starts_with('{') {
            let start = code.len() - rest.len();
            group_heads(code, start, &mut found);
        } else {
            found.push((at, ident(rest)));
        }
    }
    found
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The first segment of each item of the brace group opening at `open`.
fn group_heads(code: &str, open: usize, found: &mut Vec<(usize, String)>) {
    let mut depth = 0usize;
    let mut expect_item = true;
    let mut i = open;
    for c in code[open..].chars() {
        match c {
            '{' => {
                depth += 1;
                expect_item = depth == 1;
            }
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return;
                }
            }
            ',' if depth == 1 => expect_item = true,
            c if expect_item && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                found.push((i, ident(&code[i..])));
                expect_item = false;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
}

/// The top-level module a file under `src/` belongs to (`None` for lib.rs).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

/// Every violation in one file's source, as `file:line: message`.
fn check_source(rel: &Path, src: &str) -> Vec<String> {
    let Some(module) = module_of(rel) else {
        return Vec::new();
    };
    let code = strip_comments(src);
    let mut errors = Vec::new();
    for (at, head) in crate_paths(&code) {
        let line = code[..at].matches('\n').count() + 1;
        let place = format!("src/{}:{line}", rel.display());
        if head.is_empty() {
            continue;
        }
        if head.starts_with(|c: char| c.is_uppercase()) {
            errors.push(format!(
                "{place}: `crate::{head}` goes through a root re-export; import it by module path"
            ));
            continue;
        }
        if head == "self" || head == "super" {
            continue;
        }
        if let Err(e) = allowed(&module, &head) {
            errors.push(format!("{place}: {e}"));
        }
    }
    errors
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn src_respects_the_layering() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut files = Vec::new();
    rust_files(root, &mut files);
    assert!(files.len() > 20, "found only {} files", files.len());
    let mut errors = Vec::new();
    let mut paths = 0;
    for f in &files {
        let rel = f.strip_prefix(root).unwrap();
        let src = std::fs::read_to_string(f).unwrap();
        paths += crate_paths(&strip_comments(&src)).len();
        errors.extend(check_source(rel, &src));
    }
    assert!(paths > 100, "parsed only {paths} crate:: paths");
    let mut msg = String::new();
    for e in &errors {
        writeln!(msg, "  {e}").unwrap();
    }
    assert!(
        errors.is_empty(),
        "{} layering violation(s):\n{msg}",
        errors.len()
    );
}

#[test]
fn the_checker_catches_what_it_should() {
    let check = |file: &str, src: &str| check_source(Path::new(file), src);
    // Root re-exports, grouped or inline.
    assert_eq!(
        check(
            "funnel/x.rs",
            "use crate::{Stage, model::Touchpoint};\nfn f() { crate::Error::x(); }"
        )
        .len(),
        2
    );
    // An analysis importing another analysis, nested in a group.
    let e = check(
        "funnel/x.rs",
        "use crate::{\n    model::Stage,\n    persona::{Classifier, score},\n};",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("src/funnel/x.rs:3:"), "{e:?}");
    // An analysis importing sample, even in a test module.
    assert_eq!(
        check(
            "survey/advocacy.rs",
            "#[cfg(test)]\nmod t { use crate::sample::Rng; }"
        )
        .len(),
        1
    );
    // The model importing above itself; numeric importing an analysis.
    assert_eq!(
        check("model/kind.rs", "use crate::journey::Journey;").len(),
        1
    );
    assert_eq!(check("numeric/stats.rs", "use crate::funnel::X;").len(), 1);
    // Macros and serde attributes count; comments and doc links do not.
    assert_eq!(
        check("model/names.rs", "type Err = $crate::Error;").len(),
        1
    );
    assert_eq!(
        check("model/id.rs", "#[serde(with = \"crate::funnel::x\")]").len(),
        1
    );
    assert!(
        check(
            "funnel/x.rs",
            "// use crate::sample::Rng;\n/// [`Stage`](crate::Stage)\n/* crate::persona */ use crate::model::Stage;"
        )
        .is_empty()
    );
    // What is allowed: substrate and numeric from an analysis, analyses from
    // the decisions layer and from sample.
    assert!(
        check(
            "persona/x.rs",
            "use crate::{journey::Journey, numeric::stats, hash::SeededState, error::Result};"
        )
        .is_empty()
    );
    assert!(check("action/x.rs", "use crate::funnel::Funnel;").is_empty());
    assert_eq!(
        check("action/x.rs", "use crate::sample::SampleShop;").len(),
        1
    );
    assert!(check("sample/mod.rs", "use crate::persona::Classifier;").is_empty());
    // A module missing from the table is reported.
    assert_eq!(check("newthing.rs", "use crate::model::Stage;").len(), 1);
}
