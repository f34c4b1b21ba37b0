//! The web read models on a large store: seeds a store with realistic interactions through the
//! normal `write` path (60 agents in 3 branches and 12 teams, 5 clients, 40 000 cases, 30 days
//! of calls, SMS, notes and visits, 0–4 findings each, complaints: `shared/web_seed.rs`, which
//! `zhijian-web`'s `http_bench` shares), then times the dashboard,
//! the interaction list (first and later pages, many filter and scope combinations), the
//! detail and rule hits: p50 / p95 / max over `--runs` runs each.
//!
//! ```text
//! cargo run --release -p zhijian-store --example web_bench -- --interactions 1000000
//!     [--db PATH] [--runs 50] [--batch 2000] [--seed-only] [--rebuild] [--short]
//! ```
//!
//! `--db PATH` keeps the store there and reuses it when it already holds the interactions
//! (a `postgres://` URL works too); without it a temporary SQLite file is used. `--seed-only`
//! stops after seeding; `--rebuild` times `rebuild_read_models` before the queries; `--short`
//! times only the whole-organisation dashboards and the drill-down cases.

use std::time::Instant;

use zhijian_domain::Date;
use zhijian_store::{DashboardOptions, Filter, Role, Scope, Status};

#[path = "shared/web_seed.rs"]
mod web_seed;
use web_seed::*;

