//! How many events a second the background writer stores into PostgreSQL.
//!
//! ```sh
//! cargo run -p kotae-events --example pg_write_bench            # a throwaway server
//! cargo run -p kotae-events --example pg_write_bench -- URL     # an existing database
//! ```
//!
//! Sends 200,000 search events (the largest kind: query, ids, top 5 results) as fast as the
//! queue takes them (never overflowing it), then waits until all are written. The throwaway
//! server runs with `fsync=on`, as a production one does.

use std::time::{Duration, Instant};

use kotae_events::{Event, EventStore, Search};

const N: usize = 200_000;

fn main() -> anyhow::Result<()> {
    let server;
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            server = kotae_pgtest::PgServer::start_with(&["fsync=on"])
                .ok_or_else(|| anyhow::anyhow!("PostgreSQL is not installed"))?;
            server.create_database("bench")
        }
    };
    let store = EventStore::postgres(&url)?;
    let writer = store.writer()?;
    let top: Vec<String> = [
        "shipping/fee",
        "shipping/free",
        "returns/how",
        "returns/fee",
        "orders/cancel",
    ]
    .map(String::from)
    .to_vec();
    let started = Instant::now();
    for i in 0..N {
        while writer.stats().queued() as usize > kotae_events::QUEUE - kotae_events::BATCH {
            std::thread::sleep(Duration::from_micros(200));
        }
        writer.send(Event::Search(Search {
            id: format!("{i:016x}"),
            ts: kotae_events::now(),
            session: Some(format!("{:016x}", i / 5)),
            prev: None,
            query: "送料はいくらですか".into(),
            normalized: "送料はいくらですか".into(),
            source: "help".into(),
            audience: "public".into(),
            hits: 5,
            top_ids: top.clone(),
            latency_ms: 4,
        }));
    }
    writer.flush();
    let elapsed = started.elapsed();
    let stored = store.count("searches", "")?;
    println!(
        "{stored} events stored in {:.2} s: {:.0} events/s ({} dropped)",
        elapsed.as_secs_f64(),
        stored as f64 / elapsed.as_secs_f64(),
        writer.stats().dropped()
    );
    anyhow::ensure!(stored as usize == N, "{stored} of {N} stored");
    // What a report over PostgreSQL first pays: copying the range into SQLite.
    let started = Instant::now();
    drop(store.report_connection(0, i64::MAX)?);
    println!("report_connection over the {stored} events: {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}
