//! The console's insights page (`/ops/insights`) and its CSV exports (`/ops/insights.csv`):
//! the report of [`kotae_events::report`] over a date range, with inline SVG charts.
//!
//! - The range is whole days in the site's time zone (`timezone`, default Asia/Tokyo), and times
//!   are shown in it; `from` and `to` inclusive, at most
//!   [`MAX_RANGE_DAYS`](kotae_events::report::MAX_RANGE_DAYS) long, within 1970-01-01 ..
//!   9999-12-31; anything else is a 400 with a Japanese message (a page for `/ops/insights`,
//!   JSON for the CSV).
//! - Every list is limited: the ranked sections to [`LIMIT`] rows, the questions to pages of
//!   [`QUESTIONS_PER_PAGE`] (`page=`) on the page and [`QUESTIONS_PER_CSV`] in a CSV export.
//! - The figures are aggregated by SQLite on a connection of the report's own, so memory stays
//!   flat whatever the range holds, and one report is computed at a time ([`Gate`]).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use kotae_core::content::Audience;
use kotae_events::report::{self, MAX_RANGE_DAYS, Page, Report};
use serde::Deserialize;

use crate::error::AppError;
use crate::recorder::Figures;
use crate::html::{self, escape};
use crate::state::AppState;

use super::meaning_groups;

/// Longest ranked list (top queries, zero results, hand-overs, helpful ratios, aliases).
pub const LIMIT: usize = 20;
/// Questions per page of `/ops/insights`.
pub const QUESTIONS_PER_PAGE: u64 = 50;
/// Questions per CSV export (`/ops/insights.csv?report=questions&page=N`).
pub const QUESTIONS_PER_CSV: u64 = 1000;
/// The CSV pages of questions linked from the page; `kotae report` exports any number.
const CSV_PAGE_LINKS: u64 = 20;
/// Highest `page` accepted.
const MAX_PAGE: u64 = 1_000_000;

#[derive(Debug, Default, Deserialize)]
pub struct InsightParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub report: Option<String>,
    /// The page of questions, from 1.
    pub page: Option<String>,
}

/// A request the insights cannot answer: what to tell the operator (Japanese).
struct Refused(String);

/// The range from `from`/`to` (dates, inclusive; default the last 30 days).
fn range(p: &InsightParams, tz: report::Tz) -> Result<(NaiveDate, NaiveDate), Refused> {
    let (first, last) = (report::first_day(), report::last_day());
    let parse = |s: &Option<String>, label: &str| -> Result<Option<NaiveDate>, Refused> {
        let Some(s) = s.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if (first..=last).contains(&d) => Ok(Some(d)),
            Ok(_) => Err(Refused(format!("{label}は {first} から {last} までの日付で指定してください。"))),
            Err(_) => Err(Refused(format!("{label}の日付を読み取れません。2026-11-01 のように「年-月-日」で指定してください。"))),
        }
    };
    let today = chrono::Utc::now().with_timezone(&tz).date_naive().clamp(first, last);
    let to = parse(&p.to, "終了日（to）")?.unwrap_or(today);
    let from = match parse(&p.from, "開始日（from）")? {
        Some(from) => from,
        None => to.checked_sub_days(chrono::Days::new(29)).unwrap_or(first).max(first),
    };
    if from > to {
        return Err(Refused("開始日（from）が終了日（to）より後になっています。".into()));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(Refused(format!("期間は{MAX_RANGE_DAYS}日以内で指定してください（指定された期間は{days}日です）。")));
    }
    Ok((from, to))
}

/// The `page` parameter: 1 when absent.
fn page_number(p: &InsightParams) -> Result<u64, Refused> {
    match p.page.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| Refused(format!("ページ（page）は 1 から {MAX_PAGE} までの整数で指定してください。"))),
    }
}

/// Unix seconds: the start of `from` and the end of `to` (in the site's time zone).
fn span(from: NaiveDate, to: NaiveDate, tz: report::Tz) -> (i64, i64) {
    (report::start_of(from, tz), to.checked_add_days(chrono::Days::new(1)).map(|d| report::start_of(d, tz)).unwrap_or(i64::MAX))
}

