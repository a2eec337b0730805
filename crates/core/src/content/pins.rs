//! Which questions did the writers pin a page for (`pinned_queries:`), and are the pins sound?

use std::collections::HashMap;
use std::path::Path;

use super::{Audience, Diagnostic, Page, value_line_in_file};

/// `pinned_queries`: a question is pinned to one page at most, and only to a public page (the
/// pin orders customers' results).
pub(super) fn check(root: &Path, pages: &[Page], diagnostics: &mut Vec<Diagnostic>) {
    let mut pinned: HashMap<String, &Page> = HashMap::new();
    for page in pages {
        let path = root.join(&page.path);
        for query in &page.pinned_queries {
            let line = value_line_in_file(&path, "pinned_queries", query);
            if page.audience != Audience::Public {
                diagnostics.push(Diagnostic::error(&path, line, format!(
                    "`pinned_queries`: `{query}` is pinned to an internal page; pins order customers' results, so pin public pages only"
                )));
                continue;
            }
            match pinned.get(query.as_str()) {
                Some(first) if first.id != page.id => diagnostics.push(Diagnostic::error(&path, line, format!(
                    "`pinned_queries`: `{query}` is already pinned to `{}` ({}); a question can be pinned to one page only",
                    first.id,
                    root.join(&first.path).display()
                ))),
                Some(_) => {}
                None => {
                    pinned.insert(query.clone(), page);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::load;
    use chrono::NaiveDate;
    use std::path::Path;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn pinned_queries_are_checked_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "categories.yml",
            "- id: orders\n  name: ご注文\n- id: manual\n  name: マニュアル\n  audience: internal\n",
        );
        write(
            root,
            "a.md",
            "---\ntitle: A\ncategory: orders\npinned_queries:\n  - 届かない\n  - 配送状況\n---\n本文\n",
        );
        write(
            root,
            "b.md",
            "---\ntitle: B\ncategory: orders\npinned_queries: [返品, 届かない]\n---\n本文\n",
        );
        write(
            root,
            "c.md",
            "---\ntitle: C\ncategory: manual\naudience: internal\npinned_queries:\n  - 手順\n---\n本文\n",
        );
        write(
            root,
            "d.md",
            "---\ntitle: D\ncategory: orders\npinned_queries:\n  - \"\"\n---\n本文\n",
        );
        let loaded = load(root, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        let p = |name: &str| root.join(name).display().to_string();
        let got: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
        let expected = [
            format!(
                "{}:4: `pinned_queries`: `届かない` is already pinned to `a` ({}); a question can be pinned to one page only",
                p("b.md"),
                p("a.md")
            ),
            format!(
                "{}:6: `pinned_queries`: `手順` is pinned to an internal page; pins order customers' results, so pin public pages only",
                p("c.md")
            ),
            format!("{}:4: `pinned_queries` has an empty entry", p("d.md")),
        ];
        for e in &expected {
            assert!(got.contains(e), "missing {e}\n got: {got:#?}");
        }
        assert_eq!(got.len(), expected.len(), "{got:#?}");
        let a = loaded.corpus.pages.iter().find(|p| p.id == "a").unwrap();
        assert_eq!(a.pinned_queries, ["届かない", "配送状況"]);
    }
}
