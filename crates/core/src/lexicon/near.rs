//! Which corpus reading is a mistyped kana run closest to? [`Near`] groups the readings by
//! length with a bit set of their kana, so [`super::Lexicon::correct`] compares a run only with
//! readings that can be within its edit limit, and remembers the runs it corrected lately.

use std::collections::HashMap;
use std::sync::Mutex;

/// The readings grouped by their length in kana, each with the set of its kana as bits, so that
/// [`super::Lexicon::correct`] compares a typed run only with readings of about its length, and skips
/// at once those with too many kana the run does not have.
#[derive(Debug, Default)]
pub(super) struct Near {
    /// Index: length in kana.
    by_len: Vec<Vec<NearReading>>,
    /// The corrections of the runs corrected lately (the reading found, or none): questions
    /// end alike (でしたか, になると), and the same runs come back question after question.
    recent: Mutex<HashMap<String, Option<Box<str>>>>,
}

/// How many runs' corrections [`Near::recent`] keeps before it starts again.
const RECENT_CORRECTIONS: usize = 4096;

#[derive(Debug)]
struct NearReading {
    kana: u64,
    chars: Box<[char]>,
    reading: Box<str>,
}

/// The set of `chars` as bits (several kana may share a bit).
fn kana_bits(chars: &[char]) -> u64 {
    chars.iter().fold(0u64, |bits, &c| bits | 1u64 << (c as u32 & 63))
}

impl Near {
    pub(super) fn of(readings: &super::FastMap<String, String>) -> Self {
        let mut by_len: Vec<Vec<NearReading>> = Vec::new();
        for reading in readings.keys() {
            let chars: Box<[char]> = reading.chars().collect();
            let n = chars.len();
            if by_len.len() <= n {
                by_len.resize_with(n + 1, Vec::new);
            }
            by_len[n].push(NearReading { kana: kana_bits(&chars), chars, reading: reading.as_str().into() });
        }
        Near { by_len, recent: Mutex::default() }
    }

    /// The reading closest to the `typed` run `reading` (see [`Near::nearest`]), remembered for
    /// the runs seen lately.
    pub(super) fn find(&self, reading: &str, typed: &[char]) -> Option<Box<str>> {
        if let Some(found) = self.recent.lock().ok().and_then(|m| m.get(reading).cloned()) {
            return found;
        }
        let found = self.nearest(typed).map(Box::from);
        if let Ok(mut m) = self.recent.lock() {
            if m.len() >= RECENT_CORRECTIONS {
                m.clear();
            }
            m.insert(reading.to_string(), found.clone());
        }
        found
    }

    /// The reading of `near` closest to the `typed` run: at most one edit away for runs of four
    /// to six kana, two from seven; the fewest edits, then the smallest reading.
    fn nearest(&self, typed: &[char]) -> Option<&str> {
        let n = typed.len();
        let max = if n >= 7 { 2 } else { 1 };
        // Each edit takes at most one kana away, so a reading within `max` edits lacks at most
        // `max` of the typed run's kinds of kana, and has at most `max` kinds it lacks.
        let bits = kana_bits(typed);
        let mut rows = (Vec::with_capacity(n + max + 1), Vec::with_capacity(n + max + 1));
        let mut best: Option<(usize, &str)> = None;
        for len in n.saturating_sub(max)..=n + max {
            for r in self.by_len.get(len).map_or(&[][..], Vec::as_slice) {
                if (bits & !r.kana).count_ones() as usize > max || (r.kana & !bits).count_ones() as usize > max {
                    continue;
                }
                let Some(d) = edit_distance_within(typed, &r.chars, max, &mut rows) else { continue };
                if best.is_none_or(|(bd, br)| (d, &*r.reading) < (bd, br)) {
                    best = Some((d, &r.reading));
                }
            }
        }
        best.map(|(_, r)| r)
    }
}

/// The edit distance between `a` and `b` if it is at most `max`, else `None`.
fn edit_distance_within(a: &[char], b: &[char], max: usize, rows: &mut (Vec<usize>, Vec<usize>)) -> Option<usize> {
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(0..=b.len());
    cur.clear();
    cur.resize(b.len() + 1, 0);
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        let mut least = cur[0];
        for (j, cb) in b.iter().enumerate() {
            let d = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur[j + 1] = d;
            least = least.min(d);
        }
        // A row's least value never goes down in the rows below it.
        if least > max {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= max)
}
