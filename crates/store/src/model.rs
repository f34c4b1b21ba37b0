//! What both backends share: the tables as data (columns and their types), records turned into
//! rows of values, and the local-time columns. The backends only turn these into SQL.

use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use zhijian_domain::{
    Agent, Case, Client, Complaint, ContactRecord, Direction, Flag, FlagKind, Interaction, Outcome,
    Segment,
};

use crate::{Inspection, RecordKind, Reject};

/// The time zone local columns fall back to (the default pack's).
pub(crate) const DEFAULT_TZ: &str = "Asia/Shanghai";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    Text,
    Int,
    Real,
    Bool,
}

/// One bound value. `Null` fits any column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
}

impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_string())
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::Real(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Bool(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

pub(crate) type Row = Vec<Val>;

/// What an insert does when the key is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnConflict {
    /// Plain insert (the caller has removed any previous row).
    Fail,
    /// Update every other column (`key` is the primary key column).
    Update,
    /// Keep the stored row (`key` lists the unique columns).
    Ignore,
    /// Add every other column to the stored row's (rollup counters; `key` is the primary key).
    Accumulate,
}

/// A table as the write path sees it: the columns it inserts, in order.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub cols: &'static [(&'static str, ColType)],
    /// Conflict target (the primary key or a unique constraint).
    pub key: &'static str,
}

impl Table {
    /// Whether `col` is one of the key columns.
    pub fn is_key(&self, col: &str) -> bool {
        self.key.split(',').any(|k| k.trim() == col)
    }
}

use ColType::{Bool, Int, Real, Text};

