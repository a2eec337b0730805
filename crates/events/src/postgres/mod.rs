//! The PostgreSQL backend: one database shared by several `kotae serve` replicas.
//!
//! - A pool of connections ([`deadpool_postgres`] over [`tokio_postgres`]) driven by a small
//!   runtime of the store's own, so callers stay synchronous, as with SQLite (the service
//!   calls the store from `spawn_blocking` threads). A connection lost when the server went
//!   away is replaced at the next checkout: everything resumes when the database returns.
//! - Every wait is bounded ([`TIMEOUT`]): with the database down a vote fails in seconds (the
//!   service answers 503) instead of hanging.
//! - Versioned migrations ([`PG_MIGRATIONS`], table `schema_migrations`), applied at open
//!   under `pg_advisory_lock`, so that replicas starting together do not race.
//! - Batches are written with one `INSERT … SELECT FROM UNNEST(arrays)` per table: one round
//!   trip for up to [`crate::BATCH`] rows.
//!
//! `rows.rs` describes the three tables and turns events into rows; `copy.rs` copies rows
//! between the stores (a report's range into SQLite, a SQLite file into PostgreSQL).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::{Event, Question, Vote, now};

mod copy;
mod rows;

use rows::{TABLES, insert_events};

/// The PostgreSQL migrations, applied in order; the version of each is its position.
pub const PG_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/postgres/0001_init.sql")),
    ("0002_revoked_sessions", include_str!("../../migrations/postgres/0002_revoked_sessions.sql")),
    ("0003_learning", include_str!("../../migrations/postgres/0003_learning.sql")),
];

