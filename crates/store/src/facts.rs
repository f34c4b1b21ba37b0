//! Derived data for the web application, maintained by the write path in the same transaction
//! as the records: one row of facts per interaction (`web_facts`, whose covering indexes serve
//! the list) and daily rollups (`roll_int`, `roll_cat`, `roll_hour`, their agent-free
//! `roll_day_*` twins and their client-free `roll_agent_*` twins).
//!
//! Invariant: the rollups are exactly the sum of what [`Deltas::add`] derives from the stored
//! facts rows ([`INT_EXPRS`] is the same derivation in SQL, for the dashboard's exact path;
//! the store suite checks that both agree). Every change of an interaction, its inspection or
//! its case's stage replaces facts rows, subtracting what the old row contributed and adding
//! what the new one contributes, so the rollups stay exact under updates and re-inspection.
//! [`rebuild`] derives everything again from the records (on the first open of a store written
//! before these tables existed, or after [`FACTS_VERSION`] changes).

use std::collections::HashMap;

use zhijian_domain::{BUILTIN_CATEGORIES, Channel, Interaction, Outcome};

use crate::conn::Conn;
use crate::model::{ColType, OnConflict, Row, Table, TzCache, Val};
use crate::web::{CategoryClass, category_class};
use crate::{Inspection, StoreError};

/// The version of the derivation below. A store whose `web_meta.facts` differs is rebuilt on
/// open; bump it when what is derived changes (e.g. the category classes).
pub(crate) const FACTS_VERSION: &str = "1";

/// The (category, level) pairs of an interaction's findings, as two bitmaps `cat_lo`, `cat_hi`
/// (so the list tests "a finding of category c at level l" on its covering indexes): built-in
/// category `i` (of `BUILTIN_CATEGORIES`) at level `l` is bit `4 × (i mod 14) + l − 1` of
/// `cat_lo` for `i < 14`, of `cat_hi` for `14 ≤ i < 28`; any other category at level `l` is
/// bit `56 + l − 1` of `cat_hi` (the list then checks the findings themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CatBits {
    /// Bits of `cat_lo`.
    Lo(i64),
    /// Bits of `cat_hi`.
    Hi(i64),
    /// Bits of `cat_hi`, for categories that have none of their own (check the findings).
    Other(i64),
}

const BUILTIN_BITS: usize = 28;

/// The bits of a category at `level` (1–4), or at any level.
pub(crate) fn cat_bits(category: &str, level: Option<u8>) -> CatBits {
    let levels = match level {
        Some(l) => 1i64 << (l.clamp(1, 4) - 1),
        None => 0xF,
    };
    match BUILTIN_CATEGORIES
        .iter()
        .position(|(n, _, _)| *n == category)
        .filter(|&i| i < BUILTIN_BITS)
    {
        Some(i) if i < 14 => CatBits::Lo(levels << (4 * i)),
        Some(i) => CatBits::Hi(levels << (4 * (i - 14))),
        None => CatBits::Other(levels << 56),
    }
}

/// `(cat_lo mask, cat_hi mask)` of "a finding at level `level`", any category.
pub(crate) fn level_bits(level: u8) -> (i64, i64) {
    let one = 1i64 << (level.clamp(1, 4) - 1);
    let lo = (0..14).fold(0, |m, i| m | one << (4 * i));
    (lo, lo | one << 56)
}

/// The flags bits.
pub(crate) const INSPECTED: i64 = 1;
pub(crate) const PASSED: i64 = 2;
pub(crate) const WITH_FINDINGS: i64 = 4;

use ColType::{Int, Real, Text};

pub(crate) const WEB_FACTS: Table = Table {
    name: "web_facts",
    cols: &[
        ("id", Text),
        ("started_at", Int),
        ("local_date", Text),
        ("local_hour", Int),
        ("agent_id", Text),
        ("client", Text),
        ("kind", Text),
        ("own_stage", Text),
        ("stage", Text),
        ("connected", Int),
        ("recording", Int),
        ("flags", Int),
        ("score", Real),
        ("cat_lo", Int),
        ("cat_hi", Int),
        ("n_findings", Int),
        ("n_compliance", Int),
        ("n_service", Int),
        ("findings", Text),
    ],
    key: "id",
};

