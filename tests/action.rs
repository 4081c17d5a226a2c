//! Next best actions and journey maps on the sample shop: the map validates
//! against its JSON Schema, the actions fired per persona match what the
//! rules intend, and the backtest table.

use chrono::{DateTime, TimeDelta, Utc};
use cxjourney::action::{CustomerContext, Evaluation, JourneyMap, JourneyMapBuilder, RuleSet};
use cxjourney::persona::{Classifier, Evidence, PersonaConfig};
use cxjourney::sample::{SampleConfig, SampleShop, sample_advocacy, sample_survey};
use cxjourney::{
    Accumulator, BuiltinKind, Journey, JourneyConfig, Persona, PyramidConfig, PyramidReport,
};
use serde_json::Value;

struct Sample {
    shop: SampleShop,
    journeys: Vec<Journey>,
    as_of: DateTime<Utc>,
    rules: RuleSet,
    contexts: Vec<CustomerContext>,
    evaluations: Vec<Evaluation>,
    pyramid: PyramidReport,
    nps: Option<f64>,
}

/// The sample shop as of `offset` before its last event; `shop_wide`: with
/// the pyramid's weakest foundation in every context (the rules on it fire
/// for everyone).
fn sample_at(offset: TimeDelta, shop_wide: bool) -> Sample {
    let shop = SampleShop::generate(&SampleConfig::default()).unwrap();
    let journeys = Journey::group(shop.touchpoints.clone(), &JourneyConfig::default()).unwrap();
    let classifier = Classifier::new(PersonaConfig {
        evidence: Evidence::of_touchpoints(&shop.touchpoints),
        ..PersonaConfig::default()
    })
    .unwrap();
    let as_of = shop.touchpoints.iter().map(|t| t.at).max().unwrap() - offset;
    let responses = sample_survey(&shop, 1).unwrap();
    let pyramid = PyramidReport::from_responses(&responses, &PyramidConfig::default()).unwrap();
    let nps = sample_advocacy(&shop, &responses, 1)
        .unwrap()
        .finish()
        .unwrap()
        .all
        .nps
        .nps;
    let campaign_day = shop
        .campaign_days
        .iter()
        .any(|(d, _)| d.date_naive() == (as_of + TimeDelta::hours(7)).date_naive());
    let rules = RuleSet::default();
    let mut contexts = Vec::new();
    let mut evaluations = Vec::new();
    for j in &journeys {
        let profile = classifier.profile(j, as_of);
        let class = classifier.classify(&profile);
        let mut ctx = CustomerContext::from_profile(&class, &profile, &j.view());
        ctx.weakest_dimension = pyramid.weakest_foundation.filter(|_| shop_wide);
        ctx.campaign_day = campaign_day;
        evaluations.push(rules.evaluate(&ctx, &[], as_of));
        contexts.push(ctx);
    }
    Sample {
        shop,
        journeys,
        as_of,
        rules,
        contexts,
        evaluations,
        pyramid,
        nps,
    }
}

fn map_of(s: &Sample, persona: Option<Persona>) -> JourneyMap {
    let mut b = JourneyMapBuilder::new(persona, s.as_of);
    for ((j, c), e) in s.journeys.iter().zip(&s.contexts).zip(&s.evaluations) {
        b.add(&j.view(), c, &s.rules, e);
    }
    b.finish(Some(&s.pyramid), s.nps)
}

// ---- a validator of the JSON Schema subset the map's schema uses ----

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let path = r.trim_start_matches("#/");
            path.split('/').fold(root, |v, k| &v[k])
        }
        None => schema,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        other => panic!("schema uses type {other}, which the validator does not know"),
    }
}

