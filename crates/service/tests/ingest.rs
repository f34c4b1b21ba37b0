//! Ingest into a real store: nothing doubled, nothing lost, changes kept in history, event-log
//! rules exact across files. Runs on SQLite always and on PostgreSQL when
//! `ZHIJIAN_TEST_DATABASE_URL` is set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zhijian_engine::Engine;
use zhijian_service::ingest::{IngestOptions, IngestSummary, Quiet, ingest};
use zhijian_service::reinspect::{ReinspectOptions, reinspect};
use zhijian_store::{ScanFilter, Store};

mod common;
use common::backends;

fn call(id: &str, contact: &str, at: &str, agent_text: &str) -> String {
    serde_json::json!({
        "id": id, "kind": "call", "case_id": format!("C-{contact}"), "agent_id": "A1",
        "client": "示例银行", "started_at": at, "outcome": "connected", "recording": "r.wav",
        "contact": {"id": contact, "relation": "debtor", "number": "13800000000"},
        "segments": [
            {"speaker": "agent", "start": 0.0, "end": 4.0, "text": agent_text},
            {"speaker": "customer", "start": 4.0, "end": 6.0, "text": "嗯，我知道了。"}
        ]
    })
    .to_string()
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").expect("write fixture");
    p
}

async fn run(store: &Arc<Store>, files: &[PathBuf], opts: &IngestOptions) -> IngestSummary {
    ingest(store, &Arc::new(Engine::builtin()), files, opts, &mut Quiet)
        .await
        .expect("ingest")
}

/// Every stored interaction's finding rules, by id.
async fn stored_rules(store: &Store) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let rows = store
            .scan_interactions(&ScanFilter::default(), after.as_deref(), 500)
            .await
            .expect("scan");
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.id.clone());
        for (i, insp) in rows {
            let mut rules: Vec<String> = insp
                .map(|x| x.result.findings.iter().map(|f| f.rule.clone()).collect())
                .unwrap_or_default();
            rules.sort();
            out.insert(i.id, rules);
        }
    }
    out
}

const GOOD: &str = "你好，我是鼎诚资产的工作人员，工号1234，本次通话会被录音。请问是张先生本人吗？";
const THREAT: &str = "你再不还钱，我们就上门去你单位闹，让你身败名裂！";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reingest_changes_nothing_and_changes_are_kept_in_history() {
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tmp");
        let store = b.store().await;
        let lines = vec![
            call("c1", "K1", "2026-03-02T10:00:00+08:00", GOOD),
            call("c2", "K2", "2026-03-02T11:00:00+08:00", THREAT),
            "{\"id\":\"bad\",\"kind\":\"call\"}".to_string(),
            call("c3", "K3", "2026-03-02T12:00:00+08:00", GOOD),
        ];
        let f = write(dir.path(), "calls.jsonl", &lines);
        let rejects = dir.path().join("rejects.jsonl");
        let opts = IngestOptions {
            rejects: Some(rejects.clone()),
            ..IngestOptions::default()
        };
        let s1 = run(&store, std::slice::from_ref(&f), &opts).await;
        assert_eq!(
            (s1.inserted, s1.updated, s1.unchanged, s1.rejected),
            (3, 0, 0, 1),
            "{b}"
        );
        assert_eq!(s1.inspected, 3);
        assert!(
            s1.findings_by_category.contains_key("threat"),
            "{b}: {s1:?}"
        );
        let rej = std::fs::read_to_string(&rejects).expect("rejects file");
        let v: serde_json::Value = serde_json::from_str(rej.lines().next().unwrap()).unwrap();
        assert_eq!(v["line"], 3);
        assert_eq!(v["field"], "case_id");
        assert!(v["file"].as_str().unwrap().ends_with("calls.jsonl"));
        let stats1 = serde_json::to_value(store.stats().await.expect("stats")).unwrap();
        let rules1 = stored_rules(&store).await;

        // The same file again: nothing changes, nothing doubles.
        let s2 = run(&store, std::slice::from_ref(&f), &opts).await;
        assert_eq!(
            (s2.inserted, s2.updated, s2.unchanged, s2.rejected),
            (0, 0, 3, 1),
            "{b}"
        );
        assert_eq!(s2.inspected, 0, "unchanged records are not re-inspected");
        let stats2 = serde_json::to_value(store.stats().await.expect("stats")).unwrap();
        assert_eq!(stats1, stats2, "{b}: re-ingest changed the store");
        assert_eq!(rules1, stored_rules(&store).await);

        // One record changed: updated, re-inspected, the old version kept.
        let mut changed = lines.clone();
        changed[1] = call("c2", "K2", "2026-03-02T11:00:00+08:00", GOOD);
        let f2 = write(dir.path(), "calls-v2.jsonl", &changed);
        let s3 = run(&store, &[f2], &opts).await;
        assert_eq!((s3.inserted, s3.updated, s3.unchanged), (0, 1, 2), "{b}");
        assert_eq!(s3.inspected, 1);
        let rules3 = stored_rules(&store).await;
        assert!(
            rules1["c2"].iter().any(|r| r.contains("threat")),
            "{rules1:?}"
        );
        assert!(
            !rules3["c2"].iter().any(|r| r.contains("threat")),
            "{rules3:?}"
        );
        let stats3 = serde_json::to_value(store.stats().await.expect("stats")).unwrap();
        assert_eq!(stats3["history_versions"], 1, "{b}: {stats3}");
        assert_eq!(stats3["interactions"]["total"], 3, "{b}: {stats3}");
        b.cleanup().await;
    }
}

