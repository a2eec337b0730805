//! `kotae eval`: measure ranking quality on judged queries.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use kotae_core::eval::{self, Report, Variant};
use kotae_core::{AudienceFilter, IndexRoot, Snapshot};
use kotae_indexer::BuildOptions;

use super::{IndexArg, today};

/// Print MRR@10, nDCG@10, Recall@1/5/10 and the queries that failed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Queries, JSON lines {"qid": "...", "text": "..."}.
    #[arg(long, required_unless_present = "uncovered")]
    queries: Option<PathBuf>,
    /// Judgments, TSV lines: qid, doc_id and relevance, separated by tabs.
    #[arg(long, required_unless_present = "uncovered")]
    qrels: Option<PathBuf>,
    /// Questions the corpus does not answer (JSON lines, no judgments): count how many end in
    /// the honest "not covered" instead of weak results.
    #[arg(long, value_name = "QUERIES")]
    uncovered: Option<PathBuf>,
    #[command(flatten)]
    index: IndexArg,
    /// Build a fresh index of this content folder (in a temporary folder) and evaluate it
    /// instead of the one in --index.
    #[arg(long)]
    content: Option<PathBuf>,
    /// Which pages may be returned: public, internal or all.
    #[arg(long, default_value = "public")]
    audience: String,
    /// How many failed queries to list (no relevant page in the top 5).
    #[arg(long, default_value_t = 20)]
    show_failures: usize,
    /// Field weights to try, as JSON (e.g. '{"title": 4.0}'); unnamed fields keep their defaults.
    #[arg(long)]
    weights: Option<String>,
    /// Also evaluate the queries rewritten the way customers type (comma-separated, or `all`):
    /// hiragana, halfwidth, long-vowel, kana-slip, keywords, chatty.
    #[arg(long, value_name = "VARIANTS")]
    variants: Option<String>,
    /// Print the queries rewritten as one variant (JSON lines) and stop.
    #[arg(long, value_name = "VARIANT")]
    rewrite: Option<String>,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
}

