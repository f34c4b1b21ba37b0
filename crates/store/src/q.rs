//! Queries written once for both backends: SQL text with bound arguments, turned into an sqlx
//! query of the backend that holds the connection (placeholders `?` or `$n` come from sqlx's
//! `QueryBuilder`), and rows read back as [`Val`]s of the column types the caller expects.
//!
//! The SQL itself is the common subset of SQLite and PostgreSQL; where the dialects differ
//! (lists of ids) a helper writes each backend's form.

use sqlx::{Postgres, QueryBuilder, Row as _, Sqlite};

use crate::conn::Conn;
use crate::model::{ColType, Row, Val};
use crate::{StoreError, query_err};

/// A bound argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Real(f64),
    /// A list of strings: one JSON parameter on SQLite, a `text[]` on PostgreSQL.
    Texts(Vec<String>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(v.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Arg {
        Arg::Real(v)
    }
}

#[derive(Debug, Clone)]
enum Part {
    Sql(String),
    Arg(Arg),
}

/// SQL text with arguments, for the backend named by `pg`.
#[derive(Debug, Clone)]
pub(crate) struct Q {
    pub pg: bool,
    parts: Vec<Part>,
}

impl Q {
    pub fn new(pg: bool, sql: &str) -> Q {
        Q {
            pg,
            parts: vec![Part::Sql(sql.to_string())],
        }
    }

    pub fn sql(&mut self, s: &str) -> &mut Q {
        self.parts.push(Part::Sql(s.to_string()));
        self
    }

    pub fn arg(&mut self, a: impl Into<Arg>) -> &mut Q {
        self.parts.push(Part::Arg(a.into()));
        self
    }

    /// `expr IN (list)`: `IN (SELECT value FROM json_each(?))` on SQLite, `= ANY($n)` on
    /// PostgreSQL (one parameter, one cached statement whatever the length).
    pub fn in_list(&mut self, expr: &str, items: &[String]) -> &mut Q {
        if self.pg {
            self.sql(&format!("{expr} = ANY("))
                .arg(Arg::Texts(items.to_vec()))
                .sql(")")
        } else {
            self.sql(&format!("{expr} IN (SELECT value FROM json_each("))
                .arg(Arg::Texts(items.to_vec()))
                .sql("))")
        }
    }

    fn sqlite(&self) -> QueryBuilder<Sqlite> {
        let mut qb = QueryBuilder::<Sqlite>::new("");
        for p in &self.parts {
            match p {
                Part::Sql(s) => {
                    qb.push(s);
                }
                Part::Arg(Arg::Text(v)) => {
                    qb.push_bind(v.clone());
                }
                Part::Arg(Arg::Int(v)) => {
                    qb.push_bind(*v);
                }
                Part::Arg(Arg::Real(v)) => {
                    qb.push_bind(*v);
                }
                Part::Arg(Arg::Texts(v)) => {
                    qb.push_bind(serde_json::to_string(v).unwrap_or_else(|_| "[]".into()));
                }
            }
        }
        qb
    }

    fn postgres(&self) -> QueryBuilder<Postgres> {
        let mut qb = QueryBuilder::<Postgres>::new("");
        for p in &self.parts {
            match p {
                Part::Sql(s) => {
                    qb.push(s);
                }
                Part::Arg(Arg::Text(v)) => {
                    qb.push_bind(v.clone());
                }
                Part::Arg(Arg::Int(v)) => {
                    qb.push_bind(*v);
                }
                Part::Arg(Arg::Real(v)) => {
                    qb.push_bind(*v);
                }
                Part::Arg(Arg::Texts(v)) => {
                    qb.push_bind(v.clone()).push("::text[]");
                }
            }
        }
        qb
    }
}

fn decode_sqlite(row: &sqlx::sqlite::SqliteRow, types: &[ColType]) -> Result<Row, sqlx::Error> {
    let mut out = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate() {
        let v = match ty {
            ColType::Text => row.try_get::<Option<String>, _>(i)?.into(),
            ColType::Int => row.try_get::<Option<i64>, _>(i)?.into(),
            ColType::Real => row.try_get::<Option<f64>, _>(i)?.into(),
            ColType::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
        };
        out.push(v);
    }
    Ok(out)
}

fn decode_pg(row: &sqlx::postgres::PgRow, types: &[ColType]) -> Result<Row, sqlx::Error> {
    let mut out = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate() {
        let v = match ty {
            ColType::Text => row.try_get::<Option<String>, _>(i)?.into(),
            ColType::Int => row.try_get::<Option<i64>, _>(i)?.into(),
            ColType::Real => row.try_get::<Option<f64>, _>(i)?.into(),
            ColType::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
        };
        out.push(v);
    }
    Ok(out)
}

impl Conn<'_> {
    pub fn pg(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }

    /// A query for this connection's backend.
    pub fn q(&self, sql: &str) -> Q {
        Q::new(self.pg(), sql)
    }

    /// Run a query and read its rows as values of `types` (integers must be BIGINT on
    /// PostgreSQL: cast sums and INTEGER columns).
    pub async fn fetch(
        &mut self,
        q: &Q,
        types: &[ColType],
        context: &'static str,
    ) -> Result<Vec<Row>, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let mut qb = q.sqlite();
                let rows = qb
                    .build()
                    .fetch_all(&mut **c)
                    .await
                    .map_err(query_err(context))?;
                rows.iter()
                    .map(|r| decode_sqlite(r, types))
                    .collect::<Result<_, _>>()
                    .map_err(query_err(context))
            }
            Conn::Postgres(c) => {
                let mut qb = q.postgres();
                let rows = qb
                    .build()
                    .fetch_all(&mut **c)
                    .await
                    .map_err(query_err(context))?;
                rows.iter()
                    .map(|r| decode_pg(r, types))
                    .collect::<Result<_, _>>()
                    .map_err(query_err(context))
            }
        }
    }

    /// The first column of the first row as an integer (0 when there is none).
    pub async fn fetch_int(&mut self, q: &Q, context: &'static str) -> Result<i64, StoreError> {
        let rows = self.fetch(q, &[ColType::Int], context).await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .map(Val::int)
            .unwrap_or(0))
    }

    /// Run a statement; returns the rows affected.
    pub async fn exec(&mut self, q: &Q, context: &'static str) -> Result<u64, StoreError> {
        match self {
            Conn::Sqlite(c) => Ok(q
                .sqlite()
                .build()
                .execute(&mut **c)
                .await
                .map_err(query_err(context))?
                .rows_affected()),
            Conn::Postgres(c) => Ok(q
                .postgres()
                .build()
                .execute(&mut **c)
                .await
                .map_err(query_err(context))?
                .rows_affected()),
        }
    }
}

impl Val {
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            Val::Real(f) => *f as i64,
            Val::Bool(b) => i64::from(*b),
            _ => 0,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Null => None,
            v => Some(v.int()),
        }
    }
    pub fn real(&self) -> Option<f64> {
        match self {
            Val::Real(f) => Some(*f),
            Val::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    pub fn text(&self) -> String {
        match self {
            Val::Text(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            _ => String::new(),
        }
    }
    pub fn take_text(&mut self) -> String {
        match std::mem::replace(self, Val::Null) {
            Val::Text(s) => s,
            Val::Int(i) => i.to_string(),
            _ => String::new(),
        }
    }
    pub fn take_opt_text(&mut self) -> Option<String> {
        match std::mem::replace(self, Val::Null) {
            Val::Text(s) => Some(s),
            _ => None,
        }
    }
}
