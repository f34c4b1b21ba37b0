//! One suite, every backend: each test below is written once against `Store` and run on
//! SQLite (a temporary file) always, and on PostgreSQL when `ZHIJIAN_TEST_DATABASE_URL` is set
//! (each PostgreSQL test in a schema of its own, dropped at the end).

use std::collections::BTreeMap;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use zhijian_domain::{
    Category, Finding, InspectionResult, Interaction, Level, Record, Timestamp, parse_record,
};
use zhijian_store::{
    Batch, Inspection, RecordKind, Reject, ScanFilter, Store, Upsert, WriteOutcome, content_hash,
    record_id, testing,
};

const PG_ENV: &str = testing::DATABASE_URL_ENV;

// ---------------------------------------------------------------------------------------------
// Backends (zhijian_store::testing: a temporary SQLite file in a directory that does not exist
// yet; a PostgreSQL schema of the test's own, dropped at the end, also when the test panics)

/// A store under test and what it takes to reopen and clean it.
struct TestDb {
    store: Store,
    url: String,
    _backend: testing::Backend,
}

impl TestDb {
    async fn open(backend: testing::Backend) -> TestDb {
        let store = backend.open().await;
        assert_eq!(store.backend(), backend.name());
        TestDb {
            store,
            url: backend.url(),
            _backend: backend,
        }
    }

    async fn sqlite() -> TestDb {
        TestDb::open(testing::Backend::sqlite()).await
    }

    async fn postgres(base: &str) -> TestDb {
        TestDb::open(testing::Backend::postgres(base).await).await
    }

    async fn reopen(&mut self) {
        self.store.close().await;
        self.store = Store::open(&self.url).await.expect("reopen");
    }

    async fn finish(self) {
        self.store.close().await;
    }
}

/// Written straight to the terminal (not through the test harness's capture).
fn announce(msg: &str) {
    testing::announce(&format!("\n{msg}"));
}

