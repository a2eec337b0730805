//! The customers' help page: home, search results, articles, categories, contact, and what
//! search engines and browsers read (sitemap, OpenSearch, robots.txt). Server-rendered HTML
//! that works without JavaScript; `app.js` only enhances it.

use std::fmt::Write;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kotae_core::content::{Audience, ContactChannel};
use kotae_core::index::PageInfo;
use kotae_core::{AudienceFilter, SearchResults, Snapshot};
use serde::Deserialize;
use serde_json::json;

/// Results on the help center's results page.
const RESULTS_PER_PAGE: usize = 20;

use crate::api::{Q, Scope, urlencode, visible_page, with_query};
use crate::error::AppError;
use crate::html::{self, base_url, escape, japanese_date};
use crate::state::AppState;

/// An HTML error page with the right status.
pub struct PageError(pub AppError, pub String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        match &self.0 {
            AppError::Internal(e) => tracing::error!(error = format!("{e:#}"), "page failed"),
            AppError::Unavailable(m, e) => tracing::warn!(error = format!("{e:#}"), message = m.as_str(), "page refused: unavailable"),
            _ => {}
        }
        let message = match &self.0 {
            AppError::NotFound(_) => "お探しのページは見つかりませんでした。".to_string(),
            AppError::BadRequest(m) => format!("リクエストを処理できませんでした（{m}）。"),
            // Already written for customers (a vote that could not be stored, say).
            AppError::Unavailable(m, _) => m.clone(),
            _ => "ただいま表示できません。しばらくしてからもう一度お試しください。".to_string(),
        };
        let body = format!(
            r#"<h1>{}</h1><p>{}</p><p><a href="/">ヘルプセンター トップへ戻る</a></p>"#,
            status.as_u16(),
            escape(&message)
        );
        (status, html::Page::new(&self.1, "エラー", body).render()).into_response()
    }
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
pub fn contact_block(channels: &[ContactChannel], query: &str, heading: &str, go: Option<Go<'_>>) -> String {
    let mut out = format!(r#"<section class="contact" aria-labelledby="contact-h"><h2 id="contact-h">{}</h2>"#, escape(heading));
    if !query.is_empty() {
        let _ = write!(out, r#"<p class="carried">ご質問「<span class="q">{}</span>」をお伝えいただくと、スムーズにご案内できます。</p>"#, escape(query));
    }
    out.push_str("<ul>");
    for c in channels {
        let value = match &c.url {
            Some(url) => {
                let href = match go {
                    Some(g) => format!("{}{}", g.base, crate::events::contact_link(&c.kind, query, g.sid)),
                    None => with_query(url, query),
                };
                format!(r#"<a href="{}">{}</a>"#, escape(&href), escape(if c.value.is_empty() { &c.label } else { &c.value }))
            }
            None => escape(&c.value),
        };
        let _ = write!(
            out,
            r#"<li class="channel channel-{kind}"><strong>{label}</strong> {value}{hours}</li>"#,
            kind = escape(&c.kind),
            label = escape(&c.label),
            hours = if c.hours.is_empty() { String::new() } else { format!(r#" <span class="hours">受付時間: {}</span>"#, escape(&c.hours)) },
        );
    }
    out.push_str("</ul></section>");
    out
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Html<String> {
    let snapshot = state.snapshot();
    let mut body = String::from(r#"<section class="hero"><h1>何かお困りですか？</h1><p>キーワードやご質問を入力して検索してください。例: 「返品したい」「パスワードを忘れた」</p></section>"#);
    let scores = state.events.popularity().await;
    let popular = crate::events::popular(&scores, &snapshot.corpus.pages, 6);
    if !popular.is_empty() {
        body.push_str(r#"<section class="popular" aria-labelledby="popular-h"><h2 id="popular-h">よくあるご質問</h2><ol>"#);
        for p in popular {
            let _ = write!(body, r#"<li><a href="/articles/{}">{}</a></li>"#, p.id, escape(&p.title));
        }
        body.push_str("</ol></section>");
    }
    body.push_str(r#"<section class="categories" aria-labelledby="cat-h"><h2 id="cat-h">カテゴリから探す</h2><div class="grid">"#);
    for c in snapshot.corpus.categories.iter().filter(|c| c.audience == Audience::Public) {
        let pages: Vec<&PageInfo> = public_pages_in(&snapshot, &c.id).collect();
        if pages.is_empty() {
            continue;
        }
        let _ = write!(body, r#"<section class="category"><h3><a href="/categories/{}">{}</a></h3><ul>"#, c.id, escape(&c.name));
        for p in pages.iter().take(5) {
            let _ = write!(body, r#"<li><a href="/articles/{}">{}</a></li>"#, p.id, escape(&p.title));
        }
        if pages.len() > 5 {
            let _ = write!(body, r#"<li class="more"><a href="/categories/{}">すべて見る（{}件）</a></li>"#, c.id, pages.len());
        }
        body.push_str("</ul></section>");
    }
    body.push_str("</div></section>");
    let mut page = html::Page::new(&site_name(&snapshot), "", body);
    page.canonical = Some(format!("{}/", base_url(&state, &headers)));
    page.render()
}

/// Cookie-free links between a customer's searches: `s` is a random per-tab session id the
/// help page's script adds, `prev` the search whose results page the new query was typed on.
#[derive(Debug, Default, Deserialize)]
pub struct Chain {
    pub s: Option<String>,
    pub prev: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Q, AppError>,
    chain: Result<axum::extract::Query<Chain>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let started = std::time::Instant::now();
    let chain = chain.map(|c| c.0).unwrap_or_default();
    let snapshot = state.snapshot();
    let site = site_name(&snapshot);
    let params = params.map_err(|e| PageError(e, site.clone()))?.0;
    let q = params.q.clone().unwrap_or_default();
    let category = params.category(&snapshot, Scope::Public).map_err(|e| PageError(e, site.clone()))?;
    if q.trim().is_empty() {
        return Ok(Redirect::to("/").into_response());
    }
    // The best 100 matches, for the category filter's counts; without a category, the page of
    // results is their first 20 (the same hits a search for 20 gives), so one search serves both.
    let (_, all) = state
        .search_with(q.clone(), AudienceFilter::Public, None, 100, if category.is_none() { RESULTS_PER_PAGE } else { 0 })
        .await
        .map_err(|e| PageError(e, site.clone()))?;
    let results = match &category {
        None => SearchResults {
            total: all.total,
            total_exact: all.total_exact,
            hits: all.hits[..all.hits.len().min(RESULTS_PER_PAGE)].to_vec(),
            terms: all.terms.clone(),
            did_you_mean: all.did_you_mean.clone(),
            question: all.question.clone(),
        },
        Some(_) => {
            state
                .search(q.clone(), AudienceFilter::Public, category.clone(), RESULTS_PER_PAGE)
                .await
                .map_err(|e| PageError(e, site.clone()))?
                .1
        }
    };
    let sid = crate::events::new_search_id();
    crate::events::record_search(
        &state,
        &sid,
        "help",
        "public",
        &q,
        results.total,
        results.hits.iter().map(|h| h.id.clone()),
        started,
        crate::events::clean_id(chain.s.as_deref()),
        crate::events::clean_id(chain.prev.as_deref()),
    );
    let base = base_url(&state, &headers);
    let go = Some(Go { base: &base, sid: Some(&sid) });

    let mut body = String::new();
    let _ = write!(body, r#"<h1 class="results-title">「{}」の検索結果</h1>"#, escape(&q));
    if results.hits.is_empty() {
        let _ = write!(
            body,
            r#"<section class="no-results"><p>「{}」に一致する回答は見つかりませんでした。</p><ul><li>キーワードを短くするか、別の言葉でお試しください（例: 「注文 取り消し」→「キャンセル」）。</li><li><a href="/">カテゴリから探す</a>こともできます。</li></ul></section>"#,
            escape(&q)
        );
        body.push_str(&contact_block(&snapshot.corpus.site.contact, &q, "解決しない場合はお問い合わせください", go));
        body.push_str(&crate::events::question_form(&q, Some(&sid), None));
        crate::events::record_shown(&state, Some(&sid), &q, "zero", None);
    } else {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for h in &all.hits {
            let c = h.category.clone().unwrap_or_default();
            match counts.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => counts.push((c, 1)),
            }
        }
        body.push_str(r#"<nav class="filters" aria-label="カテゴリで絞り込み"><ul>"#);
        let q_enc = urlencode(&q);
        let current = |c: Option<&str>| if category.as_deref() == c { r#" aria-current="true""# } else { "" };
        let _ = write!(body, r#"<li><a href="/search?q={q_enc}"{}>すべて（{}）</a></li>"#, current(None), all.hits.len());
        for (c, n) in &counts {
            if let Some(cat) = snapshot.corpus.category(c) {
                let _ = write!(body, r#"<li><a href="/search?q={q_enc}&amp;category={}"{}>{}（{n}）</a></li>"#, cat.id, current(Some(&cat.id)), escape(&cat.name));
            }
        }
        body.push_str("</ul></nav>");
        // When even the best hit covers the question poorly, offer a human before the list.
        let top = &results.hits[0];
        let unsure = snapshot.public.confidence(&results.question, top, results.hits.get(1)) < state.config.answer_threshold;
        if unsure {
            body.push_str(&contact_block(&snapshot.corpus.site.contact, &q, "ぴったりの回答が見つからない場合は、お気軽にお問い合わせください", go));
            crate::events::record_shown(&state, Some(&sid), &q, "low", None);
        }
        body.push_str("<ol class=\"results\">");
        for (rank, hit) in results.hits.iter().enumerate() {
            let cat = snapshot.corpus.category_name(hit.category.as_deref()).unwrap_or("");
            let _ = write!(
                body,
                r#"<li class="result"><a class="title" href="/articles/{id}?q={q_enc}&amp;rank={rank}&amp;sid={sid}">{title}</a> <span class="cat">{cat}</span><p class="snippet">{snippet}</p></li>"#,
                id = hit.id,
                rank = rank + 1,
                title = escape(&hit.title),
                cat = escape(cat),
                snippet = hit.snippet.to_html(),
            );
        }
        body.push_str("</ol>");
        if !unsure {
            body.push_str(&contact_block(&snapshot.corpus.site.contact, &q, "お探しの回答が見つからない場合", go));
        }
    }
    let mut page = html::Page::new(&site, format!("「{q}」の検索結果"), body);
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
) -> Result<Html<String>, PageError> {
    let snapshot = state.snapshot();
    let site = site_name(&snapshot);
    let page = visible_page(&snapshot, Scope::Public, &id).map_err(|e| PageError(e, site.clone()))?;
    let params = params.map(|p| p.0).unwrap_or_default();
    let sid = crate::events::clean_id(params.sid.as_deref());
    let query = params.q.unwrap_or_default();
    let now = kotae_events::now();
    if let Some(rank) = params.rank.as_deref().and_then(|r| r.trim().parse::<u32>().ok()).filter(|r| (1..=1000).contains(r)) {
        state.events.send(kotae_events::Event::Click {
            ts: now,
            session: None,
            search_id: sid.clone(),
            article: page.id.clone(),
            rank,
            query: Some(query.clone()).filter(|q| !q.is_empty()),
        });
    }
    // Popularity counts one view per client and article in `view_window_minutes`.
    if state.views.first_view(client.map(|c| c.0.0), &page.id) {
        state.events.send(kotae_events::Event::View { ts: now, session: None, search_id: sid.clone(), article: page.id.clone() });
    }
    let base = base_url(&state, &headers);
    let html_body = kotae_core::content::markdown::render_html(&page.body);

    let mut body = String::new();
    let cat = snapshot.corpus.category_name(page.category.as_deref()).unwrap_or("");
    let _ = write!(
        body,
        r#"<nav class="breadcrumb" aria-label="パンくずリスト"><ol><li><a href="/">ホーム</a></li><li><a href="/categories/{cid}">{cat}</a></li><li aria-current="page">{title}</li></ol></nav>"#,
        cid = page.category.as_deref().unwrap_or(""),
        cat = escape(cat),
        title = escape(&page.title),
    );
    let _ = write!(body, r#"<article class="answer"><h1>{}</h1>"#, escape(&page.title));
    if let Some(d) = page.updated {
        let _ = write!(body, r#"<p class="updated">最終更新日: <time datetime="{d}">{}</time></p>"#, japanese_date(&d));
    }
    let _ = write!(body, r#"<div class="body">{html_body}</div></article>"#);
    let _ = write!(
        body,
        r#"<section class="feedback" aria-labelledby="fb-h"><h2 id="fb-h">この回答は役に立ちましたか？</h2>
<form method="post" action="/feedback" class="vote"><input type="hidden" name="id" value="{id}"><input type="hidden" name="q" value="{q}"><input type="hidden" name="sid" value="{sid}">
<button type="submit" name="helpful" value="yes">はい</button> <button type="submit" name="helpful" value="no">いいえ</button></form>
<p class="thanks" role="status" hidden>ご回答ありがとうございました。</p>
<div class="after-no" hidden>{contact}{ask}</div></section>"#,
        id = escape(&page.id),
        q = escape(&query),
        sid = escape(sid.as_deref().unwrap_or("")),
        contact = contact_block(
            &snapshot.corpus.site.contact,
            if query.is_empty() { &page.title } else { &query },
            "解決しない場合はお問い合わせください",
            Some(Go { base: &base, sid: sid.as_deref() })
        ),
        ask = crate::events::question_form(&query, sid.as_deref(), Some(&page.id)),
    );
    let related: Vec<&PageInfo> = page.related.iter().filter_map(|r| snapshot.corpus.info(r)).filter(|p| p.audience == Audience::Public).collect();
    if !related.is_empty() {
        body.push_str(r#"<section class="related" aria-labelledby="rel-h"><h2 id="rel-h">関連するご質問</h2><ul>"#);
        for r in related {
            let _ = write!(body, r#"<li><a href="/articles/{}">{}</a></li>"#, r.id, escape(&r.title));
        }
        body.push_str("</ul></section>");
    }
    let ld = json!({
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [{
            "@type": "Question",
            "name": page.title,
            "acceptedAnswer": { "@type": "Answer", "text": html_body },
        }],
    });
    let mut out = html::Page::new(&site, page.title.clone(), body);
    out.canonical = Some(format!("{base}/articles/{}", page.id));
    out.head = format!(r#"<script type="application/ld+json">{}</script>"#, html::script_json(&ld));
    out.query = query;
    Ok(out.render())
}

pub async fn category(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Result<Html<String>, PageError> {
    let snapshot = state.snapshot();
    let site = site_name(&snapshot);
    let cat = snapshot
        .corpus
        .category(&id)
        .filter(|c| c.audience == Audience::Public)
        .ok_or_else(|| PageError(AppError::NotFound(format!("no category `{id}`")), site.clone()))?;
    let mut body = format!(
        r#"<nav class="breadcrumb" aria-label="パンくずリスト"><ol><li><a href="/">ホーム</a></li><li aria-current="page">{name}</li></ol></nav><h1>{name}</h1><p>{desc}</p><ul class="article-list">"#,
        name = escape(&cat.name),
        desc = escape(&cat.description)
    );
    for p in public_pages_in(&snapshot, &cat.id) {
        let _ = write!(body, r#"<li><a href="/articles/{}">{}</a></li>"#, p.id, escape(&p.title));
    }
    body.push_str("</ul>");
    let mut page = html::Page::new(&site, cat.name.clone(), body);
    page.canonical = Some(format!("{}/categories/{}", base_url(&state, &headers), cat.id));
    Ok(page.render())
}

pub async fn contact(State(state): State<AppState>, params: Result<axum::extract::Query<ArticleParams>, axum::extract::rejection::QueryRejection>) -> Html<String> {
    let snapshot = state.snapshot();
    let q = params.ok().and_then(|p| p.0.q).unwrap_or_default();
    let body = format!(
        r#"<h1>お問い合わせ</h1><p>ヘルプセンターで解決しない場合は、次の窓口からご連絡ください。</p>{}"#,
        contact_block(&snapshot.corpus.site.contact, &q, "お問い合わせ窓口", None)
    );
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
    headers: HeaderMap,
    form: Result<Form<VoteForm>, axum::extract::rejection::FormRejection>,
) -> Result<Html<String>, PageError> {
    let snapshot = state.snapshot();
    let site = site_name(&snapshot);
    let Ok(Form(form)) = form else {
        return Err(PageError(AppError::BadRequest("invalid vote".into()), site));
    };
    let helpful = form.helpful == "yes";
    let feedback = crate::api::Feedback {
        id: form.id,
        helpful,
        query: form.q.clone().filter(|q| !q.is_empty()),
        comment: None,
        search_id: form.sid.clone(),
        session: form.s.clone(),
    };
    crate::api::record_feedback(&state, Scope::Public, &feedback).await.map_err(|e| PageError(e, site.clone()))?;
    let sid = crate::events::clean_id(form.sid.as_deref());
    let base = base_url(&state, &headers);
    let body = if helpful {
        format!(r#"<h1>ご回答ありがとうございました</h1><p><a href="/articles/{}">回答に戻る</a> · <a href="/">ヘルプセンター トップ</a></p>"#, escape(&feedback.id))
    } else {
        let q = form.q.filter(|q| !q.is_empty()).unwrap_or_else(|| snapshot.corpus.info(&feedback.id).map(|p| p.title.clone()).unwrap_or_default());
        format!(
            "<h1>ご回答ありがとうございました</h1><p>お役に立てず申し訳ありません。</p>{}{}",
            contact_block(&snapshot.corpus.site.contact, &q, "解決しない場合はお問い合わせください", Some(Go { base: &base, sid: sid.as_deref() })),
            crate::events::question_form(&q, sid.as_deref(), Some(&feedback.id)),
        )
    };
    Ok(html::Page::new(&site, "ご回答ありがとうございました", body).render())
}

pub async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.snapshot();
    let base = base_url(&state, &headers);
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
    let _ = write!(xml, "<url><loc>{}/</loc></url>", escape(&base));
    for c in snapshot.corpus.categories.iter().filter(|c| c.audience == Audience::Public) {
        let _ = write!(xml, "<url><loc>{}/categories/{}</loc></url>", escape(&base), c.id);
    }
    for p in snapshot.corpus.pages.iter().filter(|p| p.audience == Audience::Public) {
        let lastmod = p.updated.map(|d| format!("<lastmod>{d}</lastmod>")).unwrap_or_default();
        let _ = write!(xml, "<url><loc>{}/articles/{}</loc>{lastmod}</url>", escape(&base), p.id);
    }
    xml.push_str("</urlset>");
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response()
}

pub async fn opensearch(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.snapshot();
    let base = escape(&base_url(&state, &headers));
    let name = escape(&site_name(&snapshot));
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
<ShortName>{name}</ShortName>
<Description>{name}を検索</Description>
<InputEncoding>UTF-8</InputEncoding>
<Language>ja</Language>
<Url type="text/html" method="get" template="{base}/search?q={{searchTerms}}"/>
<Url type="application/x-suggestions+json" template="{base}/api/suggest?q={{searchTerms}}&amp;format=opensearch"/>
</OpenSearchDescription>"#
    );
    ([(header::CONTENT_TYPE, "application/opensearchdescription+xml; charset=utf-8")], xml).into_response()
}

pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = format!("User-agent: *\nDisallow: /ops\nDisallow: /api\nSitemap: {}/sitemap.xml\n", base_url(&state, &headers));
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

pub async fn not_found(State(state): State<AppState>) -> Response {
    PageError(AppError::NotFound("no such page".into()), site_name(&state.snapshot())).into_response()
}

pub fn status_page(status: StatusCode, site: &str, message: &str) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", status.as_u16(), escape(message));
    (status, html::Page::new(site, "エラー", body).render()).into_response()
}
