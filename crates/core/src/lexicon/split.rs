//! Splitting a typed kana run into corpus words ([`Lexicon::recognize`]): what each stretch of
//! the run may be, looked up once, and the cheapest split over them.

use super::compounds::MIN_COMPOUND_CHARS;
use super::pieces::{inside_katakana, is_function_kana, mixes_scripts, question_words, swallows_question_word};
use super::{
    LEFTOVER_COST, Lexicon, MAX_READING_CHARS, MIN_READING_CHARS, PIECE_COST, Piece, Recognized, SLIPPED_KATAKANA_CHARS,
    SLIPPED_READING_CHARS, SLIPPED_VOICING_CHARS, SLIPPED_WORD_COST, SURE_READING_CHARS, VOICING_SLIP_COST,
};
use crate::analysis::{KanaToken, KanaTokenKind, kana};

/// What each stretch of a typed run may be, looked up once for both splits ([`Lexicon::split`]).
pub(super) struct Stretches {
    pub chars: Vec<char>,
    katakana: Vec<bool>,
    /// Index: start × [`MAX_READING_CHARS`] + length − 1.
    table: Vec<Stretch>,
}

#[derive(Default)]
struct Stretch {
    /// A particle or ending ([`FUNCTION_KANA`](super::pieces::FUNCTION_KANA)).
    function: bool,
    /// Whether a split may read a word here: long enough, and in one script.
    word_may: bool,
    /// Whether a word here must be written in katakana ([`inside_katakana`]).
    script: bool,
    /// The corpus words read so (with their rarity), when `word_may`. Boxed, as `slipped`:
    /// most stretches read no word, and a run's table of a dozen stretches per kana was
    /// written into fresh memory whole (most of the kana runs' cache write misses, in
    /// callgrind's cache simulation).
    word: Option<Box<(u32, Recognized)>>,
    /// The rarity of the nouns the corpus writes side by side read so ([`compounds`]), taken
    /// as one word.
    compound: Option<u32>,
    /// The words read with one slip and what taking them costs, looked up the first time the
    /// split with slips needs them.
    slipped: std::cell::OnceCell<Option<Box<(u32, Recognized)>>>,
    /// Whether IPADIC reads a word of its own here ([`KanaTokenKind::Word`]): a two-kana word
    /// there is as sure as a longer one.
    read_so: bool,
    /// What a word here costs more: it goes against IPADIC's reading of the run
    /// ([`GRAMMAR_COST`](super::GRAMMAR_COST)).
    against: u32,
    /// Whether a whole particle or ending IPADIC reads is inside this stretch: a word read
    /// with a slip here would take it in (の|かし|は is not 逃し + は).
    takes_in_grammar: bool,
}

impl Stretches {
    fn at(&self, start: usize, len: usize) -> &Stretch {
        &self.table[start * MAX_READING_CHARS + len - 1]
    }
}

