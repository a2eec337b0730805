//! The background writer: one thread per service that takes high-volume events from a bounded
//! queue and writes them in batches, to either store (a [`Sink`]).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use crate::Event;

/// Where a writer puts its batches.
pub(crate) trait Sink: Send + 'static {
    /// Write `batch` in one committed transaction.
    fn write(&mut self, batch: &[Event]) -> anyhow::Result<()>;
    /// Whether a batch that failed is kept and tried again (PostgreSQL: the server comes back
    /// in seconds) rather than dropped (SQLite: a full disk does not empty itself).
    fn retries(&self) -> bool;
}

enum Message {
    Event(Box<Event>),
    Flush(mpsc::Sender<()>),
}

/// Sends events to a background thread that writes them in batches. Cheap to clone; when the
/// last clone is dropped the thread writes what is left and stops.
#[derive(Clone)]
pub struct Writer {
    tx: SyncSender<Message>,
    stats: Arc<WriterStats>,
}

/// What the writer thread did since it started.
#[derive(Debug, Default)]
pub struct WriterStats {
    written: AtomicU64,
    dropped: AtomicU64,
    queued: AtomicU64,
}

impl WriterStats {
    /// Events committed to the database.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Events lost: the queue was full, or the database could not store them.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Events accepted and not yet written or dropped (the buffer, at most [`QUEUE`] +
    /// [`BATCH`]): grows while PostgreSQL is down, drains when it is back.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }
}

/// While the database keeps failing, at most one warning per this interval.
const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(60);
/// The longest wait between two attempts at a batch a [`Sink`] retries.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Events waiting beyond this are dropped (and logged) rather than slowing requests.
pub const QUEUE: usize = 10_000;
/// At most this many events per transaction.
pub const BATCH: usize = 500;
/// How long the writer lets events gather before it takes them, while they keep coming.
const GATHER: Duration = Duration::from_millis(5);

impl Writer {
    /// Start the writer thread on its own connection to the SQLite database at `path`.
    pub fn start(path: &Path) -> anyhow::Result<Self> {
        Self::spawn(crate::sqlite::SqliteSink::open(path)?)
    }

    /// Start the writer thread on `sink`.
    pub(crate) fn spawn(mut sink: impl Sink) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("kotae-events".into())
            .spawn(move || run_writer(&mut sink, rx, &thread_stats))?;
        Ok(Writer { tx, stats })
    }

    /// What the writer did so far.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Queue an event; never blocks.
    pub fn send(&self, event: Event) {
        match self.tx.try_send(Message::Event(Box::new(event))) {
            Ok(()) => {
                self.stats.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => {
                let dropped = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                // A full queue drops every event until the database catches up: log the first
                // and then one in 1,000, not each.
                if dropped % 1000 == 1 {
                    tracing::warn!(dropped, "the events queue is full: events are dropped");
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("the events writer has stopped: an event was dropped");
            }
        }
    }

    /// Wait (at most 30 s) until everything queued before this call was written, or tried
    /// once while the database fails.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        if self.tx.send(Message::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(30));
        }
    }
}

/// The writer's record of a run of failed batches, for the log.
struct Failing {
    since: Instant,
    logged: Instant,
    dropped: u64,
    attempts: u32,
}

fn run_writer(sink: &mut impl Sink, rx: Receiver<Message>, stats: &WriterStats) {
    let mut batch: Vec<Event> = Vec::new();
    let mut acks: Vec<mpsc::Sender<()>> = Vec::new();
    let mut failing: Option<Failing> = None;
    let mut disconnected = false;
    loop {
        let push = |m: Message, batch: &mut Vec<Event>, acks: &mut Vec<mpsc::Sender<()>>| match m {
            Message::Event(e) => batch.push(*e),
            Message::Flush(ack) => acks.push(ack),
        };
        // Wait for the first message (unless a failed batch waits), then gather what else is
        // already queued.
        if batch.is_empty() && !disconnected {
            match rx.recv() {
                Ok(m) => push(m, &mut batch, &mut acks),
                Err(_) => return,
            }
        }
        // Gathering sleeps and then takes what came, rather than waiting on the queue: a
        // writer blocked in `recv` is woken by every event, and each wake-up is a system call
        // paid by the request that sent it (2–3% of the service's CPU under load, `perf`).
        while batch.len() < BATCH && acks.is_empty() && !disconnected {
            std::thread::sleep(GATHER);
            let before = batch.len();
            while batch.len() < BATCH && acks.is_empty() {
                match rx.try_recv() {
                    Ok(m) => push(m, &mut batch, &mut acks),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        disconnected = true;
                        break;
                    }
                }
            }
            if batch.len() == before {
                break;
            }
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            match sink.write(&batch) {
                Ok(()) => {
                    stats.written.fetch_add(n, Ordering::Relaxed);
                    stats.queued.fetch_sub(n, Ordering::Relaxed);
                    batch.clear();
                    if let Some(f) = failing.take() {
                        tracing::warn!(
                            dropped = f.dropped,
                            failing_for_s = f.since.elapsed().as_secs(),
                            "the events database stores events again"
                        );
                    }
                }
                Err(e) => {
                    // Searches go on; only their record waits or is lost. Log the first
                    // failure, then at most once a minute, so that an outage does not also
                    // flood the log.
                    let keep = sink.retries() && !disconnected;
                    let lost = if keep { 0 } else { n };
                    if !keep {
                        stats.dropped.fetch_add(n, Ordering::Relaxed);
                        stats.queued.fetch_sub(n, Ordering::Relaxed);
                        batch.clear();
                    }
                    let now = Instant::now();
                    match &mut failing {
                        None => {
                            if keep {
                                tracing::warn!(
                                    error = format!("{e:#}"),
                                    events = n,
                                    "the events database cannot store events: keeping them (the queue holds {QUEUE}) and trying again"
                                );
                            } else {
                                tracing::warn!(
                                    error = format!("{e:#}"),
                                    events = n,
                                    "the events database cannot store events (is the disk full?): dropping them until it can"
                                );
                            }
                            failing = Some(Failing {
                                since: now,
                                logged: now,
                                dropped: lost,
                                attempts: 1,
                            });
                        }
                        Some(f) => {
                            f.dropped += lost;
                            f.attempts += 1;
                            if now.duration_since(f.logged) >= FAILURE_LOG_INTERVAL {
                                tracing::warn!(
                                    error = format!("{e:#}"),
                                    dropped = f.dropped,
                                    queued = stats.queued(),
                                    failing_for_s = f.since.elapsed().as_secs(),
                                    "the events database still cannot store events"
                                );
                                f.logged = now;
                            }
                        }
                    }
                    if keep {
                        let attempts = failing.as_ref().map_or(1, |f| f.attempts).min(5);
                        std::thread::sleep(
                            (Duration::from_millis(100) * 2u32.pow(attempts)).min(MAX_BACKOFF),
                        );
                    }
                }
            }
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
        if disconnected && batch.is_empty() {
            return;
        }
    }
}
