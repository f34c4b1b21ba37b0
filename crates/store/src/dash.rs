//! The web read models, once for both backends: scope resolution, the interaction list (keyset
//! paging over the covering indexes of `web_facts`, or the findings' category index), the
//! interaction detail, the dashboard (from the daily rollups, or from the facts rows when a
//! filter needs single interactions) and rule hits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::tz::TimeZone;
use zhijian_domain::{Date, Timestamp};

use crate::conn::{Conn, decode_record};
use crate::facts::{self, CatBits};
use crate::model::{ColType, DEFAULT_TZ};
use crate::q::{Arg, Q};
use crate::web::{
    BreakdownRow, Breakdowns, Dashboard, DashboardFilter, Detail, DetailFinding, DetailInspection,
    Filter, HeatCell, Kpis, ListItem, ListPage, ParetoRow, Scope, Status, Targets, Tenure,
    TrendRow, UNKNOWN_KEY, category_class, category_title,
};
use crate::{StoreError, StoreError::BadCursor};

use ColType::{Int, Real, Text};

// ---------------------------------------------------------------------------------------------
// Agents and scope

/// An agent as the read models need it.
#[derive(Debug, Clone)]
pub(crate) struct AgentInfo {
    pub name: String,
    pub branch: String,
    pub team: String,
    pub region: Option<String>,
    pub hired_on: Option<String>,
}

pub(crate) async fn agents(conn: &mut Conn<'_>) -> Result<HashMap<String, AgentInfo>, StoreError> {
    let q = conn.q("SELECT id, name, branch, team, region, hired_on FROM agents");
    let rows = conn
        .fetch(&q, &[Text, Text, Text, Text, Text, Text], "agents")
        .await?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            (
                r[0].take_text(),
                AgentInfo {
                    name: r[1].take_text(),
                    branch: r[2].take_text(),
                    team: r[3].take_text(),
                    region: r[4].take_opt_text(),
                    hired_on: r[5].take_opt_text(),
                },
            )
        })
        .collect())
}

/// Scope and filter together: what an interaction must be to be shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    /// Nothing can match (a denied scope, a filter outside the scope, an empty range).
    pub nothing: bool,
    /// The agents allowed (sorted); `None`: any.
    pub agents: Option<Vec<String>>,
    pub client: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub level: Option<u8>,
    pub status: Option<Status>,
    pub score_min: Option<f64>,
    pub score_max: Option<f64>,
    /// Agents excluded (sorted; only when `agents` is `None`): those with a region or a hiring
    /// date when the filter asks for an `unknown` one (agents not in the table have none).
    pub not_agents: Vec<String>,
    /// `(agent, from, until)`: that agent's interactions only on local dates in `[from,
    /// until)` (`None`: unbounded), for tenure bands that begin or end within the range.
    pub windows: Vec<(String, Option<String>, Option<String>)>,
    pub weekday: Option<u8>,
    pub hour: Option<u8>,
    /// The effective stage (`''`: none).
    pub stage: Option<String>,
    /// A region or tenure is asked for: what has no agent (a complaint without one) matches
    /// nothing.
    pub agent_attr: bool,
}

/// Whether resolving needs the agents table (a branch, team, region or tenure in the scope or
/// the filter).
pub(crate) fn needs_agents(scope: &Scope, f: &Filter) -> bool {
    scope.branch.is_some()
        || scope.team.is_some()
        || f.branch.is_some()
        || f.team.is_some()
        || f.region.is_some()
        || f.tenure.is_some()
}

/// What a tenure band allows of an agent within the date range `[from, to]`.
enum Band {
    None,
    All,
    Window(Option<String>, Option<String>),
}

fn band_window(band: Tenure, hired_on: Option<&str>, from: Option<Date>, to: Option<Date>) -> Band {
    let th = hired_on
        .and_then(|h| h.parse::<Date>().ok())
        .and_then(crate::web::tenure_thresholds);
    let (lo, hi) = match (band, th) {
        (Tenure::Unknown, None) => return Band::All,
        (Tenure::Unknown, Some(_)) | (_, None) => return Band::None,
        (Tenure::Lt3, Some((t3, _))) => (None, Some(t3)),
        (Tenure::From3To12, Some((t3, t12))) => (Some(t3), Some(t12)),
        (Tenure::Gt12, Some((_, t12))) => (Some(t12), None),
    };
    // Empty within the range?
    if let (Some(hi), Some(from)) = (hi, from)
        && hi <= from
    {
        return Band::None;
    }
    if let (Some(lo), Some(to)) = (lo, to)
        && lo > to
    {
        return Band::None;
    }
    // The whole range?
    let lo_ok = lo.is_none_or(|lo| from.is_some_and(|f| lo <= f));
    let hi_ok = hi.is_none_or(|hi| to.is_some_and(|t| t < hi));
    if lo_ok && hi_ok {
        return Band::All;
    }
    Band::Window(
        lo.filter(|_| !lo_ok).map(|d| d.to_string()),
        hi.filter(|_| !hi_ok).map(|d| d.to_string()),
    )
}

