//! How do failures reach clients? Every failure is an [`AppError`]: a status, a message for
//! programs (JSON) and one for people (Japanese); details go to the log only.
//!
//! An `AppError` answers JSON, `{"error":{"status":...,"message":...}}`, and carries a
//! [`Failure`] in the response's extensions. The routers that serve people (the help page, the
//! console's pages) have one layer that turns such responses into Japanese pages
//! ([`crate::html::errors_as_pages`]); that layer is the only place where "JSON or a page" is
//! decided, by which router answered, never by the path.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a handler or a layer can return with `?`.
#[derive(Debug)]
pub enum AppError {
    BadRequest(String),
    NotFound(String),
    Unauthorized,
    Forbidden(String),
    TooManyRequests,
    TooLarge,
    /// Something the request needs is unavailable for now (e.g. the events database cannot
    /// store a vote because the disk is full): 503 with a message for the customer; the cause
    /// is logged.
    Unavailable(String, anyhow::Error),
    Internal(anyhow::Error),
    /// Over a per-client budget: 429, with `Retry-After` (whole seconds of this wait).
    RateLimited(Duration),
    /// A state-changing request from another site (`Origin`, `Sec-Fetch-Site`): 403.
    CrossSite,
    /// A console form without its session's CSRF token: 403.
    BadToken,
    /// The request took longer than `request_timeout_ms`: 503.
    Timeout,
    /// The URL is longer than this many bytes: 414.
    UriTooLong(usize),
}

/// What a failed response is, for the layer that draws it as a page.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    /// What a person is told, in Japanese.
    pub message: String,
}

/// Whole seconds to announce in `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::CrossSite | AppError::BadToken => StatusCode::FORBIDDEN,
            AppError::TooManyRequests | AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(..) | AppError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
        }
    }

    /// What a program is told.
    pub fn message(&self) -> String {
        match self {
            AppError::BadRequest(m) | AppError::NotFound(m) | AppError::Forbidden(m) | AppError::Unavailable(m, _) => m.clone(),
            AppError::Unauthorized => "authentication required".into(),
            AppError::TooManyRequests => "too many requests; try again shortly".into(),
            AppError::RateLimited(wait) => format!("too many requests; try again in {} s", retry_after_secs(*wait)),
            AppError::TooLarge => "the request body is too large".into(),
            AppError::Internal(_) => "internal error".into(),
            AppError::CrossSite => "cross-site request refused".into(),
            AppError::BadToken => "missing or wrong CSRF token".into(),
            AppError::Timeout => "the request took too long; try again shortly".into(),
            AppError::UriTooLong(max) => format!("the URL is longer than {max} bytes"),
        }
    }

    /// What a person is told, in Japanese.
    pub fn japanese(&self) -> String {
        match self {
            AppError::NotFound(_) => "お探しのページは見つかりませんでした。".into(),
            AppError::BadRequest(m) => format!("リクエストを処理できませんでした（{m}）。"),
            // Already written for customers (a vote that could not be stored, say).
            AppError::Unavailable(m, _) => m.clone(),
            AppError::RateLimited(wait) => format!(
                "短時間に多くのリクエストが届いたため、一時的に受け付けを停止しています。{}秒ほど待ってから、もう一度お試しください。",
                retry_after_secs(*wait)
            ),
            AppError::CrossSite => {
                "別のサイトから送信されたため、このリクエストは受け付けられませんでした。ヘルプセンターのページからもう一度お試しください。".into()
            }
            AppError::BadToken => {
                "このフォームは受け付けられませんでした（確認用トークンが一致しません）。ページを再読み込みしてから、もう一度お試しください。".into()
            }
            AppError::Timeout => "ただいま混み合っているため表示できませんでした。しばらくしてからもう一度お試しください。".into(),
            _ => "ただいま表示できません。しばらくしてからもう一度お試しください。".into(),
        }
    }
}

impl From<kotae_core::Error> for AppError {
    fn from(e: kotae_core::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(e) => tracing::error!(error = format!("{e:#}"), "request failed"),
            AppError::Unavailable(m, e) => tracing::warn!(error = format!("{e:#}"), message = m.as_str(), "request refused: unavailable"),
            _ => {}
        }
        let status = self.status();
        let mut response = (status, Json(json!({ "error": { "status": status.as_u16(), "message": self.message() } }))).into_response();
        if let AppError::RateLimited(wait) = &self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs(*wait)));
        }
        response.extensions_mut().insert(Failure { status, message: self.japanese() });
        response
    }
}
