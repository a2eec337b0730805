//! The customers' help page: home, search results, articles, categories, contact, and what
//! search engines and browsers read (sitemap, OpenSearch, robots.txt). Server-rendered HTML
//! (from [`crate::templates`]) that works without JavaScript; `app.js` only enhances it.
//!
//! [`router`] gives the routes; [`crate::app`] adds their layers, errors as Japanese pages
//! among them ([`crate::html::errors_as_pages`]).

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kotae_core::content::{Audience, ContactChannel};
use kotae_core::index::PageInfo;
use kotae_core::{AudienceFilter, SearchResults, Snapshot};
use serde::Deserialize;
use serde_json::json;

use crate::api::{Q, Scope, urlencode, visible_page, with_query};
use crate::error::AppError;
use crate::html::{self, base_url, japanese_date};
use crate::state::AppState;
use crate::templates::{self, render};

/// Results on the help center's results page.
const RESULTS_PER_PAGE: usize = 20;

/// The help page's routes (their layers are added by [`crate::app`]).
/// How many pages closest in meaning an article without `related` shows, and how similar they
/// must be (e5 cosine; on the sample a title's nearest neighbours are 0.92–0.96).
const RELATED_BY_MEANING: usize = 3;
const RELATED_FLOOR: f32 = 0.9;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search).layer(html::cache("private, max-age=60")))
        .route("/articles/{*id}", get(article))
        .route("/categories/{*id}", get(category))
        .route("/contact", get(contact))
        .route("/contact/go", get(crate::events::contact_go).layer(html::cache("no-store")))
        .route("/questions", post(crate::events::submit_question).layer(html::cache("no-store")))
        .route("/feedback", post(vote).layer(html::cache("no-cache")))
        .route("/sitemap.xml", get(sitemap))
        .route("/opensearch.xml", get(opensearch))
        .route("/robots.txt", get(robots))
        .fallback(html::not_found)
}

fn site_name(snapshot: &Snapshot) -> String {
    snapshot.corpus.site.name.clone()
}

fn public_pages_in<'a>(snapshot: &'a Snapshot, category: &'a str) -> impl Iterator<Item = &'a PageInfo> {
    snapshot
        .corpus
        .pages
        .iter()
        .filter(move |p| p.audience == Audience::Public && p.category.as_deref() == Some(category))
}

/// Where the contact block's links go through to record the hand-over: the site's absolute
/// base URL and the search the customer came from.
#[derive(Debug, Clone, Copy)]
pub struct Go<'a> {
    pub base: &'a str,
    pub sid: Option<&'a str>,
}

/// The contact block: how to reach a human, with the customer's question carried along. With
/// `go`, channel links pass through `/contact/go` so that the hand-over is recorded.
pub fn contact_block<'a>(channels: &'a [ContactChannel], query: &'a str, heading: &'a str, go: Option<Go<'_>>) -> templates::Contact<'a> {
    let channels = channels
        .iter()
        .map(|c| templates::Channel {
            kind: &c.kind,
            label: &c.label,
            href: match c.url.as_deref() {
                // A number to call: a phone opens its dialer, with nothing to carry or record.
                Some(url) if url.starts_with("tel:") => Some(url.to_string()),
                Some(url) => Some(match go {
                    Some(g) => format!("{}{}", g.base, crate::events::contact_link(&c.kind, query, g.sid)),
                    None => with_query(url, query),
                }),
                None if c.kind == "phone" => tel_link(&c.value),
                None => None,
            },
            value: &c.value,
            hours: &c.hours,
        })
        .collect();
    templates::Contact { heading, query, channels, compact: false }
}

