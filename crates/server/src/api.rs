//! The JSON API: search, suggestions, articles, feedback and a single best answer for chatbots.
//!
//! The same handlers serve the public API (`/api/...`, public pages only) and the agents' API
//! (`/ops/api/...`, behind authentication, any audience); the [`Scope`] decides which pages
//! can be seen, and it is fixed by the router, never by the request.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kotae_core::content::{Audience, ContactChannel, Page};
use kotae_core::search::{Hit, MAX_LIMIT};
use kotae_core::{AudienceFilter, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::AppError;
pub use crate::html::{urlencode, with_query};
use crate::state::AppState;

/// The public JSON API (`/api`, nested there by [`crate::app`], which adds its layers).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(public_search))
        .route("/suggest", get(public_suggest))
        .route("/articles/{*id}", get(public_article))
        .route("/answer", get(public_answer))
        .route("/feedback", post(feedback))
        .route("/categories", get(categories))
        .route("/openapi.json", get(crate::openapi::serve))
        .fallback(not_found)
}

/// Any other path of an API: a JSON 404 that names it.
pub async fn not_found(OriginalUri(uri): OriginalUri) -> AppError {
    AppError::NotFound(format!("no endpoint {}", uri.path()))
}

/// Who is asking: customers see public pages only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Public,
    Ops,
}

impl Scope {
    /// Whether pages of `audience` are shown in this scope.
    pub fn can_see(self, audience: Audience) -> bool {
        self == Scope::Ops || audience == Audience::Public
    }

    fn article_url(self, id: &str, section: Option<&str>) -> String {
        let base = match self {
            Scope::Public => "/articles/",
            Scope::Ops => "/ops/articles/",
        };
        match section {
            Some(s) => format!("{base}{id}#{}", urlencode(s)),
            None => format!("{base}{id}"),
        }
    }
}

/// Query parameters, all optional strings so that no shape of input is rejected by the
/// extractor; each handler validates what it uses.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub q: Option<String>,
    pub category: Option<String>,
    pub limit: Option<String>,
    pub audience: Option<String>,
    /// A per-tab session id made up by the client (optional; for linking searches).
    #[serde(rename = "s")]
    pub session: Option<String>,
    /// The search this one follows (optional).
    pub prev: Option<String>,
    /// An article opened from a list of results: its 1-based place there (a click).
    pub rank: Option<String>,
    /// An article opened from a list of results: that search's `search_id`.
    pub sid: Option<String>,
    /// The page of results, from 1 (the help page and the console; see [`crate::paging`]).
    pub page: Option<String>,
}

impl Params {
    pub fn query(&self) -> Result<String, AppError> {
        self.q.clone().ok_or_else(|| AppError::BadRequest("missing query parameter `q`".into()))
    }

    /// `limit`: absent for the default, else a whole number in range, written plainly (as the
    /// OpenAPI document says: an empty value is not a number either).
    pub fn limit(&self, default: usize) -> Result<usize, AppError> {
        match self.limit.as_deref() {
            None => Ok(default),
            Some(s) => Some(s)
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| AppError::BadRequest(format!("`limit` must be a whole number from 1 to {MAX_LIMIT}"))),
        }
    }

    /// The audience filter: always public for customers; agents may choose.
    pub fn audience(&self, scope: Scope) -> Result<AudienceFilter, AppError> {
        match (scope, self.audience.as_deref().filter(|s| !s.is_empty())) {
            (Scope::Public, _) => Ok(AudienceFilter::Public),
            (Scope::Ops, None) => Ok(AudienceFilter::All),
            (Scope::Ops, Some(a)) => AudienceFilter::parse(a)
                .ok_or_else(|| AppError::BadRequest("`audience` must be public, internal or all".into())),
        }
    }

    /// The category filter (empty: all categories); a category the caller may not see is
    /// unknown to them. Ids are matched exactly, as the OpenAPI document lists them.
    pub fn category(&self, snapshot: &Snapshot, scope: Scope) -> Result<Option<String>, AppError> {
        let Some(id) = self.category.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        match snapshot.corpus.category(id) {
            Some(c) if scope == Scope::Ops || c.audience == Audience::Public => Ok(Some(id.to_string())),
            _ => Err(AppError::BadRequest(format!("unknown category `{id}`"))),
        }
    }
}