/// Validates `v` against `schema`, pushing every violation with its path.
fn validate(root: &Value, schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(root, schema);
    let known = [
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "title",
        "description",
        "type",
        "required",
        "additionalProperties",
        "properties",
        "items",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
    ];
    for k in schema.as_object().unwrap().keys() {
        assert!(
            known.contains(&k.as_str()),
            "validator does not support keyword {k}"
        );
    }
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
            _ => panic!("bad type"),
        };
        if !ok {
            errors.push(format!("{path}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(c) = schema.get("const") {
        if c != v {
            errors.push(format!("{path}: {v} is not {c}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{path}: {v} is not one of {e:?}"));
        }
    }
    if let (Some(x), Some(min)) = (v.as_f64(), schema.get("minimum").and_then(Value::as_f64)) {
        if x < min {
            errors.push(format!("{path}: {x} < minimum {min}"));
        }
    }
    if let (Some(x), Some(max)) = (v.as_f64(), schema.get("maximum").and_then(Value::as_f64)) {
        if x > max {
            errors.push(format!("{path}: {x} > maximum {max}"));
        }
    }
    if let Some(o) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !o.contains_key(r.as_str().unwrap()) {
                errors.push(format!("{path}: missing required {r}"));
            }
        }
        for (k, x) in o {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, x, &format!("{path}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{path}: unexpected property {k}"));
                }
                None => {}
            }
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(n) = schema.get("minItems").and_then(Value::as_u64) {
            if (a.len() as u64) < n {
                errors.push(format!("{path}: fewer than {n} items"));
            }
        }
        if let Some(n) = schema.get("maxItems").and_then(Value::as_u64) {
            if (a.len() as u64) > n {
                errors.push(format!("{path}: more than {n} items"));
            }
        }
        if let Some(items) = schema.get("items") {
            for (i, x) in a.iter().enumerate() {
                validate(root, items, x, &format!("{path}[{i}]"), errors);
            }
        }
    }
}

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/journey_map.v1.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn errors_of(map: &Value) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, map, "$", &mut errors);
    errors
}

