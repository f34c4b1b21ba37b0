//! Context records (extension of interchange v1): the clients, agents, cases, contacts and
//! complaints that a collection system exports beside its interactions. Each is one JSON Lines
//! object whose `kind` names it; the tabular importers (CSV/XLSX) produce the same types.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A lender that outsourced cases (委托方):
/// `{"kind":"client","id","name"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
}

/// A collection agent and their place in the org tree (head office → branch → team → agent):
/// `{"kind":"agent","id","name","branch","team","region"?,"hired_on"?,"supervisor"?}`.
/// A team is identified by its branch and its name together (every branch may have a "一组").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub branch: String,
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Hire date, for tenure bands (< 3 months, 3–12, > 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hired_on: Option<Date>,
    /// Agent id of the team lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<String>,
}

/// A collection case:
/// `{"kind":"case","id","client","product"?,"principal"?,"balance"?,"days_past_due"?,"stage"?,
/// "debtor"?,"agent_id"?,"opened_on"?}`. Amounts are in yuan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    pub client: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_past_due: Option<u32>,
    /// Collection stage, e.g. M1, M2, M3+, 委外.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The debtor's (synthetic) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debtor: Option<String>,
    /// The agent the case is assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_on: Option<Date>,
}

/// A person reachable for a case (the debtor or a third party):
/// `{"kind":"contact","id","case_id","relation"?,"number"?,"name"?,"timezone"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub id: String,
    pub case_id: String,
    /// debtor, spouse, parent, relative, colleague, friend, emergency, … (as recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A complaint (投诉工单):
/// `{"kind":"complaint","id","case_id","source","received_at","closed_at"?,"agent_id"?,
/// "interaction_id"?,"category"?,"summary"?}`. `source` is where it came from: `client`
/// (委托方), `regulator` (监管, 12378), `hotline` (客服热线), `internal`, or another word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: String,
    pub case_id: String,
    pub source: String,
    pub received_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The interaction complained about, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<String>,
    /// A finding category (PRODUCT.md) when the complaint has been classified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}