pub(crate) const ROLL_INT: Table = Table {
    name: "roll_int",
    cols: &[
        ("local_date", Text),
        ("agent_id", Text),
        ("client", Text),
        ("stage", Text),
        ("interactions", Int),
        ("calls", Int),
        ("sms", Int),
        ("visits", Int),
        ("notes", Int),
        ("connected_calls", Int),
        ("recordings", Int),
        ("inspected", Int),
        ("failed", Int),
        ("with_findings", Int),
        ("findings", Int),
        ("compliance_findings", Int),
        ("service_findings", Int),
        ("compliance_hit", Int),
        ("service_hit", Int),
    ],
    key: "local_date, agent_id, client, stage",
};

pub(crate) const ROLL_DAY_INT: Table = Table {
    name: "roll_day_int",
    cols: &[
        ("local_date", Text),
        ("client", Text),
        ("stage", Text),
        ("interactions", Int),
        ("calls", Int),
        ("sms", Int),
        ("visits", Int),
        ("notes", Int),
        ("connected_calls", Int),
        ("recordings", Int),
        ("inspected", Int),
        ("failed", Int),
        ("with_findings", Int),
        ("findings", Int),
        ("compliance_findings", Int),
        ("service_findings", Int),
        ("compliance_hit", Int),
        ("service_hit", Int),
    ],
    key: "local_date, client, stage",
};

/// `roll_int` summed over clients and stages: the counters of the dashboard's rows by agent.
pub(crate) const ROLL_AGENT_INT: Table = Table {
    name: "roll_agent_int",
    cols: &[
        ("local_date", Text),
        ("agent_id", Text),
        ("interactions", Int),
        ("calls", Int),
        ("sms", Int),
        ("visits", Int),
        ("notes", Int),
        ("connected_calls", Int),
        ("recordings", Int),
        ("inspected", Int),
        ("failed", Int),
        ("with_findings", Int),
        ("findings", Int),
        ("compliance_findings", Int),
        ("service_findings", Int),
        ("compliance_hit", Int),
        ("service_hit", Int),
    ],
    key: "local_date, agent_id",
};

/// `roll_cat` summed over clients, levels and rules: the categories of the rows by agent.
pub(crate) const ROLL_AGENT_CAT: Table = Table {
    name: "roll_agent_cat",
    cols: &[
        ("local_date", Text),
        ("agent_id", Text),
        ("category", Text),
        ("n", Int),
    ],
    key: "local_date, agent_id, category",
};

pub(crate) const ROLL_DAY_CAT: Table = Table {
    name: "roll_day_cat",
    cols: &[
        ("local_date", Text),
        ("client", Text),
        ("category", Text),
        ("level", Int),
        ("n", Int),
    ],
    key: "local_date, client, category, level",
};

pub(crate) const ROLL_DAY_HOUR: Table = Table {
    name: "roll_day_hour",
    cols: &[
        ("local_date", Text),
        ("local_hour", Int),
        ("client", Text),
        ("interactions", Int),
        ("findings", Int),
    ],
    key: "local_date, local_hour, client",
};

pub(crate) const ROLL_CAT: Table = Table {
    name: "roll_cat",
    cols: &[
        ("local_date", Text),
        ("agent_id", Text),
        ("client", Text),
        ("category", Text),
        ("level", Int),
        ("rule", Text),
        ("n", Int),
    ],
    key: "local_date, agent_id, client, category, level, rule",
};

pub(crate) const ROLL_HOUR: Table = Table {
    name: "roll_hour",
    cols: &[
        ("local_date", Text),
        ("local_hour", Int),
        ("agent_id", Text),
        ("client", Text),
        ("interactions", Int),
        ("findings", Int),
    ],
    key: "local_date, local_hour, agent_id, client",
};

/// What the current inspection contributes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InsFacts {
    pub passed: bool,
    pub score: f64,
    /// `(rule, category, level)` of each finding, in order.
    pub findings: Vec<(String, String, u8)>,
}

impl InsFacts {
    pub fn of(ins: &Inspection) -> InsFacts {
        InsFacts {
            passed: ins.result.passed,
            score: ins.result.score,
            findings: ins
                .result
                .findings
                .iter()
                .map(|f| (f.rule.clone(), f.category.0.clone(), f.level.get()))
                .collect(),
        }
    }
}

/// One interaction as the web read models see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Facts {
    pub id: String,
    pub started_at: i64,
    pub local_date: String,
    pub local_hour: i64,
    pub agent_id: String,
    pub client: String,
    pub kind: String,
    /// The interaction's own `case.stage`.
    pub own_stage: Option<String>,
    /// The effective stage: the case record's, else `own_stage`, else empty.
    pub stage: String,
    /// A connected call.
    pub connected: bool,
    /// A call with a recording.
    pub recording: bool,
    pub inspection: Option<InsFacts>,
}

