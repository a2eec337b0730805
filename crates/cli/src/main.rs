//! The `kotae` command: check and index a Markdown FAQ corpus, search it, serve it.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: a search allocates many small, short-lived
/// strings and vectors, and glibc's malloc and free were a fifth of its CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    #[command(subcommand)]
    Events(cmd::events::Command),
    HashPassword(HashPasswordArgs),
    Import(cmd::import::Args),
    Index(cmd::index::Args),
    Report(cmd::report::Args),
    Search(cmd::search::Args),
    Serve(cmd::serve::Args),
}

/// Hash an operator's password (read from standard input) for `[operators]` or
/// KOTAE_OPERATORS, e.g. `printf '%s' "$PASSWORD" | kotae hash-password`.
#[derive(clap::Args)]
struct HashPasswordArgs {}

/// Print the argon2id PHC string of the first line of standard input.
fn hash_password() -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("password (shown as typed; or pipe it in): ");
    }
    let password = read_password(std::io::stdin().lock())?;
    println!("{}", kotae_server::auth::hash_password(&password)?);
    Ok(ExitCode::SUCCESS)
}

/// The first line of `input`, without its line ending; at least 12 characters.
fn read_password(mut input: impl std::io::BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    anyhow::ensure!(password.chars().count() >= 12, "the password must be at least 12 characters long");
    Ok(password.to_string())
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("KOTAE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Structured logs: human-readable by default, JSON lines with KOTAE_LOG_FORMAT=json.
    // A log line that cannot be written (standard error closed) is lost; reporting that on
    // standard error too would panic the service.
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).log_internal_errors(false);
    if std::env::var("KOTAE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let result = match cli.command {
        Command::Check(args) => cmd::check::execute(args),
        Command::Eval(args) => cmd::eval::execute(args),
        Command::Events(command) => cmd::events::execute(command),
        Command::HashPassword(_) => hash_password(),
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
            if let Some(hint) = hint(&err) {
                eprintln!("{hint}");
            }
            ExitCode::from(2)
        }
    }
}

/// `kotae search … | head` closes standard output early: `println!` then panics with "failed
/// printing to stdout: Broken pipe". That is the reader's choice, not a fault: stop quietly with
/// the status a shell gives a process ended by SIGPIPE (141), as other Unix tools do.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info)
    }));
}

/// What to do about an error, when the error alone does not say it: a damaged index folder is
/// fixed by building a new generation.
fn hint(err: &anyhow::Error) -> Option<String> {
    use std::path::Path;
    // The index folder a path inside it belongs to: the parent of `CURRENT` or of a generation.
    fn index_root(path: &Path) -> Option<&Path> {
        if path.file_name().is_some_and(|n| n == kotae_core::index::layout::CURRENT) {
            return path.parent();
        }
        path.ancestors()
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(kotae_core::index::layout::GENERATION_PREFIX))
            })
            .and_then(Path::parent)
    }
    err.chain().find_map(|cause| match cause.downcast_ref::<kotae_core::Error>()? {
        kotae_core::Error::BadIndex { path, .. } | kotae_core::Error::Io { path, .. } => {
            let root = index_root(path)?;
            Some(format!(
                "hint: the index at {root} is damaged or incomplete; rebuild it with \
                 `kotae index --index {root}` (it builds a new generation from the content folder \
                 and switches to it), then start again",
                root = root.display()
            ))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_password_reads_one_line_and_its_hash_verifies() {
        let password = super::read_password("パスワードは十二文字以上です\r\nnext line".as_bytes()).unwrap();
        assert_eq!(password, "パスワードは十二文字以上です");
        assert!(super::read_password("short\n".as_bytes()).is_err());
        assert!(super::read_password("".as_bytes()).is_err());
        let hash = kotae_server::auth::hash_password(&password).unwrap();
        let ops = [("sato".to_string(), hash)].into();
        assert_eq!(kotae_server::auth::check_login(&ops, "sato", &password).as_deref(), Some("sato"));
    }
}
