//! Paths: exact counts against a plain reference written from the
//! definitions (strings, sets, no tables), the accumulator contract, row
//! order and thread counts that change nothing, and hand-made journeys for
//! each focus, the collapsed middle, sessions, grouping and exclusions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::log::{EventLog, JourneyView};
use cxjourney::paths::{
    Focus, Label, Occurrence, PathsAccumulator, PathsConfig, PathsReport, Scope,
};
use cxjourney::step::Step;
use cxjourney::{Accumulator, CustomerId, EventMap, JourneyConfig, Touchpoint, run_on_log};
use proptest::prelude::*;

const NAMES: [&str; 7] = [
    "view_item",
    "product_click",
    "add_to_cart",
    "begin_checkout",
    "purchase",
    "ad_click",
    "promo_view",
];

fn log_of(rows: &[(u64, i64, usize)]) -> EventLog {
    let map = EventMap::standard().fallback_to_custom();
    let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
    let tps: Vec<Touchpoint> = rows
        .iter()
        .map(|&(c, m, e)| {
            let (kind, name) = map.convert(NAMES[e]).unwrap();
            Touchpoint::new(CustomerId(c), t0 + TimeDelta::minutes(m), kind).with_event(name)
        })
        .collect();
    EventLog::from_touchpoints(&tps, &JourneyConfig::default()).unwrap()
}

fn report(config: &PathsConfig, log: &EventLog) -> PathsReport {
    let mut acc = PathsAccumulator::new(config).unwrap();
    for j in log.journeys() {
        acc.add(j).unwrap();
    }
    acc.finish().unwrap()
}

/// `*` any run, `?` one character: written as a plain recursion.
fn wild(p: &[char], t: &[char]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some('*'), _) => wild(&p[1..], t) || (!t.is_empty() && wild(p, &t[1..])),
        (Some(&c), Some(&d)) if c == '?' || c == d => wild(&p[1..], &t[1..]),
        _ => false,
    }
}

fn w(p: &str, t: &str) -> bool {
    wild(
        &p.chars().collect::<Vec<_>>(),
        &t.chars().collect::<Vec<_>>(),
    )
}

#[derive(Default, Debug, PartialEq)]
struct Counts {
    customers_on_paths: u64,
    paths: u64,
    unfinished: u64,
    /// id -> (customers, times)
    nodes: BTreeMap<String, (u64, u64)>,
    edges: BTreeMap<(String, String), (u64, u64)>,
    sequences: BTreeMap<Vec<String>, (u64, u64)>,
}

