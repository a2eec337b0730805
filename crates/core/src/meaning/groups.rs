//! Which texts say the same thing? For writers: pages of the corpus that ask the same question
//! ([`same_questions`], for `kotae check`), and customer searches that ask the same thing in
//! different words ([`group_queries`], for `kotae report` and `/ops/insights`).
//!
//! e5's cosines are high even between unrelated sentences (the questions of one shop's FAQ are
//! 0.94–0.98 from their nearest neighbours), so the thresholds below were read off the sample
//! corpus and its judged queries, not guessed; docs/relevance.md gives the numbers and
//! `cargo run -p kotae-core --example same_meaning` prints them again.

use super::{DocVectors, Meaning};

/// Two public pages ask the same question when one of their question texts (title or alias,
/// embedded as passages, as the index embeds them) is at least this similar to one of the
/// other's. On the sample corpus no two pages reach it (the closest pair is at 0.980), while
/// a page whose title only rewords another page's question is at 0.987–0.996. Pages that ask
/// the same thing in quite other words are often no closer than neighbouring pages (0.91–0.98)
/// and are not reported: the model cannot tell them apart.
pub const SAME_QUESTION: f32 = 0.985;

/// Customer searches (embedded as questions, as the model card asks for symmetric tasks) are
/// in one group when every two of them are at least this similar ([`Linkage::Complete`]).
/// On the sample's 288 judged queries: 80 groups of two or more, the largest of 8, most of
/// them one topic (payment methods, the app, logging in, coupons); at 0.86 the largest groups
/// mix topics. Wordings without the topic's word are often left out: 車で行けますか is 0.865
/// from 駐車場はありますか, and 0.882 from ペットを連れて行ってもいいですか.
pub const SAME_QUERY: f32 = 0.88;

/// How [`group_queries`] links groups: complete linkage keeps the groups topical (average
/// linkage at the same size of groups mixes more topics on the judged queries).
pub const LINKAGE: Linkage = Linkage::Complete;

/// The most distinct queries [`group_queries`] embeds (the most frequent first): about 10 ms of
/// CPU each, so at most a few seconds per report.
pub const MAX_QUERIES: usize = 500;

/// The cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Two pages that ask the same question: `(first, second)` index the pages given to
/// [`same_questions`] (`first < second`), `texts` the closest question text of each.
#[derive(Debug, Clone, PartialEq)]
pub struct SamePair {
    pub first: usize,
    pub second: usize,
    pub texts: (usize, usize),
    pub similarity: f32,
}

/// Every pair of pages whose closest question texts are at least `threshold` similar. `pages`
/// holds, for each page, the unit vectors of its question texts. Pairs come in page order.
pub fn same_questions(pages: &[Vec<Vec<f32>>], threshold: f32) -> Vec<SamePair> {
    let mut out = Vec::new();
    for (i, a) in pages.iter().enumerate() {
        for (j, b) in pages.iter().enumerate().skip(i + 1) {
            if let Some(pair) = closest(a, b).filter(|p| p.2 >= threshold) {
                out.push(SamePair { first: i, second: j, texts: (pair.0, pair.1), similarity: pair.2 });
            }
        }
    }
    out
}

/// Each page's nearest other page by [`same_questions`]'s measure: (page, similarity), or
/// `None` for a page without vectors. For measuring the threshold.
pub fn nearest_pages(pages: &[Vec<Vec<f32>>]) -> Vec<Option<(usize, f32)>> {
    (0..pages.len())
        .map(|i| {
            (0..pages.len())
                .filter(|&j| j != i)
                .filter_map(|j| closest(&pages[i], &pages[j]).map(|c| (j, c.2)))
                .max_by(|x, y| x.1.total_cmp(&y.1).then_with(|| y.0.cmp(&x.0)))
        })
        .collect()
}

/// The most similar (text of `a`, text of `b`, cosine).
fn closest(a: &[Vec<f32>], b: &[Vec<f32>]) -> Option<(usize, usize, f32)> {
    let mut best: Option<(usize, usize, f32)> = None;
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            let c = cosine(x, y);
            if best.is_none_or(|b| c > b.2) {
                best = Some((i, j, c));
            }
        }
    }
    best
}

/// How close two groups are, from the similarities between their items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// The average similarity: groups stay together on the whole, some pairs may be below the
    /// threshold.
    Average,
    /// The lowest similarity: every two items of a group are at least the threshold apart.
    Complete,
}

