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

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rusqlite::types::Value;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use crate::{Event, Question, Vote, now};

/// The PostgreSQL migrations, applied in order; the version of each is its position.
pub const PG_MIGRATIONS: &[(&str, &str)] = &[(
    "0001_init",
    include_str!("../migrations/postgres/0001_init.sql"),
)];

/// The advisory lock key migrations hold ("kotae" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b_6f74_6165;
/// The longest wait for a connection, a new connection or one statement.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Rows per round trip when copying a table (reports, `kotae events migrate`).
const CHUNK: usize = 5_000;

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Text,
    Int,
}

/// A table as both stores hold it; `cols[0]` is the key rows are read in order of.
struct Table {
    name: &'static str,
    cols: &'static [(&'static str, Ty)],
    /// Whether the key is a number PostgreSQL assigns (left out when recording).
    identity: bool,
}

use Ty::{Int, Text};

const SEARCHES: Table = Table {
    name: "searches",
    cols: &[
        ("id", Text),
        ("ts", Int),
        ("session", Text),
        ("prev", Text),
        ("query", Text),
        ("normalized", Text),
        ("source", Text),
        ("audience", Text),
        ("hits", Int),
        ("top_ids", Text),
        ("latency_ms", Int),
    ],
    identity: false,
};
const EVENTS: Table = Table {
    name: "events",
    cols: &[
        ("id", Int),
        ("ts", Int),
        ("kind", Text),
        ("session", Text),
        ("search_id", Text),
        ("article", Text),
        ("rank", Int),
        ("helpful", Int),
        ("comment", Text),
        ("query", Text),
        ("channel", Text),
        ("action", Text),
        ("reason", Text),
    ],
    identity: true,
};
const QUESTIONS: Table = Table {
    name: "questions",
    cols: &[
        ("id", Int),
        ("ts", Int),
        ("session", Text),
        ("search_id", Text),
        ("article", Text),
        ("query", Text),
        ("question", Text),
        ("contact", Text),
    ],
    identity: true,
};
const TABLES: [&Table; 3] = [&SEARCHES, &EVENTS, &QUESTIONS];

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

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Null => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Text(s) => s.trim().parse().ok(),
        Value::Real(f) => Some(*f as i64),
        _ => None,
    }
}

fn opt_text(s: &Option<String>) -> Value {
    s.clone().map_or(Value::Null, Value::Text)
}

/// An event as a row of its table (searches, or events without the id PostgreSQL assigns).
fn event_row(e: &Event) -> (&'static Table, Vec<Value>) {
    let t = |s: &str| Value::Text(s.to_string());
    let n = Value::Null;
    let ev =
        |ts: i64, kind: &str, session: &Option<String>, sid: &Option<String>, rest: [Value; 8]| {
            let mut row = vec![
                Value::Integer(ts),
                t(kind),
                opt_text(session),
                opt_text(sid),
            ];
            row.extend(rest);
            (&EVENTS, row)
        };
    match e {
        Event::Search(s) => {
            let top = serde_json::to_string(&s.top_ids).unwrap_or_else(|_| "[]".into());
            let row = vec![
                t(&s.id),
                Value::Integer(s.ts),
                opt_text(&s.session),
                opt_text(&s.prev),
                t(&s.query),
                t(&s.normalized),
                t(&s.source),
                t(&s.audience),
                Value::Integer(s.hits as i64),
                Value::Text(top),
                Value::Integer(s.latency_ms as i64),
            ];
            (&SEARCHES, row)
        }
        Event::Click {
            ts,
            session,
            search_id,
            article,
            rank,
            query,
        } => ev(
            *ts,
            "click",
            session,
            search_id,
            [
                t(article),
                Value::Integer(i64::from(*rank)),
                n.clone(),
                n.clone(),
                opt_text(query),
                n.clone(),
                n.clone(),
                n,
            ],
        ),
        Event::View {
            ts,
            session,
            search_id,
            article,
        } => ev(
            *ts,
            "view",
            session,
            search_id,
            [
                t(article),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n.clone(),
                n,
            ],
        ),
        Event::Vote(v) => ev(
            v.ts,
            "vote",
            &v.session,
            &v.search_id,
            [
                t(&v.article),
                n.clone(),
                Value::Integer(i64::from(v.helpful)),
                opt_text(&v.comment),
                opt_text(&v.query),
                n.clone(),
                n.clone(),
                n,
            ],
        ),
        Event::Handover {
            ts,
            session,
            search_id,
            query,
            handover: h,
        } => ev(
            *ts,
            "handover",
            session,
            search_id,
            [
                opt_text(&h.article),
                n.clone(),
                n.clone(),
                n.clone(),
                opt_text(query),
                opt_text(&h.channel),
                t(&h.action),
                opt_text(&h.reason),
            ],
        ),
    }
}