/// The variants named in `--variants`.
fn parse_variants(list: &str) -> anyhow::Result<Vec<Variant>> {
    if list == "all" {
        return Ok(Variant::ALL.to_vec());
    }
    list.split(',')
        .map(|name| {
            Variant::parse(name.trim()).with_context(|| {
                let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
                format!(
                    "unknown variant `{name}`: use all or some of {}",
                    names.join(", ")
                )
            })
        })
        .collect()
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let Some(audience) = AudienceFilter::parse(&args.audience) else {
        bail!("--audience must be public, internal or all, not `{}`", args.audience);
    };
    let queries = match &args.queries {
        Some(path) => eval::read_queries(path)?,
        None => Vec::new(),
    };
    let analyzer = kotae_core::Analyzer::from_env().context("loading the Japanese dictionary")?;
    if let Some(name) = &args.rewrite {
        let [variant] = parse_variants(name)?[..] else {
            bail!("--rewrite takes one variant")
        };
        for q in &queries {
            let text = variant.apply(&analyzer, &q.qid, &q.text);
            println!(
                "{}",
                serde_json::to_string(&eval::Query {
                    qid: q.qid.clone(),
                    text
                })?
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let variants = args.variants.as_deref().map(parse_variants).transpose()?;

    let temp;
    let index_dir = match &args.content {
        Some(content) => {
            temp = tempfile::tempdir()?;
            let options = BuildOptions {
                content: content.clone(),
                index: temp.path().to_path_buf(),
                today: today(),
                progress: true,
            };
            let report = kotae_indexer::build(&options, &analyzer).map_err(|e| match e {
                kotae_indexer::BuildError::Invalid(d) => {
                    let lines: Vec<String> = d.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
                    anyhow::anyhow!("{}\nthe content has errors", lines.join("\n"))
                }
                other => anyhow::Error::new(other),
            })?;
            eprintln!("indexed {} pages in {:.2}s", report.pages, report.elapsed.as_secs_f64());
            temp.path().to_path_buf()
        }
        None => args.index.index.clone(),
    };
    let snapshot = Snapshot::open(&IndexRoot::new(&index_dir), &analyzer)?;
    let mut snapshot = snapshot;
    if let Some(weights) = &args.weights {
        snapshot = snapshot.with_weights(serde_json::from_str(weights).context("--weights")?);
    }

    if let Some(path) = &args.uncovered {
        let report = eval::evaluate_uncovered(&snapshot, &eval::read_queries(path)?, audience)?;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_uncovered(&report);
        }
        if args.queries.is_none() {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let Some(qrels) = &args.qrels else { bail!("--qrels is needed to evaluate judged queries") };
    let qrels = eval::read_qrels(qrels)?;
    if let Some(variants) = variants {
        let reports =
            eval::evaluate_variants(&snapshot, &analyzer, &queries, &qrels, audience, &variants)?;
        if args.json {
            println!("{}", serde_json::to_string(&reports)?);
        } else {
            print_variants(&reports, args.show_failures);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let started = std::time::Instant::now();
    let report = eval::evaluate(&snapshot, &queries, &qrels, audience)?;
    let elapsed = started.elapsed();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report, args.show_failures);
        eprintln!(
            "{} queries in {:.2}s ({:.2} ms/query)",
            report.metrics.queries,
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0 / report.metrics.queries.max(1) as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_variants(reports: &[eval::VariantReport], show: usize) {
    let original = reports.first().map_or(0.0, |r| r.metrics.mrr_at_10);
    println!(
        "{:<12} {:>7} {:>8} {:>8} {:>8}  {:>16}",
        "variant", "changed", "MRR@10", "Δ", "R@5", "changed: before→after"
    );
    for r in reports {
        println!(
            "{:<12} {:>7} {:>8.4} {:>+8.4} {:>8.4}  {:>7.4}→{:.4}",
            r.variant,
            r.changed,
            r.metrics.mrr_at_10,
            r.metrics.mrr_at_10 - original,
            r.metrics.recall_at_5,
            r.changed_original_mrr,
            r.changed_mrr
        );
    }
    // The queries each variant lost: ranked first as written, not in the top 3 rewritten.
    let Some(first) = reports.first() else { return };
    for r in reports.iter().skip(1).filter(|_| show > 0) {
        let lost: Vec<_> = first
            .report
            .outcomes
            .iter()
            .zip(&r.report.outcomes)
            .filter(|(o, v)| o.first_relevant == Some(1) && v.first_relevant.is_none_or(|k| k > 3))
            .take(show)
            .collect();
        if lost.is_empty() {
            continue;
        }
        println!("\n{}: lost", r.variant);
        for (_, v) in lost {
            let rank = v.first_relevant.map_or("-".to_string(), |k| k.to_string());
            println!(
                "  {} rank {rank:>2}  {}  got {}",
                v.qid,
                v.text,
                v.ranked
                    .iter()
                    .take(2)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}

fn print_report(report: &Report, show: usize) {
    let m = &report.metrics;
    println!("queries      {}", m.queries);
    println!("MRR@10       {:.4}", m.mrr_at_10);
    println!("nDCG@10      {:.4}", m.ndcg_at_10);
    println!("Recall@1     {:.4}", m.recall_at_1);
    println!("Recall@5     {:.4}", m.recall_at_5);
    println!("Recall@10    {:.4}", m.recall_at_10);
    println!("answered     {:.4}", m.answered);
    if report.unjudged > 0 {
        println!("(skipped {} queries without judgments)", report.unjudged);
    }
    let failures: Vec<_> = report.outcomes.iter().filter(|o| o.first_relevant.is_none_or(|r| r > 5)).collect();
    if failures.is_empty() {
        return;
    }
    println!("\n{} queries without a relevant page in the top 5:", failures.len());
    for o in failures.iter().take(show) {
        let rank = o.first_relevant.map_or("-".to_string(), |r| r.to_string());
        let top: Vec<&str> = o.ranked.iter().take(3).map(String::as_str).collect();
        println!("  {} rank {rank:>2}  {}  want {}  got {}", o.qid, o.text, o.relevant.join(","), top.join(", "));
    }
}

fn print_uncovered(report: &eval::UncoveredReport) {
    println!("not covered  {}/{}", report.not_covered, report.queries);
    let answered: Vec<_> = report.outcomes.iter().filter(|o| o.answered).collect();
    if !answered.is_empty() {
        println!("answered although the corpus does not cover them:");
        for o in answered {
            let similarity = o.similarity.map_or("-".to_string(), |s| format!("{s:.3}"));
            println!("  {}  {}  coverage {:.2}  similarity {similarity}  got {}", o.qid, o.text, o.coverage, o.first.as_deref().unwrap_or("-"));
        }
    }
}
