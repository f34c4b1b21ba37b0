//! The demo data set: a realistic month of a collection operation — several clients, three
//! branches, ~60 agents of varied tenure and region, ~20,000 interactions of every channel with
//! their cases, contacts and flags, and complaints linked to calls — written as interchange
//! JSON Lines and ingested into a store like any customer file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zhijian_domain::{Agent, Case, Client, Complaint, ContactRecord, Date, Record, Timestamp};
use zhijian_synth::{Config, Generator, Item};

use crate::ServiceError;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Connected and unconnected calls (SMS, visits and notes come on top: ~20,000 interactions
    /// in all for the default 12,000).
    pub calls: usize,
    pub seed: u64,
    /// First day of the month of data.
    pub start: Date,
    pub days: u32,
    pub agents: usize,
    pub branches: usize,
}

impl DemoOptions {
    /// The default demo: the 30 days that end yesterday.
    pub fn recent(today: Date) -> DemoOptions {
        DemoOptions {
            calls: 12_000,
            seed: 2026,
            start: today
                .checked_sub(jiff::Span::new().days(30))
                .unwrap_or(today),
            days: 30,
            agents: 60,
            branches: 3,
        }
    }
}

/// The files written and what they hold.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoFiles {
    /// Clients, agents, cases, contacts, complaints.
    pub context: PathBuf,
    /// Interactions and flags.
    pub interactions: PathBuf,
    pub counts: BTreeMap<String, u64>,
}

/// Province of each synthetic branch (for the region breakdown).
fn region_of(branch: &str) -> &'static str {
    match branch {
        b if b.starts_with("武汉") => "湖北",
        b if b.starts_with("成都") => "四川",
        b if b.starts_with("长沙") => "湖南",
        b if b.starts_with("郑州") => "河南",
        b if b.starts_with("合肥") => "安徽",
        b if b.starts_with("西安") => "陕西",
        _ => "其他",
    }
}

