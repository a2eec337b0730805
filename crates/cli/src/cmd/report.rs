//! `kotae report`: what customers searched, found and did not find, from the events database.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use kotae_core::IndexRoot;
use kotae_core::index::StoredCorpus;
use anyhow::Context;
use kotae_events::report::{self, Page, QuestionRow, SECTIONS, render};
use kotae_server::events::meaning_groups;

use super::IndexArg;

/// Top queries, zero-result queries, hand-overs, helpful ratios, articles never found,
/// self-resolution per day, alias suggestions, unanswered searches grouped by meaning (with the
/// embedding model; the 500 most searched unanswered queries are embedded, about 10 ms each)
/// and submitted questions.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The events database [default: kotae-events.sqlite3 beside the index folder].
    #[arg(long, env = "KOTAE_EVENTS_DB")]
    events: Option<PathBuf>,
    /// The events database on PostgreSQL (postgres://…), instead of --events.
    #[arg(long, env = "KOTAE_EVENTS_URL", hide_env_values = true)]
    events_url: Option<String>,
    #[command(flatten)]
    index: IndexArg,
    /// Start of the period: a duration back from now (30d, 12h, 2w) or a date (2026-11-01); at
    /// most 366 days back.
    #[arg(long, default_value = "30d")]
    since: String,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "csv"])]
    format: String,
    /// With --format csv: the one section to print (top_queries, zero_results, handovers,
    /// worst_helpful, never_found, self_resolution, questions, aliases, meaning_groups); all by
    /// default.
    #[arg(long)]
    report: Option<String>,
    /// Longest list in the ranked sections.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// The site's time zone, for days and times (an IANA name) [default: `timezone` of the
    /// settings file, else Asia/Tokyo].
    #[arg(long, env = "KOTAE_TIMEZONE")]
    timezone: Option<String>,
    /// Settings file (TOML) to read `timezone` from; `kotae.toml` in the current folder is
    /// read if present.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// The served index generation and its pages.
fn served(index: &std::path::Path) -> anyhow::Result<(PathBuf, StoredCorpus)> {
    let generation = IndexRoot::new(index).current()?;
    let corpus = StoredCorpus::open(&generation)?;
    Ok((generation, corpus))
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let path = args.events.clone().unwrap_or_else(|| {
        args.index.index.parent().unwrap_or(std::path::Path::new("")).join(kotae_events::DEFAULT_FILE)
    });
    let url = args.events_url.clone().filter(|u| !u.is_empty());
    if url.is_none() {
        anyhow::ensure!(path.is_file(), "no events database at {} (run `kotae serve` first, or pass --events)", path.display());
    }
    if let Some(r) = &args.report {
        anyhow::ensure!(SECTIONS.contains(&r.as_str()), "--report must be one of {}", SECTIONS.join(", "));
    }
    let tz = match &args.timezone {
        Some(name) => report::parse_timezone(name).context("--timezone")?,
        None => {
            let file = args.config.clone().or_else(|| Some(PathBuf::from("kotae.toml")).filter(|p| p.is_file()));
            kotae_server::config::Config::load(file.as_deref())?.tz()
        }
    };
    let now = kotae_events::now();
    let from = report::parse_since(&args.since, now, tz)?;
    let to = now + 1;
    report::check_span(from, to).with_context(|| format!("--since {}", args.since))?;
    let served = match served(&args.index.index) {
        Ok(served) => Some(served),
        Err(e) => {
            eprintln!(
                "warning: no index at {} ({e:#}): articles never found and the FAQs nearest to unanswered searches are not listed",
                args.index.index.display()
            );
            None
        }
    };
    let ids = served.as_ref().map_or_else(Vec::new, |(_, corpus)| {
        corpus.pages.iter().filter(|p| p.audience == kotae_core::Audience::Public).map(|p| p.id.clone()).collect()
    });
    // One SQLite connection the report reads: the file, or the range copied from PostgreSQL.
    let conn = match &url {
        Some(url) => kotae_events::PgStore::connect(url)?.report_connection(from, to)?,
        None => {
            drop(kotae_events::Store::open(&path)?);
            kotae_events::connect(&path)?
        }
    };
    // The questions are streamed from the database as they are printed, not held in memory.
    let options = report::Options { from, to, limit: args.limit, public_ids: ids, questions: Page::NONE, tz };
    let mut r = report::build(&conn, &options)?;
    // Articles are shown by title (ids stay in CSV and JSON).
    if let Some((_, corpus)) = &served {
        let titles: std::collections::HashMap<&str, &str> = corpus.pages.iter().map(|p| (p.id.as_str(), p.title.as_str())).collect();
        r.add_titles(|id| titles.get(id).map(|t| t.to_string()));
    }
    // Unanswered searches grouped by meaning (the most searched 500 queries are embedded).
    let grouped = meaning_groups::fill(&mut r, served.as_ref().map(|(g, c)| (g.as_path(), c)), args.limit);
    if !grouped {
        eprintln!("note: unanswered searches are not grouped by meaning: the embedding model is off or missing (run tools/fetch-model.sh)");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Contact addresses customers left are shown only in the console (/ops/insights).
    let each_question = |f: &mut dyn FnMut(QuestionRow) -> anyhow::Result<()>| {
        report::questions(&conn, from, to, tz, |mut q| {
            q.redact();
            f(q)
        })
    };
    match args.format.as_str() {
        "json" => {
            report::write_json(&r, &conn, &options, true, &mut out)?;
            writeln!(out)?;
        }
        "csv" => {
            let sections: Vec<&str> = match &args.report {
                Some(section) => vec![section.as_str()],
                None => SECTIONS.to_vec(),
            };
            for (i, section) in sections.iter().enumerate() {
                if args.report.is_none() {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    writeln!(out, "# {section}")?;
                }
                if *section == "questions" {
                    let mut csv = render::QuestionsCsv::new(&mut out)?;
                    each_question(&mut |q| csv.row(&q))?;
                    csv.finish()?;
                } else {
                    r.write_csv(section, &mut out)?;
                }
            }
        }
        _ => {
            r.write_text_figures(&mut out)?;
            render::write_text_questions_heading(&mut out, r.questions_total)?;
            each_question(&mut |q| Ok(render::write_text_question(&mut out, &q)?))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
