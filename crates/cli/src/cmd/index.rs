//! `kotae index`: check, then build a new index generation and publish it atomically.

use std::process::ExitCode;

use anyhow::Context;
use kotae_indexer::{BuildError, BuildOptions};

use super::{ContentArg, IndexArg, today};

/// Check the content, then build the index; on any error the old index keeps serving.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    content: ContentArg,
    #[command(flatten)]
    index: IndexArg,
    /// Do not draw a progress bar.
    #[arg(long)]
    quiet: bool,
    /// Keep running, and rebuild whenever a file under the content folder changes.
    #[arg(long)]
    watch: bool,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let analyzer = kotae_core::Analyzer::from_env().context("loading the Japanese dictionary")?;
    let options = BuildOptions {
        content: args.content.content,
        index: args.index.index,
        today: today(),
        progress: !args.quiet,
    };
    if args.watch {
        return watch(&options, &analyzer);
    }
    build_once(&options, &analyzer, None)
}

/// Rebuild on every change under the content folder, until interrupted. Changes arriving
/// within a short quiet period are built together; a broken file is reported and the served
/// index stays as it was.
fn watch(options: &BuildOptions, analyzer: &kotae_core::Analyzer) -> anyhow::Result<ExitCode> {
    use notify::{RecursiveMode, Watcher};
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
        {
            let _ = tx.send(());
        }
    })?;
    watcher
        .watch(&options.content, RecursiveMode::Recursive)
        .with_context(|| format!("watching {}", options.content.display()))?;
    // Warnings already printed: an unchanged one is not printed again on every rebuild.
    let mut shown = std::collections::HashSet::new();
    let _ = build_once(options, analyzer, Some(&mut shown));
    eprintln!("watching {} for changes (Ctrl-C to stop)", options.content.display());
    while rx.recv().is_ok() {
        // Let a burst of saves settle.
        while rx.recv_timeout(std::time::Duration::from_millis(300)).is_ok() {}
        let _ = build_once(options, analyzer, Some(&mut shown));
    }
    Ok(ExitCode::SUCCESS)
}

/// Build once. With `shown` (watch mode), warnings printed by the previous build are not
/// printed again; a warning that goes away and comes back is.
fn build_once(
    options: &BuildOptions,
    analyzer: &kotae_core::Analyzer,
    shown: Option<&mut std::collections::HashSet<String>>,
) -> anyhow::Result<ExitCode> {
    match kotae_indexer::build(options, analyzer) {
        Ok(report) => {
            let warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
            let mut unchanged = 0;
            for w in &warnings {
                if shown.as_deref().is_some_and(|s| s.contains(w)) {
                    unchanged += 1;
                } else {
                    eprintln!("{w}");
                }
            }
            if unchanged > 0 {
                eprintln!("({unchanged} unchanged warning(s) not repeated)");
            }
            if let Some(shown) = shown {
                *shown = warnings.into_iter().collect();
            }
            eprintln!(
                "indexed {} pages ({} documents) in {:.2}s into {} (source hash {})",
                report.pages,
                report.documents,
                report.elapsed.as_secs_f64(),
                report.generation.display(),
                report.source_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(BuildError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("error: the content has {errors} error(s); the index was not changed");
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("error: {e}; the index was not changed");
            Ok(ExitCode::from(2))
        }
    }
}
