//! `kotae check`: validate the corpus and print every problem as `path:line: message`.
//!
//! Besides the problems of each file, it warns when two public pages ask the same question in
//! other words (see `kotae_indexer::same`): their closest questions (title or alias) are at
//! least `SAME_QUESTION` (0.985) alike by meaning, a threshold chosen on the sample corpus
//! (docs/relevance.md): none of its pages are that close, titles that only reword another
//! page's question are. Without the embedding model that look is skipped with a note.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::{ContentArg, today};

/// Validate the content folder; exit status 1 if it has errors.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    content: ContentArg,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let mut loaded = kotae_indexer::check(&args.content.content, today());
    match kotae_indexer::same::same_question_warnings(&loaded.corpus, std::io::stderr().is_terminal()) {
        Ok(found) => {
            loaded.diagnostics.extend(found);
            loaded.diagnostics.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        }
        Err(skipped) => eprintln!("note: {skipped}"),
    }
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