fn pg_url() -> Option<String> {
    static ANNOUNCE: Once = Once::new();
    let url = testing::database_url();
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
    web_accounts_sessions_audit,
    web_scopes_filters_paging,
    web_rollups_stay_exact,
    web_detail_and_history,
    web_drill_down_filters,
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

// ---------------------------------------------------------------------------------------------
// Web read models: accounts, sessions, audit; list, detail, dashboard, rule hits — checked
// against an oracle computed here from the records written (not from the store).

mod oracle {
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    use jiff::tz::TimeZone;
    use zhijian_domain::{Channel, Date, Outcome, Record};
    use zhijian_store::{Filter, Inspection, Scope, Status, category_class};

    /// (passed, score, [(rule, category, level)]) of an inspection.
    pub type Ins = (bool, f64, Vec<(String, String, u8)>);

    /// What the test knows about one stored interaction.
    #[derive(Debug, Clone)]
    pub struct Ix {
        pub id: String,
        pub started_at: i64,
        pub local_date: String,
        pub local_hour: i8,
        pub weekday: i8,
        pub agent: String,
        pub client: String,
        pub kind: String,
        pub connected: bool,
        pub recording: bool,
        pub case_id: String,
        pub own_stage: Option<String>,
        pub person_key: String,
        pub ins: Option<Ins>,
    }

    /// The records written so far, as the store should hold them.
    #[derive(Default, Clone)]
    pub struct World {
        pub records: BTreeMap<(String, String), Record>,
        pub inspections: HashMap<String, Inspection>,
    }

    pub fn key(r: &Record) -> (String, String) {
        (
            zhijian_store::RecordKind::of(r).as_str().to_string(),
            zhijian_store::record_id(r),
        )
    }

    impl World {
        /// Mirror `Store::write` of one batch (records in order, as the store writes them).
        pub fn write(&mut self, items: &[(Record, Option<Inspection>)]) {
            for (r, ins) in items {
                let k = key(r);
                let old = self.records.get(&k);
                let id = zhijian_store::record_id(r);
                match old {
                    Some(o) if o == r => {
                        if let Some(ins) = ins {
                            self.inspections.entry(id).or_insert_with(|| ins.clone());
                        }
                    }
                    _ => {
                        if matches!(r, Record::Interaction(_)) {
                            match ins {
                                Some(ins) => {
                                    self.inspections.insert(id, ins.clone());
                                }
                                None => {
                                    self.inspections.remove(&id);
                                }
                            }
                        }
                        self.records.insert(k, r.clone());
                    }
                }
            }
        }

        pub fn reinspect(&mut self, items: &[(String, Inspection)]) {
            for (id, ins) in items {
                self.inspections.insert(id.clone(), ins.clone());
            }
        }

        pub fn agents(&self) -> BTreeMap<String, zhijian_domain::Agent> {
            self.records
                .values()
                .filter_map(|r| match r {
                    Record::Agent(a) => Some((a.id.clone(), a.clone())),
                    _ => None,
                })
                .collect()
        }

        pub fn cases(&self) -> BTreeMap<String, zhijian_domain::Case> {
            self.records
                .values()
                .filter_map(|r| match r {
                    Record::Case(c) => Some((c.id.clone(), (**c).clone())),
                    _ => None,
                })
                .collect()
        }

        pub fn ixs(&self) -> Vec<Ix> {
            let zone = |name: Option<&str>| name.and_then(|n| TimeZone::get(n).ok());
            self.records
                .values()
                .filter_map(|r| match r {
                    Record::Interaction(i) => Some(i),
                    _ => None,
                })
                .map(|i| {
                    let tz = zone(i.contact.as_ref().and_then(|c| c.timezone.as_deref()))
                        .or_else(|| zone(i.timezone.as_deref()))
                        .unwrap_or_else(|| TimeZone::get("Asia/Shanghai").unwrap());
                    let z = i.started_at.to_zoned(tz);
                    let call = i.kind == Channel::Call;
                    let connected = call
                        && match i.outcome {
                            Some(o) => o == Outcome::Connected,
                            None => !i.segments.is_empty(),
                        };
                    Ix {
                        id: i.id.clone(),
                        started_at: i.started_at.as_millisecond(),
                        local_date: z.date().to_string(),
                        local_hour: z.hour(),
                        weekday: z.weekday().to_monday_zero_offset(),
                        agent: i.agent_id.clone(),
                        client: i.client.clone(),
                        kind: i.kind.as_str().into(),
                        connected,
                        recording: call && i.recording.is_some(),
                        case_id: i.case_id.clone(),
                        own_stage: i.case.as_ref().and_then(|c| c.stage.clone()),
                        person_key: i.person_key(),
                        ins: self.inspections.get(&i.id).map(|ins| {
                            (
                                ins.result.passed,
                                ins.result.score,
                                ins.result
                                    .findings
                                    .iter()
                                    .map(|f| (f.rule.clone(), f.category.0.clone(), f.level.get()))
                                    .collect(),
                            )
                        }),
                    }
                })
                .collect()
        }

        /// The effective stage: the case record's, else the interaction's own.
        pub fn stage(&self, ix: &Ix) -> Option<String> {
            self.cases()
                .get(&ix.case_id)
                .and_then(|c| c.stage.clone())
                .filter(|s| !s.is_empty())
                .or_else(|| ix.own_stage.clone())
        }

        /// The agent's tenure band on a local date (`unknown`: no hiring date, not stored).
        pub fn band(&self, agent: &str, date: &str) -> String {
            let Some(h) = self.agents().get(agent).and_then(|a| a.hired_on) else {
                return "unknown".into();
            };
            let d: Date = date.parse().unwrap();
            if d < h.checked_add(jiff::Span::new().months(3)).unwrap() {
                "lt3".into()
            } else if d < h.checked_add(jiff::Span::new().months(12)).unwrap() {
                "3to12".into()
            } else {
                "gt12".into()
            }
        }

        /// The agent's region (`unknown`: none, not stored).
        pub fn region(&self, agent: &str) -> String {
            self.agents()
                .get(agent)
                .and_then(|a| a.region.clone())
                .unwrap_or("unknown".into())
        }

        /// Whether the drill-down fields about the agent allow it on that day (an interaction
        /// or complaint without an agent: not when a region or tenure is asked for).
        pub fn agent_drill(&self, agent: Option<&str>, date: &str, f: &Filter) -> bool {
            let Some(a) = agent else {
                return f.region.is_none() && f.tenure.is_none();
            };
            f.region.as_ref().is_none_or(|r| *r == self.region(a))
                && f.tenure.is_none_or(|t| t.as_str() == self.band(a, date))
        }

        /// The agents a scope and filter allow (`None`: any) and whether nothing matches.
        pub fn allowed(
            &self,
            scope: &Scope,
            f: &Filter,
        ) -> (Option<BTreeSet<String>>, Option<String>, bool) {
            let agents = self.agents();
            let mut set: Option<BTreeSet<String>> = None;
            let mut narrow = |s: BTreeSet<String>| {
                set = Some(match set.take() {
                    None => s,
                    Some(t) => t.intersection(&s).cloned().collect(),
                })
            };
            let org = |b: &Option<String>, t: &Option<String>| -> BTreeSet<String> {
                agents
                    .values()
                    .filter(|a| b.as_ref().is_none_or(|b| *b == a.branch))
                    .filter(|a| t.as_ref().is_none_or(|t| *t == a.team))
                    .map(|a| a.id.clone())
                    .collect()
            };
            if scope.branch.is_some() || scope.team.is_some() {
                narrow(org(&scope.branch, &scope.team));
            }
            if let Some(a) = &scope.agent_id {
                narrow([a.clone()].into());
            }
            if f.branch.is_some() || f.team.is_some() {
                narrow(org(&f.branch, &f.team));
            }
            if let Some(a) = &f.agent_id {
                narrow([a.clone()].into());
            }
            let mut nothing = scope.deny;
            let client = match (&scope.client, &f.client) {
                (Some(a), Some(b)) if a != b => {
                    nothing = true;
                    None
                }
                (a, b) => a.clone().or(b.clone()),
            };
            (set, client, nothing)
        }

        pub fn matches(&self, ix: &Ix, scope: &Scope, f: &Filter) -> bool {
            let (set, client, nothing) = self.allowed(scope, f);
            if nothing {
                return false;
            }
            if set.as_ref().is_some_and(|s| !s.contains(&ix.agent)) {
                return false;
            }
            if client.as_ref().is_some_and(|c| *c != ix.client) {
                return false;
            }
            if f.from.is_some_and(|d| ix.local_date < d.to_string())
                || f.to.is_some_and(|d| ix.local_date > d.to_string())
            {
                return false;
            }
            if f.kind.as_ref().is_some_and(|k| *k != ix.kind) {
                return false;
            }
            if f.weekday
                .is_some_and(|w| i16::from(w) != i16::from(ix.weekday))
                || f.hour
                    .is_some_and(|h| i16::from(h) != i16::from(ix.local_hour))
                || !self.agent_drill(Some(&ix.agent), &ix.local_date, f)
                || f.stage
                    .as_ref()
                    .is_some_and(|s| *s != self.stage(ix).unwrap_or("unknown".into()))
            {
                return false;
            }
            let ins = ix.ins.as_ref();
            if let Some(s) = f.status {
                let ok = match (s, ins) {
                    (_, None) => false,
                    (Status::Passed, Some(i)) => i.0,
                    (Status::Failed, Some(i)) => !i.0,
                    (Status::WithFindings, Some(i)) => !i.2.is_empty(),
                };
                if !ok {
                    return false;
                }
            }
            if let Some(m) = f.score_min
                && !ins.is_some_and(|i| i.1 >= m)
            {
                return false;
            }
            if let Some(m) = f.score_max
                && !ins.is_some_and(|i| i.1 <= m)
            {
                return false;
            }
            if f.category.is_some() || f.level.is_some() {
                let found = ins.is_some_and(|i| {
                    i.2.iter().any(|(_, c, l)| {
                        f.category.as_ref().is_none_or(|x| x == c)
                            && f.level.is_none_or(|x| x == *l)
                    })
                });
                if !found {
                    return false;
                }
            }
            true
        }

        /// Ids of the list, newest first.
        pub fn list(&self, scope: &Scope, f: &Filter) -> Vec<String> {
            let mut v: Vec<Ix> = self
                .ixs()
                .into_iter()
                .filter(|ix| self.matches(ix, scope, f))
                .collect();
            v.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
            v.into_iter().map(|ix| ix.id).collect()
        }

        pub fn rule_hits(&self, scope: &Scope, f: &Filter) -> BTreeMap<String, u64> {
            let mut out = BTreeMap::new();
            for ix in self.ixs().iter().filter(|ix| self.matches(ix, scope, f)) {
                for (rule, _, _) in ix.ins.iter().flat_map(|i| &i.2) {
                    *out.entry(rule.clone()).or_default() += 1;
                }
            }
            out
        }

        /// The dashboard as [`Summary`].
        pub fn dashboard(&self, scope: &Scope, f: &Filter) -> Summary {
            let agents = self.agents();
            let cases = self.cases();
            let (set, client, nothing) = self.allowed(scope, f);
            let mut s = Summary::default();
            let band = |agent: &str, date: &str| self.band(agent, date);
            let org_keys = |agent: &str| -> [(String, String); 4] {
                match agents.get(agent) {
                    Some(a) => [
                        ("branch".into(), a.branch.clone()),
                        ("team".into(), format!("{}/{}", a.branch, a.team)),
                        (
                            "region".into(),
                            a.region.clone().unwrap_or("unknown".into()),
                        ),
                        ("agent".into(), agent.into()),
                    ],
                    None => [
                        ("branch".into(), "unknown".into()),
                        ("team".into(), "unknown".into()),
                        ("region".into(), "unknown".into()),
                        ("agent".into(), agent.into()),
                    ],
                }
            };
            for ix in self.ixs().iter().filter(|ix| self.matches(ix, scope, f)) {
                let findings: Vec<(String, String, u8)> =
                    ix.ins.as_ref().map(|i| i.2.clone()).unwrap_or_default();
                let n = findings.len() as u64;
                let comp = findings
                    .iter()
                    .filter(|(_, c, _)| {
                        category_class(c) == zhijian_store::CategoryClass::Compliance
                    })
                    .count() as u64;
                let serv = findings
                    .iter()
                    .filter(|(_, c, _)| category_class(c) == zhijian_store::CategoryClass::Service)
                    .count() as u64;
                let inspected = ix.ins.is_some();
                let failed = ix.ins.as_ref().is_some_and(|i| !i.0);
                let k = &mut s.kpis;
                k.interactions += 1;
                k.calls += u64::from(ix.kind == "call");
                k.connected_calls += u64::from(ix.connected);
                k.recordings += u64::from(ix.recording);
                k.inspected += u64::from(inspected);
                k.failed += u64::from(failed);
                k.with_findings += u64::from(n > 0);
                k.findings += n;
                k.compliance_findings += comp;
                k.service_findings += serv;
                k.compliance_hit += u64::from(inspected && comp > 0);
                k.service_hit += u64::from(ix.connected && serv > 0);
                let t = s.trend.entry(ix.local_date.clone()).or_default();
                t[0] += 1;
                t[1] += u64::from(failed);
                t[2] += n;
                t[3] += comp;
                t[4] += serv;
                for (_, c, l) in &findings {
                    *s.pareto.entry((c.clone(), *l)).or_default() += 1;
                    *s.client_cats
                        .entry(ix.client.clone())
                        .or_default()
                        .entry(c.clone())
                        .or_default() += 1;
                    let mut keys = org_keys(&ix.agent).to_vec();
                    keys.push(("tenure".into(), band(&ix.agent, &ix.local_date)));
                    for (dim, key) in keys {
                        *s.org_cats
                            .entry(dim)
                            .or_default()
                            .entry(key)
                            .or_default()
                            .entry(c.clone())
                            .or_default() += 1;
                    }
                }
                let h = s
                    .heat
                    .entry((ix.weekday as u8, ix.local_hour as u8))
                    .or_default();
                h.0 += n;
                h.1 += 1;
                let mut rows: Vec<(String, String)> = org_keys(&ix.agent).to_vec();
                rows.push(("tenure".into(), band(&ix.agent, &ix.local_date)));
                rows.push(("stage".into(), self.stage(ix).unwrap_or("unknown".into())));
                rows.push(("client".into(), ix.client.clone()));
                for (dim, key) in rows {
                    let b = s.breakdowns.entry(dim).or_default().entry(key).or_default();
                    b[0] += 1;
                    b[1] += u64::from(failed);
                    b[2] += n;
                    b[3] += comp;
                }
            }
            if nothing {
                return s;
            }
            let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
            for r in self.records.values() {
                let Record::Complaint(c) = r else { continue };
                let date = c.received_at.to_zoned(shanghai.clone()).date().to_string();
                if f.from.is_some_and(|d| date < d.to_string())
                    || f.to.is_some_and(|d| date > d.to_string())
                {
                    continue;
                }
                let case = cases.get(&c.case_id);
                let agent = c
                    .agent_id
                    .clone()
                    .or_else(|| case.and_then(|k| k.agent_id.clone()));
                let cl = case.map(|k| k.client.clone());
                if set
                    .as_ref()
                    .is_some_and(|s| agent.as_ref().is_none_or(|a| !s.contains(a)))
                {
                    continue;
                }
                if client.is_some() && client != cl {
                    continue;
                }
                let local = c.received_at.to_zoned(shanghai.clone());
                let stage = case
                    .and_then(|k| k.stage.clone())
                    .unwrap_or("unknown".into());
                if f.weekday.is_some_and(|w| {
                    i16::from(w) != i16::from(local.weekday().to_monday_zero_offset())
                }) || f
                    .hour
                    .is_some_and(|h| i16::from(h) != i16::from(local.hour()))
                    || f.stage.as_ref().is_some_and(|s| *s != stage)
                    || !self.agent_drill(agent.as_deref(), &date, f)
                {
                    continue;
                }
                s.kpis.complaints += 1;
                s.trend.entry(date.clone()).or_default()[5] += 1;
                let mut rows = Vec::new();
                if let Some(a) = &agent {
                    rows.extend(org_keys(a));
                    rows.push(("tenure".into(), band(a, &date)));
                }
                rows.push((
                    "stage".into(),
                    case.and_then(|k| k.stage.clone())
                        .unwrap_or("unknown".into()),
                ));
                if let Some(cl) = cl {
                    rows.push(("client".into(), cl));
                }
                for (dim, key) in rows {
                    s.breakdowns.entry(dim).or_default().entry(key).or_default()[4] += 1;
                }
            }
            s.kpis.cases = cases
                .values()
                .filter(|k| k.opened_on.is_none_or(|o| f.to.is_none_or(|t| o <= t)))
                .filter(|k| client.as_ref().is_none_or(|c| *c == k.client))
                .filter(|k| {
                    set.as_ref()
                        .is_none_or(|s| k.agent_id.as_ref().is_some_and(|a| s.contains(a)))
                })
                // Cases have no day: of the drill-down fields only region and stage apply.
                .filter(|k| {
                    f.region
                        .as_ref()
                        .is_none_or(|r| k.agent_id.as_ref().is_some_and(|a| self.region(a) == *r))
                })
                .filter(|k| {
                    f.stage.as_ref().is_none_or(|s| {
                        *s == k
                            .stage
                            .clone()
                            .filter(|x| !x.is_empty())
                            .unwrap_or("unknown".into())
                    })
                })
                .count() as u64;
            s
        }
    }

    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub struct Kpis {
        pub interactions: u64,
        pub calls: u64,
        pub connected_calls: u64,
        pub recordings: u64,
        pub inspected: u64,
        pub failed: u64,
        pub with_findings: u64,
        pub findings: u64,
        pub compliance_findings: u64,
        pub service_findings: u64,
        pub compliance_hit: u64,
        pub service_hit: u64,
        pub complaints: u64,
        pub cases: u64,
    }

    /// The counts of a dashboard, comparable between the store and the oracle.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub struct Summary {
        pub kpis: Kpis,
        /// date → [interactions, failed, findings, compliance, service, complaints]
        pub trend: BTreeMap<String, [u64; 6]>,
        pub pareto: BTreeMap<(String, u8), u64>,
        /// (weekday, hour) → (findings, interactions)
        pub heat: BTreeMap<(u8, u8), (u64, u64)>,
        /// dim → key → [interactions, failed, findings, compliance, complaints]
        pub breakdowns: BTreeMap<String, BTreeMap<String, [u64; 5]>>,
        pub client_cats: BTreeMap<String, BTreeMap<String, u64>>,
        /// branch / team / region / agent / tenure → key → category → findings
        pub org_cats: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
    }

    impl Summary {
        pub fn of(d: &zhijian_store::Dashboard) -> Summary {
            let k = &d.kpis;
            // compliance_hit and service_hit are not KPIs: recover them from the rates.
            let hit = |rate: Option<f64>, den: u64| {
                rate.map_or(0, |r| den - (r * den as f64).round() as u64)
            };
            let mut s = Summary {
                kpis: Kpis {
                    interactions: k.interactions,
                    calls: k.calls,
                    connected_calls: k.connected_calls,
                    recordings: k.recordings,
                    inspected: k.inspected,
                    failed: k.failed,
                    with_findings: k.with_findings,
                    findings: k.findings,
                    compliance_findings: k.compliance_findings,
                    service_findings: k.service_findings,
                    compliance_hit: hit(k.compliance_rate, k.inspected),
                    service_hit: hit(k.service_standard_rate, k.connected_calls),
                    complaints: k.complaints,
                    cases: k.cases,
                },
                ..Summary::default()
            };
            for t in &d.trend {
                let v = [
                    t.interactions,
                    t.failed,
                    t.findings,
                    t.compliance_findings,
                    t.service_findings,
                    t.complaints,
                ];
                if v.iter().any(|&x| x > 0) {
                    s.trend.insert(t.date.clone(), v);
                }
            }
            for p in &d.pareto {
                s.pareto.insert((p.category.clone(), p.level), p.count);
            }
            for h in &d.heatmap {
                if h.count > 0 || h.interactions > 0 {
                    s.heat
                        .insert((h.weekday, h.hour), (h.count, h.interactions));
                }
            }
            let b = &d.breakdowns;
            for (dim, rows) in [
                ("branch", &b.branch),
                ("team", &b.team),
                ("tenure", &b.tenure),
                ("region", &b.region),
                ("stage", &b.stage),
                ("client", &b.client),
                ("agent", &b.agent),
            ] {
                for r in rows {
                    s.breakdowns.entry(dim.into()).or_default().insert(
                        r.key.clone(),
                        [
                            r.interactions,
                            r.failed,
                            r.findings,
                            r.compliance_findings,
                            r.complaints,
                        ],
                    );
                    if let Some(c) = &r.categories {
                        let c: BTreeMap<String, u64> = c
                            .iter()
                            .filter(|(_, n)| **n > 0)
                            .map(|(k, n)| (k.clone(), *n))
                            .collect();
                        if dim == "client" {
                            if !c.is_empty() {
                                s.client_cats.insert(r.key.clone(), c);
                            }
                        } else if !c.is_empty() {
                            s.org_cats
                                .entry(dim.into())
                                .or_default()
                                .insert(r.key.clone(), c);
                        }
                    }
                }
            }
            s
        }
    }
}

