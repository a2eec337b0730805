//! What does a question look for? Its evidence: words, synonyms, words recognized from kana or
//! romaji, reading bigrams and character trigrams, each weighted per field.
//!
//! Each piece of evidence becomes one clause of the sum [`crate::ranking`] ranks by; the weights
//! come from [`Weights`].

use std::collections::BTreeSet;
use std::sync::Arc;

use tantivy::{Searcher, Term};
use tantivy::query::Query;
use tantivy::schema::Field;

use super::question::Question;
use super::weights::Weights;
use crate::analysis::tokenizer::{
    kana_bigrams, query_ngrams_of, reading_tokens, typed_sound_bigrams,
};
use crate::analysis::{Analyzer, Morpheme, kana};
use crate::index::schema::Fields;
use crate::lexicon::Lexicon;
use crate::ranking::{Bm25, Bm25TermQuery, BoostedPhrase, BoundedWeight, ScoringCache};

/// One piece of evidence a query looks for: a word, a synonym, a word recognized from kana or
/// romaji, a reading bigram, or a character trigram.
pub struct Evidence {
    pub kind: &'static str,
    pub text: String,
    /// What it stands for, when it is a variant (the synonym or kana it came from).
    pub from: Option<String>,
    /// Other words looked for in the same clause (homophones: 機関 beside 期間).
    pub also: Vec<String>,
    /// Where in the question it comes from (byte ranges of the text as searched), when known.
    pub spans: Vec<(usize, usize)>,
    /// The weighted query per field, by field name.
    pub fields: Vec<(&'static str, Box<dyn Query>)>,
}

/// What evidence is weighed with: the index's fields, the weights, the generation's lexicon,
/// and the scoring cache the term queries share.
pub struct Sources<'a> {
    pub fields: &'a Fields,
    pub weights: &'a Weights,
    pub lexicon: &'a Lexicon,
    pub analyzer: &'a Analyzer,
    pub scoring: &'a Arc<ScoringCache>,
    /// The word fields no document of the index has ([`empty_word_fields`]): nothing is looked
    /// up there.
    pub empty: &'a [Field],
}

/// The fields a word is looked for in (title, aliases, heading, tags, body) that no document of
/// `searcher` has: an imported collection often has no aliases, tags or headings. A word's
/// clause leaves them out; they could match nothing, so no score changes.
pub fn empty_word_fields(fields: &Fields, searcher: &Searcher) -> tantivy::Result<Vec<Field>> {
    let mut empty = Vec::new();
    for field in fields.word_fields() {
        let mut terms = 0;
        for segment in searcher.segment_readers() {
            terms += segment.inverted_index(field)?.terms().num_terms();
        }
        if terms == 0 {
            empty.push(field);
        }
    }
    Ok(empty)
}

