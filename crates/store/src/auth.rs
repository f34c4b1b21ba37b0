//! Accounts, sessions, login attempts and the audit log: small tables, the same SQL on both
//! backends.

use zhijian_domain::Timestamp;

use crate::StoreError;
use crate::conn::Conn;
use crate::model::{ColType, Row, from_ms, ms};
use crate::web::{AuditEvent, Role, User};

use ColType::{Int, Text};

/// Login attempts older than this are dropped when a new one is recorded.
const KEEP_ATTEMPTS_MS: i64 = 7 * 86_400_000;

const USER_COLS: &str =
    "u.username, u.display_name, u.role, u.branch, u.team, u.agent_id, u.client";
const USER_TYPES: [ColType; 7] = [Text, Text, Text, Text, Text, Text, Text];

fn user_of(r: &mut Row) -> Result<User, StoreError> {
    let role = r[2].text();
    Ok(User {
        username: r[0].take_text(),
        display_name: r[1].take_text(),
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt {
            what: "user".into(),
            reason: format!("unknown role `{role}`"),
        })?,
        branch: r[3].take_opt_text(),
        team: r[4].take_opt_text(),
        agent_id: r[5].take_opt_text(),
        client: r[6].take_opt_text(),
    })
}

pub(crate) async fn upsert_user(
    conn: &mut Conn<'_>,
    u: &User,
    password_hash: &str,
) -> Result<(), StoreError> {
    let now = ms(Timestamp::now());
    let mut q = conn.q(
        "INSERT INTO users (username, display_name, role, branch, team, agent_id, client, \
         password_hash, created_at, updated_at) VALUES (",
    );
    q.arg(u.username.as_str())
        .sql(", ")
        .arg(u.display_name.as_str())
        .sql(", ")
        .arg(u.role.as_str());
    for v in [&u.branch, &u.team, &u.agent_id, &u.client] {
        q.sql(", ");
        match v {
            Some(s) => q.arg(s.as_str()),
            None => q.sql("NULL"),
        };
    }
    q.sql(", ")
        .arg(password_hash)
        .sql(", ")
        .arg(now)
        .sql(", ")
        .arg(now)
        .sql(
            ") ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, \
             role = excluded.role, branch = excluded.branch, team = excluded.team, \
             agent_id = excluded.agent_id, client = excluded.client, \
             password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        );
    conn.exec(&q, "upsert user").await?;
    Ok(())
}

pub(crate) async fn user(
    conn: &mut Conn<'_>,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let mut q = conn.q(&format!(
        "SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.username = "
    ));
    q.arg(username);
    let mut types = USER_TYPES.to_vec();
    types.push(Text);
    match conn.fetch(&q, &types, "user").await?.pop() {
        None => Ok(None),
        Some(mut r) => {
            let hash = r[7].take_text();
            Ok(Some((user_of(&mut r)?, hash)))
        }
    }
}

pub(crate) async fn users(conn: &mut Conn<'_>) -> Result<Vec<User>, StoreError> {
    let q = conn.q(&format!(
        "SELECT {USER_COLS} FROM users u ORDER BY u.username"
    ));
    conn.fetch(&q, &USER_TYPES, "users")
        .await?
        .iter_mut()
        .map(user_of)
        .collect()
}

pub(crate) async fn create_session(
    conn: &mut Conn<'_>,
    token_hash: &str,
    username: &str,
    csrf: &str,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    let now = ms(Timestamp::now());
    let mut q = conn
        .q("INSERT INTO sessions (token_hash, username, csrf, created_at, expires_at) VALUES (");
    q.arg(token_hash)
        .sql(", ")
        .arg(username)
        .sql(", ")
        .arg(csrf)
        .sql(", ")
        .arg(now)
        .sql(", ")
        .arg(ms(expires_at))
        .sql(
            ") ON CONFLICT (token_hash) DO UPDATE SET username = excluded.username, \
             csrf = excluded.csrf, created_at = excluded.created_at, \
             expires_at = excluded.expires_at",
        );
    conn.exec(&q, "create session").await?;
    Ok(())
}

