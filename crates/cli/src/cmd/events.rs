//! `kotae events migrate --to postgres://…`: copy the events of the SQLite file into
//! PostgreSQL, to move a service onto a shared database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::IndexArg;

/// The events database.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Copy every event (searches, clicks, views, votes, hand-overs, questions) from the SQLite
    /// events file into a PostgreSQL database, which must hold no events yet; its tables are
    /// created. Stop `kotae serve` first, or the events it records meanwhile stay in the file.
    Migrate(MigrateArgs),
}

#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// The PostgreSQL database to copy into (postgres://user:password@host:port/db).
    #[arg(long, env = "KOTAE_EVENTS_URL", hide_env_values = true)]
    to: String,
    /// The SQLite events file [default: kotae-events.sqlite3 beside the index folder].
    #[arg(long, env = "KOTAE_EVENTS_DB")]
    events: Option<PathBuf>,
    #[command(flatten)]
    index: IndexArg,
}

pub fn execute(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate(args) => migrate(args),
    }
}

fn migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let path = args.events.clone().unwrap_or_else(|| {
        args.index
            .index
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(kotae_events::DEFAULT_FILE)
    });
    anyhow::ensure!(
        path.is_file(),
        "no events database at {} (pass --events)",
        path.display()
    );
    // Brings an older file to the current schema first, so that both have the same columns.
    drop(kotae_events::Store::open(&path)?);
    let conn = kotae_events::connect(&path)?;
    let target = kotae_events::PgStore::connect(&args.to)?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .context("the progress bar's template")?,
    );
    let copied = target
        .copy_from_sqlite(&conn, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .with_context(|| {
            format!(
                "copying {} into PostgreSQL {}",
                path.display(),
                target.target()
            )
        })?;
    bar.finish_and_clear();
    println!(
        "copied {copied} rows from {} into PostgreSQL {}",
        path.display(),
        target.target()
    );
    Ok(ExitCode::SUCCESS)
}
