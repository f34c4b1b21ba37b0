//! The web read models on a large store: seeds a store with realistic interactions through the
//! normal `write` path (60 agents in 3 branches and 12 teams, 5 clients, 40 000 cases, 30 days
//! of calls, SMS, notes and visits, 0–4 findings each, complaints), then times the dashboard,
//! the interaction list (first and later pages, many filter and scope combinations), the
//! detail and rule hits: p50 / p95 / max over `--runs` runs each.
//!
//! ```text
//! cargo run --release -p zhijian-store --example web_bench -- --interactions 1000000
//!     [--db PATH] [--runs 50] [--batch 2000] [--seed-only] [--rebuild]
//! ```
//!
//! `--db PATH` keeps the store there and reuses it when it already holds the interactions
//! (a `postgres://` URL works too); without it a temporary SQLite file is used. `--seed-only`
//! stops after seeding; `--rebuild` times `rebuild_read_models` before the queries.

use std::future::Future;
use std::time::{Duration, Instant};

use zhijian_domain::{
    Agent, Case, CaseContext, Category, Channel, Client, Complaint, Contact, ContactRecord, Date,
    Direction, Finding, InspectionResult, Interaction, Level, Outcome, Party, Record, Segment,
    Speaker, VisitInfo,
};
use zhijian_store::{Batch, Filter, Inspection, Role, Scope, Status, Store, Upsert, User};

const BRANCHES: [(&str, &str); 3] = [
    ("武汉分公司", "湖北"),
    ("长沙分公司", "湖南"),
    ("郑州分公司", "河南"),
];
const TEAMS: [&str; 4] = ["一组", "二组", "三组", "四组"];
const AGENTS_PER_TEAM: usize = 5;
const CLIENTS: [&str; 5] = [
    "安和银行信用卡中心",
    "广信消费金融",
    "嘉禾小额贷款",
    "瑞丰银行",
    "易达网络借贷",
];
const CASES: usize = 40_000;
const DAYS: i64 = 30;
const STAGES: [&str; 5] = ["M1", "M2", "M3", "M3+", "委外"];
const SURNAMES: [&str; 12] = [
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰"];

const AGENT_LINES: &[&str] = &[
    "您好，这里是华信资产管理有限公司，受委托方委托，请问是王先生本人吗？",
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
    "感谢您的配合，祝您生活愉快，再见。",
];
const CUSTOMER_LINES: &[&str] = &[
    "是我，你们怎么又打电话来了？",
    "我知道欠款的事，最近手头确实比较紧张。",
    "我上个月刚换了工作，工资还没发下来。",
    "能不能少还一点，利息太高了我实在还不起。",
    "那我月底之前想办法先还一部分吧。",
    "好的，我记下来了，到时候我会通过APP还款的。",
    "你们不要再给我家里人打电话了，我自己会处理的。",
    "嗯，知道了。",
];

/// (category, level, rules, weight per kind: call connected, call not connected, sms, note, visit)
const CATS: &[(&str, u8, &[&str], [u32; 5])] = &[
    (
        "missing_recording_notice",
        1,
        &["flow.recording_notice"],
        [350, 0, 0, 0, 0],
    ),
    (
        "missing_repayment_plan",
        2,
        &["flow.plan"],
        [300, 0, 0, 0, 0],
    ),
    (
        "missing_identity_verification",
        2,
        &["flow.verify", "flow.verify_before_debt"],
        [200, 0, 0, 0, 0],
    ),
    (
        "missing_self_introduction",
        1,
        &["flow.intro"],
        [150, 0, 0, 0, 0],
    ),
    (
        "missing_debt_confirmation",
        2,
        &["flow.confirm"],
        [150, 0, 0, 0, 0],
    ),
    ("long_silence", 1, &["timing.silence"], [100, 0, 0, 0, 0]),
    ("over_talk", 1, &["timing.over_talk"], [100, 0, 0, 0, 0]),
    (
        "agent_agitation",
        2,
        &["conduct.agitation", "conduct.shouting"],
        [50, 0, 0, 0, 0],
    ),
    (
        "wrong_amount",
        3,
        &["business.amount", "business.amount_after"],
        [50, 0, 0, 0, 0],
    ),
    (
        "wrong_business_explanation",
        3,
        &["business.explain"],
        [20, 0, 0, 0, 0],
    ),
    ("pii_leak", 3, &["disclosure.pii"], [30, 0, 20, 0, 0]),
    (
        "threat",
        4,
        &["conduct.threat", "conduct.exposure"],
        [10, 0, 5, 0, 0],
    ),
    (
        "abuse",
        4,
        &["conduct.insult", "conduct.demean"],
        [8, 0, 0, 0, 0],
    ),
    (
        "third_party_disclosure",
        4,
        &["disclosure.third_party"],
        [12, 0, 5, 0, 0],
    ),
    (
        "false_legal_claim",
        4,
        &["business.jail", "business.lawsuit_filed"],
        [5, 0, 3, 0, 0],
    ),
    (
        "impersonation",
        4,
        &["conduct.police", "conduct.court"],
        [3, 0, 1, 0, 0],
    ),
    (
        "unauthorized_promise",
        4,
        &["business.waiver"],
        [10, 0, 0, 0, 0],
    ),
    (
        "private_payment",
        4,
        &["business.private_account"],
        [2, 0, 1, 0, 0],
    ),
    ("incite_complaint", 3, &["conduct.incite"], [5, 0, 0, 0, 0]),
    (
        "excessive_frequency",
        3,
        &["events.frequency_connected", "events.frequency_attempts"],
        [40, 200, 50, 0, 0],
    ),
    ("do_not_call", 4, &["events.do_not_call"], [2, 10, 2, 0, 0]),
    (
        "continued_after_stop_request",
        4,
        &["events.stop_request"],
        [2, 5, 1, 0, 0],
    ),
    (
        "recording_missing",
        2,
        &["events.recording_missing"],
        [5, 50, 0, 0, 30],
    ),
    (
        "unapproved_sms_template",
        2,
        &["events.sms_template"],
        [0, 0, 300, 0, 0],
    ),
    (
        "note_mismatch",
        2,
        &["events.note_mismatch"],
        [0, 0, 0, 200, 0],
    ),
    (
        "late_submission",
        1,
        &["events.note_late", "events.visit_late"],
        [0, 0, 0, 300, 200],
    ),
    (
        "visit_rule",
        2,
        &[
            "events.visit_members",
            "events.visit_application",
            "events.visit_photos",
            "events.visit_hours",
        ],
        [0, 0, 0, 0, 400],
    ),
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xbf58_476d_1ce4_e5b9));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, per_mille: u32) -> bool {
        (self.next() % 1000) < u64::from(per_mille)
    }
}

