//! Why did a page match? `--explain` and the console's explain view: which evidence matched a
//! hit, in which field, and how much it added.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::evidence::Evidence;
use super::results::Explained;

/// Which evidence matched the document `key`, field by field. Each clause is run again,
/// restricted to that document (tantivy's own `explain` can panic on phrase queries).
pub fn explain(searcher: &Searcher, key_field: Field, key: &str, evidence: &[Evidence]) -> Vec<Explained> {
    let mut out = Vec::new();
    for e in evidence {
        for (field, q) in &e.fields {
            let only_this = BooleanQuery::new(vec![(Occur::Must, q.box_clone()), (Occur::Must, filter(key_field, key))]);
            let score = searcher
                .search(&only_this, &TopDocs::with_limit(1).order_by_score())
                .ok()
                .and_then(|top| top.first().map(|(s, _)| *s))
                .unwrap_or(0.0);
            if score > 0.0 {
                out.push(Explained { kind: e.kind.into(), text: e.text.clone(), from: e.from.clone(), field: (*field).into(), score });
            }
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// A filter that does not change scores.
fn filter(field: Field, value: &str) -> Box<dyn Query> {
    let q = TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic);
    Box::new(BoostQuery::new(Box::new(q), 0.0))
}
