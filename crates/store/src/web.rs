//! What the web application reads and writes: accounts, sessions, login throttling, the audit
//! log, and the scoped read models of the dashboard, the interaction list and the interaction
//! detail. The types serialise to the shapes of `docs/api.md` ("Response shapes"), so the
//! server can return them as they are (it adds masking and what comes from the rule pack).
//!
//! Every read takes a [`Scope`] (what the caller's role restricts) and, where it applies, a
//! [`Filter`] (what the caller asked for): a filter narrows within the scope, never widens it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zhijian_domain::{
    Agent, BUILTIN_CATEGORIES, Case, Complaint, ContactRecord, Date, Interaction, Timestamp,
};

// ---------------------------------------------------------------------------------------------
// Accounts

/// The roles of `docs/api.md` ("Roles and scope").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    QaLead,
    QaReviewer,
    BranchHead,
    TeamLead,
    Agent,
    ClientAuditor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::QaLead,
        Role::QaReviewer,
        Role::BranchHead,
        Role::TeamLead,
        Role::Agent,
        Role::ClientAuditor,
    ];

    /// `admin`, `qa_lead`, `qa_reviewer`, `branch_head`, `team_lead`, `agent`, `client_auditor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::QaLead => "qa_lead",
            Role::QaReviewer => "qa_reviewer",
            Role::BranchHead => "branch_head",
            Role::TeamLead => "team_lead",
            Role::Agent => "agent",
            Role::ClientAuditor => "client_auditor",
        }
    }

    /// The role named by [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account: `{"username","display_name","role","branch"?,"team"?,"agent_id"?,"client"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Restrictions that come from the caller's role: `None` = unrestricted.
///
/// An interaction is in scope when its `client` equals `client`, its `agent_id` equals
/// `agent_id`, and its agent (looked up in the agents table) is in `branch` and `team`. A team
/// is identified by its branch and its name together. `deny` matches nothing: the scope of a
/// user whose role needs an attribute they lack (a team lead without a team).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub client: Option<String>,
    pub branch: Option<String>,
    pub team: Option<String>,
    pub agent_id: Option<String>,
    #[serde(default)]
    pub deny: bool,
}

impl Scope {
    /// Everything (admin, qa_lead, qa_reviewer).
    pub fn all() -> Scope {
        Scope::default()
    }

    /// The scope of a user's role: admin, qa_lead and qa_reviewer see everything; branch_head
    /// their `branch`; team_lead their (`branch`, `team`); agent their own `agent_id`;
    /// client_auditor their `client`. A role without the attribute it needs sees nothing.
    pub fn of(user: &User) -> Scope {
        let need = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let mut s = Scope::default();
        match user.role {
            Role::Admin | Role::QaLead | Role::QaReviewer => {}
            Role::BranchHead => {
                s.branch = need(&user.branch);
                s.deny = s.branch.is_none();
            }
            Role::TeamLead => {
                s.branch = need(&user.branch);
                s.team = need(&user.team);
                s.deny = s.branch.is_none() || s.team.is_none();
            }
            Role::Agent => {
                s.agent_id = need(&user.agent_id);
                s.deny = s.agent_id.is_none();
            }
            Role::ClientAuditor => {
                s.client = need(&user.client);
                s.deny = s.client.is_none();
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Filters

/// `status` of the interaction list: `passed`, `failed` (inspected and did not pass) or
/// `findings` (inspected, with at least one finding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    #[serde(rename = "findings")]
    WithFindings,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::WithFindings => "findings",
        }
    }
}

/// What the caller asks for (the query parameters of `/api/dashboard` and
/// `/api/interactions`; `agent` is accepted for `agent_id`). Every field narrows:
///
/// - `from`, `to`: the interaction's local date (in the contact's time zone, as stored), inclusive;
/// - `client`, `agent_id`: equal; `branch`, `team`: the agent's, from the agents table;
/// - `category`: the interaction has a finding of that category; with `level`, a finding of
///   that category *and* level; `level` alone: a finding of that level;
/// - `status`, `score_min`, `score_max` (inclusive): of the current inspection (an interaction
///   that is not inspected matches none of them);
/// - `kind`: `call`, `sms`, `visit` or `note`;
/// - the drill-down fields of the dashboard's heat map and breakdowns: `weekday` (0 = Monday)
///   and `hour` of the interaction's local time, `tenure` (the agent's, on the interaction's
///   local date), `region` (the agent's), `stage` (the effective case stage); `unknown` for a
///   region or stage selects the interactions without one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, alias = "agent", skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The local weekday of the interaction (of its `local_date`), 0 = Monday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekday: Option<u8>,
    /// The local hour of the interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<u8>,
    /// The agent's tenure on the interaction's local date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenure: Option<Tenure>,
    /// The agent's region, from the agents table; `unknown`: none recorded, or an agent not in
    /// the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The effective case stage (the case record's, else the interaction's own `case.stage`);
    /// `unknown`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// An agent's tenure band on a day: months since `hired_on` (`lt3` < 3, `3to12`, `gt12` ≥ 12;
/// `unknown`: no hiring date, or an agent not in the agents table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tenure {
    #[serde(rename = "lt3")]
    Lt3,
    #[serde(rename = "3to12")]
    From3To12,
    #[serde(rename = "gt12")]
    Gt12,
    #[serde(rename = "unknown")]
    Unknown,
}