fn start_day() -> Date {
    Date::new(2026, 10, 1).expect("date")
}

fn agent_id(k: usize) -> String {
    format!("A{k:03}")
}

fn agent_count() -> usize {
    BRANCHES.len() * TEAMS.len() * AGENTS_PER_TEAM
}

/// Agent k: branch, team (index 0..12), record.
fn agent(k: usize) -> Agent {
    let team = k / AGENTS_PER_TEAM;
    let (branch, region) = BRANCHES[team / TEAMS.len()];
    let mut rng = Rng::new(1_000 + k as u64);
    let months_before = match rng.below(10) {
        0 => None,
        1 | 2 => Some(1 + rng.below(2)),
        3..=5 => Some(4 + rng.below(8)),
        _ => Some(13 + rng.below(40)),
    };
    Agent {
        id: agent_id(k),
        name: format!(
            "{}{}{}",
            SURNAMES[k % SURNAMES.len()],
            GIVEN[(k / 3) % GIVEN.len()],
            GIVEN[k % GIVEN.len()]
        ),
        branch: branch.into(),
        team: TEAMS[team % TEAMS.len()].into(),
        region: Some(region.into()),
        hired_on: months_before.map(|m| {
            start_day()
                .checked_sub(
                    jiff::Span::new()
                        .months(m as i64)
                        .days(rng.below(28) as i64),
                )
                .expect("date")
        }),
        supervisor: Some(agent_id(team * AGENTS_PER_TEAM)),
    }
}

/// The clients a team works for.
fn team_clients(team: usize) -> [usize; 2] {
    [team % CLIENTS.len(), (team + 2) % CLIENTS.len()]
}

