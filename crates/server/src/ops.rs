//! The agents' console (`/ops`): one search over public FAQs and the internal manual, section
//! deep links, copy buttons, review flags; and the agents' JSON API (`/ops/api/...`).
//!
//! Everything here sits behind [`require_operator`]: a session cookie from the login form, or
//! `Authorization: Bearer <token>` for programs. Secrets are checked by [`crate::auth`]
//! (tokens in constant time, argon2 hashes); failed attempts are limited per client
//! ([`crate::limit`]); forms carry CSRF tokens ([`crate::csrf`]).

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kotae_core::content::{Audience, Page};
use serde::Deserialize;
use serde_json::Value;

use crate::api::{self, Q, Scope, urlencode};
use crate::csrf;
use crate::error::AppError;
use crate::html::{self, escape, japanese_date};
use crate::limit;
use crate::login_limit::Reservation;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "kotae_session";

/// The operator a request was authenticated as.
#[derive(Debug, Clone)]
pub struct Operator(pub String);

/// Who is trying to log in, for the failed-login limit; clients whose address is unknown
/// share one bucket.
fn login_client(state: &AppState, headers: &HeaderMap, extensions: &axum::http::Extensions) -> IpAddr {
    limit::client_ip(&state.config, headers, extensions).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Reserve an attempt for `client` before any secret is checked (it counts as a failure
/// unless it succeeds); `Err` says how long the client must wait.
fn reserve_attempt(state: &AppState, client: IpAddr) -> Result<Reservation<'_>, std::time::Duration> {
    match state.limits.login.as_ref() {
        Some(limiter) => limiter.reserve(client),
        None => Ok(Reservation::unlimited(client)),
    }
}

/// Middleware: let operators through; send others to the login form (pages) or a 401 (API).
/// A session's pages get its CSRF token ([`csrf::console_token`]) for their forms.
pub async fn require_operator(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let session = csrf::cookie(request.headers(), COOKIE).and_then(|id| state.sessions.get(id));
    if let Some(session) = session {
        request.extensions_mut().insert(Operator(session.operator));
        return csrf::with_console_token(session.csrf, next.run(request)).await;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer_token)
        .map(str::to_string);
    if let Some(token) = bearer {
        let client = login_client(&state, request.headers(), request.extensions());
        let attempt = match reserve_attempt(&state, client) {
            Ok(attempt) => attempt,
            Err(wait) => return limit::too_many_json(wait),
        };
        match state.operators.verify_bearer(&token).await {
            Some(name) => {
                attempt.succeeded();
                request.extensions_mut().insert(Operator(name));
                return next.run(request).await;
            }
            None => tracing::warn!(client = %client, "wrong bearer token"),
        }
    }
    if request.uri().path().starts_with("/ops/api/") {
        AppError::Unauthorized.into_response()
    } else {
        Redirect::to("/ops/login").into_response()
    }
}

fn console_page(state: &AppState, title: &str, body: String, query: &str, carry: Vec<(String, String)>) -> Html<String> {
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, title.to_string(), body);
    page.console = true;
    page.query = query.to_string();
    page.carry = carry;
    page.render()
}

fn login_form(state: &AppState, error: Option<&str>, token: &str) -> Html<String> {
    let error = error.map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e))).unwrap_or_default();
    let body = format!(
        r#"<h1>オペレーターログイン</h1>{error}
<form method="post" action="/ops/login" class="login"><input type="hidden" name="{field}" value="{token}">
<p><label for="name">オペレーター名</label><br><input id="name" name="name" autocomplete="username" required></p>
<p><label for="token">トークン</label><br><input id="token" name="token" type="password" autocomplete="current-password" required></p>
<p><button type="submit">ログイン</button></p></form>"#,
        field = csrf::FIELD,
        token = escape(token),
    );
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, "オペレーターログイン", body);
    page.console = true;
    page.render()
}

