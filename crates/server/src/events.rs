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
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kotae_core::content::Audience;
use kotae_core::index::PageInfo;
use kotae_events::{Event, Handover, Question, Search, Store, Vote, Writer};
use serde::Deserialize;

mod insights;

pub use insights::{InsightParams, insights, insights_csv};

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
    /// Insights reports: one computed at a time.
    reports: insights::Gate,
}

impl Events {
    /// Open (and migrate) the database at `path` and start its writer thread. A database that
    /// cannot be written is refused ([`Store::open_for_recording`]), so the service does not
    /// start rather than drop what customers do.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let store = Arc::new(Store::open_for_recording(path)?);
        let writer = Writer::start(path)?;
        Ok(Events { open: Some(Open { store, writer }), popular: Mutex::new(None), reports: insights::Gate::default() })
    }

    /// No database: nothing is recorded, votes and questions are refused.
    pub fn disabled() -> Self {
        Events { open: None, popular: Mutex::new(None), reports: insights::Gate::default() }
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

    /// How many insights reports were computed (the others reused one; tests).
    pub fn reports_computed(&self) -> u64 {
        self.reports.computed()
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
