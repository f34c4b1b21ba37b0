//! The backends a store-backed test runs against: SQLite (a temporary file) always, and
//! PostgreSQL — each test in its own fresh schema — when `ZHIJIAN_TEST_DATABASE_URL` is set.

use zhijian_store::Store;

pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres { base: String, schema: String },
}

/// Straight to the process's standard error, past the test harness's capture, so CI logs show
/// which backends ran.
fn say(m: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{m}");
}

static ANNOUNCED: std::sync::Once = std::sync::Once::new();

pub async fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite(tempfile::tempdir().expect("tmp"))];
    match std::env::var("ZHIJIAN_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            ANNOUNCED.call_once(|| say(&format!("PostgreSQL service tests: RUN against {base}")));
            let schema = format!(
                "zj_svc_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
                    % 1_000_000_000
            );
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
                .await
                .expect("connect to ZHIJIAN_TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&mut conn)
                .await
                .expect("create schema");
            v.push(Backend::Postgres { base, schema });
        }
        _ => ANNOUNCED.call_once(|| {
            say("PostgreSQL service tests: SKIPPED (ZHIJIAN_TEST_DATABASE_URL not set)")
        }),
    }
    v
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    pub fn url(&self) -> String {
        match self {
            Backend::Sqlite(dir) => format!("sqlite://{}", dir.path().join("t.db").display()),
            Backend::Postgres { base, schema } => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options[search_path]={schema}")
            }
        }
    }

    pub async fn store(&self) -> std::sync::Arc<Store> {
        std::sync::Arc::new(Store::open(&self.url()).await.expect("open store"))
    }

    pub async fn cleanup(&self) {
        if let Backend::Postgres { base, schema } = self
            && let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(base).await
        {
            {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}