/// Case k: (client index, agent index, stage).
fn case_of(k: usize) -> (usize, usize, &'static str) {
    let mut rng = Rng::new(50_000 + k as u64);
    let team = k % (BRANCHES.len() * TEAMS.len());
    let client = team_clients(team)[rng.below(2)];
    let agent = team * AGENTS_PER_TEAM + rng.below(AGENTS_PER_TEAM);
    let stage = STAGES[[0, 0, 0, 1, 1, 2, 2, 3, 4, 4][rng.below(10)]];
    (client, agent, stage)
}

fn context() -> Vec<Record> {
    let mut out = Vec::new();
    for (k, name) in CLIENTS.iter().enumerate() {
        out.push(Record::Client(Client {
            id: format!("CL{k}"),
            name: (*name).into(),
        }));
    }
    for k in 0..agent_count() {
        out.push(Record::Agent(agent(k)));
    }
    for k in 0..CASES {
        let (client, agent, stage) = case_of(k);
        let mut rng = Rng::new(90_000 + k as u64);
        out.push(Record::Case(Box::new(Case {
            id: format!("K{k:06}"),
            client: format!("CL{client}"),
            product: Some(["信用卡", "消费贷", "网贷"][rng.below(3)].into()),
            principal: Some(1_000.0 + rng.below(50_000) as f64),
            balance: Some(1_200.0 + rng.below(60_000) as f64),
            days_past_due: Some(30 + rng.below(300) as u32),
            stage: Some(stage.into()),
            debtor: Some(format!("{}某", SURNAMES[k % SURNAMES.len()])),
            agent_id: Some(agent_id(agent)),
            opened_on: Some(
                start_day()
                    .checked_sub(jiff::Span::new().days(rng.below(400) as i64))
                    .expect("date"),
            ),
        })));
        for p in 0..2 {
            out.push(Record::Contact(ContactRecord {
                id: format!("P{k:06}-{p}"),
                case_id: format!("K{k:06}"),
                relation: Some(if p == 0 { "debtor" } else { "spouse" }.into()),
                number: Some(format!("13{:09}", k * 2 + p)),
                name: None,
                timezone: None,
            }));
        }
    }
    out
}

fn complaints() -> Vec<Record> {
    let mut out = Vec::new();
    let start = start_day()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
        .expect("zoned")
        .timestamp();
    for k in 0..600 {
        let mut rng = Rng::new(7_000_000 + k);
        let case = rng.below(CASES);
        let (_, agent, _) = case_of(case);
        out.push(Record::Complaint(Box::new(Complaint {
            id: format!("T{k:05}"),
            case_id: format!("K{case:06}"),
            source: ["client", "regulator", "hotline"][rng.below(3)].into(),
            received_at: start
                .checked_add(jiff::SignedDuration::from_secs(
                    rng.below((DAYS * 86_400) as usize) as i64,
                ))
                .expect("ts"),
            closed_at: None,
            agent_id: Some(agent_id(agent)),
            interaction_id: None,
            category: Some(["threat", "abuse", "excessive_frequency"][rng.below(3)].into()),
            summary: Some("客户投诉催收方式".into()),
        })));
    }
    out
}

