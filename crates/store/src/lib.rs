//! Zhijian storage: one interface, two backends (embedded SQLite by default, PostgreSQL at
//! scale), each a module with its own migrations.
//!
//! [`Store::open`] picks the backend from the URL and applies the migrations. Records are
//! kept with their content hash and canonical JSON (`body`), so a re-ingested unchanged record
//! is recognised and left alone, a changed one is updated with its previous version copied to
//! `record_history`, and every record can be read back exactly. See `docs/store.md`.

mod auth;
mod conn;
mod dash;
mod facts;
mod hash;
mod model;
pub mod postgres;
mod q;
pub mod sqlite;
mod sqlite_raw;
#[cfg(feature = "testing")]
pub mod testing;
pub mod web;
mod write;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use zhijian_domain::{InspectionResult, Interaction, Record, Timestamp};

use conn::Conn;
pub use hash::{canonical_json, content_hash, hash_str};
pub use web::{
    AuditEvent, BreakdownRow, Breakdowns, CategoryClass, Dashboard, DashboardFilter,
    DashboardOptions, Detail, DetailFinding, DetailInspection, Filter, HeatCell, Kpis, ListItem,
    ListPage, ParetoRow, Role, Scope, Status, Targets, TrendRow, User, category_class,
    category_title,
};

/// The store: an embedded SQLite file or a PostgreSQL database behind one interface.
#[derive(Debug)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// The kinds of stored records (one table each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Interaction,
    Flag,
    Client,
    Agent,
    Case,
    Contact,
    Complaint,
}

impl RecordKind {
    /// Every kind, in the order a batch is written (context before interactions).
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Client,
        RecordKind::Agent,
        RecordKind::Case,
        RecordKind::Contact,
        RecordKind::Flag,
        RecordKind::Complaint,
        RecordKind::Interaction,
    ];

    pub fn of(r: &Record) -> RecordKind {
        match r {
            Record::Interaction(_) => RecordKind::Interaction,
            Record::Flag(_) => RecordKind::Flag,
            Record::Client(_) => RecordKind::Client,
            Record::Agent(_) => RecordKind::Agent,
            Record::Case(_) => RecordKind::Case,
            Record::Contact(_) => RecordKind::Contact,
            Record::Complaint(_) => RecordKind::Complaint,
        }
    }

    /// `interaction`, `flag`, `client`, `agent`, `case`, `contact`, `complaint` (the `kind`
    /// column of `record_history`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Interaction => "interaction",
            RecordKind::Flag => "flag",
            RecordKind::Client => "client",
            RecordKind::Agent => "agent",
            RecordKind::Case => "case",
            RecordKind::Contact => "contact",
            RecordKind::Complaint => "complaint",
        }
    }
}

/// The stored id of a record. Flags have none of their own: theirs is derived from what they
/// are set on, the flag and the instant (`do_not_call:contact=P1@2026-01-01T02:00:00Z`), so
/// the same flag ingested twice is one flag.
pub fn record_id(r: &Record) -> String {
    match r {
        Record::Interaction(i) => i.id.clone(),
        Record::Flag(f) => {
            let mut target = Vec::with_capacity(2);
            if let Some(c) = &f.contact_id {
                target.push(format!("contact={c}"));
            }
            if let Some(c) = &f.case_id {
                target.push(format!("case={c}"));
            }
            format!(
                "{}:{}@{}",
                model::flag_str(f.flag),
                target.join(","),
                f.set_at
            )
        }
        Record::Client(c) => c.id.clone(),
        Record::Agent(a) => a.id.clone(),
        Record::Case(c) => c.id.clone(),
        Record::Contact(c) => c.id.clone(),
        Record::Complaint(c) => c.id.clone(),
    }
}

/// What one [`Store::write`] stores, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub records: Vec<Upsert>,
    pub rejects: Vec<Reject>,
}

/// A record to insert or update, with its [`content_hash`] and, for an interaction, its
/// inspection.
#[derive(Debug, Clone)]
pub struct Upsert {
    pub record: Record,
    /// [`content_hash`] of `record`: compared with the stored hash to tell new, changed and
    /// unchanged records apart.
    pub hash: String,
    /// [`canonical_json`] of `record` when the caller already has it (it hashed it): saves
    /// serialising the record a second time.
    pub body: Option<String>,
    pub inspection: Option<Inspection>,
}

impl Upsert {
    /// An upsert with the record's content hash computed.
    pub fn new(record: Record, inspection: Option<Inspection>) -> Upsert {
        let body = canonical_json(&record);
        let hash = hash_str(&body);
        Upsert {
            record,
            hash,
            body: Some(body),
            inspection,
        }
    }
}

