//! How do failures reach clients? As JSON with the right status and a clear message; details
//! go to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a handler can return with `?`.
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
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(..) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told.
    pub fn message(&self) -> String {
        match self {
            AppError::BadRequest(m) | AppError::NotFound(m) | AppError::Forbidden(m) | AppError::Unavailable(m, _) => m.clone(),
            AppError::Unauthorized => "authentication required".into(),
            AppError::TooManyRequests => "too many requests; try again shortly".into(),
            AppError::TooLarge => "the request body is too large".into(),
            AppError::Internal(_) => "internal error".into(),
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
        (status, Json(json!({ "error": { "status": status.as_u16(), "message": self.message() } }))).into_response()
    }
}
