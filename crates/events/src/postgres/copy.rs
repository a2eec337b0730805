//! Copying rows between the stores: a report's range into SQLite, a SQLite file into
//! PostgreSQL (`kotae events migrate`).

use std::time::Duration;

use anyhow::Context;
use rusqlite::types::Value;

use super::rows::{Int, TABLES, Table, Text, insert_rows, int};
use super::{PgStore, TIMEOUT};

/// Rows per round trip when copying a table.
const CHUNK: usize = 5_000;

impl PgStore {
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
        self.copy_settings(conn)?;
        Ok(done)
    }

    /// Copy the settings (the client key, so that clients hash as before): the source's
    /// replace any made here, since no event was hashed with them yet.
    fn copy_settings(&self, conn: &rusqlite::Connection) -> anyhow::Result<()> {
        let rows: Vec<(String, String)> = conn
            .prepare("SELECT name, value FROM settings")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        self.run(TIMEOUT, move |client| async move {
            for (name, value) in &rows {
                client
                    .execute(
                        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                        &[name, value],
                    )
                    .await?;
            }
            Ok(())
        })
        .context("copying settings")
    }
}
