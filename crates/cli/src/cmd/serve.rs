//! `kotae serve`: run the help page, console and API.

use std::process::ExitCode;

use super::IndexArg;

/// Serve the index over HTTP.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    index: IndexArg,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "the service is not built yet (would serve {} on {})",
        args.index.index.display(),
        args.addr
    )
}
