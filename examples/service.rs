//! The crate inside a service: an HTTP service that keeps the sample shop's
//! event log in memory, takes new events, and answers with each customer's
//! stage, persona, checkout profile and next best actions, and the journey
//! map.
//!
//! `cargo run --release --example service -- --addr 127.0.0.1:8080`
//!
//! - `POST /events`: JSON lines with the keys `user_id, ts, event, channel,
//!   order_id, product_id, category, value, discounted` (the last six
//!   optional), the columns of the personas CSV. Answers `{"accepted": n}`,
//!   or 400 with `{"error": "line N: ..."}` and nothing applied.
//! - `GET /customers/{id}`: `{"customer", "touchpoints", "stage", "persona",
//!   "scores", "reasons", "checkout", "actions": [{"action", "rule",
//!   "reason", "channel"}]}`, or 404.
//! - `GET /map`: the journey map JSON (format `cxjourney.journey_map`, v1).
//! - `GET /health`: 200.
//!
//! The log is rebuilt by the library's CSV reader (`log::read_csv`) from
//! the rows kept as CSV text, under a write lock, so a batch is applied
//! whole or not at all and readers see one log or the next. "Now" is the
//! latest event time in the log: the library reads no clock.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use clap::Parser;
use cxjourney::action::{CustomerContext, JourneyMapBuilder, RuleSet};
use cxjourney::log::{CsvOptions, EventLog, read_csv};
use cxjourney::persona::{Classifier, Evidence, PersonaConfig};
use cxjourney::sample::{SampleConfig, SampleShop};
use cxjourney::{Persona, Touchpoint};
use serde_json::{Value, json};

#[path = "common/args.rs"]
mod args;

#[derive(Debug, Parser)]
#[command(
    name = "service",
    version,
    override_usage = "service [--addr HOST:PORT] [--customers N]"
)]
struct Cli {
    /// The address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Customers of the sample shop.
    #[arg(long, value_name = "N", default_value_t = 2_400)]
    customers: usize,
}

const HEADER: &str = "user_id,ts,event,channel,order_id,product_id,category,value,discounted\n";
/// At most this many lines in one `POST /events`.
const MAX_LINES: usize = 100_000;

/// The shop: its rows as CSV text and the log built from them.
struct Shop {
    csv: String,
    log: EventLog,
    keys: BTreeMap<String, usize>,
    now: DateTime<Utc>,
}

struct App {
    shop: RwLock<Shop>,
    classifier: Classifier,
    rules: RuleSet,
}

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

fn touchpoint_row(t: &Touchpoint) -> String {
    let value = t.value.map(|m| m.to_string()).unwrap_or_default();
    let value = value.split_whitespace().next().unwrap_or("").to_owned();
    csv_line(&[
        format!("u{:07}", t.customer.0),
        t.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        t.kind.as_str().to_owned(),
        t.channel.to_string(),
        t.order.as_ref().map_or("", |o| o.as_str()).to_owned(),
        t.product.as_ref().map_or("", |p| p.as_str()).to_owned(),
        t.category.as_ref().map_or("", |c| c.as_str()).to_owned(),
        value,
        t.discounted.to_string(),
    ])
}

fn build(csv: String) -> Result<Shop, cxjourney::Error> {
    let (log, _) = read_csv(csv.as_bytes(), &CsvOptions::default())?;
    let mut keys = BTreeMap::new();
    let mut now = DateTime::<Utc>::MIN_UTC;
    for (i, view) in log.journeys().enumerate() {
        if let Some(key) = view.customer_key() {
            keys.insert(key.to_owned(), i);
        }
        now = now.max(view.last_touch_at());
    }
    Ok(Shop {
        csv,
        log,
        keys,
        now,
    })
}

/// One JSON line as CSV cells, or what is wrong with it.
fn cells(line: &str) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(o) = v else {
        return Err("not a JSON object".to_owned());
    };
    const KEYS: [&str; 9] = [
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
    if let Some(k) = o.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key {k:?}"));
    }
    KEYS.iter()
        .enumerate()
        .map(|(i, k)| match o.get(*k) {
            None | Some(Value::Null) if i < 3 => Err(format!("missing {k}")),
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) if *k != "discounted" => Ok(n.to_string()),
            Some(Value::Bool(b)) if *k == "discounted" => Ok(b.to_string()),
            Some(other) => Err(format!("{k}: unexpected value {other}")),
        })
        .collect()
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