#[test]
fn the_validator_catches_violations() {
    let s = sample_at(TimeDelta::zero(), true);
    let mut map = serde_json::to_value(map_of(&s, None)).unwrap();
    assert_eq!(errors_of(&map), Vec::<String>::new());
    map["version"] = Value::from(2);
    map["stages"][1]["emotion"] = Value::from(3.5);
    map["stages"][2]["doing"][0]["extra"] = Value::from(1);
    map["stages"][3].as_object_mut().unwrap().remove("feeling");
    let errors = errors_of(&map);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn the_sample_shops_maps_validate_and_round_trip() {
    let s = sample_at(TimeDelta::zero(), true);
    for persona in std::iter::once(None).chain(Persona::ALL.iter().copied().map(Some)) {
        let map = map_of(&s, persona);
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(errors_of(&json), Vec::<String>::new(), "{persona:?}");
        let back: JourneyMap = serde_json::from_value(json).unwrap();
        assert_eq!(back, map);
    }
    let map = map_of(&s, None);
    assert_eq!(map.customers as usize, s.journeys.len());
    // Every stage with customers has evidence, an emotion and top touchpoints.
    for st in &map.stages {
        assert!(st.emotion.is_some(), "{:?}", st.stage);
        if st.entered > 0 {
            assert!(!st.doing.is_empty() && !st.touchpoints.is_empty());
        }
    }
    // Deterministic, byte for byte.
    assert_eq!(
        serde_json::to_string(&map).unwrap(),
        serde_json::to_string(&map_of(&s, None)).unwrap()
    );
}

/// What the rules intend, per persona: the rule fires for (nearly) every
/// customer of the persona and never for another persona.
#[test]
fn actions_fired_per_persona_match_the_intent() {
    let s = sample_at(TimeDelta::zero(), true);
    let intents = [
        (Persona::Researcher, "researcher_comparison"),
        (Persona::FocusedBuyer, "focused_one_click"),
        (Persona::Surfer, "surfer_first_impression"),
        (Persona::Loyal, "loyal_reward"),
    ];
    for (persona, rule) in intents {
        let (mut of, mut got, mut others) = (0, 0, 0);
        for (c, e) in s.contexts.iter().zip(&s.evaluations) {
            let fired = s.rules.spell(e).iter().any(|a| a.rule == rule);
            if c.primary == Some(persona) {
                of += 1;
                got += usize::from(fired);
            } else {
                others += usize::from(fired);
            }
        }
        assert!(of > 0, "{persona}: no customers");
        assert!(
            got * 10 >= of * 9,
            "{rule}: {got} of {of} {persona} customers"
        );
        assert_eq!(others, 0, "{rule} fired for other personas");
    }
    for (c, e) in s.contexts.iter().zip(&s.evaluations) {
        let spelled = s.rules.spell(e);
        if c.primary == Some(Persona::Surfer) {
            assert!(spelled.iter().all(|a| a.action != "voucher_or_discount"));
        }
        if spelled.iter().any(|a| a.action == "cart_reminder") {
            assert!(c.events.cart_abandoned_hours.is_some());
        }
        if spelled.iter().any(|a| a.rule == "impulsive_bundle") {
            assert_eq!(c.primary, Some(Persona::ImpulsiveOneTime));
        }
    }
}

/// Whether the data shows the customer got something like `action` in the
/// window; `None` when the log cannot show it.
fn got_in_data(
    action: &str,
    view: &cxjourney::log::JourneyView<'_>,
    from: i64,
    to: i64,
) -> Option<bool> {
    use cxjourney::BuiltinChannel as Ch;
    use cxjourney::BuiltinKind as K;
    let rows = || {
        view.rows()
            .filter(move |r| r.micros() > from && r.micros() <= to)
    };
    let kind = |ks: &[K]| rows().any(|r| r.builtin_kind().is_some_and(|k| ks.contains(&k)));
    let channel =
        |cs: &[Ch]| rows().any(|r| r.channel().builtin().is_some_and(|c| cs.contains(&c)));
    Some(match action {
        "cart_reminder" => channel(&[Ch::Sms, Ch::WhatsappChat, Ch::Email, Ch::Push]),
        "customer_service_follow_up" | "proactive_support" => channel(&[Ch::CustomerService]),
        "voucher_or_discount" | "win_back_offer" | "prepaid_incentive" => {
            kind(&[K::PromotionView, K::PromotionClick, K::CouponApplied])
        }
        "comparison_and_reviews" => kind(&[K::Comparison, K::ReviewRead]),
        "first_impression_content" => kind(&[K::AdClick, K::SearchVisit, K::PromotionClick]),
        "one_click_checkout" => kind(&[K::CheckoutStart]),
        "bundle" | "upsell_cross_sell" => rows().any(|r| r.is(K::AddToCart) && r.discounted()),
        _ => return None,
    })
}

/// The backtest: recommendations as of 30 days before the end of the
/// sample shop's data; for each top action, the customers who got it (in
/// the data, in the 30 days after) against those who did not, and the
/// share of each that ordered in those 30 days. The shop-wide rules (on
/// the pyramid's weakest foundation) are left out: they fire for everyone.
/// Correlation, not an experiment: the sample shop plants no effect of the
/// actions.
#[test]
fn backtest_table() {
    let window = TimeDelta::days(30);
    let s = sample_at(window, false);
    let (from, to) = (
        s.as_of.timestamp_micros(),
        (s.as_of + window).timestamp_micros(),
    );
    // action -> [got, got and ordered, not got, not got and ordered]
    let mut table: std::collections::BTreeMap<String, [u64; 4]> = Default::default();
    for (j, e) in s.journeys.iter().zip(&s.evaluations) {
        let Some(top) = s.rules.spell(e).into_iter().next() else {
            continue;
        };
        let view = j.view();
        let Some(got) = got_in_data(&top.action, &view, from, to) else {
            continue;
        };
        let ordered = view
            .rows()
            .any(|r| r.micros() > from && r.micros() <= to && r.is(BuiltinKind::OrderCompleted));
        let row = table.entry(top.action).or_default();
        let i = if got { 0 } else { 2 };
        row[i] += 1;
        row[i + 1] += u64::from(ordered);
    }
    println!(
        "backtest: top action as of {}, outcome in the next 30 days",
        s.as_of
    );
    println!(
        "{:<28} {:>6} {:>10} {:>8} {:>10}",
        "action", "got", "converted", "not got", "converted"
    );
    let rate = |n: u64, d: u64| {
        if d == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}%", 100.0 * n as f64 / d as f64)
        }
    };
    let mut total = 0;
    for (action, [g, gc, n, nc]) in &table {
        assert!(gc <= g && nc <= n);
        total += g + n;
        println!(
            "{action:<28} {g:>6} {:>10} {n:>8} {:>10}",
            rate(*gc, *g),
            rate(*nc, *n)
        );
    }
    assert!(total > 0, "no customer had an observable top action");
    assert!(s.shop.customers.len() as u64 >= total);
}