/// Interaction n of `total` (chronological), with its inspection.
fn interaction(n: usize, total: usize) -> (Interaction, Inspection) {
    let mut rng = Rng::new(n as u64);
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    // Day and time: spread evenly over the days, business hours mostly.
    let day = (n as i64 * DAYS) / total as i64;
    let hour = if rng.chance(15) {
        [6, 7, 21, 22][rng.below(4)]
    } else {
        8 + rng.below(13) as i8
    };
    let local = start_day()
        .checked_add(jiff::Span::new().days(day))
        .expect("date")
        .at(hour, rng.below(60) as i8, rng.below(60) as i8, 0);
    let started_at = local.to_zoned(tz).expect("zoned").timestamp();
    let case = rng.below(CASES);
    let (client, mut agent, stage) = case_of(case);
    if rng.chance(100) {
        let team = agent / AGENTS_PER_TEAM;
        agent = team * AGENTS_PER_TEAM + rng.below(AGENTS_PER_TEAM);
    }
    let kind = match rng.below(100) {
        0..=84 => Channel::Call,
        85..=93 => Channel::Sms,
        94..=98 => Channel::Note,
        _ => Channel::Visit,
    };
    let third = rng.chance(200);
    let id = format!("G{n:08}");
    let mut i = Interaction {
        id: id.clone(),
        kind,
        case_id: format!("K{case:06}"),
        agent_id: agent_id(agent),
        client: format!("CL{client}"),
        started_at,
        ended_at: None,
        direction: Some(Direction::Outbound),
        outcome: None,
        party: Some(if third { Party::Spouse } else { Party::Debtor }),
        contact: Some(Contact {
            id: Some(format!("P{case:06}-{}", usize::from(third))),
            relation: Some(if third { "spouse" } else { "debtor" }.into()),
            number: Some(format!("13{:09}", case * 2 + usize::from(third))),
            timezone: None,
        }),
        segments: Vec::new(),
        text: None,
        recording: None,
        timezone: None,
        case: rng.chance(500).then(|| CaseContext {
            balance: Some(12_345.6),
            days_past_due: Some(45),
            stage: Some(stage.into()),
            product: None,
        }),
        visit: None,
        submitted_at: None,
        template_id: None,
    };
    let column = match kind {
        Channel::Call => {
            let connected = rng.chance(600);
            i.outcome = Some(if connected {
                Outcome::Connected
            } else {
                [
                    Outcome::NoAnswer,
                    Outcome::NoAnswer,
                    Outcome::NoAnswer,
                    Outcome::NoAnswer,
                    Outcome::Busy,
                    Outcome::Rejected,
                    Outcome::Failed,
                ][rng.below(7)]
            });
            if connected {
                let mut t = 0.0f64;
                for k in 0..20 + rng.below(10) {
                    let (speaker, pool) = if k % 2 == 0 {
                        (Speaker::Agent, AGENT_LINES)
                    } else {
                        (Speaker::Customer, CUSTOMER_LINES)
                    };
                    let text = pool[rng.below(pool.len())].to_string();
                    let dur = 2.0 + (text.chars().count() as f64) / 5.0;
                    i.segments.push(Segment {
                        speaker,
                        start: (t * 100.0).round() / 100.0,
                        end: ((t + dur) * 100.0).round() / 100.0,
                        text,
                    });
                    t += dur + 0.35;
                }
                if rng.chance(980) {
                    i.recording = Some(format!("recordings/2026/10/{id}.wav"));
                }
                i.ended_at = started_at
                    .checked_add(jiff::SignedDuration::from_millis((t * 1000.0) as i64))
                    .ok();
                0
            } else {
                i.ended_at = started_at
                    .checked_add(jiff::SignedDuration::from_secs(30))
                    .ok();
                1
            }
        }
        Channel::Sms => {
            i.text = Some("【华信资产】您的欠款已逾期，请尽快通过官方渠道还款，详询客服。".into());
            i.template_id = Some(format!("T-{}", rng.below(20)));
            2
        }
        Channel::Note => {
            i.text = Some("客户承诺月底前还款五千元，已告知官方还款渠道。".into());
            i.submitted_at = started_at
                .checked_add(jiff::SignedDuration::from_secs(3_600))
                .ok();
            3
        }
        Channel::Visit => {
            i.visit = Some(VisitInfo {
                members: vec![agent_id(agent), agent_id((agent + 1) % agent_count())],
                photos: vec![format!("photos/{id}-1.jpg")],
                application_approved_at: None,
                entered_at: None,
            });
            i.recording = Some(format!("recordings/2026/10/{id}.m4a"));
            4
        }
    };
    // 0–4 findings (≈ 2 on average), categories weighted by channel.
    let count = [0, 1, 1, 2, 2, 2, 3, 3, 4, 2][rng.below(10)];
    let total_w: u32 = CATS.iter().map(|c| c.3[column]).sum();
    let mut findings = Vec::new();
    for _ in 0..count {
        let mut x = (rng.next() % u64::from(total_w)) as u32;
        let Some(&(cat, level, rules, _)) = CATS.iter().find(|c| {
            if x < c.3[column] {
                true
            } else {
                x -= c.3[column];
                false
            }
        }) else {
            continue;
        };
        let seg = (!i.segments.is_empty()).then(|| rng.below(i.segments.len()));
        findings.push(Finding {
            rule: rules[rng.below(rules.len())].into(),
            category: Category(cat.into()),
            level: Level::new(level).expect("level"),
            segment: seg,
            start: seg.map(|s| i.segments[s].start),
            end: seg.map(|s| i.segments[s].end),
            excerpt: seg.map_or_else(String::new, |s| {
                i.segments[s].text.chars().take(12).collect()
            }),
            message: cat.to_string(),
            span: seg.map(|_| [0, 12]),
            deduction: [0, 2, 5, 10, 20][usize::from(level)],
        });
    }
    let score = (100.0 - findings.iter().map(|f| f64::from(f.deduction)).sum::<f64>()).max(0.0);
    let passed = score >= 80.0 && findings.iter().all(|f| f.level.get() < 4);
    let ins = Inspection {
        pack: "cn-default@2026.11.1".into(),
        inspected_at: started_at,
        result: InspectionResult {
            id,
            score,
            passed,
            findings,
            party: i.party,
            pack: Some("cn-default@2026.11.1".into()),
        },
    };
    (i, ins)
}

