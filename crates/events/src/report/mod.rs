//! The figures writers work from, computed from the event log over a time range.
//!
//! Customer figures count searches from the help page and the public API (`source` `help` or
//! `api`); the agents' console searches are stored but left out.
//!
//! - **Top queries** and **zero-result queries**, grouped by normalized query.
//! - **Hand-overs** (corpus gaps): queries whose searches led to the contact channels (shown
//!   after an empty or weak result or a "no" vote, or followed: a contact link clicked or a
//!   question sent).
//! - **Worst helpful ratio**: articles by yes / (yes + no); an article with fewer than
//!   [`MIN_VOTES`] votes has no ratio (`None`: too few votes to judge) and comes after those
//!   that have one.
//! - **Never found**: public articles that never appeared in any search's top ids.
//! - **Self-resolution** per day (in the site's time zone, [`Options::tz`]): a search is resolved when an article was opened from it,
//!   no "no" vote was given from it, no contact link was followed and no question sent.
//! - **Questions** customers sent, newest first, one page at a time ([`Options::questions`]);
//!   [`questions`] streams them all.
//! - **Alias suggestions**: a zero-result query followed within 10 minutes (same tab session, or
//!   a search typed on that query's results page) by a reformulated query from which an article
//!   was found helpful (a "yes" vote, or opened with no "no" vote): add the first query as an
//!   alias of that article. Only queries that look like words are suggested
//!   ([`looks_like_words`]): 「xyzzy」 is noise, not an alias.
//! - **Titles**: the rows name articles by id (kept in CSV and JSON); [`Report::add_titles`]
//!   adds their titles from the corpus ([`Report::titles`]) for people to read.
//!
//! - **Same question, other words**: the unanswered searches (no result, or handed over) of the
//!   most searched [`UNANSWERED_QUERIES`] distinct queries ([`Report::unanswered`]), grouped
//!   by meaning by the caller that has the model (`kotae report`, `/ops/insights`, with
//!   `kotae_core::meaning::groups`) into [`Report::meaning_groups`]: 「この 37 件の検索は同じ
//!   ことを聞いています」, with examples and the nearest FAQ.
//!
//! Memory does not grow with the log: SQLite groups, sorts and limits ([`build`]), spilling
//! to temporary files, and only the limited lists reach Rust. A range covers at most
//! [`MAX_RANGE_DAYS`] days ([`check_span`]). Customer text is neutralised on the way out
//! ([`render`]): CSV cells cannot start a spreadsheet formula, and terminal output carries no
//! control characters.

mod aggregate;
pub mod render;
mod words;

use anyhow::Context;
use serde::Serialize;

pub use aggregate::{build, question_page, questions};
pub use chrono_tz::Tz;
pub use render::{csv_cell, terminal_safe, write_json};
pub use words::looks_like_words;

/// Below this many votes (yes + no) an article shows no helpful ratio: two "no" votes out of
/// three say little, and would put a good page at the top of the worst list.
pub const MIN_VOTES: u64 = 5;

/// How long after a zero-result search a reformulation still counts, in seconds.
pub const CHAIN_SECONDS: i64 = 600;
/// At most this many earlier searches of a `prev` chain are followed back (51 searches).
pub const CHAIN_STEPS: i64 = 50;
/// At most this many of the latest searches of the same tab session, in the 10 minutes before
/// a search, are looked at for alias suggestions. A person types far fewer; the bound keeps a
/// flood of searches under one session id from making the report quadratic.
pub const SESSION_LOOKBACK: i64 = 50;
/// The most distinct unanswered queries a report lists for grouping by meaning (the most
/// searched): embedding one costs about 10 ms of CPU.
pub const UNANSWERED_QUERIES: usize = 500;
/// The longest range a report covers, in days: a leap year.
pub const MAX_RANGE_DAYS: i64 = 366;

/// What to report on.
#[derive(Debug, Clone)]
pub struct Options {
    /// Unix seconds, inclusive.
    pub from: i64,
    /// Unix seconds, exclusive.
    pub to: i64,
    /// Longest list for the ranked sections.
    pub limit: usize,
    /// The public article ids, for "never found"; empty leaves that section empty.
    pub public_ids: Vec<String>,
    /// Which questions to list, newest first.
    pub questions: Page,
    /// The site's time zone: days and times are shown in it.
    pub tz: Tz,
}