/// The definitions, directly: name each row, cut sequences, take anchors,
/// build each path as (position, name) pairs, count.
fn reference(config: &PathsConfig, log: &EventLog) -> Counts {
    let anchors: Vec<&Step> = match &config.focus {
        Focus::After { start } => vec![start],
        Focus::Before { end } => vec![end],
        Focus::Around { at } => vec![at],
        Focus::Between { start, end } => vec![start, end],
    };
    let k = config.steps;
    let mut out = Counts::default();
    for j in log.journeys() {
        let mut nodes = BTreeSet::new();
        let mut edges = BTreeSet::new();
        let mut seqs = BTreeSet::new();
        let before = out.paths;
        let ranges: Vec<std::ops::Range<usize>> = match config.scope {
            Scope::Journey => std::iter::once(0..j.len()).collect(),
            Scope::Sessions => j.sessions().map(|s| s.range()).collect(),
        };
        for r in ranges {
            let seq = sequence(config, &j, r, &anchors);
            let n = seq.len();
            let is = |i: usize, a: usize| seq[i].1[a];
            let mut paths: Vec<Vec<(String, String)>> = Vec::new();
            for i in (0..n).filter(|&i| is(i, 0)) {
                let mut path = Vec::new();
                let name = |i: usize| seq[i].0.clone();
                match &config.focus {
                    Focus::Between { .. } => {
                        let Some(e) = (i + 1..n).find(|&e| is(e, 1)) else {
                            out.unfinished += 1;
                            if config.occurrence == Occurrence::First {
                                break;
                            }
                            continue;
                        };
                        let mid: Vec<usize> = (i + 1..e).collect();
                        path.push(("start".to_owned(), name(i)));
                        if mid.len() <= 2 * k {
                            for (x, &p) in mid.iter().enumerate() {
                                if x < k {
                                    path.push((format!("start+{}", x + 1), name(p)));
                                } else {
                                    path.push((format!("end-{}", mid.len() - x), name(p)));
                                }
                            }
                        } else {
                            for (x, &p) in mid.iter().take(k).enumerate() {
                                path.push((format!("start+{}", x + 1), name(p)));
                            }
                            path.push(("more".to_owned(), "(more)".to_owned()));
                            for (x, &p) in mid[mid.len() - k..].iter().enumerate() {
                                path.push((format!("end-{}", k - x), name(p)));
                            }
                        }
                        path.push(("end".to_owned(), name(e)));
                    }
                    focus => {
                        let (b, a) = match focus {
                            Focus::After { .. } => (false, true),
                            Focus::Before { .. } => (true, false),
                            _ => (true, true),
                        };
                        if b {
                            if i < k {
                                path.push((format!("-{}", i + 1), "(start)".to_owned()));
                            }
                            for p in i.saturating_sub(k)..i {
                                path.push((format!("-{}", i - p), name(p)));
                            }
                        }
                        path.push(("0".to_owned(), name(i)));
                        if a {
                            for x in 1..=k {
                                if i + x < n {
                                    path.push((format!("+{x}"), name(i + x)));
                                } else {
                                    path.push((format!("+{x}"), "(end)".to_owned()));
                                    break;
                                }
                            }
                        }
                    }
                }
                paths.push(path);
                if config.occurrence == Occurrence::First {
                    break;
                }
            }
            for path in paths {
                out.paths += 1;
                let ids: Vec<String> = path.iter().map(|(p, l)| format!("{p}:{l}")).collect();
                for id in &ids {
                    out.nodes.entry(id.clone()).or_default().1 += 1;
                    nodes.insert(id.clone());
                }
                for pair in ids.windows(2) {
                    let e = (pair[0].clone(), pair[1].clone());
                    out.edges.entry(e.clone()).or_default().1 += 1;
                    edges.insert(e);
                }
                let names: Vec<String> = path.into_iter().map(|(_, l)| l).collect();
                out.sequences.entry(names.clone()).or_default().1 += 1;
                seqs.insert(names);
            }
        }
        if out.paths > before {
            out.customers_on_paths += 1;
        }
        for n in nodes {
            out.nodes.get_mut(&n).unwrap().0 += 1;
        }
        for e in edges {
            out.edges.get_mut(&e).unwrap().0 += 1;
        }
        for s in seqs {
            out.sequences.get_mut(&s).unwrap().0 += 1;
        }
    }
    out
}

/// The named rows of one range: (name, which anchors the row meets).
fn sequence(
    config: &PathsConfig,
    j: &JourneyView<'_>,
    r: std::ops::Range<usize>,
    anchors: &[&Step],
) -> Vec<(String, Vec<bool>)> {
    let mut seq: Vec<(String, Vec<bool>)> = Vec::new();
    for i in r {
        let row = j.row(i).unwrap();
        let raw = match config.label {
            Label::Event => row.event_name(),
            Label::Kind => row.kind().as_str(),
        };
        let mut a: Vec<bool> = anchors.iter().map(|s| s.matches(row)).collect();
        a.resize(2, false);
        if config.exclude.iter().any(|p| w(p, raw)) {
            continue;
        }
        let name = config
            .groups
            .iter()
            .find(|g| w(&g.pattern, raw))
            .map_or(raw.to_owned(), |g| g.into.clone());
        match seq.last_mut() {
            Some(last) if config.collapse_repeats && last.0 == name => {
                last.1[0] |= a[0];
                last.1[1] |= a[1];
            }
            _ => seq.push((name, a)),
        }
    }
    seq
}

fn counts_of(r: &PathsReport) -> Counts {
    Counts {
        customers_on_paths: r.customers_on_paths,
        paths: r.paths,
        unfinished: r.unfinished,
        nodes: r
            .nodes
            .iter()
            .map(|n| (n.id.clone(), (n.customers, n.paths)))
            .collect(),
        edges: r
            .edges
            .iter()
            .map(|e| ((e.from.clone(), e.to.clone()), (e.customers, e.transitions)))
            .collect(),
        sequences: r
            .top_paths
            .iter()
            .map(|p| (p.steps.clone(), (p.customers, p.paths)))
            .collect(),
    }
}

