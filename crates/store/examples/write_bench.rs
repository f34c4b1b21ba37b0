//! Write throughput of the store: realistic 3-minute calls (≈ 28 segments, ≈ 800 Chinese
//! characters, 1–3 findings each), built in code, written in batches to a temporary SQLite file
//! and, when `ZHIJIAN_TEST_DATABASE_URL` is set, to PostgreSQL (in a scratch schema).
//!
//! `cargo run --release -p zhijian-store --example write_bench -- [N] [BATCH] [KEEP]`
//! (defaults: 50000 interactions, batches of 2000; KEEP: copy the SQLite file there, e.g. to
//! try dashboard queries on a large store).

use std::time::Instant;

use zhijian_domain::{
    Category, Channel, Contact, Direction, Finding, InspectionResult, Interaction, Level, Outcome,
    Party, Record, Segment, Speaker, Timestamp,
};
use zhijian_store::{Batch, Inspection, Store, Upsert, WriteOutcome, content_hash};

const AGENT_LINES: &[&str] = &[
    "您好，这里是华信资产管理有限公司，受某银行信用卡中心委托，请问是王先生本人吗？",
    "为了保障您的权益，本次通话将全程录音，请您知悉。",
    "跟您核实一下，您名下尾号八八六六的信用卡目前已经逾期四十五天了。",
    "截至今天，您的账户欠款总额是一万二千三百四十五元六角，其中本金一万元。",
    "请问您这边什么时候方便处理一下这笔欠款呢？",
    "如果您一次性还清有困难，我们可以帮您申请分期还款，具体方案以银行审批为准。",
    "您可以通过银行官方APP或者柜台进行还款，请不要转账到任何个人账户。",
    "那我们约定一下，您在本月二十五号之前先还五千元，可以吗？",
    "好的，我这边给您做个记录，到时候请您按时还款，避免影响您的个人征信。",
    "如果您对欠款金额有疑问，可以拨打银行客服热线进行核实。",
    "逾期时间越长，产生的违约金和利息也会越多，建议您尽快处理。",
    "请问您现在的工作和收入情况怎么样，方便说一下吗？",
    "我们理解您的困难，但是还款是您应尽的义务，希望您能重视。",
    "感谢您的配合，祝您生活愉快，再见。",
    "我再跟您确认一下还款计划：本月二十五号前还款五千元，下月二十五号前还清剩余的七千三百四十五元六角，还款渠道是银行官方APP。",
    "根据委托方的规定，我们无权减免您的利息和违约金，如果您有特殊困难，可以提交书面材料由银行审核。",
    "您之前答应上周五还款，但是系统显示还没有到账，请问是什么原因呢？",
    "如果您确实有困难，可以先还一部分最低还款额，剩下的部分我们帮您向银行申请延期，但需要您配合提供相关证明材料。",
];

const CUSTOMER_LINES: &[&str] = &[
    "是我，你们怎么又打电话来了？",
    "我知道欠款的事，最近手头确实比较紧张。",
    "我上个月刚换了工作，工资还没发下来。",
    "能不能少还一点，利息太高了我实在还不起。",
    "那我月底之前想办法先还一部分吧。",
    "分期的话每个月要还多少钱？",
    "好的，我记下来了，到时候我会通过APP还款的。",
    "你们不要再给我家里人打电话了，我自己会处理的。",
    "嗯，知道了。",
    "我再跟家里商量一下，过两天给你们回复。",
    "我不是不想还，是真的没有钱，家里老人生病住院了，每个月的开销都很大，能不能再宽限我一段时间？",
    "上周五我确实转了一笔钱，可能是银行那边还没处理完，我明天去柜台问一下。",
    "你们每天打好几个电话，我上班的时候根本没法接，能不能换个时间，晚上下班以后再联系我？",
];