/// A slice of a list: `limit` rows after the first `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    /// No rows (the count is still given).
    pub const NONE: Page = Page { offset: 0, limit: 0 };

    /// Page `number` (1-based) of `size` rows.
    pub fn number(number: u64, size: u64) -> Page {
        Page { offset: number.saturating_sub(1).saturating_mul(size), limit: size }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryRow {
    pub query: String,
    pub searches: u64,
    pub zero_hits: u64,
    pub clicks: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZeroRow {
    pub query: String,
    pub searches: u64,
    pub last_seen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoverRow {
    pub query: String,
    /// Searches of this query that led to a hand-over of any kind.
    pub searches: u64,
    /// The contact block was shown (empty or weak results, or after a "no").
    pub shown: u64,
    /// A contact link was followed or a question sent.
    pub contacted: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HelpfulRow {
    pub article: String,
    pub yes: u64,
    pub no: u64,
    /// yes / (yes + no); `None` under [`MIN_VOTES`] votes.
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayRow {
    pub day: String,
    pub searches: u64,
    pub resolved: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRow {
    pub id: i64,
    pub time: String,
    pub question: String,
    pub query: Option<String>,
    pub article: Option<String>,
    pub has_contact: bool,
    /// Only in the console; [`Report::redact_contacts`] removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

impl QuestionRow {
    /// Drop the contact address (it is shown only in the console).
    pub fn redact(&mut self) {
        self.contact = None;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasRow {
    /// The zero-result query to add as an alias.
    pub query: String,
    pub article: String,
    /// How many zero-result searches led to this article.
    pub count: u64,
    /// The queries that found it instead.
    pub reformulations: Vec<String>,
}

/// A query of the range's unanswered searches: no result, or handed over to a human.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnansweredRow {
    pub query: String,
    /// Its searches that were unanswered.
    pub searches: u64,
}

/// Unanswered searches that ask the same thing in other words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeaningGroupRow {
    /// How many unanswered searches the group's queries add up to.
    pub searches: u64,
    /// How many distinct queries it has.
    pub queries: u64,
    /// Its most searched queries (at most [`MEANING_EXAMPLES`]).
    pub examples: Vec<String>,
    /// The existing FAQ closest in meaning, if the index has vectors.
    pub nearest: Option<NearestFaq>,
}

/// Examples shown per group of [`MeaningGroupRow`].
pub const MEANING_EXAMPLES: usize = 3;

/// An existing page of the corpus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearestFaq {
    pub id: String,
    pub title: String,
    /// Cosine similarity by meaning (e5 puts unrelated questions at about 0.8).
    pub similarity: f32,
}

/// Every figure over one range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub searches: u64,
    pub zero_result_searches: u64,
    pub top_queries: Vec<QueryRow>,
    pub zero_result_queries: Vec<ZeroRow>,
    pub handover_queries: Vec<HandoverRow>,
    pub worst_helpful: Vec<HelpfulRow>,
    pub never_found: Vec<String>,
    pub self_resolution: Vec<DayRow>,
    /// The page of questions asked for in [`Options::questions`].
    pub questions: Vec<QuestionRow>,
    /// Every question in the range, of which `questions` is a page.
    #[serde(skip)]
    pub questions_total: u64,
    pub alias_suggestions: Vec<AliasRow>,
    /// The most searched unanswered queries, for [`Report::meaning_groups`].
    #[serde(skip)]
    pub unanswered: Vec<UnansweredRow>,
    /// How many distinct unanswered queries the range has (`unanswered` holds at most
    /// [`UNANSWERED_QUERIES`]).
    #[serde(skip)]
    pub unanswered_total: u64,
    /// Unanswered searches grouped by meaning, largest first: empty from [`build`], filled by a
    /// caller with the model.
    pub meaning_groups: Vec<MeaningGroupRow>,
    /// The titles of the articles the report names (id → title), from [`Report::add_titles`].
    pub titles: std::collections::BTreeMap<String, String>,
}

/// The report's sections, for CSV exports.
pub const SECTIONS: &[&str] =
    &["top_queries", "zero_results", "handovers", "worst_helpful", "never_found", "self_resolution", "questions", "aliases", "meaning_groups"];

impl Report {
    /// Look up the title of every article the report names (worst helpful ratios, never found,
    /// alias suggestions, the page of questions), with `title` (the corpus; `None` for an
    /// article it no longer has).
    pub fn add_titles(&mut self, title: impl Fn(&str) -> Option<String>) {
        let ids = self
            .worst_helpful
            .iter()
            .map(|h| &h.article)
            .chain(&self.never_found)
            .chain(self.alias_suggestions.iter().map(|a| &a.article))
            .chain(self.questions.iter().filter_map(|q| q.article.as_ref()));
        let found: Vec<(String, String)> = ids.filter_map(|id| Some((id.clone(), title(id)?))).collect();
        self.titles.extend(found);
    }

    /// The title of article `id`, if [`Report::add_titles`] found it.
    pub fn title(&self, id: &str) -> Option<&str> {
        self.titles.get(id).map(String::as_str).filter(|t| !t.trim().is_empty())
    }

    /// Drop submitted contact addresses (they are shown only in the console).
    pub fn redact_contacts(&mut self) {
        for q in &mut self.questions {
            q.redact();
        }
    }
}

/// The site's time zone when the configuration names none.
pub const DEFAULT_TIMEZONE: &str = "Asia/Tokyo";

/// An IANA time zone name (`Asia/Tokyo`, `Europe/Paris`, `UTC`), or a message that says what
/// is wrong.
pub fn parse_timezone(name: &str) -> anyhow::Result<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        anyhow::anyhow!("`{name}` is not a time zone: write an IANA name such as Asia/Tokyo, America/New_York or UTC")
    })
}

/// `ts` in `tz`, to the second, with its offset (`2026-01-02T01:00:00+09:00`).
pub fn iso(ts: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string()).unwrap_or_default()
}

/// The day of `ts` in `tz` (`2026-01-02`).
pub fn day(ts: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.with_timezone(&tz).format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The helpful ratio, when there are at least [`MIN_VOTES`] votes.
fn helpful_ratio(yes: u64, no: u64) -> Option<f64> {
    (yes + no >= MIN_VOTES).then(|| ratio(yes, yes + no))
}

/// The first day a report can cover: events are stored as Unix seconds.
pub fn first_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// The last day a report can cover.
pub fn last_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

/// Unix seconds at the start of `day` in `tz` (where a clock change skips midnight, the first
/// moment of that day).
pub fn start_of(day: chrono::NaiveDate, tz: Tz) -> i64 {
    use chrono::TimeZone;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    (0..=4)
        .find_map(|h| tz.from_local_datetime(&(midnight + chrono::Duration::minutes(30 * h))).earliest())
        .map_or_else(|| midnight.and_utc().timestamp(), |d| d.timestamp())
}

/// Refuse a range longer than [`MAX_RANGE_DAYS`] days (`from` inclusive, `to` exclusive, Unix
/// seconds), or one that ends before it starts.
pub fn check_span(from: i64, to: i64) -> anyhow::Result<()> {
    anyhow::ensure!(from <= to, "the period starts after it ends");
    let days = (i128::from(to) - i128::from(from)).div_euclid(86_400);
    anyhow::ensure!(
        days <= i128::from(MAX_RANGE_DAYS),
        "a report covers at most {MAX_RANGE_DAYS} days; this period is {days} days long"
    );
    Ok(())
}

/// Parse a `--since` value: `30d`, `12h`, `2w`, or a date `2026-11-01` (midnight in `tz`).
pub fn parse_since(s: &str, now: i64, tz: Tz) -> anyhow::Result<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        anyhow::ensure!(
            (first_day()..=last_day()).contains(&d),
            "`{s}`: the date must be from {} to {}",
            first_day(),
            last_day()
        );
        return Ok(start_of(d, tz));
    }
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().with_context(|| format!("`{s}` is not a duration like 30d or a date like 2026-11-01"))?;
    let secs = match unit {
        "d" | "" => 86_400,
        "h" => 3_600,
        "w" => 7 * 86_400,
        "m" => 60,
        _ => anyhow::bail!("`{s}`: the unit must be m, h, d or w"),
    };
    n.checked_mul(secs).and_then(|back| now.checked_sub(back)).with_context(|| format!("`{s}` is too far back"))
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
