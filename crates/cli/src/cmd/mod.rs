//! One module per subcommand, each with its `Args` and an `execute`.

pub mod check;
pub mod eval;
pub mod events;
pub mod import;
pub mod index;
pub mod report;
pub mod search;
pub mod serve;

use std::path::PathBuf;

/// The content folder option shared by subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct ContentArg {
    /// The content folder (Markdown pages and categories.yml).
    #[arg(long, default_value = "content", env = "KOTAE_CONTENT")]
    pub content: PathBuf,
}

/// The index folder option shared by subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct IndexArg {
    /// The index folder (generations and the CURRENT pointer).
    #[arg(long, default_value = "index", env = "KOTAE_INDEX")]
    pub index: PathBuf,
}

/// Today, for review deadlines.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}
