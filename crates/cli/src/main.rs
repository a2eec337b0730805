//! The `kotae` command: check and index a Markdown FAQ corpus, search it, serve it.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Kotae (答え): Japanese FAQ search for help centers and contact centers.
#[derive(Parser)]
#[command(name = "kotae", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(cmd::check::Args),
    Eval(cmd::eval::Args),
    Import(cmd::import::Args),
    Index(cmd::index::Args),
    Report(cmd::report::Args),
    Search(cmd::search::Args),
    Serve(cmd::serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("KOTAE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Structured logs: human-readable by default, JSON lines with KOTAE_LOG_FORMAT=json.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("KOTAE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let result = match cli.command {
        Command::Check(args) => cmd::check::execute(args),
        Command::Eval(args) => cmd::eval::execute(args),
        Command::Import(args) => cmd::import::execute(args),
        Command::Index(args) => cmd::index::execute(args),
        Command::Report(args) => cmd::report::execute(args),
        Command::Search(args) => cmd::search::execute(args),
        Command::Serve(args) => cmd::serve::execute(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
