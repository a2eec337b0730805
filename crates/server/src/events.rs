//! The feedback loop in the service: recording what customers do (searches, clicks, views,
//! votes, hand-overs to a human, questions) in the events database, the question form and the
//! contact-link redirect, the most popular FAQs from the stored figures, and the console's
//! insights page with inline SVG charts and CSV exports.
//!
//! High-volume events go through [`kotae_events::Writer`] (a background thread, never waited
//! on); votes and questions are committed before the handler answers.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kotae_core::content::Audience;
use kotae_core::index::PageInfo;
use kotae_events::{Event, Handover, Question, Search, Store, Vote, Writer};
use serde::Deserialize;

use crate::api::{urlencode, with_query};
use crate::error::AppError;
use crate::html::{self, escape};
use crate::state::AppState;

/// What a customer is told when a vote cannot be stored.
pub const VOTE_UNAVAILABLE: &str = "ただいま評価を受け付けられません。しばらくしてからもう一度お試しください。";
/// What a customer is told when a question cannot be stored.
pub const QUESTION_UNAVAILABLE: &str = "ただいまご質問を受け付けられません。しばらくしてからもう一度お試しいただくか、お問い合わせ窓口をご利用ください。";

/// How long the most popular FAQs are cached.
const POPULAR_TTL: Duration = Duration::from_secs(60);
/// The window the most popular FAQs are counted over.
pub const POPULAR_DAYS: i64 = 30;
/// Longest question and contact address accepted from the form.
pub const MAX_QUESTION_CHARS: usize = 2000;
pub const MAX_CONTACT_CHARS: usize = 200;

/// Popularity scores and when they were read.
type Cached = Option<(Instant, Arc<HashMap<String, u64>>)>;

struct Open {
    store: Arc<Store>,
    writer: Writer,
}

/// The service's handle on the events database; disabled when it could not be opened.
pub struct Events {
    open: Option<Open>,
    popular: Mutex<Cached>,
}

impl Events {
    /// Open (and migrate) the database at `path` and start its writer thread.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let store = Arc::new(Store::open(path)?);
        let writer = Writer::start(path)?;
        Ok(Events { open: Some(Open { store, writer }), popular: Mutex::new(None) })
    }

    /// No database: nothing is recorded, votes and questions are refused.
    pub fn disabled() -> Self {
        Events { open: None, popular: Mutex::new(None) }
    }

    pub fn store(&self) -> Option<&Arc<Store>> {
        self.open.as_ref().map(|o| &o.store)
    }

    /// Queue an event; never waits.
    pub fn send(&self, event: Event) {
        if let Some(o) = &self.open {
            o.writer.send(event);
        }
    }

    /// Wait until the queued events are written (tests, shutdown).
    pub fn flush(&self) {
        if let Some(o) = &self.open {
            o.writer.flush();
        }
    }

    /// Run `f` on the store off the async threads.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = self
            .store()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the events database is not available")))?;
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("events task failed: {e}")))?
            .map_err(AppError::Internal)
    }

    /// Run a write that promises durability (a vote, a question) off the async threads. When
    /// it cannot be committed (no database, a full disk) the answer is 503 with a message for
    /// the customer, never a claim of success.
    pub async fn durable<T: Send + 'static>(
        &self,
        customer_message: &str,
        f: impl FnOnce(&Store) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let unavailable = |e: anyhow::Error| AppError::Unavailable(customer_message.to_string(), e);
        let store = self.store().cloned().ok_or_else(|| unavailable(anyhow::anyhow!("the events database is not available")))?;
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| unavailable(anyhow::anyhow!("events task failed: {e}")))?
            .map_err(unavailable)
    }

    /// What the background writer did so far (written and dropped events).
    pub fn writer_stats(&self) -> Option<&kotae_events::WriterStats> {
        self.open.as_ref().map(|o| o.writer.stats())
    }

    /// Popularity scores (views + 3 × helpful votes over the last 30 days), cached for a minute.
    pub async fn popularity(&self) -> Arc<HashMap<String, u64>> {
        if let Ok(cache) = self.popular.lock()
            && let Some((at, scores)) = cache.as_ref()
            && at.elapsed() < POPULAR_TTL
        {
            return scores.clone();
        }
        let since = kotae_events::now() - POPULAR_DAYS * 86_400;
        let scores = match self.blocking(move |s| s.popularity(since)).await {
            Ok(rows) => rows.into_iter().map(|(id, views, helpful)| (id, views + 3 * helpful)).collect(),
            Err(e) => {
                if self.open.is_some() {
                    tracing::warn!(error = ?e, "cannot read popularity");
                }
                HashMap::new()
            }
        };
        let scores = Arc::new(scores);
        if let Ok(mut cache) = self.popular.lock() {
            *cache = Some((Instant::now(), scores.clone()));
        }
        scores
    }

    /// Forget the cached popularity (tests).
    pub fn refresh(&self) {
        if let Ok(mut cache) = self.popular.lock() {
            *cache = None;
        }
    }
}

