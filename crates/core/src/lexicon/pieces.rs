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
    "イクラ",
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

/// Question words typed in kana, which nearly every question has: a corpus word heard across
/// the particle before one of them (は|いつ read as ハイツ, に|なに) is most often a misreading.
const QUESTION_WORDS: &[&str] = &["イツ", "ドコ", "ナニ", "ナン", "ダレ", "ドレ", "ドウ", "イクラ", "イクツ", "ドノ", "ドンナ", "ナゼ", "ドチラ", "ドッチ"];

/// The particles a question word follows (ポイントの有効期限|は|いつ).
const PARTICLES_BEFORE: &[char] = &['ハ', 'ガ', 'ノ', 'モ', 'ヲ', 'ニ', 'ト', 'デ', 'ヘ', 'ワ'];

/// For each place of a run, whether a question word typed in hiragana starts there, right
/// after a particle typed in hiragana (katakana are a name or a loanword: ハイツ).
pub(super) fn question_words_after_particles(chars: &[char], katakana: &[bool]) -> Vec<bool> {
    (0..chars.len())
        .map(|at| {
            at > 0
                && !katakana[at - 1]
                && PARTICLES_BEFORE.contains(&chars[at - 1])
                && QUESTION_WORDS.iter().any(|w| {
                    let n = w.chars().count();
                    chars.get(at..at + n).is_some_and(|typed| typed.iter().copied().eq(w.chars()))
                        && katakana[at..at + n].iter().all(|k| !k)
                })
        })
        .collect()
}

/// Whether a word at `span` takes in a particle and the question word after it (ハイツ in
/// みさわはいつ), given [`question_words_after_particles`].
pub(super) fn swallows_question_word(span: std::ops::Range<usize>, asks: &[bool]) -> bool {
    (span.start + 1..span.end).any(|at| asks[at])
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
