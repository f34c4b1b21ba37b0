//! The PostgreSQL backend: a connection pool; bulk writes bind one array per column and insert
//! with `SELECT * FROM UNNEST(…)`, so a batch is one cached statement per table whatever its
//! size. Writers of one schema are serialised by a transaction-scoped advisory lock, so the
//! new/changed/unchanged decision made inside the transaction stays true until it commits.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, Postgres, QueryBuilder};

use crate::conn::{Conn, ScanRow, ScanTuple};
use crate::facts;
use crate::model::{self, ColType, Denorm, DenormRow, OnConflict, Row, Table, Val, ms};
use crate::write::{self, Prepared};
use crate::{Inspection, RecordKind, ScanFilter, StoreError, WriteOutcome, query_err};

/// Rows per UNNEST insert (the arrays are bound as 23 parameters whatever the row count).
const MAX_ROWS: usize = 5_000;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "web",
        include_str!("../migrations/postgres/0002_web.sql"),
    ),
    (
        3,
        "web_drill",
        include_str!("../migrations/postgres/0003_web_drill.sql"),
    ),
    (
        4,
        "dash_rollups",
        include_str!("../migrations/postgres/0004_dash_rollups.sql"),
    ),
];

fn migrator() -> &'static sqlx::migrate::Migrator {
    static M: OnceLock<sqlx::migrate::Migrator> = OnceLock::new();
    M.get_or_init(|| model::migrator(MIGRATIONS))
}

