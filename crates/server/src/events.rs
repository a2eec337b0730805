//! The feedback loop in the service: recording what customers do (searches, clicks, views,
//! votes, hand-overs to a human, questions) in the events database, the question form and the
//! contact-link redirect, the most popular FAQs from the stored figures, and the console's
//! insights page with inline SVG charts and CSV exports.
//!
//! High-volume events go through [`kotae_events::Writer`] (a background thread, never waited
//! on); votes and questions are committed before the handler answers.

use std::fmt::Write as _;

use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kotae_core::content::Audience;

use kotae_events::{Event, Handover, Question, Search, Vote};
use serde::Deserialize;

mod insights;
pub mod meaning_groups;

pub use crate::recorder::{Events, POPULAR_DAYS, clean_id, new_search_id, popular};

pub use insights::{InsightParams, insights, insights_csv};

use crate::html::{urlencode, with_query};
use crate::error::AppError;
use crate::html::{self, escape};
use crate::state::AppState;

/// What a customer is told when a vote cannot be stored.
pub const VOTE_UNAVAILABLE: &str = "ただいま評価を受け付けられません。しばらくしてからもう一度お試しください。";
/// What a customer is told when a question cannot be stored.
pub const QUESTION_UNAVAILABLE: &str = "ただいまご質問を受け付けられません。しばらくしてからもう一度お試しいただくか、お問い合わせ窓口をご利用ください。";

/// Longest question and contact address accepted from the form.
pub const MAX_QUESTION_CHARS: usize = 2000;
pub const MAX_CONTACT_CHARS: usize = 200;

/// Record a search (queued).
#[allow(clippy::too_many_arguments)]
pub fn record_search(
    state: &AppState,
    id: &str,
    source: &str,
    audience: &str,
    query: &str,
    results: &kotae_core::SearchResults,
    started: Instant,
    session: Option<String>,
    prev: Option<String>,
) {
    // A search that found nothing answering counts as one without results, even when weak
    // hits were listed (see `kotae_core::search::verdict`).
    let answered = results.verdict.answered;
    state.events.send(Event::Search(Search {
        id: id.to_string(),
        ts: kotae_events::now(),
        session,
        prev,
        query: query.to_string(),
        normalized: kotae_core::analysis::normalize_str(query.trim()),
        source: source.to_string(),
        audience: audience.to_string(),
        hits: if answered { results.total as u64 } else { 0 },
        top_ids: if answered { results.hits.iter().take(5).map(|h| h.id.clone()).collect() } else { Vec::new() },
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

/// Read what resolved each question (the learned ranking's evidence) now, then every minute.
/// With `learned_ranking` off, nothing is read and the task ends at once.
pub fn spawn_learning(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if !state.config.learned_ranking {
            tracing::info!("the learned ranking is off (learned_ranking = false): results keep the plain ranking");
            return;
        }
        let mut tick = tokio::time::interval(LEARNED_REFRESH);
        loop {
            tick.tick().await;
            state.events.refresh_learned().await;
        }
    })
}

/// How often the learned ranking's evidence is read again.
pub const LEARNED_REFRESH: Duration = Duration::from_secs(60);

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