/// Query parameters as an extractor whose failures are JSON 400s, never plain-text rejections.
pub struct Q(pub Params);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Q {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, AppError> {
        let raw = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<Params>(raw)
            .map(Q)
            .map_err(|e| AppError::BadRequest(format!("invalid query string: {e}")))
    }
}

/// A hit as the API gives it. The fields are in the order of their names, as a JSON object
/// built with `json!` had them (it sorts its keys); the console's two fields are left out
/// elsewhere.
#[derive(Serialize)]
struct HitJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<Audience>,
    category: Option<&'a str>,
    category_name: Option<&'a str>,
    heading: Option<&'a str>,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    review_by: Option<Option<&'a str>>,
    /// Widened as `json!` widened it: the same digits.
    score: f64,
    section: Option<&'a str>,
    snippet: &'a str,
    snippet_html: String,
    title: &'a str,
    updated: Option<&'a str>,
    url: String,
}

fn hit_json<'a>(scope: Scope, snapshot: &'a Snapshot, hit: &'a Hit) -> HitJson<'a> {
    let ops = scope == Scope::Ops;
    HitJson {
        audience: ops.then_some(hit.audience),
        category: hit.category.as_deref(),
        category_name: snapshot.corpus.category_name(hit.category.as_deref()),
        heading: hit.heading.as_deref(),
        id: &hit.id,
        review_by: ops.then_some(hit.review_by.as_deref()),
        score: f64::from(hit.score),
        section: hit.section.as_deref(),
        snippet: &hit.snippet.text,
        snippet_html: hit.snippet.to_html(),
        title: &hit.title,
        updated: hit.updated.as_deref(),
        url: scope.article_url(&hit.id, hit.section.as_deref()),
    }
}

/// A page closest in meaning, as the API gives it.
#[derive(Serialize)]
struct ClosestJson<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
}

/// The answer of `/api/search` (fields in the order of their names, as [`HitJson`]).
#[derive(Serialize)]
struct SearchJson<'a> {
    answered: bool,
    closest: Vec<ClosestJson<'a>>,
    hits: Vec<HitJson<'a>>,
    query: &'a str,
    search_id: &'a str,
    total: usize,
    total_exact: bool,
}

/// `value` as a JSON response, as [`Json`] answers it, written into a buffer of `capacity`
/// bytes (a search's answer is several kilobytes: growing from Json's 128 bytes copied it
/// about seven times).
fn json_response<T: Serialize>(value: &T, capacity: usize) -> Response {
    let mut buf = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], buf).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
            e.to_string(),
        )
            .into_response(),
    }
}

impl Scope {
    /// Where a search came from, as the events database records it.
    pub fn source(self) -> &'static str {
        match self {
            Scope::Public => "api",
            Scope::Ops => "console",
        }
    }
}

pub fn audience_name(audience: AudienceFilter) -> &'static str {
    match audience {
        AudienceFilter::Public => "public",
        AudienceFilter::Internal => "internal",
        AudienceFilter::All => "all",
    }
}

/// Record an API search in the event log; returns its id. `chained` links it to the search the
/// client says came before (`prev`).
#[allow(clippy::too_many_arguments)]
fn record(
    state: &AppState,
    scope: Scope,
    audience: AudienceFilter,
    q: &str,
    results: &kotae_core::SearchResults,
    started: std::time::Instant,
    params: &Params,
    chained: bool,
) -> String {
    let sid = crate::events::new_search_id();
    crate::events::record_search(
        state,
        &sid,
        scope.source(),
        audience_name(audience),
        q,
        results,
        started,
        crate::events::clean_id(params.session.as_deref()),
        if chained { crate::events::clean_id(params.prev.as_deref()) } else { None },
    );
    sid
}