/// The effective stage of an interaction: its case record's, else its own.
pub(crate) fn effective_stage(case_stage: Option<&str>, own: Option<&str>) -> String {
    case_stage
        .filter(|s| !s.is_empty())
        .or(own)
        .unwrap_or("")
        .to_string()
}

impl Facts {
    /// The facts of an interaction being written, with its inspection (if it has one after the
    /// write) and its case's stage (`case_stage`: the case record's, if stored).
    pub fn of(
        i: &Interaction,
        ins: Option<&Inspection>,
        case_stage: Option<&str>,
        tz: &mut TzCache,
    ) -> Facts {
        let local = tz.local(i);
        let own_stage = i.case.as_ref().and_then(|c| c.stage.clone());
        let call = i.kind == Channel::Call;
        Facts {
            id: i.id.clone(),
            started_at: i.started_at.as_millisecond(),
            local_date: local.date,
            local_hour: local.hour,
            agent_id: i.agent_id.clone(),
            client: i.client.clone(),
            kind: i.kind.as_str().to_string(),
            stage: effective_stage(case_stage, own_stage.as_deref()),
            own_stage,
            connected: call && connected(i.outcome, !i.segments.is_empty()),
            recording: call && i.recording.is_some(),
            inspection: ins.map(InsFacts::of),
        }
    }

    pub fn flags(&self) -> i64 {
        match &self.inspection {
            None => 0,
            Some(ins) => {
                INSPECTED
                    | if ins.passed { PASSED } else { 0 }
                    | if ins.findings.is_empty() {
                        0
                    } else {
                        WITH_FINDINGS
                    }
            }
        }
    }

    fn findings(&self) -> &[(String, String, u8)] {
        self.inspection.as_ref().map_or(&[], |i| &i.findings)
    }

    /// `(cat_lo, cat_hi)`: see [`cat_bits`].
    pub fn cat_bits(&self) -> (i64, i64) {
        self.findings()
            .iter()
            .fold((0, 0), |(lo, hi), (_, c, l)| match cat_bits(c, Some(*l)) {
                CatBits::Lo(b) => (lo | b, hi),
                CatBits::Hi(b) | CatBits::Other(b) => (lo, hi | b),
            })
    }

    fn count_class(&self, class: CategoryClass) -> i64 {
        self.findings()
            .iter()
            .filter(|(_, c, _)| category_class(c) == class)
            .count() as i64
    }

    pub fn row(&self) -> Row {
        let findings: Vec<(&str, &str, u8)> = self
            .findings()
            .iter()
            .map(|(r, c, l)| (r.as_str(), c.as_str(), *l))
            .collect();
        vec![
            self.id.as_str().into(),
            self.started_at.into(),
            self.local_date.as_str().into(),
            self.local_hour.into(),
            self.agent_id.as_str().into(),
            self.client.as_str().into(),
            self.kind.as_str().into(),
            self.own_stage.as_deref().into(),
            self.stage.as_str().into(),
            i64::from(self.connected).into(),
            i64::from(self.recording).into(),
            self.flags().into(),
            self.inspection.as_ref().map(|i| i.score).into(),
            self.cat_bits().0.into(),
            self.cat_bits().1.into(),
            (self.findings().len() as i64).into(),
            self.count_class(CategoryClass::Compliance).into(),
            self.count_class(CategoryClass::Service).into(),
            serde_json::to_string(&findings)
                .unwrap_or_else(|_| "[]".into())
                .into(),
        ]
    }

    /// Read back a row of [`WEB_FACTS`] (as selected by [`FACTS_COLUMNS`]).
    pub fn from_row(mut r: Row) -> Result<Facts, StoreError> {
        let flags = r[11].int();
        let inspection = if flags & INSPECTED != 0 {
            let findings: Vec<(String, String, u8)> =
                serde_json::from_str(&r[18].text()).map_err(|e| StoreError::Corrupt {
                    what: format!("web facts of `{}`", r[0].text()),
                    reason: e.to_string(),
                })?;
            Some(InsFacts {
                passed: flags & PASSED != 0,
                score: r[12].real().unwrap_or(0.0),
                findings,
            })
        } else {
            None
        };
        Ok(Facts {
            id: r[0].take_text(),
            started_at: r[1].int(),
            local_date: r[2].take_text(),
            local_hour: r[3].int(),
            agent_id: r[4].take_text(),
            client: r[5].take_text(),
            kind: r[6].take_text(),
            own_stage: r[7].take_opt_text(),
            stage: r[8].take_text(),
            connected: r[9].int() != 0,
            recording: r[10].int() != 0,
            inspection,
        })
    }
}