/// The event-log fixture of the engine, split over two files ingested one after the other,
/// must end with exactly the findings that the stateless two-pass inspection gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_log_rules_are_exact_across_files() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/event_log.jsonl");
    let text = std::fs::read_to_string(&fixture).expect("fixture");
    let event_cats: BTreeSet<&str> = [
        "off_hours",
        "excessive_frequency",
        "do_not_call",
        "continued_after_stop_request",
        "note_mismatch",
    ]
    .into_iter()
    .collect();
    let engine = Engine::builtin();
    let cat_of: BTreeMap<String, String> = engine
        .rules()
        .iter()
        .map(|r| (r.id.clone(), r.category.as_str().to_string()))
        .collect();
    let mut expect: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let (mut a, mut bl) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(e) = v.get("expect") {
            expect.insert(
                v["id"].as_str().unwrap().to_string(),
                e.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect(),
            );
        }
        // Flags go first; the rest alternate between the two files.
        if v["kind"] == "flag" || n % 2 == 0 {
            a.push(line.to_string());
        } else {
            bl.push(line.to_string());
        }
    }
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tmp");
        let store = b.store().await;
        let fa = write(dir.path(), "a.jsonl", &a);
        let fb = write(dir.path(), "b.jsonl", &bl);
        run(&store, &[fa], &IngestOptions::default()).await;
        run(&store, &[fb], &IngestOptions::default()).await;
        let got = stored_rules(&store).await;
        let mut wrong = Vec::new();
        for (id, want) in &expect {
            let have: BTreeSet<String> = got
                .get(id)
                .map(|rules| {
                    rules
                        .iter()
                        .filter_map(|r| cat_of.get(r).cloned())
                        .filter(|c| event_cats.contains(c.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            if &have != want {
                wrong.push(format!("{id}: want {want:?}, got {have:?}"));
            }
        }
        assert!(wrong.is_empty(), "{b}: {}", wrong.join("\n"));
        b.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinspect_reports_what_changed() {
    for b in backends().await {
        let dir = tempfile::tempdir().expect("tmp");
        let store = b.store().await;
        let f = write(
            dir.path(),
            "calls.jsonl",
            &[
                call("r1", "K1", "2026-03-02T10:00:00+08:00", THREAT),
                call("r2", "K2", "2026-03-03T10:00:00+08:00", GOOD),
            ],
        );
        run(&store, &[f], &IngestOptions::default()).await;
        // The same pack: nothing changes.
        let engine = Engine::builtin();
        let same = reinspect(
            &store,
            &engine,
            &ReinspectOptions {
                page: 1,
                ..ReinspectOptions::default()
            },
        )
        .await
        .expect("reinspect");
        assert_eq!((same.scanned, same.changed), (2, 0), "{b}: {same:?}");
        // A new pack version without the threat rules: r1 changes, r2 does not.
        let new = pack_without("threat");
        let threat_rules: Vec<String> = Engine::builtin()
            .rules()
            .iter()
            .filter(|r| r.category.as_str() == "threat")
            .map(|r| r.id.clone())
            .collect();
        assert!(!threat_rules.is_empty());
        let dry = reinspect(
            &store,
            &new,
            &ReinspectOptions {
                dry_run: true,
                page: 1,
                from: Some("2026-03-02T00:00:00+08:00".parse().unwrap()),
                to: Some("2026-03-03T00:00:00+08:00".parse().unwrap()),
                ..ReinspectOptions::default()
            },
        )
        .await
        .expect("reinspect");
        assert_eq!((dry.scanned, dry.changed), (1, 1), "{b}: {dry:?}");
        assert!(dry.removed_by_rule.keys().any(|r| threat_rules.contains(r)));
        assert!(
            stored_rules(&store).await["r1"]
                .iter()
                .any(|r| threat_rules.contains(r))
        );
        let real = reinspect(
            &store,
            &new,
            &ReinspectOptions {
                page: 1,
                ..ReinspectOptions::default()
            },
        )
        .await
        .expect("reinspect");
        assert_eq!((real.scanned, real.changed), (2, 1), "{b}: {real:?}");
        assert!(
            !stored_rules(&store).await["r1"]
                .iter()
                .any(|r| threat_rules.contains(r))
        );
        b.cleanup().await;
    }
}

/// The default pack, version bumped, without the rules of one category.
fn pack_without(category: &str) -> Engine {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/cn-default");
    let mut texts = Vec::new();
    for e in std::fs::read_dir(&dir).expect("pack dir") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "toml") {
            let mut t: toml::Table = std::fs::read_to_string(&p)
                .expect("read")
                .parse()
                .expect("toml");
            if let Some(toml::Value::Array(rules)) = t.get_mut("rules") {
                rules.retain(|r| r.get("category").and_then(|c| c.as_str()) != Some(category));
            }
            if let Some(toml::Value::Table(pack)) = t.get_mut("pack") {
                pack.insert("version".into(), toml::Value::String("2099.1.1".into()));
            }
            texts.push((
                p.display().to_string(),
                toml::to_string(&t).expect("serialise"),
            ));
        }
    }
    let sources: Vec<zhijian_engine::Source> = texts
        .iter()
        .map(|(name, text)| zhijian_engine::Source { name, text })
        .collect();
    Engine::from_sources(&sources).expect("pack")
}