/// An open PostgreSQL store.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Open a `postgres://` / `postgresql://` URL (sqlx's syntax; `?options[search_path]=s`
    /// puts the store in schema `s`, which must exist).
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
            url: redact(url),
            reason: e.to_string(),
        })?;
        Self::open_with(opts).await
    }

    /// Open with connection options built in code.
    pub async fn open_with(opts: PgConnectOptions) -> Result<PgStore, StoreError> {
        let target = format!(
            "postgres://{}:{}/{}",
            opts.get_host(),
            opts.get_port(),
            opts.get_database().unwrap_or("")
        );
        let connect_err = |e: sqlx::Error| StoreError::Connect {
            target: target.clone(),
            reason: e.to_string(),
        };
        // Statements are prepared and cached per connection; after five runs PostgreSQL may
        // switch to a generic plan, which for the read models' queries (`agent_id = ANY($1)`
        // with a date range) can be an index scan per agent, ten times slower. Plan each run
        // with its values (planning these statements costs well under a millisecond).
        let opts = opts.options([("plan_cache_mode", "force_custom_plan")]);
        // One direct connection first: a wrong host, port or password fails at once instead
        // of after the pool's acquire timeout.
        let first = opts.connect().await.map_err(connect_err)?;
        first.close().await.map_err(connect_err)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(connect_err)?;
        migrator().run(&pool).await.map_err(StoreError::Migrate)?;
        let store = PgStore { pool };
        let current = {
            let mut c = store.read().await?;
            facts::current(&mut Conn::Postgres(&mut c)).await?
        };
        if !current {
            let mut tx = store.begin_write().await?;
            let mut c = Conn::Postgres(&mut tx);
            if !facts::current(&mut c).await? {
                facts::rebuild(&mut c).await?;
            }
            tx.commit().await.map_err(query_err("commit"))?;
        }
        Ok(store)
    }

    pub(crate) async fn rebuild_facts(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        facts::rebuild(&mut Conn::Postgres(&mut tx)).await?;
        tx.commit().await.map_err(query_err("commit"))
    }

    pub(crate) async fn read(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        self.pool.acquire().await.map_err(query_err("acquire"))
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        sqlx::query("SELECT pg_advisory_xact_lock(7349, hashtext(current_schema()))")
            .execute(&mut *tx)
            .await
            .map_err(query_err("writer lock"))?;
        Ok(tx)
    }

    pub(crate) async fn write(&self, prepared: Prepared<'_>) -> Result<WriteOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let out = write::write(&mut Conn::Postgres(&mut tx), prepared).await?;
        tx.commit().await.map_err(query_err("commit"))?;
        Ok(out)
    }

    pub(crate) async fn write_inspections(
        &self,
        items: &[(String, Inspection)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        write::write_inspections(&mut Conn::Postgres(&mut tx), items).await?;
        tx.commit().await.map_err(query_err("commit"))
    }

    pub(crate) async fn scan(
        &self,
        f: &ScanFilter,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScanRow>, StoreError> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT i.body, n.pack, n.inspected_at, n.result FROM interactions i \
             LEFT JOIN inspections n ON n.interaction_id = i.id WHERE TRUE",
        );
        if let Some(a) = after_id {
            qb.push(" AND i.id > ").push_bind(a.to_string());
        }
        if let Some(t) = f.from {
            qb.push(" AND i.started_at >= ").push_bind(ms(t));
        }
        if let Some(t) = f.to {
            qb.push(" AND i.started_at < ").push_bind(ms(t));
        }
        if let Some(c) = &f.client {
            qb.push(" AND i.client = ").push_bind(c.clone());
        }
        // Ids are `COLLATE "C"` (byte order, as in SQLite): the primary key serves the paging.
        qb.push(" ORDER BY i.id LIMIT ")
            .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
        let mut c = self.read().await?;
        let rows: Vec<ScanTuple> = qb
            .build_query_as()
            .fetch_all(&mut *c)
            .await
            .map_err(query_err("scan"))?;
        Ok(rows.into_iter().map(ScanRow::from).collect())
    }

    pub(crate) async fn history(
        &self,
        keys: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (numbers, cases) = crate::history_keys(keys);
        let mut c = self.read().await?;
        sqlx::query_scalar(
            "SELECT body FROM interactions WHERE id IN ( \
               SELECT id FROM interactions WHERE person_key = ANY($1) \
                 AND started_at >= $4 AND started_at < $5 \
               UNION SELECT id FROM interactions WHERE number = ANY($2) \
                 AND started_at >= $4 AND started_at < $5 \
               UNION SELECT id FROM interactions WHERE case_id = ANY($3) \
                 AND started_at >= $4 AND started_at < $5) \
             ORDER BY started_at, id",
        )
        .bind(keys)
        .bind(&numbers)
        .bind(&cases)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("history"))
    }

    pub(crate) async fn flags(&self) -> Result<Vec<String>, StoreError> {
        let mut c = self.read().await?;
        sqlx::query_scalar("SELECT body FROM flags ORDER BY set_at, id")
            .fetch_all(&mut *c)
            .await
            .map_err(query_err("flags"))
    }

    pub(crate) async fn bodies(&self, kind: RecordKind) -> Result<Vec<String>, StoreError> {
        let mut c = self.read().await?;
        QueryBuilder::<Postgres>::new(format!(
            "SELECT body FROM {} ORDER BY id",
            kind.table().name
        ))
        .build_query_scalar()
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("records"))
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.into();
    };
    let rest = &url[scheme_end..];
    let host_start = rest.find('/').unwrap_or(rest.len());
    match rest[..host_start].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end], &rest[at..])
        }
        None => url.into(),
    }
}

pub(crate) async fn hashes(
    c: &mut PgConnection,
    t: &Table,
    ids: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("SELECT id, hash FROM {} WHERE id = ANY(", t.name));
    qb.push_bind(ids).push(")");
    qb.build_query_as()
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("existing hashes"))
}

pub(crate) async fn copy_history(
    c: &mut PgConnection,
    kind: RecordKind,
    t: &Table,
    ids: &[&str],
    now: i64,
) -> Result<(), StoreError> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "INSERT INTO record_history (kind, record_id, hash, replaced_at, body) SELECT ",
    );
    qb.push_bind(kind.as_str())
        .push(", id, hash, ")
        .push_bind(now)
        .push(format_args!(", body FROM {} WHERE id = ANY(", t.name))
        .push_bind(ids)
        .push(")");
    qb.build()
        .execute(&mut *c)
        .await
        .map_err(query_err("copy to history"))?;
    Ok(())
}