/// Every figure of the range but the questions' page.
async fn figures(state: &AppState, from: NaiveDate, to: NaiveDate) -> Result<Arc<Report>, AppError> {
    let asked = Instant::now();
    let gate = &state.events.reports;
    let permit = gate.permit.clone().acquire_owned().await.map_err(|e| AppError::Internal(e.into()))?;
    if let Some(report) = gate.reusable((from, to), asked) {
        return Ok(report);
    }
    let started = Instant::now();
    // Include what is still queued; the writer thread is waited for off the async threads.
    let flushing = state.clone();
    let _ = tokio::task::spawn_blocking(move || flushing.events.flush()).await;
    let snapshot = state.snapshot();
    let public_ids: Vec<String> = snapshot.corpus.pages.iter().filter(|p| p.audience == Audience::Public).map(|p| p.id.clone()).collect();
    let (start, end) = span(from, to, state.config.tz());
    let options = report::Options { from: start, to: end, limit: LIMIT, public_ids, questions: Page::NONE, tz: state.config.tz() };
    // A connection of its own, so that a long report does not hold up votes and questions; the
    // permit is held until the computation ends and its figures are kept, even if the request
    // is given up: a request waiting for the permit then finds them.
    let kept = state.clone();
    let report = state
        .events
        .blocking(move |s| {
            let _permit = permit;
            let mut report = report::build(&s.report_connection(options.from, options.to)?, &options)?;
            // Unanswered searches by meaning: a few seconds of embedding the first time, kept
            // with the figures.
            meaning_groups::fill(&mut report, Some((&snapshot.generation, &snapshot.corpus)), LIMIT);
            let report = Arc::new(report);
            let gate = &kept.events.reports;
            gate.computed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut last) = gate.last.lock() {
                *last = Some(Figures { range: (from, to), started, report: report.clone() });
            }
            Ok(report)
        })
        .await?;
    Ok(report)
}

/// The figures of the range with one page of its questions.
async fn report_for(state: &AppState, from: NaiveDate, to: NaiveDate, questions: Page) -> Result<Report, AppError> {
    let figures = figures(state, from, to).await?;
    let tz = state.config.tz();
    let (start, end) = span(from, to, tz);
    let (total, rows) =
        state.events.blocking(move |s| report::question_page(&s.report_connection(start, end)?, start, end, questions, tz)).await?;
    let mut r = Report::clone(&figures);
    r.questions_total = total;
    r.questions = rows;
    // Articles are shown by their title in the served corpus (ids stay in the CSV exports).
    let snapshot = state.snapshot();
    let titles: std::collections::HashMap<&str, &str> = snapshot.corpus.pages.iter().map(|p| (p.id.as_str(), p.title.as_str())).collect();
    r.add_titles(|id| titles.get(id).map(|t| t.to_string()));
    Ok(r)
}

