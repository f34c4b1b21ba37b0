//! Test support (cargo feature `testing`, for the tests of this crate and the crates above
//! it): the backends a store-backed test runs against. SQLite (a file in a temporary
//! directory that does not exist yet) always; PostgreSQL when `ZHIJIAN_TEST_DATABASE_URL` is
//! set, each test in a fresh schema of its own, dropped at the end (also when the test panics).

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Store;

/// The PostgreSQL server the tests run against, when set: `postgres://…/test`.
pub const DATABASE_URL_ENV: &str = "ZHIJIAN_TEST_DATABASE_URL";

/// The PostgreSQL base URL from [`DATABASE_URL_ENV`], if it is set and not blank.
pub fn database_url() -> Option<String> {
    std::env::var(DATABASE_URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// Straight to the process's standard error, past the test harness's capture, so CI logs show
/// which backends ran.
pub fn announce(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

/// One backend for one test: where its store lives, cleaned up when dropped.
pub struct Backend {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite { _dir: tempfile::TempDir },
    Postgres(SchemaGuard),
}

impl Backend {
    /// A SQLite file in a fresh temporary directory (in a folder that does not exist yet: the
    /// store creates it).
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!(
            "sqlite://{}",
            dir.path().join("db").join("zhijian.db").display()
        );
        Backend {
            url,
            kind: Kind::Sqlite { _dir: dir },
        }
    }

    /// A fresh schema on the PostgreSQL server at `base`; the URL selects it with
    /// `options[search_path]`.
    pub async fn postgres(base: &str) -> Backend {
        let schema = format!("zj_{}", unique());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(base)
            .await
            .unwrap_or_else(|e| panic!("connect to {DATABASE_URL_ENV}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let _ = sqlx::Connection::close(conn).await;
        let sep = if base.contains('?') { '&' } else { '?' };
        Backend {
            url: format!("{base}{sep}options[search_path]={schema}"),
            kind: Kind::Postgres(SchemaGuard {
                base: base.to_string(),
                schema: Some(schema),
            }),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Sqlite { .. } => "sqlite",
            Kind::Postgres(_) => "postgres",
        }
    }

    /// The URL to open the store at.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Open (and migrate) the store.
    pub async fn open(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("open {} store: {e}", self.name()))
    }

    /// [`Backend::open`], shared.
    pub async fn store(&self) -> Arc<Store> {
        Arc::new(self.open().await)
    }

    /// Drop the PostgreSQL schema now (dropping the backend does it too, from a thread of its
    /// own); the SQLite directory goes when `self` does.
    pub async fn cleanup(mut self) {
        if let Kind::Postgres(guard) = &mut self.kind
            && let Some(schema) = guard.schema.take()
        {
            drop_schema(&guard.base, &schema).await;
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// SQLite always, and PostgreSQL when [`DATABASE_URL_ENV`] is set. Says once per test binary,
/// outside the harness's capture, `PostgreSQL <what>: RUN against <url>` or
/// `PostgreSQL <what>: SKIPPED (ZHIJIAN_TEST_DATABASE_URL not set)`.
pub async fn backends(what: &str) -> Vec<Backend> {
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    let mut v = vec![Backend::sqlite()];
    match database_url() {
        Some(base) => {
            ANNOUNCED.call_once(|| announce(&format!("PostgreSQL {what}: RUN against {base}")));
            v.push(Backend::postgres(&base).await);
        }
        None => ANNOUNCED.call_once(|| {
            announce(&format!(
                "PostgreSQL {what}: SKIPPED ({DATABASE_URL_ENV} not set)"
            ))
        }),
    }
    v
}

/// Drops the schema when the backend goes, also when the test panics.
struct SchemaGuard {
    base: String,
    /// `None` once dropped.
    schema: Option<String>,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let base = self.base.clone();
        // A thread of its own: `drop` may run inside (or outside) an async runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_schema(&base, &schema));
            }
        })
        .join();
    }
}

async fn drop_schema(base: &str, schema: &str) {
    if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(base).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&mut conn)
        .await;
        let _ = sqlx::Connection::close(conn).await;
    }
}

/// Unique within the server: process, time and a counter.
fn unique() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}_{:x}_{}",
        std::process::id(),
        nanos & 0xffff_ffff_ffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}