#[tokio::main]
async fn main() {
    let mut n = 1_000_000usize;
    let mut runs = 50usize;
    let mut batch = 2_000usize;
    let mut db: Option<String> = None;
    let mut seed_only = false;
    let mut rebuild = false;
    let mut short = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--interactions" => n = val().parse().expect("a number"),
            "--runs" => runs = val().parse().expect("a number"),
            "--batch" => batch = val().parse().expect("a number"),
            "--db" => db = Some(val()),
            "--seed-only" => seed_only = true,
            "--rebuild" => rebuild = true,
            "--short" => short = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let url = db.unwrap_or_else(|| dir.path().join("web.db").display().to_string());
    let (store, have) = open_or_seed(&url, n, batch).await;
    let store = &store;
    n = have;
    if seed_only {
        store.close().await;
        return;
    }
    if rebuild {
        let t = Instant::now();
        store.rebuild_read_models().await.expect("rebuild");
        println!(
            "rebuild of the read models: {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let stats = store.stats().await.expect("stats");
    println!(
        "store: {} interactions ({} calls), {} inspected, {} failed, {} findings, {} complaints, {} agents, {} cases",
        stats.interactions.total,
        stats.interactions.call,
        stats.inspected,
        stats.failed,
        stats.findings,
        stats.complaints,
        stats.agents,
        stats.cases
    );
    if let Ok(m) = std::fs::metadata(&url) {
        println!("file: {:.0} MB", m.len() as f64 / 1e6);
    }

    let first = start_day();
    let last = first
        .checked_add(jiff::Span::new().days(DAYS - 1))
        .expect("date");
    let week = last.checked_sub(jiff::Span::new().days(6)).expect("date");
    let range = |from: Date, to: Date| Filter {
        from: Some(from),
        to: Some(to),
        ..Filter::default()
    };
    let admin = Scope::of(&user(Role::Admin, None, None, None, None));
    let branch_head = Scope::of(&user(Role::BranchHead, Some(1), None, None, None));
    let team_lead = Scope::of(&user(Role::TeamLead, Some(2), Some(3), None, None));
    let agent_scope = Scope::of(&user(Role::Agent, None, None, Some(17), None));
    let auditor = Scope::of(&user(Role::ClientAuditor, None, None, None, Some(3)));

    println!(
        "\ndashboard ({runs} runs each)                                        p50 ms  p95 ms  max ms"
    );
    let mut worst = 0.0f64;
    let dash_cases: Vec<(&str, Scope, Filter)> = vec![
        ("admin, 30 days", admin.clone(), range(first, last)),
        ("admin, all time", admin.clone(), Filter::default()),
        ("admin, last 7 days", admin.clone(), range(week, last)),
        ("admin, one day", admin.clone(), range(last, last)),
        (
            "admin, 30 days, client filter",
            admin.clone(),
            Filter {
                client: Some("CL1".into()),
                ..range(first, last)
            },
        ),
        (
            "admin, 30 days, branch + team filter",
            admin.clone(),
            Filter {
                branch: Some(BRANCHES[0].0.into()),
                team: Some(TEAMS[1].into()),
                ..range(first, last)
            },
        ),
        (
            "branch head, 30 days",
            branch_head.clone(),
            range(first, last),
        ),
        (
            "branch head, all time",
            branch_head.clone(),
            Filter::default(),
        ),
        ("team lead, 30 days", team_lead.clone(), range(first, last)),
        ("agent, 30 days", agent_scope.clone(), range(first, last)),
        (
            "client auditor, 30 days",
            auditor.clone(),
            range(first, last),
        ),
        (
            "client auditor, all time",
            auditor.clone(),
            Filter::default(),
        ),
    ];
    let dash_cases = if short {
        dash_cases.into_iter().take(2).collect()
    } else {
        dash_cases
    };
    for (label, scope, f) in &dash_cases {
        let (d, dash) = timed(runs, |_| async {
            store.dashboard(scope, f).await.expect("dashboard")
        })
        .await;
        let (_, p95, _) = row(
            label,
            d,
            &format!(
                "{} interactions, {} findings",
                dash.kpis.interactions, dash.kpis.findings
            ),
        );
        worst = worst.max(p95);
    }
    println!("  worst p95: {worst:.1} ms");
    // Findings by category on every breakdown row: an API option the UI does not ask for.
    let opts = DashboardOptions {
        row_categories: true,
    };
    for (label, scope, f) in dash_cases.iter().take(if short { 1 } else { 3 }) {
        let (d, _) = timed(runs, |_| async {
            store
                .dashboard_with(scope, f, opts)
                .await
                .expect("dashboard")
        })
        .await;
        row(&format!("{label}, row_categories"), d, "");
    }

    // The drill-down filters of the dashboard (stage, hour: partly from the facts rows) and the
    // lists they lead to (a stage row, a heat-map cell).
    let slow_runs = runs.clamp(1, 5);
    println!(
        "\ndrill-down, dashboard {slow_runs} runs, list {runs} runs                         p50 ms  p95 ms  max ms"
    );
    let with = |f: Filter, g: &dyn Fn(&mut Filter)| {
        let mut f = f;
        g(&mut f);
        f
    };
    let drill_dash: Vec<(&str, Scope, Filter)> = vec![
        (
            "dashboard, team lead, 30 days, stage M2",
            team_lead.clone(),
            with(range(first, last), &|f| f.stage = Some("M2".into())),
        ),
        (
            "dashboard, admin, 7 days, hour 9",
            admin.clone(),
            with(range(week, last), &|f| f.hour = Some(9)),
        ),
        (
            "dashboard, admin, 30 days, stage unknown (none)",
            admin.clone(),
            with(range(first, last), &|f| f.stage = Some("unknown".into())),
        ),
    ];
    for (label, scope, f) in &drill_dash {
        let (d, dash) = timed(slow_runs, |_| async {
            store.dashboard(scope, f).await.expect("dashboard")
        })
        .await;
        row(
            label,
            d,
            &format!("{} interactions", dash.kpis.interactions),
        );
    }
    let drill_list: Vec<(&str, Scope, Filter)> = vec![
        (
            "list, admin, heat-map cell Wed 10:00 + findings",
            admin.clone(),
            with(range(first, last), &|f| {
                f.weekday = Some(2);
                f.hour = Some(10);
                f.status = Some(Status::WithFindings);
            }),
        ),
        (
            "list, admin, heat-map cell Sun 06:00 + findings (rare)",
            admin.clone(),
            with(range(first, last), &|f| {
                f.weekday = Some(6);
                f.hour = Some(6);
                f.status = Some(Status::WithFindings);
            }),
        ),
        (
            "list, team lead, stage M3",
            team_lead.clone(),
            with(range(first, last), &|f| f.stage = Some("M3".into())),
        ),
        (
            "list, admin, stage unknown (none)",
            admin.clone(),
            with(range(first, last), &|f| f.stage = Some("unknown".into())),
        ),
    ];
    for (label, scope, f) in &drill_list {
        let (d, page) = timed(runs, |_| async {
            store
                .list_interactions(scope, f, None, 50)
                .await
                .expect("list")
        })
        .await;
        row(label, d, &format!("{} items", page.items.len()));
    }
    if short {
        store.close().await;
        return;
    }

    println!(
        "\nlist, limit 50 ({runs} runs each)                                    p50 ms  p95 ms  max ms"
    );
    let f = Filter::default;
    let list_cases: Vec<(&str, Scope, Filter)> = vec![
        ("admin, no filter", admin.clone(), f()),
        ("admin, last 7 days", admin.clone(), range(week, last)),
        (
            "admin, client",
            admin.clone(),
            Filter {
                client: Some("CL2".into()),
                ..f()
            },
        ),
        ("branch head", branch_head.clone(), f()),
        ("team lead", team_lead.clone(), f()),
        ("agent", agent_scope.clone(), f()),
        ("client auditor", auditor.clone(), f()),
        (
            "admin, category threat",
            admin.clone(),
            Filter {
                category: Some("threat".into()),
                ..f()
            },
        ),
        (
            "branch head, threat level 4",
            branch_head.clone(),
            Filter {
                category: Some("threat".into()),
                level: Some(4),
                ..f()
            },
        ),
        (
            "admin, category impersonation (rare)",
            admin.clone(),
            Filter {
                category: Some("impersonation".into()),
                ..f()
            },
        ),
        (
            "admin, status failed",
            admin.clone(),
            Filter {
                status: Some(Status::Failed),
                ..f()
            },
        ),
        (
            "team lead, status failed",
            team_lead.clone(),
            Filter {
                status: Some(Status::Failed),
                ..f()
            },
        ),
        (
            "admin, score ≤ 60",
            admin.clone(),
            Filter {
                score_max: Some(60.0),
                ..f()
            },
        ),
        (
            "admin, failed with score ≥ 95 (none)",
            admin.clone(),
            Filter {
                status: Some(Status::Failed),
                score_min: Some(95.0),
                ..f()
            },
        ),
        (
            "admin, kind visit",
            admin.clone(),
            Filter {
                kind: Some("visit".into()),
                ..f()
            },
        ),
        (
            "agent, kind sms",
            agent_scope.clone(),
            Filter {
                kind: Some("sms".into()),
                ..f()
            },
        ),
        (
            "agent, missing_recording_notice",
            agent_scope.clone(),
            Filter {
                category: Some("missing_recording_notice".into()),
                ..f()
            },
        ),
        (
            "client auditor, level 4",
            auditor.clone(),
            Filter {
                level: Some(4),
                ..f()
            },
        ),
        (
            "client auditor, agent of other clients (none)",
            auditor.clone(),
            Filter {
                agent_id: Some(agent_id(0)),
                ..f()
            },
        ),
        (
            "admin, unknown category (none)",
            admin.clone(),
            Filter {
                category: Some("no_such".into()),
                ..f()
            },
        ),
        (
            "admin, client + pii_leak + failed + 7 days",
            admin.clone(),
            Filter {
                client: Some("CL0".into()),
                category: Some("pii_leak".into()),
                status: Some(Status::Failed),
                ..range(week, last)
            },
        ),
        (
            "team lead, level 3, score 70–80",
            team_lead.clone(),
            Filter {
                level: Some(3),
                score_min: Some(70.0),
                score_max: Some(80.0),
                ..f()
            },
        ),
        (
            "branch head, kind call, with findings, 1 day",
            branch_head.clone(),
            Filter {
                kind: Some("call".into()),
                status: Some(Status::WithFindings),
                ..range(last, last)
            },
        ),
        (
            "agent, threat level 4 (rare)",
            agent_scope.clone(),
            Filter {
                category: Some("threat".into()),
                level: Some(4),
                ..f()
            },
        ),
        (
            "admin, abuse + score ≥ 90 (none)",
            admin.clone(),
            Filter {
                category: Some("abuse".into()),
                score_min: Some(90.0),
                ..f()
            },
        ),
    ];
    let mut worst_first = 0.0f64;
    let mut worst_later = 0.0f64;
    for (label, scope, f) in &list_cases {
        let (d, page) = timed(runs, |_| async {
            store
                .list_interactions(scope, f, None, 50)
                .await
                .expect("list")
        })
        .await;
        let (_, p95, _) = row(
            &format!("{label}: page 1"),
            d,
            &format!("{} items", page.items.len()),
        );
        worst_first = worst_first.max(p95);
        // Later pages: walk 10 pages, then time pages 2–10 in turn.
        let mut cursors = Vec::new();
        let mut c = page.next_cursor.clone();
        while let Some(cur) = c {
            if cursors.len() >= 9 {
                break;
            }
            let p = store
                .list_interactions(scope, f, Some(&cur), 50)
                .await
                .expect("list");
            cursors.push(cur);
            c = p.next_cursor;
        }
        if !cursors.is_empty() {
            let (d, _) = timed(runs, |k| {
                let cur = cursors[k % cursors.len()].clone();
                async move {
                    store
                        .list_interactions(scope, f, Some(&cur), 50)
                        .await
                        .expect("list")
                }
            })
            .await;
            let (_, p95, _) = row(&format!("{label}: pages 2–{}", cursors.len() + 1), d, "");
            worst_later = worst_later.max(p95);
        }
    }
    println!("  worst p95: first page {worst_first:.1} ms, later pages {worst_later:.1} ms");

    println!(
        "\ndetail and rule hits ({runs} runs each)                              p50 ms  p95 ms  max ms"
    );
    let ids: Vec<String> = (0..runs)
        .map(|k| format!("G{:08}", (k * 7_919) % n))
        .collect();
    let (d, _) = timed(runs, |k| {
        let id = ids[k].clone();
        let admin = admin.clone();
        async move { store.interaction_detail(&admin, &id).await.expect("detail") }
    })
    .await;
    row("detail, admin", d, "");
    let (d, _) = timed(runs, |k| {
        let id = ids[k].clone();
        let s = agent_scope.clone();
        async move { store.interaction_detail(&s, &id).await.expect("detail") }
    })
    .await;
    row("detail, agent (mostly out of scope)", d, "");
    let (d, hits) = timed(runs, |_| async {
        store
            .rule_hits(&admin, &Filter::default())
            .await
            .expect("rule hits")
    })
    .await;
    row(
        "rule hits, admin, all time",
        d,
        &format!("{} rules", hits.len()),
    );
    let (d, _) = timed(runs.min(5), |_| async {
        store
            .dashboard(
                &admin,
                &Filter {
                    category: Some("threat".into()),
                    ..range(week, last)
                },
            )
            .await
            .expect("dashboard")
    })
    .await;
    row(
        "dashboard, exact path (category filter, 7 days)",
        d,
        "reads one row per interaction",
    );
    store.close().await;
}