/// Insert `rows` (values for `cols`, in order) into `table` in one statement.
async fn insert_rows(
    client: &impl tokio_postgres::GenericClient,
    table: &str,
    cols: &[(&str, Ty)],
    rows: &[Vec<Value>],
) -> Result<u64, tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut arrays: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(cols.len());
    for (i, (_, ty)) in cols.iter().enumerate() {
        match ty {
            Text => arrays.push(Box::new(
                rows.iter().map(|r| text(&r[i])).collect::<Vec<_>>(),
            )),
            Int => arrays.push(Box::new(
                rows.iter().map(|r| int(&r[i])).collect::<Vec<_>>(),
            )),
        }
    }
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let casts: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| {
            format!(
                "${}::{}[]",
                i + 1,
                if *ty == Text { "text" } else { "int8" }
            )
        })
        .collect();
    let conflict = if table == "searches" {
        " ON CONFLICT (id) DO NOTHING"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT * FROM UNNEST({}){conflict}",
        names.join(", "),
        casts.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = arrays
        .iter()
        .map(|a| a.as_ref() as &(dyn ToSql + Sync))
        .collect();
    client.execute(&sql, &params).await
}

/// Events as rows of their tables, in one transaction.
async fn insert_events(
    client: &mut tokio_postgres::Client,
    events: &[Event],
) -> anyhow::Result<()> {
    let mut searches = Vec::new();
    let mut others = Vec::new();
    for e in events {
        let (table, row) = event_row(e);
        if table.name == "searches" {
            searches.push(row)
        } else {
            others.push(row)
        }
    }
    let tx = client.transaction().await?;
    insert_rows(&tx, SEARCHES.name, SEARCHES.cols, &searches).await?;
    insert_rows(&tx, EVENTS.name, &EVENTS.cols[1..], &others).await?;
    tx.commit().await?;
    Ok(())
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

    /// Views and helpful votes per article since `since`.
    pub fn popularity(&self, since: i64) -> anyhow::Result<Vec<(String, u64, u64)>> {
        self.run(TIMEOUT * 2, move |client| async move {
            let rows = client
                .query(
                    "SELECT article, COUNT(*) FILTER (WHERE kind = 'view'), COUNT(*) FILTER (WHERE kind = 'vote' AND helpful = 1)
                     FROM events WHERE ts >= $1 AND article IS NOT NULL AND kind IN ('view', 'vote') GROUP BY article",
                    &[&since],
                )
                .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1) as u64, r.get::<_, i64>(2) as u64)).collect())
        })
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

    /// A temporary SQLite database holding the rows of `[from, to)` (Unix seconds) of every
    /// table, with their ids, for [`crate::report`]: the report's SQL runs in one place. It is
    /// SQLite's private temporary file (deleted when the connection closes), so memory stays
    /// bounded by SQLite's page cache; the cost is the copy's time and the range's rows on
    /// disk (about 300 bytes a search) while the report runs.
    pub fn report_connection(&self, from: i64, to: i64) -> anyhow::Result<rusqlite::Connection> {
        // An empty file name: a private on-disk database that spills to the temp folder.
        let mut conn = rusqlite::Connection::open("")?;
        crate::sqlite::migrate(&mut conn)?;
        let tx = conn.transaction()?;
        for table in TABLES {
            self.read_table(table, Some((from, to)), |rows| {
                let names: Vec<&str> = table.cols.iter().map(|(c, _)| *c).collect();
                let marks = vec!["?"; names.len()].join(", ");
                let mut stmt = tx.prepare_cached(&format!(
                    "INSERT INTO {} ({}) VALUES ({marks})",
                    table.name,
                    names.join(", ")
                ))?;
                for row in rows {
                    stmt.execute(rusqlite::params_from_iter(row))?;
                }
                Ok(())
            })?;
        }
        tx.commit()?;
        Ok(conn)
    }

    /// Read `table` in key order, [`CHUNK`] rows at a time, within `[from, to)` if given.
    fn read_table(
        &self,
        table: &'static Table,
        range: Option<(i64, i64)>,
        mut f: impl FnMut(Vec<Vec<Value>>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let names: Vec<&str> = table.cols.iter().map(|(c, _)| *c).collect();
        let key = names[0];
        let (from, to) = range.unwrap_or((i64::MIN, i64::MAX));
        let mut after: Option<Value> = None;
        loop {
            let sql = format!(
                "SELECT {} FROM {} WHERE ts >= $1 AND ts < $2{} ORDER BY {key} LIMIT {CHUNK}",
                names.join(", "),
                table.name,
                if after.is_some() {
                    format!(" AND {key} > $3")
                } else {
                    String::new()
                }
            );
            let last = after.clone();
            let rows = self.run(Duration::from_secs(120), move |client| async move {
                let rows = match last {
                    Some(Value::Text(s)) => client.query(&sql, &[&from, &to, &s]).await?,
                    Some(v) => {
                        client
                            .query(&sql, &[&from, &to, &int(&v).unwrap_or(0)])
                            .await?
                    }
                    None => client.query(&sql, &[&from, &to]).await?,
                };
                Ok(rows
                    .iter()
                    .map(|r| {
                        table
                            .cols
                            .iter()
                            .enumerate()
                            .map(|(i, (_, ty))| match ty {
                                Text => r
                                    .get::<_, Option<String>>(i)
                                    .map_or(Value::Null, Value::Text),
                                Int => r
                                    .get::<_, Option<i64>>(i)
                                    .map_or(Value::Null, Value::Integer),
                            })
                            .collect::<Vec<Value>>()
                    })
                    .collect::<Vec<_>>())
            })?;
            let done = rows.len() < CHUNK;
            after = rows.last().map(|r| r[0].clone());
            if !rows.is_empty() {
                f(rows)?;
            }
            if done {
                return Ok(());
            }
        }
    }

    /// Copy every row of the SQLite events database `conn` into this one, which must hold no
    /// events yet (a second run would count everything twice). `progress` gets the rows
    /// copied so far and the total; returns the rows copied.
    pub fn copy_from_sqlite(
        &self,
        conn: &rusqlite::Connection,
        mut progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<u64> {
        for table in TABLES {
            let n = self.count(table.name, "")?;
            anyhow::ensure!(
                n == 0,
                "the PostgreSQL events database is not empty ({} holds {n} rows): refusing to copy into it",
                table.name
            );
        }
        let mut total = 0u64;
        for table in TABLES {
            total += conn.query_row(&format!("SELECT COUNT(*) FROM {}", table.name), [], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        }
        let mut done = 0u64;
        progress(0, total);
        for table in TABLES {
            let names: Vec<&str> = table.cols.iter().map(|(c, _)| *c).collect();
            let key = names[0];
            let mut after: Option<Value> = None;
            loop {
                let sql = format!(
                    "SELECT {} FROM {} {} ORDER BY {key} LIMIT {CHUNK}",
                    names.join(", "),
                    table.name,
                    if after.is_some() {
                        format!("WHERE {key} > ?1")
                    } else {
                        String::new()
                    }
                );
                let mut stmt = conn.prepare(&sql)?;
                let read = |r: &rusqlite::Row| {
                    (0..names.len())
                        .map(|i| r.get::<_, Value>(i))
                        .collect::<rusqlite::Result<Vec<Value>>>()
                };
                let rows: Vec<Vec<Value>> = match &after {
                    Some(v) => stmt
                        .query_map([v], read)?
                        .collect::<rusqlite::Result<_>>()?,
                    None => stmt.query_map([], read)?.collect::<rusqlite::Result<_>>()?,
                };
                if rows.is_empty() {
                    break;
                }
                after = rows.last().map(|r| r[0].clone());
                let n = rows.len() as u64;
                let last_chunk = rows.len() < CHUNK;
                self.run(Duration::from_secs(120), move |client| async move {
                    let client: &tokio_postgres::Client = &client;
                    insert_rows(client, table.name, table.cols, &rows).await?;
                    Ok(())
                })
                .with_context(|| format!("copying {}", table.name))?;
                done += n;
                progress(done, total);
                if last_chunk {
                    break;
                }
            }
            if table.identity {
                // The ids were copied: new rows are numbered after them.
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
                    table.name
                );
                self.run(TIMEOUT, move |client| async move {
                    client.execute(&sql, &[]).await?;
                    Ok(())
                })?;
            }
        }
        Ok(done)
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