const CATEGORIES: &[(&str, u8)] = &[
    ("missing_recording_notice", 1),
    ("missing_repayment_plan", 2),
    ("wrong_amount", 3),
    ("pii_leak", 3),
    ("threat", 4),
    ("third_party_disclosure", 4),
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn build_call(n: usize, rng: &mut Rng) -> (Interaction, Inspection) {
    let base = Timestamp::from_second(1_767_225_600).expect("2026-01-01"); // 2026-01-01T00:00Z
    let started_at = base
        .checked_add(jiff::SignedDuration::from_secs((n as i64) * 37))
        .expect("in range");
    let mut segments = Vec::with_capacity(28);
    let mut t = 0.0f64;
    let count = 26 + rng.below(5);
    for k in 0..count {
        let (speaker, pool) = if k % 2 == 0 {
            (Speaker::Agent, AGENT_LINES)
        } else {
            (Speaker::Customer, CUSTOMER_LINES)
        };
        let text = pool[rng.below(pool.len())].to_string();
        let dur = 2.0 + (text.chars().count() as f64) / 5.0;
        segments.push(Segment {
            speaker,
            start: (t * 100.0).round() / 100.0,
            end: ((t + dur) * 100.0).round() / 100.0,
            text,
        });
        t += dur + 0.35;
    }
    let ended_at = started_at
        .checked_add(jiff::SignedDuration::from_millis((t * 1000.0) as i64))
        .expect("in range");
    let id = format!("CALL-{n:08}");
    let case = n % 20_000;
    let interaction = Interaction {
        id: id.clone(),
        kind: Channel::Call,
        case_id: format!("K{case:06}"),
        agent_id: format!("A{:04}", n % 400),
        client: format!("C{}", n % 7),
        started_at,
        ended_at: Some(ended_at),
        direction: Some(Direction::Outbound),
        outcome: Some(Outcome::Connected),
        party: Some(Party::Debtor),
        contact: Some(Contact {
            id: Some(format!("P{case:06}-0")),
            relation: Some("debtor".into()),
            number: Some(format!("138{:08}", case)),
            timezone: None,
        }),
        segments,
        text: None,
        recording: Some(format!("s3://recordings/2026/01/{id}.wav")),
        timezone: None,
        case: None,
        visit: None,
        submitted_at: None,
        template_id: None,
    };
    let mut findings = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let (cat, level) = CATEGORIES[rng.below(CATEGORIES.len())];
        let seg = rng.below(interaction.segments.len());
        let s = &interaction.segments[seg];
        findings.push(Finding {
            rule: format!("{cat}.rule"),
            category: Category(cat.into()),
            level: Level::new(level).expect("level"),
            segment: Some(seg),
            start: Some(s.start),
            end: Some(s.end),
            excerpt: s.text.chars().take(20).collect(),
            message: format!("{cat}: evidence in segment {seg}"),
            span: Some([0, 20]),
            deduction: u32::from(level) * 5,
        });
    }
    let passed = findings.iter().all(|f| f.level.get() < 4);
    let score = 100.0 - findings.iter().map(|f| f64::from(f.deduction)).sum::<f64>();
    let inspection = Inspection {
        pack: "cn-default@2026.11.1".into(),
        inspected_at: Timestamp::now(),
        result: InspectionResult {
            id,
            score,
            passed,
            findings,
            party: Some(Party::Debtor),
            pack: Some("cn-default@2026.11.1".into()),
        },
    };
    (interaction, inspection)
}

/// Call `n` of the corpus: deterministic on its own, so any batch can be rebuilt.
fn call(n: usize) -> (Interaction, Inspection) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (n as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9));
    rng.next();
    build_call(n, &mut rng)
}

/// Batch `b` as the ingest service hands it over (records hashed), and the time the caller
/// spent building and hashing it.
fn batch_of(range: std::ops::Range<usize>) -> (Batch, f64) {
    let calls: Vec<(Interaction, Inspection)> = range.map(call).collect();
    let t = Instant::now();
    let records = calls
        .into_iter()
        .map(|(i, ins)| {
            let record = Record::Interaction(Box::new(i));
            Upsert {
                hash: content_hash(&record),
                record,
                body: None,
                inspection: Some(ins),
            }
        })
        .collect();
    let hash_s = t.elapsed().as_secs_f64();
    (
        Batch {
            records,
            rejects: Vec::new(),
        },
        hash_s,
    )
}

fn add(a: &mut WriteOutcome, b: WriteOutcome) {
    a.inserted += b.inserted;
    a.updated += b.updated;
    a.unchanged += b.unchanged;
    a.rejects += b.rejects;
}