impl Tenure {
    pub const ALL: [Tenure; 4] = [
        Tenure::Lt3,
        Tenure::From3To12,
        Tenure::Gt12,
        Tenure::Unknown,
    ];

    /// `lt3`, `3to12`, `gt12`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tenure::Lt3 => "lt3",
            Tenure::From3To12 => "3to12",
            Tenure::Gt12 => "gt12",
            Tenure::Unknown => "unknown",
        }
    }

    /// The band named by [`Tenure::as_str`].
    pub fn parse(s: &str) -> Option<Tenure> {
        Tenure::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The band on `on` of an agent hired on `hired_on` (3 and 12 calendar months, clamped to
    /// the end of a shorter month: hired on 31 January, 3 months on 30 April).
    pub fn of(hired_on: Option<Date>, on: Date) -> Tenure {
        match hired_on.and_then(tenure_thresholds) {
            None => Tenure::Unknown,
            Some((t3, _)) if on < t3 => Tenure::Lt3,
            Some((_, t12)) if on < t12 => Tenure::From3To12,
            Some(_) => Tenure::Gt12,
        }
    }
}

/// The days 3 and 12 months after hiring (where the bands change).
pub(crate) fn tenure_thresholds(hired_on: Date) -> Option<(Date, Date)> {
    let t3 = hired_on.checked_add(jiff::Span::new().months(3)).ok()?;
    let t12 = hired_on.checked_add(jiff::Span::new().months(12)).ok()?;
    Some((t3, t12))
}

/// The key of "none recorded" in the region and stage filters and breakdowns.
pub const UNKNOWN_KEY: &str = "unknown";

impl Filter {
    /// Whether the dashboard can answer this filter from its daily rollups alone (dates,
    /// client, branch, team, agent, weekday, tenure, region). `hour` and `stage` are columns
    /// of some rollups only: the parts of the dashboard whose rollups lack them read the
    /// matching interactions one by one, as every part does for the other fields (exact, but
    /// one row per interaction of the range: seconds at a million).
    pub fn rollup_only(&self) -> bool {
        self.category.is_none()
            && self.level.is_none()
            && self.status.is_none()
            && self.score_min.is_none()
            && self.score_max.is_none()
            && self.kind.is_none()
            && self.hour.is_none()
            && self.stage.is_none()
    }

    /// Whether a drill-down field (`weekday`, `hour`, `tenure`, `region`, `stage`) is set.
    pub fn has_drill(&self) -> bool {
        self.weekday.is_some()
            || self.hour.is_some()
            || self.tenure.is_some()
            || self.region.is_some()
            || self.stage.is_some()
    }

    /// The filter as a query string for `/api/interactions` (`from=…&to=…&agent=…`).
    pub fn query_string(&self) -> String {
        let mut q = QueryString::default();
        q.opt("from", self.from.map(|d| d.to_string()));
        q.opt("to", self.to.map(|d| d.to_string()));
        q.opt("client", self.client.clone());
        q.opt("branch", self.branch.clone());
        q.opt("team", self.team.clone());
        q.opt("agent", self.agent_id.clone());
        q.opt("category", self.category.clone());
        q.opt("level", self.level.map(|l| l.to_string()));
        q.opt("status", self.status.map(|s| s.as_str().to_string()));
        q.opt("score_min", self.score_min.map(|s| s.to_string()));
        q.opt("score_max", self.score_max.map(|s| s.to_string()));
        q.opt("kind", self.kind.clone());
        q.opt("weekday", self.weekday.map(|w| w.to_string()));
        q.opt("hour", self.hour.map(|h| h.to_string()));
        q.opt("tenure", self.tenure.map(|t| t.as_str().to_string()));
        q.opt("region", self.region.clone());
        q.opt("stage", self.stage.clone());
        q.0
    }
}

/// A URL query string, percent-encoded.
#[derive(Default)]
pub(crate) struct QueryString(pub String);

impl QueryString {
    pub fn opt(&mut self, k: &str, v: Option<String>) {
        if let Some(v) = v {
            self.push(k, &v);
        }
    }
    pub fn push(&mut self, k: &str, v: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.push_str(k);
        self.0.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                self.0.push(char::from(b));
            } else {
                self.0.push_str(&format!("%{b:02X}"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Categories: compliance / service

/// How a finding category counts in the seeds' targets: `compliance` (the red lines and
/// regulations: the compliance rate and compliance findings per 100 recordings), `service`
/// (the service standard of a call: identity verification → self-introduction → debt
/// confirmation → repayment plan, recording notice: the service-standard execution rate), or
/// `other` (accuracy, communication quality, records and visits, and categories a pack adds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryClass {
    Compliance,
    Service,
    Other,
}

impl CategoryClass {
    pub fn as_str(self) -> &'static str {
        match self {
            CategoryClass::Compliance => "compliance",
            CategoryClass::Service => "service",
            CategoryClass::Other => "other",
        }
    }
}

/// The compliance categories: the `compliance` scorecard item of the default pack
/// (`rules/cn-default/pack.toml`).
pub const COMPLIANCE_CATEGORIES: &[&str] = &[
    "abuse",
    "threat",
    "impersonation",
    "false_legal_claim",
    "third_party_disclosure",
    "unauthorized_promise",
    "private_payment",
    "incite_complaint",
    "pii_leak",
    "off_hours",
    "excessive_frequency",
    "do_not_call",
    "continued_after_stop_request",
];

/// The service-standard categories: the `service` scorecard item of the default pack.
pub const SERVICE_CATEGORIES: &[&str] = &[
    "missing_identity_verification",
    "missing_self_introduction",
    "missing_recording_notice",
    "missing_debt_confirmation",
    "missing_repayment_plan",
];

/// The class of a category. It is stored in the rollups when they are derived; changing these
/// lists needs a new `FACTS_VERSION` (`src/facts.rs`), which rebuilds them on the next open.
pub fn category_class(category: &str) -> CategoryClass {
    if COMPLIANCE_CATEGORIES.contains(&category) {
        CategoryClass::Compliance
    } else if SERVICE_CATEGORIES.contains(&category) {
        CategoryClass::Service
    } else {
        CategoryClass::Other
    }
}

/// The built-in title of a category (`威胁恐吓`), if it is one of PRODUCT.md's.
pub fn category_title(category: &str) -> Option<&'static str> {
    BUILTIN_CATEGORIES
        .iter()
        .find(|(n, _, _)| *n == category)
        .map(|(_, _, t)| *t)
}

// ---------------------------------------------------------------------------------------------
// Audit log

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Stored to the millisecond.
    pub at: Timestamp,
    pub username: String,
    /// The user's role (none for an unknown user, e.g. a failed login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `view_transcript`, `play_recording`, `login`, `login_failed`, `logout`, …
    pub action: String,
    /// What was acted on: an interaction id, a username, …
    pub object: String,
    /// The client's address.
    pub addr: String,
}

// ---------------------------------------------------------------------------------------------
// Interaction list

/// One row of `GET /api/interactions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    pub id: String,
    pub kind: String,
    /// RFC 3339 with the offset of the interaction's local time zone
    /// (`2026-10-01T09:12:00+08:00`).
    pub started_at: String,
    pub local_date: String,
    pub agent_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub client: String,
    pub case_id: String,
    /// Who was on the line: what the inspection read, else what the record says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// The current inspection's (absent when not inspected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    pub finding_count: u32,
    /// Highest finding level, 0 when none.
    pub max_level: u8,
    /// Categories of the findings, in the order found, each once.
    pub categories: Vec<String>,
}

