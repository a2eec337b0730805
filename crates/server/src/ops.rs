//! The agents' console (`/ops`): one search over public FAQs and the internal manual, section
//! deep links, copy buttons, review flags; and the agents' JSON API (`/ops/api/...`).
//!
//! [`pages()`] and [`api()`] give the two routers, each with its own guard:
//! [`require_operator_page`] sends people to the login form, [`require_operator_api`] answers
//! 401 to programs. Operators come in with a session cookie from the login form, or
//! `Authorization: Bearer <token>` for programs. Secrets are checked by [`crate::auth`] (tokens
//! in constant time, argon2 hashes); failed attempts are limited per client
//! ([`crate::login_limit`]); forms carry CSRF tokens ([`crate::csrf`]).

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kotae_core::content::{Audience, Page};
use serde::Deserialize;
use serde_json::Value;

use crate::api::{self, Q, Scope, urlencode};
use crate::auth::SESSION_COOKIE;
use crate::csrf;
use crate::error::{AppError, retry_after_secs};
use crate::html::{self, japanese_date};
use crate::limit;
use crate::login_limit::Reservation;
use crate::session::Session;
use crate::state::AppState;
use crate::templates::{self, render};

/// The session cookie's name.
pub const COOKIE: &str = SESSION_COOKIE;

/// The operator a request was authenticated as.
#[derive(Debug, Clone)]
pub struct Operator(pub String);

/// The console's pages (`/ops`, nested there by [`crate::app`]); the login form, logout and the
/// insights pages among them.
pub fn pages(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(console))
        .route("/articles/{*id}", get(article))
        .route("/insights", get(crate::events::insights))
        .route("/media/{name}", get(crate::media::console))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_operator_page))
        .route("/logout", post(logout))
        .route_layer(middleware::from_fn_with_state(state.clone(), csrf::console))
        // The login form checks its own token (a double-submit cookie, see `csrf`).
        .route("/login", get(login_page).post(login))
        .fallback(html::not_found)
}

/// The console's downloads (`/ops/insights.csv`): files for spreadsheets, whose errors are JSON
/// like the API's.
pub fn downloads(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/insights.csv", get(crate::events::insights_csv))
        // Opened from the console's links: without a session, the login form.
        .route_layer(middleware::from_fn_with_state(state.clone(), require_operator_page))
}

/// The agents' JSON API (`/ops/api`).
pub fn api(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/search", get(api_search))
        .route("/suggest", get(api_suggest))
        .route("/articles/{*id}", get(api_article))
        .route("/answer", get(api_answer))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_operator_api))
        .route_layer(middleware::from_fn_with_state(state.clone(), csrf::console))
        .fallback(api::not_found)
}

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

/// Who the request comes from: the session's operator (and its CSRF token), a bearer token's
/// operator, or nobody (`Ok(None)`); `Err` when the client is over the failed-login limit.
async fn authenticate(state: &AppState, request: &mut Request) -> Result<Option<Option<String>>, AppError> {
    let session = match request.extensions().get::<Session>() {
        // Verified already by the CSRF check of this request.
        Some(session) => Some(session.clone()),
        None => match csrf::cookie(request.headers(), COOKIE) {
            Some(value) => state.sessions.verify(value, &state.events).await,
            None => None,
        },
    };
    if let Some(session) = session {
        request.extensions_mut().insert(Operator(session.operator));
        return Ok(Some(Some(session.csrf)));
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer_token)
        .map(str::to_string);
    let Some(token) = bearer else { return Ok(None) };
    let client = login_client(state, request.headers(), request.extensions());
    let attempt = reserve_attempt(state, client).map_err(AppError::RateLimited)?;
    match state.operators.verify_bearer(&token).await {
        Some(name) => {
            attempt.succeeded();
            request.extensions_mut().insert(Operator(name));
            Ok(Some(None))
        }
        None => {
            tracing::warn!(client = %client, "wrong bearer token");
            Ok(None)
        }
    }
}

/// Middleware of the console's pages: let operators through, send others to the login form.
/// A session's pages get its CSRF token ([`csrf::console_token`]) for their forms.
pub async fn require_operator_page(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match authenticate(&state, &mut request).await {
        Ok(Some(Some(token))) => csrf::with_console_token(token, next.run(request)).await,
        Ok(Some(None)) => next.run(request).await,
        Ok(None) => Redirect::to("/ops/login").into_response(),
        Err(e) => e.into_response(),
    }
}