pub async fn search(scope: Scope, state: AppState, params: Params) -> Result<Response, AppError> {
    let started = std::time::Instant::now();
    let q = params.query()?;
    let limit = params.limit(10)?;
    let audience = params.audience(scope)?;
    let category = params.category(&state.snapshot(), scope)?;
    let (snapshot, results) = state.search(q.clone(), audience, category, limit).await?;
    let sid = record(&state, scope, audience, &q, &results, started, &params, true);
    let body = SearchJson {
        answered: results.verdict.answered,
        closest: closest_list(scope, &snapshot, &results.verdict).unwrap_or_default(),
        hits: results.hits.iter().map(|h| hit_json(scope, &snapshot, h)).collect(),
        query: &q,
        search_id: &sid,
        total: results.total,
        total_exact: results.total_exact,
    };
    // About 850 bytes a hit on wiki-qa (its snippet twice, as text and as HTML).
    Ok(json_response(&body, 1024 + 1024 * body.hits.len()))
}

/// The pages closest in meaning when nothing answered, those the scope may see.
fn closest_list<'a>(scope: Scope, snapshot: &'a Snapshot, verdict: &'a kotae_core::Verdict) -> Option<Vec<ClosestJson<'a>>> {
    if verdict.answered || verdict.closest.is_empty() {
        return None;
    }
    let list = verdict
        .closest
        .iter()
        .filter(|c| visible(snapshot, scope, &c.id).ok().flatten().is_some())
        .map(|c| ClosestJson { id: &c.id, title: &c.title, url: scope.article_url(&c.id, c.section.as_deref()) })
        .collect();
    Some(list)
}

/// [`closest_list`] as a JSON value.
fn closest_json(scope: Scope, snapshot: &Snapshot, verdict: &kotae_core::Verdict) -> Option<Value> {
    closest_list(scope, snapshot, verdict).map(|list| json!(list))
}

pub async fn suggest(scope: Scope, state: AppState, params: Params) -> Result<Json<Value>, AppError> {
    let q = params.query()?;
    let audience = params.audience(scope)?;
    let (_, results) = state.search(q.clone(), audience, None, 8).await?;
    let mut seen = std::collections::HashSet::new();
    let suggestions: Vec<Value> = results
        .hits
        .iter()
        .filter(|h| seen.insert(h.id.clone()))
        .take(6)
        .map(|h| json!({ "id": h.id, "title": h.title, "heading": h.heading, "url": scope.article_url(&h.id, h.section.as_deref()) }))
        .collect();
    Ok(Json(json!({ "query": q, "suggestions": suggestions })))
}

/// The page `id` if the scope may see it; 404 otherwise, so internal pages are not even
/// confirmed to exist.
pub fn visible_page(snapshot: &Snapshot, scope: Scope, id: &str) -> Result<Arc<Page>, AppError> {
    visible(snapshot, scope, id)?.ok_or_else(|| AppError::NotFound(format!("no article `{id}`")))
}

/// The page `id` if it exists and the scope may see it. The audience comes from the catalogue,
/// so a page the scope may not see is never read.
fn visible(snapshot: &Snapshot, scope: Scope, id: &str) -> kotae_core::Result<Option<Arc<Page>>> {
    match snapshot.corpus.info(id) {
        Some(info) if scope.can_see(info.audience) => snapshot.corpus.page(id),
        _ => Ok(None),
    }
}

/// `html` is the answer rendered ([`crate::media::page_html`]).
pub fn article_json(scope: Scope, snapshot: &Snapshot, page: &Page, html: String) -> Value {
    let related: Vec<Value> = page
        .related
        .iter()
        .filter_map(|id| snapshot.corpus.info(id))
        .filter(|p| scope.can_see(p.audience))
        .map(|p| json!({ "id": p.id, "title": p.title, "url": scope.article_url(&p.id, None) }))
        .collect();
    let sections: Vec<Value> = page
        .sections
        .iter()
        .filter_map(|s| Some(json!({ "anchor": s.anchor.as_ref()?, "heading": s.heading })))
        .collect();
    let category_name = snapshot.corpus.category_name(page.category.as_deref());
    let mut v = json!({
        "id": page.id,
        "title": page.title,
        "category": page.category,
        "category_name": category_name,
        "tags": page.tags,
        "updated": page.updated,
        "html": html,
        "text": page.plain_text(),
        "sections": sections,
        "related": related,
        "url": scope.article_url(&page.id, None),
    });
    if scope == Scope::Ops {
        v["audience"] = json!(page.audience);
        v["review_by"] = json!(page.review_by);
        v["aliases"] = json!(page.aliases);
    }
    v
}