impl Sources<'_> {
    /// The fields a word is looked for in, with their names and weights; none that no document
    /// has.
    fn term_fields(&self) -> impl Iterator<Item = (&'static str, Field, f32)> + '_ {
        let (f, w) = (self.fields, self.weights);
        [
            ("title", f.title, w.title),
            ("aliases", f.aliases, w.aliases),
            ("heading", f.heading, w.heading),
            ("tags", f.tags, w.tags),
            ("body", f.body, w.body),
        ]
        .into_iter()
        .filter(|(_, field, _)| !self.empty.contains(field))
    }

    /// A corpus word looked up in every text field, `factor` times its fields' weights.
    fn word(&self, kind: &'static str, word: &str, from: Option<String>, factor: f32) -> Evidence {
        let bm25 = self.weights.bm25();
        Evidence {
            kind,
            text: word.to_string(),
            from,
            also: Vec::new(),
            spans: Vec::new(),
            fields: self
                .term_fields()
                .map(|(name, field, weight)| (name, weighted(field, word, weight * factor, bm25, self.scoring)))
                .collect(),
        }
    }

    /// Whether the corpus writes `near` beside a noun that `typed` stands beside in the question,
    /// and never `typed` there: ボーア戦争 for ボーイ戦争.
    fn written_beside(&self, question: &Question, typed: &str, near: &str) -> bool {
        let morphemes = &question.morphemes;
        morphemes.iter().enumerate().filter(|(_, m)| m.term == typed).any(|(i, m)| {
            let noun = |n: &&Morpheme| n.content && n.pos == "名詞" && kana::is_kana(&n.reading);
            let before = i.checked_sub(1).and_then(|j| morphemes.get(j)).filter(|p| p.end == m.start).filter(noun);
            let after = morphemes.get(i + 1).filter(|n| n.start == m.end).filter(noun);
            let together = |word: &str, reading: &str| {
                before.is_some_and(|p| self.lexicon.written_together(&[(&p.reading, &p.term), (reading, word)]))
                    || after.is_some_and(|n| self.lexicon.written_together(&[(reading, word), (&n.reading, &n.term)]))
            };
            together(near, near) && !together(typed, &m.reading)
        })
    }

    /// Words whose kana after their kanji were typed one slip off (山開ぎ for 山開き, 引ぎ金 for
    /// 引き金, 問う合わせ for 問い合わせ): the analyzer reads the slipped kana as a noun of its own,
    /// or as the ending of another word before more kanji. With the slip undone it reads one
    /// word across the kanji and the kana, and the corpus has that word.
    fn slipped_okurigana(&self, question: &Question, is_word: &dyn Fn(&str) -> bool) -> Vec<Evidence> {
        let hiragana = |c: &char| kana::is_hiragana(*c);
        let morphemes = &question.morphemes;
        let next_to = |a: &Morpheme, b: &Morpheme| a.end == b.start;
        let mut out: Vec<Evidence> = Vec::new();
        for (i, m) in morphemes.iter().enumerate() {
            let chars: Vec<char> = m.surface.chars().collect();
            let previous = i.checked_sub(1).and_then(|j| morphemes.get(j)).filter(|p| next_to(p, m));
            let next = morphemes.get(i + 1).filter(|n| next_to(m, n));
            // (text before the kana, the kana, text after them, whether the word meant goes on
            // into the text after).
            let (before, typed_kana, after, goes_on): (String, Vec<char>, String, bool) = if m.pos == "名詞" && chars.len() <= 2 && chars.iter().all(hiragana) {
                // A noun of one or two kana right after kanji (山|開|ぎ: the kanji may be two
                // nouns to the analyzer).
                let Some(previous) = previous.filter(|p| p.surface.ends_with(kana::is_kanji)) else { continue };
                let first = i.checked_sub(2).and_then(|j| morphemes.get(j)).filter(|f| next_to(f, previous) && f.surface.chars().all(kana::is_kanji));
                let before = first.map_or(previous.surface.clone(), |f| format!("{}{}", f.surface, previous.surface));
                (before, chars, next.map_or(String::new(), |n| n.surface.clone()), false)
            } else {
                // A word ending in one or two kana after its kanji, with kanji right after it
                // (問う|合わせ).
                let ending = chars.iter().rev().take_while(|c| hiragana(c)).count();
                let Some(next) = next.filter(|n| n.surface.starts_with(kana::is_kanji)) else { continue };
                if !m.content || !(1..=2).contains(&ending) || ending == chars.len() || !kana::is_kanji(chars[chars.len() - ending - 1]) {
                    continue;
                }
                (chars[..chars.len() - ending].iter().collect(), chars[chars.len() - ending..].to_vec(), next.surface.clone(), true)
            };
            let typed = format!("{before}{}{after}", typed_kana.iter().collect::<String>());
            let (from, to) = (before.len(), typed.len() - after.len());
            let slipped = (0..typed_kana.len()).flat_map(|k| {
                let katakana = kana::to_katakana(&typed_kana[k].to_string()).chars().next().unwrap_or(typed_kana[k]);
                kana::slips(katakana).iter().map(move |&s| (k, s))
            });
            for (k, slip) in slipped {
                let mut fixed = typed_kana.clone();
                fixed[k] = slip;
                let text = format!("{before}{}{after}", kana::to_hiragana(&fixed.iter().collect::<String>()));
                // One word across the kanji before the kana and whatever follows them.
                let read = self.analyzer.analyze(&text);
                let across = |w: &&Morpheme| w.content && w.start < from && w.end > if goes_on { to } else { from };
                let Some(word) = read.iter().find(|w| across(w) && self.lexicon.reads(&w.reading, &w.term)) else {
                    continue;
                };
                // A full word's weight, not `corrected`'s: the analyzer itself reads one word once
                // the slip is undone (wiki-qa kana-slip 0.8952 at 0.5, 0.8965 at 1).
                if !is_word(&word.term) && !out.iter().any(|e| e.text == word.term) {
                    out.push(self.word("corrected", &word.term, Some(typed.clone()), 1.0));
                }
                break;
            }
        }
        out
    }

    /// Corpus words for the kana words of the question that no page has, read one slip away
    /// (ボイント → ポイント, かいやぬ → 解約): what a customer who mistyped one kana meant. Looked
    /// for only once the question's own words are weighed, for those the index does not know.
    pub fn corrections(
        &self,
        question: &Question,
        weighed: &[(BoundedWeight, Evidence)],
    ) -> Vec<Evidence> {
        let unknown = |text: &str| {
            !weighed.iter().any(|(weight, e)| {
                (e.text == text || e.also.iter().any(|a| a == text))
                    && weight.doc_freqs().any(|n| n.is_some_and(|n| n > 0))
            })
        };
        // A word the question already looks for, typed or heard in a kana run (イカウント in
        // グーグルのイカウントで was heard as アカウント), is not counted a second time.
        let is_word = |text: &str| {
            weighed.iter().any(|(_, e)| {
                matches!(e.kind, "word" | "kana" | "romaji")
                    && (e.text == text || e.also.iter().any(|a| a == text))
            })
        };
        // A verb or adjective is looked for by its reading (小さい: チイサイ); typed in kanji, it
        // is no slip of the kana (チイサイ is not メイサイ, 明細).
        let written_in_kanji = |e: &Evidence| {
            e.spans.iter().any(|&(from, to)| {
                question.text.get(from..to).is_some_and(|s| s.chars().any(kana::is_kanji))
            })
        };
        // The question's kana words no page has, and its kana runs where no corpus word was heard.
        let mut typed: Vec<(String, String)> = weighed
            .iter()
            .filter(|(_, e)| {
                e.kind == "word" && kana::is_kana(&e.text) && unknown(&e.text) && !written_in_kanji(e)
            })
            .map(|(_, e)| (e.text.clone(), e.text.clone()))
            .collect();
        typed.extend(
            question
                .kana_runs
                .iter()
                .filter(|r| r.words.is_empty())
                .map(|r| (r.typed.clone(), r.katakana.clone())),
        );
        let mut out: Vec<Evidence> = Vec::new();
        for (typed, katakana) in typed {
            let Some(fixed) = self.lexicon.correct(&katakana) else {
                continue;
            };
            if is_word(&fixed.word) || out.iter().any(|e| e.text == fixed.word) {
                continue;
            }
            out.push(self.word(
                "corrected",
                &fixed.word,
                Some(typed),
                self.weights.corrected,
            ));
        }
        out.extend(self.slipped_okurigana(question, &is_word));
        // A katakana name a page has may still be another name with one kana slipped
        // (ボーイ戦争 for ボーア戦争): its neighbours count, far below the name as typed, unless
        // the corpus writes the neighbour beside the noun the name stands beside in the
        // question (ボーア戦争, never ボーイ戦争): then the slip is the name meant.
        if self.weights.slipped_name > 0.0 {
            let known: Vec<String> = weighed
                .iter()
                .filter(|(_, e)| e.kind == "word" && kana::is_katakana_word(&e.text) && !unknown(&e.text))
                .map(|(_, e)| e.text.clone())
                .collect();
            for typed in known {
                for near in self.lexicon.slipped_words(&typed) {
                    if is_word(&near) || out.iter().any(|e| e.text == near) {
                        continue;
                    }
                    let weight = if self.written_beside(question, &typed, &near) { 1.0 } else { self.weights.slipped_name };
                    out.push(self.word("corrected", &near, Some(typed.clone()), weight));
                }
            }
        }
        out
    }

    /// Everything the question looks for, with the weight of each field.
    pub fn evidence(&self, question: &Question) -> Vec<Evidence> {
        let f = self.fields;
        let w = self.weights;
        let bm25 = w.bm25();
        let terms = &question.terms;
        let words = |kind, word: &str, from: Option<String>, factor: f32| {
            self.word(kind, word, from, factor)
        };
        // The question's own words, each weighed by what its part of speech tells about the
        // topic (see `Weights::part_of_speech`).
        let without_kanji = question.is_without_kanji();
        let guessed = |m: &Morpheme| without_kanji && kana::is_kana(&m.surface) && question.cuts_heard_words(m.start, m.end);
        let mut out: Vec<Evidence> = terms
            .iter()
            .filter(|t| {
                // In a question without kanji, a kana word the analyzer read across or inside a
                // word the lexicon heard is a worse reading of the same kana (がんませんのたんい:
                // γ線 + 単位, not ガン, タン, イ, which match katakana words everywhere).
                // wiki-qa hiragana 0.8533 -> 0.8603; in written questions it cost originals.
                let mut sources = question.morphemes.iter().filter(|m| m.content && m.term == **t).peekable();
                !(sources.peek().is_some() && sources.all(guessed))
            })
            .map(|t| {
                let sources: Vec<&Morpheme> = question
                    .morphemes
                    .iter()
                    .filter(|m| m.content && (m.term == *t || (m.conjugates() && m.reading == *t)))
                    .collect();
                let factor = sources
                    .iter()
                    .map(|m| w.part_of_speech(m))
                    .fold(0.0f32, f32::max);
                let mut e = words(
                    "word",
                    t,
                    None,
                    if sources.is_empty() { 1.0 } else { factor },
                );
                e.spans = sources.iter().map(|m| (m.start, m.end)).collect();
                e
            })
            .collect();
        // A term left out above as a worse reading of heard kana is not known: the word heard
        // there must still be looked for (ぷじょー read as one word プジョ across the heard
        // ぷじょ found nothing at all).
        let mut known: BTreeSet<String> = out.iter().map(|e| e.text.clone()).collect();

        // Kana and romaji typed for words of the corpus: へんぴん, henpin → 返品. Words read the
        // same way (きかん: 期間, 機関) are one clause, the best of them counting: the rest of
        // the question decides which page wins.
        for run in &question.kana_runs {
            for (candidates, place) in run.words.iter().zip(&run.places) {
                let fresh: Vec<&String> =
                    candidates.iter().filter(|c| !known.contains(*c)).collect();
                let Some(first) = fresh.first() else { continue };
                let kind = if run.typed.is_ascii() {
                    "romaji"
                } else {
                    "kana"
                };
                // A verb or adjective heard by its form (つかえない: 使える) weighs as one.
                // Each word read alike weighs by its own part of speech: せっし is 接し or 摂氏.
                let factor = |conjugates: bool| if conjugates { w.verb } else { 1.0 };
                let conjugates = self.lexicon.conjugates(first);
                let mut evidence = words(kind, first, Some(run.typed.clone()), w.recognized * factor(conjugates));
                for other in &fresh[1..] {
                    evidence
                        .fields
                        .extend(words(kind, other, None, w.recognized * factor(self.lexicon.conjugates(other))).fields);
                    evidence.also.push(other.to_string());
                }
                // Where it was heard: the sounds typed there echo it, as they echo a word typed.
                evidence.spans = place.iter().map(|p| question.normalized.original_range(p.start, p.end)).collect();
                // A verb is also looked for by the reading of its base form, as when typed
                // (かきまわす: かき回す and カキマワス).
                let base_reading = conjugates.then(|| self.lexicon.base_reading(first)).flatten().map(str::to_string).filter(|r| !known.contains(r) && !fresh.contains(&r));
                known.extend(fresh.into_iter().cloned());
                let spans = evidence.spans.clone();
                out.push(evidence);
                if let Some(reading) = base_reading {
                    let mut e = words(kind, &reading, Some(run.typed.clone()), w.recognized * w.verb);
                    e.spans = spans;
                    known.insert(reading);
                    out.push(e);
                }
            }
        }
        // Synonyms, as whole words: a multi-word synonym must match as a phrase.
        let synonym = |parts: &[String], found: &str, factor: f32| -> Evidence {
            if let [single] = parts {
                return words("synonym", single, Some(found.to_string()), factor);
            }
            let fields = self
                .term_fields()
                .map(|(name, field, weight)| {
                    let terms = parts
                        .iter()
                        .map(|p| Term::from_field_text(field, p))
                        .collect();
                    // A phrase scores every word in it: count it as one word.
                    let boost = weight * factor / parts.len() as f32;
                    (
                        name,
                        Box::new(BoostedPhrase::new(terms, boost)) as Box<dyn Query>,
                    )
                })
                .collect();
            Evidence {
                kind: "synonym",
                text: parts.join(" "),
                from: Some(found.to_string()),
                also: Vec::new(),
                spans: Vec::new(),
                fields,
            }
        };
        let mut expand = |parts: Vec<String>, found: &str, factor: f32, out: &mut Vec<Evidence>| {
            if parts.is_empty() || parts.iter().all(|p| known.contains(p)) {
                return;
            }
            if let [single] = parts.as_slice() {
                known.insert(single.clone());
            }
            out.push(synonym(&parts, found, factor));
        };
        // A synonym counts as much as the word it stands for: 来る for a 届かない typed is still
        // an everyday verb (`Weights::part_of_speech`), not a topic noun.
        // Synonyms of words heard in kana too (らぐいん → ログイン → サインイン).
        let spelled = question.spelled.as_deref().unwrap_or(&question.normalized.text);
        for (found, others) in self.lexicon.synonyms_in(spelled) {
            let factor = question
                .morphemes
                .iter()
                .filter(|m| m.content && found.contains(m.surface.as_str()))
                .map(|m| w.part_of_speech(m))
                .fold(None, |best: Option<f32>, f| Some(best.map_or(f, |b| b.max(f))))
                .unwrap_or(1.0);
            for other in others {
                expand(self.analyzer.terms(&other), &found, w.synonym * factor, &mut out);
            }
        }
        // General synonyms (Sudachi's), for the query's own words only, weaker than the writers'.
        for (found, synonyms) in self.lexicon.general_synonyms_of(&question.content_terms()) {
            for parts in synonyms {
                expand(parts, &found, w.general_synonym, &mut out);
            }
        }
        // Readings: each bigram on its own, since the sounds of a kana query rarely line up
        // with the readings' word boundaries. Of the kana typed, only the sounds that touch a
        // content word: those of endings alone (ですか) match nearly every title.
        let morphemes = &question.morphemes;
        let romaji_kana = question
            .kana_runs
            .iter()
            .filter(|run| run.typed.is_ascii())
            .flat_map(|run| kana_bigrams(&run.katakana));
        // About a reading bigram and a character trigram per character of the question: room
        // for them at once (each push past a full vector moved every piece of evidence so far
        // into fresh memory: a fifth of a long question's cache write misses, with the vectors
        // of `SearchIndex::ranked`, in callgrind's cache simulation).
        let chars = question.normalized.text.chars().count();
        let mut readings: Vec<Evidence> = Vec::with_capacity(chars);
        // The sounds of the analyzer's words that cut through words heard in kana are a worse
        // reading of the same kana, like their terms above (すき|ー|じ|ょうがせいび… around
        // スキー場 and 整備).
        let sounds = reading_tokens(morphemes)
            .into_iter()
            .filter(|t| !(without_kanji && question.cuts_heard_words(t.offset_from, t.offset_to)))
            .chain(typed_sound_bigrams(&question.normalized, morphemes).into_iter().filter(|t| !question.is_beside_heard_words(t.offset_from, t.offset_to)));
        // Romaji's sounds come from no place in the question's text.
        let romaji_kana = romaji_kana.map(|mut t| {
            (t.offset_from, t.offset_to) = (usize::MAX, usize::MAX);
            t
        });
        for t in sounds.chain(romaji_kana) {
            let span = (t.offset_from != usize::MAX).then_some((t.offset_from, t.offset_to));
            if let Some(e) = readings.iter_mut().find(|e| e.text == t.text) {
                e.spans.extend(span);
                continue;
            }
            let fields = vec![(
                "title_reading",
                weighted(
                    f.title_reading,
                    &t.text,
                    w.title_reading,
                    bm25,
                    self.scoring,
                ),
            )];
            let spans = span.into_iter().collect();
            readings.push(Evidence {
                kind: "reading",
                text: t.text,
                from: None,
                also: Vec::new(),
                spans,
                fields,
            });
        }
        out.reserve(readings.len() + chars);
        out.extend(readings);
        // Characters: three in a row, indexed as trigrams (see `query_ngrams`). Words heard in
        // kana add the characters of their spelling (でんぴょうばんごう: 伝票番, 票番号), as if
        // typed: they echo words already counted, and tell the page that has them side by side.
        let typed = query_ngrams_of(&question.normalized);
        let heard: Vec<_> = question
            .spelled
            .as_deref()
            .map(|text| query_ngrams_of(&crate::analysis::normalize(text)))
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !typed.iter().any(|typed| typed.text == t.text))
            .map(|t| (t, true))
            .collect();
        for (t, heard) in typed.into_iter().map(|t| (t, false)).chain(heard) {
            let n = t.text;
            let fields = vec![
                (
                    "title_ngram",
                    weighted(f.title_ngram, &n, w.title_ngram, bm25, self.scoring),
                ),
                (
                    "body_ngram",
                    weighted(f.body_ngram, &n, w.body_ngram, bm25, self.scoring),
                ),
            ];
            let spans = if heard { Vec::new() } else { vec![(t.offset_from, t.offset_to)] };
            let e = Evidence {
                kind: "characters",
                text: n,
                from: None,
                also: Vec::new(),
                spans,
                fields,
            };
            out.push(if heard { e.scaled(w.echo) } else { e });
        }
        out
    }
}