/// A page of the list: newest first; pass `next_cursor` back for the next page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListPage {
    pub items: Vec<ListItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Interaction detail

/// `GET /api/interactions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// The interaction as stored (unmasked: the server masks per role).
    pub interaction: Interaction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<DetailInspection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Agent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<Case>,
    /// The contact record of `interaction.contact.id`, when stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactRecord>,
    /// Interactions with the same person (`person_key`) within ± 1 day of this one's start,
    /// in the caller's scope, oldest first (this one included).
    pub history: Vec<ListItem>,
    /// Complaints of the interaction's case, oldest first.
    pub complaints: Vec<Complaint>,
    /// `/api/interactions/{id}/recording` when the interaction has a recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_url: Option<String>,
}

/// The current inspection of an interaction, with its findings as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetailInspection {
    pub pack: String,
    pub inspected_at: Timestamp,
    pub score: f64,
    pub passed: bool,
    /// Who the engine read on the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    pub findings: Vec<DetailFinding>,
}

/// One finding. `start`/`end` are the character span in the segment (or SMS/note text);
/// `t_start`/`t_end` seconds from the start of the recording (the segment's when the finding
/// has none of its own). `title` is the built-in category title and `source` is empty: the
/// server fills both from the rule pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetailFinding {
    pub rule: String,
    pub category: String,
    pub level: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `compliance`, `service` or `other`.
    pub kind: CategoryClass,
    pub deduction: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_start: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_end: Option<f64>,
    pub excerpt: String,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// Dashboard