impl Lexicon {
    /// What each stretch of `chars` may be (see [`Stretches`]): the particles, and the corpus
    /// words read so, where a split may take one.
    pub(super) fn stretches(&self, chars: &[char], short_words: bool, katakana: &[bool], grammar: &[KanaToken]) -> Stretches {
        let n = chars.len();
        // Where both scripts were typed, katakana is a choice: loanwords and names. A run all in
        // katakana (typed so, or in half-width kana) says nothing.
        let both_scripts = katakana.contains(&true) && katakana.contains(&false);
        let mut table = Vec::with_capacity(n * MAX_READING_CHARS);
        let asks = question_words(chars, katakana);
        let mut reading = String::new();
        for i in 0..n {
            reading.clear();
            for len in 1..=MAX_READING_CHARS {
                if i + len > n {
                    table.push(Stretch::default());
                    continue;
                }
                reading.push(chars[i + len - 1]);
                let here = i..i + len;
                let function = is_function_kana(&reading, || katakana[here.clone()].iter().all(|k| !k))
                    || grammar.iter().any(|t| t.kind == KanaTokenKind::Grammar && t.span == here);
                // Two-kana words only in runs typed in hiragana, never across scripts.
                let word_may = len >= MIN_READING_CHARS && (len >= SURE_READING_CHARS || short_words) && !mixes_scripts(i..i + len, chars, katakana);
                let script = both_scripts && inside_katakana(i..i + len, katakana);
                let word = if word_may {
                    self.lookup(&reading).and_then(|r| if script { r.katakana_only() } else { Some(r) }).map(|r| Box::new((self.rarity(&reading), r)))
                } else {
                    None
                };
                let compound = (word_may && !script && len >= MIN_COMPOUND_CHARS)
                    .then(|| self.compounds.get(reading.as_str()).map(|c| self.rarity_of(c.count)))
                    .flatten();
                let read_so = grammar.iter().any(|t| t.kind == KanaTokenKind::Word && t.span == here);
                let against = if !word_may {
                    0
                } else if swallows_question_word(&here, &asks) {
                    super::QUESTION_WORD_COST
                } else if against_grammar(&here, grammar) {
                    super::GRAMMAR_COST
                } else {
                    0
                };
                let takes_in_grammar = grammar.iter().any(|t| t.kind == KanaTokenKind::Grammar && here.start <= t.span.start && t.span.end <= here.end);
                table.push(Stretch { function, word_may, script, word, compound, slipped: std::cell::OnceCell::new(), against, read_so, takes_in_grammar });
            }
        }
        Stretches { chars: chars.to_vec(), katakana: katakana.to_vec(), table }
    }

