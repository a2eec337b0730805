//! What did the customer mean to type? A corrected question when this one found little.

use tantivy::{Searcher, Term};

use super::question::Question;
use crate::analysis::kana;
use crate::index::schema::Fields;
use crate::lexicon::Lexicon;

/// A corrected question: words the index does not know, replaced by the corpus word that
/// sounds closest (パスワート → パスワード); `None` when nothing was corrected.
pub fn did_you_mean(question: &Question, lexicon: &Lexicon, fields: &Fields, searcher: &Searcher) -> Option<String> {
    let f = fields;
    let text = question.text.as_str();
    let known = |term: &str| {
        [f.title, f.body, f.aliases].iter().any(|field| searcher.doc_freq(&Term::from_field_text(*field, term)).unwrap_or(0) > 0)
    };
    let mut corrected = String::new();
    let mut changed = false;
    let mut at = 0;
    for m in question.morphemes.iter().filter(|m| m.content) {
        if known(&m.term) || m.start < at {
            continue;
        }
        let fix = lexicon.correct(&kana::to_katakana(&m.reading)).filter(|r| known(&r.word));
        if let Some(fix) = fix {
            corrected.push_str(&text[at..m.start]);
            corrected.push_str(&fix.word);
            at = m.end;
            changed = true;
        }
    }
    corrected.push_str(&text[at..]);
    changed.then_some(corrected)
}
