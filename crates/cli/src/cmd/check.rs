//! `kotae check`: validate the corpus and print every problem as `path:line: message`.

use std::process::ExitCode;

use super::{ContentArg, today};

/// Validate the content folder; exit status 1 if it has errors.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    content: ContentArg,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let loaded = kotae_indexer::check(&args.content.content, today());
    for d in &loaded.diagnostics {
        println!("{d}");
    }
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = loaded.diagnostics.len() - errors;
    eprintln!(
        "checked {} pages in {}: {errors} error(s), {warnings} warning(s)",
        loaded.corpus.pages.len(),
        args.content.content.display()
    );
    Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