/// Write the demo month into `dir` (created if missing).
pub fn write_files(dir: &Path, o: &DemoOptions) -> Result<DemoFiles, ServiceError> {
    let werr = |p: &Path, e: std::io::Error| ServiceError::Output {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| werr(dir, e))?;
    let files = DemoFiles {
        context: dir.join("context.jsonl"),
        interactions: dir.join("interactions.jsonl"),
        counts: BTreeMap::new(),
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let gen_ = Generator::new(Config {
        calls: o.calls,
        seed: o.seed,
        start: o.start,
        days: o.days.max(1),
        all_channels: true,
        agents: o.agents,
        branches: o.branches,
        ..Config::default()
    });
    let roster = gen_.agents().to_vec();
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0xC0_4D1A);
    let mut out_i = BufWriter::new(
        File::create(&files.interactions).map_err(|e| werr(&files.interactions, e))?,
    );
    let mut clients: BTreeMap<String, Client> = BTreeMap::new();
    let mut cases: BTreeMap<String, Case> = BTreeMap::new();
    let mut contacts: BTreeMap<String, ContactRecord> = BTreeMap::new();
    let mut complaints: Vec<Complaint> = Vec::new();
    for item in gen_ {
        let line = item.to_json_line();
        writeln!(out_i, "{line}").map_err(|e| werr(&files.interactions, e))?;
        match &item {
            Item::Interaction {
                interaction: i,
                labels,
            } => {
                *counts.entry(i.kind.as_str().to_string()).or_default() += 1;
                clients.entry(i.client.clone()).or_insert_with(|| Client {
                    id: i.client.clone(),
                    name: i.client.clone(),
                });
                let ctx = i.case.clone().unwrap_or_default();
                let case = cases.entry(i.case_id.clone()).or_insert_with(|| Case {
                    id: i.case_id.clone(),
                    client: i.client.clone(),
                    product: ctx.product.clone(),
                    principal: ctx.balance.map(|b| (b * 0.85 / 100.0).round() * 100.0),
                    balance: ctx.balance,
                    days_past_due: ctx.days_past_due,
                    stage: ctx.stage.clone(),
                    debtor: None,
                    agent_id: Some(i.agent_id.clone()),
                    opened_on: Some(o.start),
                });
                // The case record carries its latest state.
                if ctx.days_past_due > case.days_past_due {
                    case.days_past_due = ctx.days_past_due;
                    case.stage = ctx.stage.clone();
                }
                if let Some(c) = &i.contact
                    && let Some(id) = &c.id
                {
                    contacts.entry(id.clone()).or_insert_with(|| ContactRecord {
                        id: id.clone(),
                        case_id: i.case_id.clone(),
                        relation: c.relation.clone(),
                        number: c.number.clone(),
                        name: None,
                        timezone: c.timezone.clone(),
                    });
                }
                // Complaints: most follow calls with a violation, a few follow clean calls.
                let connected = i.kind == zhijian_domain::Channel::Call && i.is_connected();
                let p = if !labels.is_empty() {
                    0.10
                } else if connected {
                    0.004
                } else {
                    0.0
                };
                if p > 0.0 && rng.random_bool(p) {
                    let received = i
                        .started_at
                        .checked_add(jiff::SignedDuration::from_mins(rng.random_range(20..4320)))
                        .unwrap_or(i.started_at);
                    let closed = rng.random_bool(0.8).then(|| {
                        received
                            .checked_add(jiff::SignedDuration::from_hours(rng.random_range(4..240)))
                            .unwrap_or(received)
                    });
                    let source = match rng.random_range(0..20) {
                        0..10 => "client",
                        10..16 => "hotline",
                        16..19 => "regulator",
                        _ => "internal",
                    };
                    let category = labels.first().cloned();
                    let summary = match category.as_deref() {
                        Some("threat") => "客户反映催收员言语威胁",
                        Some("insult") => "客户反映催收员辱骂",
                        Some("third_party_disclosure") => "客户反映催收员向其亲友、同事透露欠款",
                        Some("impersonation") => "客户反映催收员冒充公检法",
                        Some(_) => "客户投诉催收方式不当",
                        None => "客户投诉催收频繁、态度不好",
                    };
                    complaints.push(Complaint {
                        id: format!("TS{:06}", complaints.len() + 1),
                        case_id: i.case_id.clone(),
                        source: source.to_string(),
                        received_at: received,
                        closed_at: closed,
                        agent_id: Some(i.agent_id.clone()),
                        interaction_id: Some(i.id.clone()),
                        category,
                        summary: Some(summary.to_string()),
                    });
                }
            }
            Item::Flag(_) => *counts.entry("flag".into()).or_default() += 1,
        }
    }
    out_i.flush().map_err(|e| werr(&files.interactions, e))?;

    let mut out_c =
        BufWriter::new(File::create(&files.context).map_err(|e| werr(&files.context, e))?);
    let mut put = |r: Record, counts: &mut BTreeMap<String, u64>| {
        *counts.entry(r.kind().to_string()).or_default() += 1;
        writeln!(out_c, "{}", r.to_json_line())
    };
    for c in clients.into_values() {
        put(Record::Client(c), &mut counts).map_err(|e| werr(&files.context, e))?;
    }
    for a in &roster {
        let hired_on = o
            .start
            .checked_sub(jiff::Span::new().months(i64::from(a.tenure_months)))
            .ok()
            .and_then(|d| {
                d.checked_sub(jiff::Span::new().days(rng.random_range(0..28)))
                    .ok()
            });
        let lead = roster
            .iter()
            .find(|b| b.team == a.team)
            .map(|b| b.id.clone())
            .filter(|id| *id != a.id);
        put(
            Record::Agent(Agent {
                id: a.id.clone(),
                name: a.name.clone(),
                branch: a.branch.to_string(),
                team: a.team.clone(),
                region: Some(region_of(a.branch).to_string()),
                hired_on,
                supervisor: lead,
            }),
            &mut counts,
        )
        .map_err(|e| werr(&files.context, e))?;
    }
    for c in cases.into_values() {
        put(Record::Case(Box::new(c)), &mut counts).map_err(|e| werr(&files.context, e))?;
    }
    for c in contacts.into_values() {
        put(Record::Contact(c), &mut counts).map_err(|e| werr(&files.context, e))?;
    }
    for c in complaints {
        put(Record::Complaint(Box::new(c)), &mut counts).map_err(|e| werr(&files.context, e))?;
    }
    out_c.flush().map_err(|e| werr(&files.context, e))?;
    Ok(DemoFiles { counts, ..files })
}

/// Today in the product's default time zone (for the demo's "last 30 days").
pub fn today() -> Date {
    Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
        .date()
}
