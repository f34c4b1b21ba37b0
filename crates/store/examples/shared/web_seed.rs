//! The data set of the web benchmarks, shared by `web_bench` (the store's read models) and
//! `zhijian-web`'s `http_bench` (the same through the HTTP server): 60 agents in 3 branches
//! and 12 teams, 5 clients, 40 000 cases, 30 days of calls, SMS, notes and visits with 0–4
//! findings each, 600 complaints, seeded through the store's `write`; and the timing helpers
//! both print with. Included by path (`#[path = …] mod web_seed;`), so it is not an example of
//! its own.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use zhijian_domain::{
    Agent, Case, CaseContext, Category, Channel, Client, Complaint, Contact, ContactRecord, Date,
    Direction, Finding, InspectionResult, Interaction, Level, Outcome, Party, Record, Segment,
    Speaker, VisitInfo,
};
use zhijian_store::{Batch, Inspection, Role, Store, Upsert, User};

pub const BRANCHES: [(&str, &str); 3] = [
    ("武汉分公司", "湖北"),
    ("长沙分公司", "湖南"),
    ("郑州分公司", "河南"),
];
pub const TEAMS: [&str; 4] = ["一组", "二组", "三组", "四组"];
pub const AGENTS_PER_TEAM: usize = 5;
pub const CLIENTS: [&str; 5] = [
    "安和银行信用卡中心",
    "广信消费金融",
    "嘉禾小额贷款",
    "瑞丰银行",
    "易达网络借贷",
];
pub const CASES: usize = 40_000;
pub const DAYS: i64 = 30;
pub const STAGES: [&str; 5] = ["M1", "M2", "M3", "M3+", "委外"];
pub const SURNAMES: [&str; 12] = [
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙",
];
pub const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰"];

pub const AGENT_LINES: &[&str] = &[
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
pub const CUSTOMER_LINES: &[&str] = &[
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
pub const CATS: &[(&str, u8, &[&str], [u32; 5])] = &[
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
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xbf58_476d_1ce4_e5b9));
        r.next();
        r
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, per_mille: u32) -> bool {
        (self.next() % 1000) < u64::from(per_mille)
    }
}

pub fn start_day() -> Date {
    Date::new(2026, 10, 1).expect("date")
}

pub fn agent_id(k: usize) -> String {
    format!("A{k:03}")
}

pub fn agent_count() -> usize {
    BRANCHES.len() * TEAMS.len() * AGENTS_PER_TEAM
}

/// Agent k: branch, team (index 0..12), record.
pub fn agent(k: usize) -> Agent {
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
pub fn team_clients(team: usize) -> [usize; 2] {
    [team % CLIENTS.len(), (team + 2) % CLIENTS.len()]
}

/// Case k: (client index, agent index, stage).
pub fn case_of(k: usize) -> (usize, usize, &'static str) {
    let mut rng = Rng::new(50_000 + k as u64);
    let team = k % (BRANCHES.len() * TEAMS.len());
    let client = team_clients(team)[rng.below(2)];
    let agent = team * AGENTS_PER_TEAM + rng.below(AGENTS_PER_TEAM);
    let stage = STAGES[[0, 0, 0, 1, 1, 2, 2, 3, 4, 4][rng.below(10)]];
    (client, agent, stage)
}

pub fn context() -> Vec<Record> {
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

pub fn complaints() -> Vec<Record> {
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
pub fn interaction(n: usize, total: usize) -> (Interaction, Inspection) {
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

pub async fn seed(store: &Store, n: usize, batch: usize) {
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
pub fn summary(mut d: Vec<Duration>) -> (f64, f64, f64) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(d[((d.len() as f64 - 1.0) * q).round() as usize]);
    (at(0.5), at(0.95), ms(*d.last().expect("runs")))
}

pub async fn timed<F, Fut, T>(runs: usize, mut f: F) -> (Vec<Duration>, T)
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

pub fn row(label: &str, d: Vec<Duration>, note: &str) -> (f64, f64, f64) {
    let (p50, p95, max) = summary(d);
    println!("  {label:<58} {p50:>7.1} {p95:>7.1} {max:>7.1}  {note}");
    (p50, p95, max)
}

pub fn user(
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

/// Open the store at `url` and seed `n` interactions unless it already holds some; returns the
/// store and the number of interactions it holds.
pub async fn open_or_seed(url: &str, n: usize, batch: usize) -> (Store, usize) {
    let store = Store::open(url).await.expect("open");
    let have = store.stats().await.expect("stats").interactions.total as usize;
    if have == 0 {
        println!("seeding {n} interactions into {url} (batches of {batch})");
        seed(&store, n, batch).await;
        (store, n)
    } else {
        println!("reusing {url}: {have} interactions");
        (store, have)
    }
}