pub(crate) async fn session(
    conn: &mut Conn<'_>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(User, String)>, StoreError> {
    let mut q = conn.q(&format!(
        "SELECT {USER_COLS}, s.csrf FROM sessions s JOIN users u ON u.username = s.username \
         WHERE s.token_hash = "
    ));
    q.arg(token_hash).sql(" AND s.expires_at > ").arg(ms(now));
    let mut types = USER_TYPES.to_vec();
    types.push(Text);
    match conn.fetch(&q, &types, "session").await?.pop() {
        None => Ok(None),
        Some(mut r) => {
            let csrf = r[7].take_text();
            Ok(Some((user_of(&mut r)?, csrf)))
        }
    }
}

pub(crate) async fn purge_sessions(conn: &mut Conn<'_>, now: Timestamp) -> Result<u64, StoreError> {
    let mut q = conn.q("DELETE FROM sessions WHERE expires_at <= ");
    q.arg(ms(now));
    conn.exec(&q, "purge sessions").await
}

pub(crate) async fn delete_session(
    conn: &mut Conn<'_>,
    token_hash: &str,
) -> Result<(), StoreError> {
    let mut q = conn.q("DELETE FROM sessions WHERE token_hash = ");
    q.arg(token_hash);
    conn.exec(&q, "delete session").await?;
    Ok(())
}

pub(crate) async fn record_login(
    conn: &mut Conn<'_>,
    username: &str,
    addr: &str,
    ok: bool,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut q = conn.q("DELETE FROM login_attempts WHERE at < ");
    q.arg(ms(at) - KEEP_ATTEMPTS_MS);
    conn.exec(&q, "expire login attempts").await?;
    let mut q = conn.q("INSERT INTO login_attempts (username, addr, ok, at) VALUES (");
    q.arg(username)
        .sql(", ")
        .arg(addr)
        .sql(", ")
        .arg(i64::from(ok))
        .sql(", ")
        .arg(ms(at))
        .sql(")");
    conn.exec(&q, "record login").await?;
    Ok(())
}

pub(crate) async fn login_failures(
    conn: &mut Conn<'_>,
    username: &str,
    addr: &str,
    since: Timestamp,
) -> Result<(u32, u32), StoreError> {
    let mut counts = [0u32; 2];
    for (k, (col, v)) in [("username", username), ("addr", addr)]
        .into_iter()
        .enumerate()
    {
        let mut q = conn.q(&format!(
            "SELECT count(*) FROM login_attempts WHERE ok = 0 AND {col} = "
        ));
        q.arg(v).sql(" AND at >= ").arg(ms(since));
        counts[k] = u32::try_from(conn.fetch_int(&q, "login failures").await?).unwrap_or(u32::MAX);
    }
    Ok((counts[0], counts[1]))
}

pub(crate) async fn audit(conn: &mut Conn<'_>, e: &AuditEvent) -> Result<(), StoreError> {
    let mut q = conn.q("INSERT INTO audit_log (at, username, role, action, object, addr) VALUES (");
    q.arg(ms(e.at)).sql(", ").arg(e.username.as_str()).sql(", ");
    match e.role {
        Some(r) => q.arg(r.as_str()),
        None => q.sql("NULL"),
    };
    q.sql(", ")
        .arg(e.action.as_str())
        .sql(", ")
        .arg(e.object.as_str())
        .sql(", ")
        .arg(e.addr.as_str())
        .sql(")");
    conn.exec(&q, "audit").await?;
    Ok(())
}

pub(crate) async fn audit_log(
    conn: &mut Conn<'_>,
    limit: u32,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut q = conn.q(
        "SELECT at, username, role, action, object, addr FROM audit_log \
         ORDER BY at DESC, id DESC LIMIT ",
    );
    q.arg(i64::from(limit));
    Ok(conn
        .fetch(&q, &[Int, Text, Text, Text, Text, Text], "audit log")
        .await?
        .into_iter()
        .map(|mut r| AuditEvent {
            at: from_ms(r[0].int()),
            username: r[1].take_text(),
            role: r[2].as_text().and_then(|s| Role::parse(&s)),
            action: r[3].take_text(),
            object: r[4].take_text(),
            addr: r[5].take_text(),
        })
        .collect())
}
