//! The web application end to end on a large store: seeds (or reuses) the store of the store's
//! `web_bench` (the same data set: `crates/store/examples/shared/web_seed.rs`), creates one
//! account per role, serves the real router (`zhijian_web::router`: sessions, scope, masking,
//! JSON, compression, security headers) on a loopback port, logs in over HTTP and times
//! requests from a plain HTTP/1.1 client on a kept-alive connection: the dashboard (several
//! scopes and filters), the interaction list (first page and later pages by cursor, with
//! store filters and drill-down parameters) and the detail. p50 / p95 / max over `--runs`
//! requests each, measured from the first byte sent to the last byte of the body received.
//!
//! ```text
//! cargo run --release -p zhijian-web --example http_bench -- --interactions 1000000
//!     [--db PATH] [--runs 50] [--batch 2000]
//! ```
//!
//! `--db PATH` keeps the store there and reuses it when it already holds interactions (a
//! `postgres://` URL works too); without it a temporary SQLite file is used.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zhijian_engine::Engine;
use zhijian_store::Role;
use zhijian_web::api::pct;
use zhijian_web::{AppState, router};

#[path = "../../store/examples/shared/web_seed.rs"]
mod web_seed;
use web_seed::*;

/// A plain HTTP/1.1 client on one kept-alive connection, with the session cookie.
struct Client {
    conn: BufReader<TcpStream>,
    addr: SocketAddr,
    cookie: String,
}

fn query(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).expect("nodelay");
        Client {
            conn: BufReader::new(s),
            addr,
            cookie: String::new(),
        }
    }

    /// One request; the status and the body (chunked or with a length).
    async fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> (u16, Vec<u8>) {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            self.addr
        );
        if !self.cookie.is_empty() {
            req.push_str(&format!("Cookie: {}\r\n", self.cookie));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        if let Some(b) = body {
            req.push_str(b);
        }
        self.conn
            .get_mut()
            .write_all(req.as_bytes())
            .await
            .expect("write");
        let mut line = String::new();
        self.conn.read_line(&mut line).await.expect("status");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let (mut len, mut chunked) = (None, false);
        loop {
            line.clear();
            self.conn.read_line(&mut line).await.expect("header");
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').expect("header");
            let (k, v) = (k.to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => len = v.parse::<usize>().ok(),
                "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                "set-cookie" => {
                    if let Some(c) = v.split(';').next()
                        && c.starts_with("zj_session=")
                    {
                        self.cookie = c.to_string();
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.conn.read_line(&mut line).await.expect("chunk size");
                let n = usize::from_str_radix(line.trim(), 16).expect("chunk size");
                let mut chunk = vec![0; n + 2];
                self.conn.read_exact(&mut chunk).await.expect("chunk");
                out.extend_from_slice(&chunk[..n]);
                if n == 0 {
                    break;
                }
            }
        } else if let Some(n) = len {
            out.resize(n, 0);
            self.conn.read_exact(&mut out).await.expect("body");
        }
        (status, out)
    }

    async fn login(addr: SocketAddr, username: &str, password: &str) -> Client {
        let mut c = Client::connect(addr).await;
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let (status, b) = c.send("POST", "/api/login", Some(&body)).await;
        assert_eq!(
            status,
            200,
            "login {username}: {}",
            String::from_utf8_lossy(&b)
        );
        assert!(!c.cookie.is_empty(), "login {username}: no session cookie");
        c
    }

    /// A GET that must answer 200 with JSON: the time taken and the value.
    async fn get(&mut self, path: &str) -> (Duration, Value) {
        let t = Instant::now();
        let (status, body) = self.send("GET", path, None).await;
        let d = t.elapsed();
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        (d, serde_json::from_slice(&body).expect("json"))
    }
}

/// `runs` timed GETs of `path(k)`; the durations and the last answer.
async fn time_gets(
    c: &mut Client,
    runs: usize,
    path: impl Fn(usize) -> String,
) -> (Vec<Duration>, Value) {
    let mut out = Vec::with_capacity(runs);
    let mut last = Value::Null;
    for k in 0..runs {
        let (d, v) = c.get(&path(k)).await;
        out.push(d);
        last = v;
    }
    (out, last)
}

/// (label, index of the signed-in client, query parameters).
type Case = (&'static str, usize, Vec<(&'static str, String)>);

const PASSWORD: &str = "bench-password-2026";