fn arb_config() -> impl Strategy<Value = PathsConfig> {
    let step = prop_oneof![
        (0usize..NAMES.len()).prop_map(|e| Step::event(NAMES[e])),
        Just(Step::kind(cxjourney::BuiltinKind::AddToCart)),
        Just(Step::new("any", vec![])),
    ];
    (
        (0usize..4, step.clone(), step),
        1usize..4,
        any::<bool>(),
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|((f, a, b), k, kind, g, ex, sess, every, collapse)| {
            let focus = match f {
                0 => Focus::After { start: a },
                1 => Focus::Before { end: a },
                2 => Focus::Around { at: a },
                _ => Focus::Between { start: a, end: b },
            };
            let mut c = PathsConfig::new(focus).with_steps(k);
            if kind {
                c = c.with_label(Label::Kind);
            }
            c = match g {
                0 => c,
                1 => c.group("product_*", "product"),
                _ => c.group("*_cart", "cart").group("p*", "p"),
            };
            if ex {
                c = c.exclude("ad_*").exclude("promo?view");
            }
            if sess {
                c = c.with_scope(Scope::Sessions);
            }
            if every {
                c = c.with_occurrence(Occurrence::Every);
            }
            if collapse {
                c = c.collapsing_repeats();
            }
            c
        })
}

