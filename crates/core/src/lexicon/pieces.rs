//! What a piece of a typed kana run may be: the particles and endings between words, and which
//! script a word heard in it must be written in ([`super::Lexicon::recognize_typed`]).

/// Particles, endings and auxiliaries as typed in kana: what lies between words in a question
/// written all in kana (いえ|の|かぎ|を|なくし|た).
pub(super) const FUNCTION_KANA: &[&str] = &[
    "ノ",
    "ヲ",
    "ガ",
    "ハ",
    "ニ",
    "デ",
    "ト",
    "モ",
    "ヘ",
    "ヤ",
    "カ",
    "ネ",
    "ヨ",
    "ナ",
    "テ",
    "タ",
    "ダ",
    "ワ",
    "ゾ",
    "サ",
    "カラ",
    "マデ",
    "ヨリ",
    "ナド",
    "ダケ",
    "ノデ",
    "ノニ",
    "ケド",
    "ッテ",
    "デス",
    "マス",
    "タイ",
    "ナイ",
    "シタ",
    "スル",
    "シテ",
    "サレ",
    "ナル",
    "アル",
    "イル",
    "ドウ",
    "ナニ",
    "ナン",
    "イツ",
    "ドコ",
    "ダレ",
    "ドレ",
    "トキ",
    "コト",
    "モノ",
    "デシタ",
    "マシタ",
    "マセン",
    "クダサイ",
    "デキ",
    "デキル",
    "デキナイ",
    "ヨウ",
    "タメ",
    "ナカ",
    "ウエ",
    // Endings of spoken questions: 〜したいんだけど, 〜なんですが, 〜たらいい.
    "ンダ",
    "ンデス",
    "ンデスガ",
    "ダケド",
    "デスガ",
    "ケレド",
    "シタイ",
    "シタラ",
    "テル",
    "ヨネ",
    "カナ",
    "デショウ",
    "イイ",
];

/// Question words, demonstratives and endings that questions typed in hiragana nearly always
/// have, and that some corpus word is read like (どの: 殿, この: コノ, なの: ナノ, いくら: イクラ):
/// typed in hiragana they are pieces of the split like particles; typed in katakana, a word.
pub(super) const HIRAGANA_FUNCTION: &[&str] = &["ドノ", "ドンナ", "イクラ", "イクツ", "ナゼ", "ドチラ", "ドッチ", "コノ", "ソノ", "アノ", "ナノ", "アッタ", "ナッタ", "ナッテ", "モットモ", "テイル", "テイタ"];

/// Whether `reading` is one of [`FUNCTION_KANA`], or of [`HIRAGANA_FUNCTION`] typed in hiragana
/// (`in_hiragana`, asked only then).
/// Every stretch of a typed run asks, some two hundred for a long question: searching the two
/// lists string by string was a twentieth of analyzing one.
pub(super) fn is_function_kana(reading: &str, in_hiragana: impl FnOnce() -> bool) -> bool {
    static SETS: std::sync::LazyLock<(FunctionSet, FunctionSet)> =
        std::sync::LazyLock::new(|| (FUNCTION_KANA.iter().copied().collect(), HIRAGANA_FUNCTION.iter().copied().collect()));
    let (function, hiragana) = &*SETS;
    function.contains(reading) || (hiragana.contains(reading) && in_hiragana())
}

type FunctionSet = std::collections::HashSet<&'static str, foldhash::fast::FixedState>;

/// Question words: a corpus word heard across one and the particle beside it (は|いつ read as
/// ハイツ, なん|と as 南都) is most often a misreading.
const QUESTION_WORDS: &[&str] = &["イツ", "ドコ", "ナニ", "ナン", "ダレ", "ドレ", "ドウ", "イクラ", "イクツ", "ドノ", "ドンナ", "ナゼ", "ドチラ", "ドッチ"];

/// The particles before a question word (有効期限|は|いつ)...
const PARTICLES_BEFORE: &[char] = &['ハ', 'ガ', 'ノ', 'モ', 'ヲ', 'ニ', 'ト', 'デ', 'ヘ', 'ワ', 'カ'];
/// ...and after one (なん|と); not も: どこも is as often ドコモ, a way to pay.
const PARTICLES_AFTER: &[char] = &['ハ', 'ガ', 'ノ', 'ヲ', 'ニ', 'ト', 'デ', 'ヘ', 'カ'];

/// The question words typed in hiragana in a run, as spans, with whether a particle typed in
/// hiragana stands right before and right after each.
pub(super) fn question_words(chars: &[char], katakana: &[bool]) -> Vec<(std::ops::Range<usize>, bool, bool)> {
    let particle = |i: usize, particles: &[char]| !katakana[i] && particles.contains(&chars[i]);
    let mut out = Vec::new();
    for at in (0..chars.len()).filter(|&at| !katakana[at]) {
        for w in QUESTION_WORDS.iter().filter(|w| w.starts_with(chars[at])) {
            let n = w.chars().count();
            let typed = chars.get(at..at + n).is_some_and(|typed| typed.iter().copied().eq(w.chars()));
            if typed && katakana[at..at + n].iter().all(|k| !k) {
                out.push((at..at + n, at > 0 && particle(at - 1, PARTICLES_BEFORE), at + n < chars.len() && particle(at + n, PARTICLES_AFTER)));
            }
        }
    }
    out
}

/// Whether a word at `span` takes in a question word's particle and part or all of the
/// question word ([`question_words`]): ハイツ in みさわ|は|いつ, 南都 in なん|と.
pub(super) fn swallows_question_word(span: &std::ops::Range<usize>, asks: &[(std::ops::Range<usize>, bool, bool)]) -> bool {
    asks.iter().any(|(word, before, after)| {
        let overlaps = span.start < word.end && word.start < span.end;
        overlaps && ((*before && span.start < word.start) || (*after && span.end > word.end))
    })
}

/// Whether a word heard at `span` of a run typed in both scripts must be written in katakana:
/// it lies inside a longer stretch typed in katakana (シンカ in シンカポールでの is not 進化;
/// ポイントカードの is two katakana words). A stretch typed in katakana that a word covers whole
/// may be any word (ゴミ).
pub(super) fn inside_katakana(span: std::ops::Range<usize>, katakana: &[bool]) -> bool {
    katakana[span.clone()].iter().all(|&k| k)
        && ((span.start > 0 && katakana[span.start - 1]) || katakana.get(span.end).copied().unwrap_or(false))
}

/// Whether `span` of a run mixes letters typed in katakana and in hiragana (ナスの): a customer
/// types one word in one script. The long-vowel mark goes with either (こーる).
pub(super) fn mixes_scripts(span: std::ops::Range<usize>, chars: &[char], katakana: &[bool]) -> bool {
    let letters = || span.clone().filter(|&i| chars[i] != 'ー');
    letters().any(|i| katakana[i]) && letters().any(|i| !katakana[i])
}