async fn seed(store: &Store, n: usize, batch: usize) {
    let t = Instant::now();
    let mut records: Vec<Upsert> = context()
        .into_iter()
        .chain(complaints())
        .map(|r| Upsert::new(r, None))
        .collect();
    let ctx = records.len();
    for chunk in records.chunks_mut(5_000) {
        store
            .write(&Batch {
                records: chunk.to_vec(),
                rejects: Vec::new(),
            })
            .await
            .expect("write context");
    }
    records.clear();
    println!(
        "context: {ctx} records in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut write_s = 0.0;
    let mut done = 0;
    let t = Instant::now();
    while done < n {
        let end = (done + batch).min(n);
        let b = Batch {
            records: (done..end)
                .map(|k| {
                    let (i, ins) = interaction(k, n);
                    Upsert::new(Record::Interaction(Box::new(i)), Some(ins))
                })
                .collect(),
            rejects: Vec::new(),
        };
        let w = Instant::now();
        store.write(&b).await.expect("write");
        write_s += w.elapsed().as_secs_f64();
        done = end;
        if done % 100_000 == 0 || done == n {
            println!(
                "  {done:>8} interactions: write {:.0}/s (this store's write calls only), {:.0}/s overall",
                done as f64 / write_s,
                done as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
}

/// p50, p95, max in milliseconds.
fn summary(mut d: Vec<Duration>) -> (f64, f64, f64) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(d[((d.len() as f64 - 1.0) * q).round() as usize]);
    (at(0.5), at(0.95), ms(*d.last().expect("runs")))
}

async fn timed<F, Fut, T>(runs: usize, mut f: F) -> (Vec<Duration>, T)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = T>,
{
    let mut out = Vec::with_capacity(runs);
    let mut last = None;
    for k in 0..runs {
        let t = Instant::now();
        let v = f(k).await;
        out.push(t.elapsed());
        last = Some(v);
    }
    (out, last.expect("runs"))
}

fn row(label: &str, d: Vec<Duration>, note: &str) -> (f64, f64, f64) {
    let (p50, p95, max) = summary(d);
    println!("  {label:<58} {p50:>7.1} {p95:>7.1} {max:>7.1}  {note}");
    (p50, p95, max)
}

fn user(
    role: Role,
    branch: Option<usize>,
    team: Option<usize>,
    agent: Option<usize>,
    client: Option<usize>,
) -> User {
    User {
        username: format!("{role}"),
        display_name: format!("{role}"),
        role,
        branch: branch.map(|b| BRANCHES[b].0.to_string()),
        team: team.map(|t| TEAMS[t].to_string()),
        agent_id: agent.map(agent_id),
        client: client.map(|c| format!("CL{c}")),
    }
}

#[tokio::main]
async fn main() {
    let mut n = 1_000_000usize;
    let mut runs = 50usize;
    let mut batch = 2_000usize;
    let mut db: Option<String> = None;
    let mut seed_only = false;
    let mut rebuild = false;
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
            other => panic!("unknown argument {other}"),
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let url = db.unwrap_or_else(|| dir.path().join("web.db").display().to_string());
    let store = &Store::open(&url).await.expect("open");
    let have = store.stats().await.expect("stats").interactions.total as usize;
    if have == 0 {
        println!("seeding {n} interactions into {url} (batches of {batch})");
        seed(store, n, batch).await;
    } else {
        println!("reusing {url}: {have} interactions");
        n = have;
    }
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