/// Agglomerative clustering: every item starts alone; the two closest groups (by `linkage`) are
/// merged, again and again, while they are at least `threshold` similar. Neither linkage
/// chains (A like B like C, A unlike C) as single linkage does.
///
/// `vectors` are unit vectors, `weights` how often each item was seen. Groups come largest
/// first (by total weight, then by their first item); items in a group by weight, then by
/// index. Deterministic: ties go to the lower indexes. O(n²) memory, O(n³) time at worst: for
/// a few hundred items, a fraction of a second.
pub fn group(vectors: &[&[f32]], weights: &[u64], threshold: f32, linkage: Linkage) -> Vec<Vec<usize>> {
    let n = vectors.len();
    // link[a * n + b]: the sum (average linkage) or the lowest (complete linkage) of the
    // similarities between the items of groups a and b.
    let mut link = vec![0.0f64; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let c = f64::from(cosine(vectors[i], vectors[j]));
            link[i * n + j] = c;
            link[j * n + i] = c;
        }
    }
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut alive: Vec<usize> = (0..n).collect();
    let closeness = |link: f64, a: usize, b: usize| match linkage {
        Linkage::Average => link / (a * b) as f64,
        Linkage::Complete => link,
    };
    loop {
        let mut best: Option<(usize, usize, f64)> = None;
        for (x, &a) in alive.iter().enumerate() {
            for &b in &alive[x + 1..] {
                let close = closeness(link[a * n + b], members[a].len(), members[b].len());
                if best.is_none_or(|(_, _, s)| close > s) {
                    best = Some((a, b, close));
                }
            }
        }
        let Some((a, b, _)) = best.filter(|(_, _, s)| *s >= f64::from(threshold)) else { break };
        for &c in alive.iter().filter(|&&c| c != a && c != b) {
            let (ac, bc) = (link[a * n + c], link[b * n + c]);
            let merged = match linkage {
                Linkage::Average => ac + bc,
                Linkage::Complete => ac.min(bc),
            };
            link[a * n + c] = merged;
            link[c * n + a] = merged;
        }
        let taken = std::mem::take(&mut members[b]);
        members[a].extend(taken);
        alive.retain(|&c| c != b);
    }
    let weight = |i: usize| weights.get(i).copied().unwrap_or(0);
    let mut groups: Vec<Vec<usize>> = alive.into_iter().map(|a| std::mem::take(&mut members[a])).collect();
    for g in &mut groups {
        g.sort_by(|&x, &y| weight(y).cmp(&weight(x)).then(x.cmp(&y)));
    }
    let total = |g: &Vec<usize>| g.iter().map(|&i| weight(i)).sum::<u64>();
    groups.sort_by(|x, y| total(y).cmp(&total(x)).then_with(|| x.iter().min().cmp(&y.iter().min())));
    groups
}

/// Searches that ask the same thing: indexes into the queries given to [`group_queries`], most
/// searched first.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryGroup {
    pub members: Vec<usize>,
    /// How many searches the group's queries add up to.
    pub searches: u64,
    /// The document closest in meaning to the group (its key) and its similarity.
    pub nearest: Option<(String, f32)>,
}

/// Group customer queries (`(query, searches)`, most frequent first) by meaning with the model:
/// the first [`MAX_QUERIES`] are embedded as questions (on every core; repeated ones come from
/// the question cache) and grouped by [`group`] at [`SAME_QUERY`] with [`LINKAGE`]. Each group gets its nearest
/// document in `documents` (by the normalized mean of its queries' vectors).
pub fn group_queries(meaning: &Meaning, queries: &[(&str, u64)], documents: Option<&DocVectors>) -> Vec<QueryGroup> {
    let queries = &queries[..queries.len().min(MAX_QUERIES)];
    let vectors = embed_questions(meaning, queries.iter().map(|q| q.0).collect());
    let weights: Vec<u64> = queries.iter().map(|q| q.1).collect();
    let refs: Vec<&[f32]> = vectors.iter().map(|v| &v[..]).collect();
    group(&refs, &weights, SAME_QUERY, LINKAGE)
        .into_iter()
        .map(|members| {
            let searches = members.iter().map(|&i| weights[i]).sum();
            let nearest = documents.and_then(|d| {
                let centre = mean(members.iter().map(|&i| refs[i]), meaning.dim());
                d.nearest(&centre, 1).into_iter().next().map(|(key, c)| (key.to_string(), c))
            });
            QueryGroup { members, searches, nearest }
        })
        .collect()
}

/// The question vectors of `texts`, in order, computed on every core.
fn embed_questions(meaning: &Meaning, texts: Vec<&str>) -> Vec<std::sync::Arc<[f32]>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let chunk = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> =
            texts.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(|t| meaning.question(t)).collect::<Vec<_>>())).collect();
        parts.into_iter().flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// The unit vector along the sum of `vectors`.
fn mean<'v>(vectors: impl Iterator<Item = &'v [f32]>, dim: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; dim];
    for v in vectors {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        sum.iter_mut().for_each(|x| *x /= norm);
    }
    sum
}

#[cfg(test)]
mod tests;