async fn run(label: &str, store: &Store, n: usize, batch: usize) {
    let ranges: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(batch)
        .map(|s| s..(s + batch).min(n))
        .collect();
    // Throughput per tenth of the run, to see how it changes as the store grows.
    let tenth = ranges.len().div_ceil(10).max(1);
    let mut hash_s = 0.0;
    let mut write_s = 0.0;
    let mut total = WriteOutcome::default();
    let mut curve = Vec::new();
    let (mut seg_n, mut seg_s) = (0usize, 0.0f64);
    for (k, r) in ranges.iter().enumerate() {
        let (b, h) = batch_of(r.clone());
        hash_s += h;
        let t = Instant::now();
        add(&mut total, store.write(&b).await.expect("write"));
        let dt = t.elapsed().as_secs_f64();
        write_s += dt;
        seg_n += r.len();
        seg_s += dt;
        if (k + 1) % tenth == 0 || k + 1 == ranges.len() {
            curve.push(format!("{:.0}", seg_n as f64 / seg_s));
            (seg_n, seg_s) = (0, 0.0);
        }
    }
    assert_eq!(total.inserted as usize, n);

    // The same input again: everything unchanged (what a re-ingest costs).
    let mut again_s = 0.0;
    let mut again = WriteOutcome::default();
    for r in &ranges {
        let (b, _) = batch_of(r.clone());
        let t = Instant::now();
        add(&mut again, store.write(&b).await.expect("write"));
        again_s += t.elapsed().as_secs_f64();
    }
    assert_eq!(again.unchanged as usize, n);

    // `existing` lookups as the ingest service does them before inspecting.
    let t3 = Instant::now();
    for r in &ranges {
        let ids: Vec<String> = r.clone().map(|k| format!("CALL-{k:08}")).collect();
        let got = store
            .existing(zhijian_store::RecordKind::Interaction, &ids)
            .await
            .expect("existing");
        assert_eq!(got.len(), ids.len());
    }
    let existing_s = t3.elapsed().as_secs_f64();

    let stats = store.stats().await.expect("stats");
    let n = n as f64;
    println!(
        "{label}: {} interactions, {} findings, batches of {batch}",
        stats.interactions.total, stats.findings
    );
    println!(
        "  content_hash (caller)     {:>9.0} records/s  ({:.2} s)",
        n / hash_s,
        hash_s
    );
    println!(
        "  write, new + inspection   {:>9.0} records/s  ({:.2} s)",
        n / write_s,
        write_s
    );
    println!("    by tenths of the run    {}", curve.join(" "));
    println!(
        "  write, all unchanged      {:>9.0} records/s  ({:.2} s)",
        n / again_s,
        again_s
    );
    println!(
        "  existing() lookups        {:>9.0} ids/s      ({:.2} s)",
        n / existing_s,
        existing_s
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let keep = args.next();

    let sample: Vec<(Interaction, Inspection)> = (0..1000).map(call).collect();
    let m = sample.len() as f64;
    let body_bytes: usize = sample
        .iter()
        .map(|(i, _)| serde_json::to_string(i).map(|s| s.len()).unwrap_or(0))
        .sum();
    let chars: usize = sample
        .iter()
        .map(|(i, _)| {
            i.segments
                .iter()
                .map(|s| s.text.chars().count())
                .sum::<usize>()
        })
        .sum();
    let segs: usize = sample.iter().map(|(i, _)| i.segments.len()).sum();
    let findings: usize = sample.iter().map(|(_, r)| r.result.findings.len()).sum();
    println!(
        "calls: {:.1} segments, {:.0} characters, {:.0} B of JSON, {:.2} findings per call",
        segs as f64 / m,
        chars as f64 / m,
        body_bytes as f64 / m,
        findings as f64 / m
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let store = Store::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("open sqlite");
    run("sqlite (temp file)", &store, n, batch).await;
    store.close().await;
    if let Some(keep) = &keep {
        std::fs::copy(&path, keep).expect("copy the SQLite file");
        println!("  kept as {keep}");
    }
    let size: u64 = std::fs::read_dir(dir.path())
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!("  file size                 {:.0} MB", size as f64 / 1e6);

    match std::env::var("ZHIJIAN_TEST_DATABASE_URL") {
        Ok(base) if !base.trim().is_empty() => {
            let schema = format!("zj_bench_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&base).await.expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&admin)
                .await
                .expect("create schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            let store = Store::open(&format!("{base}{sep}options[search_path]={schema}"))
                .await
                .expect("open postgres");
            run("postgres", &store, n, batch).await;
            store.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&admin)
                .await
                .expect("drop schema");
        }
        _ => println!("postgres: skipped (ZHIJIAN_TEST_DATABASE_URL not set)"),
    }
}
