//! JSON errors: `{"error":{"code","message"}}` with stable codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API failure: HTTP status, stable code, human message (and `Retry-After` for 429).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 401 `auth.unauthenticated`: no session, or it expired.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthenticated",
            "not signed in, or the session has expired",
        )
    }

    /// 401 `auth.invalid_credentials`: the same answer for an unknown user and a wrong password.
    pub fn invalid_credentials() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.invalid_credentials",
            "wrong username or password",
        )
    }

    /// 429 `auth.throttled` with `Retry-After`.
    pub fn throttled(retry_after_s: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after_s),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "auth.throttled",
                "too many failed sign-in attempts; try again later",
            )
        }
    }

    /// 403 `auth.csrf`.
    pub fn csrf() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.csrf",
            "missing or wrong X-CSRF-Token header",
        )
    }

    /// 403 `auth.forbidden`: the role may not do this.
    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.forbidden",
            "your role may not do this",
        )
    }

    /// 404 `not_found` (also for objects outside the caller's scope).
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }

    /// 400 `input.invalid_argument`.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "input.invalid_argument", message)
    }

    /// 500 `internal`. The detail goes to the server log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        eprintln!("zhijian-web: internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<zhijian_store::StoreError> for ApiError {
    fn from(e: zhijian_store::StoreError) -> ApiError {
        // A cursor the client sent that the store cannot read is the client's error.
        if e.code() == "store.bad_cursor" {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "input.invalid_argument",
                "cursor: not a cursor this server issued",
            );
        }
        ApiError::internal(format_args!("[{}] {e}", e.code()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