/// `GET /api/dashboard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub filter: DashboardFilter,
    pub kpis: Kpis,
    /// One row per local day from `from` to `to` (or the first to the last day with data).
    pub trend: Vec<TrendRow>,
    /// Findings by (category, level), most first.
    pub pareto: Vec<ParetoRow>,
    /// Findings by local weekday (0 = Monday) and hour: all 7 × 24 cells.
    pub heatmap: Vec<HeatCell>,
    pub breakdowns: Breakdowns,
}

/// What a dashboard includes beyond its default (see [`Store::dashboard_with`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DashboardOptions {
    /// Findings by category on the breakdown rows by branch, team, tenure, region, client and
    /// agent.
    pub row_categories: bool,
}

/// The filter the dashboard answered (`agent` is the agent id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub client: Option<String>,
    pub branch: Option<String>,
    pub team: Option<String>,
    pub agent: Option<String>,
}

/// Counts and rates against the seeds' targets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    pub interactions: u64,
    pub calls: u64,
    pub connected_calls: u64,
    /// Calls with a recording.
    pub recordings: u64,
    pub inspected: u64,
    pub failed: u64,
    /// Inspected interactions with at least one finding.
    pub with_findings: u64,
    pub findings: u64,
    /// Findings whose category is a compliance one ([`category_class`]).
    pub compliance_findings: u64,
    pub service_findings: u64,
    /// Compliance findings per 100 recordings (target ≤ 2); none without recordings.
    pub compliance_per_100_recordings: Option<f64>,
    /// Share of inspected interactions without a compliance finding (target ≥ 0.98).
    pub compliance_rate: Option<f64>,
    /// Share of connected calls without a service-standard finding (target ≥ 0.95).
    pub service_standard_rate: Option<f64>,
    /// Complaints received in the period (local days in Asia/Shanghai), in scope.
    pub complaints: u64,
    /// Cases in scope (by the case's client and assigned agent) opened on or before `to`
    /// (or without an opening date).
    pub cases: u64,
    /// `complaints / cases`.
    pub complaint_rate: Option<f64>,
    pub targets: Targets,
}

