//! The service example, started on a free port and spoken to over real
//! HTTP/1.1: a minimal client on `std::net::TcpStream` (one request per
//! connection, `Connection: close`), enough for the contract and free of
//! another dependency.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The example, built up to date first (see `cli::exe`).
fn exe(name: &str) -> PathBuf {
    crate::cli::exe(name)
}

/// The running service, killed when dropped (also when a test fails).
struct Service {
    child: Child,
    port: u16,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Service {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(exe("service"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--customers", "400"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let service = Service { child, port };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok((200, _)) = try_request(port, "GET", "/health", "") {
            return service;
        }
        assert!(Instant::now() < deadline, "the service did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn try_request(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        let mut out = String::new();
        let mut rest = rest;
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, Value) {
    let (status, body) = try_request(port, method, path, body).unwrap();
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, json)
}

fn line(user: &str, minute: u32, event: &str) -> String {
    format!(
        r#"{{"user_id": "{user}", "ts": "2025-01-20T{:02}:{:02}:00Z", "event": "{event}", "channel": "direct"}}"#,
        minute / 60,
        minute % 60
    )
}

#[test]
fn the_service_answers_the_contract() {
    let svc = start();
    let port = svc.port;
    let (status, c) = request(port, "GET", "/customers/u0000001", "");
    assert_eq!(status, 200, "{c}");
    for key in [
        "customer",
        "touchpoints",
        "stage",
        "persona",
        "scores",
        "reasons",
        "actions",
    ] {
        assert!(c.get(key).is_some(), "missing {key}: {c}");
    }
    assert_eq!(c["customer"], "u0000001");
    for a in c["actions"].as_array().unwrap() {
        assert!(a["action"].is_string() && a["rule"].is_string() && a["reason"].is_string());
    }
    let before = c["touchpoints"].as_u64().unwrap();
    assert_eq!(request(port, "GET", "/customers/nobody", "").0, 404);

    // A bad line refuses the whole batch, naming the line.
    let body = format!(
        "{}\n{}\n",
        line("u0000001", 1, "view_item"),
        r#"{"user_id": "u0000001", "event": "view_item"}"#
    );
    let (status, e) = request(port, "POST", "/events", &body);
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().starts_with("line 2:"), "{e}");
    let body = format!(
        "{}\n{}\n",
        line("u0000001", 1, "view_item"),
        line("u0000001", 2, "view_item").replace("2025-01-20T00:02:00Z", "yesterday")
    );
    let (status, e) = request(port, "POST", "/events", &body);
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().starts_with("line 2:"), "{e}");
    assert_eq!(request(port, "POST", "/events", "not json\n").0, 400);
    // Blank lines do not shift the line named.
    let bad = line("u0000001", 2, "view_item").replace("2025-01-20T00:02:00Z", "later");
    let body = format!("\n{}\n\n{bad}\n", line("u0000001", 1, "view_item"));
    let (status, e) = request(port, "POST", "/events", &body);
    assert_eq!(status, 400);
    assert!(e["error"].as_str().unwrap().starts_with("line 4:"), "{e}");
    let (_, c) = request(port, "GET", "/customers/u0000001", "");
    assert_eq!(
        c["touchpoints"].as_u64().unwrap(),
        before,
        "nothing applied"
    );

    // Good lines are applied.
    let body = format!(
        "{}\n{}\n",
        line("svc-new", 1, "view_item"),
        line("svc-new", 2, "add_to_cart")
    );
    let (status, r) = request(port, "POST", "/events", &body);
    assert_eq!((status, r["accepted"].as_u64()), (200, Some(2)), "{r}");
    let (status, c) = request(port, "GET", "/customers/svc-new", "");
    assert_eq!((status, c["touchpoints"].as_u64()), (200, Some(2)), "{c}");

    let (status, map) = request(port, "GET", "/map", "");
    assert_eq!(status, 200);
    assert_eq!(map["format"], "cxjourney.journey_map");
    assert_eq!(map["stages"].as_array().unwrap().len(), 5);
}

#[test]
fn concurrent_reads_while_events_are_posted_lose_nothing() {
    let svc = start();
    let port = svc.port;
    let (posters, batches, per_batch) = (3, 6, 4);
    std::thread::scope(|scope| {
        for p in 0..posters {
            scope.spawn(move || {
                for b in 0..batches {
                    let body: String = (0..per_batch)
                        .map(|i| line(&format!("svc-{p}"), b * per_batch + i, "view_item") + "\n")
                        .collect();
                    let (status, r) = request(port, "POST", "/events", &body);
                    assert_eq!(status, 200, "{r}");
                    assert_eq!(r["accepted"].as_u64(), Some(u64::from(per_batch)));
                }
            });
        }
        for _ in 0..3 {
            scope.spawn(move || {
                for _ in 0..15 {
                    let (status, c) = request(port, "GET", "/customers/u0000002", "");
                    assert_eq!(status, 200, "{c}");
                    assert_eq!(request(port, "GET", "/health", "").0, 200);
                }
            });
        }
    });
    for p in 0..posters {
        let (status, c) = request(port, "GET", &format!("/customers/svc-{p}"), "");
        assert_eq!(status, 200);
        assert_eq!(
            c["touchpoints"].as_u64(),
            Some(u64::from(batches * per_batch)),
            "{c}"
        );
    }
}
