//! Running each rule's own `examples` (what `zhijian rules test` and CI run).
//!
//! A plain string example is one agent turn on a connected outbound call with the debtor.
//! `turns` lines are `A: text` / `C: text`, optionally timed `A 0.0-3.5: text`.
//! `log` lines describe an event log, one interaction or flag per line:
//! `<RFC 3339 time> <call|sms|visit|note>[/<outcome>] [key=value …] [text=… to end of line]`
//! or `<time> flag <do_not_call|complaint_risk|dispute> contact=K1`; the last interaction
//! is the one judged. Keys: contact, number, case, client, tz, in (inbound), say (a customer
//! turn), members (comma list), photos (count), approved, entered, submitted, end (times),
//! recording (path or `none`), covered (seconds of transcript).

use zhijian_domain::{
    CaseContext, Channel, Contact, Direction, Flag, FlagKind, Interaction, Outcome, Party, Segment,
    Speaker, Timestamp, VisitInfo,
};

use crate::Engine;
use crate::compile::Rule;
use crate::event::IndexBuilder;
use crate::pack::{ExampleDef, ExampleDetail};

#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule: String,
    pub file: String,
    pub line: Option<usize>,
    /// `hit` or `miss`
    pub expected: &'static str,
    pub index: usize,
    pub example: String,
    pub problem: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(
            f,
            ": rule `{}`: examples.{}[{}] {:?}: {}",
            self.rule, self.expected, self.index, self.example, self.problem
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct ExampleReport {
    pub rules: usize,
    pub passed: usize,
    pub failures: Vec<ExampleFailure>,
}

pub fn run(engine: &Engine) -> ExampleReport {
    let mut rep = ExampleReport {
        rules: engine.c.rules.len(),
        ..Default::default()
    };
    for r in &engine.c.rules {
        for (expected, list) in [("hit", &r.examples.hit), ("miss", &r.examples.miss)] {
            for (k, ex) in list.iter().enumerate() {
                let label = describe(ex);
                let outcome = judge(engine, r, ex);
                let problem = match (expected, outcome) {
                    (_, Err(e)) => Some(format!("example is malformed: {e}")),
                    ("hit", Ok(None)) => Some("expected a finding, got none".to_string()),
                    ("miss", Ok(Some(f))) => Some(format!("expected no finding, got: {f}")),
                    _ => None,
                };
                match problem {
                    None => rep.passed += 1,
                    Some(problem) => rep.failures.push(ExampleFailure {
                        rule: r.id.clone(),
                        file: r.file.clone(),
                        line: r.line,
                        expected,
                        index: k,
                        example: label,
                        problem,
                    }),
                }
            }
        }
    }
    rep
}

fn describe(ex: &ExampleDef) -> String {
    match ex {
        ExampleDef::Text(t) => t.clone(),
        ExampleDef::Detailed(d) => d
            .text
            .clone()
            .or_else(|| d.turns.as_ref().map(|t| t.join(" / ")))
            .or_else(|| d.log.as_ref().map(|t| t.join(" / ")))
            .unwrap_or_default(),
    }
}

/// `Ok(Some(message))` when the rule fires on the example.
fn judge(engine: &Engine, r: &Rule, ex: &ExampleDef) -> Result<Option<String>, String> {
    let d = match ex {
        ExampleDef::Text(t) => ExampleDetail {
            text: Some(t.clone()),
            ..Default::default()
        },
        ExampleDef::Detailed(d) => d.clone(),
    };
    let result = if let Some(log) = &d.log {
        let mut b = IndexBuilder::new();
        let mut calls = Vec::new();
        for (n, line) in log.iter().enumerate() {
            match parse_log_line(line, n).map_err(|e| format!("log[{n}]: {e}"))? {
                LogItem::Flag(f) => b.add_flag(&f),
                LogItem::Interaction(i) => {
                    b.add(engine, calls.len() as u32, &i);
                    calls.push(i);
                }
            }
        }
        let last = calls.last().ok_or("log has no interaction")?;
        let index = b.finish(engine);
        engine.inspect_with(last, &index, calls.len() as u32 - 1)
    } else {
        engine.inspect(&build_call(&d)?)
    };
    Ok(result.findings.iter().find(|f| f.rule == r.id).map(|f| {
        if f.excerpt.is_empty() {
            f.message.clone()
        } else {
            format!("{} «{}»", f.message, f.excerpt)
        }
    }))
}

fn base(id: &str, kind: Channel, client: Option<&str>) -> Interaction {
    Interaction {
        id: id.to_string(),
        kind,
        case_id: "C1".into(),
        agent_id: "A1".into(),
        client: client.unwrap_or("示例委托方").to_string(),
        started_at: "2026-03-02T10:00:00+08:00"
            .parse()
            .expect("fixed timestamp"),
        ended_at: None,
        direction: Some(Direction::Outbound),
        outcome: Some(Outcome::Connected),
        party: Some(Party::Debtor),
        contact: Some(Contact {
            id: Some("K1".into()),
            relation: None,
            number: Some("13800000001".into()),
            timezone: None,
        }),
        segments: vec![],
        text: None,
        recording: Some("rec.wav".into()),
        timezone: None,
        case: None,
        visit: None,
        submitted_at: None,
        template_id: None,
    }
}

fn build_call(d: &ExampleDetail) -> Result<Interaction, String> {
    let channel = d.channel.unwrap_or(Channel::Call);
    let mut i = base("example", channel, d.client.as_deref());
    i.party = Some(d.party.unwrap_or(Party::Debtor));
    if let Some(b) = d.balance {
        i.case = Some(CaseContext {
            balance: Some(b),
            ..Default::default()
        });
    }
    if matches!(channel, Channel::Sms | Channel::Note) {
        i.text = d.text.clone();
        return Ok(i);
    }
    let mut t = 0.0;
    let mut push = |speaker: Speaker, times: Option<(f64, f64)>, text: &str| {
        let (s, e) = times.unwrap_or_else(|| {
            let len = text.chars().count() as f64 / 5.0;
            (t, t + len.max(0.5))
        });
        t = e + 0.5;
        i.segments.push(Segment {
            speaker,
            start: s,
            end: e,
            text: text.to_string(),
        });
    };
    if let Some(text) = &d.text {
        push(d.speaker.unwrap_or(Speaker::Agent), None, text);
    }
    for (n, line) in d.turns.iter().flatten().enumerate() {
        let (head, text) = line
            .split_once(':')
            .ok_or(format!("turns[{n}]: expected `A: …` or `C: …`"))?;
        let mut parts = head.split_whitespace();
        let speaker = match parts.next() {
            Some("A") => Speaker::Agent,
            Some("C") => Speaker::Customer,
            other => return Err(format!("turns[{n}]: speaker must be A or C, got {other:?}")),
        };
        let times = match parts.next() {
            Some(span) => {
                let (a, b) = span
                    .split_once('-')
                    .ok_or(format!("turns[{n}]: time span must be start-end"))?;
                Some((
                    a.parse::<f64>().map_err(|e| format!("turns[{n}]: {e}"))?,
                    b.parse::<f64>().map_err(|e| format!("turns[{n}]: {e}"))?,
                ))
            }
            None => None,
        };
        push(speaker, times, text.trim());
    }
    Ok(i)
}

enum LogItem {
    Interaction(Box<Interaction>),
    Flag(Flag),
}

fn ts(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>().map_err(|e| format!("{s:?}: {e}"))
}

fn parse_log_line(line: &str, n: usize) -> Result<LogItem, String> {
    let (line, text) = match line.find(" text=") {
        Some(p) => (&line[..p], Some(line[p + 6..].to_string())),
        None => (line, None),
    };
    let mut parts = line.split_whitespace();
    let at = ts(parts.next().ok_or("empty line")?)?;
    let what = parts.next().ok_or("missing kind")?;
    if what == "flag" {
        let flag = match parts.next() {
            Some("do_not_call") => FlagKind::DoNotCall,
            Some("complaint_risk") => FlagKind::ComplaintRisk,
            Some("dispute") => FlagKind::Dispute,
            other => return Err(format!("unknown flag {other:?}")),
        };
        let mut f = Flag {
            contact_id: None,
            case_id: None,
            flag,
            set_at: at,
        };
        for kv in parts {
            match kv.split_once('=') {
                Some(("contact", v)) => f.contact_id = Some(v.into()),
                Some(("case", v)) => f.case_id = Some(v.into()),
                _ => return Err(format!("unknown flag key {kv:?}")),
            }
        }
        return Ok(LogItem::Flag(f));
    }
    let (kind, outcome) = match what.split_once('/') {
        Some((k, o)) => (k, Some(o)),
        None => (what, None),
    };
    let channel = match kind {
        "call" => Channel::Call,
        "sms" => Channel::Sms,
        "visit" => Channel::Visit,
        "note" => Channel::Note,
        other => return Err(format!("unknown kind {other:?}")),
    };
    let mut i = base(&format!("e{n}"), channel, None);
    i.started_at = at;
    i.outcome = match outcome {
        None | Some("connected") => Some(Outcome::Connected),
        Some("no_answer") => Some(Outcome::NoAnswer),
        Some("busy") => Some(Outcome::Busy),
        Some("rejected") => Some(Outcome::Rejected),
        Some("failed") => Some(Outcome::Failed),
        Some(o) => return Err(format!("unknown outcome {o:?}")),
    };
    if channel != Channel::Call {
        i.recording = None;
    }
    i.text = text;
    let mut covered = None;
    for kv in parts {
        if kv == "in" {
            i.direction = Some(Direction::Inbound);
            continue;
        }
        let (k, v) = kv
            .split_once('=')
            .ok_or(format!("expected key=value, got {kv:?}"))?;
        let contact = i.contact.get_or_insert(Contact {
            id: None,
            relation: None,
            number: None,
            timezone: None,
        });
        match k {
            "contact" => contact.id = Some(v.into()),
            "number" => contact.number = Some(v.into()),
            "tz" => contact.timezone = Some(v.into()),
            "case" => i.case_id = v.into(),
            "client" => i.client = v.into(),
            "say" => i.segments.push(Segment {
                speaker: Speaker::Customer,
                start: 0.0,
                end: 2.0,
                text: v.into(),
            }),
            "members" => {
                i.visit.get_or_insert_with(VisitInfo::default).members = v
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "photos" => {
                let n: usize = v.parse().map_err(|e| format!("photos: {e}"))?;
                i.visit.get_or_insert_with(VisitInfo::default).photos =
                    (0..n).map(|k| format!("p{k}.jpg")).collect();
            }
            "approved" => {
                i.visit
                    .get_or_insert_with(VisitInfo::default)
                    .application_approved_at = Some(ts(v)?)
            }
            "entered" => i.visit.get_or_insert_with(VisitInfo::default).entered_at = Some(ts(v)?),
            "submitted" => i.submitted_at = Some(ts(v)?),
            "end" => i.ended_at = Some(ts(v)?),
            "recording" => i.recording = (v != "none").then(|| v.to_string()),
            "covered" => covered = Some(v.parse::<f64>().map_err(|e| format!("covered: {e}"))?),
            "template" => i.template_id = Some(v.into()),
            _ => return Err(format!("unknown key {k:?}")),
        }
    }
    if let Some(c) = covered {
        i.segments.push(Segment {
            speaker: Speaker::Agent,
            start: 0.0,
            end: c,
            text: "您好".into(),
        });
    }
    Ok(LogItem::Interaction(Box::new(i)))
}