#[tokio::main]
async fn main() {
    let mut n = 1_000_000usize;
    let mut runs = 50usize;
    let mut batch = 2_000usize;
    let mut db: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--interactions" => n = val().parse().expect("a number"),
            "--runs" => runs = val().parse().expect("a number"),
            "--batch" => batch = val().parse().expect("a number"),
            "--db" => db = Some(val()),
            other => panic!("unknown argument {other}"),
        }
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; use --release for figures");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let url = db.unwrap_or_else(|| dir.path().join("web.db").display().to_string());
    let (store, n) = open_or_seed(&url, n, batch).await;
    println!("store: {n} interactions ({})", store.backend());

    // One account per role that the benchmark signs in with.
    let accounts = [
        user(Role::Admin, None, None, None, None),
        user(Role::QaLead, None, None, None, None),
        user(Role::BranchHead, Some(1), None, None, None),
        user(Role::TeamLead, Some(2), Some(3), None, None),
        user(Role::Agent, None, None, Some(17), None),
        user(Role::ClientAuditor, None, None, None, Some(3)),
    ];
    for u in &accounts {
        zhijian_web::users::add_user(&store, u, PASSWORD)
            .await
            .expect("account");
    }

    let state = AppState::new(Arc::new(store), Arc::new(Engine::builtin()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("serving on http://{addr}");

    let first = start_day();
    let last = first
        .checked_add(jiff::Span::new().days(DAYS - 1))
        .expect("date");
    let week = last.checked_sub(jiff::Span::new().days(6)).expect("date");
    let d30 = vec![("from", first.to_string()), ("to", last.to_string())];
    let d7 = vec![("from", week.to_string()), ("to", last.to_string())];
    let with = |base: &Vec<(&'static str, String)>, extra: &[(&'static str, &str)]| {
        let mut v = base.clone();
        v.extend(extra.iter().map(|(k, x)| (*k, x.to_string())));
        v
    };
    // One signed-in client per account, in the order of `accounts`.
    let mut clients = Vec::new();
    for u in &accounts {
        clients.push(Client::login(addr, &u.username, PASSWORD).await);
    }
    let (admin, qa_lead, branch_head, team_lead, agent, auditor) = (0, 1, 2, 3, 4, 5);

    println!(
        "\nGET /api/dashboard ({runs} requests each)                          p50 ms  p95 ms  max ms"
    );
    let region = BRANCHES[1].1;
    let dash: Vec<Case> = vec![
        ("admin, 30 days", admin, d30.clone()),
        ("admin, 7 days", admin, d7.clone()),
        (
            "admin, 30 days, client",
            admin,
            with(&d30, &[("client", "CL1")]),
        ),
        ("qa lead, 30 days", qa_lead, d30.clone()),
        ("qa lead, 30 days, branch + team", qa_lead, {
            with(&d30, &[("branch", BRANCHES[0].0), ("team", TEAMS[1])])
        }),
        ("branch head, 30 days", branch_head, d30.clone()),
        ("team lead, 30 days", team_lead, d30.clone()),
        ("team lead, 7 days", team_lead, d7.clone()),
        ("agent, 30 days", agent, d30.clone()),
        ("client auditor, 30 days", auditor, d30.clone()),
        ("qa lead, 30 days, region (drill-down)", qa_lead, {
            with(&d30, &[("region", region)])
        }),
        ("qa lead, 30 days, tenure lt3 (drill-down)", qa_lead, {
            with(&d30, &[("tenure", "lt3")])
        }),
        ("team lead, 30 days, weekday 2 (drill-down)", team_lead, {
            with(&d30, &[("weekday", "2")])
        }),
    ];
    let mut worst = 0.0f64;
    for (label, c, params) in dash {
        let path = format!("/api/dashboard?{}", query(&params));
        let (d, v) = time_gets(&mut clients[c], runs, |_| path.clone()).await;
        let note = format!(
            "{} interactions, {} B",
            v["kpis"]["interactions"],
            v.to_string().len()
        );
        let (_, p95, _) = row(label, d, &note);
        worst = worst.max(p95);
    }
    println!("  worst p95: {worst:.1} ms");
    // Dashboards that the rollups answer only in part (stage, hour) or not at all (category):
    // fewer runs, reported apart.
    let slow_runs = runs.clamp(1, 5);
    println!(
        "\nGET /api/dashboard, read from the facts rows in part or whole ({slow_runs} requests each)"
    );
    let slow: Vec<Case> = vec![
        ("team lead, 30 days, stage M2 (drill-down)", team_lead, {
            with(&d30, &[("stage", "M2")])
        }),
        ("qa lead, 7 days, hour 9 (drill-down)", qa_lead, {
            with(&d7, &[("hour", "9")])
        }),
        ("qa lead, 7 days, category threat", qa_lead, {
            with(&d7, &[("category", "threat")])
        }),
    ];
    for (label, c, params) in slow {
        let path = format!("/api/dashboard?{}", query(&params));
        let (d, v) = time_gets(&mut clients[c], slow_runs, |_| path.clone()).await;
        row(
            label,
            d,
            &format!("{} interactions", v["kpis"]["interactions"]),
        );
    }

    println!(
        "\nGET /api/interactions, limit 50 ({runs} requests each)              p50 ms  p95 ms  max ms"
    );
    let list: Vec<Case> = vec![
        ("admin, no filter", admin, vec![]),
        ("admin, 30 days", admin, d30.clone()),
        ("qa lead, category threat", qa_lead, {
            vec![("category", "threat".to_string())]
        }),
        ("qa lead, failed, 7 days", qa_lead, {
            with(&d7, &[("status", "failed")])
        }),
        ("qa lead, client + pii_leak + failed, 7 days", qa_lead, {
            with(
                &d7,
                &[
                    ("client", "CL0"),
                    ("category", "pii_leak"),
                    ("status", "failed"),
                ],
            )
        }),
        ("branch head, with findings", branch_head, {
            vec![("status", "findings".to_string())]
        }),
        ("team lead, no filter", team_lead, vec![]),
        ("team lead, failed, 30 days", team_lead, {
            with(&d30, &[("status", "failed")])
        }),
        ("team lead, level 3, score 70–80", team_lead, {
            vec![
                ("level", "3".to_string()),
                ("score_min", "70".to_string()),
                ("score_max", "80".to_string()),
            ]
        }),
        ("agent, no filter", agent, vec![]),
        ("client auditor, level 4", auditor, {
            vec![("level", "4".to_string())]
        }),
        ("qa lead, heat-map cell Wed 10:00 + findings", qa_lead, {
            with(
                &d30,
                &[("weekday", "2"), ("hour", "10"), ("status", "findings")],
            )
        }),
        (
            "qa lead, heat-map cell Sun 06:00 + findings (rare)",
            qa_lead,
            {
                with(
                    &d30,
                    &[("weekday", "6"), ("hour", "6"), ("status", "findings")],
                )
            },
        ),
        ("qa lead, tenure lt3", qa_lead, {
            with(&d30, &[("tenure", "lt3")])
        }),
        ("qa lead, tenure unknown", qa_lead, {
            with(&d30, &[("tenure", "unknown")])
        }),
        (
            "qa lead, region",
            qa_lead,
            with(&d30, &[("region", region)]),
        ),
        ("team lead, stage M3", team_lead, {
            with(&d30, &[("stage", "M3")])
        }),
        ("qa lead, stage unknown (none)", qa_lead, {
            with(&d30, &[("stage", "unknown")])
        }),
    ];
    let (mut worst_first, mut worst_later) = (0.0f64, 0.0f64);
    let mut team_ids: Vec<String> = Vec::new();
    for (label, c, params) in list {
        let base = query(&params);
        let path = |cursor: Option<&str>| {
            let mut q = base.clone();
            if let Some(cur) = cursor {
                if !q.is_empty() {
                    q.push('&');
                }
                q.push_str(&format!("cursor={}", pct(cur)));
            }
            format!("/api/interactions?{q}")
        };
        let c = &mut clients[c];
        let (d, page) = time_gets(c, runs, |_| path(None)).await;
        let items = page["items"].as_array().map_or(0, Vec::len);
        let (_, p95, _) = row(&format!("{label}: page 1"), d, &format!("{items} items"));
        worst_first = worst_first.max(p95);
        if label.starts_with("team lead, no filter") {
            team_ids.extend(
                page["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["id"].as_str().map(str::to_string)),
            );
        }
        // Pages 2–10 by cursor, each fetched once to get the cursors, then timed in turn.
        let mut cursors = Vec::new();
        let mut next = page["next_cursor"].as_str().map(str::to_string);
        while let Some(cur) = next {
            if cursors.len() >= 9 {
                break;
            }
            let (_, p) = c.get(&path(Some(&cur))).await;
            next = p["next_cursor"].as_str().map(str::to_string);
            cursors.push(cur);
        }
        if !cursors.is_empty() {
            let (d, _) = time_gets(c, runs, |k| path(Some(&cursors[k % cursors.len()]))).await;
            let (_, p95, _) = row(&format!("{label}: pages 2–{}", cursors.len() + 1), d, "");
            worst_later = worst_later.max(p95);
        }
    }
    println!("  worst p95: first page {worst_first:.1} ms, later pages {worst_later:.1} ms");

    println!(
        "\nGET /api/interactions/{{id}} ({runs} requests each)                   p50 ms  p95 ms  max ms"
    );
    let ids: Vec<String> = (0..runs)
        .map(|k| format!("G{:08}", (k * 7_919) % n))
        .collect();
    let (d, _) = time_gets(&mut clients[admin], runs, |k| {
        format!("/api/interactions/{}", ids[k])
    })
    .await;
    row("detail, admin (unmasked), audited", d, "");
    let (d, _) = time_gets(&mut clients[qa_lead], runs, |k| {
        format!("/api/interactions/{}", ids[k])
    })
    .await;
    row("detail, qa lead (unmasked), audited", d, "");
    if !team_ids.is_empty() {
        let (d, v) = time_gets(&mut clients[team_lead], runs, |k| {
            format!("/api/interactions/{}", team_ids[k % team_ids.len()])
        })
        .await;
        let masked = v["interaction"]["contact"]["number"]
            .as_str()
            .unwrap_or("")
            .contains('*');
        row(
            "detail, team lead (masked), audited",
            d,
            if masked { "number masked" } else { "" },
        );
    }
}
