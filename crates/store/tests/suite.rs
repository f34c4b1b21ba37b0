//! One suite, every backend: each test below is written once against `Store` and run on
//! SQLite (a temporary file) always, and on PostgreSQL when `ZHIJIAN_TEST_DATABASE_URL` is set
//! (each PostgreSQL test in a schema of its own, dropped at the end).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use zhijian_domain::{
    Category, Finding, InspectionResult, Interaction, Level, Record, Timestamp, parse_record,
};
use zhijian_store::{
    Batch, Inspection, RecordKind, Reject, ScanFilter, Store, Upsert, WriteOutcome, content_hash,
    record_id,
};

const PG_ENV: &str = "ZHIJIAN_TEST_DATABASE_URL";

// ---------------------------------------------------------------------------------------------
// Backends

/// A store under test and what it takes to reopen and clean it.
struct TestDb {
    store: Store,
    url: String,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<SchemaGuard>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory that does not exist yet: the store creates it.
        let path = dir.path().join("nested").join("zhijian.db");
        let url = format!("sqlite://{}", path.display());
        let store = Store::open(&url).await.expect("open sqlite");
        assert_eq!(store.backend(), "sqlite");
        TestDb {
            store,
            url,
            _dir: Some(dir),
            _schema: None,
        }
    }

    async fn postgres(base: &str) -> TestDb {
        let schema = format!("zj_{}", unique());
        let admin = sqlx::PgPool::connect(base)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("create schema");
        admin.close().await;
        let guard = SchemaGuard {
            base: base.to_string(),
            schema: schema.clone(),
        };
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options[search_path]={schema}");
        let store = Store::open(&url).await.expect("open postgres");
        assert_eq!(store.backend(), "postgres");
        TestDb {
            store,
            url,
            _dir: None,
            _schema: Some(guard),
        }
    }

    async fn reopen(&mut self) {
        self.store.close().await;
        self.store = Store::open(&self.url).await.expect("reopen");
    }

    async fn finish(self) {
        self.store.close().await;
    }
}

/// Drops the test's schema, also when the test panics.
struct SchemaGuard {
    base: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let base = self.base.clone();
        let schema = self.schema.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&base).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

fn unique() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}_{:x}_{}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Written straight to the terminal (not through the test harness's capture).
fn announce(msg: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "\n{msg}");
}

fn pg_url() -> Option<String> {
    static ANNOUNCE: Once = Once::new();
    let url = std::env::var(PG_ENV).ok().filter(|u| !u.trim().is_empty());
    ANNOUNCE.call_once(|| match &url {
        Some(_) => announce(&format!(
            "PostgreSQL store suite: RUNNING ({} tests, {PG_ENV} set, one schema per test)",
            TESTS.len()
        )),
        None => announce(&format!(
            "PostgreSQL store suite: SKIPPED ({PG_ENV} not set)"
        )),
    });
    url
}

static PG_PASSED: AtomicUsize = AtomicUsize::new(0);

fn pg_passed() {
    let n = PG_PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    if n == TESTS.len() {
        announce(&format!(
            "PostgreSQL store suite: ran, {n}/{n} tests passed"
        ));
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        const TESTS: &[&str] = &[$(stringify!($name)),*];
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let mut db = super::TestDb::sqlite().await;
                    super::$name(&mut db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(base) = super::pg_url() else { return };
                    let mut db = super::TestDb::postgres(&base).await;
                    super::$name(&mut db).await;
                    db.finish().await;
                    super::pg_passed();
                }
            )*
        }
    };
}

suite!(
    open_twice_is_idempotent,
    insert_unchanged_update_with_history,
    same_batch_twice_changes_nothing,
    rejects_are_not_doubled,
    inspections_are_replaced,
    reinspection_replaces_and_checks_ids,
    scan_pages_with_filters,
    history_by_person_and_range,
    stats_count_everything,
    every_kind_round_trips,
    local_time_in_contact_zone,
    repeated_record_in_one_batch,
    large_batch_spans_chunks,
    concurrent_writers,
);

// ---------------------------------------------------------------------------------------------
// Fixtures