/// The login form with `status` and an optional error. Its CSRF token is the one in the
/// browser's `kotae_login_csrf` cookie if that looks like ours (and `fresh` is false), else a
/// new one, set as that cookie.
pub fn login_response(state: &AppState, headers: &HeaderMap, status: StatusCode, error: Option<&str>, fresh: bool) -> Response {
    let existing = csrf::cookie(headers, csrf::LOGIN_COOKIE)
        .filter(|t| !fresh && t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    let token = existing.clone().unwrap_or_else(crate::state::random_token);
    let mut response = (status, login_form(state, error, &token)).into_response();
    if existing.is_none() {
        let secure = if state.config.base_url.starts_with("https://") { "; Secure" } else { "" };
        let cookie = format!("{}={token}; Path=/ops/login; HttpOnly; SameSite=Strict{secure}", csrf::LOGIN_COOKIE);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_response(&state, &headers, StatusCode::OK, None, false)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub name: String,
    pub token: String,
}

pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let client = login_client(&state, request.headers(), request.extensions());
    let headers = request.headers().clone();
    let attempt = match reserve_attempt(&state, client) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let secs = limit::retry_after_secs(wait);
            tracing::warn!(client = %client, "console login refused: too many failures");
            let message = format!("ログインの失敗が続いたため、一時的にログインを受け付けていません。{secs}秒ほど待ってから、もう一度お試しください。");
            return limit::with_retry_after(login_response(&state, &headers, StatusCode::TOO_MANY_REQUESTS, Some(&message), false), secs);
        }
    };
    let form = <Form<LoginForm> as axum::extract::FromRequest<AppState>>::from_request(request, &state).await;
    let ok = match &form {
        Ok(Form(f)) => state.operators.verify_login(&f.name, &f.token).await,
        Err(_) => None,
    };
    let Some(name) = ok else {
        tracing::warn!(client = %client, "failed console login");
        return login_response(&state, &headers, StatusCode::UNAUTHORIZED, Some("オペレーター名またはトークンが正しくありません。"), false);
    };
    attempt.succeeded();
    let id = state.sessions.open(&name);
    let secure = if state.config.base_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", crate::state::SESSION_TTL.as_secs());
    let mut response = Redirect::to("/ops").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    // The login form's token has done its job.
    let clear = format!("{}=; Path=/ops/login; HttpOnly; SameSite=Strict; Max-Age=0", csrf::LOGIN_COOKIE);
    if let Ok(v) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = csrf::cookie(&headers, COOKIE) {
        state.sessions.close(id);
    }
    let mut response = Redirect::to("/ops/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("kotae_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn audience_badge(audience: Audience) -> &'static str {
    match audience {
        Audience::Public => r#"<span class="badge public">公開FAQ</span>"#,
        Audience::Internal => r#"<span class="badge internal">社内マニュアル</span>"#,
    }
}

fn review_flag(review_by: Option<&str>) -> String {
    let stale = review_by
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| *d < today());
    match stale {
        Some(d) => format!(r#" <span class="badge stale" title="見直し期限 {d}">要見直し</span>"#),
        None => String::new(),
    }
}

/// The text a copy button copies: the section for a section hit, else the whole answer.
fn copy_text(page: &Page, section: Option<&str>) -> String {
    match section.and_then(|a| page.sections.iter().find(|s| s.anchor.as_deref() == Some(a))) {
        Some(s) => format!("{}\n{}", s.heading.as_deref().unwrap_or(""), s.text),
        None => page.plain_text(),
    }
}

