//! `kotae import`: turn FAQ records exported from another tool into Markdown pages.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use kotae_import::{self as import, Format, ImportOptions};

/// Import records (JSON lines or CSV) as pages of a content folder; exit status 1 if any
/// record was bad (the others are still written).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The records file: JSON lines, or CSV with a header row. Fields: id, title, body and
    /// optionally category, tags, aliases (lists; `|`-separated in CSV) and audience.
    file: PathBuf,
    /// The file's format; by default taken from its extension (.jsonl, .ndjson, .csv).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The content folder to write the pages (`<id>.md`) and categories.yml into.
    #[arg(long)]
    out: PathBuf,
    /// Replace pages that already exist instead of refusing to.
    #[arg(long)]
    overwrite: bool,
}

/// The formats `--format` accepts.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Jsonl,
    Csv,
}

pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let format = match args.format {
        Some(FormatArg::Jsonl) => Format::Jsonl,
        Some(FormatArg::Csv) => Format::Csv,
        None => match Format::from_path(&args.file) {
            Some(f) => f,
            None => bail!("cannot tell the format of {} from its name: add --format jsonl or --format csv", args.file.display()),
        },
    };
    let options = ImportOptions { source: args.file.clone(), format, out: args.out.clone(), overwrite: args.overwrite };
    let report = import::import(&options).with_context(|| format!("importing {}", args.file.display()))?;

    for d in &report.diagnostics {
        eprintln!("{d}");
    }
    for r in &report.renames {
        eprintln!("{}:{}: note: id `{}` is not a usable page id: written as `{}`", args.file.display(), r.line, printable(&r.from), r.to);
    }
    for r in &report.category_renames {
        eprintln!(
            "{}:{}: note: category `{}` is not a usable category id: written as `{}` (its name in categories.yml is the text as written)",
            args.file.display(),
            r.line,
            printable(&r.from),
            r.to
        );
    }
    if !report.categories_added.is_empty() {
        let how = if report.categories_created { "created" } else { "added to" };
        eprintln!(
            "{how} {}: {}",
            args.out.join(kotae_core::content::CATEGORIES_FILE).display(),
            report.categories_added.join(", ")
        );
    }
    eprintln!(
        "imported {} into {}: {} record(s) read, {} written, {} skipped; {} id(s) and {} category id(s) rewritten",
        args.file.display(),
        args.out.display(),
        report.read,
        report.written,
        report.skipped,
        report.renames.len(),
        report.category_renames.len()
    );
    Ok(if report.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Text from a records file as it can be printed: control characters (which would move the
/// cursor or retitle the terminal) shown as `�`.
fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
}