fn rec(line: &str) -> Record {
    parse_record(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// A call with a transcript; `contact` is `(id, timezone)`.
fn call(id: &str, started_at: &str, client: &str, contact: (&str, Option<&str>)) -> Record {
    let tz = contact
        .1
        .map(|t| format!(r#","timezone":"{t}""#))
        .unwrap_or_default();
    rec(&format!(
        r#"{{"id":"{id}","kind":"call","case_id":"K-{id}","agent_id":"A1","client":"{client}","started_at":"{started_at}","ended_at":"{started_at}","outcome":"connected","party":"debtor","contact":{{"id":"{}","relation":"debtor","number":"+86 138-0000-0000"{tz}}},"segments":[{{"speaker":"agent","start":0.0,"end":3.5,"text":"您好，这里是某某资产管理公司，请问是张先生吗？"}},{{"speaker":"customer","start":3.5,"end":5.25,"text":"是我，什么事？"}},{{"speaker":"agent","start":5.25,"end":9.0,"text":"您在某银行的信用卡已逾期四十五天，欠款一万二千元。"}}],"recording":"s3://rec/{id}.wav"}}"#,
        contact.0
    ))
}

fn interaction(r: &Record) -> &Interaction {
    match r {
        Record::Interaction(i) => i,
        _ => panic!("not an interaction"),
    }
}

fn finding(rule: &str, category: &str, level: u8, segment: Option<usize>) -> Finding {
    Finding {
        rule: rule.into(),
        category: Category(category.into()),
        level: Level::new(level).expect("level"),
        segment,
        start: None,
        end: None,
        excerpt: "欠款一万二千元".into(),
        message: format!("{category} found"),
        span: segment.map(|_| [10, 17]),
        deduction: 5,
    }
}

fn inspection(id: &str, pack: &str, findings: Vec<Finding>) -> Inspection {
    let passed = findings.iter().all(|f| f.level.get() < 4);
    Inspection {
        pack: pack.into(),
        inspected_at: Timestamp::from_millisecond(1_790_000_000_123).expect("ts"),
        result: InspectionResult {
            id: id.into(),
            score: 100.0 - 5.0 * findings.len() as f64,
            passed,
            findings,
            party: None,
            pack: Some(pack.into()),
        },
    }
}

fn up(r: Record, ins: Option<Inspection>) -> Upsert {
    Upsert::new(r, ins)
}

fn batch(records: Vec<Upsert>) -> Batch {
    Batch {
        records,
        rejects: Vec::new(),
    }
}

fn outcome(inserted: u64, updated: u64, unchanged: u64, rejects: u64) -> WriteOutcome {
    WriteOutcome {
        inserted,
        updated,
        unchanged,
        rejects,
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn context_records() -> Vec<Record> {
    vec![
        rec(r#"{"kind":"client","id":"C1","name":"某银行信用卡中心"}"#),
        rec(
            r#"{"kind":"agent","id":"A1","name":"张三","branch":"华东分公司","team":"一组","region":"上海","hired_on":"2026-03-01","supervisor":"A0"}"#,
        ),
        rec(
            r#"{"kind":"case","id":"K1","client":"C1","product":"信用卡","principal":10000.5,"balance":12000.25,"days_past_due":45,"stage":"M2","debtor":"李四","agent_id":"A1","opened_on":"2025-12-01"}"#,
        ),
        rec(
            r#"{"kind":"contact","id":"P1","case_id":"K1","relation":"debtor","number":"13800000000","name":"李四","timezone":"Asia/Urumqi"}"#,
        ),
        rec(
            r#"{"kind":"complaint","id":"T1","case_id":"K1","source":"regulator","received_at":"2026-01-02T03:04:05Z","closed_at":"2026-01-05T00:00:00Z","agent_id":"A1","interaction_id":"I1","category":"threat","summary":"客户投诉威胁"}"#,
        ),
        rec(
            r#"{"kind":"flag","contact_id":"P1","flag":"do_not_call","set_at":"2026-01-01T02:00:00Z"}"#,
        ),
        rec(r#"{"kind":"flag","case_id":"K1","flag":"dispute","set_at":"2026-01-03T02:00:00.5Z"}"#),
    ]
}

// ---------------------------------------------------------------------------------------------
// Tests (each runs on every backend)

async fn open_twice_is_idempotent(db: &mut TestDb) {
    let r = call("I1", "2026-01-10T10:00:00+08:00", "C1", ("P1", None));
    let out = db.store.write(&batch(vec![up(r, None)])).await.unwrap();
    assert_eq!(out, outcome(1, 0, 0, 0));
    // Opening again applies no migration twice and keeps the data.
    db.reopen().await;
    db.reopen().await;
    let s = db.store.stats().await.unwrap();
    assert_eq!(s.interactions.total, 1);
    assert_eq!(s.interactions.call, 1);
}

async fn insert_unchanged_update_with_history(db: &mut TestDb) {
    let v1 = call("I1", "2026-01-10T10:00:00+08:00", "C1", ("P1", None));
    let other = call("I2", "2026-01-10T11:00:00+08:00", "C1", ("P2", None));
    let out = db
        .store
        .write(&batch(vec![up(v1.clone(), None), up(other.clone(), None)]))
        .await
        .unwrap();
    assert_eq!(out, outcome(2, 0, 0, 0));

    let mut changed = interaction(&v1).clone();
    changed.outcome = Some(zhijian_domain::Outcome::Busy);
    let v2 = Record::Interaction(Box::new(changed.clone()));
    let out = db
        .store
        .write(&batch(vec![up(v2.clone(), None), up(other.clone(), None)]))
        .await
        .unwrap();
    assert_eq!(out, outcome(0, 1, 1, 0));

    let existing = db
        .store
        .existing(
            RecordKind::Interaction,
            &["I1".into(), "I2".into(), "nope".into()],
        )
        .await
        .unwrap();
    assert_eq!(existing.len(), 2);
    assert_eq!(existing["I1"], content_hash(&v2));
    assert_eq!(existing["I2"], content_hash(&other));

    let s = db.store.stats().await.unwrap();
    assert_eq!(s.history_versions, 1);
    assert_eq!(s.interactions.total, 2);

    // The stored record is the new version.
    let page = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(page[0].0, changed);

    // A third version: two versions in history.
    let mut v3 = changed;
    v3.agent_id = "A2".into();
    let out = db
        .store
        .write(&batch(vec![up(Record::Interaction(Box::new(v3)), None)]))
        .await
        .unwrap();
    assert_eq!(out, outcome(0, 1, 0, 0));
    assert_eq!(db.store.stats().await.unwrap().history_versions, 2);

    // Context records go through history too.
    let c1 = rec(r#"{"kind":"client","id":"C1","name":"甲"}"#);
    let c2 = rec(r#"{"kind":"client","id":"C1","name":"乙"}"#);
    assert_eq!(
        db.store.write(&batch(vec![up(c1, None)])).await.unwrap(),
        outcome(1, 0, 0, 0)
    );
    assert_eq!(
        db.store
            .write(&batch(vec![up(c2.clone(), None)]))
            .await
            .unwrap(),
        outcome(0, 1, 0, 0)
    );
    assert_eq!(
        db.store.records(RecordKind::Client).await.unwrap(),
        vec![c2]
    );
    assert_eq!(db.store.stats().await.unwrap().history_versions, 3);
}

fn mixed_batch() -> Batch {
    let mut records: Vec<Upsert> = context_records().into_iter().map(|r| up(r, None)).collect();
    for n in 0..20 {
        let id = format!("I{n:02}");
        let r = call(&id, "2026-01-10T10:00:00+08:00", "C1", ("P1", None));
        let f = match n % 3 {
            0 => vec![],
            1 => vec![finding("threat.jail", "threat", 4, Some(2))],
            _ => vec![
                finding("flow.verify", "missing_identity_verification", 2, None),
                finding("pii.card", "pii_leak", 3, Some(0)),
            ],
        };
        let ins = inspection(&id, "cn-default@2026.11.1", f);
        records.push(up(r, Some(ins)));
    }
    Batch {
        records,
        rejects: vec![
            Reject {
                file: "in.jsonl".into(),
                line: 3,
                field: "started_at".into(),
                reason: "missing field".into(),
                raw: r#"{"id":"x"}"#.into(),
            },
            Reject {
                file: "in.jsonl".into(),
                line: 9,
                field: String::new(),
                reason: "not JSON".into(),
                raw: "garbage 垃圾".into(),
            },
        ],
    }
}

async fn same_batch_twice_changes_nothing(db: &mut TestDb) {
    let b = mixed_batch();
    let first = db.store.write(&b).await.unwrap();
    assert_eq!(first, outcome(27, 0, 0, 2));
    let stats1 = db.store.stats().await.unwrap();
    let page1 = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 100)
        .await
        .unwrap();
    let second = db.store.write(&b).await.unwrap();
    assert_eq!(second, outcome(0, 0, 27, 0));
    let stats2 = db.store.stats().await.unwrap();
    assert_eq!(stats1, stats2);
    let page2 = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(page1, page2);
    assert_eq!(stats2.history_versions, 0);
}

async fn rejects_are_not_doubled(db: &mut TestDb) {
    let mut b = mixed_batch();
    b.records.clear();
    assert_eq!(db.store.write(&b).await.unwrap().rejects, 2);
    assert_eq!(db.store.write(&b).await.unwrap().rejects, 0);
    // The same line number with other content is another reject; the same text elsewhere too.
    b.rejects[0].raw.push(' ');
    b.rejects[1].line = 10;
    assert_eq!(db.store.write(&b).await.unwrap().rejects, 2);
    assert_eq!(db.store.stats().await.unwrap().rejects, 4);
}

async fn inspections_are_replaced(db: &mut TestDb) {
    let r = call("I1", "2026-01-10T10:00:00+08:00", "C1", ("P1", None));
    let old = inspection(
        "I1",
        "cn-default@1",
        vec![
            finding("threat.jail", "threat", 4, Some(2)),
            finding("abuse.x", "abuse", 4, Some(0)),
        ],
    );
    db.store
        .write(&batch(vec![up(r.clone(), Some(old.clone()))]))
        .await
        .unwrap();
    let s = db.store.stats().await.unwrap();
    assert_eq!((s.inspected, s.failed, s.findings), (1, 1, 2));

    // Unchanged record with another inspection: the stored one stays.
    let other = inspection("I1", "cn-default@2", vec![]);
    let out = db
        .store
        .write(&batch(vec![up(r.clone(), Some(other.clone()))]))
        .await
        .unwrap();
    assert_eq!(out, outcome(0, 0, 1, 0));
    let (_, ins) = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(ins.unwrap().pack, "cn-default@1");

    // Changed record with a new inspection: old findings are gone.
    let mut changed = interaction(&r).clone();
    changed.outcome = Some(zhijian_domain::Outcome::Failed);
    let new = inspection(
        "I1",
        "cn-default@2",
        vec![finding("pii.card", "pii_leak", 3, Some(1))],
    );
    let out = db
        .store
        .write(&batch(vec![up(
            Record::Interaction(Box::new(changed.clone())),
            Some(new.clone()),
        )]))
        .await
        .unwrap();
    assert_eq!(out, outcome(0, 1, 0, 0));
    let s = db.store.stats().await.unwrap();
    assert_eq!((s.inspected, s.failed, s.findings), (1, 0, 1));
    assert_eq!(s.findings_by_category.get("threat"), None);
    assert_eq!(s.findings_by_category["pii_leak"], 1);
    let (_, ins) = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(ins.unwrap(), new);

    // Changed again, without an inspection: the stale one is dropped.
    changed.outcome = Some(zhijian_domain::Outcome::NoAnswer);
    db.store
        .write(&batch(vec![up(
            Record::Interaction(Box::new(changed)),
            None,
        )]))
        .await
        .unwrap();
    let s = db.store.stats().await.unwrap();
    assert_eq!((s.inspected, s.findings), (0, 0));

    // An unchanged record that has no inspection gets the one given.
    let changed_again = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 1)
        .await
        .unwrap()
        .remove(0)
        .0;
    let out = db
        .store
        .write(&batch(vec![up(
            Record::Interaction(Box::new(changed_again)),
            Some(old.clone()),
        )]))
        .await
        .unwrap();
    assert_eq!(out, outcome(0, 0, 1, 0));
    let s = db.store.stats().await.unwrap();
    assert_eq!((s.inspected, s.findings), (1, 2));
}

async fn reinspection_replaces_and_checks_ids(db: &mut TestDb) {
    let b = mixed_batch();
    db.store.write(&b).await.unwrap();
    let before = db.store.stats().await.unwrap();
    assert_eq!(before.findings, 19);
    // Re-inspect everything with a pack that finds one level-1 issue per call.
    let mut items = Vec::new();
    for n in 0..20 {
        let id = format!("I{n:02}");
        items.push((
            id.clone(),
            inspection(
                &id,
                "cn-default@2026.12.0",
                vec![finding(
                    "flow.notice",
                    "missing_recording_notice",
                    1,
                    Some(0),
                )],
            ),
        ));
    }
    db.store.write_inspections(&items).await.unwrap();
    let after = db.store.stats().await.unwrap();
    assert_eq!(after.findings, 20);
    assert_eq!(after.failed, 0);
    assert_eq!(
        after.findings_by_category,
        BTreeMap::from([("missing_recording_notice".to_string(), 20)])
    );
    assert_eq!(after.findings_by_level[&1], 20);
    assert_eq!(after.findings_by_level[&4], 0);
    let page = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 100)
        .await
        .unwrap();
    assert!(
        page.iter()
            .all(|(_, ins)| ins.as_ref().unwrap().pack == "cn-default@2026.12.0")
    );

    // An unknown interaction fails the whole call and stores nothing.
    let mut bad = items[..2].to_vec();
    bad[0].1.pack = "other@1".into();
    bad.push(("missing".into(), inspection("missing", "other@1", vec![])));
    let e = db.store.write_inspections(&bad).await.unwrap_err();
    assert_eq!(e.code(), "store.unknown_interaction");
    let page = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 1)
        .await
        .unwrap();
    assert_eq!(page[0].1.as_ref().unwrap().pack, "cn-default@2026.12.0");
}

async fn scan_pages_with_filters(db: &mut TestDb) {
    let mut records = Vec::new();
    for n in 0..25 {
        let client = if n % 2 == 0 { "C1" } else { "C2" };
        // One call a day from 2026-01-01, at 02:00Z.
        let day = format!("2026-01-{:02}T02:00:00Z", n + 1);
        records.push(up(
            call(&format!("I{n:03}"), &day, client, ("P1", None)),
            None,
        ));
    }
    db.store.write(&batch(records)).await.unwrap();

    // Everything, 7 at a time, in id order.
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .store
            .scan_interactions(&ScanFilter::default(), after.as_deref(), 7)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        after = page.last().map(|(i, _)| i.id.clone());
        ids.extend(page.into_iter().map(|(i, _)| i.id));
    }
    let expected: Vec<String> = (0..25).map(|n| format!("I{n:03}")).collect();
    assert_eq!(ids, expected);

    // [Jan 5, Jan 15) for client C1: days 5..14 → n 4..13, even n.
    let f = ScanFilter {
        from: Some(ts("2026-01-05T00:00:00Z")),
        to: Some(ts("2026-01-15T02:00:00Z")),
        client: Some("C1".into()),
    };
    let mut got = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .store
            .scan_interactions(&f, after.as_deref(), 2)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|(i, _)| i.id.clone());
        got.extend(page.into_iter().map(|(i, _)| i.id));
    }
    assert_eq!(got, vec!["I004", "I006", "I008", "I010", "I012"]);
}

async fn history_by_person_and_range(db: &mut TestDb) {
    let mut records = Vec::new();
    for (id, at, person) in [
        ("H1", "2026-02-01T01:00:00Z", "P1"),
        ("H2", "2026-02-01T03:00:00Z", "P1"),
        ("H3", "2026-02-02T03:00:00Z", "P1"),
        ("H4", "2026-02-01T02:00:00Z", "P2"),
        ("H5", "2026-02-01T02:30:00Z", "P3"),
    ] {
        records.push(up(call(id, at, "C1", (person, None)), None));
    }
    // An SMS to a bare number: person key by number.
    records.push(up(
        rec(
            r#"{"id":"S1","kind":"sms","case_id":"K9","agent_id":"A1","client":"C1","started_at":"2026-02-01T05:00:00Z","contact":{"number":"+86 139 0000 0000"},"text":"请尽快还款"}"#,
        ),
        None,
    ));
    for r in context_records() {
        records.push(up(r, None));
    }
    db.store.write(&batch(records)).await.unwrap();

    let keys = vec!["id:P1".to_string(), "id:P2".into(), "no:13900000000".into()];
    let got = db
        .store
        .history(
            &keys,
            ts("2026-02-01T00:00:00Z"),
            ts("2026-02-02T03:00:00Z"),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, vec!["H1", "H4", "H2", "S1"]);
    assert_eq!(got[3].person_key(), "no:13900000000");
    // A number key finds every contact reached on that number; a case key every interaction
    // of the case (here a note without a contact, and the call of the same case).
    records_note(db).await;
    let day = (ts("2026-02-01T00:00:00Z"), ts("2026-02-02T00:00:00Z"));
    let got = db
        .store
        .history(&["no:13800000000".to_string()], day.0, day.1)
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, vec!["H1", "H4", "H5", "H2"]);
    let got = db
        .store
        .history(&["case:K-H1".to_string()], day.0, day.1)
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, vec!["H1", "N1"]);
    assert!(
        db.store
            .history(&[], ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );

    let flags = db.store.flags().await.unwrap();
    let expected: Vec<zhijian_domain::Flag> = context_records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Flag(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(flags, expected);
}

async fn records_note(db: &mut TestDb) {
    let note = rec(
        r#"{"id":"N1","kind":"note","case_id":"K-H1","agent_id":"A1","client":"C1","started_at":"2026-02-01T04:00:00Z","text":"客户承诺月底还款"}"#,
    );
    assert_eq!(interaction(&note).person_key(), "case:K-H1");
    db.store.write(&batch(vec![up(note, None)])).await.unwrap();
}

async fn stats_count_everything(db: &mut TestDb) {
    let mut b = mixed_batch();
    b.records.push(up(
        rec(
            r#"{"id":"S1","kind":"sms","case_id":"K1","agent_id":"A1","client":"C1","started_at":"2026-02-01T05:00:00Z","text":"请尽快还款"}"#,
        ),
        None,
    ));
    b.records.push(up(
        rec(
            r#"{"id":"V1","kind":"visit","case_id":"K1","agent_id":"A1","client":"C1","started_at":"2026-02-01T05:00:00Z","visit":{"members":["A1","A2"],"photos":[]}}"#,
        ),
        None,
    ));
    b.records.push(up(
        rec(
            r#"{"id":"N1","kind":"note","case_id":"K1","agent_id":"A1","client":"C1","started_at":"2026-02-01T05:00:00Z","text":"客户承诺月底还款"}"#,
        ),
        None,
    ));
    db.store.write(&b).await.unwrap();
    let s = db.store.stats().await.unwrap();
    assert_eq!(s.backend, db.store.backend());
    assert_eq!(
        (
            s.interactions.total,
            s.interactions.call,
            s.interactions.sms,
            s.interactions.visit,
            s.interactions.note
        ),
        (23, 20, 1, 1, 1)
    );
    // 20 calls inspected; n % 3 == 1 (7 calls) have a level-4 finding and fail.
    assert_eq!(s.inspected, 20);
    assert_eq!(s.failed, 7);
    // 7 × 1 + 6 × 2 findings.
    assert_eq!(s.findings, 19);
    assert_eq!(s.findings_by_category["threat"], 7);
    assert_eq!(s.findings_by_category["pii_leak"], 6);
    assert_eq!(s.findings_by_category["missing_identity_verification"], 6);
    assert_eq!(
        s.findings_by_level,
        BTreeMap::from([(1, 0), (2, 6), (3, 6), (4, 7)])
    );
    assert_eq!(
        (
            s.rejects,
            s.complaints,
            s.clients,
            s.agents,
            s.cases,
            s.contacts,
            s.flags,
            s.history_versions
        ),
        (2, 1, 1, 1, 1, 1, 2, 0)
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["findings_by_level"]["4"], 7);
    assert_eq!(json["interactions"]["call"], 20);
}

async fn every_kind_round_trips(db: &mut TestDb) {
    let mut all = context_records();
    all.push(call(
        "I1",
        "2026-01-10T10:00:00.123456789+08:00",
        "C1",
        ("P1", Some("Asia/Urumqi")),
    ));
    all.push(rec(
        r#"{"id":"V1","kind":"visit","case_id":"K1","agent_id":"A1","client":"C1","started_at":"2026-02-01T05:00:00Z","ended_at":"2026-02-01T06:00:00Z","direction":"outbound","timezone":"Asia/Shanghai","case":{"balance":1234.5,"days_past_due":45,"stage":"M2","product":"消费贷"},"visit":{"members":["A1","A2"],"photos":["p/1.jpg"],"application_approved_at":"2026-01-30T00:00:00Z","entered_at":"2026-02-01T08:00:00Z"},"submitted_at":"2026-02-01T08:00:00Z","recording":"file:///r/v1.m4a"}"#,
    ));
    all.push(rec(
        r#"{"id":"S1","kind":"sms","case_id":"K1","agent_id":"A1","client":"C1","started_at":"2026-02-01T05:00:00Z","text":"【某银行】请尽快还款 \"quoted\" \\ back","template_id":"T-7"}"#,
    ));
    let b = batch(all.iter().cloned().map(|r| up(r, None)).collect());
    assert_eq!(db.store.write(&b).await.unwrap().inserted, all.len() as u64);

    for kind in RecordKind::ALL {
        let mut expected: Vec<Record> = all
            .iter()
            .filter(|r| RecordKind::of(r) == kind)
            .cloned()
            .collect();
        expected.sort_by_key(record_id);
        let got = db.store.records(kind).await.unwrap();
        assert_eq!(got, expected, "{kind:?}");
    }
    // Read back through the hashes too: nothing is seen as changed.
    assert_eq!(
        db.store.write(&b).await.unwrap().unchanged,
        all.len() as u64
    );
}

async fn local_time_in_contact_zone(db: &mut TestDb) {
    // 2026-01-04T23:30Z is Monday 2026-01-05 07:30 in Shanghai, 05:30 in Urumqi, and Sunday
    // 2026-01-04 18:30 in New York.
    let utc = "2026-01-04T23:30:00Z";
    let mut records = vec![
        up(call("L1", utc, "C1", ("P1", Some("Asia/Urumqi"))), None),
        up(call("L2", utc, "C1", ("P2", None)), None),
        up(
            call("L3", utc, "C1", ("P3", Some("America/New_York"))),
            None,
        ),
        up(call("L4", utc, "C1", ("P4", Some("Not/AZone"))), None),
    ];
    // The interaction's own zone applies when the contact has none.
    let mut i = interaction(&call("L5", utc, "C1", ("P5", None))).clone();
    i.timezone = Some("America/New_York".into());
    records.push(up(Record::Interaction(Box::new(i)), None));
    let ins = inspection("L1", "p@1", vec![finding("r", "off_hours", 2, None)]);
    records[0].inspection = Some(ins);
    db.store.write(&batch(records)).await.unwrap();

    let local = local_columns(db).await;
    assert_eq!(
        local["L1"],
        ("2026-01-05".to_string(), 5, 0, "Asia/Urumqi".into())
    );
    assert_eq!(
        local["L2"],
        ("2026-01-05".to_string(), 7, 0, "Asia/Shanghai".into())
    );
    assert_eq!(
        local["L3"],
        ("2026-01-04".to_string(), 18, 6, "America/New_York".into())
    );
    assert_eq!(
        local["L4"],
        ("2026-01-05".to_string(), 7, 0, "Asia/Shanghai".into())
    );
    assert_eq!(
        local["L5"],
        ("2026-01-04".to_string(), 18, 6, "America/New_York".into())
    );
    // Findings repeat the interaction's local columns.
    assert_eq!(
        finding_local(db, "L1").await,
        ("2026-01-05".to_string(), 5, 0)
    );
}

type LocalCols = (String, i64, i64, String);

async fn local_columns(db: &TestDb) -> BTreeMap<String, LocalCols> {
    const SQL: &str = "SELECT id, local_date, CAST(local_hour AS BIGINT), \
                       CAST(local_weekday AS BIGINT), timezone FROM interactions";
    let rows: Vec<(String, String, i64, i64, String)> = match &db.store {
        Store::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let r = sqlx::query_as(SQL).fetch_all(&pool).await.unwrap();
            pool.close().await;
            r
        }
        Store::Postgres(_) => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let r = sqlx::query_as(SQL).fetch_all(&pool).await.unwrap();
            pool.close().await;
            r
        }
    };
    rows.into_iter()
        .map(|(id, d, h, w, tz)| (id, (d, h, w, tz)))
        .collect()
}

async fn finding_local(db: &TestDb, id: &str) -> (String, i64, i64) {
    const SQL: &str = "SELECT local_date, CAST(local_hour AS BIGINT), \
                       CAST(local_weekday AS BIGINT) FROM findings WHERE interaction_id = ";
    match &db.store {
        Store::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(SQL);
            qb.push_bind(id);
            let r = qb.build_query_as().fetch_one(&pool).await.unwrap();
            pool.close().await;
            r
        }
        Store::Postgres(_) => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(SQL);
            qb.push_bind(id);
            let r = qb.build_query_as().fetch_one(&pool).await.unwrap();
            pool.close().await;
            r
        }
    }
}