/// One column of a chunk, as the array PostgreSQL unnests.
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl Column {
    fn new(ty: ColType, n: usize) -> Column {
        match ty {
            ColType::Text => Column::Text(Vec::with_capacity(n)),
            ColType::Int => Column::Int(Vec::with_capacity(n)),
            ColType::Real => Column::Real(Vec::with_capacity(n)),
            ColType::Bool => Column::Bool(Vec::with_capacity(n)),
        }
    }

    fn push(&mut self, v: Val) {
        // A value of another type than the column is a bug in a row builder (their unit test
        // checks every table); it is stored as NULL rather than aborting the batch.
        match (self, v) {
            (Column::Text(a), Val::Text(s)) => a.push(Some(s)),
            (Column::Int(a), Val::Int(i)) => a.push(Some(i)),
            (Column::Real(a), Val::Real(f)) => a.push(Some(f)),
            (Column::Bool(a), Val::Bool(b)) => a.push(Some(b)),
            (Column::Text(a), _) => a.push(None),
            (Column::Int(a), _) => a.push(None),
            (Column::Real(a), _) => a.push(None),
            (Column::Bool(a), _) => a.push(None),
        }
    }

    fn bind(self, qb: &mut QueryBuilder<Postgres>) {
        match self {
            Column::Text(a) => qb.push_bind(a).push("::text[]"),
            Column::Int(a) => qb.push_bind(a).push("::int8[]"),
            Column::Real(a) => qb.push_bind(a).push("::float8[]"),
            Column::Bool(a) => qb.push_bind(a).push("::bool[]"),
        };
    }
}

pub(crate) async fn insert<I>(
    c: &mut PgConnection,
    t: &Table,
    mut rows: I,
    on: OnConflict,
) -> Result<u64, StoreError>
where
    I: Iterator<Item = Row> + Send,
{
    let head = model::insert_head(t);
    let tail = model::conflict_clause(t, on);
    let build = |rows: &mut I| {
        let chunk: Vec<Row> = rows.by_ref().take(MAX_ROWS).collect();
        if chunk.is_empty() {
            return None;
        }
        let mut cols: Vec<Column> = t
            .cols
            .iter()
            .map(|(_, ty)| Column::new(*ty, chunk.len()))
            .collect();
        for row in chunk {
            for (col, v) in cols.iter_mut().zip(row) {
                col.push(v);
            }
        }
        let mut qb = QueryBuilder::<Postgres>::new(&head);
        qb.push("SELECT * FROM UNNEST(");
        for (n, col) in cols.into_iter().enumerate() {
            if n > 0 {
                qb.push(", ");
            }
            col.bind(&mut qb);
        }
        qb.push(")").push(&tail);
        Some(qb)
    };
    let mut next = build(&mut rows);
    let mut affected = 0;
    while let Some(mut qb) = next {
        let (done, following) = tokio::join!(
            biased;
            qb.build().execute(&mut *c),
            async { build(&mut rows) }
        );
        affected += done.map_err(query_err("insert"))?.rows_affected();
        next = following;
    }
    Ok(affected)
}

pub(crate) async fn delete_in(
    c: &mut PgConnection,
    table: &'static str,
    col: &'static str,
    ids: &[&str],
) -> Result<(), StoreError> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("DELETE FROM {table} WHERE {col} = ANY("));
    qb.push_bind(ids).push(")");
    qb.build()
        .execute(&mut *c)
        .await
        .map_err(query_err("delete"))?;
    Ok(())
}

pub(crate) async fn select_in(
    c: &mut PgConnection,
    table: &'static str,
    col: &'static str,
    ids: &[&str],
) -> Result<Vec<String>, StoreError> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("SELECT {col} FROM {table} WHERE {col} = ANY("));
    qb.push_bind(ids).push(")");
    qb.build_query_scalar()
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("select"))
}

pub(crate) async fn denorms(
    c: &mut PgConnection,
    ids: &[&str],
) -> Result<HashMap<String, Denorm>, StoreError> {
    let rows: Vec<DenormRow> = sqlx::query_as(
        "SELECT id, kind, client, agent_id, started_at, local_date, local_hour::int8, \
         local_weekday::int8 FROM interactions WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut *c)
    .await
    .map_err(query_err("interaction columns"))?;
    Ok(rows.into_iter().map(model::denorm_from_row).collect())
}

pub(crate) async fn count(c: &mut PgConnection, sql: &'static str) -> Result<i64, StoreError> {
    sqlx::query_scalar(sql)
        .fetch_one(&mut *c)
        .await
        .map_err(query_err("count"))
}

pub(crate) async fn group_counts(
    c: &mut PgConnection,
    sql: &'static str,
) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as(sql)
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("count"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_password() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://h/db"), "postgres://h/db");
    }
}
