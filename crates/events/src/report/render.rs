//! The report as text for a terminal, as CSV, and as JSON, with customer text neutralised:
//!
//! - [`terminal_safe`]: in text output, control characters (C0 but the line breaks, DEL, C1)
//!   and the bidirectional-text controls come out as visible escapes (`\x1b`, `\u{202e}`), so a
//!   query cannot retitle the terminal, clear the screen or hide what follows; line breaks
//!   become spaces, one row per line.
//! - [`csv_cell`]: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets
//!   a leading apostrophe (OWASP's rule against CSV formula injection), so a spreadsheet shows
//!   it as text; line breaks stay inside the (quoted) cell as `\n`; other controls are escaped
//!   as in text.
//! - JSON escapes control characters itself; [`write_json`] streams the questions.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use rusqlite::Connection;
use serde::Serialize;
use serde::ser::{Error as _, SerializeSeq, Serializer};

use super::{AliasRow, DayRow, MIN_VOTES, HandoverRow, HelpfulRow, MeaningGroupRow, Options, QueryRow, QuestionRow, Report, SECTIONS, ZeroRow, questions};

/// Characters a terminal or a reader could be fooled by: C0 and C1 controls, DEL, and the
/// bidirectional-text controls (which reorder what is shown).
fn is_hazard(c: char) -> bool {
    c.is_control() || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_into(out: &mut String, c: char) {
    if (c as u32) < 0x80 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

/// `s` on one line of a terminal: line breaks (`\r\n`, `\r`, `\n`) become a space and every
/// other control character a visible escape such as `\x1b`.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hazard) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push(' '),
            c if is_hazard(c) => escape_into(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` as a CSV cell that a spreadsheet shows as text: line breaks kept (as `\n`), tabs kept,
/// other control characters escaped, and a leading apostrophe when the cell would start with
/// `=`, `+`, `-`, `@`, a tab or a line break.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']);
    let hazard = s.chars().any(|c| is_hazard(c) && !matches!(c, '\t' | '\n'));
    if !formula && !hazard {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    if formula {
        out.push('\'');
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push('\n'),
            '\t' | '\n' => out.push(c),
            c if is_hazard(c) => escape_into(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

impl Report {
    /// The report as text for a terminal, with [`Report::questions`] as the questions.
    pub fn write_text(&self, w: &mut impl Write) -> std::io::Result<()> {
        self.write_text_figures(w)?;
        write_text_questions_heading(w, self.questions_total)?;
        for q in &self.questions {
            write_text_question(w, q)?;
        }
        Ok(())
    }

    /// Everything but the questions, as text for a terminal.
    pub fn write_text_figures(&self, w: &mut impl Write) -> std::io::Result<()> {
        let t = terminal_safe;
        writeln!(w, "Kotae report {} .. {}", self.from, self.to)?;
        writeln!(w, "searches: {}, zero-result searches: {}", self.searches, self.zero_result_searches)?;
        writeln!(w, "\nTop queries (searches, zero hits, clicks)")?;
        for r in &self.top_queries {
            writeln!(w, "  {:>5} {:>5} {:>5}  {}", r.searches, r.zero_hits, r.clicks, t(&r.query))?;
        }
        writeln!(w, "\nZero-result queries (searches, last seen)")?;
        for r in &self.zero_result_queries {
            writeln!(w, "  {:>5}  {}  {}", r.searches, r.last_seen, t(&r.query))?;
        }
        writeln!(w, "\nHanded over to a human (searches, contact shown, contacted)")?;
        for r in &self.handover_queries {
            writeln!(w, "  {:>5} {:>5} {:>5}  {}", r.searches, r.shown, r.contacted, t(&r.query))?;
        }
        writeln!(w, "\nWorst helpful ratio (yes, no, ratio; no ratio under {MIN_VOTES} votes)")?;
        for r in &self.worst_helpful {
            let ratio = r.ratio.map_or_else(|| "票数不足".to_string(), |x| format!("{x:>5.2}"));
            writeln!(w, "  {:>5} {:>5} {ratio}  {}", r.yes, r.no, self.article_text(&r.article))?;
        }
        writeln!(w, "\nArticles never found ({})", self.never_found.len())?;
        for id in &self.never_found {
            writeln!(w, "  {}", self.article_text(id))?;
        }
        writeln!(w, "\nSelf-resolution per day (searches, resolved, rate)")?;
        for r in &self.self_resolution {
            writeln!(w, "  {}  {:>5} {:>5} {:>5.1}%", r.day, r.searches, r.resolved, r.rate * 100.0)?;
        }
        writeln!(w, "\nAlias suggestions (count, query → article, found with)")?;
        for r in &self.alias_suggestions {
            let found: Vec<Cow<str>> = r.reformulations.iter().map(|q| t(q)).collect();
            writeln!(w, "  {:>5}  {} → {}  ({})", r.count, t(&r.query), self.article_text(&r.article), found.join(", "))?;
        }
        self.write_text_meaning_groups(w)
    }

    /// An article for a terminal: 「title (id)」, or the id when its title is unknown.
    fn article_text(&self, id: &str) -> String {
        match self.title(id) {
            Some(title) => format!("{} ({})", terminal_safe(title), terminal_safe(id)),
            None => terminal_safe(id).into_owned(),
        }
    }

    /// The unanswered searches grouped by meaning, as text.
    fn write_text_meaning_groups(&self, w: &mut impl Write) -> std::io::Result<()> {
        let t = terminal_safe;
        write!(w, "\nSame question in other words: unanswered searches grouped by meaning")?;
        if self.unanswered_total > self.unanswered.len() as u64 {
            write!(w, " (the {} most searched of {} queries)", self.unanswered.len(), self.unanswered_total)?;
        }
        writeln!(w)?;
        for g in &self.meaning_groups {
            let examples: Vec<Cow<str>> = g.examples.iter().map(|q| t(q)).collect();
            writeln!(w, "  この {} 件の検索は同じことを聞いています（{} 通りの言い方）: {}", g.searches, g.queries, examples.join(" / "))?;
            if let Some(f) = &g.nearest {
                writeln!(w, "        近い FAQ: {} ({}, {:.2})", t(&f.title), t(&f.id), f.similarity)?;
            }
        }
        Ok(())
    }

    /// One section as CSV with a header row. `section` is one of [`SECTIONS`]; the questions
    /// are [`Report::questions`].
    pub fn write_csv(&self, section: &str, w: impl Write) -> anyhow::Result<()> {
        if section == "questions" {
            let mut c = QuestionsCsv::new(w)?;
            for q in &self.questions {
                c.row(q)?;
            }
            return c.finish();
        }
        let mut c = csv::Writer::from_writer(w);
        let f = |x: f64| format!("{x:.4}");
        match section {
            "top_queries" => {
                record(&mut c, &["query", "searches", "zero_hits", "clicks"])?;
                for r in &self.top_queries {
                    record(&mut c, &[&r.query, &r.searches.to_string(), &r.zero_hits.to_string(), &r.clicks.to_string()])?;
                }
            }
            "zero_results" => {
                record(&mut c, &["query", "searches", "last_seen"])?;
                for r in &self.zero_result_queries {
                    record(&mut c, &[&r.query, &r.searches.to_string(), &r.last_seen])?;
                }
            }
            "handovers" => {
                record(&mut c, &["query", "searches", "shown", "contacted"])?;
                for r in &self.handover_queries {
                    record(&mut c, &[&r.query, &r.searches.to_string(), &r.shown.to_string(), &r.contacted.to_string()])?;
                }
            }
            "worst_helpful" => {
                record(&mut c, &["article", "title", "yes", "no", "ratio"])?;
                for r in &self.worst_helpful {
                    let ratio = r.ratio.map(f).unwrap_or_default();
                    record(&mut c, &[&r.article, self.title(&r.article).unwrap_or_default(), &r.yes.to_string(), &r.no.to_string(), &ratio])?;
                }
            }
            "never_found" => {
                record(&mut c, &["article", "title"])?;
                for id in &self.never_found {
                    record(&mut c, &[id, self.title(id).unwrap_or_default()])?;
                }
            }
            "self_resolution" => {
                record(&mut c, &["day", "searches", "resolved", "rate"])?;
                for r in &self.self_resolution {
                    record(&mut c, &[&r.day, &r.searches.to_string(), &r.resolved.to_string(), &f(r.rate)])?;
                }
            }
            "aliases" => {
                record(&mut c, &["query", "article", "title", "count", "reformulations"])?;
                for r in &self.alias_suggestions {
                    let title = self.title(&r.article).unwrap_or_default();
                    record(&mut c, &[&r.query, &r.article, title, &r.count.to_string(), &r.reformulations.join(" | ")])?;
                }
            }
            "meaning_groups" => {
                record(&mut c, &["searches", "queries", "examples", "nearest_id", "nearest_title", "similarity"])?;
                for g in &self.meaning_groups {
                    let (id, title, similarity) = match &g.nearest {
                        Some(n) => (n.id.as_str(), n.title.as_str(), format!("{:.4}", n.similarity)),
                        None => ("", "", String::new()),
                    };
                    let (searches, queries) = (g.searches.to_string(), g.queries.to_string());
                    record(&mut c, &[&searches, &queries, &g.examples.join(" | "), id, title, &similarity])?;
                }
            }
            other => anyhow::bail!("unknown report `{other}` (one of {})", SECTIONS.join(", ")),
        }
        c.flush()?;
        Ok(())
    }
}

/// One CSV row, every cell through [`csv_cell`].
fn record<W: Write>(c: &mut csv::Writer<W>, cells: &[&str]) -> csv::Result<()> {
    c.write_record(cells.iter().map(|cell| csv_cell(cell).into_owned()))
}

/// The "Questions sent (n)" heading of the text report.
pub fn write_text_questions_heading(w: &mut impl Write, total: u64) -> std::io::Result<()> {
    writeln!(w, "\nQuestions sent ({total})")
}

/// One question of the text report, on one line.
pub fn write_text_question(w: &mut impl Write, q: &QuestionRow) -> std::io::Result<()> {
    let contact = if q.has_contact { " [連絡先あり]" } else { "" };
    writeln!(w, "  {}  {}{}", q.time, terminal_safe(&q.question), contact)
}

/// The questions section as CSV, written one row at a time.
pub struct QuestionsCsv<W: Write> {
    c: csv::Writer<W>,
}

impl<W: Write> QuestionsCsv<W> {
    /// Start the section: writes the header row.
    pub fn new(w: W) -> anyhow::Result<Self> {
        let mut c = csv::Writer::from_writer(w);
        record(&mut c, &["id", "time", "question", "query", "article", "has_contact", "contact"])?;
        Ok(QuestionsCsv { c })
    }

    pub fn row(&mut self, q: &QuestionRow) -> anyhow::Result<()> {
        record(
            &mut self.c,
            &[
                &q.id.to_string(),
                &q.time,
                &q.question,
                q.query.as_deref().unwrap_or_default(),
                q.article.as_deref().unwrap_or_default(),
                &q.has_contact.to_string(),
                q.contact.as_deref().unwrap_or_default(),
            ],
        )?;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.c.flush()?;
        Ok(())
    }
}

/// The JSON shape of [`Report`], with the questions read from the database as they are written.
#[derive(Serialize)]
struct Json<'a> {
    from: &'a str,
    to: &'a str,
    searches: u64,
    zero_result_searches: u64,
    top_queries: &'a [QueryRow],
    zero_result_queries: &'a [ZeroRow],
    handover_queries: &'a [HandoverRow],
    worst_helpful: &'a [HelpfulRow],
    never_found: &'a [String],
    self_resolution: &'a [DayRow],
    questions: StreamedQuestions<'a>,
    alias_suggestions: &'a [AliasRow],
    meaning_groups: &'a [MeaningGroupRow],
    titles: &'a std::collections::BTreeMap<String, String>,
}

struct StreamedQuestions<'a> {
    conn: &'a Connection,
    from: i64,
    to: i64,
    tz: super::Tz,
    redact: bool,
}

impl Serialize for StreamedQuestions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut failed = None;
        let read = questions(self.conn, self.from, self.to, self.tz, |mut q| {
            if self.redact {
                q.redact();
            }
            seq.serialize_element(&q).map_err(|e| {
                failed = Some(e);
                anyhow::anyhow!("cannot write a question")
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(|e| S::Error::custom(format!("{e:#}")))?;
        seq.end()
    }
}

/// `report` as pretty JSON (the shape of [`Report`]'s `Serialize`), with every question of the
/// range of `o` read from `conn` while it is written, not held in memory; contact addresses are
/// left out when `redact`.
pub fn write_json(report: &Report, conn: &Connection, o: &Options, redact: bool, w: impl Write) -> anyhow::Result<()> {
    let json = Json {
        from: &report.from,
        to: &report.to,
        searches: report.searches,
        zero_result_searches: report.zero_result_searches,
        top_queries: &report.top_queries,
        zero_result_queries: &report.zero_result_queries,
        handover_queries: &report.handover_queries,
        worst_helpful: &report.worst_helpful,
        never_found: &report.never_found,
        self_resolution: &report.self_resolution,
        questions: StreamedQuestions { conn, from: o.from, to: o.to, tz: o.tz, redact },
        alias_suggestions: &report.alias_suggestions,
        meaning_groups: &report.meaning_groups,
        titles: &report.titles,
    };
    serde_json::to_writer_pretty(w, &json)?;
    Ok(())
}