/// The current inspection of an interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// `pack_id@version`, e.g. `cn-default@2026.11.1`.
    pub pack: String,
    /// Stored to the millisecond.
    pub inspected_at: Timestamp,
    pub result: InspectionResult,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    /// JSON path of the field at fault, or empty for the whole line.
    pub field: String,
    pub reason: String,
    pub raw: String,
}

/// What a [`Store::write`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOutcome {
    /// Records that were not stored before.
    pub inserted: u64,
    /// Stored records whose content changed (the previous version went to history).
    pub updated: u64,
    /// Stored records with the same content hash (left alone).
    pub unchanged: u64,
    /// Rejects recorded for the first time (a reject already stored for the same file, line
    /// and raw text is not counted again).
    pub rejects: u64,
}

/// Which stored interactions [`Store::scan_interactions`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanFilter {
    /// `started_at >= from`
    pub from: Option<Timestamp>,
    /// `started_at < to`
    pub to: Option<Timestamp>,
    pub client: Option<String>,
}

/// Stored interactions by channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCounts {
    pub total: u64,
    pub call: u64,
    pub sms: u64,
    pub visit: u64,
    pub note: u64,
}

/// What the store holds (`zhijian stats --json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub backend: String,
    pub interactions: ChannelCounts,
    /// Interactions with a current inspection.
    pub inspected: u64,
    /// Inspected interactions that did not pass.
    pub failed: u64,
    /// Findings of the current inspections.
    pub findings: u64,
    pub findings_by_category: BTreeMap<String, u64>,
    /// Level 1 (一级) … 4 (四级); every level is present.
    pub findings_by_level: BTreeMap<u8, u64>,
    pub rejects: u64,
    pub complaints: u64,
    pub clients: u64,
    pub agents: u64,
    pub cases: u64,
    pub contacts: u64,
    pub flags: u64,
    /// Previous versions kept in `record_history`.
    pub history_versions: u64,
}

/// Store failures. These are internal or environment errors, never a user's bad input line;
/// each has a stable [`code`](StoreError::code).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store URL names no backend or cannot be parsed.
    #[error("bad store URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// The database could not be opened or reached.
    #[error("cannot open the store at {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("migrating the store failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("store query failed ({context}): {source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// SQLite refused a statement the store ran through its C API (bulk inserts).
    #[error("store query failed ({context}): {message} (SQLite code {code})")]
    Sqlite {
        context: &'static str,
        code: i32,
        message: String,
    },
    /// A stored body could not be read back.
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt { what: String, reason: String },
    /// An inspection was written for an interaction that is not stored.
    #[error("no stored interaction `{0}` to attach an inspection to")]
    UnknownInteraction(String),
    /// A list cursor that this store did not hand out.
    #[error("invalid list cursor `{0}`")]
    BadCursor(String),
}

impl StoreError {
    /// `store.bad_url`, `store.connect`, `store.migrate`, `store.query`, `store.corrupt`,
    /// `store.unknown_interaction`, `store.bad_cursor`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::BadUrl { .. } => "store.bad_url",
            StoreError::Connect { .. } => "store.connect",
            StoreError::Migrate(_) => "store.migrate",
            StoreError::Query { .. } | StoreError::Sqlite { .. } => "store.query",
            StoreError::Corrupt { .. } => "store.corrupt",
            StoreError::UnknownInteraction(_) => "store.unknown_interaction",
            StoreError::BadCursor(_) => "store.bad_cursor",
        }
    }
}

/// The `no:` and `case:` keys of a history query, without their prefixes.
pub(crate) fn history_keys<'a>(keys: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let numbers = keys.iter().filter_map(|k| k.strip_prefix("no:")).collect();
    let cases = keys
        .iter()
        .filter_map(|k| k.strip_prefix("case:"))
        .collect();
    (numbers, cases)
}

pub(crate) fn query_err(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}

