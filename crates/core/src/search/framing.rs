//! What part of a message is the question? Customers wrap it in courtesy: 「お世話になって
//! おります。」 before it, 「よろしくお願いいたします。」 or 「教えてください」 after it. Those words
//! say nothing about the topic, yet a help center's own pages use them too (お世話, 利用,
//! お願い), so left in they pull up pages that share only the courtesy.
//!
//! [`framing`] finds the greetings, apologies, self-introductions and requests for help at the
//! start and the end of a question. [`super::question::Question`] searches the rest; the text
//! as typed is kept for display and for the reports. Only whole set phrases are taken, and only
//! at the edges: 「クレジットカードで払ったのですが、」 is context and stays, and a question made
//! of courtesy alone (「よろしくお願いします」) is searched as typed.

use std::ops::Range;
use std::sync::LazyLock;

/// Set phrases that open a message, in normalized form (NFKC: `?` and `!` are half-width).
const OPENERS: &[&str] = &[
    "いつもお世話になっております",
    "いつもお世話になっています",
    "お世話になっております",
    "お世話になっています",
    "お世話になります",
    "お世話様です",
    "お疲れ様です",
    "すみません",
    "すいません",
    "恐れ入りますが",
    "恐れ入ります",
    "失礼いたします",
    "失礼します",
    "こんにちは",
    "こんばんは",
    "おはようございます",
    "はじめまして",
    "初めまして",
    "質問です",
    "質問があります",
    "質問があるのですが",
    "質問なのですが",
    "質問させてください",
    "ひとつ質問です",
    "1つ質問です",
    "相談です",
    "相談なのですが",
    "ご相談です",
    "ちょっとお聞きしたいのですが",
    "ちょっと聞きたいのですが",
    "ちょっと聞きたいんですが",
    "お聞きしたいのですが",
    "お聞きしたいことがあるのですが",
    "お伺いしたいのですが",
    "お尋ねしたいのですが",
    "聞きたいのですが",
    "聞きたいんですが",
    "聞きたいんだけど",
    "聞きたいことがあるのですが",
    "確認させてください",
    "確認したいのですが",
    "初めて利用するのですが",
    "初めて利用するんですが",
    "初めて利用しますが",
    "初めて使うのですが",
    "初めて使うんですが",
    "初心者なのですが",
    "初心者です",
];

/// Set phrases that close a message.
const CLOSERS: &[&str] = &[
    "教えてください",
    "教えて下さい",
    "教えてくれませんか",
    "教えてくれますか",
    "教えていただけますか",
    "教えていただけませんか",
    "教えて頂けますか",
    "教えて頂けませんか",
    "教えてもらえますか",
    "教えてもらえませんか",
    "教えてほしいです",
    "教えて欲しいです",
    "教えてほしい",
    "教えて欲しい",
    "教えて",
    "よろしくお願いします",
    "よろしくお願いいたします",
    "よろしくお願い致します",
    "宜しくお願いします",
    "宜しくお願いいたします",
    "宜しくお願い致します",
    "お願いします",
    "お願いいたします",
    "お願い致します",
    "ありがとうございます",
    "ありがとうございました",
    "以上です",
    "ご回答お待ちしております",
    "ご返答お待ちしております",
    "ご返信お待ちしております",
    "お返事お待ちしております",
    "助かります",
    "助けてください",
    "困っています",
    "困ってます",
    "困っております",
    "知りたいです",
    "早めに知りたいです",
    "できれば早めに知りたいです",
    "至急お願いします",
    "急いでいます",
    "急ぎです",
    "って、どうなっていますか",
    "ってどうなっていますか",
    "って、どうなってますか",
    "ってどうなってますか",
];

/// Closers that are a sentence of their own: taken only after a sentence mark, since inside a
/// sentence they are part of the question (「パスワードがよく分からなくて…」 stays).
const CLOSING_SENTENCES: &[&str] = &["よく分からなくて", "よくわからなくて", "できれば早めに", "できれば"];

/// Whether `c` is punctuation or space between the parts of a message.
pub fn is_separator(c: char) -> bool {
    matches!(c, '、' | '。' | ',' | '.' | '!' | '?' | ' ' | '　' | '…' | '・' | '~' | '〜' | '\n' | '\t' | '♪' | '(' | ')')
}

