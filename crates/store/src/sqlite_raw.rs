//! Bulk inserts through SQLite's C API, on the connection sqlx holds.
//!
//! sqlx binds every value through its own argument buffer (an `Arc` per value), hands the
//! statement to the connection's worker thread, and SQLite then copies every text it is given
//! (`SQLITE_TRANSIENT`). For the write path's bulk inserts, that is a copy of each 4 kB call
//! body and several allocations per value on two threads. Here the caller locks the connection
//! (sqlx's worker makes no call on it meanwhile), prepares one single-row statement per
//! insert, and steps it once per row with the row's values bound in place
//! (`SQLITE_STATIC`: the row outlives the step). Single-row statements also never need a
//! statement journal, so upserts into pages that already exist copy nothing.
//!
//! The only `unsafe` code of the workspace: every call is on a handle that
//! [`sqlx::sqlite::LockedSqliteHandle`] guarantees no other thread uses, with pointers into
//! values that live until the statement is reset.

use std::ffi::{CStr, c_char, c_int};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;

use crate::model::{Row, Val};

/// Why a raw insert failed: SQLite's result code and message.
#[derive(Debug, thiserror::Error)]
#[error("{message} (SQLite code {code})")]
pub struct RawError {
    pub code: c_int,
    pub message: String,
}

/// A prepared statement, finalized when dropped.
struct Stmt {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Drop for Stmt {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on this handle and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

fn error(db: NonNull<ffi::sqlite3>, code: c_int) -> RawError {
    // SAFETY: the handle is open; `sqlite3_errmsg` returns a NUL-terminated string owned by
    // the connection, copied here before any other call on it.
    let message = unsafe {
        let m = ffi::sqlite3_errmsg(db.as_ptr());
        if m.is_null() {
            String::new()
        } else {
            CStr::from_ptr(m).to_string_lossy().into_owned()
        }
    };
    RawError { code, message }
}

impl Stmt {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Stmt, RawError> {
        let len = c_int::try_from(sql.len()).map_err(|_| RawError {
            code: ffi::SQLITE_TOOBIG,
            message: "statement too long".into(),
        })?;
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        // SAFETY: `sql` is valid for `len` bytes for the duration of the call; `stmt` receives
        // a new statement (or NULL) that `Stmt` then owns.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr().cast::<c_char>(),
                len,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Stmt { db, stmt }),
            Some(stmt) => {
                let e = error(db, rc);
                drop(Stmt { db, stmt });
                Err(e)
            }
            None => Err(error(
                db,
                if rc == ffi::SQLITE_OK {
                    ffi::SQLITE_MISUSE
                } else {
                    rc
                },
            )),
        }
    }

    /// Bind `row` (parameters 1…n), step once, reset; returns the rows changed.
    fn run(&mut self, row: &Row) -> Result<u64, RawError> {
        let s = self.stmt.as_ptr();
        for (n, v) in row.iter().enumerate() {
            let i = c_int::try_from(n + 1).unwrap_or(c_int::MAX);
            // SAFETY: `s` is a live statement of this handle. Texts are bound with
            // `SQLITE_STATIC`: they belong to `row`, which outlives the step and the reset
            // below (after which SQLite no longer reads them; the next row rebinds every
            // parameter).
            let rc = unsafe {
                match v {
                    Val::Null => ffi::sqlite3_bind_null(s, i),
                    Val::Int(x) => ffi::sqlite3_bind_int64(s, i, *x),
                    Val::Real(x) => ffi::sqlite3_bind_double(s, i, *x),
                    Val::Bool(x) => ffi::sqlite3_bind_int64(s, i, i64::from(*x)),
                    Val::Text(t) => ffi::sqlite3_bind_text64(
                        s,
                        i,
                        t.as_ptr().cast::<c_char>(),
                        t.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                let e = error(self.db, rc);
                // SAFETY: as above.
                unsafe { ffi::sqlite3_reset(s) };
                return Err(e);
            }
        }
        // SAFETY: as above; the statement is reset after every step, so each row starts it
        // afresh, and the bound texts are not read after the reset.
        unsafe {
            let rc = ffi::sqlite3_step(s);
            if rc != ffi::SQLITE_DONE {
                let e = error(self.db, rc);
                ffi::sqlite3_reset(s);
                return Err(e);
            }
            let changed = ffi::sqlite3_changes64(self.db.as_ptr());
            ffi::sqlite3_reset(s);
            Ok(u64::try_from(changed).unwrap_or(0))
        }
    }
}

/// Insert `rows` with `sql` (a single-row `INSERT … VALUES (?, …)` taking a row's values in
/// order) on `db`, which the caller holds locked. Returns the rows changed.
pub(crate) fn insert_rows(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    rows: impl Iterator<Item = Row>,
) -> Result<u64, RawError> {
    let mut stmt = Stmt::prepare(db, sql)?;
    let mut changed = 0;
    for row in rows {
        changed += stmt.run(&row)?;
    }
    Ok(changed)
}

/// Turn SQLite's memory statistics off, before the process opens its first connection: with
/// them on, every allocation SQLite makes takes a global mutex (≈ 4 % of the writer thread's
/// instructions). Nothing here reads them. Once SQLite is initialised the setting can no longer
/// change and this does nothing.
pub(crate) fn memstatus_off() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` is documented as callable before `sqlite3_initialize`
        // (which opening a connection calls); after it, it returns SQLITE_MISUSE and changes
        // nothing. The `Once` keeps this process from calling it concurrently.
        let off: c_int = 0;
        unsafe {
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, off);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's first open switched SQLite's memory statistics off: SQLite counts no
    /// memory in use (it would with them on, `SQLITE_DEFAULT_MEMSTATUS` being 1).
    #[tokio::test]
    async fn memory_statistics_are_off() {
        let store = crate::Store::open("sqlite::memory:").await.unwrap();
        let (mut cur, mut high) = (0i64, 0i64);
        // SAFETY: plain out-parameters; `sqlite3_status64` is thread-safe.
        let rc = unsafe {
            ffi::sqlite3_status64(ffi::SQLITE_STATUS_MEMORY_USED, &mut cur, &mut high, 0)
        };
        assert_eq!(rc, ffi::SQLITE_OK);
        assert_eq!(cur, 0, "SQLite still counts its memory");
        store.close().await;
    }
}