pub async fn console(State(state): State<AppState>, Q(params): Q) -> Result<Html<String>, AppError> {
    let q = params.q.clone().unwrap_or_default();
    let audience = params.audience(Scope::Ops)?;
    let snapshot = state.snapshot();
    let category = params.category(&snapshot, Scope::Ops)?;

    let mut body = String::from(r#"<h1>ナレッジ検索</h1><p class="insights-link"><a href="/ops/insights">検索インサイト（お客様の検索と問い合わせの傾向）</a></p>"#);
    let selected = |v: &str, cur: &str| if v == cur { " selected" } else { "" };
    let aud = params.audience.clone().unwrap_or_else(|| "all".into());
    let cat = category.clone().unwrap_or_default();
    let _ = write!(
        body,
        r#"<form method="get" action="/ops" class="filters-form"><input type="hidden" name="q" value="{q}">
<label>対象 <select name="audience"><option value="all"{a1}>すべて</option><option value="public"{a2}>公開FAQ</option><option value="internal"{a3}>社内マニュアル</option></select></label>
<label>カテゴリ <select name="category"><option value="">すべて</option>"#,
        q = escape(&q),
        a1 = selected("all", &aud),
        a2 = selected("public", &aud),
        a3 = selected("internal", &aud),
    );
    for c in &snapshot.corpus.categories {
        let _ = write!(body, r#"<option value="{}"{}>{}</option>"#, c.id, selected(&c.id, &cat), escape(&c.name));
    }
    body.push_str(r#"</select></label> <button type="submit">絞り込む</button></form><p class="hint">「/」キーで検索欄に移動します。</p>"#);

    if !q.trim().is_empty() {
        let started = std::time::Instant::now();
        let (snapshot, results) = state.search(q.clone(), audience, category, 30).await?;
        crate::events::record_search(
            &state,
            &crate::events::new_search_id(),
            "console",
            api::audience_name(audience),
            &q,
            results.total,
            results.hits.iter().map(|h| h.id.clone()),
            started,
            None,
            None,
        );
        let more = if results.total_exact { "" } else { "以上" };
        let _ = write!(body, r#"<p class="count">「{}」: {}件{more}</p><ol class="results">"#, escape(&q), results.total);
        for hit in &results.hits {
            let Some(info) = snapshot.corpus.info(&hit.id) else { continue };
            // The answer to copy needs the whole page; a page that cannot be read (damaged
            // on disk) is listed without its copy button rather than failing the whole list.
            let copy = match snapshot.corpus.page(&hit.id) {
                Ok(Some(page)) => format!(
                    r#"<button type="button" class="copy" data-copy="{}">回答をコピー</button>"#,
                    escape(&copy_text(&page, hit.section.as_deref()))
                ),
                Ok(None) => String::new(),
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "a search hit's page cannot be read");
                    String::new()
                }
            };
            let anchor = hit.section.as_deref().map(|a| format!("#{}", urlencode(a))).unwrap_or_default();
            let heading = hit.heading.as_deref().map(|h| format!(" › {}", escape(h))).unwrap_or_default();
            let updated = info.updated.map(|d| format!(r#"<span class="updated">更新 {}</span>"#, japanese_date(&d))).unwrap_or_default();
            let _ = write!(
                body,
                r#"<li class="result">{badge}{stale} <a class="title" href="/ops/articles/{id}{anchor}">{title}{heading}</a> {updated}
<p class="snippet">{snippet}</p>{copy}</li>"#,
                badge = audience_badge(hit.audience),
                stale = review_flag(hit.review_by.as_deref()),
                id = hit.id,
                title = escape(&hit.title),
                snippet = hit.snippet.to_html(),
            );
        }
        body.push_str("</ol>");
    }
    // The header search box keeps the filters chosen here.
    let mut carry = vec![("audience".to_string(), aud.clone())];
    if !cat.is_empty() {
        carry.push(("category".to_string(), cat.clone()));
    }
    Ok(console_page(&state, "ナレッジ検索", body, &q, carry))
}

pub async fn article(State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    let snapshot = state.snapshot();
    let page = api::visible_page(&snapshot, Scope::Ops, &id)?;
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<p><a href="/ops">← ナレッジ検索</a></p><article class="answer">{}{} <h1>{}</h1>"#,
        audience_badge(page.audience),
        review_flag(page.review_by.map(|d| d.to_string()).as_deref()),
        escape(&page.title)
    );
    if let Some(d) = page.updated {
        let _ = write!(body, r#"<p class="updated">最終更新日: {}</p>"#, japanese_date(&d));
    }
    let toc: Vec<_> = page.sections.iter().filter_map(|s| Some((s.anchor.as_ref()?, s.heading.as_ref()?))).collect();
    if !toc.is_empty() {
        body.push_str(r#"<nav class="toc" aria-label="目次"><h2>目次</h2><ol>"#);
        for (anchor, heading) in toc {
            let _ = write!(body, "<li><a href=\"#{}\">{}</a></li>", urlencode(anchor), escape(heading));
        }
        body.push_str("</ol></nav>");
    }
    let _ = write!(
        body,
        r#"<button type="button" class="copy" data-copy="{}">回答全体をコピー</button><div class="body">{}</div></article>"#,
        escape(&page.plain_text()),
        kotae_core::content::markdown::render_html(&page.body)
    );
    Ok(console_page(&state, &page.title, body, "", Vec::new()))
}

pub async fn api_search(State(s): State<AppState>, Q(p): Q) -> Result<Json<Value>, AppError> {
    api::search(Scope::Ops, s, p).await
}
pub async fn api_suggest(State(s): State<AppState>, Q(p): Q) -> Result<Json<Value>, AppError> {
    api::suggest(Scope::Ops, s, p).await
}
pub async fn api_article(State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    api::article(Scope::Ops, s, id, None).await
}
pub async fn api_answer(State(s): State<AppState>, Q(p): Q) -> Result<Json<Value>, AppError> {
    api::answer(Scope::Ops, s, p).await
}