pub async fn article(scope: Scope, state: AppState, id: String, client: Option<std::net::IpAddr>) -> Result<Json<Value>, AppError> {
    let snapshot = state.snapshot();
    let page = visible_page(&snapshot, scope, &id)?;
    // Popularity counts one view per client and article (pages and API alike).
    if scope == Scope::Public && state.views.first_view(client, &page.id) {
        state.events.send(kotae_events::Event::View { ts: kotae_events::now(), session: None, search_id: None, article: page.id.clone() });
    }
    Ok(Json(article_json(scope, &snapshot, &page, crate::media::page_html(&state, &page))))
}

/// A helpful / not helpful vote.
#[derive(Debug, Deserialize)]
pub struct Feedback {
    pub id: String,
    pub helpful: bool,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The search the article was opened from.
    #[serde(default, alias = "sid")]
    pub search_id: Option<String>,
    /// The client's per-tab session id.
    #[serde(default)]
    pub session: Option<String>,
    /// Who voted, as stored ([`crate::recorder::Events::client`]); set by the service, never
    /// read from the request.
    #[serde(skip)]
    pub client: Option<String>,
}

/// Longest comment kept with a vote.
pub const MAX_COMMENT_CHARS: usize = 500;

/// Record a vote (committed to the events database before this returns); a "no" answers with
/// the contact channels, the customer's question carried.
pub async fn record_feedback(state: &AppState, scope: Scope, feedback: &Feedback) -> Result<Value, AppError> {
    let snapshot = state.snapshot();
    let page = visible_page(&snapshot, scope, &feedback.id)?;
    if feedback.comment.as_deref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(AppError::BadRequest(format!("`comment` is longer than {MAX_COMMENT_CHARS} characters")));
    }
    let sid = crate::events::clean_id(feedback.search_id.as_deref());
    let vote = kotae_events::Vote {
        ts: kotae_events::now(),
        session: crate::events::clean_id(feedback.session.as_deref()),
        search_id: sid.clone(),
        article: page.id.clone(),
        helpful: feedback.helpful,
        query: feedback.query.clone().filter(|q| !q.is_empty()),
        comment: feedback.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
        client: feedback.client.clone(),
    };
    crate::events::record_vote(state, vote).await?;
    if !feedback.helpful {
        let query = feedback.query.clone().unwrap_or_default();
        crate::events::record_shown(state, sid.as_deref(), &query, "no_vote", Some(&page.id));
    }
    let mut v = json!({ "ok": true, "id": page.id, "helpful": feedback.helpful });
    if !feedback.helpful {
        let query = feedback.query.clone().unwrap_or_else(|| page.title.clone());
        v["contact"] = contact_json(&snapshot.corpus.site.contact, &query);
    }
    Ok(v)
}

pub async fn feedback(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::limit::Client>>,
    body: Result<Json<Feedback>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let Json(mut feedback) = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        _ => AppError::BadRequest(format!("invalid feedback: {}", e.body_text())),
    })?;
    feedback.client = state.events.client(client.map(|c| c.0.0));
    let v = record_feedback(&state, Scope::Public, &feedback).await?;
    Ok((StatusCode::ACCEPTED, Json(v)))
}

/// The contact channels, with the customer's question added to channel links as `q`.
pub fn contact_json(channels: &[ContactChannel], query: &str) -> Value {
    let list: Vec<Value> = channels
        .iter()
        .map(|c| {
            json!({
                "kind": c.kind,
                "label": c.label,
                "value": c.value,
                "hours": c.hours,
                "url": c.url.as_deref().map(|u| with_query(u, query)),
            })
        })
        .collect();
    json!(list)
}

