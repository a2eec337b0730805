//! Which corpus reading is a mistyped kana run closest to? [`Near`] groups the readings by
//! length, and within a length by their first, second and last kana, with a bit set of their
//! kana, so [`super::Lexicon::correct`] compares a run only with readings that can be within its
//! edit limit, and remembers the runs it corrected lately. Scanning every reading of about the
//! run's length was 12% of a wiki-qa question not asked before (0.31M instructions).

use std::collections::HashMap;
use std::sync::Mutex;

use super::FastMap;

/// The readings grouped by their length in kana, each with the set of its kana as bits, so that
/// [`super::Lexicon::correct`] compares a typed run only with readings of about its length, and skips
/// at once those with too many kana the run does not have.
#[derive(Debug, Default)]
pub(super) struct Near {
    /// Index: length in kana.
    by_len: Vec<Readings>,
    /// The corrections of the runs corrected lately (the reading found, or none): questions
    /// end alike (でしたか, になると), and the same runs come back question after question.
    recent: Mutex<HashMap<String, Option<Box<str>>>>,
}

/// How many runs' corrections [`Near::recent`] keeps before it starts again.
const RECENT_CORRECTIONS: usize = 4096;

/// The readings of one length, with the places of those that start with, have second or end
/// with each kana. A reading within the edit limit shares one of a few kana with the typed run
/// at the ends (see [`Near::nearest`]): only those readings are compared.
#[derive(Debug, Default)]
struct Readings {
    kana: Vec<u64>,
    chars: Vec<Box<[char]>>,
    reading: Vec<Box<str>>,
    first: FastMap<char, Vec<u32>>,
    second: FastMap<char, Vec<u32>>,
    last: FastMap<char, Vec<u32>>,
}

/// The set of `chars` as bits (several kana may share a bit).
fn kana_bits(chars: &[char]) -> u64 {
    chars.iter().fold(0u64, |bits, &c| bits | 1u64 << (c as u32 & 63))
}

impl Readings {
    fn push(&mut self, chars: Box<[char]>, reading: &str) {
        let at = self.reading.len() as u32;
        for (place, kana) in [(&mut self.first, chars.first()), (&mut self.second, chars.get(1)), (&mut self.last, chars.last())] {
            if let Some(&kana) = kana {
                place.entry(kana).or_default().push(at);
            }
        }
        self.kana.push(kana_bits(&chars));
        self.chars.push(chars);
        self.reading.push(reading.into());
    }

    /// The readings whose kana at `place` is `kana`.
    fn with(place: &FastMap<char, Vec<u32>>, kana: char) -> &[u32] {
        place.get(&kana).map_or(&[], Vec::as_slice)
    }
}

impl Near {
    pub(super) fn of(readings: &FastMap<String, String>) -> Self {
        let mut by_len: Vec<Readings> = Vec::new();
        for reading in readings.keys() {
            let chars: Box<[char]> = reading.chars().collect();
            let n = chars.len();
            if by_len.len() <= n {
                by_len.resize_with(n + 1, Readings::default);
            }
            by_len[n].push(chars, reading);
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
    ///
    /// Take the edits that turn the run into a reading, fewest first, in order. If the first
    /// is no edit, the two start with the same kana; if the last is none, they end with the
    /// same kana. With one edit allowed (and two kana at least), one of them is none. With two
    /// (and seven kana), if both the first and the last are edits, everything between them is
    /// kept, and the run's second kana is the reading's second (the first kana replaced) or
    /// its first (the first kana left out), or the run's first kana is the reading's second
    /// (a kana put before it). So only the readings that share one of those are compared,
    /// each once: a reading is compared from the first of the lists below it is in.
    fn nearest(&self, typed: &[char]) -> Option<&str> {
        let n = typed.len();
        let max = if n >= 7 { 2 } else { 1 };
        let (Some(&t0), Some(&t1), Some(&t_last)) = (typed.first(), typed.get(1), typed.last()) else { return None };
        // Each edit takes at most one kana away, so a reading within `max` edits lacks at most
        // `max` of the typed run's kinds of kana, and has at most `max` kinds it lacks.
        let bits = kana_bits(typed);
        let mut rows = (Vec::with_capacity(n + max + 1), Vec::with_capacity(n + max + 1));
        let mut best: Option<(usize, &str)> = None;
        for len in n.saturating_sub(max)..=n + max {
            let Some(of_len) = self.by_len.get(len) else { continue };
            // What a reading shares with the run: its first kana, its last, its second the
            // run's second, its first the run's second, its second the run's first.
            let shares = |i: usize| -> [bool; 5] {
                let r = &of_len.chars[i];
                [r.first() == Some(&t0), r.last() == Some(&t_last), r.get(1) == Some(&t1), r.first() == Some(&t1), r.get(1) == Some(&t0)]
            };
            let mut lists = vec![Readings::with(&of_len.first, t0), Readings::with(&of_len.last, t_last)];
            if max == 2 {
                lists.extend([Readings::with(&of_len.second, t1), Readings::with(&of_len.first, t1), Readings::with(&of_len.second, t0)]);
            }
            for (k, list) in lists.iter().enumerate() {
                for &i in *list {
                    let i = i as usize;
                    if shares(i)[..k].contains(&true) {
                        continue;
                    }
                    let kana = of_len.kana[i];
                    if more_than(bits & !kana, max) || more_than(kana & !bits, max) {
                        continue;
                    }
                    let Some(d) = edit_distance_within(typed, &of_len.chars[i], max, &mut rows) else { continue };
                    let reading = &*of_len.reading[i];
                    if best.is_none_or(|(bd, br)| (d, reading) < (bd, br)) {
                        best = Some((d, reading));
                    }
                }
            }
        }
        best.map(|(_, r)| r)
    }
}

/// Whether more than `max` bits of `bits` are set, `max` being 1 or 2: each step clears the
/// lowest (`count_ones` is a dozen instructions without the `popcnt` of newer x86 CPUs, and
/// the scan asks it twice of most readings).
fn more_than(bits: u64, max: usize) -> bool {
    let rest = bits & bits.wrapping_sub(1);
    match max {
        1 => rest != 0,
        2 => rest & rest.wrapping_sub(1) != 0,
        _ => bits.count_ones() as usize > max,
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