async fn repeated_record_in_one_batch(db: &mut TestDb) {
    let v1 = call("R1", "2026-01-10T10:00:00+08:00", "C1", ("P1", None));
    let mut i2 = interaction(&v1).clone();
    i2.agent_id = "A9".into();
    let v2 = Record::Interaction(Box::new(i2.clone()));
    let out = db
        .store
        .write(&batch(vec![
            up(v1.clone(), None),
            up(v1.clone(), None),
            up(v2, Some(inspection("R1", "p@1", vec![]))),
        ]))
        .await
        .unwrap();
    // Written in order: inserted, then unchanged, then updated.
    assert_eq!(out, outcome(1, 1, 1, 0));
    let page = db
        .store
        .scan_interactions(&ScanFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, i2);
    assert!(page[0].1.is_some());
    let s = db.store.stats().await.unwrap();
    assert_eq!((s.history_versions, s.inspected), (1, 1));
}

async fn large_batch_spans_chunks(db: &mut TestDb) {
    // More rows than one SQLite statement takes, with findings on every call.
    let n = 1_300;
    let mut records = Vec::with_capacity(n);
    for k in 0..n {
        let id = format!("B{k:05}");
        let r = call(&id, "2026-03-01T02:00:00Z", "C1", (&format!("P{k}"), None));
        let f = vec![
            finding("a", "threat", 4, Some(2)),
            finding("b", "pii_leak", 3, Some(0)),
        ];
        records.push(up(r, Some(inspection(&id, "p@1", f))));
    }
    let b = batch(records);
    assert_eq!(
        db.store.write(&b).await.unwrap(),
        outcome(n as u64, 0, 0, 0)
    );
    let s = db.store.stats().await.unwrap();
    assert_eq!(
        (s.interactions.total, s.inspected, s.findings),
        (1300, 1300, 2600)
    );
    let ids: Vec<String> = (0..n).map(|k| format!("B{k:05}")).collect();
    assert_eq!(
        db.store
            .existing(RecordKind::Interaction, &ids)
            .await
            .unwrap()
            .len(),
        n
    );
    assert_eq!(
        db.store.write(&b).await.unwrap(),
        outcome(0, 0, n as u64, 0)
    );
}