pub async fn answer(scope: Scope, state: AppState, params: Params) -> Result<Json<Value>, AppError> {
    let started = std::time::Instant::now();
    let q = params.query()?;
    let audience = params.audience(scope)?;
    // As many hits as the verdict looks at, so that it is the help page's.
    let (snapshot, results) = state.search(q.clone(), audience, None, kotae_core::search::verdict::VERDICT_DEPTH).await?;
    let sid = record(&state, scope, audience, &q, &results, started, &params, false);
    let verdict = &results.verdict;
    // Nothing answering: no answer, the questions closest in meaning and the contact channels.
    let top = results.hits.first().filter(|_| verdict.answered);
    let confidence = if verdict.answered { verdict.confidence } else { verdict.confidence.min(state.config.answer_threshold * 0.99) };
    let escalate = top.is_none() || confidence < state.config.answer_threshold;
    let page = match top {
        Some(hit) => visible(&snapshot, scope, &hit.id)?,
        None => None,
    };
    let answer = top.zip(page).and_then(|(hit, page)| {
        let (text, html) = match hit.section.as_deref() {
            Some(anchor) => {
                let section = page.sections.iter().find(|s| s.anchor.as_deref() == Some(anchor))?;
                let html = crate::templates::render(&crate::templates::SectionText { text: &section.text });
                (section.text.clone(), html)
            }
            None => (page.plain_text(), crate::media::page_html(&state, &page)),
        };
        Some(json!({
            "id": page.id,
            "title": page.title,
            "section": hit.section,
            "text": text,
            "html": html,
            "url": scope.article_url(&page.id, hit.section.as_deref()),
        }))
    });
    let mut v = json!({ "query": q, "answer": answer, "confidence": confidence, "escalate": escalate, "search_id": sid });
    if let Some(closest) = closest_json(scope, &snapshot, verdict) {
        v["closest"] = closest;
    }
    if escalate {
        if scope == Scope::Public {
            crate::events::record_shown(&state, Some(&sid), &q, if top.is_none() { "zero" } else { "low" }, None);
        }
        v["contact"] = contact_json(&snapshot.corpus.site.contact, &q);
    }
    Ok(Json(v))
}

pub async fn categories(State(state): State<AppState>) -> Json<Value> {
    let snapshot = state.snapshot();
    let list: Vec<Value> = snapshot
        .corpus
        .categories
        .iter()
        .filter(|c| c.audience == Audience::Public)
        .map(|c| {
            let count = snapshot.corpus.public_in(&c.id);
            json!({ "id": c.id, "name": c.name, "description": c.description, "articles": count })
        })
        .collect();
    Json(json!({ "categories": list }))
}

// Public routes: the scope is fixed here.
pub async fn public_search(State(s): State<AppState>, Q(p): Q) -> Result<Response, AppError> {
    search(Scope::Public, s, p).await
}
pub async fn public_suggest(State(s): State<AppState>, Q(p): Q) -> Result<Json<Value>, AppError> {
    suggest(Scope::Public, s, p).await
}
pub async fn public_article(
    State(s): State<AppState>,
    Path(id): Path<String>,
    client: Option<axum::Extension<crate::limit::Client>>,
    Q(p): Q,
) -> Result<Json<Value>, AppError> {
    let ip = client.map(|c| c.0.0);
    let json = article(Scope::Public, s.clone(), id, ip).await?;
    // Opened from a list of results (the widget's, with `rank`): a click, as the help page's
    // article links record it.
    if let Some(rank) = p.rank.as_deref().and_then(|r| r.trim().parse::<u32>().ok()).filter(|r| (1..=1000).contains(r)) {
        s.events.send(kotae_events::Event::Click {
            ts: kotae_events::now(),
            session: crate::events::clean_id(p.session.as_deref()),
            search_id: crate::events::clean_id(p.sid.as_deref()),
            article: json["id"].as_str().unwrap_or_default().to_string(),
            rank,
            query: p.q.filter(|q| !q.is_empty()),
            client: s.events.client(ip),
        });
    }
    Ok(json)
}
pub async fn public_answer(State(s): State<AppState>, Q(p): Q) -> Result<Json<Value>, AppError> {
    answer(Scope::Public, s, p).await
}
