//! The agents' console (`/ops`): one search over public FAQs and the internal manual, section
//! deep links, copy buttons, review flags; and the agents' JSON API (`/ops/api/...`).
//!
//! Everything here sits behind [`require_operator`]: a session cookie from the login form, or
//! `Authorization: Bearer <token>` for programs. Tokens are compared in constant time.

use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kotae_core::content::{Audience, Page};
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::api::{self, Q, Scope, urlencode};
use crate::error::AppError;
use crate::html::{self, escape, japanese_date};
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "kotae_session";

/// The operator a request was authenticated as.
#[derive(Debug, Clone)]
pub struct Operator(pub String);

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The operator whose token this is, compared in constant time against every operator.
pub fn operator_for_token(state: &AppState, token: &str) -> Option<String> {
    let mut found = None;
    for (name, expected) in &state.config.operators {
        if bool::from(expected.as_bytes().ct_eq(token.as_bytes())) {
            found = Some(name.clone());
        }
    }
    found
}

fn authenticate(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(id) = cookie_value(headers, COOKIE)
        && let Some(session) = state.sessions.get(id)
    {
        return Some(session.operator);
    }
    let bearer = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?;
    operator_for_token(state, bearer.trim())
}

/// Middleware: let operators through; send others to the login form (pages) or a 401 (API).
pub async fn require_operator(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match authenticate(&state, request.headers()) {
        Some(name) => {
            request.extensions_mut().insert(Operator(name));
            next.run(request).await
        }
        None if request.uri().path().starts_with("/ops/api/") => AppError::Unauthorized.into_response(),
        None => Redirect::to("/ops/login").into_response(),
    }
}

fn console_page(state: &AppState, title: &str, body: String, query: &str, carry: Vec<(String, String)>) -> Html<String> {
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, title.to_string(), body);
    page.console = true;
    page.query = query.to_string();
    page.carry = carry;
    page.render()
}

fn login_form(state: &AppState, error: Option<&str>) -> Html<String> {
    let error = error.map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e))).unwrap_or_default();
    let body = format!(
        r#"<h1>オペレーターログイン</h1>{error}
<form method="post" action="/ops/login" class="login">
<p><label for="name">オペレーター名</label><br><input id="name" name="name" autocomplete="username" required></p>
<p><label for="token">トークン</label><br><input id="token" name="token" type="password" autocomplete="current-password" required></p>
<p><button type="submit">ログイン</button></p></form>"#
    );
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, "オペレーターログイン", body);
    page.console = true;
    page.render()
}

pub async fn login_page(State(state): State<AppState>) -> Html<String> {
    login_form(&state, None)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub name: String,
    pub token: String,
}

pub async fn login(State(state): State<AppState>, form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>) -> Response {
    let ok = form.as_ref().ok().and_then(|Form(f)| {
        let name = operator_for_token(&state, &f.token)?;
        (name == f.name.trim()).then_some(name)
    });
    let Some(name) = ok else {
        tracing::warn!("failed console login");
        return (StatusCode::UNAUTHORIZED, login_form(&state, Some("オペレーター名またはトークンが正しくありません。"))).into_response();
    };
    let id = state.sessions.open(&name);
    let secure = if state.config.base_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", crate::state::SESSION_TTL.as_secs());
    let mut response = Redirect::to("/ops").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie_value(&headers, COOKIE) {
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
        let _ = write!(body, r#"<p class="count">「{}」: {}件</p><ol class="results">"#, escape(&q), results.total);
        for hit in &results.hits {
            let Some(page) = snapshot.corpus.page(&hit.id) else { continue };
            let anchor = hit.section.as_deref().map(|a| format!("#{}", urlencode(a))).unwrap_or_default();
            let heading = hit.heading.as_deref().map(|h| format!(" › {}", escape(h))).unwrap_or_default();
            let updated = page.updated.map(|d| format!(r#"<span class="updated">更新 {}</span>"#, japanese_date(&d))).unwrap_or_default();
            let _ = write!(
                body,
                r#"<li class="result">{badge}{stale} <a class="title" href="/ops/articles/{id}{anchor}">{title}{heading}</a> {updated}
<p class="snippet">{snippet}</p><button type="button" class="copy" data-copy="{copy}">回答をコピー</button></li>"#,
                badge = audience_badge(hit.audience),
                stale = review_flag(hit.review_by.as_deref()),
                id = hit.id,
                title = escape(&hit.title),
                snippet = hit.snippet.to_html(),
                copy = escape(&copy_text(page, hit.section.as_deref())),
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
    api::article(Scope::Ops, s, id).await
}
pub async fn api_answer(State(s): State<AppState>, Q(p): Q) -> Result<Json<Value>, AppError> {
    api::answer(Scope::Ops, s, p).await
}