/// Horizontal bars, one row per label: the label whole above its bar (it wraps on a narrow
/// screen), the bar an SVG that takes the width it is given, the value after it.
fn bar_chart(title: &str, rows: &[(String, f64, String)]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let mut out = format!(r#"<figure class="bars"><figcaption>{}</figcaption><ol>"#, escape(title));
    for (label, value, shown) in rows {
        let pct = (value / max * 100.0).clamp(0.5, 100.0);
        let _ = write!(
            out,
            r##"<li><span class="bar-label">{label}</span><span class="bar-row"><svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect width="{pct:.1}" height="10" fill="#0a58ca"/></svg><span class="bar-value">{shown}</span></span></li>"##,
            label = escape(label),
            shown = escape(shown),
        );
    }
    out.push_str("</ol></figure>");
    out
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
    table_html(head, rows.into_iter().map(|r| r.iter().map(|c| escape(c)).collect()).collect())
}

/// A table whose cells are HTML already (escaped by the caller), in a box that scrolls
/// sideways on a narrow screen.
fn table_html(head: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return r#"<p class="empty">該当なし</p>"#.into();
    }
    let mut out = String::from("<div class=\"table-box\"><table class=\"insights\"><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// An article as a link to its console page, named by its title (its id when the corpus no
/// longer has it), with the id as a tooltip.
fn article_link(r: &Report, id: &str) -> String {
    format!(
        r#"<a href="/ops/articles/{id}" title="{id}">{name}</a>"#,
        id = escape(id),
        name = escape(r.title(id).unwrap_or(id)),
    )
}

/// An article's helpful ratio, or 「票数不足」 under the minimum of votes.
fn ratio_text(h: &report::HelpfulRow) -> String {
    match h.ratio {
        Some(x) => format!("{:.0}%", x * 100.0),
        None => format!("票数不足（{}票）", h.yes + h.no),
    }
}

/// The filter form, with the range shown.
fn range_form(from: &str, to: &str) -> String {
    format!(
        r#"<form method="get" action="/ops/insights" class="filters-form"><label>開始日 <input type="date" name="from" value="{from}"></label> <label>終了日 <input type="date" name="to" value="{to}"></label> <button type="submit">表示</button></form>"#,
        from = escape(from),
        to = escape(to),
    )
}

fn console_page(state: &AppState, status: StatusCode, body: String) -> Response {
    let mut page = html::Page::new(&state.snapshot().corpus.site.name, "検索インサイト", body);
    page.console = true;
    (status, page.render()).into_response()
}

/// The questions section: one page of them, with links to the others and to the CSV pages.
fn questions_section(r: &Report, from: NaiveDate, to: NaiveDate, page: u64) -> String {
    let mut out = table_html(
        &["日時", "質問", "検索語", "記事", "連絡先"],
        r.questions
            .iter()
            .map(|q| {
                vec![
                    escape(&q.time),
                    escape(&q.question),
                    escape(q.query.as_deref().unwrap_or_default()),
                    q.article.as_deref().map(|a| article_link(r, a)).unwrap_or_default(),
                    escape(q.contact.as_deref().unwrap_or_default()),
                ]
            })
            .collect(),
    );
    let total = r.questions_total;
    if total == 0 {
        return out;
    }
    let first = (page - 1) * QUESTIONS_PER_PAGE;
    let shown = r.questions.len() as u64;
    let link = |p: u64, text: &str| format!(r##"<a href="/ops/insights?from={from}&amp;to={to}&amp;page={p}#questions">{text}</a>"##);
    let _ = write!(out, r#"<nav class="pages" aria-label="質問のページ"><p>全{total}件"#);
    if shown > 0 {
        let _ = write!(out, "中 {}〜{}件目", first + 1, first + shown);
    }
    out.push_str("</p><p>");
    if page > 1 {
        let back = page.min(total.div_ceil(QUESTIONS_PER_PAGE) + 1) - 1;
        out.push_str(&link(back, "← 新しい質問"));
    }
    if first + shown < total && shown > 0 {
        if page > 1 {
            out.push_str(" · ");
        }
        out.push_str(&link(page + 1, "古い質問 →"));
    }
    out.push_str("</p></nav>");
    if total > QUESTIONS_PER_CSV {
        let pages = total.div_ceil(QUESTIONS_PER_CSV);
        let _ = write!(out, r#"<p class="csv-pages">CSV（新しい順に{QUESTIONS_PER_CSV}件ずつ）:"#);
        for p in 1..=pages.min(CSV_PAGE_LINKS) {
            let _ = write!(out, r#" <a class="csv" href="/ops/insights.csv?report=questions&amp;from={from}&amp;to={to}&amp;page={p}">{p}</a>"#);
        }
        if pages > CSV_PAGE_LINKS {
            out.push_str(" …（残りは <code>kotae report --format csv --report questions</code> で書き出せます）");
        }
        out.push_str("</p>");
    }
    out
}

/// Unanswered searches grouped by meaning, each with its examples and nearest FAQ.
fn meaning_groups_section(r: &Report) -> String {
    if !meaning_groups::available() {
        return r#"<p class="empty">意味でまとめるには埋め込みモデルが必要です（<code>tools/fetch-model.sh</code>）。</p>"#.into();
    }
    let mut out = String::from(
        r#"<p class="note">ヒットしなかった検索と有人窓口へ案内した検索のうち、言い方は違っても同じことを聞いているものをまとめています。"#,
    );
    if r.unanswered_total > r.unanswered.len() as u64 {
        let _ = write!(out, "（よく検索された {} 通りの言い方が対象です。全 {} 通り）", r.unanswered.len(), r.unanswered_total);
    }
    out.push_str("</p>");
    if r.meaning_groups.is_empty() {
        out.push_str(r#"<p class="empty">該当なし</p>"#);
        return out;
    }
    out.push_str(r#"<ul class="meaning-groups">"#);
    for g in &r.meaning_groups {
        let examples: Vec<String> = g.examples.iter().map(|q| format!("「{}」", escape(q))).collect();
        let _ = write!(
            out,
            "<li><p><strong>この {} 件の検索は同じことを聞いています</strong>（{} 通りの言い方）: {}</p>",
            g.searches,
            g.queries,
            examples.join(" ")
        );
        match &g.nearest {
            Some(f) => {
                let _ = write!(
                    out,
                    r#"<p>いちばん近い FAQ: <a href="/ops/articles/{}">{}</a>（類似度 {:.2}）</p></li>"#,
                    escape(&f.id),
                    escape(&f.title),
                    f.similarity
                );
            }
            None => out.push_str("</li>"),
        }
    }
    out.push_str("</ul>");
    out
}

/// `GET /ops/insights?from=&to=&page=`: the report with charts, for operators.
pub async fn insights(State(state): State<AppState>, params: axum::extract::Query<InsightParams>) -> Result<Response, AppError> {
    let (from, to, page) = match range(&params.0, state.config.tz()).and_then(|(from, to)| Ok((from, to, page_number(&params.0)?))) {
        Ok(ok) => ok,
        Err(Refused(message)) => {
            let body = format!(
                r#"<p><a href="/ops">← ナレッジ検索</a></p><h1>検索インサイト</h1>
<p class="error" role="alert">{}</p>{}"#,
                escape(&message),
                range_form("", "")
            );
            return Ok(console_page(&state, StatusCode::BAD_REQUEST, body));
        }
    };
    let r = report_for(&state, from, to, Page::number(page, QUESTIONS_PER_PAGE)).await?;
    let csv = |name: &str| format!(r#" <a class="csv" href="/ops/insights.csv?report={name}&amp;from={from}&amp;to={to}">CSV</a>"#);
    let title = |t: &str, name: &str| format!(r#"<h2 id="{name}">{}{}</h2>"#, escape(t), csv(name));
    let rate = if r.searches == 0 {
        0.0
    } else {
        r.self_resolution.iter().map(|d| d.resolved).sum::<u64>() as f64 / r.searches as f64
    };
    let mut body = format!(
        r#"<p><a href="/ops">← ナレッジ検索</a></p><h1>検索インサイト</h1>
{form}
<p class="summary">期間 {from} 〜 {to}（{zone}）: 検索 {n}件、ヒットなし {z}件、自己解決率 {rate:.1}%</p>"#,
        form = range_form(&from.to_string(), &to.to_string()),
        zone = escape(state.config.tz().name()),
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
    body.push_str(&title("同じことを聞いている検索（意味でまとめたもの）", "meaning_groups"));
    body.push_str(&meaning_groups_section(&r));
    body.push_str(&title("「役に立った」の割合が低い記事", "worst_helpful"));
    let _ = write!(body, r#"<p class="note">投票が{}票未満の記事は割合を出さず「票数不足」と表示します。</p>"#, report::MIN_VOTES);
    let rated: Vec<(String, f64, String)> = r
        .worst_helpful
        .iter()
        .filter_map(|h| Some((r.title(&h.article).unwrap_or(&h.article).to_string(), h.ratio?, ratio_text(h))))
        .take(10)
        .collect();
    body.push_str(&bar_chart("役に立った割合", &rated));
    body.push_str(&table_html(
        &["記事", "はい", "いいえ", "割合"],
        r.worst_helpful.iter().map(|h| vec![article_link(&r, &h.article), h.yes.to_string(), h.no.to_string(), ratio_text(h)]).collect(),
    ));
    body.push_str(&title("別名（aliases）の追加候補", "aliases"));
    body.push_str(r#"<p class="note">ヒットしなかった検索のあと、言い換えで記事が見つかったものです。単語に見えない検索語（「xyzzy」など）は候補にしません。</p>"#);
    body.push_str(&table_html(
        &["キーワード", "記事", "件数", "見つけた言い換え"],
        r.alias_suggestions
            .iter()
            .map(|a| vec![escape(&a.query), article_link(&r, &a.article), a.count.to_string(), escape(&a.reformulations.join("、"))])
            .collect(),
    ));
    body.push_str(&title("一度も検索結果に出なかった公開記事", "never_found"));
    if r.never_found.is_empty() {
        body.push_str(r#"<p class="empty">該当なし</p>"#);
    } else {
        let _ = write!(body, r#"<p>{}件</p><ul class="never-found">"#, r.never_found.len());
        for id in &r.never_found {
            let _ = write!(body, "<li>{}</li>", article_link(&r, id));
        }
        body.push_str("</ul>");
    }
    body.push_str(&title("お客様からの質問", "questions"));
    body.push_str(&questions_section(&r, from, to, page));
    Ok(console_page(&state, StatusCode::OK, body))
}

/// `GET /ops/insights.csv?report=&from=&to=&page=`: one section as CSV; the questions in pages
/// of 1,000 (`QUESTIONS_PER_CSV`), newest first.
pub async fn insights_csv(State(state): State<AppState>, params: axum::extract::Query<InsightParams>) -> Result<Response, AppError> {
    let (from, to, page) = range(&params.0, state.config.tz())
        .and_then(|(from, to)| Ok((from, to, page_number(&params.0)?)))
        .map_err(|Refused(message)| AppError::BadRequest(message))?;
    let section = params.0.report.clone().unwrap_or_else(|| "top_queries".into());
    if !report::SECTIONS.contains(&section.as_str()) {
        return Err(AppError::BadRequest(format!("`report` must be one of {}", report::SECTIONS.join(", "))));
    }
    let questions = if section == "questions" { Page::number(page, QUESTIONS_PER_CSV) } else { Page::NONE };
    let r = report_for(&state, from, to, questions).await?;
    let mut out = Vec::new();
    r.write_csv(&section, &mut out).map_err(AppError::Internal)?;
    let disposition = if section == "questions" && page > 1 {
        format!("attachment; filename=\"kotae-{section}-{from}-{to}-{page}.csv\"")
    } else {
        format!("attachment; filename=\"kotae-{section}-{from}-{to}.csv\"")
    };
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        out,
    )
        .into_response())
}