/// The `tel:` link of the first phone number in `value` (「0120-870-870（通話無料）」 gives
/// `tel:0120-870-870`), full-width digits included; `None` without one.
pub fn tel_link(value: &str) -> Option<String> {
    let mut number = String::new();
    let mut digits = 0;
    for ch in value.chars() {
        let ch = match ch {
            '０'..='９' => char::from_u32(ch as u32 - '０' as u32 + '0' as u32).unwrap_or(ch),
            '－' | '‐' | '−' | 'ー' => '-',
            '＋' => '+',
            _ => ch,
        };
        match ch {
            '0'..='9' => {
                number.push(ch);
                digits += 1;
            }
            '-' if digits > 0 => number.push('-'),
            '+' if number.is_empty() => number.push('+'),
            _ if digits > 0 => break,
            _ => number.clear(),
        }
    }
    let number = number.trim_end_matches('-');
    (digits >= 5).then(|| format!("tel:{number}"))
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    let snapshot = state.snapshot();
    let scores = state.events.popularity().await;
    let popular = crate::events::popular(&scores, &snapshot.corpus.pages, 6);
    let categories = snapshot
        .corpus
        .categories
        .iter()
        .filter(|c| c.audience == Audience::Public)
        .filter_map(|c| {
            let pages: Vec<&PageInfo> = public_pages_in(&snapshot, &c.id).collect();
            (!pages.is_empty()).then(|| templates::HomeCategory { id: &c.id, name: &c.name, total: pages.len(), pages: pages.into_iter().take(5).collect() })
        })
        .collect();
    let body = render(&templates::Home { popular, categories });
    let mut page = html::Page::new(&site_name(&snapshot), "", body);
    page.canonical = Some(format!("{}/", base_url(&state, &headers)));
    page.render()
}

/// Cookie-free links between a customer's searches: `s` is a random per-tab session id the
/// help page's script adds, `prev` the search whose results page the new query was typed on,
/// `sid` the search whose next pages are asked for.
#[derive(Debug, Default, Deserialize)]
pub struct Chain {
    pub s: Option<String>,
    pub prev: Option<String>,
    pub sid: Option<String>,
}

/// The address of page `page` of the results for `q_enc` (URL-encoded) in `category`.
fn results_href(q_enc: &str, category: Option<&str>, sid: &str, page: usize) -> String {
    let mut href = format!("/search?q={q_enc}");
    if let Some(c) = category {
        href.push_str(&format!("&category={}", urlencode(c)));
    }
    if page > 1 {
        href.push_str(&format!("&page={page}&sid={sid}"));
    }
    href
}

/// A page number that is malformed or past the last page: say so, with a link to the first.
fn no_such_page(snapshot: &Snapshot, q: &str, status: axum::http::StatusCode, message: &str, first: &str) -> Response {
    let heading = format!("「{q}」の検索結果");
    let body = render(&templates::NoSuchPage { heading: &heading, message, first });
    let mut page = html::Page::new(&site_name(snapshot), heading.clone(), body);
    page.query = q.to_string();
    (status, page.render()).into_response()
}

pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    Q(params): Q,
    chain: Result<axum::extract::Query<Chain>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let started = std::time::Instant::now();
    let chain = chain.map(|c| c.0).unwrap_or_default();
    let snapshot = state.snapshot();
    let q = params.q.clone().unwrap_or_default();
    let category = params.category(&snapshot, Scope::Public)?;
    if q.trim().is_empty() {
        return Ok(Redirect::to("/").into_response());
    }
    let q_enc = urlencode(&q);
    let page_number = match crate::paging::parse(params.page.as_deref()) {
        Ok(n) => n,
        Err(message) => {
            let first = results_href(&q_enc, category.as_deref(), "", 1);
            return Ok(no_such_page(&snapshot, &q, axum::http::StatusCode::BAD_REQUEST, &message, &first));
        }
    };
    let offset = (page_number - 1).saturating_mul(RESULTS_PER_PAGE);
    // The question's whole list, ranked once, gives the category filter's counts (over its
    // best thousand hits), the verdict, and without a category the page itself: a slice of
    // that one order (see `Snapshot::search_counted`). A category's page is the same question
    // with a filter: a search of its own.
    let unfiltered = category.is_none() && offset <= kotae_core::search::MAX_OFFSET;
    let (window, snippets) = if unfiltered { ((offset, RESULTS_PER_PAGE), usize::MAX) } else { ((0, 1), 0) };
    let (_, all, counts) = state.search_page_counted(q.clone(), AudienceFilter::Public, window, snippets).await?;
    let filtered = if unfiltered {
        None
    } else if offset > kotae_core::search::MAX_OFFSET {
        // Past what any search pages to: certainly past the last page.
        Some(SearchResults { hits: Vec::new(), ..all.clone() })
    } else {
        let window = (offset, RESULTS_PER_PAGE);
        Some(state.search_page(q.clone(), AudienceFilter::Public, category.clone(), window, usize::MAX).await?.1)
    };
    let results = filtered.as_ref().unwrap_or(&all);
    // Page 1 is a search; the next pages are the same search, under its id.
    let carried = if page_number > 1 { crate::events::clean_id(chain.sid.as_deref()) } else { None };
    let sid = match carried {
        Some(sid) => sid,
        None => {
            let sid = crate::events::new_search_id();
            crate::events::record_search(
                &state,
                &sid,
                "help",
                "public",
                &q,
                &results,
                started,
                crate::events::clean_id(chain.s.as_deref()),
                crate::events::clean_id(chain.prev.as_deref()),
            );
            sid
        }
    };
    let base = base_url(&state, &headers);
    let go = Some(Go { base: &base, sid: Some(&sid) });
    let contact = &snapshot.corpus.site.contact;

    // Nothing answers (no hits, or only weak ones: see `kotae_core::search::verdict`): say so,
    // offer the questions closest in meaning, then a human. The question is judged on all its
    // hits: a category or a page of them is the same question, answered or not.
    let verdict = &all.verdict;
    let body = if !verdict.answered {
        crate::events::record_shown(&state, Some(&sid), &q, "zero", None);
        render(&templates::Results {
            q: &q,
            q_enc: &q_enc,
            sid: &sid,
            category: category.as_deref(),
            all: 0,
            filters: Vec::new(),
            hits: Vec::new(),
            unsure: false,
            contact: contact_block(contact, &q, "解決しない場合はお問い合わせください", go),
            ask: crate::events::question_form(&q, Some(&sid), None),
            closest: verdict.closest.iter().map(|c| templates::Link { id: &c.id, title: &c.title }).collect(),
            pager: String::new(),
        })
    } else {
        let last = crate::paging::page_count(results.total, RESULTS_PER_PAGE);
        if page_number > last {
            let message = format!("「{q}」の検索結果は {last} ページ目までです（{}件）。", results.total);
            let first = results_href(&q_enc, category.as_deref(), &sid, 1);
            return Ok(no_such_page(&snapshot, &q, axum::http::StatusCode::NOT_FOUND, &message, &first));
        }
        // Each category's count is its number of hits, so that filtering on it pages through
        // exactly that many.
        let filters = counts
            .iter()
            .filter_map(|(c, n)| snapshot.corpus.category(c.as_deref()?).map(|cat| (cat, *n)))
            .map(|(cat, count)| templates::Filter { id: &cat.id, name: &cat.name, count, current: category.as_deref() == Some(cat.id.as_str()) })
            .collect();
        // When even the best hit covers the question poorly, offer a human before the list.
        let unsure = verdict.confidence < state.config.answer_threshold;
        if unsure && page_number == 1 {
            crate::events::record_shown(&state, Some(&sid), &q, "low", None);
        }
        let heading = if unsure { "ぴったりの回答が見つからない場合は、お気軽にお問い合わせください" } else { "お探しの回答が見つからない場合" };
        let hits = results
            .hits
            .iter()
            .enumerate()
            .map(|(rank, hit)| templates::ResultHit {
                id: &hit.id,
                rank: offset + rank + 1,
                title: &hit.title,
                category: snapshot.corpus.category_name(hit.category.as_deref()).unwrap_or(""),
                snippet: hit.snippet.to_html(),
            })
            .collect();
        let pager = crate::paging::pager(page_number, last, |n| results_href(&q_enc, category.as_deref(), &sid, n));
        render(&templates::Results {
            q: &q,
            q_enc: &q_enc,
            sid: &sid,
            category: category.as_deref(),
            all: all.total,
            filters,
            hits,
            unsure,
            contact: templates::Contact { compact: unsure, ..contact_block(contact, &q, heading, go) },
            ask: String::new(),
            closest: Vec::new(),
            pager: pager.as_ref().map(render).unwrap_or_default(),
        })
    };
    let title = if page_number > 1 { format!("「{q}」の検索結果（{page_number}ページ目）") } else { format!("「{q}」の検索結果") };
    let mut page = html::Page::new(&site_name(&snapshot), title, body);
    page.query = q;
    // A new query typed here is linked to this search (reformulations, alias suggestions).
    page.carry = vec![("prev".to_string(), sid)];
    Ok(page.render().into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ArticleParams {
    pub q: Option<String>,
    /// 1-based rank in the results the article was opened from.
    pub rank: Option<String>,
    /// The search it was opened from.
    pub sid: Option<String>,
}

pub async fn article(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: Option<axum::Extension<crate::limit::Client>>,
    headers: HeaderMap,
    params: Result<axum::extract::Query<ArticleParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Html<String>, AppError> {
    let snapshot = state.snapshot();
    let page = visible_page(&snapshot, Scope::Public, &id)?;
    let params = params.map(|p| p.0).unwrap_or_default();
    let sid = crate::events::clean_id(params.sid.as_deref());
    let query = params.q.unwrap_or_default();
    let now = kotae_events::now();
    let client = client.map(|c| c.0.0);
    if let Some(rank) = params.rank.as_deref().and_then(|r| r.trim().parse::<u32>().ok()).filter(|r| (1..=1000).contains(r)) {
        state.events.send(kotae_events::Event::Click {
            ts: now,
            session: None,
            search_id: sid.clone(),
            article: page.id.clone(),
            rank,
            query: Some(query.clone()).filter(|q| !q.is_empty()),
            client: state.events.client(client),
        });
    }
    // Popularity counts one view per client and article in `view_window_minutes`.
    if state.views.first_view(client, &page.id) {
        state.events.send(kotae_events::Event::View { ts: now, session: None, search_id: sid.clone(), article: page.id.clone() });
    }
    let base = base_url(&state, &headers);
    let html_body = crate::media::page_html(&state, &page);
    // The writer's related pages; without any, the public pages closest in meaning.
    let by_meaning;
    let related_ids = if page.related.is_empty() {
        by_meaning = snapshot.public.similar(&page.id, RELATED_BY_MEANING, RELATED_FLOOR);
        &by_meaning
    } else {
        &page.related
    };
    let related = related_ids
        .iter()
        .filter_map(|r| snapshot.corpus.info(r))
        .filter(|p| p.audience == Audience::Public)
        .map(|p| templates::Link { id: &p.id, title: &p.title })
        .collect();
    let body = render(&templates::Article {
        id: &page.id,
        title: &page.title,
        category_id: page.category.as_deref().unwrap_or(""),
        category: snapshot.corpus.category_name(page.category.as_deref()).unwrap_or(""),
        updated: page.updated.map(|d| (d.to_string(), japanese_date(&d))),
        body: &html_body,
        query: &query,
        sid: sid.as_deref().unwrap_or(""),
        contact: contact_block(
            &snapshot.corpus.site.contact,
            if query.is_empty() { &page.title } else { &query },
            "解決しない場合はお問い合わせください",
            Some(Go { base: &base, sid: sid.as_deref() }),
        ),
        ask: crate::events::question_form(&query, sid.as_deref(), Some(&page.id)),
        related,
    });
    let ld = json!({
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [{
            "@type": "Question",
            "name": page.title,
            "acceptedAnswer": { "@type": "Answer", "text": html_body },
        }],
    });
    let mut out = html::Page::new(&site_name(&snapshot), page.title.clone(), body);
    out.canonical = Some(format!("{base}/articles/{}", page.id));
    out.head = render(&templates::JsonLd { json: &html::script_json(&ld) });
    out.query = query;
    Ok(out.render())
}

pub async fn category(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Html<String>, AppError> {
    let snapshot = state.snapshot();
    let cat = snapshot
        .corpus
        .category(&id)
        .filter(|c| c.audience == Audience::Public)
        .ok_or_else(|| AppError::NotFound(format!("no category `{id}`")))?;
    let pages = public_pages_in(&snapshot, &cat.id).map(|p| templates::Link { id: &p.id, title: &p.title }).collect();
    let body = render(&templates::Category { name: &cat.name, description: &cat.description, pages });
    let mut page = html::Page::new(&site_name(&snapshot), cat.name.clone(), body);
    page.canonical = Some(format!("{}/categories/{}", base_url(&state, &headers), cat.id));
    Ok(page.render())
}

pub async fn contact(State(state): State<AppState>, params: Result<axum::extract::Query<ArticleParams>, axum::extract::rejection::QueryRejection>) -> Html<String> {
    let snapshot = state.snapshot();
    let q = params.ok().and_then(|p| p.0.q).unwrap_or_default();
    let body = render(&templates::ContactPage { contact: contact_block(&snapshot.corpus.site.contact, &q, "お問い合わせ窓口", None) });
    html::Page::new(&site_name(&snapshot), "お問い合わせ", body).render()
}

/// A vote from the form (no JavaScript).
#[derive(Debug, Deserialize)]
pub struct VoteForm {
    pub id: String,
    pub helpful: String,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub s: Option<String>,
}

pub async fn vote(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::limit::Client>>,
    headers: HeaderMap,
    form: Result<Form<VoteForm>, axum::extract::rejection::FormRejection>,
) -> Result<Html<String>, AppError> {
    let snapshot = state.snapshot();
    let Ok(Form(form)) = form else {
        return Err(AppError::BadRequest("invalid vote".into()));
    };
    let helpful = form.helpful == "yes";
    let feedback = crate::api::Feedback {
        id: form.id,
        helpful,
        query: form.q.clone().filter(|q| !q.is_empty()),
        comment: None,
        search_id: form.sid.clone(),
        session: form.s.clone(),
        client: state.events.client(client.map(|c| c.0.0)),
    };
    crate::api::record_feedback(&state, Scope::Public, &feedback).await?;
    let sid = crate::events::clean_id(form.sid.as_deref());
    let base = base_url(&state, &headers);
    let q = form.q.filter(|q| !q.is_empty()).unwrap_or_else(|| snapshot.corpus.info(&feedback.id).map(|p| p.title.clone()).unwrap_or_default());
    let not_helpful = (!helpful).then(|| {
        (
            contact_block(&snapshot.corpus.site.contact, &q, "解決しない場合はお問い合わせください", Some(Go { base: &base, sid: sid.as_deref() })),
            crate::events::question_form(&q, sid.as_deref(), Some(&feedback.id)),
        )
    });
    let body = render(&templates::Vote { id: &feedback.id, not_helpful });
    Ok(html::Page::new(&site_name(&snapshot), "ご回答ありがとうございました", body).render())
}

pub async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.snapshot();
    let base = base_url(&state, &headers);
    let xml = render(&templates::Sitemap {
        base: &base,
        categories: snapshot.corpus.categories.iter().filter(|c| c.audience == Audience::Public).map(|c| c.id.as_str()).collect(),
        pages: snapshot.corpus.pages.iter().filter(|p| p.audience == Audience::Public).map(|p| (p.id.as_str(), p.updated)).collect(),
    });
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response()
}

pub async fn opensearch(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.snapshot();
    let xml = render(&templates::OpenSearch { base: &base_url(&state, &headers), name: &site_name(&snapshot) });
    ([(header::CONTENT_TYPE, "application/opensearchdescription+xml; charset=utf-8")], xml).into_response()
}

pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = format!("User-agent: *\nDisallow: /ops\nDisallow: /api\nSitemap: {}/sitemap.xml\n", base_url(&state, &headers));
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