/// The `n` most popular public pages: by the stored views and helpful votes of the last 30
/// days, by the writers' `featured` order before there are any (and as the tie-break).
pub fn popular<'a>(scores: &HashMap<String, u64>, pages: &'a [PageInfo], n: usize) -> Vec<&'a PageInfo> {
    let mut candidates: Vec<(&PageInfo, u64)> = pages
        .iter()
        .filter(|p| p.audience == Audience::Public)
        .map(|p| (p, scores.get(&p.id).copied().unwrap_or(0)))
        .filter(|(p, score)| *score > 0 || p.featured.is_some())
        .collect();
    candidates.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then(a.featured.unwrap_or(u32::MAX).cmp(&b.featured.unwrap_or(u32::MAX)))
            .then(a.id.cmp(&b.id))
    });
    candidates.into_iter().take(n).map(|(p, _)| p).collect()
}

/// A search id: 16 random hex digits.
pub fn new_search_id() -> String {
    crate::state::random_token()[..16].to_string()
}

/// A search or session id from a client, if it has a sane shape (hex, letters, digits, `-`).
pub fn clean_id(id: Option<&str>) -> Option<String> {
    id.map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
}

/// Record a search (queued).
#[allow(clippy::too_many_arguments)]
pub fn record_search(
    state: &AppState,
    id: &str,
    source: &str,
    audience: &str,
    query: &str,
    total: usize,
    top: impl Iterator<Item = String>,
    started: Instant,
    session: Option<String>,
    prev: Option<String>,
) {
    state.events.send(Event::Search(Search {
        id: id.to_string(),
        ts: kotae_events::now(),
        session,
        prev,
        query: query.to_string(),
        normalized: kotae_core::analysis::normalize_str(query.trim()),
        source: source.to_string(),
        audience: audience.to_string(),
        hits: total as u64,
        top_ids: top.take(5).collect(),
        latency_ms: started.elapsed().as_millis() as u64,
    }));
}

/// Record that the contact channels were shown (queued).
pub fn record_shown(state: &AppState, sid: Option<&str>, query: &str, reason: &str, article: Option<&str>) {
    state.events.send(Event::Handover {
        ts: kotae_events::now(),
        session: None,
        search_id: sid.map(str::to_string),
        query: Some(query.to_string()).filter(|q| !q.is_empty()),
        handover: Handover { action: "shown".into(), reason: Some(reason.into()), channel: None, article: article.map(str::to_string) },
    });
}

/// Record a vote; committed when this returns.
pub async fn record_vote(state: &AppState, vote: Vote) -> Result<(), AppError> {
    state.events.durable(VOTE_UNAVAILABLE, move |s| s.record_vote(vote)).await?;
    state.events.refresh();
    Ok(())
}

/// The question form, shown where nothing answered.
pub fn question_form(query: &str, sid: Option<&str>, article: Option<&str>) -> String {
    format!(
        r#"<section class="ask" aria-labelledby="ask-h"><h2 id="ask-h">質問を送る</h2>
<p>お探しの回答がなかった場合は、ご質問をお送りください。いただいたご質問をもとに、ヘルプの内容を改善します。</p>
<form method="post" action="/questions" class="question">
<input type="hidden" name="q" value="{q}"><input type="hidden" name="sid" value="{sid}"><input type="hidden" name="article" value="{article}">
<p><label for="question-text">ご質問</label><br><textarea id="question-text" name="question" rows="4" maxlength="{max}" required>{q}</textarea></p>
<p><label for="question-contact">ご連絡先（任意。回答をご希望の場合はメールアドレスなど）</label><br><input id="question-contact" name="contact" maxlength="{maxc}" autocomplete="email"></p>
<p><button type="submit">質問を送る</button></p></form></section>"#,
        q = escape(query),
        sid = escape(sid.unwrap_or("")),
        article = escape(article.unwrap_or("")),
        max = MAX_QUESTION_CHARS,
        maxc = MAX_CONTACT_CHARS,
    )
}