/// Middleware of the agents' API: let operators through, answer 401 to others.
pub async fn require_operator_api(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match authenticate(&state, &mut request).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => AppError::Unauthorized.into_response(),
        Err(e) => e.into_response(),
    }
}

fn console_page(state: &AppState, title: &str, body: String, query: &str, carry: Vec<(String, String)>) -> Html<String> {
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, title.to_string(), body);
    page.console = true;
    page.query = query.to_string();
    page.carry = carry;
    page.render()
}

/// The login form with `status` and an optional error, the operator name filled in with
/// `name` (what a failed attempt typed, so only the token is typed again). Its CSRF token is the
/// one in the browser's `kotae_login_csrf` cookie if that looks like ours (and `fresh` is
/// false), else a new one, set as that cookie.
pub fn login_response(state: &AppState, headers: &HeaderMap, status: StatusCode, (error, name): (Option<&str>, &str), fresh: bool) -> Response {
    let existing = csrf::cookie(headers, csrf::LOGIN_COOKIE)
        .filter(|t| !fresh && t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    let token = existing.clone().unwrap_or_else(crate::state::random_token);
    let name: String = name.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let body = render(&templates::Login { error, name: &name, field: csrf::FIELD, token: &token });
    let mut response = (status, console_page(state, "オペレーターログイン", body, "", Vec::new())).into_response();
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
    login_response(&state, &headers, StatusCode::OK, (None, ""), false)
}

/// At most this many characters of a typed operator name are shown back.
const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub name: String,
    pub token: String,
}

pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let client = login_client(&state, request.headers(), request.extensions());
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Ok(body) = axum::body::to_bytes(body, state.config.max_body_bytes).await else {
        return AppError::TooLarge.into_response();
    };
    if !csrf::login_token_ok(&headers, &body) {
        tracing::warn!("console login without a valid CSRF token refused");
        let message = "フォームの有効期限が切れたか、正しくない送信元からのリクエストです。もう一度ログインしてください。";
        return login_response(&state, &headers, StatusCode::FORBIDDEN, (Some(message), ""), true);
    }
    let attempt = match reserve_attempt(&state, client) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let secs = retry_after_secs(wait);
            tracing::warn!(client = %client, "console login refused: too many failures");
            let message = format!("ログインの失敗が続いたため、一時的にログインを受け付けていません。{secs}秒ほど待ってから、もう一度お試しください。");
            return limit::with_retry_after(login_response(&state, &headers, StatusCode::TOO_MANY_REQUESTS, (Some(&message), ""), false), secs);
        }
    };
    let form = serde_urlencoded::from_bytes::<LoginForm>(&body);
    let ok = match &form {
        Ok(f) => state.operators.verify_login(&f.name, &f.token).await,
        Err(_) => None,
    };
    let Some(name) = ok else {
        tracing::warn!(client = %client, "failed console login");
        let typed = form.as_ref().map_or("", |f| f.name.as_str());
        return login_response(&state, &headers, StatusCode::UNAUTHORIZED, (Some("オペレーター名またはトークンが正しくありません。"), typed), false);
    };
    attempt.succeeded();
    let Some((_, value)) = state.sessions.issue(&name, kotae_events::now()) else {
        return AppError::Internal(anyhow::anyhow!("operator `{name}` has no session binding")).into_response();
    };
    let secure = if state.config.base_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", crate::session::SESSION_TTL.as_secs());
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

/// End the session on every replica: its id is recorded as revoked in the events store until
/// it expires (the cookie would stay valid otherwise); 503 when that cannot be recorded.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(session) = csrf::cookie(&headers, COOKIE).and_then(|v| state.sessions.read(v, kotae_events::now())) {
        let (id, until) = (session.id, session.expires);
        let message = "ログアウトを記録できませんでした。しばらくしてから、もう一度お試しください。";
        if let Err(e) = state.events.durable(message, move |store| store.revoke_session(&id, until)).await {
            return e.into_response();
        }
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

/// A page's audience badge and, when its review date has passed, the review flag.
fn badges(audience: Audience, review_by: Option<&str>) -> templates::Badges {
    let stale = review_by
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| *d < today())
        .map(|d| d.to_string());
    templates::Badges { internal: audience == Audience::Internal, stale }
}

/// Hits on a page of the console's results.
const CONSOLE_PER_PAGE: usize = 30;

