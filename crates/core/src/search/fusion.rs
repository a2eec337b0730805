//! How do meaning and words add up? The lexical top documents and the documents nearest in
//! meaning, in one order.
//!
//! A document's fused score is its lexical score plus `Weights::meaning` × the best lexical
//! score of the question × how far its similarity rises above `Weights::meaning_floor`
//! (0 at the floor, 1 at an identical question). Scaling by the question's best lexical score
//! keeps fused scores in the lexical scale, which the console's merge of two indexes and the
//! answer confidence compare. Below the floor, meaning adds nothing: e5's cosines are high even
//! between unrelated sentences (titles of one shop's FAQ pages are 0.92–0.96 from their nearest
//! neighbours), so only the top of the scale says "the same question".
//!
//! When the words are unsure (the best lexical pages cover little of the question), meaning
//! leads ([`Lift::lead`]): the lexical score gives way by the lead's share, and each document
//! adds the lead × how far it stands above the crowd of close documents ([`Relative`]), so
//! the page a question in other words means outranks a page that shares one chance word with
//! it (docs/relevance.md, "Meaning").

use tantivy::DocAddress;

/// A document on either list.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub key: String,
    pub address: DocAddress,
    /// Its lexical score (0 when no word of the question is in it).
    pub lexical: f32,
    /// Whether it is on the lexical list (the others came by meaning).
    pub on_lexical_list: bool,
    pub similarity: f32,
    pub score: f32,
}


/// How much meaning adds for one question ([`fuse`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lift {
    /// In units of the question's best lexical score, at an identical question...
    pub weight: f32,
    /// ...counted from this cosine (0 below it).
    pub floor: f32,
    /// The part of meaning added when the words are unsure (`Weights::meaning_unsure` × how
    /// little of the question the best lexical pages cover), in the same units...
    pub unsure: f32,
    /// ...counted from this lower cosine: a question said in other words is rarely as close
    /// to its page as a question said in the page's words.
    pub unsure_floor: f32,
    /// The share of the lexical score kept (1: all of it; less when the words are unsure, so
    /// that words shared by chance do not outrank the page the question means).
    pub lexical: f32,
    /// The share of the order meaning leads when the words are unsure: the lexical part counts
    /// `1 − lead` of itself, and each document adds `lead` × its closeness relative to the
    /// other documents ([`Relative`]), in units of the best lexical score.
    pub lead: f32,
    /// How close a document is among all of them (1: the closest; 0: at or below the reference).
    pub relative: Relative,
}

/// A document's closeness relative to the others: `(similarity − reference) / max(top −
/// reference, spread)`, clamped to 0..1. e5's cosines crowd into a narrow band (a shop's
/// questions are 0.85–0.95 from any question of the shop), so what says "this page" is how far
/// a page stands above the crowd, not the cosine itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Relative {
    /// The closest document's similarity...
    pub top: f32,
    /// ...the similarity that counts 0 (a lower-ranked neighbour's)...
    pub reference: f32,
    /// ...and the least span between them: when the closest documents are about as close (pages
    /// under one shared title), none stands out.
    pub spread: f32,
}

impl Relative {
    /// Nothing stands out.
    pub const NONE: Relative = Relative { top: 1.0, reference: 1.0, spread: 1.0 };

    fn of(&self, similarity: f32) -> f32 {
        ((similarity - self.reference) / (self.top - self.reference).max(self.spread).max(1e-6)).clamp(0.0, 1.0)
    }
}

impl Lift {
    /// The lexical order: meaning adds nothing.
    pub const NONE: Lift = Lift { weight: 0.0, floor: 1.0, unsure: 0.0, unsure_floor: 1.0, lexical: 1.0, lead: 0.0, relative: Relative::NONE };

    /// What meaning adds at `similarity` (the questions' cosine) and `ranking` (blended with
    /// the answer's, [`crate::meaning::Similarities::ranking`]), in units of the best lexical
    /// score.
    fn of(&self, similarity: f32, ranking: f32) -> f32 {
        let above = |floor: f32| ((similarity - floor) / (1.0 - floor).max(1e-6)).max(0.0);
        self.weight * above(self.floor) + self.unsure * above(self.unsure_floor) + self.lead * self.relative.of(ranking)
    }

    /// The share of the lexical score kept.
    fn words(&self) -> f32 {
        self.lexical * (1.0 - self.lead).max(0.0)
    }
}

