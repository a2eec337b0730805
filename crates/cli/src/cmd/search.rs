//! `kotae search`: search the index from the command line.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use kotae_core::search::Snippet;
use kotae_core::search::learned::{self, Evidence, Learned};
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
    /// The events database whose resolved clicks reorder public results as on the help page
    /// [default: kotae-events.sqlite3 beside the index folder, if it is there].
    #[arg(long, env = "KOTAE_EVENTS_DB")]
    events: Option<PathBuf>,
    /// The plain ranking: no learned boosts (the writers' pins still apply), as with
    /// `learned_ranking = false`.
    #[arg(long)]
    no_learned: bool,
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
    // Customers' results are reordered by what resolved their question, as on the help page.
    let learned = if audience == AudienceFilter::Public { learned(&args, &snapshot)? } else { Learned::default() };
    let knows = learned.knows(&query);
    let request = SearchRequest {
        query: &query,
        audience,
        category: args.category.as_deref(),
        limit: if knows { args.limit.max(learned::DEPTH) } else { args.limit },
        offset: 0,
        explain: args.explain,
        snippets: usize::MAX,
    };
    let mut results = snapshot.search(&request)?;
    let applied = learned.apply(&query, &mut results);
    results.hits.truncate(args.limit);

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
        let mut out = json!({ "total": results.total, "total_exact": results.total_exact, "hits": hits, "did_you_mean": results.did_you_mean, "verdict": results.verdict });
        if args.explain {
            out["learned"] = json!(applied);
            out["heard_as"] = json!(results.question.spelled);
        }
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }

    let color = std::io::stdout().is_terminal();
    if results.hits.is_empty() {
        println!("no results for 「{query}」");
    }
    if let Some(suggestion) = &results.did_you_mean {
        println!("did you mean: {suggestion}");
    }
    if args.explain && let Some(spelled) = &results.question.spelled {
        println!("heard as: {spelled}");
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
    if args.explain {
        for a in &applied {
            let place = |p: Option<usize>| p.map_or_else(|| "-".to_string(), |n| n.to_string());
            let what = if a.pinned {
                "pinned".to_string()
            } else if a.boost > 0.0 {
                format!("boost +{:.0}% of the best score", a.boost * 100.0)
            } else {
                format!("no boost (fewer than {} clients)", learned::MIN_CLIENTS)
            };
            println!(
                "learned: {}  {} client(s), evidence {:.2}: {what}; rank {} -> {}",
                a.page,
                a.clients,
                a.evidence,
                place(a.from),
                place(a.to)
            );
        }
    }
    eprintln!("{}{} match(es)", results.total, if results.total_exact { "" } else { " or more" });
    Ok(ExitCode::SUCCESS)
}

/// The writers' pins, and unless `--no-learned` (or `KOTAE_LEARNED_RANKING=false`) what the
/// events database says resolved each question.
fn learned(args: &Args, snapshot: &Snapshot) -> anyhow::Result<Learned> {
    let pages = snapshot.corpus.pages.iter().filter(|p| p.audience == kotae_core::Audience::Public);
    let pins = Arc::new(learned::pins(pages.map(|p| (p.id.as_str(), p.pinned_queries.as_slice()))));
    let off = args.no_learned
        || std::env::var("KOTAE_LEARNED_RANKING").is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "no" | "off"));
    let path = args.events.clone().unwrap_or_else(|| {
        args.index.index.parent().unwrap_or(std::path::Path::new("")).join(kotae_events::DEFAULT_FILE)
    });
    if off || !path.is_file() {
        return Ok(Learned { pins, ..Learned::default() });
    }
    let store = kotae_events::Store::open(&path)?;
    let mut evidence: HashMap<String, Vec<Evidence>> = HashMap::new();
    for s in store.signals(&kotae_events::signals::Options::new(kotae_events::now()))? {
        evidence.entry(s.query).or_default().push(Evidence { page: s.article, evidence: s.evidence, clients: s.clients });
    }
    Ok(Learned { evidence: Arc::new(evidence), pins })
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