/// The text a copy button copies: the section (with its sub-sections) for a section hit, else
/// the whole answer, as plain text an agent can paste into a reply
/// ([`kotae_core::content::plain`]), with the article's address at the end. Links to articles
/// become absolute; those to internal pages point into the console.
pub fn copy_text(snapshot: &kotae_core::Snapshot, base: &str, page: &Page, section: Option<&str>) -> String {
    let link = |dest: &str| -> String {
        if let Some(id) = dest.strip_prefix("/articles/") {
            let page_id = id.split(['#', '?']).next().unwrap_or(id);
            let internal = snapshot.corpus.info(page_id).is_some_and(|p| p.audience == Audience::Internal);
            return if internal { format!("{base}/ops{dest}") } else { format!("{base}{dest}") };
        }
        if dest.starts_with('/') {
            return format!("{base}{dest}");
        }
        if let Some(fragment) = dest.strip_prefix('#') {
            return format!("{}#{}", article_url(base, page), urlencode(fragment));
        }
        dest.to_string()
    };
    let text = kotae_core::content::plain::paste_text(&page.body, section, &link);
    let found = section.filter(|a| page.sections.iter().any(|s| s.anchor.as_deref() == Some(*a)));
    let url = match found {
        Some(anchor) => format!("{}#{}", article_url(base, page), urlencode(anchor)),
        None => article_url(base, page),
    };
    format!("{text}\n\n詳しくはこちら: {url}")
}

/// Where `page` is read: the help center for a public page, the console for the manual.
fn article_url(base: &str, page: &Page) -> String {
    match page.audience {
        Audience::Public => format!("{base}/articles/{}", page.id),
        Audience::Internal => format!("{base}/ops/articles/{}", page.id),
    }
}

/// The console's address of page `page` of a search.
fn console_href(q: &str, audience: &str, category: &str, page: usize) -> String {
    let mut href = format!("/ops?q={}&audience={}", urlencode(q), urlencode(audience));
    if !category.is_empty() {
        href.push_str(&format!("&category={}", urlencode(category)));
    }
    if page > 1 {
        href.push_str(&format!("&page={page}"));
    }
    href
}

pub async fn console(State(state): State<AppState>, headers: HeaderMap, Q(params): Q) -> Result<Response, AppError> {
    let q = params.q.clone().unwrap_or_default();
    let audience = params.audience(Scope::Ops)?;
    let snapshot = state.snapshot();
    let category = params.category(&snapshot, Scope::Ops)?;
    let aud = params.audience.clone().unwrap_or_else(|| "all".into());
    let cat = category.clone().unwrap_or_default();
    let page_number = match crate::paging::parse(params.page.as_deref()) {
        Ok(n) => n,
        Err(message) => return Ok(no_such_page(&state, &q, StatusCode::BAD_REQUEST, &message, &console_href(&q, &aud, &cat, 1))),
    };
    let offset = (page_number - 1).saturating_mul(CONSOLE_PER_PAGE).min(kotae_core::search::MAX_OFFSET);

    let found = if q.trim().is_empty() {
        None
    } else {
        let started = std::time::Instant::now();
        let (snapshot, results) = state.search_page(q.clone(), audience, category, (offset, CONSOLE_PER_PAGE), usize::MAX).await?;
        // Page 1 is the search; the next pages are not searches of their own.
        if page_number == 1 {
            crate::events::record_search(
                &state,
                &crate::events::new_search_id(),
                "console",
                api::audience_name(audience),
                &q,
                &results,
                started,
                None,
                None,
            );
        }
        Some((snapshot, results))
    };
    let last = found.as_ref().map_or(1, |(_, r)| crate::paging::page_count(r.total, CONSOLE_PER_PAGE));
    if found.is_some() && page_number > last {
        let total = found.as_ref().map_or(0, |(_, r)| r.total);
        let message = format!("「{q}」の検索結果は {last} ページ目までです（{total}件）。");
        return Ok(no_such_page(&state, &q, StatusCode::NOT_FOUND, &message, &console_href(&q, &aud, &cat, 1)));
    }
    let base = html::base_url(&state, &headers);
    let results = found.as_ref().map(|(snapshot, results)| templates::ConsoleResults {
        total: results.total,
        exact: results.total_exact,
        first: offset + 1,
        pager: crate::paging::pager(page_number, last, |n| console_href(&q, &aud, &cat, n)).as_ref().map(render).unwrap_or_default(),
        hits: results
            .hits
            .iter()
            .filter_map(|hit| {
                let info = snapshot.corpus.info(&hit.id)?;
                // The answer to copy needs the whole page; a page that cannot be read (damaged
                // on disk) is listed without its copy button rather than failing the whole list.
                let copy = match snapshot.corpus.page(&hit.id) {
                    Ok(Some(page)) => Some(copy_text(snapshot, &base, &page, hit.section.as_deref())),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::error!(error = format!("{e:#}"), "a search hit's page cannot be read");
                        None
                    }
                };
                Some(templates::ConsoleHit {
                    badges: badges(hit.audience, hit.review_by.as_deref()),
                    id: &hit.id,
                    anchor: hit.section.as_deref().map(|a| format!("#{}", urlencode(a))).unwrap_or_default(),
                    title: &hit.title,
                    heading: hit.heading.as_deref(),
                    updated: info.updated.map(|d| japanese_date(&d)),
                    snippet: hit.snippet.to_html(),
                    copy,
                })
            })
            .collect(),
    });
    let mut body = render(&templates::Console {
        q: &q,
        audiences: [("all", "すべて"), ("public", "公開FAQ"), ("internal", "社内マニュアル")],
        audience: &aud,
        categories: &snapshot.corpus.categories,
        category: &cat,
        results,
    });
    if !q.trim().is_empty() {
        body.push_str(&learned_section(&state, &snapshot, state.learned_explain(q.clone()).await?));
    }
    // The header search box keeps the filters chosen here.
    let mut carry = vec![("audience".to_string(), aud.clone())];
    if !cat.is_empty() {
        carry.push(("category".to_string(), cat.clone()));
    }
    Ok(console_page(&state, "ナレッジ検索", body, &q, carry).into_response())
}