/// Fuse the lexical list (`(score, address, key)`, best first) with the documents nearest in
/// meaning (`(lexical score, address, key)`: their words counted too), given each document's
/// similarity by key (the questions' cosine, and the one documents are ranked by). A document
/// nearest in meaning joins only if meaning lifts it.
pub fn fuse(
    lexical: Vec<(f32, DocAddress, String)>,
    nearest: Vec<(f32, DocAddress, String)>,
    similarity: impl Fn(&str) -> (f32, f32),
    lift: Lift,
) -> Vec<Candidate> {
    // No page has a word of the question: there is no list for meaning to reorder, and the
    // verdict offers the closest questions instead of hits that share nothing with it.
    let Some(scale) = lexical.first().map(|(s, _, _)| s.max(f32::MIN_POSITIVE)) else {
        return Vec::new();
    };
    let candidate = |(lexical, address, key): (f32, DocAddress, String), on_lexical_list: bool| {
        let (similarity, ranking) = similarity(key.as_str());
        let added = scale * lift.of(similarity, ranking);
        (Candidate { score: lift.words() * lexical + added, key, address, lexical, on_lexical_list, similarity }, added)
    };
    let mut out: Vec<Candidate> = lexical.into_iter().map(|c| candidate(c, true).0).collect();
    for near in nearest {
        let (c, added) = candidate(near, false);
        if added > 0.0 && !out.iter().any(|o| o.key == c.key) {
            out.push(c);
        }
    }
    // Ties go to the lower address, as on the lexical list: the order of a page of results
    // does not depend on how deep the lists went.
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.address.cmp(&b.address)));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn address(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn meaning_lifts_close_pages_and_brings_in_pages_without_the_words() {
        let lexical = vec![(10.0, address(0), "a".to_string()), (9.0, address(1), "b".to_string())];
        let nearest = vec![(0.0, address(2), "c".to_string()), (0.0, address(3), "d".to_string()), (1.0, address(1), "b".to_string())];
        let similarities: HashMap<&str, f32> = [("a", 0.85), ("b", 0.97), ("c", 0.99), ("d", 0.70)].into_iter().collect();
        let fused = fuse(lexical, nearest, |k| (similarities[k], similarities[k]), Lift { weight: 0.5, floor: 0.85, ..Lift::NONE });
        let order: Vec<&str> = fused.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"], "d is below the floor and does not join; b is listed once");
        assert_eq!(fused[1].score, 10.0, "at the floor, meaning adds nothing");
        assert!(!fused[2].on_lexical_list && fused[2].lexical == 0.0);
    }

    #[test]
    fn when_the_words_are_unsure_meaning_counts_from_a_lower_floor_and_may_lead() {
        // "a" shares a chance word with the question; "b" means it but is below the usual floor.
        let lexical = vec![(10.0, address(0), "a".to_string()), (2.0, address(1), "b".to_string())];
        let similarities: HashMap<&str, f32> = [("a", 0.80), ("b", 0.84)].into_iter().collect();
        let sure = Lift { weight: 0.5, floor: 0.85, ..Lift::NONE };
        let order = |lift| fuse(lexical.clone(), vec![], |k| (similarities[k], similarities[k]), lift).into_iter().map(|c| c.key).collect::<Vec<_>>();
        assert_eq!(order(sure), ["a", "b"], "below the floor, meaning adds nothing");
        let unsure = Lift { unsure: 10.0, unsure_floor: 0.8, ..sure };
        assert_eq!(order(unsure), ["b", "a"], "0.04 above the unsure floor: +10 × 10 × 0.2");
        let fused = fuse(lexical.clone(), vec![], |k| (similarities[k], similarities[k]), Lift { lexical: 0.5, ..sure });
        assert_eq!(fused[0].score, 5.0, "the words give way");
        assert_eq!(fused[0].lexical, 10.0, "the lexical score itself is kept");
    }

    #[test]
    fn meaning_leads_by_how_far_a_page_stands_above_the_others() {
        // "a" has the question's chance word; "b" stands above the crowd in meaning.
        let lexical = vec![(10.0, address(0), "a".to_string()), (1.0, address(1), "b".to_string())];
        let similarities: HashMap<&str, f32> = [("a", 0.86), ("b", 0.90), ("c", 0.88)].into_iter().collect();
        let relative = Relative { top: 0.90, reference: 0.86, spread: 0.02 };
        let order = |lead: f32| {
            let lift = Lift { lead, relative, ..Lift::NONE };
            fuse(lexical.clone(), vec![(0.0, address(2), "c".to_string())], |k| (0.5, similarities[k]), lift).into_iter().map(|c| c.key).collect::<Vec<_>>()
        };
        assert_eq!(order(0.0), ["a", "b"], "no lead: the lexical order, c does not join");
        assert_eq!(order(0.8), ["b", "c", "a"], "a lead of 0.8: a keeps 2 + 0, b 0.2 + 8, c 0 + 4");
        let flat = Relative { top: 0.90, reference: 0.89, spread: 0.04 };
        assert!((flat.of(0.90) - 0.25).abs() < 1e-6, "a crowd of close pages: none stands out");
        assert_eq!(flat.of(0.85), 0.0);
    }

    #[test]
    fn weight_zero_is_the_lexical_order() {
        let lexical = vec![(3.0, address(0), "a".to_string()), (2.0, address(1), "b".to_string())];
        let similarities: HashMap<&str, f32> = [("a", 0.5), ("b", 0.99), ("c", 0.99)].into_iter().collect();
        let fused = fuse(lexical, vec![(0.0, address(2), "c".to_string())], |k| (similarities[k], similarities[k]), Lift::NONE);
        assert_eq!(fused.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    }
}