fn arb_rows() -> impl Strategy<Value = Vec<(u64, i64, usize)>> {
    // Minutes up to 200, so that some gaps exceed the 30-minute session gap.
    proptest::collection::vec((0u64..6, 0i64..200, 0usize..NAMES.len()), 0..70)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every count equals the plain reference's.
    #[test]
    fn counts_are_exact(rows in arb_rows(), config in arb_config()) {
        let log = log_of(&rows);
        let r = report(&config, &log);
        prop_assert_eq!(r.customers, log.customer_count() as u64);
        prop_assert_eq!(counts_of(&r), reference(&config, &log));
        // Nodes of a column sum to the paths that reach it.
        let anchors: u64 = r.nodes.iter().filter(|n| n.position == "0" || n.position == "start").map(|n| n.paths).sum();
        prop_assert_eq!(anchors, r.paths);
    }

    /// The accumulator laws, and the same report on 1 to 4 threads and for
    /// the rows in reverse order.
    #[test]
    fn paths_keep_the_contract(
        rows in arb_rows(),
        config in arb_config(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let log = log_of(&rows);
        crate::log::check_contract::<PathsAccumulator>(&log, &config, &cuts);
        let one = run_on_log::<PathsAccumulator>(&log, &config, 1).unwrap();
        for threads in 2..=4 {
            prop_assert_eq!(&run_on_log::<PathsAccumulator>(&log, &config, threads).unwrap(), &one);
        }
        let mut reversed = rows.clone();
        reversed.reverse();
        prop_assert_eq!(report(&config, &log_of(&reversed)), one);
    }
}

#[test]
fn between_collapses_the_middle_and_counts_unfinished_starts() {
    // 0 view, 1 click, 2 cart, 3 checkout, 4 purchase
    let rows: Vec<(u64, i64, usize)> = [
        (1, vec![0, 1, 1, 0, 2, 0, 1, 2, 3, 4]),
        (2, vec![0, 2, 3, 4]),
        (3, vec![0, 1, 2]),
    ]
    .into_iter()
    .flat_map(|(c, es)| {
        es.into_iter()
            .enumerate()
            .map(move |(m, e)| (c, m as i64, e))
    })
    .collect();
    let log = log_of(&rows);
    let config =
        PathsConfig::between(Step::event("view_item"), Step::event("purchase")).with_steps(2);
    let r = report(&config, &log);
    assert_eq!((r.paths, r.unfinished, r.customers_on_paths), (2, 1, 2));
    let steps: Vec<Vec<String>> = r.top_paths.iter().map(|p| p.steps.clone()).collect();
    assert!(
        steps.contains(&vec![
            "view_item".to_owned(),
            "product_click".into(),
            "product_click".into(),
            "(more)".into(),
            "add_to_cart".into(),
            "begin_checkout".into(),
            "purchase".into(),
        ]),
        "{steps:?}"
    );
    assert!(
        steps.contains(&vec![
            "view_item".to_owned(),
            "add_to_cart".into(),
            "begin_checkout".into(),
            "purchase".into(),
        ]),
        "{steps:?}"
    );
    let ids: BTreeSet<&str> = r.nodes.iter().map(|n| n.id.as_str()).collect();
    for id in [
        "start:view_item",
        "start+1:product_click",
        "more:(more)",
        "end-2:add_to_cart",
        "end-1:begin_checkout",
        "end:purchase",
        "start+1:add_to_cart",
        "start+2:begin_checkout",
    ] {
        assert!(ids.contains(id), "{id} not in {ids:?}");
    }
    // Columns run left to right: start, start+1, start+2, more, end-2, end-1, end.
    let col = |id: &str| r.nodes.iter().find(|n| n.id == id).unwrap().column;
    assert!(col("start:view_item") < col("start+2:begin_checkout"));
    assert!(col("start+2:begin_checkout") < col("more:(more)"));
    assert!(col("more:(more)") < col("end-2:add_to_cart"));
    assert!(col("end-1:begin_checkout") < col("end:purchase"));
}

#[test]
fn customers_and_transitions_are_counted_apart() {
    // Customer 1 goes cart -> checkout three times; customer 2 once.
    let rows: Vec<(u64, i64, usize)> = [(1, vec![2, 3, 2, 3, 2, 3]), (2, vec![0, 2, 3])]
        .into_iter()
        .flat_map(|(c, es)| {
            es.into_iter()
                .enumerate()
                .map(move |(m, e)| (c, m as i64, e))
        })
        .collect();
    let log = log_of(&rows);
    let config = PathsConfig::before(Step::event("begin_checkout"))
        .with_steps(1)
        .with_occurrence(Occurrence::Every);
    let r = report(&config, &log);
    let edge = r
        .edges
        .iter()
        .find(|e| e.from == "-1:add_to_cart" && e.to == "0:begin_checkout")
        .unwrap();
    assert_eq!((edge.customers, edge.transitions), (2, 4));
    // The first occurrence only: one path per customer.
    let first = report(&config.clone().with_occurrence(Occurrence::First), &log);
    assert_eq!(first.paths, 2);
    assert_eq!(first.edges[0].transitions, 2);
}

#[test]
fn sessions_cut_paths_and_markers_show_where_they_end() {
    // Customer 1: view, cart | 2 hours later | checkout, purchase.
    let rows = vec![(1, 0, 0), (1, 1, 2), (1, 121, 3), (1, 122, 4)];
    let log = log_of(&rows);
    let after = PathsConfig::after(Step::event("view_item")).with_steps(3);
    let whole = report(&after, &log);
    assert_eq!(
        whole.top_paths[0].steps,
        ["view_item", "add_to_cart", "begin_checkout", "purchase"]
    );
    let cut = report(&after.clone().with_scope(Scope::Sessions), &log);
    assert_eq!(
        cut.top_paths[0].steps,
        ["view_item", "add_to_cart", "(end)"]
    );
    let before = PathsConfig::before(Step::event("purchase"))
        .with_steps(3)
        .with_scope(Scope::Sessions);
    let r = report(&before, &log);
    assert_eq!(
        r.top_paths[0].steps,
        ["(start)", "begin_checkout", "purchase"]
    );
    assert_eq!(r.at("-2").next().unwrap().label, "(start)");
}

#[test]
fn grouping_exclusion_collapse_and_top() {
    let rows = vec![
        (1, 0, 5),
        (1, 1, 0),
        (1, 2, 1),
        (1, 3, 0),
        (1, 4, 2),
        (2, 0, 0),
        (2, 1, 2),
    ];
    let log = log_of(&rows);
    let config = PathsConfig::after(Step::new("first", vec![]))
        .with_steps(3)
        .group("view_*", "product")
        .group("product_*", "product")
        .exclude("ad_*")
        .collapsing_repeats();
    let r = report(&config, &log);
    let steps: Vec<Vec<String>> = r.top_paths.iter().map(|p| p.steps.clone()).collect();
    // The ad click is left out, the three product rows are one.
    assert_eq!(
        steps,
        [vec![
            "product".to_owned(),
            "add_to_cart".into(),
            "(end)".into()
        ],]
    );
    assert_eq!((r.top_paths[0].customers, r.top_paths[0].paths), (2, 2));
    let top = report(&config.clone().with_top(1), &log);
    assert_eq!(top.edges.len(), 1);
    assert_eq!(top.nodes, r.nodes);
    // JSON for a Sankey: nodes with ids, edges between ids.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["edges"][0]["from"], "0:product");
    assert_eq!(json["edges"][0]["customers"], 2);
    assert_eq!(json["edges"][0]["transitions"], 2);
}

#[test]
fn states_of_other_configurations_do_not_merge() {
    let a = PathsConfig::after(Step::event("view_item"));
    let b = PathsConfig::before(Step::event("view_item"));
    let mut x = PathsAccumulator::new(&a).unwrap();
    let e = x
        .merge(PathsAccumulator::new(&b).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("after view_item") && e.contains("before view_item"),
        "{e}"
    );
    assert!(PathsAccumulator::new(&a.clone().with_steps(0)).is_err());
    // A state whose entries name labels it does not have is refused.
    let bad = r#"{"fingerprint":{"config":{"focus":{"type":"after","start":{"name":"v","conditions":[]}}},"custom":[]},"customers":1,"customers_on_paths":1,"paths":1,"unfinished":0,"labels":[],"nodes":[[0,3,1,1]],"edges":[],"sequences":[]}"#;
    assert!(serde_json::from_str::<PathsAccumulator>(bad).is_err());
}