/// A call is connected when its outcome says so, or when it has no outcome but a transcript
/// (as `Interaction::is_connected`).
pub(crate) fn connected(outcome: Option<Outcome>, has_segments: bool) -> bool {
    match outcome {
        Some(o) => o == Outcome::Connected,
        None => has_segments,
    }
}

/// The columns of [`WEB_FACTS`] as [`Facts::from_row`] reads them (PostgreSQL: all BIGINT).
pub(crate) const FACTS_COLUMNS: &str = "id, started_at, local_date, local_hour, agent_id, client, \
     kind, own_stage, stage, connected, recording, flags, score, cat_lo, cat_hi, n_findings, \
     n_compliance, n_service, findings";

pub(crate) const FACTS_TYPES: [ColType; 19] = [
    Text, Int, Text, Int, Text, Text, Text, Text, Text, Int, Int, Int, Real, Int, Int, Int, Int,
    Int, Text,
];

/// The stored facts of these interactions.
pub(crate) async fn load(
    conn: &mut Conn<'_>,
    ids: &[&str],
) -> Result<HashMap<String, Facts>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    for chunk in ids.chunks(5_000) {
        let mut q = conn.q(&format!("SELECT {FACTS_COLUMNS} FROM web_facts WHERE "));
        q.in_list("id", chunk);
        for r in conn.fetch(&q, &FACTS_TYPES, "web facts").await? {
            let f = Facts::from_row(r)?;
            out.insert(f.id.clone(), f);
        }
    }
    Ok(out)
}