/// The advisory lock key migrations hold ("kotae" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b_6f74_6165;
/// The longest wait for a connection, a new connection or one statement.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The events database on PostgreSQL. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    /// Where, without the password (for logs).
    target: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids on an async thread: let it go.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl PgStore {
    /// Connect to the database at `url` (`postgres://user:password@host:port/db`, or any
    /// connection string tokio-postgres reads) and apply the migrations it lacks.
    pub fn connect(url: &str) -> anyhow::Result<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("events_url: not a PostgreSQL connection string: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(TIMEOUT);
        }
        config.application_name("kotae");
        let target = format!(
            "{:?}/{}",
            config.get_hosts().first().map(|h| match h {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            }),
            config.get_dbname().unwrap_or("")
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kotae-postgres")
            .enable_all()
            .build()
            .context("starting the PostgreSQL client runtime")?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(TIMEOUT))
            .create_timeout(Some(TIMEOUT))
            .recycle_timeout(Some(TIMEOUT))
            .build()
            .context("creating the PostgreSQL pool")?;
        let store = PgStore {
            inner: Arc::new(Inner {
                pool,
                runtime: Some(runtime),
                target,
            }),
        };
        store.migrate().with_context(|| {
            format!(
                "opening the events database on PostgreSQL {}",
                store.inner.target
            )
        })?;
        Ok(store)
    }

    /// Where the database is, without the password.
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// Run `f` with a pooled connection on the store's runtime and wait for it; the whole
    /// call is bounded by `limit`.
    fn run<T, F>(
        &self,
        limit: Duration,
        f: impl FnOnce(deadpool_postgres::Object) -> F + Send + 'static,
    ) -> anyhow::Result<T>
    where
        F: Future<Output = anyhow::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.inner.pool.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let rt = self
            .inner
            .runtime
            .as_ref()
            .context("the PostgreSQL client runtime has stopped")?;
        rt.spawn(async move {
            let work = async move {
                let client = pool
                    .get()
                    .await
                    .map_err(|e| anyhow::anyhow!("no connection to PostgreSQL: {e}"))?;
                f(client).await
            };
            let result = match tokio::time::timeout(limit, work).await {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!(
                    "PostgreSQL did not answer within {} s",
                    limit.as_secs()
                )),
            };
            let _ = tx.send(result);
        });
        rx.recv()
            .map_err(|_| anyhow::anyhow!("the PostgreSQL task stopped"))?
    }

    fn migrate(&self) -> anyhow::Result<usize> {
        // Another replica may hold the lock for its migrations: wait longer than a statement.
        self.run(Duration::from_secs(120), |mut client| async move {
            client
                .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
                .await?;
            let result = apply_migrations(&mut client).await;
            let unlocked = client
                .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
                .await;
            let version = result?;
            unlocked?;
            Ok(version)
        })
    }

    /// Write events in one committed transaction.
    pub fn record_all(&self, events: &[Event]) -> anyhow::Result<()> {
        let events = events.to_vec();
        self.run(TIMEOUT * 2, move |mut client| async move {
            insert_events(&mut client, &events).await
        })
    }

    /// Write a vote; committed when this returns.
    pub fn record_vote(&self, vote: Vote) -> anyhow::Result<()> {
        self.record_all(&[Event::Vote(vote)])
    }

    /// Write a question; committed when this returns. Returns its row id.
    pub fn record_question(&self, q: &Question) -> anyhow::Result<i64> {
        let q = q.clone();
        self.run(TIMEOUT, move |client| async move {
            let row = client
                .query_one(
                    "INSERT INTO questions (ts, session, search_id, article, query, question, contact) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[&q.ts, &q.session, &q.search_id, &q.article, &q.query, &q.question, &q.contact],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    /// Delete everything older than `days` days before `now`; 0 days deletes nothing.
    pub fn purge(&self, days: u32, now: i64) -> anyhow::Result<usize> {
        if days == 0 {
            return Ok(0);
        }
        let cutoff = now - i64::from(days) * 86_400;
        self.run(Duration::from_secs(600), move |mut client| async move {
            let tx = client.transaction().await?;
            let mut n = 0;
            for table in TABLES {
                n += tx
                    .execute(
                        &format!("DELETE FROM {} WHERE ts < $1", table.name),
                        &[&cutoff],
                    )
                    .await?;
            }
            tx.commit().await?;
            Ok(n as usize)
        })
    }

    /// Views, helpful and unhelpful votes per article since `since`.
    pub fn popularity(&self, since: i64) -> anyhow::Result<Vec<(String, u64, u64, u64)>> {
        self.run(TIMEOUT * 2, move |client| async move {
            let rows = client
                .query(
                    "SELECT article, COUNT(*) FILTER (WHERE kind = 'view'), COUNT(*) FILTER (WHERE kind = 'vote' AND helpful = 1),
                            COUNT(*) FILTER (WHERE kind = 'vote' AND helpful = 0)
                     FROM events WHERE ts >= $1 AND article IS NOT NULL AND kind IN ('view', 'vote') GROUP BY article",
                    &[&since],
                )
                .await?;
            let n = |r: &tokio_postgres::Row, i: usize| r.get::<_, i64>(i).max(0) as u64;
            Ok(rows.iter().map(|r| (r.get(0), n(r, 1), n(r, 2), n(r, 3))).collect())
        })
    }

    /// The key clients are hashed with, made once per database: the first replica to ask
    /// inserts one, and every replica reads the one that won ([`crate::signals`]).
    pub fn client_key(&self) -> anyhow::Result<String> {
        let fresh = crate::signals::random_key();
        self.run(TIMEOUT, move |client| async move {
            client
                .execute(&crate::signals::pg(crate::signals::INSERT_KEY), &[&fresh])
                .await?;
            Ok(client
                .query_one(crate::signals::SELECT_KEY, &[])
                .await?
                .get(0))
        })
    }

    /// Per query and page, the evidence that the page resolved the query
    /// ([`crate::signals`]: the same query as on SQLite, weighed by the same code).
    pub fn signals(
        &self,
        o: &crate::signals::Options,
    ) -> anyhow::Result<Vec<crate::signals::Signal>> {
        let (since, window) = (o.since(), o.return_window);
        let rows = self.run(Duration::from_secs(120), move |client| async move {
            let rows = client
                .query(
                    &crate::signals::pg(crate::signals::ACTIONS),
                    &[&since, &window],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| crate::signals::Action {
                    kind: r.get(0),
                    ts: r.get(1),
                    client: r.get(2),
                    article: r.get(3),
                    rank: r.get(4),
                    helpful: r.get(5),
                    query: r.get(6),
                    returned: r.get(7),
                })
                .collect::<Vec<_>>())
        })?;
        Ok(crate::signals::weigh(rows, o))
    }

    /// The session a search was made in, if it is known.
    pub fn search_session(&self, search_id: &str) -> anyhow::Result<Option<String>> {
        let id = search_id.to_string();
        self.run(TIMEOUT, move |client| async move {
            let row = client
                .query_opt("SELECT session FROM searches WHERE id = $1", &[&id])
                .await?;
            Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
        })
    }

    /// Record that the console session `id` was logged out, refused until `until` (its expiry);
    /// committed when this returns. Expired revocations are deleted on the way.
    pub fn revoke_session(&self, id: &str, until: i64) -> anyhow::Result<()> {
        let id = id.to_string();
        self.run(TIMEOUT, move |mut client| async move {
            let tx = client.transaction().await?;
            tx.execute("DELETE FROM revoked_sessions WHERE until <= $1", &[&now()]).await?;
            tx.execute(
                "INSERT INTO revoked_sessions (id, until) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET until = GREATEST(revoked_sessions.until, excluded.until)",
                &[&id, &until],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether the console session `id` was logged out (and its revocation still runs at `now`).
    pub fn is_revoked(&self, id: &str, now: i64) -> anyhow::Result<bool> {
        let id = id.to_string();
        self.run(TIMEOUT, move |client| async move {
            Ok(client.query_opt("SELECT 1 FROM revoked_sessions WHERE id = $1 AND until > $2", &[&id, &now]).await?.is_some())
        })
    }

    /// Whether the database answers (for the readiness check).
    pub fn ping(&self) -> anyhow::Result<()> {
        self.run(TIMEOUT, move |client| async move {
            client.query_one("SELECT 1", &[]).await?;
            Ok(())
        })
    }

    /// How many rows a table holds, with an optional SQL `filter` (tests, health checks).
    pub fn count(&self, table: &str, filter: &str) -> anyhow::Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {table}{}",
            if filter.is_empty() {
                String::new()
            } else {
                format!(" WHERE {filter}")
            }
        );
        self.run(TIMEOUT, move |client| async move {
            Ok(client.query_one(&sql, &[]).await?.get(0))
        })
    }

    /// The writer's side of the store: batches are kept and retried while PostgreSQL is away.
    pub(crate) fn sink(&self) -> PgSink {
        PgSink {
            store: self.clone(),
        }
    }
}

async fn apply_migrations(client: &mut tokio_postgres::Client) -> anyhow::Result<usize> {
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        .await?;
    let current: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let current = current as usize;
    anyhow::ensure!(
        current <= PG_MIGRATIONS.len(),
        "the PostgreSQL events database is at schema version {current}, newer than this kotae ({}); upgrade kotae",
        PG_MIGRATIONS.len()
    );
    for (i, (name, sql)) in PG_MIGRATIONS.iter().enumerate().skip(current) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("applying migration {name}"))?;
        let version = i as i32 + 1;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&version, name, &now()],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(migration = name, "PostgreSQL events database migrated");
    }
    Ok(PG_MIGRATIONS.len())
}

/// The writer's connection to PostgreSQL.
pub(crate) struct PgSink {
    store: PgStore,
}

impl crate::writer::Sink for PgSink {
    fn write(&mut self, batch: &[Event]) -> anyhow::Result<()> {
        self.store.record_all(batch)
    }

    fn retries(&self) -> bool {
        true
    }
}
