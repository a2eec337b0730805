//! A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `pg_ctl start` on
//! a free loopback port (and a Unix socket in that folder), stopped and deleted when dropped,
//! also when the test panics.
//!
//! ```no_run
//! let Some(pg) = kotae_pgtest::PgServer::start() else { return }; // skipped: not installed
//! let url = pg.create_database("kotae");
//! // … connect to `url` (postgres://postgres@127.0.0.1:PORT/kotae) …
//! ```
//!
//! - The binaries come from `KOTAE_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`
//!   (Debian's `postgresql` package).
//! - PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
//!   `postgres` user (`runuser -u postgres --`) and the folder is handed to that user.
//! - Without PostgreSQL, [`PgServer::start`] prints why and returns `None` (the test skips),
//!   unless `KOTAE_REQUIRE_PG=1` (CI), where it panics.
//! - `fsync` is off (tests do not survive power cuts); [`PgServer::start_with`] sets other
//!   server settings (`-c name=value`).

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running (or stopped) PostgreSQL server in a temporary folder.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    settings: Vec<String>,
    /// Run the binaries as `postgres` (the tests run as root).
    as_postgres: bool,
    running: bool,
}

/// The folder of PostgreSQL's server binaries, if installed.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KOTAE_PG_BIN").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn check(what: &str, out: std::io::Result<Output>) -> Output {
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl PgServer {
    /// Start a fresh server, or `None` when PostgreSQL is not installed (see the module doc).
    pub fn start() -> Option<PgServer> {
        Self::start_with(&[])
    }

    /// Like [`PgServer::start`], with server settings (`"max_connections=50"`, …).
    pub fn start_with(settings: &[&str]) -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            let required = std::env::var("KOTAE_REQUIRE_PG").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "KOTAE_REQUIRE_PG=1 but PostgreSQL is not installed (apt-get install postgresql, or set KOTAE_PG_BIN)"
            );
            eprintln!(
                "skipped: PostgreSQL is not installed (apt-get install postgresql, or set KOTAE_PG_BIN)"
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("kotae-pg-")
            .tempdir()
            .expect("a temporary folder");
        let as_postgres = running_as_root();
        if as_postgres {
            check(
                "chown the PostgreSQL folder",
                Command::new("chown")
                    .arg("postgres:")
                    .arg(dir.path())
                    .output(),
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut all = vec!["fsync=off".to_string()];
        all.extend(settings.iter().map(|s| s.to_string()));
        let mut server = PgServer {
            dir,
            bin,
            port,
            settings: all,
            as_postgres,
            running: false,
        };
        let data = server.data_dir();
        server.run_tool("initdb", |c| {
            c.arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-N",
            ]);
        });
        server.resume();
        Some(server)
    }

    /// The data folder (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The folder of the Unix socket (and the server log, `server.log`).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The loopback TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder of the server binaries (`pg_dump`, `pg_restore`, `psql`'s siblings).
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// The URL of database `db` (superuser `postgres`, no password).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Create database `db`; returns its URL.
    pub fn create_database(&self, db: &str) -> String {
        let port = self.port.to_string();
        self.run_tool("createdb", |c| {
            c.args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", db]);
        });
        self.url(db)
    }

    /// Run one of the server's binaries (as `postgres` when the tests run as root), with the
    /// arguments `args` adds; panics with its output unless it succeeds.
    pub fn run_tool(&self, tool: &str, args: impl FnOnce(&mut Command)) -> Output {
        let mut c = self.command(tool);
        args(&mut c);
        check(tool, c.output())
    }

    /// A command running one of the server's binaries, as `postgres` when the tests run as
    /// root.
    pub fn command(&self, tool: &str) -> Command {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            c
        } else {
            Command::new(self.bin.join(tool))
        };
        // runuser keeps the working folder, which `postgres` may not be allowed to read.
        c.current_dir(self.dir.path());
        c
    }

    /// Stop the server (fast shutdown: clients are disconnected); the data stays.
    pub fn stop(&mut self) {
        let data = self.data_dir();
        self.run_tool("pg_ctl", |c| {
            c.arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"]);
        });
        self.running = false;
    }

    /// Start the server again on the same data and port (after [`PgServer::stop`]).
    pub fn resume(&mut self) {
        let data = self.data_dir();
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        for s in &self.settings {
            options.push_str(&format!(" -c {s}"));
        }
        let log = self.dir.path().join("server.log");
        self.run_tool("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]);
        });
        self.running = true;
    }

    /// Whether the server is running (as far as this guard knows).
    pub fn is_running(&self) -> bool {
        self.running
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if !self.running {
            return;
        }
        // Immediate: the data is thrown away anyway. If pg_ctl cannot stop it, kill it. No
        // panic here: this may run while a test panics.
        let data = self.data_dir();
        let stopped = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        if !stopped.is_ok_and(|o| o.status.success())
            && let Ok(pid) = std::fs::read_to_string(data.join("postmaster.pid"))
            && let Some(pid) = pid.lines().next()
        {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
        }
    }
}