async fn concurrent_writers(db: &mut TestDb) {
    // Four writers with overlapping ids at once: every record is inserted exactly once and
    // counted once as inserted across all outcomes; the rest are unchanged.
    let store = std::sync::Arc::new(std::mem::replace(
        &mut db.store,
        Store::open("sqlite::memory:").await.unwrap(),
    ));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut total = WriteOutcome::default();
            for round in 0..5 {
                let records = (0..50)
                    .map(|k| {
                        let id = format!("W{:03}", (w * 25 + round * 10 + k) % 150);
                        up(
                            call(&id, "2026-01-10T10:00:00+08:00", "C1", ("P1", None)),
                            Some(inspection(
                                &id,
                                "p@1",
                                vec![finding("a", "threat", 4, Some(0))],
                            )),
                        )
                    })
                    .collect();
                let out = store.write(&batch(records)).await.unwrap();
                total.inserted += out.inserted;
                total.updated += out.updated;
                total.unchanged += out.unchanged;
                // Reads run beside the writes.
                store.stats().await.unwrap();
            }
            total
        }));
    }
    let mut inserted = 0;
    let mut seen = 0;
    for t in tasks {
        let o = t.await.unwrap();
        assert_eq!(o.updated, 0);
        inserted += o.inserted;
        seen += o.inserted + o.unchanged;
    }
    assert_eq!(seen, 4 * 5 * 50);
    let s = store.stats().await.unwrap();
    assert_eq!(s.interactions.total, inserted);
    assert_eq!((s.inspected, s.findings), (inserted, inserted));
    db.store = std::sync::Arc::into_inner(store).expect("tasks are done");
}

