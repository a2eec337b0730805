//! `kotae check`: validate the corpus and print every problem as `path:line: message`.
//!
//! Besides the problems of each file, it warns when two public pages ask the same question in
//! other words (see `kotae_indexer::same`): their closest questions (title or alias) are at
//! least `SAME_QUESTION` (0.985) alike by meaning, a threshold chosen on the sample corpus
//! (docs/relevance.md): none of its pages are that close, titles that only reword another
//! page's question are. Without the embedding model that look is skipped with a note.
//!
//! It also warns about external images from hosts the service's `image_hosts` does not list
//! (they are shown as links), reading the settings of `--config` or `kotae.toml`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{ContentArg, today};

/// Validate the content folder; exit status 1 if it has errors.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    content: ContentArg,
    /// The service's settings (TOML), for `image_hosts`; `kotae.toml` in the current folder is
    /// read if present.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let mut loaded = kotae_indexer::check(&args.content.content, today());
    let file = args.config.or_else(|| Some(PathBuf::from("kotae.toml")).filter(|p| p.is_file()));
    let hosts = kotae_server::Config::load(file.as_deref())?.image_hosts;
    let root = &args.content.content;
    loaded.diagnostics.extend(kotae_core::content::images::unlisted_hosts(root, &loaded.corpus.pages, &hosts));
    match kotae_indexer::same::same_question_warnings(&loaded.corpus, std::io::stderr().is_terminal()) {
        Ok(found) => {
            loaded.diagnostics.extend(found);
        }
        Err(skipped) => eprintln!("note: {skipped}"),
    }
    loaded.diagnostics.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
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