/// The seeds' targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    pub compliance_rate: f64,
    pub compliance_per_100_recordings: f64,
    pub service_standard_rate: f64,
}

impl Default for Targets {
    fn default() -> Targets {
        Targets {
            compliance_rate: 0.98,
            compliance_per_100_recordings: 2.0,
            service_standard_rate: 0.95,
        }
    }
}

/// One local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRow {
    pub date: String,
    pub interactions: u64,
    pub calls: u64,
    pub connected_calls: u64,
    pub recordings: u64,
    pub inspected: u64,
    pub failed: u64,
    pub findings: u64,
    pub compliance_findings: u64,
    pub service_findings: u64,
    pub complaints: u64,
    /// Query string of `/api/interactions` for this day.
    pub drill: String,
}

/// Findings of one (category, level).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoRow {
    pub category: String,
    /// The built-in title (the server may replace it with the pack's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `compliance`, `service` or `other`.
    pub kind: CategoryClass,
    pub level: u8,
    pub count: u64,
    pub drill: String,
}

/// Findings (and interactions) at one local weekday and hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatCell {
    /// 0 = Monday.
    pub weekday: u8,
    pub hour: u8,
    /// Findings.
    pub count: u64,
    pub interactions: u64,
}

/// The breakdowns of the dashboard; rows with no interaction and no complaint are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdowns {
    /// By the agent's branch (`unknown`: agents not in the agents table).
    pub branch: Vec<BreakdownRow>,
    /// By the agent's (branch, team); key `branch/team`.
    pub team: Vec<BreakdownRow>,
    /// By the agent's tenure on the day of the interaction (hired_on): `lt3` (< 3 months),
    /// `3to12`, `gt12`, `unknown`; in that order.
    pub tenure: Vec<BreakdownRow>,
    /// By the agent's region.
    pub region: Vec<BreakdownRow>,
    /// By case stage (the case record's, else the interaction's own `case.stage`).
    pub stage: Vec<BreakdownRow>,
    pub client: Vec<BreakdownRow>,
    pub agent: Vec<BreakdownRow>,
}

/// One row of a breakdown (rows are ordered by key, tenure in band order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    pub key: String,
    pub label: String,
    pub interactions: u64,
    pub connected_calls: u64,
    pub inspected: u64,
    pub failed: u64,
    pub findings: u64,
    pub compliance_findings: u64,
    pub service_findings: u64,
    /// Inspected interactions with a compliance finding.
    pub compliance_hit: u64,
    /// Connected calls with a service-standard finding.
    pub service_hit: u64,
    pub complaints: u64,
    /// Findings by category: on branch, team, tenure, region, client and agent rows when asked
    /// for ([`DashboardOptions::row_categories`]; from the rollups by day, agent and category);
    /// never on stage rows (no rollup holds findings by stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<BTreeMap<String, u64>>,
    /// Query string of `/api/interactions` for this row (the store fills it for branch, team,
    /// client and agent rows; the server adds the drill-down ones: tenure, region, stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The store's methods