/// The question form's fields.
#[derive(Debug, Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub article: Option<String>,
    #[serde(default)]
    pub s: Option<String>,
}

/// `POST /questions`: store the question (committed before answering) and confirm.
pub async fn submit_question(
    State(state): State<AppState>,
    form: Result<Form<QuestionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let snapshot = state.snapshot();
    let site = snapshot.corpus.site.name.clone();
    let page = |status: StatusCode, title: &str, body: String| (status, html::Page::new(&site, title.to_string(), body).render()).into_response();
    let Ok(Form(form)) = form else {
        return page(StatusCode::BAD_REQUEST, "ご質問を送れませんでした", "<h1>ご質問を送れませんでした</h1><p>入力内容を確認して、もう一度お試しください。</p>".into());
    };
    let question = form.question.trim().to_string();
    let contact = form.contact.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    let query = form.q.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    let problem = if question.is_empty() {
        Some("ご質問を入力してください。".to_string())
    } else if question.chars().count() > MAX_QUESTION_CHARS {
        Some(format!("ご質問は{MAX_QUESTION_CHARS}文字以内でお送りください。"))
    } else if contact.as_deref().is_some_and(|c| c.chars().count() > MAX_CONTACT_CHARS) {
        Some(format!("ご連絡先は{MAX_CONTACT_CHARS}文字以内で入力してください。"))
    } else {
        None
    };
    if let Some(problem) = problem {
        let body = format!(
            r#"<h1>ご質問を送れませんでした</h1><p class="error" role="alert">{}</p>{}"#,
            escape(&problem),
            question_form(query.as_deref().unwrap_or(&question), form.sid.as_deref(), form.article.as_deref())
        );
        return page(StatusCode::BAD_REQUEST, "ご質問を送れませんでした", body);
    }
    let article = form
        .article
        .as_deref()
        .and_then(|id| snapshot.corpus.info(id))
        .filter(|p| p.audience == Audience::Public)
        .map(|p| p.id.clone());
    let q = Question {
        ts: kotae_events::now(),
        session: clean_id(form.s.as_deref()),
        search_id: clean_id(form.sid.as_deref()),
        article,
        query,
        question,
        contact,
    };
    match state.events.durable(QUESTION_UNAVAILABLE, move |s| s.record_question(&q)).await {
        Ok(_) => page(
            StatusCode::OK,
            "ご質問を受け付けました",
            r#"<h1>ご質問を受け付けました</h1><p role="status">ご質問をお送りいただき、ありがとうございました。内容を確認し、ヘルプセンターの改善に役立てます。ご連絡先をご記入いただいた場合は、担当者からご連絡することがあります。</p><p><a href="/">ヘルプセンター トップへ戻る</a></p>"#.into(),
        ),
        Err(e) => {
            if let AppError::Unavailable(_, cause) | AppError::Internal(cause) = &e {
                tracing::warn!(error = format!("{cause:#}"), "cannot store a question");
            }
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "ご質問を送れませんでした",
                format!(
                    r#"<h1>ご質問を送れませんでした</h1><p class="error" role="alert">{}</p><p><a href="/contact">お問い合わせ窓口</a> · <a href="/">ヘルプセンター トップへ戻る</a></p>"#,
                    escape(QUESTION_UNAVAILABLE)
                ),
            )
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct GoParams {
    pub channel: Option<String>,
    pub q: Option<String>,
    pub sid: Option<String>,
}

/// `GET /contact/go?channel=&q=&sid=`: record that a contact link was followed, then go there.
pub async fn contact_go(State(state): State<AppState>, params: Result<axum::extract::Query<GoParams>, axum::extract::rejection::QueryRejection>) -> Response {
    let p = params.map(|p| p.0).unwrap_or_default();
    let snapshot = state.snapshot();
    let q = p.q.unwrap_or_default();
    let channel = p.channel.as_deref().and_then(|kind| snapshot.corpus.site.contact.iter().find(|c| c.kind == kind && c.url.is_some()));
    let Some(channel) = channel else {
        return Redirect::to(&format!("/contact?q={}", urlencode(&q))).into_response();
    };
    state.events.send(Event::Handover {
        ts: kotae_events::now(),
        session: None,
        search_id: clean_id(p.sid.as_deref()),
        query: Some(q.clone()).filter(|q| !q.is_empty()),
        handover: Handover { action: "go".into(), reason: None, channel: Some(channel.kind.clone()), article: None },
    });
    Redirect::to(&with_query(channel.url.as_deref().unwrap_or("/contact"), &q)).into_response()
}

/// The link a contact channel's URL goes through, so that the hand-over is recorded.
pub fn contact_link(kind: &str, query: &str, sid: Option<&str>) -> String {
    let mut url = format!("/contact/go?channel={}", urlencode(kind));
    if !query.is_empty() {
        let _ = write!(url, "&q={}", urlencode(query));
    }
    if let Some(sid) = sid {
        let _ = write!(url, "&sid={}", urlencode(sid));
    }
    url
}

/// Delete events past the retention period now, then once a day. A retention of 0 days is
/// off: nothing is ever deleted, and the task ends at once.
pub fn spawn_retention(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if state.config.retention_days == 0 {
            tracing::info!("events retention is off (retention_days = 0): events are kept until deleted by hand");
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(24 * 3600));
        loop {
            tick.tick().await;
            let days = state.config.retention_days;
            match state.events.blocking(move |s| s.purge(days, kotae_events::now())).await {
                Ok(n) => tracing::info!(deleted = n, retention_days = days, "events past retention deleted"),
                Err(e) => tracing::warn!(error = ?e, "cannot apply the events retention"),
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The console's insights page.

#[derive(Debug, Default, Deserialize)]
pub struct InsightParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub report: Option<String>,
}

/// The range from `from`/`to` (dates, inclusive; default the last 30 days).
fn range(p: &InsightParams) -> Result<(chrono::NaiveDate, chrono::NaiveDate), AppError> {
    let parse = |s: &Option<String>, name: &str| -> Result<Option<chrono::NaiveDate>, AppError> {
        match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::BadRequest(format!("`{name}` must be a date like 2026-11-01"))),
        }
    };
    let today = chrono::Utc::now().date_naive();
    let to = parse(&p.to, "to")?.unwrap_or(today);
    let from = parse(&p.from, "from")?.unwrap_or(to - chrono::Days::new(29));
    if from > to {
        return Err(AppError::BadRequest("`from` is after `to`".into()));
    }
    Ok((from, to))
}

async fn report_for(state: &AppState, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<kotae_events::report::Report, AppError> {
    // Include what is still queued; the writer thread is waited for off the async threads.
    let flushing = state.clone();
    let _ = tokio::task::spawn_blocking(move || flushing.events.flush()).await;
    let snapshot = state.snapshot();
    let public_ids: Vec<String> = snapshot.corpus.pages.iter().filter(|p| p.audience == Audience::Public).map(|p| p.id.clone()).collect();
    let options = kotae_events::report::Options {
        from: from.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0),
        to: (to + chrono::Days::new(1)).and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(i64::MAX),
        limit: 20,
        public_ids,
    };
    // A connection of its own, so that a long report does not hold up votes and questions.
    state.events.blocking(move |s| kotae_events::report::build(&kotae_events::connect(s.path())?, &options)).await
}

/// Horizontal bars: one row per label.
fn bar_chart(title: &str, rows: &[(String, f64, String)]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let (label_w, bar_w, row_h) = (260.0, 360.0, 22.0);
    let height = rows.len() as f64 * row_h + 8.0;
    let mut svg = format!(
        r##"<svg class="chart" role="img" aria-label="{t}" width="{w}" height="{height}" viewBox="0 0 {w} {height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"##,
        t = escape(title),
        w = label_w + bar_w + 70.0,
    );
    for (i, (label, value, shown)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (value / max * bar_w).max(1.0);
        let short: String = label.chars().take(22).collect();
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end" fill="#1f2328">{label}</text><rect x="{bx}" y="{y}" width="{w:.1}" height="16" fill="#0a58ca"/><text x="{vx:.1}" y="{ty}" font-size="12" fill="#57606a">{shown}</text>"##,
            lx = label_w - 6.0,
            ty = y + 12.5,
            label = escape(&short),
            bx = label_w,
            vx = label_w + w + 4.0,
            shown = escape(shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Every day of the range, with the days that had no search filled in.
fn all_days(rows: &[kotae_events::report::DayRow], from: chrono::NaiveDate, to: chrono::NaiveDate) -> Vec<kotae_events::report::DayRow> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to && out.len() < 400 {
        let day = d.format("%Y-%m-%d").to_string();
        out.push(rows.iter().find(|r| r.day == day).cloned().unwrap_or(kotae_events::report::DayRow { day, searches: 0, resolved: 0, rate: 0.0 }));
        d = d + chrono::Days::new(1);
    }
    out
}

/// Self-resolution per day as columns (rate) over a 0–100 % axis.
fn rate_chart(days: &[kotae_events::report::DayRow]) -> String {
    if days.iter().all(|d| d.searches == 0) {
        return r#"<p class="empty">この期間の検索はありません</p>"#.into();
    }
    let (h, left, top) = (160.0, 40.0, 10.0);
    let col = (640.0 / days.len() as f64).clamp(2.0, 40.0);
    let w = left + col * days.len() as f64 + 10.0;
    let mut svg = format!(
        r##"<svg class="chart" role="img" aria-label="自己解決率（日別）" width="{w}" height="{total}" viewBox="0 0 {w} {total}" xmlns="http://www.w3.org/2000/svg"><title>自己解決率（日別）</title>"##,
        total = h + top + 24.0,
    );
    for pct in [0, 50, 100] {
        let y = top + h - h * f64::from(pct) / 100.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y}" x2="{w}" y2="{y}" stroke="#d0d7de"/><text x="{tx}" y="{ty}" font-size="11" text-anchor="end" fill="#57606a">{pct}%</text>"##,
            tx = left - 4.0,
            ty = y + 4.0,
        );
    }
    for (i, d) in days.iter().enumerate() {
        let bh = h * d.rate;
        let x = left + i as f64 * col + 1.0;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="#1a7f37"><title>{day}: {r}/{n}（{p:.0}%）</title></rect>"##,
            y = top + h - bh,
            bw = (col - 2.0).max(1.0),
            day = escape(&d.day),
            r = d.resolved,
            n = d.searches,
            p = d.rate * 100.0,
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last().filter(|_| days.len() > 1)) {
        let _ = write!(
            svg,
            r##"<text x="{left}" y="{y}" font-size="11" fill="#57606a">{a}</text><text x="{w}" y="{y}" font-size="11" text-anchor="end" fill="#57606a">{b}</text>"##,
            y = top + h + 18.0,
            a = escape(&first.day),
            b = escape(&last.day),
        );
    }
    svg.push_str("</svg>");
    svg
}

fn table(head: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return r#"<p class="empty">該当なし</p>"#.into();
    }
    let mut out = String::from("<table class=\"insights\"><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", escape(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// `GET /ops/insights?from=&to=`: the report with charts, for operators.
pub async fn insights(State(state): State<AppState>, params: axum::extract::Query<InsightParams>) -> Result<Html<String>, AppError> {
    let (from, to) = range(&params.0)?;
    let r = report_for(&state, from, to).await?;
    let csv = |name: &str| format!(r#" <a class="csv" href="/ops/insights.csv?report={name}&amp;from={from}&amp;to={to}">CSV</a>"#);
    let title = |t: &str, name: &str| format!(r#"<h2 id="{name}">{}{}</h2>"#, escape(t), csv(name));
    let rate = if r.searches == 0 {
        0.0
    } else {
        r.self_resolution.iter().map(|d| d.resolved).sum::<u64>() as f64 / r.searches as f64
    };
    let mut body = format!(
        r#"<p><a href="/ops">← ナレッジ検索</a></p><h1>検索インサイト</h1>
<form method="get" action="/ops/insights" class="filters-form"><label>開始日 <input type="date" name="from" value="{from}"></label> <label>終了日 <input type="date" name="to" value="{to}"></label> <button type="submit">表示</button></form>
<p class="summary">期間 {from} 〜 {to}（UTC）: 検索 {n}件、ヒットなし {z}件、自己解決率 {rate:.1}%</p>"#,
        n = r.searches,
        z = r.zero_result_searches,
        rate = rate * 100.0,
    );
    body.push_str(&title("自己解決率（日別）", "self_resolution"));
    body.push_str(&rate_chart(&all_days(&r.self_resolution, from, to)));
    body.push_str(&title("よく検索されたキーワード", "top_queries"));
    body.push_str(&bar_chart("検索回数", &r.top_queries.iter().take(10).map(|q| (q.query.clone(), q.searches as f64, q.searches.to_string())).collect::<Vec<_>>()));
    body.push_str(&table(&["キーワード", "検索", "ヒットなし", "クリック"], r.top_queries.iter().map(|q| vec![q.query.clone(), q.searches.to_string(), q.zero_hits.to_string(), q.clicks.to_string()]).collect()));
    body.push_str(&title("ヒットしなかったキーワード", "zero_results"));
    body.push_str(&bar_chart("ヒットなしの回数", &r.zero_result_queries.iter().take(10).map(|q| (q.query.clone(), q.searches as f64, q.searches.to_string())).collect::<Vec<_>>()));
    body.push_str(&table(&["キーワード", "回数", "最終"], r.zero_result_queries.iter().map(|q| vec![q.query.clone(), q.searches.to_string(), q.last_seen.clone()]).collect()));
    body.push_str(&title("有人窓口へ案内したキーワード（コンテンツの不足）", "handovers"));
    body.push_str(&table(&["キーワード", "検索", "窓口表示", "問い合わせ"], r.handover_queries.iter().map(|q| vec![q.query.clone(), q.searches.to_string(), q.shown.to_string(), q.contacted.to_string()]).collect()));
    body.push_str(&title("「役に立った」の割合が低い記事", "worst_helpful"));
    body.push_str(&bar_chart("役に立った割合", &r.worst_helpful.iter().take(10).map(|h| (h.article.clone(), h.ratio, format!("{:.0}%", h.ratio * 100.0))).collect::<Vec<_>>()));
    body.push_str(&table(&["記事", "はい", "いいえ", "割合"], r.worst_helpful.iter().map(|h| vec![h.article.clone(), h.yes.to_string(), h.no.to_string(), format!("{:.0}%", h.ratio * 100.0)]).collect()));
    body.push_str(&title("別名（aliases）の追加候補", "aliases"));
    body.push_str(&table(&["キーワード", "記事", "件数", "見つけた言い換え"], r.alias_suggestions.iter().map(|a| vec![a.query.clone(), a.article.clone(), a.count.to_string(), a.reformulations.join("、")]).collect()));
    body.push_str(&title("一度も検索結果に出なかった公開記事", "never_found"));
    if r.never_found.is_empty() {
        body.push_str(r#"<p class="empty">該当なし</p>"#);
    } else {
        let _ = write!(body, r#"<p>{}件</p><ul class="never-found">"#, r.never_found.len());
        for id in &r.never_found {
            let _ = write!(body, r#"<li><a href="/ops/articles/{}">{}</a></li>"#, escape(id), escape(id));
        }
        body.push_str("</ul>");
    }
    body.push_str(&title("お客様からの質問", "questions"));
    body.push_str(&table(&["日時", "質問", "検索語", "記事", "連絡先"], r.questions.iter().map(|q| vec![q.time.clone(), q.question.clone(), q.query.clone().unwrap_or_default(), q.article.clone().unwrap_or_default(), q.contact.clone().unwrap_or_default()]).collect()));
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, "検索インサイト", body);
    page.console = true;
    Ok(page.render())
}

/// `GET /ops/insights.csv?report=&from=&to=`: one section as CSV.
pub async fn insights_csv(State(state): State<AppState>, params: axum::extract::Query<InsightParams>) -> Result<Response, AppError> {
    let (from, to) = range(&params.0)?;
    let section = params.0.report.clone().unwrap_or_else(|| "top_queries".into());
    if !kotae_events::report::SECTIONS.contains(&section.as_str()) {
        return Err(AppError::BadRequest(format!("`report` must be one of {}", kotae_events::report::SECTIONS.join(", "))));
    }
    let r = report_for(&state, from, to).await?;
    let mut out = Vec::new();
    r.write_csv(&section, &mut out).map_err(AppError::Internal)?;
    let disposition = format!("attachment; filename=\"kotae-{section}-{from}-{to}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        out,
    )
        .into_response())
}
