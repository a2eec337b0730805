//! How are forms protected against cross-site request forgery?
//!
//! Three layers, from the outside in:
//!
//! 1. [`same_origin`], on every route: a state-changing request (any method but GET, HEAD,
//!    OPTIONS) whose `Sec-Fetch-Site` says it comes from another site, or whose `Origin` is
//!    neither the request's own host nor `base_url`, gets 403. Browsers send at least one of
//!    the two on every cross-origin POST; programs (curl, the tests) send neither and pass.
//!    This is all the public anonymous forms (`/feedback`, `/questions`) and
//!    `POST /api/feedback` need: they carry no session an attacker could ride, so a forged
//!    vote is no more than what anyone can send directly, and the check keeps other sites
//!    from making visitors' browsers send them. The one exception: `POST /api/feedback` from
//!    a page of a configured `widget_origins` ([`crate::widget::vote_from_widget`]).
//! 2. [`console`], on every `/ops` route: a state-changing request must also carry a token in
//!    the form field `csrf` (or the `X-CSRF-Token` header):
//!    - `/ops/login`: the value of the `kotae_login_csrf` cookie the login page set (a
//!      double-submit token: another site can neither read the cookie nor set it, as it is
//!      HttpOnly and SameSite=Strict, so it cannot fill the field), checked by the login
//!      handler with [`login_token_ok`];
//!    - anything else with a session cookie: the session's own token
//!      ([`crate::state::Session::csrf`]), which console pages put into their forms.
//!
//!    Requests authenticated with `Authorization: Bearer` and no session cookie are programs,
//!    not browsers riding a cookie: they need no token.
//! 3. The session cookie itself is `SameSite=Strict`.
//!
//! A refused request gets 403 ([`AppError::CrossSite`], [`AppError::BadToken`]), drawn as the
//! router that answered draws its errors (JSON, or a Japanese page); the login form checks its
//! own token ([`login_token_ok`]) and shows itself again, with a fresh token.

use std::future::Future;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::auth::SESSION_COOKIE;
use crate::error::AppError;
use crate::state::AppState;

/// The cookie holding the login form's token.
pub const LOGIN_COOKIE: &str = "kotae_login_csrf";
/// The form field carrying the token.
pub const FIELD: &str = "csrf";
/// The header carrying the token, for scripts.
pub const HEADER: &str = "x-csrf-token";

tokio::task_local! {
    /// The signed-in operator's session token while a console request is handled.
    static CONSOLE_TOKEN: String;
}

/// The current console session's token, for forms rendered during this request.
pub fn console_token() -> Option<String> {
    CONSOLE_TOKEN.try_with(Clone::clone).ok()
}

/// Run `f` with `token` as the console session's token ([`console_token`]).
pub async fn with_console_token<F: Future>(token: String, f: F) -> F::Output {
    CONSOLE_TOKEN.scope(token, f).await
}

/// Whether a request may change state (and so needs these checks).
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A value of the `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Why a request is refused as cross-site, if it is.
pub fn cross_site(state: &AppState, headers: &HeaderMap) -> Option<&'static str> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site.trim().to_ascii_lowercase().as_str(), "same-origin" | "none")
    {
        return Some("Sec-Fetch-Site is not same-origin");
    }
    let origin = headers.get(header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else { return Some("the Origin header is not readable") };
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let base = state.config.base_url.trim_end_matches('/').to_ascii_lowercase();
    if !base.is_empty() && origin == origin_of(&base) {
        return None;
    }
    let authority = origin.split_once("://").map(|(_, a)| a);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|h| h.trim().to_ascii_lowercase());
    match (authority, host) {
        (Some(a), Some(h)) if !a.is_empty() && a == h => None,
        _ => Some("the Origin is another site"),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or("")),
        None => url.to_string(),
    }
}

/// Middleware on every route: refuse cross-site state-changing requests.
pub async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if changes_state(request.method())
        && !crate::widget::vote_from_widget(&state, &request)
        && let Some(reason) = cross_site(&state, request.headers())
    {
        tracing::warn!(path = request.uri().path(), reason, "cross-site request refused");
        return AppError::CrossSite.into_response();
    }
    next.run(request).await
}

/// The token a request carries: the `X-CSRF-Token` header, else the form field `csrf`.
fn presented_token(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(v) = headers.get(HEADER).and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form {
        return None;
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

fn same_token(expected: &str, presented: Option<&str>) -> bool {
    match presented {
        Some(p) if !expected.is_empty() => bool::from(expected.as_bytes().ct_eq(p.as_bytes())),
        _ => false,
    }
}

/// Whether a login form carries the token of the browser's `kotae_login_csrf` cookie.
pub fn login_token_ok(headers: &HeaderMap, body: &[u8]) -> bool {
    same_token(cookie(headers, LOGIN_COOKIE).unwrap_or(""), presented_token(headers, body).as_deref())
}

/// Middleware on the console's routes but the login form: state-changing requests of a
/// session must carry its token.
pub async fn console(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !changes_state(request.method()) {
        return next.run(request).await;
    }
    // No session: nothing a forged request could act as. Bearer requests are checked by
    // `ops::require_operator_*`; anything else is turned away there or changes nothing.
    let Some(session) = cookie(request.headers(), SESSION_COOKIE).and_then(|id| state.sessions.get(id)) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return AppError::TooLarge.into_response(),
    };
    if !same_token(&session.csrf, presented_token(&parts.headers, &bytes).as_deref()) {
        tracing::warn!(path = parts.uri.path(), "console request without a valid CSRF token refused");
        return AppError::BadToken.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_header_or_the_form() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        assert_eq!(presented_token(&h, b"name=a&csrf=abc%21").as_deref(), Some("abc!"));
        assert_eq!(presented_token(&h, b"name=a"), None);
        h.insert(HEADER, "xyz".parse().unwrap());
        assert_eq!(presented_token(&h, b"csrf=abc").as_deref(), Some("xyz"));
        let mut json = HeaderMap::new();
        json.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(presented_token(&json, b"csrf=abc"), None);
        assert!(!same_token("", Some("")), "an empty expected token never matches");
        assert!(!same_token("abc", None));
        assert!(same_token("abc", Some("abc")));
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(origin_of("https://help.example.com/faq"), "https://help.example.com");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
