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
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let analyzer = kotae_core::Analyzer::from_env().context("loading the Japanese dictionary")?;
    let options = BuildOptions {
        content: args.content.content,
        index: args.index.index,
        today: today(),
        progress: !args.quiet,
    };
    match kotae_indexer::build(&options, &analyzer) {
        Ok(report) => {
            for w in &report.warnings {
                eprintln!("{w}");
            }
            eprintln!(
                "indexed {} pages ({} documents) in {:.2}s into {}",
                report.pages,
                report.documents,
                report.elapsed.as_secs_f64(),
                report.generation.display()
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
        Err(e) => Err(anyhow::Error::new(e).context("the index was not changed")),
    }
}