/// Enough data to start background checkpoints: the WAL stays bounded and everything reads
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_keep_the_wal_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    let long: String = "您好，这里是某某资产管理公司，请问是张先生吗？".repeat(200);
    let mut total = 0;
    for b in 0..8 {
        let records = (0..400)
            .map(|k| {
                let id = format!("X{b}-{k:04}");
                let mut i =
                    interaction(&call(&id, "2026-01-10T10:00:00+08:00", "C1", ("P1", None)))
                        .clone();
                i.segments[0].text = long.clone();
                up(Record::Interaction(Box::new(i)), None)
            })
            .collect();
        total += store.write(&batch(records)).await.unwrap().inserted;
    }
    assert_eq!(total, 3200);
    let wal = dir.path().join("ckpt.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    // 8 batches of ≈ 6 MB: without checkpoints the WAL would hold all ≈ 50 MB.
    assert!(wal_len < 32 << 20, "WAL is {wal_len} bytes");
    assert_eq!(store.stats().await.unwrap().interactions.total, 3200);
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// Not backend-specific

#[tokio::test]
async fn bad_urls_are_store_bad_url() {
    for url in [
        "",
        "   ",
        "mysql://u@h/db",
        "http://example.com/db",
        "sqlite://x.db?mode=bogus",
        "postgres://u@h:notaport/db",
    ] {
        match Store::open(url).await {
            Err(e) => assert_eq!(e.code(), "store.bad_url", "{url}: {e}"),
            Ok(_) => panic!("{url} opened"),
        }
    }
}

#[tokio::test]
async fn unreachable_postgres_is_store_connect() {
    // Port 1 on localhost: nothing listens there.
    let e = Store::open("postgres://u:secret@127.0.0.1:1/db?connect_timeout=2")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "store.connect");
    assert!(!e.to_string().contains("secret"), "{e}");
}