use oracle::{Summary, World};
use zhijian_store::{AuditEvent, DashboardOptions, Filter, Role, Scope, Status, User};

fn web_user(
    role: Role,
    branch: Option<&str>,
    team: Option<&str>,
    agent: Option<&str>,
    client: Option<&str>,
) -> User {
    User {
        username: format!("u_{role}"),
        display_name: format!("用户 {role}"),
        role,
        branch: branch.map(Into::into),
        team: team.map(Into::into),
        agent_id: agent.map(Into::into),
        client: client.map(Into::into),
    }
}

/// Every role's scope, and a misconfigured one (a team lead without a team: sees nothing).
fn web_scopes() -> Vec<(&'static str, Scope)> {
    vec![
        (
            "admin",
            Scope::of(&web_user(Role::Admin, None, None, None, None)),
        ),
        (
            "qa_lead",
            Scope::of(&web_user(Role::QaLead, None, None, None, None)),
        ),
        (
            "qa_reviewer",
            Scope::of(&web_user(Role::QaReviewer, None, None, None, None)),
        ),
        (
            "branch_head",
            Scope::of(&web_user(Role::BranchHead, Some("华东"), None, None, None)),
        ),
        (
            "team_lead",
            Scope::of(&web_user(
                Role::TeamLead,
                Some("华东"),
                Some("一组"),
                None,
                None,
            )),
        ),
        (
            "agent",
            Scope::of(&web_user(Role::Agent, None, None, Some("A3"), None)),
        ),
        (
            "client_auditor",
            Scope::of(&web_user(Role::ClientAuditor, None, None, None, Some("C2"))),
        ),
        (
            "team_lead_without_team",
            Scope::of(&web_user(Role::TeamLead, Some("华东"), None, None, None)),
        ),
    ]
}