pub(crate) const CLIENTS: Table = Table {
    name: "clients",
    cols: &[
        ("id", Text),
        ("name", Text),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

pub(crate) const AGENTS: Table = Table {
    name: "agents",
    cols: &[
        ("id", Text),
        ("name", Text),
        ("branch", Text),
        ("team", Text),
        ("region", Text),
        ("hired_on", Text),
        ("supervisor", Text),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

pub(crate) const CASES: Table = Table {
    name: "cases",
    cols: &[
        ("id", Text),
        ("client", Text),
        ("product", Text),
        ("principal", Real),
        ("balance", Real),
        ("days_past_due", Int),
        ("stage", Text),
        ("debtor", Text),
        ("agent_id", Text),
        ("opened_on", Text),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

pub(crate) const CONTACTS: Table = Table {
    name: "contacts",
    cols: &[
        ("id", Text),
        ("case_id", Text),
        ("relation", Text),
        ("number", Text),
        ("name", Text),
        ("timezone", Text),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

pub(crate) const FLAGS: Table = Table {
    name: "flags",
    cols: &[
        ("id", Text),
        ("contact_id", Text),
        ("case_id", Text),
        ("flag", Text),
        ("set_at", Int),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

pub(crate) const COMPLAINTS: Table = Table {
    name: "complaints",
    cols: &[
        ("id", Text),
        ("case_id", Text),
        ("source", Text),
        ("agent_id", Text),
        ("interaction_id", Text),
        ("category", Text),
        ("received_at", Int),
        ("closed_at", Int),
        ("summary", Text),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

/// `recording_sha256` is not written here: it is filled later, by whoever hashes recordings.
/// The backends clear it when an update changes `recording`.
pub(crate) const INTERACTIONS: Table = Table {
    name: "interactions",
    cols: &[
        ("id", Text),
        ("kind", Text),
        ("case_id", Text),
        ("agent_id", Text),
        ("client", Text),
        ("contact_id", Text),
        ("person_key", Text),
        ("number", Text),
        ("party", Text),
        ("direction", Text),
        ("outcome", Text),
        ("started_at", Int),
        ("ended_at", Int),
        ("duration_s", Real),
        ("local_date", Text),
        ("local_hour", Int),
        ("local_weekday", Int),
        ("timezone", Text),
        ("recording", Text),
        ("segment_count", Int),
        ("hash", Text),
        ("updated_at", Int),
        ("body", Text),
    ],
    key: "id",
};

pub(crate) const INSPECTIONS: Table = Table {
    name: "inspections",
    cols: &[
        ("interaction_id", Text),
        ("pack", Text),
        ("inspected_at", Int),
        ("score", Real),
        ("passed", Bool),
        ("finding_count", Int),
        ("max_level", Int),
        ("party", Text),
        ("started_at", Int),
        ("result", Text),
    ],
    key: "interaction_id",
};

pub(crate) const FINDINGS: Table = Table {
    name: "findings",
    cols: &[
        ("interaction_id", Text),
        ("ord", Int),
        ("rule", Text),
        ("category", Text),
        ("level", Int),
        ("deduction", Int),
        ("segment", Int),
        ("span_start", Int),
        ("span_end", Int),
        ("t_start", Real),
        ("t_end", Real),
        ("kind", Text),
        ("client", Text),
        ("agent_id", Text),
        ("started_at", Int),
        ("local_date", Text),
        ("local_hour", Int),
        ("local_weekday", Int),
        ("excerpt", Text),
        ("message", Text),
    ],
    key: "interaction_id, ord",
};

pub(crate) const REJECTS: Table = Table {
    name: "rejects",
    cols: &[
        ("file", Text),
        ("line", Int),
        ("field", Text),
        ("reason", Text),
        ("raw_hash", Text),
        ("first_seen", Int),
        ("raw", Text),
    ],
    key: "file, line, raw_hash",
};

impl RecordKind {
    pub(crate) fn table(self) -> &'static Table {
        match self {
            RecordKind::Interaction => &INTERACTIONS,
            RecordKind::Flag => &FLAGS,
            RecordKind::Client => &CLIENTS,
            RecordKind::Agent => &AGENTS,
            RecordKind::Case => &CASES,
            RecordKind::Contact => &CONTACTS,
            RecordKind::Complaint => &COMPLAINTS,
        }
    }
}

/// What findings repeat of their interaction, so the dashboard filters them without a join.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Denorm {
    pub kind: String,
    pub client: String,
    pub agent_id: String,
    pub started_at: i64,
    pub local_date: String,
    pub local_hour: i64,
    pub local_weekday: i64,
}

/// Local calendar columns of an instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Local {
    pub date: String,
    pub hour: i64,
    pub weekday: i64,
    pub tz: String,
}

/// Time zones by name, looked up once per batch.
#[derive(Default)]
pub(crate) struct TzCache(HashMap<String, Option<TimeZone>>);

fn default_tz() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| TimeZone::get(DEFAULT_TZ).unwrap_or(TimeZone::UTC))
}

impl TzCache {
    /// Local date, hour and weekday of `t` in the contact's time zone, else the interaction's,
    /// else Asia/Shanghai — the same order the engine's event-log rules use, so the dashboard's
    /// local hours agree with `off_hours` findings. An unknown zone name falls back to the next.
    pub fn local(&mut self, i: &Interaction) -> Local {
        let names = [
            i.contact.as_ref().and_then(|c| c.timezone.as_deref()),
            i.timezone.as_deref(),
        ];
        for name in names.into_iter().flatten() {
            let tz = self
                .0
                .entry(name.to_string())
                .or_insert_with(|| TimeZone::get(name).ok())
                .clone();
            if let Some(tz) = tz {
                return local_in(i.started_at, &tz, name);
            }
        }
        local_in(i.started_at, default_tz(), DEFAULT_TZ)
    }
}

fn local_in(t: Timestamp, tz: &TimeZone, name: &str) -> Local {
    let z = t.to_zoned(tz.clone());
    Local {
        date: z.date().to_string(),
        hour: i64::from(z.hour()),
        weekday: i64::from(z.weekday().to_monday_zero_offset()),
        tz: name.to_string(),
    }
}

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn from_ms(v: i64) -> Timestamp {
    Timestamp::from_millisecond(v).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Outbound => "outbound",
        Direction::Inbound => "inbound",
    }
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Connected => "connected",
        Outcome::NoAnswer => "no_answer",
        Outcome::Busy => "busy",
        Outcome::Rejected => "rejected",
        Outcome::Failed => "failed",
    }
}

pub(crate) fn flag_str(f: FlagKind) -> &'static str {
    match f {
        FlagKind::DoNotCall => "do_not_call",
        FlagKind::ComplaintRisk => "complaint_risk",
        FlagKind::Dispute => "dispute",
    }
}

/// Seconds the interaction lasted: `ended_at − started_at`, else the end of its last segment.
fn duration_s(i: &Interaction) -> Option<f64> {
    match i.ended_at {
        Some(e) => Some((ms(e) - ms(i.started_at)) as f64 / 1000.0),
        None => i
            .segments
            .iter()
            .map(|s| s.end)
            .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e)))),
    }
}