pub(crate) fn resolve(scope: &Scope, f: &Filter, agents: &HashMap<String, AgentInfo>) -> Resolved {
    let mut set: Option<BTreeSet<String>> = None;
    let mut narrow = |s: BTreeSet<String>| {
        set = Some(match set.take() {
            None => s,
            Some(t) => t.intersection(&s).cloned().collect(),
        });
    };
    let in_org = |branch: &Option<String>, team: &Option<String>| -> BTreeSet<String> {
        agents
            .iter()
            .filter(|(_, a)| {
                branch.as_ref().is_none_or(|b| *b == a.branch)
                    && team.as_ref().is_none_or(|t| *t == a.team)
            })
            .map(|(id, _)| id.clone())
            .collect()
    };
    if scope.branch.is_some() || scope.team.is_some() {
        narrow(in_org(&scope.branch, &scope.team));
    }
    if let Some(a) = &scope.agent_id {
        narrow(BTreeSet::from([a.clone()]));
    }
    if f.branch.is_some() || f.team.is_some() {
        narrow(in_org(&f.branch, &f.team));
    }
    if let Some(a) = &f.agent_id {
        narrow(BTreeSet::from([a.clone()]));
    }
    // Region and tenure: the agents that have them (agents not in the table have neither), or
    // for `unknown`, every agent but those that have one.
    let mut not_agents: BTreeSet<String> = BTreeSet::new();
    if let Some(region) = &f.region {
        if region == UNKNOWN_KEY {
            not_agents.extend(
                agents
                    .iter()
                    .filter(|(_, a)| a.region.is_some())
                    .map(|(id, _)| id.clone()),
            );
        } else {
            narrow(
                agents
                    .iter()
                    .filter(|(_, a)| a.region.as_deref() == Some(region.as_str()))
                    .map(|(id, _)| id.clone())
                    .collect(),
            );
        }
    }
    let mut windows = Vec::new();
    if let Some(band) = f.tenure {
        if band == Tenure::Unknown {
            not_agents.extend(
                agents
                    .iter()
                    .filter(|(_, a)| {
                        !matches!(
                            band_window(band, a.hired_on.as_deref(), None, None),
                            Band::All
                        )
                    })
                    .map(|(id, _)| id.clone()),
            );
        } else {
            let mut with = BTreeSet::new();
            for (id, a) in agents {
                match band_window(band, a.hired_on.as_deref(), f.from, f.to) {
                    Band::None => {}
                    Band::All => {
                        with.insert(id.clone());
                    }
                    Band::Window(lo, hi) => {
                        with.insert(id.clone());
                        windows.push((id.clone(), lo, hi));
                    }
                }
            }
            narrow(with);
        }
    }
    if let Some(s) = set.as_mut() {
        s.retain(|a| !not_agents.contains(a));
        not_agents.clear();
        windows.retain(|(a, _, _)| s.contains(a));
    }
    windows.sort();
    let mut nothing = scope.deny;
    let client = match (&scope.client, &f.client) {
        (Some(a), Some(b)) if a != b => {
            nothing = true;
            Some(a.clone())
        }
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    if set.as_ref().is_some_and(BTreeSet::is_empty) {
        nothing = true;
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a > b
    {
        nothing = true;
    }
    if f.level.is_some_and(|l| !(1..=4).contains(&l)) {
        nothing = true;
    }
    Resolved {
        nothing,
        agents: set.map(|s| s.into_iter().collect()),
        client,
        from: f.from,
        to: f.to,
        kind: f.kind.clone(),
        category: f.category.clone(),
        level: f.level,
        status: f.status,
        score_min: f.score_min,
        score_max: f.score_max,
        not_agents: not_agents.into_iter().collect(),
        windows,
        weekday: f.weekday,
        hour: f.hour,
        stage: f.stage.as_ref().map(|s| {
            if s == UNKNOWN_KEY {
                String::new()
            } else {
                s.clone()
            }
        }),
        agent_attr: f.region.is_some() || f.tenure.is_some(),
    }
}

impl Resolved {
    fn allows(&self, agent_id: &str, client: Option<&str>) -> bool {
        !self.nothing
            && self.allows_agent(agent_id)
            && self.client.as_deref().is_none_or(|c| Some(c) == client)
    }

    /// Whether the agent's interactions may match (on some day: see `windows`).
    fn allows_agent(&self, agent_id: &str) -> bool {
        let find = |v: &[String]| v.binary_search_by(|x| x.as_str().cmp(agent_id)).is_ok();
        self.agents.as_deref().is_none_or(find) && !find(&self.not_agents)
    }

    /// Whether the agent's interactions of this local date may match.
    fn allows_agent_on(&self, agent_id: &str, date: &str) -> bool {
        self.allows_agent(agent_id)
            && self.windows.iter().all(|(a, lo, hi)| {
                a != agent_id
                    || (lo.as_deref().is_none_or(|lo| lo <= date)
                        && hi.as_deref().is_none_or(|hi| date < hi))
            })
    }

    /// Whether anything restricts the agents (the agent-free rollups cannot answer).
    fn agent_bound(&self) -> bool {
        self.agents.is_some() || !self.not_agents.is_empty() || !self.windows.is_empty()
    }

    /// `started_at` bounds (epoch ms, `[lo, hi)`) that contain every local date of the range
    /// in any time zone (UTC−12 … UTC+14, with an hour to spare).
    fn time_bounds(&self) -> (Option<i64>, Option<i64>) {
        const SLACK: i64 = 15 * 3_600_000;
        let day_ms = |d: Date| {
            d.to_zoned(TimeZone::UTC)
                .map(|z| z.timestamp().as_millisecond())
                .ok()
        };
        let lo = self.from.and_then(day_ms).map(|t| t - SLACK);
        let hi = self
            .to
            .and_then(|d| d.tomorrow().ok())
            .and_then(day_ms)
            .map(|t| t + SLACK);
        (lo, hi)
    }
}

/// What a driver's source already guarantees, so its predicate can be left out.
#[derive(Debug, Clone, Copy, Default)]
struct Implied {
    agents: bool,
    client: bool,
    kind: bool,
    category: bool,
}

/// The filter as SQL predicates over a table with the list's filter columns (`web_facts` or
/// `web_pairs`, alias `p`), each starting with ` AND`.
fn push_predicates(q: &mut Q, r: &Resolved, skip: Implied) {
    if let Some(d) = r.from {
        q.sql(" AND p.local_date >= ").arg(d.to_string());
    }
    if let Some(d) = r.to {
        q.sql(" AND p.local_date <= ").arg(d.to_string());
    }
    if !skip.agents
        && let Some(a) = &r.agents
    {
        q.sql(" AND ");
        q.in_list("p.agent_id", a);
    }
    push_agent_days(q, r);
    push_weekday(q, r);
    // A few agents (a team lead's): their index ranges hold fewer rows than one stage's or
    // hour's; SQLite, without statistics, would take `facts_stage` / `facts_hour` for the
    // equality. The unary `+` leaves those terms to be tested, not used to pick an index (the
    // list names its index; this is for the dashboard's facts-row path).
    let few_agents = !q.pg
        && r.agents
            .as_ref()
            .is_some_and(|a| a.len() <= MAX_AGENT_SOURCES);
    let plus = if few_agents { "+" } else { "" };
    if let Some(h) = r.hour {
        q.sql(&format!(" AND {plus}p.local_hour = "))
            .arg(i64::from(h));
    }
    if let Some(s) = &r.stage {
        q.sql(&format!(" AND {plus}p.stage = ")).arg(s.as_str());
    }
    if !skip.client
        && let Some(c) = &r.client
    {
        q.sql(" AND p.client = ").arg(c.as_str());
    }
    if !skip.kind
        && let Some(k) = &r.kind
    {
        q.sql(" AND p.kind = ").arg(k.as_str());
    }
    match r.status {
        None => {}
        Some(Status::Passed) => {
            q.sql(" AND (p.flags & 3) = 3");
        }
        Some(Status::Failed) => {
            q.sql(" AND (p.flags & 3) = 1");
        }
        Some(Status::WithFindings) => {
            q.sql(" AND (p.flags & 5) = 5");
        }
    }
    if let Some(s) = r.score_min {
        q.sql(" AND p.score >= ").arg(s);
    }
    if let Some(s) = r.score_max {
        q.sql(" AND p.score <= ").arg(s);
    }
    if skip.category {
        return;
    }
    match (&r.category, r.level) {
        (None, None) => {}
        (None, Some(l)) => {
            let (lo, hi) = facts::level_bits(l);
            q.sql(&format!(
                " AND ((p.cat_lo & {lo}) <> 0 OR (p.cat_hi & {hi}) <> 0)"
            ));
        }
        (Some(c), level) => match facts::cat_bits(c, level) {
            CatBits::Lo(b) => {
                q.sql(&format!(" AND (p.cat_lo & {b}) <> 0"));
            }
            CatBits::Hi(b) => {
                q.sql(&format!(" AND (p.cat_hi & {b}) <> 0"));
            }
            // A category without bits of its own: the bits say "some such category", the
            // findings say which.
            CatBits::Other(b) => {
                q.sql(&format!(
                    " AND (p.cat_hi & {b}) <> 0 AND EXISTS (SELECT 1 FROM findings fx \
                     WHERE fx.interaction_id = p.id AND fx.category = "
                ))
                .arg(c.as_str());
                if let Some(l) = level {
                    q.sql(" AND fx.level = ").arg(i64::from(l));
                }
                q.sql(")");
            }
        },
    }
}

/// The agents excluded and the agents' date windows (tenure), on a table with `agent_id` and
/// `local_date` (alias `p`).
fn push_agent_days(q: &mut Q, r: &Resolved) {
    if !r.not_agents.is_empty() {
        q.sql(" AND NOT (");
        q.in_list("p.agent_id", &r.not_agents);
        q.sql(")");
    }
    for (a, lo, hi) in &r.windows {
        q.sql(" AND (p.agent_id <> ")
            .arg(a.as_str())
            .sql(" OR (1 = 1");
        if let Some(lo) = lo {
            q.sql(" AND p.local_date >= ").arg(lo.as_str());
        }
        if let Some(hi) = hi {
            q.sql(" AND p.local_date < ").arg(hi.as_str());
        }
        q.sql("))");
    }
}

/// The weekday of `p.local_date` (0 = Monday).
fn push_weekday(q: &mut Q, r: &Resolved) {
    if let Some(w) = r.weekday {
        if q.pg {
            q.sql(" AND CAST(EXTRACT(ISODOW FROM CAST(p.local_date AS date)) AS BIGINT) - 1 = ");
        } else {
            q.sql(" AND (CAST(strftime('%w', p.local_date) AS INTEGER) + 6) % 7 = ");
        }
        q.arg(i64::from(w));
    }
}

// ---------------------------------------------------------------------------------------------
// Cursor

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let vals: Vec<u32> = s
        .bytes()
        .map(|c| B64.iter().position(|&b| b == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    for chunk in vals.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &v)| n | (v << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push(((n >> (16 - 8 * i)) & 255) as u8);
        }
    }
    Some(out)
}

/// The opaque cursor after `(started_at, id)`.
fn encode_cursor(started_at: i64, id: &str) -> String {
    b64(format!("1:{started_at}:{id}").as_bytes())
}

fn decode_cursor(c: &str) -> Result<(i64, String), StoreError> {
    let bad = || BadCursor(c.chars().take(64).collect());
    let raw = String::from_utf8(unb64(c).ok_or_else(bad)?).map_err(|_| bad())?;
    let rest = raw.strip_prefix("1:").ok_or_else(bad)?;
    let (t, id) = rest.split_once(':').ok_or_else(bad)?;
    Ok((t.parse().map_err(|_| bad())?, id.to_string()))
}

// ---------------------------------------------------------------------------------------------
// List

/// An index range that yields interactions newest first: every interaction, one agent's, one
/// client's, one channel's (not calls: they are most of everything), one effective stage's, one
/// local hour's, or those with a finding of one (category, level) (the findings' own index,
/// joined with the facts: for rare categories).
#[derive(Debug, Clone)]
enum Source {
    Time,
    Agent(String),
    Client(String),
    Kind(String),
    Stage(String),
    Hour(u8),
    Pair(String, u8),
}

impl Source {
    /// The columns that order this source: `(started_at, id)`.
    fn keys(&self) -> (&'static str, &'static str) {
        match self {
            Source::Pair(..) => ("fd.started_at", "fd.interaction_id"),
            _ => ("p.started_at", "p.id"),
        }
    }

    /// `SELECT {cols} FROM … WHERE <the source's range>` (without the time range); `join`: the
    /// facts row `p` is needed (the pair source reads it only for its predicates).
    fn select(&self, q: &mut Q, cols: &str, join: bool) {
        let pg = q.pg;
        let hint = |index: &str| {
            if pg {
                String::new()
            } else {
                format!(" INDEXED BY {index}")
            }
        };
        // Rows of `web_facts` with `column = arg`, read through `index` on SQLite.
        let mut eq = |index: &str, column: &str, arg: Arg| {
            let h = hint(index);
            q.sql(&format!(
                "SELECT {cols} FROM web_facts p{h} WHERE p.{column} = "
            ))
            .arg(arg);
        };
        match self {
            Source::Time => {
                let h = hint("facts_time");
                q.sql(&format!("SELECT {cols} FROM web_facts p{h} WHERE 1 = 1"));
            }
            Source::Agent(a) => eq("facts_agent", "agent_id", a.as_str().into()),
            Source::Client(c) => eq("facts_client", "client", c.as_str().into()),
            Source::Kind(k) => {
                // The literal term lets SQLite use the partial index.
                let h = hint("facts_kind");
                q.sql(&format!(
                    "SELECT {cols} FROM web_facts p{h} WHERE p.kind <> 'call' AND p.kind = "
                ))
                .arg(k.as_str());
            }
            Source::Stage(st) => eq("facts_stage", "stage", st.as_str().into()),
            Source::Hour(hr) => eq("facts_hour", "local_hour", i64::from(*hr).into()),
            Source::Pair(c, l) => {
                let h = hint("findings_category");
                // CROSS JOIN keeps the findings index the outer loop on SQLite.
                let j = if join { " CROSS JOIN web_facts p" } else { "" };
                q.sql(&format!("SELECT {cols} FROM findings fd{h}{j} WHERE "));
                if join {
                    q.sql("p.id = fd.interaction_id AND ");
                }
                q.sql("fd.category = ")
                    .arg(c.as_str())
                    .sql(" AND fd.level = ")
                    .arg(i64::from(*l));
            }
        }
    }

    /// Rows of this source cost this many times a row of a covering index.
    fn weight(&self) -> i64 {
        match self {
            Source::Pair(..) => 8,
            _ => 1,
        }
    }
}

/// A way to walk the matching interactions newest first: one or more sources, merged.
#[derive(Debug, Clone)]
struct Driver {
    sources: Vec<Source>,
    implied: Implied,
}

/// Rows counted (at most) to choose a driver.
const COUNT_CAP: i64 = 50_000;
/// Agent sets larger than this are not walked agent by agent.
const MAX_AGENT_SOURCES: usize = 64;

/// The time range and the cursor, on a source's `(started_at, id)` columns.
fn push_range(
    q: &mut Q,
    (t, i): (&str, &str),
    bounds: (Option<i64>, Option<i64>),
    cursor: Option<&(i64, String)>,
) {
    if let Some(lo) = bounds.0 {
        q.sql(&format!(" AND {t} >= ")).arg(lo);
    }
    if let Some(hi) = bounds.1 {
        q.sql(&format!(" AND {t} < ")).arg(hi);
    }
    if let Some((ts, id)) = cursor {
        q.sql(&format!(" AND ({t}, {i}) < ("))
            .arg(*ts)
            .sql(", ")
            .arg(id.as_str())
            .sql(")");
    }
}

fn drivers(r: &Resolved) -> Vec<Driver> {
    let mut out = Vec::new();
    if let Some(a) = &r.agents
        && a.len() <= MAX_AGENT_SOURCES
    {
        out.push(Driver {
            sources: a.iter().map(|a| Source::Agent(a.clone())).collect(),
            implied: Implied {
                agents: true,
                ..Implied::default()
            },
        });
    }
    if let Some(c) = &r.category {
        let levels = match r.level {
            Some(l) => vec![l],
            None => vec![1, 2, 3, 4],
        };
        out.push(Driver {
            sources: levels
                .into_iter()
                .map(|l| Source::Pair(c.clone(), l))
                .collect(),
            implied: Implied {
                category: true,
                ..Implied::default()
            },
        });
    }
    if let Some(k) = r.kind.as_ref().filter(|k| *k != "call") {
        out.push(Driver {
            sources: vec![Source::Kind(k.clone())],
            implied: Implied {
                kind: true,
                ..Implied::default()
            },
        });
    }
    if let Some(s) = &r.stage {
        out.push(Driver {
            sources: vec![Source::Stage(s.clone())],
            implied: Implied::default(),
        });
    }
    if let Some(h) = r.hour {
        out.push(Driver {
            sources: vec![Source::Hour(h)],
            implied: Implied::default(),
        });
    }
    if let Some(c) = &r.client {
        out.push(Driver {
            sources: vec![Source::Client(c.clone())],
            implied: Implied {
                client: true,
                ..Implied::default()
            },
        });
    }
    out.push(Driver {
        sources: vec![Source::Time],
        implied: Implied::default(),
    });
    out
}

/// Rows of a driver's sources in the range (counted up to `cap`).
async fn capped_count(
    conn: &mut Conn<'_>,
    d: &Driver,
    bounds: (Option<i64>, Option<i64>),
    cursor: Option<&(i64, String)>,
    cap: i64,
) -> Result<i64, StoreError> {
    let mut total = 0;
    for s in &d.sources {
        let mut q = conn.q("SELECT count(*) FROM (");
        s.select(&mut q, "1", false);
        push_range(&mut q, s.keys(), bounds, cursor);
        q.sql(" LIMIT ").arg(cap - total).sql(") t");
        total += conn.fetch_int(&q, "list: count").await? * s.weight();
        if total >= cap {
            break;
        }
    }
    Ok(total)
}

/// The interactions of the list, newest first, keyset-paged.
pub(crate) async fn list(
    conn: &mut Conn<'_>,
    scope: &Scope,
    f: &Filter,
    cursor: Option<&str>,
    limit: u32,
) -> Result<ListPage, StoreError> {
    let cursor = cursor.map(decode_cursor).transpose()?;
    let limit = i64::from(limit.clamp(1, 1_000));
    let agents = if needs_agents(scope, f) {
        agents(conn).await?
    } else {
        HashMap::new()
    };
    let r = resolve(scope, f, &agents);
    if r.nothing {
        return Ok(ListPage::default());
    }
    let bounds = r.time_bounds();
    let candidates = drivers(&r);
    // The driver with the fewest rows in the range: the most a page can cost.
    let mut best = candidates.len() - 1;
    if candidates.len() > 1 {
        let mut best_n = i64::MAX;
        for (k, d) in candidates.iter().enumerate() {
            let n = capped_count(conn, d, bounds, cursor.as_ref(), COUNT_CAP).await?;
            if n == 0 {
                return Ok(ListPage::default());
            }
            if n < best_n {
                (best, best_n) = (k, n);
            }
        }
    }
    let d = &candidates[best];
    let mut hits: Vec<(i64, String)> = Vec::new();
    for s in &d.sources {
        let (t, i) = s.keys();
        let mut q = conn.q("");
        // DISTINCT: an interaction may have two findings of one (category, level).
        let distinct = if matches!(s, Source::Pair(..)) {
            "DISTINCT "
        } else {
            ""
        };
        s.select(&mut q, &format!("{distinct}{t}, {i}"), true);
        push_range(&mut q, (t, i), bounds, cursor.as_ref());
        push_predicates(&mut q, &r, d.implied);
        q.sql(&format!(" ORDER BY {t} DESC, {i} DESC LIMIT "))
            .arg(limit + 1);
        for mut row in conn.fetch(&q, &[Int, Text], "list: page").await? {
            hits.push((row[0].int(), row[1].take_text()));
        }
    }
    hits.sort_unstable_by(|a, b| b.cmp(a));
    hits.dedup_by(|a, b| a.1 == b.1);
    let more = hits.len() as i64 > limit;
    hits.truncate(limit as usize);
    let next_cursor = if more {
        hits.last().map(|(t, id)| encode_cursor(*t, id))
    } else {
        None
    };
    let ids: Vec<String> = hits.into_iter().map(|(_, id)| id).collect();
    let items = items(conn, &ids).await?;
    Ok(ListPage { items, next_cursor })
}

/// List items of these interactions, in the order given (ids not stored are left out).
pub(crate) async fn items(
    conn: &mut Conn<'_>,
    ids: &[String],
) -> Result<Vec<ListItem>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = conn.q(
        "SELECT i.id, i.kind, i.started_at, i.local_date, i.timezone, i.agent_id, a.name, \
         a.branch, a.team, i.client, i.case_id, COALESCE(n.party, i.party), i.outcome, \
         i.duration_s, n.score, \
         CAST(CASE WHEN n.interaction_id IS NULL THEN NULL WHEN n.passed THEN 1 ELSE 0 END AS BIGINT), \
         CAST(COALESCE(n.finding_count, 0) AS BIGINT), CAST(COALESCE(n.max_level, 0) AS BIGINT) \
         FROM interactions i LEFT JOIN inspections n ON n.interaction_id = i.id \
         LEFT JOIN agents a ON a.id = i.agent_id WHERE ",
    );
    q.in_list("i.id", ids);
    let rows = conn
        .fetch(
            &q,
            &[
                Text, Text, Int, Text, Text, Text, Text, Text, Text, Text, Text, Text, Text, Real,
                Real, Int, Int, Int,
            ],
            "list items",
        )
        .await?;
    let mut q = conn.q("SELECT interaction_id, category FROM findings WHERE ");
    q.in_list("interaction_id", ids);
    q.sql(" ORDER BY interaction_id, ord");
    let mut cats: HashMap<String, Vec<String>> = HashMap::new();
    for mut r in conn.fetch(&q, &[Text, Text], "list categories").await? {
        let c = r[1].take_text();
        let v = cats.entry(r[0].take_text()).or_default();
        if !v.contains(&c) {
            v.push(c);
        }
    }
    let mut zones: HashMap<String, TimeZone> = HashMap::new();
    let mut by_id: HashMap<String, ListItem> = HashMap::with_capacity(rows.len());
    for mut r in rows {
        let id = r[0].take_text();
        let tz_name = r[4].take_text();
        let tz = zones
            .entry(tz_name.clone())
            .or_insert_with(|| {
                TimeZone::get(&tz_name)
                    .or_else(|_| TimeZone::get(DEFAULT_TZ))
                    .unwrap_or(TimeZone::UTC)
            })
            .clone();
        let item = ListItem {
            kind: r[1].take_text(),
            started_at: local_rfc3339(r[2].int(), &tz),
            local_date: r[3].take_text(),
            agent_id: r[5].take_text(),
            agent_name: r[6].take_opt_text(),
            branch: r[7].take_opt_text(),
            team: r[8].take_opt_text(),
            client: r[9].take_text(),
            case_id: r[10].take_text(),
            party: r[11].take_opt_text(),
            outcome: r[12].take_opt_text(),
            duration_s: r[13].real(),
            score: r[14].real(),
            passed: r[15].as_int().map(|p| p != 0),
            finding_count: u32::try_from(r[16].int()).unwrap_or(0),
            max_level: u8::try_from(r[17].int()).unwrap_or(0),
            categories: cats.remove(&id).unwrap_or_default(),
            id: id.clone(),
        };
        by_id.insert(id, item);
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// RFC 3339 with the zone's offset at that instant.
fn local_rfc3339(ms: i64, tz: &TimeZone) -> String {
    let t = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    t.display_with_offset(tz.to_offset(t)).to_string()
}

// ---------------------------------------------------------------------------------------------
// Detail

pub(crate) async fn detail(
    conn: &mut Conn<'_>,
    scope: &Scope,
    id: &str,
) -> Result<Option<Detail>, StoreError> {
    if scope.deny {
        return Ok(None);
    }
    let mut q = conn.q(
        "SELECT i.body, i.agent_id, i.client, i.person_key, i.started_at, n.pack, \
         n.inspected_at, n.score, CAST(CASE WHEN n.passed THEN 1 ELSE 0 END AS BIGINT), n.party \
         FROM interactions i LEFT JOIN inspections n ON n.interaction_id = i.id WHERE i.id = ",
    );
    q.arg(id);
    let Some(mut row) = conn
        .fetch(
            &q,
            &[Text, Text, Text, Text, Int, Text, Int, Real, Int, Text],
            "detail",
        )
        .await?
        .pop()
    else {
        return Ok(None);
    };
    let none = Filter::default();
    let agents = if needs_agents(scope, &none) {
        agents(conn).await?
    } else {
        HashMap::new()
    };
    let r = resolve(scope, &none, &agents);
    if !r.allows(&row[1].text(), Some(&row[2].text())) {
        return Ok(None);
    }
    let interaction = crate::conn::decode_interaction(&row[0].text())?;
    let inspection = match row[5].take_opt_text() {
        None => None,
        Some(pack) => {
            let mut q = conn.q(
                "SELECT rule, category, CAST(level AS BIGINT), CAST(deduction AS BIGINT), \
                 CAST(segment AS BIGINT), CAST(span_start AS BIGINT), CAST(span_end AS BIGINT), \
                 t_start, t_end, excerpt, message FROM findings WHERE interaction_id = ",
            );
            q.arg(id).sql(" ORDER BY ord");
            let findings = conn
                .fetch(
                    &q,
                    &[Text, Text, Int, Int, Int, Int, Int, Real, Real, Text, Text],
                    "detail findings",
                )
                .await?
                .into_iter()
                .map(|mut f| {
                    let category = f[1].take_text();
                    let u = |v: &crate::model::Val| v.as_int().and_then(|n| u32::try_from(n).ok());
                    DetailFinding {
                        rule: f[0].take_text(),
                        level: u8::try_from(f[2].int()).unwrap_or(0),
                        title: category_title(&category).map(str::to_string),
                        source: None,
                        kind: category_class(&category),
                        deduction: u(&f[3]).unwrap_or(0),
                        segment: u(&f[4]),
                        start: u(&f[5]),
                        end: u(&f[6]),
                        t_start: f[7].real(),
                        t_end: f[8].real(),
                        excerpt: f[9].take_text(),
                        message: f[10].take_text(),
                        category,
                    }
                })
                .collect();
            Some(DetailInspection {
                pack,
                inspected_at: crate::model::from_ms(row[6].int()),
                score: row[7].real().unwrap_or(0.0),
                passed: row[8].int() != 0,
                party: row[9].take_opt_text(),
                findings,
            })
        }
    };
    let body_of = async |conn: &mut Conn<'_>, table: &str, key: Option<&str>| {
        let Some(key) = key else {
            return Ok::<_, StoreError>(None);
        };
        let mut q = conn.q(&format!("SELECT body FROM {table} WHERE id = "));
        q.arg(key);
        match conn.fetch(&q, &[Text], "detail context").await?.pop() {
            Some(r) => Ok(Some(decode_record(&r[0].text())?)),
            None => Ok(None),
        }
    };
    let agent = match body_of(conn, "agents", Some(&interaction.agent_id)).await? {
        Some(zhijian_domain::Record::Agent(a)) => Some(a),
        _ => None,
    };
    let case = match body_of(conn, "cases", Some(&interaction.case_id)).await? {
        Some(zhijian_domain::Record::Case(c)) => Some(*c),
        _ => None,
    };
    let contact_id = interaction.contact.as_ref().and_then(|c| c.id.as_deref());
    let contact = match body_of(conn, "contacts", contact_id).await? {
        Some(zhijian_domain::Record::Contact(c)) => Some(c),
        _ => None,
    };
    // The same person within ± 1 day, in scope.
    const DAY: i64 = 86_400_000;
    let t = row[4].int();
    let mut q = conn.q("SELECT i.id FROM interactions i WHERE i.person_key = ");
    q.arg(row[3].take_text())
        .sql(" AND i.started_at >= ")
        .arg(t - DAY)
        .sql(" AND i.started_at <= ")
        .arg(t + DAY);
    if let Some(c) = &r.client {
        q.sql(" AND i.client = ").arg(c.as_str());
    }
    if let Some(a) = &r.agents {
        q.sql(" AND ");
        q.in_list("i.agent_id", a);
    }
    q.sql(" ORDER BY i.started_at, i.id");
    let ids: Vec<String> = conn
        .fetch(&q, &[Text], "detail history")
        .await?
        .into_iter()
        .map(|mut r| r[0].take_text())
        .collect();
    let history = items(conn, &ids).await?;
    let mut q = conn.q("SELECT body FROM complaints WHERE case_id = ");
    q.arg(interaction.case_id.as_str())
        .sql(" ORDER BY received_at, id");
    let complaints = conn
        .fetch(&q, &[Text], "detail complaints")
        .await?
        .into_iter()
        .filter_map(|r| match decode_record(&r[0].text()) {
            Ok(zhijian_domain::Record::Complaint(c)) => Some(Ok(*c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let recording_url = interaction
        .recording
        .as_ref()
        .map(|_| format!("/api/interactions/{}/recording", pct(id)));
    Ok(Some(Detail {
        interaction,
        inspection,
        agent,
        case,
        contact,
        history,
        complaints,
        recording_url,
    }))
}

/// Percent-encoding of a path segment.
fn pct(s: &str) -> String {
    let mut q = crate::web::QueryString::default();
    q.push("", s);
    q.0[1..].to_string()
}

// ---------------------------------------------------------------------------------------------
// Dashboard

/// The counters of `roll_int` (see [`facts::INT_COUNTERS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts(pub [i64; 15]);

const INTERACTIONS: usize = 0;
const CALLS: usize = 1;
const CONNECTED: usize = 5;
const RECORDINGS: usize = 6;
const INSPECTED: usize = 7;
const FAILED: usize = 8;
const WITH_FINDINGS: usize = 9;
const FINDINGS: usize = 10;
const COMPLIANCE: usize = 11;
const SERVICE: usize = 12;
const COMPLIANCE_HIT: usize = 13;
const SERVICE_HIT: usize = 14;

impl Counts {
    fn add(&mut self, o: &Counts) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
    fn get(&self, k: usize) -> u64 {
        u64::try_from(self.0[k]).unwrap_or(0)
    }
}

/// The rollups of a range, grouped as the dashboard reads them.
#[derive(Debug, Default)]
pub(crate) struct Cube {
    /// (local_date, agent_id)
    by_day_agent: HashMap<(String, String), Counts>,
    by_client: HashMap<String, Counts>,
    by_stage: HashMap<String, Counts>,
    /// (client, category, level) → findings
    cats: HashMap<(String, String, u8), i64>,
    /// (agent_id, local_date, category) → findings
    agent_cats: HashMap<(String, String, String), i64>,
    /// (local_date, local_hour) → (interactions, findings)
    hours: HashMap<(String, i64), (i64, i64)>,
}

/// ` WHERE …` of a rollup query.
fn push_roll_where(q: &mut Q, r: &Resolved) {
    q.sql(" WHERE 1 = 1");
    if let Some(d) = r.from {
        q.sql(" AND p.local_date >= ").arg(d.to_string());
    }
    if let Some(d) = r.to {
        q.sql(" AND p.local_date <= ").arg(d.to_string());
    }
    if let Some(c) = &r.client {
        q.sql(" AND p.client = ").arg(c.as_str());
    }
    if let Some(a) = &r.agents {
        q.sql(" AND ");
        q.in_list("p.agent_id", a);
    }
    push_agent_days(q, r);
    push_weekday(q, r);
    if let Some(h) = r.hour {
        q.sql(" AND p.local_hour = ").arg(i64::from(h));
    }
    if let Some(s) = &r.stage {
        q.sql(" AND p.stage = ").arg(s.as_str());
    }
}

/// The counters of `roll_int` the dashboard reads (not sms, visits, notes), as
/// `(index in Counts, column)`.
const DASH_COUNTERS: [usize; 12] = [0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/// The dashboard's counters summed from a rollup table, or (`exact`) from facts rows.
fn sums(exact: bool) -> String {
    if exact {
        return facts::int_sums(1, Some(&DASH_COUNTERS));
    }
    DASH_COUNTERS
        .iter()
        .map(|&k| format!("CAST(SUM({}) AS BIGINT)", facts::INT_EXPRS[k].0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn int_types(keys: usize) -> Vec<ColType> {
    let mut t = vec![Text; keys];
    t.extend([Int; DASH_COUNTERS.len()]);
    t
}

fn counts_of(v: &[crate::model::Val]) -> Counts {
    let mut c = Counts::default();
    for (&k, x) in DASH_COUNTERS.iter().zip(v) {
        c.0[k] = x.int();
    }
    c
}

/// What a dashboard is computed from, resolved on a first connection.
pub(crate) struct Prep {
    agents: HashMap<String, AgentInfo>,
    clients: HashMap<String, String>,
    r: Resolved,
    /// What the cases KPI counts by: cases have no day, so neither the days of a tenure band
    /// nor a weekday or hour apply to them.
    cases_r: Resolved,
    f: Filter,
    /// Findings by category on the rows by branch, team, region, tenure, agent and client.
    row_categories: bool,
}

/// The parts of a dashboard that the store reads concurrently, each on a connection of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Rollups: counts by day and agent. Exact path: the whole cube from the facts rows.
    DaysAgents,
    /// Rollups: counts by client and stage.
    ClientsStages,
    /// Rollups: findings by agent, client, category and level.
    Categories,
    /// Rollups: by local hour; and the complaints and cases of both paths.
    HoursRest,
}

pub(crate) const PARTS: [Part; 4] = [
    Part::DaysAgents,
    Part::ClientsStages,
    Part::Categories,
    Part::HoursRest,
];

/// One part's result.
#[derive(Default)]
pub(crate) struct PartOut {
    cube: Cube,
    complaints: Vec<ComplaintRow>,
    cases: u64,
}

pub(crate) async fn prepare(
    conn: &mut Conn<'_>,
    scope: &Scope,
    f: &Filter,
    row_categories: bool,
) -> Result<Prep, StoreError> {
    let agents = agents(conn).await?;
    let r = resolve(scope, f, &agents);
    let cases_r = resolve(
        scope,
        &Filter {
            tenure: None,
            weekday: None,
            hour: None,
            ..f.clone()
        },
        &agents,
    );
    let q = conn.q("SELECT id, name FROM clients");
    let clients = conn
        .fetch(&q, &[Text, Text], "clients")
        .await?
        .into_iter()
        .map(|mut r| (r[0].take_text(), r[1].take_text()))
        .collect();
    Ok(Prep {
        agents,
        clients,
        r,
        cases_r,
        f: f.clone(),
        row_categories,
    })
}

pub(crate) async fn part(conn: &mut Conn<'_>, p: &Prep, part: Part) -> Result<PartOut, StoreError> {
    let r = &p.r;
    let mut out = PartOut::default();
    if r.nothing {
        // No interaction can match; cases still may (see `Prep::cases_r`).
        if part == Part::HoursRest && !p.cases_r.nothing {
            out.cases = cases(conn, &p.cases_r).await?;
        }
        return Ok(out);
    }
    // Exact path: the same groups from the facts rows of the matching interactions, for the
    // filters no rollup has a column for, and `stage` / `hour` where this part's rollups lack
    // them.
    let facts_only = Filter {
        hour: None,
        stage: None,
        ..p.f.clone()
    };
    let exact_unless = |has_stage: bool, has_hour: bool| {
        !facts_only.rollup_only()
            || (r.stage.is_some() && !has_stage)
            || (r.hour.is_some() && !has_hour)
    };
    let exact = match part {
        Part::DaysAgents | Part::ClientsStages => exact_unless(true, false),
        Part::Categories => exact_unless(false, false),
        Part::HoursRest => exact_unless(false, true),
    };
    let from = |q: &mut Q, rollup: &str, join: &str| {
        if exact {
            // The time range lets the facts' time index narrow the rows read.
            q.sql(&format!(" FROM web_facts p{join} WHERE 1 = 1"));
            push_range(q, ("p.started_at", "p.id"), r.time_bounds(), None);
            push_predicates(q, r, Implied::default());
        } else {
            q.sql(&format!(" FROM {rollup} p"));
            push_roll_where(q, r);
        }
    };
    // Without agents to restrict to, the agent-free day tables have the same sums.
    let by_agent = r.agent_bound();
    let c = &mut out.cube;
    match part {
        Part::DaysAgents => {
            // Without a client or stage to restrict to, the client-free twin has the same sums
            // in a tenth of the rows.
            let table = if r.client.is_none() && r.stage.is_none() {
                "roll_agent_int"
            } else {
                "roll_int"
            };
            let mut q = conn.q(&format!("SELECT p.local_date, p.agent_id, {}", sums(exact)));
            from(&mut q, table, "");
            q.sql(" GROUP BY p.local_date, p.agent_id");
            for mut row in conn
                .fetch(&q, &int_types(2), "dashboard: days and agents")
                .await?
            {
                let v = counts_of(&row[2..]);
                c.by_day_agent
                    .insert((row[0].take_text(), row[1].take_text()), v);
            }
        }
        Part::ClientsStages => {
            let table = if by_agent { "roll_int" } else { "roll_day_int" };
            let mut q = conn.q(&format!("SELECT p.client, p.stage, {}", sums(exact)));
            from(&mut q, table, "");
            q.sql(" GROUP BY p.client, p.stage");
            for mut row in conn
                .fetch(&q, &int_types(2), "dashboard: clients and stages")
                .await?
            {
                let v = counts_of(&row[2..]);
                c.by_client.entry(row[0].take_text()).or_default().add(&v);
                c.by_stage.entry(row[1].take_text()).or_default().add(&v);
            }
        }
        Part::Categories => {
            let add_pair = |c: &mut Cube, client: String, cat: &str, level: i64, n: i64| {
                let level = u8::try_from(level).unwrap_or(0);
                *c.cats.entry((client, cat.to_string(), level)).or_default() += n;
            };
            if exact {
                // One pass over the facts rows for both groupings (by agent and day only when
                // the rows' categories are asked for).
                let (fj, _, cat, level) = facts::findings_join(conn.pg());
                let (agent_day, group) = if p.row_categories {
                    ("p.agent_id, p.local_date", "p.agent_id, p.local_date, ")
                } else {
                    ("'', ''", "")
                };
                let mut q = conn.q(&format!(
                    "SELECT {agent_day}, p.client, {cat}, {level}, CAST(COUNT(*) AS BIGINT)"
                ));
                from(&mut q, "", fj);
                q.sql(&format!(" GROUP BY {group}p.client, {cat}, {level}"));
                for mut row in conn
                    .fetch(
                        &q,
                        &[Text, Text, Text, Text, Int, Int],
                        "dashboard: categories",
                    )
                    .await?
                {
                    let (n, cat) = (row[5].int(), row[3].take_text());
                    add_pair(c, row[2].take_text(), &cat, row[4].int(), n);
                    if !p.row_categories {
                        continue;
                    }
                    *c.agent_cats
                        .entry((row[0].take_text(), row[1].take_text(), cat))
                        .or_default() += n;
                }
            } else {
                // Findings by (client, category, level): the Pareto and the client rows.
                let table = if by_agent { "roll_cat" } else { "roll_day_cat" };
                let mut q = conn.q("SELECT p.client, p.category, CAST(p.level AS BIGINT), \
                     CAST(SUM(p.n) AS BIGINT)");
                from(&mut q, table, "");
                q.sql(" GROUP BY p.client, p.category, p.level");
                for mut row in conn
                    .fetch(&q, &[Text, Text, Int, Int], "dashboard: categories")
                    .await?
                {
                    let cat = row[1].take_text();
                    add_pair(c, row[0].take_text(), &cat, row[2].int(), row[3].int());
                }
                if !p.row_categories {
                    return Ok(out);
                }
                // By agent: the categories of the branch, team, region, agent and tenure rows.
                // Only the tenure band needs the day, and an agent's band changes on at most
                // two days: the agents whose band changes within the range are grouped by day,
                // every other agent over the whole range (its earliest day stands for all, the
                // band being the same). A range's rows, not one per agent, day and category,
                // come back (≈ 1 600 instead of ≈ 47 000 for 30 days of 60 agents).
                // Without a client, the client-free twin (no client, level or rule) has the same
                // sums in ≈ 40 % of the rows.
                let changing = band_changes(conn, p).await?;
                let table = if r.client.is_none() {
                    "roll_agent_cat"
                } else {
                    "roll_cat"
                };
                let mut q = conn.q(
                    "SELECT p.agent_id, MIN(p.local_date), p.category, CAST(SUM(p.n) AS BIGINT)",
                );
                from(&mut q, table, "");
                q.sql(" GROUP BY p.agent_id, p.category");
                // The band of an agent whose band changes: how many of its two thresholds the
                // day has reached (a constant expression per row, not a lookup).
                if !changing.is_empty() {
                    q.sql(", CASE p.agent_id");
                    for (id, (t3, t12)) in &changing {
                        q.sql(" WHEN ")
                            .arg(id.as_str())
                            .sql(" THEN CASE WHEN p.local_date >= ")
                            .arg(t3.as_str())
                            .sql(" THEN 1 ELSE 0 END + CASE WHEN p.local_date >= ")
                            .arg(t12.as_str())
                            .sql(" THEN 1 ELSE 0 END");
                    }
                    q.sql(" ELSE 0 END");
                }
                for mut row in conn
                    .fetch(&q, &[Text, Text, Text, Int], "dashboard: agent categories")
                    .await?
                {
                    let n = row[3].int();
                    c.agent_cats.insert(
                        (row[0].take_text(), row[1].take_text(), row[2].take_text()),
                        n,
                    );
                }
            }
        }
        Part::HoursRest => {
            let table = if by_agent {
                "roll_hour"
            } else {
                "roll_day_hour"
            };
            let mut q = if exact {
                conn.q(
                    "SELECT p.local_date, CAST(p.local_hour AS BIGINT), CAST(COUNT(*) AS BIGINT), \
                     CAST(SUM(p.n_findings) AS BIGINT)",
                )
            } else {
                conn.q("SELECT p.local_date, CAST(p.local_hour AS BIGINT), \
                     CAST(SUM(p.interactions) AS BIGINT), CAST(SUM(p.findings) AS BIGINT)")
            };
            from(&mut q, table, "");
            q.sql(" GROUP BY p.local_date, p.local_hour");
            for mut row in conn
                .fetch(&q, &[Text, Int, Int, Int], "dashboard: hours")
                .await?
            {
                c.hours.insert(
                    (row[0].take_text(), row[1].int()),
                    (row[2].int(), row[3].int()),
                );
            }
            out.complaints = complaints(conn, r).await?;
            out.cases = cases(conn, &p.cases_r).await?;
        }
    }
    Ok(out)
}

/// The agents (sorted) whose tenure band changes between two days of the dashboard's range
/// (the range of the stored days where the filter leaves it open), with their thresholds.
async fn band_changes(
    conn: &mut Conn<'_>,
    p: &Prep,
) -> Result<Vec<(String, (String, String))>, StoreError> {
    let bands: Vec<(&String, (String, String))> = p
        .agents
        .iter()
        .filter_map(|(id, a)| Some((id, thresholds(a.hired_on.as_deref())?)))
        .collect();
    if bands.is_empty() {
        return Ok(Vec::new());
    }
    let (mut lo, mut hi) = (
        p.r.from.map(|d| d.to_string()),
        p.r.to.map(|d| d.to_string()),
    );
    if lo.is_none() || hi.is_none() {
        let q = conn.q("SELECT MIN(local_date), MAX(local_date) FROM roll_day_int");
        let mut row = conn
            .fetch(&q, &[Text, Text], "dashboard: stored days")
            .await?
            .pop()
            .unwrap_or_default();
        if row.len() == 2 {
            hi = hi.or_else(|| row[1].take_opt_text());
            lo = lo.or_else(|| row[0].take_opt_text());
        }
    }
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(Vec::new());
    };
    // The band of day d differs from that of d - 1 iff a threshold is d: lo < t <= hi.
    let mut out: Vec<(String, (String, String))> = bands
        .into_iter()
        .filter(|(_, (t3, t12))| [t3, t12].iter().any(|t| **t > lo && **t <= hi))
        .map(|(id, t)| (id.clone(), t))
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// The dashboard from its parts.
pub(crate) fn finish(p: &Prep, parts: Vec<PartOut>) -> Dashboard {
    let mut cube = Cube::default();
    let mut complaints = Vec::new();
    let mut cases = 0;
    for o in parts {
        cube.by_day_agent.extend(o.cube.by_day_agent);
        cube.by_client.extend(o.cube.by_client);
        cube.by_stage.extend(o.cube.by_stage);
        cube.cats.extend(o.cube.cats);
        cube.agent_cats.extend(o.cube.agent_cats);
        cube.hours.extend(o.cube.hours);
        complaints.extend(o.complaints);
        cases += o.cases;
    }
    assemble(&cube, p, &complaints, cases)
}

/// A complaint as the dashboard counts it.
struct ComplaintRow {
    date: String,
    agent: Option<String>,
    client: Option<String>,
    stage: String,
}

async fn complaints(conn: &mut Conn<'_>, r: &Resolved) -> Result<Vec<ComplaintRow>, StoreError> {
    let mut q = conn.q(
        "SELECT c.received_at, COALESCE(c.agent_id, cs.agent_id), cs.client, cs.stage \
         FROM complaints c LEFT JOIN cases cs ON cs.id = c.case_id WHERE 1 = 1",
    );
    let (lo, hi) = r.time_bounds();
    if let Some(lo) = lo {
        q.sql(" AND c.received_at >= ").arg(lo);
    }
    if let Some(hi) = hi {
        q.sql(" AND c.received_at < ").arg(hi);
    }
    let tz = TimeZone::get(DEFAULT_TZ).unwrap_or(TimeZone::UTC);
    let (from, to) = (r.from.map(|d| d.to_string()), r.to.map(|d| d.to_string()));
    let mut out = Vec::new();
    for mut row in conn
        .fetch(&q, &[Int, Text, Text, Text], "dashboard: complaints")
        .await?
    {
        let t = Timestamp::from_millisecond(row[0].int()).unwrap_or(Timestamp::UNIX_EPOCH);
        let date = t.to_zoned(tz.clone()).date().to_string();
        if from.as_ref().is_some_and(|f| date < *f) || to.as_ref().is_some_and(|t| date > *t) {
            continue;
        }
        let c = ComplaintRow {
            date,
            agent: row[1].take_opt_text(),
            client: row[2].take_opt_text(),
            stage: row[3].take_opt_text().unwrap_or_default(),
        };
        let agent_ok = match c.agent.as_deref() {
            Some(a) => r.allows_agent_on(a, &c.date),
            None => r.agents.is_none() && !r.agent_attr,
        };
        let client_ok = r.client.is_none() || r.client == c.client;
        let stage_ok = r.stage.as_ref().is_none_or(|s| *s == c.stage);
        let local = t.to_zoned(tz.clone());
        let weekday_ok = r
            .weekday
            .is_none_or(|w| local.date().weekday().to_monday_zero_offset() as u8 == w);
        let hour_ok = r.hour.is_none_or(|h| local.hour() as u8 == h);
        if agent_ok && client_ok && stage_ok && weekday_ok && hour_ok {
            out.push(c);
        }
    }
    Ok(out)
}

async fn cases(conn: &mut Conn<'_>, r: &Resolved) -> Result<u64, StoreError> {
    let mut q = conn.q("SELECT count(*) FROM cases WHERE 1 = 1");
    if let Some(d) = r.to {
        q.sql(" AND (opened_on IS NULL OR opened_on <= ")
            .arg(d.to_string())
            .sql(")");
    }
    if let Some(c) = &r.client {
        q.sql(" AND client = ").arg(c.as_str());
    }
    if let Some(a) = &r.agents {
        q.sql(" AND ");
        q.in_list("agent_id", a);
    }
    if !r.not_agents.is_empty() {
        q.sql(" AND NOT (");
        q.in_list("agent_id", &r.not_agents);
        q.sql(")");
    }
    if let Some(s) = &r.stage {
        q.sql(" AND COALESCE(stage, '') = ").arg(s.as_str());
    }
    Ok(u64::try_from(conn.fetch_int(&q, "dashboard: cases").await?).unwrap_or(0))
}

pub(crate) async fn rule_hits(
    conn: &mut Conn<'_>,
    scope: &Scope,
    f: &Filter,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let agents = if needs_agents(scope, f) {
        agents(conn).await?
    } else {
        HashMap::new()
    };
    let r = resolve(scope, f, &agents);
    if r.nothing {
        return Ok(BTreeMap::new());
    }
    let q = if f.rollup_only() {
        let mut q = conn.q("SELECT p.rule, CAST(SUM(p.n) AS BIGINT) FROM roll_cat p");
        push_roll_where(&mut q, &r);
        q.sql(" GROUP BY p.rule");
        q
    } else {
        let (fj, rule, _, _) = facts::findings_join(conn.pg());
        let mut q = conn.q(&format!(
            "SELECT {rule}, CAST(COUNT(*) AS BIGINT) FROM web_facts p{fj} WHERE 1 = 1"
        ));
        push_range(&mut q, ("p.started_at", "p.id"), r.time_bounds(), None);
        push_predicates(&mut q, &r, Implied::default());
        q.sql(&format!(" GROUP BY {rule}"));
        q
    };
    Ok(conn
        .fetch(&q, &[Text, Int], "rule hits")
        .await?
        .into_iter()
        .filter_map(|mut row| {
            let n = u64::try_from(row[1].int()).ok().filter(|n| *n > 0)?;
            Some((row[0].take_text(), n))
        })
        .collect())
}

const TENURE: [(&str, &str); 4] = [
    ("lt3", "< 3 个月"),
    ("3to12", "3–12 个月"),
    ("gt12", "> 12 个月"),
    ("unknown", "未知"),
];
const UNKNOWN: &str = "unknown";
const UNKNOWN_LABEL: &str = "未知";

/// Tenure band on `date` of an agent hired on `hired_on` (dates `YYYY-MM-DD`).
fn tenure_band(thresholds: Option<&(String, String)>, date: &str) -> &'static str {
    match thresholds {
        None => "unknown",
        Some((t3, _)) if date < t3.as_str() => "lt3",
        Some((_, t12)) if date < t12.as_str() => "3to12",
        Some(_) => "gt12",
    }
}

/// The dates 3 and 12 months after hiring.
fn thresholds(hired_on: Option<&str>) -> Option<(String, String)> {
    let d: Date = hired_on?.parse().ok()?;
    let t3 = d.checked_add(jiff::Span::new().months(3)).ok()?;
    let t12 = d.checked_add(jiff::Span::new().months(12)).ok()?;
    Some((t3.to_string(), t12.to_string()))
}

#[derive(Default)]
struct Acc {
    label: String,
    counts: Counts,
    complaints: u64,
    categories: Option<BTreeMap<String, u64>>,
    drill: Option<String>,
}

fn row_of(key: String, a: Acc) -> BreakdownRow {
    let c = &a.counts;
    BreakdownRow {
        key,
        label: a.label,
        interactions: c.get(INTERACTIONS),
        connected_calls: c.get(CONNECTED),
        inspected: c.get(INSPECTED),
        failed: c.get(FAILED),
        findings: c.get(FINDINGS),
        compliance_findings: c.get(COMPLIANCE),
        service_findings: c.get(SERVICE),
        compliance_hit: c.get(COMPLIANCE_HIT),
        service_hit: c.get(SERVICE_HIT),
        complaints: a.complaints,
        categories: a.categories,
        drill: a.drill,
    }
}

/// Rows ordered by key, `unknown` last; rows with nothing in them left out.
fn rows_of(map: BTreeMap<String, Acc>) -> Vec<BreakdownRow> {
    let mut rows: Vec<BreakdownRow> = map
        .into_iter()
        .filter(|(_, a)| a.counts.0[INTERACTIONS] != 0 || a.complaints != 0)
        .map(|(k, a)| row_of(k, a))
        .collect();
    rows.sort_by(|a, b| (a.key == UNKNOWN, &a.key).cmp(&(b.key == UNKNOWN, &b.key)));
    rows
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn assemble(cube: &Cube, p: &Prep, complaints: &[ComplaintRow], cases: u64) -> Dashboard {
    let (agents, clients, r, f) = (&p.agents, &p.clients, &p.r, &p.f);
    let row_cats = p.row_categories;
    let base = Filter {
        from: f.from,
        to: f.to,
        client: f.client.clone(),
        branch: f.branch.clone(),
        team: f.team.clone(),
        agent_id: f.agent_id.clone(),
        ..Filter::default()
    };
    let drill = |g: &dyn Fn(&mut Filter)| {
        let mut x = base.clone();
        g(&mut x);
        x.query_string()
    };

    // KPIs.
    let mut total = Counts::default();
    for c in cube.by_client.values() {
        total.add(c);
    }
    let complaint_n = complaints.len() as u64;
    let kpis = Kpis {
        interactions: total.get(INTERACTIONS),
        calls: total.get(CALLS),
        connected_calls: total.get(CONNECTED),
        recordings: total.get(RECORDINGS),
        inspected: total.get(INSPECTED),
        failed: total.get(FAILED),
        with_findings: total.get(WITH_FINDINGS),
        findings: total.get(FINDINGS),
        compliance_findings: total.get(COMPLIANCE),
        service_findings: total.get(SERVICE),
        compliance_per_100_recordings: ratio(total.get(COMPLIANCE) * 100, total.get(RECORDINGS)),
        compliance_rate: ratio(
            total.get(INSPECTED) - total.get(COMPLIANCE_HIT).min(total.get(INSPECTED)),
            total.get(INSPECTED),
        ),
        service_standard_rate: ratio(
            total.get(CONNECTED) - total.get(SERVICE_HIT).min(total.get(CONNECTED)),
            total.get(CONNECTED),
        ),
        complaints: complaint_n,
        cases,
        complaint_rate: ratio(complaint_n, cases),
        targets: Targets::default(),
    };

    // Trend, one row per day.
    let mut days: BTreeMap<String, Counts> = BTreeMap::new();
    for ((d, _), c) in &cube.by_day_agent {
        days.entry(d.clone()).or_default().add(c);
    }
    let mut complaints_by_day: BTreeMap<&str, u64> = BTreeMap::new();
    for c in complaints {
        *complaints_by_day.entry(c.date.as_str()).or_default() += 1;
    }
    let first = r.from.map(|d| d.to_string()).or_else(|| {
        let a = days.keys().next().cloned();
        let b = complaints_by_day.keys().next().map(|s| s.to_string());
        a.into_iter().chain(b).min()
    });
    let last = r.to.map(|d| d.to_string()).or_else(|| {
        let a = days.keys().next_back().cloned();
        let b = complaints_by_day.keys().next_back().map(|s| s.to_string());
        a.into_iter().chain(b).max()
    });
    let mut dates: Vec<String> = Vec::new();
    if let (Some(a), Some(b)) = (
        first.and_then(|s| s.parse::<Date>().ok()),
        last.and_then(|s| s.parse::<Date>().ok()),
    ) {
        let mut d = a;
        while d <= b && dates.len() < 3_700 {
            dates.push(d.to_string());
            match d.tomorrow() {
                Ok(n) => d = n,
                Err(_) => break,
            }
        }
    }
    if dates.len() >= 3_700 {
        // A range too long to list day by day: the days with data.
        let set: BTreeSet<String> = days
            .keys()
            .cloned()
            .chain(complaints_by_day.keys().map(|s| s.to_string()))
            .collect();
        dates = set.into_iter().collect();
    }
    let trend = dates
        .into_iter()
        .map(|date| {
            let c = days.get(&date).copied().unwrap_or_default();
            let day: Date = date.parse().unwrap_or_default();
            TrendRow {
                interactions: c.get(INTERACTIONS),
                calls: c.get(CALLS),
                connected_calls: c.get(CONNECTED),
                recordings: c.get(RECORDINGS),
                inspected: c.get(INSPECTED),
                failed: c.get(FAILED),
                findings: c.get(FINDINGS),
                compliance_findings: c.get(COMPLIANCE),
                service_findings: c.get(SERVICE),
                complaints: complaints_by_day.get(date.as_str()).copied().unwrap_or(0),
                drill: drill(&|x| {
                    x.from = Some(day);
                    x.to = Some(day);
                }),
                date,
            }
        })
        .collect();

    // Pareto.
    let mut pairs: BTreeMap<(String, u8), i64> = BTreeMap::new();
    for ((_, cat, level), n) in &cube.cats {
        *pairs.entry((cat.clone(), *level)).or_default() += n;
    }
    let mut pareto: Vec<ParetoRow> = pairs
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|((category, level), n)| ParetoRow {
            title: category_title(&category).map(str::to_string),
            kind: category_class(&category),
            level,
            count: n as u64,
            drill: drill(&|x| {
                x.category = Some(category.clone());
                x.level = Some(level);
            }),
            category,
        })
        .collect();
    pareto.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.cmp(&b.category))
            .then(a.level.cmp(&b.level))
    });

    // Heat map.
    let mut heat = [[(0i64, 0i64); 24]; 7];
    let mut weekdays: HashMap<&str, usize> = HashMap::new();
    for ((date, hour), (n, k)) in &cube.hours {
        let w = *weekdays.entry(date.as_str()).or_insert_with(|| {
            date.parse::<Date>()
                .map(|d| d.weekday().to_monday_zero_offset() as usize)
                .unwrap_or(0)
        });
        if let Ok(h) = usize::try_from(*hour)
            && h < 24
        {
            heat[w][h].0 += n;
            heat[w][h].1 += k;
        }
    }
    let heatmap = (0..7)
        .flat_map(|w| {
            let heat = &heat;
            (0..24).map(move |h| HeatCell {
                weekday: w as u8,
                hour: h as u8,
                count: u64::try_from(heat[w][h].1).unwrap_or(0),
                interactions: u64::try_from(heat[w][h].0).unwrap_or(0),
            })
        })
        .collect();

    // Breakdowns.
    let mut branch: BTreeMap<String, Acc> = BTreeMap::new();
    let mut team: BTreeMap<String, Acc> = BTreeMap::new();
    let mut tenure: BTreeMap<String, Acc> = BTreeMap::new();
    let mut region: BTreeMap<String, Acc> = BTreeMap::new();
    let mut stage: BTreeMap<String, Acc> = BTreeMap::new();
    let mut client: BTreeMap<String, Acc> = BTreeMap::new();
    let mut agent: BTreeMap<String, Acc> = BTreeMap::new();
    let thresholds: HashMap<&str, Option<(String, String)>> = agents
        .iter()
        .map(|(id, a)| (id.as_str(), thresholds(a.hired_on.as_deref())))
        .collect();
    // The keys (and how to make each row) of an agent's rows.
    struct Keys {
        branch: (String, String, Option<String>),
        team: (String, String, Option<String>),
        region: (String, String),
        agent: (String, String, Option<String>),
    }
    let keys_of = |id: &str| -> Keys {
        match agents.get(id) {
            Some(a) => Keys {
                branch: (
                    a.branch.clone(),
                    a.branch.clone(),
                    Some(drill(&|x| {
                        x.branch = Some(a.branch.clone());
                        x.team = None;
                    })),
                ),
                team: (
                    format!("{}/{}", a.branch, a.team),
                    format!("{} {}", a.branch, a.team),
                    Some(drill(&|x| {
                        x.branch = Some(a.branch.clone());
                        x.team = Some(a.team.clone());
                    })),
                ),
                region: match &a.region {
                    Some(r) => (r.clone(), r.clone()),
                    None => (UNKNOWN.into(), UNKNOWN_LABEL.into()),
                },
                agent: (
                    id.to_string(),
                    a.name.clone(),
                    Some(drill(&|x| x.agent_id = Some(id.to_string()))),
                ),
            },
            None => Keys {
                branch: (UNKNOWN.into(), UNKNOWN_LABEL.into(), None),
                team: (UNKNOWN.into(), UNKNOWN_LABEL.into(), None),
                region: (UNKNOWN.into(), UNKNOWN_LABEL.into()),
                agent: (
                    id.to_string(),
                    id.to_string(),
                    Some(drill(&|x| x.agent_id = Some(id.to_string()))),
                ),
            },
        }
    };
    fn acc<'m>(
        m: &'m mut BTreeMap<String, Acc>,
        key: &str,
        label: &str,
        drill: &Option<String>,
        with_categories: bool,
    ) -> &'m mut Acc {
        m.entry(key.to_string()).or_insert_with(|| Acc {
            label: label.to_string(),
            drill: drill.clone(),
            categories: with_categories.then(BTreeMap::new),
            ..Acc::default()
        })
    }
    let mut agent_keys: HashMap<&str, Keys> = HashMap::new();
    for ((date, id), c) in &cube.by_day_agent {
        let k = agent_keys.entry(id.as_str()).or_insert_with(|| keys_of(id));
        acc(&mut branch, &k.branch.0, &k.branch.1, &k.branch.2, row_cats)
            .counts
            .add(c);
        acc(&mut team, &k.team.0, &k.team.1, &k.team.2, row_cats)
            .counts
            .add(c);
        acc(&mut region, &k.region.0, &k.region.1, &None, row_cats)
            .counts
            .add(c);
        acc(&mut agent, &k.agent.0, &k.agent.1, &k.agent.2, row_cats)
            .counts
            .add(c);
        let band = tenure_band(thresholds.get(id.as_str()).and_then(|t| t.as_ref()), date);
        acc(&mut tenure, band, "", &None, row_cats).counts.add(c);
    }
    for (k, c) in &cube.by_client {
        let label = clients.get(k).cloned().unwrap_or_else(|| k.clone());
        let d = Some(drill(&|x| x.client = Some(k.clone())));
        acc(&mut client, k, &label, &d, row_cats).counts.add(c);
    }
    for (k, c) in &cube.by_stage {
        let (key, label) = if k.is_empty() {
            (UNKNOWN, UNKNOWN_LABEL)
        } else {
            (k.as_str(), k.as_str())
        };
        acc(&mut stage, key, label, &None, false).counts.add(c);
    }
    // Every row carries its findings by category (the rows themselves exist once an
    // interaction or complaint counted in them: a finding always comes with its interaction).
    for ((id, date, cat), n) in &cube.agent_cats {
        let n = u64::try_from(*n).unwrap_or(0);
        if n == 0 {
            continue;
        }
        let k = agent_keys.entry(id.as_str()).or_insert_with(|| keys_of(id));
        let band = tenure_band(thresholds.get(id.as_str()).and_then(|t| t.as_ref()), date);
        for (m, key) in [
            (&mut branch, k.branch.0.as_str()),
            (&mut team, &k.team.0),
            (&mut region, &k.region.0),
            (&mut agent, &k.agent.0),
            (&mut tenure, band),
        ] {
            if let Some(cats) = m.get_mut(key).and_then(|a| a.categories.as_mut()) {
                *cats.entry(cat.clone()).or_default() += n;
            }
        }
    }
    for ((cl, cat, _), n) in &cube.cats {
        let n = u64::try_from(*n).unwrap_or(0);
        if n == 0 {
            continue;
        }
        if let Some(cats) = client.get_mut(cl).and_then(|a| a.categories.as_mut()) {
            *cats.entry(cat.clone()).or_default() += n;
        }
    }
    for c in complaints {
        let Some(id) = c.agent.as_deref() else {
            // Without an agent: only the client and stage rows count it.
            if let Some(cl) = &c.client {
                let label = clients.get(cl).cloned().unwrap_or_else(|| cl.clone());
                let d = Some(drill(&|x| x.client = Some(cl.clone())));
                acc(&mut client, cl, &label, &d, row_cats).complaints += 1;
            }
            let (key, label) = if c.stage.is_empty() {
                (UNKNOWN, UNKNOWN_LABEL)
            } else {
                (c.stage.as_str(), c.stage.as_str())
            };
            acc(&mut stage, key, label, &None, false).complaints += 1;
            continue;
        };
        let k = agent_keys.entry(id).or_insert_with(|| keys_of(id));
        acc(&mut branch, &k.branch.0, &k.branch.1, &k.branch.2, row_cats).complaints += 1;
        acc(&mut team, &k.team.0, &k.team.1, &k.team.2, row_cats).complaints += 1;
        acc(&mut region, &k.region.0, &k.region.1, &None, row_cats).complaints += 1;
        acc(&mut agent, &k.agent.0, &k.agent.1, &k.agent.2, row_cats).complaints += 1;
        let band = tenure_band(thresholds.get(id).and_then(|t| t.as_ref()), &c.date);
        acc(&mut tenure, band, "", &None, row_cats).complaints += 1;
        if let Some(cl) = &c.client {
            let label = clients.get(cl).cloned().unwrap_or_else(|| cl.clone());
            let d = Some(drill(&|x| x.client = Some(cl.clone())));
            acc(&mut client, cl, &label, &d, row_cats).complaints += 1;
        }
        let (key, label) = if c.stage.is_empty() {
            (UNKNOWN, UNKNOWN_LABEL)
        } else {
            (c.stage.as_str(), c.stage.as_str())
        };
        acc(&mut stage, key, label, &None, false).complaints += 1;
    }
    let tenure_rows = TENURE
        .iter()
        .filter_map(|(key, label)| {
            let mut a = tenure.remove(*key)?;
            a.label = label.to_string();
            (a.counts.0[INTERACTIONS] != 0 || a.complaints != 0).then(|| row_of(key.to_string(), a))
        })
        .collect();
    Dashboard {
        filter: DashboardFilter {
            from: f.from,
            to: f.to,
            client: f.client.clone(),
            branch: f.branch.clone(),
            team: f.team.clone(),
            agent: f.agent_id.clone(),
        },
        kpis,
        trend,
        pareto,
        heatmap,
        breakdowns: Breakdowns {
            branch: rows_of(branch),
            team: rows_of(team),
            tenure: tenure_rows,
            region: rows_of(region),
            stage: rows_of(stage),
            client: rows_of(client),
            agent: rows_of(agent),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        for (t, id) in [
            (0, ""),
            (1_767_225_600_000, "CALL-00000001"),
            (-5, "中文:id"),
            (7, "a"),
            (7, "ab"),
        ] {
            let c = encode_cursor(t, id);
            assert!(c.bytes().all(|b| B64.contains(&b)), "{c}");
            assert_eq!(decode_cursor(&c).unwrap(), (t, id.to_string()));
        }
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor("").is_err());
        assert!(decode_cursor(&b64(b"2:1:x")).is_err());
    }

    #[test]
    fn tenure_bands() {
        let t = thresholds(Some("2026-01-31"));
        assert_eq!(t, Some(("2026-04-30".into(), "2027-01-31".into())));
        assert_eq!(tenure_band(t.as_ref(), "2026-04-29"), "lt3");
        assert_eq!(tenure_band(t.as_ref(), "2026-04-30"), "3to12");
        assert_eq!(tenure_band(t.as_ref(), "2027-01-31"), "gt12");
        assert_eq!(tenure_band(None, "2027-01-31"), "unknown");
    }
}