    /// The word read with one slip at `stretch` (start, length), looked up once.
    fn slipped<'s>(&self, stretches: &'s Stretches, (i, len): (usize, usize)) -> Option<&'s (u32, Recognized)> {
        let s = stretches.at(i, len);
        s.slipped
            .get_or_init(|| {
                let katakana = stretches.katakana[i..i + len].iter().all(|&k| k);
                let typed = &stretches.chars[i..i + len];
                let script = |r: Recognized| if s.script { r.katakana_only() } else { Some(r) };
                // Three kana of hiragana are looked for with their voicing slipped only, and
                // such a word costs less than the two-kana word and particle it replaces.
                let (cost, r) = if len >= SLIPPED_READING_CHARS || (katakana && len >= SLIPPED_KATAKANA_CHARS) {
                    (SLIPPED_WORD_COST, script(self.lookup_slipped(typed)?)?)
                } else if len >= SLIPPED_VOICING_CHARS {
                    (VOICING_SLIP_COST, script(self.lookup_slipped_by(typed, kana::voicing_slips)?)?)
                } else {
                    return None;
                };
                let grammar = if s.takes_in_grammar { super::GRAMMAR_COST } else { 0 };
                Some(Box::new((cost + grammar + self.rarity(&r.reading), r)))
            })
            .as_deref()
    }

    /// The cheapest split of a run (see [`Lexicon::recognize`]), piece by piece.
    pub(super) fn split(&self, stretches: &Stretches, slips: bool) -> Vec<Piece> {
        let n = stretches.chars.len();
        // The state after a piece: it explains (a particle, a long word, the start), it is a
        // two-kana word (what follows must explain), or it is a leftover kana.
        const EXPLAINS: usize = 0;
        const SHORT: usize = 1;
        const LEFTOVER: usize = 2;
        // best[i][state]: the cheapest split of chars[..i] ending in that state, with the
        // position and state it came from and the word it ends with (whether read with a slip).
        type Cell = Option<(u32, usize, usize, Option<u8>)>;
        const EXACT: u8 = 0;
        const SLIPPED: u8 = 1;
        const COMPOUND: u8 = 2;
        let mut best: Vec<[Cell; 3]> = vec![[None, None, None]; n + 1];
        best[0][EXPLAINS] = Some((0, 0, EXPLAINS, None));
        let offer = |best: &mut Vec<[Cell; 3]>, at: usize, state: usize, cost: u32, from: (usize, usize), word: Option<u8>| {
            if best[at][state].as_ref().is_none_or(|c| cost < c.0) {
                best[at][state] = Some((cost, from.0, from.1, word));
            }
        };
        for i in 0..n {
            for state in [EXPLAINS, SHORT, LEFTOVER] {
                let Some(cost) = best[i][state].as_ref().map(|c| c.0) else {
                    continue;
                };
                if state != SHORT {
                    offer(&mut best, i + 1, LEFTOVER, cost + LEFTOVER_COST, (i, state), None);
                }
                for len in 1..=(n - i).min(MAX_READING_CHARS) {
                    let stretch = stretches.at(i, len);
                    if stretch.function {
                        offer(&mut best, i + len, EXPLAINS, cost + PIECE_COST, (i, state), None);
                    }
                    if !stretch.word_may || (len < SURE_READING_CHARS && state == LEFTOVER) {
                        continue;
                    }
                    if let Some((rarity, _)) = stretch.word.as_deref() {
                        // A two-kana word costs more than a longer one, so longer words win ties,
                        // unless IPADIC reads a word there too (たまり|かた).
                        let (next, extra) = if len >= SURE_READING_CHARS || stretch.read_so {
                            (EXPLAINS, PIECE_COST)
                        } else {
                            (SHORT, 2 * PIECE_COST)
                        };
                        offer(&mut best, i + len, next, cost + extra + rarity + stretch.against, (i, state), Some(EXACT));
                    } else if slips && let Some((slipped, _)) = self.slipped(stretches, (i, len)) {
                        offer(&mut best, i + len, EXPLAINS, cost + slipped + stretch.against, (i, state), Some(SLIPPED));
                    }
                    // After the word read the same way, which wins a tie: 種類 is one word, not 手 + 類.
                    if let Some(rarity) = stretch.compound {
                        offer(&mut best, i + len, EXPLAINS, cost + PIECE_COST + rarity + stretch.against, (i, state), Some(COMPOUND));
                    }
                }
            }
        }
        // Walk back from the cheapest end.
        let Some(mut state) = (0..3)
            .filter(|&s| best[n][s].is_some())
            .min_by_key(|&s| best[n][s].as_ref().map(|c| c.0))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = n;
        while i > 0 {
            let Some((_, previous, previous_state, word)) = best[i][state] else {
                break;
            };
            let stretch = stretches.at(previous, i - previous);
            match word {
                // A compound is heard as its nouns, each where its kana are.
                Some(COMPOUND) => {
                    let reading: String = stretches.chars[previous..i].iter().collect();
                    let Some(c) = self.compounds.get(reading.as_str()) else { break };
                    let mut end = i;
                    for (n, part) in c.parts().rev() {
                        let start = end - n;
                        let reading = stretches.chars[start..end].iter().collect();
                        out.push(Piece { span: start..end, word: Some(Recognized { reading, word: part.to_string(), others: Vec::new() }), leftover: false, compound: true });
                        end = start;
                    }
                }
                _ => {
                    let word = match word {
                        Some(EXACT) => stretch.word.as_deref().map(|(_, r)| r.clone()),
                        Some(_) => stretch.slipped.get().and_then(Option::as_deref).map(|(_, r)| r.clone()),
                        None => None,
                    };
                    out.push(Piece { span: previous..i, word, leftover: state == LEFTOVER, compound: false });
                }
            }
            (i, state) = (previous, previous_state);
        }
        out.reverse();
        out
    }

}

/// Whether a word at `stretch` goes against IPADIC's reading of the run ([`KanaToken`]s): it
/// starts or ends inside one of IPADIC's words or endings (kana it has no word for aside).
/// Taking in a whole particle is not counted against a word: IPADIC reads ドコモ as ドコ|モ.
fn against_grammar(stretch: &std::ops::Range<usize>, grammar: &[KanaToken]) -> bool {
    grammar.iter().any(|t| {
        let inside = |at: usize| t.span.start < at && at < t.span.end;
        t.kind != KanaTokenKind::Unknown && (inside(stretch.start) || inside(stretch.end))
    })
}
