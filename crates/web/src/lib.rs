//! `zhijian serve`: the web application of Zhijian (质检) — the JSON API of `docs/api.md`
//! (sessions, role scope, masking of personal data, audit log) and the browser UI, whose files
//! are embedded in the binary.
//!
//! ```no_run
//! # async fn run(store: std::sync::Arc<zhijian_store::Store>) -> std::io::Result<()> {
//! let state = zhijian_web::AppState::new(store, std::sync::Arc::new(zhijian_engine::Engine::builtin()));
//! zhijian_web::serve("127.0.0.1:8080".parse().unwrap(), state).await
//! # }
//! ```

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod filter;
pub mod json;
pub mod mask;
pub mod openapi;
pub mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use zhijian_engine::Engine;
use zhijian_store::Store;

pub use error::ApiError;
pub use users::{DemoAccount, add_user, seed_demo_users};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub engine: Arc<Engine>,
    /// Root folder of the recordings: an interaction's `recording` that is a relative path
    /// under it is served by `GET /api/interactions/{id}/recording`.
    pub recordings: Option<PathBuf>,
    /// Mark the session cookie `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
}

impl AppState {
    /// No recordings folder, cookies without `Secure`.
    pub fn new(store: Arc<Store>, engine: Arc<Engine>) -> AppState {
        AppState {
            store,
            engine,
            recordings: None,
            secure_cookies: false,
        }
    }
}

/// The `Content-Security-Policy` of every response.
pub const CSP: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; media-src 'self'";

/// Registers each `METHOD PATH => handler` on the router and records it in the route table.
macro_rules! routes {
    ($router:expr, $table:ident; $( $method:ident $path:literal => $handler:expr ;)* ) => {{
        let mut r = $router;
        $(
            r = r.route($path, axum::routing::$method($handler));
            $table.push((stringify!($method), $path));
        )*
        r
    }};
}

/// The API routes (session layer applied) and the UI routes, with the table of both.
fn build(state: &AppState) -> (Router<AppState>, Vec<(&'static str, &'static str)>) {
    let mut table = Vec::new();
    let api = routes!(Router::new(), table;
        post "/api/login" => auth::login;
        post "/api/logout" => auth::logout;
        get "/api/me" => auth::me;
        get "/api/dashboard" => api::dashboard;
        get "/api/interactions" => api::interactions;
        get "/api/interactions/{id}" => api::detail;
        get "/api/interactions/{id}/recording" => api::recording;
        get "/api/rules" => api::rules;
        post "/api/playground" => api::playground;
        get "/api/audit" => api::audit;
        get "/api/users" => api::users;
        get "/api/health" => api::health;
        get "/api/openapi.json" => openapi::handler;
    );
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::session_layer,
    ));
    let ui = routes!(Router::new(), table;
        get "/" => assets::index;
        get "/index.html" => assets::index;
        get "/assets/{*path}" => assets::asset;
    );
    (api.merge(ui), table)
}

/// Every route of the router: (method, path) in axum's syntax (`{id}`, `{*path}`).
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    // The table does not depend on the state; build it over a throw-away one lazily.
    static TABLE: std::sync::OnceLock<Vec<(&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            let mut t = Vec::new();
            // Same entries as `build`, without needing a store.
            let r: Router<()> = routes!(Router::new(), t;
                post "/api/login" => || async {};
                post "/api/logout" => || async {};
                get "/api/me" => || async {};
                get "/api/dashboard" => || async {};
                get "/api/interactions" => || async {};
                get "/api/interactions/{id}" => || async {};
                get "/api/interactions/{id}/recording" => || async {};
                get "/api/rules" => || async {};
                post "/api/playground" => || async {};
                get "/api/audit" => || async {};
                get "/api/users" => || async {};
                get "/api/health" => || async {};
                get "/api/openapi.json" => || async {};
                get "/" => || async {};
                get "/index.html" => || async {};
                get "/assets/{*path}" => || async {};
            );
            drop(r);
            t
        })
        .clone()
}

async fn not_found() -> Response {
    api::api_not_found().await
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
    .into_response()
}

/// Security headers on every response; `Cache-Control: no-store` where a handler set none.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The application: API, UI, security headers, compression.
pub fn router(state: AppState) -> Router {
    let (app, table) = build(&state);
    debug_assert_eq!(table, route_table());
    let compress = DefaultPredicate::new()
        .and(NotForContentType::const_new("audio/"))
        .and(NotForContentType::const_new("video/"));
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CompressionLayer::new().compress_when(compress))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serve on a bound listener until Ctrl-C (or SIGTERM).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
}

/// Bind `addr` and serve until Ctrl-C (or SIGTERM).
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_listener(listener, state).await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