async fn post_events(State(app): State<Arc<App>>, body: String) -> Response {
    let mut batch = String::from(HEADER);
    let mut n = 0usize;
    // The body's line number of each CSV record of the batch.
    let mut body_lines = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        body_lines.push(i + 1);
        if n > MAX_LINES {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("more than {MAX_LINES} lines"),
            );
        }
        match cells(line) {
            Ok(c) => batch.push_str(&csv_line(&c)),
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("line {}: {e}", i + 1)),
        }
    }
    // Check the batch alone first: the reader's errors name its CSV line
    // (line 1 is the header), mapped back to the line of the body.
    if let Err(e) = read_csv(batch.as_bytes(), &CsvOptions::default()) {
        let message = match e {
            cxjourney::Error::InvalidRecord {
                line,
                column,
                value,
                reason,
            } => {
                let at = usize::try_from(line)
                    .ok()
                    .and_then(|l| l.checked_sub(2))
                    .and_then(|k| body_lines.get(k));
                match at {
                    Some(at) => format!("line {at}: {column} {value:?}: {reason}"),
                    None => format!("line ?: {column} {value:?}: {reason}"),
                }
            }
            other => format!("line ?: {other}"),
        };
        return error(StatusCode::BAD_REQUEST, message);
    }
    let Ok(mut shop) = app.shop.write() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "lock poisoned".into());
    };
    let mut csv = shop.csv.clone();
    csv.push_str(batch.get(HEADER.len()..).unwrap_or(""));
    match build(csv) {
        Ok(next) => {
            *shop = next;
            (StatusCode::OK, axum::Json(json!({ "accepted": n }))).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, format!("line ?: {e}")),
    }
}

async fn get_customer(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Ok(shop) = app.shop.read() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "lock poisoned".into());
    };
    let Some(view) = shop.keys.get(&id).and_then(|&i| shop.log.journey(i)) else {
        return error(StatusCode::NOT_FOUND, format!("unknown customer {id:?}"));
    };
    let profile = app.classifier.profile_view(view, shop.now);
    let explained = app.classifier.explain(&profile);
    let class = &explained.classification;
    let ctx = CustomerContext::from_profile(class, &profile, &view);
    let actions = app.rules.next_best_actions(&ctx, &[], shop.now);
    let scores: serde_json::Map<String, Value> = class
        .scores
        .iter()
        .map(|(p, s)| (p.to_string(), json!(s)))
        .collect();
    let reasons: Vec<String> = class
        .persona()
        .and_then(|p| explained.reasons.get(&p))
        .map(|rs| rs.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let actions: Vec<Value> = actions
        .iter()
        .map(|a| json!({"action": a.action, "rule": a.rule, "reason": a.reason, "channel": a.channel}))
        .collect();
    axum::Json(json!({
        "customer": id,
        "touchpoints": view.len(),
        "stage": ctx.stage,
        "persona": class.label(),
        "scores": scores,
        "reasons": reasons,
        "checkout": profile.checkout,
        "actions": actions,
    }))
    .into_response()
}

async fn get_map(State(app): State<Arc<App>>) -> Response {
    let Ok(shop) = app.shop.read() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "lock poisoned".into());
    };
    let mut map = JourneyMapBuilder::new(None::<Persona>, shop.now);
    let mut profiler = app.classifier.profiler();
    for view in shop.log.journeys() {
        let Some((profile, class)) = profiler.classify_view(view, shop.now) else {
            continue;
        };
        let ctx = CustomerContext::from_profile(&class, &profile, &view);
        let evaluation = app.rules.evaluate(&ctx, &[], shop.now);
        map.add(&view, &ctx, &app.rules, &evaluation);
    }
    axum::Json(map.finish(None, None)).into_response()
}

fn run(cli: &Cli) -> Result<(), String> {
    let shop = SampleShop::generate(&SampleConfig {
        customers: cli.customers,
        ..SampleConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let mut csv = String::from(HEADER);
    for t in &shop.touchpoints {
        csv.push_str(&touchpoint_row(t));
    }
    let classifier = Classifier::new(PersonaConfig {
        evidence: Evidence::of_touchpoints(&shop.touchpoints),
        ..PersonaConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let app = Arc::new(App {
        shop: RwLock::new(build(csv).map_err(|e| e.to_string())?),
        classifier,
        rules: RuleSet::default(),
    });
    let router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/events", post(post_events))
        .route("/customers/{id}", get(get_customer))
        .route("/map", get(get_map))
        .with_state(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&cli.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", cli.addr))?;
        println!("listening on {}", cli.addr);
        axum::serve(listener, router)
            .await
            .map_err(|e| format!("server: {e}"))
    })
}

fn main() -> ExitCode {
    args::main_with(run, 1)
}
