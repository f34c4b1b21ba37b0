//! The backends a store-backed test runs against (`zhijian_store::testing`): SQLite always,
//! and PostgreSQL — each test in its own fresh schema — when `ZHIJIAN_TEST_DATABASE_URL` is set.

use zhijian_store::testing::Backend;

/// SQLite always; PostgreSQL too when `ZHIJIAN_TEST_DATABASE_URL` is set (said once, as
/// `PostgreSQL service tests: RUN …` or `… SKIPPED …`).
pub async fn backends() -> Vec<Backend> {
    zhijian_store::testing::backends("service tests").await
}
