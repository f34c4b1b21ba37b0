//! The browser UI, embedded in the binary at build time (`build.rs`): `/` is `index.html`,
//! `/assets/*` the rest, with their MIME types, an `ETag` and `Cache-Control: no-cache`
//! (modules import each other by fixed names, so the browser revalidates; unchanged files
//! answer 304).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Every embedded file: path under `assets/` and content.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    embedded::ASSETS
}

struct Asset {
    body: &'static [u8],
    etag: HeaderValue,
    mime: &'static str,
}

fn table() -> &'static HashMap<&'static str, Asset> {
    static T: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    T.get_or_init(|| {
        files()
            .iter()
            .map(|(path, body)| {
                let d = Sha256::digest(body);
                let tag: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
                let etag = HeaderValue::from_str(&format!("\"{tag}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
                (
                    *path,
                    Asset {
                        body,
                        etag,
                        mime: mime_of(path),
                    },
                )
            })
            .collect()
    })
}

/// The MIME type of a file name.
pub fn mime_of(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(a) = table().get(path) else {
        return crate::error::ApiError::not_found().into_response();
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == a.etag.to_str().unwrap_or(""))
        });
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        a.body.into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(header::ETAG, a.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// `GET /` and `GET /index.html`.
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /assets/{*path}`.
pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if path
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return crate::error::ApiError::not_found().into_response();
    }
    serve(&path, &headers)
}
