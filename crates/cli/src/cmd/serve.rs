//! `kotae serve`: run the help page, console and API.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kotae_core::IndexRoot;
use kotae_indexer::BuildOptions;
use kotae_server::reload::AtStart;
use kotae_server::Config;

use super::today;

/// Serve the index over HTTP (builds it from the content folder first if there is none).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Settings file (TOML); `kotae.toml` in the current folder is read if present.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The index folder [default: index].
    #[arg(long)]
    index: Option<PathBuf>,
    /// The content folder, used when there is no index yet [default: content].
    #[arg(long)]
    content: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    addr: Option<String>,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let file = args.config.or_else(|| Some(PathBuf::from("kotae.toml")).filter(|p| p.is_file()));
    let mut config = Config::load(file.as_deref())?;
    if let Some(index) = args.index {
        config.index = index;
    }
    if let Some(content) = args.content {
        config.content = content;
    }
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    if config.operators.is_empty() {
        let token = kotae_server::state::random_token();
        eprintln!(
            "no operators configured (KOTAE_OPERATORS or [operators] in kotae.toml): for this run, \
             log in to /ops as `admin` with the token {token}"
        );
        config.operators.insert("admin".into(), token);
    }
    let analyzer = kotae_core::Analyzer::from_env().context("loading the Japanese dictionary")?;

    // The generation CURRENT names is opened and verified; if it is damaged, the previous one
    // is served instead, and when none opens the index is rebuilt from the content.
    let root = IndexRoot::new(&config.index);
    let why = match kotae_server::reload::recover_at_start(&root, &analyzer) {
        AtStart::Ready(_) | AtStart::RolledBack { .. } => None,
        AtStart::Missing => Some("no index".to_string()),
        AtStart::OtherFormat => Some("an index from another version of kotae".to_string()),
        AtStart::Damaged(e) => Some(format!("a damaged index ({e}) and no previous generation that opens")),
    };
    if let Some(why) = why {
        eprintln!("{why} at {}: building it from {}", config.index.display(), config.content.display());
        let options = BuildOptions { content: config.content.clone(), index: config.index.clone(), today: today(), progress: true };
        let failed = |what: String| {
            format!(
                "{what}; the index at {} could not be built from {}: fix that and run `kotae index --index {}`",
                config.index.display(),
                config.content.display(),
                config.index.display()
            )
        };
        match kotae_indexer::build(&options, &analyzer) {
            Ok(report) => eprintln!("indexed {} pages in {:.2}s", report.pages, report.elapsed.as_secs_f64()),
            Err(kotae_indexer::BuildError::Invalid(diagnostics)) => {
                for d in diagnostics.iter().filter(|d| d.is_error()) {
                    eprintln!("{d}");
                }
                anyhow::bail!(failed("the content has errors".into()));
            }
            Err(e) => return Err(anyhow::Error::new(e).context(failed(why))),
        }
    }

    // Lexical searches run on the async workers, one per core (see `searching` in the server's
    // `state.rs`). Searches that may embed their question run on the blocking pool and are
    // CPU-bound: more threads than two per core add no throughput, and the searches they
    // share the cores between all finish late; past them, searches wait their turn in order
    // (wiki-qa's long questions at 32 connections on 2 cores, `tests/load/http_cpu.sh`, 3
    // interleaved runs: 4 threads p99 17.5–18.2 ms, 8 threads 24.6–25.0 ms). Each thread also
    // keeps its own allocator heap and analyzer buffers (tokio's default allows 512).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread().max_blocking_threads((2 * cores).max(4)).enable_all().build()?;
    runtime.block_on(kotae_server::run(config, analyzer))?;
    Ok(ExitCode::SUCCESS)
}