/// What the findings of an interaction repeat of it.
pub(crate) fn denorm(i: &Interaction, tz: &mut TzCache) -> Denorm {
    let local = tz.local(i);
    Denorm {
        kind: i.kind.as_str().to_string(),
        client: i.client.clone(),
        agent_id: i.agent_id.clone(),
        started_at: ms(i.started_at),
        local_date: local.date,
        local_hour: local.hour,
        local_weekday: local.weekday,
    }
}

pub(crate) fn interaction_row(
    i: &Interaction,
    hash: &str,
    body: String,
    now: i64,
    tz: &mut TzCache,
) -> Row {
    let local = tz.local(i);
    let contact = i.contact.as_ref();
    vec![
        i.id.as_str().into(),
        i.kind.as_str().into(),
        i.case_id.as_str().into(),
        i.agent_id.as_str().into(),
        i.client.as_str().into(),
        contact.and_then(|c| c.id.as_deref()).into(),
        i.person_key().into(),
        i.number_key().into(),
        i.party.map(|p| p.as_str()).into(),
        i.direction.map(direction_str).into(),
        i.outcome.map(outcome_str).into(),
        ms(i.started_at).into(),
        i.ended_at.map(ms).into(),
        duration_s(i).into(),
        local.date.into(),
        local.hour.into(),
        local.weekday.into(),
        local.tz.into(),
        i.recording.as_deref().into(),
        (i.segments.len() as i64).into(),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

fn date_str(d: Option<jiff::civil::Date>) -> Val {
    d.map(|d| d.to_string()).into()
}

pub(crate) fn flag_row(id: String, f: &Flag, hash: &str, body: String, now: i64) -> Row {
    vec![
        id.into(),
        f.contact_id.as_deref().into(),
        f.case_id.as_deref().into(),
        flag_str(f.flag).into(),
        ms(f.set_at).into(),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

pub(crate) fn client_row(c: &Client, hash: &str, body: String, now: i64) -> Row {
    vec![
        c.id.as_str().into(),
        c.name.as_str().into(),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

pub(crate) fn agent_row(a: &Agent, hash: &str, body: String, now: i64) -> Row {
    vec![
        a.id.as_str().into(),
        a.name.as_str().into(),
        a.branch.as_str().into(),
        a.team.as_str().into(),
        a.region.as_deref().into(),
        date_str(a.hired_on),
        a.supervisor.as_deref().into(),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

pub(crate) fn case_row(c: &Case, hash: &str, body: String, now: i64) -> Row {
    vec![
        c.id.as_str().into(),
        c.client.as_str().into(),
        c.product.as_deref().into(),
        c.principal.into(),
        c.balance.into(),
        c.days_past_due.map(i64::from).into(),
        c.stage.as_deref().into(),
        c.debtor.as_deref().into(),
        c.agent_id.as_deref().into(),
        date_str(c.opened_on),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

pub(crate) fn contact_row(c: &ContactRecord, hash: &str, body: String, now: i64) -> Row {
    vec![
        c.id.as_str().into(),
        c.case_id.as_str().into(),
        c.relation.as_deref().into(),
        c.number.as_deref().into(),
        c.name.as_deref().into(),
        c.timezone.as_deref().into(),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

pub(crate) fn complaint_row(c: &Complaint, hash: &str, body: String, now: i64) -> Row {
    vec![
        c.id.as_str().into(),
        c.case_id.as_str().into(),
        c.source.as_str().into(),
        c.agent_id.as_deref().into(),
        c.interaction_id.as_deref().into(),
        c.category.as_deref().into(),
        ms(c.received_at).into(),
        c.closed_at.map(ms).into(),
        c.summary.as_deref().into(),
        hash.into(),
        now.into(),
        body.into(),
    ]
}

/// The inspection row of one interaction (`started_at`: the interaction's, in epoch ms).
pub(crate) fn inspection_row(interaction_id: &str, ins: &Inspection, started_at: i64) -> Row {
    let r = &ins.result;
    let max_level = r
        .findings
        .iter()
        .map(|f| i64::from(f.level.get()))
        .max()
        .unwrap_or(0);
    let result = serde_json::to_string(r).unwrap_or_default();
    vec![
        interaction_id.into(),
        ins.pack.as_str().into(),
        ms(ins.inspected_at).into(),
        r.score.into(),
        r.passed.into(),
        (r.findings.len() as i64).into(),
        max_level.into(),
        r.party.map(|p| p.as_str()).into(),
        started_at.into(),
        result.into(),
    ]
}

/// The finding rows of one inspection. A finding without a time span takes its segment's.
pub(crate) fn finding_rows(
    interaction_id: &str,
    ins: &Inspection,
    d: &Denorm,
    segments: &[Segment],
) -> Vec<Row> {
    ins.result
        .findings
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let seg = f.segment.and_then(|s| segments.get(s));
            let t_start = f.start.or(seg.map(|s| s.start));
            let t_end = f.end.or(seg.map(|s| s.end));
            vec![
                interaction_id.into(),
                (n as i64).into(),
                f.rule.as_str().into(),
                f.category.as_str().into(),
                i64::from(f.level.get()).into(),
                i64::from(f.deduction).into(),
                f.segment.map(|s| s as i64).into(),
                f.span.map(|s| s[0] as i64).into(),
                f.span.map(|s| s[1] as i64).into(),
                t_start.into(),
                t_end.into(),
                d.kind.as_str().into(),
                d.client.as_str().into(),
                d.agent_id.as_str().into(),
                d.started_at.into(),
                d.local_date.as_str().into(),
                d.local_hour.into(),
                d.local_weekday.into(),
                f.excerpt.as_str().into(),
                f.message.as_str().into(),
            ]
        })
        .collect()
}

pub(crate) fn reject_row(r: &Reject, now: i64) -> Row {
    vec![
        r.file.as_str().into(),
        i64::try_from(r.line).unwrap_or(i64::MAX).into(),
        r.field.as_str().into(),
        r.reason.as_str().into(),
        crate::hash_str(&r.raw).into(),
        now.into(),
        r.raw.as_str().into(),
    ]
}

#[cfg(test)]
pub(crate) fn check_row(t: &Table, row: &Row) {
    assert_eq!(t.cols.len(), row.len(), "{}: column count", t.name);
    for ((name, ty), v) in t.cols.iter().zip(row) {
        let ok = matches!(
            (ty, v),
            (_, Val::Null)
                | (Text, Val::Text(_))
                | (Int, Val::Int(_))
                | (Real, Val::Real(_))
                | (Bool, Val::Bool(_))
        );
        assert!(ok, "{}.{name}: {v:?} does not fit {ty:?}", t.name);
    }
}

/// `INSERT INTO t (c1, …) ` for a table.
pub(crate) fn insert_head(t: &Table) -> String {
    let cols: Vec<&str> = t.cols.iter().map(|(c, _)| *c).collect();
    format!("INSERT INTO {} ({}) ", t.name, cols.join(", "))
}

/// The conflict clause (same SQL on SQLite ≥ 3.39 and PostgreSQL).
pub(crate) fn conflict_clause(t: &Table, on: OnConflict) -> String {
    match on {
        OnConflict::Fail => String::new(),
        OnConflict::Ignore => format!(" ON CONFLICT ({}) DO NOTHING", t.key),
        OnConflict::Accumulate => {
            let sets: Vec<String> = t
                .cols
                .iter()
                .filter(|(c, _)| !t.is_key(c))
                .map(|(c, _)| format!("{c} = {}.{c} + excluded.{c}", t.name))
                .collect();
            format!(" ON CONFLICT ({}) DO UPDATE SET {}", t.key, sets.join(", "))
        }
        OnConflict::Update => {
            let mut sets: Vec<String> = t
                .cols
                .iter()
                .filter(|(c, _)| !t.is_key(c))
                .map(|(c, _)| format!("{c} = excluded.{c}"))
                .collect();
            if t.name == INTERACTIONS.name {
                // A recording's digest stays valid only while the recording does.
                sets.push(
                    "recording_sha256 = CASE WHEN interactions.recording IS NOT DISTINCT FROM \
                     excluded.recording THEN interactions.recording_sha256 END"
                        .into(),
                );
            }
            format!(" ON CONFLICT ({}) DO UPDATE SET {}", t.key, sets.join(", "))
        }
    }
}

/// Embedded migrations: `(version, description, sql)`.
pub(crate) fn migrator(list: &[(i64, &'static str, &'static str)]) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    Migrator::with_migrations(
        list.iter()
            .map(|&(v, d, sql)| {
                Migration::new(
                    v,
                    d.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// `(id, kind, client, agent_id, started_at, local_date, local_hour, local_weekday)`.
pub(crate) type DenormRow = (String, String, String, String, i64, String, i64, i64);

pub(crate) fn denorm_from_row(r: DenormRow) -> (String, Denorm) {
    let (id, kind, client, agent_id, started_at, local_date, local_hour, local_weekday) = r;
    (
        id,
        Denorm {
            kind,
            client,
            agent_id,
            started_at,
            local_date,
            local_hour,
            local_weekday,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::now_ms;
    use zhijian_domain::{InspectionResult, Record, Timestamp, parse_record};

    /// Every row builder fills its table's columns in order with values of the right type.
    #[test]
    fn rows_fit_their_tables() {
        let now = now_ms();
        let mut tz = TzCache::default();
        let lines = [
            r#"{"kind":"client","id":"c1","name":"某银行"}"#,
            r#"{"kind":"agent","id":"a1","name":"张三","branch":"华东","team":"一组","region":"沪","hired_on":"2026-03-01","supervisor":"a0"}"#,
            r#"{"kind":"case","id":"k1","client":"c1","product":"p","principal":1.5,"balance":2.5,"days_past_due":45,"stage":"M2","debtor":"李","agent_id":"a1","opened_on":"2026-01-01"}"#,
            r#"{"kind":"contact","id":"p1","case_id":"k1","relation":"debtor","number":"138","name":"李","timezone":"Asia/Shanghai"}"#,
            r#"{"kind":"complaint","id":"t1","case_id":"k1","source":"client","received_at":"2026-01-02T03:04:05Z","closed_at":"2026-01-03T00:00:00Z","agent_id":"a1","interaction_id":"i1","category":"threat","summary":"s"}"#,
            r#"{"kind":"flag","contact_id":"p1","case_id":"k1","flag":"dispute","set_at":"2026-01-01T02:00:00Z"}"#,
            r#"{"id":"i1","kind":"call","case_id":"k1","agent_id":"a1","client":"c1","started_at":"2026-01-01T10:00:00+08:00","ended_at":"2026-01-01T10:03:00+08:00","direction":"outbound","outcome":"connected","party":"debtor","contact":{"id":"p1","relation":"debtor","number":"138"},"segments":[{"speaker":"agent","start":0,"end":2,"text":"你好"}],"recording":"r.wav"}"#,
        ];
        for line in lines {
            let r = parse_record(line).unwrap();
            let body = crate::canonical_json(&r);
            let row = match &r {
                Record::Client(c) => client_row(c, "h", body, now),
                Record::Agent(a) => agent_row(a, "h", body, now),
                Record::Case(c) => case_row(c, "h", body, now),
                Record::Contact(c) => contact_row(c, "h", body, now),
                Record::Complaint(c) => complaint_row(c, "h", body, now),
                Record::Flag(f) => flag_row(crate::record_id(&r), f, "h", body, now),
                Record::Interaction(i) => {
                    let row = interaction_row(i, "h", body, now, &mut tz);
                    let d = denorm(i, &mut tz);
                    assert_eq!(d.local_date, "2026-01-01");
                    assert_eq!(d.local_hour, 10);
                    let ins = Inspection {
                        pack: "p@1".into(),
                        inspected_at: Timestamp::now(),
                        result: InspectionResult {
                            id: "i1".into(),
                            score: 90.0,
                            passed: true,
                            findings: vec![zhijian_domain::Finding {
                                rule: "r".into(),
                                category: zhijian_domain::Category("threat".into()),
                                level: zhijian_domain::Level::new(4).unwrap(),
                                segment: Some(0),
                                start: None,
                                end: None,
                                excerpt: "e".into(),
                                message: "m".into(),
                                span: Some([0, 1]),
                                deduction: 10,
                            }],
                            party: None,
                            pack: None,
                        },
                    };
                    let irow = inspection_row("i1", &ins, d.started_at);
                    let frows = finding_rows("i1", &ins, &d, &i.segments);
                    check_row(&INSPECTIONS, &irow);
                    check_row(&FINDINGS, &frows[0]);
                    // The time span comes from the segment when the finding has none.
                    assert_eq!(frows[0][9], Val::Real(0.0));
                    assert_eq!(frows[0][10], Val::Real(2.0));
                    row
                }
            };
            check_row(RecordKind::of(&r).table(), &row);
        }
        let rej = crate::Reject {
            file: "f".into(),
            line: 1,
            field: String::new(),
            reason: "r".into(),
            raw: "x".into(),
        };
        check_row(&REJECTS, &reject_row(&rej, now));
    }
}