/// Sound and character evidence found in more than this share of the documents is dropped.
/// At 0.3 no ranking changed on the tuning, held-out or wiki-qa queries, and searches on the
/// generated 100k corpus took 16% less CPU (13.1 → 11.0 ms); lower shares start to cost
/// held-out MRR.
const COMMON_SHARE: f64 = 0.3;

/// Drop reading bigrams and character trigrams that nearly every document has (ショ, ます...):
/// they add almost nothing to any score (their idf is near zero) but walking their postings is
/// most of a search's time on a large corpus.
///
/// The document frequencies are the ones the weights looked up: no second lookup.
pub fn drop_common_sounds(weighed: &mut Vec<(BoundedWeight, Evidence)>, docs: u64) {
    let docs = docs.max(1) as f64;
    weighed.retain(|(weight, e)| {
        !matches!(e.kind, "reading" | "characters")
            || weight
                .doc_freqs()
                .any(|n| n.is_none_or(|n| n as f64 / docs <= COMMON_SHARE))
    });
}

/// The places in the question of words some document has, merged where they touch.
pub fn known_words(weighed: &[(BoundedWeight, Evidence)]) -> Vec<(usize, usize)> {
    let mut known: Vec<(usize, usize)> = weighed
        .iter()
        .filter(|(weight, e)| {
            matches!(e.kind, "word" | "kana" | "romaji") && weight.doc_freqs().any(|n| n.is_some_and(|n| n > 0))
        })
        .flat_map(|(_, e)| e.spans.iter().copied())
        .collect();
    known.sort_unstable();
    // Words written next to each other cover the sounds that cross from one to the next.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in known {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

impl Evidence {
    /// Whether this is sounds or characters of words in `known` only (see [`known_words`]).
    pub fn echoes(&self, known: &[(usize, usize)]) -> bool {
        matches!(self.kind, "reading" | "characters")
            && !self.spans.is_empty()
            && self
                .spans
                .iter()
                .all(|&(start, end)| known.iter().any(|&(s, e)| s <= start && end <= e))
    }

    /// The same evidence, counting `factor` times as much.
    pub fn scaled(mut self, factor: f32) -> Self {
        for (_, query) in &mut self.fields {
            if let Some(term) = query.downcast_mut::<Bm25TermQuery>() {
                term.set_boost(term.boost() * factor);
            }
        }
        self
    }
}

fn weighted(
    field: Field,
    text: &str,
    weight: f32,
    bm25: Bm25,
    cache: &Arc<ScoringCache>,
) -> Box<dyn Query> {
    Box::new(
        Bm25TermQuery::new(Term::from_field_text(field, text), bm25)
            .with_boost(weight)
            .with_cache(cache.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of `pages`, each (title, tag or none, body).
    fn searcher_of(pages: &[(&str, Option<&str>, &str)]) -> tantivy::Result<(Searcher, Fields)> {
        let (schema, fields) = crate::index::schema();
        let index = tantivy::Index::create_in_ram(schema);
        crate::analysis::tokenizer::register(&index, crate::analysis::tests::analyzer());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        for (title, tag, body) in pages {
            let mut doc = tantivy::TantivyDocument::new();
            doc.add_text(fields.title, title);
            if let Some(tag) = tag {
                doc.add_text(fields.tags, tag);
            }
            doc.add_text(fields.body, body);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        Ok((index.reader()?.searcher(), fields))
    }

    #[test]
    fn words_are_not_looked_for_in_fields_no_page_has() -> tantivy::Result<()> {
        let (searcher, f) = searcher_of(&[("返品の方法", None, "返品は到着から7日以内です")])?;
        assert_eq!(empty_word_fields(&f, &searcher)?, [f.aliases, f.heading, f.tags]);
        let (searcher, f) = searcher_of(&[("返品の方法", None, "返品は到着から7日以内です"), ("送料", Some("配送"), "送料は全国一律です")])?;
        assert_eq!(empty_word_fields(&f, &searcher)?, [f.aliases, f.heading], "one page's tag is enough for the tags to be asked");
        Ok(())
    }
}