impl Store {
    /// Open (creating if needed) and migrate the store named by `url`:
    /// `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:`, a bare path (an SQLite file, created
    /// with its parent directory if missing), or `postgres://…` / `postgresql://…` (sqlx's
    /// connection URL; `?options[search_path]=schema` selects a schema).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let u = url.trim();
        let lower = u.to_ascii_lowercase();
        if u.is_empty() {
            return Err(StoreError::BadUrl {
                url: url.into(),
                reason: "empty".into(),
            });
        }
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return postgres::PgStore::open(u).await.map(Store::Postgres);
        }
        if lower.starts_with("sqlite:") {
            return sqlite::SqliteStore::open(u).await.map(Store::Sqlite);
        }
        if let Some(scheme) = u.find("://").map(|i| &u[..i]) {
            return Err(StoreError::BadUrl {
                url: url.into(),
                reason: format!(
                    "unknown scheme `{scheme}` (use sqlite://PATH, a file path, or postgres://…)"
                ),
            });
        }
        sqlite::SqliteStore::open_path(std::path::Path::new(u))
            .await
            .map(Store::Sqlite)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Content hashes already stored for these ids of one kind (ids not stored are absent).
    pub async fn existing(
        &self,
        kind: RecordKind,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        match self {
            Store::Sqlite(s) => {
                let mut c = s.read().await?;
                Conn::Sqlite(&mut c).hashes(kind.table(), &ids).await
            }
            Store::Postgres(s) => {
                let mut c = s.read().await?;
                Conn::Postgres(&mut c).hashes(kind.table(), &ids).await
            }
        }
    }

    /// Store a batch in one transaction: insert new records, update changed ones (copying the
    /// previous version into `record_history`), leave unchanged ones alone — decided inside the
    /// transaction by comparing `hash` —, replace the inspection and findings of each inserted
    /// or updated interaction, and record the rejects.
    ///
    /// An updated interaction without an inspection loses its old one (it described other
    /// content). An unchanged interaction keeps its stored inspection; the one in the batch is
    /// stored only if it had none. A record that appears twice in a batch is written in order
    /// (the second occurrence is an update of the first when it differs).
    pub async fn write(&self, batch: &Batch) -> Result<WriteOutcome, StoreError> {
        let prepared = write::prepare(batch);
        match self {
            Store::Sqlite(s) => s.write(prepared).await,
            Store::Postgres(s) => s.write(prepared).await,
        }
    }

    /// Replace the inspections (and findings) of stored interactions, in one transaction. Fails
    /// with `store.unknown_interaction`, storing nothing, if an interaction is not stored.
    pub async fn write_inspections(
        &self,
        items: &[(String, Inspection)],
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.write_inspections(items).await,
            Store::Postgres(s) => s.write_inspections(items).await,
        }
    }

    /// Stored interactions with their current inspection, ordered by id, after `after_id`
    /// (keyset paging: pass the last id of the previous page), at most `limit`.
    pub async fn scan_interactions(
        &self,
        filter: &ScanFilter,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Interaction, Option<Inspection>)>, StoreError> {
        let rows = match self {
            Store::Sqlite(s) => s.scan(filter, after_id, limit).await?,
            Store::Postgres(s) => s.scan(filter, after_id, limit).await?,
        };
        rows.into_iter().map(conn::ScanRow::decode).collect()
    }

    /// Stored interactions with `started_at` in `[from, to)` that share a key with the ones
    /// being inspected, ordered by `started_at` then id: the contact history event-log rules
    /// need (with [`Store::flags`]). Keys are written as [`Interaction::person_key`] writes
    /// them: `id:…` matches that person key; `no:DIGITS` also matches any interaction with
    /// that (normalised) number, whoever the contact (attempts per number); `case:…` also
    /// matches every interaction of that case (notes against calls). Pass a person's
    /// `person_key()`, `no:` + `number_key()` and `case:` + `case_id` to get all three.
    pub async fn history(
        &self,
        person_keys: &[String],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Interaction>, StoreError> {
        let keys: Vec<&str> = person_keys.iter().map(String::as_str).collect();
        let bodies = match self {
            Store::Sqlite(s) => s.history(&keys, from, to).await?,
            Store::Postgres(s) => s.history(&keys, from, to).await?,
        };
        bodies.iter().map(|b| conn::decode_interaction(b)).collect()
    }

    /// Every stored flag, ordered by `set_at`.
    pub async fn flags(&self) -> Result<Vec<zhijian_domain::Flag>, StoreError> {
        let bodies = match self {
            Store::Sqlite(s) => s.flags().await?,
            Store::Postgres(s) => s.flags().await?,
        };
        bodies.iter().map(|b| conn::decode_flag(b)).collect()
    }

    /// Every stored record of one kind, ordered by id, as it was written (for export and
    /// tests; use [`Store::scan_interactions`] to page through interactions).
    pub async fn records(&self, kind: RecordKind) -> Result<Vec<Record>, StoreError> {
        let bodies = match self {
            Store::Sqlite(s) => s.bodies(kind).await?,
            Store::Postgres(s) => s.bodies(kind).await?,
        };
        bodies.iter().map(|b| conn::decode_record(b)).collect()
    }

    /// Counts of what the store holds.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let mut stats = match self {
            Store::Sqlite(s) => {
                let mut c = s.read().await?;
                Conn::Sqlite(&mut c).stats().await?
            }
            Store::Postgres(s) => {
                let mut c = s.read().await?;
                Conn::Postgres(&mut c).stats().await?
            }
        };
        stats.backend = self.backend().into();
        Ok(stats)
    }

    /// Close the connections (waits for them to finish).
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
            Store::Postgres(s) => s.close().await,
        }
    }
}
