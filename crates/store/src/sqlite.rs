//! The embedded SQLite backend (the default): one file, WAL, created with its directory if
//! missing. Writes are serialised (one writer, `BEGIN IMMEDIATE`); reads run beside them.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jiff::Timestamp;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::conn::{Conn, ScanRow, ScanTuple};
use crate::facts;
use crate::model::{self, Denorm, DenormRow, OnConflict, Row, Table, ms};
use crate::write::{self, Prepared};
use crate::{Inspection, RecordKind, ScanFilter, StoreError, WriteOutcome, query_err};

/// 16 KiB pages: a call's body (≈ 4 kB of JSON) fits in its row instead of spilling into a
/// mostly empty overflow page (4 KiB pages waste ≈ 18 % and write ≈ 15 % slower).
const PAGE_SIZE: u32 = 16_384;
/// Page cache of the writer connection (negative: KiB): the indexes' hot pages.
const WRITER_CACHE: &str = "-131072";
/// Page cache of each reader connection.
const READER_CACHE: &str = "-32768";
/// Bytes written (roughly) after which a background checkpoint starts.
const CHECKPOINT_AFTER_BYTES: usize = 16 << 20;
/// SQLite's automatic checkpoint, a backstop should background checkpoints fall behind.
const AUTOCHECKPOINT_PAGES: u32 = 16_384;
/// The WAL file is truncated to this size after a checkpoint resets it.
const JOURNAL_SIZE_LIMIT: u64 = 64 << 20;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (2, "web", include_str!("../migrations/sqlite/0002_web.sql")),
    (
        3,
        "web_drill",
        include_str!("../migrations/sqlite/0003_web_drill.sql"),
    ),
    (
        4,
        "dash_rollups",
        include_str!("../migrations/sqlite/0004_dash_rollups.sql"),
    ),
];

fn migrator() -> &'static sqlx::migrate::Migrator {
    static M: OnceLock<sqlx::migrate::Migrator> = OnceLock::new();
    M.get_or_init(|| model::migrator(MIGRATIONS))
}

/// An open SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
    /// The one connection that writes.
    writer: SqlitePool,
    /// Connections that read (WAL: readers do not block the writer nor each other). The same
    /// pool as `writer` for an in-memory database.
    reader: SqlitePool,
    /// One write transaction at a time, and checkpoints coordinated with them.
    write_lock: tokio::sync::Mutex<()>,
    /// None for an in-memory database (no WAL).
    checkpointer: Option<Checkpointer>,
}

/// Moves WAL checkpoints off the write path: after a large write, a passive checkpoint runs on
/// another connection (another SQLite thread) while the caller prepares its next batch; the
/// next write waits for it before it begins, so the WAL is reset and stays about one batch
/// long (a checkpoint that is not done when a write begins would let the WAL grow).
#[derive(Debug)]
struct Checkpointer {
    running: Arc<tokio::sync::Mutex<()>>,
    pending_bytes: AtomicUsize,
}

impl Checkpointer {
    /// Wait for a checkpoint in flight.
    async fn wait(&self) {
        drop(self.running.lock().await);
    }

    fn after_write(&self, pool: &SqlitePool, bytes: usize) {
        let pending = self.pending_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if pending < CHECKPOINT_AFTER_BYTES {
            return;
        }
        let Ok(guard) = self.running.clone().try_lock_owned() else {
            return;
        };
        self.pending_bytes.store(0, Ordering::Relaxed);
        let pool = pool.clone();
        tokio::spawn(async move {
            // A failed checkpoint is retried after the next large write; SQLite's automatic
            // checkpoint is the backstop.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await;
            drop(guard);
        });
    }
}

