//! Where does a search's time go? Wall time per stage, on the searching thread, for the
//! `query_cpu --profile` example ([`enable`], [`take`]). Off by default: then each stage mark is
//! one thread-local flag read.

use std::cell::{Cell, RefCell};
use std::time::Instant;

/// The stages of a search, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The question analyzed: normalized, cut into morphemes, kana runs recognized.
    Analysis = 0,
    /// Its evidence turned into clauses, each term's statistics looked up in the term
    /// dictionaries.
    Clauses,
    /// The question's vector and its closeness to every document (when meaning is on).
    Meaning,
    /// Each segment's postings of every clause opened (and the filters').
    Postings,
    /// The top-k walk over the postings, scoring documents.
    Scoring,
    /// The topic words, the lexical coverage and the fusion with meaning (when on).
    Fusion,
    /// The stored fields of the best documents.
    Stored,
    /// The hits, with their snippets cut and highlighted.
    Snippets,
    /// Did-you-mean and the verdict (coverage of the best pages).
    Verdict,
}

/// How many stages there are.
pub const STAGES: usize = 9;

/// The stages' names, in order.
pub const NAMES: [&str; STAGES] = [
    "analysis",
    "clause building",
    "meaning (embedding)",
    "postings (open)",
    "scoring (top-k walk)",
    "topic words, fusion",
    "stored fields",
    "hits and snippets",
    "did-you-mean, verdict",
];

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static TIMES: RefCell<([u64; STAGES], Option<Instant>)> = const { RefCell::new(([0; STAGES], None)) };
}

/// Start timing this thread's searches (and clear what was timed so far).
pub fn enable() {
    ON.with(|on| on.set(true));
    TIMES.with(|t| *t.borrow_mut() = ([0; STAGES], None));
}

/// The nanoseconds spent in each stage since the last [`take`] or [`enable`], and clear them.
pub fn take() -> [u64; STAGES] {
    TIMES.with(|t| std::mem::replace(&mut *t.borrow_mut(), ([0; STAGES], None)).0)
}

/// Whether this thread's searches are timed.
#[inline]
pub(crate) fn on() -> bool {
    ON.with(Cell::get)
}

/// A stage starts here: the time since the last mark goes to nothing.
#[inline]
pub(crate) fn start() {
    if ON.with(Cell::get) {
        TIMES.with(|t| t.borrow_mut().1 = Some(Instant::now()));
    }
}

/// `stage` ends here: the time since the last mark goes to it.
#[inline]
pub(crate) fn done(stage: Stage) {
    if ON.with(Cell::get) {
        TIMES.with(|t| {
            let mut t = t.borrow_mut();
            let now = Instant::now();
            if let Some(last) = t.1 {
                t.0[stage as usize] += now.duration_since(last).as_nanos() as u64;
            }
            t.1 = Some(now);
        });
    }
}