/// What customers taught the public ranking for this query, and the writers' pin: each page's
/// resolving clients, evidence, boost and place before and after. Nothing when nothing is known.
fn learned_section(state: &AppState, snapshot: &kotae_core::Snapshot, applied: Vec<kotae_core::search::learned::Applied>) -> String {
    use std::fmt::Write as _;
    let off = !state.config.learned_ranking;
    if applied.is_empty() && !off {
        return String::new();
    }
    let place = |p: Option<usize>| p.map_or_else(|| "圏外".to_string(), |n| format!("{n}位"));
    let mut out = String::from(
        r#"<section class="learned" aria-labelledby="learned-h"><h2 id="learned-h">お客様の行動による順位補正（公開FAQ）</h2>"#,
    );
    if off {
        out.push_str(r#"<p class="note">学習による順位補正はオフです（learned_ranking = false）。執筆者の固定（pinned_queries）だけが効きます。</p>"#);
    }
    if !applied.is_empty() {
        out.push_str("<table><thead><tr><th>記事</th><th>解決したお客様</th><th>根拠（重み付き）</th><th>補正</th><th>順位</th></tr></thead><tbody>");
        for a in &applied {
            let title = snapshot.corpus.info(&a.page).map_or(a.page.as_str(), |p| p.title.as_str());
            let boost = if a.pinned {
                "固定（pinned_queries）".to_string()
            } else if a.boost > 0.0 {
                format!("+{:.0}%", a.boost * 100.0)
            } else {
                format!("なし（{}人未満）", kotae_core::search::learned::MIN_CLIENTS)
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}人</td><td>{:.1}</td><td>{}</td><td>{} → {}</td></tr>",
                html::escape(title),
                a.clients,
                a.evidence,
                html::escape(&boost),
                place(a.from),
                place(a.to)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
    out
}

/// A page number that is malformed or past the last page of the console's results.
fn no_such_page(state: &AppState, q: &str, status: StatusCode, message: &str, first: &str) -> Response {
    let body = render(&templates::NoSuchPage { heading: "ナレッジ検索", message, first });
    (status, console_page(state, "ナレッジ検索", body, q, Vec::new())).into_response()
}

pub async fn article(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    let snapshot = state.snapshot();
    let page = api::visible_page(&snapshot, Scope::Ops, &id)?;
    let html_body = crate::media::page_html(&state, &page);
    let base = html::base_url(&state, &headers);
    let body = render(&templates::ConsoleArticle {
        badges: badges(page.audience, page.review_by.map(|d| d.to_string()).as_deref()),
        title: &page.title,
        updated: page.updated.map(|d| japanese_date(&d)),
        toc: page.sections.iter().filter_map(|s| Some((urlencode(s.anchor.as_ref()?), s.heading.as_deref()?))).collect(),
        copy: copy_text(&snapshot, &base, &page, None),
        body: &html_body,
    });
    Ok(console_page(&state, &page.title, body, "", Vec::new()))
}

pub async fn api_search(State(s): State<AppState>, Q(p): Q) -> Result<axum::response::Response, AppError> {
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