/// The stored stage of these cases (`None`: stored without a stage; absent: not stored).
pub(crate) async fn case_stages(
    conn: &mut Conn<'_>,
    case_ids: &[String],
) -> Result<HashMap<String, Option<String>>, StoreError> {
    let mut out = HashMap::new();
    if case_ids.is_empty() {
        return Ok(out);
    }
    // From the covering index alone (SQLite would rather take the primary key and the row).
    let hint = if conn.pg() {
        ""
    } else {
        " INDEXED BY cases_stage"
    };
    for chunk in case_ids.chunks(5_000) {
        let mut q = conn.q(&format!("SELECT id, stage FROM cases{hint} WHERE "));
        q.in_list("id", chunk);
        for mut r in conn.fetch(&q, &[Text, Text], "case stages").await? {
            out.insert(r[0].take_text(), r[1].take_opt_text());
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The derivation, in SQL

/// The counters of `roll_int` / `roll_day_int` and what each adds for a facts row (alias `p`),
/// in SQL: the exact dashboard path groups facts rows with these ([`Deltas::add`] is the same
/// in Rust).
pub(crate) const INT_EXPRS: [(&str, &str); 15] = [
    ("interactions", "1"),
    ("calls", "CASE WHEN p.kind = 'call' THEN 1 ELSE 0 END"),
    ("sms", "CASE WHEN p.kind = 'sms' THEN 1 ELSE 0 END"),
    ("visits", "CASE WHEN p.kind = 'visit' THEN 1 ELSE 0 END"),
    ("notes", "CASE WHEN p.kind = 'note' THEN 1 ELSE 0 END"),
    ("connected_calls", "p.connected"),
    ("recordings", "p.recording"),
    ("inspected", "(p.flags & 1)"),
    ("failed", "CASE WHEN (p.flags & 3) = 1 THEN 1 ELSE 0 END"),
    (
        "with_findings",
        "CASE WHEN (p.flags & 4) <> 0 THEN 1 ELSE 0 END",
    ),
    ("findings", "p.n_findings"),
    ("compliance_findings", "p.n_compliance"),
    ("service_findings", "p.n_service"),
    (
        "compliance_hit",
        "CASE WHEN (p.flags & 1) <> 0 AND p.n_compliance > 0 THEN 1 ELSE 0 END",
    ),
    (
        "service_hit",
        "CASE WHEN p.connected <> 0 AND p.n_service > 0 THEN 1 ELSE 0 END",
    ),
];

/// `CAST({sign} * SUM(expr) AS BIGINT)` for each counter.
pub(crate) fn int_sums(sign: i64, only: Option<&[usize]>) -> String {
    INT_EXPRS
        .iter()
        .enumerate()
        .filter(|(k, _)| only.is_none_or(|o| o.contains(k)))
        .map(|(_, (_, e))| format!("CAST({sign} * SUM({e}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The findings of a facts row `p` as rows `f` with columns `rule`, `category`, `level`:
/// `(join, rule, category, level)` SQL for the backend.
pub(crate) fn findings_join(pg: bool) -> (&'static str, &'static str, &'static str, &'static str) {
    if pg {
        (
            " CROSS JOIN LATERAL jsonb_array_elements(p.findings::jsonb) AS f(v)",
            "(f.v->>0)",
            "(f.v->>1)",
            "CAST(f.v->>2 AS BIGINT)",
        )
    } else {
        (
            ", json_each(p.findings) AS f",
            "(f.value->>0)",
            "(f.value->>1)",
            "CAST(f.value->>2 AS INTEGER)",
        )
    }
}

/// Rollup changes, summed by key before they are written (one upsert per key).
#[derive(Default)]
pub(crate) struct Deltas {
    /// (local_date, agent_id, client, stage) → the counters of [`INT_EXPRS`]
    int: HashMap<(String, String, String, String), [i64; 15]>,
    /// (local_date, agent_id, client, category, level, rule) → findings
    cat: HashMap<(String, String, String, String, u8, String), i64>,
    /// (local_date, local_hour, agent_id, client) → (interactions, findings)
    hour: HashMap<(String, i64, String, String), [i64; 2]>,
}

impl Deltas {
    /// Add (`sign` 1) or subtract (`sign` -1) what one facts row contributes: the Rust twin of
    /// [`INT_EXPRS`] (the exact dashboard path), which the store suite checks against it.
    pub fn add(&mut self, f: &Facts, sign: i64) {
        let ins = f.inspection.as_ref();
        let findings = f.findings();
        let n = findings.len() as i64;
        let compliance = f.count_class(CategoryClass::Compliance);
        let service = f.count_class(CategoryClass::Service);
        let inspected = ins.is_some();
        let c = [
            1,
            i64::from(f.kind == "call"),
            i64::from(f.kind == "sms"),
            i64::from(f.kind == "visit"),
            i64::from(f.kind == "note"),
            i64::from(f.connected),
            i64::from(f.recording),
            i64::from(inspected),
            i64::from(ins.is_some_and(|i| !i.passed)),
            i64::from(n > 0),
            n,
            compliance,
            service,
            i64::from(inspected && compliance > 0),
            i64::from(f.connected && service > 0),
        ];
        let e = self
            .int
            .entry((
                f.local_date.clone(),
                f.agent_id.clone(),
                f.client.clone(),
                f.stage.clone(),
            ))
            .or_default();
        for (a, b) in e.iter_mut().zip(c) {
            *a += sign * b;
        }
        let h = self
            .hour
            .entry((
                f.local_date.clone(),
                f.local_hour,
                f.agent_id.clone(),
                f.client.clone(),
            ))
            .or_default();
        h[0] += sign;
        h[1] += sign * n;
        for (rule, cat, level) in findings {
            *self
                .cat
                .entry((
                    f.local_date.clone(),
                    f.agent_id.clone(),
                    f.client.clone(),
                    cat.clone(),
                    *level,
                    rule.clone(),
                ))
                .or_default() += sign;
        }
    }

    /// Add the changes to the rollup tables (keys whose change is zero are skipped), the
    /// agent-free day tables summed from the same changes.
    pub async fn write(self, conn: &mut Conn<'_>) -> Result<(), StoreError> {
        fn add<const N: usize>(e: &mut [i64; N], v: &[i64; N]) {
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
        let mut day_int: HashMap<(&str, &str, &str), [i64; 15]> = HashMap::new();
        let mut agent_int: HashMap<(&str, &str), [i64; 15]> = HashMap::new();
        for ((d, a, c, s), v) in &self.int {
            add(day_int.entry((d, c, s)).or_default(), v);
            add(agent_int.entry((d, a)).or_default(), v);
        }
        let mut day_cat: HashMap<(&str, &str, &str, u8), i64> = HashMap::new();
        let mut agent_cat: HashMap<(&str, &str, &str), i64> = HashMap::new();
        for ((d, a, c, g, l, _), n) in &self.cat {
            *day_cat.entry((d, c, g, *l)).or_default() += n;
            *agent_cat.entry((d, a, g)).or_default() += n;
        }
        let mut day_hour: HashMap<(&str, i64, &str), [i64; 2]> = HashMap::new();
        for ((d, h, _, c), v) in &self.hour {
            add(day_hour.entry((d, *h, c)).or_default(), v);
        }
        let counters = |mut r: Row, v: [i64; 15]| {
            r.extend(v.into_iter().map(Val::Int));
            r
        };

        let rows = day_int
            .into_iter()
            .map(|((d, c, s), v)| counters(vec![d.into(), c.into(), s.into()], v));
        accumulate(conn, &ROLL_DAY_INT, rows).await?;
        let rows = day_cat.into_iter().map(|((d, c, g, l), n)| {
            vec![d.into(), c.into(), g.into(), i64::from(l).into(), n.into()]
        });
        accumulate(conn, &ROLL_DAY_CAT, rows).await?;
        let rows = day_hour
            .into_iter()
            .map(|((d, h, c), v)| vec![d.into(), h.into(), c.into(), v[0].into(), v[1].into()]);
        accumulate(conn, &ROLL_DAY_HOUR, rows).await?;
        let rows = agent_int
            .into_iter()
            .map(|((d, a), v)| counters(vec![d.into(), a.into()], v));
        accumulate(conn, &ROLL_AGENT_INT, rows).await?;
        let rows = agent_cat
            .into_iter()
            .map(|((d, a, g), n)| vec![d.into(), a.into(), g.into(), n.into()]);
        accumulate(conn, &ROLL_AGENT_CAT, rows).await?;
        let rows = self
            .int
            .into_iter()
            .map(|((d, a, c, s), v)| counters(vec![d.into(), a.into(), c.into(), s.into()], v));
        accumulate(conn, &ROLL_INT, rows).await?;
        let rows = self.cat.into_iter().map(|((d, a, c, g, l, r), n)| {
            let l = i64::from(l);
            vec![
                d.into(),
                a.into(),
                c.into(),
                g.into(),
                l.into(),
                r.into(),
                n.into(),
            ]
        });
        accumulate(conn, &ROLL_CAT, rows).await?;
        let rows = self.hour.into_iter().map(|((d, h, a, c), v)| {
            vec![
                d.into(),
                h.into(),
                a.into(),
                c.into(),
                v[0].into(),
                v[1].into(),
            ]
        });
        accumulate(conn, &ROLL_HOUR, rows).await?;
        Ok(())
    }
}

/// Add rollup rows (key columns first, then counters) to their table, skipping rows whose
/// counters are all zero, in key order.
async fn accumulate(
    conn: &mut Conn<'_>,
    t: &Table,
    rows: impl Iterator<Item = Row>,
) -> Result<(), StoreError> {
    let key = t.key.split(',').count();
    let mut rows: Vec<Row> = rows
        .filter(|r| r[key..].iter().any(|v| !matches!(v, Val::Int(0))))
        .collect();
    sort_rows(&mut rows, key);
    conn.insert(t, rows.into_iter(), OnConflict::Accumulate)
        .await?;
    Ok(())
}

/// Sort rows by their first `key` values (inserts in key order touch each page once).
fn sort_rows(rows: &mut [Row], key: usize) {
    fn cmp(a: &Val, b: &Val) -> std::cmp::Ordering {
        match (a, b) {
            (Val::Int(x), Val::Int(y)) => x.cmp(y),
            (Val::Text(x), Val::Text(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        }
    }
    rows.sort_unstable_by(|a, b| {
        a[..key]
            .iter()
            .zip(&b[..key])
            .map(|(x, y)| cmp(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// Replace facts rows: `old` (as stored; absent for new interactions) by `new`, with their
/// rollup contributions, inside the caller's transaction.
pub(crate) async fn replace(
    conn: &mut Conn<'_>,
    old: &HashMap<String, Facts>,
    new: &[Facts],
) -> Result<(), StoreError> {
    let mut deltas = Deltas::default();
    let mut changed: Vec<&Facts> = Vec::with_capacity(new.len());
    let mut updating = false;
    for f in new {
        match old.get(&f.id) {
            Some(o) if o == f => continue,
            Some(o) => {
                deltas.add(o, -1);
                updating = true;
            }
            None => {}
        }
        deltas.add(f, 1);
        changed.push(f);
    }
    if changed.is_empty() {
        return Ok(());
    }
    let on = if updating {
        OnConflict::Update
    } else {
        OnConflict::Fail
    };
    conn.insert(&WEB_FACTS, changed.iter().map(|f| f.row()), on)
        .await?;
    deltas.write(conn).await
}

/// Cases whose records were inserted or updated: give their stored interactions the case's
/// stage (where it changes the effective stage), inside the caller's transaction.
pub(crate) async fn restage(
    conn: &mut Conn<'_>,
    stages: &HashMap<String, Option<String>>,
) -> Result<(), StoreError> {
    if stages.is_empty() {
        return Ok(());
    }
    let case_ids: Vec<String> = stages.keys().cloned().collect();
    let mut of_case: HashMap<String, String> = HashMap::new();
    for chunk in case_ids.chunks(5_000) {
        let mut q = conn.q("SELECT id, case_id FROM interactions WHERE ");
        q.in_list("case_id", chunk);
        for mut r in conn
            .fetch(&q, &[Text, Text], "interactions of cases")
            .await?
        {
            let id = r[0].take_text();
            of_case.insert(id, r[1].take_text());
        }
    }
    if of_case.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = of_case.keys().map(String::as_str).collect();
    let old = load(conn, &ids).await?;
    let mut new = Vec::new();
    for (id, f) in &old {
        let stage = stages.get(&of_case[id]).and_then(|s| s.as_deref());
        let s = effective_stage(stage, f.own_stage.as_deref());
        if s != f.stage {
            let mut g = f.clone();
            g.stage = s;
            new.push(g);
        }
    }
    new.sort_by(|a, b| a.id.cmp(&b.id));
    replace(conn, &old, &new).await
}

/// Derive every facts row, pair and rollup again from the stored records, inside the caller's
/// write transaction, and record [`FACTS_VERSION`].
pub(crate) async fn rebuild(conn: &mut Conn<'_>) -> Result<(), StoreError> {
    for t in [
        "web_facts",
        "roll_int",
        "roll_cat",
        "roll_hour",
        "roll_day_int",
        "roll_day_cat",
        "roll_day_hour",
        "roll_agent_int",
        "roll_agent_cat",
    ] {
        let q = conn.q(&format!("DELETE FROM {t}"));
        conn.exec(&q, "clear derived tables").await?;
    }
    let own_stage = if conn.pg() {
        "(i.body::jsonb #>> '{case,stage}')"
    } else {
        "json_extract(i.body, '$.case.stage')"
    };
    let mut deltas = Deltas::default();
    let mut after = String::new();
    loop {
        let mut q = conn.q(&format!(
            "SELECT i.id, i.started_at, i.local_date, CAST(i.local_hour AS BIGINT), i.agent_id, \
             i.client, i.kind, {own_stage}, c.stage, i.outcome, CAST(i.segment_count AS BIGINT), \
             CAST(CASE WHEN i.recording IS NULL THEN 0 ELSE 1 END AS BIGINT), \
             CAST(CASE WHEN n.interaction_id IS NULL THEN 0 ELSE 1 END AS BIGINT), \
             CAST(CASE WHEN n.passed THEN 1 ELSE 0 END AS BIGINT), n.score \
             FROM interactions i LEFT JOIN inspections n ON n.interaction_id = i.id \
             LEFT JOIN cases c ON c.id = i.case_id WHERE i.id > "
        ));
        q.arg(after.as_str()).sql(" ORDER BY i.id LIMIT 5000");
        let rows = conn
            .fetch(
                &q,
                &[
                    Text, Int, Text, Int, Text, Text, Text, Text, Text, Text, Int, Int, Int, Int,
                    Real,
                ],
                "rebuild: interactions",
            )
            .await?;
        let Some(last) = rows.last() else { break };
        let first = rows[0][0].text();
        after = last[0].text();
        // The findings of this page, in order.
        let mut q = conn.q(
            "SELECT interaction_id, rule, category, CAST(level AS BIGINT) FROM findings \
             WHERE interaction_id >= ",
        );
        q.arg(first.as_str())
            .sql(" AND interaction_id <= ")
            .arg(after.as_str())
            .sql(" ORDER BY interaction_id, ord");
        let mut findings: HashMap<String, Vec<(String, String, u8)>> = HashMap::new();
        for mut r in conn
            .fetch(&q, &[Text, Text, Text, Int], "rebuild: findings")
            .await?
        {
            let level = u8::try_from(r[3].int()).unwrap_or(0);
            let (rule, cat) = (r[1].take_text(), r[2].take_text());
            findings
                .entry(r[0].take_text())
                .or_default()
                .push((rule, cat, level));
        }
        let mut facts = Vec::with_capacity(rows.len());
        for mut r in rows {
            let id = r[0].take_text();
            let kind = r[6].take_text();
            let call = kind == "call";
            let outcome: Option<Outcome> = r[9]
                .as_text()
                .and_then(|o| serde_json::from_value(serde_json::Value::String(o)).ok());
            let own_stage = r[7].take_opt_text();
            let inspection = (r[12].int() != 0).then(|| InsFacts {
                passed: r[13].int() != 0,
                score: r[14].real().unwrap_or(0.0),
                findings: findings.remove(&id).unwrap_or_default(),
            });
            facts.push(Facts {
                started_at: r[1].int(),
                local_date: r[2].take_text(),
                local_hour: r[3].int(),
                agent_id: r[4].take_text(),
                client: r[5].take_text(),
                stage: effective_stage(r[8].as_text().as_deref(), own_stage.as_deref()),
                own_stage,
                connected: call && connected(outcome, r[10].int() > 0),
                recording: call && r[11].int() != 0,
                kind,
                inspection,
                id,
            });
        }
        for f in &facts {
            deltas.add(f, 1);
        }
        conn.insert(&WEB_FACTS, facts.iter().map(Facts::row), OnConflict::Fail)
            .await?;
    }
    deltas.write(conn).await?;
    let mut q = conn.q("INSERT INTO web_meta (key, value) VALUES ('facts', ");
    q.arg(FACTS_VERSION)
        .sql(") ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    conn.exec(&q, "web meta").await?;
    Ok(())
}

/// Whether the derived tables are current (else [`rebuild`] is due).
pub(crate) async fn current(conn: &mut Conn<'_>) -> Result<bool, StoreError> {
    let q = conn.q("SELECT value FROM web_meta WHERE key = 'facts'");
    let rows = conn.fetch(&q, &[Text], "web meta").await?;
    Ok(rows.first().map(|r| r[0].text()).as_deref() == Some(FACTS_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_bits_fit() {
        assert_eq!(cat_bits("abuse", Some(1)), CatBits::Lo(1));
        assert_eq!(cat_bits("abuse", None), CatBits::Lo(0xF));
        assert_eq!(cat_bits("threat", Some(4)), CatBits::Lo(0b1000 << 4));
        assert_eq!(cat_bits("my_own", Some(2)), CatBits::Other(2 << 56));
        // Every built-in category has bits of its own, in 56 bits of a column.
        assert!(BUILTIN_CATEGORIES.len() <= BUILTIN_BITS);
        let mut seen = (0i64, 0i64);
        for (c, _, _) in BUILTIN_CATEGORIES {
            for l in 1..=4 {
                match cat_bits(c, Some(l)) {
                    CatBits::Lo(b) => {
                        assert_eq!(seen.0 & b, 0);
                        seen.0 |= b;
                    }
                    CatBits::Hi(b) => {
                        assert_eq!(seen.1 & b, 0);
                        seen.1 |= b;
                    }
                    CatBits::Other(_) => panic!("{c}"),
                }
            }
        }
        assert!(seen.0 < 1 << 56 && seen.1 < 1 << 56);
        let (lo, hi) = level_bits(4);
        assert_eq!(lo & (0xF << 4), 0b1000 << 4);
        assert_eq!(hi >> 56, 0b1000);
        for t in [
            &WEB_FACTS,
            &ROLL_INT,
            &ROLL_CAT,
            &ROLL_HOUR,
            &ROLL_DAY_INT,
            &ROLL_DAY_CAT,
            &ROLL_DAY_HOUR,
            &ROLL_AGENT_INT,
            &ROLL_AGENT_CAT,
        ] {
            for k in t.key.split(',') {
                assert!(t.cols.iter().any(|(c, _)| *c == k.trim()), "{}", t.name);
            }
        }
        let cols: Vec<&str> = ROLL_INT.cols[4..].iter().map(|c| c.0).collect();
        assert_eq!(cols, INT_EXPRS.map(|(c, _)| c));
        let cols: Vec<&str> = ROLL_DAY_INT.cols[3..].iter().map(|c| c.0).collect();
        assert_eq!(cols, INT_EXPRS.map(|(c, _)| c));
        let cols: Vec<&str> = ROLL_AGENT_INT.cols[2..].iter().map(|c| c.0).collect();
        assert_eq!(cols, INT_EXPRS.map(|(c, _)| c));
        assert_eq!(FACTS_COLUMNS.split(", ").count(), WEB_FACTS.cols.len());
        for ((c, _), d) in WEB_FACTS.cols.iter().zip(FACTS_COLUMNS.split(", ")) {
            assert_eq!(*c, d.trim());
        }
    }
}