fn web_context() -> Vec<Record> {
    vec![
        rec(r#"{"kind":"client","id":"C1","name":"甲银行"}"#),
        rec(r#"{"kind":"client","id":"C2","name":"乙消费金融"}"#),
        rec(
            r#"{"kind":"agent","id":"A1","name":"张一","branch":"华东","team":"一组","region":"上海","hired_on":"2026-01-20"}"#,
        ),
        rec(
            r#"{"kind":"agent","id":"A2","name":"张二","branch":"华东","team":"一组","region":"上海","hired_on":"2025-06-01"}"#,
        ),
        rec(
            r#"{"kind":"agent","id":"A3","name":"张三","branch":"华东","team":"二组","region":"杭州","hired_on":"2024-01-01"}"#,
        ),
        rec(r#"{"kind":"agent","id":"A4","name":"张四","branch":"华南","team":"一组"}"#),
        rec(
            r#"{"kind":"case","id":"K1","client":"C1","stage":"M1","agent_id":"A1","opened_on":"2026-01-01"}"#,
        ),
        rec(
            r#"{"kind":"case","id":"K2","client":"C1","stage":"M2","agent_id":"A2","opened_on":"2026-02-01"}"#,
        ),
        rec(r#"{"kind":"case","id":"K3","client":"C2","stage":"M3","agent_id":"A3"}"#),
        rec(r#"{"kind":"case","id":"K4","client":"C2","agent_id":"A4","opened_on":"2026-03-05"}"#),
        rec(
            r#"{"kind":"contact","id":"P-K1","case_id":"K1","relation":"debtor","number":"13800000001","name":"李一"}"#,
        ),
        rec(
            r#"{"kind":"complaint","id":"T1","case_id":"K1","source":"client","received_at":"2026-03-02T02:00:00Z","agent_id":"A1","category":"threat"}"#,
        ),
        rec(
            r#"{"kind":"complaint","id":"T2","case_id":"K3","source":"regulator","received_at":"2026-03-04T03:00:00Z"}"#,
        ),
        rec(
            r#"{"kind":"complaint","id":"T3","case_id":"K4","source":"hotline","received_at":"2026-02-20T03:00:00Z","agent_id":"A4"}"#,
        ),
        rec(
            r#"{"kind":"complaint","id":"T4","case_id":"K2","source":"client","received_at":"2026-03-05T17:00:00Z","agent_id":"A2"}"#,
        ),
    ]
}

const WEB_AGENTS: [&str; 5] = ["A1", "A2", "A3", "A4", "A9"];

/// Interaction `n` of the web fixture: five agents (A9 not in the agents table), four stored
/// cases and one that is not, every channel, two interactions per instant (ties for paging),
/// contacts in other time zones, and inspections with compliance, service, other and custom
/// categories (some interactions uninspected).
fn web_interaction(n: usize) -> (Record, Option<Inspection>) {
    let agent = WEB_AGENTS[n % 5];
    let case = match agent {
        "A1" => "K1",
        "A2" => "K2",
        "A3" => "K3",
        "A4" => "K4",
        _ => "K5",
    };
    let client = match case {
        "K1" | "K2" => "C1",
        "K3" | "K4" => "C2",
        _ if n.is_multiple_of(2) => "C1",
        _ => "C2",
    };
    let slot = n / 2;
    let day = 1 + slot % 6;
    let hour = 8 + slot % 13;
    let minute = slot % 60;
    let started = format!("2026-03-{day:02}T{hour:02}:{minute:02}:00+08:00");
    let kind = match n % 10 {
        7 => "sms",
        8 => "note",
        9 => "visit",
        _ => "call",
    };
    let tz = if n.is_multiple_of(23) {
        r#","timezone":"America/New_York""#
    } else if n.is_multiple_of(17) {
        r#","timezone":"Asia/Urumqi""#
    } else {
        ""
    };
    let contact = format!(
        r#""contact":{{"id":"P-{case}","relation":"debtor","number":"1380000000{}"{tz}}}"#,
        n % 3
    );
    let own_stage = if case == "K5" && n.is_multiple_of(2) {
        r#","case":{"stage":"M5"}"#
    } else {
        ""
    };
    let body = match kind {
        "call" if n % 4 == 3 => r#""outcome":"no_answer""#.to_string(),
        "call" => {
            let recording = if n % 8 == 1 {
                String::new()
            } else {
                format!(r#","recording":"rec/{n}.wav""#)
            };
            format!(
                r#""outcome":"connected","segments":[{{"speaker":"agent","start":0.0,"end":3.0,"text":"您好，这里是某某公司"}},{{"speaker":"customer","start":3.0,"end":5.0,"text":"是我"}},{{"speaker":"agent","start":5.0,"end":9.5,"text":"您的欠款一万二千元已逾期"}}]{recording}"#
            )
        }
        "sms" | "note" => r#""text":"请尽快还款""#.to_string(),
        _ => r#""visit":{"members":["A1","A2"],"photos":[]}"#.to_string(),
    };
    let line = format!(
        r#"{{"id":"W{n:03}","kind":"{kind}","case_id":"{case}","agent_id":"{agent}","client":"{client}","started_at":"{started}",{contact},{body}{own_stage}}}"#
    );
    let r = rec(&line);
    if n % 11 == 5 {
        return (r, None);
    }
    let f = |rule: &str, cat: &str, level: u8, seg: Option<usize>| {
        let mut x = finding(
            rule,
            cat,
            level,
            seg.filter(|_| kind == "call" && n % 4 != 3),
        );
        x.deduction = u32::from(level) * 4;
        x
    };
    let findings = match n % 7 {
        0 => vec![],
        1 => vec![f("threat.jail", "threat", 4, Some(2))],
        2 => vec![
            f("flow.notice", "missing_recording_notice", 1, None),
            f("pii.card", "pii_leak", 3, Some(2)),
        ],
        3 => vec![
            f("flow.verify", "missing_identity_verification", 2, None),
            f("flow.verify_late", "missing_identity_verification", 3, None),
        ],
        4 => vec![
            f("timing.silence", "long_silence", 1, None),
            f("client.x", "client_rule_x", 2, None),
        ],
        5 => vec![
            f("threat.soft", "threat", 3, Some(0)),
            f("flow.notice", "missing_recording_notice", 1, None),
            f("flow.notice", "missing_recording_notice", 1, None),
        ],
        _ => vec![
            f("abuse.insult", "abuse", 4, Some(2)),
            f("disclosure.tp", "third_party_disclosure", 4, Some(2)),
        ],
    };
    let score = 100.0 - findings.iter().map(|x| f64::from(x.deduction)).sum::<f64>();
    let passed = score >= 85.0 && findings.iter().all(|x| x.level.get() < 4);
    let ins = Inspection {
        pack: "cn-default@2026.11.1".into(),
        inspected_at: ts("2026-03-10T00:00:00Z"),
        result: InspectionResult {
            id: format!("W{n:03}"),
            score,
            passed,
            findings,
            party: None,
            pack: None,
        },
    };
    (r, Some(ins))
}

/// Write records (and inspections) to the store and the oracle alike.
async fn web_write(db: &TestDb, world: &mut World, items: Vec<(Record, Option<Inspection>)>) {
    let b = batch(
        items
            .iter()
            .map(|(r, i)| up(r.clone(), i.clone()))
            .collect(),
    );
    db.store.write(&b).await.unwrap();
    world.write(&items);
}

async fn web_world(db: &TestDb) -> World {
    let mut world = World::default();
    web_write(
        db,
        &mut world,
        web_context().into_iter().map(|r| (r, None)).collect(),
    )
    .await;
    // Two batches, so rollup keys are added to as well as created.
    for part in [0..70, 70..120] {
        web_write(db, &mut world, part.map(web_interaction).collect()).await;
    }
    world
}

/// The whole list, `limit` at a time: no duplicates, ends with no cursor.
async fn list_all(db: &TestDb, scope: &Scope, f: &Filter, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = db
            .store
            .list_interactions(scope, f, cursor.as_deref(), limit)
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.iter().map(|i| i.id.clone()));
        match page.next_cursor {
            Some(c) => {
                assert_eq!(
                    page.items.len(),
                    limit as usize,
                    "a cursor after a full page only"
                );
                cursor = Some(c);
            }
            None => break,
        }
        assert!(ids.len() < 10_000, "paging does not end");
    }
    ids
}

fn day(d: &str) -> zhijian_domain::Date {
    d.parse().unwrap()
}

/// Filters that each exercise one field (and a few together).
fn web_filters() -> Vec<(&'static str, Filter)> {
    let f = Filter::default;
    vec![
        ("none", f()),
        (
            "from",
            Filter {
                from: Some(day("2026-03-03")),
                ..f()
            },
        ),
        (
            "to",
            Filter {
                to: Some(day("2026-03-02")),
                ..f()
            },
        ),
        (
            "from..to",
            Filter {
                from: Some(day("2026-03-02")),
                to: Some(day("2026-03-04")),
                ..f()
            },
        ),
        (
            "one day",
            Filter {
                from: Some(day("2026-03-06")),
                to: Some(day("2026-03-06")),
                ..f()
            },
        ),
        (
            "client",
            Filter {
                client: Some("C1".into()),
                ..f()
            },
        ),
        (
            "branch",
            Filter {
                branch: Some("华东".into()),
                ..f()
            },
        ),
        (
            "team",
            Filter {
                team: Some("一组".into()),
                ..f()
            },
        ),
        (
            "branch+team",
            Filter {
                branch: Some("华东".into()),
                team: Some("一组".into()),
                ..f()
            },
        ),
        (
            "agent",
            Filter {
                agent_id: Some("A2".into()),
                ..f()
            },
        ),
        (
            "agent not in the agents table",
            Filter {
                agent_id: Some("A9".into()),
                ..f()
            },
        ),
        (
            "category",
            Filter {
                category: Some("threat".into()),
                ..f()
            },
        ),
        (
            "category+level",
            Filter {
                category: Some("threat".into()),
                level: Some(3),
                ..f()
            },
        ),
        (
            "category, two levels in one",
            Filter {
                category: Some("missing_identity_verification".into()),
                level: Some(3),
                ..f()
            },
        ),
        (
            "custom category",
            Filter {
                category: Some("client_rule_x".into()),
                ..f()
            },
        ),
        (
            "custom category+level",
            Filter {
                category: Some("client_rule_x".into()),
                level: Some(1),
                ..f()
            },
        ),
        (
            "level",
            Filter {
                level: Some(4),
                ..f()
            },
        ),
        (
            "status passed",
            Filter {
                status: Some(Status::Passed),
                ..f()
            },
        ),
        (
            "status failed",
            Filter {
                status: Some(Status::Failed),
                ..f()
            },
        ),
        (
            "status findings",
            Filter {
                status: Some(Status::WithFindings),
                ..f()
            },
        ),
        (
            "score_min",
            Filter {
                score_min: Some(90.0),
                ..f()
            },
        ),
        (
            "score_max",
            Filter {
                score_max: Some(84.0),
                ..f()
            },
        ),
        (
            "kind call",
            Filter {
                kind: Some("call".into()),
                ..f()
            },
        ),
        (
            "kind visit",
            Filter {
                kind: Some("visit".into()),
                ..f()
            },
        ),
        (
            "combined",
            Filter {
                client: Some("C2".into()),
                category: Some("threat".into()),
                status: Some(Status::Failed),
                from: Some(day("2026-03-02")),
                ..f()
            },
        ),
        (
            "client C1 + agent A3 (none)",
            Filter {
                client: Some("C1".into()),
                agent_id: Some("A3".into()),
                ..f()
            },
        ),
        (
            "unknown category (none)",
            Filter {
                category: Some("no_such".into()),
                ..f()
            },
        ),
    ]
}

async fn check_dashboard(db: &TestDb, world: &World, label: &str, scope: &Scope, f: &Filter) {
    let opts = DashboardOptions {
        row_categories: true,
    };
    let d = db.store.dashboard_with(scope, f, opts).await.unwrap();
    let got = Summary::of(&d);
    let want = world.dashboard(scope, f);
    // Without the option: the same dashboard, without categories on the rows.
    let plain = db.store.dashboard(scope, f).await.unwrap();
    let b = &plain.breakdowns;
    for rows in [
        &b.branch, &b.team, &b.tenure, &b.region, &b.stage, &b.client, &b.agent,
    ] {
        assert!(
            rows.iter().all(|r| r.categories.is_none()),
            "{label}: row categories not asked for"
        );
    }
    let plain = Summary::of(&plain);
    assert_eq!(
        (&plain.kpis, &plain.trend, &plain.pareto),
        (&got.kpis, &got.trend, &got.pareto),
        "{label}: plain"
    );
    assert_eq!(
        (&plain.heat, &plain.breakdowns),
        (&got.heat, &got.breakdowns),
        "{label}: plain"
    );
    assert_eq!(got.kpis, want.kpis, "{label}: kpis");
    assert_eq!(got.trend, want.trend, "{label}: trend");
    assert_eq!(got.pareto, want.pareto, "{label}: pareto");
    assert_eq!(got.heat, want.heat, "{label}: heat map");
    assert_eq!(got.breakdowns, want.breakdowns, "{label}: breakdowns");
    assert_eq!(
        got.client_cats, want.client_cats,
        "{label}: client categories"
    );
    assert_eq!(
        got.org_cats, want.org_cats,
        "{label}: categories of org rows"
    );
    // The rates and the targets.
    let k = &d.kpis;
    let rate = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    assert_eq!(k.complaint_rate, rate(k.complaints, k.cases), "{label}");
    assert_eq!(
        k.compliance_per_100_recordings,
        rate(k.compliance_findings * 100, k.recordings),
        "{label}"
    );
    assert_eq!(k.targets.compliance_rate, 0.98);
    assert_eq!(k.targets.compliance_per_100_recordings, 2.0);
    assert_eq!(k.targets.service_standard_rate, 0.95);
    assert_eq!(
        d.heatmap.len(),
        7 * 24,
        "{label}: the heat map has every cell"
    );
}

async fn check_everything(db: &TestDb, world: &World, filters: &[(&str, Filter)]) {
    for (who, scope) in web_scopes() {
        for (what, f) in filters {
            let label = format!("{who} / {what}");
            let want = world.list(&scope, f);
            for limit in [7, 1_000] {
                assert_eq!(
                    list_all(db, &scope, f, limit).await,
                    want,
                    "{label}: list by {limit}"
                );
            }
            check_dashboard(db, world, &label, &scope, f).await;
            assert_eq!(
                db.store.rule_hits(&scope, f).await.unwrap(),
                world.rule_hits(&scope, f),
                "{label}: rule hits"
            );
        }
    }
}

async fn web_accounts_sessions_audit(db: &mut TestDb) {
    let lead = web_user(Role::TeamLead, Some("华东"), Some("一组"), None, None);
    let agent = web_user(Role::Agent, None, None, Some("A3"), None);
    db.store.upsert_user(&lead, "hash-1").await.unwrap();
    db.store.upsert_user(&agent, "hash-2").await.unwrap();
    assert_eq!(
        db.store.user("u_team_lead").await.unwrap(),
        Some((lead.clone(), "hash-1".into()))
    );
    assert_eq!(db.store.user("nobody").await.unwrap(), None);
    // Updated in place.
    let mut lead2 = lead.clone();
    lead2.display_name = "新名字".into();
    lead2.team = Some("二组".into());
    db.store.upsert_user(&lead2, "hash-3").await.unwrap();
    assert_eq!(
        db.store.user("u_team_lead").await.unwrap(),
        Some((lead2.clone(), "hash-3".into()))
    );
    assert_eq!(
        db.store.users().await.unwrap(),
        vec![agent.clone(), lead2.clone()]
    );
    let json = serde_json::to_value(&agent).unwrap();
    assert_eq!(json["role"], "agent");
    assert!(json.get("branch").is_none());

    // Sessions: found until they expire, gone when deleted.
    let now = ts("2026-03-01T00:00:00Z");
    let later = ts("2026-03-01T08:00:00Z");
    db.store
        .create_session("tok-1", "u_team_lead", "csrf-1", later)
        .await
        .unwrap();
    db.store
        .create_session("tok-2", "u_agent", "csrf-2", later)
        .await
        .unwrap();
    assert_eq!(
        db.store.session("tok-1", now).await.unwrap(),
        Some((lead2.clone(), "csrf-1".into()))
    );
    assert_eq!(
        db.store.session("tok-1", later).await.unwrap(),
        None,
        "expired at expires_at"
    );
    assert_eq!(db.store.session("nope", now).await.unwrap(), None);
    db.store.delete_session("tok-1").await.unwrap();
    assert_eq!(db.store.session("tok-1", now).await.unwrap(), None);
    assert_eq!(
        db.store.session("tok-2", now).await.unwrap(),
        Some((agent.clone(), "csrf-2".into()))
    );
    // Expired sessions are purged on request.
    db.store
        .create_session("tok-3", "u_agent", "csrf-3", ts("2026-03-02T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .purge_sessions(ts("2026-03-01T12:00:00Z"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(db.store.session("tok-2", now).await.unwrap(), None);
    assert!(
        db.store
            .session("tok-3", ts("2026-03-01T12:00:00Z"))
            .await
            .unwrap()
            .is_some()
    );

    // Login failures by username and by address since an instant; successes do not count.
    let t = |m: i64| Timestamp::from_millisecond(1_772_323_200_000 + m * 60_000).unwrap();
    for (m, user, addr, ok) in [
        (0, "u_agent", "10.0.0.1", false),
        (1, "u_agent", "10.0.0.1", false),
        (2, "u_agent", "10.0.0.2", false),
        (3, "u_agent", "10.0.0.1", true),
        (4, "other", "10.0.0.1", false),
        (20, "u_agent", "10.0.0.1", false),
    ] {
        db.store.record_login(user, addr, ok, t(m)).await.unwrap();
    }
    assert_eq!(
        db.store
            .login_failures("u_agent", "10.0.0.1", t(0))
            .await
            .unwrap(),
        (4, 4)
    );
    assert_eq!(
        db.store
            .login_failures("u_agent", "10.0.0.1", t(2))
            .await
            .unwrap(),
        (2, 2)
    );
    assert_eq!(
        db.store
            .login_failures("u_agent", "10.0.0.9", t(5))
            .await
            .unwrap(),
        (1, 0)
    );
    assert_eq!(
        db.store
            .login_failures("nobody", "10.0.0.1", t(30))
            .await
            .unwrap(),
        (0, 0)
    );

    // The audit log, newest first.
    for (m, action, role) in [
        (0, "login", Some(Role::Agent)),
        (1, "view_transcript", Some(Role::Agent)),
        (2, "play_recording", Some(Role::Agent)),
        (3, "login_failed", None),
    ] {
        db.store
            .audit(&AuditEvent {
                at: t(m),
                username: "u_agent".into(),
                role,
                action: action.into(),
                object: format!("W00{m}"),
                addr: "10.0.0.1".into(),
            })
            .await
            .unwrap();
    }
    let log = db.store.audit_log(3).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["login_failed", "play_recording", "view_transcript"]
    );
    assert_eq!(log[0].role, None);
    assert_eq!(log[1].role, Some(Role::Agent));
    assert_eq!(log[1].at, t(2));
    assert_eq!(log[1].object, "W002");
    assert_eq!(db.store.audit_log(100).await.unwrap().len(), 4);
}

async fn web_scopes_filters_paging(db: &mut TestDb) {
    let world = web_world(db).await;
    check_everything(db, &world, &web_filters()).await;

    // What each scope holds, spelled out.
    let count = |who: &str| {
        let scope = web_scopes().into_iter().find(|(w, _)| *w == who).unwrap().1;
        world.list(&scope, &Filter::default()).len()
    };
    assert_eq!(count("admin"), 120);
    assert_eq!(count("team_lead"), 48, "A1 and A2");
    assert_eq!(count("agent"), 24);
    assert_eq!(count("client_auditor"), 60);
    assert_eq!(count("team_lead_without_team"), 0);

    // A filter outside the scope finds nothing; it never widens the scope.
    let agent = Scope::of(&web_user(Role::Agent, None, None, Some("A3"), None));
    for f in [
        Filter {
            agent_id: Some("A1".into()),
            ..Filter::default()
        },
        Filter {
            client: Some("C1".into()),
            ..Filter::default()
        },
        Filter {
            branch: Some("华南".into()),
            ..Filter::default()
        },
    ] {
        let page = db
            .store
            .list_interactions(&agent, &f, None, 50)
            .await
            .unwrap();
        assert!(page.items.is_empty() && page.next_cursor.is_none());
        assert_eq!(
            db.store
                .dashboard(&agent, &f)
                .await
                .unwrap()
                .kpis
                .interactions,
            0
        );
    }

    // A list item, as the API returns it.
    let admin = Scope::all();
    let page = db
        .store
        .list_interactions(
            &admin,
            &Filter {
                agent_id: Some("A1".into()),
                kind: Some("call".into()),
                ..Filter::default()
            },
            None,
            200,
        )
        .await
        .unwrap();
    let item = page.items.iter().find(|i| i.id == "W015").expect("W015");
    assert_eq!(item.started_at, "2026-03-02T15:07:00+08:00");
    assert_eq!(item.local_date, "2026-03-02");
    assert_eq!(
        (
            item.agent_name.as_deref(),
            item.branch.as_deref(),
            item.team.as_deref()
        ),
        (Some("张一"), Some("华东"), Some("一组"))
    );
    assert_eq!(
        (
            item.client.as_str(),
            item.case_id.as_str(),
            item.kind.as_str()
        ),
        ("C1", "K1", "call")
    );
    assert_eq!(item.outcome.as_deref(), Some("no_answer"));
    assert_eq!(item.party.as_deref(), None);
    // n = 15: 15 % 7 = 1 → one threat finding at level 4: failed.
    assert_eq!(
        (item.score, item.passed, item.finding_count, item.max_level),
        (Some(84.0), Some(false), 1, 4)
    );
    assert_eq!(item.categories, ["threat"]);
    let json = serde_json::to_value(item).unwrap();
    for k in [
        "id",
        "kind",
        "started_at",
        "local_date",
        "agent_id",
        "agent_name",
        "branch",
        "team",
        "client",
        "case_id",
        "score",
        "passed",
        "finding_count",
        "max_level",
        "categories",
    ] {
        assert!(json.get(k).is_some(), "{k}");
    }
    // An uninspected one; a contact in New York: its local date and offset.
    let all = list_all(db, &admin, &Filter::default(), 500).await;
    let page = db
        .store
        .list_interactions(
            &admin,
            &Filter {
                agent_id: Some("A4".into()),
                ..Filter::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    let w038 = page.items.iter().find(|i| i.id == "W038").unwrap();
    assert_eq!(
        (w038.score, w038.passed, w038.finding_count),
        (None, None, 0)
    );
    // W000: 2026-03-01 08:00 in Shanghai is the evening before in New York.
    let page = db
        .store
        .list_interactions(
            &admin,
            &Filter {
                agent_id: Some("A1".into()),
                ..Filter::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    let w000 = page.items.iter().find(|i| i.id == "W000").unwrap();
    assert_eq!(w000.started_at, "2026-02-28T19:00:00-05:00");
    assert_eq!(w000.local_date, "2026-02-28");
    let feb = Filter {
        to: Some(day("2026-02-28")),
        ..Filter::default()
    };
    assert_eq!(list_all(db, &admin, &feb, 10).await, ["W000"]);

    // Paging is stable under equal started_at (every instant has two interactions).
    let mut ties = 0;
    for w in all.windows(2) {
        let a: usize = w[0][1..].parse().unwrap();
        let b: usize = w[1][1..].parse().unwrap();
        if a / 2 == b / 2 {
            ties += 1;
        }
    }
    assert!(ties > 10, "{ties}");
    for limit in [1, 2, 3] {
        assert_eq!(list_all(db, &admin, &Filter::default(), limit).await, all);
    }
    // A cursor this store did not hand out.
    let e = db
        .store
        .list_interactions(&admin, &Filter::default(), Some("not a cursor"), 10)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "store.bad_cursor");

    // The dashboard's shape.
    let f = Filter {
        from: Some(day("2026-03-01")),
        to: Some(day("2026-03-06")),
        ..Filter::default()
    };
    let d = db.store.dashboard(&admin, &f).await.unwrap();
    assert_eq!(d.trend.len(), 6, "one row per day of the range");
    assert_eq!(d.trend[0].date, "2026-03-01");
    assert_eq!(d.trend[0].drill, "from=2026-03-01&to=2026-03-01");
    let threat4 = d
        .pareto
        .iter()
        .find(|p| p.category == "threat" && p.level == 4)
        .unwrap();
    assert_eq!(threat4.title.as_deref(), Some("威胁恐吓"));
    assert_eq!(threat4.kind, zhijian_store::CategoryClass::Compliance);
    assert_eq!(
        threat4.drill,
        "from=2026-03-01&to=2026-03-06&category=threat&level=4"
    );
    let custom = d
        .pareto
        .iter()
        .find(|p| p.category == "client_rule_x")
        .unwrap();
    assert_eq!(
        (custom.title.as_deref(), custom.kind),
        (None, zhijian_store::CategoryClass::Other)
    );
    assert_eq!(
        d.breakdowns
            .tenure
            .iter()
            .map(|r| r.key.as_str())
            .collect::<Vec<_>>(),
        ["lt3", "3to12", "gt12", "unknown"]
    );
    let team = d
        .breakdowns
        .team
        .iter()
        .find(|r| r.key == "华东/一组")
        .unwrap();
    assert_eq!(
        team.drill.as_deref(),
        Some("from=2026-03-01&to=2026-03-06&branch=%E5%8D%8E%E4%B8%9C&team=%E4%B8%80%E7%BB%84")
    );
    assert_eq!(
        d.breakdowns.branch.last().unwrap().key,
        "unknown",
        "A9 is not in the agents table"
    );
    let c1 = d.breakdowns.client.iter().find(|r| r.key == "C1").unwrap();
    assert_eq!(c1.label, "甲银行");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["filter"]["from"], "2026-03-01");
    assert!(json["filter"]["agent"].is_null());
    assert!(json["kpis"]["targets"]["compliance_rate"].is_number());
}

async fn web_rollups_stay_exact(db: &mut TestDb) {
    let mut world = web_world(db).await;
    let filters: Vec<(&str, Filter)> = web_filters()
        .into_iter()
        .filter(|(w, _)| {
            [
                "none",
                "from..to",
                "client",
                "team",
                "agent not in the agents table",
                "category+level",
                "status failed",
            ]
            .contains(w)
        })
        .collect();
    check_everything(db, &world, &filters).await;

    // Re-inspection with another pack: different findings for a third of the interactions.
    let items: Vec<(String, Inspection)> = (0..120)
        .step_by(3)
        .map(|n| {
            let id = format!("W{n:03}");
            let mut ins = web_interaction(n + 1)
                .1
                .unwrap_or_else(|| web_interaction(n + 2).1.unwrap());
            ins.result.id = id.clone();
            ins.pack = "cn-default@2026.12.0".into();
            (id, ins)
        })
        .collect();
    db.store.write_inspections(&items).await.unwrap();
    world.reinspect(&items);
    check_everything(db, &world, &filters).await;

    // Changed records: another agent, channel, outcome, instant (another day), client; some
    // lose their inspection, some get a new one; an unchanged one gets one only if it had none.
    let mut changes = Vec::new();
    for n in [1, 2, 5, 16, 27, 38, 49, 60, 71, 82, 93] {
        let (r, ins) = web_interaction(n);
        let mut i = interaction(&r).clone();
        match n % 4 {
            0 => i.agent_id = "A1".into(),
            1 => {
                i.started_at = ts("2026-03-07T23:30:00+08:00");
                i.client = "C2".into();
            }
            2 => i.outcome = Some(zhijian_domain::Outcome::Busy),
            _ => i.kind = zhijian_domain::Channel::Note,
        }
        let ins = if n % 3 == 0 {
            None
        } else {
            ins.or_else(|| web_interaction(n + 1).1)
        };
        changes.push((Record::Interaction(Box::new(i)), ins));
    }
    // Unchanged records: W104 has no inspection (104 % 11 == 5) and gets the one given; W000
    // keeps its own.
    let given = web_interaction(1).1;
    changes.push((web_interaction(104).0, given.clone()));
    changes.push((web_interaction(0).0, given));
    let w000 = world.inspections["W000"].clone();
    assert!(!world.inspections.contains_key("W104"));
    web_write(db, &mut world, changes).await;
    assert!(world.inspections.contains_key("W104"));
    assert_eq!(world.inspections["W000"], w000);
    check_everything(db, &world, &filters).await;

    // A case changes stage (its interactions move between stage rows); a case record arrives
    // for interactions that had only their own stage; an agent record arrives for A9.
    let updates = vec![
        rec(
            r#"{"kind":"case","id":"K1","client":"C1","stage":"M3","agent_id":"A1","opened_on":"2026-01-01"}"#,
        ),
        rec(r#"{"kind":"case","id":"K5","client":"C1","stage":"委外","agent_id":"A9"}"#),
        rec(
            r#"{"kind":"agent","id":"A9","name":"新人","branch":"华南","team":"二组","region":"广州","hired_on":"2026-02-15"}"#,
        ),
        rec(
            r#"{"kind":"complaint","id":"T5","case_id":"K5","source":"client","received_at":"2026-03-03T03:00:00Z"}"#,
        ),
    ];
    web_write(
        db,
        &mut world,
        updates.into_iter().map(|r| (r, None)).collect(),
    )
    .await;
    check_everything(db, &world, &filters).await;

    // The same batches again change nothing.
    let before: Vec<Summary> = futures_dashboards(db).await;
    let again: Vec<(Record, Option<Inspection>)> = (0..120).map(web_interaction).collect();
    // Write only those the oracle still holds unchanged (the changed ones would be changed back).
    let unchanged: Vec<(Record, Option<Inspection>)> = again
        .into_iter()
        .filter(|(r, _)| world.records.get(&oracle::key(r)) == Some(r))
        .collect();
    web_write(db, &mut world, unchanged).await;
    assert_eq!(futures_dashboards(db).await, before);

    // Rebuilding the read models from the records gives the same answers.
    db.store.rebuild_read_models().await.unwrap();
    assert_eq!(futures_dashboards(db).await, before);
    check_everything(db, &world, &filters).await;
    // And so does a reopened store.
    db.reopen().await;
    assert_eq!(futures_dashboards(db).await, before);
    // Migration 0004 fills the client-free twins from the rollups they sum: the same answers.
    let (dir, with_cats) = match &db.store {
        Store::Sqlite(_) => (
            "sqlite",
            include_str!("../migrations/sqlite/0004_dash_rollups.sql"),
        ),
        Store::Postgres(_) => (
            "postgres",
            include_str!("../migrations/postgres/0004_dash_rollups.sql"),
        ),
    };
    let fill: Vec<&str> = with_cats
        .split(';')
        .map(str::trim)
        .filter(|s| s.lines().any(|l| l.starts_with("INSERT INTO roll_agent_")))
        .collect();
    assert_eq!(fill.len(), 2, "{dir}: the fill statements of 0004");
    let mut sql = vec!["DELETE FROM roll_agent_int", "DELETE FROM roll_agent_cat"];
    sql.extend(fill);
    raw_exec(db, &sql).await;
    for (label, scope) in web_scopes() {
        let label = format!("after 0004's fill, {label}");
        check_dashboard(db, &world, &label, &scope, &Filter::default()).await;
    }
    assert_eq!(futures_dashboards(db).await, before);
    // A store whose read models were derived by another version (or not at all: a store
    // written before schema version 2) is rebuilt when it is opened.
    raw_exec(
        db,
        &[
            "DELETE FROM web_meta",
            "DELETE FROM roll_int",
            "DELETE FROM web_facts",
        ],
    )
    .await;
    db.reopen().await;
    assert_eq!(futures_dashboards(db).await, before);
    check_everything(db, &world, &filters).await;
}

/// Run statements on the store's database directly (outside the store).
async fn raw_exec(db: &TestDb, sql: &[&str]) {
    match &db.store {
        Store::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            for s in sql {
                sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
        Store::Postgres(_) => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            for s in sql {
                sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
    }
}

/// The dashboards of every scope, unfiltered.
async fn futures_dashboards(db: &TestDb) -> Vec<Summary> {
    let mut out = Vec::new();
    for (_, scope) in web_scopes() {
        out.push(Summary::of(
            &db.store
                .dashboard(&scope, &Filter::default())
                .await
                .unwrap(),
        ));
    }
    out
}

async fn web_detail_and_history(db: &mut TestDb) {
    let world = web_world(db).await;
    let admin = Scope::all();
    // W001: agent A2, case K2 (contact P-K2 not stored), connected call with a recording?
    // n = 1: 1 % 8 == 1 → no recording; 1 % 7 == 1 → a threat finding on segment 2.
    let d = db
        .store
        .interaction_detail(&admin, "W001")
        .await
        .unwrap()
        .expect("W001");
    assert_eq!(d.interaction.id, "W001");
    assert_eq!(d.interaction, *interaction(&web_interaction(1).0));
    assert_eq!(d.recording_url, None);
    let ins = d.inspection.as_ref().unwrap();
    assert_eq!(
        (ins.pack.as_str(), ins.passed, ins.score),
        ("cn-default@2026.11.1", false, 84.0)
    );
    assert_eq!(ins.findings.len(), 1);
    let f = &ins.findings[0];
    assert_eq!(
        (f.rule.as_str(), f.category.as_str(), f.level),
        ("threat.jail", "threat", 4)
    );
    assert_eq!((f.segment, f.start, f.end), (Some(2), Some(10), Some(17)));
    assert_eq!(
        (f.t_start, f.t_end),
        (Some(5.0), Some(9.5)),
        "the segment's time span"
    );
    assert_eq!(f.title.as_deref(), Some("威胁恐吓"));
    assert_eq!(f.kind, zhijian_store::CategoryClass::Compliance);
    assert_eq!(d.agent.as_ref().map(|a| a.name.as_str()), Some("张二"));
    assert_eq!(d.case.as_ref().and_then(|c| c.stage.as_deref()), Some("M2"));
    assert_eq!(d.contact, None);
    assert_eq!(
        d.complaints
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["T4"]
    );
    // W010: A1, K1 (contact P-K1 stored), a recording, complaint T1.
    let d = db
        .store
        .interaction_detail(&admin, "W010")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.recording_url.as_deref(),
        Some("/api/interactions/W010/recording")
    );
    assert_eq!(d.contact.as_ref().map(|c| c.id.as_str()), Some("P-K1"));
    assert_eq!(
        d.complaints
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["T1"]
    );
    // History: the same person within ± 1 day, oldest first, this one included.
    let me = world.ixs().into_iter().find(|i| i.id == "W010").unwrap();
    let mut want: Vec<(i64, String)> = world
        .ixs()
        .into_iter()
        .filter(|i| {
            i.person_key == me.person_key && (i.started_at - me.started_at).abs() <= 86_400_000
        })
        .map(|i| (i.started_at, i.id))
        .collect();
    want.sort();
    let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
    assert!(want.len() > 1, "{want:?}");
    assert_eq!(
        d.history.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        want
    );
    // Unknown id: none.
    assert!(
        db.store
            .interaction_detail(&admin, "nope")
            .await
            .unwrap()
            .is_none()
    );
    // Scope: in scope → some, out of scope → none, for every role.
    for (who, scope) in web_scopes() {
        for ix in world.ixs() {
            let got = db.store.interaction_detail(&scope, &ix.id).await.unwrap();
            let visible = world.matches(&ix, &scope, &Filter::default());
            assert_eq!(got.is_some(), visible, "{who}: {}", ix.id);
            if let Some(d) = got {
                for h in &d.history {
                    let hx = world.ixs().into_iter().find(|i| i.id == h.id).unwrap();
                    assert!(
                        world.matches(&hx, &scope, &Filter::default()),
                        "{who}: history {}",
                        h.id
                    );
                }
            }
        }
    }
    let json = serde_json::to_value(
        db.store
            .interaction_detail(&admin, "W001")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    for k in [
        "interaction",
        "inspection",
        "agent",
        "case",
        "history",
        "complaints",
    ] {
        assert!(json.get(k).is_some(), "{k}");
    }
    assert_eq!(json["inspection"]["findings"][0]["start"], 10);
}

/// The drill-down filters of the dashboard's heat map and breakdowns (`weekday`, `hour`,
/// `tenure`, `region`, `stage`): each alone and combined, in every scope, on the list (paged 7
/// at a time and all at once: every matching interaction exactly once), the dashboard and
/// rule hits, against the oracle; and every heat-map cell and tenure, region and stage row
/// drills down to a list of exactly as many interactions as it counts.
async fn web_drill_down_filters(db: &mut TestDb) {
    use zhijian_store::web::Tenure;
    let mut world = web_world(db).await;
    // A1's 3 months end on 2026-03-03, within the fixture's days (1–6 March): the tenure band
    // changes within a range.
    web_write(
        db,
        &mut world,
        vec![(
            rec(
                r#"{"kind":"agent","id":"A1","name":"张一","branch":"华东","team":"一组","region":"上海","hired_on":"2025-12-03"}"#,
            ),
            None,
        )],
    )
    .await;
    let f = Filter::default;
    let days = |from: &str, to: &str| Filter {
        from: Some(day(from)),
        to: Some(day(to)),
        ..f()
    };
    let filters: Vec<(&str, Filter)> = vec![
        (
            "weekday Monday",
            Filter {
                weekday: Some(0),
                ..f()
            },
        ),
        (
            "weekday Sunday",
            Filter {
                weekday: Some(6),
                ..f()
            },
        ),
        (
            "weekday Saturday (a New York contact's day)",
            Filter {
                weekday: Some(5),
                ..f()
            },
        ),
        (
            "hour 9",
            Filter {
                hour: Some(9),
                ..f()
            },
        ),
        (
            "hour 20",
            Filter {
                hour: Some(20),
                ..f()
            },
        ),
        (
            "heat-map cell: Tuesday 10:00 with findings",
            Filter {
                weekday: Some(1),
                hour: Some(10),
                status: Some(Status::WithFindings),
                ..f()
            },
        ),
        (
            "tenure lt3",
            Filter {
                tenure: Some(Tenure::Lt3),
                ..f()
            },
        ),
        (
            "tenure 3to12",
            Filter {
                tenure: Some(Tenure::From3To12),
                ..f()
            },
        ),
        (
            "tenure gt12",
            Filter {
                tenure: Some(Tenure::Gt12),
                ..f()
            },
        ),
        (
            "tenure unknown",
            Filter {
                tenure: Some(Tenure::Unknown),
                ..f()
            },
        ),
        (
            "tenure lt3, 2–4 March (A1 changes band on the 3rd)",
            Filter {
                tenure: Some(Tenure::Lt3),
                ..days("2026-03-02", "2026-03-04")
            },
        ),
        (
            "tenure 3to12 from 4 March",
            Filter {
                tenure: Some(Tenure::From3To12),
                from: Some(day("2026-03-04")),
                ..f()
            },
        ),
        (
            "region 上海",
            Filter {
                region: Some("上海".into()),
                ..f()
            },
        ),
        (
            "region unknown",
            Filter {
                region: Some("unknown".into()),
                ..f()
            },
        ),
        (
            "region 杭州, 2–4 March",
            Filter {
                region: Some("杭州".into()),
                ..days("2026-03-02", "2026-03-04")
            },
        ),
        (
            "stage M1",
            Filter {
                stage: Some("M1".into()),
                ..f()
            },
        ),
        (
            "stage M5 (the interaction's own)",
            Filter {
                stage: Some("M5".into()),
                ..f()
            },
        ),
        (
            "stage unknown",
            Filter {
                stage: Some("unknown".into()),
                ..f()
            },
        ),
        (
            "stage M9 (none)",
            Filter {
                stage: Some("M9".into()),
                ..f()
            },
        ),
        (
            "region 上海 + tenure 3to12 + weekday + call",
            Filter {
                region: Some("上海".into()),
                tenure: Some(Tenure::From3To12),
                weekday: Some(3),
                kind: Some("call".into()),
                ..f()
            },
        ),
        (
            "stage M3 + category",
            Filter {
                stage: Some("M3".into()),

                category: Some("threat".into()),
                ..f()
            },
        ),
        (
            "branch + region unknown",
            Filter {
                branch: Some("华南".into()),
                region: Some("unknown".into()),
                ..f()
            },
        ),
    ];
    // Each filter filters: something but not everything (where something is meant).
    let admin = Scope::all();
    let all = world.list(&admin, &f()).len();
    for (what, flt) in &filters {
        let n = world.list(&admin, flt).len();
        if what.ends_with("(none)") {
            assert_eq!(n, 0, "{what}");
        } else {
            assert!(n > 0 && n < all, "{what}: {n} of {all}");
        }
    }
    check_everything(db, &world, &filters).await;

    // Every element of the dashboard drills down to as many interactions as it counts.
    for (who, scope) in web_scopes() {
        for base in [f(), days("2026-03-02", "2026-03-04")] {
            let d = db.store.dashboard(&scope, &base).await.unwrap();
            for cell in d.heatmap.iter().filter(|c| c.interactions > 0) {
                let drill = Filter {
                    weekday: Some(cell.weekday),
                    hour: Some(cell.hour),
                    ..base.clone()
                };
                let ids = list_all(db, &scope, &drill, 7).await;
                assert_eq!(ids.len() as u64, cell.interactions, "{who}: {cell:?}");
            }
            let b = &d.breakdowns;
            for (dim, rows) in [
                ("tenure", &b.tenure),
                ("region", &b.region),
                ("stage", &b.stage),
            ] {
                for r in rows {
                    let mut drill = base.clone();
                    match dim {
                        "tenure" => drill.tenure = Tenure::parse(&r.key),
                        "region" => drill.region = Some(r.key.clone()),
                        _ => drill.stage = Some(r.key.clone()),
                    }
                    let ids = list_all(db, &scope, &drill, 1_000).await;
                    assert_eq!(ids.len() as u64, r.interactions, "{who}: {dim} {}", r.key);
                    // The drilled dashboard is that row.
                    let sub = db.store.dashboard(&scope, &drill).await.unwrap();
                    assert_eq!(
                        sub.kpis.interactions, r.interactions,
                        "{who}: {dim} {}",
                        r.key
                    );
                    assert_eq!(sub.kpis.findings, r.findings, "{who}: {dim} {}", r.key);
                    assert_eq!(sub.kpis.complaints, r.complaints, "{who}: {dim} {}", r.key);
                }
            }
        }
    }
}
