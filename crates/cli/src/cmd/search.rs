//! `kotae search`: search the index from the command line.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, bail};
use kotae_core::search::Snippet;
use kotae_core::{AudienceFilter, IndexRoot, SearchRequest, Snapshot};
use serde_json::json;

use super::IndexArg;

/// Search the index.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    index: IndexArg,
    /// Which pages to search: public (customers), internal (operator manual) or all.
    #[arg(long, default_value = "public")]
    audience: String,
    /// Only this category.
    #[arg(long)]
    category: Option<String>,
    /// How many hits to show.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Print one JSON object: {"total":N,"hits":[...]}.
    #[arg(long)]
    json: bool,
    /// Show, per hit, which words matched in which field, and which variants (kana, romaji,
    /// synonyms) were applied.
    #[arg(long)]
    explain: bool,
    /// The question, as a customer would type it.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let Some(audience) = AudienceFilter::parse(&args.audience) else {
        bail!("--audience must be public, internal or all, not `{}`", args.audience);
    };
    let analyzer = kotae_core::Analyzer::from_env().context("loading the Japanese dictionary")?;
    let snapshot = Snapshot::open(&IndexRoot::new(&args.index.index), &analyzer)?;
    let query = args.query.join(" ");
    let request = SearchRequest {
        query: &query,
        audience,
        category: args.category.as_deref(),
        limit: args.limit,
        offset: 0,
        explain: args.explain,
        snippets: usize::MAX,
    };
    let results = snapshot.search(&request)?;

    if args.json {
        let hits: Vec<_> = results
            .hits
            .iter()
            .map(|h| {
                json!({
                    "id": h.id,
                    "title": h.title,
                    "category": h.category,
                    "score": h.score,
                    "snippet": h.snippet.text,
                    "snippet_html": h.snippet.to_html(),
                    "section": h.section,
                    "heading": h.heading,
                    "audience": h.audience,
                    "explain": if args.explain { json!(h.explain) } else { serde_json::Value::Null },
                })
            })
            .collect();
        println!("{}", json!({ "total": results.total, "total_exact": results.total_exact, "hits": hits, "did_you_mean": results.did_you_mean, "verdict": results.verdict }));
        return Ok(ExitCode::SUCCESS);
    }

    let color = std::io::stdout().is_terminal();
    if results.hits.is_empty() {
        println!("no results for 「{query}」");
    }
    if let Some(suggestion) = &results.did_you_mean {
        println!("did you mean: {suggestion}");
    }
    let verdict = &results.verdict;
    if !verdict.answered && !results.hits.is_empty() {
        // What the help page shows instead of these hits (see docs/relevance.md, "No dead end").
        println!("not covered: the hits share only weak evidence with the question (coverage {:.2})", verdict.coverage);
    }
    if !verdict.answered && !verdict.closest.is_empty() {
        let closest: Vec<String> = verdict.closest.iter().map(|c| format!("{} ({:.3})", c.id, c.similarity)).collect();
        println!("closest in meaning: {}", closest.join(", "));
    }
    for (rank, hit) in results.hits.iter().enumerate() {
        let location = match &hit.section {
            Some(anchor) => format!("{}#{anchor}", hit.id),
            None => hit.id.clone(),
        };
        let heading = hit.heading.as_deref().map(|h| format!(" › {h}")).unwrap_or_default();
        println!(
            "{:>2}. {}{heading}  [{}] {location}  ({:.2})",
            rank + 1,
            hit.title,
            hit.category.as_deref().unwrap_or("-"),
            hit.score
        );
        println!("    {}", render(&hit.snippet, color));
        for e in &hit.explain {
            let from = e.from.as_deref().map(|f| format!(" (from {f})")).unwrap_or_default();
            println!("      {:>7.3}  {:<10} {:<14} {}{from}", e.score, e.kind, e.field, e.text);
        }
    }
    eprintln!("{}{} match(es)", results.total, if results.total_exact { "" } else { " or more" });
    Ok(ExitCode::SUCCESS)
}

/// The snippet with its highlights in bold on a terminal, or in 【】 otherwise.
fn render(snippet: &Snippet, color: bool) -> String {
    let (open, close) = if color { ("\x1b[1;33m", "\x1b[0m") } else { ("【", "】") };
    let mut out = String::new();
    let mut at = 0;
    for r in &snippet.highlights {
        out.push_str(&snippet.text[at..r.start]);
        out.push_str(open);
        out.push_str(&snippet.text[r.clone()]);
        out.push_str(close);
        at = r.end;
    }
    out.push_str(&snippet.text[at..]);
    out
}
