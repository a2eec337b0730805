//! Nouns the corpus writes side by side, heard as one piece of a kana run: しょうかかん is
//! 消化 + 管 (where the corpus says 消化管), not 賞 + 果敢; せいさんりょうが is 生産 + 量 + が,
//! not 生産 + 凌駕. IPADIC cuts such compounds into their nouns, so a run split word by word
//! prefers whichever words cover it in the fewest pieces, however unrelated.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::analysis::{Morpheme, kana};

/// Most nouns a compound is heard as.
const MAX_PARTS: usize = 3;
/// Fewest kana a compound's reading has: shorter ones are two short words.
pub(super) const MIN_COMPOUND_CHARS: usize = 4;

/// A compound the corpus writes: its nouns, each with the kana of the reading it takes, and how
/// often the corpus writes it. Kept compact (a corpus of 13,448 paragraphs has 200,000): the
/// kana counts in place, the nouns in one string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Compound {
    /// How many kana of the reading each noun takes; 0 past the last noun.
    #[serde(rename = "k")]
    kana: [u8; MAX_PARTS],
    /// The nouns, separated by tabs.
    #[serde(rename = "w")]
    nouns: Box<str>,
    #[serde(rename = "n")]
    pub count: u32,
}

impl Compound {
    fn new(parts: &[(u8, String)], count: u32) -> Self {
        let mut kana = [0; MAX_PARTS];
        for (k, (n, _)) in kana.iter_mut().zip(parts) {
            *k = *n;
        }
        let nouns: Vec<&str> = parts.iter().map(|(_, w)| w.as_str()).collect();
        Compound { kana, nouns: nouns.join("\t").into(), count }
    }

    /// Its nouns, in order, each with how many kana of the reading it takes.
    pub fn parts(&self) -> impl DoubleEndedIterator<Item = (usize, &str)> {
        let n = self.kana.iter().take_while(|&&k| k > 0).count();
        self.kana[..n].iter().map(|&k| k as usize).zip(self.nouns.split('\t')).collect::<Vec<_>>().into_iter()
    }
}

/// Reading → parts → how often, while counting.
pub(super) type CompoundCounts = HashMap<String, BTreeMap<Vec<(u8, String)>, u32>>;

/// Collects the compounds of one text, morpheme by morpheme.
#[derive(Default)]
pub(super) struct Chain {
    /// The nouns written side by side so far: (reading, term, end byte).
    nouns: Vec<(String, String, usize)>,
}

impl Chain {
    /// Take the next morpheme of the text; count the compounds that end with it.
    pub fn push(&mut self, m: &Morpheme, counts: &mut CompoundCounts) {
        // Katakana nouns join too (ボーア戦争): a name the corpus writes beside a noun.
        let joins = m.content
            && matches!(m.pos.as_str(), "名詞" | "接頭詞")
            && (m.surface.chars().any(kana::is_kanji) || (kana::is_katakana_word(&m.surface) && m.surface.chars().count() >= 2))
            && kana::is_kana(&m.reading);
        if !joins {
            self.nouns.clear();
            return;
        }
        if self.nouns.last().is_some_and(|(_, _, end)| *end != m.start) {
            self.nouns.clear();
        }
        self.nouns.push((m.reading.clone(), m.term.clone(), m.end));
        if self.nouns.len() > MAX_PARTS {
            self.nouns.remove(0);
        }
        for first in 0..self.nouns.len().saturating_sub(1) {
            let parts = &self.nouns[first..];
            let reading: String = parts.iter().map(|(r, _, _)| r.as_str()).collect();
            if reading.chars().count() < MIN_COMPOUND_CHARS {
                continue;
            }
            let Some(parts) = parts
                .iter()
                .map(|(r, t, _)| u8::try_from(r.chars().count()).ok().map(|n| (n, t.clone())))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            *counts.entry(reading).or_default().entry(parts).or_default() += 1;
        }
    }
}

/// Add `more` counts into `into`.
pub(super) fn merge(into: &mut CompoundCounts, more: CompoundCounts) {
    for (reading, ways) in more {
        let entry = into.entry(reading).or_default();
        for (parts, n) in ways {
            *entry.entry(parts).or_default() += n;
        }
    }
}

/// Each reading's most frequent way of writing it, with how often the reading is written.
pub(super) fn most_frequent(counts: CompoundCounts) -> super::FastMap<Box<str>, Compound> {
    counts
        .into_iter()
        .filter_map(|(reading, ways)| {
            let count: u32 = ways.values().sum();
            // The most frequent parts; ties go to the first in order, so the result is stable.
            let parts = ways.into_iter().fold(None::<(Vec<(u8, String)>, u32)>, |best, (parts, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((parts, n)),
            })?;
            Some((reading.into(), Compound::new(&parts.0, count)))
        })
        .collect()
}