/// The byte ranges of `normalized` that frame the question rather than ask it: courtesy at the
/// start and at the end, with the marks around it. Empty when nothing frames it, or when the
/// framing is all there is.
pub fn framing(normalized: &str) -> Vec<Range<usize>> {
    let mut start = skip_separators_forward(normalized, 0);
    let mut end = skip_separators_backward(normalized, normalized.len());
    let mut out = Vec::new();
    'openers: while start < end {
        for opener in OPENERS_LONGEST_FIRST.iter().copied() {
            if normalized[start..end].starts_with(opener) {
                let next = skip_separators_forward(normalized, start + opener.len()).min(end);
                out.push(start..next);
                start = next;
                continue 'openers;
            }
        }
        break;
    }
    'closers: while start < end {
        let text = &normalized[start..end];
        for (closer, sentence) in CLOSERS_LONGEST_FIRST.iter().map(|c| (*c, false)).chain(CLOSING_SENTENCES.iter().map(|c| (*c, true))) {
            if let Some(rest) = text.strip_suffix(closer) {
                let before = rest.chars().next_back();
                if sentence && !before.is_none_or(|c| matches!(c, '。' | '.' | '!' | '?')) {
                    continue;
                }
                let from = skip_separators_backward(normalized, start + rest.len()).max(start);
                out.push(from..normalized.len().min(end_with_marks(normalized, end)));
                end = from;
                continue 'closers;
            }
        }
        break;
    }
    if start >= end {
        return Vec::new();
    }
    let left: usize = normalized[start..end].chars().filter(|&c| !is_separator(c)).count();
    if left < 2 {
        return Vec::new();
    }
    out
}

/// `text` with the byte ranges `framing` blanked out: each character in them becomes
/// whitespace of the same UTF-8 length, so every byte offset still points at the same place.
pub fn blank_framing(text: &str, framing: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if framing.iter().any(|r| r.contains(&at)) {
            match c.len_utf8() {
                1 => out.push(' '),
                2 => out.push('\u{00A0}'),
                3 => out.push('\u{3000}'),
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The phrases, longest first (so 「よろしくお願いします」 is taken whole, not as 「お願いします」),
/// sorted once rather than per question.
static OPENERS_LONGEST_FIRST: LazyLock<Vec<&'static str>> = LazyLock::new(|| longest_first(OPENERS));
static CLOSERS_LONGEST_FIRST: LazyLock<Vec<&'static str>> = LazyLock::new(|| longest_first(CLOSERS));

fn longest_first(phrases: &'static [&'static str]) -> Vec<&'static str> {
    let mut sorted: Vec<&'static str> = phrases.to_vec();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.len()));
    sorted
}

fn skip_separators_forward(text: &str, mut at: usize) -> usize {
    while let Some(c) = text[at..].chars().next().filter(|&c| is_separator(c)) {
        at += c.len_utf8();
    }
    at
}

fn skip_separators_backward(text: &str, mut at: usize) -> usize {
    while let Some(c) = text[..at].chars().next_back().filter(|&c| is_separator(c)) {
        at -= c.len_utf8();
    }
    at
}

/// The end of a closer with the marks after it (they were skipped before it was found).
fn end_with_marks(text: &str, end: usize) -> usize {
    skip_separators_forward(text, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str) -> String {
        let ranges = framing(text);
        let mut out = String::new();
        for (at, c) in text.char_indices() {
            if !ranges.iter().any(|r| r.contains(&at)) {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn courtesy_around_the_question_is_framing() {
        assert_eq!(asked("お世話になっております。退会したらポイントはどうなる?よろしくお願いいたします。"), "退会したらポイントはどうなる");
        assert_eq!(asked("すみません、ちょっとお聞きしたいのですが、ログインできない?"), "ログインできない?");
        assert_eq!(asked("恐れ入りますが、返品の送料を教えていただけますか"), "返品の送料を");
        assert_eq!(asked("領収書がほしい。よく分からなくて困っています。"), "領収書がほしい");
        assert_eq!(asked("こんにちは!PayPayで払えますか?ありがとうございます"), "PayPayで払えますか");
    }

    #[test]
    fn context_and_questions_about_courtesy_stay() {
        assert_eq!(asked("クレジットカードで払ったのですが、返金はいつ?"), "クレジットカードで払ったのですが、返金はいつ?");
        assert_eq!(asked("パスワードがよく分からなくて"), "パスワードがよく分からなくて", "inside a sentence it is the question");
        assert_eq!(asked("よろしくお願いします"), "よろしくお願いします", "courtesy alone is searched as typed");
        assert_eq!(asked("お願い"), "お願い");
        assert!(framing("返品したい").is_empty());
        for marks in ["", " ", "~ ", "、。", "?!"] {
            assert!(framing(marks).is_empty(), "{marks:?}");
        }
    }

    #[test]
    fn blanking_keeps_every_offset() {
        let text = "すみません、返品したい";
        let blanked = blank_framing(text, &framing(text));
        assert_eq!(blanked.len(), text.len());
        assert_eq!(&blanked[text.find('返').unwrap()..], "返品したい");
        assert!(blanked[..text.find('返').unwrap()].chars().all(char::is_whitespace));
    }
}