use crate::conn::Conn;
use crate::{Store, StoreError, auth, dash, query_err};

/// Run `$body` with `$c: &mut Conn` on a reader connection inside a read transaction (one
/// snapshot for every query of the call).
macro_rules! read_tx {
    ($store:expr, $c:ident => $body:expr) => {
        match $store {
            Store::Sqlite(s) => {
                let mut pc = s.read().await?;
                let mut tx = sqlx::Connection::begin(&mut *pc)
                    .await
                    .map_err(query_err("begin read"))?;
                let out = {
                    let $c = &mut Conn::Sqlite(&mut tx);
                    $body
                };
                tx.commit().await.map_err(query_err("end read"))?;
                out
            }
            Store::Postgres(s) => {
                let mut pc = s.read().await?;
                let mut tx = sqlx::Connection::begin_with(
                    &mut *pc,
                    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                )
                .await
                .map_err(query_err("begin read"))?;
                let out = {
                    let $c = &mut Conn::Postgres(&mut tx);
                    $body
                };
                tx.commit().await.map_err(query_err("end read"))?;
                out
            }
        }
    };
}

/// Run `$body` with `$c: &mut Conn` on a reader connection (no transaction).
macro_rules! read_conn {
    ($store:expr, $c:ident => $body:expr) => {
        match $store {
            Store::Sqlite(s) => {
                let mut pc = s.read().await?;
                let $c = &mut Conn::Sqlite(&mut pc);
                $body
            }
            Store::Postgres(s) => {
                let mut pc = s.read().await?;
                let $c = &mut Conn::Postgres(&mut pc);
                $body
            }
        }
    };
}

/// Run `$body` with `$c: &mut Conn` on a connection that may write (SQLite: the writer, so
/// small writes queue behind a batch instead of failing on a busy lock).
macro_rules! write_conn {
    ($store:expr, $c:ident => $body:expr) => {
        match $store {
            Store::Sqlite(s) => {
                let mut pc = s.write_conn().await?;
                let $c = &mut Conn::Sqlite(&mut pc);
                $body
            }
            Store::Postgres(s) => {
                let mut pc = s.read().await?;
                let $c = &mut Conn::Postgres(&mut pc);
                $body
            }
        }
    };
}

impl Store {
    /// Create or replace an account (everything but `created_at` is overwritten).
    pub async fn upsert_user(&self, u: &User, password_hash: &str) -> Result<(), StoreError> {
        write_conn!(self, c => auth::upsert_user(c, u, password_hash).await)
    }

    /// An account and its password hash.
    pub async fn user(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        Ok(read_tx!(self, c => auth::user(c, username).await?))
    }

