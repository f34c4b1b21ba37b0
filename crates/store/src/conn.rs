//! The few primitives the shared write path and the shared queries need, dispatched to the
//! backend that holds the connection, and the decoding of stored bodies.

use std::collections::HashMap;

use sqlx::{PgConnection, SqliteConnection};
use zhijian_domain::{Flag, Interaction, Record};

use crate::model::{Denorm, OnConflict, Row, Table, from_ms};
use crate::{ChannelCounts, Inspection, RecordKind, Stats, StoreError, postgres, sqlite};

pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// Stored `(id, hash)` of these ids.
    pub async fn hashes(
        &mut self,
        t: &Table,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let pairs = match self {
            Conn::Sqlite(c) => sqlite::hashes(c, t, ids).await?,
            Conn::Postgres(c) => postgres::hashes(c, t, ids).await?,
        };
        Ok(pairs.into_iter().collect())
    }

    /// Copy the stored versions of these ids into `record_history`.
    pub async fn copy_history(
        &mut self,
        kind: RecordKind,
        t: &Table,
        ids: &[&str],
        now: i64,
    ) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(c) => sqlite::copy_history(c, kind, t, ids, now).await,
            Conn::Postgres(c) => postgres::copy_history(c, kind, t, ids, now).await,
        }
    }

    /// Insert rows (in as many statements as the backend needs); returns the rows affected.
    /// Rows are pulled from the iterator chunk by chunk while the previous chunk executes.
    pub async fn insert<I>(&mut self, t: &Table, rows: I, on: OnConflict) -> Result<u64, StoreError>
    where
        I: Iterator<Item = Row> + Send,
    {
        match self {
            Conn::Sqlite(c) => sqlite::insert(c, t, rows, on).await,
            Conn::Postgres(c) => postgres::insert(c, t, rows, on).await,
        }
    }

    pub async fn delete_in(
        &mut self,
        table: &'static str,
        col: &'static str,
        ids: &[&str],
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        match self {
            Conn::Sqlite(c) => sqlite::delete_in(c, table, col, ids).await,
            Conn::Postgres(c) => postgres::delete_in(c, table, col, ids).await,
        }
    }

    /// The values of `col` among `ids` that are stored in `table`.
    pub async fn select_in(
        &mut self,
        table: &'static str,
        col: &'static str,
        ids: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Conn::Sqlite(c) => sqlite::select_in(c, table, col, ids).await,
            Conn::Postgres(c) => postgres::select_in(c, table, col, ids).await,
        }
    }

    /// What findings repeat of these stored interactions.
    pub async fn denorms(&mut self, ids: &[&str]) -> Result<HashMap<String, Denorm>, StoreError> {
        match self {
            Conn::Sqlite(c) => sqlite::denorms(c, ids).await,
            Conn::Postgres(c) => postgres::denorms(c, ids).await,
        }
    }

    async fn count(&mut self, sql: &'static str) -> Result<u64, StoreError> {
        let n = match self {
            Conn::Sqlite(c) => sqlite::count(c, sql).await?,
            Conn::Postgres(c) => postgres::count(c, sql).await?,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn group_counts(&mut self, sql: &'static str) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = match self {
            Conn::Sqlite(c) => sqlite::group_counts(c, sql).await?,
            Conn::Postgres(c) => postgres::group_counts(c, sql).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(k, n)| (k, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The same SQL on both backends. Interaction, inspection and finding counts come from
    /// the rollups (exact: the write path maintains them in the same transaction).
    pub async fn stats(&mut self) -> Result<Stats, StoreError> {
        use crate::model::ColType::Int;
        let mut s = Stats::default();
        let q = self.q(
            "SELECT CAST(COALESCE(SUM(interactions), 0) AS BIGINT), \
             CAST(COALESCE(SUM(calls), 0) AS BIGINT), CAST(COALESCE(SUM(sms), 0) AS BIGINT), \
             CAST(COALESCE(SUM(visits), 0) AS BIGINT), CAST(COALESCE(SUM(notes), 0) AS BIGINT), \
             CAST(COALESCE(SUM(inspected), 0) AS BIGINT), CAST(COALESCE(SUM(failed), 0) AS BIGINT), \
             CAST(COALESCE(SUM(findings), 0) AS BIGINT) FROM roll_int",
        );
        let r = self.fetch(&q, &[Int; 8], "stats").await?;
        let n = |k: usize| {
            r.first()
                .map_or(0, |r| u64::try_from(r[k].int()).unwrap_or(0))
        };
        s.interactions = ChannelCounts {
            total: n(0),
            call: n(1),
            sms: n(2),
            visit: n(3),
            note: n(4),
        };
        (s.inspected, s.failed, s.findings) = (n(5), n(6), n(7));
        s.findings_by_category = self
            .group_counts("SELECT category, CAST(SUM(n) AS BIGINT) FROM roll_cat GROUP BY category")
            .await?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        s.findings_by_level = (1..=4).map(|l| (l, 0)).collect();
        for (level, n) in self
            .group_counts(
                "SELECT CAST(level AS TEXT), CAST(SUM(n) AS BIGINT) FROM roll_cat GROUP BY level",
            )
            .await?
        {
            if let Ok(l) = level.parse::<u8>() {
                s.findings_by_level.insert(l, n);
            }
        }
        s.rejects = self.count("SELECT count(*) FROM rejects").await?;
        s.complaints = self.count("SELECT count(*) FROM complaints").await?;
        s.clients = self.count("SELECT count(*) FROM clients").await?;
        s.agents = self.count("SELECT count(*) FROM agents").await?;
        s.cases = self.count("SELECT count(*) FROM cases").await?;
        s.contacts = self.count("SELECT count(*) FROM contacts").await?;
        s.flags = self.count("SELECT count(*) FROM flags").await?;
        s.history_versions = self.count("SELECT count(*) FROM record_history").await?;
        Ok(s)
    }
}

/// One row of a scan: the interaction's body and its inspection, if any.
pub(crate) struct ScanRow {
    pub body: String,
    pub pack: Option<String>,
    pub inspected_at: Option<i64>,
    pub result: Option<String>,
}

/// `(body, pack, inspected_at, result)` as a scan query returns it.
pub(crate) type ScanTuple = (String, Option<String>, Option<i64>, Option<String>);

impl From<ScanTuple> for ScanRow {
    fn from((body, pack, inspected_at, result): ScanTuple) -> ScanRow {
        ScanRow {
            body,
            pack,
            inspected_at,
            result,
        }
    }
}

impl ScanRow {
    pub fn decode(self) -> Result<(Interaction, Option<Inspection>), StoreError> {
        let i = decode_interaction(&self.body)?;
        let ins = match (self.pack, self.inspected_at, self.result) {
            (Some(pack), Some(at), Some(result)) => Some(Inspection {
                pack,
                inspected_at: from_ms(at),
                result: serde_json::from_str(&result).map_err(|e| StoreError::Corrupt {
                    what: format!("inspection of `{}`", i.id),
                    reason: e.to_string(),
                })?,
            }),
            _ => None,
        };
        Ok((i, ins))
    }
}

pub(crate) fn decode_interaction(body: &str) -> Result<Interaction, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        what: "interaction".into(),
        reason: e.to_string(),
    })
}

pub(crate) fn decode_flag(body: &str) -> Result<Flag, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        what: "flag".into(),
        reason: e.to_string(),
    })
}

pub(crate) fn decode_record(body: &str) -> Result<Record, StoreError> {
    zhijian_domain::parse_record(body).map_err(|e| StoreError::Corrupt {
        what: "record".into(),
        reason: e.to_string(),
    })
}
