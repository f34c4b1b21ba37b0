//! Accounts and sessions: argon2id password hashes, session tokens (32 random bytes,
//! base64url, in the `zj_session` cookie; only their SHA-256 is stored), a CSRF token per
//! session checked on every state-changing request, login throttling, and the [`Caller`]
//! extractor that handlers use to learn who is asking.

use std::net::SocketAddr;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use zhijian_domain::Timestamp;
use zhijian_store::{AuditEvent, Role, Scope, User};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "zj_session";
/// Sessions end this long after sign-in.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// Failed sign-ins (per username, or per address) that lock further attempts …
pub const MAX_FAILURES: u32 = 5;
/// … within this window.
pub const THROTTLE_WINDOW_SECONDS: i64 = 15 * 60;
/// The request header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

// ---------------------------------------------------------------------------------------------
// Passwords and tokens

/// An argon2id hash (PHC string) of a password, with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash that no password matches: verified against for unknown users, so that the answer
/// takes as long as for a known one.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("no user has this password").unwrap_or_default())
}

/// 32 random bytes, base64url without padding.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// What the store keeps of a session token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------
// Who is asking

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub csrf: String,
    /// SHA-256 of the session token.
    pub token_hash: String,
    /// The client's address (for the audit log).
    pub addr: String,
}

impl Caller {
    pub fn scope(&self) -> Scope {
        Scope::of(&self.user)
    }

    /// Whether personal data is shown in clear (admin, qa_lead).
    pub fn sees_clear(&self) -> bool {
        matches!(self.user.role, Role::Admin | Role::QaLead)
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Write an entry to the audit log.
    pub async fn audit(&self, st: &AppState, action: &str, object: &str) -> ApiResult<()> {
        st.store
            .audit(&AuditEvent {
                at: Timestamp::now(),
                username: self.user.username.clone(),
                role: Some(self.user.role),
                action: action.to_string(),
                object: object.to_string(),
                addr: self.addr.clone(),
            })
            .await?;
        Ok(())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The client's address: the connection's peer (no proxy header is trusted).
pub fn client_addr(ext: &axum::http::Extensions) -> String {
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for part in s.split(';') {
            let part = part.trim();
            if let Some(t) = part
                .strip_prefix(SESSION_COOKIE)
                .and_then(|r| r.strip_prefix('='))
                && !t.is_empty()
                && t.len() <= 128
            {
                return Some(t.to_string());
            }
        }
    }
    None
}

fn state_changing(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether an `Origin` header, when present, names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let o = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or(origin);
    o.eq_ignore_ascii_case(host)
}

/// Middleware over `/api`: resolve the session cookie into a [`Caller`] (in the request's
/// extensions) and, on state-changing requests other than the sign-in, demand a session
/// (401) and its CSRF token in `X-CSRF-Token` (403 `auth.csrf`).
pub async fn session_layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr = client_addr(req.extensions());
    let mut caller = None;
    if let Some(token) = cookie_token(req.headers()) {
        let th = token_hash(&token);
        match st.store.session(&th, Timestamp::now()).await {
            Ok(Some((user, csrf))) => {
                caller = Some(Caller {
                    user,
                    csrf,
                    token_hash: th,
                    addr,
                })
            }
            Ok(None) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    if state_changing(req.method()) && req.uri().path() != "/api/login" {
        let Some(c) = &caller else {
            return ApiError::unauthenticated().into_response();
        };
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !same_origin(req.headers()) || !ct_eq(sent, c.csrf.as_bytes()) {
            return ApiError::csrf().into_response();
        }
    }
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    next.run(req).await
}

// ---------------------------------------------------------------------------------------------
// Handlers

#[derive(Deserialize)]
pub struct LoginBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn session_cookie(st: &AppState, headers: &HeaderMap, value: &str, max_age: i64) -> HeaderValue {
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let secure = if st.secure_cookies || https {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("zj_session=; Max-Age=0"))
}

fn me_json(user: &User, csrf: &str) -> serde_json::Value {
    json!({"user": user, "csrf_token": csrf})
}

/// `POST /api/login`.
pub async fn login(
    State(st): State<AppState>,
    req_parts: LoginParts,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Response> {
    let LoginParts { addr, headers } = req_parts;
    let username = body.username.trim().to_string();
    let now = Timestamp::now();
    let since = now
        .checked_sub(jiff::SignedDuration::from_secs(THROTTLE_WINDOW_SECONDS))
        .unwrap_or(now);
    let (by_user, by_addr) = st.store.login_failures(&username, &addr, since).await?;
    if by_user >= MAX_FAILURES || by_addr >= MAX_FAILURES {
        return Err(ApiError::throttled(THROTTLE_WINDOW_SECONDS as u64));
    }
    let found = if username.is_empty() || username.len() > 200 {
        None
    } else {
        st.store.user(&username).await?
    };
    let password = body.password;
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    let user = match found {
        Some((u, _)) if ok => u,
        found => {
            st.store.record_login(&username, &addr, false, now).await?;
            st.store
                .audit(&AuditEvent {
                    at: now,
                    username: username.clone(),
                    role: found.map(|(u, _)| u.role),
                    action: "login_failed".into(),
                    object: username.clone(),
                    addr: addr.clone(),
                })
                .await?;
            return Err(ApiError::invalid_credentials());
        }
    };
    st.store.record_login(&username, &addr, true, now).await?;
    // Expired sessions are never served; a login is a cheap moment to reclaim their rows.
    st.store.purge_sessions(now).await?;
    let token = random_token();
    let csrf = random_token();
    let expires = now
        .checked_add(jiff::SignedDuration::from_secs(SESSION_SECONDS))
        .unwrap_or(now);
    st.store
        .create_session(&token_hash(&token), &user.username, &csrf, expires)
        .await?;
    st.store
        .audit(&AuditEvent {
            at: now,
            username: user.username.clone(),
            role: Some(user.role),
            action: "login".into(),
            object: user.username.clone(),
            addr,
        })
        .await?;
    let mut res = axum::Json(me_json(&user, &csrf)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&st, &headers, &token, SESSION_SECONDS),
    );
    Ok(res)
}

/// The parts of a sign-in request besides its body: the client's address and the headers.
pub struct LoginParts {
    addr: String,
    headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for LoginParts {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<LoginParts, ApiError> {
        Ok(LoginParts {
            addr: client_addr(&parts.extensions),
            headers: parts.headers.clone(),
        })
    }
}

/// `POST /api/logout`.
pub async fn logout(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    st.store.delete_session(&caller.token_hash).await?;
    caller.audit(&st, "logout", &caller.user.username).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&st, &headers, "", 0));
    Ok(res)
}

/// `GET /api/me`.
pub async fn me(caller: Caller) -> axum::Json<serde_json::Value> {
    axum::Json(me_json(&caller.user, &caller.csrf))
}
