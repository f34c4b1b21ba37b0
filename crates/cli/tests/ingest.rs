//! `zhijian ingest` / `stats` / `reinspect` / `demo` end to end, on SQLite files: exit codes,
//! rejects, idempotent re-ingest, and an ingest killed with SIGKILL half way then run again
//! ending with every record exactly once.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn zhijian(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhijian"))
        .args(args)
        .env_remove("ZHIJIAN_DB")
        .stdin(Stdio::null())
        .output()
        .expect("run zhijian")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn stats(db: &str) -> serde_json::Value {
    let out = zhijian(&["stats", "--db", db, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stats json")
}

fn generate(dir: &Path, calls: &str) -> String {
    let f = dir.join("calls.jsonl");
    let out = zhijian(&[
        "generate",
        "--calls",
        calls,
        "--seed",
        "11",
        "--all-channels",
        "--output",
        f.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    f.display().to_string()
}

#[test]
fn ingest_is_idempotent_and_reports_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let f = generate(dir.path(), "300");
    // Append two broken lines.
    let mut body = std::fs::read_to_string(&f).unwrap();
    let lines = body.lines().count();
    body.push_str("{\"id\":\"x\",\"kind\":\"call\"}\nnot json at all\n");
    std::fs::write(&f, body).unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let rejects = dir.path().join("rejects.jsonl");
    let out = zhijian(&[
        "ingest",
        &f,
        "--db",
        &db,
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let so = text(&out.stdout);
    assert!(so.contains("rejected 2"), "{so}");
    let rej = std::fs::read_to_string(&rejects).unwrap();
    let first: serde_json::Value = serde_json::from_str(rej.lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], lines as u64 + 1);
    assert_eq!(first["field"], "case_id");
    let s1 = stats(&db);
    assert_eq!(s1["rejects"], 2, "{s1}");
    // Again: nothing new, nothing doubled.
    let out = zhijian(&["ingest", &f, "--db", &db, "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["inserted"], 0, "{sum}");
    assert_eq!(sum["updated"], 0, "{sum}");
    assert_eq!(stats(&db), s1);
}

#[test]
fn killed_ingest_rerun_leaves_each_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = generate(dir.path(), "6000");
    // Reference: one uninterrupted ingest.
    let reference = format!("sqlite://{}", dir.path().join("ref.db").display());
    let out = zhijian(&["ingest", &f, "--db", &reference, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = stats(&reference);

    // Killed half way, then run again.
    let path = dir.path().join("killed.db");
    let db = format!("sqlite://{}", path.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhijian"))
        .args(["ingest", &f, "--db", &db, "--quiet", "--batch", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until batches are being committed (the write-ahead log grows), then SIGKILL. The
    // schema's migrations and the first batch's own frames take ≈ 2 MB: wait for several
    // batches (the whole file writes ≈ 190 MB of log), so that some are surely committed.
    let wal = dir.path().join("killed.db-wal");
    let t = Instant::now();
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 8_000_000
        && t.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    let status = child.wait().expect("wait");
    assert!(
        !status.success(),
        "the ingest finished before it could be killed"
    );
    let partial = stats(&db);
    let total = want["interactions"]["total"].as_u64().unwrap();
    let got = partial["interactions"]["total"].as_u64().unwrap();
    assert!(got > 0 && got < total, "killed at {got} of {total}");

    let out = zhijian(&["ingest", &f, "--db", &db, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stats(&db), want, "after kill and rerun");
}

#[test]
fn bad_db_url_is_a_usage_error() {
    let out = zhijian(&["stats", "--db", "mysql://nowhere/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("store.bad_url"));
}

#[test]
fn reinspect_with_the_same_pack_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = generate(dir.path(), "200");
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let out = zhijian(&["ingest", &f, "--db", &db, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = stats(&db);
    let out = zhijian(&["reinspect", "--db", &db, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["changed"], 0, "{r}");
    assert_eq!(r["scanned"], before["interactions"]["total"]);
    assert_eq!(stats(&db), before);
    let out = zhijian(&["reinspect", "--db", &db, "--from", "2026-99-01"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_fills_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let args = [
        "demo",
        "--calls",
        "400",
        "--dir",
        d.to_str().unwrap(),
        "--start",
        "2026-10-01",
        "--no-serve",
        "--quiet",
    ];
    let out = zhijian(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let so = text(&out.stdout);
    assert!(so.contains("zhijian.db"), "{so}");
    assert!(
        so.contains("team_lead") && so.contains("demo-team-lead-2026"),
        "{so}"
    );
    let db = format!("sqlite://{}", d.join("zhijian.db").display());
    let s = stats(&db);
    assert!(s["agents"].as_u64().unwrap() >= 50, "{s}");
    assert!(s["complaints"].as_u64().unwrap() > 0, "{s}");
    assert!(s["interactions"]["sms"].as_u64().unwrap() > 0, "{s}");
    // Run again: a fresh database, the same counts.
    let out = zhijian(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stats(&db), s);
}

#[test]
fn gbk_csv_from_excel_and_broken_csv_ingest() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../service/tests/fixtures/tabular");
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let cases = fixtures.join("cases_gbk.csv");
    let calls = fixtures.join("calls_gbk.csv");
    let out = zhijian(&[
        "ingest",
        cases.to_str().unwrap(),
        calls.to_str().unwrap(),
        "--db",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let so = text(&out.stdout);
    assert!(so.contains("gb18030"), "{so}");
    let s = stats(&db);
    assert_eq!(s["interactions"]["call"], 5, "{s}");
    assert_eq!(s["cases"], 3, "{s}");
    assert_eq!(s["rejects"], 0, "{s}");

    // Broken lines: the good ones land, the bad ones are reported with line and column.
    let broken = fixtures.join("calls_broken.csv");
    let rejects = dir.path().join("rejects.jsonl");
    let out = zhijian(&[
        "ingest",
        broken.to_str().unwrap(),
        "--db",
        &db,
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(l["line"].as_u64().unwrap() > 1, "{l}");
        assert!(!l["reason"].as_str().unwrap().is_empty(), "{l}");
        assert!(l["file"].as_str().unwrap().ends_with("calls_broken.csv"));
    }
    let after = stats(&db);
    assert!(
        after["interactions"]["call"].as_u64().unwrap() > 5,
        "good rows of the broken file landed: {after}"
    );
    assert_eq!(after["rejects"], lines.len() as u64);
}