impl SqliteStore {
    /// Open an `sqlite:` URL (`sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:`, with sqlx's
    /// query parameters).
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let opts = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
            url: url.into(),
            reason: e.to_string(),
        })?;
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        Self::open_with(opts, memory).await
    }

    /// Open (creating if missing) the SQLite file at `path`.
    pub async fn open_path(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(SqliteConnectOptions::new().filename(path), false).await
    }

    async fn open_with(
        opts: SqliteConnectOptions,
        memory: bool,
    ) -> Result<SqliteStore, StoreError> {
        crate::sqlite_raw::memstatus_off();
        let target = opts.get_filename().display().to_string();
        let connect_err = |reason: String| StoreError::Connect {
            target: target.clone(),
            reason,
        };
        if !memory
            && let Some(dir) = opts.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| connect_err(format!("creating {}: {e}", dir.display())))?;
        }
        let mut opts = opts
            .create_if_missing(true)
            .page_size(PAGE_SIZE)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(false)
            .statement_cache_capacity(256)
            .pragma("temp_store", "memory");
        if memory {
            // An in-memory database lives as long as a connection to it: keep exactly one,
            // for reads and writes.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts.pragma("cache_size", WRITER_CACHE))
                .await
                .map_err(|e| connect_err(e.to_string()))?;
            migrator().run(&pool).await.map_err(StoreError::Migrate)?;
            ensure_facts(&pool).await?;
            return Ok(SqliteStore {
                writer: pool.clone(),
                reader: pool,
                write_lock: tokio::sync::Mutex::new(()),
                checkpointer: None,
            });
        }
        // Checkpoints run in the background after large writes (see `Checkpointer`); SQLite's
        // own automatic checkpoint stays as a backstop for a much larger WAL.
        opts = opts
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", AUTOCHECKPOINT_PAGES.to_string())
            .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string());
        // One long-lived writer connection: its page cache (the index pages that random keys
        // touch) stays valid from one batch to the next, which it would not if writes moved
        // between connections.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts.clone().pragma("cache_size", WRITER_CACHE))
            .await
            .map_err(|e| connect_err(e.to_string()))?;
        migrator().run(&writer).await.map_err(StoreError::Migrate)?;
        ensure_facts(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.pragma("cache_size", READER_CACHE))
            .await
            .map_err(|e| connect_err(e.to_string()))?;
        Ok(SqliteStore {
            writer,
            reader,
            write_lock: tokio::sync::Mutex::new(()),
            checkpointer: Some(Checkpointer {
                running: Arc::new(tokio::sync::Mutex::new(())),
                pending_bytes: AtomicUsize::new(0),
            }),
        })
    }

    pub(crate) async fn read(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.reader.acquire().await.map_err(query_err("acquire"))
    }

    /// The writer connection, for small writes outside batches (accounts, audit log): they
    /// wait for a batch in progress instead of failing on SQLite's busy lock.
    pub(crate) async fn write_conn(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.writer.acquire().await.map_err(query_err("acquire"))
    }

    pub(crate) async fn rebuild_facts(&self) -> Result<(), StoreError> {
        let _one_writer = self.write_lock.lock().await;
        if let Some(c) = &self.checkpointer {
            c.wait().await;
        }
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_err("begin"))?;
        facts::rebuild(&mut Conn::Sqlite(&mut tx)).await?;
        tx.commit().await.map_err(query_err("commit"))
    }

    pub(crate) async fn write(&self, prepared: Prepared<'_>) -> Result<WriteOutcome, StoreError> {
        let _one_writer = self.write_lock.lock().await;
        if let Some(c) = &self.checkpointer {
            c.wait().await;
        }
        let bytes = prepared.approx_bytes();
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_err("begin"))?;
        let out = write::write(&mut Conn::Sqlite(&mut tx), prepared).await?;
        tx.commit().await.map_err(query_err("commit"))?;
        if let Some(c) = &self.checkpointer {
            c.after_write(&self.reader, bytes);
        }
        Ok(out)
    }

    pub(crate) async fn write_inspections(
        &self,
        items: &[(String, Inspection)],
    ) -> Result<(), StoreError> {
        let _one_writer = self.write_lock.lock().await;
        if let Some(c) = &self.checkpointer {
            c.wait().await;
        }
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_err("begin"))?;
        write::write_inspections(&mut Conn::Sqlite(&mut tx), items).await?;
        tx.commit().await.map_err(query_err("commit"))?;
        if let Some(c) = &self.checkpointer {
            // ≈ 1 kB per inspection with its findings.
            c.after_write(&self.reader, items.len() * 1024);
        }
        Ok(())
    }

    pub(crate) async fn scan(
        &self,
        f: &ScanFilter,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScanRow>, StoreError> {
        // Walk the primary key in id order and filter row by row (`+col` keeps SQLite from
        // using another index, which would sort every matching row, body and all, for each
        // page): a full paging costs one pass over the table whatever the filter.
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT i.body, n.pack, n.inspected_at, n.result FROM interactions i \
             LEFT JOIN inspections n ON n.interaction_id = i.id WHERE 1 = 1",
        );
        if let Some(a) = after_id {
            qb.push(" AND i.id > ").push_bind(a.to_string());
        }
        if let Some(t) = f.from {
            qb.push(" AND +i.started_at >= ").push_bind(ms(t));
        }
        if let Some(t) = f.to {
            qb.push(" AND +i.started_at < ").push_bind(ms(t));
        }
        if let Some(c) = &f.client {
            qb.push(" AND +i.client = ").push_bind(c.clone());
        }
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
               SELECT id FROM interactions WHERE person_key IN (SELECT value FROM json_each(?1)) \
                 AND started_at >= ?4 AND started_at < ?5 \
               UNION SELECT id FROM interactions WHERE number IN (SELECT value FROM json_each(?2)) \
                 AND started_at >= ?4 AND started_at < ?5 \
               UNION SELECT id FROM interactions WHERE case_id IN (SELECT value FROM json_each(?3)) \
                 AND started_at >= ?4 AND started_at < ?5) \
             ORDER BY started_at, id",
        )
        .bind(ids_json(keys))
        .bind(ids_json(&numbers))
        .bind(ids_json(&cases))
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
        QueryBuilder::<Sqlite>::new(format!(
            "SELECT body FROM {} ORDER BY id",
            kind.table().name
        ))
        .build_query_scalar()
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("records"))
    }

    pub(crate) async fn close(&self) {
        if let Some(c) = &self.checkpointer {
            c.wait().await;
        }
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Derive the web read models if they are missing or were derived by another version (a
/// store written before they existed). Checked with a read first, so a read-only store whose
/// models are current opens.
async fn ensure_facts(pool: &SqlitePool) -> Result<(), StoreError> {
    {
        let mut c = pool.acquire().await.map_err(query_err("acquire"))?;
        if facts::current(&mut Conn::Sqlite(&mut c)).await? {
            return Ok(());
        }
    }
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(query_err("begin"))?;
    let mut c = Conn::Sqlite(&mut tx);
    if !facts::current(&mut c).await? {
        facts::rebuild(&mut c).await?;
    }
    tx.commit().await.map_err(query_err("commit"))
}

/// An id list as one JSON array parameter (`IN (SELECT value FROM json_each(?))`): one cached
/// statement whatever the number of ids, and no parameter limit.
fn ids_json(ids: &[&str]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

fn in_ids(sql: String, ids: &[&str]) -> QueryBuilder<Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(sql);
    qb.push(" IN (SELECT value FROM json_each(")
        .push_bind(ids_json(ids))
        .push("))");
    qb
}

pub(crate) async fn hashes(
    c: &mut SqliteConnection,
    t: &Table,
    ids: &[&str],
) -> Result<Vec<(String, String)>, StoreError> {
    in_ids(format!("SELECT id, hash FROM {} WHERE id", t.name), ids)
        .build_query_as()
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("existing hashes"))
}

pub(crate) async fn copy_history(
    c: &mut SqliteConnection,
    kind: RecordKind,
    t: &Table,
    ids: &[&str],
    now: i64,
) -> Result<(), StoreError> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "INSERT INTO record_history (kind, record_id, hash, replaced_at, body) SELECT ",
    );
    qb.push_bind(kind.as_str())
        .push(", id, hash, ")
        .push_bind(now)
        .push(format_args!(
            ", body FROM {} WHERE id IN (SELECT value FROM json_each(",
            t.name
        ))
        .push_bind(ids_json(ids))
        .push("))");
    qb.build()
        .execute(&mut *c)
        .await
        .map_err(query_err("copy to history"))?;
    Ok(())
}