#[tokio::test]
async fn memory_and_bare_path_open() {
    let s = Store::open("sqlite::memory:").await.unwrap();
    let r = call("M1", "2026-01-10T10:00:00+08:00", "C1", ("P1", None));
    s.write(&batch(vec![up(r, None)])).await.unwrap();
    assert_eq!(s.stats().await.unwrap().interactions.total, 1);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b.db");
    let s = Store::open(path.to_str().unwrap()).await.unwrap();
    assert_eq!(s.backend(), "sqlite");
    s.close().await;
    assert!(path.exists());
    let s = Store::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert_eq!(s.stats().await.unwrap().interactions.total, 0);
}

#[test]
fn flag_ids_are_stable() {
    let f = rec(
        r#"{"kind":"flag","contact_id":"P1","flag":"do_not_call","set_at":"2026-01-01T10:00:00+08:00"}"#,
    );
    assert_eq!(record_id(&f), "do_not_call:contact=P1@2026-01-01T02:00:00Z");
    let g = rec(
        r#"{"kind":"flag","contact_id":"P1","case_id":"K1","flag":"dispute","set_at":"2026-01-01T02:00:00Z"}"#,
    );
    assert_eq!(
        record_id(&g),
        "dispute:contact=P1,case=K1@2026-01-01T02:00:00Z"
    );
}
