//! A first-come, first-served limit on how many query embeddings run at once (opt-in:
//! `KOTAE_EMBED_CONCURRENCY`).
//!
//! A query embedding is pure CPU work (about 9 ms). When more of them run at once than there
//! are cores, the scheduler shares the cores between all of them and every one finishes late;
//! with at most one per core, the others wait their turn in arrival order and each one, once
//! started, runs at full speed. In queueing terms that lowers the mean and the tail at the same
//! throughput, on a machine of one's own. On the shared machine where Kotae is measured it did
//! not (see `Embedder::embed_query`), so it is off unless asked for.

use std::sync::{Condvar, Mutex};

pub(crate) struct Gate {
    /// How many may run at once; 0 for no limit.
    permits: u64,
    /// (tickets handed out, tickets finished).
    state: Mutex<(u64, u64)>,
    turn: Condvar,
}

/// A turn to run; the next waiter may start when it is dropped.
pub(crate) struct Turn<'a>(Option<&'a Gate>);

impl Gate {
    pub(crate) fn new(permits: usize) -> Gate {
        Gate {
            permits: permits as u64,
            state: Mutex::new((0, 0)),
            turn: Condvar::new(),
        }
    }

    /// Wait until fewer than `permits` earlier callers are still running.
    pub(crate) fn enter(&self) -> Turn<'_> {
        if self.permits == 0 {
            return Turn(None);
        }
        let Ok(mut state) = self.state.lock() else {
            return Turn(None);
        };
        let ticket = state.0;
        state.0 += 1;
        // Ticket t may run once all but `permits - 1` of the tickets before it have finished.
        while ticket >= state.1 + self.permits {
            state = match self.turn.wait(state) {
                Ok(s) => s,
                Err(_) => return Turn(None),
            };
        }
        Turn(Some(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(gate) = self.0
            && let Ok(mut state) = gate.state.lock()
        {
            state.1 += 1;
            gate.turn.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_the_permits_run_at_once() {
        let gate = Gate::new(2);
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let _turn = gate.enter();
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        let unlimited = Gate::new(0);
        let (_a, _b, _c) = (unlimited.enter(), unlimited.enter(), unlimited.enter());
    }
}