/// The text of a single-row insert into `t`, built once per process for each (table, conflict
/// handling).
fn insert_sql(t: &Table, on: OnConflict) -> Arc<str> {
    type Key = (&'static str, u8);
    static CACHE: OnceLock<std::sync::Mutex<HashMap<Key, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (t.name, on as u8);
    if let Some(sql) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return sql.clone();
    }
    let mut head = model::insert_head(t);
    if on == OnConflict::Fail {
        // `OR FAIL`: the whole transaction is rolled back on any error anyway.
        head = head.replacen("INSERT INTO", "INSERT OR FAIL INTO", 1);
    }
    let sql: Arc<str> = format!(
        "{head}VALUES ({}){}",
        vec!["?"; t.cols.len()].join(", "),
        model::conflict_clause(t, on)
    )
    .into();
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, sql.clone());
    sql
}

/// Insert rows one by one through one prepared single-row statement (a multi-row statement
/// saves nothing once binding is free, and would need a statement journal for upserts).
pub(crate) async fn insert<I>(
    c: &mut SqliteConnection,
    t: &Table,
    rows: I,
    on: OnConflict,
) -> Result<u64, StoreError>
where
    I: Iterator<Item = Row> + Send,
{
    let sql = insert_sql(t, on);
    // sqlx's worker makes no call on the connection while the handle is locked; the rows are
    // bound and stepped here, on this thread (see `sqlite_raw`).
    let mut locked = c.lock_handle().await.map_err(query_err("insert"))?;
    let db = locked.as_raw_handle();
    crate::sqlite_raw::insert_rows(db, &sql, rows).map_err(|e| StoreError::Sqlite {
        context: "insert",
        code: e.code,
        message: e.message,
    })
}

