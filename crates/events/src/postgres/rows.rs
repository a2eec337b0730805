//! The three tables as both stores hold them, and events as rows of them.

use rusqlite::types::Value;
use tokio_postgres::types::ToSql;

use crate::Event;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ty {
    Text,
    Int,
}

/// A table as both stores hold it; `cols[0]` is the key rows are read in order of.
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) cols: &'static [(&'static str, Ty)],
    /// Whether the key is a number PostgreSQL assigns (left out when recording).
    pub(super) identity: bool,
}

pub(super) use Ty::{Int, Text};

pub(super) const SEARCHES: Table = Table {
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
pub(super) const EVENTS: Table = Table {
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
        ("client", Text),
    ],
    identity: true,
};
pub(super) const QUESTIONS: Table = Table {
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
pub(super) const TABLES: [&Table; 3] = [&SEARCHES, &EVENTS, &QUESTIONS];

pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Null => None,
    }
}

pub(super) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Text(s) => s.trim().parse().ok(),
        Value::Real(f) => Some(*f as i64),
        _ => None,
    }
}

pub(super) fn opt_text(s: &Option<String>) -> Value {
    s.clone().map_or(Value::Null, Value::Text)
}

/// An event as a row of its table (searches, or events without the id PostgreSQL assigns).
pub(super) fn event_row(e: &Event) -> (&'static Table, Vec<Value>) {
    let t = |s: &str| Value::Text(s.to_string());
    let n = Value::Null;
    let ev =
        |ts: i64, kind: &str, session: &Option<String>, sid: &Option<String>, rest: [Value; 9]| {
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
            client,
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
                n.clone(),
                opt_text(client),
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
                opt_text(&v.client),
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
                Value::Null,
            ],
        ),
    }
}

/// Insert `rows` (values for `cols`, in order) into `table` in one statement.
pub(super) async fn insert_rows(
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
pub(super) async fn insert_events(
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