    /// Every account, by username.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        Ok(read_tx!(self, c => auth::users(c).await?))
    }

    /// Store a session by the hash of its token (`created_at` is the store's clock).
    pub async fn create_session(
        &self,
        token_hash: &str,
        username: &str,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        write_conn!(self, c => auth::create_session(c, token_hash, username, csrf, expires_at).await)
    }

    /// The user and CSRF token of a session; `None` when it is missing, expired
    /// (`expires_at <= now`) or its user is gone.
    pub async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(User, String)>, StoreError> {
        Ok(read_tx!(self, c => auth::session(c, token_hash, now).await?))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        write_conn!(self, c => auth::delete_session(c, token_hash).await)
    }

    /// Delete the sessions expired at `now` (`expires_at <= now`); returns how many. Expired
    /// sessions are never returned by [`Store::session`]; this only reclaims their rows (call
    /// it now and then, e.g. on login).
    pub async fn purge_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        write_conn!(self, c => auth::purge_sessions(c, now).await)
    }

    /// Record a login attempt (attempts older than 7 days are dropped on the way).
    pub async fn record_login(
        &self,
        username: &str,
        addr: &str,
        ok: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        write_conn!(self, c => auth::record_login(c, username, addr, ok, at).await)
    }

    /// Failed login attempts at or after `since`: `(for this username, from this address)`.
    pub async fn login_failures(
        &self,
        username: &str,
        addr: &str,
        since: Timestamp,
    ) -> Result<(u32, u32), StoreError> {
        Ok(read_tx!(self, c => auth::login_failures(c, username, addr, since).await?))
    }

    /// Append to the audit log.
    pub async fn audit(&self, e: &AuditEvent) -> Result<(), StoreError> {
        write_conn!(self, c => auth::audit(c, e).await)
    }

    /// The latest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(read_tx!(self, c => auth::audit_log(c, limit).await?))
    }

    /// Interactions in scope matching the filter, newest first (`started_at`, then id), at most
    /// `limit` (1–1000) a page. Pass the page's `next_cursor` for the next one; a cursor not
    /// handed out by this method fails with `store.bad_cursor`.
    pub async fn list_interactions(
        &self,
        scope: &Scope,
        f: &Filter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, StoreError> {
        Ok(read_tx!(self, c => dash::list(c, scope, f, cursor, limit).await?))
    }

    /// An interaction with its inspection, context records, history and complaints; `None`
    /// when it is not stored or not in scope (the server answers 404 either way).
    pub async fn interaction_detail(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<Detail>, StoreError> {
        Ok(read_tx!(self, c => dash::detail(c, scope, id).await?))
    }

    /// The dashboard of the interactions in scope matching the filter. Dates, client, branch,
    /// team and agent are answered from the daily rollups; any other filter field reads the
    /// matching interactions one by one (see [`Filter::rollup_only`]).
    ///
    /// Its parts are read concurrently, each on a reader connection of its own (their
    /// snapshots may straddle a write that commits meanwhile).
    ///
    /// The breakdown rows carry no findings by category (see [`Store::dashboard_with`]).
    pub async fn dashboard(&self, scope: &Scope, f: &Filter) -> Result<Dashboard, StoreError> {
        self.dashboard_with(scope, f, DashboardOptions::default())
            .await
    }

    /// [`Store::dashboard`] with options: `row_categories` adds each breakdown row's findings
    /// by category (but stage rows'). That costs a rollup row per agent, day and category of
    /// the range (≈ 47 000 for 30 days of 60 agents), so it is asked for, not the default.
    pub async fn dashboard_with(
        &self,
        scope: &Scope,
        f: &Filter,
        opts: DashboardOptions,
    ) -> Result<Dashboard, StoreError> {
        let rc = opts.row_categories;
        let prep = read_tx!(self, c => dash::prepare(c, scope, f, rc).await?);
        let prep = &prep;
        let run = |part: dash::Part| async move {
            Ok::<_, StoreError>(read_conn!(self, c => dash::part(c, prep, part).await?))
        };
        let [a, b, c, d] = dash::PARTS;
        let (a, b, c, d) = tokio::try_join!(run(a), run(b), run(c), run(d))?;
        Ok(dash::finish(prep, vec![a, b, c, d]))
    }

    /// Findings by rule of the interactions in scope matching the filter.
    pub async fn rule_hits(
        &self,
        scope: &Scope,
        f: &Filter,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        Ok(read_tx!(self, c => dash::rule_hits(c, scope, f).await?))
    }

    /// Derive the web read models (facts, pairs, rollups) again from the stored
    /// records, in one write transaction. Opening a store does this by itself when they were
    /// derived by another version; this is for repairs and tests.
    pub async fn rebuild_read_models(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.rebuild_facts().await,
            Store::Postgres(s) => s.rebuild_facts().await,
        }
    }
}