pub(crate) async fn delete_in(
    c: &mut SqliteConnection,
    table: &'static str,
    col: &'static str,
    ids: &[&str],
) -> Result<(), StoreError> {
    in_ids(format!("DELETE FROM {table} WHERE {col}"), ids)
        .build()
        .execute(&mut *c)
        .await
        .map_err(query_err("delete"))?;
    Ok(())
}

pub(crate) async fn select_in(
    c: &mut SqliteConnection,
    table: &'static str,
    col: &'static str,
    ids: &[&str],
) -> Result<Vec<String>, StoreError> {
    in_ids(format!("SELECT {col} FROM {table} WHERE {col}"), ids)
        .build_query_scalar()
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("select"))
}

pub(crate) async fn denorms(
    c: &mut SqliteConnection,
    ids: &[&str],
) -> Result<HashMap<String, Denorm>, StoreError> {
    let rows: Vec<DenormRow> = in_ids(
        "SELECT id, kind, client, agent_id, started_at, local_date, local_hour, local_weekday \
         FROM interactions WHERE id"
            .into(),
        ids,
    )
    .build_query_as()
    .fetch_all(&mut *c)
    .await
    .map_err(query_err("interaction columns"))?;
    Ok(rows.into_iter().map(model::denorm_from_row).collect())
}

pub(crate) async fn count(c: &mut SqliteConnection, sql: &'static str) -> Result<i64, StoreError> {
    sqlx::query_scalar(sql)
        .fetch_one(&mut *c)
        .await
        .map_err(query_err("count"))
}

pub(crate) async fn group_counts(
    c: &mut SqliteConnection,
    sql: &'static str,
) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as(sql)
        .fetch_all(&mut *c)
        .await
        .map_err(query_err("count"))
}
